//! WARN and continue on the LRU (docs/findings.md §3): the unpin-sole-member WARN is
//! reported first, and the execution goes on to what it leads to on the kernel: a
//! walker's hitch stranded on `bdev->unevictable` and a `ttm_resource_manager_next` that
//! never returns (`livelock`, a hard lockup under `lru_lock`).

use super::run;
use ttm_model::engine::EngineKind;
use ttm_model::model::{Property, Variant, VariantSet};

/// Mainline: the unpin-sole-member WARN plus mainline's unconditional hitch move in
/// `ttm_resource_cursor_move_bulk_tail` (the model's fixed version is variant-gated).
fn mainline() -> VariantSet {
    VariantSet::of(Variant::UnpinSoleMember).with(Variant::BulkLeaveCursor)
}

const SCENARIOS: [&str; 2] = [
    "ttm-unpin-sole-member-walk",
    "ttm-populate-sole-member-walk",
];

/// Both triggers, both schedulers: the first WARN is `lru-structure` (B2: the range is not
/// on its list) and its consequence is the endless `ttm_resource_manager_next`.
#[test]
fn sole_member_warn_leads_to_endless_walk() {
    for name in SCENARIOS {
        for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
            let o = run(name, engine, mainline(), 3, 2_000);
            let f = o
                .found
                .unwrap_or_else(|| panic!("{name} ({}): nothing found", engine.name()));
            assert_eq!(
                f.failure.property,
                Property::LruStructure,
                "{name}: first WARN: {}",
                f.failure
            );
            assert!(
                f.failure.message.contains("B2") && f.failure.message.contains("bdev->unevictable"),
                "{name}: {}",
                f.failure
            );
            let c = f
                .consequence
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: the WARN led to nothing: {}", f.failure));
            assert_eq!(c.property, Property::Livelock, "{name}: {c}");
            assert!(
                c.message.contains("ttm_resource_manager_next")
                    && c.message.contains("bdev->unevictable"),
                "{name}: {c}"
            );
            assert!(f.has(Property::Livelock));
        }
    }
}

/// With another resource on `bdev->unevictable` (a pinned BO), the walk from the stranded
/// hitch does not spin inside one call: it yields that resource over and over, which the
/// bounded-revisit check reports (`walk-progress`), again as the WARN's consequence.
#[test]
fn sole_member_warn_with_pinned_bo_is_an_endless_walk() {
    let name = "ttm-unpin-sole-member-walk-pinned";
    let o = run(name, EngineKind::Shuttle, mainline(), 3, 2_000);
    let f = o.found.unwrap_or_else(|| panic!("{name}: nothing found"));
    assert_eq!(f.failure.property, Property::LruStructure, "{}", f.failure);
    let c = f.consequence.as_ref().expect("a consequence");
    assert_eq!(c.property, Property::WalkProgress, "{c}");
    assert!(c.message.contains("P VRAM"), "{c}");
    let o = run(
        name,
        EngineKind::Shuttle,
        ttm_model::model::variants::FINDING_FIXES,
        5,
        2_000,
    );
    assert!(
        o.found.is_none(),
        "{name} fixed: {:?}",
        o.found.map(|f| f.failure)
    );
}

/// The WARN alone (the model's cursor-move fix keeps the hitch on the LRU): reported as
/// the WARN, with no consequence.
#[test]
fn sole_member_warn_alone_is_reported_at_the_end() {
    for name in SCENARIOS {
        let o = run(
            name,
            EngineKind::Shuttle,
            VariantSet::of(Variant::BulkCursorInRange),
            3,
            2_000,
        );
        let f = o.found.unwrap_or_else(|| panic!("{name}: nothing found"));
        assert_eq!(f.failure.property, Property::LruStructure, "{}", f.failure);
        assert!(f.consequence.is_none(), "{name}: {:?}", f.consequence);
    }
}

/// Fixed model (and mainline's cursor move alone, whose walk-skip needs another shape):
/// clean.
#[test]
fn sole_member_walks_fixed_are_clean() {
    for name in SCENARIOS {
        for engine in [EngineKind::Shuttle, EngineKind::ShuttlePct { depth: 3 }] {
            let o = run(
                name,
                engine,
                ttm_model::model::variants::FINDING_FIXES,
                5,
                2_000,
            );
            if let Some(f) = &o.found {
                panic!("{name}: {}\n{}", f.failure, f.trace.join("\n"));
            }
        }
    }
}

/// `ttm_bo_unpin`'s `WARN_ON_ONCE(!bo->pin_count)` is a WARN: the execution goes on (the
/// scenario's end checks run) and the WARN is what it reports.
#[test]
fn unbalanced_unpin_warns_and_continues() {
    let name = "broken-client-ttm-unbalanced-unpin";
    let o = run(name, EngineKind::Shuttle, VariantSet::NONE, 1, 50);
    let f = o.found.unwrap_or_else(|| panic!("{name}: nothing found"));
    assert_eq!(f.failure.property, Property::LruStructure, "{}", f.failure);
    assert!(
        f.failure.message.contains("WARN_ON_ONCE(!bo->pin_count)"),
        "{}",
        f.failure
    );
    assert!(f.consequence.is_none(), "{:?}", f.consequence);
    assert!(
        f.trace
            .iter()
            .any(|l| l.contains("ww_mutex_unlock(vm.resv)")),
        "the execution went on after the WARN:\n{}",
        f.trace.join("\n")
    );
}
