//! 相談の内訳（区と市の比較）: shares of a ward against the city's pooled
//! counts, low shares flagged, 件/月 per half-year, on answers saved through
//! the API. Today is 2026-11-24, so the default half-year is 2026H1.
//!
//! 大阪市 2026H1: 北区 submitted (office open all six months; requesters
//! ①10 ②1 ③1 ④8 = 20, contents 30/20/5/3/2 = 60), 都島区 submitted (opened
//! 2026-07-01: three months; requesters ①10 ②9 ③9 ④2 = 30, contents
//! 10/10/0/0/1 = 21), 福島区 a draft (②50), 此花区 nothing; 堺市's 堺区
//! submitted (②100). City pool: ①20 ②10 ③10 ④10 = 50 (40/20/20/20 %),
//! contents 40/30/5/3/3 = 81 over 9 months = 9件/月. 北区 2025H1: contents
//! 15 over 6 months = 2.5 → 3件/月 (Excel's ROUND); 2025H2: no survey.

use renkei::accounts::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, assert_problem, create_account_token, error_fields};

/// Complete answers for `period` with one office opened on `opened_on`
/// whose (オ) counts are `requesters` and `contents`, all in its first month.
fn answers(period: &str, opened_on: &str, requesters: &[i64], contents: &[i64]) -> Value {
    let p = renkei::calendar::Period::parse(period).unwrap();
    let mut a = renkei::survey::sample::answers(0, p);
    let mut by_requester = vec![0i64; 13];
    by_requester[..requesters.len()].copy_from_slice(requesters);
    let month = renkei::survey::period_months(p)[0];
    a["office"]["opened_on"] = json!(opened_on);
    a["office"]["consultations"] = json!([{
        "month": month,
        "by_requester": by_requester,
        "by_content": contents,
    }]);
    a
}

struct Fixture {
    app: TestApp,
    kita: i64,
    miyakojima: i64,
    fukushima: i64,
    konohana: i64,
    osaka: i64,
    sakai_city: i64,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let cities = app
        .two_cities(&["北区", "都島区", "福島区", "此花区"])
        .await;
    let (w, sakai) = (&cities.wards, cities.sakai);
    app.submit_survey(
        w[0],
        "2026H1",
        answers("2026H1", "2016-08-01", &[10, 1, 1, 8], &[30, 20, 5, 3, 2]),
    )
    .await;
    app.submit_survey(
        w[1],
        "2026H1",
        answers("2026H1", "2026-07-01", &[10, 9, 9, 2], &[10, 10, 0, 0, 1]),
    )
    .await;
    app.save_survey(
        w[2],
        "2026H1",
        answers("2026H1", "2016-08-01", &[0, 50], &[50, 0, 0, 0, 0]),
    )
    .await;
    app.submit_survey(
        sakai,
        "2026H1",
        answers("2026H1", "2016-08-01", &[0, 100], &[100, 0, 0, 0, 0]),
    )
    .await;
    app.submit_survey(
        w[0],
        "2025H1",
        answers("2025H1", "2016-08-01", &[5, 5, 5], &[10, 5, 0, 0, 0]),
    )
    .await;
    Fixture {
        app,
        kita: w[0],
        miyakojima: w[1],
        fukushima: w[2],
        konohana: w[3],
        osaka: cities.osaka,
        sakai_city: cities.sakai_city,
    }
}

