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
use crate::scenario::findings::{self, KnownFinding};
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
    pub verdict: Verdict,
}

/// What a pair's outcome means for the hunt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found (a note may say why a known finding was not seen).
    Clean(Option<String>),
    /// A property failed: a finding of this hunt.
    Failed,
    /// The scenario's known finding of the baseline reproduced (expected).
    KnownFinding(&'static KnownFinding),
    /// The known finding did not reproduce although the exploration should have found
    /// it: news (fixed upstream, or a model change).
    FindingGone(&'static KnownFinding),
}

impl Verdict {
    fn counts_as_failure(&self) -> bool {
        matches!(self, Verdict::Failed | Verdict::FindingGone(_))
    }
}

/// Judge a pair's outcome against the scenario's known finding (baseline pairs only;
/// `inject`: the hunt's injected failures per execution).
pub fn verdict(pair: &Pair, o: &Outcome, inject: u32) -> Verdict {
    // The baseline, or an older kernel (`--kernel`: the baseline plus the bugs it still
    // has) without an extra variant or proposal: its scenarios' known findings are
    // expected (their code is in that kernel, or `scenario_exists_in` left the scenario
    // out).
    let plain = pair.variant.is_none() && pair.proposals == crate::model::VariantSet::NONE;
    let known = plain
        .then(|| findings::known(&pair.scenario.name, inject))
        .flatten();
    match (known, &o.found) {
        (Some(k), Some(f)) if k.breaks(|p| f.has(p)) => Verdict::KnownFinding(k),
        (_, Some(_)) => Verdict::Failed,
        (None, None) => Verdict::Clean(None),
        // Under an older kernel another bug of it may mask the finding: not news.
        (Some(k), None) if pair.kernel.is_some() => Verdict::Clean(Some(format!(
            "known finding ({}) not reproduced under this kernel's other bugs",
            k.property
        ))),
        (Some(k), None) => {
            let decided = o.exhausted_bound.is_some() && !o.incomplete;
            if decided || o.executions >= k.reproduces_within {
                Verdict::FindingGone(k)
            } else {
                Verdict::Clean(Some(format!(
                    "known finding ({}) not reproduced within the budget: {} executions, it needs up to {}",
                    k.property, o.executions, k.reproduces_within
                )))
            }
        }
    }
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
    /// loom: the highest preemption bound explored exhaustively (a proof up to it).
    #[serde(skip_serializing_if = "Option::is_none")]
    exhausted_bound: Option<usize>,
    /// loom: the bound whose exploration the budget cut short (the next one after
    /// `exhausted_bound`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    cut_short_bound: Option<usize>,
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
    /// Known findings of the baseline reproduced by this hunt (expected; not failures).
    known_findings: Vec<JsonKnownFinding>,
    /// Known findings that did not reproduce although they should have (news).
    findings_gone: Vec<JsonKnownFinding>,
    /// The kernel config options of the hunt (`--config`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    config: Vec<String>,
}

#[derive(Serialize)]
struct JsonKnownFinding {
    scenario: String,
    property: String,
    doc: String,
    /// The reproduced failure (empty for a finding that is gone).
    message: String,
    schedule_file: String,
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
        if let (0, Some(file)) = (cfg.inject.budget, &pair.inject) {
            cfg.inject.budget = file.budget;
            cfg.inject.sites = file.sites.clone();
        }
        cfg.config = args.kernel_config()?;
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
        let verdict = verdict(pair, &outcome, cfg.inject.budget);
        results.push(PairResult {
            pair: pair.clone(),
            outcome,
            seed: cfg.seed,
            failure_dir,
            verdict,
        });
    }
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    let interrupted = stop::stop_requested();
    let elapsed = start.elapsed();
    let executions = stop::executions() - execs_before;
    let skipped = &pairs[results.len()..];
    let failures = results
        .iter()
        .filter(|r| r.verdict.counts_as_failure())
        .count();

    let mut summary = json_summary(engine, elapsed, executions, interrupted, &results, skipped);
    summary.config = args.kernel_config()?.names();
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

/// Under loom, the bound the budget cut short: bounds are explored 1, 2, ... (see
/// `engine::loom_engine`), so it is the one after the highest exhausted bound. None when
/// the exploration ended on its own (every bound up to `--max-bound`, or a failure).
fn loom_cut_short(engine: EngineKind, o: &Outcome) -> Option<usize> {
    let loom = matches!(engine, EngineKind::Loom { .. });
    (loom && o.incomplete && o.found.is_none()).then(|| o.exhausted_bound.map_or(1, |b| b + 1))
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
            exhausted_bound: r.outcome.exhausted_bound,
            cut_short_bound: loom_cut_short(engine, &r.outcome),
            explored: true,
            notes: r
                .outcome
                .notes
                .iter()
                .cloned()
                .chain(match &r.verdict {
                    Verdict::Clean(Some(n)) => Some(n.clone()),
                    _ => None,
                })
                .collect(),
            failures: r
                .outcome
                .found
                .iter()
                .filter(|_| r.verdict == Verdict::Failed)
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
        exhausted_bound: None,
        cut_short_bound: None,
        explored: false,
        notes: vec![],
        failures: vec![],
    }));
    let finding = |r: &PairResult, k: &KnownFinding| JsonKnownFinding {
        scenario: r.pair.scenario.name.clone(),
        property: k.property.to_string(),
        doc: k.doc.to_string(),
        message: r
            .outcome
            .found
            .as_ref()
            .map(|f| f.failure.message.clone())
            .unwrap_or_default(),
        schedule_file: r
            .failure_dir
            .as_ref()
            .map(|d| d.join("failure.json").display().to_string())
            .unwrap_or_default(),
    };
    JsonSummary {
        engine: engine.name().to_string(),
        elapsed_s: elapsed.as_secs_f64(),
        executions,
        interrupted,
        results: out,
        known_findings: results
            .iter()
            .filter_map(|r| match r.verdict {
                Verdict::KnownFinding(k) => Some(finding(r, k)),
                _ => None,
            })
            .collect(),
        findings_gone: results
            .iter()
            .filter_map(|r| match r.verdict {
                Verdict::FindingGone(k) => Some(finding(r, k)),
                _ => None,
            })
            .collect(),
        config: vec![],
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
            failure: match (&r.verdict, r.outcome.found.as_ref()) {
                (Verdict::FindingGone(k), _) => Some((
                    k.property.to_string(),
                    format!(
                        "known finding gone: no longer reproduces in {} executions ({})",
                        r.outcome.executions, k.doc
                    ),
                    "none".to_string(),
                    &[][..],
                )),
                (Verdict::Failed, Some(f)) => {
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
                    Some((
                        f.failure.property.to_string(),
                        f.failure.message.clone(),
                        replay,
                        &f.trace[..],
                    ))
                }
                _ => None,
            },
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
        let result = match (&o.found, &r.verdict) {
            (Some(f), Verdict::KnownFinding(k)) => format!(
                "KNOWN FINDING reproduced: {} (execution {}; {})",
                f.failure.property, f.execution, k.doc
            ),
            (None, Verdict::FindingGone(k)) => {
                failed += 1;
                format!(
                    "KNOWN FINDING GONE: {} no longer reproduces in {} executions ({}): fixed upstream, or the model changed",
                    k.property, o.executions, k.doc
                )
            }
            (Some(f), _) => {
                failed += 1;
                format!(
                    "FAIL {} (execution {}): {}",
                    f.failure.property,
                    f.execution,
                    truncate(&f.failure.message, 90)
                )
            }
            (None, Verdict::Clean(Some(note))) => format!("ok; {note}"),
            (None, _) => match o.exhausted_bound {
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
    use crate::engine::{Found, Schedule};
    use crate::model::property::{ModelFailure, Property};

    fn outcome(found: Option<Property>, executions: usize, exhausted: bool) -> Outcome {
        Outcome {
            executions,
            elapsed: Duration::from_secs(1),
            found: found.map(|property| Found {
                failure: ModelFailure {
                    property,
                    message: "m".into(),
                },
                consequence: None,
                injected: vec![],
                config: vec![],
                execution: 1,
                trace: vec![],
                cycle: None,
                timeline: Default::default(),
                schedule: Schedule::Threads {
                    seed: 0,
                    inject: vec![],
                },
                engine: EngineKind::Threads,
            }),
            exhausted_bound: exhausted.then_some(2),
            incomplete: !exhausted,
            notes: vec![],
        }
    }

    #[test]
    fn json_names_the_loom_bound_cut_short() {
        let loom = EngineKind::Loom { max_bound: None };
        // Bound 2 exhausted, the budget ended during bound 3.
        let mut o = outcome(None, 10, true);
        o.incomplete = true;
        assert_eq!(loom_cut_short(loom, &o), Some(3));
        // Not even bound 1 finished.
        let o = outcome(None, 10, false);
        assert_eq!(loom_cut_short(loom, &o), Some(1));
        // Every bound up to --max-bound exhausted: nothing cut short.
        assert_eq!(loom_cut_short(loom, &outcome(None, 10, true)), None);
        // A failure ends the exploration; shuttle has no bounds.
        let mut f = outcome(Some(Property::Deadlock), 10, false);
        f.incomplete = true;
        assert_eq!(loom_cut_short(loom, &f), None);
        assert_eq!(
            loom_cut_short(EngineKind::Shuttle, &outcome(None, 10, false)),
            None
        );
    }

    fn verdict0(p: &Pair, o: &Outcome) -> Verdict {
        verdict(p, o, 0)
    }

    #[test]
    fn known_findings_are_expected_and_their_absence_is_news() {
        let sc = crate::scenario::find("finding-stale-wound-ww").expect("scenario");
        let base = Pair::new(sc.clone(), None, None);
        let found = outcome(Some(Property::OldestKilled), 10, false);
        assert!(matches!(verdict0(&base, &found), Verdict::KnownFinding(_)));
        // Another property in the same scenario is a real failure.
        let other = outcome(Some(Property::Deadlock), 10, false);
        assert_eq!(verdict0(&base, &other), Verdict::Failed);
        // Not seen in a short sampled run: a note, not news.
        assert!(matches!(
            verdict0(&base, &outcome(None, 100, false)),
            Verdict::Clean(Some(_))
        ));
        // Not seen although the exploration was exhaustive (or long enough): news.
        assert!(matches!(
            verdict0(&base, &outcome(None, 100, true)),
            Verdict::FindingGone(_)
        ));
        assert!(verdict0(&base, &outcome(None, 1_000_000, false)).counts_as_failure());
        // With a variant on, the scenario is an ordinary pair.
        let var = Pair::new(sc.clone(), Some(crate::model::Variant::FifoWaiters), None);
        assert_eq!(verdict0(&var, &found), Verdict::Failed);
        // An older kernel has the finding too (expected); absent, it is not news there.
        let k = crate::model::baseline::KernelVersion(6, 12);
        let old = Pair::new(sc, None, None).on_kernel(k, crate::model::VariantSet::NONE);
        assert!(matches!(verdict0(&old, &found), Verdict::KnownFinding(_)));
        assert!(matches!(
            verdict0(&old, &outcome(None, 100, true)),
            Verdict::Clean(Some(_))
        ));
    }

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
