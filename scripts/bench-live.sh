#!/usr/bin/env bash
# Benchmark of live capture on a real swarm: brings up the three-node lab (test/lab/lab.sh), runs
# `node scripts/bench.js --live` inside node1 (the manager): one node's capture next to its raw
# commands, and the whole swarm's check next to one node's. Tears the lab down. Root.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=test/lab/lab.sh
trap '$lab down >/dev/null 2>&1 || true' EXIT
$lab down >/dev/null 2>&1 || true
$lab up 3
$lab exec node1 "$(command -v node)" "$PWD/scripts/bench.js" --live --runs "${RUNS:-10}" \
  --probe-image mdlab/busybox:1 --probe-socket /run/docker/docker.sock
# From the machine: one engine against all three with --host (the probes run in parallel).
node scripts/bench.js --hosts "$(for n in node1 node2 node3; do printf 'unix:///tmp/mdlab/%s/docker.sock,' "$n"; done | sed 's/,$//')" \
  --runs "${RUNS:-10}" --probe-image mdlab/busybox:1 --probe-socket /run/docker/docker.sock
