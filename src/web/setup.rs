//! Setting up a programme in the browser: upload (or paste) a programme document in the fixture
//! format, read the preview — the stages with their document dates, every deliverable expanded
//! into its deadlines, the quota standing of every group, and every problem at the place to
//! correct it — then import it as one transaction. Nothing is stored until the import, and the
//! import checks everything again (`service::import::import_programme`).

use base64::Engine;
use poem::http::StatusCode;
use poem::web::{Data, Form, Multipart, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{page, user};
use super::work::{Posted, posted, posted_forms};
use super::{failed, form_refused, message, redirect, signed_in};
use crate::api::State;
use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::chinese_date;
use crate::domain::bundle::{Problem, QuotaStanding};
use crate::service::accounts;
use crate::service::import::{self as service, Imported, ProgrammePreview};
use crate::service::unit_sheet as units;

/// Where a problem is, as a person reads it: 第3个阶段 · end.
fn place(at: &str) -> String {
    let (head, rest) = at.split_once('.').unwrap_or((at, ""));
    let (list, index) = match head.split_once('[') {
        Some((l, i)) => (l, i.trim_end_matches(']').parse::<usize>().ok()),
        None => (head, None),
    };
    let what = match list {
        "programme" => "试点项目",
        "stages" => "阶段",
        "directions" => "试点方向",
        "deliverables" => "报送材料",
        "units" => "试点单位",
        "format" => "文件格式",
        _ => "文件",
    };
    let mut s = match index {
        Some(i) => format!("第{}个{what}", i + 1),
        None => what.to_owned(),
    };
    if !rest.is_empty() {
        s.push_str(&format!(" · {rest}"));
    }
    s
}

fn problem_json(p: &Problem) -> Value {
    json!({ "at": p.at, "place": place(&p.at), "message": p.message, "rule": p.rule.map(|r| r.label()) })
}

fn bounds_text(b: Option<crate::domain::programme::Bounds>) -> String {
    match b {
        None => "不限".into(),
        Some(b) => match b.max {
            Some(max) if max == b.min => format!("{max}个"),
            Some(max) => format!("{}–{max}个", b.min),
            None => format!("至少{}个", b.min),
        },
    }
}

fn preview_json(pv: &ProgrammePreview) -> Value {
    let b = &pv.bundle;
    let p = &b.programme;
    let name = |c: &crate::domain::RegionCode| pv.names.get(c).cloned().unwrap_or_else(|| c.to_string());
    let stages: Vec<Value> = b
        .stages
        .iter()
        .map(|s| {
            json!({ "seq": s.seq, "name": s.name, "start": s.window.start.text(), "end": s.window.end.text(),
                    "first": chinese_date(s.window.first()), "last": chinese_date(s.window.last()) })
        })
        .collect();
    let mut deadlines = 0;
    let deliverables: Vec<Value> = b
        .deliverables
        .iter()
        .map(|d| {
            let occurrences: Vec<Value> = d
                .deadline
                .occurrences(&b.stages)
                .map(|os| os.iter().map(|o| json!({ "text": o.due_text, "day": chinese_date(o.due_on) })).collect())
                .unwrap_or_default();
            deadlines += occurrences.len();
            let stage = d.stage.as_ref().and_then(|k| b.stages.iter().find(|s| &s.key == k)).map(|s| s.name.clone());
            json!({ "title": d.title, "stage": stage, "occurrences": occurrences })
        })
        .collect();
    let quotas: Vec<Value> = pv
        .quotas
        .iter()
        .map(|q| {
            json!({ "group": name(&q.group), "units": q.units, "units_bounds": bounds_text(q.units_bounds),
                    "units_standing": QuotaStanding::of(q.units, q.units_bounds).label(),
                    "directions": q.directions, "directions_bounds": bounds_text(q.directions_bounds),
                    "directions_standing": QuotaStanding::of(q.directions, q.directions_bounds).label() })
        })
        .collect();
    let units: Vec<Value> = b
        .units
        .iter()
        .map(|u| {
            json!({ "code": u.region.to_string(), "name": name(&u.region), "directions": u.directions,
                         "demonstration": u.demonstration })
        })
        .collect();
    json!({
        "key": p.key.to_string(), "title": p.title, "issuer": p.issuer, "doc_number": p.doc_number,
        "issued": p.issued.text(), "period": p.period.text(), "scope": name(&p.scope), "scope_code": p.scope.to_string(),
        "unit_level": p.unit_level.label(), "stages": stages, "deliverables": deliverables, "deadlines": deadlines,
        "deadlines_all_units": deadlines * b.units.len(), "directions": b.directions.len(), "quotas": quotas, "units": units,
    })
}

/// A province admin or city reviewer may set programmes up (inside its own region).
pub(super) fn may_set_up(p: &Principal) -> Option<Response> {
    (!p.is_reviewer()).then(|| message(StatusCode::FORBIDDEN, "无权访问", "试点项目由省级管理员和市级审核员设立。"))
}

/// An upload posted to a setup page (a programme document, a notice, a units sheet): the
/// signed-in account that may set programmes up and what it posted with the form's token
/// checked, or the page to answer instead.
pub(super) async fn setup_upload(
    req: &Request,
    state: &State,
    form: &mut Multipart,
) -> Result<(Principal, super::Upload), Response> {
    let p = signed_in(req, state).await?;
    let upload = super::upload(form).await;
    if let Some(page) = form_refused(req, state, &upload.csrf) {
        return Err(page);
    }
    if let Some(r) = may_set_up(&p) {
        return Err(r);
    }
    Ok((p, upload))
}

/// The upload form.
#[handler]
pub async fn new_form(req: &Request, Data(state): Data<&State>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(r) = may_set_up(&p) {
        return r;
    }
    page("dashboard/programme_new.html", &json!({ "user": user(state, &p, req).await }))
}

/// Previews an uploaded or pasted document; stores nothing.
#[handler]
pub async fn preview_document(req: &Request, Data(state): Data<&State>, mut form: Multipart) -> Response {
    let (p, super::Upload { file, text, .. }) = match setup_upload(req, state, &mut form).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    // A file chosen wins over pasted text.
    let text = match file.filter(|(_, b)| !b.is_empty()) {
        None => text,
        Some((_, bytes)) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                return message(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "未能读取",
                    "文件须为 UTF-8 编码的 YAML 或 JSON 文本。",
                );
            }
        },
    };
    if text.trim().is_empty() {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "未能读取",
            "请选择试点项目文件，或把文件内容粘贴到文本框中。",
        );
    }
    show_preview(req, state, &p, &text).await
}

