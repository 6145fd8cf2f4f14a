//! Reported races as permanent regression tests (docs/regressions.md).
//!
//! Each entry is a scenario (a TOML file or a Rust scenario) plus the variant that
//! re-creates the race and the property the checker must report. For every entry:
//! * with the variant on, shuttle's random scheduler (fixed seed) finds the property
//!   within `FIND_EXECUTIONS` executions (PCT instead for a variant the registry finds
//!   only with PCT: `engine`);
//! * with it off, `CLEAN_EXECUTIONS` executions find nothing;
//! * the saved schedule `tests/regressions/schedules/<entry>.json` replays to the same
//!   property with the variant, and not without it.
//!
//! Entries come from two places, so adding one is one line or one file:
//! * every `[[expect.variant]]` of every scenario file in `scenarios/` and
//!   `tests/regressions/` (entry name `<scenario>--<variant>`);
//! * `RUST_ENTRIES` below, for scenarios written in Rust.
//!
//! Re-record the schedules after a model change: `bash scripts/rerecord-regressions.sh`.
#![cfg(all(feature = "shuttle", not(loom)))]

use std::path::{Path, PathBuf};
use std::time::Duration;
use ttm_model::engine::failure_file::{FailureFile, write_atomic};
use ttm_model::engine::{EngineKind, Found, InjectConfig, RunConfig, explore, replay_schedule};
use ttm_model::model::{Property, Variant, VariantSet};
use ttm_model::scenario::{self, Scenario, file};

/// Executions within which the race must be found with its variant on.
const FIND_EXECUTIONS: usize = 100_000;
/// Executions that must find nothing with the variant off.
const CLEAN_EXECUTIONS: usize = 2_000;

