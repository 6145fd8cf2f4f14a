//! The ww part of lib/locking-selftest.c (`ww_tests()`, mainline v6.18, after the Nov
//! 2024 fix that moved `WWAI(&t)` in `ww_test_normal`) ported case by case, with the
//! kernel's SUCCESS / FAILURE expectations. The kernel's verdict is `debug_locks` after the
//! test body (`dotest()`): FAILURE means a lockdep report or a `DEBUG_LOCKS_WARN_ON`
//! (DEBUG_WW_MUTEXES, DEBUG_MUTEXES) fired, both of which call `debug_locks_off()`; plain
//! `WARN_ON`s on return values do not count. Here the verdict is the model's
//! `m.lockdep.debug_locks()` after the body, and each FAILURE case also names the property
//! of the first WARN (`lockdep`, `client-protocol`, `unlock-not-owner`) and a word of its
//! message, so that the right check is shown to fire.
//!
//! Each case starts from fresh classes and locks (`reset_locks()`): one `run_model`
//! execution per case, with its own lockdep graph. `static DEFINE_WD_CLASS(ww_lockdep)`
//! is a Wait-Die class named `ww_lockdep` (lockdep classes `ww_lockdep_acquire`,
//! `ww_lockdep_mutex`); `spin_lock(&lock_A)` is a spinlock class `lock_A` recorded in the
//! machine's lockdep (one task: no real lock is needed).
//!
//! Cases that poke struct fields (`t.stamp++`, `t2 = t`, `o.ctx = &t2`, `o2.ctx = &t2`
//! with `mutex_release` on its dep_map, ...) become the nearest real interleaving with a
//! second task; each says how.

use crate::harness::run_model_with;
use std::sync::Mutex as StdMutex;
use ttm_model::model::completion::Completion;
use ttm_model::model::config::{KConfig, KernelConfig};
use ttm_model::model::lockdep::LockKind;
use ttm_model::model::sync::Arc;
use ttm_model::model::trace::{EALREADY, EDEADLK};
use ttm_model::model::{Machine, ModelFailure, Property, Task};
use ttm_model::model::{Options, VariantSet};
use ttm_model::ww::{
    Algo, WwAcquireCtx, WwClass, WwMutex, mutex_unlock, ww_acquire_done, ww_acquire_fini,
    ww_acquire_init, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_trylock, ww_mutex_unlock,
};

const SUCCESS: bool = true;
const FAILURE: bool = false;

/// The objects of `lib/locking-selftest.c`'s ww tests: `ww_lockdep`, `o`, `o2`, `o3`.
struct W {
    m: Arc<Machine>,
    t: Arc<Task>,
    class: Arc<WwClass>,
    o: Arc<WwMutex>,
    o2: Arc<WwMutex>,
    o3: Arc<WwMutex>,
}

impl W {
    fn wwai(&self) -> Arc<WwAcquireCtx> {
        ww_acquire_init(&self.t, &self.class)
    }
    fn wwl(&self, l: &WwMutex, c: &Arc<WwAcquireCtx>) -> i32 {
        ww_mutex_lock(&self.t, l, Some(c))
    }
    fn wwl1(&self, l: &WwMutex) -> i32 {
        ww_mutex_lock(&self.t, l, None)
    }
    fn wwt(&self, l: &WwMutex) -> bool {
        ww_mutex_trylock(&self.t, l, None)
    }
    fn wwu(&self, l: &WwMutex) {
        ww_mutex_unlock(&self.t, l)
    }
    /// `spin_lock(&lock_A)` / `spin_unlock(&lock_A)`.
    fn l(&self, name: &'static str) {
        self.m.lockdep.acquire(&self.t, name, LockKind::Spin);
    }
    fn u(&self, name: &'static str) {
        self.m.lockdep.release(&self.t, name);
    }
}

/// What one case produced: `debug_locks` after the body, and the first WARN.
#[derive(Debug, Default)]
struct Verdict {
    debug_locks: bool,
    first: Option<ModelFailure>,
}

