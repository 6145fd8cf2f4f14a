//! The `ttm` area of scenario files: a TTM device with its managers, VMs (a shared resv
//! plus a bulk move), buffer objects, shrinkers, completions and driver mutexes, and the
//! operations the built-in TTM scenarios run (src/scenario/ttm.rs, ttm_more.rs,
//! ttm_warn.rs), under the kernel's names.
//!
//! ```toml
//! name = "b19-hitch-carried"
//! area = "ttm"
//! [[object]]
//! kind = "device"          # optional: vram_pages = 8, tt_pages (unlimited), tt = "xe"
//! vram_pages = 8
//! [[object]]
//! kind = "vm"
//! name = "VM"
//! [[object]]
//! kind = "bo"
//! name = "A0"
//! mem = "vram"             # system | tt | vram
//! vm = "VM"                # shares VM's resv and joins its bulk move
//! [[actor]]
//! name = "walker"
//! ops = ["ttm_lru_walk_for_evict VRAM skip"]
//! [[actor]]
//! ops = ["vm_exec VM"]
//! ```
//!
//! Set-up runs on `cpu0` before the actors start, as the built-in scenarios do: every BO
//! is created with kref 1 and placed with written contents (`TtmDevice::setup_place`, no
//! fault sites), pinned, joined to its VM's bulk move and marked busy as declared; the
//! shrinkers are registered after the BOs (a GEM-LRU shrinker puts every BO with a tt on
//! its LRU). Every actor is a CPU of its own; `cpu0` joins them all and then runs the
//! end-of-scenario checks of `World::quiesce` (delayed deletes flushed, page ledger, no
//! leaked resource, nothing reserved) unless `[options] quiesce = false`.
//!
//! Results: an operation that can fail must return 0 unless a failure was injected into
//! its CPU (`fail SITE ERRNO`, `[options] inject`), else the run fails with
//! `expectation`; a trailing `any` accepts every result. `ttm_bo_validate` with the
//! actor's ticket open is `ttm_bo_validate_exhaustive` instead: the oldest ticket must not
//! fail while enough memory is evictable (`eviction-exhaustive`), other results are the
//! driver's to handle.

use super::{FileScenario, FileSpec, OpWords, Source};

/// The run time (one execution's objects and the operations' bodies).
#[path = "ttm_ops.rs"]
mod ops;
/// The table of objects, operations and options (`list --formats`).
#[path = "ttm_table.rs"]
mod table;
use crate::model::Options;
use crate::model::fault::Site;
use crate::model::sync::Arc;
use crate::walker::designs::ShrinkDesign;
use crate::walker::{MemType, TTM_MAX_BO_PRIORITY, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM, TtKind};
use serde::Deserialize;
use toml::Spanned;

pub use table::FORMAT;

/// Object kinds a file of this area may declare.
pub const OBJECT_KINDS: &[&str] = &["device", "vm", "bo", "shrinker", "completion", "mutex"];

crate::options_spec!(OptionsSpec {
    quiesce: Option<bool>,
});

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectSpec {
    kind: Spanned<String>,
    name: Option<Spanned<String>>,
    // device
    vram_pages: Option<u64>,
    tt_pages: Option<u64>,
    // bo (tt also device)
    mem: Option<Spanned<String>>,
    pages: Option<u64>,
    priority: Option<Spanned<usize>>,
    vm: Option<Spanned<String>>,
    bulk: Option<bool>,
    pinned: Option<bool>,
    busy: Option<bool>,
    tt: Option<Spanned<String>>,
    populated: Option<bool>,
    // shrinker
    #[serde(rename = "type")]
    ty: Option<Spanned<String>>,
    batch: Option<u64>,
    stall_check: Option<bool>,
    scan: Option<Spanned<String>>,
    mutex: Option<Spanned<String>>,
}

