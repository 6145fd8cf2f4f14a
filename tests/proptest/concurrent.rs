//! Generated concurrent scripts explored under shuttle: 2-3 tasks, each one transaction
//! over 1-3 of 3 locks in its own order (test-ww_mutex's stress_inorder_work back-off,
//! now and then stress_reorder_work's or a context-less `ww_mutex_lock(NULL)`), or
//! drm_exec submissions over 1-3 of 3 objects. Every generated script is explored with a
//! bounded number of random schedules; the fixed model must report nothing (each
//! transaction completes, mutual exclusion, wait-list order, oldest never killed,
//! -EDEADLK only with locks held, every lock free at the end). One test shows that the
//! same harness finds a historical bug (variant `wake-q-unflushed`).

use crate::harness::{config, quiet_model_failures};
use proptest::prelude::*;
use std::time::Duration;
use ttm_model::engine::{EngineKind, Outcome, RunConfig, explore};
use ttm_model::model::sync::Arc;
use ttm_model::model::trace::errno_name;
use ttm_model::model::{Machine, Options, Property, Task, Variant, VariantSet};
use ttm_model::scenario::Scenario;
use ttm_model::scenario::common::{
    check_quiescent, expect, inorder_transaction, locks, reorder_transaction,
};
use ttm_model::scenario::exec::submit;
use ttm_model::ww::{Algo, GemObject, WwClass, WwMutex, ww_mutex_lock, ww_mutex_unlock};

/// What one task does.
#[derive(Clone, Debug)]
pub enum Txn {
    /// One transaction with the design doc's method 1 (`inorder_transaction`).
    Inorder(Vec<usize>),
    /// One transaction with method 2 (`reorder_transaction`).
    Reorder(Vec<usize>),
    /// `ww_mutex_lock(lock, NULL)` + unlock (stress_one_work).
    NoCtx(usize),
}

#[derive(Clone, Debug)]
pub struct Script {
    pub algo: Algo,
    /// CONFIG_DEBUG_WW_MUTEX_SLOWPATH: -EDEADLK injection (and no fast paths).
    pub inject: bool,
    pub txns: Vec<Txn>,
}

/// 1-3 distinct locks out of 3, in random order.
fn lock_order() -> impl Strategy<Value = Vec<usize>> {
    (Just(vec![0usize, 1, 2]).prop_shuffle(), 1usize..=3).prop_map(|(v, n)| v[..n].to_vec())
}

fn txn() -> impl Strategy<Value = Txn> {
    prop_oneof![
        6 => lock_order().prop_map(Txn::Inorder),
        2 => lock_order().prop_map(Txn::Reorder),
        1 => (0usize..3).prop_map(Txn::NoCtx),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop_oneof![Just(Algo::WaitDie), Just(Algo::WoundWait)],
        prop::bool::weighted(0.25),
        prop::collection::vec(txn(), 2..=3),
    )
        .prop_map(|(algo, inject, txns)| Script { algo, inject, txns })
}

fn run_txn(t: &Arc<Task>, class: &Arc<WwClass>, all: &[Arc<WwMutex>], txn: &Txn) {
    let pick = |idx: &[usize]| idx.iter().map(|&i| Arc::clone(&all[i])).collect::<Vec<_>>();
    match txn {
        Txn::Inorder(idx) => {
            inorder_transaction(t, class, &pick(idx));
        }
        Txn::Reorder(idx) => reorder_transaction(t, class, &mut pick(idx)),
        Txn::NoCtx(i) => {
            let ret = ww_mutex_lock(t, &all[*i], None);
            expect(&t.machine, ret == 0, || {
                format!("ww_mutex_lock(NULL) returned {}", errno_name(ret))
            });
            ww_mutex_unlock(t, &all[*i]);
        }
    }
}

/// The scenario of a script: main spawns one task per transaction and joins them.
pub fn ww_scenario(script: &Script) -> Scenario {
    let s = script.clone();
    Scenario {
        name: format!("proptest-ww-{}", s.algo.short()),
        area: "ww",
        description: format!("generated script {s:?}"),
        tasks: s.txns.len() + 1,
        options: Options {
            inject_edeadlk: s.inject,
            ..Options::default()
        },
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let class = WwClass::new("ww_class", s.algo, 0);
            let all = locks(m, &class, "L", 3);
            let handles: Vec<_> = s
                .txns
                .iter()
                .map(|txn| {
                    let (class, all, txn) = (Arc::clone(&class), all.clone(), txn.clone());
                    m.spawn("txn", move |t| run_txn(&t, &class, &all, &txn)).1
                })
                .collect();
            for h in handles {
                m.join(main, h);
            }
            check_quiescent(m, &all);
        }),
    }
}

