//! The OpenAPI document against the world's definition of one: the OpenAPI Initiative's
//! JSON Schema for 3.1 documents (`fixtures/oas-3.1-schema.json`, schema 2022-10-07 from
//! https://spec.openapis.org/oas/3.1/schema/2022-10-07, as the openapi-spec-validator
//! package ships it), and every example change against the document's own `Change`.

use serde_json::{json, Value};

fn validator_for(document: &Value, schema: &str) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{schema}"),
        "components": document["components"],
    });
    jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{schema} is not a schema: {e}"))
}

#[test]
fn the_document_is_an_openapi_3_1_document() {
    let oas: Value = serde_json::from_str(include_str!("fixtures/oas-3.1-schema.json"))
        .expect("the OpenAPI Initiative's schema");
    let validator = jsonschema::draft202012::new(&oas).expect("a schema");
    let document = keel_api::openapi::document();
    let problems: Vec<String> =
        validator.iter_errors(&document).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // The check can fail: a document without its version is refused.
    let mut broken = document.clone();
    broken.as_object_mut().expect("object").remove("openapi");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_example_change_is_what_the_document_says_a_change_is() {
    let document = keel_api::openapi::document();
    let change = validator_for(&document, "Change");
    let examples = document["paths"]["/api/v1/changes"]["post"]["requestBody"]["content"]["application/json"]
        ["examples"]
        .as_object()
        .expect("examples");
    assert_eq!(examples.len(), 45);
    for (kind, example) in examples {
        let problems: Vec<String> = change.iter_errors(&example["value"]).map(|e| e.to_string()).collect();
        assert!(problems.is_empty(), "{kind}: {problems:?}");
    }
    // And what the core refuses, the document refuses too.
    for refused in [
        json!({ "change": "deal_list" }),
        json!({ "change": "deal_move", "deal": 4, "form": { "stage": "Won" }, "extra": 1 }),
        json!({ "change": "deal_move", "deal": "4", "form": { "stage": "Won" } }),
        json!({ "change": "account_add" }),
    ] {
        assert!(!change.is_valid(&refused), "{refused}");
        assert!(serde_json::from_value::<keel::changes::Change>(refused.clone()).is_err(), "{refused}");
    }
}
