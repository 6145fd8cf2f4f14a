//! The variants registry: historical bugs (and a few seeded mutations) behind runtime
//! switches, so that one build can check all of them. Default: the named baseline
//! (`model::baseline`): historical bugs, mutations, designs and proposals off; findings
//! (mainline behaviour that breaks a property) on, unless a proposal removes them.

use crate::model::property::Property;
use serde::Serialize;

/// One switchable deviation from the fixed model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// No smp_mb() in ww_mutex_set_context_fastpath / __ww_mutex_add_waiter (§3.7).
    FastpathNoMb,
    /// wait_lock dropped before schedule() without flushing the wake_q (4a0779145781 class).
    WakeQUnflushed,
    /// B1a: context waiters queued FIFO instead of in stamp order.
    FifoWaiters,
    /// B1b: no wake-for-backoff (no die wakeups in add_waiter / check_waiters).
    NoBackoffWake,
    /// B7: a context-less ww waiter keeps the poison ww_ctx.
    WaiterCtxPoison,
    /// B8: empty drm_exec_prepare_array leaves the contended object unresolved.
    ExecEmptyArray,
    /// Finding (mainline drm_exec.c): the slow-locked (prelocked) object goes into
    /// objects[] at once (B10 is the unmerged patch that defers it).
    ExecPrelockedListed,
    /// drm_exec v3 (Feb 2023 review): prelocked kept in objects[] and in prelocked,
    /// both unlocked by drm_exec_unlock_all.
    ExecPrelockedDoubleUnlock,
    /// Mutation: set_current_state() without its smp_mb() (store-buffering with ww->ctx).
    StateNoMb,
    /// Mutation: __ww_mutex_kill without the `acquired > 0` guard.
    KillWithoutLocks,
    /// Mutation: __ww_ctx_less compares raw stamps, not the wrapping signed difference.
    StampNoWrap,
    /// Mutation: the -EALREADY test accepts any holder context, not just our own.
    EalreadyAnyCtx,
    /// 25500ba7e77c (v7.1 merge window, fixed by 0adc92b910b3 before v7.1-rc1): the
    /// headless wait list's `__mutex_add_waiter(pos == first)` keeps the old
    /// `first_waiter`, and `__ww_waiter_prev` never yields the first waiter.
    FirstWaiter2026,
    /// a4f0b6fef4b0 (v6.17-rc1, fixed by 21924af67d69 in v6.17-rc2): `__ww_mutex_wound`
    /// clears the wounded owner's blocked_on with `lock` instead of NULL.
    WoundClearBlockedOnLock,
    /// Mutation: `__ww_mutex_die` wakes the dying waiter without clearing its blocked_on.
    DropDieClear,
    /// Mutation: `__ww_mutex_wound` wakes the wounded owner without clearing its blocked_on.
    DropWoundClear,
    /// Mutation (formerly `bulk-predicate`): swapout bumps a swapped resource onto
    /// unevictable without taking it out of its bulk range.
    SwapoutNoBulkDel,
    /// Spec §10.7 (2026): the swapout bulk fix tests `if (!ret)` although ttm_tt_swapout returns pages.
    SwapoutBulkRet,
    /// B15: bulk_move_pos_tail does not advance `first` when re-adding the first entry.
    BulkFirstNotAdvanced,
    /// B16: ttm_resource_add_bulk_move adds pinned resources.
    BulkAddPinned,
    /// B17: a ghost BO keeps the original's bulk_move.
    GhostKeepsBulk,
    /// B18: pinned BOs stay on the evictable LRU and walkers do not check pin_count.
    PinnedOnLru,
    /// B19: ttm_lru_bulk_move_tail carries a hitch inside the range to the tail.
    HitchCarried,
    /// B20: ttm_bo_evict_first does not re-check the resource after reserving.
    EvictFirstNoRecheck,
    /// B21: the walker takes kref_get on a BO whose release is in progress.
    WalkerKrefGet,
    /// B23: -EALREADY from the walker's ticket lock aborts the walk.
    EalreadyAbort,
    /// Transient 2024: ttm_resource_manager_next discards the first resource of a later priority.
    NextMissingReturn,
    /// B25: the Xe shrinker waits for the GPU and writes back on its first pass.
    ShrinkerFirstPassWaits,
    /// B24: a backed-up tt is treated as holding no data when the BO moves.
    BackupNotData,
    /// Mainline finding: unpinning the only member of a bulk range leaves it on unevictable.
    UnpinSoleMember,
    /// Mainline finding: a bulk range's end moves in place while a cursor is registered
    /// with the bulk; the next bump carries its hitch over resources it never yielded.
    BulkLeaveCursor,
    /// May 2026: drm_gem_lru_scan moves a dying object onto its on-stack still_in_lru.
    GemLruReleaseRace,
    /// b2ed01e7ad (CVE-2026-52965): a failed ttm_tt_swapout re-adds and bumps the BO
    /// behind the walk's hitch.
    SwapoutFailRebump,
    /// 1d59f36e95f7: ttm_bo_shrink re-adds the BO to its bulk (behind the hitch) when
    /// ttm_tt_backup fails.
    ShrinkBackupRebump,
    /// 97e000acf2e2: ttm_buffer_object_transfer reserves the fence slot after handing the
    /// resource to the ghost, and frees the ghost with its resv locked on failure.
    GhostReserveAfterTransfer,
    /// a590f03d8de7: swapout leaks the new SYSTEM resource when the move fails.
    SwapoutMoveLeak,
    /// CVE-2022-3523: do_swap_page calls migrate_to_ram with no page reference.
    FaultNoRef,
    /// B28: do_swap_page takes a reference but no page lock around migrate_to_ram.
    FaultRefNoTrylock,
    /// B29: a failed device-folio trylock in do_swap_page returns and refaults at once.
    FaultTrylockSpin,
    /// 2025 AMD: VRAM reused when the migration to RAM returns, before page_free.
    ReuseBeforePageFree,
    /// 2025 Xe: no timeslice after a migration to VRAM (CPU/GPU atomic ping-pong).
    NoTimeslice,
    /// AMD eviction worker before the retry fixes: eviction "succeeds" with pages left.
    EvictSignalEarly,
    /// Mutation: folio_migrate_mapping uses the lenient (zone-device +1) reference check.
    LenientCommit,
    /// Mutation: migrate_*_finalize unlocks the source before removing migration entries.
    UnlockBeforeRemap,
    /// Mutation: drm_pagemap page_free does not drop its zdd reference.
    ZddPutMissing,
    /// Mutation: migrate_to_devmem copies the source before migrate_vma_setup unmapped it.
    CopyBeforeUnmap,
    /// Design rejected in 2024: SVM migration gated by the VM's shared dma_resv.
    VmResvGated,
    /// 847b371debf3: drm_gpusvm_range_evict returns -ENOMEM from kvmalloc_array without
    /// mmput (an error path: found with fault injection).
    GpusvmEvictMmLeak,
    /// Mutation: xe_drm_pagemap_populate_mm still releases the devmem allocation when
    /// drm_pagemap_migrate_to_devmem fails, although the callee consumed it.
    XeDevmemReleaseOnError,
    /// Proposal (the model's own fix for finding §3): re-adding the only member of an
    /// empty bulk range moves it onto its manager LRU.
    UnpinSoleMemberReadd,
    /// Proposal (the model's own fix for finding §4): a bulk move moves a registered hitch
    /// only when it lies inside the range.
    BulkCursorInRange,
    /// Proposal B10 (Koenig, 2024, unmerged): drm_exec keeps the slow-locked object in
    /// `prelocked` and lists it only when the caller asks for it again.
    ExecPrelockedDeferred,
    /// Mainline finding (AMD KFD): `svm_range_evict_svm_bo_worker` signals the eviction
    /// fence after its 3 passes even when pages stay in VRAM; TTM then frees the SVM BO's
    /// VRAM under live device-private pages, and the next allocation re-initialises them.
    AmdEvictSignalLive,
    /// Proposal (the model's fix for finding `amd-evict-signal-live`): the SVM BO's
    /// eviction fails with -EBUSY while device pages of it are live (Xe's contract), so
    /// TTM keeps its VRAM.
    AmdEvictBusyIfLive,
    /// Proposal (Samuel Ainsworth, v1, 2026-06, unmerged): an explicit per-resource bulk
    /// membership record instead of mainline's predicate.
    BulkMembershipFlag,
    /// B3 (cfa92b6d5207): test-ww_mutex's stress_inorder_work goes back to `retry:` after
    /// -EDEADLK without checking its deadline.
    StressRetryNoTimeout,
    /// B22: ttm_mem_evict_wait_busy (pre-walker eviction) locks the busy BO, unlocks it at
    /// once and hides -EDEADLK as -EBUSY.
    EvictWaitBusyUnlock,
    /// B27: amdgpu_vm_pt_free drops a page table without taking it out of the VM's bulk
    /// move (the v5.19 drm-next merge fallout).
    VmPtFreeKeepsBulk,
    /// B4, before 6467822b8cc9 (PREEMPT_RT): the PI chain walk keeps deadlock detection
    /// through ww waiters, so a plain waiter's walk around a transient ww cycle runs into
    /// `max_lock_depth` and gets -EDEADLK.
    RtWwChainEdeadlk,
    /// B5, before a055fcc132d4 / 02ea9fc96fe9 (PREEMPT_RT): the chain walk (and the early
    /// `owner == task` check) return -EDEADLK to a ww waiter, bypassing the ww rules.
    RtWwEdeadlk,
    /// B6, before 37e8abff2beb (PREEMPT_RT): a ww early kill returns from
    /// `task_blocks_on_rt_mutex` with the waiter still in the lock's rbtree.
    RtWwBackoutQueued,
    /// 894d1b3db41c before 82f9cc094975 (PREEMPT_RT): `task_blocks_on_rt_mutex` flushes the
    /// wake_q under wait_lock without `wake_q_init`, and the final flush walks it again.
    RtWakeQDoubleFlush,
    /// Before 4a0779145781 (PREEMPT_RT): `task_blocks_on_rt_mutex` (before the chain walk)
    /// and `rt_mutex_slowlock_block` (before schedule) drop wait_lock without flushing.
    RtWakeQUnflushed,
    /// Mutation (PREEMPT_RT): `task_blocks_on_rt_mutex` queues the new top waiter in the
    /// owner's pi_waiters but does not call `rt_mutex_adjust_prio(owner)`.
    RtNoBoost,
    /// Design (issue 15, `svm::designs` sigbus-on-failure): a CPU fault whose migration
    /// to RAM fails on a foreign page reference gives up with SIGBUS instead of refaulting.
    SvmSigbusOnFailure,
    /// Design (issue 15, `svm::designs` watermark-trylock, broken sub-case): the GPU
    /// fault's VRAM allocation stalls while holding the GPU SVM notifier lock.
    SvmStallHoldingLock,
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// What a variant is (DESIGN "Variants are data").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VariantKind {
    /// The code before a fix that the baseline has: a kernel bug that existed.
    Historical,
    /// An unmerged patch (opt-in).
    Proposal,
    /// Baseline behaviour that the model shows to break a property.
    Finding,
    /// A seeded change showing that a check bites where no historical bug is known.
    Mutation,
    /// An alternative design compared against mainline.
    Design,
}

