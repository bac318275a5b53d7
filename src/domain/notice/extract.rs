//! What a notice asks for: stages from its 实施步骤, the deliverables its sentences file by a
//! date (with the recipient and any review on the way), the catalogue of directions or tasks
//! with their 责任单位, the quotas, named pilot units and funds. Every item keeps the sentence
//! it came from.

use std::ops::Range;
use std::sync::LazyLock;

use chrono::Datelike;
use regex::Regex;

use super::dates::{Bound, Mention, When};
use super::numerals::{NUMBER_CHARS as N, number};
use super::outline::{Heading, sentences};
use crate::domain::{DirectionKind, DocDate, RegionLevel};

/// Where an item was read: the words themselves and their sentence (byte offsets), and how
/// sure the reading is (0–100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub span: Range<usize>,
    pub sentence: Range<usize>,
    pub confidence: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDraft {
    pub name: String,
    pub start: Option<DocDate>,
    /// None when the notice gives only a start (2019年8月起).
    pub end: Option<DocDate>,
    pub description: String,
    pub source: Source,
}

/// When a deliverable is due, as the notice says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// A day or the last day of a stretch (前 inclusive).
    Fixed(DocDate),
    Recurring(super::dates::Recurrence),
    /// Words a person must pin (N个工作日内).
    Unpinned(String),
}

impl Due {
    /// As a notice writes it; words to pin are marked as such.
    pub fn text(&self) -> String {
        match self {
            Due::Fixed(day) => day.text().to_owned(),
            Due::Recurring(r) => r.text(),
            Due::Unpinned(words) => format!("{words}（需确定日期）"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverableDraft {
    pub title: String,
    pub due: Due,
    /// 报省民政厅社会救助处: whom it goes to.
    pub recipient: Option<String>,
    /// The levels it passes, in order: (level, `review` or `file`).
    pub route: Vec<(RegionLevel, &'static str)>,
    /// The stage (index into the stages) whose section holds the sentence.
    pub stage: Option<usize>,
    /// The sentence, for the description.
    pub sentence: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionDraft {
    pub number: u32,
    pub title: String,
    pub text: String,
    pub kind: DirectionKind,
    /// The heading it is listed under (二、试点方向).
    pub group: String,
    pub responsible: Vec<String>,
    pub source: Source,
}

/// What a quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    DirectionsPerUnit,
    DirectionsPerGroup,
    UnitsPerGroup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub kind: QuotaKind,
    pub min: u32,
    pub max: u32,
    /// The level whose regions form the groups (每个设区市: city).
    pub group_level: Option<RegionLevel>,
    pub source: Source,
}

/// A region the rules treat apart (平潭综合实验区以全区为试点单位).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub name: String,
    pub note: String,
    pub source: Source,
}

/// Regions a notice names as pilot units (选取旧州镇和东街办作为…示范乡镇).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedUnits {
    pub names: Vec<String>,
    /// The sentence names them as demonstration units (示范).
    pub demonstration: bool,
    pub source: Source,
}

/// Money for someone (台江区100万元) or in all (共300万元), in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fund {
    pub recipient: Option<String>,
    pub fen: i64,
    pub total: bool,
    pub source: Source,
}

const FILING: &str = r"报送|上报|报备|提交|传送|备案|报(?:省|市|区|县|设区市)|制定出台|形成|编制";

/// Verbs that make a document rather than send one: a deliverable only when what follows
/// names a document (形成试点工作总结报告; not 形成合力).
const PRODUCING: [&str; 3] = ["制定出台", "形成", "编制"];
static FILING_VERB: LazyLock<Regex> = LazyLock::new(|| Regex::new(FILING).expect("valid"));
static RECIPIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:报送?|上报|报至|向|送)\s*(?P<r>(?:省|市|区|县|设区市|州|盟)[\p{Han}]{0,10}?(?:民政厅|民政局|人民政府|办公室|领导小组|社会事业局)(?:[\p{Han}]{0,6}?处)?)")
        .expect("valid")
});
static REVIEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"经\s*(?P<l>设区市|市|州|县|区)[\p{Han}]{0,10}?(?:审定|审核|审批|同意)").expect("valid")
});
static OBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}“”]{0,16}?(?:实施方案|工作方案|方案|自评报告|总结报告|报告|实施意见|意见|材料|资料|信息|情况|成效|总结|台账|计划|清单|名单|报表|统计表|经验)")
        .expect("valid")
});
static DOCUMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}“”]{0,16}?(?:实施方案|工作方案|方案|自评报告|总结报告|报告|材料|资料|台账|计划|清单|名单|报表|统计表|实施意见)")
        .expect("valid")
});
/// The weightiest things a filing names: plans, reports, opinions.
static PLAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{Han}“”]{0,16}?(?:方案|报告|实施意见)").expect("valid"));
static RESPONSIBLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:责任单位|牵头单位|责任部门|牵头部门)\s*[:：]\s*(?P<r>[^\n。]+)").expect("valid"));
static CHOOSE_DIRECTIONS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"选择\s*(?P<a>[{N}]{{1,2}})\s*(?:[-—－~～至到]\s*(?P<b>[{N}]{{1,2}}))?\s*个(?:试点)?(?:方向|项目|任务)"
    ))
    .expect("valid")
});
static CHOOSE_UNITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:确定|选取|选择|推荐)\s*(?P<a>[{N}]{{1,2}})\s*(?:[-—－~～至到]\s*(?P<b>[{N}]{{1,2}}))?\s*个[^。，,]{{0,14}}?作为试点(?:单位|地区)"
    ))
    .expect("valid")
});
static GROUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"每个(?P<g>设区市|地级以上市|地市|市|州|县|区|县\(市、区\)|县（市、区）|乡镇)").expect("valid")
});
static WHOLE_REGION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?P<n>[\p{Han}]{2,14}?)以全(?:区|市|县|域)为试点(?:单位|地区)").expect("valid"));
static NAMED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"选取(?P<n>[\p{Han}、和及]{2,60}?)(?:作为|为)").expect("valid"));
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<pre>[\p{Han}]{0,12}?)(?P<n>[0-9]+(?:\.[0-9]{1,4})?)\s*(?P<u>亿元|万元|元)").expect("valid")
});
static DIRECTION_HEADINGS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"试点方向|试点内容|重点任务|主要任务|工作任务|工作内容|主要措施|根本任务|服务内容|改革任务|试点任务")
        .expect("valid")
});
static STAGE_HEADINGS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"实施步骤|工作步骤|时间安排|进度安排|步骤安排|实施进度|方法步骤|工作安排|实施阶段").expect("valid")
});

