//! Real-thread stress (std threads + parking_lot): the model on the hardware's own
//! memory model and scheduler. Built with `--no-default-features`.
#![cfg(not(any(loom, feature = "shuttle")))]

use std::time::Duration;
use ttm_model::engine::{EngineKind, RunConfig, explore};
use ttm_model::model::VariantSet;
use ttm_model::scenario;

/// The fixed model stays clean under real contention.
#[test]
fn fixed_model_stress() {
    for name in [
        "abba-wd",
        "abba-ww",
        "ring8-wd",
        "ring8-ww",
        "cycle4-ww",
        "contend3-wd",
        "stress-all-ww",
        "exec-ctx4",
    ] {
        let sc = scenario::find(name).expect("scenario");
        let mut cfg = RunConfig::new(EngineKind::Threads, VariantSet::NONE);
        cfg.max_executions = Some(300);
        cfg.budget = Duration::from_secs(20);
        let o = explore(&sc, &cfg);
        if let Some(f) = o.found {
            panic!("{name}: {}\n{}", f.failure, f.trace.join("\n"));
        }
        assert!(o.executions > 0);
    }
}

/// TTM under real contention: walkers, ticketed eviction, swapout, shrinkers, bulk bumps and
/// BO create/destroy on OS threads; the invariants and the page ledger must hold.
#[test]
fn fixed_model_ttm_stress() {
    for name in [
        "ttm-stress-8",
        "ttm-stress-16",
        "ttm-busy-gpu-8",
        "ttm-shrink-16",
        "ttm-exec-evict-shrink",
        "ttm-hibernate",
    ] {
        let sc = scenario::find(name).expect("scenario");
        let mut cfg = RunConfig::new(EngineKind::Threads, VariantSet::NONE);
        cfg.max_executions = Some(200);
        cfg.budget = Duration::from_secs(15);
        let o = explore(&sc, &cfg);
        if let Some(f) = o.found {
            panic!("{name}: {}\n{}", f.failure, f.trace.join("\n"));
        }
        assert!(o.executions > 0, "{name}: no execution ran");
    }
}

/// The SVM scenarios on real threads (real preemption; the non-preemptible CPU of
/// `svm-drain-starve` is modelled, not real).
#[test]
fn fixed_model_svm_stress() {
    for sc in scenario::all().into_iter().filter(|s| s.area == "svm") {
        let mut cfg = RunConfig::new(EngineKind::Threads, VariantSet::NONE);
        cfg.max_executions = Some(200);
        cfg.budget = Duration::from_secs(5);
        let o = explore(&sc, &cfg);
        if let Some(f) = o.found {
            // A known finding of the baseline in its own scenario is the expected result.
            if scenario::findings::known(&sc.name, 0).is_some_and(|k| k.breaks(|p| f.has(p))) {
                continue;
            }
            panic!("{}: {}\n{}", sc.name, f.failure, f.trace.join("\n"));
        }
        assert!(o.executions > 0);
    }
}

/// Real threads inject failures from a seeded plan sampler: the error-path bug of the
/// probe is found with `--inject 1`, never without.
#[test]
fn injected_failures_on_real_threads() {
    use ttm_model::engine::InjectConfig;
    use ttm_model::model::Property;
    let sc = ttm_model::scenario::probe::inject_probe();
    let mut cfg = RunConfig::new(EngineKind::Threads, VariantSet::NONE);
    cfg.max_executions = Some(400);
    cfg.budget = Duration::from_secs(20);
    assert!(explore(&sc, &cfg).found.is_none());
    cfg.inject = InjectConfig::budget(1);
    let f = explore(&sc, &cfg).found.expect("found with injection");
    assert_eq!(f.failure.property, Property::DataLoss);
    assert_eq!(f.injected.len(), 1);
    // The replay stresses again, every execution under the failing plan.
    let again = ttm_model::engine::replay_schedule(&sc, VariantSet::NONE, &f.schedule)
        .expect("replayable")
        .expect("re-found under the recorded plan");
    assert_eq!(again.failure.property, Property::DataLoss);
    assert_eq!(again.injected, f.injected);
}

/// The SVM scenarios on real threads with one injected failure per execution (threads
/// sample a failure plan per execution from a seeded RNG): the kernel's error paths
/// (migration left in place, SIGBUS, eviction error) keep every check clean.
#[test]
fn fixed_model_svm_stress_inject_1() {
    for sc in scenario::all().into_iter().filter(|s| s.area == "svm") {
        let mut cfg = RunConfig::new(EngineKind::Threads, VariantSet::NONE);
        cfg.max_executions = Some(200);
        cfg.budget = Duration::from_secs(5);
        cfg.seed = 3;
        cfg.inject = ttm_model::engine::InjectConfig::budget(1);
        let o = explore(&sc, &cfg);
        if let Some(f) = o.found {
            if scenario::findings::known(&sc.name, 1).is_some_and(|k| k.breaks(|p| f.has(p))) {
                continue;
            }
            panic!(
                "{} (inject 1): {} (injected {:?})\n{}",
                sc.name,
                f.failure,
                f.injected,
                f.trace.join("\n")
            );
        }
        assert!(o.executions > 0);
    }
}
