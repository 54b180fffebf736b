//! The partner program's changes: partners and their plans, the portal's people,
//! registrations and their reviews, revenue and payouts. Online only.

use super::{Applied, Change, Outcome};
use crate::domain::{parse_date, PartnerStatus, RevenueKind};
use crate::money::{BasisPoints, Money};
use crate::services::policy::Principal;
use crate::services::{deals, partners, payouts, portal, registrations, revenue, Workspace};
use crate::Result;

pub(super) fn apply(ws: &mut Workspace, who: Principal, change: Change) -> Result<Applied> {
    let registration = |view: registrations::RegistrationView| {
        Applied::with("registrations", view.registration.id.0, Outcome::Registration(view))
    };
    Ok(match change {
        Change::PartnerAdd { form } => {
            let partner = partners::add(ws, who, form.read()?)?;
            Applied::with("partners", partner.id.0, Outcome::Partner(partner))
        }
        Change::PartnerRate { partner, share, from } => {
            let share = i64::from(BasisPoints::parse_percent("share", &share)?.0);
            let from = match from {
                Some(day) => parse_date("from", &day)?,
                None => ws.today(),
            };
            let plans = partners::set_rate(ws, who, partner, share, from)?;
            Applied::with("partners", partner.0, Outcome::Plans(plans))
        }
        Change::PartnerStatus { partner, status, certified } => {
            let status = PartnerStatus::parse("status", &status)?;
            let certified = certified.as_deref().map(|d| parse_date("certified", d)).transpose()?;
            let partner = partners::set_status(ws, who, partner, status, certified)?;
            Applied::with("partners", partner.id.0, Outcome::Partner(partner))
        }
        Change::ProgramSetting { name, value } => {
            let settings = partners::set_program_setting(ws, who, &name, value)?;
            Applied::with("settings", 0, Outcome::ProgramSettings(settings))
        }
        Change::PortalInvite { partner, email, name } => {
            let user = portal::invite(ws, who, partner, &email, name.as_deref())?;
            Applied::with("partner_users", user.id.0, Outcome::PortalUser(user))
        }
        Change::PortalRemove { email } => {
            let user = portal::remove(ws, who, &email)?;
            Applied::with("partner_users", user.id.0, Outcome::PortalUser(user))
        }
        Change::RegistrationSubmit { form } => registration(registrations::submit(ws, who, form.read()?)?),
        Change::RegistrationApprove { registration: id, override_reason } => {
            registration(registrations::approve(ws, who, id, override_reason)?)
        }
        Change::RegistrationReject { registration: id, reason } => {
            registration(registrations::reject(ws, who, id, &reason)?)
        }
        Change::RegistrationReturn { registration: id, reason } => {
            registration(registrations::send_back(ws, who, id, &reason)?)
        }
        Change::RegistrationResubmit { registration: id, form } => {
            registration(registrations::resubmit(ws, who, id, form.read()?)?)
        }
        Change::RegistrationExtend { registration: id, reason } => {
            registration(registrations::extend(ws, who, id, &reason)?)
        }
        Change::RegistrationConvert { registration: id, owner } => {
            registration(registrations::convert(ws, who, id, owner)?)
        }
        Change::RegistrationsExpire => {
            let expired = registrations::expire_due(ws, who)?;
            Applied::with("registrations", 0, Outcome::Expired(expired))
        }
        Change::RevenueRecord { deal, amount, date, refund } => {
            // The amount is in the deal's own currency.
            let currency = deals::get(ws, who, deal)?.currency;
            let input = revenue::RevenueInput {
                deal_id: deal,
                amount_minor: Money::parse("amount", &amount, currency)?.amount_minor,
                occurred_on: parse_date("date", &date)?,
                kind: if refund { RevenueKind::Refund } else { RevenueKind::Payment },
            };
            let outcome = revenue::record(ws, who, input)?;
            Applied::with("revenue_events", outcome.event.id.0, Outcome::Revenue(outcome))
        }
        Change::RevenueReverse { entry, reason } => {
            let reversal = revenue::reverse(ws, who, entry, &reason)?;
            Applied::with("commission_ledger", reversal.id.0, Outcome::Ledger(reversal))
        }
        Change::PayoutRun { period } => {
            let statements = payouts::run(ws, who, &period)?;
            Applied::with("statements", 0, Outcome::Statements(statements))
        }
        Change::StatementApprove { statement } => {
            let view = payouts::approve(ws, who, statement)?;
            Applied::with("statements", statement.0, Outcome::Statement(view))
        }
        Change::StatementPaid { statement, reference, date } => {
            let on = date.as_deref().map(|d| parse_date("date", d)).transpose()?;
            let view = payouts::mark_paid(ws, who, statement, &reference, on)?;
            Applied::with("statements", statement.0, Outcome::Statement(view))
        }
        other => return Err(super::not_here(&other)),
    })
}
