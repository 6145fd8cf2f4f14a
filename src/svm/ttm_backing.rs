//! Driver policies around SVM migration and TTM (spec `svm_shrinker.md` §5.5–7):
//!
//! * Xe (mainline): SVM VRAM is a TTM BO with its own resv (`xe_svm_alloc_vram`,
//!   `XE_BO_FLAG_CPU_ADDR_MIRROR`); TTM eviction of that BO (under its resv, from the
//!   walker of `src/walker`) goes through `xe_bo_move` → `xe_svm_bo_evict` →
//!   `drm_pagemap_evict_to_ram`; success = every device page freed, then
//!   `ttm_bo_move_null`; failure keeps the VRAM. `devmem_release` drops the BO with
//!   `xe_bo_put_async`. The CPU fault path takes no resv and no driver lock.
//! * AMD KFD (`kfd_migrate.c`, `kfd_svm.c`): `svms.lock` then a per-range `migrate_mutex`,
//!   taken blocking by the CPU fault (`svm_migrate_to_ram`, with the fault page locked);
//!   the eviction worker (`svm_range_evict_svm_bo_worker`, 3 passes under migrate_mutex)
//!   signals the eviction fence whatever is left in VRAM, and TTM then guts the BO (the
//!   finding `amd-evict-signal-live`).
//! * The design the 2024 discussion rejected (variant `vm-resv-gated-migration`): SVM
//!   migration gated by the VM's shared dma_resv — the SVM BO shares the VM resv, the GPU
//!   fault handler holds it across migration, page collection and range eviction, and
//!   `migrate_to_ram` takes it (with the fault page locked).
//!
//! Simplified: one VRAM placement per BO of exactly the allocation's pages; the
//! asynchronous BO put (`xe_bo_put_async`) runs when the scenario flushes it.

use super::page::*;
use super::pagemap::{
    DevmemId, check_devmem_live, devmem_alloc, devmem_get_unless_zero, devmem_put,
    drm_pagemap_evict_to_ram, drm_pagemap_migrate_to_ram, fault_page_window, migrate_window_to_ram,
    to_ram_commit,
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

    /// `xe_svm_alloc_vram`'s BO, created and validated and then unlocked at once (the
    /// scenarios' set-up: a BO whose pages are already in VRAM).
    pub fn xe_bo_create_vram(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        dev: usize,
        start: Va,
        npages: usize,
    ) -> Result<DevmemId, i32> {
        let (d, took) = self.xe_bo_create_locked(cur, svm, dev, start, npages)?;
        self.xe_bo_unlock(cur, d, took);
        Ok(d)
    }

    /// `xe_bo_create_locked` for `xe_svm_alloc_vram` / `xe_drm_pagemap_populate_mm`: create
    /// the BO (own resv; the VM's with the rejected design), lock its resv, validate it
    /// into VRAM (TTM may evict other BOs, SVM ones through `drm_pagemap_evict_to_ram`),
    /// hand its pages out as a devmem allocation, and return **with the resv held** (the
    /// caller migrates, then `xe_bo_unlock`s: TTM's trylock cannot take the BO in the
    /// middle of the migration). The bool says whether this call took the resv (with the
    /// rejected design the GPU fault handler already holds the shared VM resv). On error
    /// the BO is unlocked and put.
    pub fn xe_bo_create_locked(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        dev: usize,
        start: Va,
        npages: usize,
    ) -> Result<(DevmemId, bool), i32> {
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
        match d {
            Ok(d) => {
                self.bos
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((d, Arc::clone(&bo)));
                Ok((d, !held))
            }
            Err(e) => {
                if !held {
                    ttm_bo_unreserve(cur, &self.dev, &bo);
                }
                ttm_bo_put(cur, &self.dev, &bo);
                Err(e)
            }
        }
    }

    /// `xe_bo_unlock(bo)` after the migration (if [`TtmBacking::xe_bo_create_locked`] took
    /// the resv). The kernel's `xe_bo_get` for the devmem and the creation reference's
    /// `xe_bo_put` cancel out: the model's one BO reference is the devmem's.
    pub fn xe_bo_unlock(&self, cur: &Arc<Task>, d: DevmemId, took: bool) {
        if took {
            let bo = self.bo_of(d).expect("devmem has a BO");
            ttm_bo_unreserve(cur, &self.dev, &bo);
        }
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

/// `mutex_lock(&p->svms.lock)`: lockdep class [`SVMS_LOCK`], the outer lock of the AMD
/// migrations (kfd_migrate.c `svm_migrate_to_ram`, kfd_svm.c `svm_range_restore_pages`).
pub fn svms_lock<'a>(cur: &Arc<Task>, svm: &'a Svm) -> KMutexGuard<'a> {
    svm.svms_lock.lock(cur)
}

