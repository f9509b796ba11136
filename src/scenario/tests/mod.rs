//! Tests of the scenario stage through its public API: every step form parsed into exact
//! model values, and one test per error class pinning the rendered line, column and field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::model::*;
use super::*;

mod directory;
mod expect;
mod population;
mod scoping;
mod target;

/// Lines 1–4; the first step is on line 5.
const HEAD: &str = "name: t\ndescription: d\nsymptom: s\nsteps:\n";

fn parse(text: &str) -> Result<Scenario, ScenarioErrors> {
    parse_str(text, Path::new("t.yaml"))
}

fn steps(body: &str) -> Vec<Step> {
    match parse(&format!("{HEAD}{body}")) {
        Ok(s) => s.steps.into_iter().map(|s| s.value).collect(),
        Err(e) => panic!("expected to parse, got:\n{e}"),
    }
}

fn errors(text: &str) -> Vec<ScenarioError> {
    match parse(text) {
        Ok(s) => panic!("expected errors, parsed {s:#?}"),
        Err(e) => e.0,
    }
}

fn one_error(text: &str) -> ScenarioError {
    let mut all = errors(text);
    assert_eq!(
        all.len(),
        1,
        "expected one error, got:\n{}",
        ScenarioErrors(all.clone())
    );
    all.remove(0)
}

fn at(e: &ScenarioError) -> (usize, usize, &str) {
    let span = e.span.unwrap_or_default();
    (span.line, span.column, e.field.as_str())
}

fn attrs(pairs: &[(UserAttr, AttrValue)]) -> BTreeMap<UserAttr, AttrValue> {
    pairs.iter().cloned().collect()
}

fn text(s: &str) -> AttrValue {
    AttrValue::Text(s.to_string())
}

const ALICE: &str = "  - create_user: { user: alice, userPrincipalName: alice@contoso.com }\n";
const BOB: &str = "  - create_user: { user: bob, userPrincipalName: bob@contoso.com }\n";

// --- the file: header, step grammar, files ---------------------------------------------

#[test]
fn header_fields_profiles_options_and_step_spans() {
    let text = "name: unassign-disables\n\
                description: >\n  Unassigning a user\n  disables it.\n\
                symptom: \"Users stay active\"\n\
                profiles: [entra, okta]\n\
                options:\n  patch_dialect: aadOptscim062020\n  retries: 3\n\
                steps:\n  - sync: initial\n  - test_connection\n";
    let s = parse(text).unwrap();
    assert_eq!(s.file, PathBuf::from("t.yaml"));
    assert_eq!(s.name, "unassign-disables");
    // The folded block's trailing newline is YAML syntax, not content.
    assert_eq!(s.description, "Unassigning a user disables it.");
    assert_eq!(s.symptom, "Users stay active");
    assert_eq!(
        s.profiles,
        Some(vec!["entra".to_string(), "okta".to_string()])
    );
    assert_eq!(
        s.options.get("patch_dialect"),
        Some(&Spanned {
            value: "aadOptscim062020".to_string(),
            span: Span {
                line: 8,
                column: 18
            }
        })
    );
    assert_eq!(s.options["retries"].value, "3");
    assert_eq!(
        s.steps,
        vec![
            Spanned {
                value: Step::Sync(SyncKind::Initial),
                span: Span {
                    line: 11,
                    column: 5
                }
            },
            Spanned {
                value: Step::TestConnection {
                    expect_status: Status::Success
                },
                span: Span {
                    line: 12,
                    column: 5
                }
            },
        ]
    );
}

#[test]
fn profiles_omitted_means_every_profile() {
    let s = parse(&format!("{HEAD}  - sync: initial\n")).unwrap();
    assert_eq!(s.profiles, None);
    assert!(s.options.is_empty());
}

#[test]
fn a_name_that_is_not_a_plain_file_name_is_refused_at_its_line() {
    for bad in ["../escape", "a/b", ".hidden", "x\\\\y", "sp ace"] {
        let e = one_error(&format!(
            "description: d\nname: \"{bad}\"\nsymptom: s\nsteps:\n  - sync: initial\n"
        ));
        assert_eq!(
            (e.kind, at(&e)),
            (ErrorKind::InvalidValue, (2, 7, "name")),
            "{bad}"
        );
        assert!(
            e.message.contains("names snapshot files"),
            "{bad}: {}",
            e.message
        );
    }
    let ok = parse("name: entra-v1.2_ok\ndescription: d\nsymptom: s\nsteps:\n  - sync: initial\n");
    assert_eq!(ok.map(|s| s.name).ok().as_deref(), Some("entra-v1.2_ok"));
}

#[test]
fn wrong_type_renders_like_the_documented_example() {
    let text = "name: unassign-disables\ndescription: Unassigning disables.\nsymptom: Users stay active\n\
                profiles: [entra]\nsteps:\n  - create_user:\n      user: bob\n      \
                userPrincipalName: bob@contoso.com\n  - sync: initial\n  - create_user:\n      \
                user: alice\n      accountEnabled: yes\n      userPrincipalName: alice@contoso.com\n";
    let errs = parse_str(text, Path::new("scenarios/entra/unassign.yaml")).unwrap_err();
    assert_eq!(errs.0.len(), 1);
    let e = &errs.0[0];
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(e), (12, 23, "steps[2].create_user.accountEnabled"));
    assert_eq!(
        errs.to_string(),
        "error: invalid value for `accountEnabled`: expected a boolean (true or false), found string \"yes\"\n\
         \x20 --> scenarios/entra/unassign.yaml:12:23\n\
         \x20  |\n\
         12 |       accountEnabled: yes\n\
         \x20  |                       ^^^\n\
         \x20  = in steps[2].create_user\n"
    );
}

