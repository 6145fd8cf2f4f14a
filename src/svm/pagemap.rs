//! drm_pagemap: `drivers/gpu/drm/drm_pagemap.c` (@83631c7b1f5b; the v6.15 code was in
//! `drm_gpusvm.c` @78a84fbfa4ff with the same steps), spec `svm_shrinker.md` §5.3–5.4:
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

use super::migrate::*;
use super::page::*;
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
}

/// `drm_pagemap_zdd_alloc`: kref 1, owned by the calling migration.
fn drm_pagemap_zdd_alloc(svm: &Svm) -> ZddId {
    svm.with(|s| {
        s.zdds.push(Zdd {
            kref: 1,
            call_refs: 1,
            devmem: None,
            freed: false,
        });
        s.zdds.len() - 1
    })
}

/// `drm_pagemap_zdd_put` (inside a step): at 0 `drm_pagemap_zdd_destroy` completes
/// `detached` and calls `devmem_release`.
pub fn drm_pagemap_zdd_put(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, z: ZddId) {
    let zdd = &mut s.zdds[z];
    if zdd.freed {
        svm.fail(
            Property::UseAfterFree,
            format!(
                "{} drm_pagemap_zdd_put(zdd{z}) after it was freed",
                cpu_name(cur.id)
            ),
        );
    }
    zdd.kref -= 1;
    if zdd.kref > 0 {
        return;
    }
    zdd.freed = true;
    if let Some(d) = zdd.devmem {
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
/// goes back to the allocator (through the BO's release when the allocation is a BO).
pub fn devmem_release(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, d: DevmemId) {
    let dm = &mut s.devmems[d];
    dm.released += 1;
    if dm.released > 1 {
        svm.fail(
            Property::ZddRefcount,
            format!("devmem_release(devmem{d}) ran twice"),
        );
    }
    cur.event(|| Ev::Note(format!("devmem_release(devmem{d})")));
    return_vram(s, d);
    if svm.ttm.is_some() {
        s.deferred_bo_put.push(d);
    }
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
        });
        Ok(s.devmems.len() - 1)
    })
}

/// `drm_pagemap_get_devmem_page`: `page->zone_device_data = zdd_get(zdd)`, then
/// `zone_device_page_init` (refcount set to exactly 1, folio locked). A page is only
/// re-initialised after `page_free` ran for it (`device-page-reinit`, T4).
pub fn drm_pagemap_get_devmem_page(cur: &Arc<Task>, svm: &Svm, p: Pfn, z: ZddId) {
    svm.with(|s| {
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

/// Copy one page's contents (the DMA engine: `copy_to_devmem` / `copy_to_ram`).
fn copy_page(svm: &Svm, src: Option<Pfn>, dst: Pfn, snapshot: Option<u64>) {
    svm.with(|s| {
        let v = snapshot.unwrap_or_else(|| src.map_or(0, |p| s.folios[p].data));
        s.folios[dst].data = v;
    });
}

/// `drm_pagemap_migrate_to_devmem(devmem, mm, start, end)`: all or nothing. The caller
/// holds the mmap read lock. Returns 0, -EFAULT (nothing collected) or -EBUSY (only part
/// collected; everything restored). Pages dropped later by `migrate_vma_pages` still
/// give 0 and a mixed range (spec §5.4).
pub fn drm_pagemap_migrate_to_devmem(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    drm_pagemap_migrate_to_devmem_peer(cur, svm, d, None)
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
        let dm = &s.devmems[d];
        (dm.dev, dm.start, dm.pfns.len())
    });
    cur.event(|| Ev::Call {
        f: "drm_pagemap_migrate_to_devmem",
        obj: format!("devmem{d}, va{start}..va{}", start + npages).into(),
        ctx: None,
    });
    let z = drm_pagemap_zdd_alloc(svm);
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
        err = -super::EFAULT;
    } else if err == 0 {
        if args.cpages != npages {
            err = -EBUSY;
        } else {
            let pfns = svm.with(|s| s.devmems[d].pfns.clone());
            for (i, &p) in pfns.iter().enumerate() {
                args.dst[i] = Mpfn::dst(p);
                drm_pagemap_get_devmem_page(cur, svm, p, z);
            }
            for (i, &p) in pfns.iter().enumerate() {
                copy_page(svm, args.src[i].pfn, p, snapshot.as_ref().map(|v| v[i]));
            }
            // Upon success bind the devmem allocation to the zdd (it owns the ref).
            svm.with(|s| {
                s.devmems[d].timeslice_expiration = s.jiffies + svm.timeslice();
                s.devmems[d].zdd = Some(z);
                s.zdds[z].devmem = Some(d);
            });
        }
        let fl = args.fault_locked;
        migrate_pages(cur, svm, Some(start), &mut args.src, &args.dst, None);
        migrate_finalize(cur, svm, &args.src, &args.dst, None, fl);
    }
    zdd_put_call_ref(cur, svm, z);
    cur.event(|| Ev::Ret {
        f: "drm_pagemap_migrate_to_devmem",
        obj: format!("devmem{d}").into(),
        ret: err,
    });
    err
}

