//! One change of every kind, as an integration or a test would write it: the OpenAPI
//! document's examples, the desktop's list of what may wait offline, and the tests' table.

use super::*;

impl Change {
    /// One change of every kind, naming records and giving optional fields.
    pub fn examples() -> Vec<Change> {
        vec![
            Change::DealAdd {
                form: deals::DealForm {
                    name: "Acme rollout".into(),
                    account_id: AccountId(3),
                    owner_id: Some(TeamMemberId(2)),
                    amount: "120,000".into(),
                    currency: "EUR".into(),
                    expected_close_date: "2027-03-31".into(),
                    source: "partner".into(),
                    deal_type: "expansion".into(),
                    stage: Some("Qualification".into()),
                    probability: Some("35".into()),
                    forecast: Some("commit".into()),
                    expands_deal_id: Some(DealId(9)),
                },
            },
            Change::DealUpdate {
                deal: DealId(4),
                form: deals::DealUpdateForm {
                    amount: Some("95,000".into()),
                    account_id: Some(AccountId(6)),
                    ..Default::default()
                },
            },
            Change::DealMove {
                deal: DealId(4),
                form: moves::MoveInput {
                    stage: "Closed Lost".into(),
                    override_reason: None,
                    loss_reason: Some("budget".into()),
                },
            },
            Change::DealBant {
                deal: DealId(4),
                form: BantForm {
                    budget: Some("confirmed".into()),
                    need_note: Some(String::new()),
                    ..Default::default()
                },
            },
            Change::DealPoc {
                deal: DealId(4),
                form: PocForm {
                    scope: Some("SDK".into()),
                    start: Some("2027-01-04".into()),
                    ..Default::default()
                },
            },
            Change::DealChecklist {
                deal: DealId(4),
                item: "legal-review".into(),
                status: "done".into(),
                date: Some("2027-01-05".into()),
            },
            Change::ActivityAdd {
                form: activities::ActivityForm {
                    kind: "call".into(),
                    subject: "Kick-off".into(),
                    notes: Some("two lines\nof notes".into()),
                    deal_id: Some(DealId(4)),
                    account_id: Some(AccountId(3)),
                    owner_id: None,
                    due_date: Some("2027-01-06".into()),
                },
            },
            Change::ActivityDone { activity: ActivityId(8) },
            Change::ActivityUpdate {
                activity: ActivityId(8),
                form: ActivityUpdateForm {
                    notes: Some("none".into()),
                    due: Some("2027-02-01".into()),
                    ..Default::default()
                },
            },
            Change::AccountAdd {
                form: AccountForm {
                    name: "Initech".into(),
                    segment: Some("enterprise".into()),
                    ..Default::default()
                },
            },
            Change::AccountUpdate {
                account: AccountId(3),
                form: AccountUpdateForm { domain: Some(String::new()), ..Default::default() },
            },
            Change::ContactAdd {
                form: contacts::ContactInput {
                    account_id: AccountId(3),
                    name: "Pat Doe".into(),
                    title: None,
                    email: "pat@example.com".into(),
                },
            },
            Change::ContactUpdate {
                contact: ContactId(5),
                form: contacts::ContactChanges { account_id: Some(AccountId(7)), ..Default::default() },
            },
            Change::OnboardingStepDone { plan: OnboardingPlanId(2), step: "kick-off".into(), date: None },
            Change::QbrAdd { account: AccountId(3), date: "2027-04-01".into(), owner: None },
            Change::QbrHeld { qbr: QbrId(6), date: None, notes: Some("renewal likely".into()) },
            Change::AccountMerge { keep: AccountId(3), other: AccountId(11) },
            Change::PartnerAdd {
                form: PartnerForm {
                    name: "Northwind Integrators".into(),
                    domain: "northwind.example".into(),
                    tier: "reseller".into(),
                    share: Some("25".into()),
                    category: None,
                    manager: Some(TeamMemberId(2)),
                    certified: Some("2026-09-01".into()),
                },
            },
            Change::PartnerRate {
                partner: PartnerId(1),
                share: "27.5".into(),
                from: Some("2027-01-01".into()),
            },
            Change::PartnerStatus { partner: PartnerId(1), status: "suspended".into(), certified: None },
            Change::ProgramSetting { name: "review_within_hours".into(), value: 24 },
            Change::PortalInvite {
                partner: PartnerId(1),
                email: "lee@northwind.example".into(),
                name: Some("Lee".into()),
            },
            Change::PortalRemove { email: "lee@northwind.example".into() },
            Change::RegistrationSubmit { form: registration() },
            Change::RegistrationApprove { registration: RegistrationId(5), override_reason: None },
            Change::RegistrationReject {
                registration: RegistrationId(5),
                reason: "already in our pipeline".into(),
            },
            Change::RegistrationReturn { registration: RegistrationId(5), reason: "name the buyer".into() },
            Change::RegistrationResubmit { registration: RegistrationId(5), form: registration() },
            Change::RegistrationExtend {
                registration: RegistrationId(5),
                reason: "procurement is slow".into(),
            },
            Change::RegistrationConvert { registration: RegistrationId(5), owner: Some(TeamMemberId(2)) },
            Change::RegistrationsExpire,
            Change::RevenueRecord {
                deal: DealId(4),
                amount: "30,000".into(),
                date: "2027-02-01".into(),
                refund: false,
            },
            Change::RevenueReverse { entry: LedgerEntryId(12), reason: "entered twice".into() },
            Change::PayoutRun { period: "2027-01".into() },
            Change::StatementApprove { statement: StatementId(3) },
            Change::StatementPaid { statement: StatementId(3), reference: "TX-0042".into(), date: None },
            Change::FxRate {
                form: fx::RateForm {
                    currency: "EUR".into(),
                    effective_on: "2027-01-01".into(),
                    rate: "1.0842".into(),
                },
            },
            Change::ReportingCurrency { currency: "USD".into() },
            Change::TargetSet {
                form: TargetForm {
                    name: "FY2027".into(),
                    from: Some("2027-01-01".into()),
                    to: Some("2027-12-31".into()),
                    customers: Some(40),
                    enterprise_deals: Some(12),
                    arr: Some("4,000,000".into()),
                    currency: None,
                },
            },
            Change::TargetPhases { start: "2027-01-01".into() },
            Change::TargetRemove { name: "FY2027".into() },
            Change::QuotaSet {
                member: TeamMemberId(2),
                period: "2027-Q1".into(),
                amount: "600,000".into(),
                currency: None,
            },
            Change::ForecastCall {
                period: "2027-Q1".into(),
                amount: "1,200,000".into(),
                note: "two large renewals".into(),
            },
            Change::ForecastAdjust {
                member: TeamMemberId(2),
                period: "2027-Q1".into(),
                amount: "550,000".into(),
                reason: "Globex slips".into(),
            },
            Change::MemberAdd {
                name: "Sam".into(),
                role: "account-executive".into(),
                segment: Some("enterprise".into()),
            },
            Change::MemberRole { member: TeamMemberId(3), role: "sales-leader".into(), segment: None },
            Change::MemberDeactivate { member: TeamMemberId(3) },
            Change::MemberInvite { member: TeamMemberId(3) },
            Change::StageUpdate {
                stage: "Negotiation".into(),
                probability: Some("70".into()),
                stall_days: Some("21".into()),
            },
            Change::PocBounds { min_days: 30, max_days: 60 },
            Change::Import {
                file: ImportFile::Upload("upload-1".into()),
                form: ImportForm { file_name: "deals.csv".into(), ..ImportForm::default() },
            },
            Change::ImportRevert { batch: ImportBatchId(2) },
        ]
    }
}

fn registration() -> registrations::RegistrationForm {
    registrations::RegistrationForm {
        partner_id: PartnerId(1),
        company_name: "Globex".into(),
        domain: "globex.example".into(),
        country: Some("DE".into()),
        contact_name: None,
        contact_email: None,
        estimated_value: "80,000".into(),
        currency: "EUR".into(),
        close_date: "2027-05-31".into(),
        use_case: Some("customer-support".into()),
        notes: None,
    }
}
