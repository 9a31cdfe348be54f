//! Several instances on one database: what they share (sessions, CSRF,
//! login throttling, the outbox) and why reminders stay exactly-once per
//! digest without a leader: the outbox's unique key dedupes queueing, and
//! `FOR UPDATE SKIP LOCKED` claims (PostgreSQL) give each sender its own
//! messages. The tests that start two `renkei serve` processes run on
//! PostgreSQL only (two processes on one SQLite file is not a supported
//! deployment); the in-process ones run on both dialects.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use mailin_embedded::{Handler, Response as SmtpResponse, Server as SmtpServer, response};
use renkei::app::{self, Running};
use renkei::clock::Clock;
use renkei::config::Config;
use renkei::db::Db;
use renkei::reminders::store;
use renkei::state::AppState;
use reqwest::StatusCode;

use crate::support::{NOW, Received, SmtpSink, TestApp, free_port, on_postgres, overdue_job};

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// Prints why a PostgreSQL-only test did nothing on this run.
fn skipped_on_sqlite(test: &str) -> bool {
    if on_postgres() {
        return false;
    }
    eprintln!("{test}: skipped on SQLite (runs with RENKEI_TEST_DATABASE=postgres)");
    true
}

/// `owners` members with their own address in two wards, each owning
/// `per_owner` planned countermeasures 1–5 days overdue on `today`: one
/// digest per owner (no item is overdue long enough to reach a
/// secretariat, and the wards have no secretariat address anyway).
/// Returns the owners' addresses.
async fn overdue_world(
    app: &TestApp,
    owners: usize,
    per_owner: usize,
    today: chrono::NaiveDate,
) -> Vec<String> {
    let wards = app
        .municipality_with_wards("連携市", &["東区", "西区"])
        .await;
    let mut addresses = Vec::new();
    let mut n = 0;
    for o in 0..owners {
        let ward = wards[o % 2];
        let addr = format!("owner{o}@clinic.example.jp");
        let member = app
            .member_with_email(ward, &format!("委員{o}"), &addr)
            .await;
        for _ in 0..per_owner {
            let due = today - TimeDelta::days(1 + (n % 5) as i64);
            app.planned(
                ward,
                1 + (n % 8) as i64,
                &format!("対応策{n}の評価"),
                member,
                &due.to_string(),
            )
            .await;
            n += 1;
        }
        addresses.push(addr);
    }
    addresses
}

/// A second app server on the test app's database, as another instance.
async fn second_instance(app: &TestApp) -> (Running, Db) {
    let db = Db::connect(&app.db_url, 4).await.expect("open database");
    let state = AppState {
        db: db.clone(),
        clock: Clock::Fixed(now()),
        config: Arc::new(Config::for_database(app.db_url.clone())),
        charts: renkei::charts::Cache::default(),
    };
    (app::start(state).await.expect("start server"), db)
}

// ---------------------------------------------------------------------------
// In process, both dialects

#[tokio::test]
async fn two_instances_running_the_job_at_once_queue_each_digest_once() {
    let app = TestApp::spawn().await;
    let owners = overdue_world(&app, 8, 3, crate::support::today()).await;
    // Four "instances", each with its own pool, run the same job at the
    // same instant, several times.
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(Db::connect(&app.db_url, 2).await.unwrap());
    }
    let job = overdue_job(7, 7, 14, 5);
    let mut queued = 0;
    for _ in 0..3 {
        let mut runs = tokio::task::JoinSet::new();
        for db in &pools {
            let (db, job) = (db.clone(), job.clone());
            runs.spawn(async move {
                renkei::reminders::jobs::run_job_once(
                    &db,
                    &job,
                    "https://renkei.example.jp",
                    crate::support::today(),
                    now(),
                    false,
                )
                .await
            });
        }
        while let Some(r) = runs.join_next().await {
            let report = r.unwrap().expect("a run");
            // A run that planned before another's commit owes every
            // digest (and its insert skips them); one that planned after
            // finds every item waiting in the outbox and owes none.
            assert!(
                report.owed.is_empty() || report.owed.len() == owners.len(),
                "{:?}",
                report.owed
            );
            queued += report.queued;
        }
    }
    assert_eq!(queued, owners.len(), "queued once in all, across every run");
    assert_eq!(app.count("outbox").await, owners.len() as i64);
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events WHERE state = 'queued'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(events, owners.len() as i64, "one history row per message");
    assert_eq!(app.count("job_runs").await, 12, "every run is recorded");
}

