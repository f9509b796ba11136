//! Pins the exact group, manager and provision-on-demand requests the Entra profile sends
//! (idp-behavior.md §1.5, §1.7, §1.8): a wiremock target plays a minimal correct SCIM server
//! for users and groups, the engine syncs a simulated tenant, and every request the target
//! received is compared, in order, with Entra's. The user requests themselves are pinned in
//! `tests/entra_requests/`; here they appear only as the steps around the group and manager
//! writes.

#[path = "../wire/mod.rs"]
mod wire;

mod delete;
mod manager;
mod members;
mod pod;
mod rename;
mod target;

use std::collections::BTreeMap;
use std::time::Duration;
use wire::{sent, Sent};

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::{Dialect, Entra};
use scim_harness::profile::Profile;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};

use target::Target;

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "entra-group-requests-test-token";
const BASE: &str = "/scim/v2";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The second schema Entra puts in a group POST (§1.7).
const AD_GROUP: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const DIALECTS: [Dialect; 2] = [Dialect::Default, Dialect::Scim062020];

fn patch_body(operations: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH_OP], "Operations": operations}))
}

/// §1.2: `GET /Users?filter=userName eq "<random GUID>"`, at the start of every cycle and POD.
fn probe() -> Sent {
    sent("GET", USERS, &[("filter", r#"userName eq "<guid>""#)], None)
}

fn upn(user: &str) -> String {
    format!("{user}@contoso.com")
}

/// §1.3 step 2: the matching query on userName.
fn match_user(user: &str) -> Sent {
    let filter = format!("userName eq \"{}\"", upn(user));
    sent("GET", USERS, &[("filter", &filter)], None)
}

/// §1.3's POST body for a user whose only source attribute is its UPN.
fn user_body(user: &str) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": upn(user),
        "active": true,
        "externalId": user,
        "meta": {"resourceType": "User"},
        "roles": []
    })
}

/// §1.11 "New assigned user": the matching query, then the POST.
fn create_user(user: &str) -> [Sent; 2] {
    [
        match_user(user),
        sent("POST", USERS, &[], Some(user_body(user))),
    ]
}

/// §1.4: the read before the diff.
fn read_user(id: &str) -> Sent {
    sent("GET", &format!("{USERS}/{id}"), &[], None)
}

fn patch_user(id: &str, operations: Value) -> Sent {
    sent(
        "PATCH",
        &format!("{USERS}/{id}"),
        &[],
        patch_body(operations),
    )
}

/// §1.6: the disable a user gets when it loses its only assignment, in each dialect.
fn disable(dialect: Dialect) -> Value {
    match dialect {
        Dialect::Default => json!([{"op": "Replace", "path": "active", "value": "False"}]),
        Dialect::Scim062020 => json!([{"op": "replace", "path": "active", "value": false}]),
    }
}

/// §1.7 Match: by displayName, members excluded.
fn match_group(display_name: &str) -> Sent {
    let filter = format!("displayName eq \"{display_name}\"");
    sent(
        "GET",
        GROUPS,
        &[("excludedAttributes", "members"), ("filter", &filter)],
        None,
    )
}

/// §1.7 Create: both schemas, externalId = the source objectId, created empty.
fn post_group(external_id: &str, display_name: &str) -> Sent {
    sent(
        "POST",
        GROUPS,
        &[],
        Some(json!({
            "schemas": [CORE_GROUP, AD_GROUP],
            "externalId": external_id,
            "displayName": display_name,
            "meta": {"resourceType": "Group"}
        })),
    )
}

/// §1.7 Read: always without members.
fn read_group(id: &str) -> Sent {
    sent(
        "GET",
        &format!("{GROUPS}/{id}"),
        &[("excludedAttributes", "members")],
        None,
    )
}

fn patch_group(id: &str, operations: Value) -> Sent {
    sent(
        "PATCH",
        &format!("{GROUPS}/{id}"),
        &[],
        patch_body(operations),
    )
}

