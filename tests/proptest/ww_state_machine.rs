//! Sequential conformance of the ww_mutex API (spec §2) against a hand-written reference
//! model, with proptest-state-machine.
//!
//! One task, one class (Wait-Die or Wound-Wait), 2-3 locks, 1-2 acquire-context slots.
//! Transitions: `ww_mutex_lock` (with a slot's context or NULL), `ww_mutex_trylock`
//! (same), `ww_mutex_unlock`, `mutex_unlock` (the wrong unlock function), `ww_mutex_lock_slow`,
//! `ww_acquire_done`, `ww_acquire_fini`, and `ww_acquire_init` of a finished slot.
//!
//! The reference tracks the kernel's fields, not just "who holds what": per lock the base
//! mutex owner (`held`), `ww->ctx` and the model's ghost holder context; per context its
//! stamp, `acquired`, `done_acquire`, fini, `contending_lock`. From them it predicts every
//! return code (0 / -EALREADY / -EDEADLK, trylock 1/0), every `acquired` count and
//! `ww_mutex_is_locked`, and which step is reported as which misuse property.
//!
//! -EDEADLK in one task: with two contexts, Wait-Die kills a younger context holding locks
//! that asks for a lock held by an older context (no sleeping needed: the kill check runs
//! before the first `schedule()`). Every other wait in one task blocks forever (self-
//! deadlock), so those transitions are excluded by the preconditions; this includes all
//! cross-context waits under Wound-Wait (the wound goes to the caller itself).
//!
//! Each SUT step replays the whole prefix in one `run_sequential` execution (model
//! objects cannot outlive a shuttle execution) and compares the last step, the snapshot
//! after it, and that the earlier steps replayed identically.
//!
//! Coverage check: `WW_SM_STATS=1 cargo test --release --test proptest api_conforms --
//! --nocapture | grep ^STAT` prints every executed step with its predicted outcome.

use crate::harness::{RunResult, config, run_model};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use std::collections::BTreeMap;
use std::sync::Mutex as StdMutex;
use ttm_model::model::sync::Arc;
use ttm_model::model::trace::{EALREADY, EDEADLK};
use ttm_model::model::{ModelFailure, Property};
use ttm_model::ww::{
    Algo, WwAcquireCtx, WwClass, WwMutex, mutex_unlock, ww_acquire_done, ww_acquire_fini,
    ww_acquire_init, ww_mutex_is_locked, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_trylock,
    ww_mutex_unlock,
};

const LOCK_NAMES: [&str; 3] = ["A", "B", "C"];

/// One API call. `ctx` names a context slot; `None` is the NULL context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lock {
        lock: usize,
        ctx: Option<usize>,
    },
    Trylock {
        lock: usize,
        ctx: Option<usize>,
    },
    Unlock {
        lock: usize,
    },
    /// `mutex_unlock(&ww->base)`: the wrong unlock function, leaves `ww->ctx` set.
    MutexUnlock {
        lock: usize,
    },
    LockSlow {
        lock: usize,
        ctx: usize,
    },
    AcquireDone {
        ctx: usize,
    },
    AcquireFini {
        ctx: usize,
    },
    /// `ww_acquire_init` into a slot whose previous context was finished.
    AcquireInit {
        ctx: usize,
    },
}

/// What a call returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    Code(i32),
    Bool(bool),
    Unit,
}

/// How a call ends in the reference model.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stop {
    /// The single task would sleep forever: excluded by the preconditions.
    Blocks,
    /// The model reports this property; `why` documents the expected check.
    Fails(Property, &'static str),
}