fn source(span: Range<usize>, sentence: Range<usize>, confidence: u8) -> Source {
    Source { span, sentence, confidence }
}

/// The stages: the numbered items under a 实施步骤 heading, each with the first dates it names.
pub fn stages(text: &str, heads: &[Heading], dates: &[Mention]) -> Vec<StageDraft> {
    let Some(parent) = heads.iter().find(|h| h.level == 1 && STAGE_HEADINGS.is_match(&h.title)) else {
        return vec![];
    };
    let children: Vec<&Heading> = heads
        .iter()
        .filter(|h| h.level > 1 && h.body.start >= parent.body.start && h.body.end <= parent.body.end)
        .collect();
    let Some(level) = children.iter().map(|h| h.level).min() else { return vec![] };
    let mut out = Vec::new();
    for h in children.into_iter().filter(|h| h.level == level) {
        let window = dates
            .iter()
            .find(|m| m.span.start >= h.body.start && m.span.end <= h.body.end && matches!(m.when, When::Days { .. }));
        let line = &text[h.line.clone()];
        // The name: the heading's words after its number, up to a bracket, a 。 or the
        // window's first digit.
        let words = strip_number(line);
        // `words` is a slice of `line`: its offset is exact (a search could find the same words
        // inside the number).
        let words_at = h.line.start + (words.as_ptr() as usize - line.as_ptr() as usize);
        let name_end = [
            words.find(['(', '（', '。', '，', ',', '：', ':']),
            window
                .map(|m| m.span.start)
                .filter(|at| *at >= words_at && *at - words_at <= words.len() && words.is_char_boundary(*at - words_at))
                .map(|at| at - words_at),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(words.len());
        let name = words[..name_end].trim().to_owned();
        if name.is_empty() {
            continue;
        }
        let (start, end) = match window.map(|m| (&m.when, m.bound)) {
            Some((When::Days { start, end, .. }, Bound::From)) => {
                (Some(start.clone()), None.filter(|_: &DocDate| end == start))
            }
            // A stage that ends by a day (2025年8月底前) runs through that month.
            Some((When::Days { start, end, .. }, Bound::Before)) if start == end => {
                let month = format!("{}年{}月", end.last().year(), end.last().month());
                (DocDate::parse(&month).ok().or(Some(start.clone())), Some(end.clone()))
            }
            Some((When::Days { start, end, .. }, _)) => (Some(start.clone()), Some(end.clone())),
            _ => (None, None),
        };
        let described = window.map(|m| m.span.end).unwrap_or(words_at + name_end);
        let description: String = sentences(text, described.min(h.body.end)..h.body.end)
            .into_iter()
            .map(|r| text[r].trim_start_matches([')', '）', '。', ',', '，', ' ']).to_owned())
            .filter(|s| !s.is_empty())
            .take(2)
            .collect();
        let confidence = if window.is_some() { window.map(|m| m.confidence).unwrap_or(50).min(90) } else { 40 };
        out.push(StageDraft {
            name,
            start,
            end,
            description,
            source: source(h.line.clone(), h.line.start..h.line.start + line.len(), confidence),
        });
    }
    out
}

/// A heading's words without its number.
fn strip_number(s: &str) -> &str {
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:[（(]\s*[一二三四五六七八九十0-9]{1,3}\s*[）)]|[一二三四五六七八九十]{1,3}\s*[、.．]|[0-9]{1,2}\s*[.．、])\s*")
            .expect("valid")
    });
    let rest = NUMBER.find(s).map(|m| &s[m.end()..]).unwrap_or(s);
    rest.trim()
}