fn delete_group(id: &str) -> Sent {
    sent("DELETE", &format!("{GROUPS}/{id}"), &[], None)
}

/// §1.7 Add members: `$ref` null, the target ids as values.
fn add_members(op: &str, ids: &[&str]) -> Value {
    let value: Vec<Value> = ids
        .iter()
        .map(|id| json!({"$ref": null, "value": id}))
        .collect();
    json!([{"op": op, "path": "members", "value": value}])
}

/// The `op` casing of the dialect: capitalised by default, lowercase with the flag (§1.4).
fn add_op(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Default => "Add",
        Dialect::Scim062020 => "add",
    }
}

fn replace_op(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Default => "Replace",
        Dialect::Scim062020 => "replace",
    }
}

/// The enterprise app as an admin configures it (§1.1): tenant URL, secret token, options.
struct EntraApp {
    target: Target,
    profile: Entra,
    client: ScimClient,
}

impl EntraApp {
    async fn start(options: &[(&str, &str)]) -> EntraApp {
        Self::on(Target::start().await, options)
    }

    fn on(target: Target, options: &[(&str, &str)]) -> EntraApp {
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = Entra::from_options(&options).expect("valid Entra options");
        let base = format!("{}{BASE}", target.server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        EntraApp {
            target,
            profile,
            client,
        }
    }

    async fn with_dialect(dialect: Dialect) -> EntraApp {
        let app = Self::start(&[("patch_dialect", dialect.option_value())]).await;
        assert_eq!(app.profile.dialect, dialect);
        app
    }

    /// The provisioning job, with an empty run prefix so values are predictable.
    fn engine(&self) -> Engine<'_> {
        Engine::new(
            &self.profile,
            &self.client,
            String::new(),
            Created::default(),
        )
    }
}

fn text(value: &str) -> AttrValue {
    AttrValue::Text(value.to_string())
}

/// A source user whose UPN is `<user>@contoso.com`, with `extra` attributes.
fn add_user(tenant: &mut Tenant, user: &str, extra: &[(UserAttr, &str)]) {
    let mut attrs = BTreeMap::from([(UserAttr::UserPrincipalName, text(&upn(user)))]);
    for (attr, value) in extra {
        attrs.insert(*attr, text(value));
    }
    tenant.create_user(user, attrs).expect("create the user");
}

/// Users `members` (UPN only) in group `sales` ("Sales"), which is assigned to the app.
fn tenant_with_sales(members: &[&str]) -> Tenant {
    let mut tenant = Tenant::new();
    for member in members {
        add_user(&mut tenant, member, &[]);
    }
    let refs: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    tenant
        .create_group("sales", "Sales", &refs)
        .expect("create sales");
    tenant.assign("sales").expect("assign sales");
    tenant
}

/// The externalId Entra sends for a group: its objectId (§1.1 group mapping).
fn object_id(tenant: &Tenant, group: &str) -> String {
    tenant
        .group(group)
        .expect("the group is in the directory")
        .object_id
        .to_string()
}

async fn run(engine: &mut Engine<'_>, tenant: &Tenant, kind: SyncKind) {
    engine.cycle(tenant, kind).await.expect("the cycle runs");
}

/// The initial cycle for `sales` with `members` (ids `u-1`… in member order, which must be
/// alphabetical), pinned: users, then the group, then one Add of all members.
async fn create_sales(
    app: &EntraApp,
    engine: &mut Engine<'_>,
    tenant: &Tenant,
    members: &[&str],
    dialect: Dialect,
) {
    run(engine, tenant, SyncKind::Initial).await;
    let ids: Vec<String> = (1..=members.len()).map(|n| format!("u-{n}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut expected = vec![probe()];
    for member in members {
        expected.extend(create_user(member));
    }
    expected.push(match_group("Sales"));
    expected.push(post_group(&object_id(tenant, "sales"), "Sales"));
    expected.push(patch_group("g-1", add_members(add_op(dialect), &ids)));
    assert_eq!(
        app.target.take().await,
        expected,
        "{dialect:?}: initial cycle"
    );
}
