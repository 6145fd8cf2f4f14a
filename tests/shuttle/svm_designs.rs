//! The SVM VRAM-manager designs of the 2024 exhaustive-eviction thread
//! (docs/SVM-DESIGNS.md, issue 15): which properties each design's rule violates on the
//! common workload, and that every design is clean without it.

use super::*;
use ttm_model::scenario::svm_designs::{expected_violation, rule_variant};
use ttm_model::svm::designs::SvmDesign;

/// Every design is clean on the 2- and 4-CPU workloads (with and without GUP-like pins)
/// without a violating rule: deadlock, livelock, data-loss, svm-eviction, eviction-safety,
/// lockdep and the other SVM / TTM properties all hold.
#[test]
fn svm_designs_are_clean_without_their_rule() {
    for d in SvmDesign::ALL {
        for cpus in [2, 4] {
            for pin in ["", "-pin"] {
                let name = format!("svm-design-{}-{cpus}{pin}", d.name());
                assert_clean(&name, EngineKind::Shuttle, 1_500);
                assert_clean(&name, EngineKind::ShuttlePct { depth: 3 }, 500);
            }
        }
    }
    assert_clean(
        "svm-design-watermark-trylock-stall-locked-2",
        EngineKind::Shuttle,
        1_500,
    );
}

/// sigbus-on-failure: a CPU fault whose migration back fails on a temporary reference
/// gives up with SIGBUS (expectation), at every CPU count, with and without pins.
#[test]
fn sigbus_on_failure_gives_user_space_a_sigbus() {
    for cpus in [2, 4, 8, 16] {
        for pin in ["", "-pin"] {
            let name = format!("svm-design-sigbus-on-failure-{cpus}{pin}");
            let v = rule_variant(&name).expect("rule");
            let o = run(&name, EngineKind::Shuttle, VariantSet::of(v), 1, 20_000);
            let f = o
                .found
                .unwrap_or_else(|| panic!("{name}: no SIGBUS in {} executions", o.executions));
            assert_eq!(
                f.failure.property,
                Property::Expectation,
                "{name}: {}",
                f.failure
            );
            assert!(
                f.failure.to_string().contains("VM_FAULT_SIGBUS"),
                "{}",
                f.failure
            );
        }
    }
}

/// watermark-trylock, broken: stalling in the allocator while holding the notifier lock
/// closes the cycle notifier_lock -> vram_stall -> notifier_lock (lock-order).
#[test]
fn watermark_stall_holding_a_lock_is_a_lock_cycle() {
    for cpus in [2, 4, 8, 16] {
        let name = format!("svm-design-watermark-trylock-stall-locked-{cpus}");
        let o = run(
            &name,
            EngineKind::Shuttle,
            VariantSet::of(Variant::SvmStallHoldingLock),
            1,
            20_000,
        );
        let f = o
            .found
            .unwrap_or_else(|| panic!("{name}: no lock-order in {} executions", o.executions));
        assert_eq!(
            f.failure.property,
            Property::LockOrder,
            "{name}: {}",
            f.failure
        );
        assert!(
            f.failure.to_string().contains("vram_stall"),
            "{}",
            f.failure
        );
    }
}

/// Exactly the scenarios of the violating rules are kept out of the default hunt, and
/// every design has its 2/4/8/16-CPU scenarios.
#[test]
fn svm_design_scenarios_and_exclusions() {
    let all = scenario::all();
    for d in SvmDesign::ALL {
        for cpus in [2, 4, 8, 16] {
            for pin in ["", "-pin"] {
                let name = format!("svm-design-{}-{cpus}{pin}", d.name());
                assert!(all.iter().any(|s| s.name == name), "{name} missing");
                assert_eq!(
                    expected_violation(&name).is_some(),
                    d == SvmDesign::SigbusOnFailure,
                    "{name}"
                );
            }
        }
    }
    let default = scenario::default_set();
    assert!(
        default
            .iter()
            .all(|s| expected_violation(&s.name).is_none())
    );
    assert!(default.iter().any(|s| s.name == "svm-design-unified-lru-2"));
}
