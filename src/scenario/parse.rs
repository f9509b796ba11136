//! Scenario YAML → `model::Scenario`: the file format, the form of each step, and ref checks
//! in step order. It reads only the text it is handed and reports every problem it can find
//! in one pass; it never sends anything and never guesses a fix.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use saphyr::{LoadableYamlNode, MarkedYaml, Marker, Scalar, YamlData};

use super::error::{ErrorKind, ScenarioError, ScenarioErrors};
use super::model::{
    AttrValue, Expectation, FaultSpec, FaultTimes, GroupSpec, JobExpectation, LogExpectation,
    ObjectExpectation, Ref, RequestExpectation, RestartKind, Scenario, ScopeMode, ScopingClause,
    ScopingOperator, Span, Spanned, Status, Step, SyncKind, UserAttr, UserSpec,
};
use super::node::{as_str, found, is_null, item, At, Entry, Map, Node, Reader};
use super::refs::{Accept, Problem, RefKind, Refs, Usage};
use super::suggest::did_you_mean;

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "symptom",
    "profiles",
    "options",
    "steps",
];

/// Profiles a scenario may name. The profile layer owns their behaviour; the parser only
/// refuses names that would silently match nothing.
pub const PROFILES: &[&str] = &[
    "entra",
    "okta",
    "pingfederate",
    "pingone",
    "cyberark",
    "onelogin",
];

/// Every step keyword, in the order the format documents them.
pub const STEP_KEYWORDS: &[&str] = &[
    "create_user",
    "update_user",
    "disable_user",
    "enable_user",
    "soft_delete_user",
    "restore_user",
    "hard_delete_user",
    "create_group",
    "rename_group",
    "add_member",
    "remove_member",
    "delete_group",
    "assign",
    "unassign",
    "set_scope",
    "set_scoping_filter",
    "sync",
    "restart",
    "provision_on_demand",
    "test_connection",
    "target_create_user",
    "target_create_group",
    "target_fault",
    "target_clear_faults",
    "target_rotate_token",
    "idp_update_token",
    "expect",
    "per_profile",
    "snapshot",
];

/// Steps written only as a bare word (`- target_rotate_token`): they take no arguments.
const NO_ARGUMENT_STEPS: &[&str] = &[
    "target_clear_faults",
    "target_rotate_token",
    "idp_update_token",
];

const SCOPES: &[(&str, ScopeMode)] = &[
    ("assigned-only", ScopeMode::AssignedOnly),
    ("all", ScopeMode::All),
];
const SYNCS: &[(&str, SyncKind)] = &[
    ("initial", SyncKind::Initial),
    ("incremental", SyncKind::Incremental),
    ("import", SyncKind::Import),
];
const RESTARTS: &[(&str, RestartKind)] = &[
    ("keep-links", RestartKind::KeepLinks),
    ("full", RestartKind::Full),
];
/// Entra's spelling of the scoping-filter operators, upper case with a space.
const OPERATORS: &[(&str, ScopingOperator)] = &[
    ("EQUALS", ScopingOperator::Equals),
    ("NOT EQUALS", ScopingOperator::NotEquals),
    ("IS TRUE", ScopingOperator::IsTrue),
    ("IS FALSE", ScopingOperator::IsFalse),
    ("IS NULL", ScopingOperator::IsNull),
    ("IS NOT NULL", ScopingOperator::IsNotNull),
    ("INCLUDES", ScopingOperator::Includes),
    ("NOT INCLUDES", ScopingOperator::NotIncludes),
];
const CLAUSE_KEYS: &[&str] = &["attribute", "operator", "value"];
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
const STATUSES: &[(&str, Status)] = &[
    ("success", Status::Success),
    ("warning", Status::Warning),
    ("failure", Status::Failure),
    ("skipped", Status::Skipped),
];
/// `test_connection` either works or does not; warning and skipped have no meaning there.
const CONNECTION_STATUSES: &[(&str, Status)] =
    &[("success", Status::Success), ("failure", Status::Failure)];
const ACTIONS: &[(&str, &str)] = &[
    ("create", "create"),
    ("update", "update"),
    ("delete", "delete"),
    ("disable", "disable"),
    ("stagedDelete", "stagedDelete"),
    ("other", "other"),
];

const EXPECT_FORMS: &[&str] = &["user", "group", "log", "requests", "job"];
const OBJECT_CHECKS: &[&str] = &["present", "active", "attributes", "members", "count"];
const LOG_KEYS: &[&str] = &["object", "action", "status", "skip_reason", "error_code"];
const REQUEST_KEYS: &[&str] = &["total", "GET", "POST", "PUT", "PATCH", "DELETE"];
const JOB_KEYS: &[&str] = &["quarantined", "reason"];

