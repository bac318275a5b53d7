//! A notice's reading as a programme document in the fixture format (`pilotgov/programme@1`),
//! ready for the import preview: the head from the header facts (the scope found by the
//! issuer's region name), stages, the catalogue, deliverables with their deadlines and routes,
//! the quotas, and the units the notice names, resolved to region codes. What the reading could
//! not give is filled so the document reads — a key to change, the period from the dates — and
//! the person edits it before importing.

use chrono::Datelike;
use serde_json::{Value, json};

use super::error::ServiceError;
use crate::domain::notice::dates::{DueDay, Every};
use crate::domain::notice::{Due, QuotaKind, Reading};
use crate::domain::{DocDate, Region, RegionCode, RegionLevel};
use crate::store::Store;

/// Department words after a region's name in an issuer (福建省民政厅 → 福建省).
const DEPARTMENTS: [&str; 9] =
    ["人民政府办公厅", "人民政府办公室", "人民政府", "民政厅", "民政局", "社会事业局", "办公厅", "办公室", "委员会"];

/// The region an issuer stands for: the longest region name its words end with, checked
/// against the words before it (安顺市西秀区 → 西秀区 under 安顺市).
async fn issuer_region(store: &Store, issuer: &str) -> Result<Option<Region>, ServiceError> {
    let mut place = issuer.trim();
    for d in DEPARTMENTS {
        if let Some(p) = place.strip_suffix(d) {
            place = p;
            break;
        }
    }
    let chars: Vec<char> = place.chars().collect();
    // Try the whole place name, then shorter tails (安顺市西秀区, 顺市西秀区, 市西秀区, 西秀区…).
    for start in 0..chars.len().saturating_sub(1) {
        let tail: String = chars[start..].iter().collect();
        let before: String = chars[..start].iter().collect();
        let hits = store.search_regions(&tail, None, 50).await?;
        let exact: Vec<Region> = hits.into_iter().filter(|r| r.name == tail).collect();
        if exact.is_empty() {
            continue;
        }
        if exact.len() == 1 {
            return Ok(exact.into_iter().next());
        }
        // Several regions of that name: the one under the region the words before name.
        for r in &exact {
            let above = store.regions(&r.code.implied_path()).await?;
            if above.iter().any(|a| a.code != r.code && !before.is_empty() && before.contains(&a.name)) {
                return Ok(Some(r.clone()));
            }
        }
    }
    Ok(None)
}

/// A region named in the notice, inside `scope`: by its full name, or by a short form
/// (东街办 → 东街街道, 平潭 → 平潭综合实验区).
async fn named_region(store: &Store, name: &str, scope: &RegionCode) -> Result<Option<Region>, ServiceError> {
    let hits = store.search_regions(name, Some(scope), 20).await?;
    if let Some(r) = hits.iter().find(|r| r.name == name) {
        return Ok(Some(r.clone()));
    }
    if hits.len() == 1 {
        return Ok(hits.into_iter().next());
    }
    let stem = name.trim_end_matches(['办', '镇', '乡']);
    if stem.chars().count() >= 2 && stem != name {
        let hits = store.search_regions(stem, Some(scope), 20).await?;
        if hits.len() == 1 {
            return Ok(hits.into_iter().next());
        }
    }
    Ok(None)
}

fn level_str(l: RegionLevel) -> &'static str {
    l.as_str()
}

fn one_below(l: RegionLevel) -> RegionLevel {
    match l {
        RegionLevel::Nation => RegionLevel::Province,
        RegionLevel::Province => RegionLevel::City,
        RegionLevel::City => RegionLevel::County,
        _ => RegionLevel::Township,
    }
}

/// The words that name a recurring deadline: from its date phrase to what is filed
/// (每月15日至20日传送动态电子信息, out of a long sentence listing several); the sentence's
/// start when the title does not follow the date in it.
fn recurring_text(text: &str, d: &crate::domain::notice::DeliverableDraft) -> String {
    let (span, sentence) = (&d.source.span, &d.source.sentence);
    let from_date = text.get(span.start..sentence.end.max(span.start)).unwrap_or_default();
    match from_date.find(d.title.as_str()) {
        Some(i) => from_date[..i + d.title.len()].chars().take(100).collect(),
        None => d.sentence.chars().take(100).collect(),
    }
}

