//! Core-mm device migration: `mm/migrate_device.c` (torvalds @022a12deda53, spec
//! `svm_shrinker.md` §2): `migrate_vma_setup` (= `migrate_vma_collect` +
//! `migrate_device_unmap` with the lenient `migrate_vma_check_page`), `migrate_vma_pages`
//! / `migrate_device_pages` (the exact reference check of `folio_migrate_mapping`),
//! `migrate_vma_finalize` / `migrate_device_finalize`, and `migrate_device_pfns` for
//! eviction without a VMA.
//!
//! Simplified: no THP (`migrate_vma_split_folio`), no device-coherent pages, no
//! anon-exclusive sharing failure, no swap cache, no userfaultfd; `MIGRATE_PFN_WRITE` is
//! not tracked (every mapping is writable). The mmu-notifier range around collect calls
//! the gpusvm invalidation of every device (`MMU_NOTIFY_MIGRATE`'s owner skip is left out:
//! it only saves an invalidation).

use super::page::*;
use super::sched::{lru_add_drain, lru_add_drain_all};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{Ev, cpu_name};
use crate::model::variants::Variant;

/// One `src[]` / `dst[]` entry: `MIGRATE_PFN_VALID` is `pfn.is_some()`,
/// `MIGRATE_PFN_MIGRATE` is `migrate`. `isolated`: the collect reference was swapped for
/// an LRU isolation reference (system pages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mpfn {
    pub pfn: Option<Pfn>,
    pub migrate: bool,
    pub isolated: bool,
}

impl Mpfn {
    /// `migrate_pfn(pfn)` for a destination.
    pub fn dst(p: Pfn) -> Mpfn {
        Mpfn {
            pfn: Some(p),
            migrate: false,
            isolated: false,
        }
    }
}

/// `struct migrate_vma`.
#[derive(Clone, Debug)]
pub struct MigrateVma {
    pub start: Va,
    pub npages: usize,
    pub src: Vec<Mpfn>,
    pub dst: Vec<Mpfn>,
    pub cpages: usize,
    pub select_system: bool,
    pub select_device_private: bool,
    pub pgmap_owner: usize,
    pub fault_page: Option<Pfn>,
    /// Set by setup: the caller holds the fault page's lock (1afaeb8293c9 and later).
    pub fault_locked: bool,
}

impl MigrateVma {
    pub fn new(start: Va, npages: usize, pgmap_owner: usize) -> MigrateVma {
        MigrateVma {
            start,
            npages,
            src: vec![Mpfn::default(); npages],
            dst: vec![Mpfn::default(); npages],
            cpages: 0,
            select_system: false,
            select_device_private: false,
            pgmap_owner,
            fault_page: None,
            fault_locked: false,
        }
    }
}

fn note(cur: &Arc<Task>, s: String) {
    cur.event(|| Ev::Note(s));
}

/// `migrate_vma_setup`: argument checks, collect, unmap. Returns 0 even if nothing was
/// collected (callers look at `cpages`); -EINVAL only from the argument checks (fault
/// site `migrate_vma_setup`; the model's callers pass valid arguments, so only an
/// injected failure or an unlocked fault page gives it). Nothing was collected then.
pub fn migrate_vma_setup(cur: &Arc<Task>, svm: &Svm, args: &mut MigrateVma) -> i32 {
    cur.event(|| Ev::Call {
        f: "migrate_vma_setup",
        obj: format!("va{}..va{}", args.start, args.start + args.npages).into(),
        ctx: None,
    });
    if let Some(e) =
        crate::model::fault::should_fail(cur, crate::model::fault::site::MIGRATE_VMA_SETUP, || {
            format!("va{}..va{}", args.start, args.start + args.npages)
        })
    {
        return e;
    }
    if let Some(fp) = args.fault_page {
        args.fault_locked = svm.with(|s| s.folios[fp].locked == Some(cur.id));
        // 1afaeb8293c9: "fault_page must be locked"; older kernels passed it unlocked.
        if !args.fault_locked
            && matches!(
                svm.fault_policy(),
                FaultPolicy::TrylockRefault | FaultPolicy::TrylockSleep
            )
        {
            return -super::EINVAL;
        }
    }
    migrate_vma_collect(cur, svm, args);
    if args.cpages > 0 {
        let (fp, fl) = (args.fault_page, args.fault_locked);
        migrate_device_unmap(cur, svm, &mut args.src, fp, fl);
        args.cpages = args.src.iter().filter(|m| m.migrate).count();
    }
    cur.event(|| Ev::Note(format!("migrate_vma_setup: cpages {}", args.cpages)));
    0
}

