//! 地域の目指すべき姿 (issue 18): the municipality's scenes, its vision of a
//! plan period with a goal per scene, a ward's under it, the role rules and
//! the two pages.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, assert_problem, create_account_token, error_fields};
use renkei::accounts::Role;

const PERIOD: &str = "2024-2026";

fn vision_body() -> Value {
    json!({
        "text": "住み慣れた地域で、最期まで自分らしく暮らせるまち",
        "sharing": "事業計画に記載し関係者と共有",
        "cycle_years": 1,
        "goals": [
            { "scene": "看取り", "goal": "望む場所で最期を迎えられる" },
            { "scene": "日常の療養支援", "goal": "多職種で切れ目なく支える" },
            { "scene": "入退院支援", "goal": "入院時から退院後の生活を見据える" },
            { "scene": "急変時の対応", "goal": "急変時の連絡先を本人と共有する" },
            { "scene": "災害・感染症", "goal": "災害時も在宅療養を続けられる" },
        ],
    })
}

fn goal_scenes(v: &Value) -> Vec<String> {
    v["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["scene"].as_str().unwrap().to_string())
        .collect()
}

/// A client acting through `token` (no redirects followed).
async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> StatusCode {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_vision_with_goals_in_every_scene_and_a_ward_s_under_it_round_trip() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "南区"])
        .await;
    let m = app.municipality_of(wards[0]).await;

    let scenes = app.get(&format!("/api/municipalities/{m}/scenes")).await;
    assert_eq!(scenes.status, StatusCode::OK, "{}", scenes.text);
    assert_eq!(scenes.body.as_array().unwrap().len(), 4);
    assert_eq!(
        scenes.body[0],
        json!({ "name": "日常の療養支援", "national": true })
    );
    let added = app
        .post(
            &format!("/api/municipalities/{m}/scenes"),
            json!({ "name": " 災害・感染症 " }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(
        added.body[4],
        json!({ "name": "災害・感染症", "national": false })
    );

    let none = app
        .get(&format!("/api/municipalities/{m}/visions/{PERIOD}"))
        .await;
    assert_problem(&none, 404);

    let put = app
        .request(
            Method::PUT,
            &format!("/api/municipalities/{m}/visions/{PERIOD}"),
            Some(vision_body()),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let got = app
        .get(&format!("/api/municipalities/{m}/visions/{PERIOD}"))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body, put.body);
    assert_eq!(got.body["plan_period"], PERIOD);
    assert_eq!(got.body["plan_period_label"], "第9期（令和6〜8年度）");
    assert_eq!(got.body["sharing"], "事業計画に記載し関係者と共有");
    assert_eq!(got.body["cycle_label"], "1年");
    assert_eq!(got.body["ward_id"], Value::Null);
    // In the scene list's order, whatever the order sent.
    assert_eq!(
        goal_scenes(&got.body),
        [
            "日常の療養支援",
            "入退院支援",
            "急変時の対応",
            "看取り",
            "災害・感染症"
        ]
    );

    // Replacing it whole: a blank goal drops its scene.
    let mut changed = vision_body();
    changed["goals"][0]["goal"] = json!("  ");
    changed["cycle_years"] = json!(3);
    let put = app
        .request(
            Method::PUT,
            &format!("/api/municipalities/{m}/visions/{PERIOD}"),
            Some(changed),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["cycle_label"], "3年");
    assert!(!goal_scenes(&put.body).contains(&"看取り".to_string()));

    // The ward's own, under the municipality's.
    let w = wards[0];
    assert_problem(
        &app.get(&format!("/api/wards/{w}/visions/{PERIOD}")).await,
        404,
    );
    let ward_body = json!({
        "text": "北区の目指す姿",
        "sharing": "関係者と共有",
        "goals": [{ "scene": "災害・感染症", "goal": "避難先でも服薬を続けられる" }],
    });
    let put = app
        .request(
            Method::PUT,
            &format!("/api/wards/{w}/visions/{PERIOD}"),
            Some(ward_body),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["ward_id"], w);
    assert_eq!(put.body["cycle_years"], 1);
    let got = app.get(&format!("/api/wards/{w}/visions/{PERIOD}")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["text"], "北区の目指す姿");
    assert_eq!(goal_scenes(&got.body), ["災害・感染症"]);
    assert_eq!(got.body["municipality"]["cycle_years"], 3);
    assert_eq!(got.body["municipality"]["ward_id"], Value::Null);
    // The other ward has none; the municipality's stays its own.
    assert_problem(
        &app.get(&format!("/api/wards/{}/visions/{PERIOD}", wards[1]))
            .await,
        404,
    );
    let city = app
        .get(&format!("/api/municipalities/{m}/visions/{PERIOD}"))
        .await;
    assert_eq!(city.body["cycle_years"], 3);
    // Every write left its audit row: scene, 2 × vision, ward's vision.
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity IN ('scene', 'vision')")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(audited, 4);
}

#[tokio::test]
async fn an_unknown_scene_is_named_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.municipality_of(w).await;
    let path = format!("/api/municipalities/{m}/visions/{PERIOD}");
    // 災害・感染症 was not added to this municipality.
    let r = app.request(Method::PUT, &path, Some(vision_body())).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["goals.4.scene"]);
    assert!(r.text.contains("災害・感染症"), "{}", r.text);
    assert_eq!(app.count("visions").await, 0);
    assert_eq!(app.count("vision_goals").await, 0);

    let mut first = vision_body();
    first["goals"].as_array_mut().unwrap().pop();
    let r = app.request(Method::PUT, &path, Some(first)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let before = app.get(&path).await.body;
    let r = app
        .request(
            Method::PUT,
            &format!("/api/wards/{w}/visions/{PERIOD}"),
            Some(vision_body()),
        )
        .await;
    assert_problem(&r, 422);
    let r = app
        .request(
            Method::PUT,
            &path,
            Some(json!({ "text": "", "sharing": "関係者と共有", "cycle_years": 9 })),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["text", "cycle_years"]);
    assert_eq!(app.get(&path).await.body, before);
    assert_eq!(app.count("visions").await, 1);
    assert_eq!(app.count("vision_goals").await, 4);
    // 未設定 may leave the text blank.
    let r = app
        .request(
            Method::PUT,
            &path,
            Some(json!({ "text": "", "sharing": "未設定" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.count("vision_goals").await, 0);
}

#[tokio::test]
async fn a_malformed_plan_period_answers_with_the_accepted_form() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.municipality_of(w).await;
    for bad in ["2025-2027", "abc", "2026H2"] {
        for path in [
            format!("/api/municipalities/{m}/visions/{bad}"),
            format!("/api/wards/{w}/visions/{bad}"),
        ] {
            let r = app.get(&path).await;
            assert_problem(&r, 422);
            assert!(r.text.contains("2024-2026"), "{}", r.text);
            let r = app.request(Method::PUT, &path, Some(vision_body())).await;
            assert_problem(&r, 422);
        }
    }
    let (status, html) = app
        .page(&format!("/municipalities/{m}/plan?period=2025-2027"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("2024-2026"));
    assert_eq!(app.count("visions").await, 0);
}

#[tokio::test]
async fn members_and_viewers_cannot_change_a_vision_and_other_cities_see_none() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let other = app.municipality_with_wards("堺市", &["堺区"]).await;
    let (w, m) = (wards[0], app.municipality_of(wards[0]).await);
    let now = NOW.parse().unwrap();
    let token = |email: &'static str, role, ward| {
        let db = app.db.clone();
        async move { create_account_token(&db, email, role, Some(m), ward, now).await }
    };
    let member = token("iin@example.jp", Role::Member, Some(w)).await;
    let viewer = token("etsuran@example.jp", Role::Viewer, Some(w)).await;
    let city_viewer = token("shi-etsuran@example.jp", Role::Viewer, None).await;
    let secretariat = token("jimukyoku@example.jp", Role::Secretariat, Some(w)).await;
    let city = token("shi@example.jp", Role::City, None).await;
    let sakai_m = app.municipality_of(other[0]).await;
    let sakai = create_account_token(
        &app.db,
        "sakai@example.jp",
        Role::City,
        Some(sakai_m),
        None,
        now,
    )
    .await;

    let city_path = format!("/api/municipalities/{m}/visions/{PERIOD}");
    let ward_path = format!("/api/wards/{w}/visions/{PERIOD}");
    let mut body = vision_body();
    body["goals"].as_array_mut().unwrap().pop();
    for t in [&member, &viewer] {
        assert_eq!(
            send(&app, t, Method::PUT, &city_path, body.clone()).await,
            403
        );
        assert_eq!(
            send(&app, t, Method::PUT, &ward_path, body.clone()).await,
            403
        );
    }
    assert_eq!(
        send(&app, &city_viewer, Method::PUT, &city_path, body.clone()).await,
        403
    );
    assert_eq!(
        send(&app, &secretariat, Method::PUT, &city_path, body.clone()).await,
        403
    );
    let scenes = format!("/api/municipalities/{m}/scenes");
    assert_eq!(
        send(
            &app,
            &secretariat,
            Method::POST,
            &scenes,
            json!({ "name": "認知症" })
        )
        .await,
        403
    );
    assert_eq!(app.count("visions").await, 0);

    assert_eq!(
        send(&app, &city, Method::PUT, &city_path, body.clone()).await,
        200
    );
    assert_eq!(
        send(&app, &secretariat, Method::PUT, &ward_path, body.clone()).await,
        200
    );
    // Every account of the municipality reads its vision; the ward's
    // accounts read their ward's.
    for t in [&member, &viewer, &city_viewer, &secretariat] {
        assert_eq!(send(&app, t, Method::GET, &city_path, json!({})).await, 200);
        assert_eq!(send(&app, t, Method::GET, &ward_path, json!({})).await, 200);
        assert_eq!(send(&app, t, Method::GET, &scenes, json!({})).await, 200);
    }
    // Another municipality's account: as if none existed.
    for (method, path) in [
        (Method::GET, &city_path),
        (Method::PUT, &city_path),
        (Method::GET, &ward_path),
        (Method::PUT, &ward_path),
        (Method::GET, &scenes),
    ] {
        assert_eq!(
            send(&app, &sakai, method, path, body.clone()).await,
            404,
            "{path}"
        );
    }
    assert_eq!(
        send(
            &app,
            &sakai,
            Method::POST,
            &scenes,
            json!({ "name": "認知症" })
        )
        .await,
        404
    );
    assert_eq!(app.count("visions").await, 2);
}

#[tokio::test]
async fn a_scene_already_listed_is_a_conflict_and_a_blank_or_long_name_is_refused() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.municipality_of(w).await;
    let path = format!("/api/municipalities/{m}/scenes");
    assert_eq!(
        app.post(&path, json!({ "name": "災害・感染症" }))
            .await
            .status,
        StatusCode::CREATED
    );
    for taken in ["災害・感染症", "看取り"] {
        let r = app.post(&path, json!({ "name": taken })).await;
        assert_problem(&r, 409);
        assert!(r.text.contains(taken), "{}", r.text);
    }
    for bad in ["   ".to_string(), "あ".repeat(41)] {
        let r = app.post(&path, json!({ "name": bad })).await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["name"]);
    }
    assert_eq!(app.count("scenes").await, 1);
    assert_problem(&app.get("/api/municipalities/999999/scenes").await, 404);
    assert_problem(
        &app.post("/api/municipalities/999999/scenes", json!({ "name": "x" }))
            .await,
        404,
    );
}

