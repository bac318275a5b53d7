//! Bulletin use-cases: gather what a bulletin is composed from at one instant (the domain's
//! `bulletin::compose` decides what it says), draft, annotate, publish under the next number. A
//! monthly bulletin of a scored programme needs that month's published ranking: leaders are
//! never shown a ranking that can still move.

use std::collections::HashMap;

use chrono::{DateTime, Days, Utc};

use crate::domain::access::{Access, Principal};
use crate::domain::bulletin::{self, Bulletin, Content, Edit, Period, Sources, Style, Trend};
use crate::domain::deadline::{YearMonth, local_day};
use crate::domain::scoring::PublishedRanking;
use crate::domain::{DomainError, Key, RegionCode, Rule};
use crate::service::accounts::actor;
use crate::service::filings::{ServiceError, compliance, gate};
use crate::store::Store;

/// What a draft is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub period: Period,
    /// A city (or the programme's own region, the default) the bulletin is about.
    pub region: Option<RegionCode>,
}

/// The region a bulletin is about, checked against the programme, and its path.
async fn region_of(
    store: &Store,
    scope: &RegionCode,
    region: Option<&RegionCode>,
) -> Result<(RegionCode, Vec<RegionCode>, String), ServiceError> {
    let region = region.cloned().unwrap_or_else(|| scope.clone());
    let path = region.implied_path();
    if !path.contains(scope) {
        return Err(DomainError::invalid(
            "region",
            format!(
                "{region} is outside the programme's region {scope}; a bulletin covers the programme or a region in it"
            ),
        )
        .into());
    }
    let name = store
        .region(&region)
        .await?
        .map(|r| r.name)
        .ok_or_else(|| DomainError::invalid("region", format!("unknown region {region}")))?;
    Ok((region, path, name))
}

/// The bulletin's figures at `now`. No permission check: callers check (or are the scheduler).
pub async fn compose(store: &Store, key: &Key, req: &Request, now: DateTime<Utc>) -> Result<Content, ServiceError> {
    let (stored, parts) = store.board_parts(key).await?;
    let p = &stored.programme;
    let (region, _, region_name) = region_of(store, &p.scope, req.region.as_ref()).await?;
    let scheme = store.scheme(key).await?;
    let (published, history) = match (bulletin::ranked_month(&req.period, scheme.as_ref()), &scheme) {
        (Some(m), Some(s)) => {
            (crate::service::scoring::published(store, key, m).await?, history(store, key, s.ranking_from, m).await?)
        }
        _ => (None, vec![]),
    };
    let matrix = compliance(store, &Principal::system_reader("bulletin"), key, Some(&region), now).await?;
    let mut cities: Vec<RegionCode> = matrix.lines.iter().filter_map(|l| l.city.clone()).collect();
    cities.sort();
    cities.dedup();
    let city_names: HashMap<RegionCode, String> =
        store.regions(&cities).await?.into_iter().map(|r| (r.code, r.name)).collect();
    let (filings, bulletins, orders) =
        tokio::try_join!(store.exemplary_filings(key), store.bulletins(key), store.orders(key))?;
    let mut content = bulletin::compose(&Sources {
        programme: p,
        stages: &parts.stages,
        period: &req.period,
        region: &region,
        region_name: &region_name,
        matrix: &matrix,
        scheme: scheme.as_ref(),
        published: published.as_ref(),
        history: &history,
        city_names: &city_names,
        filings: &filings,
        bulletins: &bulletins,
        now,
    })?;
    // The orders about the region's units still open (issued by now), oldest number first.
    let mut live: Vec<_> = orders
        .iter()
        .filter(|o| o.is_live() && o.issued_at <= now && o.unit_path.contains(&region))
        .map(bulletin::OrderLine::from)
        .collect();
    live.sort_by_key(|o| o.number);
    content.orders = live;
    Ok(content)
}

/// The newest published version of each month from `from` to `upto` that was published.
pub async fn history(
    store: &Store,
    key: &Key,
    from: YearMonth,
    upto: YearMonth,
) -> Result<Vec<PublishedRanking>, ServiceError> {
    let mut all = Vec::new();
    let mut m = from;
    while m <= upto {
        all.extend(store.rankings(key, m).await?.pop());
        m = m.next();
    }
    Ok(all)
}

/// The published scores, month by month up to `upto`, of the top three and bottom three units
/// of `ranking`.
pub async fn score_trends(
    store: &Store,
    key: &Key,
    from: YearMonth,
    upto: YearMonth,
    ranking: &[bulletin::RankLine],
) -> Result<Vec<Trend>, ServiceError> {
    Ok(bulletin::trends(&history(store, key, from, upto).await?, ranking))
}

/// May this account write (draft, edit, publish) bulletins about `region_path`?
fn may_write(p: &Principal, region_path: &[RegionCode]) -> Result<(), ServiceError> {
    gate(p, Access::WriteBulletin { region_path }, "bulletin")
}

/// May this account read this bulletin? (Drafts only for those who may write them.)
pub fn may_read(p: &Principal, b: &Bulletin) -> Result<(), ServiceError> {
    gate(p, Access::ReadBulletin { region_path: &b.region_path, published: b.is_published() }, "bulletin")
}

