//! The PREEMPT_RT mutex core (`--config preempt-rt`): kernel/locking/rtmutex.c,
//! rtmutex_common.h and the priority-inheritance half of kernel/sched/core.c
//! (`rt_mutex_setprio`, `__sched_setscheduler` → `rt_mutex_adjust_pi`).
//!
//! Bodies follow mainline rtmutex.c as of v6.6 (read in full, index id 81137709: the
//! `rt_waiter_node` split of f7853c34241e, `rt_mutex_try_acquire`, the ww hooks of
//! add461325ec5 with 6467822b8cc9 / a055fcc132d4 / 02ea9fc96fe9 / 37e8abff2beb in) plus the
//! wake_q plumbing of 894d1b3db41c as fixed by 82f9cc094975 and 4a0779145781 (v6.13; the
//! hunks read in the fix mails and in the later `raw_spin_unlock_irq_wake` cleanup diff,
//! index ids 7288524833, 48442852852). That is the form of the v7.3 baseline: nothing in
//! rtmutex.c's lock/unlock/PI paths changed since except lock-event counters.
//!
//! Modelled: the owner word with `RT_MUTEX_HAS_WAITERS` (bit 0 of the same owner word the
//! non-RT model uses, so `ww_mutex_is_locked` and the wait-for reports work unchanged),
//! `wait_lock` and every task's `pi_lock` as model spinlocks (scheduling points, in
//! lockdep), the waiter rbtree ordered by `__waiter_less` (prio, deadline, then the ww
//! stamp for ww waiters) and each task's `pi_waiters` tree ordered by `__pi_waiter_less`,
//! `try_to_take_rt_mutex`, `task_blocks_on_rt_mutex`, `rt_mutex_slowlock_block`,
//! `remove_waiter`, `rt_mutex_slowunlock` / `mark_wakeup_next_waiter`,
//! `rt_mutex_adjust_prio` / `rt_mutex_setprio` and `rt_mutex_adjust_prio_chain` with
//! `max_lock_depth` (a sysctl: scenarios may lower it) and the ww special cases.
//!
//! Simplified, and why it is safe:
//! * The trees are sorted vectors with `rb_add_cached`'s insertion position (after every
//!   element the new one is not less than), so ties stay FIFO as in the rbtree.
//! * The tree and PI data live in one per-execution store ([`RtWorld`]) behind a std lock
//!   (no scheduling point); the kernel's locks that protect them are model locks taken at
//!   the kernel's steps, and the model code touches a field only with that lock held, so
//!   the interleavings are the kernel's; the store's own lock only lets the checkers read
//!   a consistent snapshot.
//! * `rtmutex_spin_on_owner` (adaptive spinning) is left out, as the non-RT optimistic
//!   spin is: it only retries `try_to_take_rt_mutex` while the owner runs, and every
//!   acquisition it can make is reachable after the owner's unlock wakes the top waiter.
//! * SCHED_DEADLINE tasks have a fixed deadline (no CBS replenishment); `rt_mutex_setprio`
//!   changes `prio` only (the `pi_se` deadline inheritance is not modelled).
//! * `task->blocked_on` (proxy execution) is not touched on RT (its wrappers take a
//!   `struct mutex`); a proxy-exec scenario under `--config preempt-rt` runs as a plain
//!   RT one (no task is ever a donor).

use crate::model::Machine;
use crate::model::config::KConfig;
use crate::model::property::Property;
use crate::model::sync::atomic::{AtomicUsize, Ordering, fence};
use crate::model::sync::{Arc, Mutex, MutexGuard};
use crate::model::task::{
    __set_current_state, Task, TaskState, WakeQ, schedule, set_current_state,
};
use crate::model::trace::{EDEADLK, EINTR, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::ww::ctx::WwAcquireCtx;
use crate::ww::lockdep_ww;
use std::collections::HashMap;

/// `RT_MUTEX_HAS_WAITERS`: bit 0 of `lock->owner`.
pub const RT_MUTEX_HAS_WAITERS: usize = 0x01;
/// `DEFAULT_PRIO` (nice 0).
pub const DEFAULT_PRIO: i32 = 120;
/// `MAX_RT_PRIO`: prio 0..99 is SCHED_FIFO/RR, below 0 SCHED_DEADLINE.
pub const MAX_RT_PRIO: i32 = 100;
/// The prio of a SCHED_DEADLINE task (`MAX_DL_PRIO - 1`).
pub const DL_PRIO: i32 = -1;
/// `max_lock_depth` (kernel/locking/rtmutex.c, sysctl kernel.max_lock_depth).
pub const MAX_LOCK_DEPTH: usize = 1024;

/// `rt_or_dl_prio(prio)`.
pub fn rt_or_dl_prio(prio: i32) -> bool {
    prio < MAX_RT_PRIO
}

/// `dl_prio(prio)`.
pub fn dl_prio(prio: i32) -> bool {
    prio < 0
}

/// `enum rtmutex_chainwalk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chainwalk {
    Min,
    Full,
}

/// `struct rt_waiter_node`: the sort keys of one tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaiterNode {
    pub prio: i32,
    pub deadline: u64,
}

/// `rt_waiter_node_less(left, right)`.
fn rt_waiter_node_less(l: WaiterNode, r: WaiterNode) -> bool {
    if l.prio < r.prio {
        return true;
    }
    if dl_prio(l.prio) {
        return (l.deadline.wrapping_sub(r.deadline) as i64) < 0;
    }
    false
}

/// `rt_waiter_node_equal(left, right)`.
fn rt_waiter_node_equal(l: WaiterNode, r: WaiterNode) -> bool {
    if l.prio != r.prio {
        return false;
    }
    if dl_prio(l.prio) {
        return l.deadline == r.deadline;
    }
    true
}

/// A waiter's id (its address on the sleeping task's stack in the kernel).
pub(crate) type WId = usize;

/// `struct rt_mutex_waiter`.
#[derive(Debug)]
pub(crate) struct RtWaiter {
    pub task: Arc<Task>,
    /// `waiter->lock` (the lock's record uid).
    pub lock: usize,
    pub ww_ctx: Option<Arc<WwAcquireCtx>>,
    pub tree: WaiterNode,
    pub pi_tree: WaiterNode,
    /// `!RB_EMPTY_NODE(&waiter->tree.entry)`.
    in_tree: bool,
    /// `!RB_EMPTY_NODE(&waiter->pi_tree.entry)`.
    in_pi: bool,
}

/// `struct rt_mutex_base` minus the owner word: `waiters` (rb_root_cached) and the
/// `wait_lock` model lock.
#[derive(Debug)]
struct LockState {
    name: Arc<str>,
    owner: Arc<AtomicUsize>,
    /// Built with `WW_RT` (a ww_mutex's base): `build_ww_mutex()` for `__waiter_less`.
    is_ww: bool,
    waiters: Vec<WId>,
    wait_lock: Arc<Mutex<()>>,
}

/// The PI part of `task_struct`.
#[derive(Debug)]
struct TaskPi {
    normal_prio: i32,
    prio: i32,
    deadline: u64,
    pi_waiters: Vec<WId>,
    pi_blocked_on: Option<WId>,
    pi_lock: Arc<Mutex<()>>,
}

