//! The SVM VRAM-manager designs of the late-August 2024 dri-devel thread on exhaustive
//! eviction and SVM (spec `svm_shrinker.md` §7, issue 15), as policies of one VRAM
//! manager ([`VramManager`]) behind one interface, the way `walker::designs` does it for
//! the shrinker designs:
//!
//! * `unified-lru` (mainline Xe, `xe_svm_alloc_vram`): SVM VRAM is a TTM BO with its own
//!   resv on the TTM LRU; TTM evicts it like any BO (`xe_bo_move` → `drm_pagemap_evict_to_ram`,
//!   best effort, -EBUSY while a page is live).
//! * `split-lru` (Sima, 29 Aug 2024): SVM pages are not BOs and ignore dma_resv; TTM
//!   eviction alternates fairly between evicting one BO (LRU walk, with the evictor's
//!   ticket) and throwing out one SVM allocation (best effort, no resv).
//! * `isolate-on-acquire` (the core-mm design, for both worlds): what is acquired is off
//!   the LRU. A BO locked by someone is invisible to evictors (no ticket contention is
//!   seen, so the walk is trylock-only), and a locked page is invisible to
//!   `migrate_device_pfns` (no collect reference is taken on it).
//! * `watermark-trylock` (Thomas, quoting Sima, 29 Aug 2024): split accounting; a GPU fault
//!   allocates one granule, shrinks VRAM with trylocks only and, if still short, stalls in
//!   the allocator holding no locks (bounded, then falls back to system memory). The
//!   broken sub-case (variant `svm-stall-holding-lock`) stalls holding the GPU SVM
//!   notifier lock, which every SVM eviction needs.
//! * `sigbus-on-failure` (the thread's suggestion): unified, but a CPU fault whose
//!   migration back to RAM fails because a foreign reference keeps the page gives up and
//!   the task gets SIGBUS (variant `svm-sigbus-on-failure`; without it the fault refaults
//!   as mainline does and only the would-be SIGBUSes are counted).
//! * `amd-migrate-mutex` (AMD KFD): unified, with the CPU fault path of AMD
//!   (`svm_migrate_to_ram`: svms.lock, then the range's migrate_mutex, fault page locked)
//!   and TTM eviction of SVM BOs under the same migrate_mutex (Xe's -EBUSY contract, not
//!   AMD's signal-anyway, which is finding `amd-evict-signal-live`).
//!
//! Simplified, and why it is safe for what is measured: one TTM device whose VRAM manager
//! accounts every VRAM page (BOs and, for the split designs, SVM allocations outside any
//! BO: their pages are charged to the manager's usage and credited back once their
//! allocation was released, lazily, as `xe_bo_put_async` does for BOs); one AMD
//! migrate_mutex for every range (the model's ranges never migrate under two mutexes).

use super::page::*;
use super::pagemap::{
    DevmemId, devmem_alloc, devmem_get_unless_zero, devmem_put, drm_pagemap_evict_to_ram,
};
use crate::model::lockdep::LockKind;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EBUSY, EDEADLK, ENOMEM, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::walker::evict::{ttm_bo_evict, ttm_bo_validate};
use crate::walker::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use crate::walker::{
    TTM_PL_VRAM, TtmBo, TtmDevice, dma_resv_locking_ctx, ttm_bo_handle_move_mem,
    ttm_resource_alloc, ttm_resource_free,
};
use std::sync::atomic::{AtomicU64 as StdU64, Ordering};

/// The six designs, in the order of the tables and plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvmDesign {
    UnifiedLru,
    SplitLru,
    IsolateOnAcquire,
    WatermarkTrylock,
    SigbusOnFailure,
    AmdMigrateMutex,
}

