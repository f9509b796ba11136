//! A cycle long enough that the engine hands its finished records to the run's log while it
//! runs (issue 12: memory must not grow with the number of requests). The log must read as
//! if nothing had been spilled: every record once, in cycle order, `expect: log` able to see
//! records spilled mid-cycle, and a record that reference resolution completes at the end of
//! the cycle (the manager step) still complete.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use common::{Api, TOKEN};
use scim_harness::check::snapshot;
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::log::StepType;
use scim_harness::engine::runner::{self, RunSettings, Verdict};
use scim_harness::engine::Created;

/// More than the engine's spill batch (1,000 records) and fewer than the log keeps in memory.
const USERS: u64 = 2_500;

fn scenario() -> String {
    format!(
        "name: long-cycle-log\ndescription: d\nsymptom: s\nsteps:\n\
         \x20 - create_users:\n      count: {USERS}\n      template:\n        user: \"u{{n}}\"\n\
         \x20       userPrincipalName: \"u{{n}}@contoso.com\"\n\
         \x20 - create_user: {{ user: zoe, userPrincipalName: zoe@contoso.com }}\n\
         \x20 - create_user: {{ user: u1999m, userPrincipalName: m@contoso.com, manager: zoe }}\n\
         \x20 - assign: {{ users: \"u1..u{USERS}\" }}\n\
         \x20 - assign: zoe\n  - assign: u1999m\n  - sync: initial\n\
         \x20 - expect: {{ log: {{ object: u1, action: create, status: success }} }}\n\
         \x20 - expect: {{ log: {{ object: u1999m, action: create, status: success }} }}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spilled_cycle_logs_every_record_once_in_order_and_complete() {
    let api = Api::start().await;
    let file = PathBuf::from("long-cycle-log.yaml");
    let scenario = scim_harness::scenario::parse_str(&scenario(), &file).expect("parses");
    let profile = scim_harness::profile::by_name("entra", &BTreeMap::new()).expect("entra");
    let client = ScimClient::new(
        api.server.base_url(),
        Some(Secret::new(TOKEN)),
        Duration::from_secs(30),
    )
    .expect("client");
    let settings = RunSettings {
        prefix: String::new(),
        next_token: None,
        full_snapshots: false,
        snapshot_dir: std::env::temp_dir().join("scim-harness-provisioning-log-test"),
        snapshot_mode: snapshot::Mode::ReadOnly,
        progress: None,
    };
    let outcome = runner::run(
        &scenario,
        &*profile,
        &client,
        &settings,
        Created::default(),
        None,
    )
    .await;
    assert_eq!(outcome.verdict, Verdict::Passed, "{:?}", outcome.failure);

    let records = outcome.log.records();
    // The cycle's order: the tenant's users by ref (u1, u10, u100, …, u1999, u1999m, u2, …).
    let mut refs: Vec<String> = (1..=USERS).map(|n| format!("u{n}")).collect();
    refs.extend(["u1999m".to_string(), "zoe".to_string()]);
    refs.sort();
    let objects: Vec<&str> = records.iter().map(|r| r.object.as_str()).collect();
    assert_eq!(objects, refs, "every record once, in cycle order");
    assert_eq!(outcome.log.len(), refs.len());
    assert!(records.iter().all(|r| r.cycle_id == records[0].cycle_id));
    assert!(records
        .iter()
        .all(|r| r.modified_properties.iter().any(|p| p.name == "userName")));

    // u1999m comes after the first thousand records were spilled and before more could be:
    // its manager is written at the end of the cycle, so its record was held back for it.
    let zed = records
        .iter()
        .find(|r| r.object == "u1999m")
        .expect("u1999m");
    assert!(
        zed.provisioning_steps
            .iter()
            .any(|s| s.kind == StepType::ReferenceResolution && s.status == "success"),
        "{zed:?}"
    );
    assert!(zed.modified_properties.iter().any(|p| p.name == "manager"));

    // The `--log` lines are made from the same records.
    let lines = scim_harness::report::log_lines(std::slice::from_ref(&outcome));
    assert_eq!(lines.lines().count(), refs.len());
    assert!(lines
        .lines()
        .next()
        .is_some_and(|l| l.contains("\"object\":\"u1\"")));
}
