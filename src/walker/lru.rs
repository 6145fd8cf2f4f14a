//! The state `ttm_device.lru_lock` protects, and every operation that runs under it
//! (`drivers/gpu/drm/ttm/ttm_resource.c`, spec `ttm_lru.md` §1–§4).
//!
//! Representation: each LRU list is a `Vec<Item>` in list order (head first); an item is a
//! resource or a cursor's hitch (`struct ttm_lru_item` with its `type`). Resources, bulk
//! moves and cursors live in arenas indexed by id and are never reused, so a freed
//! resource is still recognisable (a dangling `pos->first` shows up as a pointer to a
//! finished resource, which is what KASAN would report). Lists are tiny in every scenario,
//! so a linear search replaces the kernel's `list_head` links without changing what any
//! operation does to list order.
//!
//! Everything here runs with `lru_lock` held: the caller holds the model mutex guarding
//! [`Lru`]. [`Lru::check_invariants`] runs at the end of every critical section, i.e. at
//! every point where `lru_lock` is free (spec §2 invariants B1–B5 and C1).
//!
//! WARN and continue (issue 11). The kernel checks almost none of these invariants and
//! carries on with a broken list; so does the model, so that the consequence shows:
//! * WARN (recorded, execution goes on, each distinct message once): the invariants B1–B3,
//!   B5, C1 and "a pinned resource is on `bdev->unevictable`" (ours, where the kernel has
//!   no check: they mark the moment the structure breaks), `ttm_resource_fini` of a range
//!   member (ours), and the kernel's own `WARN_ON(!pos->first || !pos->last)` in
//!   `ttm_lru_bulk_move_del` (then both cleared, as there) and the resv `WARN_ON` of
//!   `ttm_lru_bulk_move_add`.
//! * Stop (what the kernel would crash on or what it does next cannot be represented):
//!   every dereference of a freed resource, cursor or bulk (B4 included: KASAN), `NULL
//!   pos->last` in `ttm_lru_bulk_move_pos_tail` (NULL deref), `ttm_lru_next_res` running
//!   off its list (the list head read as a resource: a wild pointer), `list_bulk_move_tail`
//!   with the range's ends on different lists or inverted (CONFIG_DEBUG_LIST does not check
//!   it: the kernel goes on with cross-linked lists the model cannot represent), a priority
//!   past `TTM_MAX_BO_PRIORITY` (out of bounds), and a `ttm_resource_manager_next` that
//!   never returns (`livelock`, see [`Lru::cursor_next`]).
//! * Kernel list semantics, not stricter: `list_bulk_move_tail` splices the range from
//!   whatever list holds it, and `ttm_resource_manager_next` follows its hitch on whatever
//!   list it is, stopping only at `&man->lru[prio]`.

use super::bo::{BoId, TtmBo};
use super::{MemType, TTM_MAX_BO_PRIORITY, TTM_NUM_MEM_TYPES, mem_type_name};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::trace::{Record, raise, warn};
use crate::model::variants::{Variant, VariantSet};

pub type ResId = usize;
pub type BulkId = usize;
pub type CursorId = usize;

/// Which list an item is on: `man[mem_type].lru[priority]` or `bdev->unevictable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListId {
    Man(MemType, usize),
    Unevictable,
}

impl ListId {
    fn index(self) -> usize {
        match self {
            ListId::Man(m, p) => m * TTM_MAX_BO_PRIORITY + p,
            ListId::Unevictable => TTM_NUM_MEM_TYPES * TTM_MAX_BO_PRIORITY,
        }
    }
}

impl std::fmt::Display for ListId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListId::Man(m, p) => write!(f, "{}.lru[{p}]", mem_type_name(*m)),
            ListId::Unevictable => f.write_str("bdev->unevictable"),
        }
    }
}

/// `struct ttm_lru_item`: `TTM_LRU_RESOURCE` or `TTM_LRU_HITCH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Res(ResId),
    Hitch(CursorId),
}

/// `struct ttm_resource` (the parts the LRU machinery uses).
#[derive(Clone, Debug)]
pub struct ResEntry {
    /// `res->bo` (under lru_lock; re-pointed for ghosts).
    pub bo: Option<BoId>,
    pub mem_type: MemType,
    pub pages: u64,
    /// The list the resource is on (B1), None after `ttm_resource_fini`.
    pub list: Option<ListId>,
    /// Explicit bulk-range membership: Samuel Ainsworth's unmerged v1 patch ("don't leave
    /// bulk_move cursor dangling for unevictable resources", 2026-06, a `res->bulk_move`
    /// pointer), read only under proposal `bulk-membership-flag`. Mainline (the baseline)
    /// has no such field: membership is the predicate of [`Lru::bulk_member`]. Kept up to
    /// date by `add_bulk_move` / `del_bulk_move` in every model, so switching is cheap.
    pub bulk: Option<BulkId>,
    /// Ghost, read only by the invariant checker (B3): the resource is in one of the two
    /// windows of its life where mainline's predicate `bo->bulk_move &&
    /// !ttm_resource_unevictable(res, bo)` says "member" while the resource is outside
    /// the range, legitimately:
    /// * `ttm_resource_alloc`: between `ttm_resource_init`'s `lru_lock` section (the new
    ///   resource goes to the tail of `man->lru[prio]`) and the second section
    ///   (`ttm_resource_add_bulk_move`);
    /// * `ttm_resource_free`: between the section of `ttm_resource_del_bulk_move`
    ///   (`ttm_lru_bulk_move_del` of a range end only moves `pos->first/last`, the
    ///   resource stays in place) and `ttm_resource_fini`'s section.
    ///
    /// No kernel code asks the predicate about the resource in either window (only the
    /// allocating / freeing task knows it as its resource, with the resv held; walkers
    /// that meet it on the LRU do not consult membership), so the state is benign and B3
    /// skips it. The kernel has no such bit; nothing but `check_range` reads it.
    pub unfiled: bool,
    /// `ttm_resource_fini` ran (the memory is gone: any later use is a use-after-free).
    pub finished: bool,
    /// Times the resource left its manager's lists (ghost, for the no-skip check: a
    /// resource removed during a walk need not be yielded).
    pub removals: u32,
}

/// `struct ttm_lru_bulk_move_pos`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub first: Option<ResId>,
    pub last: Option<ResId>,
}

/// `struct ttm_lru_bulk_move`.
#[derive(Clone, Debug)]
pub struct BulkEntry {
    pub name: String,
    pub pos: [[Pos; TTM_MAX_BO_PRIORITY]; TTM_NUM_MEM_TYPES],
    /// `bulk->cursor_list`.
    pub cursor_list: Vec<CursorId>,
    /// Between `ttm_lru_bulk_move_init` and `_fini`.
    pub live: bool,
}

