//! The long lists page through the real app (issue 19, the logs): the
//! audit log (`/audit`), the delivery log (`/reminders/deliveries`) and
//! the accounts (`/accounts`), 50 rows a page, newest first, filters kept
//! in the links, the CSV of the whole filtered list beside them; nothing
//! silently cut, no scope widened by a filter.

use renkei::accounts::Role;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::support::{NOW, TestApp, create_account_token};

/// The message of a malformed page number.
const BAD_PAGE: &str = "ページ番号は1以上の整数で指定してください";

/// A GET as the holder of `token`: status, headers and body bytes.
async fn get_as(app: &TestApp, token: &str, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// A UTF-8 CSV download's text without its BOM (asserting the BOM).
fn csv_text(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    text.strip_prefix('\u{feff}')
        .expect("a UTF-8 CSV starts with a BOM")
        .to_string()
}

/// Data lines of a CSV (without its header).
fn csv_rows(text: &str) -> usize {
    text.lines().count() - 1
}

/// A marker the test's rows carry: `row-0042`.
fn marker(i: usize) -> String {
    format!("row-{i:04}")
}

/// How many audit rows a page shows.
fn audit_rows(html: &str) -> usize {
    html.matches("<tr><td class=\"nowrap\">").count()
}

// ---------------------------------------------------------------------------
// The audit log

struct AuditWorld {
    app: TestApp,
    wards: [i64; 3],
    city_id: i64,
    /// A city account of the demo's municipality.
    city: String,
    /// A ward of another municipality, and a row of its log.
    other_ward: i64,
}

/// The demo, then 600 audit rows `row-0001`..`row-0600` (newest last):
/// row i is in ward `wards[i % 3]`, about a member (even i) or a meeting,
/// by the city account (i % 5 == 0) or the CLI, on 2027-01-01 + (i-1)/10
/// days (12:00 in Tokyo); before them, one row of another municipality's
/// ward.
async fn audit_world() -> AuditWorld {
    let app = TestApp::spawn_with_demo().await;
    let demo: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, municipality_id FROM wards ORDER BY id LIMIT 3")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let wards = [demo[0].0, demo[1].0, demo[2].0];
    let municipality = demo[0].1;
    let city = create_account_token(
        &app.db,
        "city-a@example.jp",
        Role::City,
        Some(municipality),
        None,
        NOW.parse().unwrap(),
    )
    .await;
    let city_id: i64 =
        sqlx::query_scalar("SELECT id FROM accounts WHERE email = 'city-a@example.jp'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let other_ward = app.municipality_with_wards("別市", &["東区"]).await[0];
    sqlx::query(
        "INSERT INTO audit_log (ward_id, entity, entity_id, action, actor, changes, recorded_at) \
         VALUES ($1, 'member', 1, 'update', 'cli', '{\"marker\":\"other-city\"}', '2027-01-05T03:00:00Z')",
    )
    .bind(other_ward)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let start: chrono::NaiveDate = "2027-01-01".parse().unwrap();
    for i in 1..=600usize {
        let day = start + chrono::Days::new(((i - 1) / 10) as u64);
        sqlx::query(
            "INSERT INTO audit_log (ward_id, entity, entity_id, action, actor, changes, recorded_at) \
             VALUES ($1, $2, $3, 'update', $4, $5, $6)",
        )
        .bind(wards[i % 3])
        .bind(if i % 2 == 0 { "member" } else { "meeting" })
        .bind(i as i64)
        .bind(if i % 5 == 0 {
            format!("account:{city_id}")
        } else {
            "cli".to_string()
        })
        .bind(format!("{{\"marker\":\"{}\"}}", marker(i)))
        .bind(format!("{day}T03:00:00Z"))
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    AuditWorld {
        app,
        wards,
        city_id,
        city,
        other_ward,
    }
}

#[tokio::test]
async fn the_audit_log_pages_through_every_row_newest_first() {
    let w = audit_world().await;
    let total = w.app.count("audit_log").await;
    assert!(total > 1000, "{total}");
    let last = (total + 49) / 50;

    // The first page: the newest 50.
    let (status, first) = w.app.page("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_rows(&first), 50);
    assert!(
        first.contains(&format!("全{total}件中 1〜50件を表示")),
        "{first}"
    );
    assert!(first.contains(&marker(600)) && first.contains(&marker(551)));
    assert!(!first.contains(&marker(550)));
    assert!(
        first.contains("href=\"/audit?page=2\" rel=\"next\">次へ"),
        "{first}"
    );

    // A middle page.
    let (_, middle) = w.app.page("/audit?page=5").await;
    assert_eq!(audit_rows(&middle), 50);
    assert!(middle.contains(&marker(400)) && middle.contains(&marker(351)));
    assert!(!middle.contains(&marker(401)) && !middle.contains(&marker(350)));
    assert!(middle.contains("href=\"/audit?page=4\" rel=\"prev\">前へ"));

    // The 501st newest entry, once cut off at 500, is the first of page 11.
    let (_, eleventh) = w.app.page("/audit?page=11").await;
    assert!(eleventh.contains(&marker(100)), "{eleventh}");
    assert!(eleventh.contains("全") && eleventh.contains("501〜550件を表示"));
    let (_, tenth) = w.app.page("/audit?page=10").await;
    assert!(!tenth.contains(&marker(100)) && tenth.contains(&marker(101)));

    // The last page holds the oldest rows: the remainder.
    let (status, tail) = w.app.page(&format!("/audit?page={last}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_rows(&tail) as i64, total - 50 * (last - 1));
    assert!(tail.contains("<span class=\"pager-off\">次へ</span>"));

    // Past the end: 200, no rows, a link to the last page.
    let (status, past) = w.app.page(&format!("/audit?page={}", last + 3)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_rows(&past), 0);
    assert!(
        past.contains(&format!("href=\"/audit?page={last}\">最後のページ")),
        "{past}"
    );
    // So is the largest page number there is.
    let (status, huge) = w.app.page("/audit?page=9223372036854775807").await;
    assert_eq!(status, StatusCode::OK);
    assert!(huge.contains("最後のページ"));
}

#[tokio::test]
async fn a_malformed_audit_page_number_gets_a_japanese_message_not_a_500() {
    let w = audit_world().await;
    for page in ["0", "-1", "abc", "1.5", "99999999999999999999999"] {
        let (status, html) = w
            .app
            .page(&format!("/audit?entity=member&page={page}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(html.contains(BAD_PAGE), "{page}: {html}");
        assert!(html.contains("href=\"/audit?entity=member\""), "{html}");
    }
}

#[tokio::test]
async fn audit_filters_combine_with_paging_and_the_links_keep_them() {
    let w = audit_world().await;
    let [w0, ..] = w.wards;
    // Ward and entity, demo rows left out by the dates: every sixth row.
    let filter = format!("ward_id={w0}&entity=member&from=2027-01-01");
    let (status, one) = w.app.page(&format!("/audit?{filter}")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert!(one.contains("全100件中 1〜50件を表示"), "{one}");
    assert!(one.contains(&marker(600)) && one.contains(&marker(306)));
    let next =
        format!("href=\"/audit?ward_id={w0}&#38;entity=member&#38;from=2027-01-01&#38;page=2\"");
    assert!(one.contains(&next), "{one}");
    let (_, two) = w.app.page(&format!("/audit?{filter}&page=2")).await;
    assert_eq!(audit_rows(&two), 50);
    assert!(two.contains(&marker(300)) && two.contains(&marker(6)));
    assert!(!two.contains(&marker(306)) && !two.contains(&marker(5)));
    // The form shows the filters chosen.
    assert!(two.contains(&format!("<option value=\"{w0}\" selected>")));
    assert!(two.contains("<option value=\"member\" selected>委員</option>"));
    assert!(two.contains("value=\"2027-01-01\""));

    // A date range: Tokyo days, both ends included.
    let (_, range) = w.app.page("/audit?from=2027-01-02&to=2027-01-03").await;
    assert!(range.contains("全20件"), "{range}");
    assert!(range.contains(&marker(30)) && range.contains(&marker(11)));
    assert!(!range.contains(&marker(10)) && !range.contains(&marker(31)));

    // An account: its rows only, three pages.
    let by_city = format!("/audit?account_id={}&from=2027-01-01", w.city_id);
    let (_, three) = w.app.page(&format!("{by_city}&page=3")).await;
    assert!(three.contains("全120件中 101〜120件を表示"), "{three}");
    assert_eq!(audit_rows(&three), 20);
    assert!(three.contains(&marker(100)) && three.contains(&marker(5)));
    assert!(three.contains("city-a@example.jp"));
    assert!(three.contains(&format!("<option value=\"{}\" selected>", w.city_id)));

    // The CSV beside it carries the whole filtered list, page or not.
    let (status, headers, bytes) = w.app.download(&format!("/audit.csv?{filter}&page=2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    let text = csv_text(&bytes);
    assert!(
        text.starts_with("日時,区,対象,番号,操作,操作者,変更内容"),
        "{text}"
    );
    assert_eq!(csv_rows(&text), 100);
    assert!(text.contains(&marker(600)) && text.contains(&marker(6)));
    assert!(!text.contains(&marker(5)) && !text.contains(&marker(1)));
    assert!(text.contains("2027-03-01 12:00:00"), "{text}");
    let csv_link = format!("href=\"/audit.csv?{}\"", filter.replace('&', "&#38;"));
    assert!(one.contains(&csv_link), "{one}");
    // Shift_JIS on request.
    let (status, headers, _) = w
        .app
        .download(&format!("/audit.csv?{filter}&encoding=sjis"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");
}

#[tokio::test]
async fn unreadable_audit_filters_get_japanese_messages_beside_their_fields() {
    let w = audit_world().await;
    let (status, html) = w
        .app
        .page("/audit?from=2026-02-30&entity=member&to=2027-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("期間（開始）は「2026-04-01」のように年-月-日の形式で入力してください"),
        "{html}"
    );
    assert!(html.contains("id=\"from-error\""), "{html}");
    assert!(html.contains("読み取れない条件は使わずに"));
    // The readable filters still apply: members up to 2027-01-01.
    assert!(html.contains(&marker(10)) && !html.contains(&marker(12)));
    assert!(!html.contains("meeting #"), "{html}");
    for query in [
        "ward_id=abc",
        "account_id=x",
        "entity=nothing",
        "to=2027-13-01",
        "from=2027-02-01&to=2027-01-01",
    ] {
        let (status, html) = w.app.page(&format!("/audit?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(html.contains("class=\"field-error\""), "{query}: {html}");
        let (status, _, bytes) = w.app.download(&format!("/audit.csv?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(String::from_utf8_lossy(&bytes).contains("<html"), "{query}");
    }
}

#[tokio::test]
async fn a_city_filtering_by_another_citys_ward_sees_nothing_of_it() {
    let w = audit_world().await;
    let (status, _, html) = get_as(&w.app, &w.city, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains(&marker(600)) && !html.contains("other-city"));
    // Its ward is not offered, and asking for it shows nothing of it.
    assert!(!html.contains(&format!("<option value=\"{}\"", w.other_ward)));
    let path = format!("/audit?ward_id={}", w.other_ward);
    let (status, _, html) = get_as(&w.app, &w.city, &path).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(!html.contains("other-city"), "{html}");
    assert!(html.contains("該当する記録はありません") && html.contains("全0件"));
    let (status, _, bytes) = get_as(
        &w.app,
        &w.city,
        &format!("/audit.csv?ward_id={}", w.other_ward),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = csv_text(&bytes);
    assert_eq!(csv_rows(&text), 0, "{text}");
    // The whole city's CSV has none of it either.
    let (_, _, bytes) = get_as(&w.app, &w.city, "/audit.csv").await;
    let text = csv_text(&bytes);
    assert!(text.contains(&marker(1)) && !text.contains("other-city"));
    // The operator sees both.
    let (_, all) = w.app.page(&path).await;
    assert!(all.contains("other-city"), "{all}");
    // The CSV keeps the page's rule: a ward's account may not.
    let ward_account = create_account_token(
        &w.app.db,
        "jimu-a@example.jp",
        Role::Secretariat,
        Some(
            w.app.get(&format!("/api/wards/{}", w.wards[0])).await.body["municipality_id"]
                .as_i64()
                .unwrap(),
        ),
        Some(w.wards[0]),
        NOW.parse().unwrap(),
    )
    .await;
    for path in ["/audit", "/audit.csv"] {
        let (status, _, _) = get_as(&w.app, &ward_account, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

// ---------------------------------------------------------------------------
// The delivery log

struct DeliveryWorld {
    app: TestApp,
    north: i64,
    south: i64,
    /// A city account of another municipality.
    other_city: String,
    /// The secretariat of 南区.
    south_jimu: String,
}

/// 260 messages `r0001@…`..`r0260@…` (newest last): message i is for 北区
/// (even i) or 南区 of テスト市, failed when i % 4 == 0 (else sent), created
/// on 2026-11-01 + (i-1)/10 days at 12:00 in Tokyo.
async fn delivery_world() -> DeliveryWorld {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("テスト市", &["北区", "南区"])
        .await;
    let (north, south) = (wards[0], wards[1]);
    let other = app.municipality_with_wards("別市", &["東区"]).await[0];
    let start: chrono::NaiveDate = "2026-11-01".parse().unwrap();
    for i in 1..=260usize {
        let day = start + chrono::Days::new(((i - 1) / 10) as u64);
        let at = format!("{day}T03:00:00Z");
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, message_id, job, recipient_kind, ward_id, \
                 recipient, subject, body_text, body_html, state, attempts, max_attempts, \
                 next_attempt_at, reminder_date, created_at) \
             VALUES ($1, $2, 'overdue-evaluations', 'secretariat', $3, $4, \
                 '件名ひみつ', '本文ひみつ', '<p>本文ひみつ</p>', $5, 1, 5, $6, $7, $6)",
        )
        .bind(format!("logs|{i}"))
        .bind(format!("<logs.{i}@renkei.example.jp>"))
        .bind(if i % 2 == 0 { north } else { south })
        .bind(format!("r{i:04}@example.jp"))
        .bind(if i % 4 == 0 { "failed" } else { "sent" })
        .bind(at)
        .bind(day.to_string())
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    let municipality = |w: i64| {
        let app = &app;
        async move {
            app.get(&format!("/api/wards/{w}")).await.body["municipality_id"]
                .as_i64()
                .unwrap()
        }
    };
    let now = NOW.parse().unwrap();
    let other_city = create_account_token(
        &app.db,
        "city-b@example.jp",
        Role::City,
        Some(municipality(other).await),
        None,
        now,
    )
    .await;
    let south_jimu = create_account_token(
        &app.db,
        "jimu-south@example.jp",
        Role::Secretariat,
        Some(municipality(south).await),
        Some(south),
        now,
    )
    .await;
    DeliveryWorld {
        app,
        north,
        south,
        other_city,
        south_jimu,
    }
}

/// How many messages a delivery log page shows.
fn delivery_rows(html: &str) -> usize {
    html.matches("<th scope=\"row\">").count()
}

fn r(i: usize) -> String {
    format!("r{i:04}@example.jp")
}

#[tokio::test]
async fn the_delivery_log_pages_past_two_hundred_newest_first() {
    let w = delivery_world().await;
    let (status, first) = w.app.page("/reminders/deliveries").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(delivery_rows(&first), 50);
    assert!(first.contains("全260件中 1〜50件を表示"), "{first}");
    assert!(first.contains(&r(260)) && first.contains(&r(211)) && !first.contains(&r(210)));
    // What the page never printed, it still does not.
    assert!(!first.contains("件名ひみつ") && !first.contains("本文ひみつ"));
    // Tokyo time.
    assert!(first.contains("2026-11-26 12:00"), "{first}");

    let (_, middle) = w.app.page("/reminders/deliveries?page=3").await;
    assert!(middle.contains(&r(160)) && middle.contains(&r(111)));
    assert!(!middle.contains(&r(161)) && !middle.contains(&r(110)));

    // The 201st, once cut off at 200, leads page 5.
    let (_, fifth) = w.app.page("/reminders/deliveries?page=5").await;
    assert!(fifth.contains(&r(60)) && fifth.contains(&r(11)), "{fifth}");
    assert!(fifth.contains("201〜250件を表示"));
    let (_, fourth) = w.app.page("/reminders/deliveries?page=4").await;
    assert!(!fourth.contains(&r(60)));

    // The last page: the oldest ten.
    let (_, last) = w.app.page("/reminders/deliveries?page=6").await;
    assert_eq!(delivery_rows(&last), 10);
    assert!(last.contains(&r(1)) && last.contains("251〜260件を表示"));

    // Past the end, and malformed page numbers.
    let (status, past) = w.app.page("/reminders/deliveries?state=sent&page=9").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(delivery_rows(&past), 0);
    assert!(
        past.contains("href=\"/reminders/deliveries?state=sent&#38;page=4\">最後のページ"),
        "{past}"
    );
    for page in ["0", "-1", "abc", "99999999999999999999999"] {
        let (status, html) = w
            .app
            .page(&format!("/reminders/deliveries?page={page}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(html.contains(BAD_PAGE), "{page}");
    }

    // The API twin is unchanged: limit/offset, the same total.
    let api = w.app.get("/api/reminders/deliveries?limit=500").await;
    assert_eq!(api.body["total"], 260, "{}", api.text);
    assert_eq!(api.body["items"].as_array().unwrap().len(), 260);
    assert_eq!(api.body["items"][0]["subject"], "件名ひみつ");
}

#[tokio::test]
async fn delivery_filters_combine_with_paging_and_the_csv_follows_them() {
    let w = delivery_world().await;
    let filter = format!("ward_id={}&state=failed", w.north);
    let (status, one) = w.app.page(&format!("/reminders/deliveries?{filter}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(one.contains("全65件中 1〜50件を表示"), "{one}");
    assert!(one.contains(&format!(
        "<option value=\"{}\" selected>北区</option>",
        w.north
    )));
    assert!(one.contains("<option value=\"failed\" selected>"));
    let (_, two) = w
        .app
        .page(&format!("/reminders/deliveries?{filter}&page=2"))
        .await;
    assert_eq!(delivery_rows(&two), 15);
    assert!(two.contains(&r(60)) && two.contains(&r(4)) && !two.contains(&r(64)));
    assert!(!two.contains(&r(2)) && !two.contains(&r(1)));

    // Creation dates, Tokyo days, both ends included.
    let (_, range) = w
        .app
        .page("/reminders/deliveries?from=2026-11-02&to=2026-11-03")
        .await;
    assert!(range.contains("全20件"), "{range}");
    assert!(range.contains(&r(11)) && range.contains(&r(30)));
    assert!(!range.contains(&r(10)) && !range.contains(&r(31)));

    // The CSV: the whole filtered log, the page's columns only.
    let (status, headers, bytes) = w
        .app
        .download(&format!("/reminders/deliveries.csv?{filter}&page=2"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    let text = csv_text(&bytes);
    assert!(
        text.starts_with("宛先の種類,宛先,対応策,状態,試行回数,最後のエラー,作成日時"),
        "{text}"
    );
    assert_eq!(csv_rows(&text), 65);
    assert!(text.contains(&r(260)) && text.contains(&r(4)) && !text.contains(&r(2)));
    assert!(!text.contains("件名ひみつ") && !text.contains("本文ひみつ"));
    assert!(text.contains("送信失敗（再試行の上限）"));
    let (status, headers, _) = w
        .app
        .download("/reminders/deliveries.csv?encoding=sjis")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");

    // Unreadable filters: a message beside the field, never a 500.
    for (query, message) in [
        ("from=2026-02-30", "作成日（開始）は「2026-04-01」"),
        ("state=lost", "状態を一覧から選んでください"),
        ("ward_id=north", "区の値が正しくありません"),
    ] {
        let (status, html) = w.app.page(&format!("/reminders/deliveries?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(html.contains(message), "{query}: {html}");
        let (status, _, _) = w
            .app
            .download(&format!("/reminders/deliveries.csv?{query}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
}

#[tokio::test]
async fn a_delivery_filter_never_widens_the_readers_view() {
    let w = delivery_world().await;
    // Another city asking for テスト市's ward: nothing of it.
    let path = format!("/reminders/deliveries?ward_id={}", w.north);
    let (status, _, html) = get_as(&w.app, &w.other_city, &path).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(!html.contains(&r(260)) && html.contains("全0件"), "{html}");
    let (_, _, bytes) = get_as(
        &w.app,
        &w.other_city,
        &format!("/reminders/deliveries.csv?ward_id={}", w.north),
    )
    .await;
    assert_eq!(csv_rows(&csv_text(&bytes)), 0);
    // 南区's secretariat: its ward only, whatever it asks for.
    let (_, _, html) = get_as(&w.app, &w.south_jimu, &path).await;
    let html = String::from_utf8(html).unwrap();
    assert!(!html.contains(&r(260)) && html.contains("全0件"));
    let (_, _, html) = get_as(&w.app, &w.south_jimu, "/reminders/deliveries").await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("全130件") && html.contains(&r(259)) && !html.contains(&r(260)));
    assert!(!html.contains(&format!("<option value=\"{}\"", w.north)));
    assert!(html.contains(&format!("<option value=\"{}\"", w.south)));
    let (_, _, bytes) = get_as(&w.app, &w.south_jimu, "/reminders/deliveries.csv").await;
    let text = csv_text(&bytes);
    assert_eq!(csv_rows(&text), 130);
    assert!(!text.contains(&r(260)));
}

// ---------------------------------------------------------------------------
// The accounts

#[tokio::test]
async fn the_accounts_page_pages_past_fifty_accounts() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("テスト市", &["北区"]).await[0];
    let m = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let now = NOW.parse().unwrap();
    for i in 1..=60 {
        create_account_token(
            &app.db,
            &format!("acct-{i:04}@example.jp"),
            Role::Viewer,
            Some(m),
            Some(ward),
            now,
        )
        .await;
    }
    let city =
        create_account_token(&app.db, "city@example.jp", Role::City, Some(m), None, now).await;
    let page = |path: &'static str| {
        let (app, city) = (&app, &city);
        async move {
            let (status, _, body) = get_as(app, city, path).await;
            (status, String::from_utf8(body).unwrap())
        }
    };
    let (status, one) = page("/accounts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(one.contains("全61件中 1〜50件を表示"), "{one}");
    assert!(one.contains("acct-0001@example.jp") && one.contains("acct-0050@example.jp"));
    assert!(!one.contains("acct-0051@example.jp"));
    // The forms below the list are still there.
    assert!(one.contains("招待メールを送る"));
    let (_, two) = page("/accounts?page=2").await;
    assert!(two.contains("acct-0051@example.jp") && two.contains("city@example.jp"));
    assert!(!two.contains("acct-0050@example.jp") && two.contains("51〜61件を表示"));
    let (status, past) = page("/accounts?page=5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        past.contains("href=\"/accounts?page=2\">最後のページ"),
        "{past}"
    );
    for bad in ["/accounts?page=0", "/accounts?page=x"] {
        let (status, html) = page(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains(BAD_PAGE));
    }
    // The invitation notice is not carried to the other pages.
    let (_, invited) = page("/accounts?invited=1").await;
    assert!(invited.contains("招待メールを送信しました"));
    assert!(invited.contains("href=\"/accounts?page=2\""), "{invited}");
    // The CSV: every account of the city.
    let (status, _, bytes) = get_as(&app, &city, "/accounts.csv").await;
    assert_eq!(status, StatusCode::OK);
    let text = csv_text(&bytes);
    assert_eq!(csv_rows(&text), 61, "{text}");
    assert!(text.starts_with("番号,メールアドレス,名前,役割,区,状態,パスワード"));
    assert!(text.contains("acct-0060@example.jp") && !text.contains("operator@example.jp"));
}
