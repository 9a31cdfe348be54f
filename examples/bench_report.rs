//! Benchmark: the half-year report (資料1) over many wards.
//!
//! `cargo run --release --example bench_report [-- WARDS]`
//!
//! Builds a temporary SQLite database with WARDS wards (default: 24, then
//! 1,900), each with a year of records (24 meetings covering topics, 10
//! countermeasures with their history) and a submitted survey, starts the
//! real server on a loopback port and times `GET /report/2017H1` (HTML with
//! every SVG chart) and `GET /api/report/2017H1` (JSON), best of 5.
//! Targets: 24 wards under 50 ms, 1,900 wards under 1 s.
//!
//! `BENCH_DATABASE_URL` runs on that database instead of a temporary SQLite
//! file (e.g. an empty PostgreSQL database, with `-- 1900`). When it already
//! holds wards (the national dataset of `renkei seed`), nothing is seeded but
//! a submitted survey per ward for `BENCH_PERIOD` (default: the half-year
//! before the current one), and the report over every ward is timed there.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use renkei::app;
use renkei::clock::Clock;
use renkei::config::Config;
use renkei::db::Db;
use renkei::state::AppState;
use renkei::survey::{
    Awareness, ConsultationMonth, MapStatus, OfficeAnswers, Organizer, Progress, ResourceMaps,
    SurveyAnswers, Training,
};

fn answers(i: usize) -> SurveyAnswers {
    let p = |k: usize| Progress::ALL[(i + k) % 4];
    SurveyAnswers {
        maps: ResourceMaps {
            professional: Some(MapStatus::ALL[i % 3]),
            public: Some(MapStatus::ALL[(i + 1) % 3]),
        },
        meeting_steps: (0..5).map(p).collect(),
        office: (i % 12 != 11).then(|| OfficeAnswers {
            opened_on: if i.is_multiple_of(2) {
                "2016-08-01"
            } else {
                "2017-04-01"
            }
            .parse()
            .expect("fixed date"),
            seamless: (0..4).map(p).collect(),
            sharing: (0..5).map(p).collect(),
            consultations: (4..=9)
                .map(|m| ConsultationMonth {
                    month: m,
                    by_requester: (0..13).map(|k| ((i + k + m as usize) % 7) as i64).collect(),
                    by_content: (0..5).map(|k| ((i + k) % 5) as i64).collect(),
                })
                .collect(),
        }),
        training: Training {
            sessions: Some((i % 4) as i64),
            planned_this_year: i.is_multiple_of(8),
            organizers: Organizer::ALL.iter().copied().take(i % 6 + 1).collect(),
            reasons: if i.is_multiple_of(4) {
                "他の業務取組み優先".parse().expect("fixed text")
            } else {
                Default::default()
            },
        },
        awareness: (0..3).map(|k| Awareness::ALL[(i + k) % 3]).collect(),
        awareness_reasons: "他の業務取組み優先".parse().expect("fixed text"),
        issues: vec![],
    }
}

