//! More TTM scenarios: evictors with drm_exec tickets against each other and against
//! shrinkers, hibernation prepare, a mixed "busy GPU" workload, and many-CPU shrinker
//! hammering. All must stay clean on the fixed model.

use super::Scenario;
use super::common::{expect, expect_ok, expect_ok_or_injected};
use super::ttm::{World, broken_shrinker_named, skip_walk, spawn, ttm};
use crate::model::Task;
use crate::model::sync::{Arc, yield_now};
use crate::model::trace::EDEADLK;
use crate::walker::evict::{ttm_bo_validate_exhaustive, ttm_resource_manager_evict_all};
use crate::walker::iter::OpCtx;
use crate::walker::shrink::{Shrinker, XeShrinker, shrink_slab};
use crate::walker::swap::ttm_device_swapout;
use crate::walker::*;
use crate::ww::{WwAcquireCtx, ww_acquire_fini, ww_acquire_init, ww_mutex_lock_slow};
use std::sync::atomic::Ordering;

/// A drm_exec transaction over TTM BOs (`drm_exec_until_all_locked` /
/// `drm_exec_retry_on_contention`, drivers/gpu/drm/drm_exec.c): lock every BO with the
/// ticket; on -EDEADLK drop every lock, sleep on the contended one with
/// `ww_mutex_lock_slow` and start over. Returns with all of `bos` reserved.
///
/// Simplified: the object array and -EALREADY de-duplication of `drm_exec_lock_obj` are
/// not needed because every BO here has its own resv and appears once (src/ww/exec.rs
/// models those parts on GEM objects).
pub(super) fn drm_exec_lock_all(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bos: &[Arc<TtmBo>],
    ticket: &Arc<WwAcquireCtx>,
) {
    let mut contended: Option<usize> = None;
    'retry: loop {
        let mut held: Vec<usize> = Vec::new();
        if let Some(c) = contended.take() {
            ww_mutex_lock_slow(cur, bos[c].resv(), ticket);
            held.push(c);
        }
        for (i, bo) in bos.iter().enumerate() {
            if held.contains(&i) {
                continue;
            }
            let r = dma_resv_lock(cur, dev, bo, Some(ticket), false);
            if r == -EDEADLK {
                for &h in &held {
                    dma_resv_unlock(cur, dev, &bos[h]);
                }
                contended = Some(i);
                continue 'retry;
            }
            expect_ok(&cur.machine, r, || format!("drm_exec lock {}", bo.name));
            held.push(i);
        }
        return;
    }
}

/// A command submission that must place `bo` in VRAM: ticket, drm_exec over `{vm BO, bo}`,
/// `ttm_bo_validate` (eviction runs under the ticket), a fence (the BO becomes busy when
/// `fence`), a bulk bump when `vm_bo` shares the VM resv, unlock. The oldest ticket must not fail while enough evictable
/// memory exists (eviction-exhaustive).
fn exec_submit(cur: &Arc<Task>, w: &World, vm_bo: &Arc<TtmBo>, bo: &Arc<TtmBo>, fence: bool) {
    let ticket = ww_acquire_init(cur, &w.dev.class);
    let set = [Arc::clone(vm_bo), Arc::clone(bo)];
    drm_exec_lock_all(cur, &w.dev, &set, &ticket);
    let ret = ttm_bo_validate_exhaustive(cur, &w.dev, &ticket, bo, TTM_PL_VRAM, &OpCtx::default());
    if ret == 0 && fence {
        // dma_resv_add_fence(resv, job fence, DMA_RESV_USAGE_WRITE)
        bo.busy.store(true, Ordering::SeqCst);
    }
    if vm_bo.resv_uid() == w.vm_resv.uid {
        ttm_lru_bulk_move_tail(cur, &w.dev, w.bulk, &w.vm_resv);
    }
    ttm_bo_unreserve(cur, &w.dev, bo);
    dma_resv_unlock(cur, &w.dev, vm_bo);
    ww_acquire_fini(cur, &ticket);
}

