//! The machine-readable report (`--json`): what the run was, its totals, the findings
//! grouped by cause and every scenario outcome. `format_version` changes only when a field
//! is removed or changes meaning; new fields do not change it.

use serde_json::{json, Value};

use super::{findings, totals, RunInfo};
use crate::engine::runner::ScenarioOutcome;

/// The shape of this report; readers check it before anything else.
pub const FORMAT_VERSION: u32 = 1;

pub fn render(outcomes: &[ScenarioOutcome], info: &RunInfo) -> String {
    let t = totals(outcomes);
    let doc = json!({
        "format_version": FORMAT_VERSION,
        "tool": info.tool,
        "target": info.target,
        "profiles": info.profiles,
        "prefix": info.prefix,
        "started_at": info.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "duration_ms": info.duration_ms,
        "interrupted": info.interrupted.is_some(),
        "stopped_by": info.interrupted.as_ref().map(|i| i.cause.clone()),
        "not_run": info.interrupted.as_ref().map_or(0, |i| i.not_run),
        "summary": {
            "passed": t.passed,
            "failed": t.failed,
            "target_errors": t.target_errors,
            "known_failures": t.known,
            "skipped": t.skipped,
            "warnings": t.warnings,
        },
        "findings": findings(outcomes),
        "scenarios": outcomes,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The report as a value, for tests and tools that read it back.
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Interruption;

    #[test]
    fn the_run_is_described_at_the_top_and_an_interruption_is_flagged() {
        let started = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .expect("time")
            .to_utc();
        let mut info = RunInfo::new(started);
        info.target = "https://host/scim/v2?aadOptscim062020".into();
        info.prefix = "sh1234-".into();
        info.duration_ms = 2500;
        info.profiles.insert(
            "entra".into(),
            [("patch_dialect".to_string(), "aadOptscim062020".to_string())].into(),
        );
        let v = parse(&render(&[], &info)).expect("JSON");
        assert_eq!(v["format_version"], json!(FORMAT_VERSION));
        assert_eq!(
            v["tool"],
            json!(concat!("scim-harness/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(v["started_at"], json!("2026-03-01T10:00:00.000Z"));
        assert_eq!(v["duration_ms"], json!(2500));
        assert_eq!(v["prefix"], json!("sh1234-"));
        assert_eq!(
            v["profiles"]["entra"]["patch_dialect"],
            json!("aadOptscim062020")
        );
        assert_eq!(
            (&v["interrupted"], &v["not_run"]),
            (&json!(false), &json!(0))
        );
        info.interrupted = Some(Interruption {
            cause: "SIGINT".into(),
            not_run: 3,
        });
        let v = parse(&render(&[], &info)).expect("JSON");
        assert_eq!(
            (&v["interrupted"], &v["stopped_by"], &v["not_run"]),
            (&json!(true), &json!("SIGINT"), &json!(3))
        );
    }
}
