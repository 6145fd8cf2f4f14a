//! The shrinker-API designs of the 2024 debate (`walker::designs`, spec `ttm_lru.md` §8.3)
//! under the same workloads, named `design-<design>-<shape>` (area `design`):
//!
//! * `busy-head`: a busy BO at the head of the SYSTEM LRU and two idle ones; two direct
//!   reclaimers (no GPU waits) run `do_shrink_slab` on the design's shrinker.
//! * `all-fail`: every BO is busy, so every BO keeps failing in direct reclaim: each
//!   reclaimer must terminate without revisiting BOs without bound.
//! * `hammer-4`: two direct reclaimers, kswapd and command submission bumping a VM's bulk
//!   range over TT (bulk) and SYSTEM BOs, one busy.
//! * `design-gem-lru-scan-release`: `drm_gem_lru_scan` against the release of the object
//!   at its head (variant `gem-lru-release-race`).
//!
//! [`measure`] and [`fairness`] build the workloads `benches/designs.rs` times; they are
//! not registered (the hunt has no use for them).

use super::Scenario;
use super::common::expect;
use super::ttm::{World, spawn, ttm};
use crate::model::Machine;
use crate::model::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::walker::designs::{DesignShrinker, MEASURE, ShrinkDesign};
use crate::walker::shrink::{Shrinker, shrink_slab};
use crate::walker::*;
use std::sync::atomic::Ordering;

/// A populated BO of `pages` pages in `mem` (optionally in the VM, optionally busy).
fn place(
    w: &World,
    cur: &Arc<Task>,
    name: &str,
    mem: MemType,
    pages: u64,
    prio: usize,
    busy: bool,
) -> Arc<TtmBo> {
    let bo = w.dev.bo_create(cur, name, pages, prio, None);
    expect(&cur.machine, dma_resv_trylock(cur, &w.dev, &bo), || {
        format!("setup: {} resv busy", bo.name)
    });
    w.dev.setup_place(cur, &bo, mem);
    dma_resv_unlock(cur, &w.dev, &bo);
    bo.busy.store(busy, Ordering::SeqCst);
    bo
}

fn design_scn(
    d: ShrinkDesign,
    shape: &str,
    desc: &str,
    tasks: usize,
    vram: u64,
    body: Arc<super::ttm::Body>,
) -> Scenario {
    let mut s = ttm(
        &format!("design-{}-{shape}", d.name()),
        &format!("[{}] {desc}", d.kernel()),
        tasks,
        vram,
        body,
    );
    s.area = "design";
    s
}

fn reclaim(t: &Arc<Task>, w: &World, s: &Arc<DesignShrinker>, kswapd: bool) -> u64 {
    let s: Arc<dyn Shrinker> = Arc::clone(s) as Arc<dyn Shrinker>;
    shrink_slab(t, &w.dev, &[s], kswapd, 0)
}

fn busy_head(d: ShrinkDesign) -> Scenario {
    design_scn(
        d,
        "busy-head",
        "a busy BO at the head of the SYSTEM LRU and two idle BOs behind it; two direct \
         reclaimers (no GPU waits) run do_shrink_slab",
        2,
        8,
        Arc::new(move |m, main, w| {
            place(w, main, "H", TTM_PL_SYSTEM, 1, 0, true);
            place(w, main, "S1", TTM_PL_SYSTEM, 1, 0, false);
            place(w, main, "S2", TTM_PL_SYSTEM, 1, 0, false);
            two_reclaimers(
                m,
                main,
                w,
                DesignShrinker::new(main, d, &w.dev, "drv", true),
            );
        }),
    )
}

/// cpu0 and one more CPU in direct reclaim on the same shrinker, then quiesce.
fn two_reclaimers(m: &Arc<Machine>, main: &Arc<Task>, w: &World, s: Arc<DesignShrinker>) {
    let s2 = Arc::clone(&s);
    let h = spawn(m, "reclaim", w, move |t, w| {
        reclaim(t, w, &s2, false);
    });
    reclaim(main, w, &s, false);
    m.join(main, h);
    w.quiesce(main);
}

fn all_fail(d: ShrinkDesign) -> Scenario {
    all_fail_with(d, true)
}

/// `all-fail` with the design-level revisit checks on or off: off, it shows termination
/// alone (`livelock`, `step-limit`) for a design that violates bounded revisits
/// (`tests/shuttle/designs.rs`; not registered).
pub fn all_fail_with(d: ShrinkDesign, checks: bool) -> Scenario {
    design_scn(
        d,
        if checks {
            "all-fail"
        } else {
            "all-fail-unchecked"
        },
        "every BO is busy and keeps failing in direct reclaim; two reclaimers must terminate \
         without revisiting BOs without bound",
        2,
        8,
        Arc::new(move |m, main, w| {
            for i in 0..3 {
                place(w, main, &format!("B{i}"), TTM_PL_SYSTEM, 1, i % 2, true);
            }
            two_reclaimers(
                m,
                main,
                w,
                DesignShrinker::new(main, d, &w.dev, "drv", checks),
            );
        }),
    )
}

