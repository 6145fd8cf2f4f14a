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
    /// The engine's own step bound was hit (last resort; a bounded-progress check should
    /// have fired first).
    StepLimit,
    /// The model itself panicked unexpectedly (a bug of ours).
    ModelPanic,
}

impl Property {
    pub const ALL: [Property; 14] = [
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
