//! `/programmes/{key}/deadlines` — the deadline board: what is due, and who is late — and
//! `/programmes/{key}/submissions`, which records that a deadline was met.

use chrono::{DateTime, FixedOffset, NaiveDate};
use poem_openapi::{Enum, Object, OpenApi, param::Path, param::Query};

use super::auth::Auth;
use super::common::page;
use super::error::ApiError;
use super::params::{KeyParam, RegionParam};
use super::parts::RouteStepDto;
use super::rendered::Rendered;
use super::{ApiTags, State};
use crate::domain::Status;
use crate::service::board::{self, Filter};

/// A deadline's traffic light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum StatusDto {
    /// Filed.
    Done,
    /// More than 3 days away (绿).
    Upcoming,
    /// Due within 3 days, today included (黄).
    DueSoon,
    /// Past its day without a filing (红).
    Overdue,
}

impl From<Status> for StatusDto {
    fn from(s: Status) -> Self {
        match s {
            Status::Done => Self::Done,
            Status::Upcoming => Self::Upcoming,
            Status::DueSoon => Self::DueSoon,
            Status::Overdue => Self::Overdue,
        }
    }
}

impl From<StatusDto> for Status {
    fn from(s: StatusDto) -> Self {
        match s {
            StatusDto::Done => Self::Done,
            StatusDto::Upcoming => Self::Upcoming,
            StatusDto::DueSoon => Self::DueSoon,
            StatusDto::Overdue => Self::Overdue,
        }
    }
}

// The board's views are also `Serialize`, for `Rendered` (a unit test checks both renderings
// agree): the hot route renders its rows straight into bytes.

/// One concrete deadline of one unit.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DeadlineLine {
    pub unit: String,
    pub unit_name: String,
    pub deliverable: String,
    pub deliverable_title: String,
    /// `once`, or the month/quarter of a recurring deadline (`2019-04`).
    pub occurrence: String,
    /// When the filing window opens, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_on: Option<NaiveDate>,
    /// Due on this day, inclusive (Asia/Shanghai).
    pub due_on: NaiveDate,
    /// The deadline as the document writes it.
    pub due_text: String,
    /// The due day is a public holiday (the deadline still stands; plan for it).
    pub due_on_holiday: bool,
    /// The instant it is missed: the midnight after `due_on`, Asia/Shanghai.
    #[serde(serialize_with = "rfc3339")]
    pub due_at: DateTime<FixedOffset>,
    pub status: StatusDto,
    /// Days from the board's day to the due day; negative when overdue.
    pub days_left: i64,
    /// First filing, if any by the board's instant.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "rfc3339_opt")]
    pub filed_at: Option<DateTime<FixedOffset>>,
    /// The route this unit's filing takes.
    pub route: Vec<RouteStepDto>,
}

/// Counts by status over all rows that match the filters.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Totals {
    pub done: u64,
    pub upcoming: u64,
    pub due_soon: u64,
    pub overdue: u64,
}

/// The board at an instant.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DeadlineBoard {
    pub programme: String,
    pub title: String,
    /// The instant the board describes (Asia/Shanghai).
    #[serde(serialize_with = "rfc3339")]
    pub as_of: DateTime<FixedOffset>,
    pub totals: Totals,
    /// Rows matching the filters (before paging).
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    /// Ordered by due day, then unit code.
    pub rows: Vec<DeadlineLine>,
}

/// As poem-openapi writes a date-time (`to_rfc3339`), so both renderings agree.
fn rfc3339<S: serde::Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<DateTime<FixedOffset>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

pub struct DeadlinesApi {
    pub state: State,
}

#[OpenApi(prefix_path = "/programmes", tag = "ApiTags::Deadlines")]
impl DeadlinesApi {
    /// The deadline board: the deadlines of every unit this account may see, with their traffic
    /// lights at `as_of`.
    #[oai(path = "/:key/deadlines", method = "get", operation_id = "deadlineBoard")]
    #[allow(clippy::too_many_arguments)]
    async fn board(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        /// RFC 3339 instant, or a date meaning 00:00 that day in Asia/Shanghai; default now.
        as_of: Query<Option<String>>,
        /// Only units inside this region (a city's code gives its counties).
        region: Query<Option<RegionParam>>,
        /// Only rows with this status.
        status: Query<Option<StatusDto>>,
        /// Only this deliverable.
        deliverable: Query<Option<KeyParam>>,
        offset: Query<Option<u64>>,
        /// Rows to return (1–500, default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Rendered<DeadlineBoard>, ApiError> {
        let k = key.0.0.clone();
        let (offset, limit) = page(offset.0, limit.0)?;
        let as_of = super::common::as_of(as_of.0.as_deref(), self.state.clock.now())?;
        let filter = Filter {
            region: region.0.map(|r| r.0),
            status: status.0.map(Into::into),
            deliverable: deliverable.0.map(|d| d.0),
        };
        let inputs = board::inputs(&self.state.store, &k, &filter, auth.principal()).await?;
        Ok(Rendered::from_pieces(self.state.board_json.page_at(&inputs, as_of, &filter, offset, limit)))
    }
}

