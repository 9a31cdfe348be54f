//! Reminders for overdue evaluations, end to end against a real SMTP server
//! (mailin-embedded on a loopback port): what is queued, what arrives, and
//! how the outbox behaves when the server refuses, rejects, or the sender
//! is restarted. Job and sender passes are stepped directly, never by timer.

use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};
use renkei::db::Db;
use renkei::reminders::jobs::Job;
use renkei::reminders::sender::send_pending_once;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{SmtpSink, TestApp, free_port, mailer, overdue_job};

const SATO: &str = "hanako.sato@clinic.example.jp";
const SATO_NAME: &str = "佐藤 花子";
const SUZUKI: &str = "ichiro.suzuki@care.example.jp";
const SUZUKI_NAME: &str = "鈴木 一郎";
const KITA_JIMU: &str = "kita-jimukyoku@city.example.jp";

fn now() -> DateTime<Utc> {
    crate::support::NOW.parse().unwrap()
}

/// Two wards; 佐藤 (北区) owns an item 4 days overdue, one 54 days overdue
/// (escalated), one due in 4 days (notice), one far ahead, one evaluated
/// and one archived; 鈴木 (南区, no secretariat address) one item 1 day overdue.
struct Fixture {
    app: TestApp,
    kita: i64,
    overdue_4: i64,
    overdue_54: i64,
    soon_4: i64,
    suzuki_1: i64,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("テスト市", &["北区", "南区"])
        .await;
    let (kita, minami) = (wards[0], wards[1]);
    app.set_secretariat(kita, KITA_JIMU).await;
    let sato = app.member_with_email(kita, SATO_NAME, SATO).await;
    let suzuki = app.member_with_email(minami, SUZUKI_NAME, SUZUKI).await;
    let overdue_4 = app
        .planned(
            kita,
            3,
            "入退院時の情報共有ルールの評価",
            sato,
            "2026-11-20",
        )
        .await;
    let overdue_54 = app
        .planned(kita, 6, "多職種研修の評価", sato, "2026-10-01")
        .await;
    let soon_4 = app
        .planned(kita, 1, "資源マップ更新の評価", sato, "2026-11-28")
        .await;
    app.planned(kita, 2, "遠い期限の対応策", sato, "2027-01-31")
        .await;
    let evaluated = app
        .planned(kita, 4, "評価済みの対応策", sato, "2026-11-01")
        .await;
    let r = app
        .transition(
            evaluated,
            json!({ "to": "評価改善", "evaluation": "評価", "improvement": "改善", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let archived = app
        .planned(kita, 5, "統合済みの対応策", sato, "2026-11-02")
        .await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{archived}"),
            json!({ "archived": true, "note": "統合" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let suzuki_1 = app
        .planned(minami, 7, "住民向け講演会の評価", suzuki, "2026-11-23")
        .await;
    Fixture {
        app,
        kita,
        overdue_4,
        overdue_54,
        soon_4,
        suzuki_1,
    }
}

fn job() -> Job {
    overdue_job(7, 7, 14, 5)
}

#[tokio::test]
async fn each_owner_gets_one_digest_of_their_items_sorted_by_due_date() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let report = f.app.run_job(&job(), now()).await;
    assert_eq!(report.queued, 3, "佐藤, 鈴木 and the 北区 secretariat");
    let sent = send_pending_once(&f.app.db, &mailer(&smtp.url()), now())
        .await
        .unwrap();
    assert_eq!(sent.sent, 3);

    let to_sato = smtp.to(SATO);
    assert_eq!(to_sato.len(), 1, "one digest per recipient");
    let m = &to_sato[0];
    assert_eq!(m.to, vec![SATO.to_string()], "the owner only");
    assert_eq!(
        m.subject(),
        "【renkei】対応策の評価期限が過ぎています（超過2件・期限間近1件）"
    );
    let text = m.text();
    let order: Vec<usize> = [
        "多職種研修の評価",
        "入退院時の情報共有ルールの評価",
        "資源マップ更新の評価",
    ]
    .iter()
    .map(|t| {
        text.find(t)
            .unwrap_or_else(|| panic!("{t} missing: {text}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sorted by due date: {text}"
    );
    for absent in [
        "遠い期限の対応策",
        "評価済みの対応策",
        "統合済みの対応策",
        "住民向け講演会",
    ] {
        assert!(!text.contains(absent), "{absent} listed: {text}");
    }
    assert!(text.contains("区: 北区"), "{text}");
    assert!(text.contains("3. 情報共有のルールの策定について"), "{text}");
    assert!(text.contains("令和8年11月20日（2026-11-20）"), "{text}");
    assert!(
        text.contains("入退院時の情報共有ルールの評価（4日超過）"),
        "{text}"
    );
    assert!(text.contains("資源マップ更新の評価（あと4日）"), "{text}");
    let link = format!("https://renkei.example.jp/countermeasures/{}", f.overdue_4);
    assert!(text.contains(&link), "{text}");
    let html = m.html();
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(html.contains("54日超過"), "{html}");
    assert!(
        m.message_id().starts_with("reminder."),
        "{}",
        m.message_id()
    );

    let to_suzuki = smtp.to(SUZUKI);
    assert_eq!(to_suzuki.len(), 1);
    assert!(
        to_suzuki[0]
            .text()
            .contains("住民向け講演会の評価（1日超過）")
    );
    assert!(!to_suzuki[0].text().contains("多職種研修"));
    let _ = (f.soon_4, f.suzuki_1);
}

#[tokio::test]
async fn the_ward_secretariat_is_copied_on_items_overdue_past_the_escalation_delay() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    f.app.run_job(&job(), now()).await;
    send_pending_once(&f.app.db, &mailer(&smtp.url()), now())
        .await
        .unwrap();
    let to_jimu = smtp.to(KITA_JIMU);
    assert_eq!(to_jimu.len(), 1);
    let m = &to_jimu[0];
    assert_eq!(
        m.subject(),
        "【renkei】評価期限を過ぎた対応策が1件あります（事務局あて）"
    );
    let text = m.text();
    // The secretariat is greeted by the ward it serves.
    assert!(
        text.starts_with("北区 在宅医療・介護連携推進会議 事務局 御中"),
        "{text}"
    );
    assert!(text.contains("多職種研修の評価（54日超過）"), "{text}");
    assert!(text.contains(&format!("担当: {SATO_NAME}")), "{text}");
    assert!(
        !text.contains("入退院時"),
        "4 days is below the delay: {text}"
    );
    assert!(text.contains(&format!(
        "https://renkei.example.jp/countermeasures/{}",
        f.overdue_54
    )));

    // A longer delay for this municipality: no escalation at all.
    let f2 = fixture().await;
    let smtp2 = SmtpSink::start();
    let m_id = f2.app.get(&format!("/api/wards/{}", f2.kita)).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    renkei::reminders::store::set_overrides(
        &f2.app.db,
        &renkei::access::operator().city_of(m_id),
        &renkei::reminders::Overrides {
            escalation_after_days: Some(60),
            ..Default::default()
        },
        now(),
    )
    .await
    .unwrap();
    f2.app.run_job(&job(), now()).await;
    send_pending_once(&f2.app.db, &mailer(&smtp2.url()), now())
        .await
        .unwrap();
    assert!(smtp2.to(KITA_JIMU).is_empty());
    assert_eq!(smtp2.to(SATO).len(), 1);
}

#[tokio::test]
async fn a_second_run_the_same_day_queues_and_sends_nothing_new() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let m = mailer(&smtp.url());
    assert_eq!(f.app.run_job(&job(), now()).await.queued, 3);
    send_pending_once(&f.app.db, &m, now()).await.unwrap();
    let later = now() + TimeDelta::hours(8);
    let again = f.app.run_job(&job(), later).await;
    assert_eq!(again.queued, 0);
    assert!(again.owed.iter().all(|o| o.already_queued));
    send_pending_once(&f.app.db, &m, later).await.unwrap();
    assert_eq!(smtp.received().len(), 3);
    assert_eq!(f.app.count("outbox").await, 3);

    // The next day nothing is owed: each item was reminded yesterday.
    assert_eq!(
        f.app
            .run_job(&job(), now() + TimeDelta::days(1))
            .await
            .queued,
        0
    );
    // Each item keeps its own rhythm: the one due 11-28 (noticed on 11-24)
    // gets its first overdue reminder on 11-29, alone; the one due 11-20
    // its next on 12-01, a week after the last, with 鈴木's. Evaluating an
    // item stops its reminders.
    let r = f
        .app
        .transition(
            f.overdue_54,
            json!({ "to": "評価改善", "evaluation": "評価", "improvement": "改善", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for days in 2..=4 {
        let quiet = f.app.run_job(&job(), now() + TimeDelta::days(days)).await;
        assert_eq!(quiet.queued, 0, "day +{days}: {:?}", quiet.owed);
    }
    let day5 = now() + TimeDelta::days(5);
    let rerun = f.app.run_job(&job(), day5).await;
    assert_eq!(rerun.queued, 1, "{:?}", rerun.owed);
    send_pending_once(&f.app.db, &m, day5).await.unwrap();
    assert_eq!(
        f.app
            .run_job(&job(), now() + TimeDelta::days(6))
            .await
            .queued,
        0
    );
    let day7 = now() + TimeDelta::days(7);
    let rerun = f.app.run_job(&job(), day7).await;
    assert_eq!(rerun.queued, 2, "{:?}", rerun.owed);
    send_pending_once(&f.app.db, &m, day7).await.unwrap();
    let sato = smtp.to(SATO);
    assert_eq!(sato.len(), 3);
    assert_eq!(listed(&sato[1]), ["■ 資源マップ更新の評価（1日超過）"]);
    assert_eq!(
        listed(&sato[2]),
        ["■ 入退院時の情報共有ルールの評価（11日超過）"]
    );
    assert_eq!(smtp.to(SUZUKI).len(), 2);
    // That run's batch held keys already queued and one new: only the new
    // message got its history row.
    let without_one_queued_row: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox o WHERE (SELECT COUNT(*) FROM outbox_events e \
         WHERE e.outbox_id = o.id AND e.state = 'queued') <> 1",
    )
    .fetch_one(&f.app.db.pool)
    .await
    .unwrap();
    assert_eq!(without_one_queued_row, 0);
    let queued_rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events WHERE state = 'queued'")
            .fetch_one(&f.app.db.pool)
            .await
            .unwrap();
    assert_eq!(queued_rows, 6);
}

#[tokio::test]
async fn a_large_run_is_queued_in_batches_each_message_with_its_history_row() {
    // More messages than one statement holds on either database (SQLite
    // 15, PostgreSQL 470), half of them already queued by an earlier run.
    use renkei::reminders::store::{NewMessage, queue};
    use renkei::reminders::{Digest, RecipientKind};
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("テスト市", &["北区"]).await[0];
    let digests: Vec<Digest> = (0..1000)
        .map(|n| Digest {
            kind: RecipientKind::Owner,
            recipient: format!("member{n}@example.jp"),
            member_id: None,
            ward_id: ward,
            items: vec![],
        })
        .collect();
    let messages = |upto: usize| -> Vec<NewMessage<'_>> {
        digests[..upto]
            .iter()
            .enumerate()
            .map(|(n, digest)| NewMessage {
                digest,
                idempotency_key: format!("key-{n}"),
                message_id: format!("<m{n}@renkei.example.jp>"),
                subject: format!("件名{n}"),
                text: format!("本文{n}"),
                html: format!("<p>本文{n}</p>"),
                max_attempts: 3,
            })
            .collect()
    };
    let today = renkei::calendar::today(now());
    assert_eq!(
        queue(&app.db, "job", today, &messages(500), now())
            .await
            .unwrap(),
        500
    );
    assert_eq!(
        queue(&app.db, "job", today, &messages(1000), now())
            .await
            .unwrap(),
        500
    );
    assert_eq!(app.count("outbox").await, 1000);
    assert_eq!(app.count("outbox_events").await, 1000);
    let with_history: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT outbox_id) FROM outbox_events WHERE state = 'queued'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(with_history, 1000);
    let row: (String, String, String, String, String) = sqlx::query_as(
        "SELECT recipient, message_id, subject, body_html, state FROM outbox WHERE idempotency_key = 'key-777'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "member777@example.jp".to_string(),
            "<m777@renkei.example.jp>".to_string(),
            "件名777".to_string(),
            "<p>本文777</p>".to_string(),
            "queued".to_string()
        )
    );
}

#[tokio::test]
async fn reminders_wait_while_smtp_refuses_connections_and_all_go_out_when_it_returns() {
    let f = fixture().await;
    let port = free_port();
    let m = mailer(&format!("smtp://127.0.0.1:{port}"));
    f.app.run_job(&job(), now()).await;
    let down = send_pending_once(&f.app.db, &m, now()).await.unwrap();
    assert_eq!((down.sent, down.retrying, down.failed), (0, 3, 0));
    assert!(
        f.app
            .outbox_states()
            .await
            .iter()
            .all(|(s, a)| s == "retrying" && *a == 1)
    );

    let smtp = SmtpSink::start_on(port);
    // Backoff: the first retry waits a minute.
    let early = send_pending_once(&f.app.db, &m, now() + TimeDelta::seconds(30))
        .await
        .unwrap();
    assert_eq!(early.sent, 0);
    let back = send_pending_once(&f.app.db, &m, now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!(back.sent, 3);
    for addr in [SATO, SUZUKI, KITA_JIMU] {
        assert_eq!(smtp.to(addr).len(), 1, "{addr}");
    }
    assert!(
        f.app
            .outbox_states()
            .await
            .iter()
            .all(|(s, a)| s == "sent" && *a == 2)
    );
    let log = f.app.get("/api/reminders/deliveries").await;
    for d in log.body["items"].as_array().unwrap() {
        assert!(d["sent_at"].is_string(), "{d}");
    }
    // The history: queued, then per attempt sending → retrying / sent.
    let events: Vec<String> =
        sqlx::query_scalar("SELECT state FROM outbox_events WHERE outbox_id = 1 ORDER BY id")
            .fetch_all(&f.app.db.pool)
            .await
            .unwrap();
    assert_eq!(events, ["queued", "sending", "retrying", "sending", "sent"]);
}

const TANAKA: &str = "jiro.tanaka@home.example.jp";

/// The ■ lines of a mail's plain text: one per listed countermeasure.
fn listed(mail: &crate::support::Received) -> Vec<String> {
    mail.text()
        .lines()
        .filter(|l| l.starts_with('■'))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn items_closed_while_smtp_refused_drop_out_and_a_digest_left_empty_is_cancelled() {
    let app = TestApp::spawn().await;
    let kita = app.municipality_with_wards("テスト市", &["北区"]).await[0];
    app.set_secretariat(kita, KITA_JIMU).await;
    let sato = app.member_with_email(kita, SATO_NAME, SATO).await;
    let suzuki = app.member_with_email(kita, SUZUKI_NAME, SUZUKI).await;
    let tanaka = app.member_with_email(kita, "田中 次郎", TANAKA).await;
    // 佐藤: two overdue items, one of which gets evaluated.
    let evaluated = app
        .planned(kita, 3, "情報共有ルールの評価", sato, "2026-11-20")
        .await;
    let still_open = app
        .planned(kita, 4, "退院支援研修の評価", sato, "2026-11-22")
        .await;
    // 鈴木: one item, archived meanwhile.
    let archived = app
        .planned(kita, 5, "講演会の評価", suzuki, "2026-11-21")
        .await;
    // 田中: one item 54 days overdue (escalated to the secretariat too),
    // and 田中 is made inactive meanwhile.
    let escalated = app
        .planned(kita, 6, "多職種研修の評価", tanaka, "2026-10-01")
        .await;

    let port = free_port();
    let m = mailer(&format!("smtp://127.0.0.1:{port}")).with_base_url(&app.base_url);
    let report = app.run_job(&job(), now()).await;
    assert_eq!(report.queued, 4, "佐藤, 鈴木, 田中 and the secretariat");
    let down = send_pending_once(&app.db, &m, now()).await.unwrap();
    assert_eq!((down.sent, down.retrying), (0, 4));
    let sato_message_id: String =
        sqlx::query_scalar("SELECT message_id FROM outbox WHERE recipient = $1")
            .bind(SATO)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();

    let r = app
        .transition(
            evaluated,
            json!({ "to": "評価改善", "evaluation": "実施済み", "improvement": "継続", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/countermeasures/{archived}"),
            json!({ "archived": true, "note": "事業終了" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/members/{tanaka}"),
            json!({ "active": false }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let smtp = SmtpSink::start_on(port);
    let back = send_pending_once(&app.db, &m, now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!((back.sent, back.cancelled, back.retrying), (2, 2, 0));
    assert_eq!(smtp.received().len(), 2);

    // 佐藤 hears of the open item only, re-rendered, under the same Message-ID.
    let to_sato = smtp.to(SATO);
    assert_eq!(to_sato.len(), 1);
    assert_eq!(
        listed(&to_sato[0]),
        ["■ 退院支援研修の評価（2日超過）"],
        "{}",
        to_sato[0].text()
    );
    assert!(
        to_sato[0].subject().contains("超過1件"),
        "{}",
        to_sato[0].subject()
    );
    assert!(
        to_sato[0]
            .text()
            .contains(&format!("{}/countermeasures/{still_open}", app.base_url)),
        "{}",
        to_sato[0].text()
    );
    assert_eq!(
        to_sato[0].message_id().trim_matches(['<', '>']),
        sato_message_id.trim_matches(['<', '>'])
    );
    // The secretariat still hears of 田中's escalated item: it is still open,
    // and the secretariat is the one to find a new owner.
    let to_jimu = smtp.to(KITA_JIMU);
    assert_eq!(to_jimu.len(), 1);
    assert_eq!(listed(&to_jimu[0]), ["■ 多職種研修の評価（54日超過）"]);
    assert!(smtp.to(SUZUKI).is_empty() && smtp.to(TANAKA).is_empty());
    let _ = escalated;

    // The delivery log: 佐藤's message lists what was sent; the two
    // cancelled ones say why.
    let log = app.get("/api/reminders/deliveries").await;
    let rows = log.body["items"].as_array().unwrap();
    let row = |addr: &str| rows.iter().find(|d| d["recipient"] == addr).unwrap();
    assert_eq!(row(SATO)["state"], "sent");
    let items = row(SATO)["items"].as_array().unwrap();
    let ids: Vec<i64> = items
        .iter()
        .filter(|i| i["dropped"].is_null())
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [still_open]);
    // The evaluated one keeps its place in the log, with why it dropped out.
    let dropped = items.iter().find(|i| i["id"] == evaluated).unwrap();
    assert!(
        dropped["dropped"].as_str().unwrap().contains("評価済み"),
        "{dropped}"
    );
    for (addr, why) in [
        (SUZUKI, "アーカイブされました"),
        (TANAKA, "担当委員が無効になりました"),
    ] {
        assert_eq!(row(addr)["state"], "cancelled", "{}", log.text);
        let error = row(addr)["last_error"].as_str().unwrap();
        assert!(error.starts_with("取消") && error.contains(why), "{error}");
    }
    let cancelled = app.get("/api/reminders/deliveries?state=cancelled").await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.body["total"], 2, "{}", cancelled.text);
    let (status, page) = app.page("/reminders/deliveries?state=cancelled").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("取消") && page.contains("講演会の評価（#") && page.contains(TANAKA),
        "{page}"
    );
    assert!(!page.contains(SATO), "{page}");
    // 佐藤's history shows the re-rendering between the attempts.
    let events: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT e.state, e.error FROM outbox_events e JOIN outbox o ON o.id = e.outbox_id \
         WHERE o.recipient = $1 ORDER BY e.id",
    )
    .bind(SATO)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let states: Vec<&str> = events.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        states,
        [
            "queued", "sending", "retrying", "sending", "revised", "sent"
        ]
    );
    assert!(
        events[4]
            .1
            .as_deref()
            .unwrap()
            .contains("情報共有ルールの評価"),
        "{events:?}"
    );

    // Nothing is left to send.
    let again = send_pending_once(&app.db, &m, now() + TimeDelta::hours(3))
        .await
        .unwrap();
    assert_eq!((again.sent, again.cancelled), (0, 0));
}

#[tokio::test]
async fn temporary_4xx_replies_delay_delivery_and_lose_nothing() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let m = mailer(&smtp.url());
    f.app.run_job(&job(), now()).await;
    smtp.set_tempfail(true);
    let r = send_pending_once(&f.app.db, &m, now()).await.unwrap();
    assert_eq!(r.retrying, 3);
    let deliveries = f.app.get("/api/reminders/deliveries").await;
    assert_eq!(deliveries.status, StatusCode::OK, "{}", deliveries.text);
    let items = deliveries.body["items"].as_array().unwrap();
    assert!(items.iter().all(|d| d["state"] == "retrying"));
    assert!(
        items[0]["last_error"].as_str().unwrap().contains("451"),
        "{}",
        deliveries.text
    );
    smtp.set_tempfail(false);
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::minutes(5))
        .await
        .unwrap();
    assert_eq!(r.sent, 3);
    assert_eq!(smtp.received().len(), 3);
}

#[tokio::test]
async fn an_unreachable_server_is_probed_with_one_batch_per_pass_not_every_message() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    for i in 0..20 {
        let owner = app
            .member_with_email(
                ward,
                &format!("委員 {i}"),
                &format!("m{i}@clinic.example.jp"),
            )
            .await;
        app.planned(
            ward,
            1 + i % 10,
            &format!("対応策 {i}"),
            owner,
            "2026-11-01",
        )
        .await;
    }
    assert_eq!(app.run_job(&job(), now()).await.queued, 20);
    let port = free_port();
    let m = mailer(&format!("smtp://127.0.0.1:{port}"));
    let down = send_pending_once(&app.db, &m, now()).await.unwrap();
    // One batch of 16 tried and rescheduled; the other 4 not tried at all.
    assert_eq!((down.sent, down.retrying, down.failed), (0, 16, 0));
    let states = app.outbox_states().await;
    assert_eq!(
        states
            .iter()
            .filter(|(s, a)| s == "retrying" && *a == 1)
            .count(),
        16
    );
    assert_eq!(
        states
            .iter()
            .filter(|(s, a)| s == "queued" && *a == 0)
            .count(),
        4
    );

    // Back up: everything goes out, once each.
    let smtp = SmtpSink::start_on(port);
    let back = send_pending_once(&app.db, &m, now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!((back.sent, back.retrying, back.failed), (20, 0, 0));
    assert_eq!(smtp.received().len(), 20);
    app.stop().await;
}

#[tokio::test]
async fn a_transient_failure_that_outlasts_max_attempts_is_marked_failed() {
    let f = fixture().await;
    let m = mailer(&format!("smtp://127.0.0.1:{}", free_port()));
    f.app.run_job(&overdue_job(7, 7, 14, 2), now()).await;
    send_pending_once(&f.app.db, &m, now()).await.unwrap();
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!((r.failed, r.retrying), (3, 0));
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed, r.retrying), (0, 0, 0), "not retried");
}

#[tokio::test]
async fn a_permanent_rejection_is_marked_refused_not_retried_and_shown_to_the_ward() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    smtp.reject(KITA_JIMU);
    let m = mailer(&smtp.url());
    f.app.run_job(&job(), now()).await;
    let r = send_pending_once(&f.app.db, &m, now()).await.unwrap();
    assert_eq!((r.sent, r.refused, r.failed, r.retrying), (2, 1, 0, 0));
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::hours(3))
        .await
        .unwrap();
    assert_eq!((r.sent, r.refused, r.retrying), (0, 0, 0), "not retried");
    assert!(smtp.to(KITA_JIMU).is_empty());

    let failed = f
        .app
        .get(&format!(
            "/api/reminders/deliveries?ward_id={}&state=refused",
            f.kita
        ))
        .await;
    assert_eq!(failed.body["total"], 1, "{}", failed.text);
    let d = &failed.body["items"][0];
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["recipient_kind"], "secretariat");
    assert!(d["last_error"].as_str().unwrap().contains("550"), "{d}");

    let (status, page) = f.app.page(&format!("/wards/{}", f.kita)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("送信できなかった通知"), "{page}");
    assert!(page.contains("550"), "{page}");

    // The ward's secretariat, asked to act on it, follows the dashboard's
    // link to the delivery log and sees its own ward's failure there; the
    // other ward's secretariat sees nothing of it, whatever it asks for.
    let ward = f.app.get(&format!("/api/wards/{}", f.kita)).await;
    let municipality = ward.body["municipality_id"].as_i64();
    let other = f.kita + 1;
    let secretariat = |email: &'static str, ward: i64| {
        crate::support::create_account_token(
            &f.app.db,
            email,
            renkei::accounts::Role::Secretariat,
            municipality,
            Some(ward),
            now(),
        )
    };
    let own = secretariat("kita-jimu@example.jp", f.kita).await;
    let page = f.app.page_as(&own, &format!("/wards/{}", f.kita)).await.1;
    let link = page
        .split("href=\"")
        .map(|s| {
            s.split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&")
        })
        .find(|h| h.starts_with("/reminders/deliveries") && h.contains("state=refused"))
        .expect("the dashboard links to the refused messages");
    let (status, log) = f.app.page_as(&own, &link).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert!(log.contains("550"), "{log}");
    let theirs = secretariat("minami-jimu@example.jp", other).await;
    let (status, log) = f.app.page_as(&theirs, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!log.contains("550"), "another ward's failure shown: {log}");
}

