//! Countermeasures and the PDCA ladder: creation at 未具体化, each step's
//! requirements, steps back with a reason, archiving, the history, filters,
//! and that every refusal leaves the database as it was.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, error_fields};

/// A ward (北区) with one member, and a neighbouring ward (都島区) with one.
struct Setup {
    app: TestApp,
    ward: i64,
    owner: i64,
    other_ward: i64,
    foreign_member: i64,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let owner = app.member(wards[0], "在宅 花子").await;
    let foreign_member = app.member(wards[1], "都島 一郎").await;
    Setup {
        app,
        ward: wards[0],
        owner,
        other_ward: wards[1],
        foreign_member,
    }
}

impl Setup {
    async fn cm(&self, id: i64) -> Value {
        let r = self.app.get(&format!("/api/countermeasures/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    async fn history(&self, id: i64) -> Vec<Value> {
        let r = self
            .app
            .get(&format!("/api/countermeasures/{id}/history"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["items"].as_array().unwrap().clone()
    }

    /// The countermeasure and every table's row count, to compare after a refusal.
    async fn snapshot(&self, id: i64) -> (Value, Vec<(&'static str, i64)>) {
        (self.cm(id).await, self.app.counts().await)
    }

    async fn evaluated(&self, topic: i64) -> i64 {
        let id = self
            .app
            .planned_countermeasure(self.ward, topic, self.owner, "2027-01-31")
            .await;
        let r = self
            .app
            .transition(
                id,
                json!({ "to": "評価改善", "evaluation": "評価", "improvement": "改善", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        id
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_countermeasure_is_recorded_at_the_first_stage_with_a_history_entry() {
    let s = setup().await;
    let meeting = s.app.meeting(s.ward, "2026-11-01", &[3]).await;
    let r = s
        .app
        .post(
            &format!("/api/wards/{}/countermeasures", s.ward),
            json!({
                "topic": 3,
                "scenes": ["看取り", "入退院支援"],
                "title": " 入退院時の情報共有シートの作成 ",
                "issue": "病院と在宅の情報共有が不十分",
                "plan": "共通シートを作る",
                "owner_member_id": s.owner,
                "meeting_id": meeting,
                "actor": "北区事務局"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["ward_id"], s.ward);
    assert_eq!(r.body["stage"], "未具体化");
    assert_eq!(r.body["title"], "入退院時の情報共有シートの作成");
    // In the municipality's order, whatever the order sent.
    assert_eq!(r.body["scenes"], json!(["入退院支援", "看取り"]));
    assert_eq!(r.body["indicator_ids"], json!([]));
    assert_eq!(r.body["cycle"], 1);
    assert!(r.body["verdict"].is_null());
    assert_eq!(r.body["owner_member_id"], s.owner);
    assert_eq!(r.body["meeting_id"], meeting);
    assert!(r.body["evaluation_due_on"].is_null());
    assert_eq!(r.body["archived"], false);
    assert_eq!(r.body["overdue"], false);
    assert_eq!(s.cm(id).await, r.body);

    let history = s.history(id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["kind"], "登録");
    assert!(history[0]["from_stage"].is_null());
    assert_eq!(history[0]["to_stage"], "未具体化");
    assert_eq!(history[0]["on"], "2026-11-24");
    assert_eq!(history[0]["actor"], "北区事務局");
    // Like every entry, 登録 lists its fields as {before, after}.
    assert_eq!(
        history[0]["changes"]["title"],
        json!({ "before": null, "after": "入退院時の情報共有シートの作成" })
    );
    assert_eq!(
        history[0]["changes"]["stage"],
        json!({ "before": null, "after": "未具体化" })
    );
    assert_eq!(s.app.count("audit_log").await, 5); // municipality, 2 members, meeting, this
}

#[tokio::test]
async fn a_countermeasure_with_a_bad_topic_or_title_or_of_an_unknown_ward_is_refused() {
    let s = setup().await;
    let before = s.app.counts().await;
    let path = format!("/api/wards/{}/countermeasures", s.ward);
    let r = s
        .app
        .post(&path, json!({ "topic": 11, "title": "x" }))
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["topic"]);
    let r = s
        .app
        .post(&path, json!({ "topic": 1, "title": "  " }))
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["title"]);
    let r = s
        .app
        .post(
            &path,
            json!({ "topic": 1, "title": "x", "scenes": ["看取り", "夜間"] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["scenes"]);
    assert!(r.text.contains("夜間"), "{}", r.text);
    let r = s
        .app
        .post(
            &path,
            json!({ "topic": 1, "title": "x", "indicator_ids": [999] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["indicator_ids"]);
    assert!(r.text.contains("999"), "{}", r.text);
    let r = s
        .app
        .post(
            "/api/wards/999/countermeasures",
            json!({ "topic": 1, "title": "x" }),
        )
        .await;
    assert_problem(&r, 404);
    assert_eq!(s.app.counts().await, before);
}

#[tokio::test]
async fn an_owner_or_meeting_of_another_ward_is_refused_on_creation() {
    let s = setup().await;
    let foreign_meeting = s.app.meeting(s.other_ward, "2026-11-01", &[1]).await;
    let before = s.app.counts().await;
    let path = format!("/api/wards/{}/countermeasures", s.ward);
    let r = s
        .app
        .post(
            &path,
            json!({ "topic": 1, "title": "x", "owner_member_id": s.foreign_member }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["owner_member_id"]);
    let r = s
        .app
        .post(
            &path,
            json!({ "topic": 1, "title": "x", "meeting_id": foreign_meeting }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["meeting_id"]);
    let r = s
        .app
        .post(
            &path,
            json!({ "topic": 1, "title": "x", "meeting_id": 999 }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["meeting_id"]);
    assert_eq!(s.app.counts().await, before);
}

#[tokio::test]
async fn a_countermeasure_climbs_the_ladder_and_steps_back_with_every_step_in_its_history() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 5, "多職種研修会の開催").await;

    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "on": "2026-11-20", "owner_member_id": s.owner,
                    "evaluation_due_on": "2027-02-28", "note": "推進会議で決定", "actor": "北区事務局" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "具体化");
    assert_eq!(r.body["owner_member_id"], s.owner);
    assert_eq!(r.body["evaluation_due_on"], "2027-02-28");
    assert_eq!(r.body["overdue"], false);

    let r = s
        .app
        .transition(
            id,
            json!({ "to": "評価改善", "on": "2026-11-24", "evaluation": "参加者アンケートで満足度85%",
                    "improvement": "次年度は病院側の参加を増やす", "actor": "在宅 花子",
                    "verdict": "一部達成", "verdict_reason": "病院側の参加が目標の半数" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "評価改善");
    assert_eq!(r.body["evaluation"], "参加者アンケートで満足度85%");
    assert_eq!(r.body["improvement"], "次年度は病院側の参加を増やす");

    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "note": "改善策で再計画", "evaluation_due_on": "2027-03-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "具体化");
    assert_eq!(r.body["evaluation_due_on"], "2027-03-31");
    assert!(
        r.body["evaluation"].is_null(),
        "the old evaluation stays in the history"
    );
    assert_eq!(s.cm(id).await, r.body);

    let h = s.history(id).await;
    let kinds: Vec<&str> = h.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["登録", "段階を進めた", "段階を進めた", "段階を戻した"]
    );
    assert_eq!(
        (&h[1]["from_stage"], &h[1]["to_stage"]),
        (&json!("未具体化"), &json!("具体化"))
    );
    assert_eq!(h[1]["on"], "2026-11-20");
    assert_eq!(h[1]["note"], "推進会議で決定");
    assert_eq!(h[1]["actor"], "北区事務局");
    assert_eq!(
        h[1]["changes"]["owner_member_id"],
        json!({ "before": null, "after": s.owner })
    );
    assert_eq!(
        h[1]["changes"]["stage"],
        json!({ "before": "未具体化", "after": "具体化" })
    );
    assert_eq!(
        (&h[2]["from_stage"], &h[2]["to_stage"]),
        (&json!("具体化"), &json!("評価改善"))
    );
    assert_eq!(h[2]["evaluation"], "参加者アンケートで満足度85%");
    assert_eq!(h[2]["improvement"], "次年度は病院側の参加を増やす");
    assert_eq!(h[2]["actor"], "在宅 花子");
    assert_eq!(
        (&h[3]["from_stage"], &h[3]["to_stage"]),
        (&json!("評価改善"), &json!("具体化"))
    );
    assert_eq!(h[3]["note"], "改善策で再計画");
    assert_eq!(h[3]["on"], "2026-11-24", "`on` defaults to today");
    assert!(h[3]["actor"].is_null());
    for entry in &h {
        for (field, change) in entry["changes"].as_object().unwrap() {
            let keys: Vec<&String> = change.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["after", "before"], "{field} in {entry}");
        }
    }
    let ids: Vec<i64> = h.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
}

#[tokio::test]
async fn skipping_from_the_first_stage_to_evaluation_is_refused_and_changes_nothing() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let before = s.snapshot(id).await;
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "評価改善", "evaluation": "評価", "improvement": "改善", "verdict": "一部達成", "verdict_reason": "目標の一部を達成",
                    "owner_member_id": s.owner, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn planning_without_a_due_date_is_refused_and_changes_nothing() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let before = s.snapshot(id).await;
    let r = s
        .app
        .transition(id, json!({ "to": "具体化", "owner_member_id": s.owner }))
        .await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["evaluation_due_on"]);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn planning_without_owner_or_due_date_names_both_fields_and_changes_nothing() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let before = s.snapshot(id).await;
    let r = s.app.transition(id, json!({ "to": "具体化" })).await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["owner_member_id", "evaluation_due_on"]);
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["owner_member_id"]);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn an_owner_and_due_date_recorded_beforehand_are_enough_to_plan() {
    let s = setup().await;
    let r = s
        .app
        .post(
            &format!("/api/wards/{}/countermeasures", s.ward),
            json!({ "topic": 2, "title": "x", "owner_member_id": s.owner, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let r = s.app.transition(id, json!({ "to": "具体化" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "具体化");
}

#[tokio::test]
async fn evaluating_without_evaluation_and_improvement_is_refused_and_changes_nothing() {
    let s = setup().await;
    let id = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2027-01-31")
        .await;
    let before = s.snapshot(id).await;
    let r = s.app.transition(id, json!({ "to": "評価改善" })).await;
    assert_problem(&r, 409);
    // No 評価指標 in this municipality: the verdict may be left out.
    assert_eq!(error_fields(&r), ["evaluation", "improvement"]);
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "評価改善", "evaluation": "評価した", "improvement": "   ", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["improvement"]);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn stepping_back_without_a_reason_is_refused_and_changes_nothing() {
    let s = setup().await;
    let planned = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2027-01-31")
        .await;
    let evaluated = s.evaluated(3).await;
    for (id, to) in [(planned, "未具体化"), (evaluated, "具体化")] {
        let before = s.snapshot(id).await;
        let r = s.app.transition(id, json!({ "to": to, "note": " " })).await;
        assert_problem(&r, 409);
        assert_eq!(error_fields(&r), ["note"]);
        assert_eq!(s.snapshot(id).await, before);
    }
    // With a reason it goes through.
    let r = s
        .app
        .transition(planned, json!({ "to": "未具体化", "note": "担当者が退任" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "未具体化");
}

#[tokio::test]
async fn moving_two_steps_back_or_to_the_current_stage_is_refused() {
    let s = setup().await;
    let evaluated = s.evaluated(3).await;
    let before = s.snapshot(evaluated).await;
    let r = s
        .app
        .transition(evaluated, json!({ "to": "未具体化", "note": "やり直し" }))
        .await;
    assert_problem(&r, 409);
    let r = s
        .app
        .transition(
            evaluated,
            json!({ "to": "評価改善", "evaluation": "a", "improvement": "b", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(s.snapshot(evaluated).await, before);
}

#[tokio::test]
async fn a_step_dated_in_the_future_is_refused_and_changes_nothing() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let before = s.snapshot(id).await;
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "on": "2026-11-25", "owner_member_id": s.owner, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["on"]);
    assert_eq!(s.snapshot(id).await, before);
    // Today itself is fine.
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "on": "2026-11-24", "owner_member_id": s.owner, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_transition_with_an_unknown_stage_or_malformed_date_is_refused() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let before = s.snapshot(id).await;
    let r = s.app.transition(id, json!({ "to": "完了" })).await;
    assert_problem(&r, 422);
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": s.owner, "evaluation_due_on": "2027-02-30" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn planning_with_an_owner_of_another_ward_is_refused_and_changes_nothing() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let before = s.snapshot(id).await;
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": s.foreign_member, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["owner_member_id"]);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn an_archived_countermeasure_cannot_move_until_it_is_reopened() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let path = format!("/api/countermeasures/{id}");
    let r = s
        .app
        .patch(
            &path,
            json!({ "archived": true, "note": "他の対応策に統合", "actor": "北区事務局" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["archived"], true);

    let before = s.snapshot(id).await;
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": s.owner, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(s.snapshot(id).await, before);

    let r = s.app.patch(&path, json!({ "archived": false })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["archived"], false);
    let r = s
        .app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": s.owner, "evaluation_due_on": "2027-01-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let h = s.history(id).await;
    let kinds: Vec<&str> = h.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["登録", "終了（アーカイブ）", "再開", "段階を進めた"]
    );
    assert_eq!(h[1]["note"], "他の対応策に統合");
    assert_eq!(h[1]["actor"], "北区事務局");
    assert_eq!(
        h[1]["changes"]["archived"],
        json!({ "before": false, "after": true })
    );
    assert_eq!(
        h[2]["changes"]["archived"],
        json!({ "before": true, "after": false })
    );
}

#[tokio::test]
async fn archiving_twice_records_one_entry() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let path = format!("/api/countermeasures/{id}");
    for _ in 0..2 {
        let r = s.app.patch(&path, json!({ "archived": true })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(s.history(id).await.len(), 2);
}

#[tokio::test]
async fn an_edit_is_recorded_with_the_fields_it_changed() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "資源マップの作成").await;
    let r = s
        .app
        .patch(
            &format!("/api/countermeasures/{id}"),
            json!({ "title": "関係者向け資源マップの作成", "topic": 5, "scenes": ["日常の療養支援"], "note": "名称変更", "actor": "北区事務局" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["title"], "関係者向け資源マップの作成");
    assert_eq!(r.body["topic"], 5);
    assert_eq!(r.body["scenes"], json!(["日常の療養支援"]));
    assert_eq!(r.body["stage"], "未具体化");
    assert_eq!(s.cm(id).await, r.body);
    let h = s.history(id).await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["kind"], "編集");
    assert_eq!(h[1]["note"], "名称変更");
    assert_eq!(h[1]["actor"], "北区事務局");
    let changes = h[1]["changes"].as_object().unwrap();
    let mut changed: Vec<&str> = changes.keys().map(String::as_str).collect();
    changed.sort_unstable();
    assert_eq!(changed, ["scenes", "title", "topic"]);
    assert_eq!(
        changes["title"],
        json!({ "before": "資源マップの作成", "after": "関係者向け資源マップの作成" })
    );
    assert_eq!(changes["topic"], json!({ "before": 1, "after": 5 }));

    // A patch that changes nothing records nothing.
    let events = s.app.count("countermeasure_events").await;
    let r = s
        .app
        .patch(
            &format!("/api/countermeasures/{id}"),
            json!({ "title": "関係者向け資源マップの作成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(s.app.count("countermeasure_events").await, events);
}

#[tokio::test]
async fn clearing_the_owner_or_due_date_of_a_planned_countermeasure_is_refused() {
    let s = setup().await;
    let id = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2027-01-31")
        .await;
    let path = format!("/api/countermeasures/{id}");
    let before = s.snapshot(id).await;
    let r = s.app.patch(&path, json!({ "owner_member_id": null })).await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["owner_member_id"]);
    let r = s
        .app
        .patch(&path, json!({ "evaluation_due_on": null, "title": "変更" }))
        .await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["evaluation_due_on"]);
    assert_eq!(s.snapshot(id).await, before);

    // Before planning, the owner may be cleared.
    let open = s.app.countermeasure(s.ward, 3, "未着手").await;
    let r = s
        .app
        .patch(
            &format!("/api/countermeasures/{open}"),
            json!({ "owner_member_id": s.owner }),
        )
        .await;
    assert_eq!(r.body["owner_member_id"], s.owner);
    let r = s
        .app
        .patch(
            &format!("/api/countermeasures/{open}"),
            json!({ "owner_member_id": null }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["owner_member_id"].is_null());
}

#[tokio::test]
async fn an_edit_naming_an_owner_or_meeting_of_another_ward_is_refused() {
    let s = setup().await;
    let id = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2027-01-31")
        .await;
    let foreign_meeting = s.app.meeting(s.other_ward, "2026-11-01", &[2]).await;
    let path = format!("/api/countermeasures/{id}");
    let before = s.snapshot(id).await;
    let r = s
        .app
        .patch(&path, json!({ "owner_member_id": s.foreign_member }))
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["owner_member_id"]);
    let r = s
        .app
        .patch(
            &path,
            json!({ "meeting_id": foreign_meeting, "title": "変更" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["meeting_id"]);
    let r = s.app.patch(&path, json!({ "topic": 0 })).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["topic"]);
    assert_eq!(s.snapshot(id).await, before);
}

#[tokio::test]
async fn unknown_countermeasures_are_not_found_everywhere() {
    let s = setup().await;
    let before = s.app.counts().await;
    assert_problem(&s.app.get("/api/countermeasures/999").await, 404);
    assert_problem(
        &s.app
            .patch("/api/countermeasures/999", json!({ "title": "x" }))
            .await,
        404,
    );
    assert_problem(
        &s.app
            .transition(999, json!({ "to": "具体化", "note": "x" }))
            .await,
        404,
    );
    assert_problem(&s.app.get("/api/countermeasures/999/history").await, 404);
    assert_problem(&s.app.get("/api/wards/999/countermeasures").await, 404);
    assert_eq!(s.app.counts().await, before);
}

#[tokio::test]
async fn the_list_filters_by_stage_topic_overdue_and_archived_and_pages() {
    let s = setup().await;
    let open = s.app.countermeasure(s.ward, 1, "未着手").await;
    let overdue = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2026-11-23")
        .await;
    let due_today = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2026-11-24")
        .await;
    let evaluated = s.evaluated(3).await;
    let archived = s.app.countermeasure(s.ward, 2, "終了したもの").await;
    let r = s
        .app
        .patch(
            &format!("/api/countermeasures/{archived}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    s.app.countermeasure(s.other_ward, 1, "他区の対応策").await;
    let base = format!("/api/wards/{}/countermeasures", s.ward);

    let all = s.app.get(&base).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(ids(&all.body), [open, overdue, due_today, evaluated]);
    assert_eq!(all.body["total"], 4);

    let planned = s.app.get(&format!("{base}?stage=具体化")).await;
    assert_eq!(ids(&planned.body), [overdue, due_today]);
    let topic2 = s.app.get(&format!("{base}?topic=2")).await;
    assert_eq!(ids(&topic2.body), [overdue, due_today]);
    let late = s.app.get(&format!("{base}?overdue=true")).await;
    assert_eq!(ids(&late.body), [overdue]);
    assert_eq!(late.body["items"][0]["overdue"], true);
    let not_late = s.app.get(&format!("{base}?overdue=false")).await;
    assert_eq!(ids(&not_late.body), [open, due_today, evaluated]);
    let closed = s.app.get(&format!("{base}?archived=true")).await;
    assert_eq!(ids(&closed.body), [archived]);
    let combined = s
        .app
        .get(&format!("{base}?stage=未具体化&topic=2&archived=true"))
        .await;
    assert_eq!(ids(&combined.body), [archived]);

    let page = s.app.get(&format!("{base}?limit=2&offset=1")).await;
    assert_eq!(ids(&page.body), [overdue, due_today]);
    assert_eq!(page.body["total"], 4);
    assert_eq!(page.body["limit"], 2);
    assert_eq!(page.body["offset"], 1);

    let r = s.app.get(&format!("{base}?topic=11")).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["topic"]);
    let r = s.app.get(&format!("{base}?stage=完了")).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["stage"]);
}

#[tokio::test]
async fn twenty_transitions_posted_at_once_all_succeed() {
    let s = setup().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(s.app.countermeasure(s.ward, i % 10 + 1, "同時実行").await);
    }
    let events = s.app.count("countermeasure_events").await;
    let audit = s.app.count("audit_log").await;
    let mut tasks = tokio::task::JoinSet::new();
    for id in &ids {
        let client = s.app.client.clone();
        let url = s.app.url(&format!("/api/countermeasures/{id}/transitions"));
        let owner = s.owner;
        tasks.spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2027-01-31" }))
                .send()
                .await
                .expect("request");
            let status = resp.status();
            (status, resp.text().await.unwrap_or_default())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (status, text) = done.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    assert_eq!(s.app.count("countermeasure_events").await, events + 20);
    assert_eq!(s.app.count("audit_log").await, audit + 20);
    for id in ids {
        assert_eq!(s.cm(id).await["stage"], "具体化");
    }
}

#[tokio::test]
async fn twenty_racing_transitions_of_one_countermeasure_move_it_exactly_once() {
    let s = setup().await;
    let id = s.app.countermeasure(s.ward, 1, "競合").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let client = s.app.client.clone();
        let url = s.app.url(&format!("/api/countermeasures/{id}/transitions"));
        let owner = s.owner;
        tasks.spawn(async move {
            client
                .post(url)
                .json(&json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2027-01-31" }))
                .send()
                .await
                .expect("request")
                .status()
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.push(done.unwrap().as_u16());
    }
    statuses.sort_unstable();
    let mut expected = vec![200];
    expected.extend([409; 19]);
    assert_eq!(statuses, expected);
    let kinds: Vec<String> = s
        .history(id)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["登録", "段階を進めた"]);
}

#[tokio::test]
async fn moving_the_due_date_into_the_past_makes_a_planned_countermeasure_overdue() {
    let s = setup().await;
    let id = s
        .app
        .planned_countermeasure(s.ward, 2, s.owner, "2027-01-31")
        .await;
    assert_eq!(s.cm(id).await["overdue"], false);
    let path = format!("/api/countermeasures/{id}");
    let r = s
        .app
        .patch(&path, json!({ "evaluation_due_on": "2026-11-23" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["overdue"], true);
    assert_eq!(s.cm(id).await["overdue"], true);
    let d = s.app.get(&format!("/api/wards/{}", s.ward)).await.body;
    assert_eq!(d["overdue_count"], 1);
    assert_eq!(d["overdue"][0]["id"], id);
    // Archiving takes it off the list.
    let r = s.app.patch(&path, json!({ "archived": true })).await;
    assert_eq!(r.body["overdue"], false);
    let d = s.app.get(&format!("/api/wards/{}", s.ward)).await.body;
    assert_eq!(d["overdue_count"], 0);
}

/// PostgreSQL cannot store U+0000 where SQLite can: both refuse it alike.
#[tokio::test]
async fn a_nul_character_in_any_input_is_refused_on_every_database_and_nothing_is_written() {
    let s = setup().await;
    let before = s.app.counts().await;
    let path = format!("/api/wards/{}/countermeasures", s.ward);
    let r = s
        .app
        .post(&path, json!({ "topic": 1, "title": "在宅\u{0}医療" }))
        .await;
    assert_problem(&r, 422);
    let r = s
        .app
        .get(&format!(
            "/api/reminders/deliveries?state=sent%00&ward_id={}",
            s.ward
        ))
        .await;
    assert_problem(&r, 422);
    let form = s
        .app
        .post_form(
            &format!("/wards/{}/countermeasures/new", s.ward),
            &[("topic", "1"), ("title", "在宅\u{0}医療")],
        )
        .await;
    assert_eq!(form.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s.app.counts().await, before);
}
