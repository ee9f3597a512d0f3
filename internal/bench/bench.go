// Package bench holds Whistle's benchmarks run by `whistle bench`.
package bench

import (
	"context"
	"fmt"
	"io"
)

// Main runs a benchmark named by args[0].
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("bench: not yet available")
}
