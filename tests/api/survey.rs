//! The half-year survey: drafts, submission, the city's reopening and
//! its list of missing wards, and (イ) derived from the ward's records.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{AFTER_2017H1, TestApp, assert_problem, error_fields, seed_answers};

#[tokio::test]
async fn a_survey_is_drafted_submitted_reopened_and_audited() {
    let app = TestApp::spawn_at(AFTER_2017H1.parse().unwrap(), false).await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let path = format!("/api/wards/{}/surveys/2017H1", wards[0]);

    // Nothing saved yet: a blank draft for the period.
    let blank = app.get(&path).await;
    assert_eq!(blank.status, StatusCode::OK, "{}", blank.text);
    assert_eq!(blank.body["status"], "下書き");
    assert_eq!(blank.body["period_label"], "平成29年度上半期");
    assert_eq!(blank.body["derived"].as_array().unwrap().len(), 10);

    // A partial draft is fine; submitting it is not, and says what is missing.
    app.save_survey(
        wards[0],
        "2017H1",
        json!({ "maps": { "professional": "作成済" } }),
    )
    .await;
    let refused = app.post(&format!("{path}/submit"), json!({})).await;
    assert_problem(&refused, 422);
    let fields = error_fields(&refused);
    assert!(fields.contains(&"maps.public".to_string()), "{fields:?}");
    assert!(fields.contains(&"meeting_steps".to_string()), "{fields:?}");

    let audit_before = app.count("audit_log").await;
    app.submit_survey(wards[0], "2017H1", seed_answers(0)).await;
    assert_eq!(
        app.count("audit_log").await,
        audit_before + 2,
        "draft + submit"
    );
    let got = app.get(&path).await;
    assert_eq!(got.body["status"], "提出済");
    assert_eq!(got.body["answers"]["training"]["sessions"], 1);
    assert!(
        got.body["submitted_at"]
            .as_str()
            .unwrap()
            .starts_with("2017-10-05")
    );

    // Closed to edits until the city reopens it.
    let locked = app.request(Method::PUT, &path, Some(seed_answers(1))).await;
    assert_problem(&locked, 409);
    assert_problem(&app.post(&format!("{path}/submit"), json!({})).await, 409);

    // The city sees who has not submitted.
    let statuses = app.get("/api/surveys/2017H1/statuses").await;
    assert_eq!(statuses.body["not_submitted"], json!(["都島区"]));
    assert_eq!(statuses.body["items"][1]["status"], "未着手");

    let reopened = app.post(&format!("{path}/reopen"), json!({})).await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text);
    assert_eq!(reopened.body["status"], "下書き");
    assert_eq!(
        app.get("/api/surveys/2017H1/statuses").await.body["not_submitted"],
        json!(["北区", "都島区"])
    );
    app.save_survey(wards[0], "2017H1", seed_answers(1)).await;
    // Reopening a draft is refused.
    assert_problem(&app.post(&format!("{path}/reopen"), json!({})).await, 409);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity = 'survey' ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["create", "update", "submit", "reopen", "update"]);
    app.stop().await;
}

