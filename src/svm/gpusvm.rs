//! DRM GPU SVM and the Xe GPU fault handler: `drivers/gpu/drm/drm_gpusvm.c`
//! (@78a84fbfa4ff, v6.15) and `drivers/gpu/drm/xe/xe_svm.c` (@8f2146159b3a), spec
//! `svm_shrinker.md` §4–5: the mmu interval notifier (sequence + `notifier_lock`),
//! `drm_gpusvm_range_get_pages`, `drm_gpusvm_range_evict`, GPU access through the GPU
//! page table, and `xe_svm_handle_pagefault` with its retry policy.
//!
//! Simplified: one range per device covering the scenario's window (no chunk selection,
//! no garbage collector, ranges are never split); `notifier_lock` is taken exclusively
//! (the kernel's rwsem readers are the fault handlers, which the scenarios run one per
//! device); DMA mapping is implicit in the GPU PTE; the GPU access is done under the
//! notifier lock, which is what an invalidation's TLB flush guarantees in the kernel.

use super::fault::{HmmPfn, MAX_REFAULTS, hmm_range_fault};
use super::page::*;
use super::pagemap::{devmem_alloc, drm_pagemap_migrate_to_devmem};
use crate::model::fault::{self, site};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EBUSY, EFAULT, Ev, cpu_name, errno_name};
use crate::model::variants::Variant;

/// `mmu_notifier_invalidate_range_start` for `[start, start + npages)` (what
/// `migrate_vma_collect` brackets its walk with): the interval notifier sequence moves and
/// every device's `drm_gpusvm_notifier_invalidate` takes its `notifier_lock` and zaps its
/// GPU PTEs. Until the matching `_end`, `mmu_interval_read_begin` waits.
pub fn mmu_notifier_invalidate_range_start(cur: &Arc<Task>, svm: &Svm, start: Va, npages: usize) {
    for dev in 0..svm.cfg.devices {
        let _g = notifier_lock(cur, svm, dev);
        svm.with(|s| {
            s.notifier_seq[dev] += 1;
            s.invalidating[dev] += 1;
            let mut zapped = false;
            for va in start..start + npages {
                zapped |= s.gpu_pte[dev][va].take().is_some();
            }
            if zapped {
                cur.event(|| {
                    Ev::Note(format!(
                        "drm_gpusvm_notifier_invalidate(gpu{dev}, va{start}..va{}): GPU PTEs zapped",
                        start + npages
                    ))
                });
            }
        });
    }
}

/// `mmu_notifier_invalidate_range_end`.
pub fn mmu_notifier_invalidate_range_end(_cur: &Arc<Task>, svm: &Svm) {
    svm.with(|s| {
        for dev in 0..svm.cfg.devices {
            s.invalidating[dev] -= 1;
        }
    });
    svm.wake_all();
}

/// `mmu_interval_read_begin`: wait while an invalidation is in progress, return the
/// sequence.
pub fn mmu_interval_read_begin(cur: &Arc<Task>, svm: &Svm, dev: usize) -> u64 {
    svm.with_wait(|g, wq| {
        if g.invalidating[dev] > 0 {
            svm.m.rec.set_blocked_on(
                cur.id,
                Some((
                    crate::model::trace::WaitKind::Other,
                    format!("mmu_interval_read_begin(gpu{dev}) waits for an invalidation to end"),
                    None,
                )),
            );
            while g.invalidating[dev] > 0 {
                wq.wait(g);
            }
            svm.m.rec.set_blocked_on(cur.id, None);
        }
        g.notifier_seq[dev]
    })
}

