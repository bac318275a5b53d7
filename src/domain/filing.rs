//! Filings (报送): what a unit submits against one deadline, and the review that follows along
//! the deliverable's route — 审定 by the level above, 备案 by the province — or its return for
//! revision (退回修改).
//!
//! States: `draft` → `submitted` → (`approved` → …) → `filed`; from `submitted` or `approved` a
//! reviewer may return it (`returned`), and the lead resubmits it as a new version. Every
//! submission is a version; earlier versions stay readable.
//!
//! Timeliness is judged against the **first** submission: a filing first submitted by the
//! deadline is on time even if it is later returned and resubmitted (a return is a review
//! outcome, not lateness). "Late by N days" counts Asia/Shanghai calendar days after the due day.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::deadline::{due_instant, local_day};
use super::programme::text;
use super::{DomainError, Key, RegionCode, RouteAction, RouteStep, Rule};

/// Where a filing stands in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingState {
    Draft,
    /// Submitted, awaiting the first step of its route.
    Submitted,
    /// Accepted by an intermediate step (审定), awaiting the next.
    Approved,
    /// Accepted by the last step (备案): done.
    Filed,
    /// Returned for revision (退回修改), awaiting resubmission.
    Returned,
}

impl FilingState {
    /// As a page says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "审核中",
            Self::Approved => "已审定，待备案",
            Self::Filed => "已备案",
            Self::Returned => "已退回修改",
        }
    }

    /// May the unit's lead still change it (edit, attach, submit)?
    pub fn is_open(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }

    /// The states of a filing awaiting a review step: submitted (awaiting the first step) or
    /// approved at an intermediate one (awaiting the next). `Filing::pending` is `Some` exactly
    /// in these.
    pub const AWAITING_REVIEW: [Self; 2] = [Self::Submitted, Self::Approved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Filed => "filed",
            Self::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        [Self::Draft, Self::Submitted, Self::Approved, Self::Filed, Self::Returned]
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| DomainError::invalid("state", format!("unknown filing state `{s}`")))
    }
}

/// A reviewer's decision at the pending step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// 审定: accept at a `review` step.
    Approve,
    /// 备案: accept at a `file` step.
    File,
    /// 退回修改, with the reason.
    Return(String),
}

impl Decision {
    /// As a page says it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Approve => "审定通过",
            Self::File => "备案",
            Self::Return(_) => "退回修改",
        }
    }

    /// `approve`, `file` or `return`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::File => "file",
            Self::Return(_) => "return",
        }
    }

    /// A decision from its code and, for a return, its reason.
    pub fn from_code(code: &str, reason: Option<String>) -> Option<Self> {
        match (code, reason) {
            ("approve", _) => Some(Self::Approve),
            ("file", _) => Some(Self::File),
            ("return", Some(r)) => Some(Self::Return(r)),
            _ => None,
        }
    }
}

/// What one submission contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub filing: String,
    pub version: u32,
    pub title: String,
    pub body: String,
    pub attachments: Vec<String>,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
}

/// One review decision at one step of the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub filing: String,
    /// The version decided on.
    pub version: u32,
    pub step: u32,
    pub level: super::RegionLevel,
    pub decision: Decision,
    pub reviewer: String,
    pub decided_at: DateTime<Utc>,
}

/// An attachment's description; its bytes are kept beside it and read only when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub key: String,
    pub filing: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// SHA-256 hex of the bytes.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A filing: one per unit and deadline, with its current content and review position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filing {
    pub key: String,
    pub programme: Key,
    pub unit: RegionCode,
    pub unit_path: Vec<RegionCode>,
    pub deliverable: Key,
    pub occurrence: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Attachment keys.
    pub attachments: Vec<String>,
    pub state: FilingState,
    pub route: Vec<RouteStep>,
    /// Index into `route` of the step awaiting action, while in review.
    pub pending_step: Option<usize>,
    /// Number of submissions so far (the current version).
    pub version: u32,
    /// Bumped by every change: what a client must send back to act on this state.
    pub revision: u32,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub last_submitted_at: Option<DateTime<Utc>>,
    pub returned_reason: Option<String>,
    /// Marked by a reviewer as good practice (典型经验).
    pub exemplary: bool,
    /// The passage bulletins quote as good practice.
    #[serde(default)]
    pub exemplary_quote: Option<String>,
    pub created_by: String,
}

/// What judging a deadline reads of its filing (the compliance matrix, the board page's review
/// marks): no body, route or history. A national year holds about 460,000 filings; read whole
/// for a programme-wide matrix they cost seconds and gigabytes, these few fields a fraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingBrief {
    pub key: String,
    pub unit: RegionCode,
    pub deliverable: Key,
    pub occurrence: String,
    pub state: FilingState,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

impl FilingBrief {
    /// The deadline it stands for: unit, deliverable, occurrence — the order lists of filings
    /// are read in.
    pub fn deadline(&self) -> (&RegionCode, &Key, &str) {
        (&self.unit, &self.deliverable, &self.occurrence)
    }
}

