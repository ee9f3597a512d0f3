package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"whistle/internal/classify"
)

const evalUsage = `usage: whistle eval classify --train FILE (--test FILE | --cv K) [flags]
       whistle eval replies --file FILE [--train FILE] [--threshold 0.8] [--json]
       whistle eval forecast [--period month|week|both] [--origins N] [--horizon H] [--json] [--data DIR] [--db URL]

Trains the text classifier on FILE (CSV, TSV or JSON Lines, optionally .gz,
with a text and a label column) and prints top-1/top-3 accuracy, macro F1,
per-label figures, training time and prediction speed.
  --test FILE   evaluate on this file
  --cv K        stratified K-fold cross-validation on --train (seeded)
  --repeats R   with --cv: repeat with seeds seed, seed+1, … seed+R-1 and
                report means and spreads over every fold of every seed
  --scale N     instead: train once on N texts resampled from --train
                (sentences of same-label texts recombined) and report
                training time and prediction speed only
`

func evalMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "replies" {
		return evalReplies(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "forecast" {
		return evalForecast(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "classify" {
		fmt.Fprint(stderr, evalUsage)
		return errors.New("eval: the evaluations are 'classify' and 'replies'")
	}
	fs := flag.NewFlagSet("eval classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, evalUsage); fs.PrintDefaults() }
	var (
		trainPath, testPath string
		cv, scale, repeats  int
		seed                uint64
		asJSON              bool
		opt                 classify.Options
	)
	fs.StringVar(&trainPath, "train", "", "training data (CSV, TSV, JSONL; .gz ok)")
	fs.StringVar(&testPath, "test", "", "test data (same formats)")
	fs.IntVar(&cv, "cv", 0, "cross-validation folds (instead of --test)")
	fs.IntVar(&repeats, "repeats", 1, "with --cv: repeat with this many consecutive seeds")
	fs.IntVar(&scale, "scale", 0, "train once on this many texts resampled from --train; report speed")
	fs.Uint64Var(&seed, "seed", 1, "seed for folds, resampling and training")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.StringVar(&opt.Algorithm, "algo", classify.Default, "algorithm: "+strings.Join(classify.Algorithms, ", ")+", or base algorithms joined by +")
	fs.IntVar(&opt.Bits, "bits", 0, "hashed feature space 2^bits (default 18)")
	fs.IntVar(&opt.MinN, "min-n", 0, "shortest character n-gram (default 1)")
	fs.IntVar(&opt.MaxN, "max-n", 0, "longest character n-gram (default 2)")
	fs.IntVar(&opt.MinDF, "min-df", 0, "drop features in fewer training texts (default 2)")
	fs.Float64Var(&opt.C, "c", 0, "SVM cost (default 1 for nbsvm, else 4)")
	fs.Float64Var(&opt.Lambda, "lambda", 0, "LR L2 penalty (default 1e-5)")
	fs.Float64Var(&opt.Alpha, "alpha", 0, "NB smoothing (default 0.01)")
	fs.IntVar(&opt.Epochs, "epochs", 0, "most passes over the data (default 10 SVM, 15 LR)")
	fs.IntVar(&opt.CalibFolds, "calib-folds", 0, "folds for fitting the temperature (default 3; -1 none)")
	fs.IntVar(&opt.Head, "head", 0, "also count the n-grams of the first N characters as features of their own (default 80; -1 none)")
	fs.StringVar(&opt.Weights, "weights", "", "SVM class costs: balanced (default) or none")
	fs.IntVar(&opt.Workers, "workers", 0, "parallel workers (default GOMAXPROCS)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval: unexpected arguments %v", fs.Args())
	}
	if trainPath == "" {
		fs.Usage()
		return errors.New("eval: --train is required")
	}
	n := 0
	for _, set := range []bool{testPath != "", cv > 0, scale > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		fs.Usage()
		return errors.New("eval: give exactly one of --test, --cv, --scale")
	}
	opt.Seed = seed
	train, err := classify.ReadFile(trainPath)
	if err != nil {
		return err
	}
	var rep classify.Report
	switch {
	case cv > 0:
		if repeats < 1 {
			return errors.New("eval: --repeats must be at least 1")
		}
		seeds := make([]uint64, repeats)
		for i := range seeds {
			seeds[i] = seed + uint64(i)
		}
		rep, err = classify.CrossValidateSeeds(ctx, train, cv, seeds, opt)
	case scale > 0:
		rep, err = scaleRun(ctx, train, scale, seed, opt)
	default:
		var test []classify.Example
		test, err = classify.ReadFile(testPath)
		if err != nil {
			return err
		}
		rep, err = classify.Evaluate(ctx, train, test, opt)
	}
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// scaleRun trains on n synthesised texts and measures prediction speed on
// the original texts (their figures are training-set figures, not quality).
func scaleRun(ctx context.Context, ex []classify.Example, n int, seed uint64, opt classify.Options) (classify.Report, error) {
	big := classify.Resample(ex, n, seed)
	t0 := time.Now()
	m, err := classify.Train(ctx, big, opt)
	if err != nil {
		return classify.Report{}, err
	}
	trainS := time.Since(t0).Seconds()
	rep, err := m.Measure(ctx, ex)
	if err != nil {
		return classify.Report{}, err
	}
	rep.Train, rep.TrainS = len(big), trainS
	return rep, nil
}

func printReport(w io.Writer, r classify.Report) {
	if r.Folds > 0 {
		fmt.Fprintf(w, "algorithm %s, %d-fold cross-validation (seed %d), %d texts, ~%d training texts per fold\n", r.Algorithm, r.Folds, r.Seed, r.Test, r.Train)
	} else {
		fmt.Fprintf(w, "algorithm %s, %d training texts, %d test texts\n", r.Algorithm, r.Train, r.Test)
	}
	fmt.Fprintf(w, "top-1 %.4f", r.Top1)
	if r.Top1Std > 0 {
		fmt.Fprintf(w, " (±%.4f)", r.Top1Std)
	}
	fmt.Fprintf(w, "   top-3 %.4f   macro-F1 %.4f", r.Top3, r.MacroF1)
	if r.MacroF1Std > 0 {
		fmt.Fprintf(w, " (±%.4f)", r.MacroF1Std)
	}
	fmt.Fprintf(w, "   log loss %.4f   ECE %.4f\n", r.LogLoss, r.ECE)
	for _, run := range r.Runs {
		fmt.Fprintf(w, "  seed %d: top-1 %.4f   macro-F1 %.4f   ECE %.4f\n", run.Seed, run.Top1, run.MacroF1, run.ECE)
	}
	fmt.Fprintf(w, "training %.2f s   prediction %.0f texts/s\n\n", r.TrainS, r.PredictPerS)
	labels := make([]string, 0, len(r.PerClass))
	for l := range r.PerClass {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	width := 5
	for _, l := range labels {
		width = max(width, displayWidth(l))
	}
	fmt.Fprintf(w, "%s  precision  recall      f1  support\n", pad("label", width))
	for _, l := range labels {
		c := r.PerClass[l]
		fmt.Fprintf(w, "%s  %9.4f  %6.4f  %6.4f  %7d\n", pad(l, width), c.Precision, c.Recall, c.F1, c.Support)
	}
}

// displayWidth counts wide (CJK) characters as two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x2E80 {
			n++
		}
	}
	return n
}

func pad(s string, width int) string { return s + strings.Repeat(" ", max(0, width-displayWidth(s))) }
