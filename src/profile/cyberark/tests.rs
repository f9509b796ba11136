//! Unit tests of the CyberArk profile's requests (idp-behavior.md §5).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::idp::Tenant;
use crate::scenario::model::{AttrValue, RestartKind, UserSpec};

pub(super) fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn ca(pairs: &[(&str, &str)]) -> CyberArk {
    CyberArk::from_options(&options(pairs)).expect("valid options")
}

fn alice(t: &mut Tenant) -> SourceUser {
    let attrs = BTreeMap::from([
        (
            UserAttr::UserPrincipalName,
            AttrValue::Text("alice@contoso.com".into()),
        ),
        (UserAttr::Mail, AttrValue::Text("alice@contoso.com".into())),
        (UserAttr::GivenName, AttrValue::Text("Alice".into())),
        (UserAttr::Surname, AttrValue::Text("Smith".into())),
        (UserAttr::Department, AttrValue::Text("R&D".into())),
    ]);
    t.create_user("alice", attrs).expect("create");
    t.user("alice").cloned().expect("alice")
}

fn alice_body(active: bool) -> Value {
    json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "externalId": "alice",
        "active": active,
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        (urn::ENTERPRISE_USER): {"department": "R&D"}
    })
}

#[test]
fn verify_lists_one_user_then_reads_the_discovery_endpoints() {
    let p = ca(&[]);
    assert_eq!(p.test_connection(), ScimRequest::get("/Users?count=1"));
    let paths: Vec<String> = p
        .test_connection_followups()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/ServiceProviderConfig",
            "/ResourceTypes/User",
            "/ResourceTypes/Group",
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
        ]
    );
    assert!(!p.probe_each_cycle());
}

#[test]
fn verify_accepts_a_list_with_users_and_discovery_resources_only() {
    let p = ca(&[]);
    let list = |total: Value| json!({"schemas": [urn::LIST_RESPONSE], "totalResults": total, "Resources": []});
    assert!(p.probe_ok(200, Some(&list(json!(3)))));
    assert!(p.probe_ok(200, Some(&list(json!(0)))));
    assert!(!p.probe_ok(200, Some(&list(json!("3")))));
    assert!(!p.probe_ok(404, Some(&list(json!(0)))));
    assert!(p.probe_ok(
        200,
        Some(&json!({"schemas": [urn::SERVICE_PROVIDER_CONFIG], "patch": {"supported": true}}))
    ));
    // RFC 7643 §7's schema resources carry no `schemas`, only their id.
    assert!(p.probe_ok(200, Some(&json!({"id": urn::USER, "attributes": []}))));
    assert!(!p.probe_ok(200, Some(&json!({}))));
    assert!(!p.probe_ok(200, Some(&json!([]))));
    assert!(!p.probe_ok(200, None));
}

#[test]
fn users_are_matched_on_user_name_and_posted_with_the_mapping() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let p = ca(&[]);
    let desired = p.desired_user(&user, "", true);
    assert_eq!(
        p.match_user(&desired).path,
        "/Users?filter=userName+eq+%22alice%40contoso.com%22"
    );
    let req = p.create_user(&desired);
    assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Users"));
    assert_eq!(req.body.as_deref().cloned(), Some(alice_body(true)));
}

#[test]
fn an_update_is_a_put_of_the_whole_user_and_a_clear_leaves_the_value_out() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let p = ca(&[]);
    let record = p.desired_user(&user, "", true);
    assert_eq!(
        p.update_user("u-1", &Value::Null, &record, Before::Record(&record)),
        None
    );
    t.update_user(
        "alice",
        &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
    )
    .expect("clear");
    let cleared = p.desired_user(t.user("alice").expect("alice"), "", false);
    let update = p
        .update_user("u-1", &Value::Null, &cleared, Before::Record(&record))
        .expect("an update");
    let mut body = alice_body(false);
    body.as_object_mut()
        .expect("object")
        .remove(urn::ENTERPRISE_USER);
    assert_eq!(
        update.request,
        ScimRequest::with_body(Verb::Put, "/Users/u-1", body)
    );
    let names: Vec<&str> = update.modified.iter().map(|m| m.name.as_ref()).collect();
    assert_eq!(names, ["active", ENTERPRISE_DEPARTMENT]);
    // A user adopted under "overwrite" has no record yet: everything is written.
    let adopted = p
        .update_user(
            "u-1",
            &Value::Null,
            &record,
            Before::Record(&DesiredUser::default()),
        )
        .expect("the overwrite");
    assert_eq!(
        adopted.request.body.as_deref().cloned(),
        Some(alice_body(true))
    );
}

#[test]
fn deprovisioning_follows_the_sync_options() {
    let removed = [
        Deprovision::Unassigned,
        Deprovision::SoftDeleted,
        Deprovision::Purged,
    ];
    let disable = DeprovisionAction::Disable {
        stays_managed: true,
    };
    for why in removed {
        assert_eq!(ca(&[]).deprovision(why), disable);
        assert_eq!(
            ca(&[("deprovision", "delete")]).deprovision(why),
            DeprovisionAction::Delete
        );
        assert_eq!(
            ca(&[("deprovision", "none")]).deprovision(why),
            DeprovisionAction::Nothing
        );
    }
    // Disabled in the source: left alone unless the admin asked for it.
    assert_eq!(
        ca(&[("deprovision", "delete")]).deprovision(Deprovision::Disabled),
        DeprovisionAction::Nothing
    );
    assert_eq!(
        ca(&[("deprovision_disabled", "true")]).deprovision(Deprovision::Disabled),
        disable
    );
    assert_eq!(
        ca(&[("deprovision_disabled", "true"), ("deprovision", "none")])
            .deprovision(Deprovision::Disabled),
        DeprovisionAction::Nothing
    );
}

#[test]
fn pushes_at_once_and_supports_jobs_but_not_on_demand_import_or_manager() {
    let p = ca(&[]);
    assert_eq!(p.scheduling(), Scheduling::Events);
    assert!(p.supports(&Step::Restart(RestartKind::Full)));
    assert!(p.supports(&Step::Sync(SyncKind::Initial)));
    assert!(!p.supports(&Step::Sync(SyncKind::Import)));
    assert!(!p.supports(&Step::ProvisionOnDemand("alice".into())));
    let with_manager = UserSpec {
        user: "bob".into(),
        attrs: BTreeMap::from([(UserAttr::Manager, AttrValue::Text("alice".into()))]),
    };
    assert!(!p.supports(&Step::CreateUser(with_manager)));
    assert_eq!(p.transient_retry().idp, "CyberArk");
    assert_eq!(p.strictness().idp, "CyberArk");
}
