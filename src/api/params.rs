//! Typed path and query parameters: each parses into its domain type before a handler runs and
//! says its pattern in the spec, so a malformed value gets the same answer everywhere — 400
//! `bad_request` naming the parameter and what it should look like.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type};
use serde_json::Value;

use crate::domain::{DomainError, Key, RegionCode, YearMonth};

macro_rules! parameter {
    ($(#[$doc:meta])* $name:ident($inner:ty), $schema:literal, $pattern:literal, $description:literal, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub $inner);

        impl Type for $name {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                $schema.into()
            }

            fn schema_ref() -> MetaSchemaRef {
                let mut schema = MetaSchema::new("string");
                schema.pattern = Some($pattern.to_owned());
                schema.description = Some($description);
                MetaSchemaRef::Inline(Box::new(schema))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }

        impl ParseFromParameter for $name {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                let parse: fn(&str) -> Result<$inner, DomainError> = $parse;
                parse(value).map(Self).map_err(|e| ParseError::custom(e.to_string()))
            }
        }

        impl ParseFromJSON for $name {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                match value {
                    Some(Value::String(s)) => Self::parse_from_parameter(&s).map_err(ParseError::propagate),
                    other => Err(ParseError::expected_type(other.unwrap_or_default())),
                }
            }
        }

        impl ToJSON for $name {
            fn to_json(&self) -> Option<Value> {
                Some(Value::String(self.0.to_string()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::ops::Deref for $name {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.0
            }
        }
    };
}

parameter!(
    /// A programme's, stage's or deliverable's key.
    KeyParam(Key),
    "string_key",
    "^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$",
    "A key: 2–64 of a-z, 0-9 and `-`, not starting or ending with `-`.",
    Key::parse
);

parameter!(
    /// A region's code (GB/T 2260).
    RegionParam(RegionCode),
    "string_region_code",
    "^[0-9]{6}([0-9]{3})?$",
    "An administrative division code (GB/T 2260): six digits, e.g. `350103`, or nine for a township, e.g. `520402109`.",
    RegionCode::parse
);

parameter!(
    /// A calendar month.
    MonthParam(YearMonth),
    "string_year_month",
    "^[0-9]{4}-(0[1-9]|1[0-2])$",
    "A month, `2019-05`.",
    YearMonth::parse
);
