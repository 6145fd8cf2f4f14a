//! The CPU fault on a device-private page: `mm/memory.c` `do_swap_page` (device-private
//! branch, spec `svm_shrinker.md` §3) in its four generations, `handle_mm_fault` for the
//! PTE states the model has, the user-space access loop (refault on return to user) and
//! `mm/hmm.c` `hmm_range_fault` (an in-kernel loop with no scheduling point).
//!
//! Simplified: no per-VMA-lock fault (`VM_FAULT_RETRY` to take the mmap lock is a retry
//! like any other), no swap entries other than device-private and migration entries.
//! `migration_entry_wait` sleeps until the folio is unlocked without re-checking the
//! entry under the PTL first (a spurious sleep until the next unlock, never a missed
//! one: the unlock that ends the migration always wakes the queue).

use super::page::*;
use super::sched::cond_resched;
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{Ev, cpu_name};

/// The bounded-retry fallback (`model::progress::retry_bound`), for loops that keep
/// retrying without the global state repeating (so that no lasso can be shown). Livelocks
/// whose state repeats are reported as a lasso long before this (within a few rounds).
///
/// Why 400 is safe for the fixed model: a CPU fault retries only while another CPU holds
/// the page (its lock or a migration entry), and in the fixed model it then sleeps until
/// the page is unlocked, so each retry consumes one lock/migration of the page by another
/// CPU. The scenarios have at most 3 other CPUs, each doing at most 3 operations, and an
/// operation migrates a page at most 3 times (evict_to_ram's passes, migrate_try_count 3)
/// with at most 2 pages per window: fewer than 3 * 3 * 3 * 2 = 54 retries per fault, and
/// `hmm_range_fault` / `drm_gpusvm_range_get_pages` restarts likewise. 400 leaves a wide
/// margin and is still small enough to end a spinning execution quickly. Not part of the
/// fingerprint (it is the model's counter, not the kernel's).
pub const MAX_REFAULTS: u32 = 400;

fn livelock(cur: &Arc<Task>, svm: &Svm, va: Va, what: &str) -> ! {
    let state = svm.with(|s| match s.ptes[va] {
        Pte::Device(p) | Pte::Migration(p) | Pte::Present(p) => format!(
            "{:?}, {} refcount {}, locked by {}",
            s.ptes[va],
            s.folios[p].name,
            s.folios[p].refcount(),
            s.folios[p].locked.map_or("nobody".to_string(), cpu_name)
        ),
        Pte::None => "none".to_string(),
    });
    svm.fail(
        Property::Livelock,
        crate::model::progress::retry_bound(
            &svm.m.rec,
            cur.id,
            &format!("{} {what} on va{va}", cpu_name(cur.id)),
            MAX_REFAULTS,
            &format!("{state}; {}", svm.m.rec.wait_for_report()),
        ),
    )
}

/// The access itself, under the PTL: only through a present PTE. Checks the contents
/// against the last version written through `va` (`data-loss`), then writes a new one.
pub fn try_access(cur: &Arc<Task>, svm: &Svm, va: Va, write: bool) -> bool {
    let _ptl = pte_lock(cur, svm);
    svm.with(|s| {
        let Pte::Present(p) = s.ptes[va] else {
            return false;
        };
        let (have, want) = (s.folios[p].data, s.expected[va]);
        if have != want {
            svm.fail(
                Property::DataLoss,
                format!(
                    "{} reads va{va} through {} and finds contents version {have}, but version {want} was written last: a migration lost data",
                    cpu_name(cur.id),
                    s.folios[p].name
                ),
            );
        }
        if write {
            s.folios[p].data = have + 1;
            s.expected[va] = have + 1;
        }
        cur.event(|| {
            Ev::Note(format!(
                "CPU {} va{va} ({}): version {}",
                if write { "store to" } else { "load from" },
                s.folios[p].name,
                s.folios[p].data
            ))
        });
        true
    })
}

/// A CPU load or store from user space: fault until the PTE is present, each retry
/// passing through the return to user space (a voluntary scheduling point; time passes).
/// Returns false if the fault ended in `VM_FAULT_SIGBUS` (the access does not happen: the
/// task gets SIGBUS, which only an injected failure may cause, see [`handle_mm_fault`]).
pub fn cpu_access(cur: &Arc<Task>, svm: &Svm, va: Va, write: bool) -> bool {
    let mut tries = 0;
    loop {
        if try_access(cur, svm, va, write) {
            cur.machine.op_done(cur);
            return true;
        }
        tries += 1;
        if tries > MAX_REFAULTS {
            livelock(cur, svm, va, "the CPU fault");
        }
        if handle_mm_fault(cur, svm, va) == super::VM_FAULT_SIGBUS {
            cur.event(|| Ev::Note(format!("SIGBUS on va{va}: the access does not happen")));
            cur.machine.op_done(cur);
            return false;
        }
        svm.with(|s| {
            s.jiffies += 1;
            // The access faults again on return to user space: the refault loop's head.
            super::lasso::svm_retry_point(
                cur,
                svm,
                s,
                "refault (return to user, access again)",
                &[],
            );
        });
        cond_resched(cur, svm);
    }
}

