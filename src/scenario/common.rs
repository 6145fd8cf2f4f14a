//! Building blocks shared by the scenarios: the standard back-off transaction, the
//! end-of-run checks, expectations.

use crate::model::Machine;
use crate::model::property::Property;
use crate::model::sync::{Arc, yield_now};
use crate::model::task::Task;
use crate::model::trace::{EDEADLK, errno_name};
use crate::ww::{
    WwClass, WwMutex, ww_acquire_done, ww_acquire_fini, ww_acquire_init, ww_mutex_is_locked,
    ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_unlock,
};

/// Fail the execution with an `expectation` failure unless `cond` holds.
pub fn expect(m: &Machine, cond: bool, what: impl FnOnce() -> String) {
    if !cond {
        m.fail(Property::Expectation, what());
    }
}

/// `expect` that a kernel call returned 0; the report reads "`what`: -EXXX".
pub fn expect_ok(m: &Machine, ret: i32, what: impl FnOnce() -> String) {
    if ret != 0 {
        m.fail(
            Property::Expectation,
            format!("{}: {}", what(), crate::model::trace::errno_name(ret)),
        );
    }
}

/// [`expect_ok`] for a call whose failure may be an injected one: a non-zero `ret` is
/// accepted exactly when a failure was injected into this task in this execution (the
/// kernel caller sees that error, or one it maps it to, and returns it).
pub fn expect_ok_or_injected(cur: &Task, ret: i32, what: impl FnOnce() -> String) {
    if ret != 0 && !crate::model::fault::task_saw_injection(cur) {
        cur.machine.fail(
            Property::Expectation,
            format!(
                "{}: {} (no failure was injected into {})",
                what(),
                crate::model::trace::errno_name(ret),
                crate::model::trace::cpu_name(cur.id)
            ),
        );
    }
}

/// `dummy_load()` of test-ww_mutex: hold the locks for a while (a scheduling point).
pub fn dummy_load() {
    yield_now();
}

/// One transaction with the standard back-off of the design doc (method 1, as
/// test-ww_mutex's stress_inorder_work): lock in order; on -EDEADLK unlock everything,
/// `ww_mutex_lock_slow` the contended lock, and retry with the same ticket, skipping it.
/// Returns the number of back-offs.
pub fn inorder_transaction(t: &Arc<Task>, class: &Arc<WwClass>, locks: &[Arc<WwMutex>]) -> usize {
    let ctx = ww_acquire_init(t, class);
    let mut contended: Option<usize> = None;
    let mut backoffs = 0;
    loop {
        let mut held: Vec<usize> = Vec::new();
        if let Some(c) = contended {
            held.push(c);
        }
        let mut failed = None;
        for (i, l) in locks.iter().enumerate() {
            if Some(i) == contended {
                continue;
            }
            let ret = ww_mutex_lock(t, l, Some(&ctx));
            if ret == -EDEADLK {
                failed = Some(i);
                break;
            }
            expect(&t.machine, ret == 0, || {
                format!(
                    "stress_inorder: ww_mutex_lock({}) returned {}",
                    l.name,
                    errno_name(ret)
                )
            });
            held.push(i);
        }
        match failed {
            None => break,
            Some(i) => {
                backoffs += 1;
                for h in held.iter().rev() {
                    ww_mutex_unlock(t, &locks[*h]);
                }
                ww_mutex_lock_slow(t, &locks[i], &ctx);
                contended = Some(i);
            }
        }
    }
    ww_acquire_done(t, &ctx);
    dummy_load();
    for l in locks.iter().rev() {
        ww_mutex_unlock(t, l);
    }
    ww_acquire_fini(t, &ctx);
    backoffs
}

/// One transaction of test-ww_mutex's stress_reorder_work (design doc method 2): on
/// -EDEADLK unlock the ones before it, slow-lock the contended one and move it to the
/// head of the list, then restart the iteration.
pub fn reorder_transaction(t: &Arc<Task>, class: &Arc<WwClass>, order: &mut Vec<Arc<WwMutex>>) {
    let ctx = ww_acquire_init(t, class);
    let mut i = 0;
    let mut slow_locked_head = false;
    while i < order.len() {
        if slow_locked_head && i == 0 {
            i = 1;
            continue;
        }
        let ret = ww_mutex_lock(t, &order[i], Some(&ctx));
        if ret == 0 {
            i += 1;
            continue;
        }
        for l in order[..i].iter().rev() {
            ww_mutex_unlock(t, l);
        }
        expect(&t.machine, ret == -EDEADLK, || {
            format!(
                "stress_reorder: ww_mutex_lock({}) returned {}",
                order[i].name,
                errno_name(ret)
            )
        });
        ww_mutex_lock_slow(t, &order[i], &ctx);
        let l = order.remove(i);
        order.insert(0, l);
        slow_locked_head = true;
        i = 0;
    }
    dummy_load();
    for l in order.iter() {
        ww_mutex_unlock(t, l);
    }
    ww_acquire_fini(t, &ctx);
}

/// End of run: every lock free (owner word, ww->ctx and ghost holder).
pub fn check_quiescent(m: &Machine, locks: &[Arc<WwMutex>]) {
    for l in locks {
        expect(
            m,
            !ww_mutex_is_locked(l) && m.holder(l.uid).is_none(),
            || format!("{} is still locked at the end of the scenario", l.name),
        );
    }
}

/// `n` locks named `prefix0..`.
pub fn locks(m: &Machine, class: &Arc<WwClass>, prefix: &str, n: usize) -> Vec<Arc<WwMutex>> {
    (0..n)
        .map(|i| WwMutex::new(m, &format!("{prefix}{i}"), class))
        .collect()
}
