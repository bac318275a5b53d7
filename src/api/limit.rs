//! A request-body limit. poem's `SizeLimit` refuses any request without `Content-Length`, GETs
//! included; this one refuses a declared length over the limit at once, and reads a body of
//! undeclared length only up to the limit.

use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, Error, IntoResponse, Middleware, Request, Response, Result};

pub struct BodyLimit(pub usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            max: self.0,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

fn too_large(max: usize) -> Error {
    Error::from_string(
        format!("request body exceeds the limit of {max} bytes"),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > self.max) {
            return Err(too_large(self.max));
        }
        if declared.is_some() {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        // No declared length (chunked, HTTP/2): read at most the limit.
        let bytes = req
            .take_body()
            .into_bytes_limit(self.max)
            .await
            .map_err(|_| too_large(self.max))?;
        req.set_body(Body::from(bytes));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
