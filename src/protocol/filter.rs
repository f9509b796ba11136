//! Filters (RFC 7644 §3.4.2.2): the lookups IdPs match with, answered with exactly the
//! resources that match; attribute names and operators in any case; an unsupported filter
//! refused with 400 `invalidFilter`, never answered with everything.

use serde_json::{json, Value};

use super::{Answer, Check, CheckResult, CheckRun, Ctx, Feature, Level};
use crate::check::finding::{Code, Finding};
use crate::scim::request::{encode_query_value, list_resources, quote};
use crate::scim::{server_id, ScimRequest};

pub const CHECKS: &[Check] = &[
    Check {
        name: "filter.username-eq-ignores-case",
        summary: "`userName eq` matches the stored userName in any case",
        section: "RFC 7644 §3.4.2.2; RFC 7643 §4.1.1 (caseExact false)",
        idps: "Entra (E-5, E-10), Okta (O-4), PingFederate (PF-4), PingOne (P1-4)",
        level: Level::Required,
        needs: Some(Feature::Filter),
        run: username_any_case,
    },
    Check {
        name: "filter.externalid-eq",
        summary: "`externalId eq` finds exactly the user carrying it",
        section: "RFC 7644 §3.4.2.2; RFC 7643 §3.1",
        idps: "Entra (E-10)",
        level: Level::Required,
        needs: Some(Feature::Filter),
        run: external_id,
    },
    Check {
        name: "filter.email-type-value-eq",
        summary: "`emails[type eq \"work\"].value eq` finds exactly the user with that work email",
        section: "RFC 7644 §3.4.2.2 (complex attribute filter grouping)",
        idps: "Entra (E-10), PingFederate (PF-4)",
        level: Level::Optional,
        needs: Some(Feature::Filter),
        run: email_type,
    },
    Check {
        name: "filter.group-displayname-eq",
        summary: "`displayName eq` on /Groups finds exactly that group",
        section: "RFC 7644 §3.4.2.2",
        idps: "Entra (E-47), Okta (O-26), PingOne (P1-12)",
        level: Level::Required,
        needs: Some(Feature::Filter),
        run: group_display_name,
    },
    Check {
        name: "filter.names-and-operators-ignore-case",
        summary: "`USERNAME Eq` works like `userName eq`",
        section: "RFC 7644 §3.4.2.2 (attribute names and operators are case-insensitive)",
        idps: "PingOne (P1-4), PingFederate (PF-4)",
        level: Level::Required,
        needs: Some(Feature::Filter),
        run: names_any_case,
    },
    Check {
        name: "filter.and",
        summary: "`userName eq … and active eq true` finds exactly the matching user",
        section: "RFC 7644 §3.4.2.2 (logical operators)",
        idps: "PingFederate (PF-4), PingOne (P1-4)",
        level: Level::Optional,
        needs: Some(Feature::Filter),
        run: and,
    },
    Check {
        name: "filter.unsupported-is-400",
        summary: "a filter the server cannot evaluate answers 400 invalidFilter, never 200 with everything",
        section: "RFC 7644 §3.4.2.2, §3.12 (invalidFilter)",
        idps: "Entra (E-5, E-11), Okta (O-6)",
        level: Level::Required,
        needs: Some(Feature::Filter),
        run: unsupported,
    },
];

/// `GET /{endpoint}?filter=…` answered 200 with a ListResponse: its resources.
async fn query(
    ctx: &Ctx<'_>,
    endpoint: &str,
    filter: &str,
) -> Result<(Vec<Value>, Answer), Finding> {
    let a = ctx
        .send(ScimRequest::get(format!(
            "/{endpoint}?filter={}",
            encode_query_value(filter)
        )))
        .await?;
    if a.status() != 200 {
        return Err(a.finding(
            Code::Rejected,
            format!("the filter `{filter}` was answered {}, not 200", a.status()),
        ));
    }
    if a.body()
        .and_then(|b| b.get("Resources"))
        .is_some_and(|r| !r.is_array())
    {
        return Err(a.finding(Code::ListShape, "`Resources` is not an array"));
    }
    Ok((list_resources(a.body()), a))
}

/// The answer holds exactly the resource `id`.
fn exactly(found: &[Value], id: &str, a: &Answer, filter: &str) -> CheckResult {
    let ids: Vec<&str> = found.iter().filter_map(|r| server_id(r).ok()).collect();
    if ids == [id] {
        return Ok(());
    }
    if ids.is_empty() {
        return Err(a
            .finding(
                Code::State,
                format!("the filter `{filter}` found nothing; the resource it names exists"),
            )
            .consequence(
                "the IdP creates a second account (Entra, Okta) or fails the create with 409",
            ));
    }
    Err(a.finding(
        Code::FilterIgnored,
        format!(
            "the filter `{filter}` answered {} resources{}",
            ids.len(),
            if ids.contains(&id) {
                ", not only the one it names"
            } else {
                ", none of them the one it names"
            }
        ),
    ))
}

