//! shuttle engine: random, PCT and a portfolio of both, with every schedule recorded so
//! that a failure replays exactly (shuttle pinned to =0.9.9: schedules are not portable
//! across shuttle versions).

use super::inject::Sampler;
use super::{
    EngineKind, Found, Outcome, RunConfig, Schedule, engine_note, out_of_budget, quietly, run_one,
};
use crate::model::fault::PlanEntry;
use crate::model::lockdep::LockGraph;
use crate::model::sync::Arc;
use crate::model::trace::Record;
use crate::model::variants::VariantSet;
use crate::scenario::Scenario;
use shuttle::scheduler::{
    PctScheduler, RandomScheduler, ReplayScheduler, Schedule as ShSchedule, Scheduler, Task, TaskId,
};
use shuttle::{Config, MaxSteps, Runner};
use shuttle_engine::scheduler::ScheduleStep;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Shuttle installs its own (chatty) panic hook on its first execution; run one empty
/// execution so that ours, installed afterwards, wins.
pub(super) fn prime_panic_hook() {
    Runner::new(RandomScheduler::new(1), Config::new()).run(|| {});
}

/// Wraps a scheduler: records the current execution's schedule, and ends the exploration
/// when the budget is spent or a stop is requested.
struct Recording<S> {
    /// Never dropped: shuttle's RandomScheduler prints a "failing seed" banner from a drop
    /// guard whenever it is dropped mid-exploration, including when our budget ends it.
    inner: std::mem::ManuallyDrop<S>,
    current: Arc<StdMutex<ShSchedule>>,
    cfg: RunConfig,
    start: Instant,
    executions: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl<S: Scheduler> Scheduler for Recording<S> {
    fn new_execution(&mut self) -> Option<ShSchedule> {
        if self.stop.load(Ordering::SeqCst)
            || out_of_budget(
                &self.cfg,
                self.start,
                self.executions.load(Ordering::SeqCst),
            )
        {
            return None;
        }
        let s = self.inner.new_execution()?;
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = s.clone();
        Some(s)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let t = self.inner.next_task(runnable, current, is_yielding)?;
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_task(t);
        Some(t)
    }

    fn next_u64(&mut self) -> u64 {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_random();
        self.inner.next_u64()
    }
}

fn encode(s: &ShSchedule, inject: Vec<PlanEntry>) -> Schedule {
    let steps = s
        .steps
        .iter()
        .map(|st| match st {
            ScheduleStep::Task(t) => usize::from(*t) as i64,
            ScheduleStep::Random => -1,
        })
        .collect();
    Schedule::Shuttle {
        seed: s.seed,
        steps,
        inject,
    }
}

/// Where an execution's fault-injection plan comes from.
enum Plans {
    /// Sampled per execution (`engine::inject::Sampler`).
    Sampled(Sampler),
    /// One fixed plan (replay).
    Fixed(Vec<PlanEntry>),
}

impl Plans {
    fn next(&mut self, last: Option<&Record>) -> (Vec<PlanEntry>, u32) {
        match self {
            Plans::Sampled(s) => {
                if let Some(r) = last {
                    s.observe(&r.fault_counts());
                }
                let p = s.next_plan();
                let n = p.len() as u32;
                (p, n)
            }
            Plans::Fixed(p) => (p.clone(), p.len() as u32),
        }
    }
}

/// What one runner found: a failure, or an engine note (shuttle could not run it).
enum RunEnd {
    Clean,
    Found(Box<Found>),
    Note(String),
}

fn decode(seed: u64, steps: &[i64]) -> ShSchedule {
    let mut s = ShSchedule::new(seed);
    for st in steps {
        if *st < 0 {
            s.push_random();
        } else {
            s.push_task(TaskId::from(*st as usize));
        }
    }
    s
}

fn shuttle_config() -> Config {
    let mut config = Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.max_steps = MaxSteps::FailAfter(200_000);
    config.silence_warnings = true;
    config
}

/// What all runners of one exploration share.
struct Shared {
    start: Instant,
    executions: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    graph: Arc<LockGraph>,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            start: Instant::now(),
            executions: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            graph: LockGraph::new(),
        }
    }
}

