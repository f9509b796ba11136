//! `forward`: the proxy's single handler. It logs the request line, answers in place of the
//! reference server where the `Mode` says so, and otherwise forwards and bends the answer.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::answer::{
    body_has, decoded_filter, drop_email_type, echo, redirect, reply, rewrite, scim, scim_error,
    split_id, strip_email_type, ENTERPRISE,
};
use super::{Mode, Proxy, TOKEN};

/// How many of the body's `emails` say `primary: true`.
fn primary_emails(body: &Bytes) -> usize {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.get("emails").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter(|e| e.get("primary") == Some(&Value::Bool(true)))
        .count()
}

pub(super) async fn forward(
    State(p): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let line = format!(
        "{method} {}",
        uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
    );
    p.requests.lock().expect("lock").push(line);
    let nth = p.served.fetch_add(1, Ordering::SeqCst);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let by_id = split_id(&path);
    let listing = by_id.is_none() && method == Method::GET;
    let update = method == Method::PATCH || method == Method::PUT;

    match &p.mode {
        Mode::HangAfterFirst if nth > 0 => std::future::pending::<()>().await,
        Mode::RedirectAll(other) => {
            return redirect(308, other, &path);
        }
        Mode::RedirectPost(other) if method == Method::POST => {
            return redirect(307, other, &path);
        }
        Mode::Slow { delete, .. } if method == Method::DELETE => tokio::time::sleep(*delete).await,
        Mode::RejectsStringBooleans
            if method == Method::PATCH
                && (body_has(&body, "\"False\"") || body_has(&body, "\"True\"")) =>
        {
            return scim_error(400, Some("invalidValue"), "active must be a boolean");
        }
        Mode::StrictTypes
            if (method == Method::POST || method == Method::PATCH)
                && (body_has(&body, "\"active\":\"true\"")
                    || body_has(&body, "\"active\":\"false\"")) =>
        {
            return scim_error(400, Some("invalidValue"), "active must be a boolean");
        }
        Mode::StrictTypes
            if (method == Method::POST || method == Method::PATCH)
                && body_has(&body, "\"emails\":{") =>
        {
            return scim_error(400, Some("invalidSyntax"), "emails must be an array");
        }
        Mode::OnePrimaryEmail
            if (method == Method::POST || method == Method::PUT) && primary_emails(&body) > 1 =>
        {
            return scim_error(
                400,
                Some("invalidValue"),
                "primary may be true for one email only",
            );
        }
        Mode::DropsEmailType if method == Method::PATCH && body_has(&body, "emails[type eq") => {
            return scim_error(
                400,
                Some("noTarget"),
                "no such attribute: emails[type eq \"work\"]",
            );
        }
        Mode::RejectsMemberFilterRemove
            if method == Method::PATCH && body_has(&body, "members[value eq") =>
        {
            return scim_error(501, None, "filtered member removal is not implemented");
        }
        Mode::CaseSensitiveFilterNames
            if listing
                && decoded_filter(&query)
                    .split(' ')
                    .next()
                    .is_some_and(|a| a.eq_ignore_ascii_case("userName") && a != "userName") =>
        {
            return scim_error(400, Some("invalidFilter"), "unknown attribute");
        }
        Mode::FirstRequestFails if nth == 0 => {
            return scim_error(500, None, "warming up");
        }
        Mode::TooManyRequestsTwice
            if method != Method::GET && p.updates.fetch_add(1, Ordering::SeqCst) < 2 =>
        {
            let mut r = scim_error(429, None, "slow down");
            r.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
            return r;
        }
        Mode::KeepsDeleted if method == Method::DELETE => {
            return Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .unwrap_or_default();
        }
        Mode::DeleteFails if method == Method::DELETE => {
            return scim(
                500,
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "500", "detail": "deletes are broken today"}),
            );
        }
        Mode::EndlessBody if method == Method::GET && by_id.is_some() => {
            let chunk = Bytes::from(vec![b' '; 64 * 1024]);
            let stream =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            return reply(200, "application/scim+json", Body::from_stream(stream));
        }
        Mode::HugeErrorPage if update && p.updates.fetch_add(1, Ordering::SeqCst) == 0 => {
            let page = format!("<html><body>{}</body></html>", "x".repeat(3 * 1024 * 1024));
            return reply(500, "text/html", page);
        }
        Mode::EchoToken
            if method != Method::GET && p.updates.fetch_add(1, Ordering::SeqCst) == 0 =>
        {
            return scim(
                500,
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "500", "detail": format!("rejected credentials {auth}")}),
            );
        }
        Mode::EndlessListing if listing && !query.contains("filter") => {
            let start: u64 = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("startIndex="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let page: Vec<Value> = (0..100)
                .map(|i| json!({"id": format!("loop-{i}"), "userName": format!("loop{i}@x.com")}))
                .collect();
            return scim(
                200,
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 1_000_000_000u64, "startIndex": start, "itemsPerPage": 100, "Resources": page}),
            );
        }
        _ => {}
    }

    // `LosesOverlappingCreates`: the table is read now and written back after the pause;
    // a create that began meanwhile writes after this one, from a table without it.
    let lost_create = if matches!(p.mode, Mode::LosesOverlappingCreates)
        && method == Method::POST
        && path.ends_with("/Users")
    {
        let read_at = p.counter.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        p.counter.load(Ordering::SeqCst) != read_at
    } else {
        false
    };

    match &p.mode {
        Mode::NoDiscovery
            if ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"]
                .iter()
                .any(|d| path.contains(d)) =>
        {
            return reply(404, "text/html", "<h1>Not Found</h1>");
        }
        Mode::LowercaseOpsOnly
            if method == Method::PATCH
                && ["\"op\":\"R", "\"op\":\"A", "\"op\":\"r", "\"op\":\"a"]
                    .iter()
                    .any(|n| body_has(&body, n))
                && !["\"op\":\"replace\"", "\"op\":\"add\"", "\"op\":\"remove\""]
                    .iter()
                    .any(|n| body_has(&body, n)) =>
        {
            return scim_error(400, Some("invalidSyntax"), "unknown op");
        }
        Mode::GhostAfterDelete if method == Method::GET => {
            if let Some((_, id)) = &by_id {
                if let Some(ghost) = p.ghosts.lock().expect("lock").get(id) {
                    return scim(200, ghost);
                }
            }
        }
        _ => {}
    }
    if matches!(p.mode, Mode::GhostAfterDelete) && method == Method::DELETE {
        if let Some((_, id)) = &by_id {
            let inner_path = path.strip_prefix("/scim/v2").unwrap_or(&path).to_string();
            let user = p
                .http
                .get(format!("{}{inner_path}", p.inner_base))
                .bearer_auth(TOKEN)
                .send()
                .await;
            if let Ok(r) = user {
                if let Ok(json) = r.json::<Value>().await {
                    p.ghosts.lock().expect("lock").insert(id.clone(), json);
                }
            }
        }
    }

    // Translate a fake id back to the reference server's.
    let mut inner_path = path.strip_prefix("/scim/v2").unwrap_or(&path).to_string();
    if let Some((endpoint, id)) = &by_id {
        if let Some(real) = p.fake_to_real.lock().expect("lock").get(id) {
            inner_path = format!(
                "/{endpoint}/{}",
                utf8_percent_encode(real, NON_ALPHANUMERIC)
            );
        }
    }
    if matches!(p.mode, Mode::LosesOverlappingMemberWrites)
        && update
        && matches!(&by_id, Some(("Groups", _)))
        && body_has(&body, "members")
    {
        return p.racy_member_write(method, &inner_path, body).await;
    }
    let mut inner_query = query.clone();
    let dropped: &[&str] = match p.mode {
        Mode::IgnoresCount => &["count="],
        Mode::IgnoresExcludedAttributes => &["excludedAttributes="],
        Mode::IgnoresPaging => &["startIndex=", "count="],
        Mode::IgnoresAttributes => &["attributes="],
        _ => &[],
    };
    inner_query = inner_query
        .split('&')
        .filter(|kv| !dropped.iter().any(|d| kv.starts_with(d)))
        .collect::<Vec<_>>()
        .join("&");
    let asked_start: Option<u64> = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("startIndex="))
        .and_then(|v| v.parse().ok());
    if let (Mode::StartsAtZero, true, Some(start)) = (&p.mode, listing, asked_start) {
        inner_query = inner_query
            .split('&')
            .map(|kv| match kv.strip_prefix("startIndex=") {
                Some(_) => format!("startIndex={}", start + 1),
                None => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
    }
    if matches!(p.mode, Mode::ReordersPages) && listing && !query.contains("filter=") {
        return p.reordered(&inner_path, &query, &auth).await;
    }
    let ignored = match p.mode {
        Mode::IgnoreFilter => true,
        Mode::IgnoreFilterWith(needle) => decoded_filter(&query).contains(needle),
        _ => false,
    };
    if ignored {
        inner_query = query
            .split('&')
            .filter(|kv| !kv.starts_with("filter="))
            .collect::<Vec<_>>()
            .join("&");
    }
    let url = if inner_query.is_empty() {
        format!("{}{inner_path}", p.inner_base)
    } else {
        format!("{}{inner_path}?{inner_query}", p.inner_base)
    };
    let mut req = p.http.request(method.clone(), url.clone());
    if matches!(p.mode, Mode::AcceptAnyToken) {
        req = req.bearer_auth(TOKEN);
    } else if !auth.is_empty() {
        req = req.header("authorization", auth.clone());
    }
    if let Some(ct) = headers.get("content-type") {
        req = req.header("content-type", ct.clone());
    }
    // What the resource looks like before the request, for the modes that misapply it.
    let before = match (&p.mode, &by_id) {
        (Mode::ReAddDuplicatesMember | Mode::ValuePathReplacesAll, Some(_))
            if method == Method::PATCH =>
        {
            p.inner_get(&inner_path).await
        }
        (Mode::PutMerges, Some(("Users", _))) if method == Method::PUT => {
            p.inner_get(&inner_path).await
        }
        _ => None,
    };
    if let (Mode::ReAddDuplicatesMember, Some((_, id)), Some(group)) = (&p.mode, &by_id, &before) {
        let present: Vec<Value> = group["members"].as_array().cloned().unwrap_or_default();
        let ops = serde_json::from_slice::<Value>(&body).unwrap_or_default();
        for op in ops["Operations"].as_array().cloned().unwrap_or_default() {
            if op["path"] != json!("members") {
                continue;
            }
            for m in op["value"].as_array().cloned().unwrap_or_default() {
                if let Some(old) = present.iter().find(|e| e["value"] == m["value"]) {
                    p.extra_members
                        .lock()
                        .expect("lock")
                        .entry(id.clone())
                        .or_default()
                        .push(old.clone());
                }
            }
        }
    }
    if let (Mode::DeletedUserStaysMember, Some(("Users", id))) = (&p.mode, &by_id) {
        if method == Method::DELETE {
            let groups = p.inner_get("/Groups?count=1000").await.unwrap_or_default();
            for g in groups["Resources"].as_array().cloned().unwrap_or_default() {
                let members = g["members"].as_array().cloned().unwrap_or_default();
                if let Some(m) = members.iter().find(|m| m["value"] == json!(id)) {
                    p.extra_members
                        .lock()
                        .expect("lock")
                        .entry(g["id"].as_str().unwrap_or_default().to_string())
                        .or_default()
                        .push(m.clone());
                }
            }
        }
    }
    let body = match p.mode {
        Mode::PutMerges if before.is_some() => rewrite(body, |j| {
            let old = before.clone().unwrap_or_default();
            if let (Some(obj), Some(old)) = (j.as_object_mut(), old.as_object()) {
                for (k, v) in old {
                    obj.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }),
        Mode::ValuePathReplacesAll if before.is_some() => rewrite(body, |j| {
            let old = before.clone().unwrap_or_default();
            if let Some(ops) = j.get_mut("Operations").and_then(Value::as_array_mut) {
                for op in ops.iter_mut() {
                    let filtered = op["path"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("emails[") && p.ends_with("].value"));
                    if filtered {
                        let mut emails = old["emails"].as_array().cloned().unwrap_or_default();
                        for e in emails.iter_mut() {
                            e["value"] = op["value"].clone();
                        }
                        *op = json!({"op": "replace", "path": "emails", "value": emails});
                    }
                }
            }
        }),
        Mode::DropsPathLessOps if method == Method::PATCH => rewrite(body, |j| {
            if let Some(ops) = j.get_mut("Operations").and_then(Value::as_array_mut) {
                ops.retain(|op| op.get("path").is_some());
            }
        }),
        Mode::DropsEmailType => drop_email_type(body),
        Mode::StoresActiveTrue if method == Method::POST => rewrite(body, |j| {
            if j.get("active") == Some(&json!(false)) {
                j["active"] = json!(true);
            }
        }),
        Mode::DropsManager => rewrite(body, |j| {
            if let Some(ext) = j.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
                ext.remove("manager");
            }
        }),
        Mode::PutDropsMembers if method == Method::PUT && path.contains("/Groups/") => {
            rewrite(body, |j| {
                if let Some(obj) = j.as_object_mut() {
                    obj.remove("members");
                }
            })
        }
        Mode::FilteredRemoveRemovesAll
            if method == Method::PATCH && body_has(&body, "members[value eq") =>
        {
            Bytes::from(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": "members"}]})
                .to_string(),
            )
        }
        _ => p.undisguise_body(body),
    };
    let sent = body.clone();
    req = req.body(body);
    let Ok(resp) = req.send().await else {
        return reply(502, "text/plain", "reference server unreachable");
    };
    let mut status = resp.status().as_u16();
    let mut kept_headers: Vec<(&'static str, String)> = ["location", "etag", "www-authenticate"]
        .into_iter()
        .filter_map(|h| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(|v| (h, v.to_string()))
        })
        .collect();
    let mut resp = resp;
    if matches!(p.mode, Mode::DuplicateCreated) && method == Method::POST && status == 409 {
        let n = p.counter.fetch_add(1, Ordering::SeqCst);
        let again = rewrite(sent, |j| {
            if let Some(name) = j.get("userName").and_then(Value::as_str) {
                j["userName"] = json!(format!("{name}.dup{n}"));
            }
        });
        let mut retry = p.http.post(url.clone()).bearer_auth(TOKEN).body(again);
        if let Some(ct) = headers.get("content-type") {
            retry = retry.header("content-type", ct.clone());
        }
        if let Ok(r) = retry.send().await {
            status = r.status().as_u16();
            resp = r;
        }
    }
    if matches!(p.mode, Mode::BadFilterListsAll) && listing && status == 400 {
        let all = format!("{}{}", p.inner_base, inner_path);
        if let Ok(r) = p.http.get(all).bearer_auth(TOKEN).send().await {
            status = r.status().as_u16();
            resp = r;
        }
    }
    if matches!(p.mode, Mode::NoLocation) {
        kept_headers.retain(|(h, _)| *h != "location");
    }
    if matches!(p.mode, Mode::NoEtagHeader) {
        kept_headers.retain(|(h, _)| *h != "etag");
    }
    if matches!(p.mode, Mode::PatchAnswersEmpty200)
        && method == Method::PATCH
        && (200..300).contains(&status)
    {
        return reply(200, "application/scim+json", "");
    }
    if matches!(p.mode, Mode::UnknownIdEmpty200)
        && method == Method::GET
        && by_id.is_some()
        && status == 404
    {
        return scim(200, &json!({}));
    }
    if matches!(p.mode, Mode::HtmlErrors) && status >= 400 {
        return reply(
            status,
            "text/html",
            "<html><body><h1>Error</h1></body></html>",
        );
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/scim+json")
        .to_string();
    let text = resp.text().await.unwrap_or_default();
    if let Mode::Slow { answer_create, .. } = &p.mode {
        if method == Method::POST {
            tokio::time::sleep(*answer_create).await;
        }
    }
    let Ok(mut json) = serde_json::from_str::<Value>(&text) else {
        return reply(status, &content_type, text);
    };
    if method == Method::POST && status == 201 {
        p.hand_out_fake_id(&json);
    }
    if lost_create {
        if let Some(id) = json.get("id").and_then(Value::as_str) {
            let url = format!("{}/Users/{id}", p.inner_base);
            let _ = p.http.delete(url).bearer_auth(TOKEN).send().await;
        }
    }
    p.disguise(&mut json);
    let mut content_type = "application/scim+json";
    match p.mode {
        Mode::EchoToken => echo(&mut json, &auth),
        Mode::DropsEmailType => strip_email_type(&mut json),
        Mode::ListWithoutPaging => {
            if let Some(obj) = json.as_object_mut() {
                if obj.contains_key("Resources") {
                    obj.remove("itemsPerPage");
                    obj.remove("startIndex");
                }
            }
        }
        Mode::CreateAnswers200 if status == 201 => status = 200,
        Mode::HtmlContentType => content_type = "text/html; charset=utf-8",
        Mode::CaseSensitiveUserName => {
            let filter = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("filter="))
                .map(|f| {
                    percent_decode_str(&f.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .unwrap_or_default();
            if let Some(value) = filter
                .strip_prefix("userName eq \"")
                .and_then(|v| v.strip_suffix('"'))
            {
                if let Some(list) = json.get_mut("Resources").and_then(Value::as_array_mut) {
                    list.retain(|r| r["userName"].as_str() == Some(value));
                    let n = list.len();
                    json["totalResults"] = json!(n);
                    json["itemsPerPage"] = json!(n);
                }
            }
        }
        Mode::UnfilteredTotalAsString if listing && !query.contains("filter=") => {
            if let Some(n) = json.get("totalResults").cloned() {
                json["totalResults"] = json!(n.to_string());
            }
        }
        Mode::ReAddDuplicatesMember | Mode::DeletedUserStaysMember
            if method == Method::GET && !query.contains("excludedAttributes") =>
        {
            if let Some(("Groups", id)) = &by_id {
                if let Some(extra) = p.extra_members.lock().expect("lock").get(id) {
                    let mut members = json["members"].as_array().cloned().unwrap_or_default();
                    for m in extra {
                        if matches!(p.mode, Mode::ReAddDuplicatesMember) || !members.contains(m) {
                            members.push(m.clone());
                        }
                    }
                    json["members"] = json!(members);
                }
            }
        }
        Mode::StartsAtZero if listing => {
            if let (Some(start), Some(obj)) = (asked_start, json.as_object_mut()) {
                if obj.contains_key("Resources") {
                    obj.insert("startIndex".into(), json!(start));
                }
            }
        }
        Mode::TotalResultsPerPage => {
            if let Some(n) = json
                .get("Resources")
                .and_then(Value::as_array)
                .map(Vec::len)
            {
                json["totalResults"] = json!(n);
            }
        }
        _ => {}
    }
    let mut r = reply(status, content_type, json.to_string());
    for (h, v) in kept_headers {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            r.headers_mut().insert(h, v);
        }
    }
    r
}
