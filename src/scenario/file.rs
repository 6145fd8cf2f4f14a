//! Scenario files: workloads written in TOML instead of Rust (`hunt --scenario-file F`,
//! `list --scenario-file F`, and the regression tests). A file names its objects, its
//! actors (CPUs) with their ordered operations, its options, and what is expected of the
//! fixed model and of each variant that re-creates a reported race:
//!
//! ```toml
//! name = "abba-wd-file"
//! description = "two contexts lock A,B and B,A"
//! [options]
//! class = "wait-die"            # or "wound-wait"; inject_edeadlk = false; stamp_base = 0
//! [[object]]
//! kind = "lock"                 # "lock" (ww_mutex of the class), "gem" (drm_exec object
//! name = "A"                    #  whose resv is a ww_mutex), "completion"
//! [[actor]]
//! name = "ctx_ab"
//! repeat = 1
//! ops = ["ww_acquire_init", "ww_mutex_lock A", "ww_mutex_lock B", "yield",
//!        "ww_mutex_unlock B", "ww_mutex_unlock A", "ww_acquire_fini"]
//! [expect]
//! fixed = "pass"
//! [[expect.variant]]
//! name = "no-backoff-wake"
//! property = "deadlock"
//! ```
//!
//! Operations (`OPS`): `ww_mutex_lock X` takes X with the actor's open context (or none)
//! and, on -EDEADLK, does the standard back-off of ww-mutex-design.rst (unlock everything
//! of the context, `ww_mutex_lock_slow` the contended lock, re-take the rest);
//! `transaction X Y ..` is a whole acquire-with-back-off transaction
//! (`common::inorder_transaction`); `drm_exec X [Y,Z] ..` a drm_exec transaction whose
//! body prepares each object (`[..]` = one `drm_exec_prepare_array`, `[]` an empty one)
//! with `drm_exec_retry_on_contention` after every call. The end of every execution
//! checks that every lock is free. Every lock of a file scenario is seen by the machine's
//! lockdep (`ww::lockdep_ww`): an actor that takes two locks of the class without a
//! context, opens a second context, or calls `ww_acquire_init` while holding a lock taken
//! without one is reported as `lockdep`, as a kernel with PROVE_LOCKING would; a
//! `drm_exec` op propagates an injected -ENOMEM (`hunt --inject`) and ends the transaction. New object kinds (BOs, bulk moves, pages) and their
//! operations are added to `OBJECT_KINDS`, `ObjectSpec` and `parse_op`.

use super::common::{check_quiescent, dummy_load, expect, inorder_transaction};
use super::exec::{Prepare, transaction};
use super::{Scenario, scenario};
use crate::model::completion::Completion;
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::trace::{EDEADLK, errno_name};
use crate::model::variants::Variant;
use crate::model::{Machine, Options, Task};
use crate::ww::{
    Algo, GemObject, WwAcquireCtx, WwClass, WwMutex, ww_acquire_done, ww_acquire_fini,
    ww_acquire_init, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_trylock, ww_mutex_unlock,
};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Object kinds a file may declare.
pub const OBJECT_KINDS: &[&str] = &["lock", "gem", "completion"];

