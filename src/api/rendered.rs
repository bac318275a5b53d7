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
    body: Vec<u8>,
    kind: PhantomData<T>,
}

impl<T: serde::Serialize> Rendered<T> {
    pub fn of(value: &T) -> Self {
        Self { body: json(value), kind: PhantomData }
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
        Self { body, kind: PhantomData }
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
        Response::builder().content_type(<Self as Payload>::CONTENT_TYPE).body(self.body)
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
