//! The device, buffer objects and resources: `drivers/gpu/drm/ttm/ttm_bo.c`,
//! `ttm_resource.c` (alloc/free), `ttm_tt.c` (populate, swapout, backup) and
//! `ttm_bo_util.c` (ghost transfer), spec `ttm_lru.md` §1–§2 and §5.3.
//!
//! Simplifications, each safe for what is checked:
//! * GPU fences are a per-BO `busy` flag; "wait for idle" is a scheduling point after
//!   which the fence has signalled (fences always signal; the model counts the wait as a
//!   blocking action for the reclaim checks). `no_wait_gpu` on a busy BO gives -EBUSY.
//! * A range manager's own allocator lock is folded into the `lru_lock` section of
//!   `ttm_resource_init` (allocation succeeds or fails atomically either way).
//! * Page contents are a version number per BO and a location (the page ledger), not
//!   data; a move copies the version, a clear resets it.

use super::lockdep::{LockKind, Lockdep};
use super::lru::{Lru, Manager, ResId};
use super::{MemType, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM, mem_type_name};
use crate::model::Machine;
use crate::model::fault::{self, site};
use crate::model::kref::Kref;
use crate::model::property::Property;
use crate::model::sync::{Arc, Mutex, yield_now};
use crate::model::task::Task;
use crate::model::trace::{EBUSY, ERESTARTSYS, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::ww::{WwAcquireCtx, WwClass, WwMutex};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub type BoId = usize;

/// Which driver's `ttm_tt_create` made a BO's tt, i.e. its constant `page_flags`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TtKind {
    /// A generic TTM driver (amdgpu, radeon, nouveau, ...): no EXTERNAL flag, so TTM's own
    /// swapout (`ttm_bo_swapout_cb`) may swap it.
    Plain,
    /// Xe (`xe_ttm_tt_create`): `TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE`;
    /// TTM swapout skips it, the Xe shrinker backs it up (`xe_bo_shrink`).
    #[default]
    Xe,
    /// An Xe BO of `ttm_bo_type_sg` (an imported dma-buf): EXTERNAL without
    /// EXTERNAL_MAPPABLE, so neither TTM swapout nor `xe_bo_shrink` (-EBUSY) touches it.
    XeImportedSg,
}

/// `struct ttm_tt` state flags that matter here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tt {
    /// `TTM_TT_FLAG_EXTERNAL`: the pages are the driver's (Xe, imported sg): TTM swapout
    /// refuses the tt (`ttm_bo_swapout_cb`: -EBUSY, the walk skips it).
    pub external: bool,
    /// `TTM_TT_FLAG_EXTERNAL_MAPPABLE`: Xe's own pages that it may still map and shrink.
    pub external_mappable: bool,
    /// `TTM_TT_FLAG_PRIV_POPULATED`: system pages are allocated.
    pub populated: bool,
    /// `TTM_TT_FLAG_SWAPPED`.
    pub swapped: bool,
    /// `TTM_TT_FLAG_BACKED_UP` (shrinker backup to shmem).
    pub backed_up: bool,
    /// Xe `xe_tt->purgeable` (contents may be dropped).
    pub purgeable: bool,
}

impl Tt {
    /// `ttm_tt_init(.., page_flags, ..)` as the BO's driver calls it.
    pub fn new(kind: TtKind) -> Tt {
        Tt {
            external: kind != TtKind::Plain,
            external_mappable: kind == TtKind::Xe,
            ..Tt::default()
        }
    }

    /// `ttm_tt_is_swapped`: SWAPPED or BACKED_UP.
    pub fn is_swapped(&self) -> bool {
        self.swapped || self.backed_up
    }
}

/// Where a BO's current contents are (the page ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// Never written: nothing to preserve.
    Empty,
    /// In the BO's resource (VRAM) or its populated tt pages (TT/SYSTEM).
    Resident,
    /// In swap (`ttm_tt_swapout`) or in the shmem backup (`ttm_tt_backup`).
    Stored,
    /// Purged: dropped on purpose (purgeable BO).
    Purged,
}

/// The resv-protected fields of `struct ttm_buffer_object`.
#[derive(Clone, Debug)]
pub struct BoFields {
    pub resource: Option<ResId>,
    pub tt: Option<Tt>,
    pub pin_count: u32,
    pub priority: usize,
    pub deleted: bool,
    pub bulk_move: Option<super::BulkId>,
    /// `bo->base.resv` switched to the private `_resv` (`ttm_bo_individualize_resv`).
    pub individualized: bool,
    /// `ttm_bo_release` finished: the memory is gone.
    pub destroyed: bool,
    /// Ledger: where the contents are and their version.
    pub data: Data,
    pub version: u64,
    /// P5 ghost: the walker currently inside `process_bo` for this BO.
    pub processing: Option<u16>,
    /// Ghost, read only by the invariant checker (B3): the tt's `ttm_tt_is_swapped`
    /// changed outside `lru_lock` (`ttm_tt_swapout`, `ttm_tt_backup`, a restore in
    /// `ttm_tt_populate`) and the kernel function that changed it has not yet re-filed
    /// `bo->resource` under `lru_lock` (`ttm_resource_del_bulk_move_unevictable` +
    /// `move_to_lru_tail`, or `add_bulk_move` + `move_to_lru_tail` in `ttm_bo_populate`)
    /// nor returned. In that window mainline's predicate already gives the new answer
    /// while the resource is where the old one put it; nobody else asks the predicate
    /// about it (every re-filing needs the resv, which the changing task holds), so B3
    /// skips it. The code before b2ed01e7ad / 1d59f36e95f7 (variants
    /// `swapout-fail-rebump`, `shrink-backup-rebump`) has the mirror window: it takes the
    /// resource out of its range (in place, for a range end) before the swapout / backup
    /// and re-adds it after a failure, so the predicate says "member" meanwhile; the same
    /// mark covers it. Cleared by the re-filing section ([`Lru::add_bulk_move`] and
    /// friends) or by [`lru_settled`] when the function returns without one (variant
    /// `swapout-bulk-ret`: then the next section sees the stale range, as it should). So
    /// B3 holds for every resource whose BO is not inside one of these functions.
    pub lru_pending: bool,
    /// The flags the driver's `ttm_tt_create` gives this BO's tts.
    pub tt_kind: TtKind,
}

/// `struct ttm_buffer_object`.
#[derive(Debug)]
pub struct TtmBo {
    pub id: BoId,
    pub name: Arc<str>,
    pub pages: u64,
    pub kref: Kref,
    fields: std::sync::Mutex<BoFields>,
    /// `bo->base.resv` as created (possibly shared: all BOs of a VM share one).
    shared_resv: Arc<WwMutex>,
    /// `bo->base._resv`, used after individualisation.
    private_resv: Arc<WwMutex>,
    /// An unsignalled fence is attached (GPU busy).
    pub busy: AtomicBool,
    /// A ghost object (`ttm_buffer_object_transfer`).
    pub ghost: bool,
}

