//! The HTTP API for integrations (`/api/v1`): a sales leader's token reads and changes as
//! that leader, through the core's rules; a stranger, a member's session, a read-only,
//! revoked or demoted token, and an account executive creating tokens are refused.

use crate::harness::{an_open_deal_of, http, json, keel, refusal, session_of, Team};
use serde_json::{json as value, Value};
use std::path::Path;

fn token(leader: &Path, name: &str, scopes: &str) -> (i64, String) {
    let created = json(leader, &["token", "create", "--name", name, "--scopes", scopes]);
    (created["id"].as_i64().expect("id"), created["token"].as_str().expect("token").to_string())
}

/// A request with `token` (when given), its status, `Retry-After` and its JSON body.
fn call(
    team: &Team,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    key: Option<&str>,
) -> (u16, Value) {
    let url = format!("{}{path}", team.url);
    let agent = http();
    let reply = match method {
        "GET" => {
            let mut request = agent.get(&url);
            if let Some(token) = token {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            request.call()
        }
        _ => {
            let mut request = agent.post(&url);
            if let Some(token) = token {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            request.send_json(body.cloned().unwrap_or(Value::Null))
        }
    };
    let mut reply = reply.expect("an answer");
    let status = reply.status().as_u16();
    let text = reply.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path} → {status}: {e}: {text}")),
    )
}

/// Asserts `value` is what the served OpenAPI document says `schema` is.
fn conforms(document: &Value, schema: &str, value: &Value) {
    let root = value!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{schema}"),
        "components": document["components"],
    });
    let validator = jsonschema::draft202012::new(&root).expect("a schema");
    let problems: Vec<String> =
        validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(problems.is_empty(), "{schema}: {problems:?}");
}

fn feed_position(team: &Team) -> i64 {
    rusqlite::Connection::open(&team.db)
        .expect("server file")
        .query_row("SELECT coalesce(max(seq), 0) FROM change_feed", [], |r| r.get(0))
        .expect("feed")
}

