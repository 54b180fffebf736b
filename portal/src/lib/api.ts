// The portal's only door to the server: its JSON API under /portal/api, with the
// session cookie the server set (HttpOnly, so this code never sees it).

// The wire's shapes are generated from the server's own (keel-api's `portal` module).
import type {
  AcceptRequest,
  AnswerRequest,
  ErrorBody,
  Earnings,
  ErrorCode,
  Profile,
  Registration,
  RegistrationForm as RegistrationWire,
  SignInRequest,
  Statement
} from './types';

export type { Earning, EarningTotals, ErrorCode, Money, Profile, Registration, Statement } from './types';

/** The registration form as its fields hold it: every field typed text, sent as typed. */
export type RegistrationForm = { [K in Exclude<keyof RegistrationWire, 'country'>]-?: string };

/** A refusal from the server: its stable code, the field at fault and a message. */
export class PortalError extends Error {
  constructor(
    /** The server's code, or `ui` for a failure in the page itself. */
    readonly code: ErrorCode | 'ui',
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
    const body = data as Partial<ErrorBody> | null;
    throw new PortalError(body?.code ?? 'storage', body?.message ?? `the server answered ${reply.status}`, body?.field ?? null);
  }
  return data as T;
}

export const api = {
  accept: (code: string, email: string, password: string) =>
    call<Profile>('POST', '/accept', { code, email, password } satisfies AcceptRequest),
  signIn: (email: string, password: string) => call<Profile>('POST', '/session', { email, password } satisfies SignInRequest),
  signOut: () => call<void>('DELETE', '/session'),
  profile: () => call<Profile>('GET', '/profile'),
  registrations: () => call<Registration[]>('GET', '/registrations'),
  registration: (id: number) => call<Registration>('GET', `/registrations/${id}`),
  register: (form: RegistrationForm) => call<Registration>('POST', '/registrations', form satisfies RegistrationWire),
  answer: (id: number, answer: string, form: RegistrationForm) =>
    call<Registration>('POST', `/registrations/${id}/answer`, { answer, ...form } satisfies AnswerRequest),
  earnings: () => call<Earnings>('GET', '/earnings'),
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
