//! The per-item reminder schedule over weeks, end to end: the real app, its
//! database and a real SMTP server (mailin-embedded). Each test steps a
//! clock day by day: at 09:00 (Tokyo) the job runs once, then the sender
//! passes at the moments the backoff makes a retry due (09:00, 09:01,
//! 09:03 … 11:03); API changes happen between days (in the afternoon, dated
//! that day). The expected mails are written out by hand from the rules
//! (src/reminders/mod.rs): for each recipient, the exact dates and the ■
//! lines of each digest. Items a secretariat digest lists under
//! 【宛先のない対応策】 read 「宛先なし …」.
//!
//! The app's own clock is fixed after every walk, so transitions may carry
//! any date of the walk as `on`; the job and the sender get the walk's
//! instant explicitly.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use renkei::mail::Mailer;
use renkei::reminders::jobs::Job;
use renkei::reminders::sender::send_pending_once;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Received, SmtpSink, TestApp, mailer, overdue_job};

const SATO: &str = "hanako.sato@clinic.example.jp";
const SUZUKI: &str = "ichiro.suzuki@care.example.jp";
const TANAKA: &str = "jiro.tanaka@home.example.jp";
const TANAKA_NEW: &str = "jiro.tanaka@new-home.example.jp";
const JIMU: &str = "kita-jimukyoku@city.example.jp";

/// Minutes after 09:00 at which the sender passes each day: when a message
/// first tried at 09:00 is due again (backoff 1, 2, 4 … 32 min, then 1 h),
/// up to its 8th attempt.
const PASSES: [i64; 8] = [0, 1, 3, 7, 15, 31, 63, 123];

