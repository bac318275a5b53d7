//! One table, two exports: XLSX (rust_xlsxwriter) with Chinese headers and fitted columns, and
//! CSV (UTF-8 with a BOM, so Excel and WPS open it in Chinese). Both come from the same rows,
//! so they hold the same numbers as each other and as the API. The workbook adds what people
//! who print and sort it expect: a second header row for long column notes, frozen key
//! columns, an autofilter, statuses coloured as on the board, numbers in their formats, totals
//! under the rows (XLSX only: the CSV stays one record per line), landscape A4 fitted to width.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    /// Shown with two decimals (scores).
    Decimal(f64),
    /// Money in fen, shown in yuan with two decimals.
    Fen(i64),
    /// A change, shown with its sign (+2, −1, 0).
    Signed(i64),
    /// A ratio (0.935), shown as a percentage (93.5%).
    Percent(f64),
    /// A status as the board says it, coloured by its tone.
    Status(String, Tone),
    Empty,
}

/// The colour a status cell takes, as on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Pending,
    Plain,
}

impl Tone {
    fn fill(self) -> Option<&'static str> {
        match self {
            Self::Good => Some("#E6F4EA"),
            Self::Warn => Some("#FEF7E0"),
            Self::Bad => Some("#FCE8E6"),
            Self::Pending => Some("#E8F0FE"),
            Self::Plain => None,
        }
    }
}

impl Value {
    /// Fen as yuan with two decimals: `123405` → `1234.05`.
    pub fn fen_text(fen: i64) -> String {
        let sign = if fen < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
    }
}

/// A column: its header, its width in characters (a CJK character counts two), and a note the
/// workbook shows in a second header row (the CSV puts it in brackets after the header).
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub width: f64,
    pub note: Option<String>,
}

impl Column {
    pub fn new(header: &str, width: f64) -> Self {
        Self { header: header.into(), width, note: None }
    }

    /// A short header with its full wording under it.
    pub fn noted(header: &str, note: &str, width: f64) -> Self {
        Self { header: header.into(), width, note: Some(note.into()) }
    }