enum Collected {
    Hole,
    Skip,
    Candidate(Pfn),
}

/// `migrate_vma_collect` (+ `migrate_vma_collect_pmd` per PTE, under the PTL): a
/// candidate gets `folio_get` first, then `folio_trylock` (the caller's locked fault page
/// is exempt); trylock failure drops the reference and skips the page. Success installs
/// a migration entry and drops the rmap and the PTE's reference.
fn migrate_vma_collect(cur: &Arc<Task>, svm: &Svm, args: &mut MigrateVma) {
    super::gpusvm::mmu_notifier_invalidate_range_start(cur, svm, args.start, args.npages);
    for i in 0..args.npages {
        let va = args.start + i;
        let ptl = pte_lock(cur, svm);
        let c = svm.with(|s| match s.ptes[va] {
            Pte::None => Collected::Hole,
            Pte::Present(p) if args.select_system => {
                folio_get_locked(svm, s, cur, p, RefKind::Collect);
                Collected::Candidate(p)
            }
            Pte::Device(p)
                if args.select_device_private && s.folios[p].dev() == Some(args.pgmap_owner) =>
            {
                folio_get_locked(svm, s, cur, p, RefKind::Collect);
                Collected::Candidate(p)
            }
            _ => Collected::Skip,
        });
        match c {
            Collected::Hole => {
                args.src[i] = Mpfn {
                    pfn: None,
                    migrate: true,
                    isolated: false,
                };
                args.cpages += 1;
            }
            Collected::Skip => args.src[i] = Mpfn::default(),
            Collected::Candidate(p) => {
                let exempt = args.fault_page == Some(p) && args.fault_locked;
                if !exempt && !folio_trylock(cur, svm, p) {
                    note(
                        cur,
                        format!(
                            "migrate_vma_collect: folio_trylock({}) failed, va{va} skipped",
                            svm.name(p)
                        ),
                    );
                    folio_put(cur, svm, p, RefKind::Collect);
                    args.src[i] = Mpfn::default();
                    drop(ptl);
                    continue;
                }
                svm.with(|s| {
                    s.ptes[va] = Pte::Migration(p);
                    s.folios[p].mapcount -= 1;
                    folio_put_locked(svm, s, cur, p, RefKind::Map);
                });
                args.src[i] = Mpfn {
                    pfn: Some(p),
                    migrate: true,
                    isolated: false,
                };
                args.cpages += 1;
            }
        }
        drop(ptl);
    }
    super::gpusvm::mmu_notifier_invalidate_range_end(cur, svm);
}

/// `try_to_migrate(folio)`: replace every remaining PTE of the folio (other mappings:
/// aliases) by a migration entry, dropping their references.
fn try_to_migrate(cur: &Arc<Task>, svm: &Svm, p: Pfn) {
    // try_to_migrate_one brackets each mapping with its own notifier range.
    let vas: Vec<Va> = svm.with(|s| {
        (0..s.ptes.len())
            .filter(|&va| matches!(s.ptes[va], Pte::Present(q) | Pte::Device(q) if q == p))
            .collect()
    });
    for &va in &vas {
        super::gpusvm::mmu_notifier_invalidate_range_start(cur, svm, va, 1);
    }
    try_to_migrate_ptes(cur, svm, p);
    for _ in &vas {
        super::gpusvm::mmu_notifier_invalidate_range_end(cur, svm);
    }
}

fn try_to_migrate_ptes(cur: &Arc<Task>, svm: &Svm, p: Pfn) {
    let _ptl = pte_lock(cur, svm);
    svm.with(|s| {
        for va in 0..s.ptes.len() {
            if matches!(s.ptes[va], Pte::Present(q) | Pte::Device(q) if q == p) {
                s.ptes[va] = Pte::Migration(p);
                s.folios[p].mapcount -= 1;
                folio_put_locked(svm, s, cur, p, RefKind::Map);
            }
        }
    });
}

