//! Pins the exact group, manager and provision-on-demand requests the Entra profile sends
//! (idp-behavior.md §1.5, §1.7, §1.8): a wiremock target plays a minimal correct SCIM server
//! for users and groups, the engine syncs a simulated tenant, and every request the target
//! received is compared, in order, with Entra's. The user requests themselves are pinned in
//! `entra_requests.rs`; here they appear only as the steps around the group and manager writes.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::{Dialect, Entra};
use scim_harness::profile::Profile;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

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

/// One request as the target received it: what Entra's behaviour is about.
#[derive(Debug, PartialEq)]
struct Sent {
    method: String,
    path: String,
    /// Decoded query pairs; the probe's random GUID reads `<guid>` once checked.
    query: Vec<(String, String)>,
    body: Option<Value>,
}

fn sent(method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Sent {
    Sent {
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

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

/// Reduces a received request to a `Sent`, checking the headers (`wire::checked_body`).
fn reduce(req: &Request) -> Sent {
    Sent {
        method: req.method.to_string(),
        path: req.url.path().to_string(),
        query: wire::query(req),
        body: wire::checked_body(req, TOKEN),
    }
}

fn not_found() -> ResponseTemplate {
    wire::scim(
        404,
        &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404"}),
    )
}

/// One resource type on the target: what it holds by id, and how many ids it handed out.
struct Resources {
    /// `u` or `g`: ids are `u-1`, `u-2`… in the order of the POSTs.
    prefix: &'static str,
    held: BTreeMap<String, Value>,
    issued: usize,
}

impl Resources {
    fn new(prefix: &'static str) -> Self {
        Resources {
            prefix,
            held: BTreeMap::new(),
            issued: 0,
        }
    }
}

struct Directory {
    users: Resources,
    groups: Resources,
}

/// A minimal correct SCIM server: `attr eq "value"` filters over what it holds, POST stores
/// the body with a new id and answers 201, GET by id answers what it holds (without members
/// when excluded), PATCH 204, DELETE removes and answers 204, anything unknown 404. PATCH is
/// not applied: a test that reads after one sets what a correct server would then hold.
#[derive(Clone)]
struct MinimalScim(Arc<Mutex<Directory>>);

impl Respond for MinimalScim {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return not_found();
        };
        let rest = rest.trim_start_matches('/');
        let (endpoint, id) = match rest.split_once('/') {
            Some((endpoint, id)) => (endpoint, Some(id)),
            None => (rest, None),
        };
        let query: BTreeMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let without_members =
            query.get("excludedAttributes").map(String::as_str) == Some("members");
        let shown = |resource: &Value| {
            let mut resource = resource.clone();
            if let (true, Some(object)) = (without_members, resource.as_object_mut()) {
                object.remove("members");
            }
            resource
        };
        let mut directory = self.0.lock().expect("target state");
        let resources = match endpoint {
            "Users" => &mut directory.users,
            "Groups" => &mut directory.groups,
            _ => return not_found(),
        };
        match (req.method.as_str(), id) {
            ("GET", None) => {
                let hits: Vec<Value> = resources
                    .held
                    .values()
                    .filter(|r| matches_filter(r, query.get("filter")))
                    .map(shown)
                    .collect();
                wire::scim(
                    200,
                    &json!({"schemas": [LIST_RESPONSE], "totalResults": hits.len(),
                        "itemsPerPage": hits.len(), "startIndex": 1, "Resources": hits}),
                )
            }
            ("POST", None) => {
                let Ok(Value::Object(mut resource)) = serde_json::from_slice(&req.body) else {
                    return ResponseTemplate::new(400);
                };
                resources.issued += 1;
                let id = format!("{}-{}", resources.prefix, resources.issued);
                resource.insert("id".into(), json!(id));
                let resource = Value::Object(resource);
                resources.held.insert(id, resource.clone());
                wire::scim(201, &resource)
            }
            ("GET", Some(id)) => match resources.held.get(id) {
                Some(resource) => wire::scim(200, &shown(resource)),
                None => not_found(),
            },
            ("PATCH", Some(id)) if resources.held.contains_key(id) => ResponseTemplate::new(204),
            ("DELETE", Some(id)) if resources.held.remove(id).is_some() => {
                ResponseTemplate::new(204)
            }
            _ => not_found(),
        }
    }
}

/// `attr eq "value"` on a top-level string attribute; no filter matches everything.
fn matches_filter(resource: &Value, filter: Option<&String>) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let Some((attr, quoted)) = filter.split_once(" eq ") else {
        return false;
    };
    let value = quoted.trim_matches('"');
    resource.get(attr).and_then(Value::as_str) == Some(value)
}

