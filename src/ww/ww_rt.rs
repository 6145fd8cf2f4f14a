//! The ww_mutex on rt_mutex (`--config preempt-rt`): kernel/locking/ww_rt_mutex.c
//! (`__ww_rt_mutex_lock`, `ww_mutex_trylock`, `ww_mutex_unlock`) and the `WW_RT` half of
//! kernel/locking/ww_mutex.h — the rbtree iterators (`rb_first/next/prev/last` of the
//! waiter tree), `__ww_ctx_less` with the RT priority tie-break of 8850d773703f (as
//! `rt_or_dl_prio` since v6.12), and `__ww_mutex_die` / `__ww_mutex_wound` /
//! `__ww_mutex_check_waiters` / `__ww_mutex_check_kill` / `__ww_mutex_add_waiter` in their
//! RT placement: the waiter is already in the rbtree when `__ww_mutex_add_waiter` runs
//! (`__ww_waiter_add` is empty: "RT unconditionally adds the waiter first and then removes
//! it on error"), so the walk from the last waiter meets our own waiter too. Text read:
//! ww_mutex.h of v6.12 (index id 161705320) with the wake_q arguments of 894d1b3db41c.
//!
//! `ww_mutex_lock_acquired`, `__ww_mutex_unlock` and the DEBUG_WW_MUTEXES bookkeeping are
//! shared with the non-RT model (`ww::algo`); the API wrappers of `ww::lock` (ghost state,
//! lockdep, return-value properties) dispatch here when CONFIG_PREEMPT_RT is on. The RT
//! build has no deadlock injection (ww_rt_mutex.c has no `ww_mutex_deadlock_injection`).

use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::sync::atomic::{Ordering, fence};
use crate::model::task::{Task, TaskState, WakeQ};
use crate::model::trace::{EALREADY, EDEADLK};
use crate::model::variants::Variant;
use crate::ww::algo::ww_mutex_lock_acquired;
use crate::ww::ctx::WwAcquireCtx;
use crate::ww::lockdep_ww::debug_locks_warn;
use crate::ww::mutex::WwMutex;
use crate::ww::rt_mutex::{self as rt, Base, WId, dl_prio, rt_or_dl_prio};

/// The rt_mutex base of a ww_mutex (registered with the execution on first use).
pub(crate) fn base(cur: &Task, lock: &WwMutex) -> Base {
    Base::get(&cur.machine, lock.uid, &lock.name, &lock.owner, true)
}

/// `__ww_ctx_less(a, b)` (WW_RT): RT / deadline tasks first (kernel prio, less is more),
/// then earlier deadline, then the stamp (bigger is younger).
pub(crate) fn __ww_ctx_less(cur: &Task, a: &WwAcquireCtx, b: &WwAcquireCtx) -> bool {
    let m = &cur.machine;
    let a_prio = rt::task_prio(m, a.task());
    let b_prio = rt::task_prio(m, b.task());
    if rt_or_dl_prio(a_prio) || rt_or_dl_prio(b_prio) {
        if a_prio > b_prio {
            return true;
        }
        if a_prio < b_prio {
            return false;
        }
        if dl_prio(a_prio) {
            let (ad, bd) = (
                rt::task_deadline(m, a.task()),
                rt::task_deadline(m, b.task()),
            );
            if (bd.wrapping_sub(ad) as i64) < 0 {
                return true;
            }
            if (ad.wrapping_sub(bd) as i64) < 0 {
                return false;
            }
        }
    }
    crate::ww::ctx::ww_ctx_less(a, b, m.variant(Variant::StampNoWrap))
}

/// Ghost: is `ctx` the most important live context of its class in the RT order (no live
/// context is more important by `__ww_ctx_less`)? The oldest-killed property's ground
/// truth on RT, where a higher-priority context legitimately beats an older one.
fn is_oldest_rt(cur: &Task, lock: &WwMutex, ctx: &WwAcquireCtx) -> bool {
    if !lock.class.is_oldest(ctx) {
        return false;
    }
    // Oldest by stamp; with every live context at normal priority that is the RT order
    // too. A context of another priority may outrank it: then it is not "oldest".
    rt::all_prios_equal(&cur.machine)
}

/// The waiter's context (waiters on a ww lock's tree carry their possibly-NULL ctx).
fn wctx(cur: &Task, w: WId) -> Option<Arc<WwAcquireCtx>> {
    rt::waiter_ctx(cur, w)
}

