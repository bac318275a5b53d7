//! An official document written as Word (.docx), the file departments finish and circulate in
//! WPS, laid out per GB/T 9704-2012 (党政机关公文格式): A4; 天头 37 mm, 订口 28 mm, a type
//! area of 156 × 225 mm with 22 lines of 3号仿宋; the red masthead in 小标宋; 发文字号 over the
//! red rule; the title in 2号小标宋; 一、 in 黑体, （一） in 楷体; 署名 and 成文日期; the 版记
//! framed at the foot of the last page; page numbers “— N —” in 4号宋体, odd pages right, even
//! pages left. The standard font names are used, so WPS and Word apply them where installed
//! (and substitute 宋体/SimSun where not; README says which to install).

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BorderType, BreakType, Docx, FieldCharType, Footer, InstrPAGE, InstrText, LineSpacing,
    LineSpacingType, PageMargin, Paragraph, ParagraphBorder, ParagraphBorderPosition, Run, RunFonts, SpecialIndentType,
    Tab, TabValueType, Table as WTable, TableCell, WidthType,
};

use super::official::{Block, Cell, Document, Table};

/// The media type of a .docx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Twentieths of a point per millimetre.
const TWIPS_PER_MM: f64 = 56.692_913;
const fn mm(v: u32) -> i32 {
    (v as f64 * TWIPS_PER_MM + 0.5) as i32
}
/// The type area's width (156 mm).
const TYPE_WIDTH: i32 = mm(156);
/// 22 lines in the 225 mm type area.
const LINE: i32 = mm(225) / 22;
/// One character of 3号 (16 pt), the unit GB/T 9704 indents by.
const CHAR: i32 = 320;

const XIAOBIAOSONG: &str = "方正小标宋简体";
const FANGSONG: &str = "仿宋_GB2312";
const HEITI: &str = "黑体";
const KAITI: &str = "楷体_GB2312";
const SONGTI: &str = "宋体";
const RED: &str = "FF0000";

/// Sizes in half points: 2号 22 pt, 3号 16 pt, 4号 14 pt, 小四 12 pt.
const SIZE_2: usize = 44;
const SIZE_3: usize = 32;
const SIZE_4: usize = 28;
const SIZE_SMALL_4: usize = 24;

fn fonts(east_asia: &str) -> RunFonts {
    // Latin letters and figures in Times New Roman, as official documents set them.
    RunFonts::new().east_asia(east_asia).ascii("Times New Roman").hi_ansi("Times New Roman")
}

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

fn exact(p: Paragraph) -> Paragraph {
    p.line_spacing(LineSpacing::new().line_rule(LineSpacingType::Exact).line(LINE))
}

fn body(text: &str, font: &str) -> Paragraph {
    exact(Paragraph::new().add_run(run(text, font, SIZE_3))).indent(
        None,
        Some(SpecialIndentType::FirstLine(2 * CHAR)),
        None,
        None,
    )
}

fn bordered(mut p: Paragraph, position: ParagraphBorderPosition, size: usize, color: &str) -> Paragraph {
    p.property = p.property.set_border(ParagraphBorder::new(position).val(BorderType::Single).size(size).color(color));
    p
}

/// “— N —” with the page number as a PAGE field, so Word and WPS count the pages.
fn page_number(align: AlignmentType) -> Footer {
    let f = |r: Run| r.fonts(fonts(SONGTI)).size(SIZE_4);
    let field = f(Run::new())
        .add_field_char(FieldCharType::Begin, false)
        .add_instr_text(InstrText::PAGE(InstrPAGE::new()))
        .add_field_char(FieldCharType::Separate, false)
        .add_text("1")
        .add_field_char(FieldCharType::End, false);
    // One character in from the type area's edge (GB/T 9704 7.5).
    let p = Paragraph::new()
        .align(align)
        .add_run(f(Run::new().add_text("— ")))
        .add_run(field)
        .add_run(f(Run::new().add_text(" —")));
    let p = match align {
        AlignmentType::Right => p.indent(None, None, Some(CHAR), None),
        _ => p.indent(Some(CHAR), None, None, None),
    };
    Footer::new().add_paragraph(p)
}

