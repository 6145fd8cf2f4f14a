//! Running a hunt: the (scenario, variant) pairs one after the other with the budget
//! shared fairly over the pairs still to run, live progress (a progress bar with
//! executions, executions/s and failures on a terminal; one quiet line per pair
//! otherwise), every failure written the moment its exploration returns, a stop on
//! SIGINT / SIGTERM, and the outputs at the end: the summary table (or `--json`), the
//! JUnit report (`--junit`) and `summary.json` in the output directory.

use crate::cli::{HuntArgs, Pair};
use crate::engine::failure_file::{describe_write_error, write_atomic, write_failure_dir_in};
use crate::engine::{EngineKind, Outcome, RunConfig, explore, stop};
use crate::report::junit;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Exit status of a hunt interrupted by SIGINT / SIGTERM before it found anything
/// (128 + SIGINT, as shells report it); with failures found the status stays 1.
pub const EXIT_INTERRUPTED: u8 = 130;

/// One explored pair with its outcome and where its failure was written.
pub struct PairResult {
    pub pair: Pair,
    pub outcome: Outcome,
    pub seed: u64,
    pub failure_dir: Option<PathBuf>,
}

/// The part of the budget a pair gets: what is left, shared equally by the pairs still
/// to run (at least 50 ms), so a pair that ends early (failure, exhausted bound) leaves
/// its time to the others.
pub fn pair_budget(total: Duration, elapsed: Duration, pairs_left: usize) -> Duration {
    let remaining = total.saturating_sub(elapsed);
    (remaining / pairs_left.max(1) as u32).max(Duration::from_millis(50))
}

#[derive(Serialize)]
struct JsonFailure {
    property: String,
    message: String,
    /// What the first WARN led to (the execution went on after it).
    #[serde(skip_serializing_if = "Option::is_none")]
    consequence: Option<String>,
    /// The injected failures of the failing execution (`site#k -> -EXXX`).
    injected: Vec<String>,
    seed: u64,
    schedule_file: String,
}

#[derive(Serialize)]
struct JsonResult {
    scenario: String,
    variant: Option<String>,
    executions: usize,
    incomplete: bool,
    /// False for pairs an interruption left unexplored.
    explored: bool,
    /// Engine notes (not failures).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    failures: Vec<JsonFailure>,
}

#[derive(Serialize)]
struct JsonSummary {
    engine: String,
    elapsed_s: f64,
    executions: usize,
    interrupted: bool,
    results: Vec<JsonResult>,
}

/// Write text to stdout; a full disk or a closed pipe is an error, not a panic.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| describe_write_error(Path::new("<stdout>"), &e))
}

/// Live progress on stderr while a pair is explored.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
    failures: AtomicUsize,
}

impl Progress {
    fn new(pairs: usize, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(pairs as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{bar:20}] {pos}/{len} pairs | {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Progress {
            bar,
            start: Instant::now(),
            failures: AtomicUsize::new(0),
        }
    }

    fn message(&self, pair: &Pair) -> String {
        let execs = stop::executions();
        format!(
            "{execs} executions, {:.0} exec/s, {} failure(s) | {} ({})",
            execs as f64 / self.start.elapsed().as_secs_f64().max(1e-3),
            self.failures.load(Ordering::Relaxed),
            pair.scenario.name,
            pair.variant_name().unwrap_or("fixed"),
        )
    }

    /// Explore one pair, refreshing the bar every 100 ms meanwhile.
    fn explore(&self, pair: &Pair, cfg: &RunConfig) -> Outcome {
        let Some(bar) = &self.bar else {
            return explore(&pair.scenario, cfg);
        };
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    bar.set_message(self.message(pair));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            let outcome = explore(&pair.scenario, cfg);
            done.store(true, Ordering::SeqCst);
            outcome
        })
    }
}

