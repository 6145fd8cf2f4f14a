//! The CLI's logic (kept in the library so that tests can drive it): `list`, `hunt`,
//! `replay`. Exit codes: 0 nothing found, 1 a property failed, 2 bad usage or input.

use crate::engine::failure_file::{FailureFile, write_failure_dir};
use crate::engine::{
    EngineKind, Outcome, RunConfig, Schedule, build_hint, explore, replay_schedule,
};
use crate::model::variants::{Variant, VariantSet};
use crate::scenario::{self, Scenario};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const ENGINES_HELP: &str = "Engines: this build offers the engines listed by `ttm-model hunt --help`.\n\
  default build (feature shuttle): shuttle, shuttle-pct, portfolio\n\
  RUSTFLAGS=\"--cfg loom\" build: loom (iteratively deepened preemption bounds)\n\
  --no-default-features build: threads (real threads, std + parking_lot)";

/// Arguments of `hunt`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = hunt_help())]
pub struct HuntArgs {
    /// Scenario to explore (repeatable; default: every scenario).
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    /// Historical bug to turn back on (repeatable; `all` = each variant on its scenarios).
    #[arg(long = "variant")]
    pub variants: Vec<String>,
    /// Exploration engine (see below for what this build offers).
    #[arg(long)]
    pub engine: Option<String>,
    /// PCT bug depth for --engine shuttle-pct.
    #[arg(long, default_value_t = 3)]
    pub depth: usize,
    /// Highest loom preemption bound to explore (default: deepen until the budget ends).
    #[arg(long)]
    pub max_bound: Option<usize>,
    /// Wall-clock budget for the whole hunt, shared over the (scenario, variant) pairs
    /// (e.g. 500ms, 60s, 5m, 1h).
    #[arg(long, default_value = "60s")]
    pub budget: String,
    /// Stop each pair after this many executions.
    #[arg(long)]
    pub max_executions: Option<usize>,
    /// Seed of the random schedulers (a hunt with the same seed is reproducible).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run only shard I of N (1-based), e.g. 2/4.
    #[arg(long)]
    pub shard: Option<String>,
    /// Where failure directories are written.
    #[arg(long, default_value = "target/ttm-model/failures")]
    pub out: PathBuf,
    /// Print one JSON summary object on stdout.
    #[arg(long)]
    pub json: bool,
}

fn hunt_help() -> String {
    format!(
        "This build offers: {}.\n{}",
        EngineKind::available().join(", "),
        ENGINES_HELP
    )
}

