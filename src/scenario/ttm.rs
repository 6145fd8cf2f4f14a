//! TTM scenarios: walkers, evictors, swapout and shrinkers against command submission
//! bumping BOs and bulk ranges, BO creation, pinning and destruction. Each historical
//! TTM variant has a scenario named in its registry entry; the `ttm-stress-*` shapes run
//! many CPUs at once and must stay clean on the fixed model.

use super::Scenario;
use super::common::{expect, expect_ok_or_injected};
use crate::model::kmutex::KMutex;
use crate::model::sync::{Arc, yield_now};
use crate::model::trace::EBUSY;
use crate::model::{Machine, Options, Task};
use crate::walker::evict::{
    ttm_bo_validate, ttm_bo_validate_exhaustive, ttm_resource_manager_evict_all,
};
use crate::walker::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use crate::walker::shrink::{Shrinker, XeShrinker, shrink_slab};
use crate::walker::swap::ttm_device_swapout;
use crate::walker::*;
use crate::ww::{WwMutex, ww_acquire_fini, ww_acquire_init};

/// A device plus one VM (shared resv + bulk move) for a scenario.
pub struct World {
    pub dev: Arc<TtmDevice>,
    pub vm_resv: Arc<WwMutex>,
    pub bulk: BulkId,
}

impl World {
    pub fn new(m: &Arc<Machine>, cur: &Arc<Task>, cfg: DeviceConfig) -> World {
        let dev = TtmDevice::new(m, cfg, Arc::clone(&m.lockdep));
        let vm_resv = dev.vm_resv("vm.resv");
        let bulk = dev.bulk_init(cur, "vm.lru_bulk_move");
        World { dev, vm_resv, bulk }
    }

    /// A BO with written contents in `mem`; a VM BO shares the VM resv and joins the bulk.
    pub fn bo(
        &self,
        cur: &Arc<Task>,
        name: &str,
        mem: MemType,
        prio: usize,
        vm: bool,
    ) -> Arc<TtmBo> {
        let resv = vm.then_some(&self.vm_resv);
        let bo = self.dev.bo_create(cur, name, 1, prio, resv);
        expect(&cur.machine, dma_resv_trylock(cur, &self.dev, &bo), || {
            format!("setup: {} resv busy", bo.name)
        });
        self.dev.setup_place(cur, &bo, mem);
        if vm {
            ttm_bo_set_bulk_move(cur, &self.dev, &bo, Some(self.bulk));
        }
        dma_resv_unlock(cur, &self.dev, &bo);
        bo
    }

    /// Command submission on the VM (`amdgpu_vm_move_to_lru_tail` / `xe_exec`): lock the
    /// VM resv, bump the bulk, unlock.
    pub fn vm_exec_bump(&self, cur: &Arc<Task>) {
        dma_resv_lock_raw(cur, &self.dev, &self.vm_resv, None, false);
        ttm_lru_bulk_move_tail(cur, &self.dev, self.bulk, &self.vm_resv);
        dma_resv_unlock_raw(cur, &self.dev, &self.vm_resv);
    }

    /// Reserve a BO, `ttm_bo_validate` it into `mem` and unreserve it (bumps it).
    pub fn validate(&self, cur: &Arc<Task>, bo: &Arc<TtmBo>, mem: MemType) -> i32 {
        dma_resv_lock(cur, &self.dev, bo, None, false);
        let ret = ttm_bo_validate(cur, &self.dev, bo, mem, &OpCtx::default());
        ttm_bo_unreserve(cur, &self.dev, bo);
        ret
    }

    /// Reserve and unreserve a BO (every ordinary reserve/unreserve bumps it).
    pub fn touch(&self, cur: &Arc<Task>, bo: &Arc<TtmBo>) {
        dma_resv_lock(cur, &self.dev, bo, None, false);
        yield_now();
        ttm_bo_unreserve(cur, &self.dev, bo);
    }