#[derive(Debug, Default)]
struct RtState {
    locks: HashMap<usize, LockState>,
    tasks: HashMap<u16, TaskPi>,
    waiters: HashMap<WId, RtWaiter>,
    next_waiter: WId,
    max_lock_depth: Option<usize>,
    /// Ghost: chain walks under way (the PI properties hold only between walks).
    walks: usize,
}

/// The per-execution store of rtmutex and PI state (see the module doc).
#[derive(Debug, Default)]
pub struct RtWorld {
    st: std::sync::Mutex<RtState>,
}

impl RtWorld {
    fn with<R>(&self, f: impl FnOnce(&mut RtState) -> R) -> R {
        f(&mut self.st.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn world(cur: &Task) -> &RtWorld {
    &cur.machine.rt
}

/// Is CONFIG_PREEMPT_RT on in this execution?
#[inline]
pub fn preempt_rt(m: &Machine) -> bool {
    m.opts.config.has(KConfig::PreemptRt)
}

/// CONFIG_DEBUG_RT_MUTEXES: no cmpxchg fast paths, and deadlock detection for every
/// chain walk with a waiter (`rt_mutex_cond_detect_deadlock`).
#[inline]
fn debug_rt_mutexes(m: &Machine) -> bool {
    m.opts.config.has(KConfig::DebugRtMutexes)
}

impl RtState {
    fn task(&mut self, id: u16) -> &mut TaskPi {
        self.tasks.entry(id).or_insert_with(|| TaskPi {
            normal_prio: DEFAULT_PRIO,
            prio: DEFAULT_PRIO,
            deadline: 0,
            pi_waiters: Vec::new(),
            pi_blocked_on: None,
            pi_lock: Arc::new(Mutex::new(())),
        })
    }

    fn lock(&mut self, uid: usize) -> &mut LockState {
        self.locks.get_mut(&uid).expect("a registered rt_mutex")
    }

    fn w(&self, id: WId) -> &RtWaiter {
        self.waiters.get(&id).expect("a live rt_mutex_waiter")
    }

    fn w_mut(&mut self, id: WId) -> &mut RtWaiter {
        self.waiters.get_mut(&id).expect("a live rt_mutex_waiter")
    }

    /// `__waiter_less(a, b)`.
    fn waiter_less(&self, is_ww: bool, a: WId, b: WId) -> bool {
        let (aw, bw) = (self.w(a), self.w(b));
        if rt_waiter_node_less(aw.tree, bw.tree) {
            return true;
        }
        if !is_ww {
            return false;
        }
        if rt_waiter_node_less(bw.tree, aw.tree) {
            return false;
        }
        // NOTE: relies on waiter->ww_ctx being set before insertion
        if let Some(a) = &aw.ww_ctx {
            let Some(b) = &bw.ww_ctx else {
                return true;
            };
            return (a.stamp().wrapping_sub(b.stamp()) as i64) < 0;
        }
        false
    }

    /// `rt_mutex_top_waiter(lock)` (NULL for an empty tree).
    fn top_waiter(&self, uid: usize) -> Option<WId> {
        self.locks[&uid].waiters.first().copied()
    }

    fn has_waiters(&self, uid: usize) -> bool {
        !self.locks[&uid].waiters.is_empty()
    }

    /// `rt_mutex_enqueue(lock, waiter)`: `rb_add_cached(.., __waiter_less)`.
    fn enqueue(&mut self, uid: usize, w: WId) {
        let is_ww = self.locks[&uid].is_ww;
        let list = self.locks[&uid].waiters.clone();
        let pos = list
            .iter()
            .position(|&e| self.waiter_less(is_ww, w, e))
            .unwrap_or(list.len());
        self.lock(uid).waiters.insert(pos, w);
        self.w_mut(w).in_tree = true;
    }

    /// `rt_mutex_dequeue(lock, waiter)` (no-op for a node not in the tree).
    fn dequeue(&mut self, uid: usize, w: WId) {
        if !self.w(w).in_tree {
            return;
        }
        self.lock(uid).waiters.retain(|&e| e != w);
        self.w_mut(w).in_tree = false;
    }

    /// `rt_mutex_enqueue_pi(task, waiter)`. `rb_add_cached` of a node that is already in
    /// the tree corrupts it (B6): reported as such.
    fn enqueue_pi(&mut self, m: &Machine, task: u16, w: WId) -> Result<(), String> {
        if self.w(w).in_pi {
            let t = self.w(w).task.id;
            let l = self.w(w).lock;
            let name = self.locks[&l].name.clone();
            return Err(format!(
                "rt_mutex_enqueue_pi: {}'s waiter on {name} is already in {}'s pi_waiters tree: \
                 rb_add_cached of a linked node corrupts the rbtree",
                cpu_name(t),
                cpu_name(task)
            ));
        }
        let _ = m;
        let pi_tree = self.w(w).pi_tree;
        let list = self.task(task).pi_waiters.clone();
        let pos = list
            .iter()
            .position(|&e| rt_waiter_node_less(pi_tree, self.w(e).pi_tree))
            .unwrap_or(list.len());
        self.task(task).pi_waiters.insert(pos, w);
        self.w_mut(w).in_pi = true;
        Ok(())
    }

    /// `rt_mutex_dequeue_pi(task, waiter)`.
    fn dequeue_pi(&mut self, task: u16, w: WId) {
        if !self.w(w).in_pi {
            return;
        }
        self.task(task).pi_waiters.retain(|&e| e != w);
        self.w_mut(w).in_pi = false;
    }

    /// `__waiter_prio(task)`: non-RT tasks all queue at DEFAULT_PRIO.
    fn waiter_prio(&mut self, task: u16) -> WaiterNode {
        let t = self.task(task);
        WaiterNode {
            prio: if rt_or_dl_prio(t.prio) {
                t.prio
            } else {
                DEFAULT_PRIO
            },
            deadline: t.deadline,
        }
    }

    /// `rt_mutex_adjust_prio(lock, p)` → `rt_mutex_setprio(p, pi_task)`:
    /// `p->prio = __rt_effective_prio(pi_task, p->normal_prio)`.
    fn adjust_prio(&mut self, p: u16) {
        let first = self.task(p).pi_waiters.first().copied();
        let pi_task = first.map(|w| self.w(w).task.id);
        let pi_prio = pi_task.map(|t| self.task(t).prio);
        let t = self.task(p);
        t.prio = match pi_prio {
            Some(pp) => pp.min(t.normal_prio),
            None => t.normal_prio,
        };
    }

    /// `task_blocked_on_lock(p)`.
    fn task_blocked_on_lock(&mut self, p: u16) -> Option<usize> {
        self.task(p).pi_blocked_on.map(|w| self.w(w).lock)
    }
}

/// The current (effective) priority of task `id` (`task->prio`).
pub fn task_prio(m: &Machine, id: u16) -> i32 {
    m.rt.with(|s| s.task(id).prio)
}

/// `task->dl.deadline` of task `id`.
pub fn task_deadline(m: &Machine, id: u16) -> u64 {
    m.rt.with(|s| s.task(id).deadline)
}

/// Ghost: does every task of the execution run at the same priority right now?
pub fn all_prios_equal(m: &Machine) -> bool {
    m.rt.with(|s| {
        let mut ps = s.tasks.values().map(|t| t.prio);
        match ps.next() {
            None => true,
            Some(p) => ps.all(|q| q == p) && (p == DEFAULT_PRIO || s.tasks.len() == m.task_count()),
        }
    })
}

/// `waiter->ww_ctx`.
pub(crate) fn waiter_ctx(cur: &Task, w: WId) -> Option<Arc<WwAcquireCtx>> {
    world(cur).with(|s| s.w(w).ww_ctx.clone())
}

/// `waiter->task`.
pub(crate) fn waiter_task(cur: &Task, w: WId) -> Arc<Task> {
    world(cur).with(|s| Arc::clone(&s.w(w).task))
}

/// The lock's waiters in rbtree order (`rb_first` .. `rb_last`), wait_lock held.
pub(crate) fn waiters_in_order(cur: &Task, lock: &Base) -> Vec<WId> {
    world(cur).with(|s| s.locks[&lock.uid].waiters.clone())
}

/// `lock_wait_lock(lock); f(); unlock_wait_lock(lock);`
pub(crate) fn with_wait_lock(cur: &Task, lock: &Base, f: impl FnOnce()) {
    let wl = lock.wait_lock(cur);
    let g = raw_lock(cur, &wl, lockdep_ww::WAIT_LOCK);
    f();
    drop(g);
}

/// Set `max_lock_depth` (the sysctl) for this execution.
pub fn set_max_lock_depth(m: &Machine, depth: usize) {
    m.rt.with(|s| s.max_lock_depth = Some(depth));
}

// ---------------------------------------------------------------------------------------
// The lock handle and its raw spinlocks.

/// A `struct rt_mutex_base` as the code sees it: the owner word and the registry entry.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    pub uid: usize,
    pub name: Arc<str>,
    pub owner: Arc<AtomicUsize>,
}

impl Base {
    /// Register (once per execution) the rt_mutex whose owner word is `owner`.
    pub fn get(
        m: &Machine,
        uid: usize,
        name: &Arc<str>,
        owner: &Arc<AtomicUsize>,
        is_ww: bool,
    ) -> Base {
        m.rt.with(|s| {
            s.locks.entry(uid).or_insert_with(|| LockState {
                name: Arc::clone(name),
                owner: Arc::clone(owner),
                is_ww,
                waiters: Vec::new(),
                wait_lock: Arc::new(Mutex::new(())),
            });
        });
        Base {
            uid,
            name: Arc::clone(name),
            owner: Arc::clone(owner),
        }
    }

    fn wait_lock(&self, cur: &Task) -> Arc<Mutex<()>> {
        world(cur).with(|s| Arc::clone(&s.lock(self.uid).wait_lock))
    }

    /// `rt_mutex_owner(lock)`.
    pub fn rt_mutex_owner(&self) -> usize {
        self.owner.load(Ordering::Relaxed) & !0x07
    }

    /// `rt_mutex_has_waiters(lock)` (a racy read outside wait_lock where the kernel
    /// does one: `data_race()` in the ww fast path).
    pub fn rt_mutex_has_waiters(&self, cur: &Task) -> bool {
        world(cur).with(|s| s.has_waiters(self.uid))
    }
}

/// A held raw spinlock (`wait_lock` or `pi_lock`): the model lock and the lockdep entry.
pub(crate) struct Raw<'a> {
    _g: MutexGuard<'a, ()>,
    cur: &'a Task,
    class: &'static str,
}

impl Drop for Raw<'_> {
    fn drop(&mut self) {
        self.cur.machine.lockdep.release(self.cur, self.class);
    }
}