/// `struct ttm_resource_cursor` plus the walk's ghost bookkeeping.
#[derive(Clone, Debug)]
pub struct CursorEntry {
    pub man: MemType,
    pub priority: usize,
    /// Where the hitch is linked (None: unlinked).
    pub hitch: Option<ListId>,
    /// `cursor->bulk` (compare-only) and `cursor->mem_type`.
    pub bulk: Option<BulkId>,
    pub mem_type: MemType,
    /// The cursor's memory died (stack frame left): a still-linked hitch is then a
    /// dangling list node.
    pub dead: bool,
    pub owner: u16,
    /// Ghost: resources on the manager at `first()` with their removal count.
    pub snapshot: Vec<(ResId, u32)>,
    /// Ghost: resources yielded so far, and how many yields.
    pub yielded: Vec<ResId>,
    pub yields: u64,
    /// Ghost: exposure counters of all tasks at `first()` (bounded revisits).
    pub exposures_at_first: Vec<u64>,
    pub inserts_at_first: u64,
}

/// A memory-type manager (`struct ttm_resource_manager`) minus its lists.
#[derive(Clone, Debug)]
pub struct Manager {
    /// Capacity in pages (None: unlimited, like `ttm_sys_manager`).
    pub capacity: Option<u64>,
    /// `man->usage`.
    pub usage: u64,
    /// `man->use_tt`.
    pub use_tt: bool,
    /// Pages charged to `usage` outside any TTM resource (ghost): the VRAM of SVM
    /// allocations in the split-LRU SVM designs (`svm::designs`); 0 everywhere else.
    pub external: u64,
}

/// Everything `bdev->lru_lock` protects.
pub struct Lru {
    lists: Vec<Vec<Item>>,
    pub res: Vec<ResEntry>,
    pub bulks: Vec<BulkEntry>,
    pub cursors: Vec<CursorEntry>,
    pub man: Vec<Manager>,
    /// The BO registry (ghost: lets the LRU code read `res->bo->...` by id).
    pub bos: Vec<Arc<TtmBo>>,
    /// Per task: resources moved toward a list tail (bumps) — each may be yielded again.
    exposures: Vec<u64>,
    /// The task running the current `lru_lock` section (set by `TtmDevice::lru`; `u16::MAX`
    /// when unknown, which counts as "another task" for every cursor): moves made by the
    /// bulk add/del helpers are charged to it for the bounded-revisit check.
    pub section_task: u16,
    /// Per task: resources inserted.
    inserts: Vec<u64>,
    variants: VariantSet,
    rec: Arc<Record>,
    /// WARNs already issued (message text): a broken state that persists is reported once,
    /// like `WARN_ON_ONCE`, instead of at every later `lru_lock` section.
    warned: std::cell::RefCell<Vec<String>>,
}

fn is_res(i: &Item) -> bool {
    matches!(i, Item::Res(_))
}

impl Lru {
    pub fn new(variants: VariantSet, rec: Arc<Record>, man: Vec<Manager>) -> Lru {
        Lru {
            lists: vec![Vec::new(); TTM_NUM_MEM_TYPES * TTM_MAX_BO_PRIORITY + 1],
            res: Vec::new(),
            bulks: Vec::new(),
            cursors: Vec::new(),
            man,
            bos: Vec::new(),
            exposures: Vec::new(),
            section_task: u16::MAX,
            inserts: Vec::new(),
            variants,
            rec,
            warned: Default::default(),
        }
    }

    fn v(&self, v: Variant) -> bool {
        self.variants.has(v)
    }

    fn fail(&self, p: Property, msg: String) -> ! {
        raise(&self.rec, p, msg)
    }

    /// A kernel `WARN_ON` (or a structural check of ours where the kernel has none): record
    /// it on the task running the current `lru_lock` section and carry on, so that what the
    /// broken state leads to shows (`found.consequence`). Each distinct message once.
    fn warn(&self, p: Property, msg: String) {
        {
            let mut w = self.warned.borrow_mut();
            if w.contains(&msg) {
                return;
            }
            w.push(msg.clone());
        }
        let task = if self.section_task == u16::MAX {
            0
        } else {
            self.section_task
        };
        warn(&self.rec, task, p, msg)
    }

    pub fn list(&self, l: ListId) -> &[Item] {
        &self.lists[l.index()]
    }

    /// Human name of a resource: `res#3(bo2 VRAM)`.
    pub fn res_name(&self, r: ResId) -> String {
        let e = &self.res[r];
        let bo =
            e.bo.map(|b| self.bos[b].name.to_string())
                .unwrap_or_else(|| "no bo".into());
        format!("res#{r}({bo} {})", mem_type_name(e.mem_type))
    }

    fn bump(counter: &mut Vec<u64>, task: u16, n: u64) {
        let t = task as usize;
        if counter.len() <= t {
            counter.resize(t + 1, 0);
        }
        counter[t] += n;
    }

    /// Dereference a resource pointer: a finished resource is freed memory.
    fn live_res(&self, r: ResId, what: &str) -> &ResEntry {
        let e = &self.res[r];
        if e.finished {
            self.fail(
                Property::UseAfterFree,
                format!(
                    "{what} dereferences {} after ttm_resource_fini freed it",
                    self.res_name(r)
                ),
            );
        }
        e
    }

    // ---------------------------------------------------------------- list primitives

    fn pos_in(&self, l: ListId, item: Item) -> Option<usize> {
        self.lists[l.index()].iter().position(|i| *i == item)
    }

    fn item_list(&self, item: Item) -> Option<ListId> {
        match item {
            Item::Res(r) => self.res[r].list,
            Item::Hitch(c) => self.cursors[c].hitch,
        }
    }

    fn set_item_list(&mut self, item: Item, l: Option<ListId>) {
        match item {
            Item::Res(r) => {
                let old = self.res[r].list;
                if let Some(ListId::Man(m, _)) = old
                    && l != old
                    && !matches!(l, Some(ListId::Man(m2, _)) if m2 == m)
                {
                    self.res[r].removals += 1;
                }
                self.res[r].list = l;
            }
            Item::Hitch(c) => self.cursors[c].hitch = l,
        }
    }

    /// `list_del_init`.
    fn unlink(&mut self, item: Item) {
        if let Some(l) = self.item_list(item) {
            if let Some(p) = self.pos_in(l, item) {
                self.lists[l.index()].remove(p);
            }
            self.set_item_list(item, None);
        }
    }

    /// `list_move_tail(item, head)`.
    fn move_tail(&mut self, item: Item, l: ListId) {
        self.unlink(item);
        self.lists[l.index()].push(item);
        self.set_item_list(item, Some(l));
    }

    /// `list_move(item, head)`: to the head of `l`.
    fn move_head(&mut self, item: Item, l: ListId) {
        self.unlink(item);
        self.lists[l.index()].insert(0, item);
        self.set_item_list(item, Some(l));
    }

