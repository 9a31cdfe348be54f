//! 半期ごとの推移: each half-year read as of its last day from the history
//! (the running one as of today), on a small dataset written through the
//! API by servers whose clocks stand on different days.
//!
//! 大阪市: 北区 (two countermeasures and three meetings), 都島区 (one
//! countermeasure), 福島区 (nothing); 堺市: 堺区 (one countermeasure, not
//! counted in 大阪市's distribution). Today is 2026-11-24 (2026H2).
//! - 北区 topic 1: 具体化 on 2026-01-10 due 2026-02-28 (overdue at the end
//!   of 2025H2), stepped back on 2026-09-20 (未具体化 at the end of 2026H1),
//!   up again on 2026-10-15 due 2027-01-31.
//! - 北区 topic 2: 具体化 on 2026-01-10 due 2026-03-15, postponed on
//!   2026-03-20 to 2026-05-31 (so not overdue on 2026-03-31, overdue on
//!   2026-09-30), 評価改善 on 2026-10-15.
//! - 北区 meetings: 2026-02-01 (topics 1, 2), 2026-06-10 (3), 2026-07-01
//!   (3, 4), and one planned for 2026-12-10 (not held yet).

use renkei::accounts::Role;
use renkei::app::Running;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, assert_problem, create_account_token, error_fields};

pub struct Fixture {
    pub app: TestApp,
    pub kita: i64,
    pub miyakojima: i64,
    pub fukushima: i64,
    pub sakai: i64,
    pub osaka: i64,
}

