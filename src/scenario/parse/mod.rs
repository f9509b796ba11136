//! Scenario YAML → `model::Scenario`: the file format and the step grammar here, the form of
//! each step in a module per concept (directory, scoping, target, expect), ref checks in step
//! order. It reads only the text it is handed and reports every problem it can find in one
//! pass; it never sends anything and never guesses a fix.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use saphyr::{LoadableYamlNode, MarkedYaml, Marker, YamlData};

use super::error::{ErrorKind, ScenarioError, ScenarioErrors};
use super::model::{RestartKind, Scenario, ScopeMode, Span, Spanned, Status, Step, SyncKind};
use super::node::{as_str, found, is_null, item, At, Entry, Map, Node, Reader};
use super::refs::{Accept, Refs, Usage};
use super::suggest::did_you_mean;

mod directory;
mod expect;
mod population;
mod scoping;
mod target;

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
    "create_users",
    "update_user",
    "update_users",
    "disable_user",
    "disable_users",
    "enable_user",
    "soft_delete_user",
    "soft_delete_users",
    "restore_user",
    "hard_delete_user",
    "create_group",
    "create_groups",
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
            "create_users" => self.create_users(entry),
            "create_groups" => self.create_groups(entry),
            "update_users" => self.update_users(entry),
            "disable_users" => self.selection_entry(entry).map(Step::DisableUsers),
            "soft_delete_users" => self.selection_entry(entry).map(Step::SoftDeleteUsers),
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
            "assign" if matches!(entry.value.data, YamlData::Mapping(_)) => {
                self.selection_entry(entry).map(Step::AssignUsers)
            }
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
