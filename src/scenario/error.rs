//! Scenario-file errors: each names the file, line, column and field path, and renders like a
//! compiler diagnostic (message, location, offending line, caret). Errors are values collected
//! by the parser; this module never reads files and never decides exit codes.

use std::path::{Path, PathBuf};

use super::model::Span;

/// The class of a scenario-file error, so callers (CLI, tests) can tell them apart without
/// matching on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file or directory could not be read.
    Io,
    /// Not well-formed YAML.
    Syntax,
    /// A key the format does not define.
    UnknownKey,
    /// A step keyword the format does not define.
    UnknownStep,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type or outside the allowed set.
    InvalidValue,
    /// The YAML has the wrong structure: a step that is not a one-key map, an `expect` with
    /// zero or several forms, keys that cannot be combined.
    InvalidShape,
    /// A ref that no step creates.
    UnknownRef,
    /// A ref used by a step before the step that creates it.
    RefUsedBeforeCreate,
    /// A ref created while an object of that name still exists.
    DuplicateRef,
    /// A ref of the wrong kind (group where a user is needed, target-only, hard-deleted).
    RefMismatch,
    /// A name that must be unique (snapshot, profile) given twice.
    Duplicate,
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ScenarioError {
    pub kind: ErrorKind,
    pub file: PathBuf,
    /// Where the offending key or value starts; `None` for errors about the file as a whole
    /// (I/O).
    pub span: Option<Span>,
    /// Caret width in characters, at least 1.
    pub width: usize,
    /// Path of the offending field, e.g. `steps[2].create_user.accountEnabled`; empty when the
    /// error is not about one field (syntax, I/O).
    pub field: String,
    /// What was expected and what was found.
    pub message: String,
    /// A suggestion such as "did you mean `soft_delete_user`?".
    pub help: Option<String>,
    /// The source line the span points into, kept so rendering needs no file access.
    pub source_line: Option<String>,
}

impl ScenarioError {
    /// An error about a file as a whole, with no position (I/O, discovery).
    pub(crate) fn file_level(kind: ErrorKind, file: &Path, message: impl Into<String>) -> Self {
        ScenarioError {
            kind,
            file: file.to_path_buf(),
            span: None,
            width: 1,
            field: String::new(),
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// An error found after parsing (a profile refusing an option value) at a position the
    /// model kept. The offending line is read back from the file; a file that changed or
    /// vanished since only loses the snippet, never the position.
    pub fn at_span(
        kind: ErrorKind,
        file: &Path,
        span: Span,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let source_line = std::fs::read_to_string(file).ok().and_then(|text| {
            text.lines()
                .nth(span.line.saturating_sub(1))
                .map(str::to_string)
        });
        let width = source_line
            .as_deref()
            .and_then(|l| l.get(span.column.saturating_sub(1)..))
            .map_or(1, |rest| rest.trim_end().chars().count().max(1));
        ScenarioError {
            kind,
            file: file.to_path_buf(),
            span: Some(span),
            width,
            field: field.into(),
            message: message.into(),
            help: None,
            source_line,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:column`, or just the file for errors without a position.
    pub fn location(&self) -> String {
        match self.span {
            Some(span) => format!("{}:{}:{}", self.file.display(), span.line, span.column),
            None => self.file.display().to_string(),
        }
    }

    /// The field path without its last segment: the message already names the last one
    /// (`accountEnabled`), so the note says where it lives (`steps[2].create_user`).
    fn context(&self) -> &str {
        let field = self.field.as_str();
        let cut = if field.ends_with("\"]") {
            field.rfind("[\"")
        } else if field.ends_with(']') {
            field.rfind('[')
        } else {
            field.rfind('.')
        };
        &field[..cut.unwrap_or(0)]
    }

    /// The compiler-style rendering:
    ///
    /// ```text
    /// error: invalid value for `accountEnabled`: expected a boolean (true or false), found string "yes"
    ///   --> scenarios/entra/unassign.yaml:12:23
    ///    |
    /// 12 |       accountEnabled: yes
    ///    |                       ^^^
    ///    = in steps[2].create_user
    /// ```
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        let gutter = self
            .span
            .map(|s| s.line.to_string().len())
            .unwrap_or(1)
            .max(2);
        let pad = " ".repeat(gutter);
        out.push_str(&format!("{pad}--> {}\n", self.location()));
        if let (Some(span), Some(line)) = (self.span, &self.source_line) {
            // Tabs would be widened by the terminal and push the caret off its column.
            let shown: String = line
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let caret_pad = " ".repeat(span.column.saturating_sub(1));
            out.push_str(&format!("{pad} |\n"));
            out.push_str(&format!("{:>gutter$} | {}\n", span.line, shown.trim_end()));
            out.push_str(&format!(
                "{pad} | {caret_pad}{}\n",
                "^".repeat(self.width.max(1))
            ));
        }
        let context = self.context();
        if !context.is_empty() {
            out.push_str(&format!("{pad} = in {context}\n"));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} = help: {help}\n"));
        }
        out
    }
}

/// All the errors found in one or more scenario files, in file order then position order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl ScenarioErrors {
    pub fn errors(&self) -> &[ScenarioError] {
        &self.0
    }

    /// Every error rendered, separated by blank lines, then a one-line count.
    pub fn render(&self) -> String {
        let mut out = self
            .0
            .iter()
            .map(ScenarioError::render)
            .collect::<Vec<_>>()
            .join("\n");
        let n = self.0.len();
        if n > 1 {
            out.push_str(&format!("\n{n} errors\n"));
        }
        out
    }
}

impl From<ScenarioError> for ScenarioErrors {
    fn from(e: ScenarioError) -> Self {
        ScenarioErrors(vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ScenarioError {
        ScenarioError {
            kind: ErrorKind::InvalidValue,
            file: PathBuf::from("scenarios/entra/unassign.yaml"),
            span: Some(Span {
                line: 12,
                column: 23,
            }),
            width: 3,
            field: "steps[2].create_user.accountEnabled".into(),
            message: "invalid value for `accountEnabled`: expected a boolean (true or false), \
                      found string \"yes\""
                .into(),
            help: None,
            source_line: Some("      accountEnabled: yes".into()),
        }
    }

    #[test]
    fn renders_like_a_compiler() {
        assert_eq!(
            sample().render(),
            "error: invalid value for `accountEnabled`: expected a boolean (true or false), found string \"yes\"\n\
             \x20 --> scenarios/entra/unassign.yaml:12:23\n\
             \x20  |\n\
             12 |       accountEnabled: yes\n\
             \x20  |                       ^^^\n\
             \x20  = in steps[2].create_user\n"
        );
    }

    #[test]
    fn file_level_error_has_no_snippet() {
        let e = ScenarioError::file_level(
            ErrorKind::Io,
            Path::new("x.yaml"),
            "failed to read `x.yaml`: gone",
        );
        assert_eq!(
            e.render(),
            "error: failed to read `x.yaml`: gone\n  --> x.yaml\n"
        );
    }

    #[test]
    fn several_errors_end_with_a_count() {
        let all = ScenarioErrors(vec![sample(), sample()]);
        let text = all.render();
        assert!(text.ends_with("\n2 errors\n"), "{text}");
        assert_eq!(text.matches("error: invalid value").count(), 2);
    }
}