#[tokio::test]
async fn messages_queued_or_in_flight_are_delivered_after_a_restart() {
    let f = fixture().await;
    f.app.run_job(&job(), now()).await;
    // The sender took one message and the process died mid-send.
    let leased = renkei::reminders::store::claim(&f.app.db, now(), now() + TimeDelta::minutes(5))
        .await
        .unwrap()
        .expect("a message to claim");
    let message_id = leased.message_id.clone();
    f.app.db.pool.close().await;

    // A new process on the same database.
    let db = Db::connect(&f.app.db_url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let smtp = SmtpSink::start();
    let m = mailer(&smtp.url());
    let r = send_pending_once(&db, &m, now()).await.unwrap();
    assert_eq!(r.sent, 2, "the queued ones at once");
    let r = send_pending_once(&db, &m, now() + TimeDelta::minutes(6))
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "the one in flight once its lease ran out");
    let all = smtp.received();
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .any(|m| format!("<{}>", m.message_id()) == message_id),
        "the resend carries the Message-ID fixed at queue time"
    );
    let r = send_pending_once(&db, &m, now() + TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(r.sent, 0);
}

/// The repository's job file with another cron expression.
fn job_at(cron: &str) -> Job {
    let file = std::path::Path::new("jobs/overdue-evaluations.toml");
    let text = std::fs::read_to_string(file).unwrap();
    renkei::reminders::jobs::parse_job(file, &text.replace("0 0 9 * * *", cron)).unwrap()
}

