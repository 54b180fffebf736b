//! The OpenAPI 3.1 document of the HTTP API for integrations (`/api/v1`), generated from
//! the types that cross it (JSON Schema by schemars, with serde's own renames and tags),
//! served by the team server and committed as `docs/openapi.json`.

use crate::dto::{AccountDto, DealCard, Page, RegistrationDto};
use crate::integration::{
    AccountsQuery, ChangeAnswer, DealsQuery, Metrics, MetricsQuery, RegistrationsQuery,
};
use crate::ApiError;
use keel::changes::Change;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

fn generator(requests: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into());
    // What a client sends is read (unknown fields refused); what it gets is written.
    if requests { settings.for_deserialize() } else { settings.for_serialize() }.into_generator()
}

/// A query's fields as the operation's query parameters.
fn parameters_of<T: JsonSchema>(requests: &mut SchemaGenerator) -> Vec<Value> {
    let schema = requests.root_schema_for::<T>().to_value();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property.as_object_mut().and_then(|p| p.remove("description"));
            let mut parameter = json!({
                "name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": property,
            });
            if let Some(description) = description {
                parameter["description"] = description;
            }
            parameter
        })
        .collect()
}

fn answer(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// The refusals every operation may answer, each as `{code, field, message, details}`.
fn refusals(error: &Value, also: &[(&str, &str)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (status, why) in [
        (
            "401",
            "No token, or one that is unknown, revoked, or whose member left the team or stopped leading.",
        ),
        ("403", "The token lacks the scope, or its member may not do this."),
        ("429", "Too many failed attempts from this address: see Retry-After."),
    ]
    .iter()
    .chain(also)
    {
        out.insert(status.to_string(), answer(why, error.clone()));
    }
    out
}

/// The document, as served at `GET /api/v1/openapi.json`.
pub fn document() -> Value {
    let mut requests = generator(true);
    let mut responses = generator(false);
    let change = requests.subschema_for::<Change>().to_value();
    let error = responses.subschema_for::<ApiError>().to_value();
    let deals = responses.subschema_for::<Page<DealCard>>().to_value();
    let deal = responses.subschema_for::<DealCard>().to_value();
    let accounts = responses.subschema_for::<Page<AccountDto>>().to_value();
    let registrations = responses.subschema_for::<Vec<RegistrationDto>>().to_value();
    let metrics = responses.subschema_for::<Metrics>().to_value();
    let change_answer = responses.subschema_for::<ChangeAnswer>().to_value();
    let read =
        |summary: &str, description: &str, parameters: Vec<Value>, ok: Value, also: &[(&str, &str)]| {
            let mut responses = refusals(&error, also);
            responses.insert("200".into(), answer("The answer.", ok));
            json!({ "get": {
                "summary": summary, "description": description, "parameters": parameters,
                "security": [{ "token": ["read"] }], "responses": responses,
            }})
        };
    let bad_query = [("422", "A query value cannot be read: the error names the field.")];
    let bad_filter = [
        ("404", "A record the filter names (an owner) does not exist."),
        ("422", "A query value cannot be read: the error names the field."),
    ];
    let examples: Map<String, Value> = Change::examples()
        .iter()
        .filter(|c| crate::integration::not_offered(c).is_none())
        .map(|c| (c.kind(), json!({ "summary": c.summary(), "value": c })))
        .collect();
    let mut change_responses = refusals(
        &error,
        &[
            ("404", "A record the change names does not exist."),
            ("409", "The change is not allowed as things stand (a missing criterion, a duplicate, a reused Idempotency-Key with another change): `details` lists why."),
            ("413", "The body is larger than a change can be."),
            ("422", "The body is not a change Keel makes, or not one offered here (imports, the team's members, portal access), or a field cannot be read: the error names it."),
        ],
    );
    change_responses.insert(
        "200".into(),
        answer("Applied (or, for a repeated Idempotency-Key, applied before).", change_answer),
    );
    let mut schemas = responses.take_definitions(true);
    for (name, schema) in requests.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Keel team server API",
            "version": "1",
            "description": "Reads and changes for integrations (billing, chat, data warehouses). Authenticate with a token a sales leader creates (`keel token create --name billing --scopes read,write`), sent as `Authorization: Bearer keel_…`. A token acts as the leader who created it, within its scopes: `read` for the GET operations, `write` for changes. Every change is one of the core's typed changes, applied by the same function as the app's and the CLI's, and checked by the same rules. Money is integer minor units with an ISO 4217 code; rates are basis points.",
        },
        "servers": [{ "url": "/" }],
        "components": {
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer", "description": "An integration token (`keel_` and 64 hex digits)." },
            },
            "schemas": schemas,
        },
        "paths": {
            "/api/v1/deals": read("Deals", "Deals by status, filters and order, a page at a time, with the total.", parameters_of::<DealsQuery>(&mut requests), deals, &bad_filter),
            "/api/v1/deals/{id}": read("One deal", "A deal as the app's table shows it.", vec![json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int64" } })], deal, &[("404", "No such deal.")]),
            "/api/v1/accounts": read("Accounts", "Accounts, a page at a time, with the total.", parameters_of::<AccountsQuery>(&mut requests), accounts, &bad_query),
            "/api/v1/registrations": read("Deal registrations", "Partners' deal registrations, oldest first, with where each stands now (for who runs the partner program and sales leaders).", parameters_of::<RegistrationsQuery>(&mut requests), registrations, &bad_query),
            "/api/v1/metrics": read("The report", "Win rate, pipeline, cycle length, deal size and partner-sourced revenue, overall and by owner, source, segment and month, in the reporting currency.", parameters_of::<MetricsQuery>(&mut requests), metrics, &bad_filter),
            "/api/v1/changes": { "post": {
                "summary": "Make a change",
                "description": "One typed change (`change` names its kind). Online-only and field-work changes alike are applied at once, in one transaction, as the token's member. Send an `Idempotency-Key` to make a retry safe: the same key with the same change is answered again without running; with another change it is refused. Imports, the team's members and roles, and partner portal access are not offered here: they are a member's to give.",
                "security": [{ "token": ["write"] }],
                "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$" }, "description": "Printable ASCII: a retry with it is answered, not run again." }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": change, "examples": examples } } },
                "responses": change_responses,
            }},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::document;
    use std::path::Path;

    /// Writes docs/openapi.json. Under CI the committed file must already be current: a
    /// stale document fails here instead of drifting from the types.
    #[test]
    fn the_committed_document_is_current() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
        let fresh = serde_json::to_string_pretty(&document()).expect("document") + "\n";
        let text = std::fs::read_to_string(&committed).unwrap_or_default();
        if text != fresh {
            assert!(
                std::env::var("CI").is_err(),
                "docs/openapi.json is stale: run `cargo test -p keel-api` and commit it"
            );
            std::fs::write(&committed, fresh).expect("write docs/openapi.json");
        }
    }

    #[test]
    fn every_kind_of_change_is_in_the_document_with_an_example() {
        let doc = document();
        let change = &doc["components"]["schemas"]["Change"];
        let kinds: Vec<&str> = change["oneOf"]
            .as_array()
            .expect("one schema per kind")
            .iter()
            .filter_map(|k| k["properties"]["change"]["const"].as_str())
            .collect();
        assert_eq!(kinds.len(), 52, "{change}");
        let examples = doc["paths"]["/api/v1/changes"]["post"]["requestBody"]["content"]["application/json"]
            ["examples"]
            .as_object()
            .expect("examples");
        let offered: Vec<String> = keel::changes::Change::examples()
            .iter()
            .filter(|c| crate::integration::not_offered(c).is_none())
            .map(|c| c.kind())
            .collect();
        assert_eq!(offered.len(), 45, "all but imports, the team's 4 and the portal's 2");
        for kind in kinds {
            if offered.iter().any(|o| o == kind) {
                assert_eq!(examples[kind]["value"]["change"], kind, "an example of {kind}");
            } else {
                assert!(examples.get(kind).is_none(), "{kind} is not offered, so not shown as an example");
            }
        }
        // Every reference points at a schema the document holds.
        let text = doc.to_string();
        for (at, _) in text.match_indices("\"$ref\":\"#/components/schemas/") {
            let name: String = text[at + 29..].chars().take_while(|c| *c != '"').collect();
            assert!(
                doc["components"]["schemas"].get(&name).is_some(),
                "{name} is referred to but not defined"
            );
        }
    }
}
