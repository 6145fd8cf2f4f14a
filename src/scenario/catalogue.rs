//! The rest of the bug catalogue (`../shared/spec/bugs.md`) as scenarios: B3 (the
//! test-ww_mutex stress retry loop that never checks its deadline), B22 (the pre-walker
//! `ttm_mem_evict_wait_busy`, which unlocks the busy BO at once) and B27 (an amdgpu VM
//! whose page tables are freed while they are still in the VM's bulk move).

use super::Scenario;
use super::common::{dummy_load, expect_ok_or_injected};
use super::ttm::{World, spawn, ttm};
use crate::model::sync::{Arc, yield_now};
use crate::model::trace::{EDEADLK, Ev, errno_name};
use crate::model::variants::Variant;
use crate::model::{Machine, Options, Task};
use crate::walker::evict::ttm_bo_validate_exhaustive;
use crate::walker::iter::OpCtx;
use crate::walker::*;
use crate::ww::{
    Algo, WwAcquireCtx, WwClass, WwMutex, ww_acquire_fini, ww_acquire_init, ww_mutex_lock,
    ww_mutex_lock_slow, ww_mutex_unlock,
};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

// ------------------------------------------------------------------------------- B3

/// `jiffies` and `stress->timeout` of one `stress()` run. The model has no clock: time
/// passes by one tick per lock attempt of a worker (each is at least one scheduling
/// slice: `ww_mutex_lock` and `dummy_load`'s `usleep_range`), so the 2 s of the kernel
/// become [`STRESS_TICKS`] attempts in all. `time_after(jiffies, timeout)` is the only
/// test on it, so the lasso fingerprint keeps only the time left (0 once expired), as the
/// SVM timeslice does.
struct Jiffies {
    now: AtomicU64,
    timeout: u64,
}

/// Lock attempts (all workers together) before `stress->timeout` passes.
const STRESS_TICKS: u64 = 4;

/// Transactions per worker at most (the model's bound on the outer `do { } while
/// (!time_after(jiffies, stress->timeout))`, which ends earlier when the time is up).
const STRESS_MAX_TRANSACTIONS: usize = 3;

impl Jiffies {
    fn tick(&self) {
        self.now.fetch_add(1, Ordering::SeqCst);
    }

    /// `time_after(jiffies, stress->timeout)`.
    fn time_after(&self) -> bool {
        self.now.load(Ordering::SeqCst) > self.timeout
    }

    #[cfg_attr(loom, allow(dead_code))]
    fn left(&self) -> u64 {
        self.timeout.saturating_sub(self.now.load(Ordering::SeqCst))
    }
}

/// The value of a checker atomic read without a scheduling point: its `Debug` output
/// (shuttle's `Debug` of an atomic reads the cell without `thread::switch`). Only for
/// the lasso fingerprint, which must be one consistent snapshot taken in one step.
#[cfg_attr(loom, allow(dead_code))]
fn peek(a: &impl std::fmt::Debug) -> String {
    format!("{a:?}")
}

/// The ww state the stress workers read, for the lasso fingerprint at their retry point:
/// every lock's owner word (with its flags), `ww->ctx` and ghost holder context, whether it
/// has a waiter, and every live context's stamp, `acquired`, `wounded` and contending
/// lock. Sound for the B3 scenarios, where a lock has at most one waiter (two workers):
/// which task waits where is in the generic part of the fingerprint (its `blocked_on`), so
/// the wait lists are determined by it.
#[cfg_attr(loom, allow(dead_code))]
fn ww_state_hash(class: &WwClass, locks: &[Arc<WwMutex>], jiffies: &Jiffies) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    jiffies.left().hash(&mut h);
    for l in locks {
        (
            peek(&*l.owner),
            peek(&l.ctx),
            l.ghost_ctx.load(Ordering::SeqCst),
            l.first.load(Ordering::SeqCst) != 0,
        )
            .hash(&mut h);
    }
    for id in 1..=class.contexts_initialised() {
        let c = class.ctx(id);
        if !c.live.load(Ordering::SeqCst) {
            continue;
        }
        (
            id,
            c.stamp(),
            c.acquired(),
            peek(&c.wounded),
            c.contending_lock.load(Ordering::SeqCst),
        )
            .hash(&mut h);
    }
    h.finish()
}

