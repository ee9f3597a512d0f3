package gazetteer_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"whistle/internal/gazetteer"
)

// FuzzGeocode: any address a caller types is normalised and looked up
// without panicking. The normal form holds only letters, digits and '-',
// and is idempotent; the answer has at most limit candidates with
// confidences in [0, 1], and a match exactly when the best reaches the
// threshold.
func FuzzGeocode(f *testing.F) {
	for _, s := range []string{
		"临江区滨河街道翠湖嘉园5号楼", "人民路150号", "江川市临江区", "阳光家园", "翠湖新村五号楼二单元", "鼓楼区钟楼街道安华社区阳光家园门口",
		"人民路十字路口附近", "ＡＢＣ１２３号院", "第一人民医院对面", "一二三四五六七八九十百千万号楼", "99999999999999999999号", "-", "",
		"\x00\xff", "号号号楼楼栋幢座", strings.Repeat("人民路", 200),
	} {
		f.Add(s, uint8(5), uint8(70))
	}
	ix := smallCity()
	f.Fuzz(func(t *testing.T, text string, limit, thr uint8) {
		n := gazetteer.Normalize(text)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not UTF-8", text, n)
		}
		for _, r := range n {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
				t.Fatalf("Normalize(%q) = %q holds %q", text, n, r)
			}
		}
		if n2 := gazetteer.Normalize(n); n2 != n {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", text, n, n2)
		}
		lim := int(limit % 12)
		threshold := float64(thr%101) / 100
		res := ix.Geocode(text, lim, threshold)
		if lim <= 0 {
			lim = 5
		}
		if threshold <= 0 {
			threshold = gazetteer.DefaultThreshold
		}
		if len(res.Candidates) > lim {
			t.Fatalf("%d candidates, limit %d", len(res.Candidates), lim)
		}
		for _, c := range res.Candidates {
			if !(c.Confidence >= 0 && c.Confidence <= 1) || c.PlaceID == 0 {
				t.Fatalf("candidate %+v", c)
			}
		}
		if (res.Match == nil) != res.NeedsChoice {
			t.Fatalf("match %v, needs choice %v", res.Match, res.NeedsChoice)
		}
		if res.Match != nil && (res.Match.Confidence < threshold || res.Match.PlaceID != res.Candidates[0].PlaceID) {
			t.Fatalf("match %+v, threshold %v, best %+v", res.Match, threshold, res.Candidates[0])
		}
	})
}
