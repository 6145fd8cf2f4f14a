//! The ww_mutex API (kernel/locking/mutex.c, include/linux/ww_mutex.h): the slow path
//! `__mutex_lock_common` step by step (spec §3.3), the fast paths, deadlock injection,
//! and the client-facing calls. The API wrappers also keep the ghost state the properties
//! are checked against (who holds what, oldest context), outside the checkers' view.

use crate::model::fault::{site, spurious_return};
use crate::model::property::Property;
use crate::model::sync::atomic::Ordering;
use crate::model::sync::{Arc, yield_now};
use crate::model::task::{
    __set_current_state, Task, TaskState, WakeQ, schedule, set_current_state,
};
use crate::model::trace::{EALREADY, EDEADLK, EINTR, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::ww::algo::{
    __ww_mutex_add_waiter, __ww_mutex_check_kill, __ww_mutex_check_waiters, __ww_mutex_unlock,
    check_wait_list_order, ww_mutex_lock_acquired, ww_mutex_set_context_fastpath,
};
use crate::ww::ctx::WwAcquireCtx;
use crate::ww::lockdep_ww;
use crate::ww::mutex::{
    __clear_task_blocked_on, __set_task_blocked_on, Waiter, WaiterCtx, WwMutex,
    clear_task_blocked_on, set_task_blocked_on,
};
use std::sync::atomic::Ordering as Std;

/// `__mutex_lock_common(lock, state, ..., ww_ctx, use_ww_ctx)` for a ww_mutex
/// (use_ww_ctx = true; `ww_ctx` may be None for `ww_mutex_lock(lock, NULL)`).
fn __mutex_lock_common(
    cur: &Arc<Task>,
    lock: &WwMutex,
    state: TaskState,
    ww_ctx: Option<&Arc<WwAcquireCtx>>,
) -> i32 {
    let m = &cur.machine;
    if let Some(ctx) = ww_ctx {
        let hold = lock.ctx.load(Ordering::Relaxed);
        if hold == ctx.id || (hold != 0 && m.variant(Variant::EalreadyAnyCtx)) {
            return -EALREADY;
        }
        // Nobody can wound a context that holds no lock.
        if ctx.acquired() == 0 {
            ctx.wounded.store(false, Ordering::Relaxed);
        }
    }

    // Step 3: opportunistic trylock (optimistic spinning left out, see ww::mutex).
    if lock.__mutex_trylock(cur) {
        if let Some(ctx) = ww_ctx {
            ww_mutex_set_context_fastpath(cur, lock, ctx);
        }
        return 0;
    }

    let mut wake_q = WakeQ::new();
    let mut list = lock.lock_wait_lock(cur);
    // Step 4: after waiting for wait_lock, try again.
    if lock.__mutex_trylock(cur) {
        if let Some(ctx) = ww_ctx {
            __ww_mutex_check_waiters(cur, lock, &list, ctx, &mut wake_q);
            ww_mutex_lock_acquired(cur, lock, ctx);
        }
        drop(list);
        wake_q.wake_up_q(cur);
        return 0;
    }

    // Step 5: queue (b857174e68e2: always store the possibly-NULL context).
    let waiter = Waiter {
        task: Arc::clone(cur),
        ww_ctx: match ww_ctx {
            Some(c) => WaiterCtx::Ctx(Arc::clone(c)),
            None if m.variant(Variant::WaiterCtxPoison) => WaiterCtx::Poison,
            None => WaiterCtx::None,
        },
    };
    let waiter = match __ww_mutex_add_waiter(cur, lock, &mut list, waiter, ww_ctx, &mut wake_q) {
        Ok(w) => w,
        Err(ret) => {
            // err_early_kill:
            warn_if_blocked_on(cur);
            drop(list);
            wake_q.wake_up_q(cur);
            return ret;
        }
    };
    check_wait_list_order(cur, lock, &list);
    __set_task_blocked_on(cur, lock);

    // Steps 6-7: sleep until the lock is ours, a signal, or a kill.
    m.set_blocked(
        cur.id,
        Some((format!("ww_mutex_lock({})", lock.name), lock.uid)),
    );
    set_current_state(cur, state);
    let mut error = 0;
    loop {
        if lock.__mutex_trylock(cur) {
            break;
        }
        if cur.signal_pending_state(state) {
            error = -EINTR;
            break;
        }
        if let Some(ctx) = ww_ctx {
            let r = __ww_mutex_check_kill(cur, lock, &list, waiter, ctx);
            if r != 0 {
                error = r;
                break;
            }
        }
        // raw_spin_unlock_irqrestore_wake(): every wait_lock release that may precede
        // sleeping flushes the wake_q (variant: it does not, 4a0779145781).
        drop(list);
        if !m.variant(Variant::WakeQUnflushed) {
            wake_q.wake_up_q(cur);
        }
        cur.event(|| Ev::Sleep {
            obj: Arc::clone(&lock.name),
        });
        schedule(cur);
        cur.event(|| Ev::Woken);
        let first = lock.waiter_is_first_racy(waiter);
        // "As we likely have been woken up by task that has cleared our blocked_on
        // state, re-set it to the lock we are trying to acquire."
        set_task_blocked_on(cur, lock);
        set_current_state(cur, state);
        if lock.__mutex_trylock_or_handoff(cur, first) {
            list = lock.lock_wait_lock(cur);
            break;
        }
        if first {
            // "mutex_optimistic_spin() can call schedule(), so clear blocked on so we
            // don't become unselectable to run."
            clear_task_blocked_on(cur, lock);
            // `mutex_optimistic_spin(lock, ww_ctx, &waiter)`: the spinning is left out
            // (ww::mutex); kept is its `fail:` path when need_resched() (an explored
            // choice, site `mutex_optimistic_spin`): `__set_current_state(TASK_RUNNING);
            // schedule_preempt_disabled();`, a reschedule with no sleep, after which the
            // next loop iteration's schedule_preempt_disabled() returns at once.
            if spurious_return(cur, site::MUTEX_SPIN_NEED_RESCHED) {
                __set_current_state(cur, TaskState::Running);
                yield_now();
            }
            set_task_blocked_on(cur, lock);
        }
        list = lock.lock_wait_lock(cur);
    }
    // acquired: / err: `__clear_task_blocked_on(current, lock);
    // __set_current_state(TASK_RUNNING);`
    __clear_task_blocked_on(cur, cur, Some(lock));
    __set_current_state(cur, TaskState::Running);
    m.set_blocked(cur.id, None);
    if error != 0 {
        lock.__mutex_remove_waiter(&mut list, waiter);
        // err_early_kill:
        warn_if_blocked_on(cur);
        drop(list);
        wake_q.wake_up_q(cur);
        return error;
    }
    // Step 9: acquired.
    if let Some(ctx) = ww_ctx {
        // Wound-Wait: we stole the lock (not first waiter): anyone might want to wound us.
        if !ctx.is_wait_die && list.first_waiter != Some(waiter) {
            __ww_mutex_check_waiters(cur, lock, &list, ctx, &mut wake_q);
        }
    }
    lock.__mutex_remove_waiter(&mut list, waiter);
    // Step 10.
    if let Some(ctx) = ww_ctx {
        ww_mutex_lock_acquired(cur, lock, ctx);
    }
    drop(list);
    wake_q.wake_up_q(cur);
    0
}

/// `WARN_ON(__get_task_blocked_on(current))` at `err_early_kill:`.
fn warn_if_blocked_on(cur: &Task) {
    if let Some(b) = cur.blocked_on() {
        cur.machine.warn(
            cur.id,
            Property::BlockedOn,
            format!(
                "WARN_ON(__get_task_blocked_on(current)): {} leaves the ww_mutex slow path \
                 still blocked on {}",
                cpu_name(cur.id),
                b.name
            ),
        );
    }
}

/// `ww_mutex_deadlock_injection(lock, ctx)` (CONFIG_DEBUG_WW_MUTEX_SLOWPATH).
fn ww_mutex_deadlock_injection(cur: &Arc<Task>, lock: &WwMutex, ctx: &WwAcquireCtx) -> i32 {
    if ctx.inject_countdown.fetch_sub(1, Std::SeqCst) == 0 {
        let mut tmp = ctx.inject_interval.load(Std::SeqCst);
        tmp = if tmp > u32::MAX / 4 {
            u32::MAX
        } else {
            tmp * 2 + tmp + tmp / 2
        };
        ctx.inject_interval.store(tmp, Std::SeqCst);
        ctx.inject_countdown.store(tmp, Std::SeqCst);
        ctx.set_contending(Some(lock.uid));
        cur.event(|| {
            Ev::Note(format!(
                "ww_mutex_deadlock_injection({}): injected -EDEADLK",
                lock.name
            ))
        });
        ww_mutex_unlock(cur, lock);
        return -EDEADLK;
    }
    0
}

fn check_alive(cur: &Task, lock: &WwMutex, f: &str) {
    if lock.destroyed.load(Std::SeqCst) {
        cur.machine.fail(
            Property::UseAfterFree,
            format!("{f}({}) after ww_mutex_destroy()", lock.name),
        );
    }
}

/// Ghost bookkeeping and property checks common to every successful acquisition.
fn ghost_acquired(cur: &Task, lock: &WwMutex, ctx: Option<&WwAcquireCtx>) {
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
    lock.ghost_ctx.store(ctx.map_or(0, |c| c.id), Std::SeqCst);
}

/// Properties of a lock call's return value.
fn check_lock_return(
    cur: &Task,
    lock: &WwMutex,
    ctx: Option<&Arc<WwAcquireCtx>>,
    ret: i32,
    injected: bool,
) {
    let m = &cur.machine;
    match -ret {
        0 => ghost_acquired(cur, lock, ctx.map(|c| &**c)),
        EDEADLK => {
            let ctx = ctx.expect("-EDEADLK needs a context");
            if ctx.acquired() == 0 && !injected {
                m.fail(
                    Property::EdeadlkWithoutLocks,
                    format!(
                        "ww_mutex_lock({}) returned -EDEADLK to ctx#{} which holds no lock",
                        lock.name, ctx.id
                    ),
                );
            }
        }
        EALREADY => {
            let ctx = ctx.expect("-EALREADY needs a context");
            let holder = m.holder(lock.uid);
            if holder != Some(cur.id) || lock.ghost_ctx.load(Std::SeqCst) != ctx.id {
                m.fail(
                    Property::EalreadyMisuse,
                    format!(
                        "ww_mutex_lock({}) returned -EALREADY to ctx#{} which does not hold it (held by {})",
                        lock.name,
                        ctx.id,
                        holder.map_or("nobody".to_string(), cpu_name)
                    ),
                );
            }
        }
        _ => {}
    }
}

fn ww_mutex_lock_state(
    cur: &Arc<Task>,
    lock: &WwMutex,
    ctx: Option<&Arc<WwAcquireCtx>>,
    state: TaskState,
    f: &'static str,
) -> i32 {
    check_alive(cur, lock, f);
    cur.event(|| Ev::Call {
        f,
        obj: Arc::clone(&lock.name),
        ctx: ctx.map(|c| (c.id, c.stamp())),
    });
    // `mutex_acquire_nest(&lock->dep_map, 0, 0, &ctx->dep_map)` at the start of
    // `__mutex_lock_common`, after the -EALREADY return (this context holds the lock).
    let ealready = ctx.is_some_and(|c| {
        lock.ghost_ctx.load(Std::SeqCst) == c.id && cur.machine.holder(lock.uid) == Some(cur.id)
    });
    if !ealready {
        lockdep_ww::mutex_acquire(cur, lock, ctx.map(|c| &**c), false);
    }
    // CONFIG_PREEMPT_RT: ww_rt_mutex.c (no deadlock injection there).
    let rt = crate::ww::rt_mutex::preempt_rt(&cur.machine);
    let debug_build = cur.machine.opts.inject_edeadlk && !rt;
    let mut ret = if rt {
        crate::ww::ww_rt::__ww_rt_mutex_lock(cur, lock, ctx, state)
    } else if !debug_build && lock.__mutex_trylock_fast(cur) {
        if let Some(ctx) = ctx {
            ww_mutex_set_context_fastpath(cur, lock, ctx);
        }
        0
    } else {
        __mutex_lock_common(cur, lock, state, ctx)
    };
    let mut injected = false;
    if ret == 0 {
        check_lock_return(cur, lock, ctx, 0, false);
        if debug_build && let Some(c) = ctx.filter(|c| c.acquired() > 1) {
            ret = ww_mutex_deadlock_injection(cur, lock, c);
            injected = ret != 0;
        }
    }
    if ret != 0 {
        // The failed attempt leaves no held lock (`mutex_release` on the error path; the
        // injected -EDEADLK went through ww_mutex_unlock); its dependencies stay.
        if !ealready && !injected {
            cur.machine.lockdep.release(cur, lock.class.mutex_name);
        }
        check_lock_return(cur, lock, ctx, ret, injected);
    }
    cur.event(|| Ev::Ret {
        f,
        obj: Arc::clone(&lock.name),
        ret,
    });
    ret
}

/// `ww_mutex_lock(lock, ctx)`: 0, -EALREADY or -EDEADLK (ctx may be None: a plain lock).
pub fn ww_mutex_lock(cur: &Arc<Task>, lock: &WwMutex, ctx: Option<&Arc<WwAcquireCtx>>) -> i32 {
    ww_mutex_lock_state(cur, lock, ctx, TaskState::Uninterruptible, "ww_mutex_lock")
}

/// `ww_mutex_lock_interruptible(lock, ctx)`: also -EINTR when a signal is pending.
pub fn ww_mutex_lock_interruptible(
    cur: &Arc<Task>,
    lock: &WwMutex,
    ctx: Option<&Arc<WwAcquireCtx>>,
) -> i32 {
    ww_mutex_lock_state(
        cur,
        lock,
        ctx,
        TaskState::Interruptible,
        "ww_mutex_lock_interruptible",
    )
}

/// `DEBUG_LOCKS_WARN_ON(!ctx->contending_lock)` of the `_slow` calls (a WARN).
fn check_slow_preceded(cur: &Task, lock: &WwMutex, ctx: &WwAcquireCtx, f: &str) {
    if ctx.contending().is_none() {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::ClientProtocol,
            format!(
                "DEBUG_LOCKS_WARN_ON(!ctx->contending_lock): {f}({}) by ctx#{} without a preceding -EDEADLK",
                lock.name, ctx.id
            ),
        );
    }
}

