//! The Japanese web UI, driven as a browser without JavaScript would:
//! GET pages, POST URL-encoded forms, follow 303 redirects by hand.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// The first demo ward (北区) and its municipality.
async fn kita(app: &TestApp) -> (i64, i64) {
    let wards = app.get("/api/wards").await;
    let w = &wards.body["items"][0];
    assert_eq!(w["name"], "北区", "{}", wards.text);
    (
        w["id"].as_i64().unwrap(),
        w["municipality_id"].as_i64().unwrap(),
    )
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Posts a form and expects a 303 to a page; returns its path.
async fn post_ok(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
    let resp = app.post_form(path, fields).await;
    let status = resp.status();
    let to = location(&resp);
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{path}: {text}");
    to
}

async fn ok_page(app: &TestApp, path: &str) -> String {
    let (status, body) = app.page(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert!(body.contains(r#"<html lang="ja">"#), "{path}");
    body
}

#[tokio::test]
async fn every_page_renders_in_japanese_with_the_demo_data() {
    let app = TestApp::spawn_with_demo().await;
    let (ward, city) = kita(&app).await;
    let member = items(&app.get(&format!("/api/wards/{ward}/members")).await.body)[0]["id"]
        .as_i64()
        .unwrap();
    let meeting = items(&app.get(&format!("/api/wards/{ward}/meetings")).await.body)[0]["id"]
        .as_i64()
        .unwrap();
    let cm = items(
        &app.get(&format!("/api/wards/{ward}/countermeasures"))
            .await
            .body,
    )[0]["id"]
        .as_i64()
        .unwrap();

    let home = ok_page(&app, "/").await;
    assert!(home.contains("大阪市") && home.contains("北区"));
    assert!(home.contains(&format!(r#"href="/wards/{ward}""#)));
    assert!(home.contains(&format!(r#"href="/city/{city}""#)));

    let city_page = ok_page(&app, &format!("/city/{city}")).await;
    for label in [
        "北区",
        "西成区",
        "あてはまる",
        "あてはまらない",
        "未具体化",
        "評価期限超過",
        "令和8年度下半期",
    ] {
        assert!(city_page.contains(label), "city view lacks {label}");
    }
    assert!(city_page.contains(r#"<th scope="row">"#));

    let dash = ok_page(&app, &format!("/wards/{ward}")).await;
    for label in [
        "北区",
        "令和8年度下半期",
        "あてはまる",
        "未具体化",
        "評価期限を過ぎた対応策",
        "日超過",
        "地域住民の普及啓発について",
    ] {
        assert!(dash.contains(label), "dashboard lacks {label}");
    }

    let members = ok_page(&app, &format!("/wards/{ward}/members")).await;
    assert!(members.contains("見本 一郎") && members.contains("在任"));
    let new_member = ok_page(&app, &format!("/wards/{ward}/members/new")).await;
    assert!(
        new_member.contains(r#"<label for="name">氏名"#)
            && new_member.contains("地域包括支援センター")
    );
    let edit_member = ok_page(&app, &format!("/members/{member}/edit")).await;
    assert!(edit_member.contains("見本 一郎"));

    let meetings = ok_page(&app, &format!("/wards/{ward}/meetings")).await;
    assert!(meetings.contains("推進会議") && meetings.contains("開催日"));
    let new_meeting = ok_page(&app, &format!("/wards/{ward}/meetings/new")).await;
    assert!(
        new_meeting.contains("情報共有のルールの策定について") && new_meeting.contains("見本 二美")
    );
    let detail = ok_page(&app, &format!("/meetings/{meeting}")).await;
    assert!(detail.contains("出席者") && detail.contains("この会議を削除する"));
    ok_page(&app, &format!("/meetings/{meeting}/edit")).await;

    let list = ok_page(&app, &format!("/wards/{ward}/countermeasures")).await;
    assert!(list.contains("具体化") && list.contains("絞り込む"));
    let overdue = ok_page(
        &app,
        &format!("/wards/{ward}/countermeasures?overdue=1&stage=%E5%85%B7%E4%BD%93%E5%8C%96"),
    )
    .await;
    assert!(overdue.contains("評価期限超過"));
    let new_cm = ok_page(&app, &format!("/wards/{ward}/countermeasures/new")).await;
    assert!(new_cm.contains("看取り") && new_cm.contains(r#"<label for="title">対応策"#));
    let cm_page = ok_page(&app, &format!("/countermeasures/{cm}")).await;
    assert!(cm_page.contains("経過") && cm_page.contains("登録"));
    ok_page(&app, &format!("/countermeasures/{cm}/edit")).await;

    let css = app
        .client
        .get(app.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.text().await.unwrap().contains("Noto Sans JP"));
    app.stop().await;
}

#[tokio::test]
async fn the_home_page_explains_how_to_add_a_municipality_when_there_is_none() {
    let app = TestApp::spawn().await;
    let body = ok_page(&app, "/").await;
    assert!(body.contains("自治体が登録されていません"));
    assert!(body.contains("renkei municipality add") && body.contains("POST /api/municipalities"));
    app.stop().await;
}

#[tokio::test]
async fn a_member_added_and_edited_through_the_forms_is_stored() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("テスト市", &["東区"]).await[0];
    let to = post_ok(
        &app,
        &format!("/wards/{ward}/members/new"),
        &[
            ("name", "試験 花子"),
            ("organization", "東区医師会"),
            ("organization_kind", "医師会"),
            ("email", "hanako@example.jp"),
            ("active", "1"),
        ],
    )
    .await;
    assert_eq!(to, format!("/wards/{ward}/members"));
    let list = app.get(&format!("/api/wards/{ward}/members")).await;
    let m = &items(&list.body)[0];
    assert_eq!(
        (m["name"].as_str(), m["active"].as_bool()),
        (Some("試験 花子"), Some(true))
    );
    let id = m["id"].as_i64().unwrap();

    // Unticking 在任 retires the member; an empty e-mail clears it.
    post_ok(
        &app,
        &format!("/members/{id}/edit"),
        &[
            ("name", "試験 花子"),
            ("organization", "東区医師会"),
            ("organization_kind", "病院"),
            ("email", ""),
        ],
    )
    .await;
    let m = app.get(&format!("/api/members/{id}")).await.body;
    assert_eq!(m["active"], false);
    assert_eq!(m["organization_kind"], "病院");
    assert!(m["email"].is_null());

    // A bad address comes back beside its field, nothing stored.
    let resp = app
        .post_form(
            &format!("/wards/{ward}/members/new"),
            &[
                ("name", "例示 次郎"),
                ("organization_kind", "医師会"),
                ("email", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(r#"id="email-error">メールアドレスの形式が正しくありません"#),
        "{body}"
    );
    assert!(body.contains(r#"aria-invalid="true" aria-describedby="email-hint email-error""#));
    assert!(
        body.contains(r#"value="例示 次郎""#),
        "typed values are kept"
    );
    // Every problem at once, the summary in the form's order: the name (a
    // rule) before the kind (unreadable) before the address (a rule).
    let resp = app
        .post_form(
            &format!("/wards/{ward}/members/new"),
            &[
                ("name", ""),
                ("organization", "例示病院"),
                ("organization_kind", ""),
                ("email", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    let summary = &body[body.find("error-summary").expect("summary")..];
    let at = |anchor: &str| {
        summary
            .find(&format!(r##"href="#{anchor}""##))
            .unwrap_or_else(|| panic!("{anchor} missing: {summary}"))
    };
    assert!(
        at("name") < at("organization_kind") && at("organization_kind") < at("email"),
        "{summary}"
    );
    assert_eq!(app.count("members").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_meeting_recorded_through_the_form_keeps_its_ticked_topics_and_attendees() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("テスト市", &["東区"]).await[0];
    let a = app.member(ward, "見本 一郎").await;
    let b = app.member(ward, "見本 二美").await;
    let _c = app.member(ward, "試験 三郎").await;
    let (a_s, b_s) = (a.to_string(), b.to_string());
    let to = post_ok(
        &app,
        &format!("/wards/{ward}/meetings/new"),
        &[
            ("held_on", "2026-11-10"),
            ("title", "第2回 在宅医療・介護連携推進会議"),
            ("kind", "推進会議"),
            ("attendee_ids", &a_s),
            ("attendee_ids", &b_s),
            ("topics", "3"),
            ("topics", "7"),
            ("topics", "1"),
            ("minutes", "情報共有シートについて協議した。"),
        ],
    )
    .await;
    let id: i64 = to
        .trim_start_matches("/meetings/")
        .parse()
        .expect("redirect to the meeting");
    let m = app.get(&format!("/api/meetings/{id}")).await.body;
    assert_eq!(m["topics"], serde_json::json!([1, 3, 7]));
    assert_eq!(m["attendee_ids"], serde_json::json!([a, b]));
    assert_eq!(m["kind"], "推進会議");

    let detail = ok_page(&app, &to).await;
    assert!(detail.contains("3. 情報共有のルールの策定について"));
    assert!(detail.contains("見本 一郎、見本 二美"));

    // The edit form shows the ticks; unticking a topic removes it.
    let edit = ok_page(&app, &format!("/meetings/{id}/edit")).await;
    assert!(edit.contains(r#"id="topic-7" name="topics" value="7" checked"#));
    assert!(!edit.contains(r#"id="topic-2" name="topics" value="2" checked"#));
    post_ok(
        &app,
        &format!("/meetings/{id}/edit"),
        &[
            ("held_on", "2026-11-10"),
            ("title", "第2回"),
            ("kind", "実務者会議"),
            ("topics", "7"),
        ],
    )
    .await;
    let m = app.get(&format!("/api/meetings/{id}")).await.body;
    assert_eq!(m["topics"], serde_json::json!([7]));
    assert_eq!(m["attendee_ids"], serde_json::json!([]));
    app.stop().await;
}

/// A ward with one member and a fresh 未具体化 countermeasure made through the form.
async fn ward_with_countermeasure(app: &TestApp) -> (i64, i64, i64) {
    let ward = app.municipality_with_wards("テスト市", &["東区"]).await[0];
    let owner = app.member(ward, "見本 一郎").await;
    let to = post_ok(
        app,
        &format!("/wards/{ward}/countermeasures/new"),
        &[
            ("topic", "3"),
            ("scenes", "入退院支援"),
            ("scenes", "看取り"),
            ("title", "入退院時の情報共有シートの作成"),
            ("issue", "退院時に情報が届かない"),
            ("plan", "様式を統一する"),
            ("owner_member_id", ""),
            ("evaluation_due_on", ""),
            ("meeting_id", ""),
            ("actor", "事務局 田中"),
        ],
    )
    .await;
    let id: i64 = to
        .trim_start_matches("/countermeasures/")
        .parse()
        .expect("redirect to the countermeasure");
    (ward, owner, id)
}

#[tokio::test]
async fn a_countermeasure_climbs_the_ladder_through_the_forms_and_the_timeline_shows_each_step() {
    let app = TestApp::spawn().await;
    let (_ward, owner, id) = ward_with_countermeasure(&app).await;
    let cm = app.get(&format!("/api/countermeasures/{id}")).await.body;
    assert_eq!(cm["stage"], "未具体化");
    assert_eq!(cm["scenes"], serde_json::json!(["入退院支援", "看取り"]));

    let page = ok_page(&app, &format!("/countermeasures/{id}")).await;
    assert!(
        page.contains("「具体化」に進める"),
        "the next stage is the primary action"
    );
    assert!(page.contains(r#"<label for="adv-evaluation_due_on">評価予定日"#));

    let owner_s = owner.to_string();
    post_ok(
        &app,
        &format!("/countermeasures/{id}/transition"),
        &[
            ("form", "advance"),
            ("to", "具体化"),
            ("owner_member_id", &owner_s),
            ("evaluation_due_on", "2027-01-31"),
            ("on", "2026-11-20"),
            ("actor", "事務局 田中"),
            ("note", "第2回推進会議で決定"),
        ],
    )
    .await;
    let cm = app.get(&format!("/api/countermeasures/{id}")).await.body;
    assert_eq!(cm["stage"], "具体化");
    assert_eq!(cm["owner_member_id"], owner);

    let page = ok_page(&app, &format!("/countermeasures/{id}")).await;
    assert!(
        page.contains("「評価改善」に進める")
            && page.contains(r#"<label for="adv-evaluation">評価"#)
    );
    post_ok(
        &app,
        &format!("/countermeasures/{id}/transition"),
        &[
            ("form", "advance"),
            ("to", "評価改善"),
            ("evaluation", "全病院で運用開始"),
            ("improvement", "診療所にも広げる"),
            ("verdict", "B"),
            ("verdict_reason", "目標の一部を達成"),
            ("on", ""),
            ("actor", "事務局 田中"),
        ],
    )
    .await;
    let cm = app.get(&format!("/api/countermeasures/{id}")).await.body;
    assert_eq!(cm["stage"], "評価改善");

    let page = ok_page(&app, &format!("/countermeasures/{id}")).await;
    for text in [
        "2026-11-20（令和8年11月20日） 段階を進めた：未具体化 → 具体化",
        "2026-11-24（令和8年11月24日） 段階を進めた：具体化 → 評価改善",
        "メモ: 第2回推進会議で決定",
        "評価: 全病院で運用開始",
        "改善: 診療所にも広げる",
        "達成度: B 一部達成",
        "達成度の理由: 目標の一部を達成",
        "実施者: 事務局 田中",
        "段階を「具体化」に戻す",
        r#"action="/countermeasures/"#,
        "<h2>次のサイクルへ</h2>",
        "在宅療養の場面</dt><dd>入退院支援・看取り</dd>",
    ] {
        assert!(page.contains(text), "timeline lacks {text}");
    }
    assert_eq!(app.count("countermeasure_events").await, 3);

    // Stepping back needs a reason; archiving then reopening is recorded.
    let resp = app
        .post_form(
            &format!("/countermeasures/{id}/transition"),
            &[("form", "back"), ("to", "具体化"), ("note", "")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(r#"id="back-note-error">段階を戻すには理由を入力してください"#),
        "{body}"
    );
    post_ok(
        &app,
        &format!("/countermeasures/{id}/archive"),
        &[("archived", "true"), ("note", "事業終了")],
    )
    .await;
    let cm = app.get(&format!("/api/countermeasures/{id}")).await.body;
    assert_eq!(cm["archived"], true);
    assert!(
        ok_page(&app, &format!("/countermeasures/{id}"))
            .await
            .contains("再開する")
    );
    app.stop().await;
}

#[tokio::test]
async fn planning_without_a_due_date_shows_the_message_beside_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_ward, owner, id) = ward_with_countermeasure(&app).await;
    let before = app.count("countermeasure_events").await;
    let owner_s = owner.to_string();
    let resp = app
        .post_form(
            &format!("/countermeasures/{id}/transition"),
            &[
                ("form", "advance"),
                ("to", "具体化"),
                ("owner_member_id", &owner_s),
                ("evaluation_due_on", ""),
                ("note", "入力途中のメモ"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(body.contains(r#"role="alert""#));
    assert!(
        body.contains(r#"<p class="field-error" id="adv-evaluation_due_on-error">具体化するには評価予定日を指定してください</p>"#),
        "{body}"
    );
    assert!(body.contains(r#"aria-invalid="true" aria-describedby="adv-evaluation_due_on-error""#));
    assert!(
        body.contains("入力途中のメモ"),
        "what the user typed is kept"
    );
    assert_eq!(app.count("countermeasure_events").await, before);
    let cm = app.get(&format!("/api/countermeasures/{id}")).await.body;
    assert_eq!(cm["stage"], "未具体化");
    app.stop().await;
}

#[tokio::test]
async fn a_bad_date_gives_a_japanese_message_beside_the_field_not_a_400() {
    let app = TestApp::spawn().await;
    let (ward, _owner, id) = ward_with_countermeasure(&app).await;

    let resp = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-02-30"),
                ("title", ""),
                ("kind", "推進会議"),
                ("topics", "3"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(
            r#"id="held_on-error">開催日は「2026-04-01」のように年-月-日の形式で入力してください"#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#"id="title-error">会議名を入力してください"#),
        "other messages come at once"
    );
    assert!(body.contains(r#"value="2026-02-30""#));
    assert_eq!(app.count("meetings").await, 0);

    let before = app.count("countermeasure_events").await;
    let resp = app
        .post_form(
            &format!("/countermeasures/{id}/transition"),
            &[
                ("form", "advance"),
                ("to", "具体化"),
                ("owner_member_id", "abc"),
                ("evaluation_due_on", "来月末"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(r#"id="adv-evaluation_due_on-error">評価予定日は「2026-04-01」"#),
        "{body}"
    );
    assert!(body.contains(r#"id="adv-owner_member_id-error">担当者の値が正しくありません"#));
    assert_eq!(app.count("countermeasure_events").await, before);
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_meeting_a_countermeasure_came_from_is_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("テスト市", &["東区"]).await[0];
    let to = post_ok(
        &app,
        &format!("/wards/{ward}/meetings/new"),
        &[
            ("held_on", "2026-11-10"),
            ("title", "第2回推進会議"),
            ("kind", "推進会議"),
        ],
    )
    .await;
    let meeting = to.trim_start_matches("/meetings/").to_string();
    post_ok(
        &app,
        &format!("/wards/{ward}/countermeasures/new"),
        &[
            ("topic", "5"),
            ("title", "顔の見える関係づくり研修"),
            ("meeting_id", &meeting),
        ],
    )
    .await;

    let resp = app
        .post_form(&format!("/meetings/{meeting}/delete"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(body.contains("会議を削除できませんでした"));
    assert!(
        body.contains("この会議で決定した対応策が1件あるため削除できません"),
        "{body}"
    );
    assert_eq!(app.count("meetings").await, 1);

    // Without a countermeasure referring to it, the meeting goes.
    let other = post_ok(
        &app,
        &format!("/wards/{ward}/meetings/new"),
        &[
            ("held_on", "2026-11-11"),
            ("title", "研修会"),
            ("kind", "研修会"),
        ],
    )
    .await;
    let to = post_ok(&app, &format!("{other}/delete"), &[]).await;
    assert_eq!(to, format!("/wards/{ward}/meetings"));
    assert_eq!(app.count("meetings").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn unknown_ids_and_paths_give_a_japanese_404_page() {
    let app = TestApp::spawn_with_demo().await;
    for path in [
        "/wards/9999",
        "/wards/9999/members",
        "/wards/9999/meetings/new",
        "/wards/9999/countermeasures",
        "/city/9999",
        "/members/9999/edit",
        "/meetings/9999",
        "/countermeasures/9999",
        "/countermeasures/abc",
        "/no-such-page",
    ] {
        let (status, body) = app.page(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains(r#"<html lang="ja">"#), "{path}");
        assert!(body.contains("見つかりません"), "{path}: {body}");
    }
    let resp = app.post_form("/meetings/9999/delete", &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("指定された会議は見つかりません")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_city_sets_up_a_municipality_and_its_wards_through_the_forms() {
    let app = TestApp::spawn().await;
    assert!(ok_page(&app, "/").await.contains("/municipalities/new"));
    assert!(
        ok_page(&app, "/municipalities/new")
            .await
            .contains("自治体名")
    );

    let city = post_ok(
        &app,
        "/municipalities/new",
        &[("name", "堺市"), ("wards", "堺区\r\n\r\n 北区 \r\n")],
    )
    .await;
    assert!(city.starts_with("/city/"), "{city}");
    let wards = items(&app.get("/api/wards").await.body);
    let names: Vec<&str> = wards.iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["堺区", "北区"]);

    // A municipality without wards is one area named after it.
    post_ok(
        &app,
        "/municipalities/new",
        &[("name", "河南町"), ("wards", "")],
    )
    .await;
    let all = items(&app.get("/api/municipalities").await.body);
    assert_eq!(all[1]["single_area"], true);

    // The same name again: refused with the reason on the page, nothing added.
    let before = app.count("municipalities").await;
    let resp = app
        .post_form("/municipalities/new", &[("name", "堺市"), ("wards", "")])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("同じ名称の自治体が既に登録されています")
    );
    let resp = app
        .post_form("/municipalities/new", &[("name", " "), ("wards", "")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("名称を入力してください") && html.contains(r#"aria-invalid="true""#));
    // A repeated ward is named by the line it was typed on (blank lines
    // count), beside the text area and linked from the summary.
    let resp = app
        .post_form(
            "/municipalities/new",
            &[("name", "岸和田市"), ("wards", "北区\r\n\r\n南区\r\n北区")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("4行目: 区の名称が重複しています"), "{html}");
    assert!(
        html.contains(r#"aria-invalid="true" aria-describedby="wards-hint wards-error""#),
        "{html}"
    );
    assert!(html.contains(r#"id="wards-error""#) && html.contains(r##"href="#wards""##));
    assert!(
        html.contains(">北区\r\n\r\n南区\r\n北区</textarea>"),
        "the text is kept"
    );
    assert_eq!(app.count("municipalities").await, before);

    // A ward added later, then renamed and reordered.
    let ward_page = post_ok(&app, &format!("{city}/wards/new"), &[("name", "中区")]).await;
    let ward_id: i64 = ward_page.trim_start_matches("/wards/").parse().unwrap();
    assert_eq!(
        app.get(&format!("/api/wards/{ward_id}")).await.body["sort_order"],
        3
    );
    let resp = app
        .post_form(
            &format!("/wards/{ward_id}/edit"),
            &[("name", "中区"), ("sort_order", "一")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("表示順は整数で入力してください")
    );
    post_ok(
        &app,
        &format!("/wards/{ward_id}/edit"),
        &[("name", "堺市中区"), ("sort_order", "0")],
    )
    .await;
    let ward = app.get(&format!("/api/wards/{ward_id}")).await.body;
    assert_eq!(
        (ward["name"].as_str(), ward["sort_order"].as_i64()),
        (Some("堺市中区"), Some(0))
    );
    assert!(
        ok_page(&app, &format!("/wards/{ward_id}/edit"))
            .await
            .contains("堺市中区")
    );
}
