//! DELETE (RFC 7644 §3.6): 204, then 404 for the resource, and a deleted user is no longer
//! a member of any group.

use serde_json::Value;

use super::{Check, CheckRun, Ctx, Level};
use crate::check::finding::Code;
use crate::scim::{resource_path, ScimRequest, Verb};

pub const CHECKS: &[Check] = &[
    Check {
        name: "delete.then-404",
        summary: "DELETE /Users/{id} answers 204, and a GET of the deleted user answers 404",
        section: "RFC 7644 §3.6",
        idps: "Entra (E-40, E-41), PingFederate (PF-9), PingOne (P1-9)",
        level: Level::Required,
        needs: None,
        run: then_404,
    },
    Check {
        name: "delete.user-leaves-its-groups",
        summary: "a deleted user is no longer listed in the members of its groups",
        section: "RFC 7644 §3.6; RFC 7643 §4.2",
        idps: "Entra (E-40, E-50), Okta (O-28)",
        level: Level::Optional,
        needs: None,
        run: leaves_groups,
    },
];

fn delete(path: String) -> ScimRequest {
    ScimRequest {
        verb: Verb::Delete,
        path,
        body: None,
    }
}

fn then_404<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = ctx.create_plain_user("delete").await?;
        let a = ctx.send(delete(resource_path("Users", &id))).await?;
        if a.status() != 204 {
            return Err(a.finding(
                Code::Rejected,
                format!("DELETE /Users/{{id}} was answered {}, not 204", a.status()),
            ));
        }
        let g = ctx
            .send(ScimRequest::get(resource_path("Users", &id)))
            .await?;
        if g.status() != 404 {
            return Err(g.finding(
                Code::NotDeleted,
                format!(
                    "GET of a user deleted with 204 was answered {}, not 404",
                    g.status()
                ),
            ));
        }
        Ok(())
    })
}

fn leaves_groups<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let gone = ctx.create_plain_user("leaver").await?;
        let kept = ctx.create_plain_user("stayer").await?;
        let group = ctx.create_group("leavers", &[&gone, &kept]).await?;
        let a = ctx.send(delete(resource_path("Users", &gone))).await?;
        if !a.response.is_success() {
            return Err(a.finding(
                Code::Rejected,
                format!("DELETE /Users/{{id}} was answered {}", a.status()),
            ));
        }
        let (read, r) = ctx.read("Groups", &group, "").await?;
        let listed = read
            .get("members")
            .and_then(Value::as_array)
            .is_some_and(|m| {
                m.iter()
                    .any(|v| v.get("value").and_then(Value::as_str) == Some(gone.as_str()))
            });
        if listed {
            return Err(r.finding(
                Code::NotDeleted,
                "a deleted user is still listed in the members of its group",
            ));
        }
        Ok(())
    })
}
