#!/bin/sh
# One hour of steady mixed load on a fresh demo store (issue #14): intake,
# dispatch of half the new cases, inbox reads, the dashboard; memory
# sampled every minute. Not run in CI. Usage:
#   scripts/soak.sh [extra flags of `whistle bench soak`, e.g. --db pg]
# Prints the progress on stderr and the result (one JSON object) on stdout;
# docs/BENCHMARKS.md records a run.
set -eu
cd "$(dirname "$0")/.."
go build -o /tmp/whistle-soak ./cmd/whistle
exec /tmp/whistle-soak bench soak --duration 1h --sample 1m --intake 200 --dispatch 0.5 --inbox 50 --dashboard 1 --json "$@"
