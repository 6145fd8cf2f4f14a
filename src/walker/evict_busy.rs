//! Eviction before the LRU walker (`drivers/gpu/drm/ttm/ttm_bo.c` of v6.9..v6.11, the
//! last code with it; 3756310e9fe1 "drm/ttm: Use the LRU walker for eviction" replaced it
//! in v6.12): `ttm_bo_mem_force_space`'s loop over `ttm_mem_evict_first`, which evicts the
//! first BO it can trylock and otherwise sleeps on the first busy BO of another ticket in
//! `ttm_mem_evict_wait_busy`, unlocks it at once ("TODO: It would be better to keep the
//! BO locked until allocation is at least tried one more time"), maps -EDEADLK to -EBUSY
//! and lets the loop walk again. Variant `evict-wait-busy-unlock` (B22) runs it instead of
//! `ttm_bo_evict_alloc`.
//!
//! Also the property both eviction paths are checked against, oldest-ticket eviction
//! progress ([`note_ticket_wait`]): a sleep of the oldest ticket on a busy BO's resv must
//! buy it that BO's memory. The walker's `ttm_lru_walk_ticketlock` keeps the BO locked and
//! evicts it in the same walk; `ttm_mem_evict_wait_busy` drops it, and a younger ticket can
//! take it again before the next walk, so the oldest ticket sleeps on the same residency
//! again, and again for as long as the younger one keeps resubmitting.
//!
//! Simplified as the walker path is (`super::evict`): one place, `eviction_valuable`
//! always true; the priority loop of `ttm_resource_manager_for_each_res` is the model
//! cursor's walk of the manager.

use super::bo::*;
use super::evict::{evict_or_clean_up, ttm_bo_evict};
use super::iter::OpCtx;
use super::lru::ResId;
use super::{ENOSPC, MemType, mem_type_name};
use crate::model::property::Property;
use crate::model::sync::{Arc, yield_now};
use crate::model::task::Task;
use crate::model::trace::{EBUSY, EDEADLK, Ev, cpu_name};
use crate::ww::WwAcquireCtx;

/// The sleeping ticket locks an evicting validate has taken: (BO id, the resource it had
/// then). Created by `ttm_bo_validate` for each call.
pub type EvictWaits = Arc<std::sync::Mutex<Vec<(usize, Option<ResId>)>>>;

/// Oldest-ticket eviction progress: `ticket` (the evicting validate's) has just acquired
/// the resv of `bo`, which it slept for because another holder had it. If the ticket is
/// the oldest live one and it already slept for this same residency of `bo` in this
/// validate (nothing moved it in between: neither this evictor nor anybody else), its
/// first sleep bought nothing: the BO was locked again by someone else before the
/// evictor could use it. Both eviction paths call this; the walker's cannot hit it (it
/// evicts what it slept for in the same callback).
pub fn note_ticket_wait(
    cur: &Task,
    dev: &TtmDevice,
    ctx: &OpCtx,
    ticket: &WwAcquireCtx,
    bo: &TtmBo,
) {
    let Some(waits) = &ctx.evict_waits else {
        return;
    };
    let res = bo.f().resource;
    let key = (bo.id, res);
    let again = {
        let mut w = waits.lock().unwrap_or_else(|e| e.into_inner());
        let again = w.contains(&key);
        if !again {
            w.push(key);
        }
        again
    };
    if again && dev.class.is_oldest(ticket) {
        dev.fail(
            Property::EvictionProgress,
            format!(
                "{} (oldest ticket stamp {}) slept for {}'s resv a second time with {} still in {}: \
                 its first wait bought nothing (the BO was unlocked at once and locked again by \
                 another ticket before the evictor could evict it), so the oldest ticket can wait \
                 for as long as younger ones keep retaking it",
                cpu_name(cur.id),
                ticket.stamp(),
                bo.name,
                bo.name,
                res.map_or("no resource".to_string(), |r| mem_type_name(dev.res_mem(r)).to_string())
            ),
        );
    }
}

/// `ttm_mem_evict_wait_busy(busy_bo, ctx, ticket)`: sleep on the busy BO's resv with the
/// ticket, unlock at once, and hide -EDEADLK as -EBUSY.
fn ttm_mem_evict_wait_busy(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    busy_bo: Option<&Arc<TtmBo>>,
    ctx: &OpCtx,
    ticket: Option<&Arc<WwAcquireCtx>>,
) -> i32 {
    let (Some(busy_bo), Some(ticket)) = (busy_bo, ticket) else {
        return -EBUSY;
    };
    cur.event(|| Ev::Call {
        f: "ttm_mem_evict_wait_busy",
        obj: busy_bo.name.clone(),
        ctx: Some((ticket.id, ticket.stamp())),
    });
    let r = dma_resv_lock(cur, dev, busy_bo, Some(ticket), ctx.interruptible);
    // TODO: It would be better to keep the BO locked until allocation is at least tried
    // one more time, but that would mean a much larger rework of TTM.
    if r == 0 {
        note_ticket_wait(cur, dev, ctx, ticket, busy_bo);
        dma_resv_unlock(cur, dev, busy_bo);
    }
    if r == -EDEADLK { -EBUSY } else { r }
}

