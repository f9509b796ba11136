//! PATCH (RFC 7644 §3.5.2): ops in any case, path-less values, several ops in one request,
//! filtered value paths, member adds that are no-ops when present, member removal by filter
//! that removes only that member; answered 200 with the resource or 204 without a body.

use serde_json::{json, Value};

use super::{Answer, Check, CheckResult, CheckRun, Ctx, Feature, Level};
use crate::check::finding::Code;

pub const CHECKS: &[Check] = &[
    Check {
        name: "patch.ops-in-any-case",
        summary: "`Replace`, `replace` and `REPLACE` (and `Add`/`add`) are the same op",
        section: "RFC 7644 §3.5.2 (op values are case-insensitive)",
        idps: "Entra (E-24, E-26), Okta (O-20, O-30)",
        level: Level::Required,
        needs: Some(Feature::Patch),
        run: ops_any_case,
    },
    Check {
        name: "patch.answer-200-with-resource-or-204",
        summary: "a PATCH answers 200 with the resource, or 204 with no body",
        section: "RFC 7644 §3.5.2",
        idps: "Entra (E-30), Okta (O-20)",
        level: Level::Required,
        needs: Some(Feature::Patch),
        run: answer,
    },
    Check {
        name: "patch.path-less-and-several-ops",
        summary:
            "a path-less replace `{\"active\": false, …}` and several ops in one request all apply",
        section: "RFC 7644 §3.5.2.1, §3.5.2.3",
        idps: "Okta (O-20, O-29), Entra (E-26, E-37)",
        level: Level::Required,
        needs: Some(Feature::Patch),
        run: path_less,
    },
    Check {
        name: "patch.filtered-value-path",
        summary: "replace `emails[type eq \"work\"].value` changes only the work email",
        section: "RFC 7644 §3.5.2.3 (valuePath filter)",
        idps: "Entra (E-24, E-27)",
        level: Level::Required,
        needs: Some(Feature::Patch),
        run: filtered_path,
    },
    Check {
        name: "patch.add-present-member-is-no-op",
        summary: "adding a member that is already in the group leaves it there once",
        section: "RFC 7644 §3.5.2.1",
        idps: "Entra (E-51), Okta (O-30)",
        level: Level::Required,
        needs: Some(Feature::Patch),
        run: re_add_member,
    },
    Check {
        name: "patch.remove-member-by-filter",
        summary: "remove `members[value eq \"…\"]` removes that member and only it",
        section: "RFC 7644 §3.5.2.2",
        idps: "Entra (E-52, E-53), Okta (O-30)",
        level: Level::Required,
        needs: Some(Feature::Patch),
        run: remove_member,
    },
];

/// A PATCH must be answered 2xx; anything else is the server refusing the op shape.
fn accepted(a: &Answer, what: &str) -> CheckResult {
    if a.response.is_success() {
        return Ok(());
    }
    Err(a.finding(
        Code::Rejected,
        format!("the PATCH {what} was answered {}", a.status()),
    ))
}

fn ops_any_case<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = ctx.create_plain_user("opcase").await?;
        for op in ["Replace", "replace", "REPLACE", "Add", "add"] {
            let value = format!("Op {op}");
            let a = ctx
                .patch(
                    "Users",
                    &id,
                    json!([{"op": op, "path": "displayName", "value": value}]),
                )
                .await?;
            accepted(&a, &format!("with op `{op}`"))?;
            let (read, r) = ctx.read("Users", &id, "").await?;
            if read.get("displayName").and_then(Value::as_str) != Some(value.as_str()) {
                return Err(r.finding(
                    Code::State,
                    format!("after `{op} displayName \"{value}\"` was answered {}, displayName reads {}",
                        a.status(), read.get("displayName").cloned().unwrap_or_default()),
                ));
            }
        }
        Ok(())
    })
}

