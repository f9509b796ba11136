//! Writes: create, PUT and DELETE, each answered or stored wrongly in one way.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_create_without_location_fails_the_201_check() {
    only_failure(
        Mode::NoLocation,
        "create.returns-201-with-location",
        Code::CreateStatus,
        &["without a `Location` header"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn active_false_stored_true_fails_the_read_back() {
    only_failure(
        Mode::StoresActiveTrue,
        "create.reads-back-every-attribute",
        Code::DroppedAttribute,
        &["`active` was written false and read back true"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_manager_fails_the_read_back() {
    only_failure(
        Mode::DropsManager,
        "create.reads-back-every-attribute",
        Code::DroppedAttribute,
        &["manager", "read back missing"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_create_answered_201_fails_uniqueness() {
    only_failure(
        Mode::DuplicateCreated,
        "create.duplicate-username-is-409",
        Code::Uniqueness,
        &["was answered 201, not 409"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_put_that_drops_members_fails_that_check() {
    only_failure(
        Mode::PutDropsMembers,
        "put.keeps-group-members",
        Code::State,
        &["after a PUT with 2 members, the group lists 0"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_put_that_merges_fails_the_replace_check() {
    only_failure(
        Mode::PutMerges,
        "put.replaces-user",
        Code::State,
        &["the old title is still there", "it does not merge"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_user_still_answered_fails_the_delete_check() {
    let (j, _s) = judge(Mode::GhostAfterDelete).await;
    assert_eq!(j.failed_names(), vec!["delete.then-404"], "{:#?}", j.failed);
    let f = j.finding("delete.then-404");
    assert_eq!(f.code, Code::NotDeleted);
    assert!(f.title.contains("answered 200, not 404"), "{}", f.title);
    // Cleanup cannot prove the ghosts gone, and says so instead of claiming a clean run.
    assert!(
        j.left
            .iter()
            .any(|l| l.contains("still there after DELETE")),
        "{:?}",
        j.left
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_user_left_in_its_group_warns_on_that_check() {
    only_warning(
        Mode::DeletedUserStaysMember,
        "delete.user-leaves-its-groups",
        Code::NotDeleted,
        &["a deleted user is still listed in the members of its group"],
    )
    .await;
}