const PI_LOCK: &str = "&p->pi_lock";

fn raw_lock<'a>(cur: &'a Task, l: &'a Mutex<()>, class: &'static str) -> Raw<'a> {
    cur.machine
        .lockdep
        .acquire(cur, class, crate::model::lockdep::LockKind::Spin);
    Raw {
        _g: l.lock(),
        cur,
        class,
    }
}

fn raw_trylock<'a>(cur: &'a Task, l: &'a Mutex<()>, class: &'static str) -> Option<Raw<'a>> {
    let g = l.try_lock()?;
    cur.machine
        .lockdep
        .acquire(cur, class, crate::model::lockdep::LockKind::SpinTrylock);
    Some(Raw { _g: g, cur, class })
}

fn pi_lock_of(cur: &Task, t: u16) -> Arc<Mutex<()>> {
    world(cur).with(|s| Arc::clone(&s.task(t).pi_lock))
}

/// `raw_spin_unlock_irq_wake(&lock->wait_lock, wake_q)` (include/linux/sched/wake_q.h):
/// drop the lock, then `wake_up_q` and `wake_q_init`.
fn unlock_wake(cur: &Task, g: Raw<'_>, wake_q: &mut WakeQ) {
    drop(g);
    wake_q.wake_up_q(cur);
}

fn fail_pi(cur: &Task, msg: String) -> ! {
    cur.machine.fail(Property::PiChain, msg)
}

// ---------------------------------------------------------------------------------------
// Owner word.

/// `mark_rt_mutex_waiters(lock)`: cmpxchg_relaxed loop setting HAS_WAITERS, then
/// `smp_mb__after_atomic()`.
fn mark_rt_mutex_waiters(lock: &Base) {
    lock.owner.fetch_or(RT_MUTEX_HAS_WAITERS, Ordering::Relaxed);
    fence(Ordering::SeqCst);
}

/// `rt_mutex_owner_encode` + `rt_mutex_set_owner(lock, owner)` (xchg_acquire).
fn rt_mutex_set_owner(cur: &Task, lock: &Base, owner: usize) {
    let hw = if lock.rt_mutex_has_waiters(cur) {
        RT_MUTEX_HAS_WAITERS
    } else {
        0
    };
    lock.owner.swap(owner | hw, Ordering::Acquire);
}

/// `fixup_rt_mutex_waiters(lock, acquire_lock)`.
fn fixup_rt_mutex_waiters(cur: &Task, lock: &Base, acquire: bool) {
    if lock.rt_mutex_has_waiters(cur) {
        return;
    }
    let owner = lock.owner.load(Ordering::Relaxed);
    if owner & RT_MUTEX_HAS_WAITERS != 0 {
        if acquire {
            lock.owner
                .swap(owner & !RT_MUTEX_HAS_WAITERS, Ordering::Acquire);
        } else {
            lock.owner
                .store(owner & !RT_MUTEX_HAS_WAITERS, Ordering::Relaxed);
        }
    }
}

