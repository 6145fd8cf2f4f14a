//! SVM under fault injection, and the SVM locks under the machine's lockdep.
//!
//! * Every SVM scenario stays clean on the fixed model with one injected failure per
//!   execution (the loom-sized ones with two): an expectation of success accepts exactly an
//!   injected error propagated as the kernel propagates it.
//! * The error-path variants are found only with injection, with their property:
//!   847b371debf3 (`gpusvm-evict-mm-leak`, the mm reference leaked by
//!   `drm_gpusvm_range_evict` on -ENOMEM) and the mutation `xe-devmem-release-on-error`
//!   (a second `devmem_release` on a freed allocation: `use-after-free`, not a
//!   downstream symptom).
//! * Lockdep sees the SVM locks: allocating under `gpusvm->notifier_lock` closes a cycle
//!   with the fs_reclaim -> notifier_lock order that `drm_gpusvm_init` primes; a folio lock
//!   (not lockdep-tracked) taken under the PTL is a sleep in atomic context
//!   (`might_sleep`); `prange->migrate_mutex` taken twice is recursive locking.

use std::sync::Arc;
use std::time::Duration;
use ttm_model::engine::{EngineKind, InjectConfig, Outcome, RunConfig, explore};
use ttm_model::model::{Machine, Options, Property, Task, Variant, VariantSet};
use ttm_model::scenario::{self, Scenario};
use ttm_model::svm::page::{MIGRATE_MUTEX, drm_gpusvm_init, notifier_lock, pte_lock};
use ttm_model::svm::ttm_backing::migrate_mutex_lock;
use ttm_model::svm::{Svm, SvmConfig, folio_lock};

/// One bounded exploration of `sc` with `inject` failures per execution (also used by
/// the TTM injection tests).
pub(crate) fn run_sc(
    sc: &Scenario,
    engine: EngineKind,
    variants: VariantSet,
    inject: u32,
    seed: u64,
    max: usize,
) -> Outcome {
    let mut cfg = RunConfig::new(engine, variants);
    cfg.seed = seed;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(120);
    cfg.inject = InjectConfig::budget(inject);
    explore(sc, &cfg)
}

fn run(name: &str, variants: VariantSet, inject: u32, max: usize) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    run_sc(&sc, EngineKind::Shuttle, variants, inject, 1, max)
}

/// The loom-sized SVM scenarios (tests/loom), clean under two injected failures too.
const SMALL: &[&str] = &[
    "svm-cpu-fault-2",
    "svm-cpu-fault-3",
    "svm-fault-evict-1",
    "svm-gpu-cpu",
    "svm-reuse",
    "svm-atomic-pingpong",
    "svm-drain-starve",
    "svm-amd-evict-fault",
    "svm-design-vm-resv",
    "svm-ttm-alloc-evict",
];

fn assert_clean_injected(sc: &Scenario, engine: EngineKind, inject: u32, max: usize) {
    let o = run_sc(sc, engine, VariantSet::NONE, inject, 11, max);
    if let Some(f) = &o.found {
        // A known finding of the baseline in its own scenario is the expected result.
        if scenario::findings::known(&sc.name, inject).is_some_and(|k| k.breaks(|p| f.has(p))) {
            return;
        }
        panic!(
            "{} ({}, inject {inject}) failed on the fixed model: {} (injected: {:?})\n{}",
            sc.name,
            engine.name(),
            f.failure,
            f.injected,
            f.trace.join("\n")
        );
    }
    assert_eq!(o.executions, max, "{}: the whole budget ran", sc.name);
}

/// Every SVM scenario, random and PCT, one injected failure per execution.
#[test]
fn svm_fixed_model_clean_under_inject_1() {
    for sc in scenario::all().into_iter().filter(|s| s.area == "svm") {
        assert_clean_injected(&sc, EngineKind::Shuttle, 1, 2_000);
        assert_clean_injected(&sc, EngineKind::ShuttlePct { depth: 3 }, 1, 1_000);
    }
}

/// The small SVM scenarios with two injected failures per execution.
#[test]
fn svm_small_scenarios_clean_under_inject_2() {
    for name in SMALL {
        let sc = scenario::find(name).expect("scenario");
        assert_clean_injected(&sc, EngineKind::Shuttle, 2, 2_000);
    }
}

/// The error-path variants are invisible without injection (their registry engine is
/// `shuttle-inject`): the bug is only on the error path.
#[test]
fn svm_error_path_variants_need_injection() {
    for v in [Variant::GpusvmEvictMmLeak, Variant::XeDevmemReleaseOnError] {
        let info = v.info();
        assert_eq!(info.engines, &["shuttle-inject"], "{}", info.name);
        for name in info.scenarios {
            let o = run(name, VariantSet::of(v), 0, 5_000);
            assert!(
                o.found.is_none(),
                "{} found on {name} without injection: {:?}",
                info.name,
                o.found.map(|f| f.failure)
            );
        }
    }
}

/// 847b371debf3: `drm_gpusvm_range_evict` leaks its mm reference when `kvmalloc_array`
/// fails; found with one injected failure, named as the leaked reference at the end of the
/// scenario; the fixed code (mmput on that path) stays clean with the same injection.
#[test]
fn svm_gpusvm_evict_mm_leak_found_with_injection() {
    let v = Variant::GpusvmEvictMmLeak;
    for name in v.info().scenarios {
        let o = run(name, VariantSet::of(v), 1, 50_000);
        let f = o
            .found
            .unwrap_or_else(|| panic!("{name}: mm leak not found"));
        assert_eq!(f.failure.property, Property::Expectation, "{}", f.failure);
        assert!(f.failure.message.contains("mm_users 2"), "{}", f.failure);
        assert!(
            f.injected.iter().any(|e| e.site == "kvmalloc_array"),
            "{:?}",
            f.injected
        );
        assert!(
            f.trace
                .iter()
                .any(|l| l.contains("kvmalloc_array") && l.contains("[injected]")),
            "{}",
            f.trace.join("\n")
        );
        let clean = run(name, VariantSet::NONE, 1, 5_000);
        assert!(
            clean.found.is_none(),
            "{:?}",
            clean.found.map(|f| f.failure)
        );
    }
}

