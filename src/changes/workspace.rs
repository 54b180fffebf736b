//! The workspace's own changes: the team, the pipeline's stages and settings, merging
//! accounts and undoing an import. Online only.

use super::{Applied, Change, ImportFile, ImportForm, Outcome};
use crate::domain::{AeSegment, ImportKind, Role};
use crate::money::BasisPoints;
use crate::services::policy::Principal;
use crate::services::{duplicates, import, pipeline, team, Workspace};
use crate::{KeelError, Result};

pub(super) fn apply(ws: &mut Workspace, who: Principal, change: Change) -> Result<Applied> {
    let segment = |text: Option<&str>| text.map(|s| AeSegment::parse("segment", s)).transpose();
    Ok(match change {
        Change::AccountMerge { keep, other } => {
            let report = duplicates::merge(ws, who, keep, other)?;
            Applied::with("accounts", keep.0, Outcome::Merged(report))
        }
        Change::MemberAdd { name, role, segment: ae_segment } => {
            let input = team::NewTeamMember {
                name,
                role: Role::parse("role", &role)?,
                ae_segment: segment(ae_segment.as_deref())?,
            };
            let member = team::add(ws, Some(who), input)?;
            Applied::with("team_members", member.id.0, Outcome::Member(member))
        }
        Change::MemberRole { member, role, segment: ae_segment } => {
            let role = Role::parse("role", &role)?;
            let member = team::set_role(ws, who, member, role, segment(ae_segment.as_deref())?)?;
            Applied::with("team_members", member.id.0, Outcome::Member(member))
        }
        Change::MemberDeactivate { member } => {
            let member = team::deactivate(ws, who, member)?;
            Applied::with("team_members", member.id.0, Outcome::Member(member))
        }
        Change::MemberInvite { member } => {
            team::get(ws, member)?;
            return Err(KeelError::NotAllowed(
                "invitation codes are for team workspaces: `keel-server invite` on the server's machine"
                    .into(),
            ));
        }
        Change::StageUpdate { stage, probability, stall_days } => {
            let changes = pipeline::StageChanges {
                default_probability_bp: probability
                    .as_deref()
                    .map(|p| BasisPoints::parse_percent("probability", p).map(|bp| i64::from(bp.0)))
                    .transpose()?,
                stall_after_days: match stall_days.as_deref().map(str::trim) {
                    None => None,
                    Some(t) if t.eq_ignore_ascii_case("none") => Some(None),
                    Some(t) => Some(Some(t.parse().map_err(|_| {
                        KeelError::invalid("stall_days", format!("'{t}' is not a number of days"))
                    })?)),
                },
            };
            let stage = pipeline::update_stage(ws, who, &stage, changes)?;
            Applied::with("stages", stage.id.0, Outcome::Stage(stage))
        }
        Change::PocBounds { min_days, max_days } => {
            let settings = ws.set_poc_bounds(who, min_days, max_days)?;
            Applied::with("settings", 0, Outcome::Settings(settings))
        }
        Change::ImportRevert { batch } => {
            let report = import::revert(ws, who, batch)?;
            Applied::with("import_batches", batch.0, Outcome::Reverted(report))
        }
        other => return Err(super::not_here(&other)),
    })
}

/// An import of a file on this machine (a team server has put its upload's path here).
/// The kind of an import of a whole Salesforce Data Export (its folder, or the zip it
/// downloads as), beside the kinds of one file.
pub const SALESFORCE_EXPORT: &str = "salesforce";

fn import_salesforce_export(
    ws: &mut Workspace,
    who: Principal,
    path: &str,
    form: ImportForm,
) -> Result<Applied> {
    let files = import::salesforce::export_files(std::path::Path::new(path))?;
    let options = import::ImportOptions {
        dry_run: form.dry_run,
        date_order: import::DateOrder::parse_choice("date-order", &form.date_order)?,
        ..import::ImportOptions::default()
    };
    let report = import::salesforce::run(ws, who, &files, &options, &mut |_| {})?;
    let batch = report.deals.batch.map_or(0, |b| b.0);
    Ok(Applied::with("import_batches", batch, Outcome::SalesforceImported(Box::new(report))))
}

pub(super) fn import(
    ws: &mut Workspace,
    who: Principal,
    file: ImportFile,
    form: ImportForm,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Applied> {
    let ImportFile::Path(path) = file else {
        return Err(KeelError::NotAllowed("an uploaded file is read by the team server that kept it".into()));
    };
    if form.kind.trim().eq_ignore_ascii_case(SALESFORCE_EXPORT) {
        return import_salesforce_export(ws, who, &path, form);
    }
    let bytes = std::fs::read(&path)
        .map_err(|source| KeelError::Io { context: format!("reading {path}"), source })?;
    let kind = ImportKind::parse("kind", &form.kind)?;
    let options = import::ImportOptions {
        dry_run: form.dry_run,
        strict: form.strict,
        maps: form.maps,
        date_order: import::DateOrder::parse_choice("date-order", &form.date_order)?,
        default_currency: form.currency,
    };
    let report = import::run(ws, who, kind, &form.file_name, &bytes, &options, &mut |p| {
        progress(p.done as u64, p.total as u64)
    })?;
    Ok(Applied::with("import_batches", report.batch.map_or(0, |b| b.0), Outcome::Imported(report)))
}
