//! One robot message per channel and run: a group chat reads one 汇总 (grouped by programme
//! and by kind of notice, numbered) instead of a message per reminder, and a robot's 20
//! messages a minute then go far. A long digest is cut into parts that each fit a robot's
//! text limit; each part @mentions the phones of its own items.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::delivery::{Channel, ChannelKind, Delivery, DeliveryStatus};
use super::reminder::Reminder;

/// The most of a message's text a part holds, in bytes: WeCom robots refuse a text over 2,048
/// bytes (DingTalk allows more, but a phone screen does not).
pub const PART_BYTES: usize = 2_000;

/// Whether a channel gets digests (group robots) or one message per reminder (webhooks that
/// a program reads, and e-mail, whose subjects already read like a list).
pub fn digests(kind: ChannelKind) -> bool {
    matches!(kind, ChannelKind::Wecom | ChannelKind::Dingtalk)
}

/// One line of a digest and the phones it @mentions.
struct Item<'a> {
    line: String,
    mobiles: &'a [String],
}

/// The digest messages of one run for one robot channel: `reminders` are those the channel
/// covers, in the order the run made them; `titles` names the programmes; `phones` gives each
/// reminder's recipients' phones (by reminder identity). Each part is a delivery keyed by the
/// run's instant, the items' identities and its number, so the same run never queues twice.
pub fn digest_deliveries(
    c: &Channel,
    reminders: &[&Reminder],
    titles: &HashMap<String, String>,
    phones: &HashMap<String, Vec<String>>,
) -> Vec<Delivery> {
    let Some(first) = reminders.first() else { return vec![] };
    let sent_at = reminders.iter().map(|r| r.sent_at).min().unwrap_or(first.sent_at);
    let local = sent_at.with_timezone(&chrono_tz::Asia::Shanghai);
    let several_programmes = reminders.iter().any(|r| r.programme != first.programme);
    let none = Vec::new();

    // Programme by programme (first seen first), then kind by kind, items numbered per kind.
    let mut programmes: Vec<&str> = Vec::new();
    for r in reminders {
        if !programmes.contains(&r.programme.as_str()) {
            programmes.push(r.programme.as_str());
        }
    }
    let mut blocks: Vec<(String, Vec<Item>)> = Vec::new();
    for p in programmes {
        let of_p: Vec<&&Reminder> = reminders.iter().filter(|r| r.programme.as_str() == p).collect();
        let mut kinds: Vec<&str> = Vec::new();
        for r in &of_p {
            if !kinds.contains(&tag(&r.message).0) {
                kinds.push(tag(&r.message).0);
            }
        }
        for k in kinds {
            let items: Vec<Item> = of_p
                .iter()
                .filter(|r| tag(&r.message).0 == k)
                .enumerate()
                .map(|(i, r)| Item {
                    line: format!("{}. {}", i + 1, tag(&r.message).1),
                    mobiles: phones.get(&r.identity).unwrap_or(&none),
                })
                .collect();
            let programme = titles.get(p).map(String::as_str).unwrap_or(p);
            let heading = match (several_programmes, k.is_empty()) {
                (true, true) => format!("〔{programme}〕（{}条）", items.len()),
                (true, false) => format!("〔{programme}〕【{k}】{}条", items.len()),
                (false, true) => format!("（{}条）", items.len()),
                (false, false) => format!("【{k}】{}条", items.len()),
            };
            blocks.push((heading, items));
        }
    }

    // Parts: lines are added while the text (with its mentions) stays within PART_BYTES; a
    // block carried over repeats its heading with （续）.
    let mut parts: Vec<(String, Vec<String>)> = Vec::new();
    let mut body = String::new();
    let mut mobiles: Vec<String> = Vec::new();
    for (heading, items) in &blocks {
        let mut current_heading = heading.clone();
        let mut heading_written = false;
        for item in items {
            let mut add = String::new();
            if !heading_written {
                let _ = writeln!(add, "{current_heading}");
            }
            let _ = writeln!(add, "{}", item.line);
            let extra: usize = item.mobiles.iter().filter(|m| !mobiles.contains(m)).map(|m| m.len() + 2).sum();
            let used = body.len() + mobiles.iter().map(|m| m.len() + 2).sum::<usize>();
            if !body.is_empty() && used + add.len() + extra + 80 > PART_BYTES {
                parts.push((std::mem::take(&mut body), std::mem::take(&mut mobiles)));
                current_heading = format!("{heading}（续）");
                add = format!("{current_heading}\n{}\n", item.line);
            }
            heading_written = true;
            body.push_str(&add);
            for m in item.mobiles {
                if !mobiles.contains(m) {
                    mobiles.push(m.clone());
                }
            }
        }
    }
    parts.push((body, mobiles));

    let total = parts.len();
    let date = local.format("%-m月%-d日 %H:%M");
    let identity = fingerprint(reminders.iter().map(|r| r.identity.as_str()));
    let region_path = match first.unit_path.iter().position(|r| *r == c.region) {
        Some(i) => first.unit_path[..=i].to_vec(),
        None => vec![c.region.clone()],
    };
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (body, mobiles))| {
            let of = if total > 1 { format!("（{}/{total}）", i + 1) } else { String::new() };
            let text = format!("【试点工作提醒汇总】{date} 共{}条{of}\n{}", reminders.len(), body.trim_end());
            let id = format!("digest~{}~{identity}~{}", local.format("%Y%m%dT%H%M"), i + 1);
            Delivery {
                key: format!("{id}@{}", c.key),
                reminder: id,
                channel: c.key.clone(),
                region_path: region_path.clone(),
                kind: c.kind,
                url: c.url.clone(),
                payload: robot_payload(c.kind, &text, &mobiles),
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: sent_at,
                log: vec![],
            }
        })
        .collect()
}

