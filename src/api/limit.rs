//! A request-body limit. poem's `SizeLimit` refuses any request without `Content-Length`, GETs
//! included; this one refuses a declared length over the limit at once, and reads a body of
//! undeclared length only up to the limit.

use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, Error, IntoResponse, Middleware, Request, Response, Result};

/// Limits in bytes: `uploads` for attachment uploads, `default` for everything else.
pub struct BodyLimit {
    pub default: usize,
    pub uploads: usize,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint { inner: ep, default: self.default, uploads: self.uploads }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    default: usize,
    uploads: usize,
}

fn too_large(max: usize) -> Error {
    Error::from_string(format!("request body exceeds the limit of {max} bytes"), StatusCode::PAYLOAD_TOO_LARGE)
}

/// The refusal as its asker reads it: a page for the dashboard (a person chose too big a file),
/// JSON `payload_too_large` for the API.
fn refuse(path: &str, max: usize) -> Result<Response> {
    if path.starts_with("/ui/") {
        let mb = max / (1024 * 1024);
        if path.ends_with("/notice") {
            let text = format!("通知文件超过了{mb} MB的上限。请上传不含图片的 Word 文件，或粘贴通知的文字。");
            return Ok(crate::web::message(StatusCode::PAYLOAD_TOO_LARGE, "文件过大", &text));
        }
        let text = format!(
            "上传的内容超过了{mb} MB的上限，没有保存；材料已填写的内容不受影响。请返回材料页面，选择较小的文件（或压缩后）重新上传。"
        );
        return Ok(crate::web::message(StatusCode::PAYLOAD_TOO_LARGE, "文件过大", &text));
    }
    Err(too_large(max))
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        // Files people upload: attachments, and notices (a Word 方案 with its annexes and scans).
        let path = req.uri().path();
        let upload = ["/attachments", "/programme-drafts", "/programmes/new/notice"].iter().any(|p| path.ends_with(p));
        let max = if upload { self.uploads } else { self.default };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > max) {
            return refuse(req.uri().path(), max);
        }
        if declared.is_some() {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        // No declared length (chunked, HTTP/2): read at most the limit.
        let bytes = match req.take_body().into_bytes_limit(max).await {
            Ok(b) => b,
            Err(_) => return refuse(req.uri().path(), max),
        };
        req.set_body(Body::from(bytes));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
