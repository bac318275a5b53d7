//! Bulletin use-cases: take a bulletin's figures from the record at one instant (a draft),
//! annotate it, publish it under the next number. A monthly bulletin of a scored programme
//! needs that month's published ranking: leaders are never shown a ranking that can still move.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, Months, NaiveDate, Utc};

use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::{CityRate, Content, Kind, Named, Practice, RankLine, Summary, Trend, Upcoming, permille};
use crate::domain::deadline::{YearMonth, local_day};
use crate::domain::filing::Timeliness;
use crate::domain::{DomainError, Key, RegionCode, Rule};
use crate::service::accounts::actor;
use crate::service::filings::{ServiceError, compliance, gate};
use crate::service::scoring::{RankEntry, entries_of};
use crate::store::Store;
use crate::store::bulletins::{BulletinRow, content};

/// What a draft is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    /// `2019-05`, or a stage key.
    pub period: String,
    /// A city (or the programme's own region, the default) the bulletin is about.
    pub region: Option<RegionCode>,
}

/// The region a bulletin is about, checked against the programme, and its path.
async fn region_of(
    store: &Store,
    scope: &RegionCode,
    region: Option<&RegionCode>,
) -> Result<(RegionCode, Vec<RegionCode>, String), ServiceError> {
    let region = region.cloned().unwrap_or_else(|| scope.clone());
    let path = region.implied_path();
    if !path.contains(scope) {
        return Err(DomainError::invalid(
            "region",
            format!(
                "{region} is outside the programme's region {scope}; a bulletin covers the programme or a region in it"
            ),
        )
        .into());
    }
    let name = store
        .region(&region)
        .await?
        .map(|r| r.name)
        .ok_or_else(|| DomainError::invalid("region", format!("unknown region {region}")))?;
    Ok((region, path, name))
}

