//! The run time of `ttm` scenario files (the format is `file::ttm`): build the device,
//! VMs, BOs and shrinkers of one execution on `cpu0`, run every actor on its CPU, join,
//! and check the end state. Each operation calls the model function the built-in TTM
//! scenarios call (src/scenario/ttm.rs, ttm_more.rs; src/walker/*), so a file re-creates
//! a built-in scenario step for step.

use super::{Actor, Behaviour, DriverScan, ObjDef, Op, Setup, ShrinkerDef};
use crate::model::completion::Completion;
use crate::model::kmutex::{KMutex, KMutexGuard};
use crate::model::sync::{Arc, yield_now};
use crate::model::trace::{EBUSY, ENOMEM};
use crate::model::{Machine, Task};
use crate::scenario::common::{expect, expect_ok_or_injected};
use crate::scenario::ttm::{World, broken_shrinker_named, pipelined_move};
use crate::scenario::ttm_more::{
    WalkShrinker, drm_exec_lock_all, exec_submit, expect_swapped, ticket_scan,
    ttm_device_prepare_hibernation,
};
use crate::walker::designs::DesignShrinker;
use crate::walker::evict::{
    ttm_bo_evict, ttm_bo_validate, ttm_bo_validate_exhaustive, ttm_resource_manager_evict_all,
};
use crate::walker::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use crate::walker::shrink::{
    ShrinkFlags, Shrinker, XeShrinker, shrink_slab, ttm_bo_shrink, ttm_bo_shrink_suitable,
};
use crate::walker::swap::ttm_device_swapout;
use crate::walker::*;
use crate::ww::{WwAcquireCtx, ww_acquire_fini, ww_acquire_init};
use std::sync::atomic::Ordering;

/// An object of one execution.
enum RObj {
    /// Index into [`Rt::worlds`].
    Vm(usize),
    Bo(Arc<TtmBo>),
    Shrinker(Arc<dyn Shrinker>, Option<Arc<DesignShrinker>>),
    Completion(Arc<Completion>),
    Mutex(Arc<KMutex>),
}

/// The world of one execution, shared by the actors.
struct Rt {
    dev: Arc<TtmDevice>,
    /// One per VM, in declaration order (a file without VMs gets one unnamed VM, as
    /// every built-in scenario has one): the device plus the VM's resv and bulk move.
    worlds: Vec<World>,
    objs: Vec<RObj>,
    /// The world of each BO's VM (0 for a BO outside every VM).
    bo_world: Vec<usize>,
}

impl Rt {
    fn bo(&self, i: usize) -> &Arc<TtmBo> {
        match &self.objs[i] {
            RObj::Bo(b) => b,
            _ => unreachable!("checked when the file was loaded"),
        }
    }
    fn world(&self, vm: usize) -> &World {
        match &self.objs[vm] {
            RObj::Vm(w) => &self.worlds[*w],
            _ => unreachable!("checked when the file was loaded"),
        }
    }
    fn shrinker(&self, i: usize) -> Arc<dyn Shrinker> {
        match &self.objs[i] {
            RObj::Shrinker(s, _) => Arc::clone(s),
            _ => unreachable!("checked when the file was loaded"),
        }
    }
    fn mutex(&self, i: usize) -> &Arc<KMutex> {
        match &self.objs[i] {
            RObj::Mutex(l) => l,
            _ => unreachable!("checked when the file was loaded"),
        }
    }
    fn completion(&self, i: usize) -> &Arc<Completion> {
        match &self.objs[i] {
            RObj::Completion(c) => c,
            _ => unreachable!("checked when the file was loaded"),
        }
    }
}

fn world_of(dev: &Arc<TtmDevice>, resv: Arc<crate::ww::WwMutex>, bulk: BulkId) -> World {
    World {
        dev: Arc::clone(dev),
        vm_resv: resv,
        bulk,
    }
}

