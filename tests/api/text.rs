//! Text a client sends is checked by its type, whichever way it comes in:
//! any JSON media type of the API, an HTML form, a CSV import. One-line
//! fields refuse every control character and line break; free-text fields
//! keep tab and line breaks (stored as LF) and refuse the other controls.
//! Nothing refused is stored, on SQLite and on PostgreSQL (which cannot
//! hold U+0000 at all).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, assert_problem, error_fields};

const SINGLE_LINE: &str = "改行や制御文字は使えません";
const MULTI_LINE: &str = "改行やタブ以外の制御文字（文字コード0など）は使えません";

/// Every media type poem-openapi reads as JSON, not only `application/json`.
const JSON_TYPES: [&str; 4] = [
    "application/json",
    "application/merge-patch+json",
    "application/problem+json",
    "application/vnd.foo+json",
];

/// Sends `body` as it is, with the given content type.
async fn send(app: &TestApp, method: Method, path: &str, content_type: &str, body: &Value) -> Resp {
    let resp = app
        .client
        .request(method, app.url(path))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    Resp::read(resp).await
}

/// The message the problem gives for `field`.
fn message_for(r: &Resp, field: &str) -> String {
    r.body["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

async fn ward(app: &TestApp) -> i64 {
    app.municipality_with_wards("大阪市", &["北区"]).await[0]
}

#[tokio::test]
async fn a_control_character_in_a_title_is_refused_under_every_json_media_type_and_nothing_is_stored()
 {
    let app = TestApp::spawn().await;
    let ward = ward(&app).await;
    let meeting = app.meeting(ward, "2026-10-01", &[1]).await;
    let before = app.counts().await;
    let stored = app.get(&format!("/api/meetings/{meeting}")).await.body;
    for content_type in JSON_TYPES {
        for bad in ["\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{85}", "\t", "\r"] {
            let title = format!("第1回{bad}推進会議");
            let r = send(
                &app,
                Method::POST,
                &format!("/api/wards/{ward}/meetings"),
                content_type,
                &json!({ "held_on": "2026-11-05", "title": title, "kind": "その他" }),
            )
            .await;
            assert_problem(&r, 422);
            assert_eq!(error_fields(&r), ["title"], "{content_type} {bad:?}");
            assert_eq!(message_for(&r, "title"), SINGLE_LINE);
            assert!(
                r.body["detail"].as_str().unwrap().contains("「title」"),
                "{}",
                r.text
            );
            let r = send(
                &app,
                Method::PATCH,
                &format!("/api/meetings/{meeting}"),
                content_type,
                &json!({ "title": title }),
            )
            .await;
            assert_problem(&r, 422);
            assert_eq!(error_fields(&r), ["title"], "{content_type} {bad:?}");
        }
    }
    assert_eq!(app.counts().await, before);
    assert_eq!(
        app.get(&format!("/api/meetings/{meeting}")).await.body,
        stored
    );
}

#[tokio::test]
async fn a_line_break_in_free_text_round_trips_as_lf_but_not_in_a_title() {
    let app = TestApp::spawn().await;
    let ward = ward(&app).await;
    let path = format!("/api/wards/{ward}/meetings");
    let r = app
        .post(
            &path,
            json!({ "held_on": "2026-11-05", "title": "第1回\n推進会議", "kind": "その他" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["title"]);
    let r = app
        .post(
            &path,
            json!({ "held_on": "2026-11-05", "title": "第1回\u{2028}推進会議", "kind": "その他" }),
        )
        .await;
    assert_eq!(error_fields(&r), ["title"], "U+2028 is a line break too");

    let r = app
        .post(
            &path,
            json!({ "held_on": "2026-11-05", "title": "第1回推進会議", "kind": "その他",
                    "minutes": "一、資源の共有\r\n二、課題の抽出\r三、\t対応策" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let expected = "一、資源の共有\n二、課題の抽出\n三、\t対応策";
    assert_eq!(r.body["minutes"], expected);
    let got = app.get(&format!("/api/meetings/{id}")).await;
    assert_eq!(got.body["minutes"], expected);

    for content_type in JSON_TYPES {
        let minutes = format!("{content_type}\n二行目");
        let r = send(
            &app,
            Method::PATCH,
            &format!("/api/meetings/{id}"),
            content_type,
            &json!({ "minutes": minutes }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{content_type}: {}", r.text);
        assert_eq!(
            app.get(&format!("/api/meetings/{id}")).await.body["minutes"],
            minutes.as_str()
        );
    }

    let cm = app.countermeasure(ward, 3, "情報共有シートの運用").await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{cm}"),
            json!({ "issue": "病院と\nケアマネの連携", "plan": "様式を統一\n試行する" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["issue"], "病院と\nケアマネの連携");
    assert_eq!(r.body["plan"], "様式を統一\n試行する");
}

#[tokio::test]
async fn every_refused_field_is_named_by_its_json_path_with_its_kinds_message() {
    let app = TestApp::spawn().await;
    let ward = ward(&app).await;
    let cm = app.countermeasure(ward, 3, "情報共有シートの運用").await;
    let before = app.counts().await;
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-05", "title": "第1回\n推進会議", "kind": "その他",
                    "minutes": "議事\u{0}録" }),
        )
        .await;
    assert_problem(&r, 422);
    let mut fields = error_fields(&r);
    fields.sort();
    assert_eq!(fields, ["minutes", "title"]);
    assert_eq!(message_for(&r, "minutes"), MULTI_LINE);
    assert_eq!(message_for(&r, "title"), SINGLE_LINE);

    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-05", "title": "第2回", "kind": "その他",
                    "stage_changes": [{ "countermeasure_id": cm, "to": "具体化", "note": "可\u{1}" }] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["stage_changes[0].note"]);

    let r = app
        .post(
            "/api/municipalities",
            json!({ "name": "堺市", "wards": ["堺区", "中\t区"] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["wards[1]"]);

    let r = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": "委員 一郎", "organization_kind": "医師会",
                    "email": "ichiro@example.jp\r\nBcc: all@example.jp" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["email"]);
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn the_spec_marks_each_text_property_with_one_kind() {
    let app = TestApp::spawn().await;
    let spec = app.get("/openapi.json").await.body;
    let fields = renkei::web::problem::TextFields::from_spec(&spec);
    assert_eq!(fields.ambiguous(), Vec::<&str>::new());
    let props = &spec["components"]["schemas"]["NewCountermeasure"]["properties"];
    assert_eq!(props["title"]["format"], "single-line");
    assert_eq!(props["plan"]["format"], "multi-line");
    assert!(
        props["title"]["pattern"]
            .as_str()
            .unwrap()
            .starts_with("^[^")
    );
}

#[tokio::test]
async fn a_form_shows_the_refusal_beside_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let ward = ward(&app).await;
    let before = app.counts().await;
    let r = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-11-05"),
                ("title", "第1回\n推進会議"),
                ("kind", "その他"),
                ("minutes", "議事\u{0}録"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<p class="field-error" id="title-error">会議名に{SINGLE_LINE}</p>"#
        )),
        "{html}"
    );
    assert!(html.contains(&format!("議事録に{MULTI_LINE}")), "{html}");
    assert_eq!(app.counts().await, before);

    let r = app
        .post_form(
            &format!("/wards/{ward}/countermeasures/new"),
            &[
                ("topic", "3"),
                ("title", "情報共有シート"),
                ("plan", "様式\u{b}を統一"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("計画に{MULTI_LINE}")), "{html}");
    assert_eq!(app.counts().await, before);

    // A textarea's line breaks arrive as CRLF and are stored as LF.
    let r = app
        .post_form(
            &format!("/wards/{ward}/meetings/new"),
            &[
                ("held_on", "2026-11-05"),
                ("title", "第1回推進会議"),
                ("kind", "その他"),
                ("minutes", "一行目\r\n二行目"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = app.get(&format!("/api/wards/{ward}/meetings")).await.body;
    assert_eq!(list["items"][0]["minutes"], "一行目\n二行目");
}

#[tokio::test]
async fn a_control_character_in_a_sign_in_address_is_refused_without_asking_the_database() {
    let app = TestApp::spawn().await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[("email", "city\u{0}@example.jp"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("メールアドレスに"));
    let r = browser
        .post(app.url("/password-reset"))
        .form(&[("email", "city\u{0}@example.jp")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the answer for any address"
    );
}

#[tokio::test]
async fn a_csv_import_names_the_row_and_column_of_a_refused_cell_and_imports_nothing() {
    let app = TestApp::spawn().await;
    let ward = ward(&app).await;
    let before = app.counts().await;
    let header = "開催日,会議名,種別,会議の内容,議事録\r\n";
    let csv = format!(
        "{header}2026-05-10,第1回,推進会議,1,\"一\r\n二\"\r\n\
         2026-06-10,\"第2回\t推進会議\",推進会議,2,議事\u{0}録\r\n"
    );
    let path = format!("/api/wards/{ward}/meetings/import");
    let r = app.post_bytes(&path, csv.into_bytes()).await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["3行目「会議名」", "3行目「議事録」"]);
    assert_eq!(message_for(&r, "3行目「会議名」"), SINGLE_LINE);
    assert_eq!(message_for(&r, "3行目「議事録」"), MULTI_LINE);
    assert_eq!(app.counts().await, before);

    let csv = format!("{header}2026-05-10,第1回,推進会議,1,\"一\r\n二\"\r\n");
    let r = app.post_bytes(&path, csv.into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = app.get(&format!("/api/wards/{ward}/meetings")).await.body;
    assert_eq!(list["items"][0]["minutes"], "一\n二");

    let header = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階\r\n";
    let csv = format!("{header}3,,情報共有シート,\"病院と\u{1b}連携\",,,,\r\n");
    let r = app
        .post_bytes(
            &format!("/api/wards/{ward}/countermeasures/import"),
            csv.into_bytes(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["2行目「課題」"]);
}
