//! The HTML report (`--html`): one file a person opens in a browser, with nothing to fetch —
//! CSS inline, no script, no external asset. Top to bottom: what the run was, the totals
//! and one row per scenario run, the findings grouped by cause, then each scenario run with
//! its failure, the exchanges it went through (root cause, findings, the provisioning log)
//! and the snapshot or state diff. Every text from a scenario or a server is escaped here,
//! once, by `esc`; the markup is well-formed XML so that tests can check it with a parser.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::{findings, totals, RunInfo};
use crate::check::finding::{ExchangeSummary, Group};
use crate::client::Exchange;
use crate::engine::log::status_str;
use crate::engine::provisioning_log::ProvisioningLog;
use crate::engine::runner::{ScenarioOutcome, StepFailure, Verdict};

const STYLE: &str = include_str!("style.css");

/// Text as HTML: markup characters escaped, and the control characters XML forbids dropped
/// (a server may answer anything; the page must still parse).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn verdict_label(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Passed => ("PASS", "pass"),
        Verdict::Failed => ("FAIL", "fail"),
        Verdict::TargetError => ("TARGET ERROR", "error"),
        Verdict::KnownFailure => ("KNOWN FAILURE", "known"),
        Verdict::Skipped => ("SKIP", "skip"),
    }
}

pub fn render(outcomes: &[ScenarioOutcome], info: &RunInfo) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(
        h,
        "<title>scim-harness report — {}</title>",
        esc(&info.target)
    );
    let _ = writeln!(h, "<style>\n{STYLE}</style>\n</head>\n<body>");
    run_header(&mut h, info);
    summary(&mut h, outcomes);
    findings_section(&mut h, &findings(outcomes));
    h.push_str("<section id=\"scenarios\">\n<h2>Scenario runs</h2>\n");
    for (i, o) in outcomes.iter().enumerate() {
        scenario(&mut h, i, o);
    }
    h.push_str("</section>\n</body>\n</html>\n");
    h
}

