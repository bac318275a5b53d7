//! The text of a notice from the file a department has: plain text (UTF-8, or GB18030 as
//! Windows saves it — refused with a clear message, not guessed), or a Word document read with
//! docx-rs: paragraphs one per line, table rows as `cell | cell | cell` (the form the catalogue
//! reader takes).

use docx_rs::{DocumentChild, ParagraphChild, RunChild, TableCellContent, TableChild, TableRowChild};

use crate::domain::DomainError;

/// The text of an uploaded notice: `.docx` by its ZIP signature, otherwise UTF-8 text.
pub fn text_of(bytes: &[u8]) -> Result<String, DomainError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return docx_text(bytes);
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(DomainError::invalid(
            "file",
            "this is an old Word file (.doc); save it as .docx (Word or WPS: 另存为 → .docx) and upload that",
        ));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        DomainError::invalid("file", "the file is neither a .docx nor UTF-8 text; save it as .docx or as UTF-8 text")
    })
}

/// The text of a Word document, paragraph by paragraph.
pub fn docx_text(bytes: &[u8]) -> Result<String, DomainError> {
    let not_docx = || DomainError::invalid("file", "the file is not a Word document (.docx) that can be read");
    // A third-party reader on untrusted bytes: a panic inside it is a refusal, not a crash.
    let docx =
        std::panic::catch_unwind(|| docx_rs::read_docx(bytes)).map_err(|_| not_docx())?.map_err(|_| not_docx())?;
    let mut out = String::new();
    for child in &docx.document.children {
        match child {
            DocumentChild::Paragraph(p) => {
                out.push_str(&paragraph(&p.children));
                out.push('\n');
            }
            DocumentChild::Table(t) => table(t, &mut out),
            _ => {}
        }
    }
    Ok(out)
}

fn paragraph(children: &[ParagraphChild]) -> String {
    let mut s = String::new();
    for c in children {
        match c {
            ParagraphChild::Run(r) => {
                for rc in &r.children {
                    match rc {
                        RunChild::Text(t) => s.push_str(&t.text),
                        RunChild::Tab(_) => s.push(' '),
                        _ => {}
                    }
                }
            }
            ParagraphChild::Hyperlink(h) => s.push_str(&paragraph(&h.children)),
            _ => {}
        }
    }
    s
}

fn table(t: &docx_rs::Table, out: &mut String) {
    for TableChild::TableRow(row) in &t.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|TableRowChild::TableCell(cell)| {
                cell.children
                    .iter()
                    .filter_map(|c| match c {
                        TableCellContent::Paragraph(p) => Some(paragraph(&p.children)),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push_str(&cells.join(" | "));
        out.push_str(" |\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_file_reads_as_lines_and_table_rows() {
        use docx_rs::{Docx, Paragraph, Run, Table, TableCell, TableRow};
        let cell = |t: &str| TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(t)));
        let mut buf = std::io::Cursor::new(Vec::new());
        Docx::new()
            .add_paragraph(Paragraph::new().add_run(Run::new().add_text("三、实施步骤")))
            .add_paragraph(
                Paragraph::new().add_run(Run::new().add_text("(一)部署阶段(2022年8月下旬至2022年9月中旬)。")),
            )
            .add_table(Table::new(vec![TableRow::new(vec![cell("1"), cell("照护服务类"), cell("走访探视")])]))
            .build()
            .pack(&mut buf)
            .unwrap();
        let text = text_of(buf.get_ref()).unwrap();
        assert_eq!(text, "三、实施步骤\n(一)部署阶段(2022年8月下旬至2022年9月中旬)。\n1 | 照护服务类 | 走访探视 |\n");
        assert!(text_of(b"PK\x03\x04 not a zip").unwrap_err().to_string().contains(".docx"));
        assert!(text_of(b"\xD0\xCF\x11\xE0rest").unwrap_err().to_string().contains(".doc"));
        assert!(text_of(&[0xB2, 0xE2, 0xCA, 0xD4]).is_err(), "GBK bytes are not read as text");
        assert_eq!(text_of("通知".as_bytes()).unwrap(), "通知");
    }
}
