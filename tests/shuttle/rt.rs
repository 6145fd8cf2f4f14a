//! PREEMPT_RT (`--config preempt-rt`): the ww_rt_mutex / rtmutex / PI model. Each RT
//! variant is found by its property in its `rt-*` scenario and the scenario is clean
//! without it; every ww, drm_exec and TTM scenario and the test-ww_mutex ports run
//! unchanged and clean under RT.

use std::time::Duration;
use ttm_model::engine::{EngineKind, Outcome, RunConfig, explore};
use ttm_model::model::config::{KConfig, KernelConfig};
use ttm_model::model::{Property, Variant, VariantSet};
use ttm_model::scenario;

const RT: KernelConfig = KernelConfig::of(KConfig::PreemptRt);

fn run_rt(name: &str, engine: EngineKind, variants: VariantSet, seed: u64, max: usize) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(engine, variants);
    cfg.seed = seed;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    cfg.config = RT;
    explore(&sc, &cfg)
}

fn found(name: &str, v: Variant, max: usize) -> Option<Property> {
    run_rt(name, EngineKind::Shuttle, VariantSet::of(v), 1, max)
        .found
        .map(|f| f.failure.property)
}

fn assert_clean_rt(name: &str, engine: EngineKind, max: usize) {
    let o = run_rt(name, engine, VariantSet::NONE, 7, max);
    if let Some(f) = &o.found {
        if scenario::findings::known(name, 0).is_some_and(|k| k.breaks(|p| f.has(p))) {
            return;
        }
        panic!(
            "{name} ({}, preempt-rt) failed on the fixed model: {}\n{}",
            engine.name(),
            f.failure,
            f.trace.join("\n")
        );
    }
}

/// Every variant of the RT registry rows: found by its property, clean without.
fn variant_found_and_off_clean(v: Variant, p: Property, max: usize) {
    let info = v.info();
    for sc in info.scenarios {
        assert_eq!(found(sc, v, max), Some(p), "{} on {sc}", info.name);
        let o = run_rt(sc, EngineKind::Shuttle, VariantSet::NONE, 2, 3_000);
        assert!(
            o.found.is_none(),
            "{sc} is clean without {}: {:?}",
            info.name,
            o.found.map(|f| f.failure)
        );
    }
}

#[test]
fn rt_b4_chain_walk_through_ww_cycle_is_spurious_edeadlk() {
    variant_found_and_off_clean(
        Variant::RtWwChainEdeadlk,
        Property::SpuriousEdeadlk,
        100_000,
    );
}

#[test]
fn rt_b5_chain_walk_edeadlk_bypasses_ww_bookkeeping() {
    variant_found_and_off_clean(Variant::RtWwEdeadlk, Property::EdeadlkBookkeeping, 100_000);
}

#[test]
fn rt_b6_backout_leaves_waiter_queued_corrupts_pi_chain() {
    variant_found_and_off_clean(Variant::RtWwBackoutQueued, Property::PiChain, 100_000);
}

#[test]
fn rt_wake_q_double_flush_is_use_after_free() {
    variant_found_and_off_clean(Variant::RtWakeQDoubleFlush, Property::UseAfterFree, 100_000);
}

#[test]
fn rt_wake_q_unflushed_is_deadlock() {
    variant_found_and_off_clean(Variant::RtWakeQUnflushed, Property::Deadlock, 100_000);
}

#[test]
fn rt_no_boost_is_priority_inversion() {
    variant_found_and_off_clean(Variant::RtNoBoost, Property::PriorityInversion, 100_000);
}

/// PCT finds the RT lost wakeup as well.
#[test]
fn rt_wake_q_unflushed_pct() {
    let o = run_rt(
        "rt-abba-ww",
        EngineKind::ShuttlePct { depth: 3 },
        VariantSet::of(Variant::RtWakeQUnflushed),
        3,
        100_000,
    );
    assert_eq!(
        o.found.map(|f| f.failure.property),
        Some(Property::Deadlock)
    );
}

/// The non-RT wake_q variant has no effect under RT (it lives in mutex.c's slow path),
/// and the RT ones none without RT: each is at its real place.
#[test]
fn wake_q_variants_sit_at_their_real_places() {
    let o = run_rt(
        "abba-ww",
        EngineKind::Shuttle,
        VariantSet::of(Variant::WakeQUnflushed),
        1,
        2_000,
    );
    assert!(o.found.is_none(), "{:?}", o.found.map(|f| f.failure));
    let sc = scenario::find("abba-ww").unwrap();
    let mut cfg = RunConfig::new(
        EngineKind::Shuttle,
        VariantSet::of(Variant::RtWakeQUnflushed),
    );
    cfg.max_executions = Some(2_000);
    let o = explore(&sc, &cfg);
    assert!(o.found.is_none(), "{:?}", o.found.map(|f| f.failure));
}

/// Every ww, drm_exec and TTM scenario of the default set runs unchanged under
/// CONFIG_PREEMPT_RT and is clean on the baseline (known findings apart).
#[test]
fn fixed_model_all_scenarios_preempt_rt() {
    for sc in scenario::default_set() {
        if matches!(sc.area, "svm" | "design") {
            continue;
        }
        let max = if sc.tasks > 5 { 150 } else { 400 };
        assert_clean_rt(&sc.name, EngineKind::Shuttle, max);
    }
}

#[test]
fn fixed_model_ww_scenarios_preempt_rt_pct() {
    for sc in scenario::default_set() {
        if sc.area != "ww" {
            continue;
        }
        let max = if sc.tasks > 5 { 150 } else { 400 };
        assert_clean_rt(&sc.name, EngineKind::ShuttlePct { depth: 3 }, max);
    }
}

/// The test-ww_mutex port (scenario::selftest) under both configurations, with the
/// kernel's expectations (its `expectation` checks): clean either way.
#[test]
fn test_ww_mutex_port_both_configs() {
    let names: Vec<String> = scenario::all()
        .into_iter()
        .filter(|s| {
            ["test-mutex-", "aa-", "abba-", "cycle", "stress-"]
                .iter()
                .any(|p| s.name.starts_with(p))
                && !s.name.contains("broken-client")
        })
        .map(|s| s.name)
        .collect();
    assert!(names.len() >= 30, "{names:?}");
    for name in &names {
        for config in [KernelConfig::NONE, RT] {
            let sc = scenario::find(name).unwrap();
            let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
            cfg.seed = 11;
            cfg.max_executions = Some(300);
            cfg.config = config;
            let o = explore(&sc, &cfg);
            assert!(
                o.found.is_none(),
                "{name} with {:?}: {:?}",
                config.names(),
                o.found.map(|f| f.failure)
            );
        }
    }
    // And the broken client is still caught under RT (the expectation bites there too).
    let o = run_rt(
        "abba-broken-client-wd",
        EngineKind::Shuttle,
        VariantSet::NONE,
        1,
        1_000,
    );
    assert_eq!(
        o.found.map(|f| f.failure.property),
        Some(Property::Expectation)
    );
}
