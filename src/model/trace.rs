//! Per-execution record: the event trace in kernel vocabulary, the blocked-on table used
//! to explain deadlocks, and the first property failure.
//!
//! Everything here uses `std` types on purpose: the record is bookkeeping of the model, not
//! part of the modelled protocol, so the checkers must not see (or permute) it, and the
//! engine must be able to read it after loom or shuttle tore the execution down.

use crate::model::property::{ModelFailure, Property};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Kernel return codes used by the model.
pub const EINTR: i32 = 4;
pub const EIO: i32 = 5;
pub const EAGAIN: i32 = 11;
pub const ENOMEM: i32 = 12;
pub const EFAULT: i32 = 14;
pub const EBUSY: i32 = 16;
pub const EINVAL: i32 = 22;
pub const ENOSPC: i32 = 28;
pub const EDEADLK: i32 = 35;
pub const EALREADY: i32 = 114;
/// Kernel-internal: restart the system call after the signal (`-ERESTARTSYS`).
pub const ERESTARTSYS: i32 = 512;

/// Render a kernel return code (`0`, `-EDEADLK`, ...).
pub fn errno_name(ret: i32) -> String {
    match -ret {
        0 => "0".to_string(),
        EINTR => "-EINTR".to_string(),
        EIO => "-EIO".to_string(),
        EAGAIN => "-EAGAIN".to_string(),
        ENOMEM => "-ENOMEM".to_string(),
        EFAULT => "-EFAULT".to_string(),
        EBUSY => "-EBUSY".to_string(),
        EINVAL => "-EINVAL".to_string(),
        ENOSPC => "-ENOSPC".to_string(),
        ERESTARTSYS => "-ERESTARTSYS".to_string(),
        EDEADLK => "-EDEADLK".to_string(),
        EALREADY => "-EALREADY".to_string(),
        _ => ret.to_string(),
    }
}

/// One event of one task.
#[derive(Clone, Debug)]
pub struct Event {
    pub task: u16,
    pub kind: Ev,
}

/// What happened, in the kernel's words.
#[derive(Clone, Debug)]
pub enum Ev {
    /// A modelled kernel function was called on an object (with an acquire context).
    Call {
        f: &'static str,
        obj: Arc<str>,
        ctx: Option<(usize, u64)>,
    },
    /// A modelled kernel function returned.
    Ret {
        f: &'static str,
        obj: Arc<str>,
        ret: i32,
    },
    /// `schedule()` while waiting for an object.
    Sleep { obj: Arc<str> },
    /// Returned from `schedule()`.
    Woken,
    /// `wake_up_process(target)` issued (directly or from a wake_q).
    Wake { target: u16, why: &'static str },
    /// Free-form note (already in kernel vocabulary).
    Note(String),
}

/// Render a task id as the CPU it runs on.
pub fn cpu_name(task: u16) -> String {
    format!("cpu{task}")
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", cpu_name(self.task))?;
        match &self.kind {
            Ev::Call { f: func, obj, ctx } => match ctx {
                Some((id, stamp)) => write!(f, "{func}({obj}, ctx#{id} stamp={stamp})"),
                None => write!(f, "{func}({obj})"),
            },
            Ev::Ret { f: func, obj, ret } => write!(f, "{func}({obj}) -> {}", errno_name(*ret)),
            Ev::Sleep { obj } => write!(f, "schedule() waiting for {obj}"),
            Ev::Woken => write!(f, "woken, back from schedule()"),
            Ev::Wake { target, why } => {
                write!(f, "wake_up_process({}) [{why}]", cpu_name(*target))
            }
            Ev::Note(s) => f.write_str(s),
        }
    }
}

/// What a blocked task waits for (for the wait-for report).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskRecord {
    pub name: String,
    pub blocked_on: Option<String>,
    /// The ghost resource (`locks[i]`, whose holder is known) it waits for; `usize::MAX`
    /// for waits without a holder (completions, joins).
    pub blocked_lock: Option<usize>,
    /// What kind of thing it waits for; `None` = inferred by `TaskRecord::wait_kind`.
    #[serde(default)]
    pub blocked_kind: Option<WaitKind>,
    pub done: bool,
}

