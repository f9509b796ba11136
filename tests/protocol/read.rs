//! Reads and listings: unknown ids, attribute selection, paging and the ListResponse shape.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn ignored_excluded_attributes_fails_that_check() {
    only_failure(
        Mode::IgnoresExcludedAttributes,
        "read.excluded-attributes-members",
        Code::State,
        &["excludedAttributes=members answered the group with its members"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_id_answered_200_empty_fails_the_404_check() {
    let (j, _s) = judge(Mode::UnknownIdEmpty200).await;
    // A deleted id is unknown too: the delete check sees the same 200.
    assert_eq!(
        j.failed_names(),
        vec!["delete.then-404", "read.unknown-id-is-404"],
        "{:#?}",
        j.failed
    );
    let f = j.finding("read.unknown-id-is-404");
    assert_eq!(f.code, Code::State);
    assert!(
        f.title
            .contains("GET of an id that never existed was answered 200, not 404"),
        "{}",
        f.title
    );
    assert_eq!(f.exchange.as_ref().map(|x| x.status), Some(Some(200)));
    let d = j.finding("delete.then-404");
    assert!(d.title.contains("answered 200, not 404"), "{}", d.title);
}

#[tokio::test(flavor = "multi_thread")]
async fn ignored_attributes_warns_on_the_selection_check() {
    only_warning(
        Mode::IgnoresAttributes,
        "read.attributes-selects",
        Code::State,
        &["answered displayName too (the parameter is ignored)"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ignored_paging_fails_the_paging_check() {
    only_failure(
        Mode::IgnoresPaging,
        "listing.pages-by-start-index-and-count",
        Code::Paging,
        &["held 7 resources, not 3"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn total_results_per_page_fails_the_paging_check() {
    only_failure(
        Mode::TotalResultsPerPage,
        "listing.pages-by-start-index-and-count",
        Code::Paging,
        &["totalResults 3, not 7"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn total_results_as_a_string_fails_the_list_shape_check() {
    only_failure(
        Mode::UnfilteredTotalAsString,
        "listing.list-response-shape",
        Code::ListShape,
        &[
            "malformed ListResponse",
            "`totalResults` is \"",
            "not an integer",
        ],
    )
    .await;
}
