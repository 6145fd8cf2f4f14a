//! The eviction cases of `drivers/gpu/drm/ttm/tests/ttm_bo_validate_test.c` (added by
//! "drm/ttm/tests: Add eviction testing", Karolina Stolarek, 2024-06), ported one test per
//! KUnit case as sequential runs of the model: same setup (sizes in 4 KiB pages:
//! `MANAGER_SIZE` = 1 MiB = 256 pages, `BO_SIZE` = 1 page, `SZ_8K` = 2, `SZ_512K` = 128),
//! same calls (`ttm_bo_init_reserved` + `dma_resv_unlock`, then `ttm_bo_reserve` /
//! `ttm_bo_validate` / `ttm_bo_unreserve` on the BO being validated), same expectations.
//!
//! How the KUnit device maps onto the model:
//!
//! * The mock VRAM manager is the model's VRAM manager with capacity 256 pages.
//! * `mock_evict_flags` sends VRAM (and SYSTEM) BOs to `sys_placement`; the mock `move`
//!   bounces VRAM -> SYSTEM through a temporary TT resource (`-EMULTIHOP`). The model's
//!   `evict_flags` is fixed (TT, or SYSTEM when TT is full) and has no multihop, so the
//!   ports give TT a capacity of 0 pages: the model then evicts VRAM straight to SYSTEM,
//!   the final placement the kernel test checks. The temporary TT hop is not modelled.
//! * Not modelled, so not asserted: `ctx->bytes_moved` and the `TTM_TT_FLAG_ZERO_ALLOC`
//!   page flag. `TTM_TT_FLAG_PRIV_POPULATED` is the model's `Tt::populated`.
//! * `-ENOMEM`: the kernel's `ttm_bo_validate` ends with "For backward compatibility with
//!   userspace: `if (ret == -ENOSPC) return -ENOMEM;`" (unless the device sets
//!   `TTM_ALLOCATION_PROPAGATE_ENOSPC`, which the KUnit device does not); the model does the
//!   same at the end of `walker::evict::ttm_bo_validate` (`if ret == -ENOSPC { ret =
//!   -ENOMEM }`), so the expected errno is compared as is.
//!
//! Cases the model cannot express exactly (`busy_domain_evict`: a manager whose alloc
//! always fails with -EBUSY; `evict_gutting`: an empty eviction placement and
//! `ttm_bo_pipeline_gutting`; `recrusive_evict`: a second mock domain and recursive
//! eviction inside `ttm_bo_evict`) say why at the test and check the nearest behaviour.

use crate::harness::run_model;
use std::sync::atomic::Ordering;
use ttm_model::model::sync::Arc;
use ttm_model::model::trace::{EBUSY, ENOMEM, errno_name};
use ttm_model::model::{Machine, Task};
use ttm_model::scenario::ttm::World;
use ttm_model::walker::evict::ttm_bo_validate;
use ttm_model::walker::iter::OpCtx;
use ttm_model::walker::*;

/// `MANAGER_SIZE` (1 MiB) in 4 KiB pages.
const MANAGER_SIZE: u64 = 256;
/// `BO_SIZE` (`SZ_4K`).
const BO_SIZE: u64 = 1;
const SZ_8K: u64 = 2;
const SZ_512K: u64 = 128;

/// `ttm_test_devices_all_init` + `ttm_mock_manager_init(VRAM, MANAGER_SIZE)`; `tt_pages`
/// is the TT capacity (0: eviction goes straight to SYSTEM, see the module doc).
fn device(m: &Arc<Machine>, t: &Arc<Task>, vram: u64, tt: u64) -> World {
    World::new(
        m,
        t,
        DeviceConfig {
            vram_pages: vram,
            tt_pages: Some(tt),
        },
    )
}

/// `ttm_bo_init_reserved(..., placement = mem, ...)` then `dma_resv_unlock` (no LRU bump).
fn init_reserved(w: &World, t: &Arc<Task>, name: &str, pages: u64, mem: MemType) -> Arc<TtmBo> {
    let bo = w.dev.bo_create(t, name, pages, 0, None);
    assert!(dma_resv_trylock(t, &w.dev, &bo), "fresh resv");
    w.dev.setup_place(t, &bo, mem);
    bo
}

