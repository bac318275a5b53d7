//! The audit trail: one append-only record per mutation, written by the same transaction as the
//! change. Callers pass an [`Actor`]; each mutating query defines `$before` and `$after` and ends
//! with [`AUDIT`], so the record holds exactly what the transaction saw and wrote.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::rows::decode;
use super::{Store, StoreError, rows};

/// Who is acting, in what role, and when (from the injected clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub username: String,
    pub role: String,
    pub at: DateTime<Utc>,
    /// The actor's home region path (records without a unit or programme are filed under it).
    pub region_path: Vec<String>,
}

impl Actor {
    /// The command line and start-up tasks.
    pub fn system(what: &str, at: DateTime<Utc>) -> Self {
        Self { username: format!("system:{what}"), role: "system".into(), at, region_path: vec![] }
    }
}

/// The statement that writes the record; expects `$audit`, `$before` and `$after`.
pub(super) const AUDIT: &str = "CREATE audit CONTENT {
    recorded_at: $audit.recorded_at, seq: $audit.seq, actor: $audit.actor, role: $audit.role,
    action: $audit.action, entity: $audit.entity, programme: $audit.programme,
    region_path: $audit.region_path, before: $before, after: $after
};";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AuditHead {
    pub recorded_at: String,
    /// Orders records made in the same instant: the instant, then a random suffix.
    pub seq: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub programme: Option<String>,
    pub region_path: Vec<String>,
}

/// Builds the `$audit` variable for one mutation.
pub(super) fn head(
    actor: &Actor,
    action: &str,
    entity: &str,
    programme: Option<&str>,
    region_path: Option<Vec<String>>,
) -> Json {
    let h = AuditHead {
        recorded_at: actor.at.to_rfc3339(),
        seq: format!("{}-{}", actor.at.format("%Y%m%dT%H%M%S%.6f"), uuid::Uuid::new_v4().simple()),
        actor: actor.username.clone(),
        role: actor.role.clone(),
        action: action.to_owned(),
        entity: entity.to_owned(),
        programme: programme.map(str::to_owned),
        region_path: region_path.unwrap_or_else(|| actor.region_path.clone()),
    };
    serde_json::to_value(h).expect("audit head serialises")
}

/// One record as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub programme: Option<String>,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// One field of an audited record, before and after the change (values as JSON text; absent:
/// the field was not there, or is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntry {
    /// What changed between the two snapshots, field by field, in field order (a creation lists
    /// every field); a snapshot that is not an object is one unnamed field.
    pub fn changes(&self) -> Vec<FieldChange> {
        use serde_json::{Map, Value};
        let (before, after) = (self.before.as_ref(), self.after.as_ref());
        let text = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(Value::to_string);
        let empty = Map::new();
        match (before, after) {
            (None | Some(Value::Object(_)) | Some(Value::Null), None | Some(Value::Object(_)) | Some(Value::Null)) => {
                let b = before.and_then(Value::as_object).unwrap_or(&empty);
                let a = after.and_then(Value::as_object).unwrap_or(&empty);
                let mut fields: Vec<&String> = b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))).collect();
                fields.sort();
                fields
                    .into_iter()
                    .filter(|f| b.get(*f) != a.get(*f))
                    .map(|f| FieldChange { field: f.clone(), before: text(b.get(f)), after: text(a.get(f)) })
                    .collect()
            }
            (b, a) => vec![FieldChange { field: String::new(), before: text(b), after: text(a) }],
        }
    }
}

/// Which records to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only records inside this region.
    pub region: Option<String>,
    pub programme: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The latest first (the browser's view) instead of the oldest.
    pub newest_first: bool,
}

#[derive(Deserialize)]
struct AuditRow {
    recorded_at: String,
    actor: String,
    role: String,
    action: String,
    entity: String,
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    before: Option<Json>,
    #[serde(default)]
    after: Option<Json>,
}

impl Store {
    /// Records matching the filter, oldest first, with the total count.
    pub async fn audit_entries(
        &self,
        f: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let cond = "($region = NONE OR $region IN region_path)
            AND ($programme = NONE OR programme = $programme)
            AND ($actor = NONE OR actor = $actor)
            AND ($action = NONE OR action = $action)
            AND ($entity = NONE OR entity = $entity)
            AND ($from_at = NONE OR recorded_at >= $from_at)
            AND ($to_at = NONE OR recorded_at < $to_at)";
        let order = if f.newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT * FROM audit WHERE {cond} ORDER BY seq {order} LIMIT $l START $o;
             SELECT count() AS n FROM audit WHERE {cond} GROUP ALL;"
        );
        let out = self
            .query(
                &sql,
                json!({
                    "region": f.region, "programme": f.programme, "actor": f.actor,
                    "action": f.action, "entity": f.entity,
                    "from_at": f.from.map(|t| t.to_rfc3339()), "to_at": f.to.map(|t| t.to_rfc3339()),
                    "l": limit, "o": offset,
                }),
            )
            .await?;
        let mut it = out.into_iter();
        let list = rows(it.next().unwrap_or_default())
            .into_iter()
            .map(|v| {
                let r: AuditRow = decode("audit", v)?;
                Ok(AuditEntry {
                    recorded_at: DateTime::parse_from_rfc3339(&r.recorded_at)
                        .map_err(|e| StoreError::corrupt("audit", e))?
                        .with_timezone(&Utc),
                    actor: r.actor,
                    role: r.role,
                    action: r.action,
                    entity: r.entity,
                    programme: r.programme,
                    before: r.before,
                    after: r.after,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((list, super::regions::count(it.next())))
    }

    /// How many records there are (tests and health checks).
    pub async fn audit_count(&self) -> Result<u64, StoreError> {
        let out = self.query("SELECT count() AS n FROM audit GROUP ALL", json!({})).await?;
        Ok(super::regions::count(out.into_iter().next()))
    }

    /// Tries to change a record; the schema refuses (used to prove the trail is append-only).
    pub async fn try_tamper_with_audit(&self) -> Result<(), StoreError> {
        self.query("UPDATE audit SET actor = 'someone else'", json!({})).await?;
        self.query("DELETE audit", json!({})).await.map(|_| ())
    }
}
