#!/usr/bin/env bash
# Trains the eighth candidate scoring model of data/models/README.md ("The outsider's first stage run to its end"),
# the default from the morning to the evening of 2026-12-04: the default's shape, trained from scratch in three
# stages. First the Python 3.11 documentation only (its vocabulary and language; tools/make-training-corpus.sh
# fetches it), so that the sample corpus's own terms are what the model is unsure of; then four passes over the
# sample corpus's training split in two schedules. Each stage starts from the previous stage's checkpoint with
# --init; text, checkpoints, logs and the model (WORK/candidate.gguf) go to WORK. Its logged run:
# `git show 9ce7f3b:data/models/train.log`.
# Usage: tools/train-eighth-candidate.sh [WORK]   (default /tmp/eighth-candidate)   About 110 minutes on 2 cores.
# Any stage continues after an interruption when its train command is rerun with --resume added (in place of its --init, if it has one; resume is
# bit-identical; stage 1's is in tools/train-language-stage.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/eighth-candidate}")"
cd "$root"
sample=data/sample/corpus.jsonl.gz
common=(--checkpoint-every 100)

# 1. Language, from the Python documentation only (its vocabulary learned from it too).
tools/train-language-stage.sh "$work"

# 2. Two passes over the sample corpus's training split in 1,024-token windows (the held-out split stays unseen).
./entropylong train "${common[@]}" --corpus "$sample" --out "$work/stage2.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 1024 --steps 160 --batch 8 --micro-batch 2 \
  --lr 1e-3 --warmup 10 --eval-every 40 --seed 13 --f16 --log-every 10 2> >(tee "$work/stage2.log" >&2)

# 3. Two more passes at half the learning rate.
./entropylong train "${common[@]}" --corpus "$sample" --out "$work/candidate.gguf" --checkpoint "$work/stage3.ckpt" \
  --init "$work/stage2.ckpt" --ctx 1024 --steps 160 --batch 8 --micro-batch 2 \
  --lr 5e-4 --warmup 10 --eval-every 80 --seed 14 --f16 --log-every 10 2> >(tee "$work/stage3.log" >&2)

cat "$work"/stage{1,2,3}.log > "$work/train.log"
