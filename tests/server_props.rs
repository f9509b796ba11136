//! Property: any sequence of creates, patches, puts and deletes keeps the directory's
//! invariants — userName unique case-insensitively, no dangling member, a new meta.version on
//! every write, and GET after a write equal to the write's response.

mod common;

use std::collections::{HashMap, HashSet};

use common::{Api, Reply};
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NAMES: &[&str] = &[
    "ann@x.test",
    "ANN@x.test",
    "ben@x.test",
    "cy@x.test",
    "Cy@X.test",
];
const GROUPS: &[&str] = &["Sales", "sales", "Eng", "Ops"];

#[derive(Debug, Clone)]
enum Op {
    CreateUser(usize),
    CreateGroup(usize, Vec<usize>),
    RenameUser(usize, usize),
    SetActive(usize, &'static str),
    PutUser(usize, usize),
    AddMembers(usize, Vec<usize>),
    RemoveMember(usize, usize, bool),
    RenameGroup(usize, usize),
    DeleteUser(usize),
    DeleteGroup(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..8;
    prop_oneof![
        (0..NAMES.len()).prop_map(Op::CreateUser),
        (0..GROUPS.len(), prop::collection::vec(0usize..8, 0..3))
            .prop_map(|(g, m)| Op::CreateGroup(g, m)),
        (i.clone(), 0..NAMES.len()).prop_map(|(u, n)| Op::RenameUser(u, n)),
        (
            i.clone(),
            prop::sample::select(vec!["True", "False", "true"])
        )
            .prop_map(|(u, a)| Op::SetActive(u, a)),
        (i.clone(), 0..NAMES.len()).prop_map(|(u, n)| Op::PutUser(u, n)),
        (i.clone(), prop::collection::vec(0usize..8, 1..3)).prop_map(|(g, m)| Op::AddMembers(g, m)),
        (i.clone(), i.clone(), any::<bool>()).prop_map(|(g, m, f)| Op::RemoveMember(g, m, f)),
        (i.clone(), 0..GROUPS.len()).prop_map(|(g, n)| Op::RenameGroup(g, n)),
        i.clone().prop_map(Op::DeleteUser),
        i.prop_map(Op::DeleteGroup),
    ]
}

struct Model {
    users: Vec<String>,
    groups: Vec<String>,
    versions: HashMap<String, String>,
}

fn pick(list: &[String], i: usize) -> Option<String> {
    (!list.is_empty()).then(|| list[i % list.len()].clone())
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// After a successful write: the response equals what GET returns, and the version moved.
async fn check_write(api: &Api, model: &mut Model, path: &str, r: &Reply) {
    let back = api.get(path).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(
        back.body, r.body,
        "GET after write equals the write's response"
    );
    let id = r.body["id"].as_str().expect("id").to_string();
    let version = r.body["meta"]["version"]
        .as_str()
        .expect("version")
        .to_string();
    if let Some(old) = model.versions.insert(id, version.clone()) {
        assert_ne!(old, version, "meta.version changes on every write");
    }
}

/// Only these outcomes are acceptable for a write; anything else (a 500) fails the property.
fn acceptable(r: &Reply) {
    assert!(
        matches!(r.status.as_u16(), 200 | 201 | 204 | 409),
        "unexpected {} {}",
        r.status,
        r.body
    );
    if r.status == StatusCode::CONFLICT {
        assert_eq!(r.body["scimType"], "uniqueness");
    }
}

async fn apply(api: &Api, model: &mut Model, op: &Op) {
    let members = |idx: &[usize], users: &[String]| -> Vec<Value> {
        idx.iter()
            .filter_map(|i| pick(users, *i))
            .map(|id| json!({"value": id}))
            .collect()
    };
    match op {
        Op::CreateUser(n) => {
            let r = api.post("/Users", json!({"userName": NAMES[*n]})).await;
            acceptable(&r);
            if r.status == StatusCode::CREATED {
                let id = r.body["id"].as_str().expect("id").to_string();
                check_write(api, model, &format!("/Users/{id}"), &r).await;
                model.users.push(id);
            }
        }
        Op::CreateGroup(n, m) => {
            let r = api
                .post(
                    "/Groups",
                    json!({"displayName": GROUPS[*n], "members": members(m, &model.users)}),
                )
                .await;
            acceptable(&r);
            if r.status == StatusCode::CREATED {
                let id = r.body["id"].as_str().expect("id").to_string();
                check_write(api, model, &format!("/Groups/{id}"), &r).await;
                model.groups.push(id);
            }
        }
        Op::RenameUser(u, n) | Op::PutUser(u, n) => {
            let Some(id) = pick(&model.users, *u) else {
                return;
            };
            let path = format!("/Users/{id}");
            let r = if matches!(op, Op::PutUser(..)) {
                api.put(&path, json!({"userName": NAMES[*n], "title": "put"}))
                    .await
            } else {
                api.patch(
                    &path,
                    patch(json!([{"op": "Replace", "path": "userName", "value": NAMES[*n]}])),
                )
                .await
            };
            acceptable(&r);
            if r.status == StatusCode::OK {
                check_write(api, model, &path, &r).await;
            }
        }
        Op::SetActive(u, a) => {
            let Some(id) = pick(&model.users, *u) else {
                return;
            };
            let path = format!("/Users/{id}");
            let r = api
                .patch(
                    &path,
                    patch(json!([{"op": "Replace", "path": "active", "value": a}])),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(r.body["active"], json!(a.eq_ignore_ascii_case("true")));
            check_write(api, model, &path, &r).await;
        }
        Op::AddMembers(g, m) => {
            let Some(id) = pick(&model.groups, *g) else {
                return;
            };
            let value = members(m, &model.users);
            if value.is_empty() {
                return;
            }
            let path = format!("/Groups/{id}");
            let r = api
                .patch(
                    &path,
                    patch(json!([{"op": "Add", "path": "members", "value": value}])),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            check_write(api, model, &path, &r).await;
        }
        Op::RemoveMember(g, m, by_filter) => {
            let (Some(id), Some(member)) = (pick(&model.groups, *g), pick(&model.users, *m)) else {
                return;
            };
            let path = format!("/Groups/{id}");
            let ops = if *by_filter {
                json!([{"op": "remove", "path": format!("members[value eq \"{member}\"]")}])
            } else {
                json!([{"op": "Remove", "path": "members", "value": [{"value": member}]}])
            };
            let r = api.patch(&path, patch(ops)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let still: Vec<&str> = r.body["members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["value"].as_str())
                .collect();
            assert!(!still.contains(&member.as_str()), "member removed");
            check_write(api, model, &path, &r).await;
        }
        Op::RenameGroup(g, n) => {
            let Some(id) = pick(&model.groups, *g) else {
                return;
            };
            let path = format!("/Groups/{id}");
            let r = api
                .patch(
                    &path,
                    patch(json!([{"op": "Replace", "path": "displayName", "value": GROUPS[*n]}])),
                )
                .await;
            acceptable(&r);
            if r.status == StatusCode::OK {
                check_write(api, model, &path, &r).await;
            }
        }
        Op::DeleteUser(u) | Op::DeleteGroup(u) => {
            let (list, endpoint) = if matches!(op, Op::DeleteUser(_)) {
                (&mut model.users, "Users")
            } else {
                (&mut model.groups, "Groups")
            };
            let Some(id) = pick(list, *u) else { return };
            let r = api.delete(&format!("/{endpoint}/{id}")).await;
            assert_eq!(r.status, StatusCode::NO_CONTENT);
            list.retain(|x| *x != id);
            assert_eq!(
                api.get(&format!("/{endpoint}/{id}")).await.status,
                StatusCode::NOT_FOUND
            );
        }
    }
}

async fn invariants(api: &Api) {
    let users = api.get("/Users?count=1000").await.body;
    let user_ids: HashSet<String> = common::ids(&users).into_iter().collect();
    let mut names = HashSet::new();
    for u in users["Resources"].as_array().into_iter().flatten() {
        let name = u["userName"].as_str().expect("userName").to_lowercase();
        assert!(
            names.insert(name.clone()),
            "userName {name} unique case-insensitively"
        );
    }
    let groups = api.get("/Groups?count=1000").await.body;
    let group_ids: HashSet<String> = common::ids(&groups).into_iter().collect();
    let mut display = HashSet::new();
    for g in groups["Resources"].as_array().into_iter().flatten() {
        assert!(display.insert(
            g["displayName"]
                .as_str()
                .expect("displayName")
                .to_lowercase()
        ));
        for m in g["members"].as_array().into_iter().flatten() {
            let v = m["value"].as_str().expect("member value");
            assert!(
                user_ids.contains(v) || group_ids.contains(v),
                "no dangling member {v}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_write_sequences_keep_invariants(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let api = Api::start().await;
            let mut model = Model { users: vec![], groups: vec![], versions: HashMap::new() };
            for op in &ops {
                apply(&api, &mut model, op).await;
                invariants(&api).await;
            }
        });
    }
}
