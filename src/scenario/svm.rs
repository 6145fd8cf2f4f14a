//! SVM scenarios (area `svm`): CPU faults on device pages, eviction, GPU faults, TTM-driven
//! eviction with shrinkers running, multi-device migration, the AMD policy and the design
//! the 2024 discussion rejected. Tiny shapes (≤ 2 pages, ≤ 4 tasks) run under loom; the
//! larger ones under shuttle.
//!
//! Set-up builds the steady state directly (pages already migrated to VRAM and mapped by
//! device-private entries, zdd references equal to live pages) instead of running the
//! migrations that would produce it, like `TtmDevice::setup_place` does for BOs; every
//! end state is checked: no PTE left as a migration entry, no folio locked, every
//! virtual page holding the last version written to it, zdd references consistent.

use super::Scenario;
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::{Machine, Task};
use crate::svm::fault::{cpu_access, hmm_range_fault};
use crate::svm::gpusvm::xe_svm_handle_pagefault;
use crate::svm::pagemap::{
    Devmem, DevmemId, Zdd, devmem_get, devmem_put, drm_pagemap_evict_to_ram,
    drm_pagemap_migrate_to_devmem_peer,
};
use crate::svm::sched::{cpu_enter, cpu_exit};
use crate::svm::ttm_backing::{amdgpu_ttm_evict_svm_bo, gpu_fault, svms_lock, ttm_evict_svm_bo};
use crate::svm::*;
use crate::walker::shrink::{Shrinker, XeShrinker, shrink_slab};
use crate::walker::{TTM_PL_SYSTEM, dma_resv_trylock, dma_resv_unlock};

/// A device allocation of `n` pages at `start`, every page mapped by a device-private
/// entry holding contents version `data` (as left by a completed `migrate_to_devmem`).
pub fn setup_device_range(
    svm: &Svm,
    dev: usize,
    start: Va,
    n: usize,
    data: u64,
    bo: Option<DevmemId>,
) -> DevmemId {
    let d = match bo {
        Some(d) => d,
        None => crate::svm::pagemap::devmem_alloc(svm, dev, start, n).expect("setup: VRAM"),
    };
    svm.with(|s| {
        s.zdds.push(Zdd {
            kref: n as u32,
            call_refs: 0,
            devmem: Some(d),
            freed: false,
        });
        let z = s.zdds.len() - 1;
        let dm: &mut Devmem = &mut s.devmems[d];
        dm.zdd = Some(z);
        let pfns = dm.pfns.clone();
        for (i, p) in pfns.into_iter().enumerate() {
            let f = &mut s.folios[p];
            f.free = false;
            f.zdd = Some(z);
            f.refs = vec![PageRef {
                kind: RefKind::Map,
                task: 0,
            }];
            f.mapcount = 1;
            f.data = data;
            s.ptes[start + i] = Pte::Device(p);
            s.expected[start + i] = data;
        }
    });
    d
}

/// A system page mapped at `va` with contents `data`, on the LRU or in `batch`'s
/// `lru_add` batch.
pub fn setup_system_page(svm: &Svm, va: Va, data: u64, batch: Option<u16>) -> Pfn {
    svm.with(|s| {
        let p = svm.alloc_system_page(s, data);
        let f = &mut s.folios[p];
        f.refs[0].kind = RefKind::Map;
        f.mapcount = 1;
        f.on_lru = batch.is_none();
        f.lru_batch = batch;
        s.ptes[va] = Pte::Present(p);
        s.expected[va] = data;
        p
    })
}

/// Map an existing folio at a second virtual page (fork / mremap alias).
pub fn setup_alias(svm: &Svm, from: Va, to: Va) {
    svm.with(|s| {
        let pte = s.ptes[from];
        let (Pte::Device(p) | Pte::Present(p)) = pte else {
            panic!("setup_alias: va{from} not mapped")
        };
        s.ptes[to] = pte;
        s.folios[p].mapcount += 1;
        s.folios[p].refs.push(PageRef {
            kind: RefKind::Map,
            task: 0,
        });
        s.expected[to] = s.expected[from];
    });
}

