#!/usr/bin/python3
"""Validates the STAC catalog of a changewatch run folder, wherever it was copied.

    /usr/bin/python3 scripts/check_stac.py OUT

Walks OUT/catalog.json -> collections -> items by their links and checks:
  - each object against the required fields of STAC 1.0.0 (schemas/stac-1.0.0-required.json,
    written from the specification; the official schemas are not fetched), and each item
    against the changewatch: fields' schema (schemas/changewatch-stac-extension.json);
  - every link and asset inside the run folder is relative and resolves to a file there;
  - derived_from links (the input scenes, outside the run folder) carry the scene's SHA-256.
Prints one line per problem and exits 1 if there is any; exit 0 and a summary otherwise.
Needs python3-jsonschema (Debian).
"""
import json
import os
import sys
from urllib.parse import urlparse

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = os.path.realpath(sys.argv[1])
    core = load(os.path.join(ROOT, "schemas", "stac-1.0.0-required.json"))
    ext = load(os.path.join(ROOT, "schemas", "changewatch-stac-extension.json"))
    validators = {k: jsonschema.Draft7Validator({**core, "$ref": f"#/definitions/{k}"})
                  for k in ("catalog", "collection", "item")}
    ext_validator = jsonschema.Draft7Validator(ext)
    problems = []
    counts = {"catalog": 0, "collection": 0, "item": 0, "links": 0, "derived_from": 0}

    def check_href(doc_path, href, what):
        parsed = urlparse(href)
        if parsed.scheme or os.path.isabs(href):
            problems.append(f"{doc_path}: {what} '{href}' is not relative to the run folder")
            return None
        target = os.path.realpath(os.path.join(os.path.dirname(doc_path), href))
        if os.path.commonpath([target, out]) != out:
            problems.append(f"{doc_path}: {what} '{href}' leaves the run folder")
            return None
        if not os.path.isfile(target):
            problems.append(f"{doc_path}: {what} '{href}' does not resolve ({target} missing)")
            return None
        counts["links"] += 1
        return target

    seen = set()

    def visit(path, kind):
        if path in seen:
            return
        seen.add(path)
        doc = load(path)
        counts[kind] += 1
        for e in validators[kind].iter_errors(doc):
            problems.append(f"{path}: STAC 1.0.0 {kind}: {'/'.join(map(str, e.path))}: {e.message}")
        if kind == "item":
            for e in ext_validator.iter_errors(doc):
                problems.append(f"{path}: changewatch fields: {'/'.join(map(str, e.path))}: {e.message}")
            for key, asset in doc.get("assets", {}).items():
                check_href(path, asset.get("href", ""), f"asset {key}")
        for link in doc.get("links", []):
            rel, href = link.get("rel"), link.get("href", "")
            if rel == "derived_from":
                counts["derived_from"] += 1
                continue  # an input scene outside the run folder: identified by its SHA-256
            target = check_href(path, href, f"link rel={rel}")
            if target and rel == "child":
                visit(target, "collection")
            elif target and rel == "item":
                visit(target, "item")

    catalog = os.path.join(out, "catalog.json")
    if not os.path.isfile(catalog):
        print(f"{catalog}: no catalog", file=sys.stderr)
        return 1
    visit(catalog, "catalog")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {counts['catalog']} catalog, {counts['collection']} collections, {counts['item']} items, "
          f"{counts['links']} relative links and assets resolved, {counts['derived_from']} derived_from links "
          f"with SHA-256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
