//! The rest of the bug catalogue (bugs.md B3, B22, B27): each variant is found with its
//! property by both schedulers, and its scenario is clean without it.

use std::time::Duration;
use ttm_model::engine::{EngineKind, Found, RunConfig, explore};
use ttm_model::model::{Property, Variant, VariantSet};
use ttm_model::scenario;

fn hunt(
    name: &str,
    engine: EngineKind,
    v: VariantSet,
    seed: u64,
    max: usize,
) -> (usize, Option<Found>) {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(engine, v);
    cfg.seed = seed;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    let o = explore(&sc, &cfg);
    (o.executions, o.found)
}

const ENGINES: [EngineKind; 2] = [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }];

/// On: found with `property` on every seed, with `needle` in the message; off: clean.
fn found_and_clean(name: &str, v: Variant, property: Property, needle: &str) {
    for engine in ENGINES {
        for seed in 0..3 {
            let (n, f) = hunt(name, engine, VariantSet::of(v), seed, 20_000);
            let f = f.unwrap_or_else(|| {
                panic!(
                    "{} not found on {name} ({}) in {n} executions",
                    v.name(),
                    engine.name()
                )
            });
            assert_eq!(f.failure.property, property, "{name}: {}", f.failure);
            assert!(
                f.failure.message.contains(needle),
                "{name}: the report names the bug: {}",
                f.failure.message
            );
        }
        let (n, f) = hunt(name, engine, VariantSet::NONE, 7, 5_000);
        assert!(
            f.is_none(),
            "{name} ({}): {}",
            engine.name(),
            f.unwrap().failure
        );
        assert!(n >= 5_000, "{name}: only {n} executions");
    }
}

/// B3: the stress_inorder_work loop before cfa92b6d5207 retries after the deadline
/// (the bounded-progress fallback, no lasso claimed); the fixed loop bails out. Both
/// classes.
#[test]
fn b3_stress_retry_without_timeout_check_is_a_livelock_bound() {
    for name in ["stress-inorder-deadline-wd", "stress-inorder-deadline-ww"] {
        found_and_clean(
            name,
            Variant::StressRetryNoTimeout,
            Property::Livelock,
            "retry bound (no lasso proven): stress_inorder_work",
        );
    }
}

/// B22: ttm_mem_evict_wait_busy unlocks the BO it slept for; the younger resubmitting
/// ticket retakes it and the oldest ticket sleeps on the same residency again
/// (eviction-progress). The walker's ticketlock keeps the BO and evicts it: clean.
#[test]
fn b22_evict_wait_busy_unlock_starves_the_oldest_ticket() {
    found_and_clean(
        "ttm-evict-wait-busy",
        Variant::EvictWaitBusyUnlock,
        Property::EvictionProgress,
        "slept for X's resv a second time",
    );
}

/// B27: amdgpu_vm_pt_free without ttm_bo_set_bulk_move(NULL): the page table is released
/// while still in the VM's bulk move (WARN_ON_ONCE(bo->bulk_move), lru-structure).
#[test]
fn b27_vm_pt_free_keeping_the_bulk_move_is_caught() {
    found_and_clean(
        "ttm-amdgpu-vm-fini",
        Variant::VmPtFreeKeepsBulk,
        Property::LruStructure,
        "bo->bulk_move is still set",
    );
}
