#!/usr/bin/env python3
"""Does verification pass a chunk because it explains an anchor, or because it shares the anchor's word? For each
build, over the anchors of documents with links: the judged candidates split by whether their source document
contains the anchor's word (case-insensitive, whole word; the source document stands in for the chunk, which is
the same text for short entries), with each part's pass rate and the share of passing ones that are links; then
the pass rate of linked and of unlinked candidates and their ratio (`bench links`' likelihood ratio, over all ranks).
A candidate passed as `bench links` counts it: kept, or capped per anchor.

Usage: tools/links-lexical.py CORPUS.jsonl[.gz] BUILD...   (the corpus whose records carry `links` and `text`)
"""
import re
import sys

from corpus_links import links_of, passes, read_corpus, read_details


def word_start(tokens, position):
    """A word anchor's position is its last token (a token anchor's, the token itself): back to the first token of the
    run of pieces that join letters or digits, as `--word-entropy` groups them."""
    while position > 0 and tokens[position][:1].isalnum() and tokens[position - 1][-1:].isalnum():
        position -= 1
    return position


def judged_candidates(build, texts, links):
    """(anchor word in the source, passed, linked) for every judged candidate of an anchor in a linked document."""
    for record in read_details(build):
        targets = links.get(record["document_id"])
        if not targets:
            continue
        tokens = record["tokens"]
        for anchor in record.get("anchors") or []:
            word = re.search(r"[A-Za-z][A-Za-z'-]+", "".join(tokens[word_start(tokens, anchor["position"]):anchor["position"] + 1]))
            if word is None:
                continue
            pattern = re.compile(r"\b" + re.escape(word.group(0).lower()) + r"\b")
            for candidate in anchor["candidates"]:
                if "h_prime" in candidate:
                    source = candidate["source_document_id"]
                    yield pattern.search(texts.get(source, "")) is not None, passes(candidate), source in targets


def share(part, whole):
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    records = list(read_corpus(sys.argv[1], required=("id", "text")))
    texts = {r["id"]: r["text"].lower() for r in records}
    links = links_of(records)
    print("| build | word in source: judged, passed, passed that are links | word not in source: judged, passed, passed "
          "that are links | linked candidates passed | unlinked passed | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for build in sys.argv[2:]:
        count = {}  # (word in source, passed, linked) -> candidates
        for key in judged_candidates(build, texts, links):
            count[key] = count.get(key, 0) + 1
        def n(word=None, ok=None, linked=None):
            return sum(v for (w, p, l), v in count.items()
                       if word in (None, w) and ok in (None, p) and linked in (None, l))
        parts = [f"{n(w):,}, {share(n(w, True), n(w))}, {share(n(w, True, True), n(w, True))}" for w in (True, False)]
        linked_rate, unlinked_rate = n(ok=True, linked=True) / max(n(linked=True), 1), n(ok=True, linked=False) / max(n(linked=False), 1)
        ratio = f"{linked_rate / unlinked_rate:.2f}" if unlinked_rate else "-"
        print(f"| {build} | {parts[0]} | {parts[1]} | {100 * linked_rate:.1f}% | {100 * unlinked_rate:.1f}% | {ratio} |")


if __name__ == "__main__":
    main()
