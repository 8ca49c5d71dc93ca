#!/usr/bin/env bash
# Regenerates data/models/default.gguf: the default scoring model, trained from scratch on the sample corpus by
# `entropylong train` in four stages (see data/models/README.md for why). Each stage starts from the previous
# stage's checkpoint with --init; checkpoints and logs go to WORK.
# Usage: tools/train-default-model.sh [WORK]   (WORK: checkpoints and logs, default /tmp/default-model)
# About 85 minutes on 2 cores. Any stage can be continued after an interruption by rerunning its command with --resume added (in place of its --init, if it has one).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/default-model}")"
mkdir -p "$work"
cd "$root"
corpus=data/sample/corpus.jsonl.gz
common=(--corpus "$corpus" --log-every 20 --checkpoint-every 100)

# 1. Learning to copy: 64-token windows, every one with a span of random tokens written 2-8 times. In short windows
#    the copying (induction) circuit forms within a few thousand steps; in 1,024-token windows of corpus text it
#    did not form at all within this machine's budget.
./entropylong train "${common[@]}" --out "$work/stage1.gguf" --checkpoint "$work/stage1.ckpt" \
  --vocab 4096 --dim 128 --layers 4 --heads 4 --ctx 64 --steps 2000 --batch 64 --micro-batch 16 \
  --lr 3e-3 --warmup 30 --eval-every 500 --seed 1 --repeat-spans 1.0 2> >(tee "$work/stage1.log" >&2)

# 2. Longer distances: 256-token windows, still a repeated span in each.
./entropylong train "${common[@]}" --out "$work/stage2.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 256 --steps 200 --batch 16 --micro-batch 4 \
  --lr 2e-3 --warmup 10 --eval-every 100 --seed 2 --repeat-spans 1.0 2> >(tee "$work/stage2.log" >&2)

# 3. Language: 1,024-token windows of corpus text, a repeated span in half of them so the copying stays useful.
./entropylong train "${common[@]}" --out "$work/stage3.gguf" --checkpoint "$work/stage3.ckpt" \
  --init "$work/stage2.ckpt" --ctx 1024 --steps 600 --batch 8 --micro-batch 2 \
  --lr 2e-3 --warmup 20 --eval-every 100 --seed 3 --repeat-spans 0.5 --f16 2> >(tee "$work/stage3.log" >&2)

# 4. More of the same, a repeated span in every window.
./entropylong train "${common[@]}" --out data/models/default.gguf --checkpoint "$work/stage4.ckpt" \
  --init "$work/stage3.ckpt" --steps 480 --batch 8 --micro-batch 2 \
  --lr 1.5e-3 --warmup 20 --eval-every 120 --seed 4 --repeat-spans 1.0 --f16 2> >(tee "$work/stage4.log" >&2)

cat "$work"/stage{1,2,3,4}.log > data/models/train.log
