//! WARN and continue on the LRU: what the unpin-sole-member WARN (docs/findings.md §3)
//! leads to on the kernel. After the WARN the resource is the whole bulk range of
//! `man->lru[prio]` while it sits on `bdev->unevictable`; the VM's next
//! `ttm_lru_bulk_move_tail` parks a registered walker's hitch behind `pos->last`, i.e. on
//! `bdev->unevictable`, and then splices the range back to the manager's LRU. The walker's
//! next `ttm_resource_manager_next` starts from a hitch on a list that does not contain
//! `&man->lru[prio]` and never returns (a hard lockup under `lru_lock`).
//!
//! Two triggers of the WARN, both mainline code paths:
//! * `ttm-unpin-sole-member-walk`: `ttm_bo_unpin` of the only member of the range;
//! * `ttm-populate-sole-member-walk`: `ttm_bo_populate` of a swapped-out BO in place (CPU
//!   fault, kmap, export), which does the same `add_bulk_move` + `move_to_lru_tail`.
//!
//! On the kernel as it is, both need the variants `unpin-sole-member` (the WARN) and
//! `bulk-leave-cursor` (mainline's unconditional hitch move in
//! `ttm_resource_cursor_move_bulk_tail`, whose fix in this model, findings §4, would leave
//! the hitch alone). With `unpin-sole-member` alone the run reports the WARN only; fixed,
//! both scenarios are clean.

use super::Scenario;
use super::ttm::{World, spawn, ttm};
use crate::model::sync::{Arc, yield_now};
use crate::model::trace::EBUSY;
use crate::model::{Machine, Task};
use crate::walker::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use crate::walker::swap::ttm_bo_swapout;
use crate::walker::*;
use crate::ww::{ww_acquire_fini, ww_acquire_init};

/// A walker with a ticket (as an evicting `drm_exec` submission has): a BO it cannot
/// trylock is slept on with `ttm_lru_walk_ticketlock`, outside `lru_lock`, while the
/// cursor stays registered with the bulk of the BO it found. Processes nothing.
fn ticket_walk(t: &Arc<Task>, w: &World, man: MemType) {
    let ticket = ww_acquire_init(t, &w.dev.class);
    let arg = WalkArg {
        ticket: Some(Arc::clone(&ticket)),
        ..Default::default()
    };
    ttm_lru_walk_for_evict(t, &w.dev, man, arg, i64::MAX, |_, _| -(EBUSY as i64));
    ww_acquire_fini(t, &ticket);
}

/// Wait (scheduling points) until some walker's cursor is registered with the VM's bulk
/// The VM owner, holding A's resv (the only member of the VM's bulk range): pin and unpin
/// A (`ttm_bo_unpin` re-adds it: the sole-member WARN), submit (`ttm_lru_bulk_move_tail`),
/// drop A's resv.
fn pin_unpin_and_submit(main: &Arc<Task>, w: &World, a: &Arc<TtmBo>) {
    ttm_bo_pin(main, &w.dev, a);
    ttm_bo_unpin(main, &w.dev, a);
    ttm_lru_bulk_move_tail(main, &w.dev, w.bulk, &w.vm_resv);
    dma_resv_unlock(main, &w.dev, a);
}

/// move: it has yielded a resource of the VM and its hitch sits right behind it.
fn wait_cursor_registered(main: &Arc<Task>, w: &World) {
    while w
        .dev
        .lru(main, |lru| lru.bulks[w.bulk].cursor_list.is_empty())
    {
        yield_now();
    }
}