#[tokio::test]
async fn concurrent_senders_claim_each_message_exactly_once() {
    let app = TestApp::spawn().await;
    let owners = overdue_world(&app, 24, 1, crate::support::today()).await;
    app.run_job(&overdue_job(7, 7, 14, 5), now()).await;
    let mut pools = Vec::new();
    for _ in 0..2 {
        pools.push(Db::connect(&app.db_url, 4).await.unwrap());
    }
    // Eight claimers over two pools race until the outbox is empty.
    let mut claimers = tokio::task::JoinSet::new();
    for i in 0..8 {
        let db = pools[i % 2].clone();
        claimers.spawn(async move {
            let mut mine = Vec::new();
            while let Some(c) = store::claim(&db, now(), now() + TimeDelta::minutes(5))
                .await
                .expect("claim")
            {
                mine.push(c.id);
            }
            mine
        });
    }
    let mut all = Vec::new();
    while let Some(mine) = claimers.join_next().await {
        all.extend(mine.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), owners.len(), "no message claimed twice: {all:?}");
    assert_eq!(distinct.len(), owners.len());
    let attempts: Vec<i64> = sqlx::query_scalar("SELECT attempts FROM outbox")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(attempts.iter().all(|a| *a == 1), "{attempts:?}");
}

#[tokio::test]
async fn a_stale_attempt_does_not_overwrite_the_attempt_that_reclaimed_its_message() {
    let app = TestApp::spawn().await;
    overdue_world(&app, 1, 1, crate::support::today()).await;
    app.run_job(&overdue_job(7, 7, 14, 5), now()).await;
    let lease = TimeDelta::seconds(10);
    let first = store::claim(&app.db, now(), now() + lease)
        .await
        .unwrap()
        .unwrap();
    // The first sender stalls past its lease; another claims the message again.
    let later = now() + lease + TimeDelta::seconds(1);
    let second = store::claim(&app.db, later, later + lease)
        .await
        .unwrap()
        .expect("due again once the lease ran out");
    assert_eq!((second.id, second.attempt), (first.id, 2));
    assert!(
        store::finish(&app.db, &second, store::Outcome::Sent, later)
            .await
            .unwrap()
    );
    let recorded = store::finish(
        &app.db,
        &first,
        store::Outcome::Failed { error: "timeout" },
        later,
    )
    .await
    .unwrap();
    assert!(!recorded, "the stale attempt is not recorded");
    assert_eq!(app.outbox_states().await, vec![("sent".to_string(), 2)]);
    let events: Vec<String> = sqlx::query_scalar("SELECT state FROM outbox_events ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(events, ["queued", "sending", "sending", "sent"]);
}

/// PostgreSQL: a claim neither waits for a row another sender holds nor for
/// the global write lock other writes take.
#[tokio::test]
async fn a_claim_skips_rows_other_senders_hold_and_takes_no_global_lock() {
    if skipped_on_sqlite("a_claim_skips_rows_other_senders_hold_and_takes_no_global_lock") {
        return;
    }
    let app = TestApp::spawn().await;
    overdue_world(&app, 3, 1, crate::support::today()).await;
    app.run_job(&overdue_job(7, 7, 14, 5), now()).await;
    let other = Db::connect(&app.db_url, 2).await.unwrap();
    // Another instance: mid-way through an ordinary write (global lock held)
    // and holding the oldest message's row.
    let mut writer = other.begin_write().await.unwrap();
    let held: i64 =
        sqlx::query_scalar("SELECT id FROM outbox ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE")
            .fetch_one(&mut *writer)
            .await
            .unwrap();
    let claimed = tokio::time::timeout(
        Duration::from_secs(5),
        store::claim(&app.db, now(), now() + TimeDelta::minutes(5)),
    )
    .await
    .expect("the claim did not wait for the other transaction")
    .unwrap()
    .expect("a message");
    assert_ne!(claimed.id, held, "the held row is skipped");
    writer.rollback().await.unwrap();
    let next = store::claim(&app.db, now(), now() + TimeDelta::minutes(5))
        .await
        .unwrap()
        .expect("the released row");
    assert_eq!(next.id, held);
}

#[tokio::test]
async fn sessions_csrf_and_sign_in_throttling_are_shared_by_instances() {
    let app = TestApp::spawn().await;
    let ids = app.municipality_with_wards("甲市", &["北区"]).await;
    let m = app
        .city_account_with_password(ids[0], "city@example.jp", "正しいパスワード12345")
        .await;
    let (b, b_db) = second_instance(&app).await;
    let (a_url, b_url) = (app.base_url.clone(), b.base_url());
    // No cookie store: the cookie is carried by hand, so it is plain which
    // instance gets it.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |base: String, password: &'static str| {
        let browser = browser.clone();
        async move {
            browser
                .post(format!("{base}/login"))
                .form(&[("email", "city@example.jp"), ("password", password)])
                .send()
                .await
                .unwrap()
        }
    };

    // Signed in through A, the session works on B.
    let r = sign_in(a_url.clone(), "正しいパスワード12345").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = |url: String| {
        let (browser, cookie) = (browser.clone(), cookie.clone());
        async move {
            browser
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(get(format!("{b_url}/")).await.status(), StatusCode::OK);
    // A form rendered by B posts through A with B's CSRF token.
    let html = get(format!("{b_url}/city/{m}/wards/new"))
        .await
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker).expect("a csrf field") + marker.len();
    let token = html[at..at + 64].to_string();
    let before = app.count("wards").await;
    let r = browser
        .post(format!("{a_url}/city/{m}/wards/new"))
        .header("cookie", cookie.as_str())
        .form(&[("name", "西区"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("wards").await, before + 1);
    // Signing out on B ends the session on A too.
    let r = browser
        .post(format!("{b_url}/logout"))
        .header("cookie", cookie.as_str())
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = get(format!("{a_url}/")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");

    // Failures count across instances: 3 on A and 2 on B reach the limit
    // (5), and then even the right password is refused on either.
    for base in [&a_url, &a_url, &a_url, &b_url, &b_url] {
        let r = sign_in(base.clone(), "まちがったパスワード").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    for base in [&a_url, &b_url] {
        let r = sign_in(base.clone(), "正しいパスワード12345").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{base}");
    }
    assert_eq!(app.count("sessions").await, 0);
    b.stop().await.unwrap();
    b_db.pool.close().await;
}

// ---------------------------------------------------------------------------
// Two `renkei serve` processes on one PostgreSQL database

/// A `renkei serve` child process, killed (SIGKILL) when dropped so a
/// failing test leaves none behind.
struct Instance {
    child: Child,
    base_url: String,
    log: std::path::PathBuf,
}

impl Instance {
    /// Starts `renkei serve` on a free port with the job in `jobs_dir`
    /// firing every second, and waits until it answers.
    async fn start(db_url: &str, jobs_dir: &std::path::Path, smtp_url: &str, name: &str) -> Self {
        let port = free_port();
        let log = jobs_dir.parent().unwrap().join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_renkei"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("RENKEI_ADDR", format!("127.0.0.1:{port}"))
            .env("RENKEI_BASE_URL", "https://renkei.example.jp")
            .env("RENKEI_JOBS_DIR", jobs_dir)
            .env("RENKEI_SMTP_URL", smtp_url)
            .env("RENKEI_SEND_LEASE_SECS", "15")
            .env("RENKEI_DB_MAX_CONNECTIONS", "20")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start renkei serve");
        let instance = Instance {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/api/health", instance.base_url)).await
                && r.status() == StatusCode::OK
            {
                return instance;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not start: {}",
                instance.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// kill -9: no shutdown, no cleanup, whatever is in flight stays so.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A jobs directory whose overdue job fires every second.
fn every_second_jobs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let good = std::fs::read_to_string("jobs/overdue-evaluations.toml").unwrap();
    assert!(
        good.contains("0 0 9 * * *"),
        "the job file's schedule changed"
    );
    std::fs::write(
        jobs.join("overdue-evaluations.toml"),
        good.replace("0 0 9 * * *", "* * * * * *"),
    )
    .unwrap();
    dir
}

/// The outbox's messages by state.
async fn outbox_by_state(db: &Db) -> HashMap<String, Vec<String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT state, message_id FROM outbox ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (state, id) in rows {
        out.entry(state).or_default().push(id);
    }
    out
}

/// The Message-IDs received, with how often each came.
fn tally(received: &[Received]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for m in received {
        *out.entry(format!("<{}>", m.message_id())).or_insert(0) += 1;
    }
    out
}

#[tokio::test]
async fn two_served_instances_deliver_each_digest_exactly_once() {
    if skipped_on_sqlite("two_served_instances_deliver_each_digest_exactly_once") {
        return;
    }
    let app = TestApp::spawn().await;
    // The processes read the real clock: the data is overdue in real time.
    let today = renkei::calendar::today(Utc::now());
    let owners = overdue_world(&app, 8, 3, today).await;
    let expected = owners.len(); // one digest per owner, 24 countermeasures in all
    let smtp = SmtpSink::start();
    let dir = every_second_jobs();
    let jobs = dir.path().join("jobs");
    let a = Instance::start(&app.db_url, &jobs, &smtp.url(), "a").await;
    let b = Instance::start(&app.db_url, &jobs, &smtp.url(), "b").await;

    // Both schedulers fire every second on the same data. Wait for all to be
    // delivered and for several more runs of both, which must add nothing.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut settled_runs = None;
    loop {
        let sent = outbox_by_state(&app.db)
            .await
            .get("sent")
            .map_or(0, Vec::len);
        let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_runs WHERE outcome = 'ok'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        if sent == expected && smtp.received().len() >= expected {
            let first = *settled_runs.get_or_insert(runs);
            if runs >= first + 6 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "not delivered: sent {sent}, received {}, runs {runs}\nA: {}\nB: {}",
            smtp.received().len(),
            a.log_text(),
            b.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let received = smtp.received();
    let tally = tally(&received);
    assert_eq!(received.len(), expected, "no duplicate: {tally:?}");
    assert_eq!(tally.len(), expected);
    let queued: HashSet<String> = outbox_by_state(&app.db).await["sent"]
        .iter()
        .cloned()
        .collect();
    assert_eq!(
        tally.keys().cloned().collect::<HashSet<_>>(),
        queued,
        "what arrived is what was queued"
    );
    for addr in &owners {
        assert_eq!(smtp.to(addr).len(), 1, "{addr}");
    }
    assert_eq!(app.count("outbox").await, expected as i64);
    // Each message was claimed once: one `sending` and one `sent` event.
    let claims: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events WHERE state = 'sending'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(claims, expected as i64);
    // Both instances were up throughout.
    for i in [&a, &b] {
        let r = reqwest::get(format!("{}/api/health", i.base_url))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

/// An SMTP server that holds every message after its final dot until the
/// test opens the gate, then answers each after a short delay: a slow server
/// that keeps sends in flight as long as the test needs. A message counts
/// as received when its data is complete, as a real server would have it
/// even if the client dies before reading the reply.
#[derive(Default)]
struct Gate {
    received: Vec<Received>,
    open: bool,
    /// Sends waiting for their reply.
    held: usize,
}

#[derive(Clone)]
struct GatedHandler {
    gate: Arc<(Mutex<Gate>, Condvar)>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for GatedHandler {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> SmtpResponse {
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> SmtpResponse {
        self.to.push(to.to_string());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> SmtpResponse {
        let (lock, opened) = &*self.gate;
        let mut gate = lock.lock().unwrap();
        gate.received.push(Received {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        });
        gate.held += 1;
        while !gate.open {
            gate = opened.wait(gate).unwrap();
        }
        gate.held -= 1;
        drop(gate);
        std::thread::sleep(Duration::from_millis(200));
        response::OK
    }
}

struct GatedSink {
    port: u16,
    gate: Arc<(Mutex<Gate>, Condvar)>,
}

impl GatedSink {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let gate = Arc::new((Mutex::new(Gate::default()), Condvar::new()));
        let mut server = SmtpServer::new(GatedHandler {
            gate: gate.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("slow.test")
            .with_num_threads(80)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        GatedSink { port, gate }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn held(&self) -> usize {
        self.gate.0.lock().unwrap().held
    }

    fn received(&self) -> Vec<Received> {
        self.gate.0.lock().unwrap().received.clone()
    }

    fn open(&self) {
        self.gate.0.lock().unwrap().open = true;
        self.gate.1.notify_all();
    }
}

impl Drop for GatedSink {
    /// Releases held connections so the server's threads can end.
    fn drop(&mut self) {
        self.open();
    }
}

/// Waits until `check` holds, or fails with `what` and the instances' logs.
async fn wait_for(what: &str, logs: &[&Instance], mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        let logs: Vec<String> = logs.iter().map(|i| i.log_text()).collect();
        assert!(
            Instant::now() < deadline,
            "{what}\n{}",
            logs.join("\n---\n")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_instance_killed_mid_send_loses_nothing() {
    if skipped_on_sqlite("an_instance_killed_mid_send_loses_nothing") {
        return;
    }
    let app = TestApp::spawn().await;
    let today = renkei::calendar::today(Utc::now());
    let owners = overdue_world(&app, 40, 1, today).await;
    let expected = owners.len();
    let smtp = GatedSink::start();
    let dir = every_second_jobs();
    let jobs = dir.path().join("jobs");

    // A queues everything and its first sends hang at the server.
    let mut a = Instance::start(&app.db_url, &jobs, &smtp.url(), "a").await;
    wait_for("A queues and starts sending", &[&a], async || {
        let sending = outbox_by_state(&app.db)
            .await
            .get("sending")
            .map_or(0, Vec::len);
        sending > 0 && smtp.held() == sending
    })
    .await;
    let in_flight_at_a: HashSet<String> = outbox_by_state(&app.db).await["sending"]
        .iter()
        .cloned()
        .collect();
    assert_eq!(app.count("outbox").await, expected as i64);

    // B starts, runs the job (nothing new to queue) and claims other
    // messages: theirs hang too.
    let b = Instance::start(&app.db_url, &jobs, &smtp.url(), "b").await;
    wait_for("B claims messages A does not hold", &[&a, &b], async || {
        smtp.held() > in_flight_at_a.len()
    })
    .await;
    let in_flight = outbox_by_state(&app.db).await["sending"].clone();
    assert!(
        in_flight_at_a.iter().all(|m| in_flight.contains(m)),
        "A's messages are still leased to A"
    );

    // A dies mid-send; the server lets everything through from now on.
    a.kill();
    smtp.open();

    // B sends the rest, then A's messages once their lease (15 s) runs out.
    wait_for("B delivers everything", &[&b], async || {
        let states = outbox_by_state(&app.db).await;
        states.get("sent").map_or(0, Vec::len) == expected
    })
    .await;
    let received = smtp.received();
    let tally = tally(&received);
    let queued: HashSet<String> = outbox_by_state(&app.db).await["sent"]
        .iter()
        .cloned()
        .collect();
    assert_eq!(queued.len(), expected, "every message is marked sent");
    assert_eq!(
        tally.keys().cloned().collect::<HashSet<_>>(),
        queued,
        "every digest arrived, and nothing else did"
    );
    // SMTP is at-least-once at the kill boundary: the server had A's
    // messages, but A died before recording that, so B sent them again when
    // their lease ran out. Only those can come twice; their Message-ID is
    // the one fixed at queue time, so mail clients show them once.
    let twice: HashSet<String> = tally
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        twice.is_subset(&in_flight_at_a),
        "duplicates only for what A had in flight: {twice:?}"
    );
    assert!(tally.values().all(|n| *n <= 2), "{tally:?}");
    let resent: Vec<(String, i64)> =
        sqlx::query_as("SELECT message_id, attempts FROM outbox WHERE attempts > 1")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(
        resent
            .iter()
            .all(|(id, n)| *n == 2 && in_flight_at_a.contains(id)),
        "only A's messages were claimed again: {resent:?}"
    );
    assert_eq!(resent.len(), in_flight_at_a.len());
    eprintln!(
        "{expected} digests; {} in flight at A when killed, {} received twice",
        in_flight_at_a.len(),
        twice.len()
    );
    drop(b);
}

#[tokio::test]
async fn connections_the_database_cut_are_replaced_without_an_error() {
    // The pool skips the ping before a query under load; a connection idle
    // for a second is checked, so one cut meanwhile (a restart, a firewall)
    // is replaced instead of failing a request.
    if skipped_on_sqlite("connections_the_database_cut_are_replaced_without_an_error") {
        return;
    }
    let app = TestApp::spawn().await;
    let held: Vec<_> = pool_connections(&app.db, 4).await;
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
        .await
        .unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(cut >= 4, "the pool's idle connections: {cut}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for _ in 0..16 {
        let r = app.get("/api/topics").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

/// `n` connections taken from the pool at once (so it opens that many).
async fn pool_connections(db: &Db, n: usize) -> Vec<sqlx::pool::PoolConnection<sqlx::Any>> {
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(db.pool.acquire().await.unwrap());
    }
    held
}
