package events

import (
	"testing"
	"time"
)

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		filter, typ string
		want        bool
	}{
		{"", "case.dispatch", true},
		{"*", "whistle.summoned", true},
		{"case.*", "case.dispatch", true},
		{"case.*", "whistle.summoned", false},
		{"whistle.summoned", "whistle.summoned", true},
		{"whistle.summoned", "whistle.report", false},
		{" case.close , whistle.* ", "whistle.report", true},
		{"case.close", "case.closed", false},
		{"assessment.published", "assessment.published", true},
	} {
		if got := Matches(c.filter, c.typ); got != c.want {
			t.Errorf("Matches(%q, %q) = %v", c.filter, c.typ, got)
		}
	}
}

func TestValidFilter(t *testing.T) {
	for f, want := range map[string]bool{"": true, "case.*": true, "case.dispatch,whistle.*": true, "case/x": false, "a b": false, "<script>": false} {
		if ValidFilter(f) != want {
			t.Errorf("ValidFilter(%q) != %v", f, want)
		}
	}
}

func TestSubjectAndIDs(t *testing.T) {
	for got, want := range map[string]string{
		Subject(CaseType("dispatch")):    "whistle.case.dispatch",
		Subject(TypeWhistleSummoned):     "whistle.whistle.summoned",
		Subject(TypeAssessmentPublished): "whistle.assessment.published",
		ID("a1b2c3", 42):                 "evt_a1b2c3_42",
		CaseKey(7):                       "case:7",
		WhistleKey(3):                    "whistle:3",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_700_000_000, 0)
	sig := Sign(secret, now.Unix(), body)
	if len(sig) != len("sha256=")+64 || sig[:7] != "sha256=" {
		t.Fatalf("signature %q", sig)
	}
	for _, c := range []struct {
		name      string
		secret    []byte
		sig, ts   string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"good", secret, sig, "1700000000", body, now, 5 * time.Minute, nil},
		{"no tolerance check", secret, sig, "1700000000", body, now.Add(time.Hour), 0, nil},
		{"wrong secret", []byte("other"), sig, "1700000000", body, now, 5 * time.Minute, ErrBadSignature},
		{"body changed", secret, sig, "1700000000", []byte(`{"id":"evt_2"}`), now, 5 * time.Minute, ErrBadSignature},
		{"timestamp changed", secret, sig, "1700000001", body, now, 5 * time.Minute, ErrBadSignature},
		{"bad timestamp", secret, sig, "x", body, now, 5 * time.Minute, ErrBadSignature},
		{"stale", secret, sig, "1700000000", body, now.Add(6 * time.Minute), 5 * time.Minute, ErrStale},
		{"from the future", secret, sig, "1700000000", body, now.Add(-6 * time.Minute), 5 * time.Minute, ErrStale},
		{"no prefix", secret, sig[7:], "1700000000", body, now, 5 * time.Minute, ErrBadSignature},
	} {
		if got := Verify(c.secret, c.sig, c.ts, c.body, c.now, c.tolerance); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSignKnownVector(t *testing.T) {
	// Computed independently: printf '1700000000.hello' | openssl dgst -sha256 -hmac key
	got := Sign([]byte("key"), 1700000000, []byte("hello"))
	want := "sha256=4d583a269f4f276a3fa80ff31b5a01879a848096983222a17893d198418939aa"
	if got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Base: 10 * time.Second, Max: time.Minute, MaxAttempts: 5}
	for _, c := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0, 5 * time.Second},
		{1, 0.5, 7500 * time.Millisecond},
		{2, 0, 10 * time.Second},
		{3, 0, 20 * time.Second},
		{4, 0, 30 * time.Second}, // 80s capped at 60s, half of it fixed
		{9, 0, 30 * time.Second},
		{40, 0, 30 * time.Second}, // no overflow
		{0, 0, 5 * time.Second},
		{3, 2, 40*time.Second - 20*time.Microsecond},
	} {
		if got := b.Delay(c.n, c.r); got != c.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", c.n, c.r, got, c.want)
		}
	}
	for n, want := range map[int]bool{1: false, 4: false, 5: true, 6: true} {
		if b.Dead(n) != want {
			t.Errorf("Dead(%d) != %v", n, want)
		}
	}
	if (Backoff{Base: time.Second}).Dead(100) {
		t.Error("MaxAttempts 0 means never dead")
	}
}