impl From<&Filing> for FilingBrief {
    fn from(f: &Filing) -> Self {
        Self {
            key: f.key.clone(),
            unit: f.unit.clone(),
            deliverable: f.deliverable.clone(),
            occurrence: f.occurrence.clone(),
            state: f.state,
            first_submitted_at: f.first_submitted_at,
        }
    }
}

fn check_content(title: &str, body: &str) -> Result<(String, String), DomainError> {
    let title = text("title", title, 200)?;
    if body.chars().count() > 200_000 {
        return Err(DomainError::invalid("body", "at most 200,000 characters"));
    }
    Ok((title, body.to_owned()))
}

impl Filing {
    /// The deadline it stands for: unit, deliverable, occurrence — the order lists of filings
    /// are read in.
    pub fn deadline(&self) -> (&RegionCode, &Key, &str) {
        (&self.unit, &self.deliverable, &self.occurrence)
    }
    /// A new draft for one deadline of one unit, following the route its unit takes.
    #[allow(clippy::too_many_arguments)]
    pub fn draft(
        key: String,
        programme: Key,
        unit: RegionCode,
        unit_path: Vec<RegionCode>,
        deliverable: Key,
        occurrence: String,
        route: Vec<RouteStep>,
        title: &str,
        body: &str,
        created_by: &str,
    ) -> Result<Self, DomainError> {
        let (title, body) = check_content(title, body)?;
        Ok(Self {
            key,
            programme,
            unit,
            unit_path,
            deliverable,
            occurrence,
            title,
            body,
            attachments: Vec::new(),
            state: FilingState::Draft,
            route,
            pending_step: None,
            version: 0,
            revision: 1,
            first_submitted_at: None,
            last_submitted_at: None,
            returned_reason: None,
            exemplary: false,
            exemplary_quote: None,
            created_by: created_by.to_owned(),
        })
    }

    /// Marks the filing as good practice (典型经验), with the passage bulletins quote; only
    /// with a decision that accepts it.
    pub fn mark_exemplary(&mut self, decision: &Decision, quote: &str) -> Result<(), DomainError> {
        if matches!(decision, Decision::Return(_)) {
            return Err(DomainError::invalid("exemplary", "a returned filing cannot be marked as good practice"));
        }
        self.exemplary_quote = Some(text("exemplary", quote, 500)?);
        self.exemplary = true;
        Ok(())
    }

    fn editable(&self) -> Result<(), DomainError> {
        match self.state {
            FilingState::Draft | FilingState::Returned => Ok(()),
            s => Err(DomainError::rule(
                Rule::FilingState,
                format!("a {} filing cannot be changed; it can be edited as a draft or after a return", s.as_str()),
            )),
        }
    }

    /// Replaces title and body (drafts and returned filings only).
    pub fn edit(&mut self, title: &str, body: &str) -> Result<(), DomainError> {
        self.editable()?;
        let (title, body) = check_content(title, body)?;
        self.title = title;
        self.body = body;
        self.revision += 1;
        Ok(())
    }

    /// Adds an attachment key (drafts and returned filings only).
    pub fn attach(&mut self, attachment: String) -> Result<(), DomainError> {
        self.editable()?;
        if self.attachments.len() >= 50 {
            return Err(DomainError::invalid("attachments", "at most 50 attachments per filing"));
        }
        self.attachments.push(attachment);
        self.revision += 1;
        Ok(())
    }

    /// Submits the current content as a new version; returns its number. With an empty route
    /// the filing is final at once.
    pub fn submit(&mut self, at: DateTime<Utc>) -> Result<u32, DomainError> {
        self.editable()?;
        self.version += 1;
        self.revision += 1;
        self.first_submitted_at.get_or_insert(at);
        self.last_submitted_at = Some(at);
        self.returned_reason = None;
        if self.route.is_empty() {
            self.state = FilingState::Filed;
            self.pending_step = None;
        } else {
            self.state = FilingState::Submitted;
            self.pending_step = Some(0);
        }
        Ok(self.version)
    }

    /// The step awaiting action, if the filing is in review.
    pub fn pending(&self) -> Option<(usize, RouteStep)> {
        self.pending_step.and_then(|i| self.route.get(i).map(|s| (i, *s)))
    }

