//! Verdicts and exit codes of a run: every scenario passes, a failing expect exits 1, transient
//! faults pass with warnings, and `--jobs`/`--shard` keep the verdicts in list order.

use super::*;

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
