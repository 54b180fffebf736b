//! The partner portal through a real server: a partner's people sign in with an
//! invitation, see only their own partner through every route, and cannot reach the
//! team's routes; a stranger, another partner, another site or a removed person gets
//! nothing.

use crate::harness::{http, json, session_of, Team};
use serde_json::{json as body, Value};

/// One of a partner's people with a portal session.
struct Person {
    cookie: String,
    email: String,
}

struct Portal {
    team: Team,
    pm: std::path::PathBuf,
    a: Person,
    b: Person,
    partner_a: String,
    partner_b: String,
}

fn send(
    team: &Team,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    payload: Option<Value>,
) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let url = format!("{}{path}", team.url);
    let agent = http();
    let mut reply = match method {
        "GET" => {
            let mut req = agent.get(&url);
            if let Some(c) = cookie {
                req = req.header("Cookie", format!("keel_portal={c}"));
            }
            req.call()
        }
        "DELETE" => {
            let mut req = agent.delete(&url).header("x-keel-portal", "1");
            if let Some(c) = cookie {
                req = req.header("Cookie", format!("keel_portal={c}"));
            }
            req.call()
        }
        _ => {
            let mut req = agent.post(&url).header("x-keel-portal", "1");
            if let Some(c) = cookie {
                req = req.header("Cookie", format!("keel_portal={c}"));
            }
            req.send_json(payload.unwrap_or(body!({})))
        }
    }
    .expect("request");
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    let bytes = reply.body_mut().read_to_vec().expect("body");
    (status, headers, bytes)
}

fn as_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn invite(pm: &std::path::Path, partner: &str, email: &str) -> String {
    let reply = json(pm, &["partner", "invite", "--partner", partner, "--email", email]);
    reply["invitation_code"].as_str().unwrap_or_else(|| panic!("no code: {reply}")).to_string()
}

fn accept(team: &Team, code: &str, email: &str) -> Person {
    let (status, headers, bytes) = send(
        team,
        "POST",
        "/portal/api/accept",
        None,
        Some(body!({"code": code, "email": email, "password": "a long portal password"})),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let set = headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie").to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/portal"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP on loopback: not Secure ({set})");
    let cookie =
        set.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_string()).expect("value");
    Person { cookie, email: email.to_string() }
}

fn registration_form(company: &str, domain: &str, value: &str) -> Value {
    body!({"company": company, "domain": domain, "estimated_value": value, "currency": "USD",
           "expected_close_date": "2027-06-30", "contact_name": "Dana Reyes", "use_case": "gaming-voice-video"})
}

fn portal() -> Portal {
    let team = Team::demo(120);
    let pm = team.join("pm", &team.code(&team.member_named(2)));
    let partners = json(&pm, &["partner", "list"]);
    let names: Vec<String> = partners
        .as_array()
        .expect("partners")
        .iter()
        .filter(|p| p["partner"]["status"] == "active")
        .map(|p| p["partner"]["name"].as_str().expect("name").to_string())
        .collect();
    let (partner_a, partner_b) = (names[0].clone(), names[1].clone());
    let code_a = invite(&pm, &partner_a, "ana@partner-a.example");
    let code_b = invite(&pm, &partner_b, "bo@partner-b.example");
    let a = accept(&team, &code_a, "ana@partner-a.example");
    let b = accept(&team, &code_b, "bo@partner-b.example");
    Portal { team, pm, a, b, partner_a, partner_b }
}

