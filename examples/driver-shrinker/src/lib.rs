//! A GPU driver's shrinker for its TTM buffer objects, written against ttm-model's public
//! API only (`ttm_model::api`), the way a driver developer would put their own
//! `scan_objects` into the model before sending the patch.
//!
//! The shrinker follows the contract of `mm/shrinker.c` and the TTM helpers a driver
//! shrinker is built on (`drivers/gpu/drm/ttm/ttm_bo_util.c` `ttm_lru_walk_for_evict`,
//! `ttm_bo_shrink`; Xe's `xe_shrinker.c` is the mainline user):
//!
//! * `count_objects` reports the populated pages of the device's BOs;
//! * `scan_objects` walks the TT and SYSTEM LRUs and backs BOs up with `ttm_bo_shrink`,
//!   reporting the pages freed and `SHRINK_STOP` when it could scan nothing.
//!
//! [`Locking::Trylock`] is the correct driver: inside reclaim it may only *try* a BO's
//! dma_resv (the walk is `trylock_only`), because the dma_resv lock is taken elsewhere
//! around allocations that enter reclaim (`dma_resv_lockdep()` primes lockdep with that
//! order). [`Locking::Sleeping`] is the bug a reviewer catches: it takes each BO's
//! dma_resv with the sleeping `dma_resv_lock`, which lockdep reports as a lock-order
//! inversion against fs_reclaim even in executions where nothing deadlocks.

use ttm_model::api::atomic::AtomicU64;
use ttm_model::api::ttm::*;
use ttm_model::api::{Arc, EBUSY, Task};

/// How the shrinker takes a BO's dma_resv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locking {
    /// `dma_resv_trylock` through a trylock-only LRU walk (correct).
    Trylock,
    /// `dma_resv_lock` on every BO (the bug: sleeps on a lock that is held across
    /// reclaiming allocations).
    Sleeping,
}

/// The driver's shrinker over one TTM device.
pub struct DriverShrinker {
    dev: Arc<TtmDevice>,
    locking: Locking,
    nr_deferred: AtomicU64,
}

impl DriverShrinker {
    /// The shrinker as `shrinker_register()` would hand it to reclaim.
    pub fn register(dev: &Arc<TtmDevice>, locking: Locking) -> Arc<dyn Shrinker> {
        Arc::new(DriverShrinker {
            dev: Arc::clone(dev),
            locking,
            nr_deferred: AtomicU64::new(0),
        })
    }

    /// The op context of reclaim: never wait for the GPU.
    fn ctx() -> OpCtx {
        OpCtx {
            no_wait_gpu: true,
            ..Default::default()
        }
    }

    fn flags() -> ShrinkFlags {
        ShrinkFlags {
            allow_move: true,
            ..Default::default()
        }
    }

    /// Back up one locked BO; returns the pages freed (0 if it was not suitable).
    fn shrink_one(&self, cur: &Arc<Task>, bo: &Arc<TtmBo>, scanned: &mut u64) -> i64 {
        let ctx = Self::ctx();
        if !ttm_bo_shrink_suitable(bo, &ctx) {
            return -(EBUSY as i64);
        }
        *scanned += bo.pages;
        ttm_bo_shrink(cur, &self.dev, &ctx, bo, Self::flags())
    }
}

impl Shrinker for DriverShrinker {
    fn name(&self) -> &str {
        "drv-bo-shrinker"
    }

    fn ledger_device(&self) -> &TtmDevice {
        &self.dev
    }

    fn nr_deferred(&self) -> &AtomicU64 {
        &self.nr_deferred
    }

    fn count_objects(&self, cur: &Arc<Task>, _sc: &ShrinkControl) -> u64 {
        let pages: u64 = self
            .dev
            .bos(cur)
            .iter()
            .filter(|b| {
                let f = b.f();
                !f.destroyed && f.tt.as_ref().is_some_and(|t| t.populated)
            })
            .map(|b| b.pages)
            .sum();
        if pages == 0 { SHRINK_EMPTY } else { pages }
    }

    fn scan_objects(&self, cur: &Arc<Task>, sc: &mut ShrinkControl) -> u64 {
        let (mut scanned, mut freed) = (0u64, 0u64);
        match self.locking {
            Locking::Trylock => {
                for man in [TTM_PL_TT, TTM_PL_SYSTEM] {
                    if freed >= sc.nr_to_scan {
                        break;
                    }
                    let arg = WalkArg {
                        ctx: Self::ctx(),
                        ticket: None,
                        trylock_only: true,
                    };
                    let target = (sc.nr_to_scan - freed) as i64;
                    ttm_lru_walk_for_evict(cur, &self.dev, man, arg, target, |_, bo| {
                        let l = self.shrink_one(cur, bo, &mut scanned);
                        if l > 0 {
                            freed += l as u64;
                        }
                        l
                    });
                }
            }
            Locking::Sleeping => {
                for bo in self.dev.bos(cur) {
                    if freed >= sc.nr_to_scan || bo.f().destroyed {
                        continue;
                    }
                    dma_resv_lock(cur, &self.dev, &bo, None, false);
                    let l = self.shrink_one(cur, &bo, &mut scanned);
                    if l > 0 {
                        freed += l as u64;
                    }
                    dma_resv_unlock(cur, &self.dev, &bo);
                }
            }
        }
        sc.nr_scanned = scanned;
        if scanned == 0 { SHRINK_STOP } else { freed }
    }
}
