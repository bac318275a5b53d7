//! The region table: the national table shipped with the binary (loaded at start-up), search by
//! name with each hit's full path, and renames (更名) by a province admin.

use std::io::Read;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::accounts::actor;
use super::error::ServiceError;
use crate::domain::access::{Access, Principal};
use crate::domain::{DomainError, Region, RegionCode};
use crate::store::{Store, StoreError};

/// Every province, city, county and township with its statistical code (see
/// `fixtures/national/SOURCE.md`): `code<TAB>name` lines, gzip-compressed.
const NATIONAL: &[u8] = include_bytes!("../../fixtures/national/regions.tsv.gz");

/// The reference record that remembers which national table was loaded.
const MARKER: &str = "national_regions";

/// The national table as regions (parents implied by the codes).
pub fn national() -> Result<Vec<Region>, DomainError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(NATIONAL)
        .read_to_string(&mut text)
        .map_err(|e| DomainError::invalid("national_regions", e.to_string()))?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (code, name) = line
                .split_once('\t')
                .ok_or_else(|| DomainError::invalid("national_regions", format!("bad line `{line}`")))?;
            Region::new(RegionCode::parse(code)?, name, None, None)
        })
        .collect()
}

fn digest() -> String {
    format!("{:x}", Sha256::digest(NATIONAL))
}

/// Was this national table loaded into the store already?
pub async fn national_loaded(store: &Store) -> Result<bool, StoreError> {
    Ok(store.reference_digest(MARKER).await?.as_deref() == Some(digest().as_str()))
}

/// Adds the national table's regions missing from the database; regions present are kept as
/// they are (a rename made here survives). Skipped at once when this table was loaded before.
/// Returns how many regions were added.
pub async fn load_national(store: &Store) -> Result<usize, StoreError> {
    if national_loaded(store).await? {
        return Ok(0);
    }
    let regions = national()?;
    let added = store.insert_missing_regions(&regions).await?;
    store.set_reference_digest(MARKER, &digest(), regions.len()).await?;
    Ok(added)
}

/// A region with the names of the regions above it (贵州省 安顺市 西秀区 旧州镇).
#[derive(Debug, Clone)]
pub struct Found {
    pub region: Region,
    /// Names from the province down to the region itself.
    pub path_names: Vec<String>,
}

/// Regions whose name contains `q` (at most `limit`), inside `under` when given.
pub async fn search(
    store: &Store,
    q: &str,
    under: Option<&RegionCode>,
    limit: u64,
) -> Result<Vec<Found>, ServiceError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 32 {
        return Err(DomainError::invalid("q", "search for 1 to 32 characters of a region's name").into());
    }
    let hits = store.search_regions(q, under, limit).await?;
    let mut above: Vec<RegionCode> = hits.iter().flat_map(|r| r.code.implied_path()).collect();
    above.sort();
    above.dedup();
    let names: std::collections::HashMap<RegionCode, String> =
        store.regions(&above).await?.into_iter().map(|r| (r.code, r.name)).collect();
    Ok(hits
        .into_iter()
        .map(|region| {
            let mut path_names: Vec<String> = region
                .code
                .implied_path()
                .iter()
                .filter(|c| c.as_str() != RegionCode::NATION && **c != region.code)
                .filter_map(|c| names.get(c).cloned())
                .collect();
            path_names.push(region.name.clone());
            Found { region, path_names }
        })
        .collect())
}

/// Renames a region (更名): its province admin only; units standing for it take the new name,
/// their code (and so their filings) unchanged.
pub async fn rename(
    store: &Store,
    p: &Principal,
    code: &RegionCode,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Region, ServiceError> {
    let region = store.region(code).await?.ok_or_else(|| ServiceError::Hidden(format!("region {code}")))?;
    super::error::gate(p, Access::ManageRegion { region_path: &code.implied_path() }, "region")?;
    let renamed = Region::new(code.clone(), name, Some(region.level), region.parent.clone())?;
    Ok(store.rename_region(&region, &renamed.name, &actor(p, now)).await?)
}

/// Gives a region another code (撤并 into an existing region, or a new code after 撤县设区 and
/// the like), by the province admin whose province holds both codes; audited. The region's
/// subordinates take the new prefix; units, accounts and their records follow, so old filings
/// stay with their unit. The old code stays readable, marked with its successor.
pub async fn recode(
    store: &Store,
    p: &Principal,
    code: &RegionCode,
    new_code: &RegionCode,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Region, ServiceError> {
    let region = store.region(code).await?.ok_or_else(|| ServiceError::Hidden(format!("region {code}")))?;
    super::error::gate(p, Access::ManageRegion { region_path: &code.implied_path() }, "region")?;
    super::error::gate(p, Access::ManageRegion { region_path: &new_code.implied_path() }, "region")?;
    let target = store.region(new_code).await?;
    let parent = match &target {
        Some(t) => t.parent.clone(),
        // A new code under the same parent keeps the region's (possibly explicit) parent.
        None if new_code.implied_parent() == code.implied_parent() => region.parent.clone(),
        None => new_code.implied_parent(),
    };
    let parent = parent.ok_or_else(|| DomainError::invalid("code", format!("{new_code} has no parent region")))?;
    let tree = store.tree_for(&parent, &[]).await?;
    let Some(parent_region) = tree.get(&parent) else {
        return Err(DomainError::invalid(
            "code",
            format!("the region above {new_code}, {parent}, is not in the table"),
        )
        .into());
    };
    let mut parent_path: Vec<RegionCode> = tree.ancestors(&parent).into_iter().rev().map(|r| r.code.clone()).collect();
    parent_path.push(parent_region.code.clone());
    let descendants = store.current_descendants(code).await?;
    let plan = crate::domain::region::recode(&region, new_code, name, target.as_ref(), &parent_path, &descendants)?;
    Ok(store.recode_region(&region, &plan, &actor(p, now)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_table_reads_and_holds_the_seeds_regions() {
        let all = national().unwrap();
        assert_eq!(all.len(), 44_700);
        let find = |c: &str| all.iter().find(|r| r.code.as_str() == c).map(|r| r.name.as_str());
        assert_eq!(find("520402109"), Some("旧州镇"));
        assert_eq!(find("360102"), Some("东湖区"));
        assert_eq!(find("640200"), Some("石嘴山市"));
        let township = all.iter().find(|r| r.code.as_str() == "520402109").unwrap();
        assert_eq!(township.parent.as_ref().map(RegionCode::as_str), Some("520402"));
    }
}