#[tokio::test]
async fn periods_and_wards_that_do_not_exist_are_404_and_bad_answers_422() {
    let app = TestApp::spawn_at(AFTER_2017H1.parse().unwrap(), false).await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    for bad in ["2017H3", "H1", "2017"] {
        let r = app
            .get(&format!("/api/wards/{}/surveys/{bad}", wards[0]))
            .await;
        assert_problem(&r, 404);
    }
    assert_problem(&app.get("/api/wards/999/surveys/2017H1").await, 404);

    let mut answers = seed_answers(0);
    answers["meeting_steps"] = json!(["既に実施"]);
    answers["office"]["consultations"][0]["month"] = json!(10);
    let before = app.counts().await;
    let r = app
        .request(
            Method::PUT,
            &format!("/api/wards/{}/surveys/2017H1", wards[0]),
            Some(answers),
        )
        .await;
    assert_problem(&r, 422);
    let fields = error_fields(&r);
    assert!(fields.contains(&"meeting_steps".to_string()));
    assert!(
        fields.contains(&"office.consultations[0]".to_string()),
        "{fields:?}"
    );
    assert_eq!(app.counts().await, before, "nothing written");
    assert_eq!(app.count("surveys").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn topics_and_stages_of_i_are_derived_from_the_records_of_the_period() {
    // 2017-09-20: inside 平成29年度上半期.
    let app = TestApp::spawn_at("2017-09-20T03:00:00Z".parse().unwrap(), false).await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let w = wards[0];
    let owner = app.member(w, "委員 一郎").await;
    app.meeting(w, "2017-05-10", &[3, 7]).await;
    app.meeting(w, "2017-03-31", &[1]).await; // the previous half-year
    app.meeting(wards[1], "2017-06-01", &[2]).await; // another ward

    // Topic 3: one countermeasure planned, one still open → 具体化.
    app.planned_countermeasure(w, 3, owner, "2017-12-01").await;
    app.countermeasure(w, 3, "まだ具体化していない対応策").await;
    // Topic 5: planned, then stepped back (re-plan) → 未具体化 at the end.
    let back = app.planned_countermeasure(w, 5, owner, "2017-12-01").await;
    let r = app
        .transition(back, json!({ "to": "未具体化", "note": "計画を見直す" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Topic 8: carried out and evaluated.
    let done = app.planned_countermeasure(w, 8, owner, "2017-09-01").await;
    let r = app
        .transition(
            done,
            json!({ "to": "評価改善", "evaluation": "参加者が増えた", "improvement": "回数を増やす", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let s = app.get(&format!("/api/wards/{w}/surveys/2017H1")).await;
    let derived = s.body["derived"].as_array().unwrap();
    let covered: Vec<i64> = derived
        .iter()
        .filter(|t| t["covered"] == true)
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    assert_eq!(covered, vec![3, 7]);
    assert_eq!(derived[2]["coverage_label"], "あてはまる");
    assert_eq!(derived[0]["coverage_label"], "あてはまらない");
    assert_eq!(derived[2]["stage"], "具体化");
    assert_eq!(derived[2]["stage_label"], "対応策が具体化されている");
    assert_eq!(derived[4]["stage"], "未具体化");
    assert_eq!(derived[7]["stage"], "評価改善");
    assert_eq!(derived[0]["stage"], "未具体化");

    // The half-year before: the 2017-03-31 meeting, and no countermeasure yet
    // (they were recorded on 2017-09-20).
    let prev = app.get(&format!("/api/wards/{w}/surveys/2016H2")).await;
    let prev = prev.body["derived"].as_array().unwrap();
    assert_eq!(prev[0]["covered"], true);
    assert_eq!(prev[2]["covered"], false);
    assert!(prev.iter().all(|t| t["stage"] == "未具体化"));

    // The report counts the derived figures of the submitted wards.
    app.submit_survey(w, "2017H1", seed_answers(0)).await;
    let rep = app.get("/api/report/2017H1").await;
    let stages = crate::report::chart(&rep.body, "i-stages");
    assert_eq!(stages["rows"][2]["counts"], json!([0, 1, 0]));
    assert_eq!(stages["rows"][7]["counts"], json!([0, 0, 1]));
    app.stop().await;
}

#[tokio::test]
async fn a_later_step_does_not_rewrite_the_stages_of_a_past_half_year() {
    // 2017-11-20: inside 平成29年度下半期; the steps of the first half-year
    // are back-dated into it.
    let app = TestApp::spawn_at("2017-11-20T03:00:00Z".parse().unwrap(), false).await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let w = wards[0];
    let owner = app.member(w, "委員 一郎").await;
    let step = |id: i64, body: serde_json::Value| {
        let app = &app;
        async move {
            let r = app.transition(id, body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    };
    // Topic 4: planned in the first half-year, evaluated in the second.
    let evaluated = app.countermeasure(w, 4, "研修会を開く").await;
    step(
        evaluated,
        json!({ "to": "具体化", "on": "2017-08-01", "owner_member_id": owner, "evaluation_due_on": "2017-11-01" }),
    )
    .await;
    step(
        evaluated,
        json!({ "to": "評価改善", "on": "2017-11-10", "evaluation": "参加者が増えた", "improvement": "回数を増やす", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
    )
    .await;
    // Topic 6: planned in the first half-year, re-planned in the second.
    let replanned = app.countermeasure(w, 6, "連絡票を作る").await;
    step(
        replanned,
        json!({ "to": "具体化", "on": "2017-07-01", "owner_member_id": owner, "evaluation_due_on": "2017-12-01" }),
    )
    .await;
    step(
        replanned,
        json!({ "to": "未具体化", "on": "2017-10-15", "note": "計画を見直す" }),
    )
    .await;
    // Topic 9: planned in the second half-year only.
    let later = app.countermeasure(w, 9, "相談窓口を周知する").await;
    step(
        later,
        json!({ "to": "具体化", "on": "2017-10-02", "owner_member_id": owner, "evaluation_due_on": "2018-03-01" }),
    )
    .await;

    let stages = |period: &'static str| {
        let app = &app;
        async move {
            let s = app.get(&format!("/api/wards/{w}/surveys/{period}")).await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.text);
            s.body["derived"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["stage"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let first = stages("2017H1").await;
    assert_eq!(
        (&*first[3], &*first[5], &*first[8]),
        ("具体化", "具体化", "未具体化")
    );
    let second = stages("2017H2").await;
    assert_eq!(
        (&*second[3], &*second[5], &*second[8]),
        ("評価改善", "未具体化", "具体化")
    );

    // The city's report over every ward reads the same.
    app.submit_survey(w, "2017H1", seed_answers(0)).await;
    let rep = app.get("/api/report/2017H1").await;
    let chart = crate::report::chart(&rep.body, "i-stages");
    assert_eq!(chart["rows"][3]["counts"], json!([0, 1, 0]));
    assert_eq!(chart["rows"][5]["counts"], json!([0, 1, 0]));
    assert_eq!(chart["rows"][8]["counts"], json!([1, 0, 0]));
    app.stop().await;
}

#[tokio::test]
async fn the_survey_form_saves_a_draft_shows_errors_beside_fields_and_submits() {
    let app = TestApp::spawn_at(AFTER_2017H1.parse().unwrap(), false).await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let w = wards[0];
    let path = format!("/wards/{w}/surveys/2017H1");

    // The dashboard links to the half-year just ended.
    let (_, dashboard) = app.page(&format!("/wards/{w}")).await;
    assert!(dashboard.contains(&format!("/wards/{w}/surveys")));
    let r = app
        .client
        .get(app.url(&format!("/wards/{w}/surveys")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], path.as_str());

    let (status, html) = app.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("H29年度中に実施予定") && html.contains("H30年度に実施予定"));
    assert!(html.contains("平成29年以前作成済"));
    assert!(
        html.contains(r#"<label for="maps_0">1. 関係者向けマップ</label>"#),
        "labelled selects"
    );

    // A draft with one answer and a count.
    let r = app
        .post_form(
            &path,
            &[
                ("action", "draft"),
                ("maps.0", "作成済"),
                ("has_office", "1"),
                ("office.opened_on", "2016-08-01"),
                ("o4r3", "12"),
                ("training.sessions", "2"),
                ("training.organizers", "区役所"),
                ("training.organizers", "医師会"),
                ("issue1", "区内病院の参画が少ない"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app.get(&format!("/api/wards/{w}/surveys/2017H1")).await;
    let a = &saved.body["answers"];
    assert_eq!(a["maps"]["professional"], "作成済");
    assert_eq!(a["office"]["consultations"][0]["month"], 4);
    assert_eq!(a["office"]["consultations"][0]["by_requester"][3], 12);
    assert_eq!(a["training"]["organizers"], json!(["区役所", "医師会"]));
    assert_eq!(
        a["issues"][0],
        json!({ "section": "イ", "text": "区内病院の参画が少ない" })
    );
    let (_, html) = app.page(&path).await;
    assert!(html.contains(r#"<option value="作成済" selected>"#));
    assert!(html.contains(r#"value="12""#));

    // Submitting an incomplete survey: 422, the messages beside their fields.
    let r = app
        .post_form(
            &path,
            &[
                ("action", "submit"),
                ("maps.0", "作成済"),
                ("o4r3", "x"),
                ("has_office", "1"),
                ("office.opened_on", "2016-08-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("（オ）4月 ④病院（地域連携相談室）の値が正しくありません"),
        "bad number"
    );
    // Readable but incomplete: the completeness messages sit beside their selects.
    let r = app
        .post_form(&path, &[("action", "submit"), ("maps.0", "作成済")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<p class="field-error" id="maps_1-error">（ア）市民向けマップの作成状況を選んでください</p>"#),
        "{html}"
    );
    assert!(html.contains(r#"aria-describedby="maps_1-error""#));
    assert_eq!(
        app.get(&format!("/api/wards/{w}/surveys/2017H1"))
            .await
            .body["status"],
        "下書き"
    );

    // The API fills it in; the form then submits it.
    app.save_survey(w, "2017H1", seed_answers(0)).await;
    let (_, html) = app.page(&path).await;
    let mut fields: Vec<(String, String)> = Vec::new();
    // Re-post what the page shows (selected options, filled inputs).
    for (name, value) in [("maps.0", "作成済"), ("maps.1", "作成済")] {
        fields.push((name.into(), value.into()));
    }
    for i in 0..5 {
        fields.push((format!("meeting_steps.{i}"), "既に実施".into()));
        fields.push((format!("office.sharing.{i}"), "既に実施".into()));
    }
    for i in 0..4 {
        fields.push((format!("office.seamless.{i}"), "未実施".into()));
    }
    for i in 0..3 {
        fields.push((format!("awareness.{i}"), "既に実施している".into()));
    }
    fields.extend([
        ("has_office".to_string(), "1".to_string()),
        ("office.opened_on".into(), "2016-08-01".into()),
        ("training.sessions".into(), "1".into()),
        ("action".into(), "submit".into()),
    ]);
    assert!(html.contains("既に実施"));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post_form(&path, &pairs).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, html) = app.page(&path).await;
    assert!(html.contains("この回答は提出済みです"));
    assert!(html.contains("<fieldset class=\"plain\" disabled>"));

    // The city's list, and its reopen button.
    let (_, list) = app.page("/surveys/2017H1").await;
    assert!(list.contains("提出済み 1区 ／ 全2区"));
    assert!(list.contains("差し戻す"));
    let r = app.post_form(&format!("{path}/reopen"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/api/wards/{w}/surveys/2017H1"))
            .await
            .body["status"],
        "下書き"
    );
    app.stop().await;
}
