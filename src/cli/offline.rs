//! Changes made on a team copy while its server cannot be reached: which may be made
//! offline (the one list, here), running one on the copy so it shows at once, and
//! pointing a queued change at the server's ids for the records made offline.

use super::{output, records, sales, Cli, Command, Ctx};
use crate::domain::TeamMemberId;
use crate::services::{QueuedChange, Workspace};
use crate::{KeelError, Result};
use clap::{CommandFactory, Parser};

/// Whether a change may wait offline, and if not, what it is in words. Field work may
/// (records, deals and their moves, qualification, proof of concept, checklist,
/// activities and tasks, onboarding and QBRs); money, the partner program, plans,
/// rates, targets, the team and the pipeline's settings are decided online only.
fn online_only(command: &Command) -> Option<&'static str> {
    use records::{AccountCommand as A, ContactCommand as C, OnboardingCommand as O, QbrCommand as Q};
    use sales::{ActivityCommand as V, DealCommand as D};
    match command {
        Command::Deal(
            D::Add(_) | D::Update(_) | D::Move { .. } | D::Bant(_) | D::Poc(_) | D::Checklist { .. },
        ) => None,
        Command::Account(A::Add { .. } | A::Update { .. }) => None,
        Command::Contact(C::Add { .. } | C::Update { .. }) => None,
        Command::Activity(V::Add { .. } | V::Done { .. } | V::Update { .. }) => None,
        Command::Onboarding(O::Done { .. }) => None,
        Command::Qbr(Q::Add { .. } | Q::Held { .. }) => None,
        Command::Account(A::Merge { .. }) => Some("merging accounts"),
        Command::Revenue(_) => Some("recording revenue"),
        Command::Payouts(_) => Some("payout runs and statements"),
        Command::Registration(_) => Some("deal registrations and their reviews"),
        Command::Partner(_) => Some("partners, plans and rates"),
        Command::Fx(_) => Some("exchange rates"),
        Command::Target(_) => Some("targets"),
        Command::Quota(_) | Command::Forecast(_) => Some("quotas and forecast calls"),
        Command::Team(_) => Some("team changes"),
        Command::Stage(_) | Command::Settings(_) => Some("the pipeline's settings"),
        Command::Import(_) => Some("imports"),
        _ => Some("this change"),
    }
}

/// The words a refused offline change is told in.
pub(crate) fn refusal(what: &str, why: &str) -> KeelError {
    KeelError::Offline(format!(
        "{what}: only with the team server, which cannot be reached ({why}). Money and partner-program actions, \
         plans, rates, targets and team changes are never made offline, so nothing was kept to send later"
    ))
}

fn parse(args: &[String]) -> Result<Cli> {
    Cli::try_parse_from(std::iter::once("keel".to_string()).chain(args.iter().cloned())).map_err(|e| {
        KeelError::invalid("command", e.to_string().lines().next().unwrap_or_default().to_string())
    })
}

/// Runs a change on the team copy as its member while the server cannot be reached: it
/// applies here at once and waits in the outbox as number `seq`. `why` says why the
/// server is out of reach. Returns what the command printed.
pub fn run_queued(
    ws: Workspace,
    member: TeamMemberId,
    args: &[String],
    seq: i64,
    why: &str,
) -> (Workspace, Result<String>) {
    let cli = match parse(args) {
        Ok(cli) => cli,
        Err(e) => return (ws, Err(e)),
    };
    if let Some(what) = online_only(&cli.command) {
        return (ws, Err(refusal(what, why)));
    }
    let mut ws = ws;
    ws.queue_next_writes(Some(QueuedChange { seq, line: serde_json::json!(args), sets: fields_set(args) }));
    let mut ctx = Ctx { ws, json: cli.json, as_user: None, acting: Some(member) };
    let path = std::path::PathBuf::new();
    let (result, printed) = output::captured(|| super::dispatch(&mut ctx, &path, cli.command));
    ctx.ws.queue_next_writes(None);
    (ctx.ws, result.map(|()| printed))
}

