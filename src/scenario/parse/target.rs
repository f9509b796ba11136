//! Provisioning and target-side steps: `test_connection`, the bare-word steps, the target's
//! pre-existing objects and the built-in target's fault switch.

use saphyr::{Scalar, YamlData};

use super::Parser;
use crate::scenario::error::ErrorKind;
use crate::scenario::model::{FaultSpec, FaultTimes, Status, Step};
use crate::scenario::node::{as_str, is_null, At, Entry, Map, Node, Reader};
use crate::scenario::refs::{Accept, RefKind, Usage};

/// Written in any case in the file (`patch`), stored upper case.
const METHODS: &[(&str, &str)] = &[
    ("GET", "GET"),
    ("POST", "POST"),
    ("PUT", "PUT"),
    ("PATCH", "PATCH"),
    ("DELETE", "DELETE"),
];
const FAULT_TIMES: &[(&str, FaultTimes)] = &[
    ("always", FaultTimes::Always),
    ("once-per-object", FaultTimes::OncePerObject),
];
const FAULT_KEYS: &[&str] = &["method", "path", "status", "times", "retry_after", "user"];
/// Statuses whose Retry-After header a client may honour (RFC 9110 §10.2.3).
const RETRY_AFTER_STATUSES: &[u16] = &[429, 503];
/// `test_connection` either works or does not; warning and skipped have no meaning there.
const CONNECTION_STATUSES: &[(&str, Status)] =
    &[("success", Status::Success), ("failure", Status::Failure)];

impl Parser<'_> {
    // --- provisioning and the target ---------------------------------------------------

    pub(super) fn test_connection(&mut self, e: &Entry) -> Option<Step> {
        if is_null(e.value) {
            return Some(Step::TestConnection {
                expect_status: Status::Success,
            });
        }
        let map = self.step_map(e, "nothing, or a map with `expect: success|failure`")?;
        self.r.check_keys(&map, &["expect"]);
        let expect_status = match map.get("expect") {
            Some(x) => self.r.word(x.value, &x.path, CONNECTION_STATUSES)?,
            None => Status::Success,
        };
        Some(Step::TestConnection { expect_status })
    }

    /// A step of `NO_ARGUMENT_STEPS` written as a map. Even an empty value is refused: unlike
    /// `test_connection`, these steps have no options a colon could introduce.
    pub(super) fn no_arguments(&mut self, e: &Entry) -> Option<Step> {
        let at = if is_null(e.value) {
            At::of(e.key_node)
        } else {
            At::of(e.value)
        };
        let message = format!(
            "step `{}` takes no arguments; write it alone: `- {}`",
            e.key, e.key
        );
        self.r.report(at, ErrorKind::InvalidShape, &e.path, message);
        None
    }

    pub(super) fn target_create_user(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `user` and `attributes`")?;
        self.r.check_keys(&map, &["user", "attributes"]);
        let user = self
            .r
            .required(&map, "user")
            .and_then(|u| self.create_ref(u.value, &u.path, RefKind::TargetUser));
        let attributes = self.target_attributes(&map);
        Some(Step::TargetCreateUser {
            user: user?,
            attributes: attributes?,
        })
    }

    /// `target_create_group: { group: g, attributes: { displayName: Sales }, members: [legacy] }`:
    /// a group that pre-exists on the target, its members users made by `target_create_user`.
    pub(super) fn target_create_group(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `group`, `attributes` and optional `members`")?;
        self.r.check_keys(&map, &["group", "attributes", "members"]);
        let group = self
            .r
            .required(&map, "group")
            .and_then(|g| self.create_ref(g.value, &g.path, RefKind::TargetGroup));
        let attributes = self.target_attributes(&map);
        let members = match map.get("members") {
            Some(m) => self.member_refs(m, Accept::TargetUser, Usage::Act),
            None => Some(Vec::new()),
        };
        Some(Step::TargetCreateGroup {
            group: group?,
            attributes: attributes?,
            members: members?,
        })
    }

    /// The `attributes` of a `target_create_*` step: a map of SCIM attributes to POST.
    pub(super) fn target_attributes(&mut self, map: &Map) -> Option<serde_json::Value> {
        self.r.required(map, "attributes").and_then(|a| {
            if matches!(a.value.data, YamlData::Mapping(_)) {
                self.r.json(a.value, &a.path)
            } else {
                self.r
                    .invalid(a.value, &a.path, "a map of SCIM attributes to POST");
                None
            }
        })
    }

    pub(super) fn target_fault(&mut self, e: &Entry) -> Option<FaultSpec> {
        let map = self.step_map(
            e,
            "a map with `method`, `path`, `status` and optional `times`, `retry_after`, `user`",
        )?;
        self.r.check_keys(&map, FAULT_KEYS);
        let method = self
            .r
            .required(&map, "method")
            .and_then(|m| self.http_method(m.value, &m.path));
        let path = self
            .r
            .required(&map, "path")
            .and_then(|p| match as_str(p.value) {
                Some(s) if s.starts_with('/') => Some(s.to_string()),
                _ => {
                    self.r.invalid(
                        p.value,
                        &p.path,
                        "a request path starting with `/`, such as `/Users`",
                    );
                    None
                }
            });
        let status = self
            .r
            .required(&map, "status")
            .and_then(|s| match s.value.data {
                YamlData::Value(Scalar::Integer(n)) if (400..=599).contains(&n) => {
                    u16::try_from(n).ok()
                }
                _ => {
                    self.r
                        .invalid(s.value, &s.path, "an HTTP error status, from 400 to 599");
                    None
                }
            });
        let times = self
            .r
            .optional(&map, "times", |r, n, p| r.word(n, p, FAULT_TIMES));
        let retry_after = self.r.optional(&map, "retry_after", Reader::count);
        // A check, not an act: a fault may target a user already deleted in the source, to
        // make the DELETE the next cycle sends for it fail.
        let user = match map.get("user") {
            Some(u) => self
                .use_ref(u.value, &u.path, Accept::User, Usage::Check)
                .map(Some),
            None => Some(None),
        };
        if let (Some(status), Some(r)) = (status, map.get("retry_after")) {
            if !RETRY_AFTER_STATUSES.contains(&status) {
                let message = format!(
                    "`retry_after` applies only to status 429 or 503; this fault answers {status}"
                );
                self.r.report(
                    At::of(r.key_node),
                    ErrorKind::InvalidShape,
                    &r.path,
                    message,
                );
                return None;
            }
        }
        Some(FaultSpec {
            method: method?,
            path: path?,
            status: status?,
            times: times?.unwrap_or(FaultTimes::Always),
            retry_after: retry_after?,
            user: user?,
        })
    }

    /// An HTTP method in any case, upper-cased; a near miss gets a suggestion.
    pub(super) fn http_method(&mut self, node: &Node, field: &str) -> Option<String> {
        let upper = as_str(node).map(str::to_ascii_uppercase);
        if let Some((name, _)) = METHODS.iter().find(|(n, _)| Some(*n) == upper.as_deref()) {
            return Some(name.to_string());
        }
        self.r.word(node, field, METHODS).map(str::to_string)
    }
}
