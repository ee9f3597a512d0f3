package classify

import (
	"context"
	"math"
	"reflect"
	"testing"
)

func TestECE(t *testing.T) {
	for _, c := range []struct {
		name string
		conf []float64
		hit  []bool
		bins int
		want float64
	}{
		{"empty", nil, nil, 15, 0},
		{"perfect and sure", []float64{1, 1, 1}, []bool{true, true, true}, 15, 0},
		{"sure and always wrong", []float64{1, 1}, []bool{false, false}, 15, 1},
		// one bin [0.6, 0.667): mean confidence 0.6, accuracy 0.5
		{"one bin", []float64{0.6, 0.6}, []bool{true, false}, 15, 0.1},
		// two bins, each half of the texts: |0.9−1|·½ + |0.3−0|·½
		{"two bins", []float64{0.9, 0.3}, []bool{true, false}, 15, 0.2},
		// with one bin everything pools: |mean conf 0.6 − accuracy 0.5|
		{"one bin only", []float64{0.9, 0.3}, []bool{true, false}, 1, 0.1},
		// bins are 1/15 wide: 0.7 falls in [0.667, 0.733), 0.74 in the next
		{"bin edges", []float64{0.7, 0.74}, []bool{true, true}, 15, (0.3 + 0.26) / 2},
		{"confidence above 1 stays in the last bin", []float64{1.2}, []bool{true}, 15, 0.2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ECE(c.conf, c.hit, c.bins); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("ECE = %v, want %v", got, c.want)
			}
		})
	}
}

func TestConfusion(t *testing.T) {
	out := []outcome{
		{truth: "b", top: "b"}, {truth: "b", top: "a"}, {truth: "a", top: "a"},
		{truth: "c", top: "b"}, // c is not a model label: it still gets a row
	}
	labels, m := confusion([]string{"b", "a"}, out)
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(labels, want) {
		t.Fatalf("labels %v, want %v", labels, want)
	}
	want := [][]int{{1, 0, 0}, {1, 1, 0}, {0, 1, 0}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("matrix %v, want %v", m, want)
	}
}

// TestNBRatios checks the log-count ratios on two classes and three
// features: feature 0 only in class 0, feature 1 in both, feature 2 never.
func TestNBRatios(t *testing.T) {
	xs := []vec{
		{idx: []int32{0, 1}, val: []float32{0.5, 0.5}},
		{idx: []int32{0}, val: []float32{1}},
		{idx: []int32{1}, val: []float32{1}},
	}
	ys := []int{0, 0, 1}
	R := nbRatios(xs, ys, 2, Options{Bits: minBits})
	// class 0: p = (2+1, 1+1) → sum 5; q = (0+1, 1+1) → sum 3
	want0 := []float64{math.Log((3.0 / 5) / (1.0 / 3)), math.Log((2.0 / 5) / (2.0 / 3))}
	for f, w := range want0 {
		if got := float64(R[f*2+0]); math.Abs(got-w) > 1e-6 {
			t.Errorf("r[class 0][feature %d] = %v, want %v", f, got, w)
		}
		// two classes: class 1's ratio is the negation
		if got := float64(R[f*2+1]); math.Abs(got+w) > 1e-6 {
			t.Errorf("r[class 1][feature %d] = %v, want %v", f, got, -w)
		}
	}
	if R[2*2] != 0 || R[2*2+1] != 0 {
		t.Errorf("unseen feature has ratios %v %v", R[4], R[5])
	}
}

// TestCalibrationLowersECE: on real texts, the temperature fitted on
// held-out folds inside the training set gives out-of-fold probabilities
// closer to the observed accuracy than raw softmax scores (T = 1).
func TestCalibrationLowersECE(t *testing.T) {
	ex := labelled(t)[:900]
	ctx := context.Background()
	cal, err := CrossValidate(ctx, ex, 3, 5, Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := CrossValidate(ctx, ex, 3, 5, Options{CalibFolds: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ECE calibrated %.4f, uncalibrated %.4f", cal.ECE, raw.ECE)
	if cal.ECE >= raw.ECE || cal.ECE > 0.08 {
		t.Errorf("ECE calibrated %.4f, uncalibrated %.4f: calibration does not help", cal.ECE, raw.ECE)
	}
	if cal.LogLoss >= raw.LogLoss {
		t.Errorf("log loss calibrated %.4f ≥ uncalibrated %.4f", cal.LogLoss, raw.LogLoss)
	}
}

func TestCrossValidateSeeds(t *testing.T) {
	ex := toy()
	r, err := CrossValidateSeeds(context.Background(), ex, 2, []uint64{1, 2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Runs) != 2 || r.Runs[0].Seed != 1 || r.Runs[1].Seed != 2 {
		t.Fatalf("runs %+v", r.Runs)
	}
	n := 0
	for _, row := range r.Confusion {
		for _, c := range row {
			n += c
		}
	}
	if n != 2*len(ex) || len(r.ConfusionLabels) != 3 {
		t.Errorf("confusion %v over %v: %d predictions, want %d", r.Confusion, r.ConfusionLabels, n, 2*len(ex))
	}
	sup := 0
	for _, c := range r.PerClass {
		sup += c.Support
	}
	if sup != len(ex) || r.Test != len(ex) {
		t.Errorf("supports sum to %d, test %d; want %d", sup, r.Test, len(ex))
	}
	if mean := (r.Runs[0].Top1 + r.Runs[1].Top1) / 2; math.Abs(mean-r.Top1) > 1e-9 {
		t.Errorf("top-1 %v is not the mean of the runs' %v", r.Top1, mean)
	}
	if _, err := CrossValidateSeeds(context.Background(), ex, 2, nil, Options{}); err == nil {
		t.Error("no seeds accepted")
	}
}
