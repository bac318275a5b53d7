//! Administering accounts while the server runs: a province admin manages the accounts inside
//! its region, a city reviewer the unit leads inside its own (decided in `domain::access`), and
//! every user its own password, name and phone. A password someone else sets (a new account, a
//! reset, a bulk import) is shown once and must be changed at the first sign-in. Every change is
//! audited by the store.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::accounts::{LoginThrottle, actor, hash_password};
use super::error::ServiceError;
use super::sheet::SheetRecord;
use crate::domain::access::{Access, Denied, Principal, Role};
use crate::domain::account::{self, Account};
use crate::domain::{DomainError, Region, RegionCode};
use crate::store::{Store, StoreError};

/// What a department enters for a new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub phone: Option<String>,
}

/// An account made or reset by someone else, with the password it was given: shown once, never
/// stored but as its hash.
#[derive(Debug, Clone)]
pub struct Issued {
    pub account: Account,
    pub password: String,
}

/// Which accounts a list shows.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Part of the username or the display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    /// Accounts at this region or inside it.
    pub region: Option<RegionCode>,
    pub disabled: Option<bool>,
}

/// May `p` manage an account with this role at this path? For something not made yet an
/// unrelated region is forbidden (there is nothing to hide).
fn may_manage(p: &Principal, role: Role, path: &[RegionCode], creating: bool) -> Result<(), ServiceError> {
    match p.check(Access::ManageAccount { role, region_path: path }) {
        Ok(()) => Ok(()),
        Err(Denied::Forbidden(why)) => Err(ServiceError::Forbidden(why)),
        Err(Denied::Hidden) if creating => {
            Err(ServiceError::Forbidden(format!("{} may not create accounts outside its region", p.username)))
        }
        Err(Denied::Hidden) => Err(ServiceError::Hidden("account".into())),
    }
}

/// The regions of these codes with their paths (root first), read in one query: a code's
/// ancestors are implied by its digits, and the explicit parents stored are followed.
async fn paths(
    store: &Store,
    codes: &[RegionCode],
) -> Result<HashMap<RegionCode, (Region, Vec<RegionCode>)>, StoreError> {
    let mut wanted: Vec<RegionCode> =
        codes.iter().flat_map(|c| c.implied_path()).chain(codes.iter().cloned()).collect();
    wanted.sort();
    wanted.dedup();
    let known: HashMap<RegionCode, Region> =
        store.regions(&wanted).await?.into_iter().map(|r| (r.code.clone(), r)).collect();
    let mut out = HashMap::new();
    for code in codes {
        let Some(region) = known.get(code) else { continue };
        let mut path = vec![code.clone()];
        let mut next = region.parent.clone();
        while let Some(p) = next {
            if path.contains(&p) || path.len() > 8 {
                break;
            }
            next = known.get(&p).and_then(|r| r.parent.clone());
            path.push(p);
        }
        path.reverse();
        out.insert(code.clone(), (region.clone(), path));
    }
    Ok(out)
}

/// Hashes on the blocking pool (Argon2 is slow on purpose).
async fn hashed(passwords: Vec<String>) -> Result<Vec<String>, ServiceError> {
    tokio::task::spawn_blocking(move || passwords.iter().map(|p| hash_password(p)).collect::<Result<Vec<_>, _>>())
        .await
        .map_err(|e| StoreError::Internal(format!("password hashing: {e}")))?
        .map_err(Into::into)
}

/// The account an input describes, checked (name, phone) but not yet hashed or stored.
fn account_of(
    input: &AccountInput,
    region: &Region,
    path: Vec<RegionCode>,
    now: DateTime<Utc>,
) -> Result<Account, DomainError> {
    Ok(Account {
        username: account::username(&input.username)?,
        display_name: crate::domain::programme::text("display_name", &input.display_name, 64)?,
        role: input.role,
        region: input.region.clone(),
        region_path: path,
        region_level: region.level,
        password_hash: String::new(),
        disabled: false,
        created_at: now,
        phone: match &input.phone {
            Some(p) => account::phone("phone", p)?,
            None => None,
        },
        must_change_password: true,
    })
}

/// The accounts `p` manages that match the filter, by username.
pub async fn list(store: &Store, p: &Principal, filter: &AccountFilter) -> Result<Vec<Account>, ServiceError> {
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_lowercase);
    Ok(store
        .users()
        .await?
        .into_iter()
        .filter(|a| p.check(Access::ManageAccount { role: a.role, region_path: &a.region_path }).is_ok())
        .filter(|a| filter.role.is_none_or(|r| a.role == r))
        .filter(|a| filter.disabled.is_none_or(|d| a.disabled == d))
        .filter(|a| filter.region.as_ref().is_none_or(|r| a.region_path.contains(r)))
        .filter(|a| q.as_deref().is_none_or(|q| a.username.to_lowercase().contains(q) || a.display_name.contains(q)))
        .collect())
}

