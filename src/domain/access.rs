//! Who may do what, decided in one place. Permissions follow the region tree: an account has a
//! role and a home region, and a target (a programme's scope, a unit) has a path from the root.
//!
//! | role | reads | changes |
//! |---|---|---|
//! | `province_admin` | everything inside its region | defines programmes, units, schemes there; files (备案) at province level; decides appeals; reads the audit trail |
//! | `city_reviewer` | everything inside its region | defines programmes, units, schemes there; reviews (审定) at its own level (a city, or a county for township pilots); decides appeals |
//! | `unit_lead` | its own unit, and only the programmes its unit is in | files and appeals for its own unit |
//! | `evaluator` | everything inside its region | enters deductions, bonuses and evaluations there |
//! | `leader` | everything inside its region | nothing |
//!
//! Accounts inside a region are managed by its province admin (any role), and unit leads also
//! by the city reviewer whose region contains them; nobody reaches an account outside its own
//! region, so nobody can grant a role above its own or a region outside its own.
//!
//! Reminder channels (robots, webhooks, e-mail) of a region are seen by the accounts at or above
//! it, and created or replaced only by its province admin or city reviewer (or one above).
//!
//! A target outside what the account may read is hidden (404), so an outsider cannot learn that
//! it exists; a target it may read but not change is forbidden (403).

use serde::{Deserialize, Serialize};

use super::{DomainError, RegionCode, RegionLevel};

/// The five roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ProvinceAdmin,
    CityReviewer,
    UnitLead,
    Evaluator,
    Leader,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::ProvinceAdmin, Role::CityReviewer, Role::UnitLead, Role::Evaluator, Role::Leader];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "province_admin",
            Self::CityReviewer => "city_reviewer",
            Self::UnitLead => "unit_lead",
            Self::Evaluator => "evaluator",
            Self::Leader => "leader",
        }
    }

    /// The role as departments call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "省级管理员",
            Self::CityReviewer => "市级审核员",
            Self::UnitLead => "试点单位负责人",
            Self::Evaluator => "评估人员",
            Self::Leader => "领导",
        }
    }

    /// A role as a sheet may give it: its name (`unit_lead`) or its label (试点单位负责人, also
    /// 单位负责人).
    pub fn parse_label(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.label() == s || r.as_str() == s || (s == "单位负责人" && *r == Self::UnitLead))
            .ok_or_else(|| {
                DomainError::invalid("role", format!("`{s}`: 省级管理员, 市级审核员, 试点单位负责人, 评估人员 or 领导"))
            })
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "role",
                format!("`{s}`: province_admin, city_reviewer, unit_lead, evaluator or leader"),
            )
        })
    }
}

/// The account a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    /// The name people know the account by (福州市民政局, 闽侯县民政局): what pages show.
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub region_level: RegionLevel,
    /// The home region and its ancestors, root first.
    pub region_path: Vec<RegionCode>,
    /// Signed in with a password someone else set: only changing it is allowed.
    pub must_change_password: bool,
}

/// Whom a programme concerns: its scope region's path and the regions of its units. Departments
/// along the scope's line read the programme; a unit lead reads it only when its unit is in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reach {
    pub scope_path: Vec<RegionCode>,
    pub units: std::collections::BTreeSet<RegionCode>,
}

