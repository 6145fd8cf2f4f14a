//! The `ww` area of scenario files (the default area): ww_mutexes of one class, drm_exec
//! objects and completions, and the operations of ww-mutex-design.rst and drm_exec.
//!
//! Operations: `ww_mutex_lock X` takes X with the actor's open context (or none)
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
//! `drm_exec` op propagates an injected -ENOMEM (`hunt --inject`) and ends the transaction.

use super::{AreaFormat, FileScenario, FileSpec, OpWords, Source};
use crate::model::completion::Completion;
use crate::model::fault::Site;
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::trace::{EDEADLK, errno_name};
use crate::model::{Machine, Options, Task};
use crate::scenario::common::{check_quiescent, dummy_load, expect, inorder_transaction};
use crate::scenario::exec::{Prepare, transaction};
use crate::scenario::scenario;
use crate::ww::{
    Algo, GemObject, WwAcquireCtx, WwClass, WwMutex, ww_acquire_done, ww_acquire_fini,
    ww_acquire_init, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_trylock, ww_mutex_unlock,
};
use serde::Deserialize;
use toml::Spanned;

/// The ww area's format (objects, operations, options).
pub static FORMAT: AreaFormat = AreaFormat {
    area: "ww",
    objects: &[
        ("lock", "name", "a ww_mutex of the file's class"),
        (
            "gem",
            "name",
            "a drm_gem_object whose resv is a ww_mutex of the class (for drm_exec)",
        ),
        ("completion", "name", "a struct completion"),
    ],
    ops: &[
        (
            "ww_acquire_init",
            "ww_acquire_init()",
            "open the actor's acquire context",
        ),
        (
            "ww_acquire_done",
            "ww_acquire_done()",
            "mark the context's acquire phase done",
        ),
        ("ww_acquire_fini", "ww_acquire_fini()", "close the context"),
        (
            "ww_mutex_lock X",
            "ww_mutex_lock()",
            "lock X with the open context (or NULL); on -EDEADLK back off as ww-mutex-design.rst does",
        ),
        (
            "ww_mutex_lock_slow X",
            "ww_mutex_lock_slow()",
            "sleep for X with the context (after a back-off)",
        ),
        ("ww_mutex_trylock X", "ww_mutex_trylock()", "try X once"),
        ("ww_mutex_unlock X", "ww_mutex_unlock()", "unlock X"),
        (
            "transaction X Y ..",
            "ww_acquire_init() .. ww_acquire_fini()",
            "a whole in-order transaction with back-off",
        ),
        (
            "drm_exec X [Y,Z] ..",
            "drm_exec_until_all_locked()",
            "a drm_exec transaction: drm_exec_prepare_obj per object, drm_exec_prepare_array per [..], drm_exec_retry_on_contention after each",
        ),
    ],
    options: &[
        ("class", "\"wait-die\" (default) or \"wound-wait\""),
        (
            "inject_edeadlk",
            "CONFIG_DEBUG_WW_MUTEX_SLOWPATH: inject -EDEADLK",
        ),
        (
            "stamp_base",
            "the class's first stamp (test stamp wrap-around)",
        ),
    ],
    parse,
};

/// Object kinds a file of this area may declare.
pub const OBJECT_KINDS: &[&str] = &["lock", "gem", "completion"];

crate::options_spec!(OptionsSpec {
    class: ClassSpec,
    inject_edeadlk: bool,
    stamp_base: u64,
});

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
    Fail(Site, i32),
    Yield,
}

type Actor = super::Actor<Op>;

/// Parse a file of the ww area.
fn parse(src: &Source) -> Result<FileScenario, String> {
    let spec: FileSpec<OptionsSpec, ObjectSpec> = super::deserialize(src)?;
    let frame = super::frame(src, &spec)?;

    let mut objects: Vec<(String, Kind)> = Vec::new();
    for o in &spec.objects {
        let kind = match o.kind.get_ref().as_str() {
            "lock" => Kind::Lock,
            "gem" => Kind::Gem,
            "completion" => Kind::Completion,
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
        super::check_object_name(src, &o.name, objects.iter().map(|(n, _)| n.clone()))?;
        objects.push((o.name.get_ref().clone(), kind));
    }
    let actors = super::actors(src, &spec.actors, |op| parse_op(op, &objects))?;

    let class = match spec.options.class {
        ClassSpec::WaitDie => Algo::WaitDie,
        ClassSpec::WoundWait => Algo::WoundWait,
    };
    let stamp_base = spec.options.stamp_base;
    let options = Options {
        inject_edeadlk: spec.options.inject_edeadlk,
        ..Options::default()
    };
    let tasks = actors.len() + 1;
    let objects = Arc::new(objects);
    let actors = Arc::new(actors);
    let sc = scenario(
        &frame.name,
        &frame.description,
        tasks,
        options,
        move |m, main| run(m, main, class, stamp_base, &objects, &actors),
    );
    Ok(frame.finish(src, sc, "ww"))
}

fn parse_op(op: &str, objects: &[(String, Kind)]) -> Result<Op, String> {
    let w = OpWords::new(op);
    let (verb, args) = (w.verb, &w.args);
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
    let arity = |n: usize| w.arity(n);
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
        "fail" => {
            let (site, errno) = super::parse_fail(&w)?;
            Op::Fail(site, errno)
        }
        "drm_exec" => {
            if args.is_empty() {
                return Err(format!(
                    "'{op}': drm_exec needs at least one object or array"
                ));
            }
            let mut steps = Vec::new();
            for a in args {
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
        _ => return Err(w.unknown(&FORMAT)),
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
            Op::Fail(site, errno) => crate::model::fault::force_next(t, *site, *errno),
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
    use crate::model::variants::Variant;
    use crate::scenario::file::parse;
    use std::path::Path;

    use crate::scenario::file::rejected as err;

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
