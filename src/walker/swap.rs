//! Swapout (`drivers/gpu/drm/ttm/ttm_bo.c` `ttm_bo_swapout`, `ttm_bo_swapout_cb`,
//! `ttm_device.c` `ttm_device_swapout`; spec `ttm_lru.md` §7): a trylock-only walk
//! without a ticket that moves populated tts to swap.
//!
//! The bulk handling around `ttm_tt_swapout` has four generations, selected by variant:
//! mainline (fixed: b2ed01e7ad plus its `ret > 0` follow-up — only a successful swapout
//! takes the resource out of its bulk range, with
//! `ttm_resource_del_bulk_move_unevictable`, and bumps it onto `unevictable`), v6.13 ..
//! v7.1-rc2 (variant `swapout-fail-rebump`: out of the bulk first, re-added and bumped
//! behind the walk's hitch on failure: the CVE-2026-52965 endless walk), v6.13 after
//! fc5d96670eb2 (variant B14: no bulk removal, membership recomputed from the predicate),
//! and the 2026 regression of spec §10.7 (removal tested with `if (!ret)` although
//! `ttm_tt_swapout` returns a page count).

use super::bo::*;
use super::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use super::{ENOSPC, MemType, TTM_PL_SYSTEM, TTM_PL_TT};
use crate::model::fault::{self, site};
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EBUSY, ENOMEM, Ev};
use crate::model::variants::Variant;

/// `ttm_tt_swapout` (`drivers/gpu/drm/ttm/ttm_tt.c`): the pages go to swap; returns the
/// page count (`ttm->num_pages`, > 0) on success. Fault site `ttm_tt_swapout`:
/// `shmem_file_setup()` / `shmem_read_mapping_page_gfp()` fail with -ENOMEM; the kernel
/// then `fput`s the storage and returns the error with the tt still populated and not
/// SWAPPED.
pub fn ttm_tt_swapout(cur: &Task, dev: &TtmDevice, bo: &TtmBo) -> i64 {
    dev.lockdep.might_alloc(cur, "ttm_tt_swapout");
    if let Some(e) = fault::should_fail(cur, site::TTM_TT_SWAPOUT, || bo.name.to_string()) {
        return e as i64;
    }
    {
        let mut f = bo.f();
        let tt = f.tt.as_mut().expect("populated tt");
        tt.populated = false;
        tt.swapped = true;
        f.lru_pending = true;
        if f.data == Data::Resident {
            f.data = Data::Stored;
        }
    }
    ledger_freed(cur, dev, bo.pages);
    cur.event(|| Ev::Note(format!("ttm_tt_swapout({}) -> {} pages", bo.name, bo.pages)));
    bo.pages as i64
}

