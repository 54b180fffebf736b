import { describe, expect, it } from 'vitest';
import { formatCount, plural } from './format';

describe('format', () => {
  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
  });
  it('pluralizes', () => {
    expect(plural(1, 'deal', 'deals')).toBe('1 deal');
    expect(plural(2000, 'deal', 'deals')).toBe('2,000 deals');
  });
});
