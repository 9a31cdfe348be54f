#![allow(dead_code)] // not every test module uses every helper
//! Boots the real app per test: its own fresh database (see
//! [`TestDatabase`]), port 0, a fixed clock (2026-11-24 12:00 JST), and a
//! reqwest client.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use renkei::accounts::Role;
use renkei::accounts::store::{self as accounts, NewAccount};
use renkei::app::{self, Running};
use renkei::clock::Clock;
use renkei::config::Config;
use renkei::db::Db;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The fixed "now" of every test: 2026-11-24 12:00 in Tokyo.
pub const NOW: &str = "2026-11-24T03:00:00Z";

pub fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

/// What [`TestApp::two_cities`] made.
pub struct TwoCities {
    /// 大阪市 and its wards, in the order given.
    pub osaka: i64,
    pub wards: Vec<i64>,
    /// 堺市 and its one ward, 堺区.
    pub sakai_city: i64,
    pub sakai: i64,
}

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// The database's URL, for a second process or pool on the same data.
    pub db_url: String,
    running: Option<Running>,
    // Last: the database outlives the server and the pool that use it.
    database: TestDatabase,
}

/// The database a test runs on, chosen for the whole run by
/// `RENKEI_TEST_DATABASE`:
/// - `sqlite` (the default): a new file in a temp dir, removed with it;
/// - `postgres`: a new database `renkei_test_<run>_<random>` on the server of
///   `RENKEI_TEST_POSTGRES_URL` (default: what `scripts/postgres.sh` sets up),
///   created through that URL's connection and dropped when the test ends
///   (`scripts/test.sh` drops any a crashed run left behind).
///
/// A database per test keeps the tests independent and parallel, as on SQLite.
pub struct TestDatabase {
    pub url: String,
    kind: TestDatabaseKind,
}

enum TestDatabaseKind {
    Sqlite {
        path: std::path::PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

/// The server `scripts/postgres.sh` starts, with the role it creates.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://renkei:renkei@127.0.0.1:5432/renkei";

/// Whether this run's tests use PostgreSQL (`RENKEI_TEST_DATABASE=postgres`).
pub fn on_postgres() -> bool {
    match std::env::var("RENKEI_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("RENKEI_TEST_DATABASE={other:?}: use sqlite or postgres"),
    }
}

impl TestDatabase {
    /// A new, empty database (not migrated).
    pub async fn create() -> TestDatabase {
        if !on_postgres() {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("renkei.db");
            return TestDatabase {
                url: format!("sqlite://{}", path.display()),
                kind: TestDatabaseKind::Sqlite { path, _dir: dir },
            };
        }
        use sqlx::Connection;
        let admin_url = std::env::var("RENKEI_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).expect("random bytes");
        // The run's id (scripts/test.sh) lets it drop what this run left.
        let run = std::env::var("RENKEI_TEST_RUN")
            .ok()
            .filter(|r| r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .unwrap_or_else(|| "manual".into());
        let name = format!("renkei_test_{run}_{:016x}", u64::from_le_bytes(random));
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot reach PostgreSQL at {admin_url} ({e}); \
                     start it with `bash scripts/postgres.sh`"
                )
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        // Same server and credentials, the new database's name as the path.
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (admin_url.as_str(), String::new()),
        };
        let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
        TestDatabase {
            url: format!("{server}/{name}{query}"),
            kind: TestDatabaseKind::Postgres { admin_url, name },
        }
    }

    /// The SQLite file, when the run is on SQLite.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.kind {
            TestDatabaseKind::Sqlite { path, .. } => Some(path),
            TestDatabaseKind::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabaseKind::Postgres { admin_url, name } = &self.kind else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // a thread with its own runtime does the async work. FORCE ends the
        // connections the app's pool may still hold.
        let (admin_url, sql) = (
            admin_url.clone(),
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A response: status, content type and JSON body (Null when not JSON).
pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// Reads a response whole: status, content type, text and JSON body.
    pub async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            body,
            text,
        }
    }
}

impl TestApp {
    /// A new app on an empty database (catalogues only).
    pub async fn spawn() -> TestApp {
        Self::spawn_at(NOW.parse().unwrap(), false).await
    }

    /// A new app with the demo data loaded.
    pub async fn spawn_with_demo() -> TestApp {
        Self::spawn_at(NOW.parse().unwrap(), true).await
    }