/// `ttm_bo_kunit_init`: a BO without a resource.
fn kunit_init(w: &World, t: &Arc<Task>, name: &str, pages: u64) -> Arc<TtmBo> {
    w.dev.bo_create(t, name, pages, 0, None)
}

/// `bo->resource->mem_type`, None for a NULL `bo->resource`.
fn mem_of(w: &World, bo: &TtmBo) -> Option<MemType> {
    bo.f().resource.map(|r| w.dev.res_mem(r))
}

/// `ttm_resource_manager_usage(man)` in pages.
fn usage(w: &World, t: &Arc<Task>, m: MemType) -> u64 {
    w.dev.lru(t, |l| l.man[m].usage)
}

/// `ttm_bo_reserve(bo, false, false, NULL)`; `ttm_bo_validate(bo, placement, ctx)`;
/// `ttm_bo_unreserve(bo)`.
fn validate(w: &World, t: &Arc<Task>, bo: &Arc<TtmBo>, mem: MemType, ctx: &OpCtx) -> i32 {
    assert_eq!(dma_resv_lock(t, &w.dev, bo, None, false), 0);
    let err = ttm_bo_validate(t, &w.dev, bo, mem, ctx);
    ttm_bo_unreserve(t, &w.dev, bo);
    err
}

fn unpin(w: &World, t: &Arc<Task>, bo: &Arc<TtmBo>) {
    assert_eq!(dma_resv_lock(t, &w.dev, bo, None, false), 0);
    ttm_bo_unpin(t, &w.dev, bo);
    dma_resv_unlock(t, &w.dev, bo);
}

fn expect_errno(got: i32, want: i32) {
    assert_eq!(
        got,
        want,
        "ttm_bo_validate returned {}, KUnit expects {}",
        errno_name(got),
        errno_name(want)
    );
}

