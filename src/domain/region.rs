//! Administrative regions keyed by their GB/T 2260 code, and the tree that permissions and quotas
//! follow. Codes are 6 digits (province, prefecture city, county) or 9 digits (township).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{DomainError, Rule};

/// A validated administrative division code: `350000` 福建省, `350100` 福州市, `350103` 台江区,
/// `520402109` 旧州镇.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

/// The four levels of the tree that pilots use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// The whole country: the root `000000` above the provinces (national programmes).
    Nation,
    /// 省级: province, autonomous region, municipality.
    Province,
    /// 地级: prefecture city (设区市), league, autonomous prefecture.
    City,
    /// 县级: county, district, county-level city.
    County,
    /// 乡级: township, town, sub-district (街道).
    Township,
}

impl RegionLevel {
    /// As a page says it (the level of a department: 省级, 市级 …).
    pub fn label(self) -> &'static str {
        match self {
            Self::Nation => "国家",
            Self::Province => "省级",
            Self::City => "市级",
            Self::County => "县级",
            Self::Township => "乡级",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nation => "nation",
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Township => "township",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "nation" => Ok(Self::Nation),
            "province" => Ok(Self::Province),
            "city" => Ok(Self::City),
            "county" => Ok(Self::County),
            "township" => Ok(Self::Township),
            other => Err(DomainError::invalid(
                "level",
                format!("unknown region level `{other}` (nation, province, city, county, township)"),
            )),
        }
    }
}

