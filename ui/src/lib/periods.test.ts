import { describe, expect, it } from 'vitest';
import { monthLabel, periodOf, previousMonth } from './periods';

describe('report periods', () => {
  it('gives quarters, the year and the last twelve whole months from the workspace day', () => {
    expect(periodOf('2026-11-24', 'this-q')).toEqual({ from: '2026-10-01', to: '2026-12-31' });
    expect(periodOf('2026-02-10', 'last-q')).toEqual({ from: '2025-10-01', to: '2025-12-31' });
    expect(periodOf('2026-11-24', 'this-year')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(periodOf('2026-11-24', 'last-12m')).toEqual({ from: '2025-12-01', to: '2026-11-30' });
    expect(periodOf('2026-12-05', 'last-12m')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(periodOf('2028-02-01', 'last-12m').to).toBe('2028-02-29');
    expect(periodOf('2026-11-24', 'all')).toEqual({ from: '', to: '' });
  });

  it('names the payout month that has just ended', () => {
    expect(previousMonth('2026-11-24')).toBe('2026-10');
    expect(previousMonth('2026-01-03')).toBe('2025-12');
  });

  it('labels months', () => {
    expect(monthLabel('2026-03')).toBe('Mar 2026');
    expect(monthLabel('2026-13')).toBe('2026-13');
  });
});
