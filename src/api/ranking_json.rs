//! Published ranking versions rendered to JSON once. A version is frozen when it is published and
//! is then read far more often than anything else (every leader's phone, the dashboard, the
//! bulletins), so its lines are rendered once per version, back to back, and a page is the
//! opening, one slice of lines and the closing copied together. The bytes are the ones serde
//! writes for `RankingView` (a unit test compares them with poem-openapi's rendering).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::rendered::json;
use super::scoring::{RankingView, rank_view};
use crate::domain::scoring::PublishedRanking;

/// Programme/month slots kept; past this the memo starts again (re-rendering is a few ms).
const SLOTS: usize = 256;

/// The rendered versions, one per programme and month (the newest read).
#[derive(Default)]
pub struct RankingJson {
    slots: Mutex<HashMap<(String, String), Arc<Version>>>,
}

/// One version: `{"period":…,"entries":[` then the lines, comma-separated, then the closing.
struct Version {
    version: i64,
    published_at: chrono::DateTime<chrono::Utc>,
    head: Vec<u8>,
    lines: Vec<u8>,
    /// Where each line ends in `lines` (the next one starts one comma later).
    ends: Vec<usize>,
}

impl RankingJson {
    /// The JSON of `window` (already within bounds) of a published version of `period`.
    pub fn page(&self, programme: &str, period: &str, published: &PublishedRanking, window: Range<usize>) -> Vec<u8> {
        let slot = (programme.to_owned(), period.to_owned());
        let found = self.lock().get(&slot).cloned();
        let version = match found {
            Some(v) if v.version == published.version && v.published_at == published.published_at => v,
            _ => {
                let v = Arc::new(Version::render(period, published));
                let mut slots = self.lock();
                if slots.len() >= SLOTS {
                    slots.clear();
                }
                slots.insert(slot, v.clone());
                v
            }
        };
        version.page(window)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<Version>>> {
        // The map holds only finished renderings, so one left by a panicking thread is whole.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Version {
    fn render(period: &str, p: &PublishedRanking) -> Self {
        let empty = RankingView {
            period: period.to_owned(),
            version: Some(p.version),
            published_at: Some(crate::api::common::shanghai(p.published_at)),
            reason: p.reason.clone(),
            entries: vec![],
            total: 0,
        };
        let mut head = json(&empty);
        // Strings are escaped, so the field's name appears unquoted only as the field itself.
        let at = find(&head, br#""entries":[]"#).expect("RankingView has entries");
        head.truncate(at + br#""entries":["#.len());
        let mut lines = Vec::with_capacity(p.entries.len() * 96);
        let mut ends = Vec::with_capacity(p.entries.len());
        for (i, e) in p.entries.iter().enumerate() {
            if i > 0 {
                lines.push(b',');
            }
            lines.extend_from_slice(&json(&rank_view(e)));
            ends.push(lines.len());
        }
        Self { version: p.version, published_at: p.published_at, head, lines, ends }
    }

    fn page(&self, window: Range<usize>) -> Vec<u8> {
        let lines = match window.is_empty() {
            true => &[][..],
            false => {
                let start = if window.start == 0 { 0 } else { self.ends[window.start - 1] + 1 };
                &self.lines[start..self.ends[window.end - 1]]
            }
        };
        let tail = format!(r#"],"total":{}}}"#, self.ends.len());
        let mut out = Vec::with_capacity(self.head.len() + lines.len() + tail.len());
        out.extend_from_slice(&self.head);
        out.extend_from_slice(lines);
        out.extend_from_slice(tail.as_bytes());
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::domain::RegionCode;
    use crate::domain::scoring::{Points, RankEntry, UnitScore};

    fn published(n: u32) -> PublishedRanking {
        let unit = RegionCode::parse("350103").unwrap();
        let entries = (1..=n)
            .map(|i| RankEntry {
                unit: unit.clone(),
                name: format!("台江区\"{i}\""),
                rank: i,
                score: Points(10_000 - i64::from(i) * 25),
                change: (i % 2 == 0).then_some(-1),
                score_detail: UnitScore {
                    unit: unit.clone(),
                    total: Points(0),
                    items: vec![],
                    bonus: Points(0),
                    lines: vec![],
                },
            })
            .collect();
        PublishedRanking {
            programme: crate::domain::Key::parse("fuzhou-2022").unwrap(),
            period: crate::domain::YearMonth { year: 2022, month: 9 },
            published_by: "fz-admin".into(),
            version: 2,
            published_at: "2022-10-08T01:30:00.123+00:00".parse().unwrap(),
            reason: Some("补录 \"entries\":[]".into()),
            entries,
        }
    }

    /// Every page (first, middle, last, empty, whole) is the JSON poem-openapi writes for the
    /// same view, parsed back equal.
    #[test]
    fn pages_are_what_poem_openapi_renders() {
        let p = published(7);
        let memo = RankingJson::default();
        for window in [0..7, 0..1, 2..5, 6..7, 7..7, 3..3] {
            let bytes = memo.page("fj", "2022-09", &p, window.clone());
            let view = RankingView {
                period: "2022-09".into(),
                version: Some(2),
                published_at: Some(crate::api::common::shanghai(p.published_at)),
                reason: p.reason.clone(),
                entries: p.entries[window.clone()].iter().map(rank_view).collect(),
                total: 7,
            };
            let ours: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(ours, view.to_json().unwrap(), "window {window:?}");
        }
    }

    /// A new version of the same month replaces the rendering kept for the old one.
    #[test]
    fn a_new_version_is_rendered_afresh() {
        let memo = RankingJson::default();
        let old = published(3);
        memo.page("fj", "2022-09", &old, 0..3);
        let new = PublishedRanking { version: 3, reason: Some("更正".into()), ..published(2) };
        let page: serde_json::Value = serde_json::from_slice(&memo.page("fj", "2022-09", &new, 0..2)).unwrap();
        assert_eq!(page["version"], 3);
        assert_eq!(page["reason"], "更正");
        assert_eq!(page["total"], 2);
        assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    }
}
