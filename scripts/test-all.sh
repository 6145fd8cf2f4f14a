#!/usr/bin/env bash
# The full test suite: every harness under the engine it is written for.
#   1. default build (shuttle engine): unit tests, tests/shuttle, tests/proptest, and
#      examples/driver-shrinker (the public API, used from a separate package)
#   2. real threads (std + parking_lot): unit tests, tests/proptest, tests/threads
#   3. loom (exhaustive within preemption bounds): tests/loom
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== [1/3] default build (shuttle): unit, shuttle, proptest; the out-of-tree example"
cargo test --release
# examples/driver-shrinker: a separate package on the public API only (ttm_model::api).
cargo test --release -p driver-shrinker

echo "== [2/3] real threads (--no-default-features): unit, proptest, threads"
cargo test --release --no-default-features

echo "== [3/3] loom (RUSTFLAGS=--cfg loom): tests/loom"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
