//! The bench's judged baseline (benches/support/replay.rs) against the built-in server: the
//! ids a replayed create returns replace the ones the harness saw, in paths and bodies, so
//! every replayed request meets the state the harness's met. A replay that kept the old ids
//! would read 404s, which the bench counts as non-2xx.

use std::path::Path;

use scim_harness::server::{self, ServerConfig};
use serde_json::json;

#[allow(dead_code)]
#[path = "../benches/support/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../benches/support/replay.rs"]
mod replay;

const TOKEN: &str = "bench-replay-token";
/// An id the harness's server gave; the fresh server gives another.
const OLD: &str = "0b9c4a7e-1f2d-4c3b-9a8e-7d6c5b4a3f21";

fn write(dir: &Path, lines: &[serde_json::Value]) -> std::path::PathBuf {
    let path = dir.join("replay.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).expect("write replay");
    path
}

/// A fresh built-in server, as each replay phase meets one.
async fn fresh_server() -> server::RunningServer {
    server::start(ServerConfig {
        tokens: vec![TOKEN.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_sends_the_fresh_servers_ids_in_paths_and_bodies() {
    let target = fresh_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let user =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"});
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineers",
        "members": [{"value": OLD}]
    });
    let rename = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Ada L"}]
    });
    let file = write(
        dir.path(),
        &[
            json!(["POST", "/Users", user, OLD]),
            json!(["GET", format!("/Users/{OLD}"), null, null]),
            json!(["PATCH", format!("/Users/{OLD}"), rename, null]),
            json!(["POST", "/Groups", group, null]),
        ],
    );
    let run = replay::run_raw(file, target.base_url().to_string(), TOKEN)
        .await
        .expect("replay runs");
    assert_eq!((run.requests, run.errors), (4, 0));
    let stretches = run.stretches.expect("a /Groups request was replayed");
    assert_eq!((stretches.users.0, stretches.groups.0), (3, 1));
    assert!((stretches.users.1 + stretches.groups.1 - run.seconds).abs() < 1e-9);
    let get = |path: &str| {
        reqwest::Client::new()
            .get(format!("{}{path}", target.base_url()))
            .bearer_auth(TOKEN)
            .send()
    };
    let users: serde_json::Value = get("/Users")
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let groups: serde_json::Value = get("/Groups")
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let fresh = users["Resources"][0]["id"].as_str().expect("the user's id");
    assert_ne!(fresh, OLD);
    assert_eq!(
        users["Resources"][0]["displayName"], "Ada L",
        "the PATCH reached the fresh id"
    );
    assert_eq!(groups["Resources"][0]["members"][0]["value"], fresh);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_no_replayed_create_returned_is_sent_as_it_was_and_counted_as_an_error() {
    let target = fresh_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        &[json!(["GET", format!("/Users/{OLD}"), null, null])],
    );
    let run = replay::run_raw(file, target.base_url().to_string(), TOKEN)
        .await
        .expect("replay runs");
    assert_eq!((run.requests, run.errors), (1, 1));
    assert_eq!(run.stretches, None, "no /Groups request: no split");
}

/// The bench's span split (`measure::Window`), on the harness's side.
#[test]
fn the_span_splits_at_the_first_groups_request() {
    let mut w = measure::Window::default();
    w.answered(10, "/Users?filter=userName%20eq%20%22a%22");
    w.answered(10, "/Users");
    std::thread::sleep(std::time::Duration::from_millis(20));
    w.answered(5_000, "/Groups?filter=displayName%20eq%20%22g%22");
    w.answered(10, "/Users/1");
    w.answered(10, "/Groups/1");
    let s = w.stretches().expect("a /Groups request was answered");
    assert_eq!((s.users.0, s.groups.0), (2, 3));
    // The first /Groups request was sent 5 ms before its answer: the users stretch ends
    // there, and the two add up to the whole span.
    assert!(s.users.1 >= 0.015 && s.users.1 < w.seconds(), "{s:?}");
    assert!((s.users.1 + s.groups.1 - w.seconds()).abs() < 1e-9, "{s:?}");
    assert_eq!(s.rates(), [2.0 / s.users.1, 3.0 / s.groups.1]);
    let mut only_users = measure::Window::default();
    only_users.answered(10, "/Users");
    assert_eq!(only_users.stretches(), None);
}
