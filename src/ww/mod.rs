//! ww_mutex / ww_acquire_ctx (both classes) and drm_exec.

pub mod algo;
pub mod ctx;
pub mod exec;
pub mod lock;
pub mod lockdep_ww;
pub mod mutex;
pub mod rt_mutex;
pub mod ww_rt;

pub use ctx::{Algo, WwAcquireCtx, WwClass, ww_acquire_done, ww_acquire_fini, ww_acquire_init};
pub use exec::{DRM_EXEC_IGNORE_DUPLICATES, DRM_EXEC_INTERRUPTIBLE_WAIT, DrmExec, GemObject};
pub use lock::{
    mutex_unlock, ww_mutex_destroy, ww_mutex_is_locked, ww_mutex_lock, ww_mutex_lock_interruptible,
    ww_mutex_lock_slow, ww_mutex_lock_slow_interruptible, ww_mutex_trylock, ww_mutex_unlock,
};
pub use mutex::WwMutex;

#[cfg(all(test, not(loom)))]
mod tests;
