//! Generated concurrent TTM scripts explored under shuttle (shuttle build only).
//!
//! A script is 2-4 tasks, each a short list of operations drawn from what drivers do to
//! the TTM LRU machinery at once: reserve + `ttm_bo_validate` into VRAM / TT / SYSTEM
//! (evicting through `ttm_bo_evict_alloc` when the 4-page VRAM is full) + unreserve,
//! command submission bumping the VM's bulk (`ttm_lru_bulk_move_tail` with the VM resv),
//! `ttm_device_swapout`, an Xe shrinker scan through `do_shrink_slab` (direct reclaim or
//! kswapd), pin + unpin, creating / touching / putting a BO, and an eviction walk
//! (`ttm_lru_walk_for_evict` that yields the CPU inside `process_bo` and skips). The device
//! starts with a VM (A0, A1: VRAM, one shared resv, bulk move) and loose BOs in VRAM
//! (X priority 0, V priority 1), TT (T, busy on the GPU) and SYSTEM (S).
//!
//! Each generated script becomes a `Scenario` and is explored with a few hundred random
//! shuttle schedules; the fixed model must report nothing (LRU structure and locking, walk
//! skip / progress, eviction safety, page ledger, lock order, deadlock, ...). One test runs
//! the same generator with the variant `hitch-carried` and must find its walk skip.

use crate::harness::quiet_model_failures;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::sync::atomic::Ordering;
use std::time::Duration;
use ttm_model::engine::{EngineKind, Outcome, RunConfig, explore};
use ttm_model::model::sync::{Arc, yield_now};
use ttm_model::model::trace::EBUSY;
use ttm_model::model::{Machine, Options, Property, Task, Variant, VariantSet};
use ttm_model::scenario::Scenario;
use ttm_model::scenario::ttm::World;
use ttm_model::walker::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
use ttm_model::walker::shrink::{Shrinker, XeShrinker, shrink_slab};
use ttm_model::walker::swap::ttm_device_swapout;
use ttm_model::walker::*;

/// The BOs every script starts with: (name, placement, priority, VM member).
const BOS: [(&str, MemType, usize, bool); 6] = [
    ("A0", TTM_PL_VRAM, 0, true),
    ("A1", TTM_PL_VRAM, 0, true),
    ("X", TTM_PL_VRAM, 0, false),
    ("V", TTM_PL_VRAM, 1, false),
    ("T", TTM_PL_TT, 0, false),
    ("S", TTM_PL_SYSTEM, 0, false),
];
const VRAM_PAGES: u64 = 4;

/// One operation of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TOp {
    /// Reserve (no ticket), `ttm_bo_validate` into the placement, unreserve (bumps).
    Validate(usize, MemType),
    /// Command submission on the VM: VM resv, `ttm_lru_bulk_move_tail`, unlock.
    ExecBump,
    /// `ttm_device_swapout`.
    Swapout,
    /// One Xe shrinker through `do_shrink_slab` (true: kswapd, false: direct reclaim).
    Shrink(bool),
    /// Reserve, `ttm_bo_pin`, let others run, `ttm_bo_unpin`, unlock.
    PinUnpin(usize),
    /// Create a SYSTEM BO, reserve/unreserve it, drop the last reference.
    CreatePut,
    /// A walk over VRAM that yields inside `process_bo` and skips every BO.
    Walk,
}

fn top() -> impl Strategy<Value = TOp> {
    let mem = prop_oneof![
        3 => Just(TTM_PL_VRAM),
        1 => Just(TTM_PL_TT),
        1 => Just(TTM_PL_SYSTEM)
    ];
    prop_oneof![
        3 => (0..BOS.len(), mem).prop_map(|(b, m)| TOp::Validate(b, m)),
        2 => Just(TOp::ExecBump),
        1 => Just(TOp::Swapout),
        1 => any::<bool>().prop_map(TOp::Shrink),
        1 => (0..BOS.len()).prop_map(TOp::PinUnpin),
        1 => Just(TOp::CreatePut),
        2 => Just(TOp::Walk),
    ]
}

/// 2-4 tasks of 1-3 operations.
fn script() -> impl Strategy<Value = Vec<Vec<TOp>>> {
    prop::collection::vec(prop::collection::vec(top(), 1..=3), 2..=4)
}

fn run_op(t: &Arc<Task>, w: &World, bos: &[Arc<TtmBo>], op: TOp) {
    let dev = &w.dev;
    match op {
        TOp::Validate(b, mem) => {
            // -ENOMEM is a legitimate answer when the other CPUs hold the candidates.
            w.validate(t, &bos[b], mem);
        }
        TOp::ExecBump => w.vm_exec_bump(t),
        TOp::Swapout => {
            ttm_device_swapout(t, dev, &OpCtx::default());
        }
        TOp::Shrink(kswapd) => {
            let s: Arc<dyn Shrinker> = XeShrinker::new(dev, 1, false);
            shrink_slab(t, dev, &[s], kswapd, 0);
        }
        TOp::PinUnpin(b) => {
            let bo = &bos[b];
            dma_resv_lock(t, dev, bo, None, false);
            ttm_bo_pin(t, dev, bo);
            yield_now();
            ttm_bo_unpin(t, dev, bo);
            dma_resv_unlock(t, dev, bo);
        }
        TOp::CreatePut => {
            let tmp = w.bo(t, "tmp", TTM_PL_SYSTEM, 0, false);
            w.touch(t, &tmp);
            ttm_bo_put(t, dev, &tmp);
        }
        TOp::Walk => {
            let arg = WalkArg {
                trylock_only: true,
                ..Default::default()
            };
            ttm_lru_walk_for_evict(t, dev, TTM_PL_VRAM, arg, i64::MAX, |_, _| {
                yield_now();
                -(EBUSY as i64)
            });
        }
    }
}