struct Target {
    server: MockServer,
    directory: Arc<Mutex<Directory>>,
    /// Requests already handed out by `take`.
    seen: AtomicUsize,
}

impl Target {
    async fn start() -> Target {
        let server = MockServer::start().await;
        let directory = Arc::new(Mutex::new(Directory {
            users: Resources::new("u"),
            groups: Resources::new("g"),
        }));
        Mock::given(any())
            .respond_with(MinimalScim(directory.clone()))
            .mount(&server)
            .await;
        Target {
            server,
            directory,
            seen: AtomicUsize::new(0),
        }
    }

    /// Changes a held user the way a correct server applied a PATCH Entra sent.
    fn edit_user(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut directory = self.directory.lock().expect("target state");
        change(
            directory
                .users
                .held
                .get_mut(id)
                .expect("the target holds the user"),
        );
    }

    fn edit_group(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut directory = self.directory.lock().expect("target state");
        change(
            directory
                .groups
                .held
                .get_mut(id)
                .expect("the target holds the group"),
        );
    }

    fn group(&self, id: &str) -> Option<Value> {
        let directory = self.directory.lock().expect("target state");
        directory.groups.held.get(id).cloned()
    }

    async fn received(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
    }

    /// The requests received since the last call, in order.
    async fn take(&self) -> Vec<Sent> {
        let all = self.received().await;
        let from = self.seen.swap(all.len(), Ordering::SeqCst);
        all[from..].iter().map(reduce).collect()
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
        let target = Target::start().await;
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

/// §1.7 / §1.11 "Group assigned with members": the members' flows, the group matched by
/// displayName without members, POSTed empty with Entra's body, then one PATCH adding the
/// direct user members. The nested group and its member are not sent; nothing is re-written
/// on a quiet cycle (Entra never re-reads membership).
#[tokio::test]
async fn group_create_matches_posts_empty_then_adds_direct_user_members() {
    for dialect in DIALECTS {
        let app = EntraApp::with_dialect(dialect).await;
        let mut tenant = Tenant::new();
        for user in ["alice", "bob", "carol"] {
            add_user(&mut tenant, user, &[]);
        }
        tenant
            .create_group("eng", "Engineering", &["carol".into()])
            .expect("create eng");
        tenant
            .create_group(
                "sales",
                "Sales",
                &["alice".into(), "bob".into(), "eng".into()],
            )
            .expect("create sales");
        tenant.assign("sales").expect("assign sales");
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        let sales = object_id(&tenant, "sales");
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                match_user("alice"),
                sent("POST", USERS, &[], Some(user_body("alice"))),
                match_user("bob"),
                sent("POST", USERS, &[], Some(user_body("bob"))),
                match_group("Sales"),
                post_group(&sales, "Sales"),
                patch_group(
                    "g-1",
                    json!([{"op": add_op(dialect), "path": "members", "value": [
                        {"$ref": null, "value": "u-1"},
                        {"$ref": null, "value": "u-2"}
                    ]}])
                ),
            ],
            "{dialect:?}: carol (a member of the nested eng only) and eng are not provisioned"
        );
        // Encoded as Entra sends it (§1.7): excludedAttributes first, `+` and `%22` in the filter.
        let raw: Vec<Option<String>> = app
            .target
            .received()
            .await
            .iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect();
        assert_eq!(
            raw[5].as_deref(),
            Some("excludedAttributes=members&filter=displayName+eq+%22Sales%22"),
            "{dialect:?}"
        );
        assert_eq!(
            engine
                .link(&tenant.group("sales").expect("sales").object_id)
                .map(|l| l.target_id.as_str()),
            Some("g-1"),
            "{dialect:?}: the returned id is the group's anchor"
        );

        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![probe()],
            "{dialect:?}: nothing changed, membership is not re-sent"
        );
    }
}