/// Build the objects on `main` (set-up as `World::bo` does it, plus pin / busy / tt kind /
/// unpopulated as declared), then the shrinkers.
fn build(m: &Arc<Machine>, main: &Arc<Task>, setup: &Setup) -> Rt {
    let d = &setup.device;
    let dev = TtmDevice::new(
        m,
        DeviceConfig {
            vram_pages: d.vram_pages,
            tt_pages: d.tt_pages,
        },
        Arc::clone(&m.lockdep),
    );
    dev.set_default_tt_kind(d.tt);
    let mut worlds = Vec::new();
    let mut objs: Vec<Option<RObj>> = Vec::new();
    let mut bo_world = Vec::new();
    for o in &setup.objects {
        objs.push(match &o.def {
            ObjDef::Vm => {
                let resv = dev.vm_resv(&format!("{}.resv", o.name));
                let bulk = dev.bulk_init(main, &format!("{}.lru_bulk_move", o.name));
                worlds.push(world_of(&dev, resv, bulk));
                Some(RObj::Vm(worlds.len() - 1))
            }
            ObjDef::Completion => Some(RObj::Completion(Arc::new(Completion::new()))),
            ObjDef::Mutex => Some(RObj::Mutex(Arc::new(KMutex::new(m, o.name)))),
            ObjDef::Shrinker(_) | ObjDef::Bo(_) => None,
        });
    }
    if worlds.is_empty() {
        let resv = dev.vm_resv("vm.resv");
        let bulk = dev.bulk_init(main, "vm.lru_bulk_move");
        worlds.push(world_of(&dev, resv, bulk));
    }
    for (i, o) in setup.objects.iter().enumerate() {
        let ObjDef::Bo(b) = &o.def else {
            continue;
        };
        let wi = b.vm.map_or(0, |v| match objs[v] {
            Some(RObj::Vm(w)) => w,
            _ => unreachable!("a vm"),
        });
        bo_world.resize(i + 1, 0);
        bo_world[i] = wi;
        let w = &worlds[wi];
        let resv = b.vm.is_some().then_some(&w.vm_resv);
        let bo = dev.bo_create(main, o.name, b.pages, b.priority, resv);
        if let Some(k) = b.tt {
            dev.set_tt_kind(&bo, k);
        }
        expect(m, dma_resv_trylock(main, &dev, &bo), || {
            format!("setup: {} resv busy", bo.name)
        });
        dev.setup_place(main, &bo, b.mem);
        if !b.populated && b.mem != TTM_PL_VRAM {
            ttm_tt_unpopulate(&dev, &bo);
            let mut f = bo.f();
            f.data = Data::Empty;
            f.version = 0;
        }
        if b.pinned {
            ttm_bo_pin(main, &dev, &bo);
        }
        if b.bulk {
            ttm_bo_set_bulk_move(main, &dev, &bo, Some(w.bulk));
        }
        dma_resv_unlock(main, &dev, &bo);
        bo.busy.store(b.busy, Ordering::SeqCst);
        objs[i] = Some(RObj::Bo(bo));
    }
    bo_world.resize(setup.objects.len(), 0);
    // Shrinkers last: a design shrinker takes the device's BOs at registration.
    for (i, o) in setup.objects.iter().enumerate() {
        let ObjDef::Shrinker(s) = &o.def else {
            continue;
        };
        let (shr, design): (Arc<dyn Shrinker>, _) = match *s {
            ShrinkerDef::Xe { batch, stall_check } => {
                (XeShrinker::new(&dev, batch, stall_check), None)
            }
            ShrinkerDef::TtmWalk => (WalkShrinker::new(&dev), None),
            ShrinkerDef::Design(d) => {
                let ds = DesignShrinker::new(main, d, &dev, o.name, true);
                (Arc::clone(&ds) as Arc<dyn Shrinker>, Some(ds))
            }
            ShrinkerDef::Driver(scan) => {
                let lock = match scan {
                    DriverScan::Mutex(l) => match &objs[l] {
                        Some(RObj::Mutex(k)) => Some(Arc::clone(k)),
                        _ => unreachable!("a mutex"),
                    },
                    _ => None,
                };
                (
                    broken_shrinker_named(&worlds[0], o.name, move |t, dev, sc| {
                        driver_scan(t, dev, sc, scan, lock.as_ref())
                    }),
                    None,
                )
            }
        };
        objs[i] = Some(RObj::Shrinker(shr, design));
    }
    Rt {
        dev,
        worlds,
        objs: objs
            .into_iter()
            .map(|o| o.expect("every object built"))
            .collect(),
        bo_world,
    }
}