/// `prange->granularity` (kfd_svm.c `svm_range_set_default_attributes`: 9, i.e. 512 pages):
/// the migration unit of the AMD CPU and GPU fault paths.
pub const AMD_GRANULARITY: u32 = 9;

/// AMD `svm_migrate_to_ram` (kfd_migrate.c, CPU fault, fault page locked by do_swap_page):
/// `mutex_lock(&p->svms.lock)` (outer), find the prange, `mutex_lock(&prange->migrate_mutex)`,
/// migrate `[max(ALIGN_DOWN(addr, size), prange->start), min(ALIGN(addr + 1, size) - 1,
/// prange->last)]` with `size = 1UL << prange->granularity`, unlock both;
/// `return r ? VM_FAULT_SIGBUS : 0`. The prange is the device allocation's window (one
/// prange per svm_bo in the model). Left out: the `p->svms.faulting_task == current` early
/// return (the GPU fault path's own hmm_range_fault recursing into a CPU fault, which no
/// AMD scenario has), and `mmget` / the process lookup (the process never exits).
pub fn svm_migrate_to_ram(cur: &Arc<Task>, svm: &Svm, va: Va, p: Pfn) -> i32 {
    let svms = svms_lock(cur, svm);
    let g = migrate_mutex_lock(cur, svm);
    let r = match fault_page_window(cur, svm, p) {
        Some((z, prange, owner)) => {
            let size = 1usize << AMD_GRANULARITY;
            let start = (va / size * size).max(prange.0);
            let last = ((va + 1).div_ceil(size) * size - 1).min(prange.0 + prange.1 - 1);
            migrate_window_to_ram(cur, svm, z, (start, last + 1 - start), owner, p)
        }
        None => 0,
    };
    migrate_mutex_unlock(cur, svm, g);
    KMutex::unlock(cur, svms);
    r
}