/// `ttm_bo_swapout_cb` (`drivers/gpu/drm/ttm/ttm_bo.c`, mainline with b2ed01e7ad and
/// its `ret > 0` follow-up 3db7d7d58341 / fcfe64715b42). Error paths: a failed
/// `ttm_resource_alloc` or `ttm_bo_wait_ctx` is `goto out`; a failed move frees the
/// new resource (a590f03d8de7) and `goto out`; `out:` maps -ENOMEM / -ENOSPC to
/// -EBUSY (the walk skips the BO), other errors end the walk.
fn ttm_bo_swapout_cb(cur: &Arc<Task>, dev: &TtmDevice, bo: &Arc<TtmBo>, ctx: &OpCtx) -> i64 {
    let out = |ret: i64| {
        if ret == -(ENOMEM as i64) || ret == -(ENOSPC as i64) {
            -(EBUSY as i64)
        } else {
            ret
        }
    };
    let ebusy = -(EBUSY as i64);
    {
        // `if (bo->pin_count || !bdev->funcs->eviction_valuable(bo, &place))` (the model's
        // drivers use ttm_bo_eviction_valuable, true for a SYSTEM/TT resource), then
        // `if (!tt || !ttm_tt_is_populated(tt) || tt->page_flags & (TTM_TT_FLAG_EXTERNAL |
        // TTM_TT_FLAG_SWAPPED))`: -EBUSY, the walk skips the BO. So TTM swapout never
        // touches an Xe BO (its tts are EXTERNAL).
        let f = bo.f();
        let pinned = f.pin_count > 0 && !dev.m.variant(Variant::PinnedOnLru);
        if pinned {
            return ebusy;
        }
        let tt_ok =
            f.tt.as_ref()
                .is_some_and(|t| t.populated && !t.external && !t.swapped);
        if !tt_ok {
            return ebusy;
        }
    }
    if bo.f().deleted {
        let ret = ttm_bo_wait_ctx_intr(cur, dev, bo, ctx.no_wait_gpu, ctx.interruptible);
        if ret != 0 {
            return out(ret as i64);
        }
        ttm_bo_cleanup_memtype_use(cur, dev, bo);
        return bo.pages as i64;
    }
    let Some(mut r) = bo.f().resource else {
        return ebusy;
    };
    check_evictable(cur, dev, bo, Some(r), None, "swaps out");
    if dev.res_mem(r) != TTM_PL_SYSTEM {
        let n = match ttm_resource_alloc(cur, dev, bo, TTM_PL_SYSTEM) {
            Ok(n) => n,
            Err(e) => return out(e as i64),
        };
        let ret = ttm_bo_handle_move_mem(cur, dev, bo, n);
        if ret != 0 {
            // Before a590f03d8de7 the new resource was leaked here.
            if !dev.m.variant(Variant::SwapoutMoveLeak) {
                ttm_resource_free(cur, dev, bo, n);
            }
            return out(ret as i64);
        }
        ledger_evicted(dev, r);
        r = n;
    }
    let ret = ttm_bo_wait_ctx_intr(cur, dev, bo, ctx.no_wait_gpu, ctx.interruptible);
    if ret != 0 {
        return out(ret as i64);
    }
    let ret = if dev.m.variant(Variant::SwapoutNoBulkDel) {
        // Mutation: swapout and bump without any bulk removal.
        let ret = ttm_tt_swapout(cur, dev, bo);
        dev.lru(cur, |lru| lru.move_to_lru_tail(r, cur.id));
        ret
    } else if dev.m.variant(Variant::SwapoutBulkRet) {
        // b2ed01e7ad as merged: `if (!ret) { del_bulk_move_unevictable; move_to_lru_tail }`
        // — never taken, ttm_tt_swapout returns the page count.
        let ret = ttm_tt_swapout(cur, dev, bo);
        if ret == 0 {
            dev.lru(cur, |lru| {
                ttm_resource_del_bulk_move_unevictable(cur, lru, r);
                lru.move_to_lru_tail(r, cur.id);
            });
        }
        ret
    } else if dev.m.variant(Variant::SwapoutFailRebump) {
        // v6.13 .. v7.1-rc2: out of the bulk first, re-add on failure, then bump — which
        // puts a BO whose swapout failed behind the walk's hitch (b2ed01e7ad).
        dev.lru(cur, |lru| {
            lru.del_bulk_move(r);
            // Ghost (B3): out of the range in place while the predicate still says
            // member, until the re-add below (BoFields::lru_pending).
            bo.f().lru_pending = true;
        });
        let ret = ttm_tt_swapout(cur, dev, bo);
        dev.lru(cur, |lru| {
            if ret <= 0 {
                lru.add_bulk_move(r);
            }
            lru.move_to_lru_tail(r, cur.id);
        });
        ret
    } else {
        let ret = ttm_tt_swapout(cur, dev, bo);
        if ret > 0 {
            dev.lru(cur, |lru| {
                ttm_resource_del_bulk_move_unevictable(cur, lru, r);
                lru.move_to_lru_tail(r, cur.id);
            });
        }
        ret
    };
    if ret > 0 {
        ledger_evicted(dev, r);
    }
    lru_settled(bo);
    out(ret)
}

/// `ttm_bo_swapout(bdev, ctx, man, gfp, target)`: trylock only, no ticket.
pub fn ttm_bo_swapout(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    man: MemType,
    ctx: &OpCtx,
    target: i64,
) -> i64 {
    let arg = WalkArg {
        ctx: ctx.clone(),
        ticket: None,
        trylock_only: true,
    };
    ttm_lru_walk_for_evict(cur, dev, man, arg, target, |_, bo| {
        ttm_bo_swapout_cb(cur, dev, bo, ctx)
    })
}

/// `ttm_device_swapout`: SYSTEM then TT; the first non-zero result.
pub fn ttm_device_swapout(cur: &Arc<Task>, dev: &TtmDevice, ctx: &OpCtx) -> i64 {
    for man in [TTM_PL_SYSTEM, TTM_PL_TT] {
        let ret = ttm_bo_swapout(cur, dev, man, ctx, 1);
        if ret != 0 {
            return ret;
        }
    }
    0
}
