//! Eviction (`drivers/gpu/drm/ttm/ttm_bo.c`, spec `ttm_lru.md` §6): `ttm_bo_validate`,
//! `ttm_bo_alloc_resource`, `ttm_bo_evict_alloc` with its trylock pass and ticketed
//! passes, `ttm_bo_evict_cb`, `ttm_bo_evict`, `ttm_bo_evict_first` and
//! `ttm_resource_manager_evict_all`.
//!
//! Simplified: one place per placement (so DESIRED/FALLBACK filtering is moot), no dmem
//! cgroup passes (§6.3, upstream-only), `eviction_valuable` is always true, and the
//! eviction target (`evict_flags`) is TT then SYSTEM without recursive eviction of TT
//! (a full TT falls back to SYSTEM).

use super::bo::*;
use super::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use super::lru::ResId;
use super::{EINVAL, ENOENT, ENOSPC, MemType, TTM_PL_SYSTEM, mem_type_name};
use crate::model::property::Property;
use crate::model::sync::{Arc, yield_now};
use crate::model::task::Task;
use crate::model::trace::{EBUSY, ENOMEM, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::ww::WwAcquireCtx;

/// `ttm_bo_validate(bo, placement, ctx)` with a single place `mem` (resv held).
pub fn ttm_bo_validate(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
    mem: MemType,
    ctx: &OpCtx,
) -> i32 {
    ttm_bo_check_alive(cur, bo, "ttm_bo_validate");
    dma_resv_assert_held(cur, bo, "ttm_bo_validate");
    cur.event(|| Ev::Call {
        f: "ttm_bo_validate",
        obj: format!("{}, {}", bo.name, mem_type_name(mem)).into(),
        ctx: None,
    });
    let current = bo.f().resource;
    if current.is_some_and(|r| dev.res_mem(r) == mem) {
        return 0;
    }
    if bo.f().pin_count > 0 {
        return -EINVAL;
    }
    // Ghost: the sleeping ticket locks of this validate's evictions (oldest-ticket
    // eviction progress, `evict_busy::note_ticket_wait`).
    let with_waits;
    let ctx = if ctx.evict_waits.is_none() {
        with_waits = OpCtx {
            evict_waits: Some(Default::default()),
            ..ctx.clone()
        };
        &with_waits
    } else {
        ctx
    };
    let mut ret = -ENOSPC;
    for force_space in [false, true] {
        match ttm_bo_alloc_resource(cur, dev, bo, mem, ctx, force_space) {
            Ok(r) => {
                // ttm_bo_move_buffer: a failed move frees the new resource.
                ret = ttm_bo_handle_move_mem(cur, dev, bo, r);
                if ret != 0 {
                    ttm_resource_free(cur, dev, bo, r);
                }
                break;
            }
            Err(e) if e == -ENOSPC => continue,
            Err(e) => {
                ret = e;
                break;
            }
        }
    }
    if ret == -ENOSPC {
        ret = -ENOMEM;
    }
    cur.event(|| Ev::Ret {
        f: "ttm_bo_validate",
        obj: bo.name.clone(),
        ret,
    });
    ret
}

/// `ttm_bo_alloc_resource`: the evictor's own ticket (`dma_resv_locking_ctx`) is what
/// makes eviction exhaustive.
pub fn ttm_bo_alloc_resource(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
    mem: MemType,
    ctx: &OpCtx,
    force_space: bool,
) -> Result<ResId, i32> {
    let ticket = dma_resv_locking_ctx(bo.resv());
    match ttm_resource_alloc(cur, dev, bo, mem) {
        Err(e) if e == -ENOSPC && force_space && mem != TTM_PL_SYSTEM => {
            // B22: before the LRU walker (v6.12), ttm_bo_mem_force_space's loop over
            // ttm_mem_evict_first / ttm_mem_evict_wait_busy; -EBUSY goes on to the next
            // placement (none here), as ttm_bo_mem_space does.
            let evicted = if dev.m.variant(Variant::EvictWaitBusyUnlock) {
                super::evict_busy::ttm_bo_mem_force_space(cur, dev, bo, mem, ctx, ticket)
            } else {
                ttm_bo_evict_alloc(cur, dev, mem, bo, ctx, ticket)
            };
            match evicted {
                Err(e) if e == -EBUSY => Err(-ENOSPC),
                other => other,
            }
        }
        other => other,
    }
}

/// `ttm_bo_evict_alloc`: a trylock-only pass, then (with a ticket) ticketed passes
/// repeated while they evict something but the allocation still fails.
pub fn ttm_bo_evict_alloc(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    man: MemType,
    evictor: &Arc<TtmBo>,
    ctx: &OpCtx,
    ticket: Option<Arc<WwAcquireCtx>>,
) -> Result<ResId, i32> {
    let mut res: Option<ResId> = None;
    let mut evicted = 0u32;
    let mut arg = WalkArg {
        ctx: ctx.clone(),
        ticket: ticket.clone(),
        trylock_only: true,
    };
    let mut lret = ttm_lru_walk_for_evict(cur, dev, man, arg.clone(), 1, |_, bo| {
        ttm_bo_evict_cb(cur, dev, bo, man, evictor, ctx, &mut evicted, &mut res)
    });
    if lret == 0 && ticket.is_some() {
        arg.trylock_only = false;
        loop {
            arg.ticket = ticket.clone();
            evicted = 0;
            lret = ttm_lru_walk_for_evict(cur, dev, man, arg.clone(), 1, |_, bo| {
                ttm_bo_evict_cb(cur, dev, bo, man, evictor, ctx, &mut evicted, &mut res)
            });
            if !(lret == 0 && evicted > 0) {
                break;
            }
            yield_now();
        }
    }
    match lret {
        l if l < 0 => Err(l as i32),
        0 => Err(-EBUSY),
        _ => Ok(res.expect("walk returned progress with an allocated resource")),
    }
}

/// `ttm_bo_evict_cb`.
#[allow(clippy::too_many_arguments)]
fn ttm_bo_evict_cb(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
    man: MemType,
    evictor: &Arc<TtmBo>,
    ctx: &OpCtx,
    evicted: &mut u32,
    res: &mut Option<ResId>,
) -> i64 {
    if bo.f().pin_count > 0 && !dev.m.variant(Variant::PinnedOnLru) {
        return 0;
    }
    let mut lret = evict_or_clean_up(cur, dev, bo, man, ctx);
    if lret == 0 {
        *evicted += 1;
        match ttm_resource_alloc(cur, dev, evictor, man) {
            Ok(r) => {
                *res = Some(r);
                return 1;
            }
            Err(e) => lret = e,
        }
    }
    if lret == -ENOSPC {
        return -(EBUSY as i64);
    }
    lret as i64
}

/// The common step of `ttm_bo_evict_cb` and `ttm_bo_evict_first`: a deleted BO is waited
/// for and cleaned up (its resource freed), any other one is evicted from `man`.
pub(super) fn evict_or_clean_up(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
    man: MemType,
    ctx: &OpCtx,
) -> i32 {
    if bo.f().deleted {
        let r = ttm_bo_wait_ctx_intr(cur, dev, bo, ctx.no_wait_gpu, ctx.interruptible);
        if r == 0 {
            ttm_bo_cleanup_memtype_use(cur, dev, bo);
        }
        r
    } else {
        ttm_bo_evict(cur, dev, bo, Some(man), ctx)
    }
}

/// `ttm_bo_evict`: move the BO out of its manager (to TT, or SYSTEM if TT is full).
pub fn ttm_bo_evict(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
    from: Option<MemType>,
    ctx: &OpCtx,
) -> i32 {
    let Some(r) = bo.f().resource else {
        return 0;
    };
    check_evictable(cur, dev, bo, Some(r), from, "evicts");
    cur.event(|| Ev::Call {
        f: "ttm_bo_evict",
        obj: bo.name.clone(),
        ctx: None,
    });
    let w = ttm_bo_wait_ctx_intr(cur, dev, bo, ctx.no_wait_gpu, ctx.interruptible);
    if w != 0 {
        return w;
    }
    let hook = dev
        .move_hook
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(h) = hook
        && let Some(err) = h(cur, bo)
        && err != 0
    {
        return err;
    }
    // ttm_bo_mem_space over the evict placements: a full TT (-ENOSPC) falls back to
    // SYSTEM; any other allocation error (-ENOMEM) ends the eviction.
    let mut target = evict_target(dev.res_mem(r));
    let new = loop {
        match ttm_resource_alloc(cur, dev, bo, target) {
            Ok(n) => break n,
            Err(e) if e == -ENOSPC && target != TTM_PL_SYSTEM => target = TTM_PL_SYSTEM,
            Err(e) => return e,
        }
    };
    // A failed move frees the new resource (e8188c461ee0); the BO keeps the old one.
    let ret = ttm_bo_handle_move_mem(cur, dev, bo, new);
    if ret != 0 {
        ttm_resource_free(cur, dev, bo, new);
        return ret;
    }
    ledger_evicted(dev, r);
    0
}

/// `ttm_bo_evict_first`: the head of the manager's LRU, with no hitch kept.
pub fn ttm_bo_evict_first(cur: &Arc<Task>, dev: &TtmDevice, man: MemType, ctx: &OpCtx) -> i32 {
    let pick = dev.lru(cur, |lru| {
        let c = lru.cursor_init(man, cur.id);
        let r = lru.cursor_first(c);
        lru.cursor_fini(c);
        lru.cursor_free(c);
        let r = r?;
        let bo = Arc::clone(&lru.bos[lru.res[r].bo.expect("LRU resource has a bo")]);
        Some((ttm_bo_get_unless_zero(&bo).then_some(bo), r))
    });
    let Some((bo, _res)) = pick else {
        return -ENOENT;
    };
    let Some(bo) = bo else {
        // "Resource disappeared": its BO is being released.
        return 0;
    };
    let mut ret = ttm_bo_reserve(cur, dev, &bo, ctx.no_wait_gpu, None);
    if ret != 0 {
        ttm_bo_put(cur, dev, &bo);
        return ret;
    }
    let moved = bo.f().resource.is_none_or(|r| dev.res_mem(r) != man);
    if !moved || dev.m.variant(Variant::EvictFirstNoRecheck) {
        ret = evict_or_clean_up(cur, dev, &bo, man, ctx);
    }
    dma_resv_unlock(cur, dev, &bo);
    ttm_bo_put(cur, dev, &bo);
    ret
}

/// `ttm_resource_manager_evict_all`: evict_first until the LRU is empty (-ENOENT).
pub fn ttm_resource_manager_evict_all(cur: &Arc<Task>, dev: &TtmDevice, man: MemType) -> i32 {
    let ctx = OpCtx::default();
    loop {
        let ret = ttm_bo_evict_first(cur, dev, man, &ctx);
        yield_now(); // cond_resched()
        if ret != 0 {
            return if ret == -ENOENT { 0 } else { ret };
        }
    }
}

/// `ttm_bo_validate` by a ticket holder, checked for exhaustive eviction: when the ticket
/// was the oldest one alive when the validate began (stamps only grow, so it stayed the
/// oldest throughout) and the validate failed, there must not have been enough free plus
/// evictable memory for it (evictable: unpinned, alive, not held by this ticket). A
/// ticket that becomes the oldest only later may legitimately have backed off (-EDEADLK
/// from an older one).
pub fn ttm_bo_validate_exhaustive(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    ticket: &WwAcquireCtx,
    bo: &Arc<TtmBo>,
    mem: MemType,
    ctx: &OpCtx,
) -> i32 {
    let was_oldest = dev.class.is_oldest_initialised(ticket);
    let since = dev.class.contexts_initialised();
    let injected = injected_into(cur);
    let ret = ttm_bo_validate(cur, dev, bo, mem, ctx);
    // A failure injected into this validate (an allocation, move or wait that failed)
    // is propagated as the kernel propagates it: exhaustiveness holds for the others.
    if ret != 0
        && was_oldest
        && injected_into(cur) == injected
        && !dev.class.older_initialised_since(ticket, since)
    {
        check_exhaustive(cur, dev, ticket, bo, mem, ret);
    }
    ret
}

fn check_exhaustive(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    ticket: &WwAcquireCtx,
    bo: &TtmBo,
    mem: MemType,
    ret: i32,
) {
    let (free, evictable) = dev.lru(cur, |lru| {
        let man = &lru.man[mem];
        let free = man.capacity.map_or(u64::MAX, |c| c - man.usage);
        let evictable: u64 = lru
            .res
            .iter()
            .filter(|e| !e.finished && e.mem_type == mem)
            .filter(|e| {
                e.bo.is_some_and(|b| {
                    let o = &lru.bos[b];
                    let held_by_us =
                        dma_resv_locking_ctx(o.resv()).is_some_and(|c| c.id == ticket.id);
                    o.f().pin_count == 0 && o.kref.read() > 0 && !held_by_us
                })
            })
            .map(|e| e.pages)
            .sum();
        (free, evictable)
    });
    if free.saturating_add(evictable) >= bo.pages {
        dev.fail(
            Property::EvictionExhaustive,
            format!(
                "{} (oldest ticket stamp {}) failed to validate {} into {} with {} although {free} pages are free and {evictable} evictable",
                cpu_name(cur.id),
                ticket.stamp(),
                bo.name,
                mem_type_name(mem),
                crate::model::trace::errno_name(ret)
            ),
        );
    }
}
