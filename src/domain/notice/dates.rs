//! Finding the dates in a notice and what they mean: full dates, parts of months (上旬 … 月底),
//! ranges (`2022年8月下旬至2022年9月中旬`, `2019年2月至5月`), open starts (`2019年8月起`),
//! year-less dates read against the year the notice last named (`9月20日前`, `次年3月`),
//! recurring deadlines (`每月15日至20日`, `每月25日前`, `每季度末`, `次月5日前`), and relative
//! phrases kept as words with a flag (`N个工作日内`, `试点期限为一年左右`).
//!
//! Each point is rewritten as a [`DocDate`] (`2022年9月20日`, `2022年8月下旬`) and takes its days
//! from there, so the day rules (上旬 1–10, 底 the last day, …) stay written once.

use std::ops::Range;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};

use super::numerals::{NUMBER_CHARS as N, number};
use crate::domain::DocDate;

/// How a date bounds what it is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// On (or within) the days named.
    Within,
    /// 前 / 之前 / 以前 / 止: by the last day (inclusive).
    Before,
    /// 起 / 开始 / 以来: from the first day on, with no end given.
    From,
}

/// How often a recurring deadline comes round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Month,
    Quarter,
    HalfYear,
    /// Once a year, in the month given (每年12月10日前: 12).
    Year {
        month: u32,
    },
}

/// The day of the period a recurring deadline falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueDay {
    Day(u32),
    Last,
}

/// A deadline that comes round every period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub every: Every,
    /// The day filing opens (每月15日至20日: 15), when the notice names one.
    pub opens_day: Option<u32>,
    pub due_day: DueDay,
    /// Due in the period after the one reported on (次月5日前, 季度结束后10日内).
    pub next_period: bool,
}

impl Recurrence {
    /// As a notice writes it: 每月15日至20日, 次月5日前, 每月月底前, 每季度末.
    pub fn text(&self) -> String {
        let period = match (self.every, self.next_period) {
            (Every::Month, false) => "每月",
            (Every::Month, true) => "次月",
            (Every::Quarter, false) => "每季度",
            (Every::Quarter, true) => "每季度结束后次月",
            (Every::HalfYear, false) => "每半年",
            (Every::HalfYear, true) => "每半年结束后次月",
            (Every::Year { month }, _) => return format!("每年{month}月{}", self.day_text(Every::Year { month })),
        };
        format!("{period}{}", self.day_text(self.every))
    }

    fn day_text(&self, every: Every) -> String {
        match (self.due_day, every, self.next_period) {
            (DueDay::Last, Every::Month, _) | (DueDay::Last, _, true) => "月底前".to_owned(),
            (DueDay::Last, Every::Year { .. }, _) => "底前".to_owned(),
            (DueDay::Last, _, false) => "末".to_owned(),
            (DueDay::Day(n), _, _) => match self.opens_day {
                Some(o) => format!("{o}日至{n}日"),
                None => format!("{n}日前"),
            },
        }
    }
}

/// What a date phrase means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// A stretch of days (one day when `first == last`); `start` and `end` are the phrase's
    /// two ends as document dates (the same for a single point).
    Days {
        first: NaiveDate,
        last: NaiveDate,
        start: DocDate,
        end: DocDate,
    },
    Recurring(Recurrence),
    /// Words that name a time this reader cannot pin to days; kept for a person to read.
    Unpinned,
}

/// One date phrase in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Byte offsets in the text.
    pub span: Range<usize>,
    pub text: String,
    pub when: When,
    pub bound: Bound,
    /// 0–100: how sure the reading is (a year taken from context, a quarter, a relative phrase
    /// lower).
    pub confidence: u8,
    /// Why the confidence is lower, for the reviewer.
    pub note: Option<&'static str>,
}

impl Mention {
    /// The last day, when the phrase is pinned to days.
    pub fn due(&self) -> Option<NaiveDate> {
        match &self.when {
            When::Days { last, .. } => Some(*last),
            _ => None,
        }
    }
}

const PARTS: &str = "中下旬|上中旬|上旬|中旬|下旬|月初|月底|月末|初|底|末";
const SUFFIX: &str = r"(?P<suf>之前|以前|前|为止|止|起|开始|以来)?";

