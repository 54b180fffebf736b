/** Formats a count for people: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

/** "1 deal", "2 deals". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Money from integer minor units, by string arithmetic (no floating point):
 * (123456, 'USD', 2) → "USD 1,234.56"; (-5, 'EUR', 2) → "−EUR 0.05"; (700, 'JPY', 0) → "JPY 700".
 */
export function formatMoney(minor: number, currency: string, exponent: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`${minor} is not an exact integer amount`);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? '.' + digits.slice(digits.length - exponent) : '';
  return `${negative ? '−' : ''}${currency} ${groupThousands(whole)}${fraction}`;
}

/**
 * Money shortened for a column header, truncated toward zero by integer division:
 * (3416278816, 'USD', 2) → "USD 34.1M".
 */
/** A deal's amount, or that it is not known yet (imported deals may lack one). */
export function formatDealAmount(amount: { minor: number; currency: string; exponent: number } | null, currency: string): string {
  return amount ? formatMoney(amount.minor, amount.currency, amount.exponent) : `${currency} — not known`;
}

export function formatMoneyShort(minor: number, currency: string, exponent: number): string {
  const units = Math.trunc(Math.abs(minor) / 10 ** exponent);
  const sign = minor < 0 ? '−' : '';
  const scaled = (divisor: number, suffix: string) => {
    const tenths = Math.trunc(units / (divisor / 10));
    return `${sign}${currency} ${groupThousands(String(Math.trunc(tenths / 10)))}.${tenths % 10}${suffix}`;
  };
  if (units >= 1_000_000_000) return scaled(1_000_000_000, 'B');
  if (units >= 1_000_000) return scaled(1_000_000, 'M');
  if (units >= 10_000) return scaled(1_000, 'K');
  return `${sign}${currency} ${groupThousands(String(units))}`;
}

/** Basis points as a percentage: 2500 → "25%", 1250 → "12.5%". */
export function formatPercent(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const rest = Math.abs(bp % 100);
  if (rest === 0) return `${whole}%`;
  return `${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}%`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-11-24" (or an RFC 3339 instant) → "24 Nov 2026". */
export function formatDate(text: string | null | undefined): string {
  if (!text) return '—';
  const [y, m, d] = text.slice(0, 10).split('-');
  const month = MONTHS[Number(m) - 1];
  if (!month) return text;
  return `${Number(d)} ${month} ${y}`;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD), by calendar date. */
export function daysBetween(from: string, to: string): number {
  const day = (t: string) => Date.UTC(Number(t.slice(0, 4)), Number(t.slice(5, 7)) - 1, Number(t.slice(8, 10)));
  return Math.round((day(to) - day(from)) / 86_400_000);
}

const ACRONYMS = new Set(['sla', 'qbr', 'poc', 'bant', 'smb', 'csv', 'xlsx', 'sdr']);

/** Words for a vocabulary value: "account-executive" → "Account executive", "sla" → "SLA". */
export function humanize(word: string): string {
  const words = word.split(/[-_ ]/).map((w) => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase() : w));
  const spaced = words.join(' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
