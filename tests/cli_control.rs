//! `run --filter`, `--fail-fast`, `-q`/`-v`, `list --json`, `completions` and `man`, as a user
//! runs them: the binary, real scenario files and the built-in server.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn harness(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .current_dir(root())
            .args(&args)
            .env_remove("SCIM_TOKEN")
            .env_remove("SCIM_BASE_URL")
            .env("CI", "true")
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("join")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Lines naming a run's verdict (`  PASS okta     okta-…`).
fn verdict_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            ["PASS ", "FAIL ", "KNOWN ", "SKIP ", "TARGET "]
                .iter()
                .any(|v| t.starts_with(v))
        })
        .collect()
}

const FAILS: &str = "name: a-fails\ndescription: d\nsymptom: s\nprofiles: [okta]\nsteps:\n  - create_user: { user: zed, userPrincipalName: zed@x.test, jobTitle: Dev }\n  - assign: zed\n  - sync: initial\n  - expect: { user: zed, attributes: { title: Boss } }\n";
const PASSES: &str = "name: b-passes\ndescription: d\nsymptom: s\nprofiles: [okta]\nsteps:\n  - create_user: { user: amy, userPrincipalName: amy@x.test }\n  - assign: amy\n  - sync: initial\n  - expect: { user: amy, active: true }\n";

fn two_scenarios(dir: &Path) {
    std::fs::write(dir.join("a-fails.yaml"), FAILS).expect("write");
    std::fs::write(dir.join("b-passes.yaml"), PASSES).expect("write");
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_keeps_only_matching_scenarios_and_checks() {
    let out = harness(&[
        "run",
        "scenarios/okta",
        "--filter",
        "okta-push-*",
        "--filter",
        "okta-group-full-?ush-*",
    ])
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let runs = verdict_lines(&stdout);
    assert_eq!(runs.len(), 2, "{stdout}");
    assert!(stdout.contains("okta-push-group-rename"), "{stdout}");
    assert!(
        stdout.contains("okta-group-full-push-replaces-members"),
        "{stdout}"
    );

    // Protocol checks match as `protocol-<check>`.
    let out = harness(&[
        "run",
        "--suite",
        "protocol",
        "--filter",
        "protocol-create.*",
    ])
    .await;
    let (stdout, stderr) = text(&out);
    let runs = verdict_lines(&stdout);
    assert!(!runs.is_empty(), "{stdout}{stderr}");
    assert!(
        runs.iter().all(|l| l.contains("protocol-create.")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("running {} protocol checks", runs.len())),
        "{stdout}"
    );

    // A filter that matches nothing selects nothing: an error, not a pass.
    let out = harness(&["run", "scenarios/okta", "--filter", "nothing-*"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("error: no scenario runs selected") && stderr.contains("filter nothing-*"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_fast_starts_nothing_after_the_first_failure() {
    let dir = tempfile::tempdir().expect("tmp");
    two_scenarios(dir.path());
    let path = dir.path().to_str().expect("utf8");

    let out = harness(&["run", path]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        verdict_lines(&stdout).len(),
        2,
        "without --fail-fast both run: {stdout}"
    );

    let out = harness(&["run", path, "--fail-fast"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let runs = verdict_lines(&stdout);
    assert_eq!(runs.len(), 1, "{stdout}");
    assert!(
        runs[0].contains("FAIL") && runs[0].contains("a-fails"),
        "{stdout}"
    );
    assert!(!stdout.contains("b-passes"), "{stdout}");
    assert!(
        stderr.contains("stopped by the first failure (--fail-fast): 1 scenario runs not run"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_shows_only_failures_and_verbose_adds_the_log() {
    let dir = tempfile::tempdir().expect("tmp");
    two_scenarios(dir.path());
    let path = dir.path().to_str().expect("utf8");

    let out = harness(&["run", path, "-q"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let runs = verdict_lines(&stdout);
    assert_eq!(runs.len(), 1, "{stdout}");
    assert!(runs[0].contains("a-fails"), "{stdout}");
    assert!(!stdout.contains("running 2 scenario runs"), "{stdout}");
    assert!(
        stdout.contains("1 passed, 1 failed"),
        "summary kept: {stdout}"
    );

    let passing = dir.path().join("b-passes.yaml");
    let passing = passing.to_str().expect("utf8");
    let out = harness(&["run", passing, "--verbose"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("log: cycle"), "{stdout}");
    assert!(stdout.contains("Create amy success"), "{stdout}");

    let out = harness(&["run", passing]).await;
    let (stdout, _) = text(&out);
    assert!(!stdout.contains("log: cycle"), "not without -v: {stdout}");

    let out = harness(&["run", passing, "-q", "-v"]).await;
    assert_eq!(out.status.code(), Some(2), "-q and -v conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_gives_scenarios_with_profiles_and_checks_with_rfc_sections() {
    let out = harness(&["list", "--json"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    let rename = scenarios
        .iter()
        .find(|s| s["name"] == "okta-push-group-rename")
        .expect("listed");
    assert_eq!(rename["file"], "scenarios/okta/push-group-rename.yaml");
    assert_eq!(rename["profiles"], serde_json::json!(["okta"]));
    assert!(rename["symptom"].as_str().is_some_and(|s| !s.is_empty()));
    let checks = doc["checks"].as_array().expect("checks");
    assert!(!checks.is_empty());
    assert!(checks.iter().all(|c| c["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("protocol-"))
        && c["rfc"].as_str().is_some_and(|r| r.starts_with("RFC "))
        && c["idps"].is_string()));

    // A path lists its scenarios only.
    let out = harness(&["list", "--json", "scenarios/okta"]).await;
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["checks"], serde_json::json!([]));
    assert!(doc["scenarios"].as_array().is_some_and(|s| s.len() > 1
        && s.iter()
            .all(|s| s["profiles"] == serde_json::json!(["okta"]))));
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_and_man_page_come_from_the_command_line_definition() {
    let out = harness(&["completions", "bash"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("scim-harness"), "{stdout}");
    assert!(
        stdout.contains("run") && stdout.contains("--target"),
        "{stdout}"
    );
    assert!(stdout.contains("--fail-fast"), "new options too");

    let out = harness(&["man"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains(".TH scim-harness 1"), "{stdout}");
    assert!(stdout.lines().any(|l| l.contains("run")), "{stdout}");

    let out = harness(&["man", "run"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains(".TH scim-harness-run 1"), "{stdout}");
    assert!(stdout.contains("filter"), "{stdout}");

    let out = harness(&["man", "nope"]).await;
    assert_eq!(out.status.code(), Some(2));
}
