package classify

import (
	"context"
	"syscall"
	"testing"

	"whistle/internal/demo"
)

// BenchmarkTrain100k trains the default model on 100,000 texts resampled
// from labelled.tsv (sentences of same-label texts recombined, see
// Resample). Run: go test ./internal/classify -run - -bench Train100k -benchtime 1x
func BenchmarkTrain100k(b *testing.B) {
	ex := labelled(b)
	big := Resample(ex, 100000, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), big, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict measures single-core prediction of the labelled texts.
// Run: go test ./internal/classify -run - -bench Predict -cpu 1
func BenchmarkPredict(b *testing.B) {
	ex := labelled(b)
	m, err := Train(context.Background(), ex, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	i := 0
	for b.Loop() {
		m.Predict(ex[i%len(ex)].Text, 3)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
	// On a shared machine wall time overstates the cost; CPU time of the
	// process (one core with -cpu 1) does not.
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "texts/cpu-s")
	}
}

// BenchmarkTrainDemo50k trains on 50,000 texts of the demo city's
// generator (92 leaf categories, short templated texts): the shape of a
// retraining in the service. Run: go test ./internal/classify -run - -bench TrainDemo50k -benchtime 1x
func BenchmarkTrainDemo50k(b *testing.B) {
	ds := demo.Generate(demo.Options{Seed: 12345, Requests: 50000})
	ex := make([]Example, len(ds.Requests))
	for i, r := range ds.Requests {
		ex[i] = Example{Text: r.Case.Title + "\n" + r.Case.Description, Label: r.Case.Category}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), ex, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuSeconds is the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
