//! Scenario files and their selection: a file error exits 2 naming file, line and column;
//! `list` shows each scenario; a run that selects nothing is an error.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_yaml_typo_exits_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_scenario(
        dir.path(),
        "typo.yaml",
        "name: t\ndescription: d\nsymptom: s\nsteps:\n  - create_user: { user: a, userPrincipalName: a@x }\n  - soft_delete: a\n",
    );
    let out = harness(args(&["run", file.to_str().expect("utf8")]), vec![]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{}:6:5", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `soft_delete_user`?"),
        "{stderr}"
    );
    assert!(!stdout.contains("running"), "nothing ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_option_value_a_profile_refuses_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_scenario(
        dir.path(),
        "option.yaml",
        "name: t\ndescription: d\nsymptom: s\nprofiles: [entra]\noptions:\n  member_batch: lots\nsteps:\n  - sync: initial\n",
    );
    let out = harness(args(&["run", file.to_str().expect("utf8")]), vec![]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{}:6:17", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("6 |   member_batch: lots"), "{stderr}");
    assert!(
        stderr.contains("invalid value `lots` for option `member_batch`"),
        "{stderr}"
    );
    // The same value given on the command line names `--option`.
    let out = harness(
        args(&[
            "run",
            file.to_str().expect("utf8"),
            "--option",
            "member_batch=many",
        ]),
        vec![],
    )
    .await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--option member_batch: invalid value `many`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_each_scenario_with_its_symptom() {
    let out = harness(args(&["list", "scenarios/entra"]), vec![]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("entra-unassign-disables-then-soft-delete-sends-nothing  [entra]"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "symptom: Duplicate users in the app after a user was deleted and re-created in Entra"
        ),
        "{stdout}"
    );
}

/// Zero selected runs is a usage error naming what selected nothing, never a pass.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_selects_nothing_is_an_error() {
    let out = harness(
        args(&[
            "run",
            "scenarios/okta/conflict-raises-a-task-no-retry.yaml",
            "--profile",
            "entra",
        ]),
        vec![],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("error: no scenario runs selected: 1 scenario files, profiles entra"),
        "{stderr}"
    );
}

/// Two files with one `name:` would share snapshots: the second is an error at its `name:`.
#[tokio::test(flavor = "multi_thread")]
async fn two_scenarios_with_one_name_are_a_file_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = "name: same\ndescription: d\nsymptom: s\nsteps:\n  - sync: initial\n";
    let a = write_scenario(dir.path(), "a.yaml", body);
    let b = write_scenario(dir.path(), "b.yaml", body);
    let out = harness(
        vec![
            "run".into(),
            a.display().to_string(),
            b.display().to_string(),
        ],
        vec![],
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("{}:1:7", b.display()))
            && stderr.contains("scenario name `same` is also the name of"),
        "{stderr}"
    );
}