/// Set-up of an SVM BO (`xe_bo_create_vram`): `None` if it failed because a failure was
/// injected into it (the scenario then has nothing to run; any other failure is a model
/// bug).
pub fn setup_svm_bo(main: &Arc<Task>, svm: &Svm, start: Va, n: usize) -> Option<DevmemId> {
    let t = svm.ttm.as_ref().expect("ttm");
    match t.xe_bo_create_vram(main, svm, 0, start, n) {
        Ok(d) => Some(d),
        Err(_) if crate::model::fault::task_saw_injection(main) => None,
        Err(e) => panic!("setup: xe_bo_create_vram -> {e}"),
    }
}

/// End-of-scenario checks (also: every `mmget_not_zero` was paired with an `mmput`).
pub fn quiesce(cur: &Arc<Task>, svm: &Svm) {
    if let Some(t) = &svm.ttm {
        t.flush_deferred_put(cur, svm);
    }
    let mm_users = svm.mm_users.load(std::sync::atomic::Ordering::SeqCst);
    if mm_users != 1 {
        svm.fail(
            Property::Expectation,
            format!(
                "the scenario ends with mm_users {mm_users} (1 expected: the process's own reference): {} mmget_not_zero without its mmput, the mm_struct is never freed after the process exits",
                mm_users.saturating_sub(1)
            ),
        );
    }
    svm.with(|s| {
        for (va, pte) in s.ptes.iter().enumerate() {
            if let Pte::Migration(p) = pte {
                svm.fail(
                    Property::PageLock,
                    format!(
                        "va{va} is still a migration entry for {} at the end",
                        s.folios[*p].name
                    ),
                );
            }
            let p = match pte {
                Pte::Present(p) | Pte::Device(p) => *p,
                _ => continue,
            };
            if s.folios[p].data != s.expected[va] {
                svm.fail(
                    Property::DataLoss,
                    format!(
                        "va{va} maps {} with contents version {}, but version {} was written last",
                        s.folios[p].name, s.folios[p].data, s.expected[va]
                    ),
                );
            }
        }
        for f in &s.folios {
            if let Some(h) = f.locked {
                svm.fail(
                    Property::PageLock,
                    format!(
                        "{} is still locked by {} at the end",
                        f.name,
                        crate::model::trace::cpu_name(h)
                    ),
                );
            }
        }
    });
}

pub type Body = crate::api::svm::Body;

/// An SVM scenario (the public builder, [`crate::api::svm::SvmScenario`], which driver
/// scenarios use too).
pub fn svm_scenario(
    name: &str,
    description: &str,
    tasks: usize,
    cfg: SvmConfig,
    ttm_vram: Option<u64>,
    body: Arc<Body>,
) -> Scenario {
    let b = crate::api::svm::SvmScenario::new(name)
        .description(description)
        .cpus(tasks)
        .config(cfg);
    match ttm_vram {
        Some(v) => b.ttm_backing(v),
        None => b,
    }
    .body_arc(body)
}

/// Spawn an actor CPU (it occupies its CPU while running kernel code).
pub fn spawn(
    m: &Arc<Machine>,
    svm: &Arc<Svm>,
    name: &str,
    f: impl FnOnce(&Arc<Task>, &Arc<Svm>) + Send + 'static,
) -> crate::model::sync::thread::JoinHandle<()> {
    let svm = Arc::clone(svm);
    m.spawn(name, move |t| {
        cpu_enter(&t, &svm);
        f(&t, &svm);
        cpu_exit(&t, &svm);
    })
    .1
}

pub fn join(
    m: &Arc<Machine>,
    main: &Arc<Task>,
    svm: &Svm,
    hs: Vec<crate::model::sync::thread::JoinHandle<()>>,
) {
    cpu_exit(main, svm);
    for h in hs {
        m.join(main, h);
    }
}

fn cfg(vas: usize, vram: usize) -> SvmConfig {
    SvmConfig {
        vas,
        vram_pages: vram,
        ..Default::default()
    }
}

