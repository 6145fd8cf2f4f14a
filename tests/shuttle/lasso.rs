//! The lasso check (`model::progress`): livelocks are reported as a repeated global state
//! with the repeating part of the schedule (the cycle), and only then.

use std::time::Duration;
use ttm_model::engine::failure_file::{FailureFile, write_failure_dir};
use ttm_model::engine::{EngineKind, Found, RunConfig, explore};
use ttm_model::model::{Property, Variant, VariantSet};
use ttm_model::scenario;

fn hunt(name: &str, engine: EngineKind, v: VariantSet, seed: u64, max: usize) -> Option<Found> {
    let sc = scenario::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let mut cfg = RunConfig::new(engine, v);
    cfg.seed = seed;
    cfg.max_executions = Some(max);
    cfg.budget = Duration::from_secs(60);
    explore(&sc, &cfg).found
}

fn assert_lasso(f: &Found, what: &str) {
    assert_eq!(
        f.failure.property,
        Property::Livelock,
        "{what}: {}",
        f.failure
    );
    assert!(
        f.failure.message.starts_with("lasso: "),
        "{what}: a proven cycle, not a bound: {}",
        f.failure.message
    );
    assert!(!f.cycle_lines().is_empty(), "{what}: the cycle is reported");
}

/// S7: old do_swap_page (its page reference held while waiting) plus AMD's
/// migrate_mutex, 3 faulters that are all inside the fault path before the first
/// migration: each holder's commit meets another faulter's reference. Every one of 20
/// random seeds finds the lasso, and its cycle is a failed commit in kernel terms.
#[test]
fn b28_amd_three_faulters_lasso_on_every_seed() {
    let v = VariantSet::of(Variant::FaultRefNoTrylock);
    let mut worst = 0;
    for seed in 0..20 {
        let f = hunt("svm-amd-cpu-fault-3", EngineKind::Shuttle, v, seed, 2_000)
            .unwrap_or_else(|| panic!("seed {seed}: no lasso in 2000 executions"));
        assert_lasso(&f, &format!("seed {seed}"));
        worst = worst.max(f.execution);
        let cycle = f.cycle_lines().join("\n");
        assert!(
            cycle.contains("folio_migrate_mapping(vram0.0) -> -EAGAIN")
                && cycle.contains("do_swap_page get_page"),
            "seed {seed}: the cycle shows the commit failing on a faulter's reference:\n{cycle}"
        );
    }
    eprintln!("b28 amd 3 faulters: lasso on 20/20 seeds, at most {worst} executions");
}

/// The same scenario with the fix (mainline trylock + sleep): clean under both
/// schedulers.
#[test]
fn b28_amd_three_faulters_clean_with_the_fix() {
    for seed in 0..5 {
        for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
            let f = hunt("svm-amd-cpu-fault-3", engine, VariantSet::NONE, seed, 2_000);
            assert!(f.is_none(), "seed {seed}: {}", f.unwrap().failure);
        }
    }
}

/// Every livelock variant is found through a lasso; `no-timeslice`, where the kernel bounds
/// the loop itself (devmem_only: migrate_try_count = 3, then the GPU fault fails), is what
/// it is: a failed GPU fault (`expectation`), with no cycle.
#[test]
fn livelock_variants_are_lassos_and_no_timeslice_a_failed_gpu_fault() {
    for (v, name, lasso) in [
        (Variant::FaultRefNoTrylock, "svm-cpu-fault-2", true),
        (Variant::FaultRefNoTrylock, "svm-cpu-fault-3", true),
        (Variant::FaultTrylockSpin, "svm-drain-starve", true),
        (Variant::ExecEmptyArray, "exec-empty-array", true),
        (Variant::NoTimeslice, "svm-atomic-pingpong", false),
    ] {
        let f = hunt(name, EngineKind::Shuttle, VariantSet::of(v), 1, 200_000)
            .unwrap_or_else(|| panic!("{} not found on {name}", v.name()));
        if lasso {
            assert_lasso(&f, name);
        } else {
            assert_eq!(f.failure.property, Property::Expectation, "{}", f.failure);
            assert!(
                f.failure.message.contains("GPU fault failed"),
                "{name}: {}",
                f.failure.message
            );
            assert!(f.cycle.is_none());
        }
    }
}

/// The failure file carries the cycle, and trace.txt marks it.
#[test]
fn the_cycle_is_in_the_failure_file() {
    let f = hunt(
        "svm-drain-starve",
        EngineKind::Shuttle,
        VariantSet::of(Variant::FaultTrylockSpin),
        1,
        10_000,
    )
    .expect("found");
    assert_lasso(&f, "svm-drain-starve");
    let out = std::env::temp_dir().join(format!("ttm-model-lasso-{}", std::process::id()));
    let dir = write_failure_dir(
        &out,
        "svm-drain-starve",
        &["fault-trylock-spin".into()],
        1,
        &f,
    )
    .expect("written");
    let file = FailureFile::load(&dir).expect("loads");
    assert_eq!(file.cycle, f.cycle_lines());
    assert!(
        file.cycle
            .iter()
            .any(|l| l.contains("do_swap_page: trylock_page") && l.contains("refault")),
        "the cycle is the failed trylock and the refault: {:?}",
        file.cycle
    );
    let text = std::fs::read_to_string(dir.join("trace.txt")).unwrap();
    assert!(text.contains("# ---- cycle start") && text.contains("# ---- cycle end"));
    std::fs::remove_dir_all(&out).unwrap();
}
