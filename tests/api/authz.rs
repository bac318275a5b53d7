//! Every operation in the spec × every role × a user at home and a user elsewhere: allowed, or
//! refused with 403 (may see, may not act) or 404 (may not even see), as designed. A new
//! operation without a rule here fails the test.

use std::collections::BTreeMap;

use pilotgov::domain::access::Role;
use poem::http::Method;
use poem::test::{TestForm, TestFormField};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const FJ: &str = "/api/v1/programmes/fj-2022-reform-pilot";

/// The ten accounts: each role at home (Fujian, around 台江区) and elsewhere.
const USERS: [(&str, Role, &str); 10] = [
    ("fj-admin", Role::ProvinceAdmin, "350000"),
    ("gd-admin", Role::ProvinceAdmin, "440000"),
    ("fz-reviewer", Role::CityReviewer, "350100"),
    ("xm-reviewer", Role::CityReviewer, "350200"),
    ("taijiang-lead", Role::UnitLead, "350103"),
    ("minhou-lead", Role::UnitLead, "350121"),
    ("fj-evaluator", Role::Evaluator, "350000"),
    ("gd-evaluator", Role::Evaluator, "440000"),
    ("fj-leader", Role::Leader, "350000"),
    ("gd-leader", Role::Leader, "440000"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Forbidden,
    Hidden,
}
use Outcome::*;

/// Who may do what, per rule, by username.
fn expect(rule: &str, user: &str) -> Outcome {
    let fujian = !user.starts_with("gd-");
    let covers_taijiang = ["fj-admin", "fz-reviewer", "taijiang-lead", "fj-evaluator", "fj-leader"].contains(&user);
    match rule {
        "anyone" => Allowed,
        "read_fujian" => {
            if fujian {
                Allowed
            } else {
                Hidden
            }
        }
        "read_taijiang" => {
            if covers_taijiang {
                Allowed
            } else {
                Hidden
            }
        }
        "define_fujian" => match user {
            "fj-admin" => Allowed,
            _ if fujian => Forbidden,
            _ => Hidden,
        },
        "define_own_region" => {
            if user.ends_with("-admin") || user.ends_with("-reviewer") {
                Allowed
            } else {
                Forbidden
            }
        }
        "define_in_fuzhou" => {
            if ["fj-admin", "fz-reviewer"].contains(&user) {
                Allowed
            } else {
                Forbidden
            }
        }
        "manage_unit_in_fuzhou" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            _ if fujian => Forbidden,
            _ => Hidden,
        },
        "update_taijiang_unit" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            _ if covers_taijiang => Forbidden,
            _ => Hidden,
        },
        "manage_minhou_unit" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            "minhou-lead" | "fj-evaluator" | "fj-leader" => Forbidden,
            _ => Hidden,
        },
        "file_for_taijiang" => match user {
            "taijiang-lead" => Allowed,
            _ if covers_taijiang => Forbidden,
            _ => Hidden,
        },
        "review_at_fuzhou" => match user {
            "fz-reviewer" => Allowed,
            _ if covers_taijiang => Forbidden,
            _ => Hidden,
        },
        "audit" => {
            if user.ends_with("-admin") {
                Allowed
            } else {
                Forbidden
            }
        }
        "evaluate_taijiang" => match user {
            "fj-admin" | "fz-reviewer" | "fj-evaluator" => Allowed,
            _ if covers_taijiang => Forbidden,
            _ => Hidden,
        },
        "adjudicate_taijiang" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            _ if covers_taijiang => Forbidden,
            _ => Hidden,
        },
        "replay_fujian" => match user {
            "fj-admin" => Allowed,
            "gd-admin" => Hidden,
            _ => Forbidden,
        },
        "inbox_of_taijiang" => {
            if user == "taijiang-lead" {
                Allowed
            } else {
                Hidden
            }
        }
        // A city's own bulletin: its department and the province write it.
        "write_fuzhou_bulletin" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            "xm-reviewer" => Hidden,
            _ if fujian => Forbidden,
            _ => Hidden,
        },
        // A draft is seen only by those who may publish it.
        "write_fuzhou_draft" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            _ => Hidden,
        },
        // Reminder channels of 福州: set up by its departments; seen from 福州 and above.
        "manage_fuzhou_channel" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            "fj-evaluator" | "fj-leader" => Forbidden,
            _ => Hidden,
        },
        // Calendar feeds of 台江区: anyone who reads the unit, except leaders, who change nothing.
        "feed_taijiang" => match user {
            "fj-leader" => Forbidden,
            _ if covers_taijiang => Allowed,
            _ => Hidden,
        },
        // Accounts: a province admin manages all inside its region, a city reviewer its leads.
        "manage_taijiang_account" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            _ if covers_taijiang => Forbidden,
            _ => Hidden,
        },
        "create_fuzhou_lead" => match user {
            "fj-admin" | "fz-reviewer" => Allowed,
            _ => Forbidden,
        },
        "account_managers" => {
            if user.ends_with("-admin") || user.ends_with("-reviewer") {
                Allowed
            } else {
                Forbidden
            }
        }
        "rename_in_fujian" => match user {
            "fj-admin" => Allowed,
            _ => Forbidden,
        },
        "read_fuzhou" => match user {
            "xm-reviewer" => Hidden,
            _ if fujian => Allowed,
            _ => Hidden,
        },
        other => panic!("no rule `{other}`"),
    }
}

