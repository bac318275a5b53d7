//! `/accounts` and `/account-imports`: accounts managed while the server runs — created with a
//! one-time password, listed, edited, disabled (its sessions end at once), reset — and a bulk
//! import from the XLSX or CSV sheet departments keep, previewed row by row, then all or nothing.
//! Who may touch which account is decided in `domain::access` (`ManageAccount`).

use chrono::{DateTime, FixedOffset};
use poem_openapi::{Enum, Object, OpenApi, param::Path, param::Query, payload::Binary, payload::Json};

use super::auth::Auth;
use super::common::{Created, Level, SheetFormat, page, shanghai};
use super::error::ApiError;
use super::params::RegionParam;
use super::{ApiTags, State};
use crate::domain::access::Role;
use crate::domain::account::Account;
use crate::domain::{DomainError, RegionCode};
use crate::service::account_admin::{self as service, AccountFilter, AccountInput, Issued, RowVerdict};
use crate::service::sheet;

/// The five roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleDto {
    ProvinceAdmin,
    CityReviewer,
    UnitLead,
    Evaluator,
    Leader,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::ProvinceAdmin => Self::ProvinceAdmin,
            RoleDto::CityReviewer => Self::CityReviewer,
            RoleDto::UnitLead => Self::UnitLead,
            RoleDto::Evaluator => Self::Evaluator,
            RoleDto::Leader => Self::Leader,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::ProvinceAdmin => Self::ProvinceAdmin,
            Role::CityReviewer => Self::CityReviewer,
            Role::UnitLead => Self::UnitLead,
            Role::Evaluator => Self::Evaluator,
            Role::Leader => Self::Leader,
        }
    }
}

/// An account as others see it (never its password or hash).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub role: RoleDto,
    /// Home region code.
    pub region: String,
    pub region_level: Level,
    pub phone: Option<String>,
    pub disabled: bool,
    /// It still signs in with a password someone else set, and must change it first.
    pub must_change_password: bool,
    pub created_at: DateTime<FixedOffset>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.into(),
            region: a.region.to_string(),
            region_level: a.region_level.into(),
            phone: a.phone.clone(),
            disabled: a.disabled,
            must_change_password: a.must_change_password,
            created_at: shanghai(a.created_at),
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct AccountPage {
    pub items: Vec<AccountView>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

/// A new account.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountInputDto {
    /// 2–64 of a-z, A-Z, 0-9, `.`, `_`, `-`.
    pub username: String,
    /// The name people know the account by (旧州镇社会救助经办).
    pub display_name: String,
    pub role: RoleDto,
    /// Home region code (GB/T 2260; 9 digits for a township).
    pub region: String,
    pub phone: Option<String>,
}

/// A new name or phone for an account.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProfileInput {
    pub display_name: String,
    /// Absent or empty: no phone.
    pub phone: Option<String>,
}

/// An account with the one-time password it was given: shown only in this response; the account
/// must change it at its first sign-in.
#[derive(Debug, Clone, Object)]
pub struct IssuedView {
    pub account: AccountView,
    pub initial_password: String,
}

impl From<&Issued> for IssuedView {
    fn from(i: &Issued) -> Self {
        Self { account: (&i.account).into(), initial_password: i.password.clone() }
    }
}

/// What one row of an accounts sheet would become.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RowVerdictView {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: u64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region: String,
    /// The region's name when the code is known.
    pub region_name: Option<String>,
    pub phone: String,
    /// `ok`, or why the row cannot be imported: `username_invalid`, `username_taken`,
    /// `duplicate_in_sheet`, `name_missing`, `name_invalid`, `role_unknown`, `region_invalid`,
    /// `region_unknown`, `not_permitted`, `phone_invalid`.
    pub verdict: String,
    /// The column at fault (用户名, 姓名, 角色, 行政区划代码, 手机).
    pub column: Option<String>,
    /// What is wrong, in Chinese, for the person fixing the sheet.
    pub message: Option<String>,
}

impl From<&RowVerdict> for RowVerdictView {
    fn from(v: &RowVerdict) -> Self {
        let (verdict, column, message) = match &v.problem {
            Some((code, column, message)) => ((*code).to_owned(), Some((*column).to_owned()), Some(message.clone())),
            None => ("ok".to_owned(), None, None),
        };
        Self {
            row: v.row as u64,
            username: v.username.clone(),
            display_name: v.display_name.clone(),
            role: v.role.clone(),
            region: v.region.clone(),
            region_name: v.region_name.clone(),
            phone: v.phone.clone(),
            verdict,
            column,
            message,
        }
    }
}

/// The preview of an import: every row with its verdict; `importable` when all are `ok`.
#[derive(Debug, Clone, Object)]
pub struct ImportPreview {
    pub rows: Vec<RowVerdictView>,
    pub importable: bool,
}

/// What an import created, with each account's one-time password.
#[derive(Debug, Clone, Object)]
pub struct ImportResult {
    pub accounts: Vec<IssuedView>,
}

/// The accounts sheet's rows, from an upload.
pub fn sheet_rows(format: Option<SheetFormat>, bytes: &[u8]) -> Result<Vec<sheet::SheetRecord>, DomainError> {
    let name = match format {
        Some(SheetFormat::Xlsx) => "upload.xlsx",
        Some(SheetFormat::Csv) => "upload.csv",
        None => "upload",
    };
    sheet::read(name, bytes, &service::COLUMNS[..4])
}

