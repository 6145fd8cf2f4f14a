//! shuttle tests (random and PCT schedulers, many tasks). Default build only.
#![cfg(all(feature = "shuttle", not(loom)))]

use std::time::Duration;
use ttm_model::engine::{EngineKind, InjectConfig, Outcome, RunConfig, explore};
use ttm_model::model::{Property, Variant, VariantSet};
use ttm_model::scenario;

fn run(name: &str, engine: EngineKind, variants: VariantSet, seed: u64, max: usize) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(engine, variants);
    cfg.seed = seed;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    explore(&sc, &cfg)
}

fn assert_clean(name: &str, engine: EngineKind, max: usize) {
    let o = run(name, engine, VariantSet::NONE, 7, max);
    if let Some(f) = &o.found {
        // A known finding of the baseline in its own scenario is the expected result.
        if scenario::findings::known(name, 0).is_some_and(|k| k.breaks(|p| f.has(p))) {
            return;
        }
        panic!(
            "{name} ({}) failed on the fixed model: {}\n{}",
            engine.name(),
            f.failure,
            f.trace.join("\n")
        );
    }
    assert!(
        o.executions >= max.min(100),
        "{name}: only {} executions",
        o.executions
    );
}

/// The fixed model: every scenario, random and PCT, a few thousand executions each.
#[test]
fn fixed_model_all_scenarios_random() {
    for sc in scenario::default_set() {
        let max = if sc.tasks > 5 { 500 } else { 2_000 };
        assert_clean(&sc.name, EngineKind::Shuttle, max);
    }
}

#[test]
fn fixed_model_all_scenarios_pct() {
    for sc in scenario::default_set() {
        let max = if sc.tasks > 5 { 300 } else { 1_000 };
        assert_clean(&sc.name, EngineKind::ShuttlePct { depth: 3 }, max);
    }
}

/// Many tasks: the 16-context ring and 8-ring under both schedulers.
#[test]
fn fixed_model_many_tasks() {
    for name in [
        "cycle16-wd",
        "cycle16-ww",
        "ring8-wd",
        "ring8-ww",
        "exec-ctx4",
    ] {
        assert_clean(name, EngineKind::Shuttle, 3_000);
        assert_clean(name, EngineKind::ShuttlePct { depth: 2 }, 1_000);
    }
}

/// Every variant shuttle can see is found on each of its scenarios, with the property
/// recorded in the variants registry, and the same scenario passes without it.
#[test]
fn every_shuttle_variant_is_found_with_its_property() {
    for v in Variant::ALL {
        let info = v.info();
        if !info.engines.contains(&"shuttle")
            || ttm_inject::INJECTION_ONLY.contains(&v)
            || info.kind == ttm_model::model::variants::VariantKind::Proposal
        {
            // The error-path variants are found with injection (tests/shuttle/ttm_inject.rs);
            // proposals remove findings (proposals_remove_their_findings).
            continue;
        }
        for name in info.scenarios {
            let o = run(name, EngineKind::Shuttle, VariantSet::of(v), 1, 200_000);
            let f = o.found.unwrap_or_else(|| {
                panic!(
                    "variant {} not found on {name} in {} executions",
                    info.name, o.executions
                )
            });
            assert_eq!(
                f.failure.property, info.property,
                "variant {} on {name}: {}",
                info.name, f.failure
            );
            assert!(!f.trace.is_empty(), "a failure carries its trace");
        }
    }
}

fn run_with(name: &str, inject: InjectConfig, seed: u64, max: usize) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
    cfg.seed = seed;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    cfg.inject = inject;
    explore(&sc, &cfg)
}

/// Spurious returns from schedule() bite: a sleeper that does not re-check its condition
/// after schedule() is caught (property `expectation`) with `--spurious 1`, and only then.
#[test]
fn spurious_returns_catch_a_sleeper_that_does_not_recheck() {
    let name = "sleep-no-recheck-broken-client";
    let o = run_with(name, InjectConfig::spurious(1), 1, 20_000);
    let f = o.found.expect("found with spurious returns");
    assert_eq!(f.failure.property, Property::Expectation, "{}", f.failure);
    assert!(
        f.trace.iter().any(|l| l.contains("spurious return")),
        "the trace shows the spurious return"
    );
    let o = run_with(name, InjectConfig::off(), 1, 5_000);
    assert!(o.found.is_none(), "clean without spurious returns");
}

/// The fixed ww model stays clean with spurious returns on (every ww sleeper re-checks):
/// the test-ww_mutex port, with both spurious sites.
#[test]
fn fixed_ww_model_clean_with_spurious_returns() {
    for name in [
        "abba-wd",
        "abba-ww",
        "abba-signal-wd",
        "cycle3-wd",
        "cycle3-ww",
        "ring3-ww",
        "stress-inorder-wd",
        "stress-inorder-ww",
        "stress-all-wd",
        "contend3-wd",
        "contend3-ww",
        "mixed-ctx-ww",
    ] {
        let o = run_with(name, InjectConfig::spurious(2), 3, 2_000);
        if let Some(f) = o.found {
            panic!(
                "{name} with spurious returns: {}\n{}",
                f.failure,
                f.trace.join("\n")
            );
        }
    }
}

