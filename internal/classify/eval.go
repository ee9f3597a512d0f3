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

// ECEBins is the number of equal-width confidence bins of the expected
// calibration error.
const ECEBins = 15

// Report is an evaluation: accuracy of the first and of the first three
// suggestions, macro-averaged F1, per-label figures, log loss and expected
// calibration error of the top suggestion (how far its probability is from
// how often it is right, over ECEBins bins), the confusion matrix, training
// time and prediction speed.
// For cross-validation every figure is the mean over the folds (supports
// are summed) and the *Std fields are the standard deviations over the
// folds, except ECE and Confusion, which are of the pooled out-of-fold
// predictions (ECEStd is still the spread of the per-fold ECEs). With
// several seeds (CrossValidateSeeds) the means and spreads are over every
// fold of every seed and Runs holds each seed's own figures.
type Report struct {
	Algorithm  string                  `json:"algorithm"`
	Folds      int                     `json:"folds,omitempty"`
	Seed       uint64                  `json:"seed,omitempty"`
	Train      int                     `json:"train"` // training texts (per fold for CV)
	Test       int                     `json:"test"`  // evaluated texts (all folds for CV)
	Top1       float64                 `json:"top1"`
	Top1Std    float64                 `json:"top1_std,omitempty"`
	Top3       float64                 `json:"top3"`
	MacroF1    float64                 `json:"macro_f1"`
	LogLoss    float64                 `json:"log_loss"`
	ECE        float64                 `json:"ece"`
	MacroF1Std float64                 `json:"macro_f1_std,omitempty"`
	ECEStd     float64                 `json:"ece_std,omitempty"`
	PerClass   map[string]ClassFigures `json:"per_class"`
	// Confusion[i][j] counts the texts labelled ConfusionLabels[i] whose
	// top suggestion was ConfusionLabels[j].
	ConfusionLabels []string `json:"confusion_labels,omitempty"`
	Confusion       [][]int  `json:"confusion,omitempty"`
	Runs            []Run    `json:"runs,omitempty"`
	TrainS          float64  `json:"train_s"` // seconds to train (mean per fold for CV)
	PredictPerS     float64  `json:"predict_per_s"`
}

// Run is one seed's cross-validation figures (means over its folds; ECE of
// its pooled out-of-fold predictions).
type Run struct {
	Seed    uint64  `json:"seed"`
	Top1    float64 `json:"top1"`
	MacroF1 float64 `json:"macro_f1"`
	ECE     float64 `json:"ece"`
}

// ECE is the expected calibration error of predictions with the given
// confidences (the probability of the top suggestion) and hits (whether it
// was right) over bins equal-width bins of [0, 1]: the sum over bins of
// |mean confidence − accuracy| weighted by the bin's share of predictions.
func ECE(conf []float64, hit []bool, bins int) float64 {
	if len(conf) == 0 || bins < 1 {
		return 0
	}
	n := make([]int, bins)
	sumConf := make([]float64, bins)
	hits := make([]int, bins)
	for i, c := range conf {
		b := min(max(int(c*float64(bins)), 0), bins-1)
		n[b]++
		sumConf[b] += c
		if hit[i] {
			hits[b]++
		}
	}
	var e float64
	for b := range bins {
		if n[b] > 0 {
			e += math.Abs(sumConf[b]-float64(hits[b])) / float64(len(conf))
		}
	}
	return e
}

// outcome is one evaluated text: its label, the top suggestion and its probability.
type outcome struct {
	truth, top string
	conf       float64
}

// confusion counts outcomes by label (rows) and top suggestion (columns),
// over the sorted union of the labels given and those seen.
func confusion(labels []string, out []outcome) ([]string, [][]int) {
	set := map[string]bool{}
	for _, l := range labels {
		set[l] = true
	}
	for _, o := range out {
		set[o.truth], set[o.top] = true, true
	}
	all := make([]string, 0, len(set))
	for l := range set {
		all = append(all, l)
	}
	sort.Strings(all)
	pos := make(map[string]int, len(all))
	for i, l := range all {
		pos[l] = i
	}
	m := make([][]int, len(all))
	for i := range m {
		m[i] = make([]int, len(all))
	}
	for _, o := range out {
		m[pos[o.truth]][pos[o.top]]++
	}
	return all, m
}

func eceOf(out []outcome) float64 {
	conf := make([]float64, len(out))
	hit := make([]bool, len(out))
	for i, o := range out {
		conf[i], hit[i] = o.conf, o.top == o.truth
	}
	return ECE(conf, hit, ECEBins)
}

// Evaluate trains on train and measures on test.
func Evaluate(ctx context.Context, train, test []Example, opt Options) (Report, error) {
	r, _, err := evaluate(ctx, train, test, opt)
	return r, err
}

