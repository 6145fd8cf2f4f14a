//! The CLI's logic (kept in the library so that tests can drive it): `list`, `hunt`,
//! `replay`. Exit codes: 0 nothing found, 1 a property failed, 2 bad usage or input.

use crate::engine::failure_file::FailureFile;
use crate::engine::{EngineKind, Schedule, build_hint, replay_schedule};
use crate::model::baseline::{self, KernelVersion};
use crate::model::variants::{Variant, VariantSet};
use crate::scenario::file::FileScenario;
use crate::scenario::{self, Scenario};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const ENGINES_HELP: &str = "Engines are chosen at build time; rebuild to get the others:\n\
  default build (feature shuttle): shuttle, shuttle-pct, portfolio\n\
  RUSTFLAGS=\"--cfg loom\" build: loom (iteratively deepened preemption bounds)\n\
  --no-default-features build: threads (real threads, std + parking_lot)";

/// Arguments of `hunt`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = hunt_help())]
pub struct HuntArgs {
    /// Scenario to explore (repeatable; a glob pattern such as `ttm-*` selects every
    /// scenario whose name matches; default: every scenario).
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    /// Shrinker design (docs/DESIGNS.md: callback-walker, guarded-iterator, next-candidate,
    /// gem-lru-scan; repeatable): adds every `design-<NAME>-*` scenario. SVM VRAM-manager
    /// design (docs/SVM-DESIGNS.md: unified-lru, split-lru, isolate-on-acquire,
    /// watermark-trylock, sigbus-on-failure, amd-migrate-mutex): every `svm-design-<NAME>-*`.
    #[arg(long = "design")]
    pub designs: Vec<String>,
    /// Scenario file (TOML, see scenarios/) to explore (repeatable); without --scenario
    /// only the files' scenarios are explored.
    #[arg(long = "scenario-file")]
    pub scenario_files: Vec<PathBuf>,
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
    /// Seed of the random schedulers (a hunt with the same seed is reproducible with
    /// --engine shuttle or shuttle-pct; portfolio races schedulers on all cores).
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
    /// Write a JUnit XML report (one test case per scenario x variant).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Fault injection: at most N injected failures per execution (0 = off). Every
    /// fallible kernel call is a fault site (`list --json`: fault_sites); shuttle and
    /// threads sample failure plans, loom enumerates them.
    #[arg(long, default_value_t = 1)]
    pub inject: u32,
    /// Only these fault sites fail (comma-separated names, e.g. ttm_tt_swapout,ttm_tt_backup).
    #[arg(long = "inject-sites")]
    pub inject_sites: Option<String>,
    /// Spurious returns from schedule(): at most N per execution (0 = off), explored like
    /// fault injection (sites `schedule` and `mutex_optimistic_spin`: a sleep returns
    /// with no wakeup, as a stale wake_q entry or the spinner's need_resched path makes it).
    #[arg(long, default_value_t = 1)]
    pub spurious: u32,
    /// Turn an unmerged patch on (repeatable; `list` shows the proposals): every pair runs
    /// with it, so a hunt shows whether it removes a known finding.
    #[arg(long = "proposal")]
    pub proposals: Vec<String>,
    /// Check an older kernel (e.g. v6.12, 6.6): the baseline with every historical
    /// variant whose fix that kernel lacks, on the scenarios whose code it has.
    #[arg(long)]
    pub kernel: Option<String>,
    /// Turn a kernel config option on for every scenario (repeatable; `list` shows them):
    /// proxy-exec = CONFIG_SCHED_PROXY_EXEC (v6.17+; refused with an older --kernel).
    #[arg(long = "config")]
    pub configs: Vec<String>,
}

impl HuntArgs {
    /// The kernel config options of this hunt (`--config`), checked against `--kernel`.
    pub fn kernel_config(&self) -> Result<crate::model::config::KernelConfig, String> {
        let set = crate::model::config::KernelConfig::parse_all(&self.configs)?;
        if let Some(k) = &self.kernel {
            set.check_kernel(KernelVersion::parse(k)?)?;
        }
        Ok(set)
    }