/// Allocate system destination pages (locked, initial reference) for the entries still
/// migrating (`drm_pagemap_migrate_populate_ram_pfn`), copy, commit, finalize.
pub(crate) fn to_ram_commit(
    cur: &Arc<Task>,
    svm: &Svm,
    start: Option<Va>,
    src: &mut [Mpfn],
    want: impl Fn(&SvmState, Pfn) -> bool,
    fault_page: Option<Pfn>,
    fault_locked: bool,
) {
    let mut dst = vec![Mpfn::default(); src.len()];
    for i in 0..src.len() {
        let Some(p) = src[i].pfn else { continue };
        if !src[i].migrate {
            continue;
        }
        let d = svm.with(|s| {
            if !want(s, p) {
                return None;
            }
            let d = svm.alloc_system_page(s, 0);
            s.folios[d].locked = Some(cur.id);
            let ghost = s.folios[d].ghost;
            cur.machine.set_holder(ghost, Some(cur.id));
            Some(d)
        });
        if let Some(d) = d {
            dst[i] = Mpfn::dst(d);
            copy_page(svm, Some(p), d, None);
        }
    }
    migrate_pages(cur, svm, start, src, &dst, fault_page);
    migrate_finalize(cur, svm, src, &dst, fault_page, fault_locked);
}

/// `drm_pagemap_evict_to_ram(devmem)`: no mmap lock; `migrate_device_pfns` over every
/// page of the allocation, copy back what was collected, commit, finalize; success is
/// `completion_done(&devmem->detached)` (every device page freed), tried at most
/// `retry_count + 1 = 3` times, then -EBUSY.
pub fn drm_pagemap_evict_to_ram(cur: &Arc<Task>, svm: &Svm, d: DevmemId) -> i32 {
    cur.event(|| Ev::Call {
        f: "drm_pagemap_evict_to_ram",
        obj: format!("devmem{d}").into(),
        ctx: None,
    });
    let mut ret = -EBUSY;
    let mut passes = 0;
    for _pass in 0..3 {
        passes += 1;
        let pfns = svm.with(|s| s.devmems[d].pfns.clone());
        let mut src = migrate_device_pfns(cur, svm, &pfns);
        to_ram_commit(cur, svm, None, &mut src, |_, _| true, None, false);
        // Every page this pass could lock was migrated (skipped ones are not looked at).
        let all_collected = src.iter().all(|m| m.pfn.is_none() || m.migrate);
        if svm.with(|s| s.devmems[d].detached) {
            ret = 0;
            break;
        }
        // Historical (AMD eviction worker before the retry/keep-svm_bo fixes): success
        // when the pass migrated everything it could lock, pages left in VRAM or not.
        if svm.variant(Variant::EvictSignalEarly) && all_collected {
            ret = 0;
            break;
        }
        crate::model::sync::yield_now(); // cond_resched()
    }
    check_eviction_result(cur, svm, d, ret, passes);
    cur.event(|| Ev::Ret {
        f: "drm_pagemap_evict_to_ram",
        obj: format!("devmem{d}").into(),
        ret,
    });
    ret
}

/// The `svm-eviction` property: 0 or -EBUSY within 3 passes, and 0 only when no device
/// page of the allocation is live (so its VRAM can be reused).
pub fn check_eviction_result(cur: &Arc<Task>, svm: &Svm, d: DevmemId, ret: i32, passes: u32) {
    if (ret != 0 && ret != -EBUSY) || passes > 3 {
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
        let live: Vec<String> = svm.with(|s| {
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
        });
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

/// `__drm_pagemap_migrate_to_ram(vas, page, ...)` (called by `migrate_to_ram` for a CPU
/// fault): reads the fault page's zdd (`page->zone_device_data`), declines inside the
/// timeslice, migrates the allocation-sized window around the fault with
/// `SELECT_DEVICE_PRIVATE` and the fault page, giving destinations only to entries of
/// the same zdd. Returns 0 (also when nothing was collected: "raced with another CPU
/// fault") or `VM_FAULT_SIGBUS`.
pub fn drm_pagemap_migrate_to_ram(cur: &Arc<Task>, svm: &Svm, va: Va, page: Pfn) -> i32 {
    let pname = svm.name(page);
    cur.event(|| Ev::Call {
        f: "drm_pagemap_migrate_to_ram",
        obj: format!("va{va}, {pname}").into(),
        ctx: None,
    });
    let Some((z, window, owner)) = fault_page_window(cur, svm, page) else {
        return 0;
    };
    let ret = migrate_window_to_ram(cur, svm, z, window, owner, page);
    cur.event(|| Ev::Ret {
        f: "drm_pagemap_migrate_to_ram",
        obj: format!("va{va}").into(),
        ret,
    });
    ret
}

/// `zdd = page->zone_device_data` and the window of its allocation; None inside the
/// timeslice. Dereferencing a freed page or zdd is a use after free (CVE-2022-3523).
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
/// setup over the window, destinations for the entries of zdd `z`, copy, commit,
/// finalize.
pub fn migrate_window_to_ram(
    cur: &Arc<Task>,
    svm: &Svm,
    z: ZddId,
    window: (Va, usize),
    owner: usize,
    page: Pfn,
) -> i32 {
    let mut args = MigrateVma::new(window.0, window.1, owner);
    args.select_device_private = true;
    // 16ce101db85d added `fault_page` (its reference is tolerated at commit); the
    // reference-less generation before it passed none.
    args.fault_page = (svm.fault_policy() != FaultPolicy::NoRef).then_some(page);
    if migrate_vma_setup(cur, svm, &mut args) != 0 {
        return super::VM_FAULT_SIGBUS;
    }
    if args.cpages == 0 {
        return 0;
    }
    let fl = args.fault_locked;
    to_ram_commit(
        cur,
        svm,
        Some(window.0),
        &mut args.src,
        |s, p| s.folios[p].zdd == Some(z),
        args.fault_page,
        fl,
    );
    if let Some(d) = svm.with(|s| s.zdds[z].devmem) {
        super::ttm_backing::amd_free_vram_on_migration_done(cur, svm, d);
    }
    0
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