/// The kind of resource a blocked task waits for, named in wait-for reports.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WaitKind {
    /// A mutex / ww_mutex / dma_resv lock (holder known).
    Lock,
    /// A page (folio) lock or reference (holder known when registered as a resource).
    Page,
    /// A `struct completion` (nobody "holds" it; whoever should complete it).
    Completion,
    /// Waiting for other tasks to exit.
    Join,
    /// Anything else.
    Other,
}

impl WaitKind {
    pub fn name(self) -> &'static str {
        match self {
            WaitKind::Lock => "lock",
            WaitKind::Page => "page",
            WaitKind::Completion => "completion",
            WaitKind::Join => "join",
            WaitKind::Other => "other",
        }
    }
}

impl TaskRecord {
    /// What this task waits for, if it is blocked: the recorded kind, else inferred from
    /// the wait (`usize::MAX` = no holder: a completion or a join; otherwise a lock).
    pub fn wait_kind(&self) -> Option<WaitKind> {
        let what = self.blocked_on.as_deref()?;
        Some(self.blocked_kind.unwrap_or(match self.blocked_lock {
            Some(usize::MAX) | None if what.starts_with("wait_for_completion") => {
                WaitKind::Completion
            }
            Some(usize::MAX) | None if what.starts_with("join") => WaitKind::Join,
            Some(usize::MAX) | None => WaitKind::Other,
            Some(_) => WaitKind::Lock,
        }))
    }
}

/// Ghost state of one lock: who holds it.
#[derive(Clone, Debug, Default)]
pub struct LockRecord {
    pub name: String,
    pub holder: Option<u16>,
    /// How often a holder let go of it (the lasso's fairness test: a task blocked on it
    /// could not have been woken for it while this stayed the same).
    pub releases: u64,
}

#[derive(Debug, Default)]
pub struct RecordInner {
    pub trace_on: bool,
    pub trace: Vec<Event>,
    pub failure: Option<ModelFailure>,
    /// Kernel WARNs that fired (the execution went on after each): the first one is the
    /// reported failure, `failure` (if any) what it led to.
    pub warnings: Vec<ModelFailure>,
    pub tasks: Vec<TaskRecord>,
    pub locks: Vec<LockRecord>,
    /// Fault injection: this execution's plan and what it injected.
    pub inject: crate::model::fault::InjectState,
    /// The kernel config options of this execution (`--config`).
    pub config: crate::model::config::KernelConfig,
    /// Retry points, fingerprints and the lasso found (`model::progress`).
    pub progress: crate::model::progress::ProgressState,
    /// Real threads only: wall time tasks spent blocked on locks (`Machine::set_blocked`).
    pub lock_wait: LockWait,
}

/// Wall time spent blocked, measured in the real-thread build only (the checkers' time is
/// not the kernel's): when each task blocked, and the total of finished waits.
#[derive(Debug, Default)]
pub struct LockWait {
    since: Vec<Option<std::time::Instant>>,
    pub total_ns: u64,
}

impl LockWait {
    /// `task` starts (`true`) or stops waiting.
    pub fn mark(&mut self, task: usize, blocked: bool) {
        if !cfg!(not(any(loom, feature = "shuttle"))) {
            return;
        }
        if self.since.len() <= task {
            self.since.resize(task + 1, None);
        }
        match (blocked, self.since[task]) {
            (true, None) => self.since[task] = Some(std::time::Instant::now()),
            (false, Some(t0)) => {
                self.since[task] = None;
                self.total_ns += t0.elapsed().as_nanos() as u64;
            }
            _ => {}
        }
    }
}

/// The std-only record of one execution.
#[derive(Debug, Default)]
pub struct Record {
    inner: std::sync::Mutex<RecordInner>,
}

