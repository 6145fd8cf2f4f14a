//! The SVM divergences of issue 12 (docs/kernel-notes/review_ttm_svm_verified.md §2), each
//! shown by the property it breaks or keeps:
//!
//! * S1: the AMD eviction worker signals the eviction fence whatever is left in VRAM. The
//!   kernel's own WARN_ONCE ("This was not the last reference") is `svm-eviction`; when the
//!   freed VRAM is allocated again while a CPU fault still holds a device page, the new
//!   svm_bo's `zone_device_page_init` breaks `device-page-reinit` (the finding
//!   `amd-evict-signal-live`). The proposal `amd-evict-busy-if-live` removes both.

use std::time::Duration;
use ttm_model::engine::{EngineKind, Outcome, RunConfig, explore};
use ttm_model::model::{Property, Variant, VariantSet};
use ttm_model::scenario;

fn run(name: &str, engine: EngineKind, variants: VariantSet, max: usize) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(engine, variants);
    cfg.seed = 3;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    explore(&sc, &cfg)
}

/// S1 on mainline: the worker's WARN_ONCE fires (svm-eviction) in both AMD eviction
/// scenarios; in `svm-amd-evict-signal-live` the execution goes on and the reused VRAM
/// re-initialises the page the CPU fault holds (device-page-reinit).
#[test]
fn amd_evict_signal_live_breaks_device_page_reinit() {
    let o = run(
        "svm-amd-evict-fault",
        EngineKind::Shuttle,
        VariantSet::NONE,
        10_000,
    );
    let f = o.found.expect("the AMD worker's WARN_ONCE");
    assert_eq!(f.failure.property, Property::SvmEviction, "{}", f.failure);
    assert!(
        f.failure
            .message
            .contains("This was not the last reference"),
        "{}",
        f.failure
    );
    let o = run(
        "svm-amd-evict-signal-live",
        EngineKind::Shuttle,
        VariantSet::NONE,
        10_000,
    );
    let f = o.found.expect("VRAM reused under a live device page");
    assert!(f.has(Property::DevicePageReinit), "{}", f.failure);
    assert!(
        f.trace
            .iter()
            .any(|l| l.contains("ttm_bo_pipeline_gutting(devmem0)")),
        "{}",
        f.trace.join("\n")
    );
}

/// The proposal keeps the BO's VRAM while device pages are live: both scenarios clean,
/// under random and PCT scheduling.
#[test]
fn amd_evict_busy_if_live_keeps_the_vram() {
    for name in ["svm-amd-evict-fault", "svm-amd-evict-signal-live"] {
        for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
            let o = run(
                name,
                engine,
                VariantSet::of(Variant::AmdEvictBusyIfLive),
                5_000,
            );
            if let Some(f) = o.found {
                panic!("{name}: {}\n{}", f.failure, f.trace.join("\n"));
            }
        }
    }
}
