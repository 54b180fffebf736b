//! A realistic, reproducible demo workspace: a sales team, accounts across the
//! seed's segments and verticals, deals in every stage with their history,
//! qualification, proofs of concept, checklists and activities. Same seed and
//! clock, same workspace.

mod field_changes;
mod partners;

use crate::domain::{
    AccountId, ActivityKind, AeSegment, BantItem, BantStatus, ChecklistItem, ChecklistStatus, DealSource,
    DealType, OnboardingStep, PocOutcome, Role, Segment, TeamMemberId,
};
use crate::money::{Currency, Money};
use crate::services::Workspace;
use crate::store::accounts::AccountFields;
use crate::store::activities::NewActivity;
use crate::store::contacts::ContactFields;
use crate::store::deals::{DealFields, NewStageChange, Placement};
use crate::store::facts::{FactWriter, LoadedDeal};
use crate::store::qualification::{BantEntry, ChecklistEntry, ProofOfConcept};
use crate::store::stages::Stage;
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::Connection;
use serde::Serialize;

pub const MAX_DEMO_DEALS: u64 = 5_000_000;

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub deals: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    pub team_members: u64,
    pub accounts: u64,
    pub contacts: u64,
    pub deals: u64,
    pub stage_changes: u64,
    /// Earlier amounts, close dates, owners and forecast calls of the deals.
    pub field_changes: u64,
    pub activities: u64,
}

/// SplitMix64: tiny, fast and stable across versions, so a seed means the same data forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloé", "Dev", "Elif", "Farah", "Gustavo", "Hana", "Ivan", "Jonas", "Kaito", "Lena",
    "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Ximena",
    "Yusuf", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Almeida", "Brooks", "Chen", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Mensah", "Novak", "Okafor", "Patel", "Quintero", "Rossi", "Schmidt", "Tanaka",
    "Usman", "Varga", "Weber", "Yilmaz", "Zhang",
];
const NAME_STEMS: &[&str] = &[
    "Nova", "Apex", "Lumen", "Orbit", "Pixel", "Quanta", "Riven", "Sable", "Tidal", "Vertex", "Zephyr",
    "Aurora", "Beacon", "Cobalt", "Delta", "Ember", "Flux", "Granite", "Helix", "Iris", "Juniper", "Kite",
    "Lyra", "Mosaic", "Nimbus", "Onyx", "Prism", "Quill", "Radiant", "Summit", "Tangent", "Umbra", "Vivid",
    "Willow", "Xenon", "Yonder",
];
const NAME_KINDS: &[&str] =
    &["Games", "Labs", "Studios", "Learning", "Social", "Cloud", "Networks", "Media", "Telecom", "Play"];
const VERTICALS: &[&str] =
    &["Gaming", "SaaS", "EdTech", "Social", "Metaverse", "Telecom", "Web3", "Customer Support"];
const REGIONS: &[&str] = &["North America", "Europe", "APAC", "LATAM", "Middle East & Africa"];
const LOSS_REASONS: &[&str] = &[
    "Chose a centralized incumbent",
    "No budget this year",
    "Proof of concept missed latency target",
    "Went dark after demo",
    "Security review not passed",
    "Built in-house",
];
const ACTIVITY_SUBJECTS: &[(ActivityKind, &str)] = &[
    (ActivityKind::Call, "Discovery call"),
    (ActivityKind::Meeting, "Technical deep-dive"),
    (ActivityKind::Email, "Sent pricing overview"),
    (ActivityKind::Meeting, "Custom demo"),
    (ActivityKind::Call, "Check-in with champion"),
    (ActivityKind::Note, "Stakeholder map updated"),
];
const TASK_SUBJECTS: &[&str] = &[
    "Send proposal",
    "Book POC kick-off",
    "Follow up on security questionnaire",
    "Schedule exec sponsor call",
];

/// How far back the demo's deals were created.
const DEMO_DAYS: i64 = 720;

