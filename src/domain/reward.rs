//! 以奖代补: a fund in fen split among units by their scores, exactly. Whatever the method, the
//! shares add up to the fund to the fen (largest-remainder rounding; ties in the remainder go
//! to the better score, then the lower code), no unit gets more than the cap, and every share
//! comes with its explanation.

use serde::{Deserialize, Serialize};

use super::scoring::Points;
use super::{DomainError, RegionCode, Rule};

/// One tier of a tiered reward (一等奖 ×2 at 50,000 yuan, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    pub count: u32,
    /// Per unit, in fen.
    pub amount: i64,
}

/// An earmarked grant (Fuzhou: 台江区 100万, 永泰县 200万).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub unit: RegionCode,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// Units scoring at least `threshold` share in proportion to their scores.
    Proportional { threshold: Points },
    /// The best units in order take the tiers' amounts; the tiers must add up to the fund.
    Tiers { tiers: Vec<Tier> },
    /// Fixed grants; they must add up to the fund.
    Fixed { grants: Vec<Grant> },
}

/// One unit's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub unit: RegionCode,
    /// In fen.
    pub amount: i64,
    pub explanation: Explanation,
}

/// A recorded allocation of a fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub key: String,
    pub programme: super::Key,
    /// `2019年度以奖代补`.
    pub label: String,
    /// In fen.
    pub fund: i64,
    pub method: Method,
    /// Most any one unit may get, in fen.
    pub cap: Option<i64>,
    pub shares: Vec<Share>,
    pub computed_at: chrono::DateTime<chrono::Utc>,
    pub computed_by: String,
}

/// Why a unit got its share; shown as a sentence (kept structured so that splitting among tens
/// of thousands of units does not spend its time writing sentences).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct Explanation(Why);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Why {
    Proportional {
        score: Points,
        basis_points: i64,
        amount: i64,
    },
    Capped {
        score: Points,
        cap: i64,
    },
    Below {
        score: Points,
        threshold: Points,
    },
    Tier {
        name: String,
        place: usize,
        score: Points,
        amount: i64,
    },
    NoTier {
        score: Points,
    },
    Grant {
        amount: i64,
    },
    /// Read back from storage.
    Text(String),
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Why::Proportional { score, basis_points: bp, amount } => {
                write!(f, "得分 {score}，占参与分配得分 {}.{:02}%：{}", bp / 100, bp % 100, yuan(*amount))
            }
            Why::Capped { score, cap } => write!(f, "得分 {score}，按比例超过上限，取上限 {}", yuan(*cap)),
            Why::Below { score, threshold } => write!(f, "得分 {score}，低于分配门槛 {threshold}"),
            Why::Tier { name, place, score, amount } => {
                write!(f, "{name}（得分 {score}，第 {place} 名）：{}", yuan(*amount))
            }
            Why::NoTier { score } => write!(f, "得分 {score}，未获奖"),
            Why::Grant { amount } => write!(f, "专项补助 {}", yuan(*amount)),
            Why::Text(t) => f.write_str(t),
        }
    }
}

impl From<Explanation> for String {
    fn from(e: Explanation) -> String {
        e.to_string()
    }
}

impl From<String> for Explanation {
    fn from(s: String) -> Self {
        Self(Why::Text(s))
    }
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}元", fen / 100, fen % 100)
}