/// Parses and validates one scenario file's text. `file` is used only in messages and in
/// `Scenario::file`.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioErrors> {
    let mut p = Parser {
        r: Reader::new(file, text),
        refs: Refs::default(),
        unresolved: Vec::new(),
        snapshots: HashMap::new(),
    };
    let docs = match MarkedYaml::load_from_str(text) {
        Ok(docs) => docs,
        Err(e) => {
            let at = At {
                start: *e.marker(),
                end: *e.marker(),
            };
            let message = format!("invalid YAML: {}", e.info());
            return Err(p.r.error_at(at, ErrorKind::Syntax, "", message).into());
        }
    };
    let scenario = match docs.first() {
        Some(root) => {
            if let Some(second) = docs.get(1) {
                let message =
                    "a scenario file holds one YAML document; found a second one".to_string();
                p.r.report(At::start_of(second), ErrorKind::InvalidShape, "", message);
            }
            p.scenario(root, file)
        }
        None => {
            let start = Marker::new(0, 1, 0);
            let message = format!(
                "the file is empty; expected a scenario map with keys {}",
                TOP_KEYS.join(", ")
            );
            let at = At { start, end: start };
            p.r.report(at, ErrorKind::MissingKey, "", message);
            None
        }
    };
    let mut errors = p.finish();
    match scenario {
        Some(s) if errors.is_empty() => Ok(s),
        _ => {
            if errors.is_empty() {
                // Every path that yields no scenario reports why; this keeps a slip in that
                // rule from turning into an empty error list.
                errors.push(ScenarioError::file_level(
                    ErrorKind::InvalidShape,
                    file,
                    "could not read the scenario",
                ));
            }
            Err(ScenarioErrors(errors))
        }
    }
}

/// The step a bare word stands for, if the step may be written without a value.
fn bare_step(word: &str) -> Option<Step> {
    match word {
        "test_connection" => Some(Step::TestConnection {
            expect_status: Status::Success,
        }),
        "target_clear_faults" => Some(Step::TargetClearFaults),
        "target_rotate_token" => Some(Step::TargetRotateToken),
        "idp_update_token" => Some(Step::IdpUpdateToken),
        _ => None,
    }
}

struct Parser<'t> {
    r: Reader<'t>,
    refs: Refs,
    /// Uses of refs unknown at their step, with the error to report. Resolved at the end,
    /// once it is known whether a later step creates the ref (used too early) or none does.
    unresolved: Vec<(String, Accept, ScenarioError)>,
    /// Snapshot name → line of its first use.
    snapshots: HashMap<String, usize>,
}

fn span_of(node: &Node) -> Span {
    Span {
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
    }
}