/// The deliverables: sentences that file something by a date.
pub fn deliverables(
    text: &str,
    heads: &[Heading],
    dates: &[Mention],
    stages: &[StageDraft],
    stage_bodies: &[Range<usize>],
) -> Vec<DeliverableDraft> {
    let mut out = Vec::new();
    for s in sentences(text, 0..text.len()) {
        let sentence = &text[s.clone()];
        if heads.iter().any(|h| h.line.start <= s.start && s.end <= h.line.end && h.level == 1) {
            continue; // a heading is not a filing
        }
        let in_sentence: Vec<&Mention> = dates
            .iter()
            .filter(|m| m.span.start >= s.start && m.span.end <= s.end && !matches!(m.bound, Bound::From))
            .collect();
        // Verbs not separated by a date file one thing (于…前统一报省民政厅…备案); a date
        // between two verbs starts another filing (每月15日至20日传送…、每月25日前上报…).
        let verbs: Vec<regex::Match> = FILING_VERB.find_iter(sentence).collect();
        let mut groups: Vec<Vec<regex::Match>> = Vec::new();
        for v in verbs {
            let split = groups.last().and_then(|g| g.last()).is_none_or(|last| {
                in_sentence.iter().any(|m| m.span.start >= s.start + last.end() && m.span.end <= s.start + v.start())
            });
            if split {
                groups.push(vec![v]);
            } else if let Some(g) = groups.last_mut() {
                g.push(v);
            }
        }
        let stage =
            stage_bodies.iter().position(|b| b.start <= s.start && s.end <= b.end).filter(|i| *i < stages.len());
        for (i, group) in groups.iter().enumerate() {
            let (first, last) = (&group[0], &group[group.len() - 1]);
            // This filing's stretch of the sentence: from the previous filing's last verb to
            // the next filing's first verb.
            let from = if i == 0 { 0 } else { groups[i - 1].last().map(|v| v.end()).unwrap_or(0) };
            // …and not past the next date after this filing's verbs (传送动态电子信息、每月25日前…).
            let to = groups.get(i + 1).map(|g| g[0].start()).unwrap_or(sentence.len()).min(
                in_sentence
                    .iter()
                    .map(|m| m.span.start - s.start)
                    .filter(|at| *at >= last.end())
                    .min()
                    .unwrap_or(sentence.len()),
            );
            let due =
                in_sentence.iter().filter(|m| m.span.start >= s.start + from && m.span.end <= s.start + to).min_by_key(
                    |m| (m.span.start > s.start + first.start(), m.span.start.abs_diff(s.start + first.start())),
                );
            // A filing without a date of its own in a stage's section is due when the stage
            // ends (深入调研阶段。2019年1月中下旬,…并报区民政局备案).
            let (due_value, due_span, mut confidence) = match (due, stage) {
                (Some(m), _) => (
                    match &m.when {
                        // As the notice writes it: 2022年9月20日前 stays 前 (the same day).
                        When::Days { end, .. } if m.bound == Bound::Before => {
                            Due::Fixed(DocDate::parse(&format!("{}前", end.text())).unwrap_or_else(|_| end.clone()))
                        }
                        When::Days { end, .. } => Due::Fixed(end.clone()),
                        When::Recurring(r) => Due::Recurring(r.clone()),
                        When::Unpinned => Due::Unpinned(m.text.clone()),
                    },
                    m.span.clone(),
                    m.confidence,
                ),
                (None, Some(i)) if in_sentence.is_empty() => match &stages[i].end {
                    Some(end) => (Due::Fixed(end.clone()), s.start + first.start()..s.start + last.end(), 60),
                    None => continue,
                },
                (None, _) => continue,
            };
            let part = &sentence[from..to];
            if PRODUCING.contains(&first.as_str()) {
                let after = &sentence[first.end()..];
                let clause = &after[..after.find([',', '，', '。', '；', ';']).unwrap_or(after.len())];
                if !DOCUMENT.is_match(clause) {
                    continue;
                }
            }
            // Dates are not the thing filed: each reads as a clause break (于2022年9月20日前将
            // 实施方案报… names 实施方案, not 日前将实施方案).
            let mut masked = part.to_owned();
            for m in &in_sentence {
                let (a, b) = (m.span.start.saturating_sub(s.start), m.span.end.saturating_sub(s.start));
                if from <= a && b <= to {
                    masked.replace_range(a - from..b - from, &",".repeat(b - a));
                }
            }
            let title = filed_thing(&masked, first.start() - from, verb_end(last) - from)
                .or_else(|| stage.map(|i| format!("{}材料", stages[i].name)));
            let Some(title) = title else { continue };
            let recipient = RECIPIENT.captures(part).map(|c| c["r"].to_owned());
            let mut route = Vec::new();
            if let Some(c) = REVIEW.captures(sentence) {
                route.push((level_of(&c["l"]), "review"));
            }
            let action = if part.contains("备案") || part.contains("报备") {
                "file"
            } else if part.contains("验收") || part.contains("审核") || part.contains("审定") {
                "review"
            } else {
                "file"
            };
            if let Some(r) = &recipient {
                route.push((level_of(r), action));
            }
            // One date, one filing: 形成自评报告,…于…前报送省民政厅 is the report, sent there.
            if let Some(d) =
                out.last_mut().filter(|d: &&mut DeliverableDraft| d.source.sentence == s && d.source.span == due_span)
            {
                if d.recipient.is_none() && recipient.is_some() {
                    (d.recipient, d.route) = (recipient, route);
                    d.source.confidence = d.source.confidence.max(confidence.min(90));
                }
                continue;
            }
            if recipient.is_none() {
                confidence = confidence.min(70);
            }
            out.push(DeliverableDraft {
                title,
                due: due_value,
                recipient,
                route,
                stage,
                sentence: sentence.to_owned(),
                source: source(due_span, s.clone(), confidence.min(90)),
            });
        }
    }
    out
}