/// The page's fields around its rows (none yet): what `board_json` writes before the rows it
/// renders from its pieces. `total` counts the rows before paging.
pub(super) fn head(
    programme: &crate::domain::Programme,
    as_of: chrono::DateTime<chrono::Utc>,
    totals: Totals,
    total: u64,
    offset: u64,
    limit: u64,
) -> DeadlineBoard {
    DeadlineBoard {
        programme: programme.key.to_string(),
        title: programme.title.clone(),
        as_of: super::common::shanghai(as_of),
        totals,
        total,
        offset,
        limit,
        rows: vec![],
    }
}

/// The board's counts by status.
pub(super) fn totals(board: &crate::service::board::Board) -> Totals {
    let count = |s: Status| board.total(s) as u64;
    Totals {
        done: count(Status::Done),
        upcoming: count(Status::Upcoming),
        due_soon: count(Status::DueSoon),
        overdue: count(Status::Overdue),
    }
}

/// The page as a view, row by row and field by field: what `board_json`'s test compares the
/// bytes from its pieces with.
#[cfg(test)]
pub(super) fn view(board: &crate::service::board::Board, offset: u64, limit: u64) -> DeadlineBoard {
    use super::common::shanghai;
    use crate::domain::deadline::due_instant;
    let rows = board
        .rows
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|r| {
            let (u, d, o) = (board.unit(r), board.deliverable(r), board.occurrence(r));
            DeadlineLine {
                unit: u.region.to_string(),
                unit_name: u.name.clone(),
                deliverable: d.key.to_string(),
                deliverable_title: d.title.clone(),
                occurrence: o.key.clone(),
                opens_on: o.opens_on,
                due_on: o.due_on,
                due_text: o.due_text.clone(),
                due_on_holiday: board.calendar.is_holiday(o.due_on),
                due_at: shanghai(due_instant(o.due_on)),
                status: r.standing.status.into(),
                days_left: r.standing.days_left,
                filed_at: r.filed_at.map(shanghai),
                route: board.route(r).iter().map(Into::into).collect(),
            }
        })
        .collect();
    let total = board.rows.len() as u64;
    DeadlineBoard { rows, ..head(&board.programme.programme, board.as_of, totals(board), total, offset, limit) }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::api::common::Level;
    use crate::api::parts::Action;

    #[test]
    fn serde_and_openapi_render_a_board_alike() {
        let at: DateTime<FixedOffset> = "2022-09-21T00:00:00+08:00".parse().unwrap();
        let line = |filed_at, opens_on| DeadlineLine {
            unit: "350103".into(),
            unit_name: "台江区".into(),
            deliverable: "plan".into(),
            deliverable_title: "试点实施方案".into(),
            occurrence: "once".into(),
            opens_on,
            due_on: NaiveDate::from_ymd_opt(2022, 9, 20).unwrap(),
            due_text: "2022年9月20日前".into(),
            due_on_holiday: false,
            due_at: at,
            status: StatusDto::DueSoon,
            days_left: -1,
            filed_at,
            route: vec![RouteStepDto { level: Level::City, action: Action::Review }],
        };
        let board = DeadlineBoard {
            programme: "fj-2022-reform-pilot".into(),
            title: "福建".into(),
            as_of: "2022-09-19T16:00:00.250+08:00".parse().unwrap(),
            totals: Totals { done: 1, upcoming: 0, due_soon: 1, overdue: 0 },
            total: 2,
            offset: 0,
            limit: 50,
            rows: vec![
                line(Some("2022-09-19T16:00:00.123456+08:00".parse().unwrap()), None),
                line(None, NaiveDate::from_ymd_opt(2022, 9, 1)),
            ],
        };
        let by_serde: serde_json::Value = serde_json::from_slice(&crate::api::rendered::json(&board)).unwrap();
        assert_eq!(by_serde, board.to_json().unwrap());
    }
}
