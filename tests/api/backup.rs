//! `renkei backup PATH`: the real binary copies a live SQLite database while
//! the app serves and writes; a second app booted on the copy finds every row.
//! On PostgreSQL the command names pg_dump and fails.

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use renkei::app;
use renkei::clock::Clock;
use renkei::config::Config;
use renkei::db::Db;
use renkei::state::AppState;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{NOW, TestApp, on_postgres};

fn backup(db_url: &str, path: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("backup")
        .arg(path)
        .env("DATABASE_URL", db_url)
        .output()
        .expect("run renkei backup")
}

/// Every table's row count, by name.
async fn table_counts(db: &Db) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        out.push((t, n));
    }
    out
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_every_row() {
    let app = TestApp::spawn_with_demo().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.db");
    if on_postgres() {
        let out = backup(&app.db_url, &path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(
            stderr.contains("pg_dump --format=custom") && stderr.contains("pg_restore"),
            "{stderr}"
        );
        assert!(!stderr.contains("renkei:renkei@"), "no password: {stderr}");
        assert!(!path.exists());
        return;
    }
    let wards = app.get("/api/wards?limit=100").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_i64().unwrap())
        .collect::<Vec<_>>();
    assert!(wards.len() >= 24, "the demo's wards");
    let ward = wards[0];
    let cm = app.countermeasure(ward, 3, "バックアップ前の対応策").await;
    let before = table_counts(&app.db).await;

    // Members are added through the API all the while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writing = Arc::new(tokio::sync::Notify::new());
    let writer = {
        let (client, url, stop, writing) = (
            app.client.clone(),
            app.url(&format!("/api/wards/{ward}/members")),
            stop.clone(),
            writing.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < 3 {
                let r = client
                    .post(&url)
                    .json(
                        &json!({ "name": format!("書き込み中{n}"), "organization": "医師会",
                                   "organization_kind": "医師会" }),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                writing.notify_one();
                n += 1;
            }
            n
        })
    };
    writing.notified().await;
    let (db_url, target) = (app.db_url.clone(), path.clone());
    let out = tokio::task::spawn_blocking(move || backup(&db_url, &target))
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written to"));
    let after = table_counts(&app.db).await;

    // A second app on the copy.
    let copy = Db::connect(&format!("sqlite://{}", path.display()), 4)
        .await
        .unwrap();
    copy.migrate().await.unwrap();
    let restored = table_counts(&copy).await;
    let names = |c: &[(String, i64)]| c.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(names(&restored), names(&before), "every table");
    // Tables the writer did not touch are identical; those it did hold a
    // state between before and after, whole transactions only: each
    // member came with its audit row, so they moved by the same amount.
    let mut deltas = Vec::new();
    for ((t, b), ((_, r), (_, a))) in before.iter().zip(restored.iter().zip(after.iter())) {
        if a == b {
            assert_eq!(r, b, "{t}: every row");
        } else {
            assert!(b <= r && r <= a, "{t}: {b} ≤ {r} ≤ {a}");
            deltas.push((t.clone(), r - b));
        }
    }
    let touched: Vec<&str> = deltas.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(touched, ["audit_log", "members"], "{deltas:?}");
    assert_eq!(deltas[0].1, deltas[1].1, "consistent: {deltas:?}");
    assert!(written >= 3);

    let state = AppState {
        db: copy.clone(),
        clock: Clock::Fixed(NOW.parse().unwrap()),
        config: Arc::new(Config::for_database(format!("sqlite://{}", path.display()))),
        charts: renkei::charts::Cache::default(),
    };
    let second = app::start(state).await.unwrap();
    // The test's operator token is in the copy too.
    let get = |p: String| {
        let (client, base) = (app.client.clone(), second.base_url());
        async move {
            let r = client.get(format!("{base}{p}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{p}");
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let original = app.get(&format!("/api/wards/{ward}")).await.body;
    assert_eq!(get(format!("/api/wards/{ward}")).await, original);
    let c = get(format!("/api/countermeasures/{cm}")).await;
    assert_eq!(c["title"], "バックアップ前の対応策");
    let listed = get("/api/wards?limit=100".into()).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), wards.len());
    let members = get(format!("/api/wards/{ward}/members?limit=1")).await;
    let in_copy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE ward_id = $1")
        .bind(ward)
        .fetch_one(&copy.pool)
        .await
        .unwrap();
    assert_eq!(members["total"].as_i64().unwrap(), in_copy);
    second.stop().await.unwrap();
    copy.pool.close().await;

    // The copy is never overwritten.
    let len = std::fs::metadata(&path).unwrap().len();
    let again = backup(&app.db_url, &path);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}
