package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Algorithms.
const (
	SVM      = "svm"    // one-vs-rest L2-loss linear SVM, dual coordinate descent
	LR       = "lr"     // multinomial logistic regression, SGD
	NB       = "nb"     // multinomial naive Bayes on the TF-IDF vector
	SVMNB    = "svm+nb" // average of the calibrated SVM and NB probabilities
	SVMLR    = "svm+lr" // average of the calibrated SVM and LR probabilities
	NBSVM    = "nbsvm"  // one-vs-rest SVM on features scaled by each class's NB log-count ratio (Wang & Manning 2012)
	Default  = NBSVM
	maxBits  = 24
	minBits  = 10
	maxClass = 4096
)

// Algorithms lists the algorithms Train knows.
var Algorithms = []string{SVM, LR, NB, SVMNB, SVMLR, NBSVM}

// Example is one labelled text.
type Example struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// Options tune training. The zero value gives the defaults.
type Options struct {
	Algorithm  string  `json:"algorithm"`      // default svm
	Bits       int     `json:"bits"`           // hashed feature space is 2^Bits; default 18
	MinN       int     `json:"min_n"`          // shortest character n-gram; default 1
	MaxN       int     `json:"max_n"`          // longest character n-gram; default 2
	MinDF      int     `json:"min_df"`         // features seen in fewer training texts are dropped; default 2
	C          float64 `json:"c"`              // SVM cost; default 4
	Lambda     float64 `json:"lambda"`         // LR L2 penalty; default 1e-5
	Alpha      float64 `json:"alpha"`          // NB smoothing; default 0.01
	Epochs     int     `json:"epochs"`         // most passes over the data (SVM, LR); default 10 (SVM), 15 (LR)
	Seed       uint64  `json:"seed"`           // shuffling; default 1
	CalibFolds int     `json:"calib_folds"`    // folds for fitting the temperature; default 3; <0: no calibration (T = 1)
	CalibMax   int     `json:"calib_max"`      // at most this many texts in the calibration folds; default 20000
	Head       int     `json:"head,omitempty"` // the n-grams of the first Head runes are also features of their own; default 80; <0: none
	Weights    string  `json:"weights"`        // SVM class costs: "balanced" (default: each class's positives and negatives weigh the same in total) or "none"
	Workers    int     `json:"-"`              // parallel workers; default GOMAXPROCS
}

