//! Driver policies around SVM migration and TTM (spec `svm_shrinker.md` §5.5–7):
//!
//! * Xe (mainline): SVM VRAM is a TTM BO with its own resv (`xe_svm_alloc_vram`,
//!   `XE_BO_FLAG_CPU_ADDR_MIRROR`); TTM eviction of that BO (under its resv, from the
//!   walker of `src/walker`) goes through `xe_bo_move` → `xe_svm_bo_evict` →
//!   `drm_pagemap_evict_to_ram`; success = every device page freed, then
//!   `ttm_bo_move_null`; failure keeps the VRAM. `devmem_release` drops the BO with
//!   `xe_bo_put_async`. The CPU fault path takes no resv and no driver lock.
//! * AMD KFD (`kfd_migrate.c`, `kfd_svm.c`): a per-range `migrate_mutex`, taken blocking by
//!   the CPU fault (`svm_migrate_to_ram`, with the fault page locked) and by the eviction
//!   worker (`svm_range_evict_svm_bo_worker`, 3 retries).
//! * The design the 2024 discussion rejected (variant `vm-resv-gated-migration`): SVM
//!   migration gated by the VM's shared dma_resv — the SVM BO shares the VM resv, the GPU
//!   fault handler holds it across migration, page collection and range eviction, and
//!   `migrate_to_ram` takes it (with the fault page locked).
//!
//! Simplified: one VRAM placement per BO of exactly the allocation's pages; the
//! asynchronous BO put (`xe_bo_put_async`) runs when the scenario flushes it.

use super::page::*;
use super::pagemap::{
    DevmemId, check_devmem_live, check_eviction_result, devmem_alloc, drm_pagemap_evict_to_ram,
    drm_pagemap_migrate_to_ram, fault_page_window, migrate_window_to_ram, to_ram_commit,
};
use crate::model::kmutex::{KMutex, KMutexGuard};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EBUSY, ENOMEM, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::walker::evict::ttm_bo_validate;
use crate::walker::iter::OpCtx;
use crate::walker::{
    DeviceConfig, TTM_PL_VRAM, TtmBo, TtmDevice, dma_resv_lock, dma_resv_lock_raw, dma_resv_unlock,
    dma_resv_unlock_raw, ttm_bo_put, ttm_bo_unreserve,
};
use crate::ww::WwMutex;

/// The TTM side of the SVM world: the device whose VRAM backs device memory, and the VM's
/// shared resv.
pub struct TtmBacking {
    pub dev: Arc<TtmDevice>,
    pub vm_resv: Arc<WwMutex>,
    bos: std::sync::Mutex<Vec<(DevmemId, Arc<TtmBo>)>>,
}

impl TtmBacking {
    pub fn new(m: &Arc<crate::model::Machine>, vram: u64) -> TtmBacking {
        let ld = Arc::clone(&m.lockdep);
        let dev = TtmDevice::new(
            m,
            DeviceConfig {
                vram_pages: vram,
                tt_pages: None,
            },
            ld,
        );
        let vm_resv = dev.vm_resv("vm.resv");
        TtmBacking {
            dev,
            vm_resv,
            bos: Default::default(),
        }
    }

    /// Install `xe_bo_move`'s SVM branch as the device's move hook.
    pub fn install(svm: &Arc<Svm>) {
        let Some(t) = &svm.ttm else { return };
        let weak = Arc::downgrade(svm);
        let hook: crate::walker::bo::MoveHook = Arc::new(move |cur, bo| {
            let svm = weak.upgrade()?;
            let d = svm.ttm.as_ref()?.devmem_of(bo.id)?;
            Some(xe_svm_bo_evict(cur, &svm, d))
        });
        *t.dev.move_hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(hook);
    }

    pub fn devmem_of(&self, bo: usize) -> Option<DevmemId> {
        let g = self.bos.lock().unwrap_or_else(|e| e.into_inner());
        g.iter().find(|(_, b)| b.id == bo).map(|(d, _)| *d)
    }

    pub fn bo_of(&self, d: DevmemId) -> Option<Arc<TtmBo>> {
        let g = self.bos.lock().unwrap_or_else(|e| e.into_inner());
        g.iter().find(|(x, _)| *x == d).map(|(_, b)| Arc::clone(b))
    }

