//! Process-wide stop request and live execution counter.
//!
//! A hunt is stopped by SIGINT / SIGTERM (`install_signal_handler`): the handler only sets
//! a flag, and every engine polls it between executions (shuttle in its scheduler's
//! `new_execution`, loom at the start of each execution body, the threads engine in its
//! watchdog loop), so a hunt stops within one execution and then writes its summary.
//! The counter feeds the progress bar while an exploration runs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);

/// The panic payload an engine raises to abandon an execution because a stop was
/// requested (not a failure of the model).
#[derive(Debug, Clone, Copy)]
pub struct Stopped;

/// Ask every running exploration to stop at its next execution boundary.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Has a stop been requested (by a signal or `request_stop`)?
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Count one started execution (all engines, all pairs of this process).
#[inline]
pub fn count_execution() {
    EXECUTIONS.fetch_add(1, Ordering::Relaxed);
}

/// Executions started by this process so far.
pub fn executions() -> usize {
    EXECUTIONS.load(Ordering::Relaxed)
}

/// Install the SIGINT / SIGTERM handler: the first signal requests a stop (the hunt
/// finishes the current execution, then writes what it found and the summary); a second
/// one exits at once with status 130 (every failure is already on disk by then).
/// Installed once per process; later calls return the first result. `set_handler`
/// replaces an inherited disposition: a hunt started in the background of a
/// non-interactive shell inherits SIGINT as ignored, and must still stop on a signal.
pub fn install_signal_handler() -> Result<(), String> {
    static SIGNALS: AtomicUsize = AtomicUsize::new(0);
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| {
                if SIGNALS.fetch_add(1, Ordering::SeqCst) > 0 {
                    std::process::exit(130);
                }
                eprintln!("ttm-model: interrupted, stopping after the current execution");
                request_stop();
            })
            .map_err(|e| format!("cannot install the SIGINT/SIGTERM handler: {e}"))
        })
        .clone()
}
