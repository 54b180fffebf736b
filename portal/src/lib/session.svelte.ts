// Who is signed in (the partner's profile), or why not.
import { api, errorOf, type Profile } from './api';

class Session {
  profile = $state<Profile | null>(null);
  checked = $state(false);

  async load(): Promise<void> {
    try {
      this.profile = await api.profile();
    } catch (e) {
      if (errorOf(e).code !== 'unauthenticated') throw e;
      this.profile = null;
    } finally {
      this.checked = true;
    }
  }
}

export const session = new Session();
