//! The machine's own mechanisms under shuttle: fault injection (explored, recorded in
//! the schedule, replayed exactly), WARN-and-continue, and engine notes.

use std::time::Duration;
use ttm_model::engine::{EngineKind, InjectConfig, RunConfig, Schedule, explore, replay_schedule};
use ttm_model::model::{Property, VariantSet};
use ttm_model::scenario::probe;

fn cfg(engine: EngineKind, inject: u32, max: usize) -> RunConfig {
    let mut cfg = RunConfig::new(engine, VariantSet::NONE);
    cfg.seed = 11;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    cfg.inject = InjectConfig::budget(inject);
    cfg
}

#[test]
fn error_path_bug_needs_injection_and_replays_with_its_plan() {
    let sc = probe::inject_probe();
    for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
        let clean = explore(&sc, &cfg(engine, 0, 2_000));
        assert!(clean.found.is_none(), "no injection, nothing can fail");
        let o = explore(&sc, &cfg(engine, 1, 2_000));
        let f = o.found.expect("found with --inject 1");
        assert_eq!(f.failure.property, Property::DataLoss, "{}", f.failure);
        assert_eq!(f.injected.len(), 1);
        assert_eq!(f.injected[0].site, "ttm_tt_swapout");
        assert!(
            f.trace
                .iter()
                .any(|l| l.contains("ttm_tt_swapout(bo0) -> -ENOMEM [injected]")),
            "the trace names the injected failure: {:?}",
            f.trace
        );
        let Schedule::Shuttle { inject, .. } = &f.schedule else {
            panic!("shuttle schedule")
        };
        assert_eq!(inject, &f.injected, "the plan is part of the schedule");
        let again = replay_schedule(&sc, VariantSet::NONE, &f.schedule)
            .expect("replayable")
            .expect("reproduced");
        assert_eq!(again.failure, f.failure);
        assert_eq!(again.injected, f.injected);
        assert_eq!(again.trace, f.trace, "the replay is the same execution");
    }
}

#[test]
fn inject_sites_restricts_the_failing_calls() {
    let sc = probe::inject_probe();
    let mut c = cfg(EngineKind::Shuttle, 1, 2_000);
    c.inject.sites = Some(InjectConfig::parse_sites("ttm_tt_populate").unwrap());
    assert!(
        explore(&sc, &c).found.is_none(),
        "swapout is not an allowed site"
    );
}

#[test]
fn a_warn_lets_the_execution_continue_and_reports_its_consequence() {
    let o = explore(&probe::warn_probe(true), &cfg(EngineKind::Shuttle, 0, 10));
    let f = o.found.expect("found");
    assert_eq!(f.failure.property, Property::LruStructure, "the first WARN");
    let c = f.consequence.as_ref().expect("what it led to");
    assert_eq!(c.property, Property::UseAfterFree);
    assert!(f.has(Property::UseAfterFree) && f.has(Property::LruStructure));
    assert!(
        f.failure.message.contains("went on after this WARN"),
        "{}",
        f.failure
    );
    assert!(
        f.trace
            .iter()
            .any(|l| l.contains("WARNING [lru-structure]"))
    );

    let o = explore(&probe::warn_probe(false), &cfg(EngineKind::Shuttle, 0, 10));
    let f = o.found.expect("a lone WARN is reported at the end");
    assert_eq!(f.failure.property, Property::LruStructure);
    assert!(f.consequence.is_none());
}

#[test]
fn an_unschedulable_scenario_is_an_engine_note_not_a_failure() {
    let sc = probe::unschedulable_probe();
    for engine in [EngineKind::ShuttlePct { depth: 3 }, EngineKind::Portfolio] {
        let o = explore(&sc, &cfg(engine, 0, 50));
        assert!(o.found.is_none(), "{:?}", o.found.map(|f| f.failure));
        if engine != EngineKind::Portfolio {
            assert!(
                o.notes
                    .iter()
                    .any(|n| n.contains("did not exercise any concurrency")),
                "{:?}",
                o.notes
            );
        }
    }
}