impl Parser<'_> {
    fn finish(mut self) -> Vec<ScenarioError> {
        for (name, accept, mut err) in std::mem::take(&mut self.unresolved) {
            if let Some(line) = self.refs.first_created(&name) {
                err.kind = ErrorKind::RefUsedBeforeCreate;
                err.message =
                    format!("ref `{name}` is used before it is created (created at line {line})");
            } else {
                err.kind = ErrorKind::UnknownRef;
                err.message = format!("unknown ref `{name}`: expected {}", accept.expected());
                if let Some(s) = did_you_mean(&name, self.refs.names()) {
                    err.help = Some(format!("did you mean `{s}`?"));
                }
            }
            self.r.push(err);
        }
        let mut errors = self.r.errors;
        errors.sort_by_key(|e| e.span.map(|s| (s.line, s.column)));
        errors
    }

    // --- top level ---------------------------------------------------------------------

    fn scenario(&mut self, root: &Node, file: &Path) -> Option<Scenario> {
        if !matches!(root.data, YamlData::Mapping(_)) {
            let message = format!(
                "expected a scenario map with keys {}, found {}",
                TOP_KEYS.join(", "),
                found(root)
            );
            self.r
                .report(At::start_of(root), ErrorKind::InvalidShape, "", message);
            return None;
        }
        let map = self.r.map(root, At::start_of(root), "", "a map")?;
        self.r.check_keys(&map, TOP_KEYS);

        let name = self.scenario_name(&map);
        let description = self.required_string(&map, "description", true);
        let symptom = self.required_string(&map, "symptom", true);
        let profiles = map.get("profiles").map(|e| self.profiles(e));
        let options = map.get("options").map(|e| self.options(e));
        let steps = self.r.required(&map, "steps").and_then(|e| self.steps(e));
        Some(Scenario {
            file: file.to_path_buf(),
            name: name?,
            description: description?,
            symptom: symptom?,
            profiles: match profiles {
                Some(p) => Some(p?),
                None => None,
            },
            options: match options {
                Some(o) => o?,
                None => BTreeMap::new(),
            },
            steps: steps?,
        })
    }

    /// The scenario's `name`: it names snapshot files (`<name>__<snapshot>@<profile>.snap`),
    /// so it must be a plain file name — a `../` or a `/` would write outside `--snapshots`.
    fn scenario_name(&mut self, map: &Map) -> Option<String> {
        let e = self.r.required(map, "name")?;
        let s = self.r.string(e.value, &e.path)?;
        if is_safe_file_name(&s) {
            return Some(s);
        }
        self.r.invalid(
            e.value,
            &e.path,
            "a name made of letters, digits, `_`, `-` and `.`, not starting with `.` \
             (it names snapshot files)",
        );
        None
    }

    /// A required non-empty string. Folded (`>`) blocks end in a newline that is YAML
    /// syntax, not content, so prose fields are trimmed at the end.
    fn required_string(&mut self, map: &Map, key: &str, prose: bool) -> Option<String> {
        let e = self.r.required(map, key)?;
        let s = self.r.string(e.value, &e.path)?;
        Some(if prose { s.trim_end().to_string() } else { s })
    }

    fn profiles(&mut self, e: &Entry) -> Option<Vec<String>> {
        let items = self.r.list(e.value, &e.path)?;
        if items.is_empty() {
            self.r.invalid(
                e.value,
                &e.path,
                "at least one profile (omit `profiles` to mean every profile)",
            );
            return None;
        }
        let choices: Vec<(&str, &str)> = PROFILES.iter().map(|p| (*p, *p)).collect();
        let mut out: Vec<String> = Vec::new();
        let mut ok = true;
        for (i, node) in items.iter().enumerate() {
            let path = item(&e.path, i);
            match self.r.word(node, &path, &choices) {
                Some(p) if out.iter().any(|q| q == p) => {
                    let message = format!("profile `{p}` is listed twice");
                    self.r
                        .report(At::of(node), ErrorKind::Duplicate, &path, message);
                    ok = false;
                }
                Some(p) => out.push(p.to_string()),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn options(&mut self, e: &Entry) -> Option<BTreeMap<String, Spanned<String>>> {
        let map = self.r.map(
            e.value,
            At::of(e.key_node),
            &e.path,
            "a map of option names to values",
        )?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for o in &map.entries {
            match self.r.scalar_text(o.value, &o.path) {
                Some(value) => {
                    out.insert(
                        o.key.to_string(),
                        Spanned {
                            value,
                            span: span_of(o.value),
                        },
                    );
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn steps(&mut self, e: &Entry) -> Option<Vec<Spanned<Step>>> {
        let items = self.r.list(e.value, &e.path)?;
        if items.is_empty() {
            self.r
                .invalid(e.value, &e.path, "a non-empty list of steps");
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, node) in items.iter().enumerate() {
            match self.step(node, &item(&e.path, i)) {
                Some(step) => out.push(step),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    // --- one step ----------------------------------------------------------------------

    fn step(&mut self, node: &Node, path: &str) -> Option<Spanned<Step>> {
        if let Some(word) = as_str(node) {
            if let Some(step) = bare_step(word) {
                return Some(Spanned {
                    value: step,
                    span: span_of(node),
                });
            }
            if STEP_KEYWORDS.contains(&word) {
                let message = format!("step `{word}` needs a value: write `- {word}: …`");
                self.r
                    .report(At::of(node), ErrorKind::InvalidShape, path, message);
            } else {
                self.unknown_step(node, word, path);
            }
            return None;
        }
        if !matches!(node.data, YamlData::Mapping(_)) {
            self.r.invalid(
                node,
                path,
                "a step: a one-key map such as `- sync: initial`",
            );
            return None;
        }
        let map = self.r.map(node, At::start_of(node), path, "a step")?;
        let [entry] = map.entries.as_slice() else {
            self.not_one_key(node, &map, path);
            return None;
        };
        let step = match entry.key {
            "create_user" => self.create_user(entry),
            "update_user" => self.update_user(entry),
            "disable_user" => self.user_ref(entry).map(Step::DisableUser),
            "enable_user" => self.user_ref(entry).map(Step::EnableUser),
            "soft_delete_user" => self.user_ref(entry).map(Step::SoftDeleteUser),
            "restore_user" => self.user_ref(entry).map(Step::RestoreUser),
            "hard_delete_user" => self.user_ref(entry).map(|user| {
                self.refs.delete(&user, At::of(entry.value).line());
                Step::HardDeleteUser(user)
            }),
            "create_group" => self.create_group(entry),
            "rename_group" => self.rename_group(entry),
            "add_member" => self
                .membership(entry)
                .map(|(group, member)| Step::AddMember { group, member }),
            "remove_member" => self
                .membership(entry)
                .map(|(group, member)| Step::RemoveMember { group, member }),
            "delete_group" => self
                .use_ref(entry.value, &entry.path, Accept::Group, Usage::Act)
                .map(|group| {
                    self.refs.delete(&group, At::of(entry.value).line());
                    Step::DeleteGroup(group)
                }),
            "assign" => self.scope_ref(entry).map(Step::Assign),
            "unassign" => self.scope_ref(entry).map(Step::Unassign),
            "set_scope" => self
                .r
                .word(entry.value, &entry.path, SCOPES)
                .map(Step::SetScope),
            "set_scoping_filter" => self.set_scoping_filter(entry),
            "sync" => self.r.word(entry.value, &entry.path, SYNCS).map(Step::Sync),
            "restart" => self
                .r
                .word(entry.value, &entry.path, RESTARTS)
                .map(Step::Restart),
            "provision_on_demand" => self.scope_ref(entry).map(Step::ProvisionOnDemand),
            "test_connection" => self.test_connection(entry),
            "target_create_user" => self.target_create_user(entry),
            "target_create_group" => self.target_create_group(entry),
            "target_fault" => self.target_fault(entry).map(Step::TargetFault),
            k if NO_ARGUMENT_STEPS.contains(&k) => self.no_arguments(entry),
            "expect" => self.expect(entry).map(Step::Expect),
            "snapshot" => self.snapshot(entry).map(Step::Snapshot),
            "per_profile" => self.per_profile(entry).map(Step::PerProfile),
            other => {
                self.unknown_step(entry.key_node, other, path);
                None
            }
        }?;
        Some(Spanned {
            value: step,
            span: span_of(entry.key_node),
        })
    }

    /// `per_profile: { okta: [ - expect: … ], entra: [ … ] }`: only `expect` steps, keyed by
    /// known profile names.
    fn per_profile(
        &mut self,
        e: &Entry,
    ) -> Option<std::collections::BTreeMap<String, Vec<Spanned<Step>>>> {
        let map = self.r.map(
            e.value,
            At::of(e.key_node),
            &e.path,
            "a map of profile → steps",
        )?;
        self.r.check_keys(&map, PROFILES);
        let mut out = std::collections::BTreeMap::new();
        let mut ok = true;
        for entry in &map.entries {
            if !PROFILES.contains(&entry.key) {
                ok = false;
                continue;
            }
            let Some(items) = self.r.list(entry.value, &entry.path) else {
                ok = false;
                continue;
            };
            let mut steps = Vec::new();
            for (i, node) in items.iter().enumerate() {
                let path = item(&entry.path, i);
                match self.step(node, &path) {
                    Some(step) if matches!(step.value, Step::Expect(_)) => steps.push(step),
                    Some(step) => {
                        let message = format!(
                            "only `expect` steps may differ by profile, found `{}`",
                            step.value.keyword()
                        );
                        self.r
                            .report(At::of(node), ErrorKind::InvalidShape, &path, message);
                        ok = false;
                    }
                    None => ok = false,
                }
            }
            out.insert(entry.key.to_string(), steps);
        }
        ok.then_some(out)
    }

    fn unknown_step(&mut self, at: &Node, word: &str, path: &str) {
        let message = format!(
            "unknown step `{word}`; expected one of: {}",
            STEP_KEYWORDS.join(", ")
        );
        let mut err = self
            .r
            .error_at(At::of(at), ErrorKind::UnknownStep, path, message);
        if let Some(s) = did_you_mean(word, STEP_KEYWORDS.iter().copied()) {
            err = err.with_help(format!("did you mean `{s}`?"));
        }
        self.r.push(err);
    }

    /// A step map with zero or several keys. The usual cause is fields written at the
    /// keyword's indentation instead of under it, so say so when the shape fits.
    fn not_one_key(&mut self, node: &Node, map: &Map, path: &str) {
        let Some(second) = map.entries.get(1) else {
            let message = "a step is a map with exactly one key, the step keyword; found an \
                           empty map"
                .to_string();
            self.r
                .report(At::of(node), ErrorKind::InvalidShape, path, message);
            return;
        };
        let keys: Vec<String> = map.entries.iter().map(|e| format!("`{}`", e.key)).collect();
        let message = format!(
            "a step is a map with exactly one key, the step keyword; found {} keys: {}",
            keys.len(),
            keys.join(", ")
        );
        let mut err = self.r.error_at(
            At::of(second.key_node),
            ErrorKind::InvalidShape,
            path,
            message,
        );
        let first = &map.entries[0];
        let takes_fields = !NO_ARGUMENT_STEPS.contains(&first.key);
        if STEP_KEYWORDS.contains(&first.key) && takes_fields && is_null(first.value) {
            err = err.with_help(format!(
                "indent the fields of `{}` further than the keyword",
                first.key
            ));
        }
        self.r.push(err);
    }

    // --- refs --------------------------------------------------------------------------

    /// A ref's spelling: text that reads as a name. Refs appear in redacted snapshots
    /// (`<user:alice>`), so spaces and punctuation are kept out.
    fn ref_name(&mut self, node: &Node, field: &str, what: &str) -> Option<String> {
        let valid = |s: &str| {
            let mut chars = s.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        match as_str(node) {
            Some(s) if valid(s) => Some(s.to_string()),
            _ => {
                self.r.invalid(
                    node,
                    field,
                    &format!("{what} (a name such as `alice`: letters, digits, `_`, `-`, `.`)"),
                );
                None
            }
        }
    }

    /// Reads a ref and checks it against the refs created so far. Returns the name even when
    /// the check fails: the error is recorded, and the step's shape is still worth checking.
    fn use_ref(&mut self, node: &Node, field: &str, accept: Accept, usage: Usage) -> Option<Ref> {
        let what = match accept {
            Accept::User | Accept::ExpectedUser => "a user ref",
            Accept::TargetUser => "a target-only user ref (from `target_create_user`)",
            Accept::Group | Accept::ExpectedGroup => "a group ref",
            Accept::UserOrGroup | Accept::ExpectedMember => "a user or group ref",
        };
        let name = self.ref_name(node, field, what)?;
        match self.refs.check(&name, accept, usage) {
            Ok(()) => {}
            Err(Problem::Unknown) => {
                // Message filled in by `finish`, once later steps are known.
                let err =
                    self.r
                        .error_at(At::of(node), ErrorKind::UnknownRef, field, String::new());
                self.unresolved.push((name.clone(), accept, err));
            }
            Err(Problem::WrongKind { kind, created_line }) => {
                let usable = if kind == RefKind::TargetUser {
                    "; target-only refs (from `target_create_user`) can be used only in \
                     `expect: { user: … }` and as `target_create_group` members"
                } else if kind == RefKind::TargetGroup {
                    "; target-only refs (from `target_create_group`) can be used only in \
                     `expect: { group: … }`"
                } else {
                    ""
                };
                let message = format!(
                    "`{name}` is {} (created at line {created_line}); expected {what}{usable}",
                    kind.describe()
                );
                self.r
                    .report(At::of(node), ErrorKind::RefMismatch, field, message);
            }
            Err(Problem::Deleted { kind, deleted_line }) => {
                let (noun, create) = match kind {
                    RefKind::Group => ("group", "create_group"),
                    _ => ("user", "create_user"),
                };
                let message = format!(
                    "{noun} `{name}` was deleted at line {deleted_line}; `{create}` it again \
                     before acting on it"
                );
                self.r
                    .report(At::of(node), ErrorKind::RefMismatch, field, message);
            }
            Err(Problem::Duplicate { .. }) => {}
        }
        Some(name)
    }

    /// Reads a ref that a step creates; a live object of the same name is an error.
    fn create_ref(&mut self, node: &Node, field: &str, kind: RefKind) -> Option<Ref> {
        let name = self.ref_name(node, field, kind.describe())?;
        if let Err(Problem::Duplicate { created_line }) =
            self.refs.create(&name, kind, At::of(node).line())
        {
            let message = format!("ref `{name}` already exists (created at line {created_line})");
            let mut err = self
                .r
                .error_at(At::of(node), ErrorKind::DuplicateRef, field, message);
            if kind == RefKind::User {
                err = err.with_help(format!(
                    "to re-create the user, `hard_delete_user: {name}` first, or pick another ref"
                ));
            }
            self.r.push(err);
        }
        Some(name)
    }

    fn user_ref(&mut self, e: &Entry) -> Option<Ref> {
        self.use_ref(e.value, &e.path, Accept::User, Usage::Act)
    }

    /// `assign`, `unassign`, `provision_on_demand`: users and groups are both in scope.
    fn scope_ref(&mut self, e: &Entry) -> Option<Ref> {
        self.use_ref(e.value, &e.path, Accept::UserOrGroup, Usage::Act)
    }

    // --- users and groups --------------------------------------------------------------

    fn step_map<'n, 'i>(&mut self, e: &Entry<'n, 'i>, expected: &str) -> Option<Map<'n, 'i>> {
        self.r.map(e.value, At::of(e.key_node), &e.path, expected)
    }

    fn user_keys() -> Vec<&'static str> {
        std::iter::once("user")
            .chain(UserAttr::ALL.iter().map(|(n, _)| *n))
            .collect()
    }

    fn create_user(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(
            e,
            "a map with `user`, `userPrincipalName` and other attributes",
        )?;
        self.r.check_keys(&map, &Self::user_keys());
        let user_entry = self.r.required(&map, "user");
        self.r.required(&map, "userPrincipalName");
        let attrs = self.user_attrs(&map, false);
        // The ref is registered after the attributes so `manager` cannot name the user itself.
        let user = user_entry.and_then(|u| self.create_ref(u.value, &u.path, RefKind::User));
        let mut attrs = attrs?;
        // The default is resolved here so the engine has one source of truth for it.
        attrs
            .entry(UserAttr::AccountEnabled)
            .or_insert(AttrValue::Bool(true));
        Some(Step::CreateUser(UserSpec { user: user?, attrs }))
    }

    fn update_user(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `user` and the attributes to change")?;
        self.r.check_keys(&map, &Self::user_keys());
        let user = self
            .r
            .required(&map, "user")
            .and_then(|u| self.use_ref(u.value, &u.path, Accept::User, Usage::Act));
        if map.entries.iter().all(|a| a.key == "user") {
            let message =
                "`update_user` changes nothing: give at least one attribute besides `user`"
                    .to_string();
            self.r.report(
                At::of(e.key_node),
                ErrorKind::InvalidShape,
                &e.path,
                message,
            );
            return None;
        }
        let attrs = self.user_attrs(&map, true)?;
        Some(Step::UpdateUser(UserSpec { user: user?, attrs }))
    }

    /// The attribute keys of a `create_user`/`update_user` map. Unknown keys were reported by
    /// `check_keys` and are skipped here.
    fn user_attrs(&mut self, map: &Map, update: bool) -> Option<BTreeMap<UserAttr, AttrValue>> {
        let mut attrs = BTreeMap::new();
        let mut ok = true;
        for a in &map.entries {
            let Some((_, attr)) = UserAttr::ALL.iter().find(|(n, _)| *n == a.key) else {
                continue;
            };
            let value = if is_null(a.value) {
                self.null_attr(a, *attr, update)
            } else {
                match attr {
                    UserAttr::AccountEnabled => {
                        self.r.boolean(a.value, &a.path).map(AttrValue::Bool)
                    }
                    UserAttr::Manager => self
                        .use_ref(a.value, &a.path, Accept::User, Usage::Act)
                        .map(AttrValue::Text),
                    _ => self.r.text(a.value, &a.path).map(AttrValue::Text),
                }
            };
            match value {
                Some(v) => {
                    attrs.insert(*attr, v);
                }
                None => ok = false,
            }
        }
        ok.then_some(attrs)
    }

    /// `null` clears an attribute in `update_user`; a user always has a UPN and an enabled
    /// state, and a new user has nothing to clear.
    fn null_attr(&mut self, a: &Entry, attr: UserAttr, update: bool) -> Option<AttrValue> {
        let clearable = !matches!(attr, UserAttr::UserPrincipalName | UserAttr::AccountEnabled);
        if update && clearable {
            return Some(AttrValue::Clear);
        }
        let expected = match attr {
            UserAttr::AccountEnabled => "a boolean (true or false)",
            UserAttr::Manager => "a user ref",
            _ => "text",
        };
        let why = if update {
            format!("`{}` cannot be cleared", a.key)
        } else {
            "null clears an attribute only in `update_user`; omit the key instead".to_string()
        };
        let message = format!(
            "invalid value for `{}`: expected {expected}, found null ({why})",
            a.key
        );
        self.r
            .report(At::of(a.value), ErrorKind::InvalidValue, &a.path, message);
        None
    }

    fn create_group(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(
            e,
            "a map with `group`, `displayName` and optional `members`",
        )?;
        self.r
            .check_keys(&map, &["group", "displayName", "members"]);
        let group_entry = self.r.required(&map, "group");
        let display_name = self
            .r
            .required(&map, "displayName")
            .and_then(|d| self.r.text(d.value, &d.path));
        let members = match map.get("members") {
            Some(m) => self.member_refs(m, Accept::UserOrGroup, Usage::Act),
            None => Some(Vec::new()),
        };
        // Registered after the members so a group cannot contain itself.
        let group = group_entry.and_then(|g| self.create_ref(g.value, &g.path, RefKind::Group));
        Some(Step::CreateGroup(GroupSpec {
            group: group?,
            display_name: display_name?,
            members: members?,
        }))
    }

    fn rename_group(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `group` and `displayName`")?;
        self.r.check_keys(&map, &["group", "displayName"]);
        let group = self
            .r
            .required(&map, "group")
            .and_then(|g| self.use_ref(g.value, &g.path, Accept::Group, Usage::Act));
        let display_name = self
            .r
            .required(&map, "displayName")
            .and_then(|d| self.r.text(d.value, &d.path));
        Some(Step::RenameGroup {
            group: group?,
            display_name: display_name?,
        })
    }

    fn member_refs(&mut self, e: &Entry, accept: Accept, usage: Usage) -> Option<Vec<Ref>> {
        let items = self.r.list(e.value, &e.path)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, node) in items.iter().enumerate() {
            match self.use_ref(node, &item(&e.path, i), accept, usage) {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn membership(&mut self, e: &Entry) -> Option<(Ref, Ref)> {
        let map = self.step_map(e, "a map with `group` and `member`")?;
        self.r.check_keys(&map, &["group", "member"]);
        let group = self
            .r
            .required(&map, "group")
            .and_then(|g| self.use_ref(g.value, &g.path, Accept::Group, Usage::Act));
        let member = self
            .r
            .required(&map, "member")
            .and_then(|m| self.use_ref(m.value, &m.path, Accept::UserOrGroup, Usage::Act));
        Some((group?, member?))
    }

    // --- scoping filters ----------------------------------------------------------------

    fn set_scoping_filter(&mut self, e: &Entry) -> Option<Step> {
        let YamlData::Sequence(groups) = &e.value.data else {
            self.r.invalid(
                e.value,
                &e.path,
                "a list of clause groups, each a list of clauses (`[]` clears the filter)",
            );
            return None;
        };
        let mut out = Vec::with_capacity(groups.len());
        let mut ok = true;
        for (i, group) in groups.iter().enumerate() {
            match self.scoping_group(group, &item(&e.path, i)) {
                Some(clauses) => out.push(clauses),
                None => ok = false,
            }
        }
        ok.then_some(Step::SetScopingFilter(out))
    }

    /// One group of AND-ed clauses. An empty group would hold for every user, which no
    /// author means; a bare clause map is the usual slip of one `-` too few.
    fn scoping_group(&mut self, node: &Node, path: &str) -> Option<Vec<ScopingClause>> {
        let expected = "a non-empty list of clauses (the clauses of a group are AND-ed)";
        let clauses = match &node.data {
            YamlData::Sequence(clauses) if !clauses.is_empty() => clauses,
            YamlData::Mapping(_) => {
                let message = format!(
                    "invalid value for a clause group: expected {expected}, found {}",
                    found(node)
                );
                let err = self
                    .r
                    .error_at(At::start_of(node), ErrorKind::InvalidShape, path, message)
                    .with_help("each group is a list of its own: write `- - { attribute: … }`");
                self.r.push(err);
                return None;
            }
            _ => {
                self.r.invalid(node, path, expected);
                return None;
            }
        };
        let mut out = Vec::with_capacity(clauses.len());
        let mut ok = true;
        for (i, clause) in clauses.iter().enumerate() {
            match self.scoping_clause(clause, &item(path, i)) {
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn scoping_clause(&mut self, node: &Node, path: &str) -> Option<ScopingClause> {
        let map = self.r.map(
            node,
            At::start_of(node),
            path,
            "a clause: a map with `attribute`, `operator` and, to compare, `value`",
        )?;
        self.r.check_keys(&map, CLAUSE_KEYS);
        let attribute = self
            .r
            .required(&map, "attribute")
            .and_then(|a| self.r.word(a.value, &a.path, UserAttr::ALL));
        let operator_entry = self.r.required(&map, "operator");
        let operator = operator_entry.and_then(|o| self.r.word(o.value, &o.path, OPERATORS));
        let value = self.r.optional(&map, "value", Reader::text);

        let mut ok = true;
        if let (Some(o), Some(op)) = (operator_entry, operator) {
            let name = OPERATORS
                .iter()
                .find(|(_, x)| *x == op)
                .map_or("?", |(n, _)| *n);
            let compares = matches!(
                op,
                ScopingOperator::Equals
                    | ScopingOperator::NotEquals
                    | ScopingOperator::Includes
                    | ScopingOperator::NotIncludes
            );
            match map.get("value") {
                // Points at the operator: it is what asks for a value.
                None if compares => {
                    let message =
                        format!("missing required key `value`: `{name}` compares with a value");
                    self.r
                        .report(At::of(o.value), ErrorKind::MissingKey, &map.path, message);
                    ok = false;
                }
                Some(v) if !compares => {
                    let message = format!(
                        "`value` cannot be used with `{name}`: the operator takes no value"
                    );
                    self.r.report(
                        At::of(v.key_node),
                        ErrorKind::InvalidShape,
                        &v.path,
                        message,
                    );
                    ok = false;
                }
                _ => {}
            }
            let boolean_test = matches!(op, ScopingOperator::IsTrue | ScopingOperator::IsFalse);
            if let Some(attr) = attribute.filter(|a| boolean_test && *a != UserAttr::AccountEnabled)
            {
                let message = format!(
                    "`{name}` applies only to the boolean attribute `accountEnabled`, not to `{}`",
                    attr.name()
                );
                let err = self
                    .r
                    .error_at(At::of(o.value), ErrorKind::InvalidValue, &o.path, message)
                    .with_help("compare text with `EQUALS` or `NOT EQUALS` and a `value`");
                self.r.push(err);
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(ScopingClause {
            attribute: attribute?,
            operator: operator?,
            value: value?,
        })
    }

    // --- provisioning and the target ---------------------------------------------------

    fn test_connection(&mut self, e: &Entry) -> Option<Step> {
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
    fn no_arguments(&mut self, e: &Entry) -> Option<Step> {
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

    fn target_create_user(&mut self, e: &Entry) -> Option<Step> {
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
    fn target_create_group(&mut self, e: &Entry) -> Option<Step> {
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
    fn target_attributes(&mut self, map: &Map) -> Option<serde_json::Value> {
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

    fn target_fault(&mut self, e: &Entry) -> Option<FaultSpec> {
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
    fn http_method(&mut self, node: &Node, field: &str) -> Option<String> {
        let upper = as_str(node).map(str::to_ascii_uppercase);
        if let Some((name, _)) = METHODS.iter().find(|(n, _)| Some(*n) == upper.as_deref()) {
            return Some(name.to_string());
        }
        self.r.word(node, field, METHODS).map(str::to_string)
    }

    fn snapshot(&mut self, e: &Entry) -> Option<String> {
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

    fn expect(&mut self, e: &Entry) -> Option<Expectation> {
        let map = self.step_map(
            e,
            "a map with one of `user`, `group`, `log`, `requests` or `job`",
        )?;
        let allowed: Vec<&str> = EXPECT_FORMS.iter().chain(OBJECT_CHECKS).copied().collect();
        self.r.check_keys(&map, &allowed);
        let forms: Vec<&Entry> = EXPECT_FORMS.iter().filter_map(|f| map.get(f)).collect();
        let form = match forms.as_slice() {
            [one] => *one,
            [] => {
                let message = "`expect` needs exactly one of `user`, `group`, `log`, \
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
                    "`expect` takes exactly one of `user`, `group`, `log`, `requests` or `job`; \
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
            _ => self.expect_object(&map, form).map(Expectation::Object),
        }
    }

    /// Reports keys of `map` in `keys` that make no sense with the `form` of expectation.
    fn checks_not_allowed(&mut self, map: &Map, keys: &[&str], form: &str) {
        for e in map.entries.iter().filter(|e| keys.contains(&e.key)) {
            let owner = match e.key {
                "members" => "`group:`",
                "count" => "`user:`",
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

    fn expect_object(&mut self, map: &Map, form: &Entry) -> Option<ObjectExpectation> {
        let is_group = form.key == "group";
        let accept = if is_group {
            Accept::ExpectedGroup
        } else {
            Accept::ExpectedUser
        };
        let object = self.use_ref(form.value, &form.path, accept, Usage::Check);
        let misplaced = if is_group { "count" } else { "members" };
        self.checks_not_allowed(map, &[misplaced], form.key);

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
        if !ok {
            return None;
        }
        Some(ObjectExpectation {
            object: object?,
            is_group,
            present,
            active,
            attributes,
            members,
            count,
        })
    }

    fn expect_log(&mut self, form: &Entry) -> Option<LogExpectation> {
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

    fn expect_requests(&mut self, form: &Entry) -> Option<RequestExpectation> {
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

    fn expect_job(&mut self, form: &Entry) -> Option<JobExpectation> {
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

/// Whether `name` can be used as one file name on every platform the harness runs on: ASCII
/// letters, digits, `_`, `-`, `.`, at most 100 characters, and no leading dot (so neither
/// `..` nor a hidden file).
fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
