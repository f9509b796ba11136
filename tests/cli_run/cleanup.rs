//! Cleanup on the target: a run leaves other users untouched and deletes its own, also when
//! stopped by Ctrl-C.

use super::*;

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
