//! The bench's oha driver (benches/support/oha.rs): how the harness's requests are split into
//! the classes oha drives (oha itself is not needed).

use serde_json::json;

#[allow(dead_code)]
#[path = "../benches/support/oha.rs"]
mod oha;

/// Each class is driven with its own requests: classes first appear in an order that is not
/// their names' (`POST /Users` before `GET /Groups?`), and every URL in a class's file is
/// of that class, with the class's bodies beside it.
#[test]
fn every_class_reads_its_own_urls_and_bodies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = [
        json!(["GET", "/Users?filter=userName%20eq%20%22a%22", null, null]),
        json!(["POST", "/Users", {"userName": "a"}, "id-a"]),
        json!(["POST", "/Groups", {"displayName": "g"}, "id-g"]),
        json!(["PATCH", "/Groups/id-g", {"Operations": []}, null]),
        json!([
            "GET",
            "/Groups?filter=displayName%20eq%20%22g%22",
            null,
            null
        ]),
        json!(["POST", "/Users", {"userName": "b"}, "id-b"]),
    ];
    let replay = dir.path().join("replay.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&replay, text).expect("write replay");
    let counts = oha::split(&replay, "http://t", dir.path()).expect("split");
    let names: Vec<&str> = counts.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "GET /Groups?",
            "GET /Users?",
            "PATCH /Groups/{id}",
            "POST /Groups",
            "POST /Users"
        ]
    );
    for (class, (count, n)) in &counts {
        let (urls, bodies) = oha::files(dir.path(), *n);
        let urls = std::fs::read_to_string(urls).expect("urls");
        let method = class.split(' ').next().unwrap_or_default();
        for url in urls.lines() {
            let path = url.strip_prefix("http://t").expect("base");
            assert_eq!(
                &oha::class_of(method, path),
                class,
                "{url} in {class}'s file"
            );
        }
        assert_eq!(urls.lines().count() as u64, *count, "{class}");
        let bodies = std::fs::read_to_string(bodies).expect("bodies");
        let expected = if method == "GET" { 0 } else { *count };
        assert_eq!(bodies.lines().count() as u64, expected, "{class}");
    }
    let (users, n) = counts["POST /Users"];
    assert_eq!(users, 2);
    let bodies = std::fs::read_to_string(oha::files(dir.path(), n).1).expect("bodies");
    assert!(bodies.contains("\"userName\":\"a\"") && bodies.contains("\"userName\":\"b\""));
}
