//! The per-execution machine: enabled variants, scenario options, the record, and task
//! creation. A fresh `Machine` is built at the start of every explored execution, so no
//! state leaks between executions (loom and shuttle re-run the closure).

use crate::model::lockdep::{LockGraph, Lockdep};
use crate::model::property::Property;
use crate::model::sync::{Arc, thread};
use crate::model::task::Task;
use crate::model::trace::{Record, TaskRecord, raise};
use crate::model::variants::{Variant, VariantSet};
use std::sync::Weak;
use std::sync::atomic::{AtomicU16, Ordering};

/// Scenario options that change kernel configuration, not kernel code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// CONFIG_DEBUG_WW_MUTEX_SLOWPATH: inject -EDEADLK (spec §2.9).
    pub inject_edeadlk: bool,
    /// Record the event trace (on for hunts; the benchmarks measure both).
    pub trace: bool,
    /// Also report Wound-Wait kills by a wound that predates the context's last back-off.
    /// Mainline allows them (its `wounded` reset is in the slow path only:
    /// docs/findings.md), so this is only on in the `finding-*` scenario showing that.
    pub strict_ww_oldest: bool,
    /// Kernel configuration options on (`model::config`; a hunt's `--config` adds to it).
    pub config: crate::model::config::KernelConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            inject_edeadlk: false,
            trace: true,
            strict_ww_oldest: false,
            config: crate::model::config::KernelConfig::NONE,
        }
    }
}

/// State shared by all tasks of one execution.
#[derive(Debug)]
pub struct Machine {
    pub variants: VariantSet,
    pub opts: Options,
    pub rec: Arc<Record>,
    /// Lockdep for every lock of this execution (the graph outlives it: it is the
    /// scenario's).
    pub lockdep: Arc<Lockdep>,
    next_task: AtomicU16,
    /// The lasso check is on ([`crate::model::progress::lasso_enabled`]).
    pub lasso: bool,
    /// Task registry (weak: tasks point to the machine), to turn an owner word back into
    /// the task to wake, as the kernel does with `__mutex_owner()`.
    tasks: std::sync::Mutex<Vec<Weak<Task>>>,
    /// PREEMPT_RT rtmutex and PI state of this execution (`ww::rt_mutex`).
    pub rt: crate::ww::rt_mutex::RtWorld,
}

impl Machine {
    /// A machine with a lock graph of its own (one execution: unit tests, proptest).
    pub fn new(variants: VariantSet, opts: Options, rec: Arc<Record>) -> Arc<Machine> {
        Self::with_graph(variants, opts, rec, LockGraph::new())
    }

    /// A machine whose lockdep records into `graph` (a scenario's graph, shared by all of
    /// its executions, so that a cycle closed across executions is reported).
    pub fn with_graph(
        variants: VariantSet,
        opts: Options,
        rec: Arc<Record>,
        graph: Arc<LockGraph>,
    ) -> Arc<Machine> {
        // Findings (baseline behaviour) are on unless a proposal removes them.
        let variants = variants.effective();
        Arc::new(Machine {
            variants,
            opts,
            rec,
            lockdep: Lockdep::new(graph, variants),
            next_task: AtomicU16::new(0),
            lasso: crate::model::progress::lasso_enabled(),
            tasks: std::sync::Mutex::new(Vec::new()),
            rt: Default::default(),
        })
    }

    #[inline]
    pub fn variant(&self, v: Variant) -> bool {
        self.variants.has(v)
    }

    /// Create a task (its id is the CPU number in traces). The scenario's own thread is
    /// the first task, `cpu0`.
    pub fn new_task(self: &Arc<Self>, name: &str) -> Arc<Task> {
        let id = self.next_task.fetch_add(1, Ordering::SeqCst);
        self.rec.with(|r| {
            r.tasks.push(TaskRecord {
                name: name.to_string(),
                ..Default::default()
            })
        });
        let task = Arc::new(Task::new(id, name, Arc::clone(self)));
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.push(Arc::downgrade(&task));
        task
    }

    /// The task encoded in a mutex owner word (`__owner_task`), if it still exists.
    pub fn task_of_owner(&self, owner_word: usize) -> Option<Arc<Task>> {
        let id = (owner_word >> 3).checked_sub(1)?;
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.get(id).and_then(Weak::upgrade)
    }

    /// How many tasks this execution has created.
    pub fn task_count(&self) -> usize {
        self.next_task.load(Ordering::SeqCst) as usize
    }

    /// Every task of this execution that still exists (the scheduler's view, for the
    /// proxy-execution rule of `model::task`).
    pub fn each_task(&self, mut f: impl FnMut(&Arc<Task>)) {
        let tasks: Vec<Arc<Task>> = {
            let g = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            g.iter().filter_map(Weak::upgrade).collect()
        };
        tasks.iter().for_each(&mut f);
    }

