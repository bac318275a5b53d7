//! Administration in the browser: the accounts a department manages (list, create, disable,
//! enable, reset), a bulk import from the sheet it keeps (upload → a preview with a verdict per
//! row → import all or nothing → the one-time passwords, on the page and as XLSX), and one's own
//! password (forced after a password someone else set). Everything goes through
//! `service::account_admin`, so the pages decide nothing the API does not.

use base64::Engine;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{page, user};
use super::work::{Posted, posted, posted_forms};
use super::{failed, form_refused, message, redirect, signed_in};
use crate::api::State;
use crate::domain::RegionCode;
use crate::domain::access::{Principal, Role};
use crate::domain::account::Account;
use crate::service::account_admin::{self as service, AccountFilter, AccountInput, Issued, RowVerdict};
use crate::service::{accounts, sheet};

/// Region names by code (a page shows 鼓楼区, not 350102); a failed read shows the codes.
async fn region_names<'a>(
    state: &State,
    codes: impl Iterator<Item = &'a RegionCode>,
) -> std::collections::HashMap<RegionCode, String> {
    let codes: Vec<RegionCode> = codes.cloned().collect();
    match state.store.regions(&codes).await {
        Ok(r) => r.into_iter().map(|r| (r.code, r.name)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "region names for a page");
            Default::default()
        }
    }
}

fn account_json(a: &Account, names: &std::collections::HashMap<RegionCode, String>) -> Value {
    let region = names.get(&a.region).cloned().unwrap_or_else(|| a.region.to_string());
    json!({ "username": a.username, "name": a.display_name, "role": a.role.label(), "region": region,
            "phone": a.phone, "disabled": a.disabled, "must_change": a.must_change_password })
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    /// A region code: accounts inside it.
    region: Option<String>,
    /// `active` or `disabled`.
    status: Option<String>,
    done: Option<String>,
}

/// The accounts this department manages, with the form for a new one.
#[handler]
pub async fn account_list(req: &Request, Data(state): Data<&State>, Query(q): Query<ListQuery>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !p.is_reviewer() {
        return message(StatusCode::FORBIDDEN, "无权访问", "账号由省级管理员和市级审核员管理。");
    }
    let role = q.role.as_deref().filter(|r| !r.is_empty()).and_then(|r| Role::parse(r).ok());
    let region = q.region.as_deref().filter(|r| !r.is_empty()).and_then(|r| RegionCode::parse(r).ok());
    let disabled = match q.status.as_deref() {
        Some("active") => Some(false),
        Some("disabled") => Some(true),
        _ => None,
    };
    let filter = AccountFilter { q: q.q.clone(), role, region: region.clone(), disabled };
    let everyone = AccountFilter::default();
    let (list, all) =
        match tokio::try_join!(service::list(&state.store, &p, &filter), service::list(&state.store, &p, &everyone)) {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
    let notice = match q.done.as_deref() {
        Some("disabled") => Some("账号已停用，其登录已全部失效。"),
        Some("enabled") => Some("账号已启用。"),
        Some("edited") => Some("姓名和手机已保存。"),
        _ => None,
    };
    // The regions to filter by: those the department's accounts sit in.
    let mut regions: Vec<&RegionCode> = all.iter().map(|a| &a.region).collect();
    regions.sort();
    regions.dedup();
    let names = region_names(state, regions.iter().copied()).await;
    let region_options: Vec<Value> = regions
        .iter()
        .map(|r| {
            json!({ "code": r.as_str(), "name": names.get(*r).cloned().unwrap_or_else(|| r.to_string()),
                          "selected": region.as_ref() == Some(*r) })
        })
        .collect();
    let roles: Vec<Value> =
        p.grantable_roles().iter().map(|r| json!({ "value": r.as_str(), "label": r.label() })).collect();
    let ctx = json!({
        "user": user(state, &p, req).await,
        "accounts": list.iter().map(|a| account_json(a, &names)).collect::<Vec<_>>(),
        "roles": roles, "all_roles": Role::ALL.iter().map(|r| json!({ "value": r.as_str(), "label": r.label() })).collect::<Vec<_>>(),
        "q": q.q.unwrap_or_default(), "role": q.role.unwrap_or_default(), "notice": notice, "home": p.region.to_string(),
        "regions": region_options, "status": q.status.unwrap_or_default(),
    });
    page("dashboard/accounts.html", &ctx)
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    username: String,
    display_name: String,
    role: String,
    region: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    csrf: String,
}

/// The page showing a password someone else set, once.
async fn issued_page(req: &Request, state: &State, p: &Principal, issued: &[Issued], title: &str) -> Response {
    let names = region_names(state, issued.iter().map(|i| &i.account.region)).await;
    let rows: Vec<Value> = issued
        .iter()
        .map(|i| {
            let mut a = account_json(&i.account, &names);
            a["password"] = json!(i.password);
            a
        })
        .collect();
    let ctx = json!({ "user": user(state, p, req).await, "issued": rows, "title": title,
                      "rows_json": serde_json::to_string(&rows).unwrap_or_default() });
    page("dashboard/issued.html", &ctx)
}

/// Creates one account and shows its one-time password.
#[handler]
pub async fn create(req: &Request, Data(state): Data<&State>, f: poem::Result<Form<NewAccountForm>>) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (Ok(role), Ok(region)) = (Role::parse(&f.role), RegionCode::parse(&f.region)) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "未能创建", "请选择角色，并填写6位或9位的行政区划代码。");
    };
    let input = AccountInput { username: f.username, display_name: f.display_name, role, region, phone: Some(f.phone) };
    match service::create(&state.store, &p, &input, state.now()).await {
        Ok(issued) => issued_page(req, state, &p, &[issued], "账号已创建").await,
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    /// 修改 only: the new display name and phone.
    display_name: Option<String>,
    phone: Option<String>,
}

