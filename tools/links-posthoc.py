#!/usr/bin/env python3
"""What `bench links` would report had a build kept other chunks, read off the build's details.jsonl.

Verification's verdicts do not depend on which passing chunks are then kept, nor on how many other candidates an
anchor has, so one build that keeps every passing chunk (`--max-chunks-per-anchor 0`) tells what
`--max-chunks-per-anchor N` would keep for every N, what keeping the chunk with the largest entropy drop (dI)
instead of the best-ranked one would, and what judging only an anchor's first K candidates would (`--top-k K`,
up to the build's own; read off the longer list, which an index search for fewer neighbours may order slightly
differently), and what keeping only chunks whose source document passes for at least S anchors of the root would
(support: one document explaining several uncertain places of another). Counted as `bench links` counts: distinct
(document, source document) pairs over the documents that have links; recall is the share of those documents with
a kept chunk from a document they link to; documents used counts every root with a kept chunk.

Usage: tools/links-posthoc.py BUILD CORPUS.jsonl[.gz]   (the corpus whose records carry `links`)
"""
import sys

from corpus_links import passes, read_details, read_links


def measure(build, links, choose, top_k=None, min_support=1):
    """choose(passing candidates in retrieval order, support by source document) -> the ones kept, among each anchor's first top_k candidates
    whose source document passes for at least min_support of the root's anchors."""
    kept_pairs, top1_pairs, pool_pairs = set(), set(), set()
    documents, found, used, roots = 0, 0, 0, 0
    for record in read_details(build):
        doc = record["document_id"]
        roots += 1
        has_links = doc in links
        documents += has_links
        linked = kept_any = False
        anchors = record.get("anchors") or []
        support = {}
        for anchor in anchors:
            for source in {c["source_document_id"] for c in anchor["candidates"][:top_k] if passes(c)}:
                support[source] = support.get(source, 0) + 1
        for anchor in anchors:
            candidates = anchor["candidates"][:top_k]
            if has_links:
                top1_pairs.update((doc, c["source_document_id"]) for c in candidates[:1])
                pool_pairs.update((doc, c["source_document_id"]) for c in candidates)
            passing = [c for c in candidates if passes(c) and support[c["source_document_id"]] >= min_support]
            for c in choose(passing, support):
                kept_any = True
                if has_links:
                    kept_pairs.add((doc, c["source_document_id"]))
                    linked |= c["source_document_id"] in links[doc]
        found += linked
        used += kept_any
    return kept_pairs, top1_pairs, pool_pairs, found, documents, used, roots


def precision(pairs, links):
    return sum(source in links[doc] for doc, source in pairs) / len(pairs) if pairs else float("nan")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build, corpus = sys.argv[1], sys.argv[2]
    links = read_links(corpus)
    first = lambda p, _: p[:1]
    # max() keeps the first of equals, so ties go to the better retrieval rank.
    most_supported = lambda p, support: [max(p, key=lambda c: support[c["source_document_id"]])] if p else []
    rules = [("all", "every passing chunk", lambda p, _: p, None, 1)]
    rules += [("all", f"best-ranked {n}", lambda p, _, n=n: p[:n], None, 1) for n in (1, 2, 3)]
    rules += [("8", "every passing chunk", lambda p, _: p, 8, 1)]
    rules += [("all", "largest dI, 1", lambda p, _: [max(p, key=lambda c: c["delta"])] if p else [], None, 1)]
    rules += [(str(k), "best-ranked 1", first, k, 1) for k in (1, 2, 4, 8, 16)]
    rules += [(str(k) if k else "all", f"best-ranked 1, source passing for >= {s} anchors", first, k, s)
              for k in (8, None) for s in (2, 3)]
    rules += [(str(k) if k else "all", "the one whose source passes for most anchors", most_supported, k, 1) for k in (8, None)]
    print("| candidates judged per anchor | kept per anchor | documents used | verified pairs | precision verified "
          "| precision top-1 | precision retrieved | recall (docs) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for top_k, name, choose, k, min_support in rules:
        kept, top1, pool, found, documents, used, roots = measure(build, links, choose, k, min_support)
        print(f"| {top_k} | {name} | {used} of {roots} | {len(kept):,} | {precision(kept, links):.1%} | "
              f"{precision(top1, links):.1%} | {precision(pool, links):.1%} | "
              f"{found / documents if documents else float('nan'):.1%} |")


if __name__ == "__main__":
    main()
