//! Resending a failed or refused reminder (issue 14): the ward's
//! secretariat or the city puts the message back in the queue from the API
//! (`POST /api/reminders/deliveries/{id}/resend`) or with 「再送する」 on the
//! ward dashboard and the delivery log; the real sender then delivers it to
//! a real SMTP server (mailin-embedded), re-checking its items first.

use chrono::{DateTime, TimeDelta, Utc};
use renkei::accounts::Role;
use renkei::reminders::sender::send_pending_once;
use reqwest::StatusCode;

use crate::support::{
    NOW, Resp, SmtpSink, TestApp, assert_problem, create_account_token, mailer, overdue_job,
};

const SATO: &str = "hanako.sato@clinic.example.jp";
const KITA_JIMU: &str = "kita-jimukyoku@city.example.jp";
const PASSWORD: &str = "再送テストのパスワード2026";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// テスト市 with 北区 (secretariat address [`KITA_JIMU`]) and 南区; 佐藤 of
/// 北区 owns one item 4 days overdue; accounts of every kind around it.
struct Fixture {
    app: TestApp,
    kita: i64,
    minami: i64,
    /// Bearer tokens.
    secretariat: String,
    city: String,
    member: String,
    viewer: String,
    city_viewer: String,
    other_secretariat: String,
    other_city: String,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("テスト市", &["北区", "南区"])
        .await;
    let (kita, minami) = (wards[0], wards[1]);
    let other = app.municipality_with_wards("乙市", &["東区"]).await[0];
    app.set_secretariat(kita, KITA_JIMU).await;
    let sato = app.member_with_email(kita, "佐藤 花子", SATO).await;
    app.planned(
        kita,
        3,
        "入退院時の情報共有ルールの評価",
        sato,
        "2026-11-20",
    )
    .await;
    let municipality = |ward: i64| {
        let app = &app;
        async move { app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"].as_i64() }
    };
    let (m, other_m) = (municipality(kita).await, municipality(other).await);
    let token = |email: &'static str, role: Role, m: Option<i64>, ward: Option<i64>| {
        let db = app.db.clone();
        async move { create_account_token(&db, email, role, m, ward, now()).await }
    };
    Fixture {
        secretariat: token("jimu.kita@example.jp", Role::Secretariat, m, Some(kita)).await,
        city: token("city@example.jp", Role::City, m, None).await,
        member: token("member.kita@example.jp", Role::Member, m, Some(kita)).await,
        viewer: token("viewer.kita@example.jp", Role::Viewer, m, Some(kita)).await,
        city_viewer: token("viewer@example.jp", Role::Viewer, m, None).await,
        other_secretariat: token("jimu.minami@example.jp", Role::Secretariat, m, Some(minami))
            .await,
        other_city: token("city@otsu.example.jp", Role::City, other_m, None).await,
        app,
        kita,
        minami,
    }
}

/// A client that follows no redirects and sends `token` if given.
fn client(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {t}").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// `POST /api/reminders/deliveries/{id}/resend` as the holder of `token`.
async fn resend(app: &TestApp, token: &str, id: i64) -> Resp {
    let resp = client(Some(token))
        .post(app.url(&format!("/api/reminders/deliveries/{id}/resend")))
        .send()
        .await
        .unwrap();
    Resp::read(resp).await
}

/// The delivery log's row of message `id`.
async fn delivery(app: &TestApp, id: i64) -> serde_json::Value {
    let log = app.get("/api/reminders/deliveries?limit=500").await;
    log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("message {id} in the log: {}", log.text))
}

/// The one message of the log to `recipient` in `state`.
async fn only(app: &TestApp, recipient: &str, state: &str) -> i64 {
    let log = app
        .get(&format!("/api/reminders/deliveries?state={state}"))
        .await;
    let ids: Vec<i64> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["recipient"] == recipient)
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{}", log.text);
    ids[0]
}

