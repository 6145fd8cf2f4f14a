//! Running a scenario under the compiled engine, with the usual reports.

use crate::engine::failure_file::write_failure_dir_in;
use crate::engine::{EngineKind, Found, InjectConfig, RunConfig, explore};
use crate::model::property::Property;
use crate::model::variants::{Variant, VariantSet};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An exploration of one scenario: which model (variants), how long, which engine.
///
/// ```no_run
/// # use ttm_model::api::*;
/// # fn f(sc: Scenario) {
/// let report = Check::new(&sc).executions(2_000).seed(7).run();
/// assert!(report.is_clean(), "{}", report.summary());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Check {
    scenario: Scenario,
    cfg: RunConfig,
    out: Option<PathBuf>,
}

/// What a [`Check`] found.
#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub executions: usize,
    /// The failing execution, if any (message, trace, schedule).
    pub found: Option<Found>,
    /// Where the failure was written (with [`Check::write_failures_to`]).
    pub failure_dir: Option<PathBuf>,
}

impl Check {
    /// The scenario on the fixed model, with the build's seeded engine (shuttle's random
    /// scheduler in the default build, loom under `--cfg loom`, real threads without
    /// the `shuttle` feature), 10 000 executions or 60 s, whichever ends first.
    pub fn new(scenario: &Scenario) -> Check {
        let engine = match EngineKind::default_for_build() {
            EngineKind::Portfolio => EngineKind::Shuttle,
            e => e,
        };
        let mut cfg = RunConfig::new(engine, VariantSet::NONE);
        cfg.budget = Duration::from_secs(60);
        cfg.max_executions = Some(10_000);
        Check {
            scenario: scenario.clone(),
            cfg,
            out: None,
        }
    }

    /// Turn a variant on (a historical bug, mutation, design or proposal).
    pub fn variant(mut self, v: Variant) -> Check {
        self.cfg.variants = self.cfg.variants.with(v);
        self
    }

    /// Stop after `n` executions.
    pub fn executions(mut self, n: usize) -> Check {
        self.cfg.max_executions = Some(n);
        self
    }

    /// Stop after `d` of wall-clock time.
    pub fn budget(mut self, d: Duration) -> Check {
        self.cfg.budget = d;
        self
    }

    pub fn seed(mut self, seed: u64) -> Check {
        self.cfg.seed = seed;
        self
    }

    /// Another engine of this build (`EngineKind::parse("shuttle-pct", 3)`).
    pub fn engine(mut self, e: EngineKind) -> Check {
        self.cfg.engine = e;
        self
    }

    /// Explore up to `n` injected failures per execution at every fault site.
    pub fn inject(mut self, n: u32) -> Check {
        self.cfg.inject = InjectConfig::budget(n);
        self
    }

    /// Write a failure, as `hunt` does, under `dir/<scenario>--<variants>--<property>/`.
    pub fn write_failures_to(mut self, dir: impl AsRef<Path>) -> Check {
        self.out = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Explore. A failure is written (if asked) before this returns.
    pub fn run(&self) -> Report {
        let o = explore(&self.scenario, &self.cfg);
        let failure_dir = match (&o.found, &self.out) {
            (Some(f), Some(out)) => {
                let variants: Vec<String> = self
                    .cfg
                    .variants
                    .iter()
                    .map(|v| v.name().to_string())
                    .collect();
                write_failure_dir_in(out, &self.scenario.name, None, &variants, self.cfg.seed, f)
                    .ok()
            }
            _ => None,
        };
        Report {
            scenario: self.scenario.name.clone(),
            executions: o.executions,
            found: o.found,
            failure_dir,
        }
    }
}

impl Report {
    /// Nothing found.
    pub fn is_clean(&self) -> bool {
        self.found.is_none()
    }

    /// The property that failed.
    pub fn property(&self) -> Option<Property> {
        self.found.as_ref().map(|f| f.failure.property)
    }

    /// One paragraph in kernel vocabulary: the failure and the last events before it.
    pub fn summary(&self) -> String {
        match &self.found {
            None => format!("{}: clean in {} executions", self.scenario, self.executions),
            Some(f) => {
                let tail: Vec<&str> = f
                    .trace
                    .iter()
                    .rev()
                    .take(12)
                    .rev()
                    .map(String::as_str)
                    .collect();
                let dir = self
                    .failure_dir
                    .as_ref()
                    .map(|d| format!(" (written to {})", d.display()))
                    .unwrap_or_default();
                format!(
                    "{}: execution {} fails: {}{dir}\n  {}",
                    self.scenario,
                    f.execution,
                    f.failure,
                    tail.join("\n  ")
                )
            }
        }
    }
}
