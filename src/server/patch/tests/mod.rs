//! Fixtures shared by the PATCH tests: a user, a group, and apply/refuse helpers.

use super::*;
use crate::scim::schema::{GROUP, USER};
use crate::scim::urn;
use serde_json::json;

const ENT: &str = urn::ENTERPRISE_USER;

fn meta() -> Value {
    json!({"resourceType": "User", "created": "2024-01-01T00:00:00Z",
               "lastModified": "2024-01-01T00:00:00Z", "version": "W/\"1\""})
}

/// A stored user: canonical, with the store-owned keys.
fn alice() -> Value {
    json!({
        "schemas": [urn::USER, ENT],
        "id": "u1",
        "meta": meta(),
        "userName": "alice@contoso.com",
        "active": true,
        "displayName": "Alice",
        "name": {"givenName": "Alice", "familyName": "Adams"},
        "emails": [{"value": "alice@contoso.com", "type": "work", "primary": true}],
        ENT: {"employeeNumber": "1", "manager": {"value": "m1"}}
    })
}

fn sales() -> Value {
    json!({
        "schemas": [urn::GROUP],
        "id": "g1",
        "meta": meta(),
        "displayName": "Sales",
        "members": [{"value": "u1"}, {"value": "u2", "type": "User"}]
    })
}

/// Applies `ops` with the PatchOp envelope and returns the result.
fn patched(mut resource: Value, ops: Value, rt: &'static ResourceTypeDef) -> Value {
    let body = json!({"schemas": [urn::PATCH_OP], "Operations": ops});
    apply_patch(&mut resource, &body, rt).unwrap_or_else(|e| panic!("{e}"));
    resource
}

/// Applies `body` expecting an error, and checks the resource was left untouched.
fn refused(resource: Value, body: Value, rt: &'static ResourceTypeDef) -> PatchError {
    let mut copy = resource.clone();
    let err = apply_patch(&mut copy, &body, rt).expect_err("refused");
    assert_eq!(copy, resource, "resource changed by a failed PATCH");
    err
}

fn refused_ops(resource: Value, ops: Value, rt: &'static ResourceTypeDef) -> PatchError {
    refused(resource, json!({"Operations": ops}), rt)
}

/// `alice()` with `edit` applied, for stating expected results as differences.
fn alice_with(edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut user = alice();
    if let Value::Object(map) = &mut user {
        edit(map);
    }
    user
}

mod dialects;
mod rfc;
