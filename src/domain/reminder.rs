//! Reminders (临近提醒), chasing (到期催办) and escalation up the tree, planned from a deadline
//! and the working-day calendar. Pure: the job decides *what* is due on which day; the store
//! makes each reminder happen once.
//!
//! The rules, by default: the unit's lead is reminded 7, 3 and 1 working days before the due day
//! and on the day; after it, on every working day while nothing is filed; the level above (a
//! city's reviewers) is told once 3 days after the due day, the province once 7 days after. A
//! filing stops everything still to come.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::access::Role;
use super::account::Account;
use super::calendar::Calendar;
use super::deadline::{YearMonth, local_day};
use super::region::{RegionCode, RegionLevel};
use super::{Key, Programme};

/// A programme's reminder rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRules {
    /// Working days before the due day on which the lead is reminded.
    pub before_working_days: Vec<u32>,
    pub on_the_day: bool,
    /// Every working day while overdue.
    pub overdue_daily: bool,
    /// Days after the due day on which the city's reviewers are told; none: never.
    pub escalate_city_after_days: Option<u32>,
    /// Days after the due day on which the province is told; none: never.
    pub escalate_province_after_days: Option<u32>,
    /// When the reminder job runs for this programme: a cron expression with seconds
    /// (`sec min hour day month weekday`); none: the server's schedule (09:00 every day).
    #[serde(default)]
    pub schedule: Option<String>,
    /// The IANA time zone the schedule is read in; none: Asia/Shanghai.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Who is told at the last escalation instead of the unit's province: a region of the
    /// programme, e.g. the district that runs a district programme.
    #[serde(default)]
    pub escalate_to: Option<RegionCode>,
}

impl ReminderRules {
    /// Checks the rules of a programme whose scope is `scope` (escalation stays inside it).
    pub fn validate(&self, scope: &RegionCode) -> Result<(), super::DomainError> {
        use super::DomainError;
        self.schedule()?;
        if let Some(to) = &self.escalate_to
            && !to.implied_path().contains(scope)
        {
            return Err(DomainError::invalid(
                "escalate_to",
                format!("{to} is outside the programme's region {scope}; escalation goes to a region of the programme"),
            ));
        }
        if self.before_working_days.len() > 5 || self.before_working_days.iter().any(|n| !(1..=30).contains(n)) {
            return Err(DomainError::invalid(
                "before_working_days",
                "at most five reminders, each 1–30 working days before",
            ));
        }
        let days = [self.escalate_city_after_days, self.escalate_province_after_days];
        if days.iter().flatten().any(|d| !(1..=60).contains(d)) {
            return Err(DomainError::invalid("escalate", "escalation comes 1–60 days after the due day"));
        }
        if let [Some(city), Some(province)] = days
            && province < city
        {
            return Err(DomainError::invalid(
                "escalate_province_after_days",
                "the province is told after the city, not before",
            ));
        }
        Ok(())
    }
}

impl ReminderRules {
    /// The programme's own schedule and its time zone, if it set one.
    pub fn schedule(&self) -> Result<Option<(cron::Schedule, chrono_tz::Tz)>, super::DomainError> {
        use super::DomainError;
        let tz = match &self.time_zone {
            None => chrono_tz::Asia::Shanghai,
            Some(name) => name.parse::<chrono_tz::Tz>().map_err(|_| {
                DomainError::invalid(
                    "time_zone",
                    format!("unknown time zone {name:?}; use an IANA name such as Asia/Shanghai"),
                )
            })?,
        };
        let Some(expr) = &self.schedule else { return Ok(None) };
        let schedule = expr.parse::<cron::Schedule>().map_err(|e| {
            DomainError::invalid(
                "schedule",
                format!("invalid cron expression {expr:?} ({e}); write `sec min hour day month weekday`, e.g. \"0 0 9 * * *\""),
            )
        })?;
        Ok(Some((schedule, tz)))
    }
}

impl Default for ReminderRules {
    fn default() -> Self {
        Self {
            before_working_days: vec![7, 3, 1],
            on_the_day: true,
            overdue_daily: true,
            escalate_city_after_days: Some(3),
            escalate_province_after_days: Some(7),
            schedule: None,
            time_zone: None,
            escalate_to: None,
        }
    }
}

/// Which rule a reminder comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// N working days before.
    Before(u32),
    OnTheDay,
    Overdue,
    EscalateCity,
    EscalateProvince,
}

