//! A JSON response rendered with serde straight into bytes, declared in the spec with `T`'s
//! schema. `Json<T>` renders through a `serde_json::Value` tree first (a map per object, a
//! string per field); on a hot read route (a ranking page) that was most of the work left per
//! request. `T` derives both `Object` (the schema) and `Serialize` (the bytes); a unit test per
//! type checks that the two renderings are the same JSON.

use std::marker::PhantomData;

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;

pub struct Rendered<T> {
    body: Content,
    kind: PhantomData<T>,
}

/// The bytes of a response: one buffer, or pieces sent one after another.
enum Content {
    One(Vec<u8>),
    Pieces(Vec<bytes::Bytes>),
}

impl<T: serde::Serialize> Rendered<T> {
    pub fn of(value: &T) -> Self {
        Self::from_bytes(json(value))
    }
}

/// A view's JSON bytes.
pub fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain data (strings, numbers, options) cannot fail.
    serde_json::to_vec(value).expect("views serialise")
}

impl<T> Rendered<T> {
    /// Bytes already rendered as `T` is (see `ranking_json.rs`, tested against `T`'s rendering).
    pub fn from_bytes(body: Vec<u8>) -> Self {
        Self { body: Content::One(body), kind: PhantomData }
    }

    /// Bytes rendered as `T` is, in pieces that are sent in order without being joined into one
    /// buffer first: a kept page of the deadline board (175 KB for 500 rows) is shared between
    /// requests, with only its head rendered for each.
    pub fn from_pieces(pieces: Vec<bytes::Bytes>) -> Self {
        Self { body: Content::Pieces(pieces), kind: PhantomData }
    }
}

/// Pieces as an HTTP body of known length, so the response carries a `Content-Length`.
struct Pieces {
    pieces: std::collections::VecDeque<bytes::Bytes>,
    left: u64,
}

impl http_body::Body for Pieces {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let next = self.pieces.pop_front();
        if let Some(p) = &next {
            self.left -= p.len() as u64;
        }
        std::task::Poll::Ready(next.map(|p| Ok(http_body::Frame::data(p))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

impl<T: Type> Payload for Rendered<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type> IntoResponse for Rendered<T> {
    fn into_response(self) -> Response {
        let response = Response::builder().content_type(<Self as Payload>::CONTENT_TYPE);
        match self.body {
            Content::One(body) => response.body(body),
            Content::Pieces(pieces) => {
                // Empty pieces would be empty frames: left out.
                let pieces: std::collections::VecDeque<_> = pieces.into_iter().filter(|p| !p.is_empty()).collect();
                let left = pieces.iter().map(|p| p.len() as u64).sum();
                response.body(poem::Body::from(http_body_util::BodyExt::boxed(Pieces { pieces, left })))
            }
        }
    }
}

impl<T: Type> ApiResponse for Rendered<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType { content_type: Self::CONTENT_TYPE, schema: Self::schema_ref() }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use poem::listener::{Acceptor, Listener, TcpListener};
    use poem::{Server, handler};

    use super::*;

    #[handler]
    fn pieces() -> Rendered<String> {
        let rows = bytes::Bytes::from(vec![b'1'; 200_000]);
        Rendered::from_pieces(vec![
            b"{\"a\":".to_vec().into(),
            bytes::Bytes::new(),
            rows,
            bytes::Bytes::from_static(b"}"),
        ])
    }

    /// Pieces reach a client over a real connection whole, in order, under a `Content-Length`.
    #[tokio::test]
    async fn pieces_are_sent_in_order_with_their_length() {
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().cloned().unwrap();
        tokio::spawn(Server::new_with_acceptor(acceptor).run(pieces));
        let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
        assert_eq!(response.headers()["content-length"], "200006");
        assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
        let body = response.bytes().await.unwrap();
        assert_eq!(body.len(), 200_006);
        assert!(body.starts_with(b"{\"a\":1111") && body.ends_with(b"111}"));
    }
}
