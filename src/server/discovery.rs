//! Discovery endpoints (RFC 7644 §4, RFC 7643 §5–7), generated from the same schema tables the
//! server validates with, so what `/Schemas` says is what the server does. Capability flags
//! must stay truthful: a flag set here is a promise the tests check.

use serde_json::{json, Value};

use super::listing::MAX_RESULTS;
use crate::scim::schema::{
    AttributeDef, ResourceTypeDef, SchemaDef, ALL_RESOURCE_TYPES, ALL_SCHEMAS,
};
use crate::scim::urn;

/// The largest request body accepted; larger bodies get 413.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

pub fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [urn::SERVICE_PROVIDER_CONFIG],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token in the Authorization header",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig")
        }
    })
}

fn attribute_json(a: &AttributeDef) -> Value {
    let mut v = json!({
        "name": a.name,
        "type": a.kind.as_str(),
        "multiValued": a.multi_valued,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": a.mutability.as_str(),
        "returned": a.returned.as_str(),
        "uniqueness": a.uniqueness.as_str(),
    });
    if let Some(obj) = v.as_object_mut() {
        if !a.sub_attributes.is_empty() {
            obj.insert(
                "subAttributes".into(),
                Value::Array(a.sub_attributes.iter().map(attribute_json).collect()),
            );
        }
        if !a.canonical_values.is_empty() {
            obj.insert("canonicalValues".into(), json!(a.canonical_values));
        }
        if !a.reference_types.is_empty() {
            obj.insert("referenceTypes".into(), json!(a.reference_types));
        }
    }
    v
}

pub fn schema_json(s: &SchemaDef, base_url: &str) -> Value {
    json!({
        "schemas": [urn::SCHEMA],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": s.attributes.iter().map(attribute_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base_url}/Schemas/{}", s.id)}
    })
}

pub fn resource_type_json(rt: &ResourceTypeDef, base_url: &str) -> Value {
    json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "schemaExtensions": rt.extensions.iter()
            .map(|e| json!({"schema": e.id, "required": false}))
            .collect::<Vec<_>>(),
        "meta": {"resourceType": "ResourceType", "location": format!("{base_url}/ResourceTypes/{}", rt.name)}
    })
}

pub fn find_schema(id: &str) -> Option<&'static SchemaDef> {
    ALL_SCHEMAS
        .iter()
        .copied()
        .find(|s| s.id.eq_ignore_ascii_case(id))
}

pub fn find_resource_type(name: &str) -> Option<&'static ResourceTypeDef> {
    ALL_RESOURCE_TYPES
        .iter()
        .copied()
        .find(|rt| rt.name.eq_ignore_ascii_case(name))
}

pub fn all_schemas(base_url: &str) -> Vec<Value> {
    ALL_SCHEMAS
        .iter()
        .map(|s| schema_json(s, base_url))
        .collect()
}

pub fn all_resource_types(base_url: &str) -> Vec<Value> {
    ALL_RESOURCE_TYPES
        .iter()
        .map(|rt| resource_type_json(rt, base_url))
        .collect()
}