/// 09:00 in Tokyo on `day`, plus `minutes`.
fn at(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap().and_utc() + TimeDelta::minutes(minutes)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every day from `from` to `to`, both included.
fn days(from: &str, to: &str) -> impl Iterator<Item = NaiveDate> {
    let (from, to) = (d(from), d(to));
    from.iter_days().take_while(move |day| *day <= to)
}

/// The items a mail lists, one per ■ line: 「タイトル（3日超過）」, prefixed
/// 「宛先なし 」 under 【宛先のない対応策】.
fn listed(mail: &Received) -> Vec<String> {
    let mut unaddressed = false;
    let mut out = Vec::new();
    for line in mail.text().lines() {
        if line.starts_with("【宛先のない対応策】") {
            unaddressed = true;
        }
        if let Some(item) = line.strip_prefix("■ ") {
            out.push(if unaddressed {
                format!("宛先なし {item}")
            } else {
                item.to_string()
            });
        }
    }
    out
}

/// One line per mail: 「2027-01-04 addr: A（6日超過） | B（5日超過）」.
fn line(day: &str, to: &str, items: &[&str]) -> String {
    format!("{day} {to}: {}", items.join(" | "))
}

/// The expected mails as sorted lines (date, then recipient).
fn expected(rows: &[(&str, &str, &[&str])]) -> Vec<String> {
    let mut lines: Vec<String> = rows
        .iter()
        .map(|(day, to, items)| line(day, to, items))
        .collect();
    lines.sort();
    lines
}

/// A test's world: the app, a mail server, the job and the mails received
/// so far, each dated by the walk's day it arrived on.
struct Walk {
    app: TestApp,
    smtp: SmtpSink,
    mailer: Mailer,
    job: Job,
    seen: usize,
    mails: Vec<String>,
    ward: i64,
}

impl Walk {
    /// One ward (北区, secretariat `secretariat`) in a new app whose clock
    /// stands after every walk of this file.
    async fn new(job: Job, secretariat: Option<&str>) -> Walk {
        let app = TestApp::spawn_at("2027-12-01T03:00:00Z".parse().unwrap(), false).await;
        let ward = app.municipality_with_wards("テスト市", &["北区"]).await[0];
        if let Some(addr) = secretariat {
            app.set_secretariat(ward, addr).await;
        }
        let smtp = SmtpSink::start();
        let mailer = mailer(&smtp.url()).with_base_url("https://renkei.example.jp");
        Walk {
            app,
            smtp,
            mailer,
            job,
            seen: 0,
            mails: Vec::new(),
            ward,
        }
    }

    async fn member(&self, name: &str, email: &str) -> i64 {
        self.app.member_with_email(self.ward, name, email).await
    }

    /// A countermeasure planned (具体化) on `on` for `owner`, due `due`.
    async fn planned(&self, title: &str, owner: i64, due: &str, on: &str) -> i64 {
        let id = self.app.countermeasure(self.ward, 3, title).await;
        self.ok(
            self.app
                .transition(
                    id,
                    json!({ "to": "具体化", "on": on, "owner_member_id": owner, "evaluation_due_on": due }),
                )
                .await,
        );
        id
    }

    fn ok(&self, r: crate::support::Resp) -> Value {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    /// The owner records the evaluation (評価改善) on `on`.
    async fn evaluate(&self, id: i64, on: &str) {
        self.ok(
            self.app
                .transition(
                    id,
                    json!({ "to": "評価改善", "on": on, "evaluation": "実施状況を確認した", "improvement": "次年度も継続", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
                )
                .await,
        );
    }

    /// The secretariat starts the next cycle (評価改善 → 具体化) due `due`.
    async fn next_cycle(&self, id: i64, on: &str, due: &str) {
        self.ok(
            self.app
                .transition(
                    id,
                    json!({ "to": "具体化", "on": on, "note": "次のサイクル", "evaluation_due_on": due }),
                )
                .await,
        );
    }

    /// The due date moved (PATCH, as the edit form does).
    async fn postpone(&self, id: i64, due: &str) {
        let body = self.ok(self
            .app
            .patch(
                &format!("/api/countermeasures/{id}"),
                json!({ "evaluation_due_on": due, "note": "延期" }),
            )
            .await);
        assert_eq!(body["evaluation_due_on"], due);
    }

    /// A re-plan: back to 未具体化 and planned again, due `due`.
    async fn replan(&self, id: i64, owner: i64, on: &str, due: &str) {
        self.ok(self
            .app
            .transition(
                id,
                json!({ "to": "未具体化", "on": on, "note": "計画見直し" }),
            )
            .await);
        self.ok(
            self.app
                .transition(
                    id,
                    json!({ "to": "具体化", "on": on, "owner_member_id": owner, "evaluation_due_on": due }),
                )
                .await,
        );
    }

    async fn patch(&self, path: &str, body: Value) {
        self.ok(self.app.patch(path, body).await);
    }

    /// The job's run at 09:00.
    async fn run(&self, day: NaiveDate) {
        self.app.run_job(&self.job, at(day, 0)).await;
    }

    /// Sender passes at these minutes after 09:00, while anything is left
    /// to send (a pass with nothing due would change nothing).
    async fn passes(&self, day: NaiveDate, minutes: &[i64]) {
        for m in minutes {
            send_pending_once(&self.app.db, &self.mailer, at(day, *m))
                .await
                .expect("sender pass");
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'retrying', 'sending')",
            )
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap();
            if pending == 0 {
                break;
            }
        }
    }

    /// An ordinary day: the run, the sender's passes, what arrived.
    async fn day(&mut self, day: NaiveDate) {
        self.run(day).await;
        self.passes(day, &PASSES).await;
        self.arrived(day);
    }

    /// Files the mails received since the last call under `day`.
    fn arrived(&mut self, day: NaiveDate) {
        let all = self.smtp.received();
        for m in &all[self.seen..] {
            assert_eq!(m.to.len(), 1, "one recipient per digest: {:?}", m.to);
            let items = listed(m);
            let items: Vec<&str> = items.iter().map(String::as_str).collect();
            self.mails.push(line(&day.to_string(), &m.to[0], &items));
        }
        self.seen = all.len();
    }

    /// Asserts the mails of the whole walk, line by line.
    fn assert_mails(&self, rows: &[(&str, &str, &[&str])]) {
        let mut actual = self.mails.clone();
        actual.sort();
        let expected = expected(rows);
        assert!(
            actual == expected,
            "mails received:\n  {}\nexpected:\n  {}",
            actual.join("\n  "),
            expected.join("\n  ")
        );
    }

    /// The delivery log's messages in `state`, oldest first, as lines
    /// (reminder date, recipient, items as queued) with their attempts.
    async fn deliveries(&self, state: &str) -> Vec<(String, i64)> {
        let r = self
            .app
            .get(&format!(
                "/api/reminders/deliveries?state={state}&limit=500"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut out: Vec<(String, i64)> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let items: Vec<String> = m["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|i| i["dropped"].is_null())
                    .map(|i| {
                        let n = i["days_overdue"].as_i64().unwrap();
                        let status = match n {
                            n if n > 0 => format!("{n}日超過"),
                            0 => "本日期限".to_string(),
                            n => format!("あと{}日", -n),
                        };
                        format!("{}（{status}）", i["title"].as_str().unwrap())
                    })
                    .collect();
                let items: Vec<&str> = items.iter().map(String::as_str).collect();
                (
                    line(
                        m["reminder_date"].as_str().unwrap(),
                        m["recipient"].as_str().unwrap(),
                        &items,
                    ),
                    m["attempts"].as_i64().unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }
}

// ---------------------------------------------------------------------------
// Field cases (../shared/cases/), with their inputs.

/// `due-date-change-suppresses-reminder.sh`: an item due 2026-12-10 is
/// noticed on 12-05; postponed to 2027-01-20 it gets the notice of the new
/// date (01-15) and its first overdue reminder the day after it (01-21);
/// re-planned for 02-28 (no run in its notice window) it is reminded on the
/// first run after the due date, 03-01, and again a week later, not before.
#[tokio::test]
async fn a_postponed_item_gets_the_notice_and_reminders_of_its_new_date() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), None).await;
    let taro = w.member("委員太郎", "taro@example.jp").await;
    let c = w
        .planned("多職種研修の実施", taro, "2026-12-10", "2026-01-05")
        .await;
    w.day(d("2026-12-05")).await;
    w.postpone(c, "2027-01-20").await;
    // The script looks first (dry run): the notice is owed, 5 days ahead.
    let dry = renkei::reminders::jobs::run_job_once(
        &w.app.db,
        &w.job,
        "https://renkei.example.jp",
        d("2027-01-15"),
        at(d("2027-01-15"), 0),
        true,
    )
    .await
    .unwrap();
    let owed: Vec<_> = dry.owed.iter().map(|o| o.items.clone()).collect();
    assert_eq!(owed, [vec![(c, -5)]]);
    w.day(d("2027-01-15")).await;
    w.day(d("2027-01-21")).await;
    w.replan(c, taro, "2027-01-21", "2027-02-28").await;
    for day in days("2027-03-01", "2027-03-08") {
        w.day(day).await;
    }
    w.assert_mails(&[
        (
            "2026-12-05",
            "taro@example.jp",
            &["多職種研修の実施（あと5日）"],
        ),
        (
            "2027-01-15",
            "taro@example.jp",
            &["多職種研修の実施（あと5日）"],
        ),
        (
            "2027-01-21",
            "taro@example.jp",
            &["多職種研修の実施（1日超過）"],
        ),
        (
            "2027-03-01",
            "taro@example.jp",
            &["多職種研修の実施（1日超過）"],
        ),
        (
            "2027-03-08",
            "taro@example.jp",
            &["多職種研修の実施（8日超過）"],
        ),
    ]);
}

/// `repeat-interval-broken-when-digest-changes.sh`: A, B, C overdue are
/// reminded together on 11-23; evaluating A, then B, mails nobody on 11-25
/// and 11-27 (C was reminded 2 and 4 days before); C's next reminder comes
/// a week after the last, on 11-30.
#[tokio::test]
async fn evaluating_one_item_does_not_remind_the_owner_of_the_others_again() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), None).await;
    let taro = w.member("委員太郎", "taro@example.jp").await;
    let a = w.planned("対応策A", taro, "2026-11-20", "2026-01-05").await;
    let b = w.planned("対応策B", taro, "2026-11-21", "2026-01-05").await;
    w.planned("対応策C", taro, "2026-11-22", "2026-01-05").await;
    w.day(d("2026-11-23")).await;
    w.evaluate(a, "2026-11-24").await;
    w.day(d("2026-11-25")).await;
    w.evaluate(b, "2026-11-26").await;
    w.day(d("2026-11-27")).await;
    // Beyond the script: the rhythm goes on for C alone.
    for day in days("2026-11-28", "2026-12-01") {
        w.day(day).await;
    }
    w.assert_mails(&[
        (
            "2026-11-23",
            "taro@example.jp",
            &[
                "対応策A（3日超過）",
                "対応策B（2日超過）",
                "対応策C（1日超過）",
            ],
        ),
        ("2026-11-30", "taro@example.jp", &["対応策C（8日超過）"]),
    ]);
}