pub(super) async fn show_preview(req: &Request, state: &State, p: &Principal, text: &str) -> Response {
    let (preview, problems) = match service::parse_programme(text) {
        Err(problem) => (None, vec![problem]),
        Ok(doc) => match service::preview_programme(&state.store, doc).await {
            Ok(Ok(mut pv)) => {
                let scope_path = pv.bundle.programme.scope.implied_path();
                if p.check(Access::DefineProgramme { scope_path: &scope_path }).is_err() {
                    pv.problems.insert(
                        0,
                        Problem {
                            at: "programme.scope".into(),
                            message: format!("您的账号不能在{}设立试点项目", pv.bundle.programme.scope),
                            rule: None,
                        },
                    );
                }
                let problems = pv.problems.clone();
                (Some(pv), problems)
            }
            Ok(Err(problem)) => (None, vec![problem]),
            Err(e) => return failed(e.into()),
        },
    };
    let importable = preview.is_some() && problems.is_empty();
    let ctx = json!({
        "user": user(state, p, req).await,
        "preview": preview.as_ref().map(preview_json),
        "problems": problems.iter().map(problem_json).collect::<Vec<_>>(),
        "importable": importable,
        "document": base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
        "text": text,
    });
    let mut r = page("dashboard/programme_preview.html", &ctx);
    if !importable {
        r.set_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    r
}

#[derive(Deserialize)]
pub struct ImportForm {
    document: String,
    #[serde(default)]
    csrf: String,
}

/// Imports the previewed document (checked again, all or nothing) and opens its board.
#[handler]
pub async fn import(req: &Request, Data(state): Data<&State>, f: poem::Result<Form<ImportForm>>) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let text = match base64::engine::general_purpose::STANDARD.decode(f.document.as_bytes()).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        _ => return super::work::unreadable(),
    };
    let doc = match service::parse_programme(&text) {
        Ok(d) => d,
        Err(_) => return show_preview(req, state, &p, &text).await,
    };
    let scope_path = doc.programme.scope.implied_path();
    if p.check(Access::DefineProgramme { scope_path: &scope_path }).is_err() {
        return message(StatusCode::FORBIDDEN, "无权访问", "您的账号不能在这个地区设立试点项目。");
    }
    match service::import_programme(&state.store, doc, &accounts::actor(&p, state.now())).await {
        Ok(Imported::Programme { key, .. }) => redirect(&format!("/ui/p/{key}")),
        Ok(_) => super::work::unreadable(),
        Err(crate::store::StoreError::Refused(_)) => show_preview(req, state, &p, &text).await,
        Err(e) => failed(e.into()),
    }
}

