#!/usr/bin/env python3
"""What `bench links` would report had a build kept other chunks, read off the build's details.jsonl.

Verification's verdicts do not depend on which passing chunks are then kept, so one build that keeps every passing
chunk (`--max-chunks-per-anchor 0`) tells what `--max-chunks-per-anchor N` would keep for every N, and what keeping
the chunk with the largest entropy drop (dI) instead of the best-ranked one would. Counted as `bench links` counts:
distinct (document, source document) pairs over the documents that have links; recall is the share of those
documents with a kept chunk from a document they link to.

Usage: tools/links-posthoc.py BUILD CORPUS.jsonl[.gz]   (the corpus whose records carry `links`)
"""
import gzip
import json
import sys


def read_links(corpus):
    opener = gzip.open if corpus.endswith(".gz") else open
    links = {}
    with opener(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record.get("links"):
                links[record["id"]] = set(record["links"])
    return links


def measure(build, links, choose):
    """choose(passing candidates in retrieval order) -> the ones kept."""
    kept_pairs, top1_pairs, documents, found = set(), set(), 0, 0
    with open(f"{build}/details.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            doc = record["document_id"]
            if doc not in links:
                continue
            documents += 1
            linked = False
            for anchor in record.get("anchors") or []:
                candidates = anchor["candidates"]
                if candidates:
                    top1_pairs.add((doc, candidates[0]["source_document_id"]))
                passing = [c for c in candidates if c.get("kept") or c.get("capped")]
                for c in choose(passing):
                    kept_pairs.add((doc, c["source_document_id"]))
                    linked |= c["source_document_id"] in links[doc]
            found += linked
    return kept_pairs, top1_pairs, found, documents


def precision(pairs, links):
    return sum(source in links[doc] for doc, source in pairs) / len(pairs) if pairs else float("nan")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build, corpus = sys.argv[1], sys.argv[2]
    links = read_links(corpus)
    rules = [("every passing chunk", lambda p: p)]
    rules += [(f"best-ranked {n}", lambda p, n=n: p[:n]) for n in (1, 2, 3)]
    rules += [("largest dI, 1", lambda p: [max(p, key=lambda c: c["delta"])] if p else [])]
    print("| kept per anchor | verified pairs | precision verified | precision top-1 | recall (docs) |")
    print("| --- | --- | --- | --- | --- |")
    for name, choose in rules:
        kept, top1, found, documents = measure(build, links, choose)
        print(f"| {name} | {len(kept):,} | {precision(kept, links):.1%} | {precision(top1, links):.1%} | "
              f"{found / documents if documents else float('nan'):.1%} |")


if __name__ == "__main__":
    main()
