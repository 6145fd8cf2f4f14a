//! Lockdep-lite: lock-class dependencies recorded across every explored execution of a
//! hunt, in the spirit of `kernel/locking/lockdep.c` with the reclaim annotations of
//! `mm/page_alloc.c` (`fs_reclaim_acquire`, `might_alloc`) and the primed orders of
//! `dma_resv_lockdep()` (`drivers/dma-buf/dma-resv.c`).
//!
//! * Each blocking (or spinning) acquisition of class B while holding A records A → B; if
//!   B → … → A was recorded before (in this or any earlier execution of the same
//!   scenario and variant set) the cycle is reported (`lock-order`), even though the
//!   schedule at hand did not deadlock. Trylocks record nothing (they cannot wait).
//! * ww nest-lock semantics: acquiring `reservation_ww_class_mutex` again under an
//!   acquire context is no recursion; without one it is ("possible recursive locking").
//! * `fs_reclaim` is a pseudo-lock held by every reclaimer (shrinker scan, kswapd); a
//!   reclaiming allocation ([`Lockdep::might_alloc`]) acquires and releases it under
//!   whatever is held. So a lock taken blocking inside reclaim and held elsewhere across an
//!   allocation closes a cycle. A blocking resv or ticket acquisition inside reclaim is
//!   reported directly (the primed order resv → fs_reclaim makes it a cycle anyway).
//!
//! Simplification: classes are names, held stacks are per execution (they live in the
//! device), the graph is per scenario value and variant set (it lives in the scenario).

use crate::model::property::Property;
use crate::model::task::Task;
use crate::model::trace::cpu_name;
use crate::model::variants::VariantSet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

pub const FS_RECLAIM: &str = "fs_reclaim";
pub const RESV: &str = "reservation_ww_class_mutex";
pub const TICKET: &str = "reservation_ww_class_acquire";

/// How a lock is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// A sleeping lock; `nest`: under a ww acquire context (nest_lock).
    Blocking { nest: bool },
    /// A spinlock (waits too).
    Spin,
    /// A trylock: held, but records no dependency.
    Trylock,
}

/// The dependency graph shared by all executions of one scenario (per variant set).
#[derive(Debug, Default)]
pub struct LockGraph {
    edges: Mutex<HashMap<VariantSet, BTreeMap<&'static str, BTreeSet<&'static str>>>>,
}

impl LockGraph {
    pub fn new() -> Arc<LockGraph> {
        Arc::new(LockGraph::default())
    }
}

/// Per-execution lockdep state: the held-lock stack of every task.
#[derive(Debug)]
pub struct Lockdep {
    graph: Arc<LockGraph>,
    variants: VariantSet,
    held: Mutex<Vec<Vec<(&'static str, LockKind)>>>,
    enabled: bool,
}

fn path(
    g: &BTreeMap<&'static str, BTreeSet<&'static str>>,
    from: &'static str,
    to: &'static str,
) -> Option<Vec<&'static str>> {
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
    /// `enabled = false` makes every hook a no-op (scenarios that do not check lock order).
    pub fn new(graph: Arc<LockGraph>, variants: VariantSet, enabled: bool) -> Arc<Lockdep> {
        let ld = Lockdep {
            graph,
            variants,
            held: Mutex::new(Vec::new()),
            enabled,
        };
        // dma_resv_lockdep(): ticket -> resv -> fs_reclaim.
        ld.with_graph(|g| {
            g.entry(TICKET).or_default().insert(RESV);
            g.entry(RESV).or_default().insert(FS_RECLAIM);
        });
        Arc::new(ld)
    }

    fn with_graph<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<&'static str, BTreeSet<&'static str>>) -> R,
    ) -> R {
        let mut all = self.graph.edges.lock().unwrap_or_else(|e| e.into_inner());
        f(all.entry(self.variants).or_default())
    }

    fn with_held<R>(&self, t: u16, f: impl FnOnce(&mut Vec<(&'static str, LockKind)>) -> R) -> R {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let t = t as usize;
        if h.len() <= t {
            h.resize(t + 1, Vec::new());
        }
        f(&mut h[t])
    }

    /// Is `cur` inside reclaim (holds `fs_reclaim`: PF_MEMALLOC)?
    pub fn in_reclaim(&self, cur: &Task) -> bool {
        self.enabled && self.with_held(cur.id, |h| h.iter().any(|(c, _)| *c == FS_RECLAIM))
    }

    /// `lock_acquire`.
    pub fn acquire(&self, cur: &Task, class: &'static str, kind: LockKind) {
        if !self.enabled {
            return;
        }
        if kind != LockKind::Trylock {
            if (class == RESV || class == TICKET) && self.in_reclaim(cur) {
                cur.machine.fail(
                    Property::LockOrder,
                    format!(
                        "{} takes {class} blocking inside reclaim (fs_reclaim held): shrinkers may only trylock a dma_resv",
                        cpu_name(cur.id)
                    ),
                );
            }
            let held = self.with_held(cur.id, |h| h.clone());
            for (h, _) in held {
                if h == class {
                    if matches!(kind, LockKind::Blocking { nest: true }) {
                        continue;
                    }
                    cur.machine.fail(
                        Property::LockOrder,
                        format!("possible recursive locking: {} takes {class} while holding {class} without an acquire context", cpu_name(cur.id)),
                    );
                }
                self.add_edge(cur, h, class);
            }
        }
        self.with_held(cur.id, |h| h.push((class, kind)));
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
            cur.machine.fail(
                Property::LockOrder,
                format!(
                    "possible circular locking dependency: {} takes {to} while holding {from}, but {} was recorded earlier",
                    cpu_name(cur.id),
                    back.join(" -> ")
                ),
            );
        }
    }

    /// `lock_release`.
    pub fn release(&self, cur: &Task, class: &'static str) {
        if !self.enabled {
            return;
        }
        self.with_held(cur.id, |h| {
            if let Some(p) = h.iter().rposition(|(c, _)| *c == class) {
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
        if !self.enabled || self.in_reclaim(cur) {
            return;
        }
        self.acquire(cur, FS_RECLAIM, LockKind::Blocking { nest: false });
        self.release(cur, FS_RECLAIM);
    }
}
