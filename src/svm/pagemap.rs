//! drm_pagemap: `drivers/gpu/drm/drm_pagemap.c` (@10dd1eaa80a5, mainline 2026; the
//! v6.15 code was in `drm_gpusvm.c` @78a84fbfa4ff with the same steps), spec
//! `svm_shrinker.md` §5.3–5.4:
//! device allocations (`struct drm_pagemap_devmem`), the zdd (`zone_device_data`) and its
//! lifetime, `drm_pagemap_migrate_to_devmem` (all or nothing, -EBUSY),
//! `drm_pagemap_evict_to_ram` (at most 3 passes, success = `detached`), and the CPU-fault
//! migration `__drm_pagemap_migrate_to_ram` (allocation-sized window, fault page,
//! timeslice).
//!
//! Simplified: DMA mapping of the copies is left out (it cannot fail in the model);
//! `copy_to_devmem` / `copy_to_ram` copy the contents version of each page in its own step
//! (the DMA engine reads the source while it is locked and unmapped, which is what makes
//! the copy consistent); the allocation's pages are the `vram_pages` pfns handed out by
//! `populate_devmem_pfn` in order.
//!
//! Error paths (fault sites `kvcalloc`, `drm_pagemap_zdd_alloc`, `migrate_vma_setup`,
//! `copy_to_devmem`, `alloc_page`, `copy_to_ram`) follow @10dd1eaa80a5: the devmem
//! allocation's reference is consumed by `drm_pagemap_migrate_to_devmem` even on error
//! (the zdd owns it from `drm_pagemap_zdd_alloc` on; before that `err_out` calls
//! `devmem_release` itself); a failed copy unlocks and puts the destination pages
//! (`drm_pagemap_migration_unlock_put_pages`) and `migrate_vma_pages` / `_finalize`
//! restore the sources; `__drm_pagemap_migrate_to_ram` errors become `VM_FAULT_SIGBUS`;
//! `drm_pagemap_evict_to_ram` retries (3 passes) and returns the last pass's error or
//! -EBUSY.

use super::migrate::*;
use super::page::*;
use crate::model::fault::{self, site};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EBUSY, ENOMEM, Ev, cpu_name, errno_name};
use crate::model::variants::Variant;

pub type ZddId = usize;
pub type DevmemId = usize;

/// `struct drm_pagemap_zdd`.
#[derive(Clone, Debug, Default)]
pub struct Zdd {
    pub kref: u32,
    /// Ghost: references owned by a running `migrate_to_devmem` (its zdd_alloc one).
    pub call_refs: u32,
    /// `zdd->devmem_allocation` (bound on success).
    pub devmem: Option<DevmemId>,
    pub freed: bool,
}

/// `struct drm_pagemap_devmem`.
#[derive(Clone, Debug)]
pub struct Devmem {
    pub dev: usize,
    /// The device pages of the allocation (`populate_devmem_pfn`).
    pub pfns: Vec<Pfn>,
    /// The virtual window it was allocated for (allocation-sized, aligned).
    pub start: Va,
    /// `detached` completion: the zdd died, every device page was freed.
    pub detached: bool,
    /// Ghost: how often `devmem_release` ran.
    pub released: u32,
    pub timeslice_expiration: u64,
    /// The zdd bound to it.
    pub zdd: Option<ZddId>,
    /// The pfns went back to the VRAM allocator.
    pub returned: bool,
    /// References on the allocation's memory when it is not a TTM BO (with TTM backing
    /// the devmem is embedded in the BO and lives as long as the BO's kref): one is the
    /// allocation's own (consumed by `migrate_to_devmem`, owned by the zdd, dropped by
    /// `devmem_release`), plus one per driver path working on it ([`devmem_get`]).
    pub kref: u32,
}