impl Kind {
    /// Stable text for identities and listings: `before-3`, `on-the-day`, `overdue`, ...
    pub fn code(self) -> String {
        match self {
            Self::Before(n) => format!("before-{n}"),
            Self::OnTheDay => "on-the-day".into(),
            Self::Overdue => "overdue".into(),
            Self::EscalateCity => "escalate-city".into(),
            Self::EscalateProvince => "escalate-province".into(),
        }
    }

    /// Who receives it.
    pub fn audience(self) -> Audience {
        match self {
            Self::EscalateCity => Audience::City,
            Self::EscalateProvince => Audience::Province,
            _ => Audience::Lead,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The unit's own lead.
    Lead,
    /// The reviewers of the unit's city.
    City,
    /// The province's admins.
    Province,
}

/// One reminder a deadline calls for, on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub kind: Kind,
    pub date: NaiveDate,
}

impl Due {
    /// The reminder's identity within its deadline; the same reminder always gets the same one.
    pub fn identity(&self) -> String {
        match self.kind {
            Kind::Overdue => format!("overdue:{}", self.date),
            k => k.code(),
        }
    }
}

/// Every reminder an unmet deadline due on `due_on` calls for with a date in `(after, upto]`.
pub fn due_between(
    rules: &ReminderRules,
    cal: &Calendar,
    due_on: NaiveDate,
    after: NaiveDate,
    upto: NaiveDate,
) -> Vec<Due> {
    let mut out = Vec::new();
    let mut push = |kind, date: NaiveDate| {
        if after < date && date <= upto {
            out.push(Due { kind, date });
        }
    };
    for n in &rules.before_working_days {
        push(Kind::Before(*n), cal.working_days_before(due_on, *n));
    }
    if rules.on_the_day {
        push(Kind::OnTheDay, due_on);
    }
    let plus = |n: u32| due_on.checked_add_days(Days::new(u64::from(n))).expect("dates stay in range");
    if let Some(n) = rules.escalate_city_after_days {
        push(Kind::EscalateCity, plus(n));
    }
    if let Some(n) = rules.escalate_province_after_days {
        push(Kind::EscalateProvince, plus(n));
    }
    if rules.overdue_daily {
        let mut d = plus(1).max(after.succ_opt().expect("dates stay in range"));
        while d <= upto {
            if cal.is_working_day(d) {
                push(Kind::Overdue, d);
            }
            d = d.succ_opt().expect("dates stay in range");
        }
    }
    out.sort_by_key(|d| (d.date, d.kind));
    out
}

/// The days before `due_on` (calendar days, 0 for the due day itself) on which the rules remind
/// the lead, furthest first: what a calendar feed sets its alarms by, so the phone rings on the
/// days the server reminds.
pub fn alarm_days(rules: &ReminderRules, cal: &Calendar, due_on: NaiveDate) -> Vec<u32> {
    let mut days: Vec<u32> = rules
        .before_working_days
        .iter()
        .map(|n| u32::try_from((due_on - cal.working_days_before(due_on, *n)).num_days()).unwrap_or(0))
        .chain(rules.on_the_day.then_some(0))
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    days
}

/// After downtime, a run covers several days at once: of what each audience would have been
/// sent, only the latest is still worth sending (catch up once, not once per missed day).
pub fn collapse(due: Vec<Due>) -> Vec<Due> {
    let mut latest: Vec<Due> = Vec::new();
    for d in due {
        match latest.iter_mut().find(|x| x.kind.audience() == d.kind.audience()) {
            Some(x) if (x.date, x.kind) < (d.date, d.kind) => *x = d,
            Some(_) => {}
            None => latest.push(d),
        }
    }
    latest.sort_by_key(|d| (d.date, d.kind));
    latest
}

impl Kind {
    /// Reads a [`Kind::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "on-the-day" => Self::OnTheDay,
            "overdue" => Self::Overdue,
            "escalate-city" => Self::EscalateCity,
            "escalate-province" => Self::EscalateProvince,
            other => Self::Before(other.strip_prefix("before-")?.parse().ok()?),
        })
    }
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::City => "city",
            Self::Province => "province",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Lead, Self::City, Self::Province].into_iter().find(|a| a.as_str() == s)
    }
}

/// What a reminder is about: a deadline (by the rule that calls for it), or a month's ranking
/// waiting to be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Deadline(Kind),
    RankingDue,
    /// A supervision order (督办单) awaits the unit's answer.
    OrderDue,
}