async fn refused_addresses(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT address FROM refused_addresses ORDER BY address")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

async fn account_label(app: &TestApp, email: &str) -> String {
    let id = renkei::accounts::store::id_by_email(&app.db, email)
        .await
        .unwrap();
    format!("account:{id}")
}

/// The history of message `id`: (state, note or error) per row.
async fn events(app: &TestApp, id: i64) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT state, error FROM outbox_events WHERE outbox_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

fn days(n: i64) -> DateTime<Utc> {
    now() + TimeDelta::days(n)
}

/// A message to 佐藤 whose retries on 4xx ran out on 11-24 (two attempts),
/// with the server taking mail again afterwards.
async fn failed_to_sato(f: &Fixture, smtp: &SmtpSink) -> i64 {
    let m = mailer(&smtp.url());
    smtp.set_tempfail(true);
    f.app.run_job(&overdue_job(7, 7, 14, 2), now()).await;
    send_pending_once(&f.app.db, &m, now()).await.unwrap();
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!((r.failed, r.retrying), (1, 0));
    smtp.set_tempfail(false);
    only(&f.app, SATO, "failed").await
}

#[tokio::test]
async fn a_refused_message_resent_after_the_mailbox_was_fixed_gets_through_and_lifts_the_block() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let m = mailer(&smtp.url());
    let job = overdue_job(7, 7, 14, 5);
    smtp.reject(SATO);
    f.app.run_job(&job, now()).await;
    let r = send_pending_once(&f.app.db, &m, now()).await.unwrap();
    assert_eq!((r.sent, r.refused), (0, 1));
    let refused = only(&f.app, SATO, "refused").await;
    let message_id = delivery(&f.app, refused).await["message_id"].clone();
    assert_eq!(refused_addresses(&f.app).await, [SATO]);

    // Blocked: the next day's run tells the secretariat (宛先のない対応策),
    // not 佐藤.
    f.app.run_job(&job, days(1)).await;
    send_pending_once(&f.app.db, &m, days(1)).await.unwrap();
    assert!(smtp.to(SATO).is_empty());
    assert_eq!(smtp.to(KITA_JIMU).len(), 1);

    // The mailbox is fixed on the server; the ward's secretariat resends.
    smtp.accept(SATO);
    let r = resend(&f.app, &f.secretariat, refused).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (&r.body["id"], &r.body["state"], &r.body["attempts"]),
        (&refused.into(), &"queued".into(), &0.into()),
        "{}",
        r.text
    );
    // The address stays listed (the planner skips it) until the resend
    // gets through; the sender tries it all the same.
    assert_eq!(refused_addresses(&f.app).await, [SATO]);
    let r = send_pending_once(&f.app.db, &m, days(1) + TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!((r.sent, r.refused, r.cancelled), (1, 0, 0));
    let got = smtp.to(SATO);
    assert_eq!(got.len(), 1);
    assert_eq!(
        format!("<{}>", got[0].message_id()),
        message_id.as_str().unwrap(),
        "the Message-ID fixed at queue time"
    );
    assert!(got[0].text().contains("入退院時の情報共有ルールの評価"));
    assert!(refused_addresses(&f.app).await.is_empty(), "block lifted");
    let d = delivery(&f.app, refused).await;
    assert_eq!((&d["state"], &d["attempts"]), (&"sent".into(), &1.into()));

    // 佐藤 is mailed again on the item's own rhythm: a week after the
    // reminder date of the resent message (11-24), on 12-01.
    let mut mailed = Vec::new();
    for day in 2..=7 {
        f.app.run_job(&job, days(day)).await;
        send_pending_once(&f.app.db, &m, days(day)).await.unwrap();
        if smtp.to(SATO).len() > 1 + mailed.len() {
            mailed.push(renkei::calendar::today(days(day)).to_string());
        }
    }
    assert_eq!(mailed, ["2026-12-01"]);
    assert_eq!(smtp.to(KITA_JIMU).len(), 1, "no more 宛先のない対応策");
    f.app.stop().await;
}

