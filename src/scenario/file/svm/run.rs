//! Running an svm-area file: the set-up in declaration order, then every actor on its
//! CPU, each op mapped onto exactly the calls the built-in scenarios of
//! `scenario::svm` make.

use super::{Actor, Lock, Op, Setup};
use crate::model::completion::Completion;
use crate::model::kmutex::{KMutex, KMutexGuard};
use crate::model::sync::Arc;
use crate::model::trace::Ev;
use crate::model::{Machine, Task};
use crate::scenario::svm::{
    Body, join, setup_alias, setup_device_range, setup_svm_bo, setup_system_page, spawn,
};
use crate::svm::fault::{cpu_access, hmm_range_fault};
use crate::svm::pagemap::{
    DevmemId, devmem_alloc, devmem_get, devmem_put, drm_pagemap_evict_to_ram,
    drm_pagemap_migrate_to_devmem_peer,
};
use crate::svm::sched::cond_resched;
use crate::svm::ttm_backing::{
    amdgpu_ttm_evict_svm_bo, gpu_fault, migrate_mutex_lock, svms_lock, ttm_evict_svm_bo,
};
use crate::svm::{Driver, Svm};
use crate::walker::shrink::{Shrinker, XeShrinker, shrink_slab};
use crate::walker::{TTM_PL_SYSTEM, dma_resv_trylock, dma_resv_unlock};

/// The objects of one execution, by object index.
enum Obj {
    None,
    Devmem(DevmemId),
    Shrinker(Arc<dyn Shrinker>),
    Completion(Arc<Completion>),
}

/// The scenario body: set up, spawn, join (`svm_scenario` runs `quiesce` after it).
pub(super) fn body(
    objects: Arc<Vec<(Option<String>, Setup)>>,
    actors: Arc<Vec<Actor>>,
) -> Arc<Body> {
    Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>, svm: &Arc<Svm>| {
        let mut objs = Vec::with_capacity(objects.len());
        for (_, setup) in objects.iter() {
            objs.push(match setup {
                Setup::Config => Obj::None,
                Setup::SystemPage { va, data, batch } => {
                    setup_system_page(svm, *va, *data, *batch);
                    Obj::None
                }
                Setup::Devmem {
                    dev,
                    start,
                    n,
                    data,
                    bo,
                    held,
                } => {
                    let b = if *bo {
                        // An injected failure of xe_bo_create_vram: nothing to run.
                        let Some(d) = setup_svm_bo(main, svm, *start, *n) else {
                            return;
                        };
                        Some(d)
                    } else {
                        None
                    };
                    let d = setup_device_range(svm, *dev, *start, *n, *data, b);
                    if *held {
                        devmem_get(main, svm, d);
                    }
                    Obj::Devmem(d)
                }
                Setup::Alias { from, to } => {
                    setup_alias(svm, *from, *to);
                    Obj::None
                }
                Setup::SystemBo { name, pages } => {
                    let t = svm.ttm.as_ref().expect("checked: TTM backing");
                    let bo = t.dev.bo_create(main, name, *pages, 0, None);
                    assert!(dma_resv_trylock(main, &t.dev, &bo));
                    t.dev.setup_place(main, &bo, TTM_PL_SYSTEM);
                    dma_resv_unlock(main, &t.dev, &bo);
                    Obj::None
                }
                Setup::Shrinker { batch, stall_check } => {
                    let t = svm.ttm.as_ref().expect("checked: TTM backing");
                    let s: Arc<dyn Shrinker> = XeShrinker::new(&t.dev, *batch, *stall_check);
                    Obj::Shrinker(s)
                }
                Setup::Completion => Obj::Completion(Arc::new(Completion::new())),
            });
        }
        let objs = Arc::new(objs);
        let hs: Vec<_> = (0..actors.len())
            .map(|a| {
                let (actors, objs) = (Arc::clone(&actors), Arc::clone(&objs));
                let name = actors[a].name.clone();
                spawn(m, svm, &name, move |t, svm| {
                    let actor = &actors[a];
                    for _ in 0..actor.repeat {
                        run_actor(t, svm, &objs, actor);
                    }
                })
            })
            .collect();
        join(m, main, svm, hs);
    })
}

