use crate::model::property::Property;
use crate::model::variants::Variant;
use crate::scenario::file::parse;
use std::path::Path;

use crate::scenario::file::rejected as err;

/// `t.toml:line:column` of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str) -> String {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the text"));
    let before = &text[..i];
    let line = before.matches('\n').count() + 1;
    let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    format!("t.toml:{line}:{col}: ")
}

const GOOD: &str = r#"
name = "t"
area = "svm"
[options]
timeslice = 4
[[object]]
kind = "mm"
vas = 4
[[object]]
kind = "device"
vram_pages = 3
ttm_vram = 2
[[object]]
kind = "device"
name = "gpu1"
vram_pages = 3
[[object]]
kind = "devmem"
name = "D"
va = "va0..va1"
bo = true
[[object]]
kind = "devmem"
name = "E"
device = "gpu1"
va = "va2"
held = true
[[object]]
kind = "alias"
from = "va2"
to = "va3"
[[object]]
kind = "system_bo"
name = "sysbo"
[[object]]
kind = "xe_shrinker"
name = "xe"
[[object]]
kind = "completion"
name = "c"
[[actor]]
name = "cpu"
ops = ["cpu_access va0 store", "cpu_access va3 load", "complete c", "yield"]
[[actor]]
name = "gpu"
ops = ["wait_for_completion c", "xe_svm_handle_pagefault gpu0 va0..va1 va1 atomic", "hmm_range_fault va2..va3"]
[[actor]]
name = "ttm"
ops = ["ttm_bo_evict D", "drm_pagemap_evict_to_ram E", "devmem_put E", "shrink_slab kswapd xe", "drm_pagemap_migrate_to_devmem gpu0 va2 peer=gpu1", "fail kvmalloc_array ENOMEM"]
[[expect.variant]]
name = "fault-no-ref"
property = "use-after-free"
"#;

#[test]
fn a_good_file_compiles() {
    let f = parse(Path::new("t.toml"), GOOD).unwrap();
    assert_eq!(f.scenario.name, "t");
    assert_eq!(f.scenario.area, "svm");
    assert_eq!(f.scenario.tasks, 4);
    assert!(f.fixed_passes);
    assert_eq!(
        f.variants,
        vec![(Variant::FaultNoRef, Property::UseAfterFree)]
    );
}

const AMD: &str = r#"
area = "svm"
[options]
driver = "amd"
preempt = "voluntary"
[[object]]
kind = "mm"
vas = 1
[[object]]
kind = "device"
vram_pages = 2
[[object]]
kind = "devmem"
name = "D"
va = "va0"
held = true
[[object]]
kind = "completion"
name = "locked"
[[actor]]
name = "gpu"
ops = ["mutex_lock migrate_mutex", "complete locked", "wait_until_blocked", "mutex_unlock migrate_mutex"]
[[actor]]
name = "cpu"
ops = ["wait_for_completion locked", "cpu_access va0 store"]
[[actor]]
name = "evict"
ops = ["mutex_lock svms.lock", "ttm_bo_evict D", "devmem_put D", "mutex_unlock svms.lock"]
"#;

#[test]
fn the_amd_policy_has_its_mutexes() {
    let f = parse(Path::new("dir/amd.toml"), AMD).unwrap();
    assert_eq!(f.scenario.name, "amd");
    assert_eq!(f.scenario.tasks, 4);
    let e = err(&AMD.replace("driver = \"amd\"", "driver = \"xe\""));
    assert!(
        e.starts_with(&at(AMD, "\"mutex_lock migrate_mutex\"")) && e.contains("AMD KFD operation"),
        "{e}"
    );
    let e = err(&AMD.replace(", \"mutex_unlock migrate_mutex\"", ""));
    assert!(e.contains("gpu ends holding migrate_mutex"), "{e}");
    let e = err(&AMD.replace("\"mutex_lock svms.lock\", ", ""));
    assert!(
        e.starts_with(&at(
            &AMD.replace("\"mutex_lock svms.lock\", ", ""),
            "\"mutex_unlock svms.lock\""
        )) && e.contains("releases svms.lock without holding it"),
        "{e}"
    );
    let twice = AMD.replace("\"devmem_put D\"", "\"devmem_put D\", \"devmem_put D\"");
    let e = err(&twice);
    assert!(
        e.starts_with(&at(&twice, "\"devmem_put D\", \"mutex_unlock"))
            && e.contains("dropped twice"),
        "{e}"
    );
    let e = err(&AMD.replace(
        "\"cpu_access va0 store\"",
        "\"xe_svm_handle_pagefault gpu0 va0 va0\"",
    ));
    assert!(
        e.contains("the Xe GPU fault handler under driver = \"amd\""),
        "{e}"
    );
}

