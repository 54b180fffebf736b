// Who the user is, the open workspace and the vocabularies forms offer: loaded once,
// refreshed when the workspace or the user changes.
import { api, errorOf, type ChangeKind, type Member, type Vocabulary, type WorkspaceSummary } from '$lib/api';
import { unavailableOffline } from '$lib/availability';
import { listen } from '@tauri-apps/api/event';

class Session {
  summary = $state<WorkspaceSummary | null>(null);
  vocabulary = $state<Vocabulary | null>(null);
  error = $state<{ code: string; message: string } | null>(null);
  /** Bumped after any write, so open screens reload what they show. */
  revision = $state(0);
  /** Whether the user picked themselves on this machine (the first start asks). */
  confirmed = $state(false);

  get me(): Member | null {
    return this.confirmed ? (this.summary?.me ?? null) : null;
  }

  /** The team server this workspace is a copy of, if it is one. */
  get team() {
    return this.summary?.team_link ?? null;
  }

  /** Why a change of `kind` cannot be made now (online only, server unreachable), or null. */
  unavailable(kind: ChangeKind): string | null {
    return unavailableOffline(kind, this.team);
  }

  private following = false;

  /** The app catches the copy up with its server in the background and says when it
   *  did (or when the server stopped answering): open screens reload what they show. */
  async follow(): Promise<void> {
    if (this.following) return;
    this.following = true;
    try {
      await listen('team-changed', async () => {
        await this.load();
        this.changed();
      });
    } catch {
      this.following = false; // outside the app window (unit tests): nothing to follow
    }
  }

  async load(): Promise<void> {
    try {
      this.summary = await api.workspaceSummary();
      const picked = globalThis.localStorage?.getItem(pickedKey(this.summary.path));
      // In a team workspace the member is the one who joined on this machine: no picking.
      this.confirmed =
        this.summary.me !== null && (this.summary.team_link !== null || picked === String(this.summary.me.id));
      this.vocabulary = this.me && this.summary.initialized ? await api.vocabulary() : null;
      this.error = null;
    } catch (e) {
      this.error = errorOf(e);
    }
  }

  async choose(memberId: number): Promise<void> {
    await api.chooseMe(memberId);
    if (this.summary) globalThis.localStorage?.setItem(pickedKey(this.summary.path), String(memberId));
    await this.load();
  }

  changed(): void {
    this.revision += 1;
    // In a team, a change may have gone to the outbox: the sidebar's counts follow.
    if (this.team) void this.refreshTeam();
  }

  private async refreshTeam(): Promise<void> {
    try {
      const summary = await api.workspaceSummary();
      if (this.summary && summary.path === this.summary.path) this.summary = { ...this.summary, team_link: summary.team_link };
    } catch {
      // The next load says what is wrong.
    }
  }
}

/** The workspace's acting user is shared with the CLI; this machine's pick is remembered per file. */
function pickedKey(path: string): string {
  return `keel.me:${path}`;
}

export const session = new Session();

/** The home screen for a role: leaders the dashboard, partner managers their desk, AEs their day. */
export function homeFor(member: Member | null): string {
  if (member?.leads_sales) return '/dashboard';
  if (member?.runs_partner_program) return '/desk';
  return '/home';
}
