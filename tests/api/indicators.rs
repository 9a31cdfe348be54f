//! 評価指標 (issue 18): indicators with baseline and target, values per
//! ward and period through the API and CSV, replacement audited, the
//! all-or-nothing import, the frequency rule, who may do what, the page
//! with its chart and table.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{NOW, Resp, TestApp, assert_problem, create_account_token, error_fields};
use renkei::accounts::Role;

struct City {
    app: TestApp,
    municipality: i64,
    kita: i64,
    miyakojima: i64,
}

async fn city() -> City {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let municipality = app.municipality_of(wards[0]).await;
    City {
        app,
        municipality,
        kita: wards[0],
        miyakojima: wards[1],
    }
}

async fn token(app: &TestApp, email: &str, role: Role, m: i64, ward: Option<i64>) -> String {
    create_account_token(&app.db, email, role, Some(m), ward, NOW.parse().unwrap()).await
}

async fn as_token(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Resp {
    let mut req = reqwest::Client::new()
        .request(method.clone(), app.url(path))
        .bearer_auth(token);
    if method != Method::GET {
        req = req.json(&body);
    }
    Resp::read(req.send().await.unwrap()).await
}

fn new_indicator(name: &str) -> Value {
    json!({
        "name": name,
        "level": "アウトプット",
        "unit": "%",
        "definition": "分子: 在宅で亡くなった人の数 / 分母: 死亡者数",
        "data_source": "見える化システム",
        "direction": "↑",
        "baseline": { "value": "12.50", "period": "2023" },
        "target": { "value": "20", "period": "2026" },
        "frequency": "年度",
        "scenes": ["看取り"]
    })
}

async fn indicator(c: &City, name: &str) -> i64 {
    let r = c
        .app
        .post(
            &format!("/api/municipalities/{}/indicators", c.municipality),
            new_indicator(name),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn put(app: &TestApp, id: i64, values: Value) -> Resp {
    app.request(
        Method::PUT,
        &format!("/api/indicators/{id}/values"),
        Some(values),
    )
    .await
}

async fn import(app: &TestApp, m: i64, csv: &str) -> Resp {
    let r = app
        .client
        .post(app.url(&format!("/api/municipalities/{m}/indicator-values/import")))
        .header("content-type", "application/octet-stream")
        .body(csv.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

/// (ward name, period, value) of each listed value, in the list's order.
fn triples(r: &Resp) -> Vec<(String, String, String)> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["ward_name"].as_str().unwrap().to_string(),
                v["period"].as_str().unwrap().to_string(),
                v["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_indicator_keeps_its_baseline_target_and_scenes_and_refuses_bad_input() {
    let c = city().await;
    let app = &c.app;
    let m = c.municipality;
    let r = app
        .post(
            &format!("/api/municipalities/{m}/indicators"),
            new_indicator("在宅看取り率"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["baseline"]["value"], "12.5");
    assert_eq!(r.body["baseline"]["period_label"], "令和5年度");
    assert_eq!(r.body["target"]["period"], "2026");
    assert_eq!(r.body["scenes"], json!(["看取り"]));
    let id = r.body["id"].as_i64().unwrap();

    // The same name again: 409, nothing added.
    let again = app
        .post(
            &format!("/api/municipalities/{m}/indicators"),
            new_indicator("在宅看取り率"),
        )
        .await;
    assert_problem(&again, 409);

    // Bad figures and periods: 422 per field, nothing stored.
    let mut bad = new_indicator("別の指標");
    bad["baseline"]["value"] = json!("12%");
    bad["target"]["period"] = json!("2026H3");
    bad["scenes"] = json!(["在宅"]);
    let r = app
        .post(&format!("/api/municipalities/{m}/indicators"), bad)
        .await;
    assert_problem(&r, 422);
    assert_eq!(
        error_fields(&r),
        ["baseline.value", "target.period", "scenes"]
    );
    assert_eq!(app.count("indicators").await, 1);

    // PATCH: absent fields stay, null removes the baseline.
    let r = app
        .patch(
            &format!("/api/indicators/{id}"),
            json!({ "target": { "value": "２５．０", "period": "令和8年度" }, "baseline": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["target"]["value"], "25");
    assert_eq!(r.body["baseline"], Value::Null);
    assert_eq!(r.body["unit"], "%");
    let got = app.get(&format!("/api/indicators/{id}")).await;
    assert_eq!(got.body["target"]["value"], "25");
    let list = app
        .get(&format!("/api/municipalities/{m}/indicators"))
        .await;
    assert_eq!(list.body["total"], 1);
}

#[tokio::test]
async fn values_over_three_years_for_two_wards_come_by_put_and_by_csv_and_a_replacement_is_audited()
{
    let c = city().await;
    let app = &c.app;
    let id = indicator(&c, "在宅看取り率").await;
    let (kita, miyakojima) = (c.kita, c.miyakojima);
    let r = put(
        app,
        id,
        json!([
            { "ward_id": kita, "period": "2024", "value": "12.5" },
            { "ward_id": miyakojima, "period": "2024", "value": "10" },
            { "ward_id": kita, "period": "2025", "value": "14" },
            { "ward_id": miyakojima, "period": "2025", "value": "11.25" },
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["total"], 4);

    let csv = "区,評価指標,期間,値\r\n北区,在宅看取り率,令和8年度,16.0\r\n都島区,在宅看取り率,2026,12\r\n,在宅看取り率,2026,\"1,000\"\r\n";
    let r = import(app, c.municipality, csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["imported"], 3);

    let r = app.get(&format!("/api/indicators/{id}/values")).await;
    assert_eq!(
        triples(&r),
        [
            ("市全体", "2026", "1000"),
            ("北区", "2024", "12.5"),
            ("北区", "2025", "14"),
            ("北区", "2026", "16"),
            ("都島区", "2024", "10"),
            ("都島区", "2025", "11.25"),
            ("都島区", "2026", "12"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert!(r.body["items"][1]["recorded_by"].as_str().is_some());

    // Replacing a value: one row, its audit entry keeps before and after.
    let r = put(
        app,
        id,
        json!([{ "ward_id": kita, "period": "2025", "value": "15" }]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.count("indicator_values").await, 7);
    let changes: Vec<String> = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE entity = 'indicator_value' AND action = 'update'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(changes.len(), 1);
    let changes: Value = serde_json::from_str(&changes[0]).unwrap();
    assert_eq!(changes["value"], json!({ "before": "14", "after": "15" }));
    // Importing the same value again replaces it, audited the same way.
    let r = import(
        app,
        c.municipality,
        "区,評価指標,期間,値\r\n北区,在宅看取り率,2026,17\r\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let updates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'indicator_value' AND action = 'update'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(updates, 2);

    // The export reads back the same values (UTF-8 with BOM).
    let resp = app
        .client
        .get(app.url(&format!(
            "/municipalities/{}/indicator-values.csv",
            c.municipality
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(text.contains("北区,在宅看取り率,令和8年度,17,%"), "{text}");
    let r = import(app, c.municipality, &text).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["imported"], 7);
    assert_eq!(app.count("indicator_values").await, 7);
}

#[tokio::test]
async fn a_csv_with_one_bad_row_imports_nothing_and_names_the_cell() {
    let c = city().await;
    let app = &c.app;
    indicator(&c, "在宅看取り率").await;
    let csv =
        "区,評価指標,期間,値\r\n北区,在宅看取り率,2024,12\r\n都島区,在宅看取り率,2024,十二\r\n";
    let r = import(app, c.municipality, csv).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["3行目「値」"]);
    assert_eq!(app.count("indicator_values").await, 0);

    let csv = "区,評価指標,期間,値\r\n中央区,在宅看取り率,2024,12\r\n北区,在宅看取り率,2024H1,3\r\n北区,ない指標,2024,3\r\n";
    let r = import(app, c.municipality, csv).await;
    assert_problem(&r, 422);
    assert_eq!(
        error_fields(&r),
        ["2行目「区」", "3行目「期間」", "4行目「評価指標」"]
    );
    assert!(r.text.contains("年度ごと"), "{}", r.text);
    assert_eq!(app.count("indicator_values").await, 0);
}

#[tokio::test]
async fn a_period_not_of_the_indicators_frequency_is_refused() {
    let c = city().await;
    let app = &c.app;
    let id = indicator(&c, "在宅看取り率").await;
    let r = put(
        app,
        id,
        json!([
            { "ward_id": c.kita, "period": "2025", "value": "1" },
            { "ward_id": c.kita, "period": "2025H1", "value": "1" },
        ]),
    )
    .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["values[1].period"]);
    assert_eq!(app.count("indicator_values").await, 0);
    // Nor may the frequency change under recorded values.
    put(
        app,
        id,
        json!([{ "ward_id": c.kita, "period": "2025", "value": "1" }]),
    )
    .await;
    let r = app
        .patch(
            &format!("/api/indicators/{id}"),
            json!({ "frequency": "半期" }),
        )
        .await;
    assert_problem(&r, 409);
}

#[tokio::test]
async fn members_cannot_change_indicators_and_secretariats_record_only_their_own_ward() {
    let c = city().await;
    let app = &c.app;
    let m = c.municipality;
    let id = indicator(&c, "在宅看取り率").await;
    let member = token(app, "member@example.jp", Role::Member, m, Some(c.kita)).await;
    let secretariat = token(app, "sec@example.jp", Role::Secretariat, m, Some(c.kita)).await;
    let city = token(app, "city@example.jp", Role::City, m, None).await;

    let create = |t: String| async move {
        as_token(
            app,
            &t,
            Method::POST,
            &format!("/api/municipalities/{m}/indicators"),
            new_indicator("別の指標"),
        )
        .await
    };
    assert_problem(&create(member.clone()).await, 403);
    assert_problem(&create(secretariat.clone()).await, 403);
    assert_eq!(create(city.clone()).await.status, StatusCode::CREATED);
    let patch = as_token(
        app,
        &member,
        Method::PATCH,
        &format!("/api/indicators/{id}"),
        json!({ "unit": "件" }),
    )
    .await;
    assert_problem(&patch, 403);
    let own = json!([{ "ward_id": c.kita, "period": "2025", "value": "3" }]);
    let path = format!("/api/indicators/{id}/values");
    assert_problem(
        &as_token(app, &member, Method::PUT, &path, own.clone()).await,
        403,
    );
    // The ward's secretariat: its own ward yes, another ward or the city
    // as a whole no; nothing of a refused request is written.
    let r = as_token(app, &secretariat, Method::PUT, &path, own).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let other = json!([
        { "ward_id": c.kita, "period": "2026", "value": "4" },
        { "ward_id": c.miyakojima, "period": "2026", "value": "4" },
    ]);
    let r = as_token(app, &secretariat, Method::PUT, &path, other).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["values[1].ward_id"]);
    let whole = json!([{ "ward_id": null, "period": "2026", "value": "4" }]);
    assert_problem(
        &as_token(app, &secretariat, Method::PUT, &path, whole.clone()).await,
        403,
    );
    assert_eq!(app.count("indicator_values").await, 1);
    // The city records every ward's and the municipality's.
    let r = as_token(
        app,
        &city,
        Method::PUT,
        &path,
        json!([
            { "ward_id": c.miyakojima, "period": "2025", "value": "5" },
            { "ward_id": null, "period": "2025", "value": "8" },
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A ward's accounts see their ward's and the city-wide values only.
    let r = as_token(app, &member, Method::GET, &path, Value::Null).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let seen: Vec<String> = triples(&r).into_iter().map(|t| t.0).collect();
    assert_eq!(seen, ["市全体", "北区"]);

    // Another municipality's accounts: as if it did not exist.
    let sakai = app.municipality_with_wards("堺市", &["堺区"]).await[0];
    let sakai_city = app.municipality_of(sakai).await;
    let stranger = token(app, "sakai@example.jp", Role::City, sakai_city, None).await;
    for (method, p, body) in [
        (Method::GET, format!("/api/indicators/{id}"), Value::Null),
        (Method::PUT, path.clone(), json!([])),
        (
            Method::GET,
            format!("/api/municipalities/{m}/indicators"),
            Value::Null,
        ),
    ] {
        assert_problem(&as_token(app, &stranger, method, &p, body).await, 404);
    }
    // A ward of another municipality in the body (the operator reaches it):
    // refused, nothing written.
    let r = put(
        app,
        id,
        json!([{ "ward_id": sakai, "period": "2024", "value": "1" }]),
    )
    .await;
    assert_problem(&r, 422);
    assert_eq!(app.count("indicator_values").await, 3);
}

#[tokio::test]
async fn the_indicator_page_draws_the_values_as_a_chart_and_a_table() {
    let c = city().await;
    let app = &c.app;
    let id = indicator(&c, "在宅看取り率").await;
    put(
        app,
        id,
        json!([
            { "ward_id": c.kita, "period": "2024", "value": "12.5" },
            { "ward_id": c.kita, "period": "2025", "value": "14" },
            { "ward_id": c.miyakojima, "period": "2025", "value": "9.75" },
        ]),
    )
    .await;
    let (status, html) = app.page(&format!("/indicators/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("<title id=\"indicator-"), "{html}");
    assert!(html.contains("ベースライン 12.5%"), "{html}");
    assert!(html.contains("<table class=\"indicator-values\">"));
    assert!(html.contains("9.75") && html.contains("北区") && html.contains("令和7年度"));
    // The table's differences are exact: 14 − 12.5 = +1.5, 20 − 14 = 6.
    assert!(html.contains("+1.5") && html.contains(">+6<"), "{html}");

    // The list, by level, links the indicator.
    let (status, html) = app
        .page(&format!("/municipalities/{}/indicators", c.municipality))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/indicators/{id}")) && html.contains("アウトプット"));

    // The value form: a bad value is named beside its field, nothing stored.
    let r = app
        .post_form(
            &format!("/indicators/{id}/values"),
            &[
                ("ward", &c.kita.to_string()),
                ("period", "2026"),
                ("value", "abc"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"value-value-error\""), "{html}");
    assert_eq!(app.count("indicator_values").await, 3);
    let r = app
        .post_form(
            &format!("/indicators/{id}/values"),
            &[("ward", ""), ("period", "令和8年度"), ("value", "１１")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("indicator_values").await, 4);

    // The create form names a bad field beside it.
    let r = app
        .post_form(
            &format!("/municipalities/{}/indicators", c.municipality),
            &[
                ("name", ""),
                ("level", "アウトプット"),
                ("data_source", "KDB"),
                ("direction", "↓"),
                ("frequency", "半期"),
                ("target.value", "1,23"),
                ("target.period", "2026H2"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"new-name-error\"") && html.contains("id=\"new-target_value-error\""),
        "{html}"
    );
    // The edit form saves.
    let r = app
        .post_form(
            &format!("/indicators/{id}/edit"),
            &[
                ("name", "在宅看取り率"),
                ("level", "最終アウトカム"),
                ("unit", "%"),
                ("data_source", "KDB"),
                ("direction", "↑"),
                ("frequency", "年度"),
                ("scenes", "看取り"),
                ("scenes", "入退院支援"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let got = app.get(&format!("/api/indicators/{id}")).await;
    assert_eq!(got.body["level"], "最終アウトカム");
    assert_eq!(got.body["scenes"], json!(["入退院支援", "看取り"]));
    assert_eq!(got.body["baseline"], Value::Null);
}

#[tokio::test]
async fn a_wards_accounts_see_their_own_wards_values_and_its_secretariat_may_enter_them() {
    let c = city().await;
    let app = &c.app;
    let m = c.municipality;
    let id = indicator(&c, "在宅看取り率").await;
    put(
        app,
        id,
        json!([
            { "ward_id": c.kita, "period": "2025", "value": "13.5" },
            { "ward_id": c.miyakojima, "period": "2025", "value": "7.25" },
            { "ward_id": null, "period": "2025", "value": "10.5" },
        ]),
    )
    .await;
    let secretariat = token(app, "sec@example.jp", Role::Secretariat, m, Some(c.kita)).await;
    let member = token(app, "member@example.jp", Role::Member, m, Some(c.kita)).await;
    let (status, html) = app
        .page_as(&secretariat, &format!("/indicators/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("13.5") && html.contains("10.5"), "{html}");
    assert!(!html.contains("7.25") && !html.contains("都島区"), "{html}");
    assert!(html.contains("値を記録する"));
    // Its form offers its own ward only, not 市全体.
    assert!(html.contains(&format!("<option value=\"{}\"", c.kita)));
    assert!(!html.contains("<option value=\"\">市全体"));
    assert!(!html.contains(&format!("/indicators/{id}/edit")));
    let (status, html) = app.page_as(&member, &format!("/indicators/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("値を記録する"));
    let (_, list) = app
        .page_as(&member, &format!("/municipalities/{m}/indicators"))
        .await;
    assert!(!list.contains("評価指標を追加する") && !list.contains("取り込む</button>"));
    // The export carries what the reader sees.
    let csv = reqwest::Client::new()
        .get(app.url(&format!("/municipalities/{m}/indicator-values.csv")))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("北区") && !csv.contains("都島区"), "{csv}");
}

#[tokio::test]
async fn an_evaluation_keeps_each_linked_indicators_latest_value_by_the_one_rule_the_sheet_uses() {
    let c = city().await;
    let app = &c.app;
    let (kita, miyakojima) = (c.kita, c.miyakojima);
    let own_old = indicator(&c, "在宅看取り率").await;
    let city_only = indicator(&c, "訪問診療実施率").await;
    let both_kinds = indicator(&c, "退院調整率").await;
    let unmeasured = indicator(&c, "研修参加者数").await;
    // The ward's own value, though older, beats a later city-wide one.
    put(
        app,
        own_old,
        json!([
            { "ward_id": kita, "period": "2024", "value": "11" },
            { "ward_id": null, "period": "2026", "value": "19" },
        ]),
    )
    .await;
    // Without an own value the city-wide one counts; another ward's never.
    put(
        app,
        city_only,
        json!([
            { "ward_id": null, "period": "2025", "value": "25" },
            { "ward_id": miyakojima, "period": "2026", "value": "26" },
        ]),
    )
    .await;
    put(
        app,
        both_kinds,
        json!([{ "ward_id": kita, "period": "2026", "value": "36" }]),
    )
    .await;
    // A half-year beside the fiscal year it starts (a frequency changed in
    // the past; the API no longer takes both kinds): the half-year wins.
    for (period, value) in [("2026H1", "361"), ("2025H2", "352")] {
        sqlx::query(
            "INSERT INTO indicator_values (indicator_id, municipality_id, ward_id, period, value, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(both_kinds)
        .bind(c.municipality)
        .bind(kita)
        .bind(period)
        .bind(value)
        .bind(NOW)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    let expected = [
        (own_old, "在宅看取り率", "2024", "11", false),
        (city_only, "訪問診療実施率", "2025", "25", true),
        (both_kinds, "退院調整率", "2026H1", "361", false),
    ];

    let owner = app.member(kita, "在宅 花子").await;
    let r = app
        .post(
            &format!("/api/wards/{kita}/countermeasures"),
            json!({ "topic": 3, "title": "指標で測る対応策",
                    "indicator_ids": [unmeasured, both_kinds, city_only, own_old] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cm = r.body["id"].as_i64().unwrap();
    for step in [
        json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2027-03-31" }),
        json!({ "to": "評価改善", "evaluation": "実施した", "improvement": "広げる",
                "verdict": "一部達成", "verdict_reason": "一部の病院のみ" }),
    ] {
        let r = app.transition(cm, step).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = app.get(&format!("/api/countermeasures/{cm}/history")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let kept = &r.body["items"].as_array().unwrap().last().unwrap()["indicator_values"];
    // One per measured indicator, in the countermeasure's (id) order.
    assert_eq!(
        kept,
        &Value::Array(
            expected
                .iter()
                .map(|(id, name, period, value, city_wide)| json!({
                    "indicator_id": id, "name": name, "unit": "%", "period": period,
                    "value": value, "city_wide": city_wide }))
                .collect()
        )
    );

    // The ward's PDCA sheet shows the same values.
    let r = app.get(&format!("/api/wards/{kita}/pdca")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let lines = r.body["indicators"].as_array().unwrap();
    let latest = |id: i64| {
        lines
            .iter()
            .find(|l| l["id"] == id)
            .map(|l| l["latest"].clone())
            .unwrap()
    };
    for (id, _, period, value, city_wide) in expected {
        assert_eq!(
            latest(id),
            json!({ "period": period, "value": value, "city_wide": city_wide }),
            "{id}"
        );
    }
    assert!(latest(unmeasured).is_null());
}