impl Record {
    pub fn new(trace_on: bool) -> Self {
        Record {
            inner: std::sync::Mutex::new(RecordInner {
                trace_on,
                ..Default::default()
            }),
        }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut RecordInner) -> R) -> R {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }

    /// Record an event of `task`. The caller's source location extends the task's path
    /// signature (the lasso check's notion of where a task is), with the trace on or off.
    #[inline]
    #[track_caller]
    pub fn event(&self, task: u16, kind: impl FnOnce() -> Ev) {
        let loc = std::panic::Location::caller();
        self.with(|r| {
            r.progress.on_event(task, loc);
            if r.trace_on {
                r.trace.push(Event { task, kind: kind() })
            }
        });
    }

    /// Keep the first failure only: later ones are consequences.
    pub fn set_failure(&self, failure: ModelFailure) {
        self.with(|r| {
            if r.failure.is_none() {
                r.failure = Some(failure);
            }
        });
    }

    pub fn failure(&self) -> Option<ModelFailure> {
        self.with(|r| r.failure.clone())
    }

    /// The kernel WARNs recorded so far (the execution continued after each).
    pub fn warnings(&self) -> Vec<ModelFailure> {
        self.with(|r| r.warnings.clone())
    }

    /// Set this execution's fault-injection plan (before the execution starts).
    pub fn set_inject(&self, plan: &[crate::model::fault::PlanEntry], budget: u32) {
        self.with(|r| r.inject = crate::model::fault::InjectState::new(plan, budget));
    }

    /// Calls seen per fault site in this execution.
    pub fn fault_counts(&self) -> Vec<u32> {
        self.with(|r| r.inject.counts().to_vec())
    }

    /// The failures injected in this execution, as plan entries.
    pub fn injected(&self) -> Vec<crate::model::fault::PlanEntry> {
        self.with(|r| {
            r.inject
                .injected
                .iter()
                .map(|i| crate::model::fault::PlanEntry {
                    site: i.site.name().to_string(),
                    occurrence: i.occurrence,
                    errno: i.errno,
                })
                .collect()
        })
    }

    pub fn trace_lines(&self) -> Vec<String> {
        self.with(|r| r.trace.iter().map(|e| e.to_string()).collect())
    }

    pub fn events(&self) -> Vec<Event> {
        self.with(|r| r.trace.clone())
    }

    /// The repeating part of this execution's livelock report: the lasso's cycle, or the
    /// retry-bound fallback's last retry iteration.
    pub fn repeating_range(&self) -> Option<(usize, usize)> {
        self.with(|r| {
            r.progress
                .lasso
                .as_ref()
                .map(|l| (l.start, l.end))
                .or(r.progress.last_iteration)
        })
    }

    pub fn register_lock(&self, name: &str) -> usize {
        self.with(|r| {
            r.locks.push(LockRecord {
                name: name.to_string(),
                holder: None,
                releases: 0,
            });
            r.locks.len() - 1
        })
    }

    /// Note that `task` blocks on (`Some`) or no longer blocks on (`None`) a resource of
    /// the given kind: `resource` is the index of a registered ghost resource
    /// (`register_lock`) whose holder the report names, `None` if nobody holds it.
    pub fn set_blocked_on(&self, task: u16, what: Option<(WaitKind, String, Option<usize>)>) {
        self.with(|r| {
            let t = &mut r.tasks[task as usize];
            match what {
                Some((kind, desc, resource)) => {
                    t.blocked_kind = Some(kind);
                    t.blocked_on = Some(desc);
                    t.blocked_lock = Some(resource.unwrap_or(usize::MAX));
                }
                None => {
                    t.blocked_kind = None;
                    t.blocked_on = None;
                    t.blocked_lock = None;
                }
            }
        });
    }

    /// Explain a deadlock: each blocked task, what it waits for (lock, page, completion,
    /// ...) and who holds it, plus the wait-for cycle if there is one.
    pub fn wait_for_report(&self) -> String {
        self.with(|r| {
            let mut lines = Vec::new();
            for (i, t) in r.tasks.iter().enumerate() {
                if t.done {
                    continue;
                }
                let what = t
                    .blocked_on
                    .clone()
                    .unwrap_or_else(|| "running".to_string());
                let resource = t.blocked_lock.and_then(|l| r.locks.get(l));
                let holder = match (t.wait_kind(), resource) {
                    (None, _) => String::new(),
                    (Some(kind), Some(res)) => format!(
                        " [waits for {} {}, {}]",
                        kind.name(),
                        res.name,
                        res.holder.map_or("held by nobody".to_string(), |h| format!(
                            "held by {}",
                            cpu_name(h)
                        ))
                    ),
                    (Some(WaitKind::Join), None) => String::new(),
                    (Some(kind), None) => format!(" [waits for a {}]", kind.name()),
                };
                lines.push(format!(
                    "{} ({}) blocked in {what}{holder}",
                    cpu_name(i as u16),
                    t.name
                ));
            }
            if let Some(cycle) = find_cycle(r) {
                let path: Vec<String> = cycle.iter().map(|t| cpu_name(*t)).collect();
                lines.push(format!(
                    "wait-for cycle: {} -> {}",
                    path.join(" -> "),
                    path[0]
                ));
            }
            lines.join("; ")
        })
    }
}

