//! PREEMPT_RT scenarios (`rt-*`, area ww; every one has CONFIG_PREEMPT_RT in its
//! `Options.config`): the shapes of the RT-only bugs B4, B5, B6 (`../shared/spec/bugs.md`)
//! and the two 2024 wake_q regressions, a priority-inheritance chain over plain
//! rt_mutexes, and the test-ww_mutex ABBA / cycle ports under RT.

use crate::model::completion::Completion;
use crate::model::config::{KConfig, KernelConfig};
use crate::model::sync::Arc;
use crate::model::trace::EDEADLK;
use crate::model::{Machine, Options, Task};
use crate::scenario::common::{check_quiescent, expect};
use crate::scenario::{Scenario, scenario};
use crate::ww::rt_mutex::{
    DEFAULT_PRIO, RtMutex, rt_mutex_lock, rt_mutex_unlock, sched_setscheduler, set_max_lock_depth,
};
use crate::ww::{
    Algo, WwClass, WwMutex, ww_acquire_fini, ww_acquire_init, ww_mutex_lock, ww_mutex_lock_slow,
    ww_mutex_unlock,
};

/// CONFIG_PREEMPT_RT.
pub const RT: KernelConfig = KernelConfig::of(KConfig::PreemptRt);

/// CONFIG_PREEMPT_RT with CONFIG_DEBUG_RT_MUTEXES (deadlock detection in every chain walk).
pub fn rt_debug() -> KernelConfig {
    RT.with(KConfig::DebugRtMutexes)
}

fn opts(config: KernelConfig) -> Options {
    Options {
        config,
        ..Options::default()
    }
}

/// A ww context that takes `locks` in order, backing off (unlock all, slow-lock the
/// contended one, restart) on -EDEADLK; returns after unlocking everything.
fn transaction(t: &Arc<Task>, class: &Arc<WwClass>, locks: &[Arc<WwMutex>], between: &dyn Fn()) {
    let ctx = ww_acquire_init(t, class);
    let mut held: Vec<usize> = Vec::new();
    let mut slow: Option<usize> = None;
    let mut i = 0;
    let mut first_round = true;
    while i < locks.len() {
        if slow == Some(i) {
            i += 1;
            continue;
        }
        let ret = ww_mutex_lock(t, &locks[i], Some(&ctx));
        if ret == -EDEADLK {
            for &h in held.iter().rev() {
                ww_mutex_unlock(t, &locks[h]);
            }
            held.clear();
            ww_mutex_lock_slow(t, &locks[i], &ctx);
            held.push(i);
            slow = Some(i);
            first_round = false;
            i = 0;
            continue;
        }
        held.push(i);
        if i == 0 && first_round {
            first_round = false;
            between();
        }
        i += 1;
    }
    for &h in held.iter().rev() {
        ww_mutex_unlock(t, &locks[h]);
    }
    ww_acquire_fini(t, &ctx);
}

/// B4 (6467822b8cc9): P1 holds plain A and ww_A and wants ww_B; P2 holds ww_B and wants
/// ww_A; P3 wants A. With CONFIG_DEBUG_RT_MUTEXES every chain walk detects deadlocks;
/// `max_lock_depth` is lowered to 8 (the sysctl) so that a walk circling the transient ww
/// cycle reaches it within a model run (the bug does not depend on the value).
fn b4_chain(m: &Arc<Machine>, main: &Arc<Task>) {
    set_max_lock_depth(m, 8);
    let class = WwClass::new("rt_b4_class", Algo::WaitDie, 0);
    let a = RtMutex::new(m, "A");
    let ww_a = WwMutex::new(m, "ww_A", &class);
    let ww_b = WwMutex::new(m, "ww_B", &class);
    let p1_ready = Arc::new(Completion::new());
    let p2_ready = Arc::new(Completion::new());
    let h1 = {
        let (a, ww_a, ww_b, class, r1, r2) = (
            Arc::clone(&a),
            Arc::clone(&ww_a),
            Arc::clone(&ww_b),
            Arc::clone(&class),
            Arc::clone(&p1_ready),
            Arc::clone(&p2_ready),
        );
        m.spawn("P1", move |t| {
            expect(&t.machine, rt_mutex_lock(&t, &a) == 0, || {
                "P1: rt_mutex_lock(A)".into()
            });
            transaction(&t, &class, &[ww_a, ww_b], &|| {
                // Two waiters (P2 and P3).
                r1.complete();
                r1.complete();
                r2.wait_for_completion(&t, "P2 holds ww_B");
            });
            rt_mutex_unlock(&t, &a);
        })
        .1
    };
    let h2 = {
        let (ww_a, ww_b, class, r1, r2) = (
            Arc::clone(&ww_a),
            Arc::clone(&ww_b),
            Arc::clone(&class),
            Arc::clone(&p1_ready),
            Arc::clone(&p2_ready),
        );
        m.spawn("P2", move |t| {
            transaction(&t, &class, &[ww_b, ww_a], &|| {
                r2.complete();
                r1.wait_for_completion(&t, "P1 holds A and ww_A");
            });
        })
        .1
    };
    // P3 (main): waits for A once P1 holds it.
    p1_ready.wait_for_completion(main, "P1 holds A");
    let ret = rt_mutex_lock(main, &a);
    expect(m, ret == 0, || {
        format!("P3: rt_mutex_lock(A) returned {ret}")
    });
    rt_mutex_unlock(main, &a);
    m.join(main, h1);
    m.join(main, h2);
    check_quiescent(m, &[ww_a, ww_b]);
}

