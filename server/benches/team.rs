//! The team workspace's speed, measured in one run on this machine against a real
//! `keel-server` on loopback:
//!   * joining a workspace of N deals (default 1,000,000) and showing its board, beside
//!     `keel backup` of the same file (target: join + board < 2 × backup);
//!   * how long one member's change takes to reach another member's copy (p50, p99;
//!     target p99 < 1 s), the copy following the server's pushes as the desktop does;
//!   * 50 clients at once sending a realistic mix (moves, activities, deal updates):
//!     commands per second and p50/p99 latency;
//!   * `keel board` and `keel metrics` on a copy beside the same on the server's file.
//!
//! Run: `cargo bench -p keel-server --bench team` (KEEL_BENCH_DEALS, KEEL_BENCH_CLIENTS,
//! KEEL_BENCH_COMMANDS per client for other sizes).

use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{demo_team, env_number, invite, keel_bin, median, ms, percentile, run, serve};

/// A client that says its versions, as every member's machine does.
fn agent() -> ureq::Agent {
    use keel::remote::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER};
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .middleware(
            |mut request: ureq::http::Request<ureq::SendBody>, next: ureq::middleware::MiddlewareNext| {
                request.headers_mut().insert(PROTOCOL_HEADER, PROTOCOL_VERSION.into());
                request.headers_mut().insert(SCHEMA_HEADER, keel::store::latest_version().into());
                next.handle(request)
            },
        )
        .build()
        .into()
}

/// A machine that joined (credential and session) without downloading the snapshot.
struct Client {
    agent: ureq::Agent,
    url: String,
    token: String,
    client_id: String,
    seq: i64,
}

impl Client {
    fn join(url: &str, code: &str) -> Client {
        let agent = agent();
        let mut reply =
            agent.post(format!("{url}/v1/join")).send_json(json!({ "code": code })).expect("join");
        let body: Value = reply.body_mut().read_json().expect("json");
        assert!(body["token"].is_string(), "join: {body}");
        Client {
            agent,
            url: url.to_string(),
            token: body["token"].as_str().expect("token").into(),
            client_id: body["client_id"].as_str().expect("client").into(),
            seq: 0,
        }
    }

    /// Sends a command; returns the feed position it reached.
    fn command(&mut self, args: &[&str]) -> i64 {
        self.seq += 1;
        let mut reply = self
            .agent
            .post(format!("{}/v1/commands", self.url))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(json!({ "client_id": self.client_id, "seq": self.seq, "json": true, "args": args }))
            .expect("command");
        let status = reply.status().as_u16();
        let body: Value = reply.body_mut().read_json().expect("json");
        assert_eq!(status, 200, "{args:?}: {body}");
        body["position"].as_i64().expect("position")
    }
}

fn open_deals_in_lead(db: &Path, owner: &str, n: usize) -> Vec<i64> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id JOIN team_members m ON m.id = d.owner_id
             WHERE s.name = 'Lead' AND (m.name = ?1 OR ?2 > 1) ORDER BY d.id LIMIT ?2",
        )
        .expect("query");
    stmt.query_map(rusqlite::params![owner, n as i64], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ids")
}