impl SvmDesign {
    pub const ALL: [SvmDesign; 6] = [
        SvmDesign::UnifiedLru,
        SvmDesign::SplitLru,
        SvmDesign::IsolateOnAcquire,
        SvmDesign::WatermarkTrylock,
        SvmDesign::SigbusOnFailure,
        SvmDesign::AmdMigrateMutex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SvmDesign::UnifiedLru => "unified-lru",
            SvmDesign::SplitLru => "split-lru",
            SvmDesign::IsolateOnAcquire => "isolate-on-acquire",
            SvmDesign::WatermarkTrylock => "watermark-trylock",
            SvmDesign::SigbusOnFailure => "sigbus-on-failure",
            SvmDesign::AmdMigrateMutex => "amd-migrate-mutex",
        }
    }

    pub fn from_name(n: &str) -> Option<SvmDesign> {
        SvmDesign::ALL.into_iter().find(|d| d.name() == n)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Where the design comes from.
    pub fn origin(self) -> &'static str {
        match self {
            SvmDesign::UnifiedLru => "mainline Xe: SVM VRAM backed by TTM BOs on the LRU",
            SvmDesign::SplitLru => "Sima 29 Aug 2024: split LRU, fair BO/SVM alternation",
            SvmDesign::IsolateOnAcquire => "core-mm style: acquired objects/pages leave the LRU",
            SvmDesign::WatermarkTrylock => {
                "Thomas/Sima 29 Aug 2024: watermarks + trylock shrinking for faults"
            }
            SvmDesign::SigbusOnFailure => "thread suggestion: give up, SIGBUS on a pinned page",
            SvmDesign::AmdMigrateMutex => "AMD KFD: per-range migrate_mutex",
        }
    }

    /// SVM VRAM outside TTM BOs (charged to the VRAM manager directly).
    pub fn split(self) -> bool {
        matches!(self, SvmDesign::SplitLru | SvmDesign::WatermarkTrylock)
    }

    /// The design's violating rule, as a Design variant (None: it has none).
    pub fn variant(self) -> Option<Variant> {
        match self {
            SvmDesign::SigbusOnFailure => Some(Variant::SvmSigbusOnFailure),
            _ => None,
        }
    }
}

/// Lockdep pseudo-lock "waiting for VRAM": taken (acquire + release) by an allocation
/// that stalls until VRAM is freed, and held by SVM eviction, which is what frees it. A
/// stall under a lock that eviction takes is then a cycle, as `fs_reclaim` makes one of
/// an allocation under a lock a shrinker takes.
pub const VRAM_STALL: &str = "vram_stall (waiting for SVM eviction)";

/// Polls of the watermark design's bounded allocator stall before the fault falls back
/// to system memory.
pub const STALL_POLLS: u32 = 8;

/// Per-execution ghost counters (in `SvmState`, so in the same steps as the events).
#[derive(Clone, Debug, Default)]
pub struct Meter {
    /// Pages migrated to VRAM / back to RAM (successful `folio_migrate_mapping`).
    pub to_vram: u64,
    pub to_ram: u64,
    /// Migrations to RAM of a page that this execution had migrated to VRAM (thrash).
    pub undone: u64,
    /// Page migrations that failed their reference check (`migrate_vma_check_page`,
    /// `folio_migrate_mapping`): a temporary reference was there.
    pub ref_failures: u64,
    /// Passes of `xe_svm_handle_pagefault`'s retry loop.
    pub gpu_fault_passes: u64,
    /// CPU faults whose migration failed on a foreign reference with the fault page still
    /// in VRAM (SIGBUS in design sigbus-on-failure, a refault elsewhere).
    pub sigbus: u64,
    /// Allocator stalls (design watermark-trylock) and stalls that ran out.
    pub stalls: u64,
    pub stall_fallbacks: u64,
    in_vram: Vec<bool>,
}

impl Meter {
    /// A page migration committed: to device memory or to RAM, for virtual page `va`.
    pub fn migrated(&mut self, va: Option<Va>, to_device: bool) {
        if to_device {
            self.to_vram += 1;
        } else {
            self.to_ram += 1;
        }
        let Some(va) = va else { return };
        if self.in_vram.len() <= va {
            self.in_vram.resize(va + 1, false);
        }
        if to_device {
            self.in_vram[va] = true;
        } else if self.in_vram[va] {
            self.undone += 1;
        }
    }
}