impl VariantKind {
    pub fn name(self) -> &'static str {
        match self {
            VariantKind::Historical => "historical",
            VariantKind::Proposal => "proposal",
            VariantKind::Finding => "finding",
            VariantKind::Mutation => "mutation",
            VariantKind::Design => "design",
        }
    }
}

impl std::fmt::Display for VariantKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The record of one variant: what it is, where it comes from, where it is found.
#[derive(Clone, Debug, Serialize)]
pub struct VariantInfo {
    #[serde(skip)]
    pub variant: Variant,
    pub name: &'static str,
    pub kind: VariantKind,
    /// `ww`, `ttm`, `svm` or `design`.
    pub area: &'static str,
    /// The kernel commit(s) that fixed it (or why there is none), in words.
    pub kernel_fix: &'static str,
    /// The mainline release whose code first had the bug (None: not a kernel bug, or older
    /// than any release the registry describes).
    pub introduced_in: Option<&'static str>,
    /// The first mainline release whose code has the fix (None: not fixed in mainline).
    pub fixed_in: Option<&'static str>,
    /// Stable trees known to have received the fix (with the bug, where the backport
    /// brought it too), in words.
    pub backports: &'static [&'static str],
    pub description: &'static str,
    pub scenarios: &'static [&'static str],
    pub engines: &'static [&'static str],
    /// The property the checkers report when they find it.
    pub property: Property,
    /// For a proposal: the findings it removes (they are on in every other model).
    #[serde(skip_serializing_if = "<[Variant]>::is_empty")]
    pub removes: &'static [Variant],
}

/// Engines shown (by tests) to find the variant; real-thread stress may find some too, but
/// it is not claimed.
const ALL_ENGINES: &[&str] = &["loom", "shuttle", "shuttle-pct"];
const LOOM_ONLY: &[&str] = &["loom"];
/// Found by shuttle and PCT; loom at preemption bound 2 exhausts its scenario in a handful
/// of executions without reaching it (not investigated further, so not claimed).
const SHUTTLE_ONLY: &[&str] = &["shuttle", "shuttle-pct"];

/// Races whose window is a few steps of one CPU against a long sequence of another:
/// PCT's priority change points and loom's preemptions reach them, uniform random
/// scheduling practically never does.
const PCT_LOOM: &[&str] = &["loom", "shuttle-pct"];

/// Livelocks whose cycle needs a refaulting CPU to re-take its page reference before the
/// next migration commits: PCT drops a CPU to the lowest priority at every yield
/// (`cond_resched` on the refault), so the other CPUs always commit first and it never
/// builds the cycle; loom exhausts `svm-cpu-fault-2` at preemption bound 2 (and
/// `svm-cpu-fault-3` at bound 1) without a lasso: the cycle needs more preemptions than
/// that. Uniform random scheduling builds it within tens of executions.
const SHUTTLE_RANDOM: &[&str] = &["shuttle"];

impl Variant {
    pub const ALL: [Variant; 66] = [
        Variant::FastpathNoMb,
        Variant::WakeQUnflushed,
        Variant::FifoWaiters,
        Variant::NoBackoffWake,
        Variant::WaiterCtxPoison,
        Variant::ExecEmptyArray,
        Variant::ExecPrelockedListed,
        Variant::ExecPrelockedDoubleUnlock,
        Variant::StateNoMb,
        Variant::KillWithoutLocks,
        Variant::StampNoWrap,
        Variant::EalreadyAnyCtx,
        Variant::FirstWaiter2026,
        Variant::WoundClearBlockedOnLock,
        Variant::DropDieClear,
        Variant::DropWoundClear,
        Variant::SwapoutNoBulkDel,
        Variant::SwapoutBulkRet,
        Variant::BulkFirstNotAdvanced,
        Variant::BulkAddPinned,
        Variant::GhostKeepsBulk,
        Variant::PinnedOnLru,
        Variant::HitchCarried,
        Variant::EvictFirstNoRecheck,
        Variant::WalkerKrefGet,
        Variant::EalreadyAbort,
        Variant::NextMissingReturn,
        Variant::ShrinkerFirstPassWaits,
        Variant::BackupNotData,
        Variant::UnpinSoleMember,
        Variant::BulkLeaveCursor,
        Variant::GemLruReleaseRace,
        Variant::SwapoutFailRebump,
        Variant::ShrinkBackupRebump,
        Variant::GhostReserveAfterTransfer,
        Variant::SwapoutMoveLeak,
        Variant::FaultNoRef,
        Variant::FaultRefNoTrylock,
        Variant::FaultTrylockSpin,
        Variant::ReuseBeforePageFree,
        Variant::NoTimeslice,
        Variant::EvictSignalEarly,
        Variant::LenientCommit,
        Variant::UnlockBeforeRemap,
        Variant::ZddPutMissing,
        Variant::CopyBeforeUnmap,
        Variant::VmResvGated,
        Variant::GpusvmEvictMmLeak,
        Variant::XeDevmemReleaseOnError,
        Variant::UnpinSoleMemberReadd,
        Variant::BulkCursorInRange,
        Variant::ExecPrelockedDeferred,
        Variant::AmdEvictSignalLive,
        Variant::AmdEvictBusyIfLive,
        Variant::BulkMembershipFlag,
        Variant::StressRetryNoTimeout,
        Variant::EvictWaitBusyUnlock,
        Variant::VmPtFreeKeepsBulk,
        Variant::RtWwChainEdeadlk,
        Variant::RtWwEdeadlk,
        Variant::RtWwBackoutQueued,
        Variant::RtWakeQDoubleFlush,
        Variant::RtWakeQUnflushed,
        Variant::RtNoBoost,
        Variant::SvmSigbusOnFailure,
        Variant::SvmStallHoldingLock,
    ];

