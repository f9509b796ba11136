//! A SCIM server vendor's check, on the library API: replay how Entra ID and Okta provision a
//! user's lifecycle against the server, print what happened, and fail when the server is
//! wrong. Against your server:
//!
//! ```text
//! SCIM_BASE_URL=https://scim.example.com/scim/v2 SCIM_TOKEN=… cargo run --example vendor_check
//! ```
//!
//! Without `SCIM_BASE_URL` it runs against the built-in reference server. `cargo test` runs
//! the test below (this example is declared `test = true`), which also shows the insta
//! helper: the directory the scenario ended with, asserted as an insta snapshot.

use scim_harness::check::snapshot::Mode;
use scim_harness::{Event, Harness, HarnessError, Report};

/// A built-in scenario, named as on the command line: a path that is not on disk is looked
/// up among the scenarios compiled into scim-harness, so a vendor needs no copy of this
/// repository. A vendor's own scenario files are named by their path the same way.
const SCENARIO: &str = "common/user-lifecycle.yaml";
/// Where a vendor keeps accepted snapshots; a built-in scenario whose snapshot is not there
/// is compared with the built-in one.
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots");

/// Runs the check against `target` (tenant URL and token), or the built-in server.
async fn check(target: Option<(String, Option<String>)>) -> Result<Report, HarnessError> {
    let mut builder = Harness::builder()
        .scenarios(SCENARIO)
        .profiles(["entra", "okta"])
        // Compared with the stored snapshots, never written: a check, not a recording.
        .snapshots(SNAPSHOTS, Mode::ReadOnly)
        .observe(|event| {
            if let Event::Finished(o) = event {
                println!("{:?}: {} under {}", o.verdict, o.scenario, o.profile);
            }
        });
    if let Some((url, token)) = target {
        builder = builder.target(url, token);
    }
    builder.build()?.run().await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let target = std::env::var("SCIM_BASE_URL")
        .ok()
        .map(|url| (url, std::env::var("SCIM_TOKEN").ok()));
    let report = match check(target).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let totals = report.totals();
    println!(
        "{} passed, {} failed, {} target errors, {} findings against {}",
        totals.passed,
        totals.failed,
        totals.target_errors,
        report.findings().len(),
        report.info().target
    );
    for o in report.outcomes() {
        if let Some(f) = &o.failure {
            println!("  {} ({}): {}", o.scenario, o.profile, f.message);
        }
    }
    match report.passed() {
        true => std::process::ExitCode::SUCCESS,
        false => std::process::ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_lifecycle_passes_on_the_built_in_server_and_its_directory_is_pinned() {
        let report = super::check(None).await.expect("the check builds and runs");
        assert!(report.passed(), "{:#?}", report.outcomes());
        assert_eq!(report.outcomes().len(), 2, "entra and okta");
        // What a vendor writes in their own `cargo test`.
        insta::assert_snapshot!(report
            .directory("common-user-lifecycle", "okta")
            .expect("the scenario takes a snapshot"));
    }
}
