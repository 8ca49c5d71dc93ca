#!/usr/bin/env bash
# Trains the ninth candidate scoring model of data/models/README.md ("The eighth candidate taught to copy"): the
# eighth candidate (tools/train-eighth-candidate.sh) followed by a copying curriculum like the default model's:
# 64-token windows with a span of random tokens written 2-8 times in every one (the copying circuit forms within
# about 200 steps from a model that already knows the language; the 1,500-step schedule is stopped at step 314),
# 256-token windows likewise, then four passes over the sample corpus's training split in 1,024-token windows with
# a repeated span in half of them. The two short-window stages read the Python documentation and the sample corpus
# together. Each stage starts from the previous one (--init); everything goes to WORK, the model to
# WORK/candidate.gguf. About 145 minutes on 2 cores (110 of them the eighth candidate).
# Usage: tools/train-ninth-candidate.sh [WORK]   (default /tmp/ninth-candidate)
# Any stage continues after an interruption when its train command is rerun with --resume added (in place of its --init, if it has one).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/ninth-candidate}")"
cd "$root"
tools/train-eighth-candidate.sh "$work/eighth"
mkdir -p "$work/mixed"
cp "$work/eighth/corpus/pydoc.jsonl.gz" "$work/mixed/pydoc.jsonl.gz"
cp data/sample/corpus.jsonl.gz "$work/mixed/sample.jsonl.gz"
common=(--log-every 20 --checkpoint-every 100)

# 1. Copying in 64-token windows, from the eighth candidate's file (its F16 weights).
./entropylong train "${common[@]}" --corpus "$work/mixed" --out "$work/stage1.gguf" --checkpoint "$work/stage1.ckpt" \
  --init "$work/eighth/candidate.gguf" --ctx 64 --steps 1500 --stop-after 314 --batch 64 --micro-batch 16 \
  --lr 2e-3 --warmup 30 --eval-every 250 --seed 21 --repeat-spans 1.0 2> >(tee "$work/stage1.log" >&2)

# 2. Longer distances: 256-token windows, a repeated span in each.
./entropylong train "${common[@]}" --corpus "$work/mixed" --out "$work/stage2.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 256 --steps 200 --batch 16 --micro-batch 4 \
  --lr 2e-3 --warmup 10 --eval-every 100 --seed 22 --repeat-spans 1.0 2> >(tee "$work/stage2.log" >&2)

# 3. and 4. The sample corpus's training split in 1,024-token windows, a repeated span in half of them, two passes
#    at 1e-3 and two at 5e-4.
./entropylong train --corpus data/sample/corpus.jsonl.gz --out "$work/stage3.gguf" --checkpoint "$work/stage3.ckpt" \
  --init "$work/stage2.ckpt" --ctx 1024 --steps 160 --batch 8 --micro-batch 2 --lr 1e-3 --warmup 10 --eval-every 40 \
  --seed 23 --repeat-spans 0.5 --f16 --log-every 10 --checkpoint-every 100 2> >(tee "$work/stage3.log" >&2)
./entropylong train --corpus data/sample/corpus.jsonl.gz --out "$work/candidate.gguf" --checkpoint "$work/stage4.ckpt" \
  --init "$work/stage3.ckpt" --ctx 1024 --steps 160 --batch 8 --micro-batch 2 --lr 5e-4 --warmup 10 --eval-every 80 \
  --seed 24 --repeat-spans 0.5 --f16 --log-every 10 --checkpoint-every 100 2> >(tee "$work/stage4.log" >&2)

cat "$work"/stage{1,2,3,4}.log > "$work/train.log"
