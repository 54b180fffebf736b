import { describe, expect, it, vi } from 'vitest';

// The generated bindings call into Tauri; these tests exercise only the wrapper logic.
vi.mock('./bindings', async (importOriginal) => ({ ...(await importOriginal<typeof import('./bindings')>()), commands: {} }));
vi.mock('@tauri-apps/api/core', () => ({ Channel: class {} }));

const { unwrap, KeelApiError } = await import('./index');

describe('unwrap', () => {
  it('returns the data of an ok result', () => {
    expect(unwrap({ status: 'ok', data: 42 })).toBe(42);
  });

  it('throws the core error with its code and message', () => {
    const failing = () =>
      unwrap({ status: 'error', error: { code: 'not_found', message: 'deal 7 not found' } });
    expect(failing).toThrow(KeelApiError);
    try {
      failing();
    } catch (e) {
      expect((e as InstanceType<typeof KeelApiError>).code).toBe('not_found');
      expect((e as Error).message).toBe('deal 7 not found');
    }
  });
});

describe('errorOf', () => {
  it('keeps the details of a refused move', async () => {
    const { errorOf } = await import('./index');
    const e = new KeelApiError({ code: 'criteria_unmet', message: 'cannot move', details: ['BANT budget'] });
    expect(errorOf(e)).toEqual({ code: 'criteria_unmet', message: 'cannot move', details: ['BANT budget'] });
    expect(errorOf(new Error('boom')).code).toBe('ui');
  });
});
