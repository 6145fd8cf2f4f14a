//! Lock-class tracking moved into the machine (`crate::model::lockdep`), so that every
//! lock primitive records its acquisitions whoever takes it; re-exported here for the
//! TTM code that names the classes.

pub use crate::model::lockdep::*;