/// Records a countermeasure through `server` and plans it (具体化).
async fn planned_at(
    app: &TestApp,
    server: &Running,
    ward: i64,
    topic: i64,
    owner: i64,
    due: &str,
) -> i64 {
    let id = app
        .send_to(
            server,
            reqwest::Method::POST,
            &format!("/api/wards/{ward}/countermeasures"),
            json!({ "topic": topic, "title": format!("対応策 {topic}") }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.send_to(
        server,
        reqwest::Method::POST,
        &format!("/api/countermeasures/{id}/transitions"),
        json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": due }),
    )
    .await;
    id
}

/// The dataset of the module doc.
pub async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let cities = app.two_cities(&["北区", "都島区", "福島区"]).await;
    let (kita, miyakojima, fukushima) = (cities.wards[0], cities.wards[1], cities.wards[2]);
    let (sakai, osaka) = (cities.sakai, cities.osaka);
    let post = reqwest::Method::POST;
    let owner = app.member(kita, "在宅 花子").await;
    let owner_m = app.member(miyakojima, "訪問 太郎").await;
    let owner_s = app.member(sakai, "堺 次郎").await;

    let january = app.server_at("2026-01-10T01:00:00Z").await;
    let cm1 = planned_at(&app, &january, kita, 1, owner, "2026-02-28").await;
    let cm2 = planned_at(&app, &january, kita, 2, owner, "2026-03-15").await;
    planned_at(&app, &january, miyakojima, 1, owner_m, "2026-12-31").await;
    planned_at(&app, &january, sakai, 1, owner_s, "2026-12-31").await;
    app.meeting(kita, "2026-02-01", &[1, 2]).await;

    let march = app.server_at("2026-03-20T01:00:00Z").await;
    app.send_to(
        &march,
        reqwest::Method::PATCH,
        &format!("/api/countermeasures/{cm2}"),
        json!({ "evaluation_due_on": "2026-05-31" }),
    )
    .await;

    let september = app.server_at("2026-09-20T01:00:00Z").await;
    app.send_to(
        &september,
        post.clone(),
        &format!("/api/countermeasures/{cm1}/transitions"),
        json!({ "to": "未具体化", "note": "計画を見直す" }),
    )
    .await;
    app.meeting(kita, "2026-06-10", &[3]).await;
    app.meeting(kita, "2026-07-01", &[3, 4]).await;

    let october = app.server_at("2026-10-15T01:00:00Z").await;
    app.send_to(
        &october,
        post.clone(),
        &format!("/api/countermeasures/{cm1}/transitions"),
        json!({ "to": "具体化", "evaluation_due_on": "2027-01-31" }),
    )
    .await;
    app.send_to(
        &october,
        post,
        &format!("/api/countermeasures/{cm2}/transitions"),
        json!({ "to": "評価改善", "evaluation": "研修を実施した", "improvement": "対象を広げる", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
    )
    .await;
    // Planned, not held yet: today's figures leave it out.
    app.meeting(kita, "2026-12-10", &[5]).await;
    Fixture {
        app,
        kita,
        miyakojima,
        fukushima,
        sakai,
        osaka,
    }
}

async fn trends(app: &TestApp, ward: i64, query: &str) -> Value {
    let r = app.get(&format!("/api/wards/{ward}/trends{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn column(body: &Value, key: &str) -> Vec<Value> {
    body["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[key].clone())
        .collect()
}

/// The ward's stage labels of a topic over the half-years.
fn stages(body: &Value, topic: usize) -> Vec<String> {
    body["topics"][topic - 1]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["stage_label"].as_str().unwrap().to_string())
        .collect()
}

/// The city's counts of a topic over the half-years: [評価改善, 具体化, 未具体化, なし].
fn city(body: &Value, topic: usize) -> Vec<[i64; 4]> {
    body["topics"][topic - 1]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let c = &p["city"];
            assert_eq!(c["wards"], 3, "{c}");
            ["evaluated", "planned", "identified", "none"].map(|k| c[k].as_i64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn each_half_year_reads_as_it_stood_at_its_end_and_the_running_one_as_of_today() {
    let f = fixture().await;
    let t = trends(&f.app, f.kita, "?halves=3").await;
    assert_eq!(
        column(&t, "period"),
        [json!("2025H2"), json!("2026H1"), json!("2026H2")]
    );
    assert_eq!(
        column(&t, "as_of"),
        [
            json!("2026-03-31"),
            json!("2026-09-30"),
            json!("2026-11-24")
        ]
    );
    assert_eq!(
        column(&t, "running"),
        [json!(false), json!(false), json!(true)]
    );
    assert_eq!(column(&t, "label")[2], json!("令和8年度下半期"));
    // The meeting of 2026-12-10 is not held yet.
    assert_eq!(column(&t, "meetings_held"), [json!(1), json!(2), json!(0)]);
    assert_eq!(
        column(&t, "topics_covered"),
        [json!([1, 2]), json!([3, 4]), json!([])]
    );
    assert_eq!(
        column(&t, "topics_covered_count"),
        [json!(2), json!(2), json!(0)]
    );
    // 2025H2: topic 1 (due 02-28) overdue, topic 2 postponed to 05-31 is not;
    // 2026H1: topic 1 stepped back, topic 2 overdue; today: neither.
    assert_eq!(column(&t, "overdue"), [json!(1), json!(1), json!(0)]);

    // Stepped back across the 2026H1 end and up again.
    assert_eq!(stages(&t, 1), ["具体化", "未具体化", "具体化"]);
    assert_eq!(stages(&t, 2), ["具体化", "具体化", "評価改善"]);
    assert_eq!(stages(&t, 3), ["対応策なし"; 3]);
    assert_eq!(t["topics"][2]["points"][0]["stage"], Value::Null);
    assert_eq!(t["topics"][0]["points"][0]["covered"], true);
    assert_eq!(t["topics"][0]["points"][1]["covered"], false);
    assert_eq!(t["topics"][2]["points"][1]["covered"], true);

    // 大阪市's three wards (堺市's countermeasure is not among them).
    assert_eq!(t["city_wards"], 3);
    assert_eq!(city(&t, 1), [[0, 2, 0, 1], [0, 1, 1, 1], [0, 2, 0, 1]]);
    assert_eq!(city(&t, 2), [[0, 1, 0, 2], [0, 1, 0, 2], [1, 0, 0, 2]]);
    assert_eq!(city(&t, 10), [[0, 0, 0, 3]; 3]);
}

#[tokio::test]
async fn a_past_half_year_can_be_asked_for_and_six_are_shown_by_default() {
    let f = fixture().await;
    let t = trends(&f.app, f.kita, "?period=2026H1&halves=2").await;
    assert_eq!(column(&t, "period"), [json!("2025H2"), json!("2026H1")]);
    assert_eq!(column(&t, "running"), [json!(false), json!(false)]);
    assert_eq!(column(&t, "overdue"), [json!(1), json!(1)]);
    let t = trends(&f.app, f.kita, "").await;
    assert_eq!(
        column(&t, "period"),
        ["2024H1", "2024H2", "2025H1", "2025H2", "2026H1", "2026H2"].map(|p| json!(p))
    );
    // Before anything was recorded: nothing at all.
    assert_eq!(column(&t, "overdue")[0], json!(0));
    assert_eq!(stages(&t, 1)[..3], ["対応策なし"; 3]);
}

#[tokio::test]
async fn a_ward_with_no_meetings_and_no_countermeasures_shows_zeros_and_the_city_beside_it() {
    let f = fixture().await;
    let t = trends(&f.app, f.fukushima, "?halves=3").await;
    assert_eq!(column(&t, "meetings_held"), vec![json!(0); 3]);
    assert_eq!(column(&t, "topics_covered_count"), vec![json!(0); 3]);
    assert_eq!(column(&t, "overdue"), vec![json!(0); 3]);
    assert_eq!(stages(&t, 1), ["対応策なし"; 3]);
    assert_eq!(city(&t, 1), [[0, 2, 0, 1], [0, 1, 1, 1], [0, 2, 0, 1]]);
    // 都島区's own countermeasure is 具体化 throughout.
    let t = trends(&f.app, f.miyakojima, "?halves=3").await;
    assert_eq!(stages(&t, 1), ["具体化"; 3]);
    assert_eq!(column(&t, "overdue"), vec![json!(0); 3]);
}

#[tokio::test]
async fn bad_parameters_answer_japanese_problems() {
    let f = fixture().await;
    for query in ["?halves=0", "?halves=13", "?halves=-1"] {
        let r = f
            .app
            .get(&format!("/api/wards/{}/trends{query}", f.kita))
            .await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["halves"], "{query}");
        assert!(r.text.contains("1〜12"), "{}", r.text);
    }
    let r = f
        .app
        .get(&format!("/api/wards/{}/trends?halves=abc", f.kita))
        .await;
    assert_problem(&r, 422);
    for query in ["?period=2026H3", "?period=令和8", "?period=2027H1"] {
        let r = f
            .app
            .get(&format!("/api/wards/{}/trends{query}", f.kita))
            .await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["period"], "{query}");
    }
    // The page shows the message beside the field, the CSV an error page.
    let (status, page) = f
        .app
        .page(&format!("/wards/{}/trends?halves=99", f.kita))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("表示する半期の数は1〜12の整数で指定してください"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\""));
    let (status, _, bytes) = f
        .app
        .download(&format!("/wards/{}/trends.csv?period=x", f.kita))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&bytes).contains("期間は「2026H1」のように"));
}

#[tokio::test]
async fn another_municipality_and_another_ward_are_refused() {
    let f = fixture().await;
    let now = NOW.parse().unwrap();
    let sakai_city = create_account_token(
        &f.app.db,
        "sakai@example.jp",
        Role::City,
        Some(f.app.municipality_of(f.sakai).await),
        None,
        now,
    )
    .await;
    let miyakojima = create_account_token(
        &f.app.db,
        "miyakojima@example.jp",
        Role::Secretariat,
        Some(f.osaka),
        Some(f.miyakojima),
        now,
    )
    .await;
    let osaka_city = create_account_token(
        &f.app.db,
        "osaka@example.jp",
        Role::City,
        Some(f.osaka),
        None,
        now,
    )
    .await;
    let status = |token: String, path: String| {
        let app = &f.app;
        async move { app.status_as(&token, &path).await }
    };
    let api = format!("/api/wards/{}/trends", f.kita);
    assert_eq!(
        status(sakai_city.clone(), api.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(miyakojima.clone(), api.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(osaka_city.clone(), api).await, StatusCode::OK);
    for path in [
        format!("/wards/{}/trends", f.kita),
        format!("/wards/{}/trends.csv", f.kita),
    ] {
        assert_eq!(
            status(sakai_city.clone(), path.clone()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            status(miyakojima.clone(), path.clone()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Its own ward: the page, with the city's distribution beside it.
    let (code, page) = f
        .app
        .page_as(&miyakojima, &format!("/wards/{}/trends", f.miyakojima))
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("都島区 半期ごとの推移"), "{page}");
}

#[tokio::test]
async fn the_csv_has_a_line_per_half_year_and_topic_for_excel() {
    let f = fixture().await;
    let (status, headers, bytes) = f
        .app
        .download(&format!("/wards/{}/trends.csv?halves=3", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(
        lines[0],
        "区,期間,半期,時点,会議の開催回数,取り上げた会議の内容の数,評価期限を過ぎた対応策,番号,会議の内容,今期の会議,この区の対応策の具体化,市内 評価改善（区）,市内 具体化（区）,市内 未具体化（区）,市内 対応策なし（区）,市内の区数"
    );
    // 3 half-years × 10 topics, and the final line break.
    assert_eq!(lines.len(), 1 + 30 + 1, "{text}");
    assert_eq!(
        lines[1],
        "北区,2025H2,令和7年度下半期,2026-03-31,1,2,1,1,地域の医療・介護にかかわる資源の充足状況について,あてはまる,具体化,0,2,0,1,3"
    );
    assert!(
        lines.contains(&"北区,2026H1,令和8年度上半期,2026-09-30,2,2,1,1,地域の医療・介護にかかわる資源の充足状況について,あてはまらない,未具体化,0,1,1,1,3"),
        "{text}"
    );
    let (status, headers, bytes) = f
        .app
        .download(&format!(
            "/wards/{}/trends.csv?halves=3&encoding=sjis",
            f.kita
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(
        decoded.contains("北区,2026H2,令和8年度下半期,2026-11-24,0,0,0,2,"),
        "{decoded}"
    );
}

#[tokio::test]
async fn the_page_shows_the_strip_its_table_and_says_what_today_means() {
    let f = fixture().await;
    let (status, page) = f
        .app
        .page(&format!("/wards/{}/trends?halves=3", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg"), "{page}");
    assert!(page.contains("<desc id=\"trend-stages-desc\">"));
    assert!(
        page.contains("令和8年度下半期は本日（2026-11-24（令和8年11月24日））時点の記録です。"),
        "{page}"
    );
    assert!(page.contains(">R7下</th>") && page.contains(">R8下</th>"));
    assert!(
        page.contains("/trends.csv?halves=3&#38;encoding=sjis"),
        "{page}"
    );
    // The compact summary: the overdue counts per half-year.
    assert!(page.contains("<td class=\"num warn\">1件</td>"), "{page}");
}

/// The dashboard's compact form reads the ward alone, with the same figures.
#[tokio::test]
async fn the_compact_form_for_the_dashboard_has_the_same_figures_for_the_ward_alone() {
    let f = fixture().await;
    let scope = renkei::access::operator().ward_read(f.kita, f.osaka);
    let c = renkei::trends::store::compact_for_ward(&f.app.db, &scope, 3, crate::support::today())
        .await
        .unwrap();
    let periods: Vec<(String, i64, i64, i64)> = c
        .periods
        .iter()
        .map(|p| {
            (
                p.period.clone(),
                p.overdue,
                p.meetings_held,
                p.topics_covered_count,
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("2025H2".to_string(), 1, 1, 2),
            ("2026H1".to_string(), 1, 2, 2),
            ("2026H2".to_string(), 0, 0, 0),
        ]
    );
    // Topics at 評価改善, 具体化, 未具体化, none.
    assert_eq!(c.stage_topics, [[0, 2, 0, 8], [0, 1, 1, 8], [1, 1, 0, 8]]);
}
