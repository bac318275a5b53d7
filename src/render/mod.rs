//! Turning records into documents people read: bulletins in HTML, Markdown and chat-sized text
//! (tera templates from `templates/`, compiled into the binary), SVG charts, spreadsheets and
//! calendar feeds. Everything here is pure: data in, bytes out.

pub mod bulletin_document;
pub mod charts;
pub mod docx;
pub mod ical;
pub mod official;
pub mod supervision_document;
pub mod table;

use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context, Tera};

use crate::domain::bulletin::Bulletin;
use crate::domain::bulletin::{Content, chinese_date, percent};
use crate::domain::deadline::local_day;

/// The templates, compiled into the binary so a deployment is one file.
const TEMPLATES: &[(&str, &str)] = &[
    ("official.html", include_str!("../../templates/official.html")),
    ("bulletin.md", include_str!("../../templates/bulletin.md")),
    ("bulletin.txt", include_str!("../../templates/bulletin.txt")),
    ("dashboard/base.html", include_str!("../../templates/dashboard/base.html")),
    ("dashboard/login.html", include_str!("../../templates/dashboard/login.html")),
    ("dashboard/home.html", include_str!("../../templates/dashboard/home.html")),
    ("dashboard/programme.html", include_str!("../../templates/dashboard/programme.html")),
    ("dashboard/ranking.html", include_str!("../../templates/dashboard/ranking.html")),
    ("dashboard/unit.html", include_str!("../../templates/dashboard/unit.html")),
    ("dashboard/bulletins.html", include_str!("../../templates/dashboard/bulletins.html")),
    ("dashboard/error.html", include_str!("../../templates/dashboard/error.html")),
    ("dashboard/filing.html", include_str!("../../templates/dashboard/filing.html")),
    ("dashboard/queue.html", include_str!("../../templates/dashboard/queue.html")),
    ("dashboard/inbox.html", include_str!("../../templates/dashboard/inbox.html")),
    ("dashboard/accounts.html", include_str!("../../templates/dashboard/accounts.html")),
    ("dashboard/issued.html", include_str!("../../templates/dashboard/issued.html")),
    ("dashboard/account_import.html", include_str!("../../templates/dashboard/account_import.html")),
    ("dashboard/account_preview.html", include_str!("../../templates/dashboard/account_preview.html")),
    ("dashboard/password.html", include_str!("../../templates/dashboard/password.html")),
    ("dashboard/units_import.html", include_str!("../../templates/dashboard/units_import.html")),
    ("dashboard/units_preview.html", include_str!("../../templates/dashboard/units_preview.html")),
    ("dashboard/channels.html", include_str!("../../templates/dashboard/channels.html")),
    ("dashboard/audit.html", include_str!("../../templates/dashboard/audit.html")),
    ("dashboard/programme_new.html", include_str!("../../templates/dashboard/programme_new.html")),
    ("dashboard/programme_preview.html", include_str!("../../templates/dashboard/programme_preview.html")),
    ("dashboard/programme_notice.html", include_str!("../../templates/dashboard/programme_notice.html")),
    ("dashboard/settings.html", include_str!("../../templates/dashboard/settings.html")),
    ("dashboard/regions.html", include_str!("../../templates/dashboard/regions.html")),
    ("dashboard/programme_nav.html", include_str!("../../templates/dashboard/programme_nav.html")),
    ("dashboard/bulletin.html", include_str!("../../templates/dashboard/bulletin.html")),
    ("dashboard/rewards.html", include_str!("../../templates/dashboard/rewards.html")),
    ("dashboard/evaluations.html", include_str!("../../templates/dashboard/evaluations.html")),
    ("dashboard/calendar.html", include_str!("../../templates/dashboard/calendar.html")),
];

/// Link schemes that run code or smuggle content when a reader's client follows them.
const UNSAFE_SCHEMES: [&str; 4] = ["javascript:", "vbscript:", "data:", "file:"];

/// Where `s` (lower-cased, spaces ignored) spells an unsafe scheme: the byte offsets of each
/// colon that ends one.
fn unsafe_scheme_colons(s: &str) -> Vec<usize> {
    let squeezed: Vec<(usize, char)> =
        s.char_indices().filter(|(_, c)| !c.is_whitespace()).map(|(i, c)| (i, c.to_ascii_lowercase())).collect();
    let mut out = Vec::new();
    for (k, (i, c)) in squeezed.iter().enumerate() {
        if *c != ':' {
            continue;
        }
        for scheme in UNSAFE_SCHEMES {
            let word: Vec<char> = scheme.trim_end_matches(':').chars().collect();
            if k >= word.len() && squeezed[k - word.len()..k].iter().map(|(_, c)| *c).eq(word.iter().copied()) {
                out.push(*i);
            }
        }
    }
    out
}

