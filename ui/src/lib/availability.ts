// What the window may offer right now: on a team copy whose server cannot be reached, a
// change that may not wait offline (money, the partner program, settings) is shown as
// unavailable before anyone tries it, with the reason in words.
import { MAY_QUEUE, type ChangeKind, type TeamLink } from '$lib/api';

/** Why a change of `kind` cannot be made now, or null when it can. */
export function unavailableOffline(kind: ChangeKind, team: TeamLink | null): string | null {
  if (!team || team.reachable !== false || MAY_QUEUE[kind]) return null;
  return 'Online only: needs the team server, which cannot be reached now.';
}