/// Totals over executions, per design (filled by the design scenarios, read by
/// `benches/svm_designs.rs`).
#[derive(Default)]
pub struct SvmMeasure {
    pub executions: StdU64,
    /// Executions in which the oldest ticket's BO got all of VRAM.
    pub oldest_ok: StdU64,
    pub to_vram: StdU64,
    pub to_ram: StdU64,
    pub undone: StdU64,
    pub ref_failures: StdU64,
    pub gpu_faults: StdU64,
    pub gpu_fault_passes: StdU64,
    pub sigbus: StdU64,
    pub stalls: StdU64,
    pub stall_fallbacks: StdU64,
    /// Model steps (events of all CPUs) of the executions.
    pub steps: StdU64,
    /// VRAM pages reclaimed: device pages migrated to RAM plus non-SVM BO pages evicted.
    pub reclaimed: StdU64,
    /// Wall time of the oldest ticket's validate and of the GPU faults, in ns (the
    /// real-thread build: lock waits included).
    pub validate_ns: StdU64,
    pub fault_ns: StdU64,
    /// Real threads: wall time every CPU spent blocked on a lock (mutex, ww_mutex /
    /// dma_resv, registered page locks), in ns (`model::trace::LockWait`).
    pub lock_wait_ns: StdU64,
}

impl SvmMeasure {
    fn all(&self) -> [&StdU64; 16] {
        [
            &self.executions,
            &self.oldest_ok,
            &self.to_vram,
            &self.to_ram,
            &self.undone,
            &self.ref_failures,
            &self.gpu_faults,
            &self.gpu_fault_passes,
            &self.sigbus,
            &self.stalls,
            &self.stall_fallbacks,
            &self.steps,
            &self.reclaimed,
            &self.validate_ns,
            &self.fault_ns,
            &self.lock_wait_ns,
        ]
    }
    pub fn reset(&self) {
        for a in self.all() {
            a.store(0, Ordering::Relaxed);
        }
    }
    pub fn get(a: &StdU64) -> u64 {
        a.load(Ordering::Relaxed)
    }
    pub fn add(a: &StdU64, v: u64) {
        a.fetch_add(v, Ordering::Relaxed);
    }
}

#[allow(clippy::declare_interior_mutable_const)]
const SVM_MEASURE_INIT: SvmMeasure = SvmMeasure {
    executions: StdU64::new(0),
    oldest_ok: StdU64::new(0),
    to_vram: StdU64::new(0),
    to_ram: StdU64::new(0),
    undone: StdU64::new(0),
    ref_failures: StdU64::new(0),
    gpu_faults: StdU64::new(0),
    gpu_fault_passes: StdU64::new(0),
    sigbus: StdU64::new(0),
    stalls: StdU64::new(0),
    stall_fallbacks: StdU64::new(0),
    steps: StdU64::new(0),
    reclaimed: StdU64::new(0),
    validate_ns: StdU64::new(0),
    fault_ns: StdU64::new(0),
    lock_wait_ns: StdU64::new(0),
};

pub static SVM_MEASURE: [SvmMeasure; 6] = [SVM_MEASURE_INIT; 6];

/// An SVM allocation outside TTM (split designs): its pages and whether its release was
/// credited back to the VRAM manager.
struct SplitAlloc {
    d: DevmemId,
    pages: u64,
    credited: bool,
}

/// The VRAM manager of one execution: the design's policies behind one interface.
pub struct VramManager {
    pub design: SvmDesign,
    pub dev: Arc<TtmDevice>,
    /// Split designs: SVM allocations in LRU order (oldest first).
    split: std::sync::Mutex<Vec<SplitAlloc>>,
    /// Fair alternation: the next eviction throws out SVM pages (else a BO).
    svm_turn: std::sync::atomic::AtomicBool,
    /// Released allocations whose device pages are not back in the allocator yet.
    pending: std::sync::Mutex<Vec<DevmemId>>,
    /// Split allocations a [`VramManager::evict_svm_one`] is evicting (their pages stay
    /// out of the allocator until it has checked the result).
    evicting: std::sync::Mutex<Vec<DevmemId>>,
}