#[tokio::test]
async fn a_failed_message_resent_is_sent_once_and_its_history_names_who_asked() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let failed = failed_to_sato(&f, &smtp).await;
    assert!(smtp.to(SATO).is_empty());

    let r = resend(&f.app, &f.city, failed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "queued");
    let m = mailer(&smtp.url());
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::minutes(3))
        .await
        .unwrap();
    assert_eq!(r.sent, 1);
    let r = send_pending_once(&f.app.db, &m, now() + TimeDelta::hours(2))
        .await
        .unwrap();
    assert_eq!(r.sent, 0);
    assert_eq!(smtp.to(SATO).len(), 1, "sent once");
    let d = delivery(&f.app, failed).await;
    assert_eq!((&d["state"], &d["attempts"]), (&"sent".into(), &1.into()));

    // Sent now: another resend is a conflict that names the state, and
    // changes nothing.
    let audit_rows = f.app.count("audit_log").await;
    let again = resend(&f.app, &f.city, failed).await;
    assert_problem(&again, 409);
    let detail = again.body["detail"].as_str().unwrap();
    assert!(detail.contains("送信済み"), "{detail}");
    assert_eq!(f.app.count("audit_log").await, audit_rows);

    // The history: the failed attempts, the resend (who asked, by account
    // id only: no address, no name), then the attempt that got through.
    let by = account_label(&f.app, "city@example.jp").await;
    let history = events(&f.app, failed).await;
    let states: Vec<&str> = history.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        states,
        [
            "queued", "sending", "retrying", "sending", "failed", "queued", "sending", "sent"
        ]
    );
    assert_eq!(
        history[5].1.as_deref(),
        Some(format!("再送（依頼: {by}）").as_str())
    );
    f.app.stop().await;
}

#[tokio::test]
async fn a_resend_after_the_next_run_reminded_of_its_items_is_cancelled_not_sent_twice() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    let failed = failed_to_sato(&f, &smtp).await;
    // The next run owes the failed message's item again and delivers it.
    let m = mailer(&smtp.url());
    f.app.run_job(&overdue_job(7, 7, 14, 2), days(1)).await;
    let r = send_pending_once(&f.app.db, &m, days(1)).await.unwrap();
    assert_eq!(r.sent, 1);
    assert_eq!(smtp.to(SATO).len(), 1);

    let r = resend(&f.app, &f.secretariat, failed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = send_pending_once(&f.app.db, &m, days(1) + TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!((r.sent, r.cancelled), (0, 1));
    assert_eq!(smtp.to(SATO).len(), 1, "no duplicate");
    let d = delivery(&f.app, failed).await;
    assert_eq!(d["state"], "cancelled", "{d}");
    assert!(d["last_error"].as_str().unwrap().starts_with("取消"), "{d}");
    assert_eq!(d["items"][0]["dropped"], "後の通知で送られています", "{d}");
    f.app.stop().await;
}

/// An `audit_log` row: ward, entity id, action, actor, changes.
type AuditRow = (Option<i64>, i64, String, Option<String>, String);

/// Status, content type and body: the bytes a client compares.
async fn answer(req: reqwest::RequestBuilder) -> (u16, String, String) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, resp.text().await.unwrap())
}

