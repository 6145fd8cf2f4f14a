//! A plain kernel `struct mutex` for driver locks that are not ww_mutexes (a driver's VM
//! lock, AMD's `prange->migrate_mutex`, ...): `mutex_lock` / `mutex_unlock` as
//! `kernel/locking/mutex.c` offers them to callers, with the lockdep annotations every
//! mutex has (`mutex_acquire` of the lock's class: might_sleep, dependencies recorded),
//! and the ghost holder for wait-for reports.
//!
//! Simplified: the owner word, wait list and handoff of the base mutex are those of
//! `ww::mutex` (which the ww_mutexes use); a driver mutex here is a model mutex, which
//! blocks for real under every engine, and that is all the scenarios that use one need
//! (mutual exclusion and the lock order).

use crate::model::lockdep::LockKind;
use crate::model::machine::Machine;
use crate::model::sync::{Arc, Mutex, MutexGuard};
use crate::model::task::Task;
use crate::model::trace::WaitKind;

/// A `struct mutex` of lockdep class `class`.
#[derive(Debug)]
pub struct KMutex {
    pub class: &'static str,
    inner: Mutex<()>,
    ghost: usize,
}

/// A held [`KMutex`] (drop = nothing: release it with [`KMutex::unlock`]).
pub struct KMutexGuard<'a> {
    lock: &'a KMutex,
    _g: MutexGuard<'a, ()>,
}

impl KMutex {
    pub fn new(m: &Machine, class: &'static str) -> KMutex {
        KMutex {
            class,
            inner: Mutex::new(()),
            ghost: m.rec.register_lock(class),
        }
    }

    /// `mutex_lock(lock)`.
    pub fn lock<'a>(&'a self, cur: &Arc<Task>) -> KMutexGuard<'a> {
        let m = &cur.machine;
        m.lockdep
            .acquire(cur, self.class, LockKind::Blocking { nest: false });
        m.rec.set_blocked_on(
            cur.id,
            Some((
                WaitKind::Lock,
                format!("mutex_lock({})", self.class),
                Some(self.ghost),
            )),
        );
        let g = self.inner.lock();
        m.rec.set_blocked_on(cur.id, None);
        m.set_holder(self.ghost, Some(cur.id));
        KMutexGuard { lock: self, _g: g }
    }

    /// `mutex_unlock(lock)`.
    pub fn unlock(cur: &Arc<Task>, g: KMutexGuard<'_>) {
        let m = &cur.machine;
        m.lockdep.release(cur, g.lock.class);
        m.set_holder(g.lock.ghost, None);
        drop(g);
    }
}
