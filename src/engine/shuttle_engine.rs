//! shuttle engine: random, PCT and a portfolio of both, with every schedule recorded so
//! that a failure replays exactly (shuttle pinned to =0.9.9: schedules are not portable
//! across shuttle versions).

use super::{
    EngineKind, Found, Outcome, RunConfig, Schedule, classify, out_of_budget, quietly, run_one,
};
use crate::model::sync::Arc;
use crate::model::trace::Record;
use crate::model::variants::VariantSet;
use crate::report::Timeline;
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

fn encode(s: &ShSchedule) -> Schedule {
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
    }
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

/// One runner (one scheduler) on the calling thread.
fn run_with<S: Scheduler + 'static>(
    sc: &Scenario,
    cfg: &RunConfig,
    scheduler: S,
    engine: EngineKind,
    start: Instant,
    executions: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> Option<Found> {
    let current = Arc::new(StdMutex::new(ShSchedule::new(0)));
    let rec_slot: Arc<StdMutex<Option<Arc<Record>>>> = Arc::new(StdMutex::new(None));
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
        let variants = cfg.variants;
        let trace = cfg.trace;
        let executions = Arc::clone(&executions);
        let my_count = Arc::clone(&my_count);
        move || {
            executions.fetch_add(1, Ordering::SeqCst);
            my_count.fetch_add(1, Ordering::SeqCst);
            let rec = Arc::new(Record::new(trace));
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&rec));
            run_one(&sc, variants, trace, rec);
        }
    };
    let result = quietly(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Runner::new(recording, shuttle_config()).run(body)
        }))
    });
    let payload = result.err()?;
    stop.store(true, Ordering::SeqCst);
    let rec = rec_slot.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let failure = classify(rec.as_deref(), &*payload);
    let schedule = encode(&current.lock().unwrap_or_else(|e| e.into_inner()));
    Some(Found {
        failure,
        execution: my_count.load(Ordering::SeqCst),
        trace: rec.as_ref().map(|r| r.trace_lines()).unwrap_or_default(),
        timeline: rec
            .as_deref()
            .map(Timeline::from_record)
            .unwrap_or_default(),
        schedule,
        engine,
    })
}

/// Explore `sc` under shuttle within the budget of `cfg`.
pub fn explore(sc: &Scenario, cfg: &RunConfig) -> Outcome {
    let start = Instant::now();
    let executions = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let found = match cfg.engine {
        EngineKind::Shuttle => run_with(
            sc,
            cfg,
            RandomScheduler::new_from_seed(cfg.seed, usize::MAX),
            cfg.engine,
            start,
            Arc::clone(&executions),
            Arc::clone(&stop),
        ),
        // PCT needs scheduling points; a single-task scenario has none to permute.
        EngineKind::ShuttlePct { .. } if sc.tasks <= 1 => run_with(
            sc,
            cfg,
            RandomScheduler::new_from_seed(cfg.seed, usize::MAX),
            EngineKind::Shuttle,
            start,
            Arc::clone(&executions),
            Arc::clone(&stop),
        ),
        EngineKind::ShuttlePct { depth } => run_with(
            sc,
            cfg,
            PctScheduler::new_from_seed(cfg.seed, depth, usize::MAX),
            cfg.engine,
            start,
            Arc::clone(&executions),
            Arc::clone(&stop),
        ),
        EngineKind::Portfolio => {
            let workers = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..workers)
                    .map(|i| {
                        let executions = Arc::clone(&executions);
                        let stop = Arc::clone(&stop);
                        let seed = cfg.seed.wrapping_add(i as u64);
                        s.spawn(move || {
                            if i % 2 == 0 || sc.tasks <= 1 {
                                let sched = RandomScheduler::new_from_seed(seed, usize::MAX);
                                run_with(
                                    sc,
                                    cfg,
                                    sched,
                                    EngineKind::Shuttle,
                                    start,
                                    executions,
                                    stop,
                                )
                            } else {
                                let sched = PctScheduler::new_from_seed(seed, 3, usize::MAX);
                                let engine = EngineKind::ShuttlePct { depth: 3 };
                                run_with(sc, cfg, sched, engine, start, executions, stop)
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().ok().flatten())
                    .next()
            })
        }
        other => panic!("engine {} is not in the shuttle build", other.name()),
    };
    Outcome::sampled(executions.load(Ordering::SeqCst), start, found)
}

/// Replay one recorded schedule; returns the failure it reproduces, if any.
pub fn replay_schedule(
    sc: &Scenario,
    variants: VariantSet,
    schedule: &Schedule,
) -> Result<Option<Found>, String> {
    let Schedule::Shuttle { seed, steps } = schedule else {
        return Err("this build replays shuttle schedules only".to_string());
    };
    let mut replay = ReplayScheduler::new_from_schedule(decode(*seed, steps));
    replay.set_allow_incomplete();
    let mut cfg = RunConfig::new(EngineKind::Shuttle, variants);
    cfg.max_executions = Some(1);
    cfg.budget = std::time::Duration::from_secs(3600);
    let start = Instant::now();
    let executions = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let found = run_with(
        sc,
        &cfg,
        replay,
        EngineKind::Shuttle,
        start,
        executions,
        stop,
    );
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
