import { describe, expect, it } from 'vitest';
import { quarterOf, toQuery } from './filters.svelte';

describe('filters', () => {
  it('sends blanks as null', () => {
    expect(
      toQuery({ owner_id: 3, segment: '', source: 'partner', close_from: ' ', close_to: '2026-12-31', search: '' })
    ).toEqual({ owner_id: 3, segment: null, source: 'partner', close_from: null, close_to: '2026-12-31', search: null });
  });
  it('finds quarters, across year ends', () => {
    expect(quarterOf('2026-11-24', 0)).toEqual({ from: '2026-10-01', to: '2026-12-31' });
    expect(quarterOf('2026-11-24', 1)).toEqual({ from: '2027-01-01', to: '2027-03-31' });
    expect(quarterOf('2026-02-10', -1)).toEqual({ from: '2025-10-01', to: '2025-12-31' });
    expect(quarterOf('2028-01-15', 0)).toEqual({ from: '2028-01-01', to: '2028-03-31' });
  });
});
