//! Shrinking: `ttm_bo_shrink_suitable` / `ttm_bo_shrink` (`ttm_bo_util.c`), the Xe
//! shrinker (`drivers/gpu/drm/xe/xe_shrinker.c`, `xe_bo.c` `xe_bo_shrink`) and the core
//! `do_shrink_slab` loop (`mm/shrinker.c` @ab1c247094e3). Spec `ttm_lru.md` §8,
//! `svm_shrinker.md` §8.
//!
//! Simplified: no runtime-PM step and no CCS copies (Xe step 1 only gates iGPU flat-CCS);
//! `ttm_backup_bytes_avail` is unlimited; one node, no memcg; the Xe page counters are
//! computed from the BOs (the kernel keeps them under an rwlock that only protects the
//! counters themselves).

use super::bo::*;
use super::iter::{OpCtx, WalkArg, for_each_reserved_guarded};
use super::{ENOSPC, MemType, TTM_PL_SYSTEM, TTM_PL_TT};
use crate::model::fault::{self, site};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::sync::atomic::{AtomicU64, Ordering};
use crate::model::task::Task;
use crate::model::trace::{EBUSY, EINTR, ENOMEM, Ev, cpu_name};
use crate::model::variants::Variant;
use std::ops::ControlFlow;

/// `SHRINK_STOP` and `SHRINK_EMPTY`.
pub const SHRINK_STOP: u64 = !0;
pub const SHRINK_EMPTY: u64 = !0 - 1;
/// `SHRINK_BATCH`.
pub const SHRINK_BATCH: u64 = 128;

/// `struct ttm_bo_shrink_flags`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShrinkFlags {
    pub purge: bool,
    pub writeback: bool,
    pub allow_move: bool,
}

/// `ttm_bo_shrink_suitable`: populated, unpinned, and idle unless waits are allowed.
pub fn ttm_bo_shrink_suitable(bo: &TtmBo, ctx: &OpCtx) -> bool {
    let f = bo.f();
    let populated = f.tt.as_ref().is_some_and(|t| t.populated);
    populated
        && f.pin_count == 0
        && (!ctx.no_wait_gpu || !bo.busy.load(std::sync::atomic::Ordering::SeqCst))
}

/// `ttm_bo_shrink(ctx, bo, flags)` (`ttm_bo_util.c`, resv held): optionally move to
/// SYSTEM, wait, back up (or purge) the tt; only when the backup freed pages
/// (`lret > 0`, 1d59f36e95f7) is the resource taken out of its bulk range
/// (`ttm_resource_del_bulk_move_unevictable`) and bumped (onto `unevictable`: a
/// backed-up tt is `ttm_tt_is_swapped`). A failed backup leaves the LRU untouched and
/// returns -EBUSY (-EINTR is passed on). Variant `shrink-backup-rebump` is the code
/// before 1d59f36e95f7: out of the bulk first, re-added (behind the walk's hitch) when
/// the backup fails.
pub fn ttm_bo_shrink(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    ctx: &OpCtx,
    bo: &Arc<TtmBo>,
    flags: ShrinkFlags,
) -> i64 {
    let ebusy = -(EBUSY as i64);
    ttm_bo_check_alive(cur, bo, "ttm_bo_shrink");
    dma_resv_assert_held(cur, bo, "ttm_bo_shrink");
    let res = bo.f().resource;
    if flags.allow_move
        && let Some(r) = res
        && dev.res_mem(r) != TTM_PL_SYSTEM
    {
        let ret = super::evict::ttm_bo_validate(cur, dev, bo, TTM_PL_SYSTEM, ctx);
        if ret == -ENOMEM || ret == -ENOSPC {
            return ebusy;
        }
        if ret != 0 {
            return ret as i64;
        }
    }
    let ret = ttm_bo_wait_ctx_intr(cur, dev, bo, ctx.no_wait_gpu, ctx.interruptible);
    if ret != 0 {
        return ret as i64;
    }
    check_evictable(cur, dev, bo, None, None, "shrinks");
    let res = bo.f().resource;
    let bulk = bo.f().bulk_move.is_some();
    let old_code = dev.m.variant(Variant::ShrinkBackupRebump);
    if old_code
        && bulk
        && let Some(r) = res
    {
        dev.lru(cur, |lru| {
            lru.del_bulk_move(r);
            // Ghost (B3): out of the range in place while the predicate still says
            // member, until the re-add below or the return (BoFields::lru_pending).
            bo.f().lru_pending = true;
        });
    }
    let lret = ttm_tt_backup(cur, dev, bo, flags);
    if old_code {
        if lret <= 0
            && bulk
            && let Some(r) = res
        {
            dev.lru(cur, |lru| lru.add_bulk_move(r));
        }
    } else if lret > 0
        && let Some(r) = res
    {
        dev.lru(cur, |lru| {
            ttm_resource_del_bulk_move_unevictable(cur, lru, r);
            lru.move_to_lru_tail(r, cur.id);
        });
    }
    lru_settled(bo);
    if lret < 0 && lret != -(EINTR as i64) {
        return ebusy;
    }
    lret
}