func (o Options) withDefaults() Options {
	if o.Algorithm == "" {
		o.Algorithm = Default
	}
	if o.Bits == 0 {
		o.Bits = 18
	}
	if o.MinN == 0 {
		o.MinN = 1
	}
	if o.MaxN == 0 {
		o.MaxN = 2
	}
	if o.MinDF == 0 {
		o.MinDF = 2
	}
	if o.C == 0 {
		o.C = 4
		if o.Algorithm == NBSVM {
			o.C = 1
		}
	}
	if o.Head == 0 {
		o.Head = 80
	}
	if o.Weights == "" {
		o.Weights = "balanced"
	}
	if o.Lambda == 0 {
		o.Lambda = 1e-5
	}
	if o.Alpha == 0 {
		o.Alpha = 0.01
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.CalibFolds == 0 {
		o.CalibFolds = 3
	}
	if o.CalibMax == 0 {
		o.CalibMax = 20000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

func (o Options) validate() error {
	if !validAlgo(o.Algorithm) {
		return fmt.Errorf("classify: unknown algorithm %q (one of %s)", o.Algorithm, strings.Join(Algorithms, ", "))
	}
	if o.Bits < minBits || o.Bits > maxBits {
		return fmt.Errorf("classify: bits must be %d–%d", minBits, maxBits)
	}
	if o.MinN < 1 || o.MaxN < o.MinN || o.MaxN > 6 {
		return errors.New("classify: n-gram range must satisfy 1 ≤ min_n ≤ max_n ≤ 6")
	}
	if o.Weights != "balanced" && o.Weights != "none" {
		return errors.New("classify: weights must be balanced or none")
	}
	if o.C < 0 || o.Lambda < 0 || o.Alpha < 0 || o.Epochs < 0 || o.MinDF < 0 {
		return errors.New("classify: negative option")
	}
	return nil
}

// validAlgo accepts one of Algorithms, or several base algorithms joined
// by "+" (their calibrated probabilities are averaged).
func validAlgo(a string) bool {
	if slices.Contains(Algorithms, a) {
		return true
	}
	parts := strings.Split(a, "+")
	for _, p := range parts {
		if p != SVM && p != LR && p != NB && p != NBSVM {
			return false
		}
	}
	return len(parts) > 1
}

// linear is one linear scorer over the feature space: score_c = W[f*C+c]·x_f + B[c],
// then softmax(score / Temp).
type linear struct {
	Algo string
	W    []float32 // feature-major: row f holds the C class weights of feature f
	B    []float32
	Temp float64
}

// Model is a trained classifier. It is safe for concurrent use.
type Model struct {
	Labels []string
	Opt    Options
	idf    []float32 // per hashed feature; 0 = not a feature of the model
	parts  []linear
	pool   sync.Pool
}

// Prediction is a label with its probability.
type Prediction struct {
	Label string  `json:"label"`
	Prob  float64 `json:"probability"`
}

// ErrNoData is returned when there is nothing (or only one label) to learn from.
var ErrNoData = errors.New("classify: need labelled texts of at least two labels")

// Train learns a model from the examples. Training is deterministic for
// given options (the seed); it stops early when ctx ends.
func Train(ctx context.Context, ex []Example, opt Options) (*Model, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	labels, y := labelIndex(ex)
	if len(labels) < 2 {
		return nil, ErrNoData
	}
	if len(labels) > maxClass {
		return nil, fmt.Errorf("classify: at most %d labels", maxClass)
	}
	counts := extract(ex, opt)
	return trainCounts(ctx, counts, y, labels, opt)
}

// labelIndex returns the sorted distinct labels and each example's label index.
func labelIndex(ex []Example) ([]string, []int) {
	set := map[string]bool{}
	for _, e := range ex {
		if e.Label != "" {
			set[e.Label] = true
		}
	}
	labels := make([]string, 0, len(set))
	for l := range set {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	pos := make(map[string]int, len(labels))
	for i, l := range labels {
		pos[l] = i
	}
	y := make([]int, len(ex))
	for i, e := range ex {
		y[i] = -1
		if p, ok := pos[e.Label]; ok {
			y[i] = p
		}
	}
	return labels, y
}

// docCounts are the hashed feature counts of the training texts.
type docCounts struct {
	idx [][]int32
	tf  [][]float32
}

func extract(ex []Example, opt Options) docCounts {
	d := docCounts{idx: make([][]int32, len(ex)), tf: make([][]float32, len(ex))}
	var wg sync.WaitGroup
	chunk := (len(ex) + opt.Workers - 1) / opt.Workers
	for w := 0; w < opt.Workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(ex))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			for i := lo; i < hi; i++ {
				d.idx[i], d.tf[i] = sc.countsHead(ex[i].Text, opt.Bits, opt.MinN, opt.MaxN, opt.Head)
			}
		}()
	}
	wg.Wait()
	return d
}

func (d docCounts) subset(rows []int) docCounts {
	s := docCounts{idx: make([][]int32, len(rows)), tf: make([][]float32, len(rows))}
	for i, r := range rows {
		s.idx[i], s.tf[i] = d.idx[r], d.tf[r]
	}
	return s
}

// idfOf computes smoothed idf, ln((1+N)/(1+df)) + 1, for features with df ≥ minDF.
func idfOf(d docCounts, y []int, bits, minDF int) []float32 {
	df := make([]int32, 1<<bits)
	n := 0
	for i, idx := range d.idx {
		if y[i] < 0 {
			continue
		}
		n++
		for _, f := range idx {
			df[f]++
		}
	}
	idf := make([]float32, len(df))
	for f, c := range df {
		if int(c) >= minDF && c > 0 {
			idf[f] = float32(math.Log(float64(1+n)/float64(1+c)) + 1)
		}
	}
	return idf
}

// vectors weighs the counts of the labelled rows with idf, in place
// (destroying the counts) or on copies.
func vectors(d docCounts, y []int, idf []float32, inPlace bool) ([]vec, []int) {
	var xs []vec
	var ys []int
	for i := range d.idx {
		if y[i] < 0 {
			continue
		}
		if inPlace {
			xs = append(xs, weigh(d.idx[i], d.tf[i], idf))
		} else {
			xs = append(xs, weigh(slices.Clone(d.idx[i]), slices.Clone(d.tf[i]), idf))
		}
		ys = append(ys, y[i])
	}
	return xs, ys
}

func trainCounts(ctx context.Context, d docCounts, y []int, labels []string, opt Options) (*Model, error) {
	algos := strings.Split(opt.Algorithm, "+")
	temps := make([]float64, len(algos))
	for i, algo := range algos {
		temps[i] = 1
		if opt.CalibFolds > 1 {
			t, err := calibrate(ctx, algo, d, y, len(labels), opt)
			if err != nil {
				return nil, err
			}
			temps[i] = t
		}
	}
	idf := idfOf(d, y, opt.Bits, opt.MinDF)
	xs, ys := vectors(d, y, idf, true) // the counts are not needed any more
	m := &Model{Labels: labels, Opt: opt, idf: idf}
	for i, algo := range algos {
		p, err := fit(ctx, algo, xs, ys, len(labels), opt)
		if err != nil {
			return nil, err
		}
		p.Temp = temps[i]
		m.parts = append(m.parts, p)
	}
	m.Opt.Workers = 0 // how it was trained, not how it is used
	return m, nil
}

// fit trains one linear scorer.
func fit(ctx context.Context, algo string, xs []vec, ys []int, nc int, opt Options) (linear, error) {
	switch algo {
	case SVM:
		return fitSVM(ctx, xs, ys, nc, opt, nil)
	case NBSVM:
		return fitSVM(ctx, xs, ys, nc, opt, nbRatios(xs, ys, nc, opt))
	case LR:
		return fitLR(ctx, xs, ys, nc, opt)
	case NB:
		return fitNB(xs, ys, nc, opt), nil
	}
	return linear{}, fmt.Errorf("classify: unknown algorithm %q", algo)
}

// calibrate fits the softmax temperature of one algorithm on out-of-fold
// scores: the (at most CalibMax) labelled texts are split into CalibFolds
// stratified folds, each is scored by a model trained on the others, and
// the temperature minimising the log loss of those scores is returned.
func calibrate(ctx context.Context, algo string, d docCounts, y []int, nc int, opt Options) (float64, error) {
	rows := make([]int, 0, len(y))
	for i, l := range y {
		if l >= 0 {
			rows = append(rows, i)
		}
	}
	if len(rows) > opt.CalibMax {
		r := rand.New(rand.NewPCG(opt.Seed, 0xca11b))
		r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		rows = rows[:opt.CalibMax]
		slices.Sort(rows)
	}
	sub := d.subset(rows)
	sy := make([]int, len(rows))
	for i, r := range rows {
		sy[i] = y[r]
	}
	folds := Folds(sy, opt.CalibFolds, opt.Seed+7)
	var scores [][]float64
	var truth []int
	for k := range opt.CalibFolds {
		trainY := make([]int, len(sy))
		for i := range sy {
			trainY[i] = sy[i]
			if folds[i] == k {
				trainY[i] = -1
			}
		}
		idf := idfOf(sub, trainY, opt.Bits, opt.MinDF)
		xs, ys := vectors(sub, trainY, idf, false)
		p, err := fit(ctx, algo, xs, ys, nc, opt)
		if err != nil {
			return 0, err
		}
		for i := range sy {
			if folds[i] != k {
				continue
			}
			x := weigh(slices.Clone(sub.idx[i]), slices.Clone(sub.tf[i]), idf)
			s := make([]float64, nc)
			p.score(x, s)
			scores = append(scores, s)
			truth = append(truth, sy[i])
		}
	}
	return fitTemperature(scores, truth), nil
}

// fitTemperature returns the T minimising the mean negative log-likelihood
// of softmax(score/T), by golden-section search over ln T in [ln 0.001, ln 1000].
func fitTemperature(scores [][]float64, truth []int) float64 {
	if len(scores) == 0 {
		return 1
	}
	nll := func(lt float64) float64 {
		t := math.Exp(lt)
		var sum float64
		for i, s := range scores {
			mx := math.Inf(-1)
			for _, v := range s {
				mx = max(mx, v/t)
			}
			var z float64
			for _, v := range s {
				z += math.Exp(v/t - mx)
			}
			sum += mx + math.Log(z) - s[truth[i]]/t
		}
		return sum / float64(len(scores))
	}
	a, b := math.Log(0.001), math.Log(1000)
	g := (math.Sqrt(5) - 1) / 2
	c, d := b-g*(b-a), a+g*(b-a)
	fc, fd := nll(c), nll(d)
	for range 80 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			fc = nll(c)
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			fd = nll(d)
		}
	}
	return math.Exp((a + b) / 2)
}

