//! Lockdep in the machine: every lock primitive of the model (ww_mutex and its acquire
//! context, the base mutex's `wait_lock`, `lru_lock`, the notifier lock, folio locks,
//! `migrate_mutex`, `fs_reclaim`) records its acquisitions here, whatever layer calls it,
//! in the spirit of `kernel/locking/lockdep.c` with the reclaim annotations of
//! `mm/page_alloc.c` (`fs_reclaim_acquire`, `might_alloc`) and the primed orders of
//! `dma_resv_lockdep()` (`drivers/dma-buf/dma-resv.c`).
//!
//! * Each blocking (or spinning) acquisition of class B while holding A records A → B; if
//!   B → … → A was recorded before (in this or any earlier execution of the same
//!   scenario and variant set) the cycle is reported (`lock-order`), even though the
//!   schedule at hand did not deadlock. Trylocks record nothing (they cannot wait).
//! * Single-execution rules are reported as `lockdep`: recursive acquisition of a class
//!   without a nest lock, a sleeping acquisition under a spinlock, and the ww rules that
//!   `ww/` checks through [`Lockdep::held`] (see `ww::lockdep_ww`).
//! * ww nest-lock semantics: `ww_mutex_lock(lock, ctx)` is `mutex_acquire_nest(...,
//!   &ctx->dep_map)`: acquiring a class again under its acquire context is no recursion.
//! * `fs_reclaim` is a pseudo-lock held by every reclaimer (shrinker scan, kswapd); a
//!   reclaiming allocation ([`Lockdep::might_alloc`]) acquires and releases it under
//!   whatever is held. So a lock taken blocking inside reclaim and held elsewhere across an
//!   allocation closes a cycle; `dma_resv_lockdep()` primes ticket → resv → fs_reclaim, so
//!   a blocking resv or ticket acquisition inside reclaim closes one at once.
//! * A report is a lockdep splat: a WARN (the execution continues), after which lockdep
//!   turns itself off for the rest of the execution (`debug_locks_off()`), as the kernel's
//!   does.
//!
//! Simplification: classes are names (one `lock_class_key` per name), the held stacks are
//! per execution, the dependency graph is per scenario and variant set (it lives in the
//! scenario and survives executions).

use crate::model::property::Property;
use crate::model::task::Task;
use crate::model::trace::cpu_name;
use crate::model::variants::VariantSet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub const FS_RECLAIM: &str = "fs_reclaim";
pub const RESV: &str = "reservation_ww_class_mutex";
pub const TICKET: &str = "reservation_ww_class_acquire";
pub const LRU_LOCK: &str = "&bdev->lru_lock";

/// How a lock is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// A sleeping lock; `nest`: under a ww acquire context (nest_lock).
    Blocking { nest: bool },
    /// A spinlock (waits too, and makes the context atomic).
    Spin,
    /// A trylock: held, but records no dependency.
    Trylock,
    /// A trylock of a spinlock: held (atomic context), no dependency.
    SpinTrylock,
}

impl LockKind {
    fn is_spin(self) -> bool {
        matches!(self, LockKind::Spin | LockKind::SpinTrylock)
    }
    fn is_try(self) -> bool {
        matches!(self, LockKind::Trylock | LockKind::SpinTrylock)
    }
}

type Graph = BTreeMap<&'static str, BTreeSet<&'static str>>;

/// The dependency graph shared by all executions of one scenario (per variant set).
#[derive(Debug, Default)]
pub struct LockGraph {
    edges: Mutex<HashMap<VariantSet, Graph>>,
}

impl LockGraph {
    pub fn new() -> Arc<LockGraph> {
        Arc::new(LockGraph::default())
    }
}

/// One held lock of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub class: &'static str,
    pub kind: LockKind,
}

/// Per-execution lockdep state: the held-lock stack of every task.
#[derive(Debug)]
pub struct Lockdep {
    graph: Arc<LockGraph>,
    variants: VariantSet,
    held: Mutex<Vec<Vec<Held>>>,
    /// `debug_locks`: cleared by the first report of the execution.
    on: AtomicBool,
}