/// The blocked_on clear mutations are caught under proxy execution only (property
/// `deadlock`): without it a woken task runs whatever its blocked_on says.
#[test]
fn blocked_on_clear_mutations_bite_under_proxy_exec_only() {
    use ttm_model::model::config::{KConfig, KernelConfig};
    for (v, plain, proxy) in [
        (Variant::DropWoundClear, "abba-ww", "abba-proxy-exec-ww"),
        (
            Variant::DropDieClear,
            "contend3-wd",
            "contend3-proxy-exec-wd",
        ),
    ] {
        let o = run(plain, EngineKind::Shuttle, VariantSet::of(v), 5, 5_000);
        assert!(
            o.found.is_none(),
            "{} on {plain} without proxy exec",
            v.name()
        );
        let f = run(proxy, EngineKind::Shuttle, VariantSet::of(v), 5, 100_000)
            .found
            .unwrap_or_else(|| panic!("{} not found on {proxy}", v.name()));
        assert_eq!(f.failure.property, Property::Deadlock, "{}", f.failure);
        // `--config proxy-exec` on the plain scenario does the same.
        let sc = scenario::find(plain).unwrap();
        let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::of(v));
        cfg.seed = 5;
        cfg.max_executions = Some(100_000);
        cfg.budget = Duration::from_secs(60);
        cfg.config = KernelConfig::of(KConfig::ProxyExec);
        let f = explore(&sc, &cfg)
            .found
            .expect("found with --config proxy-exec");
        assert_eq!(f.failure.property, Property::Deadlock);
        assert_eq!(f.config, vec!["proxy-exec".to_string()]);
    }
}

/// first-waiter-2026 (25500ba7e77c, fixed by 0adc92b910b3 before v7.1-rc1) is found by the
/// test-ww_mutex stress port, as in real life (CONFIG_WW_MUTEX_SELFTEST hung at boot): three
/// contexts queue on one lock, an older one is inserted before the first waiter, and the
/// wait list read from `lock->first_waiter` leaves stamp order (property `wait-list-order`).
/// Without the variant the same scenarios are clean. (`stress-all-wd`, with only two context
/// workers and a context-less one, did not find it within 100 000 executions; `cycle3-*`
/// does, after a few thousand, when a back-off's relock queues behind a slow-locker.)
#[test]
fn first_waiter_2026_is_found_by_the_stress_port() {
    for name in [
        "stress-inorder-wd",
        "stress-inorder-ww",
        "stress-reorder-wd",
        "stress-reorder-ww",
    ] {
        let f = run(
            name,
            EngineKind::Shuttle,
            VariantSet::of(Variant::FirstWaiter2026),
            2,
            100_000,
        )
        .found
        .unwrap_or_else(|| panic!("first-waiter-2026 not found on {name}"));
        assert_eq!(
            f.failure.property,
            Property::WaitListOrder,
            "{name}: {}",
            f.failure
        );
        let o = run(name, EngineKind::Shuttle, VariantSet::NONE, 2, 2_000);
        assert!(o.found.is_none(), "{name} is clean without the variant");
    }
}

/// PCT finds the wakeup bugs too (it serialises more, so it gets a larger budget).
#[test]
fn pct_finds_wake_q_unflushed() {
    let o = run(
        "abba-ww",
        EngineKind::ShuttlePct { depth: 3 },
        VariantSet::of(Variant::WakeQUnflushed),
        3,
        100_000,
    );
    assert_eq!(
        o.found.map(|f| f.failure.property),
        Some(Property::Deadlock)
    );
}

/// A deadlock report names the wait-for cycle in kernel terms.
#[test]
fn deadlock_report_names_the_cycle() {
    let o = run(
        "abba-ww",
        EngineKind::Shuttle,
        VariantSet::of(Variant::WakeQUnflushed),
        1,
        100_000,
    );
    let f = o.found.expect("found");
    assert!(
        f.failure.message.contains("wait-for cycle"),
        "{}",
        f.failure.message
    );
    assert!(
        f.failure.message.contains("blocked in ww_mutex_lock"),
        "{}",
        f.failure.message
    );
}

/// Broken clients are caught: an ABBA worker that ignores -EDEADLK.
#[test]
fn broken_client_is_caught() {
    for c in ["wd", "ww"] {
        let o = run(
            &format!("abba-broken-client-{c}"),
            EngineKind::Shuttle,
            VariantSet::NONE,
            1,
            10_000,
        );
        assert_eq!(
            o.found.map(|f| f.failure.property),
            Some(Property::Expectation)
        );
    }
}

