//! Supervision orders (督办单): one numbered order per overdue item (一事一单). A department
//! above a unit issues it for a deadline the unit missed, with a date to answer by; the unit
//! answers with its account of the matter (情况说明) and the date it promises to finish; the
//! department closes it (销号) or, when the answer does not come or does not do, escalates it to
//! the next colour, each step to the level above (蓝 → 黄 → 红), as county supervision practice
//! runs it. Every step is kept on the order.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::programme::text;
use super::{DomainError, Key, RegionCode, Rule};

/// How urgent an order is; each colour is issued one level higher than the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// 蓝色督办: by the department directly above the unit.
    Blue,
    /// 黄色督办: the level above that.
    Yellow,
    /// 红色督办: the highest.
    Red,
}

impl Colour {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Red => "red",
        }
    }

    /// 蓝色 / 黄色 / 红色.
    pub fn label(self) -> &'static str {
        match self {
            Self::Blue => "蓝色",
            Self::Yellow => "黄色",
            Self::Red => "红色",
        }
    }

    pub fn next(self) -> Option<Self> {
        match self {
            Self::Blue => Some(Self::Yellow),
            Self::Yellow => Some(Self::Red),
            Self::Red => None,
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Issued (or escalated); the unit has not answered since.
    Open,
    /// The unit answered; the department decides.
    Answered,
    /// 销号: closed for good.
    Closed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    /// 待反馈 / 已反馈 / 已销号.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "待反馈",
            Self::Answered => "已反馈",
            Self::Closed => "已销号",
        }
    }
}

/// One step of an order's life, as its log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `issue`, `answer`, `escalate` or `close`.
    pub action: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// What was said: the requirement, the answer, the reason, the closing remark.
    pub text: String,
}

/// The unit's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// 情况说明.
    pub text: String,
    /// The day the unit promises to have it done.
    pub promised: NaiveDate,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The overdue item an order is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub deliverable: Key,
    pub occurrence: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub due_text: String,
}

/// A supervision order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub key: String,
    pub programme: Key,
    /// 督办单 number, per programme (一事一单).
    pub number: u32,
    pub unit: RegionCode,
    pub unit_name: String,
    /// The unit's path, root first.
    pub unit_path: Vec<RegionCode>,
    pub item: Item,
    pub colour: Colour,
    /// The region whose department stands behind the order now (the issuer, then each level
    /// it was escalated to) and its path.
    pub level: RegionCode,
    pub level_path: Vec<RegionCode>,
    /// 督办要求: what the unit is asked to do.
    pub requirement: String,
    /// The day the unit answers by.
    pub respond_by: NaiveDate,
    pub state: State,
    pub answer: Option<Answer>,
    pub log: Vec<Step>,
    pub revision: u32,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
}

/// What a department asks when it issues an order.
#[derive(Debug, Clone)]
pub struct Issue {
    pub requirement: String,
    pub respond_by: NaiveDate,
}

fn refuse(msg: String) -> DomainError {
    DomainError::rule(Rule::OrderState, msg)
}

/// The answer date must lie ahead: an order that is already late when issued asks nothing.
fn check_ahead(field: &str, day: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    if day <= today {
        return Err(DomainError::invalid(field, format!("{day} is not after today ({today})")));
    }
    Ok(())
}

/// The default requirement, in the words a 督办单 uses.
pub fn default_requirement(item: &Item) -> String {
    format!("请于回复时限前报送{}并书面说明逾期原因、整改措施和完成时限。", item.title)
}

