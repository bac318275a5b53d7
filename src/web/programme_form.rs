//! A programme built in forms (逐项填写) instead of uploaded: the form becomes a document in the
//! fixture format, which goes to the same preview as an upload — every stage with its dates,
//! every deadline, every problem at its place — and is imported from there. Nothing is stored
//! before the import.

use poem::web::Data;
use poem::{Request, Response, handler};
use serde_json::{Value, json};

use super::fields::{Fields, posted_fields};
use super::setup::{may_set_up, show_preview};
use crate::api::State;

/// The routes a new deliverable may take, as the form offers them.
const ROUTES: &[(&str, &[(&str, &str)])] = &[
    ("none", &[]),
    ("county-file", &[("county", "file")]),
    ("city-file", &[("city", "file")]),
    ("province-file", &[("province", "file")]),
    ("county-review-city-file", &[("county", "review"), ("city", "file")]),
    ("city-review-province-file", &[("city", "review"), ("province", "file")]),
];

/// The rows of a repeated group of fields (`stage_name`, `stage_start`, …), blank rows left out.
fn rows<'a>(f: &'a Fields, names: &[&str]) -> Vec<Vec<&'a str>> {
    let columns: Vec<Vec<&str>> = names.iter().map(|n| f.all(n).map(str::trim).collect()).collect();
    let n = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..n)
        .map(|i| columns.iter().map(|c| c.get(i).copied().unwrap_or("")).collect::<Vec<_>>())
        .filter(|row| row.iter().any(|v| !v.is_empty()))
        .collect()
}

fn bounds(f: &Fields, name: &str) -> Value {
    let n = |s: &str| s.parse::<u64>().ok();
    match (n(f.get(&format!("{name}_min"))), n(f.get(&format!("{name}_max")))) {
        (None, None) => Value::Null,
        (min, max) => json!({ "min": min.unwrap_or(0), "max": max }),
    }
}

fn blank_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

/// The document the form describes, as YAML.
pub(super) fn document(f: &Fields) -> String {
    let stages: Vec<Value> = rows(f, &["stage_name", "stage_start", "stage_end"])
        .iter()
        .enumerate()
        .map(|(i, r)| json!({ "key": format!("stage-{}", i + 1), "name": r[0], "start": r[1], "end": r[2] }))
        .collect();
    let kind = if f.get("direction_kind") == "assigned" { "assigned" } else { "choice" };
    let directions: Vec<Value> = f
        .get("directions")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| json!({ "number": i + 1, "title": l, "text": l, "kind": kind }))
        .collect();
    let deliverables: Vec<Value> = rows(f, &["deliverable_title", "deliverable_due", "deliverable_route"])
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let route = ROUTES.iter().find(|(k, _)| *k == r[2]).map(|(_, steps)| *steps).unwrap_or_default();
            let route: Vec<Value> =
                route.iter().map(|(level, action)| json!({ "level": level, "action": action })).collect();
            json!({ "key": format!("deliverable-{}", i + 1), "title": r[0],
                    "deadline": { "kind": "fixed", "due": r[1] }, "route": route })
        })
        .collect();
    let group = f.get("group_level");
    let doc = json!({
        "format": "pilotgov/programme@1",
        "programme": {
            "key": f.get("key"), "title": f.get("title"), "issuer": f.get("issuer"),
            "doc_number": blank_null(f.get("doc_number")), "issued": f.get("issued"),
            "period": { "start": f.get("period_start"), "end": f.get("period_end") },
            "scope": f.get("scope"), "unit_level": f.get("unit_level"),
            "rules": {
                "directions_per_unit": bounds(f, "directions_per_unit"),
                "directions_per_group": bounds(f, "directions_per_group"),
                "units_per_group": bounds(f, "units_per_group"),
                "group_level": blank_null(group),
            },
            "summary": blank_null(f.get("summary")),
        },
        "stages": stages,
        "directions": directions,
        "deliverables": deliverables,
        "units": [],
    });
    serde_yaml_ng::to_string(&doc).unwrap_or_default()
}

/// `POST /ui/programmes/new/build`: the form's document, previewed.
#[handler]
pub async fn build(req: &Request, Data(state): Data<&State>, body: String) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    if let Some(r) = may_set_up(&p) {
        return r;
    }
    show_preview(req, state, &p, &document(&f)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::import::parse_programme;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_form_becomes_a_document_the_import_reads() {
        let f = form(&[
            ("key", "jx-2026-pilot"),
            ("title", "江西省社会救助改革试点"),
            ("issuer", "江西省民政厅"),
            ("issued", "2026年3月1日"),
            ("period_start", "2026年3月1日"),
            ("period_end", "2026年12月底"),
            ("scope", "360000"),
            ("unit_level", "county"),
            ("group_level", "city"),
            ("directions_per_unit_min", "1"),
            ("directions_per_unit_max", "2"),
            ("units_per_group_max", "2"),
            ("stage_name", "部署阶段"),
            ("stage_start", "2026年3月"),
            ("stage_end", "2026年4月"),
            ("stage_name", ""),
            ("stage_start", ""),
            ("stage_end", ""),
            ("stage_name", "实施阶段"),
            ("stage_start", "2026年5月"),
            ("stage_end", "2026年11月"),
            ("directions", "救助+医保\n\n  服务类救助  \n"),
            ("deliverable_title", "试点实施方案"),
            ("deliverable_due", "2026年4月20日前"),
            ("deliverable_route", "city-review-province-file"),
        ]);
        let text = document(&f);
        let doc = parse_programme(&text).unwrap_or_else(|p| panic!("{p:?}\n{text}"));
        let (b, _, _) = doc.into_bundle().unwrap();
        assert_eq!(b.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["部署阶段", "实施阶段"]);
        assert_eq!(b.directions.iter().map(|d| d.title.as_str()).collect::<Vec<_>>(), ["救助+医保", "服务类救助"]);
        assert_eq!(b.deliverables[0].route.len(), 2);
        assert_eq!(b.programme.rules.units_per_group.map(|u| (u.min, u.max)), Some((0, Some(2))));
    }
}
