//! Broken clients: each client-protocol rule and the memory-safety checks fire.

use crate::engine::run_sequential;
use crate::model::property::{ModelFailure, Property};
use crate::model::sync::Arc;
use crate::model::trace::{EDEADLK, Record};
use crate::model::{Machine, Options, Task, VariantSet};
use crate::ww::*;

/// Run a single-task client and return the failure it caused, if any.
fn misuse(
    client: impl Fn(&Arc<Machine>, &Arc<Task>, &Arc<WwClass>) + Send + Sync + 'static,
) -> Option<ModelFailure> {
    let rec = Arc::new(Record::new(true));
    let r2 = Arc::clone(&rec);
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let rec = Arc::clone(&r2);
        crate::engine::quietly(|| {
            run_sequential(move || {
                let m = Machine::new(VariantSet::NONE, Options::default(), Arc::clone(&rec));
                let t = m.new_task("main");
                let class = WwClass::new("c", Algo::WaitDie, 0);
                client(&m, &t, &class);
                // A WARN that led to nothing else is the failure (engine::run_one).
                m.raise_warnings();
            })
        })
    }));
    // After a WARN the execution went on: the first WARN is what is reported.
    out.err().map(|_| {
        rec.warnings()
            .into_iter()
            .next()
            .or_else(|| rec.failure())
            .expect("a model failure was recorded")
    })
}

fn property(
    client: impl Fn(&Arc<Machine>, &Arc<Task>, &Arc<WwClass>) + Send + Sync + 'static,
) -> Option<Property> {
    misuse(client).map(|f| f.property)
}

#[test]
fn a_correct_client_is_clean() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let ctx = ww_acquire_init(t, c);
            assert_eq!(ww_mutex_lock(t, &a, Some(&ctx)), 0);
            ww_acquire_done(t, &ctx);
            ww_mutex_unlock(t, &a);
            ww_acquire_fini(t, &ctx);
        }),
        None
    );
}

#[test]
fn lock_after_done() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let ctx = ww_acquire_init(t, c);
            ww_acquire_done(t, &ctx);
            ww_mutex_lock(t, &a, Some(&ctx));
        }),
        Some(Property::ClientProtocol)
    );
}

#[test]
fn fini_with_locks_held() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let ctx = ww_acquire_init(t, c);
            ww_mutex_lock(t, &a, Some(&ctx));
            ww_acquire_fini(t, &ctx);
        }),
        Some(Property::ClientProtocol)
    );
}

#[test]
fn lock_slow_without_edeadlk() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let ctx = ww_acquire_init(t, c);
            ww_mutex_lock_slow(t, &a, &ctx);
        }),
        Some(Property::ClientProtocol)
    );
}

#[test]
fn released_with_mutex_unlock() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let ctx = ww_acquire_init(t, c);
            ww_mutex_lock(t, &a, Some(&ctx));
            mutex_unlock(t, &a);
            ww_mutex_lock(t, &a, Some(&ctx));
        }),
        Some(Property::ClientProtocol)
    );
}

#[test]
fn unlock_of_unlocked_lock() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            ww_mutex_unlock(t, &a);
        }),
        Some(Property::UnlockNotOwner)
    );
}

#[test]
fn use_after_destroy() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            ww_mutex_destroy(t, &a);
            ww_mutex_lock(t, &a, None);
        }),
        Some(Property::UseAfterFree)
    );
}

#[test]
fn gem_object_used_after_final_put() {
    assert_eq!(
        property(|m, t, _| {
            let class = WwClass::reservation();
            let bo = GemObject::new(m, "bo0", &class);
            exec::drm_gem_object_put(t, &bo);
            let mut exec = DrmExec::init(t, &class, 0);
            exec.until_all_locked(|exec| {
                let _ = exec.lock_obj(&bo);
                std::ops::ControlFlow::Continue(())
            });
        }),
        Some(Property::UseAfterFree)
    );
}

