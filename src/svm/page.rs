//! Folios, PTEs and the SVM world: `include/linux/mm.h` (folio_get / folio_put /
//! folio_try_get), `mm/filemap.c` (folio_trylock, folio_lock, folio_unlock and the folio
//! wait queue), `mm/memremap.c` (`zone_device_page_init`, `free_zone_device_folio` →
//! `pgmap->ops->page_free`), spec `svm_shrinker.md` §1.
//!
//! Simplifications, each safe for what is checked:
//! * One process (one mm, one VMA covering every virtual page, anonymous). Virtual pages
//!   are numbered (`va0`, `va1`, ...); a PTE is one of none / present(system page) /
//!   device-private entry / migration entry. Aliases (fork, mremap) are two virtual pages
//!   mapping one folio, which is what gives a device folio mapcount > 1 (B29).
//! * One PTL for the whole page table (all modelled pages sit under one PMD in the
//!   scenarios, so the kernel has one split PTL for them too).
//! * `mmap_lock` is not modelled: nothing in the scenarios takes it for write (no munmap,
//!   mremap or fork at run time), so read-side holders never wait for each other.
//! * Page contents are a version number per folio; every write bumps it and the ghost
//!   `expected[va]` remembers the last version written through each virtual page, so a
//!   copy that misses a write, or a remap to stale contents, is observable (`data-loss`).
//! * The refcount is the length of a list of ghost reference tags (who took it and why:
//!   PTE mapping, driver initial reference, migration collect/isolation, do_swap_page), so
//!   a failed or succeeded reference check can be explained in kernel terms.
//! * Order-0 folios only (no THP device migration).

use super::pagemap::{Devmem, DevmemId, Zdd, ZddId};
use super::sched::CpuSched;
use crate::model::Machine;
use crate::model::lockdep::{LockKind, Lockdep};
use crate::model::property::Property;
use crate::model::sync::{Arc, Condvar, Mutex};
use crate::model::task::Task;
use crate::model::trace::{Ev, WaitKind, cpu_name};
use crate::model::variants::Variant;

pub type Pfn = usize;
/// A virtual page of the one modelled mm.
pub type Va = usize;

/// Where a folio lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// An ordinary anonymous system-memory page.
    System,
    /// A `MEMORY_DEVICE_PRIVATE` page of device `dev` (its pgmap owner is `dev`).
    Device { dev: usize },
}

/// Why a reference on a folio exists (ghost tag; the kernel only has the count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// One per PTE mapping the folio (present or device-private entry).
    Map,
    /// The allocator's / `zone_device_page_init`'s initial reference (dropped by finalize).
    Init,
    /// The migrator's collect reference (`folio_get` in collect, `folio_get_nontail_page`
    /// in `migrate_device_pfn_lock`).
    Collect,
    /// The LRU isolation reference of a system page being migrated.
    Isolate,
    /// `do_swap_page`'s `get_page` around `migrate_to_ram`.
    Fault,
    /// A short-lived foreign reference: a GUP-like pin or a speculative pfn-walker
    /// `folio_try_get` (the `svm-design-*-pin` scenarios' option).
    Pin,
}

impl RefKind {
    pub fn name(self) -> &'static str {
        match self {
            RefKind::Map => "PTE mapping",
            RefKind::Init => "initial",
            RefKind::Collect => "migration collect",
            RefKind::Isolate => "LRU isolation",
            RefKind::Fault => "do_swap_page get_page",
            RefKind::Pin => "GUP-like pin",
        }
    }
}

/// One reference: its kind and the task that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRef {
    pub kind: RefKind,
    pub task: u16,
}

/// `struct folio`, reduced to what migration and the fault path use.
#[derive(Clone, Debug)]
pub struct Folio {
    pub name: Arc<str>,
    pub kind: PageKind,
    /// The references (refcount = `refs.len()`).
    pub refs: Vec<PageRef>,
    pub mapcount: u32,
    /// `PG_locked`, with the ghost holder.
    pub locked: Option<u16>,
    /// `page->zone_device_data` (drm_pagemap: the zdd).
    pub zdd: Option<ZddId>,
    /// Contents version.
    pub data: u64,
    /// Device page: `page_free` ran and it was not re-initialised since (it is in the
    /// driver's allocator). System page: back in the page allocator.
    pub free: bool,
    /// On an LRU list (isolatable); fresh pages sit in a per-CPU `lru_add` batch first.
    pub on_lru: bool,
    /// The CPU whose `lru_add` batch holds the page (drained by `lru_add_drain`).
    pub lru_batch: Option<u16>,
    /// Ghost resource for wait-for reports.
    pub ghost: usize,
}

