//! One wiring (`app::build`): the job files are read once at start; the
//! pages and the API show the loaded set, and `/jobs` says when the disk
//! has changed since.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use crate::support::{NOW, TestApp};

/// An app whose `jobs/` is a copy the test may edit.
async fn app_with_jobs_copy() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        "jobs/overdue-evaluations.toml",
        dir.path().join("overdue-evaluations.toml"),
    )
    .expect("copy job file");
    let jobs_dir = dir.path().to_path_buf();
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let app = TestApp::spawn_configured(now, true, |c| c.jobs_dir = jobs_dir).await;
    (app, dir)
}

#[tokio::test]
async fn jobs_are_loaded_once_and_the_jobs_page_says_when_the_disk_differs() {
    let (app, dir) = app_with_jobs_copy().await;
    let (status, page) = app.page("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("起動時から変わっています"), "{page}");
    let m = app.get("/api/municipalities").await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let settings = format!("/api/municipalities/{m}/reminder-settings");
    assert_eq!(app.get(&settings).await.body["repeat_interval_days"], 7);

    // Edited on disk while running: what runs (and what the settings show)
    // is still the loaded file until a restart.
    let file = dir.path().join("overdue-evaluations.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("repeat_interval_days = 7", "repeat_interval_days = 3"),
    )
    .unwrap();
    std::fs::write(dir.path().join("extra.toml"), "name = \"x\"").unwrap();
    let (_, page) = app.page("/jobs").await;
    assert!(page.contains("起動時から変わっています"), "{page}");
    assert!(
        page.contains("overdue-evaluations.toml: 変更されています"),
        "{page}"
    );
    assert!(page.contains("extra.toml: 追加されています"), "{page}");
    assert_eq!(app.get(&settings).await.body["repeat_interval_days"], 7);

    std::fs::remove_file(&file).unwrap();
    let (_, page) = app.page("/jobs").await;
    assert!(
        page.contains("overdue-evaluations.toml: 削除されています"),
        "{page}"
    );
    assert!(
        page.contains("0 0 9 * * *"),
        "the loaded job is still listed: {page}"
    );
    assert_eq!(app.get(&settings).await.body["repeat_interval_days"], 7);
}

#[tokio::test]
async fn a_bad_job_file_stops_the_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("broken.toml"), "name = ").unwrap();
    let mut config = renkei::config::Config::for_database("sqlite::memory:");
    config.jobs_dir = dir.path().to_path_buf();
    let err = renkei::app::build(
        config,
        renkei::app::Options::at(renkei::clock::Clock::Fixed(NOW.parse().unwrap())),
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("broken.toml"), "{err}");
}