#[derive(Clone, Debug)]
pub struct RefCtx {
    stamp: u64,
    acquired: usize,
    done: bool,
    finished: bool,
    contending: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct RefLock {
    /// The task owns the base mutex.
    held: bool,
    /// `ww->ctx`: index into `RefState::ctxs`.
    ww_ctx: Option<usize>,
    /// The context the lock was acquired with (the model's ghost state behind the
    /// -EALREADY property).
    ghost_ctx: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct RefState {
    algo: Algo,
    locks: Vec<RefLock>,
    /// Every context initialised so far (index + 1 = the model's ctx id, stamp order).
    ctxs: Vec<RefCtx>,
    /// Slot → index into `ctxs`.
    slots: Vec<usize>,
    /// Lockdep is on: one context slot. With two, the second `ww_acquire_init` of the
    /// setup is itself a lockdep splat (a second context of the class in one task), after
    /// which lockdep is off, as `debug_locks_off()` leaves it in the kernel; the
    /// DEBUG_WW_MUTEXES checks go on warning.
    lockdep: bool,
    /// The property failure of the last step, or of an earlier one (terminal).
    failure: Option<(Property, &'static str)>,
    /// Return of the last step.
    last: Option<Ret>,
}

impl RefState {
    fn new(algo: Algo, nlocks: usize, nctx: usize) -> Self {
        let mut s = RefState {
            algo,
            locks: vec![RefLock::default(); nlocks],
            ctxs: Vec::new(),
            slots: Vec::new(),
            lockdep: nctx == 1,
            failure: None,
            last: None,
        };
        for _ in 0..nctx {
            let c = s.new_ctx();
            s.slots.push(c);
        }
        s
    }

    fn new_ctx(&mut self) -> usize {
        self.ctxs.push(RefCtx {
            stamp: self.ctxs.len() as u64 + 1,
            acquired: 0,
            done: false,
            finished: false,
            contending: None,
        });
        self.ctxs.len() - 1
    }

    fn in_range(&self, op: &Op) -> bool {
        let (l, c) = match *op {
            Op::Lock { lock, ctx } | Op::Trylock { lock, ctx } => (Some(lock), ctx),
            Op::Unlock { lock } | Op::MutexUnlock { lock } => (Some(lock), None),
            Op::LockSlow { lock, ctx } => (Some(lock), Some(ctx)),
            Op::AcquireDone { ctx } | Op::AcquireFini { ctx } | Op::AcquireInit { ctx } => {
                (None, Some(ctx))
            }
        };
        l.is_none_or(|l| l < self.locks.len()) && c.is_none_or(|c| c < self.slots.len())
    }

    /// No live context is older (the model's `is_oldest`, ticket order).
    fn is_oldest(&self, c: usize) -> bool {
        !self
            .ctxs
            .iter()
            .enumerate()
            .any(|(i, o)| i != c && !o.finished && o.stamp < self.ctxs[c].stamp)
    }

    /// `ww_mutex_lock_acquired` (DEBUG_WW_MUTEXES checks, spec §2.10) after the base mutex
    /// was taken, then the ghost holder update.
    fn acquired(&mut self, l: usize, c: usize) -> Result<(), Stop> {
        if self.locks[l].ww_ctx.is_some() {
            return Err(Stop::Fails(
                Property::ClientProtocol,
                "acquired with ww->ctx still set (mutex_unlock)",
            ));
        }
        let ctx = &mut self.ctxs[c];
        if ctx.done {
            return Err(Stop::Fails(
                Property::ClientProtocol,
                "locked after ww_acquire_done/fini",
            ));
        }
        if let Some(x) = ctx.contending {
            if x != l {
                return Err(Stop::Fails(
                    Property::ClientProtocol,
                    "acquired another lock after -EDEADLK",
                ));
            }
            if ctx.acquired > 0 {
                return Err(Stop::Fails(
                    Property::ClientProtocol,
                    "re-locked the contended lock while holding locks",
                ));
            }
            ctx.contending = None;
        }
        ctx.acquired += 1;
        let lock = &mut self.locks[l];
        lock.held = true;
        lock.ww_ctx = Some(c);
        lock.ghost_ctx = Some(c);
        Ok(())
    }

    /// `ww_mutex_lock(lock, ctx)`.
    fn lock(&mut self, l: usize, ctx: Option<usize>) -> Result<Ret, Stop> {
        let Some(slot) = ctx else {
            if self.locks[l].held {
                return Err(Stop::Blocks);
            }
            // lockdep: no nest lock. A live context of the class (its first_lock_dep_map)
            // or any held lock of the class is recursion.
            if self.lockdep && self.slots.iter().any(|&c| !self.ctxs[c].finished) {
                return Err(Stop::Fails(
                    Property::Lockdep,
                    "context-less ww_mutex_lock while holding a context of the class",
                ));
            }
            if self.lockdep && self.locks.iter().any(|l| l.held) {
                return Err(Stop::Fails(
                    Property::Lockdep,
                    "recursive acquisition of the class without a nest lock",
                ));
            }
            self.locks[l].held = true;
            self.locks[l].ghost_ctx = None;
            return Ok(Ret::Code(0));
        };
        let c = self.slots[slot];
        let lock = self.locks[l].clone();
        if !lock.held {
            // Fast path.
            self.acquired(l, c)?;
            return Ok(Ret::Code(0));
        }
        if lock.ww_ctx == Some(c) {
            if lock.ghost_ctx != Some(c) {
                return Err(Stop::Fails(
                    Property::EalreadyMisuse,
                    "-EALREADY for a lock this ctx does not hold",
                ));
            }
            return Ok(Ret::Code(-EALREADY));
        }
        if self.ctxs[c].acquired == 0 {
            // Neither killed nor wounded: sleeps forever.
            return Err(Stop::Blocks);
        }
        match (self.algo, lock.ww_ctx) {
            (Algo::WaitDie, Some(h)) if self.ctxs[c].stamp > self.ctxs[h].stamp => {
                // __ww_mutex_check_kill: the holder is older → __ww_mutex_kill.
                if self.ctxs[c].contending.is_some() {
                    return Err(Stop::Fails(
                        Property::ClientProtocol,
                        "second -EDEADLK before resolving the first",
                    ));
                }
                self.ctxs[c].contending = Some(l);
                if self.is_oldest(c) {
                    return Err(Stop::Fails(
                        Property::OldestKilled,
                        "Wait-Die killed the oldest context",
                    ));
                }
                Ok(Ret::Code(-EDEADLK))
            }
            // Wait-Die with a younger or context-less holder waits; Wound-Wait wounds the
            // younger holder (itself) or waits for an older one: either way it sleeps.
            _ => Err(Stop::Blocks),
        }
    }

    fn step(&mut self, op: &Op) -> Result<Ret, Stop> {
        match *op {
            Op::Lock { lock, ctx } => self.lock(lock, ctx),
            Op::Trylock { lock, ctx } => {
                if self.locks[lock].held {
                    return Ok(Ret::Bool(false));
                }
                match ctx {
                    Some(slot) => self.acquired(lock, self.slots[slot])?,
                    None => {
                        self.locks[lock].held = true;
                        self.locks[lock].ghost_ctx = None;
                    }
                }
                Ok(Ret::Bool(true))
            }
            Op::Unlock { lock } => {
                let l = &mut self.locks[lock];
                if !l.held {
                    return Err(Stop::Fails(
                        Property::UnlockNotOwner,
                        "ww_mutex_unlock of a lock not held",
                    ));
                }
                l.held = false;
                l.ghost_ctx = None;
                if let Some(h) = l.ww_ctx.take() {
                    if self.ctxs[h].acquired == 0 {
                        return Err(Stop::Fails(
                            Property::ClientProtocol,
                            "holder ctx has acquired == 0",
                        ));
                    }
                    self.ctxs[h].acquired -= 1;
                }
                Ok(Ret::Unit)
            }
            Op::MutexUnlock { lock } => {
                let l = &mut self.locks[lock];
                if !l.held {
                    return Err(Stop::Fails(
                        Property::UnlockNotOwner,
                        "mutex_unlock of a lock not held",
                    ));
                }
                l.held = false;
                l.ghost_ctx = None;
                Ok(Ret::Unit)
            }
            Op::LockSlow { lock, ctx } => {
                if self.ctxs[self.slots[ctx]].contending.is_none() {
                    // A WARN: the call goes on into ww_mutex_lock, which may sleep forever.
                    if self.lock(lock, Some(ctx)) == Err(Stop::Blocks) {
                        return Err(Stop::Blocks);
                    }
                    return Err(Stop::Fails(
                        Property::ClientProtocol,
                        "lock_slow without a preceding -EDEADLK",
                    ));
                }
                // The kernel discards the return value (`(void)ret`): a -EALREADY here is
                // not flagged by DEBUG_WW_MUTEXES, a -EDEADLK is (second -EDEADLK).
                self.lock(lock, Some(ctx)).map(|_| Ret::Unit)
            }
            Op::AcquireDone { ctx } => {
                let c = &mut self.ctxs[self.slots[ctx]];
                if c.done {
                    return Err(Stop::Fails(
                        Property::ClientProtocol,
                        "ww_acquire_done twice (or after fini)",
                    ));
                }
                c.done = true;
                Ok(Ret::Unit)
            }
            Op::AcquireFini { ctx } => {
                let c = &mut self.ctxs[self.slots[ctx]];
                if c.acquired != 0 {
                    return Err(Stop::Fails(
                        Property::ClientProtocol,
                        "ww_acquire_fini with locks held",
                    ));
                }
                if c.finished {
                    return Err(Stop::Fails(
                        Property::ClientProtocol,
                        "ww_acquire_fini twice",
                    ));
                }
                c.done = true;
                c.finished = true;
                Ok(Ret::Unit)
            }
            Op::AcquireInit { ctx } => {
                if self.lockdep && self.locks.iter().any(|l| l.held) {
                    return Err(Stop::Fails(
                        Property::Lockdep,
                        "ww_acquire_init while holding a ww_mutex of its class",
                    ));
                }
                let c = self.new_ctx();
                self.slots[ctx] = c;
                Ok(Ret::Unit)
            }
        }
    }

    /// The outcome of `op` in this state, without changing it.
    fn predict(&self, op: &Op) -> Result<Ret, Stop> {
        self.clone().step(op)
    }

    fn admissible(&self, op: &Op) -> bool {
        if !self.in_range(op) {
            return false;
        }
        if let Op::AcquireInit { ctx } = op
            && !self.ctxs[self.slots[*ctx]].finished
        {
            return false;
        }
        self.predict(op) != Err(Stop::Blocks)
    }

    /// The snapshot the SUT is compared with after a successful step.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            acquired: self.slots.iter().map(|&c| self.ctxs[c].acquired).collect(),
            stamps: self.slots.iter().map(|&c| self.ctxs[c].stamp).collect(),
            locked: self.locks.iter().map(|l| l.held).collect(),
        }
    }

    fn all_ops(&self) -> Vec<Op> {
        let mut v = Vec::new();
        for lock in 0..self.locks.len() {
            v.push(Op::Lock { lock, ctx: None });
            v.push(Op::Trylock { lock, ctx: None });
            v.push(Op::Unlock { lock });
            v.push(Op::MutexUnlock { lock });
            for ctx in 0..self.slots.len() {
                v.push(Op::Lock {
                    lock,
                    ctx: Some(ctx),
                });
                v.push(Op::Trylock {
                    lock,
                    ctx: Some(ctx),
                });
                v.push(Op::LockSlow { lock, ctx });
            }
        }
        for ctx in 0..self.slots.len() {
            v.push(Op::AcquireDone { ctx });
            v.push(Op::AcquireFini { ctx });
            v.push(Op::AcquireInit { ctx });
        }
        v
    }
}

/// Observable state after a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// `ctx->acquired` of each slot's context.
    acquired: Vec<usize>,
    stamps: Vec<u64>,
    /// `ww_mutex_is_locked` of each lock.
    locked: Vec<bool>,
}

