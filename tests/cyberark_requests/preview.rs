//! Preview mode: the reads are sent, every write is withheld and logged.

use super::*;

/// What one log record previewed: method, path relative to the base URL, body.
fn previewed(report: &CycleReport, object: &str) -> Vec<(String, String, Option<Value>)> {
    let rec = report
        .records
        .iter()
        .find(|r| r.object == object)
        .unwrap_or_else(|| panic!("a record for {object}"));
    assert_eq!(rec.skip_reason.as_deref(), Some("Preview"), "{object}");
    rec.preview
        .iter()
        .map(|p| (p.method.to_string(), p.path.clone(), p.body.clone()))
        .collect()
}

#[tokio::test]
async fn preview_mode_sends_the_reads_and_logs_every_write_it_withholds() {
    let app = App::start(&[("preview", "true")]).await;
    let legacy =
        json!({"schemas": [CORE_USER], "userName": "Alice@Contoso.com", "title": "Intern"});
    app.seed("Users", "x-1", legacy.clone());
    let team =
        json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": [{"value": "x-9"}]});
    app.seed("Groups", "g-0", team.clone());
    let mut engine = app.engine();
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    add_user(&mut tenant, "bob");
    tenant
        .create_group("team", "Team", &["alice".to_string(), "bob".to_string()])
        .expect("create team");
    for object in ["alice", "bob", "team"] {
        tenant.assign(object).expect("assign");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("a provisioning job runs");

    // Reads only: alice matched (overwrite adopts her, so she is read for the PUT), bob not
    // found, the existing destination group found by listing.
    assert_eq!(
        app.take().await,
        vec![
            match_user("alice@contoso.com"),
            get(&user_path("x-1")),
            match_user("bob@contoso.com"),
            list_groups(),
        ]
    );
    assert_eq!(
        report.requests,
        BTreeMap::from([("GET", 4)]),
        "only what was sent is counted"
    );
    // The target is untouched.
    let mut kept = legacy;
    kept["id"] = json!("x-1");
    assert_eq!(app.resource("Users", "x-1"), Some(kept));
    let mut kept_team = team;
    kept_team["id"] = json!("g-0");
    assert_eq!(app.resource("Groups", "g-0"), Some(kept_team));
    assert_eq!(app.resource("Users", "u-1"), None, "bob was not created");

    // The log says what each write would have been.
    assert_eq!(
        previewed(&report, "alice"),
        vec![(
            "PUT".into(),
            "/Users/x-1".into(),
            Some(user_body("alice", true))
        )]
    );
    assert_eq!(
        previewed(&report, "bob"),
        vec![("POST".into(), "/Users".into(), Some(user_body("bob", true)))]
    );
    assert_eq!(
        previewed(&report, "team"),
        vec![(
            "PATCH".into(),
            "/Groups/g-0".into(),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": "x-1"}]}
            ]}))
        )],
        "bob has no target id yet, so only alice would be added"
    );
    let bob = report.records.iter().find(|r| r.object == "bob");
    assert!(
        bob.and_then(|r| r.reason.as_deref())
            .is_some_and(|r| r.contains("preview mode: would have sent POST /Users")),
        "{bob:?}"
    );

    // Nothing was written, so nothing is retried: the next push sends nothing.
    push(&mut engine, &tenant).await;
    assert_eq!(app.take().await, vec![]);
}