/// One account: one's own, or one `p` manages.
pub async fn get(store: &Store, p: &Principal, username: &str) -> Result<Account, ServiceError> {
    let a = store.user(username).await?.ok_or_else(|| ServiceError::Hidden("account".into()))?;
    if a.username != p.username {
        may_manage(p, a.role, &a.region_path, false)?;
    }
    Ok(a)
}

/// Creates an account with a one-time password.
pub async fn create(
    store: &Store,
    p: &Principal,
    input: &AccountInput,
    now: DateTime<Utc>,
) -> Result<Issued, ServiceError> {
    let found = paths(store, std::slice::from_ref(&input.region)).await?;
    let Some((region, path)) = found.get(&input.region) else {
        return Err(DomainError::invalid("region", format!("unknown region code `{}`", input.region)).into());
    };
    may_manage(p, input.role, path, true)?;
    let mut account = account_of(input, region, path.clone(), now)?;
    if store.user(&account.username).await?.is_some() {
        return Err(taken(&account.username).into());
    }
    let password = account::initial_password();
    account.password_hash = hashed(vec![password.clone()]).await?.remove(0);
    store.create_user(&account, &actor(p, now)).await?;
    Ok(Issued { account, password })
}

fn taken(username: &str) -> DomainError {
    DomainError::invalid("username", format!("`{username}` is taken"))
}