/// Regressions whose scenario is written in Rust: (entry, scenario, variant, property).
/// `variant` may name several variants joined by `+` that only together re-create the
/// kernel's behaviour (e.g. a WARN and the mainline code that turns it into a hang); the
/// entry is then checked with all of them on, and clean with all of them off.
const RUST_ENTRIES: &[(&str, &str, &str, &str)] = &[
    // PREEMPT_RT (the scenarios carry CONFIG_PREEMPT_RT in their options).
    (
        "rt-b4-chain--rt-ww-chain-edeadlk",
        "rt-b4-chain",
        "rt-ww-chain-edeadlk",
        "spurious-edeadlk",
    ),
    (
        "rt-b5-abba--rt-ww-edeadlk",
        "rt-b5-abba",
        "rt-ww-edeadlk",
        "edeadlk-bookkeeping",
    ),
    (
        "rt-b6-backout--rt-ww-backout-queued",
        "rt-b6-backout",
        "rt-ww-backout-queued",
        "pi-chain",
    ),
    (
        "rt-abba-ww--rt-wake-q-double-flush",
        "rt-abba-ww",
        "rt-wake-q-double-flush",
        "use-after-free",
    ),
    (
        "rt-abba-ww--rt-wake-q-unflushed",
        "rt-abba-ww",
        "rt-wake-q-unflushed",
        "deadlock",
    ),
    (
        "rt-pi-chain--rt-no-boost",
        "rt-pi-chain",
        "rt-no-boost",
        "priority-inversion",
    ),
    (
        "b3-stress-retry-no-timeout",
        "stress-inorder-deadline-wd",
        "stress-retry-no-timeout",
        "livelock",
    ),
    (
        "b22-evict-wait-busy-unlock",
        "ttm-evict-wait-busy",
        "evict-wait-busy-unlock",
        "eviction-progress",
    ),
    (
        "b27-vm-pt-free-keeps-bulk",
        "ttm-amdgpu-vm-fini",
        "vm-pt-free-keeps-bulk",
        "lru-structure",
    ),
    (
        "b10-exec-prelocked-listed",
        "exec-evict-set",
        "exec-prelocked-listed",
        "exec-lock-set",
    ),
    (
        "drm-exec-v3-double-unlock",
        "exec-evict-giveup",
        "exec-prelocked-double-unlock",
        "unlock-not-owner",
    ),
    (
        "wake-q-unflushed-abba-ww",
        "abba-ww",
        "wake-q-unflushed",
        "deadlock",
    ),
    (
        "first-waiter-2026-stress-inorder-wd",
        "stress-inorder-wd",
        "first-waiter-2026",
        "wait-list-order",
    ),
    (
        "wound-clear-blocked-on-lock-abba-ww",
        "abba-ww",
        "wound-clear-blocked-on-lock",
        "blocked-on",
    ),
    (
        "fifo-waiters-contend3-ww",
        "contend3-ww",
        "fifo-waiters",
        "wait-list-order",
    ),
    (
        "stamp-no-wrap-abba-wrap-wd",
        "abba-wrap-wd",
        "stamp-no-wrap",
        "oldest-killed",
    ),
    (
        "swapout-no-bulk-del",
        "ttm-swapout-bulk",
        "swapout-no-bulk-del",
        "lru-structure",
    ),
    (
        "ttm-2026-swapout-bulk-ret",
        "ttm-swapout-bulk",
        "swapout-bulk-ret",
        "lru-structure",
    ),
    (
        "b15-bulk-first-not-advanced",
        "ttm-bulk-bump",
        "bulk-first-not-advanced",
        "lru-structure",
    ),
    (
        "b16-bulk-add-pinned",
        "ttm-vm-pin",
        "bulk-add-pinned",
        "lru-structure",
    ),
    (
        "b17-ghost-keeps-bulk",
        "ttm-ghost",
        "ghost-keeps-bulk",
        "lru-structure",
    ),
    (
        "b18-pinned-on-lru",
        "ttm-evict-pin",
        "pinned-on-lru",
        "eviction-safety",
    ),
    (
        "b19-hitch-carried",
        "ttm-walk-bulk-bump",
        "hitch-carried",
        "walk-skip",
    ),
    (
        "b20-evict-first-no-recheck",
        "ttm-evict-all-race",
        "evict-first-no-recheck",
        "eviction-safety",
    ),
    (
        "b21-walker-kref-get",
        "ttm-walk-release",
        "walker-kref-get",
        "use-after-free",
    ),
    (
        "b23-ealready-abort",
        "ttm-evict-ticket",
        "ealready-abort",
        "eviction-exhaustive",
    ),
    (
        "ttm-2024-next-missing-return",
        "ttm-walk-priorities",
        "next-missing-return",
        "walk-skip",
    ),
    (
        "b24-backup-not-data",
        "ttm-shrink-revalidate",
        "backup-not-data",
        "data-loss",
    ),
    (
        "b25-shrinker-first-pass-waits",
        "ttm-shrink-kswapd",
        "shrinker-first-pass-waits",
        "reclaim-stall",
    ),
    (
        "b28-fault-ref-no-trylock",
        "svm-cpu-fault-2",
        "fault-ref-no-trylock",
        "livelock",
    ),
    (
        "b29-fault-trylock-spin",
        "svm-drain-starve",
        "fault-trylock-spin",
        "livelock",
    ),
    (
        "svm-2025-no-timeslice",
        "svm-atomic-pingpong",
        "no-timeslice",
        "expectation",
    ),
    (
        "amd-evict-signal-early",
        "svm-fault-evict-1",
        "evict-signal-early",
        "svm-eviction",
    ),
    (
        "svm-design-vm-resv-gated",
        "svm-design-vm-resv",
        "vm-resv-gated-migration",
        "deadlock",
    ),
    (
        "svm-design-sigbus-on-failure",
        "svm-design-sigbus-on-failure-2",
        "svm-sigbus-on-failure",
        "expectation",
    ),
    (
        "svm-design-watermark-stall-holding-lock",
        "svm-design-watermark-trylock-stall-locked-2",
        "svm-stall-holding-lock",
        "lock-order",
    ),
    (
        "finding-unpin-sole-member",
        "ttm-unpin-sole-member",
        "unpin-sole-member",
        "lru-structure",
    ),
    (
        "finding-bulk-leave-cursor",
        "ttm-bulk-leave-walk",
        "bulk-leave-cursor",
        "walk-skip",
    ),
    (
        "finding-unpin-sole-member-walk",
        "ttm-unpin-sole-member-walk",
        "unpin-sole-member+bulk-leave-cursor",
        "lru-structure",
    ),
    (
        "finding-unpin-sole-member-walk-pinned",
        "ttm-unpin-sole-member-walk-pinned",
        "unpin-sole-member+bulk-leave-cursor",
        "lru-structure",
    ),
    (
        "finding-populate-sole-member-walk",
        "ttm-populate-sole-member-walk",
        "unpin-sole-member+bulk-leave-cursor",
        "lru-structure",
    ),
    (
        "gem-2026-lru-scan-release-race",
        "design-gem-lru-scan-release",
        "gem-lru-release-race",
        "use-after-free",
    ),
];

