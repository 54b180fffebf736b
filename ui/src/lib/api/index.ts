// The UI's only door to Rust: typed wrappers over the generated bindings.
// Nothing else in ui/ imports bindings.ts.
import { Channel } from '@tauri-apps/api/core';
import { commands, MAY_QUEUE as MAY_QUEUE_GENERATED } from './bindings';
import type * as B from './bindings';

/** Every code a command fails with (generated from Rust), and the UI's own for anything else. */
export type ErrorCode = B.ErrorCode | 'ui';

/** An error from the core, with its stable code and, for lists, the items behind it. */
export class KeelApiError extends Error {
  readonly code: B.ErrorCode;
  readonly details: string[];
  constructor(body: { code: B.ErrorCode; message: string; details?: string[] }) {
    super(body.message);
    this.name = 'KeelApiError';
    this.code = body.code;
    this.details = body.details ?? [];
  }
}

type CommandResult<T> =
  | { status: 'ok'; data: T }
  | { status: 'error'; error: { code: B.ErrorCode; message: string; details?: string[] } };

/** Returns the value of a command result, or throws its `{code, message}` as a KeelApiError. */
export function unwrap<T>(result: CommandResult<T>): T {
  if (result.status === 'ok') return result.data;
  throw new KeelApiError(result.error);
}

async function call<T>(pending: Promise<CommandResult<T>>): Promise<T> {
  return unwrap(await pending);
}

export type WorkspaceSummary = B.WorkspaceSummary_Serialize;
export type Member = B.MemberDto_Serialize;
export type Vocabulary = B.Vocabulary_Serialize;
export type Stage = B.StageDto_Serialize;
export type DealCard = B.DealCard_Serialize;
export type DealFilter = B.DealFilter_Deserialize;
export type Board = B.BoardDto;
export type BoardColumn = B.BoardColumn;
export type Money = B.MoneyDto;
export type DealPage = B.DealPage_Serialize;
export type Activity = B.ActivityDto_Serialize;
export type Home = B.Home_Serialize;
export type Account = B.AccountDto_Serialize;
export type AccountPage = B.AccountPage_Serialize;
export type Contact = B.ContactDto_Serialize;
export type ImportSummary = B.ImportSummary_Serialize;
export type ImportRequest = B.ImportRequest_Deserialize;
export type Batch = B.BatchDto_Serialize;
export type SearchHit = B.SearchHitDto;
export type Page<T> = B.Page<T>;
export type Progress = B.Progress;
export type ErrorBody = B.ErrorBody;
export type PartnerDesk = B.PartnerDesk_Serialize;
export type PartnerRow = B.PartnerRow_Serialize;
export type PartnerPage = B.PartnerPage_Serialize;
export type Registration = B.RegistrationDto_Serialize;
export type NewRegistration = B.NewRegistration_Deserialize;
export type Statement = B.StatementDto_Serialize;
export type StatementPage = B.StatementPage_Serialize;
export type DealRevenue = B.DealRevenueDto_Serialize;
export type DashboardQuery = B.DashboardQuery_Deserialize;
export type Dashboard = B.Dashboard_Serialize;
export type Figures = B.FiguresDto_Serialize;
export type DrillPage = B.DrillPage_Serialize;
export type CurrencySettings = B.CurrencySettings;
export type AuditEntry = B.AuditDto_Serialize;
export type TeamLink = B.TeamDto_Serialize;
/** A write, as the core's `Change` spells it, and the name of its kind (`deal_add`). */
export type Change = B.Change_Deserialize;
export type ChangeKind = Change['change'];
/** Whether each kind of change may wait offline (the core's `Change::may_queue`); typed so a
 *  kind the core adds and this list lacks fails the type check. */
export const MAY_QUEUE: Record<ChangeKind, boolean> = MAY_QUEUE_GENERATED;
export type UnsyncedChange = B.UnsyncedChange_Serialize;
export type PortalUser = B.PortalUserDto_Serialize;
export type Forecast = B.ForecastDto_Serialize;
export type ForecastRow = B.ForecastRowDto_Serialize;
export type ForecastDeal = B.ForecastDealDto_Serialize;
export type PipelineChanges = B.PipelineChangesDto;

