//! Meetings of a ward: topics covered, attendees, date filters and paging,
//! deletion guarded by the countermeasures a meeting decided.

use renkei::accounts::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, assert_problem, create_account_token, error_fields};

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

// ---------------------------------------------------------------------------
// The meeting form's review of open countermeasures (carry-forward): the
// meeting records ladder steps for its ward's countermeasures in the same
// submit, through the real pages (URL-encoded posts, as without JavaScript).

/// A ward with a member, a 未具体化 and a 具体化 countermeasure.
async fn review_ward(app: &TestApp) -> (i64, i64, i64, i64) {
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let member = app.member(ward, "見本 花子").await;
    let identified = app
        .countermeasure(ward, 3, "入退院時の情報共有シートの作成")
        .await;
    let planned = app
        .planned_countermeasure(ward, 5, member, "2026-10-31")
        .await;
    (ward, member, identified, planned)
}

async fn stage_of(app: &TestApp, id: i64) -> Value {
    let r = app.get(&format!("/api/countermeasures/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn history_of(app: &TestApp, id: i64) -> Vec<Value> {
    let r = app.get(&format!("/api/countermeasures/{id}/history")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_meeting_saved_with_two_stage_changes_advances_both_with_history_and_audit_rows() {
    let app = TestApp::spawn().await;
    let (ward, member, identified, planned) = review_ward(&app).await;

    let (status, form) = app.page(&format!("/wards/{ward}/meetings/new")).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(
        form.contains("<legend>継続審議中の対応策</legend>"),
        "{form}"
    );
    assert!(form.contains("入退院時の情報共有シートの作成"));
    assert!(form.contains(&format!(r#"name="cm-{identified}-to" value="具体化""#)));
    assert!(form.contains(&format!(r#"name="cm-{planned}-to" value="評価改善""#)));
    assert!(form.contains(&format!(r#"href="/countermeasures/{planned}""#)));
    // The planned one was due on 2026-10-31: overdue on the test's today.
    assert!(form.contains("評価期限超過"), "{form}");

    let audit_before = app.count("audit_log").await;
    let events_before = app.count("countermeasure_events").await;
    let member_s = member.to_string();
    let to_a = format!("cm-{identified}-to");
    let owner_a = format!("cm-{identified}-owner_member_id");
    let due_a = format!("cm-{identified}-evaluation_due_on");
    let to_b = format!("cm-{planned}-to");
    let eval_b = format!("cm-{planned}-evaluation");
    let impr_b = format!("cm-{planned}-improvement");
    let verdict_b = format!("cm-{planned}-verdict");
    let reason_b = format!("cm-{planned}-verdict_reason");
    let resp = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-11-20"),
                ("title", "第3回推進会議"),
                ("kind", "推進会議"),
                ("topics", "3"),
                ("topics", "5"),
                ("attendee_ids", member_s.as_str()),
                (to_a.as_str(), "具体化"),
                (owner_a.as_str(), member_s.as_str()),
                (due_a.as_str(), "2027-03-31"),
                (to_b.as_str(), "評価改善"),
                (eval_b.as_str(), "研修参加者の満足度85%"),
                (impr_b.as_str(), "病院側の参加を増やす"),
                (verdict_b.as_str(), "B 一部達成"),
                (reason_b.as_str(), "病院の参加が半数"),
            ],
        )
        .await;
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let meeting: i64 = location
        .strip_prefix("/meetings/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("redirect to {location}"));

    let a = stage_of(&app, identified).await;
    assert_eq!(a["stage"], "具体化");
    assert_eq!(a["owner_member_id"], member);
    assert_eq!(a["evaluation_due_on"], "2027-03-31");
    let b = stage_of(&app, planned).await;
    assert_eq!(b["stage"], "評価改善");
    assert_eq!(b["evaluation"], "研修参加者の満足度85%");
    assert_eq!(b["improvement"], "病院側の参加を増やす");

    for (id, from, to) in [
        (identified, "未具体化", "具体化"),
        (planned, "具体化", "評価改善"),
    ] {
        let h = history_of(&app, id).await;
        let last = h.last().unwrap();
        assert_eq!(last["kind"], "段階を進めた");
        assert_eq!(
            (&last["from_stage"], &last["to_stage"]),
            (&json!(from), &json!(to))
        );
        assert_eq!(last["on"], "2026-11-20", "dated the day of the meeting");
        assert_eq!(last["meeting_id"], meeting);
        assert_eq!(last["meeting_title"], "第3回推進会議");
    }
    // The meeting and two steps: one history row per step, an audit row each.
    assert_eq!(app.count("countermeasure_events").await, events_before + 2);
    assert_eq!(app.count("audit_log").await, audit_before + 3);
    let actions: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT entity, entity_id, action FROM audit_log ORDER BY id DESC LIMIT 3")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let mut actions: Vec<_> = actions.into_iter().rev().collect();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            (
                "countermeasure".to_string(),
                identified,
                "transition".to_string()
            ),
            (
                "countermeasure".to_string(),
                planned,
                "transition".to_string()
            ),
            ("meeting".to_string(), meeting, "create".to_string()),
        ]
    );

    let (status, detail) = app.page(&format!("/meetings/{meeting}")).await;
    assert_eq!(status, StatusCode::OK);
    let section = detail
        .split("この会議で段階を変更した対応策")
        .nth(1)
        .unwrap_or("");
    assert!(section.contains(&format!(r#"href="/countermeasures/{identified}""#)));
    assert!(section.contains(&format!(r#"href="/countermeasures/{planned}""#)));
    let (_, cm_page) = app.page(&format!("/countermeasures/{planned}")).await;
    assert!(
        cm_page.contains(&format!(
            r#"<a href="/meetings/{meeting}">第3回推進会議</a>で決定"#
        )),
        "{cm_page}"
    );
    // The history names the meeting, so it stays.
    let r = app.delete(&format!("/api/meetings/{meeting}")).await;
    assert_problem(&r, 409);
}

#[tokio::test]
async fn editing_a_meeting_can_advance_a_countermeasure_and_unticked_ones_stay() {
    let app = TestApp::spawn().await;
    let (ward, _member, identified, planned) = review_ward(&app).await;
    let meeting = app.meeting(ward, "2026-11-10", &[3]).await;
    let (status, form) = app.page(&format!("/meetings/{meeting}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!(r#"id="cm-{planned}-to""#)));
    let to = format!("cm-{planned}-to");
    let eval = format!("cm-{planned}-evaluation");
    let impr = format!("cm-{planned}-improvement");
    let verdict = format!("cm-{planned}-verdict");
    let reason = format!("cm-{planned}-verdict_reason");
    // Fields of an unticked countermeasure are ignored.
    let ignored = format!("cm-{identified}-evaluation_due_on");
    let resp = app
        .post_form(
            &format!("/meetings/{meeting}/edit"),
            &[
                ("held_on", "2026-11-10"),
                ("title", "推進会議 2026-11-10"),
                ("kind", "推進会議"),
                ("topics", "3"),
                (to.as_str(), "評価改善"),
                (eval.as_str(), "評価"),
                (impr.as_str(), "改善"),
                (verdict.as_str(), "B 一部達成"),
                (reason.as_str(), "病院の参加が半数"),
                (ignored.as_str(), "2027-01-31"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(stage_of(&app, planned).await["stage"], "評価改善");
    let a = stage_of(&app, identified).await;
    assert_eq!(a["stage"], "未具体化");
    assert!(a["evaluation_due_on"].is_null());
    assert_eq!(
        history_of(&app, planned).await.last().unwrap()["meeting_id"],
        meeting
    );
    // Reached 評価改善: no next step, so it is no longer listed for review.
    let (_, form) = app.page(&format!("/meetings/{meeting}/edit")).await;
    assert!(!form.contains(&format!(r#"id="cm-{planned}-to""#)));
    assert!(form.contains(&format!(r#"id="cm-{identified}-to""#)));
}

#[tokio::test]
async fn a_missing_required_field_of_a_stage_change_saves_nothing_and_is_shown_beside_it() {
    let app = TestApp::spawn().await;
    let (ward, member, identified, planned) = review_ward(&app).await;
    let before = app.counts().await;
    let member_s = member.to_string();
    let to_a = format!("cm-{identified}-to");
    let due_a = format!("cm-{identified}-evaluation_due_on");
    let to_b = format!("cm-{planned}-to");
    let eval_b = format!("cm-{planned}-evaluation");
    let impr_b = format!("cm-{planned}-improvement");
    let verdict_b = format!("cm-{planned}-verdict");
    let reason_b = format!("cm-{planned}-verdict_reason");
    let resp = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-11-20"),
                ("title", "第3回推進会議"),
                ("kind", "推進会議"),
                ("attendee_ids", member_s.as_str()),
                // 具体化 without an owner.
                (to_a.as_str(), "具体化"),
                (due_a.as_str(), "2027-03-31"),
                // A valid step: not written either, since the other fails.
                (to_b.as_str(), "評価改善"),
                (eval_b.as_str(), "満足度85%"),
                (impr_b.as_str(), "病院側の参加を増やす"),
                (verdict_b.as_str(), "B 一部達成"),
                (reason_b.as_str(), "病院の参加が半数"),
            ],
        )
        .await;
    let status = resp.status();
    let page = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert_eq!(app.counts().await, before, "nothing was written");
    assert_eq!(stage_of(&app, identified).await["stage"], "未具体化");
    assert_eq!(stage_of(&app, planned).await["stage"], "具体化");

    // The message beside the owner's select, linked to it.
    let err_id = format!("cm-{identified}-owner_member_id-error");
    assert!(
        page.contains(&format!(
            r#"<p class="field-error" id="{err_id}">具体化するには担当者を指定してください</p>"#
        )),
        "{page}"
    );
    assert!(page.contains(&format!(
        r#"id="cm-{identified}-owner_member_id" name="cm-{identified}-owner_member_id" aria-invalid="true" aria-describedby="{err_id}""#
    )));
    assert!(page.contains(&format!(r##"href="#cm-{identified}-owner_member_id""##)));
    // Every entered value is kept.
    assert!(page.contains(r#"value="第3回推進会議""#));
    assert!(page.contains(r#"value="2027-03-31""#));
    assert!(page.contains(">満足度85%</textarea>"));
    assert!(page.contains(&format!(
        r#"name="cm-{identified}-to" value="具体化" checked"#
    )));
    assert!(page.contains(&format!(
        r#"name="cm-{planned}-to" value="評価改善" checked"#
    )));

    // A meeting error and a step error are shown together.
    let resp = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-11-20"),
                ("title", ""),
                ("kind", "推進会議"),
                (to_b.as_str(), "評価改善"),
                (eval_b.as_str(), "満足度85%"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains(r#"id="title-error">会議名を入力してください"#),
        "{page}"
    );
    assert!(page.contains(&format!(
        r#"id="cm-{planned}-improvement-error">評価改善に進めるには改善の内容を入力してください"#
    )));
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn a_countermeasure_of_another_ward_is_refused_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (kita, miyakojima) = (wards[0], wards[1]);
    let municipality = app.get(&format!("/api/wards/{kita}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let other_owner = app.member(miyakojima, "都島 委員").await;
    let other = app.countermeasure(miyakojima, 2, "都島区の対応策").await;
    let secretariat = create_account_token(
        &app.db,
        "jimu.kita@example.jp",
        Role::Secretariat,
        Some(municipality),
        Some(kita),
        NOW.parse().unwrap(),
    )
    .await;
    let member_token = create_account_token(
        &app.db,
        "iin.kita@example.jp",
        Role::Member,
        Some(municipality),
        Some(kita),
        NOW.parse().unwrap(),
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let before = app.counts().await;
    let owner = other_owner.to_string();
    let to = format!("cm-{other}-to");
    let owner_key = format!("cm-{other}-owner_member_id");
    let due = format!("cm-{other}-evaluation_due_on");
    let fields = [
        ("held_on", "2026-11-20"),
        ("title", "北区の会議"),
        ("kind", "推進会議"),
        (to.as_str(), "具体化"),
        (owner_key.as_str(), owner.as_str()),
        (due.as_str(), "2027-03-31"),
    ];
    let resp = client
        .post(app.url(&format!("/wards/{kita}/meetings/new")))
        .bearer_auth(&secretariat)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let page = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains(&format!("対応策(ID {other})はこの区の対応策ではありません")),
        "{page}"
    );
    // Another ward's countermeasure is never offered on the form either.
    assert!(!page.contains("都島区の対応策"));
    assert_eq!(app.counts().await, before);
    assert_eq!(stage_of(&app, other).await["stage"], "未具体化");

    // An unknown id reads the same (nothing tells whether it exists).
    let unknown = format!("cm-{}-to", other + 1000);
    let resp = client
        .post(app.url(&format!("/wards/{kita}/meetings/new")))
        .bearer_auth(&secretariat)
        .form(&[
            ("held_on", "2026-11-20"),
            ("title", "北区の会議"),
            ("kind", "推進会議"),
            (unknown.as_str(), "具体化"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("この区の対応策ではありません")
    );

    // A ward member's account may not write meetings at all.
    let resp = client
        .post(app.url(&format!("/wards/{kita}/meetings/new")))
        .bearer_auth(&member_token)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn the_api_records_a_meetings_stage_changes_all_or_nothing() {
    let app = TestApp::spawn().await;
    let (ward, member, identified, planned) = review_ward(&app).await;
    // The municipality has 評価指標, so an evaluation carries its verdict.
    let m = app.municipality_of(ward).await;
    let r = app
        .post(
            &format!("/api/municipalities/{m}/indicators"),
            json!({ "name": "退院調整率", "level": "プロセス", "data_source": "実績報告",
                    "direction": "↑", "frequency": "年度" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let before = app.counts().await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({
                "held_on": "2026-11-20", "title": "第3回推進会議", "kind": "推進会議",
                "stage_changes": [
                    {"countermeasure_id": identified, "to": "具体化", "owner_member_id": member, "evaluation_due_on": "2027-03-31"},
                    {"countermeasure_id": planned, "to": "評価改善", "evaluation": "満足度85%"}
                ]
            }),
        )
        .await;
    assert_problem(&r, 409);
    // 評価改善 from a meeting needs its verdict too.
    assert_eq!(
        error_fields(&r),
        vec![
            format!("cm-{planned}-improvement"),
            format!("cm-{planned}-verdict"),
            format!("cm-{planned}-verdict_reason"),
        ]
    );
    assert_eq!(app.counts().await, before);

    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({
                "held_on": "2026-11-20", "title": "第3回推進会議", "kind": "推進会議",
                "stage_changes": [
                    {"countermeasure_id": identified, "to": "具体化", "owner_member_id": member, "evaluation_due_on": "2027-03-31"}
                ]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let meeting = r.body["id"].as_i64().unwrap();
    assert_eq!(stage_of(&app, identified).await["stage"], "具体化");
    assert_eq!(
        history_of(&app, identified).await.last().unwrap()["meeting_id"],
        meeting
    );

    // The same step twice is refused: the ladder is climbed one step at a time.
    let r = app
        .patch(
            &format!("/api/meetings/{meeting}"),
            json!({ "stage_changes": [{"countermeasure_id": identified, "to": "具体化"}] }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), vec![format!("cm-{identified}-to")]);
}

/// The meeting page prints its attendees by name and the countermeasures it
/// decided (archived ones too), read for the meeting alone: no other member
/// or countermeasure of the ward.
#[tokio::test]
async fn the_meeting_page_prints_its_attendees_and_what_it_decided_only() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let came = app.member(ward, "出席 一郎").await;
    let also = app.member(ward, "出席 花子").await;
    app.member(ward, "欠席 次郎").await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-20", "title": "第3回推進会議", "kind": "推進会議",
                    "topics": [1], "attendee_ids": [came, also] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let meeting = r.body["id"].as_i64().unwrap();
    let decided = |title: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post(
                    &format!("/api/wards/{ward}/countermeasures"),
                    json!({ "topic": 1, "title": title, "meeting_id": meeting }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["id"].as_i64().unwrap()
        }
    };
    decided("退院前カンファレンスの手順書").await;
    let closed = decided("連携シートの改訂").await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{closed}"),
            json!({ "archived": true, "note": "統合" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.countermeasure(ward, 1, "別の会議で決めた対応策").await;

    let (status, page) = app.page(&format!("/meetings/{meeting}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("出席 一郎") && page.contains("出席 花子"),
        "{page}"
    );
    assert!(!page.contains("欠席 次郎"), "{page}");
    assert!(page.contains("退院前カンファレンスの手順書"), "{page}");
    assert!(
        page.contains("連携シートの改訂"),
        "archived ones too: {page}"
    );
    assert!(!page.contains("別の会議で決めた対応策"), "{page}");
}
