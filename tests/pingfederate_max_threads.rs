//! PingFederate's Max Threads (idp-behavior.md PF-19): the user and group operations of a
//! poll — creates, updates (renames), deletes — go through a pool of `max_threads` workers. A small
//! in-process SCIM server (`tests/inflight`) that answers every request after a pause counts how many requests
//! are in flight at once: with five threads the pool fills and never overflows; with one,
//! the channel is strictly sequential. The server keeps its users honestly, so the test also
//! proves nothing is lost or doubled, and that the run's record of what it created (what
//! cleanup deletes) holds every user it created.

mod inflight;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use inflight::start;
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::pingfederate::PingFederate;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};
use serde_json::json;

const TOKEN: &str = "pingfederate-max-threads-token";
const USERS: usize = 12;

fn tenant() -> Tenant {
    let mut t = Tenant::new();
    for i in 1..=USERS {
        let r = format!("u{i:02}");
        let upn = AttrValue::Text(format!("{r}@contoso.com"));
        t.create_user(&r, BTreeMap::from([(UserAttr::UserPrincipalName, upn)]))
            .expect("create user");
        t.assign(&r).expect("assign");
    }
    t
}

fn all_succeeded(report: &CycleReport, what: &str) {
    let objects: Vec<&str> = report.records.iter().map(|r| r.object.as_str()).collect();
    let expected: Vec<String> = (1..=USERS).map(|i| format!("u{i:02}")).collect();
    assert_eq!(
        objects, expected,
        "{what}: one record per user, in user order"
    );
    for r in &report.records {
        assert_eq!(r.status, Status::Success, "{what}: {r:?}");
    }
}

/// Creates, updates and deletes of one poll each, with `threads` workers; the most requests
/// the server saw in flight at once in each poll.
async fn polls(threads: &str) -> [usize; 3] {
    let (server, base, task) = start().await;
    let options = BTreeMap::from([
        ("max_threads".to_string(), threads.to_string()),
        ("remove_user_action".to_string(), "delete".to_string()),
    ]);
    let profile = PingFederate::from_options(&options).expect("valid options");
    let client =
        ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10)).expect("client");
    let created = Created::default();
    let mut engine = Engine::new(&profile, &client, String::new(), created.clone());
    let mut tenant = tenant();

    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("poll");
    all_succeeded(&report, "creates");
    let creates = server.take_max();
    let held = server.users();
    let names: BTreeSet<&str> = held
        .values()
        .filter_map(|u| u["userName"].as_str())
        .collect();
    assert_eq!((held.len(), names.len()), (USERS, USERS), "every user once");
    // What cleanup deletes: every id the server handed out, none pending.
    let tracked: BTreeSet<String> = created
        .newest_first()
        .into_iter()
        .map(|o| o.id.expect("every create answered with an id"))
        .collect();
    assert_eq!(tracked, held.keys().cloned().collect::<BTreeSet<_>>());
    // Each user's link is its own target user.
    let linked: BTreeSet<String> = report
        .records
        .iter()
        .filter_map(|r| r.target_identity.clone())
        .collect();
    assert_eq!(linked.len(), USERS);

    for i in 1..=USERS {
        let title = BTreeMap::from([(UserAttr::JobTitle, AttrValue::Text("Dev".into()))]);
        tenant
            .update_user(&format!("u{i:02}"), &title)
            .expect("update");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_succeeded(&report, "updates");
    let updates = server.take_max();
    assert!(
        server.users().values().all(|u| u["title"] == json!("Dev")),
        "every PUT landed"
    );

    for i in 1..=USERS {
        tenant.unassign(&format!("u{i:02}")).expect("unassign");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_succeeded(&report, "deletes");
    let deletes = server.take_max();
    assert!(server.users().is_empty(), "every DELETE landed");
    task.abort();
    [creates, updates, deletes]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_threads_fill_the_pool_and_never_overflow_it() {
    assert_eq!(polls("5").await, [5, 5, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_thread_sends_one_request_at_a_time() {
    assert_eq!(polls("1").await, [1, 1, 1]);
}

const GROUPS: usize = 12;

fn group_tenant() -> Tenant {
    let mut t = Tenant::new();
    for i in 1..=GROUPS {
        let r = format!("g{i:02}");
        t.create_group(&r, &format!("Team {i:02}"), &[])
            .expect("create group");
        t.assign(&r).expect("assign");
    }
    t
}

fn all_groups_succeeded(report: &CycleReport, what: &str) {
    let objects: Vec<&str> = report.records.iter().map(|r| r.object.as_str()).collect();
    let expected: Vec<String> = (1..=GROUPS).map(|i| format!("g{i:02}")).collect();
    assert_eq!(
        objects, expected,
        "{what}: one record per group, in group order"
    );
    for r in &report.records {
        assert_eq!(r.status, Status::Success, "{what}: {r:?}");
    }
}

/// Group creates, renames and deletes (the groups deleted in the source) of one poll each,
/// with `threads` workers; the most requests the server saw in flight in each poll.
async fn group_polls(threads: &str) -> [usize; 3] {
    let (server, base, task) = start().await;
    let options = BTreeMap::from([("max_threads".to_string(), threads.to_string())]);
    let profile = PingFederate::from_options(&options).expect("valid options");
    let client =
        ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10)).expect("client");
    let created = Created::default();
    let mut engine = Engine::new(&profile, &client, String::new(), created.clone());
    let mut tenant = group_tenant();

    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("poll");
    all_groups_succeeded(&report, "creates");
    let creates = server.take_max();
    let held = server.groups();
    let names: BTreeSet<&str> = held
        .values()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    assert_eq!(
        (held.len(), names.len()),
        (GROUPS, GROUPS),
        "every group once"
    );
    let tracked: BTreeSet<String> = created
        .newest_first()
        .into_iter()
        .filter_map(|o| o.id)
        .collect();
    assert_eq!(tracked, held.keys().cloned().collect::<BTreeSet<_>>());
    for i in 1..=GROUPS {
        let g = tenant.group(&format!("g{i:02}")).expect("group");
        let link = engine.link(&g.object_id).expect("linked");
        assert_eq!(
            held[&link.target_id]["displayName"],
            json!(format!("Team {i:02}")),
            "g{i:02} is linked to its own target group"
        );
    }

    for i in 1..=GROUPS {
        tenant
            .rename_group(&format!("g{i:02}"), &format!("Squad {i:02}"))
            .expect("rename");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_groups_succeeded(&report, "renames");
    let renames = server.take_max();
    let names: BTreeSet<String> = server
        .groups()
        .values()
        .filter_map(|g| g["displayName"].as_str().map(str::to_string))
        .collect();
    let expected: BTreeSet<String> = (1..=GROUPS).map(|i| format!("Squad {i:02}")).collect();
    assert_eq!(names, expected, "every rename landed");

    for i in 1..=GROUPS {
        tenant.delete_group(&format!("g{i:02}")).expect("delete");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_groups_succeeded(&report, "deletes");
    let deletes = server.take_max();
    assert!(server.groups().is_empty(), "every DELETE landed");
    task.abort();
    [creates, renames, deletes]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_threads_run_group_creates_renames_and_deletes_side_by_side() {
    assert_eq!(group_polls("5").await, [5, 5, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_thread_sends_one_group_request_at_a_time() {
    assert_eq!(group_polls("1").await, [1, 1, 1]);
}
