//! Regions: the reference tree, loaded from fixtures and read by everything else.

use serde_json::json;

use super::audit::{AUDIT, Actor, head};
use super::rows::{RegionRow, Row, StoredUnit, UnitRow, decode, encode};
use super::{Store, StoreError, rows};
use crate::domain::region::Recode;
use crate::domain::{DomainError, Key, Region, RegionCode, RegionTree, Rule};

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
            "SELECT * FROM region WHERE string::contains(name, $q) AND string::starts_with(code, $p) AND successor = NONE
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
             -- A unit's name is one of its programme's board parts, kept in memory by revision.
             UPDATE programme SET revision += 1 WHERE key IN array::distinct((SELECT VALUE programme FROM unit WHERE region = $c));
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

    /// The current regions below `region` (by code prefix), for a re-code to carry along.
    pub async fn current_descendants(&self, region: &RegionCode) -> Result<Vec<Region>, StoreError> {
        let Some(prefix) = region.subtree_prefix() else { return Ok(vec![]) };
        self.select_rows::<RegionRow>(
            "SELECT * FROM region WHERE string::starts_with(code, $p) AND code != $c AND successor = NONE ORDER BY code",
            json!({ "p": prefix, "c": region.as_str() }),
        )
        .await
    }

    /// Carries out a re-code decided by `domain::region::recode` in one transaction: the new
    /// regions added, the old ones marked with their successor, and every unit, account and
    /// record that named a changed code moved with it (filings stay with their unit). Refused when
    /// a programme covers a changed region, or when a merge would give one programme two units
    /// for the same region; refused as outdated when any of that changed between the read and the
    /// write (see [`Store::apply_recode`]).
    pub async fn recode_region(&self, old: &Region, plan: &Recode, actor: &Actor) -> Result<Region, StoreError> {
        let seen = self.recode_seen(plan).await?;
        self.apply_recode(old, plan, seen, actor).await
    }

    /// What a re-code moves and what may refuse it, read before it is written.
    pub(crate) async fn recode_seen(&self, plan: &Recode) -> Result<RecodeSeen, StoreError> {
        let codes: Vec<&str> = plan.mapping.iter().map(|(o, _)| o.as_str()).collect();
        let (old, new_code) = plan.region();
        let out = self
            .query(
                "SELECT VALUE key FROM programme WHERE scope IN $codes;
                 SELECT * FROM unit WHERE region IN $codes;
                 SELECT VALUE programme FROM unit WHERE region = $new;
                 SELECT username, region_path FROM account WHERE region IN $codes;
                 SELECT * FROM region WHERE code = $new;
                 SELECT VALUE code FROM region WHERE string::starts_with(code, $prefix) AND successor = NONE;",
                json!({ "codes": codes, "new": new_code.as_str(), "prefix": below(old) }),
            )
            .await?;
        let mut it = out.into_iter().map(rows);
        let strings = |v: Vec<serde_json::Value>| -> Vec<String> {
            v.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        };
        let covering = strings(it.next().unwrap_or_default());
        let units = it
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|j| {
                Ok((decode::<UnitRow>("unit", j.clone())?.programme, decode::<UnitRow>("unit", j)?.into_domain()?))
            })
            .collect::<Result<Vec<(String, StoredUnit)>, StoreError>>()?;
        let at_target = strings(it.next().unwrap_or_default());
        let accounts = it
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|j| decode::<AccountPlace>("account", j))
            .collect::<Result<Vec<_>, _>>()?;
        let target = it
            .next()
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|j| decode::<RegionRow>("region", j)?.into_domain())
            .transpose()?;
        let mut current = strings(it.next().unwrap_or_default());
        current.sort();
        Ok(RecodeSeen { covering, units, at_target, accounts, target, current })
    }

    /// Writes a re-code from what `recode_seen` read, in one transaction that first checks that
    /// what the plan was decided from still stands — the region and its subordinates current and
    /// the same, the same units and accounts at the changed codes, no programme covering one, no
    /// unit of a moved programme at the target — and is refused as outdated (409, nothing
    /// written) when another administrator's change came in between: a unit or account added at
    /// an old code would otherwise stay behind at a superseded region, and a second re-code of
    /// the same region would supersede it twice.
    pub(crate) async fn apply_recode(
        &self,
        old: &Region,
        plan: &Recode,
        seen: RecodeSeen,
        actor: &Actor,
    ) -> Result<Region, StoreError> {
        let RecodeSeen { covering, units, at_target, accounts, target, current } = seen;
        let (_, new_code) = plan.region();
        if let Some(k) = covering.first() {
            return Err(DomainError::invalid(
                "code",
                format!("programme `{k}` covers {}（{}）; change the programme's region first", old.name, old.code),
            )
            .into());
        }
        if let Some((k, _)) = units.iter().find(|(k, _)| at_target.contains(k)) {
            return Err(DomainError::rule(
                Rule::DuplicateUnit,
                format!("programme `{k}` already has a unit for {new_code}; withdraw one of the two units first"),
            )
            .into());
        }
        let mut codes: Vec<&str> = plan.mapping.iter().map(|(o, _)| o.as_str()).collect();
        codes.sort_unstable();
        if current != codes {
            return Err(StoreError::Outdated(format!(
                "the regions under {} changed since the re-code was decided",
                old.code
            )));
        }
        let name_of = |code: &RegionCode| {
            plan.created
                .iter()
                .find(|r| &r.code == code)
                .map(|r| r.name.clone())
                .or_else(|| target.as_ref().filter(|t| &t.code == code).map(|t| t.name.clone()))
                .unwrap_or_default()
        };
        let map = |c: &RegionCode| plan.map(c).cloned().unwrap_or_else(|| c.clone());
        let strings = |p: &[RegionCode]| p.iter().map(ToString::to_string).collect::<Vec<_>>();
        let mut programmes: Vec<String> = Vec::new();
        let moved: Vec<serde_json::Value> = units
            .iter()
            .map(|(k, u)| {
                if !programmes.contains(k) {
                    programmes.push(k.clone());
                }
                let path = plan.new_path(&u.path).unwrap_or_else(|| u.path.iter().map(map).collect());
                let new = map(&u.unit.region);
                json!({ "programme": k, "old": u.unit.region.as_str(), "new": new.as_str(), "name": name_of(&new),
                        "path": strings(&path), "group": map(&u.placement.group).as_str() })
            })
            .collect();
        let mut unit_keys: Vec<String> = units.iter().map(|(k, u)| format!("{k}/{}", u.unit.region)).collect();
        unit_keys.sort();
        let accounts: Vec<serde_json::Value> = accounts
            .iter()
            .map(|a| {
                let old_path = a.region_path.iter().map(|c| RegionCode::parse(c)).collect::<Result<Vec<_>, _>>()?;
                let path = plan.new_path(&old_path).unwrap_or(old_path);
                let region = path.last().map(ToString::to_string).unwrap_or_default();
                Ok(json!({ "username": a.username, "region": region, "path": strings(&path) }))
            })
            .collect::<Result<_, DomainError>>()?;
        let mut usernames: Vec<String> =
            accounts.iter().filter_map(|a| a["username"].as_str().map(str::to_owned)).collect();
        usernames.sort();
        let sql = format!(
            "BEGIN TRANSACTION;
             -- What the plan was decided from, unchanged (see the comment on `apply_recode`).
             IF array::sort((SELECT VALUE code FROM region WHERE string::starts_with(code, $prefix) AND successor = NONE)) != $codes
                 {{ THROW 'pilotgov:outdated the regions changed since the re-code was decided' }};
             IF array::sort((SELECT VALUE programme + '/' + region FROM unit WHERE region IN $codes)) != $unit_keys
                 {{ THROW 'pilotgov:outdated the units at these codes changed since the re-code was decided' }};
             IF array::sort((SELECT VALUE username FROM account WHERE region IN $codes)) != $usernames
                 {{ THROW 'pilotgov:outdated the accounts at these codes changed since the re-code was decided' }};
             IF array::len((SELECT VALUE key FROM programme WHERE scope IN $codes)) > 0
                 {{ THROW 'pilotgov:outdated a programme now covers one of these codes' }};
             IF array::len(array::intersect((SELECT VALUE programme FROM unit WHERE region = $new), $programmes)) > 0
                 {{ THROW 'pilotgov:outdated a programme moved here now has a unit at the new code' }};
             LET $before = (SELECT * OMIT id FROM region WHERE code = $old)[0];
             FOR $r IN $created {{ CREATE type::record('region', $r.code) CONTENT $r; }};
             FOR $m IN $mapping {{ UPDATE type::record('region', $m[0]) SET successor = $m[1]; }};
             FOR $u IN $units {{
                 UPDATE unit SET region = $u.new, name = $u.name, path = $u.path, quota_group = $u.group
                     WHERE programme = $u.programme AND region = $u.old;
                 UPDATE filing SET unit = $u.new, unit_path = $u.path WHERE programme = $u.programme AND unit = $u.old;
                 UPDATE adjustment SET unit = $u.new, unit_path = $u.path WHERE programme = $u.programme AND unit = $u.old;
                 UPDATE appeal SET unit = $u.new, unit_path = $u.path WHERE programme = $u.programme AND unit = $u.old;
                 UPDATE evaluation SET unit = $u.new, unit_path = $u.path WHERE programme = $u.programme AND unit = $u.old;
                 UPDATE reminder SET unit = $u.new, unit_path = $u.path WHERE programme = $u.programme AND unit = $u.old;
                 UPDATE calendar_feed SET unit = $u.new, unit_path = $u.path WHERE programme = $u.programme AND unit = $u.old;
                 UPDATE voided_line SET unit = $u.new WHERE programme = $u.programme AND unit = $u.old;
             }};
             FOR $a IN $accounts {{ UPDATE account SET region = $a.region, region_path = $a.path WHERE username = $a.username; }};
             UPDATE programme SET revision += 1 WHERE key IN $programmes;
             LET $after = (SELECT * OMIT id FROM region WHERE code = $old)[0];
             {AUDIT}
             COMMIT TRANSACTION;"
        );
        let vars = json!({
            "old": old.code.as_str(), "new": new_code.as_str(), "prefix": below(&old.code), "codes": codes,
            "unit_keys": unit_keys, "usernames": usernames,
            "created": plan.created.iter().map(|r| encode(&RegionRow::from(r))).collect::<Vec<_>>(),
            "mapping": plan.mapping.iter().map(|(o, n)| [o.as_str(), n.as_str()]).collect::<Vec<_>>(),
            "units": moved, "accounts": accounts, "programmes": programmes,
            "audit": head(actor, "region.recode", &format!("region:{}", old.code), None, Some(strings(&old.code.implied_path()))),
        });
        self.query(&sql, vars).await?;
        for k in &programmes {
            if let Ok(k) = Key::parse(k) {
                self.forget_reach(&k);
            }
        }
        if !usernames.is_empty() {
            // Signed-in accounts carry their region: read it afresh.
            self.recent.sign_in.forget_all();
        }
        Ok(Region { successor: Some(new_code.clone()), ..old.clone() })
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
        // One equality read through `region_code` per code, many in one round trip: SurrealDB 3
        // answers `code IN $c` by reading the whole table — the national one, 41,782 rows, on
        // every board page for its region picker (about 85 ms a page on the demo store).
        let mut v = Vec::with_capacity(codes.len());
        for part in codes.chunks(200) {
            let sql: String = (0..part.len()).map(|i| format!("SELECT * FROM region WHERE code = $c{i};\n")).collect();
            let mut vars = json!({});
            for (i, c) in part.iter().enumerate() {
                vars[format!("c{i}")] = json!(c.as_str());
            }
            for answer in self.query(&sql, vars).await? {
                for j in rows(answer) {
                    v.push(RegionRow::domain(decode(RegionRow::WHAT, j)?)?);
                }
            }
        }
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v.dedup_by(|a, b| a.code == b.code);
        Ok(v)
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
                "SELECT * FROM region WHERE parent = $p AND successor = NONE ORDER BY code LIMIT $l START $o;
                 SELECT count() AS n FROM region WHERE parent = $p AND successor = NONE GROUP ALL;",
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
                "SELECT * FROM region WHERE (string::starts_with(code, $p) OR code IN $above) AND successor = NONE",
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
/// What a re-code was decided from, as [`Store::recode_seen`] read it.
pub(crate) struct RecodeSeen {
    /// Programmes whose scope is one of the changed codes.
    covering: Vec<String>,
    /// The units at the changed codes, with their programmes.
    units: Vec<(String, StoredUnit)>,
    /// Programmes with a unit at the new code already.
    at_target: Vec<String>,
    accounts: Vec<AccountPlace>,
    /// The region holding the new code already (a merge), if any.
    target: Option<Region>,
    /// The current codes at and below the region, sorted.
    current: Vec<String>,
}

#[derive(serde::Deserialize)]
struct AccountPlace {
    username: String,
    region_path: Vec<String>,
}

/// The code prefix of everything at and below `region` (see `RegionCode::subtree_prefix`).
fn below(region: &RegionCode) -> &str {
    region.subtree_prefix().unwrap_or(region.as_str())
}

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

    /// A re-code is refused as outdated, with nothing written, when what it was decided from
    /// changed before it was written: a unit moved to one of the codes it changes, or the same
    /// region re-coded by someone else first. Decided afresh, it carries the moved unit along.
    #[tokio::test]
    async fn a_recode_decided_before_a_change_is_refused() {
        let actor = Actor::system("test", chrono::Utc::now());
        let store = crate::store::testing::seeded(
            crate::store::StoreConfig::memory(),
            "35",
            include_str!("../../fixtures/fujian-2022-reform-pilot.yaml"),
            &actor,
        )
        .await;
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let region = store.region(&code("350121")).await.unwrap().unwrap();
        let descendants = store.current_descendants(&region.code).await.unwrap();
        let township = descendants.first().expect("闽侯县 has townships").code.clone();
        let parent = region.parent.clone().unwrap();
        let tree = store.tree_for(&parent, &[]).await.unwrap();
        let mut parent_path: Vec<RegionCode> =
            tree.ancestors(&parent).into_iter().rev().map(|r| r.code.clone()).collect();
        parent_path.push(parent.clone());
        let plan = crate::domain::region::recode(&region, &code("350199"), "闽侯区", None, &parent_path, &descendants)
            .unwrap();
        let units = |store: &Store| {
            let store = store.clone();
            async move {
                let out = store
                    .query("SELECT VALUE region FROM unit WHERE programme = 'fj-2022-reform-pilot'", json!({}))
                    .await
                    .unwrap();
                let mut v: Vec<String> = serde_json::from_value(out.into_iter().next().unwrap()).unwrap();
                v.sort();
                v
            }
        };

        // Decided, then another unit moves to one of the codes it changes.
        let seen = store.recode_seen(&plan).await.unwrap();
        store
            .query(
                "UPDATE unit SET region = $t WHERE programme = 'fj-2022-reform-pilot' AND region = '350103'",
                json!({ "t": township.as_str() }),
            )
            .await
            .unwrap();
        let before = units(&store).await;
        let refused = store.apply_recode(&region, &plan, seen, &actor).await;
        assert!(matches!(refused, Err(StoreError::Outdated(_))), "{refused:?}");
        assert_eq!(store.region(&region.code).await.unwrap().unwrap().successor, None, "nothing written");
        assert_eq!(store.region(&code("350199")).await.unwrap(), None);
        assert_eq!(units(&store).await, before);

        // Decided again, then a township is added under the county: refused, nothing written.
        let seen = store.recode_seen(&plan).await.unwrap();
        let added = Region {
            code: code("350121990"),
            name: "新设镇".into(),
            level: crate::domain::RegionLevel::Township,
            parent: Some(region.code.clone()),
            successor: None,
        };
        store.upsert_regions(std::slice::from_ref(&added)).await.unwrap();
        let refused = store.apply_recode(&region, &plan, seen, &actor).await;
        assert!(matches!(refused, Err(StoreError::Outdated(_))), "{refused:?}");
        assert_eq!(store.region(&region.code).await.unwrap().unwrap().successor, None, "nothing written");

        // Decided afresh, it carries the new township and the moved unit along; one decided
        // before it is refused.
        let descendants = store.current_descendants(&region.code).await.unwrap();
        let plan = crate::domain::region::recode(&region, &code("350199"), "闽侯区", None, &parent_path, &descendants)
            .unwrap();
        let seen = store.recode_seen(&plan).await.unwrap();
        let stale = store.recode_seen(&plan).await.unwrap();
        store.apply_recode(&region, &plan, seen, &actor).await.unwrap();
        let moved = format!("350199{}", &township.as_str()[6..]);
        let after = units(&store).await;
        assert!(after.contains(&moved) && after.contains(&"350199".to_owned()), "{after:?}");
        assert!(!after.contains(&township.to_string()), "{after:?}");
        assert_eq!(store.region(&added.code).await.unwrap().unwrap().successor, Some(code("350199990")));
        let again = store.apply_recode(&region, &plan, stale, &actor).await;
        assert!(matches!(again, Err(StoreError::Outdated(_))), "{again:?}");
    }
}
