//! Dates as government documents write them: "2022年9月20日前", "2022年8月下旬", "2023年11月底",
//! "2019年1月中下旬", "2023年9月". Each is kept as the text the document used and the exact range of
//! calendar days (Asia/Shanghai) it denotes, so it can be computed with and shown as written.
//!
//! The rules, written once:
//! - 上旬 = days 1–10, 中旬 = 11–20, 下旬 = 21 to the month's end; 初 = 上旬; 中下旬 = 11 to the end.
//! - 底 / 月底 / 末 = the month's last day. A bare month is the whole month; a bare year the year.
//! - 前 ("before") is inclusive: "9月20日前" is due on the 20th itself. The suffix is kept in the
//!   text but does not change the range.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::DomainError;

/// A document date: the words and the inclusive range of days they mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocDate {
    text: String,
    first: NaiveDate,
    last: NaiveDate,
}

impl DocDate {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let (first, last) = parse_range(text).ok_or_else(|| {
            DomainError::invalid(
                "date",
                format!(
                    "`{text}` is not a date this server reads: write e.g. 2022年9月20日, 2022年8月下旬, \
                     2023年11月底, 2023年9月 or 2022-09-20"
                ),
            )
        })?;
        Ok(Self { text: text.to_owned(), first, last })
    }

    /// A single exact day, written in the documents' style.
    pub fn day(d: NaiveDate) -> Self {
        Self { text: format!("{}年{}月{}日", d.year(), d.month(), d.day()), first: d, last: d }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// First day of the range.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// Last day of the range: the due day when the date is a deadline.
    pub fn last(&self) -> NaiveDate {
        self.last
    }
}

impl TryFrom<String> for DocDate {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}

impl From<DocDate> for String {
    fn from(d: DocDate) -> String {
        d.text
    }
}

/// The last day of a month.
pub fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()
}

fn parse_range(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some((d, d));
    }
    // Spaces appear in scanned documents ("2019 年6 月"); they carry no meaning.
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut rest = compact.as_str();
    for suffix in ["之前", "前", "以前"] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
            break;
        }
    }
    let (year, rest) = split_number(rest, '年')?;
    let year = i32::try_from(year).ok().filter(|y| (1949..=2100).contains(y))?;
    if rest.is_empty() {
        return Some((NaiveDate::from_ymd_opt(year, 1, 1)?, NaiveDate::from_ymd_opt(year, 12, 31)?));
    }
    let (month, rest) = split_number(rest, '月')?;
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let end = month_end(year, month)?;
    let day = |d: u32| NaiveDate::from_ymd_opt(year, month, d);
    match rest {
        "" => Some((start, end)),
        "上旬" | "初" | "月初" => Some((start, day(10)?)),
        "中旬" => Some((day(11)?, day(20)?)),
        "下旬" => Some((day(21)?, end)),
        "中下旬" => Some((day(11)?, end)),
        "上中旬" => Some((start, day(20)?)),
        "底" | "月底" | "末" | "月末" => Some((end, end)),
        _ => {
            let (d, tail) = split_number(rest, '日').or_else(|| split_number(rest, '号'))?;
            if !tail.is_empty() {
                return None;
            }
            let d = day(u32::try_from(d).ok()?)?;
            Some((d, d))
        }
    }
}

/// Splits "2022年..." into (2022, "...") at the given unit character.
fn split_number(s: &str, unit: char) -> Option<(u64, &str)> {
    let idx = s.find(unit)?;
    let n = s[..idx].parse::<u64>().ok()?;
    Some((n, &s[idx + unit.len_utf8()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(t: &str) -> (String, String) {
        let d = DocDate::parse(t).unwrap();
        (d.first().to_string(), d.last().to_string())
    }

    #[test]
    fn reads_the_seed_notices_dates() {
        assert_eq!(range("2022年8月下旬"), ("2022-08-21".into(), "2022-08-31".into()));
        assert_eq!(range("2022年9月中旬"), ("2022-09-11".into(), "2022-09-20".into()));
        assert_eq!(range("2022年9月20日前"), ("2022-09-20".into(), "2022-09-20".into()));
        assert_eq!(range("2023年11月底前"), ("2023-11-30".into(), "2023-11-30".into()));
        assert_eq!(range("2023年9月"), ("2023-09-01".into(), "2023-09-30".into()));
        assert_eq!(range("2019年1月初"), ("2019-01-01".into(), "2019-01-10".into()));
        assert_eq!(range("2019年1月中下旬"), ("2019-01-11".into(), "2019-01-31".into()));
        assert_eq!(range("2019 年6 月"), ("2019-06-01".into(), "2019-06-30".into()));
        assert_eq!(range("2024年2月底"), ("2024-02-29".into(), "2024-02-29".into()));
        assert_eq!(range("2022-11-01"), ("2022-11-01".into(), "2022-11-01".into()));
        assert_eq!(DocDate::parse("2022年8月下旬").unwrap().text(), "2022年8月下旬");
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in ["", "下旬", "2022年13月", "2022年2月30日", "2022年9月20日后天", "明年"] {
            assert!(DocDate::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