/// The reference state machine, per class algorithm.
pub struct WwRef<const WAIT_DIE: bool>;

impl<const WAIT_DIE: bool> ReferenceStateMachine for WwRef<WAIT_DIE> {
    type State = RefState;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<RefState> {
        let algo = if WAIT_DIE {
            Algo::WaitDie
        } else {
            Algo::WoundWait
        };
        (2usize..=3, 1usize..=2)
            .prop_map(move |(nlocks, nctx)| RefState::new(algo, nlocks, nctx))
            .boxed()
    }

    fn transitions(state: &RefState) -> BoxedStrategy<Op> {
        if state.failure.is_some() {
            // Terminal: whatever follows a reported misuse is never executed.
            return Just(Op::AcquireDone { ctx: 0 }).boxed();
        }
        // Valid calls mostly, misuse (a call the model reports, or the wrong unlock
        // function) now and then. The weights steer towards the rare outcomes: the
        // Wait-Die -EDEADLK between two contexts and the back-off that follows it.
        let mut valid: Vec<(u32, BoxedStrategy<Op>)> = Vec::new();
        // Misuse grouped by the check it trips, each check equally likely.
        let mut misuse: BTreeMap<&'static str, Vec<Op>> = BTreeMap::new();
        for op in state.all_ops() {
            if !state.admissible(&op) {
                continue;
            }
            let predicted = state.predict(&op);
            match (op, &predicted) {
                (_, Err(Stop::Fails(_, why))) => {
                    misuse.entry(why).or_default().push(op);
                    continue;
                }
                (Op::MutexUnlock { .. }, _) => {
                    misuse
                        .entry("mutex_unlock on a ww_mutex")
                        .or_default()
                        .push(op);
                    continue;
                }
                _ => {}
            }
            let backing_off = |lock: usize| {
                state.locks[lock]
                    .ww_ctx
                    .is_some_and(|c| state.ctxs[c].contending.is_some())
            };
            let w = match (op, predicted) {
                (Op::Lock { .. }, Ok(Ret::Code(r))) if r == -EDEADLK => 40,
                (Op::LockSlow { .. }, _) => 40,
                (Op::Lock { ctx: Some(_), .. }, Ok(Ret::Code(0))) => 6,
                (Op::Lock { ctx: None, .. }, _) => 1,
                (Op::Lock { .. }, _) => 1, // -EALREADY
                (Op::Trylock { .. }, Ok(Ret::Bool(true))) => 2,
                (Op::Trylock { .. }, _) => 1,
                (Op::Unlock { lock }, _) if backing_off(lock) => 20,
                (Op::Unlock { .. }, _) => 4,
                (Op::AcquireInit { .. }, _) => 4,
                _ => 1,
            };
            valid.push((w, Just(op).boxed()));
        }
        let misuse: Vec<(u32, BoxedStrategy<Op>)> = misuse
            .into_values()
            .map(|ops| (1, proptest::sample::select(ops).boxed()))
            .collect();
        match (valid.is_empty(), misuse.is_empty()) {
            (false, true) => Union::new_weighted(valid).boxed(),
            (true, false) => Union::new_weighted(misuse).boxed(),
            _ => Union::new_weighted(vec![
                (24, Union::new_weighted(valid).boxed()),
                (1, Union::new_weighted(misuse).boxed()),
            ])
            .boxed(),
        }
    }

