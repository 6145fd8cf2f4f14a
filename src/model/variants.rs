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

impl Variant {
    pub const ALL: [Variant; 12] = [
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
        };
        VariantInfo {
            name,
            area: "ww",
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