/// `stress_inorder_work` (kernel/locking/test-ww_mutex.c, mainline at 0923fd0419a1,
/// with cfa92b6d5207) and, with variant `stress-retry-no-timeout`, the loop before that
/// fix, whose -EDEADLK branch goes back to `retry:` without looking at the deadline. The
/// order is fixed per worker instead of `get_random_order`; `pr_err_once` is a trace note.
/// The `retry:` label is a retry point of the lasso check; a completed transaction is the
/// worker's operation.
fn stress_inorder_work(
    t: &Arc<Task>,
    class: &Arc<WwClass>,
    locks: &[Arc<WwMutex>],
    all: &[Arc<WwMutex>],
    jiffies: &Jiffies,
) {
    let m = &t.machine;
    // Under loom there is no retry point here (see below): `all` is only hashed for it.
    #[cfg(loom)]
    let _ = all;
    let no_timeout_check = m.variant(Variant::StressRetryNoTimeout);
    let nlocks = locks.len();
    for _ in 0..STRESS_MAX_TRANSACTIONS {
        let ctx: Arc<WwAcquireCtx> = ww_acquire_init(t, class);
        let mut contended: isize = -1;
        let mut late_retries = 0u32;
        let mut err;
        loop {
            // retry: (no retry point under loom: the fingerprint peeks at atomics through
            // shuttle's Debug, which loom's atomics do not offer without a load)
            #[cfg(not(loom))]
            m.retry_point(
                t,
                "stress_inorder_work retry: (relock after ww_mutex_lock_slow)",
                &[("contended", contended as u64)],
                ww_state_hash(class, all, jiffies),
            );
            err = 0;
            let mut n = 0usize;
            while n < nlocks {
                if n as isize == contended {
                    n += 1;
                    continue;
                }
                jiffies.tick();
                err = ww_mutex_lock(t, &locks[n], Some(&ctx));
                if err < 0 {
                    break;
                }
                n += 1;
            }
            if err == 0 {
                dummy_load();
            }
            if contended > n as isize {
                ww_mutex_unlock(t, &locks[contended as usize]);
            }
            contended = n as isize;
            while n > 0 {
                n -= 1;
                ww_mutex_unlock(t, &locks[n]);
            }
            if err == -EDEADLK && (no_timeout_check || !jiffies.time_after()) {
                if jiffies.time_after() {
                    late_retries += 1;
                    check_late_retries(t, late_retries);
                }
                ww_mutex_lock_slow(t, &locks[contended as usize], &ctx);
                continue;
            }
            break;
        }
        if no_timeout_check {
            // Before cfa92b6d5207 the error check came first and ww_acquire_fini after it.
            if err != 0 {
                pr_err_once(t, err);
                return;
            }
            ww_acquire_fini(t, &ctx);
        } else {
            ww_acquire_fini(t, &ctx);
            if err != 0 {
                pr_err_once(t, err);
                return;
            }
        }
        m.op_done(t);
        if jiffies.time_after() {
            return;
        }
    }
}

/// Retries a worker may still start once `stress->timeout` has passed.
const STRESS_LATE_RETRIES: u32 = 0;

/// The deadline's promise (the bounded fallback of `model::progress`): once
/// `time_after(jiffies, stress->timeout)`, a stress worker bails out rather than retrying
/// on ("Make sure we bail out instead of livelock"). The fixed loop checks the deadline
/// before every retry, so it never retries late; a loop that goes back to `retry:`
/// regardless relies on ww progress alone, and for as long as -EDEADLK comes (the 64-CPU
/// runs of cfa92b6d5207: a livelock) it never ends. More than [`STRESS_LATE_RETRIES`]
/// late retries are reported as `livelock`, as a bound, not a proven cycle: with two
/// workers the model's ww_mutex always lets the oldest context finish, so no lasso is
/// reachable here (the retry point above would prove one if it were).
fn check_late_retries(t: &Arc<Task>, n: u32) {
    if n > STRESS_LATE_RETRIES {
        let m = &t.machine;
        m.fail(
            crate::model::property::Property::Livelock,
            crate::model::progress::retry_bound(
                &m.rec,
                t.id,
                "stress_inorder_work (goto retry after -EDEADLK)",
                n,
                "stress->timeout has passed and the loop never looks at it before retrying",
            ),
        );
    }
}

