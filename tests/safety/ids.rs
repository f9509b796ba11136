//! Ids the server makes up: path syntax, a number or nothing where a string id belongs.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn ids_made_of_path_syntax_address_only_their_own_object() {
    for (mode, label) in [
        (Mode::TraversalId, "traversal-id"),
        (Mode::PathSyntaxId, "path-syntax-id"),
    ] {
        let (ran, server) = trial(mode, label, LIFECYCLE, "hs2-", &["--profile", "all"]).await;
        expect(label, &ran, 0, &every_profile_passed());
        assert!(
            server.left_by("hs2-").await.is_empty(),
            "{label}: cleanup removed everything"
        );
        for r in server.requests() {
            assert!(
                !r.contains("/Users/a/b") && !r.contains("/Users/../"),
                "{label}: an id used as path syntax: {r}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_answers_without_a_string_id_fail_and_are_never_deleted_through_the_collection() {
    for (mode, label, says) in [
        (
            Mode::NumericId,
            "numeric-id",
            "is the number 4200, not a string",
        ),
        (
            Mode::MissingId,
            "missing-id",
            "the server's answer carries no `id`",
        ),
    ] {
        let (ran, server) =
            trial(mode, label, LIFECYCLE, "hs3-", &["--profile", "entra,okta"]).await;
        expect(label, &ran, 1, says);
        // Both users stay (they cannot be addressed), and both are named.
        assert_eq!(server.left_by("hs3-").await.len(), 2, "{label}");
        expect(label, &ran, 1, "still on the target");
    }
}
