//! The wound/wait algorithms (kernel/locking/ww_mutex.h, non-RT, with the wake_q of
//! 894d1b3db41c): `ww_mutex_lock_acquired` with its DEBUG_WW_MUTEXES checks,
//! `__ww_mutex_die`, `__ww_mutex_wound`, `__ww_mutex_check_waiters`,
//! `ww_mutex_set_context_fastpath`, `__ww_mutex_kill`, `__ww_mutex_check_kill`,
//! `__ww_mutex_add_waiter`, `__ww_mutex_unlock`, and the v7.1-rc1 ring iterators
//! `__ww_waiter_first/next/prev/last` every scan uses. All but the fast path run with the
//! lock's wait_lock held (the caller passes the guarded list). Die and wound clear the
//! woken task's `blocked_on` first (v6.17; wound with NULL since 21924af67d69).

use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::sync::atomic::{Ordering, fence};
use crate::model::task::{Task, WakeQ};
use crate::model::trace::{EDEADLK, cpu_name};
use crate::model::variants::Variant;
use crate::ww::ctx::{WwAcquireCtx, ww_ctx_less};
use crate::ww::lockdep_ww::debug_locks_warn;
use crate::ww::mutex::{
    __clear_task_blocked_on, MUTEX_FLAG_WAITERS, WaitList, Waiter, WaiterId, WwMutex,
};

fn less(cur: &Task, a: &WwAcquireCtx, b: &WwAcquireCtx) -> bool {
    ww_ctx_less(a, b, cur.machine.variant(Variant::StampNoWrap))
}

/// `__ww_waiter_first(lock)`: `lock->first_waiter` (v7.1-rc1 headless ring).
pub(crate) fn __ww_waiter_first(list: &WaitList) -> Option<WaiterId> {
    list.first_waiter
}

/// `__ww_waiter_next(lock, w)`: the successor, NULL once the ring comes back to the first.
pub(crate) fn __ww_waiter_next(list: &WaitList, w: WaiterId) -> Option<WaiterId> {
    let w = list.list_next_entry(w);
    (list.first_waiter != Some(w)).then_some(w)
}

/// `__ww_waiter_prev(lock, w)`: the predecessor, NULL when `w` is the first (0adc92b910b3).
/// Variant `first-waiter-2026` (25500ba7e77c): step back first, then stop when the
/// predecessor is the first, so a backward walk never yields the first waiter.
pub(crate) fn __ww_waiter_prev(cur: &Task, list: &WaitList, w: WaiterId) -> Option<WaiterId> {
    if cur.machine.variant(Variant::FirstWaiter2026) {
        let w = list.list_prev_entry(w);
        return (list.first_waiter != Some(w)).then_some(w);
    }
    if list.first_waiter == Some(w) {
        return None;
    }
    Some(list.list_prev_entry(w))
}

/// `__ww_waiter_last(lock)`: the first waiter's predecessor (the ring's tail).
pub(crate) fn __ww_waiter_last(list: &WaitList) -> Option<WaiterId> {
    list.first_waiter.map(|w| list.list_prev_entry(w))
}

