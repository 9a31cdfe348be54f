//! The service's fixed surface: health, the topic catalogue, the OpenAPI
//! spec and Swagger UI, municipalities, and a graceful stop.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_problem, error_fields};

/// The ten topics as DOMAIN.md quotes them from the source.
const TOPIC_LABELS: [&str; 10] = [
    "地域の医療・介護にかかわる資源の充足状況について",
    "在宅医療・介護連携の取組の状況について",
    "情報共有のルールの策定について",
    "切れ目のない在宅医療・介護連携の提供体制の構築について",
    "医療・介護のネットワークづくりについて",
    "医療・介護の関係者やの連携担当者の顔の見える関係づくりについて",
    "地域住民の普及啓発について",
    "地域における在宅医療・介護連携に関する目標の設定について",
    "地域における在宅医療・介護連携の取組を評価する",
    "在宅医療・介護連携推進事業の進捗管理について",
];

#[tokio::test]
async fn health_answers_ok_when_the_database_responds() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/health").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["database"], "ok");
}

#[tokio::test]
async fn topics_are_the_ten_of_the_catalogue_numbered_one_to_ten() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/topics").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    for (i, (item, label)) in items.iter().zip(TOPIC_LABELS).enumerate() {
        assert_eq!(item["number"], i as i64 + 1);
        assert_eq!(item["label"], label);
    }
    assert_eq!(items[6]["label"], "地域住民の普及啓発について");
}

#[tokio::test]
async fn the_openapi_spec_lists_every_operation_with_its_problem_responses() {
    let app = TestApp::spawn().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let spec: serde_json::Value = serde_json::from_str(&r.text).expect("the spec is JSON");
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().expect("paths");
    let expected = [
        ("/health", vec!["get"]),
        ("/topics", vec!["get"]),
        ("/municipalities", vec!["get", "post"]),
        ("/wards", vec!["get", "post"]),
        ("/wards/{ward_id}", vec!["get", "patch"]),
        ("/wards/{ward_id}/members", vec!["get", "post"]),
        ("/members/{id}", vec!["get", "patch"]),
        ("/wards/{ward_id}/meetings", vec!["get", "post"]),
        ("/meetings/{id}", vec!["get", "patch", "delete"]),
        ("/wards/{ward_id}/countermeasures", vec!["get", "post"]),
        ("/countermeasures/{id}", vec!["get", "patch"]),
        ("/countermeasures/{id}/transitions", vec!["post"]),
        ("/countermeasures/{id}/history", vec!["get"]),
    ];
    for (path, methods) in &expected {
        let ops = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the spec"));
        for m in methods {
            assert!(ops.get(*m).is_some(), "{m} {path} missing from the spec");
        }
    }
    // The ladder's refusals are in the spec, as problem+json.
    let transition = &paths["/countermeasures/{id}/transitions"]["post"]["responses"];
    for status in ["404", "409", "422"] {
        let content = &transition[status]["content"];
        assert!(
            content.get("application/problem+json").is_some(),
            "transition {status}: {content}"
        );
    }
    let delete = &paths["/meetings/{id}"]["delete"]["responses"];
    assert!(delete.get("204").is_some() && delete.get("409").is_some());
    // Servers point at /api so the paths above resolve.
    assert_eq!(spec["servers"][0]["url"], "/api");
    // Stage values are the domain's codes.
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let stage = schemas.get("Stage").expect("Stage schema");
    let values: Vec<&str> = stage["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(values, ["未具体化", "具体化", "評価改善"]);
}

#[tokio::test]
async fn swagger_ui_is_served_as_html() {
    let app = TestApp::spawn().await;
    let (status, body) = app.page("/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("swagger"), "{body}");
    assert!(body.to_lowercase().contains("<html"));
}

#[tokio::test]
async fn an_unknown_api_route_is_a_problem_404() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/no-such-thing").await;
    assert_problem(&r, 404);
}

#[tokio::test]
async fn a_municipality_is_created_with_its_wards_in_order() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/municipalities",
            json!({ "name": "大阪市", "wards": ["北区", "都島区", "福島区"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["name"], "大阪市");
    assert_eq!(r.body["single_area"], false);
    assert_eq!(r.body["ward_count"], 3);
    let id = r.body["id"].as_i64().unwrap();

    let list = app.get("/api/municipalities").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["id"], id);

    let wards = app.get(&format!("/api/wards?municipality_id={id}")).await;
    let names: Vec<&str> = wards.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["北区", "都島区", "福島区"]);
}

#[tokio::test]
async fn a_municipality_without_wards_becomes_one_area_named_like_it() {
    let app = TestApp::spawn().await;
    let r = app
        .post("/api/municipalities", json!({ "name": "小平市" }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["single_area"], true);
    assert_eq!(r.body["ward_count"], 1);
    let id = r.body["id"].as_i64().unwrap();
    let wards = app.get(&format!("/api/wards?municipality_id={id}")).await;
    let items = wards.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "小平市");
    assert_eq!(items[0]["municipality_id"], id);
}

