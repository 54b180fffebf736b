// The portal's only door to the server: its JSON API under /portal/api, with the
// session cookie the server set (HttpOnly, so this code never sees it).

export type Money = { minor: number; currency: string; exponent: number };

export type Profile = {
  partner: string;
  you: string;
  category: string;
  tier: string;
  rate_bp: number | null;
  partner_manager: string | null;
  protection_days: number;
  holding_days: number;
  minimum_payout_major: number;
};

export type Registration = {
  id: number;
  company: string;
  domain: string;
  contact_name: string | null;
  contact_email: string | null;
  estimated_value: Money;
  expected_close_date: string;
  use_case: string | null;
  notes: string | null;
  status: string;
  needs_review: boolean;
  manager_note: string | null;
  protected_until: string | null;
  rate_bp: number | null;
  deal_outcome: string | null;
  submitted_at: string;
};

export type RegistrationForm = {
  company: string;
  domain: string;
  contact_name: string;
  contact_email: string;
  estimated_value: string;
  currency: string;
  expected_close_date: string;
  use_case: string;
  notes: string;
};

export type Earning = {
  deal_name: string;
  kind: string;
  amount: Money;
  accrued_on: string;
  payable_on: string;
  statement_period: string | null;
  standing: string;
};

export type EarningTotals = { earned: Money; in_holding: Money; payable: Money; on_statements: Money; paid: Money };

export type Statement = {
  id: number;
  period: string;
  status: string;
  total: Money;
  approved_at: string | null;
  paid_on: string | null;
  paid_reference: string | null;
  lines: {
    kind: string;
    deal_name: string | null;
    accrued_on: string | null;
    base: Money | null;
    rate_bp: number | null;
    amount: Money;
  }[];
};

/** A refusal from the server: its stable code, the field at fault and a message. */
export class PortalError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | null = null
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // The server refuses a change without this header: another site cannot send it.
  if (method !== 'GET') headers['x-keel-portal'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const reply = await fetch(`/portal/api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  if (reply.status === 204) return undefined as T;
  const data = await reply.json().catch(() => null);
  if (!reply.ok) {
    throw new PortalError(data?.code ?? 'storage', data?.message ?? `the server answered ${reply.status}`, data?.field ?? null);
  }
  return data as T;
}

export const api = {
  accept: (code: string, email: string, password: string) => call<Profile>('POST', '/accept', { code, email, password }),
  signIn: (email: string, password: string) => call<Profile>('POST', '/session', { email, password }),
  signOut: () => call<void>('DELETE', '/session'),
  profile: () => call<Profile>('GET', '/profile'),
  registrations: () => call<Registration[]>('GET', '/registrations'),
  registration: (id: number) => call<Registration>('GET', `/registrations/${id}`),
  register: (form: RegistrationForm) => call<Registration>('POST', '/registrations', form),
  answer: (id: number, answer: string, form: RegistrationForm) =>
    call<Registration>('POST', `/registrations/${id}/answer`, { answer, ...form }),
  earnings: () => call<{ entries: Earning[]; totals: EarningTotals[] }>('GET', '/earnings'),
  statements: () => call<Statement[]>('GET', '/statements'),
  statement: (id: number) => call<Statement>('GET', `/statements/${id}`),
  statementFile: (id: number, kind: 'pdf' | 'csv') => `/portal/api/statements/${id}/${kind}`
};

export function errorOf(e: unknown): PortalError {
  return e instanceof PortalError ? e : new PortalError('ui', e instanceof Error ? e.message : String(e));
}

/** A registration's status in words, with what the partner can do about it. */
export function statusText(r: Registration): string {
  switch (r.status) {
    case 'submitted':
      return r.needs_review ? 'Submitted · needs review' : 'Submitted';
    case 'returned':
      return 'Returned with a question';
    case 'approved':
      return r.protected_until ? `Approved · protected until ${r.protected_until}` : 'Approved';
    case 'converted':
      return r.deal_outcome === 'won' ? 'Won' : r.deal_outcome === 'lost' ? 'Lost' : 'Converted to a deal';
    default:
      return r.status.charAt(0).toUpperCase() + r.status.slice(1);
  }
}

export function emptyForm(): RegistrationForm {
  return {
    company: '',
    domain: '',
    contact_name: '',
    contact_email: '',
    estimated_value: '',
    currency: 'USD',
    expected_close_date: '',
    use_case: '',
    notes: ''
  };
}
