//! The half-year report (資料1) built from 24 wards' answers consistent
//! with the seed: the figures it prints, its charts and their CSV.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{AFTER_2017H1, TestApp, seed_answers};

async fn spawn() -> TestApp {
    TestApp::spawn_at(AFTER_2017H1.parse().unwrap(), false).await
}

/// A report's chart by id.
pub fn chart<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no chart {id}"))
}

#[tokio::test]
async fn the_report_reproduces_the_seed_figures_in_json() {
    let app = spawn().await;
    let wards = app.seed_2017h1().await;
    // Meetings of the period give (イ)'s 会議の内容; one after it does not count.
    app.meeting(wards[0], "2017-06-01", &[1, 2, 6]).await;
    app.meeting(wards[1], "2017-09-30", &[1]).await;
    app.meeting(wards[2], "2017-10-01", &[1]).await;

    let r = app.get("/api/report/2017H1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rep = &r.body;
    assert_eq!(rep["n"], 24);
    assert_eq!(rep["period_label"], "平成29年度上半期");
    assert_eq!(rep["range_label"], "平成29年4月～9月");

    // (カ): 実施 22区, the organisers and the reasons as printed.
    assert_eq!(rep["training"]["held"], 22);
    assert_eq!(
        rep["training"]["organizer_lines"],
        json!([
            "区役所 17区",
            "医師会 13区",
            "歯科医師会 10区",
            "薬剤師会、相談支援室、CM連絡会 各 8区"
        ])
    );
    let reasons: Vec<(String, i64)> = rep["training"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["label"].as_str().unwrap().to_string(),
                c["wards"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(reasons.contains(&("実施方法がわからない".into(), 1)));
    assert!(reasons.contains(&("他の業務取組み優先".into(), 1)));
    assert!(reasons.contains(&("下半期に実施予定".into(), 4)));
    let sessions = chart(rep, "ka-sessions");
    assert_eq!(
        sessions["levels"],
        json!(["0回", "1回", "2回", "3回", "5回", "8回"])
    );
    assert_eq!(sessions["rows"][0]["counts"], json!([6, 8, 5, 3, 1, 1]));

    // (キ): 22 wards plan it, two plan neither item 2 nor 3, and why.
    assert_eq!(rep["awareness"]["planned"], 22);
    assert_eq!(rep["awareness"]["not_planned"], 2);
    assert_eq!(
        rep["awareness"]["reasons"][0]["label"],
        "他の業務取組み優先"
    );
    assert_eq!(rep["awareness"]["reasons"][0]["wards"], 2);

    // (オ): cohorts by opening month, the ratios and 件/月.
    let o = &rep["consultations"];
    assert_eq!(o["offices"], 22);
    assert_eq!(o["cohorts"][0]["label"], "H28.8月～開設の11区（A）");
    assert_eq!(o["cohorts"][1]["label"], "H29.4月～開設の11区（B）");
    assert_eq!(o["cohorts"][0]["total_requests"], 1167);
    assert_eq!(o["cohorts"][1]["total_requests"], 285);
    assert_eq!(o["request_ratio"], "4.1倍");
    assert_eq!(o["content_ratio"], "A/B：3.6倍");
    assert_eq!(o["per_office_month"], "1区あたり11件/月");
    // ④病院 then ⑥介護支援専門員 are the most frequent requesters.
    let requesters = chart(rep, "o-requesters");
    assert_eq!(requesters["rows"][3]["counts"], json!([440, 99]));
    assert_eq!(requesters["rows"][5]["counts"], json!([330, 77]));

    // (ウ)(エ) are over the 22 offices; relative plans carry real years.
    let u = chart(rep, "u-seamless");
    assert_eq!(u["n"], 22);
    assert_eq!(
        u["levels"],
        json!([
            "既に実施",
            "H29年度中に実施予定",
            "H30年度に実施予定",
            "未実施"
        ])
    );
    assert_eq!(u["rows"][1]["counts"][0], 6);
    assert_eq!(u["rows"][2]["counts"][0], 16);
    assert_eq!(chart(rep, "e-sharing")["n"], 22);

    // (ア) legend in the source's wording.
    assert_eq!(
        chart(rep, "a-maps")["levels"],
        json!(["平成29年以前作成済", "今後作成予定", "作成しない"])
    );
    assert_eq!(chart(rep, "a-maps")["rows"][1]["counts"], json!([7, 8, 9]));

    // (イ) derived from the meetings of the period only.
    let topics = chart(rep, "i-topics");
    assert_eq!(topics["rows"][0]["counts"], json!([2, 22]));
    assert_eq!(topics["rows"][5]["counts"], json!([1, 23]));
    let stages = chart(rep, "i-stages");
    assert_eq!(stages["rows"][0]["counts"], json!([24, 0, 0]));
    assert_eq!(
        stages["levels"][2],
        "対応策が実施され、評価及び改善を行っている"
    );

    // 【課題】 per section with the ward's name.
    let issues_a = &rep["issues"][0];
    assert_eq!(issues_a["section"], "ア");
    assert_eq!(issues_a["texts"][0]["ward"], "北区");
    assert_eq!(issues_a["texts"][1]["text"], "把握する目的の明確化");
    app.stop().await;
}

#[tokio::test]
async fn the_report_counts_only_submitted_wards_and_names_the_others() {
    let app = spawn().await;
    let wards = app.osaka().await;
    for (i, w) in wards.iter().enumerate().take(20) {
        app.submit_survey(*w, "2017H1", seed_answers(i)).await;
    }
    // A draft does not count.
    app.save_survey(wards[20], "2017H1", seed_answers(20)).await;
    let r = app.get("/api/report/2017H1").await;
    assert_eq!(r.body["n"], 20);
    assert_eq!(
        r.body["not_submitted"],
        json!(["住吉区", "東住吉区", "平野区", "西成区"])
    );
    // Another period is empty, not an error.
    let other = app.get("/api/report/2017H2").await;
    assert_eq!(other.body["n"], 0);
    assert_eq!(
        app.get("/api/report/2017H3").await.status,
        StatusCode::NOT_FOUND
    );
    let (status, html) = app.page("/report/2017H2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("N=0"));
    assert_eq!(app.page("/report/2017H9").await.0, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn the_html_report_shows_the_figures_charts_and_print_layout() {
    let app = spawn().await;
    let wards = app.seed_2017h1().await;
    let municipality: i64 = sqlx::query_scalar("SELECT municipality_id FROM wards WHERE id = $1")
        .bind(wards[0])
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/municipalities/{municipality}/surveys/2017H1/summaries"),
            Some(
                json!([{ "section": "イ", "text": "推進会議におけるPDCAの推進と対応策の具体化" }]),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The city's summaries page edits the same texts (here (カ)); (イ) stays.
    let form_path = format!("/city/{municipality}/surveys/2017H1/summaries");
    let (status, form) = app.page(&form_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("推進会議におけるPDCAの推進と対応策の具体化</textarea>"));
    let r = app
        .post_form(
            &form_path,
            &[
                ("issue1", "推進会議におけるPDCAの推進と対応策の具体化"),
                ("issue5", "多職種研修会や市民啓発の継続的な実施"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'survey_summary'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(audit, 2);

    let (status, html) = app
        .page(&format!("/report/2017H1?municipality_id={municipality}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "平成29年度上半期",
        "N=24",
        "実施（今年度実施予定も含む）　<strong>22区</strong>",
        "区役所 17区",
        "薬剤師会、相談支援室、CM連絡会 各 8区",
        "下半期に実施予定 4区",
        "2.３の両項目実施予定のない区　<strong>2区</strong>",
        "4.1倍多い",
        "A/B：3.6倍",
        "1区あたり11件/月",
        "H28.8月～開設の11区（A）",
        "H29年度中に実施予定",
        "H30年度に実施予定",
        "既に実施している",
        "現時点では未実施だが、実施に向けて準備している",
        "関係機関との連携・協力",
        "推進会議におけるPDCAの推進と対応策の具体化",
        "多職種研修会や市民啓発の継続的な実施",
        "市のまとめを編集",
        "<svg",
        "'Noto Sans JP','Hiragino Sans','Yu Gothic',sans-serif",
        "size: A4 portrait",
        "break-before: page",
        "/report/2017H1/csv/ka-sessions",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // Each stacked chart: an <svg> with a 0–100 % axis and counts with percentages.
    assert_eq!(html.matches("<svg").count(), 8, "stacked charts");
    assert!(html.contains(">100%</text>"));
    assert!(html.contains("既に実施している：14（58.3%）"));
    app.stop().await;
}

#[tokio::test]
async fn chart_csv_is_utf8_with_bom_or_shift_jis_for_excel() {
    let app = spawn().await;
    app.seed_2017h1().await;
    let (status, headers, body) = app.download("/report/2017H1/csv/ka-sessions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert_eq!(
        text,
        "項目,0回,1回,2回,3回,5回,8回,N\r\n研修会の実施回数,6,8,5,3,1,1,24\r\n"
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    assert!(
        disposition.contains("%E7%A0%94%E4%BF%AE"),
        "研修 in the name: {disposition}"
    );

    let (status, headers, body) = app
        .download("/report/2017H1/csv/u-seamless?encoding=sjis")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");
    assert!(std::str::from_utf8(&body).is_err(), "not UTF-8");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&body);
    assert!(!bad);
    assert!(text.starts_with("項目,既に実施,H29年度中に実施予定,H30年度に実施予定,未実施,N\r\n"));
    assert!(text.contains("2. 主治医・副主治医制の導入・推進に向けた取組,6,"));

    let (status, _, _) = app.download("/report/2017H1/csv/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .download("/report/2017H1/csv/a-maps?encoding=latin1")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn a_ward_sees_its_own_charts_from_its_draft_and_records() {
    let app = spawn().await;
    let wards = app.osaka().await;
    let w = wards[18];
    app.save_survey(w, "2017H1", seed_answers(18)).await;
    app.meeting(w, "2017-07-01", &[4]).await;

    let r = app
        .client
        .get(app.url(&format!("/wards/{w}/report")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/wards/{w}/report/2017H1").as_str()
    );
    let (status, html) = app.page(&format!("/wards/{w}/report/2017H1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("阿倍野区 集計グラフ（平成29年度上半期）"));
    assert!(html.contains("下書きを含む"));
    assert!(html.contains("実施方法がわからない 1区"));
    assert!(html.contains("あてはまる：1（100.0%）"), "topic 4 covered");
    // Its chart CSV, e.g. (イ)'s topics: 4 covered, the rest not.
    let (status, _, body) = app
        .download(&format!(
            "/wards/{w}/report/2017H1/csv/i-topics?encoding=sjis"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&body);
    assert!(!bad);
    assert!(
        text.contains("4. 切れ目のない在宅医療・介護連携の提供体制の構築について,1,0,1\r\n"),
        "{text}"
    );
    assert!(text.contains("1. 地域の医療・介護にかかわる資源の充足状況について,0,1,1\r\n"));
    // The city's report still has nobody (a draft is not submitted).
    assert_eq!(app.get("/api/report/2017H1").await.body["n"], 0);
    app.stop().await;
}

#[tokio::test]
async fn the_demo_report_for_the_last_completed_half_year_has_the_sample_answers() {
    let app = TestApp::spawn_with_demo().await;
    // NOW is in 2026H2: the last completed half-year is 2026H1.
    let r = app.get("/api/report/2026H1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // 22 wards submitted; 平野区 is drafting and 西成区 has not started.
    assert_eq!(r.body["n"], 22);
    assert_eq!(r.body["not_submitted"], json!(["平野区", "西成区"]));
    // The seed's figures carry over where the sample reaches them (22 wards).
    assert_eq!(r.body["training"]["held"], 20);
    let (status, html) = app.page("/report/2026H1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("N=22"), "{html}");
    assert!(html.contains("<svg"));
    app.stop().await;
}

#[tokio::test]
async fn the_ward_dashboard_shows_its_survey_state_and_its_report_holds_the_charts() {
    let app = spawn().await;
    let wards = app.osaka().await;
    let (w, other) = (wards[22], wards[0]);
    // Nothing answered yet.
    let (status, html) = app.page(&format!("/wards/{w}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("半期調査（平成29年度上半期）"), "{html}");
    assert!(
        html.contains("回答の状況：<strong>未回答</strong>"),
        "{html}"
    );
    // The survey's charts are on the report page, not on the dashboard.
    assert!(html.contains(&format!("/wards/{w}/report/2017H1")));
    assert!(!html.contains(r#"aria-labelledby="i-topics-title""#));

    // 平野区's draft (no 相談支援室) and one meeting.
    app.save_survey(w, "2017H1", seed_answers(22)).await;
    app.save_survey(other, "2017H1", seed_answers(0)).await;
    app.meeting(w, "2017-07-01", &[4]).await;
    let (status, html) = app.page(&format!("/wards/{w}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("回答の状況：<strong>下書き</strong>"),
        "{html}"
    );
    assert!(!html.contains(r#"aria-labelledby="i-topics-title""#));
    // The ward's report page: its answers alone (N=1), with CSVs.
    let (_, report) = app.page(&format!("/wards/{w}/report/2017H1")).await;
    for id in ["a-maps", "i-topics", "ka-sessions", "ki-awareness"] {
        assert!(
            report.contains(&format!(r#"aria-labelledby="{id}-title""#)),
            "{id}"
        );
    }
    assert!(report.contains("（N=1）"));
    assert!(
        report.contains("あてはまる：1（100.0%）"),
        "topic 4 covered"
    );
    assert!(report.contains(&format!(
        "/wards/{w}/report/2017H1/csv/ka-sessions?encoding=sjis"
    )));
    app.stop().await;
}