    /// The fault-injection limits of this hunt.
    pub fn inject_config(&self) -> Result<crate::engine::InjectConfig, String> {
        if self.inject > 8 {
            return Err(format!(
                "bad --inject {}: at most 8 injected failures per execution",
                self.inject
            ));
        }
        let sites = match &self.inject_sites {
            Some(list) => Some(crate::engine::InjectConfig::parse_sites(list)?),
            None => None,
        };
        if self.spurious > 8 {
            return Err(format!(
                "bad --spurious {}: at most 8 spurious returns per execution",
                self.spurious
            ));
        }
        Ok(crate::engine::InjectConfig {
            budget: self.inject,
            sites,
            spurious: self.spurious,
        })
    }
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
    /// The scenario file it was loaded from, if any.
    pub source: Option<PathBuf>,
    /// `--kernel`: the older kernel this pair checks (its historical variants are `extra`).
    pub kernel: Option<(KernelVersion, VariantSet)>,
    /// `--proposal`: unmerged patches on.
    pub proposals: VariantSet,
    /// A scenario file's `[options] inject`: the injection it explores when the command
    /// line sets none.
    pub inject: Option<crate::engine::InjectConfig>,
    /// How reports name the pair's model ("kernel-6.12" for `--kernel`).
    label: Option<String>,
}

impl Pair {
    pub fn new(scenario: Scenario, variant: Option<Variant>, source: Option<PathBuf>) -> Pair {
        Pair {
            scenario,
            variant,
            source,
            kernel: None,
            proposals: VariantSet::NONE,
            inject: None,
            label: variant.map(|v| v.name().to_string()),
        }
    }

    /// The pair with the proposals `set` on (named `+proposal` in reports).
    pub fn with_proposals(mut self, set: VariantSet) -> Pair {
        let names: Vec<&str> = set.iter().map(|v| v.name()).collect();
        self.label = Some(match self.label {
            Some(l) => format!("{l}+{}", names.join("+")),
            None => names.join("+"),
        });
        self.proposals = set;
        self
    }

    /// The pair on kernel `v` (the baseline plus `set`).
    pub fn on_kernel(mut self, v: KernelVersion, set: VariantSet) -> Pair {
        self.kernel = Some((v, set));
        self.label = Some(match self.variant {
            Some(var) => format!("kernel-{v}+{}", var.name()),
            None => format!("kernel-{v}"),
        });
        self
    }

    /// The variant (or `kernel-X.Y`) the pair runs; None = the baseline.
    pub fn variant_name(&self) -> Option<&str> {
        self.label.as_deref()
    }

