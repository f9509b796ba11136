use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::template::{ENTERPRISE_DEPARTMENT, WORK_EMAIL};
use super::*;
use crate::idp::Tenant;
use crate::scenario::model::{AttrValue, RestartKind, UserSpec};
use crate::scim::urn;

fn onelogin(pairs: &[(&str, &str)]) -> OneLogin {
    OneLogin::from_options(
        &pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
    .expect("valid options")
}

fn alice() -> SourceUser {
    let mut t = Tenant::new();
    let attrs = BTreeMap::from([
        (
            UserAttr::UserPrincipalName,
            AttrValue::Text("alice@contoso.com".into()),
        ),
        (UserAttr::Mail, AttrValue::Text("alice@contoso.com".into())),
        (UserAttr::GivenName, AttrValue::Text("Alice".into())),
        (UserAttr::Surname, AttrValue::Text("Smith".into())),
        (UserAttr::Department, AttrValue::Text("Sales".into())),
    ]);
    t.create_user("alice", attrs).expect("create");
    t.user("alice").cloned().expect("alice")
}

fn post_body(p: &OneLogin) -> Value {
    p.create_user(&p.desired_user(&alice(), "run-", true))
        .body
        .map(std::sync::Arc::unwrap_or_clone)
        .expect("body")
}

#[test]
fn the_post_is_the_default_template_with_its_observed_quirks() {
    let p = onelogin(&[]);
    let req = p.create_user(&p.desired_user(&alice(), "run-", true));
    assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Users"));
    assert_eq!(
        req.body.as_deref().cloned(),
        Some(json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": "run-alice@contoso.com",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"value": "alice@contoso.com", "type": "work", "primary": true}],
            "active": "true",
            urn::ENTERPRISE_USER: {"department": "Sales"},
            "id": null
        }))
    );
}

#[test]
fn each_quirk_option_changes_only_its_part_of_the_post() {
    let base = post_body(&onelogin(&[]));
    let typed = post_body(&onelogin(&[("string_active", "false")]));
    assert_eq!(typed["active"], json!(true));
    let no_id = post_body(&onelogin(&[("null_id", "false")]));
    assert!(no_id.get("id").is_none() && base.get("id") == Some(&Value::Null));
    let bare = post_body(&onelogin(&[("emails_without_primary", "true")]));
    assert_eq!(
        bare["emails"],
        json!([{"value": "alice@contoso.com", "type": "work"}])
    );
    for (k, v) in [
        ("string_active", "false"),
        ("emails_without_primary", "true"),
    ] {
        let mut other = post_body(&onelogin(&[(k, v)]));
        other["active"] = base["active"].clone();
        other["emails"] = base["emails"].clone();
        assert_eq!(other, base, "{k} touches nothing else");
    }
}

#[test]
fn desired_user_tracks_the_template_paths_and_active() {
    let p = onelogin(&[]);
    let d = p.desired_user(&alice(), "", false);
    assert_eq!(
        d.attrs,
        vec![
            ("userName", json!("alice@contoso.com")),
            ("name.givenName", json!("Alice")),
            ("name.familyName", json!("Smith")),
            (WORK_EMAIL, json!("alice@contoso.com")),
            ("active", json!(false)),
            (ENTERPRISE_DEPARTMENT, json!("Sales")),
        ]
    );
    assert_eq!(p.managed_paths().len(), 8, "every slot of the template");
}

#[test]
fn updates_are_one_pathless_replace_of_what_changed() {
    let p = onelogin(&[]);
    let before = p.desired_user(&alice(), "", true);
    let mut after = before.clone();
    for (path, v) in after.attrs.iter_mut() {
        if *path == WORK_EMAIL {
            *v = json!("a.smith@contoso.com");
        }
        if *path == "name.familyName" {
            *v = json!("Jones");
        }
    }
    let update = p
        .update_user("u-1", &Value::Null, &after, Before::Record(&before))
        .expect("changed");
    assert_eq!(
        (update.request.verb, update.request.path.as_str()),
        (Verb::Patch, "/Users/u-1")
    );
    assert_eq!(
        update.request.body.as_deref().cloned(),
        Some(
            json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "value": {
                "name": {"givenName": "Alice", "familyName": "Jones"},
                "emails": {"value": "a.smith@contoso.com", "type": "work", "primary": true}
            }}]})
        )
    );
    let names: Vec<&str> = update.modified.iter().map(|m| m.name.as_ref()).collect();
    assert_eq!(names, vec!["name.familyName", WORK_EMAIL]);
    let arrays = onelogin(&[("patch_email_object", "false")])
        .update_user("u-1", &Value::Null, &after, Before::Record(&before))
        .and_then(|u| u.request.body)
        .expect("body");
    assert_eq!(
        arrays["Operations"][0]["value"]["emails"],
        json!([{"value": "a.smith@contoso.com", "type": "work", "primary": true}])
    );
    assert_eq!(
        p.update_user("u-1", &Value::Null, &before, Before::Record(&before)),
        None
    );
}

#[test]
fn suspend_and_restore_send_active_alone_as_the_template_types_it() {
    for (options, off, on) in [
        (vec![], json!("false"), json!("true")),
        (vec![("string_active", "false")], json!(false), json!(true)),
    ] {
        let p = onelogin(&options);
        let active = p.desired_user(&alice(), "", true);
        let suspended = p.desired_user(&alice(), "", false);
        let body = |from: &DesiredUser, to: &DesiredUser| {
            p.update_user("u-1", &Value::Null, to, Before::Record(from))
                .and_then(|u| u.request.body)
                .expect("a PATCH")
        };
        assert_eq!(
            body(&active, &suspended)["Operations"],
            json!([{"op": "replace", "value": {"active": off}}])
        );
        assert_eq!(
            body(&suspended, &active)["Operations"],
            json!([{"op": "replace", "value": {"active": on}}])
        );
    }
}

