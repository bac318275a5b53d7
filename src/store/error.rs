//! Database errors, sorted once into what the caller can act on. SurrealDB reports UNIQUE and
//! ASSERT violations as internal errors with only a message, so the message is read here and
//! nowhere else.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The domain refused the change inside a unit of work (quota, duplicate, period).
    #[error(transparent)]
    Refused(#[from] crate::domain::DomainError),
    /// The caller acted on an older revision of the row than the stored one.
    #[error("outdated: {0}")]
    Outdated(String),
    /// The row asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A UNIQUE index refused the row: `index` names it (as the migrations define it), so a
    /// caller acts on the constraint it expects and not on whatever clashed.
    #[error("duplicate in {index}: {message}")]
    Duplicate { index: String, message: String },
    /// A definition that exists already, a `pilotgov:duplicate` our own SurrealQL threw, or
    /// (retryable) a concurrent transaction that touched the same rows.
    #[error("conflict: {message}")]
    Conflict { message: String, retryable: bool },
    /// A field type or ASSERT refused the value; `field` names it when the database did.
    #[error("invalid: {message}")]
    Invalid { message: String, field: Option<String> },
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Misconfiguration (bad URL, credentials).
    #[error("configuration: {0}")]
    Config(String),
    /// A stored row that no longer reads as the domain expects, or anything else unforeseen.
    #[error("internal: {0}")]
    Internal(String),
}

impl StoreError {
    pub(crate) fn from_db(e: surrealdb::Error) -> Self {
        let message = e.message().to_owned();
        let lower = message.to_lowercase();
        if lower.contains("pilotgov:outdated") {
            Self::Outdated(message)
        } else if lower.contains("pilotgov:duplicate") {
            Self::Conflict { message, retryable: false }
        } else if lower.contains("pilotgov:missing") {
            Self::NotFound(message)
        } else if lower.contains("pilotgov:stale") {
            Self::Conflict { message, retryable: true }
        } else if let Some(index) = unique_index(&message) {
            Self::Duplicate { index, message }
        } else if lower.contains("already exists") || e.is_already_exists() {
            Self::Conflict { message, retryable: false }
        } else if lower.contains("conflict") || lower.contains("can be retried") {
            Self::Conflict { message, retryable: true }
        } else if lower.contains("parse error") {
            // Our own SurrealQL failed to parse: a bug, never the caller's fault.
            Self::Internal(message)
        } else if lower.contains("assert")
            || lower.contains("couldn't coerce")
            || lower.contains("must conform to")
            || e.is_validation()
        {
            Self::Invalid { field: refused_field(&message), message }
        } else if e.is_connection() {
            Self::Unavailable(message)
        } else if e.is_configuration() || e.is_not_allowed() {
            Self::Config(message)
        } else {
            Self::Internal(message)
        }
    }

    /// Is this the UNIQUE index `index` refusing a row?
    pub fn is_duplicate_in(&self, index: &str) -> bool {
        matches!(self, Self::Duplicate { index: i, .. } if i == index)
    }

    pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> Self {
        Self::Internal(format!("stored {what} does not read back: {e}"))
    }
}

/// The UNIQUE index a refusal names: SurrealDB writes "Database index `unit_region` already
/// contains …". Only a plain identifier is taken.
fn unique_index(message: &str) -> Option<String> {
    let rest = message.split("index `").nth(1)?;
    let (name, after) = rest.split_once('`')?;
    let plain = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain && after.trim_start().starts_with("already contains")).then(|| name.to_owned())
}

/// The field a schema refusal names: SurrealDB writes "... for field `evidence`, with record ...".
/// Only a plain field name (letters, digits, `_`, `.`) is taken, so no SurrealQL reaches a caller.
fn refused_field(message: &str) -> Option<String> {
    let rest = message.split("field `").nth(1)?;
    let name = rest.split('`').next()?;
    let plain = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '[' || c == ']');
    plain.then(|| name.replace("[*]", "").replace("[0]", ""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_refusals_name_their_field() {
        let m = "Couldn't coerce value for field `evidence` of `adjustment:abc`: Expected `none | object` but found `'省民政厅'`";
        assert_eq!(super::refused_field(m), Some("evidence".into()));
        let m = "Found '省民政厅' for field `evidence`, with record `adjustment:x`, but expected a option<object>";
        assert_eq!(super::refused_field(m), Some("evidence".into()));
        assert_eq!(super::refused_field("something else"), None);
        assert_eq!(super::refused_field("field `a; DROP`"), None);
    }

    #[test]
    fn unique_refusals_name_their_index() {
        let m = "Database index `appeal_target` already contains ['fj', '350103', 'auto:late:plan:once'], with record `appeal:x`";
        assert_eq!(super::unique_index(m), Some("appeal_target".into()));
        assert_eq!(super::unique_index("The index `x` already exists"), None);
        assert_eq!(super::unique_index("index `a b` already contains 1"), None);
    }
}