/// `ww_mutex_lock_slow(lock, ctx)`: void; must follow -EDEADLK with nothing held. The
/// kernel discards the return value (`(void)ret`), and so does the model: whatever a
/// misuse makes it return is already flagged by DEBUG_WW_MUTEXES (a second -EDEADLK
/// warns in `__ww_mutex_kill`; a slow lock of a lock the context holds gives -EALREADY,
/// which the kernel does not flag, and neither does the model).
pub fn ww_mutex_lock_slow(cur: &Arc<Task>, lock: &WwMutex, ctx: &Arc<WwAcquireCtx>) {
    check_slow_preceded(cur, lock, ctx, "ww_mutex_lock_slow");
    let _ = ww_mutex_lock_state(
        cur,
        lock,
        Some(ctx),
        TaskState::Uninterruptible,
        "ww_mutex_lock_slow",
    );
}

/// `ww_mutex_lock_slow_interruptible(lock, ctx)`: 0 or -EINTR.
pub fn ww_mutex_lock_slow_interruptible(
    cur: &Arc<Task>,
    lock: &WwMutex,
    ctx: &Arc<WwAcquireCtx>,
) -> i32 {
    check_slow_preceded(cur, lock, ctx, "ww_mutex_lock_slow_interruptible");
    ww_mutex_lock_state(
        cur,
        lock,
        Some(ctx),
        TaskState::Interruptible,
        "ww_mutex_lock_slow_interruptible",
    )
}

