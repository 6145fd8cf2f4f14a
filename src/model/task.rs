//! Tasks: kernel sleeping and waking (`set_current_state`, `schedule`, `wake_up_process`)
//! and the deferred `wake_q`.
//!
//! Follows `kernel/sched/core.c` (try_to_wake_up, __schedule's signal check) and
//! `include/linux/sched.h` (set_current_state = smp_store_mb). The task state lives under
//! a per-task mutex with a condition variable, so a sleeping task is *really* blocked for
//! loom and shuttle, and a missed wakeup shows up as a deadlock: there is no wake token
//! that could be left over from an earlier wakeup, only the state word, exactly as in the
//! kernel (a wakeup between `set_current_state` and `schedule` sets RUNNING, so `schedule`
//! returns at once; waking a RUNNING task is a no-op).
//!
//! A task is on at most one wake_q system-wide, as in the kernel (`task->wake_q` is one
//! node): a second `wake_q_add` while it is queued fails, and the wakeup comes from the
//! first queue's flush. So a queue can wake a task that has stopped waiting for what it was
//! queued for (a stale entry), and `schedule()` then returns early for its next sleep: every
//! sleeper re-checks its condition, as kernel sleepers must. Other spurious returns (the
//! optimistic spinner's need_resched path) are not modelled: the spinner is left out.

use crate::model::machine::Machine;
use crate::model::sync::atomic::{Ordering, fence};
use crate::model::sync::{Arc, Condvar, Mutex};
use crate::model::trace::Ev;
use crate::model::variants::Variant;
use std::sync::atomic::{AtomicBool, Ordering as StdOrdering};

/// `TASK_RUNNING`, `TASK_UNINTERRUPTIBLE`, `TASK_INTERRUPTIBLE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Running,
    Uninterruptible,
    Interruptible,
}

/// A model task (the kernel's `task_struct`, reduced to what locking needs).
#[derive(Debug)]
pub struct Task {
    /// 0-based id; rendered as `cpu{id}` and stored in mutex owner words as `(id + 1) << 3`.
    pub id: u16,
    pub name: Arc<str>,
    state: Mutex<TaskState>,
    wake: Condvar,
    /// A pending signal (`signal_pending()`): an explicit input of the scenario.
    signal: AtomicBool,
    /// `task->wake_q.next != NULL`: queued on some wake_q. A std atomic: it is only
    /// accessed right after a full barrier (`smp_mb__before_atomic` in `wake_q_add`,
    /// `wake_up_process` after the clear), which the checkers do see, and a checker atomic
    /// would add a scheduling point to every wakeup of every schedule.
    wake_q_queued: AtomicBool,
    /// `task->blocked_on` (v6.17+): the mutex this task is blocked on. Written by the task
    /// itself under that mutex's wait_lock, cleared by others (unlock, die, wound) under
    /// the wait_lock of the lock *they* hold: READ_ONCE/WRITE_ONCE of a pointer, which a
    /// std lock around a single load or store models exactly (no scheduling point, the
    /// surrounding wait_lock sections order it as in the kernel).
    blocked_on: std::sync::Mutex<Option<BlockedOn>>,
    pub machine: Arc<Machine>,
}

/// What `task->blocked_on` points at: a mutex (its record index and name) and, for the
/// proxy-execution rule, its owner word.
#[derive(Clone, Debug)]
pub struct BlockedOn {
    pub uid: usize,
    pub name: Arc<str>,
    pub owner: Arc<crate::model::sync::atomic::AtomicUsize>,
}

impl Task {
    pub(crate) fn new(id: u16, name: &str, machine: Arc<Machine>) -> Self {
        Task {
            id,
            name: name.into(),
            state: Mutex::new(TaskState::Running),
            wake: Condvar::new(),
            signal: AtomicBool::new(false),
            wake_q_queued: AtomicBool::new(false),
            blocked_on: std::sync::Mutex::new(None),
            machine,
        }
    }

    /// The owner-word encoding of this task (`(unsigned long)current`).
    #[inline]
    pub fn owner_word(&self) -> usize {
        (self.id as usize + 1) << 3
    }