/// `handle_mm_fault` for one PTE: anonymous fault on none, `do_swap_page` on a
/// device-private entry, `migration_entry_wait` on a migration entry. Returns 0 or
/// `VM_FAULT_SIGBUS`, which is an expectation failure unless a failure was injected into
/// this fault (`migrate_to_ram` returns SIGBUS for any error of its migration, as
/// `drm_pagemap_migrate_to_ram` does).
pub fn handle_mm_fault(cur: &Arc<Task>, svm: &Svm, va: Va) -> i32 {
    let pte = svm.with(|s| s.ptes[va]);
    match pte {
        Pte::None => do_anonymous_page(cur, svm, va),
        Pte::Present(_) => {}
        Pte::Device(p) => {
            let mark = injection_mark(cur);
            let r = do_swap_page(cur, svm, va, p);
            if r == super::VM_FAULT_SIGBUS {
                let injected = injected_since(cur, mark);
                if injected.is_empty() {
                    svm.fail(
                        Property::Expectation,
                        format!(
                            "{} do_swap_page(va{va}) returned VM_FAULT_SIGBUS: the device page could not be brought back",
                            cpu_name(cur.id)
                        ),
                    );
                }
                return r;
            }
        }
        Pte::Migration(p) => folio_wait_unlocked(cur, svm, p, "migration_entry_wait"),
    }
    0
}

/// `do_anonymous_page`: a zeroed page, mapped, in this CPU's `lru_add` batch.
fn do_anonymous_page(cur: &Arc<Task>, svm: &Svm, va: Va) {
    let _ptl = pte_lock(cur, svm);
    svm.with(|s| {
        if s.ptes[va] != Pte::None {
            return;
        }
        let p = svm.alloc_system_page(s, 0);
        let f = &mut s.folios[p];
        f.refs[0] = PageRef {
            kind: RefKind::Map,
            task: cur.id,
        };
        f.mapcount = 1;
        f.lru_batch = Some(cur.id);
        s.ptes[va] = Pte::Present(p);
        s.expected[va] = 0;
    });
}

/// `do_swap_page`, device-private branch. Returns 0 (refault) or `VM_FAULT_SIGBUS`.
pub fn do_swap_page(cur: &Arc<Task>, svm: &Svm, va: Va, p: Pfn) -> i32 {
    let policy = svm.fault_policy();
    let pname = svm.name(p);
    cur.event(|| Ev::Call {
        f: "do_swap_page",
        obj: format!("va{va} device-private {pname}").into(),
        ctx: None,
    });
    let ptl = pte_lock(cur, svm);
    if svm.with(|s| s.ptes[va]) != Pte::Device(p) {
        return 0; // the PTE changed: refault
    }
    match policy {
        FaultPolicy::NoRef => {
            drop(ptl);
            migrate_to_ram(cur, svm, va, p)
        }
        FaultPolicy::RefNoLock => {
            folio_get(cur, svm, p, RefKind::Fault);
            drop(ptl);
            let r = migrate_to_ram(cur, svm, va, p);
            folio_put(cur, svm, p, RefKind::Fault);
            r
        }
        FaultPolicy::TrylockRefault | FaultPolicy::TrylockSleep => {
            if folio_trylock(cur, svm, p) {
                cur.event(|| {
                    Ev::Note(format!(
                        "do_swap_page: trylock_page({pname}) ok, get_page, migrate_to_ram with the page locked"
                    ))
                });
                folio_get(cur, svm, p, RefKind::Fault);
                drop(ptl);
                let r = migrate_to_ram(cur, svm, va, p);
                folio_unlock(cur, svm, p);
                // The put after the unlock can be the final one: page_free runs here.
                folio_put(cur, svm, p, RefKind::Fault);
                r
            } else {
                drop(ptl);
                cur.event(|| {
                    Ev::Note(format!(
                        "do_swap_page: trylock_page({}) failed{}",
                        pname,
                        if policy == FaultPolicy::TrylockSleep {
                            ", sleep until unlocked (b570f37a2ce4)"
                        } else {
                            ", return 0 and refault"
                        }
                    ))
                });
                if policy == FaultPolicy::TrylockSleep {
                    // softleaf_entry_wait_on_locked, without a reference.
                    folio_wait_unlocked(cur, svm, p, "softleaf_entry_wait_on_locked");
                }
                0
            }
        }
    }
}

