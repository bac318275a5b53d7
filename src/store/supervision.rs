//! Supervision orders (督办单). Issuing takes the programme's next order number in the write's
//! transaction (a unique index makes two issuers at once retry rather than share a number); every
//! later step replaces the order on the revision the actor saw.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::audit::{AUDIT, Actor, head};
use super::rows::{decode, encode, strings};
use super::{Store, StoreError};
use crate::domain::Key;
use crate::domain::supervision::Order;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OrderRow {
    key: String,
    programme: String,
    number: u32,
    unit: String,
    unit_path: Vec<String>,
    state: String,
    revision: u32,
    /// The [`Order`] itself.
    body: Json,
}

impl OrderRow {
    fn from_domain(o: &Order) -> Self {
        Self {
            key: o.key.clone(),
            programme: o.programme.to_string(),
            number: o.number,
            unit: o.unit.to_string(),
            unit_path: strings(&o.unit_path),
            state: o.state.as_str().to_owned(),
            revision: o.revision,
            body: encode(o),
        }
    }

    fn into_domain(self) -> Result<Order, StoreError> {
        let mut o: Order = decode("supervision order", self.body)?;
        // The number is given in the issuing transaction, beside the body.
        o.number = self.number;
        Ok(o)
    }
}

super::rows::domain_rows! {
    OrderRow => Order, "supervision order";
}

impl Store {
    /// Issues an order under the programme's next number; returns the number.
    pub async fn issue_order(&self, o: &Order, actor: &Actor) -> Result<u32, StoreError> {
        let row = OrderRow::from_domain(o);
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = NONE;
             LET $n = ((SELECT VALUE number FROM supervision_order WHERE programme = $p ORDER BY number DESC LIMIT 1)[0] ?? 0) + 1;
             CREATE supervision_order SET key = $row.key, programme = $row.programme, number = $n, unit = $row.unit,
                 unit_path = $row.unit_path, state = $row.state, revision = $row.revision, body = $row.body;
             UPDATE supervision_order SET body.number = $n WHERE key = $k;
             LET $after = (SELECT * OMIT id FROM supervision_order WHERE key = $k)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "row": encode(&row), "k": row.key, "p": row.programme,
            "audit": head(actor, "supervision_order.issue", &format!("supervision_order:{}", row.key), Some(&row.programme), Some(row.unit_path.clone())),
        });
        let mut tries = 0;
        loop {
            match self.query(&sql, vars.clone()).await {
                Ok(_) => break,
                Err(e @ (StoreError::Conflict { .. } | StoreError::Duplicate { .. })) if tries < 5 => {
                    tracing::debug!(error = %e, "order number taken concurrently; next");
                    tries += 1
                }
                Err(e) => return Err(e),
            }
        }
        self.order(&row.key)
            .await?
            .map(|o| o.number)
            .ok_or_else(|| StoreError::Internal("an issued order does not read back".into()))
    }

    /// Replaces an order with its next step, if it is still at revision `expected`.
    pub async fn save_order(&self, o: &Order, expected: u32, action: &str, actor: &Actor) -> Result<(), StoreError> {
        let row = OrderRow::from_domain(o);
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $before = (SELECT * OMIT id FROM supervision_order WHERE key = $k)[0];
             IF $before = NONE {{ THROW 'pilotgov:missing supervision order' }};
             IF $before.revision != $expected {{ THROW 'pilotgov:outdated supervision order revision' }};
             UPDATE supervision_order CONTENT $row WHERE key = $k;
             LET $after = $row;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "row": encode(&row), "k": row.key, "expected": expected,
            "audit": head(actor, action, &format!("supervision_order:{}", row.key), Some(&row.programme), Some(row.unit_path.clone())),
        });
        self.query(&sql, vars).await.map(|_| ())
    }

    pub async fn order(&self, key: &str) -> Result<Option<Order>, StoreError> {
        self.select_row::<OrderRow>("SELECT * OMIT id FROM supervision_order WHERE key = $k", json!({ "k": key })).await
    }

    /// A programme's orders, newest number first.
    pub async fn orders(&self, programme: &Key) -> Result<Vec<Order>, StoreError> {
        self.select_rows::<OrderRow>(
            "SELECT * OMIT id FROM supervision_order WHERE programme = $p ORDER BY number DESC",
            json!({ "p": programme.as_str() }),
        )
        .await
    }

    /// Every order not closed, of every programme (the reminder job's input).
    pub async fn live_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.select_rows::<OrderRow>(
            "SELECT * OMIT id FROM supervision_order WHERE state != 'closed' ORDER BY programme, number",
            json!({}),
        )
        .await
    }
}