/// N CPU threads fault (store to) one device page; main is one of them.
fn cpu_faults(n: usize) -> Arc<Body> {
    Arc::new(move |m, main, svm| {
        setup_device_range(svm, 0, 0, 1, 1, None);
        let hs: Vec<_> = (1..n)
            .map(|i| {
                spawn(m, svm, &format!("fault{i}"), |t, svm| {
                    cpu_access(t, svm, 0, true);
                })
            })
            .collect();
        cpu_access(main, svm, 0, true);
        join(m, main, svm, hs);
    })
}

/// AMD: the GPU side (main, as `svm_range_restore_pages`) holds `prange->migrate_mutex`
/// while `n` CPUs fault the range's one device page; it lets go once every faulter is
/// blocked (old do_swap_page: all on the mutex, each holding its page reference; mainline:
/// one on the mutex with the page locked, the others asleep on the page lock). So the
/// faulters are all inside the fault path before the first migration, in every schedule.
///
/// Review S7 (B28 + AMD, 3 faulters), checked here:
/// * kfd_migrate.c (torvalds/linux @057ad0ef4da6): `svm_migrate_vma_to_ram` returns
///   `r ? r : mpages`, the number of pages `migrate_vma_pages` migrated (0 when the commit
///   failed, or when nothing was collected), `svm_migrate_vram_to_ram` returns
///   `r < 0 ? r : 0` and `svm_migrate_to_ram` `r ? VM_FAULT_SIGBUS : 0`: a failed commit
///   is a refault, not a SIGBUS, so the livelock reading holds. (That version takes
///   `svms->lock` before `prange->migrate_mutex`; the model takes only the mutex, which
///   serialises the faulters the same way.)
/// * "Every schedule" does not hold: a holder commits successfully when both other
///   faulters are between their `put_page` and their next `get_page`, i.e. when the
///   refaulting CPUs are slower than a whole migration. PCT schedules exactly that (a CPU
///   yielding at `cond_resched` drops to the lowest priority) and finds no lasso. The
///   livelock needs each refaulting CPU to re-take its reference before the next holder
///   commits — the realistic timing (a refault is much shorter than a migration), which
///   random schedules reach within tens of executions (20 of 20 seeds, tests/shuttle
///   `lasso.rs`).
fn amd_faults_behind_mutex(n: usize) -> Arc<Body> {
    Arc::new(move |m, main, svm| {
        setup_device_range(svm, 0, 0, 1, 1, None);
        let g = crate::svm::ttm_backing::migrate_mutex_lock(main, svm);
        let hs: Vec<_> = (0..n)
            .map(|i| {
                spawn(m, svm, &format!("fault{i}"), |t, svm| {
                    cpu_access(t, svm, 0, true);
                })
            })
            .collect();
        // Scenario orchestration (no kernel code): the GPU fault takes long enough.
        while !m
            .rec
            .with(|r| r.tasks.iter().skip(1).all(|t| t.blocked_on.is_some()))
        {
            crate::model::sync::yield_now();
        }
        crate::svm::ttm_backing::migrate_mutex_unlock(main, svm, g);
        join(m, main, svm, hs);
    })
}

/// CPU faults on the pages of one 2-page allocation race `drm_pagemap_evict_to_ram`.
fn fault_evict(faulters: usize) -> Arc<Body> {
    Arc::new(move |m, main, svm| {
        let d = setup_device_range(svm, 0, 0, 2, 1, None);
        // The driver holds the allocation while it may evict it (Xe: TTM's BO reference).
        devmem_get(main, svm, d);
        let hs: Vec<_> = (0..faulters)
            .map(|i| {
                spawn(m, svm, &format!("fault va{i}"), move |t, svm| {
                    cpu_access(t, svm, i % 2, true);
                })
            })
            .collect();
        drm_pagemap_evict_to_ram(main, svm, d);
        devmem_put(main, svm, d);
        join(m, main, svm, hs);
    })
}

