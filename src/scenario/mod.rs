//! Named workloads: which tasks (CPUs) run which kernel operations on which objects, and
//! what is checked at the end. The single source of workloads for tests, the CLI and the
//! benchmarks.

pub mod catalogue;
pub mod common;
pub mod designs;
pub mod exec;
pub mod file;
pub mod findings;
pub mod probe;
pub mod rt;
pub mod selftest;
pub mod svm;
pub mod svm_designs;
pub mod ttm;
pub mod ttm_more;
pub mod ttm_warn;

use crate::model::sync::Arc;
use crate::model::{Machine, Options, Task};

/// The body of one execution: runs on the scenario's main task (`cpu0`).
pub type Body = Arc<dyn Fn(&Arc<Machine>, &Arc<Task>) + Send + Sync>;

/// A named workload.
#[derive(Clone)]
pub struct Scenario {
    pub name: String,
    pub area: &'static str,
    pub description: String,
    /// Model tasks including main (loom allows at most 5).
    pub tasks: usize,
    pub options: Options,
    pub body: Body,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish()
    }
}

impl Scenario {
    /// Fits loom's thread limit (4 spawned threads + main).
    pub fn fits_loom(&self) -> bool {
        self.tasks <= 5
    }

    /// The scenario with kernel config options `config` on as well (`--config`).
    pub fn with_config(&self, config: crate::model::config::KernelConfig) -> Scenario {
        let mut sc = self.clone();
        sc.options.config = sc.options.config.union(config);
        sc
    }
}

pub(crate) fn scenario(
    name: &str,
    description: &str,
    tasks: usize,
    options: Options,
    body: impl Fn(&Arc<Machine>, &Arc<Task>) + Send + Sync + 'static,
) -> Scenario {
    Scenario {
        name: name.to_string(),
        area: "ww",
        description: description.to_string(),
        tasks,
        options,
        body: Arc::new(body),
    }
}

/// Every registered scenario, in a stable order.
pub fn all() -> Vec<Scenario> {
    let mut out = Vec::new();
    selftest::register(&mut out);
    exec::register(&mut out);
    ttm::register(&mut out);
    designs::register(&mut out);
    svm::register(&mut out);
    catalogue::register(&mut out);
    rt::register(&mut out);
    svm_designs::register(&mut out);
    out
}

/// Look a scenario up by name.
pub fn find(name: &str) -> Option<Scenario> {
    all().into_iter().find(|s| s.name == name)
}

/// The scenarios `hunt` runs when none is named: every scenario except the deliberately
/// broken clients (they exist to show that checks fire) and the shrinker designs that
/// violate a property by design (`designs::expected_violation`).
pub fn default_set() -> Vec<Scenario> {
    all()
        .into_iter()
        .filter(|s| {
            !s.name.contains("broken-client")
                && designs::expected_violation(&s.name).is_none()
                && svm_designs::expected_violation(&s.name).is_none()
        })
        .collect()
}
