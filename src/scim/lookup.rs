//! Reading a value out of a SCIM resource by attribute path, as a client sees it: `userName`,
//! `name.givenName`, `emails[type eq "work"].value`, URN-qualified extension attributes.
//! The harness uses it to diff and to check; it never writes, and it accepts only the
//! value-path form IdPs map to (one `eq` comparison), not the whole filter language.

use serde_json::Value;

use super::schema::ResourceTypeDef;

/// A parsed client-side attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPath<'a> {
    /// The extension URN holding the attribute, if any.
    pub extension: Option<&'static str>,
    pub attr: &'a str,
    /// `[type eq "work"]`: sub-attribute and value the element must have.
    pub select: Option<(&'a str, &'a str)>,
    pub sub: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported attribute path `{0}`")]
pub struct PathError(pub String);

/// Borrowed from the text it was parsed from: a profile parses its mapping's paths for every
/// user it builds, and owned parts cost four allocations a path (Entra's create was ~18,000
/// instructions a user under callgrind, three quarters of it here and in `set_path`).
impl<'a> ClientPath<'a> {
    pub fn parse(text: &'a str, rt: &ResourceTypeDef) -> Result<ClientPath<'a>, PathError> {
        let err = || PathError(text.to_string());
        let (extension, rest) = match rt.split_urn(text) {
            Some((schema, rest)) if !std::ptr::eq(schema, rt.schema) => (Some(schema.id), rest),
            Some((_, rest)) => (None, rest),
            None => (None, text),
        };
        let (head, sub) = match rest.find('[') {
            Some(open) => {
                let close = rest.rfind(']').ok_or_else(err)?;
                let inner = &rest[open + 1..close];
                let mut words = inner.splitn(3, ' ');
                let (Some(a), Some(op), Some(v)) = (words.next(), words.next(), words.next())
                else {
                    return Err(err());
                };
                if !op.eq_ignore_ascii_case("eq") {
                    return Err(err());
                }
                let value = v.trim().trim_matches('"');
                let after = rest[close + 1..].strip_prefix('.');
                let path = ClientPath {
                    extension,
                    attr: &rest[..open],
                    select: Some((a, value)),
                    sub: after,
                };
                return Ok(path);
            }
            None => match rest.split_once('.') {
                Some((a, s)) => (a, Some(s)),
                None => (rest, None),
            },
        };
        if head.is_empty() {
            return Err(err());
        }
        Ok(ClientPath {
            extension,
            attr: head,
            select: None,
            sub,
        })
    }

    /// The value at this path; attribute names compare case-insensitively.
    pub fn get<'v>(&self, resource: &'v Value) -> Option<&'v Value> {
        let holder = match self.extension {
            Some(urn) => get_ci(resource, urn)?,
            None => resource,
        };
        let value = get_ci(holder, self.attr)?;
        let value = match &self.select {
            Some((key, expected)) => value.as_array()?.iter().find(|el| {
                get_ci(el, key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(expected))
            })?,
            None => value,
        };
        match &self.sub {
            Some(sub) => get_ci(value, sub),
            None => Some(value),
        }
    }
}

/// Object member lookup ignoring ASCII case, as SCIM attribute names are case-insensitive.
pub fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = value.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::USER;
    use serde_json::json;

    fn get(path: &str, v: &Value) -> Option<Value> {
        ClientPath::parse(path, &USER)
            .expect("parses")
            .get(v)
            .cloned()
    }

    #[test]
    fn reads_every_mapped_path_form() {
        let user = json!({
            "userName": "a@x", "name": {"givenName": "A"},
            "emails": [{"type": "home", "value": "h@x"}, {"type": "work", "value": "w@x"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m1"}}
        });
        assert_eq!(get("userName", &user), Some(json!("a@x")));
        assert_eq!(get("name.givenName", &user), Some(json!("A")));
        assert_eq!(
            get("emails[type eq \"work\"].value", &user),
            Some(json!("w@x"))
        );
        assert_eq!(
            get(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                &user
            ),
            Some(json!("R&D"))
        );
        assert_eq!(
            get(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                &user
            ),
            Some(json!("m1"))
        );
        assert_eq!(get("title", &user), None);
        assert_eq!(get("emails[type eq \"other\"].value", &user), None);
    }

    #[test]
    fn rejects_filters_it_cannot_evaluate() {
        assert!(ClientPath::parse("emails[type co \"w\"].value", &USER).is_err());
        assert!(ClientPath::parse("emails[type eq \"w\"", &USER).is_err());
    }
}
