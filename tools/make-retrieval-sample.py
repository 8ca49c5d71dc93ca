#!/usr/bin/env python3
"""Writes data/retrieval/python-docstrings.jsonl.gz: real English technical prose (CPython 3.12 standard-library
docstrings, PSF license) for the retrieval tests and `entropylong bench embed`. Deterministic for a given
Python installation: python3.12 tools/make-retrieval-sample.py"""
import ast, gzip, inspect, json, pathlib, random, sys, sysconfig

lib = pathlib.Path(sysconfig.get_paths()["stdlib"])
docs = {}
for path in sorted(lib.rglob("*.py")):
    rel = path.relative_to(lib)
    if any(p in ("test", "tests", "idle_test", "site-packages") for p in rel.parts):
        continue
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        continue
    module = ".".join(rel.with_suffix("").parts)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc and 200 <= len(doc) <= 4000:
                name = module if isinstance(node, ast.Module) else f"{module}.{node.name}:{node.lineno}"
                docs.setdefault(doc, name)
items = sorted((name, text) for text, name in docs.items())
random.Random(42).shuffle(items)
items = items[:4000]
out = pathlib.Path(__file__).resolve().parent.parent / "data" / "retrieval" / "python-docstrings.jsonl.gz"
with gzip.GzipFile(out, "wb", mtime=0) as f:
    for name, text in items:
        f.write((json.dumps({"id": name, "text": text}, ensure_ascii=False) + "\n").encode())
print(f"{len(items)} documents, {sum(len(t) for _, t in items)} chars -> {out}", file=sys.stderr)
