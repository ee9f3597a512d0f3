package errs

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestCatalogue(t *testing.T) {
	for _, c := range Codes() {
		if s := Status(c); s < 400 || s > 599 {
			t.Errorf("%s: status %d", c, s)
		}
		zh, en := Message(c, "zh-CN"), Message(c, "en-US")
		if zh == "" || en == "" || zh == en {
			t.Errorf("%s: messages %q / %q", c, zh, en)
		}
	}
	if Status("no-such-code") != http.StatusInternalServerError || Message("no-such-code", "en") != Message(Internal, "en") {
		t.Error("unknown codes must read as internal")
	}
}

func TestWrapAndCodeOf(t *testing.T) {
	if CodeOf(nil) != "" || Wrap(nil) != nil {
		t.Error("nil")
	}
	plain := errors.New("disk on fire")
	if CodeOf(plain) != Internal || CodeOf(Wrap(plain)) != Internal || !errors.Is(Wrap(plain), plain) {
		t.Error("foreign errors are internal and keep their cause")
	}
	e := F(InvalidPhone, "phone")
	if Wrap(e) != e || !Is(fmt.Errorf("ctx: %w", e), InvalidPhone) {
		t.Error("application errors pass through wrapping")
	}
	if e.Error() != "invalid_phone (phone)" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestAll(t *testing.T) {
	if All() != nil {
		t.Error("no problems must be no error")
	}
	one := F(FieldRequired, "description")
	if All(one) != one || len(FieldsOf(one)) != 1 {
		t.Error("one problem is itself")
	}
	err := All(one, F(InvalidPhone, "citizen_phone"))
	var e *Error
	if !errors.As(err, &e) || e.Code != FieldRequired || e.Field != "description" || len(e.Fields) != 2 {
		t.Fatalf("All = %+v", err)
	}
	if fs := FieldsOf(fmt.Errorf("wrapped: %w", err)); len(fs) != 2 || fs[1].Field != "citizen_phone" || fs[1].Code != InvalidPhone {
		t.Errorf("FieldsOf = %v", fs)
	}
	if FieldsOf(E(Forbidden)) != nil || FieldsOf(errors.New("x")) != nil {
		t.Error("errors without a field have no field problems")
	}
}

// TestValidationIs422: 400 is for a request that cannot be read
// (InvalidJSON) and nothing else; every validation code answers 422.
func TestValidationIs422(t *testing.T) {
	for _, c := range Codes() {
		if s := Status(c); s == http.StatusBadRequest && c != InvalidJSON {
			t.Errorf("%s answers 400; validation failures answer 422", c)
		}
	}
	for _, c := range []Code{Invalid, FieldRequired, FieldTooLong, ExtensionTooLong, OutsideArea, DeadlineInPast, UnknownPlace} {
		if Status(c) != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", c, Status(c))
		}
	}
}