fn waits_for(r: &RecordInner, t: usize) -> Option<usize> {
    let task = r.tasks.get(t)?;
    if task.done {
        return None;
    }
    let lock = task.blocked_lock?;
    r.locks.get(lock)?.holder.map(|h| h as usize)
}

fn find_cycle(r: &RecordInner) -> Option<Vec<u16>> {
    for start in 0..r.tasks.len() {
        let mut path = vec![start];
        let mut cur = start;
        while let Some(next) = waits_for(r, cur) {
            if let Some(pos) = path.iter().position(|p| *p == next) {
                return Some(path[pos..].iter().map(|t| *t as u16).collect());
            }
            path.push(next);
            cur = next;
        }
    }
    None
}

/// Raise a property failure: record it (so the engine finds it even if the checker turns
/// the panic into something else) and unwind out of the execution.
/// At most this many WARNs are kept per execution (a WARN in a loop repeats itself).
const MAX_WARNINGS: usize = 16;

/// A kernel WARN (`WARN_ON`, `DEBUG_LOCKS_WARN_ON`, `MUTEX_WARN_ON`, a lockdep splat):
/// recorded, noted in the trace, and the execution goes on, as in the kernel, so that
/// its consequence shows. The first WARN is what the execution reports (at its end, or
/// together with the failure it led to).
#[track_caller]
pub fn warn(rec: &Record, task: u16, property: Property, message: String) {
    rec.event(task, || {
        Ev::Note(format!("WARNING [{property}]: {message}"))
    });
    rec.with(|r| {
        if r.warnings.len() < MAX_WARNINGS {
            r.warnings.push(ModelFailure { property, message });
        }
    });
}

pub fn raise(rec: &Record, property: Property, message: String) -> ! {
    let failure = ModelFailure { property, message };
    rec.set_failure(failure.clone());
    std::panic::panic_any(failure)
}

#[cfg(test)]
mod tests {
    use super::LockWait;

    #[test]
    fn lock_waits_are_timed_on_real_threads_only() {
        let mut w = LockWait::default();
        w.mark(2, true);
        w.mark(2, true); // still the same wait
        std::thread::sleep(std::time::Duration::from_millis(2));
        w.mark(2, false);
        w.mark(2, false); // not waiting: nothing to add
        if cfg!(not(any(loom, feature = "shuttle"))) {
            assert!(w.total_ns >= 2_000_000, "{}", w.total_ns);
        } else {
            assert_eq!(w.total_ns, 0, "the checkers' time is not measured");
        }
    }
}
