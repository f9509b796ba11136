//! Creating users (RFC 7644 §3.3): 201 with `Location` and a string `id`, every written
//! attribute read back as written, and a second create of an existing userName refused.

use serde_json::{json, Value};

use super::{scim_error_problem, Check, CheckRun, Ctx, Level};
use crate::check::finding::Code;
use crate::scim::{server_id, urn, ScimRequest, Verb};

pub const CHECKS: &[Check] = &[
    Check {
        name: "create.returns-201-with-location",
        summary: "POST /Users answers 201, a `Location` equal to `meta.location`, and a string `id`",
        section: "RFC 7644 §3.3, §3.1; RFC 7643 §3.1",
        idps: "Entra (E-19), Okta (O-11), PingFederate (PF-5), PingOne (P1-5)",
        level: Level::Required,
        needs: None,
        run: returns_201,
    },
    Check {
        name: "create.reads-back-every-attribute",
        summary: "every attribute written on create (active false, externalId, emails[type], enterprise extension, manager) reads back",
        section: "RFC 7644 §3.3; RFC 7643 §4.1, §4.3",
        idps: "Entra (E-13, E-16, E-35), Okta (O-8, O-11), PingFederate (PF-5), PingOne (P1-5)",
        level: Level::Required,
        needs: None,
        run: reads_back,
    },
    Check {
        name: "create.duplicate-username-is-409",
        summary: "a second POST of an existing userName, in another case, answers 409 uniqueness",
        section: "RFC 7644 §3.3, §3.12; RFC 7643 §4.1.1",
        idps: "Entra (E-11, E-20), Okta (O-12)",
        level: Level::Required,
        needs: None,
        run: duplicate,
    },
];

fn returns_201<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("create201");
        let pending = ctx.created.sending("Users", Some(&name));
        let a = ctx
            .send(ScimRequest::with_body(
                Verb::Post,
                "/Users",
                json!({"schemas": [urn::USER], "userName": name, "active": true}),
            ))
            .await?;
        if let Some(Ok(id)) = a.body().map(server_id) {
            ctx.created.resolve(pending, id);
        }
        if a.status() != 201 {
            return Err(a.finding(
                Code::CreateStatus,
                format!("POST /Users was answered {}, not 201 Created", a.status()),
            ));
        }
        let body = a.body().cloned().unwrap_or(Value::Null);
        if let Err(bad) = server_id(&body) {
            return Err(a.finding(Code::BadId, format!("POST /Users answered 201, but {bad}")));
        }
        let meta_location = body.pointer("/meta/location").and_then(Value::as_str);
        match (&a.response.location, meta_location) {
            (None, _) => Err(a.finding(
                Code::CreateStatus,
                "POST /Users was answered 201 without a `Location` header",
            )),
            (Some(l), Some(m)) if l != m => Err(a.finding(
                Code::CreateStatus,
                format!("the `Location` header ({l}) differs from `meta.location` ({m})"),
            )),
            (Some(_), None) => Err(a.finding(
                Code::CreateStatus,
                "the created user carries no `meta.location`",
            )),
            _ => Ok(()),
        }
    })
}

