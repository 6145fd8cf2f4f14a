//! The lockdep annotations of the ww layer, as `include/linux/ww_mutex.h` and
//! `kernel/locking/mutex.c` make them (mainline v6.18, with 823a566221a5's
//! `first_lock_dep_map`), recorded in the machine's lockdep (`crate::model::lockdep`).
//!
//! * A `struct ww_class` has two lockdep classes, `<name>_acquire` (`ctx->dep_map`) and
//!   `<name>_mutex` (every ww_mutex of the class, `lock->base.dep_map`); for
//!   `reservation_ww_class` they are `reservation_ww_class_acquire` / `_mutex`, the
//!   classes `dma_resv_lockdep()` primes (`lockdep::TICKET` / `lockdep::RESV`).
//! * `ww_acquire_init`: `mutex_acquire(&ctx->dep_map)` then
//!   `mutex_acquire_nest(&ctx->first_lock_dep_map, .., &ctx->dep_map)`: a fake `_mutex`
//!   lock held until `ww_acquire_fini`, which releases both.
//! * `ww_mutex_lock(lock, ctx)`: `mutex_acquire_nest(&lock->dep_map, .., &ctx->dep_map)`
//!   (a blocking acquisition under the ctx as nest lock) before waiting, after the
//!   -EALREADY return; `mutex_release` on -EDEADLK / -EINTR (the dependencies stay).
//!   `ww_mutex_lock(lock, NULL)` is a plain `mutex_acquire`. `ww_mutex_trylock(lock, ctx)`
//!   is a trylock acquisition (nest with a ctx), recorded after success.
//! * `ww_mutex_unlock` / `mutex_unlock`: `mutex_release(&lock->dep_map)`; a release of a
//!   class this task does not hold is lockdep's "bad unlock balance".
//! * The base mutex's `wait_lock` is a raw spinlock (`&lock->wait_lock`, one class for
//!   all mutexes, a leaf), held by the lock and unlock slow paths.
//!
//! The single-execution rules of the ww layer are checked here before the generic
//! acquisition, so that the report names the rule (`lockdep`, a splat: WARN, then lockdep
//! is off for the execution):
//! * a second acquire context of one class in one task (`check_deadlock` on
//!   `<name>_acquire`: "possible recursive locking detected");
//! * `ww_acquire_init` while holding a `<name>_mutex` lock (the held mutex sits below
//!   the new ctx, so `check_deadlock` meets it before it finds the nest lock);
//! * a context-less `ww_mutex_lock` of a class while a context of the class is held
//!   (since 823a566221a5 that is recursion on `first_lock_dep_map` even before the first
//!   ww_mutex of the transaction is taken);
//! * `ww_acquire_init` under a spinlock (`first_lock_dep_map` is LD_WAIT_SLEEP:
//!   "BUG: Invalid wait context"); `ww_mutex_lock` under a spinlock is `might_sleep()` /
//!   the same wait-context check, reported by the generic acquisition.
//!
//! Simplified: lockdep's held stack holds classes, not instances, so the nest lock is
//! "the task holds a live context of the class" (a ctx is used by the task that
//! initialised it; `ww_acquire_ctx` is on its stack in the kernel), and same-class
//! acquisitions under it are separate entries instead of one merged, refcounted entry
//! (the merge skips every check; here the nested entries are exempt from the recursion
//! check and the edges they add are the edges the first, unmerged one adds). The
//! "Nested lock was not taken" check (a ww_mutex_lock with another task's or a finished
//! ctx) is left out: DEBUG_WW_MUTEXES flags a lock with a finished ctx
//! (`done_acquire`), and no model client passes a ctx across tasks.

use crate::model::lockdep::{LockKind, Lockdep};
use crate::model::property::Property;
use crate::model::task::Task;
use crate::model::trace::cpu_name;
use crate::ww::ctx::{WwAcquireCtx, WwClass};
use crate::ww::mutex::WwMutex;
use std::collections::BTreeMap;

/// The lockdep class of every base mutex's `wait_lock` (one `raw_spin_lock_init` call
/// site in `__mutex_init`).
pub const WAIT_LOCK: &str = "&lock->wait_lock";

/// Class names live as long as the program (one `lock_class_key` per name): intern them
/// once per distinct `ww_class` name.
pub(crate) fn class_names(name: &'static str) -> (&'static str, &'static str) {
    static TABLE: std::sync::Mutex<BTreeMap<&'static str, (&'static str, &'static str)>> =
        std::sync::Mutex::new(BTreeMap::new());
    let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
    *t.entry(name).or_insert_with(|| {
        (
            Box::leak(format!("{name}_acquire").into_boxed_str()),
            Box::leak(format!("{name}_mutex").into_boxed_str()),
        )
    })
}

fn report(cur: &Task, msg: String) {
    cur.machine.lockdep.report(cur, Property::Lockdep, msg);
}