/// 停用, 启用, 重置密码 or 修改 (name and phone) of one account.
#[handler]
pub async fn act(
    req: &Request,
    Data(state): Data<&State>,
    Path((username, action)): Path<(String, String)>,
    f: poem::Result<Form<TokenForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let (store, now) = (&state.store, state.now());
    let done = match action.as_str() {
        "edit" => {
            let phone = f.phone.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let name = f.display_name.as_deref().unwrap_or_default();
            service::update_profile(store, &p, &username, name, phone, now).await.map(|_| "edited")
        }
        "disable" => service::set_disabled(store, &p, &username, true, now).await.map(|_| "disabled"),
        "enable" => service::set_disabled(store, &p, &username, false, now).await.map(|_| "enabled"),
        "reset" => {
            return match service::reset_password(store, &p, &username, now).await {
                Ok(issued) => issued_page(req, state, &p, &[issued], "密码已重置").await,
                Err(e) => failed(e),
            };
        }
        _ => return message(StatusCode::NOT_FOUND, "未找到", "没有这个页面。"),
    };
    match done {
        Ok(done) => redirect(&format!("/ui/accounts?done={done}")),
        Err(e) => failed(e),
    }
}

/// The upload form of a bulk import.
#[handler]
pub async fn import_form(req: &Request, Data(state): Data<&State>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    page("dashboard/account_import.html", &json!({ "user": user(state, &p, req).await }))
}

fn verdict_json(v: &RowVerdict) -> Value {
    json!({ "row": v.row, "username": v.username, "name": v.display_name, "role": v.role, "region": v.region,
            "region_name": v.region_name, "phone": v.phone,
            "problem": v.problem.as_ref().map(|(_, column, message)| json!({ "column": column, "message": message })) })
}

/// Reads the uploaded sheet and shows every row's verdict; when all are good, the form that
/// imports the same bytes (carried in the page, so nothing is kept on the server meanwhile).
#[handler]
pub async fn import_preview(req: &Request, Data(state): Data<&State>, mut form: Multipart) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let super::Upload { csrf, file, .. } = super::upload(&mut form).await;
    if let Some(page) = form_refused(req, state, &csrf) {
        return page;
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "未能读取", "请选择要导入的表格文件（XLSX 或 CSV）。");
    };
    let rows = match sheet::read(&name, &bytes, &service::COLUMNS[..4]) {
        Ok(r) => r,
        Err(e) => return sheet_refused(&e),
    };
    let verdicts = match service::preview_import(&state.store, &p, &rows, state.now()).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let bad = verdicts.iter().filter(|v| v.problem.is_some()).count();
    let ctx = json!({
        "user": user(state, &p, req).await, "rows": verdicts.iter().map(verdict_json).collect::<Vec<_>>(),
        "bad": bad, "importable": bad == 0 && !verdicts.is_empty(), "filename": name,
        "sheet": base64::engine::general_purpose::STANDARD.encode(&bytes),
    });
    page("dashboard/account_preview.html", &ctx)
}

