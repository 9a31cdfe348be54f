//! Benchmark: the overdue scan, queueing reminders, and sending them to a
//! local SMTP sink.
//!
//! `cargo run --release --example bench_reminders [-- COUNT [TOTAL]]`
//!
//! Builds a database with COUNT members (default 10,000), each owning one
//! overdue countermeasure, among TOTAL countermeasures (default COUNT; the
//! others split between 未具体化, 評価改善 and 具体化 due next year), starts an
//! in-process SMTP sink (mailin-embedded) on a loopback port, then times the
//! overdue scan (`reminders::store::candidates`), one job pass (compute,
//! render and queue every digest in one transaction) and the sender
//! draining the outbox over SMTP (skipped with `BENCH_SEND=0`).
//!
//! The database is a temporary SQLite file, or `BENCH_DATABASE_URL` (an
//! empty PostgreSQL database, e.g.). When that database already holds data
//! (the national dataset of `renkei seed`), nothing is added: the scan and
//! a dry run of the job are timed on it.
//!
//! Targets: the scan over 500,000 countermeasures under 1 s, queueing
//! 100,000 reminders under 30 s (`-- 100000 500000`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use mailin_embedded::{Handler, Response, Server, response};
use renkei::db::Db;
use renkei::mail::Mailer;
use renkei::reminders::jobs::{self, Job};
use renkei::reminders::sender::send_pending_once;

#[derive(Clone)]
struct Count(Arc<AtomicUsize>);

impl Handler for Count {
    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 10_000,
    };
    let total: usize = match std::env::args().nth(2) {
        Some(n) => n.parse()?,
        None => count,
    };
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = Db::connect(&url, 4).await?;
    db.migrate().await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM countermeasures")
        .fetch_one(&db.pool)
        .await?;
    if existing > 0 {
        return scan_existing(&db, existing).await;
    }

    let received = Arc::new(AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let mut server = Server::new(Count(received.clone()));
    server.with_tcp_listener(listener).with_num_threads(32);
    std::thread::spawn(move || {
        let _ = server.serve();
    });

    let now: chrono::DateTime<chrono::Utc> = "2026-11-24T00:00:00Z".parse()?;
    let setup = Instant::now();
    seed(&db, count, total).await?;
    println!(
        "seeded {count} members and {total} countermeasures ({count} overdue) in {:.1?}",
        setup.elapsed()
    );

    let scan = Instant::now();
    let today = renkei::calendar::today(now);
    let (candidates, _) = jobs::overdue_scan(&db, bench_job()?.params, today).await?;
    println!(
        "overdue scan: {} candidates of {total} countermeasures in {:.1?}",
        candidates.len(),
        scan.elapsed()
    );

    let job = bench_job()?;
    let started = Instant::now();
    let report = jobs::run_job_once(
        &db,
        &job,
        "https://renkei.example.jp",
        renkei::calendar::today(now),
        now,
        false,
    )
    .await?;
    let queued_in = started.elapsed();
    if std::env::var("BENCH_SEND").as_deref() == Ok("0") {
        println!(
            "queued {} in {queued_in:.1?}; not sent (BENCH_SEND=0)",
            report.queued
        );
        // The next passes read every item's schedule from `outbox_items`:
        // the messages count as sent, then the job runs the next day (owes
        // nothing) and a week later (owes every item again).
        sqlx::query("UPDATE outbox SET state = 'sent'")
            .execute(&db.pool)
            .await?;
        for days in [1, 7] {
            let later = now + chrono::TimeDelta::days(days);
            let started = Instant::now();
            let again = jobs::run_job_once(
                &db,
                &job,
                "https://renkei.example.jp",
                renkei::calendar::today(later),
                later,
                false,
            )
            .await?;
            println!(
                "day +{days}: {} item schedules read, queued {} in {:.1?}",
                report.queued,
                again.queued,
                started.elapsed()
            );
        }
        return Ok(());
    }
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{port}"), "renkei@example.jp")?;
    let sent = send_pending_once(&db, &mailer, now).await?;
    let total = started.elapsed();
    println!(
        "queued {} in {queued_in:.1?}; sent {} (failed {}, retrying {}); the sink received {}",
        report.queued,
        sent.sent,
        sent.failed,
        sent.retrying,
        received.load(Ordering::Relaxed)
    );
    println!(
        "total {total:.1?} ({:.0} messages/s)",
        sent.sent as f64 / total.as_secs_f64()
    );
    Ok(())
}