#[test]
fn stamps_compare_with_wrap() {
    assert_eq!(
        property(|_, t, _| {
            let class = WwClass::new("wrap", Algo::WaitDie, u64::MAX - 1);
            let old = ww_acquire_init(t, &class);
            // A second context of the class in one task is a lockdep splat; only the
            // stamps matter here, so take it in a second task.
            let t2 = t.machine.new_task("second");
            let young = ww_acquire_init(&t2, &class);
            assert_eq!(old.stamp(), u64::MAX);
            assert_eq!(young.stamp(), 0);
            assert!(
                ctx::ww_ctx_less(&young, &old, false),
                "0 is younger than u64::MAX across the wrap"
            );
            assert!(!ctx::ww_ctx_less(&old, &young, false));
            assert!(
                ctx::ww_ctx_less(&old, &young, true),
                "raw comparison gets it backwards"
            );
            ww_acquire_fini(t, &old);
            ww_acquire_fini(&t2, &young);
        }),
        None
    );
}

#[test]
fn edeadlk_constant_is_the_kernel_value() {
    assert_eq!(EDEADLK, 35);
}

// ------------------------------------------------------------------ lockdep in the ww layer

#[test]
fn second_context_of_a_class_in_one_task() {
    assert_eq!(
        property(|_, t, c| {
            let _a = ww_acquire_init(t, c);
            let _b = ww_acquire_init(t, c);
        }),
        Some(Property::Lockdep)
    );
}

#[test]
fn context_less_lock_while_holding_a_context() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let b = WwMutex::new(m, "B", c);
            let ctx = ww_acquire_init(t, c);
            ww_mutex_lock(t, &a, Some(&ctx));
            ww_mutex_lock(t, &b, None);
        }),
        Some(Property::Lockdep)
    );
}

#[test]
fn acquire_init_while_holding_a_mutex_of_the_class() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            ww_mutex_lock(t, &a, None);
            let _ctx = ww_acquire_init(t, c);
        }),
        Some(Property::Lockdep)
    );
}

#[test]
fn recursive_context_less_locks_of_one_class() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let b = WwMutex::new(m, "B", c);
            ww_mutex_lock(t, &a, None);
            ww_mutex_lock(t, &b, None);
        }),
        Some(Property::Lockdep)
    );
}

#[test]
fn ww_mutex_lock_under_a_spinlock() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            m.lockdep
                .acquire(t, "some_spinlock", crate::model::lockdep::LockKind::Spin);
            ww_mutex_lock(t, &a, None);
        }),
        Some(Property::Lockdep)
    );
}

#[test]
fn nested_locks_under_a_context_and_trylocks_are_clean() {
    assert_eq!(
        property(|m, t, c| {
            let a = WwMutex::new(m, "A", c);
            let b = WwMutex::new(m, "B", c);
            let ctx = ww_acquire_init(t, c);
            assert_eq!(ww_mutex_lock(t, &a, Some(&ctx)), 0);
            assert_eq!(ww_mutex_lock(t, &b, Some(&ctx)), 0);
            ww_mutex_unlock(t, &b);
            assert!(ww_mutex_trylock(t, &b, None));
            ww_mutex_unlock(t, &b);
            ww_mutex_unlock(t, &a);
            ww_acquire_fini(t, &ctx);
            assert!(m.lockdep.held(t).is_empty(), "{:?}", m.lockdep.held(t));
        }),
        None
    );
}

#[test]
fn reservation_class_uses_the_primed_lockdep_names() {
    let c = WwClass::reservation();
    assert_eq!(c.mutex_name, crate::model::lockdep::RESV);
    assert_eq!(c.acquire_name, crate::model::lockdep::TICKET);
}

// ------------------------------------------------------------------ drm_exec error paths

fn plan(m: &Machine, site: &str, occurrence: u32) {
    m.rec.set_inject(
        &[crate::model::fault::PlanEntry {
            site: site.to_string(),
            occurrence,
            errno: -crate::model::trace::ENOMEM,
        }],
        1,
    );
}

