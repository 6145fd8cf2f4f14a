//! The variants registry: historical bugs (and a few seeded mutations) behind runtime
//! switches, so that one build can check all of them. Default: all off = mainline.

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
    /// B10: drm_exec adds the slow-locked (prelocked) object to objects[] immediately.
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
    /// B14: swapout leaves a swapped resource in its bulk range; membership recomputed from the predicate.
    BulkPredicate,
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
    pub const ALL: [Variant; 47] = [
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
        Variant::BulkPredicate,
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
    ];

    pub const fn bit(self) -> u64 {
        1u64 << (self as u32)
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
pub struct VariantSet(u64);

/// The model's own fixes for the baseline's findings (the proposals that remove them): what
/// tests of the model's fixed LRU behaviour run with.
pub const FINDING_FIXES: VariantSet =
    VariantSet(Variant::UnpinSoleMemberReadd.bit() | Variant::BulkCursorInRange.bit());

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
            "6.12.y (2026-07, ~6.12.96): backported together with the bug (894d1b3db41c as a stable dependency)",
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
            "6.6.y: queued in stable-rc (2026-09-30, 2026-10-07), release not verified",
            "6.18.y",
            "7.2.y",
            "6.12.y: not seen",
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
        kind: VariantKind::Historical,
        area: "ww",
        kernel_fix: "B10: \"drm/exec: don't immediately add the prelocked obj\" (Christian Koenig, 2024; \
         mainline drm_exec.c at 1fc5a74b still lists it)",
        introduced_in: None,
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
        variant: Variant::BulkPredicate,
        name: "bulk-predicate",
        kind: VariantKind::Mutation,
        area: "ttm",
        kernel_fix: "none: re-labelled a mutation. fc5d96670eb2 as merged (v6.13) already takes the resource out of its bulk range before swapping it out, so no release had this; B14 (Ainsworth, 2026-06, unmerged) is the explicit membership flag",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "swapout moves a swapped resource to bdev->unevictable without taking it out of its \
         bulk range (what fc5d96670eb2 avoids), and membership is recomputed from bo->bulk_move && !ttm_resource_unevictable(): \
         del_bulk_move becomes a no-op and pos->first/last keep pointing at it",
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
        introduced_in: Some("6.0"),
        fixed_in: Some("6.5"),
        backports: &[],
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
        kernel_fix: "0f9cd1ea10d3 (drm/ttm: fix bulk move handling v2)",
        introduced_in: Some("6.0"),
        fixed_in: Some("6.1"),
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
        introduced_in: Some("6.0"),
        fixed_in: Some("6.1"),
        backports: &[],
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
        kernel_fix: "a2848d08742c (drm/ttm: never consider pinned BOs for eviction&swap)",
        introduced_in: None,
        fixed_in: Some("6.3"),
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
        kernel_fix: "\"drm/ttm, drm/amdgpu, drm/xe: Consider hitch moves within bulk sublist moves\" (v6.11)",
        introduced_in: Some("6.11"),
        fixed_in: Some("6.11"),
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
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "9c51ba1db37c (drm/ttm: Fix potential ttm_mem_evict_first races) and 7120a447c7fe",
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
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "1df6a2ebd750 (drm/ttm: Fix two race conditions + fix busy codepaths); ttm_bo_get_unless_zero",
        introduced_in: Some("6.11"),
        fixed_in: Some("6.11"),
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
        kind: VariantKind::Historical,
        area: "ttm",
        kernel_fix: "bb8aa27eff6f v2 (\"Fix Handling -EALREADY from ticketlocking in the loop by skipping to the next item\")",
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
        kernel_fix: "\"drm/ttm: Slightly clean up LRU list iteration\" (msgid 20240705153206.68526-3)",
        introduced_in: Some("6.11"),
        fixed_in: Some("6.11"),
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
        kernel_fix: "80944d334182 (drm/xe: Defer buffer object shrinker write-backs and GPU waits)",
        introduced_in: Some("6.15"),
        fixed_in: Some("6.16"),
        backports: &[],
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
        kernel_fix: "379b3c983fc0 (drm/xe: Fix incorrect migration of backed-up object to VRAM)",
        introduced_in: Some("6.15"),
        fixed_in: Some("6.15"),
        backports: &[],
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
        kernel_fix: "\"drm/gem: Fix a race between drm_gem_lru_scan() and drm_gem_object_release()\" \
         (Boris Brezillon, May 2026, Fixes e7c2af13f811): only move objects whose reference \
         was obtained onto still_in_lru; remove dying ones from the LRU",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "drm_gem_lru_scan moves a dying object (refcount 0) onto its on-stack still_in_lru \
         and drops the lock to shrink the next object; drm_gem_object_release reads \
         obj->lru (the stack list), the scan splices and returns, and drm_gem_lru_remove \
         dereferences the dead stack list (svm_shrinker.md §8.5, §9)",
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
        backports: &["no 6.6.y / 6.12.y backport seen"],
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
         on one page ping-pong it and the devmem_only GPU fault fails after its 3 attempts",
        scenarios: &["svm-atomic-pingpong"],
        engines: ALL_ENGINES,
        property: Property::Livelock,
        removes: &[],
    },
    VariantInfo {
        variant: Variant::EvictSignalEarly,
        name: "evict-signal-early",
        kind: VariantKind::Historical,
        area: "svm",
        kernel_fix: "AMD eviction worker retry fixes (2021-23, Felix Kuehling / Philip Yang): keep svm_bo unless fully migrated; drm_pagemap: success = completion_done(&devmem->detached)",
        introduced_in: None,
        fixed_in: None,
        backports: &[],
        description: "eviction reports success when its pass migrated every page it could lock, although a \
         page locked by a CPU fault stays in VRAM: the caller frees VRAM that is still mapped",
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
        assert!(Variant::ALL.len() <= 64, "VariantSet is a u64");
    }
}