/// `dotest(testcase_fn, expected, LOCKTYPE_WW)`. `expect` for FAILURE: the property of
/// the first WARN and a word of its message.
///
/// Every case runs twice: on the default configuration and with CONFIG_PREEMPT_RT (the
/// ww_mutex is an rt_mutex: `ww::ww_rt`), with the same expectations — the verdicts come
/// from lockdep and DEBUG_WW_MUTEXES, which ww_rt_mutex.c shares with mutex.c.
fn dotest(
    name: &str,
    expected: bool,
    expect: Option<(Property, &str)>,
    body: impl Fn(&W) + Send + Sync + 'static,
) {
    let body = Arc::new(body);
    for config in [KernelConfig::NONE, KernelConfig::of(KConfig::PreemptRt)] {
        let b = Arc::clone(&body);
        let label = if config.is_empty() {
            name.to_string()
        } else {
            format!("{name} (preempt-rt)")
        };
        dotest_config(&label, expected, expect, config, move |w| b(w));
    }
}

fn dotest_config(
    name: &str,
    expected: bool,
    expect: Option<(Property, &str)>,
    config: KernelConfig,
    body: impl Fn(&W) + Send + Sync + 'static,
) {
    let out: Arc<StdMutex<Verdict>> = Arc::new(StdMutex::new(Verdict::default()));
    let sink = Arc::clone(&out);
    let opts = Options {
        config,
        ..Options::default()
    };
    let run = run_model_with(VariantSet::NONE, opts, move |m, t| {
        let class = WwClass::new("ww_lockdep", Algo::WaitDie, 0);
        let w = W {
            m: Arc::clone(m),
            t: Arc::clone(t),
            o: WwMutex::new(m, "o", &class),
            o2: WwMutex::new(m, "o2", &class),
            o3: WwMutex::new(m, "o3", &class),
            class,
        };
        body(&w);
        let mut v = sink.lock().unwrap_or_else(|e| e.into_inner());
        v.debug_locks = m.lockdep.debug_locks();
        v.first = m.rec.warnings().into_iter().next();
    });
    assert!(
        run.completed,
        "{name}: the body did not complete\n{}",
        run.explain()
    );
    let v = out.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(
        v.debug_locks,
        expected,
        "{name}: expected {}, first WARN: {:?}\n{}",
        if expected { "SUCCESS" } else { "FAILURE" },
        v.first,
        run.explain()
    );
    if expected {
        assert!(v.first.is_none(), "{name}: {:?}", v.first);
    }
    if let Some((property, word)) = expect {
        let f = v.first.as_ref().expect("a WARN");
        assert_eq!(f.property, property, "{name}: {f}");
        assert!(f.message.contains(word), "{name}: {f} (wanted '{word}')");
    }
}

/// `WARN_ON(ret != x)` of the test bodies: an API check that does not touch the verdict;
/// here it is a hard assertion (the model must return what the kernel returns).
fn want(what: &str, got: i32, wanted: i32) {
    assert_eq!(got, wanted, "{what}");
}

// ------------------------------------------------------------------ ww api failures

/// `ww_test_fail_acquire`: "No lockdep test, pure API". The kernel makes `t2 = t; t2.stamp++`
/// (a younger copy with `acquired == 1`) and gets -EDEADLK on `o` in one task. Nearest
/// real interleaving: a second task with a younger context (initialised after `t`) that
/// holds `o2` asks for `o`, held by `t`: Wait-Die kills it at once (-EDEADLK).
#[test]
fn ww_test_fail_acquire() {
    dotest("ww_test_fail_acquire", SUCCESS, None, |w| {
        let t = w.wwai();
        want("WWL(o, t)", w.wwl(&w.o, &t), 0);
        want("WWL(o, t) again", w.wwl(&w.o, &t), -EALREADY);
        assert!(!w.wwt(&w.o), "WWT(o) of a held lock");
        let (class, o, o2) = (Arc::clone(&w.class), Arc::clone(&w.o), Arc::clone(&w.o2));
        let (_, h) = w.m.spawn("t2", move |t2task| {
            let t2 = ww_acquire_init(&t2task, &class);
            assert_eq!(ww_mutex_lock(&t2task, &o2, Some(&t2)), 0);
            let r = ww_mutex_lock(&t2task, &o, Some(&t2));
            ww_mutex_unlock(&t2task, &o2);
            ww_acquire_fini(&t2task, &t2);
            r
        });
        want("WWL(o, t2)", w.m.join(&w.t, h), -EDEADLK);
        w.wwu(&w.o);
        assert!(w.wwt(&w.o), "WWT(o) after unlock");
        w.wwu(&w.o);
        ww_acquire_fini(&w.t, &t);
    });
}

