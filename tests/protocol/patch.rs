//! PATCH: op case, filtered removes, the answer, re-adds, path-less ops, value paths.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn capitalised_ops_refused_fails_the_op_case_check() {
    only_failure(
        Mode::LowercaseOpsOnly,
        "patch.ops-in-any-case",
        Code::Rejected,
        &["with op `Replace` was answered 400"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filtered_remove_that_removes_everyone_fails_that_check() {
    only_failure(
        Mode::FilteredRemoveRemovesAll,
        "patch.remove-member-by-filter",
        Code::State,
        &["not only the other member"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patch_answered_200_empty_fails_the_answer_check() {
    only_failure(
        Mode::PatchAnswersEmpty200,
        "patch.answer-200-with-resource-or-204",
        Code::UpdateBody,
        &["a PATCH was answered 200 without the updated resource"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readded_member_listed_twice_fails_the_no_op_check() {
    only_failure(
        Mode::ReAddDuplicatesMember,
        "patch.add-present-member-is-no-op",
        Code::State,
        &["the group lists 2 member entries (2 of that user)"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_path_less_ops_fail_that_check() {
    only_failure(
        Mode::DropsPathLessOps,
        "patch.path-less-and-several-ops",
        Code::State,
        &["`active` reads true, not false"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_path_that_replaces_every_email_fails_that_check() {
    only_failure(
        Mode::ValuePathReplacesAll,
        "patch.filtered-value-path",
        Code::State,
        &["the home email Some(\"new-work@example.com\")"],
    )
    .await;
}