// ---------------------------------------------------------------------------
// 60-day walks.

/// X is noticed on 01-08, postponed (PATCH) from 01-15 to 02-01: noticed
/// again on 01-25, overdue on 02-02 and 02-09; re-planned on 02-10 for
/// 02-20: a third notice on 02-13, overdue from 02-21 weekly, escalated
/// from 03-06 (14 days). Y, due 01-15 like X at first, keeps its own
/// rhythm all along.
#[tokio::test]
async fn an_item_postponed_twice_starts_its_schedule_afresh_each_time() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let x = w
        .planned("研修の評価X", sato, "2027-01-15", "2026-12-01")
        .await;
    let y = w
        .planned("マップの評価Y", sato, "2027-01-15", "2026-12-01")
        .await;
    for day in days("2027-01-04", "2027-03-14") {
        w.day(day).await;
        match day.to_string().as_str() {
            "2027-01-12" => w.postpone(x, "2027-02-01").await,
            "2027-01-30" => w.evaluate(y, "2027-01-30").await,
            "2027-02-10" => w.replan(x, sato, "2027-02-10", "2027-02-20").await,
            _ => {}
        }
    }
    w.assert_mails(&[
        (
            "2027-01-08",
            SATO,
            &["研修の評価X（あと7日）", "マップの評価Y（あと7日）"],
        ),
        ("2027-01-16", SATO, &["マップの評価Y（1日超過）"]),
        ("2027-01-23", SATO, &["マップの評価Y（8日超過）"]),
        ("2027-01-25", SATO, &["研修の評価X（あと7日）"]),
        ("2027-01-29", JIMU, &["マップの評価Y（14日超過）"]),
        ("2027-01-30", SATO, &["マップの評価Y（15日超過）"]),
        ("2027-02-02", SATO, &["研修の評価X（1日超過）"]),
        ("2027-02-09", SATO, &["研修の評価X（8日超過）"]),
        ("2027-02-13", SATO, &["研修の評価X（あと7日）"]),
        ("2027-02-21", SATO, &["研修の評価X（1日超過）"]),
        ("2027-02-28", SATO, &["研修の評価X（8日超過）"]),
        ("2027-03-06", JIMU, &["研修の評価X（14日超過）"]),
        ("2027-03-07", SATO, &["研修の評価X（15日超過）"]),
        ("2027-03-13", JIMU, &["研修の評価X（21日超過）"]),
        ("2027-03-14", SATO, &["研修の評価X（22日超過）"]),
    ]);
}