fn bench_job() -> anyhow::Result<Job> {
    let text = r#"
name = "overdue-evaluations"
cron = "0 0 9 * * *"
time_zone = "Asia/Tokyo"
enabled = true
[parameters]
days_before_due = 7
repeat_interval_days = 7
escalation_after_days = 365
max_attempts = 3
"#;
    Ok(jobs::parse_job(
        std::path::Path::new("overdue-evaluations.toml"),
        text,
    )?)
}

/// The scan and a dry run of the job on data already there.
async fn scan_existing(db: &Db, existing: i64) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let today = renkei::calendar::today(now);
    for _ in 0..3 {
        let scan = Instant::now();
        let (candidates, _) = jobs::overdue_scan(db, bench_job()?.params, today).await?;
        println!(
            "overdue scan: {} candidates of {existing} countermeasures in {:.1?}",
            candidates.len(),
            scan.elapsed()
        );
    }
    let started = Instant::now();
    let report = jobs::run_job_once(
        db,
        &bench_job()?,
        "https://renkei.example.jp",
        today,
        now,
        true,
    )
    .await?;
    println!(
        "dry run of the job (scan, plan, render, check keys): {} digests in {:.1?}",
        report.owed.len(),
        started.elapsed()
    );
    Ok(())
}

/// Members and countermeasures as multi-row INSERTs in one transaction
/// (setting up is not what is measured).
async fn seed(db: &Db, count: usize, total: usize) -> anyhow::Result<()> {
    use renkei::seed::{COUNTERMEASURES, Loader, MEMBERS, Sink, Value};
    let ts = "2026-01-01T00:00:00Z";
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO municipalities (id, name, created_at) VALUES (1, 'ベンチ市', $1)")
        .bind(ts)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO wards (id, municipality_id, name, created_at) VALUES (1, 1, 'ベンチ区', $1)",
    )
    .bind(ts)
    .execute(&mut *tx)
    .await?;
    let mut loader = Loader::new(tx, db.dialect);
    for i in 1..=count as i64 {
        loader
            .push(
                MEMBERS,
                vec![
                    i.into(),
                    Value::Int(1),
                    format!("委員{i}").into(),
                    "ベンチ医師会".into(),
                    "医師会".into(),
                    format!("member{i}@bench.example.jp").into(),
                    Value::Int(1),
                    ts.into(),
                    ts.into(),
                ],
            )
            .await?;
    }
    for i in 1..=total.max(count) as i64 {
        let overdue = i <= count as i64;
        let (stage, owner, due) = match (overdue, i % 3) {
            (true, _) => ("具体化", Some(i), Some("2026-11-01")),
            (false, 0) => (
                "具体化",
                Some(1 + i % count.max(1) as i64),
                Some("2027-11-01"),
            ),
            (false, 1) => (
                "評価改善",
                Some(1 + i % count.max(1) as i64),
                Some("2026-06-01"),
            ),
            (false, _) => ("未具体化", None, None),
        };
        let text = |s: &str| Value::Text(s.to_string());
        loader
            .push(
                COUNTERMEASURES,
                vec![
                    i.into(),
                    Value::Int(1),
                    Value::Int(3),
                    Value::NullText,
                    format!("対応策{i}").into(),
                    text(""),
                    text(""),
                    owner.into(),
                    due.map(str::to_string).into(),
                    Value::NullInt,
                    text(stage),
                    (stage == "評価改善").then(|| "評価".to_string()).into(),
                    (stage == "評価改善").then(|| "改善".to_string()).into(),
                    Value::Int(0),
                    text(ts),
                    text(ts),
                ],
            )
            .await?;
    }
    loader.commit().await?;
    Ok(())
}
