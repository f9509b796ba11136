//! Steps that act on the target side: the built-in server's fault switch, and objects made
//! directly through the SCIM API (`target_create_user`), tracked as the run's own.

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
            let desired = self
                .engine
                .profile
                .desired_user(user, &self.settings.prefix, true);
            mentions.extend(desired.user_name().map(str::to_string));
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
        let mut body = match attributes {
            Value::Object(o) => o.clone(),
            _ => Map::new(),
        };
        let prefix = &self.settings.prefix;
        for key in ["userName", "externalId", "displayName"] {
            if let Some(Value::String(s)) = body.get(key) {
                let v = format!("{prefix}{s}");
                body.insert(key.into(), Value::String(v));
            }
        }
        body.entry("schemas")
            .or_insert_with(|| serde_json::json!([crate::scim::urn::USER]));
        let name = body
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_string);
        let req = ScimRequest::with_body(Verb::Post, "/Users", Value::Object(body));
        let pending = self.engine.created().sending("Users", name.as_deref());
        let resp = self.client.send(&req).await;
        let exchange = self.client.take_exchanges().pop();
        match resp {
            Ok(r) if r.status == 201 => match server_id(r.body.as_ref().unwrap_or(&Value::Null)) {
                Ok(id) => {
                    self.engine.created().resolve(pending, id);
                    self.target_refs.insert(user.to_string(), id.to_string());
                    Ok(())
                }
                Err(bad) => {
                    let mut f = self.failure(format!(
                        "creating `{user}` directly on the target: POST /Users answered 201 but {bad}; the object cannot be addressed"
                    ));
                    f.exchange = exchange;
                    Err(Stop::Failed(f))
                }
            },
            Ok(r) => {
                let mut f = self.failure(format!(
                    "creating `{user}` directly on the target answered HTTP {}",
                    r.status
                ));
                f.exchange = exchange;
                Err(Stop::Failed(f))
            }
            Err(e) => Err(Stop::Target(self.failure(e.to_string()))),
        }
    }
}
