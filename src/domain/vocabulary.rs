//! Closed sets of values. Each is stored in SQLite as the same kebab-case text the
//! CLI accepts and JSON shows, and the schema CHECKs the same lists.

use crate::{KeelError, Result};
use serde::{Serialize, Serializer};
use std::fmt;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Accepts the kebab-case name, case-insensitively, with `_` or space for `-`.
            pub fn parse(field: &str, text: &str) -> Result<$name> {
                let wanted = text.trim().to_ascii_lowercase().replace(['_', ' '], "-");
                Self::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    KeelError::invalid(field, format!("'{}' is not one of: {}", text.trim(), allowed.join(", ")))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(stringify!($name), &text).map_err(serde::de::Error::custom)
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let text = v.as_str()?;
                $name::parse(stringify!($name), text)
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

text_enum!(
    /// What a team member does; decides their home screen and what they may approve.
    Role {
        AccountExecutive = "account-executive",
        SalesEngineer = "sales-engineer",
        Sdr = "sdr",
        CustomerSuccess = "customer-success",
        PartnerManager = "partner-manager",
        SalesLeader = "sales-leader",
    }
);

text_enum!(
    /// The market an account executive covers (the seed's sales organization).
    AeSegment { Enterprise = "enterprise", MidMarket = "mid-market" }
);

text_enum!(
    /// Customer segments from the go-to-market document's target personas.
    Segment { DevelopersStartups = "developers-startups", SmbMidMarket = "smb-mid-market", Enterprise = "enterprise" }
);

text_enum!(
    /// `other` holds lead sources outside the five (kept verbatim in `lead_source`).
    DealSource {
        Inbound = "inbound",
        Outbound = "outbound",
        Referral = "referral",
        Event = "event",
        Partner = "partner",
        Other = "other",
    }
);

text_enum!(
    DealType { NewBusiness = "new-business", Expansion = "expansion", Renewal = "renewal" }
);

text_enum!(
    ForecastCategory { Pipeline = "pipeline", BestCase = "best-case", Commit = "commit", Closed = "closed", Omitted = "omitted" }
);

text_enum!(
    /// How far one BANT item is established.
    BantStatus { Unknown = "unknown", Partial = "partial", Confirmed = "confirmed" }
);

text_enum!(
    BantItem { Budget = "budget", Authority = "authority", Need = "need", Timeline = "timeline" }
);

text_enum!(
    PocOutcome { Pending = "pending", Passed = "passed", Failed = "failed" }
);

text_enum!(
    /// Items of the negotiation & close checklist (the seed's enterprise playbook).
    ChecklistItem {
        PricingProposal = "pricing-proposal",
        Contract = "contract",
        Sla = "sla",
        LegalReview = "legal-review",
        SecurityQuestionnaire = "security-questionnaire",
        Procurement = "procurement",
    }
);

text_enum!(
    /// `not-needed` counts as done: not every customer runs a procurement process.
    ChecklistStatus { NotStarted = "not-started", InProgress = "in-progress", Done = "done", NotNeeded = "not-needed" }
);

impl ChecklistStatus {
    pub fn is_complete(self) -> bool {
        matches!(self, ChecklistStatus::Done | ChecklistStatus::NotNeeded)
    }
}

text_enum!(
    ActivityKind { Call = "call", Meeting = "meeting", Email = "email", Note = "note", Task = "task" }
);

text_enum!(
    /// The rules a stage can attach to entering or leaving it. Stages are data; the
    /// rules themselves are code in `services::stage_rules`.
    StageRule { BantConfirmed = "bant-confirmed", PocDefined = "poc-defined", NegotiationComplete = "negotiation-complete" }
);

text_enum!(
    RuleTrigger { Enter = "enter", Exit = "exit" }
);

text_enum!(
    /// Onboarding is account lifecycle, not deal stages.
    OnboardingStep {
        KickOff = "kick-off",
        TechnicalIntegration = "technical-integration",
        Training = "training",
        GoLive = "go-live",
    }
);

impl BantItem {
    pub fn label(self) -> &'static str {
        self.as_str()
    }
}

impl ChecklistItem {
    pub fn label(self) -> &'static str {
        match self {
            ChecklistItem::PricingProposal => "pricing proposal",
            ChecklistItem::Contract => "contract",
            ChecklistItem::Sla => "SLA",
            ChecklistItem::LegalReview => "legal review",
            ChecklistItem::SecurityQuestionnaire => "security questionnaire",
            ChecklistItem::Procurement => "procurement",
        }
    }
}

text_enum!(
    /// The seed's partner tiers: technology (no revenue share), reseller (20–30 %),
    /// strategic (custom rate, 0–50 %).
    PartnerTier { Technology = "technology", Reseller = "reseller", Strategic = "strategic" }
);

impl PartnerTier {
    /// The revenue-share rates this tier may carry, in basis points, inclusive.
    pub fn rate_bounds(self) -> (u32, u32) {
        match self {
            PartnerTier::Technology => (0, 0),
            PartnerTier::Reseller => (2_000, 3_000),
            PartnerTier::Strategic => (0, 5_000),
        }
    }
}

text_enum!(
    /// The seed's partnership categories (go-to-market partners broken out by kind).
    PartnerCategory {
        Technology = "technology",
        SystemIntegrator = "system-integrator",
        Agency = "agency",
        Reseller = "reseller",
        Consultant = "consultant",
        Ecosystem = "ecosystem",
        Industry = "industry",
    }
);

text_enum!(
    PartnerStatus { Prospective = "prospective", Active = "active", Suspended = "suspended" }
);

text_enum!(
    RegistrationStatus {
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
        Returned = "returned",
        Converted = "converted",
        Expired = "expired",
    }
);

text_enum!(
    /// The seed's use cases for real-time communication.
    UseCase {
        VideoConferencing = "video-conferencing",
        LiveStreaming = "live-streaming",
        GamingVoiceVideo = "gaming-voice-video",
        SocialAudioVideo = "social-audio-video",
        CustomerSupport = "customer-support",
    }
);

text_enum!(
    RevenueKind { Payment = "payment", Refund = "refund" }
);

text_enum!(
    LedgerKind { Accrual = "accrual", Clawback = "clawback", Reversal = "reversal" }
);

text_enum!(
    StatementStatus { Draft = "draft", Carried = "carried", Approved = "approved", Paid = "paid" }
);

text_enum!(
    StatementLineKind { Payment = "payment", Clawback = "clawback", Reversal = "reversal", Carried = "carried" }
);

text_enum!(
    /// What an import brings in: one kind of record per file.
    ImportKind { Deals = "deals", Accounts = "accounts", Contacts = "contacts" }
);

text_enum!(
    /// Where a file came from, recognized by its column names; decides the
    /// namespace of its record ids and the stage labels it is known to use.
    SourceSystem {
        Keel = "keel",
        Salesforce = "salesforce",
        Hubspot = "hubspot",
        Pipedrive = "pipedrive",
        Generic = "generic",
    }
);

text_enum!(
    /// A kind of record an import can create or update.
    ImportEntity {
        Deal = "deal",
        Account = "account",
        Contact = "contact",
        TeamMember = "team-member",
        Activity = "activity",
    }
);

text_enum!(
    ImportAction { Created = "created", Updated = "updated" }
);