/// KUnit `ttm_bo_validate_happy_evict`: VRAM is filled by three BOs (8K, 512K, the rest);
/// validating a 4K BO into VRAM evicts the LRU-oldest one (the 8K BO) to SYSTEM with
/// populated pages, and the second BO stays in VRAM.
#[test]
fn ttm_bo_validate_happy_evict() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, 0);
        let sizes = [SZ_8K, SZ_512K, MANAGER_SIZE - (SZ_8K + SZ_512K)];
        let bos: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let bo = init_reserved(&w, t, &format!("bos[{i}]"), s, TTM_PL_VRAM);
                dma_resv_unlock(t, &w.dev, &bo);
                bo
            })
            .collect();
        let bo_val = kunit_init(&w, t, "bo_val", BO_SIZE);
        let err = validate(&w, t, &bo_val, TTM_PL_VRAM, &OpCtx::default());
        expect_errno(err, 0);
        assert_eq!(mem_of(&w, &bos[0]), Some(TTM_PL_SYSTEM));
        assert!(
            bos[0].f().tt.as_ref().is_some_and(|tt| tt.populated),
            "TTM_TT_FLAG_PRIV_POPULATED on the evicted BO's tt"
        );
        assert_eq!(mem_of(&w, &bos[1]), Some(TTM_PL_VRAM));
        // Not a KUnit expectation, implied by err == 0: bo_val got its VRAM resource.
        assert_eq!(mem_of(&w, &bo_val), Some(TTM_PL_VRAM));
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// KUnit `ttm_bo_validate_all_pinned_evict`: the only BO in VRAM fills it and is pinned;
/// validating a 4K BO into VRAM fails with -ENOMEM (-ENOSPC from the allocation, turned
/// into -ENOMEM by `ttm_bo_validate`; the pinned BO is on `bdev->unevictable`, so the
/// eviction walk finds nothing).
#[test]
fn ttm_bo_validate_all_pinned_evict() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, MANAGER_SIZE);
        let bo_big = init_reserved(&w, t, "bo_big", MANAGER_SIZE, TTM_PL_VRAM);
        ttm_bo_pin(t, &w.dev, &bo_big);
        dma_resv_unlock(t, &w.dev, &bo_big);
        let bo_small = kunit_init(&w, t, "bo_small", BO_SIZE);
        let err = validate(&w, t, &bo_small, TTM_PL_VRAM, &OpCtx::default());
        expect_errno(err, -ENOMEM);
        // Implied: nothing moved.
        assert_eq!(mem_of(&w, &bo_big), Some(TTM_PL_VRAM));
        assert_eq!(mem_of(&w, &bo_small), None);
        unpin(&w, t, &bo_big);
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// KUnit `ttm_bo_validate_allowed_only_evict`: two 512K BOs fill VRAM, the first pinned;
/// validating a 4K BO evicts the unpinned one (to SYSTEM), skipping the pinned one.
#[test]
fn ttm_bo_validate_allowed_only_evict() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, 0);
        let bo_pinned = init_reserved(&w, t, "bo_pinned", SZ_512K, TTM_PL_VRAM);
        ttm_bo_pin(t, &w.dev, &bo_pinned);
        dma_resv_unlock(t, &w.dev, &bo_pinned);
        let bo_evictable = init_reserved(&w, t, "bo_evictable", SZ_512K, TTM_PL_VRAM);
        dma_resv_unlock(t, &w.dev, &bo_evictable);
        let bo = kunit_init(&w, t, "bo", BO_SIZE);
        let err = validate(&w, t, &bo, TTM_PL_VRAM, &OpCtx::default());
        expect_errno(err, 0);
        assert_eq!(mem_of(&w, &bo), Some(TTM_PL_VRAM));
        assert_eq!(mem_of(&w, &bo_pinned), Some(TTM_PL_VRAM));
        assert_eq!(mem_of(&w, &bo_evictable), Some(TTM_PL_SYSTEM));
        unpin(&w, t, &bo_pinned);
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// KUnit `ttm_bo_validate_deleted_evict`: a BO filling VRAM but one page is marked
/// `deleted` (set directly, as the KUnit test does); validating an 8K BO cleans the deleted
/// BO up (`ttm_bo_evict_cb`: wait idle, `ttm_bo_cleanup_memtype_use`) instead of moving it:
/// its resource and tt are gone and VRAM usage is exactly the new BO.
#[test]
fn ttm_bo_validate_deleted_evict() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, MANAGER_SIZE);
        let big = MANAGER_SIZE - BO_SIZE;
        let bo_big = init_reserved(&w, t, "bo_big", big, TTM_PL_VRAM);
        assert_eq!(usage(&w, t, TTM_PL_VRAM), big);
        dma_resv_unlock(t, &w.dev, &bo_big);
        bo_big.f().deleted = true;
        let bo_small = kunit_init(&w, t, "bo_small", SZ_8K);
        let err = validate(&w, t, &bo_small, TTM_PL_VRAM, &OpCtx::default());
        expect_errno(err, 0);
        assert_eq!(mem_of(&w, &bo_small), Some(TTM_PL_VRAM));
        assert_eq!(usage(&w, t, TTM_PL_VRAM), SZ_8K);
        assert!(bo_big.f().tt.is_none(), "bo_big->ttm is NULL");
        assert!(bo_big.f().resource.is_none(), "bo_big->resource is NULL");
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// VRAM filled by `bo_init`, which is busy on the GPU; `bo_val` to validate with
/// `no_wait_gpu`.
fn busy_vram_full(m: &Arc<Machine>, t: &Arc<Task>) -> (World, Arc<TtmBo>, Arc<TtmBo>, OpCtx) {
    let w = device(m, t, MANAGER_SIZE, MANAGER_SIZE);
    let bo_init = init_reserved(&w, t, "bo_init", MANAGER_SIZE, TTM_PL_VRAM);
    dma_resv_unlock(t, &w.dev, &bo_init);
    bo_init.busy.store(true, Ordering::SeqCst);
    let bo_val = kunit_init(&w, t, "bo_val", BO_SIZE);
    let ctx = OpCtx {
        no_wait_gpu: true,
        ..OpCtx::default()
    };
    (w, bo_init, bo_val, ctx)
}

