//! Reading a notice in the browser (公文解析): a department pastes a 通知 or 方案, or uploads it
//! (.docx, .txt), and sees the notice with every item the reader found marked in it, beside the
//! draft programme those items make. It edits the draft there; the setup preview then checks it
//! and imports it (`setup::preview_document`). Nothing is stored on this page.

use std::ops::Range;

use poem::http::StatusCode;
use poem::web::{Data, Multipart};
use poem::{Request, Response, handler};
use serde::Serialize;
use serde_json::{Value, json};

use super::pages::{page, user};
use super::setup::setup_upload;
use super::{explained, failed, message};
use crate::api::State;
use crate::domain::DirectionKind;
use crate::domain::access::Access;
use crate::domain::notice::{self, QuotaKind, Reading};
use crate::service::document::ProgrammeDocument;
use crate::service::{notice_draft, notice_file};

/// One kind of item, as the page groups and colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Header,
    Stage,
    Deliverable,
    Direction,
    Quota,
    Unit,
    Fund,
    Unread,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Header,
        Kind::Stage,
        Kind::Deliverable,
        Kind::Direction,
        Kind::Quota,
        Kind::Unit,
        Kind::Fund,
        Kind::Unread,
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::Header => "文件信息",
            Kind::Stage => "阶段",
            Kind::Deliverable => "报送材料",
            Kind::Direction => "试点方向与任务",
            Kind::Quota => "名额与例外",
            Kind::Unit => "试点单位",
            Kind::Fund => "资金",
            Kind::Unread => "需要核对的句子",
        }
    }
}

/// An item the reader found, with the bytes of the notice it was read from.
#[derive(Debug, Clone)]
struct Found {
    kind: Kind,
    span: Range<usize>,
    summary: String,
    confidence: u8,
}

/// The notice as the page prints it, in order: text, and the opening and closing of the marks
/// around each item's words. Marks nest (a deadline inside its stage's paragraph).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "is", rename_all = "snake_case")]
enum Piece {
    Text {
        text: String,
    },
    /// Opens the mark of item `id`.
    Open {
        id: usize,
        kind: Kind,
    },
    Close,
}

/// Cuts `text` into pieces with each item's span marked. Spans that nest are marked inside one
/// another; a span crossing one already marked (the longest starting first wins) is not marked,
/// and its item links to the innermost mark holding its start (`anchors`; None when none does).
fn pieces(text: &str, found: &[Found]) -> (Vec<Piece>, Vec<Option<usize>>) {
    let usable = |s: &Range<usize>| {
        !s.is_empty() && s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
    };
    let mut order: Vec<usize> = (0..found.len()).filter(|&i| usable(&found[i].span)).collect();
    order.sort_by_key(|&i| (found[i].span.start, std::cmp::Reverse(found[i].span.len())));
    let mut marked: Vec<usize> = Vec::new();
    for i in order {
        let s = &found[i].span;
        let nests = marked.iter().all(|&m| {
            let t = &found[m].span;
            t.end <= s.start || s.end <= t.start || (t.start <= s.start && s.end <= t.end) || t == s
        });
        if nests {
            marked.push(i);
        }
    }
    // `marked` is in order of start, outer before inner.
    let anchors = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if marked.contains(&i) {
                return Some(i);
            }
            marked
                .iter()
                .copied()
                .filter(|&m| found[m].span.start <= f.span.start && f.span.start < found[m].span.end)
                .min_by_key(|&m| found[m].span.len())
        })
        .collect();
    let mut out = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut at = 0;
    let text_to = |out: &mut Vec<Piece>, at: &mut usize, to: usize| {
        if *at < to {
            out.push(Piece::Text { text: text[*at..to].to_owned() });
            *at = to;
        }
    };
    for i in marked {
        let s = &found[i].span;
        // Close the marks that end before this one starts, innermost first.
        while let Some(&top) = open.last() {
            if found[top].span.end > s.start {
                break;
            }
            text_to(&mut out, &mut at, found[top].span.end);
            out.push(Piece::Close);
            open.pop();
        }
        text_to(&mut out, &mut at, s.start);
        out.push(Piece::Open { id: i, kind: found[i].kind });
        open.push(i);
    }
    while let Some(top) = open.pop() {
        text_to(&mut out, &mut at, found[top].span.end);
        out.push(Piece::Close);
    }
    text_to(&mut out, &mut at, text.len());
    (out, anchors)
}

/// Money as a notice writes it, exactly (money never passes through a float): 100万元,
/// 12.5万元, else yuan with fen as the exports write them (3000.50元).
fn money(fen: i64) -> String {
    let (wan, rest) = (fen / 1_000_000, fen % 1_000_000);
    if fen >= 1_000_000 && rest % 100 == 0 {
        let decimals = format!("{:04}", rest / 100);
        let decimals = decimals.trim_end_matches('0');
        return if decimals.is_empty() { format!("{wan}万元") } else { format!("{wan}.{decimals}万元") };
    }
    format!("{}元", crate::render::table::Value::fen_text(fen))
}