/// A reminder message's 【kind】 and the rest (no kind: empty and the whole message).
fn tag(message: &str) -> (&str, &str) {
    message.strip_prefix('【').and_then(|rest| rest.split_once('】')).unwrap_or(("", message))
}

/// A robot's text message that @mentions `mobiles` (DingTalk also names them in the text).
pub fn robot_payload(kind: ChannelKind, text: &str, mobiles: &[String]) -> String {
    match kind {
        ChannelKind::Dingtalk => {
            let mut content = text.to_owned();
            for m in mobiles {
                content.push_str(&format!(" @{m}"));
            }
            serde_json::json!({ "msgtype": "text", "text": { "content": content },
                                "at": { "atMobiles": mobiles, "isAtAll": false } })
        }
        _ => serde_json::json!({ "msgtype": "text", "text": { "content": text, "mentioned_mobile_list": mobiles } }),
    }
    .to_string()
}

/// Eight hex digits naming a set of reminders (FNV-1a): stable across processes, so a run
/// retried after a crash queues the same keys and the store refuses the duplicates.
fn fingerprint<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for id in ids {
        for b in id.bytes().chain([0]) {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    format!("{h:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminder::{Audience, Kind, Notice};
    use crate::domain::{Key, RegionCode};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn reminder(programme: &str, unit: &str, name: &str, message: &str) -> Reminder {
        Reminder {
            identity: format!("{programme}~{unit}~plan~once~{}", message.len()),
            programme: Key::parse(programme).unwrap(),
            unit: RegionCode::parse(unit).unwrap(),
            unit_name: name.into(),
            unit_path: vec![
                RegionCode::parse("350000").unwrap(),
                RegionCode::parse("350100").unwrap(),
                RegionCode::parse(unit).unwrap(),
            ],
            deliverable: "plan".into(),
            occurrence: "once".into(),
            due_on: NaiveDate::from_ymd_opt(2022, 9, 20).unwrap(),
            notice: Notice::Deadline(Kind::Before(3)),
            audience: Audience::Lead,
            send_date: NaiveDate::from_ymd_opt(2022, 9, 15).unwrap(),
            message: message.into(),
            recipients: vec![],
            read_by: vec![],
            sent_at: Utc.with_ymd_and_hms(2022, 9, 15, 1, 0, 0).unwrap(),
        }
    }

    fn robot(kind: ChannelKind) -> Channel {
        Channel {
            key: "fz-robot".into(),
            kind,
            url: "https://oapi.dingtalk.com/robot/send?access_token=x".into(),
            region: RegionCode::parse("350100").unwrap(),
            created_by: "admin".into(),
            secret: None,
        }
    }

    fn text(d: &Delivery) -> String {
        let v: serde_json::Value = serde_json::from_str(&d.payload).unwrap();
        v["text"]["content"].as_str().unwrap().to_owned()
    }

    #[test]
    fn one_run_is_one_message_grouped_by_kind_with_each_phone_mentioned() {
        let rs = [
            reminder(
                "fj",
                "350103",
                "台江区",
                "【临近提醒】台江区：实施方案（9月20日前）还有3个工作日到期，请按时报送。",
            ),
            reminder("fj", "350121", "闽侯县", "【催办】闽侯县：实施方案（9月10日前）已逾期未报送，请尽快报送。"),
            reminder("fj", "350128", "平潭", "【临近提醒】平潭：实施方案（9月20日前）还有3个工作日到期，请按时报送。"),
        ];
        let refs: Vec<&Reminder> = rs.iter().collect();
        let phones = HashMap::from([(rs[0].identity.clone(), vec!["13805910001".to_owned()])]);
        let out = digest_deliveries(&robot(ChannelKind::Dingtalk), &refs, &HashMap::new(), &phones);
        assert_eq!(out.len(), 1);
        let t = text(&out[0]);
        assert!(t.starts_with("【试点工作提醒汇总】9月15日 09:00 共3条\n【临近提醒】2条\n1. 台江区"), "{t}");
        assert!(t.contains("2. 平潭：") && t.contains("【催办】1条\n1. 闽侯县"), "{t}");
        assert!(t.ends_with(" @13805910001"), "{t}");
        let v: serde_json::Value = serde_json::from_str(&out[0].payload).unwrap();
        assert_eq!(v["at"]["atMobiles"], serde_json::json!(["13805910001"]));
        assert_eq!(out[0].region_path.len(), 2, "the channel's region, root first");
        // The same run makes the same keys; another set of reminders makes others.
        let again = digest_deliveries(&robot(ChannelKind::Dingtalk), &refs, &HashMap::new(), &phones);
        assert_eq!(again[0].key, out[0].key);
        let fewer = digest_deliveries(&robot(ChannelKind::Dingtalk), &refs[..2], &HashMap::new(), &phones);
        assert_ne!(fewer[0].key, out[0].key);
    }

    #[test]
    fn a_long_run_is_cut_into_parts_within_a_robots_limit_and_several_programmes_are_named() {
        let mut rs = Vec::new();
        for i in 0..60 {
            rs.push(reminder(
                if i % 2 == 0 { "fj" } else { "fz" },
                "350103",
                "台江区",
                &format!("【催办】台江区：第{i}项材料（9月10日前）已逾期未报送，请尽快报送。"),
            ));
        }
        let refs: Vec<&Reminder> = rs.iter().collect();
        let phones: HashMap<String, Vec<String>> =
            rs.iter().map(|r| (r.identity.clone(), vec!["13805910001".to_owned()])).collect();
        let titles = HashMap::from([("fj".to_owned(), "福建省社会救助改革试点".to_owned())]);
        let out = digest_deliveries(&robot(ChannelKind::Wecom), &refs, &titles, &phones);
        assert!(out.len() > 1, "{}", out.len());
        let mut seen = 0;
        for (i, d) in out.iter().enumerate() {
            let t = text(d);
            assert!(t.len() <= PART_BYTES, "part {i}: {} bytes", t.len());
            assert!(t.contains(&format!("（{}/{}）", i + 1, out.len())), "{t}");
            seen += t.lines().filter(|l| l.contains("第") && l.contains("项材料")).count();
            let v: serde_json::Value = serde_json::from_str(&d.payload).unwrap();
            assert_eq!(v["text"]["mentioned_mobile_list"], serde_json::json!(["13805910001"]));
        }
        assert_eq!(seen, 60, "every reminder is in one part");
        let all: String = out.iter().map(text).collect();
        assert!(all.contains("〔福建省社会救助改革试点〕【催办】30条"), "titled where known");
        assert!(all.contains("〔fz〕【催办】30条"), "the key where not");
        assert!(out.iter().skip(1).any(|d| text(d).contains("（续）")), "a block carried over says so");
    }
}