/// `ttm_mem_evict_first(bdev, man, place, ctx, ticket)`: under `lru_lock`, the first
/// resource of `man` whose BO `ttm_bo_evict_swapout_allowable` accepts (not pinned;
/// trylocked, or sharing `ctx->resv` with `allow_res_evict`) and that can be referenced;
/// the first one that failed the trylock and is not held by our own ticket is the busy BO.
fn ttm_mem_evict_first(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    man: MemType,
    ctx: &OpCtx,
    ticket: Option<&Arc<WwAcquireCtx>>,
) -> i32 {
    let (pick, busy_bo) = dev.lru(cur, |lru| {
        let c = lru.cursor_init(man, cur.id);
        let mut r = lru.cursor_first(c);
        let mut busy_bo: Option<Arc<TtmBo>> = None;
        let mut pick = None;
        while let Some(res) = r {
            let bo = Arc::clone(&lru.bos[lru.res[res].bo.expect("LRU resource has a bo")]);
            let pinned = bo.f().pin_count > 0;
            let (allowable, locked, busy) = if pinned {
                (false, false, false)
            } else if ctx.allow_res_evict
                && ctx.resv.as_ref().is_some_and(|v| v.uid == bo.resv_uid())
            {
                (true, false, false)
            } else {
                let got = dma_resv_trylock(cur, dev, &bo);
                (got, got, !got)
            };
            if !allowable {
                if busy && busy_bo.is_none() {
                    let holder = dma_resv_locking_ctx(bo.resv());
                    let ours = match (ticket, &holder) {
                        (Some(t), Some(h)) => t.id == h.id,
                        (None, None) => true,
                        _ => false,
                    };
                    if !ours {
                        busy_bo = Some(Arc::clone(&bo));
                    }
                }
                r = lru.cursor_next(c);
                continue;
            }
            if ttm_bo_get_unless_zero(&bo) {
                pick = Some((bo, locked));
                break;
            }
            if locked {
                dma_resv_unlock(cur, dev, &bo);
            }
            r = lru.cursor_next(c);
        }
        lru.cursor_fini(c);
        lru.cursor_free(c);
        let busy_bo = if pick.is_none() {
            busy_bo.filter(|b| ttm_bo_get_unless_zero(b))
        } else {
            None
        };
        (pick, busy_bo)
    });
    let Some((bo, locked)) = pick else {
        let ret = ttm_mem_evict_wait_busy(cur, dev, busy_bo.as_ref(), ctx, ticket);
        if let Some(b) = &busy_bo {
            ttm_bo_put(cur, dev, b);
        }
        return ret;
    };
    let ret = if bo.f().deleted {
        // ttm_bo_cleanup_refs: wait for the dying BO and free its resource.
        let r = evict_or_clean_up(cur, dev, &bo, man, ctx);
        if locked {
            dma_resv_unlock(cur, dev, &bo);
        }
        r
    } else {
        let r = ttm_bo_evict(cur, dev, &bo, Some(man), ctx);
        if locked {
            ttm_bo_unreserve(cur, dev, &bo);
        } else {
            ttm_bo_move_to_lru_tail_unlocked(cur, dev, &bo);
        }
        r
    };
    ttm_bo_put(cur, dev, &bo);
    ret
}

/// `ttm_bo_mem_force_space(bo, place, mem, ctx)`: allocate, and while the manager is
/// full evict the first BO and try again; any error of `ttm_mem_evict_first` (-EBUSY:
/// nothing evictable and nothing to wait for, or -EDEADLK hidden) ends it.
pub fn ttm_bo_mem_force_space(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
    mem: MemType,
    ctx: &OpCtx,
    ticket: Option<Arc<WwAcquireCtx>>,
) -> Result<ResId, i32> {
    loop {
        match ttm_resource_alloc(cur, dev, bo, mem) {
            Ok(r) => return Ok(r),
            Err(e) if e == -ENOSPC => {}
            Err(e) => return Err(e),
        }
        let ret = ttm_mem_evict_first(cur, dev, mem, ctx, ticket.as_ref());
        if ret != 0 {
            return Err(ret);
        }
        yield_now();
    }
}