/// Where a filing verb ends: 报省民政厅 is the verb 报 and its recipient.
fn verb_end(verb: &regex::Match) -> usize {
    match verb.as_str() {
        "报送" | "上报" | "报备" | "提交" | "传送" | "备案" | "制定出台" | "形成" | "编制" => {
            verb.end()
        }
        _ => verb.start() + '报'.len_utf8(),
    }
}

/// The level a department or region word names: 省 province, 市/设区市/州 city, 区/县 county.
fn level_of(words: &str) -> RegionLevel {
    match words.chars().next() {
        Some('省') => RegionLevel::Province,
        Some('区' | '县') => RegionLevel::County,
        _ => RegionLevel::City,
    }
}

/// What a sentence files: the object after the verb when there is one, else the nearest
/// thing named before it (试点方案经…审定后,于…报…备案).
fn filed_thing(sentence: &str, verb_start: usize, verb_end: usize) -> Option<String> {
    let clean = |s: &str| -> Option<String> {
        let s = s.trim_matches(|c: char| !c.is_alphanumeric() && c != '“' && c != '”');
        let mut s = s;
        // Leading words that are not the thing (并形成…, 统一将…), however many.
        while let Some(rest) = [
            "相关",
            "有关",
            "统一",
            "及时",
            "并",
            "将",
            "把",
            "形成",
            "制定",
            "印发",
            "收集整理",
            "的",
            "和",
            "各项",
            "各",
        ]
        .iter()
        .find_map(|lead| s.strip_prefix(lead))
        {
            s = rest;
        }
        let s = s.trim();
        (s.chars().count() >= 2).then(|| s.to_owned())
    };
    if let Some(b) = sentence.find('《')
        && let Some(e) = sentence[b..].find('》')
    {
        return clean(&sentence[b + '《'.len_utf8()..b + e]);
    }
    // After the verb, up to the clause's end, without the recipient.
    let after = &sentence[verb_end..];
    let clause_end = after.find([',', '，', '。', '；', ';', '(', '（']).unwrap_or(after.len());
    let after = &after[..clause_end];
    let after = RECIPIENT_START.find(after).map(|m| &after[m.end()..]).unwrap_or(after);
    // From the first thing named to the last (试点工作情况和阶段性成效), not what trails it
    // (经审核纸质资料的管理模式).
    if let (Some(first), Some(last)) = (OBJECT.find(after), OBJECT.find_iter(after).last()) {
        return clean(&after[first.start()..last.end()]);
    }
    // Before it: the nearest clause that names a document (方案, 报告, 材料 …), else the
    // nearest that names anything filed (情况, 经验 …).
    let before = &sentence[..verb_start];
    for pattern in [&*PLAN, &*DOCUMENT, &*OBJECT] {
        for clause in before.rsplit([',', '，', '；', ';']) {
            if let Some(m) = pattern.find_iter(clause).last() {
                return clean(m.as_str());
            }
        }
    }
    None
}

