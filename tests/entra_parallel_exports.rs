//! Entra's export parallelism and request rate (idp-behavior.md E-67), options
//! `parallel_exports` and `rate`: undocumented by Microsoft, so both are the admin's choice
//! here. The in-flight counting server (`tests/inflight`) shows `parallel_exports` workers
//! exporting users side by side, and the job's rate limit counts every request the job sent;
//! the limit's spacing itself is pinned on tokio's paused clock in `src/engine/rate.rs`.

mod inflight;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use inflight::start;
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::Entra;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};

const TOKEN: &str = "entra-parallel-exports-token";
const USERS: usize = 12;

/// One initial cycle creating `USERS` users with `options`: the most requests in flight at
/// once, the requests the cycle counted, and the requests the rate limit let through.
async fn initial_cycle(options: &[(&str, &str)]) -> (usize, u64, Option<u64>) {
    let (server, base, task) = start().await;
    let options: BTreeMap<String, String> = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let profile = Entra::from_options(&options).expect("valid options");
    let client =
        ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10)).expect("client");
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());
    let mut tenant = Tenant::new();
    for i in 1..=USERS {
        let r = format!("u{i:02}");
        let upn = AttrValue::Text(format!("{r}@contoso.com"));
        tenant
            .create_user(&r, BTreeMap::from([(UserAttr::UserPrincipalName, upn)]))
            .expect("create user");
        tenant.assign(&r).expect("assign");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("cycle");
    let objects: Vec<&str> = report.records.iter().map(|r| r.object.as_str()).collect();
    let expected: Vec<String> = (1..=USERS).map(|i| format!("u{i:02}")).collect();
    assert_eq!(objects, expected, "one record per user, in user order");
    assert!(report.records.iter().all(|r| r.status == Status::Success));
    let names: BTreeSet<String> = server
        .users()
        .values()
        .filter_map(|u| u["userName"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names.len(), USERS, "every user created once");
    task.abort();
    (
        server.take_max(),
        report.total_requests(),
        engine.rate_limit().map(|r| r.granted()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_exports_one_at_a_time_unless_told_otherwise() {
    let (in_flight, _, limited) = initial_cycle(&[]).await;
    assert_eq!(in_flight, 1);
    assert_eq!(limited, None, "no rate unless set");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_exports_fill_the_pool_and_the_rate_counts_every_request() {
    // 1000/s: a 1 ms spacing, far below the server's pause, so the pool still fills.
    let (in_flight, sent, limited) =
        initial_cycle(&[("parallel_exports", "4"), ("rate", "1000")]).await;
    assert_eq!(in_flight, 4);
    // The probe, a matching query and a POST per user: each through the limit.
    assert_eq!(sent, 1 + 2 * USERS as u64);
    assert_eq!(limited, Some(sent));
}
