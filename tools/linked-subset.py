#!/usr/bin/env python3
"""A small linked set cut from a large linked corpus, for `bench links` on text that chose nothing: the documents
reached breadth-first from SEED along `links` (in the order each record names them), at most N, leaving out documents
longer than MAX_CHARS characters (a dictionary's few huge entries would otherwise fill the set). Each record keeps its
text; its `links` and `mentions` keep only the documents in the set. Written as JSON lines to OUT.

Usage: tools/linked-subset.py CORPUS.jsonl[.gz] SEED_ID N MAX_CHARS OUT.jsonl
"""
import json
import sys

from corpus_links import read_corpus


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    corpus, seed, out = sys.argv[1], sys.argv[2], sys.argv[5]
    if not (sys.argv[3].isdigit() and sys.argv[4].isdigit() and int(sys.argv[3]) > 0):
        sys.exit(f"N and MAX_CHARS must be whole numbers, N at least 1 (got {sys.argv[3]!r}, {sys.argv[4]!r})\n\n{__doc__}")
    limit, max_chars = int(sys.argv[3]), int(sys.argv[4])
    records = {r["id"]: r for r in read_corpus(corpus, required=("id", "text"))}
    if seed not in records:
        sys.exit(f"{corpus}: no document with id {seed!r}")
    chosen, queue = [seed], [seed]
    taken = {seed}
    while queue and len(chosen) < limit:
        for target in records[queue.pop(0)].get("links", []):
            if target in taken or target not in records or len(records[target]["text"]) > max_chars:
                continue
            taken.add(target)
            chosen.append(target)
            queue.append(target)
            if len(chosen) == limit:
                break
    linked = 0
    with open(out, "w", encoding="utf-8") as f:
        for doc in chosen:
            record = dict(records[doc])
            record["links"] = [t for t in record.get("links", []) if t in taken]
            record["mentions"] = [m for m in record.get("mentions", []) if m[2] in taken]
            linked += bool(record["links"])
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{out}: {len(chosen)} documents, {linked} with links, "
          f"{sum(len(records[d]['text']) for d in chosen) / len(chosen):,.0f} characters on average", file=sys.stderr)


if __name__ == "__main__":
    main()
