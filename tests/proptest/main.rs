//! Property-based tests of the ttm-model (proptest + proptest-state-machine).
//!
//! * `ww_state_machine`: sequential conformance of the ww_mutex API against a reference
//!   model (return codes, `acquired` counts, misuse reports), both classes.
//! * `drm_exec_kunit`: drivers/gpu/drm/tests/drm_exec_test.c ported test by test.
//! * `ttm_lru`: TTM KUnit LRU cases ported, and generated LRU operation sequences.
//! * `concurrent` (shuttle build only): generated 2-3 task scripts explored under shuttle.
//!
//! Runs in the default (shuttle) build and with `--no-default-features` (real threads);
//! not under `--cfg loom` (loom's model cannot run proptest's many sequential cases).

#![cfg(not(loom))]

mod harness;

mod drm_exec_kunit;
mod ttm_lru;
mod ww_state_machine;

#[cfg(feature = "shuttle")]
mod concurrent;
