//! 議題の提案 on the new-meeting form: the ward's overdue and 停滞
//! countermeasures first among those the meeting may advance, and the
//! topics not covered this half-year first among its topics. Nothing of the
//! proposal is stored; ticking a proposal is ticking the form's own input.
//!
//! Today is 2026-11-24 (2026H2); 停滞 means no stage change since the end of
//! the half-year before last, 2026-03-31.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn the_new_meeting_form_proposes_overdue_and_stalled_countermeasures_and_uncovered_topics() {
    let app = TestApp::spawn().await;
    let ward = app.osaka().await[0];
    let member = app.member(ward, "見本 一郎").await;
    // A year ago: one left at 未具体化 (停滞), one planned and due 2026-11-01 (overdue).
    let past = app.server_at("2025-12-01T01:00:00Z").await;
    let path = format!("/api/wards/{ward}/countermeasures");
    let stalled = app
        .send_to(
            &past,
            Method::POST,
            &path,
            json!({ "topic": 5, "title": "止まった対応策" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let overdue = app
        .send_to(
            &past,
            Method::POST,
            &path,
            json!({ "topic": 6, "title": "期限切れの対応策" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.send_to(
        &past,
        Method::POST,
        &format!("/api/countermeasures/{overdue}/transitions"),
        json!({ "to": "具体化", "owner_member_id": member, "evaluation_due_on": "2026-11-01" }),
    )
    .await;
    past.stop().await.expect("stop");
    // Today: a fresh one (not proposed) and a meeting on topics 1 and 2.
    let fresh = app.countermeasure(ward, 3, "新しい対応策").await;
    app.meeting(ward, "2026-10-10", &[1, 2]).await;

    let before = app.counts().await;
    let (status, form) = app.page(&format!("/wards/{ward}/meetings/new")).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(app.counts().await, before, "a proposal stores nothing");
    assert!(form.contains("次の会議の議題の提案"), "{form}");
    assert!(form.contains("評価期限を過ぎた対応策 1件"), "{form}");
    assert!(form.contains("停滞している対応策 1件"), "{form}");
    assert!(
        form.contains("今期まだ会議で取り上げていない内容 8件"),
        "{form}"
    );
    // Proposed first: the overdue, then the stalled, then the rest.
    let at = |needle: String| {
        form.find(&needle)
            .unwrap_or_else(|| panic!("{needle} not on the form"))
    };
    let (o, s, f) = (
        at(format!(r#"id="cm-{overdue}-to""#)),
        at(format!(r#"id="cm-{stalled}-to""#)),
        at(format!(r#"id="cm-{fresh}-to""#)),
    );
    assert!(o < s && s < f, "order {o} {s} {f}");
    assert!(form.contains("提案：評価期限超過</span> 期限切れの対応策"));
    assert!(form.contains("提案：停滞</span> 止まった対応策"));
    assert!(!form.contains("提案：停滞</span> 新しい対応策"));
    // Topics: the uncovered (3–10) above the covered (1, 2).
    let covered_heading = at("今期すでに取り上げた内容".to_string());
    assert!(at(r#"id="topic-3""#.to_string()) < covered_heading);
    assert!(at(r#"id="topic-10""#.to_string()) < covered_heading);
    assert!(at(r#"id="topic-1""#.to_string()) > covered_heading);

    // Ticking a proposed topic and a proposed countermeasure records them
    // as the form always did.
    let member_s = member.to_string();
    let to = format!("cm-{stalled}-to");
    let owner = format!("cm-{stalled}-owner_member_id");
    let due = format!("cm-{stalled}-evaluation_due_on");
    let resp = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-11-20"),
                ("title", "第2回推進会議"),
                ("kind", "推進会議"),
                ("topics", "5"),
                ("attendee_ids", member_s.as_str()),
                (to.as_str(), "具体化"),
                (owner.as_str(), member_s.as_str()),
                (due.as_str(), "2027-03-31"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cm = app
        .get(&format!("/api/countermeasures/{stalled}"))
        .await
        .body;
    assert_eq!(cm["stage"], "具体化");
    // Now covered and moved: no longer proposed.
    let (_, form) = app.page(&format!("/wards/{ward}/meetings/new")).await;
    assert!(
        form.contains("今期まだ会議で取り上げていない内容 7件"),
        "{form}"
    );
    assert!(!form.contains("停滞している対応策"), "{form}");

    // The edit form corrects a meeting: no proposal there.
    let meeting = app.meeting(ward, "2026-11-21", &[4]).await;
    let (status, edit) = app.page(&format!("/meetings/{meeting}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!edit.contains("次の会議の議題の提案"));
    assert!(!edit.contains("提案："));
    app.stop().await;
}
