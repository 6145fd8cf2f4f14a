//! Chrome trace-event JSON of a failing execution, for ui.perfetto.dev (or
//! chrome://tracing): one track (thread) per CPU with its kernel calls and sleeps as
//! spans, notes and wakeups as short slices, `wake_up_process` drawn as a flow arrow to
//! the woken CPU, and one track per (CPU, lock) with the lock hold spans from acquisition
//! to release. Time is logical: event `i` of the trace starts at `10 * i` µs.

use super::{Timeline, hold_change, span_ends};
use crate::model::trace::{Ev, Event};
use serde_json::{Value, json};

const PID: u64 = 1;
const STEP: u64 = 10;

fn cpu_tid(cpu: usize) -> u64 {
    cpu as u64 + 1
}

fn hold_tid(cpu: usize, lock: usize) -> u64 {
    1000 + cpu as u64 * 100 + lock as u64
}

fn slice(name: String, tid: u64, ts: u64, dur: u64, cat: &str, args: Value) -> Value {
    json!({"ph": "X", "pid": PID, "tid": tid, "ts": ts, "dur": dur, "name": name, "cat": cat, "args": args})
}

fn thread_meta(tid: u64, name: String, sort: u64) -> [Value; 2] {
    [
        json!({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": {"name": name}}),
        json!({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": sort}}),
    ]
}

/// Render `timeline` (the failing execution of `title`, which broke `failure`).
pub fn render(title: &str, failure: &str, timeline: &Timeline) -> Value {
    let events = &timeline.events;
    let n = events.len() as u64;
    let ends = span_ends(events);
    let mut closes = vec![false; events.len()];
    for end in ends.iter().flatten() {
        if let Some(c) = closes.get_mut(*end) {
            *c = true;
        }
    }
    let mut out: Vec<Value> = vec![
        json!({"ph": "M", "pid": PID, "name": "process_name", "args": {"name": format!("ttm-model: {title}")}}),
    ];
    for cpu in 0..timeline.cpus() {
        out.extend(thread_meta(
            cpu_tid(cpu),
            timeline.cpu_label(cpu),
            cpu as u64 * 100,
        ));
    }
    // Locks by first appearance, for the hold tracks.
    let mut locks: Vec<String> = Vec::new();
    let mut holds: Vec<(usize, usize, u64)> = Vec::new(); // (cpu, lock, start ts)
    let mut hold_tracks: Vec<(usize, usize)> = Vec::new();
    let mut flow_id = 0u64;
    for (i, e) in events.iter().enumerate() {
        let ts = i as u64 * STEP;
        let cpu = e.task as usize;
        let tid = cpu_tid(cpu);
        let text = body(e);
        match (&e.kind, ends[i]) {
            (Ev::Call { .. }, Some(end)) => {
                let (end_ts, result) = if end < events.len() {
                    (end as u64 * STEP + 6, body(&events[end]))
                } else {
                    (
                        n * STEP + 8,
                        "still blocked at the end of the execution".into(),
                    )
                };
                out.push(slice(
                    text,
                    tid,
                    ts,
                    end_ts - ts,
                    "call",
                    json!({ "result": result }),
                ));
            }
            (Ev::Sleep { .. }, Some(end)) => {
                let end_ts = if end < events.len() {
                    end as u64 * STEP + 3
                } else {
                    n * STEP + 7
                };
                out.push(slice(text, tid, ts, end_ts - ts, "sleep", json!({})));
            }
            // Returns that close a call span are shown on the span.
            (Ev::Ret { .. }, _) if closes[i] => {}
            (Ev::Woken, _) => {
                out.push(slice(text, tid, ts + 4, 1, "wakeup", json!({})));
            }
            (Ev::Wake { target, .. }, _) => {
                out.push(slice(text, tid, ts + 1, 1, "wakeup", json!({})));
                let woken = events[i + 1..]
                    .iter()
                    .position(|x| x.task == *target && matches!(x.kind, Ev::Woken));
                if let Some(k) = woken {
                    flow_id += 1;
                    let wts = (i + 1 + k) as u64 * STEP + 4;
                    out.push(json!({"ph": "s", "pid": PID, "tid": tid, "ts": ts + 1, "id": flow_id, "name": "wakeup", "cat": "wakeup"}));
                    out.push(json!({"ph": "f", "bp": "e", "pid": PID, "tid": cpu_tid(*target as usize), "ts": wts, "id": flow_id, "name": "wakeup", "cat": "wakeup"}));
                }
            }
            _ => out.push(slice(text, tid, ts + 1, 1, "event", json!({}))),
        }
        if let Some((acquire, obj)) = hold_change(&e.kind) {
            let lock = match locks.iter().position(|l| l == obj) {
                Some(l) => l,
                None => {
                    locks.push(obj.to_string());
                    locks.len() - 1
                }
            };
            if acquire {
                holds.push((cpu, lock, ts + 2));
            } else if let Some(p) = holds.iter().position(|h| h.0 == cpu && h.1 == lock) {
                let (_, _, start) = holds.remove(p);
                out.push(hold(&locks[lock], cpu, lock, start, ts, false));
                hold_tracks.push((cpu, lock));
            }
        }
    }
    for (cpu, lock, start) in holds {
        out.push(hold(&locks[lock], cpu, lock, start, n * STEP + 9, true));
        hold_tracks.push((cpu, lock));
    }
    hold_tracks.sort_unstable();
    hold_tracks.dedup();
    for (cpu, lock) in hold_tracks {
        out.extend(thread_meta(
            hold_tid(cpu, lock),
            format!("cpu{cpu} holds {}", locks[lock]),
            cpu as u64 * 100 + 1 + lock as u64,
        ));
    }
    out.push(json!({"ph": "i", "s": "g", "pid": PID, "tid": cpu_tid(0), "ts": n * STEP + 9, "name": format!("FAILED {failure}"), "cat": "failure"}));
    json!({
        "traceEvents": out,
        "displayTimeUnit": "ms",
        "otherData": {"title": title, "failure": failure, "time": "logical: event i at 10*i us"},
    })
}

fn hold(name: &str, cpu: usize, lock: usize, start: u64, end: u64, at_end: bool) -> Value {
    slice(
        format!("holds {name}"),
        hold_tid(cpu, lock),
        start,
        end.saturating_sub(start).max(1),
        "lock",
        json!({"held_at_end": at_end}),
    )
}

/// The event without its `cpuN ` prefix.
fn body(e: &Event) -> String {
    let s = e.to_string();
    match s.split_once(' ') {
        Some((_, rest)) => rest.to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn trace_is_well_formed_and_nested() {
        let t = crate::report::tests::abba();
        let v = render("abba", "deadlock: all tasks blocked", &t);
        let evs = v["traceEvents"].as_array().unwrap();
        // Every slice is on a named thread, and slices of one thread nest properly.
        let named: Vec<u64> = evs
            .iter()
            .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
            .map(|e| e["tid"].as_u64().unwrap())
            .collect();
        let mut by_tid: HashMap<u64, Vec<(u64, u64)>> = HashMap::new();
        for e in evs.iter().filter(|e| e["ph"] == "X") {
            let tid = e["tid"].as_u64().unwrap();
            assert!(named.contains(&tid), "unnamed track {tid}");
            let ts = e["ts"].as_u64().unwrap();
            by_tid
                .entry(tid)
                .or_default()
                .push((ts, ts + e["dur"].as_u64().unwrap()));
        }
        for (tid, mut spans) in by_tid {
            spans.sort_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
            let mut stack: Vec<(u64, u64)> = Vec::new();
            for (s, e) in spans {
                while stack.last().is_some_and(|&(_, pe)| pe <= s) {
                    stack.pop();
                }
                if let Some(&(_, pe)) = stack.last() {
                    assert!(e <= pe, "misnested slices on track {tid}");
                }
                stack.push((s, e));
            }
        }
        // Holds: cpu1 held A (released), cpu2 holds B and A at the end.
        let holds: Vec<(String, bool)> = evs
            .iter()
            .filter(|e| e["cat"] == "lock")
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_string(),
                    e["args"]["held_at_end"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(holds.len(), 3, "{holds:?}");
        assert!(holds.contains(&("holds A".into(), false)));
        assert!(holds.contains(&("holds B".into(), true)));
        // The wakeup is a flow from cpu2 to cpu1.
        let s = evs.iter().find(|e| e["ph"] == "s").expect("flow start");
        let f = evs.iter().find(|e| e["ph"] == "f").expect("flow end");
        assert_eq!(s["id"], f["id"]);
        assert_eq!(s["tid"], cpu_tid(2));
        assert_eq!(f["tid"], cpu_tid(1));
        // The sleep that never ends is open to the end.
        let sleeps = evs.iter().filter(|e| e["cat"] == "sleep").count();
        assert_eq!(sleeps, 2);
        assert!(
            evs.iter()
                .any(|e| e["name"] == "ww_mutex_lock(B, ctx#1 stamp=1)"
                    && e["args"]["result"] == "ww_mutex_lock(B) -> -EDEADLK")
        );
    }
}