fn path(g: &Graph, from: &'static str, to: &'static str) -> Option<Vec<&'static str>> {
    let mut stack = vec![vec![from]];
    let mut seen = BTreeSet::new();
    while let Some(p) = stack.pop() {
        let last = *p.last().expect("non-empty");
        if last == to {
            return Some(p);
        }
        if !seen.insert(last) {
            continue;
        }
        for n in g.get(last).into_iter().flatten() {
            let mut q = p.clone();
            q.push(n);
            stack.push(q);
        }
    }
    None
}

impl Lockdep {
    pub fn new(graph: Arc<LockGraph>, variants: VariantSet) -> Arc<Lockdep> {
        let ld = Lockdep {
            graph,
            variants,
            held: Mutex::new(Vec::new()),
            on: AtomicBool::new(true),
        };
        // dma_resv_lockdep(): ticket -> resv -> fs_reclaim.
        ld.with_graph(|g| {
            g.entry(TICKET).or_default().insert(RESV);
            g.entry(RESV).or_default().insert(FS_RECLAIM);
        });
        Arc::new(ld)
    }

    fn with_graph<R>(&self, f: impl FnOnce(&mut Graph) -> R) -> R {
        let mut all = self.graph.edges.lock().unwrap_or_else(|e| e.into_inner());
        f(all.entry(self.variants).or_default())
    }

    fn with_held<R>(&self, t: u16, f: impl FnOnce(&mut Vec<Held>) -> R) -> R {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let t = t as usize;
        if h.len() <= t {
            h.resize(t + 1, Vec::new());
        }
        f(&mut h[t])
    }