/// Drafts a bulletin, or recomputes the draft already open for the same period and region
/// (keeping its remarks). `by` is the account, or none for the scheduler.
pub async fn draft(
    store: &Store,
    by: Option<&Principal>,
    key: &Key,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Bulletin, ServiceError> {
    let stored = store.programme(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    if let Some(p) = by {
        let reach = store.recent_reach(key).await?.unwrap_or_default();
        gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    }
    let (region, path, _) = region_of(store, &stored.programme.scope, req.region.as_ref()).await?;
    if let Some(p) = by {
        may_write(p, &path)?;
    }
    let existing = store.bulletins(key).await?;
    let (published, drafts): (Vec<_>, Vec<_>) =
        existing.into_iter().filter(|b| b.is_issue(&req.period, &region)).partition(Bulletin::is_published);
    if let Some(p) = published.first().and_then(|b| b.published.as_ref()) {
        return Err(DomainError::rule(
            Rule::AlreadyPublished,
            format!("bulletin 第{}期 for {} is published and cannot be redrafted", p.number, req.period),
        )
        .into());
    }
    let open = drafts.into_iter().next();
    let mut c = compose(store, key, &Request { region: Some(region.clone()), ..req.clone() }, now).await?;
    // 主送 and 抄送: as the open draft was edited, else the programme's style, else the default.
    let style = store.bulletin_style(key).await?;
    match &open {
        Some(b) => (c.addressee, c.copy_to) = (b.content.addressee.clone(), b.content.copy_to.clone()),
        None => {
            if let Some(a) = style.addressee {
                c.addressee = a;
            }
            c.copy_to = style.copy_to;
        }
    }
    let actor = match by {
        Some(p) => actor(p, now),
        None => crate::store::audit::Actor::system("monthly-drafts", now),
    };
    let draft = Bulletin {
        key: open.as_ref().map(|b| b.key.clone()).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
        programme: key.clone(),
        region,
        region_path: path,
        period: req.period.clone(),
        title: bulletin::title(&c),
        remarks: open.as_ref().and_then(|b| b.remarks.clone()),
        content: c,
        revision: open.as_ref().map_or(1, |b| b.revision + 1),
        created_at: now,
        created_by: actor.username.clone(),
        published: None,
    };
    store.save_bulletin_draft(&draft, open.as_ref().map(|b| (b.key.as_str(), b.revision)), &actor).await?;
    Ok(draft)
}

/// A bulletin this account may read.
pub async fn get(store: &Store, p: &Principal, id: &str) -> Result<Bulletin, ServiceError> {
    let b = store.bulletin(id).await?.ok_or_else(|| ServiceError::Hidden(format!("bulletin {id}")))?;
    may_read(p, &b)?;
    Ok(b)
}

/// Changes a draft's title, remarks, 主送 or 抄送; a published bulletin is refused.
pub async fn edit(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    edit: &Edit<'_>,
    now: DateTime<Utc>,
) -> Result<Bulletin, ServiceError> {
    let b = get(store, p, id).await?;
    may_write(p, &b.region_path)?;
    // The revision the client acted on is checked by the store, in the write's transaction.
    let edited = Bulletin { revision, ..b }.edited(edit)?;
    store.save_bulletin_draft(&edited, Some((id, revision)), &actor(p, now)).await?;
    Ok(edited)
}

/// Publishes a draft under the programme's next number.
pub async fn publish(
    store: &Store,
    p: &Principal,
    id: &str,
    revision: u32,
    now: DateTime<Utc>,
) -> Result<Bulletin, ServiceError> {
    let b = get(store, p, id).await?;
    may_write(p, &b.region_path)?;
    b.refuse_published()?;
    let style = store.bulletin_style(&b.programme).await?;
    store.publish_bulletin(id, revision, style.number_pattern.as_ref(), &actor(p, now)).await?;
    store.bulletin(id).await?.ok_or_else(|| ServiceError::Hidden(format!("bulletin {id}")))
}

/// How a programme's bulletins are headed; anyone who may read the programme may see it.
pub async fn style(store: &Store, p: &Principal, key: &Key) -> Result<Style, ServiceError> {
    let reach = store.recent_reach(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    Ok(store.bulletin_style(key).await?)
}

/// Sets how a programme's bulletins are headed: for those who may publish its bulletins about
/// the whole programme region.
pub async fn set_style(
    store: &Store,
    p: &Principal,
    key: &Key,
    style: &Style,
    now: DateTime<Utc>,
) -> Result<Style, ServiceError> {
    let stored = store.programme(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    let reach = store.recent_reach(key).await?.unwrap_or_default();
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    may_write(p, &stored.programme.scope.implied_path())?;
    store.set_bulletin_style(key, style, &actor(p, now)).await?;
    Ok(style.clone())
}

/// The bulletins of a programme this account may read.
pub async fn list(store: &Store, p: &Principal, key: &Key) -> Result<Vec<Bulletin>, ServiceError> {
    let reach = store.recent_reach(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    gate(p, Access::ReadProgramme { reach: &reach }, "programme")?;
    Ok(store.bulletins(key).await?.into_iter().filter(|b| may_read(p, b).is_ok()).collect())
}

/// The month before `now`'s local date, which the scheduler drafts on the 1st.
pub fn last_month(now: DateTime<Utc>) -> YearMonth {
    use chrono::Datelike;
    let today = local_day(now);
    let prev = today.checked_sub_days(Days::new(u64::from(today.day()))).expect("dates stay in range");
    YearMonth { year: prev.year(), month: prev.month() }
}
