//! The reports CI systems and people read, as a user gets them from the binary: JUnit that
//! Jenkins' schema accepts, JSON that says what the run was, one self-contained HTML file,
//! the transcript (tagged, with headers, emptied per run unless `--append`), `-` for stdout,
//! and report paths refused before anything is sent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scim_harness::server::faults::{FaultRule, Times};
use scim_harness::server::{self, RunningServer, ServerConfig};
use serde_json::Value;

const TOKEN: &str = "reports-test-token-5b1e0d";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn harness(args: Vec<String>, token: bool) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
        cmd.current_dir(root())
            .args(&args)
            .env_remove("SCIM_TOKEN")
            .env("CI", "true")
            .env("NO_COLOR", "1");
        if token {
            cmd.env("SCIM_TOKEN", TOKEN);
        }
        cmd.output().expect("the binary runs")
    })
    .await
    .expect("join")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `xmllint --schema tests/fixtures/jenkins-junit.xsd`; without xmllint the check is skipped
/// loudly (.ci/run installs it).
fn validate_junit(xml: &Path) {
    let Ok(out) = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(root().join("tests/fixtures/jenkins-junit.xsd"))
        .arg(xml)
        .output()
    else {
        eprintln!(
            "SKIPPED: JUnit schema validation: xmllint is not installed (Debian: libxml2-utils)"
        );
        return;
    };
    assert!(
        out.status.success(),
        "the JUnit report does not validate against Jenkins' schema:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        read(xml)
    );
}