    /// `list_move(item, &after->link)`: immediately after `after`.
    fn move_after(&mut self, item: Item, after: Item) {
        if item == after {
            return;
        }
        self.unlink(item);
        let l = self.item_list(after).unwrap_or_else(|| {
            self.fail(
                Property::LruStructure,
                format!("list_move after {after:?}, which is on no list"),
            )
        });
        let p = self.pos_in(l, after).expect("item on its list");
        self.lists[l.index()].insert(p + 1, item);
        self.set_item_list(item, Some(l));
    }

    /// The resource list a bulk position refers to.
    fn pos_list(m: MemType, p: usize) -> ListId {
        ListId::Man(m, p)
    }

    /// `ttm_lru_next_res` / `ttm_lru_prev_res`: step over hitches; the kernel does not
    /// check for the list head (only safe inside a well-formed range, invariant B3), so
    /// running off the list is reported.
    fn step_res(&self, r: ResId, forward: bool) -> ResId {
        let l = self.res[r].list.expect("range member on a list");
        let list = &self.lists[l.index()];
        let p = list
            .iter()
            .position(|i| *i == Item::Res(r))
            .expect("on list");
        let found = if forward {
            list[p + 1..].iter().find(|i| is_res(i))
        } else {
            list[..p].iter().rev().find(|i| is_res(i))
        };
        match found {
            Some(Item::Res(n)) => *n,
            _ => self.fail(
                Property::LruStructure,
                format!(
                    "ttm_lru_{}_res({}) ran off {l} (bulk range not well formed)",
                    if forward { "next" } else { "prev" },
                    self.res_name(r)
                ),
            ),
        }
    }

    // ------------------------------------------------------------- resources (§2)

    /// `ttm_resource_is_swapped`: `bo->resource == res && bo->ttm && ttm_tt_is_swapped`.
    pub fn is_swapped(&self, r: ResId) -> bool {
        let Some(b) = self.res[r].bo else {
            return false;
        };
        let f = self.bos[b].f();
        f.resource == Some(r) && f.tt.as_ref().is_some_and(|t| t.is_swapped())
    }

    /// `ttm_resource_unevictable`: pinned or swapped.
    pub fn unevictable(&self, r: ResId) -> bool {
        let Some(b) = self.res[r].bo else {
            return false;
        };
        let pinned = self.bos[b].f().pin_count != 0;
        pinned || self.is_swapped(r)
    }

    fn bo_of(&self, r: ResId) -> &Arc<TtmBo> {
        let b = self.res[r]
            .bo
            .unwrap_or_else(|| self.fail(Property::UseAfterFree, format!("res#{r}->bo is NULL")));
        &self.bos[b]
    }

    /// Resources bumped toward a tail by tasks other than `task`, plus every insertion: the
    /// churn that lets a walk see a resource again (P4's allowance; used by the
    /// next-candidate design's revisit check, `walker::designs`).
    pub fn churn_except(&self, task: u16) -> u64 {
        let others: u64 = self
            .exposures
            .iter()
            .enumerate()
            .filter(|(t, _)| *t != task as usize)
            .map(|(_, n)| *n)
            .sum();
        others + self.inserts.iter().sum::<u64>()
    }

    /// Exposure accounting: `n` resources moved to (or toward) a tail by `task`.
    pub fn note_exposure(&mut self, task: u16, n: u64) {
        Self::bump(&mut self.exposures, task, n);
    }

    /// `man->func->alloc` → `ttm_resource_init` (one lru_lock section): -ENOSPC if the
    /// manager is full, else the resource is appended to the tail of `unevictable` or of
    /// `man.lru[bo->priority]` and `man->usage` grows. Not added to the bulk (that is
    /// `ttm_resource_add_bulk_move`, a separate section in `ttm_resource_alloc`).
    pub fn resource_init(
        &mut self,
        bo: BoId,
        m: MemType,
        pages: u64,
        task: u16,
    ) -> Result<ResId, i32> {
        let man = &self.man[m];
        if man.capacity.is_some_and(|c| man.usage + pages > c) {
            return Err(-super::ENOSPC);
        }
        let id = self.res.len();
        self.res.push(ResEntry {
            bo: Some(bo),
            mem_type: m,
            pages,
            list: None,
            bulk: None,
            unfiled: true,
            finished: false,
            removals: 0,
        });
        let l = if self.bos[bo].f().pin_count != 0 {
            ListId::Unevictable
        } else {
            ListId::Man(m, self.bos[bo].f().priority)
        };
        self.move_tail(Item::Res(id), l);
        self.man[m].usage += pages;
        Self::bump(&mut self.inserts, task, 1);
        Ok(id)
    }

    /// `ttm_resource_fini`: `list_del_init` and `usage -= size`; the memory is gone.
    pub fn resource_fini(&mut self, r: ResId) {
        self.live_res(r, "ttm_resource_fini");
        if !self.v(Variant::BulkMembershipFlag) {
            // Mainline: no membership record, nothing notices a range endpoint being
            // freed here (a dangling pos->first/last shows as B4 at the section's end).
        } else if let Some(b) = self.res[r].bulk {
            // No kernel check: the model's B4 precursor, a WARN so that the dangling
            // pos->first/last it leaves shows as the use-after-free it leads to.
            self.warn(
                Property::LruStructure,
                format!(
                    "ttm_resource_fini({}) while it is still in bulk {}",
                    self.res_name(r),
                    self.bulks[b].name
                ),
            );
        }
        self.unlink(Item::Res(r));
        let e = &mut self.res[r];
        e.finished = true;
        self.man[e.mem_type].usage -= e.pages;
    }

    /// Is the resource in its BO's bulk move? Mainline (`ttm_resource.c`, v6.13+, the
    /// baseline) has no record: `ttm_resource_add_bulk_move` / `_del_bulk_move` test
    /// `bo->bulk_move && !ttm_resource_unevictable(res, bo)` each time, with
    /// `ttm_resource_unevictable = bo->pin_count || ttm_resource_is_swapped(res, bo)`.
    /// Proposal `bulk-membership-flag` (Ainsworth v1) reads the explicit `res.bulk`.
    pub fn bulk_member(&self, r: ResId) -> Option<BulkId> {
        if self.v(Variant::BulkMembershipFlag) {
            return self.res[r].bulk;
        }
        let b = self.bo_of(r).f().bulk_move;
        if b.is_some() && !self.unevictable(r) {
            return b;
        }
        None
    }

    /// `ttm_resource_add_bulk_move`: `if (bo->bulk_move && !ttm_resource_unevictable(res,
    /// bo)) ttm_lru_bulk_move_add(bo->bulk_move, res)` (variant `bulk-add-pinned`: no
    /// unevictable test). Mainline does not ask whether `res` is already in the range (a
    /// second add is a `pos_tail`); the flag proposal refuses it.
    pub fn add_bulk_move(&mut self, r: ResId) {
        self.live_res(r, "ttm_resource_add_bulk_move");
        self.settle(r);
        let bulk = self.bo_of(r).f().bulk_move;
        let Some(bulk) = bulk else { return };
        let gated = !self.v(Variant::BulkAddPinned) && self.unevictable(r);
        if gated || (self.v(Variant::BulkMembershipFlag) && self.res[r].bulk.is_some()) {
            return;
        }
        self.res[r].bulk = Some(bulk);
        self.bulk_move_add(bulk, r);
    }