/// The bulletin's figures at `now`. No permission check: callers check (or are the scheduler).
pub async fn compose(store: &Store, key: &Key, req: &Request, now: DateTime<Utc>) -> Result<Content, ServiceError> {
    let (stored, parts) = store.board_parts(key).await?;
    let p = &stored.programme;
    let (region, _, region_name) = region_of(store, &p.scope, req.region.as_ref()).await?;
    let (from, to, period_label, month) = match req.kind {
        Kind::Monthly => {
            let m = YearMonth::parse(&req.period)?;
            let first = NaiveDate::from_ymd_opt(m.year, m.month, 1).expect("a parsed month is valid");
            (first, m.last_day(), format!("{}年{}月", m.year, m.month), Some(m))
        }
        Kind::Stage => {
            let s = parts.stages.iter().find(|s| s.key.as_str() == req.period).ok_or_else(|| {
                DomainError::invalid("period", format!("programme `{key}` has no stage `{}`", req.period))
            })?;
            (s.window.first(), s.window.last(), s.name.clone(), None)
        }
    };

    // The ranking comes first: without it a monthly bulletin of a scored programme is refused.
    let scheme = store.scheme(key).await?;
    let mut ranking = Vec::new();
    let mut ranking_version = None;
    let mut trends = Vec::new();
    if let (Some(m), Some(scheme)) = (month, &scheme)
        && scheme.ranks(m)
    {
        let row = store.rankings(key, &m.to_string()).await?.pop().ok_or_else(|| {
            DomainError::rule(
                Rule::RankingNotPublished,
                format!(
                    "the {m} ranking of `{key}` is not published yet; publish it first \
                     (POST /api/v1/programmes/{key}/rankings/{m}/publish), then draft the bulletin"
                ),
            )
        })?;
        ranking_version = Some(row.version as u32);
        let entries = entries_of(&row)?;
        let in_region = |u: &RegionCode| u.implied_path().contains(&region);
        ranking = entries.iter().filter(|e| in_region(&e.unit)).map(rank_line).collect();
        trends = score_trends(store, key, scheme.ranking_from, m, &ranking).await?;
    }

    let principal = Principal::system_reader("bulletin");
    let matrix = compliance(store, &principal, key, Some(&region), now).await?;
    let in_period = |d: NaiveDate| from <= d && d <= to;
    // "What falls due next": the two months after the period, so a bulletin issued early in a
    // month still announces a deadline on the 1st of the month after.
    let next_to = to.checked_add_months(Months::new(2)).expect("dates stay in range");
    let mut summary = Summary { units: matrix.rows.len() as u32, ..Summary::default() };
    let mut named = Vec::new();
    let mut upcoming: BTreeMap<(NaiveDate, usize), Upcoming> = BTreeMap::new();
    let mut by_city: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for row in &matrix.rows {
        for (i, (col, cell)) in matrix.columns.iter().zip(&row.cells).enumerate() {
            let Some((cell, _)) = cell else { continue };
            if in_period(col.due_on) && cell.timeliness != Timeliness::NotDue {
                summary.due += 1;
                let city = by_city.entry(row.city.as_ref().map(ToString::to_string).unwrap_or_default()).or_default();
                city.0 += 1;
                match cell.timeliness {
                    Timeliness::OnTime => {
                        summary.on_time += 1;
                        city.1 += 1;
                    }
                    Timeliness::Late(_) => summary.late += 1,
                    _ => summary.missing += 1,
                }
                if let Timeliness::Late(_) | Timeliness::Missing = cell.timeliness {
                    named.push(Named {
                        unit: row.unit.to_string(),
                        name: row.name.clone(),
                        deliverable: col.title.clone(),
                        due_on: col.due_on,
                        due_text: col.due_text.clone(),
                        days_late: match cell.timeliness {
                            Timeliness::Late(d) => Some(d),
                            _ => None,
                        },
                    });
                }
            }
            // Still owed (nothing submitted yet) and falling due soon after the period.
            if to < col.due_on && col.due_on <= next_to && cell.timeliness == Timeliness::NotDue {
                upcoming
                    .entry((col.due_on, i))
                    .or_insert_with(|| Upcoming {
                        deliverable: col.title.clone(),
                        due_on: col.due_on,
                        due_text: col.due_text.clone(),
                        units: 0,
                    })
                    .units += 1;
            }
        }
    }
    summary.on_time_permille = permille(summary.on_time, summary.due);
    // Missing first, then the latest; then by unit code, so the list reads the same every time.
    named.sort_by(|a, b| {
        (a.days_late.is_some(), std::cmp::Reverse(a.days_late), a.due_on, &a.unit).cmp(&(
            b.days_late.is_some(),
            std::cmp::Reverse(b.days_late),
            b.due_on,
            &b.unit,
        ))
    });

    let mut city_rates = Vec::new();
    for (city, (due, on_time)) in by_city {
        if city.is_empty() {
            continue;
        }
        let code = RegionCode::parse(&city)?;
        let name = store.region(&code).await?.map(|r| r.name).unwrap_or_else(|| city.clone());
        city_rates.push(CityRate { city, name, due, on_time_permille: permille(on_time, due) });
    }

    let columns_in_period: HashMap<(&Key, &str), &str> = matrix
        .columns
        .iter()
        .filter(|c| in_period(c.due_on))
        .map(|c| ((&c.deliverable, c.occurrence.as_str()), c.title.as_str()))
        .collect();
    let names: HashMap<&RegionCode, &str> = matrix.rows.iter().map(|r| (&r.unit, r.name.as_str())).collect();
    let mut practice: Vec<Practice> = store
        .programme_filings(key)
        .await?
        .iter()
        .filter_map(|f| {
            let quote = f.exemplary_quote.as_ref()?;
            let title = columns_in_period.get(&(&f.deliverable, f.occurrence.as_str()))?;
            let name = names.get(&f.unit)?;
            Some(Practice {
                unit: f.unit.to_string(),
                name: (*name).to_owned(),
                deliverable: (*title).to_owned(),
                quote: quote.clone(),
            })
        })
        .collect();
    practice.sort_by(|a, b| a.unit.cmp(&b.unit));

    // The change since the last published bulletin of the same kind and region. Periods are
    // ordered by time: months as months, stages by their place in the plan (never by key, which
    // may sort differently: Shizuishan's `carry-out` comes after `plan`).
    let order = |period: &str| -> Option<i64> {
        match req.kind {
            Kind::Monthly => YearMonth::parse(period).ok().map(|m| i64::from(m.year) * 12 + i64::from(m.month)),
            Kind::Stage => parts.stages.iter().position(|s| s.key.as_str() == period).map(|i| i as i64),
        }
    };
    let this = order(&req.period);
    let previous = store
        .bulletins(key.as_str())
        .await?
        .into_iter()
        .filter(|b| {
            b.status == "published"
                && b.kind == req.kind.as_str()
                && b.region == region.as_str()
                && order(&b.period).is_some_and(|o| this.is_some_and(|t| o < t))
        })
        .max_by_key(|b| (order(&b.period), b.number));
    if let Some(prev) = previous {
        let before = content(&prev)?.summary.on_time_permille;
        if let (Some(now_rate), Some(before)) = (summary.on_time_permille, before) {
            summary.change_permille = Some(now_rate as i32 - before as i32);
        }
    }

    Ok(Content {
        programme: key.to_string(),
        programme_title: p.title.clone(),
        issuer: p.issuer.clone(),
        kind: req.kind,
        period: req.period.clone(),
        period_label,
        from,
        to,
        region: region.to_string(),
        region_name,
        as_of: local_day(now),
        summary,
        ranking,
        ranking_version,
        named,
        practice,
        upcoming: upcoming.into_values().collect(),
        city_rates,
        trends,
    })
}

