//! The command line: the only place where the stages are joined. It parses arguments, runs a
//! command, and maps each class of failure to a documented exit code.

/// Prints a line to stdout without panicking when stdout is closed (`| head`, a reader that
/// went away): losing console output must never crash a run. To stderr instead while a
/// report goes to stdout (`--json -`), so that what a pipe reads is the report alone.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if $crate::cli::console_on_stderr() {
            let _ = writeln!(std::io::stderr(), $($t)*);
        } else {
            let _ = writeln!(std::io::stdout(), $($t)*);
        }
    }};
}

/// `say!` without the newline.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if $crate::cli::console_on_stderr() {
            let _ = write!(std::io::stderr(), $($t)*);
        } else {
            let mut out = std::io::stdout();
            let _ = write!(out, $($t)*);
            let _ = out.flush();
        }
    }};
}

/// Set once, before a run starts, when a report is written to stdout.
static CONSOLE_ON_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(crate) fn console_on_stderr() -> bool {
    CONSOLE_ON_STDERR.load(std::sync::atomic::Ordering::Relaxed)
}

fn move_console_to_stderr() {
    CONSOLE_ON_STDERR.store(true, std::sync::atomic::Ordering::Relaxed);
}

mod completions;
mod config;
mod control;
mod explain;
mod init;
mod list_json;
mod oauth;
mod progress;
mod reports;
mod review;
mod run;
mod serve;
mod suite;
mod transport;

use clap::{Parser, Subcommand};

/// Documented exit codes (README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything passed.
    Ok = 0,
    /// A scenario failed.
    ScenarioFailed = 1,
    /// Bad command line or scenario file.
    Usage = 2,
    /// Target unreachable or misconfigured (auth, TLS, base URL, address in use).
    Target = 3,
    /// A bug in scim-harness.
    Internal = 4,
}

#[derive(Debug, Parser)]
#[command(
    name = "scim-harness",
    version,
    about = "Plays the identity provider against a SCIM 2.0 server",
    long_about = "Plays the identity provider: replays how Microsoft Entra ID, Okta, PingFederate \
                  and PingOne provision users and groups over SCIM 2.0, against any SCIM server, \
                  and checks the directory state the server ends up with.",
    after_help = "Exit codes: 0 all passed, 1 a scenario failed, 2 usage or scenario-file error, \
                  3 target unreachable or misconfigured, 4 internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios: replay IdP provisioning against a SCIM server and check the result.
    Run(Box<run::RunArgs>),
    /// List scenarios with the symptom each reproduces and the profiles it runs under, and
    /// the protocol checks with their RFC section and the IdPs that rely on them.
    List(run::ListArgs),
    /// Run the built-in reference SCIM server until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Explain a finding code (F-REJECTED, F-DROPPED-ATTR, …); without one, list them all.
    Explain(explain::ExplainArgs),
    /// Review pending snapshots (`.snap.new`) one by one: a accept, r reject, s skip.
    Review(review::ReviewArgs),
    /// Accept pending snapshots without running anything again.
    Accept(review::SettleArgs),
    /// Reject pending snapshots: remove the `.snap.new` files, keep the snapshots.
    Reject(review::SettleArgs),
    /// Set up a repository for scim-harness: scim-harness.toml, an example scenario with its
    /// snapshots, and a CI workflow.
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print a roff man page (`scim-harness man | man -l -`), or one subcommand's page.
    Man(completions::ManArgs),
}

/// Parses the command line and runs it; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
            let _ = e.print();
            return code as i32;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::Internal as i32;
        }
    };
    // The work runs on a runtime worker, not on this thread blocking on it: reqwest drives
    // each connection in a task of its own, and from here every request would wake a worker
    // through the kernel and be woken back. Spawned, the run and its connections share a
    // worker: the bench's Entra cycle went from 246 to 139 µs of CPU per request.
    let work = runtime.spawn(async move {
        match cli.command {
            Command::Run(mut args) => match config::for_command(&args.config) {
                Ok(found) => {
                    config::apply_run(&mut args, found.as_ref());
                    if args.snapshots.is_none() && !args.control.quiet {
                        eprintln!("note: no snapshot directory here (no scim-harness.toml, --snapshots or ./snapshots): built-in snapshots are compared and nothing is written; `scim-harness init` sets one up");
                    }
                    run::run(*args).await
                }
                Err(code) => code,
            },
            Command::List(mut args) => match config::for_command(&args.config) {
                Ok(found) => {
                    args.snapshots = config::snapshot_dir(args.snapshots.as_deref(), found.as_ref());
                    args.defaults = config::defaults(found.as_ref());
                    run::list(args)
                }
                Err(code) => code,
            },
            Command::Serve(args) => serve::run(args).await,
            Command::Explain(args) => explain::run(args),
            Command::Review(args) => review::review(args),
            Command::Accept(args) => review::settle(args, review::Settle::Accept),
            Command::Reject(args) => review::settle(args, review::Settle::Reject),
            Command::Init(args) => init::init(args),
            Command::Completions(args) => completions::completions(args),
            Command::Man(args) => completions::man(args),
        }
    });
    let code = match runtime.block_on(work) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: the run stopped unexpectedly: {e}");
            ExitCode::Internal
        }
    };
    code as i32
}