/// `ww_test_normal`: the plain mutex paths never touch `ww->ctx` (the kernel pokes
/// `o.ctx = (void *)~0UL` and checks it after each). The model's `ww->ctx` is written by
/// the ww paths only, so the poke is left out; the calls are the context-less lock,
/// trylock (successful, and failing against a second task holding `o`), and, after
/// `WWAI(&t)`, `mutex_lock_nest_lock(&o.base, &t)` = a lock nested under the context.
#[test]
fn ww_test_normal() {
    dotest("ww_test_normal", SUCCESS, None, |w| {
        want("mutex_lock", w.wwl1(&w.o), 0);
        w.wwu(&w.o);
        assert!(w.wwt(&w.o), "mutex_trylock");
        w.wwu(&w.o);
        let o = Arc::clone(&w.o);
        let (done, release) = (Arc::new(Completion::new()), Arc::new(Completion::new()));
        let (d2, r2) = (Arc::clone(&done), Arc::clone(&release));
        let (_, h) = w.m.spawn("holder", move |t2| {
            assert_eq!(ww_mutex_lock(&t2, &o, None), 0);
            d2.complete();
            r2.wait_for_completion(&t2, "release");
            ww_mutex_unlock(&t2, &o);
        });
        done.wait_for_completion(&w.t, "holder");
        assert!(!w.wwt(&w.o), "mutex_trylock of a held mutex");
        release.complete();
        w.m.join(&w.t, h);
        let t = w.wwai();
        want("mutex_lock_nest_lock", w.wwl(&w.o, &t), 0);
        w.wwu(&w.o);
        ww_acquire_fini(&w.t, &t);
    });
}

/// `ww_test_unneeded_slow`: `ww_mutex_lock_slow` without -EDEADLK.
#[test]
fn ww_test_unneeded_slow() {
    dotest(
        "ww_test_unneeded_slow",
        FAILURE,
        Some((Property::ClientProtocol, "contending_lock")),
        |w| {
            let t = w.wwai();
            ww_mutex_lock_slow(&w.t, &w.o, &t);
        },
    );
}

// ------------------------------------------------------------------ ww contexts mixing

/// `ww_test_two_contexts`: `WWAI(&t); WWAI(&t2);` in one task.
#[test]
fn ww_test_two_contexts() {
    dotest(
        "ww_test_two_contexts",
        FAILURE,
        Some((Property::Lockdep, "second acquire context")),
        |w| {
            w.wwai();
            w.wwai();
        },
    );
}

/// `ww_test_diff_class`: the kernel pokes `t.ww_class = NULL`; the real misuse is a
/// context of another class locking `o`.
#[test]
fn ww_test_diff_class() {
    dotest(
        "ww_test_diff_class",
        FAILURE,
        Some((Property::ClientProtocol, "another ww_class")),
        |w| {
            let other = WwClass::new("ww_lockdep_other", Algo::WaitDie, 0);
            let t = ww_acquire_init(&w.t, &other);
            w.wwl(&w.o, &t);
        },
    );
}

// ------------------------------------------------------------------ finishing ww context

#[test]
fn ww_test_context_done_twice() {
    dotest(
        "ww_test_context_done_twice",
        FAILURE,
        Some((Property::ClientProtocol, "done_acquire")),
        |w| {
            let t = w.wwai();
            ww_acquire_done(&w.t, &t);
            ww_acquire_done(&w.t, &t);
            ww_acquire_fini(&w.t, &t);
        },
    );
}

#[test]
fn ww_test_context_unlock_twice() {
    dotest(
        "ww_test_context_unlock_twice",
        FAILURE,
        Some((Property::ClientProtocol, "twice")),
        |w| {
            let t = w.wwai();
            ww_acquire_done(&w.t, &t);
            ww_acquire_fini(&w.t, &t);
            ww_acquire_fini(&w.t, &t);
        },
    );
}

#[test]
fn ww_test_context_fini_early() {
    dotest(
        "ww_test_context_fini_early",
        FAILURE,
        Some((Property::ClientProtocol, "ctx->acquired")),
        |w| {
            let t = w.wwai();
            w.wwl(&w.o, &t);
            ww_acquire_done(&w.t, &t);
            ww_acquire_fini(&w.t, &t);
        },
    );
}

