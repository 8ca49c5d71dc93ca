#!/usr/bin/env bash
# The first stage of the fifth and eighth candidates (tools/train-outsider-candidate.sh,
# tools/train-eighth-candidate.sh): a model of the default's shape whose vocabulary and weights are learned from the
# Python 3.11 documentation only (tools/make-training-corpus.sh fetches it), plain text in 256-token windows, no
# copying curriculum. Writes WORK/corpus/pydoc.jsonl.gz (once), WORK/stage1.gguf, WORK/stage1.ckpt, WORK/stage1.log.
# Usage: tools/train-language-stage.sh WORK   About 60 minutes on 2 cores; rerun the train command with --resume
# added to continue after an interruption (resume is bit-identical).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:?usage: tools/train-language-stage.sh WORK}")"
mkdir -p "$work/corpus"
cd "$root"
if [ ! -f "$work/corpus/pydoc.jsonl.gz" ]; then
  tools/make-training-corpus.sh "$work/text"
  mv "$work/text/pydoc.jsonl.gz" "$work/corpus/" # the copy of the sample corpus it also writes is left out
  rm -rf "$work/text"
fi
./entropylong train --corpus "$work/corpus" --out "$work/stage1.gguf" --checkpoint "$work/stage1.ckpt" \
  --vocab 4096 --dim 128 --layers 4 --heads 4 --ctx 256 --steps 2000 --batch 16 --micro-batch 4 \
  --lr 3e-3 --warmup 50 --eval-every 250 --seed 11 --log-every 20 --checkpoint-every 100 \
  2> >(tee "$work/stage1.log" >&2)
