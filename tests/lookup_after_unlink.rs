//! Where an expectation looks for an object whose link is gone (unassigned and deleted): under
//! the name the IdP sent it with. The test runs a scenario against the
//! reference server twice — deleting as asked, and behind a proxy that answers the DELETE
//! 204 and keeps the object — and only the second may fail: an object looked for under a
//! name it was never sent with is found absent whatever the server holds.

mod hostile;

use hostile::{Hostile, Mode, TOKEN};
use scim_harness::engine::runner::{ScenarioOutcome, Verdict};

/// Runs `text` (one scenario called `name`, one profile) against the reference server behind
/// a proxy behaving as `mode`.
async fn outcome(mode: Mode, name: &str, profile: &str, text: &str) -> ScenarioOutcome {
    let server = Hostile::start(mode).await;
    let report = scim_harness::Harness::builder()
        .target(&server.url, Some(TOKEN.to_string()))
        .scenario_text(format!("{name}.yaml"), text)
        .build()
        .expect("valid")
        .run()
        .await
        .expect("ran");
    report.outcome(name, profile).expect("ran").clone()
}

/// PingOne, P1-1 `GROUP_NAME_SOURCE` distinguished name, a generated group: once it is
/// unassigned, PingOne deletes it and drops the link while the source still holds it, so an
/// expectation looks for it under the name PingOne sent, the DN. A server that answers the
/// DELETE 204 and keeps the group fails the run; recorded under its plain name at
/// `create_groups` (where `create_group` recorded the DN), the kept group was looked for
/// under a name it was never sent with and found absent.
#[tokio::test(flavor = "multi_thread")]
async fn an_unassigned_generated_group_is_looked_for_under_its_distinguished_name() {
    let text = "name: generated-group-dn\ndescription: d\nsymptom: s\nprofiles: [pingone]\n\
             options:\n  group_name_source: distinguished_name\nsteps:\n\
             \x20 - create_groups: { count: 2, template: { group: \"g{n}\", displayName: \"Team {n}\" } }\n\
             \x20 - assign: g1\n\
             \x20 - expect: { group: g1, present: true }\n\
             \x20 - unassign: g1\n\
             \x20 - expect: { group: g1, present: false }\n";
    let deleted = outcome(Mode::Honest, "generated-group-dn", "pingone", text).await;
    assert_eq!(deleted.verdict, Verdict::Passed, "{:?}", deleted.failure);
    let kept = outcome(Mode::KeepsDeleted, "generated-group-dn", "pingone", text).await;
    assert_eq!(kept.verdict, Verdict::Failed);
    let failure = format!("{:?}", kept.failure);
    assert!(failure.contains("g1"), "{failure}");
}