/// drm_exec: each task prepares its objects (1 fence each) with the retry macro.
pub fn exec_scenario(sets: &[Vec<usize>]) -> Scenario {
    let sets = sets.to_vec();
    Scenario {
        name: "proptest-exec".to_string(),
        area: "ww",
        description: format!("generated drm_exec submissions {sets:?}"),
        tasks: sets.len() + 1,
        options: Options::default(),
        body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
            let class = WwClass::reservation();
            let objs: Vec<Arc<GemObject>> = (0..3)
                .map(|i| GemObject::new(m, &format!("bo{i}"), &class))
                .collect();
            let handles: Vec<_> = sets
                .iter()
                .map(|idx| {
                    let set: Vec<Arc<GemObject>> =
                        idx.iter().map(|&i| Arc::clone(&objs[i])).collect();
                    let class = Arc::clone(&class);
                    m.spawn("submit", move |t| submit(&t, &class, &set)).1
                })
                .collect();
            for h in handles {
                m.join(main, h);
            }
            let resvs: Vec<Arc<WwMutex>> = objs.iter().map(|o| Arc::clone(&o.resv)).collect();
            check_quiescent(m, &resvs);
            for o in &objs {
                expect(m, o.refcount.read() == 1, || {
                    format!("{} leaks references", o.name)
                });
            }
        }),
    }
}

fn shuttle_cfg(variants: VariantSet, seed: u64, executions: usize, budget: Duration) -> RunConfig {
    engine_cfg(EngineKind::Shuttle, variants, seed, executions, budget)
}

fn engine_cfg(
    engine: EngineKind,
    variants: VariantSet,
    seed: u64,
    executions: usize,
    budget: Duration,
) -> RunConfig {
    let mut cfg = RunConfig::new(engine, variants);
    cfg.seed = seed;
    cfg.max_executions = Some(executions);
    cfg.budget = budget;
    cfg
}

fn describe(sc: &Scenario, out: &Outcome) -> String {
    match &out.found {
        None => format!(
            "{}: nothing found in {} executions",
            sc.description, out.executions
        ),
        Some(f) => format!(
            "{}\nfailure at execution {} ({}): {}\nschedule: {:?}\ntrace:\n  {}",
            sc.description,
            f.execution,
            f.engine.name(),
            f.failure,
            f.schedule,
            f.trace.join("\n  ")
        ),
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// The fixed model passes every generated ww script (shuttle's random scheduler or
    /// PCT with depth 3).
    #[test]
    fn generated_ww_scripts_pass(script in script(), seed in any::<u64>(), pct in any::<bool>()) {
        quiet_model_failures();
        let sc = ww_scenario(&script);
        let engine = if pct { EngineKind::ShuttlePct { depth: 3 } } else { EngineKind::Shuttle };
        let out = explore(&sc, &engine_cfg(engine, VariantSet::NONE, seed, 1000, Duration::from_secs(5)));
        prop_assert!(out.found.is_none(), "{}", describe(&sc, &out));
    }

    /// The fixed model passes every generated drm_exec script.
    #[test]
    fn generated_exec_scripts_pass(sets in prop::collection::vec(lock_order(), 2..=3), seed in any::<u64>()) {
        quiet_model_failures();
        let sc = exec_scenario(&sets);
        let out = explore(&sc, &shuttle_cfg(VariantSet::NONE, seed, 500, Duration::from_secs(5)));
        prop_assert!(out.found.is_none(), "{}", describe(&sc, &out));
    }
}

/// ABBA under Wound-Wait, both tasks with the standard back-off.
fn abba_ww() -> Script {
    Script {
        algo: Algo::WoundWait,
        inject: false,
        txns: vec![Txn::Inorder(vec![0, 1]), Txn::Inorder(vec![1, 0])],
    }
}

/// The same harness finds the lost wakeup of `wake-q-unflushed` (4a0779145781 class): the
/// older context queues behind the younger holder, wounds it and goes to sleep without
/// flushing the wake_q, while the wounded holder sleeps on the other lock: deadlock.
#[test]
fn finds_wake_q_unflushed_deadlock() {
    quiet_model_failures();
    let sc = ww_scenario(&abba_ww());
    let out = explore(
        &sc,
        &shuttle_cfg(
            VariantSet::of(Variant::WakeQUnflushed),
            7,
            5000,
            Duration::from_secs(20),
        ),
    );
    let found = out
        .found
        .as_ref()
        .unwrap_or_else(|| panic!("not found: {}", describe(&sc, &out)));
    assert_eq!(
        found.failure.property,
        Property::Deadlock,
        "{}",
        describe(&sc, &out)
    );
}

/// Control: the same script, seed and budget on the fixed model find nothing.
#[test]
fn abba_ww_fixed_model_passes() {
    quiet_model_failures();
    let sc = ww_scenario(&abba_ww());
    let out = explore(
        &sc,
        &shuttle_cfg(VariantSet::NONE, 7, 1000, Duration::from_secs(20)),
    );
    assert!(out.found.is_none(), "{}", describe(&sc, &out));
}