    fn preconditions(state: &RefState, op: &Op) -> bool {
        state.failure.is_some() || state.admissible(op)
    }

    fn apply(mut state: RefState, op: &Op) -> RefState {
        if state.failure.is_some() {
            return state;
        }
        match state.step(op) {
            Ok(ret) => state.last = Some(ret),
            Err(Stop::Fails(p, why)) => {
                state.failure = Some((p, why));
                state.last = None;
            }
            Err(Stop::Blocks) => unreachable!("precondition excludes blocking calls"),
        }
        state
    }
}

/// Per-step observations of one replay.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observed {
    ret: Ret,
    snap: Snapshot,
}

/// The system under test: the transition prefix and what it produced so far.
pub struct WwSut {
    algo: Algo,
    nlocks: usize,
    nctx: usize,
    ops: Vec<Op>,
    seen: Vec<Observed>,
    failed: bool,
}

fn replay(algo: Algo, nlocks: usize, nctx: usize, ops: &[Op]) -> (Vec<Observed>, RunResult) {
    let out: Arc<StdMutex<Vec<Observed>>> = Arc::new(StdMutex::new(Vec::new()));
    let ops: Arc<Vec<Op>> = Arc::new(ops.to_vec());
    let sink = Arc::clone(&out);
    let warned: Arc<StdMutex<Vec<ModelFailure>>> = Arc::new(StdMutex::new(Vec::new()));
    let warn_sink = Arc::clone(&warned);
    let mut run = run_model(move |m, t| {
        sink.lock().unwrap_or_else(|e| e.into_inner()).clear();
        // Collects the WARNs when the body ends, also by a failure's unwinding.
        let _probe = WarnProbe {
            rec: Arc::clone(&m.rec),
            sink: Arc::clone(&warn_sink),
        };
        let class = WwClass::new("ww_class", algo, 0);
        let locks: Vec<Arc<WwMutex>> = (0..nlocks)
            .map(|i| WwMutex::new(m, LOCK_NAMES[i], &class))
            .collect();
        let mut slots: Vec<Arc<WwAcquireCtx>> =
            (0..nctx).map(|_| ww_acquire_init(t, &class)).collect();
        let base = setup_warnings(nctx);
        assert_eq!(
            m.rec.warnings().len(),
            base,
            "the setup's lockdep splats (two contexts in one task)"
        );
        for op in ops.iter() {
            let ret = match *op {
                Op::Lock { lock, ctx } => {
                    Ret::Code(ww_mutex_lock(t, &locks[lock], ctx.map(|c| &slots[c])))
                }
                Op::Trylock { lock, ctx } => {
                    Ret::Bool(ww_mutex_trylock(t, &locks[lock], ctx.map(|c| &slots[c])))
                }
                Op::Unlock { lock } => {
                    ww_mutex_unlock(t, &locks[lock]);
                    Ret::Unit
                }
                Op::MutexUnlock { lock } => {
                    mutex_unlock(t, &locks[lock]);
                    Ret::Unit
                }
                Op::LockSlow { lock, ctx } => {
                    ww_mutex_lock_slow(t, &locks[lock], &slots[ctx]);
                    Ret::Unit
                }
                Op::AcquireDone { ctx } => {
                    ww_acquire_done(t, &slots[ctx]);
                    Ret::Unit
                }
                Op::AcquireFini { ctx } => {
                    ww_acquire_fini(t, &slots[ctx]);
                    Ret::Unit
                }
                Op::AcquireInit { ctx } => {
                    slots[ctx] = ww_acquire_init(t, &class);
                    Ret::Unit
                }
            };
            // A WARN ends the step as a reported misuse (the execution would go on).
            if m.rec.warnings().len() > base {
                m.raise_warnings();
            }
            let snap = Snapshot {
                acquired: slots.iter().map(|c| c.acquired()).collect(),
                stamps: slots.iter().map(|c| c.stamp()).collect(),
                locked: locks.iter().map(|l| ww_mutex_is_locked(l)).collect(),
            };
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Observed { ret, snap });
        }
    });
    let seen = out.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // The reported failure is the first WARN after the setup (engine::classify_full), or
    // the failure itself when no WARN came first.
    let warned = warned.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let base = setup_warnings(nctx);
    if base == 1 && run.panic.is_none() {
        assert_eq!(
            warned.first().map(|w| w.property),
            Some(Property::Lockdep),
            "two contexts in one task are a lockdep splat"
        );
    }
    run.failure = run.terminal.clone();
    if let Some(w) = warned.get(base) {
        run.failure = Some(w.clone());
    }
    (seen, run)
}

