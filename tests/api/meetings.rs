//! Meetings of a ward: topics covered, attendees, date filters and paging,
//! deletion guarded by the countermeasures a meeting decided.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, error_fields};

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_meeting_is_recorded_with_its_topics_and_attendees_in_order() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let a = app.member(ward, "委員 A").await;
    let b = app.member(ward, "委員 B").await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({
                "held_on": "2026-11-10",
                "title": " 第2回 在宅医療・介護連携推進会議 ",
                "kind": "実務者会議",
                "topics": [7, 3, 7],
                "attendee_ids": [b, a, b],
                "minutes": "入退院支援ルールについて協議"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let expected = json!({
        "id": id,
        "ward_id": ward,
        "held_on": "2026-11-10",
        "title": "第2回 在宅医療・介護連携推進会議",
        "kind": "実務者会議",
        "topics": [3, 7],
        "attendee_ids": [a, b],
        "minutes": "入退院支援ルールについて協議",
    });
    assert_eq!(r.body, expected);
    let got = app.get(&format!("/api/meetings/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, expected);
    assert_eq!(app.count("meeting_topics").await, 2);
    assert_eq!(app.count("meeting_attendees").await, 2);
}

#[tokio::test]
async fn every_kind_of_meeting_is_accepted_and_an_unknown_kind_is_not() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    for kind in ["推進会議", "実務者会議", "研修会", "その他"] {
        let r = app
            .post(
                &format!("/api/wards/{ward}/meetings"),
                json!({ "held_on": "2026-11-01", "title": kind, "kind": kind }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["kind"], kind);
    }
    let before = app.counts().await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-01", "title": "懇親会", "kind": "懇親会" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn meetings_are_listed_newest_first_filtered_by_inclusive_dates_and_paged() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let ward = wards[0];
    let sep = app.meeting(ward, "2026-09-30", &[1]).await;
    let oct = app.meeting(ward, "2026-10-01", &[2]).await;
    let nov = app.meeting(ward, "2026-11-15", &[3]).await;
    let dec = app.meeting(ward, "2026-12-01", &[4]).await;
    app.meeting(wards[1], "2026-11-15", &[5]).await;

    let all = app.get(&format!("/api/wards/{ward}/meetings")).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(ids(&all.body), [dec, nov, oct, sep]);
    assert_eq!(all.body["total"], 4);
    assert_eq!(all.body["offset"], 0);
    assert_eq!(all.body["items"][1]["topics"], json!([3]));

    let window = app
        .get(&format!(
            "/api/wards/{ward}/meetings?from=2026-10-01&to=2026-11-15"
        ))
        .await;
    assert_eq!(ids(&window.body), [nov, oct]);
    assert_eq!(window.body["total"], 2);

    let from_only = app
        .get(&format!("/api/wards/{ward}/meetings?from=2026-11-15"))
        .await;
    assert_eq!(ids(&from_only.body), [dec, nov]);
    let to_only = app
        .get(&format!("/api/wards/{ward}/meetings?to=2026-09-30"))
        .await;
    assert_eq!(ids(&to_only.body), [sep]);

    let page = app
        .get(&format!("/api/wards/{ward}/meetings?limit=2&offset=1"))
        .await;
    assert_eq!(ids(&page.body), [nov, oct]);
    assert_eq!(page.body["total"], 4);
    assert_eq!(page.body["limit"], 2);
    assert_eq!(page.body["offset"], 1);
    // Each item of the page carries its own topics.
    assert_eq!(page.body["items"][0]["topics"], json!([3]));
    assert_eq!(page.body["items"][1]["topics"], json!([2]));
}

#[tokio::test]
async fn a_malformed_date_filter_is_refused_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let r = app
        .get(&format!("/api/wards/{ward}/meetings?from=2026-13-01"))
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["from"]);
}

#[tokio::test]
async fn a_topic_outside_one_to_ten_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let before = app.counts().await;
    for bad in [11, 0] {
        let r = app
            .post(
                &format!("/api/wards/{ward}/meetings"),
                json!({ "held_on": "2026-11-01", "title": "推進会議", "kind": "推進会議", "topics": [1, bad] }),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["topics"]);
    }
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn a_malformed_date_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let before = app.counts().await;
    for bad in ["2026-02-30", "2026/11/01", "令和8年11月1日"] {
        let r = app
            .post(
                &format!("/api/wards/{ward}/meetings"),
                json!({ "held_on": bad, "title": "推進会議", "kind": "推進会議" }),
            )
            .await;
        assert_problem(&r, 422);
    }
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn an_attendee_who_is_unknown_or_of_another_ward_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let own = app.member(wards[0], "北区の委員").await;
    let foreign = app.member(wards[1], "都島区の委員").await;
    let before = app.counts().await;
    for attendees in [json!([own, 999]), json!([own, foreign])] {
        let r = app
            .post(
                &format!("/api/wards/{}/meetings", wards[0]),
                json!({ "held_on": "2026-11-01", "title": "推進会議", "kind": "推進会議", "topics": [1], "attendee_ids": attendees }),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["attendee_ids"]);
    }
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn unknown_wards_and_meetings_are_not_found() {
    let app = TestApp::spawn().await;
    assert_problem(&app.get("/api/wards/999/meetings").await, 404);
    let r = app
        .post(
            "/api/wards/999/meetings",
            json!({ "held_on": "2026-11-01", "title": "推進会議", "kind": "推進会議" }),
        )
        .await;
    assert_problem(&r, 404);
    assert_problem(&app.get("/api/meetings/999").await, 404);
    assert_problem(
        &app.patch("/api/meetings/999", json!({ "title": "x" }))
            .await,
        404,
    );
    assert_problem(&app.delete("/api/meetings/999").await, 404);
    assert_eq!(app.count("meetings").await, 0);
    assert_eq!(app.count("audit_log").await, 0);
}

#[tokio::test]
async fn a_patch_changes_the_named_fields_and_replaces_the_lists() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let a = app.member(ward, "委員 A").await;
    let b = app.member(ward, "委員 B").await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-01", "title": "推進会議", "kind": "推進会議", "topics": [1, 2], "attendee_ids": [a], "minutes": "議事録" }),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/api/meetings/{id}");

    let r = app
        .patch(
            &path,
            json!({ "held_on": "2026-11-02", "topics": [9], "attendee_ids": [b, a] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["held_on"], "2026-11-02");
    assert_eq!(r.body["topics"], json!([9]));
    assert_eq!(r.body["attendee_ids"], json!([a, b]));
    assert_eq!(r.body["title"], "推進会議", "absent title stays");
    assert_eq!(r.body["minutes"], "議事録", "absent minutes stay");
    assert_eq!(app.get(&path).await.body, r.body);
    assert_eq!(app.count("meeting_topics").await, 1);

    // The dashboard follows the replaced topics.
    let d = app.get(&format!("/api/wards/{ward}")).await.body;
    assert_eq!(d["topics"][0]["covered"], false);
    assert_eq!(d["topics"][8]["covered"], true);
}

#[tokio::test]
async fn a_rejected_patch_leaves_the_meeting_as_it_was() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let a = app.member(wards[0], "委員 A").await;
    let foreign = app.member(wards[1], "都島区の委員").await;
    let r = app
        .post(
            &format!("/api/wards/{}/meetings", wards[0]),
            json!({ "held_on": "2026-11-01", "title": "推進会議", "kind": "推進会議", "topics": [1], "attendee_ids": [a] }),
        )
        .await;
    let path = format!("/api/meetings/{}", r.body["id"]);
    let meeting = app.get(&path).await.body;
    let before = app.counts().await;

    let r = app
        .patch(&path, json!({ "title": "変更", "attendee_ids": [foreign] }))
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["attendee_ids"]);
    let r = app.patch(&path, json!({ "topics": [2, 11] })).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["topics"]);
    let r = app.patch(&path, json!({ "title": "" })).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["title"]);
    let r = app.patch(&path, json!({ "held_on": "2026-11-31" })).await;
    assert_problem(&r, 422);

    assert_eq!(app.counts().await, before);
    assert_eq!(app.get(&path).await.body, meeting);
}