fn answer<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = ctx.create_plain_user("patchanswer").await?;
        let a = ctx
            .patch(
                "Users",
                &id,
                json!([{"op": "replace", "path": "displayName", "value": "Answered"}]),
            )
            .await?;
        accepted(&a, "replacing displayName")?;
        match a.status() {
            204 if a.response.text().trim().is_empty() => Ok(()),
            204 => Err(a.finding(Code::UpdateBody, "a PATCH was answered 204 with a body")),
            200 => match a.body() {
                Some(b)
                    if b.get("id").and_then(Value::as_str) == Some(id.as_str())
                        && b.get("displayName").and_then(Value::as_str) == Some("Answered") =>
                {
                    Ok(())
                }
                _ => Err(a.finding(
                    Code::UpdateBody,
                    "a PATCH was answered 200 without the updated resource",
                )),
            },
            s => Err(a.finding(
                Code::UpdateBody,
                format!("a PATCH was answered {s}, not 200 or 204"),
            )),
        }
    })
}

fn path_less<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = ctx.create_plain_user("pathless").await?;
        let a = ctx
            .patch(
                "Users",
                &id,
                json!([
                    {"op": "replace", "value": {"active": false, "displayName": "Path Less"}},
                    {"op": "add", "path": "title", "value": "Engineer"},
                ]),
            )
            .await?;
        accepted(&a, "with a path-less replace and an add")?;
        let (read, r) = ctx.read("Users", &id, "").await?;
        let got = |k: &str| read.get(k).cloned().unwrap_or(Value::Null);
        for (key, want) in [
            ("active", json!(false)),
            ("displayName", json!("Path Less")),
            ("title", json!("Engineer")),
        ] {
            if got(key) != want {
                return Err(r.finding(
                    Code::State,
                    format!("after a PATCH of two ops (a path-less replace and an add) answered {}, `{key}` reads {}, not {want}", a.status(), got(key)),
                ));
            }
        }
        Ok(())
    })
}

fn filtered_path<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("valuepath");
        let (id, _) = ctx
            .create_user(json!({"userName": name, "active": true, "emails": [
                {"value": "work@example.com", "type": "work", "primary": true},
                {"value": "home@example.com", "type": "home"}]}))
            .await?;
        let a = ctx
            .patch(
                "Users",
                &id,
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value",
                "value": "new-work@example.com"}]),
            )
            .await?;
        accepted(&a, "replacing emails[type eq \"work\"].value")?;
        let (read, r) = ctx.read("Users", &id, "").await?;
        let emails = read
            .get("emails")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let of = |t: &str| {
            emails
                .iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some(t))
                .and_then(|e| e.get("value"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if of("work").as_deref() != Some("new-work@example.com")
            || of("home").as_deref() != Some("home@example.com")
        {
            return Err(r.finding(
                Code::State,
                format!("after replacing emails[type eq \"work\"].value, the work email reads {:?} and the home email {:?}", of("work"), of("home")),
            ));
        }
        Ok(())
    })
}

/// The member ids of a group as read back.
fn member_ids(group: &Value) -> Vec<String> {
    crate::scim::lookup::get_ci(group, "members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn re_add_member<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let user = ctx.create_plain_user("readd").await?;
        let group = ctx.create_group("readd", &[&user]).await?;
        let a = ctx
            .patch(
                "Groups",
                &group,
                json!([{"op": "add", "path": "members", "value": [{"value": user}]}]),
            )
            .await?;
        accepted(&a, "adding a member already present")?;
        let (read, r) = ctx.read("Groups", &group, "").await?;
        let ids = member_ids(&read);
        if ids != [user.clone()] {
            return Err(r.finding(
                Code::State,
                format!("after adding a member already present, the group lists {} member entries ({} of that user)",
                    ids.len(), ids.iter().filter(|i| **i == user).count()),
            ));
        }
        Ok(())
    })
}

fn remove_member<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let gone = ctx.create_plain_user("remove-a").await?;
        let kept = ctx.create_plain_user("remove-b").await?;
        let group = ctx.create_group("remove", &[&gone, &kept]).await?;
        let path = format!("members[value eq \"{gone}\"]");
        let a = ctx
            .patch("Groups", &group, json!([{"op": "remove", "path": path}]))
            .await?;
        accepted(&a, &format!("removing {path}"))?;
        let (read, r) = ctx.read("Groups", &group, "").await?;
        let ids = member_ids(&read);
        if ids != [kept.clone()] {
            return Err(r.finding(
                Code::State,
                format!("after removing {path}, the group's members are {ids:?}, not only the other member"),
            ));
        }
        Ok(())
    })
}
