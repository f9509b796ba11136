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

/// Entra, a user soft-deleted while assigned and then purged: the soft delete's PATCH sends the
/// UPN tombstone (§1.6), so the target's last userName for it is the tombstone, and the
/// purge's DELETE goes by id. A server that answers that DELETE 204 and keeps the user fails
/// the run; looked for under the plain UPN (the name of its attributes, the tombstone left
/// out), the kept user was found absent and the run passed.
#[tokio::test(flavor = "multi_thread")]
async fn a_purged_user_is_looked_for_under_the_tombstone_entra_last_sent() {
    let text = "name: purged-tombstone\ndescription: d\nsymptom: s\nprofiles: [entra]\nsteps:\n\
             \x20 - create_user: { user: ned, userPrincipalName: ned@contoso.com, mail: ned@contoso.com }\n\
             \x20 - assign: ned\n\
             \x20 - sync: initial\n\
             \x20 - soft_delete_user: ned\n\
             \x20 - sync: incremental\n\
             \x20 - hard_delete_user: ned\n\
             \x20 - sync: incremental\n\
             \x20 - expect: { requests: { DELETE: 1 } }\n\
             \x20 - expect: { user: ned, present: false }\n";
    let deleted = outcome(Mode::Honest, "purged-tombstone", "entra", text).await;
    assert_eq!(deleted.verdict, Verdict::Passed, "{:?}", deleted.failure);
    let kept = outcome(Mode::KeepsDeleted, "purged-tombstone", "entra", text).await;
    assert_eq!(kept.verdict, Verdict::Failed);
    let failure = format!("{:?}", kept.failure);
    assert!(failure.contains("ned"), "{failure}");
}
