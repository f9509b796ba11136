//! `completions <shell>` and `man [SUBCOMMAND]`: generated from the same clap definition the
//! binary parses with, so they never drift from the options. Subcommands rather than build-time
//! generation: a packager runs the installed binary, and the build stays free of a build script.

use std::io::Write as _;

use clap::{Args, CommandFactory};

use super::{Cli, ExitCode};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's page (`scim-harness-run`) instead of the overview.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// Writes the completion script for `shell` to stdout.
pub fn completions(args: CompletionsArgs) -> ExitCode {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "scim-harness", &mut out);
    emit(&out)
}

/// Writes a roff man page to stdout: the overview, or one subcommand's page.
pub fn man(args: ManArgs) -> ExitCode {
    let cli = Cli::command();
    let page = match &args.subcommand {
        None => cli,
        Some(name) => match cli.find_subcommand(name) {
            // clap names take a `&'static str`: one leaked string per process is fine.
            Some(sub) => sub
                .clone()
                .name(&*Box::leak(format!("scim-harness-{name}").into_boxed_str()))
                .version(env!("CARGO_PKG_VERSION")),
            None => {
                let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                eprintln!(
                    "error: no subcommand `{name}`; subcommands: {}",
                    names.join(", ")
                );
                return ExitCode::Usage;
            }
        },
    };
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut out) {
        eprintln!("error: failed to render the man page: {e}");
        return ExitCode::Internal;
    }
    emit(&out)
}

/// To stdout; a closed pipe (`| head`) is not an error worth a panic.
fn emit(bytes: &[u8]) -> ExitCode {
    let _ = std::io::stdout().write_all(bytes);
    ExitCode::Ok
}
