//! TTM: the buffer-object LRU with hitch cursors and bulk moves, the BO walker, eviction,
//! swapout and shrinking (spec `ttm_lru.md`; shrinker contract `svm_shrinker.md` §8).
//!
//! Layout, following the kernel files:
//!
//! * [`lru`]: `drivers/gpu/drm/ttm/ttm_resource.c` — LRU lists, typed LRU items, bulk
//!   moves, resource cursors with hitches, and the structural invariants B1–B5, C1 (kernel
//!   WARNs and our structural checks record and let the execution go on; what the kernel
//!   would crash on, or spin on forever, stops it: see the module doc).
//! * [`bo`]: `ttm_bo.c` / `ttm_tt.c` — the device, buffer objects, resources, pin/unpin,
//!   set_bulk_move, reserve/unreserve, release / resurrection / delayed delete, ghosts.
//! * [`iter`]: `ttm_bo_util.c` — the guarded BO iteration and `ttm_lru_walk_for_evict`.
//! * [`evict`], [`swap`], [`shrink`]: `ttm_bo.c` eviction and swapout, `ttm_bo_util.c`
//!   shrink helpers, `xe_shrinker.c`, and `mm/shrinker.c` `do_shrink_slab`.
//! * [`designs`]: the 2024 shrinker-API debate as four walk designs (`ttm_lru.md` §8.3).
//! * [`lockdep`]: lock-class dependencies across executions (lockdep-lite).
//!
//! Granularity: every `lru_lock` critical section is one model step (one acquisition of the
//! model mutex `TtmDevice::lru_lock`). BO fields are plain (std) cells written under the
//! lock the kernel requires for them, which the model asserts (ghost holders), so a write
//! without its lock is reported (`lru-locking`) instead of being silently serialised.

pub mod bo;
pub mod designs;
pub mod evict;
pub mod evict_busy;
pub mod iter;
pub mod lockdep;
pub mod lru;
pub mod shrink;
pub mod swap;

pub use bo::*;
pub use lru::{BulkId, CursorId, ListId, Lru, ResId};

/// `TTM_PL_SYSTEM`, `TTM_PL_TT`, `TTM_PL_VRAM`. The kernel has `TTM_NUM_MEM_TYPES` = 9;
/// the model keeps the three placements eviction, swapout and shrinking move between
/// (private driver types behave like VRAM for everything modelled here).
pub type MemType = usize;
pub const TTM_PL_SYSTEM: MemType = 0;
pub const TTM_PL_TT: MemType = 1;
pub const TTM_PL_VRAM: MemType = 2;
pub const TTM_NUM_MEM_TYPES: usize = 3;
/// `TTM_MAX_BO_PRIORITY`.
pub const TTM_MAX_BO_PRIORITY: usize = 4;

/// Kernel name of a memory type.
pub fn mem_type_name(m: MemType) -> &'static str {
    match m {
        TTM_PL_SYSTEM => "SYSTEM",
        TTM_PL_TT => "TT",
        TTM_PL_VRAM => "VRAM",
        _ => "?",
    }
}

/// -ENOSPC and -ENOENT (the ww module's errno table has the locking codes).
pub const ENOSPC: i32 = 28;
pub const ENOENT: i32 = 2;
pub const EINVAL: i32 = 22;
