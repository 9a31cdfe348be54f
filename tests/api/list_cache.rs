//! The countermeasure list pages are remembered by the ward's data version
//! (`countermeasures::ListCache`): whatever changes what a page prints must
//! show on the next read, whichever instance made the change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp};

/// The JSON list of `ward`'s open countermeasures, first page of 50.
async fn listed(app: &TestApp, ward: i64) -> Value {
    let r = app
        .get(&format!(
            "/api/wards/{ward}/countermeasures?limit=50&offset=0"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn item(list: &Value, id: i64) -> Option<&Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
}

async fn html(app: &TestApp, ward: i64) -> String {
    let (status, page) = app.page(&format!("/wards/{ward}/countermeasures")).await;
    assert_eq!(status, 200);
    page
}

#[tokio::test]
async fn a_remembered_list_page_shows_every_change_at_once_from_any_instance() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("連携市", &["東区", "西区"])
        .await;
    let (east, west) = (wards[0], wards[1]);
    let owner = app.member(east, "東 医師").await;
    let a = app.countermeasure(east, 3, "訪問診療の連携").await;
    let b = app.countermeasure(east, 5, "退院支援の手順").await;

    // Read twice: the second read is the remembered page, the same.
    let first = listed(&app, east).await;
    assert_eq!(first["total"], 2);
    assert_eq!(listed(&app, east).await, first);
    let page = html(&app, east).await;
    assert!(page.contains("訪問診療の連携"));
    assert!(!page.contains("東 医師"), "no owner yet");

    // Another instance on the same database renames and plans `a`, already
    // overdue on this instance's day, with an owner and a scene.
    let other = app.server_at(NOW).await;
    app.send_to(
        &other,
        Method::PATCH,
        &format!("/api/countermeasures/{a}"),
        json!({ "title": "訪問診療の連携強化", "scenes": ["看取り", "日常の療養支援"] }),
    )
    .await;
    app.send_to(
        &other,
        Method::POST,
        &format!("/api/countermeasures/{a}/transitions"),
        json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2026-11-20" }),
    )
    .await;
    let now = listed(&app, east).await;
    let row = item(&now, a).expect("still listed");
    assert_eq!(row["title"], "訪問診療の連携強化");
    assert_eq!(row["stage"], "具体化");
    assert_eq!(row["overdue"], true);
    assert_eq!(row["owner_member_id"], owner);
    // Scenes in the national order, whatever order they were given in.
    assert_eq!(row["scenes"], json!(["日常の療養支援", "看取り"]));
    let page = html(&app, east).await;
    assert!(page.contains("訪問診療の連携強化"), "{page}");
    assert!(page.contains("東 医師"), "the owner's name");

    // A change in another ward leaves this ward's page as it was ...
    app.countermeasure(west, 2, "西区の対応策").await;
    assert_eq!(listed(&app, east).await, now);

    // ... the owner's new name shows on the page that prints it ...
    let r = app
        .patch(
            &format!("/api/members/{owner}"),
            json!({ "name": "東 在宅医" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let page = html(&app, east).await;
    assert!(page.contains("東 在宅医"), "renamed owner");
    assert!(!page.contains("東 医師"));

    // ... and an archived countermeasure leaves the open list at once.
    app.send_to(
        &other,
        Method::PATCH,
        &format!("/api/countermeasures/{b}"),
        json!({ "archived": true }),
    )
    .await;
    let after = listed(&app, east).await;
    assert_eq!(after["total"], 1);
    assert!(item(&after, b).is_none());
    assert!(!html(&app, east).await.contains("退院支援の手順"));
}