/// The scan_objects of a driver-defined shrinker (the broken clients of
/// src/scenario/ttm.rs and ttm_more.rs).
fn driver_scan(
    t: &Arc<Task>,
    dev: &TtmDevice,
    sc: &mut crate::walker::shrink::ShrinkControl,
    scan: DriverScan,
    lock: Option<&Arc<KMutex>>,
) -> u64 {
    match scan {
        DriverScan::Blocks => {
            if let Some(bo) = dev.bos(t).into_iter().next() {
                dma_resv_lock(t, dev, &bo, None, false);
                dma_resv_unlock(t, dev, &bo);
            }
            sc.nr_scanned = 1;
            0
        }
        DriverScan::Mutex(_) => {
            let l = lock.expect("a mutex");
            KMutex::unlock(t, l.lock(t));
            sc.nr_scanned = 1;
            0
        }
        DriverScan::NoProgress => {
            sc.nr_scanned = 0;
            0
        }
        DriverScan::Overreports => {
            sc.nr_scanned = 1;
            1
        }
        DriverScan::WwTicket => ticket_scan(t, dev, sc, false),
        DriverScan::DrmExec => ticket_scan(t, dev, sc, true),
    }
}

/// The body of a ttm file scenario.
pub(crate) fn run(m: &Arc<Machine>, main: &Arc<Task>, setup: &Arc<Setup>) {
    let rt = Arc::new(build(m, main, setup));
    let handles: Vec<_> = (0..setup.actors.len())
        .map(|a| {
            let (rt, setup) = (Arc::clone(&rt), Arc::clone(setup));
            let name = setup.actors[a].name.clone();
            m.spawn(&name, move |t| {
                let actor = &setup.actors[a];
                for _ in 0..actor.repeat {
                    run_actor(&t, &rt, actor);
                }
            })
            .1
        })
        .collect();
    for h in handles {
        m.join(main, h);
    }
    if setup.quiesce {
        rt.worlds[0].quiesce(main);
    }
}

fn check(t: &Arc<Task>, checked: bool, ret: i32, what: impl FnOnce() -> String) {
    if checked {
        expect_ok_or_injected(t, ret, what);
    }
}