/// `page_pgmap(page)->ops->migrate_to_ram(vmf)`: the driver of the page's device.
pub fn migrate_to_ram(cur: &Arc<Task>, svm: &Svm, va: Va, p: Pfn) -> i32 {
    let before = svm.with(|s| {
        s.in_migrate_to_ram.push(cur.id);
        s.meter.ref_failures
    });
    let r = match svm.cfg.driver {
        Driver::Xe => super::ttm_backing::xe_migrate_to_ram(cur, svm, va, p),
        Driver::Amd => super::ttm_backing::svm_migrate_to_ram(cur, svm, va, p),
    };
    svm.with(|s| s.in_migrate_to_ram.retain(|t| *t != cur.id));
    // A `svm-design-*` scenario's VRAM manager sees how the migration ended (design
    // sigbus-on-failure: a fault page kept by a foreign reference is a SIGBUS).
    match svm.design.get() {
        Some(m) => m.after_migrate_to_ram(cur, svm, va, p, before, r),
        None => r,
    }
}

/// One reported entry of `hmm_range_fault`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HmmPfn {
    System(Pfn),
    Device(Pfn),
}

/// `hmm_range_fault(range)` with `HMM_PFN_REQ_FAULT` (mm/hmm.c, v7.0 text): device-private
/// pages of `dev_private_owner` are reported, everything else is faulted in through
/// `handle_mm_fault` and the walk goes again from where it stopped
/// (`hmm_vma_walk.last`: -EBUSY from `hmm_vma_fault`, `walk_page_range` again from
/// `last`, the entries before it kept). Each pass first tests
/// `mmu_interval_check_retry(range->notifier, range->notifier_seq)`: if the interval
/// notifier `notifier = (device, seq)` saw an invalidation since the caller's
/// `mmu_interval_read_begin`, it returns -EBUSY (None: a caller whose notifier the
/// scenario's invalidations never hit). The loop has no scheduling point: on a
/// non-preemptible kernel the CPU is never given up (B29). Errors: -EFAULT when a fault
/// fails (`VM_FAULT_ERROR`, e.g. SIGBUS from `migrate_to_ram`); fault site
/// `hmm_range_fault` (-EFAULT, or -EBUSY as if the notifier sequence had moved).
pub fn hmm_range_fault(
    cur: &Arc<Task>,
    svm: &Svm,
    start: Va,
    npages: usize,
    owner: Option<usize>,
    notifier: Option<(usize, u64)>,
) -> Result<Vec<HmmPfn>, i32> {
    let obj = || format!("va{start}..va{}", start + npages);
    if let Some(e) =
        crate::model::fault::should_fail(cur, crate::model::fault::site::HMM_RANGE_FAULT, obj)
    {
        return Err(e);
    }
    let mut tries = 0;
    let mut out = Vec::with_capacity(npages);
    'walk: loop {
        if let Some((dev, seq)) = notifier
            && svm.with(|s| s.notifier_seq[dev] != seq)
        {
            cur.event(|| {
                Ev::Note(format!(
                    "hmm_range_fault: mmu_interval_check_retry(gpu{dev}) -> -EBUSY (the notifier sequence moved)"
                ))
            });
            return Err(-crate::model::trace::EBUSY);
        }
        // walk_page_range(mm, hmm_vma_walk.last, range->end, ...)
        for va in start + out.len()..start + npages {
            let hit = svm.with(|s| match s.ptes[va] {
                Pte::Present(p) => Some(HmmPfn::System(p)),
                Pte::Device(p) if owner.is_some() && s.folios[p].dev() == owner => {
                    Some(HmmPfn::Device(p))
                }
                _ => None,
            });
            match hit {
                Some(h) => out.push(h),
                None => {
                    tries += 1;
                    if tries > MAX_REFAULTS {
                        livelock(cur, svm, va, "hmm_range_fault");
                    }
                    if handle_mm_fault(cur, svm, va) != 0 {
                        return Err(-crate::model::trace::EFAULT);
                    }
                    svm.with(|s| {
                        s.jiffies += 1;
                        super::lasso::svm_retry_point(
                            cur,
                            svm,
                            s,
                            "hmm_range_fault walk restart (-EBUSY from hmm_vma_fault)",
                            &[],
                        );
                    });
                    crate::model::sync::yield_now(); // a checker step, not cond_resched()
                    continue 'walk;
                }
            }
        }
        return Ok(out);
    }
}
