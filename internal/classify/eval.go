package classify

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// ClassFigures are the figures of one label.
type ClassFigures struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // test texts with this label
}

// Report is an evaluation: accuracy of the first and of the first three
// suggestions, macro-averaged F1, per-label figures, log loss and expected
// calibration error of the top suggestion (how far its probability is from
// how often it is right, over 10 bins), training time and prediction speed.
// For cross-validation every figure is the mean over the folds (supports
// are summed) and Top1Std is the standard deviation of top-1 over the folds.
type Report struct {
	Algorithm   string                  `json:"algorithm"`
	Folds       int                     `json:"folds,omitempty"`
	Seed        uint64                  `json:"seed,omitempty"`
	Train       int                     `json:"train"` // training texts (per fold for CV)
	Test        int                     `json:"test"`  // evaluated texts (all folds for CV)
	Top1        float64                 `json:"top1"`
	Top1Std     float64                 `json:"top1_std,omitempty"`
	Top3        float64                 `json:"top3"`
	MacroF1     float64                 `json:"macro_f1"`
	LogLoss     float64                 `json:"log_loss"`
	ECE         float64                 `json:"ece"`
	PerClass    map[string]ClassFigures `json:"per_class"`
	TrainS      float64                 `json:"train_s"` // seconds to train (mean per fold for CV)
	PredictPerS float64                 `json:"predict_per_s"`
}

// Evaluate trains on train and measures on test.
func Evaluate(ctx context.Context, train, test []Example, opt Options) (Report, error) {
	t0 := time.Now()
	m, err := Train(ctx, train, opt)
	if err != nil {
		return Report{}, err
	}
	trainS := time.Since(t0).Seconds()
	r, err := m.Measure(ctx, test)
	if err != nil {
		return Report{}, err
	}
	r.Train, r.TrainS = len(train), trainS
	return r, nil
}

// Measure evaluates the model on labelled texts. Texts whose label the
// model does not know count as misses.
func (m *Model) Measure(ctx context.Context, test []Example) (Report, error) {
	if len(test) == 0 {
		return Report{}, fmt.Errorf("classify: no test texts")
	}
	pos := map[string]int{}
	for i, l := range m.Labels {
		pos[l] = i
	}
	var (
		top1, top3 int
		logLoss    float64
		tp         = map[string]int{}
		predicted  = map[string]int{}
		support    = map[string]int{}
		binN       [10]int
		binConf    [10]float64
		binHit     [10]int
	)
	start := time.Now()
	for i, e := range test {
		if i%256 == 0 && ctx.Err() != nil {
			return Report{}, ctx.Err()
		}
		probs := m.Probs(e.Text)
		top := topK(m.Labels, probs, 3)
		support[e.Label]++
		predicted[top[0].Label]++
		hit := top[0].Label == e.Label
		if hit {
			top1++
			tp[e.Label]++
		}
		for _, p := range top {
			if p.Label == e.Label {
				top3++
				break
			}
		}
		p := 1e-15
		if c, ok := pos[e.Label]; ok {
			p = max(probs[c], 1e-15)
		}
		logLoss -= math.Log(p)
		b := min(int(top[0].Prob*10), 9)
		binN[b]++
		binConf[b] += top[0].Prob
		if hit {
			binHit[b]++
		}
	}
	elapsed := time.Since(start).Seconds()
	n := float64(len(test))
	r := Report{Algorithm: m.Opt.Algorithm, Test: len(test), Top1: float64(top1) / n, Top3: float64(top3) / n,
		LogLoss: logLoss / n, PerClass: map[string]ClassFigures{}}
	if elapsed > 0 {
		r.PredictPerS = n / elapsed
	}
	for b := range binN {
		if binN[b] > 0 {
			r.ECE += math.Abs(binConf[b]-float64(binHit[b])) / n
		}
	}
	labels := map[string]bool{}
	for l := range support {
		labels[l] = true
	}
	for _, l := range m.Labels {
		labels[l] = true
	}
	var f1sum float64
	for l := range labels {
		var cf ClassFigures
		cf.Support = support[l]
		if predicted[l] > 0 {
			cf.Precision = float64(tp[l]) / float64(predicted[l])
		}
		if support[l] > 0 {
			cf.Recall = float64(tp[l]) / float64(support[l])
		}
		if cf.Precision+cf.Recall > 0 {
			cf.F1 = 2 * cf.Precision * cf.Recall / (cf.Precision + cf.Recall)
		}
		r.PerClass[l] = cf
		f1sum += cf.F1
	}
	r.MacroF1 = f1sum / float64(len(labels))
	return r, nil
}

