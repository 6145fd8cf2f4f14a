//! Mermaid sequence diagram of a failing execution: one participant per CPU, then one per
//! object in order of first use; a call is an arrow from the CPU to the object, its return
//! an arrow back, `wake_up_process` an arrow between CPUs, sleeps and notes are notes over
//! the CPU. Paste it into any Mermaid renderer (GitHub renders ```mermaid blocks).

use super::Timeline;
use crate::model::trace::{Ev, errno_name};

/// A participant id Mermaid accepts (letters, digits, underscore).
fn ident(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}{clean}")
}

/// Message text: no `;` (a statement separator), `#` as an entity, one line.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Render `timeline` as a Mermaid `sequenceDiagram` titled `title`.
pub fn render(title: &str, failure: &str, timeline: &Timeline) -> String {
    let mut out = String::from("sequenceDiagram\n");
    out.push_str(&format!("    title {}\n", text(title)));
    for cpu in 0..timeline.cpus() {
        out.push_str(&format!(
            "    participant cpu{cpu} as {}\n",
            text(&timeline.cpu_label(cpu))
        ));
    }
    let mut objects: Vec<String> = Vec::new();
    for e in &timeline.events {
        if let Ev::Call { obj, .. } | Ev::Ret { obj, .. } | Ev::Sleep { obj } = &e.kind
            && !objects.iter().any(|o| **o == **obj)
        {
            objects.push(obj.to_string());
        }
    }
    for o in &objects {
        out.push_str(&format!(
            "    participant {} as {}\n",
            ident("o_", o),
            text(o)
        ));
    }
    for e in &timeline.events {
        let cpu = format!("cpu{}", e.task);
        let line = match &e.kind {
            Ev::Call { f, obj, ctx } => {
                let ctx = ctx.map_or(String::new(), |(id, stamp)| {
                    format!(", ctx#{id} stamp={stamp}")
                });
                format!(
                    "{cpu}->>{}: {}",
                    ident("o_", obj),
                    text(&format!("{f}({obj}{ctx})"))
                )
            }
            Ev::Ret { f, obj, ret } => format!(
                "{}-->>{cpu}: {}",
                ident("o_", obj),
                text(&format!("{f} -> {}", errno_name(*ret)))
            ),
            Ev::Sleep { obj } => format!(
                "Note over {cpu}: {}",
                text(&format!("schedule() waiting for {obj}"))
            ),
            Ev::Woken => format!("Note over {cpu}: woken"),
            Ev::Wake { target, why } => format!(
                "{cpu}-)cpu{target}: {}",
                text(&format!("wake_up_process [{why}]"))
            ),
            Ev::Note(s) => format!("Note over {cpu}: {}", text(s)),
        };
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "    Note over cpu0: {}\n",
        text(&format!("FAILED {failure}"))
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagram_names_cpus_objects_and_messages() {
        let t = crate::report::tests::abba();
        let d = render("abba-ww (wake-q-unflushed)", "deadlock", &t);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines[0], "sequenceDiagram");
        assert!(lines.contains(&"    participant cpu1 as cpu1 (ctx_ab)"));
        assert!(lines.contains(&"    participant o_A as A"));
        assert!(lines.contains(&"    cpu1->>o_B: ww_mutex_lock(B, ctx#35;1 stamp=1)"));
        assert!(lines.contains(&"    o_B-->>cpu1: ww_mutex_lock -> -EDEADLK"));
        assert!(lines.contains(&"    cpu2-)cpu1: wake_up_process [wound]"));
        assert!(lines.contains(&"    Note over cpu1: schedule() waiting for C"));
        // Every participant used in a message is declared.
        for l in &lines[1..] {
            for p in l
                .split([' ', ':', '>', '-', ')'])
                .filter(|w| w.starts_with("o_"))
            {
                assert!(d.contains(&format!("participant {p} ")), "{p} undeclared");
            }
        }
        assert_eq!(text("a;b #1"), "a#59;b #35;1");
    }
}
