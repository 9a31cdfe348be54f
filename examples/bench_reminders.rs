//! Benchmark: queue and send 10,000 reminders to a local SMTP sink.
//!
//! `cargo run --release --example bench_reminders [-- COUNT]`
//!
//! Builds a temporary SQLite database with COUNT members (default 10,000),
//! each owning one overdue countermeasure, starts an in-process SMTP sink
//! (mailin-embedded) on a loopback port, then times one job pass (compute,
//! render and queue every digest in one transaction) and the sender
//! draining the outbox over SMTP. Target: under 60 s on a 2-core machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use mailin_embedded::{Handler, Response, Server, response};
use renkei::db::Db;
use renkei::reminders::jobs::{self, Job};
use renkei::reminders::sender::{Mailer, send_pending_once};

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
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url, 4).await?;
    db.migrate().await?;

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
    seed(&db, count).await?;
    println!(
        "seeded {count} members and countermeasures in {:.1?}",
        setup.elapsed()
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

async fn seed(db: &Db, count: usize) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let ts = "2026-01-01T00:00:00Z";
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
    for i in 1..=count as i64 {
        sqlx::query(
            "INSERT INTO members (id, ward_id, name, organization, organization_kind, email, \
                 created_at, updated_at) VALUES ($1, 1, $2, 'ベンチ医師会', '医師会', $3, $4, $4)",
        )
        .bind(i)
        .bind(format!("委員{i}"))
        .bind(format!("member{i}@bench.example.jp"))
        .bind(ts)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO countermeasures (ward_id, topic, title, owner_member_id, \
                 evaluation_due_on, stage, created_at, updated_at) \
             VALUES (1, 3, $1, $2, '2026-11-01', '具体化', $3, $3)",
        )
        .bind(format!("対応策{i}"))
        .bind(i)
        .bind(ts)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