/// WARNs of the setup: the second context of one task is a lockdep splat.
fn setup_warnings(nctx: usize) -> usize {
    usize::from(nctx > 1)
}

/// Copies the execution's WARNs out when dropped (at the end of the body or while a
/// failure unwinds it).
struct WarnProbe {
    rec: Arc<ttm_model::model::trace::Record>,
    sink: Arc<StdMutex<Vec<ModelFailure>>>,
}

impl Drop for WarnProbe {
    fn drop(&mut self) {
        *self.sink.lock().unwrap_or_else(|e| e.into_inner()) = self.rec.warnings();
    }
}

pub struct WwApiTest<const WAIT_DIE: bool>;

impl<const WAIT_DIE: bool> StateMachineTest for WwApiTest<WAIT_DIE> {
    type SystemUnderTest = WwSut;
    type Reference = WwRef<WAIT_DIE>;

    fn init_test(ref_state: &RefState) -> WwSut {
        WwSut {
            algo: ref_state.algo,
            nlocks: ref_state.locks.len(),
            nctx: ref_state.slots.len(),
            ops: Vec::new(),
            seen: Vec::new(),
            failed: false,
        }
    }

    fn apply(mut sut: WwSut, ref_state: &RefState, op: Op) -> WwSut {
        if sut.failed {
            // A reported misuse ends the execution; later transitions are never run.
            return sut;
        }
        sut.ops.push(op);
        if std::env::var("WW_SM_STATS").is_ok() {
            eprintln!("STAT {:?} {:?} {:?}", op, ref_state.last, ref_state.failure);
        }
        let (seen, run) = replay(sut.algo, sut.nlocks, sut.nctx, &sut.ops);
        let n = sut.ops.len();
        let ctx = || {
            format!(
                "ops: {:?}\nreference: {ref_state:#?}\n{}",
                sut.ops,
                run.explain()
            )
        };
        assert!(
            run.panic.is_none(),
            "step {n} ({op:?}): unexpected panic\n{}",
            ctx()
        );
        assert_eq!(
            &seen[..seen.len().min(n - 1)],
            &sut.seen[..],
            "replay of the prefix is not deterministic\n{}",
            ctx()
        );
        match ref_state.failure {
            Some((property, why)) => {
                let got = run.failure.as_ref().map(|f| f.property);
                assert_eq!(
                    got,
                    Some(property),
                    "step {n} ({op:?}): expected {why}\n{}",
                    ctx()
                );
                assert_eq!(
                    seen.len(),
                    n - 1,
                    "step {n} ({op:?}): the failure was reported at another step\n{}",
                    ctx()
                );
                sut.failed = true;
            }
            None => {
                assert!(run.ok(), "step {n} ({op:?}): unexpected failure\n{}", ctx());
                assert_eq!(seen.len(), n, "step {n}: not every step ran\n{}", ctx());
                let got = &seen[n - 1];
                assert_eq!(
                    Some(got.ret),
                    ref_state.last,
                    "step {n} ({op:?}): return value\n{}",
                    ctx()
                );
                assert_eq!(
                    got.snap,
                    ref_state.snapshot(),
                    "step {n} ({op:?}): state after the call\n{}",
                    ctx()
                );
                sut.seen = seen;
            }
        }
        sut
    }
}