    /// `ttm_resource_del_bulk_move`: the same test as the add ([`Lru::bulk_member`]).
    pub fn del_bulk_move(&mut self, r: ResId) {
        self.live_res(r, "ttm_resource_del_bulk_move");
        self.settle(r);
        if let Some(bulk) = self.bulk_member(r) {
            self.res[r].bulk = None;
            self.bulk_move_del(bulk, r);
        }
    }

    /// `ttm_resource_del_bulk_move_unevictable` (`ttm_resource.c`, b2ed01e7ad): for a
    /// resource that has just become unevictable (swapped / backed up), bypassing the
    /// `!ttm_resource_unevictable()` test: `WARN_ON_ONCE(!ttm_resource_unevictable(res,
    /// bo)); if (bo->bulk_move) ttm_lru_bulk_move_del(bo->bulk_move, res);`. Under the
    /// flag proposal the record decides.
    pub fn del_bulk_move_unevictable(&mut self, r: ResId) {
        self.live_res(r, "ttm_resource_del_bulk_move_unevictable");
        self.settle(r);
        if !self.unevictable(r) {
            self.warn(
                Property::LruStructure,
                format!(
                    "WARN_ON_ONCE(!ttm_resource_unevictable) in ttm_resource_del_bulk_move_unevictable({})",
                    self.res_name(r)
                ),
            );
        }
        let bulk = if self.v(Variant::BulkMembershipFlag) {
            self.res[r].bulk
        } else {
            self.bo_of(r).f().bulk_move
        };
        if let Some(bulk) = bulk {
            self.res[r].bulk = None;
            self.bulk_move_del(bulk, r);
        }
    }

    /// The kernel code re-files `r` under `lru_lock` (add / del / move_to_lru_tail): the
    /// ghost "predicate input changed outside lru_lock" mark of its BO is cleared (see
    /// [`super::bo::BoFields::lru_pending`]).
    fn settle(&self, r: ResId) {
        if let Some(b) = self.res[r].bo {
            let mut f = self.bos[b].f();
            if f.resource == Some(r) {
                f.lru_pending = false;
            }
        }
    }

    /// Ghost for B3 only: is `r` in a window where mainline's predicate and the range
    /// legitimately disagree (a resource `ttm_resource_alloc` has not finished or
    /// `ttm_resource_free` has started to free, or the
    /// resource of a BO whose tt changed `ttm_tt_is_swapped` outside `lru_lock` and whose
    /// re-filing section has not run yet)?
    fn b3_window(&self, r: ResId) -> bool {
        if self.res[r].unfiled {
            return true;
        }
        self.res[r].bo.is_some_and(|b| {
            let f = self.bos[b].f();
            f.lru_pending && f.resource == Some(r)
        })
    }

    /// B3's view of `r` from one snapshot of its BO's fields: (in a ghost window, a member
    /// of `bulk`, the BO's `bulk_move`); None for a resource without a BO. One guard: the
    /// fields change outside `lru_lock` (swapout, populate, backup), and under real threads
    /// separate reads could mix a window's before and after.
    fn b3_snapshot(&self, r: ResId, bulk: BulkId) -> Option<(bool, bool, Option<BulkId>)> {
        let b = self.res[r].bo?;
        let f = self.bos[b].f();
        let window = self.res[r].unfiled || (f.lru_pending && f.resource == Some(r));
        let member = if self.v(Variant::BulkMembershipFlag) {
            self.res[r].bulk == Some(bulk)
        } else {
            let swapped = f.resource == Some(r) && f.tt.as_ref().is_some_and(|t| t.is_swapped());
            f.bulk_move == Some(bulk) && f.pin_count == 0 && !swapped
        };
        Some((window, member, f.bulk_move))
    }

    fn pos(&self, bulk: BulkId, r: ResId) -> Pos {
        let e = &self.res[r];
        let prio = self.bo_of(r).f().priority;
        self.bulks[bulk].pos[e.mem_type][prio]
    }

    fn set_pos(&mut self, bulk: BulkId, r: ResId, pos: Pos) {
        let m = self.res[r].mem_type;
        let prio = self.bo_of(r).f().priority;
        self.bulks[bulk].pos[m][prio] = pos;
    }

    fn check_bulk_live(&self, bulk: BulkId, what: &str) {
        if !self.bulks[bulk].live {
            self.fail(
                Property::UseAfterFree,
                format!(
                    "{what} on bulk {} after ttm_lru_bulk_move_fini (VM freed)",
                    self.bulks[bulk].name
                ),
            );
        }
    }

    /// `ttm_lru_bulk_move_add`.
    fn bulk_move_add(&mut self, bulk: BulkId, r: ResId) {
        self.check_bulk_live(bulk, "ttm_lru_bulk_move_add");
        let pos = self.pos(bulk, r);
        match pos.last {
            None => {
                // Mainline sets first = last = res without a list move. From ttm_bo_unpin
                // (add_bulk_move, then move_to_lru_tail, which is a no-op for res == last)
                // the resource then stays on bdev->unevictable while it is the range of
                // man.lru[prio] (docs/findings.md; variant unpin-sole-member). The fixed
                // model puts it on the range's list.
                let l = ListId::Man(self.res[r].mem_type, self.bo_of(r).f().priority);
                if !self.v(Variant::UnpinSoleMember) && self.res[r].list != Some(l) {
                    self.move_tail(Item::Res(r), l);
                }
                self.set_pos(
                    bulk,
                    r,
                    Pos {
                        first: Some(r),
                        last: Some(r),
                    },
                )
            }
            Some(first) => {
                let a = self.bo_of(first).resv_uid();
                let b = self.bo_of(r).resv_uid();
                if a != b {
                    self.warn(
                        Property::LruStructure,
                        format!(
                            "WARN_ON in ttm_lru_bulk_move_add: {} and {} of bulk {} have different resvs",
                            self.res_name(first),
                            self.res_name(r),
                            self.bulks[bulk].name
                        ),
                    );
                }
                // pos_tail moves `r` behind the range: toward the tail for a walker
                // whose hitch lies behind it, a revisit it must be allowed (P4).
                self.note_exposure(self.section_task, 1);
                self.bulk_move_pos_tail(bulk, r);
            }
        }
    }

