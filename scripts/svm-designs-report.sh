#!/usr/bin/env bash
# Regenerate docs/SVM-DESIGNS.md's data and plots (the 2024 SVM exhaustive-eviction debate,
# issue 15): shuttle over the six SVM VRAM-manager designs at 2/4/8/16 CPUs with and
# without GUP-like pins, real threads (--no-default-features), the tables
# (docs/svm-designs-data/tables.md), the SVG plots (docs/img/svm-designs-*.svg), then the
# design tests (properties) and the two designs' regression entries. A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/svm-designs-data
cargo bench --bench svm_designs -- shuttle > /dev/null
cargo bench --bench svm_designs -- seeds > /dev/null
cargo bench --no-default-features --bench svm_designs -- threads
cargo bench --bench svm_designs -- tables
cargo bench --bench svm_designs -- plot
cargo test --release --test shuttle svm_designs
cargo test --release --test regressions
