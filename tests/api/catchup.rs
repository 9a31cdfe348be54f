//! Catch-up of missed job runs and runs interrupted by a crash, against the
//! real app and its database: the scheduler's step (`run_due_jobs`) is
//! called at the instants each test chooses, as a restarted process, a new
//! installation or a second instance would call it; the `renkei serve` tests
//! check the real process does the same at startup and after a SIGKILL.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use renkei::db::Db;
use renkei::reminders::jobs::{Job, RunReport, run_due_jobs};
use renkei::reminders::sender::send_pending_once;
use renkei::reminders::store::{self, RUN_LEASE};
use reqwest::StatusCode;

use crate::support::{SmtpSink, TestApp, free_port, mailer, on_postgres, overdue_job};

const SATO: &str = "hanako.sato@clinic.example.jp";
const SUZUKI: &str = "ichiro.suzuki@care.example.jp";
const BASE_URL: &str = "https://renkei.example.jp";

fn at(t: &str) -> DateTime<Utc> {
    t.parse().unwrap()
}

/// Sunday 2026-11-22 09:00 in Tokyo; Monday and Tuesday are the next days.
fn sunday_0900() -> DateTime<Utc> {
    at("2026-11-22T00:00:00Z")
}

fn monday_0900() -> DateTime<Utc> {
    at("2026-11-23T00:00:00Z")
}

fn tuesday_0900() -> DateTime<Utc> {
    at("2026-11-24T00:00:00Z")
}

/// The repository's job: daily at 09:00 Asia/Tokyo.
fn daily() -> Job {
    overdue_job(7, 7, 14, 5)
}

/// 北区 with 佐藤 (an item 2 days overdue on Sunday) and 鈴木, who owns
/// nothing yet. The app's clock is Saturday, before every stepped instant.
struct World {
    app: TestApp,
    kita: i64,
    suzuki: i64,
}

async fn world() -> World {
    let app = TestApp::spawn_at(at("2026-11-21T03:00:00Z"), false).await;
    let kita = app
        .municipality_with_wards("キャッチアップ市", &["北区"])
        .await[0];
    let sato = app.member_with_email(kita, "佐藤 花子", SATO).await;
    let suzuki = app.member_with_email(kita, "鈴木 一郎", SUZUKI).await;
    app.planned(
        kita,
        3,
        "入退院時の情報共有ルールの評価",
        sato,
        "2026-11-20",
    )
    .await;
    World { app, kita, suzuki }
}

impl World {
    /// Gives 鈴木 an item overdue since 2026-11-21 (added while the service
    /// was down): the next run owes him a reminder.
    async fn suzuki_overdue(&self) {
        self.app
            .planned(
                self.kita,
                7,
                "住民向け講演会の評価",
                self.suzuki,
                "2026-11-20",
            )
            .await;
    }

    /// The recorded runs: (reminder date, started at, outcome), oldest first.
    async fn runs(&self) -> Vec<(String, String, String)> {
        runs(&self.app.db).await
    }
}

async fn runs(db: &Db) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT reminder_date, started_at, outcome FROM job_runs ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

fn run(date: &str, started: &str, outcome: &str) -> (String, String, String) {
    (date.into(), started.into(), outcome.into())
}

/// A scheduler that started at `started`, woken at each of `instants` (and
/// draining the outbox then, as the real one does). Returns the instants at
/// which a job ran.
async fn tick(
    db: &Db,
    smtp: &SmtpSink,
    started: DateTime<Utc>,
    instants: impl IntoIterator<Item = DateTime<Utc>>,
) -> Vec<(DateTime<Utc>, RunReport)> {
    let m = mailer(&smtp.url());
    let job = daily();
    let mut ran = Vec::new();
    for now in instants {
        for r in run_due_jobs(db, std::slice::from_ref(&job), BASE_URL, started, now).await {
            ran.push((now, r));
        }
        send_pending_once(db, &m, now).await.unwrap();
    }
    ran
}

