//! Pins the exact requests the Okta profile sends (idp-behavior.md §2.1–§2.5), OIN and AIW:
//! a wiremock target plays a small correct SCIM server, the engine pushes each change of a
//! simulated tenant as Okta does (one incremental cycle per event, no probe), and every
//! request the target received is compared, in order, with Okta's.

#[path = "../wire/mod.rs"]
mod wire;

mod connection;
mod groups;
mod target;
mod users;

use std::collections::BTreeMap;
use std::time::Duration;
use wire::{sent, Sent};

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::Engine;
use scim_harness::idp::Tenant;
use scim_harness::profile::okta::{okta_user_id, Integration, Okta};
use scim_harness::profile::Profile;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::Request;

use target::Target;

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "okta-requests-test-token";
const BASE: &str = "/scim/v2";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Stands for the random password once it has been checked.
const PASSWORD: &str = "<password>";

/// §2.1: Test Connection lists two users.
fn probe() -> Sent {
    sent(
        "GET",
        "/Users",
        &[("startIndex", "1"), ("count", "2")],
        None,
    )
}

/// O-2: after the user probe, Test API Credentials lists groups (parameters in that order).
fn list_groups() -> Sent {
    sent(
        "GET",
        "/Groups",
        &[("count", "100"), ("startIndex", "1")],
        None,
    )
}

/// §2.2 step 1: the userName filter, then Okta's paging parameters.
fn match_user(user_name: &str) -> Sent {
    sent(
        "GET",
        "/Users",
        &[
            ("filter", &format!("userName eq \"{user_name}\"")),
            ("startIndex", "1"),
            ("count", "100"),
        ],
        None,
    )
}

fn read(path: &str) -> Sent {
    sent("GET", path, &[], None)
}

fn with_body(method: &str, path: &str, body: Value) -> Sent {
    sent(method, path, &[], Some(body))
}

/// §2.4: the path-less (de)activation PATCH.
fn set_active(path: &str, active: bool) -> Sent {
    with_body(
        "PATCH",
        path,
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]}),
    )
}

fn group_patch(path: &str, operations: Value) -> Sent {
    with_body(
        "PATCH",
        path,
        json!({"schemas": [PATCH_OP], "Operations": operations}),
    )
}

/// O-5: the headers on every request Okta sends, GET included, written out here rather than
/// taken from the profile so that the test pins them.
const OKTA_HEADERS: &[(&str, &str)] = &[
    ("user-agent", "Okta SCIM Client 1.0.0"),
    ("accept", "application/scim+json"),
    ("content-type", "application/scim+json; charset=utf-8"),
];

/// Reduces a received request to a `Sent`, checking the headers every request carries: the
/// bearer token and Okta's `User-Agent`, `Accept` and `Content-Type`, body or not (O-5).
/// A POST's password must be a non-empty string; it then reads `<password>`.
fn reduce(req: &Request) -> Sent {
    let what = format!("{} {}", req.method, req.url.path());
    let mut body = wire::checked_body_with(req, TOKEN, OKTA_HEADERS);
    // The POST's password, and the password-sync PATCH's (O-14).
    let check = |pw: &mut Value| {
        assert!(
            pw.as_str().is_some_and(|p| p.len() >= 16),
            "{what}: the password is a random string"
        );
        *pw = json!(PASSWORD);
    };
    if let Some(b) = body.as_mut() {
        if b.get("Operations").is_some() {
            for op in b["Operations"].as_array_mut().into_iter().flatten() {
                if let Some(pw) = op.pointer_mut("/value/password") {
                    check(pw);
                }
            }
        } else if let Some(pw) = b.get_mut("password") {
            check(pw);
        }
    }
    Sent {
        method: req.method.to_string(),
        path: req
            .url
            .path()
            .strip_prefix(BASE)
            .unwrap_or(req.url.path())
            .to_string(),
        query: wire::query(req),
        body,
    }
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
           "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
}

/// The Okta app as an admin configures it: base URL, API token, integration type.
struct OktaApp {
    target: Target,
    profile: Okta,
    client: ScimClient,
}

impl OktaApp {
    async fn start(integration: Integration) -> OktaApp {
        Self::against(Target::start().await, integration)
    }

    fn against(target: Target, integration: Integration) -> OktaApp {
        Self::configured(target, &[("integration", integration.option_value())])
    }

    /// The app with the admin's `options` (profile option names, README).
    async fn with_options(options: &[(&str, &str)]) -> OktaApp {
        Self::configured(Target::start().await, options)
    }

    fn configured(target: Target, options: &[(&str, &str)]) -> OktaApp {
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = Okta::from_options(&options).expect("valid options");
        let base = format!("{}{BASE}", target.server.uri());
        // As `run` builds it: the profile's wire headers on every request (O-5).
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .and_then(|c| c.with_headers(profile.wire_headers()))
            .expect("client builds");
        OktaApp {
            target,
            profile,
            client,
        }
    }

    /// The push engine, with an empty run prefix so values are predictable.
    fn engine(&self) -> Engine<'_> {
        Engine::new(
            &self.profile,
            &self.client,
            String::new(),
            Default::default(),
        )
    }
}

fn text(value: &str) -> AttrValue {
    AttrValue::Text(value.to_string())
}

fn add_user(tenant: &mut Tenant, r: &str, given: &str, surname: &str) {
    let upn = format!("{r}@contoso.com");
    tenant
        .create_user(
            r,
            BTreeMap::from([
                (UserAttr::UserPrincipalName, text(&upn)),
                (UserAttr::Mail, text(&upn)),
                (UserAttr::GivenName, text(given)),
                (UserAttr::Surname, text(surname)),
            ]),
        )
        .expect("create user");
}

/// alice, assigned to the app.
fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice", "Smith");
    tenant.assign("alice").expect("assign alice");
    tenant
}

fn okta_id(tenant: &Tenant, r: &str) -> String {
    okta_user_id(tenant.user(r).expect("in the directory").object_id)
}

/// §2.2's documented POST body for a user of `add_user`.
fn post_body(tenant: &Tenant, r: &str, given: &str, surname: &str) -> Value {
    json!({
        "schemas": [CORE_USER],
        "userName": format!("{r}@contoso.com"),
        "name": {"givenName": given, "familyName": surname},
        "emails": [{"primary": true, "value": format!("{r}@contoso.com"), "type": "work"}],
        "displayName": format!("{given} {surname}"),
        "locale": "en-US",
        "externalId": okta_id(tenant, r),
        "groups": [],
        "password": PASSWORD,
        "active": true
    })
}

/// What the target holds for alice after the POST: the body without the password, with the
/// server's `id` and `meta`.
fn alice_on_target(tenant: &Tenant) -> Value {
    let mut user = post_body(tenant, "alice", "Alice", "Smith");
    let obj = user.as_object_mut().expect("object");
    obj.remove("password");
    obj.insert("id".into(), json!("u-1"));
    obj.insert(
        "meta".into(),
        json!({"resourceType": "User", "location": "/Users/u-1"}),
    );
    user
}

/// One event pushed: Okta sends at each change, without a probe first (§2.6).
async fn push(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
}

/// The assignment push that creates alice (§2.2): match, then POST.
async fn create_alice(app: &OktaApp, engine: &mut Engine<'_>, tenant: &Tenant) {
    push(engine, tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            with_body(
                "POST",
                "/Users",
                post_body(tenant, "alice", "Alice", "Smith")
            )
        ],
        "assignment of alice"
    );
}
