package classify

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTokenizer: the normaliser and the n-gram hashing of the classifier
// take any text (a citizen's description) without panicking; the normal
// form is idempotent, has no leading, trailing or doubled separator and no
// run of digits, and every feature index is inside the feature space.
func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{
		"路口有流动摊贩长期占用人行道摆摊，行人只能走机动车道。",
		"ＡＢＣ１２３　全角 ＡＢＣ", "12号楼3单元502室 噪音扰民!!!", "WiFi 5G 信号差", "",
		"\x00\xff\xfe", "\u202e\u0301e\u0308", "İstanbul ǅ ß ﬁ", "𠀀𪚥 𝟘𝟙 ٣٤", "   \t\n  ", strings.Repeat("长", 300),
	} {
		f.Add(s, uint8(1), uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, minN, maxN uint8) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not UTF-8", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("Normalize not idempotent: %q → %q → %q", s, n, n2)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") || strings.Contains(n, "00") {
			t.Fatalf("Normalize(%q) = %q", s, n)
		}
		lo, hi := int(minN%6)+1, int(maxN%6)+1
		if hi < lo {
			lo, hi = hi, lo
		}
		runes := normRunes(s)
		hs := hashGrams(nil, runes, lo, hi)
		if lo == 1 && n != "" && len(hs) == 0 {
			t.Fatalf("no n-grams for %q (%d..%d)", n, lo, hi)
		}
		var sc scratch
		idx, tf := sc.counts(s, minBits, lo, hi)
		if len(idx) != len(tf) {
			t.Fatalf("%d features, %d counts", len(idx), len(tf))
		}
		total := 0
		for i, f := range idx {
			if f < 0 || f >= 1<<minBits || tf[i] < 1 {
				t.Fatalf("feature %d count %v", f, tf[i])
			}
			total += int(tf[i])
		}
		if total != len(hs) {
			t.Fatalf("counts add to %d, %d n-grams", total, len(hs))
		}
	})
}

// FuzzReadExamples: a training file (CSV, TSV, JSON lines, maybe gzipped)
// is read without panicking; every example read has a text and a label.
func FuzzReadExamples(f *testing.F) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	f.Add([]byte("text,label\n路灯不亮,urban.light\n\"多行\n文本\",noise\n"), uint8(0))
	f.Add([]byte("\xEF\xBB\xBFcontent\tcategory\n噪音扰民\tnoise\n\t\n"), uint8(1))
	f.Add([]byte(`{"text":"占道经营","label":"urban.stall"}`+"\n"+`{"text":1}`+"\n"), uint8(2))
	f.Add(gz("text,label\na,b\n"), uint8(0))
	f.Add([]byte("text,label\n\"unterminated,x\n"), uint8(3))
	f.Add([]byte("label\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		if len(data) > 64<<10 {
			return
		}
		name := []string{"x.csv", "x.tsv", "x.jsonl", "x", "x.csv.gz", "x.json"}[int(kind)%6]
		ex, err := Read(bytes.NewReader(data), name)
		if err != nil {
			return
		}
		for _, e := range ex {
			if strings.TrimSpace(e.Text) == "" || strings.TrimSpace(e.Label) == "" {
				t.Fatalf("example without text or label: %+v", e)
			}
		}
	})
}
