//! Applying a member's change on the server: once per (machine, number), as the session's
//! member, through the core's one `apply`; with the invitation code for whoever it brings
//! in. Below the handlers (`changes` answers requests, `jobs` runs imports).

use crate::accounts::{self, Session, INVITE_DAYS};
use crate::shared::{HttpError, Shared};
use keel::changes::{Applied, Change, Invitation, Outcome};
use keel::remote::protocol::{ChangeReply, ChangeRequest};
use keel::services::{CommandStamp, Workspace};
use keel::store::outbox::Expected;
use keel::KeelError;

pub(crate) fn run_change(
    shared: &Shared,
    mut ws: Workspace,
    session: &Session,
    request: ChangeRequest,
    fingerprint: String,
) -> (Workspace, Result<ChangeReply, HttpError>) {
    let outcome = apply_once(shared, &mut ws, session, request, fingerprint, &mut |_, _| {});
    ws.stamp_next_write(None);
    (ws, outcome)
}

/// Applies a change once per (machine, number), as the session's member, telling
/// `progress` how far a long one has come; a retry gets the first answer. `fingerprint`
/// is the change as it was sent (see [`fingerprint_of`]), kept with its number.
pub(crate) fn apply_once(
    shared: &Shared,
    ws: &mut Workspace,
    session: &Session,
    request: ChangeRequest,
    fingerprint: String,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ChangeReply, HttpError> {
    let (client, seq) = (request.client_id.clone(), request.seq);
    if seq < 1 {
        return Err(KeelError::invalid("seq", "a change's number counts from 1").into());
    }
    if !request.expect.is_empty() && !request.change.may_queue() {
        return Err(
            KeelError::invalid("expect", "only a change made offline says what it was based on").into()
        );
    }
    if let Some(earlier) = ws.applied_command(&client, seq)? {
        // The same number with another change: this machine's copy went back in time (a
        // backup put back, a copied file). Its change is refused, never answered as done.
        let kept = earlier.as_ref().and_then(|v| v["fingerprint"].as_str());
        if kept.is_some_and(|kept| kept != fingerprint) {
            // Its copy is older than what it sent: whatever it sends next may reuse another
            // number, or rest on records it no longer holds. The machine is stopped here, as a
            // restore stops a backup's machines: it joins again into a new file.
            let mut conn = accounts::open(&shared.db)?;
            accounts::revoke(&mut conn, &client, session.member, shared.clock.now())?;
            return Err(number_reused(seq).into());
        }
        // A retry of a change already applied: its first answer, nothing runs again.
        let created = ws.applied_created(&client, seq)?;
        let applied = earlier
            .and_then(|v| serde_json::from_value(v["applied"].clone()).ok())
            .or_else(|| request.change.applied_from(&created));
        return Ok(ChangeReply {
            applied,
            position: ws.feed_position()?,
            repeated: true,
            created,
            job: None,
            feed: None,
        });
    }
    // A change made offline is refused before anything else is said about it when what it
    // was based on has changed (the write checks it again, in its transaction).
    if ws.check_expectations(&request.expect)? == Expected::AlreadyInEffect {
        // Someone else already made exactly this change: it is done, nothing runs.
        return Ok(ChangeReply {
            applied: None,
            position: ws.feed_position()?,
            repeated: false,
            created: Vec::new(),
            job: None,
            feed: None,
        });
    }
    let who = ws.authenticate(session.member)?;
    if let Change::MemberInvite { member } = &request.change {
        // The codes live with the server's accounts, not in the workspace: nothing is applied.
        return invite_again(shared, ws, who, *member);
    }
    ws.stamp_next_write(Some(CommandStamp {
        client_id: client.clone(),
        seq,
        member: session.member,
        expect: request.expect,
        fingerprint: Some(fingerprint.clone()),
    }));
    let invites = matches!(request.change, Change::MemberAdd { .. } | Change::PortalInvite { .. });
    let mut applied = keel::changes::apply_with_progress(ws, who, request.change, progress)?;
    if ws.applied_command(&client, seq)?.is_some() {
        if let Some(pause) = shared.pause_after_commit {
            eprintln!("keel-server: change {seq} of {client} committed; pausing");
            std::thread::sleep(pause);
        }
        // Kept without any invitation code: a one-time secret is shown once, never stored.
        ws.remember_command_result(
            &client,
            seq,
            &serde_json::json!({ "applied": applied, "fingerprint": fingerprint }),
        )?;
    }
    if invites {
        applied.invitation = invitation_for(shared, &applied)?;
    }
    let created = ws.applied_created(&client, seq)?;
    Ok(ChangeReply {
        applied: Some(applied),
        position: ws.feed_position()?,
        repeated: false,
        created,
        job: None,
        feed: None,
    })
}

/// A digest of a change as it was sent: what its number stands for on this server.
pub(crate) fn fingerprint_of(change: &Change) -> String {
    crate::secrets::sha256(&serde_json::to_string(change).unwrap_or_default())[..32].to_string()
}

/// The one-time code for whoever a change just brought in: a member added to the team, or
/// a partner's person invited to the portal (shown to who made the change).
fn invitation_for(shared: &Shared, applied: &Applied) -> Result<Option<Invitation>, HttpError> {
    let conn = accounts::open(&shared.db)?;
    let now = shared.clock.now();
    Ok(match &applied.outcome {
        Outcome::Member(member) => {
            let code = accounts::invite(&conn, member.id, now)?;
            Some(Invitation { to: member.name.clone(), code, valid_days: INVITE_DAYS as u32 })
        }
        Outcome::PortalUser(user) => {
            let code = crate::portal_accounts::invite(&conn, user.id, now)?;
            Some(Invitation { to: user.email.clone(), code, valid_days: INVITE_DAYS as u32 })
        }
        _ => None,
    })
}

/// A new invitation code for a member, for a sales leader (the core's rule for who
/// manages the team); the server keeps the codes, so this runs here, not in the core.
fn invite_again(
    shared: &Shared,
    ws: &Workspace,
    who: keel::services::policy::Principal,
    member: keel::domain::TeamMemberId,
) -> Result<ChangeReply, HttpError> {
    let conn = accounts::open(&shared.db)?;
    keel::services::policy::require(
        &conn,
        who,
        keel::services::policy::Capability::ManageTeam,
        "invite members",
    )?;
    let member = keel::services::team::get(ws, member)?;
    if !member.is_active() {
        return Err(KeelError::NotAllowed(format!("{} has left the team", member.name)).into());
    }
    let code = accounts::invite(&conn, member.id, shared.clock.now())?;
    let mut applied = Applied::of_record("team_members", member.id.0);
    applied.invitation = Some(Invitation { to: member.name, code, valid_days: INVITE_DAYS as u32 });
    Ok(ChangeReply {
        applied: Some(applied),
        position: ws.feed_position()?,
        repeated: false,
        created: Vec::new(),
        job: None,
        feed: None,
    })
}

/// The refusal of a change number this machine already sent with another change.
pub(crate) fn number_reused(seq: i64) -> KeelError {
    KeelError::NotAllowed(format!(
        "this machine already sent another change as number {seq}: its copy is older than what it sent \
         (a backup put back, or a copied file). Nothing was made, and this machine's access is revoked: \
         ask a sales leader for a new invitation code and join the team again into a new file"
    ))
}