    pub const fn bit(self) -> u128 {
        1u128 << (self as u32)
    }

    /// The variant's record in [`REGISTRY`].
    pub fn info(self) -> &'static VariantInfo {
        &REGISTRY[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// A set of enabled variants (runtime switches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VariantSet(u128);

/// The proposals that remove the baseline's findings (the model's own fixes and unmerged
/// upstream patches): what tests of the behaviour without the findings run with. A unit
/// test checks that it holds exactly the proposals that remove a finding.
pub const FINDING_FIXES: VariantSet = VariantSet(
    Variant::UnpinSoleMemberReadd.bit()
        | Variant::BulkCursorInRange.bit()
        | Variant::ExecPrelockedDeferred.bit()
        | Variant::AmdEvictBusyIfLive.bit(),
);

impl VariantSet {
    pub const NONE: VariantSet = VariantSet(0);

    pub fn of(v: Variant) -> Self {
        VariantSet(v.bit())
    }

    pub fn with(self, v: Variant) -> Self {
        VariantSet(self.0 | v.bit())
    }

    pub fn union(self, other: VariantSet) -> Self {
        VariantSet(self.0 | other.0)
    }

    pub fn without(self, v: Variant) -> Self {
        VariantSet(self.0 & !v.bit())
    }

    /// The model that actually runs: the requested switches, plus every `finding` (the
    /// baseline's own behaviour, so it is on in every model) unless a requested
    /// `proposal` removes it.
    pub fn effective(self) -> Self {
        let mut s = self;
        for v in Variant::ALL {
            if v.info().kind == VariantKind::Finding {
                s = s.with(v);
            }
        }
        for p in self.iter() {
            for r in p.info().removes {
                s = s.without(*r);
            }
        }
        s
    }

    /// The model a test compares `v` against: nothing for a bug or mutation, and for a
    /// finding the proposal that removes it.
    pub fn fixed_for(v: Variant) -> Self {
        Variant::ALL
            .into_iter()
            .find(|p| p.info().removes.contains(&v))
            .map_or(VariantSet::NONE, VariantSet::of)
    }

    #[inline]
    pub fn has(self, v: Variant) -> bool {
        self.0 & v.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Variant> {
        Variant::ALL.into_iter().filter(move |v| self.has(*v))
    }
}

/// The registry: one record per variant, in `Variant` order (checked by a unit test).
pub static REGISTRY: &[VariantInfo] = &[
    VariantInfo {
        variant: Variant::FastpathNoMb,
        name: "fastpath-no-mb",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none: a mutation. The fast-path smp_mb() exists since ww_mutex (v3.11) and the add_waiter one came with Wound-Wait itself (08295b3b5bee, v4.19); no release lacked the pair",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "ww_mutex_set_context_fastpath and __ww_mutex_add_waiter without the smp_mb() pair: \
         the fast-path holder misses WAITERS and the Wound-Wait waiter misses ww->ctx, so \
         nobody wounds the younger holder (missed wound -> deadlock); memory-ordering, loom only",
        scenarios: &["ring2-ww"],
        engines: LOOM_ONLY,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::WakeQUnflushed,
        name: "wake-q-unflushed",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "4a0779145781 (locking/rtmutex: Make sure we wake anything on the wake_q when we release the lock->wait_lock)",
        introduced_in: Some("6.13"),
        fixed_in: Some("6.13"),
        backports: &[
            "6.12.y: 894d1b3db41c came in 6.12.95 (35bdb300ca7a) without this fix (a PREEMPT_RT-only window); \
             the fix 37a95b776402 is in 6.12.96",
            "6.6.y: n/a (no 894d1b3db41c backport seen)",
        ],
        description: "the slow path drops wait_lock before schedule() without flushing the wake_q, so a \
         queued wound/die wakeup of a holder sleeping elsewhere is delayed until we ourselves \
         return: lost wakeup -> deadlock",
        scenarios: &["abba-ww", "ring2-ww", "cycle3-ww", "contend3-wd"],
        engines: ALL_ENGINES,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::FifoWaiters,
        name: "fifo-waiters",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "B1: \"locking/ww_mutex: Add waiters in stamp order\" (Nicolai Haehnle, v4.11)",
        introduced_in: Some("3.11"),
        fixed_in: Some("4.11"),
        backports: &[],
        description: "context waiters are queued FIFO at the tail as before the 2016/17 rework, breaking \
         the stamp-ordered wait list that check_kill and check_waiters rely on",
        scenarios: &["contend3-wd", "contend3-ww"],
        engines: ALL_ENGINES,
        property: Property::WaitListOrder,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::NoBackoffWake,
        name: "no-backoff-wake",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "B1: 200b18744015 + 659cf9f5824a (notify/wake waiters that have to back off)",
        introduced_in: Some("3.11"),
        fixed_in: Some("4.11"),
        backports: &[],
        description: "nobody wakes a sleeping Wait-Die waiter that must back off when an older context \
         queues behind it or takes the lock: the waiter keeps its locks asleep -> deadlock",
        scenarios: &["contend3-wd"],
        engines: ALL_ENGINES,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::WaiterCtxPoison,
        name: "waiter-ctx-poison",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "b857174e68e2 (locking/ww_mutex: Initialize waiter.ww_ctx properly)",
        introduced_in: Some("5.15"),
        fixed_in: Some("5.15"),
        backports: &[],
        description: "a context-less ww_mutex_lock(lock, NULL) waiter keeps the debug poison in \
         waiter.ww_ctx; wait-list scans treat it as a context and dereference it",
        scenarios: &["mixed-ctx-wd", "mixed-ctx-ww"],
        engines: ALL_ENGINES,
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ExecEmptyArray,
        name: "exec-empty-array",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "159720704d9d (drm/drm_exec: fix up contended obj when num_objects is 0)",
        introduced_in: Some("6.6"),
        fixed_in: Some("7.3"),
        backports: &[
            "6.12.111 (831cd124ce99)",
            "6.6.y: queued for 6.6.158-rc1 (d02cf02360e4) and again for 6.6.159-rc1 (506cfed91e50); release not verified",
            "6.18.y (57aacb2cc769)",
            "7.2.y (5142b3016fc7)",
        ],
        description: "drm_exec_prepare_array with zero objects returns 0 without locking the contended \
         object, so drm_exec_retry_on_contention restarts the loop forever",
        scenarios: &["exec-empty-array"],
        engines: ALL_ENGINES,
        property: Property::Livelock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ExecPrelockedListed,
        name: "exec-prelocked-listed",
        kind: VariantKind::Finding,
        area: "ww",
        kernel_fix: "mainline behaviour since drm_exec was merged (v6.6): drm_exec_lock_contended calls \
         drm_exec_obj_locked at once (drm_exec.c at 1fc5a74b, identical to the merged v7 patch of \
         2023-07-11); the unmerged B10 patch is proposal exec-prelocked-deferred",
        introduced_in: Some("6.6"),
        fixed_in: None,
        backports: &[],
        description: "drm_exec_lock_contended records the slow-locked object in objects[] at once, so a \
         retry that no longer asks for it keeps it locked and listed",
        scenarios: &["exec-evict-set"],
        engines: ALL_ENGINES,
        property: Property::ExecLockSet,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ExecPrelockedDoubleUnlock,
        name: "exec-prelocked-double-unlock",
        kind: VariantKind::Design,
        area: "ww",
        kernel_fix: "drm_exec v3 review (Feb 2023): merged code only drops the prelocked reference",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the prelocked object is both in objects[] and in prelocked and drm_exec_unlock_all \
         unlocks both: bad unlock balance when a retry ends before it is re-requested",
        scenarios: &["exec-evict-giveup"],
        engines: ALL_ENGINES,
        property: Property::UnlockNotOwner,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::StateNoMb,
        name: "state-no-mb",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none (set_current_state() has always been smp_store_mb())",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "set_current_state without its full barrier: the Wait-Die waiter's check_kill can \
         miss ww->ctx published by a fast-path holder that missed WAITERS (loom only)",
        scenarios: &["ring2-wd"],
        engines: LOOM_ONLY,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::KillWithoutLocks,
        name: "kill-without-locks",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none (the acquired > 0 guard of __ww_mutex_kill dates from 040a0a371005)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "__ww_mutex_kill returns -EDEADLK even when the context holds no lock",
        scenarios: &["contend3-wd"],
        engines: ALL_ENGINES,
        property: Property::EdeadlkWithoutLocks,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::StampNoWrap,
        name: "stamp-no-wrap",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none (__ww_ctx_less uses the wrapping signed difference)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "__ww_ctx_less compares raw stamps; once the class stamp wraps, the oldest context \
         looks youngest and is killed or wounded",
        scenarios: &["abba-wrap-wd", "abba-wrap-ww"],
        engines: ALL_ENGINES,
        property: Property::OldestKilled,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::EalreadyAnyCtx,
        name: "ealready-any-ctx",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none (the -EALREADY test compares ww->ctx with our own ctx)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the slow path returns -EALREADY whenever the lock has a holder context",
        scenarios: &["abba-wd"],
        engines: ALL_ENGINES,
        property: Property::EalreadyMisuse,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::FirstWaiter2026,
        name: "first-waiter-2026",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "0adc92b910b3 (locking/mutex: Fix ww_mutex wait_list operations)",
        introduced_in: Some("7.1"),
        fixed_in: Some("7.1"),
        backports: &[],
        description: "25500ba7e77c's headless wait list: __mutex_add_waiter(pos) inserts an older \
         context before the first waiter without making it lock->first_waiter, and \
         __ww_waiter_prev stops one early, so the wait list leaves stamp order and backward \
         walks skip the first waiter (test-ww_mutex hung at boot; never in a tagged release)",
        scenarios: &["stress-inorder-wd", "stress-inorder-ww"],
        engines: ALL_ENGINES,
        property: Property::WaitListOrder,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::WoundClearBlockedOnLock,
        name: "wound-clear-blocked-on-lock",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "21924af67d69 (locking: Fix __clear_task_blocked_on() warning from __ww_mutex_wound() path)",
        introduced_in: Some("6.17"),
        fixed_in: Some("6.17"),
        backports: &[],
        description: "a4f0b6fef4b0's __ww_mutex_wound calls __clear_task_blocked_on(owner, lock): when the \
         wounded owner sleeps on another mutex, WARN_ON_ONCE(blocked_on && blocked_on != m) fires \
         (syzbot, Maarten Lankhorst; with or without proxy execution)",
        scenarios: &["abba-ww"],
        engines: ALL_ENGINES,
        property: Property::BlockedOn,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::DropDieClear,
        name: "drop-die-clear",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none (__ww_mutex_die clears the waiter's blocked_on before waking it)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the Wait-Die wakeup leaves the dying waiter's blocked_on set: under proxy execution it \
         stays a donor of the lock's owner and never backs off -> deadlock",
        scenarios: &["contend3-proxy-exec-wd"],
        engines: ALL_ENGINES,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::DropWoundClear,
        name: "drop-wound-clear",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none (__ww_mutex_wound clears the wounded owner's blocked_on before waking it)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the wound wakeup leaves the wounded owner's blocked_on set: under proxy execution it \
         stays a donor of the mutex it sleeps on, whose owner waits for it -> deadlock",
        scenarios: &["abba-proxy-exec-ww"],
        engines: ALL_ENGINES,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::SwapoutNoBulkDel,
        name: "swapout-no-bulk-del",
        kind: VariantKind::Mutation,
        area: "ttm",
        kernel_fix: "none: a mutation (no kernel commit). Formerly `bulk-predicate`, labelled B14 / \"fixes fc5d96670eb2\"; \
         but fc5d96670eb2 as merged (v6.13, v4+ of the patch) already takes the resource out of its bulk range \
         before ttm_tt_swapout, so no release had this. Kept because it is the shortest way to a swapped \
         resource left as a range endpoint under mainline's predicate membership (B2/B3 must bite); the \
         state mainline really reached is swapout-bulk-ret",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "ttm_bo_swapout_cb swaps out and bumps the resource (onto bdev->unevictable, it is swapped) \
         without any ttm_resource_del_bulk_move: with mainline's predicate membership the resource is no longer \
         a member, so nothing ever takes it out, and pos->first/last keep pointing at a resource on another list",
        scenarios: &["ttm-swapout-bulk"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::SwapoutBulkRet,
        name: "swapout-bulk-ret",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "3db7d7d58341 + fcfe64715b42 (drm/ttm: apply the swapout bulk_move fix to the intended condition, 2026-09)",
        introduced_in: Some("7.1"),
        fixed_in: Some("7.3"),
        backports: &[
            "7.0.y got b2ed01e7ad (the bug) in 7.0.10; the ret > 0 fix is Cc stable v7.1+",
        ],
        description: "the 2026 swapout fix takes the resource out of its bulk only `if (!ret)`, but ttm_tt_swapout \
         returns a page count: a swapped resource stays in the range while membership is recomputed \
         from the mutable predicate (spec ttm_lru.md §10.7)",
        scenarios: &["ttm-swapout-bulk"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::BulkFirstNotAdvanced,
        name: "bulk-first-not-advanced",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "4481913607e5 (drm/ttm: fix bulk_move corruption when adding a entry; CVE-2023-53444)",
        introduced_in: Some("5.19"),
        fixed_in: Some("6.5"),
        backports: &["6.1.42", "6.4.7"],
        description: "ttm_lru_bulk_move_pos_tail moves the range's first entry behind last without advancing \
         pos->first: the range no longer describes the list",
        scenarios: &["ttm-bulk-bump"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::BulkAddPinned,
        name: "bulk-add-pinned",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "0f9cd1ea10d3 (drm/ttm: fix bulk move handling v2; v5.19-rc3, so no release had the bug)",
        introduced_in: Some("5.19"),
        fixed_in: Some("5.19"),
        backports: &[],
        description: "ttm_resource_add_bulk_move does not skip pinned resources: a pinned BO joining a VM puts \
         its resource (on bdev->unevictable) into the bulk range",
        scenarios: &["ttm-vm-pin"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::GhostKeepsBulk,
        name: "ghost-keeps-bulk",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "d91c411c744b (drm/ttm: update bulk move object of ghost BO)",
        introduced_in: Some("5.19"),
        fixed_in: Some("6.0"),
        backports: &["5.19.y"],
        description: "ttm_buffer_object_transfer copies bo->bulk_move into the ghost and never clears it: the \
         ghost is released while its resource is still in the bulk range",
        scenarios: &["ttm-ghost"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::PinnedOnLru,
        name: "pinned-on-lru",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "a2848d08742c (drm/ttm: never consider pinned BOs for eviction&swap; v6.5-rc, backported to the stable trees of the time) and 4cce1373c17f (v6.13, pinned resources off the LRU)",
        introduced_in: None,
        fixed_in: Some("6.5"),
        backports: &[],
        description: "ttm_bo_pin leaves the resource on its evictable LRU until the next bump (before \
         \"Move pinned objects off LRU lists when pinning\") and the eviction and swapout \
         callbacks do not check pin_count: a BO pinned and unlocked with dma_resv_unlock is evicted",
        scenarios: &["ttm-evict-pin"],
        engines: ALL_ENGINES,
        property: Property::EvictionSafety,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::HitchCarried,
        name: "hitch-carried",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "\"drm/ttm, drm/amdgpu, drm/xe: Consider hitch moves within bulk sublist moves\" (the LRU walker series, msgid 20240705153206.68526-*, merged for v6.12 with the hitches themselves: never in a release)",
        introduced_in: Some("6.12"),
        fixed_in: Some("6.12"),
        backports: &[],
        description: "ttm_lru_bulk_move_tail moves a walker's hitch along with the bulk range it sits in: the \
         walk resumes at the list tail and skips everything behind the old range",
        scenarios: &["ttm-walk-bulk-bump"],
        engines: ALL_ENGINES,
        property: Property::WalkSkip,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::EvictFirstNoRecheck,
        name: "evict-first-no-recheck",
        kind: VariantKind::Mutation,
        area: "ttm",
        kernel_fix: "none in the walker era: ttm_bo_evict_first (3756310e9fe1, v6.12) re-checks bo->resource after reserving from its first version; the older ttm_mem_evict_first got its mem_type re-check in 7120a447c7fe (v5.16)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "ttm_bo_evict_first evicts whatever the BO holds after the blocking reserve, without \
         re-checking that it is still the resource it picked from this manager",
        scenarios: &["ttm-evict-all-race"],
        engines: ALL_ENGINES,
        property: Property::EvictionSafety,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::WalkerKrefGet,
        name: "walker-kref-get",
        kind: VariantKind::Mutation,
        area: "ttm",
        kernel_fix: "none: a mutation. The LRU walker (v6.12) used ttm_bo_get_unless_zero() from its first merged version (the bb8aa27eff6f minus lines)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the LRU walker references a BO found on the LRU with kref_get although its release may \
         already be running (kref 0)",
        scenarios: &["ttm-walk-release"],
        engines: ALL_ENGINES,
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::EalreadyAbort,
        name: "ealready-abort",
        kind: VariantKind::Design,
        area: "ttm",
        kernel_fix: "pre-merge: v1 of bb8aa27eff6f (drm/ttm, drm_xe: guarded LRU iteration for ttm_lru_walk_for_evict, v6.17); its v2 skips -EALREADY (\"Fix Handling -EALREADY ... by skipping to the next item\"); the v6.12..v6.16 walker mapped -EALREADY to 0, so no release had it",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "a BO already locked by the evictor's own ticket makes the ticketed walk end with \
         -EALREADY instead of skipping it: exhaustive eviction gives up with memory evictable",
        scenarios: &["ttm-evict-ticket"],
        engines: ALL_ENGINES,
        property: Property::EvictionExhaustive,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::NextMissingReturn,
        name: "next-missing-return",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "\"drm/ttm: Slightly clean up LRU list iteration\" (2/8 of the v6.12 LRU walker series, msgid 20240705153206.68526-3) restores the return that 1/8 dropped: never in a release",
        introduced_in: Some("6.12"),
        fixed_in: Some("6.12"),
        backports: &[],
        description: "in \"Allow TTM LRU list nodes of different types\" ttm_resource_manager_next computed the \
         first resource of a later priority list and discarded it: lower priorities are never walked",
        scenarios: &["ttm-walk-priorities"],
        engines: ALL_ENGINES,
        property: Property::WalkSkip,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ShrinkerFirstPassWaits,
        name: "shrinker-first-pass-waits",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "2dd7a47669ae (drm/xe: Defer buffer object shrinker write-backs and GPU waits; v6.17-rc2, drm-xe-next id 80944d334182)",
        introduced_in: Some("6.15"),
        fixed_in: Some("6.17"),
        backports: &["6.16.y (Cc stable v6.15+)"],
        description: "the Xe shrinker allows GPU waits and writeback on its only pass: kswapd stalls on a busy \
         BO although idle BOs would have met the target",
        scenarios: &["ttm-shrink-kswapd"],
        engines: ALL_ENGINES,
        property: Property::ReclaimStall,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::BackupNotData,
        name: "backup-not-data",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "379b3c983fc0 (drm/xe: Fix incorrect migration of backed-up object to VRAM; v6.17-rc5, cherry-pick of 1047bd82794a)",
        introduced_in: Some("6.15"),
        fixed_in: Some("6.17"),
        backports: &["6.16.y (Cc stable v6.15+)"],
        description: "a move decides tt_has_data from POPULATED or the old SWAPPED flag only: a BO backed up by \
         the shrinker is cleared instead of restored when validated into VRAM",
        scenarios: &["ttm-shrink-revalidate"],
        engines: ALL_ENGINES,
        property: Property::DataLoss,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::UnpinSoleMember,
        name: "unpin-sole-member",
        kind: VariantKind::Finding,
        area: "ttm",
        kernel_fix: "none yet (mainline behaviour, docs/findings.md): ttm_lru_bulk_move_add should put the first entry of an empty range on the range's list",
        introduced_in: Some("6.13"),
        fixed_in: None,
        backports: &[],
        description: "ttm_bo_unpin on the only member of a bulk range: ttm_lru_bulk_move_add makes it \
         pos->first/last without a list move and move_to_lru_tail is a no-op for last, so the \
         resource stays on bdev->unevictable, invisible to eviction, until the next bulk bump",
        scenarios: &[
            "ttm-unpin-sole-member",
            "ttm-unpin-sole-member-walk",
            "ttm-populate-sole-member-walk",
        ],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::BulkLeaveCursor,
        name: "bulk-leave-cursor",
        kind: VariantKind::Finding,
        area: "ttm",
        kernel_fix: "none yet (mainline behaviour, docs/findings.md; spec ttm_lru.md §4.3): \
         ttm_resource_cursor_move_bulk_tail should move a registered cursor's hitch only \
         when it lies inside the range, and otherwise just deregister the cursor",
        introduced_in: Some("6.11"),
        fixed_in: None,
        backports: &[],
        description: "a walker yields the first BO of a VM's bulk range and registers with the bulk; \
         after it unlocks the VM resv, that BO and the next leave the VM \
         (ttm_bo_set_bulk_move(bo, NULL) only advances pos->first) and the VM submits: \
         ttm_bulk_move_adjust_cursors parks the hitch behind pos->last although it lies \
         outside the range, and the BO that left without moving is never visited",
        scenarios: &["ttm-bulk-leave-walk"],
        engines: ALL_ENGINES,
        property: Property::WalkSkip,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::GemLruReleaseRace,
        name: "gem-lru-release-race",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "379e8f1ca5e9 (drm/gem: Make the GEM LRU lock part of drm_device; Boris Brezillon, \
         v4 of May 2026, Fixes e7c2af13f811; the v1/v2 patch that only skipped dying objects was \
         dropped): drm_gem_lru_remove takes dev->gem_lru_mutex before it reads obj->lru",
        introduced_in: Some("6.1"),
        fixed_in: Some("7.1"),
        backports: &[
            "7.0.11",
            "6.6.y / 6.12.y: no backport seen (only msm uses drm_gem_lru there)",
        ],
        description: "drm_gem_lru_remove reads obj->lru without the lock and then locks lru->lock \
         through it: when a drm_gem_lru_scan has moved the object (dying, or whose shrink failed) \
         to its on-stack still_in_lru, splices it back and returns in between, the releaser \
         dereferences the dead stack list (svm_shrinker.md §8.5, §9; docs/findings.md §7)",
        scenarios: &["design-gem-lru-scan-release"],
        engines: SHUTTLE_ONLY,
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::SwapoutFailRebump,
        name: "swapout-fail-rebump",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "b2ed01e7ad3d (drm/ttm: Fix ttm_bo_swapout() infinite LRU walk on swapout failure; CVE-2026-52965, v7.1-rc3)",
        introduced_in: Some("6.13"),
        fixed_in: Some("7.1"),
        backports: &["7.0.10 (Cc stable v6.13+)"],
        description: "when ttm_tt_swapout fails (-ENOMEM from shmem), ttm_bo_swapout_cb re-adds the resource to \
         its bulk move and moves it to the LRU tail, behind the walk cursor's hitch; the error \
         becomes -EBUSY, then 0, and the walk meets the same BO again without end",
        scenarios: &["ttm-swapout-fail"],
        engines: SHUTTLE_ONLY,
        property: Property::WalkProgress,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ShrinkBackupRebump,
        name: "shrink-backup-rebump",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "1d59f36e95f7 (drm/ttm: Fix ttm_bo_shrink() infinite LRU walk on backup failure, v7.1)",
        introduced_in: Some("6.15"),
        fixed_in: Some("7.1"),
        backports: &["7.0.y (Cc stable v6.15+)"],
        description: "ttm_bo_shrink takes a bulk BO out of its range before ttm_tt_backup and re-adds it when the \
         backup fails: ttm_lru_bulk_move_add moves it to the range tail, behind the shrinker walk's \
         hitch, and a walk that skips -EBUSY meets it again without end",
        scenarios: &["ttm-shrink-backup-fail"],
        engines: SHUTTLE_ONLY,
        property: Property::WalkProgress,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::GhostReserveAfterTransfer,
        name: "ghost-reserve-after-transfer",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "97e000acf2e2 (drm/ttm: fix error handling in ttm_buffer_object_transfer, v6.16-rc5)",
        introduced_in: None,
        fixed_in: Some("6.16"),
        backports: &[],
        description: "ttm_buffer_object_transfer hands the BO's resource to the ghost before \
         dma_resv_reserve_fences; when that fails (-ENOMEM) the ghost is kfree'd with its resv \
         locked while the resource on the LRU still points to it: the next LRU walk dereferences \
         freed memory",
        scenarios: &["ttm-ghost-reserve-fail"],
        engines: SHUTTLE_ONLY,
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::SwapoutMoveLeak,
        name: "swapout-move-leak",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "a590f03d8de7 (drm/ttm: Don't leak a resource on swapout move error, v6.5-rc3)",
        introduced_in: None,
        fixed_in: Some("6.5"),
        backports: &[],
        description: "when ttm_bo_handle_move_mem fails in ttm_bo_swapout_cb, the new SYSTEM resource is never \
         freed: it stays on the manager's LRU and in man->usage, owned by no BO",
        scenarios: &["ttm-swapout-fail"],
        engines: SHUTTLE_ONLY,
        property: Property::PageLedger,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::FaultNoRef,
        name: "fault-no-ref",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "16ce101db85d (mm/memory.c: fix race when faulting a device private page; CVE-2022-3523, v6.1)",
        introduced_in: Some("4.14"),
        fixed_in: Some("6.1"),
        backports: &[],
        description: "do_swap_page drops the PTL and calls migrate_to_ram holding no reference on the \
         device page: a concurrent eviction migrates and frees it (page_free, zdd released) \
         before migrate_to_ram reads page->zone_device_data",
        scenarios: &["svm-fault-evict-1", "svm-fault-evict"],
        engines: PCT_LOOM,
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::FaultRefNoTrylock,
        name: "fault-ref-no-trylock",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "B28: 1afaeb8293c9 (mm/migrate: Trylock device page in do_swap_page, v6.15)",
        introduced_in: Some("6.1"),
        fixed_in: Some("6.15"),
        backports: &[
            "no 6.6.y / 6.12.y backport (1afaeb8293c9 was not tagged for stable): both LTS kernels keep the 16ce101db85d form",
        ],
        description: "every faulting CPU takes get_page on the device page and runs migrate_to_ram without \
         the page lock: each migration's exact reference check in folio_migrate_mapping sees \
         the other faulters' references and aborts, and the faults retry (livelock: a lasso; \
         with AMD's migrate_mutex and 3 faulters queued on it, in every schedule where a \
         refaulting CPU re-takes its reference before the next commit)",
        scenarios: &["svm-amd-cpu-fault-3", "svm-cpu-fault-2", "svm-cpu-fault-3"],
        engines: SHUTTLE_RANDOM,
        property: Property::Livelock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::FaultTrylockSpin,
        name: "fault-trylock-spin",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "B29: b570f37a2ce4 (mm: Fix a hmm_range_fault() livelock / starvation problem, v7.0-rc3; CVE-2026-43404)",
        introduced_in: Some("6.15"),
        fixed_in: Some("7.0"),
        backports: &[],
        description: "a failed device-folio trylock in do_swap_page returns 0 and hmm_range_fault retries \
         at once without sleeping: on a non-preemptible CPU the lru_add_drain_all work the \
         lock holder waits for never runs (livelock)",
        scenarios: &["svm-drain-starve"],
        engines: ALL_ENGINES,
        property: Property::Livelock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ReuseBeforePageFree,
        name: "reuse-before-page-free",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "T4 (Oct 2025): \"drm/amdkfd: Fix svm_bo and vram page refcount\" (Philip Yang; Jason Gunthorpe: VRAM may only be reused after page_free)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the driver returns an allocation's VRAM when its migration to RAM returns, while the \
         CPU fault still holds its do_swap_page reference: a GPU fault reuses the page and \
         zone_device_page_init resets its refcount; the fault's put_page then frees the new page",
        scenarios: &["svm-reuse"],
        engines: PCT_LOOM,
        property: Property::DevicePageReinit,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::NoTimeslice,
        name: "no-timeslice",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "df8c37810b5a + 1b36ea2fc687 + 794f5493f518 + 7bd68ce21d39 (GPU SVM timeslicing, strict atomic migration, devmem_only; v6.15-rc7)",
        introduced_in: Some("6.15"),
        fixed_in: Some("6.15"),
        backports: &[],
        description: "migrate_to_ram honours a CPU fault right after a migration to VRAM: CPU and GPU atomics \
         on one page ping-pong it and the devmem_only GPU fault fails after its 3 attempts \
         (xe_svm_handle_pagefault returns the error: the GPU job fails)",
        scenarios: &["svm-atomic-pingpong"],
        engines: ALL_ENGINES,
        property: Property::Expectation,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::EvictSignalEarly,
        name: "evict-signal-early",
        kind: VariantKind::Mutation,
        area: "svm",
        kernel_fix: "none on the path it is applied to: drm_gpusvm_evict_to_ram (v6.15) and \
         drm_pagemap_evict_to_ram have tested completion_done(&devmem->detached) from the \
         first release, so no Xe kernel had it. Its AMD half is mainline behaviour: \
         svm_range_evict_svm_bo_worker signals the eviction fence with pages left in VRAM \
         (kfd_svm.c; the finding amd-evict-signal-live)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "drm_pagemap_evict_to_ram reports success when its pass migrated every page it \
         could lock, although a page locked by a CPU fault stays in VRAM: the caller frees VRAM \
         that is still mapped (the AMD worker's shape applied to the Xe eviction)",
        scenarios: &["svm-fault-evict-1", "svm-fault-evict", "svm-ttm-evict"],
        engines: ALL_ENGINES,
        property: Property::SvmEviction,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::LenientCommit,
        name: "lenient-commit",
        kind: VariantKind::Mutation,
        area: "svm",
        kernel_fix: "none (folio_migrate_mapping has always required refcount == 1 + extra for anon folios)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "migrate_vma_pages commits with the unmap-time check, which tolerates one more \
         reference on zone-device pages: a page is migrated under a reference someone else holds",
        scenarios: &["svm-fault-evict"],
        engines: ALL_ENGINES,
        property: Property::MigrateRefcount,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::UnlockBeforeRemap,
        name: "unlock-before-remap",
        kind: VariantKind::Mutation,
        area: "svm",
        kernel_fix: "none (migrate_vma_finalize unlocks after remove_migration_ptes)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "finalize unlocks the source folio before replacing its migration entries",
        scenarios: &["svm-fault-evict-1"],
        engines: ALL_ENGINES,
        property: Property::PageLock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::ZddPutMissing,
        name: "zdd-put-missing",
        kind: VariantKind::Mutation,
        area: "svm",
        kernel_fix: "none (drm_pagemap_page_free has always put the zdd)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "page_free does not drop the page's zdd reference: devmem_release never runs and the \
         allocation's VRAM leaks",
        scenarios: &["svm-cpu-fault-2"],
        engines: ALL_ENGINES,
        property: Property::ZddRefcount,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::CopyBeforeUnmap,
        name: "copy-before-unmap",
        kind: VariantKind::Mutation,
        area: "svm",
        kernel_fix: "none (drivers copy after migrate_vma_setup, when the source is locked and unmapped)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "migrate_to_devmem's copy reads the source before migrate_vma_setup unmapped it: a CPU \
         store in between is lost",
        scenarios: &["svm-gpu-cpu"],
        engines: ALL_ENGINES,
        property: Property::DataLoss,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::VmResvGated,
        name: "vm-resv-gated-migration",
        kind: VariantKind::Design,
        area: "design",
        kernel_fix: "rejected in the 2024 dri-devel discussion (T1, Sima 29 Aug / 3 Sep): mainline uses core-mm page locks only",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "SVM migration gated by the VM's shared dma_resv: the GPU fault handler holds it while \
         range eviction sleeps on a page lock, and migrate_to_ram takes it with the fault page \
         locked: page lock -> resv against resv -> page lock",
        scenarios: &["svm-design-vm-resv"],
        engines: ALL_ENGINES,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::GpusvmEvictMmLeak,
        name: "gpusvm-evict-mm-leak",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "847b371debf3 \"drm/gpusvm: Fix MM reference leak in drm_gpusvm_range_evict\" \
         (Matthew Brost, July 2026, Fixes 99624bdff867, Cc stable)",
        introduced_in: Some("6.15"),
        fixed_in: Some("7.2"),
        backports: &["Cc stable"],
        description: "drm_gpusvm_range_evict returns -ENOMEM when kvmalloc_array fails without the \
         mmput for its mmget_not_zero: the mm_struct is never freed (reachable only \
         through the error path: engine shuttle-inject = shuttle with --inject 1)",
        scenarios: &["svm-design-vm-resv"],
        engines: &["shuttle-inject"],
        property: Property::Expectation,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::XeDevmemReleaseOnError,
        name: "xe-devmem-release-on-error",
        kind: VariantKind::Mutation,
        area: "svm",
        kernel_fix: "none (the patch that made drm_pagemap_migrate_to_devmem consume the devmem \
         allocation dropped xe's `if (err) xe_svm_devmem_release(...)` in the same change)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "xe_drm_pagemap_populate_mm releases the devmem allocation after a failed \
         drm_pagemap_migrate_to_devmem, whose zdd already released it: the second \
         devmem_release runs on freed memory (reachable only through the error path: \
         engine shuttle-inject)",
        scenarios: &["svm-gpu-cpu"],
        engines: &["shuttle-inject"],
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::UnpinSoleMemberReadd,
        name: "unpin-sole-member-readd",
        kind: VariantKind::Proposal,
        area: "ttm",
        kernel_fix: "unmerged: the model's fix for docs/findings.md §3 (ttm_lru_bulk_move_add moves the \
         first entry of an empty range onto man->lru[prio])",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "re-adding the only member of a bulk range (unpin, populate after swap-in) moves it \
         to its manager LRU, so it does not stay on bdev->unevictable",
        scenarios: &["ttm-unpin-sole-member"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[Variant::UnpinSoleMember],
    },
    VariantInfo {
        variant: Variant::BulkCursorInRange,
        name: "bulk-cursor-in-range",
        kind: VariantKind::Proposal,
        area: "ttm",
        kernel_fix: "unmerged: the model's fix for docs/findings.md §4 (ttm_bulk_move_adjust_cursors moves a \
         registered hitch only when it lies between pos->first and pos->last)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "a bulk move carries a walker's hitch only when the hitch is inside the moved range, \
         so a walk never skips resources that stayed in place",
        scenarios: &["ttm-bulk-leave-walk"],
        engines: ALL_ENGINES,
        property: Property::WalkSkip,
        removes: &[Variant::BulkLeaveCursor],
    },
    VariantInfo {
        variant: Variant::ExecPrelockedDeferred,
        name: "exec-prelocked-deferred",
        kind: VariantKind::Proposal,
        area: "ww",
        kernel_fix: "unmerged B10: \"drm/exec: don't immediately add the prelocked obj\" (Christian Koenig, \
         2024; not in mainline drm_exec.c at 1fc5a74b nor in the 2026-09 shortlogs)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the slow-locked contended object stays in exec->prelocked and is listed (and so kept \
         locked) only when the retried body asks for it again; drm_exec_unlock_all unlocks it otherwise",
        scenarios: &["exec-evict-set"],
        engines: ALL_ENGINES,
        property: Property::ExecLockSet,
        removes: &[Variant::ExecPrelockedListed],
    },
    VariantInfo {
        variant: Variant::AmdEvictSignalLive,
        name: "amd-evict-signal-live",
        kind: VariantKind::Finding,
        area: "svm",
        kernel_fix: "none yet (mainline behaviour, docs/findings.md §9): kfd_svm.c \
         svm_range_evict_svm_bo_worker calls dma_fence_signal(&svm_bo->eviction_fence->base) \
         after `while (!r && prange->actual_loc && --retries)` whatever is left in VRAM; only \
         WARN_ONCE(!r && kref_read(&svm_bo->kref) != 1, \"This was not the last reference\") \
         marks it. amdgpu_evict_flags gives SVM BOs no placement, so ttm_bo_evict guts the BO \
         and frees its VRAM once the fence has signalled",
        introduced_in: Some("5.14"),
        fixed_in: None,
        backports: &[],
        description: "a CPU fault holds a device page's lock (do_swap_page) and waits for svms->lock or \
         migrate_mutex; the eviction worker cannot lock that page in its 3 passes, signals the \
         eviction fence anyway and TTM frees the BO's VRAM; the next VRAM allocation \
         (svm_range_restore_pages -> svm_migrate_ram_to_vram) runs zone_device_page_init on the \
         page the CPU fault still holds",
        scenarios: &["svm-amd-evict-fault", "svm-amd-evict-signal-live"],
        engines: SHUTTLE_ONLY,
        property: Property::SvmEviction,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::AmdEvictBusyIfLive,
        name: "amd-evict-busy-if-live",
        kind: VariantKind::Proposal,
        area: "svm",
        kernel_fix: "unmerged: the model's fix for docs/findings.md §9 (the SVM BO's move fails with \
         -EBUSY while device pages of it are live, as xe_bo_move does when \
         drm_pagemap_evict_to_ram returns -EBUSY; not signalling the fence instead would \
         deadlock against svm_range_restore_pages, which holds svms->lock while it waits)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "after the worker's 3 passes, an SVM BO with device pages still live keeps its \
         VRAM: TTM's eviction of it fails with -EBUSY and the allocation that wanted the VRAM \
         falls back to system memory",
        scenarios: &["svm-amd-evict-fault", "svm-amd-evict-signal-live"],
        engines: SHUTTLE_ONLY,
        property: Property::SvmEviction,
        removes: &[Variant::AmdEvictSignalLive],
    },
    VariantInfo {
        variant: Variant::BulkMembershipFlag,
        name: "bulk-membership-flag",
        kind: VariantKind::Proposal,
        area: "ttm",
        kernel_fix: "unmerged: Samuel Ainsworth, \"drm/ttm: don't leave bulk_move cursor dangling for unevictable \
         resources\" v1 (2026-06-15): a per-resource bulk_move record set by ttm_resource_add_bulk_move and \
         cleared by _del_bulk_move. Not in drm-tip nor in the 2026-09 shortlogs; the baseline computes membership \
         as mainline does (bo->bulk_move && !ttm_resource_unevictable(res, bo))",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "bulk membership read from an explicit record instead of the mutable predicate: add/del/\
         move_to_lru_tail ask the record, a second add is refused, and freeing a recorded member WARNs. It \
         removes no finding of the baseline (mainline with fcfe64715b42 never leaves a swapped resource in its \
         range); with swapout-bulk-ret it turns the stale range into a consistent one",
        scenarios: &["ttm-swapout-bulk"],
        engines: ALL_ENGINES,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::StressRetryNoTimeout,
        name: "stress-retry-no-timeout",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "B3: cfa92b6d5207 (locking/ww_mutex/test: Make sure we bail out instead of livelock; \
         tip locking/core 2023-09-22, v6.7 merge window)",
        introduced_in: Some("4.11"),
        fixed_in: Some("6.7"),
        backports: &[],
        description: "stress_inorder_work's -EDEADLK branch does ww_mutex_lock_slow and goes back to \
         retry: without looking at stress->timeout, so once the deadline has passed the worker keeps \
         retrying for as long as -EDEADLK comes (John Stultz's 64-CPU livelock); found by the \
         deadline's bounded-progress check (a retry started after the timeout), not by a lasso: \
         with two workers the model's ww_mutex always lets the oldest context finish",
        scenarios: &["stress-inorder-deadline-wd", "stress-inorder-deadline-ww"],
        engines: SHUTTLE_ONLY,
        property: Property::Livelock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::EvictWaitBusyUnlock,
        name: "evict-wait-busy-unlock",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "B22: introduced by d367bd2a5e2b (drm/ttm: fix busy memory to fail other user v10, \
         v5.3); 3756310e9fe1 (drm/ttm: Use the LRU walker for eviction, v6.12) replaced \
         ttm_mem_evict_first / ttm_mem_evict_wait_busy by ttm_bo_evict_alloc, whose \
         ttm_lru_walk_ticketlock keeps the BO it slept for locked and evicts it in the same walk",
        introduced_in: Some("5.3"),
        fixed_in: Some("6.12"),
        backports: &["6.6.y: still has ttm_mem_evict_wait_busy (no backport of the walker)"],
        description: "the pre-walker eviction sleeps on the first busy BO of another ticket \
         (ttm_mem_evict_wait_busy), unlocks it at once and walks again: a younger ticket that \
         resubmits takes the BO back first, and the oldest ticket sleeps on the same BO again \
         without ever getting its memory (it can wait for as long as the younger one retries); \
         -EDEADLK of a younger evictor is hidden as -EBUSY",
        scenarios: &["ttm-evict-wait-busy"],
        engines: SHUTTLE_ONLY,
        property: Property::EvictionProgress,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::VmPtFreeKeepsBulk,
        name: "vm-pt-free-keeps-bulk",
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "B27: \"drm/amdgpu: fix drm-next merge fallout\" (Christian König, 2022-05-03, picked \
         into drm-next for v5.19: the ttm_bo_set_bulk_move(.., NULL) hunk of amdgpu_vm_pt_free lost \
         when fee2ede15542 met 184a69ca4d41; never in a release). The 2018 original of the same bug \
         in amdgpu's own bulk cache: fbbf794cbd48 (drm/amdgpu: set bulk_moveable to false when a per \
         VM is released)",
        introduced_in: Some("5.19"),
        fixed_in: Some("5.19"),
        backports: &[],
        description: "amdgpu_vm_pt_free drops a page table (amdgpu_bo_unref) without \
         ttm_bo_set_bulk_move(NULL): its resource stays in the VM's bulk range while the BO is \
         released, WARN_ON_ONCE(bo->bulk_move) in ttm_bo_release, and a delayed delete would \
         take it out of a bulk that amdgpu_vm_fini has already finished and freed",
        scenarios: &["ttm-amdgpu-vm-fini"],
        engines: SHUTTLE_ONLY,
        property: Property::LruStructure,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::RtWwChainEdeadlk,
        name: "rt-ww-chain-edeadlk",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "6467822b8cc9 (locking/rtmutex: Prevent spurious EDEADLK return caused by ww_mutexes)",
        introduced_in: Some("5.15"),
        fixed_in: Some("5.15"),
        backports: &[
            "PREEMPT_RT only (out-of-tree RT patches before v6.12): the ww_rt_mutex code and \
             this fix came in the same v5.15 merge window",
        ],
        description: "B4: P1 holds plain A and ww_A and waits for ww_B, P2 holds ww_B and waits for ww_A, \
         P3 waits for A. With deadlock detection on (CONFIG_DEBUG_RT_MUTEXES), P3's PI chain walk \
         circles the transient ww cycle until max_lock_depth and P3 gets -EDEADLK: a plain \
         rt_mutex_lock stops in rt_mutex_handle_deadlock",
        scenarios: &["rt-b4-chain"],
        engines: SHUTTLE_ONLY,
        property: Property::SpuriousEdeadlk,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::RtWwEdeadlk,
        name: "rt-ww-edeadlk",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "a055fcc132d4 (locking/rtmutex: Return success on deadlock for ww_mutex waiters) and \
         02ea9fc96fe9 (locking/rtmutex: Squash self-deadlock check for ww_rt_mutex)",
        introduced_in: Some("5.15"),
        fixed_in: Some("5.16"),
        backports: &["PREEMPT_RT only (out-of-tree RT patches before v6.12)"],
        description: "B5: the PI chain walk of a ww waiter that closes a ww cycle (and the early \
         owner == task check) returns -EDEADLK itself: ww_mutex_lock returns -EDEADLK without \
         __ww_mutex_kill, so contending_lock is not recorded and the Wait-Die/Wound-Wait rules \
         did not choose the victim (it can be the oldest context)",
        scenarios: &["rt-b5-abba"],
        engines: SHUTTLE_ONLY,
        property: Property::EdeadlkBookkeeping,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::RtWwBackoutQueued,
        name: "rt-ww-backout-queued",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "37e8abff2beb (locking/rtmutex: Dequeue waiter on ww_mutex deadlock)",
        introduced_in: Some("5.15"),
        fixed_in: Some("5.15"),
        backports: &["PREEMPT_RT only (out-of-tree RT patches before v6.12)"],
        description: "B6: the Wait-Die early kill in __ww_mutex_add_waiter returns from \
         task_blocks_on_rt_mutex with the waiter still queued; when it is the top waiter \
         (its context was outranked by a waiter whose task was just boosted, before the chain \
         walk re-queued that waiter), remove_waiter re-adds the lock's previous top waiter to \
         the owner's pi_waiters, where it already is: rbtree corruption",
        scenarios: &["rt-b6-backout"],
        engines: SHUTTLE_ONLY,
        property: Property::PiChain,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::RtWakeQDoubleFlush,
        name: "rt-wake-q-double-flush",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "82f9cc094975 (locking: rtmutex: Fix wake_q logic in task_blocks_on_rt_mutex)",
        introduced_in: Some("6.13"),
        fixed_in: Some("6.13"),
        backports: &[
            "6.12.y: 894d1b3db41c came in 6.12.95 with this fix (7de33483ed6d in the same queue)",
        ],
        description: "894d1b3db41c's task_blocks_on_rt_mutex calls wake_up_q() right after \
         __ww_mutex_add_waiter, under wait_lock and without wake_q_init(); rt_mutex_slowlock's \
         final flush walks the same head again: double put_task_struct, NULL dereference",
        scenarios: &["rt-abba-ww"],
        engines: SHUTTLE_ONLY,
        property: Property::UseAfterFree,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::RtWakeQUnflushed,
        name: "rt-wake-q-unflushed",
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "4a0779145781 (locking/rtmutex: Make sure we wake anything on the wake_q when we \
         release the lock->wait_lock)",
        introduced_in: Some("6.13"),
        fixed_in: Some("6.13"),
        backports: &["6.12.y: 37a95b776402 / fb45361ffc48 (6.12.96)"],
        description: "task_blocks_on_rt_mutex (before rt_mutex_adjust_prio_chain) and \
         rt_mutex_slowlock_block (before rt_mutex_schedule) drop wait_lock without flushing the \
         wake_q, so a die/wound wakeup queued by __ww_mutex_add_waiter waits until this task \
         itself gets the lock: lost wakeup -> deadlock (the boot hangs Bert Karwatzki bisected)",
        scenarios: &["rt-abba-ww"],
        engines: SHUTTLE_ONLY,
        property: Property::Deadlock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::RtNoBoost,
        name: "rt-no-boost",
        kind: VariantKind::Mutation,
        area: "ww",
        kernel_fix: "none: a mutation. task_blocks_on_rt_mutex has boosted the owner (rt_mutex_adjust_prio) \
         since the PI rework of v2.6.18",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "the new top waiter goes into the owner's pi_waiters tree, but the owner's prio is not \
         recomputed: a FIFO waiter sleeps while the lock's owner runs at its own lower priority",
        scenarios: &["rt-pi-chain"],
        engines: SHUTTLE_ONLY,
        property: Property::PriorityInversion,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::SvmSigbusOnFailure,
        name: "svm-sigbus-on-failure",
        kind: VariantKind::Design,
        area: "design",
        kernel_fix: "suggested in the Aug-Sep 2024 dri-devel SVM thread (spec svm_shrinker.md §7): give up \
         and let user space see a fault when a page stays pinned; mainline refaults (do_swap_page returns 0)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "SVM VRAM design sigbus-on-failure (docs/SVM-DESIGNS.md): a CPU fault whose migration \
         back to RAM fails because a temporary reference (a migration collect reference, a GUP-like pin) \
         keeps the fault page gives up and the task gets SIGBUS, for a page that a refault would have \
         brought back",
        scenarios: &["svm-design-sigbus-on-failure-2"],
        engines: ALL_ENGINES,
        property: Property::Expectation,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::SvmStallHoldingLock,
        name: "svm-stall-holding-lock",
        kind: VariantKind::Design,
        area: "design",
        kernel_fix: "the rule of the Aug 2024 thread (Thomas/Sima, 29 Aug): a fault may stall in the \
         allocator only while holding no locks; this variant breaks it",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "SVM VRAM design watermark-trylock, broken: the GPU fault's VRAM allocation stalls \
         (waits for SVM eviction to free VRAM) while holding gpusvm->notifier_lock, which every SVM \
         eviction takes in its mmu notifier invalidation: notifier_lock -> vram_stall against \
         vram_stall -> notifier_lock",
        scenarios: &["svm-design-watermark-trylock-stall-locked-2"],
        // Loom exhausts preemption bound 1 on the 2-CPU shape without reaching the cycle.
        engines: &["shuttle", "shuttle-pct"],
        property: Property::LockOrder,
        removes: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_variant_order_and_complete() {
        assert_eq!(REGISTRY.len(), Variant::ALL.len());
        for (i, v) in Variant::ALL.into_iter().enumerate() {
            assert_eq!(v as usize, i);
            assert_eq!(REGISTRY[i].variant, v, "row {i} is {}", REGISTRY[i].name);
            assert_eq!(Variant::from_name(v.name()), Some(v));
        }
        assert!(Variant::ALL.len() <= 128, "VariantSet is a u128");
    }

    #[test]
    fn finding_fixes_are_the_proposals_that_remove_findings() {
        for v in Variant::ALL {
            let info = v.info();
            let removes_finding = info.kind == VariantKind::Proposal
                && info
                    .removes
                    .iter()
                    .any(|r| r.info().kind == VariantKind::Finding);
            assert_eq!(FINDING_FIXES.has(v), removes_finding, "{}", info.name);
        }
    }
}