/// Wards, meetings, countermeasures and their history in one transaction
/// of plain inserts (setting up is not what is measured).
async fn seed(db: &Db, wards: usize, now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO municipalities (id, name, created_at) VALUES (1, 'ベンチ市', $1)")
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
    let mut ids = Vec::new();
    for w in 0..wards {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO wards (municipality_id, name, sort_order, created_at) VALUES (1, $1, $2, $3) RETURNING id",
        )
        .bind(format!("第{w}区"))
        .bind(w as i64)
        .bind(now.to_rfc3339())
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
        for m in 0..24 {
            let held = format!("2017-{:02}-{:02}", (m % 12) + 1, (m % 27) + 1);
            let meeting: i64 = sqlx::query_scalar(
                "INSERT INTO meetings (ward_id, held_on, title, kind, created_at, updated_at) \
                 VALUES ($1, $2, '推進会議', '推進会議', $3, $3) RETURNING id",
            )
            .bind(id)
            .bind(held)
            .bind(now.to_rfc3339())
            .fetch_one(&mut *tx)
            .await?;
            for t in [(m % 10) + 1, ((m + 3) % 10) + 1] {
                sqlx::query(
                    "INSERT INTO meeting_topics (meeting_id, topic) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(meeting)
                .bind(t as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        for c in 0..10 {
            let stage = ["未具体化", "具体化", "評価改善"][(w + c) % 3];
            let cm: i64 = sqlx::query_scalar(
                "INSERT INTO countermeasures (ward_id, topic, title, stage, created_at, updated_at) \
                 VALUES ($1, $2, '対応策', $3, $4, $4) RETURNING id",
            )
            .bind(id)
            .bind((c % 10 + 1) as i64)
            .bind(stage)
            .bind(now.to_rfc3339())
            .fetch_one(&mut *tx)
            .await?;
            for (k, to) in ["未具体化", "具体化", "評価改善"].iter().enumerate() {
                sqlx::query(
                    "INSERT INTO countermeasure_events (countermeasure_id, kind, to_stage, occurred_on, recorded_at) \
                     VALUES ($1, '登録', $2, $3, $4)",
                )
                .bind(cm)
                .bind(*to)
                .bind(format!("2017-0{}-01", 4 + k * 2))
                .bind(now.to_rfc3339())
                .execute(&mut *tx)
                .await?;
                if *to == stage {
                    break;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(ids)
}

async fn best_of(client: &reqwest::Client, url: &str, runs: usize) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let resp = client.get(url).send().await?;
        anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
        let _ = resp.bytes().await?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

async fn run(wards: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = Db::connect(&url, 8).await?;
    db.migrate().await?;
    let existing =
        renkei::wards::store::list(&db, renkei::access::operator().all_wards(), None).await?;
    let (now, period) = if existing.is_empty() {
        let now: DateTime<Utc> = "2017-10-05T03:00:00Z".parse()?;
        (now, renkei::calendar::Period::parse("2017H1"))
    } else {
        let now = Utc::now();
        let period = match std::env::var("BENCH_PERIOD") {
            Ok(p) => renkei::calendar::Period::parse(&p),
            Err(_) => {
                Some(renkei::calendar::Period::containing(renkei::calendar::today(now)).previous())
            }
        };
        (now, period)
    };
    let period = period.ok_or_else(|| anyhow::anyhow!("period"))?;
    let setup = Instant::now();
    // The benchmark seeds its own municipality 1 when the database is new.
    let ids: Vec<(i64, i64)> = if existing.is_empty() {
        seed(&db, wards, now)
            .await?
            .into_iter()
            .map(|id| (id, 1))
            .collect()
    } else {
        existing.iter().map(|w| (w.id, w.municipality_id)).collect()
    };
    let wards = ids.len();
    for (i, (id, municipality)) in ids.iter().enumerate() {
        let scope = renkei::access::operator().ward_write(*id, *municipality);
        let survey = renkei::survey::store::get(&db, &scope.read(), period).await?;
        if survey.status == renkei::survey::SurveyStatus::Submitted {
            continue;
        }
        renkei::survey::store::save_draft(&db, &scope, period, answers(i), now).await?;
        renkei::survey::store::submit(&db, &scope, period, now).await?;
    }
    let setup = setup.elapsed();
    let state = AppState {
        db: db.clone(),
        clock: Clock::Fixed(now),
        config: Arc::new(Config::for_database(url)),
        charts: renkei::charts::Cache::default(),
    };
    let running = app::start(state).await?;
    // The report is for signed-in accounts: an operator account's token.
    let email = format!(
        "bench-report-{}@bench.example.jp",
        Utc::now().timestamp_micros()
    );
    let account = renkei::accounts::store::create(
        &db,
        &renkei::accounts::store::NewAccount {
            email: email.clone(),
            display_name: String::new(),
            role: renkei::accounts::Role::Admin,
            municipality_id: None,
            ward_id: None,
            member_id: None,
            password_hash: None,
        },
        Some("bench"),
        now,
    )
    .await?;
    let (_, token) =
        renkei::accounts::store::create_token(&db, account, "bench", Some("bench"), now).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let code = period.code();
    let html = best_of(&client, &format!("{}/report/{code}", running.base_url()), 5).await?;
    let json = best_of(
        &client,
        &format!("{}/api/report/{code}", running.base_url()),
        5,
    )
    .await?;
    let target = if wards <= 24 { 50.0 } else { 1000.0 };
    println!(
        "{wards} wards, {code} (setup {:.1} s): HTML {:.1} ms, JSON {:.1} ms (target < {target} ms)",
        setup.as_secs_f64(),
        html.as_secs_f64() * 1000.0,
        json.as_secs_f64() * 1000.0,
    );
    running.stop().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match std::env::args().nth(1) {
        Some(n) => run(n.parse()?).await?,
        None => {
            run(24).await?;
            run(1900).await?;
        }
    }
    Ok(())
}