/// The device's set-up.
#[derive(Clone, Debug)]
pub(crate) struct DeviceDef {
    pub vram_pages: u64,
    pub tt_pages: Option<u64>,
    pub tt: TtKind,
}

/// A BO's set-up.
#[derive(Clone, Debug)]
pub(crate) struct BoDef {
    pub mem: MemType,
    pub pages: u64,
    pub priority: usize,
    /// Object index of its VM.
    pub vm: Option<usize>,
    pub bulk: bool,
    pub pinned: bool,
    pub busy: bool,
    pub tt: Option<TtKind>,
    pub populated: bool,
}

/// A driver-defined shrinker's scan_objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DriverScan {
    Blocks,
    Mutex(usize),
    NoProgress,
    Overreports,
    WwTicket,
    DrmExec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShrinkerDef {
    Xe { batch: u64, stall_check: bool },
    TtmWalk,
    Design(ShrinkDesign),
    Driver(DriverScan),
}

/// Kinds of objects (operands are checked against them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Vm,
    Bo,
    Shrinker,
    Completion,
    Mutex,
}

#[derive(Clone, Debug)]
pub(crate) enum ObjDef {
    Vm,
    Bo(BoDef),
    Shrinker(ShrinkerDef),
    Completion,
    Mutex,
}

impl ObjDef {
    fn kind(&self) -> Kind {
        match self {
            ObjDef::Vm => Kind::Vm,
            ObjDef::Bo(_) => Kind::Bo,
            ObjDef::Shrinker(_) => Kind::Shrinker,
            ObjDef::Completion => Kind::Completion,
            ObjDef::Mutex => Kind::Mutex,
        }
    }
}

/// A declared object: its name (leaked once per load: lockdep classes and shrinker
/// names are `&'static str`) and its definition.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub name: &'static str,
    pub def: ObjDef,
}

/// What process_bo does in a `ttm_lru_walk_for_evict` op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Behaviour {
    Skip,
    Evict,
    Shrink,
    Fail,
    FailAndBump,
    UnlockInCallback,
}

const BEHAVIOURS: &[(&str, Behaviour)] = &[
    ("skip", Behaviour::Skip),
    ("evict", Behaviour::Evict),
    ("shrink", Behaviour::Shrink),
    ("fail", Behaviour::Fail),
    ("fail-and-bump", Behaviour::FailAndBump),
    ("unlock-in-callback", Behaviour::UnlockInCallback),
];

/// Whether an operation's result is checked (0 unless injected) or accepted (`any`).
pub(crate) type Checked = bool;

/// A compiled operation; object operands are indexes into the file's objects.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    AcquireInit,
    AcquireFini,
    ResvLock(usize, Checked),
    ResvUnlock(usize),
    Reserve(usize, Checked),
    Unreserve(usize),
    Validate(usize, MemType, Checked),
    Pin(usize),
    Unpin(usize),
    SetBulkMove(usize, Option<usize>),
    Put(usize),
    BoPopulate(usize, Checked),
    TtPopulate(usize, Checked),
    TtUnpopulate(usize),
    BulkMoveTail(usize),
    BulkMoveFini(usize),
    AmdgpuVmPtFree(usize),
    VmExec(usize),
    ExecSubmit(usize, usize, bool),
    DrmExecLock(Vec<usize>),
    Walk(MemType, Behaviour, i64),
    DeviceSwapout(Checked),
    PrepareHibernation(Checked),
    EvictAll(MemType, Checked),
    ShrinkSlab(bool, Vec<usize>),
    MoveAccelCleanup(usize, MemType),
    DelayedDelete,
    AddFence(usize),
    SignalFence(usize),
    MutexLock(usize),
    MutexUnlock(usize),
    GemPut(usize),
    CheckSwapped(Vec<usize>),
    Complete(usize),
    WaitForCompletion(usize),
    Fail(Site, i32),
    Yield,
}

pub(crate) type Actor = super::Actor<Op>;

