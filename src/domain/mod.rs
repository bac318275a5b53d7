//! The domain: what a pilot programme is and the rules it follows. Pure types and functions, no
//! I/O and no clock of its own; every constructor validates, so an invalid value cannot be built.

pub mod access;
pub mod account;
pub mod appeal;
pub mod board;
pub mod bulletin;
pub mod bundle;
pub mod calendar;
pub mod compliance;
pub mod deadline;
pub mod delivery;
pub mod digest;
pub mod docdate;
mod error;
pub mod evaluation;
pub mod feed;
pub mod filing;
pub mod notice;
pub mod outbound;
pub mod programme;
pub mod region;
pub mod register;
pub mod reminder;
pub mod reward;
pub mod scoring;
pub mod supervision;
pub mod unit;

pub use bundle::Bundle;
pub use deadline::{DeadlineSpec, Status, YearMonth};
pub use docdate::DocDate;
pub use error::{DomainError, Rule};
pub use programme::{
    Audience, Bounds, Deliverable, Department, Direction, DirectionKind, Key, Programme, RouteAction, RouteStep,
    RuleException, SelectionRules, Stage, Window,
};
pub use region::{Region, RegionCode, RegionLevel, RegionTree};
pub use unit::{Contact, PilotUnit, Placement, Withdrawal};
