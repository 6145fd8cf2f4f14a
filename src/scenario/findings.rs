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
        scenario: "design-gem-lru-scan-release",
        property: Property::UseAfterFree,
        doc: "docs/findings.md §7 (drm_gem_lru_scan: a failed shrink leaves the object on the on-stack still_in_lru)",
        reproduces_within: 1_000_000,
        needs_inject: true,
    },
];

/// The known finding of a scenario run on the unmodified model with `inject` injected
/// failures per execution, if it has one.
pub fn known(scenario: &str, inject: u32) -> Option<&'static KnownFinding> {
    KNOWN
        .iter()
        .find(|k| k.scenario == scenario && (inject > 0 || !k.needs_inject))
}

#[cfg(test)]
mod tests {
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
