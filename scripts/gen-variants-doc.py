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


POINT_RELEASES = """
`--kernel 6.12` and `--kernel 6.6` are the x.y releases plus what the registry says the
stable trees never got; a point release can differ (evidence: the registry's `backports`,
from stable-review mails and kernel.org push logs):

* **6.12.y, ww_mutex:** 894d1b3db41c ("locking/mutex: Remove wakeups from under
  mutex::wait_lock") is in 6.12.95 (35bdb300ca7a) as a stable dependency, so from 6.12.95 on
  die/wound wake-ups go through a wake_q as in the baseline model; 6.12.0 .. 6.12.94 call
  `wake_up_process()` under `wait_lock` (the same wake-ups, earlier; no modelled bug depends
  on the difference). Its rtmutex fix 4a0779145781 came only in 6.12.96 (37a95b776402), so
  6.12.95 alone has the `wake-q-unflushed` window, on PREEMPT_RT only.
* **6.12.y, drm_exec:** 159720704d9d (`exec-empty-array`) is fixed from 6.12.111
  (831cd124ce99); `--kernel 6.12` reports it because 6.12 and 6.12.1 .. 6.12.110 have it.
* **6.6.y, drm_exec:** the same fix was queued for 6.6.158-rc1 and again for 6.6.159-rc1;
  which release shipped it is not verified.
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
        + POINT_RELEASES
    )
    with open("docs/variants.md", "w") as f:
        f.write(HEADER + "\n".join(rows) + kernel_section)


if __name__ == "__main__":
    main()