/// A point in time; `s` names its groups apart from another point's in the same pattern.
fn point(s: &str) -> String {
    format!(
        r"(?:(?P<y{s}>[0-9０-９〇零一二三四五六七八九]{{4}}|次|翌|明|今|当|同)\s{{0,2}}年\s{{0,2}}(?:(?P<ye{s}>底|末|初)|(?P<ym{s}>[{N}]{{1,3}})\s{{0,2}}月份?\s{{0,2}}(?:(?P<yd{s}>[{N}]{{1,3}})\s{{0,2}}[日号]|(?P<yp{s}>{PARTS}))?)|(?P<m{s}>[{N}]{{1,3}})\s{{0,2}}月份?\s{{0,2}}(?:(?P<d{s}>[{N}]{{1,3}})\s{{0,2}}[日号]|(?P<p{s}>{PARTS}))?|(?P<yb{s}>年底|年末))"
    )
}

static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{}\s{{0,2}}(?:至|到|—|－|–|-|~|～)\s{{0,2}}(?:{}|(?P<d3>[{N}]{{1,3}})\s{{0,2}}[日号]){SUFFIX}",
        point("1"),
        point("2")
    ))
    .expect("the range pattern is valid")
});
static POINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"{}{SUFFIX}", point("1"))).expect("the point pattern is valid"));

/// Recurring deadlines: the pattern, what it means, and how sure.
/// A recurring pattern, what its match means, and how sure.
type RecurringRule = (Regex, fn(&Captures) -> Option<Recurrence>, u8);

static RECURRING: LazyLock<Vec<RecurringRule>> = LazyLock::new(|| {
    let re = |p: String| Regex::new(&p).expect("recurring patterns are valid");
    vec![
        (
            re(format!(
                r"每(?:个)?月(?:的)?(?P<a>[{N}]{{1,2}})\s*[日号]?\s*(?:至|到|—|－|-|~|～)\s*(?P<b>[{N}]{{1,2}})\s*[日号]"
            )),
            |c| Some(monthly(Some(n(c, "a")?), DueDay::Day(n(c, "b")?), false)),
            95,
        ),
        (
            re(format!(r"每(?:个)?月(?:的)?(?P<b>[{N}]{{1,2}})\s*[日号](?:之前|以前|前)")),
            |c| Some(monthly(None, DueDay::Day(n(c, "b")?), false)),
            95,
        ),
        (
            re(r"每(?:个)?月(?:月底|月末|底|末)(?:之前|以前|前)?".into()),
            |_| Some(monthly(None, DueDay::Last, false)),
            90,
        ),
        (
            re(format!(r"(?:次月|下月|每月结束后)(?P<b>[{N}]{{1,2}})\s*[日号]?(?:之前|以前|前|内)")),
            |c| Some(monthly(None, DueDay::Day(n(c, "b")?), true)),
            85,
        ),
        (
            re(format!(r"每(?:个)?月(?:的)?(?P<b>[{N}]{{1,2}})\s*[日号]")),
            |c| Some(monthly(None, DueDay::Day(n(c, "b")?), false)),
            75,
        ),
        (
            re(format!(
                r"(?:每(?:个)?季度|季度)(?:结束后|末后|次月)(?P<b>[{N}]{{1,2}})\s*(?:个工作日|日|天)?(?:之前|以前|前|内)"
            )),
            |c| {
                Some(Recurrence {
                    every: Every::Quarter,
                    opens_day: None,
                    due_day: DueDay::Day(n(c, "b")?),
                    next_period: true,
                })
            },
            80,
        ),
        (
            re(r"每(?:个)?季度(?:末|最后一个月|结束前)".into()),
            |_| Some(Recurrence { every: Every::Quarter, opens_day: None, due_day: DueDay::Last, next_period: false }),
            85,
        ),
        // Yearly: 每年3月1日至10日, 每年12月10日前, 每年6月底前, 每年年底前.
        (
            re(format!(
                r"每年(?:的)?(?P<m>[{N}]{{1,2}})\s*月份?\s*(?P<a>[{N}]{{1,2}})\s*[日号]?\s*(?:至|到|—|－|-|~|～)\s*(?:(?P<m2>[{N}]{{1,2}})\s*月)?\s*(?P<b>[{N}]{{1,2}})\s*[日号]"
            )),
            // A window into the next month (每年11月15日至12月15日) is due in that month; the
            // day it opens, a month earlier, is left out rather than put in the wrong month.
            |c| match n(c, "m2") {
                Some(m2) if Some(m2) != n(c, "m") => yearly(m2, None, DueDay::Day(n(c, "b")?)),
                _ => yearly(n(c, "m")?, Some(n(c, "a")?), DueDay::Day(n(c, "b")?)),
            },
            90,
        ),
        (
            re(format!(r"每年(?:的)?(?P<m>[{N}]{{1,2}})\s*月份?\s*(?P<b>[{N}]{{1,2}})\s*[日号](?:之前|以前|前)")),
            |c| yearly(n(c, "m")?, None, DueDay::Day(n(c, "b")?)),
            90,
        ),
        (
            re(format!(r"每年(?:的)?(?P<m>[{N}]{{1,2}})\s*月(?:底|末)(?:之前|以前|前)?")),
            |c| yearly(n(c, "m")?, None, DueDay::Last),
            85,
        ),
        (re(r"每年(?:年底|年末|底)(?:之前|以前|前)?".into()), |_| yearly(12, None, DueDay::Last), 80),
        (
            re(r"每(?:个)?半年".into()),
            |_| Some(Recurrence { every: Every::HalfYear, opens_day: None, due_day: DueDay::Last, next_period: false }),
            60,
        ),
    ]
});