    /// Spawn a model task running `f` on its own (model) thread; returns the task (to send
    /// it signals) and the handle to join.
    pub fn spawn<F, T>(self: &Arc<Self>, name: &str, f: F) -> (Arc<Task>, thread::JoinHandle<T>)
    where
        F: FnOnce(Arc<Task>) -> T + Send + 'static,
        T: Send + 'static,
    {
        let task = self.new_task(name);
        let thread_name = format!("cpu{} {name}", task.id);
        let handle_task = Arc::clone(&task);
        let handle = thread::spawn(thread_name, move || {
            let rec = Arc::clone(&task.machine.rec);
            let id = task.id;
            let out = f(task);
            rec.with(|r| r.tasks[id as usize].done = true);
            out
        });
        (handle_task, handle)
    }

    /// Report a property failure and abort the execution (what the kernel would crash
    /// on: a use after free, a BUG_ON, or a model property that is no kernel WARN).
    pub fn fail(&self, property: Property, message: String) -> ! {
        raise(&self.rec, property, message)
    }

    /// A kernel WARN on `task`: recorded, and the execution continues
    /// ([`crate::model::trace::warn`]).
    pub fn warn(&self, task: u16, property: Property, message: String) {
        crate::model::trace::warn(&self.rec, task, property, message)
    }

    /// End of an execution: a WARN that fired and led to nothing else is the failure.
    pub fn raise_warnings(&self) {
        if let Some(w) = self.rec.warnings().into_iter().next() {
            raise(&self.rec, w.property, w.message)
        }
    }

    /// Note that `task` blocks on lock `lock` (for the wait-for report).
    pub fn set_blocked(&self, task: u16, what: Option<(String, usize)>) {
        self.rec.with(|r| {
            // Lock waits only: joins and completions have no holder (`usize::MAX`).
            let on_lock = what.as_ref().is_some_and(|(_, l)| *l != usize::MAX);
            r.lock_wait.mark(task as usize, on_lock);
            let t = &mut r.tasks[task as usize];
            match what {
                Some((desc, lock)) => {
                    t.blocked_on = Some(desc);
                    t.blocked_lock = Some(lock);
                }
                None => {
                    t.blocked_on = None;
                    t.blocked_lock = None;
                }
            }
        });
    }

    /// Ghost holder of a lock (mutual exclusion and wait-for reports).
    pub fn set_holder(&self, lock: usize, holder: Option<u16>) -> Option<u16> {
        self.rec.with(|r| {
            let l = &mut r.locks[lock];
            let old = std::mem::replace(&mut l.holder, holder);
            if old.is_some() && old != holder {
                l.releases += 1;
            }
            old
        })
    }

    /// A retry point at the head of a kernel retry loop (`site` names the loop in kernel
    /// terms). `counters` are the loop-carried counters the kernel itself has (never the
    /// model's own bounds); `state` is the area's abstract object state, hashed by the
    /// caller inside its own step (so that it is a consistent snapshot). Reports a
    /// `livelock` if the global state repeats with every live task having retried in
    /// between (a lasso, [`crate::model::progress`]). Not a scheduling point: it adds
    /// nothing the checkers see.
    #[track_caller]
    pub fn retry_point(
        &self,
        cur: &Task,
        site: &'static str,
        counters: &[(&'static str, u64)],
        state: u64,
    ) {
        if !self.lasso {
            return;
        }
        let verdict = self
            .rec
            .with(|r| crate::model::progress::retry_point(r, cur.id, site, counters, state));
        if let crate::model::progress::RetryVerdict::Lasso(msg) = verdict {
            self.fail(Property::Livelock, msg);
        }
    }

    /// `cur` completed a scenario operation (a fault that finally accessed its page, a
    /// GPU fault that returned, a drm_exec transaction that locked its set): the
    /// progress counter of the lasso fingerprint.
    pub fn op_done(&self, cur: &Task) {
        self.rec.with(|r| r.progress.op_done(cur.id));
    }

    pub fn holder(&self, lock: usize) -> Option<u16> {
        self.rec.with(|r| r.locks[lock].holder)
    }

    /// Join a model task (`cur` waits for it), propagating a failure raised inside it.
    pub fn join<T>(&self, cur: &Task, h: thread::JoinHandle<T>) -> T {
        self.set_blocked(
            cur.id,
            Some((
                "join (waiting for its tasks to exit)".to_string(),
                usize::MAX,
            )),
        );
        let r = h.join();
        self.set_blocked(cur.id, None);
        match r {
            Ok(v) => v,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}