fn table(t: &Table) -> WTable {
    let total: u32 = t.widths.iter().sum::<u32>().max(1);
    let grid: Vec<usize> =
        t.widths.iter().map(|w| (i64::from(*w) * i64::from(TYPE_WIDTH) / i64::from(total)) as usize).collect();
    let cell = |c: &Cell, font: &str, w: usize| {
        let align = if c.left { AlignmentType::Left } else { AlignmentType::Center };
        TableCell::new().width(w, WidthType::Dxa).add_paragraph(Paragraph::new().align(align).add_run(run(
            &c.text,
            font,
            SIZE_SMALL_4,
        )))
    };
    let header = docx_rs::TableRow::new(
        t.header.iter().zip(&grid).map(|(h, w)| cell(&Cell::centred(h.clone()), HEITI, *w)).collect(),
    );
    let mut rows = vec![header];
    rows.extend(
        t.rows
            .iter()
            .map(|r| docx_rs::TableRow::new(r.iter().zip(&grid).map(|(c, w)| cell(c, FANGSONG, *w)).collect())),
    );
    WTable::new(rows).set_grid(grid).width(TYPE_WIDTH as usize, WidthType::Dxa)
}

/// Width of a line in characters of its size (figures and Latin letters count half).
fn chars(s: &str) -> i32 {
    let halves: i32 = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    (halves + 1) / 2
}

/// The document as a .docx file.
pub fn write(d: &Document) -> Result<Vec<u8>, String> {
    let mut doc = Docx::new()
        .page_size(11_906, 16_838)
        .page_margin(
            PageMargin::new()
                .top(mm(37))
                .bottom(mm(35))
                .left(mm(28))
                .right(mm(26))
                .header(mm(15))
                // The number's line sits 7 mm under the type area.
                .footer(mm(23))
                .gutter(0),
        )
        .default_fonts(fonts(FANGSONG))
        .default_size(SIZE_3)
        .footer(page_number(AlignmentType::Right))
        .even_footer(page_number(AlignmentType::Left));

    // 发文机关标志 in red, one line; 发文字号 centred over the red rule.
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run(&d.masthead, XIAOBIAOSONG, (d.masthead_pt * 2.0) as usize).color(RED))
            .line_spacing(LineSpacing::new().after(u32::try_from(LINE).unwrap_or(0))),
    );
    let number = exact(Paragraph::new().align(AlignmentType::Center).add_run(run(&d.number, FANGSONG, SIZE_3)));
    doc = doc.add_paragraph(bordered(number, ParagraphBorderPosition::Bottom, 12, RED));
    // The title two lines under the rule; 主送 one line under the title.
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run(&d.title, XIAOBIAOSONG, SIZE_2))
            .line_spacing(LineSpacing::new().before(2 * LINE as u32).after(LINE as u32)),
    );
    if let Some(a) = &d.addressee {
        doc = doc.add_paragraph(exact(Paragraph::new().add_run(run(&format!("{a}："), FANGSONG, SIZE_3))));
    }
    for b in &d.body {
        match b {
            Block::Heading { text } => doc = doc.add_paragraph(body(text, HEITI).keep_next(true)),
            Block::Subheading { text } => doc = doc.add_paragraph(body(text, KAITI).keep_next(true)),
            Block::Paragraph { text } => doc = doc.add_paragraph(body(text, FANGSONG)),
            Block::Quote { text } => {
                doc = doc.add_paragraph(body(text, KAITI).indent(Some(2 * CHAR), None, Some(2 * CHAR), None))
            }
            Block::Table { table: t } => doc = doc.add_table(table(t)),
            // Charts stay in the HTML; their figures are in the tables before them.
            Block::Figure { .. } => {}
        }
    }
    // 署名 centred over 成文日期, the date four characters in from the right.
    let date_right = 4 * CHAR;
    let sign_right = date_right + (chars(&d.date) - chars(&d.signature)).max(0) * CHAR / 2;
    doc = doc.add_paragraph(
        exact(Paragraph::new().align(AlignmentType::Right).add_run(run(&d.signature, FANGSONG, SIZE_3)))
            .indent(None, None, Some(sign_right), None)
            .line_spacing(LineSpacing::new().before(2 * LINE as u32)),
    );
    doc = doc.add_paragraph(
        exact(Paragraph::new().align(AlignmentType::Right).add_run(run(&d.date, FANGSONG, SIZE_3))).indent(
            None,
            None,
            Some(date_right),
            None,
        ),
    );
    if let Some(annex) = &d.annex {
        doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
        doc = doc.add_paragraph(exact(Paragraph::new().add_run(run("附件", HEITI, SIZE_3))));
        doc = doc.add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(run(&annex.title, XIAOBIAOSONG, SIZE_2))
                .line_spacing(LineSpacing::new().before(LINE as u32).after(LINE as u32)),
        );
        doc = doc.add_table(table(&annex.table));
    }
    for p in colophon(d) {
        doc = doc.add_paragraph(p);
    }
    let mut out = Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| format!("writing the .docx: {e}"))?;
    Ok(out.into_inner())
}

