#!/usr/bin/env bash
# Benchmark of live capture on a real swarm node: brings up the three-node lab (test/lab/lab.sh),
# runs `node scripts/bench.js --live` inside node1 (the manager), and tears the lab down. Root.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=test/lab/lab.sh
trap '$lab down >/dev/null 2>&1 || true' EXIT
$lab down >/dev/null 2>&1 || true
$lab up 3
$lab exec node1 "$(command -v node)" "$PWD/scripts/bench.js" --live --runs "${RUNS:-10}"