/// The regions a quota counts by, as a notice names them (每个设区市).
fn group_name(level: Option<crate::domain::RegionLevel>) -> &'static str {
    use crate::domain::RegionLevel::*;
    match level {
        Some(Nation) => "全国",
        Some(Province) => "省",
        Some(City) => "设区市",
        Some(County) => "县（市、区）",
        Some(Township) => "乡镇（街道）",
        None => "地区",
    }
}

/// Every item of the reading, in the page's order, with a line a person checks it by.
fn found(r: &Reading) -> Vec<Found> {
    let mut out = Vec::new();
    let h = &r.header;
    for (what, fact) in [("标题", &h.title), ("发文机关", &h.issuer), ("文号", &h.doc_number)] {
        if let Some(f) = fact {
            out.push(Found {
                kind: Kind::Header,
                span: f.span.clone(),
                summary: format!("{what}：{}", f.value),
                confidence: f.confidence,
            });
        }
    }
    if let Some(f) = &h.issued {
        out.push(Found {
            kind: Kind::Header,
            span: f.span.clone(),
            summary: format!("成文日期：{}", crate::domain::DocDate::day(f.value).text()),
            confidence: f.confidence,
        });
    }
    for s in &r.stages {
        let window = match (&s.start, &s.end) {
            (Some(a), Some(b)) => format!("{}至{}", a.text(), b.text()),
            (Some(a), None) => format!("{}起", a.text()),
            _ => "时间未读出".to_owned(),
        };
        out.push(Found {
            kind: Kind::Stage,
            span: s.source.span.clone(),
            summary: format!("{}：{window}", s.name),
            confidence: s.source.confidence,
        });
    }
    for d in &r.deliverables {
        let route: Vec<String> = d
            .route
            .iter()
            .map(|(level, action)| format!("{}{}", level.label(), if *action == "review" { "审定" } else { "备案" }))
            .collect();
        let mut summary = format!("{} · {}", d.title, d.due.text());
        if let Some(to) = &d.recipient {
            summary.push_str(&format!(" · 报{to}"));
        }
        if !route.is_empty() {
            summary.push_str(&format!(" · {}", route.join(" → ")));
        }
        out.push(Found {
            kind: Kind::Deliverable,
            span: d.source.span.clone(),
            summary,
            confidence: d.source.confidence,
        });
    }
    for d in &r.directions {
        let mut summary =
            format!("{}{}. {}", if d.kind == DirectionKind::Assigned { "任务" } else { "方向" }, d.number, d.title);
        if !d.responsible.is_empty() {
            summary.push_str(&format!("（责任单位：{}）", d.responsible.join("、")));
        }
        out.push(Found {
            kind: Kind::Direction,
            span: d.source.span.clone(),
            summary,
            confidence: d.source.confidence,
        });
    }
    for q in &r.quotas {
        let group = group_name(q.group_level);
        let what = match q.kind {
            QuotaKind::DirectionsPerUnit => "每个试点单位选择试点方向".to_owned(),
            QuotaKind::DirectionsPerGroup => format!("每个{group}选择试点方向"),
            QuotaKind::UnitsPerGroup => format!("每个{group}确定试点单位"),
        };
        let count = if q.min == q.max { format!("{}个", q.min) } else { format!("{}–{}个", q.min, q.max) };
        out.push(Found {
            kind: Kind::Quota,
            span: q.source.span.clone(),
            summary: format!("{what}{count}"),
            confidence: q.source.confidence,
        });
    }
    for e in &r.exceptions {
        out.push(Found {
            kind: Kind::Quota,
            span: e.source.span.clone(),
            summary: format!("例外：{}（{}）", e.name, e.note),
            confidence: e.source.confidence,
        });
    }
    for u in &r.units {
        out.push(Found {
            kind: Kind::Unit,
            span: u.source.span.clone(),
            summary: format!("{}{}", u.names.join("、"), if u.demonstration { "（示范）" } else { "" }),
            confidence: u.source.confidence,
        });
    }
    for f in &r.funds {
        let who = f.recipient.clone().unwrap_or_else(|| "合计".into());
        out.push(Found {
            kind: Kind::Fund,
            span: f.source.span.clone(),
            summary: format!("{who}：{}{}", money(f.fen), if f.total { "（合计）" } else { "" }),
            confidence: f.source.confidence,
        });
    }
    for u in &r.unread {
        out.push(Found {
            kind: Kind::Unread,
            span: u.sentence.clone(),
            summary: u.why.label().to_owned(),
            confidence: 0,
        });
    }
    out
}

/// The draft as the person edits it: YAML in the fixtures' field order (JSON if the draft does
/// not fit the import format, which the preview then explains).
fn draft_text(document: &Value) -> String {
    serde_json::from_value::<ProgrammeDocument>(document.clone())
        .ok()
        .and_then(|d| serde_yaml_ng::to_string(&d).ok())
        .unwrap_or_else(|| serde_json::to_string_pretty(document).unwrap_or_default())
}