#[test]
fn an_invitation_works_once_for_its_address_with_a_real_password() {
    let p = portal();
    let code = invite(&p.pm, &p.partner_a, "cy@partner-a.example");
    let try_accept = |code: &str, email: &str, password: &str| {
        send(
            &p.team,
            "POST",
            "/portal/api/accept",
            None,
            Some(body!({"code": code, "email": email, "password": password})),
        )
    };
    assert_eq!(try_accept(&code, "cy@partner-a.example", "short").0, 422, "a short password is refused");
    assert_eq!(
        try_accept(&code, "ana@partner-a.example", "a long portal password").0,
        401,
        "someone else's address"
    );
    assert_eq!(try_accept("P1-00", "cy@partner-a.example", "a long portal password").0, 401);
    assert_eq!(try_accept(&code, "CY@partner-a.example", "a long portal password").0, 200);
    assert_eq!(
        try_accept(&code, "cy@partner-a.example", "a long portal password").0,
        401,
        "a code works once"
    );
    // Behind a proxy that terminates HTTPS, the cookie is Secure.
    let mut reply = http()
        .post(format!("{}/portal/api/session", p.team.url))
        .header("x-keel-portal", "1")
        .header("X-Forwarded-Proto", "https")
        .send_json(body!({"email": "cy@partner-a.example", "password": "a long portal password"}))
        .expect("request");
    assert_eq!(reply.status().as_u16(), 200);
    let set = reply.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(set.contains("; Secure") && set.contains("HttpOnly"), "{set}");
    let _ = reply.body_mut().read_to_vec();
    // Then the address and password sign in; a wrong password does not.
    let sign_in = |password: &str| {
        send(
            &p.team,
            "POST",
            "/portal/api/session",
            None,
            Some(body!({"email": "cy@partner-a.example", "password": password})),
        )
    };
    assert_eq!(sign_in("a long portal password").0, 200);
    for _ in 0..4 {
        assert_eq!(sign_in("not the password").0, 401);
    }
    let (status, headers, _) = sign_in("not the password");
    assert_eq!(status, 429, "repeated failures wait");
    assert!(headers.get("retry-after").is_some());
    // The manager sees who was invited, and the audit log says who invited them.
    let users = json(&p.pm, &["partner", "users", "--partner", &p.partner_a]);
    assert!(users.to_string().contains("cy@partner-a.example"), "{users}");
}