pub struct AccountsApi {
    pub state: State,
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// The accounts this account manages (a province admin: all inside its region; a city
    /// reviewer: the unit leads inside its own), by username.
    #[oai(path = "/accounts", method = "get", operation_id = "listAccounts")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: Auth,
        /// Part of the username or display name.
        q: Query<Option<String>>,
        role: Query<Option<RoleDto>>,
        /// Accounts at this region or inside it.
        region: Query<Option<RegionParam>>,
        disabled: Query<Option<bool>>,
        offset: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<AccountPage>, ApiError> {
        let (offset, limit) = page(offset.0, limit.0)?;
        let filter =
            AccountFilter { q: q.0, role: role.0.map(Into::into), region: region.0.map(|r| r.0), disabled: disabled.0 };
        let all = service::list(&self.state.store, auth.principal(), &filter).await?;
        Ok(Json(AccountPage {
            total: all.len() as u64,
            items: all.iter().skip(offset as usize).take(limit as usize).map(Into::into).collect(),
            offset,
            limit,
        }))
    }

    /// Create an account; its one-time password is in the response, and only there.
    #[oai(path = "/accounts", method = "post", operation_id = "createAccount")]
    async fn create(&self, auth: Auth, body: Json<AccountInputDto>) -> Result<Created<IssuedView>, ApiError> {
        let b = body.0;
        let input = AccountInput {
            username: b.username,
            display_name: b.display_name,
            role: b.role.into(),
            region: RegionCode::parse(&b.region)?,
            phone: b.phone,
        };
        let issued = service::create(&self.state.store, auth.principal(), &input, self.state.now()).await?;
        Ok(Created::Created(Json((&issued).into())))
    }

    /// One account: one's own, or one this account manages.
    #[oai(path = "/accounts/:username", method = "get", operation_id = "getAccount")]
    async fn get(&self, auth: Auth, username: Path<String>) -> Result<Json<AccountView>, ApiError> {
        let a = service::get(&self.state.store, auth.principal(), &username.0).await?;
        Ok(Json((&a).into()))
    }

    /// Change an account's display name and phone (one's own, or one this account manages).
    #[oai(path = "/accounts/:username", method = "put", operation_id = "updateAccount")]
    async fn update(
        &self,
        auth: Auth,
        username: Path<String>,
        body: Json<ProfileInput>,
    ) -> Result<Json<AccountView>, ApiError> {
        let (store, p, now) = (&self.state.store, auth.principal(), self.state.now());
        let a =
            service::update_profile(store, p, &username.0, &body.0.display_name, body.0.phone.as_deref(), now).await?;
        Ok(Json((&a).into()))
    }

    /// Disable an account: it cannot sign in, and its sessions end at once.
    #[oai(path = "/accounts/:username/disable", method = "post", operation_id = "disableAccount")]
    async fn disable(&self, auth: Auth, username: Path<String>) -> Result<Json<AccountView>, ApiError> {
        let a = service::set_disabled(&self.state.store, auth.principal(), &username.0, true, self.state.now()).await?;
        Ok(Json((&a).into()))
    }

    /// Enable a disabled account again.
    #[oai(path = "/accounts/:username/enable", method = "post", operation_id = "enableAccount")]
    async fn enable(&self, auth: Auth, username: Path<String>) -> Result<Json<AccountView>, ApiError> {
        let a =
            service::set_disabled(&self.state.store, auth.principal(), &username.0, false, self.state.now()).await?;
        Ok(Json((&a).into()))
    }

    /// Give an account a new one-time password (in the response only); its sessions end and it
    /// must change the password at its next sign-in.
    #[oai(path = "/accounts/:username/reset-password", method = "post", operation_id = "resetPassword")]
    async fn reset(&self, auth: Auth, username: Path<String>) -> Result<Json<IssuedView>, ApiError> {
        let issued =
            service::reset_password(&self.state.store, auth.principal(), &username.0, self.state.now()).await?;
        Ok(Json((&issued).into()))
    }

    /// Check an accounts sheet (XLSX or CSV with the columns 用户名, 姓名, 角色, 行政区划代码 and
    /// optionally 手机) row by row, storing nothing.
    #[oai(path = "/account-imports/preview", method = "post", operation_id = "previewAccountImport")]
    async fn preview(
        &self,
        auth: Auth,
        format: Query<Option<SheetFormat>>,
        body: Binary<Vec<u8>>,
    ) -> Result<Json<ImportPreview>, ApiError> {
        let p = auth.principal();
        if !p.is_reviewer() {
            return Err(ApiError::forbidden("only a province admin or a city reviewer imports accounts"));
        }
        let rows = sheet_rows(format.0, &body.0)?;
        let verdicts = service::preview_import(&self.state.store, p, &rows, self.state.now()).await?;
        Ok(Json(ImportPreview {
            importable: !verdicts.is_empty() && verdicts.iter().all(|v| v.problem.is_none()),
            rows: verdicts.iter().map(Into::into).collect(),
        }))
    }

    /// Import an accounts sheet all or nothing: when any row is bad nothing is created and the
    /// error names the first bad row (`field` = `rows[N].<verdict>`); otherwise every account is
    /// created with its one-time password, returned only here.
    #[oai(path = "/account-imports", method = "post", operation_id = "importAccounts")]
    async fn import(
        &self,
        auth: Auth,
        format: Query<Option<SheetFormat>>,
        body: Binary<Vec<u8>>,
    ) -> Result<Created<ImportResult>, ApiError> {
        let p = auth.principal();
        if !p.is_reviewer() {
            return Err(ApiError::forbidden("only a province admin or a city reviewer imports accounts"));
        }
        let rows = sheet_rows(format.0, &body.0)?;
        let issued = service::import(&self.state.store, p, &rows, self.state.now()).await?;
        Ok(Created::Created(Json(ImportResult { accounts: issued.iter().map(Into::into).collect() })))
    }
}
