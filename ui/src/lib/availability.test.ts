import { describe, expect, it } from 'vitest';
import { unavailableOffline } from './availability';
import type { TeamLink } from '$lib/api';

const team = (reachable: boolean | null): TeamLink => ({
  server_url: 'https://keel.example',
  reachable,
  problem: reachable === false ? 'connection refused' : null,
  position: 1,
  waiting: 0,
  not_synced: 0,
});

describe('unavailableOffline', () => {
  it('refuses online-only changes only while the team server cannot be reached', () => {
    expect(unavailableOffline('revenue_record', team(false))).toMatch(/team server/);
    expect(unavailableOffline('payout_run', team(false))).toMatch(/Online only/);
    expect(unavailableOffline('revenue_record', team(true))).toBeNull();
    // Not known yet (still connecting): let the member try; the core answers.
    expect(unavailableOffline('revenue_record', team(null))).toBeNull();
  });

  it('lets field work wait offline, and a solo workspace do anything', () => {
    expect(unavailableOffline('deal_move', team(false))).toBeNull();
    expect(unavailableOffline('activity_add', team(false))).toBeNull();
    expect(unavailableOffline('registration_approve', null)).toBeNull();
  });
});