/// §1.7: "multiple members may be batched in one PATCH"; `member_batch` sets the size.
#[tokio::test]
async fn member_add_is_batched_by_member_batch() {
    let app = EntraApp::start(&[("member_batch", "2")]).await;
    let members = ["alice", "bob", "carol", "dave", "erin"];
    let tenant = tenant_with_sales(&members);
    let mut engine = app.engine();
    run(&mut engine, &tenant, SyncKind::Initial).await;
    let mut expected = vec![probe()];
    for member in members {
        expected.extend(create_user(member));
    }
    expected.extend([
        match_group("Sales"),
        post_group(&object_id(&tenant, "sales"), "Sales"),
        patch_group("g-1", add_members("Add", &["u-1", "u-2"])),
        patch_group("g-1", add_members("Add", &["u-3", "u-4"])),
        patch_group("g-1", add_members("Add", &["u-5"])),
    ]);
    assert_eq!(app.target.take().await, expected);
}

/// §1.7 member removed (and one added) in one incremental cycle: the removed users lose their
/// only assignment and are disabled (§1.6), the new member is created, then the group is read
/// without members and the deltas go as one Add and one Remove, in the dialect's shape.
async fn member_remove(dialect: Dialect, remove: Value) {
    let app = EntraApp::with_dialect(dialect).await;
    let mut tenant = tenant_with_sales(&["alice", "bob", "dave"]);
    add_user(&mut tenant, "carol", &[]);
    let mut engine = app.engine();
    create_sales(
        &app,
        &mut engine,
        &tenant,
        &["alice", "bob", "dave"],
        dialect,
    )
    .await;

    tenant.remove_member("sales", "bob").expect("remove bob");
    tenant.remove_member("sales", "dave").expect("remove dave");
    tenant.add_member("sales", "carol").expect("add carol");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut expected = vec![
        probe(),
        read_user("u-2"),
        patch_user("u-2", disable(dialect)),
    ];
    expected.extend(create_user("carol"));
    expected.extend([
        read_user("u-3"),
        patch_user("u-3", disable(dialect)),
        read_group("g-1"),
        patch_group("g-1", add_members(add_op(dialect), &["u-4"])),
        patch_group("g-1", remove),
    ]);
    assert_eq!(app.target.take().await, expected, "{dialect:?}");

    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: the deltas are sent once"
    );
}

#[tokio::test]
async fn member_remove_default_dialect_removes_by_value_list() {
    member_remove(
        Dialect::Default,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u-2"}, {"value": "u-3"}]}]),
    )
    .await;
}

#[tokio::test]
async fn member_remove_flag_dialect_sends_one_value_filter_op_per_member() {
    member_remove(
        Dialect::Scim062020,
        json!([
            {"op": "remove", "path": "members[value eq \"u-2\"]"},
            {"op": "remove", "path": "members[value eq \"u-3\"]"}
        ]),
    )
    .await;
}

/// Member removes are batched like adds, `member_batch` members per PATCH `[I]` (Entra
/// documents no batch size): three members removed with a batch of 2 go in two PATCHes, in
/// each dialect's shape.
#[tokio::test]
async fn member_remove_is_batched_by_member_batch() {
    for dialect in DIALECTS {
        let app = EntraApp::start(&[
            ("patch_dialect", dialect.option_value()),
            ("member_batch", "2"),
        ])
        .await;
        let mut tenant = tenant_with_sales(&["alice", "bob", "carol"]);
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        app.target.take().await;

        for member in ["alice", "bob", "carol"] {
            tenant
                .remove_member("sales", member)
                .expect("remove member");
        }
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        let removes = |ids: &[&str]| match dialect {
            Dialect::Default => {
                let value: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
                json!([{"op": "Remove", "path": "members", "value": value}])
            }
            Dialect::Scim062020 => Value::Array(
                ids.iter()
                    .map(
                        |id| json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")}),
                    )
                    .collect(),
            ),
        };
        let mut expected = vec![probe()];
        for id in ["u-1", "u-2", "u-3"] {
            expected.extend([read_user(id), patch_user(id, disable(dialect))]);
        }
        expected.extend([
            read_group("g-1"),
            patch_group("g-1", removes(&["u-1", "u-2"])),
            patch_group("g-1", removes(&["u-3"])),
        ]);
        assert_eq!(app.target.take().await, expected, "{dialect:?}");
    }
}

