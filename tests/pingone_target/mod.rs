//! The wiremock target the PingOne request tests run against (idp-behavior.md §4): a small
//! correct SCIM server with state, the outbound connection as an admin configures it, and the
//! expected-request vocabulary. Shared by `tests/pingone_requests/` (the default connection) and
//! `pingone_settings.rs` (the connection's settings, P1-1).
#![allow(dead_code)]

use super::wire;
pub use super::wire::{sent, Sent};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::Engine;
use scim_harness::idp::Tenant;
use scim_harness::profile::pingone::PingOne;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
pub const TOKEN: &str = "pingone-requests-test-token";
pub const BASE: &str = "/scim/v2";
pub const USERS: &str = "/scim/v2/Users";
pub const GROUPS: &str = "/scim/v2/Groups";
pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

pub fn get(path: &str) -> Sent {
    sent("GET", path, &[], None)
}

pub fn put(path: &str, body: Value) -> Sent {
    sent("PUT", path, &[], Some(body))
}

pub fn delete(path: &str) -> Sent {
    sent("DELETE", path, &[], None)
}

/// §4: the user filter template `username Eq "%s"`, capitalised operator as documented.
pub fn match_user(user_name: &str) -> Sent {
    let filter = format!(r#"username Eq "{user_name}""#);
    sent("GET", USERS, &[("filter", &filter)], None)
}

pub fn match_group(name: &str) -> Sent {
    let filter = format!(r#"displayName eq "{name}""#);
    sent("GET", GROUPS, &[("filter", &filter)], None)
}

pub fn post(path: &str, body: Value) -> Sent {
    sent("POST", path, &[], Some(body))
}

pub fn user_path(id: &str) -> String {
    format!("{USERS}/{id}")
}

pub fn group_path(id: &str) -> String {
    format!("{GROUPS}/{id}")
}

/// The group PUT: name and the whole member list (§4 "memberships are part of the group").
pub fn group_put(id: &str, name: &str, members: &[&str]) -> Sent {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    put(
        &group_path(id),
        json!({"schemas": [CORE_GROUP], "displayName": name, "members": members}),
    )
}

pub fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
           "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
}

/// The value of a one-comparison `eq` filter on `attr` (any case), e.g. `username Eq "x"`.
pub fn eq_value<'a>(filter: &'a str, attr: &str) -> Option<&'a str> {
    let mut words = filter.splitn(3, ' ');
    let (a, op, v) = (words.next()?, words.next()?, words.next()?);
    (a.eq_ignore_ascii_case(attr) && op.eq_ignore_ascii_case("eq")).then(|| v.trim_matches('"'))
}

/// A small correct SCIM server: users and groups by id, `eq` filters on userName and
/// displayName, POST assigns `u-N`/`g-N`, PUT replaces, DELETE removes; every stored
/// resource gets `meta`, as servers add it.
#[derive(Default)]
pub struct Store {
    pub users: BTreeMap<String, Value>,
    pub groups: BTreeMap<String, Value>,
    pub next: usize,
    /// What a forgetful server silently drops from every user it writes.
    pub forget: Option<fn(&mut Value)>,
    /// Where the server keeps its users and groups under `BASE` (`Users`, `Groups` unless a
    /// test moves them, for `USERS_RESOURCE` / `GROUPS_RESOURCE`); any other path is 404.
    pub users_at: Option<&'static str>,
    pub groups_at: Option<&'static str>,
}

impl Store {
    pub fn put(&mut self, endpoint: &str, id: &str, body: &Value) -> Value {
        let mut resource = body.as_object().cloned().unwrap_or_default();
        resource.insert("id".into(), json!(id));
        let kind = if endpoint == "Users" { "User" } else { "Group" };
        resource.insert("meta".into(), json!({"resourceType": kind}));
        let mut resource = Value::Object(resource);
        if let (Some(forget), "Users") = (self.forget, endpoint) {
            forget(&mut resource);
        }
        self.collection(endpoint)
            .insert(id.to_string(), resource.clone());
        resource
    }

    pub fn collection(&mut self, endpoint: &str) -> &mut BTreeMap<String, Value> {
        if endpoint == "Users" {
            &mut self.users
        } else {
            &mut self.groups
        }
    }

    pub fn answer(&mut self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return wire::scim(404, &json!({"status": "404"}));
        };
        let rest = rest.trim_start_matches('/');
        let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let endpoint = if first == self.users_at.unwrap_or("Users") {
            "Users"
        } else if first == self.groups_at.unwrap_or("Groups") {
            "Groups"
        } else {
            return wire::scim(404, &json!({"status": "404"}));
        };
        let mut parts = vec![endpoint];
        parts.extend(tail.split('/').filter(|p| !p.is_empty()));
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        let method = req.method.as_str();
        match (method, parts.as_slice()) {
            ("GET", [endpoint @ ("Users" | "Groups")]) => {
                let filter: Option<String> = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .map(|(_, v)| v.into_owned());
                let attr = if *endpoint == "Users" {
                    "userName"
                } else {
                    "displayName"
                };
                let wanted = filter.as_deref().and_then(|f| eq_value(f, attr));
                let hits = self
                    .collection(endpoint)
                    .values()
                    .filter(|r| {
                        wanted.is_none_or(|w| {
                            r[attr].as_str().is_some_and(|v| v.eq_ignore_ascii_case(w))
                        })
                    })
                    .cloned()
                    .collect();
                wire::scim(200, &list(hits))
            }
            ("POST", [endpoint @ ("Users" | "Groups")]) => {
                let Some(body) = body else {
                    return wire::scim(400, &json!({"status": "400"}));
                };
                self.next += 1;
                let id = format!(
                    "{}-{}",
                    if *endpoint == "Users" { "u" } else { "g" },
                    self.next
                );
                wire::scim(201, &self.put(endpoint, &id, &body))
            }
            (_, [endpoint @ ("Users" | "Groups"), id]) => {
                let exists = self.collection(endpoint).contains_key(*id);
                match (method, body) {
                    _ if !exists => wire::scim(404, &json!({"status": "404"})),
                    ("GET", _) => wire::scim(200, &self.collection(endpoint)[*id].clone()),
                    ("PUT", Some(body)) => wire::scim(200, &self.put(endpoint, id, &body)),
                    ("DELETE", _) => {
                        self.collection(endpoint).remove(*id);
                        ResponseTemplate::new(204)
                    }
                    _ => wire::scim(405, &json!({"status": "405"})),
                }
            }
            _ => wire::scim(404, &json!({"status": "404"})),
        }
    }
}

