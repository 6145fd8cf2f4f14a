//! The driver shrinker under the model: kswapd runs it while the driver's command
//! submission reserves and validates the same BOs. The sleeping-lock version must be
//! caught (lockdep: lock-order against fs_reclaim), the trylock version must be clean.
//! Uses `ttm_model::api` only.

use driver_shrinker::{DriverShrinker, Locking};
use ttm_model::api::ttm::*;
use ttm_model::api::{Check, Property, Scenario};

/// Two TT BOs of one VM; kswapd shrinks while the VM submits and touches them.
fn reclaim_vs_submission(locking: Locking) -> Scenario {
    TtmScenario::new(&format!("drv-shrinker-{locking:?}").to_lowercase())
        .description("kswapd runs the driver shrinker while the VM submits and touches its BOs")
        .cpus(3)
        .vram_pages(2)
        .body(move |m, main, w| {
            let a = w.bo(main, "A", TTM_PL_TT, 0, true);
            let b = w.bo(main, "B", TTM_PL_TT, 0, true);
            let shrinker = DriverShrinker::register(&w.dev, locking);
            let kswapd = spawn(m, "kswapd", w, move |t, w| {
                shrink_slab(t, &w.dev, &[shrinker], true, 0);
            });
            let submit = spawn(m, "submit", w, move |t, w| {
                w.vm_exec_bump(t);
                w.touch(t, &a);
            });
            w.touch(main, &b);
            m.join(main, kswapd);
            m.join(main, submit);
            w.quiesce(main);
        })
}

#[test]
fn a_shrinker_that_sleeps_on_dma_resv_is_caught() {
    let out = std::env::temp_dir().join("driver-shrinker-failures");
    let report = Check::new(&reclaim_vs_submission(Locking::Sleeping))
        .executions(2_000)
        .seed(1)
        .write_failures_to(&out)
        .run();
    assert_eq!(
        report.property(),
        Some(Property::LockOrder),
        "{}",
        report.summary()
    );
    let dir = report.failure_dir.as_ref().expect("the failure is written");
    assert!(dir.join("failure.json").exists() && dir.join("trace.txt").exists());
}

#[test]
fn the_trylock_shrinker_is_clean() {
    let report = Check::new(&reclaim_vs_submission(Locking::Trylock))
        .executions(2_000)
        .seed(1)
        .run();
    assert!(report.is_clean(), "{}", report.summary());
    assert_eq!(report.executions, 2_000);
}

#[test]
fn the_trylock_shrinker_is_clean_under_injected_failures() {
    let report = Check::new(&reclaim_vs_submission(Locking::Trylock))
        .executions(1_000)
        .seed(2)
        .inject(1)
        .run();
    assert!(report.is_clean(), "{}", report.summary());
}