/// Every `step` from `from` up to and including `to`.
fn every(
    step: TimeDelta,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = DateTime<Utc>> {
    std::iter::successors(Some(from), move |t| Some(*t + step)).take_while(move |t| *t <= to)
}

/// Sunday 09:00, run by a scheduler started at 08:00.
async fn sunday_run(w: &World, smtp: &SmtpSink) {
    let started = sunday_0900() - TimeDelta::hours(1);
    let ran = tick(&w.app.db, smtp, started, [started, sunday_0900()]).await;
    assert_eq!(ran.len(), 1);
}

#[tokio::test]
async fn a_restart_after_the_cron_time_runs_the_missed_run_once_that_day_and_not_twice() {
    let w = world().await;
    let smtp = SmtpSink::start();
    // Sunday: the service runs from 08:00 and the job runs at 09:00.
    let ran = tick(
        &w.app.db,
        &smtp,
        sunday_0900() - TimeDelta::hours(1),
        every(
            TimeDelta::minutes(30),
            sunday_0900() - TimeDelta::hours(1),
            sunday_0900() + TimeDelta::hours(3),
        ),
    )
    .await;
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].0, sunday_0900());
    assert_eq!(smtp.to(SATO).len(), 1);

    // Down from Sunday noon to Monday 10:00, past Monday's 09:00; 鈴木's item
    // became overdue meanwhile. The restarted scheduler runs at once, then
    // not again until Tuesday 09:00, however often it wakes.
    w.suzuki_overdue().await;
    let restart = monday_0900() + TimeDelta::hours(1);
    let ran = tick(
        &w.app.db,
        &smtp,
        restart,
        std::iter::once(restart)
            .chain(every(
                TimeDelta::seconds(30),
                restart + TimeDelta::seconds(30),
                restart + TimeDelta::minutes(30),
            ))
            .chain(every(
                TimeDelta::minutes(30),
                restart + TimeDelta::hours(1),
                tuesday_0900() + TimeDelta::hours(2),
            )),
    )
    .await;
    let at_: Vec<DateTime<Utc>> = ran.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        at_,
        [restart, tuesday_0900()],
        "caught up once, then on time"
    );
    assert_eq!(ran[0].1.today.to_string(), "2026-11-23");
    assert!(
        ran[0].1.queued >= 1,
        "the caught-up run queued 鈴木's reminder"
    );
    assert_eq!(
        w.runs().await,
        [
            run("2026-11-22", "2026-11-22T00:00:00Z", "ok"),
            run("2026-11-23", "2026-11-23T01:00:00Z", "ok"),
            run("2026-11-24", "2026-11-24T00:00:00Z", "ok"),
        ]
    );
    assert_eq!(smtp.to(SUZUKI).len(), 1, "mailed by the caught-up run only");
    assert_eq!(
        smtp.to(SATO).len(),
        1,
        "not again within the repeat interval"
    );
    let dates: Vec<String> = sqlx::query_scalar("SELECT reminder_date FROM outbox ORDER BY id")
        .fetch_all(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(dates, ["2026-11-22", "2026-11-23"], "nothing queued twice");
}

#[tokio::test]
async fn a_new_installation_started_after_the_cron_time_waits_for_the_next_one() {
    let w = world().await;
    w.suzuki_overdue().await;
    let smtp = SmtpSink::start();
    // First started on Monday at 10:00, an hour after the job's time.
    let start = monday_0900() + TimeDelta::hours(1);
    let (_, page) = w.app.page("/jobs").await;
    assert!(page.contains("まだ実行されていません"), "{page}");
    let ran = tick(
        &w.app.db,
        &smtp,
        start,
        every(
            TimeDelta::minutes(15),
            start,
            tuesday_0900() - TimeDelta::seconds(1),
        )
        .chain([
            tuesday_0900() - TimeDelta::seconds(1),
            tuesday_0900(),
            tuesday_0900() + TimeDelta::seconds(30),
            tuesday_0900() + TimeDelta::hours(5),
        ]),
    )
    .await;
    let at_: Vec<DateTime<Utc>> = ran.iter().map(|(t, _)| *t).collect();
    assert_eq!(at_, [tuesday_0900()], "first run at the next cron time");
    assert_eq!(
        w.runs().await,
        [run("2026-11-24", "2026-11-24T00:00:00Z", "ok")]
    );
    assert_eq!(smtp.to(SATO).len(), 1);
    assert_eq!(smtp.to(SUZUKI).len(), 1);
}