/// The scenario of a script: main sets the device up, spawns one task per op list, joins
/// them and checks the end state (`World::quiesce`: delayed deletes, page ledger, nothing
/// left reserved).
pub fn ttm_script_scenario(script: &[Vec<TOp>]) -> Scenario {
    let script = script.to_vec();
    Scenario {
        name: "proptest-ttm-script".to_string(),
        area: "ttm",
        description: format!("generated TTM script {script:?}"),
        tasks: script.len() + 1,
        options: Options::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let w = World::new(
                m,
                main,
                DeviceConfig {
                    vram_pages: VRAM_PAGES,
                    tt_pages: None,
                },
            );
            let bos: Vec<Arc<TtmBo>> = BOS
                .iter()
                .map(|(name, mem, prio, vm)| w.bo(main, name, *mem, *prio, *vm))
                .collect();
            bos[4].busy.store(true, Ordering::SeqCst);
            // Odd BOs are a generic driver's (TTM swapout may take them), even ones Xe's
            // (EXTERNAL tts: the Xe shrinker's, skipped by TTM swapout).
            for bo in bos.iter().skip(1).step_by(2) {
                w.dev.set_tt_kind(bo, TtKind::Plain);
            }
            let handles: Vec<_> = script
                .iter()
                .map(|ops| {
                    let w = World {
                        dev: Arc::clone(&w.dev),
                        vm_resv: Arc::clone(&w.vm_resv),
                        bulk: w.bulk,
                    };
                    let (bos, ops) = (bos.clone(), ops.clone());
                    m.spawn("cpu", move |t| {
                        for op in ops {
                            run_op(&t, &w, &bos, op);
                        }
                    })
                    .1
                })
                .collect();
            for h in handles {
                m.join(main, h);
            }
            w.quiesce(main);
        }),
    }
}

fn shuttle_cfg(variants: VariantSet, seed: u64, executions: usize) -> RunConfig {
    let mut cfg = RunConfig::new(EngineKind::Shuttle, variants);
    cfg.seed = seed;
    cfg.max_executions = Some(executions);
    cfg.budget = Duration::from_secs(5);
    cfg
}

fn describe(sc: &Scenario, out: &Outcome) -> String {
    match &out.found {
        None => format!(
            "{}: nothing found in {} executions",
            sc.description, out.executions
        ),
        Some(f) => format!(
            "{}\nfailure at execution {}: {}\nschedule: {:?}\ntrace:\n  {}",
            sc.description,
            f.execution,
            f.failure,
            f.schedule,
            f.trace.join("\n  ")
        ),
    }
}

/// Executions per generated script.
const EXECUTIONS: usize = 500;

proptest! {
    #![proptest_config(crate::harness::config(64))]

    /// The fixed model reports nothing on any generated script.
    #[test]
    fn generated_ttm_scripts_pass(script in script(), seed in any::<u64>()) {
        quiet_model_failures();
        let sc = ttm_script_scenario(&script);
        let out = explore(&sc, &shuttle_cfg(ttm_model::model::variants::FINDING_FIXES, seed, EXECUTIONS));
        prop_assert!(out.found.is_none(), "{}", describe(&sc, &out));
    }
}

/// The same generator with `hitch-carried` (B19) finds the walk skip: a walker parks its
/// hitch inside the VM's range A0 | A1 (X follows it on VRAM's priority-0 list), command
/// submission bumps the bulk, and the hitch is carried to the tail past X.
#[test]
fn generator_finds_hitch_carried() {
    quiet_model_failures();
    let cfg = Config {
        cases: 64,
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]));
    let out = runner.run(&(script(), any::<u64>()), |(script, seed)| {
        let sc = ttm_script_scenario(&script);
        let out = explore(
            &sc,
            &shuttle_cfg(VariantSet::of(Variant::HitchCarried), seed, EXECUTIONS),
        );
        match out.found {
            None => Ok(()),
            Some(f) => Err(TestCaseError::fail(format!(
                "{}|{}",
                f.failure.property, f.failure
            ))),
        }
    });
    let Err(proptest::test_runner::TestError::Fail(why, script)) = out else {
        panic!("64 generated scripts did not find hitch-carried: {out:?}");
    };
    let prop = Property::WalkSkip.to_string();
    assert!(
        why.message().starts_with(&format!("{prop}|")),
        "expected {prop} for {script:?}, got {why}"
    );
}

/// Control: a script shaped like the one `hitch-carried` needs passes on the fixed model
/// with many more executions.
#[test]
fn walk_against_bulk_bump_passes_on_the_fixed_model() {
    quiet_model_failures();
    let script = vec![vec![TOp::Walk], vec![TOp::ExecBump, TOp::ExecBump]];
    let sc = ttm_script_scenario(&script);
    let out = explore(
        &sc,
        &shuttle_cfg(ttm_model::model::variants::FINDING_FIXES, 11, 2000),
    );
    assert!(out.found.is_none(), "{}", describe(&sc, &out));
}