impl Folio {
    pub fn refcount(&self) -> usize {
        self.refs.len()
    }
    pub fn is_device(&self) -> bool {
        matches!(self.kind, PageKind::Device { .. })
    }
    pub fn dev(&self) -> Option<usize> {
        match self.kind {
            PageKind::Device { dev } => Some(dev),
            PageKind::System => None,
        }
    }
}

/// The state of a PTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pte {
    None,
    /// Present, mapping a system page.
    Present(Pfn),
    /// A device-private swap entry.
    Device(Pfn),
    /// A migration entry for the (locked) source folio.
    Migration(Pfn),
}

/// The kernel generation of the device-private branch of `do_swap_page` (spec §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPolicy {
    /// Before 16ce101db85d (CVE-2022-3523): no reference, no lock around migrate_to_ram.
    NoRef,
    /// 16ce101db85d .. 1afaeb8293c9: `get_page` under the PTL, no page lock (B28).
    RefNoLock,
    /// 1afaeb8293c9 .. b570f37a2ce4: trylock; the loser returns and refaults at once (B29).
    TrylockRefault,
    /// b570f37a2ce4 (mainline): trylock; the loser sleeps until the folio is unlocked.
    TrylockSleep,
}

/// The driver policy around SVM migration (spec §5–7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// drm_pagemap / drm_gpusvm / Xe: core-mm locking only (mainline).
    Xe,
    /// AMD KFD: a per-range `migrate_mutex` around every migration of the range.
    Amd,
}

/// Scenario configuration of the SVM world.
#[derive(Clone, Copy, Debug)]
pub struct SvmConfig {
    /// Virtual pages of the mm.
    pub vas: usize,
    /// Devices and VRAM pages per device.
    pub devices: usize,
    pub vram_pages: usize,
    pub driver: Driver,
    /// CONFIG_PREEMPT_NONE (or voluntary): per-CPU work runs only when the CPU's task
    /// sleeps or passes a scheduling point.
    pub preempt_none: bool,
    /// drm_gpusvm timeslice (in model jiffies) granted after a migration to VRAM.
    pub timeslice: u64,
}

impl Default for SvmConfig {
    fn default() -> Self {
        SvmConfig {
            vas: 2,
            devices: 1,
            vram_pages: 4,
            driver: Driver::Xe,
            preempt_none: false,
            timeslice: 0,
        }
    }
}

/// Everything protected by the world mutex.
#[derive(Debug, Default)]
pub struct SvmState {
    pub folios: Vec<Folio>,
    pub ptes: Vec<Pte>,
    /// Ghost: last version written through each virtual page.
    pub expected: Vec<u64>,
    pub zdds: Vec<Zdd>,
    pub devmems: Vec<Devmem>,
    /// The VRAM allocator of each device (free device pfns).
    pub free_vram: Vec<Vec<Pfn>>,
    /// Model time (jiffies): advanced by refaults (time passes while a CPU spins).
    pub jiffies: u64,
    pub cpus: Vec<CpuSched>,
    pub works: Vec<super::sched::Work>,
    /// Per device: the mmu interval notifier sequence of its gpusvm.
    pub notifier_seq: Vec<u64>,
    /// Per device, per va: the GPU page-table entry (pfn), valid until invalidated.
    pub gpu_pte: Vec<Vec<Option<Pfn>>>,
    /// devmem allocations whose backing BO awaits `xe_bo_put_async`.
    pub deferred_bo_put: Vec<DevmemId>,
    /// Per device: invalidations between `invalidate_range_start` and `_end`
    /// (`mmu_interval_read_begin` waits for them; the sequence is bumped at start).
    pub invalidating: Vec<u32>,
    /// Ghost: tasks currently inside `migrate_to_ram` from `do_swap_page`.
    pub in_migrate_to_ram: Vec<u16>,
    /// Ghost counters of the SVM VRAM-manager designs' measured outcomes (`svm::designs`;
    /// counted always, read only by the design scenarios).
    pub meter: super::designs::Meter,
}

