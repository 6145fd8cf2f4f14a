//! The base `struct mutex` under a ww_mutex (kernel/locking/mutex.c, non-RT): the owner
//! word with MUTEX_FLAG_WAITERS / HANDOFF / PICKUP, the fast-path compare-exchange,
//! `wait_lock` protecting the waiter list — the v7.1-rc1 headless ring with
//! `lock->first_waiter` (25500ba7e77c as fixed by 0adc92b910b3; [`WaitList`]) — unlock with
//! wakeup and handoff, and the v6.17 `task->blocked_on` wrappers of include/linux/sched.h.
//!
//! Orderings follow the kernel: `atomic_long_try_cmpxchg_acquire` → compare_exchange
//! (Acquire, Relaxed); `_release` → (Release, Relaxed); `atomic_long_read` and
//! `atomic_long_or/andnot` → Relaxed.
//!
//! Left out: optimistic spinning (`mutex_optimistic_spin`, the OSQ). A spinner only
//! repeats `__mutex_trylock` while the owner runs, and the kernel restricts it exactly so
//! that it cannot change the ww outcome (spec §3.10: no spinning with locks held while the
//! lock has a ww ctx; a non-waiter stops once WAITERS is set; a waiter spins only while
//! first). Every acquisition it could make is also reachable by the trylocks the model
//! keeps (before queueing, under wait_lock, and after each wakeup), so the set of
//! reachable ownership orders is the same; only the number of retries differs. What the
//! spin does to the waiter's sleep is kept: its `fail:` need_resched path (`ww::lock`,
//! site `mutex_optimistic_spin` of `--spurious`), and the blocked_on clear/set around it.

use crate::model::Machine;
use crate::model::property::Property;
use crate::model::sync::atomic::{AtomicUsize, Ordering};
use crate::model::sync::{Arc, Mutex, MutexGuard};
use crate::model::task::{BlockedOn, Task, WakeQ, proxy_exec};
use crate::model::trace::cpu_name;
use crate::model::variants::Variant;
use crate::ww::ctx::{WwAcquireCtx, WwClass};
use crate::ww::lockdep_ww;
use std::sync::atomic::{AtomicBool as StdBool, AtomicUsize as StdUsize, Ordering as Std};

pub const MUTEX_FLAG_WAITERS: usize = 0x01;
pub const MUTEX_FLAG_HANDOFF: usize = 0x02;
pub const MUTEX_FLAG_PICKUP: usize = 0x04;
pub const MUTEX_FLAGS: usize = 0x07;

/// `waiter.ww_ctx`: a context, explicitly none, or (variant `waiter-ctx-poison`) the
/// debug poison value left by `debug_mutex_lock_common`.
#[derive(Debug)]
pub(crate) enum WaiterCtx {
    None,
    Ctx(Arc<WwAcquireCtx>),
    Poison,
}

/// `struct mutex_waiter` (on the sleeping task's stack in the kernel).
#[derive(Debug)]
pub(crate) struct Waiter {
    pub task: Arc<Task>,
    pub ww_ctx: WaiterCtx,
}

impl Waiter {
    /// What kernel code gets when it reads `cur->ww_ctx` and tests it for NULL. The poison
    /// value is non-NULL, so the kernel goes on to dereference it: reported as such.
    pub fn ctx(&self, cur: &Task) -> Option<&Arc<WwAcquireCtx>> {
        match &self.ww_ctx {
            WaiterCtx::None => None,
            WaiterCtx::Ctx(c) => Some(c),
            WaiterCtx::Poison => cur.machine.fail(
                Property::UseAfterFree,
                format!(
                    "{} dereferenced waiter->ww_ctx of {}'s context-less waiter: it holds the \
                     debug poison MUTEX_POISON_WW_CTX, not NULL",
                    cpu_name(cur.id),
                    cpu_name(self.task.id)
                ),
            ),
        }
    }

    /// The context for the checker's own invariants (never reports).
    pub fn ghost_ctx(&self) -> Option<&Arc<WwAcquireCtx>> {
        match &self.ww_ctx {
            WaiterCtx::Ctx(c) => Some(c),
            _ => None,
        }
    }
}

