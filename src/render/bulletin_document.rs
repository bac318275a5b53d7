//! A bulletin (通报) composed as an official document: the words it says, section by section,
//! decided here once; `official.html` prints them for the browser and PDF, `docx` for Word.

use super::charts;
use super::official::{Annex, Block, Cell, Document, Table, masthead_pt, paragraphs};
use crate::domain::bulletin::{Bulletin, Kind, Named, chinese_date, percent};
use crate::domain::deadline::local_day;

const NUMERALS: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];

/// Units a sentence names in full; beyond this it names the first few and the annex all.
const NAMED_IN_FULL: usize = 10;
const NAMED_BEFORE_ANNEX: usize = 5;

/// The units that missed one deadline (or met it late), in one sentence, as a notice groups
/// them: 南街街道、东街街道等2个单位动态电子信息（2019年7月15日至20日）逾期未报送.
struct NamedGroup {
    names: Vec<String>,
    deliverable: String,
    due_text: String,
    missing: bool,
}

impl NamedGroup {
    fn in_annex(&self) -> bool {
        self.names.len() > NAMED_IN_FULL
    }

    fn sentence(&self, i: usize) -> String {
        let count = self.names.len();
        let shown = if self.in_annex() { &self.names[..NAMED_BEFORE_ANNEX] } else { &self.names[..] };
        format!(
            "{i}. {}{}{}{}（{}）{}。",
            shown.join("、"),
            if count > 1 { format!("等{count}个单位") } else { String::new() },
            if self.in_annex() { "（名单见附件）" } else { "" },
            self.deliverable,
            self.due_text,
            if self.missing { "逾期未报送" } else { "逾期报送" },
        )
    }
}

fn named_groups(named: &[Named]) -> Vec<NamedGroup> {
    let mut groups: Vec<NamedGroup> = Vec::new();
    for n in named {
        let missing = n.days_late.is_none();
        match groups
            .iter_mut()
            .find(|g| g.deliverable == n.deliverable && g.due_text == n.due_text && g.missing == missing)
        {
            Some(g) => g.names.push(n.name.clone()),
            None => groups.push(NamedGroup {
                names: vec![n.name.clone()],
                deliverable: n.deliverable.clone(),
                due_text: n.due_text.clone(),
                missing,
            }),
        }
    }
    groups
}

/// `+2` → `↑2`, `-1` → `↓1`, `0` → `—`, none (first ranking) → `新`.
pub fn arrow(change: Option<i32>) -> String {
    match change {
        Some(c) if c > 0 => format!("↑{c}"),
        Some(c) if c < 0 => format!("↓{}", -c),
        Some(_) => "—".into(),
        None => "新".into(),
    }
}

/// The change of the on-time rate as a sentence ends it.
pub fn change_text(change: Option<i32>) -> String {
    match change {
        Some(c) if c > 0 => format!("较上期上升{}个百分点", percent(Some(c as u32)).trim_end_matches('%')),
        Some(c) if c < 0 => format!("较上期下降{}个百分点", percent(Some((-c) as u32)).trim_end_matches('%')),
        Some(_) => "与上期持平".into(),
        None => String::new(),
    }
}

/// What a late or missing filing is called.
fn what(days_late: Option<i64>) -> String {
    match days_late {
        Some(d) => format!("逾期{d}天报送"),
        None => "逾期未报送".into(),
    }
}