    /// Record an event in this task's trace.
    #[inline]
    #[track_caller]
    pub fn event(&self, kind: impl FnOnce() -> Ev) {
        self.machine.rec.event(self.id, kind);
    }

    /// `signal_pending(current)`.
    pub fn signal_pending(&self) -> bool {
        self.signal.load(StdOrdering::SeqCst)
    }

    /// `signal_pending_state(state, current)`: only interruptible sleeps see signals.
    pub fn signal_pending_state(&self, state: TaskState) -> bool {
        state == TaskState::Interruptible && self.signal_pending()
    }

    /// Deliver a signal: set it pending, then `signal_wake_up()` wakes an interruptible
    /// sleeper.
    pub fn send_signal(&self) {
        self.signal.store(true, StdOrdering::SeqCst);
        let mut st = self.state.lock();
        if *st == TaskState::Interruptible {
            *st = TaskState::Running;
            self.wake.notify_one();
        }
    }

    /// `READ_ONCE(p->blocked_on)`.
    pub fn blocked_on(&self) -> Option<BlockedOn> {
        self.blocked_on
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `WRITE_ONCE(p->blocked_on, m)`; with proxy execution on, a clear by another task
    /// lets the scheduler re-evaluate this task (see [`schedule`]).
    pub fn write_blocked_on(&self, cur: &Task, m: Option<BlockedOn>) {
        let cleared = m.is_none();
        *self.blocked_on.lock().unwrap_or_else(|e| e.into_inner()) = m;
        if cleared && cur.id != self.id && proxy_exec(self) {
            self.proxy_kick();
        }
    }

    /// The scheduler re-evaluates a donor (proxy execution): its blocked_on or its
    /// mutex's owner changed.
    pub fn proxy_kick(&self) {
        let _st = self.state.lock();
        self.wake.notify_one();
    }

    /// Proxy execution (`find_proxy_task`, simplified): a task whose blocked_on names a
    /// mutex with an owner other than itself does not run on its own; it donates its time
    /// to the owner. `owner == NULL` (or a handoff to itself) lets it run.
    fn is_proxy_donor(&self) -> bool {
        let Some(b) = self.blocked_on() else {
            return false;
        };
        let owner = b.owner.load(Ordering::Relaxed) & !0x07;
        owner != 0 && owner != self.owner_word()
    }

    /// `flush_signals()`.
    pub fn clear_signal(&self) {
        self.signal.store(false, StdOrdering::SeqCst);
    }
}

/// `set_current_state(state)`: `smp_store_mb(current->__state, state)`. The full barrier
/// orders the state store against the sleeper's subsequent reads of the lock words; the
/// Wait-Die store-buffering pairing of spec §3.7 depends on it (loom finds a deadlock
/// without it: variant `state-no-mb`).
pub fn set_current_state(cur: &Task, state: TaskState) {
    *cur.state.lock() = state;
    if !cur.machine.variants.has(Variant::StateNoMb) {
        fence(Ordering::SeqCst);
    }
}

/// `__set_current_state(state)`: plain store, no barrier.
pub fn __set_current_state(cur: &Task, state: TaskState) {
    *cur.state.lock() = state;
}

/// `schedule()`: block until someone set us back to RUNNING. An interruptible sleeper with
/// a pending signal does not sleep (`signal_pending_state` in `__schedule`). A sleep the
/// plan makes spurious (site `schedule`, `--spurious`) returns at once, RUNNING.
///
/// With CONFIG_SCHED_PROXY_EXEC (`--config proxy-exec`) a task that is RUNNING again
/// still does not return while it is a donor (`Task::is_proxy_donor`: its blocked_on names
/// a mutex another task owns): in the kernel `find_proxy_task` runs the owner in its place
/// and the donor itself makes no progress until `blocked_on` is cleared (unlock, die,
/// wound) or the owner is gone. Simplified: the rule is applied where the task would
/// resume, i.e. on the way out of `schedule()` (a donor is never picked, so it cannot be
/// anywhere else), and the owner's running on the donor's time is not modelled (the owner
/// runs on its own model thread anyway). The release and handoff of the mutex, and every
/// clear of blocked_on by another task, kick the donor to re-evaluate.
pub fn schedule(cur: &Task) {
    let mut st = cur.state.lock();
    if *st != TaskState::Running
        && crate::model::fault::spurious_return(cur, crate::model::fault::site::SCHEDULE_SPURIOUS)
    {
        *st = TaskState::Running;
    }
    while *st != TaskState::Running {
        if cur.signal_pending_state(*st) {
            *st = TaskState::Running;
            break;
        }
        cur.wake.wait(&mut st);
    }
    if proxy_exec(cur) {
        while cur.is_proxy_donor() {
            cur.wake.wait(&mut st);
        }
    }
}

/// Is CONFIG_SCHED_PROXY_EXEC on in this execution?
#[inline]
pub fn proxy_exec(t: &Task) -> bool {
    t.machine
        .opts
        .config
        .has(crate::model::config::KConfig::ProxyExec)
}

/// `wake_up_process(p)`: `try_to_wake_up(p, TASK_NORMAL)`. The leading full barrier is
/// `smp_mb__after_spinlock()` in try_to_wake_up, pairing with `set_current_state`: the
/// sleeper either sees the waker's earlier stores or is found sleeping and woken.
/// Returns whether the task was woken (it was not RUNNING).
pub fn wake_up_process(waker: &Task, p: &Task, why: &'static str) -> bool {
    fence(Ordering::SeqCst);
    let mut st = p.state.lock();
    waker.event(|| Ev::Wake { target: p.id, why });
    if *st == TaskState::Running {
        return false;
    }
    *st = TaskState::Running;
    p.wake.notify_one();
    true
}

/// `struct wake_q_head`: wakeups queued under a raw spinlock and issued by `wake_up_q`
/// after it is dropped (894d1b3db41c).
#[derive(Default)]
pub struct WakeQ {
    tasks: Vec<(Arc<Task>, &'static str)>,
    /// Flushed by `wake_up_q` without `wake_q_init` (variant rt-wake-q-double-flush): the
    /// head still points at the woken tasks' nodes.
    stale: bool,
}

impl WakeQ {
    pub fn new() -> Self {
        WakeQ {
            tasks: Vec::new(),
            stale: false,
        }
    }

