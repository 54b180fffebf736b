//! Typed changes and the command lines they are typed as: a `keel` command that makes a
//! change reads into a [`Change`], and a change reads back as the command one would type
//! for it (what `keel sync --status` lists, and what `--edit` takes).

use super::{records, sales, Cli, Command, Ctx};
use crate::changes::{Applied, Change};
use crate::services::{team, Workspace};
use crate::{KeelError, Result};
use clap::Parser;

/// Makes a change as the acting member: here, or through the team server on a team copy
/// (kept here to send later when it cannot be reached, which is said on stderr).
pub(crate) fn submit(ctx: &mut Ctx, change: Change) -> Result<Applied> {
    let who = ctx.principal()?;
    let submitted = crate::changes::submit(&mut ctx.ws, who, change)?;
    if submitted.queued && !ctx.json {
        eprintln!(
            "keel: the team server cannot be reached: this change is made here and waits to be sent (`keel sync --status`)"
        );
    }
    Ok(submitted.applied)
}

/// An answer of another kind than the change gives (a bug, never input).
pub(crate) fn unexpected(outcome: &crate::changes::Outcome) -> KeelError {
    KeelError::Schema(format!("an unexpected answer: {outcome:?}"))
}

/// Makes a change and takes the service's own answer of the kind expected.
macro_rules! answer {
    ($ctx:expr, $change:expr, $kind:path) => {
        match $crate::cli::submit($ctx, $change)?.outcome {
            $kind(value) => value,
            other => return Err($crate::cli::changes::unexpected(&other)),
        }
    };
}
pub(crate) use answer;

/// The change a command makes, if it is one that goes as a typed change.
pub(crate) fn change_of(ws: &Workspace, command: &Command) -> Result<Option<Change>> {
    match command {
        Command::Deal(cmd) => sales::deal_change(ws, cmd),
        Command::Activity(cmd) => sales::activity_change(ws, cmd),
        Command::Account(cmd) => Ok(records::account_change(cmd)),
        Command::Contact(cmd) => Ok(records::contact_change(cmd)),
        Command::Onboarding(cmd) => Ok(records::onboarding_change(cmd)),
        Command::Qbr(cmd) => records::qbr_change(ws, cmd),
        _ => Ok(None),
    }
}

/// The change a command line (as typed after `keel`) makes, if it is one that goes as a
/// typed change; names in it (owners) are read against `ws`.
pub fn change_from_line(ws: &Workspace, args: &[String]) -> Result<Option<Change>> {
    let cli = Cli::try_parse_from(std::iter::once("keel".to_string()).chain(args.iter().cloned())).map_err(
        |e| KeelError::invalid("command", e.to_string().lines().next().unwrap_or_default().to_string()),
    )?;
    // `--db` as typed: the environment's KEEL_DB would fill `cli.db` in on its own.
    let names_a_file = args.iter().any(|a| a == "--db" || a.starts_with("--db="));
    if names_a_file || cli.as_user.is_some() {
        return Err(KeelError::invalid(
            "command",
            "a change here is made on this copy, as its member: --db and --as are refused",
        ));
    }
    change_of(ws, &cli.command)
}

/// A command line, built word by word; optional flags left out when absent.
struct Words(Vec<String>);

impl Words {
    fn new(words: &[&str]) -> Words {
        Words(words.iter().map(|w| w.to_string()).collect())
    }

    fn arg(mut self, value: impl ToString) -> Words {
        self.0.push(value.to_string());
        self
    }

    fn flag(mut self, flag: &str, value: Option<impl ToString>) -> Words {
        if let Some(value) = value.map(|v| v.to_string()) {
            // A value that starts like a flag is attached to its flag, so it reads back as a value.
            if value.starts_with('-') {
                self.0.push(format!("--{flag}={value}"));
            } else {
                self.0.push(format!("--{flag}"));
                self.0.push(value);
            }
        }
        self
    }
}

