//! Steps that act on the target side: the built-in server's fault switch, and objects made
//! directly through the SCIM API (`target_create_user`, `target_create_group`), tracked as the run's own.

use super::*;

impl<'a> Run<'a> {
    pub(super) fn builtin_target(&self) -> Result<&'a crate::server::AppState, String> {
        self.builtin
            .ok_or_else(|| format!("`{}` needs the built-in target", self.keyword))
    }

    /// A fault on the built-in target, narrowed to one user's requests when asked.
    pub(super) fn target_fault(
        &mut self,
        spec: &crate::scenario::model::FaultSpec,
    ) -> Result<(), String> {
        let target = self.builtin_target()?;
        let mut mentions = Vec::new();
        if let Some(user) = spec.user.as_deref().and_then(|u| self.tenant.user(u)) {
            mentions.extend(self.engine.profile.user_name(user, &self.settings.prefix));
            if let Some(link) = self.engine.link(&user.object_id) {
                mentions.push(link.target_id.clone());
            }
        }
        target.faults().add(crate::server::faults::FaultRule {
            method: spec.method.clone(),
            path_contains: spec.path.clone(),
            status: Some(spec.status),
            retry_after: spec.retry_after,
            delay_ms: 0,
            times: match spec.times {
                crate::scenario::model::FaultTimes::Always => crate::server::faults::Times::Always,
                crate::scenario::model::FaultTimes::OncePerObject => {
                    crate::server::faults::Times::OncePerObject
                }
            },
            mentions,
        });
        Ok(())
    }

    pub(super) async fn target_create_user(
        &mut self,
        user: &str,
        attributes: &Value,
    ) -> Result<(), Stop> {
        let mut body = self.prefixed(attributes, &["userName", "externalId", "displayName"]);
        body.entry("schemas")
            .or_insert_with(|| serde_json::json!([crate::scim::urn::USER]));
        let name = body
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_string);
        let id = self.target_post("Users", user, body, name).await?;
        self.target_refs.insert(user.to_string(), id);
        Ok(())
    }

    /// A group that pre-exists on the target, so group matching (displayName, or externalId
    /// where an IdP offers it) meets an object the IdP did not create.
    pub(super) async fn target_create_group(
        &mut self,
        group: &str,
        attributes: &Value,
        members: &[String],
    ) -> Result<(), Stop> {
        let mut body = self.prefixed(attributes, &["displayName", "externalId"]);
        body.entry("schemas")
            .or_insert_with(|| serde_json::json!([crate::scim::urn::GROUP]));
        if !members.is_empty() {
            let values: Vec<Value> = members
                .iter()
                .filter_map(|m| self.target_refs.get(m))
                .map(|id| serde_json::json!({ "value": id }))
                .collect();
            body.insert("members".into(), Value::Array(values));
        }
        let name = body
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string);
        let id = self.target_post("Groups", group, body, name).await?;
        self.target_group_refs.insert(group.to_string(), id);
        Ok(())
    }

    /// The step's attributes with the run prefix on the naming attributes, so the object is
    /// the run's own and cleanup can find it.
    fn prefixed(&self, attributes: &Value, keys: &[&str]) -> Map<String, Value> {
        let mut body = match attributes {
            Value::Object(o) => o.clone(),
            _ => Map::new(),
        };
        let prefix = &self.settings.prefix;
        for key in keys {
            if let Some(Value::String(s)) = body.get(*key) {
                let v = format!("{prefix}{s}");
                body.insert((*key).into(), Value::String(v));
            }
        }
        body
    }

    /// POSTs a target-only object, tracked as created from the moment it is sent; returns
    /// its server id.
    async fn target_post(
        &mut self,
        resource: &'static str,
        r: &str,
        body: Map<String, Value>,
        name: Option<String>,
    ) -> Result<String, Stop> {
        let path = format!("/{resource}");
        let req = ScimRequest::with_body(Verb::Post, &path, Value::Object(body));
        let pending = self.engine.created().sending(resource, name.as_deref());
        let resp = self.client.send(&req).await;
        let exchange = self.client.take_exchanges().pop();
        match resp {
            Ok(r2) if r2.status == 201 => {
                match server_id(r2.body.as_deref().unwrap_or(&Value::Null)) {
                    Ok(id) => {
                        self.engine.created().resolve(pending, id);
                        Ok(id.to_string())
                    }
                    Err(bad) => {
                        let mut f = self.failure(format!(
                            "creating `{r}` directly on the target: POST {path} answered 201 but {bad}; the object cannot be addressed"
                        ));
                        f.exchange = exchange;
                        Err(Stop::Failed(f))
                    }
                }
            }
            Ok(r2) => {
                let mut f = self.failure(format!(
                    "creating `{r}` directly on the target answered HTTP {}",
                    r2.status
                ));
                f.exchange = exchange;
                Err(Stop::Failed(f))
            }
            Err(e) => Err(Stop::Target(self.failure(e.to_string()))),
        }
    }
}
