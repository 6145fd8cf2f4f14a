//! Exploration benchmarks: executions per second, time to first failure of every variant,
//! growth with the number of tasks, and loom preemption-bound exhaustion. A plain `main`
//! (no criterion); every mode prints a markdown table and the command that produced it.
//!
//! ```text
//! cargo bench --bench explore -- throughput [--budget 2s] [--scenarios a,b] [--engines e,f]
//! cargo bench --bench explore -- ttff [--seeds 20] [--max-exec 100000] [--seed-budget 300ms] [--cap 170s]
//! cargo bench --bench explore -- growth [--budget 2s] [--seeds 20] [--seed-budget 300ms]
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo bench --bench explore -- loom-bounds [--cap 150s]
//! cargo bench --bench explore -- ttm-growth [--budget 2s] [--seeds 20] [--variants a,b]
//! cargo bench --no-default-features --bench explore -- throughput
//! cargo bench --bench explore -- inject [--budget 2s] [--scenarios a,b]
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo bench --bench explore -- inject
//! ```
//!
//! The engines are those of the build: shuttle random / PCT(3) / portfolio (default
//! build), loom (`--cfg loom`), real threads (`--no-default-features`).

use std::time::{Duration, Instant};
use ttm_model::cli::parse_budget;
use ttm_model::engine::{EngineKind, InjectConfig, Outcome, RunConfig, explore};
use ttm_model::model::{Variant, VariantSet};
use ttm_model::scenario::{self, Scenario};

/// The engine family of this build, as named in `VariantInfo::engines`.
#[cfg(loom)]
const FAMILY: &str = "loom";
#[cfg(all(feature = "shuttle", not(loom)))]
const FAMILY: &str = "shuttle";
#[cfg(not(any(loom, feature = "shuttle")))]
const FAMILY: &str = "threads";

/// How to invoke this benchmark in this build (for the "command:" line).
#[cfg(loom)]
const INVOCATION: &str =
    "RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom cargo bench --bench explore --";
#[cfg(all(feature = "shuttle", not(loom)))]
const INVOCATION: &str = "cargo bench --bench explore --";
#[cfg(not(any(loom, feature = "shuttle")))]
const INVOCATION: &str = "cargo bench --no-default-features --bench explore --";

const USAGE: &str = "usage: cargo bench --bench explore -- <mode> [options]
modes:
  throughput   executions/s of the fixed model per scenario and engine, trace on and off
  ttff         time to first failure of every variant on its scenarios
  growth       throughput and time to first failure as the number of tasks grows
  loom-bounds  (loom build) executions and wall time to exhaust preemption bounds 1..=B
  ttm-growth   TTM: exec/s and time to first failure as CPUs (2..64) and BOs grow
  inject       cost of fault injection: exec/s with --inject 1 against 0 (shuttle, threads),
               and the cost of the failure plans at bound 2 (loom), side by side