fn username_any_case<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("Mixed.Case");
        let (id, _) = ctx
            .create_user(json!({"userName": name, "active": true}))
            .await?;
        for asked in [name.to_lowercase(), name.to_uppercase()] {
            let filter = format!("userName eq {}", quote(&asked));
            let (found, a) = query(ctx, "Users", &filter).await?;
            exactly(&found, &id, &a, &filter)?;
        }
        Ok(())
    })
}

fn external_id<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let ext = format!("{}ext-filter", ctx.prefix);
        let (id, _) = ctx
            .create_user(
                json!({"userName": ctx.user_name("extfilter"), "externalId": ext, "active": true}),
            )
            .await?;
        ctx.create_plain_user("extfilter-other").await?;
        let filter = format!("externalId eq {}", quote(&ext));
        let (found, a) = query(ctx, "Users", &filter).await?;
        exactly(&found, &id, &a, &filter)
    })
}

fn email_type<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("emailfilter");
        let work = format!("{}work@example.com", ctx.prefix);
        let (id, _) = ctx
            .create_user(json!({"userName": name, "active": true,
                "emails": [{"value": work, "type": "work", "primary": true}]}))
            .await?;
        ctx.create_user(
            json!({"userName": ctx.user_name("emailfilter-home"), "active": true,
                "emails": [{"value": work, "type": "home"}]}),
        )
        .await?;
        let filter = format!("emails[type eq \"work\"].value eq {}", quote(&work));
        let (found, a) = query(ctx, "Users", &filter).await?;
        exactly(&found, &id, &a, &filter)
    })
}

fn group_display_name<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let id = ctx.create_group("Filtered Group", &[]).await?;
        ctx.create_group("Filtered Group 2", &[]).await?;
        let filter = format!(
            "displayName eq {}",
            quote(&ctx.group_name("Filtered Group"))
        );
        let (found, a) = query(ctx, "Groups", &filter).await?;
        exactly(&found, &id, &a, &filter)
    })
}

fn names_any_case<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("namecase");
        let (id, _) = ctx
            .create_user(json!({"userName": name, "active": true}))
            .await?;
        for filter in [
            format!("USERNAME Eq {}", quote(&name)),
            format!("username EQ {}", quote(&name)),
        ] {
            let (found, a) = query(ctx, "Users", &filter).await?;
            exactly(&found, &id, &a, &filter)?;
        }
        Ok(())
    })
}

fn and<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("andfilter");
        let (id, _) = ctx
            .create_user(json!({"userName": name, "active": true}))
            .await?;
        let filter = format!("userName eq {} and active eq true", quote(&name));
        let (found, a) = query(ctx, "Users", &filter).await?;
        exactly(&found, &id, &a, &filter)?;
        let filter = format!("userName eq {} and active eq false", quote(&name));
        let (found, a) = query(ctx, "Users", &filter).await?;
        if !found.is_empty() {
            return Err(a.finding(
                Code::FilterIgnored,
                format!(
                    "the filter `{filter}` answered {} resources; none match",
                    found.len()
                ),
            ));
        }
        Ok(())
    })
}

fn unsupported<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        ctx.create_plain_user("unsupported-filter").await?;
        let filter = format!(
            "userName zz {}",
            quote(&ctx.user_name("unsupported-filter"))
        );
        let a = ctx
            .send(ScimRequest::get(format!(
                "/Users?filter={}",
                encode_query_value(&filter)
            )))
            .await?;
        if a.response.is_success() {
            let n = list_resources(a.body()).len();
            return Err(a
                .finding(
                    Code::FilterIgnored,
                    format!("the invalid filter `{filter}` was answered {} with {n} resources, not 400 invalidFilter", a.status()),
                )
                .consequence("a filter the server cannot read looks like a match: the IdP links or overwrites an unrelated account"));
        }
        let scim_type = a
            .body()
            .and_then(|b| b.get("scimType"))
            .and_then(Value::as_str);
        if a.status() != 400 || scim_type != Some("invalidFilter") {
            return Err(a.finding(
                Code::ErrorBody,
                format!(
                    "the invalid filter `{filter}` was answered {} with scimType {scim_type:?}, not 400 invalidFilter",
                    a.status()
                ),
            ));
        }
        Ok(())
    })
}
