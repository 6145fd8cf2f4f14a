//! The machine the kernel code runs on: sync facade, tasks, kref, trace, variants,
//! properties.

pub mod baseline;
pub mod completion;
pub mod config;
pub mod fault;
pub mod kmutex;
pub mod kref;
pub mod lockdep;
pub mod machine;
pub mod progress;
pub mod property;
pub mod sync;
pub mod task;
pub mod trace;
pub mod variants;

pub use machine::{Machine, Options};
pub use property::{ModelFailure, Property};
pub use task::Task;
pub use variants::{Variant, VariantSet};