/// A waiter's node in the ring (`&waiter->list`): an index into the lock's node arena.
pub(crate) type WaiterId = usize;

/// One `struct mutex_waiter` on the ring: the waiter and its `list` links.
#[derive(Debug)]
struct Node {
    waiter: Waiter,
    prev: WaiterId,
    next: WaiterId,
}

/// `lock->first_waiter` and the headless ring of `struct mutex_waiter` of 25500ba7e77c
/// ("locking/mutex: Remove the list_head from struct mutex", v7.1-rc1): the waiters are
/// linked to each other only (`waiter->list`), the lock points at the first one.
/// `first_waiter` is written only by [`WwMutex::__mutex_add_waiter`] and
/// [`WwMutex::__mutex_remove_waiter`], in the kernel's step order; the iterators
/// (`__ww_waiter_first/next/prev/last` in `ww::algo`) stop when they come back to it.
///
/// The waiters live on their tasks' stacks in the kernel; here in a small arena whose
/// slots are reused (a free slot is `None`), so a `WaiterId` is the waiter's address
/// while it is queued.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    nodes: Vec<Option<Node>>,
    /// `lock->first_waiter` (NULL = no waiter).
    pub first_waiter: Option<WaiterId>,
}

impl WaitList {
    fn node(&self, id: WaiterId) -> &Node {
        self.nodes[id].as_ref().expect("a queued waiter")
    }

    fn node_mut(&mut self, id: WaiterId) -> &mut Node {
        self.nodes[id].as_mut().expect("a queued waiter")
    }

