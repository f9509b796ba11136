//! Every scenario of `scenarios/` under every profile it names, against the built-in server,
//! as README's first command runs them. Until 2026-12-04 only that command and the interop
//! run against scim2-server ran the whole matrix: a change to Okta's purge broke two
//! scenarios' expectations and `cargo test` noticed only through scim2-server.

use scim_harness::check::snapshot::Mode;
use scim_harness::engine::runner::Verdict;
use scim_harness::Harness;

#[tokio::test(flavor = "multi_thread")]
async fn every_scenario_passes_against_the_built_in_server() {
    let report = Harness::builder()
        .scenarios("scenarios")
        // The committed snapshots are compared; nothing is written beside them.
        .snapshots("snapshots", Mode::ReadOnly)
        .jobs(2)
        .build()
        .expect("the scenarios and their options are valid")
        .run()
        .await
        .expect("the built-in server runs");
    let outcomes = report.outcomes();
    // Six profiles over the common scenarios and each profile's own: a walk that found a
    // handful would pass this test without testing anything.
    assert!(outcomes.len() >= 120, "only {} runs", outcomes.len());
    let broken: Vec<String> = outcomes
        .iter()
        .filter(|o| o.verdict != Verdict::Passed)
        .map(|o| {
            format!(
                "{}@{}: {:?} {:?}",
                o.scenario, o.profile, o.verdict, o.failure
            )
        })
        .collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(report.passed());
}
