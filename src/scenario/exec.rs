//! drm_exec scenarios: transactions of 2-4 contexts locking overlapping object sets in
//! different orders with back-off and retry, the B8 driver loop, and eviction-style
//! bodies whose requested set changes after a contention (B10 and the v3 double unlock).

use super::common::{check_quiescent, expect};
use super::{Scenario, scenario};
use crate::drm_exec_retry_on_contention;
use crate::model::fault;
use crate::model::sync::Arc;
use crate::model::trace::{EBUSY, ENOMEM, errno_name};
use crate::model::{Machine, Options, Task};
use crate::ww::{DrmExec, GemObject, WwClass, WwMutex};
use std::ops::ControlFlow;

fn objects(m: &Machine, class: &Arc<WwClass>, n: usize) -> Vec<Arc<GemObject>> {
    (0..n)
        .map(|i| GemObject::new(m, &format!("bo{i}"), class))
        .collect()
}

fn resvs(objs: &[Arc<GemObject>]) -> Vec<Arc<WwMutex>> {
    objs.iter().map(|o| Arc::clone(&o.resv)).collect()
}

/// One preparation call of a drm_exec transaction body.
pub enum Prepare {
    /// `drm_exec_prepare_obj(exec, obj, 1)`.
    Obj(Arc<GemObject>),
    /// `drm_exec_prepare_array(exec, objs, n, 1)` (possibly empty).
    Array(Vec<Arc<GemObject>>),
}

/// A drm_exec transaction whose body makes the `steps` calls, each followed by
/// `drm_exec_retry_on_contention`; it must succeed (`what` names it in the failure), or
/// fail with an injected -ENOMEM. Returns how many objects were locked at the end (None
/// after an injected failure).
pub fn transaction(
    t: &Arc<Task>,
    class: &Arc<WwClass>,
    steps: &[Prepare],
    what: &str,
) -> Option<usize> {
    let mut exec = DrmExec::init(t, class, 0);
    let ret = exec.until_all_locked(|exec| {
        for step in steps {
            let ret = match step {
                Prepare::Obj(obj) => exec.prepare_obj(obj, 1),
                Prepare::Array(objs) => exec.prepare_array(objs, 1),
            };
            drm_exec_retry_on_contention!(exec);
            if ret != 0 {
                return ControlFlow::Break(ret);
            }
        }
        ControlFlow::Continue(())
    });
    expect(&t.machine, ret == 0 || injected_enomem(t, ret), || {
        format!("{what} failed with {}", errno_name(ret))
    });
    let locked = exec.objects().len();
    exec.fini();
    if ret != 0 { None } else { Some(locked) }
}

/// The one error a drm_exec transaction may end with on the fixed model: the -ENOMEM of
/// an injected `drm_exec_obj_locked` / `dma_resv_reserve_fences` failure of this task,
/// propagated out of the loop as drm_exec_prepare_obj / drm_exec_lock_obj do.
fn injected_enomem(t: &Task, ret: i32) -> bool {
    ret == -ENOMEM && fault::task_saw_injection(t)
}

/// A typical command submission: prepare every object of `set` with one fence slot.
pub fn submit(t: &Arc<Task>, class: &Arc<WwClass>, set: &[Arc<GemObject>]) {
    let steps: Vec<Prepare> = set.iter().map(|o| Prepare::Obj(Arc::clone(o))).collect();
    if let Some(locked) = transaction(t, class, &steps, "drm_exec submission") {
        expect(&t.machine, locked == set.len(), || {
            format!("drm_exec locked {locked} objects, {} requested", set.len())
        });
    }
}

