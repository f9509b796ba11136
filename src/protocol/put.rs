//! PUT (RFC 7644 §3.5.1): replaces the resource with what was sent, ignoring `id` and
//! `meta`, answers 200 with it, and keeps a group's members exactly as sent.

use serde_json::{json, Value};

use super::{Check, CheckRun, Ctx, Level};
use crate::check::finding::Code;
use crate::scim::{resource_path, urn, ScimRequest, Verb};

pub const CHECKS: &[Check] = &[
    Check {
        name: "put.replaces-user",
        summary:
            "PUT /Users/{id} answers 200 with the user as sent; id and meta in the body are ignored",
        section: "RFC 7644 §3.5.1",
        idps: "Okta (O-13, O-15, O-21), PingFederate (PF-6, PF-9), PingOne (P1-6, P1-8)",
        level: Level::Required,
        needs: None,
        run: replaces_user,
    },
    Check {
        name: "put.keeps-group-members",
        summary: "PUT /Groups/{id} with a members list reads back with exactly those members",
        section: "RFC 7644 §3.5.1",
        idps: "Okta (O-31), PingFederate (PF-13), PingOne (P1-10)",
        level: Level::Required,
        needs: None,
        run: group_members,
    },
];

fn replaces_user<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("put");
        let (id, _) = ctx
            .create_user(json!({"userName": name, "active": true, "displayName": "Before", "title": "Dropped"}))
            .await?;
        // The body carries the resource's own id and a meta the server must ignore, as
        // Okta's GET-merge-PUT sends them (O-13).
        let body = json!({"schemas": [urn::USER], "id": id, "userName": name,
            "active": false, "displayName": "After",
            "meta": {"resourceType": "User", "created": "2000-01-01T00:00:00Z", "version": "W/\"stale\""}});
        let a = ctx
            .send(ScimRequest::with_body(
                Verb::Put,
                resource_path("Users", &id),
                body,
            ))
            .await?;
        if a.status() != 200 {
            return Err(a.finding(
                Code::UpdateBody,
                format!(
                    "PUT /Users/{{id}} was answered {}, not 200 with the user",
                    a.status()
                ),
            ));
        }
        let answered_id = a.body().and_then(|b| b.get("id")).and_then(Value::as_str);
        if answered_id != Some(id.as_str()) {
            return Err(a.finding(
                Code::State,
                format!(
                    "a PUT answered id {answered_id:?}, not the id of the resource it replaced"
                ),
            ));
        }
        let (read, r) = ctx.read("Users", &id, "").await?;
        let got = |k: &str| read.get(k).cloned().unwrap_or(Value::Null);
        if got("displayName") != json!("After") || got("active") != json!(false) {
            return Err(r.finding(
                Code::State,
                format!(
                    "after PUT, displayName reads {} and active {} (sent \"After\" and false)",
                    got("displayName"),
                    got("active")
                ),
            ));
        }
        if !got("title").is_null() {
            return Err(r.finding(
                Code::State,
                "after a PUT without `title`, the old title is still there: PUT replaces, it does not merge",
            ));
        }
        Ok(())
    })
}

fn group_members<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let a_user = ctx.create_plain_user("put-member-a").await?;
        let b_user = ctx.create_plain_user("put-member-b").await?;
        let group = ctx.create_group("put-group", &[&a_user]).await?;
        let body = json!({"schemas": [urn::GROUP], "displayName": ctx.group_name("put-group"),
            "members": [{"value": a_user}, {"value": b_user}]});
        let a = ctx
            .send(ScimRequest::with_body(
                Verb::Put,
                resource_path("Groups", &group),
                body,
            ))
            .await?;
        if !a.response.is_success() {
            return Err(a.finding(
                Code::Rejected,
                format!("PUT /Groups/{{id}} was answered {}", a.status()),
            ));
        }
        let (read, r) = ctx.read("Groups", &group, "").await?;
        let mut ids: Vec<String> = read
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        let mut want = vec![a_user, b_user];
        want.sort();
        if ids != want {
            return Err(r.finding(
                Code::State,
                format!(
                    "after a PUT with 2 members, the group lists {} ({ids:?})",
                    ids.len()
                ),
            ));
        }
        Ok(())
    })
}
