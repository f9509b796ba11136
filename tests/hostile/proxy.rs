//! The proxy's helpers that need its state: `ReordersPages` listings, reads of the reference
//! server, and the fake ids handed out in place of real ones (and swapped back).

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::response::Response;
use serde_json::{json, Value};

use super::answer::{reply, scim};
use super::{Mode, Proxy, TOKEN};

impl Proxy {
    /// `ReordersPages`: the page asked for, cut from every resource in an order that changes
    /// with each request.
    pub(super) async fn reordered(&self, inner_path: &str, query: &str, auth: &str) -> Response {
        let param = |name: &str, default: u64| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(name))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        let (start, count) = (param("startIndex=", 1).max(1), param("count=", 1000));
        let all = self
            .http
            .get(format!("{}{inner_path}?count=1000", self.inner_base))
            .header("authorization", auth)
            .send()
            .await;
        let Ok(all) = all else {
            return reply(502, "text/plain", "reference server unreachable");
        };
        let body: Value = all.json().await.unwrap_or_default();
        let mut items = body["Resources"].as_array().cloned().unwrap_or_default();
        let salt = self.counter.fetch_add(1, Ordering::SeqCst);
        items.sort_by_key(|r| {
            let id = r["id"].as_str().unwrap_or_default();
            id.bytes().fold(salt.wrapping_mul(0x9e37_79b9), |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        });
        let page: Vec<Value> = items
            .iter()
            .skip(start as usize - 1)
            .take(count as usize)
            .cloned()
            .collect();
        scim(
            200,
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": items.len(), "startIndex": start,
                "itemsPerPage": page.len(), "Resources": page}),
        )
    }

    /// The reference server's answer to a GET of `inner_path`, as JSON.
    pub(super) async fn inner_get(&self, inner_path: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}{inner_path}", self.inner_base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    /// A PUT carries the resource back with the id the proxy handed out: swap in the real one.
    pub(super) fn undisguise_body(&self, body: Bytes) -> Bytes {
        let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        let real = json
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| self.fake_to_real.lock().expect("lock").get(id).cloned());
        match (real, json.as_object_mut()) {
            (Some(real), Some(obj)) => {
                obj.insert("id".into(), Value::String(real));
                Bytes::from(json.to_string())
            }
            _ => body,
        }
    }

    pub(super) fn hand_out_fake_id(&self, created: &Value) {
        let Some(real) = created.get("id").and_then(Value::as_str) else {
            return;
        };
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let fake = match &self.mode {
            Mode::TraversalId => {
                let victim = self
                    .victim
                    .lock()
                    .expect("lock")
                    .clone()
                    .unwrap_or_default();
                Value::String(format!("../Users/{victim}#{n}"))
            }
            Mode::PathSyntaxId => Value::String(format!("a/b?c=d#e f{n}")),
            Mode::NumericId => json!(4200 + n),
            Mode::MissingId => Value::Null,
            _ => return,
        };
        if let Value::String(s) = &fake {
            self.fake_to_real
                .lock()
                .expect("lock")
                .insert(s.clone(), real.to_string());
        }
        self.real_to_fake
            .lock()
            .expect("lock")
            .insert(real.to_string(), fake);
    }

    /// Replaces real ids by the fake ones handed out (or removes them), in a resource or a
    /// ListResponse.
    pub(super) fn disguise(&self, json: &mut Value) {
        let map = self.real_to_fake.lock().expect("lock");
        if map.is_empty() {
            return;
        }
        let fix = |r: &mut Value| {
            let Some(obj) = r.as_object_mut() else { return };
            let Some(fake) = obj
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| map.get(id))
                .cloned()
            else {
                return;
            };
            if fake.is_null() {
                obj.remove("id");
            } else {
                obj.insert("id".into(), fake);
            }
        };
        match json.get_mut("Resources").and_then(Value::as_array_mut) {
            Some(list) => list.iter_mut().for_each(fix),
            None => fix(json),
        }
    }
}
