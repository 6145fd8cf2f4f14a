//! Known findings: properties the baseline (mainline) breaks, each in its own scenario.
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
}

/// The known findings of the baseline.
pub const KNOWN: &[KnownFinding] = &[KnownFinding {
    scenario: "finding-stale-wound-ww",
    property: Property::OldestKilled,
    doc: "docs/findings.md (Wound-Wait: a stale wound kills the oldest context)",
    reproduces_within: 500_000,
}];

/// The known finding of a scenario run on the baseline, if it has one.
pub fn known(scenario: &str) -> Option<&'static KnownFinding> {
    KNOWN.iter().find(|k| k.scenario == scenario)
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