#[tokio::test]
async fn a_job_written_for_weekdays_runs_monday_to_friday_and_not_at_weekends() {
    let f = fixture().await;
    let job = job_at("0 0 9 * * 1-5");
    let smtp = SmtpSink::start();
    let m = mailer(&smtp.url());
    // The scheduler's step, every hour for two weeks from Monday 2026-11-23 00:00 JST.
    let start: DateTime<Utc> = "2026-11-22T15:00:00Z".parse().unwrap();
    let mut ran = Vec::new();
    for hour in 1..=14 * 24 {
        let since = start + TimeDelta::hours(hour - 1);
        let now = start + TimeDelta::hours(hour);
        let reports = renkei::reminders::jobs::run_due_jobs(
            &f.app.db,
            std::slice::from_ref(&job),
            "https://renkei.example.jp",
            since,
            now,
        )
        .await;
        for r in reports {
            ran.push(format!(
                "{}{}",
                r.today.format("%m-%d"),
                renkei::calendar::weekday_ja(chrono::Datelike::weekday(&r.today))
            ));
        }
        send_pending_once(&f.app.db, &m, now).await.unwrap();
    }
    assert_eq!(
        ran,
        [
            "11-23月", "11-24火", "11-25水", "11-26木", "11-27金", "11-30月", "12-01火", "12-02水",
            "12-03木", "12-04金"
        ]
    );
    let runs: Vec<String> = sqlx::query_scalar("SELECT reminder_date FROM job_runs ORDER BY id")
        .fetch_all(&f.app.db.pool)
        .await
        .unwrap();
    assert_eq!(runs.len(), 10, "{runs:?}");
    // Each run is a real one: the first mailed every owner and the ward.
    assert!(!smtp.to(SATO).is_empty() && !smtp.to(SUZUKI).is_empty());
}