/// A, B, C overdue are reminded together on 01-04; the owner evaluates one
/// a day (01-04, 01-05, 01-06) and is not mailed again. The secretariat
/// starts the next cycle (A and B due 01-20, C due 01-22): each item's
/// notice and reminders follow its own date; the owner evaluates one a day
/// again (01-28 to 01-30); C's third cycle (due 02-20) is left open and
/// escalated on 03-06.
#[tokio::test]
async fn an_owner_who_evaluates_one_item_a_day_is_reminded_of_each_on_its_own_rhythm() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let a = w.planned("評価A", sato, "2026-12-29", "2026-12-01").await;
    let b = w.planned("評価B", sato, "2026-12-30", "2026-12-01").await;
    let c = w.planned("評価C", sato, "2026-12-31", "2026-12-01").await;
    for day in days("2027-01-04", "2027-03-07") {
        w.day(day).await;
        let on = day.to_string();
        match on.as_str() {
            "2027-01-04" | "2027-01-28" => w.evaluate(a, &on).await,
            "2027-01-05" | "2027-01-29" => w.evaluate(b, &on).await,
            "2027-01-06" | "2027-01-30" => w.evaluate(c, &on).await,
            "2027-01-07" => {
                w.next_cycle(a, &on, "2027-01-20").await;
                w.next_cycle(b, &on, "2027-01-20").await;
                w.next_cycle(c, &on, "2027-01-22").await;
            }
            "2027-01-31" => w.next_cycle(c, &on, "2027-02-20").await,
            _ => {}
        }
    }
    w.assert_mails(&[
        (
            "2027-01-04",
            SATO,
            &["評価A（6日超過）", "評価B（5日超過）", "評価C（4日超過）"],
        ),
        (
            "2027-01-13",
            SATO,
            &["評価A（あと7日）", "評価B（あと7日）"],
        ),
        ("2027-01-15", SATO, &["評価C（あと7日）"]),
        (
            "2027-01-21",
            SATO,
            &["評価A（1日超過）", "評価B（1日超過）"],
        ),
        ("2027-01-23", SATO, &["評価C（1日超過）"]),
        (
            "2027-01-28",
            SATO,
            &["評価A（8日超過）", "評価B（8日超過）"],
        ),
        ("2027-01-30", SATO, &["評価C（8日超過）"]),
        ("2027-02-13", SATO, &["評価C（あと7日）"]),
        ("2027-02-21", SATO, &["評価C（1日超過）"]),
        ("2027-02-28", SATO, &["評価C（8日超過）"]),
        ("2027-03-06", JIMU, &["評価C（14日超過）"]),
        ("2027-03-07", SATO, &["評価C（15日超過）"]),
    ]);
}

/// Items due on different days get their notice one by one, 7 days ahead
/// (two due the same day share one); one planned when already inside the
/// window is noticed at the next run; each is reminded the day after its
/// due date unless evaluated before.
#[tokio::test]
async fn items_entering_the_notice_window_one_by_one_each_get_one_notice() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let n1 = w.planned("通知1", sato, "2027-01-12", "2026-12-01").await;
    let n2 = w.planned("通知2", sato, "2027-01-13", "2026-12-01").await;
    let n3 = w.planned("通知3", sato, "2027-01-14", "2026-12-01").await;
    let n4 = w.planned("通知4", sato, "2027-01-14", "2026-12-01").await;
    let n5 = w.planned("通知5", sato, "2027-01-25", "2026-12-01").await;
    w.planned("通知6", sato, "2027-02-20", "2026-12-01").await;
    let mut n7 = 0;
    for day in days("2027-01-01", "2027-03-01") {
        w.day(day).await;
        let on = day.to_string();
        match on.as_str() {
            "2027-01-12" => w.evaluate(n1, &on).await,
            "2027-01-15" => {
                w.evaluate(n2, &on).await;
                w.evaluate(n3, &on).await;
            }
            "2027-01-27" => w.evaluate(n4, &on).await,
            "2027-02-01" => w.evaluate(n5, &on).await,
            "2027-02-02" => n7 = w.planned("通知7", sato, "2027-02-05", &on).await,
            "2027-02-06" => w.evaluate(n7, &on).await,
            _ => {}
        }
    }
    w.assert_mails(&[
        ("2027-01-05", SATO, &["通知1（あと7日）"]),
        ("2027-01-06", SATO, &["通知2（あと7日）"]),
        (
            "2027-01-07",
            SATO,
            &["通知3（あと7日）", "通知4（あと7日）"],
        ),
        ("2027-01-14", SATO, &["通知2（1日超過）"]),
        (
            "2027-01-15",
            SATO,
            &["通知3（1日超過）", "通知4（1日超過）"],
        ),
        ("2027-01-18", SATO, &["通知5（あと7日）"]),
        ("2027-01-22", SATO, &["通知4（8日超過）"]),
        ("2027-01-26", SATO, &["通知5（1日超過）"]),
        ("2027-02-03", SATO, &["通知7（あと2日）"]),
        ("2027-02-06", SATO, &["通知7（1日超過）"]),
        ("2027-02-13", SATO, &["通知6（あと7日）"]),
        ("2027-02-21", SATO, &["通知6（1日超過）"]),
        ("2027-02-28", SATO, &["通知6（8日超過）"]),
    ]);
}