/// A number group of a match.
fn n(c: &Captures, g: &str) -> Option<u32> {
    c.name(g).and_then(|m| number(m.as_str()))
}

/// Once a year in `month`; None for a month or day no calendar has.
fn yearly(month: u32, opens_day: Option<u32>, due_day: DueDay) -> Option<Recurrence> {
    let day_ok = |d: u32| (1..=31).contains(&d);
    ((1..=12).contains(&month)
        && opens_day.is_none_or(day_ok)
        && match due_day {
            DueDay::Day(d) => day_ok(d) && opens_day.is_none_or(|o| o <= d),
            DueDay::Last => true,
        })
    .then_some(Recurrence { every: Every::Year { month }, opens_day, due_day, next_period: false })
}

fn monthly(opens_day: Option<u32>, due_day: DueDay, next_period: bool) -> Recurrence {
    Recurrence { every: Every::Month, opens_day, due_day, next_period }
}

/// Phrases of time that cannot be pinned to days.
static UNPINNED: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let re = |p: String| Regex::new(&p).expect("relative patterns are valid");
    vec![
        (re(format!(r"[{N}]{{1,3}}个工作日(?:之内|以内|内)")), "so many working days after an event"),
        (re(format!(r"[{N}]{{1,3}}(?:日|天)(?:之内|以内|内)")), "so many days after an event"),
        (re(format!(r"(?:期限|为期)?(?:为)?[{N}]{{1,2}}年左右")), "an approximate length, no dates"),
        (re(r"每(?:一)?年(?:度)?".into()), "every year: the day is not given"),
    ]
});

static QUARTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?:(?P<y>[0-9]{{4}})年)?第(?P<q>[一二三四1-4])季度{SUFFIX}")).expect("valid")
});
static HALF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:(?P<y>[0-9]{{4}})年)?(?P<h>上|下)半年{SUFFIX}")).expect("valid"));