prop_state_machine! {
    #![proptest_config(config(512))]

    /// Wait-Die class: return codes, `acquired`, `is_locked`, misuse reports.
    #[test]
    fn wait_die_api_conforms(sequential 1..40 => WwApiTest<true>);

    /// Wound-Wait class: same checks.
    #[test]
    fn wound_wait_api_conforms(sequential 1..40 => WwApiTest<false>);
}

/// The reference itself reaches the interesting outcomes (so the property test is not
/// vacuous): a sequence with -EALREADY, a Wait-Die -EDEADLK, and the back-off with
/// `ww_mutex_lock_slow`, checked against the model step by step.
#[test]
fn wait_die_backoff_sequence() {
    use Op::*;
    let ops = [
        Lock {
            lock: 0,
            ctx: Some(0),
        },
        Lock {
            lock: 0,
            ctx: Some(0),
        },
        Lock {
            lock: 1,
            ctx: Some(1),
        },
        Lock {
            lock: 0,
            ctx: Some(1),
        },
        Unlock { lock: 1 },
        Unlock { lock: 0 },
        LockSlow { lock: 0, ctx: 1 },
        Lock {
            lock: 1,
            ctx: Some(1),
        },
        AcquireDone { ctx: 1 },
        Unlock { lock: 0 },
        Unlock { lock: 1 },
        AcquireFini { ctx: 1 },
        AcquireFini { ctx: 0 },
    ];
    let mut sut = WwApiTest::<true>::init_test(&RefState::new(Algo::WaitDie, 2, 2));
    let mut state = RefState::new(Algo::WaitDie, 2, 2);
    let mut rets = Vec::new();
    for op in ops {
        assert!(
            WwRef::<true>::preconditions(&state, &op),
            "{op:?} must be admissible"
        );
        state = WwRef::<true>::apply(state, &op);
        assert!(state.failure.is_none(), "{op:?}: {:?}", state.failure);
        rets.push(state.last);
        sut = WwApiTest::<true>::apply(sut, &state, op);
    }
    assert_eq!(rets[1], Some(Ret::Code(-EALREADY)));
    assert_eq!(rets[3], Some(Ret::Code(-EDEADLK)));
    assert_eq!(rets[7], Some(Ret::Code(0)));
}