#[tokio::test]
async fn a_run_cut_short_by_a_crash_is_shown_as_interrupted_and_caught_up() {
    let w = world().await;
    let smtp = SmtpSink::start();
    sunday_run(&w, &smtp).await;
    w.suzuki_overdue().await;
    // Monday 09:00: the run is recorded, then the process dies while
    // queueing (nothing queued, no result recorded).
    store::start_run(
        &w.app.db,
        "overdue-evaluations",
        "2026-11-23".parse().unwrap(),
        monday_0900(),
    )
    .await
    .unwrap();

    // Restarted at 09:05: the dead run's lease (10 minutes) still holds the
    // job, as it would if it were another instance's live run.
    let restart = monday_0900() + TimeDelta::minutes(5);
    let ran = tick(
        &w.app.db,
        &smtp,
        restart,
        every(
            TimeDelta::seconds(30),
            restart,
            monday_0900() + TimeDelta::seconds(599),
        ),
    )
    .await;
    assert!(ran.is_empty(), "not while the lease lasts");
    let (_, page) = w.app.page("/jobs").await;
    assert!(
        page.contains("（基準日 2026-11-23）: 実行中</dd>"),
        "{page}"
    );

    // When the lease runs out the next tick marks it interrupted and runs
    // the job in its place, once.
    let expiry = monday_0900() + RUN_LEASE;
    let ran = tick(
        &w.app.db,
        &smtp,
        restart,
        every(TimeDelta::seconds(30), expiry, expiry + TimeDelta::hours(3)),
    )
    .await;
    let at_: Vec<DateTime<Utc>> = ran.iter().map(|(t, _)| *t).collect();
    assert_eq!(at_, [expiry]);
    assert_eq!(
        w.runs().await,
        [
            run("2026-11-22", "2026-11-22T00:00:00Z", "ok"),
            run("2026-11-23", "2026-11-23T00:00:00Z", "interrupted"),
            run("2026-11-23", "2026-11-23T00:10:00Z", "ok"),
        ]
    );
    let error: Option<String> =
        sqlx::query_scalar("SELECT error FROM job_runs WHERE outcome = 'interrupted'")
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    assert!(
        error
            .as_deref()
            .unwrap_or("")
            .contains("プロセスが停止しました"),
        "{error:?}"
    );
    assert_eq!(smtp.to(SUZUKI).len(), 1);
    assert_eq!(smtp.to(SATO).len(), 1);

    let (status, page) = w.app.page("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("2026-11-23T00:10:00Z（基準日 2026-11-23）: 成功"),
        "the last result is the catch-up's: {page}"
    );
    assert!(
        page.contains("<td>2026-11-23T00:00:00Z</td><td>2026-11-23</td><td><span class=\"warn\">中断</span> 実行中にプロセスが停止しました"),
        "the interrupted run stays listed: {page}"
    );
    assert!(!page.contains(": 実行中</dd>"), "{page}");
}

/// `n` more pools on the app's database, as other instances' would be.
async fn instances(app: &TestApp, n: usize) -> Vec<Db> {
    let mut pools = Vec::new();
    for _ in 0..n {
        pools.push(Db::connect(&app.db_url, 2).await.unwrap());
    }
    pools
}

/// Each of `pools` runs the scheduler's step at `now` at the same moment;
/// returns how many runs they made in all.
async fn all_at_once(pools: &[Db], started: DateTime<Utc>, now: DateTime<Utc>) -> usize {
    let mut steps = tokio::task::JoinSet::new();
    for db in pools {
        let db = db.clone();
        steps.spawn(async move {
            run_due_jobs(&db, std::slice::from_ref(&daily()), BASE_URL, started, now)
                .await
                .len()
        });
    }
    let mut ran = 0;
    while let Some(n) = steps.join_next().await {
        ran += n.unwrap();
    }
    ran
}

#[tokio::test]
async fn several_instances_restarted_after_the_cron_time_catch_up_once() {
    let w = world().await;
    let smtp = SmtpSink::start();
    sunday_run(&w, &smtp).await;
    w.suzuki_overdue().await;
    let pools = instances(&w.app, 4).await;
    let restart = monday_0900() + TimeDelta::hours(1);
    let mut ran = 0;
    for now in every(
        TimeDelta::seconds(30),
        restart,
        restart + TimeDelta::minutes(3),
    ) {
        ran += all_at_once(&pools, restart, now).await;
    }
    assert_eq!(ran, 1, "one instance runs the missed run");
    assert_eq!(
        w.runs().await,
        [
            run("2026-11-22", "2026-11-22T00:00:00Z", "ok"),
            run("2026-11-23", "2026-11-23T01:00:00Z", "ok"),
        ]
    );
    // And at the next cron time, once again.
    assert_eq!(all_at_once(&pools, restart, tuesday_0900()).await, 1);
    let keys: Vec<(String, i64)> = sqlx::query_as(
        "SELECT idempotency_key, COUNT(*) FROM outbox GROUP BY idempotency_key ORDER BY 1",
    )
    .fetch_all(&w.app.db.pool)
    .await
    .unwrap();
    assert_eq!(keys.len(), 2, "佐藤 on Sunday, 鈴木 on Monday: {keys:?}");
    assert!(keys.iter().all(|(_, n)| *n == 1), "{keys:?}");
    send_pending_once(&w.app.db, &mailer(&smtp.url()), tuesday_0900())
        .await
        .unwrap();
    assert_eq!(smtp.to(SUZUKI).len(), 1);
    assert_eq!(smtp.to(SATO).len(), 1);
}

