//! Wards and their dashboard: coverage in the current fiscal half-year,
//! stage per topic, overdue and upcoming evaluations.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, error_fields};

fn topic(dashboard: &Value, n: i64) -> &Value {
    let t = &dashboard["topics"][(n - 1) as usize];
    assert_eq!(t["topic"], n);
    t
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn wards_are_listed_per_municipality() {
    let app = TestApp::spawn().await;
    let osaka = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let sakai = app.municipality_with_wards("堺市", &["堺区"]).await;
    assert_eq!(osaka.len(), 2);
    assert_eq!(sakai.len(), 1);

    let all = app.get("/api/wards").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(ids(&all.body["items"]).len(), 3);
    assert_eq!(all.body["total"], 3);
    let first = &all.body["items"][0];
    assert_eq!(first["municipality_name"], "大阪市");
    assert_eq!(first["period"], "2026H2");
    assert_eq!(first["topics"].as_array().unwrap().len(), 10);

    let municipality = app.get("/api/municipalities").await.body["items"][1]["id"]
        .as_i64()
        .unwrap();
    let only = app
        .get(&format!("/api/wards?municipality_id={municipality}"))
        .await;
    assert_eq!(ids(&only.body["items"]), sakai);
    assert_eq!(only.body["total"], 1);
    assert_eq!(app.get("/api/municipalities").await.body["total"], 2);
}

#[tokio::test]
async fn a_ward_is_added_after_the_existing_ones() {
    let app = TestApp::spawn().await;
    app.municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let m = app.get("/api/municipalities").await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            "/api/wards",
            json!({ "municipality_id": m, "name": "福島区" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["name"], "福島区");
    assert_eq!(r.body["municipality_id"], m);
    assert_eq!(r.body["sort_order"], 3);
    let id = r.body["id"].as_i64().unwrap();
    let got = app.get(&format!("/api/wards/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"], "福島区");
    assert_eq!(app.count("audit_log").await, 2); // municipality, ward
}

#[tokio::test]
async fn a_ward_of_an_unknown_municipality_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.municipality_with_wards("大阪市", &["北区"]).await;
    let before = app.counts().await;
    let r = app
        .post(
            "/api/wards",
            json!({ "municipality_id": 999, "name": "南区" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["municipality_id"]);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn a_second_ward_of_the_same_name_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.municipality_with_wards("大阪市", &["北区"]).await;
    let m = app.get("/api/municipalities").await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let before = app.counts().await;
    let r = app
        .post(
            "/api/wards",
            json!({ "municipality_id": m, "name": "北区" }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn an_unknown_or_malformed_ward_id_is_not_found() {
    let app = TestApp::spawn().await;
    assert_problem(&app.get("/api/wards/999").await, 404);
    assert_problem(&app.get("/api/wards/abc").await, 404);
    assert_problem(
        &app.patch("/api/wards/999", json!({ "name": "x" })).await,
        404,
    );
}

#[tokio::test]
async fn a_ward_can_be_renamed_and_reordered() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let r = app
        .patch(
            &format!("/api/wards/{}", wards[0]),
            json!({ "name": "新北区", "sort_order": 5 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"], "新北区");
    assert_eq!(r.body["sort_order"], 5);
    let list = app.get("/api/wards").await;
    assert_eq!(ids(&list.body["items"]), [wards[1], wards[0]]);
}

/// SQLite's INTEGER holds any i64, and so does the PostgreSQL column.
#[tokio::test]
async fn a_sort_order_beyond_32_bits_is_kept_on_every_database() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let big = 10_000_000_000_i64;
    let r = app
        .patch(
            &format!("/api/wards/{}", wards[0]),
            json!({ "sort_order": big }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sort_order"], big);
}

#[tokio::test]
async fn renaming_a_ward_to_blank_or_to_a_neighbours_name_changes_nothing() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let path = format!("/api/wards/{}", wards[0]);
    let before = app.counts().await;
    let blank = app.patch(&path, json!({ "name": " " })).await;
    assert_problem(&blank, 422);
    assert_eq!(error_fields(&blank), ["name"]);
    let taken = app.patch(&path, json!({ "name": "都島区" })).await;
    assert_problem(&taken, 409);
    assert_eq!(app.counts().await, before);
    assert_eq!(app.get(&path).await.body["name"], "北区");
}

#[tokio::test]
async fn a_new_ward_covers_no_topic_and_is_at_the_first_stage_in_the_current_half_year() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let d = app.get(&format!("/api/wards/{ward}")).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    assert_eq!(d.body["id"], ward);
    assert_eq!(d.body["period"], "2026H2");
    assert_eq!(d.body["period_label"], "令和8年度下半期");
    assert_eq!(d.body["period_start"], "2026-10-01");
    assert_eq!(d.body["period_end"], "2027-03-31");
    assert_eq!(d.body["today"], "2026-11-24");
    let topics = d.body["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 10);
    for (i, t) in topics.iter().enumerate() {
        assert_eq!(t["topic"], i as i64 + 1);
        assert_eq!(t["covered"], false);
        assert_eq!(t["coverage"], "あてはまらない");
        assert_eq!(t["stage"], "未具体化");
    }
    assert_eq!(topics[6]["label"], "地域住民の普及啓発について");
    assert_eq!(d.body["overdue_count"], 0);
    assert_eq!(d.body["upcoming_count"], 0);
}

#[tokio::test]
async fn only_meetings_of_the_ward_in_the_current_half_year_count_as_coverage() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (ward, other) = (wards[0], wards[1]);
    app.meeting(ward, "2026-09-30", &[1]).await; // the previous half-year
    app.meeting(ward, "2026-10-01", &[2, 7]).await; // its first day
    app.meeting(ward, "2027-03-31", &[3]).await; // its last day
    app.meeting(ward, "2027-04-01", &[4]).await; // the next half-year
    app.meeting(other, "2026-11-01", &[5]).await; // another ward

    let d = app.get(&format!("/api/wards/{ward}")).await.body;
    let covered: Vec<i64> = (1..=10)
        .filter(|n| topic(&d, *n)["covered"] == true)
        .collect();
    assert_eq!(covered, [2, 3, 7]);
    assert_eq!(topic(&d, 7)["coverage"], "あてはまる");
    assert_eq!(topic(&d, 1)["coverage"], "あてはまらない");
    assert_eq!(topic(&d, 4)["coverage"], "あてはまらない");
    assert_eq!(topic(&d, 5)["covered"], false);

    let o = app.get(&format!("/api/wards/{other}")).await.body;
    assert_eq!(topic(&o, 5)["coverage"], "あてはまる");
    assert_eq!(topic(&o, 7)["covered"], false);
}

#[tokio::test]
async fn the_stage_of_a_topic_is_the_most_advanced_of_the_wards_countermeasures() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (ward, other) = (wards[0], wards[1]);
    let owner = app.member(ward, "在宅 花子").await;
    let other_owner = app.member(other, "都島 一郎").await;

    app.countermeasure(ward, 4, "未着手の対応策").await;
    app.planned_countermeasure(ward, 4, owner, "2027-01-31")
        .await;
    app.countermeasure(ward, 6, "未着手のみ").await;
    let evaluated = app
        .planned_countermeasure(ward, 5, owner, "2027-01-31")
        .await;
    let r = app
        .transition(
            evaluated,
            json!({ "to": "評価改善", "evaluation": "研修参加者が倍増", "improvement": "次回は病院も招く", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.planned_countermeasure(other, 8, other_owner, "2027-01-31")
        .await;

    let d = app.get(&format!("/api/wards/{ward}")).await.body;
    assert_eq!(topic(&d, 4)["stage"], "具体化");
    assert_eq!(topic(&d, 5)["stage"], "評価改善");
    assert_eq!(topic(&d, 6)["stage"], "未具体化");
    assert_eq!(topic(&d, 8)["stage"], "未具体化");
    let o = app.get(&format!("/api/wards/{other}")).await.body;
    assert_eq!(topic(&o, 8)["stage"], "具体化");
    assert_eq!(topic(&o, 5)["stage"], "未具体化");
}

#[tokio::test]
async fn evaluations_due_before_today_are_overdue_and_those_due_within_thirty_days_upcoming() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (ward, other) = (wards[0], wards[1]);
    let owner = app.member(ward, "在宅 花子").await;
    let other_owner = app.member(other, "都島 一郎").await;

    let long_overdue = app
        .planned_countermeasure(ward, 1, owner, "2026-10-15")
        .await;
    let yesterday = app
        .planned_countermeasure(ward, 2, owner, "2026-11-23")
        .await;
    let due_today = app
        .planned_countermeasure(ward, 3, owner, "2026-11-24")
        .await;
    let in_thirty_days = app
        .planned_countermeasure(ward, 4, owner, "2026-12-24")
        .await;
    let in_thirty_one_days = app
        .planned_countermeasure(ward, 5, owner, "2026-12-25")
        .await;
    // Archived, or already evaluated: neither overdue nor upcoming.
    let archived = app
        .planned_countermeasure(ward, 6, owner, "2026-11-01")
        .await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{archived}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let evaluated = app
        .planned_countermeasure(ward, 7, owner, "2026-11-01")
        .await;
    let r = app
        .transition(
            evaluated,
            json!({ "to": "評価改善", "evaluation": "評価済み", "improvement": "改善策", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Another ward's overdue one stays with that ward.
    let elsewhere = app
        .planned_countermeasure(other, 1, other_owner, "2026-11-01")
        .await;

    let d = app.get(&format!("/api/wards/{ward}")).await.body;
    assert_eq!(ids(&d["overdue"]), [long_overdue, yesterday]);
    assert_eq!(d["overdue_count"], 2);
    assert!(
        d["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["overdue"] == true)
    );
    assert_eq!(ids(&d["upcoming"]), [due_today, in_thirty_days]);
    assert_eq!(d["upcoming_count"], 2);
    assert!(
        d["upcoming"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["overdue"] == false)
    );
    let all: Vec<i64> = ids(&d["overdue"])
        .into_iter()
        .chain(ids(&d["upcoming"]))
        .collect();
    assert!(!all.contains(&in_thirty_one_days));
    assert!(!all.contains(&archived) && !all.contains(&evaluated));

    let o = app.get(&format!("/api/wards/{other}")).await.body;
    assert_eq!(ids(&o["overdue"]), [elsewhere]);

    // The city view carries the counts, not the lists.
    let list = app.get("/api/wards").await.body;
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == ward)
        .unwrap()
        .clone();
    assert_eq!(row["overdue_count"], 2);
    assert_eq!(row["upcoming_count"], 2);
    assert_eq!(row["overdue"], json!([]));
}
