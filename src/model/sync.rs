//! The one place that names concrete synchronisation primitives.
//!
//! Model code uses `crate::model::sync::{Mutex, Condvar, atomic, thread, yield_now}` only.
//! The backend is chosen at compile time:
//!
//! * `RUSTFLAGS="--cfg loom"` → loom (exhaustive, C11 memory model). Wins over everything.
//! * cargo feature `shuttle` (default) → shuttle (random / PCT schedulers, SeqCst atomics).
//! * neither → std threads + parking_lot + std atomics (real-thread stress).
//!
//! The surface is parking_lot-shaped: `lock()` returns the guard, `try_lock()` an `Option`,
//! `Condvar::wait(&mut guard)`, no poisoning. `Arc` is always `std::sync::Arc`: loom's mock
//! Arc multiplies the state space and aborts the process when a deadlock unwinds through it
//! (spec `loom_shuttle.md` §1.3), and nothing in the model tests Arc refcounting itself.

pub use std::sync::Arc;

/// Name of the engine compiled into this build.
#[cfg(loom)]
pub const ENGINE_BUILD: &str = "loom";
#[cfg(all(feature = "shuttle", not(loom)))]
pub const ENGINE_BUILD: &str = "shuttle";
#[cfg(not(any(loom, feature = "shuttle")))]
pub const ENGINE_BUILD: &str = "threads";

#[cfg(any(loom, feature = "shuttle"))]
macro_rules! checked_backend {
    ($b:ident) => {
        /// A mutex whose `lock` returns the guard directly (poisoning is a model bug anyway).
        #[derive(Debug)]
        pub struct Mutex<T>($b::sync::Mutex<T>);

        /// Guard of [`Mutex`]; holds an `Option` so that [`Condvar::wait`] can take it.
        pub struct MutexGuard<'a, T>(Option<$b::sync::MutexGuard<'a, T>>);

        impl<T> Mutex<T> {
            pub fn new(value: T) -> Self {
                Mutex($b::sync::Mutex::new(value))
            }
            pub fn lock(&self) -> MutexGuard<'_, T> {
                MutexGuard(Some(self.0.lock().unwrap_or_else(|e| e.into_inner())))
            }
            pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
                self.0.try_lock().ok().map(|g| MutexGuard(Some(g)))
            }
        }

        impl<T> std::ops::Deref for MutexGuard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.0.as_ref().expect("guard present")
            }
        }
        impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                self.0.as_mut().expect("guard present")
            }
        }

        /// Condition variable with the parking_lot calling convention.
        #[derive(Debug)]
        pub struct Condvar($b::sync::Condvar);

        impl Default for Condvar {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Condvar {
            pub fn new() -> Self {
                Condvar($b::sync::Condvar::new())
            }
            pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
                let inner = guard.0.take().expect("guard present");
                guard.0 = Some(self.0.wait(inner).unwrap_or_else(|e| e.into_inner()));
            }
            pub fn notify_one(&self) {
                self.0.notify_one();
            }
            pub fn notify_all(&self) {
                self.0.notify_all();
            }
        }

        pub mod atomic {
            pub use $b::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
        }

        pub mod thread {
            pub use $b::thread::JoinHandle;
            /// Spawn a named model task.
            pub fn spawn<F, T>(name: String, f: F) -> JoinHandle<T>
            where
                F: FnOnce() -> T + Send + 'static,
                T: Send + 'static,
            {
                $b::thread::Builder::new()
                    .name(name)
                    .spawn(f)
                    .expect("spawn model task")
            }
        }

        /// A scheduling point for every retry or spin loop (loom and shuttle need it to see
        /// progress; without it loom exceeds its branch bound and PCT livelocks).
        pub fn yield_now() {
            $b::thread::yield_now();
        }
    };
}

#[cfg(loom)]
mod imp {
    checked_backend!(loom);
}

#[cfg(all(feature = "shuttle", not(loom)))]
mod imp {
    checked_backend!(shuttle);
}

#[cfg(not(any(loom, feature = "shuttle")))]
mod imp {
    pub use parking_lot::{Condvar, Mutex, MutexGuard};

    pub mod atomic {
        pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
    }

    pub mod thread {
        pub use std::thread::JoinHandle;
        /// Spawn a named model task on a real OS thread.
        pub fn spawn<F, T>(name: String, f: F) -> JoinHandle<T>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .expect("spawn model task")
        }
    }

    /// On real threads a retry loop only needs a CPU hint plus a yield to the OS.
    pub fn yield_now() {
        std::hint::spin_loop();
        std::thread::yield_now();
    }
}

pub use imp::*;