/// A use after the final put of a devmem allocation is reported as `use-after-free` at
/// the use (the second `devmem_release`), not as a downstream refcount symptom.
#[test]
fn svm_devmem_release_after_consume_is_use_after_free() {
    let v = Variant::XeDevmemReleaseOnError;
    for name in v.info().scenarios {
        let o = run(name, VariantSet::of(v), 1, 50_000);
        let f = o.found.unwrap_or_else(|| panic!("{name}: not found"));
        assert_eq!(f.failure.property, Property::UseAfterFree, "{}", f.failure);
        assert!(
            f.failure.message.contains("devmem_release on devmem"),
            "{}",
            f.failure
        );
        assert!(!f.injected.is_empty());
    }
}

/// The VM-resv-gated design keeps its deadlock under injection (lockdep sees no cycle:
/// the folio lock it sleeps on is not lockdep-tracked), and no lockdep splat comes first.
#[test]
fn svm_vm_resv_gated_design_still_deadlocks_with_lockdep_and_injection() {
    for inject in [0, 1] {
        let o = run(
            "svm-design-vm-resv",
            VariantSet::of(Variant::VmResvGated),
            inject,
            20_000,
        );
        let f = o.found.expect("the gated design deadlocks");
        assert_eq!(f.failure.property, Property::Deadlock, "{}", f.failure);
    }
}

/// A one-task broken client of the SVM locks, run on the model's machinery.
fn broken_client(name: &str, f: fn(&Arc<Task>, &Arc<Svm>)) -> Scenario {
    Scenario {
        name: name.to_string(),
        area: "svm",
        description: "broken SVM lock client (test)".into(),
        tasks: 1,
        options: Options::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let svm = Svm::new(m, SvmConfig::default(), None);
            drm_gpusvm_init(main, &svm);
            f(main, &svm);
        }),
    }
}

fn found_property(sc: &Scenario) -> ttm_model::engine::Found {
    let o = run_sc(sc, EngineKind::Shuttle, VariantSet::NONE, 0, 1, 10);
    o.found
        .unwrap_or_else(|| panic!("{}: the broken client is not reported", sc.name))
}

/// `drm_gpusvm_init` primes fs_reclaim -> notifier_lock: an allocation that may reclaim
/// under the notifier lock (here a GFP_KERNEL allocation in an invalidation) is a
/// circular dependency at once.
#[test]
fn lockdep_allocation_under_notifier_lock_is_circular() {
    let sc = broken_client("broken-notifier-alloc", |cur, svm| {
        let _g = notifier_lock(cur, svm, 0);
        svm.m.lockdep.might_alloc(cur, "kmalloc(GFP_KERNEL)");
    });
    let f = found_property(&sc);
    assert_eq!(f.failure.property, Property::LockOrder, "{}", f.failure);
    assert!(
        f.failure.message.contains("&gpusvm->notifier_lock")
            && f.failure.message.contains("fs_reclaim"),
        "{}",
        f.failure
    );
    // The correct order (allocate, then take the notifier lock) is clean.
    let ok = broken_client("notifier-alloc-ok", |cur, svm| {
        svm.m.lockdep.might_alloc(cur, "kmalloc(GFP_KERNEL)");
        let _g = notifier_lock(cur, svm, 0);
    });
    let o = run_sc(&ok, EngineKind::Shuttle, VariantSet::NONE, 0, 1, 10);
    assert!(o.found.is_none(), "{:?}", o.found.map(|f| f.failure));
}

/// folio_lock is not lockdep-tracked but sleeps: under the PTL (a spinlock) it is
/// "sleeping function called from invalid context".
#[test]
fn lockdep_folio_lock_under_ptl_is_sleep_in_atomic() {
    let sc = broken_client("broken-folio-lock-under-ptl", |cur, svm| {
        let p = scenario::svm::setup_system_page(svm, 0, 1, None);
        let _ptl = pte_lock(cur, svm);
        folio_lock(cur, svm, p);
        ttm_model::svm::folio_unlock(cur, svm, p);
    });
    let f = found_property(&sc);
    assert_eq!(f.failure.property, Property::Lockdep, "{}", f.failure);
    assert!(
        f.failure.message.contains("folio_lock") && f.failure.message.contains("ptlock"),
        "{}",
        f.failure
    );
}

/// `prange->migrate_mutex` is a lockdep-tracked mutex: the AMD path taking it twice is
/// recursive locking (a lockdep WARN), which then self-deadlocks.
#[test]
fn lockdep_migrate_mutex_recursion() {
    let sc = broken_client("broken-migrate-mutex-recursion", |cur, svm| {
        let _g = migrate_mutex_lock(cur, svm);
        let _g2 = migrate_mutex_lock(cur, svm);
    });
    let f = found_property(&sc);
    assert_eq!(f.failure.property, Property::Lockdep, "{}", f.failure);
    assert!(
        f.failure.message.contains("recursive") && f.failure.message.contains(MIGRATE_MUTEX),
        "{}",
        f.failure
    );
    assert!(f.has(Property::Deadlock), "{:?}", f.consequence);
}
