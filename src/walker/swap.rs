//! Swapout (`drivers/gpu/drm/ttm/ttm_bo.c` `ttm_bo_swapout`, `ttm_bo_swapout_cb`,
//! `ttm_device.c` `ttm_device_swapout`; spec `ttm_lru.md` §7): a trylock-only walk
//! without a ticket that moves populated tts to swap.
//!
//! The bulk handling around `ttm_tt_swapout` has three generations, selected by variant:
//! the late-2025 code (fixed: take the resource out of its bulk range first, re-add on
//! failure, then bump so a swapped resource lands on `unevictable`), v6.13 after
//! fc5d96670eb2 (variant B14: no bulk removal, membership recomputed from the predicate),
//! and the 2026 regression of spec §10.7 (removal tested with `if (!ret)` although
//! `ttm_tt_swapout` returns a page count).

use super::bo::*;
use super::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use super::{ENOSPC, MemType, TTM_PL_SYSTEM, TTM_PL_TT};
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EBUSY, ENOMEM, Ev};
use crate::model::variants::Variant;

/// `ttm_tt_swapout`: the pages go to swap; returns the page count.
pub fn ttm_tt_swapout(cur: &Task, dev: &TtmDevice, bo: &TtmBo) -> i64 {
    dev.lockdep.might_alloc(cur, "ttm_tt_swapout");
    {
        let mut f = bo.f();
        let tt = f.tt.as_mut().expect("populated tt");
        tt.populated = false;
        tt.swapped = true;
        if f.data == Data::Resident {
            f.data = Data::Stored;
        }
    }
    ledger_freed(cur, dev, bo.pages);
    cur.event(|| Ev::Note(format!("ttm_tt_swapout({}) -> {} pages", bo.name, bo.pages)));
    bo.pages as i64
}

/// `ttm_bo_swapout_cb`.
fn ttm_bo_swapout_cb(cur: &Arc<Task>, dev: &TtmDevice, bo: &Arc<TtmBo>, ctx: &OpCtx) -> i64 {
    let ebusy = -(EBUSY as i64);
    {
        let f = bo.f();
        let pinned = f.pin_count > 0 && !dev.m.variant(Variant::PinnedOnLru);
        let tt_ok = f.tt.as_ref().is_some_and(|t| t.populated && !t.swapped);
        if pinned || !tt_ok {
            return ebusy;
        }
    }
    if bo.f().deleted {
        if ttm_bo_wait_ctx(cur, dev, bo, ctx.no_wait_gpu) != 0 {
            return ebusy;
        }
        ttm_bo_cleanup_memtype_use(cur, dev, bo);
        return bo.pages as i64;
    }
    let Some(mut r) = bo.f().resource else {
        return ebusy;
    };
    check_evictable(cur, dev, bo, Some(r), None, "swaps out");
    if dev.res_mem(r) != TTM_PL_SYSTEM {
        match ttm_resource_alloc(cur, dev, bo, TTM_PL_SYSTEM) {
            Ok(n) => {
                ttm_bo_handle_move_mem(cur, dev, bo, n);
                ledger_evicted(dev, r);
                r = n;
            }
            Err(e) if e == -ENOMEM || e == -ENOSPC => return ebusy,
            Err(e) => return e as i64,
        }
    }
    if ttm_bo_wait_ctx(cur, dev, bo, ctx.no_wait_gpu) != 0 {
        return ebusy;
    }
    ledger_evicted(dev, r);
    let ret = if dev.m.variant(Variant::BulkPredicate) {
        let ret = ttm_tt_swapout(cur, dev, bo);
        dev.lru(cur, |lru| lru.move_to_lru_tail(r, cur.id));
        ret
    } else if dev.m.variant(Variant::SwapoutBulkRet) {
        let ret = ttm_tt_swapout(cur, dev, bo);
        dev.lru(cur, |lru| {
            if ret == 0 {
                lru.del_bulk_move(r);
            }
            lru.move_to_lru_tail(r, cur.id);
        });
        ret
    } else {
        dev.lru(cur, |lru| lru.del_bulk_move(r));
        let ret = ttm_tt_swapout(cur, dev, bo);
        dev.lru(cur, |lru| {
            if ret <= 0 {
                lru.add_bulk_move(r);
            }
            lru.move_to_lru_tail(r, cur.id);
        });
        ret
    };
    if ret == -(ENOMEM as i64) || ret == -(ENOSPC as i64) {
        return ebusy;
    }
    ret
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