    fn csv_header(&self) -> String {
        match &self.note {
            Some(n) => format!("{}（{n}）", self.header),
            None => self.header.clone(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The sheet's name (≤ 31 characters, no `[]:*?/\`).
    pub sheet: String,
    /// A title row above the headers.
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Totals under the rows, after a blank row (the workbook only).
    pub summary: Vec<Vec<Value>>,
    /// Columns that stay in view when scrolling sideways (the unit's code and name).
    pub frozen_columns: u16,
    /// Printed landscape (a wide matrix).
    pub landscape: bool,
}

/// A text cell for CSV: quoted when it must be (RFC 4180), and neutralised when a spreadsheet
/// would read it as a formula (`=`, `+`, `-`, `@`, tab or CR first): a leading `'` makes Excel
/// and WPS show it as text. Numbers are written as numbers, never through here.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// Display width: CJK and full-width characters take two columns.
fn width(s: &str) -> f64 {
    s.chars().map(|c| if (c as u32) < 0x1100 { 1.0 } else { 2.0 }).sum()
}

impl Table {
    /// CSV with a BOM and CRLF line ends (RFC 4180).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let headers: Vec<String> = self.columns.iter().map(|c| csv_field(&c.csv_header())).collect();
        out.push_str(&headers.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Text(s) | Value::Status(s, _) => csv_field(s),
                    Value::Int(n) => n.to_string(),
                    Value::Signed(n) if *n > 0 => format!("+{n}"),
                    Value::Signed(n) => n.to_string(),
                    Value::Percent(r) => format!("{:.1}%", r * 100.0),
                    Value::Decimal(x) => format!("{x:.2}"),
                    Value::Fen(f) => Value::fen_text(*f),
                    Value::Empty => String::new(),
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// The workbook's bytes.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(&self.sheet)?;
        let title = Format::new().set_bold().set_font_size(14);
        let header = Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_background_color("#D9E1F2");
        let note = Format::new()
            .set_font_size(9)
            .set_align(FormatAlign::Center)
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_background_color("#EEF2F9");
        sheet.write_string_with_format(0, 0, &self.title, &title)?;
        let noted = self.columns.iter().any(|c| c.note.is_some());
        let first = if noted { 3 } else { 2 };
        for (c, col) in self.columns.iter().enumerate() {
            let c = c as u16;
            sheet.write_string_with_format(1, c, &col.header, &header)?;
            if noted {
                sheet.write_string_with_format(2, c, col.note.as_deref().unwrap_or(""), &note)?;
            }
            // Wide enough for the header and the widest value, within reason.
            let widest = self
                .rows
                .iter()
                .filter_map(|r| match r.get(c as usize) {
                    Some(Value::Text(s) | Value::Status(s, _)) => Some(width(s)),
                    _ => None,
                })
                .fold(width(&col.header).max(col.width), f64::max);
            sheet.set_column_width(c, (widest + 2.0).min(60.0))?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            write_row(sheet, first + r as u32, row, false)?;
        }
        let last = first + self.rows.len() as u32;
        if !self.rows.is_empty() && !self.columns.is_empty() {
            sheet.autofilter(1, 0, last - 1, self.columns.len() as u16 - 1)?;
        }
        for (r, row) in self.summary.iter().enumerate() {
            write_row(sheet, last + 1 + r as u32, row, true)?;
        }
        sheet.set_freeze_panes(first, self.frozen_columns)?;
        sheet.set_paper_size(9); // A4
        if self.landscape {
            sheet.set_landscape();
        }
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(1, first - 1)?;
        book.save_to_buffer()
    }
}

/// One row of cells, each in its format (bold for totals).
fn write_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    row: &[Value],
    bold: bool,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let base = || {
        let f = Format::new().set_border(FormatBorder::Thin);
        if bold { f.set_bold() } else { f }
    };
    for (c, v) in row.iter().enumerate() {
        let c = c as u16;
        match v {
            Value::Text(s) => sheet.write_string_with_format(r, c, s, &base())?,
            Value::Status(s, tone) => {
                let f = match tone.fill() {
                    Some(colour) => base().set_background_color(colour),
                    None => base(),
                };
                sheet.write_string_with_format(r, c, s, &f.set_align(FormatAlign::Center))?
            }
            Value::Int(n) => sheet.write_number_with_format(r, c, *n as f64, &base())?,
            Value::Signed(n) => sheet.write_number_with_format(r, c, *n as f64, &base().set_num_format("+0;-0;0"))?,
            Value::Decimal(x) => sheet.write_number_with_format(r, c, *x, &base().set_num_format("0.00"))?,
            Value::Fen(f) => {
                sheet.write_number_with_format(r, c, *f as f64 / 100.0, &base().set_num_format("#,##0.00"))?
            }
            Value::Percent(x) => sheet.write_number_with_format(r, c, *x, &base().set_num_format("0.0%"))?,
            Value::Empty => sheet.write_blank(r, c, &base())?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_look_like_formulas_are_text() {
        let mut t = Table {
            sheet: "s".into(),
            title: "t".into(),
            columns: vec![Column::new("=HYPERLINK(\"http://x\")", 5.0)],
            rows: vec![],
            ..Table::default()
        };
        for (cell, want) in [
            ("=1+1", "'=1+1"),
            ("+86 138", "'+86 138"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("=A1,B1", "\"'=A1,B1\""),
            ("台江区", "台江区"),
        ] {
            t.rows = vec![vec![Value::Text(cell.into())]];
            let csv = t.to_csv();
            let line = csv.split("\r\n").nth(1).unwrap();
            assert_eq!(line, want, "{cell:?}");
        }
        assert!(t.to_csv().starts_with("\u{feff}\"'=HYPERLINK(\"\"http://x\"\")\""), "headers too: {}", t.to_csv());
        t.rows = vec![vec![Value::Int(-3)]];
        assert_eq!(t.to_csv().split("\r\n").nth(1).unwrap(), "-3", "numbers stay numbers");
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_writes_yuan() {
        let t = Table {
            sheet: "排名".into(),
            title: "测试".into(),
            columns: vec![Column::new("单位", 10.0), Column::new("金额（元）", 8.0)],
            rows: vec![vec![Value::Text("甲,乙\"丙\"".into()), Value::Fen(123_405)]],
            ..Table::default()
        };
        assert_eq!(t.to_csv(), "\u{feff}单位,金额（元）\r\n\"甲,乙\"\"丙\"\"\",1234.05\r\n");
        let bytes = t.to_xlsx().unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    }

    #[test]
    fn csv_writes_signs_percentages_statuses_and_notes() {
        let t = Table {
            sheet: "报送情况".into(),
            columns: vec![
                Column::noted("实施方案", "2022年9月30日前", 8.0),
                Column::new("变化", 4.0),
                Column::new("率", 4.0),
            ],
            rows: vec![vec![Value::Status("按时".into(), Tone::Good), Value::Signed(2), Value::Percent(0.935)]],
            summary: vec![vec![Value::Text("合计".into())]],
            ..Table::default()
        };
        assert_eq!(
            t.to_csv(),
            "\u{feff}实施方案（2022年9月30日前）,变化,率\r\n按时,+2,93.5%\r\n",
            "no totals in the CSV"
        );
        assert_eq!(&t.to_xlsx().unwrap()[..2], b"PK");
    }
}
