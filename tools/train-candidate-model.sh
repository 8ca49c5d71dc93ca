#!/usr/bin/env bash
# Trains the candidate scoring model of data/models/README.md ("A larger training text"), which did not replace
# the default: from scratch on the sample corpus plus the Python documentation (tools/make-training-corpus.sh), in
# four stages, each a new run (--init) from the previous stage's checkpoint. Model, checkpoints and logs go to WORK.
# Any stage continues after an interruption when its command is rerun with --resume added (in place of its --init, if it has one).
# Usage: tools/train-candidate-model.sh [WORK]   (default /tmp/candidate-model)   About 3 hours on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/candidate-model}")"
mkdir -p "$work"
cd "$root"
[ -f "$work/corpus/pydoc.jsonl.gz" ] || tools/make-training-corpus.sh "$work/corpus"
common=(--corpus "$work/corpus" --log-every 20 --checkpoint-every 100)

# 1. Learning to copy: 64-token windows, each with a span of random tokens written 2-8 times. The loss sits at the
#    unigram level until the copying (induction) circuit forms, then falls; the 2,500-step schedule is stopped at
#    step 1,500, by which the circuit has formed.
./entropylong train "${common[@]}" --out "$work/stage1.gguf" --checkpoint "$work/stage1.ckpt" \
  --vocab 4096 --dim 128 --layers 4 --heads 4 --ctx 64 --steps 2500 --stop-after 1500 --batch 64 --micro-batch 16 \
  --lr 3e-3 --warmup 30 --eval-every 250 --seed 1 --repeat-spans 1.0 2> >(tee "$work/stage1.log" >&2)

# 2. Longer distances: 256-token windows, a repeated span in each.
./entropylong train "${common[@]}" --out "$work/stage2.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 256 --steps 300 --batch 16 --micro-batch 4 \
  --lr 2e-3 --warmup 10 --eval-every 100 --seed 2 --repeat-spans 1.0 2> >(tee "$work/stage2.log" >&2)

# 3. Language: 512-token windows of text (most of a chunk and the document before an anchor fit), a repeated span in
#    half of them so copying stays useful. The 700-step schedule was stopped at step 450 for time.
./entropylong train "${common[@]}" --out "$work/stage3.gguf" --checkpoint "$work/stage3.ckpt" \
  --init "$work/stage2.ckpt" --ctx 512 --steps 700 --stop-after 450 --batch 16 --micro-batch 4 \
  --lr 2e-3 --warmup 30 --eval-every 100 --seed 3 --repeat-spans 0.5 2> >(tee "$work/stage3.log" >&2)

# 4. The full context: 1,024-token windows.
./entropylong train "${common[@]}" --out "$work/candidate.gguf" --checkpoint "$work/stage4.ckpt" \
  --init "$work/stage3.ckpt" --ctx 1024 --steps 100 --batch 8 --micro-batch 2 \
  --lr 1e-3 --warmup 10 --eval-every 50 --seed 4 --repeat-spans 0.5 --f16 2> >(tee "$work/stage4.log" >&2)

cat "$work"/stage{1,2,3,4}.log > "$work/train.log"