/// The server answers 451 from the afternoon of 01-10 to noon on 01-13:
/// the digests queued on 01-11, 01-12 and 01-13 each fail after their 8
/// attempts (09:00 … 11:03). Failed messages do not count: on 01-14 the
/// owner hears of O1 (first overdue reminder) and O2 (its notice, still
/// owed) and the secretariat of O0's escalation; each rhythm counts from
/// 01-14.
#[tokio::test]
async fn an_smtp_outage_longer_than_the_retries_delays_reminders_to_the_next_run_after_it() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let o0 = w.planned("評価O0", sato, "2026-12-28", "2026-12-01").await;
    let o1 = w.planned("評価O1", sato, "2027-01-10", "2026-12-01").await;
    let o2 = w.planned("評価O2", sato, "2027-01-20", "2026-12-01").await;
    for day in days("2027-01-01", "2027-03-01") {
        let on = day.to_string();
        if on == "2027-01-13" {
            w.run(day).await;
            w.passes(day, &PASSES).await;
            w.smtp.set_tempfail(false); // back at noon: nothing is retried
            w.passes(day, &[180, 240, 600]).await;
            w.arrived(day);
        } else {
            w.day(day).await;
        }
        match on.as_str() {
            "2027-01-10" => w.smtp.set_tempfail(true),
            "2027-01-23" => w.evaluate(o0, &on).await,
            "2027-02-05" => w.evaluate(o1, &on).await,
            "2027-02-12" => w.evaluate(o2, &on).await,
            _ => {}
        }
    }
    w.assert_mails(&[
        ("2027-01-01", SATO, &["評価O0（4日超過）"]),
        ("2027-01-03", SATO, &["評価O1（あと7日）"]),
        ("2027-01-08", SATO, &["評価O0（11日超過）"]),
        (
            "2027-01-14",
            SATO,
            &["評価O1（4日超過）", "評価O2（あと6日）"],
        ),
        ("2027-01-14", JIMU, &["評価O0（17日超過）"]),
        ("2027-01-15", SATO, &["評価O0（18日超過）"]),
        (
            "2027-01-21",
            SATO,
            &["評価O1（11日超過）", "評価O2（1日超過）"],
        ),
        ("2027-01-21", JIMU, &["評価O0（24日超過）"]),
        ("2027-01-22", SATO, &["評価O0（25日超過）"]),
        ("2027-01-24", JIMU, &["評価O1（14日超過）"]),
        (
            "2027-01-28",
            SATO,
            &["評価O1（18日超過）", "評価O2（8日超過）"],
        ),
        ("2027-01-31", JIMU, &["評価O1（21日超過）"]),
        ("2027-02-03", JIMU, &["評価O2（14日超過）"]),
        (
            "2027-02-04",
            SATO,
            &["評価O1（25日超過）", "評価O2（15日超過）"],
        ),
        ("2027-02-10", JIMU, &["評価O2（21日超過）"]),
        ("2027-02-11", SATO, &["評価O2（22日超過）"]),
    ]);
    // What the outage cost: three days' digests, each tried 8 times.
    let failed: Vec<(String, i64)> = [
        line("2027-01-11", SATO, &["評価O1（1日超過）"]),
        line("2027-01-11", JIMU, &["評価O0（14日超過）"]),
        line("2027-01-12", SATO, &["評価O1（2日超過）"]),
        line("2027-01-12", JIMU, &["評価O0（15日超過）"]),
        line(
            "2027-01-13",
            SATO,
            &["評価O1（3日超過）", "評価O2（あと7日）"],
        ),
        line("2027-01-13", JIMU, &["評価O0（16日超過）"]),
    ]
    .into_iter()
    .map(|l| (l, 8))
    .collect();
    assert_eq!(w.deliveries("failed").await, failed);
    assert!(w.deliveries("retrying").await.is_empty());
    assert!(w.deliveries("queued").await.is_empty());
}

/// 田中's address is refused for good (550) on 01-11: it is not tried
/// again; from the next run the secretariat hears of 田中's items under
/// 【宛先のない対応策】 on their own rhythm (beside its escalation of 佐藤's
/// S1), without escalating them twice. Once the address is corrected
/// (01-27), the owner's reminders go to the new address at the next run:
/// a new recipient starts afresh, its last reminder (the notice of 01-03)
/// being a week and more old; R1 is escalated from then on too.
#[tokio::test]
async fn a_refused_address_is_not_mailed_again_and_its_items_go_to_the_secretariat_until_it_changes()
 {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let tanaka = w.member("田中 次郎", TANAKA).await;
    let s1 = w.planned("評価S1", sato, "2027-01-05", "2026-12-01").await;
    let r1 = w
        .planned("評価R1", tanaka, "2027-01-10", "2026-12-01")
        .await;
    let r2 = w
        .planned("評価R2", tanaka, "2027-01-24", "2026-12-01")
        .await;
    for day in days("2027-01-01", "2027-03-01") {
        w.day(day).await;
        let on = day.to_string();
        match on.as_str() {
            "2027-01-05" => w.smtp.reject(TANAKA),
            "2027-01-27" => {
                w.patch(
                    &format!("/api/members/{tanaka}"),
                    json!({ "email": TANAKA_NEW }),
                )
                .await
            }
            "2027-02-03" => w.evaluate(s1, &on).await,
            "2027-02-11" => w.evaluate(r1, &on).await,
            "2027-02-18" => w.evaluate(r2, &on).await,
            _ => {}
        }
    }
    w.assert_mails(&[
        ("2027-01-01", SATO, &["評価S1（あと4日）"]),
        ("2027-01-03", TANAKA, &["評価R1（あと7日）"]),
        ("2027-01-06", SATO, &["評価S1（1日超過）"]),
        ("2027-01-12", JIMU, &["宛先なし 評価R1（2日超過）"]),
        ("2027-01-13", SATO, &["評価S1（8日超過）"]),
        ("2027-01-17", JIMU, &["宛先なし 評価R2（あと7日）"]),
        (
            "2027-01-19",
            JIMU,
            &["評価S1（14日超過）", "宛先なし 評価R1（9日超過）"],
        ),
        ("2027-01-20", SATO, &["評価S1（15日超過）"]),
        ("2027-01-25", JIMU, &["宛先なし 評価R2（1日超過）"]),
        (
            "2027-01-26",
            JIMU,
            &["評価S1（21日超過）", "宛先なし 評価R1（16日超過）"],
        ),
        ("2027-01-27", SATO, &["評価S1（22日超過）"]),
        (
            "2027-01-28",
            TANAKA_NEW,
            &["評価R1（18日超過）", "評価R2（4日超過）"],
        ),
        ("2027-01-28", JIMU, &["評価R1（18日超過）"]),
        ("2027-02-02", JIMU, &["評価S1（28日超過）"]),
        ("2027-02-03", SATO, &["評価S1（29日超過）"]),
        (
            "2027-02-04",
            TANAKA_NEW,
            &["評価R1（25日超過）", "評価R2（11日超過）"],
        ),
        ("2027-02-04", JIMU, &["評価R1（25日超過）"]),
        ("2027-02-07", JIMU, &["評価R2（14日超過）"]),
        (
            "2027-02-11",
            TANAKA_NEW,
            &["評価R1（32日超過）", "評価R2（18日超過）"],
        ),
        ("2027-02-11", JIMU, &["評価R1（32日超過）"]),
        ("2027-02-14", JIMU, &["評価R2（21日超過）"]),
        ("2027-02-18", TANAKA_NEW, &["評価R2（25日超過）"]),
    ]);
    // The refused address was tried once, on 01-11, and never again.
    assert_eq!(
        w.deliveries("refused").await,
        [(line("2027-01-11", TANAKA, &["評価R1（1日超過）"]), 1)]
    );
    let to_old: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = $1")
        .bind(TANAKA)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(to_old, 2, "the notice of 01-03 and the refused reminder");
}