/// `ttm_tt_backup(bdev, tt, {purge, writeback})`: frees the pages (purge drops the
/// contents) and marks the tt BACKED_UP; returns pages freed. Writeback is a blocking
/// action (shmem I/O). Fault site `ttm_tt_backup`: `ttm_backup_backup_page()` (shmem)
/// fails for the first page with -ENOMEM, or a signal interrupts it (-EINTR); the tt
/// stays populated and not BACKED_UP (`ttm_tt_backup` sets the flags only for
/// `ret > 0`). Simplified: no partial backup (a tt is one unit).
pub fn ttm_tt_backup(cur: &Task, dev: &TtmDevice, bo: &TtmBo, flags: ShrinkFlags) -> i64 {
    if let Some(e) = fault::should_fail(cur, site::TTM_TT_BACKUP, || bo.name.to_string()) {
        return e as i64;
    }
    {
        let mut f = bo.f();
        let purgeable = f.tt.as_ref().is_some_and(|t| t.purgeable);
        let tt = f.tt.as_mut().expect("populated tt");
        tt.populated = false;
        if flags.purge {
            if !purgeable {
                drop(f);
                dev.fail(
                    Property::PageLedger,
                    format!(
                        "{} purged {}, whose contents are not purgeable (data lost)",
                        cpu_name(cur.id),
                        bo.name
                    ),
                );
            }
            // ttm_tt_backup sets BACKED_UP for any ret > 0, a purge included.
            tt.backed_up = true;
            f.data = Data::Purged;
        } else {
            tt.backed_up = true;
            if f.data == Data::Resident {
                f.data = Data::Stored;
            }
        }
        f.lru_pending = true;
    }
    if flags.writeback {
        dev.ledger(|l| *l.blocking(cur.id) += 1);
    }
    ledger_freed(cur, dev, bo.pages);
    cur.event(|| {
        Ev::Note(format!(
            "ttm_tt_backup({}, purge={}, writeback={}) -> {} pages",
            bo.name, flags.purge, flags.writeback, bo.pages
        ))
    });
    bo.pages as i64
}

/// `struct shrink_control` (one node, no memcg).
#[derive(Clone, Copy, Debug)]
pub struct ShrinkControl {
    pub gfp_fs: bool,
    pub gfp_io: bool,
    pub nr_to_scan: u64,
    pub nr_scanned: u64,
    /// `current_is_kswapd()`.
    pub kswapd: bool,
}

