//! What a hunt writes besides the replay file: the structured timeline of a failing
//! execution, rendered as a Perfetto / Chrome trace-event JSON (`perfetto`) and a Mermaid
//! sequence diagram (`mermaid`), and the JUnit report of a whole hunt (`junit`).

pub mod junit;
pub mod mermaid;
pub mod perfetto;

use crate::model::trace::{Ev, Event, Record};

/// The events of one execution with the names of its tasks (task id = CPU number).
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Task names, indexed by task id (`cpuN`).
    pub tasks: Vec<String>,
    pub events: Vec<Event>,
}

impl Timeline {
    /// Snapshot the record of an execution.
    pub fn from_record(rec: &Record) -> Timeline {
        Timeline {
            tasks: rec.with(|r| r.tasks.iter().map(|t| t.name.clone()).collect()),
            events: rec.events(),
        }
    }

    /// Number of CPUs that appear (tasks registered or named by an event).
    pub fn cpus(&self) -> usize {
        let from_events = self
            .events
            .iter()
            .map(|e| match &e.kind {
                Ev::Wake { target, .. } => e.task.max(*target) as usize + 1,
                _ => e.task as usize + 1,
            })
            .max()
            .unwrap_or(0);
        from_events.max(self.tasks.len())
    }

    /// `cpuN (name)` for the task, as in the text trace.
    pub fn cpu_label(&self, cpu: usize) -> String {
        match self.tasks.get(cpu) {
            Some(name) => format!("cpu{cpu} ({name})"),
            None => format!("cpu{cpu}"),
        }
    }
}

/// How an event changes what its CPU holds, by the kernel function's name: a lock
/// function returning success acquires (trylocks return 1), an unlock call releases.
/// Generic over ww_mutex, mutex, dma_resv and page locks, so new models get hold spans
/// without touching the renderers.
pub(crate) fn hold_change(ev: &Ev) -> Option<(bool, &str)> {
    match ev {
        Ev::Ret { f, obj, ret } if is_acquire(f) => {
            let ok = if f.contains("trylock") {
                *ret == 1
            } else {
                *ret == 0
            };
            ok.then_some((true, &**obj))
        }
        Ev::Call { f, obj, .. } if f.contains("unlock") => Some((false, &**obj)),
        _ => None,
    }
}

fn is_acquire(f: &str) -> bool {
    f.contains("lock") && !f.contains("unlock") && !f.contains("is_locked")
}

/// For each event index, the index of the event that ends it when it opens a span on its
/// CPU: a call ends at its return (`Ret` of the same function and object before the CPU's
/// next call), a sleep at the next `Woken` of the CPU. `None`: an instant, or still open at
/// the end of the execution (`Some(len)`).
pub(crate) fn span_ends(events: &[Event]) -> Vec<Option<usize>> {
    let n = events.len();
    let mut ends = vec![None; n];
    for (i, e) in events.iter().enumerate() {
        let later = events[i + 1..]
            .iter()
            .enumerate()
            .filter(|(_, x)| x.task == e.task);
        match &e.kind {
            Ev::Call { f, obj, .. } => {
                // Its return, unless the CPU calls or returns from something else first;
                // running into the end of the execution = blocked in it (an unlock, which
                // has no return event, is an instant).
                let mut end = (!f.contains("unlock")).then_some(n);
                for (k, x) in later {
                    match &x.kind {
                        Ev::Ret { f: g, obj: o, .. } if g == f && o == obj => {
                            end = Some(i + 1 + k);
                            break;
                        }
                        Ev::Call { .. } | Ev::Ret { .. } => {
                            end = None;
                            break;
                        }
                        _ => {}
                    }
                }
                ends[i] = end;
            }
            Ev::Sleep { .. } => {
                ends[i] = Some(
                    later
                        .into_iter()
                        .find(|(_, x)| matches!(x.kind, Ev::Woken))
                        .map_or(n, |(k, _)| i + 1 + k),
                );
            }
            _ => {}
        }
    }
    ends
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Arc;

    /// ABBA: cpu1 holds A and sleeps on B; cpu2 holds B, wakes cpu1, then blocks on A.
    pub fn abba() -> Timeline {
        let name = |s: &str| -> Arc<str> { Arc::from(s) };
        let ev = |task, kind| Event { task, kind };
        let call = |f, o: &str| Ev::Call {
            f,
            obj: name(o),
            ctx: Some((task_ctx(o), 1)),
        };
        fn task_ctx(o: &str) -> usize {
            o.len()
        }
        let ret = |f, o: &str, r| Ev::Ret {
            f,
            obj: name(o),
            ret: r,
        };
        Timeline {
            tasks: vec!["main".into(), "ctx_ab".into(), "ctx_ba".into()],
            events: vec![
                ev(1, call("ww_mutex_lock", "A")),
                ev(1, ret("ww_mutex_lock", "A", 0)),
                ev(2, call("ww_mutex_lock", "B")),
                ev(2, ret("ww_mutex_lock", "B", 0)),
                ev(1, call("ww_mutex_lock", "B")),
                ev(1, Ev::Sleep { obj: name("B") }),
                ev(
                    2,
                    Ev::Wake {
                        target: 1,
                        why: "wound",
                    },
                ),
                ev(1, Ev::Woken),
                ev(1, ret("ww_mutex_lock", "B", -35)),
                ev(1, call("ww_mutex_unlock", "A")),
                ev(2, call("ww_mutex_lock", "A")),
                ev(2, ret("ww_mutex_lock", "A", 0)),
                ev(1, Ev::Note("ww_acquire_fini(ctx#1)".into())),
                ev(1, call("ww_mutex_lock", "C")),
                ev(1, Ev::Sleep { obj: name("C") }),
            ],
        }
    }

    #[test]
    fn spans_pair_calls_and_sleeps() {
        let t = abba();
        let ends = span_ends(&t.events);
        assert_eq!(ends[0], Some(1), "lock A returns at once");
        assert_eq!(ends[4], Some(8), "lock B returns -EDEADLK after the sleep");
        assert_eq!(ends[5], Some(7), "the sleep ends when woken");
        assert_eq!(ends[9], None, "unlock is an instant");
        assert_eq!(ends[13], Some(t.events.len()), "blocked at the end");
        assert_eq!(ends[14], Some(t.events.len()), "asleep at the end");
        assert_eq!(t.cpus(), 3);
    }

    #[test]
    fn holds_follow_lock_returns() {
        let t = abba();
        let changes: Vec<_> = t
            .events
            .iter()
            .filter_map(|e| hold_change(&e.kind).map(|(a, o)| (e.task, a, o.to_string())))
            .collect();
        assert_eq!(
            changes,
            vec![
                (1, true, "A".to_string()),
                (2, true, "B".to_string()),
                (1, false, "A".to_string()),
                (2, true, "A".to_string()),
            ]
        );
    }
}