/// Well-formed XML: every tag closed in order, every `&` an entity. Also `xmllint --noout`
/// when present. The HTML report is written as XML-compatible HTML so both apply.
fn assert_well_formed(html: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        let (c, after) = (&rest[at..at + 1], &rest[at + 1..]);
        if c == "&" {
            let end = after.find(';').expect("an entity ends with ;");
            let name = &after[..end];
            assert!(
                ["amp", "lt", "gt", "quot", "#39"].contains(&name),
                "unknown entity &{name};"
            );
            rest = &after[end..];
            continue;
        }
        let end = after.find('>').expect("a tag ends");
        let tag = &after[..end];
        rest = &after[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(closing.trim()),
                "tags closed out of order"
            );
        } else if !tag.ends_with('/') {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

fn xmllint_well_formed(path: &Path) {
    match Command::new("xmllint").arg("--noout").arg(path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("SKIPPED: xmllint well-formedness check of the HTML: not installed"),
    }
}

async fn target() -> RunningServer {
    server::start(ServerConfig {
        tokens: vec![TOKEN.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts")
}

const WRONG: &str = "name: wrong-expectation\ndescription: d\nsymptom: \"<script>alert('x')</script> & more\"\nprofiles: [entra]\nsteps:\n  - create_user: { user: zed, userPrincipalName: zed@x.test, jobTitle: Dev }\n  - assign: zed\n  - sync: initial\n  - expect: { user: zed, attributes: { title: Boss } }\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_against_a_target_gets_junit_json_html_and_a_transcript() {
    let server = target().await;
    // Every create of `ada` fails: a finding with its exchange, and a failed scenario.
    server.state().faults().add(FaultRule {
        method: "POST".into(),
        path_contains: "/Users".into(),
        status: Some(500),
        retry_after: None,
        delay_ms: 0,
        times: Times::Always,
        mentions: vec!["ada@contoso.com".into()],
    });
    let dir = tempfile::tempdir().expect("tmp");
    let wrong = dir.path().join("wrong.yaml");
    std::fs::write(&wrong, WRONG).expect("write");
    let p = |name: &str| dir.path().join(name);
    let out = harness(
        [
            "run",
            &s(&wrong),
            "scenarios/entra/initial-sync-five-users.yaml",
            "--target",
            server.base_url(),
            "--prefix",
            "rp1-",
            "--junit",
            &s(&p("r.xml")),
            "--json",
            &s(&p("r.json")),
            "--html",
            &s(&p("r.html")),
            "--transcript",
            &s(&p("t.jsonl")),
        ]
        .map(String::from)
        .to_vec(),
        true,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // JUnit: Jenkins' schema, counts, a failure whose type is the finding's code and whose
    // body carries the exchange.
    validate_junit(&p("r.xml"));
    let xml = read(&p("r.xml"));
    assert!(
        xml.contains("<testsuite name=\"entra\" tests=\"2\" skipped=\"0\" errors=\"0\" failures=\"2\" timestamp=\""),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"F-"), "{xml}");
    assert!(xml.contains("exchange: POST /Users → 500"), "{xml}");
    assert!(
        xml.contains("name=\"interrupted\" value=\"false\""),
        "{xml}"
    );

    // JSON: what the run was.
    let json: Value = serde_json::from_str(&read(&p("r.json"))).expect("JSON");
    assert_eq!(json["format_version"], 1);
    assert_eq!(
        json["tool"],
        concat!("scim-harness/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(json["target"], server.base_url());
    assert_eq!(json["prefix"], "rp1-");
    assert!(json["profiles"]["entra"].is_object(), "{json}");
    let started = json["started_at"].as_str().expect("started_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(started).is_ok(),
        "{started}"
    );
    assert!(
        json["duration_ms"].as_u64().is_some_and(|d| d > 0),
        "{json}"
    );
    assert_eq!(json["interrupted"], false);
    assert_eq!(json["summary"]["failed"], 2);

    // HTML: one well-formed, self-contained file with every run and finding, text escaped.
    let html = read(&p("r.html"));
    assert_well_formed(&html);
    xmllint_well_formed(&p("r.html"));
    for needle in [
        "wrong-expectation",
        "entra-initial-sync-five-users",
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more",
        "POST /Users → 500",
        "<span class=\"del\">",
        "Boss",
    ] {
        assert!(html.contains(needle), "`{needle}` missing:\n{html}");
    }
    for group in json["findings"].as_array().expect("findings") {
        let id = group["id"].as_str().expect("id");
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(!html.contains("<script"), "no script, and none injected");
    for external in ["src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "external asset `{external}`");
    }

    // Transcript: each line tagged, timestamped, with headers both ways and no token.
    let transcript = read(&p("t.jsonl"));
    let lines: Vec<Value> = transcript
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(lines.len() > 10, "{transcript}");
    for l in &lines {
        assert_eq!(l["profile"], "entra", "{l}");
        assert!(l["step"].is_u64() && l["at"].is_string(), "{l}");
        assert_eq!(l["request_headers"]["authorization"], "Bearer [REDACTED]");
        assert!(l["response_headers"].is_object(), "{l}");
    }
    assert!(lines
        .iter()
        .any(|l| l["scenario"] == "wrong-expectation" && l["step"] == 3));
    assert!(lines
        .iter()
        .any(|l| l["scenario"] == "entra-initial-sync-five-users"
            && l["status"] == 500
            && l["method"] == "POST"));
    for report in ["r.xml", "r.json", "r.html", "t.jsonl"] {
        assert!(
            !read(&p(report)).contains(TOKEN),
            "{report} holds the token"
        );
    }

    // The next run empties the transcript; with --append it adds to it.
    let again = |append: bool| {
        let mut a = [
            "run",
            "scenarios/entra/attribute-change-sends-diff.yaml",
            "--transcript",
            &s(&p("t.jsonl")),
        ]
        .map(String::from)
        .to_vec();
        if append {
            a.push("--append".into());
        }
        harness(a, false)
    };
    let out = again(false).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = read(&p("t.jsonl"));
    assert!(!second.contains("wrong-expectation"), "emptied per run");
    let out = again(true).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        read(&p("t.jsonl")).lines().count(),
        2 * second.lines().count(),
        "--append adds the second run's lines"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_diff_reaches_the_html_and_the_junit_body() {
    let dir = tempfile::tempdir().expect("tmp");
    let snap = "entra-soft-delete-tombstone-then-restore__tombstoned@entra.snap";
    let original = read(&root().join("snapshots").join(snap));
    std::fs::write(
        dir.path().join(snap),
        original.replace("\"active\": false", "\"active\": true"),
    )
    .expect("write");
    let (html, xml) = (dir.path().join("r.html"), dir.path().join("r.xml"));
    let out = harness(
        [
            "run",
            "scenarios/entra/soft-delete-tombstone-then-restore.yaml",
            "--snapshots",
            &s(dir.path()),
            "--html",
            &s(&html),
            "--junit",
            &s(&xml),
        ]
        .map(String::from)
        .to_vec(),
        false,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    validate_junit(&xml);
    let page = read(&html);
    assert_well_formed(&page);
    assert!(
        page.contains("<span class=\"del\">-       &quot;active&quot;: true,\n</span>")
            && page.contains("<span class=\"add\">+       &quot;active&quot;: false,\n</span>"),
        "{page}"
    );
    assert!(
        read(&xml).contains("expected:\n"),
        "the JUnit body has the diff"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dash_sends_one_report_to_stdout_and_the_console_to_stderr() {
    let out = harness(
        [
            "run",
            "scenarios/entra/attribute-change-sends-diff.yaml",
            "--json",
            "-",
        ]
        .map(String::from)
        .to_vec(),
        false,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    assert_eq!(json["summary"]["passed"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 passed, 0 failed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn report_paths_are_refused_before_anything_is_sent() {
    let server = target().await;
    // Counts any request: a run's first is a GET (the probe or a matching query).
    server.state().faults().add(FaultRule {
        method: "GET".into(),
        path_contains: String::new(),
        status: Some(503),
        retry_after: None,
        delay_ms: 0,
        times: Times::Always,
        mentions: vec![],
    });
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("no-such-dir/r.xml");
    let cases: [(Vec<String>, &str); 4] = [
        (
            vec!["--junit".into(), s(&missing)],
            "--junit {missing}: cannot write there: the directory",
        ),
        (
            vec!["--html".into(), s(dir.path())],
            "--html {dir}: cannot write there: it is a directory",
        ),
        (
            ["--json", "-", "--junit", "-"].map(String::from).to_vec(),
            "--json, --junit all ask for stdout (`-`)",
        ),
        (
            ["--transcript", "-"].map(String::from).to_vec(),
            "--transcript -: the transcript is written while the run goes on",
        ),
    ];
    for (extra, says) in cases {
        let says = says
            .replace("{missing}", &s(&missing))
            .replace("{dir}", &s(dir.path()));
        let mut a = [
            "run",
            "scenarios/entra/attribute-change-sends-diff.yaml",
            "--target",
            server.base_url(),
        ]
        .map(String::from)
        .to_vec();
        a.extend(extra);
        let out = harness(a, true).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(&says), "{says}\n{}", text(&out));
    }
    assert_eq!(
        server.state().faults().injected(),
        0,
        "nothing was sent to the target"
    );
    assert!(
        !dir.path().join("no-such-dir").exists(),
        "nothing was created"
    );
}
