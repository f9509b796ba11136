//! The suite through the binary: a full run, check selection, a failing run, `list`.

use super::*;

// The binary, as a user runs it.

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn harness(args: &[&str]) -> (Option<i32>, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .current_dir(root())
            .args(&args)
            .env_remove("SCIM_TOKEN")
            .env_remove("CI")
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_builtin_server_passes_the_whole_suite() {
    let n = protocol::checks().len();
    let (code, stdout, stderr) = harness(&["run", "--suite", "protocol"]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{n} passed, 0 failed")),
        "{stdout}"
    );
    assert!(stdout.contains("PASS protocol protocol-create.returns-201-with-location"));
    assert!(
        !stdout.contains("scenario runs"),
        "no scenario ran: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_is_selected_by_name_or_group_and_a_typo_is_a_usage_error() {
    let (code, stdout, _) = harness(&[
        "run",
        "--check",
        "protocol/create.returns-201-with-location",
    ])
    .await;
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let (code, stdout, _) = harness(&["run", "--check", "auth"]).await;
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
    let (code, _, stderr) = harness(&["run", "--check", "create.returns-201"]).await;
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("did you mean create.returns-201-with-location"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_check_exits_1_and_names_its_cause_and_idps() {
    let server = Hostile::start(Mode::NoLocation).await;
    let (code, stdout, stderr) = harness(&[
        "run",
        "--suite",
        "protocol",
        "--target",
        &server.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL protocol protocol-create.returns-201-with-location"),
        "{stdout}"
    );
    assert!(stdout.contains("F-CREATE-STATUS"), "{stdout}");
    assert!(stdout.contains("Entra (E-19), Okta (O-11)"), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_each_check_with_its_section_and_idps() {
    let (code, stdout, _) = harness(&["list", "--suite", "protocol"]).await;
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("protocol/filter.username-eq-ignores-case  [protocol]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rfc:     RFC 7644 §3.4.2.4 — required"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{} protocol checks", protocol::checks().len())));
}