/// One pass over an actor's operations.
fn run_actor(t: &Arc<Task>, rt: &Rt, actor: &Actor) {
    let m = &t.machine;
    let dev = &rt.dev;
    let mut ticket: Option<Arc<WwAcquireCtx>> = None;
    let mut held: Vec<Option<KMutexGuard<'_>>> = (0..rt.objs.len()).map(|_| None).collect();
    let name = |i: usize| match &rt.objs[i] {
        RObj::Bo(b) => b.name.to_string(),
        RObj::Vm(w) => rt.worlds[*w].vm_resv.name.to_string(),
        _ => format!("object #{i}"),
    };
    for op in &actor.ops {
        match op {
            Op::AcquireInit => {
                expect(m, ticket.is_none(), || {
                    format!("{}: ww_acquire_init with a ticket already open", actor.name)
                });
                ticket = Some(ww_acquire_init(t, &dev.class));
            }
            Op::AcquireFini => {
                if let Some(c) = ticket.take() {
                    ww_acquire_fini(t, &c);
                }
            }
            Op::ResvLock(i, c) => {
                let ret = match &rt.objs[*i] {
                    RObj::Vm(w) => {
                        dma_resv_lock_raw(t, dev, &rt.worlds[*w].vm_resv, ticket.as_ref(), false)
                    }
                    _ => dma_resv_lock(t, dev, rt.bo(*i), ticket.as_ref(), false),
                };
                check(t, *c, ret, || format!("dma_resv_lock({})", name(*i)));
            }
            Op::ResvUnlock(i) => match &rt.objs[*i] {
                RObj::Vm(w) => dma_resv_unlock_raw(t, dev, &rt.worlds[*w].vm_resv),
                _ => dma_resv_unlock(t, dev, rt.bo(*i)),
            },
            Op::Reserve(i, c) => {
                let ret = ttm_bo_reserve(t, dev, rt.bo(*i), false, ticket.as_ref());
                check(t, *c, ret, || format!("ttm_bo_reserve({})", name(*i)));
            }
            Op::Unreserve(i) => ttm_bo_unreserve(t, dev, rt.bo(*i)),
            Op::Validate(i, mem, c) => {
                let bo = rt.bo(*i);
                let ctx = OpCtx::default();
                match &ticket {
                    Some(tk) => {
                        ttm_bo_validate_exhaustive(t, dev, tk, bo, *mem, &ctx);
                    }
                    None => {
                        let ret = ttm_bo_validate(t, dev, bo, *mem, &ctx);
                        check(t, *c, ret, || {
                            format!("ttm_bo_validate({}, {})", bo.name, mem_type_name(*mem))
                        });
                    }
                }
            }
            Op::Pin(i) => ttm_bo_pin(t, dev, rt.bo(*i)),
            Op::Unpin(i) => ttm_bo_unpin(t, dev, rt.bo(*i)),
            Op::SetBulkMove(i, vm) => {
                let bulk = vm.map(|v| rt.world(v).bulk);
                ttm_bo_set_bulk_move(t, dev, rt.bo(*i), bulk);
            }
            Op::Put(i) => ttm_bo_put(t, dev, rt.bo(*i)),
            Op::BoPopulate(i, c) => {
                let ret = ttm_bo_populate(t, dev, rt.bo(*i));
                check(t, *c, ret, || format!("ttm_bo_populate({})", name(*i)));
            }
            Op::TtPopulate(i, c) => {
                let ret = ttm_tt_populate(t, dev, rt.bo(*i));
                check(t, *c, ret, || format!("ttm_tt_populate({})", name(*i)));
            }
            Op::TtUnpopulate(i) => ttm_tt_unpopulate(dev, rt.bo(*i)),
            Op::BulkMoveTail(vm) => {
                let w = rt.world(*vm);
                ttm_lru_bulk_move_tail(t, dev, w.bulk, &w.vm_resv);
            }
            Op::BulkMoveFini(vm) => {
                let w = rt.world(*vm);
                w.dev.bulk_fini(t, w.bulk);
            }
            Op::AmdgpuVmPtFree(i) => {
                let w = &rt.worlds[rt.bo_world[*i]];
                crate::scenario::catalogue::amdgpu_vm_pt_free(t, w, rt.bo(*i));
            }
            Op::VmExec(vm) => rt.world(*vm).vm_exec_bump(t),
            Op::ExecSubmit(vm_bo, bo, fence) => {
                let w = &rt.worlds[rt.bo_world[*vm_bo]];
                exec_submit(t, w, rt.bo(*vm_bo), rt.bo(*bo), *fence);
            }
            Op::DrmExecLock(list) => {
                let Some(tk) = &ticket else {
                    m.fail(
                        crate::model::property::Property::ClientProtocol,
                        format!("{}: drm_exec_lock without ww_acquire_init", actor.name),
                    )
                };
                let bos: Vec<Arc<TtmBo>> = list.iter().map(|i| Arc::clone(rt.bo(*i))).collect();
                drm_exec_lock_all(t, dev, &bos, tk);
            }
            Op::Walk(mem, b, target) => walk(t, dev, *mem, *b, *target, ticket.as_ref()),
            Op::DeviceSwapout(c) => {
                let ret = ttm_device_swapout(t, dev, &OpCtx::default());
                if ret < 0 {
                    check(t, *c, ret as i32, || "ttm_device_swapout".into());
                }
            }
            Op::PrepareHibernation(c) => {
                let ret = ttm_device_prepare_hibernation(t, dev);
                check(t, *c, ret as i32, || {
                    "ttm_device_prepare_hibernation".into()
                });
            }
            Op::EvictAll(mem, c) => {
                let ret = ttm_resource_manager_evict_all(t, dev, *mem);
                check(t, *c, ret, || {
                    format!("ttm_resource_manager_evict_all({})", mem_type_name(*mem))
                });
            }
            Op::ShrinkSlab(kswapd, list) => {
                let s: Vec<Arc<dyn Shrinker>> = list.iter().map(|i| rt.shrinker(*i)).collect();
                shrink_slab(t, dev, &s, *kswapd, 0);
            }
            Op::MoveAccelCleanup(i, mem) => {
                pipelined_move(t, &rt.worlds[rt.bo_world[*i]], rt.bo(*i), *mem)
            }
            Op::DelayedDelete => ttm_device_flush_delayed(t, dev),
            Op::AddFence(i) => rt.bo(*i).busy.store(true, Ordering::SeqCst),
            Op::SignalFence(i) => rt.bo(*i).busy.store(false, Ordering::SeqCst),
            Op::MutexLock(i) => {
                let l = rt.mutex(*i);
                expect(m, held[*i].is_none(), || {
                    format!("{}: mutex_lock({}) while holding it", actor.name, l.class)
                });
                held[*i] = Some(l.lock(t));
            }
            Op::MutexUnlock(i) => match held[*i].take() {
                Some(g) => KMutex::unlock(t, g),
                None => m.fail(
                    crate::model::property::Property::ClientProtocol,
                    format!(
                        "{}: mutex_unlock({}) without holding it",
                        actor.name,
                        rt.mutex(*i).class
                    ),
                ),
            },
            Op::GemPut(i) => {
                let gem = rt
                    .objs
                    .iter()
                    .find_map(|o| match o {
                        RObj::Shrinker(_, Some(d)) if d.gem.is_some() => Some(d),
                        _ => None,
                    })
                    .expect("checked when the file was loaded");
                gem.gem.as_ref().expect("a gem lru").put(t, dev, rt.bo(*i));
            }
            Op::CheckSwapped(list) => {
                let bos: Vec<&Arc<TtmBo>> = list.iter().map(|i| rt.bo(*i)).collect();
                expect_swapped(t, &rt.worlds[0], &bos);
            }
            Op::Complete(i) => rt.completion(*i).complete(),
            Op::WaitForCompletion(i) => rt
                .completion(*i)
                .wait_for_completion(t, &format!("completion #{i}")),
            Op::Fail(site, errno) => crate::model::fault::force_next(t, *site, *errno),
            Op::Yield => yield_now(),
        }
    }
    expect(m, ticket.is_none(), || {
        format!(
            "{}: ended with its ticket open (no ww_acquire_fini)",
            actor.name
        )
    });
    for (i, g) in held.into_iter().enumerate() {
        if let Some(g) = g {
            let class = rt.mutex(i).class;
            KMutex::unlock(t, g);
            m.fail(
                crate::model::property::Property::ClientProtocol,
                format!("{}: ended holding mutex {class}", actor.name),
            );
        }
    }
}