/// On 01-12 the server answers 451 from 09:00 to 10:00 while four digests
/// wait; at 09:20 P1 is evaluated, P3 archived, 田中 made inactive and P5
/// evaluated. The next attempt (09:31) re-reads them: 佐藤's digest goes
/// out at 10:03 with P2 only; 鈴木's, 田中's and the secretariat's are
/// cancelled (取消). Nothing closed is ever mailed; 田中's open P4 goes to
/// the secretariat (宛先のない) from the next run until it is given to 佐藤,
/// which starts its schedule afresh (escalation included).
#[tokio::test]
async fn items_closed_while_their_digest_waits_are_dropped_and_an_empty_digest_is_cancelled() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let suzuki = w.member("鈴木 一郎", SUZUKI).await;
    let tanaka = w.member("田中 次郎", TANAKA).await;
    let p1 = w.planned("評価P1", sato, "2027-01-11", "2026-12-01").await;
    let p2 = w.planned("評価P2", sato, "2027-01-11", "2026-12-01").await;
    let p3 = w
        .planned("評価P3", suzuki, "2027-01-11", "2026-12-01")
        .await;
    let p4 = w
        .planned("評価P4", tanaka, "2027-01-11", "2026-12-01")
        .await;
    let p5 = w.planned("評価P5", sato, "2026-12-29", "2026-12-01").await;
    for day in days("2027-01-04", "2027-03-04") {
        let on = day.to_string();
        if on == "2027-01-12" {
            w.smtp.set_tempfail(true);
            w.run(day).await;
            w.passes(day, &[0, 1, 3, 7, 15]).await;
            assert_eq!(w.deliveries("retrying").await.len(), 4);
            w.evaluate(p1, &on).await;
            w.patch(
                &format!("/api/countermeasures/{p3}"),
                json!({ "archived": true, "note": "事業終了" }),
            )
            .await;
            w.patch(
                &format!("/api/members/{tanaka}"),
                json!({ "active": false }),
            )
            .await;
            w.evaluate(p5, &on).await;
            w.passes(day, &[31]).await;
            w.smtp.set_tempfail(false);
            w.passes(day, &[63, 123]).await;
            w.arrived(day);
        } else {
            w.day(day).await;
        }
        match on.as_str() {
            "2027-01-22" => {
                w.patch(
                    &format!("/api/countermeasures/{p4}"),
                    json!({ "owner_member_id": sato, "note": "担当変更" }),
                )
                .await
            }
            "2027-01-26" => w.evaluate(p2, &on).await,
            _ => {}
        }
    }
    w.assert_mails(&[
        (
            "2027-01-04",
            SATO,
            &[
                "評価P5（6日超過）",
                "評価P1（あと7日）",
                "評価P2（あと7日）",
            ],
        ),
        ("2027-01-04", SUZUKI, &["評価P3（あと7日）"]),
        ("2027-01-04", TANAKA, &["評価P4（あと7日）"]),
        ("2027-01-11", SATO, &["評価P5（13日超過）"]),
        ("2027-01-12", SATO, &["評価P2（1日超過）"]),
        ("2027-01-13", JIMU, &["宛先なし 評価P4（2日超過）"]),
        ("2027-01-19", SATO, &["評価P2（8日超過）"]),
        ("2027-01-20", JIMU, &["宛先なし 評価P4（9日超過）"]),
        ("2027-01-23", SATO, &["評価P4（12日超過）"]),
        (
            "2027-01-25",
            JIMU,
            &["評価P2（14日超過）", "評価P4（14日超過）"],
        ),
        ("2027-01-26", SATO, &["評価P2（15日超過）"]),
        ("2027-01-30", SATO, &["評価P4（19日超過）"]),
        ("2027-02-01", JIMU, &["評価P4（21日超過）"]),
        ("2027-02-06", SATO, &["評価P4（26日超過）"]),
        ("2027-02-08", JIMU, &["評価P4（28日超過）"]),
        ("2027-02-13", SATO, &["評価P4（33日超過）"]),
        ("2027-02-15", JIMU, &["評価P4（35日超過）"]),
        ("2027-02-20", SATO, &["評価P4（40日超過）"]),
        ("2027-02-22", JIMU, &["評価P4（42日超過）"]),
        ("2027-02-27", SATO, &["評価P4（47日超過）"]),
        ("2027-03-01", JIMU, &["評価P4（49日超過）"]),
    ]);
    // The log of 01-12: what was sent, and why the rest was not.
    let r = w.app.get("/api/reminders/deliveries?limit=500").await;
    let of_day: Vec<&Value> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reminder_date"] == "2027-01-12")
        .collect();
    let state = |to: &str| -> (String, i64, String) {
        let m = of_day.iter().find(|m| m["recipient"] == to).unwrap();
        (
            m["state"].as_str().unwrap().to_string(),
            m["attempts"].as_i64().unwrap(),
            m["last_error"].as_str().unwrap_or_default().to_string(),
        )
    };
    assert_eq!(of_day.len(), 4);
    assert_eq!(state(SATO).0, "sent");
    assert_eq!(state(SATO).1, 7);
    for (to, why) in [
        (SUZUKI, "評価P3（#"),
        (TANAKA, "担当委員が無効になりました"),
        (JIMU, "評価済みです（評価改善）"),
    ] {
        let (s, attempts, error) = state(to);
        assert_eq!((s.as_str(), attempts), ("cancelled", 6), "{to}");
        assert!(
            error.starts_with("取消") && error.contains(why),
            "{to}: {error}"
        );
    }
    assert!(state(SUZUKI).2.contains("アーカイブされました"));
}

