#!/usr/bin/env python3
"""Regenerate docs/variants.md from `cargo run --release -- list --json`.

Usage: python3 scripts/gen-variants-doc.py   (from the crate root)
"""
import json
import subprocess

HEADER = """# Variants

Each variant re-creates a bug at the place the kernel had it (or, for `mutation`, a seeded change
that shows a check bites where the model knows no historical bug; for `finding`, mainline
behaviour the model found wrong, see docs/findings.md). All are off by default.
Regenerate this file with `python3 scripts/gen-variants-doc.py` (it reads
`cargo run --release -- list --json`). `by` lists the engines tests show finding it
(real-thread stress finds most non-memory-ordering ones too, but it is not claimed: docs/PERFORMANCE.md).

| variant | kind | kernel fix | found as | by | scenarios | what it does |
|---|---|---|---|---|---|---|
"""


def main() -> None:
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--", "list", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out)
    rows = []
    for v in data["variants"]:
        scen = ", ".join(f"`{s}`" for s in v["scenarios"])
        by = ", ".join(v["engines"])
        desc = v["description"].replace("|", "\\|")
        fix = v["kernel_fix"].replace("|", "\\|")
        rows.append(
            f"| `{v['name']}` | {v['kind']} ({v['area']}) | {fix} | `{v['property']}` | {by} | {scen} | {desc} |"
        )
    with open("docs/variants.md", "w") as f:
        f.write(HEADER + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
