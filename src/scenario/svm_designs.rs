//! The SVM VRAM-manager designs (`svm::designs`, issue 15) under one workload, named
//! `svm-design-<design>-<cpus>[-pin]` (area `svm-design`), at 2, 4, 8 and 16 CPUs:
//!
//! * VRAM of 4 pages: an SVM range va0..va1 in VRAM (an SVM BO for the unified designs, a
//!   split allocation for the split ones), an idle 1-page BO `B0` in VRAM, 1 page free;
//!   va2..va5 are system pages (two more SVM ranges), a system BO feeds the Xe shrinker.
//! * cpu0: the oldest ticket's BO submission: a 4-page BO `E` (all of VRAM) locked with the
//!   ticket and validated into VRAM through the design's manager, then freed.
//! * cpu1: a CPU fault (store) on va0; at 2 CPUs then a GPU fault on va2..va3.
//! * cpu2: a GPU fault (prefers VRAM) on va2..va3; cpu3: kswapd running the Xe shrinker.
//! * cpu4+ by `c % 4`: 0 a younger ticket validating its own 1-page BO into VRAM, 1 a CPU
//!   fault on va1, 2 a GPU fault on va4..va5, 3 a CPU read of va2.
//! * `-pin`: the last CPU first holds GUP-like pins (a short-lived foreign reference) on
//!   va1, va2 and va0 in turn, a few scheduling points each.
//!
//! `svm-design-watermark-trylock-stall-locked-<cpus>` is the same workload for the broken
//! sub-case (variant `svm-stall-holding-lock`). Every execution adds its counters to
//! `SVM_MEASURE[design]` (the shuttle / thread measurements of `benches/svm_designs.rs`).

use super::Scenario;
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::variants::Variant;
use crate::model::{Machine, Options, Task};
use crate::svm::designs::{SVM_MEASURE, SvmDesign, SvmMeasure, VramManager, pin_briefly};
use crate::svm::fault::cpu_access;
use crate::svm::sched::{cpu_enter, cpu_exit};
use crate::svm::ttm_backing::{TtmBacking, gpu_fault};
use crate::svm::*;
use crate::walker::shrink::{Shrinker, XeShrinker, shrink_slab};
use crate::walker::{
    TTM_PL_SYSTEM, TTM_PL_VRAM, TtmBo, dma_resv_lock, dma_resv_trylock, dma_resv_unlock, ttm_bo_put,
};
use crate::ww::{ww_acquire_fini, ww_acquire_init};
use std::time::Instant;

/// VRAM pages of the workload (TTM manager capacity and device folios).
pub const VRAM: usize = 4;

/// The CPU counts of the registered scenarios.
pub const CPUS: [usize; 4] = [2, 4, 8, 16];

/// What the workload runs on (shape of one scenario).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub design: SvmDesign,
    pub cpus: usize,
    pub pins: bool,
    /// The broken watermark sub-case (its variant gates the rule; the name says it).
    pub stall_locked: bool,
}

impl Shape {
    pub fn name(&self) -> String {
        format!(
            "svm-design-{}-{}{}{}",
            self.design.name(),
            if self.stall_locked {
                "stall-locked-"
            } else {
                ""
            },
            self.cpus,
            if self.pins { "-pin" } else { "" }
        )
    }
}

/// The Design variant whose rule a scenario shows (its `hunt --design` pair).
pub fn rule_variant(name: &str) -> Option<Variant> {
    if name.starts_with("svm-design-watermark-trylock-stall-locked-") {
        return Some(Variant::SvmStallHoldingLock);
    }
    if name.starts_with("svm-design-sigbus-on-failure-") {
        return Some(Variant::SvmSigbusOnFailure);
    }
    None
}

/// Design scenarios whose design violates a property with its rule on: kept out of the
/// default hunt (which runs them without the variant otherwise, i.e. as duplicates of
/// unified-lru / watermark-trylock), checked by `tests/shuttle/svm_designs.rs`.
pub fn expected_violation(name: &str) -> Option<Property> {
    rule_variant(name).map(|v| v.info().property)
}