#[test]
fn a_leaders_token_reads_and_changes_through_the_api_as_that_leader() {
    let team = Team::demo(40);
    let leader_name = team.member_named(0);
    let leader = team.join("leader", &team.code(&leader_name));
    let created = json(&leader, &["token", "create", "--name", "billing", "--scopes", "read,write"]);
    let secret = created["token"].as_str().expect("token").to_string();
    assert_eq!(created["member_name"], leader_name.as_str(), "it acts as who made it: {created}");
    assert!(secret.starts_with("keel_") && secret.len() == 69, "{secret}");

    // Reads: the same deals, accounts and figures the leader's own copy shows.
    let (status, page) = call(
        &team,
        "GET",
        "/api/v1/deals?status=all&limit=5&sort=amount&descending=true",
        Some(&secret),
        None,
        None,
    );
    assert_eq!(status, 200, "{page}");
    let rows = page["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 5);
    let all = json(&leader, &["deal", "list", "--status", "all", "--limit", "1000"]);
    assert_eq!(page["total"].as_u64(), all.as_array().map(|a| a.len() as u64), "{page}");
    let amounts: Vec<i64> = rows.iter().map(|r| r["amount"]["minor"].as_i64().unwrap_or(0)).collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "largest first: {amounts:?}");
    let first = rows[0]["id"].as_i64().expect("id");
    let (status, one_deal) = call(&team, "GET", &format!("/api/v1/deals/{first}"), Some(&secret), None, None);
    assert_eq!((status, &one_deal["id"]), (200, &rows[0]["id"]), "{one_deal}");
    let (status, accounts) = call(&team, "GET", "/api/v1/accounts?limit=3", Some(&secret), None, None);
    assert_eq!((status, accounts["rows"].as_array().map(Vec::len)), (200, Some(3)), "{accounts}");
    let (status, registrations) = call(&team, "GET", "/api/v1/registrations", Some(&secret), None, None);
    assert!(status == 200 && registrations.is_array(), "{registrations}");
    let (status, report) = call(&team, "GET", "/api/v1/metrics", Some(&secret), None, None);
    assert_eq!(status, 200, "{report}");
    let mine = json(&leader, &["metrics"]);
    for figure in [
        "won_count",
        "lost_count",
        "win_rate",
        "won_value_minor",
        "pipeline_value_minor",
        "partner_sourced_revenue_minor",
    ] {
        assert_eq!(report["figures"][figure], mine[figure], "{figure}: the API's report is the copy's");
    }

    // A change: applied once as the leader, however often it is retried with its key.
    let deal = an_open_deal_of(&leader, "Through the API");
    let update = value!({ "change": "deal_update", "deal": deal.parse::<i64>().expect("id"), "form": { "amount": "45,000" } });
    let (status, applied) =
        call(&team, "POST", "/api/v1/changes", Some(&secret), Some(&update), Some("billing-1"));
    assert_eq!(status, 200, "{applied}");
    assert_eq!(
        (applied["applied"]["table"].as_str(), applied["repeated"].as_bool()),
        (Some("deals"), Some(false))
    );
    let at = feed_position(&team);
    let (status, again) =
        call(&team, "POST", "/api/v1/changes", Some(&secret), Some(&update), Some("billing-1"));
    assert_eq!((status, again["repeated"].as_bool()), (200, Some(true)), "{again}");
    assert_eq!(feed_position(&team), at, "a retry runs nothing");
    let other = value!({ "change": "deal_update", "deal": deal.parse::<i64>().expect("id"), "form": { "amount": "1" } });
    let (status, reused) =
        call(&team, "POST", "/api/v1/changes", Some(&secret), Some(&other), Some("billing-1"));
    assert_eq!((status, reused["code"].as_str()), (409, Some("not_allowed")), "{reused}");
    assert!(reused["message"].as_str().unwrap_or("").contains("Idempotency-Key"), "{reused}");
    json(&leader, &["sync"]);
    let shown = json(&leader, &["deal", "show", &deal]);
    assert_eq!(shown["deal"]["amount"]["amount_minor"], 4_500_000, "{shown}");
    let changes = json(&leader, &["deal", "changes", &deal]);
    let amounts: Vec<&Value> =
        changes.as_array().expect("changes").iter().filter(|c| c["field"] == "amount").collect();
    assert_eq!(amounts.len(), 1, "made once: {changes}");
    assert_eq!(amounts[0]["changed_by"], created["member_id"], "made as the token's leader: {changes}");

    // Bad input names its field and writes nothing.
    let at = feed_position(&team);
    let bad = value!({ "change": "deal_update", "deal": deal.parse::<i64>().expect("id"), "form": { "amount": "lots" } });
    let (status, refused) = call(&team, "POST", "/api/v1/changes", Some(&secret), Some(&bad), None);
    assert_eq!(
        (status, refused["code"].as_str(), refused["field"].as_str()),
        (422, Some("invalid_input"), Some("amount")),
        "{refused}"
    );
    for body in [
        value!({ "change": "deal_list" }),
        value!({ "change": "deal_update", "deal": 1, "form": { "amount": "5" }, "extra": true }),
        value!({ "change": "import", "file": { "path": "/etc/passwd" }, "form": {} }),
        value!("deal move 1 Won"),
    ] {
        let (status, refused) = call(&team, "POST", "/api/v1/changes", Some(&secret), Some(&body), None);
        assert_eq!((status, refused["field"].as_str()), (422, Some("change")), "{body} → {refused}");
    }
    let (status, refused) = call(&team, "GET", "/api/v1/deals?limit=0", Some(&secret), None, None);
    assert_eq!((status, refused["field"].as_str()), (422, Some("limit")), "{refused}");
    let (status, refused) = call(&team, "GET", "/api/v1/deals?status=maybe", Some(&secret), None, None);
    assert_eq!((status, refused["field"].as_str()), (422, Some("status")), "{refused}");
    let (status, refused) = call(&team, "GET", "/api/v1/deals?owner_id=x", Some(&secret), None, None);
    assert_eq!((status, refused["code"].as_str()), (422, Some("invalid_input")), "{refused}");
    assert_eq!(feed_position(&team), at, "nothing was written");

    // The document it is described by, served as committed, and every answer above as it says.
    let (status, served) = call(&team, "GET", "/api/v1/openapi.json", None, None, None);
    conforms(&served, "PageOfDealCard", &page);
    conforms(&served, "DealCard", &one_deal);
    conforms(&served, "PageOfAccountDto", &accounts);
    for registration in registrations.as_array().expect("list") {
        conforms(&served, "RegistrationDto", registration);
    }
    conforms(&served, "Metrics", &report);
    conforms(&served, "ChangeAnswer", &applied);
    conforms(&served, "ChangeAnswer", &again);
    conforms(&served, "ErrorBody", &reused);
    conforms(&served, "ErrorBody", &refused);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json"))
            .expect("docs/openapi.json"),
    )
    .expect("json");
    assert_eq!(status, 200);
    assert!(served == committed, "the served document is docs/openapi.json (run `cargo test -p keel-api`)");
}