/// §1.7 Rename: the group is read without members, then one PATCH on displayName; once the
/// target holds the new name, a restart reads it again and sends nothing more.
#[tokio::test]
async fn rename_reads_the_group_then_replaces_display_name() {
    for dialect in DIALECTS {
        let app = EntraApp::with_dialect(dialect).await;
        let mut tenant = tenant_with_sales(&["alice"]);
        let mut engine = app.engine();
        create_sales(&app, &mut engine, &tenant, &["alice"], dialect).await;

        tenant
            .rename_group("sales", "Sales EMEA")
            .expect("rename sales");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                read_group("g-1"),
                patch_group(
                    "g-1",
                    json!([{"op": replace_op(dialect), "path": "displayName", "value": "Sales EMEA"}])
                ),
            ],
            "{dialect:?}"
        );

        app.target
            .edit_group("g-1", |g| g["displayName"] = json!("Sales EMEA"));
        engine.restart(false);
        run(&mut engine, &tenant, SyncKind::Initial).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), read_user("u-1"), read_group("g-1")],
            "{dialect:?}: the target holds the name, nothing to PATCH"
        );
    }
}

/// §1.7 Delete: a group deleted in the source → `DELETE /Groups/{id}`, after its only member,
/// who loses the assignment, is disabled (§1.6); then nothing more.
#[tokio::test]
async fn group_deleted_in_the_source_is_deleted_on_the_target() {
    let app = EntraApp::start(&[]).await;
    let mut tenant = tenant_with_sales(&["alice"]);
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant, &["alice"], Dialect::Default).await;

    tenant.delete_group("sales").expect("delete sales");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user("u-1", disable(Dialect::Default)),
            delete_group("g-1"),
        ]
    );
    assert_eq!(
        app.target.group("g-1"),
        None,
        "the target deleted the group"
    );

    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(app.target.take().await, vec![probe()], "deleted once");
}

/// §1.7 Delete: a group that falls out of scope (unassigned) → `DELETE /Groups/{id}` too
/// (validation Restore_Group_Test: unassign → Delete).
#[tokio::test]
async fn group_unassigned_is_deleted_on_the_target() {
    let app = EntraApp::start(&[]).await;
    let mut tenant = tenant_with_sales(&["alice"]);
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant, &["alice"], Dialect::Default).await;

    tenant.unassign("sales").expect("unassign sales");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user("u-1", disable(Dialect::Default)),
            delete_group("g-1"),
        ]
    );
    assert_eq!(
        app.target.group("g-1"),
        None,
        "the target deleted the group"
    );

    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(app.target.take().await, vec![probe()], "deleted once");
}

/// alice (manager bob) and bob, both assigned directly.
fn tenant_with_alice_managed_by_bob() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", &[(UserAttr::Manager, "bob")]);
    add_user(&mut tenant, "bob", &[]);
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    tenant
}

