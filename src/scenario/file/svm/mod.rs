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

mod run;

use super::{AreaFormat, FileScenario, FileSpec, OpWords, Source};
use crate::model::fault::Site;
use crate::model::sync::Arc;
use crate::svm::{Driver, SvmConfig};
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
    parse,
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

/// What the op parser needs to know about the file.
struct Ctx<'a> {
    vas: usize,
    devices: usize,
    driver: Driver,
    ttm: bool,
    /// (name, set-up) of the named objects, by object index.
    objects: &'a [(Option<String>, Setup)],
}

/// `vaN` with N below the mm's page count.
fn parse_va(s: &str, vas: usize) -> Result<usize, String> {
    let n: usize = s
        .strip_prefix("va")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("'{s}': expected a virtual page va0..va{}", vas.max(1) - 1))?;
    if n >= vas {
        return Err(format!(
            "'{s}': the mm has {vas} virtual page(s), va0..va{}",
            vas.max(1) - 1
        ));
    }
    Ok(n)
}

/// `vaS..vaE` (both ends included) or `vaN`: (start, pages).
fn parse_range(s: &str, vas: usize) -> Result<(usize, usize), String> {
    match s.split_once("..") {
        None => Ok((parse_va(s, vas)?, 1)),
        Some((a, b)) => {
            let (a, b) = (parse_va(a, vas)?, parse_va(b, vas)?);
            if b < a {
                return Err(format!("'{s}': the range ends before it starts"));
            }
            Ok((a, b - a + 1))
        }
    }
}

/// `gpuN` with N below the device count.
fn parse_gpu(s: &str, devices: usize) -> Result<usize, String> {
    let n: usize = s
        .strip_prefix("gpu")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("'{s}': expected a device gpu0..gpu{}", devices.max(1) - 1))?;
    if n >= devices {
        return Err(format!(
            "'{s}': the file declares {devices} device(s), gpu0..gpu{}",
            devices.max(1) - 1
        ));
    }
    Ok(n)
}

