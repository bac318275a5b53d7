//! Exports for people who work in spreadsheets and calendars: the ranking, the compliance matrix
//! and a reward split as tables (XLSX or CSV, the same rows), and a unit's deadlines as an
//! iCalendar feed at a secret, revocable URL.

use chrono::{DateTime, Utc};

use crate::domain::access::{Access, Principal};
use crate::domain::compliance::{Cell, CellStatus};
use crate::domain::deadline::YearMonth;
use crate::domain::feed::Feed;
use crate::domain::filing::Timeliness;
use crate::domain::{DomainError, Key, RegionCode, Rule};
use crate::render::ical::Deadline;
use crate::render::table::{Column, Table, Tone, Value};
use crate::service::accounts::{actor, new_token, token_hash};
use crate::service::filings::{ServiceError, active_unit_of, compliance, gate, unit_of};
use crate::service::scoring::{programme_gate, ranking};
use crate::store::Store;

/// How a compliance cell reads in Chinese.
pub fn cell_text(cell: Option<&Cell>) -> String {
    let Some(c) = cell else { return "—".into() };
    match (c.status, c.timeliness) {
        (CellStatus::Late, Timeliness::Late(d)) => format!("逾期{d}天"),
        (CellStatus::OnTime, _) => "按时".into(),
        (CellStatus::Late, _) => "逾期".into(),
        (CellStatus::Missing, _) => "未报送".into(),
        (CellStatus::Returned, _) => "退回修改".into(),
        (CellStatus::InReview, _) => "审核中".into(),
        (CellStatus::NotDue, _) => "未到期".into(),
    }
}

pub async fn ranking_table(
    store: &Store,
    p: &Principal,
    key: &Key,
    month: YearMonth,
    now: DateTime<Utc>,
) -> Result<Table, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let stored = store.programme(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    let r = ranking(store, key, month, now).await?;
    let status = match r.version {
        Some(v) => format!("第{v}版"),
        None => "未发布".into(),
    };
    Ok(Table {
        sheet: format!("{month}排名"),
        title: format!("{} {}年{}月评分排名（{status}）", stored.programme.title, month.year, month.month),
        columns: vec![
            Column::new("名次", 6.0),
            Column::new("单位代码", 10.0),
            Column::new("单位名称", 16.0),
            Column::new("得分", 8.0),
            Column::new("名次变化", 8.0),
        ],
        rows: r
            .entries
            .iter()
            .map(|e| {
                vec![
                    Value::Int(i64::from(e.rank)),
                    Value::Text(e.unit.to_string()),
                    Value::Text(e.name.clone()),
                    Value::Decimal(f64::from(e.score)),
                    e.change.map_or(Value::Empty, Value::Signed),
                ]
            })
            .collect(),
        frozen_columns: 3,
        ..Table::default()
    })
}

