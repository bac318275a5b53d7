//! One table, two exports: XLSX (rust_xlsxwriter) with Chinese headers and fitted columns, and
//! CSV (UTF-8 with a BOM, so Excel and WPS open it in Chinese). Both come from the same rows,
//! so they hold the same numbers as each other and as the API.

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
    Empty,
}

impl Value {
    /// Fen as yuan with two decimals: `123405` → `1234.05`.
    pub fn fen_text(fen: i64) -> String {
        let sign = if fen < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
    }
}

/// A column: its header and its width in characters (a CJK character counts two).
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub width: f64,
}

impl Column {
    pub fn new(header: &str, width: f64) -> Self {
        Self { header: header.into(), width }
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name (≤ 31 characters, no `[]:*?/\`).
    pub sheet: String,
    /// A title row above the headers.
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
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
        let headers: Vec<String> = self.columns.iter().map(|c| csv_field(&c.header)).collect();
        out.push_str(&headers.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Text(s) => csv_field(s),
                    Value::Int(n) => n.to_string(),
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
            .set_border(FormatBorder::Thin)
            .set_background_color("#D9E1F2");
        let cell = Format::new().set_border(FormatBorder::Thin);
        let two = Format::new().set_border(FormatBorder::Thin).set_num_format("0.00");
        let yuan = Format::new().set_border(FormatBorder::Thin).set_num_format("#,##0.00");
        sheet.write_string_with_format(0, 0, &self.title, &title)?;
        for (c, col) in self.columns.iter().enumerate() {
            let c = c as u16;
            sheet.write_string_with_format(1, c, &col.header, &header)?;
            // Wide enough for the header and the widest value, within reason.
            let widest = self
                .rows
                .iter()
                .filter_map(|r| match r.get(c as usize) {
                    Some(Value::Text(s)) => Some(width(s)),
                    _ => None,
                })
                .fold(width(&col.header).max(col.width), f64::max);
            sheet.set_column_width(c, (widest + 2.0).min(60.0))?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Text(s) => sheet.write_string_with_format(r, c, s, &cell)?,
                    Value::Int(n) => sheet.write_number_with_format(r, c, *n as f64, &cell)?,
                    Value::Decimal(x) => sheet.write_number_with_format(r, c, *x, &two)?,
                    Value::Fen(f) => sheet.write_number_with_format(r, c, *f as f64 / 100.0, &yuan)?,
                    Value::Empty => sheet.write_blank(r, c, &cell)?,
                };
            }
        }
        sheet.set_freeze_panes(2, 0)?;
        book.save_to_buffer()
    }
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
        };
        assert_eq!(t.to_csv(), "\u{feff}单位,金额（元）\r\n\"甲,乙\"\"丙\"\"\",1234.05\r\n");
        let bytes = t.to_xlsx().unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    }
}