fn main() {
    let deals = env_number("KEEL_BENCH_DEALS", 1_000_000);
    let clients = env_number("KEEL_BENCH_CLIENTS", 50) as usize;
    let per_client = env_number("KEEL_BENCH_COMMANDS", 40) as usize;
    let keel = keel_bin();
    let (dir, db, init) = demo_team("bench-team", deals);
    let names: Vec<String> = init
        .lines()
        .filter_map(|l| l.split(" (").next().filter(|_| l.contains("): ")).map(str::to_string))
        .collect();
    let (leader, ae) = (names[0].clone(), names[1].clone());
    let server = serve(&db);

    // Join + board, beside a backup of the same file, three times each.
    let (mut backups, mut joins) = (Vec::new(), Vec::new());
    for round in 0..3 {
        let copy = dir.join(format!("backup-{round}.db"));
        let t = Instant::now();
        run(&keel, &["--db", db.to_str().expect("utf-8"), "backup", copy.to_str().expect("utf-8")]);
        backups.push(t.elapsed());
        let _ = std::fs::remove_file(&copy);
        let joined = dir.join(format!("joined-{round}.db"));
        let code = invite(&db, &leader);
        let t = Instant::now();
        run(&keel, &["--db", joined.to_str().expect("utf-8"), "join", &server.url, &code]);
        run(&keel, &["--db", joined.to_str().expect("utf-8"), "board"]);
        joins.push(t.elapsed());
        if round > 0 {
            let _ = std::fs::remove_file(&joined);
        }
    }
    let (backup, join) = (median(backups), median(joins));
    println!(
        "join + board: median {:.2} s; keel backup of the same file: median {:.2} s; ratio {:.2} (target < 2)",
        join.as_secs_f64(),
        backup.as_secs_f64(),
        join.as_secs_f64() / backup.as_secs_f64()
    );

    // Reads on a copy beside the server's own file.
    let copy = dir.join("joined-0.db");
    for what in ["board", "metrics"] {
        let time = |file: &Path| {
            median(
                (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        run(&keel, &["--db", file.to_str().expect("utf-8"), "--json", what]);
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        let (on_copy, on_server) = (time(&copy), time(&db));
        println!(
            "keel {what}: copy {} vs server file {} (ratio {:.2})",
            ms(on_copy),
            ms(on_server),
            on_copy.as_secs_f64() / on_server.as_secs_f64()
        );
    }

    // Visibility: a follower copy applies what the server pushes, as the desktop does.
    let follower_db = dir.join("follower.db");
    run(&keel, &["--db", follower_db.to_str().expect("utf-8"), "join", &server.url, &invite(&db, &leader)]);
    let applied: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let (applied, stop, follower_db) = (applied.clone(), stop.clone(), follower_db.clone());
        std::thread::spawn(move || {
            let clock: Arc<dyn keel::clock::Clock> = Arc::new(keel::clock::SystemClock);
            let mut ws = keel::services::Workspace::open_existing(&follower_db, clock).expect("copy");
            let remote = keel::remote::Remote::connect(&mut ws).expect("connect");
            let _ = remote.follow_positions(|_| {
                keel::remote::sync(&mut ws, &remote).expect("sync");
                let at = Instant::now();
                applied
                    .lock()
                    .expect("lock")
                    .push((ws.team_link().expect("link").expect("joined").position, at));
                !stop.load(std::sync::atomic::Ordering::SeqCst)
            });
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let mut writer = Client::join(&server.url, &invite(&db, &ae));
    let deal = open_deals_in_lead(&db, &ae, 1)[0].to_string();
    let mut sent = Vec::new();
    for i in 0..200 {
        let stage = if i % 2 == 0 { "Qualification" } else { "Lead" };
        let t = Instant::now();
        let position = writer.command(&["deal", "move", &deal, stage]);
        sent.push((position, t));
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.command(&[
        "activity",
        "add",
        "--deal",
        &deal,
        "--kind",
        "note",
        "--subject",
        "end of the visibility run",
    ]);
    let _ = follower.join();
    let applied = applied.lock().expect("lock").clone();
    let mut visible: Vec<Duration> = sent
        .iter()
        .filter_map(|(position, at)| {
            applied.iter().find(|(p, _)| p >= position).map(|(_, seen)| seen.duration_since(*at))
        })
        .collect();
    visible.sort();
    println!(
        "a change reaches another copy: p50 {}, p99 {} over {} changes (target p99 < 1 s)",
        ms(percentile(&visible, 0.5)),
        ms(percentile(&visible, 0.99)),
        visible.len()
    );

    // Load: each client an account executive's machine, on deals of its own.
    let mut machines: Vec<Client> =
        (0..clients).map(|_| Client::join(&server.url, &invite(&db, &ae))).collect();
    let deals_for_load = open_deals_in_lead(&db, &ae, clients);
    assert_eq!(deals_for_load.len(), clients, "the demo has enough deals in Lead");
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let t = Instant::now();
    std::thread::scope(|scope| {
        for (i, mut machine) in machines.drain(..).enumerate() {
            let (latencies, deal) = (latencies.clone(), deals_for_load[i].to_string());
            scope.spawn(move || {
                let mut moves = 0;
                for n in 0..per_client {
                    let stage = if moves % 2 == 0 { "Qualification" } else { "Lead" };
                    let subject = format!("Call {n}");
                    let name = format!("Load deal {i}.{n}");
                    let args: Vec<&str> = match n % 10 {
                        0..=4 => vec!["deal", "move", &deal, stage],
                        5..=7 => {
                            vec!["activity", "add", "--deal", &deal, "--kind", "call", "--subject", &subject]
                        }
                        _ => vec!["deal", "update", &deal, "--name", &name],
                    };
                    if n % 10 <= 4 {
                        moves += 1;
                    }
                    let started = Instant::now();
                    machine.command(&args);
                    latencies.lock().expect("lock").push(started.elapsed());
                }
            });
        }
    });
    let wall = t.elapsed();
    let mut latencies = latencies.lock().expect("lock").clone();
    latencies.sort();
    println!(
        "{clients} clients × {per_client} commands (50% moves, 30% activities, 20% updates): {:.0} commands/s, p50 {}, p99 {}",
        latencies.len() as f64 / wall.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );
    // A 100,000-row import run as a job, while another member keeps working.
    let rows = env_number("KEEL_BENCH_IMPORT_ROWS", 100_000) as usize;
    let mut csv = String::from("Deal Name,Account Name,Amount,Close Date,Deal Stage\r\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Imported {i},Import Account {:05},{}.00,2027-{:02}-{:02},Qualification\r\n",
            i % 10_000,
            1_000 + i % 90_000,
            i % 12 + 1,
            i % 27 + 1
        ));
    }
    let mut importer = Client::join(&server.url, &invite(&db, &leader));
    let mut bystander = Client::join(&server.url, &invite(&db, &ae));
    let deal = deals_for_load[0].to_string();
    let mut upload = importer
        .agent
        .post(format!("{}/v1/uploads", importer.url))
        .header("Authorization", format!("Bearer {}", importer.token))
        .header("x-keel-file-name", "bench-import.csv")
        .send(csv.as_bytes())
        .expect("upload");
    let upload: Value = upload.body_mut().read_json().expect("json");
    let started = Instant::now();
    importer.seq += 1;
    let mut reply = importer
        .agent
        .post(format!("{}/v1/commands", importer.url))
        .header("Authorization", format!("Bearer {}", importer.token))
        .send_json(
            json!({"client_id": importer.client_id, "seq": importer.seq, "json": true, "background": true,
            "upload": upload["upload"], "args": ["import", "deals", "@upload"]}),
        )
        .expect("import");
    let job: Value = reply.body_mut().read_json().expect("json");
    let job = job["job"].as_str().expect("job").to_string();
    let mut waits = Vec::new();
    let mut n = 0;
    let import_time = loop {
        let stage = if n % 2 == 0 { "Qualification" } else { "Lead" };
        n += 1;
        let t = Instant::now();
        bystander.command(&["deal", "move", &deal, stage]);
        waits.push(t.elapsed());
        let state: Value = importer
            .agent
            .get(format!("{}/v1/jobs/{job}", importer.url))
            .header("Authorization", format!("Bearer {}", importer.token))
            .call()
            .expect("job")
            .body_mut()
            .read_json()
            .expect("json");
        if state["state"] != "running" {
            assert_eq!(state["state"], "done", "{state}");
            break started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    waits.sort();
    println!(
        "import of {rows} rows as a job: {:.1} s; another member's {} commands meanwhile: p50 {}, longest {}",
        import_time.as_secs_f64(),
        waits.len(),
        ms(percentile(&waits, 0.5)),
        ms(*waits.last().expect("a command"))
    );
    drop(server);
    let check = run(&keel, &["--db", db.to_str().expect("utf-8"), "check"]);
    println!("server file after the run: {}", check.trim());
}