    /// `ttm_lru_bulk_move_pos_tail`: move `res` behind the range's last entry. Advancing
    /// `first` when `res == first` is the fix of 4481913607e5 (variant B15 lacks it).
    fn bulk_move_pos_tail(&mut self, bulk: BulkId, r: ResId) {
        let mut pos = self.pos(bulk, r);
        let Some(last) = pos.last else {
            self.fail(
                Property::LruStructure,
                format!(
                    "ttm_lru_bulk_move_pos_tail({}) on an empty range of bulk {} (NULL pos->last)",
                    self.res_name(r),
                    self.bulks[bulk].name
                ),
            )
        };
        self.live_res(last, "ttm_lru_bulk_move_pos_tail: pos->last");
        if last != r {
            if pos.first == Some(r) && !self.v(Variant::BulkFirstNotAdvanced) {
                pos.first = Some(self.step_res(r, true));
            }
            self.move_after(Item::Res(r), Item::Res(last));
            pos.last = Some(r);
            self.set_pos(bulk, r, pos);
        }
    }

    /// `ttm_lru_bulk_move_del`.
    fn bulk_move_del(&mut self, bulk: BulkId, r: ResId) {
        self.check_bulk_live(bulk, "ttm_lru_bulk_move_del");
        let mut pos = self.pos(bulk, r);
        let (Some(first), Some(last)) = (pos.first, pos.last) else {
            // `WARN_ON(!pos->first || !pos->last)`: the kernel warns, clears both and
            // goes on.
            self.warn(
                Property::LruStructure,
                format!(
                    "WARN in ttm_lru_bulk_move_del({}): bulk {} range is empty",
                    self.res_name(r),
                    self.bulks[bulk].name
                ),
            );
            self.set_pos(bulk, r, Pos::default());
            return;
        };
        if first == r && last == r {
            pos = Pos::default();
        } else if first == r {
            pos.first = Some(self.step_res(r, true));
        } else if last == r {
            pos.last = Some(self.step_res(r, false));
        } else {
            self.live_res(last, "ttm_lru_bulk_move_del: pos->last");
            self.move_after(Item::Res(r), Item::Res(last));
            self.note_exposure(self.section_task, 1);
        }
        self.set_pos(bulk, r, pos);
    }

    /// `ttm_resource_move_to_lru_tail`: unevictable → tail of `bdev->unevictable`; bulk
    /// member → tail of the bulk range; else tail of `man.lru[priority]`.
    pub fn move_to_lru_tail(&mut self, r: ResId, task: u16) {
        self.live_res(r, "ttm_resource_move_to_lru_tail");
        if self.unevictable(r) {
            self.settle(r);
            self.move_tail(Item::Res(r), ListId::Unevictable);
            return;
        }
        self.settle(r);
        // Mainline: `else if (bo->bulk_move)` pos_tails any evictable resource of a bulk
        // BO, whether or not it is in the range; the flag proposal asks the record.
        let member = if self.v(Variant::BulkMembershipFlag) {
            self.res[r].bulk
        } else {
            self.bo_of(r).f().bulk_move
        };
        self.note_exposure(task, 1);
        if let Some(bulk) = member {
            self.bulk_move_pos_tail(bulk, r);
        } else {
            let l = ListId::Man(self.res[r].mem_type, self.bo_of(r).f().priority);
            self.move_tail(Item::Res(r), l);
        }
    }

    // ----------------------------------------------------------------- bulk moves

    /// `ttm_lru_bulk_move_init`.
    pub fn bulk_init(&mut self, name: &str) -> BulkId {
        self.bulks.push(BulkEntry {
            name: name.to_string(),
            pos: Default::default(),
            cursor_list: Vec::new(),
            live: true,
        });
        self.bulks.len() - 1
    }

    /// `ttm_lru_bulk_move_fini`: detach every registered cursor (does not check that the
    /// ranges are empty, despite its doc).
    pub fn bulk_fini(&mut self, bulk: BulkId) {
        self.check_bulk_live(bulk, "ttm_lru_bulk_move_fini");
        self.bulk_drop_cursors(bulk);
        self.bulks[bulk].live = false;
    }

    /// `ttm_bulk_move_drop_cursors`: deregister every cursor; hitches stay where they are.
    fn bulk_drop_cursors(&mut self, bulk: BulkId) {
        for c in std::mem::take(&mut self.bulks[bulk].cursor_list) {
            self.cursors[c].bulk = None;
        }
    }

    /// `ttm_bulk_move_adjust_cursors` / `ttm_resource_cursor_move_bulk_tail`: park every
    /// registered cursor's hitch right behind the range it is in, then deregister it.
    ///
    /// Mainline moves the hitch unconditionally (variant `bulk-leave-cursor`). But a
    /// registered cursor's hitch can lie outside the range: when the range's first or last
    /// entry leaves in place (`ttm_lru_bulk_move_del` only moves `pos->first/last`), or when
    /// a range is re-created where its first member sits. Parking such a hitch behind
    /// `pos->last` jumps over resources the walk has not visited (docs/findings.md §4). The
    /// fixed model moves the hitch only when it lies within `first..=last` on its list (a
    /// walk over the range under `lru_lock`); otherwise it only deregisters the cursor, so
    /// the hitch stays where it is (any revisit is then bounded by the bump).
    fn bulk_move_adjust_cursors(&mut self, bulk: BulkId) {
        for c in std::mem::take(&mut self.bulks[bulk].cursor_list) {
            let (m, p) = (self.cursors[c].mem_type, self.cursors[c].priority);
            let pos = self.bulks[bulk].pos[m][p];
            if let Some(last) = pos.last {
                self.live_res(last, "ttm_bulk_move_adjust_cursors: pos->last");
                if self.v(Variant::BulkLeaveCursor) || self.hitch_in_range(c, pos) {
                    let was = self.cursors[c].hitch;
                    self.move_after(Item::Hitch(c), Item::Res(last));
                    let now = self.cursors[c].hitch;
                    if now != was
                        && let Some(now) = now
                    {
                        let owner = self.cursors[c].owner;
                        self.rec.event(self.section_task, || {
                            crate::model::trace::Ev::Note(format!(
                                "ttm_resource_cursor_move_bulk_tail parks cpu{owner}'s hitch behind {} on {now}",
                                self.res_name(last)
                            ))
                        });
                    }
                }
            }
            self.cursors[c].bulk = None;
        }
    }

    /// Does cursor `c`'s hitch lie between the range's first and last entries on the list
    /// that holds them?
    fn hitch_in_range(&self, c: CursorId, pos: Pos) -> bool {
        let (Some(first), Some(last)) = (pos.first, pos.last) else {
            return false;
        };
        let Some(l) = self.res[first].list else {
            return false;
        };
        let list = &self.lists[l.index()];
        let at = |i: Item| list.iter().position(|x| *x == i);
        match (
            at(Item::Res(first)),
            at(Item::Hitch(c)),
            at(Item::Res(last)),
        ) {
            (Some(f), Some(h), Some(la)) => f < h && h < la,
            _ => false,
        }
    }

