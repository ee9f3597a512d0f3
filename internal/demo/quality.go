package demo

import (
	"math/rand/v2"
	"time"
)

// quality is how well a unit works: a base level (0 poor … 1 excellent)
// and a trend per month, so that units differ and some improve while others
// slip, and the monthly rankings move.
type quality struct {
	base  float64
	trend float64 // change of the level per month, around the middle of the year
	// wobble gives every month its own small ups and downs.
	wobble [13]float64
}

// buildQuality draws a quality for every unit that handles work.
func buildQuality(n int, rng *rand.Rand) []quality {
	out := make([]quality, n)
	for i := range out {
		q := &out[i]
		// Most units are decent, a few excellent, a few struggling.
		q.base = 0.35 + 0.6*(rng.Float64()+rng.Float64())/2
		switch x := rng.Float64(); {
		case x < 0.3:
			q.trend = 0.015 + 0.035*rng.Float64() // improving
		case x < 0.55:
			q.trend = -(0.015 + 0.035*rng.Float64()) // slipping
		default:
			q.trend = 0.01 * (rng.Float64() - 0.5)
		}
		for m := range q.wobble {
			q.wobble[m] = 0.12 * (rng.Float64() - 0.5)
		}
	}
	return out
}

// level is a unit's quality at t (0.05 … 0.94): no unit is perfect.
func (g *gen) level(unit int, t time.Time) float64 {
	if unit < 0 || unit >= len(g.quality) {
		return 0.7
	}
	q := &g.quality[unit]
	months := t.Sub(g.startT).Hours() / (24 * 30.4)
	mi := min(max(int(months), 0), len(q.wobble)-1)
	v := q.base + q.trend*(months-6) + q.wobble[mi]
	return min(max(v, 0.05), 0.94)
}