/// `rt_mutex_cmpxchg_acquire(lock, NULL, current)` (always fails with
/// CONFIG_DEBUG_RT_MUTEXES).
fn rt_mutex_cmpxchg_acquire(cur: &Task, lock: &Base) -> bool {
    if debug_rt_mutexes(&cur.machine) {
        return false;
    }
    lock.owner
        .compare_exchange(0, cur.owner_word(), Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
}

/// `rt_mutex_cmpxchg_release(lock, old, NULL)`.
fn rt_mutex_cmpxchg_release(cur: &Task, lock: &Base, old: usize) -> bool {
    if debug_rt_mutexes(&cur.machine) {
        return false;
    }
    lock.owner
        .compare_exchange(old, 0, Ordering::Release, Ordering::Relaxed)
        .is_ok()
}

/// `rt_mutex_try_acquire(lock)`: the cmpxchg fast path, or with
/// CONFIG_DEBUG_RT_MUTEXES `rt_mutex_slowtrylock`.
pub(crate) fn rt_mutex_try_acquire(cur: &Task, lock: &Base) -> bool {
    if debug_rt_mutexes(&cur.machine) {
        return rt_mutex_slowtrylock(cur, lock);
    }
    rt_mutex_cmpxchg_acquire(cur, lock)
}

/// `__rt_mutex_trylock(lock)`.
pub(crate) fn __rt_mutex_trylock(cur: &Task, lock: &Base) -> bool {
    if rt_mutex_cmpxchg_acquire(cur, lock) {
        return true;
    }
    rt_mutex_slowtrylock(cur, lock)
}

/// `rt_mutex_slowtrylock(lock)`.
fn rt_mutex_slowtrylock(cur: &Task, lock: &Base) -> bool {
    if lock.rt_mutex_owner() != 0 {
        return false;
    }
    let wl = lock.wait_lock(cur);
    let g = raw_lock(cur, &wl, lockdep_ww::WAIT_LOCK);
    let ret = try_to_take_rt_mutex(cur, lock, None);
    fixup_rt_mutex_waiters(cur, lock, true);
    drop(g);
    ret
}

// ---------------------------------------------------------------------------------------
// Slow paths.

/// `try_to_take_rt_mutex(lock, task, waiter)` with wait_lock held (task = current).
pub(crate) fn try_to_take_rt_mutex(cur: &Task, lock: &Base, waiter: Option<WId>) -> bool {
    mark_rt_mutex_waiters(lock);
    if lock.rt_mutex_owner() != 0 {
        return false;
    }
    let w = world(cur);
    if let Some(waiter) = waiter {
        // rt_mutex_steal() without RT_MUTEX_BUILD_SPINLOCKS: strictly higher prio only.
        let ok = w.with(|s| {
            let top = s.top_waiter(lock.uid).expect("our waiter is queued");
            if waiter == top || rt_waiter_node_less(s.w(waiter).tree, s.w(top).tree) {
                s.dequeue(lock.uid, waiter);
                true
            } else {
                false
            }
        });
        if !ok {
            return false;
        }
    } else if lock.rt_mutex_has_waiters(cur) {
        let steal = w.with(|s| {
            let me = s.waiter_prio(cur.id);
            let top = s.top_waiter(lock.uid).unwrap();
            rt_waiter_node_less(me, s.w(top).tree)
        });
        if !steal {
            return false;
        }
    } else {
        // takeit:
        rt_mutex_set_owner(cur, lock, cur.owner_word());
        return true;
    }
    let pl = pi_lock_of(cur, cur.id);
    let g = raw_lock(cur, &pl, PI_LOCK);
    let r = w.with(|s| {
        s.task(cur.id).pi_blocked_on = None;
        if let Some(top) = s.top_waiter(lock.uid) {
            return s.enqueue_pi(&cur.machine, cur.id, top);
        }
        Ok(())
    });
    if let Err(e) = r {
        fail_pi(cur, e);
    }
    drop(g);
    rt_mutex_set_owner(cur, lock, cur.owner_word());
    true
}

/// `rt_mutex_cond_detect_deadlock(waiter, chwalk)`.
fn rt_mutex_cond_detect_deadlock(cur: &Task, waiter: Option<WId>, chwalk: Chainwalk) -> bool {
    if debug_rt_mutexes(&cur.machine) {
        return waiter.is_some();
    }
    chwalk == Chainwalk::Full
}

/// `task_blocks_on_rt_mutex(lock, waiter, task, ww_ctx, chwalk, wake_q)` with wait_lock
/// held (passed in `g`, dropped and re-taken around the chain walk). Returns the guard
/// and 0, -EDEADLK (chain walk, ww early kill), or another ww error.
#[allow(clippy::too_many_arguments)]
fn task_blocks_on_rt_mutex<'a>(
    cur: &'a Arc<Task>,
    lock: &Base,
    wl: &'a Mutex<()>,
    mut g: Raw<'a>,
    waiter: WId,
    ww: Option<(&crate::ww::WwMutex, &Arc<WwAcquireCtx>)>,
    chwalk: Chainwalk,
    wake_q: &mut WakeQ,
) -> (Raw<'a>, i32) {
    let m = &cur.machine;
    let w = world(cur);
    let owner = lock.rt_mutex_owner();
    // Early deadlock detection; "Except for ww_mutex, in that case the chain walk must
    // already deal with spurious cycles" (02ea9fc96fe9; variant rt-ww-edeadlk: without).
    if owner == cur.owner_word() && (ww.is_none() || m.variant(Variant::RtWwEdeadlk)) {
        return (g, -EDEADLK);
    }
    let pl = pi_lock_of(cur, cur.id);
    let pg = raw_lock(cur, &pl, PI_LOCK);
    let top_waiter = w.with(|s| {
        let node = s.waiter_prio(cur.id);
        let wr = s.w_mut(waiter);
        wr.tree = node;
        wr.pi_tree = node;
        let top = if s.has_waiters(lock.uid) {
            s.top_waiter(lock.uid).unwrap()
        } else {
            waiter
        };
        s.enqueue(lock.uid, waiter);
        s.task(cur.id).pi_blocked_on = Some(waiter);
        top
    });
    drop(pg);

    if let Some((wwm, ctx)) = ww {
        // 894d1b3db41c added a wake_up_q() here, under wait_lock and without
        // wake_q_init(): variant rt-wake-q-double-flush (fixed by 82f9cc094975).
        let res = crate::ww::ww_rt::__ww_mutex_add_waiter(cur, wwm, lock, waiter, ctx, wake_q);
        if m.variant(Variant::RtWakeQDoubleFlush) {
            wake_q.wake_up_q_no_init(cur);
        }
        if res != 0 {
            // 37e8abff2beb: dequeue the waiter (variant rt-ww-backout-queued: not).
            if !m.variant(Variant::RtWwBackoutQueued) {
                let pg = raw_lock(cur, &pl, PI_LOCK);
                w.with(|s| {
                    s.dequeue(lock.uid, waiter);
                    s.task(cur.id).pi_blocked_on = None;
                });
                drop(pg);
            }
            return (g, res);
        }
    }

    if owner == 0 {
        return (g, 0);
    }
    let opl = pi_lock_of(cur, owner_id(owner));
    let og = raw_lock(cur, &opl, PI_LOCK);
    let detect = rt_mutex_cond_detect_deadlock(cur, Some(waiter), chwalk);
    let (chain_walk, next_lock) = w
        .with(|s| {
            let o = owner_id(owner);
            let mut chain_walk = false;
            if s.top_waiter(lock.uid) == Some(waiter) {
                s.dequeue_pi(o, top_waiter);
                s.enqueue_pi(m, o, waiter)?;
                // (variant rt-no-boost: the owner is not boosted)
                if !m.variant(Variant::RtNoBoost) {
                    s.adjust_prio(o);
                }
                if s.task(o).pi_blocked_on.is_some() {
                    chain_walk = true;
                }
            } else if detect {
                chain_walk = true;
            }
            let next = s.task_blocked_on_lock(o);
            if chain_walk && next.is_some() {
                s.walks += 1;
            }
            Ok::<_, String>((chain_walk, next))
        })
        .unwrap_or_else(|e| fail_pi(cur, e));
    drop(og);
    let Some(next_lock) = next_lock.filter(|_| chain_walk) else {
        return (g, 0);
    };
    // raw_spin_unlock_irq_wake(): flush before the chain walk (4a0779145781; variant
    // rt-wake-q-unflushed: a plain raw_spin_unlock_irq()).
    if m.variant(Variant::RtWakeQUnflushed) {
        drop(g);
    } else {
        unlock_wake(cur, g, wake_q);
    }
    let res = rt_mutex_adjust_prio_chain(
        cur,
        owner_id(owner),
        chwalk,
        Some(lock.uid),
        Some(next_lock),
        Some(waiter),
        cur.id,
    );
    g = raw_lock(cur, wl, lockdep_ww::WAIT_LOCK);
    (g, res)
}

