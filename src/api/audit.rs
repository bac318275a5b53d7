//! `/audit`: the audit trail — every change, who made it and when, with what it changed.

use chrono::{DateTime, FixedOffset};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, param::Query};

use super::auth::Auth;
use super::common::{instant, page, shanghai};
use super::error::ApiError;
use super::{ApiTags, State};
use crate::domain::access::Access;
use crate::store::audit::AuditFilter;

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditView {
    pub recorded_at: DateTime<FixedOffset>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub programme: Option<String>,
    /// The fields the change touched, each before and after (a creation lists every field).
    pub changes: Vec<FieldChange>,
}

/// One field of an audited record, before and after the change.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FieldChange {
    /// The field's name (empty when the record is not an object).
    pub field: String,
    /// The old value as JSON text (`"submitted"`, `3`, `{"filing":"…"}`); absent: the field was
    /// not there.
    pub before: Option<String>,
    /// The new value as JSON text; absent: the field is gone.
    pub after: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

pub struct AuditApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Filings")]
impl AuditApi {
    /// The audit trail inside your region, oldest first (province admins).
    #[oai(path = "/audit", method = "get", operation_id = "listAudit")]
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        auth: Auth,
        programme: Query<Option<String>>,
        actor: Query<Option<String>>,
        action: Query<Option<String>>,
        entity: Query<Option<String>>,
        /// From this instant (RFC 3339 or date), inclusive.
        from: Query<Option<String>>,
        /// Until this instant (RFC 3339 or date), exclusive.
        to: Query<Option<String>>,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<AuditPage>, ApiError> {
        auth.may(Access::ReadAudit)?;
        let (offset, limit) = page(offset.0, limit.0)?;
        let filter = AuditFilter {
            region: Some(auth.principal().region.to_string()),
            programme: programme.0,
            actor: actor.0,
            action: action.0,
            entity: entity.0,
            from: from.0.as_deref().map(|s| instant("from", s)).transpose()?,
            to: to.0.as_deref().map(|s| instant("to", s)).transpose()?,
            newest_first: false,
        };
        let (entries, total) = self.state.store.audit_entries(&filter, offset, limit).await?;
        Ok(Json(AuditPage {
            items: entries
                .into_iter()
                .map(|e| {
                    let changes = e
                        .changes()
                        .into_iter()
                        .map(|c| FieldChange { field: c.field, before: c.before, after: c.after })
                        .collect();
                    AuditView {
                        recorded_at: shanghai(e.recorded_at),
                        actor: e.actor,
                        role: e.role,
                        action: e.action,
                        entity: e.entity,
                        changes,
                        programme: e.programme,
                    }
                })
                .collect(),
            total,
            offset,
            limit,
        }))
    }
}