/// Parse a duration like `500ms`, `60s`, `5m`, `1h` or a plain number of seconds.
pub fn parse_budget(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("bad budget '{s}': expected a duration like 500ms, 60s, 5m or 1h"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" | "min" => v * 60.0,
        "h" => v * 3600.0,
        _ => {
            return Err(format!(
                "bad budget '{s}': unknown unit '{unit}' (use ms, s, m or h)"
            ));
        }
    };
    if !(secs > 0.0 && secs.is_finite() && secs < 1e7) {
        return Err(format!("bad budget '{s}': must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parse `I/N` (1-based).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let err = || format!("bad shard '{s}': expected I/N with 1 <= I <= N, e.g. 2/4");
    let (i, n) = s.split_once('/').ok_or_else(err)?;
    let i: usize = i.trim().parse().map_err(|_| err())?;
    let n: usize = n.trim().parse().map_err(|_| err())?;
    if n == 0 || i == 0 || i > n {
        return Err(err());
    }
    Ok((i, n))
}

/// A (scenario, variant) pair of a hunt.
#[derive(Clone, Debug)]
pub struct Pair {
    pub scenario: Scenario,
    pub variant: Option<Variant>,
}

impl Pair {
    pub fn variant_name(&self) -> Option<&'static str> {
        self.variant.map(|v| v.name())
    }

    fn variants(&self) -> VariantSet {
        self.variant.map_or(VariantSet::NONE, VariantSet::of)
    }

    /// A seed per pair, derived from the hunt seed: a pair replays the same way whatever
    /// else the hunt contained (FNV-1a over the names).
    pub fn seed(&self, base: u64) -> u64 {
        let mut h: u64 = 0xcbf29ce484222325 ^ base;
        for b in self
            .scenario
            .name
            .bytes()
            .chain(self.variant_name().unwrap_or("").bytes())
        {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        h
    }
}

fn engine_family(engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Portfolio => "shuttle",
        other => other.name(),
    }
}

/// The (scenario, variant) pairs a hunt explores, sharded.
pub fn plan(args: &HuntArgs, engine: EngineKind) -> Result<Vec<Pair>, String> {
    let named: Vec<Scenario> = args
        .scenarios
        .iter()
        .map(|n| {
            scenario::find(n)
                .ok_or_else(|| format!("unknown scenario '{n}' (see `ttm-model list`)"))
        })
        .collect::<Result<_, _>>()?;
    let mut pairs = Vec::new();
    if args.variants.is_empty() {
        let set = if named.is_empty() {
            scenario::default_set()
        } else {
            named.clone()
        };
        pairs.extend(set.into_iter().map(|scenario| Pair {
            scenario,
            variant: None,
        }));
    } else {
        let mut variants = Vec::new();
        for v in &args.variants {
            if v == "all" {
                variants.extend(Variant::ALL.into_iter().filter(|v| {
                    v.info()
                        .engines
                        .iter()
                        .any(|e| e.starts_with(engine_family(engine)))
                }));
            } else {
                variants.push(
                    Variant::from_name(v)
                        .ok_or_else(|| format!("unknown variant '{v}' (see `ttm-model list`)"))?,
                );
            }
        }
        for v in variants {
            let set: Vec<Scenario> = if named.is_empty() {
                v.info()
                    .scenarios
                    .iter()
                    .filter_map(|n| scenario::find(n))
                    .collect()
            } else {
                named.clone()
            };
            pairs.extend(set.into_iter().map(|scenario| Pair {
                scenario,
                variant: Some(v),
            }));
        }
    }
    if matches!(engine, EngineKind::Loom { .. }) {
        pairs.retain(|p| p.scenario.fits_loom());
    }
    if let Some(shard) = &args.shard {
        let (i, n) = parse_shard(shard)?;
        pairs = pairs
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n == i - 1)
            .map(|(_, p)| p)
            .collect();
    }
    Ok(pairs)
}

#[derive(Serialize)]
struct JsonFailure {
    property: String,
    message: String,
    seed: u64,
    schedule_file: String,
}

#[derive(Serialize)]
struct JsonResult {
    scenario: String,
    variant: Option<String>,
    executions: usize,
    incomplete: bool,
    failures: Vec<JsonFailure>,
}

#[derive(Serialize)]
struct JsonSummary {
    engine: String,
    elapsed_s: f64,
    executions: usize,
    results: Vec<JsonResult>,
}

/// One explored pair with its outcome and where its failure was written.
pub struct PairResult {
    pub pair: Pair,
    pub outcome: Outcome,
    pub seed: u64,
    pub failure_dir: Option<PathBuf>,
}

/// `ttm-model hunt`.
pub fn hunt(args: &HuntArgs) -> Result<u8, String> {
    let budget = parse_budget(&args.budget)?;
    let mut engine = match &args.engine {
        Some(e) => EngineKind::parse(e, args.depth)?,
        None => EngineKind::default_for_build(),
    };
    if let EngineKind::Loom { .. } = engine {
        engine = EngineKind::Loom {
            max_bound: args.max_bound,
        };
    }
    let pairs = plan(args, engine)?;
    if pairs.is_empty() {
        return Err(
            "nothing to hunt: no (scenario, variant) pair matches (check --shard and the engine)"
                .into(),
        );
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal() && !args.json;
    let bar = if tty {
        let b = indicatif::ProgressBar::new(pairs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} pairs {elapsed} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut results: Vec<PairResult> = Vec::new();
    let mut total_execs = 0usize;
    let mut failures = 0usize;
    for (k, pair) in pairs.iter().enumerate() {
        let left = (pairs.len() - k) as u32;
        let remaining = budget.saturating_sub(start.elapsed());
        let mut cfg = RunConfig::new(engine, pair.variants());
        cfg.seed = pair.seed(args.seed);
        cfg.budget = (remaining / left).max(Duration::from_millis(50));
        cfg.max_executions = args.max_executions;
        bar.set_message(format!(
            "{} {} | {} executions, {:.0}/s, {} failure(s)",
            pair.scenario.name,
            pair.variant_name().unwrap_or("fixed"),
            total_execs,
            total_execs as f64 / start.elapsed().as_secs_f64().max(1e-3),
            failures
        ));
        let outcome = explore(&pair.scenario, &cfg);
        total_execs += outcome.executions;
        let mut failure_dir = None;
        if let Some(found) = &outcome.found {
            failures += 1;
            let variants: Vec<String> = pair.variant_name().into_iter().map(String::from).collect();
            let dir = write_failure_dir(&args.out, &pair.scenario.name, &variants, cfg.seed, found)
                .map_err(|e| {
                    format!("cannot write the failure under {}: {e}", args.out.display())
                })?;
            failure_dir = Some(dir);
        }
        if !tty && !args.json {
            eprintln!(
                "{}",
                result_line(k + 1, pairs.len(), pair, &outcome, failure_dir.as_deref())
            );
        }
        bar.inc(1);
        results.push(PairResult {
            pair: pair.clone(),
            outcome,
            seed: cfg.seed,
            failure_dir,
        });
    }
    bar.finish_and_clear();
    if args.json {
        let summary = JsonSummary {
            engine: engine.name().to_string(),
            elapsed_s: start.elapsed().as_secs_f64(),
            executions: total_execs,
            results: results
                .iter()
                .map(|r| JsonResult {
                    scenario: r.pair.scenario.name.clone(),
                    variant: r.pair.variant_name().map(String::from),
                    executions: r.outcome.executions,
                    incomplete: r.outcome.incomplete,
                    failures: r
                        .outcome
                        .found
                        .iter()
                        .map(|f| JsonFailure {
                            property: f.failure.property.to_string(),
                            message: f.failure.message.clone(),
                            seed: r.seed,
                            schedule_file: r
                                .failure_dir
                                .as_ref()
                                .map(|d| d.join("failure.json").display().to_string())
                                .unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect(),
        };
        println!(
            "{}",
            serde_json::to_string(&summary).map_err(|e| e.to_string())?
        );
    } else {
        print_summary(engine, &results, start.elapsed());
    }
    Ok(if failures > 0 { 1 } else { 0 })
}

fn result_line(k: usize, n: usize, pair: &Pair, o: &Outcome, dir: Option<&Path>) -> String {
    let status = match (&o.found, dir) {
        (Some(f), Some(d)) => format!(
            "FAIL {} after {} executions -> {}",
            f.failure.property,
            f.execution,
            d.display()
        ),
        (Some(f), None) => format!("FAIL {}", f.failure.property),
        (None, _) if o.incomplete => "ok (budget spent, exploration incomplete)".to_string(),
        (None, _) => "ok (exhausted)".to_string(),
    };
    format!(
        "[{k}/{n}] {} ({}): {} executions in {:.1}s: {status}",
        pair.scenario.name,
        pair.variant_name().unwrap_or("fixed"),
        o.executions,
        o.elapsed.as_secs_f64()
    )
}

fn print_summary(engine: EngineKind, results: &[PairResult], elapsed: Duration) {
    println!(
        "{:<28} {:<28} {:>10} {:>9}  result",
        "scenario", "variant", "executions", "exec/s"
    );
    let mut total = 0;
    let mut failed = 0;
    for r in results {
        let o = &r.outcome;
        total += o.executions;
        let rate = o.executions as f64 / o.elapsed.as_secs_f64().max(1e-6);
        let result = match &o.found {
            Some(f) => {
                failed += 1;
                format!(
                    "FAIL {} (execution {}): {}",
                    f.failure.property,
                    f.execution,
                    truncate(&f.failure.message, 90)
                )
            }
            None => match o.exhausted_bound {
                Some(b) if !o.incomplete => format!("ok, exhausted to preemption bound {b}"),
                Some(b) => format!("ok up to bound {b}; deeper bound incomplete"),
                None if o.incomplete => "ok (budget spent; incomplete, not a proof)".to_string(),
                None => "ok".to_string(),
            },
        };
        println!(
            "{:<28} {:<28} {:>10} {:>9.0}  {result}",
            r.pair.scenario.name,
            r.pair.variant_name().unwrap_or("fixed"),
            o.executions,
            rate
        );
        if let Some(d) = &r.failure_dir {
            println!("{:<28} replay: ttm-model replay {}", "", d.display());
        }
    }
    println!(
        "engine {}: {} pairs, {} executions in {:.1}s, {} failure(s)",
        engine.name(),
        results.len(),
        total,
        elapsed.as_secs_f64(),
        failed
    );
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

#[derive(Serialize)]
struct ListScenario<'a> {
    name: &'a str,
    area: &'a str,
    description: &'a str,
}

/// `ttm-model list`.
pub fn list(json: bool) -> Result<u8, String> {
    let scenarios = scenario::all();
    let variants: Vec<_> = Variant::ALL.iter().map(|v| v.info()).collect();
    if json {
        let v = serde_json::json!({
            "scenarios": scenarios.iter().map(|s| ListScenario { name: &s.name, area: s.area, description: &s.description }).collect::<Vec<_>>(),
            "variants": variants,
        });
        println!("{v}");
        return Ok(0);
    }
    println!("Scenarios ({}):", scenarios.len());
    for s in &scenarios {
        println!("  {:<26} [{}] {}", s.name, s.area, s.description);
    }
    println!("\nVariants ({}), off by default:", variants.len());
    for v in &variants {
        println!(
            "  {:<30} [{}, {}] {}",
            v.name, v.area, v.kind, v.description
        );
        println!("  {:<30} fixed by: {}", "", v.kernel_fix);
        println!(
            "  {:<30} scenarios: {}; engines: {}",
            "",
            v.scenarios.join(", "),
            v.engines.join(", ")
        );
    }
    Ok(0)
}

/// `ttm-model replay FILE`.
pub fn replay(path: &Path) -> Result<u8, String> {
    let file = FailureFile::load(path)?;
    let sc = scenario::find(&file.scenario).ok_or_else(|| {
        format!(
            "scenario '{}' no longer exists in this model; re-find the failure from its variant and seed: {}",
            file.scenario, file.refind_command
        )
    })?;
    let mut variants = VariantSet::NONE;
    for v in &file.variants {
        let v = Variant::from_name(v)
            .ok_or_else(|| format!("variant '{v}' no longer exists in this model"))?;
        variants = variants.with(v);
    }
    let needed = match file.schedule {
        Schedule::Loom { .. } => "loom",
        Schedule::Shuttle { .. } => "shuttle",
        Schedule::Threads { .. } => "threads",
    };
    if !EngineKind::available()
        .iter()
        .any(|e| e.starts_with(needed))
    {
        return Err(format!(
            "{} was found by {}; this build offers {}: {}",
            path.display(),
            file.engine,
            EngineKind::available().join(", "),
            build_hint(needed)
        ));
    }
    let found = replay_schedule(&sc, variants, &file.schedule)
        .map_err(|e| format!("{e}; re-find the failure with: {}", file.refind_command))?;
    match found {
        Some(f) => {
            for line in &f.trace {
                println!("{line}");
            }
            let same = f.failure.property == file.property;
            println!(
                "{} {} in {}{}: {}",
                if same {
                    "reproduced"
                } else {
                    "replayed, but a different property failed:"
                },
                f.failure.property,
                file.scenario,
                if file.variants.is_empty() {
                    String::new()
                } else {
                    format!(" (variant {})", file.variants.join("+"))
                },
                f.failure.message
            );
            Ok(1)
        }
        None => Err(format!(
            "the schedule no longer reproduces {} (the model changed); re-find it with: {}",
            file.property, file.refind_command
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse() {
        assert_eq!(parse_budget("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_budget("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_budget("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_budget("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_budget("5"), Ok(Duration::from_secs(5)));
        for bad in ["", "x", "-1s", "0s", "10 parsecs", "1e400s"] {
            assert!(parse_budget(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn shards_parse() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert_eq!(parse_shard("4/4"), Ok((4, 4)));
        for bad in ["0/4", "5/4", "1/0", "1", "a/b", "1/2/3"] {
            assert!(parse_shard(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[cfg(all(feature = "shuttle", not(loom)))]
    #[test]
    fn shards_cover_the_pairs_without_overlap() {
        let mut args = HuntArgs {
            scenarios: vec![],
            variants: vec![],
            engine: None,
            depth: 3,
            max_bound: None,
            budget: "1s".into(),
            max_executions: None,
            seed: 0,
            shard: None,
            out: PathBuf::from("unused"),
            json: false,
        };
        let engine = EngineKind::default_for_build();
        let all: Vec<String> = plan(&args, engine)
            .unwrap()
            .iter()
            .map(|p| p.scenario.name.clone())
            .collect();
        let mut seen = Vec::new();
        for i in 1..=3 {
            args.shard = Some(format!("{i}/3"));
            seen.extend(
                plan(&args, engine)
                    .unwrap()
                    .into_iter()
                    .map(|p| p.scenario.name),
            );
        }
        seen.sort();
        let mut expected = all.clone();
        expected.sort();
        assert_eq!(seen, expected);
    }
}
