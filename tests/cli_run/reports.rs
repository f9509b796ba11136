//! What a run writes: the provisioning log and snapshots (mismatch on CI, accepted, full).

use super::*;

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
