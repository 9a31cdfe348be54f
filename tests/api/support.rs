#![allow(dead_code)] // not every test module uses every helper
//! Boots the real app per test: its own SQLite file in a temp dir, port 0,
//! a fixed clock (2026-11-24 12:00 JST), and a reqwest client.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use renkei::app::{self, AppState, Clock, Running};
use renkei::config::Config;
use renkei::db::Db;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The fixed "now" of every test: 2026-11-24 12:00 in Tokyo.
pub const NOW: &str = "2026-11-24T03:00:00Z";

pub fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub db_path: std::path::PathBuf,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

/// A response: status, content type and JSON body (Null when not JSON).
pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
    pub text: String,
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
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("renkei.db");
        let url = format!("sqlite://{}", db_path.display());
        let config = Config::for_database(url.clone());
        let db = Db::connect(&url, 8).await.expect("open database");
        db.migrate().await.expect("migrate");
        if demo {
            renkei::demo::load_if_empty(&db, now)
                .await
                .expect("demo data");
        }
        let state = AppState {
            db: db.clone(),
            clock: Clock::Fixed(now),
            config: Arc::new(config),
        };
        let running = app::start(state).await.expect("start server");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        TestApp {
            base_url: running.base_url(),
            client,
            db,
            db_path,
            running: Some(running),
            _dir: dir,
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

    /// Counts rows of a table, straight from the database file.
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
