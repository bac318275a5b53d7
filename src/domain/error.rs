//! The one error type of the domain: every refusal names what was wrong in words an officer reads,
//! and a rule refusal names its rule from one closed list.

/// Why the domain refused a value or a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value that cannot be built: a malformed code, a date that does not parse, an empty title.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A well-formed change that a rule forbids (quotas, periods, duplicates, states).
    #[error("{message}")]
    RuleViolated { rule: Rule, message: String },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    pub fn rule(rule: Rule, message: impl Into<String>) -> Self {
        Self::RuleViolated { rule, message: message.into() }
    }

    /// Whether this is a refusal by `rule`.
    pub fn is(&self, rule: Rule) -> bool {
        matches!(self, Self::RuleViolated { rule: r, .. } if *r == rule)
    }
}

/// Every rule the domain enforces. Its code is stable (`rule.<code>` in API errors), and
/// [`Rule::is_conflict`] decides, by an exhaustive match, whether a breach is a clash with what
/// is stored (409) or a rule refusing the change (422).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    // A programme rule refuses the change.
    /// The unit lies outside the programme's region.
    Scope,
    /// The unit is not of the programme's unit level.
    UnitLevel,
    /// Too few or too many directions for one unit.
    DirectionsPerUnit,
    /// Too many units in one group (a city).
    UnitsPerGroup,
    /// Too many distinct directions in one group.
    DirectionsPerGroup,
    /// A date outside the programme's period or a stage's window.
    WithinPeriod,
    /// An attachment over the size limit.
    AttachmentSize,
    /// An attachment of a type not on the allowlist.
    ContentType,
    /// A bonus above the scheme's cap.
    BonusCap,
    /// A deduction above the item's full marks.
    DeductionCap,
    /// An appeal after its window closed.
    AppealWindow,
    /// An evaluation panel that is not an odd number of at least three.
    PanelSize,
    /// An evaluation panel without an accountant of intermediate title or above.
    PanelAccountant,
    /// A month the scheme does not rank.
    NotRanked,
    /// The programme has no scoring scheme.
    NoScheme,
    /// The programme has no indicator system.
    NoIndicatorSystem,
    /// Tiers or grants that do not add up to the fund, or more places than units.
    RewardTotal,
    /// A cap that a share would pass, or caps that cannot absorb the fund.
    RewardCap,
    /// No unit reaches the threshold.
    RewardEligible,
    // The change clashes with what is stored.
    /// The region is already a unit of the programme.
    DuplicateUnit,
    /// The programme key is taken.
    DuplicateProgramme,
    /// A stage key appears twice.
    DuplicateStages,
    /// A direction number appears twice.
    DuplicateDirections,
    /// A deliverable key appears twice.
    DuplicateDeliverables,
    /// The deadline already has its filing.
    DuplicateFiling,
    /// The deduction has already been appealed.
    DuplicateAppeal,
    /// The filing is not in a state that allows this.
    FilingState,
    /// The month is already published.
    AlreadyPublished,
    /// A correction of a month that was never published.
    NotPublished,
    /// A monthly bulletin of a scored programme before its ranking is published.
    RankingNotPublished,
    /// The calendar feed is already revoked.
    Revoked,
    /// The bulletin is published and cannot change.
    Published,
    /// The appeal has been decided; the decision is final.
    AppealDecided,
    /// A review decision at a step that is not the filing's next.
    WrongStep,
    /// A reward tier's boundary falls between units with equal scores.
    RewardTie,
    /// The unit has withdrawn from the programme (退出试点): nothing more is filed or changed.
    UnitWithdrawn,
    /// A region replaced by another code (撤并) is kept for the record, not used anew.
    RegionSuperseded,
    /// A supervision order about the same item is still open (一事一单).
    DuplicateOrder,
    /// The supervision order is not in a state that allows this (closed, unanswered, red).
    OrderState,
    /// A supervision order for a deadline that has not passed, or was met.
    NotOverdue,
}

