//! The `svm` area of scenario files: one SVM mm with its virtual pages, the devices and
//! their VRAM, the pages' steady state at the start (system pages, device allocations
//! already migrated, aliases), the driver policy (Xe or AMD KFD) and the preemption
//! model, and the operations the built-in SVM scenarios (`scenario::svm`) run, under
//! their kernel names.
//!
//! ```toml
//! area = "svm"
//! [options]
//! driver = "xe"                 # or "amd"
//! preempt = "full"              # or "none" / "voluntary" (CONFIG_PREEMPT_NONE)
//! [[object]]
//! kind = "mm"
//! vas = 2                       # virtual pages va0, va1
//! [[object]]
//! kind = "device"               # gpu0, gpu1, ... in declaration order
//! vram_pages = 2
//! [[object]]
//! kind = "devmem"               # a device allocation, migrated and mapped
//! name = "D"
//! device = "gpu0"
//! va = "va0..va1"               # both ends included
//! held = true                   # the driver holds a reference (TTM's BO reference)
//! [[actor]]
//! ops = ["cpu_access va0 store"]
//! [[actor]]
//! ops = ["drm_pagemap_evict_to_ram D", "devmem_put D"]
//! ```
//!
//! The set-up is the steady state built directly, in declaration order (as
//! `scenario::svm` does: `setup_system_page`, `setup_device_range`, `setup_alias`,
//! `setup_svm_bo`); the main task then spawns every actor on its own CPU (task ids 1, 2,
//! .. in actor order) and joins them. The end of every execution runs
//! `scenario::svm::quiesce`: no PTE left a migration entry, no folio locked, every
//! virtual page holding the last version written to it, the deferred BO puts flushed,
//! `mm_users` back to 1.

mod parse;
mod run;

use super::AreaFormat;
use crate::model::fault::Site;
use serde::Deserialize;
use toml::Spanned;

