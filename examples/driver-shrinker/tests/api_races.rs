//! The two races a new user tried to re-create from outside the crate (issue 13), written
//! with the public API only: each is found with its variant on and clean without.

use ttm_model::api::svm::{self, SvmConfig, SvmScenario};
use ttm_model::api::ttm::{self, TtmScenario};
use ttm_model::api::{Check, Property, Scenario, Variant, expect_ok_or_injected};

/// TTM: swapout of a lone system BO X and a TT BO T, twice, while another CPU reserves a
/// VRAM BO. With one injected failure per execution, a failed `ttm_tt_swapout` whose
/// callback re-bumps X behind the walk's hitch makes the walk see X again and again
/// (CVE-2026-52965, variant `swapout-fail-rebump`).
fn swapout_fail() -> Scenario {
    TtmScenario::new("api-swapout-fail")
        .cpus(2)
        .vram_pages(8)
        .body(|m, main, w| {
            // TTM's own swapout skips Xe's tts (TTM_TT_FLAG_EXTERNAL): a generic driver.
            w.dev.set_default_tt_kind(ttm::TtKind::Plain);
            w.bo(main, "X", ttm::TTM_PL_SYSTEM, 0, false);
            w.bo(main, "T", ttm::TTM_PL_TT, 0, false);
            let v = w.bo(main, "V", ttm::TTM_PL_VRAM, 0, false);
            let h = ttm::spawn(m, "swapout", w, |t, w| {
                for _ in 0..2 {
                    let ret = ttm::ttm_device_swapout(t, &w.dev, &ttm::OpCtx::default());
                    if ret < 0 {
                        expect_ok_or_injected(t, ret as i32, || "ttm_device_swapout".into());
                    }
                }
            });
            w.touch(main, &v);
            m.join(main, h);
            w.quiesce(main);
        })
}

#[test]
fn the_ttm_swapout_race_is_found_and_fixed() {
    let found = Check::new(&swapout_fail())
        .variant(Variant::SwapoutFailRebump)
        .inject(1)
        .executions(100_000)
        .seed(3)
        .run();
    assert_eq!(
        found.property(),
        Some(Property::WalkProgress),
        "{}",
        found.summary()
    );
    let clean = Check::new(&swapout_fail())
        .inject(1)
        .executions(2_000)
        .run();
    assert!(clean.is_clean(), "{}", clean.summary());
}

/// SVM: a GPU fault needs VRAM for va2..va3 while VRAM is full of another SVM BO whose
/// page va0 a CPU faults back: TTM evicts that BO through `drm_pagemap_evict_to_ram`
/// under its resv, and the BO's last reference is dropped by the deferred put at the end.
fn gpu_alloc_vs_cpu_fault() -> Scenario {
    SvmScenario::new("api-svm-alloc-evict")
        .cpus(2)
        .config(SvmConfig {
            vas: 4,
            vram_pages: 2,
            ..SvmConfig::default()
        })
        .ttm_backing(2)
        .body(|m, main, s| {
            let Some(d) = svm::setup_svm_bo(main, s, 0, 2) else {
                return;
            };
            svm::setup_device_range(s, 0, 0, 2, 1, Some(d));
            svm::setup_system_page(s, 2, 1, None);
            svm::setup_system_page(s, 3, 1, None);
            let h = svm::spawn(m, s, "cpu va0", |t, s| {
                svm::cpu_access(t, s, 0, true);
            });
            svm::xe_svm_handle_pagefault(main, s, 0, 2, 2, 2, false, true);
            svm::join(m, main, s, vec![h]);
        })
}

#[test]
fn the_svm_allocation_race_is_clean_and_its_mutation_caught() {
    let clean = Check::new(&gpu_alloc_vs_cpu_fault())
        .executions(2_000)
        .run();
    assert!(clean.is_clean(), "{}", clean.summary());
    // Reporting the eviction done while the CPU fault still holds a page frees VRAM
    // that is still mapped.
    let found = Check::new(&gpu_alloc_vs_cpu_fault())
        .variant(Variant::EvictSignalEarly)
        .executions(100_000)
        .seed(5)
        .run();
    assert_eq!(
        found.property(),
        Some(Property::SvmEviction),
        "{}",
        found.summary()
    );
}