fn owner_id(owner_word: usize) -> u16 {
    ((owner_word >> 3) - 1) as u16
}

/// `rt_mutex_adjust_prio_chain(task, chwalk, orig_lock, next_lock, orig_waiter,
/// top_task)`, step by step ([1]..[13] of the kernel comment). Called with no lock held.
fn rt_mutex_adjust_prio_chain(
    cur: &Task,
    mut task: u16,
    chwalk: Chainwalk,
    orig_lock: Option<usize>,
    mut next_lock: Option<usize>,
    orig_waiter: Option<WId>,
    top_task: u16,
) -> i32 {
    let m = &cur.machine;
    let w = world(cur);
    // The caller counted this walk in `walks` when it decided on it (under the lock that
    // made the decision), so the PI checks skip the whole window.
    let ret = (|| {
        let mut top_waiter = orig_waiter;
        let mut depth = 0usize;
        let mut requeue = true;
        let mut detect_deadlock = rt_mutex_cond_detect_deadlock(cur, orig_waiter, chwalk);
        let max_depth = w.with(|s| s.max_lock_depth.unwrap_or(MAX_LOCK_DEPTH));
        let orig_is_ww = orig_waiter.is_some_and(|ow| w.with(|s| s.w(ow).ww_ctx.is_some()));
        'again: loop {
            depth += 1;
            if depth > max_depth {
                cur.event(|| {
                    Ev::Note(format!(
                        "Maximum lock depth {max_depth} reached task: {}",
                        cpu_name(top_task)
                    ))
                });
                return -EDEADLK;
            }
            'retry: loop {
                // [1]
                let tpl = pi_lock_of(cur, task);
                let tg = raw_lock(cur, &tpl, PI_LOCK);
                // [2] [3]
                let Some(waiter) = w.with(|s| s.task(task).pi_blocked_on) else {
                    return 0;
                };
                if let Some(ol) = orig_lock
                    && orig_waiter.is_some()
                    && w.with(|s| s.locks[&ol].owner.clone())
                        .load(Ordering::Relaxed)
                        & !0x07
                        == 0
                {
                    return 0;
                }
                let wlock = w.with(|s| s.w(waiter).lock);
                if next_lock != Some(wlock) {
                    return 0;
                }
                // 6467822b8cc9: no deadlock detection once the walk meets a ww waiter
                // (variant rt-ww-chain-edeadlk: without).
                if !m.variant(Variant::RtWwChainEdeadlk)
                    && w.with(|s| s.w(waiter).ww_ctx.is_some())
                    && detect_deadlock
                {
                    detect_deadlock = false;
                }
                if top_waiter.is_some() {
                    let (has, top_pi) = w.with(|s| {
                        let t = s.task(task);
                        (!t.pi_waiters.is_empty(), t.pi_waiters.first().copied())
                    });
                    if !has {
                        return 0;
                    }
                    if top_waiter != top_pi {
                        if !detect_deadlock {
                            return 0;
                        }
                        requeue = false;
                    }
                }
                let equal = w.with(|s| {
                    let tn = s.waiter_prio(task);
                    rt_waiter_node_equal(s.w(waiter).tree, tn)
                });
                if equal {
                    if !detect_deadlock {
                        return 0;
                    }
                    requeue = false;
                }
                // [4] [5]
                let lock = wlock;
                let (wl, lowner) = w.with(|s| {
                    let l = s.lock(lock);
                    (Arc::clone(&l.wait_lock), Arc::clone(&l.owner))
                });
                let Some(lg) = raw_trylock(cur, &wl, lockdep_ww::WAIT_LOCK) else {
                    drop(tg);
                    // cpu_relax()
                    crate::model::sync::yield_now();
                    continue 'retry;
                };
                // [6]
                let lo = lowner.load(Ordering::Relaxed) & !0x07;
                if Some(lock) == orig_lock || (lo != 0 && owner_id(lo) == top_task) {
                    // a055fcc132d4: a ww cycle is resolved by the ww logic (variant
                    // rt-ww-edeadlk: the walk reports it).
                    let ret = if !m.variant(Variant::RtWwEdeadlk) && orig_is_ww {
                        0
                    } else {
                        -EDEADLK
                    };
                    drop(lg);
                    return ret;
                }
                if !requeue {
                    drop(tg);
                    // [9]
                    if lo == 0 {
                        return 0;
                    }
                    // [10]
                    task = owner_id(lo);
                    let npl = pi_lock_of(cur, task);
                    let ng = raw_lock(cur, &npl, PI_LOCK);
                    // [12]
                    next_lock = w.with(|s| s.task_blocked_on_lock(task));
                    top_waiter = w.with(|s| s.top_waiter(lock));
                    // [13]
                    drop(ng);
                    drop(lg);
                    if next_lock.is_none() {
                        return 0;
                    }
                    continue 'again;
                }
                let prerequeue_top = w.with(|s| s.top_waiter(lock));
                // [7]
                w.with(|s| {
                    s.dequeue(lock, waiter);
                    let node = s.waiter_prio(task);
                    s.w_mut(waiter).tree = node;
                    s.enqueue(lock, waiter);
                });
                // [8]
                drop(tg);
                // [9]
                if lo == 0 {
                    let top = w.with(|s| s.top_waiter(lock));
                    if prerequeue_top != top
                        && let Some(t) = top
                    {
                        let tt = w.with(|s| Arc::clone(&s.w(t).task));
                        crate::model::task::wake_up_process(cur, &tt, "rt_mutex_adjust_prio_chain");
                    }
                    drop(lg);
                    return 0;
                }
                // [10]
                task = owner_id(lo);
                let npl = pi_lock_of(cur, task);
                let ng = raw_lock(cur, &npl, PI_LOCK);
                // [11]
                let mut wv = waiter;
                let r = w.with(|s| {
                    let top = s.top_waiter(lock);
                    if top == Some(waiter) {
                        if let Some(p) = prerequeue_top {
                            s.dequeue_pi(task, p);
                        }
                        let n = s.w(waiter).tree;
                        s.w_mut(waiter).pi_tree = n;
                        s.enqueue_pi(m, task, waiter)?;
                        s.adjust_prio(task);
                    } else if prerequeue_top == Some(waiter) {
                        s.dequeue_pi(task, waiter);
                        wv = top.expect("still has waiters");
                        let n = s.w(wv).tree;
                        s.w_mut(wv).pi_tree = n;
                        s.enqueue_pi(m, task, wv)?;
                        s.adjust_prio(task);
                    }
                    Ok::<_, String>(())
                });
                if let Err(e) = r {
                    fail_pi(cur, e);
                }
                // [12]
                next_lock = w.with(|s| s.task_blocked_on_lock(task));
                top_waiter = w.with(|s| s.top_waiter(lock));
                // [13]
                drop(ng);
                drop(lg);
                if next_lock.is_none() {
                    return 0;
                }
                if !detect_deadlock && Some(wv) != top_waiter {
                    return 0;
                }
                continue 'again;
            }
        }
    })();
    w.with(|s| s.walks -= 1);
    ret
}