fn run_header(h: &mut String, info: &RunInfo) {
    h.push_str("<header>\n<h1>scim-harness report</h1>\n");
    if let Some(stop) = &info.interrupted {
        let _ = writeln!(
            h,
            "<p class=\"banner interrupted\" id=\"interrupted\">Interrupted: {}. The results below are incomplete.</p>",
            esc(&stop.line())
        );
    }
    h.push_str("<table class=\"run\">\n");
    let started = info
        .started_at
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let duration = format!("{:.1} s", info.duration_ms as f64 / 1000.0);
    let profiles = info
        .profiles
        .iter()
        .map(|(name, options)| match options.is_empty() {
            true => format!("{name} (defaults)"),
            false => {
                let given: Vec<String> = options.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{name} ({})", given.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    for (key, value) in [
        ("tool", info.tool.as_str()),
        ("target", info.target.as_str()),
        ("prefix", info.prefix.as_str()),
        ("started", started.as_str()),
        ("duration", duration.as_str()),
        ("profiles", profiles.as_str()),
    ] {
        let _ = writeln!(h, "<tr><th>{key}</th><td>{}</td></tr>", esc(value));
    }
    h.push_str("</table>\n</header>\n");
}

fn summary(h: &mut String, outcomes: &[ScenarioOutcome]) {
    let t = totals(outcomes);
    h.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"totals\">");
    for (n, label, class) in [
        (t.passed, "passed", "pass"),
        (t.failed, "failed", "fail"),
        (t.target_errors, "target errors", "error"),
        (t.known, "known failures", "known"),
        (t.skipped, "skipped", "skip"),
        (t.warnings, "warnings", "warn"),
    ] {
        let _ = write!(h, "<span class=\"{class}\">{n} {label}</span> ");
    }
    h.push_str("</p>\n<table class=\"runs\">\n<thead><tr><th>verdict</th><th>scenario</th><th>profile</th><th>requests</th><th>time</th></tr></thead>\n<tbody>\n");
    for (i, o) in outcomes.iter().enumerate() {
        let (label, class) = verdict_label(o.verdict);
        let _ = writeln!(
            h,
            "<tr><td class=\"{class}\">{label}</td><td><a href=\"#run-{i}\">{}</a></td><td>{}</td><td>{}</td><td>{:.1} s</td></tr>",
            esc(&o.scenario),
            esc(&o.profile),
            o.requests,
            o.duration_ms as f64 / 1000.0
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn findings_section(h: &mut String, groups: &[Group]) {
    h.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if groups.is_empty() {
        h.push_str("<p>No findings.</p>\n");
    }
    for g in groups {
        let f = &g.finding;
        let _ = writeln!(
            h,
            "<article class=\"finding\" id=\"{}\">\n<h3>{} <code>{}</code> {}</h3>",
            esc(&g.id),
            esc(&g.id),
            esc(f.code.as_str()),
            esc(&f.title)
        );
        h.push_str("<dl>\n");
        if let Some(x) = &f.exchange {
            exchange_summary(h, x);
        }
        for (term, text) in [
            ("the IdP", f.consequence.as_str()),
            ("judged by", f.reference.as_str()),
        ] {
            if !text.is_empty() {
                let _ = writeln!(h, "<dt>{term}</dt><dd>{}</dd>", esc(text));
            }
        }
        for (term, runs) in [("broke", &g.broke), ("seen in", &g.seen_in)] {
            if !runs.is_empty() {
                let _ = writeln!(h, "<dt>{term}</dt><dd>{}</dd>", esc(&runs.join(", ")));
            }
        }
        h.push_str("</dl>\n</article>\n");
    }
    h.push_str("</section>\n");
}

fn exchange_summary(h: &mut String, x: &ExchangeSummary) {
    let _ = writeln!(
        h,
        "<dt>exchange</dt><dd><code>{}</code></dd>",
        esc(&x.line())
    );
    if let Some(r) = &x.request {
        let _ = writeln!(h, "<dt>request</dt><dd><code>{}</code></dd>", esc(r));
    }
}

fn scenario(h: &mut String, i: usize, o: &ScenarioOutcome) {
    let (label, class) = verdict_label(o.verdict);
    let open = match o.verdict {
        Verdict::Failed | Verdict::TargetError => " open=\"open\"",
        _ => "",
    };
    let _ = writeln!(
        h,
        "<details class=\"scenario\" id=\"run-{i}\"{open}>\n<summary><span class=\"{class}\">{label}</span> {} @ {} <small>{:.1} s, {} requests</small></summary>",
        esc(&o.scenario),
        esc(&o.profile),
        o.duration_ms as f64 / 1000.0,
        o.requests
    );
    let _ = writeln!(
        h,
        "<p class=\"file\"><code>{}</code> — {}</p>",
        esc(&o.file),
        esc(&o.symptom)
    );
    for w in &o.warnings {
        let _ = writeln!(h, "<p class=\"warn\">warning: {}</p>", esc(w));
    }
    if let Some(f) = &o.failure {
        failure(h, f);
    }
    if !o.findings.is_empty() {
        h.push_str("<h4>Findings in this run</h4>\n<ul class=\"exchanges\">\n");
        for f in &o.findings {
            let _ = write!(
                h,
                "<li><code>{}</code> {}",
                esc(f.code.as_str()),
                esc(&f.title)
            );
            if let Some(x) = &f.exchange {
                let _ = write!(h, "<br/><code>{}</code>", esc(&x.line()));
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ul>\n");
    }
    if !o.log.is_empty() {
        log_table(h, &o.log);
    }
    h.push_str("</details>\n");
}

fn failure(h: &mut String, f: &StepFailure) {
    let _ = writeln!(
        h,
        "<div class=\"failure\">\n<p>step {} (<code>{}</code>, line {}): {}</p>",
        f.step,
        esc(f.keyword),
        f.line,
        esc(&f.message)
    );
    if let Some(c) = &f.cause {
        let _ = writeln!(
            h,
            "<p>root cause: <code>{}</code> {}</p>",
            esc(c.code.as_str()),
            esc(&c.title)
        );
    }
    if let Some(x) = &f.exchange {
        exchange(h, x);
    }
    if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
        diff(h, e, a);
    }
    h.push_str("</div>\n");
}

/// The exchange a failure points at, whole as the client recorded it (bodies already cut).
fn exchange(h: &mut String, x: &Exchange) {
    let status = match (x.status, &x.error) {
        (Some(s), _) => s.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => "no answer".into(),
    };
    let _ = writeln!(
        h,
        "<div class=\"exchange\">\n<p><code>{} {}</code> → <strong>{}</strong> <small>{} ms</small></p>",
        esc(x.method.as_str()),
        esc(&x.url),
        esc(&status),
        x.duration_ms
    );
    for (label, body) in [
        ("request", x.request_body.as_deref()),
        ("response", x.response_body.as_deref()),
    ] {
        if let Some(b) = body {
            let text = match b {
                serde_json::Value::String(s) => s.clone(),
                other => serde_json::to_string_pretty(other).unwrap_or_default(),
            };
            let _ = writeln!(h, "<p>{label}:</p>\n<pre>{}</pre>", esc(&text));
        }
    }
    h.push_str("</div>\n");
}

/// Expected against actual, line by line: a snapshot mismatch or a state expectation.
fn diff(h: &mut String, expected: &str, actual: &str) {
    h.push_str("<p>expected (−) against actual (+):</p>\n<pre class=\"diff\">");
    for change in TextDiff::from_lines(expected, actual).iter_all_changes() {
        let (sign, class) = match change.tag() {
            ChangeTag::Delete => ("-", "del"),
            ChangeTag::Insert => ("+", "add"),
            ChangeTag::Equal => (" ", "same"),
        };
        let line = change.value().trim_end_matches('\n');
        // The newline sits inside the block-level span: outside it, `<pre>` would render it
        // as a second, empty line under every diff line (seen in headless Chromium).
        let _ = write!(h, "<span class=\"{class}\">{sign} {}\n</span>", esc(line));
    }
    h.push_str("</pre>\n");
}

fn log_table(h: &mut String, log: &ProvisioningLog) {
    h.push_str("<h4>Provisioning log</h4>\n<table class=\"log\">\n<thead><tr><th>cycle</th><th>object</th><th>action</th><th>status</th><th>steps</th></tr></thead>\n<tbody>\n");
    log.for_each(|rec| {
        let mut status = status_str(rec.status).to_string();
        for extra in [&rec.skip_reason, &rec.error_code, &rec.reason]
            .into_iter()
            .flatten()
        {
            status.push_str(&format!(" — {extra}"));
        }
        let steps: Vec<String> = rec
            .provisioning_steps
            .iter()
            .map(|s| esc(&s.description))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rec.cycle_id,
            esc(&rec.object),
            esc(rec.provisioning_action.as_str()),
            esc(&status),
            steps.join("<br/>")
        );
    });
    h.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_never_reach_the_page_raw() {
        assert_eq!(
            esc("<b a=\"1\">'x' & y</b>\u{0}\u{1b}[31m"),
            "&lt;b a=&quot;1&quot;&gt;&#39;x&#39; &amp; y&lt;/b&gt;[31m"
        );
    }

    #[test]
    fn a_diff_marks_removed_and_added_lines() {
        let mut h = String::new();
        diff(&mut h, "a\nactive: false\n", "a\nactive: <true>\n");
        assert!(
            h.contains("<span class=\"same\">  a\n</span><span class=\"del\">"),
            "{h}"
        );
        assert!(
            h.contains("<span class=\"del\">- active: false\n</span>"),
            "{h}"
        );
        assert!(
            h.contains("<span class=\"add\">+ active: &lt;true&gt;\n</span>"),
            "{h}"
        );
    }
}
