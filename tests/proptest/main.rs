//! Property-based tests of the ttm-model (proptest + proptest-state-machine).
//!
//! * `ww_state_machine`: sequential conformance of the ww_mutex API against a reference
//!   model (return codes, `acquired` counts, misuse reports), both classes.
//! * `drm_exec_kunit`: drivers/gpu/drm/tests/drm_exec_test.c ported test by test.
//! * `locking_selftest_ww`: the ww part of lib/locking-selftest.c (`ww_tests()`), every
//!   case with the kernel's SUCCESS / FAILURE expectation (verdict = `debug_locks`).
//! * `ttm_lru`: TTM KUnit LRU cases ported, and generated LRU operation sequences.
//! * `ttm_validate_kunit`: the eviction cases of drivers/gpu/drm/ttm/tests/
//!   ttm_bo_validate_test.c ported (and, where the model cannot express a mock manager
//!   feature, the nearest behaviour, with the reason at the test).
//! * `ttm_cursor_ref`: generated LRU / bulk-move / resource-cursor sequences on one CPU
//!   against a plain reference list model: list order and bulk ranges after every op, and
//!   the cursor's no-skip, bounded-revisit and termination guarantees (spec §3-§4, §9 P3-P4);
//!   variants `hitch-carried`, `bulk-first-not-advanced` and `next-missing-return` show the
//!   checks bite.
//! * `concurrent` (shuttle build only): generated 2-3 task scripts explored under shuttle.
//! * `ttm_scripts` (shuttle build only): generated 2-4 task TTM scripts (validate/evict,
//!   exec bulk bumps, swapout, shrinker scans, pin/unpin, BO create/put, eviction walks)
//!   explored under shuttle; the fixed model reports nothing, a variant is found.
//!
//! Runs in the default (shuttle) build and with `--no-default-features` (real threads);
//! not under `--cfg loom` (loom's model cannot run proptest's many sequential cases).

#![cfg(not(loom))]

mod harness;

mod drm_exec_kunit;
mod locking_selftest_ww;
mod ttm_cursor_ref;
mod ttm_lru;
mod ttm_validate_kunit;
mod ww_state_machine;

#[cfg(feature = "shuttle")]
mod concurrent;
#[cfg(feature = "shuttle")]
mod ttm_scripts;