struct Ctx {
    filing: String,
    attachment: String,
    /// A deduction on 台江区 nobody has appealed yet, and a pending appeal about another.
    deduction: String,
    appeal: String,
    /// A delivery that failed for good.
    dead_delivery: String,
    /// 福州's stage bulletins: one published, two drafts (one to edit, one to publish).
    bulletin: String,
    bulletin_draft: String,
    bulletin_to_publish: String,
    reward: String,
    /// A calendar feed of 台江区 and its secret.
    feed: String,
    /// A robot channel of 福州.
    channel: String,
    /// Supervision orders of 福州: one on 台江区 (answered, then closed), one on 闽侯县 (escalated).
    order: String,
    order_to_escalate: String,
    feed_token: String,
    tokens: BTreeMap<&'static str, String>,
}

/// The numbers the audit run calls with (the permission matrix counts from 1).
const AUDIT_RUN: usize = 1_000_000;

/// A request for one operation, made by `user` (`n` makes created keys unique).
struct Call {
    method: Method,
    uri: String,
    body: Option<Value>,
    multipart: bool,
    /// A spreadsheet sent as the body.
    raw: Option<Vec<u8>>,
}

fn call(op: &str, ctx: &Ctx, user: &str, n: usize) -> (Call, &'static str) {
    let c = |method: Method, uri: String, body: Option<Value>| Call { method, uri, body, multipart: false, raw: None };
    let sheet = |uri: &str| Call {
        method: Method::POST,
        uri: uri.into(),
        body: None,
        multipart: false,
        raw: Some(format!("用户名,姓名,角色,行政区划代码\nimp-{n},台江区,试点单位负责人,350103\n").into_bytes()),
    };
    let programme = |key: String, scope: &str| {
        json!({"key": key, "title": "试点", "issuer": "民政局", "issued": "2022年9月1日", "period_start": "2022年9月",
               "period_end": "2022年12月", "scope": scope, "unit_level": "county"})
    };
    let f = &ctx.filing;
    let revision = json!(0); // replaced with the live revision before sending
    match op {
        "login" => (
            c(Method::POST, "/api/v1/auth/login".into(), Some(json!({"username": user, "password": PASSWORD}))),
            "anyone",
        ),
        "logout" => (c(Method::POST, "/api/v1/auth/logout".into(), None), "anyone"),
        "me" => (c(Method::GET, "/api/v1/auth/me".into(), None), "anyone"),
        "listRegions" => (c(Method::GET, "/api/v1/regions?parent=350000".into(), None), "anyone"),
        "getRegion" => (c(Method::GET, "/api/v1/regions/350103".into(), None), "anyone"),
        "listProgrammes" => (c(Method::GET, "/api/v1/programmes".into(), None), "anyone"),
        "getProgramme" => (c(Method::GET, FJ.into(), None), "read_fujian"),
        "createProgramme" => (
            c(Method::POST, "/api/v1/programmes".into(), Some(programme(format!("fz-p{n}"), "350100"))),
            "define_in_fuzhou",
        ),
        "importProgramme" => (
            c(
                Method::POST,
                "/api/v1/programmes/import".into(),
                Some(json!({"format": "pilotgov/programme@1", "programme": {
                "key": format!("fz-i{n}"), "title": "试点", "issuer": "民政局", "issued": "2022年9月1日",
                "period": {"start": "2022年9月", "end": "2022年12月"}, "scope": "350100", "unit_level": "county"}})),
            ),
            "define_in_fuzhou",
        ),
        "readNotice" => (
            c(
                Method::POST,
                "/api/v1/programme-drafts".into(),
                Some(json!({"text": "各试点单位于2022年9月20日前将实施方案报省民政厅备案。"})),
            ),
            "define_own_region",
        ),
        "previewProgrammeImport" => (
            c(
                Method::POST,
                "/api/v1/programmes/import/preview".into(),
                Some(json!({"format": "pilotgov/programme@1", "programme": {
                "key": format!("fz-v{n}"), "title": "试点", "issuer": "民政局", "issued": "2022年9月1日",
                "period": {"start": "2022年9月", "end": "2022年12月"}, "scope": "350100", "unit_level": "county"}})),
            ),
            "define_in_fuzhou",
        ),
        "updateProgramme" => {
            let mut p = programme("fj-2022-reform-pilot".into(), "350000");
            p["period_start"] = json!("2022年8月17日");
            p["period_end"] = json!("2023年11月底");
            (c(Method::PUT, FJ.into(), Some(p)), "define_fujian")
        }
        "listStages" => (c(Method::GET, format!("{FJ}/stages"), None), "read_fujian"),
        "getStage" => (c(Method::GET, format!("{FJ}/stages/deploy"), None), "read_fujian"),
        "createStage" => (
            c(
                Method::POST,
                format!("{FJ}/stages"),
                Some(
                    json!({"key": format!("s{n}"), "name": "补充", "seq": 9, "start": "2023年10月", "end": "2023年10月"}),
                ),
            ),
            "define_fujian",
        ),
        "updateStage" => (
            c(
                Method::PUT,
                format!("{FJ}/stages/summary"),
                Some(
                    json!({"key": "summary", "name": "总结阶段", "seq": 3, "start": "2023年10月", "end": "2023年11月"}),
                ),
            ),
            "define_fujian",
        ),
        "listDirections" => (c(Method::GET, format!("{FJ}/directions"), None), "read_fujian"),
        "getDirection" => (c(Method::GET, format!("{FJ}/directions/1"), None), "read_fujian"),
        "createDirection" => (
            c(
                Method::POST,
                format!("{FJ}/directions"),
                Some(json!({"number": 100 + n % 800, "title": "补充方向", "text": "说明", "kind": "choice"})),
            ),
            "define_fujian",
        ),
        "updateDirection" => (
            c(
                Method::PUT,
                format!("{FJ}/directions/11"),
                Some(
                    json!({"number": 11, "title": "低保老年人及未成年人照料护理", "text": "为低保对象中的老年人及未成年人提供照料护理等服务。", "kind": "choice"}),
                ),
            ),
            "define_fujian",
        ),
        "listDeliverables" => (c(Method::GET, format!("{FJ}/deliverables"), None), "read_fujian"),
        "getDeliverable" => (c(Method::GET, format!("{FJ}/deliverables/plan"), None), "read_fujian"),
        "listOccurrences" => (c(Method::GET, format!("{FJ}/deliverables/plan/occurrences"), None), "read_fujian"),
        "createDeliverable" => (
            c(
                Method::POST,
                format!("{FJ}/deliverables"),
                Some(
                    json!({"key": format!("d{n}"), "title": "补充材料", "deadline": {"kind": "fixed", "due": "2023年3月31日前"}}),
                ),
            ),
            "define_fujian",
        ),
        "updateDeliverable" => (
            c(
                Method::PUT,
                format!("{FJ}/deliverables/progress"),
                Some(json!({"key": "progress", "title": "试点工作情况和阶段性成效", "stage": "implement",
                "deadline": {"kind": "fixed", "due": "2022年11月1日"}, "route": [{"level": "province", "action": "file"}]})),
            ),
            "define_fujian",
        ),
        "listUnits" => (c(Method::GET, format!("{FJ}/units"), None), "read_fujian"),
        "getUnit" => (c(Method::GET, format!("{FJ}/units/350103"), None), "read_taijiang"),
        "createUnit" => (
            c(Method::POST, format!("{FJ}/units"), Some(json!({"region": "350104", "directions": [1]}))),
            "manage_unit_in_fuzhou",
        ),
        "updateUnit" => (
            c(Method::PUT, format!("{FJ}/units/350103"), Some(json!({"region": "350103", "directions": [1, 3]}))),
            "update_taijiang_unit",
        ),
        "withdrawUnit" => (
            c(Method::POST, format!("{FJ}/units/350121/withdraw"), Some(json!({"reason": "撤县设区"}))),
            "manage_minhou_unit",
        ),
        "reinstateUnit" => (c(Method::POST, format!("{FJ}/units/350121/reinstate"), None), "manage_minhou_unit"),
        "deadlineBoard" => (c(Method::GET, format!("{FJ}/deadlines?as_of=2022-09-01"), None), "read_fujian"),
        "complianceMatrix" => (c(Method::GET, format!("{FJ}/compliance?as_of=2022-09-30"), None), "read_fujian"),
        "listFilings" => (c(Method::GET, format!("{FJ}/filings"), None), "read_fujian"),
        "createFiling" => (
            c(
                Method::POST,
                format!("{FJ}/filings"),
                Some(json!({"unit": "350103", "deliverable": "self-evaluation", "title": "自评报告"})),
            ),
            "file_for_taijiang",
        ),
        "getFiling" => (c(Method::GET, format!("/api/v1/filings/{f}"), None), "read_taijiang"),
        "updateFiling" => (
            c(
                Method::PUT,
                format!("/api/v1/filings/{f}"),
                Some(json!({"title": "方案（修订）", "body": "", "revision": revision})),
            ),
            "file_for_taijiang",
        ),
        "submitFiling" => (
            c(Method::POST, format!("/api/v1/filings/{f}/submit"), Some(json!({"revision": revision}))),
            "file_for_taijiang",
        ),
        "reviewFiling" => (
            c(
                Method::POST,
                format!("/api/v1/filings/{f}/review"),
                Some(json!({"decision": "return", "reason": "请补充", "revision": revision})),
            ),
            "review_at_fuzhou",
        ),
        "uploadAttachment" => (
            Call {
                method: Method::POST,
                uri: format!("/api/v1/filings/{f}/attachments"),
                body: None,
                multipart: true,
                raw: None,
            },
            "file_for_taijiang",
        ),
        "downloadAttachment" => {
            (c(Method::GET, format!("/api/v1/attachments/{}", ctx.attachment), None), "read_taijiang")
        }
        "listAudit" => (c(Method::GET, "/api/v1/audit".into(), None), "audit"),
        "getScheme" => (c(Method::GET, format!("{FJ}/scheme"), None), "read_fujian"),
        "putScheme" => (c(Method::PUT, format!("{FJ}/scheme"), Some(scheme())), "define_fujian"),
        "createAdjustment" => (
            c(
                Method::POST,
                format!("{FJ}/adjustments"),
                Some(json!({"unit": "350103", "period": "2022-09", "item": "progress",
                "kind": "deduction", "points": 1, "reason": "进度滞后", "evidence": {"note": "督导检查"}})),
            ),
            "evaluate_taijiang",
        ),
        "listAdjustments" => (c(Method::GET, format!("{FJ}/adjustments"), None), "read_fujian"),
        "monthScores" => (c(Method::GET, format!("{FJ}/scores/2022-09"), None), "read_fujian"),
        "getRanking" => (c(Method::GET, format!("{FJ}/rankings/2022-09"), None), "read_fujian"),
        "listRankingVersions" => (c(Method::GET, format!("{FJ}/rankings/2022-09/versions"), None), "read_fujian"),
        "rankingCsv" => (c(Method::GET, format!("{FJ}/rankings/2022-09/csv"), None), "read_fujian"),
        "publishRanking" => {
            (c(Method::POST, format!("{FJ}/rankings/2022-10/publish"), Some(json!({}))), "define_fujian")
        }
        "createAppeal" => (
            c(
                Method::POST,
                format!("{FJ}/appeals"),
                Some(json!({"unit": "350103", "target": ctx.deduction, "reason": "已按计划推进"})),
            ),
            "file_for_taijiang",
        ),
        "listAppeals" => (c(Method::GET, format!("{FJ}/appeals"), None), "read_fujian"),
        "decideAppeal" => (
            c(
                Method::POST,
                format!("/api/v1/appeals/{}/decide", ctx.appeal),
                Some(json!({"decision": "overturn", "reason": "证据充分"})),
            ),
            "adjudicate_taijiang",
        ),
        "getIndicatorSystem" => (c(Method::GET, format!("{FJ}/indicator-system"), None), "read_fujian"),
        "putIndicatorSystem" => {
            (c(Method::PUT, format!("{FJ}/indicator-system"), Some(indicator_system())), "define_fujian")
        }
        "createEvaluation" => (
            c(
                Method::POST,
                format!("{FJ}/evaluations"),
                Some(json!({"unit": "350103", "phase": "mid_term",
                "panel": [{"name": "甲", "title": "senior"}, {"name": "乙", "accountant": true, "title": "intermediate"}, {"name": "丙", "title": "none"}],
                "scores": {"plan": 90, "delivery": 80}})),
            ),
            "evaluate_taijiang",
        ),
        "listEvaluations" => (c(Method::GET, format!("{FJ}/evaluations"), None), "read_fujian"),
        "annualScores" => (c(Method::GET, format!("{FJ}/annual-scores?year=2022"), None), "read_fujian"),
        "allocateReward" => (
            c(
                Method::POST,
                format!("{FJ}/rewards"),
                Some(json!({"label": "2022年度以奖代补", "year": 2022, "fund": 1_000_000,
                "method": {"kind": "proportional", "threshold": 0}})),
            ),
            "define_fujian",
        ),
        "listRewards" => (c(Method::GET, format!("{FJ}/rewards"), None), "read_fujian"),
        "inbox" => (c(Method::GET, "/api/v1/inbox".into(), None), "anyone"),
        "createChannel" => (
            c(
                Method::POST,
                "/api/v1/channels".into(),
                Some(json!({"kind": "dingtalk", "url": "http://127.0.0.1:9/robot", "region": "350100"})),
            ),
            "define_in_fuzhou",
        ),
        "listChannels" => (c(Method::GET, "/api/v1/channels".into(), None), "anyone"),
        "replaceChannelUrl" => (
            c(
                Method::PUT,
                format!("/api/v1/channels/{}", ctx.channel),
                Some(json!({"url": format!("https://oapi.dingtalk.com/robot/send?access_token=new{n}")})),
            ),
            "manage_fuzhou_channel",
        ),
        "listDeliveries" => (c(Method::GET, "/api/v1/deliveries?status=dead".into(), None), "audit"),
        "replayDelivery" => {
            (c(Method::POST, format!("/api/v1/deliveries/{}/replay", ctx.dead_delivery), None), "replay_fujian")
        }
        "markReminderRead" => (
            c(Method::POST, "/api/v1/inbox/fj-2022-reform-pilot~350103~progress~once~before-3/read".into(), None),
            "inbox_of_taijiang",
        ),
        "listReminders" => (c(Method::GET, format!("{FJ}/reminders"), None), "read_fujian"),
        "getReminderRules" => (c(Method::GET, format!("{FJ}/reminder-rules"), None), "read_fujian"),
        "putReminderRules" => (
            c(
                Method::PUT,
                format!("{FJ}/reminder-rules"),
                Some(json!({"before_working_days": [5, 2], "on_the_day": true,
                "overdue_daily": true, "escalate_city_after_days": 5, "escalate_province_after_days": 10})),
            ),
            "define_fujian",
        ),
        "previewReminders" => {
            (c(Method::GET, format!("{FJ}/reminders/preview?at=2022-10-31T09:00:00%2B08:00"), None), "read_fujian")
        }
        "draftBulletin" => (
            c(
                Method::POST,
                format!("{FJ}/bulletins"),
                Some(json!({"kind": "stage", "period": "implement", "region": "350100"})),
            ),
            "write_fuzhou_bulletin",
        ),
        "listBulletins" => (c(Method::GET, format!("{FJ}/bulletins"), None), "read_fujian"),
        // Supervision orders: issued, closed and escalated by the departments above the unit at
        // the order's level, answered by the unit's lead. (The permission matrix runs at
        // 15 September, before anything is overdue or with a past date, so a permitted call
        // is refused by the rules, not the gate; the audit run, n ≥ AUDIT_RUN, succeeds.)
        "issueSupervisionOrder" => (
            c(
                Method::POST,
                format!("{FJ}/supervision-orders"),
                Some(
                    json!({"unit": "350121", "deliverable": "plan", "occurrence": "once", "respond_by": "2022-12-31"}),
                ),
            ),
            "manage_minhou_unit",
        ),
        "listSupervisionOrders" => (c(Method::GET, format!("{FJ}/supervision-orders"), None), "read_fujian"),
        "getSupervisionOrder" => {
            (c(Method::GET, format!("/api/v1/supervision-orders/{}", ctx.order), None), "read_taijiang")
        }
        "supervisionOrderDocument" => {
            (c(Method::GET, format!("/api/v1/supervision-orders/{}/document", ctx.order), None), "read_taijiang")
        }
        "answerSupervisionOrder" => (
            c(
                Method::POST,
                format!("/api/v1/supervision-orders/{}/answer", ctx.order),
                Some(json!({"revision": 0, "text": "人员调整，已安排专人补报。", "promised": "2022-12-31"})),
            ),
            "file_for_taijiang",
        ),
        "closeSupervisionOrder" => (
            c(
                Method::POST,
                format!("/api/v1/supervision-orders/{}/close", ctx.order),
                Some(json!({"revision": 0, "remark": "已补报"})),
            ),
            "adjudicate_taijiang",
        ),
        "escalateSupervisionOrder" => (
            c(
                Method::POST,
                format!("/api/v1/supervision-orders/{}/escalate", ctx.order_to_escalate),
                Some(
                    json!({"revision": 0, "reason": "逾期未反馈", "respond_by": if n >= AUDIT_RUN { "2022-12-31" } else { "2022-09-01" }}),
                ),
            ),
            "manage_minhou_unit",
        ),
        "getBulletinStyle" => (c(Method::GET, format!("{FJ}/bulletin-style"), None), "read_fujian"),
        // The programme's 发文字号 pattern: whoever publishes its province-wide bulletins.
        "setBulletinStyle" => (
            c(Method::PUT, format!("{FJ}/bulletin-style"), Some(json!({"number_pattern": "闽民通〔{year}〕{n}号"}))),
            "define_fujian",
        ),
        "getBulletin" => (c(Method::GET, format!("/api/v1/bulletins/{}", ctx.bulletin), None), "read_fuzhou"),
        "bulletinDocument" => {
            (c(Method::GET, format!("/api/v1/bulletins/{}/document?format=text", ctx.bulletin), None), "read_fuzhou")
        }
        "updateBulletin" => (
            c(
                Method::PUT,
                format!("/api/v1/bulletins/{}", ctx.bulletin_draft),
                Some(json!({"revision": revision, "remarks": "请各县（市、区）抓紧推进。"})),
            ),
            "write_fuzhou_draft",
        ),
        "publishBulletin" => (
            c(
                Method::POST,
                format!("/api/v1/bulletins/{}/publish", ctx.bulletin_to_publish),
                Some(json!({"revision": revision})),
            ),
            "write_fuzhou_draft",
        ),
        "exportRanking" => (c(Method::GET, format!("{FJ}/rankings/2022-09/export?format=csv"), None), "read_fujian"),
        "exportCompliance" => (c(Method::GET, format!("{FJ}/compliance/export"), None), "read_fujian"),
        "exportReward" => (c(Method::GET, format!("{FJ}/rewards/{}/export", ctx.reward), None), "read_fujian"),
        "createCalendarFeed" => (c(Method::POST, format!("{FJ}/units/350103/calendar-feeds"), None), "feed_taijiang"),
        "listCalendarFeeds" => (c(Method::GET, format!("{FJ}/units/350103/calendar-feeds"), None), "read_taijiang"),
        "revokeCalendarFeed" => {
            (c(Method::POST, format!("/api/v1/calendar-feeds/{}/revoke", ctx.feed), None), "feed_taijiang")
        }
        "calendarFeed" => (c(Method::GET, format!("/api/v1/feeds/{}", ctx.feed_token), None), "anyone"),
        "changePassword" => (
            c(
                Method::POST,
                "/api/v1/auth/password".into(),
                Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
            ),
            "anyone",
        ),
        "listAccounts" => (c(Method::GET, "/api/v1/accounts".into(), None), "anyone"),
        "createAccount" => (
            c(
                Method::POST,
                "/api/v1/accounts".into(),
                Some(
                    json!({"username": format!("acc-{n}"), "display_name": "台江区经办", "role": "unit_lead", "region": "350103"}),
                ),
            ),
            "create_fuzhou_lead",
        ),
        "getAccount" => (c(Method::GET, "/api/v1/accounts/tj-target".into(), None), "manage_taijiang_account"),
        "updateAccount" => (
            c(Method::PUT, "/api/v1/accounts/tj-target".into(), Some(json!({"display_name": "台江区经办人"}))),
            "manage_taijiang_account",
        ),
        "disableAccount" => {
            (c(Method::POST, "/api/v1/accounts/tj-target/disable".into(), None), "manage_taijiang_account")
        }
        "enableAccount" => {
            (c(Method::POST, "/api/v1/accounts/tj-target/enable".into(), None), "manage_taijiang_account")
        }
        "resetPassword" => {
            (c(Method::POST, "/api/v1/accounts/tj-target/reset-password".into(), None), "manage_taijiang_account")
        }
        "previewAccountImport" => (sheet("/api/v1/account-imports/preview"), "account_managers"),
        "importAccounts" => (sheet("/api/v1/account-imports"), "account_managers"),
        "searchRegions" => (c(Method::GET, "/api/v1/regions/search?q=%E5%8F%B0%E6%B1%9F".into(), None), "anyone"),
        "renameRegion" => {
            (c(Method::PUT, "/api/v1/regions/350103".into(), Some(json!({"name": "台江区"}))), "rename_in_fujian")
        }
        "recodeRegion" => (
            c(
                Method::POST,
                "/api/v1/regions/350105/recode".into(),
                Some(json!({"code": "350199", "name": "马尾新区"})),
            ),
            "rename_in_fujian",
        ),
        other => panic!("operation `{other}` has no authorization rule in tests/api/authz.rs: add one"),
    }
}