#[test]
fn serve_refuses_a_schedule_that_never_runs_and_lists_weekdays_as_crontab_means_them() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("jobs/overdue-evaluations.toml").unwrap();
    let file = dir.path().join("overdue-evaluations.toml");
    std::fs::write(&file, good.replace("0 0 9 * * *", "0 0 9 31 2 *")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("serve")
        .env("DATABASE_URL", dir.path().join("renkei.db"))
        .env("RENKEI_ADDR", "127.0.0.1:0")
        .env("RENKEI_JOBS_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("never runs in the next 5 years"),
        "{stderr}"
    );

    std::fs::write(&file, good.replace("0 0 9 * * *", "0 0 9 * * 7")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["jobs", "list"])
        .env("RENKEI_JOBS_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(stdout.matches(" 09:00（日）").count(), 3, "{stdout}");
}

#[test]
fn serve_refuses_to_start_with_a_bad_schedule_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let good = std::fs::read_to_string("jobs/overdue-evaluations.toml").unwrap();
    let file = jobs.join("overdue-evaluations.toml");
    std::fs::write(&file, good.replace("0 0 9 * * *", "0 9 * * *")).unwrap();
    // The schedule is checked whatever the database: a SQLite file in the
    // temp dir serves on every run.
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("serve")
        .env("DATABASE_URL", dir.path().join("renkei.db"))
        .env("RENKEI_ADDR", "127.0.0.1:0")
        .env("RENKEI_JOBS_DIR", &jobs)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("invalid cron expression"), "{stderr}");

    std::fs::write(&file, good.replace("enabled = true", "enabled = yes")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["jobs", "list"])
        .env("RENKEI_JOBS_DIR", &jobs)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("overdue-evaluations.toml"), "{stderr}");
}