impl RegionCode {
    /// The root of the tree, above the provinces.
    pub const NATION: &'static str = "000000";

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s == Self::NATION {
            return Ok(Self(s.to_owned()));
        }
        let digits = s.bytes().all(|b| b.is_ascii_digit());
        if !digits || !(s.len() == 6 || s.len() == 9) {
            return Err(DomainError::invalid(
                "region",
                format!("`{s}` is not a GB/T 2260 code: 6 digits, or 9 for a township"),
            ));
        }
        let province: u32 = s[0..2].parse().unwrap_or(0);
        if !(11..=82).contains(&province) {
            return Err(DomainError::invalid("region", format!("`{s}` does not start with a province code (11–82)")));
        }
        // A township's code extends its county's, or its city's when the city has no counties
        // (东莞市 441900, 中山市 442000, 儋州市 460400); never a province's.
        if s.len() == 9 && &s[2..6] == "0000" {
            return Err(DomainError::invalid(
                "region",
                format!("`{s}`: a township code extends a county or city code, not a province's"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level the code's shape implies. The shape is authoritative for 9-digit codes; for
    /// 6-digit ones it is the usual reading (`xx0000` province, `xxyy00` city, else county).
    pub fn level(&self) -> RegionLevel {
        let c = &self.0;
        if c == Self::NATION {
            RegionLevel::Nation
        } else if c.len() == 9 {
            RegionLevel::Township
        } else if &c[2..6] == "0000" {
            RegionLevel::Province
        } else if &c[4..6] == "00" {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The prefix every code at and below a city, county or township shares — a city's four
    /// digits, a county's six, a township's whole code —: what a re-code carries along. None
    /// for a province or the root, which are not re-coded.
    pub fn subtree_prefix(&self) -> Option<&str> {
        match self.level() {
            RegionLevel::City => Some(&self.0[..4]),
            RegionLevel::County => Some(&self.0[..6]),
            RegionLevel::Township => Some(&self.0),
            RegionLevel::Nation | RegionLevel::Province => None,
        }
    }

    /// The chain from the root to this code as the codes imply it, root first.
    pub fn implied_path(&self) -> Vec<RegionCode> {
        let mut path = vec![self.clone()];
        let mut next = self.implied_parent();
        while let Some(p) = next {
            next = p.implied_parent();
            path.push(p);
        }
        path.reverse();
        path
    }

    /// The parent that the code's shape implies. Regions whose real parent differs (counties
    /// directly under a province) carry an explicit parent in the region table instead.
    pub fn implied_parent(&self) -> Option<RegionCode> {
        let c = &self.0;
        match self.level() {
            RegionLevel::Nation => None,
            RegionLevel::Province => Some(Self(Self::NATION.to_owned())),
            RegionLevel::City => Some(Self(format!("{}0000", &c[0..2]))),
            RegionLevel::County => Some(Self(format!("{}00", &c[0..4]))),
            RegionLevel::Township => Some(Self(c[0..6].to_owned())),
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
    /// The code that replaced this region (撤并, or a new code); it stays readable for the record.
    #[serde(default)]
    pub successor: Option<RegionCode>,
}

impl Region {
    /// Builds a region, taking level and parent from the code unless given.
    pub fn new(
        code: RegionCode,
        name: &str,
        level: Option<RegionLevel>,
        parent: Option<RegionCode>,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(DomainError::invalid("name", "a region name has 1 to 64 characters"));
        }
        let level = level.unwrap_or_else(|| code.level());
        let parent = match parent {
            Some(p) => Some(p),
            None => code.implied_parent(),
        };
        if let Some(p) = &parent
            && p == &code
        {
            return Err(DomainError::invalid("parent", "a region cannot be its own parent"));
        }
        Ok(Self { code, name: name.to_owned(), level, parent, successor: None })
    }
}

/// A region given another code (撤并 into an existing region, or a new code), decided before
/// anything is written: which codes change, which regions are added, and the new place in the
/// tree. Units, accounts and every record that names a changed code follow the mapping, so old
/// filings stay with their unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recode {
    /// Every code that changes, old → new: the region first, then its subordinates.
    pub mapping: Vec<(RegionCode, RegionCode)>,
    /// Regions to add: none when merging into one that exists.
    pub created: Vec<Region>,
    /// The region's new chain, root first, ending with its new code.
    pub path: Vec<RegionCode>,
}

impl Recode {
    pub fn region(&self) -> (&RegionCode, &RegionCode) {
        let (o, n) = &self.mapping[0];
        (o, n)
    }

    pub fn map(&self, code: &RegionCode) -> Option<&RegionCode> {
        self.mapping.iter().find(|(o, _)| o == code).map(|(_, n)| n)
    }

    /// A chain through the region (root first) as it reads afterwards; `None` if the chain does
    /// not pass through it.
    pub fn new_path(&self, old_path: &[RegionCode]) -> Option<Vec<RegionCode>> {
        let at = old_path.iter().position(|c| c == self.region().0)?;
        let mut out = self.path.clone();
        for c in &old_path[at + 1..] {
            out.push(self.map(c).cloned().unwrap_or_else(|| c.clone()));
        }
        Some(out)
    }
}

/// Decides a re-code of `old` (current, a city, county or township) to `new_code`. `target` is
/// the region already holding `new_code`, if any (a merge: only a region without subordinates
/// merges); `parent_path` is the chain down to the new parent, root first; `descendants` are
/// `old`'s current subordinates, which take the new prefix.
pub fn recode(
    old: &Region,
    new_code: &RegionCode,
    name: &str,
    target: Option<&Region>,
    parent_path: &[RegionCode],
    descendants: &[Region],
) -> Result<Recode, DomainError> {
    if old.successor.is_some() {
        return Err(DomainError::rule(
            Rule::RegionSuperseded,
            format!("{}（{}）was already replaced", old.name, old.code),
        ));
    }
    let Some(keep) = old.code.subtree_prefix().map(str::len) else {
        return Err(DomainError::invalid("code", "provinces and the national root are not re-coded"));
    };
    if new_code == &old.code {
        return Err(DomainError::invalid("code", "the new code is the region's own; to rename it, change its name"));
    }
    if new_code.level() != old.code.level() || new_code.as_str().len() != old.code.as_str().len() {
        return Err(DomainError::invalid(
            "code",
            format!(
                "{new_code} is a {} code; {} is a {}",
                new_code.level().as_str(),
                old.code,
                old.code.level().as_str()
            ),
        ));
    }
    let parent = parent_path.last().cloned();
    let mut path = parent_path.to_vec();
    path.push(new_code.clone());
    if let Some(t) = target {
        if t.successor.is_some() {
            return Err(DomainError::rule(
                Rule::RegionSuperseded,
                format!("{}（{}）was itself replaced", t.name, t.code),
            ));
        }
        if !descendants.is_empty() {
            return Err(DomainError::invalid(
                "code",
                format!(
                    "{} has {} subordinate regions; only a region without subordinates merges into another — give it a new code instead",
                    old.name,
                    descendants.len()
                ),
            ));
        }
        return Ok(Recode { mapping: vec![(old.code.clone(), new_code.clone())], created: vec![], path });
    }
    let name = name.trim();
    let name = if name.is_empty() { old.name.as_str() } else { name };
    let mut created = vec![Region::new(new_code.clone(), name, Some(old.level), parent)?];
    let mut mapping = vec![(old.code.clone(), new_code.clone())];
    let prefix = &new_code.as_str()[..keep];
    for d in descendants {
        let code = RegionCode::parse(&format!("{prefix}{}", &d.code.as_str()[keep..]))?;
        mapping.push((d.code.clone(), code));
    }
    for (d, (_, code)) in descendants.iter().zip(&mapping[1..]) {
        let parent = d
            .parent
            .as_ref()
            .map(|p| mapping.iter().find(|(o, _)| o == p).map(|(_, n)| n.clone()).unwrap_or_else(|| p.clone()));
        created.push(Region { code: code.clone(), name: d.name.clone(), level: d.level, parent, successor: None });
    }
    Ok(Recode { mapping, created, path })
}

/// The region tree: lookups by code, ancestors, and "is this inside that".
#[derive(Debug, Clone, Default)]
pub struct RegionTree {
    by_code: HashMap<RegionCode, Region>,
}

impl RegionTree {
    pub fn new(regions: impl IntoIterator<Item = Region>) -> Self {
        Self { by_code: regions.into_iter().map(|r| (r.code.clone(), r)).collect() }
    }

    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.by_code.get(code)
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The chain from the region's parent up to its province (nearest first).
    pub fn ancestors(&self, code: &RegionCode) -> Vec<&Region> {
        let mut out = Vec::new();
        let mut next = self.get(code).and_then(|r| r.parent.clone());
        while let Some(p) = next {
            match self.get(&p) {
                // A malformed table with a cycle must not loop forever.
                Some(r) if out.len() < 8 => {
                    next = r.parent.clone();
                    out.push(r);
                }
                _ => break,
            }
        }
        out
    }

    /// True when `code` is `ancestor` or lies below it.
    pub fn is_within(&self, code: &RegionCode, ancestor: &RegionCode) -> bool {
        code == ancestor || self.ancestors(code).iter().any(|r| &r.code == ancestor)
    }

    /// The nearest region at `level` on the way up (the region itself counts).
    pub fn ancestor_at(&self, code: &RegionCode, level: RegionLevel) -> Option<&Region> {
        let me = self.get(code)?;
        if me.level == level {
            return Some(me);
        }
        self.ancestors(code).into_iter().find(|r| r.level == level)
    }

    /// Direct children, ordered by code.
    pub fn children(&self, code: &RegionCode) -> Vec<&Region> {
        let mut v: Vec<&Region> = self.by_code.values().filter(|r| r.parent.as_ref() == Some(code)).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// Every region ordered by code (stable output for listings).
    pub fn sorted(&self) -> BTreeMap<&RegionCode, &Region> {
        self.by_code.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str, name: &str, parent: Option<&str>) -> Region {
        Region::new(RegionCode::parse(code).unwrap(), name, None, parent.map(|p| RegionCode::parse(p).unwrap()))
            .unwrap()
    }

    fn codes(list: &[&str]) -> Vec<RegionCode> {
        list.iter().map(|c| RegionCode::parse(c).unwrap()).collect()
    }

    /// What a re-code carries along: a city's subordinates share its first four digits, a
    /// county's its six; a township carries only itself; provinces are not re-coded.
    #[test]
    fn subtree_prefixes_follow_the_level() {
        let prefix = |c: &str| RegionCode::parse(c).unwrap().subtree_prefix().map(str::to_owned);
        assert_eq!(prefix("350100").as_deref(), Some("3501"));
        assert_eq!(prefix("350121").as_deref(), Some("350121"));
        assert_eq!(prefix("350121100").as_deref(), Some("350121100"));
        assert_eq!(prefix("350000"), None);
        assert_eq!(prefix(RegionCode::NATION), None);
    }

    #[test]
    fn a_township_merges_into_its_neighbour() {
        let old = region("520402201", "某某乡", Some("520402"));
        let into = region("520402109", "旧州镇", Some("520402"));
        let r =
            recode(&old, &into.code, "", Some(&into), &codes(&["000000", "520000", "520400", "520402"]), &[]).unwrap();
        assert!(r.created.is_empty());
        assert_eq!(r.region().1.as_str(), "520402109");
        let moved = r.new_path(&codes(&["000000", "520000", "520400", "520402", "520402201"])).unwrap();
        assert_eq!(moved, codes(&["000000", "520000", "520400", "520402", "520402109"]));
        // A region with subordinates does not merge; a province is never re-coded.
        let county = region("520402", "西秀区", Some("520400"));
        let target = region("520403", "某区", Some("520400"));
        assert!(
            recode(
                &county,
                &target.code,
                "",
                Some(&target),
                &codes(&["000000", "520000", "520400"]),
                std::slice::from_ref(&old)
            )
            .is_err()
        );
        let province = region("520000", "贵州省", None);
        assert!(recode(&province, &RegionCode::parse("530000").unwrap(), "", None, &codes(&["000000"]), &[]).is_err());
        // Nor does a township take a county's code.
        assert!(recode(&old, &RegionCode::parse("520403").unwrap(), "", None, &codes(&["000000"]), &[]).is_err());
    }

    #[test]
    fn a_county_takes_a_new_code_and_its_townships_follow() {
        let county = region("350121", "闽侯县", Some("350100"));
        let towns = [region("350121100", "甘蔗街道", Some("350121")), region("350121101", "白沙镇", Some("350121"))];
        let new = RegionCode::parse("350106").unwrap();
        let r = recode(&county, &new, "闽侯区", None, &codes(&["000000", "350000", "350100"]), &towns).unwrap();
        let created: Vec<_> =
            r.created.iter().map(|c| (c.code.as_str(), c.name.as_str(), c.parent.as_ref().unwrap().as_str())).collect();
        assert_eq!(
            created,
            vec![
                ("350106", "闽侯区", "350100"),
                ("350106100", "甘蔗街道", "350106"),
                ("350106101", "白沙镇", "350106")
            ]
        );
        let unit = r.new_path(&codes(&["000000", "350000", "350100", "350121", "350121101"])).unwrap();
        assert_eq!(unit, codes(&["000000", "350000", "350100", "350106", "350106101"]));
        assert_eq!(r.new_path(&codes(&["000000", "350000", "350100", "350102"])), None);
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn codes_are_validated_and_levelled() {
        assert_eq!(code("350000").level(), RegionLevel::Province);
        assert_eq!(code("000000").level(), RegionLevel::Nation);
        assert_eq!(code("350000").implied_parent(), Some(code("000000")));
        assert_eq!(code("350100").level(), RegionLevel::City);
        assert_eq!(code("350103").level(), RegionLevel::County);
        assert_eq!(code("520402109").level(), RegionLevel::Township);
        assert_eq!(code("520402109").implied_parent(), Some(code("520402")));
        assert_eq!(code("350103").implied_parent(), Some(code("350100")));
        // 东莞市's townships hang under the city itself.
        assert_eq!(code("441900003").implied_parent(), Some(code("441900")));
        for bad in ["35010", "3501000", "abcdef", "990000", "350000001", ""] {
            assert!(RegionCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tree_answers_ancestry() {
        let r = |c: &str, n: &str| Region::new(code(c), n, None, None).unwrap();
        let tree = RegionTree::new([
            r("350000", "福建省"),
            r("350100", "福州市"),
            r("350103", "台江区"),
            r("350200", "厦门市"),
        ]);
        assert!(tree.is_within(&code("350103"), &code("350000")));
        assert!(tree.is_within(&code("350103"), &code("350100")));
        assert!(!tree.is_within(&code("350103"), &code("350200")));
        assert_eq!(tree.ancestor_at(&code("350103"), RegionLevel::City).map(|r| r.name.as_str()), Some("福州市"));
        assert_eq!(tree.children(&code("350000")).len(), 2);
    }
}
