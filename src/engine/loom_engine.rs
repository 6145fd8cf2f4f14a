//! loom engine: exhaustive exploration with iteratively deepened preemption bounds
//! (1, 2, 3, ...): small bounds find bugs far sooner than one deep exploration
//! (spec loom_shuttle.md §9, pitfall 3). A bound whose exploration the budget cut short
//! is reported as incomplete, never as a pass.

use super::inject::{describe, plans_extending};
use super::{EngineKind, Found, Outcome, RunConfig, Schedule, quietly, run_one, stop};
use crate::model::fault::{PlanEntry, SITES};
use crate::model::lockdep::LockGraph;
use crate::model::sync::Arc;
use crate::model::trace::Record;
use crate::model::variants::VariantSet;
use crate::scenario::Scenario;
use std::collections::VecDeque;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one bound under one plan explored.
struct BoundRun {
    executions: usize,
    found: Option<Found>,
    completed: bool,
    /// The most calls per fault site seen in one execution (what plans extend).
    counts: Vec<u32>,
}

fn max_into(acc: &StdMutex<Vec<u32>>, rec: &Record) {
    let mut a = acc.lock().unwrap_or_else(|e| e.into_inner());
    for (x, c) in a.iter_mut().zip(rec.fault_counts()) {
        *x = (*x).max(c);
    }
}

/// Explore one preemption bound under one fault-injection plan.
#[allow(clippy::too_many_arguments)]
fn explore_bound(
    sc: &Scenario,
    variants: VariantSet,
    trace: bool,
    bound: Option<usize>,
    budget: Duration,
    max_executions: Option<usize>,
    plan: &[PlanEntry],
    graph: &Arc<LockGraph>,
) -> BoundRun {
    let count = Arc::new(AtomicUsize::new(0));
    let rec_slot: Arc<StdMutex<Option<Arc<Record>>>> = Arc::new(StdMutex::new(None));
    let counts = Arc::new(StdMutex::new(vec![0u32; SITES.len()]));
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
        let counts = Arc::clone(&counts);
        let plan = plan.to_vec();
        let graph = Arc::clone(graph);
        move || {
            // A stop request abandons the bound between executions (reported incomplete).
            if stop::stop_requested() {
                std::panic::panic_any(stop::Stopped);
            }
            count.fetch_add(1, Ordering::SeqCst);
            let rec = Arc::new(Record::new(trace));
            rec.set_inject(&plan, plan.len() as u32);
            let last = slot
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .replace(Arc::clone(&rec));
            if let Some(last) = last {
                max_into(&counts, &last);
            }
            run_one(&sc, variants, trace, rec, &graph);
        }
    };
    let start = Instant::now();
    let result =
        quietly(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.check(body))));
    let n = count.load(Ordering::SeqCst);
    let rec = rec_slot.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(r) = &rec {
        max_into(&counts, r);
    }
    let counts = counts.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (found, completed) = match result {
        Ok(()) => {
            let cut = start.elapsed() >= budget || max_executions.is_some_and(|m| n >= m);
            (None, !cut)
        }
        Err(payload) if payload.is::<stop::Stopped>() => (None, false),
        Err(payload) => {
            let schedule = Schedule::Loom {
                bound,
                execution: n,
                inject: plan.to_vec(),
            };
            let engine = EngineKind::Loom { max_bound: bound };
            let found = Found::from_execution(rec.as_deref(), &*payload, n, schedule, engine);
            (Some(found), false)
        }
    };
    BoundRun {
        executions: n,
        found,
        completed,
        counts,
    }
}

/// Explore `sc` with bounds 1, 2, ... within the budget of `cfg`. At each bound the
/// fault-injection plans are explored in turn (the empty plan first, then every plan one
/// entry longer over what the shorter plan reached, up to `--inject`); the bound counts as
/// exhausted only when every plan was.
pub fn explore(sc: &Scenario, cfg: &RunConfig) -> Outcome {
    let sc = &sc.with_config(cfg.config);
    let start = Instant::now();
    let max_bound = match cfg.engine {
        EngineKind::Loom { max_bound } => max_bound,
        other => panic!("engine {} is not in the loom build", other.name()),
    };
    let graph = LockGraph::new();
    let mut executions = 0;
    let mut exhausted = None;
    let mut bound = 1;
    let mut notes = Vec::new();
    'bounds: loop {
        let mut plans: VecDeque<Vec<PlanEntry>> = VecDeque::from([Vec::new()]);
        let mut plans_run = 0usize;
        while let Some(plan) = plans.pop_front() {
            let remaining = cfg.budget.saturating_sub(start.elapsed());
            let left = cfg.max_executions.map(|m| m.saturating_sub(executions));
            if remaining.is_zero() || left == Some(0) || cfg.stop_requested() {
                break 'bounds;
            }
            let run = explore_bound(
                sc,
                cfg.variants,
                cfg.trace,
                Some(bound),
                remaining,
                left,
                &plan,
                &graph,
            );
            executions += run.executions;
            plans_run += 1;
            if run.found.is_some() {
                return Outcome {
                    executions,
                    elapsed: start.elapsed(),
                    found: run.found,
                    exhausted_bound: exhausted,
                    incomplete: false,
                    notes,
                };
            }
            if !run.completed {
                notes.push(format!(
                    "bound {bound} cut short under the plan: {}",
                    describe(&plan)
                ));
                break 'bounds;
            }
            plans.extend(plans_extending(&cfg.inject, &plan, &run.counts));
        }
        if cfg.inject.any() {
            notes.push(format!(
                "bound {bound}: {plans_run} fault-injection plans exhausted"
            ));
        }
        exhausted = Some(bound);
        if max_bound.is_some_and(|m| bound >= m) {
            return Outcome {
                executions,
                elapsed: start.elapsed(),
                found: None,
                exhausted_bound: exhausted,
                incomplete: false,
                notes,
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
        notes,
    }
}

/// Re-run the deterministic exploration at the recorded bound, under the recorded plan,
/// up to the failure.
pub fn replay_schedule(
    sc: &Scenario,
    variants: VariantSet,
    schedule: &Schedule,
) -> Result<Option<Found>, String> {
    let Schedule::Loom {
        bound,
        execution,
        inject,
    } = schedule
    else {
        return Err("this build (loom) replays loom schedules only".to_string());
    };
    let run = explore_bound(
        sc,
        variants,
        true,
        *bound,
        Duration::from_secs(3600),
        Some(*execution),
        inject,
        &LockGraph::new(),
    );
    Ok(run.found)
}