    pub fn variants(&self) -> VariantSet {
        let own = self
            .variant
            .map_or(VariantSet::NONE, VariantSet::of)
            .union(self.proposals);
        match self.kernel {
            Some((_, set)) => own.union(set),
            None => own,
        }
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

/// Load scenario files (`--scenario-file`); a scenario name used twice is an error.
pub fn load_files(paths: &[PathBuf]) -> Result<Vec<FileScenario>, String> {
    let mut files: Vec<FileScenario> = Vec::new();
    for p in paths {
        let f = scenario::file::load(p)?;
        if let Some(other) = files.iter().find(|o| o.scenario.name == f.scenario.name) {
            return Err(format!(
                "{} and {} both define scenario '{}'",
                other.source.display(),
                p.display(),
                f.scenario.name
            ));
        }
        files.push(f);
    }
    Ok(files)
}

/// The scenarios `--scenario` names, in order, without repeats: an exact name (a scenario
/// file's first, then a built-in one), or a glob pattern (`ttm-*`, `*-ww`, `svm-fault-?`)
/// matched against the files' and the built-in scenarios' names.
fn resolve_scenarios(
    names: &[String],
    files: &[FileScenario],
) -> Result<Vec<(Scenario, Option<PathBuf>)>, String> {
    let mut out: Vec<(Scenario, Option<PathBuf>)> = Vec::new();
    // The built-in scenarios, built once if a pattern needs them.
    let builtin = names
        .iter()
        .any(|n| n.contains(['*', '?', '[']))
        .then(scenario::all)
        .unwrap_or_default();
    let mut push = |sc: Scenario, src: Option<PathBuf>| {
        if !out.iter().any(|(o, _)| o.name == sc.name) {
            out.push((sc, src));
        }
    };
    for n in names {
        if n.contains(['*', '?', '[']) {
            let pat =
                glob::Pattern::new(n).map_err(|e| format!("bad scenario pattern '{n}': {e}"))?;
            let mut matched = 0;
            for f in files.iter().filter(|f| pat.matches(&f.scenario.name)) {
                push(f.scenario.clone(), Some(f.source.clone()));
                matched += 1;
            }
            for sc in builtin.iter().filter(|s| pat.matches(&s.name)) {
                push(sc.clone(), None);
                matched += 1;
            }
            if matched == 0 {
                return Err(format!("no scenario matches '{n}' (see `ttm-model list`)"));
            }
            continue;
        }
        let found = files
            .iter()
            .find(|f| f.scenario.name == *n)
            .map(|f| (f.scenario.clone(), Some(f.source.clone())))
            .or_else(|| scenario::find(n).map(|s| (s, None)))
            .ok_or_else(|| format!("unknown scenario '{n}' (see `ttm-model list`)"))?;
        push(found.0, found.1);
    }
    Ok(out)
}

/// The (scenario, variant) pairs a hunt explores, sharded.
pub fn plan(args: &HuntArgs, engine: EngineKind) -> Result<Vec<Pair>, String> {
    let files = load_files(&args.scenario_files)?;
    let mut named = resolve_scenarios(&args.scenarios, &files)?;
    // SVM VRAM-manager designs (docs/SVM-DESIGNS.md): `svm-design-<NAME>-*`; a scenario
    // showing a design's violating rule runs with that rule's Design variant on.
    let mut svm_design_pairs: Vec<(Scenario, Variant)> = Vec::new();
    for d in &args.designs {
        if crate::svm::designs::SvmDesign::from_name(d).is_some() {
            let prefix = format!("svm-design-{d}-");
            for s in scenario::all()
                .into_iter()
                .filter(|s| s.name.starts_with(&prefix))
            {
                match scenario::svm_designs::rule_variant(&s.name) {
                    Some(v) => svm_design_pairs.push((s, v)),
                    None => named.push((s, None)),
                }
            }
            continue;
        }
        if crate::walker::designs::ShrinkDesign::from_name(d).is_none() {
            return Err(format!(
                "unknown design '{d}' (shrinker: callback-walker, guarded-iterator, next-candidate, gem-lru-scan; SVM VRAM: unified-lru, split-lru, isolate-on-acquire, watermark-trylock, sigbus-on-failure, amd-migrate-mutex)"
            ));
        }
        let prefix = format!("design-{d}-");
        named.extend(
            scenario::all()
                .into_iter()
                .filter(|s| s.name.starts_with(&prefix))
                .map(|s| (s, None)),
        );
    }
    if args.scenarios.is_empty() && args.designs.is_empty() {
        named.extend(
            files
                .iter()
                .map(|f| (f.scenario.clone(), Some(f.source.clone()))),
        );
    }
    let mut pairs = Vec::new();
    let pair = |(scenario, source): (Scenario, Option<PathBuf>), variant| {
        Pair::new(scenario, variant, source)
    };
    if args.variants.is_empty() {
        let set = if named.is_empty() && svm_design_pairs.is_empty() {
            scenario::default_set()
                .into_iter()
                .map(|s| (s, None))
                .collect()
        } else {
            named.clone()
        };
        pairs.extend(set.into_iter().map(|s| pair(s, None)));
        pairs.extend(
            svm_design_pairs
                .into_iter()
                .map(|(s, v)| Pair::new(s, Some(v), None)),
        );
    } else {
        let mut variants = Vec::new();
        for v in &args.variants {
            if v == "all" {
                variants.extend(Variant::ALL.into_iter().filter(|v| {
                    v.info().kind != crate::model::variants::VariantKind::Proposal
                        && v.info()
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
            let set: Vec<(Scenario, Option<PathBuf>)> = if named.is_empty() {
                v.info()
                    .scenarios
                    .iter()
                    .filter_map(|n| scenario::find(n))
                    .map(|s| (s, None))
                    .collect()
            } else {
                named.clone()
            };
            pairs.extend(set.into_iter().map(|s| pair(s, Some(v))));
        }
    }
    if !args.proposals.is_empty() {
        let mut set = VariantSet::NONE;
        for p in &args.proposals {
            let v = Variant::from_name(p)
                .filter(|v| v.info().kind == crate::model::variants::VariantKind::Proposal)
                .ok_or_else(|| {
                    format!(
                        "unknown proposal '{p}' (known: {})",
                        Variant::ALL
                            .into_iter()
                            .filter(
                                |v| v.info().kind == crate::model::variants::VariantKind::Proposal
                            )
                            .map(|v| v.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            set = set.with(v);
        }
        pairs = pairs.into_iter().map(|p| p.with_proposals(set)).collect();
    }
    // A scenario file's own options: its injection, and the kernel it is about.
    for p in pairs.iter_mut() {
        let Some(f) = files.iter().find(|f| Some(&f.source) == p.source.as_ref()) else {
            continue;
        };
        if f.inject.any() {
            p.inject = Some(f.inject.clone());
        }
        if let (None, Some(v)) = (&args.kernel, f.kernel) {
            let (set, _) = baseline::variants_for(v);
            *p = p.clone().on_kernel(v, set);
        }
    }
    if let Some(k) = &args.kernel {
        let v = KernelVersion::parse(k)?;
        baseline::check_describable(v)?;
        let (set, _) = baseline::variants_for(v);
        pairs = pairs
            .into_iter()
            .filter(|p| baseline::scenario_exists_in(&p.scenario.name, p.scenario.area, v))
            .map(|p| p.on_kernel(v, set))
            .collect();
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

/// `ttm-model hunt`.
pub fn hunt(args: &HuntArgs) -> Result<u8, String> {
    let budget = parse_budget(&args.budget)?;
    args.inject_config()?;
    args.kernel_config()?;
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
    crate::hunt::run(args, engine, &pairs, budget)
}

#[derive(Serialize)]
struct ListScenario<'a> {
    name: &'a str,
    area: &'a str,
    description: &'a str,
}

/// What `list --kernel V` adds: the bugs V still has and the scenarios with its code.
#[derive(Serialize)]
struct KernelListing {
    version: String,
    /// Historical variants whose fix V lacks (on in `hunt --kernel V`).
    known_bugs: Vec<&'static str>,
    /// Historical variants whose status in V the registry does not know (left off).
    unknown: Vec<&'static str>,
    /// Scenarios whose code V has (`hunt --kernel V` explores these).
    scenarios: Vec<String>,
}

fn kernel_listing(k: &str, scenarios: &[Scenario]) -> Result<KernelListing, String> {
    let v = KernelVersion::parse(k)?;
    baseline::check_describable(v)?;
    let (set, unknown) = baseline::variants_for(v);
    Ok(KernelListing {
        version: v.to_string(),
        known_bugs: set.iter().map(|x| x.name()).collect(),
        unknown: unknown.into_iter().map(|x| x.name()).collect(),
        scenarios: scenarios
            .iter()
            .filter(|s| baseline::scenario_exists_in(&s.name, s.area, v))
            .map(|s| s.name.clone())
            .collect(),
    })
}

/// `ttm-model list --formats`: the scenario-file format of every area (markdown).
pub fn list_formats() -> Result<u8, String> {
    print!("{}", scenario::file::formats_markdown());
    Ok(0)
}

/// `ttm-model list` (plus the scenarios of `--scenario-file` files; `--kernel V`: what
/// the registry says about kernel V; `--config NAME`: what that kernel config option does).
pub fn list(
    json: bool,
    scenario_files: &[PathBuf],
    kernel: Option<&str>,
    configs: &[String],
    area: Option<&str>,
) -> Result<u8, String> {
    use crate::model::config::{KCONFIGS, KernelConfig};
    let config = KernelConfig::parse_all(configs)?;
    if let Some(k) = kernel {
        config.check_kernel(KernelVersion::parse(k)?)?;
    }
    if !config.is_empty() && !json {
        for c in config.iter() {
            let i = c.info();
            println!(
                "{} ({}, since v{}): {}",
                i.name, i.kconfig, i.since, i.description
            );
        }
        return Ok(0);
    }
    let mut scenarios = scenario::all();
    scenarios.extend(load_files(scenario_files)?.into_iter().map(|f| f.scenario));
    let mut variants: Vec<_> = Variant::ALL.iter().map(|v| v.info()).collect();
    if let Some(a) = area {
        let mut known: Vec<&str> = scenarios
            .iter()
            .map(|s| s.area)
            .chain(variants.iter().map(|v| v.area))
            .collect();
        known.sort_unstable();
        known.dedup();
        if !known.contains(&a) {
            return Err(format!("unknown area '{a}' (known: {})", known.join(", ")));
        }
        scenarios.retain(|s| s.area == a);
        variants.retain(|v| v.area == a);
    }
    let listing = kernel.map(|k| kernel_listing(k, &scenarios)).transpose()?;
    if let (Some(l), false) = (&listing, json) {
        println!(
            "Kernel {} (relative to the baseline, {}):",
            l.version,
            baseline::BASELINE
        );
        println!("  known bugs still there: {}", l.known_bugs.join(", "));
        println!(
            "  status unknown to the registry (left off): {}",
            l.unknown.join(", ")
        );
        println!("  scenarios with its code: {}", l.scenarios.len());
        return Ok(0);
    }
    if json {
        let v = serde_json::json!({
            "kernel": baseline::BASELINE,
            "kernel_version": listing,
            "scenarios": scenarios.iter().map(|s| ListScenario { name: &s.name, area: s.area, description: &s.description }).collect::<Vec<_>>(),
            "variants": variants,
            "config": config.names(),
            "kernel_configs": KCONFIGS.iter().map(|c| serde_json::json!({
                "name": c.name,
                "kconfig": c.kconfig,
                "since": c.since.to_string(),
                "description": c.description,
            })).collect::<Vec<_>>(),
            "fault_sites": crate::model::fault::SITES.iter().map(|s| serde_json::json!({
                "name": s.name,
                "area": s.area,
                "errnos": crate::model::fault::errno_names(s),
                "kernel_function": s.kernel,
            })).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(0);
    }
    println!("Scenarios ({}):", scenarios.len());
    for s in &scenarios {
        println!("  {:<26} [{}] {}", s.name, s.area, s.description);
    }
    println!("\nKernel configs (--config), off by default:");
    for c in KCONFIGS {
        println!(
            "  {:<30} [{}, since v{}] {}",
            c.name, c.kconfig, c.since, c.description
        );
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
    let from_file = match &file.scenario_file {
        Some(f) => Some(scenario::file::load(Path::new(f)).map_err(|e| {
            format!(
                "{e}; re-find the failure from its variant and seed: {}",
                file.refind_command
            )
        })?),
        None => None,
    };
    let found_sc = match from_file {
        Some(f) if f.scenario.name == file.scenario => Some(f.scenario),
        Some(_) => None,
        None => scenario::find(&file.scenario),
    };
    let sc = found_sc.ok_or_else(|| {
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
    let sc = sc.with_config(crate::model::config::KernelConfig::parse_all(&file.config)?);
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
            designs: vec![],
            scenario_files: vec![],
            junit: None,
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
            inject: 1,
            inject_sites: None,
            spurious: 1,
            configs: vec![],
            kernel: None,
            proposals: vec![],
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