#[test]
fn each_partner_sees_only_its_own_through_every_route_and_conflicts_stay_hidden() {
    let p = portal();
    let (status, _, bytes) = send(
        &p.team,
        "POST",
        "/portal/api/registrations",
        Some(&p.a.cookie),
        Some(registration_form("Orbit Games", "orbit-games.io", "64,000")),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&bytes));
    let mine = as_json(&bytes);
    let id = mine["id"].as_i64().expect("id");
    assert_eq!(mine["status"], "submitted");

    // Partner B registers the same company: accepted, marked for review, nothing revealed.
    let (status, _, bytes) = send(
        &p.team,
        "POST",
        "/portal/api/registrations",
        Some(&p.b.cookie),
        Some(registration_form("Orbit Games Ltd", "orbit-games.io", "12,000")),
    );
    assert_eq!(status, 201);
    let theirs = as_json(&bytes);
    assert_eq!(theirs["needs_review"], true);
    let text = String::from_utf8_lossy(&bytes);
    for secret in [p.partner_a.as_str(), "ana@", "6400000", "64,000"] {
        assert!(!text.contains(secret), "B learns {secret}: {text}");
    }
    // A duplicate of B's own live registration is refused.
    let (status, _, bytes) = send(
        &p.team,
        "POST",
        "/portal/api/registrations",
        Some(&p.b.cookie),
        Some(registration_form("Orbit again", "orbit-games.io", "1,000")),
    );
    assert_eq!((status, as_json(&bytes)["code"].clone()), (409, Value::from("duplicate")));
    // Refusals cross in keel-api's one error body, as the desktop's do: code, the field
    // at fault, the message, the items behind it; and nothing is kept.
    let (status, _, bytes) = send(
        &p.team,
        "POST",
        "/portal/api/registrations",
        Some(&p.b.cookie),
        Some(registration_form("Nebula Play", "nebula-play.io", "twelve")),
    );
    let refused = as_json(&bytes);
    assert_eq!(status, 422);
    let keys: Vec<&str> = refused.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["code", "field", "message", "details"]);
    assert_eq!(
        // The field as the product names it through every door (the registration's value).
        (refused["code"].as_str(), refused["field"].as_str()),
        (Some("invalid_input"), Some("value"))
    );
    let (_, _, bytes) = send(&p.team, "GET", "/portal/api/registrations", Some(&p.b.cookie), None);
    assert!(
        !String::from_utf8_lossy(&bytes).contains("nebula-play.io"),
        "a refused registration is not kept"
    );
    let (status, _, bytes) = send(&p.team, "GET", "/portal/api/profile", None, None);
    assert_eq!(status, 401);
    assert_eq!(
        as_json(&bytes),
        serde_json::json!({"code": "unauthenticated", "field": null,
                           "message": "sign in to the partner portal first", "details": []})
    );

    // Every route that names a record answers B as if A's did not exist.
    let missing = 999_999;
    for (method, path) in [
        ("GET", "/portal/api/registrations/{}"),
        ("POST", "/portal/api/registrations/{}/answer"),
        ("GET", "/portal/api/statements/{}"),
        ("GET", "/portal/api/statements/{}/pdf"),
        ("GET", "/portal/api/statements/{}/csv"),
    ] {
        let statement = if path.contains("statements") { first_statement_of(&p) } else { id };
        let (status, _, bytes) = send(
            &p.team,
            method,
            &path.replace("{}", &statement.to_string()),
            Some(&p.b.cookie),
            Some(body!({"answer": "x"})),
        );
        let (missing_status, _, missing_bytes) = send(
            &p.team,
            method,
            &path.replace("{}", &missing.to_string()),
            Some(&p.b.cookie),
            Some(body!({"answer": "x"})),
        );
        assert_eq!(status, 404, "{method} {path}: {}", String::from_utf8_lossy(&bytes));
        assert_eq!(missing_status, 404);
        assert_eq!(as_json(&bytes)["code"], as_json(&missing_bytes)["code"]);
        assert!(!String::from_utf8_lossy(&bytes).contains(&p.partner_a), "{method} {path}");
    }
    // Lists hold only the partner's own.
    for path in ["/portal/api/registrations", "/portal/api/statements", "/portal/api/earnings"] {
        let (status, _, bytes) = send(&p.team, "GET", path, Some(&p.b.cookie), None);
        assert_eq!(status, 200);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&p.partner_a) && !text.contains(&format!("\"id\":{id},")), "{path}: {text}");
    }
    let (_, _, bytes) = send(&p.team, "GET", "/portal/api/profile", Some(&p.b.cookie), None);
    assert_eq!(as_json(&bytes)["partner"], Value::from(p.partner_b.clone()));
    let (_, _, bytes) = send(&p.team, "GET", "/portal/api/registrations", Some(&p.a.cookie), None);
    assert_eq!(as_json(&bytes)[0]["id"], id);
    // A's own statement files download for A.
    let statement = first_statement_of(&p);
    let (status, headers, bytes) =
        send(&p.team, "GET", &format!("/portal/api/statements/{statement}/pdf"), Some(&p.a.cookie), None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(bytes.starts_with(b"%PDF"));

    // The manager's copy follows the portal's registrations, and the audit names the person.
    json(&p.pm, &["sync"]);
    let shown = json(&p.pm, &["registration", "show", &id.to_string()]);
    assert_eq!(shown["registration"]["company_name"], "Orbit Games");
    let audit = json(&p.pm, &["audit", "--entity", "registration", "--id", &id.to_string()]);
    assert!(audit.to_string().contains(&p.a.email), "{audit}");
}

/// A statement of partner A's that is not a draft: the demo's approved or paid ones.
fn first_statement_of(p: &Portal) -> i64 {
    let conn = rusqlite::Connection::open(&p.team.db).expect("open");
    conn.query_row(
        "SELECT s.id FROM payout_statements s JOIN partners x ON x.id = s.partner_id
          WHERE x.name = ?1 AND s.status IN ('approved', 'paid') ORDER BY s.id LIMIT 1",
        [&p.partner_a],
        |r| r.get(0),
    )
    .expect("the demo pays partner A: it has an approved or paid statement")
}