    fn alloc(&mut self, waiter: Waiter) -> WaiterId {
        let node = Some(Node {
            waiter,
            prev: 0,
            next: 0,
        });
        match self.nodes.iter().position(Option::is_none) {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    /// The `struct mutex_waiter` at `id`.
    pub fn get(&self, id: WaiterId) -> &Waiter {
        &self.node(id).waiter
    }

    /// `INIT_LIST_HEAD(&waiter->list)`: a ring of one.
    fn init_list_head(&mut self, waiter: Waiter) -> WaiterId {
        let id = self.alloc(waiter);
        let n = self.node_mut(id);
        n.prev = id;
        n.next = id;
        id
    }

    /// `list_add_tail(&waiter->list, &pos->list)`: insert before `pos`.
    fn list_add_tail(&mut self, waiter: Waiter, pos: WaiterId) -> WaiterId {
        let id = self.alloc(waiter);
        let prev = self.node(pos).prev;
        {
            let n = self.node_mut(id);
            n.prev = prev;
            n.next = pos;
        }
        self.node_mut(prev).next = id;
        self.node_mut(pos).prev = id;
        id
    }

    /// `list_empty(&waiter->list)`: the waiter is alone on the ring.
    fn list_empty(&self, id: WaiterId) -> bool {
        self.node(id).next == id
    }

    /// `list_del(&waiter->list)`: unlink (the node's storage goes with its stack frame).
    fn list_del(&mut self, id: WaiterId) -> Waiter {
        let (prev, next) = (self.node(id).prev, self.node(id).next);
        self.node_mut(prev).next = next;
        self.node_mut(next).prev = prev;
        self.nodes[id].take().expect("a queued waiter").waiter
    }

    /// `list_next_entry(w, list)`.
    pub fn list_next_entry(&self, id: WaiterId) -> WaiterId {
        self.node(id).next
    }

    /// `list_prev_entry(w, list)`.
    pub fn list_prev_entry(&self, id: WaiterId) -> WaiterId {
        self.node(id).prev
    }

    /// Ghost: the waiters in ring order starting at `first_waiter` (the checker's view,
    /// what every kernel iterator assumes the order is).
    pub fn ghost_order(&self) -> Vec<&Waiter> {
        let mut out = Vec::new();
        let Some(first) = self.first_waiter else {
            return out;
        };
        let mut w = first;
        loop {
            out.push(self.get(w));
            w = self.list_next_entry(w);
            if w == first || out.len() > self.nodes.len() {
                break;
            }
        }
        out
    }
}

/// `struct ww_mutex` = base mutex + `ctx` (+ debug class).
#[derive(Debug)]
pub struct WwMutex {
    pub name: Arc<str>,
    /// Index of this lock in the execution record (ghost state, wait-for reports).
    pub uid: usize,
    pub class: Arc<WwClass>,
    /// `base.owner`: owning task word | flags (shared with `task->blocked_on` for the
    /// proxy-execution rule, which reads the owner of the mutex a task is blocked on).
    pub(crate) owner: Arc<AtomicUsize>,
    /// `base.wait_lock` protecting `base.wait_list`.
    pub(crate) wait_lock: Mutex<WaitList>,
    /// Mirror of `lock->first_waiter` (`WaiterId + 1`, 0 = NULL), written together with
    /// it under wait_lock. `__mutex_waiter_is_first` reads `first_waiter` without
    /// wait_lock after `schedule()`; the mirror gives that racy read without taking the
    /// model lock, which would add an ordering the kernel does not have.
    pub(crate) first: StdUsize,
    /// `ww->ctx`: the holder's context id, 0 = NULL (READ_ONCE / plain stores).
    pub(crate) ctx: AtomicUsize,
    /// Ghost: the context id that holds the lock per the API (for -EALREADY checks).
    pub(crate) ghost_ctx: StdUsize,
    pub(crate) destroyed: StdBool,
}

#[inline]
pub(crate) fn owner_task(owner: usize) -> usize {
    owner & !MUTEX_FLAGS
}

impl WwMutex {
    /// `ww_mutex_init(lock, ww_class)`.
    /// Ghost: the acquire context holding the lock (`dma_resv_locking_ctx`), if any.
    pub fn holder_ctx(&self) -> Option<Arc<WwAcquireCtx>> {
        match self.ghost_ctx.load(Std::SeqCst) {
            0 => None,
            id => Some(self.class.ctx(id)),
        }
    }

    pub fn new(machine: &Machine, name: &str, class: &Arc<WwClass>) -> Arc<WwMutex> {
        Arc::new(WwMutex {
            name: name.into(),
            uid: machine.rec.register_lock(name),
            class: Arc::clone(class),
            owner: Arc::new(AtomicUsize::new(0)),
            wait_lock: Mutex::new(WaitList::default()),
            first: StdUsize::new(0),
            ctx: AtomicUsize::new(0),
            ghost_ctx: StdUsize::new(0),
            destroyed: StdBool::new(false),
        })
    }

    /// `__mutex_owner(lock)`.
    pub(crate) fn __mutex_owner(&self) -> usize {
        owner_task(self.owner.load(Ordering::Relaxed))
    }

    /// `__mutex_trylock_common(lock, handoff)`: 0 on success, else the owner task word.
    pub(crate) fn __mutex_trylock_common(&self, cur: &Task, handoff: bool) -> usize {
        let curr = cur.owner_word();
        let mut owner = self.owner.load(Ordering::Relaxed);
        loop {
            let mut flags = owner & MUTEX_FLAGS;
            let mut task = owner_task(owner);
            if task != 0 {
                if flags & MUTEX_FLAG_PICKUP != 0 {
                    if task != curr {
                        break;
                    }
                    flags &= !MUTEX_FLAG_PICKUP;
                } else if handoff {
                    if flags & MUTEX_FLAG_HANDOFF != 0 {
                        break;
                    }
                    flags |= MUTEX_FLAG_HANDOFF;
                } else {
                    break;
                }
            } else {
                task = curr;
            }
            match self.owner.compare_exchange(
                owner,
                task | flags,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if task == curr {
                        return 0;
                    }
                    break;
                }
                Err(actual) => owner = actual,
            }
        }
        owner_task(owner)
    }

    /// `__mutex_trylock(lock)`: works on any unlocked state (lock stealing allowed).
    pub(crate) fn __mutex_trylock(&self, cur: &Task) -> bool {
        self.__mutex_trylock_common(cur, false) == 0
    }

    /// `__mutex_trylock_or_handoff(lock, handoff)`.
    pub(crate) fn __mutex_trylock_or_handoff(&self, cur: &Task, handoff: bool) -> bool {
        self.__mutex_trylock_common(cur, handoff) == 0
    }

    /// `__mutex_trylock_fast(lock)`: uncontended 0 → current.
    pub(crate) fn __mutex_trylock_fast(&self, cur: &Task) -> bool {
        self.owner
            .compare_exchange(0, cur.owner_word(), Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// `__mutex_unlock_fast(lock)`: current → 0 when no flag is set.
    pub(crate) fn __mutex_unlock_fast(&self, cur: &Task) -> bool {
        self.owner
            .compare_exchange(cur.owner_word(), 0, Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    fn __mutex_set_flag(&self, flag: usize) {
        self.owner.fetch_or(flag, Ordering::Relaxed);
    }

    fn __mutex_clear_flag(&self, flag: usize) {
        self.owner.fetch_and(!flag, Ordering::Relaxed);
    }

    /// `lock->first_waiter = w` (and its racy-read mirror).
    fn set_first_waiter(&self, list: &mut WaitList, w: Option<WaiterId>) {
        list.first_waiter = w;
        self.first.store(w.map_or(0, |w| w + 1), Std::SeqCst);
    }

    /// `__mutex_waiter_is_first(lock, waiter)`: `lock->first_waiter == waiter`, read
    /// without wait_lock (data_race in the spinner).
    pub(crate) fn waiter_is_first_racy(&self, waiter: WaiterId) -> bool {
        self.first.load(Std::SeqCst) == waiter + 1
    }

    /// `__mutex_add_waiter(lock, waiter, pos)` (v7.1-rc1: 25500ba7e77c as fixed by
    /// 0adc92b910b3): read `first` at entry; with `pos`, insert before it and, when `pos`
    /// was the first, make the new waiter the first; else append before the first (the
    /// ring's tail); an empty ring makes it the first and sets MUTEX_FLAG_WAITERS.
    /// Variant `first-waiter-2026` is the 25500ba7e77c body: `pos` (or the first) is
    /// only the insertion point, `first_waiter` is not updated when `pos` was the first.
    /// (`hung_task_set_blocker` and `debug_mutex_add_waiter` are left out: no locking.)
    pub(crate) fn __mutex_add_waiter(
        &self,
        cur: &Task,
        list: &mut WaitList,
        waiter: Waiter,
        pos: Option<WaiterId>,
    ) -> WaiterId {
        let first = list.first_waiter;
        if cur.machine.variant(Variant::FirstWaiter2026) {
            let first = pos.or(first);
            if let Some(first) = first {
                return list.list_add_tail(waiter, first);
            }
        } else {
            if let Some(pos) = pos {
                // Insert @waiter before @pos.
                let id = list.list_add_tail(waiter, pos);
                // If @pos == @first, then @waiter will be the new first.
                if Some(pos) == first {
                    self.set_first_waiter(list, Some(id));
                }
                return id;
            }
            if let Some(first) = first {
                return list.list_add_tail(waiter, first);
            }
        }
        let id = list.init_list_head(waiter);
        self.set_first_waiter(list, Some(id));
        self.__mutex_set_flag(MUTEX_FLAG_WAITERS);
        id
    }

    /// `__mutex_remove_waiter(lock, waiter)`: the last waiter clears all three flags and
    /// `first_waiter`; else a removed first waiter passes `first_waiter` on to its
    /// successor, then `list_del`.
    pub(crate) fn __mutex_remove_waiter(&self, list: &mut WaitList, waiter: WaiterId) {
        if list.list_empty(waiter) {
            self.__mutex_clear_flag(MUTEX_FLAGS);
            self.set_first_waiter(list, None);
        } else if list.first_waiter == Some(waiter) {
            let next = list.list_next_entry(waiter);
            self.set_first_waiter(list, Some(next));
        }
        list.list_del(waiter);
    }

    /// `__mutex_handoff(lock, task)`: owner := task | PICKUP (WAITERS kept, HANDOFF cleared);
    /// `task == 0` is a plain release.
    fn __mutex_handoff(&self, task: usize) {
        let mut owner = self.owner.load(Ordering::Relaxed);
        loop {
            let mut new = owner & MUTEX_FLAG_WAITERS;
            new |= task;
            if task != 0 {
                new |= MUTEX_FLAG_PICKUP;
            }
            match self
                .owner
                .compare_exchange(owner, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => owner = actual,
            }
        }
    }

    /// `mutex_unlock(&lock->base)`: fast path, else `__mutex_unlock_slowpath`: release
    /// (unless HANDOFF), then under wait_lock wake only the first waiter and hand off if
    /// it asked for it. The owner check is MUTEX_WARN_ON(__owner_task(owner) != current).
    pub(crate) fn mutex_unlock(&self, cur: &Task) {
        if !cur.machine.opts.inject_edeadlk && self.__mutex_unlock_fast(cur) {
            return;
        }
        let curr = cur.owner_word();
        let mut owner = self.owner.load(Ordering::Relaxed);
        loop {
            if owner_task(owner) != curr {
                let holder = match owner_task(owner) {
                    0 => "it is not locked".to_string(),
                    w => format!("its owner is {}", cpu_name(((w >> 3) - 1) as u16)),
                };
                lockdep_ww::debug_locks_warn(
                    cur,
                    Property::UnlockNotOwner,
                    format!(
                        "MUTEX_WARN_ON(__owner_task(owner) != current): {} unlocks {} but {holder}",
                        cpu_name(cur.id),
                        self.name
                    ),
                );
            }
            if owner & MUTEX_FLAG_HANDOFF != 0 {
                break;
            }
            match self.owner.compare_exchange(
                owner,
                owner & MUTEX_FLAGS,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.proxy_owner_changed(cur);
                    if owner & MUTEX_FLAG_WAITERS != 0 {
                        break;
                    }
                    return;
                }
                Err(actual) => owner = actual,
            }
        }
        let mut wake_q = WakeQ::new();
        let list = self.lock_wait_lock(cur);
        // `waiter = lock->first_waiter; if (waiter) { next = waiter->task;
        // __clear_task_blocked_on(next, lock); wake_q_add(&wake_q, next); }`
        let next = list.first_waiter.map(|w| Arc::clone(&list.get(w).task));
        if let Some(next) = &next {
            __clear_task_blocked_on(cur, next, Some(self));
            wake_q.add(next, "mutex_unlock: first waiter");
        }
        if owner & MUTEX_FLAG_HANDOFF != 0 {
            self.__mutex_handoff(next.as_ref().map_or(0, |t| t.owner_word()));
            self.proxy_owner_changed(cur);
        }
        drop(list);
        wake_q.wake_up_q(cur);
    }

    /// `task->blocked_on` naming this mutex.
    pub(crate) fn as_blocked_on(&self) -> BlockedOn {
        BlockedOn {
            uid: self.uid,
            name: Arc::clone(&self.name),
            owner: Arc::clone(&self.owner),
        }
    }

    /// Proxy execution: the owner changed (released, handed off), so every donor blocked
    /// on this mutex is re-evaluated by the scheduler (`model::task::schedule`). No-op
    /// (and no scheduling point) without `--config proxy-exec`.
    fn proxy_owner_changed(&self, cur: &Task) {
        if !proxy_exec(cur) {
            return;
        }
        cur.machine.each_task(|t| {
            if t.id != cur.id && t.blocked_on().is_some_and(|b| b.uid == self.uid) {
                t.proxy_kick();
            }
        });
    }

    /// `lock_wait_lock` (callers flush their wake_q after the guard is dropped):
    /// `raw_spin_lock(&lock->wait_lock)`, recorded in lockdep (a raw spinlock: a
    /// sleeping acquisition while it is held is reported).
    pub(crate) fn lock_wait_lock<'a>(&'a self, cur: &'a Task) -> WaitLockGuard<'a> {
        lockdep_ww::wait_lock_acquire(cur);
        WaitLockGuard {
            guard: self.wait_lock.lock(),
            cur,
        }
    }
}

/// The `task->blocked_on` wrappers of include/linux/sched.h (a4f0b6fef4b0, v6.17, with
/// the READ_ONCE/WRITE_ONCE of 21924af67d69): they run with or without proxy execution
/// (mutex.c calls them unconditionally in the non-RT build), so their WARN_ON_ONCEs are
/// baseline behaviour. `lockdep_assert_held_once(&m->wait_lock)` and `WARN_ON_ONCE(p !=
/// current)` are left out: every model caller holds the wait_lock and passes itself (the
/// borrow of the wait-list guard shows the first).
///
/// `__set_task_blocked_on(p, m)`: `WARN_ON_ONCE(blocked_on && blocked_on != m)`, then
/// `WRITE_ONCE(p->blocked_on, m)`.
pub(crate) fn __set_task_blocked_on(cur: &Task, m: &WwMutex) {
    if let Some(b) = cur.blocked_on()
        && b.uid != m.uid
    {
        cur.machine.warn(
            cur.id,
            Property::BlockedOn,
            format!(
                "WARN_ON_ONCE(blocked_on && blocked_on != m) in __set_task_blocked_on: {} sets \
                 blocked_on = {} while blocked on {}",
                cpu_name(cur.id),
                m.name,
                b.name
            ),
        );
    }
    cur.write_blocked_on(cur, Some(m.as_blocked_on()));
}

/// `set_task_blocked_on(p, m)`: `guard(raw_spinlock_irqsave)(&m->wait_lock)`, then
/// `__set_task_blocked_on`.
pub(crate) fn set_task_blocked_on(cur: &Task, m: &WwMutex) {
    let _wait_lock = m.lock_wait_lock(cur);
    __set_task_blocked_on(cur, m);
}

/// `__clear_task_blocked_on(p, m)`: with `m`, `WARN_ON_ONCE(blocked_on && blocked_on !=
/// m)`; then `WRITE_ONCE(p->blocked_on, NULL)`. `m == NULL` skips the check (the wound
/// path: the owner may be blocked on another mutex).
pub(crate) fn __clear_task_blocked_on(cur: &Task, p: &Task, m: Option<&WwMutex>) {
    if let Some(m) = m
        && let Some(b) = p.blocked_on()
        && b.uid != m.uid
    {
        cur.machine.warn(
            cur.id,
            Property::BlockedOn,
            format!(
                "WARN_ON_ONCE(blocked_on && blocked_on != m) in __clear_task_blocked_on: {} \
                 clears {}'s blocked_on for {}, but it is blocked on {}",
                cpu_name(cur.id),
                cpu_name(p.id),
                m.name,
                b.name
            ),
        );
    }
    p.write_blocked_on(cur, None);
}

/// `clear_task_blocked_on(p, m)`: `guard(raw_spinlock_irqsave)(&m->wait_lock)`, then
/// `__clear_task_blocked_on`.
pub(crate) fn clear_task_blocked_on(cur: &Task, m: &WwMutex) {
    let _wait_lock = m.lock_wait_lock(cur);
    __clear_task_blocked_on(cur, cur, Some(m));
}

/// A held `wait_lock`: the model lock's guard plus the lockdep entry, released together
/// (`raw_spin_unlock`).
pub(crate) struct WaitLockGuard<'a> {
    guard: MutexGuard<'a, WaitList>,
    cur: &'a Task,
}

impl std::ops::Deref for WaitLockGuard<'_> {
    type Target = WaitList;
    fn deref(&self) -> &WaitList {
        &self.guard
    }
}

impl std::ops::DerefMut for WaitLockGuard<'_> {
    fn deref_mut(&mut self) -> &mut WaitList {
        &mut self.guard
    }
}

impl Drop for WaitLockGuard<'_> {
    fn drop(&mut self) {
        lockdep_ww::wait_lock_release(self.cur);
    }
}
