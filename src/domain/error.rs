//! The one error type of the domain: every refusal names what was wrong in words an officer reads.

/// Why the domain refused a value or a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value that cannot be built: a malformed code, a date that does not parse, an empty title.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A well-formed change that a programme rule forbids (quotas, periods, duplicates).
    #[error("{message}")]
    RuleViolated { rule: String, message: String },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    pub fn rule(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::RuleViolated { rule: rule.into(), message: message.into() }
    }
}
