//! Per-CPU work items on non-preemptible kernels (`mm/swap.c` `lru_add_drain_all`,
//! `kernel/workqueue.c` `queue_work_on` / `flush_work`), needed for b570f37a2ce4 (B29).
//!
//! Every model task is a CPU (`cpuN`). With `preempt_none` (CONFIG_PREEMPT_NONE or
//! voluntary preemption), a work item queued on CPU k runs only when the task on CPU k
//! sleeps, passes a voluntary scheduling point (`cond_resched`, return to user space) or
//! exits; a kernel loop that only retries (`hmm_range_fault` after a failed device-folio
//! trylock) keeps the CPU and the work never runs. With a preemptible kernel the kworker
//! preempts at once.
//!
//! Simplification: the per-CPU kworker is folded into the CPU's scheduling points (the
//! work runs inline in the context of whoever finds CPU k available: its own task at a
//! scheduling point, or the queuer when CPU k is idle). The only work modelled is
//! `lru_add_drain_per_cpu`, which moves that CPU's `lru_add` batch onto the LRU; its
//! effect does not depend on which task context runs it.

use super::page::{Svm, SvmState};
use crate::model::sync::Arc;
use crate::model::sync::MutexGuard;
use crate::model::task::Task;
use crate::model::trace::{Ev, WaitKind, cpu_name};

/// Scheduling state of one CPU.
#[derive(Clone, Debug, Default)]
pub struct CpuSched {
    /// A task occupies the CPU in kernel mode without sleeping.
    pub busy: bool,
    /// Queued work items (indices into `SvmState::works`).
    pub pending: Vec<usize>,
}

/// A queued `lru_add_drain_per_cpu` work item.
#[derive(Clone, Debug)]
pub struct Work {
    pub cpu: u16,
    pub done: bool,
}

fn cpu(s: &mut SvmState, id: u16) -> &mut CpuSched {
    let i = id as usize;
    if s.cpus.len() <= i {
        s.cpus.resize(i + 1, CpuSched::default());
    }
    &mut s.cpus[i]
}

/// `lru_add_drain()` on CPU `c`: its batch goes onto the LRU.
fn drain_cpu(s: &mut SvmState, c: u16) {
    for f in s.folios.iter_mut() {
        if f.lru_batch == Some(c) {
            f.lru_batch = None;
            if !f.free {
                f.on_lru = true;
            }
        }
    }
}

/// Run the work queued on `cur`'s CPU (the CPU became available to its kworker).
fn run_pending(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>) {
    let pending = std::mem::take(&mut cpu(s, cur.id).pending);
    if pending.is_empty() {
        return;
    }
    for w in pending {
        drain_cpu(s, cur.id);
        s.works[w].done = true;
        cur.event(|| {
            Ev::Note(format!(
                "kworker on {}: lru_add_drain_per_cpu runs (CPU available)",
                cpu_name(cur.id)
            ))
        });
    }
    svm.wake_all();
}

/// The task starts running kernel code on its CPU.
pub fn cpu_enter(cur: &Arc<Task>, svm: &Svm) {
    svm.with(|s| cpu(s, cur.id).busy = true);
}

/// The task exits: its CPU goes idle and runs what was queued on it.
pub fn cpu_exit(cur: &Arc<Task>, svm: &Svm) {
    svm.with(|s| {
        cpu(s, cur.id).busy = false;
        run_pending(svm, s, cur);
    });
}

/// A voluntary scheduling point (`cond_resched()`, return to user space): queued work on
/// this CPU gets to run.
pub fn cond_resched(cur: &Arc<Task>, svm: &Svm) {
    svm.with(|s| run_pending(svm, s, cur));
    crate::model::sync::yield_now();
}

/// The task goes to sleep (`idle = true`) or runs again: inside a world step.
pub(crate) fn cpu_idle_locked(
    svm: &Svm,
    g: &mut MutexGuard<'_, SvmState>,
    cur: &Arc<Task>,
    idle: bool,
) {
    let s: &mut SvmState = g;
    cpu(s, cur.id).busy = !idle;
    if idle {
        run_pending(svm, s, cur);
    }
}

/// `lru_add_drain()`: drain this CPU's batch.
pub fn lru_add_drain(cur: &Arc<Task>, svm: &Svm) {
    svm.with(|s| drain_cpu(s, cur.id));
}

/// `lru_add_drain_all()`: queue `lru_add_drain_per_cpu` on every CPU whose batch needs
/// draining (`cpu_needs_drain`), then `flush_work` each of them. A CPU that is idle (or
/// any CPU of a preemptible kernel) runs it at once.
pub fn lru_add_drain_all(cur: &Arc<Task>, svm: &Svm) {
    cur.event(|| Ev::Call {
        f: "lru_add_drain_all",
        obj: "all CPUs".into(),
        ctx: None,
    });
    let queued: Vec<usize> = svm.with(|s| {
        drain_cpu(s, cur.id);
        let needs: Vec<u16> = {
            let mut v: Vec<u16> = s.folios.iter().filter_map(|f| f.lru_batch).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut queued = Vec::new();
        for c in needs {
            let busy = cpu(s, c).busy;
            if busy && svm.cfg.preempt_none {
                s.works.push(Work {
                    cpu: c,
                    done: false,
                });
                let w = s.works.len() - 1;
                cpu(s, c).pending.push(w);
                queued.push(w);
                cur.event(|| {
                    Ev::Note(format!(
                        "queue_work_on({}, lru_add_drain_per_cpu): {} is busy in the kernel and not preemptible",
                        cpu_name(c),
                        cpu_name(c)
                    ))
                });
            } else {
                drain_cpu(s, c);
            }
        }
        queued
    });
    for w in queued {
        svm.with_wait(|g, wq| {
            if g.works[w].done {
                return;
            }
            let c = g.works[w].cpu;
            let ghost = svm.cpu_ghost(c);
            svm.m.rec.set_blocked_on(
                cur.id,
                Some((
                    WaitKind::Other,
                    format!("flush_work(lru_add_drain_per_cpu on {})", cpu_name(c)),
                    Some(ghost),
                )),
            );
            cur.event(|| Ev::Sleep {
                obj: format!("flush_work(lru_add_drain_per_cpu on {})", cpu_name(c)).into(),
            });
            cpu_idle_locked(svm, g, cur, true);
            while !g.works[w].done {
                wq.wait(g);
            }
            cpu_idle_locked(svm, g, cur, false);
            svm.m.rec.set_blocked_on(cur.id, None);
            cur.event(|| Ev::Woken);
        });
    }
    cur.event(|| Ev::Ret {
        f: "lru_add_drain_all",
        obj: "all CPUs".into(),
        ret: 0,
    });
}