fn devmem(objs: &[Obj], i: usize) -> DevmemId {
    match &objs[i] {
        Obj::Devmem(d) => *d,
        _ => unreachable!("checked when the file was loaded"),
    }
}

/// One pass over an actor's operations.
fn run_actor(t: &Arc<Task>, svm: &Arc<Svm>, objs: &[Obj], actor: &Actor) {
    let mut held: Vec<(Lock, KMutexGuard<'_>)> = Vec::new();
    for op in &actor.ops {
        match op {
            Op::CpuAccess { va, write } => {
                cpu_access(t, svm, *va, *write);
            }
            Op::XeFault {
                dev,
                start,
                n,
                va,
                atomic,
                prefer_vram,
            } => {
                gpu_fault(t, svm, *dev, *start, *n, *va, *atomic, *prefer_vram);
            }
            Op::HmmRangeFault { start, n } => {
                let _ = hmm_range_fault(t, svm, *start, *n, None, None);
            }
            Op::MigrateToDevmem {
                dev,
                start,
                n,
                peer,
            } => match devmem_alloc(svm, *dev, *start, *n) {
                // Consumes the allocation, even on error.
                Ok(d) => {
                    drm_pagemap_migrate_to_devmem_peer(t, svm, d, *peer);
                }
                Err(_) => t.event(|| {
                    Ev::Note(format!(
                        "no free VRAM on gpu{dev} for va{start}..va{}: the range stays in system memory",
                        start + n - 1
                    ))
                }),
            },
            Op::EvictToRam(i) => {
                drm_pagemap_evict_to_ram(t, svm, devmem(objs, *i));
            }
            Op::TtmEvict(i) => {
                let d = devmem(objs, *i);
                match svm.cfg.driver {
                    Driver::Xe => ttm_evict_svm_bo(t, svm, d),
                    Driver::Amd => amdgpu_ttm_evict_svm_bo(t, svm, d),
                };
            }
            Op::DevmemPut(i) => devmem_put(t, svm, devmem(objs, *i)),
            Op::MutexLock(l) => {
                let g = match l {
                    Lock::Svms => svms_lock(t, svm),
                    Lock::Migrate => migrate_mutex_lock(t, svm),
                };
                held.push((*l, g));
            }
            Op::MutexUnlock(l) => {
                let i = held
                    .iter()
                    .position(|(h, _)| h == l)
                    .expect("checked when the file was loaded");
                let (_, g) = held.remove(i);
                KMutex::unlock(t, g);
            }
            Op::ShrinkSlab { kswapd, shrinkers } => {
                let dev = &svm.ttm.as_ref().expect("checked: TTM backing").dev;
                let list: Vec<Arc<dyn Shrinker>> = shrinkers
                    .iter()
                    .map(|i| match &objs[*i] {
                        Obj::Shrinker(s) => Arc::clone(s),
                        _ => unreachable!("checked when the file was loaded"),
                    })
                    .collect();
                shrink_slab(t, dev, &list, *kswapd, 0);
            }
            Op::WaitUntilBlocked => {
                // Scenario orchestration (no kernel code), as svm-amd-cpu-fault-3's GPU
                // fault waits for its faulters: every other actor sleeps in the kernel or
                // is done. A completion wait does not count: a woken waiter stays marked
                // until it runs.
                let me = t.id as usize;
                while !t.machine.rec.with(|r| {
                    r.tasks.iter().enumerate().skip(1).all(|(i, x)| {
                        i == me
                            || x.done
                            || x
                                .blocked_on
                                .as_ref()
                                .is_some_and(|b| !b.starts_with("wait_for_completion"))
                    })
                }) {
                    crate::model::sync::yield_now();
                }
            }
            Op::Complete(i) => {
                if let Obj::Completion(c) = &objs[*i] {
                    c.complete();
                }
            }
            Op::WaitForCompletion(i) => {
                if let Obj::Completion(c) = &objs[*i] {
                    c.wait_for_completion(t, &format!("completion #{i}"));
                }
            }
            Op::Fail(site, errno) => crate::model::fault::force_next(t, *site, *errno),
            Op::Yield => cond_resched(t, svm),
        }
    }
}
