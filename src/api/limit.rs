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

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let max = if req.uri().path().ends_with("/attachments") { self.uploads } else { self.default };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(too_large(max));
        }
        if declared.is_some() {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        // No declared length (chunked, HTTP/2): read at most the limit.
        let bytes = req.take_body().into_bytes_limit(max).await.map_err(|_| too_large(max))?;
        req.set_body(Body::from(bytes));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
