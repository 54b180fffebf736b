//! What a team copy says about changes while its server cannot be reached, and where an
//! argument stands in a command line as the command's own definition reads it (an
//! import's file, which goes to the server ahead of the import).

use super::Cli;
use crate::KeelError;
use clap::CommandFactory;

/// The words a refused offline change is told in.
pub(crate) fn refusal(what: &str, why: &str) -> KeelError {
    KeelError::Offline(format!(
        "{what}: only with the team server, which cannot be reached ({why}). Money and partner-program actions, \
         plans, rates, targets and team changes are never made offline, so nothing was kept to send later"
    ))
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
    /// The top-level command (`deal`, `import`…).
    top: String,
    /// The argument's id in the command's definition.
    argument: String,
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
            let at = if inline.is_some() { i } else { i + 1 };
            found.push(ArgumentValue { at, top, argument: arg.get_id().to_string() });
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
            found.push(ArgumentValue { at: i, top, argument: arg.get_id().to_string() });
        }
        i += 1;
    }
    found
}
