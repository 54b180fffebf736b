// Who the user is, the open workspace and the vocabularies forms offer: loaded once,
// refreshed when the workspace or the user changes.
import { api, errorOf, type Member, type Vocabulary, type WorkspaceSummary } from '$lib/api';

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

  async load(): Promise<void> {
    try {
      this.summary = await api.workspaceSummary();
      const picked = globalThis.localStorage?.getItem(pickedKey(this.summary.path));
      this.confirmed = this.summary.me !== null && picked === String(this.summary.me.id);
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