/// An amount in yuan as people type it (`50000`, `1,250.5`, `12.34元`) in fen, exactly: money
/// never passes through a float.
pub fn parse_yuan(field: &str, text: &str) -> Result<i64, DomainError> {
    let bad = || DomainError::invalid(field, format!("`{text}` is not an amount in yuan (e.g. 50000 or 1250.50)"));
    let t: String = text.trim().trim_end_matches('元').chars().filter(|c| *c != ',' && *c != '，').collect();
    let (whole, part) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || part.len() > 2 || !whole.bytes().chain(part.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let part: i64 = format!("{part:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|f| f.checked_add(part)).filter(|f| *f < 100_000_000_000_000).ok_or_else(bad)
}

/// Splits `fund` (fen) among units with `scores` by `method`, at most `cap` fen each.
pub fn allocate(
    fund: i64,
    method: &Method,
    cap: Option<i64>,
    scores: &[(RegionCode, Points)],
) -> Result<Vec<Share>, DomainError> {
    if fund < 0 {
        return Err(DomainError::invalid("fund", "a fund cannot be negative"));
    }
    if cap.is_some_and(|c| c <= 0) {
        return Err(DomainError::invalid("cap", "a cap is positive"));
    }
    let mut ordered: Vec<&(RegionCode, Points)> = scores.iter().collect();
    ordered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shares = match method {
        Method::Proportional { threshold } => proportional(fund, *threshold, cap, &ordered)?,
        Method::Tiers { tiers } => {
            if tiers.iter().any(|t| t.amount < 0) {
                return Err(DomainError::invalid("method.tiers.amount", "an amount cannot be negative"));
            }
            // Checked: counts × amounts near the limits of i64 are refused, never wrapped.
            let total = tiers
                .iter()
                .try_fold(0i64, |sum, t| i64::from(t.count).checked_mul(t.amount).and_then(|x| sum.checked_add(x)))
                .ok_or_else(|| DomainError::invalid("method.tiers", "the tiers' amounts are too large to add up"))?;
            if total != fund {
                return Err(DomainError::rule(
                    Rule::RewardTotal,
                    format!("the tiers add up to {}, the fund is {}", yuan(total), yuan(fund)),
                ));
            }
            let places: u64 = tiers.iter().map(|t| u64::from(t.count)).sum();
            if places > ordered.len() as u64 {
                return Err(DomainError::rule(
                    Rule::RewardTotal,
                    format!("{places} places for {} units", ordered.len()),
                ));
            }
            // Equal scores get the same tier: a tier boundary that falls between two tied units
            // is refused, naming them, so that the department decides (widen a tier, or break
            // the tie) instead of the region code deciding for it.
            let mut boundary = 0usize;
            for t in tiers {
                boundary += t.count as usize;
                if boundary > 0
                    && boundary < ordered.len()
                    && ordered[boundary - 1].1 == ordered[boundary].1
                    && t.count > 0
                {
                    let score = ordered[boundary].1;
                    let tied: Vec<String> =
                        ordered.iter().filter(|(_, s)| *s == score).map(|(u, _)| u.to_string()).collect();
                    return Err(DomainError::rule(
                        Rule::RewardTie,
                        format!(
                            "{} score {score} alike, but the tier `{}` ends between them (place {boundary}); widen or narrow the tier so that tied units share one",
                            tied.join("、"),
                            t.name
                        ),
                    ));
                }
            }
            let mut it = ordered.iter();
            let mut out = Vec::new();
            for t in tiers {
                for _ in 0..t.count {
                    let (unit, score) = it.next().expect("counted above");
                    let place = out.len() + 1;
                    out.push(Share {
                        unit: unit.clone(),
                        amount: t.amount,
                        explanation: Explanation(Why::Tier {
                            name: t.name.clone(),
                            place,
                            score: *score,
                            amount: t.amount,
                        }),
                    });
                }
            }
            out.extend(it.map(|(u, s)| Share {
                unit: u.clone(),
                amount: 0,
                explanation: Explanation(Why::NoTier { score: *s }),
            }));
            out
        }
        Method::Fixed { grants } => {
            if grants.iter().any(|g| g.amount < 0) {
                return Err(DomainError::invalid("method.grants.amount", "an amount cannot be negative"));
            }
            let total = grants
                .iter()
                .try_fold(0i64, |sum, g| sum.checked_add(g.amount))
                .ok_or_else(|| DomainError::invalid("method.grants", "the grants are too large to add up"))?;
            if total != fund {
                return Err(DomainError::rule(
                    Rule::RewardTotal,
                    format!("the grants add up to {}, the fund is {}", yuan(total), yuan(fund)),
                ));
            }
            for g in grants {
                if !scores.iter().any(|(u, _)| u == &g.unit) {
                    return Err(DomainError::invalid("grants.unit", format!("{} is not a unit here", g.unit)));
                }
            }
            grants
                .iter()
                .map(|g| Share {
                    unit: g.unit.clone(),
                    amount: g.amount,
                    explanation: Explanation(Why::Grant { amount: g.amount }),
                })
                .collect()
        }
    };
    if let Some(c) = cap
        && let Some(s) = shares.iter().find(|s| s.amount > c)
    {
        return Err(DomainError::rule(
            Rule::RewardCap,
            format!("{} would get {}, above the cap of {}", s.unit, yuan(s.amount), yuan(c)),
        ));
    }
    debug_assert_eq!(shares.iter().map(|s| s.amount).sum::<i64>(), if shares.is_empty() { 0 } else { fund });
    Ok(shares)
}

fn proportional(
    fund: i64,
    threshold: Points,
    cap: Option<i64>,
    ordered: &[&(RegionCode, Points)],
) -> Result<Vec<Share>, DomainError> {
    let eligible: Vec<&(RegionCode, Points)> =
        ordered.iter().copied().filter(|(_, s)| *s >= threshold && s.0 > 0).collect();
    if eligible.is_empty() {
        return Err(DomainError::rule(Rule::RewardEligible, format!("no unit scores at least {threshold}")));
    }
    // Water-filling: units whose proportional share would pass the cap get the cap, and the
    // rest is shared again among the others.
    let mut capped = vec![false; eligible.len()];
    let mut remaining = fund;
    loop {
        let active: Vec<usize> = (0..eligible.len()).filter(|i| !capped[*i]).collect();
        if active.is_empty() {
            return Err(DomainError::rule(Rule::RewardCap, "the caps cannot absorb the whole fund"));
        }
        let weight: i128 = active.iter().map(|i| i128::from(eligible[*i].1.0)).sum();
        let over: Vec<usize> = match cap {
            Some(c) => active
                .iter()
                .copied()
                .filter(|i| i128::from(remaining) * i128::from(eligible[*i].1.0) > i128::from(c) * weight)
                .collect(),
            None => vec![],
        };
        if over.is_empty() {
            // Largest remainder over the active units.
            let mut parts: Vec<(usize, i64, i128)> = active
                .iter()
                .map(|i| {
                    let num = i128::from(remaining) * i128::from(eligible[*i].1.0);
                    (*i, (num / weight) as i64, num % weight)
                })
                .collect();
            let mut left = remaining - parts.iter().map(|p| p.1).sum::<i64>();
            let mut by_remainder: Vec<usize> = (0..parts.len()).collect();
            by_remainder.sort_by(|a, b| parts[*b].2.cmp(&parts[*a].2).then(a.cmp(b)));
            for k in by_remainder {
                if left == 0 {
                    break;
                }
                parts[k].1 += 1;
                left -= 1;
            }
            let total: i128 = weight;
            let mut amount_of = vec![0i64; eligible.len()];
            for p in &parts {
                amount_of[p.0] = p.1;
            }
            let mut out: Vec<Share> = eligible
                .iter()
                .enumerate()
                .map(|(i, (unit, score))| {
                    let (amount, why) = match (capped[i], cap) {
                        (true, Some(c)) => (c, Why::Capped { score: *score, cap: c }),
                        _ => {
                            let a = amount_of[i];
                            // Share of the eligible scores, in hundredths of a percent.
                            let bp = (i128::from(score.0) * 10_000 / total) as i64;
                            (a, Why::Proportional { score: *score, basis_points: bp, amount: a })
                        }
                    };
                    Share { unit: unit.clone(), amount, explanation: Explanation(why) }
                })
                .collect();
            out.extend(ordered.iter().filter(|(_, s)| !(*s >= threshold && s.0 > 0)).map(|(u, s)| Share {
                unit: u.clone(),
                amount: 0,
                explanation: Explanation(Why::Below { score: *s, threshold }),
            }));
            return Ok(out);
        }
        for i in over {
            remaining -= cap.expect("over implies a cap");
            capped[i] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yuan_as_typed_is_fen_exactly() {
        assert_eq!(parse_yuan("fund", "50000").unwrap(), 5_000_000);
        assert_eq!(parse_yuan("fund", "1,250.5").unwrap(), 125_050);
        assert_eq!(parse_yuan("fund", "0.07元").unwrap(), 7);
        for bad in ["", "-5", "1.234", "五万", "1e5", ".5"] {
            assert!(parse_yuan("fund", bad).is_err(), "{bad}");
        }
    }

    fn code(i: usize) -> RegionCode {
        RegionCode::parse(&format!("520402{:03}", i + 1)).unwrap()
    }

    #[test]
    fn an_even_split_leaves_no_fen_behind() {
        let s: Vec<_> = (0..3).map(|i| (code(i), Points(9000))).collect();
        let shares = allocate(100, &Method::Proportional { threshold: Points(0) }, None, &s).unwrap();
        let amounts: Vec<i64> = shares.iter().map(|s| s.amount).collect();
        assert_eq!(amounts, [34, 33, 33]);
    }

    #[test]
    fn earmarked_grants_and_tiers_must_add_up() {
        let units =
            [(RegionCode::parse("350103").unwrap(), Points(0)), (RegionCode::parse("350125").unwrap(), Points(0))];
        let grants = Method::Fixed {
            grants: vec![
                Grant { unit: units[0].0.clone(), amount: 100_000_000 },
                Grant { unit: units[1].0.clone(), amount: 200_000_000 },
            ],
        };
        assert_eq!(
            allocate(300_000_000, &grants, None, &units).unwrap().iter().map(|s| s.amount).sum::<i64>(),
            300_000_000
        );
        assert!(allocate(250_000_000, &grants, None, &units).is_err());
        assert!(allocate(-1, &Method::Proportional { threshold: Points(0) }, None, &units).is_err());
    }

    fn tiers(t: &[(&str, u32, i64)]) -> Method {
        Method::Tiers { tiers: t.iter().map(|(n, c, a)| Tier { name: (*n).into(), count: *c, amount: *a }).collect() }
    }

    /// Two units at 99.00 for one first prize: refused, naming both, instead of the region code
    /// deciding who gets 200,001 fen and who 100,000.
    #[test]
    fn a_tier_boundary_between_tied_units_is_refused_naming_them() {
        let s = vec![(code(0), Points(9900)), (code(1), Points(9900)), (code(2), Points(9000))];
        let e = allocate(300_001, &tiers(&[("一等奖", 1, 200_001), ("二等奖", 1, 100_000)]), None, &s).unwrap_err();
        match e {
            DomainError::RuleViolated { rule, message } => {
                assert_eq!(rule, Rule::RewardTie);
                assert!(message.contains("520402001") && message.contains("520402002"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // A tier wide enough for both: both get the same amount.
        let ok = allocate(400_000, &tiers(&[("一等奖", 2, 200_000)]), None, &s).unwrap();
        assert_eq!(ok.iter().map(|s| s.amount).collect::<Vec<_>>(), [200_000, 200_000, 0]);
        // A tie below the last tier does not matter.
        let s = vec![(code(0), Points(9900)), (code(1), Points(9000)), (code(2), Points(9000))];
        assert!(allocate(100_000, &tiers(&[("一等奖", 1, 100_000)]), None, &s).is_ok());
    }

    /// Sums near i64::MAX are refused with the field named, never wrapped or panicking.
    #[test]
    fn huge_amounts_are_refused_not_wrapped() {
        let s = vec![(code(0), Points(9900)), (code(1), Points(9000))];
        let invalid = |r: Result<Vec<Share>, DomainError>| match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(invalid(allocate(1, &tiers(&[("一", u32::MAX, i64::MAX / 2)]), None, &s)), "method.tiers");
        assert_eq!(invalid(allocate(1, &tiers(&[("一", 1, i64::MAX), ("二", 1, 1)]), None, &s)), "method.tiers");
        let grants = Method::Fixed {
            grants: vec![Grant { unit: code(0), amount: i64::MAX }, Grant { unit: code(1), amount: i64::MAX }],
        };
        assert_eq!(invalid(allocate(1, &grants, None, &s)), "method.grants");
    }

    proptest! {
        #[test]
        fn shares_add_up_respect_caps_and_follow_scores(
            scores in proptest::collection::vec(1i64..10_000, 1..40),
            fund in 0i64..100_000_000,
            cap_per_mille in proptest::option::of(30i64..1000),
        ) {
            let input: Vec<_> = scores.iter().enumerate().map(|(i, p)| (code(i), Points(*p))).collect();
            let cap = cap_per_mille.map(|m| (fund * m / 1000).max(1));
            match allocate(fund, &Method::Proportional { threshold: Points(0) }, cap, &input) {
                Ok(shares) => {
                    prop_assert_eq!(shares.iter().map(|s| s.amount).sum::<i64>(), fund);
                    if let Some(c) = cap { prop_assert!(shares.iter().all(|s| s.amount <= c)); }
                    // Monotone: a higher score never gets less (beyond one fen of rounding).
                    for a in &shares { for b in &shares {
                        let sa = input.iter().find(|x| x.0 == a.unit).unwrap().1;
                        let sb = input.iter().find(|x| x.0 == b.unit).unwrap().1;
                        if sa > sb { prop_assert!(a.amount + 1 >= b.amount); }
                    }}
                }
                Err(_) => prop_assert!(cap.is_some_and(|c| (c * input.len() as i64) < fund)),
            }
        }
    }
}