/// Register every SVM scenario.
pub fn register(out: &mut Vec<Scenario>) {
    out.push(svm_scenario(
        "svm-cpu-fault-2",
        "2 CPUs store to one device-private page (do_swap_page -> migrate_to_ram races; B28)",
        2,
        cfg(1, 2),
        None,
        cpu_faults(2),
    ));
    out.push(svm_scenario(
        "svm-cpu-fault-3",
        "3 CPUs store to one device-private page (B28 at scale)",
        3,
        cfg(1, 2),
        None,
        cpu_faults(3),
    ));
    out.push(svm_scenario(
        "svm-amd-cpu-fault-3",
        "AMD policy: while the GPU fault handler holds prange->migrate_mutex, 3 CPUs fault one device-private page; with the old do_swap_page each waits for the mutex holding its page reference, so every commit fails (B28 in every schedule)",
        4,
        SvmConfig {
            driver: Driver::Amd,
            ..cfg(1, 2)
        },
        None,
        amd_faults_behind_mutex(3),
    ));
    out.push(svm_scenario(
        "svm-fault-evict-1",
        "a CPU faults one page of a 2-page device allocation while drm_pagemap_evict_to_ram evicts it (CVE-2022-3523 shape)",
        2,
        cfg(2, 2),
        None,
        fault_evict(1),
    ));
    out.push(svm_scenario(
        "svm-fault-evict",
        "CPUs fault different pages of one 2-page device allocation while drm_pagemap_evict_to_ram evicts it",
        3,
        cfg(2, 2),
        None,
        fault_evict(2),
    ));
    out.push(svm_scenario(
        "svm-gpu-cpu",
        "a GPU fault migrates a 2-page system range to VRAM (migrate_to_devmem, all or nothing) while a CPU stores to both pages and faults them back",
        2,
        cfg(2, 2),
        None,
        Arc::new(|m, main, svm| {
            setup_system_page(svm, 0, 1, None);
            setup_system_page(svm, 1, 1, None);
            let h = spawn(m, svm, "cpu", |t, svm| {
                cpu_access(t, svm, 0, true);
                cpu_access(t, svm, 1, true);
                cpu_access(t, svm, 0, false);
            });
            xe_svm_handle_pagefault(main, svm, 0, 0, 2, 0, false, true);
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-gpu-cpu-faults",
        "a GPU fault (prefers VRAM) on a 2-page range racing two CPUs faulting the pages of the range's device allocation back",
        3,
        cfg(2, 4),
        None,
        Arc::new(|m, main, svm| {
            setup_device_range(svm, 0, 0, 2, 1, None);
            let hs = vec![
                spawn(m, svm, "cpu va0", |t, svm| {
                    cpu_access(t, svm, 0, true);
                }),
                spawn(m, svm, "cpu va1", |t, svm| {
                    cpu_access(t, svm, 1, true);
                }),
            ];
            xe_svm_handle_pagefault(main, svm, 0, 0, 2, 1, false, true);
            join(m, main, svm, hs);
        }),
    ));
    out.push(svm_scenario(
        "svm-reuse",
        "a CPU faults a 1-page device allocation back to RAM while a GPU fault on another range needs that VRAM (2025 AMD page reuse)",
        2,
        cfg(2, 1),
        None,
        Arc::new(|m, main, svm| {
            setup_device_range(svm, 0, 0, 1, 1, None);
            setup_system_page(svm, 1, 1, None);
            let h = spawn(m, svm, "cpu", |t, svm| {
                    cpu_access(t, svm, 0, true);
                });
            for _ in 0..2 {
                xe_svm_handle_pagefault(main, svm, 0, 1, 1, 1, false, true);
            }
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-atomic-pingpong",
        "CPU atomics (3 stores) and GPU atomics (devmem_only faults) on one page; the timeslice keeps the page in VRAM long enough for the GPU",
        2,
        SvmConfig {
            timeslice: 24,
            ..cfg(1, 2)
        },
        None,
        Arc::new(|m, main, svm| {
            setup_system_page(svm, 0, 1, None);
            let h = spawn(m, svm, "cpu atomics", |t, svm| {
                for _ in 0..3 {
                    cpu_access(t, svm, 0, true);
                }
            });
            for _ in 0..2 {
                xe_svm_handle_pagefault(main, svm, 0, 0, 1, 0, true, true);
            }
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-drain-starve",
        "non-preemptible kernel: a device-to-device migration holds a device folio lock and waits in lru_add_drain_all for work on the CPU where hmm_range_fault faults the folio's alias (B29)",
        2,
        SvmConfig {
            devices: 2,
            preempt_none: true,
            ..cfg(3, 2)
        },
        None,
        Arc::new(|m, main, svm| {
            // va0: a fresh system page still in cpu1's lru_add batch; va1: a gpu1 page,
            // also mapped at va2 (mapcount 2).
            setup_system_page(svm, 0, 1, Some(1));
            setup_device_range(svm, 1, 1, 1, 1, None);
            setup_alias(svm, 1, 2);
            let h = spawn(m, svm, "hmm_range_fault", |t, svm| {
                let _ = hmm_range_fault(t, svm, 2, 1, None, None);
            });
            let d = crate::svm::pagemap::devmem_alloc(svm, 0, 0, 2).expect("VRAM");
            // Consumes the devmem allocation, even on error.
            drm_pagemap_migrate_to_devmem_peer(main, svm, d, Some(1));
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-ttm-evict",
        "TTM evicts an SVM BO (xe_bo_move -> drm_pagemap_evict_to_ram under its resv) while a CPU faults one of its pages and the Xe shrinker runs on a system BO",
        3,
        cfg(2, 2),
        Some(2),
        Arc::new(|m, main, svm| {
            let t = svm.ttm.as_ref().expect("ttm");
            let Some(d) = setup_svm_bo(main, svm, 0, 2) else {
                return;
            };
            setup_device_range(svm, 0, 0, 2, 1, Some(d));
            let sys = t.dev.bo_create(main, "sysbo", 1, 0, None);
            assert!(dma_resv_trylock(main, &t.dev, &sys));
            t.dev.setup_place(main, &sys, TTM_PL_SYSTEM);
            dma_resv_unlock(main, &t.dev, &sys);
            let shrinker: Arc<dyn Shrinker> = XeShrinker::new(&t.dev, 1, false);
            let hs = vec![
                spawn(m, svm, "cpu va1", |t, svm| {
                    cpu_access(t, svm, 1, true);
                }),
                spawn(m, svm, "kswapd", move |t, svm| {
                    let dev = &svm.ttm.as_ref().expect("ttm").dev;
                    shrink_slab(t, dev, &[shrinker], true, 0);
                }),
            ];
            ttm_evict_svm_bo(main, svm, d);
            join(m, main, svm, hs);
        }),
    ));
    out.push(svm_scenario(
        "svm-ttm-alloc-evict",
        "a GPU fault allocates an SVM BO in full VRAM: TTM evicts the other SVM BO through evict_to_ram while a CPU faults its pages",
        2,
        cfg(4, 2),
        Some(2),
        Arc::new(|m, main, svm| {
            let Some(d) = setup_svm_bo(main, svm, 0, 2) else {
                return;
            };
            setup_device_range(svm, 0, 0, 2, 1, Some(d));
            setup_system_page(svm, 2, 1, None);
            setup_system_page(svm, 3, 1, None);
            let h = spawn(m, svm, "cpu va0", |t, svm| {
                    cpu_access(t, svm, 0, true);
                });
            xe_svm_handle_pagefault(main, svm, 0, 2, 2, 2, false, true);
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-amd-evict-fault",
        "AMD policy: TTM evicts an SVM BO; the eviction worker (migrate_mutex, 3 passes) races a CPU fault that holds the page lock and blocks on svms.lock / migrate_mutex, then signals the eviction fence whatever is left (finding amd-evict-signal-live: the kernel's WARN_ONCE)",
        2,
        SvmConfig {
            driver: Driver::Amd,
            ..cfg(2, 2)
        },
        None,
        Arc::new(|m, main, svm| {
            let d = setup_device_range(svm, 0, 0, 2, 1, None);
            // TTM's reference on the BO it evicts.
            devmem_get(main, svm, d);
            let h = spawn(m, svm, "cpu va0", |t, svm| {
                cpu_access(t, svm, 0, true);
            });
            amdgpu_ttm_evict_svm_bo(main, svm, d);
            devmem_put(main, svm, d);
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-amd-evict-signal-live",
        "AMD: a GPU fault (svm_range_restore_pages, svms.lock held) needs VRAM for va2..va3; TTM evicts the full VRAM's SVM BO while a CPU fault holds its va0 page locked and waits for svms.lock; the worker signals with that page live, TTM frees the VRAM and the new svm_bo's zone_device_page_init reuses it (finding amd-evict-signal-live)",
        2,
        SvmConfig {
            driver: Driver::Amd,
            ..cfg(4, 2)
        },
        None,
        Arc::new(|m, main, svm| {
            let d = setup_device_range(svm, 0, 0, 2, 1, None);
            setup_system_page(svm, 2, 1, None);
            setup_system_page(svm, 3, 1, None);
            // TTM's reference on the BO it is about to evict (the BO is on its LRU).
            devmem_get(main, svm, d);
            let h = spawn(m, svm, "cpu va0", |t, svm| {
                cpu_access(t, svm, 0, true);
            });
            // svm_range_restore_pages(va2): svms->lock, then (the other prange's
            // migrate_mutex, which nobody else takes: left out) svm_migrate_to_vram ->
            // svm_range_vram_node_new -> amdgpu_bo_create: VRAM is full, TTM evicts the
            // SVM BO of va0..va1 and waits for its eviction fence.
            let svms = svms_lock(main, svm);
            amdgpu_ttm_evict_svm_bo(main, svm, d);
            devmem_put(main, svm, d);
            // The new svm_bo gets the freed VRAM and svm_migrate_ram_to_vram migrates
            // va2..va3 (svm_migrate_get_vram_page: zone_device_page_init); without VRAM the
            // fault falls back to system memory.
            if let Ok(b) = crate::svm::pagemap::devmem_alloc(svm, 0, 2, 2) {
                drm_pagemap_migrate_to_devmem_peer(main, svm, b, None);
            }
            crate::model::kmutex::KMutex::unlock(main, svms);
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-design-vm-resv",
        "the 2024 question: a CPU fault and a GPU fault on a range with one device page; with migration gated by the VM resv (variant) the GPU handler holds the resv while range eviction sleeps on the page the CPU fault locked",
        2,
        cfg(2, 2),
        Some(2),
        Arc::new(|m, main, svm| {
            let Some(d) = setup_svm_bo(main, svm, 0, 1) else {
                return;
            };
            setup_device_range(svm, 0, 0, 1, 1, Some(d));
            setup_system_page(svm, 1, 1, None);
            let h = spawn(m, svm, "cpu va0", |t, svm| {
                    cpu_access(t, svm, 0, true);
                });
            gpu_fault(main, svm, 0, 0, 2, 1, false, false);
            join(m, main, svm, vec![h]);
        }),
    ));
    out.push(svm_scenario(
        "svm-multi-device",
        "two devices' GPU faults migrate the same 2-page range to their own VRAM (all or nothing, -EBUSY) while a CPU stores to it",
        3,
        SvmConfig {
            devices: 2,
            ..cfg(2, 2)
        },
        None,
        Arc::new(|m, main, svm| {
            setup_system_page(svm, 0, 1, None);
            setup_system_page(svm, 1, 1, None);
            let hs = vec![
                spawn(m, svm, "gpu1 fault", |t, svm| {
                    xe_svm_handle_pagefault(t, svm, 1, 0, 2, 0, false, true);
                }),
                spawn(m, svm, "cpu", |t, svm| {
                    cpu_access(t, svm, 1, true);
                }),
            ];
            xe_svm_handle_pagefault(main, svm, 0, 0, 2, 1, false, true);
            join(m, main, svm, hs);
        }),
    ));
}
