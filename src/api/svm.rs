//! The SVM area of the public API: an mm with device-private pages, its devices and
//! driver policy, optional TTM backing, the CPUs that fault on it, and the SVM kernel
//! functions of the model (`svm`), re-exported.

use crate::model::config::KConfig;
use crate::model::sync::Arc;
use crate::model::{Machine, Options, Task};
use crate::scenario::Scenario;

use crate::svm::sched::cpu_enter;
use crate::svm::ttm_backing::TtmBacking;
pub use crate::svm::ttm_backing::{
    amdgpu_ttm_evict_svm_bo, gpu_fault, svms_lock, ttm_evict_svm_bo,
};

pub use crate::scenario::svm::{
    join, quiesce, setup_alias, setup_device_range, setup_svm_bo, setup_system_page, spawn,
};
pub use crate::svm::fault::{
    cpu_access, do_swap_page, handle_mm_fault, migrate_to_ram, try_access,
};
pub use crate::svm::gpusvm::{gpu_access, xe_svm_alloc_vram, xe_svm_handle_pagefault};
pub use crate::svm::pagemap::{drm_pagemap_evict_to_ram, drm_pagemap_migrate_to_devmem};
pub use crate::svm::sched::{cond_resched, cpu_exit};
pub use crate::svm::*;

/// The body of an SVM scenario: runs on `cpu0` (already entered) with the machine and
/// the mm.
pub type Body = dyn Fn(&Arc<Machine>, &Arc<Task>, &Arc<Svm>) + Send + Sync;

/// An SVM scenario: an mm of `vas` virtual pages and its devices (VRAM pages, driver
/// policy, preemption model), optionally with SVM BOs on a TTM device, built fresh for
/// every execution; the body sets pages up and spawns CPUs, and the end-of-scenario
/// checks ([`quiesce`]: data loss, page locks, mm references) run after it.
#[derive(Clone, Debug)]
pub struct SvmScenario {
    name: String,
    description: String,
    cpus: usize,
    cfg: SvmConfig,
    ttm_vram: Option<u64>,
    options: Options,
}

impl SvmScenario {
    /// Two CPUs, 2 virtual pages, one Xe device with 4 VRAM pages, no TTM backing.
    pub fn new(name: &str) -> SvmScenario {
        SvmScenario {
            name: name.to_string(),
            description: String::new(),
            cpus: 2,
            cfg: SvmConfig::default(),
            ttm_vram: None,
            options: Options::default(),
        }
    }

    pub fn description(mut self, d: &str) -> SvmScenario {
        self.description = d.to_string();
        self
    }

    /// Model tasks including the main one (loom: at most 5).
    pub fn cpus(mut self, n: usize) -> SvmScenario {
        self.cpus = n;
        self
    }

    /// The mm, devices and driver policy.
    pub fn config(mut self, cfg: SvmConfig) -> SvmScenario {
        self.cfg = cfg;
        self
    }

    /// Back device memory with SVM BOs on a TTM device of `vram` pages (Xe's design).
    pub fn ttm_backing(mut self, vram: u64) -> SvmScenario {
        self.ttm_vram = Some(vram);
        self
    }

    /// A kernel config option on (as `--config`).
    pub fn kconfig(mut self, c: KConfig) -> SvmScenario {
        self.options.config = self.options.config.with(c);
        self
    }

    /// The scenario with `body`.
    pub fn body(
        self,
        body: impl Fn(&Arc<Machine>, &Arc<Task>, &Arc<Svm>) + Send + Sync + 'static,
    ) -> Scenario {
        self.body_arc(Arc::new(body))
    }

    /// As [`SvmScenario::body`], for a body shared between scenarios.
    pub fn body_arc(self, body: Arc<Body>) -> Scenario {
        let (cfg, ttm_vram) = (self.cfg, self.ttm_vram);
        Scenario {
            name: self.name,
            area: "svm",
            description: self.description,
            tasks: self.cpus,
            options: self.options,
            body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
                let ttm = ttm_vram.map(|v| TtmBacking::new(m, v));
                let svm = Svm::new(m, cfg, ttm);
                TtmBacking::install(&svm);
                drm_gpusvm_init(main, &svm);
                cpu_enter(main, &svm);
                body(m, main, &svm);
                quiesce(main, &svm);
            }),
        }
    }
}