/// ABBA of two contexts under RT (both sides back off on -EDEADLK).
fn abba(m: &Arc<Machine>, main: &Arc<Task>, algo: Algo, worker_prio: Option<i32>) {
    let class = WwClass::new(
        if algo == Algo::WaitDie {
            "rt_wd_class"
        } else {
            "rt_ww_class"
        },
        algo,
        0,
    );
    let a = WwMutex::new(m, "A", &class);
    let b = WwMutex::new(m, "B", &class);
    let ra = Arc::new(Completion::new());
    let rb = Arc::new(Completion::new());
    let (worker, h) = {
        let (a, b, class, ra, rb) = (
            Arc::clone(&a),
            Arc::clone(&b),
            Arc::clone(&class),
            Arc::clone(&ra),
            Arc::clone(&rb),
        );
        m.spawn("abba_work", move |t| {
            transaction(&t, &class, &[b, a], &|| {
                rb.complete();
                ra.wait_for_completion(&t, "abba ready");
            });
        })
    };
    if let Some(p) = worker_prio {
        sched_setscheduler(main, &worker, p, 0);
    }
    transaction(main, &class, &[Arc::clone(&a), Arc::clone(&b)], &|| {
        ra.complete();
        rb.wait_for_completion(main, "abba ready");
    });
    m.join(main, h);
    if worker_prio.is_some() {
        sched_setscheduler(main, &worker, DEFAULT_PRIO, 0);
    }
    check_quiescent(m, &[a, b]);
}

/// B6 (37e8abff2beb): main holds L (no context). Ctx `cur` (younger, no lock held) waits
/// for L; ctx `us` (older, holding Y) then asks for L while main raises `cur`'s task to
/// SCHED_FIFO: in the window between `rt_mutex_setprio` and the chain walk's re-queue,
/// `us` sorts first in L's rbtree (stale keys) but `__ww_ctx_less` already ranks the
/// boosted `cur` higher, so Wait-Die kills `us` in `__ww_mutex_add_waiter` while it is the
/// top waiter.
fn b6_backout(m: &Arc<Machine>, main: &Arc<Task>) {
    let class = WwClass::new("rt_b6_class", Algo::WaitDie, 0);
    let l = WwMutex::new(m, "L", &class);
    let y = WwMutex::new(m, "Y", &class);
    ww_mutex_lock(main, &l, None);
    let us_init = Arc::new(Completion::new());
    let go = Arc::new(Completion::new());
    let (_, h_us) = {
        let (l, y, class, us_init, go) = (
            Arc::clone(&l),
            Arc::clone(&y),
            Arc::clone(&class),
            Arc::clone(&us_init),
            Arc::clone(&go),
        );
        m.spawn("us", move |t| {
            let ctx = ww_acquire_init(&t, &class);
            us_init.complete();
            expect(&t.machine, ww_mutex_lock(&t, &y, Some(&ctx)) == 0, || {
                "us: Y".into()
            });
            go.wait_for_completion(&t, "cur waits for L");
            let ret = ww_mutex_lock(&t, &l, Some(&ctx));
            if ret == 0 {
                ww_mutex_unlock(&t, &l);
            }
            ww_mutex_unlock(&t, &y);
            ww_acquire_fini(&t, &ctx);
        })
    };
    let (cur_task, h_cur) = {
        let (l, class, us_init) = (Arc::clone(&l), Arc::clone(&class), Arc::clone(&us_init));
        m.spawn("cur", move |t| {
            us_init.wait_for_completion(&t, "the older context exists");
            let ctx = ww_acquire_init(&t, &class);
            let ret = ww_mutex_lock(&t, &l, Some(&ctx));
            expect(&t.machine, ret == 0, || {
                format!("cur: ww_mutex_lock(L) = {ret}")
            });
            ww_mutex_unlock(&t, &l);
            ww_acquire_fini(&t, &ctx);
        })
    };
    // Wait until `cur` sleeps on L (a ghost read of the wait-for record, as the selftests
    // wait with timeouts), then let `us` go while `cur` is raised to SCHED_FIFO 10.
    while m.rec.with(|r| r.tasks[cur_task.id as usize].blocked_lock) != Some(l.uid) {
        crate::model::sync::yield_now();
    }
    go.complete();
    sched_setscheduler(main, &cur_task, 10, 0);
    ww_mutex_unlock(main, &l);
    m.join(main, h_us);
    m.join(main, h_cur);
    sched_setscheduler(main, &cur_task, DEFAULT_PRIO, 0);
    check_quiescent(m, &[l, y]);
}