// score adds the raw class scores of x to s (len C).
func (p *linear) score(x vec, s []float64) {
	nc := len(p.B)
	for c := range s {
		s[c] = float64(p.B[c])
	}
	for i, f := range x.idx {
		v := x.val[i]
		row := p.W[int(f)*nc : int(f)*nc+nc]
		for c, w := range row {
			s[c] += float64(w * v)
		}
	}
}

// softmaxInto writes softmax(s/T) into out.
func softmaxInto(s []float64, t float64, out []float64) {
	mx := math.Inf(-1)
	for _, v := range s {
		mx = max(mx, v/t)
	}
	var z float64
	for c, v := range s {
		out[c] = math.Exp(v/t - mx)
		z += out[c]
	}
	for c := range out {
		out[c] /= z
	}
}

// ---- SVM: one-vs-rest, L2-regularised L2-loss, dual coordinate descent
// (Hsieh et al. 2008, as in LIBLINEAR), with a bias feature of value 1.
// The classes are trained side by side: every class visits the texts in the
// same (seeded) order, and the scores of all of a worker's classes for a
// text are computed in one pass over the feature-major weights, which keeps
// memory access sequential. A class stops when its projected gradients are
// within 0.1 of each other (LIBLINEAR's criterion) or after Epochs passes;
// each class's result does not depend on how classes are split over workers.