export const api = {
  workspaceSummary: () => call(commands.workspaceSummary()),
  chooseMe: (memberId: number) => call(commands.chooseMe(memberId)),
  openWorkspace: (path: string) => call(commands.openWorkspace(path)),
  joinTeam: (serverUrl: string, code: string) => call(commands.joinTeam(serverUrl, code)),
  unsyncedChanges: () => call(commands.unsyncedChanges()),
  retryChange: (seq: number, args: string[] | null) => call(commands.retryChange(seq, args)),
  discardChange: (seq: number) => call(commands.discardChange(seq)),
  newWorkspace: (path: string) => call(commands.newWorkspace(path)),
  backupWorkspace: (path: string) => call(commands.backupWorkspace(path)),
  exportRecords: (kind: string, format: string, path: string) => call(commands.exportRecords(kind, format, path)),
  vocabulary: () => call(commands.vocabulary()),
  search: (text: string) => call(commands.search(text)),
  auditLog: (entity: string | null, entityId: number | null, limit: number | null) =>
    call(commands.auditLog(entity, entityId, limit)),
  board: (filter: DealFilter, cardsPerColumn: number, asOf: string | null = null) =>
    call(commands.board(filter, cardsPerColumn, asOf)),
  boardCards: (filter: DealFilter, stageId: number, offset: number, limit: number, asOf: string | null = null) =>
    call(commands.boardCards(filter, stageId, offset, limit, asOf)),
  dealTable: (filter: DealFilter, status: string, sort: string, descending: boolean, offset: number, limit: number) =>
    call(commands.dealTable(filter, status, sort, descending, offset, limit)),
  moveDeal: (dealId: number, stage: string, overrideReason: string | null, lossReason: string | null) =>
    call(commands.moveDeal(dealId, stage, overrideReason, lossReason)),
  missingForMove: (dealId: number, stage: string) => call(commands.missingForMove(dealId, stage)),
  dealPage: (dealId: number) => call(commands.dealPage(dealId)),
  createDeal: (input: B.NewDeal) => call(commands.createDeal(input)),
  attachAccount: (dealId: number, accountId: number) => call(commands.attachAccount(dealId, accountId)),
  setBant: (dealId: number, item: string, status: string | null, note: string | null) =>
    call(commands.setBant(dealId, item, status, note)),
  setPoc: (dealId: number, input: B.PocInput) => call(commands.setPoc(dealId, input)),
  setChecklistItem: (dealId: number, item: string, status: string) =>
    call(commands.setChecklistItem(dealId, item, status, null)),
  logActivity: (dealId: number, kind: string, subject: string, dueDate: string | null) =>
    call(commands.logActivity(dealId, kind, subject, dueDate)),
  completeActivity: (activityId: number) => call(commands.completeActivity(activityId)),
  home: () => call(commands.home()),
  accounts: (search: string | null, segment: string | null, offset: number, limit: number) =>
    call(commands.accounts(search, segment, offset, limit)),
  accountPage: (accountId: number) => call(commands.accountPage(accountId)),
  createAccount: (input: B.NewAccount_Deserialize) => call(commands.createAccount(input)),
  contacts: (offset: number, limit: number) => call(commands.contacts(offset, limit)),
  createContact: (input: B.NewContact_Deserialize) => call(commands.createContact(input)),
  previewImport: (request: ImportRequest) => call(commands.previewImport(request)),
  importFile: (request: ImportRequest, onProgress: (p: Progress) => void) => {
    const channel = new Channel<Progress>();
    channel.onmessage = onProgress;
    return call(commands.importFile(request, channel));
  },
  imports: () => call(commands.imports()),
  revertImport: (batchId: number) => call(commands.revertImport(batchId)),
  partnerDesk: () => call(commands.partnerDesk()),
  partners: () => call(commands.partners()),
  partnerPage: (partnerId: number) => call(commands.partnerPage(partnerId)),
  portalUsers: (partnerId: number) => call(commands.portalUsers(partnerId)),
  forecast: (period: string | null) => call(commands.forecast(period)),
  pipelineChanges: (from: string, to: string | null, period: string | null) =>
    call(commands.pipelineChanges(from, to, period)),
  setQuota: (ownerId: number, period: string, amount: string) => call(commands.setQuota(ownerId, period, amount)),
  callForecast: (period: string, amount: string, note: string) => call(commands.callForecast(period, amount, note)),
  adjustForecast: (ownerId: number, period: string, amount: string, reason: string) =>
    call(commands.adjustForecast(ownerId, period, amount, reason)),
  forecastDeals: (period: string, ownerId: number | null, category: string | null, offset: number, limit: number) =>
    call(commands.forecastDeals(period, ownerId, category, offset, limit)),
  setForecastCategory: (dealId: number, category: string) => call(commands.setForecastCategory(dealId, category)),
  invitePortalUser: (partnerId: number, email: string, name: string | null) =>
    call(commands.invitePortalUser(partnerId, email, name)),
  removePortalUser: (email: string) => call(commands.removePortalUser(email)),
  registrations: (status: string | null) => call(commands.registrations(status)),
  registration: (registrationId: number) => call(commands.registration(registrationId)),
  submitRegistration: (input: NewRegistration) => call(commands.submitRegistration(input)),
  reviewRegistration: (registrationId: number, decision: string, reason: string | null) =>
    call(commands.reviewRegistration(registrationId, decision, reason)),
  convertRegistration: (registrationId: number, ownerId: number | null) =>
    call(commands.convertRegistration(registrationId, ownerId)),
  dealRevenue: (dealId: number) => call(commands.dealRevenue(dealId)),
  recordRevenue: (dealId: number, kind: string, amount: string, occurredOn: string | null) =>
    call(commands.recordRevenue(dealId, kind, amount, occurredOn)),
  statements: (period: string | null) => call(commands.statements(period)),
  runPayouts: (period: string) => call(commands.runPayouts(period)),
  statement: (statementId: number) => call(commands.statement(statementId)),
  approveStatement: (statementId: number) => call(commands.approveStatement(statementId)),
  markStatementPaid: (statementId: number, reference: string, paidOn: string | null) =>
    call(commands.markStatementPaid(statementId, reference, paidOn)),
  exportStatement: (statementId: number, format: string, path: string) =>
    call(commands.exportStatement(statementId, format, path)),
  dashboard: (query: DashboardQuery) => call(commands.dashboard(query)),
  dashboardDeals: (query: DashboardQuery, figure: string, month: string | null, offset: number, limit: number) =>
    call(commands.dashboardDeals(query, figure, month, offset, limit)),
  currencySettings: () => call(commands.currencySettingsGet()),
  setReportingCurrency: (currency: string) => call(commands.setReportingCurrency(currency)),
  setFxRate: (currency: string, effectiveOn: string, rate: string) =>
    call(commands.setFxRate(currency, effectiveOn, rate))
};

/** `{code, message}` of anything thrown, for showing where the user acted. */
export function errorOf(e: unknown): { code: ErrorCode; message: string; details: string[] } {
  if (e instanceof KeelApiError) return { code: e.code, message: e.message, details: e.details };
  return { code: 'ui', message: e instanceof Error ? e.message : String(e), details: [] };
}