/// Regressions reachable only through an error path: (entry, scenario, variant,
/// property, inject budget). The search, the clean run and the replay all run with that
/// many injected failures per execution (the saved schedule carries the failure plan).
const INJECT_ENTRIES: &[(&str, &str, &str, &str, u32)] = &[
    (
        "gpusvm-2026-evict-mm-leak",
        "svm-design-vm-resv",
        "gpusvm-evict-mm-leak",
        "expectation",
        1,
    ),
    (
        "cve-2026-52965-swapout-fail-rebump",
        "ttm-swapout-fail",
        "swapout-fail-rebump",
        "walk-progress",
        1,
    ),
    (
        "ttm-2026-shrink-backup-rebump",
        "ttm-shrink-backup-fail",
        "shrink-backup-rebump",
        "walk-progress",
        1,
    ),
    (
        "ttm-2025-ghost-reserve-after-transfer",
        "ttm-ghost-reserve-fail",
        "ghost-reserve-after-transfer",
        "use-after-free",
        1,
    ),
    (
        "ttm-2023-swapout-move-leak",
        "ttm-swapout-fail",
        "swapout-move-leak",
        "page-ledger",
        1,
    ),
];

/// Folders whose scenario files contribute entries.
const FILE_DIRS: &[&str] = &["scenarios", "tests/regressions"];

struct Entry {
    name: String,
    scenario: Scenario,
    /// The scenario file, relative to the crate root (None: a Rust scenario).
    file: Option<PathBuf>,
    /// The variant, or the first of a `+` combination.
    variant: Variant,
    /// Every variant the entry turns on.
    variants: VariantSet,
    names: Vec<String>,
    property: Property,
    /// The injection explored (off: none; a file's `[options] inject`).
    inject: InjectConfig,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every scenario file of `FILE_DIRS`, sorted per directory.
fn scenario_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in FILE_DIRS {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        out.extend(paths);
    }
    out
}

fn entries() -> Vec<Entry> {
    let mut out = Vec::new();
    for (name, sc, variant, property) in RUST_ENTRIES {
        let list: Vec<Variant> = variant
            .split('+')
            .map(|v| Variant::from_name(v).unwrap_or_else(|| panic!("{name}: no variant {v}")))
            .collect();
        out.push(Entry {
            name: name.to_string(),
            scenario: scenario::find(sc).unwrap_or_else(|| panic!("{name}: no scenario {sc}")),
            file: None,
            variant: list[0],
            variants: list.iter().fold(VariantSet::NONE, |s, v| s.with(*v)),
            names: list.iter().map(|v| v.name().to_string()).collect(),
            property: Property::from_name(property)
                .unwrap_or_else(|| panic!("{name}: no property {property}")),
            inject: InjectConfig::off(),
        });
    }
    for (name, sc, variant, property, inject) in INJECT_ENTRIES {
        out.push(Entry {
            name: name.to_string(),
            scenario: scenario::find(sc).unwrap_or_else(|| panic!("{name}: no scenario {sc}")),
            file: None,
            variant: Variant::from_name(variant)
                .unwrap_or_else(|| panic!("{name}: no variant {variant}")),
            variants: VariantSet::of(
                Variant::from_name(variant)
                    .unwrap_or_else(|| panic!("{name}: no variant {variant}")),
            ),
            names: vec![variant.to_string()],
            property: Property::from_name(property)
                .unwrap_or_else(|| panic!("{name}: no property {property}")),
            inject: InjectConfig::budget(*inject),
        });
    }
    for p in scenario_files() {
        let rel = p.strip_prefix(root()).unwrap_or(&p).to_path_buf();
        let f = file::load(&p).unwrap_or_else(|e| panic!("{e}"));
        for (variant, property) in &f.variants {
            out.push(Entry {
                name: format!("{}--{}", f.scenario.name, variant.name()),
                scenario: f.scenario.clone(),
                file: Some(rel.clone()),
                variant: *variant,
                variants: VariantSet::of(*variant),
                names: vec![variant.name().to_string()],
                property: *property,
                inject: f.inject.clone(),
            });
        }
    }
    out
}