#[tokio::test]
async fn several_instances_mark_a_dead_run_interrupted_once_and_catch_it_up_once() {
    let w = world().await;
    let smtp = SmtpSink::start();
    sunday_run(&w, &smtp).await;
    w.suzuki_overdue().await;
    store::start_run(
        &w.app.db,
        "overdue-evaluations",
        "2026-11-23".parse().unwrap(),
        monday_0900(),
    )
    .await
    .unwrap();
    let pools = instances(&w.app, 4).await;
    // The instances kept running (started on Sunday) and wake every 30 s.
    let mut ran = 0;
    for now in every(
        TimeDelta::seconds(30),
        monday_0900() + TimeDelta::seconds(30),
        monday_0900() + TimeDelta::minutes(15),
    ) {
        let n = all_at_once(&pools, sunday_0900(), now).await;
        assert!(n == 0 || now >= monday_0900() + RUN_LEASE, "{now}: {n}");
        ran += n;
    }
    assert_eq!(ran, 1);
    assert_eq!(
        w.runs().await,
        [
            run("2026-11-22", "2026-11-22T00:00:00Z", "ok"),
            run("2026-11-23", "2026-11-23T00:00:00Z", "interrupted"),
            run("2026-11-23", "2026-11-23T00:10:00Z", "ok"),
        ]
    );
    let suzuki: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = $1")
        .bind(SUZUKI)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(suzuki, 1, "queued once");
}

// ---------------------------------------------------------------------------
// The real process

/// `renkei serve` on a free port with `jobs_dir`, logging to a file.
struct Served {
    child: Child,
    log: std::path::PathBuf,
}