/// The bulletin as an official document; `charts` adds the SVG figures (HTML only).
pub fn document(row: &Bulletin, charts: bool) -> Document {
    let c = &row.content;
    let mut sections: Vec<(String, Vec<Block>)> = Vec::new();
    let change = change_text(c.summary.change_permille);
    sections.push((
        "总体情况".into(),
        vec![Block::paragraph(format!(
            "截至{}，{}共有试点单位{}个。{}应报送材料{}项，按时报送{}项，逾期报送{}项，未报送{}项，按时报送率{}{}。",
            chinese_date(c.as_of),
            c.region_name,
            c.summary.units,
            c.period_label,
            c.summary.due,
            c.summary.on_time,
            c.summary.late,
            c.summary.missing,
            percent(c.summary.on_time_permille),
            if change.is_empty() { change } else { format!("，{change}") },
        ))],
    ));
    if !c.ranking.is_empty() {
        let rows = c
            .ranking
            .iter()
            .map(|r| {
                let tone = match r.change {
                    Some(x) if x > 0 => Some("up"),
                    Some(x) if x < 0 => Some("down"),
                    _ => None,
                };
                vec![
                    Cell::centred(r.rank.to_string()),
                    Cell::left(r.name.clone()),
                    Cell::centred(r.score.clone()),
                    Cell { text: arrow(r.change), left: false, tone },
                ]
            })
            .collect();
        let mut blocks = vec![
            Block::paragraph(format!(
                "按照评分细则，{}各试点单位得分及排名如下（第{}版，按得分从高到低排列）：",
                c.period_label,
                c.ranking_version.unwrap_or(1)
            )),
            Block::Table { table: Table::new(&["名次", "单位", "得分", "较上月"], rows, &[1, 4, 2, 2]) },
        ];
        if charts && c.kind == Kind::Monthly {
            let svg = charts::score_trend(&c.trends);
            if !svg.is_empty() {
                blocks.push(Block::Figure { svg, caption: "得分前三名与后三名单位逐月得分".into() });
            }
        }
        sections.push((format!("{}评分排名", c.period_label), blocks));
    }
    if c.city_rates.len() > 1 {
        let rows = c
            .city_rates
            .iter()
            .map(|r| {
                vec![
                    Cell::left(r.name.clone()),
                    Cell::centred(r.due.to_string()),
                    Cell::centred(percent(r.on_time_permille)),
                ]
            })
            .collect();
        let mut blocks = vec![Block::Table {
            table: Table::new(&["地区", "应报送（项）", "按时报送率"], rows, &[3, 2, 2]),
        }];
        if charts {
            blocks.push(Block::Figure {
                svg: charts::city_rates(&c.city_rates), caption: "各地按时报送率".into()
            });
        }
        sections.push(("各地按时报送情况".into(), blocks));
    }
    let groups = named_groups(&c.named);
    if !groups.is_empty() {
        let mut blocks =
            vec![Block::paragraph("以下单位未按期报送材料，予以通报批评，请于收到本通报后尽快补报并说明原因：")];
        blocks.extend(groups.iter().enumerate().map(|(i, g)| Block::paragraph(g.sentence(i + 1))));
        sections.push(("存在的问题".into(), blocks));
    }
    if !c.orders.is_empty() {
        let count = |colour: &str| c.orders.iter().filter(|o| o.colour == colour).count();
        let by_colour: Vec<String> =
            ["红色", "黄色", "蓝色"].iter().filter(|k| count(k) > 0).map(|k| format!("{k}{}件", count(k))).collect();
        let mut blocks = vec![Block::paragraph(format!(
            "截至{}，在办督办单{}件（{}），请有关单位按督办要求及时反馈办理情况：",
            chinese_date(c.as_of),
            c.orders.len(),
            by_colour.join("、")
        ))];
        blocks.extend(c.orders.iter().enumerate().map(|(i, o)| {
            Block::paragraph(format!(
                "{}. {}：{}（{}）逾期未报送，{}督办第{}号，{}（{}前反馈）。",
                i + 1,
                o.name,
                o.deliverable,
                o.due_text,
                o.colour,
                o.number,
                o.state,
                chinese_date(o.respond_by)
            ))
        }));
        sections.push(("督办情况".into(), blocks));
    }
    if !c.practice.is_empty() {
        let mut blocks = Vec::new();
        for g in &c.practice {
            blocks.push(Block::paragraph(format!("{}（{}）：", g.name, g.deliverable)));
            blocks.push(Block::Quote { text: g.quote.clone() });
        }
        sections.push(("典型经验".into(), blocks));
    }
    if !c.upcoming.is_empty() {
        let blocks = c
            .upcoming
            .iter()
            .enumerate()
            .map(|(i, u)| {
                Block::paragraph(format!(
                    "{}. {}：{}前报送，尚有{}个单位未报送。",
                    i + 1,
                    u.deliverable,
                    chinese_date(u.due_on),
                    u.units
                ))
            })
            .collect();
        sections.push(("下阶段工作安排".into(), blocks));
    }
    if let Some(r) = &row.remarks {
        sections.push(("工作要求".into(), paragraphs(r).collect()));
    }
    let mut body = Vec::new();
    for ((heading, blocks), numeral) in sections.into_iter().zip(NUMERALS) {
        body.push(Block::heading(format!("{numeral}、{heading}")));
        body.extend(blocks);
    }
    let annex = groups.iter().any(NamedGroup::in_annex).then(|| Annex {
        title: "未按期报送材料的单位名单".into(),
        table: Table::new(
            &["序号", "单位", "报送材料", "截止时间", "情况"],
            c.named
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    vec![
                        Cell::centred((i + 1).to_string()),
                        Cell::left(n.name.clone()),
                        Cell::left(n.deliverable.clone()),
                        Cell::centred(n.due_text.clone()),
                        Cell::centred(what(n.days_late)),
                    ]
                })
                .collect(),
            &[1, 3, 4, 3, 2],
        ),
    });
    let date = chinese_date(row.published.as_ref().map_or(c.as_of, |p| local_day(p.at)));
    let masthead = format!("{}工作通报", c.issuer);
    Document {
        masthead_pt: masthead_pt(&masthead),
        masthead,
        number: row.number_text(),
        draft: !row.is_published(),
        title: row.title.clone(),
        addressee: Some(c.addressee.clone()).filter(|a| !a.is_empty()),
        body,
        signature: c.issuer.clone(),
        date: date.clone(),
        annex,
        copy_to: c.copy_to.clone(),
        printer: c.issuer.clone(),
        printed: date,
    }
}
