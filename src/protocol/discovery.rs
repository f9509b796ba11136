//! Discovery (RFC 7644 §4; RFC 7643 §5–7): `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas` answer with their shapes, and the capability flags are kept (`etag.supported`
//! means answers carry an `ETag`).

use serde_json::Value;

use super::{Answer, Check, CheckResult, CheckRun, Ctx, Feature, Level};
use crate::check::finding::{Code, Finding};
use crate::scim::request::list_resources;
use crate::scim::{resource_path, urn, ScimRequest};

pub const CHECKS: &[Check] = &[
    Check {
        name: "discovery.service-provider-config",
        summary: "/ServiceProviderConfig answers its schema with `supported` booleans for patch, bulk, filter, changePassword, sort, etag and authenticationSchemes",
        section: "RFC 7644 §4; RFC 7643 §5",
        idps: "Entra (E-4), Okta (O-36: not read), others (CA-2)",
        level: Level::Required,
        needs: None,
        run: service_provider_config,
    },
    Check {
        name: "discovery.resource-types",
        summary: "/ResourceTypes lists User and Group with their endpoints and schemas",
        section: "RFC 7644 §4; RFC 7643 §6",
        idps: "Entra (E-4), others (CA-2)",
        level: Level::Required,
        needs: None,
        run: resource_types,
    },
    Check {
        name: "discovery.schemas",
        summary: "/Schemas lists the User schema, and /Schemas/{id} answers it with its attributes",
        section: "RFC 7644 §4; RFC 7643 §7",
        idps: "Entra (E-4), others (CA-2)",
        level: Level::Required,
        needs: None,
        run: schemas,
    },
    Check {
        name: "discovery.etag-supported-means-etag",
        summary: "with etag.supported, GET /Users/{id} carries an ETag header and meta.version",
        section: "RFC 7644 §3.14",
        idps: "none of the four IdPs sends If-Match; any client that trusts the flag",
        level: Level::Optional,
        needs: Some(Feature::Etag),
        run: etag,
    },
];

async fn get_200(ctx: &Ctx<'_>, path: &str) -> Result<(Value, Answer), Finding> {
    let a = ctx.send(ScimRequest::get(path)).await?;
    match (a.status(), a.body().cloned()) {
        (200, Some(body)) => Ok((body, a)),
        (s, _) => Err(a.finding(
            Code::Discovery,
            format!("GET {path} was answered {s}, not 200 with JSON"),
        )),
    }
}

fn has_schema(body: &Value, schema: &str) -> bool {
    body.get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(schema)))
}

/// The resources of a discovery listing: a ListResponse, or (tolerated) a bare array.
fn listed(body: &Value) -> Vec<Value> {
    match body.as_array() {
        Some(items) => items.clone(),
        None => list_resources(Some(body)),
    }
}

fn service_provider_config<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let (body, a) = get_200(ctx, "/ServiceProviderConfig").await?;
        if !has_schema(&body, urn::SERVICE_PROVIDER_CONFIG) {
            return Err(a.finding(
                Code::Discovery,
                format!(
                    "/ServiceProviderConfig does not carry the schema {}",
                    urn::SERVICE_PROVIDER_CONFIG
                ),
            ));
        }
        for key in ["patch", "bulk", "filter", "changePassword", "sort", "etag"] {
            if !body
                .get(key)
                .and_then(|v| v.get("supported"))
                .is_some_and(Value::is_boolean)
            {
                return Err(a.finding(
                    Code::Discovery,
                    format!("/ServiceProviderConfig has no boolean `{key}.supported`"),
                ));
            }
        }
        if !body
            .get("authenticationSchemes")
            .is_some_and(Value::is_array)
        {
            return Err(a.finding(
                Code::Discovery,
                "/ServiceProviderConfig has no `authenticationSchemes` array",
            ));
        }
        Ok(())
    })
}

fn resource_types<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let (body, a) = get_200(ctx, "/ResourceTypes").await?;
        let types = listed(&body);
        for (name, endpoint, schema) in [
            ("User", "/Users", urn::USER),
            ("Group", "/Groups", urn::GROUP),
        ] {
            let found = types
                .iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(name));
            let Some(t) = found else {
                return Err(a.finding(
                    Code::Discovery,
                    format!("/ResourceTypes does not list {name}"),
                ));
            };
            if t.get("endpoint").and_then(Value::as_str) != Some(endpoint)
                || t.get("schema").and_then(Value::as_str) != Some(schema)
            {
                return Err(a.finding(Code::Discovery, format!("/ResourceTypes lists {name} without endpoint {endpoint} and schema {schema}")));
            }
        }
        Ok(())
    })
}

fn schemas<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let (body, a) = get_200(ctx, "/Schemas").await?;
        let all = listed(&body);
        if !all
            .iter()
            .any(|s| s.get("id").and_then(Value::as_str) == Some(urn::USER))
        {
            return Err(a.finding(
                Code::Discovery,
                format!("/Schemas does not list {}", urn::USER),
            ));
        }
        let (one, a) = get_200(ctx, &format!("/Schemas/{}", urn::USER)).await?;
        let attributes = one
            .get("attributes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let user_name = attributes
            .iter()
            .any(|at| at.get("name").and_then(Value::as_str) == Some("userName"));
        if one.get("id").and_then(Value::as_str) != Some(urn::USER) || !user_name {
            return Err(a.finding(
                Code::Discovery,
                "/Schemas/{User URN} does not answer the User schema with a userName attribute",
            ));
        }
        Ok(())
    })
}

fn etag<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = ctx.create_plain_user("etag").await?;
        let a = ctx
            .send(ScimRequest::get(resource_path("Users", &id)))
            .await?;
        etag_problem(&a)
    })
}

fn etag_problem(a: &Answer) -> CheckResult {
    if a.status() != 200 {
        return Err(a.finding(
            Code::State,
            format!("GET of a created user was answered {}", a.status()),
        ));
    }
    if a.response.etag.is_none() {
        return Err(a.finding(
            Code::Discovery,
            "the server says etag.supported but GET /Users/{id} carries no ETag header",
        ));
    }
    if a.body().and_then(|b| b.pointer("/meta/version")).is_none() {
        return Err(a.finding(
            Code::Discovery,
            "the server says etag.supported but the user has no meta.version",
        ));
    }
    Ok(())
}