/// Fills an empty workspace (initializing it if needed) with a demo sales org.
pub fn generate(ws: &mut Workspace, options: DemoOptions) -> Result<DemoSummary> {
    if options.deals > MAX_DEMO_DEALS {
        return Err(KeelError::invalid("deals", format!("at most {MAX_DEMO_DEALS} demo deals")));
    }
    crate::services::pipeline::init(ws)?;
    if store::team::count(ws.conn())? > 0 || store::deals::count(ws.conn())? > 0 {
        return Err(KeelError::NotAllowed(
            "the demo needs an empty workspace; this one already has a team or deals: make the demo in a new file".into(),
        ));
    }
    let stages = crate::services::pipeline::stages(ws)?;
    let summary = ws.write_generated(|tx, now| {
        let mut builder = Builder {
            tx,
            rng: Rng(options.seed),
            changes: field_changes::ChangeMaker::new(options.seed),
            now,
            stages: &stages,
            summary: DemoSummary::default(),
        };
        builder.exchange_rates()?;
        builder.phase_targets()?;
        let bulk_tables =
            ["deals", "stage_history", "deal_changes", "activities", "onboarding_plans", "qbrs"];
        store::facts::untracked(tx, |facts| {
            store::with_indexes_deferred(tx, &bulk_tables, || builder.build(options.deals, facts))
        })?;
        let mut summary = builder.summary;
        summary.field_changes = builder.changes.written;
        crate::services::record(
            tx,
            now,
            None,
            "demo.generate",
            "workspace",
            0,
            serde_json::to_value(&summary).unwrap_or_default(),
        )?;
        Ok(summary)
    })?;
    partners::generate(ws)?;
    Ok(summary)
}

struct Builder<'a> {
    tx: &'a Connection,
    rng: Rng,
    changes: field_changes::ChangeMaker,
    now: DateTime<Utc>,
    stages: &'a [Stage],
    summary: DemoSummary,
}

struct Team {
    enterprise_aes: Vec<TeamMemberId>,
    mid_market_aes: Vec<TeamMemberId>,
    customer_success: Vec<TeamMemberId>,
}

/// The stages a demo deal can end in: an open one, won or lost.
#[derive(Clone, Copy)]
struct FunnelStages<'s> {
    open: &'s [&'s Stage],
    won: &'s Stage,
    lost: &'s Stage,
}

struct DemoAccount {
    id: AccountId,
    segment: Segment,
}