fn scheme() -> Value {
    json!({"items": [{"key": "plan-quality", "name": "方案质量", "full": 50}, {"key": "progress", "name": "推进情况", "full": 50}],
           "bonus_cap": 10,
           "auto_rules": [{"kind": "late", "item": "plan-quality", "deliverable": "plan", "per_day": 2, "cap": 10},
                          {"kind": "missing", "item": "plan-quality", "deliverable": "plan", "points": 20}],
           "ranking_from": "2022-09", "ranking_to": "2023-11", "appeal_window_days": 30,
           "annual": {"monthly": 80, "final_evaluation": 20}})
}

fn indicator_system() -> Value {
    json!({"groups": [{"key": "work", "name": "工作成效", "weight": 100, "indicators": [
              {"key": "plan", "name": "方案", "weight": 50}, {"key": "delivery", "name": "落实", "weight": 50}]}],
           "bands": [{"grade": "优秀", "min": 90}, {"grade": "合格", "min": 60}, {"grade": "不合格", "min": 0}]})
}

/// The order operations are tried in: reads, then the review that returns the filing, then the
/// lead's edits of the returned filing, then everything else.
const ORDER: [&str; 6] = ["reviewFiling", "updateFiling", "uploadAttachment", "submitFiling", "createFiling", "logout"];

