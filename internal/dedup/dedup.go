// Package dedup scores likely duplicates of a request (重复工单): open
// requests nearby, in the same or a sibling category, with similar text.
// It is pure: the cases service loads the candidates from the store.
package dedup

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Config tunes duplicate detection.
type Config struct {
	RadiusM  float64 `json:"radius_m"`  // metres; default 100
	MinText  float64 `json:"min_text"`  // minimum text similarity in [0,1]; default 0.25
	MinScore float64 `json:"min_score"` // minimum combined score in [0,1]; default 0.35
	Limit    int     `json:"limit"`     // at most this many results; default 10
}

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.RadiusM <= 0 {
		c.RadiusM = 100
	}
	if c.MinText <= 0 {
		c.MinText = 0.25
	}
	if c.MinScore <= 0 {
		c.MinScore = 0.35
	}
	if c.Limit <= 0 {
		c.Limit = 10
	}
	return c
}

// Request is a request as duplicate detection sees it.
type Request struct {
	ID       int64
	Number   string
	Category string
	Lat, Lon *float64
	Text     string // title and description
	// CommunityID is used when a side has no coordinates: then only
	// requests of the same community count as near.
	CommunityID int64
}

// Match is a likely duplicate with its scores.
type Match struct {
	ID         int64   `json:"id"`
	Number     string  `json:"number"`
	Category   string  `json:"category"`
	Relation   string  `json:"relation"`             // "same" or "sibling" category
	DistanceM  float64 `json:"distance_m,omitempty"` // -1 when unknown (same community)
	TextScore  float64 `json:"text_score"`
	Score      float64 `json:"score"`
	Title      string  `json:"title,omitempty"`
	SameCommun bool    `json:"same_community,omitempty"`
}

// DistanceM is the great-circle distance in metres (haversine).
func DistanceM(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// BoundingBox returns the latitude/longitude box around a point that holds
// every point within radius metres.
func BoundingBox(lat, lon, radius float64) (minLat, maxLat, minLon, maxLon float64) {
	dlat := radius / 111195.0
	c := math.Cos(lat * math.Pi / 180)
	dlon := 180.0
	if c > 1e-6 {
		dlon = math.Min(180, dlat/c)
	}
	return lat - dlat, lat + dlat, lon - dlon, lon + dlon
}

// Parent is a category's parent code ("" for a top level).
func Parent(code string) string {
	if i := strings.LastIndexByte(code, '.'); i >= 0 {
		return code[:i]
	}
	return ""
}

// Relation says how two categories relate: "same", "sibling" (same
// non-empty parent) or "" (unrelated).
func Relation(a, b string) string {
	switch {
	case a == b:
		return "same"
	case Parent(a) != "" && Parent(a) == Parent(b):
		return "sibling"
	}
	return ""
}

// grams appends the character bigrams of text to buf, each packed into a
// uint64 (letters and digits only, lower-cased; a run of one character
// counts as its own gram), and returns them sorted.
func grams(text string, buf []uint64) []uint64 {
	var prev rune
	run := 0
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			r = unicode.ToLower(r)
			if run > 0 {
				buf = append(buf, uint64(prev)<<32|uint64(r))
			}
			prev = r
			run++
			continue
		}
		if run == 1 {
			buf = append(buf, uint64(prev)<<32)
		}
		run = 0
	}
	if run == 1 {
		buf = append(buf, uint64(prev)<<32)
	}
	slices.Sort(buf)
	return buf
}

// profile is a text's bigram counts and their Euclidean norm.
type profile struct {
	counts map[uint64]float64
	norm   float64
}

func newProfile(text string) profile {
	p := profile{counts: map[uint64]float64{}}
	for _, g := range grams(text, nil) {
		p.counts[g]++
	}
	for _, n := range p.counts {
		p.norm += n * n
	}
	p.norm = math.Sqrt(p.norm)
	return p
}

// cosine compares the profile with a text whose sorted grams are gs.
func (p profile) cosine(gs []uint64) float64 {
	if p.norm == 0 || len(gs) == 0 {
		return 0
	}
	var dot, nn float64
	for i := 0; i < len(gs); {
		j := i + 1
		for j < len(gs) && gs[j] == gs[i] {
			j++
		}
		n := float64(j - i)
		dot += n * p.counts[gs[i]]
		nn += n * n
		i = j
	}
	return dot / (p.norm * math.Sqrt(nn))
}

// TextSimilarity is the cosine similarity of the texts' character bigram
// counts.
func TextSimilarity(a, b string) float64 { return newProfile(a).cosine(grams(b, nil)) }

// Score ranks candidates against req. A candidate counts when it is not
// req itself, its category is the same or a sibling, it is within the
// radius (or, when either side has no coordinates, in the same community),
// and its text similarity is at least MinText. The score is
// 0.6·text + 0.25·nearness + 0.15·category (1 same, 0.5 sibling), where
// nearness is 1 − distance/radius (0.5 for same-community matches without
// coordinates); matches at or above MinScore are returned, best first.
func Score(req Request, cands []Request, cfg Config) []Match {
	cfg = cfg.WithDefaults()
	prof := newProfile(req.Text)
	var buf []uint64
	var out []Match
	for _, c := range cands {
		if c.ID != 0 && c.ID == req.ID {
			continue
		}
		rel := Relation(req.Category, c.Category)
		if rel == "" {
			continue
		}
		m := Match{ID: c.ID, Number: c.Number, Category: c.Category, Relation: rel, DistanceM: -1}
		near := 0.5
		switch {
		case req.Lat != nil && c.Lat != nil:
			m.DistanceM = DistanceM(*req.Lat, *req.Lon, *c.Lat, *c.Lon)
			if m.DistanceM > cfg.RadiusM {
				continue
			}
			near = 1 - m.DistanceM/cfg.RadiusM
			m.DistanceM = math.Round(m.DistanceM*10) / 10
		case req.CommunityID != 0 && req.CommunityID == c.CommunityID:
			m.SameCommun = true
		default:
			continue
		}
		buf = grams(c.Text, buf[:0])
		m.TextScore = prof.cosine(buf)
		if m.TextScore < cfg.MinText {
			continue
		}
		catW := 1.0
		if rel == "sibling" {
			catW = 0.5
		}
		m.Score = 0.6*m.TextScore + 0.25*near + 0.15*catW
		if m.Score < cfg.MinScore {
			continue
		}
		m.TextScore = math.Round(m.TextScore*1000) / 1000
		m.Score = math.Round(m.Score*1000) / 1000
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > cfg.Limit {
		out = out[:cfg.Limit]
	}
	return out
}
