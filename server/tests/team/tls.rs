//! HTTPS with a given certificate: a member's machine that trusts it joins and works; one
//! that does not is refused before anything is sent.

use crate::harness::{keel_bin, Team, NOW};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn self_signed(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("key");
    Some((cert, key))
}

fn keel_trusting(trust: Option<&Path>, db: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(keel_bin());
    command.arg("--db").arg(db).args(args).env("KEEL_NOW", NOW).env_remove("KEEL_DB");
    match trust {
        Some(cert) => command.env(keel::remote::TRUST_ENV, cert),
        None => command.env_remove(keel::remote::TRUST_ENV),
    };
    command.output().expect("keel")
}

#[test]
fn a_machine_that_trusts_the_certificate_joins_over_https_and_one_that_does_not_is_refused() {
    let team = Team::demo_with(30, self_signed);
    assert!(team.url.starts_with("https://"), "{}", team.url);
    let cert = team.tls.as_ref().map(|(cert, _)| cert.clone()).expect("tls");
    let code = team.code(&team.member_named(1));

    let stranger = team.dir.path().join("untrusting.db");
    let out = keel_trusting(None, &stranger, &["--json", "join", &team.url, &code]);
    assert!(!out.status.success());
    let refused: serde_json::Value = serde_json::from_slice(&out.stderr).expect("json error");
    assert_eq!(refused["code"], "offline", "{refused}");
    assert!(
        refused["message"].as_str().expect("message").to_lowercase().contains("certificate"),
        "{refused}"
    );
    assert!(!stranger.exists());

    // The code was not spent by the refused attempt: it never reached the server.
    let copy = team.dir.path().join("trusting.db");
    let out = keel_trusting(Some(&cert), &copy, &["join", &team.url, &code]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let account = {
        let out = keel_trusting(Some(&cert), &copy, &["--json", "account", "list", "--limit", "1"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("accounts")[0]["id"].to_string()
    };
    let out = keel_trusting(
        Some(&cert),
        &copy,
        &[
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Over TLS",
            "--amount",
            "10",
            "--close",
            "2027-01-31",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Plain HTTP to the HTTPS port gets nowhere.
    let plain = team.url.replacen("https://", "http://", 1);
    let out =
        keel_trusting(Some(&cert), &team.dir.path().join("plain.db"), &["--json", "join", &plain, &code]);
    assert!(!out.status.success());
}
