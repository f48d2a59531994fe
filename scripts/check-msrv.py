#!/usr/bin/env python3
"""Checks the stated MSRV: no package of the workspace depends (normal or build dependency,
transitively) on a crate whose `rust-version` is newer than the package's own.

Only one toolchain is available on the build machines, so the MSRV cannot be checked by
compiling with the old compiler; this checks the promise the dependencies make instead, and
clippy's `incompatible_msrv` lint checks our own use of the standard library.
"""
import json
import subprocess
import sys


def version(v):
    return tuple(int(x) for x in v.split("."))[:2]


meta = json.loads(subprocess.check_output(["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"]))
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
failed = False
for member in meta["workspace_members"]:
    pkg = packages[member]
    if not pkg.get("rust_version"):
        print(f"{pkg['name']}: no rust-version stated")
        failed = True
        continue
    msrv = version(pkg["rust_version"])
    seen, stack = set(), [member]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for dep in nodes[node]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    worst = max(
        ((version(packages[i]["rust_version"]), packages[i]["name"]) for i in seen if packages[i].get("rust_version")),
        default=((0, 0), "-"),
    )
    status = "ok" if worst[0] <= msrv else "TOO NEW"
    print(f"{pkg['name']}: rust-version {pkg['rust_version']}, newest dependency need {worst[0][0]}.{worst[0][1]} ({worst[1]}): {status}")
    failed |= worst[0] > msrv
sys.exit(1 if failed else 0)
