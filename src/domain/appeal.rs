//! Appeals (申诉): a unit lead contests a deduction line or an evaluation of its own unit within
//! the scheme's window; the level above upholds or overturns it, once — the decision is final.

use chrono::{DateTime, Utc};

use super::deadline::YearMonth;
use super::programme::text;
use super::{DomainError, Key, RegionCode, Rule};

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealStatus {
    Pending,
    /// The deduction or evaluation stands.
    Upheld,
    /// It is voided.
    Overturned,
}

impl AppealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Upheld => "upheld",
            Self::Overturned => "overturned",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "pending" => Ok(Self::Pending),
            "upheld" => Ok(Self::Upheld),
            "overturned" => Ok(Self::Overturned),
            other => Err(DomainError::invalid("status", format!("`{other}` is not an appeal status"))),
        }
    }
}

/// Who decided an appeal, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    pub key: String,
    pub programme: Key,
    pub unit: RegionCode,
    /// The unit's region path, root first.
    pub unit_path: Vec<RegionCode>,
    /// An adjustment key, an automatic line id (`auto:…`), or an evaluation key.
    pub target: String,
    /// The month of the line appealed (none for an evaluation).
    pub period: Option<YearMonth>,
    pub reason: String,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    pub status: AppealStatus,
    /// Present once decided.
    pub decision: Option<Decision>,
}

impl Appeal {
    /// The appeal decided: refused when it already was (the decision is final) or the reason
    /// is empty.
    pub fn decide(&self, overturn: bool, reason: &str, by: &str, at: DateTime<Utc>) -> Result<Self, DomainError> {
        if self.status != AppealStatus::Pending {
            return Err(already_decided());
        }
        let reason = text("reason", reason, 2000)?;
        Ok(Self {
            status: if overturn { AppealStatus::Overturned } else { AppealStatus::Upheld },
            decision: Some(Decision { reason, by: by.to_owned(), at }),
            ..self.clone()
        })
    }
}

/// The refusal of a second decision.
pub fn already_decided() -> DomainError {
    DomainError::rule(Rule::AppealDecided, "the appeal has been decided; the decision is final")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Appeal {
        Appeal {
            key: "a1".into(),
            programme: Key::parse("fuzhou").unwrap(),
            unit: RegionCode::parse("350102").unwrap(),
            unit_path: vec![],
            target: "auto:late:plan:once".into(),
            period: None,
            reason: "已按时报送".into(),
            filed_by: "lead".into(),
            filed_at: DateTime::UNIX_EPOCH,
            status: AppealStatus::Pending,
            decision: None,
        }
    }

    #[test]
    fn a_decision_is_final() {
        let decided = pending().decide(true, "核实无误", "city", DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(decided.status, AppealStatus::Overturned);
        assert_eq!(decided.decision.as_ref().unwrap().by, "city");
        assert!(decided.decide(false, "再议", "city", DateTime::UNIX_EPOCH).unwrap_err().is(Rule::AppealDecided));
        assert!(pending().decide(false, "  ", "city", DateTime::UNIX_EPOCH).is_err());
    }

    #[test]
    fn statuses_read_back() {
        for s in [AppealStatus::Pending, AppealStatus::Upheld, AppealStatus::Overturned] {
            assert_eq!(AppealStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(AppealStatus::parse("maybe").is_err());
    }
}