fn note(cur: &Arc<Task>, s: String) {
    cur.event(|| Ev::Note(s));
}

impl VramManager {
    /// The manager of `svm` (which must have TTM backing), installed as its design hook;
    /// the AMD design also replaces the TTM move hook of SVM BOs.
    pub fn install(svm: &Arc<Svm>, design: SvmDesign) -> Arc<VramManager> {
        let t = svm.ttm.as_ref().expect("svm designs need TTM backing");
        let m = Arc::new(VramManager {
            design,
            dev: Arc::clone(&t.dev),
            split: Default::default(),
            svm_turn: Default::default(),
            pending: Default::default(),
            evicting: Default::default(),
        });
        if svm.design.set(Arc::clone(&m)).is_err() {
            panic!("svm design installed twice");
        }
        if design == SvmDesign::AmdMigrateMutex {
            let weak = Arc::downgrade(svm);
            let hook: crate::walker::bo::MoveHook = Arc::new(move |cur, bo| {
                let svm = weak.upgrade()?;
                let d = svm.ttm.as_ref()?.devmem_of(bo.id)?;
                // TTM eviction of an SVM BO under the range's migrate_mutex.
                let g = super::ttm_backing::migrate_mutex_lock(cur, &svm);
                let r = super::ttm_backing::xe_svm_bo_evict(cur, &svm, d);
                super::ttm_backing::migrate_mutex_unlock(cur, &svm, g);
                Some(r)
            });
            *t.dev.move_hook.lock().unwrap_or_else(|e| e.into_inner()) = Some(hook);
        }
        m
    }

    fn stall_holding_lock(&self, svm: &Svm) -> bool {
        self.design == SvmDesign::WatermarkTrylock && svm.variant(Variant::SvmStallHoldingLock)
    }

    // ------------------------------------------------------------ VRAM accounting

    /// Charge `n` pages to the VRAM manager outside any BO (split designs).
    fn charge(&self, cur: &Arc<Task>, n: u64) -> bool {
        self.dev.lru(cur, |lru| {
            let m = &mut lru.man[TTM_PL_VRAM];
            let cap = m.capacity.unwrap_or(u64::MAX);
            if m.usage + n <= cap {
                m.usage += n;
                m.external += n;
                true
            } else {
                false
            }
        })
    }

