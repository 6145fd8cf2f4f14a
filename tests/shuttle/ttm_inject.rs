//! TTM error paths under fault injection (`RunConfig.inject`): the historical error-path
//! bugs are found with injection and named by their property, the same scenarios are
//! clean without the variant even with injection on, every TTM scenario is clean on the
//! fixed model with one injected failure (the small ones with two), and a use of a BO
//! after its final put is reported as `use-after-free`.

use super::*;

/// The variants reachable only through an error path: they need an injected failure.
pub const INJECTION_ONLY: [Variant; 4] = [
    Variant::SwapoutFailRebump,
    Variant::ShrinkBackupRebump,
    Variant::GhostReserveAfterTransfer,
    Variant::SwapoutMoveLeak,
];

fn run_inject(
    name: &str,
    engine: EngineKind,
    variants: VariantSet,
    inject: u32,
    seed: u64,
    max: usize,
) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    crate::svm_inject::run_sc(&sc, engine, variants, inject, seed, max)
}

/// b2ed01e7ad, 1d59f36e95f7, 97e000acf2e2 and a590f03d8de7: each is found with one
/// injected failure on each of its scenarios, with the registry's property, the failure
/// names the injected call, and its schedule replays the failure exactly; without the
/// variant the same scenario stays clean under injection and the same schedule passes.
#[test]
fn ttm_error_path_variants_are_found_with_injection() {
    for v in INJECTION_ONLY {
        let info = v.info();
        assert_eq!(
            info.kind,
            ttm_model::model::variants::VariantKind::Historical
        );
        for name in info.scenarios {
            let o = run_inject(name, EngineKind::Shuttle, VariantSet::of(v), 1, 1, 50_000);
            let f = o.found.unwrap_or_else(|| {
                panic!(
                    "{} not found on {name} with inject 1 in {} executions",
                    info.name, o.executions
                )
            });
            assert!(
                f.has(info.property),
                "{} on {name}: {}",
                info.name,
                f.failure
            );
            assert!(
                !f.injected.is_empty(),
                "{}: found without injection",
                info.name
            );
            assert!(
                f.trace.iter().any(|l| l.contains("[injected]")),
                "{}: the trace names the injected failure",
                info.name
            );
            let sc = scenario::find(name).unwrap();
            let again = ttm_model::engine::replay_schedule(&sc, VariantSet::of(v), &f.schedule)
                .expect("schedule applies")
                .expect("fails again");
            assert_eq!(again.failure.property, f.failure.property);
            let fixed = ttm_model::engine::replay_schedule(&sc, VariantSet::NONE, &f.schedule);
            assert!(
                !matches!(fixed, Ok(Some(_))),
                "{}: the fixed model fails on the variant's schedule",
                info.name
            );
            for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
                let o = run_inject(name, engine, VariantSet::NONE, 1, 7, 3_000);
                if let Some(f) = o.found {
                    panic!(
                        "{name} ({}) fails on the fixed model under inject 1: {}\n{}",
                        engine.name(),
                        f.failure,
                        f.trace.join("\n")
                    );
                }
            }
        }
    }
}

/// Without injection the error-path variants are invisible (the bugs need the failure).
#[test]
fn ttm_error_path_variants_need_injection() {
    for v in INJECTION_ONLY {
        for name in v.info().scenarios {
            let o = run(name, EngineKind::Shuttle, VariantSet::of(v), 1, 2_000);
            assert!(o.found.is_none(), "{} found without injection", v.name());
        }
    }
}

/// Every TTM and design scenario (no design finding is open under injection: docs/findings.md
/// §6 was withdrawn and §7 is the pre-7.1 variant `gem-lru-release-race`).
fn ttm_scenarios() -> Vec<scenario::Scenario> {
    scenario::default_set()
        .into_iter()
        .filter(|s| s.name.starts_with("ttm-") || s.name.starts_with("design-"))
        .collect()
}

/// Former finding §6: the callback-walker design under-reports the pages it freed when
/// its walk ends on an injected -EINTR. The return value of `scan_objects` is a
/// heuristic, so under-reporting is not a page-ledger violation (only over-reporting is):
/// the scenario is clean under injection.
#[test]
fn callback_walker_design_under_reporting_is_not_a_page_ledger_violation() {
    let o = run_inject(
        "design-callback-walker-busy-head",
        EngineKind::Shuttle,
        VariantSet::NONE,
        1,
        1,
        20_000,
    );
    assert!(o.found.is_none(), "{:?}", o.found.map(|f| f.failure));
}

fn assert_clean_inject(sc: &scenario::Scenario, engine: EngineKind, inject: u32, max: usize) {
    let o = run_inject(&sc.name, engine, VariantSet::NONE, inject, 11, max);
    if let Some(f) = &o.found {
        if scenario::findings::known(&sc.name, inject).is_some_and(|k| f.has(k.property)) {
            return;
        }
        panic!(
            "{} ({}) fails on the fixed model under inject {inject}: {}\n{}",
            sc.name,
            engine.name(),
            f.failure,
            f.trace.join("\n")
        );
    }
}

/// Every TTM scenario (ttm-*, design-*) of the default set is clean on the fixed model
/// with one injected failure per execution, under random and PCT scheduling.
#[test]
fn every_ttm_scenario_is_clean_under_inject_1() {
    for sc in ttm_scenarios() {
        let max = if sc.tasks > 16 {
            30
        } else if sc.tasks > 5 {
            200
        } else {
            1_000
        };
        assert_clean_inject(&sc, EngineKind::Shuttle, 1, max);
        assert_clean_inject(&sc, EngineKind::ShuttlePct { depth: 3 }, 1, max / 2);
    }
}

/// The loom-sized TTM scenarios (<= 5 tasks) with two injected failures.
#[test]
fn small_ttm_scenarios_are_clean_under_inject_2() {
    for sc in ttm_scenarios().into_iter().filter(|s| s.fits_loom()) {
        assert_clean_inject(&sc, EngineKind::Shuttle, 2, 1_000);
    }
}

/// A use of a BO after its final `ttm_bo_put` is a use-after-free at that use.
#[test]
fn ttm_use_after_put_is_a_use_after_free() {
    let o = run(
        "broken-client-ttm-use-after-put",
        EngineKind::Shuttle,
        VariantSet::NONE,
        1,
        1_000,
    );
    let f = o.found.expect("found");
    assert_eq!(f.failure.property, Property::UseAfterFree, "{}", f.failure);
    assert!(
        f.failure.message.contains("ttm_bo_reserve(X)"),
        "{}",
        f.failure
    );
}