/// TTM broken clients: each check of the TTM model fires on the driver bug it exists for.
#[test]
fn ttm_broken_clients_are_caught() {
    for (name, property) in [
        ("broken-client-ttm-shrinker-blocks", Property::LockOrder),
        (
            "broken-client-ttm-alloc-under-reclaim-lock",
            Property::LockOrder,
        ),
        ("broken-client-ttm-walk-self-bump", Property::WalkProgress),
        (
            "broken-client-ttm-unlock-in-callback",
            Property::ConcurrentProcess,
        ),
        ("broken-client-ttm-scan-no-progress", Property::Livelock),
        ("broken-client-ttm-purge-live-data", Property::PageLedger),
        ("broken-client-ttm-pin-unlocked", Property::LruLocking),
        ("broken-client-ttm-hibernate-once", Property::Expectation),
        ("broken-client-ttm-scan-overreports", Property::PageLedger),
        ("broken-client-shrinker-ww-lock", Property::LockOrder),
        ("broken-client-shrinker-drm-exec", Property::LockOrder),
    ] {
        let o = run(name, EngineKind::Shuttle, VariantSet::NONE, 1, 20_000);
        let f = o
            .found
            .unwrap_or_else(|| panic!("{name}: nothing found in {} executions", o.executions));
        assert_eq!(f.failure.property, property, "{name}: {}", f.failure);
    }
}

/// A failure replays from its recorded schedule with the same property.
#[test]
fn failures_replay() {
    let sc = scenario::find("contend3-wd").unwrap();
    let v = VariantSet::of(Variant::NoBackoffWake);
    let o = run("contend3-wd", EngineKind::Shuttle, v, 5, 100_000);
    let f = o.found.expect("found");
    let again = ttm_model::engine::replay_schedule(&sc, v, &f.schedule)
        .expect("schedule applies")
        .expect("fails again");
    assert_eq!(again.failure.property, f.failure.property);
    assert_eq!(again.trace, f.trace, "replay gives the same trace");
    // Without the variant the same schedule does not fail.
    let fixed = ttm_model::engine::replay_schedule(&sc, VariantSet::NONE, &f.schedule);
    assert!(
        !matches!(fixed, Ok(Some(_))),
        "the fixed model must not fail on that schedule"
    );
}

/// docs/findings.md: in mainline a Wound-Wait context can be killed by a stale wound,
/// because `wounded` is only reset in the slow path.
/// Rare under random scheduling: nightly only (`--ignored`).
#[test]
#[ignore]
fn finding_stale_wound_kills_the_oldest_twice() {
    let o = run(
        "finding-stale-wound-ww",
        EngineKind::Shuttle,
        VariantSet::NONE,
        1,
        500_000,
    );
    let f = o.found.expect("the stale-wound interleaving is reachable");
    assert_eq!(f.failure.property, Property::OldestKilled, "{}", f.failure);
    assert!(
        f.failure.message.contains("stale wound"),
        "{}",
        f.failure.message
    );
}

/// A proposal removes the known finding of its scenario: with it on the scenario is
/// clean, without it (the baseline) the finding reproduces.
#[test]
fn proposals_remove_their_findings() {
    use ttm_model::model::variants::VariantKind;
    for p in Variant::ALL
        .into_iter()
        .filter(|v| v.info().kind == VariantKind::Proposal)
    {
        for name in p.info().scenarios {
            if p.info().removes.is_empty() {
                // A proposal that removes no finding (bulk-membership-flag) must leave
                // its scenarios clean.
                let with = run(
                    name,
                    EngineKind::ShuttlePct { depth: 3 },
                    VariantSet::of(p),
                    5,
                    3_000,
                );
                assert!(with.found.is_none(), "{} on {name}", p.name());
                continue;
            }
            let k = scenario::findings::known(name, 0)
                .expect("a proposal's scenario has a known finding");
            let with = run(
                name,
                EngineKind::ShuttlePct { depth: 3 },
                VariantSet::of(p),
                5,
                3_000,
            );
            assert!(
                with.found.is_none(),
                "{} does not remove the finding of {name}",
                p.name()
            );
            let base = run(
                name,
                EngineKind::ShuttlePct { depth: 3 },
                VariantSet::NONE,
                5,
                100_000,
            );
            let f = base
                .found
                .unwrap_or_else(|| panic!("{name}: the baseline finding did not reproduce"));
            assert!(k.breaks(|p| f.has(p)), "{name}: {}", f.failure);
        }
    }
}

