//! `scim-harness explain [CODE]`: the long explanation of a finding code, as `rustc --explain`
//! gives one; without a code, every code with its one-line meaning.

use clap::Args;

use super::ExitCode;
use crate::check::finding::{explain, CATALOG};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A finding code such as F-REJECTED (the `F-` and the case are optional).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

pub fn run(args: ExplainArgs) -> ExitCode {
    let Some(code) = args.code else {
        for e in CATALOG {
            say!("{:<17} {}", e.name, e.summary);
        }
        return ExitCode::Ok;
    };
    match explain(&code) {
        Some(e) => {
            say!("{}: {}\n", e.name, e.summary);
            say!("{}\n", wrap(e.explanation, 92));
            say!("Judged by: {}", e.reference);
            ExitCode::Ok
        }
        None => {
            eprintln!("error: no finding code `{code}`; `scim-harness explain` lists them all");
            ExitCode::Usage
        }
    }
}

/// Wraps prose at `width` columns on word boundaries.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}