/// `remove_migration_ptes(src, dst)`: every migration entry of `src` becomes a mapping of
/// `dst` (one reference per PTE).
fn remove_migration_ptes(cur: &Arc<Task>, svm: &Svm, src: Pfn, dst: Pfn) {
    let _ptl = pte_lock(cur, svm);
    svm.with(|s| {
        for va in 0..s.ptes.len() {
            if s.ptes[va] == Pte::Migration(src) {
                s.ptes[va] = if s.folios[dst].is_device() {
                    Pte::Device(dst)
                } else {
                    Pte::Present(dst)
                };
                s.folios[dst].mapcount += 1;
                folio_get_locked(svm, s, cur, dst, RefKind::Map);
            }
        }
    });
}

/// `migrate_vma_check_page`: the lenient check of unmap. Allowed extra references: the
/// caller's collect/isolation one, the fault page's, and one more for zone-device pages.
fn migrate_vma_check_page(s: &SvmState, p: Pfn, fault_page: Option<Pfn>) -> bool {
    let f = &s.folios[p];
    let extra = 1 + usize::from(fault_page == Some(p)) + usize::from(f.is_device());
    f.refcount().saturating_sub(extra) <= f.mapcount as usize
}

/// `migrate_device_unmap`: isolate system pages from the LRU (draining every CPU's
/// `lru_add` batch once with `lru_add_drain_all()` if one is not on the LRU), unmap
/// remaining mappings with `try_to_migrate`, then the lenient reference check; failures
/// are restored and unlocked.
pub fn migrate_device_unmap(
    cur: &Arc<Task>,
    svm: &Svm,
    src: &mut [Mpfn],
    fault_page: Option<Pfn>,
    fault_locked: bool,
) {
    lru_add_drain(cur, svm);
    let mut allow_drain = true;
    let mut failed = vec![false; src.len()];
    for i in 0..src.len() {
        let Some(p) = src[i].pfn else { continue };
        if !src[i].migrate {
            continue;
        }
        let (system, on_lru) = svm.with(|s| (!s.folios[p].is_device(), s.folios[p].on_lru));
        if system {
            if !on_lru && allow_drain {
                lru_add_drain_all(cur, svm);
                allow_drain = false;
            }
            // folio_isolate_lru, then drop the collect reference (the isolation one keeps it).
            let ok = svm.with(|s| {
                if !s.folios[p].on_lru {
                    return false;
                }
                s.folios[p].on_lru = false;
                folio_get_locked(svm, s, cur, p, RefKind::Isolate);
                folio_put_locked(svm, s, cur, p, RefKind::Collect);
                true
            });
            if !ok {
                failed[i] = true;
                continue;
            }
            src[i].isolated = true;
        }
        if svm.with(|s| s.folios[p].mapcount > 0) {
            try_to_migrate(cur, svm, p);
        }
        if !svm.with(|s| {
            let ok = migrate_vma_check_page(s, p, fault_page);
            s.meter.ref_failures += u64::from(!ok);
            ok
        }) {
            note(
                cur,
                format!(
                    "migrate_vma_check_page({}) failed: extra references",
                    svm.name(p)
                ),
            );
            failed[i] = true;
        }
    }
    for i in 0..src.len() {
        if !failed[i] {
            continue;
        }
        let p = src[i].pfn.expect("failed entries have a page");
        remove_migration_ptes(cur, svm, p, p);
        if !(fault_page == Some(p) && fault_locked) {
            folio_unlock(cur, svm, p);
        }
        put_source(cur, svm, p, src[i].isolated);
        src[i] = Mpfn::default();
    }
}

/// `folio_putback_lru` (mm/vmscan.c: `folio_add_lru(folio); folio_put(folio);`):
/// `folio_add_lru` queues the folio in this CPU's `cpu_fbatches.lru_add` batch
/// (mm/swap.c); it reaches the LRU (isolatable again) only when that CPU runs
/// `lru_add_drain` or someone runs `lru_add_drain_all` (inside a step: the model's batch
/// never fills up, so `folio_batch_add` never drains it on the spot).
fn folio_putback_lru_locked(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, p: Pfn) {
    s.folios[p].lru_batch = Some(cur.id);
    folio_put_locked(svm, s, cur, p, RefKind::Isolate);
}

/// Drop the migrator's reference on a source page (`folio_putback_lru` for an isolated
/// system page: migrate_device_unmap's restore loop, v7.0 text).
fn put_source(cur: &Arc<Task>, svm: &Svm, p: Pfn, isolated: bool) {
    svm.with(|s| {
        if isolated {
            folio_putback_lru_locked(svm, s, cur, p);
        } else {
            folio_put_locked(svm, s, cur, p, RefKind::Collect);
        }
    });
}

