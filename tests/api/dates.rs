//! Dates outside 2000–2100 are refused with 422 naming the field, whichever
//! way they come: the API's bodies and query filters, and the forms.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_problem, error_fields};

/// Years a typo makes: 0000 (for 2000), before 2000, after 2100, five digits.
const BAD: [&str; 4] = ["0000-04-01", "1999-12-31", "2101-01-01", "10000-04-01"];

fn detail_and_messages(r: &crate::support::Resp) -> String {
    format!("{} {}", r.body["detail"], r.body["errors"])
}

#[tokio::test]
async fn a_meeting_dated_outside_2000_to_2100_is_refused_naming_its_date() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let before = app.counts().await;
    for bad in BAD {
        let r = app
            .post(
                &format!("/api/wards/{ward}/meetings"),
                json!({ "held_on": bad, "title": "推進会議", "kind": "推進会議" }),
            )
            .await;
        assert_problem(&r, 422);
        if bad.len() == 10 {
            assert_eq!(error_fields(&r), ["held_on"], "{bad}");
            assert!(
                detail_and_messages(&r).contains("開催日は2000年から2100年まで"),
                "{}",
                r.text
            );
        } else {
            // A five-digit year does not parse as a date at all: the body is
            // refused before any field is checked, and still names it.
            assert_eq!(error_fields(&r), ["held_on"], "{bad}: {}", r.text);
            assert!(
                detail_and_messages(&r).contains("2000〜2100年"),
                "{}",
                r.text
            );
        }
    }
    for ok in ["2000-01-01", "2100-12-31"] {
        let r = app
            .post(
                &format!("/api/wards/{ward}/meetings"),
                json!({ "held_on": ok, "title": "推進会議", "kind": "推進会議" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{ok}: {}", r.text);
    }
    let after = app.counts().await;
    assert_ne!(after, before, "the edge years were recorded");
}

#[tokio::test]
async fn a_due_date_outside_2000_to_2100_is_refused_in_a_transition() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let owner = app
        .member_with_email(ward, "佐藤 花子", "sato@clinic.example.jp")
        .await;
    let id = app.countermeasure(ward, 1, "資源マップの更新").await;
    for bad in ["0000-04-01", "1999-12-31", "2101-01-01"] {
        let r = app
            .transition(
                id,
                json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": bad }),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["evaluation_due_on"], "{bad}");
        assert!(
            r.text
                .contains("評価予定日は2000年から2100年までの日付で指定してください"),
            "{}",
            r.text
        );
    }
    let r = app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "10000-04-01" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["evaluation_due_on"], "{}", r.text);
    let r = app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2027-03-31", "on": "1999-04-01" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["on"]);
    // The countermeasure stayed where it was.
    let r = app.get(&format!("/api/countermeasures/{id}")).await;
    assert_eq!(r.body["stage"], "未具体化", "{}", r.text);
}

#[tokio::test]
async fn a_meeting_filter_outside_2000_to_2100_is_refused_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    for bad in BAD {
        for param in ["from", "to"] {
            let r = app
                .get(&format!("/api/wards/{ward}/meetings?{param}={bad}"))
                .await;
            assert_problem(&r, 422);
            assert_eq!(error_fields(&r), [param], "{bad}");
        }
    }
}

#[tokio::test]
async fn the_meeting_form_refuses_a_date_outside_2000_to_2100_with_its_label() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let before = app.counts().await;
    for bad in BAD {
        let resp = app
            .post_form(
                &format!("/wards/{ward}/meetings/new"),
                &[
                    ("held_on", bad),
                    ("title", "第3回推進会議"),
                    ("kind", "推進会議"),
                ],
            )
            .await;
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body.contains("開催日は2000年から2100年までの日付で指定してください")
                || body.contains("開催日は「2026-04-01」のように"),
            "{bad}: {body}"
        );
    }
    assert_eq!(app.counts().await, before);
}
