//! Only the run's own objects are touched: honest server, ignored filter, side by side, cleanup.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_server_passes_under_every_profile_and_is_left_clean() {
    let (ran, server) = trial(
        Mode::Honest,
        "honest",
        LIFECYCLE,
        "hs0-",
        &["--profile", "all"],
    )
    .await;
    expect("honest", &ran, 0, &every_profile_passed());
    assert!(server.left_by("hs0-").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_ignores_filter_gets_a_finding_and_no_user_is_adopted() {
    for profile in ["okta", "pingone", "pingfederate", "entra", "cyberark"] {
        let label = format!("ignore-filter ({profile})");
        let (ran, server) = trial(
            Mode::IgnoreFilter,
            &label,
            LIFECYCLE,
            "hs1-",
            &["--profile", profile],
        )
        .await;
        // Entra's probe sees it first (a random userName answered with users), the others
        // at the match; either way the server answered, wrongly: a finding, exit 1.
        expect(
            &label,
            &ran,
            1,
            "F-FILTER-IGNORED the server ignored the filter",
        );
        // `judge` proved every pre-existing object unchanged; no write was even addressed
        // to one of them.
        let victims = server.seeded_ids();
        for r in server.requests() {
            let write = ["PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|v| r.starts_with(v));
            assert!(
                !(write && victims.iter().any(|id| r.contains(id.as_str()))),
                "{label}: wrote to an object the run did not create: {r}"
            );
        }
    }
}

/// `--jobs`: four runs side by side on one target. Each gets its own prefix (`hs11-<slot>-`),
/// so no run adopts, changes or deletes another's objects; every one passes, and together
/// they leave nothing behind.
#[tokio::test(flavor = "multi_thread")]
async fn side_by_side_runs_on_one_target_keep_to_their_own_objects() {
    let (ran, server) = trial(
        Mode::Honest,
        "jobs",
        LIFECYCLE,
        "hs11-",
        &["--profile", "all", "--jobs", "4"],
    )
    .await;
    let all = scim_harness::profile::NAMES.len();
    expect("jobs", &ran, 0, &format!("{all} passed, 0 failed"));
    assert!(server.left_by("hs11-").await.is_empty());
    let transcript =
        std::fs::read_to_string(ran.dir.path().join("transcript.jsonl")).unwrap_or_default();
    for slot in 0..all {
        assert!(
            transcript.contains(&format!("hs11-{slot}-ada@contoso.com")),
            "run {slot} did not use its own prefix"
        );
    }
    // Every transcript line is whole: concurrent runs append without tearing lines.
    for line in transcript.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "torn transcript line: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_that_fails_names_every_object_left_and_fails_the_run() {
    let (ran, server) = trial(
        Mode::DeleteFails,
        "delete-fails",
        LIFECYCLE,
        "hs10-",
        &["--profile", "entra"],
    )
    .await;
    expect(
        "delete-fails",
        &ran,
        1,
        "2 objects the run created are still on the target",
    );
    assert_eq!(server.left_by("hs10-").await.len(), 2);
}
