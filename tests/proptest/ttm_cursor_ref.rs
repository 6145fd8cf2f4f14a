//! The LRU lists, bulk moves and hitch cursors of `ttm_resource.c` (spec `ttm_lru.md`
//! §2-§4) against a plain reference model, on one CPU.
//!
//! Generated sequences of resource add / delete (`ttm_resource_alloc` /
//! `ttm_resource_free`), `ttm_resource_move_to_lru_tail`, `ttm_bo_set_bulk_move` (join /
//! leave a VM's bulk), `ttm_lru_bulk_move_tail`, and cursor init / first / next / fini on
//! two cursors run directly on the model's [`Lru`] (a private instance, so the reference
//! comparison runs before the model's own invariant checks). The reference is a
//! `Vec<ResId>` per `(mem_type, priority)` list plus bulk membership; a bulk range is the
//! contiguous sub-sequence of its members, so `pos->first/last` are its ends. After every
//! operation:
//!
//! * (a) structure: each list's resource order (hitches ignored) and each bulk's
//!   `pos[mem][prio]` equal the reference;
//! * (b) the cursor guarantees of spec §3 G1-G5 / §9 P3-P4, checked on each yield: a walk
//!   never goes back to a lower priority; when it yields from priority `p`, every resource
//!   of a lower priority that was on the manager at `first()` and never left it has been
//!   yielded (no skip), and at the end of the walk all of them have; a resource is yielded
//!   again only if it was moved toward a list tail after its previous yield (bounded
//!   revisits); after the last operation each walk terminates within (resources on the
//!   manager + 1) calls.
//!
//! No protocol filter: bulk membership changes (joins, leaves, frees, in place or not)
//! are generated freely, also while a cursor is registered with the bulk. Mainline lets a
//! range end leave in place under a registered cursor, and the next
//! `ttm_lru_bulk_move_tail` parks the cursor's hitch behind `pos->last` although it is no
//! longer in the range (a skip, or a revisit of an unmoved resource): finding §4 of
//! docs/findings.md, variant `bulk-leave-cursor`
//! ([`finding_bulk_leave_cursor_skips_without_fix`], [`generator_finds_bulk_leave_cursor`]).
//! The fixed model carries the fix in `ttm_lru_bulk_move_del`
//! ([`fix_keeps_cursors_whose_hitch_is_in_the_range`] checks it does not deregister a
//! cursor whose hitch is still in a range).
//!
//! One narrow filter remains, for kernel behaviour the model follows on purpose: a join
//! (`ttm_bo_set_bulk_move(bo, bulk)` of a BO that already has a resource) is not
//! generated when `ttm_lru_bulk_move_pos_tail` would move that resource toward the list
//! head across a cursor's hitch (it lies behind `pos->last` with a hitch in between); the
//! walk then never yields it ([`kernel_hazard_join_moves_resource_before_hitch`]).
//! Everything else is generated freely.
//!
//! The checks bite: `hitch-carried` and `bulk-first-not-advanced` are caught by the
//! reference comparison on fixed sequences, `hitch-carried` and `bulk-leave-cursor` by the
//! generator itself, `next-missing-return` by the model's walk-skip property.

use crate::harness::{RunResult, config, run_model_with};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use ttm_model::model::sync::Arc;
use ttm_model::model::{Options, Property, Task, Variant, VariantSet};
use ttm_model::walker::lru::{CursorId, Item, ListId, Lru, Manager};
use ttm_model::walker::*;

/// The managers walked: TT and VRAM (SYSTEM behaves like TT for the lists).
const MANS: [MemType; 2] = [TTM_PL_TT, TTM_PL_VRAM];
/// BOs: (VM whose resv they share and whose bulk they may join, priority).
const BOS: [(Option<usize>, usize); 8] = [
    (Some(0), 0),
    (Some(0), 0),
    (Some(0), 0),
    (Some(0), 1),
    (Some(1), 0),
    (Some(1), 1),
    (None, 0),
    (None, 1),
];
const NVM: usize = 2;
/// Cursor owners: distinct from the task doing the LRU operations, so the model's own
/// bounded-revisit allowance counts those operations as other CPUs' bumps.
const OWNER: [u16; 2] = [8, 9];
const OPS_TASK: u16 = 1;

