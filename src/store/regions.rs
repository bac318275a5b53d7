//! Regions: the reference tree, loaded from fixtures and read by everything else.

use serde_json::json;

use super::audit::{AUDIT, Actor, head};
use super::rows::{RegionRow, decode, encode};
use super::{Store, StoreError, rows};
use crate::domain::{Region, RegionCode, RegionTree};

impl Store {
    /// Inserts or replaces regions by code, all in one transaction.
    pub async fn upsert_regions(&self, regions: &[Region]) -> Result<usize, StoreError> {
        let rows: Vec<RegionRow> = regions.iter().map(RegionRow::from).collect();
        let vars = json!({ "rows": encode(&rows) });
        self.query(
            "BEGIN TRANSACTION;
             FOR $r IN $rows { UPSERT type::record('region', $r.code) CONTENT $r; };
             COMMIT TRANSACTION;",
            vars,
        )
        .await?;
        Ok(regions.len())
    }

    /// Adds the regions whose codes are not in the table yet, in batches of one transaction
    /// each; regions present (perhaps renamed by an administrator) are left as they are.
    /// Returns how many were added.
    pub async fn insert_missing_regions(&self, regions: &[Region]) -> Result<usize, StoreError> {
        let have = codes_of(self.query("SELECT VALUE code FROM region", json!({})).await?);
        let missing: Vec<RegionRow> =
            regions.iter().filter(|r| !have.contains(r.code.as_str())).map(RegionRow::from).collect();
        let mut added = 0;
        for batch in missing.chunks(2000) {
            let mut batch = batch.to_vec();
            // Instances starting together add the same regions: a batch refused because another
            // added some of them meanwhile is tried again with those still missing.
            for attempt in 0.. {
                let sql = "BEGIN TRANSACTION;
                     FOR $r IN $rows { CREATE type::record('region', $r.code) CONTENT $r; };
                     COMMIT TRANSACTION;";
                match self.query(sql, json!({ "rows": encode(&batch) })).await {
                    Ok(_) => {
                        added += batch.len();
                        break;
                    }
                    Err(e) if attempt >= 5 => return Err(e),
                    Err(_) => {
                        let codes: Vec<&str> = batch.iter().map(|r| r.code.as_str()).collect();
                        let sql = "SELECT VALUE code FROM region WHERE code IN $c";
                        let there = codes_of(self.query(sql, json!({ "c": codes })).await?);
                        batch.retain(|r| !there.contains(&r.code));
                        if batch.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
        Ok(added)
    }

    /// The digest of a reference table loaded earlier (the national regions), if any.
    pub async fn reference_digest(&self, name: &str) -> Result<Option<String>, StoreError> {
        #[derive(serde::Deserialize)]
        struct R {
            digest: String,
        }
        let r: Option<R> = self
            .select_one("SELECT digest FROM type::record('reference', $n)", json!({ "n": name }), "reference")
            .await?;
        Ok(r.map(|r| r.digest))
    }

    pub async fn set_reference_digest(&self, name: &str, digest: &str, count: usize) -> Result<(), StoreError> {
        self.query(
            "UPSERT type::record('reference', $n) CONTENT { digest: $d, count: $c }",
            json!({ "n": name, "d": digest, "c": count }),
        )
        .await
        .map(|_| ())
    }

    /// Regions whose name contains `q`, inside `under` when given (by code prefix), by code.
    pub async fn search_regions(
        &self,
        q: &str,
        under: Option<&RegionCode>,
        limit: u64,
    ) -> Result<Vec<Region>, StoreError> {
        let prefix = under.map(code_prefix).unwrap_or_default();
        self.select_rows::<RegionRow>(
            "SELECT * FROM region WHERE string::contains(name, $q) AND string::starts_with(code, $p)
             ORDER BY code LIMIT $l",
            json!({ "q": q, "p": prefix, "l": limit }),
        )
        .await
    }

    /// Renames a region (更名) and the units that stand for it, audited; codes do not change,
    /// so filings stay with their units.
    pub async fn rename_region(&self, region: &Region, name: &str, actor: &Actor) -> Result<Region, StoreError> {
        let after = Region { name: name.to_owned(), ..region.clone() };
        let path: Vec<String> = region.code.implied_path().iter().map(|c| c.to_string()).collect();
        let sql = format!(
            "BEGIN TRANSACTION;
             UPDATE type::record('region', $c) SET name = $n;
             UPDATE unit SET name = $n WHERE region = $c;
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "c": region.code.as_str(), "n": name,
            "before": encode(&RegionRow::from(region)), "after": encode(&RegionRow::from(&after)),
            "audit": head(actor, "region.rename", &format!("region:{}", region.code), None, Some(path)),
        });
        self.query(&sql, vars).await?;
        Ok(after)
    }

    pub async fn region(&self, code: &RegionCode) -> Result<Option<Region>, StoreError> {
        let mut out = self.query("SELECT * FROM region WHERE code = $c", json!({ "c": code.as_str() })).await?;
        match out.pop().map(rows).and_then(|mut r| r.pop()) {
            Some(v) => Ok(Some(decode::<RegionRow>("region", v)?.into_domain()?)),
            None => Ok(None),
        }
    }

    /// The regions of these codes (those that exist), in one read.
    pub async fn regions(&self, codes: &[RegionCode]) -> Result<Vec<Region>, StoreError> {
        let codes: Vec<&str> = codes.iter().map(RegionCode::as_str).collect();
        self.select_rows::<RegionRow>("SELECT * FROM region WHERE code IN $c ORDER BY code", json!({ "c": codes }))
            .await
    }

    /// Regions whose parent is `parent` (the provinces when `None`), ordered by code.
    pub async fn child_regions(
        &self,
        parent: Option<&RegionCode>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Region>, u64), StoreError> {
        let parent = parent.map(|p| p.to_string()).unwrap_or_else(|| RegionCode::NATION.to_owned());
        let out = self
            .query(
                "SELECT * FROM region WHERE parent = $p ORDER BY code LIMIT $l START $o;
                 SELECT count() AS n FROM region WHERE parent = $p GROUP ALL;",
                json!({ "p": parent, "l": limit, "o": offset }),
            )
            .await?;
        let mut it = out.into_iter();
        let list = rows(it.next().unwrap_or_default())
            .into_iter()
            .map(|v| decode::<RegionRow>("region", v)?.into_domain())
            .collect::<Result<_, _>>()?;
        Ok((list, count(it.next())))
    }

    /// The part of the tree a programme needs: everything under `scope` and the chain above it,
    /// plus `extra` regions with their chains (so a region outside the scope is known to be
    /// outside, not mistaken for unknown).
    pub async fn tree_for(&self, scope: &RegionCode, extra: &[RegionCode]) -> Result<RegionTree, StoreError> {
        let prefix = code_prefix(scope);
        let mut above = Vec::new();
        for start in std::iter::once(scope).chain(extra) {
            if start != scope {
                above.push(start.to_string());
            }
            let mut next = start.implied_parent();
            while let Some(p) = next {
                next = p.implied_parent();
                above.push(p.to_string());
            }
        }
        above.sort();
        above.dedup();
        let out = self
            .query(
                "SELECT * FROM region WHERE string::starts_with(code, $p) OR code IN $above",
                json!({ "p": prefix, "above": above }),
            )
            .await?;
        let regions = rows(out.into_iter().next().unwrap_or_default())
            .into_iter()
            .map(|v| decode::<RegionRow>("region", v)?.into_domain())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RegionTree::new(regions))
    }
}

/// The codes a `SELECT VALUE code` returned.
fn codes_of(out: Vec<serde_json::Value>) -> std::collections::HashSet<String> {
    let first = out.into_iter().next().map(rows).unwrap_or_default();
    first.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

/// The leading digits every code below `scope` shares: 350000 → "35", 350100 → "3501".
fn code_prefix(scope: &RegionCode) -> String {
    if scope.as_str() == RegionCode::NATION {
        return String::new();
    }
    let mut s = scope.as_str();
    while s.len() > 2 && s.ends_with("00") {
        s = &s[..s.len() - 2];
    }
    s.to_owned()
}

/// Reads `SELECT count() ... GROUP ALL` (no row when nothing matched).
pub(super) fn count(v: Option<serde_json::Value>) -> u64 {
    v.map(rows).and_then(|r| r.into_iter().next()).and_then(|row| row.get("n").and_then(|n| n.as_u64())).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_cover_the_subtree() {
        let p = |s: &str| code_prefix(&RegionCode::parse(s).unwrap());
        assert_eq!(p("350000"), "35");
        assert_eq!(p("350100"), "3501");
        assert_eq!(p("520402"), "520402");
        assert_eq!(p("000000"), "");
    }
}