/// A registered shrinker: `count_objects` / `scan_objects`, its batch and seeks, and
/// the per-node `nr_deferred` (an atomic, the only core state concurrent reclaimers
/// share).
pub trait Shrinker: Send + Sync {
    fn name(&self) -> &str;
    fn count_objects(&self, cur: &Arc<Task>, sc: &ShrinkControl) -> u64;
    fn scan_objects(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64;
    fn batch(&self) -> u64 {
        SHRINK_BATCH
    }
    fn seeks(&self) -> u64 {
        2
    }
    fn nr_deferred(&self) -> &AtomicU64;
    /// The device whose page ledger the shrinker frees from (the model's checks only:
    /// `do_shrink_slab` compares each scan's return value with the pages that really left).
    fn ledger_device(&self) -> &TtmDevice;
}

/// `do_shrink_slab(sc, shrinker, priority)`. Reports a scan that neither makes the loop
/// progress (nr_scanned 0) nor returns SHRINK_STOP (bounded progress, spec §8.2).
pub fn do_shrink_slab(
    cur: &Arc<Task>,
    s: &dyn Shrinker,
    sc: &mut ShrinkControl,
    priority: u32,
) -> u64 {
    let freeable = s.count_objects(cur, sc);
    if freeable == 0 || freeable == SHRINK_EMPTY {
        return freeable;
    }
    let nr = s.nr_deferred().swap(0, Ordering::SeqCst);
    let delta = if s.seeks() == 0 {
        freeable / 2
    } else {
        ((freeable >> priority) * 4) / s.seeks()
    };
    let mut total_scan = ((nr >> priority) + delta).min(2 * freeable);
    let batch = s.batch();
    let mut freed = 0u64;
    let mut scanned = 0u64;
    while total_scan >= batch || total_scan >= freeable {
        let n = batch.min(total_scan);
        sc.nr_to_scan = n;
        sc.nr_scanned = n;
        let dev = s.ledger_device();
        let freed_before = dev.ledger(|l| *l.freed(cur.id));
        let ret = s.scan_objects(cur, sc);
        if ret == SHRINK_STOP {
            break;
        }
        // Page ledger: the scan may not claim pages it did not free (vmscan credits the
        // return value to reclaim progress, so over-reporting makes reclaim stop early
        // with the memory still in use). The return value is a heuristic
        // (`shrinker.h`: "the number of objects freed"); reporting fewer pages than
        // really left is not a violation: Xe's `__xe_shrinker_walk` / `xe_shrinker_walk`
        // return the first negative `lret` and drop the pages the pass (or the earlier
        // passes) freed (kernel text before 3c90e42a0142), and vmscan then just scans
        // again. It is recorded in the trace.
        let really = dev.ledger(|l| *l.freed(cur.id)) - freed_before;
        if ret > really {
            dev.fail(
                Property::PageLedger,
                format!(
                    "{}'s scan_objects returned {ret} pages freed but {really} pages left the system",
                    s.name()
                ),
            );
        } else if ret < really {
            cur.event(|| {
                Ev::Note(format!(
                    "{}'s scan_objects under-reports: returned {ret}, {really} pages left the system (heuristic return value, not checked)",
                    s.name()
                ))
            });
        }
        if sc.nr_scanned == 0 {
            cur.machine.fail(
                Property::Livelock,
                format!(
                    "do_shrink_slab: {}'s scan_objects returned {ret} with nr_scanned 0 and not SHRINK_STOP: total_scan never decreases",
                    s.name()
                ),
            );
        }
        freed += ret;
        total_scan -= sc.nr_scanned.min(total_scan);
        scanned += sc.nr_scanned;
        crate::model::sync::yield_now(); // cond_resched()
    }
    let next_deferred = (nr + delta).saturating_sub(scanned).min(2 * freeable);
    s.nr_deferred().fetch_add(next_deferred, Ordering::SeqCst);
    freed
}

/// The Xe BO shrinker over one TTM device.
pub struct XeShrinker {
    pub dev: Arc<TtmDevice>,
    pub nr_deferred: AtomicU64,
    pub batch: u64,
    /// Reclaimers currently inside `scan_objects` (for the B25 stall check, which is only
    /// sound for a lone scanner).
    pub active: std::sync::atomic::AtomicU32,
    /// Run the B25 stall check (scenarios where no other CPU holds more than one BO at a
    /// time, so a no-wait pass can always reach the idle pages counted at its start).
    pub stall_check: bool,
}

impl XeShrinker {
    pub fn new(dev: &Arc<TtmDevice>, batch: u64, stall_check: bool) -> Arc<XeShrinker> {
        Arc::new(XeShrinker {
            dev: Arc::clone(dev),
            nr_deferred: AtomicU64::new(0),
            batch,
            active: Default::default(),
            stall_check,
        })
    }

    /// (shrinkable, purgeable) populated pages (the kernel's counters).
    fn counters(&self, cur: &Task) -> (u64, u64) {
        let mut out = (0, 0);
        for bo in self.dev.bos(cur) {
            let f = bo.f();
            if let Some(tt) = f.tt.as_ref()
                && tt.populated
                && !f.destroyed
            {
                if tt.purgeable {
                    out.1 += bo.pages;
                } else {
                    out.0 += bo.pages;
                }
            }
        }
        out
    }

