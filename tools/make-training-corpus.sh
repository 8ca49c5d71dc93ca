#!/usr/bin/env bash
# Writes the default model's training text into a folder: the sample corpus (data/sample/corpus.jsonl.gz) and the
# reStructuredText sources of the Python 3.11 documentation from Debian's python3.11-doc package (PSF License 2.0:
# permissive; see data/models/README.md). The trainer holds out the same documents of both by their ids' hash.
# Needs apt-get (after 'apt-get update'), dpkg-deb and python3.
# Usage: tools/make-training-corpus.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:?usage: tools/make-training-corpus.sh OUT_DIR}")"
# The version the shipped model was trained on; another can be asked for with PYDOC=python3.11-doc=VERSION.
pydoc="${PYDOC:-python3.11-doc=3.11.2-6+deb12u9}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"
if ! apt-get download "$pydoc" >download.log 2>&1; then
  cat download.log >&2
  echo "make-training-corpus: apt-get download failed; run 'apt-get update' first, or name a version on offer (apt-cache policy python3.11-doc) in PYDOC=python3.11-doc=VERSION" >&2
  exit 1
fi
deb=(python3.11-doc_*.deb)
echo "$(dpkg-deb -f "${deb[0]}" Package) $(dpkg-deb -f "${deb[0]}" Version) ($(sha256sum "${deb[0]}" | cut -d' ' -f1))" >&2
dpkg-deb -x "${deb[0]}" x
python3 "$root/tools/training-corpus/rst_to_jsonl.py" x/usr/share/doc/python3.11/html/_sources "$out/pydoc.jsonl.gz" \
  "$(dpkg-deb -f "${deb[0]}" Package) $(dpkg-deb -f "${deb[0]}" Version)"
cp "$root/data/sample/corpus.jsonl.gz" "$out/sample.jsonl.gz"
