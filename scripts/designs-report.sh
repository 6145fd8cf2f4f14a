#!/usr/bin/env bash
# Regenerate docs/DESIGNS.md's data and plots (the shrinker-API debate, issue 5): real
# threads (--no-default-features), shuttle (lock sections, model steps, fairness), then the
# SVG plots. Tables go to docs/designs-data/*.md, data to docs/designs-data/*.csv, plots to
# docs/img/designs-*.svg. About 1.5-2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/designs-data
cargo bench --no-default-features --bench designs -- threads | tee docs/designs-data/threads.md
cargo bench --bench designs -- shuttle | tee docs/designs-data/shuttle.md
cargo bench --bench designs -- plot
cargo test --release --test shuttle designs
