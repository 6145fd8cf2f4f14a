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

/// `HMM_RANGE_DEFAULT_TIMEOUT` (1000 ms), the deadline of `drm_gpusvm_get_pages` and
/// `drm_gpusvm_range_evict` (`timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)`),
/// as a number of `hmm_range_fault` passes: the model has no clock that advances while a
/// loop retries, and a pass is the unit in which the loop can observe the world change.
/// Below `MAX_REFAULTS`, so the kernel's bounded outcome (-EBUSY) comes first.
pub const HMM_TIMEOUT_PASSES: u32 = 64;

/// The 1 s deadline of one call ([`HMM_TIMEOUT_PASSES`]).
struct HmmTimeout(u32);

impl HmmTimeout {
    fn new() -> Self {
        HmmTimeout(0)
    }
    /// One more pass of the loop.
    fn tick(&mut self) {
        self.0 += 1;
    }
    /// `time_after(jiffies, timeout)`.
    fn past(&self) -> bool {
        self.0 >= HMM_TIMEOUT_PASSES
    }
}

/// `drm_gpusvm_range_get_pages` (`drm_gpusvm_get_pages`, drm_gpusvm.c 2026 mainline:
/// the text the Kinsburskii timeout series removes): `retry:` returns -EBUSY once the 1 s
/// deadline has passed ([`HMM_TIMEOUT_PASSES`]), `mmu_interval_read_begin`, the pfn array
/// (`kvmalloc_array`, -ENOMEM), `mmget_not_zero`, `hmm_range_fault` with our own device
/// as `dev_private_owner` and our notifier's sequence (-EBUSY: past the deadline the
/// loop breaks with -EBUSY, else read the sequence again and retry), `mmput`; then under
/// `notifier_lock`: `goto retry` if the sequence moved; a range mixing system and device
/// pages, or device pages of two zdds, is -EOPNOTSUPP; `devmem_only` with a page not in
/// device memory is -EFAULT (@0542972950ef); otherwise the GPU PTEs are installed (the
/// bind, folded in). Returns whether the range is in device memory.
pub fn drm_gpusvm_range_get_pages(
    cur: &Arc<Task>,
    svm: &Svm,
    dev: usize,
    start: Va,
    npages: usize,
    devmem_only: bool,
) -> Result<bool, i32> {
    let mut timeout = HmmTimeout::new();
    let mut tries = 0;
    let mut retry = || {
        tries += 1;
        if tries > MAX_REFAULTS {
            svm.fail(
                Property::Livelock,
                crate::model::progress::retry_bound(
                    &svm.m.rec,
                    cur.id,
                    &format!("{} drm_gpusvm_range_get_pages(gpu{dev})", cpu_name(cur.id)),
                    MAX_REFAULTS,
                    "the notifier sequence keeps moving",
                ),
            );
        }
    };
    let r = loop {
        retry();
        if timeout.past() {
            break Err(-EBUSY); // retry: if (time_after(jiffies, timeout)) return -EBUSY;
        }
        let mut seq = mmu_interval_read_begin(cur, svm, dev);
        svm.m.lockdep.might_alloc(cur, "kvmalloc_array");
        let obj = || format!("gpu{dev}, va{start}..va{}", start + npages);
        if let Some(e) = fault::should_fail(cur, site::DRM_GPUSVM_KVMALLOC, obj) {
            break Err(e);
        }
        mmget_not_zero(cur, svm);
        let pfns = loop {
            let r = hmm_range_fault(cur, svm, start, npages, Some(dev), Some((dev, seq)));
            timeout.tick();
            match r {
                Err(e) if e == -EBUSY && timeout.past() => break Err(e),
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
                    // The 1 s deadline bounds this loop (then -EBUSY): its time left is
                    // part of the state, so a retry until the deadline is not a lasso.
                    &[(
                        "timeout_passes_left",
                        u64::from(HMM_TIMEOUT_PASSES - timeout.0),
                    )],
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
            if devmem_only && dev_pages.len() != pfns.len() {
                return Some(Err(-EFAULT)); // "ctx->devmem_only && !is_device_private_page"
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
/// array (`kvmalloc_array`: on -ENOMEM `mmput` and return), then `while
/// (!time_after(jiffies, timeout))`: `mmu_interval_read_begin` of device `dev`'s notifier
/// (-ETIME if the deadline passed meanwhile: unreachable here, the model's deadline only
/// moves with passes), `hmm_range_fault` with no owner (every device page of the range is
/// faulted back through `do_swap_page`), and out unless -EBUSY; `mmput`. Past the
/// deadline ([`HMM_TIMEOUT_PASSES`]) the last -EBUSY is returned (Xe ignores it). The
/// variant `gpusvm-evict-mm-leak` is the code before 847b371debf3, which returned
/// -ENOMEM without the `mmput`.
pub fn drm_gpusvm_range_evict(
    cur: &Arc<Task>,
    svm: &Svm,
    dev: usize,
    start: Va,
    npages: usize,
) -> i32 {
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
    let mut timeout = HmmTimeout::new();
    let mut err = -EBUSY;
    while !timeout.past() {
        let seq = mmu_interval_read_begin(cur, svm, dev);
        err = match hmm_range_fault(cur, svm, start, npages, None, Some((dev, seq))) {
            Ok(_) => 0,
            Err(e) => e,
        };
        timeout.tick();
        if err != -EBUSY {
            break;
        }
    }
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

/// `xe_drm_pagemap_populate_mm` (xe_svm.c, v7.0 text): create the VRAM BO
/// (`xe_bo_create_locked`: fault site `drm_pagemap_populate_mm`, -ENOMEM / -ENOSPC; with
/// TTM backing its validation may evict), then `drm_pagemap_migrate_to_devmem` **with the
/// new BO's resv held**, which consumes the allocation even on error ("Consumes the devmem
/// allocation ref"), so nothing is released here (variant `xe-devmem-release-on-error`:
/// the release the consuming change removed); then `xe_bo_unlock`, `xe_bo_put`. TTM's
/// eviction trylocks the resv, so it cannot evict the BO in the middle of the migration.
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
    // bo = xe_bo_create_locked(...): the resv stays held across the migration. A
    // `svm-design-*` scenario's VRAM manager allocates instead (svm::designs).
    let hooked = svm
        .design
        .get()
        .map(|m| m.alloc_for_fault(cur, svm, dev, start, npages));
    let (d, took) = match (hooked, &svm.ttm) {
        (Some(r), _) => match r {
            Ok(x) => x,
            Err(e) => return e,
        },
        (None, ttm) => match ttm {
            Some(t) => match t.xe_bo_create_locked(cur, svm, dev, start, npages) {
                Ok(x) => x,
                Err(e) => return e,
            },
            None => match devmem_alloc(svm, dev, start, npages) {
                Ok(d) => (d, false),
                Err(e) => return e,
            },
        },
    };
    let err = drm_pagemap_migrate_to_devmem(cur, svm, d);
    if err != 0 && svm.variant(Variant::XeDevmemReleaseOnError) {
        svm.with(|s| super::pagemap::devmem_release(svm, s, cur, d));
    }
    // xe_bo_unlock(bo); xe_bo_put(bo);
    if let Some(t) = &svm.ttm {
        t.xe_bo_unlock(cur, d, took);
    }
    err
}

/// `xe_svm_handle_pagefault` (`__xe_svm_handle_pagefault`, xe_svm.c, v6.15-rc7 text, the
/// shape later kernels keep): `migrate_try_count = devmem_only ? 3 : 1`; at `retry:` if
/// the range's GPU mapping is valid (and in VRAM for `devmem_only`) the access is done;
/// `if (--migrate_try_count >= 0 && xe_svm_range_needs_migrate_to_vram(...))` — **one
/// attempt spent on every pass** — `xe_svm_alloc_vram`, whose failure goes back to
/// `retry:` while `migrate_try_count || !devmem_only`, else is returned ("VRAM allocation
/// failed, retry count exceeded"); get pages: -EOPNOTSUPP / -EFAULT / -EPERM go back to
/// `retry:` (evicting the range first for -EOPNOTSUPP) while `migrate_try_count > 0 ||
/// !devmem_only`, else `goto err_out`; any other error (-EBUSY once the 1 s deadline of
/// get_pages passed) is `err_out` too. A fault that returns an error fails the GPU job:
/// reported as `expectation` ("GPU fault failed") unless a failure injected into this fault
/// explains it.
///
/// Not modelled: `ctx.timeslice_ms <<= 1` on each retry (the timeslice is the
/// configuration's), the garbage collector, `vm->lock`, the separate bind with its
/// `-EAGAIN` retry (the bind is folded into get_pages under the notifier lock).
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
    // err_out: the fault fails; only an injected failure may explain it.
    let failed = |err: i32, why: &str| -> i32 {
        if injected_since(cur, mark).is_empty() {
            svm.fail(
                Property::Expectation,
                format!(
                    "{} GPU fault failed ({}): xe_svm_handle_pagefault(gpu{dev}, va{va}{}) {why}",
                    cpu_name(cur.id),
                    errno_name(err),
                    if devmem_only { ", devmem_only" } else { "" }
                ),
            );
        }
        ret(err)
    };
    let ping_pong = "after its 3 migration attempts: each time the CPU faulted the page back before the GPU could bind it (CPU/GPU atomic ping-pong; the timeslice of df8c37810b5a / 1b36ea2fc687 prevents it)";
    loop {
        retries += 1;
        if retries > MAX_REFAULTS {
            svm.fail(
                Property::Livelock,
                crate::model::progress::retry_bound(
                    &svm.m.rec,
                    cur.id,
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
            s.meter.gpu_fault_passes += 1;
            (start..start + npages)
                .all(|v| matches!(s.ptes[v], Pte::Device(p) if s.folios[p].dev() == Some(dev)))
        });
        // if (--migrate_try_count >= 0 && xe_svm_range_needs_migrate_to_vram(...))
        migrate_try -= 1;
        if migrate_try >= 0 && !in_vram && (devmem_only || prefer_vram) {
            let err = xe_svm_alloc_vram(cur, svm, dev, start, npages);
            if err != 0 {
                if migrate_try != 0 || !devmem_only {
                    cur.event(|| {
                        Ev::Note(format!(
                            "xe_svm_alloc_vram -> {}: VRAM allocation failed, falling back to retrying fault",
                            errno_name(err)
                        ))
                    });
                    crate::model::sync::yield_now();
                    continue; // goto retry
                }
                // "VRAM allocation failed, retry count exceeded"
                return failed(err, ping_pong);
            }
        }
        match drm_gpusvm_range_get_pages(cur, svm, dev, start, npages, devmem_only) {
            // Bound: the handler returns 0 and the GPU replays the access (the next pass's
            // gpu_access). If the mapping was invalidated in between, the kernel takes a
            // new fault with a fresh migrate_try_count; the model keeps this call's
            // (fewer migrations, never more: a non-atomic fault whose replay always
            // loses would otherwise ping-pong its range without end).
            Ok(_) => {}
            Err(e) if e == -super::EOPNOTSUPP || e == -EFAULT || e == -super::EPERM => {
                // "Corner where CPU mappings have changed"
                if migrate_try > 0 || !devmem_only {
                    if e == -super::EOPNOTSUPP {
                        drm_gpusvm_range_evict(cur, svm, dev, start, npages);
                    }
                    crate::model::sync::yield_now();
                    continue; // goto retry
                }
                return failed(e, ping_pong);
            }
            // "PAGE FAULT - FAIL PAGE COLLECT"
            Err(e) => {
                return failed(
                    e,
                    "drm_gpusvm_range_get_pages failed (past the 1 s deadline: the notifier sequence kept moving)",
                );
            }
        }
        crate::model::sync::yield_now();
    }
}