/// Run the hunt over `pairs` with `engine`; returns the exit status.
pub fn run(
    args: &HuntArgs,
    engine: EngineKind,
    pairs: &[Pair],
    budget: Duration,
) -> Result<u8, String> {
    // The handler first: once the output directory exists, a signal stops the hunt cleanly.
    stop::install_signal_handler()?;
    std::fs::create_dir_all(&args.out).map_err(|e| describe_write_error(&args.out, &e))?;
    let start = Instant::now();
    let execs_before = stop::executions();
    let progress = Progress::new(pairs.len(), args.json);
    let mut results: Vec<PairResult> = Vec::new();
    for (k, pair) in pairs.iter().enumerate() {
        if stop::stop_requested() {
            break;
        }
        let mut cfg = RunConfig::new(engine, pair.variants());
        cfg.seed = pair.seed(args.seed);
        cfg.budget = pair_budget(budget, start.elapsed(), pairs.len() - k);
        cfg.max_executions = args.max_executions;
        cfg.inject = args.inject_config()?;
        let outcome = progress.explore(pair, &cfg);
        let mut failure_dir = None;
        if let Some(found) = &outcome.found {
            progress.failures.fetch_add(1, Ordering::Relaxed);
            let variants: Vec<String> = pair
                .variants()
                .iter()
                .map(|v| v.name().to_string())
                .collect();
            let dir = write_failure_dir_in(
                &args.out,
                &pair.scenario.name,
                pair.source.as_deref(),
                &variants,
                cfg.seed,
                found,
            )
            .map_err(|e| describe_write_error(&args.out, &e))?;
            failure_dir = Some(dir);
        }
        let line = result_line(k + 1, pairs.len(), pair, &outcome, failure_dir.as_deref());
        match &progress.bar {
            Some(bar) => {
                bar.inc(1);
                if outcome.found.is_some() {
                    bar.println(line);
                }
            }
            None if !args.json => eprintln!("{line}"),
            None => {}
        }
        results.push(PairResult {
            pair: pair.clone(),
            outcome,
            seed: cfg.seed,
            failure_dir,
        });
    }
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    let interrupted = stop::stop_requested();
    let elapsed = start.elapsed();
    let executions = stop::executions() - execs_before;
    let skipped = &pairs[results.len()..];
    let failures = results.iter().filter(|r| r.outcome.found.is_some()).count();

    let summary = json_summary(engine, elapsed, executions, interrupted, &results, skipped);
    let summary_path = args.out.join("summary.json");
    let summary_text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    write_atomic(&summary_path, summary_text.as_bytes())
        .map_err(|e| describe_write_error(&summary_path, &e))?;
    if let Some(path) = &args.junit {
        let xml = junit_report(engine, elapsed, &results, skipped)?;
        write_atomic(path, xml.as_bytes()).map_err(|e| describe_write_error(path, &e))?;
    }
    if args.json {
        emit(&format!(
            "{}\n",
            serde_json::to_string(&summary).map_err(|e| e.to_string())?
        ))?;
    } else {
        emit(&summary_table(
            engine,
            &results,
            skipped,
            elapsed,
            interrupted,
        ))?;
    }
    Ok(if failures > 0 {
        1
    } else if interrupted {
        EXIT_INTERRUPTED
    } else {
        0
    })
}

