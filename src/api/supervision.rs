//! `/programmes/{key}/supervision-orders` and `/supervision-orders/{id}`: supervision orders
//! (督办单) — issued by a department for an overdue deadline, answered by the unit, closed
//! (销号) or escalated 蓝 → 黄 → 红, one level up each time; every order also as a Word file.

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, param::Query, payload::Json};

use super::auth::Auth;
use super::common::{region, shanghai};
use super::download::{Download, FileDownload};
use super::error::ApiError;
use super::params::KeyParam;
use super::{ApiTags, State};
use crate::domain::supervision::{self as domain, Order};
use crate::domain::{DomainError, Key};
use crate::render;
use crate::service::supervision::{self as service, IssueRequest};

/// 蓝色 / 黄色 / 红色督办: each colour one level higher than the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OrderColour {
    Blue,
    Yellow,
    Red,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OrderState {
    /// Issued or escalated; no answer since.
    Open,
    /// The unit answered; the department closes or escalates.
    Answered,
    /// 销号.
    Closed,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrderInput {
    /// The unit (its region code).
    pub unit: String,
    /// The overdue deliverable's key.
    pub deliverable: String,
    /// Which occurrence (`2019-07` for a monthly deliverable, `once` otherwise).
    pub occurrence: String,
    /// The day the unit answers by (after today).
    pub respond_by: chrono::NaiveDate,
    /// 督办要求; absent: the standard wording.
    pub requirement: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct OrderAnswer {
    /// The revision you answered; a newer one means the order moved on (409 `stale`).
    pub revision: u32,
    /// 情况说明: why it is late and what is being done.
    pub text: String,
    /// The day the unit promises to have it done (today or later).
    pub promised: chrono::NaiveDate,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrderClose {
    pub revision: u32,
    /// What was checked before closing.
    pub remark: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct OrderEscalate {
    pub revision: u32,
    /// Why it goes up a level.
    pub reason: String,
    /// The new day to answer by (after today).
    pub respond_by: chrono::NaiveDate,
}

/// One step of an order's life.
#[derive(Debug, Clone, Object)]
pub struct OrderStepView {
    /// `issue`, `answer`, `escalate` or `close`.
    pub action: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub text: String,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrderView {
    pub id: String,
    pub programme: String,
    /// 督办单 number, per programme.
    pub number: u32,
    pub unit: String,
    pub unit_name: String,
    pub deliverable: String,
    pub occurrence: String,
    pub deliverable_title: String,
    pub due_on: chrono::NaiveDate,
    pub colour: OrderColour,
    /// The region whose department the order stands with now.
    pub level: String,
    pub requirement: String,
    pub respond_by: chrono::NaiveDate,
    pub state: OrderState,
    /// 情况说明, once answered.
    pub answer: Option<String>,
    pub promised: Option<chrono::NaiveDate>,
    pub revision: u32,
    pub issued_at: chrono::DateTime<chrono::FixedOffset>,
    pub issued_by: String,
    pub log: Vec<OrderStepView>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        Self {
            id: o.key.clone(),
            programme: o.programme.to_string(),
            number: o.number,
            unit: o.unit.to_string(),
            unit_name: o.unit_name.clone(),
            deliverable: o.item.deliverable.to_string(),
            occurrence: o.item.occurrence.clone(),
            deliverable_title: o.item.title.clone(),
            due_on: o.item.due_on,
            colour: match o.colour {
                domain::Colour::Blue => OrderColour::Blue,
                domain::Colour::Yellow => OrderColour::Yellow,
                domain::Colour::Red => OrderColour::Red,
            },
            level: o.level.to_string(),
            requirement: o.requirement.clone(),
            respond_by: o.respond_by,
            state: match o.state {
                domain::State::Open => OrderState::Open,
                domain::State::Answered => OrderState::Answered,
                domain::State::Closed => OrderState::Closed,
            },
            answer: o.answer.as_ref().map(|a| a.text.clone()),
            promised: o.answer.as_ref().map(|a| a.promised),
            revision: o.revision,
            issued_at: shanghai(o.issued_at),
            issued_by: o.issued_by.clone(),
            log: o
                .log
                .iter()
                .map(|s| OrderStepView {
                    action: s.action.clone(),
                    by: s.by.clone(),
                    at: shanghai(s.at),
                    text: s.text.clone(),
                })
                .collect(),
        }
    }
}

#[derive(ApiResponse)]
pub enum OrderIssued {
    /// The order, numbered.
    #[oai(status = 201)]
    Created(Json<OrderView>),
}

pub struct SupervisionApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Reminders")]
impl SupervisionApi {
    /// Issue a supervision order (督办单, 蓝色) for a deadline the unit has missed: a
    /// department above the unit, at its own level. One live order per item (409
    /// `rule.duplicate_order`); only an overdue, unfiled deadline (422 `rule.not_overdue`).
    #[oai(path = "/programmes/:key/supervision-orders", method = "post", operation_id = "issueSupervisionOrder")]
    async fn issue(&self, auth: Auth, key: Path<KeyParam>, body: Json<OrderInput>) -> Result<OrderIssued, ApiError> {
        let b = body.0;
        let req = IssueRequest {
            unit: region("unit", &b.unit)?,
            deliverable: Key::parse(&b.deliverable).map_err(|e| DomainError::invalid("deliverable", e.to_string()))?,
            occurrence: b.occurrence,
            respond_by: b.respond_by,
            requirement: b.requirement,
        };
        let o = service::issue(&self.state.store, auth.principal(), &key.0.0, &req, self.state.clock.now()).await?;
        Ok(OrderIssued::Created(Json((&o).into())))
    }

    /// The programme's supervision orders you may read (a unit's lead sees its own), newest
    /// first; `unit` narrows to one unit.
    #[oai(path = "/programmes/:key/supervision-orders", method = "get", operation_id = "listSupervisionOrders")]
    async fn list(
        &self,
        auth: Auth,
        key: Path<KeyParam>,
        unit: Query<Option<String>>,
    ) -> Result<Json<Vec<OrderView>>, ApiError> {
        let unit = unit.0.as_deref().map(|u| region("unit", u)).transpose()?;
        let all = service::list(&self.state.store, auth.principal(), &key.0.0, unit.as_ref()).await?;
        Ok(Json(all.iter().map(Into::into).collect()))
    }

    /// One supervision order with its log.
    #[oai(path = "/supervision-orders/:id", method = "get", operation_id = "getSupervisionOrder")]
    async fn get(&self, auth: Auth, id: Path<String>) -> Result<Json<OrderView>, ApiError> {
        let o = service::get(&self.state.store, auth.principal(), &id.0).await?;
        Ok(Json((&o).into()))
    }

    /// The unit's answer (its lead): 情况说明 and the day it promises. Answering again replaces
    /// the answer until the order is closed.
    #[oai(path = "/supervision-orders/:id/answer", method = "post", operation_id = "answerSupervisionOrder")]
    async fn answer(&self, auth: Auth, id: Path<String>, body: Json<OrderAnswer>) -> Result<Json<OrderView>, ApiError> {
        let b = body.0;
        let o = service::answer(
            &self.state.store,
            auth.principal(),
            &id.0,
            b.revision,
            &b.text,
            b.promised,
            self.state.clock.now(),
        )
        .await?;
        Ok(Json((&o).into()))
    }

    /// 销号: close an answered order (the department it stands with, or one above).
    #[oai(path = "/supervision-orders/:id/close", method = "post", operation_id = "closeSupervisionOrder")]
    async fn close(&self, auth: Auth, id: Path<String>, body: Json<OrderClose>) -> Result<Json<OrderView>, ApiError> {
        let b = body.0;
        let o = service::close(
            &self.state.store,
            auth.principal(),
            &id.0,
            b.revision,
            b.remark.as_deref().unwrap_or(""),
            self.state.clock.now(),
        )
        .await?;
        Ok(Json((&o).into()))
    }

    /// Escalate to the next colour (蓝 → 黄 → 红); the order then stands with the level above
    /// (409 `rule.order_state` past red or closed).
    #[oai(path = "/supervision-orders/:id/escalate", method = "post", operation_id = "escalateSupervisionOrder")]
    async fn escalate(
        &self,
        auth: Auth,
        id: Path<String>,
        body: Json<OrderEscalate>,
    ) -> Result<Json<OrderView>, ApiError> {
        let b = body.0;
        let o = service::escalate(
            &self.state.store,
            auth.principal(),
            &id.0,
            b.revision,
            &b.reason,
            b.respond_by,
            self.state.clock.now(),
        )
        .await?;
        Ok(Json((&o).into()))
    }

    /// The order as a Word document (GB/T 9704 layout), to print and send.
    #[oai(path = "/supervision-orders/:id/document", method = "get", operation_id = "supervisionOrderDocument")]
    async fn document(&self, auth: Auth, id: Path<String>) -> Result<Download, ApiError> {
        let o = service::get(&self.state.store, auth.principal(), &id.0).await?;
        let bytes = docx(&self.state, &o).await?;
        Ok(Download::File(FileDownload::attachment(bytes, render::docx::CONTENT_TYPE, &file_name(&o))))
    }
}

/// `programme-督办单第N号.docx`.
pub fn file_name(o: &Order) -> String {
    format!("{}-督办单第{}号.docx", o.programme, o.number)
}

/// An order as Word, issued in the name of the department it stands with.
pub async fn docx(state: &State, o: &Order) -> Result<Vec<u8>, ApiError> {
    let issuer = service::issuer(&state.store, o).await?;
    render::docx::write(&render::supervision_document::document(o, &issuer)).map_err(|e| ApiError::internal(&e))
}
