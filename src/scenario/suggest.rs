//! "Did you mean …?" for misspelt keys, step keywords, refs and enum words.
//! Only suggests; never accepts a near-miss in place of the exact word.

/// The candidate closest to `word`, if it is close enough to be a likely typo: same letters
/// in another case, a small edit distance, or one containing the other (`soft_delete` for
/// `soft_delete_user`).
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'c str)> = None;
    for cand in candidates {
        let cand_lower = cand.to_lowercase();
        if cand_lower == lower {
            return Some(cand);
        }
        let d = distance(&lower, &cand_lower);
        let close = d <= (lower.chars().count() / 3).max(2)
            || (lower.len() >= 4 && (cand_lower.contains(&lower) || lower.contains(&cand_lower)));
        if close && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "create_user",
        "soft_delete_user",
        "hard_delete_user",
        "sync",
    ];

    #[test]
    fn suggests_typos_case_and_truncations() {
        assert_eq!(
            did_you_mean("creat_user", STEPS.iter().copied()),
            Some("create_user")
        );
        assert_eq!(
            did_you_mean("soft_delete", STEPS.iter().copied()),
            Some("soft_delete_user")
        );
        assert_eq!(
            did_you_mean("accountenabled", ["accountEnabled", "mail"]),
            Some("accountEnabled")
        );
        assert_eq!(did_you_mean("patch", ["GET", "PATCH"]), Some("PATCH"));
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(did_you_mean("frobnicate", STEPS.iter().copied()), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
