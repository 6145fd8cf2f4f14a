//! Unit tests of the `ttm` area: a good file compiles, bad objects and operations are
//! located, and (with shuttle) the behaviours catch the broken clients the built-in
//! scenarios catch while clean shapes stay clean.

use crate::model::property::Property;
use crate::model::variants::Variant;
use crate::scenario::file::parse;
use std::path::Path;

use crate::scenario::file::rejected as err;

const GOOD: &str = r#"
name = "t"
area = "ttm"
[[object]]
kind = "device"
vram_pages = 2
[[object]]
kind = "vm"
name = "VM"
[[object]]
kind = "bo"
name = "A0"
mem = "vram"
vm = "VM"
[[object]]
kind = "bo"
name = "E"
mem = "system"
[[object]]
kind = "shrinker"
name = "xe"
type = "xe"
[[object]]
kind = "completion"
name = "done"
[[actor]]
ops = ["ttm_lru_walk_for_evict VRAM skip", "complete done"]
[[actor]]
ops = ["vm_exec VM", "ttm_bo_reserve E", "ttm_bo_validate E VRAM any", "ttm_bo_unreserve E", "wait_for_completion done", "shrink_slab kswapd"]
[[expect.variant]]
name = "hitch-carried"
property = "walk-skip"
"#;

#[test]
fn a_good_file_compiles() {
    let f = parse(Path::new("t.toml"), GOOD).unwrap();
    assert_eq!(f.scenario.name, "t");
    assert_eq!(f.scenario.area, "ttm");
    assert_eq!(f.scenario.tasks, 3);
    assert!(f.fixed_passes);
    assert_eq!(
        f.variants,
        vec![(Variant::HitchCarried, Property::WalkSkip)]
    );
}

#[test]
fn bad_objects_are_located() {
    let e = err(&GOOD.replace("kind = \"completion\"", "kind = \"fence\""));
    assert!(
        e.starts_with("t.toml:24:8: unknown object kind 'fence': expected one of device"),
        "{e}"
    );
    let e = err(&GOOD.replace("mem = \"vram\"", "mem = \"gtt\""));
    assert!(e.starts_with("t.toml:13:7: unknown placement 'gtt'"), "{e}");
    let e = err(&GOOD.replace("vm = \"VM\"", "vm = \"VM2\""));
    assert!(
        e.starts_with("t.toml:14:6: no vm 'VM2' declared before this object"),
        "{e}"
    );
    let e = err(&GOOD.replace("type = \"xe\"", "type = \"xe\"\nmem = \"tt\""));
    assert!(
        e.contains("field `mem` does not apply to a shrinker"),
        "{e}"
    );
    let e = err(&GOOD.replace("type = \"xe\"", "type = \"i915\""));
    assert!(
        e.starts_with("t.toml:22:8: unknown shrinker type 'i915'"),
        "{e}"
    );
}

#[test]
fn bad_operations_are_located() {
    let e = err(&GOOD.replace("\"vm_exec VM\"", "\"vm_exec A0\""));
    assert!(
        e.starts_with("t.toml:29:8: 'vm_exec A0': object 'A0' is a bo, expected a vm"),
        "{e}"
    );
    let e = err(&GOOD.replace("VRAM skip", "VRAM evict-harder"));
    assert!(
        e.contains("unknown process_bo behaviour 'evict-harder': expected one of skip, evict"),
        "{e}"
    );
    let e = err(&GOOD.replace("\"complete done\"", "\"ttm_bo_evict A0\""));
    assert!(
        e.starts_with("t.toml:27:44:")
            && e.contains(
                "unknown operation 'ttm_bo_evict' in area ttm: expected one of ww_acquire_init"
            ),
        "{e}"
    );
    let e = err(&GOOD.replace("E VRAM any", "E GTT"));
    assert!(e.contains("unknown memory type 'GTT'"), "{e}");
    let e = err(&GOOD.replace("\"ttm_bo_unreserve E\"", "\"ttm_bo_unreserve E any\""));
    assert!(e.contains("`any` applies to"), "{e}");
    let e = err(&GOOD.replace("\"complete done\"", "\"fail ttm_tt_swapout EIO\""));
    assert!(e.contains("cannot return EIO"), "{e}");
    let e = err(&GOOD.replace("\"complete done\"", "\"drm_gem_object_put E\""));
    assert!(e.contains("needs a shrinker of type \"gem-lru\""), "{e}");
}