/// `drm_gpusvm_range_get_pages` (`drm_gpusvm_get_pages`): the pfn array
/// (`kvmalloc_array`, -ENOMEM), `mmget_not_zero`, `hmm_range_fault` with our own device
/// as `dev_private_owner` (-EBUSY: read the sequence again and retry), `mmput`; then under
/// `notifier_lock`: retry if the sequence moved; a range mixing system and device pages,
/// or device pages of two zdds, is -EOPNOTSUPP; otherwise the GPU PTEs are installed.
/// Returns whether the range is in device memory.
pub fn drm_gpusvm_range_get_pages(
    cur: &Arc<Task>,
    svm: &Svm,
    dev: usize,
    start: Va,
    npages: usize,
) -> Result<bool, i32> {
    let mut tries = 0;
    let mut retry = || {
        tries += 1;
        if tries > MAX_REFAULTS {
            svm.fail(
                Property::Livelock,
                crate::model::progress::retry_bound(
                    &format!("{} drm_gpusvm_range_get_pages(gpu{dev})", cpu_name(cur.id)),
                    MAX_REFAULTS,
                    "the notifier sequence keeps moving",
                ),
            );
        }
    };
    let r = loop {
        retry();
        let mut seq = mmu_interval_read_begin(cur, svm, dev);
        svm.m.lockdep.might_alloc(cur, "kvmalloc_array");
        let obj = || format!("gpu{dev}, va{start}..va{}", start + npages);
        if let Some(e) = fault::should_fail(cur, site::DRM_GPUSVM_KVMALLOC, obj) {
            break Err(e);
        }
        mmget_not_zero(cur, svm);
        let pfns = loop {
            match hmm_range_fault(cur, svm, start, npages, Some(dev)) {
                Err(e) if e == -EBUSY => {
                    retry();
                    seq = mmu_interval_read_begin(cur, svm, dev);
                }
                other => break other,
            }
        };
        mmput(cur, svm);
        let pfns = match pfns {
            Ok(p) => p,
            Err(e) => break Err(e), // err_free
        };
        let _g = notifier_lock(cur, svm, dev);
        let r = svm.with(|s| {
            if s.notifier_seq[dev] != seq {
                // mmu_interval_read_retry: goto retry (the retry loop's head).
                super::lasso::svm_retry_point(
                    cur,
                    svm,
                    s,
                    "drm_gpusvm_range_get_pages retry (notifier sequence moved)",
                    &[],
                );
                return None;
            }
            let dev_pages: Vec<Pfn> = pfns
                .iter()
                .filter_map(|h| match h {
                    HmmPfn::Device(p) => Some(*p),
                    HmmPfn::System(_) => None,
                })
                .collect();
            let zdds: Vec<_> = dev_pages.iter().map(|p| s.folios[*p].zdd).collect();
            let mixed = !dev_pages.is_empty() && dev_pages.len() != pfns.len();
            if mixed || zdds.windows(2).any(|w| w[0] != w[1]) {
                return Some(Err(-super::EOPNOTSUPP));
            }
            for (i, h) in pfns.iter().enumerate() {
                let (HmmPfn::System(p) | HmmPfn::Device(p)) = *h;
                s.gpu_pte[dev][start + i] = Some(p);
            }
            Some(Ok(!dev_pages.is_empty()))
        });
        if let Some(r) = r {
            break r;
        }
    };
    cur.event(|| Ev::Ret {
        f: "drm_gpusvm_range_get_pages",
        obj: format!("gpu{dev}, va{start}..va{}", start + npages).into(),
        ret: match r {
            Ok(_) => 0,
            Err(e) => e,
        },
    });
    r
}

/// `drm_gpusvm_range_evict` (drm_gpusvm.c, with 847b371debf3): `mmget_not_zero`, the pfn
/// array (`kvmalloc_array`: on -ENOMEM `mmput` and return), `hmm_range_fault` with no
/// owner (every device page of the range is faulted back through `do_swap_page`;
/// -EBUSY retries), `mmput`. The variant `gpusvm-evict-mm-leak` is the code before
/// 847b371debf3, which returned -ENOMEM without the `mmput`.
pub fn drm_gpusvm_range_evict(cur: &Arc<Task>, svm: &Svm, start: Va, npages: usize) -> i32 {
    cur.event(|| Ev::Call {
        f: "drm_gpusvm_range_evict",
        obj: format!("va{start}..va{}", start + npages).into(),
        ctx: None,
    });
    mmget_not_zero(cur, svm);
    svm.m.lockdep.might_alloc(cur, "kvmalloc_array");
    let obj = || format!("va{start}..va{}", start + npages);
    if let Some(e) = fault::should_fail(cur, site::DRM_GPUSVM_KVMALLOC, obj) {
        if !svm.variant(Variant::GpusvmEvictMmLeak) {
            mmput(cur, svm);
        }
        return e;
    }
    let mut tries = 0;
    let err = loop {
        match hmm_range_fault(cur, svm, start, npages, None) {
            Err(e) if e == -EBUSY && tries < MAX_REFAULTS => tries += 1,
            Err(e) => break e,
            Ok(_) => break 0,
        }
    };
    mmput(cur, svm);
    err
}