/// A drm_exec transaction whose `site` fails once: the error comes out of the loop, the
/// object is unlocked and unreferenced, and drm_exec_fini leaves nothing behind.
fn exec_with_failure(site: &'static str, occurrence: u32) -> Option<Property> {
    property(move |m, t, _| {
        plan(m, site, occurrence);
        let class = WwClass::reservation();
        let objs: Vec<_> = (0..2)
            .map(|i| GemObject::new(m, &format!("bo{i}"), &class))
            .collect();
        let mut exec = DrmExec::init(t, &class, 0);
        let ret = exec.until_all_locked(|exec| {
            for o in &objs {
                let ret = exec.prepare_obj(o, 1);
                crate::drm_exec_retry_on_contention!(exec);
                if ret != 0 {
                    return std::ops::ControlFlow::Break(ret);
                }
            }
            std::ops::ControlFlow::Continue(())
        });
        assert_eq!(ret, -crate::model::trace::ENOMEM, "the injected error");
        assert!(crate::model::fault::task_saw_injection(t));
        exec.fini();
        for o in &objs {
            assert!(!ww_mutex_is_locked(&o.resv), "{} left locked", o.name);
        }
        assert!(m.lockdep.held(t).is_empty(), "{:?}", m.lockdep.held(t));
    })
}

#[test]
fn drm_exec_obj_locked_enomem_propagates() {
    assert_eq!(exec_with_failure("drm_exec_obj_locked", 0), None);
    assert_eq!(exec_with_failure("drm_exec_obj_locked", 1), None);
}

#[test]
fn dma_resv_reserve_fences_enomem_propagates() {
    assert_eq!(exec_with_failure("dma_resv_reserve_fences", 0), None);
    assert_eq!(exec_with_failure("dma_resv_reserve_fences", 1), None);
}

/// A caller that ignores the error and leaves without drm_exec_fini leaves the
/// transaction's context and locks behind: the lockdep state shows it (the fixed
/// callers propagate and fini).
#[test]
fn skipping_drm_exec_fini_after_an_error_leaves_locks() {
    assert_eq!(
        property(|m, t, _| {
            plan(m, "dma_resv_reserve_fences", 1);
            let class = WwClass::reservation();
            let a = GemObject::new(m, "bo0", &class);
            let b = GemObject::new(m, "bo1", &class);
            let mut exec = DrmExec::init(t, &class, 0);
            let ret = exec.until_all_locked(|exec| {
                let r = exec.prepare_obj(&a, 1);
                if r != 0 {
                    return std::ops::ControlFlow::Break(r);
                }
                let r = exec.prepare_obj(&b, 1);
                if r != 0 {
                    return std::ops::ControlFlow::Break(r);
                }
                std::ops::ControlFlow::Continue(())
            });
            assert_eq!(ret, -crate::model::trace::ENOMEM);
            assert!(ww_mutex_is_locked(&a.resv), "bo0 stays locked until fini");
            std::mem::forget(exec);
            // The ticket is still held: a new one in this task is a lockdep splat.
            let _again = ww_acquire_init(t, &class);
        }),
        Some(Property::Lockdep)
    );
}

// ------------------------------------------------------------------ after -EDEADLK

/// The kernel-doc of `ww_mutex_lock` allows "opt not to acquire the contended lock, back
/// off and proceed". DEBUG_WW_MUTEXES flags it when the same context acquires another
/// lock next (`contending_lock != ww`), and not when the caller proceeds with a fresh
/// context. `fresh`: fini + init before taking C.
fn proceed_after_edeadlk(fresh: bool) -> Option<Property> {
    property(move |m, t, c| {
        let (a, b, cl) = (
            WwMutex::new(m, "A", c),
            WwMutex::new(m, "B", c),
            WwMutex::new(m, "C", c),
        );
        // An older context of another task holds B (the calls never block here).
        let older_task = m.new_task("older");
        let older = ww_acquire_init(&older_task, c);
        assert_eq!(ww_mutex_lock(&older_task, &b, Some(&older)), 0);
        let mut ctx = ww_acquire_init(t, c);
        assert_eq!(ww_mutex_lock(t, &a, Some(&ctx)), 0);
        assert_eq!(ww_mutex_lock(t, &b, Some(&ctx)), -EDEADLK);
        ww_mutex_unlock(t, &a);
        if fresh {
            ww_acquire_fini(t, &ctx);
            ctx = ww_acquire_init(t, c);
        }
        assert_eq!(ww_mutex_lock(t, &cl, Some(&ctx)), 0);
        ww_mutex_unlock(t, &cl);
        ww_acquire_fini(t, &ctx);
        ww_mutex_unlock(&older_task, &b);
        ww_acquire_fini(&older_task, &older);
    })
}