#[test]
fn unknown_operations_list_the_area() {
    let e = err(&GOOD.replace("\"yield\"", "\"msleep 10\""));
    assert!(
        e.starts_with(&at(GOOD, "\"yield\""))
            && e.contains("unknown operation 'msleep' in area svm: expected one of cpu_access, xe_svm_handle_pagefault, hmm_range_fault")
            && e.contains("wait_until_blocked, yield, complete, wait_for_completion, fail"),
        "{e}"
    );
}

#[test]
fn bad_operands_are_located() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "\"cpu_access va0 store\"",
            "\"cpu_access va4 store\"",
            "the mm has 4 virtual page(s)",
        ),
        (
            "\"cpu_access va0 store\"",
            "\"cpu_access va0 write\"",
            "expected load or store",
        ),
        (
            "\"cpu_access va0 store\"",
            "\"cpu_access va0\"",
            "takes 2 operand(s), got 1",
        ),
        (
            "va0..va1 va1 atomic",
            "va0..va1 va2 atomic",
            "outside the range",
        ),
        (
            "va0..va1 va1 atomic",
            "va0..va1 va1 strict",
            "unknown flag 'strict'",
        ),
        (
            "va0..va1 va1 atomic",
            "va1..va0 va1",
            "ends before it starts",
        ),
        (
            "\"ttm_bo_evict D\"",
            "\"ttm_bo_evict E\"",
            "'E' is not an SVM BO",
        ),
        (
            "\"ttm_bo_evict D\"",
            "\"ttm_bo_evict X\"",
            "unknown object 'X' (declared: D, E, sysbo, xe, c)",
        ),
        (
            "\"devmem_put E\"",
            "\"devmem_put D\"",
            "nobody holds a reference on 'D'",
        ),
        (
            "\"shrink_slab kswapd xe\"",
            "\"shrink_slab kswapd c\"",
            "object 'c' is not an xe_shrinker",
        ),
        (
            "\"shrink_slab kswapd xe\"",
            "\"shrink_slab background xe\"",
            "expected kswapd or direct",
        ),
        ("peer=gpu1", "peer=gpu2", "declares 2 device(s)"),
        ("peer=gpu1", "from=gpu1", "expected peer=gpuN"),
        (
            "\"complete c\"",
            "\"complete D\"",
            "object 'D' is not a completion",
        ),
        ("ENOMEM\"", "EDEADLK\"", "cannot return EDEADLK"),
    ];
    for (from, to, want) in cases {
        let text = GOOD.replacen(from, to, 1);
        let e = err(&text);
        assert!(e.contains(want), "{to}: {e}");
        // Located at the op's string.
        let op_start = text[..text.find(to).unwrap()].rfind('"').unwrap();
        let quote = if to.starts_with('"') {
            text.find(to).unwrap()
        } else {
            op_start
        };
        let before = &text[..quote];
        let line = before.matches('\n').count() + 1;
        let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
        assert!(
            e.starts_with(&format!("t.toml:{line}:{col}: ")),
            "{to}: {e}"
        );
    }
}