    /// Applies a reviewer's decision at the pending step. The caller has checked that the
    /// reviewer sits at that step's level.
    pub fn review(&mut self, decision: &Decision) -> Result<(usize, RouteStep), DomainError> {
        let (i, step) = self.pending().ok_or_else(|| {
            DomainError::rule(Rule::FilingState, format!("a {} filing is not awaiting review", self.state.as_str()))
        })?;
        match (decision, step.action) {
            (Decision::Return(reason), _) => {
                let reason = text("reason", reason, 2000)?;
                self.state = FilingState::Returned;
                self.pending_step = None;
                self.returned_reason = Some(reason);
            }
            (Decision::Approve, RouteAction::Review) | (Decision::File, RouteAction::File) => {
                if i + 1 < self.route.len() {
                    self.state = FilingState::Approved;
                    self.pending_step = Some(i + 1);
                } else {
                    self.state = FilingState::Filed;
                    self.pending_step = None;
                }
            }
            (d, action) => {
                return Err(DomainError::rule(
                    Rule::WrongStep,
                    format!(
                        "the pending step is {} at {} level; `{}` does not apply",
                        match action {
                            RouteAction::Review => "审定 (approve)",
                            RouteAction::File => "备案 (file)",
                        },
                        step.level.as_str(),
                        match d {
                            Decision::Approve => "approve",
                            Decision::File => "file",
                            Decision::Return(_) => "return",
                        }
                    ),
                ));
            }
        }
        self.revision += 1;
        Ok((i, step))
    }
}

/// How a deadline was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// First submitted by the end of the due day.
    OnTime,
    /// First submitted this many days after the due day.
    Late(i64),
    /// Past due and not submitted.
    Missing,
    /// Not yet due and not submitted.
    NotDue,
}

/// Judges a deadline at `now` from the first submission (ignored if it came after `now`).
impl Timeliness {
    /// As a page says it.
    pub fn label(self) -> String {
        match self {
            Self::OnTime => "按时报送".to_owned(),
            Self::Late(days) => format!("逾期{days}天报送"),
            Self::Missing => "已逾期，尚未报送".to_owned(),
            Self::NotDue => "未到期".to_owned(),
        }
    }
}

pub fn timeliness(due_on: NaiveDate, first_submitted_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Timeliness {
    match first_submitted_at.filter(|t| *t <= now) {
        Some(t) if t < due_instant(due_on) => Timeliness::OnTime,
        Some(t) => Timeliness::Late((local_day(t) - due_on).num_days()),
        None if now >= due_instant(due_on) => Timeliness::Missing,
        None => Timeliness::NotDue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RegionLevel;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn filing(route: Vec<RouteStep>) -> Filing {
        Filing::draft(
            "f1".into(),
            Key::parse("fj").unwrap(),
            RegionCode::parse("350103").unwrap(),
            vec![],
            Key::parse("plan").unwrap(),
            "once".into(),
            route,
            "方案",
            "正文",
            "lead",
        )
        .unwrap()
    }

    #[test]
    fn a_filing_walks_its_route_and_can_be_returned() {
        let route = vec![
            RouteStep { level: RegionLevel::City, action: RouteAction::Review },
            RouteStep { level: RegionLevel::Province, action: RouteAction::File },
        ];
        let mut f = filing(route);
        assert!(f.review(&Decision::Approve).is_err(), "a draft is not in review");
        assert_eq!(f.submit(at("2022-09-15T10:00:00+08:00")).unwrap(), 1);
        assert!(f.review(&Decision::File).is_err(), "the city approves, it does not file");
        f.review(&Decision::Return("缺少需求台账".into())).unwrap();
        assert_eq!(f.state, FilingState::Returned);
        f.edit("方案（修订）", "正文").unwrap();
        assert_eq!(f.submit(at("2022-09-25T10:00:00+08:00")).unwrap(), 2);
        f.review(&Decision::Approve).unwrap();
        assert_eq!((f.state, f.pending_step), (FilingState::Approved, Some(1)));
        assert!(f.edit("x", "y").is_err(), "in review: no edits");
        f.review(&Decision::File).unwrap();
        assert_eq!((f.state, f.pending_step), (FilingState::Filed, None));
        assert_eq!(f.first_submitted_at, Some(at("2022-09-15T10:00:00+08:00")));
    }

    #[test]
    fn an_empty_route_files_at_once() {
        let mut f = filing(vec![]);
        f.submit(at("2022-09-15T10:00:00+08:00")).unwrap();
        assert_eq!(f.state, FilingState::Filed);
    }

    #[test]
    fn timeliness_counts_from_the_first_submission() {
        let due = NaiveDate::from_ymd_opt(2022, 9, 20).unwrap();
        let now = at("2022-10-01T00:00:00+08:00");
        assert_eq!(timeliness(due, Some(at("2022-09-20T23:59:59+08:00")), now), Timeliness::OnTime);
        assert_eq!(timeliness(due, Some(at("2022-09-21T00:00:00+08:00")), now), Timeliness::Late(1));
        assert_eq!(timeliness(due, Some(at("2022-09-23T09:00:00+08:00")), now), Timeliness::Late(3));
        assert_eq!(timeliness(due, None, now), Timeliness::Missing);
        assert_eq!(timeliness(due, None, at("2022-09-20T12:00:00+08:00")), Timeliness::NotDue);
        assert_eq!(
            timeliness(due, Some(at("2022-09-19T00:00:00+08:00")), at("2022-09-18T00:00:00+08:00")),
            Timeliness::NotDue,
            "a submission after the instant asked about does not count"
        );
    }
}
