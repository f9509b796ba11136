//! Authentication (RFC 7644 §2): a request without a token, or with a wrong one, is refused
//! with 401, a `WWW-Authenticate` challenge and a SCIM Error body.

use super::{scim_error_problem, Check, CheckResult, CheckRun, Ctx, Level};
use crate::check::finding::Code;
use crate::client::{ScimClient, Secret};
use crate::scim::ScimRequest;

pub const CHECKS: &[Check] = &[
    Check {
        name: "auth.no-token-is-401",
        summary: "a request without a token is refused with 401",
        section: "RFC 7644 §2, §3.12",
        idps: "Entra (E-8, E-65), Okta (O-2)",
        level: Level::Required,
        needs: None,
        run: no_token,
    },
    Check {
        name: "auth.wrong-token-is-401",
        summary: "a request with a wrong bearer token is refused with 401",
        section: "RFC 7644 §2, §3.12",
        idps: "Entra (E-8, E-65), Okta (O-2)",
        level: Level::Required,
        needs: None,
        run: wrong_token,
    },
    Check {
        name: "auth.401-has-challenge-and-scim-error",
        summary: "a 401 carries `WWW-Authenticate` and a SCIM Error with `status` a string",
        section: "RFC 7644 §3.12; RFC 6750 §3",
        idps: "Entra (E-65), Okta (O-2)",
        level: Level::Optional,
        needs: None,
        run: challenge,
    },
];

/// A client for the same base URL with `token` (or none).
fn other_client(
    ctx: &Ctx<'_>,
    token: Option<&str>,
) -> Result<ScimClient, crate::check::finding::Finding> {
    ScimClient::connect(
        &ctx.base,
        token.map(Secret::new),
        ctx.timeout,
        ctx.client.transport(),
    )
    .map(|c| c.with_redactor(ctx.client.redactor()))
    .map_err(|e| {
        crate::check::finding::Finding::new(
            Code::Unreachable,
            crate::check::finding::Severity::Error,
            e.to_string(),
        )
    })
}

/// The wrong token the checks send: long enough to be scrubbed, never a real one.
const WRONG_TOKEN: &str = "scim-harness-wrong-token-0000000000";

async fn refused(ctx: &Ctx<'_>, token: Option<&str>, what: &str) -> CheckResult {
    let client = other_client(ctx, token)?;
    let a = ctx
        .send_via(&client, ScimRequest::get("/Users?count=1"))
        .await?;
    if a.status() != 401 {
        return Err(a
            .finding(
                Code::Auth,
                format!("a request {what} was answered {}, not 401", a.status()),
            )
            .consequence(if a.response.is_success() {
                "anyone who can reach the server reads and writes the directory"
            } else {
                "Entra's connection test and Okta's Test Connection report the wrong cause"
            }));
    }
    Ok(())
}

fn no_token<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(refused(ctx, None, "without a token"))
}

fn wrong_token<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(refused(ctx, Some(WRONG_TOKEN), "with a wrong bearer token"))
}

fn challenge<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        let client = other_client(ctx, Some(WRONG_TOKEN))?;
        let a = ctx
            .send_via(&client, ScimRequest::get("/Users?count=1"))
            .await?;
        if a.status() != 401 {
            // auth.wrong-token-is-401 names this; nothing more to judge here.
            return Ok(());
        }
        if a.response.www_authenticate.is_none() {
            return Err(a.finding(
                Code::Auth,
                "a 401 was answered without a `WWW-Authenticate` header",
            ));
        }
        if let Some(problem) = scim_error_problem(a.body(), 401) {
            return Err(a.finding(
                Code::ErrorBody,
                format!("a 401 was answered without a SCIM Error body: {problem}"),
            ));
        }
        Ok(())
    })
}
