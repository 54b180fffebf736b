import { describe, expect, it } from 'vitest';
import { daysBetween, formatCount, formatDate, formatMoney, formatMoneyShort, formatPercent, humanize, plural } from './format';

describe('format', () => {
  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
  });
  it('pluralizes', () => {
    expect(plural(1, 'deal', 'deals')).toBe('1 deal');
    expect(plural(2000, 'deal', 'deals')).toBe('2,000 deals');
  });
  it('formats money from minor units without floating point', () => {
    expect(formatMoney(123456, 'USD', 2)).toBe('USD 1,234.56');
    expect(formatMoney(5, 'EUR', 2)).toBe('EUR 0.05');
    expect(formatMoney(-5, 'EUR', 2)).toBe('−EUR 0.05');
    expect(formatMoney(700, 'JPY', 0)).toBe('JPY 700');
    expect(formatMoney(1001, 'BHD', 3)).toBe('BHD 1.001');
    // 2^53 − 1 minor units: exact to the last digit.
    expect(formatMoney(9007199254740991, 'USD', 2)).toBe('USD 90,071,992,547,409.91');
    expect(() => formatMoney(2 ** 53 + 2, 'USD', 2)).toThrow(RangeError);
  });
  it('shortens money for headers by truncation', () => {
    expect(formatMoneyShort(3416278816, 'USD', 2)).toBe('USD 34.1M');
    expect(formatMoneyShort(999999, 'USD', 2)).toBe('USD 9,999');
    expect(formatMoneyShort(1234500, 'USD', 2)).toBe('USD 12.3K');
    expect(formatMoneyShort(250_000_000_000, 'JPY', 0)).toBe('JPY 250.0B');
  });
  it('formats basis points as percentages', () => {
    expect(formatPercent(2500)).toBe('25%');
    expect(formatPercent(1250)).toBe('12.5%');
    expect(formatPercent(1)).toBe('0.01%');
    expect(formatPercent(10000)).toBe('100%');
  });
  it('formats dates and counts days', () => {
    expect(formatDate('2026-11-24')).toBe('24 Nov 2026');
    expect(formatDate('2026-01-05T09:00:00+00:00')).toBe('5 Jan 2026');
    expect(formatDate(null)).toBe('—');
    expect(daysBetween('2026-02-27', '2026-03-01')).toBe(2);
    expect(humanize('account-executive')).toBe('Account executive');
    expect(humanize('sla')).toBe('SLA');
    expect(humanize('smb-mid-market')).toBe('SMB mid market');
  });
});