    /// End of scenario: run the delayed deletes, then check the page ledger and that
    /// nothing is left locked.
    pub fn quiesce(&self, cur: &Arc<Task>) {
        ttm_device_flush_delayed(cur, &self.dev);
        let bos = self.dev.bos(cur);
        let populated: u64 = bos
            .iter()
            .filter(|b| !b.f().destroyed && b.f().tt.as_ref().is_some_and(|t| t.populated))
            .map(|b| b.pages)
            .sum();
        let sys = self.dev.ledger(|l| l.sys_pages);
        if sys != populated {
            self.dev.fail(
                crate::model::property::Property::PageLedger,
                format!("{sys} system pages are accounted to tts but {populated} are populated"),
            );
        }
        // Every live resource belongs to the BO it points to (a resource that is nobody's
        // bo->resource is leaked: it stays on the LRU and in man->usage).
        let leaked = self.dev.lru(cur, |lru| {
            lru.res
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.finished)
                .find(|(r, e)| e.bo.is_none_or(|b| lru.bos[b].f().resource != Some(*r)))
                .map(|(r, _)| lru.res_name(r))
        });
        if let Some(r) = leaked {
            self.dev.fail(
                crate::model::property::Property::PageLedger,
                format!("{r} is leaked: on the LRU and in man->usage, but no BO's resource"),
            );
        }
        for b in &bos {
            expect(
                &cur.machine,
                !crate::ww::ww_mutex_is_locked(b.resv()),
                || format!("{} is still reserved at the end", b.name),
            );
        }
    }
}

/// A driver's pipelined move of `bo` (reserved here) into `mem` as
/// `ttm_bo_move_accel_cleanup` → `ttm_bo_move_to_ghost` does it: allocate the new
/// resource, hand the old one to a ghost (`ttm_buffer_object_transfer`), make the new one
/// `bo->resource`, populate it, unreserve, drop the ghost. Error paths as the kernel's:
/// a failed allocation ends the move; a failed transfer makes the driver move fail and
/// `ttm_bo_handle_move_mem`'s caller frees the new resource (`ttm_resource_free`); the
/// new tt's populate failing leaves the BO in `mem` unpopulated (the next use populates).
/// Every failure must be one injected into this task.
pub fn pipelined_move(main: &Arc<Task>, w: &World, bo: &Arc<TtmBo>, mem: MemType) {
    dma_resv_lock(main, &w.dev, bo, None, false);
    let new = match ttm_resource_alloc(main, &w.dev, bo, mem) {
        Ok(r) => r,
        Err(e) => {
            expect_injected(main, e, "ttm_resource_alloc of the move target");
            ttm_bo_unreserve(main, &w.dev, bo);
            return;
        }
    };
    let ghost = match ttm_buffer_object_transfer(main, &w.dev, bo) {
        Ok(g) => g,
        Err(e) => {
            expect_injected(main, e, "ttm_buffer_object_transfer");
            ttm_resource_free(main, &w.dev, bo, new);
            ttm_bo_unreserve(main, &w.dev, bo);
            return;
        }
    };
    bo.f().resource = Some(new);
    let ret = ttm_tt_populate(main, &w.dev, bo);
    if ret != 0 {
        expect_injected(main, ret, "ttm_tt_populate of the new tt");
    }
    ttm_bo_unreserve(main, &w.dev, bo);
    ttm_bo_put(main, &w.dev, &ghost);
}

/// A kernel call of `cur` failed with `ret`: legitimate only if a failure was injected
/// into this task (the kernel propagates it), else an `expectation` failure.
pub fn expect_injected(cur: &Arc<Task>, ret: i32, what: &str) {
    super::common::expect_ok_or_injected(cur, ret, || what.to_string());
}

/// A skipping walker: visits every BO of `man` (trylock only), lets others run while it
/// holds each one, processes nothing.
pub fn skip_walk(cur: &Arc<Task>, dev: &TtmDevice, man: MemType) {
    let arg = WalkArg {
        trylock_only: true,
        ..Default::default()
    };
    ttm_lru_walk_for_evict(cur, dev, man, arg, i64::MAX, |_, _| {
        yield_now();
        -(EBUSY as i64)
    });
}

fn cfg(vram: u64) -> DeviceConfig {
    DeviceConfig {
        vram_pages: vram,
        tt_pages: None,
    }
}

pub type Body = dyn Fn(&Arc<Machine>, &Arc<Task>, &World) + Send + Sync;

pub fn ttm(name: &str, description: &str, tasks: usize, vram: u64, body: Arc<Body>) -> Scenario {
    Scenario {
        name: name.to_string(),
        area: "ttm",
        description: description.to_string(),
        tasks,
        options: Options::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let w = World::new(m, main, cfg(vram));
            body(m, main, &w);
        }),
    }
}