/// The SVM world of one execution.
pub struct Svm {
    pub m: Arc<Machine>,
    pub cfg: SvmConfig,
    st: Mutex<SvmState>,
    /// The folio wait queue (`folio_wait_bit`) and the work-flush waits.
    wq: Condvar,
    /// The page-table lock (a spinlock: lockdep class [`PTLOCK`]; take it with
    /// [`pte_lock`]).
    pub ptl: Mutex<()>,
    /// Per device: `gpusvm->notifier_lock` (an rwsem in the kernel; the model only
    /// takes it exclusively, which can only add waiting, never remove a race). Lockdep
    /// class [`NOTIFIER_LOCK`]; take it with [`notifier_lock`].
    pub notifier_lock: Vec<Mutex<()>>,
    /// AMD `prange->migrate_mutex` (one range in the model).
    pub migrate_mutex: crate::model::kmutex::KMutex,
    /// AMD `p->svms.lock` (`struct svm_range_list`'s mutex), the outer lock of
    /// `svm_migrate_to_ram` and `svm_range_restore_pages` (svms.lock, then migrate_mutex).
    pub svms_lock: crate::model::kmutex::KMutex,
    /// TTM backing (Xe VRAM BOs, the VM resv of the rejected design), if any.
    pub ttm: Option<super::ttm_backing::TtmBacking>,
    /// `mm->mm_users` of the one modelled mm: 1 is the process's own reference; every
    /// `mmget_not_zero` of the SVM code (drm_pagemap_populate_mm, drm_gpusvm_get_pages,
    /// drm_gpusvm_range_evict, drm_pagemap_evict_to_ram) must be paired with an `mmput`,
    /// or the mm_struct is never freed after the process exits (checked at the end). A
    /// std atomic outside the checkers' view (like `Kref`): the modelled process never
    /// exits, so only the final count matters, not how gets and puts interleave.
    pub mm_users: std::sync::atomic::AtomicU32,
    /// Ghost resources naming CPUs (a flush waits for a CPU to become available).
    cpu_ghosts: std::sync::Mutex<Vec<(u16, usize)>>,
    /// The SVM VRAM-manager design of a `svm-design-<NAME>-*` scenario (`svm::designs`);
    /// unset everywhere else, which is mainline Xe (unified LRU) with no hook active.
    pub design: std::sync::OnceLock<Arc<super::designs::VramManager>>,
}

impl Svm {
    pub fn new(
        m: &Arc<Machine>,
        cfg: SvmConfig,
        ttm: Option<super::ttm_backing::TtmBacking>,
    ) -> Arc<Svm> {
        let mut st = SvmState {
            ptes: vec![Pte::None; cfg.vas],
            expected: vec![0; cfg.vas],
            notifier_seq: vec![0; cfg.devices],
            invalidating: vec![0; cfg.devices],
            gpu_pte: vec![vec![None; cfg.vas]; cfg.devices],
            ..Default::default()
        };
        for dev in 0..cfg.devices {
            let mut pool = Vec::new();
            for i in 0..cfg.vram_pages {
                let name = format!("vram{dev}.{i}");
                let ghost = m.rec.register_lock(&name);
                st.folios.push(Folio {
                    name: name.into(),
                    kind: PageKind::Device { dev },
                    refs: Vec::new(),
                    mapcount: 0,
                    locked: None,
                    zdd: None,
                    data: 0,
                    free: true,
                    on_lru: false,
                    lru_batch: None,
                    ghost,
                });
                pool.push(st.folios.len() - 1);
            }
            pool.reverse();
            st.free_vram.push(pool);
        }
        Arc::new(Svm {
            m: Arc::clone(m),
            cfg,
            st: Mutex::new(st),
            wq: Condvar::new(),
            ptl: Mutex::new(()),
            notifier_lock: (0..cfg.devices).map(|_| Mutex::new(())).collect(),
            migrate_mutex: crate::model::kmutex::KMutex::new(m, MIGRATE_MUTEX),
            svms_lock: crate::model::kmutex::KMutex::new(m, SVMS_LOCK),
            ttm,
            mm_users: std::sync::atomic::AtomicU32::new(1),
            cpu_ghosts: Default::default(),
            design: std::sync::OnceLock::new(),
        })
    }

