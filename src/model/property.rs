//! The property catalogue: what the checkers report, named in kernel terms.

use serde::{Deserialize, Serialize};

/// A property the model checks. `name()` is the stable identifier used in reports,
/// replay files, JSON and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    /// Every model task is blocked (includes lost wakeups).
    Deadlock,
    /// A bounded-progress assertion failed (retry loop that never converges).
    Livelock,
    /// Two tasks inside one ww_mutex at once.
    MutualExclusion,
    /// Context waiters not sorted by stamp (invariant (1) of ww-mutex-design).
    WaitListOrder,
    /// -EDEADLK returned to a context that holds no lock.
    EdeadlkWithoutLocks,
    /// -EALREADY returned although the context does not hold the lock.
    EalreadyMisuse,
    /// The oldest live context was killed or wounded (or retried too often once oldest).
    OldestKilled,
    /// A ww client-protocol rule broken (the DEBUG_WW_MUTEXES checks of ww_mutex.h and
    /// the acquire-context lifecycle).
    ClientProtocol,
    /// A mutex released by a task that does not own it (or released twice).
    UnlockNotOwner,
    /// Use of an object after its final put, or dereference of a poison pointer.
    UseAfterFree,
    /// drm_exec's locked-object list differs from what the caller requested.
    ExecLockSet,
    /// An expected outcome of a ported kernel selftest (test-ww_mutex.c, drm_exec_test.c)
    /// did not hold, or a scenario ended with locks or contexts left behind.
    Expectation,
    /// A TTM LRU / bulk-move structural invariant (B1-B5, C1 of ttm_lru.md §2) broke, or a
    /// kernel WARN on LRU state fired.
    LruStructure,
    /// A TTM locking rule broke: a resv-protected field changed without the resv, a
    /// sleeping resv lock under lru_lock, or a ttm_bo_put under lru_lock (P6).
    LruLocking,
    /// An LRU walk that ran to its end skipped a resource present for the whole walk (P3).
    WalkSkip,
    /// An LRU walk revisited resources beyond what others' bumps allow: it does not
    /// terminate (P4, bounded progress).
    WalkProgress,
    /// A BO was inside two walkers' process_bo at once (P5).
    ConcurrentProcess,
    /// A pinned or dying BO, or a residency that was already evicted or has moved, was
    /// evicted, swapped or shrunk.
    EvictionSafety,
    /// The oldest ticket failed to allocate although enough memory was free or evictable.
    EvictionExhaustive,
    /// The oldest ticket slept for a busy BO's resv during eviction and then slept for the
    /// same residency again: its wait bought it nothing (B22, oldest-ticket eviction
    /// progress).
    EvictionProgress,
    /// The page ledger disagrees: a shrinker's return value is not the pages it freed, or
    /// contents were dropped that were not purgeable.
    PageLedger,
    /// A BO's contents were cleared while a backing store (swap, shmem backup) held them.
    DataLoss,
    /// A lone shrinker scan blocked (GPU wait, writeback) although idle memory met its target
    /// (B25, quantitative).
    ReclaimStall,
    /// Lockdep: a lock-class cycle across explored executions (`possible circular locking
    /// dependency`), including a blocking resv or ticket acquisition inside reclaim
    /// against the primed `dma_resv_lockdep()` order.
    LockOrder,
    /// Lockdep's single-execution rules: recursive acquisition of a class without a nest
    /// lock, a context-less `ww_mutex_lock` of a class while holding one of its locks
    /// under a context, `ww_acquire_init` while holding a mutex of its class, a second
    /// acquire context of one class in one task, a sleeping lock under a spinlock.
    Lockdep,
    /// SVM: a migration entry exists for a folio that is not locked (the page lock must be
    /// held for as long as migration entries for it exist).
    PageLock,
    /// SVM: `zone_device_page_init` on a device page for which `page_free` has not run
    /// (its refcount is not 0): the 2025 AMD page reuse.
    DevicePageReinit,
    /// SVM: a zdd's kref differs from the number of live device pages pointing to it, or
    /// `devmem_release` ran twice.
    ZddRefcount,
    /// SVM: `folio_migrate_mapping` committed a migration while references other than the
    /// migrator's (and the fault-page holder's) existed.
    MigrateRefcount,
    /// SVM: an eviction (`evict_to_ram`, the AMD eviction worker) returned something other
    /// than 0 or -EBUSY, took more than 3 passes, or returned 0 with device pages live.
    SvmEviction,
    /// A `task->blocked_on` check of the proxy-execution wrappers fired (include/linux/
    /// sched.h `__set_task_blocked_on` / `__clear_task_blocked_on`: WARN_ON_ONCE on a
    /// task blocked on, or cleared for, a mutex other than the one named; mutex.c's
    /// `WARN_ON(__get_task_blocked_on(current))` after an early kill).
    BlockedOn,
    /// PREEMPT_RT: the rtmutex waiter rbtree / PI chain is corrupt (a waiter linked twice,
    /// a lock's top waiter missing from its owner's `pi_waiters`, a waiter left linked after
    /// the lock call returned), or a task's effective priority is not its normal priority
    /// boosted by its top pi waiter (`rt_mutex_setprio`).
    PiChain,
    /// PREEMPT_RT: a task sleeps on an rt_mutex whose owner runs below the lock's top
    /// waiter priority with no chain walk under way (priority inversion left unboosted).
    PriorityInversion,
    /// PREEMPT_RT: a plain (non-ww) `rt_mutex_lock` got -EDEADLK from the PI chain walk
    /// (`rt_mutex_handle_deadlock`: "rtmutex deadlock detected", the task stops forever).
    SpuriousEdeadlk,
    /// PREEMPT_RT: a ww_mutex lock returned -EDEADLK without the ww bookkeeping
    /// (`__ww_mutex_kill`: `contending_lock` recorded), so `ww_mutex_lock_slow` runs on
    /// inconsistent state.
    EdeadlkBookkeeping,
    /// The engine's own step bound was hit (last resort; a bounded-progress check should
    /// have fired first).
    StepLimit,
    /// The model itself panicked unexpectedly (a bug of ours).
    ModelPanic,
}