#[test]
fn bad_objects_are_located() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "kind = \"alias\"",
            "kind = \"pte\"",
            "\"pte\"",
            "unknown object kind 'pte': expected one of mm, device",
        ),
        (
            "va = \"va2\"\nheld",
            "va = \"va1\"\nheld",
            "\"va1\"\nheld",
            "va1 is already mapped",
        ),
        (
            "va = \"va2\"\nheld",
            "va = \"va2..va3\"\nheld",
            "\"va3\"\n[[object]]",
            "va3 is already mapped",
        ),
        (
            "from = \"va2\"",
            "from = \"va9\"",
            "\"va9\"",
            "the mm has 4 virtual page(s)",
        ),
        (
            "name = \"gpu1\"",
            "name = \"gpu7\"",
            "\"gpu7\"",
            "expected gpu1",
        ),
        (
            "vram_pages = 3\n[[object]]\nkind = \"devmem\"",
            "vram_pages = 1\n[[object]]\nkind = \"devmem\"",
            "1\n[[object]]\nkind = \"devmem\"",
            "every device has the same vram_pages",
        ),
        (
            "name = \"xe\"",
            "name = \"xe\"\nbatch = 2\nvas = 3",
            "3\n[[object]]\nkind = \"completion\"",
            "field `vas` does not apply to a xe_shrinker",
        ),
        (
            "name = \"c\"",
            "name = \"D\"",
            "\"D\"\n[[actor]]",
            "object 'D' declared twice",
        ),
        (
            "bo = true",
            "bo = true\nheld = true",
            "\"devmem\"\nname = \"D\"",
            "held = true on an SVM BO",
        ),
        (
            "ttm_vram = 2",
            "ttm_vram = 1",
            "\"va0..va1\"",
            "do not fit into ttm_vram",
        ),
    ];
    for (from, to, loc, want) in cases {
        let text = GOOD.replacen(from, to, 1);
        let e = err(&text);
        assert!(
            e.starts_with(&at(&text, loc)) && e.contains(want),
            "{to}: {e} (expected at {})",
            at(&text, loc)
        );
    }
    let e = err(&GOOD.replace(
        "kind = \"mm\"\nvas = 4\n",
        "kind = \"completion\"\nname = \"x\"\n",
    ));
    assert_eq!(
        e,
        "t.toml: no mm: expected an [[object]] kind = \"mm\", vas = N"
    );
    let text = GOOD.replace("ttm_vram = 2\n", "");
    let e = err(&text);
    assert!(
        e.starts_with(&at(&text, "\"devmem\"\nname = \"D\""))
            && e.contains("a devmem needs the TTM backing: ttm_vram = N on gpu0"),
        "{e}"
    );
    let text = r#"
area = "svm"
[[object]]
kind = "mm"
vas = 1
[[object]]
kind = "device"
vram_pages = 1
[[object]]
kind = "system_page"
va = "va0"
lru_batch = "nobody"
[[actor]]
name = "cpu"
ops = ["yield"]
"#;
    let e = err(text);
    assert!(
        e.starts_with(&at(text, "\"nobody\""))
            && e.contains("expected the name of an actor (its CPU's batch): cpu"),
        "{e}"
    );
    let e = err(&text.replace("[options]", "").replace(
        "area = \"svm\"",
        "area = \"svm\"\n[options]\npreempt = \"rt\"",
    ));
    assert!(e.contains("unknown variant `rt`"), "{e}");
}

/// The files run on the engine: the fixed model passes them, and the regression file of
/// a historical variant finds it (the full check is tests/regressions).
#[cfg(all(feature = "shuttle", not(loom)))]
#[test]
fn files_run_clean_and_find_their_variant() {
    use crate::engine::{EngineKind, RunConfig, explore};
    use crate::model::VariantSet;
    let run = |text: &str, variants: VariantSet| {
        let f = parse(Path::new("t.toml"), text).unwrap();
        let mut cfg = RunConfig::new(EngineKind::Shuttle, variants);
        cfg.max_executions = Some(2_000);
        explore(&f.scenario, &cfg).found.map(|f| f.failure)
    };
    let found = run(GOOD, VariantSet::NONE);
    assert!(found.is_none(), "{found:?}");
    // The AMD file re-creates the finding amd-evict-signal-live (mainline behaviour: the
    // eviction worker signals with a page the CPU fault holds still live); the proposal
    // that removes it makes the file pass.
    let found = run(AMD, VariantSet::NONE).expect("amd-evict-signal-live");
    assert_eq!(found.property, Property::SvmEviction, "{found}");
    let found = run(AMD, VariantSet::of(Variant::AmdEvictBusyIfLive));
    assert!(found.is_none(), "{found:?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let f =
        crate::scenario::file::load(&root.join("tests/regressions/b28-fault-ref-no-trylock.toml"))
            .unwrap();
    let mut cfg = RunConfig::new(
        EngineKind::Shuttle,
        VariantSet::of(Variant::FaultRefNoTrylock),
    );
    cfg.max_executions = Some(20_000);
    let o = explore(&f.scenario, &cfg);
    assert_eq!(
        o.found.expect("B28 found").failure.property,
        Property::Livelock
    );
}