/// Escaping for Markdown output: HTML's special characters as entities (a Markdown renderer
/// would pass raw HTML through), Markdown's punctuation backslash-escaped (no links, images,
/// emphasis or table breaks can come from a value), and an unsafe scheme's colon escaped too.
pub fn escape_markdown(s: &str) -> String {
    let colons = unsafe_scheme_colons(s);
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' | '"' => {
                out.push('\\');
                out.push(c);
            }
            ':' if colons.contains(&i) => out.push_str("\\:"),
            c => out.push(c),
        }
    }
    out
}

/// Escaping for chat text (WeCom and DingTalk text messages): angle brackets become their
/// full-width forms, and an unsafe scheme's colon a full-width colon, so no client turns a value
/// into markup or a link that runs code.
pub fn escape_chat(s: &str) -> String {
    let colons = unsafe_scheme_colons(s);
    s.char_indices()
        .map(|(i, c)| match c {
            '<' => '＜',
            '>' => '＞',
            ':' if colons.contains(&i) => '：',
            c => c,
        })
        .collect()
}

/// One tera per output language, each escaping every value the way its readers need: HTML
/// (tera's own), Markdown and chat text (above).
fn tera(name: &str) -> &'static Tera {
    fn build(suffix: &'static str, escape: Option<fn(&str) -> String>) -> Tera {
        let mut t = Tera::default();
        t.add_raw_templates(TEMPLATES.iter().copied()).expect("the bundled templates compile");
        t.autoescape_on(vec![suffix]);
        if let Some(f) = escape {
            t.set_escape_fn(f);
        }
        t
    }
    static HTML: OnceLock<Tera> = OnceLock::new();
    static MARKDOWN: OnceLock<Tera> = OnceLock::new();
    static CHAT: OnceLock<Tera> = OnceLock::new();
    if name.ends_with(".md") {
        MARKDOWN.get_or_init(|| build(".md", Some(escape_markdown)))
    } else if name.ends_with(".txt") {
        CHAT.get_or_init(|| build(".txt", Some(escape_chat)))
    } else {
        HTML.get_or_init(|| build(".html", None))
    }
}

/// Renders a bundled template; a failure is a bug in a template, reported, never a panic.
pub fn page(name: &str, ctx: &impl Serialize) -> Result<String, String> {
    let ctx = Context::from_serialize(ctx).map_err(|e| format!("template context: {e}"))?;
    tera(name).render(name, &ctx).map_err(|e| {
        let mut msg = format!("template {name}: {e}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        msg
    })
}

/// A bulletin format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A4, official document look, with charts.
    Html,
    Markdown,
    /// Plain text short enough for a WeCom or DingTalk message.
    Text,
}

#[derive(Serialize)]
struct Line {
    rank: u32,
    name: String,
    score: String,
    change: String,
}

/// A unit named, with every deadline it missed or met late in the period.
#[derive(Serialize)]
struct NamedLine {
    name: String,
    items: Vec<NamedItem>,
}

#[derive(Serialize)]
struct NamedItem {
    deliverable: String,
    due_text: String,
    /// 逾期未报送 / 逾期3天报送.
    what: String,
    /// 未报 / 迟报3天 (chat text).
    short: String,
}

#[derive(Serialize)]
struct Section {
    numeral: &'static str,
    id: &'static str,
}

/// Display-ready figures: every number already formatted the way the document writes it.
#[derive(Serialize)]
struct View<'a> {
    c: &'a Content,
    title: &'a str,
    draft: bool,
    number: String,
    date: String,
    as_of: String,
    rate: String,
    change: String,
    ranking: Vec<Line>,
    ranking_more: usize,
    named: Vec<NamedLine>,
    named_more: usize,
    named_total: usize,
    upcoming: Vec<(String, String, u32)>,
    city_rates: Vec<(String, String, u32)>,
    remarks: Option<&'a str>,
    sections: Vec<Section>,
}

const NUMERALS: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];

pub use bulletin_document::{arrow, change_text};

/// An official document as A4 HTML for the browser and print.
pub fn official_html(d: &official::Document) -> Result<String, String> {
    page("official.html", d)
}

/// A bulletin as a Word document (GB/T 9704).
pub fn bulletin_docx(row: &Bulletin) -> Result<Vec<u8>, String> {
    docx::write(&bulletin_document::document(row, false))
}