/// The command one would type for a change that may wait offline (after `keel`).
pub fn line_of(ws: &Workspace, change: &Change) -> Result<Vec<String>> {
    let name = |member: Option<crate::domain::TeamMemberId>| -> Result<Option<String>> {
        member.map(|id| team::get(ws, id).map(|m| m.name)).transpose()
    };
    let words = match change {
        Change::DealAdd { form } => Words::new(&["deal", "add"])
            .flag("account", Some(form.account_id))
            .flag("name", Some(&form.name))
            .flag("amount", Some(&form.amount))
            .flag("currency", Some(&form.currency))
            .flag("close", Some(&form.expected_close_date))
            .flag("source", Some(&form.source))
            .flag("type", Some(&form.deal_type))
            .flag("owner", name(form.owner_id)?)
            .flag("stage", form.stage.as_ref())
            .flag("probability", form.probability.as_ref())
            .flag("forecast", form.forecast.as_ref())
            .flag("expands", form.expands_deal_id),
        Change::DealUpdate { deal, form } => Words::new(&["deal", "update"])
            .arg(deal)
            .flag("name", form.name.as_ref())
            .flag("account", form.account_id)
            .flag("owner", name(form.owner_id)?)
            .flag("amount", form.amount.as_ref())
            .flag("currency", form.currency.as_ref())
            .flag("close", form.expected_close_date.as_ref())
            .flag("source", form.source.as_ref())
            .flag("type", form.deal_type.as_ref())
            .flag("probability", form.probability.as_ref())
            .flag("forecast", form.forecast.as_ref()),
        Change::DealMove { deal, form } => Words::new(&["deal", "move"])
            .arg(deal)
            .arg(&form.stage)
            .flag("override", form.override_reason.as_ref())
            .flag("loss-reason", form.loss_reason.as_ref()),
        Change::DealBant { deal, form } => Words::new(&["deal", "bant"])
            .arg(deal)
            .flag("budget", form.budget.as_ref())
            .flag("budget-note", form.budget_note.as_ref())
            .flag("authority", form.authority.as_ref())
            .flag("authority-note", form.authority_note.as_ref())
            .flag("need", form.need.as_ref())
            .flag("need-note", form.need_note.as_ref())
            .flag("timeline", form.timeline.as_ref())
            .flag("timeline-note", form.timeline_note.as_ref()),
        Change::DealPoc { deal, form } => Words::new(&["deal", "poc"])
            .arg(deal)
            .flag("scope", form.scope.as_ref())
            .flag("criteria", form.criteria.as_ref())
            .flag("start", form.start.as_ref())
            .flag("end", form.end.as_ref())
            .flag("outcome", form.outcome.as_ref()),
        Change::DealChecklist { deal, item, status, date } => {
            Words::new(&["deal", "checklist"]).arg(deal).arg(item).arg(status).flag("date", date.as_ref())
        }
        Change::ActivityAdd { form } => Words::new(&["activity", "add"])
            .flag("deal", form.deal_id)
            .flag("account", form.account_id)
            .flag("kind", Some(&form.kind))
            .flag("subject", Some(&form.subject))
            .flag("notes", form.notes.as_ref())
            .flag("due", form.due_date.as_ref())
            .flag("owner", name(form.owner_id)?),
        Change::ActivityDone { activity } => Words::new(&["activity", "done"]).arg(activity),
        Change::ActivityUpdate { activity, form } => Words::new(&["activity", "update"])
            .arg(activity)
            .flag("subject", form.subject.as_ref())
            .flag("notes", form.notes.as_ref())
            .flag("owner", name(form.owner_id)?)
            .flag("due", form.due.as_ref()),
        Change::AccountAdd { form } => Words::new(&["account", "add"])
            .flag("name", Some(&form.name))
            .flag("domain", form.domain.as_ref())
            .flag("segment", form.segment.as_ref())
            .flag("vertical", form.vertical.as_ref())
            .flag("region", form.region.as_ref()),
        Change::AccountUpdate { account, form } => Words::new(&["account", "update"])
            .arg(account)
            .flag("name", form.name.as_ref())
            .flag("domain", form.domain.as_ref())
            .flag("segment", form.segment.as_ref())
            .flag("vertical", form.vertical.as_ref())
            .flag("region", form.region.as_ref()),
        Change::ContactAdd { form } => Words::new(&["contact", "add"])
            .flag("account", Some(form.account_id))
            .flag("name", Some(&form.name))
            .flag("email", Some(&form.email))
            .flag("title", form.title.as_ref()),
        Change::ContactUpdate { contact, form } => Words::new(&["contact", "update"])
            .arg(contact)
            .flag("account", form.account_id)
            .flag("name", form.name.as_ref())
            .flag("email", form.email.as_ref())
            .flag("title", form.title.as_ref()),
        Change::OnboardingStepDone { plan, step, date } => {
            Words::new(&["onboarding", "done"]).arg(plan).arg(step).flag("date", date.as_ref())
        }
        Change::QbrAdd { account, date, owner } => Words::new(&["qbr", "add"])
            .flag("account", Some(account))
            .flag("date", Some(date))
            .flag("owner", name(*owner)?),
        Change::QbrHeld { qbr, date, notes } => {
            Words::new(&["qbr", "held"]).arg(qbr).flag("date", date.as_ref()).flag("notes", notes.as_ref())
        }
        // Only changes that may wait offline are ever listed or edited as a command line.
        other => {
            return Err(KeelError::NotAllowed(format!(
                "{} is made online only, never kept to send",
                other.summary()
            )))
        }
    };
    Ok(words.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, TeamMemberId};
    use crate::services::team::NewTeamMember;

    #[test]
    fn every_change_reads_back_from_the_command_line_it_is_shown_as() {
        let clock = std::sync::Arc::new(crate::clock::FixedClock::at(
            chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000),
        ));
        let mut ws = Workspace::open_in_memory(clock).expect("workspace");
        let first = team::add(
            &mut ws,
            None,
            NewTeamMember { name: "Lee Leader".into(), role: Role::SalesLeader, ae_segment: None },
        )
        .expect("first member");
        let who = ws.authenticate(first.id).expect("leader");
        let second = team::add(
            &mut ws,
            Some(who),
            NewTeamMember { name: "Ari -Exec".into(), role: Role::SalesEngineer, ae_segment: None },
        )
        .expect("second member");
        assert_eq!(second.id, TeamMemberId(2), "the table's owner");
        for change in crate::changes::tests::table() {
            let line = line_of(&ws, &change).expect("a line");
            let back = change_from_line(&ws, &line).expect("reads").expect("a change");
            assert_eq!(back, change, "keel {}", line.join(" "));
        }
    }
}