/// A ranking entry as bulletins and pages show it.
pub fn rank_line(e: &RankEntry) -> RankLine {
    RankLine {
        rank: e.rank,
        unit: e.unit.to_string(),
        name: e.name.clone(),
        score: e.score.to_string(),
        change: e.change.map(|c| c as i32),
    }
}

/// The published scores, month by month up to `upto`, of the top three and bottom three units
/// of `ranking`.
pub async fn score_trends(
    store: &Store,
    key: &Key,
    from: YearMonth,
    upto: YearMonth,
    ranking: &[RankLine],
) -> Result<Vec<Trend>, ServiceError> {
    let mut picked: Vec<&RankLine> = ranking.iter().take(3).collect();
    for r in ranking.iter().rev().take(3).rev() {
        if !picked.iter().any(|p| p.unit == r.unit) {
            picked.push(r);
        }
    }
    let mut series: Vec<Trend> = picked.iter().map(|r| Trend { name: r.name.clone(), points: Vec::new() }).collect();
    let mut m = from;
    while m <= upto {
        if let Some(row) = store.rankings(key, &m.to_string()).await?.pop() {
            let entries = entries_of(&row)?;
            for (r, s) in picked.iter().zip(series.iter_mut()) {
                if let Some(e) = entries.iter().find(|e| e.unit.as_str() == r.unit) {
                    s.points.push((m.to_string(), f64::from(e.score)));
                }
            }
        }
        m = m.next();
    }
    Ok(series)
}

/// The bulletin's title, in the style of a 通报.
pub fn title(c: &Content) -> String {
    let region = if c.region_name.is_empty() || c.programme_title.starts_with(&c.region_name) {
        String::new()
    } else {
        c.region_name.clone()
    };
    match c.kind {
        Kind::Monthly => format!("关于{}{}{}进展情况的通报", c.period_label, region, c.programme_title),
        Kind::Stage => format!("关于{}{}{}阶段进展情况的通报", region, c.programme_title, c.period_label),
    }
}

/// May this account write (draft, edit, publish) bulletins about `region_path`?
fn may_write(p: &Principal, region_path: &[RegionCode]) -> Result<(), ServiceError> {
    gate(p, Access::WriteBulletin { region_path }, "bulletin")
}

/// May this account read this bulletin? (Drafts only for those who may write them.)
pub fn may_read(p: &Principal, b: &BulletinRow) -> Result<(), ServiceError> {
    let path = RegionCode::parse_path(&b.region_path);
    gate(p, Access::ReadBulletin { region_path: &path, published: b.status == "published" }, "bulletin")
}