#[test]
fn strangers_other_sites_team_sessions_and_removed_people_get_nothing() {
    let p = portal();
    let routes = [
        ("GET", "/portal/api/profile"),
        ("GET", "/portal/api/registrations"),
        ("POST", "/portal/api/registrations"),
        ("GET", "/portal/api/registrations/1"),
        ("POST", "/portal/api/registrations/1/answer"),
        ("GET", "/portal/api/earnings"),
        ("GET", "/portal/api/statements"),
        ("GET", "/portal/api/statements/1"),
        ("GET", "/portal/api/statements/1/pdf"),
        ("GET", "/portal/api/statements/1/csv"),
    ];
    for (method, path) in routes {
        let (status, headers, bytes) = send(&p.team, method, path, None, None);
        assert_eq!(status, 401, "{method} {path} without a session");
        assert_eq!(as_json(&bytes)["code"], "unauthenticated");
        let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        let (status, _, _) = send(&p.team, method, path, Some("forged-token"), None);
        assert_eq!(status, 401, "{method} {path} with a forged cookie");
    }

    // A team member's bearer token is not a portal session, and a portal cookie opens no
    // team route.
    let ae = p.team.join("ae", &p.team.code(&p.team.member_named(1)));
    let (token, _) = session_of(&p.team, &ae);
    let mut reply = http()
        .get(format!("{}/portal/api/profile", p.team.url))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .expect("request");
    assert_eq!(reply.status().as_u16(), 401);
    let _ = reply.body_mut().read_to_vec();
    for path in ["/v1/me", "/v1/feed?after=0", "/v1/snapshot", "/v1/events"] {
        let reply = http()
            .get(format!("{}{path}", p.team.url))
            .header("Cookie", format!("keel_portal={}", p.a.cookie))
            .call()
            .expect("request");
        assert_eq!(reply.status().as_u16(), 401, "{path} with a portal cookie");
    }

    // A request from another site, or without the portal's header, changes nothing.
    let form = registration_form("Cross Site", "cross-site.io", "1,000");
    let reply = http()
        .post(format!("{}/portal/api/registrations", p.team.url))
        .header("Cookie", format!("keel_portal={}", p.a.cookie))
        .send_json(&form)
        .expect("request");
    assert_eq!(reply.status().as_u16(), 403, "no portal header");
    let reply = http()
        .post(format!("{}/portal/api/registrations", p.team.url))
        .header("Cookie", format!("keel_portal={}", p.a.cookie))
        .header("x-keel-portal", "1")
        .header("Origin", "https://evil.example")
        .send_json(&form)
        .expect("request");
    assert_eq!(reply.status().as_u16(), 403, "another site's origin");
    let (_, _, bytes) = send(&p.team, "GET", "/portal/api/registrations", Some(&p.a.cookie), None);
    assert!(!String::from_utf8_lossy(&bytes).contains("Cross Site"), "nothing was registered");

    // Signing out ends the session; a removed person loses theirs at once.
    let (status, headers, _) = send(&p.team, "DELETE", "/portal/api/session", Some(&p.a.cookie), None);
    assert_eq!(status, 204);
    assert!(headers.get("set-cookie").and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(send(&p.team, "GET", "/portal/api/profile", Some(&p.a.cookie), None).0, 401);
    assert_eq!(send(&p.team, "GET", "/portal/api/profile", Some(&p.b.cookie), None).0, 200);
    json(&p.pm, &["partner", "remove-user", "--email", &p.b.email]);
    assert_eq!(
        send(&p.team, "GET", "/portal/api/profile", Some(&p.b.cookie), None).0,
        401,
        "removed: out at once"
    );
    let (status, _, _) = send(
        &p.team,
        "POST",
        "/portal/api/session",
        None,
        Some(body!({"email": p.b.email, "password": "a long portal password"})),
    );
    assert_eq!(status, 401, "and cannot sign in again");
}
