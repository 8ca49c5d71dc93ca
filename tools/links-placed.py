#!/usr/bin/env python3
"""How often the chunks a build placed before its documents come from documents they link to, for every method
(`entropylong`'s verified chunks, `retrieval`'s unverified ones, `nextlong`'s distractors), read off sequences.jsonl.
Counted as `bench links` counts verified chunks: distinct (document, source document) pairs over the documents that
have links, and the share of those documents placed with a chunk from a document they link to. Chunks marked
"negative" (`--hard-negatives`) are left out.

Usage: tools/links-placed.py CORPUS.jsonl[.gz] BUILD...   (the corpus whose records carry `links`)
"""
import json
import sys

from corpus_links import read_links


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    links = read_links(sys.argv[1])
    print("| build | documents with links | pairs placed | precision placed | documents with a linked chunk |")
    print("| --- | --- | --- | --- | --- |")
    for build in sys.argv[2:]:
        pairs, documents, found = set(), set(), set()
        with open(f"{build}/sequences.jsonl", encoding="utf-8") as f:
            for sample in (s for line in f for s in json.loads(line)["samples"]):
                doc = sample["document_id"]
                if doc not in links:
                    continue
                documents.add(doc)
                for context in sample["contexts"]:
                    if context.get("kind") == "negative":
                        continue
                    source = context["source_document_id"]
                    pairs.add((doc, source))
                    if source in links[doc]:
                        found.add(doc)
        linked = sum(source in links[doc] for doc, source in pairs)
        print(f"| {build} | {len(documents):,} | {len(pairs):,} | {linked / len(pairs) if pairs else float('nan'):.1%} | "
              f"{len(found):,} ({len(found) / len(documents) if documents else float('nan'):.1%}) |")


if __name__ == "__main__":
    main()