fn hammer4(d: ShrinkDesign) -> Scenario {
    design_scn(
        d,
        "hammer-4",
        "two direct reclaimers, kswapd and command submission bumping the VM's bulk range, \
         over two TT VM BOs and two SYSTEM BOs (one busy)",
        4,
        8,
        Arc::new(move |m, main, w| {
            w.bo(main, "A0", TTM_PL_TT, 0, true);
            w.bo(main, "A1", TTM_PL_TT, 0, true);
            place(w, main, "S0", TTM_PL_SYSTEM, 1, 0, false);
            place(w, main, "S1", TTM_PL_SYSTEM, 1, 1, true);
            let s = DesignShrinker::new(main, d, &w.dev, "drv", true);
            let mut hs = Vec::new();
            for role in 0..3 {
                let s = Arc::clone(&s);
                hs.push(spawn(
                    m,
                    ["reclaim", "kswapd", "exec"][role],
                    w,
                    move |t, w| match role {
                        2 => w.vm_exec_bump(t),
                        _ => {
                            reclaim(t, w, &s, role == 1);
                        }
                    },
                ));
            }
            reclaim(main, w, &s, false);
            for h in hs {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    )
}

fn gem_release() -> Scenario {
    let d = ShrinkDesign::GemLruScan;
    design_scn(
        d,
        "release",
        "drm_gem_lru_scan against drm_gem_object_release of the object at the LRU head: the \
         releaser drops the last reference while the scanner shrinks the object behind it",
        2,
        8,
        Arc::new(move |m, main, w| {
            let x = place(w, main, "X", TTM_PL_SYSTEM, 1, 0, false);
            place(w, main, "Y", TTM_PL_SYSTEM, 1, 0, false);
            let s = DesignShrinker::new(main, d, &w.dev, "drv", true);
            let s2 = Arc::clone(&s);
            let h = spawn(m, "release", w, move |t, w| {
                s2.gem.as_ref().expect("gem lru").put(t, &w.dev, &x);
            });
            reclaim(main, w, &s, false);
            m.join(main, h);
            w.quiesce(main);
        }),
    )
}

/// Register the design scenarios.
pub fn register(out: &mut Vec<Scenario>) {
    for d in ShrinkDesign::ALL {
        out.push(busy_head(d));
        out.push(all_fail(d));
        out.push(hammer4(d));
    }
    out.push(gem_release());
}

/// Design scenarios whose fixed model violates a property by design (not a bug of the
/// model): kept out of the default hunt, checked by `tests/shuttle/designs.rs`.
pub fn expected_violation(name: &str) -> Option<Property> {
    match name {
        "design-next-candidate-busy-head"
        | "design-next-candidate-all-fail"
        | "design-next-candidate-hammer-4" => Some(Property::WalkProgress),
        _ => None,
    }
}

/// The measurement workload: `cpus` CPUs on one device with `cpus.max(4)` one-page SYSTEM
/// BOs (every fourth busy, priorities 0/1) and two TT BOs in a VM bulk range. CPU c:
/// `c % 4 == 3` kswapd, `c % 4 == 0` (c > 0) command submission bumping the bulk, else
/// direct reclaim (cpu0 reclaims). Every reclaimer runs `shrink_slab` once at priority 0
/// on the one registered design shrinker (design checks off). Adds the concurrent
/// phase's counters to `MEASURE[design]`.
pub fn measure(d: ShrinkDesign, cpus: usize) -> Scenario {
    Scenario {
        name: format!("design-{}-measure-{cpus}", d.name()),
        area: "design",
        description: format!("[{}] {cpus} CPUs hammer one shrinker", d.kernel()),
        tasks: cpus,
        options: Default::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let w = World::new(
                m,
                main,
                DeviceConfig {
                    vram_pages: 8,
                    tt_pages: None,
                },
            );
            w.bo(main, "A0", TTM_PL_TT, 0, true);
            w.bo(main, "A1", TTM_PL_TT, 0, true);
            for i in 0..cpus.max(4) {
                place(
                    &w,
                    main,
                    &format!("S{i}"),
                    TTM_PL_SYSTEM,
                    1,
                    i % 2,
                    i % 4 == 3,
                );
            }
            let s = DesignShrinker::new(main, d, &w.dev, "drv", false);
            let locks0 = s.lock_sections();
            let resv0 = w.dev.resv_attempts.load(Ordering::Relaxed);
            let mut hs = Vec::new();
            for c in 1..cpus {
                let s = Arc::clone(&s);
                let role = c % 4;
                let name = ["exec", "reclaim", "reclaim", "kswapd"][role];
                hs.push(spawn(m, name, &w, move |t, w| match role {
                    0 => w.vm_exec_bump(t),
                    _ => {
                        reclaim(t, w, &s, role == 3);
                    }
                }));
            }
            reclaim(main, &w, &s, false);
            for h in hs {
                m.join(main, h);
            }
            let locks = s.lock_sections() - locks0;
            let resv = w.dev.resv_attempts.load(Ordering::Relaxed) - resv0;
            let freed: u64 = w.dev.ledger(|l| l.freed_by.iter().sum());
            let st = &MEASURE[d.index()];
            st.executions.fetch_add(1, Ordering::Relaxed);
            st.freed_pages.fetch_add(freed, Ordering::Relaxed);
            st.lock_sections.fetch_add(locks, Ordering::Relaxed);
            st.steps.fetch_add(locks + resv, Ordering::Relaxed);
            st.scan_calls
                .fetch_add(s.scans.load(Ordering::Relaxed), Ordering::Relaxed);
            w.quiesce(main);
        }),
    }
}

/// One fairness row: a shrinker's totals after reclaim reached its goal.
#[derive(Clone, Debug, Default)]
pub struct FairRow {
    pub design: &'static str,
    pub shrinker: String,
    pub object_pages: u64,
    pub freeable_pages: u64,
    pub freed_pages: u64,
    /// Sum of nr_to_scan over scan calls, in the shrinker's unit (pages; objects for
    /// next-candidate).
    pub requested_units: u64,
    /// Sum of the nr_scanned reported back (charged against total_scan), in pages.
    pub charged_pages: u64,
    pub scan_calls: u64,
    pub nr_deferred: u64,
    /// Lowest priority reached (vmscan priority, 12 = DEF_PRIORITY).
    pub priority: u32,
}

/// Fairness results, filled by [`fairness`] scenarios.
pub static FAIRNESS: std::sync::Mutex<Vec<FairRow>> = std::sync::Mutex::new(Vec::new());

/// Two registered shrinkers of the same design, on two devices with the same number of
/// pages: "small" (256 BOs of 1 page) and "large" (64 BOs of 4 pages). Reclaim runs
/// `shrink_slab` over both at priority 12, 11, … until a quarter of all pages is freed
/// (single CPU, so the result is deterministic).
pub fn fairness(d: ShrinkDesign) -> Scenario {
    Scenario {
        name: format!("design-{}-fairness", d.name()),
        area: "design",
        description: format!("[{}] two shrinkers, objects of 1 and 4 pages", d.kernel()),
        tasks: 1,
        options: Default::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let mk = || {
                let ld = Arc::clone(&m.lockdep);
                TtmDevice::new(
                    m,
                    DeviceConfig {
                        vram_pages: 8,
                        tt_pages: None,
                    },
                    ld,
                )
            };
            let (da, db) = (mk(), mk());
            let wa = World {
                vm_resv: da.vm_resv("a.vm"),
                bulk: da.bulk_init(main, "a.bulk"),
                dev: da,
            };
            let wb = World {
                vm_resv: db.vm_resv("b.vm"),
                bulk: db.bulk_init(main, "b.bulk"),
                dev: db,
            };
            for i in 0..256 {
                place(&wa, main, &format!("a{i}"), TTM_PL_SYSTEM, 1, 0, false);
            }
            for i in 0..64 {
                place(&wb, main, &format!("b{i}"), TTM_PL_SYSTEM, 4, 0, false);
            }
            let sa = DesignShrinker::new(main, d, &wa.dev, "small", false);
            let sb = DesignShrinker::new(main, d, &wb.dev, "large", false);
            let list: Vec<Arc<dyn Shrinker>> = vec![
                Arc::clone(&sa) as Arc<dyn Shrinker>,
                Arc::clone(&sb) as Arc<dyn Shrinker>,
            ];
            let goal = 512 / 4;
            let freed = |w: &World| w.dev.ledger(|l| l.freed_by.iter().sum::<u64>());
            let mut prio = 12;
            loop {
                shrink_slab(main, &wa.dev, &list, false, prio);
                if freed(&wa) + freed(&wb) >= goal || prio == 0 {
                    break;
                }
                prio -= 1;
            }
            let mut rows = FAIRNESS.lock().unwrap_or_else(|e| e.into_inner());
            for (s, w, pages) in [(&sa, &wa, 1u64), (&sb, &wb, 4)] {
                let units = s.requested.load(Ordering::Relaxed);
                let per_unit = if d == ShrinkDesign::NextCandidate {
                    pages
                } else {
                    1
                };
                let charged = s.scanned.load(Ordering::Relaxed) * per_unit;
                rows.push(FairRow {
                    design: d.name(),
                    shrinker: s.name().to_string(),
                    object_pages: pages,
                    freeable_pages: 256,
                    freed_pages: freed(w),
                    requested_units: units,
                    charged_pages: charged,
                    scan_calls: s.scans.load(Ordering::Relaxed),
                    nr_deferred: s
                        .nr_deferred
                        .load(crate::model::sync::atomic::Ordering::SeqCst),
                    priority: prio,
                });
            }
        }),
    }
}