/// A fixed seed per entry (FNV-1a of its name): the search is deterministic.
fn seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// The engine an entry is searched with: shuttle's random scheduler, unless the registry
/// names PCT and not random shuttle for the variant (a window of a few steps of one CPU
/// against a long sequence of another: `fault-no-ref`, `reuse-before-page-free`).
fn engine(e: &Entry) -> EngineKind {
    let engines = e.variant.info().engines;
    if !engines
        .iter()
        .any(|g| *g == "shuttle" || *g == "shuttle-inject")
        && engines.contains(&"shuttle-pct")
    {
        EngineKind::ShuttlePct { depth: 3 }
    } else {
        EngineKind::Shuttle
    }
}

fn search(e: &Entry, variants: VariantSet, executions: usize) -> (usize, Option<Found>) {
    let mut cfg = RunConfig::new(engine(e), variants);
    cfg.seed = seed(&e.name);
    cfg.max_executions = Some(executions);
    cfg.budget = Duration::from_secs(3600);
    cfg.inject = e.inject.clone();
    let o = explore(&e.scenario, &cfg);
    (o.executions, o.found)
}

/// The model an entry's race must be absent from: the baseline for a bug or mutation;
/// for a finding (baseline behaviour) the proposal that removes it.
fn fixed_model(e: &Entry) -> VariantSet {
    e.variants
        .iter()
        .fold(VariantSet::NONE, |s, v| s.union(VariantSet::fixed_for(v)))
}

fn schedule_path(e: &Entry) -> PathBuf {
    root()
        .join("tests/regressions/schedules")
        .join(format!("{}.json", e.name))
}

#[test]
fn table_covers_the_historical_variants() {
    let entries = entries();
    let names: Vec<&str> = entries.iter().map(|e| e.variant.name()).collect();
    for v in Variant::ALL {
        let info = v.info();
        if info.kind == ttm_model::model::variants::VariantKind::Historical
            && info.engines.contains(&"shuttle")
        {
            assert!(
                names.contains(&info.name),
                "no regression entry for {}",
                info.name
            );
        }
    }
    let mut all: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "entry names are unique");
}

/// Every scenario file that says `[expect] fixed = "pass"` passes on the baseline (also
/// the files without variants, which no entry runs).
#[test]
fn files_expected_to_pass_do() {
    for p in scenario_files() {
        let f = file::load(&p).unwrap_or_else(|e| panic!("{e}"));
        if !f.fixed_passes {
            continue;
        }
        let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
        cfg.seed = seed(&f.scenario.name);
        cfg.max_executions = Some(CLEAN_EXECUTIONS);
        cfg.budget = Duration::from_secs(3600);
        cfg.inject = f.inject.clone();
        let o = explore(&f.scenario, &cfg);
        if let Some(found) = o.found {
            panic!(
                "{}: expect.fixed = \"pass\", but the baseline fails: {}",
                p.display(),
                found.failure
            );
        }
    }
}

/// Areas whose every historical variant must have a regression *file* (TOML, issue 13:
/// the file format is enough to write each reported race down without Rust).
const FILE_AREAS: &[&str] = &["ttm", "svm"];

