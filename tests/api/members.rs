//! Committee members of a ward: create, read, list, partial update.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_problem, error_fields};

#[tokio::test]
async fn a_member_is_created_and_read_back_with_every_field() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let r = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({
                "name": " 在宅 花子 ",
                "organization": "北区訪問看護ステーション",
                "organization_kind": "訪問看護",
                "email": "hanako@example.jp"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let expected = json!({
        "id": id,
        "ward_id": ward,
        "name": "在宅 花子",
        "organization": "北区訪問看護ステーション",
        "organization_kind": "訪問看護",
        "email": "hanako@example.jp",
        "active": true,
    });
    assert_eq!(r.body, expected);
    let got = app.get(&format!("/api/members/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, expected);
    assert_eq!(app.count("audit_log").await, 2); // municipality, member
}

#[tokio::test]
async fn a_wards_members_are_listed_with_paging_and_former_members_on_request() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let a = app.member(wards[0], "委員 A").await;
    let b = app.member(wards[0], "委員 B").await;
    let c = app.member(wards[0], "委員 C").await;
    app.member(wards[1], "他区の委員").await;
    let r = app
        .patch(&format!("/api/members/{a}"), json!({ "active": false }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["active"], false);

    let all = app.get(&format!("/api/wards/{}/members", wards[0])).await;
    assert_eq!(all.status, StatusCode::OK);
    let ids: Vec<i64> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [b, c, a], "active first");
    assert_eq!(all.body["total"], 3);

    let active = app
        .get(&format!("/api/wards/{}/members?active_only=true", wards[0]))
        .await;
    assert_eq!(active.body["total"], 2);
    assert_eq!(active.body["items"].as_array().unwrap().len(), 2);

    let page = app
        .get(&format!("/api/wards/{}/members?limit=1&offset=1", wards[0]))
        .await;
    assert_eq!(page.body["total"], 3);
    assert_eq!(page.body["limit"], 1);
    assert_eq!(page.body["offset"], 1);
    assert_eq!(page.body["items"][0]["id"], c);
}

#[tokio::test]
async fn members_of_an_unknown_ward_are_not_found() {
    let app = TestApp::spawn().await;
    assert_problem(&app.get("/api/wards/999/members").await, 404);
    let r = app
        .post(
            "/api/wards/999/members",
            json!({ "name": "誰か", "organization_kind": "医師会" }),
        )
        .await;
    assert_problem(&r, 404);
    assert_eq!(app.count("members").await, 0);
}

#[tokio::test]
async fn an_unknown_member_is_not_found() {
    let app = TestApp::spawn().await;
    assert_problem(&app.get("/api/members/999").await, 404);
    assert_problem(
        &app.patch("/api/members/999", json!({ "name": "x" })).await,
        404,
    );
    assert_eq!(app.count("audit_log").await, 0);
}

#[tokio::test]
async fn a_member_with_a_malformed_email_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let before = app.counts().await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": "在宅 花子", "organization_kind": "医師会", "email": "hanako@example" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["email"]);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn a_member_with_a_blank_name_or_an_unknown_organization_kind_is_refused() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let before = app.counts().await;
    let blank = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": "  ", "organization_kind": "医師会" }),
        )
        .await;
    assert_problem(&blank, 422);
    assert_eq!(error_fields(&blank), ["name"]);
    let kind = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": "在宅 花子", "organization_kind": "商工会" }),
        )
        .await;
    assert_problem(&kind, 422);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn patching_a_malformed_email_is_refused_and_leaves_the_member_unchanged() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let id = app.member(ward, "在宅 花子").await;
    let path = format!("/api/members/{id}");
    let before_member = app.get(&path).await.body;
    let before = app.counts().await;
    let r = app
        .patch(
            &path,
            json!({ "name": "新しい名前", "email": "no at sign" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["email"]);
    assert_eq!(app.counts().await, before);
    assert_eq!(app.get(&path).await.body, before_member);
}

#[tokio::test]
async fn a_patch_changes_only_the_fields_it_names_and_email_null_clears_the_address() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let id = app.member(ward, "在宅 花子").await;
    let path = format!("/api/members/{id}");
    let original = app.get(&path).await.body;
    assert!(original["email"].is_string());

    let r = app
        .patch(&path, json!({ "organization_kind": "病院" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["organization_kind"], "病院");
    assert_eq!(r.body["email"], original["email"], "absent email stays");
    assert_eq!(r.body["name"], original["name"]);

    let cleared = app.patch(&path, json!({ "email": null })).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert!(cleared.body["email"].is_null());
    assert!(app.get(&path).await.body["email"].is_null());

    let set = app.patch(&path, json!({ "email": "new@example.jp" })).await;
    assert_eq!(set.body["email"], "new@example.jp");
    // One audit row per write (municipality, create + three patches).
    assert_eq!(app.count("audit_log").await, 5);
}

#[tokio::test]
async fn addresses_follow_one_rule_on_entry_folded_refused_or_kept_for_quoting() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let path = format!("/api/wards/{ward}/members");
    let create = |email: &str| {
        app.post(
            &path,
            serde_json::json!({ "name": "見本 花子", "organization": "訪問看護", "organization_kind": "訪問看護", "email": email }),
        )
    };
    // Typed with the IME on: stored as the ASCII address it stands for.
    let r = create("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["email"], "hanako@example.jp");
    // An old carrier form is kept as typed (the sender quotes it).
    let r = create("hanako..x.@docomo.ne.jp").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["email"], "hanako..x.@docomo.ne.jp");
    let before = app.count("members").await;
    for bad in [
        "花子@example.jp",
        "hanako@例え.jp",
        "hanako@example",
        "a@b@example.jp",
    ] {
        let r = create(bad).await;
        assert_eq!(r.status.as_u16(), 422, "{bad}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "email", "{bad}: {}", r.text);
    }
    assert_eq!(app.count("members").await, before);
    // The ward's secretariat address follows the same rule.
    let r = app
        .patch(
            &format!("/api/wards/{ward}"),
            serde_json::json!({ "secretariat_email": "ｊｉｍｕ＠ｅｘａｍｐｌｅ．ｊｐ" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["secretariat_email"], "jimu@example.jp");
    let r = app
        .patch(
            &format!("/api/wards/{ward}"),
            serde_json::json!({ "secretariat_email": "事務局@example.jp" }),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
}