/// A GPU access to `va` through device `dev`'s page table (under `notifier_lock`):
/// false if the GPU PTE is gone or (for `devmem_only`) not device memory. The page the
/// GPU PTE points to must be live (a GPU PTE that outlived its page is a use after free:
/// the invalidation must zap it before the page can be freed).
pub fn gpu_access(cur: &Arc<Task>, svm: &Svm, dev: usize, va: Va, devmem_only: bool) -> bool {
    let _g = notifier_lock(cur, svm, dev);
    svm.with(|s| {
        let Some(p) = s.gpu_pte[dev][va] else {
            return false;
        };
        check_live(svm, s, cur, p, &format!("GPU{dev} access through its PTE"));
        if devmem_only && s.folios[p].dev() != Some(dev) {
            return false;
        }
        let (have, want) = (s.folios[p].data, s.expected[va]);
        if have != want {
            svm.fail(
                Property::DataLoss,
                format!(
                    "gpu{dev} ({}) reads va{va} through {} and finds version {have}, but version {want} was written last",
                    cpu_name(cur.id),
                    s.folios[p].name
                ),
            );
        }
        s.folios[p].data = have + 1;
        s.expected[va] = have + 1;
        cur.event(|| {
            Ev::Note(format!(
                "GPU{dev} atomic on va{va} ({}): version {}",
                s.folios[p].name,
                have + 1
            ))
        });
        true
    })
}

/// `xe_svm_alloc_vram` → `drm_pagemap_populate_mm` (`mmget_not_zero`, mmap read lock,
/// `ops->populate_mm`, `mmput`).
pub fn xe_svm_alloc_vram(cur: &Arc<Task>, svm: &Svm, dev: usize, start: Va, npages: usize) -> i32 {
    mmget_not_zero(cur, svm);
    let err = xe_drm_pagemap_populate_mm(cur, svm, dev, start, npages);
    mmput(cur, svm);
    err
}

/// `xe_drm_pagemap_populate_mm` (xe_svm.c): create the VRAM BO (`xe_bo_create_locked`:
/// fault site `drm_pagemap_populate_mm`, -ENOMEM / -ENOSPC; with TTM backing its
/// validation may evict), then `drm_pagemap_migrate_to_devmem`, which consumes the
/// allocation even on error ("Consumes the devmem allocation ref"), so nothing is
/// released here (variant `xe-devmem-release-on-error`: the release the consuming change
/// removed).
fn xe_drm_pagemap_populate_mm(
    cur: &Arc<Task>,
    svm: &Svm,
    dev: usize,
    start: Va,
    npages: usize,
) -> i32 {
    svm.m.lockdep.might_alloc(cur, "xe_bo_create_locked");
    let obj = || format!("gpu{dev}, va{start}..va{}", start + npages);
    if let Some(e) = fault::should_fail(cur, site::DEVMEM_ALLOC, obj) {
        return e;
    }
    let d = match &svm.ttm {
        Some(t) => match t.xe_bo_create_vram(cur, svm, dev, start, npages) {
            Ok(d) => d,
            Err(e) => return e,
        },
        None => match devmem_alloc(svm, dev, start, npages) {
            Ok(d) => d,
            Err(e) => return e,
        },
    };
    let err = drm_pagemap_migrate_to_devmem(cur, svm, d);
    if err != 0 && svm.variant(Variant::XeDevmemReleaseOnError) {
        svm.with(|s| super::pagemap::devmem_release(svm, s, cur, d));
    }
    err
}

