//! PDCAの進み具合: figures checked against hand-computed values on a small
//! fixed dataset built through the API (the clock at 2026-11-24, 2026H2).
//!
//! 甲市 北区 (countermeasures recorded on 2026-04-01 unless said):
//! - cm1 (topic 1): 具体化 04-11 due 06-30, evaluated 06-30 (on its due date: on time);
//! - cm2 (topic 2): 具体化 04-21 due 07-31, postponed to 10-31, evaluated 09-15 (late, 延期あり);
//! - cm3 (topic 3): 具体化 05-01 due 08-31, back to 未具体化 06-01, 具体化 again
//!   06-12 due 12-31 (two rounds: the first 未評価, the second 期限前);
//! - cm4 (topic 1): 具体化 04-05 due 09-30, closed and reopened, never evaluated
//!   (未評価; 55 days overdue);
//! - cm5 (topic 4): 具体化 04-03 due 05-31, evaluated 05-20, re-planned 06-01
//!   due 10-15 (the second round 未評価 in 2026H2; 40 days overdue);
//! - cm6 (topic 5, recorded 2025-04-01): 未具体化 since (停滞);
//! - cm7 (topic 6, recorded 2025-04-01): 具体化 2025-05-01 due 2025-09-30
//!   (停滞; 420 days overdue);
//! - cm8 (topic 7, recorded 2025-04-01): archived (neither 停滞 nor overdue).
//!
//! 甲市 南区: one countermeasure, 具体化 04-08 due 06-30, evaluated 06-29.
//! 甲市 東区: none. 乙市 西区: another city.

use renkei::accounts::Role;
use renkei::app::{self, Running};
use renkei::clock::Clock;
use renkei::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, create_account_token};

/// A second server on the test's database whose clock reads `day` (noon
/// in Tokyo), so what is recorded through it is dated that day.
async fn server_on(app: &TestApp, day: &str) -> Running {
    let now = format!("{day}T03:00:00Z");
    app::build(
        Config::for_database(app.db_url.clone()),
        app::Options::at(Clock::Fixed(now.parse().unwrap())),
    )
    .await
    .expect("start server")
    .server
}

