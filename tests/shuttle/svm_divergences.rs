//! The SVM divergences of issue 12 (docs/kernel-notes/review_ttm_svm_verified.md §2), each
//! shown by the property it breaks or keeps:
//!
//! * S1: the AMD eviction worker signals the eviction fence whatever is left in VRAM. The
//!   kernel's own WARN_ONCE ("This was not the last reference") is `svm-eviction`; when the
//!   freed VRAM is allocated again while a CPU fault still holds a device page, the new
//!   svm_bo's `zone_device_page_init` breaks `device-page-reinit` (the finding
//!   `amd-evict-signal-live`). The proposal `amd-evict-busy-if-live` removes both.
//! * S4: the CPU-fault window follows the fault address (drm_pagemap) or the granularity
//!   block (AMD); AMD's svms.lock is the lockdep-visible outer lock.
//! * S5: the new Xe SVM BO stays reserved across `drm_pagemap_migrate_to_devmem`.
//! * S6: restored system pages wait in the CPU's lru_add batch.
//! * S2 / S3: `hmm_range_fault` returns -EBUSY on a moved notifier sequence; a spent
//!   devmem_only GPU fault is a failed GPU fault, not a livelock.

use std::sync::Arc;
use std::time::Duration;
use ttm_model::engine::{EngineKind, Outcome, RunConfig, explore};
use ttm_model::model::kmutex::KMutex;
use ttm_model::model::{Machine, Options, Property, Task, Variant, VariantSet};
use ttm_model::scenario::{self, Scenario};
use ttm_model::svm::fault::{HmmPfn, cpu_access, hmm_range_fault};
use ttm_model::svm::gpusvm::{mmu_interval_read_begin, xe_svm_alloc_vram};
use ttm_model::svm::migrate::{MigrateVma, migrate_vma_setup};
use ttm_model::svm::page::{MIGRATE_MUTEX, SVMS_LOCK, drm_gpusvm_init};
use ttm_model::svm::sched::{cpu_enter, lru_add_drain_all};
use ttm_model::svm::ttm_backing::{TtmBacking, migrate_mutex_lock, svms_lock};
use ttm_model::svm::{Driver, Pte, RefKind, Svm, SvmConfig, folio_get, folio_put};

fn run(name: &str, engine: EngineKind, variants: VariantSet, max: usize) -> Outcome {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(engine, variants);
    cfg.seed = 3;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    explore(&sc, &cfg)
}

/// S1 on mainline: the worker's WARN_ONCE fires (svm-eviction) in both AMD eviction
/// scenarios; in `svm-amd-evict-signal-live` the execution goes on and the reused VRAM
/// re-initialises the page the CPU fault holds (device-page-reinit).
#[test]
fn amd_evict_signal_live_breaks_device_page_reinit() {
    let o = run(
        "svm-amd-evict-fault",
        EngineKind::Shuttle,
        VariantSet::NONE,
        10_000,
    );
    let f = o.found.expect("the AMD worker's WARN_ONCE");
    assert_eq!(f.failure.property, Property::SvmEviction, "{}", f.failure);
    assert!(
        f.failure
            .message
            .contains("This was not the last reference"),
        "{}",
        f.failure
    );
    let o = run(
        "svm-amd-evict-signal-live",
        EngineKind::Shuttle,
        VariantSet::NONE,
        10_000,
    );
    let f = o.found.expect("VRAM reused under a live device page");
    assert!(f.has(Property::DevicePageReinit), "{}", f.failure);
    assert!(
        f.trace
            .iter()
            .any(|l| l.contains("ttm_bo_pipeline_gutting(devmem0)")),
        "{}",
        f.trace.join("\n")
    );
}

/// The proposal keeps the BO's VRAM while device pages are live: both scenarios clean,
/// under random and PCT scheduling.
#[test]
fn amd_evict_busy_if_live_keeps_the_vram() {
    for name in ["svm-amd-evict-fault", "svm-amd-evict-signal-live"] {
        for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
            let o = run(
                name,
                engine,
                VariantSet::of(Variant::AmdEvictBusyIfLive),
                5_000,
            );
            if let Some(f) = o.found {
                panic!("{name}: {}\n{}", f.failure, f.trace.join("\n"));
            }
        }
    }
}

/// A one-task SVM client run on the model's machinery (`cfg`, with `ttm` pages of TTM
/// VRAM behind it if given); `f` ends with [`done`] to hand its trace back.
fn client(
    name: &str,
    cfg: SvmConfig,
    ttm: Option<u64>,
    f: fn(&Arc<Task>, &Arc<Svm>),
) -> ttm_model::engine::Found {
    let sc = Scenario {
        name: name.to_string(),
        area: "svm",
        description: "SVM divergence check (test)".into(),
        tasks: 1,
        options: Options::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let t = ttm.map(|v| TtmBacking::new(m, v));
            let svm = Svm::new(m, cfg, t);
            TtmBacking::install(&svm);
            drm_gpusvm_init(main, &svm);
            cpu_enter(main, &svm);
            f(main, &svm);
        }),
    };
    let mut rc = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
    rc.max_executions = Some(1);
    rc.budget = Duration::from_secs(30);
    explore(&sc, &rc)
        .found
        .unwrap_or_else(|| panic!("{name}: the client did not report"))
}