/// AMD `svm_range_evict_svm_bo_worker` (kfd_svm.c; body unchanged since the 2022-23
/// retry / keep-svm_bo patches): `svm_bo_ref_unless_zero`, then per prange (one in the
/// model) under `migrate_mutex`: `do { r = svm_migrate_vram_to_ram(...) } while (!r &&
/// prange->actual_loc && --retries)` with `retries = 3`; `pr_info_once("Migration failed
/// during eviction")` if pages are left; `prange->svm_bo = NULL` only if none is (a
/// prange with pages left keeps its svm_bo reference). Then, **whatever is left**,
/// `dma_fence_signal(&svm_bo->eviction_fence->base)`, `WARN_ONCE(!r &&
/// kref_read(&svm_bo->kref) != 1, "This was not the last reference")` and
/// `svm_range_bo_unref`. Returns whether device pages of the allocation are still live
/// after the passes.
///
/// With the proposal `amd-evict-busy-if-live` the worker still signals, but the caller
/// refuses the BO move ([`amdgpu_ttm_evict_svm_bo`]) and no WARN fires.
///
/// Simplified: `svm_migrate_vram_to_ram` is one `migrate_vma_setup(SELECT_DEVICE_PRIVATE)`
/// over the prange plus the drm_pagemap copy / commit / finalize (kfd_migrate.c has the
/// same steps, per vma); a pass that fails (`migrate_vma_setup`, allocation or copy
/// error) ends the loop with `r != 0`, as in the kernel. `actual_loc != 0` is "a device
/// page of the allocation is still live". `mmap_read_lock` is not modelled.
pub fn svm_range_evict_svm_bo_worker(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> bool {
    cur.event(|| Ev::Call {
        f: "svm_range_evict_svm_bo_worker",
        obj: format!("devmem{d}").into(),
        ctx: None,
    });
    // svm_bo_ref_unless_zero(svm_bo): "svm_bo was freed while eviction was pending".
    if !devmem_get_unless_zero(cur, svm, d) {
        return false;
    }
    let g = migrate_mutex_lock(cur, svm);
    let (start, n, owner) = svm.with(|s| {
        let dm = &s.devmems[d];
        (dm.start, dm.pfns.len(), dm.dev)
    });
    let live = |svm: &Svm| svm.with(|s| s.devmems[d].pfns.iter().any(|&p| !s.folios[p].free));
    let mut retries = 3u64;
    let mut r;
    loop {
        // The head of `do { ... } while (!r && prange->actual_loc && --retries)`: a
        // bounded loop, and a retry point for the lasso's fairness (model::progress).
        svm.with(|s| {
            super::lasso::svm_retry_point(
                cur,
                svm,
                s,
                "svm_range_evict_svm_bo_worker retry",
                &[("retries", retries)],
            )
        });
        let mut args = super::migrate::MigrateVma::new(start, n, owner);
        args.select_device_private = true;
        r = super::migrate::migrate_vma_setup(cur, svm, &mut args);
        if r == 0 && args.cpages > 0 {
            r = to_ram_commit(
                cur,
                svm,
                Some(start),
                &mut args.src,
                |_, _| true,
                None,
                false,
            );
        }
        retries -= 1;
        if !(r == 0 && live(svm) && retries > 0) {
            break;
        }
        crate::model::sync::yield_now();
    }
    let left = live(svm);
    cur.machine.op_done(cur);
    if r == 0 && left {
        cur.event(|| {
            Ev::Note(format!(
                "{}: pr_info_once \"Migration failed during eviction\" (prange keeps its svm_bo)",
                cpu_name(cur.id)
            ))
        });
    }
    migrate_mutex_unlock(cur, svm, g);
    cur.event(|| {
        Ev::Note(format!(
            "dma_fence_signal(devmem{d}'s eviction fence){}",
            if left {
                " with device pages still live"
            } else {
                ""
            }
        ))
    });
    if r == 0 && left && svm.variant(Variant::AmdEvictSignalLive) {
        let pages = live_pages(svm, d);
        svm.m.warn(
            cur.id,
            Property::SvmEviction,
            format!(
                "{} svm_range_evict_svm_bo_worker: WARN_ONCE \"This was not the last reference\": the eviction fence of devmem{d} is signalled while its device pages {} are live (a CPU fault holds the page lock); TTM now frees the BO's VRAM under them",
                cpu_name(cur.id),
                pages.join(", ")
            ),
        );
    }
    devmem_put(cur, svm, d); // svm_range_bo_unref(svm_bo)
    left
}

/// The device pages of `d` that are still live, described.
pub(super) fn live_pages(svm: &Svm, d: DevmemId) -> Vec<String> {
    svm.with(|s| {
        s.devmems[d]
            .pfns
            .iter()
            .filter(|&&p| !s.folios[p].free)
            .map(|&p| {
                format!(
                    "{} (refcount {}, locked by {})",
                    s.folios[p].name,
                    s.folios[p].refcount(),
                    s.folios[p].locked.map_or("nobody".to_string(), cpu_name)
                )
            })
            .collect()
    })
}

/// TTM eviction of an AMD SVM BO (`ttm_bo_evict` of a BO created with
/// `AMDGPU_AMDKFD_CREATE_SVM_BO`): enabling signalling of its eviction fence schedules
/// [`svm_range_evict_svm_bo_worker`] (`svm_range_schedule_evict_svm_bo`), TTM waits for
/// the fence (`ttm_bo_wait_ctx`), and `amdgpu_evict_flags` gives SVM BOs no placement, so
/// the BO is gutted (`ttm_bo_pipeline_gutting`): its VRAM goes back to the allocator.
/// Returns 0, or -EBUSY with the proposal `amd-evict-busy-if-live` when device pages are
/// still live (the BO keeps its VRAM).
///
/// Simplified: the worker runs in the evicting task (TTM does nothing but wait for the
/// fence meanwhile); the svm_bo is the model's devmem allocation without a TTM BO, so the
/// gutting is `return_vram`.
pub fn amdgpu_ttm_evict_svm_bo(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    let left = svm_range_evict_svm_bo_worker(cur, svm, d);
    if left && !svm.variant(Variant::AmdEvictSignalLive) {
        cur.event(|| {
            Ev::Note(format!(
                "amdgpu_bo_move(devmem{d}): device pages still live, eviction fails with -EBUSY (proposal amd-evict-busy-if-live)"
            ))
        });
        return -EBUSY;
    }
    svm.with(|s| {
        if !s.devmems[d].returned {
            cur.event(|| {
                Ev::Note(format!(
                    "ttm_bo_pipeline_gutting(devmem{d}): its VRAM goes back to the allocator"
                ))
            });
            super::pagemap::return_vram(s, d);
        }
    });
    0
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
