#!/usr/bin/env bash
# Runs the performance benchmark (README, "Performance").
#
#   scripts/bench.sh            1,000,000 tasks
#   scripts/bench.sh 10000000   any number of tasks (underscores allowed)
#
# Further settings come from the environment: OUTSORT_BENCH_SEED,
# OUTSORT_BENCH_REPEAT, OUTSORT_BENCH_DIR (see benches/throughput.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -gt 1 || ( $# -eq 1 && ! $1 =~ ^[0-9_]+$ ) ]]; then
    echo "usage: scripts/bench.sh [ROWS]" >&2
    exit 2
fi
if [[ $# -eq 1 ]]; then
    export OUTSORT_BENCH_ROWS="$1"
fi
exec cargo bench --bench throughput
