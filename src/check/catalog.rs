//! The catalog of finding codes: each stable code with its one-line meaning, the rule it is
//! judged by, and the long explanation `scim-harness explain CODE` prints (as `rustc
//! --explain` does). A code never changes meaning once released; new kinds get new codes.

use serde::{Serialize, Serializer};

/// A kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Rejected,
    Transient,
    CreateStatus,
    UpdateBody,
    Delete404,
    ContentType,
    NotJson,
    ListShape,
    BadId,
    DroppedAttribute,
    FilterIgnored,
    Paging,
    Redirect,
    TooLarge,
    Unreachable,
    Credentials,
    State,
    Requests,
    Snapshot,
    Log,
    Quarantine,
    CutShort,
    Uniqueness,
    Auth,
    Discovery,
    NotDeleted,
    ErrorBody,
}

/// One catalog entry.
pub struct Entry {
    pub code: Code,
    pub name: &'static str,
    pub summary: &'static str,
    pub reference: &'static str,
    pub explanation: &'static str,
}

impl Code {
    fn entry(self) -> &'static Entry {
        // Every code has exactly one entry; `catalog_covers_every_code` proves it.
        CATALOG
            .iter()
            .find(|e| e.code == self)
            .unwrap_or(&CATALOG[0])
    }

    /// The stable code: `F-REJECTED`.
    pub fn as_str(self) -> &'static str {
        self.entry().name
    }

    pub fn summary(self) -> &'static str {
        self.entry().summary
    }

    pub fn reference(self) -> &'static str {
        self.entry().reference
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The long explanation of a code given as text (`F-REJECTED`, `f-rejected`, `REJECTED`).
pub fn explain(text: &str) -> Option<&'static Entry> {
    let wanted = text.trim().to_ascii_uppercase();
    let wanted = wanted.strip_prefix("F-").unwrap_or(&wanted).to_string();
    CATALOG
        .iter()
        .find(|e| e.name.strip_prefix("F-").unwrap_or(e.name) == wanted)
}

