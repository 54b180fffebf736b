use crate::domain::{normalize_domain, optional_text, required_text, AccountId, Segment, TextKind};
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::accounts::{Account, AccountFields, AccountFilter};
use crate::store::contacts::Contact;
use crate::store::deals::{Deal, DealFilter};
use crate::store::onboarding::{OnboardingPlan, Qbr};
use crate::store::{self};
use crate::Result;
use serde::Serialize;

#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub name: String,
    pub domain: Option<String>,
    pub segment: Option<Segment>,
    pub vertical: Option<String>,
    pub region: Option<String>,
}

/// Changes to an account; `None` leaves a field as it is, `Some("")` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub domain: Option<String>,
    pub segment: Option<Segment>,
    pub vertical: Option<String>,
    pub region: Option<String>,
}

struct ValidAccount {
    name: String,
    domain: Option<String>,
    segment: Segment,
    vertical: Option<String>,
    region: Option<String>,
}

impl ValidAccount {
    fn fields(&self) -> AccountFields<'_> {
        AccountFields {
            name: &self.name,
            domain: self.domain.as_deref(),
            segment: self.segment,
            vertical: self.vertical.as_deref(),
            region: self.region.as_deref(),
        }
    }
}

fn validate(input: &AccountInput) -> Result<ValidAccount> {
    Ok(ValidAccount {
        name: required_text("name", &input.name, TextKind::Line)?,
        domain: match input.domain.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(normalize_domain("domain", d)?),
        },
        segment: input.segment.unwrap_or(Segment::SmbMidMarket),
        vertical: optional_text("vertical", input.vertical.as_deref(), TextKind::Line)?,
        region: optional_text("region", input.region.as_deref(), TextKind::Line)?,
    })
}

pub fn create(ws: &mut Workspace, who: Principal, input: AccountInput) -> Result<Account> {
    let account = validate(&input)?;
    let id = ws.write_as(who, |tx, now| {
        let id = store::accounts::insert(tx, &account.fields(), now, Some(who.member()))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "account.create",
            "account",
            id.0,
            serde_json::json!({
                "name": account.name, "domain": account.domain,
            }),
        )?;
        Ok(id)
    })?;
    store::accounts::get(ws.conn(), id)
}

pub fn update(ws: &mut Workspace, who: Principal, id: AccountId, changes: AccountChanges) -> Result<Account> {
    let current = store::accounts::get(ws.conn(), id)?;
    let merged = AccountInput {
        name: changes.name.unwrap_or(current.name),
        domain: changes.domain.or(current.domain),
        segment: Some(changes.segment.unwrap_or(current.segment)),
        vertical: changes.vertical.or(current.vertical),
        region: changes.region.or(current.region),
    };
    let account = validate(&merged)?;
    ws.write_as(who, |tx, now| {
        store::accounts::update(tx, id, &account.fields())?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "account.update",
            "account",
            id.0,
            serde_json::json!({
                "name": account.name, "domain": account.domain, "segment": account.segment.as_str(),
            }),
        )
    })?;
    store::accounts::get(ws.conn(), id)
}

pub fn get(ws: &Workspace, who: Principal, id: AccountId) -> Result<Account> {
    policy::reading(ws.conn(), who)?;
    store::accounts::get(ws.conn(), id)
}

#[derive(Debug, Clone, Default)]
pub struct AccountQuery {
    pub segment: Option<Segment>,
    pub search: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// How many accounts the query's segment and search match: the length of the list it pages.
pub fn count(ws: &Workspace, who: Principal, query: &AccountQuery) -> Result<i64> {
    policy::reading(ws.conn(), who)?;
    store::accounts::count_matching(ws.conn(), &filter(query))
}

pub fn list(ws: &Workspace, who: Principal, query: &AccountQuery) -> Result<Vec<Account>> {
    policy::reading(ws.conn(), who)?;
    store::accounts::list(ws.conn(), &filter(query))
}

fn filter(query: &AccountQuery) -> AccountFilter<'_> {
    AccountFilter {
        segment: query.segment,
        search: query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        limit: crate::services::page_size(query.limit),
        offset: query.offset.unwrap_or(0),
    }
}

/// An account page: the account with its contacts, deals, onboarding plans and QBRs.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub account: Account,
    pub contacts: Vec<Contact>,
    pub deals: Vec<Deal>,
    pub onboarding: Vec<OnboardingPlan>,
    pub qbrs: Vec<Qbr>,
}

pub fn view(ws: &Workspace, who: Principal, id: AccountId) -> Result<AccountView> {
    policy::reading(ws.conn(), who)?;
    let account = store::accounts::get(ws.conn(), id)?;
    Ok(AccountView {
        contacts: store::contacts::list(ws.conn(), Some(id), crate::services::MAX_PAGE, 0)?,
        deals: store::deals::list(
            ws.conn(),
            &DealFilter { account: Some(id), limit: crate::services::MAX_PAGE, ..DealFilter::default() },
            ws.now(),
        )?,
        onboarding: store::onboarding::plans_for_account(ws.conn(), id)?,
        qbrs: store::onboarding::qbrs_for_account(ws.conn(), id)?,
        account,
    })
}