    /// Idle, unpinned, unlocked populated pages (what a no-wait pass can free).
    fn idle_pages(&self, cur: &Task) -> u64 {
        self.dev
            .bos(cur)
            .iter()
            .filter(|bo| {
                let locked = crate::ww::ww_mutex_is_locked(bo.resv());
                let f = bo.f();
                f.tt.as_ref().is_some_and(|t| t.populated)
                    && f.pin_count == 0
                    && !bo.busy.load(std::sync::atomic::Ordering::SeqCst)
                    && !locked
            })
            .map(|bo| bo.pages)
            .sum()
    }

    /// `xe_bo_shrink` (`drivers/gpu/drm/xe/xe_bo.c`, the v6.15 merged form, unchanged in
    /// its tests through the 8415a9c3 shrinker):
    ///
    /// ```c
    /// if (!(tt->page_flags & TTM_TT_FLAG_EXTERNAL_MAPPABLE) || (flags.purge && !xe_tt->purgeable))
    ///         return -EBUSY;
    /// if (!ttm_bo_eviction_valuable(bo, &place))
    ///         return -EBUSY;
    /// if (!xe_bo_is_xe_bo(bo) || !xe_bo_get_unless_zero(xe_bo))
    ///         return xe_bo_shrink_purge(ctx, bo, scanned);
    /// if (xe_tt->purgeable) { if (mem_type != XE_PL_SYSTEM) lret = xe_bo_move_notify(..);
    ///         if (!lret) lret = xe_bo_shrink_purge(ctx, bo, scanned); goto out_unref; }
    /// needs_rpm = !IS_DGFX(xe) && mem_type != XE_PL_SYSTEM && xe_bo_needs_ccs_pages(xe_bo);
    /// if (needs_rpm && !xe_pm_runtime_get_if_active(xe))
    ///         goto out_unref;                           /* lret == 0: skipped */
    /// *scanned += tt->num_pages;
    /// lret = ttm_bo_shrink(ctx, bo, {.purge = false, .writeback = flags.writeback, .allow_move = true});
    /// ```
    ///
    /// Every -EBUSY here ends the whole `__xe_shrinker_walk` pass (see
    /// [`XeShrinker::walk_pass`]). Fault site `xe_bo_shrink`: for a BO whose resource is
    /// not in SYSTEM, `xe_pm_runtime_get_if_active` fails (any injected errno: the BO is
    /// skipped, 0, nothing scanned); for a purgeable BO, `xe_bo_move_notify` fails (the
    /// errno is returned). Simplified: `ttm_bo_eviction_valuable` with `place.mem_type =
    /// bo->resource->mem_type` and no range is always true for the model's whole-manager
    /// resources; ghost and zombie BOs are shrunk like others instead of through
    /// `xe_bo_shrink_purge` (the model's ghosts keep the tt the original had); the purge
    /// of a purgeable BO goes through `ttm_bo_shrink` with `purge` set and no fake move
    /// (the model never makes a BO purgeable).
    fn xe_bo_shrink(
        &self,
        cur: &Arc<Task>,
        ctx: &OpCtx,
        bo: &Arc<TtmBo>,
        flags: ShrinkFlags,
        scanned: &mut u64,
    ) -> i64 {
        let ebusy = -(EBUSY as i64);
        let (mappable, purgeable) = {
            let f = bo.f();
            let tt = f.tt.as_ref();
            (
                tt.is_some_and(|t| t.external_mappable),
                tt.is_some_and(|t| t.purgeable),
            )
        };
        if !mappable || (flags.purge && !purgeable) {
            return ebusy;
        }
        if !ttm_bo_eviction_valuable(bo) {
            return ebusy;
        }
        let in_system = bo
            .f()
            .resource
            .is_none_or(|r| self.dev.res_mem(r) == TTM_PL_SYSTEM);
        if purgeable {
            if !in_system
                && let Some(e) = fault::should_fail(cur, site::XE_BO_SHRINK, || bo.name.to_string())
            {
                return e as i64; // xe_bo_move_notify failed
            }
        } else if !in_system
            && fault::should_fail(cur, site::XE_BO_SHRINK, || bo.name.to_string()).is_some()
        {
            // needs_rpm && !xe_pm_runtime_get_if_active(xe): goto out_unref, lret 0.
            return 0;
        }
        *scanned += bo.pages;
        let flags = ShrinkFlags {
            purge: purgeable,
            writeback: flags.writeback,
            allow_move: true,
        };
        ttm_bo_shrink(cur, &self.dev, ctx, bo, flags)
    }

