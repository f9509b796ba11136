//! Generated populations: the `{n}` templates of `create_users` and the ref ranges
//! (`u1..u300`) that name a set of users. Pure text rules, so the parser can report a bad
//! template or range at its position. Ranges reach the engine expanded; templates reach it
//! as `model::Population`, which fills them in user by user with `fill`.

/// The most users one template or range may name: big enough for the load benchmark's
/// directory of 100,000 users and 10,000 groups (`cargo bench --bench provisioning`), with
/// room for a larger tenant, yet small enough that a typo (`u1..u3000000`) is refused
/// instead of filling memory: 200,000 expanded refs are ~10 MB of text.
pub const MAX_USERS: u64 = 200_000;

/// The placeholder a template value carries for the user's number.
pub const PLACEHOLDER: &str = "{n}";

/// `template` with every `{n}` replaced by `n`.
pub fn fill(template: &str, n: u64) -> String {
    template.replace(PLACEHOLDER, &n.to_string())
}

/// The refs a range names, or why it is not one. `Ok(None)`: the text is no range at all
/// (no `..`), so it is read as a single ref.
///
/// A range is `<prefix><a>..<prefix><b>`: the same prefix on both sides, numbers written
/// without leading zeros (`u7`, as `{n}` writes them), `a <= b`.
pub fn range(text: &str) -> Result<Option<Vec<String>>, String> {
    let Some((low, high)) = text.split_once("..") else {
        return Ok(None);
    };
    let (lp, a) = split_number(low)
        .ok_or_else(|| format!("`{low}` does not end in a number; a range reads `u1..u300`"))?;
    let (hp, b) = split_number(high)
        .ok_or_else(|| format!("`{high}` does not end in a number; a range reads `u1..u300`"))?;
    if lp != hp {
        return Err(format!(
            "the two ends of `{text}` have different prefixes (`{lp}` and `{hp}`)"
        ));
    }
    if a > b {
        return Err(format!("`{text}` runs backwards: write `{lp}{b}..{lp}{a}`"));
    }
    if b - a + 1 > MAX_USERS {
        return Err(format!(
            "`{text}` names {} users; a range names at most {MAX_USERS}",
            b - a + 1
        ));
    }
    Ok(Some((a..=b).map(|n| format!("{lp}{n}")).collect()))
}

/// `u17` → (`u`, 17). None when the text does not end in digits, or the digits have a
/// leading zero (`u07` would never match the `u7` a template makes).
fn split_number(text: &str) -> Option<(&str, u64)> {
    let digits = text.len() - text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (prefix, number) = text.split_at(text.len() - digits);
    if number.len() > 1 && number.starts_with('0') {
        return None;
    }
    number.parse().ok().map(|n| (prefix, n))
}

/// Every `every`-th of `refs`: the `every`-th, the `2·every`-th, … (`every: 3` of u1..u9 is
/// u3, u6, u9), so the count is `len / every`, easy to write into an expectation.
pub fn every(refs: Vec<String>, every: u64) -> Vec<String> {
    let k = every.max(1) as usize;
    refs.into_iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % k == 0)
        .map(|(_, r)| r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_in_order_and_refuse_what_is_not_one() {
        assert_eq!(
            range("u1..u3"),
            Ok(Some(vec!["u1".into(), "u2".into(), "u3".into()]))
        );
        assert_eq!(
            range("big-9..big-10").map(|r| r.map(|v| v.len())),
            Ok(Some(2))
        );
        assert_eq!(range("alice"), Ok(None));
        assert!(range("u1..v3").unwrap_err().contains("different prefixes"));
        assert!(range("u3..u1").unwrap_err().contains("write `u1..u3`"));
        assert!(range("u01..u3")
            .unwrap_err()
            .contains("does not end in a number"));
        assert!(range("u1..u200001").unwrap_err().contains("at most 200000"));
        assert_eq!(
            range("u1..u100000").map(|r| r.map(|v| v.len())),
            Ok(Some(100_000))
        );
        assert!(range("a..b").is_err());
    }

    #[test]
    fn templates_fill_every_placeholder_and_every_keeps_each_kth() {
        assert_eq!(fill("u{n}@x{n}.com", 7), "u7@x7.com");
        let refs: Vec<String> = (1..=9).map(|n| format!("u{n}")).collect();
        assert_eq!(every(refs.clone(), 3), vec!["u3", "u6", "u9"]);
        assert_eq!(every(refs, 1).len(), 9);
    }
}