fn spawn(
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

/// A BO of `pages` pages, placed in `mem` (or not placed: None).
fn bo(main: &Arc<Task>, t: &TtmBacking, name: &str, pages: u64, mem: Option<usize>) -> Arc<TtmBo> {
    let b = t.dev.bo_create(main, name, pages, 0, None);
    if let Some(mem) = mem {
        assert!(
            dma_resv_trylock(main, &t.dev, &b),
            "setup: {name} resv busy"
        );
        t.dev.setup_place(main, &b, mem);
        dma_resv_unlock(main, &t.dev, &b);
    }
    b
}

/// A GPU fault (prefers VRAM, not atomic) on the 2-page range at `start`, timed.
fn gpu(t: &Arc<Task>, svm: &Svm, start: Va) {
    let t0 = Instant::now();
    gpu_fault(t, svm, 0, start, 2, start, false, true);
    let st = svm_measure(svm);
    SvmMeasure::add(&st.fault_ns, t0.elapsed().as_nanos() as u64);
    SvmMeasure::add(&st.gpu_faults, 1);
}

fn svm_measure(svm: &Svm) -> &'static SvmMeasure {
    &SVM_MEASURE[svm.design.get().expect("design").design.index()]
}

/// A ticketed BO submission validating `b` into VRAM; returns whether it got it.
fn submit(t: &Arc<Task>, svm: &Svm, b: &Arc<TtmBo>, ticket: Arc<crate::ww::WwAcquireCtx>) -> bool {
    let mgr = Arc::clone(svm.design.get().expect("design"));
    let dev = &mgr.dev;
    let ok = if dma_resv_lock(t, dev, b, Some(&ticket), false) == 0 {
        let r = mgr.bo_validate(t, svm, b);
        dma_resv_unlock(t, dev, b);
        r == 0
    } else {
        false
    };
    ww_acquire_fini(t, &ticket);
    ok
}