/// `renkei jobs run … --dry-run` at an instant, with the process in time zone `tz`.
fn dry_run(db: &str, tz: &str, at: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args([
            "jobs",
            "run",
            "overdue-evaluations",
            "--dry-run",
            "--now",
            at,
        ])
        .env("TZ", tz)
        .env("DATABASE_URL", db)
        .env(
            "RENKEI_JOBS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn today_is_the_tokyo_date_whatever_the_process_time_zone() {
    let app = TestApp::spawn().await;
    let ward = app
        .municipality_with_wards("東京テスト市", &["中央区"])
        .await[0];
    let owner = app.member_with_email(ward, SATO_NAME, SATO).await;
    let id = app
        .planned(ward, 1, "期限当日の対応策", owner, "2026-11-24")
        .await;
    let last_minute = "2026-11-24T14:59:00Z"; // 23:59 JST on the 24th
    let midnight = "2026-11-24T15:00:00Z"; // 00:00 JST on the 25th
    let utc_2359 = dry_run(&app.db_url, "UTC", last_minute);
    let la_2359 = dry_run(&app.db_url, "America/Los_Angeles", last_minute);
    let utc_0000 = dry_run(&app.db_url, "UTC", midnight);
    let la_0000 = dry_run(&app.db_url, "America/Los_Angeles", midnight);
    assert_eq!(utc_2359, la_2359);
    assert_eq!(utc_0000, la_0000);
    assert!(utc_2359.contains("today: 2026-11-24"), "{utc_2359}");
    assert!(
        utc_2359.contains(&format!("{id}(+0)")),
        "due today: {utc_2359}"
    );
    assert!(utc_0000.contains("today: 2026-11-25"), "{utc_0000}");
    assert!(
        utc_0000.contains(&format!("{id}(+1)")),
        "overdue: {utc_0000}"
    );
    assert!(!utc_0000.contains(SATO) && !utc_0000.contains(SATO_NAME));
    assert_eq!(app.count("outbox").await, 0, "a dry run queues nothing");
}

#[tokio::test]
async fn members_addresses_and_names_never_reach_the_logs() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    smtp.reject(SATO);
    // A retrying message too: the 4xx path logs as well.
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args([
            "jobs",
            "run",
            "overdue-evaluations",
            "--now",
            crate::support::NOW,
        ])
        .env("DATABASE_URL", &f.app.db_url)
        .env(
            "RENKEI_JOBS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"),
        )
        .env("RENKEI_SMTP_URL", smtp.url())
        .env("RENKEI_LOG", "debug,sqlx=warn")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    assert!(all.contains("reminder sent"), "the log has lines: {all}");
    assert!(all.contains("reminder failed"), "{all}");
    assert!(
        all.contains("code=\"550\""),
        "the reply code is logged: {all}"
    );
    assert_eq!(smtp.to(SUZUKI).len(), 1);
    for secret in [SATO, SATO_NAME, SUZUKI, SUZUKI_NAME, KITA_JIMU] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

