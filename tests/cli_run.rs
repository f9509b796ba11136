//! The `run` command as a user runs it: the binary, real scenario files, the built-in server or
//! a reference server started here as the `--target`; exit codes, messages and reports.

use std::path::{Path, PathBuf};
use std::process::Output;

use scim_harness::server::faults::{FaultRule, Times};
use scim_harness::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

const TOKEN: &str = "cli-test-token-7f3a9c";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn harness(args: Vec<String>, envs: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
        // CI is set on CI; tests that want it pass it explicitly, so that --accept and
        // snapshot review behave the same everywhere.
        cmd.current_dir(root())
            .args(&args)
            .env_remove("SCIM_TOKEN")
            .env_remove("CI")
            .env("NO_COLOR", "1");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary runs")
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

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn target() -> RunningServer {
    server::start(ServerConfig {
        tokens: vec![TOKEN.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts")
}

fn write_scenario(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write scenario");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn every_entra_scenario_passes_in_both_dialects_against_the_builtin_server() {
    for dialect in ["default", "aadOptscim062020"] {
        let opt = format!("patch_dialect={dialect}");
        let out = harness(
            args(&["run", "scenarios/entra", "--option", &opt]),
            vec![("CI", "true".into())],
        )
        .await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{dialect}:\n{stdout}\n{stderr}");
        let n = std::fs::read_dir(root().join("scenarios/entra"))
            .expect("dir")
            .count();
        assert!(
            stdout.contains(&format!("{n} passed, 0 failed")),
            "{dialect}:\n{stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_yaml_typo_exits_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_scenario(
        dir.path(),
        "typo.yaml",
        "name: t\ndescription: d\nsymptom: s\nsteps:\n  - create_user: { user: a, userPrincipalName: a@x }\n  - soft_delete: a\n",
    );
    let out = harness(args(&["run", file.to_str().expect("utf8")]), vec![]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{}:6:5", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `soft_delete_user`?"),
        "{stderr}"
    );
    assert!(!stdout.contains("running"), "nothing ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_option_value_a_profile_refuses_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_scenario(
        dir.path(),
        "option.yaml",
        "name: t\ndescription: d\nsymptom: s\nprofiles: [entra]\noptions:\n  member_batch: lots\nsteps:\n  - sync: initial\n",
    );
    let out = harness(args(&["run", file.to_str().expect("utf8")]), vec![]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{}:6:17", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("6 |   member_batch: lots"), "{stderr}");
    assert!(
        stderr.contains("invalid value `lots` for option `member_batch`"),
        "{stderr}"
    );
    // The same value given on the command line names `--option`.
    let out = harness(
        args(&[
            "run",
            file.to_str().expect("utf8"),
            "--option",
            "member_batch=many",
        ]),
        vec![],
    )
    .await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--option member_batch: invalid value `many`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_expect_exits_1_naming_scenario_step_and_object() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_scenario(
        dir.path(),
        "wrong.yaml",
        "name: wrong-expectation\ndescription: d\nsymptom: s\nprofiles: [entra]\nsteps:\n  - create_user: { user: zed, userPrincipalName: zed@x.test, jobTitle: Dev }\n  - assign: zed\n  - sync: initial\n  - expect: { user: zed, active: false, attributes: { title: Boss } }\n",
    );
    let out = harness(args(&["run", file.to_str().expect("utf8")]), vec![]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL entra    wrong-expectation"),
        "{stdout}"
    );
    assert!(stdout.contains("wrong.yaml:9 step 4 `expect`"), "{stdout}");
    assert!(
        stdout.contains(
            "user `zed`: active is true, expected false; title is \"Dev\", expected \"Boss\""
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("- title: \"Boss\"") && stdout.contains("+ title: \"Dev\""),
        "diff shown: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_exits_3_and_names_the_401() {
    let server = target().await;
    let out = harness(
        args(&[
            "run",
            "scenarios/entra/test-connection-succeeds.yaml",
            "--target",
            server.base_url(),
        ]),
        vec![("SCIM_TOKEN", "not-the-token".into())],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stdout.contains("HTTP 401"), "{stdout}");
    assert!(!stdout.contains("not-the-token") && !stderr.contains("not-the-token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_target_exits_3_with_a_diagnosis() {
    let out = harness(
        args(&[
            "run",
            "scenarios/entra/test-connection-succeeds.yaml",
            "--target",
            "http://127.0.0.1:9/scim/v2",
            "--token",
            TOKEN,
        ]),
        vec![],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("failed to connect to http://127.0.0.1:9/scim/v2/Users"),
        "{stdout}"
    );
}

async fn unrelated_users(server: &RunningServer) -> Vec<Value> {
    let mut dir = server.state().write();
    for name in ["ceo@vendor.test", "alice@contoso.com", "ops@vendor.test"] {
        dir.create(
            scim_harness::server::store::Kind::User,
            &json!({"userName": name, "title": "pre-existing"}),
        )
        .expect("seed");
    }
    let base = server.base_url().to_string();
    let kind = scim_harness::server::store::Kind::User;
    dir.iter(kind).map(|s| dir.render(kind, s, &base)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_against_a_populated_target_leaves_other_users_untouched_and_cleans_up() {
    let server = target().await;
    let before = unrelated_users(&server).await;
    let dir = tempfile::tempdir().expect("tmp");
    let reports: Vec<PathBuf> = ["r.json", "r.xml", "log.jsonl", "transcript.jsonl"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let out = harness(
        vec![
            "run".into(),
            "scenarios/entra".into(),
            "--target".into(),
            format!("{}?aadOptscim062020", server.base_url()),
            "--json".into(),
            reports[0].display().to_string(),
            "--junit".into(),
            reports[1].display().to_string(),
            "--log".into(),
            reports[2].display().to_string(),
            "--transcript".into(),
            reports[3].display().to_string(),
        ],
        vec![("SCIM_TOKEN", TOKEN.into()), ("CI", "true".into())],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");

    // Only the pre-existing users remain, exactly as they were (same meta.version).
    let after: Vec<Value> = {
        let dir = server.state().read();
        let kind = scim_harness::server::store::Kind::User;
        dir.iter(kind)
            .map(|s| dir.render(kind, s, server.base_url()))
            .collect()
    };
    assert_eq!(
        after, before,
        "unrelated users untouched, the run's own users deleted"
    );

    // The token appears nowhere: console, reports, transcript.
    for p in &reports {
        let body = std::fs::read_to_string(p).expect("report written");
        assert!(!body.is_empty(), "{} is empty", p.display());
        assert!(!body.contains(TOKEN), "token leaked into {}", p.display());
    }
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    let transcript = std::fs::read_to_string(&reports[3]).expect("transcript");
    assert!(transcript.contains("\"authorization\":\"Bearer [REDACTED]\""));
    assert!(
        transcript.contains("\"op\":\"replace\""),
        "the URL flag selected the RFC dialect"
    );

    let json: Value = serde_json::from_str(&std::fs::read_to_string(&reports[0]).expect("json"))
        .expect("valid JSON");
    assert_eq!(json["summary"]["failed"], 0);
    assert!(json["summary"]["passed"].as_u64().is_some_and(|n| n >= 10));
    let xml = std::fs::read_to_string(&reports[1]).expect("junit");
    assert!(xml.contains("<testsuite name=\"entra\"") && xml.contains("failures=\"0\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_records_not_effectively_entitled_skips() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("log.jsonl");
    let out = harness(
        args(&[
            "run",
            "scenarios/entra/disabled-user-is-never-created.yaml",
            "--log",
            log.to_str().expect("utf8"),
        ]),
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let records: Vec<Value> = std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let skip = records
        .iter()
        .find(|r| r["object"] == "rae")
        .expect("a record for the unassigned user");
    assert_eq!(skip["status"], "skipped");
    assert_eq!(skip["SkipReason"], "NotEffectivelyEntitled");
    assert_eq!(skip["provisioningAction"], "other");
    assert_eq!(skip["scenario"], "entra-disabled-user-is-never-created");
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_faults_pass_with_warnings_and_persistent_ones_fail() {
    for (status, times, code) in [
        (500, Times::OncePerObject, 0),
        (429, Times::OncePerObject, 0),
        (500, Times::Always, 1),
    ] {
        let server = target().await;
        server.state().faults().add(FaultRule {
            method: "POST".into(),
            path_contains: "/Users".into(),
            status: Some(status),
            retry_after: (status == 429).then_some(1),
            delay_ms: 0,
            times,
            mentions: vec![],
        });
        let out = harness(
            args(&[
                "run",
                "scenarios/entra/initial-sync-five-users.yaml",
                "--target",
                server.base_url(),
            ]),
            vec![("SCIM_TOKEN", TOKEN.into()), ("CI", "true".into())],
        )
        .await;
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{status} {times:?}:\n{stdout}{stderr}"
        );
        if code == 0 {
            assert_eq!(server.state().faults().injected(), 5, "one fault per user");
            assert!(stdout.contains("5 warnings"), "{stdout}");
            let expected = if status == 500 {
                "InternalServerError"
            } else {
                "TooManyRequests"
            };
            assert!(
                stdout.contains(&format!("ada failed in cycle 1 with {expected}")),
                "{stdout}"
            );
        } else {
            // The log expectation of the same sync judges the persisting failure.
            assert!(
                stdout.contains("initial-sync-five-users.yaml:21 step 13 `expect`"),
                "{stdout}"
            );
            assert!(
                stdout.contains("no provisioning-log record for `ada` with action create, status success; found ada: create failure (InternalServerError)"),
                "{stdout}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_mismatch_exits_1_and_writes_nothing_on_ci() {
    let dir = tempfile::tempdir().expect("tmp");
    let snap = "entra-soft-delete-tombstone-then-restore__tombstoned@entra.snap";
    let original = std::fs::read_to_string(root().join("snapshots").join(snap)).expect("snapshot");
    std::fs::write(
        dir.path().join(snap),
        original.replace("\"active\": false", "\"active\": true"),
    )
    .expect("write");
    let out = harness(
        args(&[
            "run",
            "scenarios/entra/soft-delete-tombstone-then-restore.yaml",
            "--snapshots",
            dir.path().to_str().expect("utf8"),
        ]),
        vec![("CI", "true".into())],
    )
    .await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("differs"), "{stdout}");
    assert!(
        stdout.contains("-       \"active\": true,")
            && stdout.contains("+       \"active\": false,"),
        "{stdout}"
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(entries.len(), 1, "no .snap.new written on CI");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_each_scenario_with_its_symptom() {
    let out = harness(args(&["list", "scenarios/entra"]), vec![]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("entra-unassign-disables-then-soft-delete-sends-nothing  [entra]"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "symptom: Duplicate users in the app after a user was deleted and re-created in Entra"
        ),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_with_the_token_and_401_without() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["serve", "--listen", "127.0.0.1:0", "--token", "t"])
        .env_remove("SCIM_TOKEN")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.trim().strip_prefix("base URL : ").map(str::to_string))
    })
    .await
    .expect("join")
    .expect("serve prints its base URL");
    let http = reqwest::Client::new();
    let url = format!("{base}/ServiceProviderConfig");
    let ok = http
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .expect("request");
    let denied = http.get(&url).send().await.expect("request");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/scim+json")
    );
    assert_eq!(denied.status(), 401);
    let body: Value = denied.json().await.expect("SCIM error body");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "401");
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_snapshots_hold_no_token_and_no_run_prefix() {
    let server = target().await;
    let dir = tempfile::tempdir().expect("tmp");
    let out = harness(
        vec![
            "run".into(),
            "scenarios/entra".into(),
            "--target".into(),
            server.base_url().to_string(),
            "--accept".into(),
            "--prefix".into(),
            "zz9run-".into(),
            "--snapshots".into(),
            dir.path().display().to_string(),
        ],
        vec![("SCIM_TOKEN", TOKEN.into())],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        let written = std::fs::read_to_string(&path).expect("snapshot");
        let committed = std::fs::read_to_string(
            root()
                .join("snapshots")
                .join(path.file_name().expect("name")),
        )
        .expect("a committed twin");
        assert!(
            !written.contains(TOKEN) && !written.contains("zz9run-"),
            "{}",
            path.display()
        );
        assert_eq!(
            written, committed,
            "same snapshot against another server and prefix"
        );
        files += 1;
    }
    assert_eq!(files, 8, "one per snapshot step of scenarios/entra");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_lists_the_requests() {
    let server = target().await;
    let out = harness(
        vec![
            "run".into(),
            "scenarios/entra/soft-delete-then-purge-deletes.yaml".into(),
            "--dry-run".into(),
            "--target".into(),
            format!("{}?aadOptscim062020", server.base_url()),
        ],
        vec![("SCIM_TOKEN", TOKEN.into())],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let base = server.base_url();
    assert!(
        stdout.contains(&format!("dry run: nothing is sent to {base}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  POST {base}/Users {{\"schemas\"")),
        "{stdout}"
    );
    assert!(
        stdout.contains("{\"op\":\"replace\",\"path\":\"active\",\"value\":false}"),
        "flag dialect from the URL: {stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with(&format!("  DELETE {base}/Users/"))),
        "{stdout}"
    );
    assert!(
        server
            .state()
            .read()
            .is_empty(scim_harness::server::store::Kind::User),
        "nothing reached the target"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_azure_ad_scim_patch_062020_spelling_of_the_flag_selects_the_rfc_dialect() {
    let server = target().await;
    let out = harness(
        vec![
            "run".into(),
            "scenarios/entra/soft-delete-then-purge-deletes.yaml".into(),
            "--dry-run".into(),
            "--target".into(),
            format!("{}?AzureAdScimPatch062020", server.base_url()),
        ],
        vec![("SCIM_TOKEN", TOKEN.into())],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("{\"op\":\"replace\",\"path\":\"active\",\"value\":false}"),
        "flag dialect from the URL's other spelling: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn full_snapshots_keep_every_attribute_with_meta_redacted() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = harness(
        vec![
            "run".into(),
            "scenarios/entra/soft-delete-tombstone-then-restore.yaml".into(),
            "--full".into(),
            "--accept".into(),
            "--snapshots".into(),
            dir.path().display().to_string(),
        ],
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let snap = std::fs::read_to_string(
        dir.path()
            .join("entra-soft-delete-tombstone-then-restore__tombstoned@entra.full.snap"),
    )
    .expect("a .full snapshot of its own");
    assert!(
        snap.contains("\"schemas\"") && snap.contains("\"resourceType\": \"User\""),
        "{snap}"
    );
    assert!(
        snap.contains("\"created\": \"[redacted]\"")
            && snap.contains("\"location\": \"[redacted]\""),
        "{snap}"
    );
    assert!(
        snap.contains("\"userName\": \"<objectId:max>max@contoso.com\""),
        "{snap}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_deletes_what_the_interrupted_scenario_created() {
    let server = target().await;
    // Reads by id hang, so the scenario is still running once its users exist.
    server.state().faults().add(FaultRule {
        method: "GET".into(),
        path_contains: "/Users/".into(),
        status: None,
        retry_after: None,
        delay_ms: 20_000,
        times: Times::Always,
        mentions: vec![],
    });
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .current_dir(root())
        .args([
            "run",
            "scenarios/entra/initial-sync-five-users.yaml",
            "scenarios/entra/attribute-change-sends-diff.yaml",
            "--target",
            server.base_url(),
        ])
        .env("SCIM_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run starts");
    let users = |s: &RunningServer| {
        s.state()
            .read()
            .len(scim_harness::server::store::Kind::User)
    };
    for _ in 0..200 {
        if users(&server) == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(users(&server), 5, "the scenario created its users");
    server.state().faults().clear();
    let pid = child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("exits");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL entra    entra-initial-sync-five-users")
            && stdout.contains("stopped by SIGINT after"),
        "{stdout}"
    );
    assert!(
        stderr.contains("stopped by SIGINT: 1 scenario runs not run"),
        "{stderr}"
    );
    assert!(!stderr.contains("still on the target"), "{stderr}");
    assert!(
        !stdout.contains("attribute-change"),
        "later scenarios skipped: {stdout}"
    );
    assert_eq!(
        users(&server),
        0,
        "the interrupted scenario's users were deleted"
    );
}

/// `--jobs` prints results in list order whatever finishes first, and `--shard` splits the
/// run list into disjoint slices that together make the whole.
#[tokio::test(flavor = "multi_thread")]
async fn jobs_keep_list_order_and_shards_cover_the_list_once() {
    let verdict_lines = |o: &Output| -> Vec<String> {
        text(o)
            .0
            .lines()
            .filter(|l| l.starts_with("  PASS") || l.starts_with("  FAIL"))
            .map(|l| l.split("  (").next().unwrap_or(l).to_string())
            .collect()
    };
    // The small common scenarios (the large directory would only add minutes).
    let files = [
        "scenarios/common/delete-in-the-idp.yaml",
        "scenarios/common/existing-group-is-matched.yaml",
        "scenarios/common/group-push.yaml",
        "scenarios/common/user-lifecycle.yaml",
    ];
    let with = |extra: &[&str]| {
        let mut a = vec!["run"];
        a.extend(files);
        a.extend(extra);
        args(&a)
    };
    let one = harness(with(&[]), vec![]).await;
    let four = harness(with(&["--jobs", "4"]), vec![]).await;
    assert_eq!(one.status.code(), Some(0), "{}", text(&one).0);
    assert_eq!(four.status.code(), Some(0), "{}", text(&four).0);
    let all = verdict_lines(&one);
    assert!(all.len() >= 16, "{all:?}");
    assert_eq!(verdict_lines(&four), all);

    let mut sharded = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let o = harness(with(&["--shard", shard]), vec![]).await;
        assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
        sharded.extend(verdict_lines(&o));
    }
    sharded.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(sharded, expected);

    let bad = harness(with(&["--shard", "4/3"]), vec![]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).1.contains("expected I/N with 1 ≤ I ≤ N"),
        "{}",
        text(&bad).1
    );
}

/// Zero selected runs is a usage error naming what selected nothing, never a pass.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_selects_nothing_is_an_error() {
    let out = harness(
        args(&[
            "run",
            "scenarios/okta/conflict-raises-a-task-no-retry.yaml",
            "--profile",
            "entra",
        ]),
        vec![],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("error: no scenario runs selected: 1 scenario files, profiles entra"),
        "{stderr}"
    );
}

/// `SCIM_BASE_URL` is the target when `--target` is not given, as vendors' CI sets it.
#[tokio::test(flavor = "multi_thread")]
async fn scim_base_url_from_the_environment_is_the_target() {
    let server = target().await;
    let out = harness(
        args(&[
            "run",
            "scenarios/common/user-lifecycle.yaml",
            "--profile",
            "okta",
        ]),
        vec![
            ("SCIM_BASE_URL", server.base_url().to_string()),
            ("SCIM_TOKEN", TOKEN.into()),
            ("CI", "true".into()),
        ],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    // The same run with a token that server refuses is a target error (exit 3): the requests
    // went to the server SCIM_BASE_URL names, not to a built-in one.
    let refused = harness(
        args(&[
            "run",
            "scenarios/common/user-lifecycle.yaml",
            "--profile",
            "okta",
        ]),
        vec![
            ("SCIM_BASE_URL", server.base_url().to_string()),
            ("SCIM_TOKEN", "not-this-servers-token".into()),
            ("CI", "true".into()),
        ],
    )
    .await;
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused).0);
}

/// Two files with one `name:` would share snapshots: the second is an error at its `name:`.
#[tokio::test(flavor = "multi_thread")]
async fn two_scenarios_with_one_name_are_a_file_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = "name: same\ndescription: d\nsymptom: s\nsteps:\n  - sync: initial\n";
    let a = write_scenario(dir.path(), "a.yaml", body);
    let b = write_scenario(dir.path(), "b.yaml", body);
    let out = harness(
        vec![
            "run".into(),
            a.display().to_string(),
            b.display().to_string(),
        ],
        vec![],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{}:1:7", b.display()))
            && stderr.contains("scenario name `same` is also the name of"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn help_never_echoes_a_token_from_the_environment() {
    const SECRET: &str = "env-token-never-shown-5c2e";
    for command in ["serve", "run"] {
        let out = harness(
            args(&[command, "--help"]),
            vec![
                ("SCIM_TOKEN", SECRET.into()),
                ("SCIM_NEXT_TOKEN", SECRET.into()),
            ],
        )
        .await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{command} --help");
        assert!(
            stdout.contains("SCIM_TOKEN"),
            "{command} --help names the variable"
        );
        // Only compared: a failure message must not print the token either.
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{command} --help echoed the token from SCIM_TOKEN"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_logs_each_request_and_its_bodies_but_never_the_token() {
    use std::io::{BufRead, BufReader, Read};
    const SERVE_TOKEN: &str = "serve-log-token-4b1d";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-bodies"])
        .env("SCIM_TOKEN", SERVE_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.trim().strip_prefix("base URL : ").map(str::to_string))
    })
    .await
    .expect("join")
    .expect("serve prints its base URL");
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/Users?attributes=userName"))
        .bearer_auth(SERVE_TOKEN)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"logged@contoso.com","password":"pw-9f1"}"#)
        .send()
        .await
        .expect("request");
    let denied = http
        .get(format!("{base}/Users?filter=userName+eq+%22x%22"))
        .send()
        .await
        .expect("request");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        (created.status().as_u16(), denied.status().as_u16()),
        (201, 401)
    );
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("read the log");
    let lines: Vec<&str> = log.lines().collect();
    let path = base.trim_start_matches("http://");
    let path = &path[path.find('/').unwrap_or(path.len())..];
    let is_line = |l: &str, start: &str| {
        l.strip_prefix(start)
            .and_then(|rest| rest.strip_suffix(" ms"))
            .is_some_and(|ms| ms.parse::<f64>().is_ok())
    };
    assert!(
        is_line(
            lines.first().copied().unwrap_or(""),
            &format!("POST {path}/Users?attributes=userName 201 ")
        ),
        "{log}"
    );
    assert!(
        lines.get(1).is_some_and(
            |l| l.starts_with("  > {") && l.contains(r#""userName":"logged@contoso.com""#)
        ),
        "request body: {log}"
    );
    assert!(
        lines
            .get(2)
            .is_some_and(|l| l.starts_with("  < {") && l.contains(r#""id":"#)),
        "response body: {log}"
    );
    assert!(
        is_line(
            lines.get(3).copied().unwrap_or(""),
            &format!("GET {path}/Users?filter=userName+eq+%22x%22 401 ")
        ),
        "{log}"
    );
    assert!(!log.contains(SERVE_TOKEN), "the token is never logged");
    assert!(!log.contains("pw-9f1"), "passwords are masked");
}
