package web

import (
	"testing"

	"whistle/internal/dutylist"
)

// Reasons without a unit or a category are worded from the catalogue in
// the reader's language; suggestions recorded without a code keep their
// Chinese words.
func TestWhyTextWithoutData(t *testing.T) {
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cat: cat}
	for _, tc := range []struct {
		lang string
		why  any
		want string
	}{
		{"en", dutylist.Why{Code: dutylist.WhyNoList}, "No duty list published yet: dispatch by hand"},
		{"en", &dutylist.Why{Code: dutylist.WhyNoMatch}, "No rule matches: dispatch by hand"},
		{"zh", dutylist.Why{Code: dutylist.WhyNoMatch}, "无匹配规则，请人工派单"},
		{"en", (*dutylist.Why)(nil), "规则 3: 旧记录"},
		{"en", dutylist.Why{}, "规则 3: 旧记录"},
	} {
		if got := s.whyText(tc.lang, tc.why, "规则 3: 旧记录"); got != tc.want {
			t.Errorf("%s %#v: %q, want %q", tc.lang, tc.why, got, tc.want)
		}
	}
}
