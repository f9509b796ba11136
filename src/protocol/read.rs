//! Reading one resource (RFC 7644 §3.4.1, §3.9): an unknown id is 404, and `attributes` /
//! `excludedAttributes` shape the answer.

use serde_json::Value;

use super::{Check, CheckRun, Ctx, Level};
use crate::check::finding::Code;
use crate::scim::{resource_path, ScimRequest};

pub const CHECKS: &[Check] = &[
    Check {
        name: "read.unknown-id-is-404",
        summary: "GET /Users/{id} of an id that never existed answers 404",
        section: "RFC 7644 §3.4.1, §3.12",
        idps: "Entra (E-9), Okta (O-6)",
        level: Level::Required,
        needs: None,
        run: unknown_id,
    },
    Check {
        name: "read.excluded-attributes-members",
        summary: "GET /Groups/{id}?excludedAttributes=members answers the group without members",
        section: "RFC 7644 §3.4.2.5, §3.9",
        idps: "Entra (E-47, E-49)",
        level: Level::Required,
        needs: None,
        run: excluded_members,
    },
    Check {
        name: "read.attributes-selects",
        summary:
            "GET /Users/{id}?attributes=userName answers id and userName without other attributes",
        section: "RFC 7644 §3.9",
        idps: "Okta (O-28), PingFederate (PF-10)",
        level: Level::Optional,
        needs: None,
        run: attributes,
    },
];

fn unknown_id<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = uuid::Uuid::new_v4().to_string();
        let a = ctx
            .send(ScimRequest::get(resource_path("Users", &id)))
            .await?;
        if a.status() != 404 {
            return Err(a.finding(
                Code::State,
                format!(
                    "GET of an id that never existed was answered {}, not 404",
                    a.status()
                ),
            ));
        }
        Ok(())
    })
}

fn excluded_members<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let user = ctx.create_plain_user("excluded-member").await?;
        let group = ctx.create_group("excluded", &[&user]).await?;
        let (body, a) = ctx
            .read("Groups", &group, "?excludedAttributes=members")
            .await?;
        let members = crate::scim::lookup::get_ci(&body, "members");
        if members
            .and_then(Value::as_array)
            .is_some_and(|m| !m.is_empty())
        {
            return Err(a
                .finding(
                    Code::State,
                    "GET /Groups/{id}?excludedAttributes=members answered the group with its members",
                )
                .consequence("Entra fails the group read (E-49); large groups time out"));
        }
        if body.get("displayName").is_none() {
            return Err(a.finding(
                Code::State,
                "GET /Groups/{id}?excludedAttributes=members answered without displayName",
            ));
        }
        Ok(())
    })
}

fn attributes<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("attributes");
        let (id, _) = ctx
            .create_user(serde_json::json!({"userName": name, "active": true,
                "displayName": "Attribute Selection"}))
            .await?;
        let (body, a) = ctx.read("Users", &id, "?attributes=userName").await?;
        if body.get("userName").and_then(Value::as_str).is_none() || body.get("id").is_none() {
            return Err(a.finding(
                Code::State,
                "GET /Users/{id}?attributes=userName answered without id or userName",
            ));
        }
        if body.get("displayName").is_some() {
            return Err(a.finding(
                Code::State,
                "GET /Users/{id}?attributes=userName answered displayName too (the parameter is ignored)",
            ));
        }
        Ok(())
    })
}