fn pr_err_once(t: &Task, err: i32) {
    t.event(|| {
        Ev::Note(format!(
            "pr_err_once: stress (stress_inorder_work) failed with {}",
            errno_name(err)
        ))
    });
}

/// `stress(class, nlocks = 2, nthreads = 2, STRESS_INORDER)` with the two workers taking
/// the locks in opposite orders and the deadline [`STRESS_TICKS`] attempts away.
fn stress_deadline(m: &Arc<Machine>, main: &Arc<Task>, algo: Algo) {
    let class = match algo {
        Algo::WaitDie => WwClass::new("wd_class", algo, 0),
        Algo::WoundWait => WwClass::new("ww_class", algo, 0),
    };
    let all = super::common::locks(m, &class, "L", 2);
    let jiffies = Arc::new(Jiffies {
        now: AtomicU64::new(0),
        timeout: STRESS_TICKS,
    });
    let handles: Vec<_> = (0..2)
        .map(|w| {
            let mut order: Vec<Arc<WwMutex>> = all.iter().map(Arc::clone).collect();
            if w == 1 {
                order.reverse();
            }
            let (class, all, jiffies) = (Arc::clone(&class), all.clone(), Arc::clone(&jiffies));
            m.spawn("stress_inorder_work", move |t| {
                stress_inorder_work(&t, &class, &order, &all, &jiffies)
            })
            .1
        })
        .collect();
    for h in handles {
        m.join(main, h);
    }
    super::common::check_quiescent(m, &all);
}

// ------------------------------------------------------------------------------ B22

/// A command submission in the style of amdgpu CS / xe exec: ticket, lock `own` (a BO it
/// keeps in VRAM) and `bo`, validate `bo` into VRAM (eviction under the ticket), unlock.
/// A failed validate (-ENOMEM: a younger ticket that met an older one's BO) makes it drop
/// everything and resubmit, up to `tries` times (userspace retrying the ioctl).
fn resubmitting_client(t: &Arc<Task>, w: &World, own: &Arc<TtmBo>, bo: &Arc<TtmBo>, tries: u32) {
    for _ in 0..tries {
        let ticket = ww_acquire_init(t, &w.dev.class);
        super::ttm_more::drm_exec_lock_all(t, &w.dev, &[Arc::clone(own), Arc::clone(bo)], &ticket);
        let ret =
            ttm_bo_validate_exhaustive(t, &w.dev, &ticket, bo, TTM_PL_VRAM, &OpCtx::default());
        ttm_bo_unreserve(t, &w.dev, bo);
        ttm_bo_unreserve(t, &w.dev, own);
        ww_acquire_fini(t, &ticket);
        if ret == 0 {
            return;
        }
        yield_now();
    }
}

// ------------------------------------------------------------------------------ B27

/// `amdgpu_vm_pt_free` (drivers/gpu/drm/amd/amdgpu/amdgpu_vm_pt.c, mainline; the VM's
/// root resv held): take the page table out of the VM's bulk move
/// (`ttm_bo_set_bulk_move(&entry->bo->tbo, NULL)`), then drop the VM's reference
/// (`amdgpu_bo_unref`). Variant `vm-pt-free-keeps-bulk` (B27) leaves the bulk move set,
/// as the v5.19 drm-next merge of fee2ede15542 with 184a69ca4d41 did. Left out: the
/// shadow BO (gone since v6.12), the memory statistics and the `vm_status` list.
pub fn amdgpu_vm_pt_free(t: &Arc<Task>, w: &World, pt: &Arc<TtmBo>) {
    if !t.machine.variant(Variant::VmPtFreeKeepsBulk) {
        ttm_bo_set_bulk_move(t, &w.dev, pt, None);
    }
    ttm_bo_put(t, &w.dev, pt);
}

