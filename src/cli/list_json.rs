//! `list --json`: the listing as one JSON document, for tools that pick scenarios (a CI matrix
//! built from `profiles`, a dashboard of symptoms) without scraping the text listing.

use serde_json::{json, Value};

use crate::protocol::{self, Level};
use crate::scenario::model::Scenario;

/// Prints `{"scenarios": [...], "checks": [...]}`; `checks` is empty unless `with_checks`.
pub fn print(scenarios: &[Scenario], with_checks: bool) {
    say!("{}", render(scenarios, with_checks));
}

fn render(scenarios: &[Scenario], with_checks: bool) -> String {
    let scenarios: Vec<Value> = scenarios
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "file": s.file.display().to_string(),
                "symptom": s.symptom,
                "profiles": super::run::runs_under(s),
            })
        })
        .collect();
    let checks: Vec<Value> = match with_checks {
        false => vec![],
        true => protocol::checks()
            .iter()
            .map(|c| {
                json!({
                    // The name `run` reports and `--filter` / `--known-failures` match.
                    "name": format!("{}{}", protocol::SCENARIO_PREFIX, c.name),
                    "check": c.name,
                    "summary": c.summary,
                    "rfc": c.section,
                    "level": match c.level {
                        Level::Required => "required",
                        Level::Optional => "optional",
                    },
                    "idps": c.idps,
                })
            })
            .collect(),
    };
    let doc = json!({ "scenarios": scenarios, "checks": checks });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
