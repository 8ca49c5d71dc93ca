#!/usr/bin/env python3
"""Precision and recall against links of rules that keep verified chunks, over document-gain's output: the paper's
(every chunk with dI > epsilon), the default scorer's (the best-ranked such chunk per anchor), a stricter epsilon,
and verified chunks that also lower the entropy of the rest of the document by more than a share (gain_rest,
gain_before). Counted as `bench links` counts: distinct (document, source document) pairs over the root documents
that have links; recall is the share of those roots with a kept chunk from a document they link to.

Usage: tools/document-gain/analyze.py PAIRS.jsonl CORPUS.jsonl[.gz] BUILD
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from corpus_links import read_details, read_links  # noqa: E402

pairs_path, corpus, build = sys.argv[1:4]
links = read_links(corpus)
by_anchor = {}
with open(pairs_path, encoding="utf-8") as f:
    for row in map(json.loads, f):
        by_anchor.setdefault((row["doc"], row["anchor"]), []).append(row)
for candidates in by_anchor.values():
    candidates.sort(key=lambda r: r["rank"])
scored = {doc for doc, _ in by_anchor}
roots = [record["document_id"] for record in read_details(build)]
roots = roots[: max(i for i, doc in enumerate(roots) if doc in scored) + 1]  # a run cut short covers the first roots
linked_roots = {doc for doc in roots if doc in links}
print(f"{len(roots)} roots ({len(linked_roots)} with links), {len(by_anchor)} anchors, {sum(map(len, by_anchor.values()))} pairs")


def report(name, choose):
    kept, used, found = set(), set(), set()
    for (doc, _), candidates in by_anchor.items():
        for c in choose(candidates):
            used.add(doc)
            if doc in links:
                kept.add((doc, c["source"]))
                if c["source"] in links[doc]:
                    found.add(doc)
    hits = sum(source in links[doc] for doc, source in kept)
    print(f"| {name} | {len(used)} | {len(kept)} | {100 * hits / max(len(kept), 1):.1f}% | {100 * len(found) / max(len(linked_roots), 1):.1f}% |")


def passing(candidates, epsilon=0.4):
    return [c for c in candidates if c["delta"] is not None and c["delta"] > epsilon]


print("| rule | documents used | verified pairs | precision verified | recall (docs) |\n| --- | --- | --- | --- | --- |")
report("top-1 retrieved", lambda cs: cs[:1])
report("every passing (the paper's)", passing)
report("best-ranked passing (the default scorer's)", lambda cs: passing(cs)[:1])
report("largest dI", lambda cs: sorted(passing(cs), key=lambda c: -c["delta"])[:1])
for epsilon in (0.5, 0.6):
    report(f"best-ranked with dI > {epsilon}", lambda cs, e=epsilon: passing(cs, e)[:1])
for key in ("gain_rest", "gain_before"):
    report(f"largest {key}", lambda cs, k=key: sorted(passing(cs), key=lambda c: -c[k])[:1])
    report(f"smallest {key}", lambda cs, k=key: sorted(passing(cs), key=lambda c: c[k])[:1])
    for m in (0.05, 0.1):
        report(f"best-ranked with {key} > {m}", lambda cs, k=key, m=m: [c for c in passing(cs) if c[k] > m][:1])
