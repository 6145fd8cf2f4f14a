//! Parsing an svm-area file: the configuration objects first (mm, devices), then the
//! set-up objects in declaration order, then every actor's operations.

use super::{
    Actor, DriverSpec, FORMAT, Lock, OBJECT_KINDS, ObjectSpec, Op, OptionsSpec, PreemptSpec, Setup,
};
use crate::model::sync::Arc;
use crate::scenario::file::{self, FileScenario, FileSpec, OpWords, Source};
use crate::svm::{Driver, SvmConfig};
use toml::Spanned;

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
pub(super) fn parse(src: &Source) -> Result<FileScenario, String> {
    let spec: FileSpec<OptionsSpec, ObjectSpec> = file::deserialize(src)?;
    let frame = file::frame(src, &spec)?;
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
        file::check_object_name(src, n, objects.iter().filter_map(|(n, _)| n.clone()))?;
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
    let actors = file::actors(src, &spec.actors, |op| parse_op(op, &ctx))?;
    // The reference `held = true` takes is dropped at most once.
    let mut put = vec![false; objects.len()];
    for (a, s) in actors.iter().zip(&spec.actors) {
        check_locks(src, a, s)?;
        for (op, text) in a.ops.iter().zip(&s.ops) {
            if let Op::DevmemPut(d) = op {
                if put[*d] || a.repeat > 1 {
                    return Err(src.at(
                        text,
                        "the reference held = true took is dropped twice (devmem_put once, in an actor that runs once)",
                    ));
                }
                put[*d] = true;
            }
        }
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
        super::run::body(Arc::new(objects), Arc::new(actors)),
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
fn check_locks(src: &Source, a: &Actor, spec: &file::ActorSpec) -> Result<(), String> {
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
            let (site, errno) = file::parse_fail(&w)?;
            Op::Fail(site, errno)
        }
        _ => return Err(w.unknown(&FORMAT)),
    })
}