/// Records a countermeasure through `server` (dated its day); returns its id.
async fn recorded(app: &TestApp, server: &Running, ward: i64, topic: i64, title: &str) -> i64 {
    let r = app
        .client
        .post(format!(
            "{}/api/wards/{ward}/countermeasures",
            server.base_url()
        ))
        .json(&json!({ "topic": topic, "title": title }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn step(app: &TestApp, id: i64, body: Value) {
    let r = app.transition(id, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

fn plan(on: &str, owner: i64, due: &str) -> Value {
    json!({ "to": "具体化", "on": on, "owner_member_id": owner, "evaluation_due_on": due })
}

fn evaluate(on: &str) -> Value {
    json!({ "to": "評価改善", "on": on, "evaluation": "評価した", "improvement": "改善する", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" })
}

struct Fixture {
    app: TestApp,
    city: i64,
    kita: i64,
    minami: i64,
    higashi: i64,
    foreign_ward: i64,
    foreign_city: i64,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("甲市", &["北区", "南区", "東区"])
        .await;
    let (kita, minami, higashi) = (wards[0], wards[1], wards[2]);
    let foreign_ward = app.municipality_with_wards("乙市", &["西区"]).await[0];
    let city = app.get(&format!("/api/wards/{kita}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let foreign_city = app.get(&format!("/api/wards/{foreign_ward}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let owner = app.member(kita, "在宅 花子").await;
    let owner_minami = app.member(minami, "訪問 太郎").await;

    let april = server_on(&app, "2026-04-01").await;
    let cm1 = recorded(&app, &april, kita, 1, "入退院支援ルールの周知").await;
    step(&app, cm1, plan("2026-04-11", owner, "2026-06-30")).await;
    step(&app, cm1, evaluate("2026-06-30")).await;

    let cm2 = recorded(&app, &april, kita, 2, "多職種研修の開催").await;
    step(&app, cm2, plan("2026-04-21", owner, "2026-07-31")).await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{cm2}"),
            json!({ "evaluation_due_on": "2026-10-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    step(&app, cm2, evaluate("2026-09-15")).await;

    let cm3 = recorded(&app, &april, kita, 3, "情報共有シートの作成").await;
    step(&app, cm3, plan("2026-05-01", owner, "2026-08-31")).await;
    step(
        &app,
        cm3,
        json!({ "to": "未具体化", "on": "2026-06-01", "note": "内容を見直す" }),
    )
    .await;
    step(&app, cm3, plan("2026-06-12", owner, "2026-12-31")).await;

    let cm4 = recorded(&app, &april, kita, 1, "医療資源マップの更新").await;
    step(&app, cm4, plan("2026-04-05", owner, "2026-09-30")).await;
    // Closed and reopened: the round goes on, as if never closed.
    for archived in [true, false] {
        let r = app
            .patch(
                &format!("/api/countermeasures/{cm4}"),
                json!({ "archived": archived }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    let cm5 = recorded(&app, &april, kita, 4, "急変時の連絡体制").await;
    step(&app, cm5, plan("2026-04-03", owner, "2026-05-31")).await;
    step(&app, cm5, evaluate("2026-05-20")).await;
    step(
        &app,
        cm5,
        json!({ "to": "具体化", "on": "2026-06-01", "note": "次の周期", "evaluation_due_on": "2026-10-15" }),
    )
    .await;

    let last_year = server_on(&app, "2025-04-01").await;
    recorded(&app, &last_year, kita, 5, "住民向け講演会").await;
    let cm7 = recorded(&app, &last_year, kita, 6, "顔の見える関係づくり").await;
    step(&app, cm7, plan("2025-05-01", owner, "2025-09-30")).await;
    let cm8 = recorded(&app, &last_year, kita, 7, "終了した取組").await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{cm8}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let b = recorded(&app, &april, minami, 1, "南区の取組").await;
    step(&app, b, plan("2026-04-08", owner_minami, "2026-06-30")).await;
    step(&app, b, evaluate("2026-06-29")).await;

    april.stop().await.unwrap();
    last_year.stop().await.unwrap();
    Fixture {
        app,
        city,
        kita,
        minami,
        higashi,
        foreign_ward,
        foreign_city,
    }
}

async fn ok(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

/// (due, on time, late, missed, pending, judged, postponed, rate)
fn rounds(f: &Value) -> (i64, i64, i64, i64, i64, i64, i64, Value) {
    let r = &f["rounds"];
    let n = |k: &str| r[k].as_i64().unwrap();
    (
        n("due"),
        n("on_time"),
        n("late"),
        n("missed"),
        n("pending"),
        n("judged"),
        n("postponed"),
        r["on_time_rate"].clone(),
    )
}

/// (count, median) of a `Steps`, and the overdue (count, longest, median).
fn steps(f: &Value, key: &str) -> (i64, Value) {
    (
        f[key]["count"].as_i64().unwrap(),
        f[key]["median_days"].clone(),
    )
}

fn overdue(f: &Value) -> (i64, Value, Value) {
    let o = &f["overdue"];
    (
        o["count"].as_i64().unwrap(),
        o["longest_days"].clone(),
        o["median_days"].clone(),
    )
}

#[tokio::test]
async fn a_wards_figures_follow_the_rounds_first_due_dates_over_a_half_year_and_a_fiscal_year() {
    let f = fixture().await;
    let app = &f.app;
    let kita = f.kita;

    let h1 = ok(app, &format!("/api/wards/{kita}/progress?period=2026H1")).await;
    assert_eq!(h1["period"]["code"], "2026H1");
    assert_eq!(h1["period"]["label"], "令和8年度上半期");
    assert_eq!(h1["period"]["start"], "2026-04-01");
    assert_eq!(h1["period"]["end"], "2026-09-30");
    assert_eq!(h1["as_of"], "2026-11-24");
    assert_eq!(h1["stuck_since"], "2026-03-31");
    let fig = &h1["figures"];
    // cm1 (on its due date) and cm5's first round on time; cm2 late though
    // postponed; cm3's first round (stepped back) and cm4 not evaluated.
    assert_eq!(rounds(fig), (5, 2, 1, 2, 0, 5, 1, json!("40")));
    // 2, 4, 10, 11, 20, 30 days (cm3's second planning counts from its step back).
    assert_eq!(steps(fig, "to_planned"), (6, json!(11)));
    // 47, 80, 147 days.
    assert_eq!(steps(fig, "to_evaluated"), (3, json!(80)));
    // Now: cm7 420, cm4 55, cm5 40 days past the due date in force.
    assert_eq!(overdue(fig), (3, json!(420), json!(55)));
    assert_eq!(fig["stuck"], 2);
    assert_eq!(fig["topics_without"], json!([8, 9, 10]));

    // 2026H2: cm3's second round is not due yet; cm5's second is missed.
    let h2 = ok(app, &format!("/api/wards/{kita}/progress?period=2026H2")).await;
    let fig = &h2["figures"];
    assert_eq!(rounds(fig), (2, 0, 0, 1, 1, 1, 0, json!("0")));
    assert_eq!(steps(fig, "to_planned"), (0, Value::Null));
    assert_eq!(steps(fig, "to_evaluated"), (0, Value::Null));
    // The current half-year when no period is named.
    let current = ok(app, &format!("/api/wards/{kita}/progress")).await;
    assert_eq!(current["period"]["code"], "2026H2");
    assert_eq!(current["figures"], h2["figures"]);

    // The fiscal year holds both halves: 2 of 6 judged, 33 %.
    let fy = ok(app, &format!("/api/wards/{kita}/progress?period=2026")).await;
    assert_eq!(fy["period"]["label"], "令和8年度");
    assert_eq!(fy["period"]["end"], "2027-03-31");
    let fig = &fy["figures"];
    assert_eq!(rounds(fig), (7, 2, 1, 3, 1, 6, 1, json!("33")));
    assert_eq!(steps(fig, "to_planned"), (6, json!(11)));
    assert_eq!(steps(fig, "to_evaluated"), (3, json!(80)));

    // A ward without countermeasures: nothing to rate, every topic missing.
    let higashi = ok(
        app,
        &format!("/api/wards/{}/progress?period=2026H1", f.higashi),
    )
    .await;
    let fig = &higashi["figures"];
    assert_eq!(rounds(fig), (0, 0, 0, 0, 0, 0, 0, Value::Null));
    assert_eq!(steps(fig, "to_evaluated"), (0, Value::Null));
    assert_eq!(overdue(fig), (0, Value::Null, Value::Null));
    assert_eq!(fig["stuck"], 0);
    assert_eq!(
        fig["topics_without"],
        json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    );
}

fn names(city: &Value) -> Vec<String> {
    city["wards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["ward_name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_city_sees_its_wards_side_by_side_sorted_with_the_total_of_the_pooled_counts() {
    let f = fixture().await;
    let app = &f.app;
    let base = format!("/api/municipalities/{}/progress?period=2026H1", f.city);

    let city = ok(app, &base).await;
    assert_eq!(names(&city), ["北区", "南区", "東区"]);
    assert_eq!(city["sort"], "ward");
    assert_eq!(city["municipality_id"], f.city);
    let total = &city["total"];
    // 3 of 6 (50 %), not the mean of 40 % and 100 %.
    assert_eq!(rounds(total), (6, 3, 1, 2, 0, 6, 1, json!("50")));
    // Pooled: 2, 4, 7, 10, 11, 20, 30 and 47, 80, 82, 147 (→ 81).
    assert_eq!(steps(total, "to_planned"), (7, json!(10)));
    assert_eq!(steps(total, "to_evaluated"), (4, json!(81)));
    assert_eq!(overdue(total), (3, json!(420), json!(55)));
    assert_eq!(total["stuck"], 2);
    // No ward has a countermeasure on topics 8–10.
    assert_eq!(total["topics_without"], json!([8, 9, 10]));
    let minami = &city["wards"][1]["figures"];
    assert_eq!(rounds(minami), (1, 1, 0, 0, 0, 1, 0, json!("100")));
    assert_eq!(steps(minami, "to_evaluated"), (1, json!(82)));

    let sorted = |sort: &'static str| {
        let path = format!("{base}&sort={sort}");
        async move { names(&ok(app, &path).await) }
    };
    // A ward with no judged round comes last either way.
    assert_eq!(sorted("-rate").await, ["南区", "北区", "東区"]);
    assert_eq!(sorted("rate").await, ["北区", "南区", "東区"]);
    assert_eq!(sorted("-stuck").await, ["北区", "南区", "東区"]);
    assert_eq!(sorted("topics_without").await, ["北区", "南区", "東区"]);
    assert_eq!(sorted("-topics_without").await, ["東区", "南区", "北区"]);
    assert_eq!(sorted("-ward").await, ["東区", "南区", "北区"]);
    assert_eq!(
        ok(app, &format!("{base}&sort=-rate")).await["sort"],
        "-rate"
    );

    // The report-style view: the operator (admin) sees every municipality's wards.
    let all = ok(app, "/api/progress?period=2026H1").await;
    assert_eq!(names(&all), ["北区", "南区", "東区", "西区"]);
    assert_eq!(all["total"]["rounds"], total["rounds"]);
    let one = ok(
        app,
        &format!("/api/progress?period=2026H1&municipality_id={}", f.city),
    )
    .await;
    assert_eq!(one["total"], city["total"]);
}

#[tokio::test]
async fn a_bad_period_or_sort_is_refused_with_a_japanese_message() {
    let f = fixture().await;
    let app = &f.app;
    for bad in [
        "2026H3",
        "26",
        "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96",
        "2026-2027",
    ] {
        let r = app
            .get(&format!("/api/wards/{}/progress?period={bad}", f.kita))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "period");
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("半期") && message.contains("年度"),
            "{message}"
        );
        assert!(r.body["detail"].as_str().unwrap().contains("入力"));
        let r = app
            .get(&format!(
                "/api/municipalities/{}/progress?period={bad}",
                f.city
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .get(&format!(
            "/api/municipalities/{}/progress?sort=name",
            f.city
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "sort");
    // The page shows the message beside the field, and no figures.
    let (status, html) = app
        .page(&format!("/wards/{}/progress?period=2026H3", f.kita))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("期間「2026H3」は指定できません"), "{html}");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("期限内評価率</dt>"));
    let (status, _) = app
        .page(&format!("/city/{}/progress?period=H1", f.city))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .page(&format!("/wards/{}/progress.csv?period=2026H3", f.kita))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn another_citys_accounts_and_other_wards_accounts_are_refused() {
    let f = fixture().await;
    let app = &f.app;
    let now = NOW.parse().unwrap();
    let token = |email: &'static str, role: Role, m: i64, w: Option<i64>| {
        create_account_token(&app.db, email, role, Some(m), w, now)
    };
    let foreign = token("otsu@example.jp", Role::City, f.foreign_city, None).await;
    let kita_office = token("kita@example.jp", Role::Secretariat, f.city, Some(f.kita)).await;
    let own_city = token("ko@example.jp", Role::City, f.city, None).await;
    let get = |token: &str, path: String| {
        let client = reqwest::Client::new();
        let url = app.url(&path);
        let token = token.to_string();
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let (kita, minami, city) = (f.kita, f.minami, f.city);
    let cases = [
        (&foreign, format!("/api/wards/{kita}/progress"), 404),
        (
            &foreign,
            format!("/api/municipalities/{city}/progress"),
            404,
        ),
        (
            &foreign,
            format!("/api/progress?municipality_id={city}"),
            404,
        ),
        (&foreign, format!("/wards/{kita}/progress"), 404),
        (&foreign, format!("/wards/{kita}/progress.csv"), 404),
        (&foreign, format!("/city/{city}/progress"), 404),
        (&foreign, format!("/city/{city}/progress.csv"), 404),
        (&kita_office, format!("/api/wards/{kita}/progress"), 200),
        (&kita_office, format!("/wards/{kita}/progress"), 200),
        (&kita_office, format!("/api/wards/{minami}/progress"), 404),
        (&kita_office, format!("/wards/{minami}/progress"), 404),
        (
            &kita_office,
            format!("/api/municipalities/{city}/progress"),
            403,
        ),
        (&kita_office, "/api/progress".to_string(), 403),
        (&kita_office, format!("/city/{city}/progress"), 403),
        (
            &own_city,
            format!("/api/municipalities/{city}/progress"),
            200,
        ),
        (&own_city, format!("/city/{city}/progress"), 200),
        (&own_city, format!("/api/wards/{minami}/progress"), 200),
        (
            &own_city,
            format!("/api/wards/{}/progress", f.foreign_ward),
            404,
        ),
        (
            &own_city,
            format!("/api/municipalities/{}/progress", f.foreign_city),
            404,
        ),
    ];
    for (token, path, want) in cases {
        assert_eq!(get(token, path.clone()).await.as_u16(), want, "{path}");
    }
    // A city account's own view lists its wards only.
    let r = reqwest::Client::new()
        .get(app.url("/api/progress?period=2026H1"))
        .bearer_auth(&own_city)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(names(&body), ["北区", "南区", "東区"]);
}

/// The cells of a UTF-8 CSV (BOM removed), header first.
fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn the_csv_for_excel_holds_the_pages_figures_in_the_pages_order() {
    let f = fixture().await;
    let app = &f.app;
    let (status, headers, bytes) = app
        .download(&format!(
            "/city/{}/progress.csv?period=2026H1&sort=-rate",
            f.city
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    let rows = cells(&bytes);
    assert_eq!(rows[0][0], "区");
    assert_eq!(rows[0][8], "期限内評価率（%）");
    let line = |r: &Vec<String>| r.join(",");
    assert_eq!(
        line(&rows[1]),
        "南区,2026H1,1,1,0,0,0,0,100,0,,,1,7,1,82,0,9,2 3 4 5 6 7 8 9 10"
    );
    assert_eq!(
        line(&rows[2]),
        "北区,2026H1,5,2,1,2,0,1,40,3,420,55,6,11,3,80,2,3,8 9 10"
    );
    assert_eq!(
        line(&rows[3]),
        "東区,2026H1,0,0,0,0,0,0,,0,,,0,,0,,0,10,1 2 3 4 5 6 7 8 9 10"
    );
    assert_eq!(
        line(&rows[4]),
        "市全体,2026H1,6,3,1,2,0,1,50,3,420,55,7,10,4,81,2,3,8 9 10"
    );
    assert_eq!(rows.len(), 5);

    let (status, headers, bytes) = app
        .download(&format!(
            "/wards/{}/progress.csv?period=2026&encoding=sjis",
            f.kita
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1],
        "北区,2026,7,2,1,3,1,1,33,3,420,55,6,11,3,80,2,3,8 9 10"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
}

#[tokio::test]
async fn the_pages_show_the_figures_and_link_each_column_to_its_sort() {
    let f = fixture().await;
    let app = &f.app;
    let (status, html) = app
        .page(&format!("/wards/{}/progress?period=2026H1", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("40%（2件 ／ 判定済み5件）"), "{html}");
    assert!(html.contains("中央値 11日（6件）"));
    assert!(html.contains("3件（最長 420日、中央値 55日）"));
    assert!(html.contains("8. 地域における在宅医療・介護連携に関する目標の設定について"));
    assert!(html.contains("住民向け講演会"), "the 停滞 list names cm6");
    assert!(html.contains("aria-current=\"page\">PDCAの進み具合</a>"));

    let (status, html) = app
        .page(&format!(
            "/city/{}/progress?period=2026H1&sort=-rate",
            f.city
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (south, north) = (
        html.find(">南区</a>").unwrap(),
        html.find(">北区</a>").unwrap(),
    );
    assert!(south < north, "sorted by rate, descending");
    assert!(html.contains("aria-sort=\"descending\"><a href=\"/city/"));
    let rate_link = format!(
        "href=\"/city/{}/progress?period=2026H1&#38;sort=rate\"",
        f.city
    );
    assert!(
        html.contains(&rate_link),
        "{}",
        &html[html.find("<thead>").unwrap()..][..600]
    );
    assert!(html.contains("<th scope=\"row\">市全体</th>"));
    assert!(html.contains("<svg"), "the outcomes chart");
    let (_, city_page) = app.page(&format!("/city/{}", f.city)).await;
    assert!(city_page.contains(&format!("href=\"/city/{}/progress\"", f.city)));
}

/// The live writes and the migration's backfill make the same rounds from
/// the same history.
#[tokio::test]
async fn the_backfill_and_the_live_writes_agree() {
    let f = fixture().await;
    let db = &f.app.db;
    let columns = "countermeasure_id, ward_id, started_event_id, identified_on, started_on, first_due_on, \
                   postponed, ended_on, evaluated_on, planning_days, evaluation_days";
    let read = || async {
        let sql = format!("SELECT {columns} FROM evaluation_rounds ORDER BY started_event_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&db.pool)
            .await
            .unwrap();
        use sqlx::Row;
        rows.iter()
            .map(|r| {
                (0..11)
                    .map(|i| {
                        r.try_get::<Option<i64>, _>(i)
                            .map(|v| format!("{v:?}"))
                            .or_else(|_| {
                                r.try_get::<Option<String>, _>(i).map(|v| format!("{v:?}"))
                            })
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let live = read().await;
    assert_eq!(live.len(), 9, "{live:?}");
    let written = renkei::countermeasures::store::rebuild_evaluation_rounds(db)
        .await
        .unwrap();
    assert_eq!(written, 9);
    assert_eq!(read().await, live);
}