#[test]
fn a_cleared_attribute_is_not_sent() {
    let p = onelogin(&[]);
    let before = p.desired_user(&alice(), "", true);
    let mut after = before.clone();
    after
        .attrs
        .retain(|(path, _)| *path != ENTERPRISE_DEPARTMENT);
    assert_eq!(
        p.update_user("u-1", &Value::Null, &after, Before::Record(&before)),
        None
    );
}

#[test]
fn probe_accepts_an_empty_list_or_a_404_only() {
    let p = onelogin(&[]);
    let probe = p.test_connection();
    assert!(probe.path.starts_with("/Users?filter=userName+eq+%22"));
    assert_ne!(
        probe.path,
        p.test_connection().path,
        "a fresh value each time"
    );
    let list =
        |n: u64| json!({"schemas": [urn::LIST_RESPONSE], "totalResults": n, "Resources": []});
    assert!(p.probe_ok(200, Some(&list(0))));
    assert!(p.probe_ok(404, None));
    assert!(p.probe_ok(200, Some(&json!([]))));
    assert!(p.probe_ok(200, Some(&json!({"Resources": []}))));
    assert!(!p.probe_ok(
        200,
        Some(&json!({"totalResults": 1, "Resources": [{"id": "x"}]}))
    ));
    assert!(!p.probe_ok(200, Some(&json!([{"id": "x"}]))));
    assert!(!p.probe_ok(200, None));
    assert!(!p.probe_ok(401, None));
    assert!(!p.probe_ok(500, Some(&list(0))));
    assert_eq!(p.match_hits(404, None), Some(vec![]));
    assert_eq!(p.match_hits(500, None), None);
    assert!(p.strictness().match_404_is_empty);
}

#[test]
fn removal_action_applies_to_deletion_and_access_removal_and_suspension_always_suspends() {
    let suspend = DeprovisionAction::Disable {
        stays_managed: true,
    };
    for (option, action) in [
        ("suspend", suspend),
        ("delete", DeprovisionAction::Delete),
        ("nothing", DeprovisionAction::Nothing),
    ] {
        let p = onelogin(&[("removal_action", option)]);
        for why in [
            Deprovision::Unassigned,
            Deprovision::SoftDeleted,
            Deprovision::Purged,
        ] {
            assert_eq!(p.deprovision(why), action, "{option} {why:?}");
        }
        assert_eq!(p.deprovision(Deprovision::Disabled), suspend, "{option}");
    }
}

#[test]
fn memberships_and_renames_are_group_patches() {
    let p = onelogin(&[]);
    let change = MembershipChange {
        group_id: "g-1".into(),
        display_name: "Sales".into(),
        add: vec!["u-2".into(), "u-3".into()],
        remove: vec!["u-1".into()],
        all: vec!["u-2".into(), "u-3".into()],
        display: BTreeMap::new(),
    };
    let reqs = p.membership(&change);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].verb, reqs[0].path.as_str()),
        (Verb::Patch, "/Groups/g-1")
    );
    assert_eq!(
        reqs[0].body.as_deref().cloned(),
        Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
            {"op": "remove", "path": "members[value eq \"u-1\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u-2"}, {"value": "u-3"}]}
        ]}))
    );
    let none = MembershipChange {
        add: vec![],
        remove: vec![],
        ..change
    };
    assert!(p.membership(&none).is_empty());
    assert_eq!(
        p.rename_group("g-1", "Ops", &[])
            .and_then(|r| r.body.as_deref().cloned()),
        Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
            {"op": "replace", "path": "displayName", "value": "Ops"}
        ]}))
    );
    assert_eq!(p.group_lookup(), GroupLookup::ListAll);
    assert!(p.provisions_groups());
}

#[test]
fn events_without_probes_pod_restart_import_or_manager() {
    let p = onelogin(&[]);
    assert_eq!(p.scheduling(), Scheduling::Events);
    assert!(!p.probe_each_cycle());
    assert!(!p.supports(&Step::ProvisionOnDemand("a".into())));
    assert!(!p.supports(&Step::Restart(RestartKind::KeepLinks)));
    assert!(!p.supports(&Step::Sync(SyncKind::Import)));
    assert!(p.supports(&Step::Sync(SyncKind::Incremental)));
    let with_manager = UserSpec {
        user: "a".into(),
        attrs: BTreeMap::from([(UserAttr::Manager, AttrValue::Text("b".into()))]),
    };
    assert!(!p.supports(&Step::UpdateUser(with_manager)));
    assert_eq!(p.transient_retry().idp, "OneLogin");
    assert_eq!(
        p.diff_source(),
        DiffSource::OwnRecord {
            name: "OneLogin's last pushed state"
        }
    );
}

#[test]
fn a_template_without_active_still_suspends() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("t.json");
    std::fs::write(&file, r#"{"userName": "{$user.email}"}"#).expect("write");
    let p = onelogin(&[("template_file", &file.to_string_lossy())]);
    drop(dir);
    let on = p.desired_user(&alice(), "", true);
    assert_eq!(p.managed_paths(), vec!["userName", "active"]);
    let post = p
        .create_user(&on)
        .body
        .map(std::sync::Arc::unwrap_or_clone)
        .expect("body");
    assert_eq!(post, json!({"userName": "alice@contoso.com", "id": null}));
    let off = p.desired_user(&alice(), "", false);
    let body = p
        .update_user("u-1", &Value::Null, &off, Before::Record(&on))
        .and_then(|u| u.request.body)
        .expect("a PATCH");
    assert_eq!(
        body["Operations"],
        json!([{"op": "replace", "value": {"active": "false"}}])
    );
}
