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
}

/// Static description of a variant (DESIGN "Variants are data").
#[derive(Clone, Debug, Serialize)]
pub struct VariantInfo {
    pub name: &'static str,
    pub area: &'static str,
    /// "historical" (a kernel bug that existed) or "mutation" (a seeded change that shows a
    /// check bites where no historical bug is known to the model).
    pub kind: &'static str,
    pub kernel_fix: &'static str,
    pub description: &'static str,
    pub scenarios: &'static [&'static str],
    pub engines: &'static [&'static str],
    /// The property the checkers report when they find it.
    pub property: Property,
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

impl Variant {
    pub const ALL: [Variant; 41] = [
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
    ];

    pub fn bit(self) -> u64 {
        1u64 << (self as u32)
    }

    pub fn info(self) -> VariantInfo {
        use Variant::*;
        type Row = (
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static [&'static str],
            &'static [&'static str],
            Property,
        );
        let (name, kind, kernel_fix, description, scenarios, engines, property): Row = match self {
            FastpathNoMb => (
                "fastpath-no-mb",
                "historical",
                "08295b3b5bee (locking: Implement an algorithm choice for Wound-Wait mutexes)",
                "ww_mutex_set_context_fastpath and __ww_mutex_add_waiter without the smp_mb() pair: \
                 the fast-path holder misses WAITERS and the Wound-Wait waiter misses ww->ctx, so \
                 nobody wounds the younger holder (missed wound -> deadlock); memory-ordering, loom only",
                &["ring2-ww"],
                LOOM_ONLY,
                Property::Deadlock,
            ),
            WakeQUnflushed => (
                "wake-q-unflushed",
                "historical",
                "4a0779145781 (locking/rtmutex: Make sure we wake anything on the wake_q when we release the lock->wait_lock)",
                "the slow path drops wait_lock before schedule() without flushing the wake_q, so a \
                 queued wound/die wakeup of a holder sleeping elsewhere is delayed until we ourselves \
                 return: lost wakeup -> deadlock",
                &["abba-ww", "ring2-ww", "cycle3-ww", "contend3-wd"],
                ALL_ENGINES,
                Property::Deadlock,
            ),
            FifoWaiters => (
                "fifo-waiters",
                "historical",
                "B1: \"locking/ww_mutex: Add waiters in stamp order\" (Nicolai Haehnle, v4.11)",
                "context waiters are queued FIFO at the tail as before the 2016/17 rework, breaking \
                 the stamp-ordered wait list that check_kill and check_waiters rely on",
                &["contend3-wd", "contend3-ww"],
                ALL_ENGINES,
                Property::WaitListOrder,
            ),
            NoBackoffWake => (
                "no-backoff-wake",
                "historical",
                "B1: 200b18744015 + 659cf9f5824a (notify/wake waiters that have to back off)",
                "nobody wakes a sleeping Wait-Die waiter that must back off when an older context \
                 queues behind it or takes the lock: the waiter keeps its locks asleep -> deadlock",
                &["contend3-wd"],
                ALL_ENGINES,
                Property::Deadlock,
            ),
            WaiterCtxPoison => (
                "waiter-ctx-poison",
                "historical",
                "b857174e68e2 (locking/ww_mutex: Initialize waiter.ww_ctx properly)",
                "a context-less ww_mutex_lock(lock, NULL) waiter keeps the debug poison in \
                 waiter.ww_ctx; wait-list scans treat it as a context and dereference it",
                &["mixed-ctx-wd", "mixed-ctx-ww"],
                ALL_ENGINES,
                Property::UseAfterFree,
            ),
            ExecEmptyArray => (
                "exec-empty-array",
                "historical",
                "159720704d9d (drm/drm_exec: fix up contended obj when num_objects is 0)",
                "drm_exec_prepare_array with zero objects returns 0 without locking the contended \
                 object, so drm_exec_retry_on_contention restarts the loop forever",
                &["exec-empty-array"],
                ALL_ENGINES,
                Property::Livelock,
            ),
            ExecPrelockedListed => (
                "exec-prelocked-listed",
                "historical",
                "B10: \"drm/exec: don't immediately add the prelocked obj\" (Christian Koenig, 2024; \
                 mainline drm_exec.c at 1fc5a74b still lists it)",
                "drm_exec_lock_contended records the slow-locked object in objects[] at once, so a \
                 retry that no longer asks for it keeps it locked and listed",
                &["exec-evict-set"],
                ALL_ENGINES,
                Property::ExecLockSet,
            ),
            ExecPrelockedDoubleUnlock => (
                "exec-prelocked-double-unlock",
                "historical",
                "drm_exec v3 review (Feb 2023): merged code only drops the prelocked reference",
                "the prelocked object is both in objects[] and in prelocked and drm_exec_unlock_all \
                 unlocks both: bad unlock balance when a retry ends before it is re-requested",
                &["exec-evict-giveup"],
                ALL_ENGINES,
                Property::UnlockNotOwner,
            ),
            StateNoMb => (
                "state-no-mb",
                "mutation",
                "none (set_current_state() has always been smp_store_mb())",
                "set_current_state without its full barrier: the Wait-Die waiter's check_kill can \
                 miss ww->ctx published by a fast-path holder that missed WAITERS (loom only)",
                &["ring2-wd"],
                LOOM_ONLY,
                Property::Deadlock,
            ),
            KillWithoutLocks => (
                "kill-without-locks",
                "mutation",
                "none (the acquired > 0 guard of __ww_mutex_kill dates from 040a0a371005)",
                "__ww_mutex_kill returns -EDEADLK even when the context holds no lock",
                &["contend3-wd"],
                ALL_ENGINES,
                Property::EdeadlkWithoutLocks,
            ),
            StampNoWrap => (
                "stamp-no-wrap",
                "mutation",
                "none (__ww_ctx_less uses the wrapping signed difference)",
                "__ww_ctx_less compares raw stamps; once the class stamp wraps, the oldest context \
                 looks youngest and is killed or wounded",
                &["abba-wrap-wd", "abba-wrap-ww"],
                ALL_ENGINES,
                Property::OldestKilled,
            ),
            EalreadyAnyCtx => (
                "ealready-any-ctx",
                "mutation",
                "none (the -EALREADY test compares ww->ctx with our own ctx)",
                "the slow path returns -EALREADY whenever the lock has a holder context",
                &["abba-wd"],
                ALL_ENGINES,
                Property::EalreadyMisuse,
            ),
            BulkPredicate => (
                "bulk-predicate",
                "historical",
                "B14: \"drm/ttm: don't leave bulk_move cursor dangling for unevictable resources\" (2026-06, fixes fc5d96670eb2): record bulk membership per resource",
                "v6.13 swapout moves a swapped resource to bdev->unevictable without taking it out of its \
                 bulk range, and membership is recomputed from bo->bulk_move && !ttm_resource_unevictable(): \
                 del_bulk_move becomes a no-op and pos->first/last keep pointing at it",
                &["ttm-swapout-bulk"],
                ALL_ENGINES,
                Property::LruStructure,
            ),
            SwapoutBulkRet => (
                "swapout-bulk-ret",
                "historical",
                "3db7d7d58341 + fcfe64715b42 (drm/ttm: apply the swapout bulk_move fix to the intended condition, 2026-09)",
                "the 2026 swapout fix takes the resource out of its bulk only `if (!ret)`, but ttm_tt_swapout \
                 returns a page count: a swapped resource stays in the range while membership is recomputed \
                 from the mutable predicate (spec ttm_lru.md §10.7)",
                &["ttm-swapout-bulk"],
                ALL_ENGINES,
                Property::LruStructure,
            ),
            BulkFirstNotAdvanced => (
                "bulk-first-not-advanced",
                "historical",
                "4481913607e5 (drm/ttm: fix bulk_move corruption when adding a entry; CVE-2023-53444)",
                "ttm_lru_bulk_move_pos_tail moves the range's first entry behind last without advancing \
                 pos->first: the range no longer describes the list",
                &["ttm-bulk-bump"],
                ALL_ENGINES,
                Property::LruStructure,
            ),
            BulkAddPinned => (
                "bulk-add-pinned",
                "historical",
                "0f9cd1ea10d3 (drm/ttm: fix bulk move handling v2)",
                "ttm_resource_add_bulk_move does not skip pinned resources: a pinned BO joining a VM puts \
                 its resource (on bdev->unevictable) into the bulk range",
                &["ttm-vm-pin"],
                ALL_ENGINES,
                Property::LruStructure,
            ),
            GhostKeepsBulk => (
                "ghost-keeps-bulk",
                "historical",
                "d91c411c744b (drm/ttm: update bulk move object of ghost BO)",
                "ttm_buffer_object_transfer copies bo->bulk_move into the ghost and never clears it: the \
                 ghost is released while its resource is still in the bulk range",
                &["ttm-ghost"],
                ALL_ENGINES,
                Property::LruStructure,
            ),
            PinnedOnLru => (
                "pinned-on-lru",
                "historical",
                "a2848d08742c (drm/ttm: never consider pinned BOs for eviction&swap)",
                "ttm_bo_pin leaves the resource on its evictable LRU until the next bump (before \
                 \"Move pinned objects off LRU lists when pinning\") and the eviction and swapout \
                 callbacks do not check pin_count: a BO pinned and unlocked with dma_resv_unlock is evicted",
                &["ttm-evict-pin"],
                ALL_ENGINES,
                Property::EvictionSafety,
            ),
            HitchCarried => (
                "hitch-carried",
                "historical",
                "\"drm/ttm, drm/amdgpu, drm/xe: Consider hitch moves within bulk sublist moves\" (v6.11)",
                "ttm_lru_bulk_move_tail moves a walker's hitch along with the bulk range it sits in: the \
                 walk resumes at the list tail and skips everything behind the old range",
                &["ttm-walk-bulk-bump"],
                ALL_ENGINES,
                Property::WalkSkip,
            ),
            EvictFirstNoRecheck => (
                "evict-first-no-recheck",
                "historical",
                "9c51ba1db37c (drm/ttm: Fix potential ttm_mem_evict_first races) and 7120a447c7fe",
                "ttm_bo_evict_first evicts whatever the BO holds after the blocking reserve, without \
                 re-checking that it is still the resource it picked from this manager",
                &["ttm-evict-all-race"],
                ALL_ENGINES,
                Property::EvictionSafety,
            ),
            WalkerKrefGet => (
                "walker-kref-get",
                "historical",
                "1df6a2ebd750 (drm/ttm: Fix two race conditions + fix busy codepaths); ttm_bo_get_unless_zero",
                "the LRU walker references a BO found on the LRU with kref_get although its release may \
                 already be running (kref 0)",
                &["ttm-walk-release"],
                ALL_ENGINES,
                Property::UseAfterFree,
            ),
            EalreadyAbort => (
                "ealready-abort",
                "historical",
                "bb8aa27eff6f v2 (\"Fix Handling -EALREADY from ticketlocking in the loop by skipping to the next item\")",
                "a BO already locked by the evictor's own ticket makes the ticketed walk end with \
                 -EALREADY instead of skipping it: exhaustive eviction gives up with memory evictable",
                &["ttm-evict-ticket"],
                ALL_ENGINES,
                Property::EvictionExhaustive,
            ),
            NextMissingReturn => (
                "next-missing-return",
                "historical",
                "\"drm/ttm: Slightly clean up LRU list iteration\" (msgid 20240705153206.68526-3)",
                "in \"Allow TTM LRU list nodes of different types\" ttm_resource_manager_next computed the \
                 first resource of a later priority list and discarded it: lower priorities are never walked",
                &["ttm-walk-priorities"],
                ALL_ENGINES,
                Property::WalkSkip,
            ),
            ShrinkerFirstPassWaits => (
                "shrinker-first-pass-waits",
                "historical",
                "80944d334182 (drm/xe: Defer buffer object shrinker write-backs and GPU waits)",
                "the Xe shrinker allows GPU waits and writeback on its only pass: kswapd stalls on a busy \
                 BO although idle BOs would have met the target",
                &["ttm-shrink-kswapd"],
                ALL_ENGINES,
                Property::ReclaimStall,
            ),
            BackupNotData => (
                "backup-not-data",
                "historical",
                "379b3c983fc0 (drm/xe: Fix incorrect migration of backed-up object to VRAM)",
                "a move decides tt_has_data from POPULATED or the old SWAPPED flag only: a BO backed up by \
                 the shrinker is cleared instead of restored when validated into VRAM",
                &["ttm-shrink-revalidate"],
                ALL_ENGINES,
                Property::DataLoss,
            ),
            UnpinSoleMember => (
                "unpin-sole-member",
                "finding",
                "none yet (mainline behaviour, docs/findings.md): ttm_lru_bulk_move_add should put the first entry of an empty range on the range's list",
                "ttm_bo_unpin on the only member of a bulk range: ttm_lru_bulk_move_add makes it \
                 pos->first/last without a list move and move_to_lru_tail is a no-op for last, so the \
                 resource stays on bdev->unevictable, invisible to eviction, until the next bulk bump",
                &["ttm-unpin-sole-member"],
                ALL_ENGINES,
                Property::LruStructure,
            ),
            BulkLeaveCursor => (
                "bulk-leave-cursor",
                "finding",
                "none yet (mainline behaviour, docs/findings.md; spec ttm_lru.md §4.3): \
                 ttm_resource_cursor_move_bulk_tail should move a registered cursor's hitch only \
                 when it lies inside the range, and otherwise just deregister the cursor",
                "a walker yields the first BO of a VM's bulk range and registers with the bulk; \
                 after it unlocks the VM resv, that BO and the next leave the VM \
                 (ttm_bo_set_bulk_move(bo, NULL) only advances pos->first) and the VM submits: \
                 ttm_bulk_move_adjust_cursors parks the hitch behind pos->last although it lies \
                 outside the range, and the BO that left without moving is never visited",
                &["ttm-bulk-leave-walk"],
                ALL_ENGINES,
                Property::WalkSkip,
            ),
            GemLruReleaseRace => (
                "gem-lru-release-race",
                "historical",
                "\"drm/gem: Fix a race between drm_gem_lru_scan() and drm_gem_object_release()\" \
                 (Boris Brezillon, May 2026, Fixes e7c2af13f811): only move objects whose reference \
                 was obtained onto still_in_lru; remove dying ones from the LRU",
                "drm_gem_lru_scan moves a dying object (refcount 0) onto its on-stack still_in_lru \
                 and drops the lock to shrink the next object; drm_gem_object_release reads \
                 obj->lru (the stack list), the scan splices and returns, and drm_gem_lru_remove \
                 dereferences the dead stack list (svm_shrinker.md §8.5, §9)",
                &["design-gem-lru-scan-release"],
                SHUTTLE_ONLY,
                Property::UseAfterFree,
            ),
            FaultNoRef => (
                "fault-no-ref",
                "historical",
                "16ce101db85d (mm/memory.c: fix race when faulting a device private page; CVE-2022-3523, v6.1)",
                "do_swap_page drops the PTL and calls migrate_to_ram holding no reference on the \
                 device page: a concurrent eviction migrates and frees it (page_free, zdd released) \
                 before migrate_to_ram reads page->zone_device_data",
                &["svm-fault-evict-1", "svm-fault-evict"],
                PCT_LOOM,
                Property::UseAfterFree,
            ),
            FaultRefNoTrylock => (
                "fault-ref-no-trylock",
                "historical",
                "B28: 1afaeb8293c9 (mm/migrate: Trylock device page in do_swap_page, v6.15)",
                "every faulting CPU takes get_page on the device page and runs migrate_to_ram without \
                 the page lock: each migration's exact reference check in folio_migrate_mapping sees \
                 the other faulters' references and aborts, and the faults retry (livelock)",
                &["svm-cpu-fault-2", "svm-cpu-fault-3"],
                ALL_ENGINES,
                Property::Livelock,
            ),
            FaultTrylockSpin => (
                "fault-trylock-spin",
                "historical",
                "B29: b570f37a2ce4 (mm: Fix a hmm_range_fault() livelock / starvation problem, v7.0-rc3; CVE-2026-43404)",
                "a failed device-folio trylock in do_swap_page returns 0 and hmm_range_fault retries \
                 at once without sleeping: on a non-preemptible CPU the lru_add_drain_all work the \
                 lock holder waits for never runs (livelock)",
                &["svm-drain-starve"],
                ALL_ENGINES,
                Property::Livelock,
            ),
            ReuseBeforePageFree => (
                "reuse-before-page-free",
                "historical",
                "T4 (Oct 2025): \"drm/amdkfd: Fix svm_bo and vram page refcount\" (Philip Yang; Jason Gunthorpe: VRAM may only be reused after page_free)",
                "the driver returns an allocation's VRAM when its migration to RAM returns, while the \
                 CPU fault still holds its do_swap_page reference: a GPU fault reuses the page and \
                 zone_device_page_init resets its refcount; the fault's put_page then frees the new page",
                &["svm-reuse"],
                PCT_LOOM,
                Property::DevicePageReinit,
            ),
            NoTimeslice => (
                "no-timeslice",
                "historical",
                "df8c37810b5a + 1b36ea2fc687 + 794f5493f518 + 7bd68ce21d39 (GPU SVM timeslicing, strict atomic migration, devmem_only; v6.15-rc7)",
                "migrate_to_ram honours a CPU fault right after a migration to VRAM: CPU and GPU atomics \
                 on one page ping-pong it and the devmem_only GPU fault fails after its 3 attempts",
                &["svm-atomic-pingpong"],
                ALL_ENGINES,
                Property::Livelock,
            ),
            EvictSignalEarly => (
                "evict-signal-early",
                "historical",
                "AMD eviction worker retry fixes (2021-23, Felix Kuehling / Philip Yang): keep svm_bo unless fully migrated; drm_pagemap: success = completion_done(&devmem->detached)",
                "eviction reports success when its pass migrated every page it could lock, although a \
                 page locked by a CPU fault stays in VRAM: the caller frees VRAM that is still mapped",
                &["svm-fault-evict-1", "svm-fault-evict", "svm-ttm-evict"],
                ALL_ENGINES,
                Property::SvmEviction,
            ),
            LenientCommit => (
                "lenient-commit",
                "mutation",
                "none (folio_migrate_mapping has always required refcount == 1 + extra for anon folios)",
                "migrate_vma_pages commits with the unmap-time check, which tolerates one more \
                 reference on zone-device pages: a page is migrated under a reference someone else holds",
                &["svm-fault-evict"],
                ALL_ENGINES,
                Property::MigrateRefcount,
            ),
            UnlockBeforeRemap => (
                "unlock-before-remap",
                "mutation",
                "none (migrate_vma_finalize unlocks after remove_migration_ptes)",
                "finalize unlocks the source folio before replacing its migration entries",
                &["svm-fault-evict-1"],
                ALL_ENGINES,
                Property::PageLock,
            ),
            ZddPutMissing => (
                "zdd-put-missing",
                "mutation",
                "none (drm_pagemap_page_free has always put the zdd)",
                "page_free does not drop the page's zdd reference: devmem_release never runs and the \
                 allocation's VRAM leaks",
                &["svm-cpu-fault-2"],
                ALL_ENGINES,
                Property::ZddRefcount,
            ),
            CopyBeforeUnmap => (
                "copy-before-unmap",
                "mutation",
                "none (drivers copy after migrate_vma_setup, when the source is locked and unmapped)",
                "migrate_to_devmem's copy reads the source before migrate_vma_setup unmapped it: a CPU \
                 store in between is lost",
                &["svm-gpu-cpu"],
                ALL_ENGINES,
                Property::DataLoss,
            ),
            VmResvGated => (
                "vm-resv-gated-migration",
                "design",
                "rejected in the 2024 dri-devel discussion (T1, Sima 29 Aug / 3 Sep): mainline uses core-mm page locks only",
                "SVM migration gated by the VM's shared dma_resv: the GPU fault handler holds it while \
                 range eviction sleeps on a page lock, and migrate_to_ram takes it with the fault page \
                 locked: page lock -> resv against resv -> page lock",
                &["svm-design-vm-resv"],
                ALL_ENGINES,
                Property::Deadlock,
            ),
            GpusvmEvictMmLeak => (
                "gpusvm-evict-mm-leak",
                "historical",
                "847b371debf3 \"drm/gpusvm: Fix MM reference leak in drm_gpusvm_range_evict\" \
                 (Matthew Brost, July 2026, Fixes 99624bdff867, Cc stable)",
                "drm_gpusvm_range_evict returns -ENOMEM when kvmalloc_array fails without the \
                 mmput for its mmget_not_zero: the mm_struct is never freed (reachable only \
                 through the error path: engine shuttle-inject = shuttle with --inject 1)",
                &["svm-design-vm-resv"],
                &["shuttle-inject"],
                Property::Expectation,
            ),
            XeDevmemReleaseOnError => (
                "xe-devmem-release-on-error",
                "mutation",
                "none (the patch that made drm_pagemap_migrate_to_devmem consume the devmem \
                 allocation dropped xe's `if (err) xe_svm_devmem_release(...)` in the same change)",
                "xe_drm_pagemap_populate_mm releases the devmem allocation after a failed \
                 drm_pagemap_migrate_to_devmem, whose zdd already released it: the second \
                 devmem_release runs on freed memory (reachable only through the error path: \
                 engine shuttle-inject)",
                &["svm-gpu-cpu"],
                &["shuttle-inject"],
                Property::UseAfterFree,
            ),
        };
        let area = if self == Variant::VmResvGated {
            "design"
        } else if (self as u32) >= (Variant::FaultNoRef as u32) {
            "svm"
        } else if (self as u32) >= (Variant::BulkPredicate as u32) {
            "ttm"
        } else {
            "ww"
        };
        VariantInfo {
            name,
            area,
            kind,
            kernel_fix,
            description,
            scenarios,
            engines,
            property,
        }
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

impl VariantSet {
    pub const NONE: VariantSet = VariantSet(0);

    pub fn of(v: Variant) -> Self {
        VariantSet(v.bit())
    }

    pub fn with(self, v: Variant) -> Self {
        VariantSet(self.0 | v.bit())
    }

    #[inline]
    pub fn has(self, v: Variant) -> bool {
        self.0 & v.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Variant> {
        Variant::ALL.into_iter().filter(move |v| self.has(*v))
    }
}
