//! Which runs a harness keeps: `filter` globs over scenario names (protocol checks as
//! `protocol-<check>`) and `shard` slices for a CI matrix. Both apply before anything is sent,
//! and zero runs left is an error, never a pass.

/// `shard(i, n)`: the i-th of n slices (1-based), taken round-robin over the run list so each
/// slice gets a share of every directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the run at `position` in the full list belongs to this shard.
    pub fn keeps(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("expected I/N with 1 ≤ I ≤ N, such as 1/4; got `{text}`");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Whether a run of this name is selected by the filters: every name when there are none.
pub fn keeps(filters: &[String], name: &str) -> bool {
    filters.is_empty() || filters.iter().any(|g| glob_matches(g, name))
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
    use super::*;

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

    #[test]
    fn shards_split_the_list_round_robin_and_cover_it_once() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"]
            .iter()
            .map(|s| s.parse().map_err(|e: String| e))
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        assert_eq!(shards.len(), 3);
        for position in 0..10 {
            let owners = shards.iter().filter(|s| s.keeps(position)).count();
            assert_eq!(owners, 1, "position {position}");
        }
        assert!(shards[1].keeps(1) && shards[1].keeps(4) && !shards[1].keeps(2));
    }

    #[test]
    fn a_shard_outside_its_count_is_refused_with_the_form_expected() {
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.starts_with("expected I/N with 1 ≤ I ≤ N"), "{bad}: {e}");
        }
        assert_eq!("2/2".parse(), Ok(Shard { index: 2, count: 2 }));
    }
}