#[test]
fn ww_test_context_lock_after_done() {
    dotest(
        "ww_test_context_lock_after_done",
        FAILURE,
        Some((Property::ClientProtocol, "after ww_acquire_done")),
        |w| {
            let t = w.wwai();
            ww_acquire_done(&w.t, &t);
            w.wwl(&w.o, &t);
        },
    );
}

#[test]
fn ww_test_object_unlock_twice() {
    dotest(
        "ww_test_object_unlock_twice",
        FAILURE,
        Some((Property::UnlockNotOwner, "not locked")),
        |w| {
            w.wwl1(&w.o);
            w.wwu(&w.o);
            w.wwu(&w.o);
        },
    );
}

/// `ww_test_object_lock_unbalanced`: the kernel pokes `t.acquired = 0` and then unlocks
/// `o` (`DEBUG_LOCKS_WARN_ON(!lock->ctx->acquired)`). No sequence of calls makes
/// `acquired` disagree with the `ww->ctx` pointers without another check firing first
/// (each stale pointer left by the wrong unlock function is still counted). The nearest
/// real unbalance, `o` released with `mutex_unlock()` and taken again under `t`, is
/// flagged by the neighbouring check of `ww_mutex_lock_acquired`
/// (`DEBUG_LOCKS_WARN_ON(ww->ctx)`): same verdict, the check next door.
///
/// Default configuration only: on PREEMPT_RT `__ww_rt_mutex_lock` compares `ww->ctx` with
/// the context *before* trying the lock, so the stale pointer makes the relock return
/// -EALREADY without taking `o` (the model's `ealready-misuse`), where mutex.c's fast path
/// takes the lock first and DEBUG_WW_MUTEXES warns. Shown by the `_rt` test below.
#[test]
fn ww_test_object_lock_unbalanced() {
    dotest_config(
        "ww_test_object_lock_unbalanced",
        FAILURE,
        Some((Property::ClientProtocol, "ww->ctx still set")),
        KernelConfig::NONE,
        |w| {
            let t = w.wwai();
            w.wwl(&w.o, &t);
            mutex_unlock(&w.t, &w.o);
            w.wwl(&w.o, &t);
        },
    );
}

/// The same misuse on PREEMPT_RT: -EALREADY for a lock nobody holds.
#[test]
fn ww_test_object_lock_unbalanced_rt() {
    let opts = Options {
        config: KernelConfig::of(KConfig::PreemptRt),
        ..Options::default()
    };
    let run = run_model_with(VariantSet::NONE, opts, |m, t| {
        let class = WwClass::new("ww_lockdep", Algo::WaitDie, 0);
        let o = WwMutex::new(m, "o", &class);
        let ctx = ww_acquire_init(t, &class);
        ww_mutex_lock(t, &o, Some(&ctx));
        mutex_unlock(t, &o);
        ww_mutex_lock(t, &o, Some(&ctx));
    });
    let f = run.failure.expect("a failure");
    assert_eq!(f.property, Property::EalreadyMisuse, "{f}");
}

/// `ww_test_object_lock_stale_context`: the kernel pokes `o.ctx = &t2`. Real
/// interleaving: a second task locks `o` under its context `t2` and releases it with
/// `mutex_unlock()` (the wrong function, which leaves `o.ctx = &t2`); then `WWL(&o, &t)`.
#[test]
fn ww_test_object_lock_stale_context() {
    dotest(
        "ww_test_object_lock_stale_context",
        FAILURE,
        Some((Property::ClientProtocol, "ww->ctx still set")),
        |w| {
            let t = w.wwai();
            let (class, o) = (Arc::clone(&w.class), Arc::clone(&w.o));
            let (_, h) = w.m.spawn("t2", move |t2task| {
                let t2 = ww_acquire_init(&t2task, &class);
                assert_eq!(ww_mutex_lock(&t2task, &o, Some(&t2)), 0);
                mutex_unlock(&t2task, &o);
            });
            w.m.join(&w.t, h);
            w.wwl(&w.o, &t);
        },
    );
}

// ------------------------------------------------------------------ EDEADLK handling

/// How the contended test continues after `WWL(&o2, &t)` gave -EDEADLK.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    /// `WWU(&o)`, then `WWL(&o2, &t)` / `ww_mutex_lock_slow(&o2, &t)` (o2 released).
    Normal { unlock: bool, slow: bool },
    /// `WWL(&o3, &t)` / slow, with o2 still held by the older context and o3 free
    /// (`edeadlk`: o3 also held by it).
    AcquireMore { slow: bool, edeadlk: bool },
    /// `WWU(&o)` (fully backed off), then `WWL(&o3, &t)` / slow.
    AcquireWrong { slow: bool },
}