/// `amdgpu_vm_fini` in the order it tears a VM down: reserve the root PD, free the page
/// tables (`amdgpu_vm_pt_free_root` → `amdgpu_vm_pt_free_dfs`, the root last), unreserve,
/// then `ttm_lru_bulk_move_fini(&adev->mman.bdev, &vm->lru_bulk_move)` and the VM's memory
/// goes (`kfree(vm)` by the caller: the bulk is dead from then on).
fn amdgpu_vm_fini(t: &Arc<Task>, w: &World, pts: &[Arc<TtmBo>]) {
    dma_resv_lock_raw(t, &w.dev, &w.vm_resv, None, false);
    for pt in pts {
        amdgpu_vm_pt_free(t, w, pt);
    }
    dma_resv_unlock_raw(t, &w.dev, &w.vm_resv);
    w.dev.bulk_fini(t, w.bulk);
}

/// Register the catalogue scenarios.
pub fn register(out: &mut Vec<Scenario>) {
    for algo in [Algo::WaitDie, Algo::WoundWait] {
        let c = algo.short();
        out.push(super::scenario(
            &format!("stress-inorder-deadline-{c}"),
            &format!(
                "test-ww_mutex stress(INORDER) with its deadline: 2 workers in opposite orders on 2 \
                 locks, at most {STRESS_MAX_TRANSACTIONS} transactions each, the deadline {STRESS_TICKS} \
                 lock attempts away; the retry loop must end once it has passed (B3) ({c})"
            ),
            3,
            Options::default(),
            move |m, main| stress_deadline(m, main, algo),
        ));
    }
    out.push(ttm(
        "ttm-evict-wait-busy",
        "the oldest ticket validates E into a full VRAM (its own V and C's X) while C, a younger \
         ticket, keeps resubmitting a job that holds X and needs VRAM too: the oldest ticket \
         must get X's memory; before the LRU walker, ttm_mem_evict_wait_busy locked X, unlocked \
         it at once and walked again (B22)",
        2,
        2,
        Arc::new(|m, main, w| {
            let v = w.bo(main, "V", TTM_PL_VRAM, 0, false);
            let x = w.bo(main, "X", TTM_PL_VRAM, 0, false);
            let e = w.bo(main, "E", TTM_PL_SYSTEM, 0, false);
            let f = w.bo(main, "F", TTM_PL_SYSTEM, 0, false);
            // The oldest ticket is taken before C's first one and holds V and E throughout.
            let ticket = ww_acquire_init(main, &w.dev.class);
            let r = dma_resv_lock(main, &w.dev, &v, Some(&ticket), false);
            expect_ok_or_injected(main, r, || "lock V".into());
            let r = dma_resv_lock(main, &w.dev, &e, Some(&ticket), false);
            expect_ok_or_injected(main, r, || "lock E".into());
            let h = spawn(m, "resubmit", w, move |t, w| {
                resubmitting_client(t, w, &x, &f, 3)
            });
            let ret = ttm_bo_validate_exhaustive(
                main,
                &w.dev,
                &ticket,
                &e,
                TTM_PL_VRAM,
                &OpCtx::default(),
            );
            expect_ok_or_injected(main, ret, || {
                "the oldest ticket's validate of E into VRAM".into()
            });
            ttm_bo_unreserve(main, &w.dev, &e);
            ttm_bo_unreserve(main, &w.dev, &v);
            ww_acquire_fini(main, &ticket);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-amdgpu-vm-fini",
        "amdgpu_vm_fini frees a VM's page tables (PT0 busy on the GPU, so its release is \
         delayed; PT1 and the root PD idle) and finishes its bulk move while an evictor walks \
         VRAM and the delayed-delete worker runs: no page table may still be in the VM's \
         bulk move once the VM is gone (B27)",
        3,
        4,
        Arc::new(|m, main, w| {
            let pd = w.bo(main, "PD", TTM_PL_VRAM, 0, true);
            let pt0 = w.bo(main, "PT0", TTM_PL_VRAM, 0, true);
            let pt1 = w.bo(main, "PT1", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            pt0.busy.store(true, Ordering::SeqCst);
            let h = spawn(m, "evictor", w, |t, w| {
                super::ttm::skip_walk(t, &w.dev, TTM_PL_VRAM);
            });
            let hw = spawn(m, "ttm_bo_delayed_delete", w, |t, w| {
                yield_now();
                ttm_device_flush_delayed(t, &w.dev);
            });
            amdgpu_vm_fini(main, w, &[pt0, pt1, pd]);
            m.join(main, h);
            m.join(main, hw);
            w.quiesce(main);
        }),
    ));
}
