//! The ward's PDCA sheet (`/wards/{id}/pdca`, `.csv`): the chain 目指すべき姿
//! → 目標 per scene → 評価指標 with baseline, target and the ward's latest
//! value → 対応策 with its verdict, from rows written with SQL (the write
//! APIs of the chain are built elsewhere) and a countermeasure recorded
//! through the API.

use reqwest::StatusCode;

use crate::support::{NOW, TestApp, create_account_token};
use renkei::accounts::Role;

async fn exec(app: &TestApp, sql: &'static str, ints: &[i64]) {
    let mut q = sqlx::query(sql);
    for i in ints {
        q = q.bind(*i);
    }
    q.execute(&app.db.pool).await.unwrap();
}

async fn insert_id(app: &TestApp, sql: &'static str, ints: &[i64]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for i in ints {
        q = q.bind(*i);
    }
    q.fetch_one(&app.db.pool).await.unwrap()
}

struct Fixture {
    app: TestApp,
    kita: i64,
    miyakojima: i64,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (kita, miyakojima) = (wards[0], wards[1]);
    let m = app.municipality_of(kita).await;
    exec(
        &app,
        "INSERT INTO scenes (municipality_id, name, sort_order, created_at) VALUES ($1, '災害・感染症', 1, '2026-04-01T00:00:00Z')",
        &[m],
    )
    .await;
    let city_vision = insert_id(
        &app,
        "INSERT INTO visions (municipality_id, ward_id, plan_period, body, sharing, cycle_years, created_at, updated_at) \
         VALUES ($1, NULL, '2024-2026', '住み慣れた地域で最期まで暮らせるまち', '事業計画に記載し関係者と共有', 1, '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z') RETURNING id",
        &[m],
    )
    .await;
    let ward_vision = insert_id(
        &app,
        "INSERT INTO visions (municipality_id, ward_id, plan_period, body, sharing, cycle_years, created_at, updated_at) \
         VALUES ($1, $2, '2024-2026', '北区の在宅療養を支える顔の見える関係', '関係者と共有', 1, '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z') RETURNING id",
        &[m, kita],
    )
    .await;
    exec(
        &app,
        "INSERT INTO vision_goals (vision_id, scene, goal) VALUES \
         ($1, '日常の療養支援', '市の目標・日常'), ($1, '入退院支援', '市の目標・入退院'), \
         ($1, '急変時の対応', '市の目標・急変'), ($1, '看取り', '市の目標・看取り'), \
         ($1, '災害・感染症', '市の目標・災害')",
        &[city_vision],
    )
    .await;
    exec(
        &app,
        "INSERT INTO vision_goals (vision_id, scene, goal) VALUES ($1, '入退院支援', '区の目標・入退院')",
        &[ward_vision],
    )
    .await;
    let indicator = insert_id(
        &app,
        "INSERT INTO indicators (municipality_id, name, level, unit, definition, data_source, direction, \
         baseline_value, baseline_period, target_value, target_period, frequency, created_at, updated_at) \
         VALUES ($1, '退院調整率', '中間アウトカム', '%', '', '実績報告', '↑', '60.0', '2023', '80.0', '2026', '年度', \
         '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z') RETURNING id",
        &[m],
    )
    .await;
    exec(
        &app,
        "INSERT INTO indicators (municipality_id, name, level, unit, definition, data_source, direction, \
         frequency, created_at, updated_at) \
         VALUES ($1, '連携窓口の設置', 'ストラクチャー', '箇所', '', '実績報告', '↑', '年度', \
         '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z')",
        &[m],
    )
    .await;
    exec(
        &app,
        "INSERT INTO indicator_scenes (indicator_id, scene) VALUES ($1, '入退院支援')",
        &[indicator],
    )
    .await;
    exec(
        &app,
        "INSERT INTO indicator_values (indicator_id, municipality_id, ward_id, period, value, recorded_at) VALUES \
         ($1, $2, $3, '2025', '65.5', '2026-04-01T00:00:00Z'), \
         ($1, $2, $3, '2026H1', '70.2', '2026-10-01T00:00:00Z'), \
         ($1, $2, NULL, '2026H2', '75.0', '2026-11-01T00:00:00Z'), \
         ($1, $2, $4, '2026H2', '99.9', '2026-11-01T00:00:00Z')",
        &[indicator, m, kita, miyakojima],
    )
    .await;