/// A PI chain over plain rt_mutexes: `low` (normal) holds B, `mid` (FIFO 50) holds A and
/// waits for B, `high` (FIFO 10) waits for A: `low` must run at 10 until it releases B.
fn pi_chain(m: &Arc<Machine>, main: &Arc<Task>) {
    let a = RtMutex::new(m, "A");
    let b = RtMutex::new(m, "B");
    let b_held = Arc::new(Completion::new());
    let a_held = Arc::new(Completion::new());
    let (low_task, h_low) = {
        let (b, b_held, a_held) = (Arc::clone(&b), Arc::clone(&b_held), Arc::clone(&a_held));
        m.spawn("low", move |t| {
            rt_mutex_lock(&t, &b);
            b_held.complete();
            a_held.wait_for_completion(&t, "mid holds A");
            rt_mutex_unlock(&t, &b);
        })
    };
    let (mid_task, h_mid) = {
        let (a, b, b_held, a_held) = (
            Arc::clone(&a),
            Arc::clone(&b),
            Arc::clone(&b_held),
            Arc::clone(&a_held),
        );
        m.spawn("mid", move |t| {
            b_held.wait_for_completion(&t, "low holds B");
            rt_mutex_lock(&t, &a);
            // Two waiters (low and main).
            a_held.complete();
            a_held.complete();
            rt_mutex_lock(&t, &b);
            rt_mutex_unlock(&t, &b);
            rt_mutex_unlock(&t, &a);
        })
    };
    sched_setscheduler(main, &mid_task, 50, 0);
    sched_setscheduler(main, main, 10, 0);
    a_held.wait_for_completion(main, "mid holds A");
    rt_mutex_lock(main, &a);
    rt_mutex_unlock(main, &a);
    m.join(main, h_mid);
    m.join(main, h_low);
    let _ = low_task;
}

pub fn register(out: &mut Vec<Scenario>) {
    out.push(scenario(
        "rt-b4-chain",
        "PREEMPT_RT + DEBUG_RT_MUTEXES: P1 holds plain A and ww_A and wants ww_B, P2 holds ww_B and wants \
         ww_A, P3 wants A (B4: P3's chain walk through the transient ww cycle)",
        4,
        opts(rt_debug()),
        b4_chain,
    ));
    out.push(scenario(
        "rt-b5-abba",
        "PREEMPT_RT: ABBA of two Wait-Die contexts, the worker at SCHED_FIFO 10: its boost of the \
         other owner drives the PI chain walk around the ww cycle (B5: -EDEADLK must come from \
         the ww rules)",
        2,
        opts(RT),
        |m, main| abba(m, main, Algo::WaitDie, Some(10)),
    ));
    out.push(scenario(
        "rt-b6-backout",
        "PREEMPT_RT: a Wait-Die early kill of the top waiter, outranked by a waiter boosted by \
         sched_setscheduler before the chain walk re-queued it (B6)",
        3,
        opts(RT),
        b6_backout,
    ));
    for (algo, c) in [(Algo::WaitDie, "wd"), (Algo::WoundWait, "ww")] {
        out.push(scenario(
            &format!("rt-abba-{c}"),
            &format!(
                "PREEMPT_RT: two contexts lock A,B and B,A and back off ({c}); die/wound wakeups \
                 queued by __ww_mutex_add_waiter"
            ),
            2,
            opts(RT),
            move |m, main| abba(m, main, algo, None),
        ));
    }
    out.push(scenario(
        "rt-pi-chain",
        "PREEMPT_RT: priority inheritance through two plain rt_mutexes (FIFO 10 -> FIFO 50 -> \
         normal): the chain walk boosts the owner at the end of the chain",
        3,
        opts(RT),
        pi_chain,
    ));
}