    /// `xe_svm_alloc_vram`'s BO: create it (own resv; the VM's with the rejected design),
    /// validate it into VRAM (TTM may evict other BOs, SVM ones through
    /// `drm_pagemap_evict_to_ram`), hand its pages out as a devmem allocation.
    pub fn xe_bo_create_vram(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        dev: usize,
        start: Va,
        npages: usize,
    ) -> Result<DevmemId, i32> {
        let gated = svm.variant(Variant::VmResvGated);
        let shared = gated.then_some(&self.vm_resv);
        let n = self.bos.lock().unwrap_or_else(|e| e.into_inner()).len();
        let bo = self
            .dev
            .bo_create(cur, &format!("svm_bo{n}"), npages as u64, 0, shared);
        let held = cur.machine.holder(bo.resv().uid) == Some(cur.id);
        if !held {
            dma_resv_lock(cur, &self.dev, &bo, None, false);
        }
        let ret = ttm_bo_validate(cur, &self.dev, &bo, TTM_PL_VRAM, &OpCtx::default());
        let d = if ret == 0 {
            devmem_alloc(svm, dev, start, npages)
        } else {
            Err(-ENOMEM)
        };
        if let Ok(d) = d {
            self.bos
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((d, Arc::clone(&bo)));
        }
        if !held {
            ttm_bo_unreserve(cur, &self.dev, &bo);
        }
        if d.is_err() {
            ttm_bo_put(cur, &self.dev, &bo);
        }
        d
    }

    /// `xe_bo_put_async` work: drop the BOs whose devmem was released.
    pub fn flush_deferred_put(&self, cur: &Arc<Task>, svm: &Svm) {
        let ds: Vec<DevmemId> = svm.with(|s| std::mem::take(&mut s.deferred_bo_put));
        for d in ds {
            if let Some(bo) = self.bo_of(d) {
                ttm_bo_put(cur, &self.dev, &bo);
            }
        }
    }
}

/// `xe_svm_bo_evict` (from `xe_bo_move`, BO resv held): evict the allocation's pages to
/// RAM; an allocation whose pages are all gone already is simply moved.
pub fn xe_svm_bo_evict(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    if svm.with(|s| {
        check_devmem_live(svm, s, cur, d, "xe_svm_bo_evict");
        s.devmems[d].detached
    }) {
        return 0;
    }
    drm_pagemap_evict_to_ram(cur, svm, d)
}

/// Xe's `migrate_to_ram` (`drm_pagemap_migrate_to_ram`); with the rejected design it
/// first takes the VM resv, blocking, with the fault page locked — unless the faulting
/// task is the GPU fault handler itself (its `hmm_range_fault` recursing into a CPU fault
/// while it holds the resv: the design would need AMD's `faulting_task == current` test,
/// which the model grants it so that only the cross-CPU problem remains).
pub fn xe_migrate_to_ram(cur: &Arc<Task>, svm: &Svm, va: Va, p: Pfn) -> i32 {
    with_vm_resv_gate(cur, svm, true, || {
        drm_pagemap_migrate_to_ram(cur, svm, va, p)
    })
}

/// With the rejected design (variant `vm-resv-gated`), run `f` holding the VM resv
/// (blocking `dma_resv_lock`); `unless_held`: not when `cur` already holds it (the
/// handler's own recursion). Without the variant, just run `f`.
fn with_vm_resv_gate<R>(cur: &Arc<Task>, svm: &Svm, unless_held: bool, f: impl FnOnce() -> R) -> R {
    let gate = svm.ttm.as_ref().filter(|t| {
        svm.variant(Variant::VmResvGated)
            && !(unless_held && cur.machine.holder(t.vm_resv.uid) == Some(cur.id))
    });
    if let Some(t) = gate {
        dma_resv_lock_raw(cur, &t.dev, &t.vm_resv, None, false);
    }
    let r = f();
    if let Some(t) = gate {
        dma_resv_unlock_raw(cur, &t.dev, &t.vm_resv);
    }
    r
}

/// A GPU fault as the driver runs it: Xe's handler, holding the VM resv throughout with
/// the rejected design.
#[allow(clippy::too_many_arguments)]
pub fn gpu_fault(
    cur: &Arc<Task>,
    svm: &Svm,
    dev: usize,
    start: Va,
    npages: usize,
    va: Va,
    atomic: bool,
    prefer_vram: bool,
) -> i32 {
    with_vm_resv_gate(cur, svm, false, || {
        super::gpusvm::xe_svm_handle_pagefault(
            cur,
            svm,
            dev,
            start,
            npages,
            va,
            atomic,
            prefer_vram,
        )
    })
}

/// TTM eviction of the SVM BO of `d` as the TTM core runs it for Xe: reserve (blocking),
/// `ttm_bo_evict` to system (→ `xe_bo_move` → evict_to_ram), unreserve. Returns the
/// eviction result.
pub fn ttm_evict_svm_bo(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    let t = svm.ttm.as_ref().expect("TTM backing");
    let bo = t.bo_of(d).expect("devmem has a BO");
    dma_resv_lock(cur, &t.dev, &bo, None, false);
    let r =
        crate::walker::evict::ttm_bo_evict(cur, &t.dev, &bo, Some(TTM_PL_VRAM), &OpCtx::default());
    dma_resv_unlock(cur, &t.dev, &bo);
    r
}