/// §1.5 / §1.3 step 5: both users are created first, then the manager goes in a separate
/// PATCH on alice in the shape the `manager` option picks. Once the target holds it (as the
/// `{"value": id}` object a correct server returns), a later update of alice does not
/// re-send it.
#[tokio::test]
async fn manager_is_set_after_the_creates_in_each_shape_and_only_once() {
    let enterprise_manager = format!("{ENTERPRISE_USER}:manager");
    let cases = [
        (
            Dialect::Default,
            "string",
            json!({"op": "Add", "path": enterprise_manager, "value": "u-2"}),
        ),
        (
            Dialect::Default,
            "object",
            json!({"op": "Add", "path": enterprise_manager, "value": {"value": "u-2"}}),
        ),
        (
            Dialect::Default,
            "ref-list",
            // E-33: the 2019 page's `$ref` is absolute; `<base>` is the tenant URL.
            json!({"op": "Add", "path": "manager",
                "value": [{"$ref": "<base>/Users/u-2", "value": "u-2"}]}),
        ),
        // The reported traffic (§1.5, scimsdk-686): lowercase `add` with the flag on.
        (
            Dialect::Scim062020,
            "string",
            json!({"op": "add", "path": enterprise_manager, "value": "u-2"}),
        ),
    ];
    for (dialect, shape, op) in cases {
        let app = EntraApp::start(&[
            ("patch_dialect", dialect.option_value()),
            ("manager", shape),
        ])
        .await;
        let base = format!("{}{BASE}", app.target.server.uri());
        let op: Value = serde_json::from_str(&op.to_string().replace("<base>", &base))
            .expect("the op stays JSON");
        let mut tenant = tenant_with_alice_managed_by_bob();
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        let mut expected = vec![probe()];
        expected.extend(create_user("alice"));
        expected.extend(create_user("bob"));
        expected.push(patch_user("u-1", json!([op])));
        assert_eq!(app.target.take().await, expected, "{dialect:?} {shape}");

        app.target.edit_user("u-1", |u| {
            u[ENTERPRISE_USER] = json!({"manager": {"value": "u-2"}});
        });
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
            )
            .expect("update alice");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                read_user("u-1"),
                patch_user(
                    "u-1",
                    json!([{"op": add_op(dialect), "path": "title", "value": "Engineer"}])
                ),
            ],
            "{dialect:?} {shape}: the target holds the manager, no manager PATCH"
        );
    }
}

/// §1.5: "If the manager is out of scope when the user is processed, the reference stays
/// unset until a restart": no manager PATCH for a manager that is not provisioned, nor on a
/// later cycle that provisions him, only after the restart (E-31).
#[tokio::test]
async fn manager_out_of_scope_is_not_written() {
    let app = EntraApp::start(&[]).await;
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", &[(UserAttr::Manager, "bob")]);
    add_user(&mut tenant, "bob", &[]);
    tenant.assign("alice").expect("assign alice");
    let mut engine = app.engine();
    run(&mut engine, &tenant, SyncKind::Initial).await;
    let mut expected = vec![probe()];
    expected.extend(create_user("alice"));
    assert_eq!(app.target.take().await, expected);

    // bob comes into scope and alice changes in the same cycle: bob is created and alice
    // updated, but her manager stays unset — only a restart fills it in (E-31).
    tenant.assign("bob").expect("assign bob");
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
        )
        .expect("update alice");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut expected = vec![
        probe(),
        read_user("u-1"),
        patch_user(
            "u-1",
            json!([{"op": "Add", "path": "title", "value": "Engineer"}]),
        ),
    ];
    expected.extend(create_user("bob"));
    assert_eq!(
        app.target.take().await,
        expected,
        "no manager PATCH before a restart"
    );

    app.target
        .edit_user("u-1", |u| u["title"] = json!("Engineer"));
    engine.restart(false);
    run(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            read_user("u-2"),
            patch_user(
                "u-1",
                json!([{"op": "Add", "path": format!("{ENTERPRISE_USER}:manager"), "value": "u-2"}])
            ),
        ],
        "the restart writes the manager"
    );
}

/// E-34: bob is removed as alice's manager in the source while the target holds him. After
/// the read and the (empty) diff, the manager is cleared in its own PATCH: `Remove` with the
/// old id in the default dialect `[I]`, path only with the flag (scimpatch-453), or, with
/// `manager_removal=replace-empty`, the `Replace` with an empty value Microsoft's validator
/// tests. Once the target holds no manager, nothing more is sent.
#[tokio::test]
async fn removed_manager_is_cleared_in_each_dialect_and_option() {
    let enterprise_manager = format!("{ENTERPRISE_USER}:manager");
    let cases = [
        (
            Dialect::Default,
            "remove",
            json!({"op": "Remove", "path": enterprise_manager, "value": "u-2"}),
        ),
        (
            Dialect::Scim062020,
            "remove",
            json!({"op": "remove", "path": enterprise_manager}),
        ),
        (
            Dialect::Default,
            "replace-empty",
            json!({"op": "Replace", "path": enterprise_manager, "value": ""}),
        ),
        (
            Dialect::Scim062020,
            "replace-empty",
            json!({"op": "replace", "path": enterprise_manager, "value": ""}),
        ),
    ];
    for (dialect, removal, op) in cases {
        let app = EntraApp::start(&[
            ("patch_dialect", dialect.option_value()),
            ("manager_removal", removal),
        ])
        .await;
        let mut tenant = tenant_with_alice_managed_by_bob();
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        app.target.take().await;
        app.target.edit_user("u-1", |u| {
            u[ENTERPRISE_USER] = json!({"manager": {"value": "u-2"}});
        });
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::Manager, AttrValue::Clear)]),
            )
            .expect("remove alice's manager");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), read_user("u-1"), patch_user("u-1", json!([op]))],
            "{dialect:?} {removal}"
        );

        app.target.edit_user("u-1", |u| {
            u[ENTERPRISE_USER] = json!({});
        });
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
            )
            .expect("update alice");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                read_user("u-1"),
                patch_user(
                    "u-1",
                    json!([{"op": add_op(dialect), "path": "title", "value": "Engineer"}])
                ),
            ],
            "{dialect:?} {removal}: no manager on the target, nothing to remove"
        );
    }
}

