// Who the user is, the open workspace and the vocabularies forms offer: loaded once,
// refreshed when the workspace or the user changes.
import { api, errorOf, type Member, type Vocabulary, type WorkspaceSummary } from '$lib/api';

class Session {
  summary = $state<WorkspaceSummary | null>(null);
  vocabulary = $state<Vocabulary | null>(null);
  error = $state<{ code: string; message: string } | null>(null);
  /** Bumped after any write, so open screens reload what they show. */
  revision = $state(0);

  get me(): Member | null {
    return this.summary?.me ?? null;
  }

  async load(): Promise<void> {
    try {
      this.summary = await api.workspaceSummary();
      this.vocabulary = this.summary.me && this.summary.initialized ? await api.vocabulary() : null;
      this.error = null;
    } catch (e) {
      this.error = errorOf(e);
    }
  }

  async choose(memberId: number): Promise<void> {
    await api.chooseMe(memberId);
    await this.load();
  }

  changed(): void {
    this.revision += 1;
  }
}

export const session = new Session();

/** The home screen for a role: account executives get their day; others the board until theirs exist. */
export function homeFor(member: Member | null): string {
  return member?.role === 'account-executive' ? '/home' : '/board';
}
