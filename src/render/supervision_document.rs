//! A supervision order (督办单) composed as an official document, for Word and print: the
//! department's red masthead, the order's colour and number, the unit addressed, the overdue item
//! and what is asked in a table, and the unit's answer once it has given one.

use super::official::{Block, Cell, Document, Table, masthead_pt};
use crate::domain::bulletin::chinese_date;
use crate::domain::deadline::local_day;
use crate::domain::supervision::Order;

/// The order as a document; `issuer` is the department at the order's level (福州市民政局).
pub fn document(o: &Order, issuer: &str) -> Document {
    let colour = o.colour.label();
    // Dated the day it was issued or last escalated: the step that set what it asks now.
    let set_at =
        o.log.iter().rev().find(|s| s.action == "issue" || s.action == "escalate").map_or(o.issued_at, |s| s.at);
    let date = chinese_date(local_day(set_at));
    let row = |k: &str, v: String| vec![Cell::centred(k), Cell::left(v)];
    let answer = match &o.answer {
        Some(a) => {
            format!("{}（承诺{}前完成；{}反馈）", a.text, chinese_date(a.promised), chinese_date(local_day(a.at)))
        }
        None => "（待反馈）".into(),
    };
    let rows = vec![
        row("督办事项", format!("{}逾期未报送", o.item.title)),
        row("责任单位", o.unit_name.clone()),
        row("原定时限", o.item.due_text.clone()),
        row("督办等级", format!("{colour}督办")),
        row("回复时限", format!("{}前", chinese_date(o.respond_by))),
        row("督办要求", o.requirement.clone()),
        row("办理情况", answer),
        row("办理状态", o.state.label().to_owned()),
    ];
    let masthead = format!("{issuer}督办单");
    Document {
        masthead_pt: masthead_pt(&masthead),
        masthead,
        number: format!("{colour}督办　第{}号", o.number),
        draft: false,
        title: format!("关于督促报送{}的督办单", o.item.title),
        addressee: Some(o.unit_name.clone()),
        body: vec![
            Block::paragraph(format!(
                "你单位{}（{}）逾期未报送。根据试点工作督查督办有关要求，现予{colour}督办，请于{}前将办理情况书面反馈。",
                o.item.title,
                o.item.due_text,
                chinese_date(o.respond_by)
            )),
            Block::Table { table: Table::new(&["项目", "内容"], rows, &[2, 7]) },
        ],
        signature: issuer.to_owned(),
        date: date.clone(),
        annex: None,
        copy_to: None,
        printer: issuer.to_owned(),
        printed: date,
    }
}