/// A sheet that does not read: which column or what is missing.
fn sheet_refused(e: &crate::domain::DomainError) -> Response {
    let text = match e {
        crate::domain::DomainError::Invalid { message, .. } if message.contains("no column") => {
            "表格第一行缺少必填的列。请使用列名：用户名、姓名、角色、行政区划代码（手机可选）。".to_owned()
        }
        crate::domain::DomainError::Invalid { message, .. } if message.contains("UTF-8") => {
            "CSV 文件须为 UTF-8 编码（在 Excel 或 WPS 中另存为“CSV UTF-8”），或直接上传 XLSX 文件。".to_owned()
        }
        _ => "无法读取这个文件，请上传 XLSX 或 CSV 格式的表格。".to_owned(),
    };
    super::explained(StatusCode::UNPROCESSABLE_ENTITY, "未能读取", &text, Some(&e.to_string()))
}

#[derive(Deserialize)]
pub struct ImportForm {
    sheet: String,
    #[serde(default)]
    filename: String,
    #[serde(default)]
    csrf: String,
}

/// Imports the previewed sheet, all or nothing, and shows the one-time passwords.
#[handler]
pub async fn import(req: &Request, Data(state): Data<&State>, f: poem::Result<Form<ImportForm>>) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(f.sheet.as_bytes()) else {
        return super::work::unreadable();
    };
    let rows = match sheet::read(&f.filename, &bytes, &service::COLUMNS[..4]) {
        Ok(r) => r,
        Err(e) => return sheet_refused(&e),
    };
    match service::import(&state.store, &p, &rows, state.now()).await {
        Ok(issued) => issued_page(req, state, &p, &issued, "导入完成").await,
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct ResultForm {
    rows: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
struct IssuedLine {
    username: String,
    name: String,
    role: String,
    region: String,
    password: String,
}

/// The import's result as XLSX: the rows the page shows (passwords included, as on the page),
/// posted back by its form; nothing of it is kept on the server.
#[handler]
pub async fn result_xlsx(req: &Request, Data(state): Data<&State>, f: poem::Result<Form<ResultForm>>) -> Response {
    let f = match posted(req, state, f).await {
        Ok((_, f)) => f,
        Err(page) => return page,
    };
    let Ok(rows) = serde_json::from_str::<Vec<IssuedLine>>(&f.rows) else { return super::work::unreadable() };
    use crate::render::table::{Column, Table, Value as Cell};
    let columns = [("用户名", 20.0), ("姓名", 24.0), ("角色", 16.0), ("行政区划代码", 14.0), ("初始密码", 16.0)];
    let table = Table {
        sheet: "账号".into(),
        title: "新建账号及初始密码（首次登录须修改）".into(),
        columns: columns.iter().map(|(h, w)| Column::new(h, *w)).collect(),
        rows: rows
            .into_iter()
            .map(|r| [r.username, r.name, r.role, r.region, r.password].into_iter().map(Cell::Text).collect())
            .collect(),
        frozen_columns: 1,
        ..Table::default()
    };
    match table.to_xlsx() {
        Ok(bytes) => poem::Response::builder()
            .header(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .header(header::CONTENT_DISPOSITION, "attachment; filename=\"accounts.xlsx\"")
            .header(header::CACHE_CONTROL, "no-store")
            .body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "accounts xlsx");
            message(StatusCode::INTERNAL_SERVER_ERROR, "页面错误", "表格生成失败，已记录。")
        }
    }
}

/// The form to change one's own password (the only page open while a change is forced).
#[handler]
pub async fn password_form(req: &Request, Data(state): Data<&State>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    page("dashboard/password.html", &json!({ "user": user(state, &p, req).await, "forced": p.must_change_password }))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn change_password(
    req: &Request,
    Data(state): Data<&State>,
    f: poem::Result<Form<PasswordForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let again = |error: &str| {
        let error = error.to_owned();
        let p = p.clone();
        async move {
            let ctx = json!({ "user": user(state, &p, req).await, "forced": p.must_change_password, "error": error });
            let mut r = page("dashboard/password.html", &ctx);
            r.set_status(StatusCode::UNPROCESSABLE_ENTITY);
            r
        }
    };
    if f.new != f.repeat {
        return again("两次输入的新密码不一致。").await;
    }
    if f.new.chars().count() < 8 {
        return again("新密码至少8位。").await;
    }
    let keep = super::session_token(req).map(|t| accounts::token_hash(&t)).unwrap_or_default();
    match service::change_own_password(&state.store, &state.throttle, &p, &f.current, &f.new, &keep, state.now()).await
    {
        Ok(()) => redirect("/ui?done=password"),
        Err(crate::service::error::ServiceError::Store(crate::store::StoreError::Refused(
            crate::domain::DomainError::Invalid { field, .. },
        ))) if field == "current_password" => again("当前密码不正确。").await,
        Err(crate::service::error::ServiceError::Store(crate::store::StoreError::Refused(
            crate::domain::DomainError::Invalid { field, .. },
        ))) if field == "new_password" => again("新密码不能与当前密码相同。").await,
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    /// Days (YYYY-MM-DD), inclusive, in Beijing time.
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
}

/// The audit trail inside the province admin's region, newest first, 50 a page, each change's
/// fields before and after side by side.
#[handler]
pub async fn audit(req: &Request, Data(state): Data<&State>, Query(q): Query<AuditQuery>) -> Response {
    use crate::domain::deadline::due_instant;
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.check(crate::domain::access::Access::ReadAudit).is_err() {
        return message(StatusCode::FORBIDDEN, "无权访问", "审计记录由省级管理员查阅。");
    }
    let day = |s: &Option<String>| -> Result<Option<chrono::NaiveDate>, ()> {
        match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| ()),
        }
    };
    let (Ok(from), Ok(to)) = (day(&q.from), day(&q.to)) else {
        return message(StatusCode::BAD_REQUEST, "筛选条件有误", "日期应为“年-月-日”，如 2026-11-27。");
    };
    let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let page_no = q.page.unwrap_or(1).max(1);
    let filter = crate::store::audit::AuditFilter {
        region: Some(p.region.to_string()),
        actor: text(&q.actor),
        action: text(&q.action),
        entity: text(&q.entity),
        // A day from its start in Beijing; `to` through its end.
        from: from.and_then(|d| d.pred_opt()).map(due_instant),
        to: to.map(due_instant),
        newest_first: true,
        ..Default::default()
    };
    let (entries, total) = match state.store.audit_entries(&filter, (page_no - 1) * 50, 50).await {
        Ok(x) => x,
        Err(e) => return failed(e.into()),
    };
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let at = e.recorded_at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string();
            json!({ "at": at, "actor": e.actor, "role": e.role, "action": e.action, "label": action_label(&e.action),
                    "entity": e.entity,
                    "changes": e.changes().into_iter().map(|c| json!({ "field": c.field, "before": c.before, "after": c.after })).collect::<Vec<_>>() })
        })
        .collect();
    let keep = |page: u64| {
        let mut parts = vec![format!("page={page}")];
        for (k, v) in
            [("actor", &q.actor), ("action", &q.action), ("entity", &q.entity), ("from", &q.from), ("to", &q.to)]
        {
            if let Some(v) = text(v) {
                parts.push(format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()));
            }
        }
        format!("/ui/audit?{}", parts.join("&"))
    };
    let ctx = json!({
        "user": user(state, &p, req).await, "items": items, "total": total, "page": page_no,
        "prev": (page_no > 1).then(|| keep(page_no - 1)), "next": (page_no * 50 < total).then(|| keep(page_no + 1)),
        "actor": q.actor.unwrap_or_default(), "action": q.action.unwrap_or_default(), "entity": q.entity.unwrap_or_default(),
        "from": q.from.unwrap_or_default(), "to": q.to.unwrap_or_default(),
    });
    page("dashboard/audit.html", &ctx)
}

