//! Reading a government notice (通知, 方案) into a draft programme: its header facts, stages,
//! deliverables with their deadlines, the catalogue of directions, quotas, named units and
//! funds, each traced to the words it came from, and the sentences that look relevant but were
//! not understood. Deterministic rules for the language of official documents: no network and
//! no model; what the rules cannot read is listed for a person, never guessed.

pub mod dates;
pub mod extract;
pub mod header;
pub mod numerals;
pub mod outline;

use std::ops::Range;
use std::sync::LazyLock;

use chrono::Datelike;
use regex::Regex;

use super::DomainError;
pub use extract::{
    DeliverableDraft, DirectionDraft, Due, Exception, Fund, NamedUnits, Quota, QuotaKind, Source, StageDraft,
};
pub use header::{Fact, Header};

/// Below this confidence (0–100) an item is flagged for a person to check against the notice.
pub const SURE: u8 = 70;

/// The most text read at once: a long 方案 with annexes is well under this (a 50-page notice
/// is about 100,000 characters).
pub const MAX_CHARS: usize = 400_000;

/// A sentence that looks relevant (it names a date, a deadline or a filing) but gave no item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub sentence: Range<usize>,
    pub why: Why,
}

/// Why a sentence is listed for a person to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It names a time the rules cannot pin to days (N个工作日内, 一年左右).
    Unpinned,
    /// It files something by a date, but what is filed was not understood.
    UnknownFiling,
    /// It names a date that is neither a stage nor a deadline here.
    StrayDate,
}

impl Why {
    /// As the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpinned => "a time this reader cannot pin to days",
            Self::UnknownFiling => "files something by a date, but what is filed was not understood",
            Self::StrayDate => "names a date that is not a stage or a deadline here",
        }
    }

    /// As a page says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unpinned => "时间未能确定到日",
            Self::UnknownFiling => "有报送时限，但未能读出报送什么",
            Self::StrayDate => "有日期，但不是阶段或截止时间",
        }
    }
}

/// Everything read from one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub header: Header,
    /// The year dates without one are read against: the notice's own year, else the first
    /// year it names.
    pub year: Option<i32>,
    pub stages: Vec<StageDraft>,
    pub deliverables: Vec<DeliverableDraft>,
    pub directions: Vec<DirectionDraft>,
    pub quotas: Vec<Quota>,
    pub exceptions: Vec<Exception>,
    pub units: Vec<NamedUnits>,
    pub funds: Vec<Fund>,
    /// Every date phrase found, pinned or not.
    pub dates: Vec<dates::Mention>,
    pub unread: Vec<Unread>,
}

static RELEVANT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"报送|上报|提交|备案|截止|完成|时限|期限|前|起").expect("valid"));