/// Escalations follow each item's own rhythm (notice 3 days ahead, repeat
/// every 5 days, escalation from 10 days overdue): E1 and E3 are escalated
/// together, E2 on its own days; E2 postponed on 01-26 stops being
/// escalated until 10 days past its new date (03-02); E1 evaluated on
/// 02-08 is escalated no more.
#[tokio::test]
async fn escalations_to_the_secretariat_follow_each_item_on_its_own_rhythm() {
    let mut w = Walk::new(overdue_job(3, 5, 10, 8), Some(JIMU)).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let e1 = w.planned("評価E1", sato, "2027-01-01", "2026-12-01").await;
    let e2 = w.planned("評価E2", sato, "2027-01-04", "2026-12-01").await;
    w.planned("評価E3", sato, "2027-01-11", "2026-12-01").await;
    for day in days("2027-01-02", "2027-03-02") {
        w.day(day).await;
        match day.to_string().as_str() {
            "2027-01-26" => w.postpone(e2, "2027-02-20").await,
            "2027-02-08" => w.evaluate(e1, "2027-02-08").await,
            _ => {}
        }
    }
    w.assert_mails(&[
        (
            "2027-01-02",
            SATO,
            &["評価E1（1日超過）", "評価E2（あと2日）"],
        ),
        ("2027-01-05", SATO, &["評価E2（1日超過）"]),
        ("2027-01-07", SATO, &["評価E1（6日超過）"]),
        ("2027-01-08", SATO, &["評価E3（あと3日）"]),
        ("2027-01-10", SATO, &["評価E2（6日超過）"]),
        ("2027-01-11", JIMU, &["評価E1（10日超過）"]),
        (
            "2027-01-12",
            SATO,
            &["評価E1（11日超過）", "評価E3（1日超過）"],
        ),
        ("2027-01-14", JIMU, &["評価E2（10日超過）"]),
        ("2027-01-15", SATO, &["評価E2（11日超過）"]),
        ("2027-01-16", JIMU, &["評価E1（15日超過）"]),
        (
            "2027-01-17",
            SATO,
            &["評価E1（16日超過）", "評価E3（6日超過）"],
        ),
        ("2027-01-19", JIMU, &["評価E2（15日超過）"]),
        ("2027-01-20", SATO, &["評価E2（16日超過）"]),
        (
            "2027-01-21",
            JIMU,
            &["評価E1（20日超過）", "評価E3（10日超過）"],
        ),
        (
            "2027-01-22",
            SATO,
            &["評価E1（21日超過）", "評価E3（11日超過）"],
        ),
        ("2027-01-24", JIMU, &["評価E2（20日超過）"]),
        ("2027-01-25", SATO, &["評価E2（21日超過）"]),
        (
            "2027-01-26",
            JIMU,
            &["評価E1（25日超過）", "評価E3（15日超過）"],
        ),
        (
            "2027-01-27",
            SATO,
            &["評価E1（26日超過）", "評価E3（16日超過）"],
        ),
        (
            "2027-01-31",
            JIMU,
            &["評価E1（30日超過）", "評価E3（20日超過）"],
        ),
        (
            "2027-02-01",
            SATO,
            &["評価E1（31日超過）", "評価E3（21日超過）"],
        ),
        (
            "2027-02-05",
            JIMU,
            &["評価E1（35日超過）", "評価E3（25日超過）"],
        ),
        (
            "2027-02-06",
            SATO,
            &["評価E1（36日超過）", "評価E3（26日超過）"],
        ),
        ("2027-02-10", JIMU, &["評価E3（30日超過）"]),
        ("2027-02-11", SATO, &["評価E3（31日超過）"]),
        ("2027-02-15", JIMU, &["評価E3（35日超過）"]),
        ("2027-02-16", SATO, &["評価E3（36日超過）"]),
        ("2027-02-17", SATO, &["評価E2（あと3日）"]),
        ("2027-02-20", JIMU, &["評価E3（40日超過）"]),
        (
            "2027-02-21",
            SATO,
            &["評価E3（41日超過）", "評価E2（1日超過）"],
        ),
        ("2027-02-25", JIMU, &["評価E3（45日超過）"]),
        (
            "2027-02-26",
            SATO,
            &["評価E3（46日超過）", "評価E2（6日超過）"],
        ),
        (
            "2027-03-02",
            JIMU,
            &["評価E3（50日超過）", "評価E2（10日超過）"],
        ),
    ]);
}

