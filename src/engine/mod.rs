//! Runs a scenario under the compiled engine, collects failures, and replays them.
//!
//! * `shuttle` build (default): random, PCT and a portfolio of both across the cores.
//! * `--cfg loom` build: loom with iteratively deepened preemption bounds.
//! * `--no-default-features` build: real threads (std + parking_lot) stress.

use crate::model::property::{ModelFailure, Property};
use crate::model::sync::Arc;
use crate::model::trace::Record;
use crate::model::variants::VariantSet;
use crate::model::{Machine, Options};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::time::Duration;
#[cfg(not(loom))]
use std::time::Instant;

pub mod failure_file;
pub mod inject;
pub mod stop;

use crate::model::fault::PlanEntry;
use crate::model::lockdep::LockGraph;
pub use inject::InjectConfig;

#[cfg(loom)]
mod loom_engine;
#[cfg(loom)]
pub use loom_engine::{explore, replay_schedule};

#[cfg(all(feature = "shuttle", not(loom)))]
mod shuttle_engine;
#[cfg(all(feature = "shuttle", not(loom)))]
pub use shuttle_engine::{explore, replay_schedule};

#[cfg(not(any(loom, feature = "shuttle")))]
mod threads_engine;
#[cfg(not(any(loom, feature = "shuttle")))]
pub use threads_engine::{explore, replay_schedule};

/// The exploration strategies; which ones exist depends on the build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// shuttle's random scheduler.
    Shuttle,
    /// shuttle's PCT scheduler with the given bug depth.
    ShuttlePct { depth: usize },
    /// random and PCT side by side on all cores.
    Portfolio,
    /// loom, preemption bounds 1, 2, ... up to `max_bound` (None = until the budget).
    Loom { max_bound: Option<usize> },
    /// real threads (std + parking_lot).
    Threads,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Shuttle => "shuttle",
            EngineKind::ShuttlePct { .. } => "shuttle-pct",
            EngineKind::Portfolio => "portfolio",
            EngineKind::Loom { .. } => "loom",
            EngineKind::Threads => "threads",
        }
    }

    /// Engines this build offers.
    pub fn available() -> &'static [&'static str] {
        #[cfg(loom)]
        return &["loom"];
        #[cfg(all(feature = "shuttle", not(loom)))]
        return &["shuttle", "shuttle-pct", "portfolio"];
        #[cfg(not(any(loom, feature = "shuttle")))]
        return &["threads"];
    }

    /// The default engine of this build.
    pub fn default_for_build() -> EngineKind {
        #[cfg(loom)]
        return EngineKind::Loom { max_bound: None };
        #[cfg(all(feature = "shuttle", not(loom)))]
        return EngineKind::Portfolio;
        #[cfg(not(any(loom, feature = "shuttle")))]
        return EngineKind::Threads;
    }

    pub fn parse(name: &str, pct_depth: usize) -> Result<EngineKind, String> {
        let kind = match name {
            "shuttle" | "shuttle-random" => EngineKind::Shuttle,
            "shuttle-pct" | "pct" => EngineKind::ShuttlePct { depth: pct_depth },
            "portfolio" => EngineKind::Portfolio,
            "loom" => EngineKind::Loom { max_bound: None },
            "threads" => EngineKind::Threads,
            other => {
                return Err(format!(
                    "unknown engine '{other}' (known: shuttle, shuttle-pct, portfolio, loom, threads)"
                ));
            }
        };
        if !Self::available().contains(&kind.name()) {
            return Err(format!(
                "engine '{}' is not in this build (this build offers: {}); {}",
                kind.name(),
                Self::available().join(", "),
                build_hint(kind.name())
            ));
        }
        Ok(kind)
    }
}

/// How to get a build that offers `engine`.
pub fn build_hint(engine: &str) -> &'static str {
    match engine {
        "loom" => {
            "build with RUSTFLAGS=\"--cfg loom\" (e.g. RUSTFLAGS=\"--cfg loom\" cargo run --release -- hunt)"
        }
        "threads" => {
            "build with --no-default-features (cargo run --release --no-default-features -- hunt)"
        }
        _ => "build with the default features (cargo run --release -- hunt)",
    }
}

/// Limits of one exploration.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub engine: EngineKind,
    pub variants: VariantSet,
    pub seed: u64,
    /// Wall-clock budget.
    pub budget: Duration,
    /// Stop after this many executions.
    pub max_executions: Option<usize>,
    /// Record event traces (on in hunts; the benchmarks measure both).
    pub trace: bool,
    /// Stop request (SIGINT/SIGTERM, or another shard of a portfolio found a failure).
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Fault injection (`--inject N`, `--inject-sites`) and spurious returns (`--spurious N`).
    pub inject: InjectConfig,
    /// Kernel configuration options (`--config NAME`), on top of each scenario's own.
    pub config: crate::model::config::KernelConfig,
}