/// `remove_waiter(lock, waiter)` with wait_lock held (dropped around the deboost walk).
fn remove_waiter<'a>(
    cur: &'a Task,
    lock: &Base,
    wl: &'a Mutex<()>,
    mut g: Raw<'a>,
    waiter: WId,
) -> Raw<'a> {
    let m = &cur.machine;
    let w = world(cur);
    let is_top = w.with(|s| s.top_waiter(lock.uid) == Some(waiter));
    let owner = lock.rt_mutex_owner();
    let pl = pi_lock_of(cur, cur.id);
    let pg = raw_lock(cur, &pl, PI_LOCK);
    w.with(|s| {
        s.dequeue(lock.uid, waiter);
        s.task(cur.id).pi_blocked_on = None;
    });
    drop(pg);
    if owner == 0 || !is_top {
        return g;
    }
    let o = owner_id(owner);
    let opl = pi_lock_of(cur, o);
    let og = raw_lock(cur, &opl, PI_LOCK);
    let next_lock = w
        .with(|s| {
            s.dequeue_pi(o, waiter);
            if let Some(top) = s.top_waiter(lock.uid) {
                s.enqueue_pi(m, o, top)?;
            }
            s.adjust_prio(o);
            let next = s.task_blocked_on_lock(o);
            if next.is_some() {
                s.walks += 1;
            }
            Ok::<_, String>(next)
        })
        .unwrap_or_else(|e| fail_pi(cur, e));
    drop(og);
    let Some(next_lock) = next_lock else {
        return g;
    };
    drop(g);
    rt_mutex_adjust_prio_chain(
        cur,
        o,
        Chainwalk::Min,
        Some(lock.uid),
        Some(next_lock),
        None,
        cur.id,
    );
    g = raw_lock(cur, wl, lockdep_ww::WAIT_LOCK);
    g
}