#[tokio::test]
async fn only_the_wards_secretariat_and_its_city_may_resend_and_others_are_answered_as_for_any_record()
 {
    let f = fixture().await;
    let refused = f.app.outbox_message(f.kita, "refused").await;
    let failed = f.app.outbox_message(f.kita, "failed").await;
    let minamis = f.app.outbox_message(f.minami, "failed").await;
    let missing = 987_654;
    let before = (f.app.count("audit_log").await, f.app.outbox_states().await);

    // In scope, but only reading: 403, from the API and the page alike.
    for token in [&f.member, &f.viewer, &f.city_viewer] {
        assert_problem(&resend(&f.app, token, refused).await, 403);
        let (status, _, _) = answer(
            client(Some(token))
                .post(
                    f.app
                        .url(&format!("/reminders/deliveries/{refused}/resend")),
                )
                .form(&[("back", "dashboard")]),
        )
        .await;
        assert_eq!(status, 403);
    }
    // Out of scope: the very answer a missing message gets, byte for byte.
    for (token, theirs) in [
        (&f.other_secretariat, refused),
        (&f.secretariat, minamis),
        (&f.other_city, refused),
    ] {
        for path in [
            "/api/reminders/deliveries/{}/resend",
            "/reminders/deliveries/{}/resend",
        ] {
            let at = |id: i64| f.app.url(&path.replace("{}", &id.to_string()));
            let hidden = answer(client(Some(token)).post(at(theirs))).await;
            let absent = answer(client(Some(token)).post(at(missing))).await;
            assert_eq!(hidden.0, 404, "{path}: {}", hidden.2);
            assert_eq!(hidden, absent, "{path}");
            assert!(!hidden.2.contains("jimu@example.jp"), "{}", hidden.2);
        }
    }
    // Not signed in: 401 (API); the page form asks for signing in.
    let (status, _, _) = answer(
        client(None).post(
            f.app
                .url(&format!("/api/reminders/deliveries/{refused}/resend")),
        ),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        (f.app.count("audit_log").await, f.app.outbox_states().await),
        before,
        "nothing changed"
    );

    // The ward's secretariat and the city may; the audit log says who.
    let r = resend(&f.app, &f.secretariat, refused).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = resend(&f.app, &f.city, failed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT ward_id, entity_id, action, actor, changes FROM audit_log \
         WHERE entity = 'outbox' ORDER BY id",
    )
    .fetch_all(&f.app.db.pool)
    .await
    .unwrap();
    let jimu = account_label(&f.app, "jimu.kita@example.jp").await;
    let city = account_label(&f.app, "city@example.jp").await;
    assert_eq!(
        rows.iter()
            .map(|(w, id, action, actor, _)| (*w, *id, action.as_str(), actor.clone()))
            .collect::<Vec<_>>(),
        [
            (Some(f.kita), refused, "resend", Some(jimu)),
            (Some(f.kita), failed, "resend", Some(city)),
        ]
    );
    let changes: serde_json::Value = serde_json::from_str(&rows[0].4).unwrap();
    assert_eq!(changes["state"]["before"], "refused");
    assert_eq!(changes["state"]["after"], "queued");
    // The city reads it on the audit page, by the accounts' addresses.
    let (status, page) = f.app.page_as(&f.city, "/audit?entity=outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("jimu.kita@example.jp") && page.contains("city@example.jp"),
        "{page}"
    );
    assert!(page.contains("resend") && page.contains(&format!("outbox #{refused}")));
}