/// `migrate_device_pfns(src_pfns)` / `migrate_device_range`: eviction without a VMA.
/// For each pfn `folio_get_nontail_page` (a free page yields nothing) then
/// `folio_trylock`; then `migrate_device_unmap`. Always returns 0; failure is per entry.
pub fn migrate_device_pfns(cur: &Arc<Task>, svm: &Svm, pfns: &[Pfn]) -> Vec<Mpfn> {
    cur.event(|| Ev::Call {
        f: "migrate_device_pfns",
        obj: format!("{} pfns", pfns.len()).into(),
        ctx: None,
    });
    let mut src = vec![Mpfn::default(); pfns.len()];
    let isolate = svm
        .design
        .get()
        .is_some_and(|d| d.design == super::designs::SvmDesign::IsolateOnAcquire);
    for (i, &p) in pfns.iter().enumerate() {
        // Design isolate-on-acquire: a page its owner holds (locked) is off the LRU, so
        // the evictor never sees it and takes no reference on it.
        if isolate && svm.with(|s| s.folios[p].locked.is_some()) {
            note(
                cur,
                format!(
                    "migrate_device_pfns: {} isolated by its holder, not seen",
                    svm.name(p)
                ),
            );
            continue;
        }
        if !folio_try_get(cur, svm, p, RefKind::Collect) {
            continue;
        }
        if !folio_trylock(cur, svm, p) {
            note(
                cur,
                format!(
                    "migrate_device_pfn_lock: folio_trylock({}) failed, skipped",
                    svm.name(p)
                ),
            );
            folio_put(cur, svm, p, RefKind::Collect);
            continue;
        }
        src[i] = Mpfn {
            pfn: Some(p),
            migrate: true,
            isolated: false,
        };
    }
    migrate_device_unmap(cur, svm, &mut src, None, false);
    src
}

/// `folio_migrate_mapping(mapping, dst, src, extra)` for an anon folio: the exact check
/// `refcount == 1 + extra` (-EAGAIN otherwise). On success the ghost check of the
/// `migrate-refcount` property: every reference left must be the migrator's own or the
/// fault-page reference of the task holding the page lock.
fn folio_migrate_mapping(
    cur: &Arc<Task>,
    svm: &Svm,
    p: Pfn,
    extra: usize,
    (dst, start, i): (Pfn, Option<Va>, usize),
) -> bool {
    svm.with(|s| {
        let f = &s.folios[p].clone();
        let rc = f.refcount();
        let ok = if svm.variant(Variant::LenientCommit) {
            // The unmap-time formula (zone-device +1) reused at commit.
            rc <= 1 + extra + usize::from(f.is_device())
        } else {
            rc == 1 + extra
        };
        if !ok {
            s.meter.ref_failures += 1;
            let others: Vec<String> = f
                .refs
                .iter()
                .filter(|r| r.task != cur.id)
                .map(|r| format!("{} ({})", r.kind.name(), cpu_name(r.task)))
                .collect();
            cur.event(|| {
                Ev::Note(format!(
                    "folio_migrate_mapping({}) -> -EAGAIN: refcount {rc}, expected {} (others: {})",
                    f.name,
                    1 + extra,
                    others.join(", ")
                ))
            });
            return false;
        }
        let foreign: Vec<String> = f
            .refs
            .iter()
            .filter(|r| {
                let own = r.task == cur.id
                    && matches!(r.kind, RefKind::Collect | RefKind::Isolate | RefKind::Fault);
                let fault_holder = r.kind == RefKind::Fault && f.locked == Some(r.task);
                !(own || fault_holder)
            })
            .map(|r| format!("{} ({})", r.kind.name(), cpu_name(r.task)))
            .collect();
        if !foreign.is_empty() {
            svm.fail(
                Property::MigrateRefcount,
                format!(
                    "{} folio_migrate_mapping({}) committed with refcount {rc} (exact check wants {}): {} still reference the old page and will use it after the migration",
                    cpu_name(cur.id),
                    f.name,
                    1 + extra,
                    foreign.join(", ")
                ),
            );
        }
        // Ghost: the design meters count the committed migration (same step).
        let va = s_va(s, start, i, p);
        let to_device = s.folios[dst].is_device();
        s.meter.migrated(va, to_device);
        true
    })
}

