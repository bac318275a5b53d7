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

/// Every request and response schema in the committed spec says what it holds — no `{}`, no
/// object without properties (a union says its variants) — and every instant (`*_at`, `at`) is a
/// `date-time`.
/// Where a spec holds an untyped schema or an instant that is not a `date-time`.
fn untyped(doc: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    fn check(node: &Value, path: &str, schema: bool, bad: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if schema {
                    let untyped_object = map.get("type").is_some_and(|t| t == "object")
                        && map.get("properties").is_none_or(|p| p.as_object().is_none_or(|p| p.is_empty()))
                        && !map.get("additionalProperties").is_some_and(Value::is_object)
                        && !map.contains_key("oneOf")
                        && !map.contains_key("anyOf");
                    if map.is_empty() || untyped_object {
                        bad.push(format!("{path} is untyped: {node}"));
                    }
                }
                for (k, v) in map {
                    let here = format!("{path}/{k}");
                    match k.as_str() {
                        "schema" | "items" | "additionalProperties" => check(v, &here, true, bad),
                        "allOf" | "oneOf" | "anyOf" => {
                            for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                                check(x, &format!("{here}/{i}"), true, bad);
                            }
                        }
                        "properties" if schema => {
                            for (field, s) in v.as_object().into_iter().flatten() {
                                let instant = field.ends_with("_at") || field == "at";
                                let formats = std::iter::once(s)
                                    .chain(s.get("allOf").and_then(Value::as_array).into_iter().flatten())
                                    .filter_map(|x| x.get("format"));
                                if instant && !formats.into_iter().any(|f| f == "date-time") {
                                    bad.push(format!("{here}/{field} is an instant but not a date-time: {s}"));
                                }
                                check(s, &format!("{here}/{field}"), true, bad);
                            }
                        }
                        _ => check(v, &here, false, bad),
                    }
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    check(x, &format!("{path}/{i}"), false, bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    check(&doc["paths"], "paths", false, &mut bad);
    for (name, s) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        check(s, &format!("schemas/{name}"), true, &mut bad);
    }
    bad
}

#[test]
fn every_schema_is_typed_and_every_instant_is_a_date_time() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let bad = untyped(&doc);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The check above finds what it looks for: an empty schema, an object without properties, an
/// instant without `date-time`, inside a response and among the components; a union, a typed
/// map and a `date-time` pass.
#[test]
fn the_schema_check_catches_untyped_schemas() {
    let doc = serde_json::json!({
        "paths": { "/x": { "get": { "responses": { "200": { "content": { "application/json": {
            "schema": { "type": "object", "properties": { "before": {} } } } } } } } } },
        "components": { "schemas": {
            "Loose": { "type": "object" },
            "Stamp": { "type": "object", "properties": {
                "sent_at": { "type": "string" },
                "decided_at": { "type": "string", "format": "date-time" } } },
            "Union": { "type": "object", "oneOf": [{ "$ref": "#/components/schemas/Stamp" }] },
            "Map": { "type": "object", "additionalProperties": { "type": "number" } },
        } }
    });
    let bad = untyped(&doc);
    assert_eq!(bad.len(), 3, "{bad:#?}");
    assert!(bad.iter().any(|b| b.contains("/before is untyped")), "{bad:#?}");
    assert!(bad.iter().any(|b| b.starts_with("schemas/Loose is untyped")), "{bad:#?}");
    assert!(bad.iter().any(|b| b.contains("/sent_at is an instant")), "{bad:#?}");
}

/// Rows never leave the store: no `…Row` type is named anywhere in `src` outside `src/store`.
#[test]
fn rows_stay_in_the_store() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut found = Vec::new();
    let mut store_rows = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for name in row_names(line) {
                if f.starts_with(src.join("store")) {
                    store_rows += 1;
                } else {
                    found.push(format!("{}:{}: {name}", f.strip_prefix(&src).unwrap().display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "row types named outside src/store:\n{}", found.join("\n"));
    // The scan sees the rows where they are: the store names dozens of them.
    assert!(store_rows > 30, "the scan found {store_rows} row names in src/store");
}

/// The `…Row` type names a line mentions.
fn row_names(line: &str) -> Vec<&str> {
    line.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| w.len() > 3 && w.ends_with("Row") && w.starts_with(|c: char| c.is_ascii_uppercase()))
        // A row of a Word table (docx-rs), not a stored row.
        .filter(|w| *w != "TableRow")
        .collect()
}
