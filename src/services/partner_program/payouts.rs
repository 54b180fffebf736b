//! Payout runs and statements: draft → approved → paid, with carried balances.

use crate::domain::{check_date_range, LedgerKind, StatementId, StatementLineKind, StatementStatus};
use crate::money::Currency;
use crate::services::partners::program_settings;
use crate::services::policy::Principal;
use crate::services::{statement_export, Workspace};
use crate::store::fx::RateTable;
use crate::store::payouts::{Statement, StatementLine};
use crate::store::{self};
use crate::{KeelError, Result};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Parses "YYYY-MM" and returns it with the period's last day.
pub fn parse_period(text: &str) -> Result<(String, NaiveDate)> {
    let bad =
        || KeelError::invalid("period", format!("'{}' is not a month (write it as YYYY-MM)", text.trim()));
    let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let (year, month): (i32, u32) = (year.parse().map_err(|_| bad())?, month.parse().map_err(|_| bad())?);
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
    check_date_range("period", first)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let last = next.ok_or_else(bad)?.pred_opt().ok_or_else(bad)?;
    Ok((format!("{year:04}-{month:02}"), last))
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StatementView {
    pub statement: Statement,
    pub lines: Vec<StatementLine>,
}

/// Builds the period's statements: per partner and currency, every payable entry no
/// statement holds yet, plus balances carried from earlier periods. A total that is
/// negative or under the minimum payout is kept as `carried` for the next period.
/// Re-running a period rebuilds its drafts; approved and paid statements stay.
pub fn run(ws: &mut Workspace, who: Principal, period: &str) -> Result<Vec<StatementView>> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "run payouts",
    )?;
    let (period, last_day) = parse_period(period)?;
    if last_day >= ws.today() {
        return Err(KeelError::invalid("period", format!("{period} has not ended yet (it ends {last_day})")));
    }
    let min_major = program_settings(ws)?.min_payout_major;
    let reporting = crate::services::fx::reporting_currency(ws)?;
    let ids = ws.write_as(who, |tx, now| {
        let minimums = Minimums { min_major, reporting, rates: RateTable::load(tx, reporting.code())?, on: last_day };
        if let Some(latest) = store::payouts::latest_period(tx)?.filter(|latest| *latest > period) {
            return Err(KeelError::NotAllowed(format!("payout periods run in order: {latest} already has statements")));
        }
        store::payouts::clear_rebuildable(tx, &period)?;
        let mut groups: BTreeMap<(i64, String), Vec<store::revenue::LedgerEntry>> = BTreeMap::new();
        for entry in store::revenue::payable_unassigned(tx, last_day)? {
            groups.entry((entry.partner_id.0, entry.amount.currency.code().to_string())).or_default().push(entry);
        }
        for (partner, currency) in store::payouts::carried_pairs(tx, &period)? {
            groups.entry((partner.0, currency)).or_default();
        }
        let mut created = Vec::new();
        for ((partner, currency), entries) in groups {
            let partner = crate::domain::PartnerId(partner);
            if store::payouts::has_statement(tx, partner, &currency, &period)? {
                continue; // approved or paid already: these entries wait for the next period
            }
            let carried = store::payouts::open_carried(tx, partner, &currency, &period)?;
            let total: i64 = entries.iter().map(|e| e.amount.amount_minor).sum::<i64>()
                + carried.iter().map(|s| s.total.amount_minor).sum::<i64>();
            let minimum = minimums.of(tx, Currency::parse("currency", &currency)?)?;
            let status = if total < minimum { StatementStatus::Carried } else { StatementStatus::Draft };
            let id = store::payouts::insert_statement(tx, partner, &currency, &period, status, total, now)?;
            for old in &carried {
                store::payouts::insert_line(tx, id, StatementLineKind::Carried, None, Some(old.id), old.total.amount_minor)?;
                store::payouts::mark_carried_into(tx, old.id, id)?;
            }
            for entry in &entries {
                let kind = match entry.kind {
                    LedgerKind::Accrual => StatementLineKind::Payment,
                    LedgerKind::Clawback => StatementLineKind::Clawback,
                    LedgerKind::Reversal => StatementLineKind::Reversal,
                };
                store::payouts::insert_line(tx, id, kind, Some(entry.id), None, entry.amount.amount_minor)?;
            }
            crate::services::record(tx, now, Some(who.member()), "payout.statement", "statement", id.0, serde_json::json!({
                "after": {"period": period, "partner_id": partner, "currency": currency, "status": status.as_str(),
                          "total_minor": total, "lines": entries.len() + carried.len()},
            }))?;
            created.push(id);
        }
        Ok(created)
    })?;
    ids.into_iter().map(|id| show(ws, who, id)).collect()
}

/// The smallest statement paid out, per currency. The program's minimum is in the
/// reporting currency; a statement in another currency uses that currency's own
/// minimum if one is set, else the program's converted at the rate in force on the
/// period's last day. With neither, the run is refused rather than guess: a flat
/// "50" would be 50 yen in JPY and 50 dinars in KWD.
struct Minimums {
    min_major: u32,
    reporting: Currency,
    rates: RateTable,
    on: NaiveDate,
}

