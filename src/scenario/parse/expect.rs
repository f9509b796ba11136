//! The check steps: `snapshot` names and the forms of `expect` (an object, the provisioning
//! log, request counts, the job state), each refusing keys that belong to another form.

use std::collections::BTreeMap;

use super::Parser;
use crate::scenario::error::ErrorKind;
use crate::scenario::model::{
    Expectation, JobExpectation, LogExpectation, ObjectExpectation, RequestExpectation, Status,
    UsersExpectation,
};
use crate::scenario::node::{as_str, At, Entry, Map, Reader};
use crate::scenario::refs::{Accept, Usage};

const STATUSES: &[(&str, Status)] = &[
    ("success", Status::Success),
    ("warning", Status::Warning),
    ("failure", Status::Failure),
    ("skipped", Status::Skipped),
];
const ACTIONS: &[(&str, &str)] = &[
    ("create", "create"),
    ("update", "update"),
    ("delete", "delete"),
    ("disable", "disable"),
    ("stagedDelete", "stagedDelete"),
    ("other", "other"),
];

const EXPECT_FORMS: &[&str] = &["user", "users", "group", "log", "requests", "job"];
const OBJECT_CHECKS: &[&str] = &[
    "present",
    "active",
    "attributes",
    "members",
    "count",
    "every",
];
const LOG_KEYS: &[&str] = &["object", "action", "status", "skip_reason", "error_code"];
const REQUEST_KEYS: &[&str] = &["total", "GET", "POST", "PUT", "PATCH", "DELETE"];
const JOB_KEYS: &[&str] = &["quarantined", "reason"];

/// What an object form checks besides which object.
struct StateChecks {
    present: Option<bool>,
    active: Option<bool>,
    attributes: BTreeMap<String, serde_json::Value>,
    members: Option<Vec<crate::scenario::model::Ref>>,
    count: Option<u64>,
}