/// One operation on the LRU machinery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `ttm_resource_alloc`: init at the list tail, then `ttm_resource_add_bulk_move`
    /// (no-op if the BO has a resource).
    Add(usize, usize),
    /// `ttm_resource_free`: `del_bulk_move`, then `ttm_resource_fini`.
    Del(usize),
    /// `ttm_resource_move_to_lru_tail` of the BO's resource.
    Bump(usize),
    /// `ttm_bo_set_bulk_move(bo, &vm->lru_bulk_move)`.
    Join(usize),
    /// `ttm_bo_set_bulk_move(bo, NULL)`.
    Leave(usize),
    /// `ttm_lru_bulk_move_tail(&vm->lru_bulk_move)`.
    BulkBump(usize),
    /// `ttm_resource_cursor_init(cursor, man)` (finishing the cursor's previous walk).
    Init(usize, usize),
    /// `ttm_resource_manager_first` on a fresh cursor, else `_next`.
    Next(usize),
    /// `ttm_resource_cursor_fini` (the cursor memory dies right after).
    Fini(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..8usize, 0..2usize).prop_map(|(b, m)| Op::Add(b, m)),
        1 => (0..8usize).prop_map(Op::Del),
        3 => (0..8usize).prop_map(Op::Bump),
        1 => (0..8usize).prop_map(Op::Join),
        1 => (0..8usize).prop_map(Op::Leave),
        2 => (0..NVM).prop_map(Op::BulkBump),
        1 => (0..2usize, 0..2usize).prop_map(|(c, m)| Op::Init(c, m)),
        5 => (0..2usize).prop_map(Op::Next),
        1 => (0..2usize).prop_map(Op::Fini),
    ]
}

/// Every BO placed (alternating TT / VRAM), the VM BOs in their bulks, both cursors
/// initialised.
fn setup() -> Vec<Op> {
    let mut v: Vec<Op> = (0..8).map(|b| Op::Add(b, b % 2)).collect();
    v.extend((0..6).map(Op::Join));
    v.push(Op::Init(0, 1));
    v.push(Op::Init(1, 0));
    v
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..48).prop_map(|mut v| {
        let mut all = setup();
        all.append(&mut v);
        all
    })
}

/// The reference: plain lists and bulk membership.
#[derive(Default)]
struct Ref {
    lists: BTreeMap<(MemType, usize), Vec<ResId>>,
    /// Live resources: BO and list.
    res: BTreeMap<ResId, (usize, (MemType, usize))>,
    res_of: [Option<ResId>; 8],
    bulk_of: [Option<usize>; 8],
    /// Bulk membership of resources (VM index).
    member: BTreeMap<ResId, usize>,
}

