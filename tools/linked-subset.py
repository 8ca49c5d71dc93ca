#!/usr/bin/env python3
"""A small linked set cut from a large linked corpus, for `bench links` on text that chose nothing: the documents
reached breadth-first from SEED along `links` (in the order each record names them), at most N, leaving out documents
longer than MAX_CHARS characters (a dictionary's few huge entries would otherwise fill the set), and the documents of
earlier sets named with --exclude (so that a new set shares no document with one already spent). Each record keeps its
text; its `links` and `mentions` keep only the documents in the set. Written as JSON lines to OUT.

Usage: tools/linked-subset.py CORPUS.jsonl[.gz] SEED_ID N MAX_CHARS OUT.jsonl [--exclude SPENT.jsonl]...
"""
import json
import sys

from corpus_links import read_corpus


def main():
    args, spent_sets = sys.argv[1:], []
    while "--exclude" in args:
        at = args.index("--exclude")
        if at + 1 == len(args):
            sys.exit(f"--exclude needs a file\n\n{__doc__}")
        spent_sets.append(args[at + 1])
        del args[at:at + 2]
    if len(args) != 5:
        sys.exit(__doc__)
    corpus, seed, out = args[0], args[1], args[4]
    if not (args[2].isdigit() and args[3].isdigit() and int(args[2]) > 0):
        sys.exit(f"N and MAX_CHARS must be whole numbers, N at least 1 (got {args[2]!r}, {args[3]!r})\n\n{__doc__}")
    limit, max_chars = int(args[2]), int(args[3])
    records = {r["id"]: r for r in read_corpus(corpus, required=("id", "text"))}
    spent = {r["id"] for path in spent_sets for r in read_corpus(path)}
    if seed not in records:
        sys.exit(f"{corpus}: no document with id {seed!r}")
    if seed in spent:
        sys.exit(f"{corpus}: the seed {seed!r} is in a set named with --exclude")
    chosen, queue = [seed], [seed]
    taken = {seed} | spent
    while queue and len(chosen) < limit:
        for target in records[queue.pop(0)].get("links", []):
            if target in taken or target not in records or len(records[target]["text"]) > max_chars:
                continue
            taken.add(target)
            chosen.append(target)
            queue.append(target)
            if len(chosen) == limit:
                break
    members, linked = set(chosen), 0
    with open(out, "w", encoding="utf-8") as f:
        for doc in chosen:
            record = dict(records[doc])
            record["links"] = [t for t in record.get("links", []) if t in members]
            record["mentions"] = [m for m in record.get("mentions", []) if m[2] in members]
            linked += bool(record["links"])
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{out}: {len(chosen)} documents, {linked} with links, "
          f"{sum(len(records[d]['text']) for d in chosen) / len(chosen):,.0f} characters on average", file=sys.stderr)


if __name__ == "__main__":
    main()