/// Reads `text`. Refuses only what cannot be a notice: nothing to read, or more than
/// [`MAX_CHARS`]. A notice without dates reads as one with no stages or deadlines, and its
/// sentences that need them are listed as unread.
pub fn read(text: &str) -> Result<Reading, DomainError> {
    if text.trim().is_empty() {
        return Err(DomainError::invalid("text", "the notice is empty: paste its text or upload the file"));
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(DomainError::invalid(
            "text",
            format!("the notice has {chars} characters; at most {MAX_CHARS} are read at once — leave out long annexes"),
        ));
    }
    let header = header::read(text);
    // The year dates are read against: the notice's date, else the first year it names.
    let year = header.issued.as_ref().map(|d| d.value.year()).or_else(|| {
        dates::find(text, None).iter().find_map(|m| match &m.when {
            dates::When::Days { first, .. } if m.text.chars().take(4).all(|c| c.is_ascii_digit()) => Some(first.year()),
            _ => None,
        })
    });
    let found = dates::find(text, year);
    let heads = outline::headings(text);
    let stages = extract::stages(text, &heads, &found);
    // The stretch each stage's heading governs, to place deliverables in stages.
    let stage_bodies: Vec<Range<usize>> = {
        let parents: Vec<&outline::Heading> = heads.iter().filter(|h| h.level > 1).collect();
        stages.iter().filter_map(|s| parents.iter().find(|h| h.line == s.source.span).map(|h| h.body.clone())).collect()
    };
    let deliverables = extract::deliverables(text, &heads, &found, &stages, &stage_bodies);
    let directions = extract::directions(text, &heads);
    let (quotas, exceptions) = extract::quotas(text);
    let units = extract::named_units(text);
    let funds = extract::funds(text);

    let used: Vec<&Range<usize>> = stages
        .iter()
        .map(|s| &s.source.sentence)
        .chain(deliverables.iter().map(|d| &d.source.sentence))
        .chain(quotas.iter().map(|q| &q.source.sentence))
        .collect();
    let mut unread = Vec::new();
    for s in outline::sentences(text, 0..text.len()) {
        if used.iter().any(|u| u.start <= s.start && s.end <= u.end || s.start <= u.start && u.end <= s.end) {
            continue;
        }
        let in_it: Vec<&dates::Mention> =
            found.iter().filter(|m| m.span.start >= s.start && m.span.end <= s.end).collect();
        let sentence = &text[s.clone()];
        let why = if in_it.iter().any(|m| m.when == dates::When::Unpinned) {
            Some(Why::Unpinned)
        } else if !in_it.is_empty() && extract_verb(sentence) {
            Some(Why::UnknownFiling)
        } else if !in_it.is_empty() && RELEVANT.is_match(sentence) {
            Some(Why::StrayDate)
        } else {
            None
        };
        if let Some(why) = why {
            unread.push(Unread { sentence: s, why });
        }
    }
    Ok(Reading {
        header,
        year,
        stages,
        deliverables,
        directions,
        quotas,
        exceptions,
        units,
        funds,
        dates: found,
        unread,
    })
}

fn extract_verb(sentence: &str) -> bool {
    ["报送", "上报", "提交", "备案", "报省", "报市", "报区", "报县"].iter().any(|v| sentence.contains(v))
}

/// Byte offsets as character offsets (what a browser's string indexes count).
pub fn char_range(text: &str, r: &Range<usize>) -> Range<usize> {
    let start = text[..r.start].chars().count();
    start..start + text[r.clone()].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_refused_with_a_reason_and_a_dateless_notice_reads_empty() {
        assert!(read("  \n ").is_err());
        let long = "试".repeat(MAX_CHARS + 1);
        assert!(read(&long).unwrap_err().to_string().contains("characters"));
        let r = read("各单位：\n请高度重视，认真组织实施。\n某某局").unwrap();
        assert!(r.stages.is_empty() && r.deliverables.is_empty() && r.dates.is_empty());
        assert_eq!(char_range("一二三abc", &(3..11)), 1..5);
    }

    /// Any stretch of a real notice reads without a panic: windows of the seeds starting and
    /// ending anywhere (mid-heading, mid-date, mid-table), and odd spellings.
    #[test]
    fn any_piece_of_a_notice_reads_without_a_panic() {
        let seeds = [
            include_str!("../../../fixtures/notices/fujian-2022-reform-pilot.txt"),
            include_str!("../../../fixtures/notices/xixiu-2019-comprehensive-reform.txt"),
            include_str!("../../../fixtures/notices/shizuishan-2024-service-assistance.txt"),
        ];
        for text in seeds {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            for start in (0..chars.len()).step_by(37) {
                for len in [1, 7, 60, 400] {
                    let (a, _) = chars[start];
                    let b = chars.get(start + len).map(|(i, _)| *i).unwrap_or(text.len());
                    let _ = read(&text[a..b]);
                }
            }
        }
        for odd in [
            "(一)一",
            "一、",
            "1.",
            "附件",
            "2022年13月40日前报送",
            "每月99日至0日传送",
            "第九季度起",
            "选取作为",
            "报送报送报送",
            "0000年1月",
            "次年",
            "《《《》",
            "（一）（二）（三）",
            "共.5万元",
            "形成",
            "经市审定后报省",
        ] {
            let _ = read(odd);
        }
    }
}