    /// `wake_q_add(head, task)` (`__wake_q_add`, kernel/sched/core.c): `smp_mb__before_atomic()`
    /// so that a pending wakeup observes our state even when we fail, then claim the task's
    /// one wake_q node; a task already queued (here or on another CPU's queue) gets its
    /// wakeup from that queue's flush. Returns whether it was queued here.
    pub fn add(&mut self, task: &Arc<Task>, why: &'static str) -> bool {
        fence(Ordering::SeqCst);
        if task
            .wake_q_queued
            .compare_exchange(false, true, StdOrdering::SeqCst, StdOrdering::SeqCst)
            .is_err()
        {
            return false;
        }
        self.tasks.push((Arc::clone(task), why));
        true
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// `wake_up_q(head)`, leaving the queue re-initialised: for each task,
    /// `WRITE_ONCE(task->wake_q.next, NULL)` (it may be queued again from now on), then
    /// `wake_up_process()`, whose full barrier pairs with `wake_q_add`.
    pub fn wake_up_q(&mut self, waker: &Task) {
        if self.stale {
            waker.machine.fail(
                crate::model::property::Property::UseAfterFree,
                format!(
                    "{} calls wake_up_q() on a wake_q it already flushed without wake_q_init(): \
                     the head still points at the woken tasks, whose wake_q.next is NULL now \
                     (double put_task_struct, then a NULL dereference)",
                    crate::model::trace::cpu_name(waker.id)
                ),
            );
        }
        for (t, why) in self.tasks.drain(..) {
            t.wake_q_queued.store(false, StdOrdering::SeqCst);
            wake_up_process(waker, &t, why);
        }
    }

    /// `wake_up_q(head)` *without* the `wake_q_init(head)` that must follow it when the
    /// head is used again (894d1b3db41c's `task_blocks_on_rt_mutex`): a later flush of
    /// the same head walks the stale list.
    pub fn wake_up_q_no_init(&mut self, waker: &Task) {
        let flushed = !self.tasks.is_empty();
        self.wake_up_q(waker);
        self.stale |= flushed;
    }
}