impl Rule {
    /// What the rule says, as a page tells a person why a change was refused.
    pub fn label(self) -> &'static str {
        match self {
            Self::Scope => "不在本试点工作的地域范围内",
            Self::UnitLevel => "试点单位的行政层级不符合要求",
            Self::DirectionsPerUnit => "试点方向数量不符合每个单位的要求",
            Self::UnitsPerGroup => "超过了同一地区的试点单位名额",
            Self::DirectionsPerGroup => "超过了同一地区可选的试点方向数",
            Self::WithinPeriod => "日期超出了试点期",
            Self::AttachmentSize => "附件超过了大小上限",
            Self::ContentType => "不接受这种文件类型，请上传 PDF、Word、Excel、PowerPoint、图片、文本或 ZIP",
            Self::BonusCap => "加分超过了上限",
            Self::DeductionCap => "扣分超过了该项满分",
            Self::AppealWindow => "已超过申诉期限",
            Self::PanelSize => "评估小组须为不少于3人的单数",
            Self::PanelAccountant => "评估小组须有中级及以上职称的财会人员",
            Self::NotRanked => "该月不在排名月份内",
            Self::NoScheme => "该试点工作尚未制定考评细则",
            Self::NoIndicatorSystem => "该试点工作尚未制定评估指标体系",
            Self::RewardTotal => "奖补金额合计与资金总额不符",
            Self::RewardCap => "超过了单个单位的奖补上限",
            Self::RewardEligible => "没有符合奖补条件的单位",
            Self::DuplicateUnit => "该单位已是试点单位",
            Self::DuplicateProgramme => "已有同一代码的试点工作",
            Self::DuplicateStages => "阶段重复",
            Self::DuplicateDirections => "试点方向重复",
            Self::DuplicateDeliverables => "报送材料重复",
            Self::DuplicateFiling => "这项截止事项已有报送材料，请在原材料上修改或重新提交",
            Self::DuplicateAppeal => "这项扣分已申诉过",
            Self::FilingState => "材料当前的状态不能进行这项操作",
            Self::AlreadyPublished => "已发布，不能重新生成",
            Self::NotPublished => "尚未发布，无可更正",
            Self::RankingNotPublished => "该月排名尚未发布，请先发布排名再起草通报",
            Self::Revoked => "已撤销",
            Self::Published => "已发布的通报不能修改",
            Self::AppealDecided => "申诉已有结论，结论为最终结论",
            Self::WrongStep => "当前审核环节不能作出这项决定",
            Self::RewardTie => "奖项名额的分界处有同分单位，请调整名额",
            Self::UnitWithdrawn => "该单位已退出试点，不能再报送或修改",
            Self::RegionSuperseded => "该行政区划已撤并，请使用新的区划代码",
            Self::DuplicateOrder => "该事项已有未销号的督办单（一事一单），请升级或销号原督办单",
            Self::OrderState => "督办单当前的状态不能进行这项操作",
            Self::NotOverdue => "该事项未逾期或已报送，无需督办",
        }
    }

    /// The stable code, as API errors carry it after `rule.`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Scope => "scope",
            Self::UnitLevel => "unit_level",
            Self::DirectionsPerUnit => "directions_per_unit",
            Self::UnitsPerGroup => "units_per_group",
            Self::DirectionsPerGroup => "directions_per_group",
            Self::WithinPeriod => "within_period",
            Self::AttachmentSize => "attachment_size",
            Self::ContentType => "content_type",
            Self::BonusCap => "bonus_cap",
            Self::DeductionCap => "deduction_cap",
            Self::AppealWindow => "appeal_window",
            Self::PanelSize => "panel_size",
            Self::PanelAccountant => "panel_accountant",
            Self::NotRanked => "not_ranked",
            Self::NoScheme => "no_scheme",
            Self::NoIndicatorSystem => "no_indicator_system",
            Self::RewardTotal => "reward_total",
            Self::RewardCap => "reward_cap",
            Self::RewardEligible => "reward_eligible",
            Self::DuplicateUnit => "duplicate_unit",
            Self::DuplicateProgramme => "duplicate_programme",
            Self::DuplicateStages => "duplicate_stages",
            Self::DuplicateDirections => "duplicate_directions",
            Self::DuplicateDeliverables => "duplicate_deliverables",
            Self::DuplicateFiling => "duplicate_filing",
            Self::DuplicateAppeal => "duplicate_appeal",
            Self::FilingState => "filing_state",
            Self::AlreadyPublished => "already_published",
            Self::NotPublished => "not_published",
            Self::RankingNotPublished => "ranking_not_published",
            Self::Revoked => "revoked",
            Self::Published => "published",
            Self::AppealDecided => "appeal_decided",
            Self::WrongStep => "wrong_step",
            Self::RewardTie => "reward_tie",
            Self::UnitWithdrawn => "unit_withdrawn",
            Self::RegionSuperseded => "region_superseded",
            Self::DuplicateOrder => "duplicate_order",
            Self::OrderState => "order_state",
            Self::NotOverdue => "not_overdue",
        }
    }

    /// A clash with what is stored — a duplicate, a published or decided record, a state that
    /// moved on, a tie in the stored scores — (409), rather than a programme rule refusing the
    /// change (422: quotas, scope, level, periods, caps, totals). No default arm: a new rule
    /// must be placed.
    pub fn is_conflict(self) -> bool {
        match self {
            Self::Scope
            | Self::UnitLevel
            | Self::DirectionsPerUnit
            | Self::UnitsPerGroup
            | Self::DirectionsPerGroup
            | Self::WithinPeriod
            | Self::AttachmentSize
            | Self::ContentType
            | Self::BonusCap
            | Self::DeductionCap
            | Self::AppealWindow
            | Self::PanelSize
            | Self::PanelAccountant
            | Self::NotRanked
            | Self::NoScheme
            | Self::NoIndicatorSystem
            | Self::RewardTotal
            | Self::RewardCap
            | Self::RewardEligible
            | Self::NotOverdue => false,
            Self::DuplicateUnit
            | Self::DuplicateProgramme
            | Self::DuplicateStages
            | Self::DuplicateDirections
            | Self::DuplicateDeliverables
            | Self::DuplicateFiling
            | Self::DuplicateAppeal
            | Self::FilingState
            | Self::AlreadyPublished
            | Self::NotPublished
            | Self::RankingNotPublished
            | Self::Revoked
            | Self::Published
            | Self::AppealDecided
            | Self::WrongStep
            | Self::RewardTie
            | Self::DuplicateOrder
            | Self::OrderState
            | Self::UnitWithdrawn
            | Self::RegionSuperseded => true,
        }
    }
}
