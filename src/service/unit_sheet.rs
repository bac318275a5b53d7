//! Admitting pilot units from the sheet a department keeps (区划代码, 单位名称, 试点方向, 负责人):
//! every row checked as the admission rule checks one unit — scope, level, the direction quota
//! per unit and per group, duplicates — against the units already in and the rows above it;
//! then all admitted in one transaction, or none.

use chrono::{DateTime, Utc};

use super::accounts::actor;
use super::error::ServiceError;
use super::import::stored_unit;
use super::sheet::SheetRecord;
use crate::domain::access::{Access, Principal};
use crate::domain::unit::{Contact, admit};
use crate::domain::{DomainError, Key, PilotUnit, RegionCode};
use crate::store::Store;
use crate::store::rows::StoredUnit;

/// The columns, by the names departments give them; 负责人 and 联系电话 are optional.
pub const COLUMNS: [&[&str]; 5] = [
    &["区划代码", "行政区划代码"],
    &["单位名称", "名称"],
    &["试点方向", "方向"],
    &["负责人", "联系人"],
    &["联系电话", "手机", "电话"],
];

/// One row and what admitting it would do.
#[derive(Debug, Clone)]
pub struct UnitVerdict {
    pub row: usize,
    pub code: String,
    /// The name the sheet gives, and the region table's name for the code.
    pub sheet_name: String,
    pub region_name: Option<String>,
    pub directions: String,
    pub lead: String,
    /// Why the row cannot be admitted, in the rule's words (Chinese label first).
    pub problem: Option<String>,
    unit: Option<PilotUnit>,
}

/// `1、3`, `1,3`, `1；3`, `1 3`: catalogue numbers.
fn directions(s: &str) -> Result<Vec<u32>, DomainError> {
    s.split(|c: char| ",，、;；/ ".contains(c))
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.trim().parse::<u32>().map_err(|_| DomainError::invalid("directions", format!("`{p}` is not a number")))
        })
        .collect()
}

fn candidate(r: &SheetRecord) -> Result<PilotUnit, String> {
    let region = RegionCode::parse(r.get(COLUMNS[0])).map_err(|_| "区划代码应为6位或9位数字".to_owned())?;
    let directions = directions(r.get(COLUMNS[2])).map_err(|_| "试点方向应填写目录编号，如 1、3".to_owned())?;
    let lead = r.get(COLUMNS[3]);
    let phone = crate::domain::account::phone("phone", r.get(COLUMNS[4])).map_err(|_| "联系电话格式有误".to_owned())?;
    Ok(PilotUnit {
        region,
        directions,
        demonstration: false,
        lead: (!lead.is_empty()).then(|| Contact { name: lead.to_owned(), title: None, phone }),
        note: None,
    })
}

fn refusal(e: &DomainError) -> String {
    match e {
        DomainError::RuleViolated { rule, message } => format!("{}：{message}", rule.label()),
        DomainError::Invalid { field, message } => format!("{field}: {message}"),
    }
}

/// Checks every row without storing anything.
pub async fn preview(
    store: &Store,
    p: &Principal,
    key: &Key,
    rows: &[SheetRecord],
) -> Result<Vec<UnitVerdict>, ServiceError> {
    let stored = store.programme(key).await?.ok_or_else(|| ServiceError::Hidden(format!("programme `{key}`")))?;
    let reach = store.recent_reach(key).await?.unwrap_or_default();
    super::error::gate(p, Access::ReadProgramme { reach: &reach }, &format!("programme `{key}`"))?;
    let programme = &stored.programme;
    let codes: Vec<RegionCode> = rows.iter().filter_map(|r| RegionCode::parse(r.get(COLUMNS[0])).ok()).collect();
    let tree = store.tree_for(&programme.scope, &codes).await?;
    let catalogue = store.directions(key).await?;
    let mut others: Vec<PilotUnit> = store.units(key).await?.into_iter().map(|u| u.unit).collect();
    let scope_path = programme.scope.implied_path();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = UnitVerdict {
            row: r.row,
            code: r.get(COLUMNS[0]).to_owned(),
            sheet_name: r.get(COLUMNS[1]).to_owned(),
            region_name: None,
            directions: r.get(COLUMNS[2]).to_owned(),
            lead: r.get(COLUMNS[3]).to_owned(),
            problem: None,
            unit: None,
        };
        match candidate(r) {
            Err(why) => v.problem = Some(why),
            Ok(unit) => {
                v.region_name = tree.get(&unit.region).map(|g| g.name.clone());
                let path = unit.region.implied_path();
                if p.check(Access::ManageUnit { scope_path: &scope_path, unit_path: &path }).is_err() {
                    v.problem = Some("您的账号不能接纳这个地区的试点单位".into());
                } else {
                    match admit(programme, &tree, &catalogue, &others, &unit) {
                        Ok(_) => {
                            others.push(unit.clone());
                            v.unit = Some(unit);
                        }
                        Err(e) => v.problem = Some(refusal(&e)),
                    }
                }
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// Admits every row of the sheet in one transaction, or none (naming the first bad row).
pub async fn import(
    store: &Store,
    p: &Principal,
    key: &Key,
    rows: &[SheetRecord],
    now: DateTime<Utc>,
) -> Result<Vec<StoredUnit>, ServiceError> {
    if rows.is_empty() {
        return Err(DomainError::invalid("file", "the sheet has no units").into());
    }
    let verdicts = preview(store, p, key, rows).await?;
    if let Some(bad) = verdicts.iter().find(|v| v.problem.is_some()) {
        return Err(DomainError::invalid(
            format!("rows[{}]", bad.row),
            format!("row {}: {}; nothing was admitted", bad.row, bad.problem.clone().unwrap_or_default()),
        )
        .into());
    }
    let units: Vec<PilotUnit> = verdicts.into_iter().filter_map(|v| v.unit).collect();
    let codes: Vec<RegionCode> = units.iter().map(|u| u.region.clone()).collect();
    // Checked again against the programme as it stands inside the store's retry loop.
    let stored = store
        .admit_units(key, &codes, &actor(p, now), |ctx| {
            let mut others = ctx.others.to_vec();
            let mut out = Vec::with_capacity(units.len());
            for u in &units {
                let placement = admit(ctx.programme, ctx.tree, ctx.catalogue, &others, u)?;
                others.push(u.clone());
                out.push(stored_unit(ctx.tree, u.clone(), placement)?);
            }
            Ok(out)
        })
        .await?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_as_sheets_write_them() {
        assert_eq!(directions("1、3").unwrap(), [1, 3]);
        assert_eq!(directions("2，4；5").unwrap(), [2, 4, 5]);
        assert_eq!(directions("").unwrap(), Vec::<u32>::new());
        assert!(directions("一").is_err());
    }
}