impl Notice {
    /// `before-3`, `on-the-day`, `overdue`, `escalate-city`, `escalate-province`, `ranking-due`.
    pub fn code(self) -> String {
        match self {
            Self::Deadline(k) => k.code(),
            Self::RankingDue => "ranking-due".into(),
            Self::OrderDue => "order-due".into(),
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "ranking-due" => Some(Self::RankingDue),
            "order-due" => Some(Self::OrderDue),
            other => Kind::parse(other).map(Self::Deadline),
        }
    }
}

/// A reminder as sent: to whom, about what, saying what; created once per identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// Stable and URL-safe: `programme~unit~deliverable~occurrence~rule`.
    pub identity: String,
    pub programme: Key,
    pub unit: RegionCode,
    pub unit_name: String,
    /// The unit's region path, root first.
    pub unit_path: Vec<RegionCode>,
    /// A deliverable key (or `ranking` for a ranking notice).
    pub deliverable: String,
    pub occurrence: String,
    pub due_on: NaiveDate,
    pub notice: Notice,
    pub audience: Audience,
    pub send_date: NaiveDate,
    pub message: String,
    pub recipients: Vec<String>,
    pub read_by: Vec<String>,
    pub sent_at: DateTime<Utc>,
}

impl Reminder {
    pub fn is_read_by(&self, username: &str) -> bool {
        self.read_by.iter().any(|u| u == username)
    }
}

/// One unmet deadline of one unit, as a reminder names it.
pub struct Deadline<'a> {
    pub programme: &'a Key,
    pub unit: &'a RegionCode,
    pub unit_name: &'a str,
    pub unit_path: &'a [RegionCode],
    pub deliverable: &'a Key,
    pub title: &'a str,
    pub occurrence: &'a str,
    pub due_on: NaiveDate,
    pub due_text: &'a str,
}

/// The reminder `due` calls for about deadline `d`, addressed among `accounts`.
pub fn deadline_reminder(
    d: &Deadline<'_>,
    due: Due,
    escalate_to: Option<&RegionCode>,
    accounts: &[Account],
    now: DateTime<Utc>,
) -> Reminder {
    let audience = due.kind.audience();
    let (unit_name, title, due_text) = (d.unit_name, d.title, d.due_text);
    let message = match due.kind {
        Kind::Before(n) => format!("【临近提醒】{unit_name}：{title}（{due_text}）还有{n}个工作日到期，请按时报送。"),
        Kind::OnTheDay => format!("【到期提醒】{unit_name}：{title}（{due_text}）今日到期，请于今日内报送。"),
        Kind::Overdue => format!("【催办】{unit_name}：{title}（{due_text}）已逾期未报送，请尽快报送。"),
        Kind::EscalateCity => format!("【逾期报告】{unit_name}的{title}（{due_text}）逾期未报送，请市级督促。"),
        Kind::EscalateProvince => {
            format!("【逾期报告】{unit_name}的{title}（{due_text}）逾期未报送，请省级督办。")
        }
    };
    Reminder {
        identity: format!("{}~{}~{}~{}~{}", d.programme, d.unit, d.deliverable, d.occurrence, due.identity()),
        programme: d.programme.clone(),
        unit: d.unit.clone(),
        unit_name: unit_name.to_owned(),
        unit_path: d.unit_path.to_vec(),
        deliverable: d.deliverable.to_string(),
        occurrence: d.occurrence.to_owned(),
        due_on: d.due_on,
        notice: Notice::Deadline(due.kind),
        audience,
        send_date: due.date,
        message,
        recipients: recipients(audience, d.unit, d.unit_path, escalate_to, accounts),
        read_by: vec![],
        sent_at: now,
    }
}