/// A ttm file with `objects` and `actors` (TOML text) around the common frame.
#[cfg(all(feature = "shuttle", not(loom)))]
fn file(objects: &str, actors: &str) -> crate::scenario::file::FileScenario {
    let text =
        format!("name = \"t\"\narea = \"ttm\"\n{objects}\n{actors}\n[expect]\nfixed = \"any\"\n");
    parse(Path::new("t.toml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// What shuttle finds on the fixed model within a few executions (None: clean).
#[cfg(all(feature = "shuttle", not(loom)))]
fn found(f: &crate::scenario::file::FileScenario) -> Option<Property> {
    use crate::engine::{EngineKind, RunConfig, explore};
    use crate::model::VariantSet;
    let mut cfg = RunConfig::new(EngineKind::Shuttle, VariantSet::NONE);
    cfg.max_executions = Some(300);
    cfg.budget = std::time::Duration::from_secs(60);
    cfg.inject = f.inject.clone();
    explore(&f.scenario, &cfg).found.map(|x| x.failure.property)
}

#[cfg(all(feature = "shuttle", not(loom)))]
const TWO_VRAM: &str = r#"
[[object]]
kind = "bo"
name = "X"
mem = "vram"
[[object]]
kind = "bo"
name = "Y"
mem = "vram"
"#;

/// The broken clients of src/scenario/ttm.rs written as files: each behaviour of the
/// format is caught as the built-in scenario is.
#[cfg(all(feature = "shuttle", not(loom)))]
#[test]
fn broken_client_behaviours_are_caught() {
    let walk = |b: &str, cpus: usize| {
        let actor = format!("[[actor]]\nops = [\"ttm_lru_walk_for_evict VRAM {b}\"]\n");
        file(TWO_VRAM, &actor.repeat(cpus))
    };
    assert_eq!(
        found(&walk("fail-and-bump", 1)),
        Some(Property::WalkProgress)
    );
    assert_eq!(
        found(&walk("unlock-in-callback", 2)),
        Some(Property::ConcurrentProcess)
    );
    let shrinker = |scan: &str| {
        let objects = format!(
            "[[object]]\nkind = \"bo\"\nname = \"X\"\nmem = \"system\"\n[[object]]\nkind = \"shrinker\"\nname = \"drv\"\ntype = \"driver\"\nscan = \"{scan}\"\n"
        );
        file(&objects, "[[actor]]\nops = [\"shrink_slab kswapd\"]\n")
    };
    assert_eq!(found(&shrinker("no-progress")), Some(Property::Livelock));
    assert_eq!(found(&shrinker("overreports")), Some(Property::PageLedger));
    assert_eq!(found(&shrinker("blocks")), Some(Property::LockOrder));
    assert_eq!(found(&shrinker("ww-ticket")), Some(Property::LockOrder));
    // A driver lock taken inside the shrinker and held across a reclaiming allocation.
    let f = file(
        r#"
[[object]]
kind = "bo"
name = "X"
mem = "vram"
[[object]]
kind = "mutex"
name = "driver_vm_lock"
[[object]]
kind = "shrinker"
name = "drv"
type = "driver"
scan = "mutex"
mutex = "driver_vm_lock"
"#,
        r#"
[[actor]]
ops = ["shrink_slab direct"]
[[actor]]
ops = ["mutex_lock driver_vm_lock", "dma_resv_lock X", "ttm_tt_populate X",
   "ttm_tt_unpopulate X", "dma_resv_unlock X", "mutex_unlock driver_vm_lock"]
"#,
    );
    assert_eq!(found(&f), Some(Property::LockOrder));
    // Unpinning what was never pinned WARNs (and the run goes on to report it).
    let f = file(
        TWO_VRAM,
        "[[actor]]\nops = [\"dma_resv_lock X\", \"ttm_bo_unpin X\", \"dma_resv_unlock X\"]\n",
    );
    assert_eq!(found(&f), Some(Property::LruStructure));
    // A use after the last put.
    let f = file(
        TWO_VRAM,
        "[[actor]]\nops = [\"ttm_bo_put X\", \"ttm_bo_reserve X\", \"ttm_bo_unreserve X\"]\n",
    );
    assert_eq!(found(&f), Some(Property::UseAfterFree));
}

/// Clean shapes stay clean on the fixed model: submissions with tickets evicting each
/// other, hibernation with its check, evict_all, a kswapd Xe shrinker against a VM.
#[cfg(all(feature = "shuttle", not(loom)))]
#[test]
fn fixed_model_shapes_are_clean() {
    let f = file(
        r#"
[[object]]
kind = "device"
vram_pages = 3
tt = "plain"
[[object]]
kind = "vm"
name = "VM"
[[object]]
kind = "bo"
name = "D0"
mem = "vram"
vm = "VM"
[[object]]
kind = "bo"
name = "D1"
mem = "vram"
[[object]]
kind = "bo"
name = "S"
mem = "tt"
[[object]]
kind = "bo"
name = "E0"
mem = "system"
[[object]]
kind = "bo"
name = "E1"
mem = "system"
busy = true
[[object]]
kind = "shrinker"
name = "xe"
type = "xe"
[[object]]
kind = "completion"
name = "done"
"#,
        r#"
[[actor]]
ops = ["exec_submit D0 E0 fence", "complete done"]
[[actor]]
ops = ["exec_submit D1 E1"]
[[actor]]
ops = ["shrink_slab kswapd", "ttm_bo_delayed_delete"]
[[actor]]
ops = ["wait_for_completion done", "ttm_resource_manager_evict_all VRAM",
   "ttm_device_prepare_hibernation", "ttm_lru_walk_for_evict TT evict 1"]
"#,
    );
    assert_eq!(found(&f), None);
}

/// `check_swapped` after hibernation prepare: the loop of
/// ttm_device_prepare_hibernation swaps everything, one ttm_device_swapout does not
/// (broken-client-ttm-hibernate-once as a file).
#[cfg(all(feature = "shuttle", not(loom)))]
#[test]
fn hibernation_prepare_is_checked() {
    let objects = r#"
[[object]]
kind = "device"
tt = "plain"
[[object]]
kind = "bo"
name = "S0"
mem = "system"
[[object]]
kind = "bo"
name = "S1"
mem = "system"
priority = 1
[[object]]
kind = "bo"
name = "V"
mem = "vram"
"#;
    let good = file(
        objects,
        "[[actor]]\nops = [\"ttm_resource_manager_evict_all VRAM\", \"ttm_device_prepare_hibernation\", \"check_swapped S0 S1 V\"]\n",
    );
    assert_eq!(found(&good), None);
    let once = file(
        objects,
        "[[actor]]\nops = [\"ttm_device_swapout\", \"check_swapped S0 S1\"]\n",
    );
    assert_eq!(found(&once), Some(Property::Expectation));
}

/// Several VMs: each has its own resv and bulk move; submissions on both while a walker
/// runs stay clean, hitch-carried is found across them, and a BO joined to another VM's
/// bulk move is the WARN of ttm_lru_bulk_move_add (one resv per bulk).
#[cfg(all(feature = "shuttle", not(loom)))]
#[test]
fn several_vms_each_have_a_bulk_move() {
    let f = file(
        r#"
[[object]]
kind = "vm"
name = "VM0"
[[object]]
kind = "vm"
name = "VM1"
[[object]]
kind = "bo"
name = "A0"
mem = "vram"
vm = "VM0"
[[object]]
kind = "bo"
name = "A1"
mem = "vram"
vm = "VM0"
[[object]]
kind = "bo"
name = "B0"
mem = "vram"
vm = "VM1"
[[object]]
kind = "bo"
name = "X"
mem = "vram"
"#,
        r#"
[[actor]]
ops = ["ttm_lru_walk_for_evict VRAM skip"]
[[actor]]
ops = ["vm_exec VM0", "vm_exec VM1", "dma_resv_lock VM1", "ttm_bo_set_bulk_move B0 none", "ttm_bo_set_bulk_move B0 VM1", "dma_resv_unlock VM1"]
"#,
    );
    assert_eq!(found(&f), None);
    let cross = file(
        r#"
[[object]]
kind = "vm"
name = "VM0"
[[object]]
kind = "vm"
name = "VM1"
[[object]]
kind = "bo"
name = "A0"
mem = "vram"
vm = "VM0"
[[object]]
kind = "bo"
name = "B0"
mem = "vram"
vm = "VM1"
"#,
        "[[actor]]\nops = [\"dma_resv_lock VM1\", \"ttm_bo_set_bulk_move B0 VM0\", \"dma_resv_unlock VM1\"]\n",
    );
    assert_eq!(found(&cross), Some(Property::LruStructure));
    use crate::engine::{EngineKind, RunConfig, explore};
    let mut cfg = RunConfig::new(
        EngineKind::Shuttle,
        crate::model::VariantSet::of(Variant::HitchCarried),
    );
    cfg.max_executions = Some(5000);
    cfg.budget = std::time::Duration::from_secs(60);
    let got = explore(&f.scenario, &cfg).found.map(|x| x.failure.property);
    assert_eq!(got, Some(Property::WalkSkip));
}
