"""What the links tools share: the records of a corpus (JSON lines, optionally gzipped); its links: id -> the set of ids
its record's `links` names, for the records that have any; the records of a build's details.jsonl; and which judged
candidates passed verification."""
import gzip
import json
import os
import sys


def read_links(corpus):
    return links_of(read_corpus(corpus))


def links_of(records):
    return {r["id"]: set(r["links"]) for r in records if r.get("links")}


def passes(candidate):
    """Passed every test the build applied, as `bench links` counts it: a capped chunk passed and gave way to a
    better-ranked one; one below --min-document-gain did not pass."""
    return bool(candidate.get("kept") or candidate.get("capped"))


def read_corpus(corpus, required=("id",)):
    """The records of a JSON-lines corpus (optionally gzipped) in order; a missing or malformed file, or a record without
    one of the required keys, ends the tool with its name (and line)."""
    if not os.path.isfile(corpus):
        sys.exit(f"{corpus}: not found")
    opener = gzip.open if corpus.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8") as f:
        for line, record in enumerate(_records(corpus, f), 1):
            missing = [k for k in required if not isinstance(record, dict) or k not in record]
            if missing:
                sys.exit(f"{corpus}:{line}: no {', '.join(missing)}")
            yield record


def _records(path, lines):
    for line, text in enumerate(lines, 1):
        try:
            yield json.loads(text)
        except json.JSONDecodeError as e:
            sys.exit(f"{path}:{line}: not JSON ({e.msg})")


def read_details(build):
    """The records of BUILD/details.jsonl in order; a missing or malformed file ends the tool with its name (and line)."""
    path = f"{build}/details.jsonl"
    if not os.path.isfile(path):
        sys.exit(f"{path}: not found; give finished builds made without --no-details")
    with open(path, encoding="utf-8") as f:
        yield from _records(path, f)