/// The edeadlk setup: the kernel fakes "o2 (and o3) owned by an older context t2" with
/// `ww_mutex_base_lock(&o2.base); o2.ctx = &t2; mutex_release(&o2.base.dep_map)` and
/// `t2 = t; t2.stamp--`, and later releases o2 the same way. Real interleaving: a second
/// task initialises its context first (older), locks o2 (and o3), and releases them when
/// told to; the test task's context is younger, holds `o` and gets -EDEADLK on o2.
fn edeadlk(w: &W, then: Then) {
    let o3_held = matches!(then, Then::AcquireMore { edeadlk: true, .. });
    let (ready, release) = (Arc::new(Completion::new()), Arc::new(Completion::new()));
    let (class, o2, o3) = (Arc::clone(&w.class), Arc::clone(&w.o2), Arc::clone(&w.o3));
    let (r2, rel2) = (Arc::clone(&ready), Arc::clone(&release));
    let (_, h) = w.m.spawn("older_t2", move |t2task| {
        let t2 = ww_acquire_init(&t2task, &class);
        assert_eq!(ww_mutex_lock(&t2task, &o2, Some(&t2)), 0);
        if o3_held {
            assert_eq!(ww_mutex_lock(&t2task, &o3, Some(&t2)), 0);
        }
        r2.complete();
        rel2.wait_for_completion(&t2task, "release");
        if o3_held {
            ww_mutex_unlock(&t2task, &o3);
        }
        ww_mutex_unlock(&t2task, &o2);
        ww_acquire_fini(&t2task, &t2);
    });
    ready.wait_for_completion(&w.t, "older_t2 holds o2");
    let t = w.wwai();
    want("WWL(o, t)", w.wwl(&w.o, &t), 0);
    want("WWL(o2, t)", w.wwl(&w.o2, &t), -EDEADLK);
    let lock = |l: &WwMutex, slow: bool| {
        if slow {
            ww_mutex_lock_slow(&w.t, l, &t);
            0
        } else {
            w.wwl(l, &t)
        }
    };
    // Which locks `t` ends up holding, for the cleanup after the verdict's checks.
    let mut mine: Vec<Arc<WwMutex>> = vec![Arc::clone(&w.o)];
    match then {
        Then::Normal { unlock, slow } => {
            release.complete();
            w.m.join(&w.t, h);
            if unlock {
                w.wwu(&w.o);
                mine.clear();
            }
            want("WWL(o2, t)", lock(&w.o2, slow), 0);
            mine.push(Arc::clone(&w.o2));
        }
        Then::AcquireMore { slow, edeadlk } => {
            let r = lock(&w.o3, slow);
            if edeadlk && !slow {
                want("WWL(o3, t)", r, -EDEADLK);
            } else if !edeadlk {
                mine.push(Arc::clone(&w.o3));
            }
            release.complete();
            w.m.join(&w.t, h);
        }
        Then::AcquireWrong { slow } => {
            w.wwu(&w.o);
            mine.clear();
            want("WWL(o3, t)", lock(&w.o3, slow), 0);
            mine.push(Arc::clone(&w.o3));
            release.complete();
            w.m.join(&w.t, h);
        }
    }
    // reset_locks(): the kernel forgets what the case left held; the model unlocks it.
    for l in mine.iter().rev() {
        if ttm_model::ww::ww_mutex_is_locked(l) {
            w.wwu(l);
        }
    }
    ww_acquire_fini(&w.t, &t);
}

#[test]
fn ww_test_edeadlk_normal() {
    dotest("ww_test_edeadlk_normal", SUCCESS, None, |w| {
        edeadlk(
            w,
            Then::Normal {
                unlock: true,
                slow: false,
            },
        )
    });
}

#[test]
fn ww_test_edeadlk_normal_slow() {
    dotest("ww_test_edeadlk_normal_slow", SUCCESS, None, |w| {
        edeadlk(
            w,
            Then::Normal {
                unlock: true,
                slow: true,
            },
        )
    });
}

#[test]
fn ww_test_edeadlk_no_unlock() {
    dotest(
        "ww_test_edeadlk_no_unlock",
        FAILURE,
        Some((Property::ClientProtocol, "forgot to unlock")),
        |w| {
            edeadlk(
                w,
                Then::Normal {
                    unlock: false,
                    slow: false,
                },
            )
        },
    );
}

