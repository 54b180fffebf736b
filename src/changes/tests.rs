use super::*;

fn every_change() -> Vec<Change> {
    Change::examples().into_iter().filter(Change::may_queue).collect()
}

#[test]
fn every_change_round_trips_through_json_as_it_was() {
    for change in Change::examples() {
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

#[cfg(feature = "schema")]
#[test]
fn the_examples_give_one_change_of_every_kind_the_schema_names() {
    let schema = serde_json::to_value(schemars::schema_for!(Change)).expect("schema");
    let mut named: Vec<String> = schema["oneOf"]
        .as_array()
        .expect("one schema per kind")
        .iter()
        .map(|kind| kind["properties"]["change"]["const"].as_str().expect("a kind's name").to_string())
        .collect();
    named.sort();
    let mut given: Vec<String> = Change::examples().iter().map(|c| c.kind()).collect();
    given.sort();
    assert_eq!(given.len(), 52);
    assert_eq!(given, named);
}
