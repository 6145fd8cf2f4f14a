//! The `ttm` area's format table: object kinds, operations with the kernel function each
//! runs, and options (`list --formats`, docs/writing-scenarios.md).

use super::parse;
use crate::scenario::file::AreaFormat;

/// The ttm area's format (objects, operations, options).
pub static FORMAT: AreaFormat = AreaFormat {
    area: "ttm",
    objects: &[
        (
            "device",
            "vram_pages (8), tt_pages (unlimited), tt (\"xe\")",
            "the struct ttm_device (at most one; SYSTEM is unlimited); tt: the driver's ttm_tt_create: \"xe\" (EXTERNAL tts: TTM swapout skips them, the Xe shrinker backs them up), \"plain\" (amdgpu-like: TTM swapout takes them) or \"xe-imported-sg\"",
        ),
        (
            "vm",
            "name",
            "a VM: one shared dma_resv (`NAME.resv`) and one ttm_lru_bulk_move",
        ),
        (
            "bo",
            "name, mem, pages (1), priority (0), vm, bulk (true with vm), pinned, busy, tt, populated (true)",
            "a ttm_buffer_object with written contents in mem (system, tt or vram); vm: shares the VM's resv and (bulk) joins its bulk move; pinned: ttm_bo_pin at set-up; busy: an unsignalled fence; tt: this BO's tt kind; populated = false: a SYSTEM/TT BO whose tt has no pages yet",
        ),
        (
            "shrinker",
            "name, type, batch (1), stall_check, scan, mutex",
            "a registered shrinker. type: \"xe\" (xe_shrinker.c; stall_check: report a kswapd stall on a busy BO while idle ones suffice, only for a lone scanner), \"ttm-walk\" (a driver shrinker on ttm_lru_walk_for_evict + ttm_bo_shrink), \"gem-lru\" (drm_gem_lru_scan over every BO with a tt), \"callback-walker\" / \"guarded-iterator\" / \"next-candidate\" (the 2024 shrinker-API designs), or \"driver\" with scan = \"blocks\" (dma_resv_lock of a BO inside reclaim), \"mutex\" (takes driver mutex `mutex` inside reclaim), \"no-progress\" (nr_scanned 0, no SHRINK_STOP), \"overreports\" (returns 1 freed, frees nothing), \"ww-ticket\" (ww_acquire_init + dma_resv_lock in scan_objects), \"drm-exec\" (drm_exec over every BO in scan_objects)",
        ),
        ("completion", "name", "a struct completion"),
        (
            "mutex",
            "name",
            "a driver's struct mutex (its lockdep class is its name)",
        ),
    ],
    ops: &[
        (
            "ww_acquire_init",
            "ww_acquire_init(&ticket, &reservation_ww_class)",
            "open the actor's ticket: dma_resv_lock, ttm_bo_reserve, drm_exec_lock, ttm_bo_validate and the LRU walk use it until ww_acquire_fini",
        ),
        ("ww_acquire_fini", "ww_acquire_fini()", "close the ticket"),
        (
            "dma_resv_lock X [any]",
            "dma_resv_lock()",
            "lock BO X's resv (a VM X: the VM's shared resv), with the ticket if open; a walker's unlock is plain dma_resv_unlock (no LRU bump)",
        ),
        ("dma_resv_unlock X", "dma_resv_unlock()", "unlock X's resv"),
        (
            "ttm_bo_reserve BO [any]",
            "ttm_bo_reserve(bo, false, false, ticket)",
            "reserve BO (checks it is alive: use-after-free)",
        ),
        (
            "ttm_bo_unreserve BO",
            "ttm_bo_unreserve()",
            "bump BO to its LRU tail (ttm_bo_move_to_lru_tail_unlocked) and unlock its resv",
        ),
        (
            "ttm_bo_validate BO MEM [any]",
            "ttm_bo_validate()",
            "move BO (reserved) into MEM, evicting as needed (ttm_bo_alloc_resource, ttm_bo_evict_alloc); with a ticket: ttm_bo_validate_exhaustive's check",
        ),
        (
            "ttm_bo_pin BO",
            "ttm_bo_pin()",
            "pin BO (resv held): off its bulk move, onto bdev->unevictable",
        ),
        (
            "ttm_bo_unpin BO",
            "ttm_bo_unpin()",
            "unpin BO (resv held): back into its bulk move and LRU; WARNs on an unbalanced unpin",
        ),
        (
            "ttm_bo_set_bulk_move BO VM",
            "ttm_bo_set_bulk_move()",
            "join BO (resv held) to VM's bulk move; VM = none: leave it (NULL)",
        ),
        (
            "ttm_bo_put BO",
            "ttm_bo_put()",
            "drop the BO's reference (its creation reference): released at once if idle, else resurrected into delayed delete",
        ),
        (
            "ttm_bo_populate BO [any]",
            "ttm_bo_populate()",
            "populate BO's tt in place (resv held), restoring a swapped tt and re-adding it to its bulk move and LRU",
        ),
        (
            "ttm_tt_populate BO [any]",
            "ttm_tt_populate()",
            "allocate BO's tt pages (a reclaiming allocation: fs_reclaim)",
        ),
        (
            "ttm_tt_unpopulate BO",
            "ttm_tt_unpopulate()",
            "free BO's tt pages",
        ),
        (
            "ttm_lru_bulk_move_tail VM",
            "ttm_lru_bulk_move_tail()",
            "bump VM's bulk range to the LRU tails (the VM resv must be held: lru-locking)",
        ),
        (
            "ttm_lru_bulk_move_fini VM",
            "ttm_lru_bulk_move_fini()",
            "the VM's bulk move is finished (amdgpu_vm_fini): it must be empty, and it is dead from then on",
        ),
        (
            "amdgpu_vm_pt_free BO",
            "amdgpu_vm_pt_free() (amdgpu_vm_pt.c)",
            "free a VM page table (VM resv held): ttm_bo_set_bulk_move(bo, NULL), then the VM's reference goes (ttm_bo_put)",
        ),
        (
            "vm_exec VM",
            "amdgpu_vm_move_to_lru_tail() / xe_exec_ioctl()",
            "a command submission on VM: dma_resv_lock(VM), ttm_lru_bulk_move_tail, dma_resv_unlock",
        ),
        (
            "exec_submit VMBO BO [fence]",
            "drm_exec_until_all_locked() + ttm_bo_validate() + dma_resv_add_fence() (xe_exec_ioctl)",
            "a submission with its own ticket: drm_exec over VMBO and BO (back-off on -EDEADLK), ttm_bo_validate_exhaustive(BO, VRAM), fence BO if asked, bump the VM's bulk if VMBO shares a VM resv, unlock",
        ),
        (
            "drm_exec_lock BO ..",
            "drm_exec_until_all_locked() / drm_exec_retry_on_contention()",
            "lock every BO with the actor's ticket (ww_acquire_init first), backing off on -EDEADLK; unlock them with dma_resv_unlock / ttm_bo_unreserve",
        ),
        (
            "ttm_lru_walk_for_evict MEM BEHAVIOUR [TARGET]",
            "ttm_lru_walk_for_evict()",
            "walk MEM's LRU (trylock only; with the actor's ticket: ticketed, sleeping on contended resvs) until TARGET (default: all) with process_bo BEHAVIOUR: skip (yield holding the BO, -EBUSY), evict (ttm_bo_evict), shrink (ttm_bo_shrink as a driver shrinker), fail (-ENOMEM: ends the walk), fail-and-bump (ttm_bo_move_to_lru_tail_unlocked, then -EBUSY: a callback that bumps what it fails), unlock-in-callback (dma_resv_unlock, yield, dma_resv_lock, -EBUSY)",
        ),
        (
            "ttm_device_swapout [any]",
            "ttm_device_swapout()",
            "swap out one BO: SYSTEM then TT LRU, ttm_bo_swapout_cb (plain tts only); a negative result must be injected",
        ),
        (
            "ttm_device_prepare_hibernation [any]",
            "ttm_device_prepare_hibernation()",
            "ttm_device_swapout until it makes no more progress",
        ),
        (
            "ttm_resource_manager_evict_all MEM [any]",
            "ttm_resource_manager_evict_all()",
            "ttm_bo_evict_first until MEM's LRU is empty",
        ),
        (
            "shrink_slab MODE [S ..]",
            "shrink_slab() / do_shrink_slab() (mm/shrinker.c)",
            "one reclaim pass (fs_reclaim held) over shrinkers S (default: every declared one) at priority 0; MODE: direct (direct reclaim) or kswapd (current_is_kswapd)",
        ),
        (
            "ttm_bo_move_accel_cleanup BO MEM",
            "ttm_bo_move_accel_cleanup() -> ttm_bo_move_to_ghost()",
            "a driver's pipelined move: reserve BO, ttm_resource_alloc(MEM), ttm_buffer_object_transfer (ghost takes the old resource), populate, unreserve, ttm_bo_put(ghost); error paths as the kernel's",
        ),
        (
            "ttm_bo_delayed_delete",
            "ttm_bo_delayed_delete() (bdev->wq work items)",
            "run the queued delayed deletes",
        ),
        (
            "dma_resv_add_fence BO",
            "dma_resv_add_fence()",
            "BO becomes busy (an unsignalled fence)",
        ),
        (
            "dma_fence_signal BO",
            "dma_fence_signal()",
            "BO's fences signal: it is idle",
        ),
        ("mutex_lock L", "mutex_lock()", "lock driver mutex L"),
        ("mutex_unlock L", "mutex_unlock()", "unlock driver mutex L"),
        (
            "drm_gem_object_put BO",
            "drm_gem_object_put() -> drm_gem_object_release() -> drm_gem_lru_remove()",
            "drop BO's last reference through the GEM LRU of the file's gem-lru shrinker",
        ),
        (
            "check_swapped BO ..",
            "(check) after ttm_device_prepare_hibernation",
            "every BO is out of VRAM and holds no populated pages (skipped in an execution with an injected failure): expectation",
        ),
    ],
    options: &[(
        "quiesce",
        "run World::quiesce at the end (default true): delayed deletes, page ledger, leaked resources, nothing reserved",
    )],
    parse,
};