options:
  --budget D        wall budget per throughput cell (default 2s)
  --scenarios a,b   scenarios (default depends on the mode)
  --variants a,b    variants for ttff (default: all of this build's engine family)
  --engines e,f     restrict to these engines of the build (shuttle, shuttle-pct, portfolio, loom, threads)
  --seeds N         seeds per (variant, scenario, engine) in ttff/growth (default 20)
  --max-exec N      execution cap per seed in ttff/growth (default 100000; loom: no cap)
  --seed-budget D   wall cap per seed (shuttle/threads) in ttff/growth (default 300ms)
  --pair-budget D   wall cap per pair for loom ttff (default 60s; 1s is kept for each later pair)
  --cap D           total wall cap of the mode (default: ttff 170s, growth 170s, loom-bounds 150s)
  --max-bound B     loom: highest preemption bound (ttff default 2, loom-bounds default 3)
  --any-engine      ttff: also run variants whose registry entry does not list this build's engine
  --no-trace        record no event traces (ttff, growth, loom-bounds; throughput measures both)";

#[derive(Clone, Debug)]
struct Args {
    mode: String,
    raw: Vec<String>,
    budget: Duration,
    scenarios: Option<Vec<String>>,
    variants: Option<Vec<String>>,
    engines: Option<Vec<String>>,
    seeds: u64,
    /// None: 100 000 per seed for shuttle/threads, no cap for loom.
    max_exec: Option<usize>,
    seed_budget: Duration,
    pair_budget: Duration,
    cap: Option<Duration>,
    max_bound: Option<usize>,
    trace: bool,
    /// ttff: also run variants whose info().engines do not list this build's engine.
    any_engine: bool,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn parse_args() -> Result<Args, String> {
    // cargo bench appends `--bench` to the arguments of a harness = false target.
    let raw: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut it = raw.iter();
    let mode = it.next().cloned().ok_or_else(|| USAGE.to_string())?;
    let mut a = Args {
        mode,
        raw: raw.clone(),
        budget: Duration::from_secs(2),
        scenarios: None,
        variants: None,
        engines: None,
        seeds: 20,
        max_exec: None,
        seed_budget: Duration::from_millis(300),
        pair_budget: Duration::from_secs(60),
        cap: None,
        max_bound: None,
        trace: true,
        any_engine: false,
    };
    while let Some(opt) = it.next() {
        if opt == "--no-trace" {
            a.trace = false;
            continue;
        }
        if opt == "--any-engine" {
            a.any_engine = true;
            continue;
        }
        let val = it
            .next()
            .ok_or_else(|| format!("option {opt} needs a value\n{USAGE}"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("bad number '{v}' for {opt}"))
        };
        match opt.as_str() {
            "--budget" => a.budget = parse_budget(val)?,
            "--scenarios" => a.scenarios = Some(list(val)),
            "--variants" => a.variants = Some(list(val)),
            "--engines" => a.engines = Some(list(val)),
            "--seeds" => a.seeds = num(val)?,
            "--max-exec" => a.max_exec = Some(num(val)? as usize),
            "--seed-budget" => a.seed_budget = parse_budget(val)?,
            "--pair-budget" => a.pair_budget = parse_budget(val)?,
            "--cap" => a.cap = Some(parse_budget(val)?),
            "--max-bound" => a.max_bound = Some(num(val)? as usize),
            other => return Err(format!("unknown option '{other}'\n{USAGE}")),
        }
    }
    Ok(a)
}

// ---------------------------------------------------------------------------------------
// Engines of the build

/// Engines measured by `throughput` in this build.
fn throughput_engines() -> Vec<EngineKind> {
    #[cfg(loom)]
    return vec![EngineKind::Loom { max_bound: None }];
    #[cfg(all(feature = "shuttle", not(loom)))]
    return vec![
        EngineKind::Shuttle,
        EngineKind::ShuttlePct { depth: 3 },
        EngineKind::Portfolio,
    ];
    #[cfg(not(any(loom, feature = "shuttle")))]
    return vec![EngineKind::Threads];
}

/// Engines used for time-to-first-failure (per-seed runs; no portfolio, whose execution
/// index is per worker).
fn ttff_engines(max_bound: usize) -> Vec<EngineKind> {
    #[cfg(loom)]
    return vec![EngineKind::Loom {
        max_bound: Some(max_bound),
    }];
    #[cfg(not(loom))]
    let _ = max_bound;
    #[cfg(all(feature = "shuttle", not(loom)))]
    return vec![EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }];
    #[cfg(not(any(loom, feature = "shuttle")))]
    return vec![EngineKind::Threads];
}

fn engine_label(e: EngineKind) -> String {
    match e {
        EngineKind::Shuttle => "shuttle random".to_string(),
        EngineKind::ShuttlePct { depth } => format!("shuttle PCT({depth})"),
        EngineKind::Portfolio => {
            let n = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2);
            format!("portfolio ({n} workers)")
        }
        EngineKind::Loom { max_bound: Some(b) } => format!("loom pb<={b}"),
        EngineKind::Loom { max_bound: None } => "loom (deepening)".to_string(),
        EngineKind::Threads => "threads".to_string(),
    }
}

fn selected(args: &Args, engines: Vec<EngineKind>) -> Vec<EngineKind> {
    match &args.engines {
        None => engines,
        Some(names) => engines
            .into_iter()
            .filter(|e| names.iter().any(|n| n == e.name()))
            .collect(),
    }
}

fn is_loom(e: EngineKind) -> bool {
    matches!(e, EngineKind::Loom { .. })
}

/// Does the variant list this engine? (PCT is listed as "shuttle-pct".)
fn variant_supports(v: Variant, e: EngineKind) -> bool {
    let name = match e {
        EngineKind::Portfolio => "shuttle",
        other => other.name(),
    };
    v.info().engines.contains(&name)
}

// ---------------------------------------------------------------------------------------
// Helpers

fn run(
    sc: &Scenario,
    engine: EngineKind,
    variants: VariantSet,
    trace: bool,
    budget: Duration,
    seed: u64,
    max_exec: Option<usize>,
) -> Outcome {
    let mut cfg = RunConfig::new(engine, variants);
    cfg.trace = trace;
    cfg.budget = budget;
    cfg.seed = seed;
    cfg.max_executions = max_exec;
    explore(sc, &cfg)
}

fn rate(o: &Outcome) -> f64 {
    o.executions as f64 / o.elapsed.as_secs_f64().max(1e-9)
}