/// Drafts a bulletin, or recomputes the draft already open for the same period and region
/// (keeping its remarks). `by` is the account, or none for the scheduler.
pub async fn draft(
    store: &Store,
    by: Option<&Principal>,
    key: &Key,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<BulletinRow, ServiceError> {
    let stored = store.programme(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    if let Some(p) = by {
        let reach = store.recent_reach(key).await?.unwrap_or_default();
        gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    }
    let (region, path, _) = region_of(store, &stored.programme.scope, req.region.as_ref()).await?;
    if let Some(p) = by {
        may_write(p, &path)?;
    }
    let same = |b: &BulletinRow| b.kind == req.kind.as_str() && b.period == req.period && b.region == region.as_str();
    let existing = store.bulletins(key.as_str()).await?;
    if let Some(b) = existing.iter().find(|b| same(b) && b.status == "published") {
        return Err(DomainError::rule(
            Rule::AlreadyPublished,
            format!("bulletin 第{}期 for {} is published and cannot be redrafted", b.number.unwrap_or(0), req.period),
        )
        .into());
    }
    let c = compose(store, key, &Request { region: Some(region.clone()), ..req.clone() }, now).await?;
    let open = existing.into_iter().find(|b| same(b) && b.status == "draft");
    let actor = match by {
        Some(p) => actor(p, now),
        None => crate::store::audit::Actor::system("monthly-drafts", now),
    };
    let row = BulletinRow {
        key: open.as_ref().map(|b| b.key.clone()).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
        programme: key.to_string(),
        region: region.to_string(),
        region_path: path.iter().map(ToString::to_string).collect(),
        kind: req.kind.as_str().into(),
        period: req.period.clone(),
        status: "draft".into(),
        number: None,
        title: title(&c),
        remarks: open.as_ref().and_then(|b| b.remarks.clone()),
        content: crate::store::rows::encode(&c),
        revision: open.as_ref().map_or(1, |b| b.revision + 1),
        created_at: now.to_rfc3339(),
        created_by: actor.username.clone(),
        published_at: None,
        published_by: None,
    };
    store.save_bulletin_draft(&row, open.as_ref().map(|b| (b.key.as_str(), b.revision)), &actor).await?;
    Ok(row)
}

/// A bulletin this account may read.
pub async fn get(store: &Store, p: &Principal, id: &str) -> Result<BulletinRow, ServiceError> {
    let b = store.bulletin(id).await?.ok_or_else(|| ServiceError::Hidden(format!("bulletin {id}")))?;
    may_read(p, &b)?;
    Ok(b)
}

/// Changes a draft's title or remarks; a published bulletin is refused.
pub async fn edit(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    title: Option<&str>,
    remarks: Option<&str>,
    now: DateTime<Utc>,
) -> Result<BulletinRow, ServiceError> {
    let mut b = get(store, p, id).await?;
    let path = RegionCode::parse_path(&b.region_path);
    may_write(p, &path)?;
    refuse_published(&b)?;
    if let Some(t) = title {
        b.title = crate::domain::programme::text("title", t, 200)?;
    }
    if let Some(r) = remarks {
        b.remarks = Some(crate::domain::programme::text("remarks", r, 5000)?).filter(|r| !r.is_empty());
    }
    let expected = revision;
    b.revision = revision + 1;
    store.save_bulletin_draft(&b, Some((id, expected)), &actor(p, now)).await?;
    Ok(b)
}

fn refuse_published(b: &BulletinRow) -> Result<(), ServiceError> {
    if b.status == "published" {
        return Err(DomainError::rule(
            Rule::Published,
            format!("bulletin 第{}期 is published; a published bulletin is never changed", b.number.unwrap_or(0)),
        )
        .into());
    }
    Ok(())
}

/// Publishes a draft under the programme's next number.
pub async fn publish(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    now: DateTime<Utc>,
) -> Result<BulletinRow, ServiceError> {
    let b = get(store, p, id).await?;
    let path = RegionCode::parse_path(&b.region_path);
    may_write(p, &path)?;
    refuse_published(&b)?;
    store.publish_bulletin(id, revision, &actor(p, now)).await?;
    store.bulletin(id).await?.ok_or_else(|| ServiceError::Hidden(format!("bulletin {id}")))
}

/// The bulletins of a programme this account may read.
pub async fn list(store: &Store, p: &Principal, key: &Key) -> Result<Vec<BulletinRow>, ServiceError> {
    let reach = store.recent_reach(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    Ok(store.bulletins(key.as_str()).await?.into_iter().filter(|b| may_read(p, b).is_ok()).collect())
}

/// The month before `now`'s local date, which the scheduler drafts on the 1st.
pub fn last_month(now: DateTime<Utc>) -> YearMonth {
    use chrono::Datelike;
    let today = local_day(now);
    let prev = today.checked_sub_days(Days::new(u64::from(today.day()))).expect("dates stay in range");
    YearMonth { year: prev.year(), month: prev.month() }
}
