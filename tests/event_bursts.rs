//! Event-driven IdPs under a burst (idp-behavior.md O-38, P1-15): Okta and PingOne push each
//! change as an event; the changes one scenario step makes before the next sync point (here
//! 12 users created at once, then 12 updated at once) are one burst, pushed through
//! `event_concurrency` workers. The in-flight counting server (`tests/inflight`) shows the
//! burst side by side with the option set, and strictly one at a time by default.

mod inflight;

use std::collections::BTreeMap;
use std::time::Duration;

use inflight::start;
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::okta::Okta;
use scim_harness::profile::pingone::PingOne;
use scim_harness::profile::Profile;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};
use serde_json::json;

const TOKEN: &str = "event-bursts-token";
const USERS: usize = 12;

/// A burst of creates, then a burst of updates, as the events of two steps: the most
/// requests in flight in each.
async fn bursts(profile: &dyn Profile) -> [usize; 2] {
    let (server, base, task) = start().await;
    let client =
        ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10)).expect("client");
    let mut engine = Engine::new(profile, &client, String::new(), Created::default());
    let mut tenant = Tenant::new();
    let mut burst = [0; 2];
    for (n, slot) in burst.iter_mut().enumerate() {
        for i in 1..=USERS {
            let r = format!("u{i:02}");
            if n == 0 {
                let upn = AttrValue::Text(format!("{r}@contoso.com"));
                tenant
                    .create_user(&r, BTreeMap::from([(UserAttr::UserPrincipalName, upn)]))
                    .expect("create user");
                tenant.assign(&r).expect("assign");
            } else {
                // givenName: mapped by both profiles (Okta's base mapping has no title).
                let given = BTreeMap::from([(UserAttr::GivenName, AttrValue::Text("Dev".into()))]);
                tenant.update_user(&r, &given).expect("update");
            }
        }
        let report = engine
            .cycle(&tenant, SyncKind::Incremental)
            .await
            .expect("events");
        assert_eq!(report.records.len(), USERS, "one event per user");
        for r in &report.records {
            assert_eq!(r.status, Status::Success, "{r:?}");
        }
        *slot = server.take_max();
    }
    let users = server.users();
    assert_eq!(users.len(), USERS, "every user created once");
    assert!(
        users
            .values()
            .all(|u| u["name"]["givenName"] == json!("Dev")),
        "every update landed"
    );
    task.abort();
    burst
}

fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_pushes_a_burst_one_event_at_a_time_by_default() {
    let okta = Okta::from_options(&options(&[])).expect("okta");
    assert_eq!(bursts(&okta).await, [1, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_pushes_a_burst_through_event_concurrency_workers() {
    let okta = Okta::from_options(&options(&[("event_concurrency", "4")])).expect("okta");
    assert_eq!(bursts(&okta).await, [4, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pingone_pushes_a_burst_through_event_concurrency_workers() {
    let one = PingOne::from_options(&options(&[])).expect("pingone");
    assert_eq!(bursts(&one).await, [1, 1]);
    let four = PingOne::from_options(&options(&[("event_concurrency", "4")])).expect("pingone");
    assert_eq!(bursts(&four).await, [4, 4]);
}
