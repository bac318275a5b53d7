//! The API translates. It is the only module that imports `poem_openapi`: one file per
//! resource with its DTOs, the shared error shape, and the assembly of the OpenAPI service.
//! Handlers parse DTOs into domain values, call the domain or a service, and map back.

mod accounts;
mod audit;
mod auth;
mod board_json;
mod bulletins;
mod channels;
pub mod common;
mod compliance;
mod deadlines;
mod document_dto;
pub(crate) mod download;
pub mod error;
mod exports;
mod filings;
pub mod limit;
pub mod observe;
mod params;
mod parts;
mod programme_drafts;
mod programmes;
mod ranking_json;
mod regions;
mod reminders;
mod rendered;
mod scoring;
mod scoring_dto;
pub mod supervision;
mod units;

use std::sync::Arc;

use poem_openapi::{OpenApiService, Tags};

use crate::clock::Clock;
use crate::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct State {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Failed logins per account name (API and dashboard alike).
    pub throttle: Arc<crate::service::accounts::LoginThrottle>,
    /// Published ranking versions rendered to JSON once (see `ranking_json.rs`).
    pub ranking_json: Arc<ranking_json::RankingJson>,
    /// The deadline board's fixed pieces of JSON per programme revision (see `board_json.rs`).
    pub board_json: Arc<board_json::BoardJson>,
    pub site: Arc<Site>,
    /// How messages leave the server (SMTP relay, allowed webhook hosts): the delivery job's,
    /// and a channel's test message.
    pub outbox: Arc<crate::jobs::delivery::Outbox>,
}

impl State {
    /// Now, by the server's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Settings from configuration that handlers consult.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Hosts webhook channels may reach although they are not public.
    pub webhook_allow_hosts: Vec<String>,
    /// The public base URL, without a trailing slash.
    pub public_url: Option<String>,
    /// The largest attachment accepted, in bytes (the dashboard says it before an upload).
    pub attachment_limit: usize,
    /// A demo server: the login page names the demo accounts.
    pub demo: bool,
}

impl Site {
    /// Dashboard cookies get `Secure` when people reach the server over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// An absolute URL for a path of this server (a calendar application needs one): from the
    /// public URL, else from the host the request came to (plain http; a deployment behind a
    /// proxy sets `public_url`).
    pub fn absolute(&self, host: Option<&str>, path: &str) -> String {
        match (&self.public_url, host.filter(|h| !h.is_empty())) {
            (Some(base), _) => format!("{base}{path}"),
            (None, Some(host)) => format!("http://{host}{path}"),
            (None, None) => path.to_owned(),
        }
    }
}

/// Limits the API enforces, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub token_ttl: chrono::Duration,
    pub attachment_limit: usize,
}

/// A notice's draft as `POST /programme-drafts` answers it, as pretty JSON (for the CLI).
pub fn programme_draft_json(text: &str, reading: &crate::domain::notice::Reading) -> String {
    use poem_openapi::types::ToJSON;
    let value = programme_drafts::view(text, reading).to_json().unwrap_or_default();
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

#[derive(Tags)]
enum ApiTags {
    /// Pilot programmes (试点工作): define, read, import.
    Programmes,
    /// Stages, the direction catalogue and deliverables of a programme.
    Parts,
    /// Pilot units (试点单位) and their direction choices.
    Units,
    /// The deadline board and submissions against deadlines.
    Deadlines,
    /// The administrative division tree (GB/T 2260).
    Regions,
    /// Logging in and out; one's own password.
    Auth,
    /// Accounts managed while the server runs, one by one or imported from a sheet.
    Accounts,
    /// Filings, their review and attachments, the compliance matrix and the audit trail.
    Filings,
    /// Scores, rankings, appeals, evaluations and rewards (以奖代补).
    Scoring,
    /// Reminders, chasing and escalation; your inbox.
    Reminders,
    /// Progress bulletins (通报): draft, publish, render.
    Bulletins,
    /// Spreadsheets (XLSX, CSV) and calendar feeds (iCalendar).
    Exports,
}

pub type Apis = (
    auth::AuthApi,
    accounts::AccountsApi,
    filings::FilingsApi,
    compliance::ComplianceApi,
    audit::AuditApi,
    (programmes::ProgrammesApi, programme_drafts::ProgrammeDraftsApi),
    parts::PartsApi,
    units::UnitsApi,
    deadlines::DeadlinesApi,
    regions::RegionsApi,
    (
        scoring::SchemesApi,
        scoring::AdjustmentsApi,
        scoring::RankingsApi,
        scoring::AppealsApi,
        scoring::EvaluationsApi,
        scoring::RewardsApi,
    ),
    (reminders::RemindersApi, supervision::SupervisionApi),
    channels::ChannelsApi,
    bulletins::BulletinsApi,
    exports::ExportsApi,
);

/// The OpenAPI service, served under `/api/v1`.
pub fn service(state: State, limits: Limits) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            auth::AuthApi { state: state.clone(), token_ttl: limits.token_ttl },
            accounts::AccountsApi { state: state.clone() },
            filings::FilingsApi { state: state.clone(), attachment_limit: limits.attachment_limit },
            compliance::ComplianceApi { state: state.clone() },
            audit::AuditApi { state: state.clone() },
            (
                programmes::ProgrammesApi { state: state.clone() },
                programme_drafts::ProgrammeDraftsApi { state: state.clone() },
            ),
            parts::PartsApi { state: state.clone() },
            units::UnitsApi { state: state.clone() },
            deadlines::DeadlinesApi { state: state.clone() },
            regions::RegionsApi { state: state.clone() },
            (
                scoring::SchemesApi { state: state.clone() },
                scoring::AdjustmentsApi { state: state.clone() },
                scoring::RankingsApi { state: state.clone() },
                scoring::AppealsApi { state: state.clone() },
                scoring::EvaluationsApi { state: state.clone() },
                scoring::RewardsApi { state: state.clone() },
            ),
            (reminders::RemindersApi { state: state.clone() }, supervision::SupervisionApi { state: state.clone() }),
            channels::ChannelsApi { state: state.clone() },
            bulletins::BulletinsApi { state: state.clone() },
            exports::ExportsApi { state },
        ),
        "pilotgov",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Governs government pilot programmes (试点工作): programmes, units, stages, deadlines. \
         Errors are JSON `{code, message}`. Dates are Asia/Shanghai calendar days; instants are \
         shown at +08:00.",
    )
    .server("/api/v1")
}

#[cfg(test)]
mod tests {
    use super::Site;

    #[test]
    fn an_absolute_url_comes_from_the_public_url_else_the_requests_host() {
        let public = Site { public_url: Some("https://pilot.mca.example".into()), ..Site::default() };
        assert_eq!(
            public.absolute(Some("10.0.0.5:8080"), "/api/v1/feeds/x"),
            "https://pilot.mca.example/api/v1/feeds/x"
        );
        let bare = Site::default();
        assert_eq!(bare.absolute(Some("10.0.0.5:8080"), "/api/v1/feeds/x"), "http://10.0.0.5:8080/api/v1/feeds/x");
        assert_eq!(bare.absolute(None, "/api/v1/feeds/x"), "/api/v1/feeds/x");
    }
}