#[test]
fn strangers_sessions_and_lesser_tokens_are_refused_and_change_nothing() {
    let team = Team::demo(20);
    let leader = team.join("leader", &team.code(&team.member_named(0)));
    let ae = team.join("ae", &team.code(&team.member_named(1)));
    let at = feed_position(&team);
    let change = value!({ "change": "account_add", "form": { "name": "Initech" } });

    // An account executive may neither create nor list tokens.
    assert_eq!(refusal(&ae, &["token", "create", "--name", "mine"])["code"], "forbidden");
    assert_eq!(refusal(&ae, &["token", "list"])["code"], "forbidden");
    // Alone, there is no server to keep tokens.
    let solo = team.dir.path().join("solo.db");
    assert!(keel(&solo, &["init", "--name", "Ada"]).status.success());
    let refused = refusal(&solo, &["token", "create", "--name", "x"]);
    assert!(refused["message"].as_str().unwrap_or("").contains("team server"), "{refused}");
    // Scopes and names are read, naming the field.
    assert_eq!(refusal(&leader, &["token", "create", "--name", "x", "--scopes", "admin"])["field"], "scopes");
    assert_eq!(refusal(&leader, &["token", "create", "--name", "  "])["field"], "name");

    // No token, a made-up one, and a member's own session: none is an integration token.
    let (session, _) = session_of(&team, &ae);
    for token in [None, Some("keel_0000"), Some(session.as_str())] {
        let (status, refused) = call(&team, "POST", "/api/v1/changes", token, Some(&change), None);
        assert_eq!(
            (status, refused["code"].as_str()),
            (401, Some("unauthenticated")),
            "{token:?}: {refused}"
        );
        let (status, _) = call(&team, "GET", "/api/v1/deals", token, None, None);
        assert_eq!(status, 401);
    }

    // A read-only token reads and may not change.
    let (_, reader) = token(&leader, "warehouse", "read");
    assert_eq!(call(&team, "GET", "/api/v1/deals", Some(&reader), None, None).0, 200);
    let (status, refused) = call(&team, "POST", "/api/v1/changes", Some(&reader), Some(&change), None);
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")), "{refused}");
    assert_eq!(feed_position(&team), at, "no refused request wrote anything");
    // A write-only token may not read.
    let (_, writer) = token(&leader, "intake", "write");
    assert_eq!(call(&team, "GET", "/api/v1/metrics", Some(&writer), None, None).0, 403);

    // Names are unique among tokens in use; a revoked token is refused at once.
    assert_eq!(refusal(&leader, &["token", "create", "--name", "Warehouse"])["code"], "duplicate");
    let listed = json(&leader, &["token", "list"]);
    let id = listed.as_array().expect("list").iter().find(|t| t["name"] == "warehouse").expect("listed")
        ["id"]
        .to_string();
    assert!(!listed.to_string().contains(&reader), "a list never shows a token");
    json(&leader, &["token", "revoke", &id]);
    let (status, _) = call(&team, "GET", "/api/v1/deals", Some(&reader), None, None);
    assert_eq!(status, 401, "revoked");
    token(&leader, "warehouse", "read");

    // A token acts as its leader only while they lead: demoted, it is refused.
    let (_, full) = token(&leader, "crm-sync", "read,write");
    let leader_name = team.member_named(0);
    let added = json(&leader, &["team", "add", "--name", "Second Leader", "--role", "sales-leader"]);
    let second = team.join("second", added["invitation_code"].as_str().expect("code"));
    json(&second, &["team", "role", &leader_name, "--role", "account-executive", "--segment", "enterprise"]);
    let at = feed_position(&team);
    let (status, refused) = call(&team, "POST", "/api/v1/changes", Some(&full), Some(&change), None);
    assert_eq!(status, 401, "{refused}");
    assert!(refused["message"].as_str().unwrap_or("").contains("no longer leads"), "{refused}");
    assert_eq!(feed_position(&team), at, "nor did the demoted leader's token");
    // Leading again does not bring it back, and the list says it is revoked.
    json(&second, &["team", "role", &leader_name, "--role", "sales-leader"]);
    assert_eq!(call(&team, "GET", "/api/v1/deals", Some(&full), None, None).0, 401);
    let listed = json(&second, &["token", "list"]);
    let crm =
        listed.as_array().expect("list").iter().find(|t| t["name"] == "crm-sync").expect("listed").clone();
    assert!(crm["revoked_at"].is_string(), "{crm}");

    // A token cannot give anyone access: not to the team, not to the partner portal.
    let (_, writer_too) = token(&second, "provisioning", "read,write");
    let member: i64 = json(&second, &["team", "list"])[0]["id"].as_i64().expect("a member");
    let at = feed_position(&team);
    for body in [
        value!({ "change": "member_invite", "member": member }),
        value!({ "change": "member_add", "name": "Mallory", "role": "sales-leader", "segment": null }),
        value!({ "change": "member_role", "member": member, "role": "sales-leader", "segment": null }),
        value!({ "change": "portal_invite", "partner": 1, "email": "mallory@example.com", "name": null }),
    ] {
        let (status, refused) = call(&team, "POST", "/api/v1/changes", Some(&writer_too), Some(&body), None);
        assert_eq!((status, refused["field"].as_str()), (422, Some("change")), "{body}: {refused}");
        assert!(!refused.to_string().contains("invitation"), "{refused}");
    }
    assert_eq!(feed_position(&team), at, "nothing was given");

    // Answers in words for a wrong method and a body too large; names are text on one line.
    let (status, wrong) = call(&team, "GET", "/api/v1/changes", Some(&writer_too), None, None);
    assert_eq!((status, wrong["code"].as_str()), (405, Some("not_found")), "{wrong}");
    let huge = value!({ "change": "account_add", "form": { "name": "x".repeat(3 << 20) } });
    let (status, large) = call(&team, "POST", "/api/v1/changes", Some(&writer_too), Some(&huge), None);
    assert_eq!((status, large["code"].as_str()), (413, Some("invalid_input")), "{large}");
    assert_eq!(refusal(&second, &["token", "create", "--name", "two\nlines"])["field"], "name");
    assert_eq!(refusal(&second, &["token", "create", "--name", "two\u{1b}[31m"])["field"], "name");

    // A flood of made-up tokens from one address is held back; a real token still works.
    let (_, good) = token(&second, "chat", "read");
    let mut held = None;
    for _ in 0..12 {
        let (status, body) = call(&team, "GET", "/api/v1/deals", Some("keel_guess"), None, None);
        if status == 429 {
            held = Some(body);
            break;
        }
        assert_eq!(status, 401);
    }
    let held = held.expect("guesses are held back");
    assert!(held["message"].as_str().unwrap_or("").contains("try again"), "{held}");
    assert_eq!(
        call(&team, "GET", "/api/v1/deals", Some(&good), None, None).0,
        200,
        "a real token is not held back"
    );
}