/// D0 and D1 fill VRAM (with `third`), E0 and E1 wait in SYSTEM; two CPUs each submit a
/// drm_exec job that needs its E in VRAM, holding its own D: each may have to evict the
/// other's D under its ticket.
fn two_submitters(
    m: &Arc<crate::model::Machine>,
    main: &Arc<Task>,
    w: &World,
    third: (&str, MemType),
) -> Vec<crate::model::sync::thread::JoinHandle<()>> {
    let d0 = w.bo(main, "D0", TTM_PL_VRAM, 0, false);
    let d1 = w.bo(main, "D1", TTM_PL_VRAM, 0, false);
    w.bo(main, third.0, third.1, 0, false);
    let e0 = w.bo(main, "E0", TTM_PL_SYSTEM, 0, false);
    let e1 = w.bo(main, "E1", TTM_PL_SYSTEM, 0, false);
    vec![
        spawn(m, "exec0", w, move |t, w| {
            exec_submit(t, w, &d0, &e0, false)
        }),
        spawn(m, "exec1", w, move |t, w| {
            exec_submit(t, w, &d1, &e1, false)
        }),
    ]
}

fn kswapd(t: &Arc<Task>, w: &World, is_kswapd: bool) {
    let s: Arc<dyn Shrinker> = XeShrinker::new(&w.dev, 1, false);
    shrink_slab(t, &w.dev, &[s], is_kswapd, 0);
}

/// `ttm_device_prepare_hibernation` (drivers/gpu/drm/ttm/ttm_device.c): swap out until
/// `ttm_device_swapout` makes no more progress.
pub fn ttm_device_prepare_hibernation(cur: &Arc<Task>, dev: &TtmDevice) -> i64 {
    let ctx = OpCtx::default();
    loop {
        let ret = ttm_device_swapout(cur, dev, &ctx);
        if ret <= 0 {
            return ret;
        }
    }
}