impl RunConfig {
    pub fn new(engine: EngineKind, variants: VariantSet) -> RunConfig {
        RunConfig {
            engine,
            variants,
            seed: 0,
            budget: Duration::from_secs(10),
            max_executions: None,
            trace: true,
            stop: None,
            inject: InjectConfig::off(),
            config: crate::model::config::KernelConfig::NONE,
        }
    }

    /// A stop of this exploration or of the whole process (`stop::request_stop`).
    pub fn stop_requested(&self) -> bool {
        stop::stop_requested()
            || self
                .stop
                .as_ref()
                .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// A schedule that replays one execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    /// shuttle: the seed and the task chosen at each step (-1 = a random-value step),
    /// and the execution's fault-injection plan.
    Shuttle {
        seed: u64,
        steps: Vec<i64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        inject: Vec<PlanEntry>,
    },
    /// loom: the deterministic DFS at `bound` under the fault-injection plan `inject`
    /// reaches the failure at execution `execution`.
    Loom {
        bound: Option<usize>,
        execution: usize,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        inject: Vec<PlanEntry>,
    },
    /// real threads: not replayable step by step; re-run the stress with this seed,
    /// every execution under the failing execution's fault-injection plan.
    Threads {
        seed: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        inject: Vec<PlanEntry>,
    },
}

impl Schedule {
    /// The fault-injection plan the schedule runs with.
    pub fn inject_plan(&self) -> &[PlanEntry] {
        match self {
            Schedule::Shuttle { inject, .. }
            | Schedule::Loom { inject, .. }
            | Schedule::Threads { inject, .. } => inject,
        }
    }
}

/// A failure found by an exploration.
#[derive(Clone, Debug)]
pub struct Found {
    /// What the execution reports: its first kernel WARN if one fired, else the failure.
    pub failure: ModelFailure,
    /// What the first WARN led to when the execution went on (a later failure).
    pub consequence: Option<ModelFailure>,
    /// The failures injected in the failing execution.
    pub injected: Vec<PlanEntry>,
    /// The kernel config options it ran with (`--config` names; replayed with them).
    pub config: Vec<String>,
    /// 1-based index of the failing execution.
    pub execution: usize,
    pub trace: Vec<String>,
    /// The repeating part of a livelock report (`model::progress`), as trace indices
    /// `[start, end)`: a lasso's cycle (proven to repeat forever), or for the retry-bound
    /// fallback the retrying task's last retry iteration (the message says it is not proven).
    pub cycle: Option<(usize, usize)>,
    /// The structured events of the failing execution (Perfetto and Mermaid output).
    pub timeline: crate::report::Timeline,
    pub schedule: Schedule,
    pub engine: EngineKind,
}

/// Result of one exploration.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub executions: usize,
    pub elapsed: Duration,
    pub found: Option<Found>,
    /// Loom only: the bounded space was explored completely (up to this bound).
    pub exhausted_bound: Option<usize>,
    /// The exploration stopped for the budget, not because it completed.
    pub incomplete: bool,
    /// Engine notes (not model failures): e.g. a scheduler that could not run the
    /// scenario and was replaced.
    pub notes: Vec<String>,
}

impl Outcome {
    /// Outcome of a sampling engine (shuttle, threads): without a failure it never proves
    /// anything, so it is always incomplete.
    #[cfg(not(loom))]
    pub(crate) fn sampled(executions: usize, start: Instant, found: Option<Found>) -> Outcome {
        Outcome {
            executions,
            elapsed: start.elapsed(),
            incomplete: found.is_none(),
            found,
            exhausted_bound: None,
            notes: Vec::new(),
        }
    }
}

impl Found {
    /// The repeating part of a livelock report (see `cycle`): its trace lines (empty
    /// otherwise).
    pub fn cycle_lines(&self) -> &[String] {
        match self.cycle {
            Some((a, b)) if a <= b && b <= self.trace.len() => &self.trace[a..b],
            _ => &[],
        }
    }

    /// Does the failure, or what it led to, break `p`?
    pub fn has(&self, p: Property) -> bool {
        self.failure.property == p || self.consequence.as_ref().is_some_and(|c| c.property == p)
    }

    /// Build a `Found` from a failing execution's record and panic payload.
    pub(crate) fn from_execution(
        rec: Option<&Record>,
        payload: &(dyn std::any::Any + Send),
        execution: usize,
        schedule: Schedule,
        engine: EngineKind,
    ) -> Found {
        let (failure, consequence) = classify_full(rec, payload);
        Found {
            failure,
            consequence,
            injected: rec.map(|r| r.injected()).unwrap_or_default(),
            config: rec
                .map(|r| r.with(|r| r.config.names()))
                .unwrap_or_default(),
            execution,
            trace: rec.map(|r| r.trace_lines()).unwrap_or_default(),
            cycle: rec.and_then(|r| r.repeating_range()),
            timeline: rec
                .map(crate::report::Timeline::from_record)
                .unwrap_or_default(),
            schedule,
            engine,
        }
    }
}

