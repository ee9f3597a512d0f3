package classify

import (
	"context"
	"testing"
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
	i := 0
	for b.Loop() {
		m.Predict(ex[i%len(ex)].Text, 3)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}