/// A recipient at the start of what follows a verb (报送省民政厅…): skipped to find the object.
static RECIPIENT_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:省|市|区|县|设区市|州)[\p{Han}]{0,10}?(?:民政厅|民政局|人民政府|办公室|领导小组|社会事业局)(?:[\p{Han}]{0,6}?处)?")
        .expect("valid")
});

/// The catalogue: the numbered items under a 试点方向 / 重点任务 heading.
pub fn directions(text: &str, heads: &[Heading]) -> Vec<DirectionDraft> {
    let mut out = Vec::new();
    for parent in heads.iter().filter(|h| h.level == 1 && DIRECTION_HEADINGS.is_match(&h.title)) {
        let inside: Vec<&Heading> = heads
            .iter()
            .filter(|h| h.level > 1 && h.body.start > parent.body.start && h.body.end <= parent.body.end)
            .collect();
        let Some(level) = inside.iter().map(|h| h.level).min() else { continue };
        let intro_end = inside.first().map(|h| h.line.start).unwrap_or(parent.body.end);
        let intro = &text[parent.line.end.min(intro_end)..intro_end];
        let kind = if parent.title.contains("方向") || intro.contains("选择") || intro.contains("自选") {
            DirectionKind::Choice
        } else {
            DirectionKind::Assigned
        };
        let group = text[parent.line.clone()].trim().to_owned();
        for top in inside.iter().filter(|h| h.level == level) {
            // Items numbered under a heading that is one sentence of its own (二、重点任务 ›
            // (一)深化社会救助制度改革。 › 1.…) are the tasks, the heading their group; under a
            // title line without a full stop they are the item's text (西秀: (二)落实部门职责 ›
            // 1.… 2.…).
            let line = text[top.line.clone()].trim_end();
            let heading_only = line.ends_with('。') && line.matches('。').count() == 1;
            let subs: Vec<&&Heading> = inside
                .iter()
                .filter(|h| {
                    heading_only && h.level > level && h.body.start > top.body.start && h.body.end <= top.body.end
                })
                .collect();
            match subs.iter().map(|h| h.level).min() {
                Some(sub) => {
                    let group = format!("{group} {}", strip_number(&top.title));
                    for h in subs.into_iter().filter(|h| h.level == sub) {
                        out.push(direction(text, h, kind, &group, out.len()));
                    }
                }
                None => out.push(direction(text, top, kind, &group, out.len())),
            }
        }
    }
    out.extend(annex_catalogue(text, heads, out.len()));
    out
}

