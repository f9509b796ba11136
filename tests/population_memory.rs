//! A parsed scenario keeps a generated population as its template: parsing 200,000 users and
//! 200,000 groups leaves no more memory held than parsing 2,000 of each. The users are made
//! one by one when the step is applied, and live only in the IdP's tenant; were the parser to
//! keep one spec per user, the 100,000-user benchmark would hold them twice.
//!
//! Counted with an allocator that tracks live bytes, so the test is deterministic and untimed.
//! It is the only test in this binary: no other test allocates while it counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use scim_harness::scenario::model::{Scenario, Step};
use scim_harness::scenario::parse_str;

/// The system allocator, with a count of the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only the counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_add(new_size, Ordering::SeqCst);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The scenario with `count` generated users and groups, and the bytes it holds once parsed.
fn parse_population(count: u64) -> (Scenario, usize) {
    let text = format!(
        "name: big\ndescription: d\nsymptom: s\nsteps:\n\
         \x20 - create_users: {{ count: {count}, template: {{ user: \"u{{n}}\", \
         userPrincipalName: \"u{{n}}@contoso.com\", department: [Sales, Ops, Hr] }} }}\n\
         \x20 - create_groups: {{ count: {count}, template: {{ group: \"g{{n}}\", \
         displayName: \"Team {{n}}\" }} }}\n"
    );
    let before = LIVE.load(Ordering::SeqCst);
    let scenario = match parse_str(&text, Path::new("big.yaml")) {
        Ok(s) => s,
        Err(e) => panic!("expected to parse, got:\n{e}"),
    };
    let held = LIVE.load(Ordering::SeqCst).saturating_sub(before);
    (scenario, held)
}

#[test]
fn a_parsed_population_holds_its_template_not_its_users() {
    // The small one first: anything the parser sets up once is counted against it.
    let (_small, small) = parse_population(2_000);
    let (big, held) = parse_population(200_000);

    // One spec per user would be tens of megabytes at 200,000 (a ref, a BTreeMap of three
    // attributes, their strings); the template is a few hundred bytes whatever the count.
    assert!(
        held <= small + 1024,
        "200,000 users hold {held} bytes, 2,000 hold {small}: the parsed step grows with its count"
    );
    assert!(held < 64 * 1024, "the parsed scenario holds {held} bytes");

    // And it is still the whole population: every user and group is made on demand.
    let (Step::CreateUsers(users), Step::CreateGroups(groups)) =
        (&big.steps[0].value, &big.steps[1].value)
    else {
        panic!("{:?}", big.steps);
    };
    assert_eq!((users.len(), groups.len()), (200_000, 200_000));
    let last = users.spec(200_000);
    assert_eq!(last.user, "u200000");
    assert_eq!(groups.spec(200_000).display_name, "Team 200000");
    assert_eq!(users.specs().count(), 200_000);
    assert_eq!(users.specs().last(), Some(last));
}
