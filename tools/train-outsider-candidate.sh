#!/usr/bin/env bash
# Trains the fifth candidate scoring model of data/models/README.md ("A scorer that has not read the corpus"): the
# default's shape, its vocabulary and weights learned only from the Python 3.11 documentation
# (tools/make-training-corpus.sh), none of the sample corpus, so that the corpus's own terms are what it is unsure
# of. Two stages, the second a new run (--init) from the first's checkpoint. Model, checkpoints and logs go to
# WORK. Either stage continues after an interruption when its train command is rerun with --resume added (in place of its --init, if it has one; stage 1's is
# in tools/train-language-stage.sh).
# Usage: tools/train-outsider-candidate.sh [WORK]   (default /tmp/outsider-candidate)   About 55 minutes on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(realpath -m "${1:-/tmp/outsider-candidate}")"
cd "$root"
common=(--corpus "$work/corpus" --log-every 20 --checkpoint-every 100)

# 1. Plain text in 256-token windows (no copying curriculum: the default scorer's copy mixture supplies copying).
tools/train-language-stage.sh "$work"

# 2. The full context, 1,024-token windows, where a chunk and the document after it are scored together.
./entropylong train "${common[@]}" --out "$work/candidate.gguf" --checkpoint "$work/stage2.ckpt" \
  --init "$work/stage1.ckpt" --ctx 1024 --steps 150 --batch 8 --micro-batch 2 \
  --lr 1e-3 --warmup 10 --eval-every 75 --seed 12 --f16 2> >(tee "$work/stage2.log" >&2)