/// The programme of the path, for the unit-admission pages.
fn programme_key(k: &str) -> Option<crate::domain::Key> {
    crate::domain::Key::parse(k).ok()
}

fn no_programme() -> Response {
    message(StatusCode::NOT_FOUND, "未找到", "没有这个试点项目。")
}

/// The upload form for admitting units from a sheet.
#[handler]
pub async fn admit_form(req: &Request, Data(state): Data<&State>, Path(k): Path<String>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(r) = may_set_up(&p) {
        return r;
    }
    let Some(key) = programme_key(&k) else { return no_programme() };
    let title = match state.store.programme(&key).await {
        Ok(Some(s)) => s.programme.title,
        Ok(None) => return no_programme(),
        Err(e) => return failed(e.into()),
    };
    page(
        "dashboard/units_import.html",
        &json!({ "user": user(state, &p, req).await, "key": key.to_string(), "title": title }),
    )
}

/// Checks the uploaded units sheet row by row; stores nothing.
#[handler]
pub async fn admit_preview(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    mut form: Multipart,
) -> Response {
    let (p, super::Upload { file, .. }) = match setup_upload(req, state, &mut form).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Some(key) = programme_key(&k) else { return no_programme() };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return message(StatusCode::UNPROCESSABLE_ENTITY, "未能读取", "请选择要导入的表格文件（XLSX 或 CSV）。");
    };
    let rows = match crate::service::sheet::read(&name, &bytes, &units::COLUMNS[..3]) {
        Ok(r) => r,
        Err(e) => {
            return super::explained(
                StatusCode::UNPROCESSABLE_ENTITY,
                "未能读取",
                "请上传 XLSX 或 UTF-8 编码的 CSV 表格，第一行为列名：区划代码、单位名称、试点方向（负责人、联系电话可选）。",
                Some(&e.to_string()),
            );
        }
    };
    let verdicts = match units::preview(&state.store, &p, &key, &rows).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let bad = verdicts.iter().filter(|v| v.problem.is_some()).count();
    let ctx = json!({
        "user": user(state, &p, req).await, "key": key.to_string(), "filename": name, "bad": bad,
        "importable": bad == 0 && !verdicts.is_empty(),
        "rows": verdicts.iter().map(|v| json!({ "row": v.row, "code": v.code, "sheet_name": v.sheet_name,
            "region_name": v.region_name, "directions": v.directions, "lead": v.lead, "problem": v.problem })).collect::<Vec<_>>(),
        "sheet": base64::engine::general_purpose::STANDARD.encode(&bytes),
    });
    let mut r = page("dashboard/units_preview.html", &ctx);
    if bad > 0 {
        r.set_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    r
}

#[derive(Deserialize)]
pub struct AdmitForm {
    sheet: String,
    #[serde(default)]
    filename: String,
    #[serde(default)]
    csrf: String,
}

/// Admits the previewed sheet's units, all or none, and opens the board.
#[handler]
pub async fn admit_import(
    req: &Request,
    Data(state): Data<&State>,
    Path(k): Path<String>,
    f: poem::Result<Form<AdmitForm>>,
) -> Response {
    let (p, f) = match posted(req, state, f).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Some(key) = programme_key(&k) else { return no_programme() };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(f.sheet.as_bytes()) else {
        return super::work::unreadable();
    };
    let rows = match crate::service::sheet::read(&f.filename, &bytes, &units::COLUMNS[..3]) {
        Ok(r) => r,
        Err(_) => return super::work::unreadable(),
    };
    match units::import(&state.store, &p, &key, &rows, state.now()).await {
        Ok(_) => redirect(&format!("/ui/p/{key}")),
        Err(e) => failed(e),
    }
}

posted_forms!(ImportForm, AdmitForm);