/// `migrate_vma_pages` / `migrate_device_pages`: the commit point. `start`: the VMA
/// address of entry 0 (None for `migrate_device_pages`, which has no holes).
pub fn migrate_pages(
    cur: &Arc<Task>,
    svm: &Svm,
    start: Option<Va>,
    src: &mut [Mpfn],
    dst: &[Mpfn],
    fault_page: Option<Pfn>,
) {
    cur.event(|| Ev::Call {
        f: if start.is_some() {
            "migrate_vma_pages"
        } else {
            "migrate_device_pages"
        },
        obj: format!("{} entries", src.len()).into(),
        ctx: None,
    });
    for i in 0..src.len() {
        if !src[i].migrate {
            continue;
        }
        let Some(d) = dst[i].pfn else {
            src[i].migrate = false;
            continue;
        };
        match src[i].pfn {
            None => {
                // migrate_vma_insert_page: only into a still-empty PTE.
                let va = start.expect("holes only in migrate_vma") + i;
                let _ptl = pte_lock(cur, svm);
                let ok = svm.with(|s| {
                    if s.ptes[va] != Pte::None {
                        return false;
                    }
                    s.ptes[va] = if s.folios[d].is_device() {
                        Pte::Device(d)
                    } else {
                        Pte::Present(d)
                    };
                    s.folios[d].mapcount += 1;
                    folio_get_locked(svm, s, cur, d, RefKind::Map);
                    true
                });
                src[i].migrate = ok;
            }
            Some(p) => {
                let extra = usize::from(fault_page == Some(p));
                if !folio_migrate_mapping(cur, svm, p, extra, (d, start, i)) {
                    src[i].migrate = false;
                }
            }
        }
    }
}

/// The virtual page of entry `i` (migrate_vma) or of the migration entry for `p`
/// (migrate_device_pages: no VMA) — for the design meters only.
fn s_va(s: &SvmState, start: Option<Va>, i: usize, p: Pfn) -> Option<Va> {
    match start {
        Some(st) => Some(st + i),
        None => s.ptes.iter().position(|e| *e == Pte::Migration(p)),
    }
}

/// `migrate_vma_finalize` / `migrate_device_finalize`: restore or remap, unlock, drop the
/// references (the final put of a migrated device page runs `page_free`).
pub fn migrate_finalize(
    cur: &Arc<Task>,
    svm: &Svm,
    src: &[Mpfn],
    dst: &[Mpfn],
    fault_page: Option<Pfn>,
    fault_locked: bool,
) {
    cur.event(|| Ev::Call {
        f: "migrate_finalize",
        obj: format!("{} entries", src.len()).into(),
        ctx: None,
    });
    for i in 0..src.len() {
        let Some(p) = src[i].pfn else {
            if let Some(d) = dst[i].pfn {
                folio_unlock(cur, svm, d);
                folio_put(cur, svm, d, RefKind::Init);
            }
            continue;
        };
        let winner = match dst[i].pfn {
            Some(d) if src[i].migrate => d,
            other => {
                if let Some(d) = other {
                    folio_unlock(cur, svm, d);
                    folio_put(cur, svm, d, RefKind::Init);
                }
                p
            }
        };
        let keep_locked = fault_page == Some(p) && fault_locked;
        let early = svm.variant(Variant::UnlockBeforeRemap) && !keep_locked;
        if early {
            folio_unlock(cur, svm, p);
        }
        remove_migration_ptes(cur, svm, p, winner);
        if !keep_locked && !early {
            folio_unlock(cur, svm, p);
        }
        // folio_putback_lru for an isolated system page; a device source just loses the
        // migrator's reference (usually the last for a migrated one: page_free).
        let isolated = src[i].isolated;
        svm.with(|s| {
            if isolated {
                // __migrate_device_finalize: `folio_putback_lru(src)` for every system
                // source, restored or migrated (a migrated one is freed at once in the
                // model; in the kernel the batch's reference keeps it until the drain,
                // and either way the CPU's batch is not empty).
                folio_putback_lru_locked(svm, s, cur, p);
            } else {
                folio_put_locked(svm, s, cur, p, RefKind::Collect);
            }
        });
        if winner != p {
            folio_unlock(cur, svm, winner);
            svm.with(|s| {
                if !s.folios[winner].is_device() {
                    s.folios[winner].lru_batch = Some(cur.id); // folio_add_lru
                }
                folio_put_locked(svm, s, cur, winner, RefKind::Init);
            });
        }
    }
}
