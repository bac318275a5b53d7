//! `/programme-drafts`: a notice (通知, 方案) read into the parts of a programme — header facts,
//! stages, deliverables and their deadlines, the catalogue, quotas, named units, funds — each
//! with the words it was read from, and the sentences that look relevant but were not
//! understood. Nothing is stored: the department reviews the draft and imports it.

use poem_openapi::types::Base64;
use poem_openapi::{Enum, Object, OpenApi, payload::Json};

use super::auth::Auth;
use super::document_dto::ProgrammeDocumentDto;
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::domain::notice::dates::{Bound, DueDay, Every, Mention, When};
use crate::domain::notice::{self, Due, QuotaKind, Reading, Source, char_range};
use crate::domain::{DirectionKind, DomainError};
use crate::service::{notice_draft, notice_file};

/// A notice to read: its text, or the file (.docx or UTF-8 .txt) in Base64.
#[derive(Debug, Clone, Object)]
pub struct NoticeInput {
    /// The notice as pasted text.
    pub text: Option<String>,
    /// The notice as a file: a Word document (.docx) or UTF-8 text, Base64-encoded.
    pub file: Option<Base64<Vec<u8>>>,
}

/// Where an item was read.
#[derive(Debug, Clone, Object)]
pub struct SourceView {
    /// Character offsets of the words in the notice's text (`text` of the draft).
    pub start: u64,
    pub end: u64,
    /// The sentence they stand in, and its character offsets.
    pub sentence: String,
    pub sentence_start: u64,
    pub sentence_end: u64,
    /// 0–100: how sure the reading is.
    pub confidence: u8,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FactView {
    /// The value as the import format writes it (a date as 2022年8月17日).
    pub value: String,
    pub start: u64,
    pub end: u64,
    pub confidence: u8,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HeaderView {
    pub title: Option<FactView>,
    /// 发文机关.
    pub issuer: Option<FactView>,
    /// 文号.
    pub doc_number: Option<FactView>,
    /// 成文日期.
    pub issued: Option<FactView>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StageDraftView {
    pub name: String,
    /// Document dates, as the import format takes them; absent when not read.
    pub start: Option<String>,
    /// Absent when the notice gives only a start (2019年8月起).
    pub end: Option<String>,
    pub description: String,
    pub source: SourceView,
}

/// How a deadline recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DraftEvery {
    Month,
    Quarter,
    HalfYear,
    /// Once a year, in `month`.
    Year,
}

/// When a deliverable is due.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DueView {
    /// `fixed`, `recurring` or `unpinned` (words a person must pin).
    pub kind: String,
    /// A fixed deadline as a document date (2022年9月20日).
    pub due: Option<String>,
    pub every: Option<DraftEvery>,
    /// The month of the year a yearly deadline falls in (每年12月10日前: 12).
    pub month: Option<u32>,
    pub opens_day: Option<u32>,
    /// The due day of the period; absent with `last_day`.
    pub due_day: Option<u32>,
    pub last_day: Option<bool>,
    /// Due in the period after the one reported on (次月5日前).
    pub next_period: Option<bool>,
    /// The words, when unpinned.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct RouteStepDraft {
    /// `province`, `city`, `county`…
    pub level: String,
    /// `review` or `file`.
    pub action: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliverableDraftView {
    pub title: String,
    pub due: DueView,
    /// Whom it goes to (省民政厅社会救助处).
    pub recipient: Option<String>,
    pub route: Vec<RouteStepDraft>,
    /// Index into `stages` of the stage whose section holds it.
    pub stage: Option<u32>,
    pub source: SourceView,
}

#[derive(Debug, Clone, Object)]
pub struct DirectionDraftView {
    pub number: u32,
    pub title: String,
    pub text: String,
    /// `choice` (units choose) or `assigned` (all do it).
    pub kind: String,
    pub group: String,
    /// 责任单位 as written.
    pub responsible: Vec<String>,
    pub source: SourceView,
}

/// What a quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DraftQuotaKind {
    DirectionsPerUnit,
    DirectionsPerGroup,
    UnitsPerGroup,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QuotaView {
    pub kind: DraftQuotaKind,
    pub min: u32,
    pub max: u32,
    /// The level whose regions form the groups.
    pub group_level: Option<String>,
    pub source: SourceView,
}

#[derive(Debug, Clone, Object)]
pub struct ExceptionDraftView {
    pub name: String,
    pub note: String,
    pub source: SourceView,
}

#[derive(Debug, Clone, Object)]
pub struct NamedUnitsView {
    /// The names as written; the import resolves them to region codes.
    pub names: Vec<String>,
    pub demonstration: bool,
    pub source: SourceView,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FundView {
    pub recipient: Option<String>,
    /// Money in fen (分).
    pub fen: i64,
    /// A total (共…万元) rather than one recipient's share.
    pub total: bool,
    pub source: SourceView,
}

/// Every date phrase found.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DateView {
    pub text: String,
    pub start: u64,
    pub end: u64,
    /// `days`, `recurring` or `unpinned`.
    pub kind: String,
    /// The first and last day meant (ISO dates), for `days`.
    pub first: Option<chrono::NaiveDate>,
    pub last: Option<chrono::NaiveDate>,
    /// `within`, `before` (前, inclusive) or `from` (起).
    pub bound: String,
    pub confidence: u8,
    pub note: Option<String>,
}

/// A sentence that looks relevant but gave no item: for a person to read.
#[derive(Debug, Clone, Object)]
pub struct UnreadView {
    pub sentence: String,
    pub start: u64,
    pub end: u64,
    pub why: String,
}

/// A notice read into a draft programme.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammeDraftView {
    /// The text read (a .docx's paragraphs one per line); every offset counts characters in it.
    pub text: String,
    pub header: HeaderView,
    /// The year dates without one were read against; absent when the notice names none.
    pub year: Option<i32>,
    pub stages: Vec<StageDraftView>,
    pub deliverables: Vec<DeliverableDraftView>,
    pub directions: Vec<DirectionDraftView>,
    pub quotas: Vec<QuotaView>,
    pub exceptions: Vec<ExceptionDraftView>,
    pub units: Vec<NamedUnitsView>,
    pub funds: Vec<FundView>,
    pub dates: Vec<DateView>,
    /// Needs review: sentences that look relevant but were not understood.
    pub unread: Vec<UnreadView>,
    /// The draft as a programme document in the import format: review and edit it (its key,
    /// the scope found from the issuer, what `unread` lists), check it with
    /// `POST /programmes/import/preview`, then import it.
    pub document: Option<ProgrammeDocumentDto>,
}

pub struct ProgrammeDraftsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Programmes")]
impl ProgrammeDraftsApi {
    /// Read a notice (pasted text, or a .docx / .txt file) into a draft programme: header facts,
    /// stages, deliverables with deadlines and routes, the catalogue, quotas, named units and
    /// funds, each with the words it came from and a confidence; and the sentences that look
    /// relevant but were not understood. Nothing is stored. For departments that define
    /// programmes.
    #[oai(path = "/programme-drafts", method = "post", operation_id = "readNotice")]
    async fn read(&self, auth: Auth, body: Json<NoticeInput>) -> Result<Json<ProgrammeDraftView>, ApiError> {
        let p = auth.principal();
        auth.may_create(Access::DefineProgramme { scope_path: &p.region_path })?;
        let text = match (body.0.text, body.0.file) {
            (Some(t), None) => t,
            (None, Some(f)) => notice_file::text_of(&f.0)?,
            _ => return Err(DomainError::invalid("text", "send the notice as `text` or as `file`, one of them").into()),
        };
        let reading = notice::read(&text)?;
        let document = notice_draft::document(&self.state.store, &text, &reading, &p.region).await?;
        let mut out = view(&text, &reading);
        out.document = match serde_json::from_value::<ProgrammeDocumentDto>(document) {
            Ok(d) => Some(d),
            Err(e) => {
                // A draft the import format cannot hold is a bug here, not the asker's; the
                // reading itself still answers.
                tracing::warn!(error = %e, "a notice's draft document does not fit the import format");
                None
            }
        };
        Ok(Json(out))
    }
}

/// The reading as the API shows it, offsets in characters.
pub fn view(text: &str, r: &Reading) -> ProgrammeDraftView {
    let chars = |range: &std::ops::Range<usize>| {
        let c = char_range(text, range);
        (c.start as u64, c.end as u64)
    };
    let source = |s: &Source| {
        let (start, end) = chars(&s.span);
        let (sentence_start, sentence_end) = chars(&s.sentence);
        SourceView {
            start,
            end,
            sentence: text[s.sentence.clone()].to_owned(),
            sentence_start,
            sentence_end,
            confidence: s.confidence,
        }
    };
    let fact = |value: String, span: &std::ops::Range<usize>, confidence: u8| {
        let (start, end) = chars(span);
        FactView { value, start, end, confidence }
    };
    let h = &r.header;
    ProgrammeDraftView {
        text: text.to_owned(),
        header: HeaderView {
            title: h.title.as_ref().map(|f| fact(f.value.clone(), &f.span, f.confidence)),
            issuer: h.issuer.as_ref().map(|f| fact(f.value.clone(), &f.span, f.confidence)),
            doc_number: h.doc_number.as_ref().map(|f| fact(f.value.clone(), &f.span, f.confidence)),
            issued: h
                .issued
                .as_ref()
                .map(|f| fact(crate::domain::DocDate::day(f.value).text().to_owned(), &f.span, f.confidence)),
        },
        year: r.year,
        stages: r
            .stages
            .iter()
            .map(|s| StageDraftView {
                name: s.name.clone(),
                start: s.start.as_ref().map(|d| d.text().to_owned()),
                end: s.end.as_ref().map(|d| d.text().to_owned()),
                description: s.description.clone(),
                source: source(&s.source),
            })
            .collect(),
        deliverables: r
            .deliverables
            .iter()
            .map(|d| DeliverableDraftView {
                title: d.title.clone(),
                due: due_view(&d.due),
                recipient: d.recipient.clone(),
                route: d
                    .route
                    .iter()
                    .map(|(level, action)| RouteStepDraft {
                        level: level.as_str().to_owned(),
                        action: (*action).to_owned(),
                    })
                    .collect(),
                stage: d.stage.map(|i| i as u32),
                source: source(&d.source),
            })
            .collect(),
        directions: r
            .directions
            .iter()
            .map(|d| DirectionDraftView {
                number: d.number,
                title: d.title.clone(),
                text: d.text.clone(),
                kind: match d.kind {
                    DirectionKind::Choice => "choice",
                    DirectionKind::Assigned => "assigned",
                }
                .to_owned(),
                group: d.group.clone(),
                responsible: d.responsible.clone(),
                source: source(&d.source),
            })
            .collect(),
        quotas: r
            .quotas
            .iter()
            .map(|q| QuotaView {
                kind: match q.kind {
                    QuotaKind::DirectionsPerUnit => DraftQuotaKind::DirectionsPerUnit,
                    QuotaKind::DirectionsPerGroup => DraftQuotaKind::DirectionsPerGroup,
                    QuotaKind::UnitsPerGroup => DraftQuotaKind::UnitsPerGroup,
                },
                min: q.min,
                max: q.max,
                group_level: q.group_level.map(|l| l.as_str().to_owned()),
                source: source(&q.source),
            })
            .collect(),
        exceptions: r
            .exceptions
            .iter()
            .map(|e| ExceptionDraftView { name: e.name.clone(), note: e.note.clone(), source: source(&e.source) })
            .collect(),
        units: r
            .units
            .iter()
            .map(|u| NamedUnitsView {
                names: u.names.clone(),
                demonstration: u.demonstration,
                source: source(&u.source),
            })
            .collect(),
        funds: r
            .funds
            .iter()
            .map(|f| FundView { recipient: f.recipient.clone(), fen: f.fen, total: f.total, source: source(&f.source) })
            .collect(),
        dates: r.dates.iter().map(|m| date_view(text, m)).collect(),
        unread: r
            .unread
            .iter()
            .map(|u| {
                let (start, end) = chars(&u.sentence);
                UnreadView { sentence: text[u.sentence.clone()].to_owned(), start, end, why: u.why.as_str().to_owned() }
            })
            .collect(),
        document: None,
    }
}

fn due_view(d: &Due) -> DueView {
    let blank = DueView {
        kind: String::new(),
        due: None,
        every: None,
        month: None,
        opens_day: None,
        due_day: None,
        last_day: None,
        next_period: None,
        text: None,
    };
    match d {
        Due::Fixed(day) => DueView { kind: "fixed".into(), due: Some(day.text().to_owned()), ..blank },
        Due::Recurring(r) => DueView {
            kind: "recurring".into(),
            every: Some(match r.every {
                Every::Month => DraftEvery::Month,
                Every::Quarter => DraftEvery::Quarter,
                Every::HalfYear => DraftEvery::HalfYear,
                Every::Year { .. } => DraftEvery::Year,
            }),
            month: match r.every {
                Every::Year { month } => Some(month),
                _ => None,
            },
            opens_day: r.opens_day,
            due_day: match r.due_day {
                DueDay::Day(n) => Some(n),
                DueDay::Last => None,
            },
            last_day: (r.due_day == DueDay::Last).then_some(true),
            next_period: r.next_period.then_some(true),
            ..blank
        },
        Due::Unpinned(t) => DueView { kind: "unpinned".into(), text: Some(t.clone()), ..blank },
    }
}

fn date_view(text: &str, m: &Mention) -> DateView {
    let c = char_range(text, &m.span);
    let (kind, first, last) = match &m.when {
        When::Days { first, last, .. } => ("days", Some(*first), Some(*last)),
        When::Recurring(_) => ("recurring", None, None),
        When::Unpinned => ("unpinned", None, None),
    };
    DateView {
        text: m.text.clone(),
        start: c.start as u64,
        end: c.end as u64,
        kind: kind.into(),
        first,
        last,
        bound: match m.bound {
            Bound::Within => "within",
            Bound::Before => "before",
            Bound::From => "from",
        }
        .into(),
        confidence: m.confidence,
        note: m.note.map(str::to_owned),
    }
}
