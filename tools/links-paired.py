#!/usr/bin/env python3
"""Is one build's `precision_verified` really above another's? Both builds read the same root documents; this
resamples those with links (2,000 draws, seeded) and recomputes both precisions on each draw, so the interval of the
difference accounts for the documents being shared. Pairs are counted as `bench links` counts them: distinct
(document, source document) pairs of kept candidates, over the documents that have links.

Usage: tools/links-paired.py CORPUS.jsonl[.gz] BASE_BUILD BUILD...   (the corpus whose records carry `links`)
"""
import math
import random
import sys

from corpus_links import read_details, read_links

DRAWS = 2000
# The percentiles `bench links` takes for precision_verified_ci95 (LinkMeasurement.BootstrapInterval).
LOW, HIGH = int(0.025 * (DRAWS - 1)), math.ceil(0.975 * (DRAWS - 1))


def pairs_per_document(build, links):
    """document id -> (linked pairs, pairs) over the kept candidates, for the documents with links."""
    out = {}
    for r in read_details(build):
        doc = r["document_id"]
        if doc not in links:
            continue
        sources = {c["source_document_id"] for a in r.get("anchors") or [] for c in a["candidates"] if c.get("kept")}
        out[doc] = (len(sources & links[doc]), len(sources))
    return out


def precision(counts, docs):
    linked = sum(counts.get(d, (0, 0))[0] for d in docs)
    total = sum(counts.get(d, (0, 0))[1] for d in docs)
    return linked / total if total else 0.0


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    links = read_links(sys.argv[1])
    base = pairs_per_document(sys.argv[2], links)
    print("| build | documents with links | precision verified | base | difference | 95% interval | draws at or below 0 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for build in sys.argv[3:]:
        other = pairs_per_document(build, links)
        if set(other) != set(base):
            sys.exit(f"{build}: its documents with links differ from {sys.argv[2]}'s; build both on the same roots")
        docs = sorted(base)
        rng = random.Random(1)
        diffs = []
        for _ in range(DRAWS):
            draw = [rng.choice(docs) for _ in docs]
            diffs.append(precision(other, draw) - precision(base, draw))
        diffs.sort()
        p, b = precision(other, docs), precision(base, docs)
        print(f"| {build} | {len(docs)} | {p:.1%} | {b:.1%} | {p - b:+.1%} | {diffs[LOW]:+.1%} to {diffs[HIGH]:+.1%} "
              f"| {sum(d <= 0 for d in diffs) / len(diffs):.0%} |")


if __name__ == "__main__":
    main()
