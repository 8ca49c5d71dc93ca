#!/usr/bin/env bash
# Trains the fourth candidate scoring model of data/models/README.md ("A near-byte vocabulary"), which did not
# replace the default: from scratch on the sample corpus with a 300-token vocabulary (the 256 bytes, 42 merges and
# BOS/EOS), in two stages, the second a new run (--init) from the first's checkpoint. Model, checkpoints and logs go
# to WORK. Either stage continues after an interruption when its command is rerun with --resume added (in place of its --init, if it has one).
# Usage: tools/train-byte-candidate.sh [WORK]   (default /tmp/byte-candidate)   About 50 minutes on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/byte-candidate}")"
mkdir -p "$work"
cd "$root"
common=(--corpus data/sample/corpus.jsonl.gz --log-every 20 --checkpoint-every 100)

# 1. Text in 256-token windows, a span of random tokens written 2-8 times in half of them (a signal for copying).
./entropylong train "${common[@]}" --out "$work/stage1.gguf" --checkpoint "$work/stage1.ckpt" \
  --vocab 300 --dim 128 --layers 4 --heads 4 --ctx 256 --steps 800 --batch 32 --micro-batch 8 \
  --lr 2e-3 --warmup 30 --eval-every 200 --seed 1 --repeat-spans 0.5 2> >(tee "$work/stage1.log" >&2)

# 2. 2,048-token windows: at about one token per byte, a 2,048-character chunk and the document after it must fit.
./entropylong train "${common[@]}" --out "$work/candidate.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 2048 --steps 250 --batch 4 --micro-batch 1 \
  --lr 1e-3 --warmup 10 --eval-every 125 --seed 2 --repeat-spans 0.5 --f16 2> >(tee "$work/stage2.log" >&2)