impl Ref {
    fn key(&self, r: ResId) -> (MemType, usize) {
        self.res[&r].1
    }
    fn list(&mut self, k: (MemType, usize)) -> &mut Vec<ResId> {
        self.lists.entry(k).or_default()
    }
    /// The members of bulk `vm` on list `k`, in list order.
    fn members(&self, vm: usize, k: (MemType, usize)) -> Vec<ResId> {
        self.lists
            .get(&k)
            .map(|l| {
                l.iter()
                    .copied()
                    .filter(|r| self.member.get(r) == Some(&vm))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn remove(&mut self, r: ResId) {
        let k = self.key(r);
        self.list(k).retain(|x| *x != r);
    }
    /// Move `r` to just after the last member of `vm` on its list.
    fn after_last(&mut self, r: ResId, vm: usize) {
        let k = self.key(r);
        let last = *self
            .members(vm, k)
            .iter()
            .rfind(|x| **x != r)
            .expect("last");
        self.remove(r);
        let l = self.list(k);
        let p = l.iter().position(|x| *x == last).expect("last on list");
        l.insert(p + 1, r);
    }
    /// `ttm_resource_add_bulk_move`; returns (moved, range created in place).
    fn add_bulk(&mut self, r: ResId, vm: usize) -> (bool, bool) {
        let k = self.key(r);
        let empty = self.members(vm, k).is_empty();
        if !empty {
            self.after_last(r, vm);
        }
        self.member.insert(r, vm);
        (!empty, empty)
    }
    /// `ttm_resource_del_bulk_move`; returns whether `r` moved (a middle member goes
    /// behind `last`).
    fn del_bulk(&mut self, r: ResId) -> bool {
        let Some(vm) = self.member.get(&r).copied() else {
            return false;
        };
        let m = self.members(vm, self.key(r));
        let middle = m.len() > 2 && m[0] != r && m[m.len() - 1] != r;
        if middle {
            self.after_last(r, vm);
        }
        self.member.remove(&r);
        middle
    }
}

/// A walk in progress and what the reference knows about it.
struct Cur {
    id: CursorId,
    man: MemType,
    started: bool,
    done: bool,
    /// Resources on the manager at `first()`, with their priority.
    snapshot: BTreeMap<ResId, usize>,
    removed: BTreeSet<ResId>,
    yielded: BTreeMap<ResId, u32>,
    /// Moved toward a tail since their last yield.
    moved: BTreeSet<ResId>,
    prio: usize,
}

struct St {
    lru: Lru,
    bos: Vec<Arc<TtmBo>>,
    bulks: [BulkId; NVM],
    r: Ref,
    curs: [Option<Cur>; 2],
    /// Skip joins that move an unvisited resource in front of a hitch (see the module
    /// doc, and [`kernel_hazard_join_moves_resource_before_hitch`]).
    join_filter: bool,
    log: Vec<String>,
}

impl St {
    fn new(m: &Arc<ttm_model::model::Machine>, t: &Arc<Task>, join_filter: bool) -> St {
        let ld = Arc::clone(&m.lockdep);
        let dev = TtmDevice::new(
            m,
            DeviceConfig {
                vram_pages: 1 << 20,
                tt_pages: None,
            },
            ld,
        );
        let vm: Vec<_> = (0..NVM)
            .map(|i| dev.vm_resv(&format!("vm{i}.resv")))
            .collect();
        let bos: Vec<_> = BOS
            .iter()
            .enumerate()
            .map(|(i, (v, p))| dev.bo_create(t, &format!("bo{i}"), 1, *p, v.map(|v| &vm[v])))
            .collect();
        let man = (0..TTM_NUM_MEM_TYPES)
            .map(|_| Manager {
                capacity: None,
                usage: 0,
                use_tt: true,
                external: 0,
            })
            .collect();
        let mut lru = Lru::new(m.variants, Arc::clone(&m.rec), man);
        lru.bos = dev.bos(t);
        let bulks = [lru.bulk_init("vm0.bulk"), lru.bulk_init("vm1.bulk")];
        St {
            lru,
            bos,
            bulks,
            r: Ref::default(),
            curs: [None, None],
            join_filter,
            log: Vec::new(),
        }
    }

    fn fail(&self, msg: String) -> ! {
        panic!("reference: {msg}\nops so far:\n  {}", self.log.join("\n  "))
    }

    fn mark_moved(&mut self, r: ResId) {
        for c in self.curs.iter_mut().flatten() {
            c.moved.insert(r);
        }
    }

    /// Would `ttm_lru_bulk_move_add` of `r` into bulk `vm` move it toward the list head
    /// over a cursor's hitch? (`r` lies behind `pos->last` with a hitch in between, so
    /// `ttm_lru_bulk_move_pos_tail` puts it in front of that hitch.)
    fn join_passes_hitch(&self, r: ResId, vm: usize) -> bool {
        let k = self.r.key(r);
        let Some(last) = self.r.members(vm, k).last().copied() else {
            return false;
        };
        let l = self.lru.list(ListId::Man(k.0, k.1));
        let at = |i: Item| l.iter().position(|x| *x == i).expect("on its list");
        let (a, b) = (at(Item::Res(last)), at(Item::Res(r)));
        a < b && l[a..b].iter().any(|i| matches!(i, Item::Hitch(_)))
    }

    fn apply(&mut self, op: Op) {
        self.log.push(format!("{op:?}"));
        match op {
            Op::Add(b, mi) => {
                if self.r.res_of[b].is_some() {
                    return;
                }
                let mem = MANS[mi];
                let k = (mem, BOS[b].1);
                let r = self
                    .lru
                    .resource_init(self.bos[b].id, mem, 1, OPS_TASK)
                    .expect("unlimited manager");
                self.bos[b].f().resource = Some(r);
                self.lru.add_bulk_move(r);
                self.r.res.insert(r, (b, k));
                self.r.res_of[b] = Some(r);
                self.r.list(k).push(r);
                if let Some(vm) = self.r.bulk_of[b] {
                    self.r.add_bulk(r, vm);
                }
            }
            Op::Del(b) => {
                let Some(r) = self.r.res_of[b] else { return };
                self.lru.del_bulk_move(r);
                self.lru.resource_fini(r);
                self.bos[b].f().resource = None;
                self.r.del_bulk(r);
                self.r.remove(r);
                self.r.res.remove(&r);
                self.r.res_of[b] = None;
                for c in self.curs.iter_mut().flatten() {
                    c.removed.insert(r);
                }
            }
            Op::Bump(b) => {
                let Some(r) = self.r.res_of[b] else { return };
                self.lru.move_to_lru_tail(r, OPS_TASK);
                match self.r.member.get(&r).copied() {
                    Some(vm) => {
                        if self.r.members(vm, self.r.key(r)).last() != Some(&r) {
                            self.r.after_last(r, vm);
                        }
                    }
                    None => {
                        let k = self.r.key(r);
                        self.r.remove(r);
                        self.r.list(k).push(r);
                    }
                }
                self.mark_moved(r);
            }
            Op::Join(b) => {
                let (Some(vm), None) = (BOS[b].0, self.r.bulk_of[b]) else {
                    return;
                };
                let res = self.r.res_of[b];
                if let Some(r) = res
                    && self.join_filter
                    && self.join_passes_hitch(r, vm)
                {
                    return;
                }
                if let Some(r) = res {
                    self.lru.del_bulk_move(r);
                }
                self.bos[b].f().bulk_move = Some(self.bulks[vm]);
                if let Some(r) = res {
                    self.lru.add_bulk_move(r);
                }
                self.r.bulk_of[b] = Some(vm);
                if let Some(r) = res
                    && self.r.add_bulk(r, vm).0
                {
                    self.mark_moved(r);
                }
            }
            Op::Leave(b) => {
                if self.r.bulk_of[b].is_none() {
                    return;
                }
                let res = self.r.res_of[b];
                if let Some(r) = res {
                    self.lru.del_bulk_move(r);
                }
                self.bos[b].f().bulk_move = None;
                self.r.bulk_of[b] = None;
                if let Some(r) = res
                    && self.r.del_bulk(r)
                {
                    self.mark_moved(r);
                }
            }
            Op::BulkBump(vm) => {
                self.lru.bulk_move_tail(self.bulks[vm], OPS_TASK);
                let keys: Vec<_> = self.r.lists.keys().copied().collect();
                for k in keys {
                    let m = self.r.members(vm, k);
                    let l = self.r.list(k);
                    l.retain(|x| !m.contains(x));
                    l.extend(m.iter().copied());
                    for r in m {
                        self.mark_moved(r);
                    }
                }
            }
            Op::Init(c, mi) => {
                self.fini(c);
                let man = MANS[mi];
                let id = self.lru.cursor_init(man, OWNER[c]);
                self.curs[c] = Some(Cur {
                    id,
                    man,
                    started: false,
                    done: false,
                    snapshot: BTreeMap::new(),
                    removed: BTreeSet::new(),
                    yielded: BTreeMap::new(),
                    moved: BTreeSet::new(),
                    prio: 0,
                });
            }
            Op::Next(c) => {
                if self.curs[c].as_ref().is_none_or(|c| c.done) {
                    return;
                }
                self.next(c);
            }
            Op::Fini(c) => self.fini(c),
        }
    }

    fn fini(&mut self, c: usize) {
        if let Some(cur) = self.curs[c].take() {
            self.lru.cursor_fini(cur.id);
            self.lru.cursor_free(cur.id);
        }
    }

    /// `first()` or `next()` on cursor `c`, and the yield checks. Returns the yield.
    fn next(&mut self, c: usize) -> Option<ResId> {
        let cur = self.curs[c].as_mut().expect("cursor");
        let res = if cur.started {
            self.lru.cursor_next(cur.id)
        } else {
            cur.started = true;
            cur.snapshot = self
                .r
                .res
                .iter()
                .filter(|(_, (_, k))| k.0 == cur.man)
                .map(|(r, (_, k))| (*r, k.1))
                .collect();
            self.lru.cursor_first(cur.id)
        };
        self.log.push(format!("  cursor {c} -> {res:?}"));
        let cur = self.curs[c].as_ref().expect("cursor");
        let unyielded_below = |p: usize| -> Vec<ResId> {
            cur.snapshot
                .iter()
                .filter(|(s, sp)| {
                    **sp < p && !cur.removed.contains(s) && !cur.yielded.contains_key(s)
                })
                .map(|(s, _)| *s)
                .collect()
        };
        match res {
            None => {
                let skipped = unyielded_below(usize::MAX);
                if !skipped.is_empty() {
                    self.fail(format!(
                        "cursor {c} walk ended and skipped {skipped:?}, present at first() and never removed"
                    ));
                }
                self.curs[c].as_mut().expect("cursor").done = true;
            }
            Some(r) => {
                let Some((_, k)) = self.r.res.get(&r).copied() else {
                    self.fail(format!("cursor {c} yielded res#{r}, which is not live"));
                };
                if k.0 != cur.man {
                    self.fail(format!(
                        "cursor {c} on mem {} yielded res#{r} of mem {}",
                        cur.man, k.0
                    ));
                }
                if k.1 < cur.prio {
                    self.fail(format!(
                        "cursor {c} went back from priority {} to {} (res#{r})",
                        cur.prio, k.1
                    ));
                }
                let skipped = unyielded_below(k.1);
                if !skipped.is_empty() {
                    self.fail(format!(
                        "cursor {c} reached priority {} (res#{r}) and skipped {skipped:?} of a lower priority, present at first() and never removed",
                        k.1
                    ));
                }
                if cur.yielded.contains_key(&r) && !cur.moved.contains(&r) {
                    self.fail(format!(
                        "cursor {c} yielded res#{r} again although it was not moved since its last yield"
                    ));
                }
                let cur = self.curs[c].as_mut().expect("cursor");
                *cur.yielded.entry(r).or_default() += 1;
                cur.moved.remove(&r);
                cur.prio = k.1;
            }
        }
        res
    }

    /// (a): list order and bulk ranges equal the reference; then the model's invariants.
    fn compare(&self) {
        for m in MANS {
            for p in 0..TTM_MAX_BO_PRIORITY {
                let got: Vec<ResId> = self
                    .lru
                    .list(ListId::Man(m, p))
                    .iter()
                    .filter_map(|i| match i {
                        Item::Res(r) => Some(*r),
                        Item::Hitch(_) => None,
                    })
                    .collect();
                let want = self.r.lists.get(&(m, p)).cloned().unwrap_or_default();
                if got != want {
                    self.fail(format!(
                        "{} lru[{p}] is {got:?}, reference {want:?}",
                        mem_type_name(m)
                    ));
                }
                for vm in 0..NVM {
                    let pos = self.lru.bulks[self.bulks[vm]].pos[m][p];
                    let mem = self.r.members(vm, (m, p));
                    let want = (mem.first().copied(), mem.last().copied());
                    if (pos.first, pos.last) != want {
                        self.fail(format!(
                            "bulk vm{vm} pos[{}][{p}] is {:?}..{:?}, reference {:?}..{:?} (members {mem:?})",
                            mem_type_name(m),
                            pos.first,
                            pos.last,
                            want.0,
                            want.1
                        ));
                    }
                }
            }
        }
        if self
            .lru
            .list(ListId::Unevictable)
            .iter()
            .any(|i| matches!(i, Item::Res(_)))
        {
            self.fail("a resource is on bdev->unevictable (nothing is pinned)".into());
        }
        self.lru.check_invariants();
    }

    /// Termination: with no more operations, each walk ends within (resources on its
    /// manager + 1) calls.
    fn drain(&mut self) {
        for c in 0..2 {
            let Some(cur) = self.curs[c].as_ref() else {
                continue;
            };
            if cur.done {
                continue;
            }
            let man = cur.man;
            let bound = self.r.res.values().filter(|(_, k)| k.0 == man).count() + 1;
            let mut calls = 0;
            while self.next(c).is_some() {
                calls += 1;
                if calls > bound {
                    self.fail(format!(
                        "cursor {c} did not terminate within {bound} calls with no interleaved operations"
                    ));
                }
            }
            self.compare();
        }
        for c in 0..2 {
            self.fini(c);
        }
    }
}

/// Run `ops` (then drain every walk) under `variants`.
fn run(variants: VariantSet, ops: Vec<Op>) -> RunResult {
    run_filtered(variants, ops, true)
}

/// [`run`], with the join filter on or off.
fn run_filtered(variants: VariantSet, ops: Vec<Op>, join_filter: bool) -> RunResult {
    run_model_with(variants, Options::default(), move |m, t| {
        let mut st = St::new(m, t, join_filter);
        for op in &ops {
            st.apply(*op);
            st.compare();
        }
        st.drain();
    })
}

fn explain(ops: &[Op], r: &RunResult) -> String {
    format!("ops {ops:?}\n{}", r.explain())
}

proptest! {
    #![proptest_config(config(64))]

    /// The fixed model follows the reference and keeps the cursor guarantees on every
    /// generated sequence.
    #[test]
    fn lru_and_cursors_follow_the_reference(ops in ops()) {
        let r = run(ttm_model::model::variants::FINDING_FIXES, ops.clone());
        prop_assert!(r.ok(), "{}", explain(&ops, &r));
    }
}

use Op::*;

/// VM0 BOs bo0, bo1 (priority 0) in VRAM's bulk range, a loose priority-0 BO behind the
/// range and a priority-1 BO: the walk must yield bo6's resource.
fn hitch_in_bumped_range() -> Vec<Op> {
    vec![
        Add(0, 1),
        Join(0),
        Add(1, 1),
        Join(1),
        Add(6, 1),
        Add(7, 1),
        Init(0, 1),
        Next(0),
        BulkBump(0),
        Next(0),
        Next(0),
        Next(0),
        Next(0),
    ]
}

/// Control for the fixed sequences below: the fixed model passes them.
#[test]
fn fixed_sequences_pass_on_the_fixed_model() {
    for ops in [hitch_in_bumped_range(), first_bumped(), two_priorities()] {
        let r = run(ttm_model::model::variants::FINDING_FIXES, ops.clone());
        assert!(r.ok(), "{}", explain(&ops, &r));
    }
}

/// Variant `hitch-carried` (B19, before "Consider hitch moves within bulk sublist
/// moves"): the bulk bump carries the hitch parked inside the range to the list tail and
/// the walk skips bo6's resource; the reference check reports it when the walk reaches
/// priority 1 (before the model's own end-of-walk check).
#[test]
fn hitch_carried_is_caught_by_the_reference() {
    let ops = hitch_in_bumped_range();
    let r = run(VariantSet::of(Variant::HitchCarried), ops.clone());
    let p = r.panic.clone().unwrap_or_default();
    assert!(
        p.contains("reference:") && p.contains("skipped"),
        "{}",
        explain(&ops, &r)
    );
}

/// Two bulk members; the first one is bumped.
fn first_bumped() -> Vec<Op> {
    vec![Add(0, 1), Join(0), Add(1, 1), Join(1), Bump(0)]
}

/// Variant `bulk-first-not-advanced` (B15, before 4481913607e5): re-adding the range's
/// first entry moves it behind `last` without advancing `first`; the reference comparison
/// of `pos->first` reports it.
#[test]
fn bulk_first_not_advanced_is_caught_by_the_reference() {
    let ops = first_bumped();
    let r = run(VariantSet::of(Variant::BulkFirstNotAdvanced), ops.clone());
    let p = r.panic.clone().unwrap_or_default();
    assert!(
        p.contains("reference:") && p.contains("bulk vm0 pos"),
        "{}",
        explain(&ops, &r)
    );
}

fn two_priorities() -> Vec<Op> {
    vec![Add(6, 1), Add(7, 1), Init(0, 1), Next(0), Next(0), Next(0)]
}

/// Variant `next-missing-return` (transient 2024): `next()` stops after priority 0; the
/// model's walk-skip property reports it at the end of the walk (the walk ends before the
/// reference sees a later priority).
#[test]
fn next_missing_return_is_caught_by_the_model() {
    let ops = two_priorities();
    let r = run(VariantSet::of(Variant::NextMissingReturn), ops.clone());
    assert_eq!(
        r.failure.as_ref().map(|f| f.property),
        Some(Property::WalkSkip),
        "{}",
        explain(&ops, &r)
    );
}

/// Run the generator with a fixed RNG seed under `variant` (no filter); the first
/// failing sequence (shrunk) and its message, or `None` if `cases` sequences all pass.
fn generator_finds(variants: VariantSet, cases: u32, seed: u8) -> Option<(Vec<Op>, String)> {
    crate::harness::quiet_model_failures();
    let cfg = Config {
        cases,
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]));
    let out = runner.run(&ops(), |ops| {
        let r = run(variants, ops);
        if r.ok() {
            Ok(())
        } else {
            Err(TestCaseError::fail(
                r.panic
                    .clone()
                    .or(r.failure.as_ref().map(|f| f.to_string()))
                    .unwrap_or_default(),
            ))
        }
    });
    match out {
        Ok(()) => None,
        Err(proptest::test_runner::TestError::Fail(why, ops)) => {
            Some((ops, why.message().to_string()))
        }
        Err(e) => panic!("generator run aborted: {e}"),
    }
}

/// The generator itself finds `hitch-carried`: with a fixed RNG seed, some generated
/// sequence fails (reference skip check or the model's walk-skip).
#[test]
fn generator_finds_hitch_carried() {
    let Some((ops, why)) = generator_finds(VariantSet::of(Variant::HitchCarried), 512, 7) else {
        panic!("512 generated sequences did not find hitch-carried");
    };
    assert!(
        why.contains("skip") || why.contains("walk-skip"),
        "unexpected failure for {ops:?}: {why}"
    );
}

/// The generator itself finds `bulk-leave-cursor` (no protocol filter): some generated
/// sequence fails, by the reference checks (a skip, or a revisit of an unmoved resource
/// when the bump parks a hitch that sat behind a range end which left in place) or the
/// model's walk-skip, and the shrunk sequence passes on the fixed model. Fixed RNG seeds,
/// the first that finds it is used (seed 2 at the time of writing).
#[test]
fn generator_finds_bulk_leave_cursor() {
    let found = (0..8u8)
        .find_map(|seed| generator_finds(VariantSet::of(Variant::UnpinSoleMemberReadd), 512, seed));
    let Some((ops, why)) = found else {
        panic!("8 x 512 generated sequences did not find bulk-leave-cursor");
    };
    assert!(
        why.contains("skip") || why.contains("again although it was not moved"),
        "unexpected failure for {ops:?}: {why}"
    );
    let r = run(ttm_model::model::variants::FINDING_FIXES, ops.clone());
    assert!(r.ok(), "the fixed model fails too: {}", explain(&ops, &r));
}

/// Finding §4 of docs/findings.md (spec §4.3), variant `bulk-leave-cursor`: cursor 0
/// yields bo0 (first of VM0's range bo0 | bo1 | bo2) and is registered with the bulk;
/// then bo0 and bo1 leave the bulk (`ttm_bo_set_bulk_move(bo, NULL)`: each is the range's
/// first entry, so `ttm_lru_bulk_move_del` only advances `pos->first` and neither moves);
/// then the VM's bulk is bumped. In mainline `ttm_bulk_move_adjust_cursors` moves the
/// hitch to after `pos->last` (bo2) although the hitch is in front of bo1, which is no
/// longer in the range: bo1 is never yielded although it stays on the LRU. In the kernel
/// the window is between the BO walker's `ttm_bo_lru_cursor_cleanup_bo` (which unlocks
/// the VM resv) and its next `ttm_resource_manager_next`, with other CPUs holding the VM
/// resv to clear the bulk moves and to submit. The fixed model's
/// `ttm_bulk_move_adjust_cursors` moves a registered hitch only when it lies inside the
/// range (otherwise it just deregisters the cursor), so the bump leaves the hitch where it
/// is and the walk yields bo1; it passes the same sequence with no protocol filter.
#[test]
fn finding_bulk_leave_cursor_skips_without_fix() {
    let ops = vec![
        Add(0, 1),
        Add(1, 1),
        Add(2, 1),
        Join(0),
        Join(1),
        Join(2),
        Add(6, 1),
        Add(7, 1),
        Init(0, 1),
        Next(0),
        Leave(0),
        Leave(1),
        BulkBump(0),
        Next(0),
        Next(0),
        Next(0),
    ];
    let r = run(VariantSet::of(Variant::UnpinSoleMemberReadd), ops.clone());
    let p = r.panic.clone().unwrap_or_default();
    assert!(
        (p.contains("reference:") && p.contains("skipped"))
            || r.failure.as_ref().map(|f| f.property) == Some(Property::WalkSkip),
        "{}",
        explain(&ops, &r)
    );
    let r = run(ttm_model::model::variants::FINDING_FIXES, ops.clone());
    assert!(r.ok(), "{}", explain(&ops, &r));
}

/// Kernel hazard (the model follows the kernel; the generator's join filter avoids it,
/// see the module doc; not a documented finding yet): cursor 0 yields
/// bo0, the last (only) member of VM0's VRAM priority-0 range, so its hitch sits right
/// behind `pos->last`; bo1, a VM0 BO whose resource is behind the hitch (never yielded),
/// then joins the bulk. `ttm_lru_bulk_move_add` → `ttm_lru_bulk_move_pos_tail` moves it to
/// just after `pos->last`, i.e. toward the list head and in front of the hitch: the walk
/// never yields it although it stays on the LRU. Spec §3 G3 says the only moves besides
/// tail bumps are middle `del_bulk_move`s, which go forward; the add of a resource that
/// is already on the list can go backward. (For a new resource of a bulk BO,
/// `ttm_resource_alloc` does the same right after `ttm_resource_init` put it at the tail,
/// so G1 does not hold for bulk BOs either; the reference only checks resources present
/// at `first()`.) In the kernel: `ttm_bo_set_bulk_move(bo, &vm->lru_bulk_move)` on a
/// placed BO while another CPU walks the manager, e.g. amdgpu_vm_bo_base_init for a
/// per-VM BO (it reads `bo->tbo.resource->mem_type` right after). With the join filter
/// the join is not generated.
#[test]
fn kernel_hazard_join_moves_resource_before_hitch() {
    let ops = vec![
        Add(0, 1),
        Join(0),
        Add(1, 1),
        Add(7, 1),
        Init(0, 1),
        Next(0),
        Join(1),
        Next(0),
        Next(0),
        Next(0),
    ];
    for variants in [
        ttm_model::model::variants::FINDING_FIXES,
        VariantSet::of(Variant::UnpinSoleMemberReadd),
    ] {
        let r = run_filtered(variants, ops.clone(), false);
        let p = r.panic.clone().unwrap_or_default();
        assert!(
            (p.contains("reference:") && p.contains("skipped [1]"))
                || r.failure.as_ref().map(|f| f.property) == Some(Property::WalkSkip),
            "{}",
            explain(&ops, &r)
        );
    }
    let r = run(ttm_model::model::variants::FINDING_FIXES, ops.clone());
    assert!(r.ok(), "{}", explain(&ops, &r));
}

/// The fix of finding §4 must not deregister a cursor whose hitch is still inside one of
/// the bulk's ranges: the next bump would then carry the hitch with the range (the B19
/// `hitch-carried` skip, reintroduced). Mainline (`bulk-leave-cursor`) passes both
/// sequences.
///
/// * Other list: cursor 1 (TT) yields bo0, the first of VM0's TT range bo0 | bo2, and
///   registers; bo1 (VM0's only VRAM priority-0 member) leaves, emptying that VRAM range;
///   VM0 is bumped. bo4 and bo6 (TT, priority 0) must still be yielded.
/// * Same list: cursor 0 (VRAM) yields bo0 and bo1 of VM0's range bo0 | bo1 | bo2; bo0
///   (the first entry) leaves in place, so the hitch behind bo1 is still inside bo1 | bo2;
///   VM0 is bumped. bo6 must still be yielded.
#[test]
fn fix_keeps_cursors_whose_hitch_is_in_the_range() {
    let mut other_list = setup();
    other_list.extend([Next(1), Leave(1), BulkBump(0)]);
    let same_list = vec![
        Add(0, 1),
        Add(1, 1),
        Add(2, 1),
        Join(0),
        Join(1),
        Join(2),
        Add(6, 1),
        Add(7, 1),
        Init(0, 1),
        Next(0),
        Next(0),
        Leave(0),
        BulkBump(0),
        Next(0),
        Next(0),
        Next(0),
    ];
    for ops in [other_list, same_list] {
        for variants in [
            VariantSet::of(Variant::UnpinSoleMemberReadd),
            ttm_model::model::variants::FINDING_FIXES,
        ] {
            let r = run(variants, ops.clone());
            assert!(r.ok(), "{variants:?}\n{}", explain(&ops, &r));
        }
    }
}

/// A join that moves an already-yielded resource toward the tail (behind `pos->last`)
/// lets the walk yield it again, like any bump by another CPU (G2). Here bo0 left VM0's
/// bulk in place before the walk, cursor 0 yields it, and its rejoin moves it behind bo2:
/// five yields for four resources. The reference allows it (bo0 moved); the model's
/// bounded-revisit allowance (P4) must count the `ttm_lru_bulk_move_add` move too.
#[test]
fn join_move_counts_for_bounded_revisits() {
    let mut ops = setup();
    ops.extend([Leave(0), Init(0, 0), Next(0), Join(0)]);
    let r = run(ttm_model::model::variants::FINDING_FIXES, ops.clone());
    assert!(r.ok(), "{}", explain(&ops, &r));
}
/// Every op kind is exercised by the fixed model on a plain sequence (smoke test of the
/// harness, including init/fini of a cursor that never started).
#[test]
fn smoke_all_ops() {
    let mut ops = setup();
    ops.extend([
        Next(0),
        Bump(1),
        Next(0),
        BulkBump(0),
        Leave(3),
        Next(0),
        Del(2),
        Next(1),
        Join(3),
        Fini(1),
        Init(1, 1),
        Fini(1),
        Next(0),
        Add(2, 0),
    ]);
    let r = run_model_with(
        ttm_model::model::variants::FINDING_FIXES,
        Default::default(),
        move |m, t| {
            let mut st = St::new(m, t, true);
            for op in &ops {
                st.apply(*op);
                st.compare();
            }
            st.drain();
        },
    );
    assert!(r.ok(), "{}", r.explain());
}