/// The end of a [`client`]: the checks of every SVM scenario, then a marker failure that
/// carries the trace out.
fn done(cur: &Arc<Task>, svm: &Svm) {
    scenario::svm::quiesce(cur, svm);
    svm.fail(Property::Expectation, "DONE".into());
}

/// Fails the client (`expectation`, with the PTEs) unless `ok(ptes)` holds.
fn expect_placement(svm: &Svm, ok: impl FnOnce(&[Pte]) -> bool) {
    svm.with(|s| {
        if !ok(&s.ptes) {
            svm.fail(Property::Expectation, format!("placement {:?}", s.ptes));
        }
    });
}

/// The client ran to its end and its trace has a line containing `needle`.
fn assert_done_with(f: &ttm_model::engine::Found, needle: &str) {
    assert_done(f);
    assert!(
        f.trace.iter().any(|l| l.contains(needle)),
        "{}",
        f.trace.join("\n")
    );
}

fn assert_done(f: &ttm_model::engine::Found) {
    assert_eq!(
        f.failure.message,
        "DONE",
        "{}\n{}",
        f.failure,
        f.trace.join("\n")
    );
}

/// S4 (drm_pagemap.c `__drm_pagemap_migrate_to_ram`): the window is `[ALIGN_DOWN(fault,
/// size), ALIGN(fault + 1, size))` clipped to the VMA. A CPU fault on va2, the alias of the
/// second page of a 2-page allocation at va0..va1, migrates `[va2]` (try_to_migrate also
/// unmaps va1); va0's page stays in VRAM. With the allocation's recorded window the fault
/// would migrate va0 too and never collect its own PTE.
#[test]
fn migrate_to_ram_window_follows_the_fault_address() {
    let f = client("s4-xe-window", cfg(3, 2, Driver::Xe), None, |cur, svm| {
        scenario::svm::setup_device_range(svm, 0, 0, 2, 1, None);
        scenario::svm::setup_alias(svm, 1, 2);
        // A load: the model's contents ghost is per virtual page, so a store through an
        // alias would leave the other mapping's expected version behind.
        cpu_access(cur, svm, 2, false);
        expect_placement(svm, |p| {
            matches!(p[0], Pte::Device(_))
                && matches!((p[1], p[2]), (Pte::Present(a), Pte::Present(b)) if a == b)
        });
        done(cur, svm);
    });
    assert_done_with(&f, "migrate_vma_setup(va2..va3)");
}

/// S4, AMD (kfd_migrate.c `svm_migrate_to_ram`): `prange->granularity` (9: 512 pages) is
/// wider than the prange, so the window is the whole prange clipped: a fault on va0
/// migrates va0 and va1. Taken under svms.lock, then migrate_mutex.
#[test]
fn amd_migrate_to_ram_window_is_the_granularity_block() {
    let f = client("s4-amd-window", cfg(2, 2, Driver::Amd), None, |cur, svm| {
        scenario::svm::setup_device_range(svm, 0, 0, 2, 1, None);
        cpu_access(cur, svm, 0, true);
        expect_placement(svm, |p| {
            matches!((p[0], p[1]), (Pte::Present(_), Pte::Present(_)))
        });
        done(cur, svm);
    });
    assert_done_with(&f, "migrate_vma_setup(va0..va2)");
}

/// S4: svms.lock is a lockdep-tracked mutex and the outer lock of the AMD CPU fault:
/// after `svm_migrate_to_ram` (svms.lock -> migrate_mutex), taking them the other way
/// round is a circular dependency.
#[test]
fn lockdep_sees_svms_lock_outside_migrate_mutex() {
    let f = client(
        "s4-svms-lock-order",
        cfg(1, 1, Driver::Amd),
        None,
        |cur, svm| {
            scenario::svm::setup_device_range(svm, 0, 0, 1, 1, None);
            cpu_access(cur, svm, 0, true);
            let g = migrate_mutex_lock(cur, svm);
            let s = svms_lock(cur, svm);
            KMutex::unlock(cur, s);
            KMutex::unlock(cur, g);
            done(cur, svm);
        },
    );
    assert_eq!(f.failure.property, Property::LockOrder, "{}", f.failure);
    assert!(
        f.failure.message.contains(SVMS_LOCK) && f.failure.message.contains(MIGRATE_MUTEX),
        "{}",
        f.failure
    );
}