/// KUnit `ttm_bo_validate_busy_domain_evict` — NOT expressible as written: the test
/// re-creates the device with `bad_evict_flags` (every eviction goes to `TTM_PL_MOCK1`)
/// and registers MOCK1 as a "busy manager" whose `alloc` always fails with -EBUSY, so
/// `ttm_bo_evict` of the only VRAM BO fails with -EBUSY, the walk counts it as a skip and
/// `ttm_bo_validate` returns -ENOMEM with nothing moved. The model has neither a driver
/// `evict_flags` callback nor a failing manager (its eviction target falls back to the
/// unlimited SYSTEM manager).
///
/// Nearest expressible behaviour, with the same expectations: `ttm_bo_evict` of the only
/// evictable BO fails with -EBUSY for another reason — the BO is busy on the GPU and the
/// context has `no_wait_gpu` (this is also the case the KUnit TODO asks for: "the only
/// evictable BO is busy"). The walk skips it, validate gives -ENOMEM, `bo_init` stays in
/// VRAM and `bo_val->resource` is NULL.
#[test]
fn ttm_bo_validate_busy_domain_evict() {
    let r = run_model(|m, t| {
        let (w, bo_init, bo_val, ctx) = busy_vram_full(m, t);
        let err = validate(&w, t, &bo_val, TTM_PL_VRAM, &ctx);
        expect_errno(err, -ENOMEM);
        assert_eq!(mem_of(&w, &bo_init), Some(TTM_PL_VRAM));
        assert_eq!(mem_of(&w, &bo_val), None);
        bo_init.busy.store(false, Ordering::SeqCst);
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// Follow-up to the busy-domain case (not in KUnit): once the fence has signalled, the
/// same BO must be evictable by the next validate. In the kernel nothing records the
/// failed attempt; `ttm_bo_evict` only waits (`ttm_bo_wait_ctx`) and returns -EBUSY.
/// (This caught a false positive of ours: the eviction ledger recorded the residency
/// before the wait; it now records it when the move commits.)
#[test]
fn busy_evict_retried_after_the_fence_signals() {
    let r = run_model(|m, t| {
        let (w, bo_init, bo_val, ctx) = busy_vram_full(m, t);
        expect_errno(validate(&w, t, &bo_val, TTM_PL_VRAM, &ctx), -ENOMEM);
        bo_init.busy.store(false, Ordering::SeqCst);
        expect_errno(validate(&w, t, &bo_val, TTM_PL_VRAM, &ctx), 0);
        assert_eq!(mem_of(&w, &bo_val), Some(TTM_PL_VRAM));
        assert_ne!(mem_of(&w, &bo_init), Some(TTM_PL_VRAM));
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// KUnit `ttm_bo_validate_evict_gutting` — NOT expressible as written: the BO filling
/// `TTM_PL_MOCK1` has no eviction placement (`mock_evict_flags` leaves it empty: "Purge
/// objects coming from this domain"), so `ttm_bo_evict` waits and calls
/// `ttm_bo_pipeline_gutting`: afterwards `bo_evict->resource` is NULL and its tt is a fresh
/// `TTM_TT_FLAG_ZERO_ALLOC` one. The model's `evict_flags` always has a placement (TT,
/// else SYSTEM) and there is no gutting path.
///
/// Nearest expressible behaviour: the validate succeeds, the new BO gets the domain and
/// the BO that filled it no longer has a resource there (the model moves it to SYSTEM
/// where the kernel drops it).
#[test]
fn ttm_bo_validate_evict_gutting() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, 0);
        let bo_evict = init_reserved(&w, t, "bo_evict", MANAGER_SIZE, TTM_PL_VRAM);
        dma_resv_unlock(t, &w.dev, &bo_evict);
        let bo = kunit_init(&w, t, "bo", BO_SIZE);
        let err = validate(&w, t, &bo, TTM_PL_VRAM, &OpCtx::default());
        expect_errno(err, 0);
        assert_eq!(mem_of(&w, &bo), Some(TTM_PL_VRAM));
        assert_ne!(
            mem_of(&w, &bo_evict),
            Some(TTM_PL_VRAM),
            "kernel: bo_evict->resource is NULL; model: moved out of the domain"
        );
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// KUnit `ttm_bo_validate_recrusive_evict` (sic) — only partly expressible: TT and
/// `TTM_PL_MOCK2` are both full; validating a 4K BO into TT evicts `bo_tt`, whose eviction
/// placement is MOCK2 (`mock_evict_flags`), which is full, so `ttm_bo_evict` ->
/// `ttm_bo_mem_space` recursively evicts (guts) `bo_mock` from MOCK2. The KUnit test only
/// checks `err == 0`. The model has no second mock domain and `ttm_bo_evict` does not
/// evict recursively (a full target falls back to SYSTEM), so the recursion itself is not
/// exercised; what is checked is the KUnit expectation (validate into a full TT succeeds
/// by evicting the BO that fills it).
#[test]
fn ttm_bo_validate_recrusive_evict() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, MANAGER_SIZE);
        let bo_tt = init_reserved(&w, t, "bo_tt", MANAGER_SIZE, TTM_PL_TT);
        dma_resv_unlock(t, &w.dev, &bo_tt);
        let bo_val = kunit_init(&w, t, "bo_val", BO_SIZE);
        let err = validate(&w, t, &bo_val, TTM_PL_TT, &OpCtx::default());
        expect_errno(err, 0);
        // Implied by err == 0.
        assert_eq!(mem_of(&w, &bo_val), Some(TTM_PL_TT));
        assert_ne!(mem_of(&w, &bo_tt), Some(TTM_PL_TT));
        w.quiesce(t);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// KUnit `ttm_bo_validate_pinned` (not an eviction case; the -EINVAL rule eviction relies
/// on): validating a pinned BO that would have to move gives -EINVAL.
#[test]
fn ttm_bo_validate_pinned() {
    let r = run_model(|m, t| {
        let w = device(m, t, MANAGER_SIZE, MANAGER_SIZE);
        let bo = kunit_init(&w, t, "bo", BO_SIZE);
        assert_eq!(dma_resv_lock(t, &w.dev, &bo, None, false), 0);
        ttm_bo_pin(t, &w.dev, &bo);
        let err = ttm_bo_validate(t, &w.dev, &bo, TTM_PL_SYSTEM, &OpCtx::default());
        dma_resv_unlock(t, &w.dev, &bo);
        expect_errno(err, -EINVAL);
        unpin(&w, t, &bo);
    });
    assert!(r.ok(), "{}", r.explain());
}

/// The errno mapping the ports rely on, shown on the walk's own result: with the only VRAM
/// BO busy and `no_wait_gpu`, `ttm_bo_evict_alloc` ends with -EBUSY ("nothing could be
/// done"), `ttm_bo_alloc_resource` turns that into -ENOSPC and `ttm_bo_validate` into
/// -ENOMEM — never -EBUSY or -ENOSPC to the caller.
#[test]
fn validate_never_returns_enospc_or_ebusy_for_a_full_domain() {
    let r = run_model(|m, t| {
        let w = device(m, t, 2, 0);
        let a = init_reserved(&w, t, "A", 2, TTM_PL_VRAM);
        dma_resv_unlock(t, &w.dev, &a);
        a.busy.store(true, Ordering::SeqCst);
        let b = kunit_init(&w, t, "B", 1);
        let ctx = OpCtx {
            no_wait_gpu: true,
            ..OpCtx::default()
        };
        let err = validate(&w, t, &b, TTM_PL_VRAM, &ctx);
        assert!(err != -EBUSY && err != -ENOSPC, "{}", errno_name(err));
        expect_errno(err, -ENOMEM);
        a.busy.store(false, Ordering::SeqCst);
    });
    assert!(r.ok(), "{}", r.explain());
}
