//! Filters: case, unsupported filters, `externalId`, `displayName`, `and`, value paths.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_case_sensitive_username_filter_fails_that_check() {
    only_failure(
        Mode::CaseSensitiveUserName,
        "filter.username-eq-ignores-case",
        Code::State,
        &["found nothing"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_filter_answered_with_everything_fails_that_check() {
    only_failure(
        Mode::BadFilterListsAll,
        "filter.unsupported-is-400",
        Code::FilterIgnored,
        &["was answered 200 with", "not 400 invalidFilter"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ignored_externalid_filter_fails_that_check() {
    only_failure(
        Mode::IgnoreFilterWith("externalId eq"),
        "filter.externalid-eq",
        Code::FilterIgnored,
        &["the filter `externalId eq", "not only the one it names"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ignored_group_displayname_filter_fails_that_check() {
    only_failure(
        Mode::IgnoreFilterWith("displayName eq"),
        "filter.group-displayname-eq",
        Code::FilterIgnored,
        &["the filter `displayName eq", "not only the one it names"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn case_sensitive_attribute_names_fail_that_check() {
    only_failure(
        Mode::CaseSensitiveFilterNames,
        "filter.names-and-operators-ignore-case",
        Code::Rejected,
        &["the filter `USERNAME Eq", "was answered 400, not 200"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ignored_and_filter_warns_on_that_check() {
    only_warning(
        Mode::IgnoreFilterWith(" and "),
        "filter.and",
        Code::FilterIgnored,
        &["and active eq false` answered 1 resources; none match"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ignored_email_type_filter_warns_on_that_check() {
    only_warning(
        Mode::IgnoreFilterWith("emails[type eq"),
        "filter.email-type-value-eq",
        Code::FilterIgnored,
        &[
            "the filter `emails[type eq \"work\"].value eq",
            "not only the one it names",
        ],
    )
    .await;
}