/// `n` contexts over `n + 1` objects: context i locks objects i, i+1, i+2 (mod n+1),
/// odd contexts in reverse order.
fn exec_contexts(m: &Arc<Machine>, main: &Arc<Task>, n: usize) {
    let class = WwClass::reservation();
    let objs = objects(m, &class, n + 1);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let mut set: Vec<Arc<GemObject>> = (0..3.min(n + 1))
                .map(|k| Arc::clone(&objs[(i + k) % (n + 1)]))
                .collect();
            if i % 2 == 1 {
                set.reverse();
            }
            let class = Arc::clone(&class);
            m.spawn("drm_exec_submit", move |t| submit(&t, &class, &set))
                .1
        })
        .collect();
    for h in handles {
        m.join(main, h);
    }
    check_quiescent(m, &resvs(&objs));
}

/// Two tasks over the same objects, the second in reverse order, each running `client`;
/// joined by `main`, then every reservation must be free.
fn two_reversed(
    m: &Arc<Machine>,
    main: &Arc<Task>,
    name: &str,
    client: impl Fn(&Arc<Task>, &Arc<WwClass>, &[Arc<GemObject>]) + Clone + Send + Sync + 'static,
) {
    let class = WwClass::reservation();
    let objs = objects(m, &class, 2);
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let mut set = objs.clone();
            if i == 1 {
                set.reverse();
            }
            let class = Arc::clone(&class);
            let client = client.clone();
            m.spawn(name, move |t| client(&t, &class, &set)).1
        })
        .collect();
    for h in handles {
        m.join(main, h);
    }
    check_quiescent(m, &resvs(&objs));
}

/// The B8 driver loop: an empty prepare_array, then the real one.
fn exec_empty_array(m: &Arc<Machine>, main: &Arc<Task>) {
    two_reversed(m, main, "drm_exec_driver", |t, class, set| {
        let steps = [Prepare::Array(vec![]), Prepare::Array(set.to_vec())];
        transaction(t, class, &steps, "drm_exec driver loop");
    });
}

/// Eviction-style body: the first iteration wants both objects; after a contention it
/// settles for the first one (`give_up`: it gives up with -EBUSY instead).
fn exec_evict(m: &Arc<Machine>, main: &Arc<Task>, give_up: bool) {
    two_reversed(m, main, "evict", move |t, class, set| {
        let mut exec = DrmExec::init(t, class, 0);
        let mut iteration = 0;
        let ret = exec.until_all_locked(|exec| {
            iteration += 1;
            let ret = exec.lock_obj(&set[0]);
            drm_exec_retry_on_contention!(exec);
            if ret != 0 {
                return ControlFlow::Break(ret);
            }
            if iteration > 1 {
                // Contended before: settle for what we have (or give up).
                return if give_up {
                    ControlFlow::Break(-EBUSY)
                } else {
                    ControlFlow::Continue(())
                };
            }
            let ret = exec.lock_obj(&set[1]);
            drm_exec_retry_on_contention!(exec);
            if ret != 0 {
                return ControlFlow::Break(ret);
            }
            ControlFlow::Continue(())
        });
        expect(
            &t.machine,
            ret == 0 || ret == -EBUSY || injected_enomem(t, ret),
            || format!("eviction failed with {}", errno_name(ret)),
        );
        exec.fini();
    });
}

pub fn register(out: &mut Vec<Scenario>) {
    for n in [2usize, 3, 4] {
        out.push(scenario(
            &format!("exec-ctx{n}"),
            &format!("drm_exec: {n} contexts prepare overlapping sets of 3 objects in different orders, back-off and retry"),
            n + 1,
            Options::default(),
            move |m, main| exec_contexts(m, main, n),
        ));
    }
    out.push(scenario(
        "exec-empty-array",
        "drm_exec driver loop with an empty drm_exec_prepare_array before the real one (B8)",
        3,
        Options::default(),
        exec_empty_array,
    ));
    out.push(scenario(
        "exec-evict-set",
        "drm_exec eviction body that asks for fewer objects after a contention (B10)",
        3,
        Options::default(),
        |m, main| exec_evict(m, main, false),
    ));
    out.push(scenario(
        "exec-evict-giveup",
        "drm_exec eviction body that gives up (-EBUSY) after a contention, before re-asking for the prelocked object",
        3,
        Options::default(),
        |m, main| exec_evict(m, main, true),
    ));
}