async fn ward(app: &TestApp, ward: i64, query: &str) -> Value {
    let r = app
        .get(&format!("/api/wards/{ward}/consultations{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// (label, ward count, ward share, city count, city share, low) of a list.
fn lines(body: &Value, key: &str) -> Vec<(String, Value, Value, i64, Value, bool)> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["label"].as_str().unwrap().to_string(),
                l["ward_count"].clone(),
                l["ward_share"].clone(),
                l["city_count"].as_i64().unwrap(),
                l["city_share"].clone(),
                l["low"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn line(
    label: &str,
    ward: i64,
    ward_share: &str,
    city: i64,
    city_share: &str,
    low: bool,
) -> (String, Value, Value, i64, Value, bool) {
    (
        label.into(),
        json!(ward),
        json!(ward_share),
        city,
        json!(city_share),
        low,
    )
}

#[tokio::test]
async fn a_wards_shares_stand_against_the_citys_pooled_counts_with_low_ones_flagged() {
    let f = fixture().await;
    let c = ward(&f.app, f.kita, "").await;
    assert_eq!(c["period"], "2026H1");
    assert_eq!(c["answer"], "提出済");
    assert_eq!(
        (c["requests_total"].clone(), c["contents_total"].clone()),
        (json!(20), json!(60))
    );
    // Submitted surveys of 大阪市 only: not 福島区's draft, not 堺区.
    assert_eq!(c["city"]["offices"], 2);
    assert_eq!(c["city"]["requests_total"], 50);
    assert_eq!(c["city"]["contents_total"], 81);
    assert_eq!(c["city"]["months"], 9);
    assert_eq!(c["city"]["per_month"], "9件/月");
    let r = lines(&c, "requesters");
    assert_eq!(r.len(), 13);
    assert_eq!(r[0], line("①医科", 10, "50.0", 20, "40.0", false));
    assert_eq!(r[1], line("②歯科", 1, "5.0", 10, "20.0", true));
    assert_eq!(r[2], line("③薬局・薬剤師", 1, "5.0", 10, "20.0", true));
    assert_eq!(
        r[3],
        line("④病院（地域連携相談室）", 8, "40.0", 10, "20.0", false)
    );
    // Nothing in the city: a share of 0.0 %, never judged low.
    assert_eq!(r[4], line("⑤訪問看護", 0, "0.0", 0, "0.0", false));
    assert_eq!(c["requesters"][0]["group"], "医療関係");
    assert_eq!(c["requesters"][5]["group"], "介護関係");
    assert_eq!(c["requesters"][12]["group"], Value::Null);
    let k = lines(&c, "contents");
    assert_eq!(
        k[0],
        line("医療に関すること", 30, "50.0", 40, "49.4", false)
    );
    assert_eq!(
        k[1],
        line("介護に関すること", 20, "33.3", 30, "37.0", false)
    );
    assert_eq!(
        k[2],
        line("退院支援に関すること", 5, "8.3", 5, "6.2", false)
    );
    assert_eq!(k[4], line("その他", 2, "3.3", 3, "3.7", false));
    assert!(c["low_rule"].as_str().unwrap().contains("半分未満"));

    // 都島区 opened in July: ④ is low (6.7 % against 20.0 %).
    let c = ward(&f.app, f.miyakojima, "?period=2026H1").await;
    let r = lines(&c, "requesters");
    assert_eq!(r[1], line("②歯科", 9, "30.0", 10, "20.0", false));
    assert_eq!(
        r[3],
        line("④病院（地域連携相談室）", 2, "6.7", 10, "20.0", true)
    );
    assert_eq!(c["trend"][5]["per_month"], "7件/月");
    assert_eq!(c["trend"][5]["months"], 3);
}

#[tokio::test]
async fn a_half_year_without_a_survey_is_unanswered_not_zero_and_drafts_count_for_the_ward_only() {
    let f = fixture().await;
    let c = ward(&f.app, f.kita, "?halves=3").await;
    let trend: Vec<(Value, Value, Value, Value, Value)> = c["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period"].clone(),
                p["answer"].clone(),
                p["contents"].clone(),
                p["per_month"].clone(),
                p["city_per_month"].clone(),
            )
        })
        .collect();
    assert_eq!(
        trend,
        [
            // 15 over 6 months = 2.5: Excel's ROUND gives 3.
            (
                json!("2025H1"),
                json!("提出済"),
                json!(15),
                json!("3件/月"),
                json!("3件/月")
            ),
            (
                json!("2025H2"),
                json!("未回答"),
                Value::Null,
                Value::Null,
                Value::Null
            ),
            (
                json!("2026H1"),
                json!("提出済"),
                json!(60),
                json!("10件/月"),
                json!("9件/月")
            ),
        ]
    );
    // 此花区 answered nothing: no figure and nothing flagged.
    let c = ward(&f.app, f.konohana, "").await;
    assert_eq!(c["answer"], "未回答");
    assert_eq!(c["requests_total"], Value::Null);
    assert_eq!(c["requesters"][1]["ward_count"], Value::Null);
    assert_eq!(c["requesters"][1]["ward_share"], Value::Null);
    assert_eq!(c["requesters"][1]["low"], false);
    assert_eq!(c["requesters"][1]["city_share"], "20.0");
    // 福島区's draft counts for itself (as its own charts do), not for the city.
    let c = ward(&f.app, f.fukushima, "").await;
    assert_eq!(c["answer"], "下書き");
    assert_eq!(c["requesters"][1]["ward_count"], 50);
    assert_eq!(c["requesters"][1]["ward_share"], "100.0");
    assert_eq!(c["city"]["offices"], 2);
    assert_eq!(c["requesters"][1]["city_count"], 10);
}

#[tokio::test]
async fn the_running_half_year_divides_by_the_months_begun_so_far() {
    let f = fixture().await;
    f.app
        .save_survey(
            f.kita,
            "2026H2",
            answers("2026H2", "2016-08-01", &[20], &[20, 0, 0, 0, 0]),
        )
        .await;
    let c = ward(&f.app, f.kita, "?period=2026H2&halves=1").await;
    // October and November have begun on 2026-11-24: 20 over 2 months.
    assert_eq!(c["trend"][0]["months"], 2);
    assert_eq!(c["trend"][0]["per_month"], "10件/月");
    assert_eq!(c["trend"][0]["answer"], "下書き");
    assert_eq!(c["city"]["offices"], 0);
    assert_eq!(c["trend"][0]["city_per_month"], Value::Null);
}

#[tokio::test]
async fn the_city_sees_its_wards_side_by_side_and_others_are_refused() {
    let f = fixture().await;
    let r = f
        .app
        .get(&format!(
            "/api/municipalities/{}/consultations?period=2026H1",
            f.osaka
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = r.body;
    let wards: Vec<(Value, Value, Value, Value)> = c["wards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["ward_name"].clone(),
                w["answer"].clone(),
                w["per_month"].clone(),
                w["low"].clone(),
            )
        })
        .collect();
    assert_eq!(
        wards,
        [
            (
                json!("北区"),
                json!("提出済"),
                json!("10件/月"),
                json!(["②歯科", "③薬局・薬剤師"])
            ),
            (
                json!("都島区"),
                json!("提出済"),
                json!("7件/月"),
                json!(["④病院（地域連携相談室）"])
            ),
            (
                json!("福島区"),
                json!("未提出（下書き）"),
                Value::Null,
                json!([])
            ),
            (json!("此花区"), json!("未回答"), Value::Null, json!([])),
        ]
    );
    assert_eq!(c["wards"][0]["by_requester"][3], 8);
    assert_eq!(c["wards"][2]["by_requester"], json!([]));
    assert_eq!(c["city"]["per_month"], "9件/月");
    assert_eq!(c["requester_shares"][0], "40.0");
    assert_eq!(c["content_shares"][0], "49.4");

    let now = NOW.parse().unwrap();
    let sakai = create_account_token(
        &f.app.db,
        "sakai@example.jp",
        Role::City,
        Some(f.sakai_city),
        None,
        now,
    )
    .await;
    let kita = create_account_token(
        &f.app.db,
        "kita@example.jp",
        Role::Secretariat,
        Some(f.osaka),
        Some(f.kita),
        now,
    )
    .await;
    let status = |token: &str, path: String| {
        let (app, token) = (&f.app, token.to_string());
        async move { app.status_as(&token, &path).await }
    };
    let city_api = format!("/api/municipalities/{}/consultations", f.osaka);
    assert_eq!(
        status(&sakai, city_api.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(&kita, city_api).await, StatusCode::FORBIDDEN);
    for path in [
        format!("/city/{}/consultations", f.osaka),
        format!("/city/{}/consultations.csv", f.osaka),
    ] {
        assert_eq!(
            status(&sakai, path.clone()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            status(&kita, path.clone()).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    for path in [
        format!("/api/wards/{}/consultations", f.kita),
        format!("/wards/{}/consultations", f.kita),
        format!("/wards/{}/consultations.csv", f.kita),
        format!("/wards/{}/consultations-trend.csv", f.kita),
    ] {
        assert_eq!(
            status(&sakai, path.clone()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(status(&kita, path.clone()).await, StatusCode::OK, "{path}");
    }
    assert_eq!(
        status(&kita, format!("/api/wards/{}/consultations", f.miyakojima)).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_parameters_answer_japanese_problems() {
    let f = fixture().await;
    for (path, field) in [
        (
            format!("/api/wards/{}/consultations?period=2026H9", f.kita),
            "period",
        ),
        (
            format!("/api/wards/{}/consultations?period=2027H1", f.kita),
            "period",
        ),
        (
            format!("/api/wards/{}/consultations?halves=20", f.kita),
            "halves",
        ),
        (
            format!("/api/municipalities/{}/consultations?period=H1", f.osaka),
            "period",
        ),
    ] {
        let r = f.app.get(&path).await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), [field], "{path}");
    }
    let (status, page) = f
        .app
        .page(&format!("/wards/{}/consultations?period=abc", f.kita))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("期間は「2026H1」のように"), "{page}");
    let (status, _, _) = f
        .app
        .download(&format!("/city/{}/consultations.csv?period=abc", f.osaka))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_csv_files_carry_the_same_figures_for_excel() {
    let f = fixture().await;
    let csv = |path: String| {
        let app = &f.app;
        async move {
            let (status, headers, bytes) = app.download(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
            String::from_utf8(bytes)
                .unwrap()
                .trim_start_matches('\u{feff}')
                .to_string()
        }
    };
    let text = csv(format!("/wards/{}/consultations.csv?period=2026H1", f.kita)).await;
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "区,期間,回答,区分,項目,この区（件）,この区の割合（%）,市全体（件）,市全体の割合（%）,低い"
    );
    assert_eq!(
        lines[2],
        "北区,令和8年度上半期,提出済,相談者別,②歯科,1,5.0,10,20.0,低い"
    );
    assert_eq!(
        lines[14],
        "北区,令和8年度上半期,提出済,相談内容別,医療に関すること,30,50.0,40,49.4,"
    );
    let text = csv(format!(
        "/wards/{}/consultations-trend.csv?halves=3",
        f.kita
    ))
    .await;
    assert!(
        text.contains("北区,2025H2,令和7年度下半期,未回答,,,,,0\r\n"),
        "{text}"
    );
    assert!(
        text.contains("北区,2025H1,令和7年度上半期,提出済,15,6,3件/月,3件/月,1\r\n"),
        "{text}"
    );
    let text = csv(format!("/city/{}/consultations.csv", f.osaka)).await;
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with("区,回答,①医科,②歯科,"), "{text}");
    assert_eq!(
        lines[1],
        "北区,提出済,10,1,1,8,0,0,0,0,0,0,0,0,0,20,30,20,5,3,2,60,6,10件/月,②歯科・③薬局・薬剤師"
    );
    assert_eq!(
        lines[3],
        format!("福島区,未提出（下書き）{}", ",".repeat(23))
    );
    assert_eq!(
        lines[5],
        "市全体,提出済 2区,20,10,10,10,0,0,0,0,0,0,0,0,0,50,40,30,5,3,3,81,9,9件/月,"
    );
    let (status, headers, bytes) = f
        .app
        .download(&format!(
            "/wards/{}/consultations.csv?encoding=sjis",
            f.kita
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad && decoded.contains("②歯科"), "{decoded}");
}

#[tokio::test]
async fn the_pages_show_the_rule_the_tables_and_the_chart() {
    let f = fixture().await;
    let (status, page) = f
        .app
        .page(&format!("/wards/{}/consultations?halves=3", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("半分未満"), "{page}");
    assert!(page.contains("<desc id=\"consultation-rate-desc\">"));
    assert!(page.contains(">未回答</text>"), "{page}");
    assert!(page.contains("<td class=\"warn\">低い</td>"));
    let (status, page) = f
        .app
        .page(&format!("/city/{}/consultations", f.osaka))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("②歯科、③薬局・薬剤師"), "{page}");
    assert!(page.contains("未提出（下書き）"));
}

/// The dashboard's compact form: the half-year that ended last, ②歯科 and
/// ③薬局・薬剤師 and any other low requester, and the trend.
#[tokio::test]
async fn the_compact_form_for_the_dashboard_shows_dentists_pharmacies_and_low_shares() {
    let f = fixture().await;
    let today = crate::support::today();
    let compact = |ward: i64| {
        let (db, scope) = (
            &f.app.db,
            renkei::access::operator().ward_read(ward, f.osaka),
        );
        async move {
            renkei::consultations::store::compact_for_ward(db, &scope, 3, today)
                .await
                .unwrap()
        }
    };
    let c = compact(f.kita).await;
    assert_eq!(c.period_label, "令和8年度上半期");
    let labels: Vec<(&str, bool)> = c.lines.iter().map(|l| (l.label.as_str(), l.low)).collect();
    assert_eq!(labels, [("②歯科", true), ("③薬局・薬剤師", true)]);
    assert_eq!(c.trend.len(), 3);
    assert_eq!(c.trend[1].answer, "未回答");
    let c = compact(f.miyakojima).await;
    let labels: Vec<(&str, bool)> = c.lines.iter().map(|l| (l.label.as_str(), l.low)).collect();
    assert_eq!(
        labels,
        [
            ("②歯科", false),
            ("③薬局・薬剤師", false),
            ("④病院（地域連携相談室）", true)
        ]
    );
}
