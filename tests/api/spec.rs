//! The committed `openapi/openapi.json` is what the code generates. Regenerate with
//! `UPDATE_OPENAPI=1 cargo test --test api spec` (or `pilotgov openapi > openapi/openapi.json`).

use crate::helpers::TestApp;

#[tokio::test]
async fn committed_spec_matches_the_code() {
    let t = TestApp::new().await;
    let generated = pilotgov::app::spec_json(t.app.state.clone());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(path).expect("openapi/openapi.json is committed");
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json differs from the code; regenerate it with UPDATE_OPENAPI=1 cargo test --test api spec"
    );
    // The served spec is the same document.
    let (s, served) = t.get("/api/v1/openapi.json").await;
    assert_eq!(s, 200);
    assert_eq!(served, serde_json::from_str::<serde_json::Value>(&generated).unwrap());
    // Every operation has an explicit operationId.
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path} has no operationId");
        }
    }
}
