// The UI's only door to Rust: typed wrappers over the generated bindings.
// Nothing else in ui/ imports bindings.ts.
import { commands, type ErrorBody, type WorkspaceSummary } from './bindings';

/** An error from the core, with its stable code for the UI to branch on. */
export class KeelApiError extends Error {
  readonly code: string;
  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'KeelApiError';
    this.code = body.code;
  }
}

type CommandResult<T> = { status: 'ok'; data: T } | { status: 'error'; error: ErrorBody };

/** Returns the value of a command result, or throws its `{code, message}` as a KeelApiError. */
export function unwrap<T>(result: CommandResult<T>): T {
  if (result.status === 'ok') return result.data;
  throw new KeelApiError(result.error);
}

export async function workspaceSummary(): Promise<WorkspaceSummary> {
  return unwrap(await commands.workspaceSummary());
}

export type { ErrorBody, WorkspaceSummary };