/// One catalogue item from its heading.
fn direction(text: &str, h: &Heading, kind: DirectionKind, group: &str, before: usize) -> DirectionDraft {
    // A heading on a line of its own is a title over its text; a run-in item (1.针对…。) is
    // its own text.
    let line = text[h.line.clone()].trim_end();
    let standalone = !line.contains('。') && h.line.end < h.body.end && !text[h.line.end..h.body.end].trim().is_empty();
    let body = if standalone { text[h.line.end..h.body.end].trim() } else { text[h.body.clone()].trim_end() };
    let item = if standalone { body } else { strip_number(body) };
    let responsible: Vec<String> = RESPONSIBLE
        .captures(item)
        .map(|c| {
            c["r"]
                .split(['、', '，', ',', ';', '；'])
                .map(|s| s.trim().trim_end_matches(['。', '等']).to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let without: &str = RESPONSIBLE.find(item).map(|m| &item[..m.start()]).unwrap_or(item).trim();
    DirectionDraft {
        number: before as u32 + 1,
        title: short_title(&h.title),
        text: without.trim_end_matches(['（', '(']).trim().to_owned(),
        kind,
        group: group.to_owned(),
        responsible,
        source: source(h.line.clone(), h.line.clone(), 85),
    }
}

/// A catalogue given as a table in an annex (附件1 服务项目清单: 序号 | 类别 | 项目 | 内容): each
/// numbered row an item to choose, its category carried down the rows that leave it out.
fn annex_catalogue(text: &str, heads: &[Heading], before: usize) -> Vec<DirectionDraft> {
    let mut out = Vec::new();
    for annex in heads.iter().filter(|h| h.level == 0) {
        let body = &text[annex.body.clone()];
        let heading: String = body.lines().take(3).collect::<Vec<_>>().join(" ");
        if !(heading.contains("清单") || heading.contains("目录") || heading.contains("项目")) {
            continue;
        }
        let mut category = String::new();
        let mut at = annex.body.start;
        for line in body.split_inclusive('\n') {
            let span = at..at + line.trim_end().len();
            at += line.len();
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let cells: Vec<&str> =
                cells.into_iter().rev().skip_while(|c| c.is_empty()).collect::<Vec<_>>().into_iter().rev().collect();
            if cells.len() < 3 || cells[0].parse::<u32>().is_err() {
                continue;
            }
            let (title, words) = if cells.len() >= 4 {
                category = cells[1].to_owned();
                (cells[2], cells[3])
            } else {
                (cells[1], cells[2])
            };
            let annex_name = text[annex.line.clone()].trim();
            out.push(DirectionDraft {
                number: (before + out.len()) as u32 + 1,
                title: title.to_owned(),
                text: words.to_owned(),
                kind: DirectionKind::Choice,
                group: format!("{annex_name} {category}").trim().to_owned(),
                responsible: vec![],
                source: source(span.clone(), span, 80),
            });
        }
    }
    out
}

/// A heading's words as a title: up to the first full stop, at most 60 characters.
fn short_title(s: &str) -> String {
    let s = s.split(['。', '；']).next().unwrap_or(s).trim();
    if s.chars().count() <= 60 { s.to_owned() } else { s.chars().take(60).collect::<String>() + "…" }
}

/// Quotas and the regions excepted from them.
pub fn quotas(text: &str) -> (Vec<Quota>, Vec<Exception>) {
    let (mut quotas, mut exceptions) = (Vec::new(), Vec::new());
    for s in sentences(text, 0..text.len()) {
        let sentence = &text[s.clone()];
        let group = GROUP.captures(sentence).map(|c| match &c["g"] {
            "乡镇" => RegionLevel::Township,
            "县" | "区" | "县(市、区)" | "县（市、区）" => RegionLevel::County,
            _ => RegionLevel::City,
        });
        let range = |c: &regex::Captures| -> Option<(u32, u32)> {
            let a = number(&c["a"])?;
            Some((a, c.name("b").and_then(|b| number(b.as_str())).unwrap_or(a)))
        };
        for c in CHOOSE_DIRECTIONS.captures_iter(sentence) {
            let Some((min, max)) = range(&c) else { continue };
            let m = c.get(0).expect("group 0");
            let kind = if group.is_some() && !sentence[..m.start()].contains("每个试点单位") {
                QuotaKind::DirectionsPerGroup
            } else {
                QuotaKind::DirectionsPerUnit
            };
            quotas.push(Quota {
                kind,
                min,
                max,
                group_level: group,
                source: source(s.start + m.start()..s.start + m.end(), s.clone(), 85),
            });
        }
        for c in CHOOSE_UNITS.captures_iter(sentence) {
            let Some((min, max)) = range(&c) else { continue };
            let m = c.get(0).expect("group 0");
            quotas.push(Quota {
                kind: QuotaKind::UnitsPerGroup,
                min,
                max,
                group_level: group,
                source: source(s.start + m.start()..s.start + m.end(), s.clone(), 85),
            });
        }
        for c in WHOLE_REGION.captures_iter(sentence) {
            let m = c.get(0).expect("group 0");
            let name = c["n"].trim_start_matches(['(', '（']).to_owned();
            exceptions.push(Exception {
                name,
                note: m.as_str().trim_start_matches(['(', '（']).to_owned(),
                source: source(s.start + m.start()..s.start + m.end(), s.clone(), 80),
            });
        }
    }
    (quotas, exceptions)
}

/// Regions named as pilot units.
pub fn named_units(text: &str) -> Vec<NamedUnits> {
    let mut out = Vec::new();
    for s in sentences(text, 0..text.len()) {
        let sentence = &text[s.clone()];
        for c in NAMED.captures_iter(sentence) {
            let m = c.get(0).expect("group 0");
            let names: Vec<String> = c["n"]
                .split(['、', '和', '及'])
                .map(str::trim)
                .filter(|n| n.chars().count() >= 2)
                .map(str::to_owned)
                .collect();
            if names.is_empty() {
                continue;
            }
            let rest = &sentence[m.end()..];
            out.push(NamedUnits {
                names,
                demonstration: rest.split(['，', ',', '。']).next().is_some_and(|r| r.contains("示范")),
                source: source(s.start + m.start()..s.start + m.end(), s.clone(), 75),
            });
        }
    }
    out
}

/// Sums of money, in fen.
pub fn funds(text: &str) -> Vec<Fund> {
    let mut out = Vec::new();
    for s in sentences(text, 0..text.len()) {
        let sentence = &text[s.clone()];
        for c in MONEY.captures_iter(sentence) {
            let m = c.get(0).expect("group 0");
            let Some(fen) = fen(&c["n"], &c["u"]) else { continue };
            let pre = &c["pre"];
            let total = pre.ends_with('共') || pre.ends_with("合计") || pre.ends_with("总计");
            static REGION_END: LazyLock<Regex> =
                LazyLock::new(|| Regex::new(r"[\p{Han}]{1,10}?(?:区|县|市|镇|乡|街道|办事处)$").expect("valid"));
            let recipient = REGION_END.find(pre).map(|r| {
                let mut name = r.as_str();
                while let Some(rest) =
                    ["其中", "向", "给", "安排", "下达", "拨付"].iter().find_map(|p| name.strip_prefix(p))
                {
                    name = rest;
                }
                name.to_owned()
            });
            out.push(Fund {
                recipient,
                fen,
                total,
                source: source(s.start + m.start()..s.start + m.end(), s.clone(), 80),
            });
        }
    }
    out
}

/// `n` of `unit` (元, 万元, 亿元) in fen, exactly (decimal places counted, not floated).
fn fen(n: &str, unit: &str) -> Option<i64> {
    let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
    let scale: i64 = match unit {
        "亿元" => 10_000_000_000,
        "万元" => 1_000_000,
        _ => 100,
    };
    let mut value = whole.parse::<i64>().ok()?.checked_mul(scale)?;
    let mut place = scale;
    for d in frac.chars() {
        place /= 10;
        value = value.checked_add(i64::from(d.to_digit(10)? as u8) * place)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_fen() {
        assert_eq!(fen("100", "万元"), Some(100_000_000));
        assert_eq!(fen("1.5", "万元"), Some(1_500_000));
        assert_eq!(fen("300", "元"), Some(30_000));
        assert_eq!(fen("0.25", "亿元"), Some(2_500_000_000));
        let f = funds("安排补助资金共300万元，其中台江区100万元、闽侯县200万元。");
        let shown: Vec<(Option<&str>, i64, bool)> =
            f.iter().map(|f| (f.recipient.as_deref(), f.fen, f.total)).collect();
        assert_eq!(
            shown,
            [(None, 300_000_000, true), (Some("台江区"), 100_000_000, false), (Some("闽侯县"), 200_000_000, false)]
        );
    }

    #[test]
    fn quotas_and_the_region_excepted() {
        let text =
            "每个设区市结合实际选择1-2个试点方向,确定1-2个县(市、区)作为试点单位(平潭综合实验区以全区为试点单位)。";
        let (q, e) = quotas(text);
        let shown: Vec<(QuotaKind, u32, u32, Option<RegionLevel>)> =
            q.iter().map(|q| (q.kind, q.min, q.max, q.group_level)).collect();
        assert_eq!(
            shown,
            [
                (QuotaKind::DirectionsPerGroup, 1, 2, Some(RegionLevel::City)),
                (QuotaKind::UnitsPerGroup, 1, 2, Some(RegionLevel::City))
            ]
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, "平潭综合实验区");
        let (q, _) = quotas("每个试点单位可选择两至三个试点方向。");
        assert_eq!((q[0].kind, q[0].min, q[0].max), (QuotaKind::DirectionsPerUnit, 2, 3));
    }

    #[test]
    fn named_units_and_whether_they_lead() {
        let u = named_units("选取旧州镇和东街办作为社会救助综合改革试点示范乡镇，率先开展试点。");
        assert_eq!(u[0].names, ["旧州镇", "东街办"]);
        assert!(u[0].demonstration);
    }

    #[test]
    fn what_a_sentence_files() {
        for (sentence, want) in [
            ("试点方案经设区市民政部门审定后,于2022年9月20日前统一报省民政厅社会救助处备案", "试点方案"),
            ("并于2022年11月1日向省民政厅报送相关试点工作情况和阶段性成效", "试点工作情况和阶段性成效"),
            (
                "各试点单位收集整理试点实施情况材料并形成自评报告,总结出典型经验,于2023年11月底前报送省民政厅",
                "自评报告",
            ),
            ("每月25日前上报经审核纸质资料", "经审核纸质资料"),
            ("于2024年12月20日前将《试点工作实施方案》报市民政局", "试点工作实施方案"),
        ] {
            let v = FILING_VERB.find(sentence).unwrap();
            assert_eq!(filed_thing(sentence, v.start(), verb_end(&v)).as_deref(), Some(want), "{sentence}");
        }
    }
}
