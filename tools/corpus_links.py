"""The links of a corpus (JSON lines, optionally gzipped): id -> the set of ids its record's `links` names, for the
records that have any. Shared by the links-*.py tools."""
import gzip
import json


def read_links(corpus):
    opener = gzip.open if corpus.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8") as f:
        return {r["id"]: set(r["links"]) for r in map(json.loads, f) if r.get("links")}