/// `xe_svm_handle_pagefault` (`__xe_svm_handle_pagefault`, xe_svm.c): find the range; if
/// its GPU mapping is valid (and in VRAM for `devmem_only`) do the access; else, if the
/// range's preferred location is VRAM (`prefer_vram`) or the fault is atomic, migrate to
/// VRAM (`migrate_try_count` 3 for `devmem_only`, else 1; a failure retries the fault
/// while tries remain or the fault may use system memory, else it is returned); get
/// pages: -EOPNOTSUPP / -EFAULT / -EPERM evict the range and retry (same condition),
/// another error is returned; bind. A `devmem_only` fault that runs out of migration
/// attempts fails the GPU job: reported as a livelock (CPU/GPU ping-pong, fixed by the
/// timeslice) unless a failure injected into this fault explains it, in which case the
/// error is returned as the kernel does.
#[allow(clippy::too_many_arguments)]
pub fn xe_svm_handle_pagefault(
    cur: &Arc<Task>,
    svm: &Svm,
    dev: usize,
    start: Va,
    npages: usize,
    va: Va,
    atomic: bool,
    prefer_vram: bool,
) -> i32 {
    cur.event(|| Ev::Call {
        f: "xe_svm_handle_pagefault",
        obj: format!("gpu{dev}, va{va}{}", if atomic { ", atomic" } else { "" }).into(),
        ctx: None,
    });
    let mark = injection_mark(cur);
    let devmem_only = atomic;
    let mut migrate_try = if devmem_only { 3 } else { 1 };
    let mut retries = 0;
    let ret = |err: i32| {
        cur.machine.op_done(cur);
        cur.event(|| Ev::Ret {
            f: "xe_svm_handle_pagefault",
            obj: format!("gpu{dev}, va{va}").into(),
            ret: err,
        });
        err
    };
    let ping_pong = || -> ! {
        svm.fail(
            Property::Livelock,
            format!(
                "retry bound (no lasso proven): {} GPU atomic fault on va{va} (gpu{dev}, devmem_only) failed after its migrate_try_count = 3 migrations to VRAM: each time the CPU faulted the page back before the GPU could bind it (CPU/GPU atomic ping-pong; the timeslice of df8c37810b5a / 1b36ea2fc687 prevents it). The kernel bounds this loop itself (the GPU job fails), so there is no cycle to show",
                cpu_name(cur.id)
            ),
        )
    };
    loop {
        retries += 1;
        if retries > MAX_REFAULTS {
            svm.fail(
                Property::Livelock,
                crate::model::progress::retry_bound(
                    &format!(
                        "{} xe_svm_handle_pagefault(gpu{dev}, va{va})",
                        cpu_name(cur.id)
                    ),
                    MAX_REFAULTS,
                    "get_pages / bind keep failing",
                ),
            );
        }
        if gpu_access(cur, svm, dev, va, devmem_only) {
            return ret(0);
        }
        let in_vram = svm.with(|s| {
            // `retry:` of __xe_svm_handle_pagefault; migrate_try_count is its counter.
            super::lasso::svm_retry_point(
                cur,
                svm,
                s,
                "xe_svm_handle_pagefault retry",
                &[("migrate_try_count", migrate_try as u64)],
            );
            (start..start + npages)
                .all(|v| matches!(s.ptes[v], Pte::Device(p) if s.folios[p].dev() == Some(dev)))
        });
        if !in_vram && migrate_try > 0 && (devmem_only || prefer_vram) {
            migrate_try -= 1;
            let err = xe_svm_alloc_vram(cur, svm, dev, start, npages);
            if err != 0 {
                if migrate_try > 0 || !devmem_only {
                    cur.event(|| {
                        Ev::Note(format!(
                            "xe_svm_alloc_vram -> {}: VRAM allocation failed, falling back to retrying fault",
                            errno_name(err)
                        ))
                    });
                    crate::model::sync::yield_now();
                    continue;
                }
                if injected_since(cur, mark).is_empty() {
                    ping_pong();
                }
                return ret(err); // "VRAM allocation failed, retry count exceeded"
            }
        } else if devmem_only && !in_vram && migrate_try == 0 {
            if injected_since(cur, mark).is_empty() {
                ping_pong();
            }
            return ret(-EBUSY);
        }
        match drm_gpusvm_range_get_pages(cur, svm, dev, start, npages) {
            Ok(_) => {}
            Err(e) if e == -super::EOPNOTSUPP || e == -EFAULT => {
                // "Corner where CPU mappings have changed": evict and retry.
                if migrate_try > 0 || !devmem_only {
                    drm_gpusvm_range_evict(cur, svm, start, npages);
                } else {
                    if injected_since(cur, mark).is_empty() {
                        ping_pong();
                    }
                    return ret(e);
                }
            }
            Err(e) => return ret(e), // "PAGE FAULT - FAIL PAGE COLLECT"
        }
        crate::model::sync::yield_now();
    }
}