pub struct Target {
    pub server: MockServer,
    pub store: Arc<Mutex<Store>>,
    /// Requests already handed out by `take`.
    pub seen: AtomicUsize,
}

impl Target {
    pub async fn start() -> Target {
        Self::serving(Store::default()).await
    }

    /// A target that answers 2xx to every write but silently drops what `forget` removes.
    pub async fn forgetting(forget: fn(&mut Value)) -> Target {
        Self::serving(Store {
            forget: Some(forget),
            ..Store::default()
        })
        .await
    }

    pub async fn serving(store: Store) -> Target {
        let server = MockServer::start().await;
        let store = Arc::new(Mutex::new(store));
        let handler = store.clone();
        Mock::given(any())
            .respond_with(move |req: &Request| handler.lock().expect("target state").answer(req))
            .mount(&server)
            .await;
        Target {
            server,
            store,
            seen: AtomicUsize::new(0),
        }
    }

    pub fn user(&self, id: &str) -> Option<Value> {
        self.store
            .lock()
            .expect("target state")
            .users
            .get(id)
            .cloned()
    }

    pub fn group(&self, id: &str) -> Option<Value> {
        self.store
            .lock()
            .expect("target state")
            .groups
            .get(id)
            .cloned()
    }

    /// Puts a resource on the target as if it was there before PingOne came.
    pub fn seed(&self, endpoint: &str, id: &str, body: Value) {
        self.store
            .lock()
            .expect("target state")
            .put(endpoint, id, &body);
    }

    pub async fn received(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
    }

    /// The requests received since the last call, in order.
    pub async fn take(&self) -> Vec<Sent> {
        let all = self.received().await;
        let from = self.seen.swap(all.len(), Ordering::SeqCst);
        all[from..].iter().map(|r| wire::reduce(r, TOKEN)).collect()
    }

    pub async fn raw_queries(&self) -> Vec<Option<String>> {
        let all = self.received().await;
        all.iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect()
    }
}

/// The outbound SCIM connection as an admin configures it (§4): base URL, token, options.
pub struct Connection {
    pub target: Target,
    pub profile: PingOne,
    pub client: ScimClient,
}

impl Connection {
    pub async fn start(options: &[(&str, &str)]) -> Connection {
        Self::against(Target::start().await, options)
    }

    pub fn against(target: Target, options: &[(&str, &str)]) -> Connection {
        let options = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = PingOne::from_options(&options).expect("valid options");
        let base = format!("{}{BASE}", target.server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        Connection {
            target,
            profile,
            client,
        }
    }

    /// The provisioning job, with an empty run prefix so values are predictable.
    pub fn engine(&self) -> Engine<'_> {
        Engine::new(
            &self.profile,
            &self.client,
            String::new(),
            Default::default(),
        )
    }
}

pub fn text(value: &str) -> AttrValue {
    AttrValue::Text(value.to_string())
}

pub fn add_user(tenant: &mut Tenant, r: &str) {
    let upn = format!("{r}@contoso.com");
    tenant
        .create_user(
            r,
            BTreeMap::from([
                (UserAttr::UserPrincipalName, text(&upn)),
                (UserAttr::Mail, text(&upn)),
                (UserAttr::GivenName, text("Alice")),
                (UserAttr::Surname, text("Smith")),
                (UserAttr::Department, text("Sales")),
            ]),
        )
        .expect("create user");
}

/// alice, assigned to the connection's rule.
pub fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    tenant.assign("alice").expect("assign alice");
    tenant
}

/// §4/§7: core + enterprise schemas and the mapped attributes.
pub fn alice_post_body() -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "externalId": "alice",
        ENTERPRISE_USER: {"department": "Sales"}
    })
}

/// PingOne pushes a change at once (§4): what the runner does after each directory step.
pub async fn push(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
}

/// The push that creates alice: matching query, then POST; no probe before it.
pub async fn create_alice(conn: &Connection, engine: &mut Engine<'_>, tenant: &Tenant) {
    push(engine, tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body())
        ],
        "first push for an assigned alice"
    );
}

/// alice's PUT body: the POST body as the target returned it, minus `id` and `meta`.
pub fn alice_put_body(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut body = alice_post_body().as_object().cloned().expect("object");
    change(&mut body);
    Value::Object(body)
}
