//! JUnit XML of a hunt (`hunt --junit FILE`), through the `quick-junit` crate: one test
//! case per (scenario, variant) pair; a failure carries the property, the message, the
//! replay command and the trace; pairs an interruption left unexplored are skipped.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The result of one pair, as the JUnit writer needs it.
pub struct Case<'a> {
    pub scenario: &'a str,
    pub area: &'a str,
    pub variant: Option<&'a str>,
    pub executions: usize,
    pub elapsed: Duration,
    /// `Some((property, message, replay command, trace))` when it failed.
    pub failure: Option<(String, String, String, &'a [String])>,
    /// Explored without a failure, but not exhaustively (budget spent).
    pub incomplete: bool,
    /// Not explored (the hunt was interrupted first).
    pub skipped: bool,
}

/// The test case name of a pair: `scenario [variant]` (`fixed` for the fixed model).
pub fn case_name(scenario: &str, variant: Option<&str>) -> String {
    format!("{scenario} [{}]", variant.unwrap_or("fixed"))
}

/// Render the report of a hunt with `engine` over `cases`.
pub fn render(engine: &str, elapsed: Duration, cases: &[Case]) -> Result<String, String> {
    let mut suite = TestSuite::new(format!("ttm-model hunt ({engine})"));
    suite.set_time(elapsed);
    for c in cases {
        let status = if c.skipped {
            let mut s = TestCaseStatus::skipped();
            s.set_message("not explored: the hunt was interrupted");
            s
        } else if let Some((property, message, replay, trace)) = &c.failure {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(property.as_str());
            s.set_message(format!("{property}: {message}"));
            s.set_description(format!(
                "{property}: {message}\nreplay: {replay}\n\n{}",
                trace.join("\n")
            ));
            s
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(case_name(c.scenario, c.variant), status);
        case.set_classname(format!("ttm-model.{}.{}", c.area, c.scenario));
        case.set_time(c.elapsed);
        case.set_system_out(format!(
            "{} executions{}",
            c.executions,
            if c.incomplete {
                " (budget spent: exploration incomplete, not a proof)"
            } else {
                ""
            }
        ));
        suite.add_test_case(case);
    }
    let mut report = Report::new("ttm-model");
    report.set_time(elapsed);
    report.add_test_suite(suite);
    report.to_string().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_case_per_pair_failure_carries_property_and_replay() {
        let trace = vec!["cpu1 ww_mutex_lock(B) -> -EDEADLK".to_string()];
        let cases = [
            Case {
                scenario: "abba-wd",
                area: "ww",
                variant: None,
                executions: 10,
                elapsed: Duration::from_millis(5),
                failure: None,
                incomplete: true,
                skipped: false,
            },
            Case {
                scenario: "contend3-wd",
                area: "ww",
                variant: Some("no-backoff-wake"),
                executions: 3,
                elapsed: Duration::from_millis(5),
                failure: Some((
                    "deadlock".into(),
                    "all tasks blocked <&>".into(),
                    "cargo run --release -- replay dir".into(),
                    &trace,
                )),
                incomplete: false,
                skipped: false,
            },
            Case {
                scenario: "ring2-wd",
                area: "ww",
                variant: None,
                executions: 0,
                elapsed: Duration::ZERO,
                failure: None,
                incomplete: true,
                skipped: true,
            },
        ];
        let xml = render("shuttle", Duration::from_secs(1), &cases).unwrap();
        assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
        assert!(
            xml.contains(r#"tests="3""#) && xml.contains(r#"failures="1""#),
            "{xml}"
        );
        assert!(xml.contains(r#"name="contend3-wd [no-backoff-wake]""#));
        assert!(xml.contains(r#"type="deadlock""#));
        assert!(xml.contains("replay: cargo run --release -- replay dir"));
        assert!(
            xml.contains("all tasks blocked &lt;&amp;&gt;"),
            "escaped by quick-junit"
        );
        assert!(xml.contains("<skipped"));
    }
}