    let owner = app.member(kita, "在宅 花子").await;
    let cm = app
        .planned_countermeasure(kita, 2, owner, "2027-03-31")
        .await;
    exec(
        &app,
        "UPDATE countermeasures SET verdict = '一部達成', verdict_reason = '一部の病院のみ' WHERE id = $1",
        &[cm],
    )
    .await;
    exec(
        &app,
        "INSERT INTO countermeasure_scenes (countermeasure_id, scene) VALUES ($1, '入退院支援'), ($1, '看取り')",
        &[cm],
    )
    .await;
    exec(
        &app,
        "INSERT INTO countermeasure_indicators (countermeasure_id, indicator_id) VALUES ($1, $2)",
        &[cm, indicator],
    )
    .await;
    // One without a scene.
    app.countermeasure(kita, 7, "区民向け講演会").await;
    Fixture {
        app,
        kita,
        miyakojima,
    }
}

/// Asserts the texts appear in this order.
fn in_order(html: &str, texts: &[&str]) {
    let mut from = 0;
    for t in texts {
        let at = html[from..]
            .find(t)
            .unwrap_or_else(|| panic!("{t} not found after byte {from}:\n{html}"));
        from += at + t.len();
    }
}

#[tokio::test]
async fn the_sheet_draws_the_chain_from_vision_to_countermeasure() {
    let f = fixture().await;
    let (status, html) = f.app.page(&format!("/wards/{}/pdca", f.kita)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    in_order(
        &html,
        &[
            "第9期（令和6〜8年度）",
            "住み慣れた地域で最期まで暮らせるまち",
            "事業計画に記載し関係者と共有",
            "北区の在宅療養を支える顔の見える関係",
            // Goals: the national four, then the city's own scene.
            "日常の療養支援",
            "市の目標・日常",
            "入退院支援",
            "市の目標・入退院",
            "区の目標・入退院",
            "急変時の対応",
            "看取り",
            "災害・感染症",
            "市の目標・災害",
            // Indicators by level: ストラクチャー before 中間アウトカム.
            "連携窓口の設置",
            "未測定",
            "中間アウトカム",
            "退院調整率",
            "60.0（2023）",
            "80.0（2026）",
            "70.2（2026H1）",
            // Countermeasures under each of their scenes, then 場面未設定.
            "<h3>入退院支援</h3>",
            "具体化する対応策",
            "在宅 花子",
            "2027-03-31",
            "B 一部達成",
            "退院調整率",
            "<h3>看取り</h3>",
            "具体化する対応策",
            "<h3>場面未設定</h3>",
            "区民向け講演会",
            "未記録",
        ],
    );
    // Another ward's value is not this ward's; the city's older than its own.
    assert!(!html.contains("99.9"));
    assert!(!html.contains("75.0"));

    // The ward page links to it.
    let (_, ward_page) = f.app.page(&format!("/wards/{}", f.kita)).await;
    assert!(ward_page.contains(&format!("/wards/{}/pdca", f.kita)));

    // Another plan period has no vision yet, but the same countermeasures.
    let (status, html) = f
        .app
        .page(&format!("/wards/{}/pdca?plan_period=2027-2029", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("第10期（令和9〜11年度）"));
    assert!(!html.contains("住み慣れた地域"));
    assert!(html.contains("区民向け講演会"));
    f.app.stop().await;
}

#[tokio::test]
async fn the_sheet_s_csv_has_a_row_per_item_of_the_chain() {
    let f = fixture().await;
    let (status, headers, body) = f.app.download(&format!("/wards/{}/pdca.csv", f.kita)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("区分,場面,水準・テーマ,名称・内容,"),
        "{text}"
    );
    for row in [
        "目指すべき姿（市）,,,住み慣れた地域で最期まで暮らせるまち,,,,,,,,,,1年,事業計画に記載し関係者と共有",
        "目指すべき姿（区）,,,北区の在宅療養を支える顔の見える関係,,,,,,,,,,1年,関係者と共有",
        "目標（市）,災害・感染症,,市の目標・災害,,,,,,,,,,,",
        "目標（区）,入退院支援,,区の目標・入退院,,,,,,,,,,,",
        "目標（区）,看取り,,未設定,,,,,,,,,,,",
        "評価指標,入退院支援,中間アウトカム,退院調整率,%,60.0（2023）,80.0（2026）,70.2,2026H1,,,,,,望ましい方向 ↑",
        "対応策,入退院支援,2. 在宅医療・介護連携の取組の状況について,具体化する対応策,,,,,,具体化,在宅 花子,2027-03-31,B 一部達成,1,退院調整率",
        "対応策,看取り,2. 在宅医療・介護連携の取組の状況について,具体化する対応策,,,,,,具体化,在宅 花子,2027-03-31,B 一部達成,1,退院調整率",
    ] {
        assert!(lines.contains(&row), "{row}\n{text}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("対応策,場面未設定,") && l.contains("区民向け講演会")),
        "{text}"
    );
    // The JSON twin carries the same chain.
    let r = f.app.get(&format!("/api/wards/{}/pdca", f.kita)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["plan_period"], "2024-2026");
    assert_eq!(r.body["goals"].as_array().unwrap().len(), 5);
    assert_eq!(r.body["indicators"][1]["latest"]["value"], "70.2");
    assert_eq!(r.body["groups"][0]["scene"], "入退院支援");
    assert_eq!(
        r.body["groups"][0]["countermeasures"][0]["verdict"],
        "B 一部達成"
    );
    let bad = f
        .app
        .get(&format!("/api/wards/{}/pdca?plan_period=2025-2027", f.kita))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("計画期間は"), "{}", bad.text);
    // Shift_JIS for older Excel.
    let (status, _, body) = f
        .app
        .download(&format!("/wards/{}/pdca.csv?encoding=sjis", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.decode(&body);
    assert!(!bad);
    assert!(sjis.contains("B 一部達成"));
    f.app.stop().await;
}

#[tokio::test]
async fn another_ward_s_account_does_not_see_the_sheet() {
    let f = fixture().await;
    let m = f.app.municipality_of(f.kita).await;
    let token = create_account_token(
        &f.app.db,
        "miyakojima@example.jp",
        Role::Secretariat,
        Some(m),
        Some(f.miyakojima),
        NOW.parse().unwrap(),
    )
    .await;
    for path in ["pdca", "pdca.csv"] {
        let (status, _) = f
            .app
            .page_as(&token, &format!("/wards/{}/{path}", f.kita))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, html) = f
        .app
        .page_as(&token, &format!("/wards/{}/pdca", f.miyakojima))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("具体化する対応策"));
    assert!(
        html.contains("住み慣れた地域で最期まで暮らせるまち"),
        "the city's vision"
    );
    f.app.stop().await;
}

#[tokio::test]
async fn a_malformed_plan_period_gets_a_japanese_message() {
    let f = fixture().await;
    for bad in ["2025-2027", "abc", "2024-2026x"] {
        for path in ["pdca", "pdca.csv"] {
            let (status, html) = f
                .app
                .page(&format!("/wards/{}/{path}?plan_period={bad}", f.kita))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{bad}");
            assert!(
                html.contains("計画期間は 2024-2026（第9期）のように"),
                "{html}"
            );
        }
    }
    f.app.stop().await;
}
