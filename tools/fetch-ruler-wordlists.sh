#!/usr/bin/env bash
# Rebuilds data/ruler/ word lists.
#  - wonderwords-{noun,adjective,verb}list.txt: the word lists RULER draws keys (niah) and words (cwe) from,
#    copied from an installed or unpacked `wonderwords` Python package (MIT). Pass its package folder:
#      tools/fetch-ruler-wordlists.sh "$(python3 -c 'import wonderwords,os;print(os.path.dirname(wonderwords.__file__))')"
#  - english-words.txt: the large list cwe falls back to when it needs more distinct words than wonderwords has;
#    the lowercase alphabetic entries of Debian's wamerican (SCOWL, permissive licence in COPYRIGHT.scowl).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ww="${1:?usage: $0 <wonderwords package folder>}"
for f in nounlist adjectivelist verblist; do cp "$ww/assets/$f.txt" "$root/data/ruler/wonderwords-$f.txt"; done
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download wamerican && dpkg-deb -x wamerican_*.deb x)
grep '^[a-z]*$' "$tmp/x/usr/share/dict/american-english" > "$root/data/ruler/english-words.txt"
cp "$tmp/x/usr/share/doc/wamerican/copyright" "$root/data/ruler/COPYRIGHT.scowl"
