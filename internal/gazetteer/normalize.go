package gazetteer

import (
	"strconv"
	"strings"
	"unicode"
)

// Normalize folds an address for matching: full-width forms to ASCII
// (０-９ → 0-9, Ａ → a), lower case, punctuation and spaces dropped, Chinese
// numerals before a number word turned into digits (五号楼 → 5号楼), and the
// house-number words 号院 / 号楼 / 栋 / 幢 / 座 after a number folded to 号.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
			b.WriteRune(r)
		}
	}
	// Folding can expose another fold (0号楼楼 → 0号楼 → 0号): repeat to
	// a fixed point, so that normalising is idempotent. Every fold makes
	// the string shorter, so this ends.
	out := b.String()
	for {
		next := foldNumbers(out)
		if next == out {
			return out
		}
		out = next
	}
}

var cnDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// numberWords follow a house, building, unit or group number.
var numberWords = []string{"号院", "号楼", "号", "栋", "幢", "座", "单元", "组", "层", "室", "弄", "巷", "条", "队"}

// houseWords are folded to 号 after digits.
var houseWords = []string{"号院", "号楼", "栋", "幢", "座"}

func foldNumbers(s string) string {
	rs := []rune(s)
	// Pass 1: Chinese numerals followed by a number word become digits.
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && isCnNumeral(rs[j]) {
			j++
		}
		if j == i {
			b.WriteRune(rs[i])
			i++
			continue
		}
		if n, ok := cnNumber(rs[i:j]); ok && followedByNumberWord(rs[j:]) {
			b.WriteString(strconv.Itoa(n))
		} else {
			b.WriteString(string(rs[i:j]))
		}
		i = j
	}
	// Pass 2: 号院 / 号楼 / 栋 / 幢 / 座 after digits become 号.
	s = b.String()
	b.Reset()
	for i := 0; i < len(s); {
		c := s[i]
		b.WriteByte(c)
		i++
		if c >= '0' && c <= '9' && (i == len(s) || s[i] < '0' || s[i] > '9') {
			for _, w := range houseWords {
				if strings.HasPrefix(s[i:], w) {
					b.WriteString("号")
					i += len(w)
					break
				}
			}
		}
	}
	return b.String()
}

func isCnNumeral(r rune) bool {
	_, ok := cnDigit[r]
	return ok || r == '十' || r == '百'
}

func followedByNumberWord(rs []rune) bool {
	s := string(rs)
	for _, w := range numberWords {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}

// cnNumber reads 1-999 written in Chinese numerals (十二, 二十, 一百零五, 三).
func cnNumber(rs []rune) (int, bool) {
	n, cur := 0, 0
	for i, r := range rs {
		switch r {
		case '百':
			if cur == 0 {
				cur = 1
			}
			n += cur * 100
			cur = 0
		case '十':
			if cur == 0 {
				cur = 1
			}
			n += cur * 10
			cur = 0
		default:
			d, ok := cnDigit[r]
			if !ok {
				return 0, false
			}
			if cur != 0 && i > 0 { // 一二 is not a number
				return 0, false
			}
			cur = d
		}
	}
	n += cur
	return n, n > 0
}

// edit returns the Levenshtein distance between a and b (runes).
func edit(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// within returns the smallest edit distance between pat and any substring
// of text (semi-global alignment: text's ends are free).
func within(pat, text []rune) int {
	prev := make([]int, len(text)+1) // row 0: all zero, a match may start anywhere
	cur := make([]int, len(text)+1)
	for i := 1; i <= len(pat); i++ {
		cur[0] = i
		for j := 1; j <= len(text); j++ {
			c := prev[j-1]
			if pat[i-1] != text[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	best := len(pat)
	for _, v := range prev {
		best = min(best, v)
	}
	return best
}
