//! Progress: the machine-level livelock check (a lasso over fingerprints taken at retry
//! points) and the bounded-retry fallback.
//!
//! # What the lasso check decides
//!
//! Every kernel retry loop of the model calls [`crate::model::Machine::retry_point`] at
//! its head (the SVM refault in `cpu_access`, the walk restart of `hmm_range_fault`, the
//! `drm_gpusvm_range_get_pages` retry, the passes of `drm_pagemap_evict_to_ram` and of
//! the AMD eviction worker, the `xe_svm_handle_pagefault` retry, the `drm_exec` restart
//! after a contention). At a retry point the machine fingerprints the *global abstract
//! state*:
//!
//! * the area's object state, handed in by the caller as a hash (SVM: the folios with
//!   their reference tags, lock holders, mapcounts and contents versions, the PTEs, the
//!   zdds, devmems, VRAM pools, per-CPU work, GPU PTEs, invalidations in progress; see
//!   `SvmState::lasso_hash`), taken inside the area's own step so it is consistent;
//! * the holder of every held ghost resource (mutexes, ww_mutexes, page locks, CPUs);
//! * the fault-injection state that decides future calls (the injections made, and how
//!   many calls of its site each plan entry still ahead waits for);
//! * for every task: whether it has exited, how many scenario operations it completed
//!   (its progress counter, [`crate::model::Machine::op_done`]), the kernel's own
//!   loop-carried counters at its last retry point (`migrate_try_count`, `retry_count`,
//!   `exec->contended`, ..., never the model's artificial bounds such as `MAX_REFAULTS`),
//!   its last retry site, what it is blocked on (if anything), and its position since its
//!   last retry point: the sequence of the source locations of the trace events it emitted
//!   since (a control-flow path signature that does not depend on the trace being on).
//!
//! A **lasso** is reported when a retry point produces a fingerprint seen at an earlier
//! retry point of the same execution and, in between, every live task either passed a
//! retry point or was blocked all along on a resource that stayed held by the same live
//! task (no release in between) or on a join (whose tasks cannot have exited: exits are
//! part of the fingerprint). Then the segment of the execution between the two visits
//! (the *cycle*) can be scheduled again from the second visit, forever: an infinite
//! execution in which every task that is enabled keeps being scheduled (weakly fair) and
//! nobody completes an operation. That is a livelock, and the cycle is its proof; it is
//! reported as `livelock` with the cycle in kernel vocabulary (the trace events between
//! the visits, also in the failure file's `cycle`).
//!
//! # What it assumes
//!
//! * **The fingerprint is the state.** Two points with equal fingerprints must have the
//!   same continuations. This holds when (1) the area hash covers every shared object
//!   the code reads (the SVM hash abstracts exactly two things: model time `jiffies`,
//!   kept only as the time left of each allocation's timeslice, which is all the code
//!   can observe of it, and the mmu-notifier sequence numbers, of which only "an
//!   invalidation is in progress" is kept: this assumes no task carries a sequence it read
//!   across the cycle boundary, which holds for a task at its retry point because
//!   `drm_gpusvm_range_get_pages` re-reads it after each retry); (2) a task's locals are
//!   determined by its scenario operation, its kernel counters and its path since the last
//!   retry point (the model's retry loops carry no other state around: that is where the
//!   retry points are put); (3) freed system pages are garbage (they are left out; a
//!   *live* page allocated anew in each round has a new pfn and defeats the lasso, which
//!   can only miss a livelock, never invent one).
//! * **Fairness is weak fairness over the cycle.** A state repeat in which some task did
//!   not run although it could (it is not blocked, or its lock was released in between)
//!   is not a livelock: the repeat is only reported when each live task passed a retry
//!   point in the cycle or could not have run.
//! * **It is per execution.** It decides "this execution contains a lasso". Under loom, an
//!   exhausted bound therefore proves that no lasso is reachable within the bound (every
//!   execution with at most that many preemptions was checked), not that the kernel is
//!   free of livelocks: a cycle that needs more preemptions than the bound is not
//!   explored, and a livelock whose cycle does not revisit an abstract state (growing
//!   state) is not a lasso.
//! * It is only active under the checkers (loom, shuttle), where one task runs at a time,
//!   so the fingerprint is a consistent snapshot. On real threads only the bounded
//!   fallback runs. `TTM_MODEL_LASSO=0` turns it off (for measurements).
//!
//! # The bounded fallback
//!
//! Where a lasso is impossible because the loop is itself bounded by the kernel (the
//! `devmem_only` GPU fault gives up after `migrate_try_count` = 3 migrations: the GPU job
//! fails) or because the state grows in each round, a loop that retries more than a
//! justified bound while it is always enabled is reported by [`retry_bound`] as
//! `livelock` with the prefix "retry bound (no lasso proven)", so that it is never
//! mistaken for a proven cycle.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::Location;