mod catalogue;
mod designs;
mod lasso;
mod machine;
mod rt;
mod svm_designs;
mod svm_divergences;
mod svm_inject;
mod ttm_inject;
/// SVM races whose window is a few steps of one CPU against a long sequence of another
/// (registry engines: loom, shuttle-pct): PCT finds them with their property.
#[test]
fn svm_pct_variants_are_found() {
    for v in [Variant::FaultNoRef, Variant::ReuseBeforePageFree] {
        let info = v.info();
        for name in info.scenarios {
            let o = run(
                name,
                EngineKind::ShuttlePct { depth: 3 },
                VariantSet::of(v),
                1,
                100_000,
            );
            let f = o.found.unwrap_or_else(|| {
                panic!(
                    "{} not found on {name} in {} executions",
                    info.name, o.executions
                )
            });
            assert_eq!(
                f.failure.property, info.property,
                "{}: {}",
                info.name, f.failure
            );
        }
    }
}

/// The design rejected in 2024 (SVM migration gated by the VM's dma_resv) deadlocks, and
/// the report explains it in kernel terms: the GPU fault handler holds vm.resv and sleeps
/// on the page lock that the CPU fault holds while it waits for vm.resv.
#[test]
fn svm_vm_resv_gated_design_counterexample_is_readable() {
    let o = run(
        "svm-design-vm-resv",
        EngineKind::Shuttle,
        VariantSet::of(Variant::VmResvGated),
        1,
        10_000,
    );
    let f = o.found.expect("the gated design deadlocks");
    assert_eq!(f.failure.property, Property::Deadlock, "{}", f.failure);
    for needle in [
        "wait-for cycle",
        "softleaf_entry_wait_on_locked",
        "vm.resv",
        "ww_mutex_lock",
    ] {
        assert!(
            f.failure.message.contains(needle),
            "{needle}: {}",
            f.failure.message
        );
    }
    assert!(
        f.trace.iter().any(|l| l.contains("drm_gpusvm_range_evict")),
        "{}",
        f.trace.join("\n")
    );
}

/// The SVM scenarios on the fixed model with more executions than the all-scenario sweep.
#[test]
fn svm_fixed_model_longer() {
    for sc in scenario::all().into_iter().filter(|s| s.area == "svm") {
        assert_clean(&sc.name, EngineKind::Shuttle, 5_000);
        assert_clean(&sc.name, EngineKind::ShuttlePct { depth: 3 }, 3_000);
    }
}
mod ttm_warn;

/// A shrinker that takes a ww ticket (or runs a drm_exec transaction) on BO reservations
/// inside scan_objects is reported by the machine's lockdep with the primed chain, without
/// any lockdep call in the scenario (issue 11).
#[test]
fn shrinker_ww_lock_reports_the_chain() {
    for name in [
        "broken-client-shrinker-ww-lock",
        "broken-client-shrinker-drm-exec",
    ] {
        let o = run(name, EngineKind::Shuttle, VariantSet::NONE, 1, 1_000);
        let f = o.found.unwrap_or_else(|| panic!("{name}: not found"));
        assert_eq!(
            f.failure.property,
            Property::LockOrder,
            "{name}: {}",
            f.failure
        );
        assert!(
            f.failure.message.contains(
                "reservation_ww_class_acquire -> reservation_ww_class_mutex -> fs_reclaim"
            ) && f
                .failure
                .message
                .contains("reservation_ww_class_acquire blocking inside reclaim"),
            "{name}: {}",
            f.failure
        );
    }
}

/// The ww scenarios stay clean with injected failures (`--inject 1`; the small drm_exec
/// ones with 2): every drm_exec caller propagates the injected -ENOMEM of
/// drm_exec_obj_locked / dma_resv_reserve_fences and calls drm_exec_fini.
#[test]
fn ww_scenarios_clean_under_injection() {
    use ttm_model::engine::inject::InjectConfig;
    for sc in scenario::default_set() {
        if sc.area != "ww" {
            continue;
        }
        let budgets: &[u32] = if sc.name.starts_with("exec-") {
            &[1, 2]
        } else {
            &[1]
        };
        for &n in budgets {
            // A known finding's scenario (exec-evict-set) runs with the proposal that
            // removes the finding, so the rest of its error paths are checked.
            let model = if scenario::findings::known(&sc.name, n).is_some() {
                ttm_model::model::variants::FINDING_FIXES
            } else {
                VariantSet::NONE
            };
            let mut cfg = RunConfig::new(EngineKind::Shuttle, model);
            cfg.seed = 11;
            cfg.max_executions = Some(if sc.tasks > 5 { 200 } else { 1_000 });
            cfg.budget = Duration::from_secs(60);
            cfg.inject = InjectConfig::budget(n);
            let o = explore(&sc, &cfg);
            if let Some(f) = &o.found {
                panic!(
                    "{} (--inject {n}) failed: {}\n{}",
                    sc.name,
                    f.failure,
                    f.trace.join("\n")
                );
            }
        }
    }
}
