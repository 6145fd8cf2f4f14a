//! The base `struct mutex` under a ww_mutex (kernel/locking/mutex.c, non-RT): the owner
//! word with MUTEX_FLAG_WAITERS / HANDOFF / PICKUP, the fast-path compare-exchange,
//! `wait_lock` protecting the waiter list, and unlock with wakeup and handoff.
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
//! reachable ownership orders is the same; only the number of retries differs.

use crate::model::Machine;
use crate::model::property::Property;
use crate::model::sync::atomic::{AtomicUsize, Ordering};
use crate::model::sync::{Arc, Mutex, MutexGuard};
use crate::model::task::{Task, WakeQ};
use crate::model::trace::cpu_name;
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

pub(crate) type WaitList = Vec<Waiter>;

/// `struct ww_mutex` = base mutex + `ctx` (+ debug class).
#[derive(Debug)]
pub struct WwMutex {
    pub name: Arc<str>,
    /// Index of this lock in the execution record (ghost state, wait-for reports).
    pub uid: usize,
    pub class: Arc<WwClass>,
    /// `base.owner`: owning task word | flags.
    pub(crate) owner: AtomicUsize,
    /// `base.wait_lock` protecting `base.wait_list`.
    pub(crate) wait_lock: Mutex<WaitList>,
    /// Mirror of `list_first_entry(&wait_list)` (its task's owner word, 0 = empty),
    /// written under wait_lock. `__mutex_waiter_is_first` reads the list head without
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
            owner: AtomicUsize::new(0),
            wait_lock: Mutex::new(Vec::new()),
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

    fn update_first(&self, list: &WaitList) {
        let word = list.first().map_or(0, |w| w.task.owner_word());
        self.first.store(word, Std::SeqCst);
    }

    /// `__mutex_waiter_is_first(lock, waiter)`, read without wait_lock.
    pub(crate) fn waiter_is_first_racy(&self, cur: &Task) -> bool {
        self.first.load(Std::SeqCst) == cur.owner_word()
    }

    /// `__mutex_add_waiter(lock, waiter, list)`: insert before `pos` (tail when None); the
    /// first waiter sets MUTEX_FLAG_WAITERS.
    pub(crate) fn __mutex_add_waiter(
        &self,
        list: &mut WaitList,
        waiter: Waiter,
        pos: Option<usize>,
    ) {
        let idx = pos.unwrap_or(list.len());
        list.insert(idx, waiter);
        if idx == 0 {
            self.__mutex_set_flag(MUTEX_FLAG_WAITERS);
        }
        self.update_first(list);
    }

    /// `__mutex_remove_waiter(lock, waiter)`: an empty list clears all three flags.
    pub(crate) fn __mutex_remove_waiter(&self, list: &mut WaitList, cur: &Task) {
        if let Some(i) = list.iter().position(|w| w.task.id == cur.id) {
            list.remove(i);
        }
        if list.is_empty() {
            self.__mutex_clear_flag(MUTEX_FLAGS);
        }
        self.update_first(list);
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
        let next = list.first().map(|w| Arc::clone(&w.task));
        if let Some(next) = &next {
            wake_q.add(next, "mutex_unlock: first waiter");
        }
        if owner & MUTEX_FLAG_HANDOFF != 0 {
            self.__mutex_handoff(next.as_ref().map_or(0, |t| t.owner_word()));
        }
        drop(list);
        wake_q.wake_up_q(cur);
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
