//! Forms read field by field: a checkbox list repeats its name, which a typed form cannot hold.

use poem::{Request, Response};

use super::{form_refused, signed_in};
use crate::api::State;
use crate::domain::access::Principal;

/// A posted form read as its fields in order (checkboxes repeat a name), once the session and
/// the form token are checked; or the page to answer with instead (nothing changed).
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(super) fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    pub(super) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    pub(super) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(super) fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty()).map(str::to_owned)
    }
}

pub(super) async fn posted_fields(req: &Request, state: &State, body: &str) -> Result<(Principal, Fields), Response> {
    let p = signed_in(req, state).await?;
    let fields = Fields::new(url::form_urlencoded::parse(body.as_bytes()).into_owned().collect());
    match form_refused(req, state, fields.get("csrf")) {
        Some(page) => Err(page),
        None => Ok((p, fields)),
    }
}
