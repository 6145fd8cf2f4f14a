//! The ww area of the public API: ww_mutex classes, acquire contexts, drm_exec and the
//! client helpers of ww-mutex-design.rst, re-exported. A ww scenario is a plain
//! [`crate::scenario::Scenario`] built with [`scenario`].

pub use crate::scenario::common::{
    check_quiescent, inorder_transaction, locks, reorder_transaction,
};
pub use crate::ww::*;

use crate::model::sync::Arc;
use crate::model::{Machine, Options, Task};
use crate::scenario::Scenario;

/// A ww scenario of `cpus` tasks (main included) running `body` on `cpu0`.
pub fn scenario(
    name: &str,
    description: &str,
    cpus: usize,
    options: Options,
    body: impl Fn(&Arc<Machine>, &Arc<Task>) + Send + Sync + 'static,
) -> Scenario {
    crate::scenario::scenario(name, description, cpus, options, body)
}
