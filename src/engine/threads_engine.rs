//! Real-thread engine (std threads + parking_lot): stress runs of a scenario. Deadlocks
//! are detected by a watchdog: an execution that makes no progress within
//! `DEADLOCK_TIMEOUT` is reported with the model's wait-for table (its stuck threads are
//! left behind; the hunt stops that pair). Not replayable step by step: a failure
//! records the seed and is re-found by running the stress again or under shuttle.

use super::inject::Sampler;
use super::{
    EngineKind, Found, Outcome, RunConfig, Schedule, out_of_budget, quietly, run_one, stop,
};
use crate::model::fault::PlanEntry;
use crate::model::lockdep::LockGraph;
use crate::model::property::{ModelFailure, Property};
use crate::model::sync::Arc;
use crate::model::trace::Record;
use crate::model::variants::VariantSet;
use crate::scenario::Scenario;
use std::time::{Duration, Instant};

const DEADLOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// How one execution ended: its record, and the panic payload or the watchdog's verdict.
enum End {
    Panicked(Box<dyn std::any::Any + Send>),
    Stuck(ModelFailure),
}

fn one(
    sc: &Scenario,
    variants: VariantSet,
    trace: bool,
    plan: &[PlanEntry],
    graph: &Arc<LockGraph>,
) -> (Arc<Record>, Option<End>) {
    let rec = Arc::new(Record::new(trace));
    rec.set_inject(plan, plan.len() as u32);
    let graph = Arc::clone(graph);
    let (tx, rx) = std::sync::mpsc::channel();
    let body_rec = Arc::clone(&rec);
    let sc2 = sc.clone();
    std::thread::Builder::new()
        .name("cpu-main".to_string())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_one(&sc2, variants, trace, body_rec, &graph)
            }));
            let _ = tx.send(r.err());
        })
        .expect("spawn scenario thread");
    // Wait in short slices: a task's failure can leave the others blocked, and it is in
    // the record as soon as it is raised.
    let deadline = std::time::Instant::now() + DEADLOCK_TIMEOUT;
    let result = loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            // A stop request (SIGINT / SIGTERM) abandons the execution: its threads are
            // left behind, the process is about to exit.
            Err(_) if stop::stop_requested() && rec.failure().is_none() => return (rec, None),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                if rec.failure().is_none() && std::time::Instant::now() < deadline => {}
            other => break other,
        }
    };
    let end = match result {
        Ok(None) => None,
        Ok(Some(payload)) => Some(End::Panicked(payload)),
        Err(_) => Some(End::Stuck(rec.failure().unwrap_or_else(|| ModelFailure {
            property: Property::Deadlock,
            message: format!(
                "no progress for {}s on real threads: {}",
                DEADLOCK_TIMEOUT.as_secs(),
                rec.wait_for_report()
            ),
        }))),
    };
    (rec, end)
}

/// Stress `sc` on real threads within the budget of `cfg`.
pub fn explore(sc: &Scenario, cfg: &RunConfig) -> Outcome {
    let sc = &sc.with_config(cfg.config);
    explore_with(sc, cfg, None)
}

/// The stress loop; `fixed`: every execution runs this plan (replay) instead of sampled
/// ones.
fn explore_with(sc: &Scenario, cfg: &RunConfig, fixed: Option<&[PlanEntry]>) -> Outcome {
    let start = Instant::now();
    let mut executions = 0;
    let graph = LockGraph::new();
    let mut sampler = Sampler::new(&cfg.inject, cfg.seed);
    let found = quietly(|| {
        while !out_of_budget(cfg, start, executions) {
            executions += 1;
            let plan = match fixed {
                Some(p) => p.to_vec(),
                None => sampler.next_plan(),
            };
            let (rec, end) = one(sc, cfg.variants, cfg.trace, &plan, &graph);
            sampler.observe(&rec.fault_counts());
            let payload: Box<dyn std::any::Any + Send> = match end {
                None => continue,
                Some(End::Panicked(p)) => p,
                Some(End::Stuck(f)) => Box::new(f),
            };
            return Some(Found::from_execution(
                Some(&rec),
                &*payload,
                executions,
                Schedule::Threads {
                    seed: cfg.seed,
                    inject: plan,
                },
                EngineKind::Threads,
            ));
        }
        None
    });
    Outcome::sampled(executions, start, found)
}

/// Real-thread failures are re-found by stressing again (no step-by-step replay).
pub fn replay_schedule(
    sc: &Scenario,
    variants: VariantSet,
    schedule: &Schedule,
) -> Result<Option<Found>, String> {
    let Schedule::Threads { seed, inject } = schedule else {
        return Err("this build (threads) cannot replay loom or shuttle schedules".to_string());
    };
    let mut cfg = RunConfig::new(EngineKind::Threads, variants);
    cfg.seed = *seed;
    cfg.budget = Duration::from_secs(30);
    Ok(explore_with(sc, &cfg, Some(inject)).found)
}