    /// `ttm_lru_bulk_move_tail`: adjust cursors (the July 2024 fix; variant B19 lacks it),
    /// then move every non-empty range to the tail of its list.
    pub fn bulk_move_tail(&mut self, bulk: BulkId, task: u16) {
        self.check_bulk_live(bulk, "ttm_lru_bulk_move_tail");
        if !self.v(Variant::HitchCarried) {
            self.bulk_move_adjust_cursors(bulk);
        }
        for m in 0..TTM_NUM_MEM_TYPES {
            for p in 0..TTM_MAX_BO_PRIORITY {
                let pos = self.bulks[bulk].pos[m][p];
                let (Some(first), Some(last)) = (pos.first, pos.last) else {
                    continue;
                };
                self.live_res(first, "ttm_lru_bulk_move_tail: pos->first");
                self.live_res(last, "ttm_lru_bulk_move_tail: pos->last");
                let l = Self::pos_list(m, p);
                // list_bulk_move_tail(&man->lru[p], &first->lru, &last->lru) relinks
                // first..last wherever they are: a range stranded on another list (the
                // unpin-sole-member WARN) is spliced over from there, hitches inside it
                // included. Only a range whose ends lie on different lists, or in the
                // wrong order, is list corruption the model cannot follow (the moved
                // "segment" would contain a list head).
                let from = match (self.res[first].list, self.res[last].list) {
                    (Some(x), Some(y)) if x == y => x,
                    (x, y) => self.fail(
                        Property::LruStructure,
                        format!(
                            "list_bulk_move_tail: range {}..{} of bulk {} has its ends on different lists ({} and {}): the splice cross-links them (list corruption)",
                            self.res_name(first),
                            self.res_name(last),
                            self.bulks[bulk].name,
                            x.map_or("no list".into(), |x| x.to_string()),
                            y.map_or("no list".into(), |x| x.to_string()),
                        ),
                    ),
                };
                let (Some(a), Some(b)) = (
                    self.pos_in(from, Item::Res(first)),
                    self.pos_in(from, Item::Res(last)),
                ) else {
                    unreachable!("B1: a resource is on the list it records");
                };
                if a > b {
                    self.fail(
                        Property::LruStructure,
                        format!(
                            "list_bulk_move_tail: {} comes after {} on {from} (range inverted: the splice moves the list head, list corruption)",
                            self.res_name(first),
                            self.res_name(last)
                        ),
                    );
                }
                let run: Vec<Item> = self.lists[from.index()].drain(a..=b).collect();
                let moved = run.iter().filter(|i| is_res(i)).count() as u64;
                if from != l {
                    self.rec.event(task, || {
                        crate::model::trace::Ev::Note(format!(
                            "list_bulk_move_tail splices {}..{} of bulk {} from {from} onto {l}",
                            self.res_name(first),
                            self.res_name(last),
                            self.bulks[bulk].name
                        ))
                    });
                }
                self.lists[l.index()].extend(run.iter().copied());
                for item in run {
                    self.set_item_list(item, Some(l));
                }
                self.note_exposure(task, moved);
            }
        }
    }

    // ------------------------------------------------------------- cursors (§3–§4)

    /// `ttm_resource_cursor_init`: priority 0, hitch unlinked. (Needs no lock in the
    /// kernel; the model allocates the cursor in the arena here.)
    pub fn cursor_init(&mut self, man: MemType, owner: u16) -> CursorId {
        self.cursors.push(CursorEntry {
            man,
            priority: 0,
            hitch: None,
            bulk: None,
            mem_type: man,
            dead: false,
            owner,
            snapshot: Vec::new(),
            yielded: Vec::new(),
            yields: 0,
            exposures_at_first: Vec::new(),
            inserts_at_first: 0,
        });
        self.cursors.len() - 1
    }

    /// `ttm_resource_cursor_fini`: unlink the hitch and detach from the bulk (idempotent).
    pub fn cursor_fini(&mut self, c: CursorId) {
        self.unlink(Item::Hitch(c));
        self.cursor_detach_bulk(c);
    }

    /// The cursor's memory dies (end of the scoped guard / stack frame).
    pub fn cursor_free(&mut self, c: CursorId) {
        if self.cursors[c].hitch.is_some() {
            self.fail(
                Property::UseAfterFree,
                format!(
                    "cursor {c} of cpu{} freed while its hitch is still linked on {} (missing ttm_resource_cursor_fini)",
                    self.cursors[c].owner,
                    self.cursors[c].hitch.expect("linked")
                ),
            );
        }
        if let Some(b) = self.cursors[c].bulk {
            self.fail(
                Property::UseAfterFree,
                format!(
                    "cursor {c} freed while still on bulk {}'s cursor_list",
                    self.bulks[b].name
                ),
            );
        }
        self.cursors[c].dead = true;
    }

    fn cursor_detach_bulk(&mut self, c: CursorId) {
        if let Some(b) = self.cursors[c].bulk.take() {
            self.bulks[b].cursor_list.retain(|x| *x != c);
        }
    }

    /// `ttm_resource_cursor_check_bulk`: register with `res->bo->bulk_move` (trusting the
    /// pointer, not actual range membership: spec §4.3).
    fn cursor_check_bulk(&mut self, c: CursorId, r: ResId) {
        let b = self.bo_of(r).f().bulk_move;
        if b != self.cursors[c].bulk {
            self.cursor_detach_bulk(c);
            if let Some(b) = b {
                self.check_bulk_live(b, "ttm_resource_cursor_check_bulk");
                self.bulks[b].cursor_list.push(c);
                self.cursors[c].mem_type = self.res[r].mem_type;
            }
            self.cursors[c].bulk = b;
        }
    }

    /// `ttm_resource_manager_first`: hitch to the head of `lru[priority]`, then `next`.
    pub fn cursor_first(&mut self, c: CursorId) -> Option<ResId> {
        let man = self.cursors[c].man;
        let prio = self.cursors[c].priority;
        if prio >= TTM_MAX_BO_PRIORITY {
            self.fail(
                Property::LruStructure,
                format!(
                    "ttm_resource_manager_first on an exhausted cursor: man->lru[{prio}] is out of bounds"
                ),
            );
        }
        // Ghost: what is on the manager now must be yielded unless it leaves (P3).
        let snapshot: Vec<(ResId, u32)> = (0..TTM_MAX_BO_PRIORITY)
            .flat_map(|p| self.lists[ListId::Man(man, p).index()].iter())
            .filter_map(|i| match i {
                Item::Res(r) => Some((*r, self.res[*r].removals)),
                Item::Hitch(_) => None,
            })
            .collect();
        let exp = self.exposures.clone();
        let ins = self.inserts.iter().sum();
        let e = &mut self.cursors[c];
        e.snapshot = snapshot;
        e.yielded.clear();
        e.yields = 0;
        e.exposures_at_first = exp;
        e.inserts_at_first = ins;
        self.move_head(Item::Hitch(c), ListId::Man(man, prio));
        self.cursor_next(c)
    }

