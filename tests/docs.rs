//! The project's account of IdP behaviour (docs/idp-behavior.md) stays tied to the code: every
//! place it names in the repository (`src/engine/send.rs` `Engine::send_all`) exists and holds
//! the names it cites, and every fact id the code, tests and scenarios cite (`E-20`, `PF-19`)
//! is defined there. A module split or a rename otherwise leaves the page pointing readers at
//! code that is gone: when this test was written, 61 of the names the page cited had moved
//! to another file or been renamed, and one cited file had become a folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The page up to its list of sources, which cite other projects' files.
fn page() -> String {
    let text = read(&root().join("docs/idp-behavior.md"));
    match text.find("\n## Sources") {
        Some(end) => text[..end].to_string(),
        None => panic!("docs/idp-behavior.md has no `## Sources` section"),
    }
}

/// Every file under `dir` (recursively) whose name ends with one of `exts`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    out.extend(common::files_under(dir).into_iter().filter(|path| {
        exts.iter()
            .any(|e| path.extension().and_then(|x| x.to_str()) == Some(e))
    }));
}

/// The backtick spans of `text`, with the text between each and the one before.
fn spans(text: &str) -> Vec<(&str, &str)> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        out.push((&rest[..open], &rest[open + 1..open + 1 + len]));
        rest = &rest[open + 2 + len..];
    }
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_:<>*".contains(c))
}

/// Whether `name` occurs in `text` as a whole word; `name*` as the start of one.
fn holds_word(text: &str, name: &str) -> bool {
    let (name, prefix) = match name.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (name, false),
    };
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_none_or(|c| !word(c));
        let after = text[at + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !word(c));
        before && (prefix || after)
    })
}

/// A path of the repository the page names, with the names cited right after it
/// (`src/engine/send.rs` `Engine::send_all`, `Engine::exchange_once`).
#[derive(Debug)]
struct Citation {
    line: usize,
    path: String,
    names: Vec<String>,
}

fn citations(page: &str) -> Vec<Citation> {
    let mut out: Vec<Citation> = vec![];
    let mut line = 1;
    let mut chained = false;
    for (between, span) in spans(page) {
        line += between.matches('\n').count();
        let joined_to_last = chained
            && between
                .chars()
                .all(|c| c.is_whitespace() || ",;".contains(c));
        if ["src/", "tests/", "scenarios/"]
            .iter()
            .any(|p| span.starts_with(p))
        {
            out.push(Citation {
                line,
                path: span.to_string(),
                names: vec![],
            });
            chained = true;
        } else if joined_to_last && is_identifier(span) {
            if let Some(last) = out.last_mut() {
                last.names.push(span.to_string());
            }
        } else {
            chained = false;
        }
        line += span.matches('\n').count();
    }
    out
}

#[test]
fn every_code_citation_in_the_idp_behavior_page_names_what_is_there() {
    let page = page();
    let cited = citations(&page);
    assert!(cited.len() > 100, "only {} citations found", cited.len());
    let mut wrong = vec![];
    let mut names = 0;
    for c in &cited {
        let path = root().join(&c.path);
        let mut held = vec![];
        if path.is_dir() {
            files(&path, &["rs", "yaml", "snap"], &mut held);
        } else if path.is_file() {
            held.push(path);
        }
        if held.is_empty() {
            wrong.push(format!(
                "docs/idp-behavior.md:{}: `{}` does not exist",
                c.line, c.path
            ));
            continue;
        }
        let text: String = held.iter().map(|p| read(p)).collect();
        for name in &c.names {
            names += 1;
            let last = name.rsplit("::").next().unwrap_or(name);
            if !holds_word(&text, last) {
                wrong.push(format!(
                    "docs/idp-behavior.md:{}: `{}` holds no `{last}` (cited as `{name}`)",
                    c.line, c.path
                ));
            }
        }
    }
    assert!(names > 300, "only {names} cited names found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The fact ids in `text`: `E-20`, `PF-19`, `P1-7`, `O-11`, `CA-3`, `OL-6`, as whole words.
fn fact_ids(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for prefix in ["E-", "O-", "PF-", "P1-", "CA-", "OL-"] {
        for (at, _) in text.match_indices(prefix) {
            let before = text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '-' && c != '_');
            let digits: String = text[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let after = text[at + prefix.len() + digits.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            if before && after && !digits.is_empty() {
                out.insert(format!("{prefix}{digits}"));
            }
        }
    }
    out
}

#[test]
fn every_fact_id_the_code_cites_is_defined_in_the_idp_behavior_page() {
    let page = page();
    let defined: BTreeSet<String> = page
        .lines()
        .filter_map(|l| l.strip_prefix("- **"))
        .filter_map(|l| l.split("**").next())
        .filter(|id| fact_ids(id).contains(*id))
        .map(str::to_string)
        .collect();
    assert!(defined.len() > 150, "only {} facts defined", defined.len());
    let mut held = vec![];
    files(&root().join("src"), &["rs"], &mut held);
    files(&root().join("tests"), &["rs", "yaml"], &mut held);
    files(&root().join("scenarios"), &["yaml"], &mut held);
    let mut cited = 0;
    let mut undefined = vec![];
    for path in &held {
        for id in fact_ids(&read(path)) {
            cited += 1;
            if !defined.contains(&id) {
                let shown = path.strip_prefix(root()).unwrap_or(path);
                undefined.push(format!("{}: {id}", shown.display()));
            }
        }
    }
    assert!(cited > 300, "only {cited} citations found");
    assert!(
        undefined.is_empty(),
        "undefined facts:\n{}",
        undefined.join("\n")
    );
}

#[test]
fn the_citation_reader_takes_names_only_right_after_a_path() {
    let page = "Where: `src/a.rs` `A::one`, `two`; then `src/b/` (see `three`).\n\
                Also `tests/c.rs` `four*` and `not an identifier`.";
    let c = citations(page);
    assert_eq!(c.len(), 3);
    assert_eq!(
        (c[0].path.as_str(), c[0].names.clone()),
        ("src/a.rs", vec!["A::one".into(), "two".into()])
    );
    assert!(c[1].names.is_empty(), "{:?}", c[1]);
    assert_eq!(c[2].line, 2);
    assert_eq!(c[2].names, vec!["four*".to_string()]);
    assert!(holds_word("fn four_five()", "four*"));
    assert!(!holds_word("fn four_five()", "four"));
    assert!(holds_word("Engine::send_all(", "send_all"));
    assert!(!holds_word("resend_all", "send_all"));
    assert_eq!(
        fact_ids("E-20, PF-19; (P1-7) OL-6x NOE-3 E-"),
        ["E-20", "P1-7", "PF-19"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}