pub async fn compliance_table(
    store: &Store,
    p: &Principal,
    key: &Key,
    region: Option<&RegionCode>,
    now: DateTime<Utc>,
) -> Result<Table, ServiceError> {
    let m = compliance(store, p, key, region, now).await?;
    let stored = store.programme(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    let mut columns = vec![Column::new("单位代码", 10.0), Column::new("单位名称", 14.0)];
    columns.extend(m.columns.iter().map(|c| Column::noted(&c.title, &c.due_text, 10.0)));
    columns.extend(["应报送", "按时报送", "逾期报送", "未报送", "按时报送率"].map(|h| Column::new(h, 8.0)));
    let blanks = m.columns.len();
    let tallied = |mut row: Vec<Value>, t: &crate::domain::compliance::Tally| {
        row.extend([
            Value::Int(i64::from(t.due)),
            Value::Int(i64::from(t.met_on_time)),
            Value::Int(i64::from(t.late)),
            Value::Int(i64::from(t.missing)),
            crate::domain::bulletin::permille(t.met_on_time, t.due)
                .map_or(Value::Empty, |p| Value::Percent(f64::from(p) / 1000.0)),
        ]);
        row
    };
    let rows = m
        .lines
        .iter()
        .map(|r| {
            let mut row = vec![Value::Text(r.unit.to_string()), Value::Text(r.name.clone())];
            row.extend(r.cells.iter().map(|c| status_cell(c.as_ref().map(|(c, _)| c))));
            tallied(row, &r.tally)
        })
        .collect();
    // Totals by city (when the table spans cities) and overall, as the API's matrix has them.
    let cities: Vec<RegionCode> = m.by_city.iter().map(|(c, _)| c.clone()).collect();
    let names: std::collections::HashMap<RegionCode, String> =
        store.regions(&cities).await?.into_iter().map(|r| (r.code, r.name)).collect();
    let mut summary: Vec<Vec<Value>> = Vec::new();
    if m.by_city.len() > 1 {
        for (city, t) in &m.by_city {
            let name = names.get(city).cloned().unwrap_or_else(|| city.to_string());
            let mut row = vec![Value::Text(city.to_string()), Value::Text(format!("{name}小计"))];
            row.extend(std::iter::repeat_n(Value::Empty, blanks));
            summary.push(tallied(row, t));
        }
    }
    let mut overall = vec![Value::Empty, Value::Text("合计".into())];
    overall.extend(std::iter::repeat_n(Value::Empty, blanks));
    summary.push(tallied(overall, &m.overall));
    Ok(Table {
        sheet: "报送情况".into(),
        title: format!("{} 报送情况一览（截至{}）", stored.programme.title, crate::domain::deadline::local_day(now)),
        columns,
        rows,
        summary,
        frozen_columns: 2,
        landscape: true,
    })
}

/// A compliance cell as the workbook shows it: the board's words, coloured as the board.
fn status_cell(cell: Option<&Cell>) -> Value {
    let tone = match cell.map(|c| c.status) {
        Some(CellStatus::OnTime) => Tone::Good,
        Some(CellStatus::Late) => Tone::Warn,
        Some(CellStatus::Missing | CellStatus::Returned) => Tone::Bad,
        Some(CellStatus::InReview) => Tone::Pending,
        Some(CellStatus::NotDue) | None => Tone::Plain,
    };
    Value::Status(cell_text(cell), tone)
}

pub async fn reward_table(store: &Store, p: &Principal, key: &Key, reward: &str) -> Result<Table, ServiceError> {
    programme_gate(store, p, key, false).await?;
    let row = store
        .rewards(key)
        .await?
        .into_iter()
        .find(|r| r.key == reward)
        .ok_or_else(|| ServiceError::Hidden(format!("reward allocation {reward}")))?;
    let units = store.units(key).await?;
    let mut rows = Vec::new();
    for share in &row.shares {
        let Some(u) = units.iter().find(|u| u.unit.region == share.unit) else { continue };
        if !p.can_read_unit(&u.path) {
            continue;
        }
        rows.push(vec![
            Value::Text(share.unit.to_string()),
            Value::Text(u.name.clone()),
            Value::Fen(share.amount),
            Value::Text(share.explanation.to_string()),
        ]);
    }
    Ok(Table {
        sheet: "奖补资金分配".into(),
        title: format!("{}（资金总额{}元）", row.label, Value::fen_text(row.fund)),
        columns: vec![
            Column::new("单位代码", 10.0),
            Column::new("单位名称", 14.0),
            Column::new("金额（元）", 12.0),
            Column::new("说明", 40.0),
        ],
        rows,
        frozen_columns: 2,
        ..Table::default()
    })
}

/// A unit's deadlines for its calendar feed, with where each stands at `now`.
pub async fn unit_deadlines(
    store: &Store,
    key: &Key,
    unit: &RegionCode,
    now: DateTime<Utc>,
) -> Result<(String, Vec<Deadline>), ServiceError> {
    let m = compliance(store, &Principal::system_reader("calendar-feed"), key, Some(unit), now).await?;
    let Some(row) = m.lines.iter().find(|r| &r.unit == unit) else { return Ok((unit.to_string(), vec![])) };
    let (rules, calendar) = tokio::try_join!(store.reminder_rules(key.as_str()), store.calendar())?;
    let rules = rules.unwrap_or_default();
    let out = m
        .columns
        .iter()
        .zip(&row.cells)
        .filter_map(|(c, cell)| {
            let (cell, _) = cell.as_ref()?;
            Some(Deadline {
                uid: format!("{key}~{unit}~{}~{}@pilotgov", c.deliverable, c.occurrence),
                title: c.title.clone(),
                due_on: c.due_on,
                due_text: c.due_text.clone(),
                status: cell_text(Some(cell)),
                filed: matches!(cell.timeliness, Timeliness::OnTime | Timeliness::Late(_)),
                alarm_days: crate::domain::reminder::alarm_days(&rules, &calendar, c.due_on),
            })
        })
        .collect();
    Ok((row.name.clone(), out))
}

/// Creates a feed for a unit the account may read; returns the row and its secret token
/// (shown once: only its hash is kept).
pub async fn create_feed(
    store: &Store,
    p: &Principal,
    key: &Key,
    unit: &RegionCode,
    now: DateTime<Utc>,
) -> Result<(Feed, String), ServiceError> {
    let u = active_unit_of(store, p, key, unit).await?;
    gate(p, Access::ManageFeed { unit_path: &u.path }, "unit")?;
    let token = new_token();
    let feed = Feed {
        key: uuid::Uuid::new_v4().simple().to_string(),
        token_hash: token_hash(&token),
        programme: key.clone(),
        unit: unit.clone(),
        unit_path: u.path,
        created_by: p.username.clone(),
        created_at: now,
        revoked: false,
    };
    store.create_feed(&feed, &actor(p, now)).await?;
    Ok((feed, token))
}

pub async fn feeds(store: &Store, p: &Principal, key: &Key, unit: &RegionCode) -> Result<Vec<Feed>, ServiceError> {
    let u = unit_of(store, p, key, unit).await?;
    gate(p, Access::ReadUnit { unit_path: &u.path }, "unit")?;
    Ok(store.feeds(key, unit).await?)
}

pub async fn revoke_feed(store: &Store, p: &Principal, feed: &str, now: DateTime<Utc>) -> Result<Feed, ServiceError> {
    let f = store.feed(feed).await?.ok_or_else(|| ServiceError::Hidden(format!("calendar feed {feed}")))?;
    gate(p, Access::ManageFeed { unit_path: &f.unit_path }, "calendar feed")?;
    if f.revoked {
        return Err(DomainError::rule(Rule::Revoked, "this calendar feed is already revoked").into());
    }
    store.revoke_feed(feed, &actor(p, now)).await?;
    Ok(Feed { revoked: true, ..f })
}

/// The feed behind a secret token, or none (unknown or revoked: the caller answers 404).
pub async fn feed_by_token(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<String>, ServiceError> {
    if token.len() > 100 {
        return Ok(None);
    }
    let Some(f) = store.feed_by_token(&token_hash(token)).await? else { return Ok(None) };
    let (key, unit) = (f.programme, f.unit);
    let stored = store.programme(&key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    let (name, deadlines) = unit_deadlines(store, &key, &unit, now).await?;
    Ok(Some(crate::render::ical::feed(&format!("{name} · {}", stored.programme.title), &deadlines, now)))
}