pub const CATALOG: &[Entry] = &[
    Entry {
        code: Code::Rejected,
        name: "F-REJECTED",
        summary: "the server rejected a request the IdP sends",
        reference: "RFC 7644 §3.12; docs/idp-behavior.md per IdP",
        explanation: "The server answered a 4xx status to a request shaped exactly as the IdP \
sends it (a PATCH with Entra's string booleans, a filtered `members[value eq …]` removal, Okta's \
path-less PATCH…). The IdP cannot change what it sends: Entra logs the failure for the object and \
retries it every cycle with back-off, and quarantines the job when too many events fail; Okta \
raises an admin task and does not retry; PingFederate and PingOne log the failure and retry on the \
next cycle or event. Fix the server to accept the request shape shown in the finding; the \
server's own `detail` and `scimType` are quoted there. Everything that failed afterwards because \
this object never reached the wanted state points at this finding.",
    },
    Entry {
        code: Code::Transient,
        name: "F-TRANSIENT",
        summary: "a transient fault (5xx, 429, timeout or reset)",
        reference: "RFC 7644 §3.12; RFC 6585 §4 (429, Retry-After)",
        explanation:
            "The server answered 5xx or 429, or the connection timed out or was reset. IdPs \
ride these out: Entra escrows the object and retries it in later cycles with back-off (honouring \
Retry-After), Okta raises an admin task for the user and does not retry by itself. When the retry \
succeeded the run passes with this finding as a warning; when it never did, the finding is the \
root cause of what failed. A server that needs retries under normal load slows every initial \
cycle; answer 429 with Retry-After when you are throttling.",
    },
    Entry {
        code: Code::CreateStatus,
        name: "F-CREATE-STATUS",
        summary: "a create was not answered 201 Created",
        reference: "RFC 7644 §3.3; docs/idp-behavior.md E-19, O-11",
        explanation: "RFC 7644 §3.3 requires `201 Created` with the created resource in the body. \
Entra and Okta document 201 as the expected answer; an IdP that takes another 2xx as success may \
still record the object as not created. Answer POST /Users and POST /Groups with 201, a \
`Location` header and the full resource including its `id`.",
    },
    Entry {
        code: Code::UpdateBody,
        name: "F-UPDATE-BODY",
        summary: "an update was answered without the resource where the IdP reads it",
        reference: "RFC 7644 §3.5.1; docs/idp-behavior.md O-13",
        explanation: "Okta reads the user returned by its PUT to update its app-user profile; a \
204 or an empty 200 leaves Okta without it. RFC 7644 §3.5.1 says a PUT answers 200 with the \
resource. PATCH may answer 204 (RFC 7644 §3.5.2) for every IdP the harness imitates.",
    },
    Entry {
        code: Code::Delete404,
        name: "F-DELETE-404",
        summary: "a DELETE of an object the IdP created was answered 404",
        reference: "RFC 7644 §3.6",
        explanation: "The IdP deletes only objects it created and linked. A 404 means the object \
vanished or the id the server gave does not address it: the IdP counts it as deleted, but the \
server's ids are not stable. Check that the id returned on create is the one GET, PATCH and \
DELETE accept.",
    },
    Entry {
        code: Code::ContentType,
        name: "F-CONTENT-TYPE",
        summary: "an answer's Content-Type is not application/scim+json",
        reference: "RFC 7644 §3.1, §8.1; docs/idp-behavior.md E-72",
        explanation: "SCIM messages are `application/scim+json` (RFC 7644 §8.1); Entra documents \
it as expected on every response. Frameworks that answer `text/html` or `application/json` by \
default are the usual cause. Set the header on every answer, errors included.",
    },
    Entry {
        code: Code::NotJson,
        name: "F-NOT-JSON",
        summary: "an answer the IdP reads is not JSON",
        reference: "RFC 7644 §3.1",
        explanation:
            "The IdP reads this answer (a ListResponse, a created or updated resource) and \
it did not parse as JSON: an HTML error page, an empty body where a resource is needed, or \
truncated JSON. A non-JSON answer to a matching query counts as a failed lookup, never as \
\"no such user\".",
    },
    Entry {
        code: Code::ListShape,
        name: "F-LIST-SHAPE",
        summary: "a query answer is not a well-formed ListResponse",
        reference: "RFC 7644 §3.4.2; docs/idp-behavior.md O-2, E-72",
        explanation: "A query answers with the ListResponse schema, integer `totalResults`, \
`itemsPerPage` and `startIndex`, and `Resources` as an array (RFC 7644 §3.4.2). Okta's Test \
Connection and imports check exactly these and fail on a missing or non-integer field; Entra's \
matching reads `Resources` and `totalResults`.",
    },
    Entry {
        code: Code::BadId,
        name: "F-BAD-ID",
        summary: "a resource came back without a usable string id",
        reference: "RFC 7643 §3.1",
        explanation: "`id` is a non-empty string assigned by the service provider (RFC 7643 §3.1) \
and present on every resource returned. A number, null or missing id cannot be addressed: the \
IdP cannot update or delete the object, and the harness never sends a request to the collection \
URL in its place.",
    },
    Entry {
        code: Code::DroppedAttribute,
        name: "F-DROPPED-ATTR",
        summary: "the server dropped an attribute the IdP wrote",
        reference: "RFC 7644 §3.3, §3.5.1; RFC 7643 §4.1",
        explanation: "The answer to a create or replace lacks an attribute the request carried \
(for example `emails[].type`). IdPs that diff against the target (Entra) then send the same \
change every cycle, and a PATCH on a filtered path such as `emails[type eq \"work\"].value` \
fails; IdPs that keep their own record (Okta, Ping) silently lose the value. Store and return \
every attribute of the schema you publish, or remove it from `/Schemas`.",
    },
    Entry {
        code: Code::FilterIgnored,
        name: "F-FILTER-IGNORED",
        summary: "a filter answer held resources that do not match the filter",
        reference: "RFC 7644 §3.4.2.2",
        explanation: "The IdP looked for one object by `userName eq …` (or its matching \
attribute) and the answer held objects that do not carry that value: the server ignored or \
misread the filter. A real IdP would link and overwrite an unrelated account; the harness never \
adopts or writes to such a resource.",
    },
    Entry {
        code: Code::Paging,
        name: "F-PAGING",
        summary: "a listing did not page as asked",
        reference: "RFC 7644 §3.4.2.4; docs/idp-behavior.md O-33",
        explanation: "Listings page with 1-based `startIndex` and `count`; `totalResults` counts \
every match, not the page. A page that repeats ids already read, answers another startIndex than \
asked, or never reaches totalResults makes Okta's imports miss or duplicate users.",
    },
    Entry {
        code: Code::Redirect,
        name: "F-REDIRECT",
        summary: "the server answered with a redirect",
        reference: "RFC 7644 §3.1",
        explanation: "IdPs do not follow redirects: the request fails. Configure the tenant URL \
the redirect points to (often http→https or a missing trailing path), and never redirect SCIM \
endpoints. The harness does not follow them either, so the token never reaches another host.",
    },
    Entry {
        code: Code::TooLarge,
        name: "F-TOO-LARGE",
        summary: "an answer exceeded the body size limit",
        reference: "RFC 7644 §3.4.2.4 (paging keeps answers small)",
        explanation: "The server sent more bytes than `--max-body-bytes` allows (4 MiB by \
default). Page large listings and answer single resources without unbounded attributes.",
    },
    Entry {
        code: Code::Unreachable,
        name: "F-UNREACHABLE",
        summary: "the target could not be reached, or stopped answering",
        reference: "RFC 7644 §3.1",
        explanation: "The connection failed, timed out or was reset. Before the first successful \
cycle this is the target's set-up (exit 3): the URL, TLS, a firewall. After it, the target \
stopped answering mid-run, which is a finding against it (exit 1).",
    },
    Entry {
        code: Code::Credentials,
        name: "F-CREDENTIALS",
        summary: "the target refused the token, or the token endpoint issued none",
        reference: "RFC 7644 §2; docs/idp-behavior.md E-8",
        explanation: "The connection probe was answered 401 or 403. Entra quarantines the job \
(EncounteredQuarantineException); Okta's Test Connection fails. Check the token and the \
Authorization scheme (`Bearer`). With OAuth client credentials (PingFederate, PF-2) the token \
endpoint may refuse first: the finding names its status and OAuth error (RFC 6749 §5.2), and \
no request reaches the target; check the client id, the secret and the scope.",
    },
    Entry {
        code: Code::State,
        name: "F-STATE",
        summary: "the directory read back differs from what the IdP wrote",
        reference: "RFC 7644 §3.4.1",
        explanation: "After the IdP's writes were answered with success, reading the object back \
showed another state (an attribute missing or different, a user still active, a duplicate). \
When an earlier exchange explains it, the failure points at that finding instead.",
    },
    Entry {
        code: Code::Requests,
        name: "F-REQUESTS",
        summary: "the IdP had to send other requests than expected",
        reference: "docs/idp-behavior.md per IdP",
        explanation: "The cycle sent a different number of requests than the IdP sends against \
a correct server — for example an extra PATCH every cycle because the server does not keep a \
value. When an earlier exchange explains it, the failure points at that finding instead.",
    },
    Entry {
        code: Code::Snapshot,
        name: "F-SNAPSHOT",
        summary: "the directory differs from its reviewed snapshot",
        reference: "snapshots/ (reviewed directory states)",
        explanation: "The run's objects, read back and redacted, differ from the accepted \
snapshot. Review the diff: accept it (`--accept`) if the new state is right.",
    },
    Entry {
        code: Code::Log,
        name: "F-LOG",
        summary: "the provisioning log lacks an expected record",
        reference: "docs/idp-behavior.md (provisioning logs)",
        explanation: "The IdP's provisioning log for the object does not hold the action and \
status the scenario expects (for example an update that failed). When an earlier exchange \
explains it, the failure points at that finding instead.",
    },
    Entry {
        code: Code::Quarantine,
        name: "F-QUARANTINE",
        summary: "the job's quarantine state is not what the IdP would reach",
        reference: "docs/idp-behavior.md (Entra quarantine)",
        explanation: "Entra quarantines a provisioning job on a failed probe, on too many \
failures, or on too many deletes. The scenario expected another state.",
    },
    Entry {
        code: Code::CutShort,
        name: "F-CUT-SHORT",
        summary: "the scenario was cut short (timeout, signal, deadline)",
        reference: "scim-harness --scenario-timeout, --deadline",
        explanation: "The scenario did not finish within `--scenario-timeout`, or a signal or \
`--deadline` stopped the run. Its objects were cleaned up; the last exchanges are named.",
    },
    Entry {
        code: Code::Uniqueness,
        name: "F-UNIQUENESS",
        summary: "a second create of an existing userName was not answered 409 uniqueness",
        reference: "RFC 7643 §4.1.1; RFC 7644 §3.3, §3.12; docs/idp-behavior.md E-20, O-12",
        explanation: "`userName` is unique and case-insensitive (RFC 7643 §4.1.1): a create \
of a userName that exists in any case must be answered `409 Conflict` with `scimType` \
`uniqueness` (RFC 7644 §3.3). A server that answers 201 holds two accounts for one person: \
Entra's next match finds both (`DuplicateTargetEntries`, E-11) and stops managing the user; \
Okta links one and the other drifts. Entra logs a 409 as `EntryConflict` and escrows the user \
(E-20); Okta raises an admin task (O-12).",
    },
    Entry {
        code: Code::Auth,
        name: "F-AUTH",
        summary: "a request without a valid token was not refused with 401",
        reference: "RFC 7644 §2, §3.12; RFC 6750 §3; docs/idp-behavior.md E-8, O-2",
        explanation: "Every SCIM endpoint requires authentication (RFC 7644 §2). A request with \
no token or a wrong one is answered `401 Unauthorized` with a `WWW-Authenticate` challenge \
(RFC 6750 §3) and a SCIM Error body. A server that answers 200 to anyone exposes the whole \
directory; one that answers 404 or 500 makes Entra's connection test report the wrong cause \
(E-8) and Okta's Test Connection fail without naming the credentials.",
    },
    Entry {
        code: Code::Discovery,
        name: "F-DISCOVERY",
        summary: "a discovery endpoint is missing or malformed",
        reference: "RFC 7644 §4; RFC 7643 §5, §6, §7; docs/idp-behavior.md E-4, CA-2",
        explanation: "`/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` describe what the \
server supports (RFC 7644 §4); gallery apps in Entra read `/Schemas` (E-4) and several IdPs \
require them to pass validation (CA-2). Flags there are promises: `etag.supported: true` means \
answers carry an `ETag`; `patch.supported: false` means PATCH is not sent. The harness reads \
them to decide which protocol checks apply.",
    },
    Entry {
        code: Code::NotDeleted,
        name: "F-NOT-DELETED",
        summary: "a deleted resource was still there",
        reference: "RFC 7644 §3.6; docs/idp-behavior.md E-40, E-55, PF-9, P1-9",
        explanation: "After a successful DELETE, every later request for the resource is \
answered `404 Not Found` (RFC 7644 §3.6), and a deleted user is no member of any group. A \
server that keeps answering 200 keeps an account the IdP removed: access stays granted, and a \
re-created user with the same userName collides with the ghost.",
    },
    Entry {
        code: Code::ErrorBody,
        name: "F-ERROR-BODY",
        summary: "an error answer is not a SCIM Error",
        reference: "RFC 7644 §3.12; docs/idp-behavior.md E-69, O-37",
        explanation: "Every 4xx and 5xx answer carries the SCIM Error schema \
(`urn:ietf:params:scim:api:messages:2.0:Error`), `status` as a string, a `detail`, and \
`scimType` where RFC 7644 §3.12 defines one (`uniqueness`, `invalidFilter`, `invalidValue`…). \
IdPs show `detail` to the admin in the provisioning log (Entra, E-69) or the admin task (Okta, \
O-37); an HTML page or an empty body leaves the admin with a bare status code.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Code; 27] = [
        Code::Rejected,
        Code::Transient,
        Code::CreateStatus,
        Code::UpdateBody,
        Code::Delete404,
        Code::ContentType,
        Code::NotJson,
        Code::ListShape,
        Code::BadId,
        Code::DroppedAttribute,
        Code::FilterIgnored,
        Code::Paging,
        Code::Redirect,
        Code::TooLarge,
        Code::Unreachable,
        Code::Credentials,
        Code::State,
        Code::Requests,
        Code::Snapshot,
        Code::Log,
        Code::Quarantine,
        Code::CutShort,
        Code::Uniqueness,
        Code::Auth,
        Code::Discovery,
        Code::NotDeleted,
        Code::ErrorBody,
    ];

    #[test]
    fn catalog_covers_every_code_once_with_a_unique_name() {
        assert_eq!(CATALOG.len(), ALL.len());
        for code in ALL {
            assert_eq!(
                CATALOG.iter().filter(|e| e.code == code).count(),
                1,
                "{code:?}"
            );
        }
        let mut names: Vec<&str> = CATALOG.iter().map(|e| e.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len());
        assert!(CATALOG.iter().all(|e| e.name.starts_with("F-")));
    }

    #[test]
    fn explain_finds_a_code_in_any_spelling() {
        for text in ["F-REJECTED", "f-rejected", "rejected", " REJECTED "] {
            assert_eq!(
                explain(text).map(|e| e.code),
                Some(Code::Rejected),
                "{text}"
            );
        }
        assert_eq!(Code::DroppedAttribute.as_str(), "F-DROPPED-ATTR");
        assert!(explain("F-NOPE").is_none());
    }
}