/// An account of テスト市 with a password, signed in through `/login` in a
/// cookie client; returns the client and its CSRF token.
async fn signed_in(
    f: &Fixture,
    email: &str,
    role: Role,
    ward: Option<i64>,
) -> (reqwest::Client, String) {
    let m = f.app.get(&format!("/api/wards/{}", f.kita)).await.body["municipality_id"].as_i64();
    let hash = renkei::accounts::secret::hash_password(PASSWORD.into())
        .await
        .unwrap();
    renkei::accounts::store::create(
        &f.app.db,
        &renkei::accounts::store::NewAccount {
            email: email.into(),
            display_name: String::new(),
            role,
            municipality_id: m,
            ward_id: ward,
            member_id: None,
            password_hash: Some(hash),
        },
        None,
        now(),
    )
    .await
    .unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = browser
        .post(f.app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let html = page(&browser, &f.app, "/account/password").await;
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + "name=\"csrf_token\" value=\"".len();
    (browser, html[at..at + 64].to_string())
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn the_resend_buttons_post_with_the_csrf_token_and_come_back_with_a_notice() {
    let f = fixture().await;
    let smtp = SmtpSink::start();
    smtp.reject(SATO);
    f.app.run_job(&overdue_job(7, 7, 14, 5), now()).await;
    send_pending_once(&f.app.db, &mailer(&smtp.url()), now())
        .await
        .unwrap();
    let refused = only(&f.app, SATO, "refused").await;
    let failed = f.app.outbox_message(f.kita, "failed").await;
    let action = |id: i64| format!("action=\"/reminders/deliveries/{id}/resend\"");

    let (browser, csrf) = signed_in(&f, "jimu@example.jp", Role::Secretariat, Some(f.kita)).await;
    let dashboard = page(&browser, &f.app, &format!("/wards/{}", f.kita)).await;
    assert!(
        dashboard.contains("送信できなかった通知（2件）"),
        "{dashboard}"
    );
    assert!(dashboard.contains(&action(refused)) && dashboard.contains("再送する"));
    assert!(
        dashboard.contains(&format!(
            "{}><input type=\"hidden\" name=\"csrf_token\"",
            action(refused)
        )),
        "the form carries the CSRF token: {dashboard}"
    );

    // Without the token the form is refused and nothing changes.
    let path = format!("/reminders/deliveries/{refused}/resend");
    let r = browser
        .post(f.app.url(&path))
        .form(&[("back", "dashboard")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(delivery(&f.app, refused).await["state"], "refused");

    // With it: back to the dashboard, which says so and no longer lists it.
    let r = browser
        .post(f.app.url(&path))
        .form(&[("back", "dashboard"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = location(&r);
    assert_eq!(back, format!("/wards/{}?resent={refused}", f.kita));
    let dashboard = page(&browser, &f.app, &back).await;
    assert!(
        dashboard.contains("通知メールを送信待ちに戻しました"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("送信できなかった通知（1件）"),
        "{dashboard}"
    );
    assert!(!dashboard.contains(&action(refused)));
    assert_eq!(delivery(&f.app, refused).await["state"], "queued");

    // A second press (another tab): the 409 page says why.
    let r = browser
        .post(f.app.url(&path))
        .form(&[("back", "dashboard"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("「送信待ち」のため再送できません")
    );

    // The delivery log: the button beside the failed row, back to the
    // same filtered list.
    let filtered = format!(
        "/reminders/deliveries?ward_id={}&state=failed&from=2026-11-01&to=2026-12-31",
        f.kita
    );
    let log = page(&browser, &f.app, &filtered).await;
    assert!(log.contains(&action(failed)), "{log}");
    // The button carries the log's filters and page back.
    for hidden in [
        r#"name="from" value="2026-11-01""#,
        r#"name="to" value="2026-12-31""#,
        r#"name="page" value="1""#,
    ] {
        assert!(log.contains(hidden), "{hidden}: {log}");
    }
    let r = browser
        .post(f.app.url(&format!("/reminders/deliveries/{failed}/resend")))
        .form(&[
            ("ward_id", f.kita.to_string().as_str()),
            ("state", "failed"),
            ("from", "2026-11-01"),
            ("to", "2026-12-31"),
            ("page", "2"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = location(&r);
    assert_eq!(
        back,
        format!(
            "/reminders/deliveries?ward_id={}&state=failed&from=2026-11-01&to=2026-12-31&page=2&resent={failed}",
            f.kita
        )
    );
    let log = page(&browser, &f.app, &back).await;
    assert!(log.contains("通知メールを送信待ちに戻しました"), "{log}");
    assert_eq!(delivery(&f.app, failed).await["state"], "queued");

    // The resent refused message goes out at the sender's next pass.
    smtp.accept(SATO);
    send_pending_once(
        &f.app.db,
        &mailer(&smtp.url()),
        now() + TimeDelta::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(smtp.to(SATO).len(), 1);
    f.app.stop().await;
}

#[tokio::test]
async fn readers_who_may_not_resend_see_no_resend_button() {
    let f = fixture().await;
    f.app.outbox_message(f.kita, "refused").await;
    let all = format!("/reminders/deliveries?ward_id={}", f.kita);
    for token in [&f.member, &f.viewer, &f.city_viewer] {
        for path in [format!("/wards/{}", f.kita), all.clone()] {
            let (status, html) = f.app.page_as(token, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(html.contains("受信拒否"), "{path}: {html}");
            assert!(!html.contains("再送する"), "{path}: {html}");
        }
    }
    for token in [&f.secretariat, &f.city] {
        for path in [format!("/wards/{}", f.kita), all.clone()] {
            let (_, html) = f.app.page_as(token, &path).await;
            assert!(html.contains("再送する"), "{path}: {html}");
        }
    }
}

#[tokio::test]
async fn the_spec_describes_the_resend_and_its_conflict() {
    let app = TestApp::spawn().await;
    let spec: serde_json::Value = reqwest::get(app.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &spec["paths"]["/reminders/deliveries/{id}/resend"]["post"];
    assert_eq!(op["operationId"], "resendDelivery");
    let responses = &op["responses"];
    assert_eq!(
        responses["200"]["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
        "#/components/schemas/Delivery"
    );
    for status in ["401", "403", "404", "409"] {
        assert!(
            responses[status]["content"]["application/problem+json"].is_object(),
            "{status}: {op}"
        );
    }
    assert!(
        responses["409"]["description"]
            .as_str()
            .unwrap()
            .contains("neither `failed` nor `refused`"),
        "{op}"
    );
}
