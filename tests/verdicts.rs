//! Verdicts against servers with one realistic bug each, run as a vendor runs the binary: the
//! exit code, the root-cause exchange on the console (the server's status and its own
//! `detail`), and one grouped finding per cause however many scenarios it breaks.

mod hostile;

use std::time::{Duration, Instant};

use hostile::{Hostile, Mode, NEXT_TOKEN, TOKEN};

struct Verdict {
    code: Option<i32>,
    stdout: String,
    wall: Duration,
}

/// Runs the project's `paths` under `profile` against a server misbehaving in `mode`, with
/// the reviewed snapshots read-only (`CI` set).
async fn verdict(mode: Mode, paths: &[&str], profile: &str) -> Verdict {
    verdict_with(mode, paths, profile, &[]).await
}

async fn verdict_with(mode: Mode, paths: &[&str], profile: &str, extra: &[&str]) -> Verdict {
    let server = Hostile::start(mode).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(paths.iter().map(|p| format!("{root}/{p}")));
    args.extend([
        "--target".into(),
        server.url.clone(),
        "--profile".into(),
        profile.into(),
        "--snapshots".into(),
        format!("{root}/snapshots"),
    ]);
    args.extend(extra.iter().map(|a| a.to_string()));
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(&args)
            .env("SCIM_TOKEN", TOKEN)
            .env("CI", "true")
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("join");
    Verdict {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        wall: started.elapsed(),
    }
}