#[tokio::test]
async fn the_jobs_page_shows_next_runs_in_tokyo_and_the_last_result() {
    let f = fixture().await;
    let (status, page) = f.app.page("/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("overdue-evaluations"), "{page}");
    // Now is 2026-11-24 12:00 JST; the job runs daily at 09:00 JST.
    assert!(page.contains("2026-11-25 09:00（水）"), "{page}");
    assert!(page.contains("まだ実行されていません"), "{page}");
    // An owner without an address: counted and shown, not silently dropped.
    let ward = f.app.municipality_with_wards("宛先なし市", &["西区"]).await[0];
    let r = f
        .app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": "住所なし委員", "organization": "医師会", "organization_kind": "医師会" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let no_mail = r.body["id"].as_i64().unwrap();
    f.app
        .planned(ward, 1, "宛先のない対応策", no_mail, "2026-11-20")
        .await;
    f.app.run_job(&job(), now()).await;
    let (_, page) = f.app.page("/jobs").await;
    assert!(page.contains("成功、新たに送信待ち 3件"), "{page}");
    assert!(
        page.contains("メールアドレス未登録のため送れない対応策 1件"),
        "{page}"
    );
    assert!(page.contains("送信待ち・再送待ち 3件"), "{page}");
}

#[tokio::test]
async fn a_municipality_that_gives_longer_notice_hears_of_items_further_ahead() {
    // The scan reads only what can be reminded of today; a municipality's
    // longer notice must widen it. 遠い期限の対応策 is due in 68 days.
    let f = fixture().await;
    let m_id = f.app.get(&format!("/api/wards/{}", f.kita)).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let smtp = SmtpSink::start();
    let r = f
        .app
        .request(
            reqwest::Method::PUT,
            &format!("/api/municipalities/{m_id}/reminder-settings"),
            Some(json!({ "days_before_due": 90 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    f.app.run_job(&job(), now()).await;
    send_pending_once(&f.app.db, &mailer(&smtp.url()), now())
        .await
        .unwrap();
    let to_sato = smtp.to(SATO);
    assert_eq!(to_sato.len(), 1);
    let text = to_sato[0].text();
    assert!(text.contains("遠い期限の対応策（あと68日）"), "{text}");
    assert!(!text.contains("評価済みの対応策"), "{text}");
}

#[tokio::test]
async fn a_municipality_changes_its_reminder_settings_from_the_ui() {
    let f = fixture().await;
    let m_id = f.app.get(&format!("/api/wards/{}", f.kita)).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let path = format!("/city/{m_id}/reminders");
    let (status, page) = f.app.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("既定値: 14日"), "{page}");
    let r = f
        .app
        .post_form(
            &path,
            &[
                ("repeat_interval_days", "0"),
                ("escalation_after_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("再通知の間隔は1〜90の整数で入力してください")
    );
    let r = f
        .app
        .post_form(
            &path,
            &[("repeat_interval_days", "3"), ("escalation_after_days", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = f.app.page(&format!("{path}?saved=1")).await;
    assert!(
        page.contains("通知設定を保存しました") && page.contains("value=\"3\""),
        "{page}"
    );
    let api = f
        .app
        .get(&format!("/api/municipalities/{m_id}/reminder-settings"))
        .await;
    assert_eq!(api.body["repeat_interval_days"], 3, "{}", api.text);
    assert_eq!(
        api.body["escalation_after_days"], 14,
        "the job file's value"
    );
    assert!(api.body["overrides"]["escalation_after_days"].is_null());
    let audit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'reminder_settings'")
            .fetch_one(&f.app.db.pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn the_delivery_log_page_lists_recipients_items_states_and_errors() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    smtp.reject(KITA_JIMU);
    f.app.run_job(&job(), now()).await;
    send_pending_once(&f.app.db, &mailer(&smtp.url()), now())
        .await
        .unwrap();
    let (status, page) = f.app.page("/reminders/deliveries").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(SATO), "{page}");
    assert!(
        page.contains("北区: 多職種研修の評価（54日超過）"),
        "{page}"
    );
    assert!(
        page.contains("送信済み") && page.contains("受信拒否"),
        "{page}"
    );
    let (_, failed) = f.app.page("/reminders/deliveries?state=refused").await;
    assert!(
        failed.contains(KITA_JIMU) && !failed.contains(SUZUKI),
        "{failed}"
    );
}

#[tokio::test]
async fn the_ward_edit_page_records_the_secretariat_address() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("編集テスト市", &["東区"]).await[0];
    let path = format!("/wards/{ward}/edit");
    let r = app
        .post_form(
            &path,
            &[("name", "東区"), ("secretariat_email", "not-an-address")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &path,
            &[
                ("name", "東区"),
                ("secretariat_email", "higashi@city.example.jp"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&path).await;
    assert!(page.contains("value=\"higashi@city.example.jp\""), "{page}");
    let r = app
        .patch(
            &format!("/api/wards/{ward}"),
            json!({ "secretariat_email": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (_, page) = app.page(&path).await;
    assert!(!page.contains("higashi@city.example.jp"), "cleared");
}

#[tokio::test]
async fn serve_runs_the_scheduled_job_sends_each_digest_once_and_stops_cleanly() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("jobs/overdue-evaluations.toml").unwrap();
    // Every second, so the test sees several scheduled runs.
    std::fs::write(
        dir.path().join("overdue-evaluations.toml"),
        good.replace("0 0 9 * * *", "* * * * * *"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("serve")
        .env("DATABASE_URL", &f.app.db_url)
        .env("RENKEI_ADDR", "127.0.0.1:0")
        .env("RENKEI_JOBS_DIR", dir.path())
        .env("RENKEI_SMTP_URL", smtp.url())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The scheduler has no one-pass hook from outside the process: poll the
    // database for two finished runs, with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_runs WHERE outcome = 'ok'")
            .fetch_one(&f.app.db.pool)
            .await
            .unwrap();
        if runs >= 2 && smtp.received().len() >= 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "scheduler did not run"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    assert_eq!(smtp.received().len(), 3, "no duplicates across runs");
    for addr in [SATO, SUZUKI, KITA_JIMU] {
        assert_eq!(smtp.to(addr).len(), 1, "{addr}");
    }
}

/// A `renkei serve` child, killed if a test fails before it exits.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Serving {
    /// `renkei serve` on `db_url`, the job every second, mailing through `smtp_url`.
    fn start(db_url: &str, jobs: &std::path::Path, smtp_url: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_renkei"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("RENKEI_ADDR", "127.0.0.1:0")
            .env("RENKEI_JOBS_DIR", jobs)
            .env("RENKEI_SMTP_URL", smtp_url)
            .env("RENKEI_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// Sends SIGTERM and returns how long the process took to exit (0).
    fn terminate(mut self) -> std::time::Duration {
        let started = std::time::Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        loop {
            if let Some(exit) = self.0.try_wait().unwrap() {
                assert!(exit.success(), "{exit}");
                return started.elapsed();
            }
            assert!(
                started.elapsed().as_secs() < 60,
                "still running a minute after SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Counts of the outbox's messages by state.
async fn outbox_states(db: &Db) -> std::collections::BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    rows.into_iter().collect()
}

async fn wait_for_sent(db: &Db, at_least: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while outbox_states(db).await.get("sent").copied().unwrap_or(0) < at_least {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            outbox_states(db).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// 48 owners with an item overdue today (by the real clock: `serve` runs
/// on it), and a job directory whose job runs every second.
async fn many_owners() -> (TestApp, tempfile::TempDir) {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("停止テスト市", &["中区"]).await[0];
    let due = (renkei::calendar::today(Utc::now()) - TimeDelta::days(3)).to_string();
    for i in 0..48 {
        let owner = app
            .member_with_email(ward, &format!("委員 {i}"), &format!("iin{i}@example.jp"))
            .await;
        app.planned(ward, 1 + i % 7, &format!("対応策{i}"), owner, &due)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("jobs/overdue-evaluations.toml").unwrap();
    std::fs::write(
        dir.path().join("overdue-evaluations.toml"),
        good.replace("0 0 9 * * *", "* * * * * *"),
    )
    .unwrap();
    (app, dir)
}

#[tokio::test]
async fn sigterm_lets_the_messages_in_flight_finish_and_leaves_the_rest_for_the_next_start() {
    let (app, jobs) = many_owners().await;
    let smtp = SmtpSink::start();
    smtp.set_delay(std::time::Duration::from_millis(1500));
    let serving = Serving::start(&app.db_url, jobs.path(), &smtp.url());
    // The first batch went out; the second is on the slow server now.
    wait_for_sent(&app.db, 1).await;
    let took = serving.terminate();
    assert!(took.as_secs_f64() < 6.0, "exit took {took:?}");
    let states = outbox_states(&app.db).await;
    let sent = states.get("sent").copied().unwrap_or(0);
    assert_eq!(sent as usize, smtp.received().len(), "{states:?}");
    assert!(sent < 48, "not drained first: {states:?}");
    assert_eq!(
        states.get("sending"),
        None,
        "no lease left behind: {states:?}"
    );
    assert_eq!(states.values().sum::<i64>(), 48, "none lost: {states:?}");
    assert_eq!(
        states.get("queued").copied().unwrap_or(0),
        48 - sent,
        "{states:?}"
    );

    // The next start sends the rest, each once.
    smtp.set_delay(std::time::Duration::ZERO);
    let serving = Serving::start(&app.db_url, jobs.path(), &smtp.url());
    wait_for_sent(&app.db, 48).await;
    serving.terminate();
    let mut to: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    to.dedup();
    assert_eq!((smtp.received().len(), to.len()), (48, 48));
}

#[tokio::test]
async fn sigterm_cuts_off_a_send_that_outlasts_the_grace_period_and_queues_it_again() {
    let (app, jobs) = many_owners().await;
    let smtp = SmtpSink::start();
    smtp.set_delay(std::time::Duration::from_secs(20));
    let serving = Serving::start(&app.db_url, jobs.path(), &smtp.url());
    // Wait until a batch is on the server.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !outbox_states(&app.db).await.contains_key("sending") {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Claimed is not yet sent: give the sends a moment to reach the slow
    // server, so they are in flight when the signal comes.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let took = serving.terminate();
    assert!(
        (5.0..7.0).contains(&took.as_secs_f64()),
        "exit after the 5 s grace, not the 20 s send: {took:?}"
    );
    let states = outbox_states(&app.db).await;
    assert_eq!(states.get("sent"), None, "{states:?}");
    assert_eq!(states.get("sending"), None, "leases given back: {states:?}");
    assert_eq!(
        states.get("retrying").copied(),
        Some(16),
        "the batch cut off: {states:?}"
    );
    assert_eq!(states.get("queued").copied(), Some(32), "{states:?}");
    let cut: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE state = 'retrying' AND next_attempt_at <= $1",
    )
    .bind(renkei::db::timestamp(Utc::now()))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(cut, 16, "due again at once, not after the lease");
}

#[tokio::test]
async fn ward_and_member_ical_feeds_list_meetings_and_due_dates_behind_a_token() {
    let f = fixture().await;
    let meeting = f.app.meeting(f.kita, "2026-12-10", &[1, 3]).await;
    let r = f
        .app
        .post(&format!("/api/wards/{}/calendar-feed", f.kita), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let url = r.body["url"].as_str().unwrap().to_string();
    let query = url.split_once("/calendar.ics").unwrap().1.to_string();
    let resp = f
        .app
        .client
        .get(f.app.url(&format!("/calendar.ics{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = resp.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    let unfolded = ics.replace("\r\n ", "");
    assert!(
        unfolded.contains("DTSTART;VALUE=DATE:20261210\r\n"),
        "{ics}"
    );
    assert!(
        unfolded.contains(&format!("UID:meeting-{meeting}@")),
        "{ics}"
    );
    assert!(unfolded.contains("SUMMARY:評価期限: 入退院時の情報共有ルールの評価\r\n"));
    assert!(unfolded.contains("DTSTART;VALUE=DATE:20261120\r\n"));
    assert!(
        !unfolded.contains("評価済みの対応策"),
        "evaluated items are not due"
    );
    assert!(!unfolded.contains("住民向け講演会"), "another ward's item");

    // A new URL revokes the old one; a member's feed has their own items.
    let again = f
        .app
        .post(&format!("/api/wards/{}/calendar-feed", f.kita), json!({}))
        .await;
    assert_ne!(again.body["url"], r.body["url"]);
    let (status, _) = f.app.page(&format!("/calendar.ics{query}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = f.app.page("/calendar.ics?token=guess").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let suzuki = f
        .app
        .get(&format!("/api/countermeasures/{}", f.suzuki_1))
        .await
        .body["owner_member_id"]
        .as_i64()
        .unwrap();
    let r = f
        .app
        .post(&format!("/api/members/{suzuki}/calendar-feed"), json!({}))
        .await;
    let query = r.body["url"]
        .as_str()
        .unwrap()
        .split_once("/calendar.ics")
        .unwrap()
        .1
        .to_string();
    let (status, ics) = f.app.page(&format!("/calendar.ics{query}")).await;
    assert_eq!(status, StatusCode::OK);
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("住民向け講演会の評価"), "{ics}");
    assert!(!unfolded.contains("多職種研修"), "{ics}");
}

#[tokio::test]
async fn the_ward_page_issues_a_calendar_url_that_replaces_the_previous_one() {
    let f = fixture().await;
    let path = format!("/wards/{}/calendar-feed", f.kita);
    let (status, page) = f.app.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("購読用URLを発行する"), "{page}");
    assert!(
        !page.contains("calendar.ics?token="),
        "no URL before issuing"
    );
    let (_, dashboard) = f.app.page(&format!("/wards/{}", f.kita)).await;
    assert!(dashboard.contains(&path), "the dashboard links to it");

    let issued = |html: String| {
        let start = html.find("/calendar.ics?token=").expect("the URL is shown");
        let rest = &html[start..];
        rest[..rest.find('"').expect("end of the value")].to_string()
    };
    let first = issued(f.app.post_form(&path, &[]).await.text().await.unwrap());
    let (status, ics) = f.app.page(&first).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");

    let second = issued(f.app.post_form(&path, &[]).await.text().await.unwrap());
    assert_ne!(first, second);
    assert_eq!(f.app.page(&first).await.0, StatusCode::NOT_FOUND);
    assert_eq!(f.app.page(&second).await.0, StatusCode::OK);
}

#[test]
fn operators_can_list_jobs_and_send_a_test_mail_from_the_cli() {
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["jobs", "list"])
        .env(
            "RENKEI_JOBS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("overdue-evaluations\tenabled\t0 0 9 * * *\tAsia/Tokyo"),
        "{stdout}"
    );
    assert!(stdout.contains(" 09:00"), "{stdout}");

    let smtp = SmtpSink::start();
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["mail", "test", "--to", "it@city.example.jp"])
        .env("RENKEI_SMTP_URL", smtp.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = smtp.to("it@city.example.jp");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject(), "【renkei】テストメール");

    // A server that is not there: a clear failure, not a hang.
    let out = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["mail", "test", "--to", "it@city.example.jp"])
        .env(
            "RENKEI_SMTP_URL",
            format!("smtp://127.0.0.1:{}", free_port()),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("did not accept the test message"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