#[derive(Deserialize)]
pub struct ChannelsQuery {
    done: Option<String>,
    result: Option<String>,
}

/// The reminder channels of the department's region: masked addresses, a form for a new one,
/// a new address for each (a robot's key was reset) and a test message.
#[handler]
pub async fn channel_list(req: &Request, Data(state): Data<&State>, Query(q): Query<ChannelsQuery>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !p.is_reviewer() {
        return message(StatusCode::FORBIDDEN, "无权访问", "提醒渠道由省级管理员和市级审核员设置。");
    }
    let list = match crate::service::channels::list(&state.store, &p).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let names = region_names(state, list.iter().map(|c| &c.region)).await;
    let notice = match (q.done.as_deref(), q.result) {
        (Some("created"), _) => Some("渠道已添加。".to_owned()),
        (Some("replaced"), _) => Some("地址已更换。".to_owned()),
        (Some("sent"), Some(r)) => Some(format!("测试消息已送达（{r}）。")),
        (Some("failed"), Some(r)) => Some(format!("测试消息未能送达：{r}。请检查地址或机器人设置。")),
        _ => None,
    };
    let rows: Vec<Value> = list
        .iter()
        .map(|c| {
            json!({ "key": c.key, "kind": kind_label(c.kind), "url": crate::domain::outbound::masked(&c.url), "signed": c.secret.is_some(),
                    "region": names.get(&c.region).cloned().unwrap_or_else(|| c.region.to_string()), "by": c.created_by })
        })
        .collect();
    let ctx =
        json!({ "user": user(state, &p, req).await, "channels": rows, "notice": notice, "home": p.region.to_string() });
    page("dashboard/channels.html", &ctx)
}

