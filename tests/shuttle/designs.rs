//! The 2024 shrinker-API debate (docs/DESIGNS.md): which properties each design violates
//! on the same workloads, and that the others stay clean.

use super::*;
use ttm_model::scenario::designs::expected_violation;
use ttm_model::walker::designs::ShrinkDesign;

const SHAPES: [&str; 3] = ["busy-head", "all-fail", "hammer-4"];

/// The next-candidate API hands the same failing BO back again and again (walk-progress)
/// on every shape; the callback walker, the guarded iterator (mainline) and
/// drm_gem_lru_scan (fixed) stay clean on the same shapes.
#[test]
fn designs_violate_what_docs_designs_md_claims() {
    for d in ShrinkDesign::ALL {
        for shape in SHAPES {
            let name = format!("design-{}-{shape}", d.name());
            match expected_violation(&name) {
                Some(p) => {
                    let o = run(&name, EngineKind::Shuttle, VariantSet::NONE, 1, 20_000);
                    let f = o
                        .found
                        .unwrap_or_else(|| panic!("{name}: no {p} in {} executions", o.executions));
                    assert_eq!(f.failure.property, p, "{name}: {}", f.failure);
                }
                None => assert_clean(&name, EngineKind::Shuttle, 3_000),
            }
        }
    }
    assert_clean("design-gem-lru-scan-release", EngineKind::Shuttle, 3_000);
}

/// Only the next-candidate design is expected to violate a property by design.
#[test]
fn only_next_candidate_violates_by_design() {
    for s in scenario::all().into_iter().filter(|s| s.area == "design") {
        let expected = expected_violation(&s.name).is_some();
        assert_eq!(
            expected,
            s.name.starts_with("design-next-candidate-"),
            "{}",
            s.name
        );
    }
}

/// The drm_gem_lru release race (pre-379e8f1ca5e9): found as use-after-free with the
/// variant, clean without (since 7.1 drm_gem_lru_remove reads obj->lru only under
/// dev->gem_lru_mutex, after the scan has spliced its on-stack still_in_lru back).
#[test]
fn gem_lru_scan_release_race_is_a_use_after_free() {
    let o = run(
        "design-gem-lru-scan-release",
        EngineKind::Shuttle,
        VariantSet::of(Variant::GemLruReleaseRace),
        1,
        100_000,
    );
    assert_eq!(
        o.found.map(|f| f.failure.property),
        Some(Property::UseAfterFree)
    );
}

/// Termination when every BO keeps failing: with the design-level revisit check off, every
/// design (next-candidate included) finishes every execution without `livelock` or
/// `step-limit` — do_shrink_slab's total_scan bounds the next-candidate calls.
#[test]
fn every_design_terminates_when_every_bo_keeps_failing() {
    for d in ShrinkDesign::ALL {
        let sc = ttm_model::scenario::designs::all_fail_with(d, false);
        let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
        cfg.seed = 3;
        cfg.max_executions = Some(2_000);
        cfg.budget = Duration::from_secs(60);
        let o = explore(&sc, &cfg);
        if let Some(f) = o.found {
            panic!("{}: {}", sc.name, f.failure);
        }
    }
}
