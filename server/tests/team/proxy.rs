//! Behind a real reverse proxy: nginx terminates HTTPS with the configuration the README
//! gives, and members join, send changes and imports, and follow the pushed feed through it.

use crate::harness::{keel_bin, Team, NOW};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Nginx {
    child: Child,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_bin() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is not installed: scripts/setup-system.sh installs it (nginx-light)")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// nginx in front of `upstream`, configured as the README says (HTTPS, no buffering for
/// the pushed feed, uploads as large as the server takes).
fn nginx(dir: &Path, upstream: &str, cert: &Path, key: &Path) -> Nginx {
    let port = free_port();
    let temp = dir.join("nginx-temp");
    std::fs::create_dir_all(&temp).expect("temp");
    let conf = format!(
        "pid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  \
         client_body_temp_path {t}; proxy_temp_path {t}; fastcgi_temp_path {t}; uwsgi_temp_path {t}; scgi_temp_path {t};\n  \
         server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n    \
         client_max_body_size 1g;\n    location / {{\n      proxy_pass {upstream};\n      proxy_buffering off;\n      \
         proxy_read_timeout 1h;\n    }}\n  }}\n}}\n",
        dir = dir.display(),
        t = temp.display(),
        cert = cert.display(),
        key = key.display(),
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("conf");
    let child = Command::new(nginx_bin())
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .args(["-g", "daemon off; master_process off;"])
        .spawn()
        .expect("nginx");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("nginx-error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Nginx { child, port }
}

fn keel_via(cert: &Path, db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(keel_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .env("KEEL_NOW", NOW)
        .env("KEEL_TLS_CA", cert)
        .env_remove("KEEL_DB")
        .output()
        .expect("keel")
}

#[test]
fn members_work_through_nginx_terminating_https() {
    let team = Team::demo(30);
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("certificate");
    let (cert, key) = (team.dir.path().join("proxy-cert.pem"), team.dir.path().join("proxy-key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("key");
    let proxy = nginx(team.dir.path(), &team.url, &cert, &key);
    let url = format!("https://127.0.0.1:{}", proxy.port);

    let copy = team.dir.path().join("behind-proxy.db");
    let out = keel_via(&cert, &copy, &["join", &url, &team.code(&team.member_named(1))]);
    assert!(out.status.success(), "join: {}", String::from_utf8_lossy(&out.stderr));
    let accounts = keel_via(&cert, &copy, &["--json", "account", "list", "--limit", "1"]);
    let account =
        serde_json::from_slice::<serde_json::Value>(&accounts.stdout).expect("accounts")[0]["id"].to_string();
    let out = keel_via(
        &cert,
        &copy,
        &[
            "--json",
            "deal",
            "add",
            "--account",
            &account,
            "--name",
            "Via Proxy",
            "--amount",
            "10",
            "--close",
            "2027-01-31",
        ],
    );
    assert!(out.status.success(), "deal add: {}", String::from_utf8_lossy(&out.stderr));
    let server = rusqlite::Connection::open(&team.db).expect("server file");
    let on_server: i64 = server
        .query_row("SELECT count(*) FROM deals WHERE name = 'Via Proxy'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(on_server, 1);

    // An import's file goes through the proxy (larger than nginx's default 1 MB limit).
    let big = team.dir.path().join("two-megabytes.csv");
    let mut text = String::from("Deal Name,Amount\r\n");
    while text.len() < 2 << 20 {
        text.push_str("Padding row for the proxy's body limit,1\r\n");
    }
    std::fs::write(&big, &text).expect("file");
    let clock: std::sync::Arc<dyn keel::clock::Clock> = std::sync::Arc::new(keel::clock::SystemClock);
    let mut ws = keel::services::Workspace::open_existing(&copy, clock).expect("copy");
    std::env::set_var("KEEL_TLS_CA", &cert);
    let remote = keel::remote::Remote::connect(&mut ws).expect("connect through the proxy");
    let uploaded = remote
        .upload("two-megabytes.csv", &big)
        .expect("a 2 MB upload through the proxy, read as it is sent");
    assert!(uploaded.ends_with("/two-megabytes.csv"), "{uploaded}");

    // The pushed feed comes through unbuffered: the first position arrives at once.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = remote.follow_positions(|position| {
            let _ = sender.send(position);
            false
        });
    });
    let position =
        receiver.recv_timeout(Duration::from_secs(10)).expect("a pushed position through the proxy");
    assert!(position > 0);
}