impl Property {
    pub const ALL: [Property; 37] = [
        Property::Deadlock,
        Property::Livelock,
        Property::MutualExclusion,
        Property::WaitListOrder,
        Property::EdeadlkWithoutLocks,
        Property::EalreadyMisuse,
        Property::OldestKilled,
        Property::ClientProtocol,
        Property::UnlockNotOwner,
        Property::UseAfterFree,
        Property::ExecLockSet,
        Property::Expectation,
        Property::LruStructure,
        Property::LruLocking,
        Property::WalkSkip,
        Property::WalkProgress,
        Property::ConcurrentProcess,
        Property::EvictionSafety,
        Property::EvictionExhaustive,
        Property::EvictionProgress,
        Property::PageLedger,
        Property::DataLoss,
        Property::ReclaimStall,
        Property::LockOrder,
        Property::Lockdep,
        Property::PageLock,
        Property::DevicePageReinit,
        Property::ZddRefcount,
        Property::MigrateRefcount,
        Property::SvmEviction,
        Property::BlockedOn,
        Property::PiChain,
        Property::PriorityInversion,
        Property::SpuriousEdeadlk,
        Property::EdeadlkBookkeeping,
        Property::StepLimit,
        Property::ModelPanic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Property::Deadlock => "deadlock",
            Property::Livelock => "livelock",
            Property::MutualExclusion => "mutual-exclusion",
            Property::WaitListOrder => "wait-list-order",
            Property::EdeadlkWithoutLocks => "edeadlk-without-locks",
            Property::EalreadyMisuse => "ealready-misuse",
            Property::OldestKilled => "oldest-killed",
            Property::ClientProtocol => "client-protocol",
            Property::UnlockNotOwner => "unlock-not-owner",
            Property::UseAfterFree => "use-after-free",
            Property::ExecLockSet => "exec-lock-set",
            Property::Expectation => "expectation",
            Property::LruStructure => "lru-structure",
            Property::LruLocking => "lru-locking",
            Property::WalkSkip => "walk-skip",
            Property::WalkProgress => "walk-progress",
            Property::ConcurrentProcess => "bo-processed-twice",
            Property::EvictionSafety => "eviction-safety",
            Property::EvictionExhaustive => "eviction-exhaustive",
            Property::EvictionProgress => "eviction-progress",
            Property::PageLedger => "page-ledger",
            Property::DataLoss => "data-loss",
            Property::ReclaimStall => "reclaim-stall",
            Property::LockOrder => "lock-order",
            Property::Lockdep => "lockdep",
            Property::PageLock => "page-lock",
            Property::DevicePageReinit => "device-page-reinit",
            Property::ZddRefcount => "zdd-refcount",
            Property::MigrateRefcount => "migrate-refcount",
            Property::SvmEviction => "svm-eviction",
            Property::BlockedOn => "blocked-on",
            Property::PiChain => "pi-chain",
            Property::PriorityInversion => "priority-inversion",
            Property::SpuriousEdeadlk => "spurious-edeadlk",
            Property::EdeadlkBookkeeping => "edeadlk-bookkeeping",
            Property::StepLimit => "step-limit",
            Property::ModelPanic => "model-panic",
        }
    }

    pub fn from_name(s: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == s)
    }
}

impl std::fmt::Display for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A property violation found by the model, with a kernel-vocabulary message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFailure {
    pub property: Property,
    pub message: String,
}

impl std::fmt::Display for ModelFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.property, self.message)
    }
}
