//! The 2024 shrinker-API debate (spec `ttm_lru.md` §8.3), as four interchangeable ways for
//! a driver shrinker to walk its BOs, all freeing through the same `ttm_bo_shrink` and page
//! ledger so every existing check applies unchanged:
//!
//! * [`ShrinkDesign::CallbackWalker`]: `ttm_lru_walk_for_evict` with a `process_bo` op (the
//!   "midlayer" Christian objected to); `-EBUSY` from the op is a skip.
//! * [`ShrinkDesign::GuardedIterator`]: mainline, `ttm_bo_lru_for_each_reserved_guarded`
//!   with the Xe driver-side loop (skip unsuitable, a negative result ends the pass).
//! * [`ShrinkDesign::NextCandidate`]: a TTM function that returns the next candidate (take
//!   `lru_lock`, first BO from the head of SYSTEM then TT whose resv trylocks, whose ref can
//!   be taken, with a populated tt and unpinned; drop `lru_lock`), one BO per
//!   `scan_objects` call; `count_objects` counts BOs (objects), as argued for fairness.
//!   **Assumptions** (the proposal was never written): the candidate function keeps no
//!   state between calls (every call starts at the head), it does not know the reclaim
//!   context (so it cannot tell a busy BO from an idle one: the GPU-idle test of
//!   `ttm_bo_shrink_suitable` under `no_wait_gpu` stays with the driver), and a driver that
//!   cannot shrink the candidate does not bump it (there is no such call in the proposal).
//! * [`ShrinkDesign::GemLruScan`]: `drm_gem_lru_scan` (svm_shrinker.md §8.5) over a
//!   `drm_gem_lru` holding the same TTM BOs: under the GEM LRU lock move the head object to
//!   an on-stack `still_in_lru` list, `kref_get_unless_zero`, drop the lock, trylock,
//!   shrink, unlock, put, relock; splice the survivors back to the tail. The lock is
//!   `dev->gem_lru_mutex` as in the baseline (379e8f1ca5e9, v7.1); the older
//!   `lru->lock` reached through `obj->lru`, with its release race, is variant
//!   [`Variant::GemLruReleaseRace`].
//!
//! Design-level checks for the designs without a resource cursor (the cursor designs keep
//! P3/P4 from `lru.rs`): the next-candidate API's bounded revisits per `do_shrink_slab`
//! invocation (`walk-progress`, same allowance as P4: resources present at the first call
//! plus those bumped or inserted by other CPUs since) and, for `drm_gem_lru_scan`, P3 (a
//! scan that emptied the list visited every object that was on it at the start and never
//! left it) and P4 over the GEM list. P5 (`bo-processed-twice`) brackets every design's
//! shrink of a BO.
//!
//! Measurement counters (std atomics, no scheduling point): `TtmDevice::lru_acquisitions`
//! and `resv_attempts`, and the GEM LRU's lock sections here.

use super::bo::*;
use super::iter::{
    OpCtx, WalkArg, begin_processing, end_processing, for_each_reserved_guarded,
    ttm_lru_walk_for_evict,
};
use super::lru::{Item, ListId};
use super::shrink::{
    SHRINK_BATCH, SHRINK_EMPTY, SHRINK_STOP, ShrinkControl, ShrinkFlags, Shrinker, ttm_bo_shrink,
    ttm_bo_shrink_suitable,
};
use super::{MemType, TTM_MAX_BO_PRIORITY, TTM_PL_SYSTEM, TTM_PL_TT};
use crate::model::property::Property;
use crate::model::sync::atomic::AtomicU64;
use crate::model::sync::{Arc, Mutex, yield_now};
use crate::model::task::Task;
use crate::model::trace::{EBUSY, Ev, cpu_name};
use crate::model::variants::Variant;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64 as StdU64, Ordering};

/// The four shrinker designs of the 2024 debate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShrinkDesign {
    CallbackWalker,
    GuardedIterator,
    NextCandidate,
    GemLruScan,
}

impl ShrinkDesign {
    pub const ALL: [ShrinkDesign; 4] = [
        ShrinkDesign::CallbackWalker,
        ShrinkDesign::GuardedIterator,
        ShrinkDesign::NextCandidate,
        ShrinkDesign::GemLruScan,
    ];

