// A change made offline, told in words, and the parts of it a member may edit. The
// change travels as the command line the team server runs (`deal move 12 Negotiation`).

const RECORDS: Record<string, string> = { deal: 'deal', account: 'account', contact: 'contact', activity: 'activity', onboarding: 'onboarding step', qbr: 'QBR' };

/** The value after a flag (`--amount 5` or `--amount=5`), if given. */
function flag(args: string[], name: string): string | null {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1] ?? null;
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return null;
}

/** Words that are not flags or their values: the command, its action and its positionals. */
function words(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) {
      if (!args[i].includes('=') && i + 1 < args.length && !args[i + 1].startsWith('--') && args[i] !== '--json') i++;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

/** One line saying what the change does. */
export function describeChange(args: string[]): string {
  const [what, action, ...rest] = words(args);
  const record = RECORDS[what] ?? what;
  switch (`${what} ${action}`) {
    case 'deal move':
      return `Move deal ${rest[0]} to ${rest[1]}`;
    case 'deal add':
      return `New deal “${flag(args, 'name') ?? ''}”`;
    case 'account add':
      return `New account “${flag(args, 'name') ?? ''}”`;
    case 'contact add':
      return `New contact ${flag(args, 'name') ?? ''}`;
    case 'activity add': {
      const on = flag(args, 'deal') ? ` on deal ${flag(args, 'deal')}` : flag(args, 'account') ? ` on account ${flag(args, 'account')}` : '';
      return `${(flag(args, 'kind') ?? 'activity').replace(/^./, (c) => c.toUpperCase())} “${flag(args, 'subject') ?? ''}”${on}`;
    }
    case 'activity done':
      return `Mark activity ${rest[0]} done`;
    case 'deal checklist':
      return `Checklist of deal ${rest[0]}: ${rest[1]} ${rest[2]}`;
    case 'deal bant':
      return `Qualify deal ${rest[0]} (BANT)`;
    case 'deal poc':
      return `Proof of concept of deal ${rest[0]}`;
    case 'qbr held':
      return `QBR ${rest[0]} held`;
    case 'onboarding done':
      return `Onboarding plan ${rest[0]}: ${rest[1]} done`;
    default:
      return action === 'update' ? `Change ${record} ${rest[0]}` : `${record} ${action ?? ''} ${rest.join(' ')}`.trim();
  }
}

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