/// `ttm_lru_walk_for_evict(MEM)` with a named process_bo behaviour. Without a ticket the
/// walk is trylock-only (as swapout and shrinkers walk); with the actor's ticket it is
/// ticketed (`ttm_lru_walk_ticketlock` sleeps on a contended resv, as an evicting
/// `drm_exec` submission walks).
fn walk(
    t: &Arc<Task>,
    dev: &TtmDevice,
    mem: MemType,
    b: Behaviour,
    target: i64,
    ticket: Option<&Arc<WwAcquireCtx>>,
) {
    let arg = WalkArg {
        ticket: ticket.cloned(),
        trylock_only: ticket.is_none(),
        ..Default::default()
    };
    let ebusy = -(EBUSY as i64);
    ttm_lru_walk_for_evict(t, dev, mem, arg, target, |_, bo| match b {
        Behaviour::Skip => {
            yield_now();
            ebusy
        }
        Behaviour::Evict => {
            // ttm_bo_evict_cb: a pinned BO is not evicted.
            if bo.f().pin_count > 0 {
                return ebusy;
            }
            let ret = ttm_bo_evict(t, dev, bo, Some(mem), &OpCtx::default());
            if ret == 0 {
                bo.pages as i64
            } else {
                ret as i64
            }
        }
        Behaviour::Shrink => {
            let ctx = OpCtx {
                no_wait_gpu: true,
                ..Default::default()
            };
            if !ttm_bo_shrink_suitable(bo, &ctx) {
                return ebusy;
            }
            let flags = ShrinkFlags {
                allow_move: true,
                ..Default::default()
            };
            ttm_bo_shrink(t, dev, &ctx, bo, flags)
        }
        Behaviour::Fail => -(ENOMEM as i64),
        Behaviour::FailAndBump => {
            ttm_bo_move_to_lru_tail_unlocked(t, dev, bo);
            ebusy
        }
        Behaviour::UnlockInCallback => {
            dma_resv_unlock(t, dev, bo);
            yield_now();
            dma_resv_lock(t, dev, bo, None, false);
            ebusy
        }
    });
}
