//! Revenue collected on won deals, and the commission it accrues for the partner
//! whose approved registration the deal came from.

use crate::domain::{check_date_range, DealId, LedgerEntryId, LedgerKind, RevenueKind};
use crate::money::{div_round_half_even, BasisPoints, Money};
use crate::services::partners::program_settings;
use crate::services::policy::{self, Principal};
use crate::services::Workspace;
use crate::store::revenue::{LedgerEntry, NewLedgerEntry, RevenueEvent};
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::{Duration, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct RevenueInput {
    pub deal_id: DealId,
    /// In minor units of the deal's currency; always positive (a refund says so by `kind`).
    pub amount_minor: i64,
    pub occurred_on: NaiveDate,
    pub kind: RevenueKind,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RevenueOutcome {
    pub event: RevenueEvent,
    /// The commission entry it wrote, if the deal came from an approved registration.
    pub commission: Option<LedgerEntry>,
}

/// Commission on `base` (minor units, negative for a refund) at `rate`: rounded
/// half-even to the minor unit, once, here.
pub fn commission_on(base_minor: i64, rate: BasisPoints) -> i64 {
    let signed = div_round_half_even(i128::from(base_minor.abs()) * i128::from(rate.0), 10_000) as i64;
    if base_minor < 0 {
        -signed
    } else {
        signed
    }
}

/// Records a payment or refund on a won deal. Commission is kept cumulative: after
/// each event the deal's accruals and clawbacks add up to the registration's locked
/// rate on the net collected, rounded half-even once. A refund may not exceed what had
/// been collected by its date. Either entry becomes payable after the holding period.
pub fn record(ws: &mut Workspace, who: Principal, input: RevenueInput) -> Result<RevenueOutcome> {
    let deal = store::deals::get(ws.conn(), input.deal_id, ws.now())?;
    if !deal.is_won {
        return Err(KeelError::NotAllowed(format!(
            "deal {} is {}, not won: revenue is recorded on won deals",
            deal.id, deal.stage_name
        )));
    }
    let amount = Money::non_negative("amount", input.amount_minor, deal.currency)?;
    if amount.amount_minor == 0 {
        return Err(KeelError::invalid("amount", "must be more than zero"));
    }
    check_date_range("date", input.occurred_on)?;
    if input.occurred_on > ws.today() {
        return Err(KeelError::invalid("date", format!("{} is in the future", input.occurred_on)));
    }
    if input.occurred_on < deal.created_at.date_naive() {
        return Err(KeelError::invalid(
            "date",
            format!("{} is before the deal was created", input.occurred_on),
        ));
    }
    let holding = i64::from(program_settings(ws)?.holding_days);
    let (event_id, entry_id) = ws.write_as(who, |tx, now| {
        let collected = store::revenue::net_collected(tx, deal.id)?;
        if input.kind == RevenueKind::Refund {
            // Checked against what had come in by the refund's own date, and against
            // every later day, so no day ever shows more refunded than collected.
            let (by_then, lowest_later) = store::revenue::net_collected_by(tx, deal.id, input.occurred_on)?;
            let money = |minor: i64| Money { amount_minor: minor.max(0), currency: amount.currency };
            if amount.amount_minor > by_then {
                return Err(KeelError::invalid(
                    "amount",
                    format!(
                        "a refund of {amount} on {} is more than the {} collected on deal {} by then",
                        input.occurred_on,
                        money(by_then),
                        deal.id
                    ),
                ));
            }
            if let Some(lowest) = lowest_later.filter(|lowest| amount.amount_minor > *lowest) {
                return Err(KeelError::invalid(
                    "amount",
                    format!(
                        "a refund of {amount} on {} would leave deal {} with more refunded than collected \
                         later on: later refunds leave only {} to take back",
                        input.occurred_on,
                        deal.id,
                        money(lowest)
                    ),
                ));
            }
        }
        let event = store::revenue::insert_event(tx, deal.id, input.kind, amount, input.occurred_on, now, Some(who.member()))?;
        let registration = store::registrations::for_deal(tx, deal.id)?;
        let entry = match registration.and_then(|r| r.rate.map(|rate| (r, rate))) {
            Some((registration, rate)) => {
                let base = if input.kind == RevenueKind::Refund { -amount.amount_minor } else { amount.amount_minor };
                // Cumulative: the commission on everything collected so far, less what
                // the ledger already holds. Rounding happens once on the running total,
                // so a full refund nets to exactly zero.
                let owed_in_all = commission_on(collected + base, rate);
                let written = store::revenue::revenue_commission(tx, deal.id)?;
                let entry = NewLedgerEntry {
                    partner_id: registration.partner_id,
                    registration_id: registration.id,
                    deal_id: deal.id,
                    revenue_event_id: Some(event),
                    reverses_id: None,
                    kind: if base < 0 { LedgerKind::Clawback } else { LedgerKind::Accrual },
                    base_minor: base,
                    rate,
                    amount: Money { amount_minor: owed_in_all - written, currency: amount.currency },
                    accrued_on: input.occurred_on,
                    payable_on: input.occurred_on + Duration::days(holding),
                };
                Some(store::revenue::append_ledger(tx, &entry, now, Some(who.member()))?)
            }
            None => None,
        };
        crate::services::record(tx, now, Some(who.member()), &format!("revenue.{}", input.kind), "deal", deal.id.0, serde_json::json!({
            "after": {"amount_minor": amount.amount_minor, "currency": amount.currency, "on": input.occurred_on,
                      "ledger_entry_id": entry},
        }))?;
        Ok((event, entry))
    })?;
    let events = store::revenue::events_for_deal(ws.conn(), deal.id)?;
    let event = events
        .into_iter()
        .find(|e| e.id == event_id)
        .ok_or_else(|| KeelError::not_found("revenue event", event_id))?;
    let commission = match entry_id {
        Some(id) => store::revenue::ledger_for_deal(ws.conn(), deal.id)?.into_iter().find(|e| e.id == id),
        None => None,
    };
    Ok(RevenueOutcome { event, commission })
}

/// Corrects a ledger entry the only way the ledger allows: a new entry of the
/// opposite amount, payable at once, that points at the one it reverses.
pub fn reverse(
    ws: &mut Workspace,
    who: Principal,
    entry: LedgerEntryId,
    reason: &str,
) -> Result<LedgerEntry> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "reverse ledger entries",
    )?;
    let reason = crate::domain::required_text("reason", reason, crate::domain::TextKind::Note)?;
    let today = ws.today();
    let id = ws.write_as(who, |tx, now| {
        let original = store::revenue::ledger_entry(tx, entry)?;
        if original.kind == LedgerKind::Reversal {
            return Err(KeelError::NotAllowed(format!("ledger entry {entry} is itself a reversal")));
        }
        if let Some(existing) = store::revenue::reversal_of(tx, entry)? {
            return Err(KeelError::NotAllowed(format!(
                "ledger entry {entry} was already reversed by entry {existing}"
            )));
        }
        let reversal = NewLedgerEntry {
            partner_id: original.partner_id,
            registration_id: original.registration_id,
            deal_id: original.deal_id,
            revenue_event_id: None,
            reverses_id: Some(original.id),
            kind: LedgerKind::Reversal,
            base_minor: -original.base_minor,
            rate: original.rate,
            amount: Money { amount_minor: -original.amount.amount_minor, currency: original.amount.currency },
            accrued_on: today,
            payable_on: today,
        };
        let id = store::revenue::append_ledger(tx, &reversal, now, Some(who.member()))?;
        crate::services::record(
            tx,
            now,
            Some(who.member()),
            "ledger.reverse",
            "ledger_entry",
            original.id.0,
            serde_json::json!({
                "before": {"amount_minor": original.amount.amount_minor},
                "after": {"reversal_entry_id": id, "amount_minor": -original.amount.amount_minor},
                "reason": reason,
            }),
        )?;
        Ok(id)
    })?;
    store::revenue::ledger_entry(ws.conn(), id)
}

#[derive(Debug, Clone, Serialize)]
pub struct DealRevenue {
    pub events: Vec<RevenueEvent>,
    pub ledger: Vec<LedgerEntry>,
    pub net_collected_minor: i64,
}

pub fn for_deal(ws: &Workspace, who: Principal, deal: DealId) -> Result<DealRevenue> {
    policy::reading(ws.conn(), who)?;
    store::deals::get(ws.conn(), deal, ws.now())?;
    Ok(DealRevenue {
        events: store::revenue::events_for_deal(ws.conn(), deal)?,
        ledger: store::revenue::ledger_for_deal(ws.conn(), deal)?,
        net_collected_minor: store::revenue::net_collected(ws.conn(), deal)?,
    })
}
