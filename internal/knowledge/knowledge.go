// Package knowledge is the knowledge base (知识库) agents answer
// consultations from: articles with validity dates and an in-memory
// full-text index over character bigrams, so that Chinese text (which has no
// spaces between words) is searched the same way whatever the database. It
// is pure; the cases service rebuilds the index from the store on change.
package knowledge

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Article is one knowledge-base entry.
type Article struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Categories  []string  `json:"categories,omitempty"` // category codes (or prefixes) it answers
	ValidFrom   time.Time `json:"valid_from,omitzero"`  // zero = always
	ValidTo     time.Time `json:"valid_to,omitzero"`    // exclusive; zero = open-ended
	OwnerUnitID int64     `json:"owner_unit_id,omitempty"`
	Version     int64     `json:"version"`
	CreatedBy   int64     `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Ref is how a case refers to an article ("KB-17").
func Ref(id int64) string { return "KB-" + strconv.FormatInt(id, 10) }

// ParseRef reads "KB-17", "kb-17" or "17".
func ParseRef(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.EqualFold(s[:3], "KB-") {
		s = s[3:]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// ValidAt reports whether the article is in force at t.
func (a *Article) ValidAt(t time.Time) bool {
	return (a.ValidFrom.IsZero() || !t.Before(a.ValidFrom)) && (a.ValidTo.IsZero() || t.Before(a.ValidTo))
}

// Covers reports whether the article is about category (an article without
// categories covers every one; a listed code covers its descendants).
func (a *Article) Covers(category string) bool {
	if len(a.Categories) == 0 || category == "" {
		return true
	}
	for _, c := range a.Categories {
		if c == category || strings.HasPrefix(category, c+".") {
			return true
		}
	}
	return false
}

// Validate checks an article's fields.
func (a *Article) Validate() (field, detail string, ok bool) {
	switch {
	case strings.TrimSpace(a.Title) == "":
		return "title", "required", false
	case len([]rune(a.Title)) > 200:
		return "title", "max 200 characters", false
	case strings.TrimSpace(a.Body) == "":
		return "body", "required", false
	case len([]rune(a.Body)) > 20000:
		return "body", "max 20000 characters", false
	case len(a.Categories) > 50:
		return "categories", "at most 50", false
	case !a.ValidFrom.IsZero() && !a.ValidTo.IsZero() && !a.ValidTo.After(a.ValidFrom):
		return "valid_to", "must be after valid_from", false
	}
	return "", "", true
}

// Terms splits text into index terms: the bigrams of each run of CJK
// characters (a lone character is a term), and each run of Latin letters or
// digits as one lower-cased word. Terms are substrings of text where
// possible, so splitting allocates little.
func Terms(text string) []string {
	out := make([]string, 0, len(text)/3)
	hanRun, prevStart := 0, 0 // length of the current Han run, start of its last rune
	wordStart := -1
	endHan := func() {
		if hanRun == 1 {
			out = append(out, text[prevStart:prevStart+utf8.RuneLen(rune0(text[prevStart:]))])
		}
		hanRun = 0
	}
	endWord := func(i int) {
		if wordStart >= 0 {
			out = append(out, strings.ToLower(text[wordStart:i]))
		}
		wordStart = -1
	}
	for i, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			endWord(i)
			if hanRun > 0 {
				out = append(out, text[prevStart:i+utf8.RuneLen(r)])
			}
			hanRun++
			prevStart = i
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			endHan()
			if wordStart < 0 {
				wordStart = i
			}
		default:
			endHan()
			endWord(i)
		}
	}
	endHan()
	endWord(len(text))
	return out
}

func rune0(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

type posting struct {
	doc int32
	w   float32 // the BM25 term-frequency component, length-normalised
}

type term struct {
	idf      float32
	postings []posting
}

// Index is an immutable BM25 index over articles (title terms count
// titleWeight times). Build a new one on change.
type Index struct {
	docs  []Article
	terms map[string]*term
}

const (
	titleWeight = 3
	k1          = 1.2
	b           = 0.75
)

// Build indexes articles.
func Build(articles []Article) *Index {
	ix := &Index{docs: slices.Clone(articles), terms: map[string]*term{}}
	tfs := make([]map[string]float64, len(ix.docs))
	lengths := make([]float64, len(ix.docs))
	var total float64
	for i := range ix.docs {
		a := &ix.docs[i]
		tf := map[string]float64{}
		for _, t := range Terms(a.Title) {
			tf[t] += titleWeight
		}
		for _, t := range Terms(a.Body) {
			tf[t]++
		}
		for _, f := range tf {
			lengths[i] += f
		}
		tfs[i] = tf
		total += lengths[i]
	}
	avg := 1.0
	if len(ix.docs) > 0 && total > 0 {
		avg = total / float64(len(ix.docs))
	}
	for i, tf := range tfs {
		for t, f := range tf {
			x := ix.terms[t]
			if x == nil {
				x = &term{}
				ix.terms[t] = x
			}
			x.postings = append(x.postings, posting{int32(i), float32(f * (k1 + 1) / (f + k1*(1-b+b*lengths[i]/avg)))})
		}
	}
	n := float64(len(ix.docs))
	for _, x := range ix.terms {
		df := float64(len(x.postings))
		x.idf = float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
	}
	return ix
}

// Len is the number of indexed articles.
func (ix *Index) Len() int { return len(ix.docs) }

// Article returns an indexed article by id.
func (ix *Index) Article(id int64) (Article, bool) {
	for _, a := range ix.docs {
		if a.ID == id {
			return a, true
		}
	}
	return Article{}, false
}

// Query selects articles.
type Query struct {
	Text     string
	Category string    // only articles covering it ("" = any)
	At       time.Time // only articles valid then (zero = no validity filter)
	Limit    int       // default 10
}

// Hit is a search result.
type Hit struct {
	Article Article `json:"article"`
	Score   float64 `json:"score"`
}

// Search ranks articles by BM25 over the query's terms.
func (ix *Index) Search(q Query) []Hit {
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	if ix == nil || len(ix.docs) == 0 {
		return []Hit{}
	}
	seen := map[string]bool{}
	scores := make([]float32, len(ix.docs))
	var touched []int32
	for _, t := range Terms(q.Text) {
		if seen[t] {
			continue
		}
		seen[t] = true
		x := ix.terms[t]
		if x == nil {
			continue
		}
		for _, p := range x.postings {
			if scores[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			scores[p.doc] += x.idf * p.w
		}
	}
	type scored struct {
		doc   int32
		score float64
	}
	ranked := make([]scored, 0, len(touched))
	for _, d := range touched {
		a := &ix.docs[d]
		if (!q.At.IsZero() && !a.ValidAt(q.At)) || !a.Covers(q.Category) {
			continue
		}
		ranked = append(ranked, scored{d, math.Round(float64(scores[d])*1000) / 1000})
	}
	slices.SortFunc(ranked, func(x, y scored) int {
		if c := cmp.Compare(y.score, x.score); c != 0 {
			return c
		}
		return cmp.Compare(ix.docs[x.doc].ID, ix.docs[y.doc].ID)
	})
	hits := make([]Hit, 0, min(len(ranked), limit))
	for _, r := range ranked[:min(len(ranked), limit)] {
		hits = append(hits, Hit{Article: ix.docs[r.doc], Score: r.score})
	}
	return hits
}

// String describes the index (for logs).
func (ix *Index) String() string {
	return fmt.Sprintf("knowledge index: %d articles, %d terms", len(ix.docs), len(ix.terms))
}