/// The svm area's format (objects, operations, options).
pub static FORMAT: AreaFormat = AreaFormat {
    area: "svm",
    objects: &[
        (
            "mm",
            "vas",
            "the process's mm_struct with `vas` virtual pages va0, va1, .. (exactly one; drm_gpusvm_init)",
        ),
        (
            "device",
            "vram_pages, ttm_vram, name",
            "a GPU (gpu0, gpu1, .. in declaration order) with `vram_pages` pages of device-private memory; `ttm_vram = N` (gpu0, Xe): its VRAM is also a TTM manager of N pages, SVM BOs are TTM BOs evicted through xe_bo_move",
        ),
        (
            "system_page",
            "va, data, lru_batch",
            "a system page mapped at `va` with contents version `data` (default 1), on the LRU or still in actor `lru_batch`'s per-CPU lru_add batch (setup_system_page)",
        ),
        (
            "devmem",
            "name, device, va, data, bo, held",
            "a device allocation of `device` (default gpu0) for the pages `va` (\"va0..va1\", both ends included), every page migrated there and mapped by a device-private entry (setup_device_range); `bo = true`: it is an SVM BO of the TTM backing (xe_bo_create_vram); `held = true`: the driver holds a reference on it (the BO reference TTM holds while it evicts), dropped with `devmem_put`",
        ),
        (
            "alias",
            "from, to",
            "the folio mapped at `from` mapped at `to` too (fork / mremap alias: mapcount 2; setup_alias)",
        ),
        (
            "system_bo",
            "name, pages",
            "a TTM BO of `pages` pages placed in TTM_PL_SYSTEM (needs ttm_vram): what the Xe shrinker shrinks",
        ),
        (
            "xe_shrinker",
            "name, batch, stall_check",
            "the Xe BO shrinker over the TTM backing (xe_shrinker.c; `batch` = shrinker->batch, default 1; `stall_check`: the B25 no-wait-pass check)",
        ),
        ("completion", "name", "a struct completion"),
    ],
    ops: &[
        (
            "cpu_access VA load|store",
            "handle_mm_fault() -> do_swap_page() -> migrate_to_ram()",
            "a CPU load or store from user space: fault until the PTE is present (a device-private entry goes through do_swap_page and the driver's migrate_to_ram: drm_pagemap_migrate_to_ram for Xe, svm_migrate_to_ram for AMD), then check the contents and write a new version",
        ),
        (
            "xe_svm_handle_pagefault GPU RANGE VA [atomic] [sysmem]",
            "xe_svm_handle_pagefault()",
            "a GPU fault of device GPU at VA in the SVM range RANGE (Xe only): migrate the range to VRAM (xe_svm_alloc_vram -> drm_pagemap_migrate_to_devmem) unless `sysmem` (the range prefers system memory), get its pages and bind; `atomic` = devmem_only (3 migration attempts); with the design variant vm-resv-gated-migration the handler holds the VM resv throughout",
        ),
        (
            "hmm_range_fault RANGE",
            "hmm_range_fault()",
            "walk RANGE with no device owner: every page not present is faulted in through handle_mm_fault (device pages come back through do_swap_page); no scheduling point in the loop",
        ),
        (
            "drm_pagemap_migrate_to_devmem GPU RANGE [peer=GPU]",
            "drm_pagemap_migrate_to_devmem()",
            "allocate VRAM of GPU for RANGE and migrate the range there (all or nothing; the allocation is consumed even on error); `peer=gpuN`: device-private pages of gpuN are migrated too (MIGRATE_VMA_SELECT_DEVICE_PRIVATE); without free VRAM the range stays in system memory (AMD: svm_migrate_ram_to_vram's fallback)",
        ),
        (
            "drm_pagemap_evict_to_ram D",
            "drm_pagemap_evict_to_ram()",
            "evict every page of device allocation D to system memory",
        ),
        (
            "ttm_bo_evict D",
            "ttm_bo_evict() -> xe_bo_move() / amdgpu_bo_move()",
            "TTM evicts the SVM BO of D: Xe: dma_resv_lock, ttm_bo_evict -> xe_bo_move -> xe_svm_bo_evict -> drm_pagemap_evict_to_ram, unlock (D needs bo = true); AMD: the eviction fence's worker svm_range_evict_svm_bo_worker (migrate_mutex, 3 passes), then ttm_bo_pipeline_gutting frees the VRAM",
        ),
        (
            "devmem_put D",
            "ttm_bo_put() / svm_range_bo_unref()",
            "drop the driver's reference on D (the one `held = true` took)",
        ),
        (
            "mutex_lock svms.lock|migrate_mutex",
            "mutex_lock()",
            "AMD: take p->svms.lock (outer) or prange->migrate_mutex, as svm_range_restore_pages does",
        ),
        (
            "mutex_unlock svms.lock|migrate_mutex",
            "mutex_unlock()",
            "AMD: release it",
        ),
        (
            "shrink_slab kswapd|direct S ..",
            "shrink_slab()",
            "one reclaim pass (kswapd or direct reclaim, priority 0) over the shrinkers S ..",
        ),
        (
            "wait_until_blocked",
            "(no kernel code)",
            "scenario orchestration: wait until every other actor sleeps in the kernel (on a mutex, a page lock, a migration entry; a wait_for_completion does not count) or has finished, e.g. a GPU fault that holds migrate_mutex long enough for every CPU fault to queue (svm-amd-cpu-fault-3)",
        ),
    ],
    options: &[
        (
            "driver",
            "\"xe\" (default: drm_pagemap / drm_gpusvm, core-mm locking only) or \"amd\" (KFD: svms.lock and migrate_mutex around every migration; the eviction worker)",
        ),
        (
            "preempt",
            "\"full\" (default), \"none\" or \"voluntary\" (CONFIG_PREEMPT_NONE / _VOLUNTARY: per-CPU work such as lru_add_drain_all's runs only when the CPU's task sleeps or passes cond_resched)",
        ),
        (
            "timeslice",
            "drm_gpusvm timeslice in model jiffies after a migration to VRAM (default 0)",
        ),
    ],
    parse: parse::parse,
};