/// `ww_mutex_lock_acquired(ww, ww_ctx)`: the DEBUG_WW_MUTEXES checks (each one a
/// `DEBUG_LOCKS_WARN_ON`: a `client-protocol` WARN with the kernel's meaning, after which
/// the execution continues), then `acquired++`, `ww->ctx = ctx`.
///
/// What DEBUG_WW_MUTEXES flags after an -EDEADLK, exactly (kernel/locking/ww_mutex.h,
/// include/linux/ww_mutex.h): `contending_lock` is set by `__ww_mutex_kill` (a second
/// -EDEADLK while it is set warns), and cleared only here, by the next *successful*
/// acquisition with that context (lock, lock_slow, interruptible or ctx-trylock), or by
/// `ww_acquire_init`; that acquisition must be of the contended lock and with nothing
/// else held (`acquired == 0`). So the kernel-doc's "opt not to acquire the contended
/// lock, back off and proceed" is flagged as soon as the same context acquires any other
/// ww_mutex; proceeding with a fresh context (`ww_acquire_fini` + `ww_acquire_init`) or
/// without one is not. Unlocking, `ww_acquire_fini` and failed attempts do not touch it.
pub(crate) fn ww_mutex_lock_acquired(cur: &Task, ww: &WwMutex, ctx: &WwAcquireCtx) {
    let warn = |msg: String| debug_locks_warn(cur, Property::ClientProtocol, msg);
    if ww.ctx.load(Ordering::Relaxed) != 0 {
        warn(format!(
            "{} acquired {} with ww->ctx still set: it was released with mutex_unlock() \
                 instead of ww_mutex_unlock()",
            cpu_name(cur.id),
            ww.name
        ));
    }
    if ctx.done_acquire.load(std::sync::atomic::Ordering::SeqCst) {
        warn(format!(
            "ctx#{} locked {} after ww_acquire_done/fini",
            ctx.id, ww.name
        ));
    }
    if let Some(contending) = ctx.contending() {
        if contending != ww.uid {
            warn(format!(
                "ctx#{} acquired {} after -EDEADLK on another ww_mutex without first \
                     slow-locking the contended one",
                ctx.id, ww.name
            ));
        }
        if ctx.acquired() > 0 {
            warn(format!(
                "ctx#{} re-locked contended {} after -EDEADLK while still holding {} \
                     lock(s): it forgot to unlock everything first",
                ctx.id,
                ww.name,
                ctx.acquired()
            ));
        }
        ctx.set_contending(None);
    }
    if ctx.class_id != ww.class.id {
        warn(format!(
            "ctx#{} of another ww_class locked {}",
            ctx.id, ww.name
        ));
    }
    ctx.acquired
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    ww.ctx.store(ctx.id, Ordering::Relaxed);
}

/// `__ww_mutex_die(lock, waiter, ww_ctx, wake_q)`: Wait-Die; queue a wakeup of a younger
/// waiter that holds locks so it can die. Returns true for Wait-Die either way (stop).
pub(crate) fn __ww_mutex_die(
    cur: &Task,
    lock: &WwMutex,
    waiter: &Waiter,
    ww_ctx: &WwAcquireCtx,
    wake_q: &mut WakeQ,
) -> bool {
    if !ww_ctx.is_wait_die {
        return false;
    }
    let wctx = waiter
        .ctx(cur)
        .expect("die is only called for context waiters");
    if wctx.acquired() > 0
        && less(cur, wctx, ww_ctx)
        && !cur.machine.variant(Variant::NoBackoffWake)
    {
        // `__clear_task_blocked_on(waiter->task, lock); wake_q_add(wake_q, waiter->task);`
        if !cur.machine.variant(Variant::DropDieClear) {
            __clear_task_blocked_on(cur, &waiter.task, Some(lock));
        }
        wake_q.add(&waiter.task, "__ww_mutex_die");
    }
    true
}