/// The table whose records an argument names by id.
fn table_of(top: &str, arg: &str) -> Option<&'static str> {
    let by_command = || match top {
        "deal" => Some("deals"),
        "account" => Some("accounts"),
        "contact" => Some("contacts"),
        "activity" => Some("activities"),
        "qbr" => Some("qbrs"),
        _ => None,
    };
    match arg {
        "deal" | "expands" => Some("deals"),
        "account" | "keep" | "other" if top == "account" => Some("accounts"),
        "account" => Some("accounts"),
        "contact" => Some("contacts"),
        "plan" => Some("onboarding_plans"),
        "id" => by_command(),
        _ => None,
    }
}

/// The fields a change sets as typed, as (table, column): the flags given to an update,
/// and the stage of a move. Only these are expected even when the value typed equals the
/// one shown (another member's change to a field this change does not touch is kept).
pub fn fields_set(args: &[String]) -> Vec<(String, String)> {
    let values = argument_values(args);
    let column = |top: &str, sub: &str, argument: &str| -> Option<(&'static str, &'static str)> {
        Some(match (top, sub, argument) {
            ("deal", "update", "name") => ("deals", "name"),
            ("deal", "update", "account") => ("deals", "account_id"),
            ("deal", "update", "owner") => ("deals", "owner_id"),
            ("deal", "update", "amount") => ("deals", "amount_minor"),
            ("deal", "update", "currency") => ("deals", "currency"),
            ("deal", "update", "close") => ("deals", "expected_close_date"),
            ("deal", "update", "source") => ("deals", "source"),
            ("deal", "update", "deal_type") => ("deals", "deal_type"),
            ("deal", "update", "probability") => ("deals", "probability_override_bp"),
            ("deal", "update", "forecast") => ("deals", "forecast_override"),
            ("deal", "move", "stage") => ("deals", "stage_id"),
            ("deal", "bant", "budget") => ("qualifications", "budget_status"),
            ("deal", "bant", "budget_note") => ("qualifications", "budget_note"),
            ("deal", "bant", "authority") => ("qualifications", "authority_status"),
            ("deal", "bant", "authority_note") => ("qualifications", "authority_note"),
            ("deal", "bant", "need") => ("qualifications", "need_status"),
            ("deal", "bant", "need_note") => ("qualifications", "need_note"),
            ("deal", "bant", "timeline") => ("qualifications", "timeline_status"),
            ("deal", "bant", "timeline_note") => ("qualifications", "timeline_note"),
            ("account", "update", "name") => ("accounts", "name"),
            ("account", "update", "domain") => ("accounts", "domain"),
            ("account", "update", "segment") => ("accounts", "segment"),
            ("account", "update", "vertical") => ("accounts", "vertical"),
            ("account", "update", "region") => ("accounts", "region"),
            ("contact", "update", "account") => ("contacts", "account_id"),
            ("contact", "update", "name") => ("contacts", "name"),
            ("contact", "update", "email") => ("contacts", "email"),
            ("contact", "update", "title") => ("contacts", "title"),
            ("activity", "update", "subject") => ("activities", "subject"),
            ("activity", "update", "notes") => ("activities", "notes"),
            ("activity", "update", "owner") => ("activities", "owner_id"),
            ("activity", "update", "due") => ("activities", "due_date"),
            _ => return None,
        })
    };
    values
        .iter()
        .filter_map(|v| column(&v.top, &v.sub, &v.argument))
        .map(|(table, column)| (table.to_string(), column.to_string()))
        .collect()
}

/// The records a command line names by id: `(position in args, table, id)`. The
/// command's own definition says which tokens are values of which argument.
pub fn references(args: &[String]) -> Vec<(usize, &'static str, i64)> {
    argument_values(args)
        .into_iter()
        .filter_map(|v| {
            let table = table_of(&v.top, &v.argument)?;
            Some((v.at, table, v.value.parse::<i64>().ok()?))
        })
        .collect()
}

/// Where the value of `argument` stands in a command line under the top-level command
/// `top` (an import's `file`, say), as the command's own definition reads it: a flag's
/// value that happens to spell the same text is not it.
pub fn position_of(args: &[String], top: &str, argument: &str) -> Option<usize> {
    argument_values(args).into_iter().find(|v| v.top == top && v.argument == argument).map(|v| v.at)
}

/// One argument's value in a command line.
struct ArgumentValue {
    /// Where the value stands in the line (its token; `--flag=value` is one token).
    at: usize,
    /// The top-level command (`deal`, `import`…) and its subcommand (`update`…).
    top: String,
    sub: String,
    /// The argument's id in the command's definition.
    argument: String,
    value: String,
}