/// The structural invariant of the rbtrees and PI chain for one lock, checked under its
/// wait_lock at the points where the kernel leaves it consistent: the lock's top waiter
/// (and only it, of this lock's waiters) is in the owner's pi_waiters tree; every queued
/// waiter is its task's `pi_blocked_on`.
fn check_lock_structure(cur: &Task, lock: &Base) {
    let owner = lock.rt_mutex_owner();
    let r = world(cur).with(|s| {
        let l = &s.locks[&lock.uid];
        for &wid in &l.waiters {
            let t = s.w(wid).task.id;
            if s.tasks.get(&t).and_then(|p| p.pi_blocked_on) != Some(wid) {
                return Err(format!(
                    "{}'s waiter is in {}'s rbtree but {} is not pi_blocked_on it",
                    cpu_name(t),
                    lock.name,
                    cpu_name(t)
                ));
            }
        }
        if owner != 0 {
            let o = owner_id(owner);
            let top = l.waiters.first().copied();
            let mine: Vec<WId> = s
                .tasks
                .get(&o)
                .map(|p| {
                    p.pi_waiters
                        .iter()
                        .copied()
                        .filter(|&w| s.w(w).lock == lock.uid)
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<WId> = top.into_iter().collect();
            if mine != want {
                return Err(format!(
                    "{}'s pi_waiters holds {} waiter(s) of {} ({}), the lock's top waiter is {}",
                    cpu_name(o),
                    mine.len(),
                    lock.name,
                    mine.iter()
                        .map(|&w| cpu_name(s.w(w).task.id))
                        .collect::<Vec<_>>()
                        .join(", "),
                    top.map_or("none".to_string(), |t| cpu_name(s.w(t).task.id))
                ));
            }
        }
        Ok(())
    });
    if let Err(e) = r {
        fail_pi(cur, format!("rbtree / PI chain corrupt: {e}"));
    }
}

/// The priority properties at a sleep (wait_lock of `lock` held, no chain walk under
/// way anywhere): the owner runs at least at the top waiter's priority (no inversion left
/// unboosted), and every task's prio is its normal prio boosted by its top pi waiter.
fn check_priorities_at_sleep(cur: &Task, lock: &Base) {
    let owner = lock.rt_mutex_owner();
    let r = world(cur).with(|s| {
        if s.walks > 0 {
            return Ok(());
        }
        if owner != 0
            && let Some(top) = s.top_waiter(lock.uid)
        {
            let o = owner_id(owner);
            let op = s.task(o).prio;
            let tp = s.w(top).tree.prio;
            if op > tp {
                return Err((
                    Property::PriorityInversion,
                    format!(
                        "{} sleeps on {} whose owner {} runs at prio {op}, below its top waiter \
                         {} (prio {tp}): priority inversion left unboosted",
                        cpu_name(cur.id),
                        lock.name,
                        cpu_name(o),
                        cpu_name(s.w(top).task.id)
                    ),
                ));
            }
        }
        let ids: Vec<u16> = s.tasks.keys().copied().collect();
        for t in ids {
            let p = s.task(t);
            let (normal, prio, top) = (p.normal_prio, p.prio, p.pi_waiters.first().copied());
            let want = match top {
                Some(w) => {
                    let wt = s.w(w).task.id;
                    s.task(wt).prio.min(normal)
                }
                None => normal,
            };
            if prio != want {
                return Err((
                    Property::PiChain,
                    format!(
                        "{} runs at prio {prio}, but its normal prio {normal} boosted by its top \
                         pi waiter gives {want}",
                        cpu_name(t)
                    ),
                ));
            }
        }
        Ok(())
    });
    if let Err((p, msg)) = r {
        cur.machine.fail(p, msg);
    }
}

/// `rt_mutex_slowlock_block(lock, ww_ctx, state, timeout, waiter, wake_q)` with wait_lock
/// held; returns the guard and 0, -EINTR or the ww kill.
#[allow(clippy::too_many_arguments)]
fn rt_mutex_slowlock_block<'a>(
    cur: &'a Arc<Task>,
    lock: &Base,
    wl: &'a Mutex<()>,
    mut g: Raw<'a>,
    ww: Option<(&crate::ww::WwMutex, &Arc<WwAcquireCtx>)>,
    state: TaskState,
    waiter: WId,
    wake_q: &mut WakeQ,
) -> (Raw<'a>, i32) {
    let m = &cur.machine;
    let mut ret = 0;
    loop {
        if try_to_take_rt_mutex(cur, lock, Some(waiter)) {
            break;
        }
        if cur.signal_pending_state(state) {
            ret = -EINTR;
            break;
        }
        if let Some((wwm, ctx)) = ww {
            ret = crate::ww::ww_rt::__ww_mutex_check_kill(cur, wwm, lock, waiter, ctx);
            if ret != 0 {
                break;
            }
        }
        check_lock_structure(cur, lock);
        check_priorities_at_sleep(cur, lock);
        // raw_spin_unlock_irq_wake() (4a0779145781; variant rt-wake-q-unflushed: a plain
        // raw_spin_unlock_irq()).
        if m.variant(Variant::RtWakeQUnflushed) {
            drop(g);
        } else {
            unlock_wake(cur, g, wake_q);
        }
        cur.event(|| Ev::Sleep {
            obj: Arc::clone(&lock.name),
        });
        // rtmutex_spin_on_owner() left out (module doc): rt_mutex_schedule().
        schedule(cur);
        cur.event(|| Ev::Woken);
        g = raw_lock(cur, wl, lockdep_ww::WAIT_LOCK);
        set_current_state(cur, state);
    }
    __set_current_state(cur, TaskState::Running);
    (g, ret)
}

/// `rt_mutex_slowlock(lock, ww_ctx, state)`: `DEFINE_WAKE_Q`, wait_lock,
/// `__rt_mutex_slowlock_locked` → `__rt_mutex_slowlock(.., RT_MUTEX_MIN_CHAINWALK, ..)`,
/// then `raw_spin_unlock_irqrestore_wake`.
pub(crate) fn rt_mutex_slowlock(
    cur: &Arc<Task>,
    lock: &Base,
    ww: Option<(&crate::ww::WwMutex, &Arc<WwAcquireCtx>)>,
    ctxless_ww: bool,
    state: TaskState,
) -> i32 {
    let m = &cur.machine;
    let w = world(cur);
    let mut wake_q = WakeQ::new();
    let wl = lock.wait_lock(cur);
    let mut g = raw_lock(cur, &wl, lockdep_ww::WAIT_LOCK);
    // rt_mutex_init_waiter(); waiter.ww_ctx = ww_ctx;
    let waiter = w.with(|s| {
        let id = s.next_waiter;
        s.next_waiter += 1;
        s.waiters.insert(
            id,
            RtWaiter {
                task: Arc::clone(cur),
                lock: lock.uid,
                ww_ctx: ww.map(|(_, c)| Arc::clone(c)),
                tree: WaiterNode {
                    prio: DEFAULT_PRIO,
                    deadline: 0,
                },
                pi_tree: WaiterNode {
                    prio: DEFAULT_PRIO,
                    deadline: 0,
                },
                in_tree: false,
                in_pi: false,
            },
        );
        id
    });
    let _ = ctxless_ww;
    let chwalk = Chainwalk::Min;
    // __rt_mutex_slowlock():
    let ret = 'out: {
        if try_to_take_rt_mutex(cur, lock, None) {
            if let Some((wwm, ctx)) = ww {
                crate::ww::ww_rt::__ww_mutex_check_waiters(cur, wwm, lock, ctx, &mut wake_q);
                crate::ww::algo::ww_mutex_lock_acquired(cur, wwm, ctx);
            }
            break 'out 0;
        }
        set_current_state(cur, state);
        m.set_blocked(
            cur.id,
            Some((format!("rt_mutex_slowlock({})", lock.name), lock.uid)),
        );
        let (g2, mut ret) =
            task_blocks_on_rt_mutex(cur, lock, &wl, g, waiter, ww, chwalk, &mut wake_q);
        g = g2;
        if ret == 0 {
            let (g3, r) =
                rt_mutex_slowlock_block(cur, lock, &wl, g, ww, state, waiter, &mut wake_q);
            g = g3;
            ret = r;
        }
        m.set_blocked(cur.id, None);
        if ret == 0 {
            if let Some((wwm, ctx)) = ww {
                if !ctx.is_wait_die {
                    crate::ww::ww_rt::__ww_mutex_check_waiters(cur, wwm, lock, ctx, &mut wake_q);
                }
                crate::ww::algo::ww_mutex_lock_acquired(cur, wwm, ctx);
            }
        } else {
            __set_current_state(cur, TaskState::Running);
            g = remove_waiter(cur, lock, &wl, g, waiter);
            // rt_mutex_handle_deadlock(ret, chwalk, lock, waiter)
            if ret == -EDEADLK && chwalk == Chainwalk::Min && ww.is_none() {
                m.fail(
                    Property::SpuriousEdeadlk,
                    format!(
                        "WARN(1, \"rtmutex deadlock detected\"): {} blocked on {} (no ww context) \
                         got -EDEADLK from the PI chain walk and stops in \
                         rt_mutex_handle_deadlock()",
                        cpu_name(cur.id),
                        lock.name
                    ),
                );
            }
        }
        fixup_rt_mutex_waiters(cur, lock, true);
        ret
    };
    check_lock_structure(cur, lock);
    // The waiter lives on our stack: it must be in no tree once we leave.
    let left = w.with(|s| {
        let wr = s.waiters.remove(&waiter).expect("our waiter");
        (wr.in_tree, wr.in_pi)
    });
    if left.0 || left.1 {
        fail_pi(
            cur,
            format!(
                "{} leaves rt_mutex_slowlock({}) with ret {ret} while its waiter is still linked \
                 in {}",
                cpu_name(cur.id),
                lock.name,
                if left.0 {
                    "the lock's waiter rbtree"
                } else {
                    "the owner's pi_waiters tree"
                }
            ),
        );
    }
    // raw_spin_unlock_irqrestore_wake(&lock->wait_lock, flags, &wake_q)
    drop(g);
    wake_q.wake_up_q(cur);
    ret
}

/// `mark_wakeup_next_waiter(wqh, lock)` with wait_lock held.
fn mark_wakeup_next_waiter(cur: &Task, lock: &Base, wake_q: &mut WakeQ) {
    let pl = pi_lock_of(cur, cur.id);
    let pg = raw_lock(cur, &pl, PI_LOCK);
    let task = world(cur).with(|s| {
        let w = s.top_waiter(lock.uid).expect("has waiters");
        s.dequeue_pi(cur.id, w);
        s.adjust_prio(cur.id);
        Arc::clone(&s.w(w).task)
    });
    lock.owner.store(RT_MUTEX_HAS_WAITERS, Ordering::Relaxed);
    wake_q.add(&task, "mark_wakeup_next_waiter");
    drop(pg);
}

