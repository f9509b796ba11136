//! Reading a listing page by page (RFC 7644 §3.4.2.4) with an end the server cannot take
//! away: a page that brings no new ids, a page that starts elsewhere than asked, or
//! `MAX_PAGES` pages stop the listing with a finding instead of reading on.

use std::collections::HashSet;

use serde_json::Value;

/// The most pages any listing reads, everywhere in the harness.
pub const MAX_PAGES: usize = 1000;

/// Where a listing stands after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// Ask for the page at this 1-based `startIndex`.
    Next(u64),
    /// Every resource was read (`totalResults` reached, or an empty page).
    Done,
}

/// The state of one listing: ids read so far, pages read.
#[derive(Debug, Default)]
pub struct Pages {
    ids: HashSet<String>,
    read: u64,
    pages: usize,
}

impl Pages {
    pub fn new() -> Self {
        Pages::default()
    }

    /// Takes the answer to the page asked at `start` (`path`: the request, for findings) and
    /// returns its resources with what to do next, or why the listing cannot be trusted.
    pub fn take(
        &mut self,
        path: &str,
        start: u64,
        page: &Value,
    ) -> Result<(Vec<Value>, Page), String> {
        let items = page
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = page
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if items.is_empty() {
            if self.read < total {
                return Err(format!(
                    "the listing GET {path} ended early: the page at startIndex {start} is empty, though totalResults {total} says {} more (a server that pages from startIndex 0 skips one resource per listing)",
                    total - self.read
                ));
            }
            return Ok((items, Page::Done));
        }
        self.pages += 1;
        if let Some(count) = asked_count(path) {
            if items.len() as u64 > count {
                return Err(format!(
                    "the listing GET {path} answered {} resources to a request for count {count}: a server that ignores `count` is not paged as the IdP pages",
                    items.len()
                ));
            }
        }
        if let Some(answered) = page.get("startIndex").and_then(Value::as_u64) {
            if answered != start {
                return Err(format!(
                    "the listing GET {path} answered startIndex {answered} to a request for startIndex {start}; a listing that does not page as asked is not read on"
                ));
            }
        }
        let mut new = 0;
        for item in &items {
            let key = match item.get("id") {
                Some(Value::String(s)) => s.clone(),
                other => format!("{other:?}:{item}"),
            };
            if self.ids.insert(key) {
                new += 1;
            }
        }
        if new == 0 {
            return Err(format!(
                "the listing GET {path} never ended: page {} repeated ids already read",
                self.pages
            ));
        }
        if new < items.len() {
            return Err(format!(
                "the listing GET {path} repeated {} ids already read on an earlier page: the order is not stable across pages, so others were never listed",
                items.len() - new
            ));
        }
        self.read += items.len() as u64;
        if self.read >= total {
            return Ok((items, Page::Done));
        }
        if self.pages >= MAX_PAGES {
            return Err(format!(
                "the listing GET {path} never ended: read {MAX_PAGES} pages without reaching totalResults {total}"
            ));
        }
        Ok((items, Page::Next(self.read + 1)))
    }
}

/// The `count` a listing request asked for, if it asked.
fn asked_count(path: &str) -> Option<u64> {
    let query = path.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("count="))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(start: u64, total: u64, ids: &[&str]) -> Value {
        let r: Vec<Value> = ids.iter().map(|i| json!({"id": i})).collect();
        json!({"totalResults": total, "startIndex": start, "itemsPerPage": r.len(), "Resources": r})
    }

    #[test]
    fn pages_until_total_results() {
        let mut p = Pages::new();
        let (items, next) = p
            .take("/Users?startIndex=1", 1, &page(1, 3, &["a", "b"]))
            .unwrap();
        assert_eq!((items.len(), next), (2, Page::Next(3)));
        let (_, next) = p
            .take("/Users?startIndex=3", 3, &page(3, 3, &["c"]))
            .unwrap();
        assert_eq!(next, Page::Done);
        assert_eq!(
            Pages::new()
                .take("/x", 1, &json!({"totalResults": 0}))
                .unwrap()
                .1,
            Page::Done
        );
    }

    #[test]
    fn an_early_end_too_many_items_or_a_partly_repeated_page_is_a_finding() {
        let mut p = Pages::new();
        p.take("/Users?startIndex=1&count=2", 1, &page(1, 3, &["a", "b"]))
            .unwrap();
        let e = p
            .take("/Users?startIndex=3&count=2", 3, &page(3, 3, &[]))
            .unwrap_err();
        assert!(
            e.contains(
                "ended early: the page at startIndex 3 is empty, though totalResults 3 says 1 more"
            ),
            "{e}"
        );
        let e = Pages::new()
            .take(
                "/Users?startIndex=1&count=2",
                1,
                &page(1, 3, &["a", "b", "c"]),
            )
            .unwrap_err();
        assert!(
            e.contains("answered 3 resources to a request for count 2"),
            "{e}"
        );
        let mut p = Pages::new();
        p.take("/Users?count=2", 1, &page(1, 4, &["a", "b"]))
            .unwrap();
        let e = p
            .take("/Users?count=2", 3, &page(3, 4, &["b", "c"]))
            .unwrap_err();
        assert!(
            e.contains("repeated 1 ids already read on an earlier page"),
            "{e}"
        );
    }

    #[test]
    fn a_repeated_page_or_a_wrong_start_stops_with_a_finding() {
        let mut p = Pages::new();
        p.take("/Users?startIndex=1", 1, &page(1, 99, &["a", "b"]))
            .unwrap();
        let e = p
            .take("/Users?startIndex=3", 3, &page(3, 99, &["a", "b"]))
            .unwrap_err();
        assert!(
            e.contains("never ended: page 2 repeated ids already read"),
            "{e}"
        );
        let e = Pages::new()
            .take("/Users?startIndex=1", 1, &page(7, 99, &["a"]))
            .unwrap_err();
        assert!(e.contains("answered startIndex 7"), "{e}");
    }

    #[test]
    fn a_listing_that_never_ends_stops_at_the_cap() {
        let mut p = Pages::new();
        let mut start = 1;
        for n in 0.. {
            let id = n.to_string();
            match p.take("/Users", start, &page(start, u64::MAX, &[&id])) {
                Ok((_, Page::Next(s))) => start = s,
                Ok((_, Page::Done)) => panic!("a listing without end ended"),
                Err(e) => {
                    assert_eq!(n + 1, MAX_PAGES);
                    assert!(
                        e.contains("read 1000 pages without reaching totalResults"),
                        "{e}"
                    );
                    break;
                }
            }
        }
    }
}
