//! The sheets departments already keep (accounts, pilot units), read from XLSX (calamine) or CSV
//! (csv): the first sheet, the first row naming the columns, every later non-empty row a record
//! numbered as the spreadsheet numbers it (the header is row 1).

use std::collections::HashMap;

use calamine::{Data, Reader, Xlsx};

use crate::domain::DomainError;

/// One record: its row number in the spreadsheet and its cells by column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRecord {
    pub row: usize,
    cells: HashMap<String, String>,
}

impl SheetRecord {
    /// The cell under the first of these column names present (trimmed; empty when absent).
    pub fn get(&self, names: &[&str]) -> &str {
        names.iter().find_map(|n| self.cells.get(*n)).map(String::as_str).unwrap_or("")
    }
}

/// The upload's kind, from its file name or its first bytes (an XLSX is a zip: `PK`).
fn is_xlsx(filename: &str, bytes: &[u8]) -> bool {
    let lower = filename.to_lowercase();
    lower.ends_with(".xlsx") || (!lower.ends_with(".csv") && bytes.starts_with(b"PK"))
}

/// Reads the rows of an uploaded sheet. `required` columns must all be in the header (by any of
/// their names); a sheet without them is refused naming the missing one.
pub fn read(filename: &str, bytes: &[u8], required: &[&[&str]]) -> Result<Vec<SheetRecord>, DomainError> {
    let table = if is_xlsx(filename, bytes) { xlsx(bytes)? } else { csv_rows(bytes)? };
    let mut rows = table.into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(DomainError::invalid("file", "the sheet is empty"));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_owned()).collect();
    for names in required {
        if !names.iter().any(|n| header.iter().any(|h| h == n)) {
            return Err(DomainError::invalid("file", format!("the first row has no column `{}`", names[0])));
        }
    }
    let mut out = Vec::new();
    for (row, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells = header
            .iter()
            .zip(cells)
            .filter(|(h, _)| !h.is_empty())
            .map(|(h, c)| (h.clone(), c.trim().to_owned()))
            .collect();
        out.push(SheetRecord { row, cells });
    }
    if out.len() > 5000 {
        return Err(DomainError::invalid("file", "at most 5,000 rows in one sheet; split it"));
    }
    Ok(out)
}

fn xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, DomainError> {
    let unreadable = |e: &dyn std::fmt::Display| DomainError::invalid("file", format!("not a readable XLSX file: {e}"));
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(Ok(range)) = book.worksheet_range_at(0) else {
        return Err(DomainError::invalid("file", "the workbook has no sheet"));
    };
    // Rows are numbered from the sheet's first row, not the first used one.
    let first = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    Ok(range.rows().enumerate().map(|(i, r)| (first + i + 1, r.iter().map(cell).collect())).collect())
}

/// A cell as text: codes typed as numbers (520402109) come back without `.0`.
fn cell(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, DomainError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| DomainError::invalid("file", "a CSV file must be UTF-8 (save as “CSV UTF-8” in Excel or WPS)"))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| DomainError::invalid("file", format!("row {}: {e}", i + 1)))?;
        out.push((i + 1, record.iter().map(str::to_owned).collect()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_numbered_as_the_spreadsheet_numbers_them() {
        let text = "\u{feff}用户名,姓名\nlead-1,张三\n,\nlead-2, 李四 \n";
        let rows = read("a.csv", text.as_bytes(), &[&["用户名"]]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].row, rows[0].get(&["用户名"])), (2, "lead-1"));
        assert_eq!((rows[1].row, rows[1].get(&["姓名"])), (4, "李四"));
        assert!(read("a.csv", "姓名\n张三\n".as_bytes(), &[&["用户名"]]).is_err());
    }

    #[test]
    fn an_xlsx_written_by_a_spreadsheet_program_reads_back() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "行政区划代码").unwrap();
        sheet.write(0, 1, "单位名称").unwrap();
        sheet.write(1, 0, 520402109.0).unwrap();
        sheet.write(1, 1, "旧州镇").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let rows = read("units.xlsx", &bytes, &[&["行政区划代码"]]).unwrap();
        assert_eq!(rows[0].get(&["行政区划代码"]), "520402109");
        assert_eq!(rows[0].row, 2);
        assert!(read("x.xlsx", b"PK not a zip", &[]).is_err());
    }
}
