//! The SVM world's part of the lasso check (`model::progress`): the abstract object
//! state hashed at retry points, and the retry point helper.
//!
//! The hash covers everything the SVM code reads from the world: every live folio (kind,
//! reference tags with their holders, mapcount, lock holder, zdd, contents version, free,
//! LRU state), the PTEs and the ghost `expected` versions, the zdds and devmems that are
//! not dead, the VRAM pools, per-CPU scheduling state and the pending work, the GPU PTEs,
//! the deferred BO puts, the invalidations in progress and who is inside
//! `migrate_to_ram`. Two things are abstracted, exactly as the code uses them:
//!
//! * `jiffies` only as the time left of each allocation's timeslice
//!   (`timeslice_expiration - jiffies`, 0 once expired): `jiffies < timeslice_expiration`
//!   is the only test on it, and what it will answer later depends on the time left
//!   (hashing only "inside the timeslice" made a CPU that refaults until the timeslice
//!   ends look like a lasso: time passes, so it is no cycle);
//! * the mmu-notifier sequences are left out (`invalidating` is kept): a reader compares a
//!   sequence it read with the current one, and every reader re-reads it at its retry
//!   point, so two visits differ only if a reader carries an old sequence across the
//!   cycle boundary (assumption stated in `model::progress`).
//!
//! Garbage is left out: a freed system page, a freed zdd, a devmem that is detached,
//! released and whose VRAM went back. Its pfn/index is never reused by the model, so
//! leaving it out changes nothing that can be read.

use super::page::{PageKind, Pte, Svm, SvmState};
use crate::model::sync::Arc;
use crate::model::task::Task;
use std::hash::{Hash, Hasher};

impl SvmState {
    /// The abstract object state (see the module comment).
    pub fn lasso_hash(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (i, f) in self.folios.iter().enumerate() {
            if f.free && f.kind == PageKind::System {
                continue;
            }
            i.hash(&mut h);
            match f.kind {
                PageKind::System => u64::MAX.hash(&mut h),
                PageKind::Device { dev } => dev.hash(&mut h),
            }
            for r in &f.refs {
                (r.kind as u8, r.task).hash(&mut h);
            }
            (
                f.mapcount,
                f.locked,
                f.zdd,
                f.data,
                f.free,
                f.on_lru,
                f.lru_batch,
            )
                .hash(&mut h);
        }
        for p in &self.ptes {
            match p {
                Pte::None => 0u8.hash(&mut h),
                Pte::Present(x) => (1u8, *x).hash(&mut h),
                Pte::Device(x) => (2u8, *x).hash(&mut h),
                Pte::Migration(x) => (3u8, *x).hash(&mut h),
            }
        }
        self.expected.hash(&mut h);
        for (i, z) in self.zdds.iter().enumerate() {
            if !z.freed {
                (i, z.kref, z.call_refs, z.devmem).hash(&mut h);
            }
        }
        for (i, d) in self.devmems.iter().enumerate() {
            if d.detached && d.released > 0 && d.returned {
                continue;
            }
            (i, d.dev, &d.pfns, d.start, d.detached, d.released).hash(&mut h);
            (d.zdd, d.returned, d.kref).hash(&mut h);
            d.timeslice_expiration
                .saturating_sub(self.jiffies)
                .hash(&mut h);
        }
        self.free_vram.hash(&mut h);
        for c in &self.cpus {
            (c.busy, &c.pending).hash(&mut h);
        }
        for (i, w) in self.works.iter().enumerate() {
            if !w.done {
                (i, w.cpu).hash(&mut h);
            }
        }
        self.gpu_pte.hash(&mut h);
        self.deferred_bo_put.hash(&mut h);
        self.invalidating.hash(&mut h);
        self.in_migrate_to_ram.hash(&mut h);
        h.finish()
    }
}

/// A retry point of an SVM retry loop, inside a world step (`s` is the world under its
/// mutex): no scheduling point of its own.
pub fn svm_retry_point(
    cur: &Arc<Task>,
    svm: &Svm,
    s: &SvmState,
    site: &'static str,
    counters: &[(&'static str, u64)],
) {
    // With TTM backing (Xe VRAM as TTM BOs) part of the state is TTM's (LRU order,
    // placements, pins), which this hash does not cover: no retry points there, so no
    // lasso can be claimed on an incomplete fingerprint (the bounded fallback remains).
    if svm.m.lasso && svm.ttm.is_none() {
        svm.m.retry_point(cur, site, counters, s.lasso_hash());
    }
}