/// Per-task progress bookkeeping.
#[derive(Clone, Debug, Default)]
pub struct TaskProgress {
    /// The last retry site this task passed.
    pub last_site: Option<&'static str>,
    /// Hash of the kernel counters it passed there.
    pub counters: u64,
    /// Retry points passed so far.
    pub passes: u64,
    /// Scenario operations completed.
    pub ops: u64,
    /// Path signature: the source locations of the events emitted since the last retry
    /// point.
    pub path: u64,
    pub path_len: u32,
    /// Trace lengths at this task's last two retry points (most recent first): the
    /// retry-bound fallback reports the iteration between them and now.
    pub retry_at: [usize; 2],
}

/// One earlier visit of a fingerprint.
#[derive(Clone, Debug)]
struct Visit {
    /// Trace length at the visit (the cycle starts here).
    trace_len: usize,
    /// Steps (events recorded or not) at the visit.
    steps: u64,
    task: u16,
    site: &'static str,
    passes: Vec<u64>,
    /// Release counts of the resources that blocked tasks waited for.
    releases: Vec<(usize, u64)>,
}

/// A found lasso: the cycle is `trace[start..end]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso {
    pub start: usize,
    pub end: usize,
    /// Steps in the cycle (events, counted with the trace off too).
    pub steps: u64,
}

/// The per-execution progress state (inside the record, next to the trace).
#[derive(Debug, Default)]
pub struct ProgressState {
    pub tasks: Vec<TaskProgress>,
    visits: HashMap<u64, Visit>,
    /// Events emitted in this execution (with the trace off too).
    steps: u64,
    pub lasso: Option<Lasso>,
    /// The retry-bound fallback's report: the retrying task's last retry iteration (trace
    /// indices), shown as the repeating part although no repeat is proven.
    pub last_iteration: Option<(usize, usize)>,
}

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

impl ProgressState {
    /// Events emitted in this execution so far (the design meters' CPU steps).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    fn task(&mut self, t: u16) -> &mut TaskProgress {
        let i = t as usize;
        if self.tasks.len() <= i {
            self.tasks.resize(i + 1, TaskProgress::default());
        }
        &mut self.tasks[i]
    }

    /// A trace event of `task` was emitted at `loc` (trace on or off).
    #[inline]
    pub fn on_event(&mut self, task: u16, loc: &'static Location<'static>) {
        self.steps += 1;
        let site = (loc.file().as_ptr() as u64) ^ ((loc.line() as u64) << 32) ^ loc.column() as u64;
        let tp = self.task(task);
        tp.path = mix(tp.path, site);
        tp.path_len += 1;
    }

    /// `task` completed a scenario operation.
    pub fn op_done(&mut self, task: u16) {
        self.task(task).ops += 1;
    }
}

/// What a retry point found.
pub enum RetryVerdict {
    /// Nothing to report.
    Go,
    /// A lasso: the message (the cycle itself is in `ProgressState::lasso`).
    Lasso(String),
}