    /// `ttm_resource_manager_next`: the first resource behind the hitch (skipping other
    /// hitches), moving on to the next priority at a list end; NULL when all are done.
    ///
    /// Kernel list semantics: `list_for_each_entry_continue(lru, &man->lru[prio], link)`
    /// follows `next` pointers from the hitch and stops only at `&man->lru[prio]`. A hitch
    /// that sits on another list (stranded on `bdev->unevictable` by a bulk bump after the
    /// unpin-sole-member WARN, docs/findings.md §3) never meets that head: the loop runs
    /// round the foreign list, passing its head (read as a `ttm_lru_item`, see
    /// [`Lru::foreign_step`]), and yields whatever resource it meets there, again and
    /// again (bounded revisits, `walk-progress`); a foreign list that holds no resource
    /// at all spins inside this call with `lru_lock` held (`livelock`: a hard lockup).
    pub fn cursor_next(&mut self, c: CursorId) -> Option<ResId> {
        loop {
            let man = self.cursors[c].man;
            let prio = self.cursors[c].priority;
            let head = ListId::Man(man, prio);
            let Some(l) = self.cursors[c].hitch else {
                // list_del_init left the hitch linked to itself: the loop meets neither
                // a resource nor &man->lru[prio].
                self.hard_lockup(
                    c,
                    "the hitch is unlinked (list_del_init: it points at itself)".into(),
                );
            };
            if l != head {
                match self.foreign_step(c, l) {
                    Some(r) => return Some(self.yield_res(c, r)),
                    None => {
                        self.hard_lockup(c, format!("the hitch is on {l}, which holds no resource"))
                    }
                }
            }
            let list = &self.lists[l.index()];
            let p = list
                .iter()
                .position(|i| *i == Item::Hitch(c))
                .expect("hitch");
            if let Some(Item::Res(r)) = list[p + 1..].iter().find(|i| is_res(i)).copied() {
                return Some(self.yield_res(c, r));
            }
            self.cursors[c].priority += 1;
            let prio = self.cursors[c].priority;
            if prio >= TTM_MAX_BO_PRIORITY {
                self.check_no_skip(c);
                return None;
            }
            self.move_head(Item::Hitch(c), ListId::Man(man, prio));
            self.cursor_detach_bulk(c);
            if self.v(Variant::NextMissingReturn) {
                // "Allow TTM LRU list nodes of different types" (msgid ...-2): the first
                // resource of the later list was computed and then discarded.
                while self.cursors[c].priority < TTM_MAX_BO_PRIORITY - 1 {
                    self.cursors[c].priority += 1;
                }
                self.check_no_skip(c);
                return None;
            }
        }
    }

    /// The found resource: `ttm_resource_cursor_check_bulk`, hitch behind it, return it.
    fn yield_res(&mut self, c: CursorId, r: ResId) -> ResId {
        self.live_res(r, "ttm_resource_manager_next");
        self.cursor_check_bulk(c, r);
        self.move_after(Item::Hitch(c), Item::Res(r));
        self.note_yield(c, r);
        r
    }

    /// `list_for_each_entry_continue` from a hitch on a list `l` that is not the walk's
    /// `&man->lru[prio]`: the first resource going round `l` from the hitch (behind it,
    /// then past `l`'s head, from `l`'s start), or None when `l` holds none.
    ///
    /// Passing `l`'s head, the kernel reads it as a `ttm_lru_item` and tests its `type`:
    /// the word behind `bdev->unevictable` is `bdev->dev_mapping` (a pointer), behind
    /// `man->lru[p]` it is `man->lru[p + 1].next` or `man->move` — never 0 =
    /// `TTM_LRU_RESOURCE` in practice, so the head is skipped like a hitch. (Were it read
    /// as a resource, the walk would dereference a wild pointer: worse, not better.)
    fn foreign_step(&self, c: CursorId, l: ListId) -> Option<ResId> {
        let list = &self.lists[l.index()];
        let p = list.iter().position(|i| *i == Item::Hitch(c))?;
        list[p + 1..]
            .iter()
            .chain(list[..p].iter())
            .find_map(|i| match i {
                Item::Res(r) => Some(*r),
                Item::Hitch(_) => None,
            })
    }

    /// `ttm_resource_manager_next` never returns: it spins under `lru_lock` (the kernel's
    /// hard-lockup / RCU-stall detector, or a hung machine).
    fn hard_lockup(&self, c: CursorId, why: String) -> ! {
        let e = &self.cursors[c];
        self.fail(
            Property::Livelock,
            format!(
                "ttm_resource_manager_next by cpu{} on {} never terminates: {why}; \
                 list_for_each_entry_continue stops only at &man->lru[{}], which it never \
                 meets, so the loop spins with lru_lock held (hard lockup)",
                e.owner,
                mem_type_name(e.man),
                e.priority
            ),
        )
    }

    fn note_yield(&mut self, c: CursorId, r: ResId) {
        let owner = self.cursors[c].owner;
        {
            let e = &mut self.cursors[c];
            e.yields += 1;
            if !e.yielded.contains(&r) {
                e.yielded.push(r);
            }
        }
        // P4 bounded revisits: every yield uses up a resource present at first(), one
        // inserted since, or one moved toward the tail by another task since.
        let e = &self.cursors[c];
        let others: u64 = self
            .exposures
            .iter()
            .enumerate()
            .filter(|(t, _)| *t != owner as usize)
            .map(|(t, n)| n - e.exposures_at_first.get(t).copied().unwrap_or(0))
            .sum();
        let inserted = self.inserts.iter().sum::<u64>() - e.inserts_at_first;
        let allowance = e.snapshot.len() as u64 + others + inserted;
        if e.yields > allowance {
            let msg = format!(
                "walk on {} by cpu{owner} yielded {} resources but only {} were present, inserted or bumped by other CPUs since ttm_resource_manager_first: {} is revisited without bound (the walk does not terminate)",
                mem_type_name(e.man),
                e.yields,
                allowance,
                self.res_name(r)
            );
            self.fail(Property::WalkProgress, msg);
        }
    }

    /// P3 / G3: a walk that ran to the end yielded every resource that was on the manager
    /// at `first()` and never left it.
    fn check_no_skip(&self, c: CursorId) {
        let e = &self.cursors[c];
        for (r, removals) in &e.snapshot {
            let now = &self.res[*r];
            if now.finished || now.removals != *removals || e.yielded.contains(r) {
                continue;
            }
            self.fail(
                Property::WalkSkip,
                format!(
                    "walk on {} by cpu{} ended without yielding {}, which was on the LRU at ttm_resource_manager_first and never left it",
                    mem_type_name(e.man),
                    e.owner,
                    self.res_name(*r)
                ),
            );
        }
    }

    // --------------------------------------------------------------- invariants

