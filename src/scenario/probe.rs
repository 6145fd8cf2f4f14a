//! Engine self-tests: the smallest scenarios that exercise one mechanism of the machine
//! (fault injection, WARN-and-continue, an unschedulable scenario), so the tests of every
//! engine can show that it explores, reports and replays that mechanism. Not registered in
//! `scenario::all()`: they model no kernel code.

use super::{Scenario, scenario};
use crate::model::fault::{self, site};
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::sync::yield_now;
use crate::model::{Machine, Options, Task};

/// Two CPUs each make one fallible call (`ttm_tt_swapout`) and a broken error path: an
/// injected failure on cpu1 is "mishandled" (reported as `data-loss`). Without injection
/// nothing can fail; with `--inject 1` every engine must find it and replay it.
pub fn inject_probe() -> Scenario {
    scenario(
        "probe-inject",
        "two CPUs, one fallible call each; cpu1 mishandles its failure",
        3,
        Options::default(),
        |m: &Arc<Machine>, main: &Arc<Task>| {
            let call = |t: &Arc<Task>, broken: bool| {
                yield_now();
                let failed = fault::should_fail(t, site::TTM_TT_SWAPOUT, || "bo0".into());
                if let (Some(e), true) = (failed, broken) {
                    t.machine.fail(
                        Property::DataLoss,
                        format!("probe: cpu{} dropped the contents after {e}", t.id),
                    );
                }
            };
            let (_, h1) = m.spawn("swapper", move |t| call(&t, true));
            let (_, h2) = m.spawn("swapper", move |t| call(&t, false));
            m.join(main, h1);
            m.join(main, h2);
        },
    )
}

/// A kernel WARN, after which the execution goes on into a use after free: the report is
/// the WARN with the use after free as its consequence. With `consequence = false` the
/// WARN leads nowhere and is reported at the end of the execution.
pub fn warn_probe(consequence: bool) -> Scenario {
    scenario(
        if consequence {
            "probe-warn-then-uaf"
        } else {
            "probe-warn"
        },
        "a WARN_ON, then (optionally) the use after free it leads to",
        1,
        Options::default(),
        move |m: &Arc<Machine>, main: &Arc<Task>| {
            m.warn(
                main.id,
                Property::LruStructure,
                "probe: WARN_ON(list_empty(&pos->first->lru))".into(),
            );
            yield_now();
            if consequence {
                m.fail(
                    Property::UseAfterFree,
                    "probe: the walk touched a freed resource".into(),
                );
            }
        },
    )
}

/// Claims two CPUs but runs none: shuttle's PCT scheduler cannot schedule it ("test
/// closure did not exercise any concurrency"), which is an engine note, not a failure.
pub fn unschedulable_probe() -> Scenario {
    scenario(
        "probe-no-concurrency",
        "claims two CPUs, spawns none",
        2,
        Options::default(),
        |_m: &Arc<Machine>, _main: &Arc<Task>| {},
    )
}