/// What a request is about to do.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// Read a programme's definition and what hangs off it.
    ReadProgramme { reach: &'a Reach },
    /// Define a programme or change its head, stages, catalogue or deliverables.
    DefineProgramme { scope_path: &'a [RegionCode] },
    /// Read a unit and what belongs to it (deadlines, filings).
    ReadUnit { unit_path: &'a [RegionCode] },
    /// Admit a unit to a programme or change it.
    ManageUnit { scope_path: &'a [RegionCode], unit_path: &'a [RegionCode] },
    /// Write, change or submit a filing for a unit.
    File { unit_path: &'a [RegionCode] },
    /// Act at a step of a filing's route (审定 or 备案) at `level`.
    Review { unit_path: &'a [RegionCode], level: RegionLevel },
    /// Enter a deduction, a bonus or an evaluation for a unit.
    Evaluate { unit_path: &'a [RegionCode] },
    /// Decide an appeal about a unit (the civil-affairs department's review is final).
    Adjudicate { unit_path: &'a [RegionCode] },
    /// Create or revoke a calendar feed of a unit's deadlines (a subscription is a change).
    ManageFeed { unit_path: &'a [RegionCode] },
    /// Read the audit trail.
    ReadAudit,
    /// See, create or change an account with this role and home region path (disable, reset
    /// its password, edit its name and phone).
    ManageAccount { role: Role, region_path: &'a [RegionCode] },
    /// Rename a region of the reference table (更名) inside one's province.
    ManageRegion { region_path: &'a [RegionCode] },
    /// See a reminder channel (robot, webhook, e-mail) for the region with this path.
    ReadChannel { region_path: &'a [RegionCode] },
    /// Create a channel for the region with this path, or replace its URL (and secret).
    ManageChannel { region_path: &'a [RegionCode] },
    /// Read a bulletin about the region with this path; a draft only if one may publish it.
    ReadBulletin { region_path: &'a [RegionCode], published: bool },
    /// Draft, edit or publish a bulletin about the region with this path (its department or one above).
    WriteBulletin { region_path: &'a [RegionCode] },
    /// Issue, escalate or close a supervision order (督办单) about a unit that stands at the
    /// level of the region with `level_path` (a department at that level or above acts on it).
    Supervise { unit_path: &'a [RegionCode], level_path: &'a [RegionCode] },
}

/// Why a request may not go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The account may see the target but not do this (403).
    Forbidden(String),
    /// The account may not even see the target (404).
    Hidden,
}

impl Principal {
    /// The target lies inside the home region (or is it).
    fn covers(&self, path: &[RegionCode]) -> bool {
        path.contains(&self.region)
    }

    /// The programme's scope and the home region lie on one line of the tree.
    fn related(&self, scope_path: &[RegionCode]) -> bool {
        self.covers(scope_path) || scope_path.last().is_some_and(|s| self.region_path.contains(s))
    }

    /// A read-only view of the whole country, for the command line and benchmarks (which hold the
    /// database anyway). Never handed to an HTTP request.
    pub fn system_reader(name: &str) -> Self {
        let nation = RegionCode::parse(RegionCode::NATION).expect("the root code is valid");
        Self {
            username: format!("system:{name}"),
            display_name: format!("系统（{name}）"),
            role: Role::Leader,
            region: nation.clone(),
            region_level: RegionLevel::Nation,
            region_path: vec![nation],
            must_change_password: false,
        }
    }

    /// May this account read a unit with this path?
    pub fn can_read_unit(&self, unit_path: &[RegionCode]) -> bool {
        match self.role {
            Role::UnitLead => unit_path.last() == Some(&self.region),
            _ => self.covers(unit_path),
        }
    }

    fn defines(&self) -> bool {
        matches!(self.role, Role::ProvinceAdmin | Role::CityReviewer)
    }

    /// A reviewing department (a province admin or a city reviewer): it decides filings at its
    /// own level, so it has a review queue.
    pub fn is_reviewer(&self) -> bool {
        self.defines()
    }

    /// The roles this account may give the accounts it creates (none for most).
    pub fn grantable_roles(&self) -> Vec<Role> {
        let home = &self.region_path;
        Role::ALL
            .into_iter()
            .filter(|&role| self.check(Access::ManageAccount { role, region_path: home }).is_ok())
            .collect()
    }

    /// The one permission check.
    pub fn check(&self, access: Access<'_>) -> Result<(), Denied> {
        let forbid = |why: &str| Err(Denied::Forbidden(format!("{} ({}): {why}", self.username, self.role.as_str())));
        match access {
            Access::ReadProgramme { reach } => {
                let member = self.role != Role::UnitLead || reach.units.contains(&self.region);
                if self.related(&reach.scope_path) && member { Ok(()) } else { Err(Denied::Hidden) }
            }
            Access::DefineProgramme { scope_path } => {
                if !self.related(scope_path) {
                    Err(Denied::Hidden)
                } else if self.defines() && self.covers(scope_path) {
                    Ok(())
                } else {
                    forbid("only a province admin or city reviewer whose region contains the programme may define it")
                }
            }
            Access::ReadUnit { unit_path } => {
                if self.can_read_unit(unit_path) {
                    Ok(())
                } else {
                    Err(Denied::Hidden)
                }
            }
            Access::ManageUnit { scope_path, unit_path } => {
                if !self.related(scope_path) {
                    Err(Denied::Hidden)
                } else if self.defines() && self.covers(unit_path) {
                    Ok(())
                } else {
                    forbid(
                        "only a province admin or city reviewer whose region contains the unit may admit or change it",
                    )
                }
            }
            Access::File { unit_path } => {
                if !self.can_read_unit(unit_path) {
                    Err(Denied::Hidden)
                } else if self.role == Role::UnitLead {
                    Ok(())
                } else {
                    forbid("only the unit's own lead files for it")
                }
            }
            Access::Review { unit_path, level } => {
                if !self.can_read_unit(unit_path) {
                    Err(Denied::Hidden)
                } else if self.defines() && self.region_level == level {
                    Ok(())
                } else {
                    forbid(&format!("this step is for a reviewer at {} level", level.as_str()))
                }
            }
            Access::Evaluate { unit_path } => {
                if !self.can_read_unit(unit_path) {
                    Err(Denied::Hidden)
                } else if self.role == Role::Evaluator || self.defines() {
                    Ok(())
                } else {
                    forbid("only an evaluator or a reviewing department enters scores")
                }
            }
            Access::Adjudicate { unit_path } => {
                if !self.can_read_unit(unit_path) {
                    Err(Denied::Hidden)
                } else if self.defines() {
                    Ok(())
                } else {
                    forbid("appeals are decided by the civil-affairs department above the unit")
                }
            }
            Access::WriteBulletin { region_path } => {
                if !self.related(region_path) {
                    Err(Denied::Hidden)
                } else if self.defines() && self.covers(region_path) {
                    Ok(())
                } else {
                    forbid("only a province admin or city reviewer whose region contains it writes a bulletin")
                }
            }
            Access::Supervise { unit_path, level_path } => {
                if !self.can_read_unit(unit_path) {
                    Err(Denied::Hidden)
                } else if !self.defines() {
                    forbid("supervision orders are issued and closed by the civil-affairs departments above the unit")
                } else if !(level_path.len() < unit_path.len() && unit_path.starts_with(level_path)) {
                    forbid("a supervision order stands at a level above the unit")
                } else if self.covers(level_path) {
                    Ok(())
                } else {
                    forbid("this order stands at a level above yours; the department there acts on it")
                }
            }
            Access::ReadBulletin { region_path, published } => {
                if !self.related(region_path) {
                    Err(Denied::Hidden)
                } else if published || self.check(Access::WriteBulletin { region_path }).is_ok() {
                    Ok(())
                } else {
                    // A draft is not a document yet: those who may not publish it do not see it.
                    Err(Denied::Hidden)
                }
            }
            Access::ManageFeed { unit_path } => {
                if !self.can_read_unit(unit_path) {
                    Err(Denied::Hidden)
                } else if self.role == Role::Leader {
                    forbid("a leader reads; someone in the unit or a department above it sets up calendar feeds")
                } else {
                    Ok(())
                }
            }
            Access::ReadChannel { region_path } => {
                if self.covers(region_path) {
                    Ok(())
                } else {
                    Err(Denied::Hidden)
                }
            }
            Access::ManageChannel { region_path } => {
                if !self.covers(region_path) {
                    Err(Denied::Hidden)
                } else if self.defines() {
                    Ok(())
                } else {
                    forbid("only a province admin or city reviewer whose region contains it sets up a channel")
                }
            }
            Access::ManageAccount { role, region_path } => {
                if !self.covers(region_path) {
                    Err(Denied::Hidden)
                } else if self.role == Role::ProvinceAdmin
                    || (self.role == Role::CityReviewer && role == Role::UnitLead)
                {
                    Ok(())
                } else if self.role == Role::CityReviewer {
                    forbid("a city reviewer manages only the unit leads inside its region")
                } else {
                    forbid("accounts are managed by a province admin (and unit leads by their city reviewer)")
                }
            }
            Access::ManageRegion { region_path } => {
                if self.role == Role::ProvinceAdmin && self.covers(region_path) {
                    Ok(())
                } else {
                    forbid("only the province admin whose province contains it changes a region")
                }
            }
            Access::ReadAudit => {
                if self.role == Role::ProvinceAdmin {
                    Ok(())
                } else {
                    forbid("only a province admin reads the audit trail")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_bulletin_is_read_along_its_line_and_drafts_only_by_its_writers() {
        let fuzhou = path(&["000000", "350000", "350100"]);
        let lead = who(Role::UnitLead, &["000000", "350000", "350100", "350103"]);
        let xiamen = who(Role::CityReviewer, &["000000", "350000", "350200"]);
        let fz = who(Role::CityReviewer, &["000000", "350000", "350100"]);
        let published = Access::ReadBulletin { region_path: &fuzhou, published: true };
        let draft = Access::ReadBulletin { region_path: &fuzhou, published: false };
        assert_eq!(lead.check(published), Ok(()));
        assert_eq!(lead.check(draft), Err(Denied::Hidden));
        assert_eq!(xiamen.check(published), Err(Denied::Hidden));
        assert_eq!(fz.check(draft), Ok(()));
        assert!(matches!(lead.check(Access::WriteBulletin { region_path: &fuzhou }), Err(Denied::Forbidden(_))));
    }

    #[test]
    fn accounts_are_managed_down_the_tree_and_never_above_ones_role() {
        let anshun_lead = path(&["000000", "520000", "520400", "520402", "520402109"]);
        let xixiu = who(Role::CityReviewer, &["000000", "520000", "520400", "520402"]);
        let guizhou = who(Role::ProvinceAdmin, &["000000", "520000"]);
        let fujian = who(Role::ProvinceAdmin, &["000000", "350000"]);
        let lead = Access::ManageAccount { role: Role::UnitLead, region_path: &anshun_lead };
        let admin = Access::ManageAccount { role: Role::ProvinceAdmin, region_path: &anshun_lead };
        assert_eq!(xixiu.check(lead), Ok(()));
        assert!(matches!(xixiu.check(admin), Err(Denied::Forbidden(_))), "a reviewer cannot make an admin");
        assert_eq!(guizhou.check(admin), Ok(()));
        assert_eq!(fujian.check(lead), Err(Denied::Hidden), "another province's accounts are not there");
        let evaluator = who(Role::Evaluator, &["000000", "520000"]);
        assert!(matches!(evaluator.check(lead), Err(Denied::Forbidden(_))));
        let above = path(&["000000", "520000"]);
        assert_eq!(
            xixiu.check(Access::ManageAccount { role: Role::UnitLead, region_path: &above }),
            Err(Denied::Hidden),
            "nor a region above its own"
        );
    }

    fn path(codes: &[&str]) -> Vec<RegionCode> {
        codes.iter().map(|c| RegionCode::parse(c).unwrap()).collect()
    }

    fn who(role: Role, p: &[&str]) -> Principal {
        let region_path = path(p);
        let region = region_path.last().unwrap().clone();
        Principal {
            username: "u".into(),
            display_name: "u".into(),
            role,
            region_level: region.level(),
            region,
            region_path,
            must_change_password: false,
        }
    }

    #[test]
    fn the_tree_decides() {
        let fujian = path(&["000000", "350000"]);
        let taijiang = path(&["000000", "350000", "350100", "350103"]);
        let minhou = path(&["000000", "350000", "350100", "350121"]);
        let lead = who(Role::UnitLead, &["000000", "350000", "350100", "350103"]);
        let reach = |units: &[&str]| Reach {
            scope_path: fujian.clone(),
            units: units.iter().map(|c| RegionCode::parse(c).unwrap()).collect(),
        };
        assert_eq!(lead.check(Access::ReadProgramme { reach: &reach(&["350103", "350121"]) }), Ok(()));
        assert_eq!(
            lead.check(Access::ReadProgramme { reach: &reach(&["350121"]) }),
            Err(Denied::Hidden),
            "a lead does not read a programme its unit is not in"
        );
        let leader_ = who(Role::Leader, &["000000", "350000"]);
        assert_eq!(leader_.check(Access::ReadProgramme { reach: &reach(&[]) }), Ok(()));
        assert_eq!(lead.check(Access::File { unit_path: &taijiang }), Ok(()));
        assert_eq!(lead.check(Access::ReadUnit { unit_path: &minhou }), Err(Denied::Hidden));
        assert_eq!(lead.check(Access::File { unit_path: &minhou }), Err(Denied::Hidden));
        let city = who(Role::CityReviewer, &["000000", "350000", "350100"]);
        assert_eq!(city.check(Access::Review { unit_path: &taijiang, level: RegionLevel::City }), Ok(()));
        assert!(matches!(
            city.check(Access::Review { unit_path: &taijiang, level: RegionLevel::Province }),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(city.check(Access::File { unit_path: &taijiang }), Err(Denied::Forbidden(_))));
        assert!(matches!(city.check(Access::DefineProgramme { scope_path: &fujian }), Err(Denied::Forbidden(_))));
        let leader = who(Role::Leader, &["000000", "350000"]);
        assert_eq!(leader.check(Access::ReadUnit { unit_path: &minhou }), Ok(()));
        assert!(matches!(
            leader.check(Access::ManageUnit { scope_path: &fujian, unit_path: &minhou }),
            Err(Denied::Forbidden(_))
        ));
        let guangdong = who(Role::ProvinceAdmin, &["000000", "440000"]);
        assert_eq!(
            guangdong
                .check(Access::ReadProgramme { reach: &Reach { scope_path: fujian.clone(), ..Default::default() } }),
            Err(Denied::Hidden)
        );
        assert_eq!(guangdong.check(Access::ReadUnit { unit_path: &taijiang }), Err(Denied::Hidden));
    }
}
