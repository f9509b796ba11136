//! SCIM 2.0 vocabulary shared by every stage: schema URNs, the attribute tables, and the
//! message shapes (ListResponse, Error) of RFC 7644.
//!
//! Nothing here knows about identity providers; the built-in server and the harness both
//! build on it.

pub mod id;
pub mod lookup;
pub mod matching;
pub mod paging;
pub mod request;
pub mod schema;

pub use id::{member_path, resource_path, server_id, BadId};
pub use matching::{Case, Lookup, MatchKey};
pub use paging::{Page, Pages, MAX_PAGES};
pub use request::{ScimRequest, Verb};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3).
pub mod urn {
    pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
    pub const SERVICE_PROVIDER_CONFIG: &str =
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
}

/// The media type of every SCIM message (RFC 7644 §3.1).
pub const CONTENT_TYPE: &str = "application/scim+json";

/// A SCIM query response (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    pub schemas: Vec<String>,
    pub total_results: u64,
    pub items_per_page: u64,
    pub start_index: u64,
    #[serde(rename = "Resources", default)]
    pub resources: Vec<Value>,
}

/// A SCIM error body (RFC 7644 §3.12). `status` is a string on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub schemas: Vec<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