    /// Is lockdep still on in this execution (no report yet)?
    pub fn debug_locks(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    /// A lockdep splat: WARN and continue, with lockdep off from now on.
    pub fn report(&self, cur: &Task, property: Property, message: String) {
        if self.on.swap(false, Ordering::SeqCst) {
            cur.machine.warn(cur.id, property, message);
        }
    }

    /// The locks `cur` holds, innermost last.
    pub fn held(&self, cur: &Task) -> Vec<Held> {
        self.with_held(cur.id, |h| h.clone())
    }

    /// Does `cur` hold a lock of `class`?
    pub fn holds(&self, cur: &Task, class: &str) -> bool {
        self.with_held(cur.id, |h| h.iter().any(|x| x.class == class))
    }

    /// Is `cur` inside reclaim (holds `fs_reclaim`: PF_MEMALLOC)?
    pub fn in_reclaim(&self, cur: &Task) -> bool {
        self.holds(cur, FS_RECLAIM)
    }

    /// `might_sleep()` (CONFIG_DEBUG_ATOMIC_SLEEP): sleeping in atomic context.
    pub fn might_sleep(&self, cur: &Task, what: &str) {
        if !self.debug_locks() {
            return;
        }
        let spin = self.with_held(cur.id, |h| {
            h.iter().rev().find(|x| x.kind.is_spin()).map(|x| x.class)
        });
        if let Some(spin) = spin {
            self.report(
                cur,
                Property::Lockdep,
                format!(
                    "BUG: sleeping function called from invalid context: {} {what} while holding spinlock {spin}",
                    cpu_name(cur.id)
                ),
            );
        }
    }

    /// `lock_acquire`.
    pub fn acquire(&self, cur: &Task, class: &'static str, kind: LockKind) {
        if self.debug_locks() && !kind.is_try() {
            if !kind.is_spin() {
                self.might_sleep(cur, &format!("takes {class}"));
            }
            self.check_acquire(cur, class, kind);
        }
        self.with_held(cur.id, |h| h.push(Held { class, kind }));
    }

    fn check_acquire(&self, cur: &Task, class: &'static str, kind: LockKind) {
        if (class == RESV || class == TICKET) && self.in_reclaim(cur) {
            self.report(
                cur,
                Property::LockOrder,
                format!(
                    "possible circular locking dependency: {} takes {class} blocking inside reclaim (fs_reclaim held), but dma_resv_lockdep() primed {TICKET} -> {RESV} -> {FS_RECLAIM}: shrinkers may only trylock a dma_resv",
                    cpu_name(cur.id)
                ),
            );
            return;
        }
        let held = self.held(cur);
        let mut seen = BTreeSet::new();
        for h in held {
            if h.class == class {
                if matches!(kind, LockKind::Blocking { nest: true }) {
                    continue;
                }
                self.report(
                    cur,
                    Property::Lockdep,
                    format!(
                        "possible recursive locking detected: {} takes {class} while holding {class} without a nest lock",
                        cpu_name(cur.id)
                    ),
                );
                return;
            }
            if seen.insert(h.class) {
                self.add_edge(cur, h.class, class);
            }
        }
    }

    fn add_edge(&self, cur: &Task, from: &'static str, to: &'static str) {
        let cycle = self.with_graph(|g| {
            if g.get(from).is_some_and(|s| s.contains(to)) {
                return None;
            }
            let back = path(g, to, from);
            g.entry(from).or_default().insert(to);
            back
        });
        if let Some(back) = cycle {
            self.report(
                cur,
                Property::LockOrder,
                format!(
                    "possible circular locking dependency: {} takes {to} while holding {from}, but {} was recorded earlier",
                    cpu_name(cur.id),
                    back.join(" -> ")
                ),
            );
        }
    }

    /// `lock_acquire(.., nest_lock)` of a lock taken with an explicit nest lock
    /// (`spin_lock_nest_lock`, `mutex_lock_nest_lock`): "Nested lock was not taken" unless
    /// `cur` holds `nest`; a same-class lock already held is no recursion when `nest` sits
    /// below it (`check_deadlock` returns 2: neither checked nor adding dependencies).
    pub fn acquire_nest(
        &self,
        cur: &Task,
        class: &'static str,
        kind: LockKind,
        nest: &'static str,
    ) {
        if self.debug_locks() && !self.holds(cur, nest) {
            self.report(
                cur,
                Property::Lockdep,
                format!(
                    "WARNING: Nested lock was not taken: {} takes {class} with nest lock {nest}, which it does not hold",
                    cpu_name(cur.id)
                ),
            );
        }
        let serialised = self.with_held(cur.id, |h| {
            let n = h.iter().position(|x| x.class == nest);
            let s = h.iter().position(|x| x.class == class);
            matches!((n, s), (Some(n), Some(s)) if n < s)
        });
        if serialised {
            self.with_held(cur.id, |h| h.push(Held { class, kind }));
        } else {
            self.acquire(cur, class, kind);
        }
    }

    /// `lock_release`.
    pub fn release(&self, cur: &Task, class: &'static str) {
        self.with_held(cur.id, |h| {
            if let Some(p) = h.iter().rposition(|x| x.class == class) {
                h.remove(p);
            }
        });
    }

    /// `fs_reclaim_acquire` on entering reclaim (direct reclaim or kswapd): PF_MEMALLOC.
    pub fn enter_reclaim(&self, cur: &Task) {
        self.acquire(cur, FS_RECLAIM, LockKind::Blocking { nest: false });
    }

    pub fn exit_reclaim(&self, cur: &Task) {
        self.release(cur, FS_RECLAIM);
    }

    /// `might_alloc(GFP_KERNEL)`: a reclaiming allocation acquires and releases
    /// `fs_reclaim` (skipped under PF_MEMALLOC: no recursion into reclaim).
    pub fn might_alloc(&self, cur: &Task, _what: &str) {
        if self.in_reclaim(cur) {
            return;
        }
        self.acquire(cur, FS_RECLAIM, LockKind::Blocking { nest: false });
        self.release(cur, FS_RECLAIM);
    }
}
