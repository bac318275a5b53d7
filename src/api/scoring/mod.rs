//! Scoring (考评): schemes, deductions and bonuses, itemised monthly scores, rankings (live,
//! published, corrected; CSV), appeals (申诉), evaluations (评估), annual scores and 以奖代补.
//!
//! Schemes, indicator systems and reward methods are sent in the fixture format's JSON shape
//! (`fixtures/README.md`).
//!
//! One `#[OpenApi]` per resource: `schemes`, `adjustments` (and the month's scores), `rankings`,
//! `appeals`, `evaluations` (and annual scores), `rewards`.

mod adjustments;
mod appeals;
mod evaluations;
mod rankings;
mod rewards;
mod schemes;

pub use adjustments::AdjustmentsApi;
pub use appeals::AppealsApi;
pub use evaluations::EvaluationsApi;
pub use rankings::RankingsApi;
pub(super) use rankings::{RankingView, rank_view};
pub use rewards::RewardsApi;
pub use schemes::SchemesApi;

use super::auth::Auth;
use super::error::ApiError;
use crate::domain::access::Access;
use crate::domain::scoring::Points;
use crate::domain::{DomainError, RegionCode};

fn points(field: &str, v: f64) -> Result<Points, ApiError> {
    Points::from_f64(v).map_err(|e| DomainError::invalid(field, e.to_string()).into())
}

/// The records the account may see, as views: lists of adjustments, appeals and evaluations are
/// filtered by the rule for reading the unit each belongs to.
fn visible_views<'a, T, V: From<&'a T>>(
    auth: &Auth,
    records: impl IntoIterator<Item = &'a T>,
    unit_path: impl Fn(&T) -> &[RegionCode],
) -> Vec<V>
where
    T: 'a,
{
    records
        .into_iter()
        .filter(|r| auth.may(Access::ReadUnit { unit_path: unit_path(r) }).is_ok())
        .map(V::from)
        .collect()
}