    /// The ghost resource "CPU c" (held by the task running on it).
    pub fn cpu_ghost(&self, c: u16) -> usize {
        let mut g = self.cpu_ghosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, r)) = g.iter().find(|(x, _)| *x == c) {
            return *r;
        }
        let r = self.m.rec.register_lock(&format!("CPU {}", cpu_name(c)));
        self.m.set_holder(r, Some(c));
        g.push((c, r));
        r
    }

    /// One model step on the world; the always-on invariants are checked before the
    /// world mutex is released.
    pub fn with<R>(&self, f: impl FnOnce(&mut SvmState) -> R) -> R {
        let mut g = self.st.lock();
        let r = f(&mut g);
        self.check_invariants(&g);
        r
    }

    /// Like [`Svm::with`], but `f` may sleep on the folio wait queue: it gets the guard
    /// and the condition variable.
    pub(crate) fn with_wait<R>(
        &self,
        f: impl FnOnce(&mut crate::model::sync::MutexGuard<'_, SvmState>, &Condvar) -> R,
    ) -> R {
        let mut g = self.st.lock();
        let r = f(&mut g, &self.wq);
        self.check_invariants(&g);
        r
    }

    /// Wake everyone sleeping on the folio wait queue (or a work flush).
    pub fn wake_all(&self) {
        self.wq.notify_all();
    }

    pub fn fail(&self, p: Property, msg: String) -> ! {
        self.m.fail(p, msg)
    }

    pub fn variant(&self, v: Variant) -> bool {
        self.m.variant(v)
    }

    /// The `do_swap_page` generation of this run (from the variants).
    pub fn fault_policy(&self) -> FaultPolicy {
        if self.variant(Variant::FaultNoRef) {
            FaultPolicy::NoRef
        } else if self.variant(Variant::FaultRefNoTrylock) {
            FaultPolicy::RefNoLock
        } else if self.variant(Variant::FaultTrylockSpin) {
            FaultPolicy::TrylockRefault
        } else {
            FaultPolicy::TrylockSleep
        }
    }

    /// The always-on invariants: a migration entry only for a locked folio (spec §10.3);
    /// zdd references equal the live device pages bound to it (plus the reference a
    /// running `migrate_to_devmem` owns), spec §5.3.
    fn check_invariants(&self, s: &SvmState) {
        for (va, pte) in s.ptes.iter().enumerate() {
            if let Pte::Migration(p) = pte
                && s.folios[*p].locked.is_none()
            {
                self.fail(
                    Property::PageLock,
                    format!(
                        "va{va} holds a migration entry for {} but the folio is unlocked: a CPU access would find it unlocked and proceed while the migration is still running",
                        s.folios[*p].name
                    ),
                );
            }
        }
        for (z, zdd) in s.zdds.iter().enumerate() {
            if zdd.freed {
                continue;
            }
            let live = s
                .folios
                .iter()
                .filter(|f| f.zdd == Some(z) && !f.free)
                .count() as u32;
            if zdd.kref != live + zdd.call_refs {
                self.fail(
                    Property::ZddRefcount,
                    format!(
                        "zdd{z} kref is {} but {live} live device pages point to it (+{} owned by a running migrate_to_devmem): devmem_release would run {}",
                        zdd.kref,
                        zdd.call_refs,
                        if zdd.kref > live + zdd.call_refs {
                            "late or never"
                        } else {
                            "while device pages are still in use"
                        }
                    ),
                );
            }
        }
    }

    /// Ghost name of a folio.
    pub fn name(&self, p: Pfn) -> Arc<str> {
        self.with(|s| Arc::clone(&s.folios[p].name))
    }

    /// Allocate a fresh system page (`alloc_page`): refcount 1 (initial), unlocked.
    pub fn alloc_system_page(&self, s: &mut SvmState, data: u64) -> Pfn {
        let n = s.folios.len();
        let name = format!("sys{n}");
        let ghost = self.m.rec.register_lock(&name);
        s.folios.push(Folio {
            name: name.into(),
            kind: PageKind::System,
            refs: vec![PageRef {
                kind: RefKind::Init,
                task: u16::MAX,
            }],
            mapcount: 0,
            locked: None,
            zdd: None,
            data,
            free: false,
            on_lru: false,
            lru_batch: None,
            ghost,
        });
        n
    }
}