#[tokio::test]
async fn a_duplicate_municipality_name_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.municipality_with_wards("大阪市", &["北区"]).await;
    let before = app.counts().await;
    let r = app
        .post(
            "/api/municipalities",
            json!({ "name": "大阪市", "wards": ["南区"] }),
        )
        .await;
    assert_problem(&r, 409);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn a_municipality_with_a_blank_name_or_repeated_wards_is_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let before = app.counts().await;
    let r = app
        .post(
            "/api/municipalities",
            json!({ "name": "  ", "wards": ["北区", "北区"] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["name", "wards[1]"]);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_problem_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/municipalities"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(app.count("municipalities").await, 0);

    let resp = app
        .client
        .post(app.url("/api/municipalities"))
        .body(r#"{"name":"大阪市"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(app.count("municipalities").await, 0);
}

#[tokio::test]
async fn the_server_stops_gracefully_and_then_refuses_connections() {
    let app = TestApp::spawn().await;
    let url = app.url("/api/health");
    let client = app.client.clone();
    assert_eq!(app.get("/api/health").await.status, StatusCode::OK);
    // `stop` unwraps the server's result: it panics unless the stop was clean.
    app.stop().await;
    assert!(client.get(&url).send().await.is_err());
}

#[tokio::test]
async fn the_spec_declares_what_the_api_answers() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let spec: serde_json::Value = reqwest::get(app.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &spec["components"]["schemas"];
    // An absent address comes back as null, and the spec says it may.
    let m = app.member(ward, "仕様 確認").await;
    let patched = app
        .patch(
            &format!("/api/members/{m}"),
            serde_json::json!({ "email": null }),
        )
        .await;
    assert!(patched.body["email"].is_null(), "{}", patched.text);
    assert_eq!(schemas["Member"]["properties"]["email"]["nullable"], true);
    // A 404 problem has no `errors`, and the spec does not require them.
    let missing = app.get("/api/members/999999").await;
    assert_eq!(missing.status.as_u16(), 404);
    assert!(missing.body.get("errors").is_none());
    let required = schemas["Problem"]["required"].as_array().unwrap();
    assert!(!required.iter().any(|r| r == "errors"), "{required:?}");
    // A form body where JSON is expected: 415, documented; 401 everywhere but health.
    let r = app
        .client
        .post(app.url(&format!("/api/wards/{ward}/members")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let post = &spec["paths"]["/wards/{ward_id}/members"]["post"]["responses"];
    for code in ["401", "413", "415", "422"] {
        assert!(post.get(code).is_some(), "{code} undocumented: {post}");
    }
    assert!(
        spec["paths"]["/topics"]["get"]["responses"]
            .get("401")
            .is_some()
    );
    assert!(
        spec["paths"]["/health"]["get"]["responses"]
            .get("401")
            .is_none()
    );
    // A 405 names what the path takes.
    let r = app.client.put(app.url("/api/health")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "GET");
    // Ranges the rules enforce are in the spec.
    let topic = &schemas["NewCountermeasure"]["properties"]["topic"];
    assert_eq!(
        (topic["minimum"].as_i64(), topic["maximum"].as_i64()),
        (Some(1), Some(10))
    );
    let r = app
        .post(
            &format!("/api/wards/{ward}/countermeasures"),
            serde_json::json!({ "topic": 11, "title": "範囲外" }),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422);
}

#[tokio::test]
async fn the_spec_states_the_rules_the_api_enforces_on_requests() {
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let spec = app.get("/openapi.json").await.body;
    assert_eq!(
        renkei::http::spec::missing_rule_targets(&spec),
        Vec::<String>::new()
    );
    let schemas = &spec["components"]["schemas"];

    // Names: not blank, at most 100 characters, a JSON string.
    let name = &schemas["NewMember"]["properties"]["name"];
    assert_eq!(name["minLength"], 1);
    assert_eq!(name["maxLength"], renkei::members::NAME_MAX);
    assert_eq!(name["format"], "single-line");
    let members = format!("/api/wards/{ward}/members");
    let create = |name: serde_json::Value| {
        app.post(
            &members,
            json!({ "name": name, "organization_kind": "医師会" }),
        )
    };
    assert_eq!(
        create(json!("一".repeat(100))).await.status,
        StatusCode::CREATED
    );
    for refused in [json!("一".repeat(101)), json!(" \u{3000}")] {
        let r = create(refused.clone()).await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["name"], "{refused}");
    }
    // Not read as text any more: a number or a boolean where the spec says string.
    for refused in [json!(12), json!(false)] {
        let r = create(refused.clone()).await;
        assert_problem(&r, 422);
        assert!(r.text.contains("string(single-line)"), "{}", r.text);
    }

    // Dates are RFC 3339 full-dates within the years the API takes.
    let held_on = &schemas["NewMeetingRequest"]["properties"]["held_on"];
    assert_eq!(held_on["format"], "date");
    assert!(held_on["pattern"].as_str().unwrap().contains("2100"));
    assert_eq!(
        schemas["Meeting"]["properties"]["held_on"]["format"],
        "date"
    );

    // Parameters: the topic's range, the period's form, the CSV encodings.
    let params = |path: &str, method: &str| spec["paths"][path][method]["parameters"].clone();
    let param = |all: &serde_json::Value, name: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]
            .clone()
    };
    let topic = param(&params("/wards/{ward_id}/countermeasures", "get"), "topic");
    assert_eq!(
        (topic["minimum"].clone(), topic["maximum"].clone()),
        (json!(1), json!(10))
    );
    let r = app
        .get(&format!("/api/wards/{ward}/countermeasures?topic=11"))
        .await;
    assert_problem(&r, 422);
    let period = param(&params("/report/{period}", "get"), "period");
    assert!(period["pattern"].is_string());
    assert_eq!(
        app.get("/api/report/2017H3").await.status,
        StatusCode::NOT_FOUND
    );
    let encoding = param(
        &params("/wards/{ward_id}/meetings/import", "post"),
        "encoding",
    );
    assert!(
        encoding["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("sjis"))
    );
    assert_problem(
        &app.post_bytes(
            &format!("/api/wards/{ward}/meetings/import?encoding=latin1"),
            b"x".to_vec(),
        )
        .await,
        422,
    );

    // The reminder parameters' ranges.
    let overrides = &schemas["Overrides"]["properties"];
    assert_eq!(overrides["escalation_after_days"]["maximum"], 365);
    app.stop().await;
}
