//! A programme changed after import — its head and rules, a stage, a catalogue entry, a
//! deliverable — with the checks an import gets: the whole programme as it would stand after
//! the change goes through `bundle::check`, units included, so a change that would put a unit
//! outside its quota, move a deadline out of the period or leave a deliverable without its stage
//! is refused with the rule named. The API and the pages both come here.

use chrono::{DateTime, Utc};

use super::accounts::actor;
use super::error::{ServiceError, gate};
use crate::domain::access::{Access, Principal};
use crate::domain::bundle::{self, Bundle};
use crate::domain::{Deliverable, Direction, DomainError, Key, Programme, Stage};
use crate::store::Store;
use crate::store::programmes::StoredProgramme;

/// One change to a programme's definition.
#[derive(Debug, Clone)]
pub enum Change {
    Head(Programme),
    Stage(Stage),
    Direction(Direction),
    Deliverable(Deliverable),
}

/// Whether a part is added or replaces the one with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Add,
    Replace,
}

/// The programme if this account may read it and define it.
pub async fn definable(store: &Store, p: &Principal, key: &Key) -> Result<Programme, ServiceError> {
    let programme = super::units::programme(store, p, key).await?;
    gate(p, Access::DefineProgramme { scope_path: &programme.scope.implied_path() }, "programme")?;
    Ok(programme)
}

/// The programme as stored now, as one bundle (withdrawn units left out: they hold no place).
pub async fn current(store: &Store, key: &Key) -> Result<Bundle, ServiceError> {
    let programme = store.programme_required(key).await?.programme;
    let (stages, directions, deliverables, units) =
        tokio::try_join!(store.stages(key), store.directions(key), store.deliverables(key), store.units(key))?;
    Ok(Bundle { programme, stages, directions, deliverables, units: units.into_iter().map(|u| u.unit).collect() })
}

/// Applies `change` to `b`: a part is added (refused if its key is taken) or replaces its
/// namesake (refused if there is none).
pub fn apply(b: &mut Bundle, change: Change, mode: Mode) -> Result<(), DomainError> {
    fn put<T>(
        list: &mut Vec<T>,
        item: T,
        id: String,
        same: impl Fn(&T) -> bool,
        mode: Mode,
        what: &str,
    ) -> Result<(), DomainError> {
        match (list.iter().position(same), mode) {
            (Some(i), Mode::Replace) => list[i] = item,
            (None, Mode::Add) => list.push(item),
            (Some(_), Mode::Add) => {
                return Err(DomainError::rule(rule_for(what), format!("the programme already has {what} `{id}`")));
            }
            (None, Mode::Replace) => {
                return Err(DomainError::invalid(what, format!("the programme has no {what} `{id}`")));
            }
        }
        Ok(())
    }
    fn rule_for(what: &str) -> crate::domain::Rule {
        use crate::domain::Rule;
        match what {
            "stage" => Rule::DuplicateStages,
            "direction" => Rule::DuplicateDirections,
            _ => Rule::DuplicateDeliverables,
        }
    }
    match change {
        Change::Head(p) => {
            if p.key != b.programme.key {
                return Err(DomainError::invalid("key", "a programme's key cannot change"));
            }
            b.programme = p;
        }
        Change::Stage(s) => {
            let k = s.key.clone();
            put(&mut b.stages, s, k.to_string(), |x| x.key == k, mode, "stage")?;
        }
        Change::Direction(d) => {
            let n = d.number;
            put(&mut b.directions, d, n.to_string(), |x| x.number == n, mode, "direction")?;
        }
        Change::Deliverable(d) => {
            let k = d.key.clone();
            put(&mut b.deliverables, d, k.to_string(), |x| x.key == k, mode, "deliverable")?;
        }
    }
    Ok(())
}

/// Checks the change against the whole programme and stores it (one part, audited, the
/// programme's revision moved).
pub async fn change(
    store: &Store,
    p: &Principal,
    key: &Key,
    change: Change,
    mode: Mode,
    at: DateTime<Utc>,
) -> Result<Option<StoredProgramme>, ServiceError> {
    let before = definable(store, p, key).await?;
    let mut b = current(store, key).await?;
    apply(&mut b, change.clone(), mode)?;
    if before.scope != b.programme.scope {
        gate(p, Access::DefineProgramme { scope_path: &b.programme.scope.implied_path() }, "programme")?;
    }
    let regions: Vec<_> = b.units.iter().map(|u| u.region.clone()).collect();
    let tree = store.tree_for(&b.programme.scope, &regions).await?;
    bundle::check(&b, &tree)?;
    let who = actor(p, at);
    let create = mode == Mode::Add;
    match &change {
        Change::Head(programme) => return Ok(Some(store.update_programme(programme, &who).await?)),
        Change::Stage(s) => store.put_stage(key, s, create, &who).await?,
        Change::Direction(d) => store.put_direction(key, d, create, &who).await?,
        Change::Deliverable(d) => store.put_deliverable(key, d, create, &who).await?,
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::document;

    fn fujian() -> Bundle {
        match document::parse(include_str!("../../fixtures/fujian-2022-reform-pilot.yaml")).unwrap() {
            document::Document::Programme(d) => d.into_bundle().unwrap().0,
            _ => unreachable!("the Fujian fixture is a programme"),
        }
    }

    #[test]
    fn a_part_is_added_or_replaced_never_both() {
        let mut b = fujian();
        let stage = b.stages[0].clone();
        assert!(apply(&mut b, Change::Stage(stage.clone()), Mode::Add).is_err());
        let mut renamed = stage.clone();
        renamed.name = "动员部署".into();
        apply(&mut b, Change::Stage(renamed), Mode::Replace).unwrap();
        assert_eq!(b.stages[0].name, "动员部署");
        let mut other = stage;
        other.key = Key::parse("nowhere").unwrap();
        assert!(apply(&mut b, Change::Stage(other), Mode::Replace).is_err());
    }
}