/// A point as written: the year (absolute, or relative to the year in force), the month, and
/// a day or a part of the month.
#[derive(Debug, Clone, Default)]
struct Point {
    year: Option<YearRef>,
    month: Option<u32>,
    day: Option<u32>,
    part: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum YearRef {
    Year(i32),
    /// 次年 / 翌年 / 明年.
    Next,
    /// 今年 / 当年 / 同年.
    Same,
}

fn read_point(c: &Captures, s: &str) -> Option<Point> {
    let g = |name: &str| c.name(&format!("{name}{s}")).map(|m| m.as_str());
    if g("yb").is_some() {
        return Some(Point { year: None, month: Some(12), part: Some("底".into()), day: None });
    }
    if let Some(y) = g("y") {
        let year = match y {
            "次" | "翌" | "明" => YearRef::Next,
            "今" | "当" | "同" => YearRef::Same,
            digits => YearRef::Year(i32::try_from(number(digits)?).ok().filter(|y| (1949..=2100).contains(y))?),
        };
        let mut p = Point { year: Some(year), ..Point::default() };
        match g("ye") {
            Some("初") => p.month = Some(1),
            Some(_) => (p.month, p.part) = (Some(12), Some("底".into())),
            None => {
                p.month = Some(number(g("ym")?)?);
                p.day = g("yd").and_then(number);
                p.part = g("yp").map(str::to_owned);
            }
        }
        return Some(p);
    }
    Some(Point {
        year: None,
        month: Some(number(g("m")?)?),
        day: g("d").and_then(number),
        part: g("p").map(str::to_owned),
    })
}

fn bound_of(c: &Captures) -> Bound {
    match c.name("suf").map(|m| m.as_str()) {
        Some("起" | "开始" | "以来") => Bound::From,
        Some(_) => Bound::Before,
        None => Bound::Within,
    }
}

/// A phrase found: where, what, how it bounds, how sure, and why not surer.
type Found = (Range<usize>, Raw, Bound, u8, Option<&'static str>);

/// What was found before the years are read in order.
enum Raw {
    Range(Point, Point),
    Point(Point),
    Recurring(Recurrence),
    Unpinned,
    Quarter(Option<i32>, u32),
    Half(Option<i32>, bool),
}

/// The date phrases of `text`, in order, years read against `year` (the notice's) and then
/// against the last year the text named.
pub fn find(text: &str, year: Option<i32>) -> Vec<Mention> {
    let mut taken: Vec<Range<usize>> = Vec::new();
    let mut raws: Vec<Found> = Vec::new();
    let free = |taken: &[Range<usize>], r: &Range<usize>| taken.iter().all(|t| t.end <= r.start || r.end <= t.start);
    for (re, read, confidence) in RECURRING.iter() {
        for c in re.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if free(&taken, &m.range())
                && let Some(r) = read(&c)
            {
                taken.push(m.range());
                raws.push((m.range(), Raw::Recurring(r), Bound::Before, *confidence, None));
            }
        }
    }
    for c in QUARTER.captures_iter(text) {
        let m = c.get(0).expect("group 0");
        let q = number(&c["q"]).unwrap_or(0);
        if free(&taken, &m.range()) && (1..=4).contains(&q) {
            taken.push(m.range());
            let y = c.name("y").and_then(|y| y.as_str().parse().ok());
            raws.push((
                m.range(),
                Raw::Quarter(y, q),
                bound_of(&c),
                75,
                Some("a quarter: its days follow from the year"),
            ));
        }
    }
    for c in HALF.captures_iter(text) {
        let m = c.get(0).expect("group 0");
        if free(&taken, &m.range()) {
            taken.push(m.range());
            let y = c.name("y").and_then(|y| y.as_str().parse().ok());
            raws.push((m.range(), Raw::Half(y, &c["h"] == "上"), bound_of(&c), 75, None));
        }
    }
    for c in RANGE.captures_iter(text) {
        let m = c.get(0).expect("group 0");
        let Some(a) = read_point(&c, "1") else { continue };
        let b = match c.name("d3") {
            Some(d) => Point { day: number(d.as_str()), ..Point::default() },
            None => match read_point(&c, "2") {
                Some(b) => b,
                None => continue,
            },
        };
        if free(&taken, &m.range()) {
            taken.push(m.range());
            raws.push((m.range(), Raw::Range(a, b), bound_of(&c), 95, None));
        }
    }
    for c in POINT.captures_iter(text) {
        let m = c.get(0).expect("group 0");
        if free(&taken, &m.range())
            && let Some(p) = read_point(&c, "1")
        {
            taken.push(m.range());
            raws.push((m.range(), Raw::Point(p), bound_of(&c), 95, None));
        }
    }
    for (re, why) in UNPINNED.iter() {
        for m in re.find_iter(text) {
            if free(&taken, &m.range()) {
                taken.push(m.range());
                raws.push((m.range(), Raw::Unpinned, Bound::Within, 40, Some(why)));
            }
        }
    }
    raws.sort_by_key(|(r, ..)| r.start);

    // The year in force: the notice's, then each year the text names. Without one, a date
    // without its year cannot be pinned.
    let mut current = year;
    let mut out = Vec::new();
    for (span, raw, bound, mut confidence, mut note) in raws {
        let no_year = || (When::Unpinned, 30, Some("no year: the notice names none before it"));
        let when = match raw {
            Raw::Recurring(r) => When::Recurring(r),
            Raw::Unpinned => When::Unpinned,
            Raw::Quarter(y, q) => match y.or(current) {
                Some(y) => {
                    days(&format!("{y}年{}月", q * 3 - 2), &format!("{y}年{}月", q * 3)).unwrap_or(When::Unpinned)
                }
                None => {
                    let (w, c, n) = no_year();
                    (confidence, note) = (c, n);
                    w
                }
            },
            Raw::Half(y, first) => match y.or(current) {
                Some(y) => {
                    let (a, b) = if first { (1, 6) } else { (7, 12) };
                    days(&format!("{y}年{a}月"), &format!("{y}年{b}月")).unwrap_or(When::Unpinned)
                }
                None => {
                    let (w, c, n) = no_year();
                    (confidence, note) = (c, n);
                    w
                }
            },
            Raw::Point(p) => match resolve(&p, current, None) {
                Some((y, text)) => {
                    if !matches!(p.year, Some(YearRef::Year(_))) {
                        (confidence, note) = (85, Some("the year is taken from the text before it"));
                    }
                    current = Some(y);
                    days(&text, &text).unwrap_or(When::Unpinned)
                }
                None => {
                    let (w, c, n) = no_year();
                    (confidence, note) = (c, n);
                    w
                }
            },
            Raw::Range(a, b) => {
                let ends =
                    resolve(&a, current, None).and_then(|(y, start)| Some((start, resolve(&b, Some(y), Some(&a))?)));
                match ends {
                    Some((start, (y2, end))) => {
                        if !matches!(a.year, Some(YearRef::Year(_))) {
                            (confidence, note) = (85, Some("the year is taken from the text before it"));
                        }
                        current = Some(y2);
                        days(&start, &end).unwrap_or(When::Unpinned)
                    }
                    None => {
                        let (w, c, n) = no_year();
                        (confidence, note) = (c, n);
                        w
                    }
                }
            }
        };
        if when == When::Unpinned && note.is_none() {
            (confidence, note) = (30, Some("not a calendar date"));
        }
        out.push(Mention { text: text[span.clone()].to_owned(), span, when, bound, confidence, note });
    }
    out
}

/// The point as a document date, its year read against `current` (and, for a range's end,
/// against its start: `2022年11月至3月` ends in 2023); returns the year it fell in. None: the
/// point has no year of its own and none is in force.
fn resolve(p: &Point, current: Option<i32>, start: Option<&Point>) -> Option<(i32, String)> {
    let month = p.month.or(start.and_then(|s| s.month)).unwrap_or(1);
    let year = match p.year {
        Some(YearRef::Year(y)) => y,
        Some(YearRef::Next) => current? + 1,
        Some(YearRef::Same) => current?,
        None => match start.and_then(|s| s.month) {
            Some(m) if p.month.is_some_and(|pm| pm < m) => current? + 1,
            _ => current?,
        },
    };
    let text = match (&p.day, &p.part) {
        (Some(d), _) => format!("{year}年{month}月{d}日"),
        (None, Some(part)) => format!("{year}年{month}月{part}"),
        (None, None) => format!("{year}年{month}月"),
    };
    Some((year, text))
}

fn days(start: &str, end: &str) -> Option<When> {
    let (start, end) = (DocDate::parse(start).ok()?, DocDate::parse(end).ok()?);
    (start.first() <= end.last()).then(|| When::Days { first: start.first(), last: end.last(), start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurring_deadlines_read_back_as_a_notice_writes_them() {
        let r = |every, opens_day, due_day, next_period| Recurrence { every, opens_day, due_day, next_period };
        assert_eq!(r(Every::Month, Some(15), DueDay::Day(20), false).text(), "每月15日至20日");
        assert_eq!(r(Every::Month, None, DueDay::Day(5), true).text(), "次月5日前");
        assert_eq!(r(Every::Month, None, DueDay::Last, false).text(), "每月月底前");
        assert_eq!(r(Every::Quarter, None, DueDay::Last, false).text(), "每季度末");
        assert_eq!(r(Every::Year { month: 12 }, None, DueDay::Day(10), false).text(), "每年12月10日前");
        assert_eq!(r(Every::Year { month: 6 }, None, DueDay::Last, false).text(), "每年6月底前");
        assert_eq!(r(Every::Year { month: 3 }, Some(1), DueDay::Day(10), false).text(), "每年3月1日至10日");
    }

    fn only(text: &str, year: Option<i32>) -> Mention {
        let found = find(text, year);
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        found.into_iter().next().unwrap()
    }

    /// Phrase → the days it means (first, last), and how it bounds.
    #[test]
    fn phrases_and_the_days_they_mean() {
        let table: &[(&str, i32, &str, &str, Bound)] = &[
            ("2022年9月20日前", 2022, "2022-09-20", "2022-09-20", Bound::Before),
            ("于2022年11月1日向省民政厅报送", 2022, "2022-11-01", "2022-11-01", Bound::Within),
            ("2022年8月下旬至2022年9月中旬", 2022, "2022-08-21", "2022-09-20", Bound::Within),
            ("2022年9月下旬至2023年9月", 2022, "2022-09-21", "2023-09-30", Bound::Within),
            ("2023年10月至2023年11月", 2022, "2023-10-01", "2023-11-30", Bound::Within),
            ("2023年11月底前报送", 2022, "2023-11-30", "2023-11-30", Bound::Before),
            ("2019年1月中下旬", 2019, "2019-01-11", "2019-01-31", Bound::Within),
            ("2019年1月初", 2019, "2019-01-01", "2019-01-10", Bound::Within),
            ("2019年2月至5月", 2019, "2019-02-01", "2019-05-31", Bound::Within),
            ("2019 年6 月至7月", 2019, "2019-06-01", "2019-07-31", Bound::Within),
            ("2019年8月起", 2019, "2019-08-01", "2019-08-31", Bound::From),
            ("9月20日前", 2022, "2022-09-20", "2022-09-20", Bound::Before),
            ("次年3月", 2022, "2023-03-01", "2023-03-31", Bound::Within),
            ("明年6月底前", 2024, "2025-06-30", "2025-06-30", Bound::Before),
            ("2022年11月至3月", 2022, "2022-11-01", "2023-03-31", Bound::Within),
            ("8月15日至20日", 2022, "2022-08-15", "2022-08-20", Bound::Within),
            ("二〇二二年九月二十日前", 2022, "2022-09-20", "2022-09-20", Bound::Before),
            ("十二月上中旬", 2020, "2020-12-01", "2020-12-20", Bound::Within),
            ("廿五日", 2020, "", "", Bound::Within),
            ("2020年底前", 2020, "2020-12-31", "2020-12-31", Bound::Before),
            ("年底前完成", 2021, "2021-12-31", "2021-12-31", Bound::Before),
            ("2024年12月底", 2024, "2024-12-31", "2024-12-31", Bound::Within),
            ("第二季度起", 2019, "2019-04-01", "2019-06-30", Bound::From),
            ("2020年第三季度", 2019, "2020-07-01", "2020-09-30", Bound::Within),
            ("下半年", 2023, "2023-07-01", "2023-12-31", Bound::Within),
            ("2025年3月31日止", 2025, "2025-03-31", "2025-03-31", Bound::Before),
        ];
        for (text, year, first, last, bound) in table {
            let found = find(text, Some(*year));
            if first.is_empty() {
                assert!(found.is_empty(), "{text}: a day alone is no date: {found:?}");
                continue;
            }
            assert_eq!(found.len(), 1, "{text}: {found:#?}");
            let m = &found[0];
            let When::Days { first: f, last: l, .. } = m.when else { panic!("{text}: {m:?}") };
            assert_eq!(
                (f.to_string(), l.to_string(), m.bound),
                (first.to_string(), last.to_string(), *bound),
                "{text}"
            );
        }
    }

    #[test]
    fn recurring_deadlines() {
        let monthly = |opens, due, next| {
            When::Recurring(Recurrence { every: Every::Month, opens_day: opens, due_day: due, next_period: next })
        };
        for (text, want) in [
            ("每月15日至20日传送动态电子信息", monthly(Some(15), DueDay::Day(20), false)),
            ("每月25日前上报经审核纸质资料", monthly(None, DueDay::Day(25), false)),
            ("每月月底前报送", monthly(None, DueDay::Last, false)),
            ("次月5日前报送上月情况", monthly(None, DueDay::Day(5), true)),
            ("每月十日前", monthly(None, DueDay::Day(10), false)),
            (
                "每季度末报送",
                When::Recurring(Recurrence {
                    every: Every::Quarter,
                    opens_day: None,
                    due_day: DueDay::Last,
                    next_period: false,
                }),
            ),
            (
                "每季度结束后10日内",
                When::Recurring(Recurrence {
                    every: Every::Quarter,
                    opens_day: None,
                    due_day: DueDay::Day(10),
                    next_period: true,
                }),
            ),
            ("每年12月10日前报送年度工作总结", yearly(12, None, DueDay::Day(10)).map(When::Recurring).unwrap()),
            ("每年十二月十日前", yearly(12, None, DueDay::Day(10)).map(When::Recurring).unwrap()),
            ("每年的1月15日至1月31日", yearly(1, Some(15), DueDay::Day(31)).map(When::Recurring).unwrap()),
            ("每年11月15日至12月15日", yearly(12, None, DueDay::Day(15)).map(When::Recurring).unwrap()),
            ("每年3月1日至10日开展复核", yearly(3, Some(1), DueDay::Day(10)).map(When::Recurring).unwrap()),
            ("每年6月底前完成中期评估", yearly(6, None, DueDay::Last).map(When::Recurring).unwrap()),
            ("每年年底前报送", yearly(12, None, DueDay::Last).map(When::Recurring).unwrap()),
            (
                "每半年报送一次",
                When::Recurring(Recurrence {
                    every: Every::HalfYear,
                    opens_day: None,
                    due_day: DueDay::Last,
                    next_period: false,
                }),
            ),
        ] {
            assert_eq!(only(text, Some(2019)).when, want, "{text}");
        }
    }

    #[test]
    fn relative_phrases_are_kept_with_a_flag() {
        for text in ["试点期限为一年左右", "收到申请后5个工作日内", "10日内办结", "每年开展一次"]
        {
            let m = only(text, Some(2022));
            assert_eq!(m.when, When::Unpinned, "{text}");
            assert!(m.note.is_some() && m.confidence < 50, "{text}: {m:?}");
        }
        assert!(find("没有任何日期的句子。三个月内容。", Some(2022)).is_empty());
        let m = only("于4月30日前制定出台本地实施意见", None);
        assert_eq!((m.when.clone(), m.confidence < 50), (When::Unpinned, true), "no year to read it against: {m:?}");
    }

    #[test]
    fn years_follow_the_text_in_order() {
        let found = find("2022年8月17日印发。于2023年3月开展评估，6月底前完成总结；次年3月推广。", Some(2022));
        let due: Vec<String> = found.iter().map(|m| m.due().unwrap().to_string()).collect();
        assert_eq!(due, ["2022-08-17", "2023-03-31", "2023-06-30", "2024-03-31"]);
        assert!(found[2].confidence < found[1].confidence, "a year from context is less sure");
        let m = &found[1];
        assert_eq!(
            &"2022年8月17日印发。于2023年3月开展评估，6月底前完成总结；次年3月推广。"[m.span.clone()],
            "2023年3月"
        );
    }
}