// nbRatios returns, feature-major, each class's log-count ratio
// r = ln((p/|p|₁)/(q/|q|₁)) of the binarised features, p counting the texts
// of the class and q the others, both smoothed by 1.
func nbRatios(xs []vec, ys []int, nc int, opt Options) []float32 {
	d := 1 << opt.Bits
	cnt := make([]float32, d*nc)
	tot := make([]float32, d)
	seen := make([]bool, d)
	for i, x := range xs {
		for _, f := range x.idx {
			cnt[int(f)*nc+ys[i]]++
			tot[f]++
			seen[f] = true
		}
	}
	sumP := make([]float64, nc)
	sumQ := make([]float64, nc)
	for f := range d {
		if !seen[f] {
			continue
		}
		for c := range nc {
			p := float64(cnt[f*nc+c])
			sumP[c] += p + 1
			sumQ[c] += float64(tot[f]) - p + 1
		}
	}
	R := cnt // reused in place
	for f := range d {
		if !seen[f] {
			continue
		}
		for c := range nc {
			p := float64(cnt[f*nc+c])
			q := float64(tot[f]) - p
			R[f*nc+c] = float32(math.Log(((p + 1) / sumP[c]) / ((q + 1) / sumQ[c])))
		}
	}
	return R
}

// fitSVM trains the one-vs-rest SVM; with R (feature-major per-class
// scales, see nbRatios) class c sees feature f scaled by R[f·C+c], and the
// weights returned include the scale.
func fitSVM(ctx context.Context, xs []vec, ys []int, nc int, opt Options, R []float32) (linear, error) {
	epochs := opt.Epochs
	if epochs == 0 {
		epochs = 10
	}
	W := make([]float32, (1<<opt.Bits)*nc)
	B := make([]float64, nc)
	npos := make([]int, nc)
	for _, l := range ys {
		npos[l]++
	}
	// Balanced costs: a class's positives and negatives weigh the same in
	// total (scaled so that the mean cost is C).
	dPos, dNeg := make([]float64, nc), make([]float64, nc)
	n := float64(len(ys))
	for c := range nc {
		cPos, cNeg := opt.C, opt.C
		if opt.Weights == "balanced" && npos[c] > 0 && npos[c] < len(ys) {
			cPos = opt.C * n / (2 * float64(npos[c]))
			cNeg = opt.C * n / (2 * (n - float64(npos[c])))
		}
		dPos[c], dNeg[c] = 1/(2*cPos), 1/(2*cNeg)
	}
	sq := make([]float64, len(xs)*nc) // per text and class: |x|² with the bias feature
	for i, x := range xs {
		for c := range nc {
			s := 1.0 // the bias feature
			for k, v := range x.val {
				if R != nil {
					v *= R[int(x.idx[k])*nc+c]
				}
				s += float64(v) * float64(v)
			}
			sq[i*nc+c] = s
		}
	}
	alpha := make([]float32, len(xs)*nc)
	workers := min(opt.Workers, nc)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*nc/workers, (w+1)*nc/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			svmClasses(ctx, xs, ys, nc, lo, hi, epochs, opt.Seed, W, B, alpha, sq, dPos, dNeg, R)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return linear{}, err
	}
	b := make([]float32, nc)
	for c := range B {
		b[c] = float32(B[c])
	}
	algo := SVM
	if R != nil {
		algo = NBSVM
		for j := range W {
			W[j] *= R[j]
		}
	}
	return linear{Algo: algo, W: W, B: b}, nil
}

