#!/usr/bin/env python3
"""Compares two runs of `audio-analyzer analyze` on the same files: two JSON Lines outputs and,
optionally, their two `--analysis` directories. Used to check that a build for another
architecture (scripts/check-aarch64.sh) or a refactoring gives the same results.

    python3 scripts/compare_records.py A.jsonl B.jsonl [--docs DIR_A DIR_B] [--tol 1e-4]

Rules:
  * the same ids in both; integers and strings (key, mode, time_signature, duration_ms, codec,
    content_hash, ...) identical;
  * a float may differ by at most TOL * max(1, scale), where the scale is the largest magnitude
    that field takes in run A (so timbre, in the hundreds, and confidences, in 0-1, get the same
    relative tolerance); SIMD paths that sum in another order differ in the last bits;
  * documents: the same list lengths (bars, beats, tatums, sections, segments) and the same rule
    for every number; `meta.platform` (which names the SIMD path) is not compared.

Prints, per field, how many values differ and the largest difference; exits 1 if any value is
beyond the rule, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

DEFAULT_TOL = 1e-4
IGNORED = {"meta.platform"}


def read_jsonl(path: str) -> dict[str, dict]:
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r for r in (json.loads(line) for line in f if line.strip())}


class Diff:
    """Per-field tallies: values compared, values that differ, largest difference, violations."""

    def __init__(self) -> None:
        self.fields: dict[str, list] = {}
        self.problems: list[str] = []

    def leaves(self, a, b, path: str, where: str, pairs: list) -> None:
        """Collects (path, a, b) leaf pairs; structural mismatches are problems."""
        if path in IGNORED:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                self.problems.append(f"{where}: {path or 'record'} keys differ: {sorted(a.keys() ^ b.keys())}")
            for k in a.keys() & b.keys():
                self.leaves(a[k], b[k], f"{path}.{k}" if path else k, where, pairs)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                self.problems.append(f"{where}: {path} has {len(a)} items against {len(b)}")
            for x, y in zip(a, b):
                self.leaves(x, y, path, where, pairs)
        else:
            pairs.append((path, a, b, where))

    def compare(self, pairs: list, tol: float) -> None:
        scale: dict[str, float] = {}
        for path, a, _, _ in pairs:
            if isinstance(a, float):
                scale[path] = max(scale.get(path, 0.0), abs(a))
        for path, a, b, where in pairs:
            t = self.fields.setdefault(path, [0, 0, 0.0])
            t[0] += 1
            if a == b:
                continue
            t[1] += 1
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
            if numeric:
                t[2] = max(t[2], abs(a - b))
            exact = not numeric or (isinstance(a, int) and isinstance(b, int))
            if exact or abs(a - b) > tol * max(1.0, scale.get(path, 0.0)):
                self.problems.append(f"{where}: {path}: {a!r} against {b!r}")

    def report(self, title: str) -> None:
        same = sum(1 for t in self.fields.values() if t[1] == 0)
        print(f"{title}: {len(self.fields)} fields, {same} identical everywhere")
        for path, (n, differ, largest) in sorted(self.fields.items()):
            if differ:
                print(f"  {path}: {differ}/{n} values differ, largest difference {largest:.3g}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--docs", nargs=2, metavar=("DIR_A", "DIR_B"))
    ap.add_argument("--tol", type=float, default=DEFAULT_TOL)
    args = ap.parse_args()

    ra, rb = read_jsonl(args.a), read_jsonl(args.b)
    rec = Diff()
    if ra.keys() != rb.keys():
        rec.problems.append(f"ids differ: {len(ra.keys() ^ rb.keys())} in one run only")
    pairs: list = []
    for i in sorted(ra.keys() & rb.keys()):
        rec.leaves(ra[i], rb[i], "", i, pairs)
    rec.compare(pairs, args.tol)
    rec.report(f"records: {len(ra)} against {len(rb)}")
    problems = rec.problems

    if args.docs:
        da, db = args.docs
        names_a, names_b = set(os.listdir(da)), set(os.listdir(db))
        docs = Diff()
        if names_a != names_b:
            docs.problems.append(f"documents differ: {len(names_a ^ names_b)} in one directory only")
        pairs = []
        for name in sorted(names_a & names_b):
            with open(os.path.join(da, name), encoding="utf-8") as fa, open(os.path.join(db, name), encoding="utf-8") as fb:
                docs.leaves(json.load(fa), json.load(fb), "", name, pairs)
        docs.compare(pairs, args.tol)
        docs.report(f"documents: {len(names_a)} against {len(names_b)}")
        problems += docs.problems

    for p in problems[:20]:
        print("BEYOND TOLERANCE:", p)
    if len(problems) > 20:
        print(f"... and {len(problems) - 20} more")
    print(f"{'FAIL' if problems else 'OK'}: {len(problems)} values beyond tolerance {args.tol:g} (relative to each field's scale)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