/// Report a use of a devmem allocation after its final put (what KASAN reports on the
/// kfree'd `struct drm_pagemap_devmem`, or on the xe_bo it is embedded in).
pub fn check_devmem_live(svm: &Svm, s: &SvmState, cur: &Arc<Task>, d: DevmemId, op: &str) {
    let freed = match svm.ttm.as_ref().and_then(|t| t.bo_of(d)) {
        Some(bo) => bo.kref.read() == 0,
        None => s.devmems[d].kref == 0,
    };
    if freed {
        svm.fail(
            Property::UseAfterFree,
            format!(
                "{} {op} on devmem{d} after its final put (devmem_release dropped the allocation's last reference: the memory is freed)",
                cpu_name(cur.id)
            ),
        );
    }
}

/// Report a use of a freed zdd.
pub fn check_zdd_live(svm: &Svm, s: &SvmState, cur: &Arc<Task>, z: ZddId, op: &str) {
    if s.zdds[z].freed {
        svm.fail(
            Property::UseAfterFree,
            format!(
                "{} {op} on zdd{z} after its final drm_pagemap_zdd_put (kfree'd in drm_pagemap_zdd_destroy)",
                cpu_name(cur.id)
            ),
        );
    }
}

/// A driver path takes a reference on a (non-TTM) devmem allocation for the time it works
/// on it (Xe: the BO reference TTM holds while it evicts).
pub fn devmem_get(cur: &Arc<Task>, svm: &Svm, d: DevmemId) {
    svm.with(|s| {
        check_devmem_live(svm, s, cur, d, "devmem get");
        s.devmems[d].kref += 1;
    });
}