/// Everything one execution builds its world from.
#[derive(Debug)]
pub(crate) struct Setup {
    pub device: DeviceDef,
    pub objects: Vec<Object>,
    pub actors: Vec<Actor>,
    pub quiesce: bool,
}

/// `system`, `tt`, `vram` (any case, `TTM_PL_` prefix allowed).
fn mem_type(s: &str) -> Option<MemType> {
    let l = s.to_ascii_lowercase();
    match l.strip_prefix("ttm_pl_").unwrap_or(&l) {
        "system" => Some(TTM_PL_SYSTEM),
        "tt" => Some(TTM_PL_TT),
        "vram" => Some(TTM_PL_VRAM),
        _ => None,
    }
}

fn tt_kind(src: &Source, s: &Spanned<String>) -> Result<TtKind, String> {
    match s.get_ref().as_str() {
        "xe" => Ok(TtKind::Xe),
        "plain" => Ok(TtKind::Plain),
        "xe-imported-sg" => Ok(TtKind::XeImportedSg),
        other => Err(src.at(
            s,
            &format!("unknown tt kind '{other}': expected xe, plain or xe-imported-sg"),
        )),
    }
}

/// The fields a kind may have (besides kind and name).
fn allowed_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "device" => &["vram_pages", "tt_pages", "tt"],
        "bo" => &[
            "mem",
            "pages",
            "priority",
            "vm",
            "bulk",
            "pinned",
            "busy",
            "tt",
            "populated",
        ],
        "shrinker" => &["type", "batch", "stall_check", "scan", "mutex"],
        _ => &[],
    }
}

impl ObjectSpec {
    /// The names of the optional fields this object sets.
    fn set_fields(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut f = |set: bool, n: &'static str| {
            if set {
                v.push(n)
            }
        };
        f(self.vram_pages.is_some(), "vram_pages");
        f(self.tt_pages.is_some(), "tt_pages");
        f(self.mem.is_some(), "mem");
        f(self.pages.is_some(), "pages");
        f(self.priority.is_some(), "priority");
        f(self.vm.is_some(), "vm");
        f(self.bulk.is_some(), "bulk");
        f(self.pinned.is_some(), "pinned");
        f(self.busy.is_some(), "busy");
        f(self.tt.is_some(), "tt");
        f(self.populated.is_some(), "populated");
        f(self.ty.is_some(), "type");
        f(self.batch.is_some(), "batch");
        f(self.stall_check.is_some(), "stall_check");
        f(self.scan.is_some(), "scan");
        f(self.mutex.is_some(), "mutex");
        v
    }
}