#[test]
fn proceeding_with_the_same_context_after_edeadlk_is_flagged() {
    assert_eq!(proceed_after_edeadlk(false), Some(Property::ClientProtocol));
}

#[test]
fn proceeding_with_a_fresh_context_after_edeadlk_is_clean() {
    assert_eq!(proceed_after_edeadlk(true), None);
}

// ------------------------------------------------------------------ the v7.1-rc1 wait list

/// The headless ring of v7.1-rc1: `__mutex_add_waiter(pos == first)` makes the new waiter
/// `first_waiter` (0adc92b910b3) and `__ww_waiter_prev` walks back to the first; the
/// 25500ba7e77c bodies (variant `first-waiter-2026`) keep the old first and stop the
/// backward walk one early ("W3, W2, (no W1)").
#[test]
fn first_waiter_ring_follows_0adc92b910b3() {
    use crate::model::variants::Variant;
    use crate::ww::algo::{__ww_waiter_last, __ww_waiter_prev};
    use crate::ww::mutex::{Waiter, WaiterCtx};
    for buggy in [false, true] {
        run_sequential(move || {
            let vs = if buggy {
                VariantSet::of(Variant::FirstWaiter2026)
            } else {
                VariantSet::NONE
            };
            let m = Machine::new(vs, Options::default(), Arc::new(Record::new(false)));
            let t = m.new_task("main");
            let class = WwClass::new("c", Algo::WaitDie, 0);
            let lock = WwMutex::new(&m, "L", &class);
            let waiter = |name: &str| Waiter {
                task: m.new_task(name),
                ww_ctx: WaiterCtx::None,
            };
            let mut list = lock.wait_lock.lock();
            let a = lock.__mutex_add_waiter(&t, &mut list, waiter("a"), None);
            assert_eq!(list.first_waiter, Some(a), "an empty ring: the new first");
            assert!(lock.waiter_is_first_racy(a));
            let b = lock.__mutex_add_waiter(&t, &mut list, waiter("b"), None);
            let c = lock.__mutex_add_waiter(&t, &mut list, waiter("c"), Some(a));
            let order: Vec<String> = list
                .ghost_order()
                .iter()
                .map(|w| w.task.name.to_string())
                .collect();
            let mut back = Vec::new();
            let mut it = __ww_waiter_last(&list);
            while let Some(w) = it {
                back.push(list.get(w).task.name.to_string());
                it = __ww_waiter_prev(&t, &list, w);
            }
            if buggy {
                assert_eq!(
                    list.first_waiter,
                    Some(a),
                    "25500ba7e77c keeps the old first"
                );
                assert_eq!(order, ["a", "b", "c"]);
                assert_eq!(back, ["c", "b"], "the backward walk misses the first");
            } else {
                assert_eq!(list.first_waiter, Some(c), "inserted before the first");
                assert!(lock.waiter_is_first_racy(c));
                assert_eq!(order, ["c", "a", "b"]);
                assert_eq!(back, ["b", "a", "c"]);
                // Removing the first passes first_waiter on; the last clears the flags.
                lock.__mutex_remove_waiter(&mut list, c);
                assert_eq!(list.first_waiter, Some(a));
                lock.__mutex_remove_waiter(&mut list, a);
                lock.__mutex_remove_waiter(&mut list, b);
                assert_eq!(list.first_waiter, None);
                assert_eq!(
                    lock.owner
                        .load(crate::model::sync::atomic::Ordering::Relaxed),
                    0,
                    "MUTEX_FLAGS cleared with the last waiter"
                );
            }
        });
    }
}