/// `kref_get_unless_zero` on the allocation (AMD `svm_bo_ref_unless_zero`): false if its
/// last reference is gone.
pub fn devmem_get_unless_zero(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> bool {
    svm.with(|s| {
        if svm.ttm.as_ref().and_then(|t| t.bo_of(d)).is_none() && s.devmems[d].kref == 0 {
            return false;
        }
        check_devmem_live(svm, s, cur, d, "devmem get");
        s.devmems[d].kref += 1;
        true
    })
}

/// Drop a reference taken with [`devmem_get`].
pub fn devmem_put(cur: &Arc<Task>, svm: &Svm, d: DevmemId) {
    svm.with(|s| devmem_put_locked(svm, s, cur, d));
}

fn devmem_put_locked(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, d: DevmemId) {
    check_devmem_live(svm, s, cur, d, "devmem put");
    if svm.ttm.as_ref().and_then(|t| t.bo_of(d)).is_some() {
        return;
    }
    s.devmems[d].kref -= 1;
    if s.devmems[d].kref == 0 {
        cur.event(|| Ev::Note(format!("kfree(devmem{d}) (last reference)")));
    }
}

/// `drm_pagemap_zdd_alloc` + `zdd->devmem_allocation = devmem_allocation; /* Owns ref */`:
/// kref 1, owned by the calling migration; from here on the zdd owns the allocation's
/// reference (its destroy calls `devmem_release`).
fn drm_pagemap_zdd_alloc(svm: &Svm, d: DevmemId) -> ZddId {
    svm.with(|s| {
        s.zdds.push(Zdd {
            kref: 1,
            call_refs: 1,
            devmem: Some(d),
            freed: false,
        });
        let z = s.zdds.len() - 1;
        s.devmems[d].zdd = Some(z);
        z
    })
}

/// `drm_pagemap_zdd_put` (inside a step): at 0 `drm_pagemap_zdd_destroy` completes
/// `detached` and calls `devmem_release`.
pub fn drm_pagemap_zdd_put(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, z: ZddId) {
    check_zdd_live(svm, s, cur, z, "drm_pagemap_zdd_put");
    let zdd = &mut s.zdds[z];
    zdd.kref -= 1;
    if zdd.kref > 0 {
        return;
    }
    zdd.freed = true;
    if let Some(d) = zdd.devmem {
        check_devmem_live(svm, s, cur, d, "complete_all(&devmem->detached)");
        s.devmems[d].detached = true; // complete_all(&devmem->detached)
        cur.event(|| {
            Ev::Note(format!(
                "drm_pagemap_zdd_destroy(zdd{z}): complete_all(devmem{d}.detached)"
            ))
        });
        devmem_release(svm, s, cur, d);
    }
}

/// The zdd reference a running migration owns is dropped.
fn zdd_put_call_ref(cur: &Arc<Task>, svm: &Svm, z: ZddId) {
    svm.with(|s| {
        s.zdds[z].call_refs -= 1;
        drm_pagemap_zdd_put(svm, s, cur, z);
    });
}

/// `ops->devmem_release` (Xe: `xe_svm_devmem_release` → `xe_bo_put_async`): the VRAM
/// goes back to the allocator (through the BO's release when the allocation is a BO) and
/// the allocation's own reference is dropped.
pub fn devmem_release(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, d: DevmemId) {
    check_devmem_live(svm, s, cur, d, "devmem_release");
    let dm = &mut s.devmems[d];
    dm.released += 1;
    if dm.released > 1 {
        svm.fail(
            Property::ZddRefcount,
            format!("devmem_release(devmem{d}) ran twice"),
        );
    }
    cur.event(|| Ev::Note(format!("devmem_release(devmem{d})")));
    // A `svm-design-*` scenario's VRAM manager returns the pages when their VRAM is free
    // (the BO's resource left VRAM; a split allocation once no eviction looks at it).
    match svm.design.get() {
        Some(m) => m.defer_return(d),
        None => return_vram(s, d),
    }
    if svm.ttm.is_some() {
        s.deferred_bo_put.push(d);
    }
    devmem_put_locked(svm, s, cur, d);
}

/// The allocation's pfns go back to the VRAM allocator.
pub fn return_vram(s: &mut SvmState, d: DevmemId) {
    let dm = &mut s.devmems[d];
    if dm.returned {
        return;
    }
    dm.returned = true;
    let (dev, pfns) = (dm.dev, dm.pfns.clone());
    s.free_vram[dev].extend(pfns);
}

/// Allocate `npages` pages of VRAM on `dev` for the window at `start` (no TTM: the
/// device's page allocator). -ENOMEM when VRAM is exhausted.
pub fn devmem_alloc(svm: &Svm, dev: usize, start: Va, npages: usize) -> Result<DevmemId, i32> {
    svm.with(|s| {
        if s.free_vram[dev].len() < npages {
            return Err(-ENOMEM);
        }
        let n = s.free_vram[dev].len();
        let pfns: Vec<Pfn> = s.free_vram[dev].drain(n - npages..).rev().collect();
        s.devmems.push(Devmem {
            dev,
            pfns,
            start,
            detached: false,
            released: 0,
            timeslice_expiration: 0,
            zdd: None,
            returned: false,
            kref: 1,
        });
        Ok(s.devmems.len() - 1)
    })
}

/// `drm_pagemap_get_devmem_page`: `page->zone_device_data = zdd_get(zdd)`, then
/// `zone_device_page_init` (refcount set to exactly 1, folio locked). A page is only
/// re-initialised after `page_free` ran for it (`device-page-reinit`, T4).
pub fn drm_pagemap_get_devmem_page(cur: &Arc<Task>, svm: &Svm, p: Pfn, z: ZddId) {
    svm.with(|s| {
        check_zdd_live(svm, s, cur, z, "drm_pagemap_zdd_get");
        let f = &s.folios[p];
        if !f.free || !f.refs.is_empty() {
            let holders: Vec<String> = f
                .refs
                .iter()
                .map(|r| format!("{} ({})", r.kind.name(), cpu_name(r.task)))
                .collect();
            svm.fail(
                Property::DevicePageReinit,
                format!(
                    "{} zone_device_page_init({}) on a device page whose refcount is {} ({}) and for which page_free has not run: it resets the refcount to 1, and the holder's later put_page frees the new allocation's page",
                    cpu_name(cur.id),
                    f.name,
                    f.refcount(),
                    holders.join(", ")
                ),
            );
        }
        s.zdds[z].kref += 1;
        let f = &mut s.folios[p];
        f.zdd = Some(z);
        f.free = false;
        f.refs = vec![PageRef {
            kind: RefKind::Init,
            task: cur.id,
        }];
        f.locked = Some(cur.id);
        f.on_lru = false;
        cur.machine.set_holder(f.ghost, Some(cur.id));
    });
}

/// Copy one page's contents (the DMA engine: `copy_to_devmem` / `copy_to_ram`); both
/// pages must be live.
fn copy_page(cur: &Arc<Task>, svm: &Svm, src: Option<Pfn>, dst: Pfn, snapshot: Option<u64>) {
    svm.with(|s| {
        if let Some(p) = src {
            check_live(svm, s, cur, p, "DMA copy from");
        }
        check_live(svm, s, cur, dst, "DMA copy to");
        let v = snapshot.unwrap_or_else(|| src.map_or(0, |p| s.folios[p].data));
        s.folios[dst].data = v;
    });
}

/// `drm_pagemap_migrate_to_devmem(devmem, mm, start, end)`: all or nothing. The caller
/// holds the mmap read lock and hands over the allocation's reference, which is consumed
/// even on error. Returns 0 or a negative errno: -EBUSY when nothing or only part was
/// collected, or when `migrate_vma_pages` dropped a page ("Raced while finalizing
/// migration"); -ENOMEM from the array or zdd allocation; the copy's error.
pub fn drm_pagemap_migrate_to_devmem(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    drm_pagemap_migrate_to_devmem_peer(cur, svm, d, None)
}

/// `drm_pagemap_migration_unlock_put_pages`: unlock and put every destination page (the
/// final put of a device page runs `page_free`), and clear the entries so that
/// `migrate_vma_pages` migrates nothing to them.
fn drm_pagemap_migration_unlock_put_pages(cur: &Arc<Task>, svm: &Svm, dst: &mut [Mpfn]) {
    for m in dst.iter_mut() {
        let Some(p) = m.pfn else { continue };
        folio_unlock(cur, svm, p);
        folio_put(cur, svm, p, RefKind::Init);
        *m = Mpfn::default();
    }
}

/// `drm_pagemap_migrate_to_devmem` with device-to-device migration: device-private pages
/// of pagemap owner `peer` are selected too (`MIGRATE_VMA_SELECT_DEVICE_PRIVATE`).
pub fn drm_pagemap_migrate_to_devmem_peer(
    cur: &Arc<Task>,
    svm: &Svm,
    d: DevmemId,
    peer: Option<usize>,
) -> i32 {
    let (dev, start, npages) = svm.with(|s| {
        check_devmem_live(svm, s, cur, d, "drm_pagemap_migrate_to_devmem");
        let dm = &s.devmems[d];
        (dm.dev, dm.start, dm.pfns.len())
    });
    cur.event(|| Ev::Call {
        f: "drm_pagemap_migrate_to_devmem",
        obj: format!("devmem{d}, va{start}..va{}", start + npages).into(),
        ctx: None,
    });
    let err = migrate_to_devmem(cur, svm, d, (dev, start, npages), peer);
    cur.event(|| Ev::Ret {
        f: "drm_pagemap_migrate_to_devmem",
        obj: format!("devmem{d}").into(),
        ret: err,
    });
    err
}

fn migrate_to_devmem(
    cur: &Arc<Task>,
    svm: &Svm,
    d: DevmemId,
    (dev, start, npages): (usize, Va, usize),
    peer: Option<usize>,
) -> i32 {
    // buf = kvcalloc(npages, ...); zdd = drm_pagemap_zdd_alloc(dpagemap): on failure
    // err_out: devmem_allocation->ops->devmem_release(devmem_allocation).
    for site in [site::DRM_PAGEMAP_KVCALLOC, site::DRM_PAGEMAP_ZDD_ALLOC] {
        svm.m.lockdep.might_alloc(cur, site.name());
        if let Some(e) = fault::should_fail(cur, site, || format!("devmem{d}")) {
            svm.with(|s| devmem_release(svm, s, cur, d));
            return e;
        }
    }
    let z = drm_pagemap_zdd_alloc(svm, d);
    let mut args = MigrateVma::new(start, npages, peer.unwrap_or(dev));
    args.select_system = true;
    args.select_device_private = peer.is_some();
    // Mutation: the DMA copy reads the source before migrate_vma_setup unmapped it.
    let snapshot: Option<Vec<u64>> = svm.variant(Variant::CopyBeforeUnmap).then(|| {
        svm.with(|s| {
            (0..npages)
                .map(|i| match s.ptes[start + i] {
                    Pte::Present(p) => s.folios[p].data,
                    _ => 0,
                })
                .collect()
        })
    });
    let mut err = migrate_vma_setup(cur, svm, &mut args);
    if err == 0 && args.cpages == 0 {
        err = -EBUSY; // "No pages to migrate. Raced or unknown device pages."
    } else if err == 0 {
        if args.cpages != npages {
            err = -EBUSY; // all or nothing: goto err_aborted_migration
        } else {
            // ops->populate_devmem_pfn: the allocation's pages (Xe walks the BO's
            // blocks; it cannot fail).
            let pfns = svm.with(|s| s.devmems[d].pfns.clone());
            for (i, &p) in pfns.iter().enumerate() {
                args.dst[i] = Mpfn::dst(p);
                drm_pagemap_get_devmem_page(cur, svm, p, z);
            }
            // One ops->copy_to_devmem() for the range (drm_pagemap_migrate_range).
            let obj = || format!("devmem{d}");
            if let Some(e) = fault::should_fail(cur, site::DRM_PAGEMAP_COPY_TO_DEVMEM, obj) {
                err = e;
            } else {
                for (i, &p) in pfns.iter().enumerate() {
                    let snap = snapshot.as_ref().map(|v| v[i]);
                    copy_page(cur, svm, args.src[i].pfn, p, snap);
                }
                // Upon success bind devmem allocation to range and zdd.
                svm.with(|s| s.devmems[d].timeslice_expiration = s.jiffies + svm.timeslice());
            }
            // err_finalize:
            if err != 0 {
                drm_pagemap_migration_unlock_put_pages(cur, svm, &mut args.dst);
            }
        }
        // err_aborted_migration:
        let fl = args.fault_locked;
        migrate_pages(cur, svm, Some(start), &mut args.src, &args.dst, None);
        let migrated = args.src.iter().filter(|m| m.migrate).count();
        if err == 0 && migrated < npages {
            cur.event(|| {
                Ev::Note("drm_pagemap_migrate_to_devmem: Raced while finalizing migration".into())
            });
            err = -EBUSY;
        }
        migrate_finalize(cur, svm, &args.src, &args.dst, None, fl);
    }
    // err_free: drm_pagemap_zdd_put(zdd) (the last put destroys it and releases the
    // allocation when no device page took a reference).
    zdd_put_call_ref(cur, svm, z);
    err
}

/// `drm_pagemap_migrate_populate_ram_pfn` (allocate a system destination page for every
/// entry still migrating that `want`s one, then lock them all; an allocation failure
/// puts the pages allocated so far and gives -ENOMEM), `ops->copy_to_ram`, and on error
/// `drm_pagemap_migration_unlock_put_pages`; then commit and finalize (which restore the
/// sources of entries without a destination). Returns 0 or the error.
pub(crate) fn to_ram_commit(
    cur: &Arc<Task>,
    svm: &Svm,
    start: Option<Va>,
    src: &mut [Mpfn],
    want: impl Fn(&SvmState, Pfn) -> bool,
    fault_page: Option<Pfn>,
    fault_locked: bool,
) -> i32 {
    let mut dst = vec![Mpfn::default(); src.len()];
    let mut err = 0;
    for i in 0..src.len() {
        let Some(p) = src[i].pfn else { continue };
        if !src[i].migrate {
            continue;
        }
        // One step: the destination is private to this task until migrate_vma_pages.
        let r = svm.with(|s| {
            if !want(s, p) {
                return None;
            }
            svm.m
                .lockdep
                .might_alloc(cur, "vma_alloc_folio(GFP_HIGHUSER)");
            let obj = || format!("for {}", s.folios[p].name);
            Some(match fault::should_fail(cur, site::ALLOC_PAGE, obj) {
                Some(e) => Err(e),
                None => Ok(svm.alloc_system_page(s, 0)),
            })
        });
        match r {
            None => {}
            Some(Ok(q)) => dst[i] = Mpfn::dst(q),
            Some(Err(e)) => {
                // free_pages: put_page() what was allocated (never locked).
                for m in dst.iter_mut() {
                    if let Some(q) = m.pfn.take() {
                        folio_put(cur, svm, q, RefKind::Init);
                    }
                }
                err = e;
                break;
            }
        }
    }
    // WARN_ON_ONCE(!folio_trylock(page_folio(page))) for every fresh page (one step: no
    // one else can reach them).
    let mpages = svm.with(|s| {
        let mut n = 0;
        for m in &dst {
            let Some(q) = m.pfn else { continue };
            let f = &mut s.folios[q];
            if f.locked.is_some() {
                svm.m.warn(
                    cur.id,
                    Property::PageLock,
                    format!("folio_trylock of the fresh page {} failed", f.name),
                );
            }
            f.locked = Some(cur.id);
            cur.machine.set_holder(f.ghost, Some(cur.id));
            n += 1;
        }
        n
    });
    if err == 0 && mpages > 0 {
        let obj = || format!("{mpages} pages");
        if let Some(e) = fault::should_fail(cur, site::DRM_PAGEMAP_COPY_TO_RAM, obj) {
            err = e;
        } else {
            for i in 0..src.len() {
                if let (Some(p), Some(q)) = (src[i].pfn, dst[i].pfn) {
                    copy_page(cur, svm, Some(p), q, None);
                }
            }
        }
    }
    if err != 0 {
        drm_pagemap_migration_unlock_put_pages(cur, svm, &mut dst);
    }
    migrate_pages(cur, svm, start, src, &dst, fault_page);
    migrate_finalize(cur, svm, src, &dst, fault_page, fault_locked);
    err
}

/// `drm_pagemap_evict_to_ram(devmem)`: no mmap lock; per pass `mmget_not_zero`, the
/// arrays (`kvcalloc`), `migrate_device_pfns` over every page of the allocation, copy
/// back what was collected, commit, finalize, `mmput_async`; success is
/// `completion_done(&devmem->detached)` (every device page freed), tried at most
/// `retry_count + 1 = 3` times, then `err ?: -EBUSY` (the last pass's error).
pub fn drm_pagemap_evict_to_ram(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    cur.event(|| Ev::Call {
        f: "drm_pagemap_evict_to_ram",
        obj: format!("devmem{d}").into(),
        ctx: None,
    });
    let mark = injection_mark(cur);
    let mut passes = 0;
    let ret = loop {
        passes += 1;
        let (err, all_collected) = evict_to_ram_pass(cur, svm, d);
        if svm.with(|s| {
            check_devmem_live(svm, s, cur, d, "completion_done(&devmem->detached)");
            // `retry:` with retry_count (2, 1, 0): a bounded loop, a retry point for the
            // fairness of the lasso check.
            super::lasso::svm_retry_point(
                cur,
                svm,
                s,
                "drm_pagemap_evict_to_ram retry",
                &[("retry_count", 3 - passes as u64)],
            );
            s.devmems[d].detached
        }) {
            break 0;
        }
        // Mutation `evict-signal-early` (the AMD worker's "signal whatever is left" shape,
        // finding amd-evict-signal-live, applied to the Xe eviction, which never had it):
        // success when the pass migrated everything it could lock, pages left or not.
        if svm.variant(Variant::EvictSignalEarly) && err == 0 && all_collected {
            break 0;
        }
        if passes == 3 {
            break if err != 0 { err } else { -EBUSY };
        }
        crate::model::sync::yield_now(); // cond_resched()
    };
    check_eviction_result(cur, svm, d, ret, passes, &injected_since(cur, mark));
    cur.machine.op_done(cur);
    cur.event(|| Ev::Ret {
        f: "drm_pagemap_evict_to_ram",
        obj: format!("devmem{d}").into(),
        ret,
    });
    ret
}

/// One pass of `drm_pagemap_evict_to_ram` (from `retry:` to `err_out:`): its error, and
/// whether every page it could lock was migrated (skipped pages are not looked at).
fn evict_to_ram_pass(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> (i32, bool) {
    mmget_not_zero(cur, svm);
    svm.m.lockdep.might_alloc(cur, "kvcalloc");
    let obj = || format!("devmem{d}");
    let r = if let Some(e) = fault::should_fail(cur, site::DRM_PAGEMAP_KVCALLOC, obj) {
        (e, false)
    } else {
        // ops->populate_devmem_pfn: the allocation's pages (cannot fail for Xe).
        let pfns = svm.with(|s| s.devmems[d].pfns.clone());
        let mut src = migrate_device_pfns(cur, svm, &pfns);
        let err = to_ram_commit(cur, svm, None, &mut src, |_, _| true, None, false);
        (err, src.iter().all(|m| m.pfn.is_none() || m.migrate))
    };
    mmput(cur, svm);
    r
}

/// The `svm-eviction` property: 0 or -EBUSY (or an error injected into this eviction,
/// `injected`, which the kernel returns as it is) within 3 passes, and 0 only when no
/// device page of the allocation is live (so its VRAM can be reused).
pub fn check_eviction_result(
    cur: &Arc<Task>,
    svm: &Svm,
    d: DevmemId,
    ret: i32,
    passes: u32,
    injected: &[i32],
) {
    if (ret != 0 && ret != -EBUSY && !injected.contains(&ret)) || passes > 3 {
        svm.fail(
            Property::SvmEviction,
            format!(
                "{} evict_to_ram(devmem{d}) returned {} after {passes} passes (allowed: 0 or -EBUSY within 3)",
                cpu_name(cur.id),
                errno_name(ret)
            ),
        );
    }
    if ret == 0 {
        let live = super::ttm_backing::live_pages(svm, d);
        if !live.is_empty() {
            svm.fail(
                Property::SvmEviction,
                format!(
                    "{} evict_to_ram(devmem{d}) returned 0 but device pages are still live: {}; the caller now frees VRAM that is still mapped",
                    cpu_name(cur.id),
                    live.join(", ")
                ),
            );
        }
    }
}

/// `__drm_pagemap_migrate_to_ram(vas, page, fault_addr, size)` (called by `migrate_to_ram`
/// for a CPU fault; drm_pagemap.c, v7.0 text): reads the fault page's zdd
/// (`page->zone_device_data`), declines inside the timeslice, migrates
/// `[ALIGN_DOWN(fault_addr, size), ALIGN(fault_addr + 1, size))` clipped to the VMA, with
/// `size = zdd->devmem_allocation->size`, `SELECT_DEVICE_PRIVATE` and the fault page,
/// giving destinations only to entries of the same zdd. The window comes from the faulting
/// address, not from where the allocation was made: a fault on an alias (fork, mremap) or
/// on an unaligned allocation migrates a different set of pages. Returns 0 (also when
/// nothing was collected: "raced with another CPU fault") or `VM_FAULT_SIGBUS`.
pub fn drm_pagemap_migrate_to_ram(cur: &Arc<Task>, svm: &Svm, va: Va, page: Pfn) -> i32 {
    let pname = svm.name(page);
    cur.event(|| Ev::Call {
        f: "drm_pagemap_migrate_to_ram",
        obj: format!("va{va}, {pname}").into(),
        ctx: None,
    });
    let Some((z, (_, size), owner)) = fault_page_window(cur, svm, page) else {
        return 0;
    };
    // start = ALIGN_DOWN(fault_addr, size); end = ALIGN(fault_addr + 1, size), clipped to
    // the VMA (vas->vm_start / vm_end: the one VMA of the model covers every virtual page).
    let start = va / size * size;
    let end = ((va + 1).div_ceil(size) * size).min(svm.cfg.vas);
    let ret = migrate_window_to_ram(cur, svm, z, (start, end - start), owner, page);
    cur.event(|| Ev::Ret {
        f: "drm_pagemap_migrate_to_ram",
        obj: format!("va{va}").into(),
        ret,
    });
    ret
}

/// `zdd = page->zone_device_data` and its allocation's `(start, size)` (AMD: the prange);
/// None inside the timeslice. Dereferencing a freed page or zdd is a use after free (CVE-2022-3523).
pub fn fault_page_window(
    cur: &Arc<Task>,
    svm: &Svm,
    page: Pfn,
) -> Option<(ZddId, (Va, usize), usize)> {
    svm.with(|s| {
        let f = &s.folios[page];
        let zdd = f.zdd.filter(|_| !f.free && !f.refs.is_empty());
        let Some(z) = zdd.filter(|z| !s.zdds[*z].freed) else {
            svm.fail(
                Property::UseAfterFree,
                format!(
                    "{} migrate_to_ram reads page->zone_device_data of {} after the page was freed (page_free ran, zdd released): the fault path holds no reference on the page (CVE-2022-3523, fixed by 16ce101db85d)",
                    cpu_name(cur.id),
                    f.name
                ),
            );
        };
        let d = s.zdds[z].devmem.expect("a mapped device page's zdd is bound");
        check_devmem_live(svm, s, cur, d, "migrate_to_ram reads zdd->devmem_allocation");
        let dm = &s.devmems[d];
        if s.jiffies < dm.timeslice_expiration {
            cur.event(|| {
                Ev::Note(format!(
                    "drm_pagemap_migrate_to_ram: inside devmem{d}'s timeslice (jiffies {} < {}), not migrating",
                    s.jiffies, dm.timeslice_expiration
                ))
            });
            return None;
        }
        Some((z, (dm.start, dm.pfns.len()), dm.dev))
    })
}

/// The migration part of `__drm_pagemap_migrate_to_ram` (also used by the AMD policy):
/// the arrays, setup over the window, destinations for the entries of zdd `z`, copy,
/// commit, finalize. Any error is `VM_FAULT_SIGBUS` (`drm_pagemap_migrate_to_ram`; AMD's
/// `svm_migrate_to_ram` does the same).
pub fn migrate_window_to_ram(
    cur: &Arc<Task>,
    svm: &Svm,
    z: ZddId,
    window: (Va, usize),
    owner: usize,
    page: Pfn,
) -> i32 {
    // buf = kvcalloc(npages, ...): -ENOMEM -> VM_FAULT_SIGBUS.
    svm.m.lockdep.might_alloc(cur, "kvcalloc");
    let obj = || format!("va{}..va{}", window.0, window.0 + window.1);
    if fault::should_fail(cur, site::DRM_PAGEMAP_KVCALLOC, obj).is_some() {
        return super::VM_FAULT_SIGBUS;
    }
    let mut args = MigrateVma::new(window.0, window.1, owner);
    args.select_device_private = true;
    // 16ce101db85d added `fault_page` (its reference is tolerated at commit); the
    // reference-less generation before it passed none.
    args.fault_page = (svm.fault_policy() != FaultPolicy::NoRef).then_some(page);
    if migrate_vma_setup(cur, svm, &mut args) != 0 {
        return super::VM_FAULT_SIGBUS;
    }
    if args.cpages == 0 {
        return 0; // "Raced with another CPU fault, nothing to do"
    }
    let fl = args.fault_locked;
    let err = to_ram_commit(
        cur,
        svm,
        Some(window.0),
        &mut args.src,
        |s, p| s.folios[p].zdd == Some(z),
        args.fault_page,
        fl,
    );
    // A ghost read for the AMD variant's hook (the kernel does not touch the zdd here).
    if let Some(d) = svm.with(|s| s.zdds[z].devmem) {
        super::ttm_backing::amd_free_vram_on_migration_done(cur, svm, d);
    }
    // drm_pagemap_migrate_to_ram: `return err ? VM_FAULT_SIGBUS : 0;`
    if err != 0 { super::VM_FAULT_SIGBUS } else { 0 }
}

impl Svm {
    /// The timeslice granted after a migration to VRAM (0 with the `no-timeslice` variant).
    pub fn timeslice(&self) -> u64 {
        if self.variant(Variant::NoTimeslice) {
            0
        } else {
            self.cfg.timeslice
        }
    }
}
