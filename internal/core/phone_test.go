package core

import (
	"testing"

	"whistle/internal/errs"
)

func TestNormalizePhone(t *testing.T) {
	ok := map[string]string{
		"13812341234":       "13812341234",
		"138 1234 1234":     "13812341234",
		"138-1234-1234":     "13812341234",
		"+86 138 1234 1234": "13812341234",
		"008613812341234":   "13812341234",
		"１３８１２３４１２３４":       "13812341234", // full-width digits
		"010-65551234":      "01065551234",
		"(0571)87654321":    "057187654321",
		"95598":             "95598",
		"4008001234":        "4008001234",
	}
	for in, want := range ok {
		got, err := NormalizePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12812341234", "1381234123", "138123412345", "abc", "110", "13812341234x", "+1 415 555 0100"} {
		if _, err := NormalizePhone(bad); !errs.Is(err, errs.InvalidPhone) {
			t.Errorf("NormalizePhone(%q) error %v, want invalid_phone", bad, err)
		}
	}
}