/// `ww_mutex_trylock(lock, ctx)`: one attempt, no stamp logic, never -EALREADY (fails on
/// a lock this context already holds).
pub fn ww_mutex_trylock(cur: &Arc<Task>, lock: &WwMutex, ctx: Option<&Arc<WwAcquireCtx>>) -> bool {
    check_alive(cur, lock, "ww_mutex_trylock");
    if let Some(ctx) = ctx
        && ctx.acquired() == 0
    {
        ctx.wounded.store(false, Ordering::Relaxed);
    }
    let rt = crate::ww::rt_mutex::preempt_rt(&cur.machine);
    let ok = if rt {
        crate::ww::ww_rt::trylock(cur, lock)
    } else {
        lock.__mutex_trylock(cur)
    };
    if ok {
        if let Some(ctx) = ctx {
            if rt {
                crate::ww::ww_rt::ww_mutex_set_context_fastpath(cur, lock, ctx);
            } else {
                ww_mutex_set_context_fastpath(cur, lock, ctx);
            }
        }
        // `mutex_acquire_nest(&ww->base.dep_map, 0, 1, &ww_ctx->dep_map)` /
        // `mutex_trylock`'s `mutex_acquire(.., 0, 1, ..)`: a trylock, never checked.
        lockdep_ww::mutex_acquire(cur, lock, ctx.map(|c| &**c), true);
        ghost_acquired(cur, lock, ctx.map(|c| &**c));
    }
    cur.event(|| Ev::Ret {
        f: "ww_mutex_trylock",
        obj: Arc::clone(&lock.name),
        ret: ok as i32,
    });
    ok
}