#[tokio::test]
async fn a_meeting_is_deleted_with_its_topics_and_attendees() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let a = app.member(ward, "委員 A").await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-01", "title": "推進会議", "kind": "推進会議", "topics": [1, 2], "attendee_ids": [a] }),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let audit = app.count("audit_log").await;

    let r = app.delete(&format!("/api/meetings/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_problem(&app.get(&format!("/api/meetings/{id}")).await, 404);
    assert_eq!(app.count("meetings").await, 0);
    assert_eq!(app.count("meeting_topics").await, 0);
    assert_eq!(app.count("meeting_attendees").await, 0);
    assert_eq!(app.count("audit_log").await, audit + 1);
    let d = app.get(&format!("/api/wards/{ward}")).await.body;
    assert_eq!(d["topics"][0]["covered"], false);
}

#[tokio::test]
async fn a_meeting_that_decided_a_countermeasure_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let meeting = app.meeting(ward, "2026-11-01", &[3]).await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/countermeasures"),
            json!({ "topic": 3, "title": "情報共有シートの作成", "meeting_id": meeting }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cm = r.body["id"].as_i64().unwrap();
    let before = app.counts().await;
    let stored = app.get(&format!("/api/meetings/{meeting}")).await.body;

    let r = app.delete(&format!("/api/meetings/{meeting}")).await;
    assert_problem(&r, 409);
    assert_eq!(app.counts().await, before);
    assert_eq!(
        app.get(&format!("/api/meetings/{meeting}")).await.body,
        stored
    );

    // Once the countermeasure no longer names it, it can go.
    let r = app
        .patch(
            &format!("/api/countermeasures/{cm}"),
            json!({ "meeting_id": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.delete(&format!("/api/meetings/{meeting}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn twenty_meetings_posted_at_once_are_all_recorded() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let member = app.member(ward, "委員 A").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20i64 {
        let client = app.client.clone();
        let url = app.url(&format!("/api/wards/{ward}/meetings"));
        tasks.spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({
                    "held_on": format!("2026-11-{:02}", i + 1),
                    "title": format!("第{}回", i + 1),
                    "kind": "推進会議",
                    "topics": [i % 10 + 1],
                    "attendee_ids": [member],
                }))
                .send()
                .await
                .expect("request");
            let status = resp.status();
            (status, resp.text().await.unwrap_or_default())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (status, text) = done.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
    assert_eq!(app.count("meetings").await, 20);
    assert_eq!(app.count("meeting_topics").await, 20);
    assert_eq!(app.count("meeting_attendees").await, 20);
    // municipality + member create + 20 meetings
    assert_eq!(app.count("audit_log").await, 22);
    let list = app
        .get(&format!("/api/wards/{ward}/meetings?limit=100"))
        .await;
    assert_eq!(list.body["total"], 20);
    let d = app.get(&format!("/api/wards/{ward}")).await.body;
    assert!(
        d["topics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["covered"] == true)
    );
}
