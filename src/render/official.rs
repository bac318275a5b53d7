//! An official document (公文) as GB/T 9704-2012 lays it out, before it is written as HTML (for
//! print) or Word (for WPS): the issuing office's masthead, the document number and red rule,
//! the title, 主送, the body in numbered sections, 署名 and 成文日期, an annex, and the 版记.
//! Bulletins and supervision orders are composed into this one shape, so the words of a
//! document are decided once and every format prints the same ones.

use serde::Serialize;

/// One official document.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// 发文机关标志, printed in red: `西秀区民政局工作通报`.
    pub masthead: String,
    /// The masthead's type size in points (sized down so a long name keeps one line).
    pub masthead_pt: f64,
    /// 发文字号 (`西民通〔2019〕3号`) or the issue (`第3期`); `（草稿）` for a draft.
    pub number: String,
    pub draft: bool,
    pub title: String,
    /// 主送机关, without the colon.
    pub addressee: Option<String>,
    pub body: Vec<Block>,
    /// 署名: the issuing office.
    pub signature: String,
    /// 成文日期 in Arabic numerals: `2019年8月5日`.
    pub date: String,
    pub annex: Option<Annex>,
    /// 版记: 抄送 (none: the line is left out), 印发机关 and 印发日期.
    pub copy_to: Option<String>,
    pub printer: String,
    pub printed: String,
}

/// A block of the body, in reading order.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// 一、… (黑体).
    Heading {
        text: String,
    },
    /// （一）… (楷体).
    Subheading {
        text: String,
    },
    /// A paragraph, first line indented two characters.
    Paragraph {
        text: String,
    },
    /// A passage quoted from a unit's own words (楷体, indented).
    Quote {
        text: String,
    },
    Table {
        table: Table,
    },
    /// A chart: SVG in HTML; Word prints its caption only (the figures are in the tables).
    Figure {
        svg: String,
        caption: String,
    },
}

impl Block {
    pub fn heading(text: impl Into<String>) -> Self {
        Self::Heading { text: text.into() }
    }

    pub fn paragraph(text: impl Into<String>) -> Self {
        Self::Paragraph { text: text.into() }
    }
}

/// A table: a header row and rows of cells.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Relative column widths (any unit; they are scaled to the type area).
    pub widths: Vec<u32>,
    /// The same widths in per cent of the line (for HTML's `<col>`).
    pub percents: Vec<u32>,
}

impl Table {
    pub fn new(header: &[&str], rows: Vec<Vec<Cell>>, widths: &[u32]) -> Self {
        let total = widths.iter().sum::<u32>().max(1);
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows,
            widths: widths.to_vec(),
            percents: widths.iter().map(|w| w * 100 / total).collect(),
        }
    }
}

/// A table cell.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub text: String,
    /// Names and sentences read from the left; figures are centred.
    pub left: bool,
    /// `up` (red) or `down` (green) for a change in rank.
    pub tone: Option<&'static str>,
}

impl Cell {
    pub fn centred(text: impl Into<String>) -> Self {
        Self { text: text.into(), left: false, tone: None }
    }

    pub fn left(text: impl Into<String>) -> Self {
        Self { text: text.into(), left: true, tone: None }
    }
}

/// 附件: the annex, after the signature, on a page of its own.
#[derive(Debug, Clone, Serialize)]
pub struct Annex {
    pub title: String,
    pub table: Table,
}

/// A masthead stays on one line (GB/T 9704: 发文机关标志 centred, not broken): the type is
/// sized down for a long name to fit the 156 mm type area (442 pt), at most 26 pt, in half points.
pub fn masthead_pt(masthead: &str) -> f64 {
    let chars = masthead.chars().count().max(1) as f64;
    let pt = (442.0 / (chars * 1.08)).min(26.0);
    (pt * 2.0).floor() / 2.0
}

/// Splits a person's text into paragraphs at its line breaks (empty lines dropped).
pub fn paragraphs(text: &str) -> impl Iterator<Item = Block> + '_ {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(Block::paragraph)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_masthead_is_set_smaller_and_never_below_what_fits() {
        assert_eq!(masthead_pt("西秀区民政局工作通报"), 26.0);
        let long = "石嘴山市民政局社会救助综合改革试点工作领导小组办公室工作通报";
        let pt = masthead_pt(long);
        assert!(pt < 26.0 && pt * 1.08 * long.chars().count() as f64 <= 442.0, "{pt}");
    }

    #[test]
    fn remarks_become_paragraphs_line_by_line() {
        let blocks: Vec<Block> = paragraphs("一是抓紧补报。\n\n  二是压实责任。 ").collect();
        assert_eq!(blocks.len(), 2);
        assert!(matches!(&blocks[1], Block::Paragraph { text } if text == "二是压实责任。"));
    }
}
