//! The `ttm-model` binary as a user (or CI) runs it: interruption, replay exit codes,
//! scenario-file errors, JUnit and the per-failure outputs. Default (shuttle) build.
#![cfg(all(feature = "shuttle", not(loom)))]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ttm-model"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ttm-model-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run ttm-model")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Wait for `path` to exist (the hunt has started), then send `signal`, and wait for
/// the exit; returns the output and how long the exit took after the signal.
fn interrupt(mut child: Child, wait_for: &Path, signal: i32) -> (Output, Duration) {
    let start = Instant::now();
    while !wait_for.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{} never appeared",
            wait_for.display()
        );
        if let Some(status) = child.try_wait().expect("poll") {
            panic!("hunt exited before the signal: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on our own child process.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill");
    let sent = Instant::now();
    let out = child.wait_with_output().expect("wait");
    (out, sent.elapsed())
}

fn spawn(args: &[&str]) -> Child {
    bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ttm-model")
}

#[test]
fn sigint_stops_a_long_hunt_and_writes_the_summary_and_junit() {
    let out = tmp("sigint");
    let junit = out.join("junit.xml");
    let child = spawn(&[
        "hunt",
        "--budget",
        "10m",
        "--engine",
        "shuttle",
        "--scenario",
        "abba-wd",
        "--scenario",
        "ring2-wd",
        "--out",
        out.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let (o, took) = interrupt(child, &out, libc::SIGINT);
    let stdout = text(&o.stdout);
    // Well within the 10-minute budget; generous for a loaded 2-core machine.
    assert!(took < Duration::from_secs(10), "took {took:?} to stop");
    assert_eq!(
        o.status.code(),
        Some(130),
        "interrupted, nothing found\n{stdout}"
    );
    assert!(stdout.contains("INTERRUPTED"), "{stdout}");
    assert!(stdout.contains("not run (interrupted)"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert!(xml.contains("<skipped"), "{xml}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["results"].as_array().unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn sigterm_keeps_the_failures_found_so_far() {
    let out = tmp("sigterm");
    // The first pair fails at once, the second (no failure on abba-wd) would run for
    // minutes.
    let child = spawn(&[
        "hunt",
        "--budget",
        "10m",
        "--engine",
        "shuttle",
        "--scenario",
        "contend3-wd",
        "--scenario",
        "abba-wd",
        "--variant",
        "no-backoff-wake",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    let dir = out.join("contend3-wd--no-backoff-wake--deadlock");
    let (o, took) = interrupt(child, &dir.join("failure.json"), libc::SIGTERM);
    assert!(took < Duration::from_secs(10), "took {took:?} to stop");
    assert_eq!(o.status.code(), Some(1), "a failure was found");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json summary");
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["results"][0]["failures"][0]["property"], "deadlock");
    for f in [
        "failure.json",
        "trace.txt",
        "trace.perfetto.json",
        "sequence.mmd",
    ] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_failure_replays_with_exit_1_and_a_stale_schedule_exits_2() {
    let out = tmp("replay");
    let o = run(&[
        "hunt",
        "--engine",
        "shuttle",
        "--scenario-file",
        "scenarios/contend3-wd.toml",
        "--variant",
        "no-backoff-wake",
        "--budget",
        "60s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let dir = out.join("contend3-wd-file--no-backoff-wake--deadlock");
    // The deadlock report names each blocked CPU, what it waits for and who holds it.
    let trace = std::fs::read_to_string(dir.join("trace.txt")).unwrap();
    assert!(trace.contains("[waits for lock"), "{trace}");
    assert!(trace.contains("wait-for cycle: cpu"), "{trace}");
    let perfetto: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("trace.perfetto.json")).unwrap())
            .unwrap();
    assert!(perfetto["traceEvents"].as_array().unwrap().len() > 10);
    let mmd = std::fs::read_to_string(dir.join("sequence.mmd")).unwrap();
    assert!(mmd.starts_with("sequenceDiagram\n"), "{mmd}");

    let o = run(&["replay", dir.to_str().unwrap()]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}{}", text(&o.stderr));
    assert!(
        stdout.contains("reproduced deadlock in contend3-wd-file (variant no-backoff-wake)"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("cpu1 ")),
        "prints the trace"
    );

    // A schedule that no longer fits the model: exit 2, with the re-find command.
    let path = dir.join("failure.json");
    let mut f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f["schedule"]["steps"] = serde_json::json!([0, 7, 7, 7]);
    std::fs::write(&path, serde_json::to_vec(&f).unwrap()).unwrap();
    let o = run(&["replay", path.to_str().unwrap()]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{}{stderr}", text(&o.stdout));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("re-find it with: cargo run --release -- hunt --scenario-file scenarios/contend3-wd.toml --variant no-backoff-wake")
            || stderr.contains("re-find the failure with: cargo run --release -- hunt --scenario-file scenarios/contend3-wd.toml --variant no-backoff-wake"),
        "{stderr}"
    );

    // Not a failure file at all.
    std::fs::write(&path, "{").unwrap();
    let o = run(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stderr).lines().count(), 1);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn malformed_scenario_files_fail_with_file_line_and_column() {
    let out = tmp("badfile");
    std::fs::create_dir_all(&out).unwrap();
    let bad = out.join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\n[[object]]\nkind = \"lock\"\nname = \"A\"\n[[actor]]\nops = [\"ww_mutex_lock B\"]\n",
    )
    .unwrap();
    for cmd in [
        &["list", "--scenario-file"][..],
        &["hunt", "--scenario-file"][..],
    ] {
        let o = bin().args(cmd).arg(&bad).output().unwrap();
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!(
                "ttm-model: {}:6:8: 'ww_mutex_lock B': unknown object 'B' (declared: A)",
                bad.display()
            )
        );
    }
    let o = run(&["list", "--scenario-file", "scenarios/abba-wd.toml"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("abba-wd-file"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn junit_has_one_case_per_pair_and_failures_carry_property_and_replay() {
    let out = tmp("junit");
    let junit = out.join("junit.xml");
    let o = run(&[
        "hunt",
        "--engine",
        "shuttle",
        "--scenario",
        "exec-empty-array",
        "--scenario",
        "abba-wd",
        "--variant",
        "exec-empty-array",
        "--max-executions",
        "300",
        "--out",
        out.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert!(
        xml.contains(r#"name="exec-empty-array [exec-empty-array]""#),
        "{xml}"
    );
    assert!(xml.contains(r#"type="livelock""#), "{xml}");
    assert!(
        xml.contains("replay: cargo run --release -- replay "),
        "{xml}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn same_seed_same_hunt() {
    let hunt = || {
        let out = tmp("seed");
        let o = run(&[
            "hunt",
            "--engine",
            "shuttle",
            "--scenario",
            "contend3-wd",
            "--variant",
            "wake-q-unflushed",
            "--seed",
            "42",
            "--max-executions",
            "200000",
            "--json",
            "--out",
            out.to_str().unwrap(),
        ]);
        let _ = std::fs::remove_dir_all(&out);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = &v["results"][0];
        (r["executions"].clone(), r["failures"][0]["message"].clone())
    };
    let (a, b) = (hunt(), hunt());
    assert_eq!(a, b, "a hunt with the same seed is reproducible");
    assert!(
        a.0.as_u64().unwrap() > 1,
        "needed more than one execution: {a:?}"
    );
}

#[test]
fn help_says_which_engines_this_build_offers() {
    let o = run(&["hunt", "--help"]);
    let s = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        s.contains("This build offers: shuttle, shuttle-pct, portfolio"),
        "{s}"
    );
    assert!(s.contains("RUSTFLAGS=\"--cfg loom\""), "{s}");
    assert!(s.contains("--no-default-features"), "{s}");
}

#[test]
fn version_and_list_name_the_kernel_baseline() {
    let out = run(&["--version"]);
    assert!(text(&out.stdout).contains("kernel baseline: mainline 2026-09-21"));
    let out = run(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["kernel"]
            .as_str()
            .unwrap()
            .starts_with("mainline 2026-09-21")
    );
    let sites = v["fault_sites"].as_array().expect("fault_sites");
    assert!(sites.iter().any(|s| {
        s["name"] == "ttm_tt_swapout"
            && s["errnos"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "-ENOMEM")
    }));
}

#[test]
fn an_older_kernel_is_the_baseline_plus_the_fixes_it_lacks() {
    let out = run(&["list", "--json", "--kernel", "v6.12"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let bugs = v["kernel_version"]["known_bugs"]
        .as_array()
        .expect("known_bugs");
    assert!(bugs.iter().any(|b| b == "exec-empty-array"), "{bugs:?}");
    // ... and the hunt finds it.
    let dir = tmp("kernel612");
    let out = run(&[
        "hunt",
        "--kernel",
        "6.12",
        "--scenario",
        "exec-empty-array",
        "--engine",
        "shuttle",
        "--budget",
        "20s",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["results"][0]["variant"], "kernel-6.12");
    assert_eq!(v["results"][0]["failures"][0]["property"], "livelock");
    // A kernel the registry cannot describe is a one-line error, exit 2.
    let out = run(&["hunt", "--kernel", "5.4"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot describe kernel 5.4") && err.contains("6.6"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_known_finding_is_expected_and_its_proposal_removes_it() {
    let dir = tmp("proposal");
    let out_dir = dir.to_str().unwrap();
    let base = run(&[
        "hunt",
        "--scenario",
        "ttm-unpin-sole-member",
        "--engine",
        "shuttle-pct",
        "--budget",
        "10s",
        "--json",
        "--out",
        out_dir,
    ]);
    assert_eq!(base.status.code(), Some(0), "{}", text(&base.stderr));
    let v: serde_json::Value = serde_json::from_slice(&base.stdout).expect("json");
    assert_eq!(v["known_findings"][0]["scenario"], "ttm-unpin-sole-member");
    assert!(v["results"][0]["failures"].as_array().unwrap().is_empty());
    let fixed = run(&[
        "hunt",
        "--scenario",
        "ttm-unpin-sole-member",
        "--engine",
        "shuttle-pct",
        "--budget",
        "3s",
        "--json",
        "--out",
        out_dir,
        "--proposal",
        "unpin-sole-member-readd",
    ]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stderr));
    let v: serde_json::Value = serde_json::from_slice(&fixed.stdout).expect("json");
    assert!(v["known_findings"].as_array().unwrap().is_empty());
    assert_eq!(v["results"][0]["variant"], "unpin-sole-member-readd");
    let bad = run(&["hunt", "--proposal", "fifo-waiters"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown proposal 'fifo-waiters'"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--config NAME`: an unknown name or one the chosen kernel lacks is a one-line error
/// (exit 2); a failure found under a config records it, and replay turns it back on.
#[test]
fn kernel_config_is_checked_recorded_and_replayed() {
    for args in [
        &["hunt", "--config", "nope", "--budget", "1s"][..],
        &["list", "--config", "nope"][..],
        &[
            "hunt",
            "--config",
            "proxy-exec",
            "--kernel",
            "6.12",
            "--budget",
            "1s",
        ][..],
    ] {
        let o = run(args);
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let o = run(&["hunt", "--config", "nope", "--budget", "1s"]);
    assert!(text(&o.stderr).contains("known: proxy-exec"));

    let out = tmp("config");
    let o = run(&[
        "hunt",
        "--engine",
        "shuttle",
        "--scenario",
        "abba-ww",
        "--variant",
        "drop-wound-clear",
        "--config",
        "proxy-exec",
        "--budget",
        "60s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let dir = out.join("abba-ww--drop-wound-clear--deadlock");
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("failure.json")).unwrap()).unwrap();
    assert_eq!(f["config"], serde_json::json!(["proxy-exec"]));
    assert!(
        f["refind_command"]
            .as_str()
            .unwrap()
            .contains("--config proxy-exec")
    );
    let o = run(&["replay", dir.to_str().unwrap()]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}{}", text(&o.stderr));
    assert!(
        stdout.contains("reproduced deadlock in abba-ww"),
        "{stdout}"
    );
}

/// `--scenario` takes glob patterns; one that matches nothing is a one-line error.
#[test]
fn scenario_globs_select_by_name() {
    let out = run(&[
        "hunt",
        "--scenario",
        "abba-try*-wd",
        "--scenario",
        "abba-try-wd",
        "--max-executions",
        "5",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["scenario"].as_str().expect("name"))
        .collect();
    assert!(names.contains(&"abba-try-wd"), "{names:?}");
    assert!(names.contains(&"abba-try-noresolve-wd"), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("abba-try") && n.ends_with("-wd"))
    );
    assert_eq!(
        names.iter().filter(|n| **n == "abba-try-wd").count(),
        1,
        "a scenario named twice runs once"
    );
    let none = run(&["hunt", "--scenario", "no-such-*"]);
    assert_eq!(none.status.code(), Some(2));
    let err = text(&none.stderr);
    assert!(err.contains("no scenario matches 'no-such-*'"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// `list --area` keeps one area's scenarios and variants; an unknown area says the known ones.
#[test]
fn list_filters_by_area() {
    let out = run(&["list", "--json", "--area", "svm"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let scenarios = v["scenarios"].as_array().expect("scenarios");
    let variants = v["variants"].as_array().expect("variants");
    assert!(!scenarios.is_empty() && !variants.is_empty());
    assert!(scenarios.iter().all(|s| s["area"] == "svm"));
    assert!(variants.iter().all(|s| s["area"] == "svm"));
    let bad = run(&["list", "--area", "gpu"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = text(&bad.stderr);
    assert!(
        err.contains("unknown area 'gpu'") && err.contains("ttm"),
        "{err}"
    );
}

#[test]
fn a_scenario_file_names_its_kernel() {
    // The B8 file, about kernel 6.12: hunted as `--kernel 6.12` without the flag.
    let dir = tmp("file-kernel");
    std::fs::create_dir_all(&dir).unwrap();
    let b8 = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/exec-empty-array.toml"),
    )
    .unwrap()
    .replacen(
        "[[object]]",
        "[options]\nkernel = \"6.12\"\n\n[[object]]",
        1,
    );
    let file = dir.join("b8-612.toml");
    std::fs::write(&file, b8).unwrap();
    let out = run(&[
        "hunt",
        "--scenario-file",
        file.to_str().unwrap(),
        "--engine",
        "shuttle",
        "--budget",
        "20s",
        "--json",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["results"][0]["variant"], "kernel-6.12");
    assert_eq!(v["results"][0]["failures"][0]["property"], "livelock");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `list --formats` prints every area's scenario-file format (markdown tables) and a ttm
/// regression file lists as a ttm scenario.
#[test]
fn list_formats_prints_every_area() {
    let out = run(&["list", "--formats"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    for want in [
        "### Area `ww`",
        "### Area `ttm`",
        "| `ttm_lru_walk_for_evict MEM BEHAVIOUR [TARGET]` | `ttm_lru_walk_for_evict()` |",
        "| `fail SITE ERRNO` |",
    ] {
        assert!(md.contains(want), "no {want} in:\n{md}");
    }
    let out = run(&[
        "list",
        "--json",
        "--scenario-file",
        "tests/regressions/b19-hitch-carried.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = v["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["name"] == "b19-hitch-carried")
        .expect("the file's scenario is listed");
    assert_eq!(s["area"], "ttm");
}
