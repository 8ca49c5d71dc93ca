#!/usr/bin/env python3
"""Writes the reStructuredText sources of the Python documentation as a JSON-lines corpus, one document per page.

Usage: rst_to_jsonl.py SOURCES_DIR OUT.jsonl.gz LABEL
SOURCES_DIR is the html/_sources folder of Debian's python3.X-doc package; LABEL (e.g. "python3.11-doc 3.11.2-6")
becomes each record's "source". Ids are "pydoc:<page path without .rst.txt>". Pages are written in path order and
the gzip header carries no time, so the same package gives the same bytes.
"""
import gzip
import json
import pathlib
import sys

sources, out, label = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
pages = sorted(p for p in sources.rglob("*.rst.txt") if p.is_file())
with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
    for page in pages:
        text = page.read_text(encoding="utf-8").replace("\r\n", "\n").strip()
        if not text:
            continue
        page_id = "pydoc:" + page.relative_to(sources).as_posix()[: -len(".rst.txt")]
        record = {"id": page_id, "text": text, "source": label}
        gz.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
print(f"{len(pages)} pages -> {out}", file=sys.stderr)
