import { describe, expect, it } from 'vitest';
import { statusText, type Registration } from './api';

const base: Registration = {
  id: 1, company: 'Orbit', domain: 'orbit.io', contact_name: null, contact_email: null,
  estimated_value: { minor: 100, currency: 'USD', exponent: 2 }, expected_close_date: '2027-01-01',
  use_case: null, notes: null, status: 'submitted', needs_review: false, manager_note: null,
  protected_until: null, rate_bp: null, deal_outcome: null, submitted_at: '2026-11-30T10:00:00Z'
};

describe('registration status', () => {
  it('says what happens next, never whom it conflicts with', () => {
    expect(statusText(base)).toBe('Submitted');
    expect(statusText({ ...base, needs_review: true })).toBe('Submitted · needs review');
    expect(statusText({ ...base, status: 'approved', protected_until: '2027-02-28' })).toBe('Approved · protected until 2027-02-28');
    expect(statusText({ ...base, status: 'converted', deal_outcome: 'won' })).toBe('Won');
    expect(statusText({ ...base, status: 'expired' })).toBe('Expired');
  });
});