/// `__ww_mutex_die(lock, waiter, ww_ctx, wake_q)`.
fn __ww_mutex_die(cur: &Task, w: WId, ww_ctx: &WwAcquireCtx, wake_q: &mut WakeQ) -> bool {
    if !ww_ctx.is_wait_die {
        return false;
    }
    let wc = wctx(cur, w).expect("die is only called for context waiters");
    if wc.acquired() > 0 && __ww_ctx_less(cur, &wc, ww_ctx) {
        let t = rt::waiter_task(cur, w);
        wake_q.add(&t, "__ww_mutex_die");
    }
    true
}

/// `__ww_mutex_wound(lock, ww_ctx, hold_ctx, wake_q)` (owner = `rt_mutex_owner`).
fn __ww_mutex_wound(
    cur: &Task,
    lock: &WwMutex,
    b: &Base,
    ww_ctx: &WwAcquireCtx,
    hold_ctx: Option<Arc<WwAcquireCtx>>,
    wake_q: &mut WakeQ,
) -> bool {
    let owner = b.rt_mutex_owner();
    let Some(hold) = hold_ctx else {
        return false;
    };
    if owner == 0 {
        return false;
    }
    if ww_ctx.acquired() > 0 && __ww_ctx_less(cur, &hold, ww_ctx) {
        if is_oldest_rt(cur, lock, &hold) {
            cur.machine.fail(
                Property::OldestKilled,
                format!(
                    "ctx#{} wounded ctx#{} (stamp {}), the oldest live context, on {}",
                    ww_ctx.id,
                    hold.id,
                    hold.stamp(),
                    lock.name
                ),
            );
        }
        hold.set_wounded(cur, ww_ctx, &lock.name);
        if owner != cur.owner_word()
            && let Some(t) = cur.machine.task_of_owner(owner)
        {
            wake_q.add(&t, "__ww_mutex_wound");
        }
        return true;
    }
    false
}

/// `__ww_mutex_check_waiters(lock, ww_ctx, wake_q)`: from `rb_first` on.
pub(crate) fn __ww_mutex_check_waiters(
    cur: &Task,
    lock: &WwMutex,
    b: &Base,
    ww_ctx: &Arc<WwAcquireCtx>,
    wake_q: &mut WakeQ,
) {
    for w in rt::waiters_in_order(cur, b) {
        let Some(wc) = wctx(cur, w) else {
            continue;
        };
        if __ww_mutex_die(cur, w, ww_ctx, wake_q)
            || __ww_mutex_wound(cur, lock, b, &wc, Some(Arc::clone(ww_ctx)), wake_q)
        {
            break;
        }
    }
}

/// `__ww_mutex_kill(lock, ww_ctx)`: -EDEADLK for a context holding locks, recording
/// `contending_lock` (DEBUG_WW_MUTEXES warns on a second one).
fn __ww_mutex_kill(cur: &Task, lock: &WwMutex, ctx: &WwAcquireCtx) -> i32 {
    if ctx.acquired() > 0 {
        if ctx.contending().is_some() {
            debug_locks_warn(
                cur,
                Property::ClientProtocol,
                format!(
                    "ctx#{} got a second -EDEADLK (on {}) before resolving the first: \
                     contending_lock already set",
                    ctx.id, lock.name
                ),
            );
        }
        ctx.set_contending(Some(lock.uid));
        if ctx.is_wait_die && is_oldest_rt(cur, lock, ctx) {
            cur.machine.fail(
                Property::OldestKilled,
                format!(
                    "Wait-Die kills ctx#{} (stamp {}), the oldest live context, on {}",
                    ctx.id,
                    ctx.stamp(),
                    lock.name
                ),
            );
        }
        return -EDEADLK;
    }
    0
}

/// `__ww_mutex_check_kill(lock, waiter, ctx)`: walking back with `rb_prev`.
pub(crate) fn __ww_mutex_check_kill(
    cur: &Task,
    lock: &WwMutex,
    b: &Base,
    waiter: WId,
    ctx: &WwAcquireCtx,
) -> i32 {
    let hold = lock.ctx.load(Ordering::Relaxed);
    if ctx.acquired() == 0 {
        return 0;
    }
    if !ctx.is_wait_die {
        if ctx.wounded.load(Ordering::Relaxed) {
            return __ww_mutex_kill(cur, lock, ctx);
        }
        return 0;
    }
    if hold != 0 && __ww_ctx_less(cur, ctx, &lock.class.ctx(hold)) {
        return __ww_mutex_kill(cur, lock, ctx);
    }
    let order = rt::waiters_in_order(cur, b);
    let me = order.iter().position(|&w| w == waiter).expect("queued");
    for &w in order[..me].iter().rev() {
        if wctx(cur, w).is_none() {
            continue;
        }
        return __ww_mutex_kill(cur, lock, ctx);
    }
    0
}