/// The workload of `shape` (see the module doc).
pub fn workload(shape: Shape) -> Scenario {
    let Shape {
        design, cpus, pins, ..
    } = shape;
    let desc = format!(
        "[{}] {cpus} CPUs: the oldest ticket validates a BO needing all of VRAM while CPU faults pull SVM pages back, GPU faults migrate ranges to VRAM{}, kswapd runs the Xe shrinker{}",
        design.origin(),
        if cpus >= 8 {
            ", younger tickets validate their BOs"
        } else {
            ""
        },
        if pins {
            "; GUP-like pins hold pages briefly"
        } else {
            ""
        }
    );
    Scenario {
        name: shape.name(),
        area: "svm-design",
        description: desc,
        tasks: cpus,
        options: Options::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let ttm = TtmBacking::new(m, VRAM as u64);
            let cfg = SvmConfig {
                vas: 6,
                // Device pages to spare: TTM's VRAM manager (VRAM pages) is the gate; a
                // released allocation's pages come back only once its VRAM is free.
                vram_pages: 3 * VRAM,
                driver: if design == SvmDesign::AmdMigrateMutex {
                    Driver::Amd
                } else {
                    Driver::Xe
                },
                ..Default::default()
            };
            let svm = Svm::new(m, cfg, Some(ttm));
            TtmBacking::install(&svm);
            let mgr = VramManager::install(&svm, design);
            drm_gpusvm_init(main, &svm);
            cpu_enter(main, &svm);
            let t = svm.ttm.as_ref().expect("ttm");
            // va0..va1 in VRAM.
            let d = if design.split() {
                mgr.setup_split(main, &svm, 0, 2)
            } else {
                t.xe_bo_create_vram(main, &svm, 0, 0, 2).ok()
            };
            let Some(d) = d else {
                // A failure injected into the set-up's BO creation: nothing to run.
                if crate::model::fault::task_saw_injection(main) {
                    return;
                }
                panic!("setup: VRAM for va0..va1");
            };
            super::svm::setup_device_range(&svm, 0, 0, 2, 1, Some(d));
            for va in 2..6 {
                super::svm::setup_system_page(&svm, va, 1, None);
            }
            bo(main, t, "B0", 1, Some(TTM_PL_VRAM));
            bo(main, t, "sysbo", 1, Some(TTM_PL_SYSTEM));
            let e = bo(main, t, "E", VRAM as u64, None);
            let shrinker: Arc<dyn Shrinker> = XeShrinker::new(&t.dev, 1, false);
            // The oldest ticket: initialised before any other.
            let ticket = ww_acquire_init(main, &t.dev.class);
            let steps0 = m.rec.with(|r| r.progress.steps());
            let mut hs = Vec::new();
            for c in 1..cpus {
                let pinner = pins && c == cpus - 1;
                let younger = (c >= 4 && c % 4 == 0)
                    .then(|| bo(main, t, &format!("Y{c}"), 1, Some(TTM_PL_SYSTEM)));
                let shrinker = Arc::clone(&shrinker);
                let name = match c {
                    1 => "cpu fault va0",
                    2 => "gpu fault va2",
                    3 => "kswapd",
                    _ => match c % 4 {
                        0 => "younger ticket",
                        1 => "cpu fault va1",
                        2 => "gpu fault va4",
                        _ => "cpu read va2",
                    },
                };
                hs.push(spawn(m, &svm, name, move |t, svm| {
                    if pinner {
                        for va in [1, 2, 0] {
                            pin_briefly(t, svm, va, 3);
                        }
                    }
                    match c {
                        1 => {
                            cpu_access(t, svm, 0, true);
                            if cpus == 2 {
                                gpu(t, svm, 2);
                            }
                        }
                        2 => gpu(t, svm, 2),
                        3 => {
                            let dev = &svm.ttm.as_ref().expect("ttm").dev;
                            shrink_slab(t, dev, &[shrinker], true, 0);
                        }
                        _ => match c % 4 {
                            0 => {
                                let dev = &svm.ttm.as_ref().expect("ttm").dev;
                                let tk = ww_acquire_init(t, &dev.class);
                                submit(t, svm, younger.as_ref().expect("younger BO"), tk);
                            }
                            1 => {
                                cpu_access(t, svm, 1, true);
                            }
                            2 => gpu(t, svm, 4),
                            _ => {
                                cpu_access(t, svm, 2, false);
                            }
                        },
                    }
                }));
            }
            // cpu0: the oldest ticket's submission, then E is freed.
            let t0 = Instant::now();
            let ok = submit(main, &svm, &e, ticket);
            let st = &SVM_MEASURE[design.index()];
            SvmMeasure::add(&st.validate_ns, t0.elapsed().as_nanos() as u64);
            ttm_bo_put(main, &t.dev, &e);
            cpu_exit(main, &svm);
            for h in hs {
                m.join(main, h);
            }
            mgr.settle(main, &svm);
            // Counters of this execution.
            let steps = m.rec.with(|r| r.progress.steps()) - steps0;
            let bo_pages = t.dev.ledger(|l| l.evicted.clone());
            let bo_pages: u64 = t.dev.lru(main, |lru| {
                bo_pages
                    .iter()
                    .filter_map(|&r| {
                        let e = &lru.res[r];
                        let b = &lru.bos[e.bo?];
                        (e.mem_type == TTM_PL_VRAM && !b.name.starts_with("svm_bo"))
                            .then_some(e.pages)
                    })
                    .sum()
            });
            let meter = svm.with(|s| s.meter.clone());
            SvmMeasure::add(&st.executions, 1);
            SvmMeasure::add(&st.oldest_ok, u64::from(ok));
            SvmMeasure::add(&st.to_vram, meter.to_vram);
            SvmMeasure::add(&st.to_ram, meter.to_ram);
            SvmMeasure::add(&st.undone, meter.undone);
            SvmMeasure::add(&st.ref_failures, meter.ref_failures);
            SvmMeasure::add(&st.gpu_fault_passes, meter.gpu_fault_passes);
            SvmMeasure::add(&st.sigbus, meter.sigbus);
            SvmMeasure::add(&st.stalls, meter.stalls);
            SvmMeasure::add(&st.stall_fallbacks, meter.stall_fallbacks);
            SvmMeasure::add(&st.steps, steps);
            SvmMeasure::add(&st.reclaimed, meter.to_ram + bo_pages);
            SvmMeasure::add(&st.lock_wait_ns, m.rec.with(|r| r.lock_wait.total_ns));
            super::svm::quiesce(main, &svm);
        }),
    }
}

/// Register the SVM design scenarios.
pub fn register(out: &mut Vec<Scenario>) {
    for design in SvmDesign::ALL {
        for cpus in CPUS {
            for pins in [false, true] {
                out.push(workload(Shape {
                    design,
                    cpus,
                    pins,
                    stall_locked: false,
                }));
            }
        }
    }
    for cpus in CPUS {
        out.push(workload(Shape {
            design: SvmDesign::WatermarkTrylock,
            cpus,
            pins: false,
            stall_locked: true,
        }));
    }
}