/// One runner (one scheduler) on the calling thread.
fn run_with<S: Scheduler + 'static>(
    sc: &Scenario,
    cfg: &RunConfig,
    scheduler: S,
    engine: EngineKind,
    shared: &Shared,
    plans: Plans,
) -> RunEnd {
    let start = shared.start;
    let executions = Arc::clone(&shared.executions);
    let stop = Arc::clone(&shared.stop);
    let current = Arc::new(StdMutex::new(ShSchedule::new(0)));
    let rec_slot: Arc<StdMutex<Option<Arc<Record>>>> = Arc::new(StdMutex::new(None));
    let plan_slot: Arc<StdMutex<(Plans, Vec<PlanEntry>)>> =
        Arc::new(StdMutex::new((plans, Vec::new())));
    let my_count = Arc::new(AtomicUsize::new(0));
    let recording = Recording {
        inner: std::mem::ManuallyDrop::new(scheduler),
        current: Arc::clone(&current),
        cfg: cfg.clone(),
        start,
        executions: Arc::clone(&executions),
        stop: Arc::clone(&stop),
    };
    let body = {
        let sc = sc.clone();
        let slot = Arc::clone(&rec_slot);
        let plan_slot = Arc::clone(&plan_slot);
        let variants = cfg.variants;
        let trace = cfg.trace;
        let executions = Arc::clone(&executions);
        let my_count = Arc::clone(&my_count);
        let graph = Arc::clone(&shared.graph);
        move || {
            executions.fetch_add(1, Ordering::SeqCst);
            my_count.fetch_add(1, Ordering::SeqCst);
            let rec = Arc::new(Record::new(trace));
            let last = slot
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .replace(Arc::clone(&rec));
            {
                let mut p = plan_slot.lock().unwrap_or_else(|e| e.into_inner());
                let (plan, budget) = p.0.next(last.as_deref());
                rec.set_inject(&plan, budget);
                p.1 = plan;
            }
            run_one(&sc, variants, trace, rec, &graph);
        }
    };
    let result = quietly(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Runner::new(recording, shuttle_config()).run(body)
        }))
    });
    let Err(payload) = result else {
        return RunEnd::Clean;
    };
    if let Some(note) = engine_note(&*payload) {
        return RunEnd::Note(note);
    }
    stop.store(true, Ordering::SeqCst);
    let rec = rec_slot.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let plan = plan_slot
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .1
        .clone();
    let schedule = encode(&current.lock().unwrap_or_else(|e| e.into_inner()), plan);
    RunEnd::Found(Box::new(Found::from_execution(
        rec.as_deref(),
        &*payload,
        my_count.load(Ordering::SeqCst),
        schedule,
        engine,
    )))
}

fn sampled(cfg: &RunConfig, seed: u64) -> Plans {
    Plans::Sampled(Sampler::new(&cfg.inject, seed))
}

/// PCT on `seed`, falling back to the random scheduler (with an engine note) when
/// shuttle's PCT cannot schedule the scenario ("test closure did not exercise any
/// concurrency": its first execution had no scheduling point to permute).
fn run_pct(
    sc: &Scenario,
    cfg: &RunConfig,
    seed: u64,
    depth: usize,
    shared: &Shared,
    notes: &mut Vec<String>,
) -> Option<Found> {
    let pct = PctScheduler::new_from_seed(seed, depth, usize::MAX);
    let engine = EngineKind::ShuttlePct { depth };
    match run_with(sc, cfg, pct, engine, shared, sampled(cfg, seed)) {
        RunEnd::Clean => None,
        RunEnd::Found(f) => Some(*f),
        RunEnd::Note(msg) => {
            notes.push(format!(
                "shuttle-pct could not run {} ({msg}); explored with the random scheduler instead",
                sc.name
            ));
            run_random(sc, cfg, seed, shared, notes)
        }
    }
}