#[test]
fn unknown_top_level_key() {
    let e = one_error(&format!("{HEAD}  - sync: initial\nprofile: [entra]\n"));
    assert_eq!(e.kind, ErrorKind::UnknownKey);
    assert_eq!(at(&e), (6, 1, "profile"));
    assert_eq!(
        e.render(),
        "error: unknown key `profile`; expected one of: name, description, symptom, profiles, options, steps\n\
         \x20 --> t.yaml:6:1\n\
         \x20  |\n\
         \x206 | profile: [entra]\n\
         \x20  | ^^^^^^^\n\
         \x20  = help: did you mean `profiles`?\n"
    );
}

#[test]
fn unknown_step_keyword_suggests_the_closest() {
    let e = one_error(&format!(
        "{HEAD}  - sync: initial\n  - soft_delete: alice\n"
    ));
    assert_eq!(e.kind, ErrorKind::UnknownStep);
    assert_eq!(at(&e), (6, 5, "steps[1]"));
    let r = e.render();
    assert!(r.starts_with(
        "error: unknown step `soft_delete`; expected one of: create_user, create_users, update_user, update_users, disable_user,"
    ));
    assert!(
        r.ends_with(
            "  --> t.yaml:6:5\n   |\n 6 |   - soft_delete: alice\n   |     ^^^^^^^^^^^\n   \
         = in steps\n   = help: did you mean `soft_delete_user`?\n"
        ),
        "{r}"
    );
}

#[test]
fn yaml_syntax_error() {
    let e = one_error("name: t\ndescription: d: e\nsymptom: s\nsteps: []\n");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(at(&e), (2, 15, ""));
    assert_eq!(
        e.render(),
        "error: invalid YAML: mapping values are not allowed in this context\n\
         \x20 --> t.yaml:2:15\n\
         \x20  |\n\
         \x202 | description: d: e\n\
         \x20  |               ^\n"
    );
}

#[test]
fn empty_steps() {
    let e = one_error("name: t\ndescription: d\nsymptom: s\nsteps: []\n");
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(&e), (4, 8, "steps"));
    assert_eq!(
        e.render(),
        "error: invalid value for `steps`: expected a non-empty list of steps, found an empty list\n\
         \x20 --> t.yaml:4:8\n\
         \x20  |\n\
         \x204 | steps: []\n\
         \x20  |        ^\n"
    );
}

#[test]
fn missing_required_keys_and_empty_file() {
    let errs = errors("name: t\nsteps:\n  - sync: initial\n");
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, at(e), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::MissingKey,
                (1, 1, ""),
                "missing required key `description`"
            ),
            (
                ErrorKind::MissingKey,
                (1, 1, ""),
                "missing required key `symptom`"
            ),
        ]
    );
    let e = one_error("");
    assert_eq!((e.kind, at(&e)), (ErrorKind::MissingKey, (1, 1, "")));
}

#[test]
fn step_fields_at_the_keyword_indentation() {
    let e = one_error(&format!(
        "{HEAD}  - create_user:\n    user: alice\n    userPrincipalName: a@x\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (6, 5, "steps[0]"));
    assert_eq!(
        e.help.as_deref(),
        Some("indent the fields of `create_user` further than the keyword")
    );
}

#[test]
fn unknown_profile_and_option_value() {
    let errs = errors(
        "name: t\ndescription: d\nsymptom: s\nprofiles: [entra, okda]\noptions: { a: [1] }\n\
         steps:\n  - sync: initial\n",
    );
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (ErrorKind::InvalidValue, (4, 19, "profiles[1]")),
            (ErrorKind::InvalidValue, (5, 15, "options.a")),
        ]
    );
    assert_eq!(errs[0].help.as_deref(), Some("did you mean `okta`?"));
}

#[test]
fn syntax_tour_uses_every_step_and_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax-tour.yaml");
    let s = match load_file(&path) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.name, "syntax-tour");
    let used: BTreeSet<&str> = s.steps.iter().map(|s| s.value.keyword()).collect();
    let all: BTreeSet<&str> = STEP_KEYWORDS.iter().copied().collect();
    assert_eq!(used, all);
}

#[test]
fn load_file_names_a_missing_file() {
    let errs = load_file(Path::new("no/such/scenario.yaml")).unwrap_err();
    let e = &errs.0[0];
    assert_eq!(e.kind, ErrorKind::Io);
    assert_eq!(e.file, PathBuf::from("no/such/scenario.yaml"));
    assert!(
        e.render()
            .starts_with("error: failed to read scenario file `no/such/scenario.yaml`: "),
        "{}",
        e.render()
    );
}

#[test]
fn discover_walks_directories_sorted_and_rejects_missing_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join("b/nested")).unwrap();
    std::fs::create_dir_all(root.join("a")).unwrap();
    for f in [
        "b/z.yaml",
        "b/nested/m.yml",
        "a/y.yaml",
        "a/notes.md",
        "top.yaml",
    ] {
        std::fs::write(root.join(f), "x").unwrap();
    }
    let single = root.join("a/notes.md");
    let got = discover(&[root.clone(), single.clone()]).unwrap();
    let rel: Vec<_> = got
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "a/y.yaml",
            "b/nested/m.yml",
            "b/z.yaml",
            "top.yaml",
            "a/notes.md"
        ]
    );

    let missing = root.join("gone");
    let errs = discover(&[missing.clone(), root.clone()]).unwrap_err();
    assert_eq!(errs.0.len(), 1);
    assert_eq!((errs.0[0].kind, &errs.0[0].file), (ErrorKind::Io, &missing));
}