impl Minimums {
    fn of(&self, conn: &rusqlite::Connection, currency: Currency) -> Result<i64> {
        if let Some(own) = crate::services::partners::currency_minimum(conn, currency)? {
            return Ok(i64::from(own) * 10i64.pow(u32::from(currency.exponent())));
        }
        let in_reporting = i64::from(self.min_major) * 10i64.pow(u32::from(self.reporting.exponent()));
        if currency == self.reporting {
            return Ok(in_reporting);
        }
        let day = crate::store::day_text(self.on);
        let (_, rate) = self.rates.on(currency.code(), &day).ok_or_else(|| {
            KeelError::NotAllowed(format!(
                "there is no minimum payout in {currency}: set an exchange rate from {currency} into {} \
                 in force on {} (the minimum converts at it), or a minimum payout in {currency}",
                self.reporting, self.on
            ))
        })?;
        // minimum / rate, from reporting minor units into this currency's, half-even once.
        let numerator = i128::from(in_reporting)
            * 10i128.pow(u32::from(currency.exponent()))
            * i128::from(crate::money::FxRate::SCALE);
        let denominator = i128::from(rate.0) * 10i128.pow(u32::from(self.reporting.exponent()));
        Ok(i64::try_from(crate::money::div_round_half_even(numerator, denominator)).unwrap_or(i64::MAX))
    }
}

/// Statements are what the company owes partners: the program's to see, not every seller's.
fn may_read(ws: &Workspace, who: Principal) -> Result<()> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::ReadStatements,
        "see payout statements",
    )
    .map(|_| ())
}

pub fn show(ws: &Workspace, who: Principal, id: StatementId) -> Result<StatementView> {
    may_read(ws, who)?;
    Ok(StatementView {
        statement: store::payouts::get(ws.conn(), id)?,
        lines: store::payouts::lines(ws.conn(), id)?,
    })
}

pub fn list(ws: &Workspace, who: Principal, period: Option<&str>) -> Result<Vec<Statement>> {
    may_read(ws, who)?;
    let period = period.map(parse_period).transpose()?.map(|(p, _)| p);
    store::payouts::list(ws.conn(), period.as_deref(), None)
}

/// One partner's statements, newest period first.
pub fn for_partner(
    ws: &Workspace,
    who: Principal,
    partner: crate::domain::PartnerId,
) -> Result<Vec<Statement>> {
    may_read(ws, who)?;
    let mut statements = store::payouts::list(ws.conn(), None, Some(partner))?;
    statements.reverse();
    Ok(statements)
}

/// Approves a draft. A partner manager or sales leader approves, and never one who
/// owns a deal whose commission the statement pays.
pub fn approve(ws: &mut Workspace, who: Principal, id: StatementId) -> Result<StatementView> {
    let member = crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "approve payout statements",
    )?;
    ws.write_as(who, |tx, now| {
        let statement = store::payouts::get(tx, id)?;
        if statement.status != StatementStatus::Draft {
            return Err(KeelError::NotAllowed(format!("statement {id} is {}; only a draft can be approved", statement.status)));
        }
        if store::payouts::deal_owners(tx, id)?.contains(&who.member()) {
            return Err(KeelError::Forbidden(format!(
                "{} owns a deal on statement {id} and may not approve it",
                member.name
            )));
        }
        store::payouts::approve(tx, id, now, who.member())?;
        crate::services::record(tx, now, Some(who.member()), "payout.approve", "statement", id.0, serde_json::json!({
            "before": {"status": "draft"}, "after": {"status": "approved", "total_minor": statement.total.amount_minor},
        }))
    })?;
    show(ws, who, id)
}

pub fn mark_paid(
    ws: &mut Workspace,
    who: Principal,
    id: StatementId,
    reference: &str,
    on: Option<NaiveDate>,
) -> Result<StatementView> {
    crate::services::policy::require(
        ws.conn(),
        who,
        crate::services::policy::Capability::RunPartnerProgram,
        "mark statements paid",
    )?;
    let reference = crate::domain::required_text("reference", reference, crate::domain::TextKind::Line)?;
    let on = on.unwrap_or(ws.today());
    check_date_range("date", on)?;
    if on > ws.today() {
        return Err(KeelError::invalid("date", format!("{on} is in the future")));
    }
    ws.write_as(who, |tx, now| {
        let statement = store::payouts::get(tx, id)?;
        if statement.status != StatementStatus::Approved {
            return Err(KeelError::NotAllowed(format!("statement {id} is {}; only an approved statement can be paid", statement.status)));
        }
        if let Some(approved) = statement.approved_at.map(|at| at.date_naive()).filter(|day| on < *day) {
            return Err(KeelError::invalid(
                "date",
                format!("{on} is before statement {id} was approved ({approved}); a statement is paid after approval"),
            ));
        }
        store::payouts::mark_paid(tx, id, on, &reference)?;
        crate::services::record(tx, now, Some(who.member()), "payout.paid", "statement", id.0, serde_json::json!({
            "before": {"status": "approved"}, "after": {"status": "paid", "reference": reference, "on": on},
        }))
    })?;
    show(ws, who, id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Pdf,
}

/// The statement as a CSV file or a printable PDF.
pub fn export(ws: &Workspace, who: Principal, id: StatementId, format: ExportFormat) -> Result<Vec<u8>> {
    let view = show(ws, who, id)?;
    Ok(match format {
        ExportFormat::Csv => statement_export::csv(&view).into_bytes(),
        ExportFormat::Pdf => statement_export::pdf(&view),
    })
}