/// Who hears of a unit's deadline: its lead; the reviewers of its city; and last, the region a
/// programme names to escalate to (its departments and leaders) or else the province's admins.
pub fn recipients(
    audience: Audience,
    unit: &RegionCode,
    unit_path: &[RegionCode],
    escalate_to: Option<&RegionCode>,
    accounts: &[Account],
) -> Vec<String> {
    let at_level = |level: RegionLevel| unit_path.iter().find(|c| c.level() == level);
    let pick =
        |keep: &dyn Fn(&Account) -> bool| accounts.iter().filter(|a| keep(a)).map(|a| a.username.clone()).collect();
    match audience {
        Audience::Lead => pick(&|a| a.is(Role::UnitLead, unit)),
        Audience::City => match at_level(RegionLevel::City) {
            Some(city) => pick(&|a| a.is(Role::CityReviewer, city)),
            None => vec![],
        },
        Audience::Province => match escalate_to {
            Some(to) => pick(&|a| &a.region == to && !matches!(a.role, Role::UnitLead | Role::Evaluator)),
            None => match at_level(RegionLevel::Province) {
                Some(province) => pick(&|a| a.is(Role::ProvinceAdmin, province)),
                None => vec![],
            },
        },
    }
}

/// What the unit's lead is told about an order still awaiting its answer: once when it is
/// issued or escalated, and again from the day before the answer is due. Each notice is created
/// once (its identity names the order, its colour and the notice).
pub fn order_notices(o: &super::supervision::Order, accounts: &[Account], now: DateTime<Utc>) -> Vec<Reminder> {
    use super::supervision::State;
    if o.state != State::Open {
        return vec![];
    }
    let today = local_day(now);
    let colour = o.colour.label();
    let mut out = vec![(
        "issued",
        format!(
            "【督办】{}：{}（{}）逾期未报送，已发出{colour}督办单第{}号，请于{}前在平台反馈办理情况。",
            o.unit_name,
            o.item.title,
            o.item.due_text,
            o.number,
            super::bulletin::chinese_date(o.respond_by)
        ),
    )];
    if o.respond_by.pred_opt().is_some_and(|d| d <= today) {
        out.push((
            "due",
            format!(
                "【督办反馈】{}：{colour}督办单第{}号须于{}前反馈，尚未反馈，请尽快办理。",
                o.unit_name,
                o.number,
                super::bulletin::chinese_date(o.respond_by)
            ),
        ));
    }
    out.into_iter()
        .map(|(what, message)| Reminder {
            identity: format!("{}~{}~order-{}~{}~{what}", o.programme, o.unit, o.number, o.colour.as_str()),
            programme: o.programme.clone(),
            unit: o.unit.clone(),
            unit_name: o.unit_name.clone(),
            unit_path: o.unit_path.clone(),
            deliverable: o.item.deliverable.to_string(),
            occurrence: o.item.occurrence.clone(),
            due_on: o.respond_by,
            notice: Notice::OrderDue,
            audience: Audience::Lead,
            send_date: today,
            message,
            recipients: accounts.iter().filter(|a| a.is(Role::UnitLead, &o.unit)).map(|a| a.username.clone()).collect(),
            read_by: vec![],
            sent_at: now,
        })
        .collect()
}