impl TtmBo {
    /// The fields cell; callers follow the kernel's locking rule for each field (checked
    /// by the mutators in this module).
    pub fn f(&self) -> std::sync::MutexGuard<'_, BoFields> {
        self.fields.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `bo->base.resv`.
    pub fn resv(&self) -> &Arc<WwMutex> {
        if self.f().individualized {
            &self.private_resv
        } else {
            &self.shared_resv
        }
    }

    pub fn resv_uid(&self) -> usize {
        self.resv().uid
    }
}

/// Counters of the page ledger (std, ghost).
#[derive(Debug, Default)]
pub struct Ledger {
    /// Pages allocated from the system page allocator for tts.
    pub sys_pages: u64,
    /// Pages freed by reclaim actions, per task (compared with scan return values).
    pub freed_by: Vec<u64>,
    /// Resources evicted (each residency may be evicted once).
    pub evicted: Vec<ResId>,
    /// Blocking actions (GPU waits, writeback, sleeping locks) per task.
    pub blocking_by: Vec<u64>,
}

fn slot(v: &mut Vec<u64>, t: u16) -> &mut u64 {
    let t = t as usize;
    if v.len() <= t {
        v.resize(t + 1, 0);
    }
    &mut v[t]
}

impl Ledger {
    pub fn freed(&mut self, t: u16) -> &mut u64 {
        slot(&mut self.freed_by, t)
    }
    pub fn blocking(&mut self, t: u16) -> &mut u64 {
        slot(&mut self.blocking_by, t)
    }
}

/// `struct ttm_device` with its managers.
pub struct TtmDevice {
    pub m: Arc<Machine>,
    /// `bdev->lru_lock` and everything it protects.
    lru_lock: Mutex<Lru>,
    /// Ghost holder of `lru_lock` (task id + 1; 0 = free).
    lru_holder: AtomicU64,
    pub class: Arc<WwClass>,
    pub ledger: std::sync::Mutex<Ledger>,
    /// Delayed-delete work queued by `ttm_bo_release` (the workqueue).
    pub delayed: std::sync::Mutex<Vec<Arc<TtmBo>>>,
    pub lockdep: Arc<Lockdep>,
    /// `res->mem_type` by resource id (immutable after init; read without `lru_lock`
    /// as the kernel reads `bo->resource->mem_type` under the resv only).
    res_mem: std::sync::Mutex<Vec<MemType>>,
    /// Measurement only (std atomics, no scheduling point): `lru_lock` acquisitions and
    /// `dma_resv` lock/trylock attempts on this device (`benches/designs.rs`).
    pub lru_acquisitions: AtomicU64,
    pub resv_attempts: AtomicU64,
    /// The driver's `ttm_device_funcs.move` for BOs whose contents are not in the
    /// resource (Xe `xe_bo_move` of a CPU_ADDR_MIRROR BO → `xe_svm_bo_evict`): called by
    /// [`ttm_bo_evict`](super::evict::ttm_bo_evict) with the resv held; `None` = not such
    /// a BO, `Some(0)` = contents gone, move on (`ttm_bo_move_null`), `Some(err)` = the BO
    /// keeps its memory.
    pub move_hook: std::sync::Mutex<Option<MoveHook>>,
    /// The driver's `ttm_tt_create` for new BOs (default Xe, the driver the model
    /// follows: its shrinker and SVM). Scenarios of TTM's own swapout use
    /// [`TtKind::Plain`] BOs, as a driver without EXTERNAL tts (amdgpu) would.
    tt_kind: std::sync::Mutex<TtKind>,
}

/// See [`TtmDevice::move_hook`].
pub type MoveHook = Arc<dyn Fn(&Arc<Task>, &Arc<TtmBo>) -> Option<i32> + Send + Sync>;

/// Capacities (pages) of the managers of a scenario: SYSTEM is unlimited.
#[derive(Clone, Copy, Debug)]
pub struct DeviceConfig {
    pub vram_pages: u64,
    pub tt_pages: Option<u64>,
}

impl TtmDevice {
    pub fn new(m: &Arc<Machine>, cfg: DeviceConfig, lockdep: Arc<Lockdep>) -> Arc<TtmDevice> {
        let man = vec![
            Manager {
                capacity: None,
                usage: 0,
                use_tt: true,
                external: 0,
            },
            Manager {
                capacity: cfg.tt_pages,
                usage: 0,
                use_tt: true,
                external: 0,
            },
            Manager {
                capacity: Some(cfg.vram_pages),
                usage: 0,
                use_tt: false,
                external: 0,
            },
        ];
        Arc::new(TtmDevice {
            m: Arc::clone(m),
            lru_lock: Mutex::new(Lru::new(m.variants, Arc::clone(&m.rec), man)),
            lru_holder: AtomicU64::new(0),
            class: WwClass::reservation(),
            ledger: Default::default(),
            delayed: Default::default(),
            lockdep,
            res_mem: Default::default(),
            lru_acquisitions: AtomicU64::new(0),
            resv_attempts: AtomicU64::new(0),
            move_hook: Default::default(),
            tt_kind: Default::default(),
        })
    }