// ----------------------------------------------------------------- folio primitives

/// Report a use of a freed folio (what KASAN or the refcount WARNs would report).
pub fn check_live(svm: &Svm, s: &SvmState, cur: &Arc<Task>, p: Pfn, op: &str) {
    let f = &s.folios[p];
    if f.refs.is_empty() {
        svm.fail(
            Property::UseAfterFree,
            format!(
                "{} {op} on {} after its refcount reached 0 ({})",
                cpu_name(cur.id),
                f.name,
                if f.is_device() {
                    "page_free already ran: the device page is back in the driver's allocator"
                } else {
                    "freed to the page allocator"
                }
            ),
        );
    }
}

/// `folio_get` (the caller knows the folio is live).
pub fn folio_get_locked(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, p: Pfn, kind: RefKind) {
    check_live(svm, s, cur, p, "folio_get");
    s.folios[p].refs.push(PageRef { kind, task: cur.id });
}

/// `folio_get` as its own step.
pub fn folio_get(cur: &Arc<Task>, svm: &Svm, p: Pfn, kind: RefKind) {
    svm.with(|s| folio_get_locked(svm, s, cur, p, kind));
}

/// `folio_try_get` / `folio_get_nontail_page`: a free folio (refcount 0) yields false.
pub fn folio_try_get(cur: &Arc<Task>, svm: &Svm, p: Pfn, kind: RefKind) -> bool {
    svm.with(|s| {
        if s.folios[p].refs.is_empty() {
            false
        } else {
            s.folios[p].refs.push(PageRef { kind, task: cur.id });
            true
        }
    })
}

/// `folio_put` inside a step: drop `cur`'s reference of `kind` (any holder's if `cur`
/// has none of that kind: PTE references are not per task); at 0 the folio is freed
/// (`free_zone_device_folio` → `page_free` for device pages).
pub fn folio_put_locked(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, p: Pfn, kind: RefKind) {
    check_live(svm, s, cur, p, "folio_put");
    let f = &mut s.folios[p];
    let pos = f
        .refs
        .iter()
        .position(|r| r.kind == kind && r.task == cur.id)
        .or_else(|| f.refs.iter().position(|r| r.kind == kind))
        .unwrap_or_else(|| {
            panic!(
                "model bug: {} drops a {} reference of {} it does not have ({:?})",
                cpu_name(cur.id),
                kind.name(),
                f.name,
                f.refs
            )
        });
    f.refs.remove(pos);
    if f.refs.is_empty() {
        free_folio(svm, s, cur, p);
    }
}

/// `folio_put` as its own step.
pub fn folio_put(cur: &Arc<Task>, svm: &Svm, p: Pfn, kind: RefKind) {
    svm.with(|s| folio_put_locked(svm, s, cur, p, kind));
}

/// The final put: `free_zone_device_folio` → `pgmap->ops->page_free` (drm_pagemap:
/// `drm_pagemap_page_free` → `drm_pagemap_zdd_put`), or back to the page allocator.
fn free_folio(svm: &Svm, s: &mut SvmState, cur: &Arc<Task>, p: Pfn) {
    let f = &mut s.folios[p];
    if f.locked.is_some() {
        svm.fail(
            Property::UseAfterFree,
            format!("{} freed while locked", f.name),
        );
    }
    f.free = true;
    let name = Arc::clone(&f.name);
    if f.is_device() {
        let zdd = f.zdd.take();
        cur.event(|| Ev::Note(format!("page_free({name}) (refcount reached 0)")));
        if let Some(z) = zdd
            && !svm.variant(Variant::ZddPutMissing)
        {
            super::pagemap::drm_pagemap_zdd_put(svm, s, cur, z);
        }
    }
}