/// "Last month's ranking awaits publishing", to the admins of the programme's region, once per
/// programme and month.
pub fn ranking_notice(p: &Programme, month: YearMonth, accounts: &[Account], now: DateTime<Utc>) -> Reminder {
    Reminder {
        identity: format!("{}~ranking~{month}~publish", p.key),
        programme: p.key.clone(),
        unit: p.scope.clone(),
        unit_name: p.issuer.clone(),
        unit_path: p.scope.implied_path(),
        deliverable: "ranking".into(),
        occurrence: month.to_string(),
        due_on: month.last_day(),
        notice: Notice::RankingDue,
        audience: Audience::Province,
        send_date: local_day(now),
        message: format!(
            "【待发布】{}{}年{}月排名已可审核，请核对后发布，发布后生成本月进展通报草稿。",
            p.title, month.year, month.month
        ),
        recipients: accounts
            .iter()
            .filter(|a| a.is(Role::ProvinceAdmin, &p.scope))
            .map(|a| a.username.clone())
            .collect(),
        read_by: vec![],
        sent_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{Year, parse_days};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The lead hears of its own unit's deadline; the escalations go to the city's reviewers,
    /// then to the province's admins (or to the region the programme names: its departments and
    /// leaders, not its leads or evaluators).
    #[test]
    fn reminders_go_to_the_right_people() {
        use crate::domain::access::Role;
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let account = |name: &str, role: Role, region: &str| Account {
            username: name.into(),
            display_name: name.into(),
            role,
            region: code(region),
            region_level: code(region).level(),
            region_path: code(region).implied_path(),
            password_hash: String::new(),
            disabled: false,
            created_at: DateTime::UNIX_EPOCH,
            phone: None,
            must_change_password: false,
        };
        let accounts = [
            account("taijiang", Role::UnitLead, "350103"),
            account("gulou", Role::UnitLead, "350102"),
            account("fz-reviewer", Role::CityReviewer, "350100"),
            account("xm-reviewer", Role::CityReviewer, "350200"),
            account("fj-admin", Role::ProvinceAdmin, "350000"),
            account("fj-leader", Role::Leader, "350000"),
            account("fj-evaluator", Role::Evaluator, "350000"),
        ];
        let unit = code("350103");
        let path = unit.implied_path();
        let to = |a| recipients(a, &unit, &path, None, &accounts);
        assert_eq!(to(Audience::Lead), ["taijiang"]);
        assert_eq!(to(Audience::City), ["fz-reviewer"]);
        assert_eq!(to(Audience::Province), ["fj-admin"]);
        let province = code("350000");
        assert_eq!(recipients(Audience::Province, &unit, &path, Some(&province), &accounts), ["fj-admin", "fj-leader"]);

        let key = Key::parse("fj-2022-reform-pilot").unwrap();
        let plan = Key::parse("plan").unwrap();
        let deadline = Deadline {
            programme: &key,
            unit: &unit,
            unit_name: "台江区",
            unit_path: &path,
            deliverable: &plan,
            title: "实施方案",
            occurrence: "once",
            due_on: d("2022-09-20"),
            due_text: "2022年9月20日前",
        };
        let due = Due { kind: Kind::Before(3), date: d("2022-09-15") };
        let r = deadline_reminder(&deadline, due, None, &accounts, DateTime::UNIX_EPOCH);
        assert_eq!(r.identity, "fj-2022-reform-pilot~350103~plan~once~before-3");
        assert_eq!(r.message, "【临近提醒】台江区：实施方案（2022年9月20日前）还有3个工作日到期，请按时报送。");
        assert_eq!((r.audience, r.recipients.as_slice()), (Audience::Lead, ["taijiang".to_owned()].as_slice()));
        assert_eq!(Notice::parse(&r.notice.code()), Some(r.notice));
        assert_eq!(Notice::parse("ranking-due"), Some(Notice::RankingDue));
        assert_eq!(Notice::parse("before-x"), None);
    }

    fn cal() -> Calendar {
        let mut y = Year::default();
        y.holidays.extend(parse_days("2022-10-01..2022-10-07").unwrap());
        y.workdays.extend([d("2022-10-08"), d("2022-10-09")]);
        Calendar::new([(2022, y)].into())
    }

    #[test]
    fn a_deadline_after_national_day_is_reminded_on_working_days() {
        let all = due_between(&ReminderRules::default(), &cal(), d("2022-10-11"), d("2022-09-01"), d("2022-10-20"));
        let view: Vec<(String, String)> = all.iter().map(|x| (x.identity(), x.date.to_string())).collect();
        assert_eq!(
            view[..4],
            [
                ("before-7".into(), "2022-09-27".into()),
                ("before-3".into(), "2022-10-08".into()),
                ("before-1".into(), "2022-10-10".into()),
                ("on-the-day".into(), "2022-10-11".into()),
            ]
        );
        assert!(view.contains(&("escalate-city".into(), "2022-10-14".into())));
        assert!(view.contains(&("escalate-province".into(), "2022-10-18".into())));
        assert!(!view.iter().any(|(k, d)| k.starts_with("overdue") && d == "2022-10-15"), "no chasing on a Saturday");
    }

    #[test]
    fn a_calendar_rings_on_the_days_the_server_reminds() {
        // Due 2022-10-11: reminded 09-27, 10-08 and 10-10 and on the day (as above).
        assert_eq!(alarm_days(&ReminderRules::default(), &cal(), d("2022-10-11")), [14, 3, 1, 0]);
        let quiet = ReminderRules { before_working_days: vec![1, 1], on_the_day: false, ..ReminderRules::default() };
        assert_eq!(alarm_days(&quiet, &cal(), d("2022-10-11")), [1]);
    }

    #[test]
    fn a_catch_up_sends_the_latest_of_each_audience_once() {
        let all = due_between(&ReminderRules::default(), &cal(), d("2022-10-11"), d("2022-10-09"), d("2022-10-19"));
        let caught: Vec<String> = collapse(all).iter().map(|x| x.identity()).collect();
        assert_eq!(caught, ["escalate-city", "escalate-province", "overdue:2022-10-19"]);
    }
}
