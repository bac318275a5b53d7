//! Files served as files: attachments, exports (XLSX, CSV, iCalendar) and rendered bulletins,
//! each with its own content type and an RFC 6266 name.

use poem::Response;
use poem::http::header;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::MetaSchemaRef;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// A file with its own content type and name.
pub struct FileDownload {
    bytes: Vec<u8>,
    content_type: String,
    filename: String,
    /// Shown in the browser rather than saved (rendered bulletins).
    inline: bool,
}

impl FileDownload {
    /// Offered for saving under `filename`.
    pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> Self {
        Self { bytes, content_type: content_type.into(), filename: filename.into(), inline: false }
    }

    /// Shown in place (a page or a text), still named for saving.
    pub fn inline(bytes: Vec<u8>, content_type: &str, filename: &str) -> Self {
        Self { inline: true, ..Self::attachment(bytes, content_type, filename) }
    }
}

impl Payload for FileDownload {
    // Documented as any type: an attachment keeps its own, an export is XLSX or CSV, a bulletin
    // HTML, Markdown or text — the operation's description says which; the response header is exact.
    const CONTENT_TYPE: &'static str = "*/*";

    fn check_content_type(_: &str) -> bool {
        true
    }

    fn schema_ref() -> MetaSchemaRef {
        <poem_openapi::payload::Binary<Vec<u8>> as Payload>::schema_ref()
    }
}

/// RFC 6266 `Content-Disposition`: an ASCII fallback and the UTF-8 name, percent-encoded, so a
/// Chinese file name survives every browser.
fn content_disposition(kind: &str, filename: &str) -> String {
    let ascii: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

impl poem::IntoResponse for FileDownload {
    fn into_response(self) -> Response {
        let kind = if self.inline { "inline" } else { "attachment" };
        let mut r = Response::builder()
            .header(header::CONTENT_TYPE, self.content_type.as_str())
            .header(header::CONTENT_DISPOSITION, content_disposition(kind, &self.filename))
            .header("X-Content-Type-Options", "nosniff");
        if self.content_type.starts_with("text/html") {
            // A rendered bulletin: its own styles and inline SVG, nothing else.
            r = r.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
        }
        r.body(self.bytes)
    }
}

#[derive(ApiResponse)]
pub enum Download {
    /// The file, with its content type and name.
    #[oai(status = 200)]
    File(FileDownload),
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_file_names_are_percent_encoded() {
        assert_eq!(
            super::content_disposition("attachment", "台江区方案.pdf"),
            "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%E5%8F%B0%E6%B1%9F%E5%8C%BA%E6%96%B9%E6%A1%88.pdf"
        );
    }
}