/// `folio_trylock`.
pub fn folio_trylock(cur: &Arc<Task>, svm: &Svm, p: Pfn) -> bool {
    svm.with(|s| {
        check_live(svm, s, cur, p, "folio_trylock");
        let f = &mut s.folios[p];
        if f.locked.is_some() {
            return false;
        }
        f.locked = Some(cur.id);
        cur.machine.set_holder(f.ghost, Some(cur.id));
        true
    })
}

/// `folio_unlock`: clear PG_locked and wake the folio wait queue.
pub fn folio_unlock(cur: &Arc<Task>, svm: &Svm, p: Pfn) {
    svm.with(|s| {
        check_live(svm, s, cur, p, "folio_unlock");
        let f = &mut s.folios[p];
        if f.locked.is_none() {
            svm.fail(
                Property::PageLock,
                format!(
                    "{} unlocks {} which is not locked",
                    cpu_name(cur.id),
                    f.name
                ),
            );
        }
        f.locked = None;
        cur.machine.set_holder(f.ghost, None);
    });
    svm.wake_all();
}

/// Sleep until `p` is unlocked (`folio_wait_bit(PG_locked)`; also
/// `migration_entry_wait_on_locked` / `softleaf_entry_wait_on_locked`). The CPU is idle
/// while its task sleeps (queued per-CPU work runs).
pub fn folio_wait_unlocked(cur: &Arc<Task>, svm: &Svm, p: Pfn, why: &str) {
    // folio_wait_bit / migration_entry_wait_on_locked sleep: not lockdep-tracked (a bit
    // lock with a wait queue), only might_sleep() (CONFIG_DEBUG_ATOMIC_SLEEP) sees them.
    svm.m
        .lockdep
        .might_sleep(cur, &format!("{why}({})", svm.name(p)));
    svm.with_wait(|g, wq| {
        if g.folios[p].locked.is_none() {
            return;
        }
        let (name, ghost) = (Arc::clone(&g.folios[p].name), g.folios[p].ghost);
        cur.event(|| Ev::Sleep {
            obj: format!("{why}: {name} locked").into(),
        });
        super::sched::cpu_idle_locked(svm, g, cur, true);
        svm.m.rec.set_blocked_on(
            cur.id,
            Some((WaitKind::Page, format!("{why}({name})"), Some(ghost))),
        );
        while g.folios[p].locked.is_some() {
            wq.wait(g);
        }
        svm.m.rec.set_blocked_on(cur.id, None);
        super::sched::cpu_idle_locked(svm, g, cur, false);
        cur.event(|| Ev::Woken);
    });
}

/// `folio_lock` (blocking; used on fresh destination pages and by
/// `zone_device_page_init`, where it is uncontended).
pub fn folio_lock(cur: &Arc<Task>, svm: &Svm, p: Pfn) {
    // include/linux/pagemap.h: folio_lock() { might_sleep(); if (!folio_trylock()) ... }
    svm.m
        .lockdep
        .might_sleep(cur, &format!("folio_lock({})", svm.name(p)));
    loop {
        if folio_trylock(cur, svm, p) {
            return;
        }
        folio_wait_unlocked(cur, svm, p, "folio_lock");
    }
}

// ------------------------------------------------------------------ lockdep classes

/// The split page-table lock (`pte_offset_map_lock`), a spinlock.
pub const PTLOCK: &str = "ptlock_ptr(ptdesc)";
/// `gpusvm->notifier_lock` (`struct rw_semaphore`, drm_gpusvm.c).
pub const NOTIFIER_LOCK: &str = "&gpusvm->notifier_lock";
/// AMD `prange->migrate_mutex` (`struct mutex`, kfd_svm.c).
pub const MIGRATE_MUTEX: &str = "&prange->migrate_mutex";
/// AMD `svms->lock` (`struct mutex`, kfd_svm.c `svm_range_list_init`: `mutex_init(&svms->lock)`).
pub const SVMS_LOCK: &str = "&svms->lock";

/// A model lock held together with its lockdep acquisition: `lock_release` runs before
/// the lock itself is dropped.
pub struct LockdepGuard<'a> {
    _g: crate::model::sync::MutexGuard<'a, ()>,
    ld: &'a Lockdep,
    cur: &'a Arc<Task>,
    class: &'static str,
}

