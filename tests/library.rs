//! The library API as a vendor's `cargo test` uses it: `Harness::builder()` against the
//! built-in server, outcomes heard as they come, known failures applied by the library (not
//! the CLI), the run's verdict, and the directory handed over for an insta assertion.

use std::sync::{Arc, Mutex};

use scim_harness::check::snapshot::Mode;
use scim_harness::engine::runner::Verdict;
use scim_harness::{Event, Harness, RunVerdict};

/// Passes on a correct server: the user ends active.
const ENDS_ACTIVE: &str = "name: ends-active\ndescription: d\nsymptom: s\nprofiles: [okta, entra]\nsteps:\n  - create_user: { user: lea, userPrincipalName: lea@contoso.com, givenName: Lea, surname: Roy }\n  - assign: lea\n  - sync: initial\n  - expect: { user: lea, active: true }\n  - snapshot: created\n";
/// Fails on every server: it expects the user inactive.
const WRONG_EXPECTATION: &str = "name: wrong-expectation\ndescription: d\nsymptom: s\nprofiles: [okta]\nsteps:\n  - create_user: { user: lea, userPrincipalName: lea@contoso.com, givenName: Lea, surname: Roy }\n  - assign: lea\n  - sync: initial\n  - expect: { user: lea, active: false }\n";

fn builder() -> scim_harness::HarnessBuilder {
    Harness::builder()
        .scenario_text("ends-active.yaml", ENDS_ACTIVE)
        .scenario_text("wrong-expectation.yaml", WRONG_EXPECTATION)
        .snapshots("snapshots", Mode::Collect)
        .jobs(2)
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_are_heard_in_list_order_and_a_failure_fails_the_run() {
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = heard.clone();
    let harness = builder()
        .observe(move |event| {
            if let Event::Finished(o) = event {
                if let Ok(mut list) = seen.lock() {
                    list.push(format!("{}@{}", o.scenario, o.profile));
                }
            }
        })
        .build()
        .expect("valid");
    // Spawned, as the CLI runs it and `Harness::run` advises: this only compiles while the
    // run's future is `Send + 'static`.
    let report = tokio::spawn(harness.run())
        .await
        .expect("the task ends")
        .expect("ran");
    let listed: Vec<String> = report
        .outcomes()
        .iter()
        .map(|o| format!("{}@{}", o.scenario, o.profile))
        .collect();
    assert_eq!(
        listed,
        [
            "ends-active@entra",
            "ends-active@okta",
            "wrong-expectation@okta"
        ]
    );
    assert_eq!(*heard.lock().expect("lock"), listed);
    assert_eq!(report.verdict(), RunVerdict::Failed);
    assert!(!report.passed());
    let failed = report.outcome("wrong-expectation", "okta").expect("ran");
    assert_eq!(failed.verdict, Verdict::Failed);
    assert!(report.json().contains("\"wrong-expectation\""));
    // Each profile's snapshot step handed its directory over, prefix stripped.
    for profile in ["entra", "okta"] {
        let directory = report.directory("ends-active", profile).expect("snapshot");
        assert!(
            directory.contains("\"userName\": \"lea@contoso.com\""),
            "{directory}"
        );
        assert!(
            !directory.contains(report.info().prefix.as_str()),
            "{directory}"
        );
        assert_eq!(
            report.snapshot("ends-active", profile, "created"),
            Some(directory)
        );
    }
    assert_eq!(report.directory("wrong-expectation", "okta"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listed_known_failure_does_not_fail_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("known.yaml");
    std::fs::write(
        &list,
        "- scenario: wrong-expectation\n  profile: okta\n  reason: the scenario expects the wrong state\n",
    )
    .expect("write");
    let report = builder()
        .known_failures(&list)
        .build()
        .expect("valid")
        .run()
        .await
        .expect("ran");
    let known = report.outcome("wrong-expectation", "okta").expect("ran");
    assert_eq!(known.verdict, Verdict::KnownFailure);
    assert_eq!(report.verdict(), RunVerdict::Passed);
    assert_eq!(report.totals().known, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_failures_entry_naming_no_scenario_is_refused_at_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("known.yaml");
    std::fs::write(
        &list,
        "- scenario: wrong-expectaton\n  profile: okta\n  reason: typo\n",
    )
    .expect("write");
    let e = match builder().known_failures(&list).build() {
        Ok(_) => panic!("a typo in the list must not build"),
        Err(e) => e,
    };
    assert!(e.is_usage());
    assert!(e.to_string().contains("wrong-expectaton"), "{e}");
    assert!(e.to_string().contains("known.yaml:1:"), "{e}");
}

/// `.scenarios(path)` takes the same paths as the command line: one not on disk names the
/// built-in scenarios, so a vendor's `cargo test` runs them without this repository.
#[tokio::test(flavor = "multi_thread")]
async fn a_path_not_on_disk_names_built_in_scenarios() {
    // Tests run in the repository root, which has `scenarios/common/` but no `common/`.
    assert!(!std::path::Path::new("common").exists());
    let report = Harness::builder()
        .scenarios("common/delete-in-the-idp.yaml")
        .profiles(["okta"])
        .build()
        .expect("a built-in path builds")
        .run()
        .await
        .expect("runs");
    let shown: Vec<String> = report.outcomes().iter().map(|o| o.file.clone()).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].ends_with("common/delete-in-the-idp.yaml (built in)"),
        "{shown:?}"
    );
    assert!(report.passed(), "{:?}", report.outcomes()[0].failure);
}
