//! JUnit XML (`--junit`) through `quick-junit`, the shape CI systems read: one testsuite per
//! profile, one testcase per scenario run. A failure's message is its root cause, its type
//! the finding's code, its body the exchange. Every suite carries the run's properties, and an
//! interrupted run adds an error testcase so that CI cannot read it as complete. Validated
//! against Jenkins' JUnit schema in `tests/reports.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{ReportError, RunInfo};
use crate::engine::runner::{ScenarioOutcome, StepFailure, Verdict};

/// The suite and testcase an interrupted run adds.
const RUN_SUITE: &str = "scim-harness";
const INTERRUPTED: &str = "run interrupted";

pub fn render(outcomes: &[ScenarioOutcome], info: &RunInfo) -> Result<String, ReportError> {
    let mut by_profile: BTreeMap<&str, Vec<&ScenarioOutcome>> = BTreeMap::new();
    for o in outcomes {
        by_profile.entry(o.profile.as_str()).or_default().push(o);
    }
    let started = info.started_at.fixed_offset();
    let mut report = Report::new("scim-harness");
    report
        .set_timestamp(started)
        .set_time(Duration::from_millis(info.duration_ms));
    for (profile, cases) in by_profile {
        let mut suite = TestSuite::new(profile);
        suite
            .set_timestamp(started)
            .set_time(Duration::from_millis(
                cases.iter().map(|c| c.duration_ms).sum(),
            ))
            .add_properties(properties(info, profile));
        suite.add_test_cases(cases.into_iter().map(testcase));
        report.add_test_suite(suite);
    }
    if let Some(stop) = &info.interrupted {
        // CI shows suites and cases, not properties: the interruption is an error it counts.
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(stop.line())
            .set_type("interrupted")
            .set_description(format!(
                "the run was stopped by {}; the scenario in progress was cut short and cleaned up, {} scenario runs were never started",
                stop.cause, stop.not_run
            ));
        let mut case = TestCase::new(INTERRUPTED, status);
        case.set_classname(RUN_SUITE);
        let mut suite = TestSuite::new(RUN_SUITE);
        suite
            .set_timestamp(started)
            .add_properties(properties(info, RUN_SUITE))
            .add_test_case(case);
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| ReportError::Render {
        format: "JUnit",
        reason: e.to_string(),
    })
}

/// What every suite says about the run: CI systems show suite properties, not the top.
fn properties(info: &RunInfo, profile: &str) -> Vec<Property> {
    let mut list = vec![
        Property::new("tool", info.tool.as_str()),
        Property::new("target", info.target.as_str()),
        Property::new("prefix", info.prefix.as_str()),
        Property::new(
            "interrupted",
            if info.interrupted.is_some() {
                "true"
            } else {
                "false"
            },
        ),
    ];
    if let Some(stop) = &info.interrupted {
        list.push(Property::new("stopped_by", stop.cause.as_str()));
    }
    for (key, value) in info.profiles.get(profile).into_iter().flatten() {
        list.push(Property::new(format!("option.{key}"), value.as_str()));
    }
    list
}

fn testcase(c: &ScenarioOutcome) -> TestCase {
    let status = match (&c.verdict, &c.failure) {
        (Verdict::Skipped, _) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(c.warnings.join("; "));
            s
        }
        (Verdict::Passed, _) | (_, None) => TestCaseStatus::success(),
        (Verdict::KnownFailure, Some(f)) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("known failure: {}", f.message));
            s
        }
        (verdict, Some(f)) => {
            let kind = if *verdict == Verdict::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            // The message is the root cause; the body adds its exchange, what the IdP does,
            // and the failed step that followed from it.
            let (message, ty) = match &f.cause {
                Some(cause) => (
                    format!("{} {}", cause.code, cause.title),
                    cause.code.as_str().to_string(),
                ),
                None => (f.message.clone(), "F-STATE".to_string()),
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(message)
                .set_type(ty)
                .set_description(failure_body(f));
            s
        }
    };
    let mut case = TestCase::new(c.scenario.as_str(), status);
    case.set_classname(c.profile.as_str())
        .set_time(Duration::from_millis(c.duration_ms));
    // GitLab links a testcase to its file through this attribute.
    case.extra.insert("file".into(), c.file.as_str().into());
    case
}

