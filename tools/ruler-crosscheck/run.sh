#!/usr/bin/env bash
# Runs the RULER reference generators (a checkout of NVIDIA/RULER given as $1) and this tool's generators on the
# same word-level tokenizer, then compares the samples: prompt lengths, line counts, answer counts, template
# text. Needs Debian's python3-numpy python3-scipy python3-nltk python3-yaml python3-tqdm. wonderwords is
# stubbed with this repository's copies of its word lists; the tokenizer is the regex \w+|[^\w\s] on both sides.
set -euo pipefail
ruler="${1:?usage: $0 <RULER checkout>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cp -r "$ruler/scripts" "$work/scripts"
mkdir -p "$work/stub/wonderwords" "$work/bin"
printf 'from . import random_word\n' > "$work/stub/wonderwords/__init__.py"
cat > "$work/stub/wonderwords/random_word.py" <<PY
import os
def _get_words_from_text_file(name):
    return [w.rstrip() for w in open(os.path.join("$root/data/ruler", "wonderwords-" + name), encoding="utf-8")]
PY
cat > "$work/scripts/data/tokenizer.py" <<'PY'
import re
class WordTok:
    def text_to_tokens(self, text): return re.findall(r"\w+|[^\w\s]", text)
def select_tokenizer(tokenizer_type, tokenizer_path): return WordTok()
PY
echo '{}' > "$work/scripts/data/synthetic/json/english_words.json"
ln -s /usr/bin/python3 "$work/bin/python"
for t in niah_single_1 niah_multikey_2 niah_multikey_3 vt cwe fwe; do
  for L in 4096 8192; do
    (cd "$work/scripts/data" && PATH="$work/bin:$PATH" PYTHONPATH="$work/stub" /usr/bin/python3 prepare.py --save_dir "$work/ref/$L" \
      --benchmark synthetic --task $t --tokenizer_path x --tokenizer_type hf --max_seq_length $L --num_samples 5 >/dev/null 2>&1)
  done
done
dotnet run -c Release --project "$here/ruler-crosscheck.csproj" -- "$work/ours" >/dev/null
python3 "$here/compare.py" "$work/ref" "$work/ours"