/// A committee member sitting in two wards has a member record in each,
/// with one address: each day's items of both records come in one digest,
/// and neither is dropped at sending as if its owner had changed.
#[tokio::test]
async fn a_member_of_two_wards_gets_one_digest_listing_the_items_of_both() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let municipality = w.app.get(&format!("/api/wards/{}", w.ward)).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let r = w
        .app
        .post(
            "/api/wards",
            json!({ "municipality_id": municipality, "name": "南区" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let minami = r.body["id"].as_i64().unwrap();
    let kita_sato = w.member("佐藤 花子", SATO).await;
    let minami_sato = w.app.member_with_email(minami, "佐藤 花子", SATO).await;
    w.planned("北区の評価", kita_sato, "2027-01-10", "2026-12-01")
        .await;
    let id = w.app.countermeasure(minami, 3, "南区の評価").await;
    w.ok(w
        .app
        .transition(
            id,
            json!({ "to": "具体化", "on": "2026-12-01", "owner_member_id": minami_sato, "evaluation_due_on": "2027-01-10" }),
        )
        .await);
    for day in days("2027-01-01", "2027-01-25") {
        w.day(day).await;
    }
    w.assert_mails(&[
        (
            "2027-01-03",
            SATO,
            &["北区の評価（あと7日）", "南区の評価（あと7日）"],
        ),
        (
            "2027-01-11",
            SATO,
            &["北区の評価（1日超過）", "南区の評価（1日超過）"],
        ),
        (
            "2027-01-18",
            SATO,
            &["北区の評価（8日超過）", "南区の評価（8日超過）"],
        ),
        ("2027-01-24", JIMU, &["北区の評価（14日超過）"]),
        (
            "2027-01-25",
            SATO,
            &["北区の評価（15日超過）", "南区の評価（15日超過）"],
        ),
    ]);
}

#[tokio::test]
async fn an_item_handed_to_another_owner_and_back_starts_afresh_for_each() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), None).await;
    let sato = w.member("佐藤 花子", SATO).await;
    let suzuki = w.member("鈴木 一郎", SUZUKI).await;
    let x = w.planned("評価X", sato, "2027-01-10", "2026-12-01").await;
    for day in days("2027-01-01", "2027-01-21") {
        w.day(day).await;
        let owner = match day.to_string().as_str() {
            "2027-01-12" => suzuki,
            "2027-01-13" => sato,
            _ => continue,
        };
        w.patch(
            &format!("/api/countermeasures/{x}"),
            json!({ "owner_member_id": owner, "note": "担当変更" }),
        )
        .await;
    }
    // Back with 佐藤 on 01-13, the item is 佐藤's anew: reminded the next
    // morning, not a week after 佐藤's reminder of 01-11.
    w.assert_mails(&[
        ("2027-01-03", SATO, &["評価X（あと7日）"]),
        ("2027-01-11", SATO, &["評価X（1日超過）"]),
        ("2027-01-13", SUZUKI, &["評価X（3日超過）"]),
        ("2027-01-14", SATO, &["評価X（4日超過）"]),
        ("2027-01-21", SATO, &["評価X（11日超過）"]),
    ]);
}

#[tokio::test]
async fn a_secretariat_digest_waiting_for_smtp_drops_an_item_whose_owner_got_an_address() {
    let mut w = Walk::new(overdue_job(7, 7, 14, 8), Some(JIMU)).await;
    let r = w
        .app
        .post(
            &format!("/api/wards/{}/members", w.ward),
            json!({ "name": "佐藤 花子", "organization": "テスト医師会", "organization_kind": "医師会" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sato = r.body["id"].as_i64().unwrap();
    w.planned("評価X", sato, "2027-01-10", "2026-12-01").await;
    for day in days("2027-01-01", "2027-01-12") {
        if day == d("2027-01-11") {
            // The secretariat's digest is refused for a while at 09:00;
            // the owner's address is registered at 09:02.
            w.smtp.set_tempfail(true);
            w.run(day).await;
            w.passes(day, &[0, 1]).await;
            w.patch(&format!("/api/members/{sato}"), json!({ "email": SATO }))
                .await;
            w.smtp.set_tempfail(false);
            w.passes(day, &PASSES[2..]).await;
            w.arrived(day);
            continue;
        }
        w.day(day).await;
    }
    w.assert_mails(&[
        ("2027-01-03", JIMU, &["宛先なし 評価X（あと7日）"]),
        ("2027-01-12", SATO, &["評価X（2日超過）"]),
    ]);
    let cancelled = w.deliveries("cancelled").await;
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
}