/// Changes the name and phone people know the account by (one's own, or one `p` manages).
pub async fn update_profile(
    store: &Store,
    p: &Principal,
    username: &str,
    display_name: &str,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Account, ServiceError> {
    let mut a = get(store, p, username).await?;
    a.display_name = crate::domain::programme::text("display_name", display_name, 64)?;
    a.phone = match phone {
        Some(s) => account::phone("phone", s)?,
        None => None,
    };
    store.update_user(&a, "user.update", None, &actor(p, now)).await?;
    Ok(a)
}

/// Disables (ending its sessions at once) or re-enables an account `p` manages; not one's own,
/// so an administrator cannot lock itself out.
pub async fn set_disabled(
    store: &Store,
    p: &Principal,
    username: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<Account, ServiceError> {
    let mut a = store.user(username).await?.ok_or_else(|| ServiceError::Hidden("account".into()))?;
    may_manage(p, a.role, &a.region_path, false)?;
    if a.username == p.username {
        return Err(ServiceError::Forbidden("an account cannot disable itself".into()));
    }
    a.disabled = disabled;
    let action = if disabled { "user.disable" } else { "user.enable" };
    store.update_user(&a, action, disabled.then_some(None), &actor(p, now)).await?;
    Ok(a)
}

/// Gives an account `p` manages a new one-time password; its sessions end.
pub async fn reset_password(
    store: &Store,
    p: &Principal,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Issued, ServiceError> {
    let mut a = store.user(username).await?.ok_or_else(|| ServiceError::Hidden("account".into()))?;
    may_manage(p, a.role, &a.region_path, false)?;
    if a.username == p.username {
        return Err(ServiceError::Forbidden("change your own password with your current one".into()));
    }
    let password = account::initial_password();
    a.password_hash = hashed(vec![password.clone()]).await?.remove(0);
    a.must_change_password = true;
    store.update_user(&a, "user.reset_password", Some(None), &actor(p, now)).await?;
    Ok(Issued { account: a, password })
}

/// Changes one's own password, given the current one; the account's other sessions end.
/// `keep` is the hash of the session making the change.
pub async fn change_own_password(
    store: &Store,
    throttle: &LoginThrottle,
    p: &Principal,
    current: &str,
    new: &str,
    keep: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut a = store.user(&p.username).await?.ok_or_else(|| ServiceError::Hidden("account".into()))?;
    let (given, hash) = (current.to_owned(), a.password_hash.clone());
    if !throttle.check_password(given, hash).await? {
        return Err(DomainError::invalid("current_password", "the current password is wrong").into());
    }
    if new == current {
        return Err(DomainError::invalid("new_password", "the new password must differ from the current one").into());
    }
    a.password_hash = hashed(vec![new.to_owned()]).await?.remove(0);
    a.must_change_password = false;
    store.update_user(&a, "user.change_password", Some(Some(keep)), &actor(p, now)).await?;
    Ok(())
}

/// The columns of an accounts sheet, by the names departments give them.
pub const COLUMNS: [&[&str]; 5] =
    [&["用户名", "账号"], &["姓名", "名称"], &["角色"], &["行政区划代码", "区划代码"], &["手机", "手机号", "电话"]];

/// One row of an accounts sheet and what the import would make of it.
#[derive(Debug, Clone)]
pub struct RowVerdict {
    pub row: usize,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region: String,
    /// The region's name when the code is known.
    pub region_name: Option<String>,
    pub phone: String,
    /// Why the row cannot be imported: (`code`, the column at fault, a message in Chinese).
    pub problem: Option<(&'static str, &'static str, String)>,
    account: Option<Account>,
}

/// Checks every row of an accounts sheet as an import would, without storing anything.
pub async fn preview_import(
    store: &Store,
    p: &Principal,
    rows: &[SheetRecord],
    now: DateTime<Utc>,
) -> Result<Vec<RowVerdict>, ServiceError> {
    let codes: Vec<RegionCode> = rows
        .iter()
        .filter_map(|r| RegionCode::parse(r.get(COLUMNS[3])).ok())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let found = paths(store, &codes).await?;
    let existing: HashSet<String> = store.users().await?.into_iter().map(|a| a.username.to_lowercase()).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = RowVerdict {
            row: r.row,
            username: r.get(COLUMNS[0]).to_owned(),
            display_name: r.get(COLUMNS[1]).to_owned(),
            role: r.get(COLUMNS[2]).to_owned(),
            region: r.get(COLUMNS[3]).to_owned(),
            region_name: None,
            phone: r.get(COLUMNS[4]).to_owned(),
            problem: None,
            account: None,
        };
        v.problem = verdict(&mut v, p, &found, &existing, &mut seen, now).err();
        out.push(v);
    }
    Ok(out)
}

fn verdict(
    v: &mut RowVerdict,
    p: &Principal,
    found: &HashMap<RegionCode, (Region, Vec<RegionCode>)>,
    existing: &HashSet<String>,
    seen: &mut HashMap<String, usize>,
    now: DateTime<Utc>,
) -> Result<(), (&'static str, &'static str, String)> {
    let username = account::username(&v.username)
        .map_err(|_| ("username_invalid", "用户名", "用户名应为2至64位字母、数字或 . _ -".to_owned()))?;
    if existing.contains(&username.to_lowercase()) {
        return Err(("username_taken", "用户名", format!("用户名“{username}”已存在")));
    }
    if let Some(first) = seen.insert(username.to_lowercase(), v.row) {
        return Err(("duplicate_in_sheet", "用户名", format!("用户名与第{first}行重复")));
    }
    if v.display_name.trim().is_empty() {
        return Err(("name_missing", "姓名", "姓名不能为空".to_owned()));
    }
    let role = Role::parse_label(&v.role).map_err(|_| {
        ("role_unknown", "角色", "角色应为省级管理员、市级审核员、试点单位负责人、评估人员或领导".to_owned())
    })?;
    let code = RegionCode::parse(&v.region)
        .map_err(|_| ("region_invalid", "行政区划代码", "行政区划代码应为6位或9位数字".to_owned()))?;
    let Some((region, path)) = found.get(&code) else {
        return Err(("region_unknown", "行政区划代码", format!("行政区划代码{code}不存在")));
    };
    v.region_name = Some(region.name.clone());
    if may_manage(p, role, path, true).is_err() {
        return Err(("not_permitted", "角色", format!("您的账号不能在{}创建“{}”账号", region.name, role.label())));
    }
    let input = AccountInput {
        username,
        display_name: v.display_name.clone(),
        role,
        region: code,
        phone: Some(v.phone.clone()),
    };
    let account = account_of(&input, region, path.clone(), now).map_err(|e| match e {
        DomainError::Invalid { field, .. } if field == "phone" => {
            ("phone_invalid", "手机", "手机号格式有误".to_owned())
        }
        _ => ("name_invalid", "姓名", "姓名过长（最多64字）".to_owned()),
    })?;
    v.account = Some(account);
    Ok(())
}

/// Imports an accounts sheet all or nothing: refused naming the first bad row when any row is
/// bad; otherwise every account is created in one transaction with its one-time password.
pub async fn import(
    store: &Store,
    p: &Principal,
    rows: &[SheetRecord],
    now: DateTime<Utc>,
) -> Result<Vec<Issued>, ServiceError> {
    if rows.is_empty() {
        return Err(DomainError::invalid("file", "the sheet has no accounts").into());
    }
    let verdicts = preview_import(store, p, rows, now).await?;
    if let Some(bad) = verdicts.iter().find(|v| v.problem.is_some()) {
        let (code, column, message) = bad.problem.clone().expect("found by its problem");
        return Err(DomainError::invalid(
            format!("rows[{}].{code}", bad.row),
            format!("row {} ({column}): {message}; nothing was imported", bad.row),
        )
        .into());
    }
    let passwords: Vec<String> = verdicts.iter().map(|_| account::initial_password()).collect();
    let hashes = hashed(passwords.clone()).await?;
    let accounts: Vec<Account> = verdicts
        .into_iter()
        .zip(hashes)
        .map(|(v, h)| Account { password_hash: h, ..v.account.expect("a row without a problem has its account") })
        .collect();
    store.create_users(&accounts, "user.import", &actor(p, now)).await?;
    Ok(accounts.into_iter().zip(passwords).map(|(account, password)| Issued { account, password }).collect())
}