/// Reads the pasted or uploaded notice and shows it beside its draft.
#[handler]
pub async fn read(req: &Request, Data(state): Data<&State>, mut form: Multipart) -> Response {
    let (p, super::Upload { file, text, .. }) = match setup_upload(req, state, &mut form).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    if p.check(Access::DefineProgramme { scope_path: &p.region_path }).is_err() {
        return message(StatusCode::FORBIDDEN, "无权访问", "您的账号不能设立试点项目。");
    }
    // A file chosen wins over pasted text.
    let (text, filename) = match file.filter(|(_, b)| !b.is_empty()) {
        None => (text, None),
        Some((name, bytes)) => match notice_file::text_of(&bytes) {
            Ok(t) => (t, Some(name)),
            Err(e) => {
                return explained(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "未能读取通知",
                    "文件须为 Word 文档（.docx）或 UTF-8 编码的文本。旧版 .doc 文件请在 Word 或 WPS 中“另存为” .docx 后上传；也可以直接粘贴通知的文字。",
                    Some(&e.to_string()),
                );
            }
        },
    };
    // A form sends a textarea's lines ending in CR LF; the notice's own are LF.
    let text = text.replace("\r\n", "\n");
    if text.trim().is_empty() {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "未能读取通知",
            "请粘贴通知的全文，或选择通知的 Word 文件（.docx）或文本文件。",
        );
    }
    let reading = match notice::read(&text) {
        Ok(r) => r,
        Err(e) => {
            let text = format!(
                "通知过长：一次最多读取{}万字。请去掉较长的附件（如名单、统计表）后再读取。",
                notice::MAX_CHARS / 10_000
            );
            return explained(StatusCode::UNPROCESSABLE_ENTITY, "未能读取通知", &text, Some(&e.to_string()));
        }
    };
    let document = match notice_draft::document(&state.store, &text, &reading, &p.region).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let items = found(&reading);
    let (pieces, anchors) = pieces(&text, &items);
    let groups: Vec<Value> = Kind::ALL
        .iter()
        .map(|&k| {
            let list: Vec<Value> = items
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == k)
                .map(|(i, f)| {
                    json!({ "anchor": anchors[i], "summary": f.summary,
                            "quote": text[f.span.clone()].chars().take(80).collect::<String>(),
                            "confidence": f.confidence, "unsure": k != Kind::Unread && f.confidence < notice::SURE })
                })
                .collect();
            json!({ "kind": k, "label": k.label(), "items": list })
        })
        .collect();
    let unsure = items.iter().filter(|f| f.kind != Kind::Unread && f.confidence < notice::SURE).count();
    let ctx = json!({
        "user": user(state, &p, req).await,
        "filename": filename,
        "chars": text.chars().count(),
        "pieces": pieces,
        "groups": groups,
        "unsure": unsure,
        "draft": draft_text(&document),
    });
    page("dashboard/programme_notice.html", &ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: Kind, span: Range<usize>) -> Found {
        Found { kind, span, summary: String::new(), confidence: 90 }
    }

    /// The page's text and marks, as `[kind:words]` with marks nested.
    fn shown(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text { text } => text.clone(),
                Piece::Open { kind, .. } => format!("[{kind:?}:"),
                Piece::Close => "]".into(),
            })
            .collect()
    }

    #[test]
    fn marks_nest_keep_every_character_and_crossing_spans_link_to_their_mark() {
        let text = "（一）部署阶段2022年8月下旬。于9月20日前报送方案。附件";
        let at = |s: &str| text.find(s).unwrap();
        let stage = at("（一）")..at("附件");
        let window = at("2022")..at("。");
        let due = at("于")..at("附件");
        let crossing = at("下旬")..at("报送");
        let found = vec![
            f(Kind::Stage, stage),
            f(Kind::Header, window),
            f(Kind::Deliverable, due),
            f(Kind::Unread, crossing),
            f(Kind::Fund, text.len()..text.len() + 3),
        ];
        let (pieces, anchors) = pieces(text, &found);
        assert_eq!(
            shown(&pieces),
            "[Stage:（一）部署阶段[Header:2022年8月下旬]。[Deliverable:于9月20日前报送方案。]]附件"
        );
        // The crossing span links to the innermost mark holding its start; the one off a
        // character boundary to none.
        assert_eq!(anchors, vec![Some(0), Some(1), Some(2), Some(1), None]);
    }

    #[test]
    fn money_reads_as_a_notice_writes_it_exactly() {
        assert_eq!(money(100_000_000), "100万元");
        assert_eq!(money(12_500_000), "12.5万元");
        assert_eq!(money(12_345_600), "12.3456万元");
        assert_eq!(money(300_050), "3000.50元");
        assert_eq!(group_name(Some(crate::domain::RegionLevel::City)), "设区市");
    }
}