/// Parse a file of the svm area.
fn parse(src: &Source) -> Result<FileScenario, String> {
    let spec: FileSpec<OptionsSpec, ObjectSpec> = super::deserialize(src)?;
    let frame = super::frame(src, &spec)?;
    let driver = match spec.options.driver {
        DriverSpec::Xe => Driver::Xe,
        DriverSpec::Amd => Driver::Amd,
    };

    // Configuration first (mm, devices), whatever the declaration order.
    let mut vas = None;
    let mut devices = 0usize;
    let mut vram_pages: Option<usize> = None;
    let mut ttm_vram: Option<u64> = None;
    for o in &spec.objects {
        match o.kind.get_ref().as_str() {
            "mm" => {
                check_fields(src, o, &["vas"])?;
                if vas.is_some() {
                    return Err(src.at(&o.kind, "a second mm: a file has exactly one"));
                }
                let v = o
                    .vas
                    .as_ref()
                    .ok_or_else(|| src.at(&o.kind, "mm without vas: expected vas = N"))?;
                if *v.get_ref() == 0 {
                    return Err(src.at(v, "vas = 0: expected at least 1 virtual page"));
                }
                vas = Some(*v.get_ref());
            }
            "device" => {
                check_fields(src, o, &["name", "vram_pages", "ttm_vram"])?;
                if let Some(n) = &o.name
                    && n.get_ref() != &format!("gpu{devices}")
                {
                    return Err(src.at(
                        n,
                        &format!(
                            "device '{}': devices are gpu0, gpu1, .. in declaration order (expected gpu{devices})",
                            n.get_ref()
                        ),
                    ));
                }
                let v = o.vram_pages.as_ref().ok_or_else(|| {
                    src.at(
                        &o.kind,
                        "device without vram_pages: expected vram_pages = N",
                    )
                })?;
                if vram_pages.is_some_and(|p| p != *v.get_ref()) {
                    return Err(src.at(
                        v,
                        "every device has the same vram_pages (SvmConfig::vram_pages)",
                    ));
                }
                vram_pages = Some(*v.get_ref());
                if let Some(t) = &o.ttm_vram {
                    if devices != 0 {
                        return Err(src.at(t, "ttm_vram: only gpu0's VRAM is a TTM manager"));
                    }
                    if driver == Driver::Amd {
                        return Err(src.at(
                            t,
                            "ttm_vram: the AMD svm_bo is modelled without a TTM BO (driver = \"xe\" only)",
                        ));
                    }
                    ttm_vram = Some(*t.get_ref());
                }
                devices += 1;
            }
            _ => {}
        }
    }
    let vas =
        vas.ok_or_else(|| src.err(None, "no mm: expected an [[object]] kind = \"mm\", vas = N"))?;
    if devices == 0 {
        return Err(src.err(
            None,
            "no device: expected an [[object]] kind = \"device\", vram_pages = N",
        ));
    }
    let vram_pages = vram_pages.unwrap_or(0);

    let actor_names: Vec<String> = spec
        .actors
        .iter()
        .enumerate()
        .map(|(i, a)| a.name.clone().unwrap_or_else(|| format!("actor{}", i + 1)))
        .collect();
    let mut objects: Vec<(Option<String>, Setup)> = Vec::new();
    // What is mapped where so far (set-up order), and VRAM used per device / TTM.
    let mut mapped = vec![false; vas];
    let mut vram_used = vec![0usize; devices];
    let mut ttm_used = 0u64;
    let named = |o: &ObjectSpec, objects: &[(Option<String>, Setup)]| {
        let n = o
            .name
            .as_ref()
            .ok_or_else(|| src.at(&o.kind, &format!("a {} needs a name", o.kind.get_ref())))?;
        super::check_object_name(src, n, objects.iter().filter_map(|(n, _)| n.clone()))?;
        Ok::<_, String>(n.get_ref().clone())
    };
    let need_ttm = |o: &ObjectSpec| {
        if ttm_vram.is_none() {
            Err(src.at(
                &o.kind,
                &format!(
                    "a {} needs the TTM backing: ttm_vram = N on gpu0",
                    o.kind.get_ref()
                ),
            ))
        } else {
            Ok(())
        }
    };
    for o in &spec.objects {
        let kind = o.kind.get_ref().as_str();
        let (name, setup) = match kind {
            "mm" | "device" => (None, Setup::Config),
            "system_page" => {
                check_fields(src, o, &["va", "data", "lru_batch"])?;
                let va = map_va(src, o, &o.va, vas, &mut mapped)?;
                let batch = match &o.lru_batch {
                    None => None,
                    Some(b) => {
                        let i = actor_names
                            .iter()
                            .position(|a| a == b.get_ref())
                            .ok_or_else(|| {
                                src.at(
                                    b,
                                    &format!(
                                        "lru_batch = '{}': expected the name of an actor (its CPU's batch): {}",
                                        b.get_ref(),
                                        actor_names.join(", ")
                                    ),
                                )
                            })?;
                        Some(i as u16 + 1)
                    }
                };
                (
                    None,
                    Setup::SystemPage {
                        va,
                        data: data(o),
                        batch,
                    },
                )
            }
            "devmem" => {
                check_fields(src, o, &["name", "device", "va", "data", "bo", "held"])?;
                let name = named(o, &objects)?;
                let dev = match &o.device {
                    None => 0,
                    Some(d) => parse_gpu(d.get_ref(), devices).map_err(|e| src.at(d, &e))?,
                };
                let r = o.va.as_ref().ok_or_else(|| {
                    src.at(&o.kind, "devmem without va: expected va = \"vaS..vaE\"")
                })?;
                let (start, n) = parse_range(r.get_ref(), vas).map_err(|e| src.at(r, &e))?;
                for (va, m) in mapped.iter_mut().enumerate().skip(start).take(n) {
                    if *m {
                        return Err(src.at(r, &format!("va{va} is already mapped")));
                    }
                    *m = true;
                }
                vram_used[dev] += n;
                if vram_used[dev] > vram_pages {
                    return Err(src.at(
                        r,
                        &format!("gpu{dev} has {vram_pages} VRAM page(s): the device allocations need {}", vram_used[dev]),
                    ));
                }
                let bo = o.bo.as_ref().is_some_and(|b| *b.get_ref());
                let held = o.held.as_ref().is_some_and(|b| *b.get_ref());
                if bo {
                    need_ttm(o)?;
                    if dev != 0 {
                        return Err(
                            src.at(&o.kind, "bo = true: SVM BOs are gpu0's (the TTM backing)")
                        );
                    }
                    if held {
                        return Err(src.at(
                            &o.kind,
                            "held = true on an SVM BO: the BO reference is TTM's (its deferred put runs at the end)",
                        ));
                    }
                    ttm_used += n as u64;
                    if ttm_used > ttm_vram.unwrap_or(0) {
                        return Err(src.at(r, "the SVM BOs do not fit into ttm_vram"));
                    }
                }
                (
                    Some(name),
                    Setup::Devmem {
                        dev,
                        start,
                        n,
                        data: data(o),
                        bo,
                        held,
                    },
                )
            }
            "alias" => {
                check_fields(src, o, &["from", "to"])?;
                let from = o.from.as_ref().ok_or_else(|| {
                    src.at(&o.kind, "alias without from: expected from = \"vaN\"")
                })?;
                let f = parse_va(from.get_ref(), vas).map_err(|e| src.at(from, &e))?;
                if !mapped[f] {
                    return Err(src.at(
                        from,
                        &format!("va{f} is not mapped (yet): declare its page before the alias"),
                    ));
                }
                let to = map_va(src, o, &o.to, vas, &mut mapped)?;
                (None, Setup::Alias { from: f, to })
            }
            "system_bo" => {
                check_fields(src, o, &["name", "pages"])?;
                need_ttm(o)?;
                let name = named(o, &objects)?;
                let pages = o.pages.as_ref().map_or(1, |p| *p.get_ref());
                (Some(name.clone()), Setup::SystemBo { name, pages })
            }
            "xe_shrinker" => {
                check_fields(src, o, &["name", "batch", "stall_check"])?;
                need_ttm(o)?;
                let name = named(o, &objects)?;
                (
                    Some(name),
                    Setup::Shrinker {
                        batch: o.batch.as_ref().map_or(1, |b| *b.get_ref()),
                        stall_check: o.stall_check.as_ref().is_some_and(|b| *b.get_ref()),
                    },
                )
            }
            "completion" => {
                check_fields(src, o, &["name"])?;
                (Some(named(o, &objects)?), Setup::Completion)
            }
            other => {
                return Err(src.at(
                    &o.kind,
                    &format!(
                        "unknown object kind '{other}': expected one of {}",
                        OBJECT_KINDS.join(", ")
                    ),
                ));
            }
        };
        objects.push((name, setup));
    }

    let ctx = Ctx {
        vas,
        devices,
        driver,
        ttm: ttm_vram.is_some(),
        objects: &objects,
    };
    let actors = super::actors(src, &spec.actors, |op| parse_op(op, &ctx))?;
    for (a, s) in actors.iter().zip(&spec.actors) {
        check_locks(src, a, s)?;
    }

    let cfg = SvmConfig {
        vas,
        devices,
        vram_pages,
        driver,
        preempt_none: spec.options.preempt != PreemptSpec::Full,
        timeslice: spec.options.timeslice,
    };
    let tasks = actors.len() + 1;
    let sc = crate::scenario::svm::svm_scenario(
        &frame.name,
        &frame.description,
        tasks,
        cfg,
        ttm_vram,
        run::body(Arc::new(objects), Arc::new(actors)),
    );
    Ok(frame.finish(src, sc, "svm"))
}