/// S5 (xe_svm.c `xe_drm_pagemap_populate_mm`): the new BO's resv is held from
/// `xe_bo_create_locked` until after `drm_pagemap_migrate_to_devmem`; a TTM trylock of it
/// in between fails. The trace shows the migration inside the reservation.
#[test]
fn new_svm_bo_resv_held_across_migrate_to_devmem() {
    let f = client(
        "s5-resv-held",
        cfg(2, 2, Driver::Xe),
        Some(2),
        |cur, svm| {
            scenario::svm::setup_system_page(svm, 0, 1, None);
            scenario::svm::setup_system_page(svm, 1, 1, None);
            let r = xe_svm_alloc_vram(cur, svm, 0, 0, 2);
            if r != 0 {
                svm.fail(Property::Expectation, format!("xe_svm_alloc_vram -> {r}"));
            }
            done(cur, svm);
        },
    );
    assert_done(&f);
    let pos = |pat: &dyn Fn(&str) -> bool| {
        f.trace
            .iter()
            .position(|l| pat(l))
            .unwrap_or_else(|| panic!("{}", f.trace.join("\n")))
    };
    let migrate = pos(&|l| l.contains("drm_pagemap_migrate_to_devmem(devmem0"));
    let ret = pos(&|l| l.contains("drm_pagemap_migrate_to_devmem") && l.contains("->"));
    let unlock = f
        .trace
        .iter()
        .position(|l| l.contains("svm_bo0") && l.contains("unlock"))
        .unwrap_or_else(|| panic!("{}", f.trace.join("\n")));
    assert!(
        migrate < ret && ret < unlock,
        "the resv is dropped after the migration returns:\n{}",
        f.trace.join("\n")
    );
}

/// S6 (mm/migrate_device.c, mm/swap.c): a system page whose migration is restored at
/// unmap (an extra reference fails migrate_vma_check_page) goes through
/// `folio_putback_lru` into this CPU's lru_add batch: not isolatable until
/// `lru_add_drain_all`.
#[test]
fn restored_system_page_waits_in_the_lru_add_batch() {
    let f = client(
        "s6-putback-batch",
        cfg(1, 1, Driver::Xe),
        None,
        |cur, svm| {
            let p = scenario::svm::setup_system_page(svm, 0, 1, None);
            folio_get(cur, svm, p, RefKind::Collect); // a GUP-style pin
            let mut args = MigrateVma::new(0, 1, 0);
            args.select_system = true;
            migrate_vma_setup(cur, svm, &mut args);
            svm.with(|s| {
                let f = &s.folios[p];
                if args.cpages != 0 || f.on_lru || f.lru_batch != Some(cur.id) {
                    svm.fail(
                        Property::Expectation,
                        format!(
                            "cpages {} on_lru {} batch {:?}",
                            args.cpages, f.on_lru, f.lru_batch
                        ),
                    );
                }
            });
            lru_add_drain_all(cur, svm);
            svm.with(|s| {
                if !s.folios[p].on_lru {
                    svm.fail(
                        Property::Expectation,
                        "not on the LRU after the drain".into(),
                    );
                }
            });
            folio_put(cur, svm, p, RefKind::Collect);
            done(cur, svm);
        },
    );
    assert_done(&f);
}

fn cfg(vas: usize, vram: usize, driver: Driver) -> SvmConfig {
    SvmConfig {
        vas,
        vram_pages: vram,
        driver,
        ..Default::default()
    }
}

/// S2 (mm/hmm.c): `hmm_range_fault` returns -EBUSY at the top of the pass after the
/// notifier sequence moved; here its own fault moved it (migrate_to_ram's collect
/// invalidates the range). The caller's next call, with a fresh sequence, finds the page.
#[test]
fn hmm_range_fault_returns_ebusy_when_the_sequence_moved() {
    let f = client("s2-hmm-ebusy", cfg(1, 1, Driver::Xe), None, |cur, svm| {
        scenario::svm::setup_device_range(svm, 0, 0, 1, 1, None);
        let seq = mmu_interval_read_begin(cur, svm, 0);
        let r = hmm_range_fault(cur, svm, 0, 1, None, Some((0, seq)));
        if r != Err(-16) {
            svm.fail(Property::Expectation, format!("first call: {r:?}"));
        }
        let seq = mmu_interval_read_begin(cur, svm, 0);
        let r = hmm_range_fault(cur, svm, 0, 1, None, Some((0, seq)));
        if !matches!(r.as_deref(), Ok([HmmPfn::System(_)])) {
            svm.fail(Property::Expectation, format!("second call: {r:?}"));
        }
        done(cur, svm);
    });
    assert_done(&f);
    assert!(
        f.trace
            .iter()
            .any(|l| l.contains("mmu_interval_check_retry(gpu0) -> -EBUSY")),
        "{}",
        f.trace.join("\n")
    );
}

/// S3 (xe_svm.c): a devmem_only GPU fault that spends its 3 attempts returns the error;
/// the model reports the failed GPU fault (`expectation`, "GPU fault failed"), not a
/// livelock. Shown with the timeslice removed (`no-timeslice`), where CPU atomics pull the
/// page back each time.
#[test]
fn spent_devmem_only_fault_is_a_failed_gpu_fault() {
    let o = run(
        "svm-atomic-pingpong",
        EngineKind::Shuttle,
        VariantSet::of(Variant::NoTimeslice),
        20_000,
    );
    let f = o.found.expect("ping-pong without the timeslice");
    assert_eq!(f.failure.property, Property::Expectation, "{}", f.failure);
    assert!(
        f.failure.message.contains("GPU fault failed"),
        "{}",
        f.failure
    );
}