/// Parse a file of the ttm area.
fn parse(src: &Source) -> Result<FileScenario, String> {
    let spec: FileSpec<OptionsSpec, ObjectSpec> = super::deserialize(src)?;
    let frame = super::frame(src, &spec)?;

    let mut device: Option<DeviceDef> = None;
    let mut objects: Vec<Object> = Vec::new();
    for o in &spec.objects {
        let kind = o.kind.get_ref().as_str();
        if !OBJECT_KINDS.contains(&kind) {
            return Err(src.at(
                &o.kind,
                &format!(
                    "unknown object kind '{kind}': expected one of {}",
                    OBJECT_KINDS.join(", ")
                ),
            ));
        }
        if let Some(bad) = o
            .set_fields()
            .into_iter()
            .find(|f| !allowed_fields(kind).contains(f))
        {
            return Err(src.at(
                &o.kind,
                &format!(
                    "field `{bad}` does not apply to a {kind} (its fields: {})",
                    if allowed_fields(kind).is_empty() {
                        "name".to_string()
                    } else {
                        allowed_fields(kind).join(", ")
                    }
                ),
            ));
        }
        if kind == "device" {
            if device.is_some() {
                return Err(src.at(&o.kind, "a second device: expected at most one"));
            }
            if let Some(n) = &o.name {
                return Err(src.at(n, "a device has no name"));
            }
            device = Some(DeviceDef {
                vram_pages: o.vram_pages.unwrap_or(8),
                tt_pages: o.tt_pages,
                tt: o
                    .tt
                    .as_ref()
                    .map(|t| tt_kind(src, t))
                    .transpose()?
                    .unwrap_or_default(),
            });
            continue;
        }
        let name = o
            .name
            .as_ref()
            .ok_or_else(|| src.at(&o.kind, &format!("a {kind} needs a name")))?;
        super::check_object_name(src, name, objects.iter().map(|x| x.name.to_string()))?;
        let lookup = |n: &Spanned<String>, want: Kind| -> Result<usize, String> {
            objects
                .iter()
                .position(|x| x.name == n.get_ref() && x.def.kind() == want)
                .ok_or_else(|| {
                    src.at(
                        n,
                        &format!(
                            "no {} '{}' declared before this object",
                            format!("{want:?}").to_lowercase(),
                            n.get_ref()
                        ),
                    )
                })
        };
        let def = match kind {
            "vm" => ObjDef::Vm,
            "completion" => ObjDef::Completion,
            "mutex" => ObjDef::Mutex,
            "bo" => {
                let mem_s = o.mem.as_ref().ok_or_else(|| {
                    src.at(name, "a bo needs mem = \"system\", \"tt\" or \"vram\"")
                })?;
                let mem = mem_type(mem_s.get_ref()).ok_or_else(|| {
                    src.at(
                        mem_s,
                        &format!(
                            "unknown placement '{}': expected system, tt or vram",
                            mem_s.get_ref()
                        ),
                    )
                })?;
                let vm = o.vm.as_ref().map(|v| lookup(v, Kind::Vm)).transpose()?;
                if o.bulk == Some(true) && vm.is_none() {
                    return Err(src.at(name, "bulk = true needs vm = \"...\""));
                }
                let priority = o.priority.as_ref().map_or(0, |p| *p.get_ref());
                if priority >= TTM_MAX_BO_PRIORITY {
                    let p = o.priority.as_ref().expect("set");
                    return Err(src.at(
                        p,
                        &format!("priority {priority}: expected 0..{TTM_MAX_BO_PRIORITY}"),
                    ));
                }
                let pages = o.pages.unwrap_or(1);
                if pages == 0 {
                    return Err(src.at(name, "pages = 0: expected at least 1"));
                }
                ObjDef::Bo(BoDef {
                    mem,
                    pages,
                    priority,
                    vm,
                    bulk: o.bulk.unwrap_or(vm.is_some()),
                    pinned: o.pinned.unwrap_or(false),
                    busy: o.busy.unwrap_or(false),
                    tt: o.tt.as_ref().map(|t| tt_kind(src, t)).transpose()?,
                    populated: o.populated.unwrap_or(true),
                })
            }
            "shrinker" => {
                let ty = o.ty.as_ref().ok_or_else(|| {
                    src.at(name, "a shrinker needs type = \"xe\", \"ttm-walk\", \"gem-lru\", a design or \"driver\"")
                })?;
                let only = |field: bool, what: &str, t: &str| -> Result<(), String> {
                    if field {
                        Err(src.at(ty, &format!("{what} does not apply to a {t} shrinker")))
                    } else {
                        Ok(())
                    }
                };
                let t = ty.get_ref().as_str();
                if t != "xe" {
                    only(
                        o.batch.is_some() || o.stall_check.is_some(),
                        "batch/stall_check",
                        t,
                    )?;
                }
                if t != "driver" {
                    only(o.scan.is_some() || o.mutex.is_some(), "scan/mutex", t)?;
                }
                ObjDef::Shrinker(match t {
                    "xe" => ShrinkerDef::Xe {
                        batch: o.batch.unwrap_or(1).max(1),
                        stall_check: o.stall_check.unwrap_or(false),
                    },
                    "ttm-walk" => ShrinkerDef::TtmWalk,
                    "gem-lru" => ShrinkerDef::Design(ShrinkDesign::GemLruScan),
                    "callback-walker" => ShrinkerDef::Design(ShrinkDesign::CallbackWalker),
                    "guarded-iterator" => ShrinkerDef::Design(ShrinkDesign::GuardedIterator),
                    "next-candidate" => ShrinkerDef::Design(ShrinkDesign::NextCandidate),
                    "driver" => {
                        let scan = o.scan.as_ref().ok_or_else(|| {
                            src.at(ty, "a driver shrinker needs scan = \"blocks\", \"mutex\", \"no-progress\", \"overreports\", \"ww-ticket\" or \"drm-exec\"")
                        })?;
                        let s = match scan.get_ref().as_str() {
                            "blocks" => DriverScan::Blocks,
                            "no-progress" => DriverScan::NoProgress,
                            "overreports" => DriverScan::Overreports,
                            "ww-ticket" => DriverScan::WwTicket,
                            "drm-exec" => DriverScan::DrmExec,
                            "mutex" => {
                                let m = o.mutex.as_ref().ok_or_else(|| {
                                    src.at(scan, "scan = \"mutex\" needs mutex = \"NAME\"")
                                })?;
                                DriverScan::Mutex(lookup(m, Kind::Mutex)?)
                            }
                            other => {
                                return Err(src.at(
                                    scan,
                                    &format!("unknown driver scan '{other}': expected blocks, mutex, no-progress, overreports, ww-ticket or drm-exec"),
                                ));
                            }
                        };
                        if o.mutex.is_some() && !matches!(s, DriverScan::Mutex(_)) {
                            return Err(src.at(scan, "mutex = applies to scan = \"mutex\" only"));
                        }
                        ShrinkerDef::Driver(s)
                    }
                    other => {
                        return Err(src.at(
                            ty,
                            &format!("unknown shrinker type '{other}': expected xe, ttm-walk, gem-lru, callback-walker, guarded-iterator, next-candidate or driver"),
                        ));
                    }
                })
            }
            _ => unreachable!("checked above"),
        };
        objects.push(Object {
            name: Box::leak(name.get_ref().clone().into_boxed_str()),
            def,
        });
    }
    let has_gem = objects.iter().any(|o| {
        matches!(
            o.def,
            ObjDef::Shrinker(ShrinkerDef::Design(ShrinkDesign::GemLruScan))
        )
    });
    let actors = super::actors(src, &spec.actors, |op| parse_op(op, &objects, has_gem))?;
    let tasks = actors.len() + 1;
    let setup = Arc::new(Setup {
        device: device.unwrap_or(DeviceDef {
            vram_pages: 8,
            tt_pages: None,
            tt: TtKind::default(),
        }),
        objects,
        actors,
        quiesce: spec.options.quiesce.unwrap_or(true),
    });
    let sc = crate::scenario::scenario(
        &frame.name,
        &frame.description,
        tasks,
        Options::default(),
        move |m, main| ops::run(m, main, &setup),
    );
    Ok(frame.finish(src, sc, "ttm"))
}