/// `__rt_mutex_unlock(lock)`: the cmpxchg fast path, else `rt_mutex_slowunlock`.
pub(crate) fn __rt_mutex_unlock(cur: &Task, lock: &Base) {
    if rt_mutex_cmpxchg_release(cur, lock, cur.owner_word()) {
        return;
    }
    // rt_mutex_slowunlock(): DEFINE_RT_WAKE_Q(wqh)
    let mut wake_q = WakeQ::new();
    let wl = lock.wait_lock(cur);
    let mut g = raw_lock(cur, &wl, lockdep_ww::WAIT_LOCK);
    while !lock.rt_mutex_has_waiters(cur) {
        // unlock_rt_mutex_safe(): drops wait_lock.
        if debug_rt_mutexes(&cur.machine) {
            lock.owner.store(0, Ordering::Relaxed);
            drop(g);
            return;
        }
        let owner = lock.rt_mutex_owner();
        lock.owner.store(owner, Ordering::Relaxed); // clear_rt_mutex_waiters()
        drop(g);
        if rt_mutex_cmpxchg_release(cur, lock, owner) {
            return;
        }
        g = raw_lock(cur, &wl, lockdep_ww::WAIT_LOCK);
    }
    mark_wakeup_next_waiter(cur, lock, &mut wake_q);
    drop(g);
    // rt_mutex_wake_up_q(&wqh)
    wake_q.wake_up_q(cur);
}

// ---------------------------------------------------------------------------------------
// Scheduler side.

/// `sched_setscheduler(p, ...)` reduced to its PI part (kernel/sched/syscalls.c
/// `__sched_setscheduler`): under `p->pi_lock` set `normal_prio` (`prio`: 0..99 RT,
/// [`DL_PRIO`] deadline with `deadline`, [`DEFAULT_PRIO`] normal) and
/// `p->prio = rt_effective_prio(p, newprio)`, then `rt_mutex_adjust_pi(p)`.
pub fn sched_setscheduler(cur: &Task, p: &Task, prio: i32, deadline: u64) {
    let pl = pi_lock_of(cur, p.id);
    let g = raw_lock(cur, &pl, PI_LOCK);
    let counted = world(cur).with(|s| {
        let t = s.task(p.id);
        t.normal_prio = prio;
        t.deadline = deadline;
        s.adjust_prio(p.id);
        // A blocked task's chain is re-walked by rt_mutex_adjust_pi below.
        let blocked = s.task(p.id).pi_blocked_on.is_some();
        if blocked {
            s.walks += 1;
        }
        blocked
    });
    drop(g);
    cur.event(|| {
        Ev::Note(format!(
            "sched_setscheduler({}, prio {prio})",
            cpu_name(p.id)
        ))
    });
    rt_mutex_adjust_pi(cur, p.id, counted);
}

/// `rt_mutex_adjust_pi(task)`: re-walk the chain of a blocked task whose prio changed
/// (`counted`: `sched_setscheduler` counted a walk for it in `walks`).
fn rt_mutex_adjust_pi(cur: &Task, task: u16, counted: bool) {
    let pl = pi_lock_of(cur, task);
    let g = raw_lock(cur, &pl, PI_LOCK);
    let next = world(cur).with(|s| {
        let next = (|| {
            let w = s.task(task).pi_blocked_on?;
            let me = s.waiter_prio(task);
            if rt_waiter_node_equal(s.w(w).tree, me) {
                return None;
            }
            Some(s.w(w).lock)
        })();
        match (next.is_some(), counted) {
            (true, false) => s.walks += 1,
            (false, true) => s.walks -= 1,
            _ => {}
        }
        next
    });
    drop(g);
    let Some(next_lock) = next else {
        return;
    };
    rt_mutex_adjust_prio_chain(cur, task, Chainwalk::Min, None, Some(next_lock), None, task);
}

// ---------------------------------------------------------------------------------------
// Plain rt_mutexes (kernel/locking/rtmutex_api.c): no ww_ctx, `build_ww_mutex()` false.

/// `struct rt_mutex` (not a ww_mutex base).
#[derive(Debug)]
pub struct RtMutex {
    pub name: Arc<str>,
    pub uid: usize,
    /// Its lockdep class (one per lock: `rt_mutex_init` gives each init site its key).
    pub class: &'static str,
    owner: Arc<AtomicUsize>,
}

impl RtMutex {
    /// `rt_mutex_init(lock)`.
    pub fn new(machine: &Machine, name: &'static str) -> Arc<RtMutex> {
        let name_static = name;
        let uid = machine.rec.register_lock(name);
        let owner = Arc::new(AtomicUsize::new(0));
        let name: Arc<str> = name.into();
        Base::get(machine, uid, &name, &owner, false);
        Arc::new(RtMutex {
            class: name_static,
            name,
            uid,
            owner,
        })
    }

    fn base(&self) -> Base {
        Base {
            uid: self.uid,
            name: Arc::clone(&self.name),
            owner: Arc::clone(&self.owner),
        }
    }
}

/// `rt_mutex_lock(lock)` → `__rt_mutex_lock(lock, TASK_UNINTERRUPTIBLE)`: returns 0 (the
/// kernel's is void; the model returns what the slow path got, and a -EDEADLK is already
/// reported as `spurious-edeadlk` in `rt_mutex_handle_deadlock`).
pub fn rt_mutex_lock(cur: &Arc<Task>, lock: &RtMutex) -> i32 {
    cur.event(|| Ev::Call {
        f: "rt_mutex_lock",
        obj: Arc::clone(&lock.name),
        ctx: None,
    });
    cur.machine.lockdep.acquire(
        cur,
        lock.class,
        crate::model::lockdep::LockKind::Blocking { nest: false },
    );
    let base = lock.base();
    let ret = if rt_mutex_try_acquire(cur, &base) {
        0
    } else {
        rt_mutex_slowlock(cur, &base, None, false, TaskState::Uninterruptible)
    };
    if ret == 0 {
        if let Some(prev) = cur.machine.set_holder(lock.uid, Some(cur.id)) {
            cur.machine.fail(
                Property::MutualExclusion,
                format!(
                    "{} acquired {} while {} holds it",
                    cpu_name(cur.id),
                    lock.name,
                    cpu_name(prev)
                ),
            );
        }
    } else {
        cur.machine.lockdep.release(cur, lock.class);
    }
    cur.event(|| Ev::Ret {
        f: "rt_mutex_lock",
        obj: Arc::clone(&lock.name),
        ret,
    });
    ret
}

/// `rt_mutex_unlock(lock)`.
pub fn rt_mutex_unlock(cur: &Arc<Task>, lock: &RtMutex) {
    cur.event(|| Ev::Call {
        f: "rt_mutex_unlock",
        obj: Arc::clone(&lock.name),
        ctx: None,
    });
    if cur.machine.holder(lock.uid) != Some(cur.id) {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::UnlockNotOwner,
            format!(
                "rt_mutex_unlock({}) by {} which does not hold it",
                lock.name,
                cpu_name(cur.id)
            ),
        );
    } else {
        cur.machine.set_holder(lock.uid, None);
    }
    cur.machine.lockdep.release(cur, lock.class);
    __rt_mutex_unlock(cur, &lock.base());
}