/// Ghost bookkeeping of an unlock, and the owner check (`MUTEX_WARN_ON(__owner_task(owner)
/// != current)` of `__mutex_unlock_slowpath` and lockdep's bad unlock balance, a WARN),
/// then `mutex_release(&lock->dep_map)`.
fn ghost_release(cur: &Task, lock: &WwMutex, f: &str) {
    let holder = cur.machine.holder(lock.uid);
    if holder != Some(cur.id) {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::UnlockNotOwner,
            format!(
                "{f}({}) by {} but it is {}",
                lock.name,
                cpu_name(cur.id),
                holder.map_or("not locked".to_string(), |h| format!(
                    "held by {}",
                    cpu_name(h)
                ))
            ),
        );
    }
    if holder == Some(cur.id) {
        cur.machine.set_holder(lock.uid, None);
        lock.ghost_ctx.store(0, Std::SeqCst);
    }
    lockdep_ww::mutex_release(cur, lock);
}

/// `ww_mutex_unlock(lock)`: detach the context, then release the base mutex.
pub fn ww_mutex_unlock(cur: &Arc<Task>, lock: &WwMutex) {
    check_alive(cur, lock, "ww_mutex_unlock");
    cur.event(|| Ev::Call {
        f: "ww_mutex_unlock",
        obj: Arc::clone(&lock.name),
        ctx: None,
    });
    ghost_release(cur, lock, "ww_mutex_unlock");
    __ww_mutex_unlock(cur, lock);
    base_unlock(cur, lock);
}