fn fmt_rate(r: f64) -> String {
    if r >= 10_000.0 {
        format!("{:.1} k", r / 1000.0)
    } else if r >= 100.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

fn median_f(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn short(msg: &str, n: usize) -> String {
    let one_line = msg.replace(['\n', '|'], " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

fn failure_cell(o: &Outcome) -> String {
    match &o.found {
        None => "pass".to_string(),
        Some(f) => format!(
            "**FAIL {}** at execution {}: {}",
            f.failure.property.name(),
            f.execution,
            short(&f.failure.message, 100)
        ),
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_string())
}

fn header(args: &Args, what: &str) {
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let git = |a: &[&str]| {
        std::process::Command::new("git")
            .args(a)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = match git(&["rev-parse", "--short", "HEAD"]) {
        Some(c) => {
            let dirty = git(&["status", "--porcelain", "--", "src", "Cargo.toml"])
                .is_some_and(|s| !s.is_empty());
            format!(
                "{c}{}",
                if dirty {
                    " + uncommitted changes in src/"
                } else {
                    ""
                }
            )
        }
        None => "?".to_string(),
    };
    println!("### {what}\n");
    println!("command: `{} {}`\n", INVOCATION, args.raw.join(" "));
    println!(
        "build: {FAMILY}; commit: {commit}; cores: {cores}; {rustc}; load average at start: {}\n",
        loadavg()
    );
}

fn footer(start: Instant) {
    println!(
        "\nwall time of this mode: {}; load average at end: {}\n",
        fmt_dur(start.elapsed()),
        loadavg()
    );
}

fn find_scenarios(names: &[String]) -> Vec<Scenario> {
    names
        .iter()
        .filter_map(|n| {
            let s = scenario::find(n);
            if s.is_none() {
                eprintln!("warning: unknown scenario '{n}', skipped");
            }
            s
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Shares a total wall cap fairly over the work units still to run: each unit gets at
/// most `unit_cap` and at most `remaining / units_left`; time a unit leaves unused rolls
/// over to the later ones.
struct Fair {
    start: Instant,
    cap: Duration,
    units_left: usize,
}

impl Fair {
    fn new(cap: Duration, units: usize) -> Fair {
        Fair {
            start: Instant::now(),
            cap,
            units_left: units.max(1),
        }
    }

    /// Budget of the next unit; None when the cap is spent. With `reserve` > 0 a unit may
    /// take everything but `reserve` per later unit (most units finish early), never
    /// less than the fair share.
    fn next(&mut self, unit_cap: Duration, reserve: Duration) -> Option<Duration> {
        let remaining = self.cap.saturating_sub(self.start.elapsed());
        let later = self.units_left.saturating_sub(1);
        let share = remaining / self.units_left.max(1) as u32;
        let greedy = if reserve.is_zero() {
            Duration::ZERO
        } else {
            remaining.saturating_sub(reserve * later as u32)
        };
        self.units_left = later;
        if remaining < Duration::from_millis(5) {
            return None;
        }
        Some(
            share
                .max(greedy)
                .min(unit_cap)
                .max(Duration::from_millis(5)),
        )
    }

    fn skip(&mut self, units: usize) {
        self.units_left = self.units_left.saturating_sub(units);
    }
}

// ---------------------------------------------------------------------------------------
// throughput

const THROUGHPUT_DEFAULT: &[&str] = &[
    "abba-wd",
    "abba-ww",
    "cycle3-wd",
    "cycle3-ww",
    "cycle8-wd",
    "cycle8-ww",
    "contend3-wd",
    "exec-ctx3",
];

/// Scenarios of the injection-cost mode: ABBA, cycle3, a TTM walker shape, an SVM one.
const INJECT_DEFAULT: &[&str] = &[
    "abba-ww",
    "cycle3-ww",
    "ttm-walk2-bump",
    "svm-fault-evict-1",
];

/// The loom bound-2 set of tests/loom (the plans' cost is measured on it).
const LOOM_BOUND2_SET: &[&str] = &[
    "abba-wd",
    "abba-ww",
    "ring2-wd",
    "ring2-ww",
    "cycle2-wd",
    "cycle2-ww",
    "cycle3-wd",
    "cycle3-ww",
    "exec-ctx2",
    "ttm-walk2-bump",
    "svm-fault-evict-1",
];

fn run_inject(sc: &Scenario, e: EngineKind, inject: u32, budget: Duration) -> Outcome {
    let mut cfg = RunConfig::new(e, VariantSet::NONE);
    cfg.budget = budget;
    cfg.inject = InjectConfig::budget(inject);
    if is_loom(e) {
        cfg.engine = EngineKind::Loom { max_bound: Some(2) };
    }
    explore(sc, &cfg)
}

/// `inject`: the same scenario with `--inject 0` and `--inject 1`, alternated in one run
/// (two rounds each, so drift on a noisy machine hits both sides alike).
fn inject_cost(args: &Args) {
    let start = Instant::now();
    let loom = FAMILY == "loom";
    let default = if loom {
        LOOM_BOUND2_SET
    } else {
        INJECT_DEFAULT
    };
    let names = args.scenarios.clone().unwrap_or_else(|| strings(default));
    let scenarios = find_scenarios(&names);
    let engines = selected(args, throughput_engines());
    if loom {
        header(
            args,
            "inject: loom bound 2, failure plans (--inject 1) against none",
        );
        println!(
            "| scenario | tasks | executions inject 0 | wall inject 0 | executions inject 1 | wall inject 1 | ratio (wall) | plans | result |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        let budget = args.cap.unwrap_or(Duration::from_secs(120));
        for sc in scenarios.iter().filter(|s| s.fits_loom()) {
            eprintln!("inject: {} ...", sc.name);
            let e = EngineKind::Loom { max_bound: Some(2) };
            let off = run_inject(sc, e, 0, budget);
            let on = run_inject(sc, e, 1, budget);
            let plans: Vec<&String> = on.notes.iter().filter(|n| n.contains("plans")).collect();
            let result = match (&off.found, &on.found, on.incomplete) {
                (None, None, false) => "both exhausted, clean".to_string(),
                (None, None, true) => "inject 1 incomplete".to_string(),
                (Some(_), _, _) => format!("inject 0: {}", failure_cell(&off)),
                (None, Some(_), _) => format!("inject 1: {}", failure_cell(&on)),
            };
            println!(
                "| {} | {} | {} | {} | {} | {} | {:.1}x | {} | {} |",
                sc.name,
                sc.tasks,
                off.executions,
                fmt_dur(off.elapsed),
                on.executions,
                fmt_dur(on.elapsed),
                on.elapsed.as_secs_f64() / off.elapsed.as_secs_f64().max(1e-9),
                plans
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                result
            );
        }
        footer(start);
        return;
    }
    header(
        args,
        &format!(
            "inject: exec/s with --inject 1 against --inject 0, {} per cell, two alternated rounds",
            fmt_dur(args.budget)
        ),
    );
    println!("| scenario | tasks | engine | exec/s inject 0 | exec/s inject 1 | 1/0 | result |");
    println!("|---|---|---|---|---|---|---|");
    for sc in &scenarios {
        for &e in &engines {
            eprintln!("inject: {} / {} ...", sc.name, engine_label(e));
            let (mut n0, mut t0, mut n1, mut t1) = (0usize, 0f64, 0usize, 0f64);
            let mut result = "pass".to_string();
            for _ in 0..2 {
                for (inject, n, t) in [(0, &mut n0, &mut t0), (1, &mut n1, &mut t1)] {
                    let o = run_inject(sc, e, inject, args.budget / 2);
                    *n += o.executions;
                    *t += o.elapsed.as_secs_f64();
                    if o.found.is_some() {
                        result = format!("inject {inject}: {}", failure_cell(&o));
                    }
                }
            }
            let (r0, r1) = (n0 as f64 / t0.max(1e-9), n1 as f64 / t1.max(1e-9));
            println!(
                "| {} | {} | {} | {} | {} | {:.2} | {} |",
                sc.name,
                sc.tasks,
                engine_label(e),
                fmt_rate(r0),
                fmt_rate(r1),
                r1 / r0.max(1e-9),
                result
            );
        }
    }
    footer(start);
}

fn throughput(args: &Args) {
    let start = Instant::now();
    let names = args
        .scenarios
        .clone()
        .unwrap_or_else(|| strings(THROUGHPUT_DEFAULT));
    let scenarios = find_scenarios(&names);
    let engines = selected(args, throughput_engines());
    header(
        args,
        &format!(
            "throughput: fixed model, {} per cell, trace on and off",
            fmt_dur(args.budget)
        ),
    );
    println!(
        "| scenario | tasks | engine | exec/s trace on | exec/s trace off | off/on | executions on / off | result |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // (scenario, engine, trace-on rate) for the target check.
    let mut rates: Vec<(String, EngineKind, f64)> = Vec::new();
    for sc in &scenarios {
        for &e in &engines {
            if is_loom(e) && !sc.fits_loom() {
                println!(
                    "| {} | {} | {} | n/a | n/a | | | not run: {} tasks > loom's 5 threads |",
                    sc.name,
                    sc.tasks,
                    engine_label(e),
                    sc.tasks
                );
                continue;
            }
            eprintln!("throughput: {} / {} ...", sc.name, engine_label(e));
            let on = run(sc, e, VariantSet::NONE, true, args.budget, 0, None);
            let off = run(sc, e, VariantSet::NONE, false, args.budget, 0, None);
            let result = match (&on.found, &off.found) {
                (None, None) => "pass".to_string(),
                (Some(_), _) => format!("trace on: {}", failure_cell(&on)),
                (None, Some(_)) => format!("trace off: {}", failure_cell(&off)),
            };
            println!(
                "| {} | {} | {} | {} | {} | {:.2} | {} / {} | {} |",
                sc.name,
                sc.tasks,
                engine_label(e),
                fmt_rate(rate(&on)),
                fmt_rate(rate(&off)),
                rate(&off) / rate(&on).max(1e-9),
                on.executions,
                off.executions,
                result
            );
            rates.push((sc.name.clone(), e, rate(&on)));
        }
    }
    if FAMILY == "shuttle" {
        println!("\nIssue targets (shuttle random scheduler, trace on):\n");
        println!("| target | scenario | measured | met |");
        println!("|---|---|---|---|");
        for (scn, target) in [
            ("abba-wd", 20_000.0),
            ("abba-ww", 20_000.0),
            ("cycle8-wd", 5_000.0),
            ("cycle8-ww", 5_000.0),
        ] {
            let got = rates
                .iter()
                .find(|(n, e, _)| n == scn && *e == EngineKind::Shuttle)
                .map(|r| r.2);
            match got {
                Some(r) => println!(
                    "| >= {} exec/s | {scn} | {} | {} |",
                    fmt_rate(target),
                    fmt_rate(r),
                    if r >= target { "yes" } else { "**no**" }
                ),
                None => println!(
                    "| >= {} exec/s | {scn} | not measured | |",
                    fmt_rate(target)
                ),
            }
        }
    }
    footer(start);
}

// ---------------------------------------------------------------------------------------
// time to first failure

/// One (variant, scenario, engine) cell of a ttff table.
struct TtffRow {
    variant: String,
    scenario: String,
    engine: EngineKind,
    /// Outcomes per seed (shuttle/threads) or the single loom run.
    outcomes: Vec<Outcome>,
    /// Seeds planned (some may be cut by the total cap).
    planned: usize,
    note: String,
}

fn ttff_cell(
    sc: &Scenario,
    variants: VariantSet,
    e: EngineKind,
    args: &Args,
    fair: &mut Fair,
) -> (Vec<Outcome>, usize, String) {
    let mut outcomes = Vec::new();
    if is_loom(e) {
        match fair.next(args.pair_budget, Duration::from_secs(1)) {
            Some(b) => outcomes.push(run(sc, e, variants, args.trace, b, 0, args.max_exec)),
            None => return (outcomes, 1, "not run: total cap spent".to_string()),
        }
        return (outcomes, 1, String::new());
    }
    let seeds = args.seeds as usize;
    for seed in 0..args.seeds {
        match fair.next(args.seed_budget, Duration::ZERO) {
            Some(b) => outcomes.push(run(
                sc,
                e,
                variants,
                args.trace,
                b,
                seed,
                Some(seed_cap(args)),
            )),
            None => {
                fair.skip(seeds - seed as usize - 1);
                return (outcomes, seeds, "total cap spent".to_string());
            }
        }
    }
    (outcomes, seeds, String::new())
}

/// Execution cap per seed (shuttle/threads).
fn seed_cap(args: &Args) -> usize {
    args.max_exec.unwrap_or(100_000)
}

fn print_ttff_table(rows: &[TtffRow], args: &Args) {
    let loom = rows.iter().any(|r| is_loom(r.engine));
    if loom {
        println!(
            "| variant | scenario | engine | found | found at bound | execution in that bound | executions (all bounds) | wall | property | exhausted bounds without failure |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
    } else {
        println!(
            "| variant | scenario | engine | found / seeds | median exec to failure | max exec to failure | median wall to failure | property | executions in seeds that did not find it |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
    }
    for r in rows {
        if loom {
            let Some(o) = r.outcomes.first() else {
                println!(
                    "| {} | {} | {} | — | | | | | | {} |",
                    r.variant,
                    r.scenario,
                    engine_label(r.engine),
                    r.note
                );
                continue;
            };
            let exhausted = o
                .exhausted_bound
                .map_or("none".to_string(), |b| format!("1..={b}"));
            match &o.found {
                Some(f) => {
                    let bound = match f.engine {
                        EngineKind::Loom { max_bound: Some(b) } => b.to_string(),
                        _ => "?".to_string(),
                    };
                    println!(
                        "| {} | {} | {} | yes | {} | {} | {} | {} | {} | {} |",
                        r.variant,
                        r.scenario,
                        engine_label(r.engine),
                        bound,
                        f.execution,
                        o.executions,
                        fmt_dur(o.elapsed),
                        f.failure.property.name(),
                        exhausted
                    );
                }
                None => println!(
                    "| {} | {} | {} | **no**{} | | | {} | {} | | {} |",
                    r.variant,
                    r.scenario,
                    engine_label(r.engine),
                    if o.incomplete {
                        " (budget cut the search)"
                    } else {
                        ""
                    },
                    o.executions,
                    fmt_dur(o.elapsed),
                    exhausted
                ),
            }
            continue;
        }
        let found: Vec<&Outcome> = r.outcomes.iter().filter(|o| o.found.is_some()).collect();
        let mut execs: Vec<f64> = found
            .iter()
            .filter_map(|o| o.found.as_ref().map(|f| f.execution as f64))
            .collect();
        let mut walls: Vec<f64> = found.iter().map(|o| o.elapsed.as_secs_f64()).collect();
        let max = execs
            .iter()
            .cloned()
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let mut props: Vec<(&str, usize)> = Vec::new();
        for o in &found {
            if let Some(f) = &o.found {
                let p = f.failure.property.name();
                match props.iter_mut().find(|(n, _)| *n == p) {
                    Some(e) => e.1 += 1,
                    None => props.push((p, 1)),
                }
            }
        }
        let props = props
            .iter()
            .map(|(p, n)| {
                if *n == found.len() {
                    p.to_string()
                } else {
                    format!("{p} ×{n}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let missed: Vec<&Outcome> = r.outcomes.iter().filter(|o| o.found.is_none()).collect();
        let missed_cell = if missed.is_empty() {
            "—".to_string()
        } else {
            let min_e = missed.iter().map(|o| o.executions).min().unwrap_or(0);
            let max_e = missed.iter().map(|o| o.executions).max().unwrap_or(0);
            let max_t = missed.iter().map(|o| o.elapsed).max().unwrap_or_default();
            format!("{min_e}–{max_e} each (≤ {})", fmt_dur(max_t))
        };
        let run_n = r.outcomes.len();
        let seeds_cell = if run_n < r.planned {
            format!(
                "{}/{} ({} of {} seeds run: {})",
                found.len(),
                run_n,
                run_n,
                r.planned,
                r.note
            )
        } else {
            format!("{}/{}", found.len(), run_n)
        };
        let bold = if found.is_empty() {
            format!("**{seeds_cell}**")
        } else {
            seeds_cell
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.variant,
            r.scenario,
            engine_label(r.engine),
            bold,
            median_f(&mut execs).map_or("—".to_string(), |m| format!("{m}")),
            max.map_or("—".to_string(), |m| format!("{m}")),
            median_f(&mut walls).map_or("—".to_string(), |s| fmt_dur(Duration::from_secs_f64(s))),
            if props.is_empty() {
                "—".to_string()
            } else {
                props
            },
            missed_cell
        );
    }
    // One example failure message per row.
    println!("\nExample failure per row (first finding seed):\n");
    for r in rows {
        if let Some(f) = r.outcomes.iter().find_map(|o| o.found.as_ref()) {
            println!(
                "- {} / {} / {}: {}: {}",
                r.variant,
                r.scenario,
                engine_label(r.engine),
                f.failure.property.name(),
                short(&f.failure.message, 200)
            );
        }
    }
    if !loom {
        println!(
            "\nCaps: {} seeds (RunConfig.seed = 0..{}), at most {} executions and {} wall per seed.",
            args.seeds,
            args.seeds,
            seed_cap(args),
            fmt_dur(args.seed_budget)
        );
    }
}

fn ttff(args: &Args) {
    let start = Instant::now();
    let max_bound = args.max_bound.unwrap_or(2);
    let engines = selected(args, ttff_engines(max_bound));
    let variants: Vec<Variant> = match &args.variants {
        None => Variant::ALL.to_vec(),
        Some(names) => names
            .iter()
            .filter_map(|n| {
                let v = Variant::from_name(n);
                if v.is_none() {
                    eprintln!("warning: unknown variant '{n}', skipped");
                }
                v
            })
            .collect(),
    };
    // Plan the cells first so that the total cap is shared fairly.
    let mut plan: Vec<(Variant, String, EngineKind)> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for v in &variants {
        let info = v.info();
        if !args.any_engine && !info.engines.contains(&FAMILY) {
            skipped.push(format!(
                "{} (engines: {})",
                info.name,
                info.engines.join(", ")
            ));
            continue;
        }
        let scns: Vec<String> = match &args.scenarios {
            Some(s) => s.clone(),
            None => strings(info.scenarios),
        };
        for scn in scns {
            for &e in &engines {
                if args.any_engine || variant_supports(*v, e) {
                    plan.push((*v, scn.clone(), e));
                }
            }
        }
    }
    let units: usize = plan
        .iter()
        .map(|(_, _, e)| if is_loom(*e) { 1 } else { args.seeds as usize })
        .sum();
    let mut fair = Fair::new(args.cap.unwrap_or(Duration::from_secs(170)), units);
    header(
        args,
        "ttff: executions and wall time to the first failure of each variant",
    );
    let mut rows = Vec::new();
    for (v, scn, e) in plan {
        let per = if is_loom(e) { 1 } else { args.seeds as usize };
        let Some(sc) = scenario::find(&scn) else {
            fair.skip(per);
            rows.push(TtffRow {
                variant: v.name().to_string(),
                scenario: scn,
                engine: e,
                outcomes: vec![],
                planned: per,
                note: "unknown scenario".to_string(),
            });
            continue;
        };
        if is_loom(e) && !sc.fits_loom() {
            fair.skip(per);
            rows.push(TtffRow {
                variant: v.name().to_string(),
                scenario: scn,
                engine: e,
                outcomes: vec![],
                planned: per,
                note: format!("not run: {} tasks > loom's 5 threads", sc.tasks),
            });
            continue;
        }
        eprintln!("ttff: {} / {} / {} ...", v.name(), scn, engine_label(e));
        let (outcomes, planned, note) = ttff_cell(&sc, VariantSet::of(v), e, args, &mut fair);
        rows.push(TtffRow {
            variant: v.name().to_string(),
            scenario: scn,
            engine: e,
            outcomes,
            planned,
            note,
        });
    }
    print_ttff_table(&rows, args);
    if !skipped.is_empty() {
        println!(
            "\nVariants not run in this build ({FAMILY}): {}",
            skipped.join("; ")
        );
    }
    footer(start);
}

// ---------------------------------------------------------------------------------------
// growth

fn growth(args: &Args) {
    let start = Instant::now();
    let engines: Vec<EngineKind> = selected(args, ttff_engines(args.max_bound.unwrap_or(2)));
    header(
        args,
        &format!(
            "growth: fixed-model throughput by ring size ({} per cell, trace {})",
            fmt_dur(args.budget),
            if args.trace { "on" } else { "off" }
        ),
    );
    let names = args.scenarios.clone().unwrap_or_else(|| {
        let mut v = Vec::new();
        for n in [2, 3, 4, 8, 16] {
            for c in ["wd", "ww"] {
                v.push(format!("cycle{n}-{c}"));
            }
        }
        v
    });
    println!("| scenario | tasks | engine | exec/s | µs per execution | executions | result |");
    println!("|---|---|---|---|---|---|---|");
    for sc in find_scenarios(&names) {
        for &e in &engines {
            if is_loom(e) && !sc.fits_loom() {
                println!(
                    "| {} | {} | {} | n/a | | | not run: {} tasks > loom's 5 threads |",
                    sc.name,
                    sc.tasks,
                    engine_label(e),
                    sc.tasks
                );
                continue;
            }
            eprintln!("growth: {} / {} ...", sc.name, engine_label(e));
            let o = run(&sc, e, VariantSet::NONE, args.trace, args.budget, 0, None);
            let r = rate(&o);
            println!(
                "| {} | {} | {} | {} | {:.0} | {} | {} |",
                sc.name,
                sc.tasks,
                engine_label(e),
                fmt_rate(r),
                1e6 / r.max(1e-9),
                o.executions,
                failure_cell(&o)
            );
        }
    }
    println!("\n#### wake-q-unflushed: time to first failure by ring size\n");
    let ring: Vec<String> = strings(&[
        "abba-ww",
        "cycle2-ww",
        "cycle3-ww",
        "cycle4-ww",
        "cycle8-ww",
    ]);
    let v = Variant::WakeQUnflushed;
    let plan: Vec<(String, EngineKind)> = ring
        .iter()
        .flat_map(|s| {
            engines
                .iter()
                .filter(|e| variant_supports(v, **e))
                .map(move |e| (s.clone(), *e))
        })
        .collect();
    let units: usize = plan
        .iter()
        .map(|(_, e)| if is_loom(*e) { 1 } else { args.seeds as usize })
        .sum();
    let spent = start.elapsed();
    let cap = args
        .cap
        .unwrap_or(Duration::from_secs(170))
        .saturating_sub(spent);
    let mut fair = Fair::new(cap.max(Duration::from_secs(10)), units);
    let mut rows = Vec::new();
    for (scn, e) in plan {
        let Some(sc) = scenario::find(&scn) else {
            continue;
        };
        if is_loom(e) && !sc.fits_loom() {
            fair.skip(1);
            rows.push(TtffRow {
                variant: v.name().to_string(),
                scenario: scn,
                engine: e,
                outcomes: vec![],
                planned: 1,
                note: format!("not run: {} tasks > loom's 5 threads", sc.tasks),
            });
            continue;
        }
        eprintln!("growth ttff: {} / {} ...", scn, engine_label(e));
        let (outcomes, planned, note) = ttff_cell(&sc, VariantSet::of(v), e, args, &mut fair);
        rows.push(TtffRow {
            variant: v.name().to_string(),
            scenario: scn,
            engine: e,
            outcomes,
            planned,
            note,
        });
    }
    print_ttff_table(&rows, args);
    footer(start);
}

// ---------------------------------------------------------------------------------------
// loom-bounds

fn loom_bounds(args: &Args) -> Result<(), String> {
    if FAMILY != "loom" {
        return Err(
            "loom-bounds needs the loom build: RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom cargo bench --bench explore -- loom-bounds"
                .to_string(),
        );
    }
    let start = Instant::now();
    let max_bound = args.max_bound.unwrap_or(3);
    let names = args
        .scenarios
        .clone()
        .unwrap_or_else(|| strings(&["abba-wd", "abba-ww", "cycle3-wd", "cycle3-ww"]));
    let scenarios = find_scenarios(&names);
    let cap = args.cap.unwrap_or(Duration::from_secs(150));
    header(
        args,
        &format!(
            "loom-bounds: executions and wall time to exhaust preemption bounds 1..={max_bound} (fixed model, trace {}, total cap {})",
            if args.trace { "on" } else { "off" },
            fmt_dur(cap)
        ),
    );
    let mut fair = Fair::new(cap, scenarios.len() * max_bound);
    // outcomes[s][b-1]
    let mut outcomes: Vec<Vec<Option<Outcome>>> = vec![vec![None; max_bound]; scenarios.len()];
    let mut notes: Vec<Vec<String>> = vec![vec![String::new(); max_bound]; scenarios.len()];
    // Bound-major order: every scenario's cheap bounds first, the expensive ones last.
    for b in 1..=max_bound {
        for (i, sc) in scenarios.iter().enumerate() {
            if !sc.fits_loom() {
                fair.skip(1);
                notes[i][b - 1] = format!("not run: {} tasks > loom's 5 threads", sc.tasks);
                continue;
            }
            if b > 1 {
                let prev_done = outcomes[i][b - 2]
                    .as_ref()
                    .is_some_and(|o| !o.incomplete && o.found.is_none());
                if !prev_done {
                    fair.skip(1);
                    notes[i][b - 1] = format!("not run: bound {} did not complete", b - 1);
                    continue;
                }
            }
            let Some(budget) = fair.next(Duration::MAX, Duration::ZERO) else {
                notes[i][b - 1] = "not run: total cap spent".to_string();
                continue;
            };
            eprintln!(
                "loom-bounds: {} pb<={b} (budget {}) ...",
                sc.name,
                fmt_dur(budget)
            );
            let o = run(
                sc,
                EngineKind::Loom { max_bound: Some(b) },
                VariantSet::NONE,
                args.trace,
                budget,
                0,
                None,
            );
            notes[i][b - 1] = format!("budget {}", fmt_dur(budget));
            outcomes[i][b - 1] = Some(o);
        }
    }
    println!(
        "| scenario | tasks | bound | executions at this bound | wall at this bound | executions bounds 1..=b (one run) | wall of that run | exec/s | status |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (i, sc) in scenarios.iter().enumerate() {
        for b in 1..=max_bound {
            let Some(o) = &outcomes[i][b - 1] else {
                println!(
                    "| {} | {} | {b} | | | | | | {} |",
                    sc.name,
                    sc.tasks,
                    notes[i][b - 1]
                );
                continue;
            };
            let status = if let Some(f) = &o.found {
                format!(
                    "**FAIL {}** at execution {}: {}",
                    f.failure.property.name(),
                    f.execution,
                    short(&f.failure.message, 100)
                )
            } else if o.incomplete {
                format!(
                    "**incomplete** ({}; exhausted bound {})",
                    notes[i][b - 1],
                    o.exhausted_bound
                        .map_or("none".to_string(), |x| x.to_string())
                )
            } else {
                format!("exhausted (pass), {}", notes[i][b - 1])
            };
            // This bound alone = this run minus the previous complete run (loom's DFS is
            // deterministic, so bounds 1..b-1 repeat exactly).
            let prev = if b == 1 {
                Some((0usize, Duration::ZERO))
            } else {
                outcomes[i][b - 2]
                    .as_ref()
                    .map(|p| (p.executions, p.elapsed))
            };
            let (alone_n, alone_t) = match (prev, o.incomplete || o.found.is_some()) {
                (Some((pn, pt)), false) => (
                    o.executions.saturating_sub(pn).to_string(),
                    fmt_dur(o.elapsed.saturating_sub(pt)),
                ),
                _ => ("—".to_string(), "—".to_string()),
            };
            println!(
                "| {} | {} | {b} | {} | {} | {} | {} | {} | {} |",
                sc.name,
                sc.tasks,
                alone_n,
                alone_t,
                o.executions,
                fmt_dur(o.elapsed),
                fmt_rate(rate(o)),
                status
            );
        }
    }
    footer(start);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ttm-growth

/// TTM growth: throughput of the many-CPU shrinker and stress shapes as the number of
/// simulated CPUs grows (2..64), throughput as the number of BOs grows at 8 CPUs, and the
/// time to first failure of TTM variants on the shrinker shape by CPU count.
fn ttm_growth(args: &Args) {
    use ttm_model::scenario::ttm::stress;
    use ttm_model::scenario::ttm_more::shrink_hammer;
    let start = Instant::now();
    let engines: Vec<EngineKind> = selected(args, ttff_engines(2))
        .into_iter()
        .filter(|e| !is_loom(*e))
        .collect();
    header(
        args,
        &format!(
            "ttm-growth: fixed-model throughput by CPUs and BOs ({} per cell, trace {})",
            fmt_dur(args.budget),
            if args.trace { "on" } else { "off" }
        ),
    );
    let cpus = [2usize, 4, 8, 16, 32, 64];
    let mut cells: Vec<(Scenario, &str, usize, usize)> = Vec::new();
    for &c in &cpus {
        cells.push((shrink_hammer(c, 3), "shrink", c, 6));
    }
    for &c in &cpus {
        cells.push((stress(c), "stress", c, 8));
    }
    for b in [1usize, 2, 4, 8, 16] {
        cells.push((shrink_hammer(8, b), "shrink", 8, 2 * b));
    }
    println!(
        "| scenario | shape | CPUs | BOs | engine | exec/s | µs per execution | executions | result |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (sc, shape, c, b) in &cells {
        for &e in &engines {
            eprintln!("ttm-growth: {} / {} ...", sc.name, engine_label(e));
            let o = run(sc, e, VariantSet::NONE, args.trace, args.budget, 0, None);
            let r = rate(&o);
            println!(
                "| {} | {shape} | {c} | {b} | {} | {} | {:.0} | {} | {} |",
                sc.name,
                engine_label(e),
                fmt_rate(r),
                1e6 / r.max(1e-9),
                o.executions,
                failure_cell(&o)
            );
        }
    }
    // (variant, shape): each variant on a shape where it shows at every CPU count.
    type Shape = fn(usize) -> Scenario;
    let shrink: Shape = |c| shrink_hammer(c, 3);
    let mut pairs: Vec<(Variant, &str, Shape)> = vec![
        (Variant::NextMissingReturn, "shrink", shrink),
        (Variant::WalkerKrefGet, "stress", stress),
        (Variant::BackupNotData, "stress", stress),
    ];
    if let Some(names) = &args.variants {
        pairs.retain(|(v, _, _)| names.iter().any(|n| n == v.name()));
    }
    println!("\n#### time to first failure by CPUs\n");
    let mut plan: Vec<(Variant, Shape, usize, EngineKind)> = Vec::new();
    for (v, _, shape) in &pairs {
        for &c in &cpus {
            for &e in &engines {
                plan.push((*v, *shape, c, e));
            }
        }
    }
    let spent = start.elapsed();
    let cap = args
        .cap
        .unwrap_or(Duration::from_secs(170))
        .saturating_sub(spent);
    let mut fair = Fair::new(
        cap.max(Duration::from_secs(10)),
        plan.len() * args.seeds as usize,
    );
    let mut rows = Vec::new();
    for (v, shape, c, e) in plan {
        let sc = shape(c);
        eprintln!(
            "ttm-growth ttff: {} / {} / {} ...",
            v.name(),
            sc.name,
            engine_label(e)
        );
        let (outcomes, planned, note) = ttff_cell(&sc, VariantSet::of(v), e, args, &mut fair);
        rows.push(TtffRow {
            variant: v.name().to_string(),
            scenario: sc.name.clone(),
            engine: e,
            outcomes,
            planned,
            note,
        });
    }
    print_ttff_table(&rows, args);
    footer(start);
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let r = match args.mode.as_str() {
        "throughput" => {
            throughput(&args);
            Ok(())
        }
        "ttff" => {
            ttff(&args);
            Ok(())
        }
        "growth" => {
            growth(&args);
            Ok(())
        }
        "loom-bounds" => loom_bounds(&args),
        "ttm-growth" => {
            ttm_growth(&args);
            Ok(())
        }
        "inject" => {
            inject_cost(&args);
            Ok(())
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown mode '{other}'\n{USAGE}")),
    };
    if let Err(e) = r {
        eprintln!("{e}");
        std::process::exit(2);
    }
}
