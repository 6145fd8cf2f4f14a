//! Known findings: properties the modelled code breaks — the baseline (mainline), or the
//! alternative design a `design-*` scenario models — each in its own scenario.
//! The default hunt reports a reproduced known finding as expected (summary and
//! `--json` `known_findings`, exit status unchanged); a known finding that no longer
//! reproduces is news (fixed upstream, or a model change), reported with exit status 1.

use crate::model::property::Property;

/// A property the baseline breaks in `scenario`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownFinding {
    pub scenario: &'static str,
    pub property: Property,
    /// Where it is written up.
    pub doc: &'static str,
    /// Executions within which the random scheduler reliably reproduces it (a sampled
    /// hunt that explored fewer says "not reproduced within the budget", not "gone").
    pub reproduces_within: usize,
    /// Reachable only through an injected failure: no expectation without `--inject`.
    pub needs_inject: bool,
}

/// The known findings of the baseline.
pub const KNOWN: &[KnownFinding] = &[
    KnownFinding {
        scenario: "exec-evict-set",
        property: Property::ExecLockSet,
        doc: "docs/findings.md §8 (drm_exec lists the slow-locked object at once; proposal exec-prelocked-deferred = the unmerged B10 patch)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "finding-stale-wound-ww",
        property: Property::OldestKilled,
        doc: "docs/findings.md (Wound-Wait: a stale wound kills the oldest context)",
        reproduces_within: 500_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "ttm-unpin-sole-member",
        property: Property::LruStructure,
        doc: "docs/findings.md §3 (unpinning the only member of a bulk range leaves it on bdev->unevictable; proposal unpin-sole-member-readd)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "ttm-unpin-sole-member-walk",
        property: Property::LruStructure,
        doc: "docs/findings.md §3.1 (the sole-member WARN, then an endless ttm_resource_manager_next)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "ttm-unpin-sole-member-walk-pinned",
        property: Property::LruStructure,
        doc: "docs/findings.md §3.1 (the sole-member WARN, then a walk that revisits a pinned BO forever)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "ttm-populate-sole-member-walk",
        property: Property::LruStructure,
        doc: "docs/findings.md §3.1 (the second trigger: ttm_bo_populate re-adds the sole member in place)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "ttm-bulk-leave-walk",
        property: Property::WalkSkip,
        doc: "docs/findings.md §4 (a bulk range's end moving in place strands a registered hitch; proposal bulk-cursor-in-range)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "svm-amd-evict-fault",
        property: Property::SvmEviction,
        doc: "docs/findings.md §9 (the AMD eviction worker signals the eviction fence with device pages live: the kernel's WARN_ONCE \"This was not the last reference\"; proposal amd-evict-busy-if-live)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
    KnownFinding {
        scenario: "svm-amd-evict-signal-live",
        property: Property::DevicePageReinit,
        doc: "docs/findings.md §9 (TTM frees the AMD SVM BO's VRAM under a live device page; the next svm_bo re-initialises it; proposal amd-evict-busy-if-live)",
        reproduces_within: 10_000,
        needs_inject: false,
    },
];

/// Properties that also witness a scenario's known finding: the same interleaving breaks
/// either, depending on where an injected failure cuts it short.
/// `svm-amd-evict-signal-live`: the worker's WARN_ONCE (`svm-eviction`) and then the
/// re-initialised page (`device-page-reinit`); a failure injected into the worker's pass
/// silences the WARN (`!r`), one injected into the new allocation before its
/// `zone_device_page_init` leaves the WARN alone.
const ALSO: &[(&str, Property)] = &[("svm-amd-evict-signal-live", Property::SvmEviction)];

impl KnownFinding {
    /// Does a failure whose properties `has` reports witness this finding?
    pub fn breaks(&self, has: impl Fn(Property) -> bool) -> bool {
        has(self.property) || ALSO.iter().any(|(s, p)| *s == self.scenario && has(*p))
    }
}

/// The known finding of a scenario run on the unmodified model with `inject` injected
/// failures per execution, if it has one.
pub fn known(scenario: &str, inject: u32) -> Option<&'static KnownFinding> {
    known_in(KNOWN, scenario, inject)
}

/// [`known`] over any table: a finding that needs an injected failure is expected only
/// when the run injects.
fn known_in<'a>(
    table: &'a [KnownFinding],
    scenario: &str,
    inject: u32,
) -> Option<&'a KnownFinding> {
    table
        .iter()
        .find(|k| k.scenario == scenario && (inject > 0 || !k.needs_inject))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No finding of the baseline needs an injected failure today; the rule is kept for
    /// error-path findings (docs/findings.md §6 was one until it was withdrawn).
    #[test]
    fn a_finding_behind_an_error_path_is_expected_only_with_injection() {
        let table = [KnownFinding {
            scenario: "s",
            property: Property::PageLedger,
            doc: "",
            reproduces_within: 1,
            needs_inject: true,
        }];
        assert!(known_in(&table, "s", 1).is_some());
        assert!(
            known_in(&table, "s", 0).is_none(),
            "without injection it is news"
        );
        assert!(known_in(&table, "t", 1).is_none());
    }
    #[test]
    fn every_known_finding_names_a_registered_scenario() {
        for k in super::KNOWN {
            assert!(
                crate::scenario::find(k.scenario).is_some(),
                "{}",
                k.scenario
            );
        }
    }
}