/// `mutex_unlock(&ww->base)`: the wrong unlock function for a ww_mutex (leaves ww->ctx
/// set); offered so broken clients can be modelled.
pub fn mutex_unlock(cur: &Arc<Task>, lock: &WwMutex) {
    cur.event(|| Ev::Call {
        f: "mutex_unlock",
        obj: Arc::clone(&lock.name),
        ctx: None,
    });
    ghost_release(cur, lock, "mutex_unlock");
    base_unlock(cur, lock);
}

/// The base mutex's unlock: `mutex_unlock`, or on PREEMPT_RT `__rt_mutex_unlock`.
fn base_unlock(cur: &Arc<Task>, lock: &WwMutex) {
    if crate::ww::rt_mutex::preempt_rt(&cur.machine) {
        crate::ww::ww_rt::unlock(cur, lock);
    } else {
        lock.mutex_unlock(cur);
    }
}

/// `ww_mutex_is_locked(lock)`: an owner task exists (flags ignored; says nothing of ctx).
pub fn ww_mutex_is_locked(lock: &WwMutex) -> bool {
    lock.__mutex_owner() != 0
}

/// `ww_mutex_destroy(lock)`: `mutex_destroy` (debug: `DEBUG_LOCKS_WARN_ON(mutex_is_locked)`,
/// a WARN; poisons magic).
pub fn ww_mutex_destroy(cur: &Task, lock: &WwMutex) {
    if ww_mutex_is_locked(lock) {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::ClientProtocol,
            format!("ww_mutex_destroy({}) while it is locked", lock.name),
        );
    }
    lock.destroyed.store(true, Std::SeqCst);
}