/// Renders a bulletin; `format` decides the template and how much a short format leaves out.
pub fn bulletin(row: &Bulletin, format: Format) -> Result<String, String> {
    let c = &row.content;
    let short = format == Format::Text;
    let (rank_limit, named_limit) = if short { (5, 8) } else { (usize::MAX, usize::MAX) };
    let ranking: Vec<Line> = c
        .ranking
        .iter()
        .take(rank_limit)
        .map(|r| Line { rank: r.rank, name: r.name.clone(), score: r.score.clone(), change: arrow(r.change) })
        .collect();
    // One line per unit, in the order the units first appear (missing before late).
    let mut grouped: Vec<NamedLine> = Vec::new();
    for n in &c.named {
        let item = NamedItem {
            deliverable: n.deliverable.clone(),
            due_text: n.due_text.clone(),
            what: match n.days_late {
                Some(d) => format!("逾期{d}天报送"),
                None => "逾期未报送".into(),
            },
            short: match n.days_late {
                Some(d) => format!("迟报{d}天"),
                None => "未报".into(),
            },
        };
        match grouped.iter_mut().find(|g| g.name == n.name) {
            Some(g) => g.items.push(item),
            None => grouped.push(NamedLine { name: n.name.clone(), items: vec![item] }),
        }
    }
    let named_total = grouped.len();
    let named: Vec<NamedLine> = grouped.into_iter().take(named_limit).collect();
    let mut sections = vec![Section { numeral: "", id: "overall" }];
    if !c.ranking.is_empty() {
        sections.push(Section { numeral: "", id: "ranking" });
    }
    if c.city_rates.len() > 1 {
        sections.push(Section { numeral: "", id: "cities" });
    }
    if !c.named.is_empty() {
        sections.push(Section { numeral: "", id: "named" });
    }
    if !c.practice.is_empty() {
        sections.push(Section { numeral: "", id: "practice" });
    }
    if !c.upcoming.is_empty() {
        sections.push(Section { numeral: "", id: "upcoming" });
    }
    if row.remarks.is_some() {
        sections.push(Section { numeral: "", id: "remarks" });
    }
    for (s, n) in sections.iter_mut().zip(NUMERALS) {
        s.numeral = n;
    }
    let date = row.published.as_ref().map_or(c.as_of, |p| local_day(p.at));
    let view = View {
        c,
        title: &row.title,
        draft: !row.is_published(),
        number: row.number_text(),
        date: chinese_date(date),
        as_of: chinese_date(c.as_of),
        rate: percent(c.summary.on_time_permille),
        change: change_text(c.summary.change_permille),
        ranking_more: c.ranking.len().saturating_sub(ranking.len()),
        ranking,
        named_more: named_total.saturating_sub(named.len()),
        named_total,
        named,
        upcoming: c.upcoming.iter().map(|u| (u.deliverable.clone(), chinese_date(u.due_on), u.units)).collect(),
        city_rates: c.city_rates.iter().map(|r| (r.name.clone(), percent(r.on_time_permille), r.due)).collect(),
        remarks: row.remarks.as_deref(),
        sections,
    };
    let name = match format {
        Format::Html => return official_html(&bulletin_document::document(row, true)),
        Format::Markdown => "bulletin.md",
        Format::Text => "bulletin.txt",
    };
    page(name, &view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_values_cannot_carry_html_or_links() {
        let evil = "<script>alert(1)</script>[点此](javascript:alert(1)) ![x](data:text/html,1) <JavaScript :x>";
        let md = escape_markdown(evil);
        assert!(!md.contains('<') && !md.contains('>'), "{md}");
        assert!(!md.contains("](") && !md.contains("[点此]"), "{md}");
        assert!(md.contains("javascript\\:") && md.contains("data\\:") && md.contains("JavaScript \\:"), "{md}");
        assert_eq!(escape_markdown("台江区 98.50 ↑2 2022年9月20日前"), "台江区 98.50 ↑2 2022年9月20日前");
        assert_eq!(escape_markdown("a|b*c_d"), "a\\|b\\*c\\_d");
    }

    #[test]
    fn chat_values_cannot_carry_markup_or_code_links() {
        let t = escape_chat("<a href=\"javascript:alert(1)\">看</a> https://mca.gov.cn");
        assert!(!t.contains('<') && !t.contains("javascript:"), "{t}");
        assert!(t.contains("javascript：") && t.contains("https://mca.gov.cn"), "{t}");
    }
}
