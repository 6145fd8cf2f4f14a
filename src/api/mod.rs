//! The public API for scenarios written outside the crate: driver code (a shrinker, a
//! `process_bo` callback, an eviction policy, a fault handler) put into a model world and
//! explored by the compiled engine, with the usual reports.
//!
//! * a world per area — [`ttm::TtmScenario`] (a TTM device with one VM: shared resv and
//!   bulk move), [`svm::SvmScenario`] (an mm with SVM ranges, a device, optional TTM
//!   backing), and the ww area's [`ww`] re-exports;
//! * a way to spawn CPUs — [`ttm::spawn`], [`svm::spawn`] / [`svm::join`], and
//!   [`Machine::join`];
//! * the end-of-scenario checks — [`ttm::World::quiesce`], [`svm::quiesce`] (the SVM
//!   builder runs it itself);
//! * running under the compiled engine — [`Check`]: executions, seed, variants, injection;
//!   its [`Report`] names the property in kernel vocabulary, and failures are written as
//!   failure directories (`failure.json`, `trace.txt`, Perfetto, Mermaid) like `hunt`'s.
//!
//! The built-in scenarios are built with the same builders (`scenario::ttm`,
//! `scenario::svm`), so what they can express, a driver's scenario can. The kernel
//! functions themselves are the model's (`walker`, `svm`, `ww` modules), re-exported here
//! by area. `examples/driver-shrinker/` is a separate package that uses only this module.

pub mod svm;
pub mod ttm;
pub mod ww;

mod check;
pub use check::{Check, Report};

pub use crate::engine::{EngineKind, Found, InjectConfig};
pub use crate::model::config::KConfig;
pub use crate::model::property::Property;
pub use crate::model::sync::{Arc, atomic, yield_now};
pub use crate::model::trace::{EBUSY, EDEADLK, EINTR, ENOMEM, errno_name};
pub use crate::model::variants::{Variant, VariantSet};
pub use crate::model::{Machine, Options, Task};
pub use crate::scenario::Scenario;
pub use crate::scenario::common::{expect, expect_ok, expect_ok_or_injected};