#[test]
fn ww_test_edeadlk_no_unlock_slow() {
    dotest(
        "ww_test_edeadlk_no_unlock_slow",
        FAILURE,
        Some((Property::ClientProtocol, "forgot to unlock")),
        |w| {
            edeadlk(
                w,
                Then::Normal {
                    unlock: false,
                    slow: true,
                },
            )
        },
    );
}

#[test]
fn ww_test_edeadlk_acquire_more() {
    dotest(
        "ww_test_edeadlk_acquire_more",
        FAILURE,
        Some((
            Property::ClientProtocol,
            "after -EDEADLK on another ww_mutex",
        )),
        |w| {
            edeadlk(
                w,
                Then::AcquireMore {
                    slow: false,
                    edeadlk: false,
                },
            )
        },
    );
}

#[test]
fn ww_test_edeadlk_acquire_more_slow() {
    dotest(
        "ww_test_edeadlk_acquire_more_slow",
        FAILURE,
        Some((
            Property::ClientProtocol,
            "after -EDEADLK on another ww_mutex",
        )),
        |w| {
            edeadlk(
                w,
                Then::AcquireMore {
                    slow: true,
                    edeadlk: false,
                },
            )
        },
    );
}

#[test]
fn ww_test_edeadlk_acquire_more_edeadlk() {
    dotest(
        "ww_test_edeadlk_acquire_more_edeadlk",
        FAILURE,
        Some((Property::ClientProtocol, "second -EDEADLK")),
        |w| {
            edeadlk(
                w,
                Then::AcquireMore {
                    slow: false,
                    edeadlk: true,
                },
            )
        },
    );
}

#[test]
fn ww_test_edeadlk_acquire_more_edeadlk_slow() {
    dotest(
        "ww_test_edeadlk_acquire_more_edeadlk_slow",
        FAILURE,
        Some((Property::ClientProtocol, "second -EDEADLK")),
        |w| {
            edeadlk(
                w,
                Then::AcquireMore {
                    slow: true,
                    edeadlk: true,
                },
            )
        },
    );
}

/// The kernel-doc's "back off and proceed without the contended lock": flagged.
#[test]
fn ww_test_edeadlk_acquire_wrong() {
    dotest(
        "ww_test_edeadlk_acquire_wrong",
        FAILURE,
        Some((
            Property::ClientProtocol,
            "after -EDEADLK on another ww_mutex",
        )),
        |w| edeadlk(w, Then::AcquireWrong { slow: false }),
    );
}

#[test]
fn ww_test_edeadlk_acquire_wrong_slow() {
    dotest(
        "ww_test_edeadlk_acquire_wrong_slow",
        FAILURE,
        Some((
            Property::ClientProtocol,
            "after -EDEADLK on another ww_mutex",
        )),
        |w| edeadlk(w, Then::AcquireWrong { slow: true }),
    );
}

// ------------------------------------------------------------------ spinlock nest test

/// `ww_test_spin_nest_unlocked`: `spin_lock_nest_lock(&lock_A, &o.base)` with `o` free.
#[test]
fn ww_test_spin_nest_unlocked() {
    dotest(
        "ww_test_spin_nest_unlocked",
        FAILURE,
        Some((Property::Lockdep, "Nested lock was not taken")),
        |w| {
            w.m.lockdep
                .acquire_nest(&w.t, "lock_A", LockKind::Spin, w.class.mutex_name);
            w.u("lock_A");
        },
    );
}

/// `ww_test_spin_nest_lock`: "This is not a deadlock, because we have X1 to serialize Y1
/// and Y2".
#[test]
fn ww_test_spin_nest_lock() {
    dotest("ww_test_spin_nest_lock", SUCCESS, None, |w| {
        w.l("lock_X1");
        w.m.lockdep
            .acquire_nest(&w.t, "lock_Y", LockKind::Spin, "lock_X1");
        w.l("lock_A");
        w.m.lockdep
            .acquire_nest(&w.t, "lock_Y", LockKind::Spin, "lock_X1");
        w.u("lock_A");
        w.u("lock_Y");
        w.u("lock_Y");
        w.u("lock_X1");
    });
}

// ------------------------------------------------------------------ context / try / block

