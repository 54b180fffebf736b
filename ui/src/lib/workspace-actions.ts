// Workspace commands shared by the sidebar menu and the command palette: each asks
// for a file with the system dialog, then calls the core.
import { open, save } from '@tauri-apps/plugin-dialog';
import { api } from '$lib/api';

const DB_FILTER = [{ name: 'Keel workspace', extensions: ['db', 'keel', 'sqlite'] }];

export async function openWorkspace(): Promise<boolean> {
  const path = await open({ multiple: false, directory: false, filters: DB_FILTER });
  if (typeof path !== 'string') return false;
  await api.openWorkspace(path);
  return true;
}

export async function newWorkspace(): Promise<boolean> {
  const path = await save({ defaultPath: 'keel.db', filters: DB_FILTER });
  if (!path) return false;
  await api.newWorkspace(path);
  return true;
}

export async function backupWorkspace(): Promise<string | null> {
  const stamp = new Date().toISOString().slice(0, 10);
  const path = await save({ defaultPath: `keel-backup-${stamp}.db`, filters: DB_FILTER });
  if (!path) return null;
  const written = await api.backupWorkspace(path);
  return `Backed up to ${written.path}`;
}

export async function exportRecords(kind: string): Promise<string | null> {
  const path = await save({ defaultPath: `keel-${kind}.csv`, filters: [{ name: 'CSV', extensions: ['csv'] }] });
  if (!path) return null;
  const written = await api.exportRecords(kind, 'csv', path);
  return `Exported ${written.amount} ${kind} to ${written.path}`;
}

export async function exportStatement(statementId: number, period: string, format: 'csv' | 'pdf'): Promise<string | null> {
  const filters = [format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'PDF', extensions: ['pdf'] }];
  const path = await save({ defaultPath: `keel-statement-${period}-${statementId}.${format}`, filters });
  if (!path) return null;
  const written = await api.exportStatement(statementId, format, path);
  return `Saved statement ${statementId} to ${written.path}`;
}