    /// Scenario-name spelling.
    pub fn name(self) -> &'static str {
        match self {
            ShrinkDesign::CallbackWalker => "callback-walker",
            ShrinkDesign::GuardedIterator => "guarded-iterator",
            ShrinkDesign::NextCandidate => "next-candidate",
            ShrinkDesign::GemLruScan => "gem-lru-scan",
        }
    }

    /// The kernel code (or proposal) the design models.
    pub fn kernel(self) -> &'static str {
        match self {
            ShrinkDesign::CallbackWalker => {
                "ttm_lru_walk_for_evict + ops->process_bo (da966b82bf3d)"
            }
            ShrinkDesign::GuardedIterator => {
                "ttm_bo_lru_for_each_reserved_guarded + Xe loop (f3bcfd04a52f, mainline)"
            }
            ShrinkDesign::NextCandidate => "next-candidate API, one BO per scan (2024 proposal)",
            ShrinkDesign::GemLruScan => "drm_gem_lru_scan (e7c2af13f811)",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_name(s: &str) -> Option<ShrinkDesign> {
        Self::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// Per-design measurement totals, filled by the measurement scenarios
/// (`scenario::designs::measure`) and read by `benches/designs.rs`.
#[derive(Default)]
pub struct Measure {
    pub executions: StdU64,
    pub freed_pages: StdU64,
    /// `lru_lock` sections (TTM's, plus the GEM LRU lock for `drm_gem_lru_scan`).
    pub lock_sections: StdU64,
    /// Model steps counted: lock sections plus `dma_resv` lock/trylock attempts.
    pub steps: StdU64,
    pub scan_calls: StdU64,
}

impl Measure {
    pub fn reset(&self) {
        for a in [
            &self.executions,
            &self.freed_pages,
            &self.lock_sections,
            &self.steps,
            &self.scan_calls,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
    pub fn get(a: &StdU64) -> u64 {
        a.load(Ordering::Relaxed)
    }
}

#[allow(clippy::declare_interior_mutable_const)]
const MEASURE_INIT: Measure = Measure {
    executions: StdU64::new(0),
    freed_pages: StdU64::new(0),
    lock_sections: StdU64::new(0),
    steps: StdU64::new(0),
    scan_calls: StdU64::new(0),
};
pub static MEASURE: [Measure; 4] = [MEASURE_INIT; 4];

// ------------------------------------------------------------------- drm_gem_lru

const GEM_MAIN: usize = 0;
const GEM_SHRUNK: usize = 1;

/// The lists of a `drm_gem_lru` (main, the driver's "shrunk" LRU, and every scan's
/// on-stack `still_in_lru`), protected by the GEM LRU lock.
struct GemLists {
    lists: Vec<Vec<Arc<TtmBo>>>,
    /// Per BO id: times it left the main list (P3's "never left").
    removals: Vec<u64>,
    /// Per task: objects put on the main list (splices, adds) — P4's churn.
    added_by: Vec<u64>,
}

/// `struct drm_gem_lru` plus the objects' `obj->lru` pointers.
pub struct GemLru {
    /// `dev->gem_lru_mutex` (379e8f1ca5e9; `lru->lock` before it, the same mutex for
    /// every list of the model's one driver, as msm's device-wide `priv->lru.lock`).
    lock: Mutex<GemLists>,
    /// `obj->lru` by BO id (written under the lock, read racily by `drm_gem_lru_remove`).
    obj_lru: std::sync::Mutex<Vec<Option<usize>>>,
    /// Whether each list's memory is live (a returned scan's `still_in_lru` is not).
    alive: std::sync::Mutex<Vec<bool>>,
    pub sections: StdU64,
}

fn bump(v: &mut Vec<u64>, i: usize, n: u64) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += n;
}

impl GemLru {
    /// A GEM LRU holding `bos` in order (setup; `drm_gem_lru_move_tail` each).
    pub fn new(bos: &[Arc<TtmBo>]) -> GemLru {
        let n = bos.iter().map(|b| b.id + 1).max().unwrap_or(0);
        let mut obj_lru = vec![None; n];
        for b in bos {
            obj_lru[b.id] = Some(GEM_MAIN);
        }
        GemLru {
            lock: Mutex::new(GemLists {
                lists: vec![bos.to_vec(), Vec::new()],
                removals: vec![0; n],
                added_by: Vec::new(),
            }),
            obj_lru: std::sync::Mutex::new(obj_lru),
            alive: std::sync::Mutex::new(vec![true, true]),
            sections: StdU64::new(0),
        }
    }

    fn set_lru(&self, bo: &TtmBo, l: Option<usize>) {
        self.obj_lru.lock().unwrap_or_else(|e| e.into_inner())[bo.id] = l;
    }

    fn obj_lru(&self, bo: &TtmBo) -> Option<usize> {
        self.obj_lru.lock().unwrap_or_else(|e| e.into_inner())[bo.id]
    }

    fn is_alive(&self, l: usize) -> bool {
        self.alive.lock().unwrap_or_else(|e| e.into_inner())[l]
    }

    /// `drm_gem_lru_remove_locked`: re-reads `obj->lru` under the lock.
    fn remove_locked(&self, g: &mut GemLists, bo: &TtmBo) {
        if let Some(l) = self.obj_lru(bo) {
            g.lists[l].retain(|b| b.id != bo.id);
            if l == GEM_MAIN {
                g.removals[bo.id] += 1;
            }
            self.set_lru(bo, None);
        }
    }

    /// `drm_gem_lru_move_tail(lru, obj)` (takes the lock).
    fn move_tail(&self, bo: &Arc<TtmBo>, to: usize) {
        let mut g = self.lock.lock();
        self.sections.fetch_add(1, Ordering::Relaxed);
        self.remove_locked(&mut g, bo);
        g.lists[to].push(Arc::clone(bo));
        self.set_lru(bo, Some(to));
    }

    /// `drm_gem_lru_remove(obj)` from `drm_gem_object_release` (drm_gem.c).
    ///
    /// Baseline (379e8f1ca5e9 "drm/gem: Make the GEM LRU lock part of drm_device", v7.1,
    /// 7.0.11): `mutex_lock(&obj->dev->gem_lru_mutex); if (obj->lru)
    /// drm_gem_lru_remove_locked(obj);` — the lock no longer lives in the list, so
    /// `obj->lru` is only read under it, after any scan has pointed it back at the real
    /// LRU. Variant `gem-lru-release-race` (e7c2af13f811 .. 379e8f1ca5e9): `lru =
    /// obj->lru` without the lock, then `mutex_lock(lru->lock)` — a dereference of a
    /// scan's on-stack `still_in_lru` if that scan returned in between.
    pub fn remove(&self, cur: &Task, dev: &TtmDevice, bo: &TtmBo) {
        if dev.m.variant(Variant::GemLruReleaseRace) {
            let Some(l) = self.obj_lru(bo) else {
                return;
            };
            yield_now(); // between the read of obj->lru and the dereference of lru->lock
            if !self.is_alive(l) {
                dev.fail(
                    Property::UseAfterFree,
                    format!(
                        "{} drm_gem_object_release({}) -> drm_gem_lru_remove reads lru->lock from a drm_gem_lru_scan's on-stack still_in_lru after that scan returned",
                        cpu_name(cur.id),
                        bo.name
                    ),
                );
            }
        }
        let mut g = self.lock.lock();
        self.sections.fetch_add(1, Ordering::Relaxed);
        self.remove_locked(&mut g, bo);
    }

    /// `drm_gem_object_put`: the last put releases the GEM object (LRU removal), then
    /// the TTM BO.
    pub fn put(&self, cur: &Arc<Task>, dev: &TtmDevice, bo: &Arc<TtmBo>) {
        if bo.kref.put(&dev.m.rec) {
            // drm_gem_object_free -> driver free_object -> drm_gem_object_release: other
            // CPUs run between the refcount reaching 0 and the LRU removal.
            yield_now();
            self.remove(cur, dev, bo);
            ttm_bo_release(cur, dev, bo);
        }
    }

    /// `drm_gem_lru_scan(lru, nr_to_scan, &remaining, shrink)`: returns pages freed.
    fn scan(
        &self,
        cur: &Arc<Task>,
        dev: &TtmDevice,
        nr_to_scan: u64,
        remaining: &mut u64,
        checks: bool,
        mut shrink: impl FnMut(&Arc<TtmBo>) -> bool,
    ) -> u64 {
        let mut freed = 0u64;
        let mut g = self.lock.lock();
        self.sections.fetch_add(1, Ordering::Relaxed);
        // drm_gem_lru_init(&still_in_lru, lru->lock): a new on-stack list.
        let still = g.lists.len();
        g.lists.push(Vec::new());
        self.alive
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(true);
        let snapshot: Vec<(usize, u64, Arc<str>)> = g.lists[GEM_MAIN]
            .iter()
            .map(|b| (b.id, g.removals[b.id], Arc::clone(&b.name)))
            .collect();
        let churn0: u64 = g
            .added_by
            .iter()
            .enumerate()
            .filter(|(t, _)| *t != cur.id as usize)
            .map(|(_, n)| n)
            .sum();
        let mut visited: Vec<usize> = Vec::new();
        let mut yields = 0u64;
        let mut emptied = false;
        while freed < nr_to_scan {
            let Some(obj) = g.lists[GEM_MAIN].first().cloned() else {
                emptied = true;
                break;
            };
            // drm_gem_lru_move_tail_locked(&still_in_lru, obj)
            self.remove_locked(&mut g, &obj);
            g.lists[still].push(Arc::clone(&obj));
            self.set_lru(&obj, Some(still));
            yields += 1;
            if !visited.contains(&obj.id) {
                visited.push(obj.id);
            }
            if checks {
                let churn: u64 = g
                    .added_by
                    .iter()
                    .enumerate()
                    .filter(|(t, _)| *t != cur.id as usize)
                    .map(|(_, n)| n)
                    .sum::<u64>()
                    - churn0;
                let allowance = snapshot.len() as u64 + churn;
                if yields > allowance {
                    drop(g);
                    dev.fail(
                        Property::WalkProgress,
                        format!(
                            "{} drm_gem_lru_scan took {} objects off the LRU head but only {allowance} were on it or spliced back by other CPUs: {} is revisited without bound",
                            cpu_name(cur.id),
                            yields,
                            obj.name
                        ),
                    );
                }
            }
            // "If it's in the process of being freed, gem_object->free() may be blocked
            // on lock waiting to remove it. So just skip it." It stays on still_in_lru;
            // since 379e8f1ca5e9 its drm_gem_lru_remove waits for the device lock and
            // finds it back on the LRU after the splice.
            if !obj.kref.get_unless_zero() {
                continue;
            }
            drop(g);
            if dma_resv_trylock(cur, dev, &obj) {
                begin_processing(cur, dev, &obj);
                let ok = shrink(&obj);
                end_processing(&obj);
                if ok {
                    freed += obj.pages;
                    // The callback moved the object off this LRU (msm: to another LRU).
                    self.move_tail(&obj, GEM_SHRUNK);
                }
                dma_resv_unlock(cur, dev, &obj);
            } else {
                *remaining += obj.pages;
            }
            self.put(cur, dev, &obj);
            g = self.lock.lock();
            self.sections.fetch_add(1, Ordering::Relaxed);
        }
        // Splice the survivors back to the tail of the LRU.
        let survivors = std::mem::take(&mut g.lists[still]);
        for b in &survivors {
            self.set_lru(b, Some(GEM_MAIN));
        }
        bump(&mut g.added_by, cur.id as usize, survivors.len() as u64);
        g.lists[GEM_MAIN].extend(survivors);
        if checks && emptied {
            for (id, removals, name) in &snapshot {
                if g.removals[*id] == *removals && !visited.contains(id) {
                    drop(g);
                    dev.fail(
                        Property::WalkSkip,
                        format!(
                            "{} drm_gem_lru_scan emptied the LRU without visiting {name}, which was on it at the start and never left it",
                            cpu_name(cur.id)
                        ),
                    );
                }
            }
        }
        drop(g);
        // Return: the on-stack still_in_lru dies.
        self.alive.lock().unwrap_or_else(|e| e.into_inner())[still] = false;
        freed
    }
}

// ------------------------------------------------------------ the design shrinker

/// Per task: the next-candidate API's current `do_shrink_slab` invocation.
#[derive(Clone, Default)]
struct NcInvocation {
    fresh: bool,
    snapshot: u64,
    churn0: u64,
    yields: u64,
}

/// A driver shrinker over one TTM device's SYSTEM and TT BOs, walking them the
/// [`ShrinkDesign`] way and freeing through `ttm_bo_shrink` (backup; writeback only in
/// kswapd with `__GFP_IO`, no GPU waits in direct reclaim).
pub struct DesignShrinker {
    pub design: ShrinkDesign,
    pub dev: Arc<TtmDevice>,
    pub nr_deferred: AtomicU64,
    pub batch: u64,
    name: String,
    /// The device's BOs at registration (the kernel keeps counters; the model reads the
    /// BOs without a model step).
    bos: Vec<Arc<TtmBo>>,
    pub gem: Option<GemLru>,
    /// Design-level checks (next-candidate revisits, gem P3/P4). The measurement
    /// scenarios turn them off so a design that violates them can still be timed.
    pub checks: bool,
    nc: std::sync::Mutex<Vec<NcInvocation>>,
    /// Totals (std, measurement): scan calls, units requested (nr_to_scan).
    pub scans: StdU64,
    pub requested: StdU64,
    /// Sum of `nr_scanned` reported back (what `do_shrink_slab` charges to total_scan).
    pub scanned: StdU64,
}

impl DesignShrinker {
    /// Register a shrinker over the device's current BOs (call after setup).
    pub fn new(
        cur: &Task,
        design: ShrinkDesign,
        dev: &Arc<TtmDevice>,
        name: &str,
        checks: bool,
    ) -> Arc<DesignShrinker> {
        let bos = dev.bos(cur);
        let gem = (design == ShrinkDesign::GemLruScan).then(|| {
            let in_tt: Vec<_> = bos.iter().filter(|b| b.f().tt.is_some()).cloned().collect();
            GemLru::new(&in_tt)
        });
        Arc::new(DesignShrinker {
            design,
            dev: Arc::clone(dev),
            nr_deferred: AtomicU64::new(0),
            batch: SHRINK_BATCH,
            name: format!("{name}[{}]", design.name()),
            bos,
            gem,
            checks,
            nc: Default::default(),
            scans: StdU64::new(0),
            requested: StdU64::new(0),
            scanned: StdU64::new(0),
        })
    }

    fn populated(&self) -> impl Iterator<Item = &Arc<TtmBo>> {
        self.bos.iter().filter(|bo| {
            let f = bo.f();
            !f.destroyed && f.pin_count == 0 && f.tt.as_ref().is_some_and(|t| t.populated)
        })
    }

    /// Lock sections so far (TTM lru_lock plus the GEM LRU lock).
    pub fn lock_sections(&self) -> u64 {
        self.dev.lru_acquisitions.load(Ordering::Relaxed)
            + self
                .gem
                .as_ref()
                .map_or(0, |g| g.sections.load(Ordering::Relaxed))
    }

    /// The driver's part of one BO: suitability (incl. GPU idle under no_wait_gpu), then
    /// `ttm_bo_shrink`. Pages attempted go to `scanned`.
    fn shrink_one(
        &self,
        cur: &Arc<Task>,
        ctx: &OpCtx,
        flags: ShrinkFlags,
        bo: &Arc<TtmBo>,
        scanned: &mut u64,
    ) -> i64 {
        if !ttm_bo_shrink_suitable(bo, ctx) {
            return -(EBUSY as i64);
        }
        *scanned += bo.pages;
        ttm_bo_shrink(cur, &self.dev, ctx, bo, flags)
    }

    fn ctx_flags(sc: &ShrinkControl) -> (OpCtx, ShrinkFlags) {
        let ctx = OpCtx {
            no_wait_gpu: !sc.kswapd,
            ..Default::default()
        };
        let flags = ShrinkFlags {
            purge: false,
            writeback: sc.kswapd && sc.gfp_io,
            allow_move: true,
        };
        (ctx, flags)
    }

    fn scan_callback(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        let (ctx, flags) = Self::ctx_flags(sc);
        let mut scanned = 0u64;
        let mut freed = 0u64;
        for man in [TTM_PL_SYSTEM, TTM_PL_TT] as [MemType; 2] {
            if freed >= sc.nr_to_scan {
                break;
            }
            let arg = WalkArg {
                ctx: ctx.clone(),
                ticket: None,
                trylock_only: true,
            };
            let target = (sc.nr_to_scan - freed) as i64;
            let ret = ttm_lru_walk_for_evict(cur, &self.dev, man, arg, target, |_, bo| {
                self.shrink_one(cur, &ctx, flags, bo, &mut scanned)
            });
            if ret > 0 {
                freed += ret as u64;
            }
        }
        sc.nr_scanned = scanned;
        if scanned == 0 { SHRINK_STOP } else { freed }
    }

    fn scan_guarded(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        let (ctx, flags) = Self::ctx_flags(sc);
        let mut scanned = 0u64;
        let mut freed = 0u64;
        for man in [TTM_PL_SYSTEM, TTM_PL_TT] as [MemType; 2] {
            if scanned >= sc.nr_to_scan {
                break;
            }
            let arg = WalkArg {
                ctx: ctx.clone(),
                ticket: None,
                trylock_only: true,
            };
            let mut err = false;
            let end = for_each_reserved_guarded(cur, &self.dev, man, arg, |_, bo| {
                if !ttm_bo_shrink_suitable(bo, &ctx) {
                    return ControlFlow::Continue(());
                }
                let lret = self.shrink_one(cur, &ctx, flags, bo, &mut scanned);
                if lret < 0 {
                    err = true;
                    return ControlFlow::Break(());
                }
                freed += lret as u64;
                if scanned >= sc.nr_to_scan {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            if end.is_err() {
                self.dev.fail(
                    Property::ModelPanic,
                    "trylock-only guarded walk ended on an error".into(),
                );
            }
            if err {
                break;
            }
        }
        sc.nr_scanned = scanned;
        if scanned == 0 { SHRINK_STOP } else { freed }
    }

    /// The proposed `ttm_bo_next_shrink_candidate(bdev)`: one `lru_lock` section, first
    /// BO from the head (SYSTEM, then TT; priorities in order) that is populated, unpinned,
    /// trylocks and can be referenced. Returns it locked and referenced.
    fn next_candidate(&self, cur: &Arc<Task>) -> Option<Arc<TtmBo>> {
        let dev = &self.dev;
        dev.lru(cur, |lru| {
            let mut order = Vec::new();
            for man in [TTM_PL_SYSTEM, TTM_PL_TT] {
                for prio in 0..TTM_MAX_BO_PRIORITY {
                    for it in lru.list(ListId::Man(man, prio)) {
                        if let Item::Res(r) = it {
                            order.push(*r);
                        }
                    }
                }
            }
            let found = order.iter().find_map(|&r| {
                let bo = Arc::clone(&lru.bos[lru.res[r].bo?]);
                {
                    let f = bo.f();
                    if f.pin_count != 0
                        || f.resource != Some(r)
                        || !f.tt.as_ref().is_some_and(|t| t.populated)
                    {
                        return None;
                    }
                }
                if !dma_resv_trylock(cur, dev, &bo) {
                    return None;
                }
                if !ttm_bo_get_unless_zero(&bo) {
                    dma_resv_unlock(cur, dev, &bo);
                    return None;
                }
                Some(bo)
            });
            if self.checks {
                let mut nc = self.nc.lock().unwrap_or_else(|e| e.into_inner());
                let t = cur.id as usize;
                if nc.len() <= t {
                    nc.resize(t + 1, NcInvocation::default());
                }
                let inv = &mut nc[t];
                if inv.fresh {
                    inv.fresh = false;
                    inv.snapshot = order.len() as u64;
                    inv.churn0 = lru.churn_except(cur.id);
                    inv.yields = 0;
                }
                if let Some(bo) = &found {
                    inv.yields += 1;
                    let allowance = inv.snapshot + lru.churn_except(cur.id) - inv.churn0;
                    if inv.yields > allowance {
                        let msg = format!(
                            "the next-candidate API handed {} {} as candidate #{} of one do_shrink_slab invocation, but only {allowance} resources were on the SYSTEM/TT LRUs or bumped/inserted by other CPUs since its first call: the same failing BO comes back again and again (no progress past it)",
                            cpu_name(cur.id),
                            bo.name,
                            inv.yields
                        );
                        drop(nc);
                        dev.fail(Property::WalkProgress, msg);
                    }
                }
            }
            found
        })
    }

    fn scan_next_candidate(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        let (ctx, flags) = Self::ctx_flags(sc);
        let Some(bo) = self.next_candidate(cur) else {
            sc.nr_scanned = 0;
            return SHRINK_STOP;
        };
        let mut scanned = 0;
        begin_processing(cur, &self.dev, &bo);
        let lret = self.shrink_one(cur, &ctx, flags, &bo, &mut scanned);
        end_processing(&bo);
        dma_resv_unlock(cur, &self.dev, &bo);
        ttm_bo_put(cur, &self.dev, &bo);
        // One object examined, whatever happened to it.
        sc.nr_scanned = 1;
        lret.max(0) as u64
    }

    fn scan_gem(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        let (ctx, flags) = Self::ctx_flags(sc);
        let gem = self.gem.as_ref().expect("gem lru");
        let mut remaining = 0u64;
        let freed = gem.scan(
            cur,
            &self.dev,
            sc.nr_to_scan,
            &mut remaining,
            self.checks,
            |bo| {
                let mut scanned = 0;
                self.shrink_one(cur, &ctx, flags, bo, &mut scanned) > 0
            },
        );
        // msm_gem_shrinker_scan: SHRINK_STOP unless something was freed and something is
        // left (drm/msm/gem: Prevent blocking within shrinker loop). nr_scanned is left as
        // do_shrink_slab preset it (msm does not set it).
        if freed > 0 && remaining > 0 {
            freed
        } else {
            SHRINK_STOP
        }
    }
}

impl Shrinker for DesignShrinker {
    fn name(&self) -> &str {
        &self.name
    }

    fn ledger_device(&self) -> &TtmDevice {
        &self.dev
    }

    fn nr_deferred(&self) -> &AtomicU64 {
        &self.nr_deferred
    }

    fn batch(&self) -> u64 {
        self.batch
    }

    /// Pages (the mainline contract), or objects for the next-candidate API.
    fn count_objects(&self, cur: &Arc<Task>, _sc: &ShrinkControl) -> u64 {
        let n = if self.design == ShrinkDesign::NextCandidate {
            let mut nc = self.nc.lock().unwrap_or_else(|e| e.into_inner());
            let t = cur.id as usize;
            if nc.len() <= t {
                nc.resize(t + 1, NcInvocation::default());
            }
            nc[t].fresh = true;
            drop(nc);
            self.populated().count() as u64
        } else {
            self.populated().map(|b| b.pages).sum()
        };
        if n == 0 { SHRINK_EMPTY } else { n }
    }

    fn scan_objects(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        self.scans.fetch_add(1, Ordering::Relaxed);
        self.requested.fetch_add(sc.nr_to_scan, Ordering::Relaxed);
        let ret = match self.design {
            ShrinkDesign::CallbackWalker => self.scan_callback(cur, sc),
            ShrinkDesign::GuardedIterator => self.scan_guarded(cur, sc),
            ShrinkDesign::NextCandidate => self.scan_next_candidate(cur, sc),
            ShrinkDesign::GemLruScan => self.scan_gem(cur, sc),
        };
        if ret != SHRINK_STOP {
            self.scanned.fetch_add(sc.nr_scanned, Ordering::Relaxed);
        }
        cur.event(|| {
            Ev::Note(format!(
                "{} scan_objects(nr_to_scan {}) -> {}, nr_scanned {}",
                self.name,
                sc.nr_to_scan,
                if ret == SHRINK_STOP {
                    "SHRINK_STOP".to_string()
                } else {
                    ret.to_string()
                },
                sc.nr_scanned
            ))
        });
        ret
    }
}