#[tokio::test]
async fn the_plan_and_ward_pages_show_the_visions_and_a_bad_form_is_shown_again() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.municipality_of(w).await;
    let (status, html) = app.page(&format!("/municipalities/{m}/plan")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("第9期（令和6〜8年度）"), "{html}");
    assert!(html.contains("まだ設定されていません"));
    assert!(html.contains("第10期（令和9〜11年度）"));

    // A scene through the page's form, then a taken one.
    let r = app
        .post_form(
            &format!("/municipalities/{m}/scenes"),
            &[("period", PERIOD), ("name", "災害・感染症")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &format!("/municipalities/{m}/scenes"),
            &[("period", PERIOD), ("name", "看取り")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("場面「看取り」はすでにあります"), "{html}");

    // The vision form: scenes go by index, in the list's order.
    let mut form = vec![
        ("period", PERIOD.to_string()),
        ("text", "住み慣れた地域で暮らせるまち".to_string()),
        ("sharing", "関係者と共有".to_string()),
        ("cycle_years", "1".to_string()),
    ];
    for (i, scene) in [
        "日常の療養支援",
        "入退院支援",
        "急変時の対応",
        "看取り",
        "災害・感染症",
    ]
    .iter()
    .enumerate()
    {
        form.push((leak(format!("goals.{i}.scene")), scene.to_string()));
        form.push((leak(format!("goals.{i}.goal")), format!("{scene}の目標文")));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post_form(&format!("/municipalities/{m}/plan"), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app
        .page(&format!("/municipalities/{m}/plan?period={PERIOD}&saved=1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "住み慣れた地域で暮らせるまち",
        "関係者と共有",
        "災害・感染症の目標文",
        "保存しました",
    ] {
        assert!(html.contains(text), "{text}");
    }

    // A bad form: the message beside the field, nothing stored.
    let mut bad = fields.clone();
    bad[1] = ("text", "");
    bad[3] = ("cycle_years", "9");
    let r = app.post_form(&format!("/wards/{w}/vision"), &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("目指すべき姿を入力してください"), "{html}");
    assert!(html.contains(r#"id="cycle_years-error""#), "{html}");
    assert!(html.contains(r#"value="9""#));
    assert_eq!(app.count("visions").await, 1);

    let mut ward = fields.clone();
    ward[1] = ("text", "北区の目指す姿");
    let r = app.post_form(&format!("/wards/{w}/vision"), &ward).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.page(&format!("/wards/{w}/vision")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("北区の目指す姿") && html.contains("住み慣れた地域で暮らせるまち"));
    assert!(html.contains("<form"), "the operator may edit");

    // A ward's viewer reads both, without the form.
    let viewer = create_account_token(
        &app.db,
        "v@example.jp",
        Role::Viewer,
        Some(m),
        Some(w),
        NOW.parse().unwrap(),
    )
    .await;
    let (status, html) = app.page_as(&viewer, &format!("/wards/{w}/vision")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("北区の目指す姿") && !html.contains(r#"action="/wards/"#));
    let (status, html) = app
        .page_as(&viewer, &format!("/municipalities/{m}/plan"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("災害・感染症の目標文") && !html.contains("場面を追加する"));
}

/// A form key that lives for the test.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
