#!/usr/bin/env bash
# Rebuilds data/haystack/devils-dictionary.txt from Debian's dict-devil package (Ambrose Bierce,
# "The Devil's Dictionary", 1911; public domain, see data/haystack/README.md).
# Needs apt (Debian/Ubuntu) and network access to the Debian archive.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download dict-devil
dpkg-deb -x dict-devil_*.deb x
# The dictd file is gzip-compatible. Keep the book from its preface on; drop the dictd database headers
# before it and the index alphabet line after it.
zcat x/usr/share/dictd/devil.dict.dz \
  | awk 'started || /^ *PREFACE *$/ { started = 1; print }' \
  | grep -v '^ abcdefghijklmnopqrstuvwxyz$' \
  > "$root/data/haystack/devils-dictionary.txt"
sha256sum "$root/data/haystack/devils-dictionary.txt"