/// Every historical variant of the areas in `areas` that has no scenario-file entry, and
/// every file entry whose property is not the one the registry gives its variant.
fn missing_file_entries(areas: &[&str]) -> Vec<String> {
    let entries = entries();
    let mut out = Vec::new();
    for v in Variant::ALL {
        let info = v.info();
        if info.kind != ttm_model::model::variants::VariantKind::Historical
            || !areas.contains(&info.area)
        {
            continue;
        }
        let files: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.file.is_some() && e.variant == v)
            .collect();
        if files.is_empty() {
            out.push(format!(
                "{} ({}): no tests/regressions/*.toml names it",
                info.name, info.area
            ));
        }
        for e in files {
            if e.property != info.property {
                out.push(format!(
                    "{}: {} expects {} but the variant's property is {}",
                    info.name, e.name, e.property, info.property
                ));
            }
        }
    }
    out
}

#[test]
fn every_historical_variant_of_the_file_areas_has_a_file() {
    let missing = missing_file_entries(FILE_AREAS);
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn each_race_is_found_with_its_variant() {
    for e in entries() {
        let (n, found) = search(&e, e.variants, FIND_EXECUTIONS);
        let f = found.unwrap_or_else(|| {
            panic!(
                "{}: variant {} not found in {n} executions",
                e.name,
                e.variant.name()
            )
        });
        assert_eq!(f.failure.property, e.property, "{}: {}", e.name, f.failure);
        if e.inject.budget > 0 {
            assert!(
                !f.injected.is_empty(),
                "{}: found without injection",
                e.name
            );
        }
    }
}

#[test]
fn nothing_is_found_without_the_variant() {
    for e in entries() {
        let (n, found) = search(&e, fixed_model(&e), CLEAN_EXECUTIONS);
        if let Some(f) = found {
            panic!(
                "{}: the fixed model fails: {}\n{}",
                e.name,
                f.failure,
                f.trace.join("\n")
            );
        }
        assert_eq!(n, CLEAN_EXECUTIONS, "{}: the whole budget ran", e.name);
    }
}

#[test]
fn saved_schedules_replay() {
    for e in entries() {
        let path = schedule_path(&e);
        let saved = FailureFile::load(&path).unwrap_or_else(|err| {
            panic!(
                "{}: {err}; record it with: bash scripts/rerecord-regressions.sh",
                e.name
            )
        });
        assert_eq!(saved.scenario, e.scenario.name, "{}", path.display());
        assert_eq!(saved.property, e.property, "{}", path.display());
        let again = replay_schedule(&e.scenario, e.variants, &saved.schedule)
            .unwrap_or_else(|err| {
                panic!(
                    "{}: {err}; the model changed: bash scripts/rerecord-regressions.sh",
                    e.name
                )
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: the saved schedule no longer fails; bash scripts/rerecord-regressions.sh",
                    e.name
                )
            });
        assert_eq!(
            again.failure.property, e.property,
            "{}: {}",
            e.name, again.failure
        );
        let fixed = replay_schedule(&e.scenario, fixed_model(&e), &saved.schedule);
        assert!(
            !matches!(fixed, Ok(Some(_))),
            "{}: the fixed model fails on the saved schedule",
            e.name
        );
    }
}

/// Re-record every saved schedule (run by scripts/rerecord-regressions.sh).
#[test]
#[ignore]
fn record_schedules() {
    // RECORD_ONLY=a,b re-records only the entries whose names contain one of those.
    let only: Option<Vec<String>> = std::env::var("RECORD_ONLY")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    for e in entries() {
        if let Some(only) = &only
            && !only.iter().any(|o| e.name.contains(o.as_str()))
        {
            continue;
        }
        let (n, found) = search(&e, e.variants, FIND_EXECUTIONS);
        let f = found.unwrap_or_else(|| panic!("{}: not found in {n} executions", e.name));
        assert_eq!(f.failure.property, e.property, "{}: {}", e.name, f.failure);
        let path = schedule_path(&e);
        let rel = Path::new("tests/regressions/schedules").join(format!("{}.json", e.name));
        let file = FailureFile::from_found_in(
            &e.scenario.name,
            e.file.as_deref(),
            &e.names,
            seed(&e.name),
            &f,
            &rel,
        );
        let json = serde_json::to_vec_pretty(&file).expect("serialise");
        write_atomic(&path, &json).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        println!(
            "recorded {} ({} after {n} executions)",
            rel.display(),
            e.property
        );
    }
}