/// A couple of misuse reports pinned down explicitly.
#[test]
fn misuse_reports() {
    use Op::*;
    let cases: Vec<(Vec<Op>, Property)> = vec![
        (
            vec![
                Lock {
                    lock: 0,
                    ctx: Some(0),
                },
                AcquireFini { ctx: 0 },
            ],
            Property::ClientProtocol,
        ),
        (
            vec![
                AcquireDone { ctx: 0 },
                Lock {
                    lock: 0,
                    ctx: Some(0),
                },
            ],
            Property::ClientProtocol,
        ),
        (vec![LockSlow { lock: 0, ctx: 0 }], Property::ClientProtocol),
        (vec![Unlock { lock: 1 }], Property::UnlockNotOwner),
        (
            vec![AcquireDone { ctx: 0 }, AcquireDone { ctx: 0 }],
            Property::ClientProtocol,
        ),
        (
            vec![
                Lock {
                    lock: 0,
                    ctx: Some(0),
                },
                MutexUnlock { lock: 0 },
                Lock {
                    lock: 0,
                    ctx: Some(0),
                },
            ],
            Property::ClientProtocol,
        ),
        (
            vec![
                Lock {
                    lock: 0,
                    ctx: Some(0),
                },
                MutexUnlock { lock: 0 },
                Trylock { lock: 0, ctx: None },
                Lock {
                    lock: 0,
                    ctx: Some(0),
                },
            ],
            Property::EalreadyMisuse,
        ),
        // lockdep (one context: lockdep on).
        (vec![Lock { lock: 0, ctx: None }], Property::Lockdep),
        (
            vec![
                AcquireFini { ctx: 0 },
                Trylock { lock: 0, ctx: None },
                Lock { lock: 1, ctx: None },
            ],
            Property::Lockdep,
        ),
        (
            vec![
                AcquireFini { ctx: 0 },
                Lock { lock: 0, ctx: None },
                AcquireInit { ctx: 0 },
            ],
            Property::Lockdep,
        ),
    ];
    for algo in [Algo::WaitDie, Algo::WoundWait] {
        for (ops, property) in &cases {
            let mut state = RefState::new(algo, 2, 1);
            for op in ops {
                assert!(
                    state.failure.is_none() && state.admissible(op),
                    "{algo:?} {ops:?}: {op:?}"
                );
                state = WwRef::<true>::apply(state, op);
            }
            assert_eq!(
                state.failure.map(|f| f.0),
                Some(*property),
                "reference, {algo:?} {ops:?}"
            );
            let (seen, run) = replay(algo, 2, 1, ops);
            assert_eq!(
                seen.len(),
                ops.len() - 1,
                "{algo:?} {ops:?}\n{}",
                run.explain()
            );
            assert_eq!(
                run.failure.map(|f| f.property),
                Some(*property),
                "{algo:?} {ops:?}"
            );
        }
    }
}
