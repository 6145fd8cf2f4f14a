//! The TTM area of the public API: a device with one VM, the CPUs that run on it, and
//! the TTM kernel functions of the model (`walker`), re-exported.
//!
//! ```no_run
//! use ttm_model::api::ttm::*;
//! use ttm_model::api::{Arc, Check};
//! let sc = TtmScenario::new("my-race")
//!     .description("a walker against command submission")
//!     .cpus(2)
//!     .vram_pages(2)
//!     .body(|m, main, w| {
//!         let a = w.bo(main, "A", TTM_PL_VRAM, 0, true);
//!         let h = spawn(m, "submit", w, |t, w| w.vm_exec_bump(t));
//!         w.touch(main, &a);
//!         m.join(main, h);
//!         w.quiesce(main);
//!     });
//! assert!(Check::new(&sc).executions(100).run().is_clean());
//! ```

use crate::model::config::KConfig;
use crate::model::sync::Arc;
use crate::model::{Machine, Options, Task};
use crate::scenario::Scenario;

pub use crate::scenario::ttm::{World, spawn};
pub use crate::scenario::ttm_more::ttm_device_prepare_hibernation;
pub use crate::walker::evict::{
    ttm_bo_validate, ttm_bo_validate_exhaustive, ttm_resource_manager_evict_all,
};
pub use crate::walker::iter::{OpCtx, WalkArg, ttm_lru_walk_for_evict};
pub use crate::walker::shrink::{
    SHRINK_BATCH, SHRINK_EMPTY, SHRINK_STOP, ShrinkControl, ShrinkFlags, Shrinker, XeShrinker,
    do_shrink_slab, shrink_slab, ttm_bo_shrink, ttm_bo_shrink_suitable,
};
pub use crate::walker::swap::ttm_device_swapout;
pub use crate::walker::*;

/// The body of a TTM scenario: runs on `cpu0` with the machine and the world.
pub type Body = dyn Fn(&Arc<Machine>, &Arc<Task>, &World) + Send + Sync;

/// A TTM scenario: a device (VRAM and TT capacities) with one VM, built fresh for every
/// execution, and a body that creates BOs and spawns CPUs.
#[derive(Clone, Debug)]
pub struct TtmScenario {
    name: String,
    description: String,
    cpus: usize,
    device: DeviceConfig,
    options: Options,
}

impl TtmScenario {
    /// Two CPUs (main and one spawned), a 4-page VRAM, TT unlimited.
    pub fn new(name: &str) -> TtmScenario {
        TtmScenario {
            name: name.to_string(),
            description: String::new(),
            cpus: 2,
            device: DeviceConfig {
                vram_pages: 4,
                tt_pages: None,
            },
            options: Options::default(),
        }
    }

    pub fn description(mut self, d: &str) -> TtmScenario {
        self.description = d.to_string();
        self
    }

    /// Model tasks including the main one (loom: at most 5).
    pub fn cpus(mut self, n: usize) -> TtmScenario {
        self.cpus = n;
        self
    }

    pub fn vram_pages(mut self, n: u64) -> TtmScenario {
        self.device.vram_pages = n;
        self
    }

    /// A TT manager of `n` pages (default: unlimited).
    pub fn tt_pages(mut self, n: u64) -> TtmScenario {
        self.device.tt_pages = Some(n);
        self
    }

    /// A kernel config option on (as `--config`).
    pub fn config(mut self, c: KConfig) -> TtmScenario {
        self.options.config = self.options.config.with(c);
        self
    }

    /// The scenario with `body`.
    pub fn body(
        self,
        body: impl Fn(&Arc<Machine>, &Arc<Task>, &World) + Send + Sync + 'static,
    ) -> Scenario {
        self.body_arc(Arc::new(body))
    }

    /// As [`TtmScenario::body`], for a body shared between scenarios.
    pub fn body_arc(self, body: Arc<Body>) -> Scenario {
        let device = self.device;
        Scenario {
            name: self.name,
            area: "ttm",
            description: self.description,
            tasks: self.cpus,
            options: self.options,
            body: Arc::new(move |m: &Arc<Machine>, main: &Arc<Task>| {
                let w = World::new(m, main, device);
                body(m, main, &w);
            }),
        }
    }
}