    /// `devmem_release` of `d` (inside a step): its pages go back to the allocator at the
    /// next [`VramManager::settle`] that finds its VRAM free. The model's `return_vram`
    /// at release would let another allocation re-initialise the pages while the
    /// evictor still checks them (its check reads the pfns where the kernel reads the
    /// allocation's `detached` completion), and Xe's VRAM is only free once TTM freed
    /// the BO's resource.
    pub fn defer_return(&self, d: DevmemId) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(d);
    }

    /// Return the pages of released allocations whose VRAM is free, and credit back the
    /// pages of split allocations that were returned.
    pub fn settle(&self, cur: &Arc<Task>, svm: &Svm) {
        let ready: Vec<DevmemId> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            let ev = self.evicting.lock().unwrap_or_else(|e| e.into_inner());
            let t = svm.ttm.as_ref().expect("TTM backing");
            let (ready, keep): (Vec<DevmemId>, Vec<DevmemId>) =
                p.iter().partition(|&&d| match t.bo_of(d) {
                    Some(bo) => bo
                        .f()
                        .resource
                        .is_none_or(|r| self.dev.res_mem(r) != TTM_PL_VRAM),
                    None => !ev.contains(&d),
                });
            *p = keep;
            ready
        };
        if !ready.is_empty() {
            svm.with(|s| {
                for d in ready {
                    super::pagemap::return_vram(s, d);
                }
            });
        }
        // Never hold a std mutex across a model step (shuttle would hang on it).
        let open: Vec<DevmemId> = {
            let g = self.split.lock().unwrap_or_else(|e| e.into_inner());
            g.iter().filter(|a| !a.credited).map(|a| a.d).collect()
        };
        let returned: Vec<DevmemId> = if open.is_empty() {
            Vec::new()
        } else {
            svm.with(|s| {
                open.into_iter()
                    .filter(|&d| s.devmems[d].returned)
                    .collect()
            })
        };
        let done: u64 = {
            let mut g = self.split.lock().unwrap_or_else(|e| e.into_inner());
            let mut n = 0;
            for a in g
                .iter_mut()
                .filter(|a| !a.credited && returned.contains(&a.d))
            {
                a.credited = true;
                n += a.pages;
            }
            n
        };
        if done > 0 {
            self.dev.lru(cur, |lru| {
                lru.man[TTM_PL_VRAM].usage -= done;
                lru.man[TTM_PL_VRAM].external -= done;
            });
        }
    }

    /// A split SVM allocation (already charged) of `npages` at `start`.
    fn split_devmem(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        dev: usize,
        start: Va,
        npages: usize,
    ) -> Result<DevmemId, i32> {
        match devmem_alloc(svm, dev, start, npages) {
            Ok(d) => {
                self.split
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(SplitAlloc {
                        d,
                        pages: npages as u64,
                        credited: false,
                    });
                Ok(d)
            }
            Err(e) => {
                self.dev.lru(cur, |lru| {
                    lru.man[TTM_PL_VRAM].usage -= npages as u64;
                    lru.man[TTM_PL_VRAM].external -= npages as u64;
                });
                Err(e)
            }
        }
    }

    /// Set-up: a split SVM allocation of `npages` at `start` (charged; the scenario then
    /// fills it with `setup_device_range`).
    pub fn setup_split(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        start: Va,
        npages: usize,
    ) -> Option<DevmemId> {
        if !self.charge(cur, npages as u64) {
            return None;
        }
        self.split_devmem(cur, svm, 0, start, npages).ok()
    }

    // ------------------------------------------------------------ eviction

    /// Throw out the oldest live split SVM allocation (best effort: `drm_pagemap_evict_to_ram`
    /// with no resv). True if it was freed.
    fn evict_svm_one(&self, cur: &Arc<Task>, svm: &Svm, skip: &mut Vec<DevmemId>) -> bool {
        self.settle(cur, svm);
        let pick = {
            let g = self.split.lock().unwrap_or_else(|e| e.into_inner());
            g.iter()
                .find(|a| !a.credited && !skip.contains(&a.d))
                .map(|a| a.d)
        };
        let Some(d) = pick else { return false };
        skip.push(d);
        if !devmem_get_unless_zero(cur, svm, d) {
            return false;
        }
        note(
            cur,
            format!(
                "{}: evict SVM devmem{d} (split LRU, best effort)",
                cpu_name(cur.id)
            ),
        );
        let ld = &svm.m.lockdep;
        self.evicting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(d);
        ld.acquire(cur, VRAM_STALL, LockKind::Blocking { nest: false });
        let r = drm_pagemap_evict_to_ram(cur, svm, d);
        ld.release(cur, VRAM_STALL);
        devmem_put(cur, svm, d);
        {
            let mut ev = self.evicting.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = ev.iter().position(|x| *x == d) {
                ev.remove(i);
            }
        }
        self.settle(cur, svm);
        r == 0
    }

    /// Evict one BO from VRAM through the LRU walk (the BO's resv locked by the walk: with
    /// `ticket`, blocking ww locks; else trylock). True if a BO was evicted; Err for a
    /// ww back-off (-EDEADLK) or another walk error.
    fn evict_bo_one(
        &self,
        cur: &Arc<Task>,
        ticket: Option<Arc<crate::ww::WwAcquireCtx>>,
    ) -> Result<bool, i32> {
        let ctx = OpCtx::default();
        let arg = WalkArg {
            ctx: ctx.clone(),
            trylock_only: ticket.is_none(),
            ticket,
        };
        let dev = &self.dev;
        let l = ttm_lru_walk_for_evict(cur, dev, TTM_PL_VRAM, arg, 1, |_, bo| {
            if bo.f().pin_count > 0 {
                return 0;
            }
            match ttm_bo_evict(cur, dev, bo, Some(TTM_PL_VRAM), &ctx) {
                0 => 1,
                e if e == -EBUSY => 0,
                e => e as i64,
            }
        });
        if l < 0 { Err(l as i32) } else { Ok(l > 0) }
    }

    /// Make room for `n` pages by fair alternation between a BO and SVM pages (split
    /// designs), until `fits` holds or a whole round (one BO, every SVM allocation) freed
    /// nothing.
    fn split_make_room(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        ticket: Option<Arc<crate::ww::WwAcquireCtx>>,
        mut fits: impl FnMut(&Arc<Task>) -> bool,
    ) -> Result<(), i32> {
        let mut idle = 0;
        let mut skip = Vec::new();
        loop {
            self.settle(cur, svm);
            if fits(cur) {
                return Ok(());
            }
            let svm_turn = self.svm_turn.fetch_xor(true, Ordering::Relaxed);
            let progress = if svm_turn {
                self.evict_svm_one(cur, svm, &mut skip)
            } else {
                self.evict_bo_one(cur, ticket.clone())?
            };
            if progress {
                idle = 0;
                skip.clear();
            } else {
                idle += 1;
                // Both sides (and every SVM allocation) tried without a page freed.
                let svm_left = {
                    let g = self.split.lock().unwrap_or_else(|e| e.into_inner());
                    g.iter().any(|a| !a.credited && !skip.contains(&a.d))
                };
                if idle >= 2 && !svm_left {
                    return Err(-ENOMEM);
                }
            }
            crate::model::sync::yield_now();
        }
    }

    // ------------------------------------------------------------ the interface

    /// The GPU fault's VRAM allocation (`xe_drm_pagemap_populate_mm`'s
    /// `xe_bo_create_locked`): returns the allocation and whether a resv was taken (to be
    /// released with `xe_bo_unlock` after the migration).
    pub fn alloc_for_fault(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        dev: usize,
        start: Va,
        npages: usize,
    ) -> Result<(DevmemId, bool), i32> {
        let t = svm.ttm.as_ref().expect("TTM backing");
        match self.design {
            SvmDesign::UnifiedLru
            | SvmDesign::IsolateOnAcquire
            | SvmDesign::SigbusOnFailure
            | SvmDesign::AmdMigrateMutex => {
                self.settle(cur, svm);
                t.xe_bo_create_locked(cur, svm, dev, start, npages)
            }
            SvmDesign::SplitLru => {
                let n = npages as u64;
                self.split_make_room(cur, svm, None, |c| self.charge(c, n))?;
                Ok((self.split_devmem(cur, svm, dev, start, npages)?, false))
            }
            SvmDesign::WatermarkTrylock => {
                let n = npages as u64;
                // Trylock shrinking: BOs by trylock, SVM pages best effort.
                if self
                    .split_make_room(cur, svm, None, |c| self.charge(c, n))
                    .is_ok()
                {
                    return Ok((self.split_devmem(cur, svm, dev, start, npages)?, false));
                }
                // Stall in the allocator (bounded), holding no locks — or, broken, the
                // notifier lock.
                svm.with(|s| s.meter.stalls += 1);
                let held = self
                    .stall_holding_lock(svm)
                    .then(|| notifier_lock(cur, svm, dev));
                if held.is_some() {
                    note(
                        cur,
                        format!(
                            "{}: VRAM allocation stalls holding gpu{dev}'s notifier_lock (variant svm-stall-holding-lock)",
                            cpu_name(cur.id)
                        ),
                    );
                }
                let ld = &svm.m.lockdep;
                for _ in 0..STALL_POLLS {
                    ld.acquire(cur, VRAM_STALL, LockKind::Blocking { nest: false });
                    ld.release(cur, VRAM_STALL);
                    crate::model::sync::yield_now();
                    self.settle(cur, svm);
                    if self.charge(cur, n) {
                        drop(held);
                        return Ok((self.split_devmem(cur, svm, dev, start, npages)?, false));
                    }
                }
                drop(held);
                svm.with(|s| s.meter.stall_fallbacks += 1);
                Err(-ENOMEM)
            }
        }
    }

    /// A BO submission's `ttm_bo_validate` into VRAM (resv held, with the submission's
    /// ticket).
    pub fn bo_validate(&self, cur: &Arc<Task>, svm: &Svm, bo: &Arc<TtmBo>) -> i32 {
        let dev = &self.dev;
        let ctx = OpCtx::default();
        match self.design {
            SvmDesign::UnifiedLru | SvmDesign::SigbusOnFailure | SvmDesign::AmdMigrateMutex => {
                ttm_bo_validate(cur, dev, bo, TTM_PL_VRAM, &ctx)
            }
            SvmDesign::IsolateOnAcquire => {
                // Locked BOs are off the LRU: only what a trylock gets is seen.
                let r = match ttm_resource_alloc(cur, dev, bo, TTM_PL_VRAM) {
                    Ok(r) => Ok(r),
                    Err(_) => crate::walker::evict::ttm_bo_evict_alloc(
                        cur,
                        dev,
                        TTM_PL_VRAM,
                        bo,
                        &ctx,
                        None,
                    ),
                };
                self.place(cur, bo, r)
            }
            SvmDesign::SplitLru | SvmDesign::WatermarkTrylock => {
                let ticket = dma_resv_locking_ctx(bo.resv());
                let mut res = None;
                let r = self.split_make_room(cur, svm, ticket, |c| {
                    match ttm_resource_alloc(c, dev, bo, TTM_PL_VRAM) {
                        Ok(r) => {
                            res = Some(r);
                            true
                        }
                        Err(_) => false,
                    }
                });
                match r {
                    Ok(()) => self.place(cur, bo, Ok(res.expect("allocated"))),
                    Err(e) => self.place(cur, bo, Err(e)),
                }
            }
        }
    }

    fn place(&self, cur: &Arc<Task>, bo: &Arc<TtmBo>, r: Result<crate::walker::ResId, i32>) -> i32 {
        match r {
            Ok(res) => {
                let ret = ttm_bo_handle_move_mem(cur, &self.dev, bo, res);
                if ret != 0 {
                    ttm_resource_free(cur, &self.dev, bo, res);
                }
                ret
            }
            Err(e) if e == -EDEADLK => e,
            Err(_) => -ENOMEM,
        }
    }

    /// The end of `migrate_to_ram` (`do_swap_page`, fault page locked): if the fault page
    /// is still in VRAM and a reference check failed meanwhile, count it; the
    /// sigbus-on-failure design (variant on) gives up with `VM_FAULT_SIGBUS`.
    pub fn after_migrate_to_ram(
        &self,
        cur: &Arc<Task>,
        svm: &Svm,
        va: Va,
        p: Pfn,
        ref_failures_before: u64,
        r: i32,
    ) -> i32 {
        if r != 0 {
            return r;
        }
        let stuck = svm.with(|s| {
            let stuck = s.ptes[va] == Pte::Device(p) && s.meter.ref_failures > ref_failures_before;
            s.meter.sigbus += u64::from(stuck);
            stuck
        });
        if stuck
            && self.design == SvmDesign::SigbusOnFailure
            && svm.variant(Variant::SvmSigbusOnFailure)
        {
            note(
                cur,
                format!(
                    "{}: migrate_to_ram(va{va}) failed on a foreign reference: give up, VM_FAULT_SIGBUS (design sigbus-on-failure)",
                    cpu_name(cur.id)
                ),
            );
            return super::VM_FAULT_SIGBUS;
        }
        r
    }
}

/// A GUP-like pin (or speculative pfn-walker reference) on the page mapped at `va`, held
/// for `hold` scheduling points, then dropped.
pub fn pin_briefly(cur: &Arc<Task>, svm: &Svm, va: Va, hold: usize) {
    let p = svm.with(|s| match s.ptes[va] {
        Pte::Present(p) | Pte::Device(p) => Some(p),
        _ => None,
    });
    let Some(p) = p else { return };
    if !folio_try_get(cur, svm, p, RefKind::Pin) {
        return;
    }
    for _ in 0..hold {
        crate::model::sync::yield_now();
    }
    folio_put(cur, svm, p, RefKind::Pin);
}
