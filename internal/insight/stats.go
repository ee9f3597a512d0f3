package insight

import (
	"math"
	"sort"
)

// binomUpper is P(X ≥ x) for X ~ Binomial(n, p), continued to real x and n
// through the regularised incomplete beta function: P(X ≥ x) = I_p(x, n−x+1).
// Real arguments are what the quasi-binomial (overdispersed) test needs.
func binomUpper(x, n, p float64) float64 {
	switch {
	case x <= 0:
		return 1
	case x > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	return regIncBeta(x, n-x+1, p)
}

// regIncBeta is the regularised incomplete beta function I_x(a, b)
// (continued fraction, Lentz's method).
func regIncBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-12 {
			break
		}
	}
	return h
}

// normUpper is P(Z ≥ z) for a standard normal Z.
func normUpper(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// chi1Upper is P(χ²₁ ≥ g).
func chi1Upper(g float64) float64 {
	if g <= 0 {
		return 1
	}
	return math.Erfc(math.Sqrt(g / 2))
}

// bh returns the Benjamini–Hochberg adjusted p-values (q-values) of ps, in
// the same order: a test is a discovery at false-discovery rate q when its
// adjusted value is ≤ q.
func bh(ps []float64) []float64 {
	m := len(ps)
	out := make([]float64, m)
	if m == 0 {
		return out
	}
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	min := 1.0
	for r := m - 1; r >= 0; r-- {
		i := idx[r]
		v := ps[i] * float64(m) / float64(r+1)
		if v < min {
			min = v
		}
		out[i] = min
	}
	return out
}

// g2 is the log-likelihood ratio statistic G² of the 2×2 table
// [[a, n1−a], [b, n2−b]] (term present/absent in the current and the
// baseline documents).
func g2(a, n1, b, n2 float64) float64 {
	cells := [4]float64{a, n1 - a, b, n2 - b}
	rows := [2]float64{n1, n2}
	cols := [2]float64{a + b, n1 + n2 - a - b}
	n := n1 + n2
	var s float64
	for i, o := range cells {
		e := rows[i/2] * cols[i%2] / n
		if o > 0 && e > 0 {
			s += o * math.Log(o/e)
		}
	}
	return 2 * s
}
