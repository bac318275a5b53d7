//! DTO pieces shared by several resources, and their conversions to and from domain values.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use poem_openapi::{Enum, Object};

use crate::domain::{DocDate, DomainError, Key, RegionCode, RegionLevel, Window};

/// Default and largest page sizes for lists.
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// Reads `offset`/`limit` query values, refusing nonsense instead of clamping silently.
pub fn page(offset: Option<u64>, limit: Option<u64>) -> Result<(u64, u64), DomainError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(DomainError::invalid("limit", format!("between 1 and {MAX_LIMIT}")));
    }
    Ok((offset.unwrap_or(0), limit))
}

/// An instant shown in Asia/Shanghai (+08:00); it is stored in UTC.
pub fn shanghai(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&Shanghai).fixed_offset()
}

/// A level of the region tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Nation,
    Province,
    City,
    County,
    Township,
}

impl From<Level> for RegionLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Nation => Self::Nation,
            Level::Province => Self::Province,
            Level::City => Self::City,
            Level::County => Self::County,
            Level::Township => Self::Township,
        }
    }
}

impl From<RegionLevel> for Level {
    fn from(l: RegionLevel) -> Self {
        match l {
            RegionLevel::Nation => Self::Nation,
            RegionLevel::Province => Self::Province,
            RegionLevel::City => Self::City,
            RegionLevel::County => Self::County,
            RegionLevel::Township => Self::Township,
        }
    }
}

/// A date as the document wrote it, with the days it covers.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DocDateView {
    /// As written: `2022年8月下旬`, `2022年9月20日前`.
    pub text: String,
    /// First day it covers (Asia/Shanghai calendar).
    pub first: NaiveDate,
    /// Last day it covers; a deadline is due on this day, inclusive.
    pub last: NaiveDate,
}

impl From<&DocDate> for DocDateView {
    fn from(d: &DocDate) -> Self {
        Self { text: d.text().to_owned(), first: d.first(), last: d.last() }
    }
}

/// A span between two document dates.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WindowView {
    /// As the notice writes it: `2022年8月下旬至2022年9月中旬`.
    pub text: String,
    pub start: DocDateView,
    pub end: DocDateView,
}

impl From<&Window> for WindowView {
    fn from(w: &Window) -> Self {
        Self { text: w.text(), start: (&w.start).into(), end: (&w.end).into() }
    }
}

pub fn key(field: &str, s: &str) -> Result<Key, DomainError> {
    Key::parse(s).map_err(|e| rename(e, field))
}

pub fn region(field: &str, s: &str) -> Result<RegionCode, DomainError> {
    RegionCode::parse(s).map_err(|e| rename(e, field))
}

pub fn doc_date(field: &str, s: &str) -> Result<DocDate, DomainError> {
    DocDate::parse(s).map_err(|e| rename(e, field))
}

pub fn window(start_field: &str, start: &str, end_field: &str, end: &str) -> Result<Window, DomainError> {
    Window::new(doc_date(start_field, start)?, doc_date(end_field, end)?).map_err(|e| rename(e, end_field))
}

/// Points a domain error at the API field that carried the value.
fn rename(e: DomainError, field: &str) -> DomainError {
    match e {
        DomainError::Invalid { message, .. } => DomainError::Invalid { field: field.to_owned(), message },
        other => other,
    }
}

/// Parses `as_of`: an RFC 3339 instant, or a bare date meaning 00:00 of that day in Asia/Shanghai.
/// The `as_of` query parameter: an instant or a date, else now.
pub fn as_of(param: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, DomainError> {
    param.map_or(Ok(now), |s| instant("as_of", s))
}

pub fn instant(field: &str, s: &str) -> Result<DateTime<Utc>, DomainError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        use chrono::TimeZone;
        if let Some(t) = Shanghai.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")).single() {
            return Ok(t.with_timezone(&Utc));
        }
    }
    Err(DomainError::invalid(
        field,
        format!("`{s}` is neither an RFC 3339 instant (2022-09-20T09:00:00+08:00) nor a date (2022-09-20)"),
    ))
}

/// The client's address for the per-source login limit: the peer's IP, or — when the peer is a
/// reverse proxy on this machine (loopback) — the last address it put in `X-Forwarded-For` or
/// `X-Real-IP`. None when unknown (in-process tests).
pub fn source_address(req: &poem::Request) -> Option<String> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip())?;
    if peer.is_loopback() {
        let forwarded = req
            .header("x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .or_else(|| req.header("x-real-ip"))
            .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return Some(ip.to_string());
        }
    }
    Some(peer.to_string())
}

/// A 201 with the created thing: the one response type every creating operation shares.
#[derive(poem_openapi::ApiResponse)]
pub enum Created<T: poem_openapi::types::ToJSON> {
    /// Created.
    #[oai(status = 201)]
    Created(poem_openapi::payload::Json<T>),
}

/// A spreadsheet's format: an export's (XLSX by default), or an upload's (told from its content
/// when absent: an XLSX file is a zip archive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum SheetFormat {
    Xlsx,
    Csv,
}