fn parse_op(op: &str, objects: &[Object], has_gem: bool) -> Result<Op, String> {
    let w = OpWords::new(op);
    let mut args: Vec<&str> = w.args.clone();
    // A trailing `any`: the result is not checked.
    let any = args.last() == Some(&"any");
    let checkable = [
        "dma_resv_lock",
        "ttm_bo_reserve",
        "ttm_bo_validate",
        "ttm_bo_populate",
        "ttm_tt_populate",
        "ttm_device_swapout",
        "ttm_device_prepare_hibernation",
        "ttm_resource_manager_evict_all",
    ];
    if any {
        if !checkable.contains(&w.verb) {
            return Err(format!(
                "'{op}': `any` applies to {} only",
                checkable.join(", ")
            ));
        }
        args.pop();
    }
    let checked = !any;
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "'{op}': {} takes {n} operand(s), got {}",
                w.verb,
                args.len()
            ))
        }
    };
    let find = |name: &str, kinds: &[Kind]| -> Result<usize, String> {
        let i = objects.iter().position(|o| o.name == name).ok_or_else(|| {
            format!(
                "'{op}': unknown object '{name}' (declared: {})",
                objects
                    .iter()
                    .map(|o| o.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let k = objects[i].def.kind();
        if !kinds.contains(&k) {
            return Err(format!(
                "'{op}': object '{name}' is a {}, expected a {}",
                format!("{k:?}").to_lowercase(),
                kinds
                    .iter()
                    .map(|k| format!("{k:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        Ok(i)
    };
    let mem = |s: &str| -> Result<MemType, String> {
        mem_type(s).ok_or_else(|| {
            format!("'{op}': unknown memory type '{s}': expected SYSTEM, TT or VRAM")
        })
    };
    let bo1 = || -> Result<usize, String> {
        arity(1)?;
        find(args[0], &[Kind::Bo])
    };
    let bos = |from: usize| -> Result<Vec<usize>, String> {
        if args.len() <= from {
            return Err(format!("'{op}': {} needs at least one BO", w.verb));
        }
        args[from..].iter().map(|a| find(a, &[Kind::Bo])).collect()
    };
    Ok(match w.verb {
        "ww_acquire_init" => arity(0).map(|_| Op::AcquireInit)?,
        "ww_acquire_fini" => arity(0).map(|_| Op::AcquireFini)?,
        "dma_resv_lock" => {
            arity(1)?;
            Op::ResvLock(find(args[0], &[Kind::Bo, Kind::Vm])?, checked)
        }
        "dma_resv_unlock" => {
            arity(1)?;
            Op::ResvUnlock(find(args[0], &[Kind::Bo, Kind::Vm])?)
        }
        "ttm_bo_reserve" => Op::Reserve(bo1()?, checked),
        "ttm_bo_unreserve" => Op::Unreserve(bo1()?),
        "ttm_bo_validate" => {
            arity(2)?;
            Op::Validate(find(args[0], &[Kind::Bo])?, mem(args[1])?, checked)
        }
        "ttm_bo_pin" => Op::Pin(bo1()?),
        "ttm_bo_unpin" => Op::Unpin(bo1()?),
        "ttm_bo_set_bulk_move" => {
            arity(2)?;
            let bo = find(args[0], &[Kind::Bo])?;
            let vm = match args[1] {
                "none" | "NULL" => None,
                v => Some(find(v, &[Kind::Vm])?),
            };
            Op::SetBulkMove(bo, vm)
        }
        "ttm_bo_put" => Op::Put(bo1()?),
        "amdgpu_vm_pt_free" => Op::AmdgpuVmPtFree(bo1()?),
        "ttm_lru_bulk_move_fini" => {
            arity(1)?;
            Op::BulkMoveFini(find(args[0], &[Kind::Vm])?)
        }
        "ttm_bo_populate" => Op::BoPopulate(bo1()?, checked),
        "ttm_tt_populate" => Op::TtPopulate(bo1()?, checked),
        "ttm_tt_unpopulate" => Op::TtUnpopulate(bo1()?),
        "ttm_lru_bulk_move_tail" | "vm_exec" => {
            arity(1)?;
            let vm = find(args[0], &[Kind::Vm])?;
            if w.verb == "vm_exec" {
                Op::VmExec(vm)
            } else {
                Op::BulkMoveTail(vm)
            }
        }
        "exec_submit" => {
            let fence = args.len() == 3 && args[2] == "fence";
            if !(args.len() == 2 || fence) {
                return Err(format!(
                    "'{op}': exec_submit takes VMBO BO [fence], got {} operand(s)",
                    args.len()
                ));
            }
            Op::ExecSubmit(
                find(args[0], &[Kind::Bo])?,
                find(args[1], &[Kind::Bo])?,
                fence,
            )
        }
        "drm_exec_lock" => Op::DrmExecLock(bos(0)?),
        "ttm_lru_walk_for_evict" => {
            if !(2..=3).contains(&args.len()) {
                return Err(format!(
                    "'{op}': ttm_lru_walk_for_evict takes MEM BEHAVIOUR [TARGET], got {} operand(s)",
                    args.len()
                ));
            }
            let b = BEHAVIOURS
                .iter()
                .find(|(n, _)| *n == args[1])
                .map(|(_, b)| *b)
                .ok_or_else(|| {
                    format!(
                        "'{op}': unknown process_bo behaviour '{}': expected one of {}",
                        args[1],
                        BEHAVIOURS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            let target =
                match args.get(2) {
                    None => i64::MAX,
                    Some(t) => t.parse::<i64>().ok().filter(|t| *t > 0).ok_or_else(|| {
                        format!("'{op}': target '{t}': expected a positive number")
                    })?,
                };
            Op::Walk(mem(args[0])?, b, target)
        }
        "ttm_device_swapout" => arity(0).map(|_| Op::DeviceSwapout(checked))?,
        "ttm_device_prepare_hibernation" => arity(0).map(|_| Op::PrepareHibernation(checked))?,
        "ttm_resource_manager_evict_all" => {
            arity(1)?;
            Op::EvictAll(mem(args[0])?, checked)
        }
        "shrink_slab" => {
            let kswapd = match args.first() {
                Some(&"kswapd") => true,
                Some(&"direct") => false,
                _ => {
                    return Err(format!(
                        "'{op}': shrink_slab takes direct or kswapd, then optional shrinkers"
                    ));
                }
            };
            let list = if args.len() > 1 {
                args[1..]
                    .iter()
                    .map(|a| find(a, &[Kind::Shrinker]))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                let all: Vec<usize> = (0..objects.len())
                    .filter(|i| objects[*i].def.kind() == Kind::Shrinker)
                    .collect();
                if all.is_empty() {
                    return Err(format!("'{op}': no shrinker is declared"));
                }
                all
            };
            Op::ShrinkSlab(kswapd, list)
        }
        "ttm_bo_move_accel_cleanup" => {
            arity(2)?;
            Op::MoveAccelCleanup(find(args[0], &[Kind::Bo])?, mem(args[1])?)
        }
        "ttm_bo_delayed_delete" => arity(0).map(|_| Op::DelayedDelete)?,
        "dma_resv_add_fence" => Op::AddFence(bo1()?),
        "dma_fence_signal" => Op::SignalFence(bo1()?),
        "mutex_lock" | "mutex_unlock" => {
            arity(1)?;
            let l = find(args[0], &[Kind::Mutex])?;
            if w.verb == "mutex_lock" {
                Op::MutexLock(l)
            } else {
                Op::MutexUnlock(l)
            }
        }
        "drm_gem_object_put" => {
            if !has_gem {
                return Err(format!(
                    "'{op}': drm_gem_object_put needs a shrinker of type \"gem-lru\""
                ));
            }
            Op::GemPut(bo1()?)
        }
        "check_swapped" => Op::CheckSwapped(bos(0)?),
        "complete" | "wait_for_completion" => {
            arity(1)?;
            let c = find(args[0], &[Kind::Completion])?;
            if w.verb == "complete" {
                Op::Complete(c)
            } else {
                Op::WaitForCompletion(c)
            }
        }
        "fail" => {
            let (site, errno) = super::parse_fail(&w)?;
            Op::Fail(site, errno)
        }
        "yield" => arity(0).map(|_| Op::Yield)?,
        _ => return Err(w.unknown(&FORMAT)),
    })
}

#[cfg(test)]
#[path = "ttm_tests.rs"]
mod tests;
