//! Running model code from a test: one execution of a single-task body under the
//! compiled engine (`run_sequential`), with the failure the model reported, the trace,
//! and any other panic. Also the quiet panic hook and the case-count knob.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex as StdMutex;
use ttm_model::engine::run_sequential;
use ttm_model::model::sync::Arc;
use ttm_model::model::trace::Record;
use ttm_model::model::{Machine, ModelFailure, Options, Task, VariantSet};

/// What one sequential execution produced.
#[derive(Debug, Default)]
pub struct RunResult {
    /// The property failure the model reported (panic payload / record), if any.
    pub failure: Option<ModelFailure>,
    /// A panic that was not a model failure (a bug of the harness or of the model, or a
    /// self-deadlock reported by the checker).
    pub panic: Option<String>,
    /// The event trace of the execution, in kernel vocabulary.
    pub trace: Vec<String>,
    /// The body ran to its end (a WARN lets it go on; a stopping failure does not).
    pub completed: bool,
    /// The failure that stopped the execution, ignoring WARNs (tests that judge WARNs
    /// themselves start from this).
    pub terminal: Option<ModelFailure>,
}

impl RunResult {
    pub fn ok(&self) -> bool {
        self.failure.is_none() && self.panic.is_none()
    }

    /// Everything worth printing when an expectation does not hold.
    pub fn explain(&self) -> String {
        let mut s = String::new();
        if let Some(f) = &self.failure {
            s.push_str(&format!("model failure: {f}\n"));
        }
        if let Some(p) = &self.panic {
            s.push_str(&format!("panic: {p}\n"));
        }
        s.push_str("trace:\n");
        for l in &self.trace {
            s.push_str("  ");
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}

/// Install (once) a panic hook that keeps the expected model-failure panics quiet; any
/// other panic goes to the previous hooks. Shuttle installs its own hook on its first
/// execution, so it is primed first (by the engine's hook installer) and ours wraps it.
pub fn quiet_model_failures() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        ttm_model::engine::install_quiet_panic_hook();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<ModelFailure>().is_some() {
                return;
            }
            prev(info);
        }));
    });
}

fn payload_string(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(f) = payload.downcast_ref::<ModelFailure>() {
        return f.to_string();
    }
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic".to_string())
}

/// Run `f` through `run_sequential`. On real threads a body that blocks forever (a
/// self-deadlock the reference model failed to predict) would hang the test, so it runs
/// on a helper thread with a watchdog; shuttle reports such a block as a deadlock itself.
fn guarded(f: impl Fn() + Send + Sync + 'static) -> Result<(), String> {
    #[cfg(feature = "shuttle")]
    {
        catch_unwind(AssertUnwindSafe(|| run_sequential(f))).map_err(|p| payload_string(&*p))
    }
    #[cfg(not(feature = "shuttle"))]
    {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("proptest-model".to_string())
            .spawn(move || {
                let r = catch_unwind(AssertUnwindSafe(|| run_sequential(f)));
                let _ = tx.send(r.map_err(|p| payload_string(&*p)));
            })
            .expect("spawn model thread");
        match rx.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok(r) => r,
            Err(_) => {
                Err("deadlock: the single-task body blocked for 20 s (thread leaked)".to_string())
            }
        }
    }
}

/// Run a single-task model body once on a fresh machine (no variants, default options)
/// and collect the outcome.
pub fn run_model<F>(body: F) -> RunResult
where
    F: Fn(&Arc<Machine>, &Arc<Task>) + Send + Sync + 'static,
{
    run_model_with(VariantSet::NONE, Options::default(), body)
}

/// [`run_model`] with explicit variants and options.
pub fn run_model_with<F>(variants: VariantSet, opts: Options, body: F) -> RunResult
where
    F: Fn(&Arc<Machine>, &Arc<Task>) + Send + Sync + 'static,
{
    quiet_model_failures();
    let slot: Arc<StdMutex<Option<Arc<Record>>>> = Arc::new(StdMutex::new(None));
    let inner_slot = Arc::clone(&slot);
    let r = guarded(move || {
        let rec = Arc::new(Record::new(opts.trace));
        *inner_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&rec));
        let m = Machine::new(variants, opts, rec);
        let t = m.new_task("main");
        body(&m, &t);
    });
    let rec = slot.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // After a kernel WARN the execution went on: the first WARN is the reported failure
    // (as the engines report it, `Found::failure`).
    let failure = rec
        .as_ref()
        .and_then(|r| r.warnings().into_iter().next().or_else(|| r.failure()));
    let trace = rec.as_ref().map(|r| r.trace_lines()).unwrap_or_default();
    let completed = r.is_ok();
    let terminal = rec.as_ref().and_then(|r| r.failure());
    let panic = match r {
        Ok(()) => None,
        Err(_) if failure.is_some() => None,
        Err(msg) => Some(msg),
    };
    RunResult {
        failure,
        panic,
        trace,
        completed,
        terminal,
    }
}

/// Number of proptest cases: `PROPTEST_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A proptest configuration with `cases` (see [`cases`]) whose regression files land
/// next to the test sources (`tests/proptest/<module>.proptest-regressions`).
pub fn config(default_cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: cases(default_cases),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}