    pub async fn spawn_at(now: DateTime<Utc>, demo: bool) -> TestApp {
        Self::spawn_configured(now, demo, |_| {}).await
    }

    /// A new app with some settings changed (e.g. the SMTP server).
    pub async fn spawn_configured(
        now: DateTime<Utc>,
        demo: bool,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let database = TestDatabase::create().await;
        let url = database.url.clone();
        let mut config = Config::for_database(url.clone());
        configure(&mut config);
        let options = app::Options {
            demo: if demo {
                app::Demo::Data
            } else {
                app::Demo::Off
            },
            ..app::Options::at(Clock::Fixed(now))
        };
        let built = app::build(config, options).await.expect("start app");
        let (db, running) = (built.state.db, built.server);
        // By default the tests act as the installation's operator, through
        // an API token (no CSRF: bearer requests carry no ambient credential).
        let token = operator_token(&db).await;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .default_headers(headers)
            .build()
            .unwrap();
        TestApp {
            base_url: running.base_url(),
            client,
            db,
            db_url: url,
            running: Some(running),
            database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        Resp::read(resp).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.request(Method::DELETE, path, None).await
    }

    /// Posts an HTML form (URL-encoded) and returns the raw response (redirects not followed).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("form post")
    }

    /// GETs an HTML page and returns status and body text.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let resp = self.client.get(self.url(path)).send().await.expect("page");
        let status = resp.status();
        (status, resp.text().await.expect("page body"))
    }

    /// A page as the holder of an API `token` sees it (bearer tokens work on
    /// pages too); no redirects are followed.
    pub async fn page_as(&self, token: &str, path: &str) -> (StatusCode, String) {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let resp = client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("page");
        let status = resp.status();
        (status, resp.text().await.expect("page body"))
    }

    /// A city account of the municipality of `ward_id` that signs in with
    /// `email` and `password`; returns the municipality's id.
    pub async fn city_account_with_password(
        &self,
        ward_id: i64,
        email: &str,
        password: &str,
    ) -> i64 {
        let m = self.get(&format!("/api/wards/{ward_id}")).await.body["municipality_id"]
            .as_i64()
            .unwrap();
        let hash = renkei::accounts::secret::hash_password(password.into())
            .await
            .unwrap();
        renkei::accounts::store::create(
            &self.db,
            &renkei::accounts::store::NewAccount {
                email: email.into(),
                display_name: String::new(),
                role: renkei::accounts::Role::City,
                municipality_id: Some(m),
                ward_id: None,
                member_id: None,
                password_hash: Some(hash),
            },
            None,
            NOW.parse().unwrap(),
        )
        .await
        .unwrap();
        m
    }

