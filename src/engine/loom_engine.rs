//! loom engine: exhaustive exploration with iteratively deepened preemption bounds
//! (1, 2, 3, ...): small bounds find bugs far sooner than one deep exploration
//! (spec loom_shuttle.md §9, pitfall 3). A bound whose exploration the budget cut short
//! is reported as incomplete, never as a pass.

use super::{EngineKind, Found, Outcome, RunConfig, Schedule, classify, quietly, run_one, stop};
use crate::model::sync::Arc;
use crate::model::trace::Record;
use crate::model::variants::VariantSet;
use crate::report::Timeline;
use crate::scenario::Scenario;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Explore one preemption bound. Returns (executions, failure, completed).
fn explore_bound(
    sc: &Scenario,
    variants: VariantSet,
    trace: bool,
    bound: Option<usize>,
    budget: Duration,
    max_executions: Option<usize>,
) -> (usize, Option<Found>, bool) {
    let count = Arc::new(AtomicUsize::new(0));
    let rec_slot: Arc<StdMutex<Option<Arc<Record>>>> = Arc::new(StdMutex::new(None));
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bound;
    builder.max_branches = 100_000;
    builder.checkpoint_interval = 64;
    builder.max_duration = Some(budget);
    builder.max_permutations = max_executions;
    let body = {
        let sc = sc.clone();
        let count = Arc::clone(&count);
        let slot = Arc::clone(&rec_slot);
        move || {
            // A stop request abandons the bound between executions (reported incomplete).
            if stop::stop_requested() {
                std::panic::panic_any(stop::Stopped);
            }
            count.fetch_add(1, Ordering::SeqCst);
            let rec = Arc::new(Record::new(trace));
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&rec));
            run_one(&sc, variants, trace, rec);
        }
    };
    let start = Instant::now();
    let result =
        quietly(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.check(body))));
    let n = count.load(Ordering::SeqCst);
    match result {
        Ok(()) => {
            let cut = start.elapsed() >= budget || max_executions.is_some_and(|m| n >= m);
            (n, None, !cut)
        }
        Err(payload) if payload.is::<stop::Stopped>() => (n, None, false),
        Err(payload) => {
            let rec = rec_slot.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let failure = classify(rec.as_deref(), &*payload);
            let found = Found {
                failure,
                execution: n,
                trace: rec.as_ref().map(|r| r.trace_lines()).unwrap_or_default(),
                timeline: rec
                    .as_deref()
                    .map(Timeline::from_record)
                    .unwrap_or_default(),
                schedule: Schedule::Loom {
                    bound,
                    execution: n,
                },
                engine: EngineKind::Loom { max_bound: bound },
            };
            (n, Some(found), false)
        }
    }
}

/// Explore `sc` with bounds 1, 2, ... within the budget of `cfg`.
pub fn explore(sc: &Scenario, cfg: &RunConfig) -> Outcome {
    let start = Instant::now();
    let max_bound = match cfg.engine {
        EngineKind::Loom { max_bound } => max_bound,
        other => panic!("engine {} is not in the loom build", other.name()),
    };
    let mut executions = 0;
    let mut exhausted = None;
    let mut bound = 1;
    loop {
        let remaining = cfg.budget.saturating_sub(start.elapsed());
        let left = cfg.max_executions.map(|m| m.saturating_sub(executions));
        if remaining.is_zero() || left == Some(0) || cfg.stop_requested() {
            break;
        }
        let (n, found, completed) =
            explore_bound(sc, cfg.variants, cfg.trace, Some(bound), remaining, left);
        executions += n;
        if found.is_some() {
            return Outcome {
                executions,
                elapsed: start.elapsed(),
                found,
                exhausted_bound: exhausted,
                incomplete: false,
            };
        }
        if !completed {
            break;
        }
        exhausted = Some(bound);
        if max_bound.is_some_and(|m| bound >= m) {
            return Outcome {
                executions,
                elapsed: start.elapsed(),
                found: None,
                exhausted_bound: exhausted,
                incomplete: false,
            };
        }
        bound += 1;
    }
    Outcome {
        executions,
        elapsed: start.elapsed(),
        found: None,
        exhausted_bound: exhausted,
        incomplete: true,
    }
}

/// Re-run the deterministic exploration at the recorded bound up to the failure.
pub fn replay_schedule(
    sc: &Scenario,
    variants: VariantSet,
    schedule: &Schedule,
) -> Result<Option<Found>, String> {
    let Schedule::Loom { bound, execution } = schedule else {
        return Err("this build (loom) replays loom schedules only".to_string());
    };
    let (_, found, _) = explore_bound(
        sc,
        variants,
        true,
        *bound,
        Duration::from_secs(3600),
        Some(*execution),
    );
    Ok(found)
}