// Folds assigns each of the labels y to one of k folds, stratified: the
// texts of each label are shuffled (seeded) and dealt round-robin, the
// dealing continuing from label to label so that the folds stay even.
func Folds(y []int, k int, seed uint64) []int {
	by := map[int][]int{}
	for i, l := range y {
		by[l] = append(by[l], i)
	}
	keys := make([]int, 0, len(by))
	for l := range by {
		keys = append(keys, l)
	}
	sort.Ints(keys)
	r := rand.New(rand.NewPCG(seed, 0xf01d))
	fold := make([]int, len(y))
	next := 0
	for _, l := range keys {
		rows := by[l]
		r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		for _, i := range rows {
			fold[i] = next % k
			next++
		}
	}
	return fold
}

// CrossValidate runs stratified k-fold cross-validation with the given
// seed and returns the figures averaged over the folds.
func CrossValidate(ctx context.Context, ex []Example, k int, seed uint64, opt Options) (Report, error) {
	if k < 2 {
		return Report{}, fmt.Errorf("classify: cross-validation needs at least 2 folds")
	}
	labels, y := labelIndex(ex)
	if len(labels) < 2 {
		return Report{}, ErrNoData
	}
	for _, l := range y {
		if l < 0 {
			return Report{}, fmt.Errorf("classify: a text has no label")
		}
	}
	if len(ex) < k {
		return Report{}, fmt.Errorf("classify: %d texts cannot make %d folds", len(ex), k)
	}
	folds := Folds(y, k, seed)
	var reps []Report
	var predicted, predictS float64
	for f := range k {
		var train, test []Example
		for i, e := range ex {
			if folds[i] == f {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
		r, err := Evaluate(ctx, train, test, opt)
		if err != nil {
			return Report{}, err
		}
		reps = append(reps, r)
		predicted += float64(r.Test)
		predictS += float64(r.Test) / r.PredictPerS
	}
	out := Report{Algorithm: reps[0].Algorithm, Folds: k, Seed: seed, Test: len(ex), PerClass: map[string]ClassFigures{}}
	fk := float64(k)
	for _, r := range reps {
		out.Train += r.Train
		out.Top1 += r.Top1 / fk
		out.Top3 += r.Top3 / fk
		out.MacroF1 += r.MacroF1 / fk
		out.LogLoss += r.LogLoss / fk
		out.ECE += r.ECE / fk
		out.TrainS += r.TrainS / fk
		for l, c := range r.PerClass {
			a := out.PerClass[l]
			a.Precision += c.Precision / fk
			a.Recall += c.Recall / fk
			a.F1 += c.F1 / fk
			a.Support += c.Support
			out.PerClass[l] = a
		}
	}
	out.Train /= k
	for _, r := range reps {
		out.Top1Std += (r.Top1 - out.Top1) * (r.Top1 - out.Top1) / fk
	}
	out.Top1Std = math.Sqrt(out.Top1Std)
	out.PredictPerS = predicted / predictS
	return out, nil
}

// Suggestion is a category suggested for a text, as the service answers it.
type Suggestion struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	NameEN      string  `json:"name_en,omitempty"`
	Probability float64 `json:"probability"`
}