/// Every value a command line gives an argument, read with the command's own definition
/// (which tokens are flags, which flags take a value, which positional is which).
fn argument_values(args: &[String]) -> Vec<ArgumentValue> {
    let mut root = Cli::command();
    // Building fills in what each argument takes (a flag like --json takes no value).
    root.build();
    let takes_value = |arg: &clap::Arg| arg.get_num_args().is_none_or(|n| n.takes_values());
    let mut command = &root;
    let mut path: Vec<String> = Vec::new();
    let mut global_flags: Vec<clap::Arg> = root.get_arguments().cloned().collect();
    let mut positional = 0;
    let mut found = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let token = &args[i];
        let top = path.first().cloned().unwrap_or_default();
        let sub = path.get(1).cloned().unwrap_or_default();
        if let Some(flag) = token.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (flag, None),
            };
            let arg = command
                .get_arguments()
                .chain(global_flags.iter())
                .find(|a| a.get_long() == Some(name))
                .cloned();
            let Some(arg) = arg else {
                i += 1;
                continue;
            };
            if !takes_value(&arg) {
                i += 1;
                continue;
            }
            let (at, value) = match inline {
                Some(value) => (i, value.to_string()),
                None => (i + 1, args.get(i + 1).cloned().unwrap_or_default()),
            };
            found.push(ArgumentValue { at, top, sub, argument: arg.get_id().to_string(), value });
            i = if inline.is_some() { i + 1 } else { i + 2 };
            continue;
        }
        if let Some(sub) = command.find_subcommand(token) {
            path.push(token.clone());
            global_flags.extend(command.get_arguments().filter(|a| a.is_global_set()).cloned());
            command = sub;
            positional = 0;
            i += 1;
            continue;
        }
        positional += 1;
        if let Some(arg) = command.get_positionals().find(|a| a.get_index() == Some(positional)) {
            found.push(ArgumentValue {
                at: i,
                top,
                sub,
                argument: arg.get_id().to_string(),
                value: token.clone(),
            });
        }
        i += 1;
    }
    found
}

/// The command line with the ids `new_id` maps replaced (the rest as typed).
pub fn with_ids(args: &[String], mut new_id: impl FnMut(&str, i64) -> Option<i64>) -> Vec<String> {
    let mut args = args.to_vec();
    for (index, table, id) in references(&args) {
        if let Some(replacement) = new_id(table, id) {
            let token = &args[index];
            args[index] = match token.rsplit_once('=') {
                Some((flag, _)) => format!("{flag}={replacement}"),
                None => replacement.to_string(),
            };
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn ids_are_found_where_the_command_takes_an_id_and_nowhere_else() {
        let args = line(&[
            "--json",
            "deal",
            "add",
            "--account",
            "13",
            "--name",
            "13",
            "--amount",
            "13",
            "--close",
            "2027-01-01",
        ]);
        assert_eq!(references(&args), vec![(4, "accounts", 13)]);
        let moved = with_ids(&args, |table, id| (table == "accounts" && id == 13).then_some(14));
        assert_eq!(
            moved,
            line(&[
                "--json",
                "deal",
                "add",
                "--account",
                "14",
                "--name",
                "13",
                "--amount",
                "13",
                "--close",
                "2027-01-01"
            ])
        );
        let args = line(&["deal", "move", "31", "Qualification"]);
        assert_eq!(references(&args), vec![(2, "deals", 31)]);
        let args = line(&["activity", "add", "--deal=31", "--kind", "note", "--subject", "31"]);
        assert_eq!(
            with_ids(&args, |_, _| Some(40)),
            line(&["activity", "add", "--deal=40", "--kind", "note", "--subject", "31"])
        );
        // Every record a queueable change names, QBRs and onboarding plans included.
        let args = line(&["qbr", "held", "7", "--date", "2027-01-15"]);
        assert_eq!(references(&args), vec![(2, "qbrs", 7)]);
        let args = line(&["qbr", "add", "--account", "5", "--date", "2027-01-14"]);
        assert_eq!(references(&args), vec![(3, "accounts", 5)]);
        let args = line(&["onboarding", "done", "3", "kick-off"]);
        assert_eq!(references(&args), vec![(2, "onboarding_plans", 3)]);
    }
}
