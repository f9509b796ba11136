//! What a `run` selects and how loudly it speaks: `--filter GLOB` keeps the scenarios (and
//! `protocol-<check>` checks) whose name matches, `--fail-fast` stops starting runs after the
//! first failure, `-q`/`-v` choose how much of each run the console shows.

use clap::Args;

use crate::report::console::Detail;

#[derive(Debug, Args)]
pub struct ControlArgs {
    /// Run only scenarios whose `name:` matches GLOB (`*` any run of characters, `?` one),
    /// repeatable; protocol checks match as `protocol-<check>`, e.g. `--filter 'entra-*'`.
    #[arg(long = "filter", value_name = "GLOB")]
    pub filters: Vec<String>,
    /// Start no new run after the first failed one (a known failure or a skip does not
    /// count); the rest are reported as not run and the run exits 1.
    #[arg(long)]
    pub fail_fast: bool,
    /// Print only failures, findings and the summary.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each run's provisioning log: cycle, action, object and status.
    #[arg(short, long)]
    pub verbose: bool,
}

impl ControlArgs {
    /// Whether a run of this name is selected: every name when no `--filter` is given.
    pub fn keeps(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|g| glob_matches(g, name))
    }

    pub fn detail(&self) -> Detail {
        match (self.quiet, self.verbose) {
            (true, _) => Detail::Quiet,
            (_, true) => Detail::Verbose,
            _ => Detail::Normal,
        }
    }

    /// `--filter` as the "no scenario runs selected" error shows it.
    pub fn shown(&self) -> String {
        match self.filters.is_empty() {
            true => "none".into(),
            false => self.filters.join(","),
        }
    }
}

/// A shell-style glob over the whole name: `*` matches any run of characters (none too), `?`
/// exactly one, everything else itself. Written here rather than taken from `globset`: names
/// are not paths (no `/` semantics, no classes needed), and this is a dozen lines.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let (g, n): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point: the last `*` and where it resumed.
    let (mut gi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match g.get(gi) {
            Some('*') => {
                star = Some((gi, ni));
                gi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                gi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sg, sn)) => {
                    gi = sg + 1;
                    ni = sn + 1;
                    star = Some((sg, sn + 1));
                }
                None => return false,
            },
        }
    }
    g[gi.min(g.len())..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn stars_and_question_marks_match_whole_names() {
        assert!(glob_matches("entra-*", "entra-user-lifecycle"));
        assert!(glob_matches("entra-*", "entra-"));
        assert!(!glob_matches("entra-*", "okta-entra-x"));
        assert!(glob_matches("*lifecycle", "okta-user-lifecycle"));
        assert!(glob_matches("*-user-*", "okta-user-lifecycle"));
        assert!(!glob_matches("*-group-*", "okta-user-lifecycle"));
        assert!(glob_matches("okt?-*", "okta-x"));
        assert!(!glob_matches("okt?", "okt"));
        assert!(glob_matches(
            "protocol-filter.*",
            "protocol-filter.eq-username"
        ));
        assert!(glob_matches("exact", "exact"));
        assert!(!glob_matches("exact", "exactly"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxbyy"));
        assert!(glob_matches("a*?c", "abbc"));
    }
}
