//! `struct kref` with poison-on-free (include/linux/kref.h, lib/refcount.c).
//!
//! The count is a std atomic outside the checkers' view: in the ww/drm_exec scenarios no
//! reference ever races to zero (the scenario owner keeps its reference to the end), so
//! the interleaving of reference counting adds no behaviour, only state space. What is
//! checked at every operation is the kernel's refcount_t saturation rule made strict:
//! a get or put on a freed object, or a use after the final put, is a property failure
//! (`use-after-free`), which is what KASAN would report.

use crate::model::property::Property;
use crate::model::trace::{Record, raise};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct Kref {
    count: AtomicUsize,
    what: Arc<str>,
}

impl Kref {
    /// `kref_init`: one reference, owned by the creator.
    pub fn new(what: &str) -> Self {
        Kref {
            count: AtomicUsize::new(1),
            what: what.into(),
        }
    }

    pub fn read(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Report a use of a freed object.
    pub fn check_alive(&self, rec: &Record, op: &str) {
        if self.read() == 0 {
            raise(
                rec,
                Property::UseAfterFree,
                format!(
                    "{op} on {} after its final kref_put (object freed)",
                    self.what
                ),
            );
        }
    }

    /// `kref_get`.
    pub fn get(&self, rec: &Record) {
        self.check_alive(rec, "kref_get");
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    /// `kref_get_unless_zero`.
    pub fn get_unless_zero(&self) -> bool {
        self.count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| {
                if c == 0 { None } else { Some(c + 1) }
            })
            .is_ok()
    }

    /// `kref_init` on an object whose count reached 0 (TTM's resurrection in
    /// `ttm_bo_release`, under `lru_lock`).
    pub fn reinit(&self) {
        self.count.store(1, Ordering::SeqCst);
    }

    /// `kref_put`: returns true when this put released the object.
    pub fn put(&self, rec: &Record) -> bool {
        self.check_alive(rec, "kref_put");
        self.count.fetch_sub(1, Ordering::SeqCst) == 1
    }
}