    /// The tt kind BOs created from now on get.
    pub fn default_tt_kind(&self) -> TtKind {
        *self.tt_kind.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Scenario setup: BOs created from now on get `kind` tts.
    pub fn set_default_tt_kind(&self, kind: TtKind) {
        *self.tt_kind.lock().unwrap_or_else(|e| e.into_inner()) = kind;
    }

    /// Scenario setup: `bo`'s tts (the existing one too) are `kind` ones.
    pub fn set_tt_kind(&self, bo: &TtmBo, kind: TtKind) {
        let mut f = bo.f();
        f.tt_kind = kind;
        if let Some(tt) = f.tt.as_mut() {
            let fresh = Tt::new(kind);
            tt.external = fresh.external;
            tt.external_mappable = fresh.external_mappable;
        }
    }

    /// One `spin_lock(&bdev->lru_lock)` … `spin_unlock` section: one model step. The
    /// structural invariants are checked just before the lock is released.
    pub fn lru<R>(&self, cur: &Task, f: impl FnOnce(&mut Lru) -> R) -> R {
        self.lockdep.acquire(cur, "lru_lock", LockKind::Spin);
        let mut g = self.lru_lock.lock();
        self.lru_acquisitions.fetch_add(1, Ordering::Relaxed);
        self.lru_holder.store(cur.id as u64 + 1, Ordering::SeqCst);
        g.section_task = cur.id;
        let r = f(&mut g);
        g.check_invariants();
        self.lru_holder.store(0, Ordering::SeqCst);
        drop(g);
        self.lockdep.release(cur, "lru_lock");
        r
    }

    /// `lockdep_assert_held(&bdev->lru_lock)` in the negative: true if `cur` holds it.
    pub fn holds_lru(&self, cur: &Task) -> bool {
        self.lru_holder.load(Ordering::SeqCst) == cur.id as u64 + 1
    }

    /// `res->mem_type`.
    pub fn res_mem(&self, r: ResId) -> MemType {
        self.res_mem.lock().unwrap_or_else(|e| e.into_inner())[r]
    }

    fn note_res(&self, r: ResId, m: MemType) {
        let mut v = self.res_mem.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() <= r {
            v.resize(r + 1, 0);
        }
        v[r] = m;
    }

    pub fn ledger<R>(&self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        f(&mut self.ledger.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn fail(&self, p: Property, msg: String) -> ! {
        self.m.fail(p, msg)
    }

    pub fn note(&self, cur: &Task, s: String) {
        cur.event(|| Ev::Note(s));
    }

    /// Create a BO with kref 1 (`ttm_bo_init_reserved` minus the placement, which the
    /// caller does with [`ttm_bo_validate`](super::evict::ttm_bo_validate) or
    /// [`TtmDevice::setup_place`]). `resv`: share a VM's resv (bulk BOs must).
    pub fn bo_create(
        &self,
        cur: &Task,
        name: &str,
        pages: u64,
        priority: usize,
        resv: Option<&Arc<WwMutex>>,
    ) -> Arc<TtmBo> {
        let shared = resv
            .cloned()
            .unwrap_or_else(|| WwMutex::new(&self.m, &format!("{name}.resv"), &self.class));
        let private = WwMutex::new(&self.m, &format!("{name}._resv"), &self.class);
        self.lru(cur, |lru| {
            let bo = Arc::new(TtmBo {
                id: lru.bos.len(),
                name: name.into(),
                pages,
                kref: Kref::new(name),
                fields: std::sync::Mutex::new(BoFields {
                    resource: None,
                    tt: None,
                    pin_count: 0,
                    priority,
                    deleted: false,
                    bulk_move: None,
                    individualized: false,
                    destroyed: false,
                    data: Data::Empty,
                    version: 0,
                    processing: None,
                    lru_pending: false,
                    tt_kind: self.default_tt_kind(),
                }),
                shared_resv: shared,
                private_resv: private,
                busy: AtomicBool::new(false),
                ghost: false,
            });
            lru.bos.push(Arc::clone(&bo));
            bo
        })
    }

    /// A VM's shared resv (all BOs of one bulk move share it).
    pub fn vm_resv(&self, name: &str) -> Arc<WwMutex> {
        WwMutex::new(&self.m, name, &self.class)
    }

    /// Scenario setup: place a fresh BO in `mem` with written contents (resv held by the
    /// caller): `ttm_resource_alloc` plus the tt population of a bind.
    pub fn setup_place(&self, cur: &Task, bo: &Arc<TtmBo>, mem: MemType) {
        // Scenario setup is not a kernel operation under test: the fallible calls are
        // made without their fault sites (`__ttm_resource_alloc`, `__ttm_tt_populate`).
        let r = ttm_resource_alloc_nofail(cur, self, bo, mem).unwrap_or_else(|e| {
            self.fail(
                Property::Expectation,
                format!(
                    "scenario setup: {} does not fit in {} ({e})",
                    bo.name,
                    mem_type_name(mem)
                ),
            )
        });
        bo.f().resource = Some(r);
        if mem != TTM_PL_VRAM {
            tt_populate_pages(cur, self, bo);
        }
        let mut f = bo.f();
        f.data = Data::Resident;
        f.version = 1;
    }

    /// All BOs (ghost view for end-of-scenario checks).
    pub fn bos(&self, cur: &Task) -> Vec<Arc<TtmBo>> {
        self.lru(cur, |lru| lru.bos.clone())
    }

    pub fn bulk_init(&self, cur: &Task, name: &str) -> super::BulkId {
        self.lru(cur, |lru| lru.bulk_init(name))
    }

    pub fn bulk_fini(&self, cur: &Task, bulk: super::BulkId) {
        self.lru(cur, |lru| lru.bulk_fini(bulk))
    }
}

// ------------------------------------------------------------------ resv helpers

/// `dma_resv_assert_held(bo->base.resv)`.
pub fn dma_resv_assert_held(cur: &Task, bo: &TtmBo, what: &str) {
    if cur.machine.holder(bo.resv().uid) != Some(cur.id) {
        cur.machine.fail(
            Property::LruLocking,
            format!(
                "{what}({}) by {} without holding {}",
                bo.name,
                cpu_name(cur.id),
                bo.resv().name
            ),
        );
    }
}

/// Every operation on a BO first checks that its memory is still there: a BO whose final
/// `ttm_bo_put` released it (`ttm_bo_release` done, or the reference count already 0 for
/// a caller that owns no reference) is freed memory, and touching it is what KASAN would
/// report as a use-after-free (rather than the downstream symptom, such as an unlock by a
/// non-owner of a lock in freed memory).
pub fn ttm_bo_check_alive(cur: &Task, bo: &TtmBo, op: &str) {
    let destroyed = bo.f().destroyed;
    if destroyed || bo.kref.read() == 0 {
        cur.machine.fail(
            Property::UseAfterFree,
            format!(
                "{op}({}) by {} after its final ttm_bo_put ({})",
                bo.name,
                cpu_name(cur.id),
                if destroyed {
                    "ttm_bo_release freed it"
                } else {
                    "kref is 0, release in progress"
                }
            ),
        );
    }
}

/// Failures injected into `cur` so far in this execution (a check of an outcome that an
/// injected failure can explain compares this before and after the operation).
pub fn injected_into(cur: &Task) -> usize {
    cur.machine.rec.with(|r| {
        r.inject
            .injected
            .iter()
            .filter(|i| i.task == cur.id)
            .count()
    })
}

/// `dma_resv_locking_ctx`: the ticket holding the resv, if any.
pub fn dma_resv_locking_ctx(lock: &WwMutex) -> Option<Arc<WwAcquireCtx>> {
    lock.holder_ctx()
}

/// `dma_resv_trylock` (legal under `lru_lock`).
pub fn dma_resv_trylock(cur: &Arc<Task>, dev: &TtmDevice, bo: &TtmBo) -> bool {
    dev.resv_attempts.fetch_add(1, Ordering::Relaxed);
    crate::ww::ww_mutex_trylock(cur, bo.resv(), None)
}

/// `dma_resv_lock(_interruptible)` with an optional ticket: a sleeping lock, so never
/// under `lru_lock` (lock order resv → lru_lock, P6) and never in reclaim (lockdep).
pub fn dma_resv_lock(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &TtmBo,
    ticket: Option<&Arc<WwAcquireCtx>>,
    interruptible: bool,
) -> i32 {
    dma_resv_lock_raw(cur, dev, bo.resv(), ticket, interruptible)
}

/// `dma_resv_lock` on a resv that is not (yet) reached through a BO (a VM's resv).
pub fn dma_resv_lock_raw(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    lock: &WwMutex,
    ticket: Option<&Arc<WwAcquireCtx>>,
    interruptible: bool,
) -> i32 {
    dev.resv_attempts.fetch_add(1, Ordering::Relaxed);
    if dev.holds_lru(cur) {
        dev.fail(
            Property::LruLocking,
            format!(
                "{} sleeps in dma_resv_lock({}) while holding lru_lock (order is resv -> lru_lock)",
                cpu_name(cur.id),
                lock.name
            ),
        );
    }
    if interruptible {
        crate::ww::ww_mutex_lock_interruptible(cur, lock, ticket)
    } else {
        crate::ww::ww_mutex_lock(cur, lock, ticket)
    }
}

pub fn dma_resv_unlock(cur: &Arc<Task>, dev: &TtmDevice, bo: &TtmBo) {
    dma_resv_unlock_raw(cur, dev, bo.resv());
}

pub fn dma_resv_unlock_raw(cur: &Arc<Task>, dev: &TtmDevice, lock: &WwMutex) {
    let _ = dev;
    crate::ww::ww_mutex_unlock(cur, lock);
}

/// `ttm_bo_reserve(bo, interruptible, no_wait, ticket)`.
pub fn ttm_bo_reserve(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &TtmBo,
    no_wait: bool,
    ticket: Option<&Arc<WwAcquireCtx>>,
) -> i32 {
    ttm_bo_check_alive(cur, bo, "ttm_bo_reserve");
    if no_wait {
        if dma_resv_trylock(cur, dev, bo) {
            0
        } else {
            -EBUSY
        }
    } else {
        dma_resv_lock(cur, dev, bo, ticket, false)
    }
}

/// `ttm_bo_unreserve`: bump the BO to its LRU tail, then unlock. Every ordinary
/// reserve/unreserve bumps; walkers use plain `dma_resv_unlock`.
pub fn ttm_bo_unreserve(cur: &Arc<Task>, dev: &TtmDevice, bo: &TtmBo) {
    ttm_bo_check_alive(cur, bo, "ttm_bo_unreserve");
    ttm_bo_move_to_lru_tail_unlocked(cur, dev, bo);
    dma_resv_unlock(cur, dev, bo);
}

/// `ttm_bo_move_to_lru_tail_unlocked`.
pub fn ttm_bo_move_to_lru_tail_unlocked(cur: &Arc<Task>, dev: &TtmDevice, bo: &TtmBo) {
    ttm_bo_check_alive(cur, bo, "ttm_bo_move_to_lru_tail");
    dma_resv_assert_held(cur, bo, "ttm_bo_move_to_lru_tail");
    let res = bo.f().resource;
    if let Some(r) = res {
        dev.lru(cur, |lru| lru.move_to_lru_tail(r, cur.id));
    }
}

/// `ttm_lru_bulk_move_tail` as drivers call it (amdgpu_vm_move_to_lru_tail, xe_exec):
/// under `lru_lock`, with the VM's resv held (asserted on the first range entry).
pub fn ttm_lru_bulk_move_tail(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bulk: super::BulkId,
    vm_resv: &WwMutex,
) {
    if cur.machine.holder(vm_resv.uid) != Some(cur.id) {
        dev.fail(
            Property::LruLocking,
            format!(
                "ttm_lru_bulk_move_tail by {} without the VM resv held",
                cpu_name(cur.id)
            ),
        );
    }
    cur.event(|| Ev::Call {
        f: "ttm_lru_bulk_move_tail",
        obj: vm_resv.name.clone(),
        ctx: None,
    });
    dev.lru(cur, |lru| lru.bulk_move_tail(bulk, cur.id));
}

// ------------------------------------------------------------ resources

/// `ttm_resource_alloc`: the manager's alloc (which runs `ttm_resource_init`), then, in a
/// second `lru_lock` section, `ttm_resource_add_bulk_move`. The new resource is not yet
/// `bo->resource` (the caller assigns it).
///
/// Fault site `ttm_resource_alloc`: the manager's node allocation (`kzalloc` in
/// `ttm_range_man_alloc` / `amdgpu_gtt_mgr_new` / `xe_ttm_vram_mgr_new`) fails with
/// -ENOMEM before anything is initialised; a full manager is -ENOSPC (capacity, not
/// injected).
pub fn ttm_resource_alloc(
    cur: &Task,
    dev: &TtmDevice,
    bo: &TtmBo,
    mem: MemType,
) -> Result<ResId, i32> {
    if let Some(e) = fault::should_fail(cur, site::TTM_RESOURCE_ALLOC, || {
        format!("{}, {}", bo.name, mem_type_name(mem))
    }) {
        return Err(e);
    }
    ttm_resource_alloc_nofail(cur, dev, bo, mem)
}

/// [`ttm_resource_alloc`] without its fault site (scenario setup).
fn ttm_resource_alloc_nofail(
    cur: &Task,
    dev: &TtmDevice,
    bo: &TtmBo,
    mem: MemType,
) -> Result<ResId, i32> {
    let r = dev.lru(cur, |lru| lru.resource_init(bo.id, mem, bo.pages, cur.id))?;
    dev.note_res(r, mem);
    dev.lru(cur, |lru| {
        // add_bulk_move reads bo->resource == res for the swapped test; the new resource
        // is not bo->resource yet, exactly as in the kernel.
        lru.add_bulk_move(r);
        // Ghost: the ttm_resource_alloc window is over (ResEntry::unfiled).
        lru.res[r].unfiled = false;
    });
    Ok(r)
}

/// `ttm_resource_free(bo, &res)`: del_bulk_move in one section, then `ttm_resource_fini`
/// (list_del_init, usage) in another; `*res = NULL` (clearing `bo->resource` under
/// `lru_lock`, 9a9a8fe26751).
pub fn ttm_resource_free(cur: &Task, dev: &TtmDevice, bo: &TtmBo, r: ResId) {
    dev.lru(cur, |lru| {
        lru.del_bulk_move(r);
        // Ghost: the ttm_resource_free window until ttm_resource_fini (ResEntry::unfiled).
        lru.res[r].unfiled = true;
    });
    dev.lru(cur, |lru| {
        lru.resource_fini(r);
        let mut f = bo.f();
        if f.resource == Some(r) {
            f.resource = None;
        }
    });
}

/// `ttm_resource_del_bulk_move_unevictable` (`ttm_resource.c`, b2ed01e7ad): see
/// [`Lru::del_bulk_move_unevictable`]. Called inside an `lru_lock` section.
pub fn ttm_resource_del_bulk_move_unevictable(_cur: &Task, lru: &mut Lru, r: ResId) {
    lru.del_bulk_move_unevictable(r);
}

/// Ghost: the kernel function that changed the BO's `ttm_tt_is_swapped` returns (see
/// [`BoFields::lru_pending`]).
pub fn lru_settled(bo: &TtmBo) {
    bo.f().lru_pending = false;
}

// ------------------------------------------------------------------- tt / ledger

/// `ttm_tt_populate` (`drivers/gpu/drm/ttm/ttm_tt.c`): allocate the system pages (a
/// reclaiming allocation: lockdep records fs_reclaim under whatever is held). Fault site
/// `ttm_tt_populate`: `ttm_pool_alloc()` / the driver's populate fails with -ENOMEM; the
/// kernel then rolls the page accounting back (`error:`) and the tt stays as it was
/// (unpopulated, still SWAPPED / BACKED_UP if it was). Returns 0 or the -errno.
///
/// Simplified: the page-limit loop with `ttm_global_swapout` is not modelled (no global
/// page limit), and a restore is one step (no partial `tt->restore` state).
pub fn ttm_tt_populate(cur: &Task, dev: &TtmDevice, bo: &TtmBo) -> i32 {
    ttm_bo_check_alive(cur, bo, "ttm_tt_populate");
    dev.lockdep.might_alloc(cur, "ttm_tt_populate");
    if bo.f().tt.as_ref().is_some_and(|t| t.populated) {
        return 0;
    }
    if let Some(e) = fault::should_fail(cur, site::TTM_TT_POPULATE, || bo.name.to_string()) {
        return e;
    }
    tt_populate_pages(cur, dev, bo);
    0
}

/// The successful part of [`ttm_tt_populate`] (also scenario setup).
fn tt_populate_pages(cur: &Task, dev: &TtmDevice, bo: &TtmBo) {
    let mut f = bo.f();
    let kind = f.tt_kind;
    let tt = f.tt.get_or_insert_with(|| Tt::new(kind));
    if tt.populated {
        return;
    }
    let restored = tt.is_swapped();
    tt.populated = true;
    tt.swapped = false;
    tt.backed_up = false;
    if restored {
        f.lru_pending = true;
    }
    let res = f.resource;
    drop(f);
    dev.ledger(|l| {
        l.sys_pages += bo.pages;
        // Brought back in place (same resource): a new residency, which may be swapped
        // or evicted again.
        if restored && let Some(r) = res {
            l.evicted.retain(|e| *e != r);
        }
    });
    if restored {
        dev.note(
            cur,
            format!(
                "ttm_tt_populate({}) restores {} pages from swap/backup",
                bo.name, bo.pages
            ),
        );
    }
}

/// `ttm_tt_unpopulate` (pages back to the system).
pub fn ttm_tt_unpopulate(dev: &TtmDevice, bo: &TtmBo) {
    let mut f = bo.f();
    if let Some(tt) = f.tt.as_mut()
        && tt.populated
    {
        tt.populated = false;
        drop(f);
        dev.ledger(|l| l.sys_pages -= bo.pages);
    }
}

/// Record a reclaim action that freed `pages` system pages for `cur`.
pub fn ledger_freed(cur: &Task, dev: &TtmDevice, pages: u64) {
    dev.ledger(|l| {
        l.sys_pages -= pages;
        *l.freed(cur.id) += pages;
    });
}

/// Wait for the BO's fences (`ttm_bo_wait_ctx`, `drivers/gpu/drm/ttm/ttm_bo_util.c`):
/// -EBUSY with `no_wait_gpu` on a busy BO, else a blocking
/// `dma_resv_wait_timeout(.., ctx->interruptible, 15 * HZ)` (a scheduling point; the
/// fence then has signalled). Fault site `ttm_bo_wait_ctx` on a wait that really sleeps:
/// the timeout (`ret == 0` → -EBUSY) or, with `interruptible`, a pending signal
/// (-ERESTARTSYS; a non-interruptible wait cannot see it, so it is the timeout there).
/// On failure the fence is still unsignalled.
pub fn ttm_bo_wait_ctx(cur: &Task, dev: &TtmDevice, bo: &TtmBo, no_wait_gpu: bool) -> i32 {
    ttm_bo_wait_ctx_intr(cur, dev, bo, no_wait_gpu, false)
}

/// [`ttm_bo_wait_ctx`] with `ctx->interruptible`.
pub fn ttm_bo_wait_ctx_intr(
    cur: &Task,
    dev: &TtmDevice,
    bo: &TtmBo,
    no_wait_gpu: bool,
    interruptible: bool,
) -> i32 {
    if !bo.busy.load(Ordering::SeqCst) {
        return 0;
    }
    if no_wait_gpu {
        return -EBUSY;
    }
    if let Some(e) = fault::should_fail(cur, site::TTM_BO_WAIT_CTX, || bo.name.to_string()) {
        return if e == -ERESTARTSYS && !interruptible {
            -EBUSY
        } else {
            e
        };
    }
    dma_resv_wait_idle(cur, dev, bo);
    0
}

/// `dma_resv_wait_timeout(.., false, MAX_SCHEDULE_TIMEOUT)`: cannot fail (the delayed
/// delete's wait).
fn dma_resv_wait_idle(cur: &Task, dev: &TtmDevice, bo: &TtmBo) {
    if !bo.busy.load(Ordering::SeqCst) {
        return;
    }
    dev.ledger(|l| *l.blocking(cur.id) += 1);
    dev.note(
        cur,
        format!("dma_resv_wait_timeout({}) waits for the GPU", bo.name),
    );
    yield_now();
    bo.busy.store(false, Ordering::SeqCst);
}

// ------------------------------------------------------------------------- moves

/// `ttm_bo_handle_move_mem` / `ttm_bo_move_memcpy` (`drivers/gpu/drm/ttm/ttm_bo.c`):
/// move the contents into `new` (a resource already allocated), make it `bo->resource`,
/// free the old one. The contents survive if they are resident or stored (`tt_has_data`
/// uses `ttm_tt_is_swapped`, the B24 rule); a populated target gets tt pages.
///
/// Error path (kernel order: `ttm_tt_create`, `ttm_bo_populate`, then the driver's
/// `bdev->funcs->move`): a failed populate or move returns the -errno with `bo->resource`
/// unchanged; a tt this call created is destroyed again (`out_err: if (!old_use_tt)
/// ttm_bo_tt_destroy(bo)`). The caller frees `new` (`ttm_resource_free(bo, &mem)`).
/// Fault site `ttm_bo_handle_move_mem`: the driver move (copy / blit) fails.
/// Simplified: -EMULTIHOP (bounce through a temporary placement) is not modelled.
pub fn ttm_bo_handle_move_mem(cur: &Task, dev: &TtmDevice, bo: &Arc<TtmBo>, new: ResId) -> i32 {
    ttm_bo_check_alive(cur, bo, "ttm_bo_handle_move_mem");
    let new_mem = dev.res_mem(new);
    let old = bo.f().resource;
    // tt_has_data: populated, or held by swap/backup (ttm_tt_is_swapped, the B24 fix;
    // the variant only knows POPULATED and the old SWAPPED flag).
    let (had_tt, populated, swapped, backed_up) = {
        let f = bo.f();
        f.tt.as_ref().map_or((false, false, false, false), |t| {
            (true, t.populated, t.swapped, t.backed_up)
        })
    };
    let has_data = populated || swapped || (backed_up && !dev.m.variant(Variant::BackupNotData));
    // out_err: a tt created by this move goes again; a populated one stays populated.
    let out_err = |e: i32| {
        if !had_tt {
            ttm_tt_unpopulate(dev, bo);
            bo.f().tt = None;
        }
        dev.note(
            cur,
            format!(
                "ttm_bo_handle_move_mem({}) -> {}: {} keeps its resource",
                bo.name,
                crate::model::trace::errno_name(e),
                bo.name
            ),
        );
        e
    };
    if has_data || new_mem != TTM_PL_VRAM {
        // ttm_tt_create, then ttm_bo_populate (in ttm_bo_handle_move_mem for a non-SYSTEM
        // tt placement, in ttm_bo_move_memcpy for a SWAPPED source): a swapped /
        // backed-up tt is restored in place and its resource put back into the bulk
        // range and on the LRU before the move (fc5d96670eb2), so the old resource is a
        // member again when ttm_resource_free takes it out.
        {
            let mut f = bo.f();
            let kind = f.tt_kind;
            f.tt.get_or_insert_with(|| Tt::new(kind));
        }
        let ret = ttm_bo_populate(cur, dev, bo);
        if ret != 0 {
            return out_err(ret);
        }
        let mut f = bo.f();
        if f.data == Data::Stored && f.tt.as_ref().is_some_and(|t| t.populated) {
            f.data = Data::Resident;
        }
    }
    if let Some(e) = fault::should_fail(cur, site::TTM_BO_MOVE, || {
        format!("{}, {}", bo.name, mem_type_name(new_mem))
    }) {
        return out_err(e);
    }
    {
        let mut f = bo.f();
        if !has_data && new_mem == TTM_PL_VRAM && f.data == Data::Stored {
            let name = bo.name.clone();
            drop(f);
            dev.fail(
                Property::DataLoss,
                format!("{} moved {name} into VRAM as if it held no data and cleared it, but its contents are in the shmem backup", cpu_name(cur.id)),
            );
        }
        if f.data == Data::Stored {
            f.data = Data::Resident;
        }
    }
    if new_mem == TTM_PL_VRAM {
        // Contents now live in VRAM; the tt pages go back.
        ttm_tt_unpopulate(dev, bo);
    }
    // ttm_bo_move_null / ttm_bo_move_sync_cleanup: ttm_resource_free(bo, &bo->resource)
    // while the old resource is still bo->resource (so ttm_resource_is_swapped reads the
    // right BO state for the del test), then ttm_bo_assign_mem(bo, new).
    if let Some(o) = old {
        ttm_resource_free(cur, dev, bo, o);
    }
    bo.f().resource = Some(new);
    // The new resource becomes bo->resource: put it where unevictability says.
    dev.lru(cur, |lru| lru.move_to_lru_tail(new, cur.id));
    0
}

// --------------------------------------------------------------- pin, bulk, put

/// `ttm_bo_pin`: under `lru_lock`, `del_bulk_move` (effective while pin_count is 0),
/// then on 0→1 `move_to_lru_tail` (lands on `unevictable`).
pub fn ttm_bo_pin(cur: &Arc<Task>, dev: &TtmDevice, bo: &TtmBo) {
    dma_resv_assert_held(cur, bo, "ttm_bo_pin");
    if bo.kref.read() == 0 {
        dev.fail(
            Property::UseAfterFree,
            format!("WARN_ON_ONCE(!kref_read) in ttm_bo_pin({})", bo.name),
        );
    }
    cur.event(|| Ev::Call {
        f: "ttm_bo_pin",
        obj: bo.name.clone(),
        ctx: None,
    });
    let res = bo.f().resource;
    match res {
        Some(r) => dev.lru(cur, |lru| {
            lru.del_bulk_move(r);
            let first = {
                let mut f = bo.f();
                f.pin_count += 1;
                f.pin_count == 1
            };
            // Before "drm/ttm: Move pinned objects off LRU lists when pinning" (variant
            // pinned-on-lru) the resource stayed on its LRU until the next bump.
            if first && !dev.m.variant(Variant::PinnedOnLru) {
                lru.move_to_lru_tail(r, cur.id);
            }
        }),
        None => bo.f().pin_count += 1,
    }
}

/// `ttm_bo_unpin`: `if (WARN_ON_ONCE(!bo->pin_count)) return;`, then on 1→0
/// `add_bulk_move` and `move_to_lru_tail`, under `lru_lock`.
pub fn ttm_bo_unpin(cur: &Arc<Task>, dev: &TtmDevice, bo: &TtmBo) {
    ttm_bo_check_alive(cur, bo, "ttm_bo_unpin");
    dma_resv_assert_held(cur, bo, "ttm_bo_unpin");
    cur.event(|| Ev::Call {
        f: "ttm_bo_unpin",
        obj: bo.name.clone(),
        ctx: None,
    });
    if bo.f().pin_count == 0 {
        // A kernel WARN: the unbalanced unpin is refused and the caller goes on.
        dev.m.warn(
            cur.id,
            Property::LruStructure,
            format!(
                "WARN_ON_ONCE(!bo->pin_count) in ttm_bo_unpin({}): unpin without a pin",
                bo.name
            ),
        );
        return;
    }
    let res = bo.f().resource;
    match res {
        Some(r) => dev.lru(cur, |lru| {
            let last = {
                let mut f = bo.f();
                f.pin_count -= 1;
                f.pin_count == 0
            };
            if last {
                lru.add_bulk_move(r);
                lru.move_to_lru_tail(r, cur.id);
            }
        }),
        None => bo.f().pin_count -= 1,
    }
}

/// `ttm_bo_populate` (drivers/gpu/drm/ttm/ttm_bo.c, since fc5d96670eb2, v6.13; the
/// `memcg_account` argument of v6.16+ changes nothing here): make sure the BO's tt has its
/// pages, restoring them in place from swap or the shmem backup, and, if it was
/// swapped (`ttm_tt_is_swapped`: SWAPPED or BACKED_UP) and no longer is, put it back
/// into its bulk move and on the LRU:
///
/// ```c
/// swapped = ttm_tt_is_swapped(tt);
/// ret = ttm_tt_populate(bdev, tt, ctx);
/// if (ret)
///         return ret;
/// if (swapped && !ttm_tt_is_swapped(tt) && !bo->pin_count && bo->resource) {
///         spin_lock(&bdev->lru_lock);
///         ttm_resource_add_bulk_move(bo->resource, bo);
///         ttm_resource_move_to_lru_tail(bo->resource);
///         spin_unlock(&bdev->lru_lock);
/// }
/// ```
///
/// Callers repopulate in place: the CPU fault handler (`ttm_bo_vm_fault_reserved`),
/// `ttm_bo_kmap` / `ttm_bo_vmap`, `ttm_bo_setup_export`, and moves into a non-SYSTEM
/// placement. The `add_bulk_move` + `move_to_lru_tail` pair is the one of `ttm_bo_unpin`:
/// for the only member of its bulk range it leaves the resource on `bdev->unevictable`
/// (docs/findings.md §3, variant unpin-sole-member), the second trigger of that finding.
///
/// Simplified: the model's `ttm_tt_populate` restores the pages of a swapped and of a
/// backed-up tt alike (xe's `ttm_tt_restore` and `ttm_tt_swapin` both clear the flag on
/// success). Its failure (fault site `ttm_tt_populate`) is returned with the tt as it
/// was, before any LRU change, as in the kernel.
pub fn ttm_bo_populate(cur: &Task, dev: &TtmDevice, bo: &TtmBo) -> i32 {
    dma_resv_assert_held(cur, bo, "ttm_bo_populate");
    cur.event(|| Ev::Call {
        f: "ttm_bo_populate",
        obj: bo.name.clone(),
        ctx: None,
    });
    let Some(swapped) = bo.f().tt.as_ref().map(Tt::is_swapped) else {
        return 0;
    };
    let ret = ttm_tt_populate(cur, dev, bo);
    if ret != 0 {
        return ret;
    }
    let (now_swapped, pinned, res) = {
        let mut f = bo.f();
        // ttm_tt_swapin / ttm_tt_restore copied the contents back into the pages.
        if f.data == Data::Stored && !f.tt.as_ref().is_some_and(Tt::is_swapped) {
            f.data = Data::Resident;
        }
        (
            f.tt.as_ref().is_some_and(Tt::is_swapped),
            f.pin_count != 0,
            f.resource,
        )
    };
    if swapped
        && !now_swapped
        && !pinned
        && let Some(r) = res
    {
        dev.lru(cur, |lru| {
            lru.add_bulk_move(r);
            lru.move_to_lru_tail(r, cur.id);
        });
    }
    lru_settled(bo);
    0
}

/// `ttm_bo_set_bulk_move` (resv held).
pub fn ttm_bo_set_bulk_move(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &TtmBo,
    bulk: Option<super::BulkId>,
) {
    ttm_bo_check_alive(cur, bo, "ttm_bo_set_bulk_move");
    dma_resv_assert_held(cur, bo, "ttm_bo_set_bulk_move");
    if bo.f().bulk_move == bulk {
        return;
    }
    let res = bo.f().resource;
    dev.lru(cur, |lru| {
        if let Some(r) = res {
            lru.del_bulk_move(r);
        }
        bo.f().bulk_move = bulk;
        if let Some(r) = res {
            lru.add_bulk_move(r);
        }
    });
}

/// `ttm_bo_get_unless_zero`.
pub fn ttm_bo_get_unless_zero(bo: &TtmBo) -> bool {
    bo.kref.get_unless_zero()
}

/// `ttm_bo_put`: never under `lru_lock` (release takes it; P6).
pub fn ttm_bo_put(cur: &Arc<Task>, dev: &TtmDevice, bo: &Arc<TtmBo>) {
    if dev.holds_lru(cur) {
        dev.fail(
            Property::LruLocking,
            format!(
                "ttm_bo_put({}) under lru_lock (its release takes lru_lock)",
                bo.name
            ),
        );
    }
    ttm_bo_check_alive(cur, bo, "ttm_bo_put");
    if bo.kref.put(&dev.m.rec) {
        ttm_bo_release(cur, dev, bo);
    }
}

/// `ttm_bo_cleanup_memtype_use`: free the resource and the tt (resv held).
pub fn ttm_bo_cleanup_memtype_use(cur: &Task, dev: &TtmDevice, bo: &TtmBo) {
    ttm_tt_unpopulate(dev, bo);
    let res = bo.f().resource;
    if let Some(r) = res {
        ttm_resource_free(cur, dev, bo, r);
    }
    let mut f = bo.f();
    f.tt = None;
    if f.data != Data::Purged {
        f.data = Data::Empty;
    }
}

/// `ttm_bo_release` (`drivers/gpu/drm/ttm/ttm_bo.c`, body as in drm-tip @6a29de395941 =
/// mainline 2026-09; the `if (bo->pin_count)` block is unchanged since 6.6): kref hit 0.
/// `ttm_bo_individualize_resv` switches `bo->base.resv` to `_resv` under `lru_lock`,
/// except for a `ttm_bo_type_sg` BO (an imported dma-buf, [`TtKind::XeImportedSg`]),
/// which keeps the exporter's resv. Then a BO that is busy
/// (`!dma_resv_test_signaled(.., BOOKKEEP)`), of type sg, or whose resv cannot be
/// trylocked is marked deleted and resurrected (`kref_init`) under `lru_lock` and the
/// delayed delete is queued; otherwise it is cleaned up now. On resurrection only a BO
/// that is still pinned is touched on the LRU ("Make pinned bos immediately available to
/// shrinkers", FIXME: QXL): `if (bo->pin_count) { bo->pin_count = 0;
/// ttm_resource_move_to_lru_tail(bo->resource); }`; any other resource stays where it is.
///
/// Simplified: the `want_init_on_free() && bo->ttm` trigger (a boot option) and a failed
/// `dma_resv_copy_fences` (then a 30 s wait, not an abort) are not modelled;
/// `ttm_bo_flush_all_fences` is a no-op (fences are a busy flag).
pub fn ttm_bo_release(cur: &Arc<Task>, dev: &TtmDevice, bo: &Arc<TtmBo>) {
    cur.event(|| Ev::Call {
        f: "ttm_bo_release",
        obj: bo.name.clone(),
        ctx: None,
    });
    if !bo.f().deleted {
        if bo.f().bulk_move.is_some() {
            dev.fail(
                Property::LruStructure,
                format!(
                    "WARN_ON in ttm_bo_release({}): bo->bulk_move is still set",
                    bo.name
                ),
            );
        }
        let sg = bo.f().tt_kind == TtKind::XeImportedSg;
        // ttm_bo_individualize_resv: switch bo->base.resv under lru_lock (not for sg).
        if !sg {
            dev.lru(cur, |_| bo.f().individualized = true);
        }
        let busy = bo.busy.load(Ordering::SeqCst);
        let locked = !busy && !sg && dma_resv_trylock(cur, dev, bo);
        if !locked {
            dev.lru(cur, |lru| {
                let (pinned, res) = {
                    let mut f = bo.f();
                    f.deleted = true;
                    let pinned = f.pin_count > 0;
                    if pinned {
                        f.pin_count = 0;
                    }
                    (pinned, f.resource)
                };
                if pinned && let Some(r) = res {
                    lru.move_to_lru_tail(r, cur.id);
                }
                bo.kref.reinit();
            });
            dev.note(
                cur,
                format!(
                    "ttm_bo_release({}): busy, sg or locked, resurrected and queued for delayed delete",
                    bo.name
                ),
            );
            dev.delayed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Arc::clone(bo));
            return;
        }
        ttm_bo_cleanup_memtype_use(cur, dev, bo);
        dma_resv_unlock(cur, dev, bo);
    }
    bo.f().destroyed = true;
}

/// `ttm_bo_delayed_delete` (the work item): wait idle, blocking resv lock without a
/// ticket, clean up, unlock, put.
pub fn ttm_bo_delayed_delete(cur: &Arc<Task>, dev: &TtmDevice, bo: &Arc<TtmBo>) {
    dma_resv_wait_idle(cur, dev, bo);
    dma_resv_lock(cur, dev, bo, None, false);
    ttm_bo_cleanup_memtype_use(cur, dev, bo);
    dma_resv_unlock(cur, dev, bo);
    ttm_bo_put(cur, dev, bo);
}

/// Run all queued delayed deletes (`flush_workqueue(bdev->wq)`).
pub fn ttm_device_flush_delayed(cur: &Arc<Task>, dev: &TtmDevice) {
    loop {
        let next = dev.delayed.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match next {
            Some(bo) => ttm_bo_delayed_delete(cur, dev, &bo),
            None => break,
        }
    }
}

/// `ttm_buffer_object_transfer` (`drivers/gpu/drm/ttm/ttm_bo_util.c`) for a pipelined
/// move: a ghost BO takes over the old resource (`res->bo` re-pointed under `lru_lock`),
/// gets a private, trylocked resv and a copy of the BO (so, of `bulk_move`);
/// `ttm_bo_set_bulk_move(ghost, NULL)` removes the resource from the bulk (the
/// d91c411c744b fix; variant B17 lacks it); the ghost is bumped, unlocked and its
/// creator's reference dropped by the caller.
///
/// Error path: `dma_resv_reserve_fences(&fbo->base.base._resv, 1)` (fault site
/// `dma_resv_reserve_fences`, -ENOMEM) comes before any hand-over since 97e000acf2e2:
/// on failure the ghost's resv is unlocked and the ghost freed, the BO keeps its
/// resource, and the error goes back to the driver's move. Variant
/// `ghost-reserve-after-transfer` reserves after the hand-over and frees the ghost with
/// its resv locked while the resource points to it.
pub fn ttm_buffer_object_transfer(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    bo: &Arc<TtmBo>,
) -> Result<Arc<TtmBo>, i32> {
    ttm_bo_check_alive(cur, bo, "ttm_buffer_object_transfer");
    dma_resv_assert_held(cur, bo, "ttm_buffer_object_transfer");
    let name = format!("ghost({})", bo.name);
    let src = bo.f().clone();
    let mut ghost = TtmBo {
        id: usize::MAX,
        name: name.as_str().into(),
        pages: bo.pages,
        kref: Kref::new(&name),
        fields: std::sync::Mutex::new(BoFields {
            individualized: true,
            processing: None,
            ..src.clone()
        }),
        shared_resv: WwMutex::new(&dev.m, &format!("{name}.resv"), &dev.class),
        private_resv: WwMutex::new(&dev.m, &format!("{name}._resv"), &dev.class),
        busy: AtomicBool::new(bo.busy.load(Ordering::SeqCst)),
        ghost: true,
    };
    // The private resv is trylocked before the ghost becomes reachable from the LRU.
    if !dma_resv_trylock(cur, dev, &ghost) {
        dev.fail(
            Property::ModelPanic,
            "WARN_ON(!dma_resv_trylock(&fbo->base.base._resv))".into(),
        );
    }
    let late_reserve = dev.m.variant(Variant::GhostReserveAfterTransfer);
    let reserve_fences = |ghost_name: &str| {
        fault::should_fail(cur, site::DMA_RESV_RESERVE_FENCES, || {
            format!("{ghost_name}._resv")
        })
    };
    if !late_reserve && let Some(e) = reserve_fences(&name) {
        // dma_resv_unlock(&fbo->base.base._resv); kfree(fbo); return ret;
        dma_resv_unlock(cur, dev, &ghost);
        ghost.f().destroyed = true;
        return Err(e);
    }
    let ghost = dev.lru(cur, |lru| {
        ghost.id = lru.bos.len();
        let g = Arc::new(ghost);
        lru.bos.push(Arc::clone(&g));
        if let Some(r) = src.resource {
            lru.res[r].bo = Some(g.id);
        }
        g
    });
    {
        // The original BO no longer owns the resource nor the pages.
        let mut f = bo.f();
        f.resource = None;
        f.tt = None;
    }
    if !dev.m.variant(Variant::GhostKeepsBulk) {
        ttm_bo_set_bulk_move(cur, dev, &ghost, None);
    }
    if late_reserve && let Some(e) = reserve_fences(&name) {
        // Before 97e000acf2e2: kfree(fbo) with its _resv still locked, after the
        // resource was handed to it.
        ghost.f().destroyed = true;
        dev.note(
            cur,
            format!("kfree({name}) with {name}._resv locked, its resource still pointing to it"),
        );
        return Err(e);
    }
    ttm_bo_move_to_lru_tail_unlocked(cur, dev, &ghost);
    dma_resv_unlock(cur, dev, &ghost);
    Ok(ghost)
}

/// Eviction safety (the ledger): a pinned, dying or already-evicted residency must never
/// be evicted, swapped or shrunk, and `res` must still be the BO's resource in the
/// manager the caller is evicting from. Checked before the eviction starts; the residency
/// is recorded as evicted by `ledger_evicted` only once the move commits (a wait that
/// fails with -EBUSY leaves everything as it was, and a later retry is legal).
pub fn check_evictable(
    cur: &Task,
    dev: &TtmDevice,
    bo: &TtmBo,
    res: Option<ResId>,
    from: Option<MemType>,
    what: &str,
) {
    let f = bo.f().clone();
    let who = cpu_name(cur.id);
    if f.pin_count > 0 {
        dev.fail(
            Property::EvictionSafety,
            format!(
                "{who} {what} pinned {} (pin_count {})",
                bo.name, f.pin_count
            ),
        );
    }
    if bo.kref.read() == 0 || f.destroyed {
        dev.fail(
            Property::EvictionSafety,
            format!("{who} {what} dying {} (kref 0)", bo.name),
        );
    }
    let Some(r) = res else { return };
    if f.resource != Some(r) {
        dev.fail(
            Property::EvictionSafety,
            format!(
                "{who} {what} {} through res#{r}, which is no longer its resource",
                bo.name
            ),
        );
    }
    let m = dev.res_mem(r);
    if let Some(from) = from
        && m != from
    {
        dev.fail(
            Property::EvictionSafety,
            format!(
                "{who} {what} {} from {} while evicting {} (the BO moved after the walker picked it)",
                bo.name,
                mem_type_name(m),
                mem_type_name(from)
            ),
        );
    }
    if dev.ledger(|l| l.evicted.contains(&r)) {
        dev.fail(
            Property::EvictionSafety,
            format!(
                "{who} {what} {}: res#{r} evicted twice for one residency",
                bo.name
            ),
        );
    }
}

/// The residency `r` has been moved out (eviction or swapout committed).
pub fn ledger_evicted(dev: &TtmDevice, r: ResId) {
    dev.ledger(|l| l.evicted.push(r));
}

/// The memory types in placement order for eviction (`evict_flags`): VRAM → TT →
/// SYSTEM.
pub fn evict_target(from: MemType) -> MemType {
    match from {
        TTM_PL_VRAM => TTM_PL_TT,
        _ => TTM_PL_SYSTEM,
    }
}