fn data(o: &ObjectSpec) -> u64 {
    o.data.as_ref().map_or(1, |d| *d.get_ref())
}

/// The page `va` of a page object, checked unmapped, then marked mapped.
fn map_va(
    src: &Source,
    o: &ObjectSpec,
    va: &Option<Spanned<String>>,
    vas: usize,
    mapped: &mut [bool],
) -> Result<usize, String> {
    let v = va.as_ref().ok_or_else(|| {
        src.at(
            &o.kind,
            &format!(
                "a {} needs its virtual page: va = \"vaN\"",
                o.kind.get_ref()
            ),
        )
    })?;
    let n = parse_va(v.get_ref(), vas).map_err(|e| src.at(v, &e))?;
    if mapped[n] {
        return Err(src.at(v, &format!("va{n} is already mapped")));
    }
    mapped[n] = true;
    Ok(n)
}

/// Only the fields of the object's kind.
fn check_fields(src: &Source, o: &ObjectSpec, allowed: &[&str]) -> Result<(), String> {
    for (f, span) in o.present() {
        if !allowed.contains(&f) {
            return Err(src.err(
                Some(span),
                &format!(
                    "field `{f}` does not apply to a {} (its fields: {})",
                    o.kind.get_ref(),
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// Every `mutex_unlock` matches a `mutex_lock` of the same actor, and each pass of an
/// actor ends with its mutexes released.
fn check_locks(src: &Source, a: &Actor, spec: &super::ActorSpec) -> Result<(), String> {
    let mut held: Vec<Lock> = Vec::new();
    for (op, text) in a.ops.iter().zip(&spec.ops) {
        match op {
            Op::MutexLock(l) => {
                if held.contains(l) {
                    return Err(src.at(
                        text,
                        &format!(
                            "{} takes {} twice (it would deadlock on itself)",
                            a.name,
                            l.name()
                        ),
                    ));
                }
                held.push(*l);
            }
            Op::MutexUnlock(l) => {
                if !held.contains(l) {
                    return Err(src.at(
                        text,
                        &format!("{} releases {} without holding it", a.name, l.name()),
                    ));
                }
                held.retain(|h| h != l);
            }
            _ => {}
        }
    }
    if let Some(l) = held.first() {
        return Err(src.err(
            spec.ops.last().map(|o| o.span()),
            &format!(
                "{} ends holding {}: expected a mutex_unlock",
                a.name,
                l.name()
            ),
        ));
    }
    Ok(())
}

fn parse_op(op: &str, ctx: &Ctx) -> Result<Op, String> {
    let w = OpWords::new(op);
    let (verb, args) = (w.verb, &w.args);
    let find = |name: &str, what: &str, ok: &dyn Fn(&Setup) -> bool| -> Result<usize, String> {
        let i = ctx
            .objects
            .iter()
            .position(|(n, _)| n.as_deref() == Some(name))
            .ok_or_else(|| {
                format!(
                    "'{op}': unknown object '{name}' (declared: {})",
                    ctx.objects
                        .iter()
                        .filter_map(|(n, _)| n.as_deref())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        if !ok(&ctx.objects[i].1) {
            return Err(format!("'{op}': object '{name}' is not {what}"));
        }
        Ok(i)
    };
    let devmem = |name: &str| find(name, "a devmem", &|s| matches!(s, Setup::Devmem { .. }));
    let va = |s: &str| parse_va(s, ctx.vas).map_err(|e| format!("'{op}': {e}"));
    let range = |s: &str| parse_range(s, ctx.vas).map_err(|e| format!("'{op}': {e}"));
    let gpu = |s: &str| parse_gpu(s, ctx.devices).map_err(|e| format!("'{op}': {e}"));
    let amd_only = || {
        if ctx.driver == Driver::Amd {
            Ok(())
        } else {
            Err(format!(
                "'{op}': {verb} is an AMD KFD operation: expected [options] driver = \"amd\""
            ))
        }
    };
    let lock = |s: &str| match s {
        "svms.lock" => Ok(Lock::Svms),
        "migrate_mutex" => Ok(Lock::Migrate),
        _ => Err(format!(
            "'{op}': unknown mutex '{s}': expected svms.lock or migrate_mutex"
        )),
    };
    Ok(match verb {
        "cpu_access" => {
            w.arity(2)?;
            let write = match args[1] {
                "store" => true,
                "load" => false,
                other => return Err(format!("'{op}': '{other}': expected load or store")),
            };
            Op::CpuAccess {
                va: va(args[0])?,
                write,
            }
        }
        "xe_svm_handle_pagefault" => {
            if ctx.driver != Driver::Xe {
                return Err(format!(
                    "'{op}': the Xe GPU fault handler under driver = \"amd\": write the AMD fault out (mutex_lock svms.lock, drm_pagemap_migrate_to_devmem, ..)"
                ));
            }
            if args.len() < 3 {
                return Err(format!(
                    "'{op}': expected xe_svm_handle_pagefault GPU RANGE VA [atomic] [sysmem]"
                ));
            }
            let (start, n) = range(args[1])?;
            let at = va(args[2])?;
            if !(start..start + n).contains(&at) {
                return Err(format!("'{op}': va{at} is outside the range {}", args[1]));
            }
            let (mut atomic, mut prefer_vram) = (false, true);
            for f in &args[3..] {
                match *f {
                    "atomic" => atomic = true,
                    "sysmem" => prefer_vram = false,
                    other => {
                        return Err(format!(
                            "'{op}': unknown flag '{other}': expected atomic or sysmem"
                        ));
                    }
                }
            }
            Op::XeFault {
                dev: gpu(args[0])?,
                start,
                n,
                va: at,
                atomic,
                prefer_vram,
            }
        }
        "hmm_range_fault" => {
            w.arity(1)?;
            let (start, n) = range(args[0])?;
            Op::HmmRangeFault { start, n }
        }
        "drm_pagemap_migrate_to_devmem" => {
            w.arity_between(2, 3)?;
            let dev = gpu(args[0])?;
            let (start, n) = range(args[1])?;
            let peer = match args.get(2) {
                None => None,
                Some(p) => {
                    let g = p
                        .strip_prefix("peer=")
                        .ok_or_else(|| format!("'{op}': '{p}': expected peer=gpuN"))?;
                    Some(gpu(g)?)
                }
            };
            Op::MigrateToDevmem {
                dev,
                start,
                n,
                peer,
            }
        }
        "drm_pagemap_evict_to_ram" => {
            w.arity(1)?;
            Op::EvictToRam(devmem(args[0])?)
        }
        "ttm_bo_evict" => {
            w.arity(1)?;
            let d = devmem(args[0])?;
            if ctx.driver == Driver::Xe
                && !matches!(ctx.objects[d].1, Setup::Devmem { bo: true, .. })
            {
                return Err(format!(
                    "'{op}': Xe: '{}' is not an SVM BO (bo = true, with ttm_vram on gpu0)",
                    args[0]
                ));
            }
            Op::TtmEvict(d)
        }
        "devmem_put" => {
            w.arity(1)?;
            let d = devmem(args[0])?;
            if !matches!(ctx.objects[d].1, Setup::Devmem { held: true, .. }) {
                return Err(format!(
                    "'{op}': nobody holds a reference on '{}' to drop (held = true)",
                    args[0]
                ));
            }
            Op::DevmemPut(d)
        }
        "mutex_lock" | "mutex_unlock" => {
            w.arity(1)?;
            amd_only()?;
            let l = lock(args[0])?;
            if verb == "mutex_lock" {
                Op::MutexLock(l)
            } else {
                Op::MutexUnlock(l)
            }
        }
        "shrink_slab" => {
            if args.len() < 2 {
                return Err(format!(
                    "'{op}': expected shrink_slab kswapd|direct SHRINKER .."
                ));
            }
            if !ctx.ttm {
                return Err(format!(
                    "'{op}': shrink_slab needs the TTM backing (ttm_vram)"
                ));
            }
            let kswapd = match args[0] {
                "kswapd" => true,
                "direct" => false,
                other => {
                    return Err(format!("'{op}': '{other}': expected kswapd or direct"));
                }
            };
            let shrinkers = args[1..]
                .iter()
                .map(|s| {
                    find(s, "an xe_shrinker", &|x| {
                        matches!(x, Setup::Shrinker { .. })
                    })
                })
                .collect::<Result<_, _>>()?;
            Op::ShrinkSlab { kswapd, shrinkers }
        }
        "wait_until_blocked" => w.arity(0).map(|_| Op::WaitUntilBlocked)?,
        "yield" => w.arity(0).map(|_| Op::Yield)?,
        "complete" | "wait_for_completion" => {
            w.arity(1)?;
            let c = find(args[0], "a completion", &|s| matches!(s, Setup::Completion))?;
            if verb == "complete" {
                Op::Complete(c)
            } else {
                Op::WaitForCompletion(c)
            }
        }
        "fail" => {
            let (site, errno) = super::parse_fail(&w)?;
            Op::Fail(site, errno)
        }
        _ => return Err(w.unknown(&FORMAT)),
    })
}

#[cfg(test)]
mod tests;