    /// B1–B5 and C1 of spec §2, plus "a pinned resource is on `unevictable`" (B16/B18
    /// model tests). Runs whenever `lru_lock` is about to be released.
    pub fn check_invariants(&self) {
        // B1: each item at most once, and the back-pointer agrees.
        let mut seen_res = vec![0u32; self.res.len()];
        let mut seen_hitch = vec![0u32; self.cursors.len()];
        for (li, list) in self.lists.iter().enumerate() {
            for i in list {
                match i {
                    Item::Res(r) => {
                        seen_res[*r] += 1;
                        if self.res[*r].list.map(|l| l.index()) != Some(li) {
                            self.warn(
                                Property::LruStructure,
                                format!(
                                    "B1: {} is linked on a list it does not record",
                                    self.res_name(*r)
                                ),
                            );
                        }
                    }
                    Item::Hitch(c) => {
                        seen_hitch[*c] += 1;
                        if self.cursors[*c].dead {
                            self.fail(
                                Property::UseAfterFree,
                                format!("B1: the hitch of freed cursor {c} is still linked"),
                            );
                        }
                    }
                }
            }
        }
        if let Some(r) = seen_res.iter().position(|n| *n > 1) {
            self.warn(
                Property::LruStructure,
                format!("B1: {} is on more than one list position", self.res_name(r)),
            );
        }
        if let Some(c) = seen_hitch.iter().position(|n| *n > 1) {
            self.warn(
                Property::LruStructure,
                format!("B1: hitch of cursor {c} linked twice"),
            );
        }
        // B2–B4 for every live bulk.
        for (bi, b) in self.bulks.iter().enumerate() {
            if !b.live {
                continue;
            }
            for m in 0..TTM_NUM_MEM_TYPES {
                for p in 0..TTM_MAX_BO_PRIORITY {
                    self.check_range(bi, m, p);
                }
            }
            // C1.
            for c in &b.cursor_list {
                if self.cursors[*c].bulk != Some(bi) {
                    self.warn(
                        Property::LruStructure,
                        format!(
                            "C1: cursor {c} is on bulk {}'s cursor_list but cursor->bulk differs",
                            b.name
                        ),
                    );
                }
            }
        }
        for (ci, c) in self.cursors.iter().enumerate() {
            if let Some(b) = c.bulk
                && !self.bulks[b].cursor_list.contains(&ci)
            {
                self.warn(
                    Property::LruStructure,
                    format!(
                        "C1: cursor {ci} points at bulk {} but is not on its cursor_list",
                        self.bulks[b].name
                    ),
                );
            }
        }
        // B5.
        for (m, man) in self.man.iter().enumerate() {
            let sum: u64 = self
                .res
                .iter()
                .filter(|e| !e.finished && e.mem_type == m)
                .map(|e| e.pages)
                .sum();
            if sum + man.external != man.usage {
                self.warn(
                    Property::LruStructure,
                    format!(
                        "B5: {} man->usage is {} but its live resources hold {sum} pages",
                        mem_type_name(m),
                        man.usage
                    ),
                );
            }
        }
        // Pinned resources live on bdev->unevictable (since "Move pinned objects off LRU
        // lists when pinning"); before it (variant pinned-on-lru) a pinned BO stayed on its
        // LRU until the next move_to_lru_tail.
        if !self.v(Variant::PinnedOnLru) {
            for (r, e) in self.res.iter().enumerate() {
                if e.finished || e.list.is_none() {
                    continue;
                }
                let Some(b) = e.bo else { continue };
                let f = self.bos[b].f();
                if f.pin_count > 0 && f.resource == Some(r) && e.list != Some(ListId::Unevictable) {
                    drop(f);
                    self.warn(
                        Property::LruStructure,
                        format!(
                            "{} of a pinned BO is on {} instead of bdev->unevictable",
                            self.res_name(r),
                            e.list.expect("on a list")
                        ),
                    );
                }
            }
        }
    }

    fn check_range(&self, bi: BulkId, m: MemType, p: usize) {
        let b = &self.bulks[bi];
        let pos = b.pos[m][p];
        let l = Self::pos_list(m, p);
        let (first, last) = match (pos.first, pos.last) {
            (None, None) => {
                for item in &self.lists[l.index()] {
                    if let Item::Res(r) = item
                        && !self.b3_window(*r)
                        && self.bulk_member(*r) == Some(bi)
                    {
                        self.warn(
                            Property::LruStructure,
                            format!(
                                "B3: {} is a member of bulk {} whose range on {l} is empty",
                                self.res_name(*r),
                                b.name
                            ),
                        );
                    }
                }
                return;
            }
            (Some(f), Some(la)) => (f, la),
            _ => {
                self.warn(
                    Property::LruStructure,
                    format!(
                        "B2: bulk {} pos[{}][{p}] has only one of first/last",
                        b.name,
                        mem_type_name(m)
                    ),
                );
                return;
            }
        };
        for (what, r) in [("first", first), ("last", last)] {
            if self.res[r].finished {
                self.fail(
                    Property::UseAfterFree,
                    format!(
                        "B4: bulk {} pos[{}][{p}].{what} points at freed {}",
                        b.name,
                        mem_type_name(m),
                        self.res_name(r)
                    ),
                );
            }
        }
        let (Some(a), Some(z)) = (
            self.pos_in(l, Item::Res(first)),
            self.pos_in(l, Item::Res(last)),
        ) else {
            self.warn(
                Property::LruStructure,
                format!(
                    "B2: bulk {} range {}..{} is not on {l} ({} is on {}, {} on {})",
                    b.name,
                    self.res_name(first),
                    self.res_name(last),
                    self.res_name(first),
                    self.res[first]
                        .list
                        .map_or("no list".into(), |x| x.to_string()),
                    self.res_name(last),
                    self.res[last]
                        .list
                        .map_or("no list".into(), |x| x.to_string()),
                ),
            );
            return;
        };
        if a > z {
            self.warn(
                Property::LruStructure,
                format!(
                    "B2: bulk {} range inverted: {} after {}",
                    b.name,
                    self.res_name(first),
                    self.res_name(last)
                ),
            );
            return;
        }
        for (i, item) in self.lists[l.index()].iter().enumerate() {
            let Item::Res(r) = item else { continue };
            let Some((window, member, owner)) = self.b3_snapshot(*r, bi) else {
                self.bo_of(*r); // a resource on the LRU without its BO: reported there
                continue;
            };
            if window {
                continue;
            }
            let inside = (a..=z).contains(&i);
            if inside {
                if owner != Some(bi) || !member {
                    self.warn(
                        Property::LruStructure,
                        format!(
                            "B3: {} inside bulk {}'s range {}..{} is not a member of that bulk",
                            self.res_name(*r),
                            b.name,
                            self.res_name(first),
                            self.res_name(last)
                        ),
                    );
                }
            } else if member {
                self.warn(
                    Property::LruStructure,
                    format!("B3: {} is a member of bulk {} but lies outside its range {}..{} on {l} (the range no longer describes the list)", self.res_name(*r), b.name, self.res_name(first), self.res_name(last)),
                );
            }
        }
    }
}