// svmClasses trains classes lo..hi-1.
func svmClasses(ctx context.Context, xs []vec, ys []int, nc, lo, hi, epochs int, seed uint64, W []float32, B []float64,
	alpha []float32, sq, dPos, dNeg []float64, R []float32) {
	m := hi - lo
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0x5e3))
	sc := make([]float32, m)
	done := make([]bool, m)
	pgMax, pgMin := make([]float64, m), make([]float64, m)
	left := m
	for ep := 0; ep < epochs && left > 0; ep++ {
		if ctx.Err() != nil {
			return
		}
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for j := range m {
			pgMax[j], pgMin[j] = math.Inf(-1), math.Inf(1)
		}
		for _, i := range order {
			x := xs[i]
			clear(sc)
			for k, f := range x.idx {
				v := x.val[k]
				row := W[int(f)*nc+lo : int(f)*nc+hi]
				if R != nil {
					rr := R[int(f)*nc+lo : int(f)*nc+hi]
					for j, w := range row {
						sc[j] += w * v * rr[j]
					}
					continue
				}
				for j, w := range row {
					sc[j] += w * v
				}
			}
			for j := range m {
				if done[j] {
					continue
				}
				c := lo + j
				yi, diag := -1.0, dNeg[c]
				if ys[i] == c {
					yi, diag = 1, dPos[c]
				}
				a := float64(alpha[i*nc+c])
				g := yi*(float64(sc[j])+B[c]) - 1 + diag*a
				pg := g
				if a == 0 {
					pg = min(g, 0)
				}
				pgMax[j], pgMin[j] = max(pgMax[j], pg), min(pgMin[j], pg)
				if math.Abs(pg) < 1e-12 {
					continue
				}
				na := max(a-g/(sq[i*nc+c]+diag), 0)
				alpha[i*nc+c] = float32(na)
				delta := float32((float64(float32(na)) - a) * yi)
				if R != nil {
					for k, f := range x.idx {
						W[int(f)*nc+c] += delta * x.val[k] * R[int(f)*nc+c]
					}
				} else {
					for k, f := range x.idx {
						W[int(f)*nc+c] += delta * x.val[k]
					}
				}
				B[c] += float64(delta)
			}
		}
		for j := range m {
			if !done[j] && pgMax[j]-pgMin[j] <= 0.1 {
				done[j] = true
				left--
			}
		}
	}
}

// ---- LR: multinomial logistic regression by SGD with a decaying step
// (Bottou's 1/(λ(t+t0)) schedule capped at 0.5) and L2 by weight scaling.