/// Hash counters the kernel carries around the loop.
pub fn counters_hash(counters: &[(&'static str, u64)]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    counters.hash(&mut h);
    h.finish()
}

/// The retry point itself (the record's lock is held by the caller).
pub(crate) fn retry_point(
    r: &mut crate::model::trace::RecordInner,
    cur: u16,
    site: &'static str,
    counters: &[(&'static str, u64)],
    state: u64,
) -> RetryVerdict {
    {
        let now = r.trace.len();
        let tp = r.progress.task(cur);
        tp.retry_at = [now, tp.retry_at[0]];
        tp.last_site = Some(site);
        tp.counters = counters_hash(counters);
        tp.passes += 1;
        tp.path = 0;
        tp.path_len = 0;
    }
    let ntasks = r.tasks.len();
    if r.progress.tasks.len() < ntasks {
        r.progress.tasks.resize(ntasks, TaskProgress::default());
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state.hash(&mut h);
    r.inject.lasso_hash().hash(&mut h);
    for (i, l) in r.locks.iter().enumerate() {
        if let Some(holder) = l.holder {
            (i, holder).hash(&mut h);
        }
    }
    for (i, t) in r.tasks.iter().enumerate() {
        let tp = &r.progress.tasks[i];
        t.done.hash(&mut h);
        tp.ops.hash(&mut h);
        if t.done {
            continue;
        }
        t.blocked_on.hash(&mut h);
        t.blocked_lock.hash(&mut h);
        tp.last_site.hash(&mut h);
        tp.counters.hash(&mut h);
        tp.path.hash(&mut h);
        tp.path_len.hash(&mut h);
    }
    let fp = h.finish();
    let passes: Vec<u64> = r.progress.tasks.iter().map(|t| t.passes).collect();
    let Some(v) = r.progress.visits.get(&fp) else {
        let releases = r
            .tasks
            .iter()
            .filter(|t| !t.done)
            .filter_map(|t| t.blocked_lock)
            .filter_map(|l| r.locks.get(l).map(|rec| (l, rec.releases)))
            .collect();
        let visit = Visit {
            trace_len: r.trace.len(),
            steps: r.progress.steps,
            task: cur,
            site,
            passes,
            releases,
        };
        r.progress.visits.insert(fp, visit);
        return RetryVerdict::Go;
    };
    // Fairness over the cycle: every live task passed a retry point, or it could not run.
    let mut retried = Vec::new();
    for (i, t) in r.tasks.iter().enumerate() {
        if t.done {
            continue;
        }
        let before = v.passes.get(i).copied().unwrap_or(0);
        if passes[i] > before {
            retried.push(format!(
                "{} x{}",
                crate::model::trace::cpu_name(i as u16),
                passes[i] - before
            ));
            continue;
        }
        let blocked_all_along = match (t.wait_kind(), t.blocked_lock) {
            (Some(crate::model::trace::WaitKind::Join), _) => true,
            (Some(_), Some(l)) if l != usize::MAX => {
                let held = r.locks.get(l).is_some_and(|rec| {
                    rec.holder
                        .is_some_and(|h| !r.tasks.get(h as usize).is_some_and(|ht| ht.done))
                });
                let released = v
                    .releases
                    .iter()
                    .find(|(x, _)| *x == l)
                    .is_none_or(|(_, n)| r.locks[l].releases != *n);
                held && !released
            }
            _ => false,
        };
        if !blocked_all_along {
            // Not fair (this task could run and did not): not a livelock. Keep the visit.
            return RetryVerdict::Go;
        }
    }
    let lasso = Lasso {
        start: v.trace_len,
        end: r.trace.len(),
        steps: r.progress.steps - v.steps,
    };
    let blocked: Vec<String> = r
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, t)| !t.done && passes[*i] == v.passes.get(*i).copied().unwrap_or(0))
        .map(|(i, t)| {
            format!(
                "{} blocked in {}",
                crate::model::trace::cpu_name(i as u16),
                t.blocked_on.as_deref().unwrap_or("?")
            )
        })
        .collect();
    let cycle: Vec<String> = r.trace[lasso.start..lasso.end]
        .iter()
        .map(|e| e.to_string())
        .collect();
    let shown = shown_part(r.trace_on, &cycle, "cycle");
    let msg = format!(
        "lasso: {} at retry point '{site}' is back in the global state of {}'s retry point '{}' ({} events earlier): object state, lock holders, kernel retry counters and task positions are the same, no task completed an operation, and in between every live task passed a retry point ({}){}; so the cycle can repeat forever under a fair schedule. The cycle ({} events){shown}",
        crate::model::trace::cpu_name(cur),
        crate::model::trace::cpu_name(v.task),
        v.site,
        lasso.steps,
        retried.join(", "),
        if blocked.is_empty() {
            String::new()
        } else {
            format!(
                " or stayed blocked on a resource held all along ({})",
                blocked.join(", ")
            )
        },
        cycle.len(),
    );
    r.progress.lasso = Some(lasso);
    RetryVerdict::Lasso(msg)
}

/// How many events of the cycle the one-line message shows.
pub const CYCLE_IN_MESSAGE: usize = 24;

/// The message of the bounded fallback: `what` (run by task `cur`) retried `n` times while
/// always enabled. Marks the task's last retry iteration (from its second-to-last retry
/// point to now) as the report's repeating part: the failure file's `cycle` and the
/// message show it, labelled as not proven to repeat.
pub fn retry_bound(
    rec: &crate::model::trace::Record,
    cur: u16,
    what: &str,
    n: u32,
    why: &str,
) -> String {
    let (shown, len) = rec.with(|r| {
        let end = r.trace.len();
        let start = r
            .progress
            .tasks
            .get(cur as usize)
            .map_or(end, |t| t.retry_at[1].min(end));
        r.progress.last_iteration = Some((start, end));
        let part: Vec<String> = r.trace[start..end].iter().map(|e| e.to_string()).collect();
        (shown_part(r.trace_on, &part, "iteration"), part.len())
    });
    format!(
        "retry bound (no lasso proven): {what} retried {n} times without completing ({why}); \
         it kept being scheduled (each retry is a step of its own), but no global state \
         repeated at the retry points (the state grows, or the loop is not a retry point). \
         Its last retry iteration ({len} events, the part that keeps repeating, not proven \
         to repeat forever){shown}"
    )
}

/// The events of a cycle or iteration for a one-line message: all of them, or the first
/// [`CYCLE_IN_MESSAGE`] with a pointer to the failure file.
fn shown_part(trace_on: bool, part: &[String], what: &str) -> String {
    if !trace_on {
        " (trace off: replay the schedule to see it)".to_string()
    } else if part.len() <= CYCLE_IN_MESSAGE {
        format!(": {}", part.join(" | "))
    } else {
        format!(
            ": {} | ... ({} more events: the whole {what} is in the failure file)",
            part[..CYCLE_IN_MESSAGE].join(" | "),
            part.len() - CYCLE_IN_MESSAGE
        )
    }
}

/// Is the lasso check on (the checkers only; `TTM_MODEL_LASSO=0` turns it off)?
pub fn lasso_enabled() -> bool {
    #[cfg(not(any(loom, feature = "shuttle")))]
    return false;
    #[cfg(any(loom, feature = "shuttle"))]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| std::env::var("TTM_MODEL_LASSO").map_or(true, |v| v != "0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trace::{Record, TaskRecord, WaitKind};

    /// A record with `n` tasks and one ghost lock held by task 0.
    fn record(n: usize) -> Record {
        let rec = Record::new(true);
        rec.with(|r| {
            for i in 0..n {
                r.tasks.push(TaskRecord {
                    name: format!("t{i}"),
                    ..Default::default()
                });
            }
        });
        rec.register_lock("L");
        rec
    }

    fn point(rec: &Record, t: u16) -> bool {
        rec.with(|r| matches!(retry_point(r, t, "site", &[], 7), RetryVerdict::Lasso(_)))
    }

    /// The bounded fallback reports the retrying task's last iteration as the repeating
    /// part: from its second-to-last retry point to the report.
    #[test]
    fn the_retry_bound_fallback_shows_the_last_iteration() {
        use crate::model::trace::Ev;
        let rec = record(2);
        let note = |s: &str| rec.event(0, || Ev::Note(s.to_string()));
        note("before");
        // Each iteration moves the state (a growing counter), so no lasso.
        for i in 0..3u64 {
            note(&format!("iteration {i}"));
            let v = rec.with(|r| retry_point(r, 0, "site", &[("i", i)], i));
            assert!(matches!(v, RetryVerdict::Go));
        }
        note("tail");
        let msg = retry_bound(&rec, 0, "cpu0 loop", 3, "it never ends");
        assert!(msg.starts_with("retry bound (no lasso proven): cpu0 loop retried 3 times"));
        assert!(
            msg.contains("iteration 2 | ") && msg.contains("tail"),
            "{msg}"
        );
        assert!(!msg.contains("iteration 1"), "{msg}");
        let (a, b) = rec.repeating_range().expect("marked");
        let lines = rec.trace_lines();
        assert_eq!(&lines[a..b].len(), &2, "{:?}", &lines[a..b]);
    }

    #[test]
    fn a_lone_retrying_task_with_the_others_done_is_a_lasso() {
        let rec = record(2);
        rec.with(|r| r.tasks[1].done = true);
        assert!(!point(&rec, 0), "first visit");
        assert!(point(&rec, 0), "same state, the only live task retried");
        assert!(rec.with(|r| r.progress.lasso.is_some()));
    }

    #[test]
    fn a_state_repeat_while_another_task_is_not_scheduled_is_no_lasso() {
        // Task 1 is runnable (not blocked, not done) and never passes a retry point: the
        // repeat only shows that it was starved, not a livelock.
        let rec = record(2);
        for _ in 0..10 {
            assert!(!point(&rec, 0));
        }
    }

    #[test]
    fn blocked_on_a_lock_held_all_along_is_fair_but_not_once_it_was_released() {
        let rec = record(2);
        let block = |rec: &Record| {
            rec.set_blocked_on(1, Some((WaitKind::Lock, "mutex_lock(L)".into(), Some(0))))
        };
        rec.with(|r| r.locks[0].holder = Some(0));
        block(&rec);
        assert!(!point(&rec, 0));
        assert!(
            point(&rec, 0),
            "task 1 could not run: the lock stayed held by task 0"
        );

        let rec = record(2);
        rec.with(|r| r.locks[0].holder = Some(0));
        block(&rec);
        assert!(!point(&rec, 0));
        // Released and taken again in between: task 1 could have been woken for it.
        rec.with(|r| r.locks[0].releases += 1);
        assert!(!point(&rec, 0));
    }

    #[test]
    fn progress_or_a_new_position_breaks_the_repeat() {
        let rec = record(2);
        rec.with(|r| r.tasks[1].done = true);
        assert!(!point(&rec, 0));
        rec.with(|r| r.progress.op_done(0));
        assert!(!point(&rec, 0), "an operation completed: a new state");
        rec.event(1, || crate::model::trace::Ev::Note("x".into()));
        rec.with(|r| r.tasks[1].done = false);
        assert!(!point(&rec, 0), "another task moved: a new state");
    }
}