/// `__ww_mutex_add_waiter(waiter, lock, ww_ctx, wake_q)` (RT: the waiter is in the tree
/// already; the walk from `rb_last` back meets it like any other).
pub(crate) fn __ww_mutex_add_waiter(
    cur: &Task,
    lock: &WwMutex,
    b: &Base,
    _waiter: WId,
    ww_ctx: &Arc<WwAcquireCtx>,
    wake_q: &mut WakeQ,
) -> i32 {
    let is_wait_die = ww_ctx.is_wait_die;
    for w in rt::waiters_in_order(cur, b).into_iter().rev() {
        let Some(wc) = wctx(cur, w) else {
            continue;
        };
        if __ww_ctx_less(cur, ww_ctx, &wc) {
            if is_wait_die {
                let ret = __ww_mutex_kill(cur, lock, ww_ctx);
                if ret != 0 {
                    return ret;
                }
            }
            break;
        }
        __ww_mutex_die(cur, w, ww_ctx, wake_q);
    }
    if !is_wait_die {
        if !cur.machine.variant(Variant::FastpathNoMb) {
            fence(Ordering::SeqCst);
        }
        let hold = match lock.ctx.load(Ordering::Relaxed) {
            0 => None,
            id => Some(lock.class.ctx(id)),
        };
        __ww_mutex_wound(cur, lock, b, ww_ctx, hold, wake_q);
    }
    0
}

/// `ww_mutex_set_context_fastpath(lock, ctx)` (RT: `__ww_mutex_has_waiters` is
/// `rt_mutex_has_waiters`).
pub(crate) fn ww_mutex_set_context_fastpath(cur: &Task, lock: &WwMutex, ctx: &Arc<WwAcquireCtx>) {
    ww_mutex_lock_acquired(cur, lock, ctx);
    if !cur.machine.variant(Variant::FastpathNoMb) {
        fence(Ordering::SeqCst);
    }
    let b = base(cur, lock);
    if !b.rt_mutex_has_waiters(cur) {
        return;
    }
    let mut wake_q = WakeQ::new();
    rt::with_wait_lock(cur, &b, || {
        __ww_mutex_check_waiters(cur, lock, &b, ctx, &mut wake_q);
    });
    wake_q.wake_up_q(cur);
}

/// `__ww_rt_mutex_lock(lock, ww_ctx, state, ip)` minus the lockdep call (done by the
/// `ww::lock` wrapper at the same point): -EALREADY, the `wounded` reset, the
/// `rt_mutex_try_acquire` fast path, else `rt_mutex_slowlock`.
pub(crate) fn __ww_rt_mutex_lock(
    cur: &Arc<Task>,
    lock: &WwMutex,
    ctx: Option<&Arc<WwAcquireCtx>>,
    state: TaskState,
) -> i32 {
    if let Some(c) = ctx {
        if lock.ctx.load(Ordering::Relaxed) == c.id {
            return -EALREADY;
        }
        if c.acquired() == 0 {
            c.wounded.store(false, Ordering::Relaxed);
        }
    }
    let b = base(cur, lock);
    if rt::rt_mutex_try_acquire(cur, &b) {
        if let Some(c) = ctx {
            ww_mutex_set_context_fastpath(cur, lock, c);
        }
        return 0;
    }
    let ret = rt::rt_mutex_slowlock(cur, &b, ctx.map(|c| (lock, c)), ctx.is_none(), state);
    if ret == -EDEADLK
        && let Some(c) = ctx
        && c.contending() != Some(lock.uid)
    {
        cur.machine.fail(
            Property::EdeadlkBookkeeping,
            format!(
                "ww_mutex_lock({}) returned -EDEADLK to ctx#{} (stamp {}) from the rtmutex PI \
                 chain walk, without __ww_mutex_kill: contending_lock is not {}, the Wait-Die / \
                 Wound-Wait rules did not pick this victim",
                lock.name,
                c.id,
                c.stamp(),
                lock.name
            ),
        );
    }
    ret
}

/// `ww_mutex_trylock`'s base operation on RT: `__rt_mutex_trylock` (with a context) or
/// `rt_mutex_trylock` (without; the same in the model).
pub(crate) fn trylock(cur: &Task, lock: &WwMutex) -> bool {
    rt::__rt_mutex_trylock(cur, &base(cur, lock))
}

/// The base unlock of `ww_mutex_unlock` / `mutex_unlock` on RT: `__rt_mutex_unlock`.
pub(crate) fn unlock(cur: &Task, lock: &WwMutex) {
    rt::__rt_mutex_unlock(cur, &base(cur, lock));
}