func evaluate(ctx context.Context, train, test []Example, opt Options) (Report, []outcome, error) {
	t0 := time.Now()
	m, err := Train(ctx, train, opt)
	if err != nil {
		return Report{}, nil, err
	}
	trainS := time.Since(t0).Seconds()
	r, out, err := m.measure(ctx, test)
	if err != nil {
		return Report{}, nil, err
	}
	r.Train, r.TrainS = len(train), trainS
	return r, out, nil
}

// Measure evaluates the model on labelled texts. Texts whose label the
// model does not know count as misses.
func (m *Model) Measure(ctx context.Context, test []Example) (Report, error) {
	r, _, err := m.measure(ctx, test)
	return r, err
}

func (m *Model) measure(ctx context.Context, test []Example) (Report, []outcome, error) {
	if len(test) == 0 {
		return Report{}, nil, fmt.Errorf("classify: no test texts")
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
		out        = make([]outcome, 0, len(test))
	)
	start := time.Now()
	for i, e := range test {
		if i%256 == 0 && ctx.Err() != nil {
			return Report{}, nil, ctx.Err()
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
		out = append(out, outcome{truth: e.Label, top: top[0].Label, conf: top[0].Prob})
	}
	elapsed := time.Since(start).Seconds()
	n := float64(len(test))
	r := Report{Algorithm: m.Opt.Algorithm, Test: len(test), Top1: float64(top1) / n, Top3: float64(top3) / n,
		LogLoss: logLoss / n, PerClass: map[string]ClassFigures{}}
	if elapsed > 0 {
		r.PredictPerS = n / elapsed
	}
	r.ECE = eceOf(out)
	r.ConfusionLabels, r.Confusion = confusion(m.Labels, out)
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
	return r, out, nil
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
	return CrossValidateSeeds(ctx, ex, k, []uint64{seed}, opt)
}

// CrossValidateSeeds repeats stratified k-fold cross-validation with each
// seed (for the folds and for training) and returns the figures averaged
// over every fold of every seed, with each seed's figures in Runs; ECE and
// the confusion matrix are of the pooled out-of-fold predictions of all
// seeds.
func CrossValidateSeeds(ctx context.Context, ex []Example, k int, seeds []uint64, opt Options) (Report, error) {
	if len(seeds) == 0 {
		return Report{}, fmt.Errorf("classify: no seed")
	}
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
	var reps []Report
	var predicted, predictS float64
	var all []outcome
	var runs []Run
	for _, seed := range seeds {
		folds := Folds(y, k, seed)
		o := opt
		o.Seed = seed
		var oof []outcome
		run := Run{Seed: seed}
		for f := range k {
			var train, test []Example
			for i, e := range ex {
				if folds[i] == f {
					test = append(test, e)
				} else {
					train = append(train, e)
				}
			}
			r, out, err := evaluate(ctx, train, test, o)
			if err != nil {
				return Report{}, err
			}
			reps = append(reps, r)
			oof = append(oof, out...)
			run.Top1 += r.Top1 / float64(k)
			run.MacroF1 += r.MacroF1 / float64(k)
			predicted += float64(r.Test)
			if r.PredictPerS > 0 {
				predictS += float64(r.Test) / r.PredictPerS
			}
		}
		run.ECE = eceOf(oof)
		runs = append(runs, run)
		all = append(all, oof...)
	}
	out := Report{Algorithm: reps[0].Algorithm, Folds: k, Seed: seeds[0], Test: len(ex), PerClass: map[string]ClassFigures{}}
	if len(seeds) > 1 {
		out.Runs = runs
	}
	fk := float64(len(reps))
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
	out.Train /= len(reps)
	for l, c := range out.PerClass {
		c.Support /= len(seeds)
		out.PerClass[l] = c
	}
	for _, r := range reps {
		out.Top1Std += (r.Top1 - out.Top1) * (r.Top1 - out.Top1) / fk
		out.MacroF1Std += (r.MacroF1 - out.MacroF1) * (r.MacroF1 - out.MacroF1) / fk
		out.ECEStd += (r.ECE - out.ECE) * (r.ECE - out.ECE) / fk
	}
	out.Top1Std = math.Sqrt(out.Top1Std)
	out.MacroF1Std = math.Sqrt(out.MacroF1Std)
	out.ECEStd = math.Sqrt(out.ECEStd)
	// ECE and the confusion matrix: of the pooled out-of-fold predictions
	out.ECE = eceOf(all)
	out.ConfusionLabels, out.Confusion = confusion(labels, all)
	if predictS > 0 {
		out.PredictPerS = predicted / predictS
	}
	return out, nil
}

// Suggestion is a category suggested for a text, as the service answers it.
type Suggestion struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	NameEN      string  `json:"name_en,omitempty"`
	Probability float64 `json:"probability"`
}