#[test]
fn ww_test_context_block() {
    dotest(
        "ww_test_context_block",
        FAILURE,
        Some((Property::Lockdep, "NULL")),
        |w| {
            let t = w.wwai();
            w.wwl(&w.o, &t);
            w.wwl1(&w.o2);
        },
    );
}

#[test]
fn ww_test_context_try() {
    dotest("ww_test_context_try", SUCCESS, None, |w| {
        let t = w.wwai();
        w.wwl(&w.o, &t);
        assert!(w.wwt(&w.o2));
        w.wwu(&w.o2);
        w.wwu(&w.o);
        ww_acquire_fini(&w.t, &t);
    });
}

#[test]
fn ww_test_context_context() {
    dotest("ww_test_context_context", SUCCESS, None, |w| {
        let t = w.wwai();
        w.wwl(&w.o, &t);
        w.wwl(&w.o2, &t);
        w.wwu(&w.o2);
        w.wwu(&w.o);
        ww_acquire_fini(&w.t, &t);
    });
}

#[test]
fn ww_test_try_block() {
    dotest(
        "ww_test_try_block",
        FAILURE,
        Some((Property::Lockdep, "recursive")),
        |w| {
            assert!(w.wwt(&w.o));
            w.wwl1(&w.o2);
            w.wwu(&w.o2);
            w.wwu(&w.o);
        },
    );
}

#[test]
fn ww_test_try_try() {
    dotest("ww_test_try_try", SUCCESS, None, |w| {
        assert!(w.wwt(&w.o));
        assert!(w.wwt(&w.o2));
        w.wwu(&w.o2);
        w.wwu(&w.o);
    });
}

#[test]
fn ww_test_try_context() {
    dotest(
        "ww_test_try_context",
        FAILURE,
        Some((Property::Lockdep, "outside the context")),
        |w| {
            assert!(w.wwt(&w.o));
            let t = w.wwai();
            w.wwl(&w.o2, &t);
        },
    );
}

#[test]
fn ww_test_block_block() {
    dotest(
        "ww_test_block_block",
        FAILURE,
        Some((Property::Lockdep, "recursive")),
        |w| {
            w.wwl1(&w.o);
            w.wwl1(&w.o2);
        },
    );
}

#[test]
fn ww_test_block_try() {
    dotest("ww_test_block_try", SUCCESS, None, |w| {
        w.wwl1(&w.o);
        assert!(w.wwt(&w.o2));
        w.wwu(&w.o2);
        w.wwu(&w.o);
    });
}

#[test]
fn ww_test_block_context() {
    dotest(
        "ww_test_block_context",
        FAILURE,
        Some((Property::Lockdep, "outside the context")),
        |w| {
            w.wwl1(&w.o);
            let t = w.wwai();
            w.wwl(&w.o2, &t);
        },
    );
}

// ------------------------------------------------------------------ spinlock

#[test]
fn ww_test_spin_block() {
    dotest(
        "ww_test_spin_block",
        FAILURE,
        Some((Property::Lockdep, "spinlock lock_A")),
        |w| {
            w.l("lock_A");
            w.u("lock_A");
            w.wwl1(&w.o);
            w.l("lock_A");
            w.u("lock_A");
            w.wwu(&w.o);
            w.l("lock_A");
            w.wwl1(&w.o);
            w.wwu(&w.o);
            w.u("lock_A");
        },
    );
}

#[test]
fn ww_test_spin_try() {
    dotest("ww_test_spin_try", SUCCESS, None, |w| {
        w.l("lock_A");
        w.u("lock_A");
        assert!(w.wwt(&w.o));
        w.l("lock_A");
        w.u("lock_A");
        w.wwu(&w.o);
        w.l("lock_A");
        assert!(w.wwt(&w.o));
        w.wwu(&w.o);
        w.u("lock_A");
    });
}

#[test]
fn ww_test_spin_context() {
    dotest(
        "ww_test_spin_context",
        FAILURE,
        Some((Property::Lockdep, "spinlock lock_A")),
        |w| {
            w.l("lock_A");
            w.u("lock_A");
            let t = w.wwai();
            w.wwl(&w.o, &t);
            w.l("lock_A");
            w.u("lock_A");
            w.wwu(&w.o);
            w.l("lock_A");
            w.wwl(&w.o, &t);
            w.wwu(&w.o);
            w.u("lock_A");
        },
    );
}
