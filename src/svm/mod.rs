//! SVM: device-private pages, core-mm migration, the CPU fault, drm_pagemap / drm_gpusvm
//! and TTM-driven eviction (spec `svm_shrinker.md` §1–7 and §9).
//!
//! Layout, following the kernel files:
//!
//! * [`page`]: `include/linux/mm.h`, `mm/memremap.c` — folios (refcount with a ghost tag
//!   per reference, mapcount, `PG_locked`, `zone_device_data`), per-virtual-page PTEs,
//!   `folio_put` → `free_zone_device_folio` → `page_free`, `zone_device_page_init`, the
//!   folio wait queue, and the SVM world that owns it all.
//! * [`sched`]: per-CPU work items (`lru_add_drain_all`) on non-preemptible CPUs.
//! * [`migrate`]: `mm/migrate_device.c` — `migrate_vma_setup` (collect, unmap, lenient
//!   check), `migrate_vma_pages` (exact check), `migrate_vma_finalize`,
//!   `migrate_device_pfns` and the `migrate_device_*` steps.
//! * [`fault`]: `mm/memory.c` `do_swap_page` (device-private branch, four kernel
//!   generations), the CPU access loop and `hmm_range_fault`.
//! * [`pagemap`]: `drivers/gpu/drm/drm_pagemap.c` — devmem, zdd, `migrate_to_devmem`,
//!   `evict_to_ram`, `migrate_to_ram` with the timeslice.
//! * [`gpusvm`]: `drivers/gpu/drm/drm_gpusvm.c`, `xe_svm.c` — notifier lock and sequence,
//!   `range_get_pages`, `range_evict`, the Xe GPU fault handler.
//! * [`ttm_backing`]: `xe_bo.c` SVM hooks — VRAM as a TTM BO whose eviction (under its
//!   resv) calls `evict_to_ram`; the AMD `migrate_mutex` policy; the rejected VM-resv-gated
//!   design.
//!
//! Granularity: every PTL critical section and every atomic operation on a folio
//! (`folio_get`, `folio_trylock`, `folio_put`, ...) is one model step: one acquisition of
//! the world mutex. Steps the kernel does under the PTL in one go (read the PTE and take a
//! reference) are one step; the PTL itself is a model mutex held across the steps of one
//! PTE so that other PTL users wait, exactly as in the kernel, while lock-free actors
//! (`migrate_device_pfns`, `put_page`) interleave with them.

pub mod designs;
pub mod fault;
pub mod gpusvm;
pub mod lasso;
pub mod migrate;
pub mod page;
pub mod pagemap;
pub mod sched;
pub mod ttm_backing;

pub use page::*;

/// Kernel return codes used by the SVM model (the locking ones are in `model::trace`).
pub const EAGAIN: i32 = 11;
pub const EFAULT: i32 = 14;
pub const EINVAL: i32 = 22;
pub const EOPNOTSUPP: i32 = 95;
pub const EPERM: i32 = 1;
/// `VM_FAULT_SIGBUS` (a positive vm_fault_t, not an errno).
pub const VM_FAULT_SIGBUS: i32 = 0x2;