/// Where `path` (`/emails/0/type`-style pointers are too brittle for multi-valued
/// attributes) differs between what was written and what came back, in one clause.
fn missing(written: &Value, read: &Value, manager_id: &str) -> Option<String> {
    let ext = urn::ENTERPRISE_USER;
    let get = |v: &Value, key: &str| crate::scim::lookup::get_ci(v, key).cloned();
    if get(read, "active") != Some(json!(false)) {
        return Some(format!(
            "`active` was written false and read back {}",
            get(read, "active").map_or("missing".into(), |v| v.to_string())
        ));
    }
    for key in ["externalId", "displayName"] {
        if get(read, key) != get(written, key) {
            return Some(format!(
                "`{key}` was written {} and read back {}",
                get(written, key).unwrap_or_default(),
                get(read, key).map_or("missing".into(), |v| v.to_string())
            ));
        }
    }
    let given = read.pointer("/name/givenName").and_then(Value::as_str);
    if given != Some("Ada") {
        return Some(format!(
            "`name.givenName` was written \"Ada\" and read back {given:?}"
        ));
    }
    let work = get(read, "emails")
        .and_then(|e| e.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.get("type").and_then(Value::as_str) == Some("work"));
    let email = get(written, "emails").and_then(|e| e.pointer("/0/value").cloned());
    if work.as_ref().and_then(|w| w.get("value")) != email.as_ref() {
        return Some(
            "`emails[type eq \"work\"]` was written and does not read back with its type and value"
                .into(),
        );
    }
    let read_ext = read.get(ext);
    for key in ["department", "employeeNumber"] {
        let w = written.get(ext).and_then(|e| e.get(key));
        let r = read_ext.and_then(|e| e.get(key));
        if w != r {
            return Some(format!(
                "`{ext}:{key}` was written {} and read back {}",
                w.cloned().unwrap_or_default(),
                r.map_or("missing".into(), |v| v.to_string())
            ));
        }
    }
    let manager = read_ext
        .and_then(|e| e.get("manager"))
        .and_then(|m| m.get("value"))
        .and_then(Value::as_str);
    if manager != Some(manager_id) {
        return Some(format!(
            "`{ext}:manager` was written {{\"value\": \"{manager_id}\"}} and read back {}",
            manager.map_or("missing".into(), |m| format!("\"{m}\""))
        ));
    }
    None
}

fn reads_back<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let manager = ctx.create_plain_user("manager").await?;
        let name = ctx.user_name("readback");
        let body = json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": name,
            "externalId": format!("{}ext-readback", ctx.prefix),
            "active": false,
            "displayName": "Ada Lovelace",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": name, "type": "work", "primary": true}],
            urn::ENTERPRISE_USER: {
                "department": "Analytical Engines",
                "employeeNumber": "1815",
                "manager": {"value": manager}
            }
        });
        let (id, created) = ctx.create_user(body.clone()).await?;
        if let Some(problem) = created.body().and_then(|c| missing(&body, c, &manager)) {
            return Err(created.finding(
                Code::DroppedAttribute,
                format!("the create answer: {problem}"),
            ));
        }
        let (read, a) = ctx.read("Users", &id, "").await?;
        if let Some(problem) = missing(&body, &read, &manager) {
            return Err(a.finding(
                Code::DroppedAttribute,
                format!("reading the user back: {problem}"),
            ));
        }
        Ok(())
    })
}

fn duplicate<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let name = ctx.user_name("Duplicate");
        let (first, _) = ctx
            .create_user(json!({"userName": name, "active": true}))
            .await?;
        let other_case = name.to_uppercase();
        let pending = ctx.created.sending("Users", Some(&other_case));
        let a = ctx
            .send(ScimRequest::with_body(
                Verb::Post,
                "/Users",
                json!({"schemas": [urn::USER], "userName": other_case, "active": true}),
            ))
            .await?;
        match a.body().map(server_id) {
            Some(Ok(id)) if a.response.is_success() => ctx.created.resolve(pending, id),
            // Refused: the name is the first user's, which cleanup deletes by its id.
            _ => ctx.created.resolve(pending, &first),
        }
        if a.status() != 409 {
            return Err(a
                .finding(
                    Code::Uniqueness,
                    format!(
                        "a second POST of an existing userName (in upper case) was answered {}, not 409",
                        a.status()
                    ),
                )
                .consequence("two accounts for one person: Entra's next match finds both (DuplicateTargetEntries, E-11)"));
        }
        let scim_type = a
            .body()
            .and_then(|b| b.get("scimType"))
            .and_then(Value::as_str);
        if scim_type != Some("uniqueness") {
            return Err(a.finding(
                Code::Uniqueness,
                format!("the 409 carries scimType {scim_type:?}, not \"uniqueness\""),
            ));
        }
        if let Some(problem) = scim_error_problem(a.body(), 409) {
            return Err(a.finding(
                Code::ErrorBody,
                format!("the 409 is not a SCIM Error: {problem}"),
            ));
        }
        Ok(())
    })
}