fn run_random(
    sc: &Scenario,
    cfg: &RunConfig,
    seed: u64,
    shared: &Shared,
    notes: &mut Vec<String>,
) -> Option<Found> {
    let sched = RandomScheduler::new_from_seed(seed, usize::MAX);
    match run_with(
        sc,
        cfg,
        sched,
        EngineKind::Shuttle,
        shared,
        sampled(cfg, seed),
    ) {
        RunEnd::Clean => None,
        RunEnd::Found(f) => Some(*f),
        RunEnd::Note(msg) => {
            notes.push(format!("shuttle could not run {}: {msg}", sc.name));
            None
        }
    }
}

/// Explore `sc` under shuttle within the budget of `cfg`.
pub fn explore(sc: &Scenario, cfg: &RunConfig) -> Outcome {
    let sc = &sc.with_config(cfg.config);
    let shared = Shared::new();
    let mut notes = Vec::new();
    let found = match cfg.engine {
        EngineKind::Shuttle => run_random(sc, cfg, cfg.seed, &shared, &mut notes),
        // PCT needs scheduling points; a single-task scenario has none to permute.
        EngineKind::ShuttlePct { .. } if sc.tasks <= 1 => {
            run_random(sc, cfg, cfg.seed, &shared, &mut notes)
        }
        EngineKind::ShuttlePct { depth } => run_pct(sc, cfg, cfg.seed, depth, &shared, &mut notes),
        EngineKind::Portfolio => {
            let workers = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2);
            let results: Vec<(Option<Found>, Vec<String>)> = std::thread::scope(|s| {
                let shared = &shared;
                let handles: Vec<_> = (0..workers)
                    .map(|i| {
                        let seed = cfg.seed.wrapping_add(i as u64);
                        s.spawn(move || {
                            let mut notes = Vec::new();
                            let f = if i % 2 == 0 || sc.tasks <= 1 {
                                run_random(sc, cfg, seed, shared, &mut notes)
                            } else {
                                run_pct(sc, cfg, seed, 3, shared, &mut notes)
                            };
                            (f, notes)
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            let mut found = None;
            for (f, n) in results {
                notes.extend(n);
                if found.is_none() {
                    found = f;
                }
            }
            found
        }
        other => panic!("engine {} is not in the shuttle build", other.name()),
    };
    let mut o = Outcome::sampled(
        shared.executions.load(Ordering::SeqCst),
        shared.start,
        found,
    );
    notes.dedup();
    o.notes = notes;
    o
}

/// Replay one recorded schedule (with its fault-injection plan); returns the failure it
/// reproduces, if any.
pub fn replay_schedule(
    sc: &Scenario,
    variants: VariantSet,
    schedule: &Schedule,
) -> Result<Option<Found>, String> {
    let Schedule::Shuttle {
        seed,
        steps,
        inject,
    } = schedule
    else {
        return Err("this build replays shuttle schedules only".to_string());
    };
    let mut replay = ReplayScheduler::new_from_schedule(decode(*seed, steps));
    replay.set_allow_incomplete();
    let mut cfg = RunConfig::new(EngineKind::Shuttle, variants);
    cfg.max_executions = Some(1);
    cfg.budget = std::time::Duration::from_secs(3600);
    let shared = Shared::new();
    let plans = Plans::Fixed(inject.clone());
    let found = match run_with(sc, &cfg, replay, EngineKind::Shuttle, &shared, plans) {
        RunEnd::Found(f) => Some(*f),
        RunEnd::Clean | RunEnd::Note(_) => None,
    };
    match found {
        Some(f)
            if f.failure.property == crate::model::Property::ModelPanic
                && schedule_mismatch(&f.failure.message) =>
        {
            Err(format!(
                "the schedule no longer applies to this model ({})",
                f.failure.message
            ))
        }
        other => Ok(other),
    }
}

/// Messages of shuttle's ReplayScheduler when a schedule does not fit the model.
fn schedule_mismatch(msg: &str) -> bool {
    ["schedule", "runnable", "context switch"]
        .iter()
        .any(|k| msg.contains(k))
}
