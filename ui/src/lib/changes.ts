// The parts of a change made offline that a member may edit, as the command one would
// type (`deal move 12 Negotiation`): the core reads the edited command back into a change.

/** The positions of the tokens a member may edit: values, not the command's words or flags. */
export function editablePositions(args: string[]): number[] {
  const out: number[] = [];
  let commandWords = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      if (a === '--json') continue;
      if (i + 1 < args.length && !args[i + 1].startsWith('--')) out.push(++i);
      continue;
    }
    if (commandWords < 2) {
      commandWords++;
      continue;
    }
    out.push(i);
  }
  return out;
}
