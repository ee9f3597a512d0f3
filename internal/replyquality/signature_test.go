package replyquality

import (
	"slices"
	"testing"
)

func TestSignature(t *testing.T) {
	a := "您好，您反映的和平路12号小区门口路灯不亮的问题已收悉，我局已于5月3日派人维修，路灯已恢复照明，感谢您的监督。"
	near := "您好，您反映的和平路14号小区门口路灯不亮的问题已收悉，我局已于5月3日派人维修，路灯已恢复照明，感谢您的监督。"
	other := "您好，关于幸福街道菜市场北门每晚摆摊经营、油烟和噪音扰民的问题，城管执法队已于6月1日现场查处并责令整改。"
	sa, sn, so := SignatureOf(a), SignatureOf(near), SignatureOf(other)
	for _, tc := range []struct {
		name     string
		x, y     Signature
		lo, hi   float64
		shareBnd bool
	}{
		{"itself", sa, sa, 1, 1, true},
		{"a near-copy", sa, sn, Similar(a, near) - 0.2, Similar(a, near) + 0.2, true},
		{"another reply", sa, so, 0, 0.1, false},
		{"no signature", sa, nil, 0, 0, false},
		{"lengths differ", sa, sa[:8], 0, 0, false},
	} {
		got := tc.x.Similarity(tc.y)
		if got < tc.lo || got > tc.hi {
			t.Errorf("%s: similarity %.3f, want [%.2f, %.2f]", tc.name, got, tc.lo, tc.hi)
		}
		shared := false
		for _, b := range tc.y.Bands() {
			shared = shared || slices.Contains(tc.x.Bands(), b)
		}
		if shared != tc.shareBnd {
			t.Errorf("%s: shares a band %v, want %v", tc.name, shared, tc.shareBnd)
		}
	}
	if SignatureOf("，。！") != nil {
		t.Error("punctuation alone has a signature")
	}
	if n := len(sa.Bands()); n != bands {
		t.Errorf("%d bands", n)
	}
	back, err := ParseSignature(sa.String())
	if err != nil || !slices.Equal(back, sa) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"zz", "0102"} {
		if _, err := ParseSignature(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if s, err := ParseSignature(""); err != nil || s != nil {
		t.Errorf("empty: %v %v", s, err)
	}
}

func TestCheckPastSignatures(t *testing.T) {
	msg := "和平路12号小区门口路灯不亮已经一周，请尽快维修。"
	reply := "您好，关于和平路12号小区门口路灯不亮的问题，我局已于5月3日派人维修，路灯已恢复照明。感谢您的监督。"
	for _, tc := range []struct {
		name     string
		past     []Signature
		nearCopy bool
		level    string
	}{
		{"no past replies", nil, false, Good},
		{"the same reply before", []Signature{SignatureOf(reply)}, true, Bad},
		{"other replies before", []Signature{SignatureOf("您好，关于幸福街道菜市场北门摆摊经营的问题，城管已于5月3日现场查处。")}, false, Good},
	} {
		ch := corpus.Check(msg, reply, Options{PastSigs: tc.past})
		o, _ := ch.Score(Original)
		if ch.NearCopy != tc.nearCopy || o.Level != tc.level {
			t.Errorf("%s: near-copy %v, original %+v", tc.name, ch.NearCopy, o)
		}
		if ch.Weak() != tc.nearCopy {
			t.Errorf("%s: weak %v", tc.name, ch.Weak())
		}
	}
}

func TestWeak(t *testing.T) {
	sc := func(dim, lvl string) Score {
		v := map[string]float64{Good: 0.9, Warn: 0.5, Bad: 0.05}[lvl]
		return Score{Dim: dim, Level: lvl, Value: v}
	}
	for _, tc := range []struct {
		name string
		c    Check
		want bool
	}{
		{"good overall", Check{Overall: 0.8, Scores: []Score{sc(Relevance, Good), sc(Original, Good), sc(Basis, Bad)}}, false},
		{"low overall", Check{Overall: 0.39, Scores: []Score{sc(Relevance, Good)}}, true},
		{"overall at the line", Check{Overall: 0.4, Scores: []Score{sc(Relevance, Good)}}, false},
		{"relevance bad, not off the subject", Check{Overall: 0.6, Scores: []Score{{Dim: Relevance, Level: Bad, Value: 0.3}, sc(Original, Good)}}, false},
		{"off the subject", Check{Overall: 0.7, Scores: []Score{sc(Relevance, Bad), sc(Original, Good)}}, true},
		{"boilerplate", Check{Overall: 0.7, Scores: []Score{sc(Relevance, Good), sc(Original, Bad)}}, true},
		{"a warning is not weak", Check{Overall: 0.6, Scores: []Score{sc(Relevance, Warn), sc(Original, Warn)}}, false},
	} {
		if got := tc.c.Weak(); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
