use super::*;
use crate::domain::{AccountId, ActivityId, ContactId, DealId, OnboardingPlanId, QbrId, TeamMemberId};

/// One change of every kind, each naming records and giving optional fields.
fn every_change() -> Vec<Change> {
    vec![
        Change::DealAdd {
            form: deals::DealForm {
                name: "Acme rollout".into(),
                account_id: AccountId(3),
                owner_id: Some(TeamMemberId(2)),
                amount: "120,000".into(),
                currency: "EUR".into(),
                expected_close_date: "2027-03-31".into(),
                source: "partner".into(),
                deal_type: "expansion".into(),
                stage: Some("Qualification".into()),
                probability: Some("35".into()),
                forecast: Some("commit".into()),
                expands_deal_id: Some(DealId(9)),
            },
        },
        Change::DealUpdate {
            deal: DealId(4),
            form: deals::DealUpdateForm {
                amount: Some("-5".into()),
                account_id: Some(AccountId(6)),
                ..Default::default()
            },
        },
        Change::DealMove {
            deal: DealId(4),
            form: moves::MoveInput {
                stage: "Closed Lost".into(),
                override_reason: None,
                loss_reason: Some("budget".into()),
            },
        },
        Change::DealBant {
            deal: DealId(4),
            form: BantForm {
                budget: Some("confirmed".into()),
                need_note: Some(String::new()),
                ..Default::default()
            },
        },
        Change::DealPoc {
            deal: DealId(4),
            form: PocForm {
                scope: Some("SDK".into()),
                start: Some("2027-01-04".into()),
                ..Default::default()
            },
        },
        Change::DealChecklist {
            deal: DealId(4),
            item: "legal-review".into(),
            status: "done".into(),
            date: Some("2027-01-05".into()),
        },
        Change::ActivityAdd {
            form: activities::ActivityForm {
                kind: "call".into(),
                subject: "Kick-off".into(),
                notes: Some("two lines\nof notes".into()),
                deal_id: Some(DealId(4)),
                account_id: Some(AccountId(3)),
                owner_id: None,
                due_date: Some("2027-01-06".into()),
            },
        },
        Change::ActivityDone { activity: ActivityId(8) },
        Change::ActivityUpdate {
            activity: ActivityId(8),
            form: ActivityUpdateForm {
                notes: Some("none".into()),
                due: Some("2027-02-01".into()),
                ..Default::default()
            },
        },
        Change::AccountAdd {
            form: AccountForm {
                name: "Initech".into(),
                segment: Some("enterprise".into()),
                ..Default::default()
            },
        },
        Change::AccountUpdate {
            account: AccountId(3),
            form: AccountUpdateForm { domain: Some(String::new()), ..Default::default() },
        },
        Change::ContactAdd {
            form: contacts::ContactInput {
                account_id: AccountId(3),
                name: "Pat Doe".into(),
                title: None,
                email: "pat@example.com".into(),
            },
        },
        Change::ContactUpdate {
            contact: ContactId(5),
            form: contacts::ContactChanges { account_id: Some(AccountId(7)), ..Default::default() },
        },
        Change::OnboardingStepDone { plan: OnboardingPlanId(2), step: "kick-off".into(), date: None },
        Change::QbrAdd { account: AccountId(3), date: "2027-04-01".into(), owner: None },
        Change::QbrHeld { qbr: QbrId(6), date: None, notes: Some("renewal likely".into()) },
    ]
}

#[test]
fn every_change_round_trips_through_json_as_it_was() {
    for change in every_change() {
        let text = serde_json::to_string(&change).expect("serializes");
        let back: Change = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, change, "{text}");
    }
}

#[test]
fn a_change_of_an_unknown_kind_or_with_an_unknown_field_is_not_a_change() {
    let unknown = serde_json::from_str::<Change>(r#"{"change": "deal_list", "deal": 4}"#);
    assert!(unknown.is_err(), "a read is not a change");
    let extra = serde_json::from_str::<Change>(
        r#"{"change": "activity_done", "activity": 8, "file": "/etc/passwd"}"#,
    );
    assert!(extra.is_err(), "an unknown field is refused, not ignored");
}

#[test]
fn the_walk_over_references_finds_every_record_a_change_names() {
    let named: Vec<Vec<(&str, i64)>> = every_change().iter().map(Change::references).collect();
    assert_eq!(named[0], vec![("accounts", 3), ("deals", 9)]);
    assert_eq!(named[1], vec![("deals", 4), ("accounts", 6)]);
    assert_eq!(named[6], vec![("deals", 4), ("accounts", 3)]);
    assert_eq!(named[12], vec![("contacts", 5), ("accounts", 7)]);
    assert_eq!(named[13], vec![("onboarding_plans", 2)]);
    assert_eq!(named[15], vec![("qbrs", 6)]);
    // Pointing a change at other ids changes those references and nothing else.
    let mut change = every_change().remove(0);
    for (_, id) in change.references_mut() {
        *id += 100;
    }
    assert_eq!(change.references(), vec![("accounts", 103), ("deals", 109)]);
    let Change::DealAdd { form } = change else { panic!("a deal") };
    assert_eq!(form.name, "Acme rollout");
}

#[test]
fn an_update_expects_exactly_the_fields_it_sets() {
    let sets = every_change()[1].fields_set();
    assert_eq!(
        sets,
        vec![
            ("deals".to_string(), "account_id".to_string()),
            ("deals".to_string(), "amount_minor".to_string())
        ]
    );
    let bant = every_change()[3].fields_set();
    assert_eq!(
        bant,
        vec![
            ("qualifications".to_string(), "budget_status".to_string()),
            ("qualifications".to_string(), "need_note".to_string())
        ]
    );
}

/// The table the CLI's own test reads each change back from its command line.
pub(crate) fn table() -> Vec<Change> {
    every_change()
}

#[test]
fn a_change_applied_before_its_answer_was_kept_still_names_its_record() {
    let created = vec![("activities".to_string(), 41), ("deals".to_string(), 40)];
    let named: Vec<(String, i64)> = every_change()
        .iter()
        .map(|c| c.applied_from(&created).map_or((String::new(), 0), |a| (a.table, a.id)))
        .collect();
    let expected = [
        ("deals", 40),
        ("deals", 4),
        ("deals", 4),
        ("deals", 4),
        ("deals", 4),
        ("deals", 4),
        ("activities", 41),
        ("activities", 8),
        ("activities", 8),
    ];
    for (i, (table, id)) in expected.iter().enumerate() {
        assert_eq!(named[i], (table.to_string(), *id), "change {i}");
    }
    assert_eq!(named[13], ("onboarding_plans".to_string(), 2));
    assert_eq!(named[9], (String::new(), 0), "no account was created");
}
