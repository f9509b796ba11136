//! An independent protocol suite against the built-in server: scim2-tester 0.5.2 from PyPI,
//! run through its `check_server` by `.ci/scim2-tester-check.py`. The server runs in-process
//! on an ephemeral 127.0.0.1 port; `.ci/scim2-tester` installs the tester into
//! target/scim2-tester-venv when it is not there yet (python3 and PyPI needed), never skips.
//! Every check must pass: none is excluded.

use std::path::PathBuf;
use std::process::Command;

use scim_harness::server::{self, ServerConfig};

/// What scim2-tester 0.5.2 runs against this server: discovery, CRUD, PATCH add/replace/remove
/// on every attribute and `/.search`, for User and Group.
const EXPECTED_CHECKS: u64 = 135;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_tester_passes_every_check_against_the_built_in_server() {
    let token = format!("tester-{}", std::process::id());
    let running = server::start(ServerConfig {
        tokens: vec![token.clone()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts on an ephemeral port");
    let url = running.base_url().to_string();
    let run_token = token.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(root().join(".ci/scim2-tester"))
            .arg(&url)
            .arg(&run_token)
            .output()
    })
    .await
    .expect("the tester task ends")
    .expect("run .ci/scim2-tester");
    running.stop().await;

    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(&token), "token never printed");
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("{EXPECTED_CHECKS} passed, 0 failed, 0 skipped"),
        "scim2-tester:\n{stdout}\n{stderr}"
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
}