impl Parser<'_> {
    pub(super) fn snapshot(&mut self, e: &Entry) -> Option<String> {
        // Snapshot names become file names, hence the narrow alphabet.
        let valid = |s: &str| {
            let mut chars = s.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && chars
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        let name = match as_str(e.value) {
            Some(s) if valid(s) => s.to_string(),
            _ => {
                self.r.invalid(
                    e.value,
                    &e.path,
                    "a snapshot name matching [a-z0-9][a-z0-9_-]*",
                );
                return None;
            }
        };
        let line = At::of(e.value).line();
        if let Some(first) = self.snapshots.get(&name) {
            let message = format!("snapshot `{name}` is already taken (at line {first})");
            self.r
                .report(At::of(e.value), ErrorKind::Duplicate, &e.path, message);
            return None;
        }
        self.snapshots.insert(name.clone(), line);
        Some(name)
    }

    // --- expect ------------------------------------------------------------------------

    pub(super) fn expect(&mut self, e: &Entry) -> Option<Expectation> {
        let map = self.step_map(
            e,
            "a map with one of `user`, `users`, `group`, `log`, `requests` or `job`",
        )?;
        let allowed: Vec<&str> = EXPECT_FORMS.iter().chain(OBJECT_CHECKS).copied().collect();
        self.r.check_keys(&map, &allowed);
        let forms: Vec<&Entry> = EXPECT_FORMS.iter().filter_map(|f| map.get(f)).collect();
        let form = match forms.as_slice() {
            [one] => *one,
            [] => {
                let message = "`expect` needs exactly one of `user`, `users`, `group`, `log`, \
                               `requests` or `job`; found none"
                    .to_string();
                self.r.report(
                    At::of(e.key_node),
                    ErrorKind::InvalidShape,
                    &e.path,
                    message,
                );
                return None;
            }
            [_, second, ..] => {
                let names: Vec<String> = forms.iter().map(|f| format!("`{}`", f.key)).collect();
                let message = format!(
                    "`expect` takes exactly one of `user`, `users`, `group`, `log`, `requests` or `job`; \
                     found {}",
                    names.join(" and ")
                );
                self.r.report(
                    At::of(second.key_node),
                    ErrorKind::InvalidShape,
                    &e.path,
                    message,
                );
                return None;
            }
        };
        match form.key {
            "log" => {
                self.checks_not_allowed(&map, OBJECT_CHECKS, "log");
                self.expect_log(form).map(Expectation::Log)
            }
            "requests" => {
                self.checks_not_allowed(&map, OBJECT_CHECKS, "requests");
                self.expect_requests(form).map(Expectation::Requests)
            }
            "job" => {
                self.checks_not_allowed(&map, OBJECT_CHECKS, "job");
                self.expect_job(form).map(Expectation::Job)
            }
            "users" => self.expect_users(&map, form).map(Expectation::Users),
            _ => self.expect_object(&map, form).map(Expectation::Object),
        }
    }

    /// Reports keys of `map` in `keys` that make no sense with the `form` of expectation.
    pub(super) fn checks_not_allowed(&mut self, map: &Map, keys: &[&str], form: &str) {
        for e in map.entries.iter().filter(|e| keys.contains(&e.key)) {
            let owner = match e.key {
                "members" => "`group:`",
                "count" => "`user:` and `users:`",
                "every" => "`users:`",
                _ => "`user:` and `group:`",
            };
            let message = format!(
                "`{}` cannot be used with `{form}`: it belongs to {owner} expectations",
                e.key
            );
            self.r.report(
                At::of(e.key_node),
                ErrorKind::InvalidShape,
                &e.path,
                message,
            );
        }
    }

    pub(super) fn expect_object(&mut self, map: &Map, form: &Entry) -> Option<ObjectExpectation> {
        let is_group = form.key == "group";
        let accept = if is_group {
            Accept::ExpectedGroup
        } else {
            Accept::ExpectedUser
        };
        let object = self.use_ref(form.value, &form.path, accept, Usage::Check);
        let misplaced = if is_group { "count" } else { "members" };
        self.checks_not_allowed(map, &[misplaced, "every"], form.key);
        let state = self.state_checks(map, is_group)?;
        Some(ObjectExpectation {
            object: object?,
            is_group,
            present: state.present,
            active: state.active,
            attributes: state.attributes,
            members: state.members,
            count: state.count,
        })
    }

    /// `expect: { users: "u1..u300", every: 3, count: 1, active: true }`: the checks of a
    /// `user:` expectation, for each user of the set.
    fn expect_users(&mut self, map: &Map, form: &Entry) -> Option<UsersExpectation> {
        self.checks_not_allowed(map, &["members"], form.key);
        let users = self.selection(map, Accept::ExpectedUser, Usage::Check);
        let state = self.state_checks(map, false)?;
        Some(UsersExpectation {
            users: users?,
            present: state.present,
            active: state.active,
            attributes: state.attributes,
            count: state.count,
        })
    }

    /// The state checks shared by the object forms; `members` only for a group, `count`
    /// only for users.
    fn state_checks(&mut self, map: &Map, is_group: bool) -> Option<StateChecks> {
        let mut ok = true;
        let present = self.r.optional(map, "present", Reader::boolean);
        let active = self.r.optional(map, "active", Reader::boolean);
        let mut attributes = BTreeMap::new();
        if let Some(a) = map.get("attributes") {
            let expected = "a map of SCIM attribute paths to values";
            match self.r.map(a.value, At::of(a.key_node), &a.path, expected) {
                Some(attrs) => {
                    for x in &attrs.entries {
                        match self.r.json(x.value, &x.path) {
                            Some(v) => {
                                attributes.insert(x.key.to_string(), v);
                            }
                            None => ok = false,
                        }
                    }
                }
                None => ok = false,
            }
        }
        let members = match map.get("members").filter(|_| is_group) {
            // `members: { users: "u1..u250" }`: a generated set, as in `create_group`.
            Some(m) if matches!(m.value.data, saphyr::YamlData::Mapping(_)) => {
                let refs = self.selection_entry_as(m, Accept::ExpectedMember, Usage::Check);
                ok &= refs.is_some();
                refs
            }
            Some(m) => {
                let refs = self.member_refs(m, Accept::ExpectedMember, Usage::Check);
                ok &= refs.is_some();
                refs
            }
            None => None,
        };
        let count = match map.get("count").filter(|_| !is_group) {
            Some(c) => {
                let n = self.r.count(c.value, &c.path);
                ok &= n.is_some();
                n
            }
            None => None,
        };
        let (Some(present), Some(active)) = (present, active) else {
            return None;
        };
        // An absent object has no state to check; `count` stays allowed (`count: 0`).
        if present == Some(false) {
            for key in ["active", "attributes", "members"] {
                if let Some(x) = map.get(key) {
                    let message = format!(
                        "`{key}` cannot be checked on an object expected absent (`present: false`)"
                    );
                    self.r.report(
                        At::of(x.key_node),
                        ErrorKind::InvalidShape,
                        &x.path,
                        message,
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(StateChecks {
            present,
            active,
            attributes,
            members,
            count,
        })
    }

    pub(super) fn expect_log(&mut self, form: &Entry) -> Option<LogExpectation> {
        let map = self.r.map(
            form.value,
            At::of(form.key_node),
            &form.path,
            "a map with `object` and optional `action`, `status`, `skip_reason`, `error_code`",
        )?;
        self.r.check_keys(&map, LOG_KEYS);
        let object = self
            .r
            .required(&map, "object")
            .and_then(|o| self.use_ref(o.value, &o.path, Accept::UserOrGroup, Usage::Check));
        let action = self
            .r
            .optional(&map, "action", |r, n, p| r.word(n, p, ACTIONS));
        let status = self
            .r
            .optional(&map, "status", |r, n, p| r.word(n, p, STATUSES));
        let skip_reason = self.r.optional(&map, "skip_reason", Reader::string);
        let error_code = self.r.optional(&map, "error_code", Reader::string);
        Some(LogExpectation {
            object: object?,
            action: action?.map(str::to_string),
            status: status?,
            skip_reason: skip_reason?,
            error_code: error_code?,
        })
    }

    pub(super) fn expect_requests(&mut self, form: &Entry) -> Option<RequestExpectation> {
        let map = self.r.map(
            form.value,
            At::of(form.key_node),
            &form.path,
            "a map of `total` and HTTP methods to counts",
        )?;
        self.r.check_keys(&map, REQUEST_KEYS);
        let mut out = RequestExpectation::default();
        let mut ok = true;
        let mut any = false;
        for x in &map.entries {
            if !REQUEST_KEYS.contains(&x.key) {
                ok = false;
                continue;
            }
            any = true;
            match (self.r.count(x.value, &x.path), x.key) {
                (Some(n), "total") => out.total = Some(n),
                (Some(n), method) => {
                    out.by_method.insert(method.to_string(), n);
                }
                (None, _) => ok = false,
            }
        }
        if !any && ok {
            let message = format!(
                "`requests` needs at least one of: {}",
                REQUEST_KEYS.join(", ")
            );
            self.r.report(
                At::of(form.key_node),
                ErrorKind::InvalidShape,
                &form.path,
                message,
            );
            return None;
        }
        ok.then_some(out)
    }

    pub(super) fn expect_job(&mut self, form: &Entry) -> Option<JobExpectation> {
        let map = self.r.map(
            form.value,
            At::of(form.key_node),
            &form.path,
            "a map with `quarantined` and/or `reason`",
        )?;
        self.r.check_keys(&map, JOB_KEYS);
        if map.entries.is_empty() {
            let message = format!("`job` needs at least one of: {}", JOB_KEYS.join(", "));
            self.r.report(
                At::of(form.key_node),
                ErrorKind::InvalidShape,
                &form.path,
                message,
            );
            return None;
        }
        let quarantined = self.r.optional(&map, "quarantined", Reader::boolean);
        let reason = self.r.optional(&map, "reason", Reader::string);
        Some(JobExpectation {
            quarantined: quarantined?,
            reason: reason?,
        })
    }
}