/// The text of a failure element: the root cause's exchange and consequence, then the step.
fn failure_body(f: &StepFailure) -> String {
    let mut body = String::new();
    if let Some(c) = &f.cause {
        if let Some(x) = &c.exchange {
            body.push_str(&format!("exchange: {}\n", x.line()));
            if let Some(r) = &x.request {
                body.push_str(&format!("request: {r}\n"));
            }
        }
        body.push_str(&format!(
            "the IdP: {}\njudged by: {}\n",
            c.consequence, c.reference
        ));
    }
    body.push_str(&format!(
        "step {} ({}, line {}): {}",
        f.step, f.keyword, f.line, f.message
    ));
    if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
        body.push_str(&format!("\nexpected:\n{e}\nactual:\n{a}"));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner::StepFailure;

    fn outcome(name: &str, verdict: Verdict, failure: Option<StepFailure>) -> ScenarioOutcome {
        ScenarioOutcome {
            scenario: name.into(),
            file: format!("scenarios/{name}.yaml"),
            symptom: String::new(),
            profile: "entra".into(),
            verdict,
            failure,
            warnings: vec![],
            requests: 3,
            duration_ms: 1500,
            log: Default::default(),
            findings: vec![],
            directories: vec![],
        }
    }

    #[test]
    fn failures_and_errors_are_counted_and_escaped() {
        let f = StepFailure {
            step: 4,
            line: 17,
            keyword: "expect",
            message: "user `a` <active> is \"true\"".into(),
            expected: Some("active: false".into()),
            actual: Some("active: true".into()),
            exchange: None,
            code: None,
            cause: None,
        };
        let info = RunInfo::new(
            chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
                .expect("time")
                .to_utc(),
        );
        let xml = render(
            &[
                outcome("ok", Verdict::Passed, None),
                outcome("bad", Verdict::Failed, Some(f.clone())),
                outcome("down", Verdict::TargetError, Some(f)),
            ],
            &info,
        )
        .expect("renders");
        assert!(
            xml.contains(
                "<testsuite name=\"entra\" tests=\"3\" skipped=\"0\" errors=\"1\" failures=\"1\" timestamp=\"2026-03-01T10:00:00.000+00:00\" time=\"4.500\">"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"ok\" classname=\"entra\" time=\"1.500\" file=\"scenarios/ok.yaml\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"user `a` &lt;active&gt; is &quot;true&quot;\" type=\"F-STATE\">step 4 (expect, line 17)"),
            "{xml}"
        );
        assert!(xml.contains("<error message="), "{xml}");
        assert!(
            xml.contains("<property name=\"interrupted\" value=\"false\"/>"),
            "{xml}"
        );
        assert!(!xml.contains(INTERRUPTED), "{xml}");
    }

    #[test]
    fn an_interrupted_run_is_an_error_ci_counts() {
        let mut info = RunInfo::new(chrono::Utc::now());
        info.interrupted = Some(crate::report::Interruption {
            cause: "SIGINT".into(),
            not_run: 2,
        });
        let xml = render(&[outcome("ok", Verdict::Passed, None)], &info).expect("renders");
        assert!(
            xml.contains("<testsuites name=\"scim-harness\" tests=\"2\" skipped=\"0\" failures=\"0\" errors=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("<error message=\"stopped by SIGINT: 2 scenario runs not run\" type=\"interrupted\">"),
            "{xml}"
        );
        assert_eq!(
            xml.matches("<property name=\"interrupted\" value=\"true\"/>")
                .count(),
            2,
            "every suite says so: {xml}"
        );
    }
}