impl Drop for LockdepGuard<'_> {
    fn drop(&mut self) {
        self.ld.release(self.cur, self.class);
    }
}

/// Take `lock` as lockdep class `class` (`lock_acquire` first, as the kernel's
/// `spin_lock` / `down_write` annotate before they wait).
pub fn lockdep_lock<'a>(
    cur: &'a Arc<Task>,
    svm: &'a Svm,
    lock: &'a Mutex<()>,
    class: &'static str,
    kind: LockKind,
) -> LockdepGuard<'a> {
    svm.m.lockdep.acquire(cur, class, kind);
    LockdepGuard {
        _g: lock.lock(),
        ld: &svm.m.lockdep,
        cur,
        class,
    }
}

/// `pte_offset_map_lock`: the PTL, a spinlock (atomic context while held).
pub fn pte_lock<'a>(cur: &'a Arc<Task>, svm: &'a Svm) -> LockdepGuard<'a> {
    lockdep_lock(cur, svm, &svm.ptl, PTLOCK, LockKind::Spin)
}

/// `down_write(&gpusvm->notifier_lock)` / `drm_gpusvm_notifier_lock` of device `dev`.
pub fn notifier_lock<'a>(cur: &'a Arc<Task>, svm: &'a Svm, dev: usize) -> LockdepGuard<'a> {
    lockdep_lock(
        cur,
        svm,
        &svm.notifier_lock[dev],
        NOTIFIER_LOCK,
        LockKind::Blocking { nest: false },
    )
}

/// `drm_gpusvm_init` (drm_gpusvm.c): `fs_reclaim_acquire(GFP_KERNEL);
/// might_lock(&gpusvm->notifier_lock); fs_reclaim_release(GFP_KERNEL);` — primes
/// fs_reclaim -> notifier_lock, so that an allocation that may reclaim while holding the
/// notifier lock is reported at once (the invalidation runs from reclaim).
pub fn drm_gpusvm_init(cur: &Arc<Task>, svm: &Svm) {
    let ld = &svm.m.lockdep;
    ld.enter_reclaim(cur);
    ld.acquire(cur, NOTIFIER_LOCK, LockKind::Blocking { nest: false });
    ld.release(cur, NOTIFIER_LOCK);
    ld.exit_reclaim(cur);
}

// ------------------------------------------------------------------------- the mm

/// `mmget_not_zero(mm)`: the modelled process never exits, so it always succeeds.
pub fn mmget_not_zero(cur: &Arc<Task>, svm: &Svm) -> bool {
    use std::sync::atomic::Ordering;
    let n = svm.mm_users.fetch_add(1, Ordering::SeqCst) + 1;
    cur.event(|| Ev::Note(format!("mmget_not_zero(mm) (mm_users {n})")));
    true
}

/// `mmput(mm)` / `mmput_async(mm)`.
pub fn mmput(cur: &Arc<Task>, svm: &Svm) {
    use std::sync::atomic::Ordering;
    let n = svm.mm_users.fetch_sub(1, Ordering::SeqCst) - 1;
    if n == 0 {
        svm.fail(
            Property::UseAfterFree,
            format!(
                "{} mmput(mm) drops the process's own mm reference: the mm_struct is freed under its user",
                cpu_name(cur.id)
            ),
        );
    }
    cur.event(|| Ev::Note(format!("mmput(mm) (mm_users {n})")));
}

// ------------------------------------------------------------ injection bookkeeping

/// The errnos injected into `cur` so far in this execution (what an expectation of
/// success must accept when the kernel propagates them).
pub fn injected_errnos(cur: &Task) -> Vec<i32> {
    cur.machine.rec.with(|r| {
        r.inject
            .injected
            .iter()
            .filter(|i| i.task == cur.id)
            .map(|i| i.errno)
            .collect()
    })
}

/// How many failures were injected into `cur` so far (a mark: errnos injected after it
/// are `injected_since(cur, mark)`).
pub fn injection_mark(cur: &Task) -> usize {
    injected_errnos(cur).len()
}

/// The errnos injected into `cur` since `mark`.
pub fn injected_since(cur: &Task, mark: usize) -> Vec<i32> {
    injected_errnos(cur).into_iter().skip(mark).collect()
}