/// A `DEBUG_LOCKS_WARN_ON` / `MUTEX_WARN_ON` (include/linux/debug_locks.h): a WARN (the
/// execution continues) that turns `debug_locks` (lockdep) off. Always recorded, also
/// when lockdep is already off: the model reports the first WARN of an execution anyway.
pub(crate) fn debug_locks_warn(cur: &Task, property: Property, msg: String) {
    let ld = &cur.machine.lockdep;
    if ld.debug_locks() {
        ld.report(cur, property, msg);
    } else {
        cur.machine.warn(cur.id, property, msg);
    }
}

fn ld(cur: &Task) -> &Lockdep {
    &cur.machine.lockdep
}

/// `ww_acquire_init(ctx, ww_class)` under CONFIG_DEBUG_LOCK_ALLOC:
/// `mutex_acquire(&ctx->dep_map, 0, 0)` and
/// `mutex_acquire_nest(&ctx->first_lock_dep_map, 0, 0, &ctx->dep_map)`.
pub(crate) fn acquire_init(cur: &Task, class: &WwClass) {
    let ld = ld(cur);
    if ld.debug_locks() {
        let held = ld.held(cur);
        if held.iter().any(|h| h.class == class.acquire_name) {
            report(
                cur,
                format!(
                    "possible recursive locking detected: {} ww_acquire_init({}) while it holds \
                     another {}: a second acquire context of one class in one task",
                    cpu_name(cur.id),
                    class.name,
                    class.acquire_name
                ),
            );
        } else if held.iter().any(|h| h.class == class.mutex_name) {
            report(
                cur,
                format!(
                    "possible recursive locking detected: {} ww_acquire_init({}) while holding a \
                     {} lock taken outside the context (first_lock_dep_map meets it before its \
                     nest lock)",
                    cpu_name(cur.id),
                    class.name,
                    class.mutex_name
                ),
            );
        } else if let Some(spin) = held
            .iter()
            .rev()
            .find(|h| matches!(h.kind, LockKind::Spin | LockKind::SpinTrylock))
        {
            report(
                cur,
                format!(
                    "BUG: Invalid wait context: {} ww_acquire_init({}) takes first_lock_dep_map \
                     ({}, LD_WAIT_SLEEP) while holding spinlock {}",
                    cpu_name(cur.id),
                    class.name,
                    class.mutex_name,
                    spin.class
                ),
            );
        }
    }
    ld.acquire(cur, class.acquire_name, LockKind::Blocking { nest: false });
    ld.acquire(cur, class.mutex_name, LockKind::Blocking { nest: true });
}

/// `ww_acquire_fini(ctx)`: `mutex_release(&ctx->first_lock_dep_map)`,
/// `mutex_release(&ctx->dep_map)`.
pub(crate) fn acquire_fini(cur: &Task, (acquire_name, mutex_name): (&'static str, &'static str)) {
    let ld = ld(cur);
    ld.release(cur, mutex_name);
    ld.release(cur, acquire_name);
}

/// Does `cur` hold a live acquire context of `class` (the nest lock)?
fn holds_ctx(cur: &Task, class: &WwClass) -> bool {
    ld(cur).holds(cur, class.acquire_name)
}

/// `mutex_acquire_nest(&lock->dep_map, 0, trylock, nest_lock)` of a ww_mutex: with a
/// context the nest lock is `&ctx->dep_map`; without, a plain `mutex_acquire`.
pub(crate) fn mutex_acquire(cur: &Task, lock: &WwMutex, ctx: Option<&WwAcquireCtx>, trylock: bool) {
    let ld = ld(cur);
    let class = &lock.class;
    if ctx.is_none() && !trylock && ld.debug_locks() && holds_ctx(cur, class) {
        report(
            cur,
            format!(
                "possible recursive locking detected: {} ww_mutex_lock({}, NULL) of {} while \
                 holding an acquire context of the class (and the {} locks taken under it)",
                cpu_name(cur.id),
                lock.name,
                class.name,
                class.mutex_name
            ),
        );
    }
    let kind = if trylock {
        LockKind::Trylock
    } else {
        LockKind::Blocking {
            nest: ctx.is_some(),
        }
    };
    ld.acquire(cur, class.mutex_name, kind);
}

/// `mutex_release(&lock->dep_map)`; a class this task does not hold is lockdep's
/// `print_unlock_imbalance_bug` ("bad unlock balance detected").
pub(crate) fn mutex_release(cur: &Task, lock: &WwMutex) {
    let ld = ld(cur);
    if ld.debug_locks() && !ld.holds(cur, lock.class.mutex_name) {
        report(
            cur,
            format!(
                "WARNING: bad unlock balance detected! {} releases {} ({}) which it does not hold",
                cpu_name(cur.id),
                lock.name,
                lock.class.mutex_name
            ),
        );
        return;
    }
    ld.release(cur, lock.class.mutex_name);
}

/// `raw_spin_lock(&lock->wait_lock)`.
pub(crate) fn wait_lock_acquire(cur: &Task) {
    ld(cur).acquire(cur, WAIT_LOCK, LockKind::Spin);
}

/// `raw_spin_unlock(&lock->wait_lock)`.
pub(crate) fn wait_lock_release(cur: &Task) {
    ld(cur).release(cur, WAIT_LOCK);
}
