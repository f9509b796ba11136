//! JUnit XML (`--junit`), one testsuite per profile and one testcase per scenario, the shape
//! CI systems read. Hand-written: the format needs a dozen lines and careful escaping, not a crate.

use std::collections::BTreeMap;

use crate::engine::runner::{ScenarioOutcome, Verdict};

fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

pub fn render(outcomes: &[ScenarioOutcome]) -> String {
    let mut by_profile: BTreeMap<&str, Vec<&ScenarioOutcome>> = BTreeMap::new();
    for o in outcomes {
        by_profile.entry(o.profile.as_str()).or_default().push(o);
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scim-harness\">\n",
    );
    for (profile, cases) in by_profile {
        let failures = cases
            .iter()
            .filter(|c| c.verdict == Verdict::Failed)
            .count();
        let errors = cases
            .iter()
            .filter(|c| c.verdict == Verdict::TargetError)
            .count();
        let time: f64 = cases.iter().map(|c| c.duration_ms as f64 / 1000.0).sum();
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">\n",
            escape(profile),
            cases.len()
        ));
        for c in cases {
            xml.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"{:.3}\"",
                escape(profile),
                escape(&c.scenario),
                escape(&c.file),
                c.duration_ms as f64 / 1000.0
            ));
            match (&c.verdict, &c.failure) {
                (Verdict::Skipped, _) => xml.push_str(&format!(
                    ">\n      <skipped message=\"{}\" />\n    </testcase>\n",
                    escape(&c.warnings.join("; "))
                )),
                (Verdict::Passed, _) | (_, None) => xml.push_str(" />\n"),
                (Verdict::KnownFailure, Some(f)) => xml.push_str(&format!(
                    ">\n      <skipped message=\"known failure: {}\" />\n    </testcase>\n",
                    escape(&f.message)
                )),
                (verdict, Some(f)) => {
                    let tag = if *verdict == Verdict::Failed {
                        "failure"
                    } else {
                        "error"
                    };
                    // The message is the root cause; the body adds its exchange, what the
                    // IdP does, and the failed step that followed from it.
                    let (message, kind) = match &f.cause {
                        Some(c) => (format!("{} {}", c.code, c.title), c.code.as_str()),
                        None => (f.message.clone(), "F-STATE"),
                    };
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
                    xml.push_str(&format!(
                        ">\n      <{tag} message=\"{}\" type=\"{kind}\">{}</{tag}>\n    </testcase>\n",
                        escape(&message),
                        escape(&body)
                    ));
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
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
            log: vec![],
            findings: vec![],
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
        let xml = render(&[
            outcome("ok", Verdict::Passed, None),
            outcome("bad", Verdict::Failed, Some(f.clone())),
            outcome("down", Verdict::TargetError, Some(f)),
        ]);
        assert!(xml.contains(
            "<testsuite name=\"entra\" tests=\"3\" failures=\"1\" errors=\"1\" time=\"4.500\">"
        ));
        assert!(xml.contains("<testcase classname=\"entra\" name=\"ok\" file=\"scenarios/ok.yaml\" time=\"1.500\" />"));
        assert!(xml.contains("<failure message=\"user `a` &lt;active&gt; is &quot;true&quot;\" type=\"F-STATE\">step 4 (expect, line 17)"));
        assert!(xml.contains("<error message="));
    }
}