// ------------------------------------------------------------------------ AMD

/// `mutex_lock(&prange->migrate_mutex)`: a kernel mutex of lockdep class
/// [`MIGRATE_MUTEX`] (`model::kmutex`: might_sleep, ordering recorded, ghost holder).
pub fn migrate_mutex_lock<'a>(cur: &Arc<Task>, svm: &'a Svm) -> KMutexGuard<'a> {
    svm.migrate_mutex.lock(cur)
}

pub fn migrate_mutex_unlock(cur: &Arc<Task>, _svm: &Svm, g: KMutexGuard<'_>) {
    KMutex::unlock(cur, g);
}

/// AMD `svm_migrate_to_ram` (CPU fault, fault page locked by do_swap_page): blocking
/// `prange->migrate_mutex`, then migrate the granularity window; an error is
/// `VM_FAULT_SIGBUS` (`return r ? VM_FAULT_SIGBUS : 0`).
pub fn svm_migrate_to_ram(cur: &Arc<Task>, svm: &Svm, _va: Va, p: Pfn) -> i32 {
    let g = migrate_mutex_lock(cur, svm);
    let r = match fault_page_window(cur, svm, p) {
        Some((z, window, owner)) => migrate_window_to_ram(cur, svm, z, window, owner, p),
        None => 0,
    };
    migrate_mutex_unlock(cur, svm, g);
    r
}

/// AMD `svm_range_evict_svm_bo_worker` for one range: `migrate_mutex`, then
/// `svm_migrate_vram_to_ram` retried up to 3 times while pages remain in VRAM; success
/// only if fully migrated (otherwise the svm_bo is kept: -EBUSY). A pass that fails
/// (`migrate_vma_setup`, allocation or copy error) leaves its pages in VRAM and counts as
/// a try (simplified from kfd_migrate.c, whose per-range loop also retries).
pub fn svm_range_evict_svm_bo_worker(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    cur.event(|| Ev::Call {
        f: "svm_range_evict_svm_bo_worker",
        obj: format!("devmem{d}").into(),
        ctx: None,
    });
    let g = migrate_mutex_lock(cur, svm);
    let (start, n, owner) = svm.with(|s| {
        let dm = &s.devmems[d];
        (dm.start, dm.pfns.len(), dm.dev)
    });
    let mut passes = 0;
    let live = |svm: &Svm, retry: Option<u32>| {
        svm.with(|s| {
            // The worker's `retries` loop head (a bounded loop: a retry point for fairness).
            if let Some(passes) = retry {
                super::lasso::svm_retry_point(
                    cur,
                    svm,
                    s,
                    "svm_range_evict_svm_bo_worker retry",
                    &[("retries", 3 - passes as u64)],
                );
            }
            s.devmems[d].pfns.iter().any(|&p| !s.folios[p].free)
        })
    };
    while passes < 3 && live(svm, Some(passes)) {
        passes += 1;
        let mut args = super::migrate::MigrateVma::new(start, n, owner);
        args.select_device_private = true;
        let r = super::migrate::migrate_vma_setup(cur, svm, &mut args);
        if r == 0 && args.cpages > 0 {
            to_ram_commit(
                cur,
                svm,
                Some(start),
                &mut args.src,
                |_, _| true,
                None,
                false,
            );
        }
        crate::model::sync::yield_now();
    }
    let ret = if live(svm, None) { -EBUSY } else { 0 };
    check_eviction_result(cur, svm, d, ret, passes, &[]);
    cur.machine.op_done(cur);
    migrate_mutex_unlock(cur, svm, g);
    if ret != 0 {
        cur.event(|| {
            Ev::Note(format!(
                "{}: pr_info_once \"Migration failed during eviction\", svm_bo kept",
                cpu_name(cur.id)
            ))
        });
    }
    ret
}

/// `page_free` is the only legal point where VRAM goes back; the 2025 AMD bug put it
/// back when the migration to RAM returned (variant `reuse-before-page-free`).
pub fn amd_free_vram_on_migration_done(cur: &Arc<Task>, svm: &Svm, d: DevmemId) {
    if !svm.variant(Variant::ReuseBeforePageFree) {
        return;
    }
    svm.with(|s| {
        let gone = s.devmems[d]
            .pfns
            .iter()
            .all(|&p| !s.ptes.contains(&Pte::Device(p)) && !s.ptes.contains(&Pte::Migration(p)));
        if gone && !s.devmems[d].returned {
            cur.event(|| {
                Ev::Note(format!(
                    "svm_migrate_vram_to_ram done: devmem{d}'s VRAM returned to the allocator (before page_free of its pages)"
                ))
            });
            super::pagemap::return_vram(s, d);
        }
    });
    let _ = Property::DevicePageReinit;
}
