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