impl Verdict {
    fn says(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "missing {text:?} in:\n{}",
            self.stdout
        );
        self
    }

    fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{}", self.stdout);
        self
    }

    /// The number of grouped findings the run reports.
    fn findings(&self, n: usize) -> &Self {
        let heading = if n == 1 {
            "1 finding ".to_string()
        } else {
            format!("{n} findings ")
        };
        self.says(&heading)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn string_booleans_rejected_with_400_are_one_finding_naming_the_servers_detail() {
    let v = verdict(Mode::RejectsStringBooleans, &["scenarios/entra"], "entra").await;
    v.exits(1)
        .findings(1)
        .says("cause F-REJECTED the server answered 400 invalidValue \"active must be a boolean\" to Entra's PATCH /Users/{id}")
        .says("→ 400 invalidValue \"active must be a boolean\"")
        .says("request:   Replace active \"False\"");
    // Every failure it caused points at it, not at what followed.
    let failed = v.stdout.matches("  FAIL entra").count();
    let caused = v.stdout.matches("       cause F-REJECTED").count();
    assert!(failed >= 5, "{failed} failures:\n{}", v.stdout);
    assert_eq!(caused, failed, "{}", v.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_drops_email_type_is_named_once_for_every_run_it_breaks() {
    let v = verdict(Mode::DropsEmailType, &["scenarios/entra"], "entra").await;
    v.exits(1)
        .findings(2)
        .says("F-DROPPED-ATTR  the server drops `emails[].type`: POST /Users answered without it — broke ")
        .says("400 noTarget \"no such attribute: emails[type eq \\\"work\\\"]\"");
    let broke: usize = v
        .stdout
        .lines()
        .find(|l| l.contains("F-DROPPED-ATTR  the server drops"))
        .and_then(|l| l.split("broke ").nth(1))
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count of broken runs");
    assert!(broke >= 10, "{}", v.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_501_to_a_filtered_member_removal_is_the_cause() {
    let v = verdict(
        Mode::RejectsMemberFilterRemove,
        &["scenarios/okta/group-push-members-add-remove.yaml"],
        "okta",
    )
    .await;
    v.exits(1)
        .findings(1)
        .says("cause F-REJECTED the server answered 501 \"filtered member removal is not implemented\" to Okta's PATCH /Groups/{id}")
        .says("remove members[value eq");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_response_without_paging_fields_fails_okta_naming_them() {
    let v = verdict(
        Mode::ListWithoutPaging,
        &["scenarios/okta/test-connection-accepts-empty-list.yaml"],
        "okta",
    )
    .await;
    // The server answered, wrongly: a finding (1), not an unreachable target (3).
    v.exits(1)
        .findings(1)
        .says("F-LIST-SHAPE the server's ListResponse lacks `itemsPerPage`, `startIndex`")
        .says("GET /Users?startIndex=1&count=2 → 200");
    assert!(!v.stdout.contains("Entra quarantines"), "{}", v.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_answered_200_fails_the_idps_that_expect_201() {
    let v = verdict(
        Mode::CreateAnswers200,
        &["scenarios/common/user-lifecycle.yaml"],
        "all",
    )
    .await;
    v.exits(1)
        .says(
            "cause F-CREATE-STATUS the server answered 200 to Entra's POST /Users, not 201 Created",
        )
        .says("POST /Users → 200");
    // Entra and Okta document 201; the Ping profiles tolerate it with a warning.
    assert!(
        v.stdout.contains("  FAIL entra") && v.stdout.contains("  FAIL okta"),
        "{}",
        v.stdout
    );
    assert!(v.stdout.contains("  PASS pingfederate"), "{}", v.stdout);
    v.findings(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_text_html_content_type_fails_entra() {
    let v = verdict(
        Mode::HtmlContentType,
        &["scenarios/common/user-lifecycle.yaml"],
        "entra",
    )
    .await;
    v.exits(1)
        .findings(1)
        .says("cause F-CONTENT-TYPE the server answers with Content-Type `text/html`, not `application/scim+json`");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_500_on_the_probe_is_ridden_out_with_a_warning() {
    let v = verdict(
        Mode::FirstRequestFails,
        &["scenarios/common/user-lifecycle.yaml"],
        "entra",
    )
    .await;
    v.exits(0)
        .says("1 passed, 0 failed")
        .findings(1)
        .says("F-TRANSIENT")
        .says("→ 500 \"warming up\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_is_waited_out_in_wall_time() {
    let v = verdict(
        Mode::TooManyRequestsTwice,
        &["scenarios/common/user-lifecycle.yaml"],
        "entra",
    )
    .await;
    v.exits(0)
        .says("1 passed, 0 failed")
        .findings(1)
        .says("→ 429 \"slow down\"");
    assert!(
        v.wall >= Duration::from_secs(2),
        "Retry-After: 1 twice, waited {:?}",
        v.wall
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_failure_that_pins_its_finding_masks_only_that_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = |pin: &str| {
        let path = dir.path().join(format!("known-{}.yaml", pin.len()));
        std::fs::write(
            &path,
            format!(
                "- scenario: entra-scope-all-to-assigned-only-disables\n  profile: entra\n  \
                 reason: the server rejects string booleans\n  finding: '{pin}'\n"
            ),
        )
        .expect("write");
        path.display().to_string()
    };
    let scenario = ["scenarios/entra/scope-all-to-assigned-only-disables.yaml"];
    let same = list("F-REJECTED the server answered 400 invalidValue");
    let v = verdict_with(
        Mode::RejectsStringBooleans,
        &scenario,
        "entra",
        &["--known-failures", &same],
    )
    .await;
    v.exits(0).says("0 failed, 1 known failures");
    let other = list("F-DROPPED-ATTR");
    let v = verdict_with(
        Mode::RejectsStringBooleans,
        &scenario,
        "entra",
        &["--known-failures", &other],
    )
    .await;
    v.exits(1).says("1 failed").says(
        "listed as a known failure (line 1) for `F-DROPPED-ATTR`, but failed with another cause",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_accepts_any_token_fails_the_wrong_token_scenario_on_any_target() {
    let scenario = ["scenarios/entra/test-connection-wrong-token-quarantines.yaml"];
    let v = verdict(Mode::AcceptAnyToken, &scenario, "entra").await;
    v.exits(1)
        .findings(1)
        .says("F-CREDENTIALS  Test Connection succeeded with a wrong bearer token: the server accepts any token")
        .says("request: GET http");
    // The same scenario passes against a server that checks the token: it runs on any target.
    let v = verdict(Mode::Honest, &scenario, "entra").await;
    v.exits(0).says("1 passed, 0 failed");
}

/// `--next-token`: after `target_rotate_token`, `idp_update_token` gives the IdP the second
/// token, so the scenario's recovery proves the server honours it — and fails when it does not.
#[tokio::test(flavor = "multi_thread")]
async fn next_token_is_the_token_the_idp_holds_after_rotation() {
    let scenario = ["scenarios/entra/token-regenerated-quarantine-then-resume.yaml"];
    let v = verdict_with(
        Mode::Honest,
        &scenario,
        "entra",
        &["--next-token", NEXT_TOKEN],
    )
    .await;
    v.exits(0).says("1 passed, 0 failed");
    assert!(!v.stdout.contains(NEXT_TOKEN), "{}", v.stdout);
    // A second token the server does not accept: the recovery's probe is refused, which is
    // a credentials problem of the target set-up (exit 3), named as such.
    let refused = "next-token-the-server-never-issued";
    let v = verdict_with(Mode::Honest, &scenario, "entra", &["--next-token", refused]).await;
    v.exits(3).says(
        "F-CREDENTIALS Test Connection failed: the target rejected the credentials: HTTP 401",
    );
    assert!(!v.stdout.contains(refused), "{}", v.stdout);
}

/// PF-19: under Max Threads 5 the 50 creates of one poll overlap; a server that writes its
/// user table back whole loses the overlapped ones. The run fails and names a user that is
/// not on the target. With one thread the same server keeps every user and the run passes:
/// the failure is the race the worker pool exposes, not the scenario.
#[tokio::test(flavor = "multi_thread")]
async fn max_threads_exposes_creates_lost_to_a_whole_table_write() {
    let scenario = ["scenarios/pingfederate/max-threads-50-user-creates.yaml"];
    verdict(Mode::LosesOverlappingCreates, &scenario, "pingfederate")
        .await
        .exits(1)
        .says("F-STATE")
        .says("is not on the target (GET by its id");
    verdict_with(
        Mode::LosesOverlappingCreates,
        &scenario,
        "pingfederate",
        &["--option", "max_threads=1"],
    )
    .await
    .exits(0);
}

/// PF-19: under Max Threads 5 with PATCH group updates, the 25 one-member PATCHes of one poll
/// overlap; a server that reads a group, works, and writes its whole member list back loses
/// the members an overlapping write added. The run fails and names a member that is not in
/// the group. The honest reference server behind the same scenario keeps every member, and so
/// does the racing server when the channel runs one thread: the loss is the race.
#[tokio::test(flavor = "multi_thread")]
async fn max_threads_exposes_members_lost_to_a_read_modify_write() {
    let scenario = ["scenarios/pingfederate/max-threads-no-lost-member.yaml"];
    let v = verdict(
        Mode::LosesOverlappingMemberWrites,
        &scenario,
        "pingfederate",
    )
    .await;
    v.exits(1)
        .findings(1)
        .says("F-STATE  group `team`: members is [")
        .says("members missing: u");
    // Each member the finding names as missing is one the scenario added and the group
    // the server answered with does not hold.
    let finding = v
        .stdout
        .lines()
        .find(|l| l.contains("members missing: "))
        .unwrap_or_default();
    let held = finding
        .split("members is [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or_default();
    let missing = finding
        .split("members missing: ")
        .nth(1)
        .and_then(|rest| rest.split([';', '\u{2014}']).next())
        .unwrap_or_default()
        .trim();
    let lost: Vec<&str> = missing.split(", ").map(str::trim).collect();
    assert!(!lost.is_empty(), "{finding}");
    for u in lost {
        let added = (1..=25).any(|i| u == format!("u{i:02}"));
        assert!(
            added && !held.contains(&format!("\"{u}\"")),
            "{u} in {finding}"
        );
    }
    verdict(Mode::Honest, &scenario, "pingfederate")
        .await
        .exits(0);
    verdict_with(
        Mode::LosesOverlappingMemberWrites,
        &scenario,
        "pingfederate",
        &["--option", "max_threads=1"],
    )
    .await
    .exits(0);
}

/// OneLogin's template drift (OL-6) against a server that types strictly: the string `active`
/// fails OneLogin's create, named once with the server's detail; with JSON booleans the same
/// server still refuses the lone `emails` object of OneLogin's update PATCH.
#[tokio::test(flavor = "multi_thread")]
async fn a_strict_server_refuses_onelogins_template_types_and_the_finding_names_them() {
    let v = verdict(
        Mode::StrictTypes,
        &["scenarios/onelogin/string-active.yaml"],
        "onelogin",
    )
    .await;
    v.exits(1)
        .findings(1)
        .says("cause F-REJECTED the server answered 400 invalidValue \"active must be a boolean\" to OneLogin's POST /Users")
        .says("POST /Users → 400 invalidValue");
    let v = verdict_with(
        Mode::StrictTypes,
        &["scenarios/onelogin/single-object-emails-in-patch.yaml"],
        "onelogin",
        &["--option", "string_active=false"],
    )
    .await;
    v.exits(1)
        .findings(1)
        .says("cause F-REJECTED the server answered 400 invalidSyntax \"emails must be an array\" to OneLogin's PATCH /Users/{id}");
    // Typed as the RFC says, the same server takes every OneLogin request.
    let v = verdict_with(
        Mode::StrictTypes,
        &["scenarios/onelogin/single-object-emails-in-patch.yaml"],
        "onelogin",
        &[
            "--option",
            "string_active=false",
            "--option",
            "patch_email_object=false",
        ],
    )
    .await;
    v.exits(0);
}

/// Ping's two mapped emails are both `primary` (PF-8, P1-7, documented): a server enforcing
/// RFC 7643 §2.4's single primary refuses the user, named once as the cause with the server's
/// detail and the IdP's POST; the same scenarios pass against the reference server, and a
/// user with one email passes the strict server.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_refusing_two_primary_emails_is_the_cause_for_both_ping_idps() {
    for (profile, idp) in [("pingone", "PingOne"), ("pingfederate", "PingFederate")] {
        let scenario = format!("scenarios/{profile}/two-emails-both-primary.yaml");
        let v = verdict(Mode::OnePrimaryEmail, &[&scenario], profile).await;
        v.exits(1).findings(1).says(&format!(
            "cause F-REJECTED the server answered 400 invalidValue \"primary may be true for one email only\" to {idp}'s POST /Users"
        ));
        verdict(Mode::Honest, &[&scenario], profile)
            .await
            .exits(0)
            .says("1 passed, 0 failed");
    }
    verdict(
        Mode::OnePrimaryEmail,
        &["scenarios/pingone/cleared-attribute-is-kept.yaml"],
        "pingone",
    )
    .await
    .exits(0);
}
