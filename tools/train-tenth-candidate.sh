#!/usr/bin/env bash
# Trains the tenth candidate scoring model of data/models/README.md ("A 16,384-token vocabulary"): the eighth
# candidate's recipe (tools/train-eighth-candidate.sh) with four times its vocabulary, the one axis the earlier
# candidates left untried. A model's entropy is capped at ln(vocabulary): 8.3 nats for 4,096 tokens, 9.7 for 16,384,
# and with whole words as single tokens the per-token distribution should take the shape the 4,096-token models show
# only per word (their tokens summed). Stages: the Python 3.11 documentation only (tools/make-training-corpus.sh
# fetches it; the vocabulary is learned from it too), then the sample corpus's training split in two schedules,
# each stage a new run (--init) from the previous stage's checkpoint. Shorter than the eighth's schedule (1,400
# steps in stage 1 against 2,000; 160 + 120 steps after it against 160 + 160) to fit a 3-hour session.
# Usage: tools/train-tenth-candidate.sh [WORK]   (default /tmp/tenth-candidate)   About 100 minutes on 2 cores.
# Any stage continues after an interruption when its train command is rerun with --resume in place of its --init
# (or added, for stage 1); resume is bit-identical.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/tenth-candidate}")"
mkdir -p "$work/corpus"
cd "$root"
sample=data/sample/corpus.jsonl.gz
common=(--checkpoint-every 100)
if [ ! -f "$work/corpus/pydoc.jsonl.gz" ]; then
  tools/make-training-corpus.sh "$work/text"
  mv "$work/text/pydoc.jsonl.gz" "$work/corpus/" # the copy of the sample corpus it also writes is left out
  rm -rf "$work/text"
fi

# 1. Language and vocabulary, from the Python documentation only.
./entropylong train "${common[@]}" --corpus "$work/corpus" --out "$work/stage1.gguf" --checkpoint "$work/stage1.ckpt" \
  --vocab 16384 --dim 128 --layers 4 --heads 4 --ctx 256 --steps 1400 --batch 16 --micro-batch 4 \
  --lr 3e-3 --warmup 50 --eval-every 200 --seed 11 --log-every 20 2> >(tee "$work/stage1.log" >&2)

# 2. Passes over the sample corpus's training split in 1,024-token windows (the held-out split stays unseen).
./entropylong train "${common[@]}" --corpus "$sample" --out "$work/stage2.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 1024 --steps 160 --batch 8 --micro-batch 2 \
  --lr 1e-3 --warmup 10 --eval-every 40 --seed 13 --f16 --log-every 10 2> >(tee "$work/stage2.log" >&2)

# 3. More passes at half the learning rate.
./entropylong train "${common[@]}" --corpus "$sample" --out "$work/candidate.gguf" --checkpoint "$work/stage3.ckpt" \
  --init "$work/stage2.ckpt" --ctx 1024 --steps 120 --batch 8 --micro-batch 2 \
  --lr 5e-4 --warmup 10 --eval-every 60 --seed 14 --f16 --log-every 10 2> >(tee "$work/stage3.log" >&2)

cat "$work"/stage{1,2,3}.log > "$work/train.log"