async fn setup() -> (TestApp, Ctx) {
    let t = TestApp::with_fixture("fujian-2022-reform-pilot.yaml").await;
    t.load_fixture("guangdong-2022-safety-net.yaml").await;
    for (name, role, region) in USERS {
        t.add_user(name, role, region).await;
    }
    // The account the account operations act on (a lead of 台江区, none of the ten).
    t.add_user("tj-target", Role::UnitLead, "350103").await;
    let mut tokens = BTreeMap::new();
    for (name, _, _) in USERS {
        tokens.insert(name, t.login(name).await);
    }
    t.set_time("2022-09-15T10:00:00+08:00");
    let lead = &tokens["taijiang-lead"];
    let filing = t.file_as(lead, "fj-2022-reform-pilot", "350103", "plan", "once").await;
    // An attachment on a second (draft) filing, to download.
    let (_, draft) = t
        .post_as(
            lead,
            &format!("{FJ}/filings"),
            &json!({"unit": "350103", "deliverable": "progress", "title": "阶段性成效"}),
        )
        .await;
    let resp = t
        .client
        .post(format!("/api/v1/filings/{}/attachments", draft["key"].as_str().unwrap()))
        .header("authorization", format!("Bearer {lead}"))
        .multipart(
            TestForm::new()
                .field(
                    TestFormField::bytes(b"%PDF-1.4".to_vec())
                        .name("file")
                        .filename("a.pdf")
                        .content_type("application/pdf"),
                )
                .text("revision", "1"),
        )
        .send()
        .await;
    resp.assert_status_is_ok();
    let attachment = resp.json().await.value().object().get("key").string().to_owned();
    // A scheme and indicator system, two deductions, and an appeal about the second.
    let (s, b) = t.put_as(&tokens["fj-admin"], &format!("{FJ}/scheme"), &scheme()).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = t.put_as(&tokens["fj-admin"], &format!("{FJ}/indicator-system"), &indicator_system()).await;
    assert_eq!(s, 200, "{b}");
    let mut deductions = Vec::new();
    for points in [3, 2] {
        let (s, d) = t
            .post_as(&tokens["fj-evaluator"], &format!("{FJ}/adjustments"), &json!({"unit": "350103", "period": "2022-09", "item": "progress", "kind": "deduction", "points": points, "reason": "推进滞后"}))
            .await;
        assert_eq!(s, 201, "{d}");
        deductions.push(d["key"].as_str().unwrap().to_owned());
    }
    let (s, a) = t
        .post_as(
            lead,
            &format!("{FJ}/appeals"),
            &json!({"unit": "350103", "target": deductions[1], "reason": "已整改"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let appeal = a["key"].as_str().unwrap().to_owned();
    // The reminders of 27 October 2022 (three working days before the progress report is due).
    let sent = pilotgov::jobs::reminders::run(
        &t.app.state.store,
        crate::helpers::at("2022-10-27T09:00:00+08:00"),
        None,
        false,
    )
    .await
    .unwrap();
    assert!(sent.iter().any(|r| r.identity == "fj-2022-reform-pilot~350103~progress~once~before-3"), "{sent:?}");
    // A webhook nobody answers: after five attempts its deliveries are dead.
    let (s, b) = t
        .post_as(
            &tokens["fj-admin"],
            "/api/v1/channels",
            &json!({"kind": "generic", "url": "http://127.0.0.1:9/hook", "region": "350000"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let store = &t.app.state.store;
    pilotgov::jobs::delivery::enqueue(store, &sent).await.unwrap();
    let mut when = crate::helpers::at("2022-10-27T09:00:00+08:00");
    for _ in 0..5 {
        pilotgov::jobs::delivery::deliver(store, &Default::default(), when).await.unwrap();
        when += chrono::Duration::hours(2);
    }
    let dead = store.deliveries(Some(pilotgov::domain::delivery::DeliveryStatus::Dead)).await.unwrap();
    assert!(!dead.is_empty());
    let dead_delivery = dead[0].key.clone();
    // 福州's bulletins, a reward split, and a calendar feed of 台江区.
    let fz = &tokens["fz-reviewer"];
    let mut bulletins = Vec::new();
    for stage in ["deploy", "implement", "summary"] {
        let (s, b) = t
            .post_as(fz, &format!("{FJ}/bulletins"), &json!({"kind": "stage", "period": stage, "region": "350100"}))
            .await;
        assert_eq!(s, 201, "{b}");
        bulletins.push((b["id"].as_str().unwrap().to_owned(), b["revision"].clone()));
    }
    let (s, b) = t
        .post_as(fz, &format!("/api/v1/bulletins/{}/publish", bulletins[0].0), &json!({"revision": bulletins[0].1}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, r) = t
        .post_as(
            &tokens["fj-admin"],
            &format!("{FJ}/rewards"),
            &json!({"label": "2022年度以奖代补", "year": 2022, "fund": 500_000, "method": {"kind": "proportional", "threshold": 0}}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, f) = t.post_as(&tokens["fj-admin"], &format!("{FJ}/units/350103/calendar-feeds"), &json!({})).await;
    assert_eq!(s, 201, "{f}");
    let feed_token = f["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (s, ch) = t
        .post_as(
            fz,
            "/api/v1/channels",
            &json!({"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "region": "350100"}),
        )
        .await;
    assert_eq!(s, 201, "{ch}");
    // Supervision orders need an overdue deadline: the progress report (due 1 November).
    t.set_time("2022-11-15T10:00:00+08:00");
    let mut orders = Vec::new();
    for unit in ["350103", "350121"] {
        let (s, o) = t
            .post_as(
                fz,
                &format!("{FJ}/supervision-orders"),
                &json!({"unit": unit, "deliverable": "progress", "occurrence": "once", "respond_by": "2022-11-30"}),
            )
            .await;
        assert_eq!(s, 201, "{o}");
        orders.push(o["id"].as_str().unwrap().to_owned());
    }
    t.set_time("2022-09-15T10:00:00+08:00");
    (
        t,
        Ctx {
            filing,
            attachment,
            deduction: deductions[0].clone(),
            appeal,
            dead_delivery,
            bulletin: bulletins[0].0.clone(),
            bulletin_draft: bulletins[1].0.clone(),
            bulletin_to_publish: bulletins[2].0.clone(),
            reward: r["key"].as_str().unwrap().to_owned(),
            feed: f["id"].as_str().unwrap().to_owned(),
            feed_token,
            channel: ch["key"].as_str().unwrap().to_owned(),
            order: orders[0].clone(),
            order_to_escalate: orders[1].clone(),
            tokens,
        },
    )
}

/// The password `changePassword` sets; changed back at once so later logins use [`PASSWORD`].
const NEW_PASSWORD: &str = "a-new-password-0";

async fn restore_password(t: &TestApp, op: &str, status: u16, token: &str) {
    if op == "changePassword" && status == 204 {
        let back = json!({"current_password": NEW_PASSWORD, "new_password": PASSWORD});
        let (s, b) = t.post_as(token, "/api/v1/auth/password", &back).await;
        assert_eq!(s, 204, "{b}");
    }
}

async fn send(t: &TestApp, ctx: &Ctx, call: Call, token: &str) -> (u16, Value) {
    let mut body = call.body;
    // Edits and decisions carry the live revision, so that only permissions decide.
    if let Some(b) = body.as_mut()
        && b.get("revision").is_some()
    {
        if let Some(rest) = call.uri.strip_prefix("/api/v1/supervision-orders/") {
            let id = rest.split('/').next().unwrap();
            let (_, order) = t.get(&format!("/api/v1/supervision-orders/{id}")).await;
            b["revision"] = order["revision"].clone();
        } else if let Some(rest) = call.uri.strip_prefix("/api/v1/bulletins/") {
            let id = rest.split('/').next().unwrap();
            let (_, bulletin) = t.get(&format!("/api/v1/bulletins/{id}")).await;
            b["revision"] = bulletin["revision"].clone();
        } else {
            let (_, f) = t.get(&format!("/api/v1/filings/{}", ctx.filing)).await;
            b["revision"] = f["filing"]["revision"].clone();
        }
    }
    let mut req = t.client.request(call.method, call.uri).header("authorization", format!("Bearer {token}"));
    if let Some(bytes) = call.raw {
        req = req.content_type("application/octet-stream").body(bytes);
    } else if call.multipart {
        let (_, f) = t.get(&format!("/api/v1/filings/{}", ctx.filing)).await;
        req = req.multipart(
            TestForm::new()
                .field(
                    TestFormField::bytes(b"%PDF-1.4".to_vec())
                        .name("file")
                        .filename("b.pdf")
                        .content_type("application/pdf"),
                )
                .text("revision", f["filing"]["revision"].to_string()),
        );
    } else if let Some(b) = body {
        req = req.body_json(&b);
    }
    let resp = req.send().await.0;
    let status = resp.status().as_u16();
    let text = resp.into_body().into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_operation_every_role_own_and_other_region() {
    let (t, ctx) = setup().await;
    let (_, spec) = t.get("/api/v1/openapi.json").await;
    let mut ops: Vec<String> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|m| m.as_object().unwrap().values().map(|op| op["operationId"].as_str().unwrap().to_owned()))
        .collect();
    ops.sort_by_key(|op| (ORDER.iter().position(|o| o == op).map(|i| i + 1).unwrap_or(0), op.clone()));
    assert!(ops.len() >= 67, "{} operations", ops.len());
    let mut failures = Vec::new();
    let mut n = 0;
    for op in &ops {
        let (_, rule) = call(op, &ctx, "x", 0);
        // Those refused go first, so the allowed ones act last on shared state.
        let mut users: Vec<&str> = USERS.iter().map(|u| u.0).collect();
        users.sort_by_key(|u| expect(rule, u) == Allowed);
        for user in users {
            n += 1;
            let token = if *op == "logout" { t.login(user).await } else { ctx.tokens[user].clone() };
            let (c, _) = call(op, &ctx, user, n);
            let (status, body) = send(&t, &ctx, c, &token).await;
            restore_password(&t, op, status, &token).await;
            let got = match status {
                403 => Forbidden,
                404 if body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("not visible") || m.contains("does not exist")) =>
                {
                    Hidden
                }
                401 => panic!("{op} as {user}: 401 {body}"),
                s if s >= 500 => panic!("{op} as {user}: {s} {body}"),
                _ => Allowed,
            };
            let want = expect(rule, user);
            if got != want {
                failures.push(format!("{op} as {user}: expected {want:?}, got {status} {body}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    // Leaders changed nothing; evaluators changed only scores.
    let (_, audit) = t.get("/api/v1/audit?limit=500").await;
    for e in audit["items"].as_array().unwrap() {
        let actor = e["actor"].as_str().unwrap();
        let action = e["action"].as_str().unwrap();
        // Logging in and one's own password are the account's own business; anything else is a change.
        let write = !action.starts_with("auth.") && action != "user.change_password";
        assert!(!(write && actor.ends_with("-leader")), "{e}");
        // An evaluator enters scores (and may subscribe to a unit's calendar, as anyone who works).
        let scores = action.starts_with("evaluation.") || action.starts_with("adjustment.");
        let own = action.starts_with("calendar_feed.");
        let evaluator = actor.ends_with("-evaluator");
        assert!(!write || !evaluator || scores || own, "{e}");
    }
}

#[tokio::test]
async fn tokens_that_are_missing_forged_expired_or_revoked_are_401() {
    let config = pilotgov::config::Config { token_ttl_minutes: 60, ..crate::helpers::suite_config() };
    let t = TestApp::open_with(config).await.unwrap();
    t.add_user("fj-leader", Role::Leader, "350000").await;
    let token = t.login("fj-leader").await;
    let me = |token: String| {
        let t = &t;
        async move { t.get_as(&token, "/api/v1/auth/me").await }
    };
    assert_eq!(me(token.clone()).await.0, 200);
    let resp = t.client.get("/api/v1/programmes").send().await;
    resp.assert_status(poem::http::StatusCode::UNAUTHORIZED);
    let (s, b) = me("forged-token-of-the-right-length-000000000000".into()).await;
    assert_eq!((s, b["code"].as_str()), (401, Some("unauthorized")), "{b}");
    let mut forged = token.clone();
    forged.replace_range(0..1, if forged.starts_with('A') { "B" } else { "A" });
    assert_eq!(me(forged).await.0, 401);
    // An hour later the token has expired.
    t.set_time("2022-08-17T10:00:01+08:00");
    assert_eq!(me(token).await.0, 401);
    // Logout revokes; disabling revokes every token of the account.
    let token = t.login("fj-leader").await;
    let (s, _) = t.post_as(&token, "/api/v1/auth/logout", &json!({})).await;
    assert_eq!(s, 204);
    assert_eq!(me(token).await.0, 401);
    let token = t.login("fj-leader").await;
    assert_eq!(me(token.clone()).await.0, 200, "used once: its sign-in is remembered");
    let actor = pilotgov::store::audit::Actor::system("test", t.clock_now());
    t.app.state.store.set_user_disabled("fj-leader", true, &actor).await.unwrap();
    assert_eq!(me(token).await.0, 401);
    let (s, b) = t.post("/api/v1/auth/login", &json!({"username": "fj-leader", "password": PASSWORD})).await;
    assert_eq!((s, b["code"].as_str()), (401, Some("unauthorized")), "a disabled account cannot log in: {b}");
    let (s, _) = t.post("/api/v1/auth/login", &json!({"username": "nobody", "password": PASSWORD})).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn every_mutation_leaves_exactly_one_audit_record() {
    let (t, ctx) = setup().await;
    let (_, spec) = t.get("/api/v1/openapi.json").await;
    let mut mutations: Vec<String> = Vec::new();
    for (_, methods) in spec["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            if method != "get" {
                mutations.push(op["operationId"].as_str().unwrap().to_owned());
            }
        }
    }
    mutations.sort_by_key(|op| (ORDER.iter().position(|o| o == op).map(|i| i + 1).unwrap_or(0), op.clone()));
    assert!(mutations.len() >= 25, "{mutations:?}");
    let store = &t.app.state.store;
    for (i, op) in mutations.iter().enumerate() {
        let (_, rule) = call(op, &ctx, "x", 0);
        let user = USERS.iter().map(|u| u.0).find(|u| expect(rule, u) == Allowed).unwrap();
        let token = if op == "logout" { t.login(user).await } else { ctx.tokens[user].clone() };
        if op == "reinstateUnit" {
            // Only a withdrawn unit is taken back.
            let (s, b) =
                t.post_as(&token, &format!("{FJ}/units/350121/withdraw"), &json!({"reason": "撤县设区"})).await;
            assert_eq!(s, 200, "{b}");
        }
        if op == "issueSupervisionOrder" {
            // An order needs an overdue deadline: 闽侯县's plan, due 20 September.
            t.set_time("2022-11-15T10:00:00+08:00");
        }
        let before = store.audit_count().await.unwrap();
        let (mut c, _) = call(op, &ctx, user, AUDIT_RUN + i);
        if op == "createUnit" {
            // The matrix asks for a unit that 福州's quota refuses; this one fits 厦门's.
            c.body = Some(json!({"region": "350206", "directions": [2]}));
        }
        let (status, body) = send(&t, &ctx, c, &token).await;
        t.set_time("2022-09-15T10:00:00+08:00");
        assert!((200..300).contains(&status), "{op} as {user}: {status} {body}");
        let after = store.audit_count().await.unwrap();
        // A preview (or a notice read into a draft) changes nothing, so it leaves nothing to audit.
        let records =
            if ["previewAccountImport", "previewProgrammeImport", "readNotice"].contains(&op.as_str()) { 0 } else { 1 };
        assert_eq!(after, before + records, "{op} left {} audit records", after - before);
        restore_password(&t, op, status, &token).await;
    }
    // A refused change leaves none, and the trail cannot be rewritten.
    let before = store.audit_count().await.unwrap();
    let (s, b) = t
        .post_as(&ctx.tokens["fj-admin"], &format!("{FJ}/units"), &json!({"region": "350103", "directions": [1]}))
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("rule.duplicate_unit")), "{b}");
    assert_eq!(store.audit_count().await.unwrap(), before);
    assert!(store.try_tamper_with_audit().await.is_err());
    assert_eq!(store.audit_count().await.unwrap(), before);
    let (_, page) = t.get("/api/v1/audit?action=filing.review.return&limit=5").await;
    let entry = &page["items"][0];
    assert_eq!(entry["actor"], "fz-reviewer");
    let state = entry["changes"].as_array().unwrap().iter().find(|c| c["field"] == "state").unwrap();
    assert_eq!((&state["before"], &state["after"]), (&json!("\"submitted\""), &json!("\"returned\"")));
}