/// 版记: 抄送 and 印发机关/印发日期 between rules, framed at the foot of the last page's type
/// area (consecutive framed paragraphs share one frame).
fn colophon(d: &Document) -> Vec<Paragraph> {
    let framed = |p: Paragraph| {
        p.v_anchor("margin")
            .h_anchor("margin")
            .y_align("bottom")
            .x_align("center")
            .frame_width(TYPE_WIDTH as u32)
            .wrap("around")
            .indent(Some(CHAR * 7 / 8), None, Some(CHAR * 7 / 8), None)
    };
    let mut lines = Vec::new();
    let thick = 8;
    if let Some(cc) = &d.copy_to {
        let p = framed(Paragraph::new().add_run(run(&format!("抄送：{cc}。"), FANGSONG, SIZE_4)));
        lines.push(bordered(
            bordered(p, ParagraphBorderPosition::Top, thick, "000000"),
            ParagraphBorderPosition::Bottom,
            4,
            "000000",
        ));
    }
    let printed = framed(
        Paragraph::new()
            .add_run(run(&d.printer, FANGSONG, SIZE_4))
            .add_run(Run::new().add_tab())
            .add_run(run(&format!("{}印发", d.printed), FANGSONG, SIZE_4))
            .add_tab(Tab::new().val(TabValueType::Right).pos((TYPE_WIDTH - 2 * CHAR * 7 / 8) as usize)),
    );
    let printed =
        if d.copy_to.is_none() { bordered(printed, ParagraphBorderPosition::Top, thick, "000000") } else { printed };
    lines.push(bordered(printed, ParagraphBorderPosition::Bottom, thick, "000000"));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::official::{Annex, Block, Cell, Table};

    fn doc() -> Document {
        Document {
            masthead: "西秀区民政局工作通报".into(),
            masthead_pt: 26.0,
            number: "西民通〔2019〕3号".into(),
            draft: false,
            title: "关于2019年7月社会救助改革试点进展情况的通报".into(),
            addressee: Some("各试点乡镇（街道）".into()),
            body: vec![
                Block::heading("一、总体情况"),
                Block::paragraph("截至2019年7月31日……"),
                Block::Table {
                    table: Table::new(&["名次", "单位"], vec![vec![Cell::centred("1"), Cell::left("旧州镇")]], &[1, 3]),
                },
            ],
            signature: "西秀区民政局".into(),
            date: "2019年8月5日".into(),
            annex: Some(Annex {
                title: "未按期报送材料的单位名单".into(), table: Table::new(&["序号"], vec![], &[1])
            }),
            copy_to: Some("安顺市民政局".into()),
            printer: "西秀区民政局".into(),
            printed: "2019年8月5日".into(),
        }
    }

    /// The parts a reader checks, found in the package's XML (python-docx reads the whole file
    /// in check_exports.py).
    #[test]
    fn a_docx_carries_the_page_the_masthead_the_number_field_and_the_colophon() {
        let bytes = write(&doc()).expect("writes");
        assert_eq!(&bytes[..2], b"PK", "a zip package");
        let text = String::from_utf8_lossy(&bytes);
        // The parts are deflated; the package names them.
        for part in ["word/document.xml", "word/footer1.xml", "word/footer2.xml", "word/settings.xml"] {
            assert!(text.contains(part), "{part} missing");
        }
        assert_eq!(mm(156), 8844);
        assert_eq!(LINE, 579);
        assert_eq!(chars("2019年8月5日"), 6);
    }
}