/// Register the scenarios of this file.
pub fn register(out: &mut Vec<Scenario>) {
    out.push(ttm(
        "ttm-exec-evict",
        "two command submissions with drm_exec tickets each validate a BO into a full VRAM \
         that holds the other's VM BO: ticketed eviction against each other",
        3,
        3,
        Arc::new(|m, main, w| {
            for h in two_submitters(m, main, w, ("X", TTM_PL_VRAM)) {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-exec-evict-shrink",
        "two drm_exec submissions evicting from a full VRAM into TT while kswapd runs the Xe \
         shrinker over TT and system BOs",
        4,
        2,
        Arc::new(|m, main, w| {
            let mut hs = two_submitters(m, main, w, ("S", TTM_PL_TT));
            hs.push(spawn(m, "kswapd", w, |t, w| kswapd(t, w, true)));
            for h in hs {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-hibernate",
        "amdgpu_device_evict_resources for S4: evict_all(VRAM) then \
         ttm_device_prepare_hibernation, while a kernel thread holds a priority-0 BO for a \
         moment and the delayed-delete worker releases a dying BO; afterwards VRAM is empty \
         and every BO nobody else touched is swapped out",
        3,
        8,
        Arc::new(|m, main, w| {
            w.dev.set_default_tt_kind(TtKind::Plain); // TTM swapout skips Xe (EXTERNAL) tts
            let k = w.bo(main, "K", TTM_PL_SYSTEM, 0, false);
            let dying = w.bo(main, "D", TTM_PL_SYSTEM, 0, false);
            let v = w.bo(main, "V", TTM_PL_VRAM, 0, true);
            let s1 = w.bo(main, "S1", TTM_PL_SYSTEM, 1, false);
            dying.busy.store(true, Ordering::SeqCst);
            ttm_bo_put(main, &w.dev, &dying);
            let h = spawn(m, "suspend", w, |t, w| {
                let r = ttm_resource_manager_evict_all(t, &w.dev, TTM_PL_VRAM);
                expect_ok_or_injected(t, r, || "evict_all".into());
                let r = ttm_device_prepare_hibernation(t, &w.dev);
                expect_ok_or_injected(t, r as i32, || "prepare_hibernation".into());
            });
            let hw = spawn(m, "ttm_bo_delayed_delete", w, |t, w| {
                ttm_device_flush_delayed(t, &w.dev);
            });
            // A kernel thread holds K across a scheduling point.
            dma_resv_lock(main, &w.dev, &k, None, false);
            yield_now();
            dma_resv_unlock(main, &w.dev, &k);
            m.join(main, h);
            m.join(main, hw);
            expect_swapped(main, w, &[&v, &s1]);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-walk2-bump",
        "two walkers over a 4-resource LRU (A0 | A1 in the VM's bulk range, X, Y) while \
         command submission bumps the bulk (the loom benchmark shape)",
        3,
        8,
        Arc::new(|m, main, w| {
            w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            w.bo(main, "Y", TTM_PL_VRAM, 0, false);
            let h0 = spawn(m, "walker0", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            let h1 = spawn(m, "walker1", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            w.vm_exec_bump(main);
            m.join(main, h0);
            m.join(main, h1);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-bulk-leave-walk",
        "a walker yields A0, the first BO of the VM's bulk range A0 | A1 | A2, while the VM \
         drops A0 and A1 from its bulk (ttm_bo_set_bulk_move(bo, NULL)) and submits; A1 stays \
         on the LRU and must still be visited (mainline finding, variant bulk-leave-cursor)",
        2,
        8,
        Arc::new(|m, main, w| {
            let a0 = w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            let a1 = w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            w.bo(main, "A2", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            dma_resv_lock_raw(main, &w.dev, &w.vm_resv, None, false);
            ttm_bo_set_bulk_move(main, &w.dev, &a0, None);
            ttm_bo_set_bulk_move(main, &w.dev, &a1, None);
            ttm_lru_bulk_move_tail(main, &w.dev, w.bulk, &w.vm_resv);
            dma_resv_unlock_raw(main, &w.dev, &w.vm_resv);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    for cpus in [8usize, 16] {
        out.push(busy_gpu(cpus));
    }
    out.push(shrink_hammer(16, 3));
    broken_client_shrinker_ww(out);
    out.push(ttm(
        "broken-client-ttm-hibernate-once",
        "a suspend path that calls ttm_device_swapout once instead of looping as \
         ttm_device_prepare_hibernation does: BOs stay resident (expectation)",
        1,
        8,
        Arc::new(|_m, main, w| {
            w.dev.set_default_tt_kind(TtKind::Plain); // TTM swapout skips Xe (EXTERNAL) tts
            let s0 = w.bo(main, "S0", TTM_PL_SYSTEM, 0, false);
            let s1 = w.bo(main, "S1", TTM_PL_SYSTEM, 1, false);
            ttm_device_swapout(main, &w.dev, &OpCtx::default());
            expect_swapped(main, w, &[&s0, &s1]);
        }),
    ));
    error_paths(out);
}

/// A driver shrinker built on `ttm_lru_walk_for_evict` with `ttm_bo_shrink` as
/// `process_bo` (the TTM walk helper as a shrinker would use it: -EBUSY skips a BO and
/// the walk goes on). Freed pages are counted in the callback, so a walk that ends on an
/// error (-EINTR) still reports what it freed.
struct WalkShrinker {
    dev: Arc<TtmDevice>,
    nr_deferred: crate::model::sync::atomic::AtomicU64,
}

impl Shrinker for WalkShrinker {
    fn name(&self) -> &str {
        "ttm-walk-shrinker"
    }
    fn ledger_device(&self) -> &TtmDevice {
        &self.dev
    }
    fn nr_deferred(&self) -> &crate::model::sync::atomic::AtomicU64 {
        &self.nr_deferred
    }
    fn count_objects(&self, cur: &Arc<Task>, _: &crate::walker::shrink::ShrinkControl) -> u64 {
        let n: u64 = self
            .dev
            .bos(cur)
            .iter()
            .filter(|b| {
                let f = b.f();
                !f.destroyed && f.tt.as_ref().is_some_and(|t| t.populated)
            })
            .map(|b| b.pages)
            .sum();
        if n == 0 {
            crate::walker::shrink::SHRINK_EMPTY
        } else {
            n
        }
    }
    fn scan_objects(&self, cur: &Arc<Task>, sc: &mut crate::walker::shrink::ShrinkControl) -> u64 {
        use crate::walker::shrink::{ShrinkFlags, ttm_bo_shrink, ttm_bo_shrink_suitable};
        let ctx = OpCtx {
            no_wait_gpu: true,
            ..Default::default()
        };
        let flags = ShrinkFlags {
            allow_move: true,
            ..Default::default()
        };
        let (mut scanned, mut freed) = (0u64, 0u64);
        for man in [TTM_PL_SYSTEM, TTM_PL_TT] {
            if freed >= sc.nr_to_scan {
                break;
            }
            let arg = crate::walker::iter::WalkArg {
                ctx: ctx.clone(),
                ticket: None,
                trylock_only: true,
            };
            let target = (sc.nr_to_scan - freed) as i64;
            crate::walker::iter::ttm_lru_walk_for_evict(
                cur,
                &self.dev,
                man,
                arg,
                target,
                |_, bo| {
                    if !ttm_bo_shrink_suitable(bo, &ctx) {
                        return -(crate::model::trace::EBUSY as i64);
                    }
                    scanned += bo.pages;
                    let l = ttm_bo_shrink(cur, &self.dev, &ctx, bo, flags);
                    if l > 0 {
                        freed += l as u64;
                    }
                    l
                },
            );
        }
        sc.nr_scanned = scanned;
        if scanned == 0 {
            crate::walker::shrink::SHRINK_STOP
        } else {
            freed
        }
    }
}

/// Scenarios for the error paths of swapout, shrinking and the ghost transfer: each is
/// clean on the fixed model under injection and exposes one historical error-path bug.
fn error_paths(out: &mut Vec<Scenario>) {
    out.push(ttm(
        "broken-client-ttm-use-after-put",
        "a driver drops its last reference to an idle BO (ttm_bo_put: released at once) and \
         then reserves it again while a walker runs: use-after-free at the reserve",
        2,
        8,
        Arc::new(|m, main, w| {
            let x = w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            w.bo(main, "Y", TTM_PL_SYSTEM, 0, false);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_SYSTEM));
            ttm_bo_put(main, &w.dev, &x);
            ttm_bo_reserve(main, &w.dev, &x, false, None);
            ttm_bo_unreserve(main, &w.dev, &x);
            m.join(main, h);
        }),
    ));
    out.push(ttm(
        "ttm-swapout-fail",
        "swapout of a system BO X (alone on SYSTEM) and a TT BO T, twice, while another CPU          reserves a VRAM BO: a failed ttm_tt_swapout must not put X behind the walk's hitch \
         (b2ed01e7ad) and a failed move must free its new resource (a590f03d8de7)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.dev.set_default_tt_kind(TtKind::Plain); // TTM swapout skips Xe (EXTERNAL) tts
            w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            w.bo(main, "T", TTM_PL_TT, 0, false);
            let v = w.bo(main, "V", TTM_PL_VRAM, 0, false);
            let h = spawn(m, "swapout", w, |t, w| {
                let ctx = OpCtx::default();
                for _ in 0..2 {
                    let ret = ttm_device_swapout(t, &w.dev, &ctx);
                    if ret < 0 {
                        super::ttm::expect_injected(t, ret as i32, "ttm_device_swapout");
                    }
                }
            });
            w.touch(main, &v);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-shrink-backup-fail",
        "direct reclaim runs a shrinker built on ttm_lru_walk_for_evict + ttm_bo_shrink over a          VM's two system BOs (one bulk range) while another CPU reserves a VRAM BO: a failed          ttm_tt_backup must not put the BO behind the walk's hitch (1d59f36e95f7)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.bo(main, "A0", TTM_PL_SYSTEM, 0, true);
            w.bo(main, "A1", TTM_PL_SYSTEM, 0, true);
            let v = w.bo(main, "V", TTM_PL_VRAM, 0, false);
            let s: Arc<dyn Shrinker> = Arc::new(WalkShrinker {
                dev: Arc::clone(&w.dev),
                nr_deferred: Default::default(),
            });
            let h = spawn(m, "reclaim", w, move |t, w| {
                shrink_slab(t, &w.dev, &[s], false, 0);
            });
            w.touch(main, &v);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-ghost-reserve-fail",
        "a pipelined move hands a VM BO's VRAM resource to a ghost while a walker runs, then          the VRAM LRU is walked again: when dma_resv_reserve_fences fails in          ttm_buffer_object_transfer the resource must stay with its BO (97e000acf2e2)",
        2,
        8,
        Arc::new(|m, main, w| {
            let a0 = w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            super::ttm::pipelined_move(main, w, &a0, TTM_PL_TT);
            m.join(main, h);
            skip_walk(main, &w.dev, TTM_PL_VRAM);
            w.quiesce(main);
        }),
    ));
}

/// After hibernation prepare: none of `bos` is in VRAM or holds populated pages.
fn expect_swapped(main: &Task, w: &World, bos: &[&Arc<TtmBo>]) {
    let m = &main.machine;
    // A swapout that failed (injected -ENOMEM, skipped as -EBUSY by the walk) leaves its
    // BO populated: only an execution without injected failures must swap everything.
    if crate::model::fault::any_injected(main) {
        return;
    }
    for bo in bos {
        let f = bo.f();
        let in_vram = f.resource.is_some_and(|r| w.dev.res_mem(r) == TTM_PL_VRAM);
        let resident = f.tt.as_ref().is_some_and(|t| t.populated);
        drop(f);
        expect(m, !in_vram && !resident, || {
            format!(
                "{} is still {} after hibernation prepare",
                bo.name,
                if in_vram { "in VRAM" } else { "populated" }
            )
        });
    }
}

/// A mixed "busy GPU" workload: submissions leave fences behind, evictions wait for them
/// (`no_wait_gpu = false`), reclaim skips busy BOs on its first pass, a busy BO is dropped
/// and resurrected into delayed delete, and the delayed-delete worker runs.
fn busy_gpu(cpus: usize) -> Scenario {
    ttm(
        &format!("ttm-busy-gpu-{cpus}"),
        &format!(
            "{cpus} CPUs on a busy GPU: drm_exec submissions fencing BOs into a 3-page VRAM, \
             direct reclaim and kswapd, swapout, a busy BO dropped into delayed delete and the \
             delayed-delete worker"
        ),
        cpus,
        3,
        Arc::new(move |m, main, w| {
            let vm: Vec<_> = (0..2)
                .map(|i| w.bo(main, &format!("A{i}"), TTM_PL_VRAM, 0, true))
                .collect();
            let own: Vec<_> = (0..3)
                .map(|i| {
                    w.bo(
                        main,
                        &format!("B{i}"),
                        [TTM_PL_SYSTEM, TTM_PL_TT][i % 2],
                        i % 2,
                        false,
                    )
                })
                .collect();
            for b in own.iter().step_by(2) {
                b.busy.store(true, Ordering::SeqCst);
            }
            // B1 is a generic driver's BO (TTM swapout may take it); the others are Xe's.
            w.dev.set_tt_kind(&own[1], TtKind::Plain);
            let mut hs = Vec::new();
            for c in 1..cpus {
                let vm0 = Arc::clone(&vm[c % vm.len()]);
                let bo = Arc::clone(&own[c % own.len()]);
                let role = c % 6;
                let name = ["swapout", "exec", "reclaim", "kswapd", "exec", "delayed"][role];
                hs.push(spawn(m, name, w, move |t, w| match role {
                    1 | 4 => exec_submit(t, w, &vm0, &bo, true),
                    2 | 3 => kswapd(t, w, role == 3),
                    5 => ttm_device_flush_delayed(t, &w.dev),
                    _ => {
                        ttm_device_swapout(t, &w.dev, &OpCtx::default());
                    }
                }));
            }
            // cpu0: a short-lived BO that is still busy when its last reference goes.
            let tmp = w.bo(main, "T", TTM_PL_TT, 0, false);
            tmp.busy.store(true, Ordering::SeqCst);
            ttm_bo_put(main, &w.dev, &tmp);
            w.vm_exec_bump(main);
            for h in hs {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    )
}

/// Many CPUs hammering the shrinkers (the 16-CPU shrinker benchmark shape): most
/// CPUs are direct reclaimers, one in four is kswapd, one in four submits on the VM and
/// bumps its bulk; `bos` VM BOs in TT and `bos` loose system BOs. Registered as
/// `ttm-shrink-16` (3 + 3 BOs); the growth benchmark builds other sizes.
pub fn shrink_hammer(cpus: usize, bos: usize) -> Scenario {
    let name = if bos == 3 {
        format!("ttm-shrink-{cpus}")
    } else {
        format!("ttm-shrink-{cpus}-bos{}", 2 * bos)
    };
    ttm(
        &name,
        &format!(
            "{cpus} CPUs in reclaim: direct reclaimers and kswapd run do_shrink_slab on the Xe \
             shrinker over system and TT BOs while command submission bumps the VM's bulk range"
        ),
        cpus,
        2 * bos as u64 + 2,
        Arc::new(move |m, main, w| {
            for i in 0..bos {
                w.bo(main, &format!("A{i}"), TTM_PL_TT, 0, true);
            }
            for i in 0..bos {
                w.bo(main, &format!("S{i}"), TTM_PL_SYSTEM, i % 2, false);
            }
            let mut hs = Vec::new();
            for c in 1..cpus {
                let role = c % 4;
                let name = ["exec", "reclaim", "reclaim", "kswapd"][role];
                hs.push(spawn(m, name, w, move |t, w| match role {
                    0 => w.vm_exec_bump(t),
                    _ => kswapd(t, w, role == 3),
                }));
            }
            w.vm_exec_bump(main);
            for h in hs {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    )
}

/// The scan of a driver shrinker that locks BO reservations under a ww ticket (issue 11):
/// `ww_acquire_init` + `dma_resv_lock(bo, ticket)` (`ww_mutex_lock`), or with `drm_exec`
/// the transaction of [`drm_exec_lock_all`] over every BO. Broken: a blocking reservation
/// lock inside reclaim. `dma_resv_lockdep()` primed `reservation_ww_class_acquire ->
/// reservation_ww_class_mutex -> fs_reclaim`, so the ticket (or the resv) taken with
/// `fs_reclaim` held closes the cycle; shrinkers may only trylock (`ttm_bo_shrink` through
/// the LRU walk's trylock path).
fn ticket_scan(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    sc: &mut crate::walker::shrink::ShrinkControl,
    drm_exec: bool,
) -> u64 {
    let bos = dev.bos(cur);
    let ticket = ww_acquire_init(cur, &dev.class);
    if drm_exec {
        drm_exec_lock_all(cur, dev, &bos, &ticket);
        for bo in bos.iter().rev() {
            dma_resv_unlock(cur, dev, bo);
        }
    } else if let Some(bo) = bos.first() {
        let r = dma_resv_lock(cur, dev, bo, Some(&ticket), false);
        if r == 0 {
            dma_resv_unlock(cur, dev, bo);
        }
    }
    ww_acquire_fini(cur, &ticket);
    sc.nr_scanned = 1;
    0
}

/// The broken shrinkers that lock reservations through a ww ticket or drm_exec inside
/// `scan_objects`: reported by the machine's lockdep (`lock-order`, with the primed chain),
/// with no explicit annotation in the scenario.
fn broken_client_shrinker_ww(out: &mut Vec<Scenario>) {
    for (name, drm_exec) in [
        ("broken-client-shrinker-ww-lock", false),
        ("broken-client-shrinker-drm-exec", true),
    ] {
        out.push(ttm(
            name,
            if drm_exec {
                "a shrinker locks every BO's dma_resv with a drm_exec-style ticket transaction \
                 inside scan_objects: lock-order (fs_reclaim -> reservation_ww_class_acquire \
                 against the dma_resv_lockdep() chain)"
            } else {
                "a shrinker takes a ww ticket and ww_mutex_lock()s a BO's dma_resv inside \
                 scan_objects: lock-order (fs_reclaim -> reservation_ww_class_acquire against \
                 the dma_resv_lockdep() chain)"
            },
            2,
            8,
            Arc::new(move |m, main, w| {
                w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
                w.bo(main, "Y", TTM_PL_SYSTEM, 0, false);
                let name = if drm_exec {
                    "broken-drm-exec"
                } else {
                    "broken-ww-ticket"
                };
                let s = broken_shrinker_named(w, name, move |t, dev, sc| {
                    ticket_scan(t, dev, sc, drm_exec)
                });
                let h = spawn(m, "kswapd", w, move |t, w| {
                    shrink_slab(t, &w.dev, &[s], true, 0);
                });
                m.join(main, h);
            }),
        ));
    }
}
