//! HTTP handlers: translate requests into `Directory` calls and results into SCIM responses.
//! No handler may panic on client input; every failure becomes an `ApiError`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query as AxumQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::discovery;
use super::error::ApiError;
use super::listing::{list, Query};
use super::search;
use super::store::{self, Directory, Kind, Stored};
use super::AppState;
use crate::scim::{urn, ListResponse, CONTENT_TYPE};

type Pairs = Result<AxumQuery<Vec<(String, String)>>, QueryRejection>;
type Body = Result<Bytes, BytesRejection>;

/// A JSON response with the SCIM media type.
pub fn scim_json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

fn query(pairs: Pairs) -> Result<Query, ApiError> {
    pairs
        .map(|AxumQuery(p)| Query::from_pairs(p))
        .map_err(|e| ApiError::bad_request("invalidSyntax", format!("malformed query string: {e}")))
}

fn json_body(body: Body) -> Result<Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(discovery::MAX_PAYLOAD_BYTES)
        } else {
            ApiError::bad_request(
                "invalidSyntax",
                format!("unreadable request body: {rejection}"),
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            "invalidSyntax",
            format!("request body is not valid JSON: {e}"),
        )
    })
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The one resource response shape: body projected by `attributes`, plus `ETag` and, on
/// creation, `Location` (RFC 7644 §3.3).
fn resource_response(
    status: StatusCode,
    dir: &Directory,
    kind: Kind,
    stored: &Stored,
    state: &AppState,
    q: &Query,
) -> Result<Response, ApiError> {
    let projection = q.projection(kind.def())?;
    let rendered = dir.render(kind, stored, state.base_url());
    let location = rendered
        .pointer("/meta/location")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut response = scim_json(status, &projection.apply(rendered));
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&stored.etag()) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED {
        if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, loc);
        }
    }
    Ok(response)
}

fn list_response(list: &ListResponse) -> Response {
    scim_json(StatusCode::OK, list)
}

pub async fn list_resources(kind: Kind, state: AppState, pairs: Pairs) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = query(pairs)?;
        let dir = state.read();
        Ok(list_response(&list(&dir, kind, &q, state.base_url())?))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// `POST /Users/.search`, `POST /Groups/.search` (RFC 7644 §3.4.3).
pub async fn search(kind: Kind, state: AppState, body: Body) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = search::query_of(&json_body(body)?)?;
        let dir = state.read();
        Ok(list_response(&list(&dir, kind, &q, state.base_url())?))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// `POST /.search`: every resource type at once (RFC 7644 §3.4.3).
pub async fn search_all(State(state): State<AppState>, body: Body) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = search::query_of(&json_body(body)?)?;
        let dir = state.read();
        Ok(list_response(&search::search_all(
            &dir,
            &q,
            state.base_url(),
        )?))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

pub async fn create(kind: Kind, state: AppState, pairs: Pairs, body: Body) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = query(pairs)?;
        let body = json_body(body)?;
        let mut dir = state.write();
        let id = dir.create(kind, &body)?.id.clone();
        let stored = dir
            .get(kind, &id)
            .ok_or_else(|| ApiError::internal("created resource vanished"))?;
        resource_response(StatusCode::CREATED, &dir, kind, stored, &state, &q)
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

pub async fn get(kind: Kind, state: AppState, id: String, pairs: Pairs) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = query(pairs)?;
        let dir = state.read();
        let stored = dir
            .get(kind, &id)
            .ok_or_else(|| store::missing(kind, &id))?;
        resource_response(StatusCode::OK, &dir, kind, stored, &state, &q)
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// Which write a PUT or PATCH request is.
#[derive(Debug, Clone, Copy)]
pub enum Write {
    Replace,
    Patch,
}

/// PUT and PATCH answer 200 with the whole resource. RFC 7644 allows 204 for PATCH, but
/// Okta reads the returned user (idp-behavior.md §2.3) and Entra accepts either (§1.4), so a
/// body serves every IdP; clients that want less send `excludedAttributes=members`.
pub async fn update(
    kind: Kind,
    write: Write,
    state: AppState,
    id: String,
    headers: HeaderMap,
    pairs: Pairs,
    body: Body,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = query(pairs)?;
        let body = json_body(body)?;
        let if_match = if_match(&headers);
        let mut dir = state.write();
        match write {
            Write::Replace => dir.replace(kind, &id, &body, if_match.as_deref())?,
            Write::Patch => dir.patch(kind, &id, &body, if_match.as_deref())?,
        };
        let stored = dir
            .get(kind, &id)
            .ok_or_else(|| ApiError::internal("updated resource vanished"))?;
        resource_response(StatusCode::OK, &dir, kind, stored, &state, &q)
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

pub async fn delete(kind: Kind, state: AppState, id: String, headers: HeaderMap) -> Response {
    let if_match = if_match(&headers);
    let result = state.write().delete(kind, &id, if_match.as_deref());
    match result {
        Ok(()) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
        Err(e) => e.into_response(),
    }
}

pub async fn service_provider_config(State(state): State<AppState>) -> Response {
    scim_json(
        StatusCode::OK,
        &discovery::service_provider_config(state.base_url()),
    )
}

fn discovery_list(resources: Vec<Value>) -> Response {
    let n = resources.len() as u64;
    list_response(&ListResponse {
        schemas: vec![urn::LIST_RESPONSE.to_string()],
        total_results: n,
        items_per_page: n,
        start_index: 1,
        resources,
    })
}

pub async fn schemas(State(state): State<AppState>) -> Response {
    discovery_list(discovery::all_schemas(state.base_url()))
}

pub async fn schema(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match discovery::find_schema(&id) {
        Some(s) => scim_json(StatusCode::OK, &discovery::schema_json(s, state.base_url())),
        None => ApiError::not_found(format!("schema '{id}' not found")).into_response(),
    }
}

pub async fn resource_types(State(state): State<AppState>) -> Response {
    discovery_list(discovery::all_resource_types(state.base_url()))
}

pub async fn resource_type(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match discovery::find_resource_type(&name) {
        Some(rt) => scim_json(
            StatusCode::OK,
            &discovery::resource_type_json(rt, state.base_url()),
        ),
        None => ApiError::not_found(format!("resource type '{name}' not found")).into_response(),
    }
}

pub async fn not_found() -> Response {
    ApiError::not_found("no such endpoint").into_response()
}

pub async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "method not allowed on this endpoint",
    )
    .into_response()
}
