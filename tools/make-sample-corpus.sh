#!/usr/bin/env bash
# Regenerates data/sample/corpus.jsonl.gz from Debian's dict-jargon and dict-devil packages (both public
# domain; see data/sample/README.md). Needs apt-get (after 'apt-get update'), dpkg-deb and dotnet.
# Usage: tools/make-sample-corpus.sh [OUT]   (default: data/sample/corpus.jsonl.gz)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/data/sample/corpus.jsonl.gz}")"
# The versions the committed corpus was made from; newer ones can be asked for with JARGON=... DEVIL=...
jargon="${JARGON:-dict-jargon=4.4.7-3.1}"
devil="${DEVIL:-dict-devil=1.0-13.1}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download "$jargon" "$devil" >download.log 2>&1; then
  cat download.log >&2
  echo "make-sample-corpus: apt-get download failed; run 'apt-get update' first, or name the versions on offer (apt-cache policy dict-jargon dict-devil) in JARGON=dict-jargon=VERSION DEVIL=dict-devil=VERSION" >&2
  exit 1
fi
specs=()
for deb in dict-jargon_*.deb dict-devil_*.deb; do
  pkg="$(dpkg-deb -f "$deb" Package)"
  ver="$(dpkg-deb -f "$deb" Version)"
  mkdir -p "x/$pkg"
  dpkg-deb -x "$deb" "x/$pkg"
  name="${pkg#dict-}"
  specs+=("$pkg $ver=$work/x/$pkg/usr/share/dictd/$name")
  echo "$pkg $ver ($(sha256sum "$deb" | cut -d' ' -f1))" >&2
done
dotnet run --file "$root/tools/sample-corpus/DictdToJsonl.cs" -- "$out" "${specs[@]}"
