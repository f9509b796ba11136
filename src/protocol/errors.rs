//! Errors and media type (RFC 7644 §3.12, §8.1): every 4xx and 5xx is a SCIM Error with
//! `status` a string, and every answer is `application/scim+json`.

use serde_json::json;

use super::{scim_error_problem, Check, CheckRun, Ctx, Level};
use crate::check::finding::Code;
use crate::scim::{resource_path, urn, ScimRequest, Verb, CONTENT_TYPE};

pub const CHECKS: &[Check] = &[
    Check {
        name: "errors.scim-error-body",
        summary: "a 404 and a 400 carry the SCIM Error schema with `status` a string",
        section: "RFC 7644 §3.12",
        idps: "Entra (E-69), Okta (O-37)",
        level: Level::Required,
        needs: None,
        run: error_body,
    },
    Check {
        name: "errors.content-type-scim-json",
        summary: "answers (resource, list, created, error) are `application/scim+json`",
        section: "RFC 7644 §3.1, §8.1",
        idps: "Entra (E-72)",
        level: Level::Required,
        needs: None,
        run: content_type,
    },
];

fn error_body<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let missing = uuid::Uuid::new_v4().to_string();
        let a = ctx
            .send(ScimRequest::get(resource_path("Users", &missing)))
            .await?;
        if a.status() >= 400 {
            if let Some(problem) = scim_error_problem(a.body(), a.status()) {
                return Err(a.finding(
                    Code::ErrorBody,
                    format!("a {} is not a SCIM Error: {problem}", a.status()),
                ));
            }
        }
        // A user without the required userName.
        let a = ctx
            .send(ScimRequest::with_body(
                Verb::Post,
                "/Users",
                json!({"schemas": [urn::USER], "active": true}),
            ))
            .await?;
        if a.response.is_success() {
            if let Some(Ok(id)) = a.body().map(crate::scim::server_id) {
                let p = ctx.created.sending("Users", None);
                ctx.created.resolve(p, id);
            }
            return Err(a.finding(
                Code::Rejected,
                "a user without the required userName was created",
            ));
        }
        if let Some(problem) = scim_error_problem(a.body(), a.status()) {
            return Err(a.finding(
                Code::ErrorBody,
                format!("a {} is not a SCIM Error: {problem}", a.status()),
            ));
        }
        Ok(())
    })
}

fn content_type<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let (id, created) = ctx
            .create_user(json!({"userName": ctx.user_name("contenttype"), "active": true}))
            .await?;
        let read = ctx
            .send(ScimRequest::get(resource_path("Users", &id)))
            .await?;
        let list = ctx.send(ScimRequest::get("/Users?count=1")).await?;
        let missing = uuid::Uuid::new_v4().to_string();
        let error = ctx
            .send(ScimRequest::get(resource_path("Users", &missing)))
            .await?;
        for a in [&created, &read, &list, &error] {
            let ct = a.response.content_type.as_deref().unwrap_or("");
            let media = ct.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case(CONTENT_TYPE) {
                return Err(a.finding(
                    Code::ContentType,
                    format!(
                        "an answer {} came as `{}`, not {CONTENT_TYPE}",
                        a.status(),
                        if ct.is_empty() { "no Content-Type" } else { ct }
                    ),
                ));
            }
        }
        Ok(())
    })
}
