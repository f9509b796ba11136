//! The `--target` and its token: a refused or unreachable target exits 3, `SCIM_BASE_URL` names
//! the target, the URL's flag selects the dialect, and a dry run sends nothing.

use super::*;

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