/// `__ww_mutex_wound(lock, ww_ctx, hold_ctx, wake_q)`: Wound-Wait; wound a younger holder
/// (set `wounded`, queue a wakeup of the owner unless it is us).
pub(crate) fn __ww_mutex_wound(
    cur: &Task,
    lock: &WwMutex,
    ww_ctx: &WwAcquireCtx,
    hold_ctx: Option<Arc<WwAcquireCtx>>,
    wake_q: &mut WakeQ,
) -> bool {
    let owner = lock.__mutex_owner();
    // Racing ww_mutex_set_context_fastpath: it will redo the check.
    let Some(hold) = hold_ctx else {
        return false;
    };
    // Unlock in progress (__mutex_unlock_slowpath).
    if owner == 0 {
        return false;
    }
    if ww_ctx.acquired() > 0 && less(cur, &hold, ww_ctx) {
        if lock.class.is_oldest(&hold) {
            cur.machine.fail(
                Property::OldestKilled,
                format!(
                    "ctx#{} (stamp {}) wounded ctx#{} (stamp {}), the oldest live context, on {}",
                    ww_ctx.id,
                    ww_ctx.stamp(),
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
            // "When waking up the task to wound, be sure to clear the blocked_on pointer
            // ... We pass NULL here instead of lock, because we are waking the mutex
            // owner, who may be currently blocked on a different mutex." (21924af67d69;
            // variant wound-clear-blocked-on-lock: a4f0b6fef4b0 passed `lock`).
            if !cur.machine.variant(Variant::DropWoundClear) {
                let m = cur
                    .machine
                    .variant(Variant::WoundClearBlockedOnLock)
                    .then_some(lock);
                __clear_task_blocked_on(cur, &t, m);
            }
            wake_q.add(&t, "__ww_mutex_wound");
        }
        return true;
    }
    false
}

/// `__ww_mutex_check_waiters(lock, ww_ctx, wake_q)`: we just became the holder; wake the
/// first context waiter if it must die (Wait-Die) or let the first older one wound us.
pub(crate) fn __ww_mutex_check_waiters(
    cur: &Task,
    lock: &WwMutex,
    list: &WaitList,
    ww_ctx: &Arc<WwAcquireCtx>,
    wake_q: &mut WakeQ,
) {
    let mut it = __ww_waiter_first(list);
    while let Some(id) = it {
        it = __ww_waiter_next(list, id);
        let w = list.get(id);
        let Some(wctx) = w.ctx(cur) else {
            continue;
        };
        if __ww_mutex_die(cur, lock, w, ww_ctx, wake_q)
            || __ww_mutex_wound(cur, lock, wctx, Some(Arc::clone(ww_ctx)), wake_q)
        {
            break;
        }
    }
}

/// `ww_mutex_set_context_fastpath(lock, ctx)`: publish ctx, full barrier, then if WAITERS
/// is set check the waiters under wait_lock (the store-buffering pair of spec §3.7).
pub(crate) fn ww_mutex_set_context_fastpath(cur: &Task, lock: &WwMutex, ctx: &Arc<WwAcquireCtx>) {
    ww_mutex_lock_acquired(cur, lock, ctx);
    if !cur.machine.variant(Variant::FastpathNoMb) {
        fence(Ordering::SeqCst);
    }
    if lock.owner.load(Ordering::Relaxed) & MUTEX_FLAG_WAITERS == 0 {
        return;
    }
    let mut wake_q = WakeQ::new();
    let list = lock.lock_wait_lock(cur);
    __ww_mutex_check_waiters(cur, lock, &list, ctx, &mut wake_q);
    drop(list);
    wake_q.wake_up_q(cur);
}

/// `__ww_mutex_kill(lock, ww_ctx)`: -EDEADLK only for a context holding locks; records
/// `contending_lock` (debug warns if one is already recorded).
pub(crate) fn __ww_mutex_kill(cur: &Task, lock: &WwMutex, ctx: &WwAcquireCtx) -> i32 {
    if ctx.acquired() > 0 || cur.machine.variant(Variant::KillWithoutLocks) {
        if ctx.acquired() == 0 {
            cur.machine.fail(
                Property::EdeadlkWithoutLocks,
                format!(
                    "{} decides -EDEADLK for ctx#{} which holds no lock",
                    lock.name, ctx.id
                ),
            );
        }
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
        check_oldest_not_killed(cur, lock, ctx);
        return -EDEADLK;
    }
    0
}

/// Property at the kill decision (wait_lock held): Wait-Die never kills the oldest live
/// context. For Wound-Wait the kill comes from `wounded`, and the oldest is never newly
/// wounded (checked in `__ww_mutex_wound`); a kill of the oldest can only come from a
/// wound received before it became the oldest. Mainline does not clear that flag when the
/// back-off re-acquires through the fast path (the reset lives in the slow path only), so
/// such a stale wound can kill the oldest more than once: docs/findings.md.
fn check_oldest_not_killed(cur: &Task, lock: &WwMutex, ctx: &WwAcquireCtx) {
    use std::sync::atomic::Ordering::SeqCst;
    if !ctx.is_wait_die {
        // Finding (strict scenarios only): a kill by a wound received before the last
        // back-off, which the slow path would have cleared but the fast path kept.
        if cur.machine.opts.strict_ww_oldest
            && ctx.wound_epoch.load(SeqCst) < ctx.backoff_epoch.load(SeqCst)
        {
            cur.machine.fail(
                Property::OldestKilled,
                format!(
                    "Wound-Wait kills ctx#{} (stamp {}) on {} with a stale wound: it was wounded \
                     before its last back-off and re-acquired through the fast path, which does not \
                     reset ctx->wounded",
                    ctx.id,
                    ctx.stamp(),
                    lock.name
                ),
            );
        }
        return;
    }
    if !lock.class.is_oldest(ctx) {
        return;
    }
    ctx.retries_while_oldest.fetch_add(1, SeqCst);
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

/// `__ww_mutex_check_kill(lock, waiter, ctx)`: Wound-Wait dies when wounded; Wait-Die
/// when the holder or any context waiter ahead of us is older (walking back from our
/// waiter with `__ww_waiter_prev`).
pub(crate) fn __ww_mutex_check_kill(
    cur: &Task,
    lock: &WwMutex,
    list: &WaitList,
    waiter: WaiterId,
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
    if hold != 0 && less(cur, ctx, &lock.class.ctx(hold)) {
        return __ww_mutex_kill(cur, lock, ctx);
    }
    let mut it = __ww_waiter_prev(cur, list, waiter);
    while let Some(id) = it {
        it = __ww_waiter_prev(cur, list, id);
        if list.get(id).ctx(cur).is_none() {
            continue;
        }
        return __ww_mutex_kill(cur, lock, ctx);
    }
    0
}

/// `__ww_mutex_add_waiter(waiter, lock, ww_ctx, wake_q)`: stamp-ordered insertion
/// (context-less waiters FIFO), walking back from `__ww_waiter_last` with
/// `__ww_waiter_prev`; Wait-Die early kill, die wakeups of younger waiters, and for
/// Wound-Wait the barrier + wound of a younger holder. Returns the queued waiter, or the
/// -EDEADLK of the early kill (nothing queued).
pub(crate) fn __ww_mutex_add_waiter(
    cur: &Task,
    lock: &WwMutex,
    list: &mut WaitList,
    waiter: Waiter,
    ww_ctx: Option<&Arc<WwAcquireCtx>>,
    wake_q: &mut WakeQ,
) -> Result<WaiterId, i32> {
    let Some(ctx) = ww_ctx else {
        return Ok(lock.__mutex_add_waiter(cur, list, waiter, None));
    };
    let is_wait_die = ctx.is_wait_die;
    let mut pos = None;
    if !cur.machine.variant(Variant::FifoWaiters) {
        let mut it = __ww_waiter_last(list);
        while let Some(id) = it {
            it = __ww_waiter_prev(cur, list, id);
            let Some(cur_ctx) = list.get(id).ctx(cur) else {
                continue;
            };
            if less(cur, ctx, cur_ctx) {
                if is_wait_die {
                    let ret = __ww_mutex_kill(cur, lock, ctx);
                    if ret != 0 {
                        return Err(ret);
                    }
                }
                break;
            }
            pos = Some(id);
            __ww_mutex_die(cur, lock, list.get(id), ctx, wake_q);
        }
    }
    let id = lock.__mutex_add_waiter(cur, list, waiter, pos);
    if !is_wait_die {
        if !cur.machine.variant(Variant::FastpathNoMb) {
            fence(Ordering::SeqCst);
        }
        let hold = match lock.ctx.load(Ordering::Relaxed) {
            0 => None,
            id => Some(lock.class.ctx(id)),
        };
        __ww_mutex_wound(cur, lock, ctx, hold, wake_q);
    }
    Ok(id)
}

/// `__ww_mutex_unlock(lock)`: detach the holder context (debug warns when its count is
/// already 0).
pub(crate) fn __ww_mutex_unlock(cur: &Task, lock: &WwMutex) {
    let id = lock.ctx.load(Ordering::Relaxed);
    if id != 0 {
        let ctx = lock.class.ctx(id);
        let n = ctx.acquired();
        if n == 0 {
            debug_locks_warn(
                cur,
                Property::ClientProtocol,
                format!(
                    "ww_mutex_unlock({}): holder ctx#{} has acquired == 0",
                    lock.name, ctx.id
                ),
            );
        }
        // `if (lock->ctx->acquired > 0) lock->ctx->acquired--;`
        ctx.acquired
            .store(n.saturating_sub(1), std::sync::atomic::Ordering::SeqCst);
        lock.ctx.store(0, Ordering::Relaxed);
    }
}

/// Invariant (1) of ww-mutex-design: context waiters sorted by stamp, oldest first, in
/// the order every iterator reads the ring (from `first_waiter` on), checked under
/// wait_lock after every insertion, by ticket issue order.
pub(crate) fn check_wait_list_order(cur: &Task, lock: &WwMutex, list: &WaitList) {
    let ctxs: Vec<&Arc<WwAcquireCtx>> = list
        .ghost_order()
        .into_iter()
        .filter_map(|w| w.ghost_ctx())
        .collect();
    for pair in ctxs.windows(2) {
        if ww_ctx_less(pair[0], pair[1], false) {
            let order: Vec<String> = ctxs
                .iter()
                .map(|c| format!("ctx#{}(stamp {})", c.id, c.stamp()))
                .collect();
            cur.machine.fail(
                Property::WaitListOrder,
                format!(
                    "wait list of {} not in stamp order: {}",
                    lock.name,
                    order.join(", ")
                ),
            );
        }
    }
}