/// Register the WARN-and-continue scenarios.
pub fn register(out: &mut Vec<Scenario>) {
    out.push(ttm(
        "broken-client-ttm-unbalanced-unpin",
        "broken client: a driver unpins a BO it never pinned; ttm_bo_unpin WARNs \
         (WARN_ON_ONCE(!bo->pin_count)), refuses, and the driver goes on",
        1,
        8,
        Arc::new(|_m: &Arc<Machine>, main: &Arc<Task>, w: &World| {
            let a = w.bo(main, "A", TTM_PL_VRAM, 0, true);
            dma_resv_lock(main, &w.dev, &a, None, false);
            ttm_bo_unpin(main, &w.dev, &a);
            dma_resv_unlock(main, &w.dev, &a);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-unpin-sole-member-walk",
        "a ticketed walker registers with the VM's bulk on its only BO A and sleeps on A's resv; \
         the VM owner pins and unpins A (sole member: A stays on bdev->unevictable, WARN) and \
         submits: the bulk bump strands the walker's hitch on bdev->unevictable and its next \
         ttm_resource_manager_next never terminates (mainline: findings \
         unpin-sole-member + bulk-leave-cursor)",
        2,
        8,
        Arc::new(|m: &Arc<Machine>, main: &Arc<Task>, w: &World| {
            let a = w.bo(main, "A", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            dma_resv_lock(main, &w.dev, &a, None, false);
            let h = spawn(m, "walker", w, |t, w| ticket_walk(t, w, TTM_PL_VRAM));
            wait_cursor_registered(main, w);
            pin_unpin_and_submit(main, w, &a);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-unpin-sole-member-walk-pinned",
        "as ttm-unpin-sole-member-walk, with a pinned BO P on bdev->unevictable: the walk from \
         the stranded hitch goes round bdev->unevictable and yields P again and again, an \
         endless walk (walk-progress; findings unpin-sole-member + bulk-leave-cursor)",
        2,
        8,
        Arc::new(|m: &Arc<Machine>, main: &Arc<Task>, w: &World| {
            let a = w.bo(main, "A", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            let p = w.bo(main, "P", TTM_PL_VRAM, 0, false);
            dma_resv_lock(main, &w.dev, &p, None, false);
            ttm_bo_pin(main, &w.dev, &p);
            dma_resv_unlock(main, &w.dev, &p);
            dma_resv_lock(main, &w.dev, &a, None, false);
            let h = spawn(m, "walker", w, |t, w| ticket_walk(t, w, TTM_PL_VRAM));
            wait_cursor_registered(main, w);
            pin_unpin_and_submit(main, w, &a);
            m.join(main, h);
            dma_resv_lock(main, &w.dev, &p, None, false);
            ttm_bo_unpin(main, &w.dev, &p);
            dma_resv_unlock(main, &w.dev, &p);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-populate-sole-member-walk",
        "a ticketed walker registers with the VM's bulk on its only SYSTEM BO A and sleeps on \
         A's resv; the VM owner swaps A out (A leaves the bulk, goes to bdev->unevictable), \
         repopulates it in place with ttm_bo_populate (sole member: A stays on \
         bdev->unevictable, WARN) and submits: the bulk bump strands the walker's hitch on \
         bdev->unevictable and its next ttm_resource_manager_next never terminates (findings \
         unpin-sole-member + bulk-leave-cursor)",
        2,
        8,
        Arc::new(|m: &Arc<Machine>, main: &Arc<Task>, w: &World| {
            w.dev.set_default_tt_kind(TtKind::Plain); // TTM swapout skips Xe (EXTERNAL) tts
            let a = w.bo(main, "A", TTM_PL_SYSTEM, 0, true);
            w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            dma_resv_lock(main, &w.dev, &a, None, false);
            let h = spawn(m, "walker", w, |t, w| ticket_walk(t, w, TTM_PL_SYSTEM));
            wait_cursor_registered(main, w);
            // Swapout with the VM resv held (`ctx->resv` + `allow_res_evict`): A is
            // swapped, out of its bulk range and on bdev->unevictable.
            let ctx = OpCtx {
                resv: Some(Arc::clone(&w.vm_resv)),
                allow_res_evict: true,
                ..Default::default()
            };
            let swapped = ttm_bo_swapout(main, &w.dev, TTM_PL_SYSTEM, &ctx, 1);
            // An injected ttm_tt_swapout / move failure leaves A in place (the trigger
            // then does not happen); anything else must swap it.
            let injected = crate::model::fault::task_saw_injection(main);
            super::common::expect(m, swapped > 0 || injected, || {
                format!("ttm_bo_swapout of A returned {swapped}")
            });
            let ret = ttm_bo_populate(main, &w.dev, &a);
            super::common::expect_ok_or_injected(main, ret, || "ttm_bo_populate(A)".into());
            ttm_lru_bulk_move_tail(main, &w.dev, w.bulk, &w.vm_resv);
            dma_resv_unlock(main, &w.dev, &a);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
}
