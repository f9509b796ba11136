//! Shared fixtures for black-box tests: a reference server on an ephemeral 127.0.0.1 port and
//! a small client that speaks to it over real HTTP.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use scim_harness::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-not-secret";

pub struct Api {
    pub server: RunningServer,
    pub http: reqwest::Client,
}

/// A response reduced to what tests assert on.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub www_authenticate: Option<String>,
    pub body: Value,
}

impl Api {
    pub async fn start() -> Api {
        let server = server::start(ServerConfig {
            tokens: vec![TOKEN.to_string()],
            ..ServerConfig::default()
        })
        .await
        .expect("server starts on an ephemeral port");
        Api {
            server,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.base_url(), path)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.send_with(method, path, body, |r| r.bearer_auth(TOKEN))
            .await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        decorate: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = decorate(req)
            .send()
            .await
            .expect("request reaches the server");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status();
        let content_type = header("content-type");
        let etag = header("etag");
        let location = header("location");
        let www_authenticate = header("www-authenticate");
        let text = resp.text().await.expect("body is readable");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            content_type,
            etag,
            location,
            www_authenticate,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a user and returns its id.
    pub async fn user(&self, body: Value) -> String {
        let r = self.post("/Users", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create user: {}", r.body);
        r.body["id"].as_str().expect("id in 201 body").to_string()
    }

    /// Creates a group and returns its id.
    pub async fn group(&self, body: Value) -> String {
        let r = self.post("/Groups", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create group: {}", r.body);
        r.body["id"].as_str().expect("id in 201 body").to_string()
    }

    /// PATCHes and then reads the resource back, asserting both answers agree.
    pub async fn patch_and_read(&self, path: &str, ops: Value) -> Value {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": ops,
        });
        let r = self.patch(path, body).await;
        assert_eq!(r.status, StatusCode::OK, "PATCH {path}: {}", r.body);
        let back = self.get(path).await;
        assert_eq!(back.status, StatusCode::OK);
        assert_eq!(
            r.body, back.body,
            "PATCH response equals the state read back"
        );
        back.body
    }

    /// `filter` query on a collection; returns the ids found, in order.
    pub async fn filter_ids(&self, collection: &str, filter: &str) -> Vec<String> {
        let r = self
            .send_with(Method::GET, collection, None, |req| {
                req.bearer_auth(TOKEN).query(&[("filter", filter)])
            })
            .await;
        assert_eq!(r.status, StatusCode::OK, "filter {filter}: {}", r.body);
        ids(&r.body)
    }
}

/// The ids of a ListResponse's Resources, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Every file under `dir`, recursively, in sorted order; a directory that cannot be read
/// holds nothing. Tests that check what a command wrote or what a document cites walk the
/// tree with it.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}
