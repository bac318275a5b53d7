//! 行政区划 for the province admin: find a region by name inside the province, rename it (更名),
//! or give it another code (撤并 into an existing one, or a new code) — the units, accounts and
//! filings that name it follow. Through `service::regions`, as the API.

use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::posted_fields;
use super::pages::{page, user};
use super::{failed, message, redirect, signed_in};
use crate::api::State;
use crate::domain::RegionCode;
use crate::domain::access::{Access, Principal};
use crate::service::regions;

fn may_manage(p: &Principal) -> Option<Response> {
    p.check(Access::ManageRegion { region_path: &p.region_path })
        .is_err()
        .then(|| message(StatusCode::FORBIDDEN, "无权访问", "行政区划由省级管理员维护。"))
}

#[derive(Deserialize)]
pub struct RegionsQuery {
    q: Option<String>,
    done: Option<String>,
}

/// `GET /ui/regions?q=`: the regions of the admin's province whose name contains `q`.
#[handler]
pub async fn list(req: &Request, Data(state): Data<&State>, Query(q): Query<RegionsQuery>) -> Response {
    let p = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(r) = may_manage(&p) {
        return r;
    }
    let wanted = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let hits: Vec<Value> = match wanted {
        None => vec![],
        Some(text) => match regions::search(&state.store, text, Some(&p.region), 50).await {
            Ok(found) => found
                .iter()
                .map(|f| {
                    json!({ "code": f.region.code.as_str(), "name": f.region.name, "full": f.path_names.join(" "),
                            "level": f.region.level.label() })
                })
                .collect(),
            Err(e) => return failed(e),
        },
    };
    let notice = match q.done.as_deref() {
        Some("renamed") => Some("已更名。使用该区划的试点单位同时更名，报送材料不受影响。"),
        Some("recoded") => Some("已改用新代码。试点单位、账号和报送材料随之变更；旧代码保留备查。"),
        _ => None,
    };
    let ctx = json!({ "user": user(state, &p, req).await, "q": wanted.unwrap_or(""), "hits": hits,
                      "searched": wanted.is_some(), "notice": notice });
    page("dashboard/regions.html", &ctx)
}

/// `POST /ui/regions/:code/:action` with `action` = `rename` | `recode`.
#[handler]
pub async fn change(
    req: &Request,
    Data(state): Data<&State>,
    Path((code, action)): Path<(String, String)>,
    body: String,
) -> Response {
    let (p, f) = match posted_fields(req, state, &body).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let Ok(code) = RegionCode::parse(&code) else {
        return message(StatusCode::NOT_FOUND, "未找到", "没有这个行政区划。");
    };
    let store = &state.store;
    let done = match action.as_str() {
        "rename" => regions::rename(store, &p, &code, f.get("name"), state.now()).await.map(|r| ("renamed", r)),
        "recode" => match RegionCode::parse(f.get("code")) {
            Ok(new) => match regions::recode(store, &p, &code, &new, f.get("name"), state.now()).await {
                // Found afterwards under the region that replaced it.
                Ok(old) => Ok(("recoded", store.region(&new).await.ok().flatten().unwrap_or(old))),
                Err(e) => Err(e),
            },
            Err(e) => Err(e.into()),
        },
        _ => return super::work::unreadable(),
    };
    match done {
        Ok((what, r)) => {
            let q: String = url::form_urlencoded::byte_serialize(r.name.as_bytes()).collect();
            redirect(&format!("/ui/regions?done={what}&q={q}"))
        }
        Err(e) => failed(e),
    }
}
