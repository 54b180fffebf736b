//! The deal page and what an account executive does on it: create, qualify (BANT),
//! the negotiation checklist, activities; and the home screen.

use super::board::{board_of, BoardDto};
use super::{given, me};
use crate::dto::{ActivityDto, DealCard, Int, MemberDto, MoneyDto};
use crate::{ApiError, AppState};
use keel::changes::{BantForm, Change, PocForm};
use keel::domain::{AccountId, ActivityId, BantItem, DealId};
use keel::services::activities::{self, ActivityForm, ActivityQuery};
use keel::services::deals::{self, DealQuery};
use keel::services::metrics::BoardQuery;
use keel::services::{moves, pipeline, registrations, team};
use keel::store::deals::DealStatus;
use serde::{Deserialize, Serialize};
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BantDto {
    pub item: String,
    pub status: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ChecklistDto {
    pub item: String,
    pub status: String,
    pub on_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PocDto {
    pub scope: Option<String>,
    pub success_criteria: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct VisitDto {
    pub stage: String,
    pub entered_at: String,
    pub left_at: Option<String>,
    pub days: Int,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct HistoryDto {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_at: String,
    pub changed_by: Option<String>,
    pub amount: Option<MoneyDto>,
    pub probability_bp: Int,
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RegistrationLink {
    pub id: Int,
    pub partner_name: String,
    pub status: String,
    pub submitted_at: String,
    pub protected_until: Option<String>,
    pub rate_bp: Option<Int>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DealPage {
    pub deal: DealCard,
    pub forecast_category: String,
    pub loss_reason: Option<String>,
    pub created_at: String,
    pub bant: Vec<BantDto>,
    pub proof_of_concept: Option<PocDto>,
    pub checklist: Vec<ChecklistDto>,
    pub stage_path: Vec<VisitDto>,
    pub history: Vec<HistoryDto>,
    pub next_activity: Option<ActivityDto>,
    pub activities: Vec<ActivityDto>,
    pub registration: Option<RegistrationLink>,
    /// The next open stage and what moving there still needs.
    pub next_stage: Option<String>,
    pub next_stage_missing: Vec<String>,
}

fn bant_dto(entries: &[keel::store::qualification::BantEntry]) -> Vec<BantDto> {
    entries
        .iter()
        .map(|b| BantDto {
            item: b.item.as_str().into(),
            status: b.status.as_str().into(),
            note: b.note.clone(),
        })
        .collect()
}

fn checklist_dto(entries: &[keel::store::qualification::ChecklistEntry]) -> Vec<ChecklistDto> {
    entries
        .iter()
        .map(|c| ChecklistDto {
            item: c.item.as_str().into(),
            status: c.status.as_str().into(),
            on_date: c.on_date.map(|d| d.to_string()),
        })
        .collect()
}

#[tauri::command(async)]
#[specta::specta]
pub fn deal_page(state: State<'_, AppState>, deal_id: Int) -> Result<DealPage, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let id = DealId(deal_id.0);
    let view = deals::view(&ws, actor, id)?;
    let stages = pipeline::stages(&ws)?;
    let next_stage = if view.deal.is_closed {
        None
    } else {
        let position = stages.iter().find(|s| s.id == view.deal.stage_id).map(|s| s.position);
        stages.iter().find(|s| !s.is_closed && Some(s.position) > position).map(|s| s.name.clone())
    };
    let next_stage_missing = match &next_stage {
        Some(stage) => moves::missing_for_move(&ws, actor, id, stage)?,
        None => Vec::new(),
    };
    let registration = registrations::for_deal(&ws, actor, id)?.map(|r| RegistrationLink {
        id: r.id.0.into(),
        partner_name: r.partner_name,
        status: r.status.as_str().into(),
        submitted_at: r.submitted_at.to_rfc3339(),
        protected_until: r.protected_until.map(|d| d.to_string()),
        rate_bp: r.rate.map(|bp| i64::from(bp.0).into()),
    });
    let now = ws.now();
    let deal = &view.deal;
    let mut card = [DealCard::of(deal, now)];
    crate::dto::mark_waiting(&ws, &mut card)?;
    let [card] = card;
    Ok(DealPage {
        deal: card,
        forecast_category: deal.forecast_category.as_str().into(),
        loss_reason: deal.loss_reason.clone(),
        created_at: deal.created_at.to_rfc3339(),
        bant: bant_dto(&view.bant),
        proof_of_concept: view.proof_of_concept.as_ref().map(poc_dto),
        checklist: checklist_dto(&view.checklist),
        stage_path: view
            .stage_path
            .iter()
            .map(|v| VisitDto {
                stage: v.stage.clone(),
                entered_at: v.entered_at.to_rfc3339(),
                left_at: v.left_at.map(|t| t.to_rfc3339()),
                days: v.days.into(),
            })
            .collect(),
        history: view
            .history
            .iter()
            .map(|h| HistoryDto {
                from_stage: h.from_stage.clone(),
                to_stage: h.to_stage.clone(),
                changed_at: h.changed_at.to_rfc3339(),
                changed_by: h.changed_by.clone(),
                amount: h.amount.map(MoneyDto::from),
                probability_bp: i64::from(h.probability.0).into(),
                override_reason: h.override_reason.clone(),
            })
            .collect(),
        next_activity: view.next_activity.as_ref().map(ActivityDto::from),
        activities: view.activities.iter().map(ActivityDto::from).collect(),
        registration,
        next_stage,
        next_stage_missing,
    })
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NewDeal {
    pub name: String,
    pub account_id: Int,
    /// A decimal amount as typed ("120,000.50"); parsed by the core.
    pub amount: String,
    pub currency: String,
    pub expected_close_date: String,
    pub source: String,
    pub deal_type: String,
}

#[tauri::command(async)]
#[specta::specta]
pub fn create_deal(state: State<'_, AppState>, input: NewDeal) -> Result<DealCard, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let applied = crate::team::submit(&mut ws, actor, Change::DealAdd { form: input.form() })?;
    let deal = deals::get(&ws, actor, DealId(applied.id))?;
    Ok(DealCard::of(&deal, ws.now()))
}

impl NewDeal {
    /// The form as the core reads it (the same reading as the CLI's flags).
    pub(crate) fn form(self) -> deals::DealForm {
        deals::DealForm {
            name: self.name,
            account_id: AccountId(self.account_id.0),
            owner_id: None,
            amount: self.amount,
            currency: self.currency,
            expected_close_date: self.expected_close_date,
            source: self.source,
            deal_type: self.deal_type,
            stage: None,
            probability: None,
            forecast: None,
            expands_deal_id: None,
        }
    }
}

/// Attaches an account to a deal that has none yet (an imported deal that named no
/// company), or moves it to another account.
#[tauri::command(async)]
#[specta::specta]
pub fn attach_account(
    state: State<'_, AppState>,
    deal_id: Int,
    account_id: Int,
) -> Result<DealCard, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let form = deals::DealUpdateForm { account_id: Some(AccountId(account_id.0)), ..Default::default() };
    crate::team::submit(&mut ws, actor, Change::DealUpdate { deal: DealId(deal_id.0), form })?;
    Ok(DealCard::of(&deals::get(&ws, actor, DealId(deal_id.0))?, ws.now()))
}

/// Sets one BANT item's status and, when given, its note.
#[tauri::command(async)]
#[specta::specta]
pub fn set_bant(
    state: State<'_, AppState>,
    deal_id: Int,
    item: String,
    status: Option<String>,
    note: Option<String>,
) -> Result<Vec<BantDto>, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let mut form = BantForm::default();
    let (status_field, note_field) = match BantItem::parse("item", &item)? {
        BantItem::Budget => (&mut form.budget, &mut form.budget_note),
        BantItem::Authority => (&mut form.authority, &mut form.authority_note),
        BantItem::Need => (&mut form.need, &mut form.need_note),
        BantItem::Timeline => (&mut form.timeline, &mut form.timeline_note),
    };
    *status_field = status;
    // A blank note clears it, alone or in a team.
    *note_field = note;
    crate::team::submit(&mut ws, actor, Change::DealBant { deal: DealId(deal_id.0), form })?;
    Ok(bant_dto(&deals::view(&ws, actor, DealId(deal_id.0))?.bant))
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct PocInput {
    pub scope: Option<String>,
    pub success_criteria: Option<String>,
    /// `YYYY-MM-DD`; blank leaves the date as it is.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// pending, passed or failed.
    pub outcome: Option<String>,
}

/// Records the proof of concept; the core checks the evaluation period's bounds.
#[tauri::command(async)]
#[specta::specta]
pub fn set_poc(state: State<'_, AppState>, deal_id: Int, input: PocInput) -> Result<PocDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    // A blank field is left as it is.
    let form = PocForm {
        scope: given(input.scope),
        criteria: given(input.success_criteria),
        start: given(input.start_date),
        end: given(input.end_date),
        outcome: given(input.outcome),
    };
    crate::team::submit(&mut ws, actor, Change::DealPoc { deal: DealId(deal_id.0), form })?;
    let view = deals::view(&ws, actor, DealId(deal_id.0))?;
    let poc =
        view.proof_of_concept.ok_or_else(|| keel::KeelError::not_found("proof of concept", deal_id.0))?;
    Ok(poc_dto(&poc))
}

fn poc_dto(p: &keel::store::qualification::ProofOfConcept) -> PocDto {
    PocDto {
        scope: p.scope.clone(),
        success_criteria: p.success_criteria.clone(),
        start_date: p.start_date.map(|d| d.to_string()),
        end_date: p.end_date.map(|d| d.to_string()),
        outcome: p.outcome.map(|o| o.as_str().into()),
    }
}

#[tauri::command(async)]
#[specta::specta]
pub fn set_checklist_item(
    state: State<'_, AppState>,
    deal_id: Int,
    item: String,
    status: String,
    on_date: Option<String>,
) -> Result<Vec<ChecklistDto>, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let change = Change::DealChecklist { deal: DealId(deal_id.0), item, status, date: given(on_date) };
    crate::team::submit(&mut ws, actor, change)?;
    Ok(checklist_dto(&deals::view(&ws, actor, DealId(deal_id.0))?.checklist))
}

/// The log-activity form as the core reads it (the same reading as the CLI's flags).
fn activity_form(deal_id: Int, kind: String, subject: String, due_date: Option<String>) -> ActivityForm {
    ActivityForm { kind, subject, deal_id: Some(DealId(deal_id.0)), due_date, ..ActivityForm::default() }
}

/// Logs an activity on a deal: with a due date it is planned work, without it happened now.
#[tauri::command(async)]
#[specta::specta]
pub fn log_activity(
    state: State<'_, AppState>,
    deal_id: Int,
    kind: String,
    subject: String,
    due_date: Option<String>,
) -> Result<ActivityDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    let form = activity_form(deal_id, kind, subject, due_date);
    let applied = crate::team::submit(&mut ws, actor, Change::ActivityAdd { form })?;
    Ok(ActivityDto::from(&activities::get(&ws, actor, ActivityId(applied.id))?))
}

#[tauri::command(async)]
#[specta::specta]
pub fn complete_activity(state: State<'_, AppState>, activity_id: Int) -> Result<ActivityDto, ApiError> {
    let mut ws = state.open()?;
    let actor = me(&ws)?;
    crate::team::submit(&mut ws, actor, Change::ActivityDone { activity: ActivityId(activity_id.0) })?;
    Ok(ActivityDto::from(&activities::get(&ws, actor, ActivityId(activity_id.0))?))
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Home {
    pub me: MemberDto,
    pub today: String,
    /// My open deals by stage (the board's figures, filtered to me).
    pub pipeline: BoardDto,
    /// My open tasks due today or earlier, oldest first.
    pub due: Vec<ActivityDto>,
    pub stalled: Vec<DealCard>,
    pub stalled_total: Int,
}

#[tauri::command(async)]
#[specta::specta]
pub fn home(state: State<'_, AppState>) -> Result<Home, ApiError> {
    let ws = state.open()?;
    let actor = me(&ws)?;
    let me_id = actor;
    let member = team::get(&ws, me_id.member())?;
    let pipeline = board_of(&ws, &BoardQuery { owner: Some(member.id), ..BoardQuery::default() }, None)?;
    let due = activities::list(
        &ws,
        actor,
        &ActivityQuery {
            owner_id: Some(me_id.member()),
            due_only: true,
            open_only: true,
            limit: Some(50),
            ..ActivityQuery::default()
        },
    )?;
    let stalled_query = DealQuery {
        owner_id: Some(me_id.member()),
        status: DealStatus::Open,
        stalled_only: true,
        limit: Some(25),
        ..DealQuery::default()
    };
    let now = ws.now();
    Ok(Home {
        me: MemberDto::from(&member),
        today: ws.today().to_string(),
        pipeline,
        due: due.iter().map(ActivityDto::from).collect(),
        stalled: deals::list(&ws, actor, &stalled_query)?.iter().map(|d| DealCard::of(d, now)).collect(),
        stalled_total: deals::count(&ws, actor, &stalled_query)?.into(),
    })
}

/// What moving a deal to `stage` would still need (the criteria a refusal lists).
/// Writes nothing.
#[tauri::command(async)]
#[specta::specta]
pub fn missing_for_move(
    state: State<'_, AppState>,
    deal_id: Int,
    stage: String,
) -> Result<Vec<String>, ApiError> {
    let ws = state.open()?;
    Ok(moves::missing_for_move(&ws, me(&ws)?, DealId(deal_id.0), &stage)?)
}

#[cfg(test)]
mod form_test {
    use super::{activity_form, NewDeal};
    use crate::dto::Int;

    /// The same mistakes the CLI is tested with (tests/it/cli.rs,
    /// `bad_activity_and_rate_inputs_get_the_same_code_and_field_as_in_the_desktop`),
    /// through the desktop's log-activity command: the same code and field for each.
    #[test]
    fn the_activity_form_names_the_same_field_as_the_command_line() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/bad-activity-inputs.json"))
                .expect("table");
        let read = |input: &serde_json::Map<String, serde_json::Value>| {
            let text = |field: &str| input[field].as_str().expect("text").to_string();
            activity_form(Int(1), text("kind"), text("subject"), Some(text("due_date"))).read()
        };
        let valid = table["valid"].as_object().expect("valid");
        for case in table["cases"].as_array().expect("cases") {
            let mut input = valid.clone();
            for (k, v) in case["change"].as_object().expect("change") {
                input.insert(k.clone(), v.clone());
            }
            let error = serde_json::to_value(crate::ApiError::from(read(&input).expect_err("refused")))
                .expect("json");
            assert_eq!((&error["code"], &error["field"]), (&case["code"], &case["field"]), "{case}: {error}");
        }
        assert!(read(valid).expect("the valid input reads").due_date.is_some());
    }

    /// The form filled from one entry of the shared table.
    fn form(input: &serde_json::Map<String, serde_json::Value>) -> NewDeal {
        let text = |field: &str| input[field].as_str().expect("text").to_string();
        NewDeal {
            name: text("name"),
            account_id: Int(1),
            amount: text("amount"),
            currency: text("currency"),
            expected_close_date: text("expected_close_date"),
            source: text("source"),
            deal_type: text("deal_type"),
        }
    }

    /// The same mistakes the CLI is tested with (tests/it/cli.rs,
    /// `a_bad_deal_input_gets_the_same_code_and_field_as_in_the_desktop`), through the
    /// desktop's form: the same code and field for each.
    #[test]
    fn the_new_deal_form_names_the_same_field_as_the_command_line() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/bad-deal-inputs.json"))
                .expect("table");
        let valid = table["valid"].as_object().expect("valid");
        for case in table["cases"].as_array().expect("cases") {
            let mut input = valid.clone();
            for (k, v) in case["change"].as_object().expect("change") {
                input.insert(k.clone(), v.clone());
            }
            let error =
                serde_json::to_value(crate::ApiError::from(form(&input).form().read().expect_err("refused")))
                    .expect("json");
            assert_eq!((&error["code"], &error["field"]), (&case["code"], &case["field"]), "{case}: {error}");
        }
        assert_eq!(form(valid).form().read().expect("the valid input reads").amount_minor, 12_000_050);
    }
}