pub fn spawn(
    m: &Arc<Machine>,
    name: &str,
    w: &World,
    f: impl FnOnce(&Arc<Task>, &World) + Send + 'static,
) -> crate::model::sync::thread::JoinHandle<()> {
    let w = World {
        dev: Arc::clone(&w.dev),
        vm_resv: Arc::clone(&w.vm_resv),
        bulk: w.bulk,
    };
    m.spawn(name, move |t| f(&t, &w)).1
}

/// Register every TTM scenario.
pub fn register(out: &mut Vec<Scenario>) {
    out.push(ttm(
        "ttm-walk-bulk-bump",
        "a walker parks its hitch inside a VM's bulk range (A0 | A1) while command submission \
         bumps the bulk; X behind the range must still be visited (B19)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            w.vm_exec_bump(main);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-walk-priorities",
        "a walker over BOs of priorities 0 and 1 while another CPU reserves and unreserves the \
         priority-0 BO; every priority must be walked",
        2,
        8,
        Arc::new(|m, main, w| {
            let p0 = w.bo(main, "P0", TTM_PL_VRAM, 0, false);
            w.bo(main, "P1", TTM_PL_VRAM, 1, false);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            w.touch(main, &p0);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-bulk-bump",
        "a VM BO that is the first entry of its bulk range is reserved and unreserved (bumped \
         to the range tail) while a walker runs and the bulk is bumped (B15)",
        2,
        8,
        Arc::new(|m, main, w| {
            let a0 = w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            w.bo(main, "A2", TTM_PL_VRAM, 0, true);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            w.touch(main, &a0);
            w.vm_exec_bump(main);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-swapout-bulk",
        "swapout of a VM's system BOs while the VM bumps its bulk and then closes one BO \
         (set_bulk_move(NULL), put) (B14, spec §10.7)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.dev.set_default_tt_kind(TtKind::Plain); // TTM swapout skips Xe (EXTERNAL) tts
            let a0 = w.bo(main, "A0", TTM_PL_SYSTEM, 0, true);
            w.bo(main, "A1", TTM_PL_SYSTEM, 0, true);
            let h = spawn(m, "swapout", w, |t, w| {
                let ctx = OpCtx::default();
                ttm_device_swapout(t, &w.dev, &ctx);
                ttm_device_swapout(t, &w.dev, &ctx);
            });
            w.vm_exec_bump(main);
            dma_resv_lock(main, &w.dev, &a0, None, false);
            ttm_bo_set_bulk_move(main, &w.dev, &a0, None);
            dma_resv_unlock(main, &w.dev, &a0);
            ttm_bo_put(main, &w.dev, &a0);
            w.vm_exec_bump(main);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-vm-pin",
        "a pinned BO sharing the VM resv joins and leaves the VM's bulk move while a walker \
         runs (B16)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            let p = w.dev.bo_create(main, "P", 1, 0, Some(&w.vm_resv));
            dma_resv_trylock(main, &w.dev, &p);
            w.dev.setup_place(main, &p, TTM_PL_VRAM);
            dma_resv_unlock(main, &w.dev, &p);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            dma_resv_lock(main, &w.dev, &p, None, false);
            ttm_bo_pin(main, &w.dev, &p);
            ttm_bo_set_bulk_move(main, &w.dev, &p, Some(w.bulk));
            ttm_lru_bulk_move_tail(main, &w.dev, w.bulk, &w.vm_resv);
            ttm_bo_set_bulk_move(main, &w.dev, &p, None);
            ttm_bo_unpin(main, &w.dev, &p);
            ttm_bo_unreserve(main, &w.dev, &p);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-ghost",
        "a pipelined move hands a VM BO's VRAM resource to a ghost object that is then \
         released, while a walker runs (B17)",
        2,
        8,
        Arc::new(|m, main, w| {
            let a0 = w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            pipelined_move(main, w, &a0, TTM_PL_TT);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-evict-pin",
        "VRAM is full (X, Y); one CPU pins X while another validates E into VRAM and must \
         evict (B18)",
        2,
        2,
        Arc::new(|m, main, w| {
            let x = w.bo(main, "X", TTM_PL_VRAM, 0, false);
            w.bo(main, "Y", TTM_PL_VRAM, 0, false);
            let e = w.bo(main, "E", TTM_PL_SYSTEM, 0, false);
            let h = spawn(m, "pin", w, move |t, w| {
                dma_resv_lock(t, &w.dev, &x, None, false);
                ttm_bo_pin(t, &w.dev, &x);
                dma_resv_unlock(t, &w.dev, &x);
            });
            let ret = w.validate(main, &e, TTM_PL_VRAM);
            m.join(main, h);
            expect_ok_or_injected(main, ret, || "validate E into VRAM".into());
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-evict-all-race",
        "ttm_resource_manager_evict_all(VRAM) races a CPU that validates X from VRAM to TT \
         (B20)",
        2,
        2,
        Arc::new(|m, main, w| {
            let x = w.bo(main, "X", TTM_PL_VRAM, 0, false);
            w.bo(main, "Y", TTM_PL_VRAM, 0, false);
            let h = spawn(m, "evict_all", w, |t, w| {
                let ret = ttm_resource_manager_evict_all(t, &w.dev, TTM_PL_VRAM);
                expect_ok_or_injected(t, ret, || "evict_all".into());
            });
            let ret = w.validate(main, &x, TTM_PL_TT);
            m.join(main, h);
            expect_ok_or_injected(main, ret, || "validate X into TT".into());
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-walk-release",
        "swapout walks the system LRU while another CPU drops the last reference of a BO on \
         it (B21)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.dev.set_default_tt_kind(TtKind::Plain); // TTM swapout skips Xe (EXTERNAL) tts
            let x = w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            w.bo(main, "Y", TTM_PL_SYSTEM, 0, false);
            let h = spawn(m, "swapout", w, |t, w| {
                ttm_device_swapout(t, &w.dev, &OpCtx::default());
            });
            ttm_bo_put(main, &w.dev, &x);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-evict-ticket",
        "exhaustive eviction: the oldest ticket holds the VM (A0, A1 in VRAM) and validates E \
         into full VRAM while another CPU holds Y for a while; A0/A1 give -EALREADY (B23)",
        2,
        3,
        Arc::new(|m, main, w| {
            w.bo(main, "A0", TTM_PL_VRAM, 0, true);
            w.bo(main, "A1", TTM_PL_VRAM, 0, true);
            let y = w.bo(main, "Y", TTM_PL_VRAM, 0, false);
            let e = w.bo(main, "E", TTM_PL_SYSTEM, 0, false);
            let h = spawn(m, "holder", w, move |t, w| {
                dma_resv_lock(t, &w.dev, &y, None, false);
                yield_now();
                dma_resv_unlock(t, &w.dev, &y);
            });
            let ticket = ww_acquire_init(main, &w.dev.class);
            let vm = w
                .dev
                .bos(main)
                .into_iter()
                .find(|b| &*b.name == "A0")
                .expect("A0");
            let r = dma_resv_lock(main, &w.dev, &vm, Some(&ticket), false);
            expect_ok_or_injected(main, r, || "lock VM".into());
            let r = dma_resv_lock(main, &w.dev, &e, Some(&ticket), false);
            expect_ok_or_injected(main, r, || "lock E".into());
            ttm_bo_validate_exhaustive(main, &w.dev, &ticket, &e, TTM_PL_VRAM, &OpCtx::default());
            ttm_bo_unreserve(main, &w.dev, &e);
            ttm_bo_unreserve(main, &w.dev, &vm);
            ww_acquire_fini(main, &ticket);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-shrink-kswapd",
        "kswapd runs the Xe shrinker over a busy BO followed by idle ones while another CPU \
         touches BOs one at a time (B25)",
        2,
        8,
        Arc::new(|m, main, w| {
            let b0 = w.bo(main, "B0", TTM_PL_SYSTEM, 0, false);
            b0.busy.store(true, std::sync::atomic::Ordering::SeqCst);
            w.bo(main, "B1", TTM_PL_SYSTEM, 0, false);
            let b2 = w.bo(main, "B2", TTM_PL_SYSTEM, 0, false);
            let h = spawn(m, "kswapd", w, |t, w| {
                let s: Arc<dyn Shrinker> = XeShrinker::new(&w.dev, 1, true);
                shrink_slab(t, &w.dev, &[s], true, 0);
            });
            w.touch(main, &b2);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-shrink-revalidate",
        "direct reclaim backs up TT BOs while another CPU touches one of them; afterwards \
         the owner validates X into VRAM, which must restore its backed-up contents (B24)",
        2,
        8,
        Arc::new(|m, main, w| {
            let x = w.bo(main, "X", TTM_PL_TT, 0, false);
            let y = w.bo(main, "Y", TTM_PL_TT, 0, false);
            let h = spawn(m, "reclaim", w, |t, w| {
                let s: Arc<dyn Shrinker> = XeShrinker::new(&w.dev, 1, false);
                shrink_slab(t, &w.dev, &[s], false, 0);
            });
            w.touch(main, &y);
            m.join(main, h);
            let ret = w.validate(main, &x, TTM_PL_VRAM);
            expect_ok_or_injected(main, ret, || "validate X into VRAM".into());
            w.quiesce(main);
        }),
    ));
    out.push(ttm(
        "ttm-unpin-sole-member",
        "the only BO of a VM's bulk range is pinned and unpinned while a walker runs; after the \
         unpin the resource must be back on its LRU (mainline finding, variant unpin-sole-member)",
        2,
        8,
        Arc::new(|m, main, w| {
            let a = w.bo(main, "A", TTM_PL_VRAM, 0, true);
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            let h = spawn(m, "walker", w, |t, w| skip_walk(t, &w.dev, TTM_PL_VRAM));
            dma_resv_lock(main, &w.dev, &a, None, false);
            ttm_bo_pin(main, &w.dev, &a);
            ttm_bo_unpin(main, &w.dev, &a);
            dma_resv_unlock(main, &w.dev, &a);
            m.join(main, h);
            w.quiesce(main);
        }),
    ));
    super::ttm_more::register(out);
    super::ttm_warn::register(out);
    for cpus in [4usize, 8, 16, 32, 64] {
        out.push(stress(cpus));
    }
    broken_clients(out);
}

/// A shrinker written against the contract of `mm/shrinker.c` by a broken driver.
struct BrokenShrinker {
    name: &'static str,
    dev: Arc<TtmDevice>,
    nr_deferred: crate::model::sync::atomic::AtomicU64,
    /// What the broken scan does.
    scan: Box<ScanFn>,
}

type ScanFn =
    dyn Fn(&Arc<Task>, &TtmDevice, &mut crate::walker::shrink::ShrinkControl) -> u64 + Send + Sync;

impl Shrinker for BrokenShrinker {
    fn name(&self) -> &str {
        self.name
    }
    fn ledger_device(&self) -> &TtmDevice {
        &self.dev
    }
    fn nr_deferred(&self) -> &crate::model::sync::atomic::AtomicU64 {
        &self.nr_deferred
    }
    fn batch(&self) -> u64 {
        1
    }
    fn count_objects(&self, _: &Arc<Task>, _: &crate::walker::shrink::ShrinkControl) -> u64 {
        2
    }
    fn scan_objects(&self, cur: &Arc<Task>, sc: &mut crate::walker::shrink::ShrinkControl) -> u64 {
        (self.scan)(cur, &self.dev, sc)
    }
}

fn broken_shrinker(
    w: &World,
    scan: impl Fn(&Arc<Task>, &TtmDevice, &mut crate::walker::shrink::ShrinkControl) -> u64
    + Send
    + Sync
    + 'static,
) -> Arc<dyn Shrinker> {
    broken_shrinker_named(w, "broken", scan)
}

/// [`broken_shrinker`] under its own name (reports say `drv[name]`).
pub fn broken_shrinker_named(
    w: &World,
    name: &'static str,
    scan: impl Fn(&Arc<Task>, &TtmDevice, &mut crate::walker::shrink::ShrinkControl) -> u64
    + Send
    + Sync
    + 'static,
) -> Arc<dyn Shrinker> {
    Arc::new(BrokenShrinker {
        name,
        dev: Arc::clone(&w.dev),
        nr_deferred: crate::model::sync::atomic::AtomicU64::new(0),
        scan: Box::new(scan),
    })
}

fn first_bo(dev: &TtmDevice, cur: &Arc<Task>) -> Arc<TtmBo> {
    dev.bos(cur).into_iter().next().expect("a BO")
}

/// Broken driver code the checks must catch (not part of the default hunt).
fn broken_clients(out: &mut Vec<Scenario>) {
    out.push(ttm(
        "broken-client-ttm-shrinker-blocks",
        "a shrinker takes a BO's dma_resv with a sleeping lock inside reclaim (lock-order)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            let s = broken_shrinker(w, |t, dev, sc| {
                let bo = first_bo(dev, t);
                dma_resv_lock(t, dev, &bo, None, false);
                dma_resv_unlock(t, dev, &bo);
                sc.nr_scanned = 1;
                0
            });
            let h = spawn(m, "kswapd", w, move |t, w| {
                shrink_slab(t, &w.dev, &[s], true, 0);
            });
            m.join(main, h);
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-alloc-under-reclaim-lock",
        "a driver lock is taken inside its shrinker and held elsewhere across a reclaiming \
         allocation (ttm_tt_populate): fs_reclaim -> vm_lock -> fs_reclaim (lock-order, found \
         across executions even when no schedule deadlocks)",
        2,
        8,
        Arc::new(|m, main, w| {
            let x = w.bo(main, "X", TTM_PL_VRAM, 0, false);
            // The driver's VM lock: a plain struct mutex, shared by the shrinker and
            // the submission path.
            let vm_lock = Arc::new(KMutex::new(m, "driver_vm_lock"));
            let shrinker_lock = Arc::clone(&vm_lock);
            let s = broken_shrinker(w, move |t, _dev, sc| {
                KMutex::unlock(t, shrinker_lock.lock(t));
                sc.nr_scanned = 1;
                0
            });
            let h = spawn(m, "reclaim", w, move |t, w| {
                shrink_slab(t, &w.dev, &[s], false, 0);
            });
            let g = vm_lock.lock(main);
            dma_resv_lock(main, &w.dev, &x, None, false);
            let _ = ttm_tt_populate(main, &w.dev, &x);
            ttm_tt_unpopulate(&w.dev, &x);
            dma_resv_unlock(main, &w.dev, &x);
            KMutex::unlock(main, g);
            m.join(main, h);
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-walk-self-bump",
        "a process_bo callback bumps the BO it processes to the LRU tail (ttm_bo_unreserve \
         style) and skips it: the walk never ends (walk-progress)",
        1,
        8,
        Arc::new(|_m, main, w| {
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            w.bo(main, "Y", TTM_PL_VRAM, 0, false);
            let arg = WalkArg {
                trylock_only: true,
                ..Default::default()
            };
            ttm_lru_walk_for_evict(main, &w.dev, TTM_PL_VRAM, arg, i64::MAX, |_, bo| {
                ttm_bo_move_to_lru_tail_unlocked(main, &w.dev, bo);
                -(EBUSY as i64)
            });
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-unlock-in-callback",
        "two walkers whose process_bo drops and retakes the BO's resv in the middle: both \
         process the same BO at once (bo-processed-twice)",
        2,
        8,
        Arc::new(|m, main, w| {
            w.bo(main, "X", TTM_PL_VRAM, 0, false);
            let walk = |t: &Arc<Task>, w: &World| {
                let arg = WalkArg {
                    trylock_only: true,
                    ..Default::default()
                };
                ttm_lru_walk_for_evict(t, &w.dev, TTM_PL_VRAM, arg, i64::MAX, |_, bo| {
                    dma_resv_unlock(t, &w.dev, bo);
                    yield_now();
                    dma_resv_lock(t, &w.dev, bo, None, false);
                    -(EBUSY as i64)
                });
            };
            let h = spawn(m, "walker", w, move |t, w| walk(t, w));
            walk(main, w);
            m.join(main, h);
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-scan-no-progress",
        "a scan_objects that frees nothing, reports nr_scanned 0 and does not return \
         SHRINK_STOP: do_shrink_slab never ends (livelock)",
        1,
        8,
        Arc::new(|_m, main, w| {
            let s = broken_shrinker(w, |_, _, sc| {
                sc.nr_scanned = 0;
                0
            });
            shrink_slab(main, &w.dev, &[s], false, 0);
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-scan-overreports",
        "a scan_objects that frees nothing but returns 1 page freed: reclaim is credited with \
         progress it did not make (page-ledger)",
        1,
        8,
        Arc::new(|_m, main, w| {
            w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            let s = broken_shrinker(w, |_, _, sc| {
                sc.nr_scanned = 1;
                1
            });
            shrink_slab(main, &w.dev, &[s], false, 0);
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-purge-live-data",
        "a driver purges a BO whose contents are not purgeable (page-ledger)",
        1,
        8,
        Arc::new(|_m, main, w| {
            let x = w.bo(main, "X", TTM_PL_SYSTEM, 0, false);
            dma_resv_lock(main, &w.dev, &x, None, false);
            let flags = crate::walker::shrink::ShrinkFlags {
                purge: true,
                ..Default::default()
            };
            crate::walker::shrink::ttm_bo_shrink(main, &w.dev, &OpCtx::default(), &x, flags);
            dma_resv_unlock(main, &w.dev, &x);
        }),
    ));
    out.push(ttm(
        "broken-client-ttm-pin-unlocked",
        "a driver pins a BO without holding its resv (lru-locking)",
        1,
        8,
        Arc::new(|_m, main, w| {
            let x = w.bo(main, "X", TTM_PL_VRAM, 0, false);
            ttm_bo_pin(main, &w.dev, &x);
        }),
    ));
}

/// Many CPUs at once on the fixed model: VM submissions with tickets validating into a
/// small VRAM (eviction), bulk bumps, direct reclaimers and kswapd on the Xe shrinker,
/// swapout, and a CPU creating and destroying BOs.
pub fn stress(cpus: usize) -> Scenario {
    ttm(
        &format!("ttm-stress-{cpus}"),
        &format!(
            "{cpus} CPUs: VM command submission (ticket, validate into a 4-page VRAM, bulk bump), \
             direct reclaim and kswapd on the Xe shrinker, swapout, and BO create/destroy"
        ),
        cpus,
        4,
        Arc::new(move |m, main, w| {
            let vm: Vec<_> = (0..3)
                .map(|i| w.bo(main, &format!("A{i}"), TTM_PL_VRAM, 0, true))
                .collect();
            let loose: Vec<_> = (0..3)
                .map(|i| w.bo(main, &format!("L{i}"), TTM_PL_SYSTEM, i % 2, false))
                .collect();
            // L1 is a generic driver's BO (TTM swapout may take it); the others are Xe's
            // (EXTERNAL tts: the Xe shrinker's, skipped by swapout).
            w.dev.set_tt_kind(&loose[1], TtKind::Plain);
            w.bo(main, "V", TTM_PL_VRAM, 1, false);
            let mut hs = Vec::new();
            for c in 1..cpus {
                let vm0 = Arc::clone(&vm[c % vm.len()]);
                let bo = Arc::clone(&loose[c % loose.len()]);
                let role = c % 5;
                hs.push(spawn(
                    m,
                    ["exec", "reclaim", "kswapd", "swapout", "exec"][role],
                    w,
                    move |t, w| match role {
                        0 | 4 => {
                            let ticket = ww_acquire_init(t, &w.dev.class);
                            if dma_resv_lock(t, &w.dev, &vm0, Some(&ticket), false) == 0 {
                                if dma_resv_lock(t, &w.dev, &bo, Some(&ticket), false) == 0 {
                                    ttm_bo_validate(t, &w.dev, &bo, TTM_PL_VRAM, &OpCtx::default());
                                    ttm_bo_unreserve(t, &w.dev, &bo);
                                }
                                ttm_lru_bulk_move_tail(t, &w.dev, w.bulk, &w.vm_resv);
                                dma_resv_unlock(t, &w.dev, &vm0);
                            }
                            ww_acquire_fini(t, &ticket);
                        }
                        1 | 2 => {
                            let s: Arc<dyn Shrinker> = XeShrinker::new(&w.dev, 1, false);
                            shrink_slab(t, &w.dev, &[s], role == 2, 0);
                        }
                        _ => {
                            ttm_device_swapout(t, &w.dev, &OpCtx::default());
                        }
                    },
                ));
            }
            // cpu0: create, use and destroy a BO.
            let tmp = w.bo(main, "T", TTM_PL_SYSTEM, 0, false);
            w.touch(main, &tmp);
            ttm_bo_put(main, &w.dev, &tmp);
            for h in hs {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    )
}
