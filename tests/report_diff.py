#!/usr/bin/env python3
"""Compares two report directories (`ratelab report --out A` and `--out B`) field by field, timing fields aside.

A refactor must leave the numbers alone; the reports it regenerates differ only in what the clock measured. This
reads every results.json and manifest.json under both directories and prints each difference that is not timing:
wall and CPU seconds, creation time, commit and version in the manifest, the x values of figures whose x axis is a
time, and the "seconds" column of tables inside method texts. Exit status: 0 when nothing else differs, 1 otherwise,
2 on bad arguments.

    python3 tests/report_diff.py reports /tmp/fresh/reports
"""
import json
import os
import re
import sys

MANIFEST_TIMING = {"wall_time_seconds", "created_utc", "commit", "version"}


def without_seconds_column(text):
    """A method text with the 'seconds' column blanked out of every markdown table in it."""
    out, column = [], None
    for line in text.split("\n"):
        cells = line.split("|") if line.startswith("|") else None
        if cells is None:
            column = None
        elif column is None and "seconds" in [c.strip() for c in cells]:
            column = [c.strip() for c in cells].index("seconds")
        elif column is not None and len(cells) > column:
            cells[column] = " "
            line = "|".join(cells)
        out.append(line)
    return "\n".join(out)


def is_time_axis(figure):
    label = str((figure.get("x") or {}).get("label", ""))
    return re.search(r"\b(wall|seconds?|time)\b", label) is not None


def compare(a, b, path, diffs, manifest=False):
    if isinstance(a, dict) and isinstance(b, dict):
        figure = "series" in a and "x" in a
        for k in sorted(set(a) | set(b)):
            if manifest and k in MANIFEST_TIMING:
                continue
            if k not in a or k not in b:
                diffs.append(f"{path}/{k}: present on one side only")
            elif figure and k == "series" and is_time_axis(a):
                strip = lambda s: [{kk: vv for kk, vv in x.items() if kk != "x"} for x in s]
                compare(strip(a[k]), strip(b[k]), f"{path}/{k}", diffs)
            elif k == "method" and isinstance(a[k], str) and isinstance(b[k], str):
                if without_seconds_column(a[k]) != without_seconds_column(b[k]):
                    diffs.append(f"{path}/{k}: text differs")
            else:
                compare(a[k], b[k], f"{path}/{k}", diffs, manifest)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diffs.append(f"{path}: {len(a)} against {len(b)} elements")
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", diffs, manifest)
    elif a != b:
        diffs.append(f"{path}: {a!r} against {b!r}")


def json_files(root):
    for d, _, files in os.walk(root):
        if os.path.basename(d) == ".cache":
            continue
        for f in files:
            if f in ("results.json", "manifest.json"):
                yield os.path.relpath(os.path.join(d, f), root)


def main(argv):
    if len(argv) != 3 or not all(os.path.isdir(d) for d in argv[1:]):
        print("usage: report_diff.py DIR_A DIR_B (two report directories)", file=sys.stderr)
        return 2
    a_root, b_root = argv[1], argv[2]
    names_a, names_b = set(json_files(a_root)), set(json_files(b_root))
    diffs = [f"{n}: only in {a_root if n in names_a else b_root}" for n in sorted(names_a ^ names_b)]
    for name in sorted(names_a & names_b):
        with open(os.path.join(a_root, name)) as fa, open(os.path.join(b_root, name)) as fb:
            compare(json.load(fa), json.load(fb), name, diffs, manifest=name.endswith("manifest.json"))
    for d in diffs:
        print(d)
    print(f"{len(names_a & names_b)} files compared; {len(diffs)} differences beyond timing fields")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