/// Object kinds a file of this area may declare.
pub const OBJECT_KINDS: &[&str] = &[
    "mm",
    "device",
    "system_page",
    "devmem",
    "alias",
    "system_bo",
    "xe_shrinker",
    "completion",
];

crate::options_spec!(OptionsSpec {
    driver: DriverSpec,
    preempt: PreemptSpec,
    timeslice: u64,
});

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum DriverSpec {
    #[default]
    Xe,
    Amd,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum PreemptSpec {
    #[default]
    Full,
    None,
    Voluntary,
}

/// `[[object]]` of the svm area: `kind` says which of the fields apply.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectSpec {
    kind: Spanned<String>,
    name: Option<Spanned<String>>,
    vas: Option<Spanned<usize>>,
    vram_pages: Option<Spanned<usize>>,
    ttm_vram: Option<Spanned<u64>>,
    va: Option<Spanned<String>>,
    data: Option<Spanned<u64>>,
    lru_batch: Option<Spanned<String>>,
    device: Option<Spanned<String>>,
    bo: Option<Spanned<bool>>,
    held: Option<Spanned<bool>>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    pages: Option<Spanned<u64>>,
    batch: Option<Spanned<u64>>,
    stall_check: Option<Spanned<bool>>,
}

impl ObjectSpec {
    /// The fields present (besides `kind`), with their spans.
    fn present(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut v = Vec::new();
        macro_rules! field {
            ($($f:ident),*) => {$(
                if let Some(x) = &self.$f {
                    v.push((stringify!($f), x.span()));
                }
            )*};
        }
        field!(
            name,
            vas,
            vram_pages,
            ttm_vram,
            va,
            data,
            lru_batch,
            device,
            bo,
            held,
            from,
            to,
            pages,
            batch,
            stall_check
        );
        v
    }
}

/// A set-up step (declaration order) or a named run-time object.
#[derive(Clone, Debug)]
enum Setup {
    SystemPage {
        va: usize,
        data: u64,
        batch: Option<u16>,
    },
    Devmem {
        dev: usize,
        start: usize,
        n: usize,
        data: u64,
        bo: bool,
        held: bool,
    },
    Alias {
        from: usize,
        to: usize,
    },
    SystemBo {
        name: String,
        pages: u64,
    },
    Shrinker {
        batch: u64,
        stall_check: bool,
    },
    Completion,
    /// mm / device: configuration, nothing to set up.
    Config,
}

/// The AMD KFD mutexes an actor may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lock {
    Svms,
    Migrate,
}

impl Lock {
    fn name(self) -> &'static str {
        match self {
            Lock::Svms => "svms.lock",
            Lock::Migrate => "migrate_mutex",
        }
    }
}

/// A compiled operation; object operands are indexes into the file's objects.
#[derive(Clone, Debug)]
enum Op {
    CpuAccess {
        va: usize,
        write: bool,
    },
    XeFault {
        dev: usize,
        start: usize,
        n: usize,
        va: usize,
        atomic: bool,
        prefer_vram: bool,
    },
    HmmRangeFault {
        start: usize,
        n: usize,
    },
    MigrateToDevmem {
        dev: usize,
        start: usize,
        n: usize,
        peer: Option<usize>,
    },
    EvictToRam(usize),
    TtmEvict(usize),
    DevmemPut(usize),
    MutexLock(Lock),
    MutexUnlock(Lock),
    ShrinkSlab {
        kswapd: bool,
        shrinkers: Vec<usize>,
    },
    WaitUntilBlocked,
    Complete(usize),
    WaitForCompletion(usize),
    Fail(Site, i32),
    Yield,
}

type Actor = super::Actor<Op>;

#[cfg(test)]
mod tests;