/// Operations an actor may run (the first word of an op string).
pub const OPS: &[&str] = &[
    "ww_acquire_init",
    "ww_acquire_done",
    "ww_acquire_fini",
    "ww_mutex_lock",
    "ww_mutex_lock_slow",
    "ww_mutex_trylock",
    "ww_mutex_unlock",
    "transaction",
    "drm_exec",
    "complete",
    "wait_for_completion",
    "yield",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    name: Option<Spanned<String>>,
    description: Option<String>,
    area: Option<Spanned<String>>,
    #[serde(default)]
    options: OptionsSpec,
    #[serde(default, rename = "object")]
    objects: Vec<ObjectSpec>,
    #[serde(rename = "actor")]
    actors: Vec<ActorSpec>,
    #[serde(default)]
    expect: ExpectSpec,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OptionsSpec {
    #[serde(default)]
    class: ClassSpec,
    #[serde(default)]
    inject_edeadlk: bool,
    #[serde(default)]
    stamp_base: u64,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum ClassSpec {
    #[default]
    WaitDie,
    WoundWait,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectSpec {
    kind: Spanned<String>,
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorSpec {
    name: Option<String>,
    #[serde(default = "one")]
    repeat: usize,
    ops: Vec<Spanned<String>>,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSpec {
    #[serde(default = "pass")]
    fixed: Spanned<String>,
    #[serde(default, rename = "variant")]
    variants: Vec<ExpectVariantSpec>,
}

impl Default for ExpectSpec {
    fn default() -> Self {
        ExpectSpec {
            fixed: pass(),
            variants: Vec::new(),
        }
    }
}

fn pass() -> Spanned<String> {
    Spanned::new(0..0, "pass".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectVariantSpec {
    name: Spanned<String>,
    property: Spanned<String>,
}

/// Kinds of objects at run time (one set per execution: the machine is fresh each time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Lock,
    Gem,
    Completion,
}

/// One step of a drm_exec transaction body.
#[derive(Clone, Debug)]
enum ExecStep {
    Obj(usize),
    Array(Vec<usize>),
}

/// A compiled operation; object operands are indexes into the file's objects.
#[derive(Clone, Debug)]
enum Op {
    AcquireInit,
    AcquireDone,
    AcquireFini,
    Lock(usize),
    LockSlow(usize),
    Trylock(usize),
    Unlock(usize),
    Transaction(Vec<usize>),
    DrmExec(Vec<ExecStep>),
    Complete(usize),
    WaitForCompletion(usize),
    Yield,
}

#[derive(Clone, Debug)]
struct Actor {
    name: String,
    repeat: usize,
    ops: Vec<Op>,
}

/// A scenario loaded from a file, with what the file expects.
#[derive(Clone, Debug)]
pub struct FileScenario {
    pub scenario: Scenario,
    pub source: PathBuf,
    /// The fixed model must pass (`expect.fixed = "pass"`).
    pub fixed_passes: bool,
    /// Variants that re-create the race, with the property the checker must report.
    pub variants: Vec<(Variant, Property)>,
}

/// `file:line:column: message` for a byte range of `text`.
fn located(path: &Path, text: &str, span: Option<Range<usize>>, msg: &str) -> String {
    let msg = msg.trim().replace('\n', " ");
    match span {
        Some(r) if r.start <= text.len() && !(r.start == 0 && r.end == 0) => {
            let before = &text[..r.start];
            let line = before.matches('\n').count() + 1;
            let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
            format!("{}:{line}:{col}: {msg}", path.display())
        }
        _ => format!("{}: {msg}", path.display()),
    }
}

/// Load a scenario file. Errors are one line: `file:line:column: what was expected`.
pub fn load(path: &Path) -> Result<FileScenario, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read scenario file {}: {e}", path.display()))?;
    parse(path, &text)
}

/// Parse the text of a scenario file (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<FileScenario, String> {
    let spec: FileSpec =
        toml::from_str(text).map_err(|e| located(path, text, e.span(), e.message()))?;
    let err = |span: Range<usize>, msg: String| located(path, text, Some(span), &msg);

    let name = match &spec.name {
        Some(n) => {
            let ok = !n.get_ref().is_empty()
                && n.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(err(
                    n.span(),
                    format!(
                        "bad scenario name '{}': expected letters, digits, '-' and '_'",
                        n.get_ref()
                    ),
                ));
            }
            n.get_ref().clone()
        }
        None => path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario-file")
            .to_string(),
    };
    let area: &'static str = match &spec.area {
        None => "ww",
        Some(a) => match a.get_ref().as_str() {
            "ww" => "ww",
            "ttm" => "ttm",
            "svm" => "svm",
            "design" => "design",
            other => {
                return Err(err(
                    a.span(),
                    format!("unknown area '{other}': expected one of ww, ttm, svm, design"),
                ));
            }
        },
    };

    // Objects.
    let mut objects: Vec<(String, Kind)> = Vec::new();
    for o in &spec.objects {
        let kind = match o.kind.get_ref().as_str() {
            "lock" => Kind::Lock,
            "gem" => Kind::Gem,
            "completion" => Kind::Completion,
            other => {
                return Err(err(
                    o.kind.span(),
                    format!(
                        "unknown object kind '{other}': expected one of {}",
                        OBJECT_KINDS.join(", ")
                    ),
                ));
            }
        };
        let n = o.name.get_ref();
        if n.is_empty() || n.contains(|c: char| c.is_whitespace() || "[],".contains(c)) {
            return Err(err(
                o.name.span(),
                format!(
                    "bad object name '{n}': expected a word without spaces, brackets or commas"
                ),
            ));
        }
        if objects.iter().any(|(m, _)| m == n) {
            return Err(err(o.name.span(), format!("object '{n}' declared twice")));
        }
        objects.push((n.clone(), kind));
    }

    // Actors.
    if spec.actors.is_empty() {
        return Err(located(
            path,
            text,
            None,
            "no actors: expected at least one [[actor]] with ops = [...]",
        ));
    }
    let mut actors = Vec::new();
    for (i, a) in spec.actors.iter().enumerate() {
        let mut ops = Vec::new();
        for op in &a.ops {
            ops.push(parse_op(op.get_ref(), &objects).map_err(|m| err(op.span(), m))?);
        }
        if a.repeat == 0 {
            return Err(located(
                path,
                text,
                None,
                &format!("actor {} has repeat = 0: expected at least 1", i + 1),
            ));
        }
        actors.push(Actor {
            name: a.name.clone().unwrap_or_else(|| format!("actor{}", i + 1)),
            repeat: a.repeat,
            ops,
        });
    }

    // Expectations.
    let fixed_passes = match spec.expect.fixed.get_ref().as_str() {
        "pass" => true,
        "any" => false,
        other => {
            return Err(err(
                spec.expect.fixed.span(),
                format!("expect.fixed = '{other}': expected \"pass\" or \"any\""),
            ));
        }
    };
    let mut variants = Vec::new();
    for v in &spec.expect.variants {
        let variant = Variant::from_name(v.name.get_ref()).ok_or_else(|| {
            err(
                v.name.span(),
                format!(
                    "unknown variant '{}' (see `ttm-model list`)",
                    v.name.get_ref()
                ),
            )
        })?;
        let property = Property::from_name(v.property.get_ref()).ok_or_else(|| {
            err(
                v.property.span(),
                format!(
                    "unknown property '{}': expected one of {}",
                    v.property.get_ref(),
                    Property::ALL.map(|p| p.name()).join(", ")
                ),
            )
        })?;
        variants.push((variant, property));
    }

    let class = match spec.options.class {
        ClassSpec::WaitDie => Algo::WaitDie,
        ClassSpec::WoundWait => Algo::WoundWait,
    };
    let stamp_base = spec.options.stamp_base;
    let options = Options {
        inject_edeadlk: spec.options.inject_edeadlk,
        ..Options::default()
    };
    let description = spec
        .description
        .clone()
        .unwrap_or_else(|| format!("scenario file {}", path.display()));
    let tasks = actors.len() + 1;
    let objects = Arc::new(objects);
    let actors = Arc::new(actors);
    let mut sc = scenario(&name, &description, tasks, options, move |m, main| {
        run(m, main, class, stamp_base, &objects, &actors)
    });
    sc.area = area;
    Ok(FileScenario {
        scenario: sc,
        source: path.to_path_buf(),
        fixed_passes,
        variants,
    })
}

fn parse_op(op: &str, objects: &[(String, Kind)]) -> Result<Op, String> {
    let mut words = op.split_whitespace();
    let verb = words.next().unwrap_or("");
    let args: Vec<&str> = words.collect();
    let find = |name: &str, kinds: &[Kind]| -> Result<usize, String> {
        let i = objects.iter().position(|(n, _)| n == name).ok_or_else(|| {
            format!(
                "'{op}': unknown object '{name}' (declared: {})",
                objects
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        if !kinds.contains(&objects[i].1) {
            return Err(format!(
                "'{op}': object '{name}' is a {:?}, expected a {}",
                objects[i].1,
                kinds
                    .iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
            .to_lowercase());
        }
        Ok(i)
    };
    let locks = [Kind::Lock, Kind::Gem];
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "'{op}': {verb} takes {n} operand(s), got {}",
                args.len()
            ))
        }
    };
    let one_lock = || -> Result<usize, String> {
        arity(1)?;
        find(args[0], &locks)
    };
    Ok(match verb {
        "ww_acquire_init" => arity(0).map(|_| Op::AcquireInit)?,
        "ww_acquire_done" => arity(0).map(|_| Op::AcquireDone)?,
        "ww_acquire_fini" => arity(0).map(|_| Op::AcquireFini)?,
        "yield" | "sleep" => arity(0).map(|_| Op::Yield)?,
        "ww_mutex_lock" => Op::Lock(one_lock()?),
        "ww_mutex_lock_slow" => Op::LockSlow(one_lock()?),
        "ww_mutex_trylock" => Op::Trylock(one_lock()?),
        "ww_mutex_unlock" => Op::Unlock(one_lock()?),
        "complete" | "wait_for_completion" => {
            arity(1)?;
            let c = find(args[0], &[Kind::Completion])?;
            if verb == "complete" {
                Op::Complete(c)
            } else {
                Op::WaitForCompletion(c)
            }
        }
        "transaction" => {
            if args.is_empty() {
                return Err(format!("'{op}': transaction needs at least one lock"));
            }
            Op::Transaction(
                args.iter()
                    .map(|a| find(a, &locks))
                    .collect::<Result<_, _>>()?,
            )
        }
        "drm_exec" => {
            if args.is_empty() {
                return Err(format!(
                    "'{op}': drm_exec needs at least one object or array"
                ));
            }
            let mut steps = Vec::new();
            for a in &args {
                if let Some(inner) = a.strip_prefix('[') {
                    let inner = inner.strip_suffix(']').ok_or_else(|| {
                        format!("'{op}': array '{a}' must be written [x,y] without spaces")
                    })?;
                    let objs = inner
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| find(s, &[Kind::Gem]))
                        .collect::<Result<_, _>>()?;
                    steps.push(ExecStep::Array(objs));
                } else {
                    steps.push(ExecStep::Obj(find(a, &[Kind::Gem])?));
                }
            }
            Op::DrmExec(steps)
        }
        other => {
            return Err(format!(
                "unknown operation '{other}': expected one of {}",
                OPS.join(", ")
            ));
        }
    })
}

/// The objects of one execution.
enum Obj {
    Lock(Arc<WwMutex>),
    Gem(Arc<GemObject>),
    Completion(Arc<Completion>),
}

impl Obj {
    fn lock(&self) -> &Arc<WwMutex> {
        match self {
            Obj::Lock(l) => l,
            Obj::Gem(g) => &g.resv,
            Obj::Completion(_) => unreachable!("checked when the file was loaded"),
        }
    }
}

/// The body of a file scenario: build the objects, run every actor on its CPU, join,
/// check that every lock is free.
fn run(
    m: &Arc<Machine>,
    main: &Arc<Task>,
    algo: Algo,
    stamp_base: u64,
    objects: &[(String, Kind)],
    actors: &Arc<Vec<Actor>>,
) {
    let class_name = match algo {
        Algo::WaitDie => "wd_class",
        Algo::WoundWait => "ww_class",
    };
    let class = WwClass::new(class_name, algo, stamp_base);
    let objs: Arc<Vec<Obj>> = Arc::new(
        objects
            .iter()
            .map(|(name, kind)| match kind {
                Kind::Lock => Obj::Lock(WwMutex::new(m, name, &class)),
                Kind::Gem => Obj::Gem(GemObject::new(m, name, &class)),
                Kind::Completion => Obj::Completion(Arc::new(Completion::new())),
            })
            .collect(),
    );
    let handles: Vec<_> = (0..actors.len())
        .map(|a| {
            let (actors, objs, class) = (Arc::clone(actors), Arc::clone(&objs), Arc::clone(&class));
            m.spawn(&actors[a].name.clone(), move |t| {
                let actor = &actors[a];
                for _ in 0..actor.repeat {
                    run_actor(&t, &class, &objs, actor);
                }
            })
            .1
        })
        .collect();
    for h in handles {
        m.join(main, h);
    }
    let locks: Vec<Arc<WwMutex>> = objs
        .iter()
        .filter(|o| !matches!(o, Obj::Completion(_)))
        .map(|o| Arc::clone(o.lock()))
        .collect();
    check_quiescent(m, &locks);
}

/// One pass over an actor's operations.
fn run_actor(t: &Arc<Task>, class: &Arc<WwClass>, objs: &[Obj], actor: &Actor) {
    let mut ctx: Option<Arc<WwAcquireCtx>> = None;
    // Locks taken with the open context, in order (what a back-off releases and re-takes).
    let mut held: Vec<usize> = Vec::new();
    let m = &t.machine;
    for op in &actor.ops {
        match op {
            Op::AcquireInit => {
                expect(m, ctx.is_none(), || {
                    format!(
                        "{}: ww_acquire_init with a context already open",
                        actor.name
                    )
                });
                ctx = Some(ww_acquire_init(t, class));
                held.clear();
            }
            Op::AcquireDone => {
                if let Some(c) = &ctx {
                    ww_acquire_done(t, c);
                }
            }
            Op::AcquireFini => {
                if let Some(c) = ctx.take() {
                    ww_acquire_fini(t, &c);
                }
                held.clear();
            }
            Op::Lock(i) => match &ctx {
                Some(c) => lock_with_backoff(t, c, objs, &mut held, *i),
                None => {
                    let ret = ww_mutex_lock(t, objs[*i].lock(), None);
                    expect(m, ret == 0, || {
                        format!(
                            "{}: ww_mutex_lock({}, NULL) returned {}",
                            actor.name,
                            objs[*i].lock().name,
                            errno_name(ret)
                        )
                    });
                }
            },
            Op::LockSlow(i) => {
                let Some(c) = &ctx else {
                    m.fail(
                        Property::ClientProtocol,
                        format!("{}: ww_mutex_lock_slow without a context", actor.name),
                    )
                };
                ww_mutex_lock_slow(t, objs[*i].lock(), c);
                held.push(*i);
            }
            Op::Trylock(i) => {
                if ww_mutex_trylock(t, objs[*i].lock(), ctx.as_ref()) && ctx.is_some() {
                    held.push(*i);
                }
            }
            Op::Unlock(i) => {
                ww_mutex_unlock(t, objs[*i].lock());
                held.retain(|h| h != i);
            }
            Op::Transaction(ls) => {
                let locks: Vec<Arc<WwMutex>> =
                    ls.iter().map(|i| Arc::clone(objs[*i].lock())).collect();
                inorder_transaction(t, class, &locks);
            }
            Op::DrmExec(steps) => drm_exec(t, class, objs, steps),
            Op::Complete(i) => {
                if let Obj::Completion(c) = &objs[*i] {
                    c.complete();
                }
            }
            Op::WaitForCompletion(i) => {
                if let Obj::Completion(c) = &objs[*i] {
                    c.wait_for_completion(t, &format!("completion #{i}"));
                }
            }
            Op::Yield => dummy_load(),
        }
    }
    expect(m, ctx.is_none(), || {
        format!(
            "{}: ended with its acquire context open (no ww_acquire_fini)",
            actor.name
        )
    });
}

/// `ww_mutex_lock(lock, ctx)` with the back-off of ww-mutex-design.rst: on -EDEADLK,
/// unlock every lock of the context, `ww_mutex_lock_slow` the contended one, and take
/// the others again in their original order (backing off again if needed).
fn lock_with_backoff(
    t: &Arc<Task>,
    ctx: &Arc<WwAcquireCtx>,
    objs: &[Obj],
    held: &mut Vec<usize>,
    target: usize,
) {
    let mut pending = vec![target];
    while let Some(&next) = pending.first() {
        let lock = objs[next].lock();
        let ret = ww_mutex_lock(t, lock, Some(ctx));
        if ret == 0 {
            held.push(next);
            pending.remove(0);
            continue;
        }
        expect(&t.machine, ret == -EDEADLK, || {
            format!("ww_mutex_lock({}) returned {}", lock.name, errno_name(ret))
        });
        for h in held.iter().rev() {
            ww_mutex_unlock(t, objs[*h].lock());
        }
        ww_mutex_lock_slow(t, lock, ctx);
        pending.remove(0);
        let mut retake: Vec<usize> = std::mem::take(held);
        retake.append(&mut pending);
        pending = retake;
        held.push(next);
    }
}

/// A drm_exec transaction over the steps (`scenario::exec::transaction`).
fn drm_exec(t: &Arc<Task>, class: &Arc<WwClass>, objs: &[Obj], steps: &[ExecStep]) {
    let gem = |i: &usize| match &objs[*i] {
        Obj::Gem(g) => Arc::clone(g),
        _ => unreachable!("checked when the file was loaded"),
    };
    let steps: Vec<Prepare> = steps
        .iter()
        .map(|s| match s {
            ExecStep::Obj(i) => Prepare::Obj(gem(i)),
            ExecStep::Array(is) => Prepare::Array(is.iter().map(gem).collect()),
        })
        .collect();
    transaction(t, class, &steps, "drm_exec transaction");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse(Path::new("t.toml"), text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => {
                assert!(!e.contains('\n'), "one line: {e}");
                e
            }
        }
    }

    const GOOD: &str = r#"
name = "t"
[[object]]
kind = "lock"
name = "A"
[[object]]
kind = "gem"
name = "bo0"
[[object]]
kind = "completion"
name = "c"
[[actor]]
ops = ["ww_acquire_init", "ww_mutex_lock A", "ww_mutex_unlock A", "ww_acquire_fini", "complete c"]
[[actor]]
repeat = 2
ops = ["wait_for_completion c", "drm_exec [] bo0 [bo0]", "transaction A bo0", "yield"]
[[expect.variant]]
name = "no-backoff-wake"
property = "deadlock"
"#;

    #[test]
    fn a_good_file_compiles() {
        let f = parse(Path::new("t.toml"), GOOD).unwrap();
        assert_eq!(f.scenario.name, "t");
        assert_eq!(f.scenario.tasks, 3);
        assert!(f.fixed_passes);
        assert_eq!(
            f.variants,
            vec![(Variant::NoBackoffWake, Property::Deadlock)]
        );
    }

    #[test]
    fn name_defaults_to_the_file_stem() {
        let text = GOOD.replace("name = \"t\"\n", "");
        let f = parse(Path::new("dir/my-race.toml"), &text).unwrap();
        assert_eq!(f.scenario.name, "my-race");
    }

    #[test]
    fn toml_syntax_errors_have_line_and_column() {
        let e = err("name = \"t\"\n[[actor]\nops = []\n");
        assert!(e.starts_with("t.toml:2:"), "{e}");
    }

    #[test]
    fn unknown_fields_and_kinds_are_located() {
        let e = err(&GOOD.replace("repeat = 2", "repeats = 2"));
        assert!(e.starts_with("t.toml:15:1: unknown field `repeats`"), "{e}");
        let e = err(&GOOD.replace("kind = \"gem\"", "kind = \"bo\""));
        assert_eq!(
            e,
            "t.toml:7:8: unknown object kind 'bo': expected one of lock, gem, completion"
        );
        let e = err(&GOOD
            .replace("class", "klass")
            .replace("name = \"t\"", "name = \"t\"\n[options]\nclass = \"fifo\""));
        assert!(
            e.starts_with(
                "t.toml:4:9: unknown variant `fifo`, expected `wait-die` or `wound-wait`"
            ),
            "{e}"
        );
    }

    #[test]
    fn bad_operations_are_located() {
        let e = err(&GOOD.replace("\"ww_mutex_lock A\"", "\"ww_mutex_lock C\""));
        assert!(
            e.starts_with("t.toml:13:27: 'ww_mutex_lock C': unknown object 'C'"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"yield\"", "\"msleep 10\""));
        assert!(
            e.starts_with("t.toml:16:") && e.contains("unknown operation 'msleep'"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"complete c\"", "\"complete A\""));
        assert!(
            e.contains("object 'a' is a lock, expected a completion"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"ww_acquire_fini\"", "\"ww_acquire_fini A\""));
        assert!(e.contains("takes 0 operand(s), got 1"), "{e}");
        let e = err(&GOOD.replace("[bo0]", "[bo0, A]"));
        assert!(e.contains("drm_exec"), "{e}");
    }

    #[test]
    fn bad_expectations_are_located() {
        let e = err(&GOOD.replace("\"no-backoff-wake\"", "\"no-such-bug\""));
        assert!(
            e.starts_with("t.toml:18:8: unknown variant 'no-such-bug'"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"deadlock\"", "\"hang\""));
        assert!(
            e.starts_with("t.toml:19:12: unknown property 'hang'"),
            "{e}"
        );
        let e = err("name = \"t\"\n");
        assert!(e.contains("missing field `actor`"), "{e}");
    }
}
