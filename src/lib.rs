//! ttm-model: an executable, model-checked model of the Linux DRM GPU-buffer locking
//! stack. See `README.md` and `docs/` for how to use it; `../shared/DESIGN.md` for the
//! architecture.

pub mod api;
pub mod cli;
pub mod engine;
pub mod hunt;
pub mod model;
pub mod report;
pub mod scenario;
pub mod svm;
pub mod walker;
pub mod ww;