    /// Creates a municipality with the given wards; returns the ward ids in order.
    pub async fn municipality_with_wards(&self, name: &str, wards: &[&str]) -> Vec<i64> {
        let r = self
            .post(
                "/api/municipalities",
                serde_json::json!({ "name": name, "wards": wards }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        let list = self.get(&format!("/api/wards?municipality_id={id}")).await;
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_i64().unwrap())
            .collect()
    }

    /// 大阪市 with `wards` and 堺市 with 堺区: the two municipalities the
    /// analytics' tests compare within and keep apart.
    pub async fn two_cities(&self, wards: &[&str]) -> TwoCities {
        let wards = self.municipality_with_wards("大阪市", wards).await;
        let sakai = self.municipality_with_wards("堺市", &["堺区"]).await[0];
        TwoCities {
            osaka: self.municipality_of(wards[0]).await,
            sakai_city: self.municipality_of(sakai).await,
            wards,
            sakai,
        }
    }

    /// The municipality of a ward.
    pub async fn municipality_of(&self, ward_id: i64) -> i64 {
        let r = self.get(&format!("/api/wards/{ward_id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["municipality_id"].as_i64().expect("municipality_id")
    }

    /// The status of a GET of `path` with an API token (no redirect followed).
    pub async fn status_as(&self, token: &str, path: &str) -> StatusCode {
        self.page_as(token, path).await.0
    }

    /// Adds a member to a ward; returns its id.
    pub async fn member(&self, ward_id: i64, name: &str) -> i64 {
        let r = self
            .post(
                &format!("/api/wards/{ward_id}/members"),
                serde_json::json!({ "name": name, "organization": "テスト医師会", "organization_kind": "医師会", "email": "test@example.jp" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// Counts rows of a table, straight from the database.
    pub async fn count(&self, table: &'static str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}

/// The default test identity: an operator account and its token, inserted
/// as fixture rows (so they leave no audit rows for the tests that count them).
async fn operator_token(db: &Db) -> String {
    let token = "rk_test_operator_token".to_string();
    sqlx::query(
        "INSERT INTO accounts (email, role, created_at) VALUES ('operator@example.jp', 'admin', '2026-01-01T00:00:00Z')",
    )
    .execute(&db.pool)
    .await
    .expect("operator account");
    sqlx::query(
        "INSERT INTO api_tokens (account_id, name, token_hash, created_at) \
         SELECT id, 'tests', $1, '2026-01-01T00:00:00Z' FROM accounts WHERE email = 'operator@example.jp'",
    )
    .bind(renkei::accounts::secret::token_hash(&token))
    .execute(&db.pool)
    .await
    .expect("operator token");
    token
}

/// Creates an account (no password) and an API token for it; returns the token.
pub async fn create_account_token(
    db: &Db,
    email: &str,
    role: Role,
    municipality_id: Option<i64>,
    ward_id: Option<i64>,
    now: DateTime<Utc>,
) -> String {
    let id = accounts::create(
        db,
        &NewAccount {
            email: email.into(),
            display_name: String::new(),
            role,
            municipality_id,
            ward_id,
            member_id: None,
            password_hash: None,
        },
        None,
        now,
    )
    .await
    .expect("create account");
    accounts::create_token(db, id, "tests", None, now)
        .await
        .expect("create token")
        .1
}

// ---------------------------------------------------------------------------
// Helpers for the JSON API tests.

/// Asserts an RFC 9457 problem response: the status, the content type, and a
/// body carrying the same `status` and a Japanese `detail`.
pub fn assert_problem(r: &Resp, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "content type {:?} for {}",
        r.content_type,
        r.text
    );
    assert_eq!(r.body["status"], status, "{}", r.text);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.chars().any(|c| c > '\u{3000}'),
        "detail is not Japanese: {}",
        r.text
    );
}

/// The `field` of each entry of a problem's `errors`, in order.
pub fn error_fields(r: &Resp) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl TestApp {
    /// A second server on this test's database whose clock reads `now`
    /// (RFC 3339), so the changes made through it are recorded at that instant.
    pub async fn server_at(&self, now: &str) -> Running {
        app::build(
            Config::for_database(self.db_url.clone()),
            app::Options::at(Clock::Fixed(now.parse().unwrap())),
        )
        .await
        .expect("start server")
        .server
    }

    /// Sends `body` to `server` (see [`TestApp::server_at`]) as the test's
    /// admin; asserts success and returns the answer.
    pub async fn send_to(
        &self,
        server: &Running,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let r = self
            .client
            .request(method, format!("{}{path}", server.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }
}

impl TestApp {
    /// Records a meeting; returns its id.
    pub async fn meeting(&self, ward_id: i64, held_on: &str, topics: &[i64]) -> i64 {
        let r = self
            .post(
                &format!("/api/wards/{ward_id}/meetings"),
                serde_json::json!({ "held_on": held_on, "title": format!("推進会議 {held_on}"), "kind": "推進会議", "topics": topics }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// Records a countermeasure (stage 未具体化); returns its id.
    pub async fn countermeasure(&self, ward_id: i64, topic: i64, title: &str) -> i64 {
        let r = self
            .post(
                &format!("/api/wards/{ward_id}/countermeasures"),
                serde_json::json!({ "topic": topic, "title": title }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// Moves a countermeasure; returns the response, whatever it is.
    pub async fn transition(&self, id: i64, body: Value) -> Resp {
        self.post(&format!("/api/countermeasures/{id}/transitions"), body)
            .await
    }

    /// Records a countermeasure and plans it (具体化) with this owner and due date.
    pub async fn planned_countermeasure(
        &self,
        ward_id: i64,
        topic: i64,
        owner: i64,
        due: &str,
    ) -> i64 {
        let id = self
            .countermeasure(ward_id, topic, "具体化する対応策")
            .await;
        let r = self
            .transition(
                id,
                serde_json::json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": due }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        id
    }

    /// Row counts of the tables every write touches, to show a rejected
    /// request left them alone.
    pub async fn counts(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        for table in [
            "municipalities",
            "wards",
            "members",
            "meetings",
            "meeting_topics",
            "meeting_attendees",
            "countermeasures",
            "countermeasure_events",
            "audit_log",
        ] {
            out.push((table, self.count(table).await));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Reminders: a real SMTP server (mailin-embedded) and job helpers.

use std::sync::Mutex;

use mailin_embedded::{Handler, Response as SmtpResponse, Server as SmtpServer, response};

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// RCPT TO addresses.
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }
}

#[derive(Default)]
struct SinkState {
    received: Vec<Received>,
    /// Answer 451 to every MAIL FROM (the server is "down" with 4xx).
    tempfail: bool,
    /// Answer 550 to RCPT TO for these addresses.
    reject: Vec<String>,
    /// Wait this long before accepting each message (a slow server).
    delay: std::time::Duration,
}

#[derive(Clone)]
struct SinkHandler {
    state: Arc<Mutex<SinkState>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for SinkHandler {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> SmtpResponse {
        self.to.clear();
        self.data.clear();
        if self.state.lock().unwrap().tempfail {
            response::INTERNAL_ERROR
        } else {
            response::OK
        }
    }

    fn rcpt(&mut self, to: &str) -> SmtpResponse {
        if self.state.lock().unwrap().reject.iter().any(|r| r == to) {
            return response::NO_MAILBOX;
        }
        self.to.push(to.to_string());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> SmtpResponse {
        let delay = self.state.lock().unwrap().delay;
        std::thread::sleep(delay);
        let msg = Received {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        };
        self.state.lock().unwrap().received.push(msg);
        response::OK
    }
}

/// A real SMTP server on a loopback port, on its own thread.
pub struct SmtpSink {
    pub port: u16,
    state: Arc<Mutex<SinkState>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Self::serve(listener)
    }

    /// Starts on a given port (one that a [`free_port`] reserved earlier).
    pub fn start_on(port: u16) -> SmtpSink {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        Self::serve(listener)
    }

    fn serve(listener: std::net::TcpListener) -> SmtpSink {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(SinkState::default()));
        let handler = SinkHandler {
            state: state.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = SmtpServer::new(handler);
        server
            .with_name("sink.test")
            .with_num_threads(20)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpSink { port, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Messages addressed to `addr`.
    pub fn to(&self, addr: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == addr))
            .collect()
    }

    pub fn set_tempfail(&self, on: bool) {
        self.state.lock().unwrap().tempfail = on;
    }

    pub fn reject(&self, addr: &str) {
        self.state.lock().unwrap().reject.push(addr.to_string());
    }

    /// Takes mail for `addr` again (the mailbox was fixed on the server).
    pub fn accept(&self, addr: &str) {
        self.state.lock().unwrap().reject.retain(|r| r != addr);
    }

    /// Takes `delay` to accept each message from now on.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.state.lock().unwrap().delay = delay;
    }
}

/// A loopback port nothing listens on (connections are refused) until a
/// server is started on it.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The overdue-evaluation job as the repository's `jobs/` file defines it,
/// with these parameters.
pub fn overdue_job(
    days_before_due: i64,
    repeat_interval_days: i64,
    escalation_after_days: i64,
    max_attempts: i64,
) -> renkei::reminders::jobs::Job {
    let jobs = renkei::reminders::jobs::load_dir(std::path::Path::new("jobs")).expect("jobs/");
    let mut job = jobs
        .into_iter()
        .find(|j| j.name == "overdue-evaluations")
        .expect("jobs/overdue-evaluations.toml");
    job.params = renkei::reminders::Params {
        days_before_due,
        repeat_interval_days,
        escalation_after_days,
        max_attempts,
    };
    job
}

impl TestApp {
    /// Adds a member with this e-mail address; returns its id.
    pub async fn member_with_email(&self, ward_id: i64, name: &str, email: &str) -> i64 {
        let r = self
            .post(
                &format!("/api/wards/{ward_id}/members"),
                serde_json::json!({ "name": name, "organization": "テスト医師会", "organization_kind": "医師会", "email": email }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// Records a planned (具体化) countermeasure with this title.
    pub async fn planned(
        &self,
        ward_id: i64,
        topic: i64,
        title: &str,
        owner: i64,
        due: &str,
    ) -> i64 {
        let id = self.countermeasure(ward_id, topic, title).await;
        let r = self
            .transition(
                id,
                serde_json::json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": due }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        id
    }

    /// Sets a ward's secretariat address through the API.
    pub async fn set_secretariat(&self, ward_id: i64, email: &str) {
        let r = self
            .patch(
                &format!("/api/wards/{ward_id}"),
                serde_json::json!({ "secretariat_email": email }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    /// One pass of the overdue job at `now` (today = its Tokyo date).
    pub async fn run_job(
        &self,
        job: &renkei::reminders::jobs::Job,
        now: DateTime<Utc>,
    ) -> renkei::reminders::jobs::RunReport {
        renkei::reminders::jobs::run_job_once(
            &self.db,
            job,
            "https://renkei.example.jp",
            renkei::calendar::today(now),
            now,
            false,
        )
        .await
        .expect("job run")
    }

    /// A reminder message of ward `ward_id` in `state`, written straight
    /// into the outbox (no items, no SMTP): a record for the access tests.
    pub async fn outbox_message(&self, ward_id: i64, state: &str) -> i64 {
        let n: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM outbox")
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
        sqlx::query_scalar(
            "INSERT INTO outbox (idempotency_key, message_id, job, recipient_kind, ward_id, \
                 recipient, subject, body_text, body_html, state, attempts, max_attempts, \
                 next_attempt_at, reminder_date, created_at) \
             VALUES ($1, $2, 'overdue-evaluations', 'secretariat', $3, 'jimu@example.jp', \
                 '件名', '本文', '<p>本文</p>', $4, 1, 5, $5, '2026-11-24', $5) RETURNING id",
        )
        .bind(format!("test|{n}"))
        .bind(format!("<test.{n}@renkei.example.jp>"))
        .bind(ward_id)
        .bind(state)
        .bind(NOW)
        .fetch_one(&self.db.pool)
        .await
        .unwrap()
    }

    /// Outbox states by id order.
    pub async fn outbox_states(&self) -> Vec<(String, i64)> {
        sqlx::query_as::<_, (String, i64)>("SELECT state, attempts FROM outbox ORDER BY id")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }
}

pub fn mailer(smtp_url: &str) -> renkei::mail::Mailer {
    renkei::mail::Mailer::new(smtp_url, "renkei <renkei@example.jp>").expect("mailer")
}

// ---------------------------------------------------------------------------
// Survey and report (issue 5): the 24 wards of the seed's 資料1.

/// 平成29年10月5日 12:00 JST: after 平成29年度上半期, when the city collects it.
pub const AFTER_2017H1: &str = "2017-10-05T03:00:00Z";

/// The answers of ward `i` (0–23) to the 平成29年度上半期 survey, consistent
/// with the seed's 資料1 (see `renkei::survey::sample`).
pub fn seed_answers(i: usize) -> Value {
    renkei::survey::sample::answers(i, renkei::calendar::Period::parse("2017H1").unwrap())
}

impl TestApp {
    /// A municipality with the 24 wards; returns their ids in order.
    pub async fn osaka(&self) -> Vec<i64> {
        self.municipality_with_wards("大阪市", &renkei::demo::OSAKA_WARDS)
            .await
    }

    /// Saves a ward's answers as a draft and asserts it worked.
    pub async fn save_survey(&self, ward_id: i64, period: &str, answers: Value) -> Resp {
        let r = self
            .request(
                Method::PUT,
                &format!("/api/wards/{ward_id}/surveys/{period}"),
                Some(answers),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r
    }

    /// Saves and submits a ward's answers.
    pub async fn submit_survey(&self, ward_id: i64, period: &str, answers: Value) -> Resp {
        self.save_survey(ward_id, period, answers).await;
        let r = self
            .post(
                &format!("/api/wards/{ward_id}/surveys/{period}/submit"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r
    }

    /// The 24 wards with the seed's answers for 2017H1, all submitted.
    pub async fn seed_2017h1(&self) -> Vec<i64> {
        let wards = self.osaka().await;
        for (i, w) in wards.iter().enumerate() {
            self.submit_survey(*w, "2017H1", seed_answers(i)).await;
        }
        wards
    }

    /// GET returning the raw bytes and headers (CSV downloads).
    pub async fn download(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("download");
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.expect("bytes").to_vec())
    }
}

impl TestApp {
    /// POSTs a file body (a CSV upload) and reads the JSON answer.
    pub async fn post_bytes(&self, path: &str, bytes: Vec<u8>) -> Resp {
        let resp = self
            .client
            .post(self.url(path))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .expect("upload");
        Resp::read(resp).await
    }
}