    /// `__xe_shrinker_walk`: trylock-only guarded walks of SYSTEM and TT; any negative
    /// result ends the pass (unlike `ttm_lru_walk_for_evict`).
    fn walk_pass(
        &self,
        cur: &Arc<Task>,
        ctx: &OpCtx,
        flags: ShrinkFlags,
        to_scan: u64,
        scanned: &mut u64,
    ) -> i64 {
        let mut freed = 0i64;
        for man in [TTM_PL_SYSTEM, TTM_PL_TT] as [MemType; 2] {
            let arg = WalkArg {
                ctx: ctx.clone(),
                ticket: None,
                trylock_only: true,
            };
            let mut err = 0i64;
            let end = for_each_reserved_guarded(cur, &self.dev, man, arg, |_, bo| {
                if !ttm_bo_shrink_suitable(bo, ctx) {
                    return ControlFlow::Continue(());
                }
                let lret = self.xe_bo_shrink(cur, ctx, bo, flags, scanned);
                if lret < 0 {
                    err = lret;
                    return ControlFlow::Break(());
                }
                freed += lret;
                if *scanned >= to_scan {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            if end.is_err() {
                self.dev.fail(
                    Property::ModelPanic,
                    "trylock-only shrinker walk ended on an error".into(),
                );
            }
            if err < 0 {
                return err;
            }
            if *scanned >= to_scan {
                break;
            }
        }
        freed
    }

    /// `xe_shrinker_walk` (`drivers/gpu/drm/xe/xe_shrinker.c` @ gregkh 8415a9c3, the
    /// multi-pass form of 80944d334182; pre-3c90e42a0142, see docs/traceability.md): a
    /// pass without GPU waits and without writeback, then (if the caller may wait) one
    /// with waits, then (if asked) one with writeback; each pass stops once `*scanned`
    /// reaches `to_scan`. A negative result of any pass is returned at once, dropping the
    /// pages the earlier passes freed (they were freed: the return value under-reports,
    /// see `do_shrink_slab`'s page-ledger note):
    ///
    /// ```c
    /// swap(no_wait_gpu, ctx->no_wait_gpu); save_flags.writeback = false;
    /// lret = __xe_shrinker_walk(xe, ctx, save_flags, to_scan, scanned);
    /// swap(no_wait_gpu, ctx->no_wait_gpu);
    /// if (lret < 0 || *scanned >= to_scan) return lret;
    /// freed = lret;
    /// if (!ctx->no_wait_gpu) { lret = __xe_shrinker_walk(xe, ctx, save_flags, ..);
    ///         if (lret < 0) return lret; freed += lret; if (*scanned >= to_scan) return freed; }
    /// if (flags.writeback) { lret = __xe_shrinker_walk(xe, ctx, flags, ..);
    ///         if (lret < 0) return lret; freed += lret; }
    /// return freed;
    /// ```
    ///
    /// Variant B25 (`shrinker-first-pass-waits`, the v6.15 single pass) does all of it in
    /// one pass.
    fn xe_shrinker_walk(
        &self,
        cur: &Arc<Task>,
        ctx: &OpCtx,
        flags: ShrinkFlags,
        to_scan: u64,
        scanned: &mut u64,
    ) -> i64 {
        if self.dev.m.variant(Variant::ShrinkerFirstPassWaits) {
            return self.walk_pass(cur, ctx, flags, to_scan, scanned);
        }
        let save_flags = ShrinkFlags {
            writeback: false,
            ..flags
        };
        let nowait = OpCtx {
            no_wait_gpu: true,
            ..ctx.clone()
        };
        let lret = self.walk_pass(cur, &nowait, save_flags, to_scan, scanned);
        if lret < 0 || *scanned >= to_scan {
            return lret;
        }
        let mut freed = lret;
        if !ctx.no_wait_gpu {
            let lret = self.walk_pass(cur, ctx, save_flags, to_scan, scanned);
            if lret < 0 {
                return lret;
            }
            freed += lret;
            if *scanned >= to_scan {
                return freed;
            }
        }
        if flags.writeback {
            let lret = self.walk_pass(cur, ctx, flags, to_scan, scanned);
            if lret < 0 {
                return lret;
            }
            freed += lret;
        }
        freed
    }
}

/// `ttm_bo_eviction_valuable(bo, place)` (`ttm_bo.c`) as `xe_bo_shrink` calls it, with
/// `place = {.mem_type = bo->resource->mem_type}`: false only if the resource does not
/// intersect the place's page range, which is the whole manager here, so always true in
/// the model (the later Xe callback that refuses BOs of a VM being validated is not
/// modelled).
pub fn ttm_bo_eviction_valuable(bo: &TtmBo) -> bool {
    let _ = bo;
    true
}

impl Shrinker for XeShrinker {
    fn name(&self) -> &str {
        "drm-xe_gem"
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

    /// `xe_shrinker_count`.
    fn count_objects(&self, cur: &Arc<Task>, sc: &ShrinkControl) -> u64 {
        let (shrinkable, purgeable) = self.counters(cur);
        let n = if sc.gfp_fs { shrinkable } else { 0 } + purgeable;
        if n == 0 { SHRINK_EMPTY } else { n }
    }

    /// `xe_shrinker_scan`: purge pass, then (with __GFP_FS) the backup pass; returns
    /// pages freed, or SHRINK_STOP when nothing was scanned. (`do_shrink_slab` checks the
    /// returned count against the page ledger.) B25's stall check runs for a lone scanner.
    fn scan_objects(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        let dev = &self.dev;
        let lone = self
            .active
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            == 0;
        let idle_at_start = self.idle_pages(cur);
        let blocking_before = dev.ledger(|l| *l.blocking(cur.id));
        let injected_before = injected_into(cur);
        let ctx = OpCtx {
            no_wait_gpu: !sc.kswapd,
            ..Default::default()
        };
        let mut flags = ShrinkFlags {
            purge: true,
            writeback: !ctx.no_wait_gpu && sc.gfp_io,
            allow_move: true,
        };
        let (_, purgeable) = self.counters(cur);
        let mut scanned = 0u64;
        let mut freed = 0i64;
        if purgeable > 0 {
            freed += self
                .xe_shrinker_walk(cur, &ctx, flags, sc.nr_to_scan, &mut scanned)
                .max(0);
        }
        if scanned < sc.nr_to_scan && sc.gfp_fs {
            flags.purge = false;
            freed += self
                .xe_shrinker_walk(cur, &ctx, flags, sc.nr_to_scan, &mut scanned)
                .max(0);
        }
        sc.nr_scanned = scanned;
        self.active
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        let blocked = dev.ledger(|l| *l.blocking(cur.id)) - blocking_before;
        // A no-wait pass that an injected failure cut short legitimately falls back to
        // the waiting pass.
        let clean = injected_into(cur) == injected_before;
        if self.stall_check && lone && clean && blocked > 0 && idle_at_start >= sc.nr_to_scan {
            dev.fail(
                Property::ReclaimStall,
                format!(
                    "{} {} scan_objects(nr_to_scan {}) made {blocked} blocking GPU waits/writebacks although {idle_at_start} idle pages could be freed without waiting",
                    cpu_name(cur.id),
                    self.name(),
                    sc.nr_to_scan
                ),
            );
        }
        cur.event(|| {
            Ev::Note(format!(
                "{} scan_objects -> freed {freed}, scanned {scanned}",
                self.name()
            ))
        });
        if scanned == 0 {
            SHRINK_STOP
        } else {
            freed as u64
        }
    }
}

/// One direct-reclaim (or kswapd) invocation: `fs_reclaim_acquire`, then
/// `shrink_slab` over the registered shrinkers at `priority`.
pub fn shrink_slab(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    shrinkers: &[Arc<dyn Shrinker>],
    kswapd: bool,
    priority: u32,
) -> u64 {
    dev.lockdep.enter_reclaim(cur);
    let mut freed = 0;
    for s in shrinkers {
        let mut sc = ShrinkControl {
            gfp_fs: true,
            gfp_io: true,
            nr_to_scan: 0,
            nr_scanned: 0,
            kswapd,
        };
        let r = do_shrink_slab(cur, s.as_ref(), &mut sc, priority);
        if r != SHRINK_EMPTY {
            freed += r;
        }
    }
    dev.lockdep.exit_reclaim(cur);
    freed
}