/// shuttle's complaints about a scenario it cannot schedule, which are no model failure.
#[cfg(all(feature = "shuttle", not(loom)))]
pub(crate) fn engine_note(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))?;
    msg.contains("did not exercise any concurrency")
        .then_some(msg)
}

/// One execution of a scenario: a fresh machine, the body, end-of-run checks.
/// `graph` is the exploration's lockdep graph (shared by its executions).
pub(crate) fn run_one(
    sc: &Scenario,
    variants: VariantSet,
    trace: bool,
    rec: Arc<Record>,
    graph: &Arc<LockGraph>,
) {
    stop::count_execution();
    let opts = Options {
        trace,
        ..sc.options
    };
    rec.with(|r| r.config = opts.config);
    let m = Machine::with_graph(variants, opts, rec, Arc::clone(graph));
    let main = m.new_task("main");
    (sc.body)(&m, &main);
    // A WARN that led to no failure of its own is reported at the end.
    m.raise_warnings();
}

/// The reported failure and its consequence: after a kernel WARN the execution went on,
/// so the first WARN is reported, with the failure it led to (if any) as consequence and
/// in its message.
pub(crate) fn classify_full(
    rec: Option<&Record>,
    payload: &(dyn std::any::Any + Send),
) -> (ModelFailure, Option<ModelFailure>) {
    let terminal = classify(rec, payload);
    let Some(first) = rec.and_then(|r| r.warnings().into_iter().next()) else {
        return (terminal, None);
    };
    if terminal == first {
        return (first, None);
    }
    let message = format!(
        "{}; the execution went on after this WARN and then [{}] {}",
        first.message, terminal.property, terminal.message
    );
    (
        ModelFailure {
            property: first.property,
            message,
        },
        Some(terminal),
    )
}

/// Turn a panic out of an execution into a failure: the model's own record first, then
/// the checker's messages (deadlock, step bound), else a bug of ours.
pub(crate) fn classify(rec: Option<&Record>, payload: &(dyn std::any::Any + Send)) -> ModelFailure {
    if let Some(f) = rec.and_then(|r| r.failure()) {
        return f;
    }
    if let Some(f) = payload.downcast_ref::<ModelFailure>() {
        return f.clone();
    }
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic".to_string());
    let wait_for = rec.map(|r| r.wait_for_report()).unwrap_or_default();
    if msg.contains("deadlock") {
        return ModelFailure {
            property: Property::Deadlock,
            message: format!("all tasks blocked: {wait_for}"),
        };
    }
    if msg.contains("max_steps") || msg.contains("maximum number of branches") {
        return ModelFailure {
            property: Property::StepLimit,
            message: format!("the engine's step bound was hit ({msg}); {wait_for}"),
        };
    }
    ModelFailure {
        property: Property::ModelPanic,
        message: msg,
    }
}

/// Quiet panics raised inside explorations (the engine reports them); others keep the
/// default hook. Installed once.
pub fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(feature = "shuttle", not(loom)))]
        shuttle_engine::prime_panic_hook();
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_ENGINE.with(|f| f.get())
                || std::thread::current()
                    .name()
                    .is_some_and(|n| n.starts_with("cpu"))
            {
                return;
            }
            default(info);
        }));
    });
}

thread_local! {
    pub(crate) static IN_ENGINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` with the quiet panic hook active for this thread.
pub fn quietly<R>(f: impl FnOnce() -> R) -> R {
    install_quiet_panic_hook();
    let prev = IN_ENGINE.with(|c| c.replace(true));
    let r = f();
    IN_ENGINE.with(|c| c.set(prev));
    r
}

/// Shared helper: the remaining budget check (shuttle and threads engines).
#[cfg(not(loom))]
pub(crate) fn out_of_budget(cfg: &RunConfig, start: Instant, executions: usize) -> bool {
    cfg.stop_requested()
        || start.elapsed() >= cfg.budget
        || cfg.max_executions.is_some_and(|m| executions >= m)
}

/// Run one execution on the calling thread (single task, no exploration): proptest and
/// other sequential checks use this so that model code can run under every engine.
pub fn run_sequential<F: Fn() + Send + Sync + 'static>(f: F) {
    #[cfg(loom)]
    loom::model(f);
    #[cfg(all(feature = "shuttle", not(loom)))]
    shuttle::check_random(f, 1);
    #[cfg(not(any(loom, feature = "shuttle")))]
    f();
}
