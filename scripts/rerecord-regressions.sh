#!/usr/bin/env bash
# Re-record the saved schedules of tests/regressions/ (after a model change made them
# stale), then check them: one command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test regressions -- --ignored record_schedules --nocapture
cargo test --release --test regressions
git status --short tests/regressions/schedules