fn json_summary(
    engine: EngineKind,
    elapsed: Duration,
    executions: usize,
    interrupted: bool,
    results: &[PairResult],
    skipped: &[Pair],
) -> JsonSummary {
    let mut out: Vec<JsonResult> = results
        .iter()
        .map(|r| JsonResult {
            scenario: r.pair.scenario.name.clone(),
            variant: r.pair.variant_name().map(String::from),
            executions: r.outcome.executions,
            incomplete: r.outcome.incomplete,
            explored: true,
            notes: r.outcome.notes.clone(),
            failures: r
                .outcome
                .found
                .iter()
                .map(|f| JsonFailure {
                    property: f.failure.property.to_string(),
                    message: f.failure.message.clone(),
                    consequence: f.consequence.as_ref().map(|c| c.property.to_string()),
                    injected: f.injected.iter().map(|e| e.describe()).collect(),
                    seed: r.seed,
                    schedule_file: r
                        .failure_dir
                        .as_ref()
                        .map(|d| d.join("failure.json").display().to_string())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    out.extend(skipped.iter().map(|p| JsonResult {
        scenario: p.scenario.name.clone(),
        variant: p.variant_name().map(String::from),
        executions: 0,
        incomplete: true,
        explored: false,
        notes: vec![],
        failures: vec![],
    }));
    JsonSummary {
        engine: engine.name().to_string(),
        elapsed_s: elapsed.as_secs_f64(),
        executions,
        interrupted,
        results: out,
    }
}

fn junit_report(
    engine: EngineKind,
    elapsed: Duration,
    results: &[PairResult],
    skipped: &[Pair],
) -> Result<String, String> {
    let mut cases: Vec<junit::Case> = results
        .iter()
        .map(|r| junit::Case {
            scenario: &r.pair.scenario.name,
            area: r.pair.scenario.area,
            variant: r.pair.variant_name(),
            executions: r.outcome.executions,
            elapsed: r.outcome.elapsed,
            failure: r.outcome.found.as_ref().map(|f| {
                let replay = r.failure_dir.as_ref().map_or_else(
                    || "not written".to_string(),
                    |d| {
                        format!(
                            "{} replay {}",
                            crate::engine::failure_file::build_command(&f.schedule),
                            d.display()
                        )
                    },
                );
                (
                    f.failure.property.to_string(),
                    f.failure.message.clone(),
                    replay,
                    &f.trace[..],
                )
            }),
            incomplete: r.outcome.incomplete,
            skipped: false,
        })
        .collect();
    cases.extend(skipped.iter().map(|p| junit::Case {
        scenario: &p.scenario.name,
        area: p.scenario.area,
        variant: p.variant_name(),
        executions: 0,
        elapsed: Duration::ZERO,
        failure: None,
        incomplete: true,
        skipped: true,
    }));
    junit::render(engine.name(), elapsed, &cases)
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
    let mut status = status;
    if let Some(f) = &o.found {
        if let Some(c) = &f.consequence {
            status.push_str(&format!(" (after the WARN: {})", c.property));
        }
        if !f.injected.is_empty() {
            status.push_str(&format!(
                " [injected: {}]",
                crate::engine::inject::describe(&f.injected)
            ));
        }
    }
    for note in &o.notes {
        status.push_str(&format!("; note: {note}"));
    }
    format!(
        "[{k}/{n}] {} ({}): {} executions in {:.1}s: {status}",
        pair.scenario.name,
        pair.variant_name().unwrap_or("fixed"),
        o.executions,
        o.elapsed.as_secs_f64()
    )
}

fn summary_table(
    engine: EngineKind,
    results: &[PairResult],
    skipped: &[Pair],
    elapsed: Duration,
    interrupted: bool,
) -> String {
    let mut s = format!(
        "{:<28} {:<28} {:>10} {:>9}  result\n",
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
        s.push_str(&format!(
            "{:<28} {:<28} {:>10} {:>9.0}  {result}\n",
            r.pair.scenario.name,
            r.pair.variant_name().unwrap_or("fixed"),
            o.executions,
            rate
        ));
        if let Some(d) = &r.failure_dir {
            s.push_str(&format!(
                "{:<28} replay: ttm-model replay {}\n",
                "",
                d.display()
            ));
        }
    }
    for p in skipped {
        s.push_str(&format!(
            "{:<28} {:<28} {:>10} {:>9}  not run (interrupted)\n",
            p.scenario.name,
            p.variant_name().unwrap_or("fixed"),
            0,
            "-"
        ));
    }
    s.push_str(&format!(
        "engine {}: {} pairs, {} executions in {:.1}s, {} failure(s){}\n",
        engine.name(),
        results.len(),
        total,
        elapsed.as_secs_f64(),
        failed,
        if interrupted {
            format!("; INTERRUPTED, {} pair(s) not run", skipped.len())
        } else {
            String::new()
        }
    ));
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_shared_over_the_pairs_left() {
        let total = Duration::from_secs(60);
        assert_eq!(
            pair_budget(total, Duration::ZERO, 6),
            Duration::from_secs(10)
        );
        // A pair that ended early leaves its time to the others.
        assert_eq!(
            pair_budget(total, Duration::from_secs(1), 5),
            Duration::from_millis(11_800)
        );
        // The last pair gets all that is left; a spent budget still gives each pair a slice.
        assert_eq!(
            pair_budget(total, Duration::from_secs(50), 1),
            Duration::from_secs(10)
        );
        assert_eq!(
            pair_budget(total, Duration::from_secs(61), 3),
            Duration::from_millis(50)
        );
        // Fair: equal slices sum to the budget.
        let n = 7;
        let slices: Duration = (0..n)
            .map(|k| pair_budget(total, total / n as u32 * k as u32, n - k))
            .sum();
        assert!(
            slices.abs_diff(total) < Duration::from_millis(10),
            "{slices:?}"
        );
    }
}