impl Served {
    fn start(
        db_url: &str,
        jobs_dir: &std::path::Path,
        smtp_url: &str,
        log_dir: &std::path::Path,
        name: &str,
    ) -> Self {
        let log = log_dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_renkei"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("RENKEI_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("RENKEI_BASE_URL", BASE_URL)
            .env("RENKEI_JOBS_DIR", jobs_dir)
            .env("RENKEI_SMTP_URL", smtp_url)
            .env("RENKEI_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start renkei serve");
        Self { child, log }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the scheduler's first pass (the startup catch-up) is over.
    async fn first_pass_done(&self) {
        wait_for("the scheduler's first pass", self, async || {
            self.log_text().contains("job scheduled")
        })
        .await;
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "{exit}\n{}", self.log_text());
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_for(what: &str, served: &Served, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(
            Instant::now() < deadline,
            "{what}: timed out\n{}",
            served.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The processes read the real clock: an app whose 佐藤 has an item three
/// days overdue today, and a completed run recorded `days_ago` (none: a new
/// installation).
async fn real_time_world(days_ago: Option<i64>) -> (TestApp, String) {
    let now = Utc::now();
    let app = TestApp::spawn_at(now, false).await;
    let ward = app.municipality_with_wards("実時間市", &["北区"]).await[0];
    let sato = app.member_with_email(ward, "佐藤 花子", SATO).await;
    let due = renkei::calendar::today(now) - TimeDelta::days(3);
    app.planned(
        ward,
        3,
        "入退院時の情報共有ルールの評価",
        sato,
        &due.to_string(),
    )
    .await;
    if let Some(days) = days_ago {
        let then = now - TimeDelta::days(days);
        let id = store::start_run(
            &app.db,
            "overdue-evaluations",
            renkei::calendar::today(then),
            then,
        )
        .await
        .unwrap();
        store::finish_run(&app.db, id, Ok((0, 0, 0)), then)
            .await
            .unwrap();
    }
    let jobs = concat!(env!("CARGO_MANIFEST_DIR"), "/jobs").to_string();
    (app, jobs)
}

/// How many of the job's cron times fell in `(from, to]`: a test window
/// that crosses 09:00 in Tokyo sees that run as well.
fn cron_times_between(from: DateTime<Utc>, to: DateTime<Utc>) -> usize {
    let job = daily();
    job.schedule
        .after(&from.with_timezone(&job.time_zone))
        .take_while(|t| *t <= to)
        .count()
}

#[tokio::test]
async fn serve_catches_up_at_startup_a_run_missed_while_it_was_down() {
    let (app, jobs) = real_time_world(Some(2)).await;
    let smtp = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let started = Utc::now();
    let served = Served::start(
        &app.db_url,
        std::path::Path::new(&jobs),
        &smtp.url(),
        dir.path(),
        "a",
    );
    served.first_pass_done().await;
    wait_for("the reminder", &served, async || smtp.to(SATO).len() == 1).await;
    let outcomes: Vec<String> = runs(&app.db).await.into_iter().map(|r| r.2).collect();
    let extra = cron_times_between(started, Utc::now());
    assert_eq!(outcomes.len(), 2 + extra, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o == "ok"), "{outcomes:?}");
    served.terminate();
    assert_eq!(smtp.to(SATO).len(), 1);
}

#[tokio::test]
async fn serve_on_a_new_installation_does_not_run_the_job_at_startup() {
    let (app, jobs) = real_time_world(None).await;
    let smtp = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let started = Utc::now();
    let served = Served::start(
        &app.db_url,
        std::path::Path::new(&jobs),
        &smtp.url(),
        dir.path(),
        "a",
    );
    served.first_pass_done().await;
    let recorded = runs(&app.db).await.len();
    assert_eq!(
        recorded,
        cron_times_between(started, Utc::now()),
        "{}",
        served.log_text()
    );
    served.terminate();
}

#[tokio::test]
async fn a_served_run_killed_while_queueing_is_interrupted_and_caught_up_by_another_instance() {
    // Holding the outbox from the test stops the run mid-queueing; that
    // takes PostgreSQL's table locks (SQLite's one write lock would stop the
    // run from being recorded at all).
    if !on_postgres() {
        eprintln!(
            "a_served_run_killed_while_queueing_is_interrupted_and_caught_up_by_another_instance: \
             skipped on SQLite (runs with RENKEI_TEST_DATABASE=postgres)"
        );
        return;
    }
    let (app, jobs) = real_time_world(Some(2)).await;
    let smtp = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut holder = app.db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE outbox IN SHARE MODE")
        .execute(&mut *holder)
        .await
        .unwrap();
    // A catches up at startup, records its run and blocks queueing.
    let mut a = Served::start(
        &app.db_url,
        std::path::Path::new(&jobs),
        &smtp.url(),
        dir.path(),
        "a",
    );
    wait_for("A's run", &a, async || {
        runs(&app.db).await.iter().any(|r| r.2 == "running")
    })
    .await;
    a.kill();
    holder.rollback().await.unwrap();
    let (_, page) = app.page("/jobs").await;
    assert!(page.contains(": 実行中</dd>"), "{page}");
    assert_eq!(app.count("outbox").await, 0, "A queued nothing");

    // Ten minutes pass (the lease): another instance starts, marks A's run
    // interrupted and runs the job in its place.
    sqlx::query("UPDATE job_runs SET lease_until = $1 WHERE outcome = 'running'")
        .bind(renkei::db::timestamp(Utc::now() - TimeDelta::seconds(1)))
        .execute(&app.db.pool)
        .await
        .unwrap();
    let b = Served::start(
        &app.db_url,
        std::path::Path::new(&jobs),
        &smtp.url(),
        dir.path(),
        "b",
    );
    b.first_pass_done().await;
    wait_for("B's reminder", &b, async || smtp.to(SATO).len() == 1).await;
    let outcomes: Vec<String> = runs(&app.db).await.into_iter().map(|r| r.2).collect();
    assert_eq!(outcomes[..3], ["ok", "interrupted", "ok"], "{outcomes:?}");
    let (_, page) = app.page("/jobs").await;
    assert!(
        page.contains("中断</span> 実行中にプロセスが停止しました"),
        "{page}"
    );
    assert!(
        b.log_text().contains("marked interrupted"),
        "{}",
        b.log_text()
    );
    b.terminate();
    assert_eq!(smtp.to(SATO).len(), 1);
    assert_eq!(app.count("outbox").await, 1);
}
