//! `Mode::LosesOverlappingMemberWrites`: a server that updates a group's members by
//! read-modify-write without a lock. Each membership PATCH or PUT reads the group's members,
//! works for a moment (20 ms), then writes the whole member list back — what it read, with its
//! own change applied. The reference server applies the request itself, so the proxy learns
//! the request's own change exactly (the members just before and just after it, with member
//! writes applied one at a time), then overwrites the group with the stale list plus that
//! change. Two writes that overlap: the second writes back a list read before the first
//! landed, and the first one's member is lost (or a removed one comes back).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::Method;
use axum::response::Response;
use serde_json::Value;

use super::answer::reply;
use super::{Proxy, TOKEN};

/// How long a write works between its read and its write-back.
const WORK: Duration = Duration::from_millis(20);

impl Proxy {
    pub(super) async fn racy_member_write(
        &self,
        method: Method,
        inner_path: &str,
        body: Bytes,
    ) -> Response {
        let url = format!("{}{inner_path}", self.inner_base);
        let stale = self.group_members(&url).await;
        tokio::time::sleep(WORK).await;
        let _turn = self.member_writes.lock().await;
        let before = self.group_members(&url).await;
        let sent = self
            .http
            .request(method, &url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/scim+json")
            .body(body)
            .send()
            .await;
        let Ok(resp) = sent else {
            return reply(502, "text/plain", "the reference server did not answer");
        };
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            if let Some(mut group) = self.group(&url).await {
                let after = members(&group);
                // The stale list with this request's own change: members it added kept,
                // members it removed dropped; everyone else as the stale read saw them.
                let mut written = stale;
                written.retain(|id, _| !before.contains_key(id) || after.contains_key(id));
                for (id, m) in after {
                    if !before.contains_key(&id) {
                        written.insert(id, m);
                    }
                }
                if let Some(obj) = group.as_object_mut() {
                    obj.remove("meta");
                    obj.insert(
                        "members".into(),
                        Value::Array(written.into_values().collect()),
                    );
                }
                let _ = self
                    .http
                    .put(&url)
                    .bearer_auth(TOKEN)
                    .json(&group)
                    .send()
                    .await;
            }
        }
        reply(status, "application/scim+json", text)
    }

    async fn group(&self, url: &str) -> Option<Value> {
        let r = self.http.get(url).bearer_auth(TOKEN).send().await.ok()?;
        r.json::<Value>().await.ok()
    }

    async fn group_members(&self, url: &str) -> BTreeMap<String, Value> {
        self.group(url)
            .await
            .map(|g| members(&g))
            .unwrap_or_default()
    }
}

/// A group's member entries by their `value`.
fn members(group: &Value) -> BTreeMap<String, Value> {
    group["members"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| Some((m["value"].as_str()?.to_string(), m.clone())))
                .collect()
        })
        .unwrap_or_default()
}
