//! The protocol suite: the built-in server passes every check (through the binary, as a user
//! runs it), and a server carrying exactly one bug fails exactly the checks that name it,
//! with a finding that names the behaviour and the exchange it was judged on.

mod hostile;

use std::path::PathBuf;
use std::time::Duration;

use hostile::{Hostile, Mode, TOKEN};
use scim_harness::check::finding::{Code, Finding, Severity};
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::runner::Verdict;
use scim_harness::protocol::{self, SuiteSettings};

/// What the suite made of a server: failed check → its finding, and warnings by check.
struct Judged {
    failed: Vec<(String, Finding)>,
    warned: Vec<(String, Finding)>,
    passed: usize,
    left: Vec<String>,
    prefix: String,
}

impl Judged {
    fn failed_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.failed.iter().map(|(n, _)| n.as_str()).collect();
        v.sort();
        v
    }

    fn finding(&self, name: &str) -> &Finding {
        &self
            .failed
            .iter()
            .chain(self.warned.iter())
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no finding for {name}"))
            .1
    }
}

async fn judge(mode: Mode) -> (Judged, Hostile) {
    let server = Hostile::start(mode).await;
    let client = ScimClient::new(
        &server.url,
        Some(Secret::new(TOKEN)),
        Duration::from_secs(10),
    )
    .expect("client");
    let prefix = format!("pt{}-", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let settings = SuiteSettings {
        prefix: prefix.clone(),
        timeout: Duration::from_secs(10),
        check_timeout: Duration::from_secs(60),
        cleanup: true,
    };
    let results = protocol::run_suite(&protocol::checks(), &client, &settings, |_| {}).await;
    let mut judged = Judged {
        failed: vec![],
        warned: vec![],
        passed: 0,
        left: vec![],
        prefix,
    };
    for r in results {
        let name = r
            .outcome
            .scenario
            .strip_prefix(protocol::SCENARIO_PREFIX)
            .expect("prefixed")
            .to_string();
        assert_eq!(r.outcome.profile, "protocol");
        judged.left.extend(r.left);
        match r.outcome.verdict {
            Verdict::Failed => {
                let cause = r
                    .outcome
                    .failure
                    .and_then(|f| f.cause)
                    .expect("a failure has its finding");
                judged.failed.push((name, cause));
            }
            Verdict::Passed => {
                judged.passed += 1;
                if let Some(f) = r.outcome.findings.first() {
                    judged.warned.push((name, f.clone()));
                }
            }
            other => panic!("{name}: unexpected verdict {other:?}"),
        }
    }
    (judged, server)
}

/// The one failing check, its code, and words of its title.
async fn only_failure(mode: Mode, check: &str, code: Code, words: &[&str]) -> Judged {
    let (j, server) = judge(mode).await;
    assert_eq!(j.failed_names(), vec![check], "{:#?}", j.failed);
    let f = j.finding(check);
    assert_eq!(f.code, code, "{f:#?}");
    assert_eq!(f.severity, Severity::Error);
    for w in words {
        assert!(f.title.contains(w), "{w:?} not in {:?}", f.title);
    }
    assert!(f.exchange.is_some(), "the finding names its exchange");
    assert!(f.reference.contains("RFC 76"), "{}", f.reference);
    // Whatever a check created is gone (ghost mode keeps answering GETs, so it is exempt).
    assert!(
        server.left_by(&j.prefix).await.is_empty(),
        "left on the server"
    );
    j
}

/// The one check that warns (an optional behaviour broken), nothing failing, and words of its
/// title.
async fn only_warning(mode: Mode, check: &str, code: Code, words: &[&str]) -> Judged {
    let (j, server) = judge(mode).await;
    assert!(j.failed.is_empty(), "{:#?}", j.failed);
    let warned: Vec<&str> = j.warned.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(warned, vec![check], "{:#?}", j.warned);
    let f = j.finding(check);
    assert_eq!(f.code, code, "{f:#?}");
    assert_eq!(f.severity, Severity::Warning);
    for w in words {
        assert!(f.title.contains(w), "{w:?} not in {:?}", f.title);
    }
    assert!(f.exchange.is_some(), "the finding names its exchange");
    assert!(
        server.left_by(&j.prefix).await.is_empty(),
        "left on the server"
    );
    j
}

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_server_passes_every_check_and_keeps_nothing() {
    let (j, server) = judge(Mode::Honest).await;
    assert!(j.failed.is_empty(), "{:#?}", j.failed);
    assert!(j.warned.is_empty(), "{:#?}", j.warned);
    assert_eq!(j.passed, protocol::checks().len());
    assert!(j.left.is_empty(), "{:?}", j.left);
    assert!(server.left_by(&j.prefix).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn any_token_accepted_fails_both_auth_checks() {
    let (j, _s) = judge(Mode::AcceptAnyToken).await;
    assert_eq!(
        j.failed_names(),
        vec!["auth.no-token-is-401", "auth.wrong-token-is-401"],
        "{:#?}",
        j.failed
    );
    let f = j.finding("auth.no-token-is-401");
    assert_eq!(f.code, Code::Auth);
    assert!(
        f.title.contains("without a token was answered 200"),
        "{}",
        f.title
    );
    assert_eq!(f.exchange.as_ref().map(|x| x.status), Some(Some(200)));
}

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
async fn missing_discovery_fails_the_discovery_checks() {
    let (j, _s) = judge(Mode::NoDiscovery).await;
    assert_eq!(
        j.failed_names(),
        vec![
            "discovery.resource-types",
            "discovery.schemas",
            "discovery.service-provider-config"
        ],
        "{:#?}",
        j.failed
    );
    let f = j.finding("discovery.schemas");
    assert_eq!(f.code, Code::Discovery);
    assert!(
        f.title.contains("GET /Schemas was answered 404"),
        "{}",
        f.title
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn html_content_type_fails_only_the_content_type_check() {
    only_failure(
        Mode::HtmlContentType,
        "errors.content-type-scim-json",
        Code::ContentType,
        &["text/html"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn html_error_pages_fail_the_error_checks_and_warn_on_the_401() {
    let (j, _s) = judge(Mode::HtmlErrors).await;
    assert_eq!(
        j.failed_names(),
        vec![
            "create.duplicate-username-is-409",
            "errors.content-type-scim-json",
            "errors.scim-error-body",
            "filter.unsupported-is-400",
        ],
        "{:#?}",
        j.failed
    );
    let f = j.finding("errors.scim-error-body");
    assert_eq!(f.code, Code::ErrorBody);
    assert!(
        f.title
            .contains("a 404 is not a SCIM Error: the body is not JSON"),
        "{}",
        f.title
    );
    // Optional per the RFC: a warning, not a failure.
    let w = j.finding("auth.401-has-challenge-and-scim-error");
    assert_eq!(w.severity, Severity::Warning);
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
async fn a_deleted_user_left_in_its_group_warns_on_that_check() {
    only_warning(
        Mode::DeletedUserStaysMember,
        "delete.user-leaves-its-groups",
        Code::NotDeleted,
        &["a deleted user is still listed in the members of its group"],
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

#[tokio::test(flavor = "multi_thread")]
async fn no_etag_header_warns_on_the_etag_check() {
    only_warning(
        Mode::NoEtagHeader,
        "discovery.etag-supported-means-etag",
        Code::Discovery,
        &["etag.supported but GET /Users/{id} carries no ETag header"],
    )
    .await;
}

// The binary, as a user runs it.

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn harness(args: &[&str]) -> (Option<i32>, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .current_dir(root())
            .args(&args)
            .env_remove("SCIM_TOKEN")
            .env_remove("CI")
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_builtin_server_passes_the_whole_suite() {
    let n = protocol::checks().len();
    let (code, stdout, stderr) = harness(&["run", "--suite", "protocol"]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{n} passed, 0 failed")),
        "{stdout}"
    );
    assert!(stdout.contains("PASS protocol protocol-create.returns-201-with-location"));
    assert!(
        !stdout.contains("scenario runs"),
        "no scenario ran: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_is_selected_by_name_or_group_and_a_typo_is_a_usage_error() {
    let (code, stdout, _) = harness(&[
        "run",
        "--check",
        "protocol/create.returns-201-with-location",
    ])
    .await;
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let (code, stdout, _) = harness(&["run", "--check", "auth"]).await;
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
    let (code, _, stderr) = harness(&["run", "--check", "create.returns-201"]).await;
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("did you mean create.returns-201-with-location"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_check_exits_1_and_names_its_cause_and_idps() {
    let server = Hostile::start(Mode::NoLocation).await;
    let (code, stdout, stderr) = harness(&[
        "run",
        "--suite",
        "protocol",
        "--target",
        &server.url,
        "--token",
        TOKEN,
    ])
    .await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL protocol protocol-create.returns-201-with-location"),
        "{stdout}"
    );
    assert!(stdout.contains("F-CREATE-STATUS"), "{stdout}");
    assert!(stdout.contains("Entra (E-19), Okta (O-11)"), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_each_check_with_its_section_and_idps() {
    let (code, stdout, _) = harness(&["list", "--suite", "protocol"]).await;
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("protocol/filter.username-eq-ignores-case  [protocol]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rfc:     RFC 7644 §3.4.2.4 — required"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{} protocol checks", protocol::checks().len())));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feature_the_server_says_it_lacks_is_not_applicable_never_silently_skipped() {
    let server = Hostile::start(Mode::Honest).await;
    let client = ScimClient::new(
        &server.url,
        Some(Secret::new(TOKEN)),
        Duration::from_secs(10),
    )
    .expect("client");
    let settings = SuiteSettings {
        prefix: "pt-na-".into(),
        timeout: Duration::from_secs(10),
        check_timeout: Duration::from_secs(60),
        cleanup: true,
    };
    let says = serde_json::json!({"patch": {"supported": false}, "filter": {"supported": true}});
    let patch = protocol::select(&["patch.ops-in-any-case".into()]).expect("exists");
    let r = protocol::run_check(patch[0], &client, &settings, Some(&says)).await;
    assert_eq!(r.outcome.verdict, Verdict::Skipped);
    assert_eq!(
        r.outcome.warnings,
        vec!["not applicable (the server says `patch.supported: false` in /ServiceProviderConfig)"]
    );
    assert_eq!(r.outcome.requests, 0);
    // A check that needs nothing the server denies still runs.
    let filter = protocol::select(&["filter.externalid-eq".into()]).expect("exists");
    let r = protocol::run_check(filter[0], &client, &settings, Some(&says)).await;
    assert_eq!(r.outcome.verdict, Verdict::Passed);
    assert!(r.outcome.requests > 0);
}