/// The draft document of the notice `text` as read into `r`; `fallback_scope` is the asking
/// department's region, used when the issuer's region is not found.
pub async fn document(
    store: &Store,
    text: &str,
    r: &Reading,
    fallback_scope: &RegionCode,
) -> Result<Value, ServiceError> {
    let h = &r.header;
    let issuer = h.issuer.as_ref().map(|f| f.value.clone()).unwrap_or_else(|| "（发文机关）".into());
    let scope = match h.issuer.as_ref() {
        Some(f) => issuer_region(store, &f.value).await?.map(|r| r.code),
        None => None,
    }
    .unwrap_or_else(|| fallback_scope.clone());
    // The title of the programme: the document a 印发 notice carries (《…方案》), else the title.
    let title = h
        .title
        .as_ref()
        .map(|t| match (t.value.find('《'), t.value.rfind('》')) {
            (Some(a), Some(b)) if a < b => t.value[a + '《'.len_utf8()..b].to_owned(),
            _ => t.value.trim_end_matches("的通知").to_owned(),
        })
        .unwrap_or_else(|| format!("{issuer}试点工作"));
    let issued = h.issued.as_ref().map(|f| DocDate::day(f.value));

    // The period: from the earliest date the programme names to the latest.
    let mut starts: Vec<DocDate> = r.stages.iter().filter_map(|s| s.start.clone()).collect();
    starts.extend(issued.clone());
    let mut ends: Vec<DocDate> = r.stages.iter().filter_map(|s| s.end.clone()).collect();
    // A stage that only starts (2019年8月起) runs to the end of its year at least.
    ends.extend(
        r.stages
            .iter()
            .filter(|s| s.end.is_none())
            .filter_map(|s| s.start.as_ref())
            .filter_map(|d| DocDate::parse(&format!("{}年12月", d.first().year())).ok()),
    );
    ends.extend(r.deliverables.iter().filter_map(|d| match &d.due {
        Due::Fixed(day) => Some(day.clone()),
        _ => None,
    }));
    let start = starts.iter().min_by_key(|d| d.first()).cloned();
    let end = ends.iter().max_by_key(|d| d.last()).cloned().or_else(|| {
        let y = start.as_ref().map(|s| s.first().year()).or(r.year)?;
        DocDate::parse(&format!("{y}年12月")).ok()
    });
    let year = start.as_ref().map(|s| s.first().year()).or(r.year).unwrap_or(2000);
    let start_text = start.as_ref().map(|d| d.text().to_owned()).unwrap_or_else(|| format!("{year}年1月"));
    // A period ends on a day, not before it: 2023年11月底前 → 2023年11月底.
    let end_text = end
        .as_ref()
        .map(|d| d.text().trim_end_matches('前').trim_end_matches(['之', '以']).to_owned())
        .unwrap_or_else(|| format!("{year}年12月"));
    let month_of = |d: Option<&DocDate>, fallback: chrono::NaiveDate| {
        let d = d.map(|d| d.first()).unwrap_or(fallback);
        (d.year(), d.month())
    };

    // Who the units are: townships when the notice names them, else the level its quotas name,
    // else one below the scope.
    let township =
        r.units.iter().flat_map(|u| &u.names).any(|n| n.ends_with(['镇', '乡', '办']) || n.ends_with("街道"));
    let quota_text = r.quotas.iter().any(|q| q.kind == QuotaKind::UnitsPerGroup);
    let unit_level = if township {
        RegionLevel::Township
    } else if quota_text {
        one_below(r.quotas.iter().find_map(|q| q.group_level).unwrap_or(scope.level()))
    } else {
        one_below(scope.level())
    };

    let bounds =
        |kind: QuotaKind| r.quotas.iter().find(|q| q.kind == kind).map(|q| json!({ "min": q.min, "max": q.max }));
    let mut exceptions = Vec::new();
    for e in &r.exceptions {
        if let Some(region) = named_region(store, &e.name, &scope).await? {
            exceptions.push(json!({ "region": region.code.as_str(), "name": e.name, "own_group": true,
                                     "files_directly": false, "any_level": false, "note": e.note }));
        }
    }
    let stage_key = |i: usize| format!("stage-{}", i + 1);
    let stages: Vec<Value> = r
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.start.is_some())
        .map(|(i, s)| {
            json!({ "key": stage_key(i), "name": s.name,
                    "start": s.start.as_ref().map(DocDate::text),
                    "end": s.end.as_ref().map(|e| e.text().to_owned()).unwrap_or_else(|| end_text.clone()),
                    "description": s.description })
        })
        .collect();
    let directions: Vec<Value> = r
        .directions
        .iter()
        .map(|d| {
            json!({ "number": d.number, "title": d.title, "text": d.text,
                    "kind": match d.kind { crate::domain::DirectionKind::Choice => "choice", _ => "assigned" },
                    "group": d.group,
                    "responsible": d.responsible.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() })
        })
        .collect();
    let period_first = start.as_ref().map(|d| d.first()).unwrap_or_default();
    let period_last = end.as_ref().map(|d| d.last()).unwrap_or_default();
    let mut deliverables = Vec::new();
    for (i, d) in r.deliverables.iter().enumerate() {
        let stage = d.stage.and_then(|s| r.stages.get(s));
        let deadline = match &d.due {
            Due::Fixed(day) => json!({ "kind": "fixed", "due": day.text() }),
            Due::Recurring(rc) => {
                let every = match rc.every {
                    Every::Month => "month",
                    Every::Quarter => "quarter",
                    Every::Year { .. } => "year",
                    // The import format has no half-year deadline: a person pins it.
                    Every::HalfYear => continue,
                };
                let mut from = month_of(stage.and_then(|s| s.start.as_ref()), period_first);
                let mut to = month_of(stage.and_then(|s| s.end.as_ref()), period_last);
                if let Every::Year { month } = rc.every {
                    // The months of `month` inside the window; none: a person pins it.
                    let Some(span) = crate::domain::deadline::months_named(from, to, month) else { continue };
                    (from, to) = span;
                }
                json!({
                    "kind": "recurring", "every": every,
                    "from": format!("{:04}-{:02}", from.0, from.1),
                    "to": format!("{:04}-{:02}", to.0, to.1),
                    "opens_day": rc.opens_day,
                    "due_day": match rc.due_day { DueDay::Day(n) => json!(n), DueDay::Last => json!("last") },
                    "text": recurring_text(text, d),
                })
            }
            // Words a person must pin stay in the reading's unread list.
            _ => continue,
        };
        let route: Vec<Value> = if d.route.is_empty() {
            vec![json!({ "level": level_str(scope.level()), "action": "file" })]
        } else {
            d.route.iter().map(|(l, a)| json!({ "level": level_str(*l), "action": a })).collect()
        };
        deliverables.push(json!({
            "key": format!("deliverable-{}", i + 1), "title": d.title,
            "description": d.sentence.chars().take(300).collect::<String>(),
            "stage": d.stage.filter(|s| r.stages[*s].start.is_some()).map(stage_key),
            "deadline": deadline, "route": route, "audience": "all",
        }));
    }
    let mut units = Vec::new();
    for named in &r.units {
        for n in &named.names {
            if let Some(region) = named_region(store, n, &scope).await? {
                units.push(
                    json!({ "region": region.code.as_str(), "demonstration": named.demonstration, "directions": [] }),
                );
            }
        }
    }
    let key = format!(
        "draft-{}",
        issued.as_ref().map(|d| d.first().format("%Y%m%d").to_string()).unwrap_or(year.to_string())
    );
    Ok(json!({
        "format": crate::service::document::PROGRAMME_FORMAT,
        "programme": {
            "key": key, "title": title, "issuer": issuer,
            "doc_number": h.doc_number.as_ref().map(|f| f.value.clone()),
            "issued": issued.as_ref().map(|d| d.text().to_owned()).unwrap_or_else(|| start_text.clone()),
            "period": { "start": start_text, "end": end_text },
            "scope": scope.as_str(), "unit_level": level_str(unit_level),
            "rules": {
                "directions_per_unit": bounds(QuotaKind::DirectionsPerUnit),
                "directions_per_group": bounds(QuotaKind::DirectionsPerGroup),
                "units_per_group": bounds(QuotaKind::UnitsPerGroup),
                "group_level": r.quotas.iter().find_map(|q| q.group_level).map(level_str),
                "exceptions": exceptions,
            },
        },
        "stages": stages, "directions": directions, "deliverables": deliverables, "units": units,
    }))
}