/// alice with a given name and surname, so that a surname change is a Replace (§1.4).
fn alice_body(surname: &str) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "active": true,
        "name": {"givenName": "Alice", "familyName": surname, "formatted": format!("Alice {surname}")},
        "externalId": "alice",
        "meta": {"resourceType": "User"},
        "roles": []
    })
}

/// §1.8 POD under `aadOptscim062020`: "uses default PATCH dialect" (§1.1: the flag does not
/// apply to POD). First POD: probe, match, POST. After a change, second POD: probe, GET by id,
/// PATCH with capitalised `Replace` and paths. The cycle afterwards speaks the flag again.
#[tokio::test]
async fn pod_of_a_user_creates_then_updates_in_the_default_dialect() {
    let app = EntraApp::with_dialect(Dialect::Scim062020).await;
    let pod = app
        .profile
        .for_on_demand()
        .expect("Entra's POD has its own profile");
    let mut tenant = Tenant::new();
    add_user(
        &mut tenant,
        "alice",
        &[(UserAttr::GivenName, "Alice"), (UserAttr::Surname, "Smith")],
    );
    tenant.assign("alice").expect("assign alice");
    let mut engine = app.engine();

    engine
        .on_demand(&tenant, "alice", pod.as_ref())
        .await
        .expect("POD runs");
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            match_user("alice"),
            sent("POST", USERS, &[], Some(alice_body("Smith"))),
        ],
        "first POD"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, text("Jones"))]),
        )
        .expect("update alice");
    engine
        .on_demand(&tenant, "alice", pod.as_ref())
        .await
        .expect("POD runs");
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user(
                "u-1",
                json!([
                    {"op": "Replace", "path": "name.familyName", "value": "Jones"},
                    {"op": "Replace", "path": "name.formatted", "value": "Alice Jones"}
                ])
            ),
        ],
        "second POD: default dialect despite the flag"
    );

    app.target.edit_user("u-1", |u| {
        u["name"] =
            json!({"givenName": "Alice", "familyName": "Jones", "formatted": "Alice Jones"});
    });
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
        )
        .expect("update alice");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user(
                "u-1",
                json!([{"op": "add", "path": "title", "value": "Engineer"}])
            ),
        ],
        "the cycle after POD uses the flag's dialect again"
    );
}

/// §1.8 POD of one group (≤ 5 members), flag on: the probe, each member's flow, the group
/// matched and POSTed, then one Add of both members, capitalised (POD ignores the flag).
#[tokio::test]
async fn pod_of_a_group_provisions_members_then_the_group_and_its_memberships() {
    let app = EntraApp::with_dialect(Dialect::Scim062020).await;
    let pod = app
        .profile
        .for_on_demand()
        .expect("Entra's POD has its own profile");
    let tenant = tenant_with_sales(&["alice", "bob"]);
    let mut engine = app.engine();
    engine
        .on_demand(&tenant, "sales", pod.as_ref())
        .await
        .expect("POD runs");
    let mut expected = vec![probe()];
    expected.extend(create_user("alice"));
    expected.extend(create_user("bob"));
    expected.extend([
        match_group("Sales"),
        post_group(&object_id(&tenant, "sales"), "Sales"),
        patch_group("g-1", add_members("Add", &["u-1", "u-2"])),
    ]);
    assert_eq!(app.target.take().await, expected);
}