func fitLR(ctx context.Context, xs []vec, ys []int, nc int, opt Options) (linear, error) {
	epochs := opt.Epochs
	if epochs == 0 {
		epochs = 15
	}
	d := 1 << opt.Bits
	W := make([]float32, d*nc)
	B := make([]float64, nc)
	scale := 1.0
	lambda := opt.Lambda
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(opt.Seed, 0x10c))
	s := make([]float64, nc)
	p := make([]float64, nc)
	t := 0.0
	const eta0 = 0.5
	for ep := 0; ep < epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return linear{}, err
		}
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			x := xs[i]
			eta := eta0 / (1 + eta0*lambda*t)
			t++
			copy(s, B)
			for k, f := range x.idx {
				v := float64(x.val[k]) * scale
				row := W[int(f)*nc : int(f)*nc+nc]
				for c, wv := range row {
					s[c] += float64(wv) * v
				}
			}
			softmaxInto(s, 1, p)
			p[ys[i]]--
			scale *= 1 - eta*lambda
			if scale < 1e-6 {
				for j := range W {
					W[j] *= float32(scale)
				}
				scale = 1
			}
			step := eta / scale
			for k, f := range x.idx {
				v := float64(x.val[k]) * step
				row := W[int(f)*nc : int(f)*nc+nc]
				for c := range row {
					row[c] -= float32(p[c] * v)
				}
			}
			for c := range B {
				B[c] -= eta * p[c]
			}
		}
	}
	for j := range W {
		W[j] *= float32(scale)
	}
	b := make([]float32, nc)
	for c := range B {
		b[c] = float32(B[c])
	}
	return linear{Algo: LR, W: W, B: b}, nil
}

// ---- NB: multinomial naive Bayes with the TF-IDF values as counts
// (features outside the training vocabulary have idf 0 and never count).

func fitNB(xs []vec, ys []int, nc int, opt Options) linear {
	d := 1 << opt.Bits
	W := make([]float32, d*nc)
	tot := make([]float64, nc)
	prior := make([]float64, nc)
	seen := make([]bool, d)
	for i, x := range xs {
		c := ys[i]
		prior[c]++
		for k, f := range x.idx {
			W[int(f)*nc+c] += x.val[k]
			tot[c] += float64(x.val[k])
			seen[f] = true
		}
	}
	vocab := 0
	for _, s := range seen {
		if s {
			vocab++
		}
	}
	B := make([]float32, nc)
	for c := range nc {
		B[c] = float32(math.Log((prior[c] + 1) / (float64(len(xs)) + float64(nc))))
	}
	for f := range d {
		if !seen[f] {
			continue
		}
		row := W[f*nc : f*nc+nc]
		for c := range row {
			row[c] = float32(math.Log((float64(row[c]) + opt.Alpha) / (tot[c] + opt.Alpha*float64(vocab))))
		}
	}
	return linear{Algo: NB, W: W, B: B}
}

// ---- prediction

type predictBuf struct {
	sc    scratch
	s, p  []float64
	probs []float64
}

// Probs returns the calibrated probability of every label (in m.Labels order).
func (m *Model) Probs(text string) []float64 {
	buf, _ := m.pool.Get().(*predictBuf)
	if buf == nil {
		nc := len(m.Labels)
		buf = &predictBuf{s: make([]float64, nc), p: make([]float64, nc), probs: make([]float64, nc)}
	}
	defer m.pool.Put(buf)
	idx, tf := buf.sc.countsHead(text, m.Opt.Bits, m.Opt.MinN, m.Opt.MaxN, m.Opt.Head)
	x := weigh(idx, tf, m.idf)
	out := make([]float64, len(m.Labels))
	for i := range m.parts {
		m.parts[i].score(x, buf.s)
		softmaxInto(buf.s, m.parts[i].Temp, buf.p)
		for c, v := range buf.p {
			out[c] += v / float64(len(m.parts))
		}
	}
	return out
}

// Predict returns the k most probable labels, most probable first (ties by label).
func (m *Model) Predict(text string, k int) []Prediction {
	return topK(m.Labels, m.Probs(text), k)
}

func topK(labels []string, probs []float64, k int) []Prediction {
	out := make([]Prediction, len(labels))
	for c, l := range labels {
		out[c] = Prediction{Label: l, Prob: probs[c]}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Prob != out[j].Prob {
			return out[i].Prob > out[j].Prob
		}
		return out[i].Label < out[j].Label
	})
	if k > 0 && k < len(out) {
		out = out[:k]
	}
	return out
}
