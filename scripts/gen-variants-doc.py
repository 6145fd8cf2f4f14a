#!/usr/bin/env python3
"""Regenerate docs/variants.md from `cargo run --release -- list --json`.

Usage: python3 scripts/gen-variants-doc.py   (from the crate root)
"""
import json
import subprocess

HEADER = """# Variants

Each variant re-creates a bug at the place the kernel had it (or, for `mutation`, a seeded change
that shows a check bites where the model knows no historical bug; for `finding`, mainline
behaviour the model found wrong, see docs/findings.md). All are off by default; the default model is the kernel baseline named by `ttm-model --version`.
Regenerate this file with `python3 scripts/gen-variants-doc.py` (it reads
`cargo run --release -- list --json`). `by` lists the engines tests show finding it
(real-thread stress finds most non-memory-ordering ones too, but it is not claimed: docs/PERFORMANCE.md).

| variant | kind | kernel fix | in mainline | found as | by | scenarios | what it does |
|---|---|---|---|---|---|---|---|
"""


def span(v) -> str:
    i, f = v.get("introduced_in"), v.get("fixed_in")
    if i is None and f is None:
        return "n/a" if v["kind"] != "historical" else "unknown"
    return f"{i or 'old'} .. {f or 'unfixed'}"


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
            f"| `{v['name']}` | {v['kind']} ({v['area']}) | {fix} | {span(v)} | `{v['property']}` | {by} | {scen} | {desc} |"
        )
    kernels = []
    for k in ["6.6", "6.12"]:
        lk = json.loads(
            subprocess.run(
                ["cargo", "run", "--quiet", "--release", "--", "list", "--json", "--kernel", k],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )["kernel_version"]
        kernels.append(lk)
    by_name = {v["name"]: v for v in data["variants"]}
    krows = []
    for lk in kernels:
        bugs = []
        for b in lk["known_bugs"]:
            v = by_name[b]
            bp = "; ".join(v["backports"]) or "none recorded"
            bugs.append(f"`{b}` (fixed in {v['fixed_in']}; stable: {bp})")
        unknown = ", ".join(f"`{u}`" for u in lk["unknown"]) or "none"
        krows.append(
            f"| {lk['version']} | {len(lk['scenarios'])} | {'<br>'.join(bugs) or 'none'} | {unknown} |"
        )
    kernel_section = (
        "\n\n## Older kernels (`hunt --kernel V`)\n\n"
        f"Baseline: {data['kernel']}. `hunt --kernel V` runs the scenarios whose code V has "
        "with every historical variant whose fix V lacks (`introduced_in` <= V < `fixed_in`); "
        "variants whose versions the registry does not know stay off and are listed. "
        "Sources: docs/kernel-notes/review_ww_verified.md, review_ttm_svm_verified.md.\n\n"
        "| kernel | scenarios with its code | known bugs it still has (mainline fix; stable trees) | status unknown (left off) |\n"
        "|---|---|---|---|\n" + "\n".join(krows) + "\n"
    )
    with open("docs/variants.md", "w") as f:
        f.write(HEADER + "\n".join(rows) + kernel_section)


if __name__ == "__main__":
    main()