impl Builder<'_> {
    /// Monthly EUR and GBP rates into USD over the demo's two years, drifting a little.
    fn exchange_rates(&mut self) -> Result<()> {
        let first = self.now.date_naive() - Duration::days(DEMO_DAYS + 31);
        // A generator of its own, so the deals stay what they were for a given seed.
        let mut rng = Rng(0x5EED_F00D);
        for (code, base) in [("EUR", 1_080_000_000i64), ("GBP", 1_270_000_000i64)] {
            let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first);
            while month <= self.now.date_naive() {
                let rate = base + rng.range(-40_000, 40_000) * 1_000;
                store::fx::set(self.tx, code, "USD", month, crate::money::FxRate(rate), self.now, None)?;
                month = month + chrono::Months::new(1);
            }
        }
        Ok(())
    }

    /// The KPI table's phases, starting with the demo's first month.
    fn phase_targets(&mut self) -> Result<()> {
        let first = self.now.date_naive() - Duration::days(DEMO_DAYS);
        store::targets::clear(self.tx)?;
        for target in crate::services::targets::phase_targets(
            NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first),
        ) {
            store::targets::upsert(self.tx, &target)?;
        }
        Ok(())
    }

    fn build(&mut self, deals: u64, facts: &mut FactWriter) -> Result<()> {
        let team = self.team(deals)?;
        let accounts = self.accounts((deals / 8).max(12))?;
        let open: Vec<&Stage> = self.stages.iter().filter(|s| !s.is_closed).collect();
        let won = self
            .stages
            .iter()
            .find(|s| s.is_won)
            .ok_or_else(|| KeelError::NotAllowed("no won stage".into()))?;
        let lost = self
            .stages
            .iter()
            .find(|s| s.is_closed && !s.is_won)
            .ok_or_else(|| KeelError::NotAllowed("no lost stage".into()))?;
        for n in 0..deals {
            let account = &accounts[(self.rng.next() % accounts.len() as u64) as usize];
            self.deal(n, account, &team, &FunnelStages { open: &open, won, lost }, facts)?;
        }
        Ok(())
    }

    fn person(&mut self) -> String {
        format!("{} {}", self.rng.pick(FIRST_NAMES), self.rng.pick(LAST_NAMES))
    }

    fn member(&mut self, role: Role, segment: Option<AeSegment>) -> Result<TeamMemberId> {
        let since = self.now - Duration::days(800);
        loop {
            let name = self.person();
            if store::team::find_by_name(self.tx, &name)?.is_none() {
                self.summary.team_members += 1;
                return store::team::insert(self.tx, &name, role, segment, since);
            }
        }
    }

    /// The seed's sales organization, scaled so each AE carries a believable book.
    fn team(&mut self, deals: u64) -> Result<Team> {
        let leader = self.member(Role::SalesLeader, None)?;
        crate::store::settings::set(self.tx, "current_user_id", &leader.to_string())?;
        let ae_pairs = (deals / 5_000).clamp(2, 5);
        let mut team =
            Team { enterprise_aes: Vec::new(), mid_market_aes: Vec::new(), customer_success: Vec::new() };
        for _ in 0..ae_pairs {
            team.enterprise_aes.push(self.member(Role::AccountExecutive, Some(AeSegment::Enterprise))?);
            team.mid_market_aes.push(self.member(Role::AccountExecutive, Some(AeSegment::MidMarket))?);
        }
        for _ in 0..3 {
            self.member(Role::SalesEngineer, None)?;
            self.member(Role::Sdr, None)?;
            team.customer_success.push(self.member(Role::CustomerSuccess, None)?);
        }
        for _ in 0..2 {
            self.member(Role::PartnerManager, None)?;
        }
        Ok(team)
    }

    fn accounts(&mut self, count: u64) -> Result<Vec<DemoAccount>> {
        let mut accounts = Vec::with_capacity(count as usize);
        let combos = (NAME_STEMS.len() * NAME_KINDS.len()) as u64;
        for i in 0..count {
            let stem = NAME_STEMS[(i % NAME_STEMS.len() as u64) as usize];
            let kind = NAME_KINDS[((i / NAME_STEMS.len() as u64) % NAME_KINDS.len() as u64) as usize];
            let round = i / combos;
            let name =
                if round == 0 { format!("{stem} {kind}") } else { format!("{stem} {kind} {}", round + 1) };
            let slug: String =
                name.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
            let domain = format!("{slug}.com");
            let segment = match self.rng.next() % 10 {
                0..=2 => Segment::DevelopersStartups,
                3..=6 => Segment::SmbMidMarket,
                _ => Segment::Enterprise,
            };
            let vertical = *self.rng.pick(VERTICALS);
            let region = *self.rng.pick(REGIONS);
            let created = self.now - Duration::days(self.rng.range(400, 800));
            let fields = AccountFields {
                name: &name,
                domain: Some(&domain),
                segment,
                vertical: Some(vertical),
                region: Some(region),
            };
            let id = store::accounts::insert(self.tx, &fields, created, None)?;
            let person = self.person();
            let email =
                format!("{}@{domain}", person.to_lowercase().replace(' ', ".").replace(['é', 'í'], "e"));
            let email: String = email.chars().map(|c| if c.is_ascii() { c } else { 'a' }).collect();
            let title = *self.rng.pick(&["CTO", "VP Engineering", "Head of Platform", "Product Director"]);
            store::contacts::insert(
                self.tx,
                &ContactFields { account_id: id, name: &person, title: Some(title), email: &email },
                created,
            )?;
            self.summary.accounts += 1;
            self.summary.contacts += 1;
            accounts.push(DemoAccount { id, segment });
        }
        Ok(accounts)
    }

    fn deal(
        &mut self,
        n: u64,
        account: &DemoAccount,
        team: &Team,
        stages: &FunnelStages<'_>,
        facts: &mut FactWriter,
    ) -> Result<()> {
        let FunnelStages { open, won, lost } = *stages;
        let rng = &mut self.rng;
        let owner = match account.segment {
            Segment::Enterprise => *rng.pick(&team.enterprise_aes),
            _ => *rng.pick(&team.mid_market_aes),
        };
        let (lo, hi, cycle_lo, cycle_hi) = match account.segment {
            Segment::DevelopersStartups => (20, 200, 20, 60),
            Segment::SmbMidMarket => (100, 800, 30, 120),
            Segment::Enterprise => (500, 6_000, 60, 240),
        };
        let currency_code = match rng.next() % 10 {
            0 | 1 => "EUR",
            2 => "GBP",
            _ => "USD",
        };
        let currency = Currency::parse("currency", currency_code)?;
        let amount = Money { amount_minor: rng.range(lo, hi) * 10_000, currency };
        let age_days = rng.range(1, DEMO_DAYS);
        let created_at = self.now - Duration::days(age_days) - Duration::minutes(rng.range(0, 600));
        let cycle_days = rng.range(cycle_lo, cycle_hi);
        // Deals older than their cycle have closed; the rest sit in an open stage.
        let (path_len, outcome) = if age_days > cycle_days {
            if rng.chance(30) {
                (open.len(), Some(true))
            } else {
                (rng.range(1, open.len() as i64) as usize, Some(false))
            }
        } else {
            let reached = ((age_days * open.len() as i64) / cycle_days.max(1)) as usize + 1;
            (reached.clamp(1, open.len()), None)
        };
        let last_open = open[path_len - 1];
        let final_stage = match outcome {
            Some(true) => won,
            Some(false) => lost,
            None => last_open,
        };
        let span_days = if outcome.is_some() { cycle_days } else { age_days };
        let visits = path_len + usize::from(outcome.is_some());
        let step = Duration::days(span_days) / visits.max(1) as i32;
        let entered: Vec<DateTime<Utc>> = (0..visits).map(|i| created_at + step * i as i32).collect();
        let last_entered = *entered.last().unwrap_or(&created_at);
        let closed_on = outcome.map(|_| last_entered.date_naive());
        let expected_close_date =
            closed_on.unwrap_or_else(|| (created_at + Duration::days(cycle_days)).date_naive());
        let source = *rng.pick(&[
            DealSource::Inbound,
            DealSource::Inbound,
            DealSource::Outbound,
            DealSource::Referral,
            DealSource::Event,
            DealSource::Partner,
        ]);
        let deal_type = if rng.chance(85) { DealType::NewBusiness } else { DealType::Expansion };
        let loss_reason = (outcome == Some(false)).then(|| *rng.pick(LOSS_REASONS));
        let last_activity_at = if outcome.is_none() && rng.chance(20) {
            None // quiet deals: some of these are stalled
        } else {
            Some((last_entered + Duration::hours(rng.range(1, 72))).min(self.now))
        };
        let name = format!("{} — {}", deal_type_label(deal_type), n + 1);
        let forecast = self.changes.forecast(outcome.is_none(), path_len >= 4);
        let fields = DealFields {
            name: &name,
            account_id: Some(account.id),
            owner_id: owner,
            amount: Some(amount),
            currency: amount.currency,
            expected_close_date: Some(expected_close_date),
            source,
            lead_source: None,
            deal_type,
            probability_override: None,
            forecast_override: forecast,
            expands_deal_id: None,
        };
        let placement = Placement {
            pipeline: final_stage.pipeline_id,
            stage: final_stage.id,
            created_at,
            stage_entered_at: last_entered,
            closed_on,
            loss_reason,
            last_activity_at,
        };
        let id = store::deals::insert(self.tx, &fields, &placement, Some(owner))?;
        self.summary.deals += 1;

        let mut path: Vec<&Stage> = open[..path_len].to_vec();
        if outcome.is_some() {
            path.push(final_stage);
        }
        let mut from = None;
        let changes: Vec<NewStageChange<'_>> = path
            .iter()
            .zip(&entered)
            .map(|(stage, at)| {
                let change = NewStageChange {
                    deal_id: id,
                    from_stage: from,
                    to_stage: stage.id,
                    changed_at: *at,
                    changed_by: Some(owner),
                    amount: Some(amount),
                    currency: amount.currency,
                    probability: stage.default_probability,
                    override_reason: None,
                };
                from = Some(stage.id);
                change
            })
            .collect();
        store::deals::append_history_batch(self.tx, &changes)?;
        self.summary.stage_changes += changes.len() as u64;
        let history: Vec<(i64, NaiveDate)> =
            changes.iter().map(|c| (c.to_stage.0, c.changed_at.date_naive())).collect();
        facts.add(&LoadedDeal {
            deal_id: id.0,
            account_id: account.id.0,
            owner_id: owner.0,
            stage_id: final_stage.id.0,
            source,
            segment: account.segment,
            deal_type,
            created_on: created_at.date_naive(),
            expected_close: expected_close_date,
            closed_on,
            amount_minor: amount.amount_minor,
            currency: currency_code,
            history: &history,
        });
        let peers = match account.segment {
            Segment::Enterprise => &team.enterprise_aes,
            _ => &team.mid_market_aes,
        };
        self.changes.write(
            self.tx,
            &field_changes::DealLife {
                id,
                owner,
                peers,
                created_at,
                until: if outcome.is_some() { last_entered } else { self.now },
                amount_minor: amount.amount_minor,
                expected_close: expected_close_date,
                forecast,
            },
        )?;
        self.qualification(id, path_len, outcome, created_at)?;
        if let Some(at) = last_activity_at {
            let (kind, subject) = *self.rng.pick(ACTIVITY_SUBJECTS);
            self.activity(account.id, id, owner, kind, subject, None, Some(at), at)?;
        }
        if outcome.is_none() && self.rng.chance(50) {
            let due = (self.now + Duration::days(self.rng.range(-10, 14))).date_naive();
            let subject = *self.rng.pick(TASK_SUBJECTS);
            self.activity(account.id, id, owner, ActivityKind::Task, subject, Some(due), None, last_entered)?;
        }
        if outcome == Some(true) {
            let cs = *self.rng.pick(&team.customer_success);
            let won_on = last_entered.date_naive();
            let steps: Vec<(OnboardingStep, TeamMemberId, NaiveDate)> = [
                (OnboardingStep::KickOff, 7),
                (OnboardingStep::TechnicalIntegration, 30),
                (OnboardingStep::Training, 45),
                (OnboardingStep::GoLive, 60),
            ]
            .into_iter()
            .map(|(step, days)| (step, cs, won_on + Duration::days(days)))
            .collect();
            store::onboarding::insert_plan(self.tx, account.id, id, last_entered, &steps)?;
            store::onboarding::insert_qbr(self.tx, account.id, won_on + Duration::days(90), cs)?;
        }
        Ok(())
    }

    /// BANT, proof of concept and checklist consistent with how far the deal got.
    fn qualification(
        &mut self,
        id: crate::domain::DealId,
        path_len: usize,
        outcome: Option<bool>,
        created_at: DateTime<Utc>,
    ) -> Result<()> {
        let at = created_at;
        if path_len >= 2 {
            let past_qualification = path_len >= 3;
            let entries: Vec<BantEntry> = BantItem::ALL
                .iter()
                .map(|&item| BantEntry {
                    item,
                    status: if past_qualification {
                        BantStatus::Confirmed
                    } else {
                        *self.rng.pick(&[BantStatus::Unknown, BantStatus::Partial, BantStatus::Confirmed])
                    },
                    note: None,
                })
                .collect();
            store::qualification::save_bant(self.tx, id, &entries, at, None)?;
        }
        if path_len >= 4 {
            let start = (created_at + Duration::days(20)).date_naive();
            let poc = ProofOfConcept {
                scope: Some("Real-time voice and video in the customer's production app, two regions".into()),
                success_criteria: Some(
                    "p95 join time under 1 s; 99.9% session success; cost per minute at target".into(),
                ),
                start_date: Some(start),
                end_date: Some(start + Duration::days(self.rng.range(30, 60))),
                outcome: Some(match outcome {
                    Some(true) => PocOutcome::Passed,
                    _ if path_len >= 5 => PocOutcome::Passed,
                    _ => PocOutcome::Pending,
                }),
                updated_at: None,
            };
            store::qualification::save_poc(self.tx, id, &poc, at, None)?;
        }
        if path_len >= 5 {
            let mut entries = Vec::with_capacity(ChecklistItem::ALL.len());
            for item in ChecklistItem::ALL {
                let status = match outcome {
                    Some(true) if *item == ChecklistItem::Procurement && self.rng.chance(30) => {
                        ChecklistStatus::NotNeeded
                    }
                    Some(true) => ChecklistStatus::Done,
                    _ => *self.rng.pick(&[
                        ChecklistStatus::NotStarted,
                        ChecklistStatus::InProgress,
                        ChecklistStatus::Done,
                    ]),
                };
                entries.push(ChecklistEntry {
                    item: *item,
                    status,
                    on_date: status.is_complete().then(|| at.date_naive()),
                });
            }
            store::qualification::save_checklist(self.tx, id, &entries, at, None)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn activity(
        &mut self,
        account_id: AccountId,
        deal: crate::domain::DealId,
        owner: TeamMemberId,
        kind: ActivityKind,
        subject: &str,
        due_date: Option<NaiveDate>,
        done_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    ) -> Result<()> {
        store::activities::insert(
            self.tx,
            &NewActivity {
                account_id,
                deal_id: Some(deal),
                kind,
                subject,
                notes: None,
                owner_id: owner,
                due_date,
                done_at,
                created_at,
                created_by: Some(owner),
            },
        )?;
        self.summary.activities += 1;
        Ok(())
    }
}

fn deal_type_label(t: DealType) -> &'static str {
    match t {
        DealType::NewBusiness => "New business",
        DealType::Expansion => "Expansion",
        DealType::Renewal => "Renewal",
    }
}