impl Order {
    /// A new blue order. `open` are the programme's orders not closed (one order per item).
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        key: String,
        programme: Key,
        number: u32,
        (unit, unit_name, unit_path): (RegionCode, String, Vec<RegionCode>),
        item: Item,
        (level, level_path): (RegionCode, Vec<RegionCode>),
        ask: Issue,
        open: &[Order],
        (by, at, today): (&str, DateTime<Utc>, NaiveDate),
    ) -> Result<Self, DomainError> {
        if let Some(o) = open.iter().find(|o| {
            o.state != State::Closed
                && o.unit == unit
                && o.item.deliverable == item.deliverable
                && o.item.occurrence == item.occurrence
        }) {
            return Err(DomainError::rule(
                Rule::DuplicateOrder,
                format!("督办单第{}号 about this item is still open (一事一单): escalate or close it", o.number),
            ));
        }
        if item.due_on >= today {
            return Err(DomainError::rule(
                Rule::NotOverdue,
                format!("the deadline {} has not passed; nothing is overdue yet", item.due_text),
            ));
        }
        check_ahead("respond_by", ask.respond_by, today)?;
        let requirement = text("requirement", &ask.requirement, 2000)?;
        Ok(Self {
            key,
            programme,
            number,
            unit,
            unit_name,
            unit_path,
            item,
            colour: Colour::Blue,
            level,
            level_path,
            log: vec![Step { action: "issue".into(), by: by.to_owned(), at, text: requirement.clone() }],
            requirement,
            respond_by: ask.respond_by,
            state: State::Open,
            answer: None,
            revision: 1,
            issued_at: at,
            issued_by: by.to_owned(),
        })
    }

    fn refuse_closed(&self) -> Result<(), DomainError> {
        if self.state == State::Closed {
            return Err(refuse(format!("督办单第{}号 is closed (已销号); nothing changes it", self.number)));
        }
        Ok(())
    }

    /// The unit's answer: its account and the day it promises (today or later).
    pub fn answered(
        &self,
        text_: &str,
        promised: NaiveDate,
        (by, at, today): (&str, DateTime<Utc>, NaiveDate),
    ) -> Result<Self, DomainError> {
        self.refuse_closed()?;
        if promised < today {
            return Err(DomainError::invalid("promised", format!("{promised} is already past (today is {today})")));
        }
        let text_ = text("text", text_, 2000)?;
        let mut o = self.clone();
        o.answer = Some(Answer { text: text_.clone(), promised, by: by.to_owned(), at });
        o.state = State::Answered;
        o.log.push(Step {
            action: "answer".into(),
            by: by.to_owned(),
            at,
            text: format!("{text_}（承诺{promised}前完成）"),
        });
        o.revision += 1;
        Ok(o)
    }

    /// 销号: closed after the unit answered.
    pub fn closed(&self, remark: &str, (by, at): (&str, DateTime<Utc>)) -> Result<Self, DomainError> {
        self.refuse_closed()?;
        if !self.may_close() {
            return Err(refuse(format!(
                "督办单第{}号 has no answer from the unit yet; escalate it instead",
                self.number
            )));
        }
        let mut o = self.clone();
        o.state = State::Closed;
        o.log.push(Step { action: "close".into(), by: by.to_owned(), at, text: remark.trim().to_owned() });
        o.revision += 1;
        Ok(o)
    }

    /// The region an escalation hands the order to: the one above the current level on the
    /// unit's path.
    pub fn next_level(&self) -> Option<(RegionCode, Vec<RegionCode>)> {
        let i = self.unit_path.iter().position(|r| r == &self.level)?;
        let above = i.checked_sub(1)?;
        Some((self.unit_path[above].clone(), self.unit_path[..=above].to_vec()))
    }

    /// The next colour, at the level above, with a new date to answer by.
    pub fn escalated(
        &self,
        reason: &str,
        respond_by: NaiveDate,
        (by, at, today): (&str, DateTime<Utc>, NaiveDate),
    ) -> Result<Self, DomainError> {
        self.refuse_closed()?;
        let colour = self
            .colour
            .next()
            .ok_or_else(|| refuse(format!("督办单第{}号 is already 红色督办, the highest", self.number)))?;
        let (level, level_path) = self
            .next_level()
            .ok_or_else(|| refuse(format!("督办单第{}号 stands at the top level already", self.number)))?;
        check_ahead("respond_by", respond_by, today)?;
        let reason = text("reason", reason, 2000)?;
        let mut o = self.clone();
        o.colour = colour;
        o.level = level;
        o.level_path = level_path;
        o.respond_by = respond_by;
        o.state = State::Open;
        o.log.push(Step { action: "escalate".into(), by: by.to_owned(), at, text: reason });
        o.revision += 1;
        Ok(o)
    }

    /// Still asks something of the unit (open or answered, not closed).
    pub fn is_live(&self) -> bool {
        self.state != State::Closed
    }

    /// 销号 waits for the unit's answer.
    pub fn may_close(&self) -> bool {
        self.state == State::Answered
    }

    /// A live order below red, with a level above it on the unit's path.
    pub fn may_escalate(&self) -> bool {
        self.is_live() && self.colour.next().is_some() && self.next_level().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn order() -> Order {
        let path: Vec<RegionCode> =
            ["520000", "520400", "520402", "520402109"].iter().map(|c| RegionCode::parse(c).unwrap()).collect();
        let item = Item {
            deliverable: Key::parse("e-data").unwrap(),
            occurrence: "2019-07".into(),
            title: "动态电子信息".into(),
            due_on: day("2019-07-20"),
            due_text: "2019年7月20日".into(),
        };
        Order::issue(
            "k".into(),
            Key::parse("xixiu").unwrap(),
            1,
            (path[3].clone(), "旧州镇".into(), path.clone()),
            item,
            (path[2].clone(), path[..3].to_vec()),
            Issue { requirement: "请尽快补报。".into(), respond_by: day("2019-07-25") },
            &[],
            ("xixiu-reviewer", Utc::now(), day("2019-07-22")),
        )
        .unwrap()
    }

    #[test]
    fn an_order_is_answered_closed_or_escalated_blue_yellow_red_one_level_up_each_time() {
        let o = order();
        assert_eq!((o.colour, o.state, o.level.as_str()), (Colour::Blue, State::Open, "520402"));
        let now = (("lead"), Utc::now(), day("2019-07-23"));
        assert!(o.closed("", ("r", Utc::now())).is_err(), "nothing to close before an answer");
        let y = o.escalated("逾期未反馈", day("2019-07-30"), now).unwrap();
        assert_eq!((y.colour, y.level.as_str(), y.level_path.len()), (Colour::Yellow, "520400", 2));
        let r = y.escalated("仍未反馈", day("2019-08-05"), now).unwrap();
        assert_eq!((r.colour, r.level.as_str()), (Colour::Red, "520000"));
        assert!(r.escalated("再升级", day("2019-08-10"), now).is_err(), "red is the highest");
        assert!(o.may_escalate() && !o.may_close() && !r.may_escalate(), "what the pages offer follows the rules");
        let a = r.answered("已补报，原因是人员调整。", day("2019-07-31"), now).unwrap();
        assert_eq!(a.state, State::Answered);
        assert!(r.answered("x", day("2019-07-01"), now).is_err(), "a promise in the past");
        let c = a.closed("已核实补报", ("r", Utc::now())).unwrap();
        assert_eq!((c.state, c.log.len(), c.revision), (State::Closed, 5, 5));
        assert!(c.answered("x", day("2019-08-01"), now).is_err() && c.escalated("x", day("2019-08-09"), now).is_err());
    }

    #[test]
    fn one_live_order_per_item_and_only_for_what_is_overdue() {
        let o = order();
        let again = Order::issue(
            "k2".into(),
            o.programme.clone(),
            2,
            (o.unit.clone(), o.unit_name.clone(), o.unit_path.clone()),
            o.item.clone(),
            (o.level.clone(), o.level_path.clone()),
            Issue { requirement: "再督办".into(), respond_by: day("2019-07-28") },
            std::slice::from_ref(&o),
            ("r", Utc::now(), day("2019-07-22")),
        );
        assert!(again.unwrap_err().to_string().contains("一事一单"));
        let early = Order::issue(
            "k3".into(),
            o.programme.clone(),
            3,
            (o.unit.clone(), o.unit_name.clone(), o.unit_path.clone()),
            o.item.clone(),
            (o.level.clone(), o.level_path.clone()),
            Issue { requirement: "x".into(), respond_by: day("2019-07-28") },
            &[],
            ("r", Utc::now(), day("2019-07-20")),
        );
        assert!(early.is_err(), "due today is not overdue");
    }
}
