#!/usr/bin/env bash
# Stops the cluster started by start-cluster.sh: each daemon by the pid in its own pid file (never by name), then
# waits until it is gone (a killed daemon can linger briefly as a zombie of its parent).
set -uo pipefail
state="${ENTROPYLONG_SLURM:-/tmp/entropylong-slurm}"
for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
      # gone, or a zombie (state Z) that only waits for its parent
      if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then break; fi
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
done
echo "stop-cluster: stopped ($state)" >&2
