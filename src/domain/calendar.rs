//! The working-day calendar: weekends, the State Council's public holidays, and the weekend days
//! worked instead (调休). "N working days before" counts on it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::DomainError;

/// One year's holidays and make-up working days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Year {
    /// Days off (a holiday may fall in the previous calendar year, as 2022-12-31 for 2023's 元旦).
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are working days.
    pub workdays: BTreeSet<NaiveDate>,
}

/// Holidays and make-up days by year; years without data count weekdays only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(years: BTreeMap<i32, Year>) -> Self {
        let holidays = years.values().flat_map(|y| y.holidays.iter().copied()).collect();
        let workdays = years.values().flat_map(|y| y.workdays.iter().copied()).collect();
        Self { years, holidays, workdays }
    }

    pub fn years(&self) -> impl Iterator<Item = (&i32, &Year)> {
        self.years.iter()
    }

    /// A public holiday (放假).
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return false;
        }
        self.workdays.contains(&d) || !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The working day `n` working days before `d` (n ≥ 1): T-3 before a Monday deadline is the
    /// previous Wednesday, and holidays are skipped.
    pub fn working_days_before(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day = day.checked_sub_days(Days::new(1)).expect("dates stay in range");
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

/// Reads `2022-10-01` or an inclusive range `2022-10-01..2022-10-07`.
pub fn parse_days(s: &str) -> Result<Vec<NaiveDate>, DomainError> {
    let day = |t: &str| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| DomainError::invalid("calendar", format!("`{t}` is not a date like 2022-10-01")))
    };
    match s.split_once("..") {
        None => Ok(vec![day(s)?]),
        Some((a, b)) => {
            let (a, b) = (day(a)?, day(b)?);
            if b < a || (b - a).num_days() > 40 {
                return Err(DomainError::invalid("calendar", format!("`{s}` is not a holiday range")));
            }
            Ok(a.iter_days().take_while(|d| *d <= b).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar_2022() -> Calendar {
        let mut y = Year::default();
        y.holidays.extend(parse_days("2022-10-01..2022-10-07").unwrap());
        y.workdays.extend([d("2022-10-08"), d("2022-10-09")]);
        Calendar::new([(2022, y)].into())
    }

    #[test]
    fn make_up_saturdays_count_and_holidays_do_not() {
        let c = calendar_2022();
        assert!(c.is_working_day(d("2022-10-08")), "a Saturday worked instead of a holiday");
        assert!(!c.is_working_day(d("2022-10-03")), "a Monday in the National Day week");
        assert!(c.is_holiday(d("2022-10-07")));
        // T-3 before Tuesday 11 October: Monday 10th, Sunday 9th (make-up), Saturday 8th (make-up).
        assert_eq!(c.working_days_before(d("2022-10-11"), 3), d("2022-10-08"));
        // T-4 then skips the whole holiday back to Friday 30 September.
        assert_eq!(c.working_days_before(d("2022-10-11"), 4), d("2022-09-30"));
    }
}