fn kind_label(k: crate::domain::delivery::ChannelKind) -> &'static str {
    use crate::domain::delivery::ChannelKind;
    match k {
        ChannelKind::Wecom => "企业微信群机器人",
        ChannelKind::Dingtalk => "钉钉群机器人",
        ChannelKind::Generic => "通用 Webhook",
        ChannelKind::Email => "电子邮件",
    }
}

#[derive(Deserialize)]
pub struct ChannelForm {
    kind: String,
    url: String,
    region: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn create_channel(req: &Request, Data(state): Data<&State>, f: poem::Result<Form<ChannelForm>>) -> Response {
    use crate::domain::delivery::ChannelKind;
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let kind = match f.kind.as_str() {
        "wecom" => ChannelKind::Wecom,
        "dingtalk" => ChannelKind::Dingtalk,
        "generic" => ChannelKind::Generic,
        "email" => ChannelKind::Email,
        _ => return super::work::unreadable(),
    };
    let Ok(region) = RegionCode::parse(&f.region) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "未能添加", "请填写6位或9位的行政区划代码。");
    };
    let allow = &state.site.webhook_allow_hosts;
    let secret = Some(f.secret.as_str());
    match crate::service::channels::create(&state.store, &p, kind, &f.url, secret, region, allow, state.now()).await {
        Ok(_) => redirect("/ui/channels?done=created"),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub struct ChannelAction {
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    csrf: String,
}

/// `replace` (a new address) or `test` (a test message) on one channel.
#[handler]
pub async fn channel_action(
    req: &Request,
    Data(state): Data<&State>,
    Path((key, action)): Path<(String, String)>,
    f: poem::Result<Form<ChannelAction>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let store = &state.store;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    match action.as_str() {
        "replace" => {
            let allow = &state.site.webhook_allow_hosts;
            let secret = Some(f.secret.as_str());
            match crate::service::channels::replace_url(store, &p, &key, &f.url, secret, allow, state.now()).await {
                Ok(_) => redirect("/ui/channels?done=replaced"),
                Err(e) => failed(e),
            }
        }
        "test" => match crate::service::channels::test(store, &p, &key, &state.outbox, state.now()).await {
            Ok(Ok(r)) => redirect(&format!("/ui/channels?done=sent&result={}", encode(&r))),
            Ok(Err(r)) => redirect(&format!("/ui/channels?done=failed&result={}", encode(&r))),
            Err(e) => failed(e),
        },
        _ => message(StatusCode::NOT_FOUND, "未找到", "没有这个页面。"),
    }
}

posted_forms!(ResultForm, NewAccountForm, TokenForm, ImportForm, PasswordForm, ChannelForm, ChannelAction);

/// An audit action as the trail page names it (试点单位 · 退出试点); an unknown one as its code.
fn action_label(code: &str) -> String {
    let (object, verb) = code.split_once('.').unwrap_or((code, ""));
    let object = match object {
        "user" => "账号",
        "auth" => "登录",
        "filing" => "报送材料",
        "unit" => "试点单位",
        "programme" => "试点项目",
        "stage" => "阶段",
        "direction" => "试点方向",
        "deliverable" => "报送材料设置",
        "region" => "行政区划",
        "channel" => "提醒渠道",
        "bulletin" => "通报",
        "calendar_feed" => "日历订阅",
        "scheme" => "考评细则",
        "indicator_system" => "评估指标体系",
        "reminder_rules" => "提醒规则",
        "reminder" => "提醒",
        "adjustment" => "加减分",
        "appeal" => "申诉",
        "evaluation" => "评估",
        "ranking" => "排名",
        "reward" => "奖补",
        "delivery" => "消息投递",
        _ => return code.to_owned(),
    };
    let verb = match verb {
        "create" => "新建",
        "update" => "修改",
        "import" => "导入",
        "disable" => "停用",
        "enable" => "启用",
        "reset_password" => "重置密码",
        "change_password" => "修改密码",
        "login" => "登录",
        "logout" => "退出登录",
        "submit" => "提交",
        "attach" => "上传附件",
        "withdraw" => "退出试点",
        "reinstate" => "恢复",
        "rename" => "更名",
        "recode" => "撤并或改用新代码",
        "publish" => "发布",
        "draft" => "起草",
        "correct" => "更正",
        "allocate" => "分配",
        "revoke" => "撤销",
        "replace_url" => "更换地址",
        "read" => "已读",
        "replay" => "重新投递",
        "file" => "提出",
        "deduction" => "扣分",
        "bonus" => "加分",
        v if v.starts_with("review.") => "审核",
        _ => return code.to_owned(),
    };
    format!("{object} · {verb}")
}
