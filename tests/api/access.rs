//! Who may do what: every role × (own ward, other ward of the same city,
//! a ward of another city) × the API operations and the ward pages, with the
//! exact outcome; plus sessions, CSRF, throttling and token revocation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, create_account_token};
use renkei::accounts::Role;

/// What the gate answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Passed the gate (the handler answered: 2xx, 409, 422 …).
    Allowed,
    /// 403: may read, may not do this.
    Forbidden,
    /// 404: may not even know it exists.
    Hidden,
}

use Outcome::*;

struct Ward {
    id: i64,
    member: i64,
    meeting: i64,
    countermeasure: i64,
}

struct World {
    app: TestApp,
    municipality_a: i64,
    own: Ward,
    other: Ward,
    foreign: Ward,
}

async fn seed_ward(app: &TestApp, id: i64) -> Ward {
    let meeting = app.meeting(id, "2026-10-01", &[1]).await;
    let countermeasure = app.countermeasure(id, 1, "対応策").await;
    // Decided at the meeting: deleting the meeting is then refused (409)
    // after the gate, so the allowed deletes leave the world as it was.
    let r = app
        .patch(
            &format!("/api/countermeasures/{countermeasure}"),
            json!({ "meeting_id": meeting }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Ward {
        id,
        member: app.member(id, "委員").await,
        meeting,
        countermeasure,
    }
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let a = app.municipality_with_wards("甲市", &["北区", "南区"]).await;
    let b = app.municipality_with_wards("乙市", &["東区"]).await;
    let municipality_a = app.get(&format!("/api/wards/{}", a[0])).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    World {
        own: seed_ward(&app, a[0]).await,
        other: seed_ward(&app, a[1]).await,
        foreign: seed_ward(&app, b[0]).await,
        municipality_a,
        app,
    }
}

/// A client authenticated with a fresh token for the given role.
async fn as_role(w: &World, role: Role, ward: Option<i64>, n: usize) -> reqwest::Client {
    let token = create_account_token(
        &w.app.db,
        &format!("{}{n}@example.jp", role.as_str()),
        role,
        Some(w.municipality_a),
        ward,
        NOW.parse().unwrap(),
    )
    .await;
    bearer_client(&token)
}

fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A `member` account of the own ward (linked to `member_id`, if any) and
/// a client acting through its token.
async fn member_account(w: &World, member_id: Option<i64>) -> (i64, reqwest::Client) {
    let account = renkei::accounts::store::create(
        &w.app.db,
        &renkei::accounts::store::NewAccount {
            email: "iin@example.jp".into(),
            display_name: String::new(),
            role: Role::Member,
            municipality_id: Some(w.municipality_a),
            ward_id: Some(w.own.id),
            member_id,
            password_hash: None,
        },
        None,
        NOW.parse().unwrap(),
    )
    .await
    .unwrap();
    let (_, token) =
        renkei::accounts::store::create_token(&w.app.db, account, "t", None, NOW.parse().unwrap())
            .await
            .unwrap();
    (account, bearer_client(&token))
}

#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
    Transition,
}

/// The API operations and pages on one ward's data.
fn ward_operations(w: &Ward) -> Vec<(Kind, Method, String, Option<Value>)> {
    use Kind::*;
    let (id, m, mt, c) = (w.id, w.member, w.meeting, w.countermeasure);
    let j = |v: Value| Some(v);
    vec![
        (Read, Method::GET, format!("/api/wards/{id}"), None),
        (Read, Method::GET, format!("/api/wards/{id}/members"), None),
        (Read, Method::GET, format!("/api/members/{m}"), None),
        (Read, Method::GET, format!("/api/wards/{id}/meetings"), None),
        (Read, Method::GET, format!("/api/meetings/{mt}"), None),
        (
            Read,
            Method::GET,
            format!("/api/wards/{id}/countermeasures"),
            None,
        ),
        (Read, Method::GET, format!("/api/countermeasures/{c}"), None),
        (
            Read,
            Method::GET,
            format!("/api/countermeasures/{c}/history"),
            None,
        ),
        (
            Read,
            Method::GET,
            format!("/api/wards/{id}/surveys/2026H2"),
            None,
        ),
        (
            Write,
            Method::PATCH,
            format!("/api/wards/{id}"),
            j(json!({})),
        ),
        (
            Write,
            Method::POST,
            format!("/api/wards/{id}/members"),
            j(json!({})),
        ),
        (
            Write,
            Method::PATCH,
            format!("/api/members/{m}"),
            j(json!({})),
        ),
        (
            Write,
            Method::POST,
            format!("/api/wards/{id}/meetings"),
            j(json!({})),
        ),
        (
            Write,
            Method::PATCH,
            format!("/api/meetings/{mt}"),
            j(json!({})),
        ),
        (
            Write,
            Method::POST,
            format!("/api/wards/{id}/countermeasures"),
            j(json!({})),
        ),
        (
            Write,
            Method::PATCH,
            format!("/api/countermeasures/{c}"),
            j(json!({})),
        ),
        (
            Transition,
            Method::POST,
            format!("/api/countermeasures/{c}/transitions"),
            j(json!({})),
        ),
        (
            Write,
            Method::PUT,
            format!("/api/wards/{id}/surveys/2026H2"),
            j(json!({})),
        ),
        (Write, Method::DELETE, format!("/api/meetings/{mt}"), None),
        // CSV imports (a header-only file: 422 once past the gate).
        (
            Write,
            Method::POST,
            format!("/api/wards/{id}/meetings/import"),
            None,
        ),
        (
            Write,
            Method::POST,
            format!("/api/wards/{id}/countermeasures/import"),
            None,
        ),
        (
            Write,
            Method::POST,
            format!("/api/wards/{id}/calendar-feed"),
            None,
        ),
        (
            Write,
            Method::POST,
            format!("/api/members/{m}/calendar-feed"),
            None,
        ),
        // Pages (bearer tokens work there too, without CSRF).
        (Read, Method::GET, format!("/wards/{id}"), None),
        (Read, Method::GET, format!("/wards/{id}/members"), None),
        (Read, Method::GET, format!("/wards/{id}/meetings"), None),
        (Read, Method::GET, format!("/meetings/{mt}"), None),
        (
            Read,
            Method::GET,
            format!("/wards/{id}/countermeasures"),
            None,
        ),
        (Read, Method::GET, format!("/countermeasures/{c}"), None),
        (Read, Method::GET, format!("/wards/{id}/members.csv"), None),
        (Read, Method::GET, format!("/wards/{id}/report"), None),
        (
            Read,
            Method::GET,
            format!("/wards/{id}/calendar-feed"),
            None,
        ),
        (
            Write,
            Method::POST,
            format!("/wards/{id}/calendar-feed"),
            None,
        ),
        // The upload form is for those who may upload.
        (Write, Method::GET, format!("/wards/{id}/import"), None),
        (Write, Method::POST, format!("/wards/{id}/import"), None),
        (Write, Method::POST, format!("/meetings/{mt}/delete"), None),
        (Write, Method::POST, format!("/members/{m}/edit"), None),
        (
            Write,
            Method::POST,
            format!("/countermeasures/{c}/archive"),
            None,
        ),
        (
            Transition,
            Method::POST,
            format!("/countermeasures/{c}/transition"),
            None,
        ),
    ]
}

async fn outcome(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (Outcome, u16) {
    let mut req = client.request(method, format!("{base}{path}"));
    req = match body {
        Some(b) => req.json(&b),
        None if path.ends_with("/import") => csv_upload(req, path.starts_with("/api/")),
        None => req.form(&[("x", "")]),
    };
    let status = req.send().await.unwrap().status();
    let o = match status {
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => Hidden,
        StatusCode::UNAUTHORIZED => panic!("{path}: 401 with a valid token"),
        _ => Allowed,
    };
    (o, status.as_u16())
}

/// A header-only CSV, as the API takes it or as the import page's form
/// sends it: past the gate it is refused (no data rows), so nothing changes.
fn csv_upload(req: reqwest::RequestBuilder, api: bool) -> reqwest::RequestBuilder {
    let csv = "開催日,会議名,種別,会議の内容,議事録\r\n";
    if api {
        return req
            .header("content-type", "application/octet-stream")
            .body(csv);
    }
    let boundary = "----renkeiAccessBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmeetings\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    req.header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    )
    .body(body)
}

/// The rules, written out as the issue states them.
fn expected(role: Role, city_level: bool, place: usize, kind: Kind) -> Outcome {
    // place: 0 own ward, 1 other ward of the same city, 2 another city.
    let reads = match (role, place) {
        (_, 2) => false,
        (Role::City, _) => true,
        (Role::Viewer, 1) => city_level,
        (_, 1) => false,
        _ => true,
    };
    if !reads {
        return Hidden;
    }
    let writes = match kind {
        Kind::Read => true,
        Kind::Write | Kind::Transition => matches!(role, Role::City | Role::Secretariat),
    };
    if writes { Allowed } else { Forbidden }
}

#[tokio::test]
async fn every_role_reaches_exactly_its_own_scope_in_the_api_and_the_pages() {
    let w = world().await;
    let cases = [
        (Role::City, None),
        (Role::Secretariat, Some(w.own.id)),
        (Role::Member, Some(w.own.id)),
        (Role::Viewer, Some(w.own.id)),
        (Role::Viewer, None),
    ];
    let mut failures = Vec::new();
    for (n, (role, ward)) in cases.into_iter().enumerate() {
        let client = as_role(&w, role, ward, n).await;
        // Reads first: the writes that are allowed change data.
        for pass_writes in [false, true] {
            for (place, target) in [&w.own, &w.other, &w.foreign].into_iter().enumerate() {
                for (kind, method, path, body) in ward_operations(target) {
                    if matches!(kind, Kind::Read) == pass_writes {
                        continue;
                    }
                    let want = expected(role, ward.is_none(), place, kind);
                    let (got, status) =
                        outcome(&client, &w.app.base_url, method.clone(), &path, body).await;
                    if got != want {
                        failures.push(format!(
                            "{role:?} (ward {ward:?}) {method} {path}: want {want:?}, got {got:?} ({status})"
                        ));
                    }
                    // Past the gate, the imports and deletes are refused by
                    // their own rules: the world stays as seeded.
                    let refused = match method {
                        Method::POST if path.ends_with("/import") => Some(422),
                        Method::POST if path.ends_with("/delete") => Some(409),
                        Method::DELETE => Some(409),
                        _ => None,
                    };
                    if let Some(code) = refused
                        && got == Allowed
                        && status != code
                    {
                        failures.push(format!(
                            "{role:?} (ward {ward:?}) {method} {path}: passed the gate with {status}, want {code}"
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn city_wide_operations_are_for_city_level_accounts_of_that_city() {
    let w = world().await;
    let m = w.municipality_a;
    let ops: Vec<(Method, String, Option<Value>, bool)> = vec![
        (
            Method::GET,
            format!("/api/municipalities/{m}/reminder-settings"),
            None,
            false,
        ),
        (
            Method::PUT,
            format!("/api/municipalities/{m}/reminder-settings"),
            Some(json!({})),
            true,
        ),
        (
            Method::GET,
            format!("/api/municipalities/{m}/surveys/2026H2/summaries"),
            None,
            false,
        ),
        (Method::GET, "/api/report/2026H2".into(), None, false),
        (
            Method::GET,
            "/api/surveys/2026H2/statuses".into(),
            None,
            false,
        ),
        (Method::GET, format!("/city/{m}"), None, false),
        (Method::GET, "/report/2026H2".into(), None, false),
        (Method::GET, "/surveys/2026H2".into(), None, false),
        (Method::GET, "/jobs".into(), None, false),
    ];
    let cases = [
        (Role::City, None, true, true),
        (Role::Viewer, None, true, false),
        (Role::Secretariat, Some(w.own.id), false, false),
        (Role::Member, Some(w.own.id), false, false),
        (Role::Viewer, Some(w.own.id), false, false),
    ];
    let mut failures = Vec::new();
    for (n, (role, ward, reads, writes)) in cases.into_iter().enumerate() {
        let client = as_role(&w, role, ward, n).await;
        for (method, path, body, is_write) in &ops {
            let want = if (*is_write && writes) || (!*is_write && reads) {
                Allowed
            } else {
                Forbidden
            };
            let (got, status) =
                outcome(&client, &w.app.base_url, method.clone(), path, body.clone()).await;
            if got != want {
                failures.push(format!(
                    "{role:?} {method} {path}: want {want:?}, got {got:?} ({status})"
                ));
            }
        }
        // Nobody but the operator creates municipalities.
        let (got, _) = outcome(
            &client,
            &w.app.base_url,
            Method::POST,
            "/api/municipalities",
            Some(json!({"name": "丙市"})),
        )
        .await;
        if got != Forbidden {
            failures.push(format!("{role:?} created a municipality"));
        }
        // Another city's settings are not theirs, whatever the role.
        let foreign_m = w
            .app
            .get(&format!("/api/wards/{}", w.foreign.id))
            .await
            .body["municipality_id"]
            .as_i64()
            .unwrap();
        let (got, _) = outcome(
            &client,
            &w.app.base_url,
            Method::GET,
            &format!("/api/municipalities/{foreign_m}/reminder-settings"),
            None,
        )
        .await;
        if got == Allowed {
            failures.push(format!("{role:?} read another city's settings"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn lists_never_include_another_wards_rows() {
    let w = world().await;
    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect()
    };
    let city = as_role(&w, Role::City, None, 0).await;
    let body: Value = city
        .get(w.app.url("/api/wards"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&body), vec![w.own.id, w.other.id]);
    let body: Value = city
        .get(w.app.url("/api/municipalities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&body), vec![w.municipality_a]);
    // Filtering by another city's id lists nothing of it.
    let foreign_m = w
        .app
        .get(&format!("/api/wards/{}", w.foreign.id))
        .await
        .body["municipality_id"]
        .as_i64()
        .unwrap();
    let body: Value = city
        .get(
            w.app
                .url(&format!("/api/wards?municipality_id={foreign_m}")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&body), Vec::<i64>::new());

    let secretariat = as_role(&w, Role::Secretariat, Some(w.own.id), 1).await;
    let body: Value = secretariat
        .get(w.app.url("/api/wards"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&body), vec![w.own.id]);
    let home = secretariat
        .get(w.app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("北区") && !home.contains("南区") && !home.contains("乙市"),
        "{home}"
    );
}

#[tokio::test]
async fn requests_without_credentials_are_refused() {
    let app = TestApp::spawn().await;
    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anon.get(app.url("/api/wards")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    let r = anon.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = anon.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let r = anon
        .post(app.url("/municipalities/new"))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let spec: Value = anon
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        spec["components"]["securitySchemes"]["bearerToken"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn a_revoked_token_no_longer_works() {
    let app = TestApp::spawn().await;
    let ids = app.municipality_with_wards("甲市", &["北区"]).await;
    let m = app.get(&format!("/api/wards/{}", ids[0])).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let now = NOW.parse().unwrap();
    let token = create_account_token(&app.db, "c@example.jp", Role::City, Some(m), None, now).await;
    let client = bearer_client(&token);
    assert_eq!(
        client
            .get(app.url("/api/wards"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    renkei::accounts::store::revoke_token(&app.db, id, None, now)
        .await
        .unwrap();
    assert_eq!(
        client
            .get(app.url("/api/wards"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// An app with one city account that has a password, and a cookie client
/// that carries no token.
async fn with_password_account() -> (TestApp, reqwest::Client, i64) {
    let app = TestApp::spawn().await;
    let (browser, m) = add_password_account(&app).await;
    (app, browser, m)
}

/// Adds the city account of `with_password_account` to `app`.
async fn add_password_account(app: &TestApp) -> (reqwest::Client, i64) {
    let ids = app.municipality_with_wards("甲市", &["北区"]).await;
    let m = app
        .city_account_with_password(ids[0], "City@Example.jp", "正しいパスワード12345")
        .await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    (browser, m)
}

async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a csrf field")
        + "name=\"csrf_token\" value=\"".len();
    html[at..at + 64].to_string()
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_forms_need_the_csrf_token() {
    let (app, browser, m) = with_password_account().await;
    let r = sign_in(&app, &browser, "city@example.jp", "正しいパスワード12345").await;
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP in tests: {cookie}");

    let page = browser
        .get(app.url(&format!("/city/{m}/wards/new")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let token = csrf_of(&html);

    // Without the token: refused, nothing created.
    let before = app.count("wards").await;
    let r = browser
        .post(app.url(&format!("/city/{m}/wards/new")))
        .form(&[("name", "西区")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = browser
        .post(app.url(&format!("/city/{m}/wards/new")))
        .form(&[("name", "西区"), ("csrf_token", "0".repeat(64).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("wards").await, before);

    // With it: done.
    let r = browser
        .post(app.url(&format!("/city/{m}/wards/new")))
        .form(&[("name", "西区"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("wards").await, before + 1);

    // Cookies do not open the API (bearer only there).
    assert_eq!(
        browser
            .get(app.url("/api/wards"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Signing out ends the session server-side.
    let r = browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        303
    );
}

#[tokio::test]
async fn each_sign_in_gets_a_new_session_and_expired_ones_stop_working() {
    let (app, browser, _) = with_password_account().await;
    sign_in(&app, &browser, "city@example.jp", "正しいパスワード12345").await;
    let first: String = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    sign_in(&app, &browser, "city@example.jp", "正しいパスワード12345").await;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1, "the old session of this browser ended");
    assert_ne!(hashes[0], first, "rotated");
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        200
    );

    sqlx::query("UPDATE sessions SET expires_at = 0")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let r = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn repeated_failures_lock_sign_in_without_revealing_which_addresses_exist() {
    let (app, browser, _) = with_password_account().await;
    let known = sign_in(&app, &browser, "city@example.jp", "まちがったパスワード").await;
    assert_eq!(known.status(), 401);
    let known = known.text().await.unwrap();
    let unknown = sign_in(&app, &browser, "nobody@example.jp", "まちがったパスワード").await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown.text().await.unwrap();
    let msg = "メールアドレスまたはパスワードが正しくありません";
    assert!(known.contains(msg) && unknown.contains(msg));

    for _ in 0..3 {
        sign_in(&app, &browser, "city@example.jp", "まちがったパスワード").await;
    }
    // Five failures from this address: even the right password waits now.
    let r = sign_in(&app, &browser, "city@example.jp", "正しいパスワード12345").await;
    assert_eq!(r.status(), 429);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("一時的にログインできません")
    );
    assert_eq!(app.count("sessions").await, 0);
    // The counts live in the database, not in the process.
    assert!(app.count("login_failures").await >= 5);
}

#[tokio::test]
async fn behind_a_trusted_proxy_throttling_counts_each_forwarded_client() {
    async fn attempt(app: &TestApp, client: &str, email: &str, password: &str) -> u16 {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url("/login"))
            .header("x-forwarded-for", client)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    // Five failures from one client, each for a different address, so only
    // the per-client count can lock; then the right password from it and
    // from another client.
    async fn after_one_client_fails(app: &TestApp) -> (u16, u16) {
        for n in 0..5 {
            let email = format!("nobody{n}@example.jp");
            assert_eq!(attempt(app, "203.0.113.1", &email, "x").await, 401);
        }
        let right = "正しいパスワード12345";
        (
            attempt(app, "203.0.113.1", "city@example.jp", right).await,
            attempt(app, "203.0.113.2", "city@example.jp", right).await,
        )
    }

    let proxied = TestApp::spawn_configured(NOW.parse().unwrap(), false, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    add_password_account(&proxied).await;
    assert_eq!(after_one_client_fails(&proxied).await, (429, 303));

    // Without the setting the header is anyone's to forge: every request
    // is the peer's, so the one lock holds for both.
    let direct = TestApp::spawn().await;
    add_password_account(&direct).await;
    assert_eq!(after_one_client_fails(&direct).await, (429, 429));
}

#[tokio::test]
async fn the_audit_log_and_the_history_name_the_account_that_acted() {
    let w = world().await;
    let client = as_role(&w, Role::Secretariat, Some(w.own.id), 0).await;
    let account: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE role = 'secretariat'")
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    let r = client
        .patch(w.app.url(&format!("/api/members/{}", w.own.member)))
        .json(&json!({ "organization": "北区医師会" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let actor: Option<String> = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE entity = 'member' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&w.app.db.pool)
    .await
    .unwrap();
    assert_eq!(actor, Some(format!("account:{account}")));

    let r = client
        .patch(
            w.app
                .url(&format!("/api/countermeasures/{}", w.own.countermeasure)),
        )
        .json(&json!({ "title": "改名", "note": "名称変更" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let h: Value = client
        .get(w.app.url(&format!(
            "/api/countermeasures/{}/history",
            w.own.countermeasure
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = h["items"]
        .as_array()
        .or(h.as_array())
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["recorded_by"], "secretariat0@example.jp");
}

#[tokio::test]
async fn city_wide_views_show_only_the_accounts_own_city() {
    let w = world().await;
    let city = as_role(&w, Role::City, None, 0).await;
    // Naming another (or no such) municipality answers as if it did not exist.
    for other in ["999", "%39%39%39"] {
        let r = city
            .get(w.app.url(&format!(
                "/api/surveys/2026H2/statuses?municipality_id={other}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let statuses: Value = city
        .get(w.app.url("/api/surveys/2026H2/statuses"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = statuses.to_string();
    assert!(text.contains("北区") && !text.contains("東区"), "{text}");
    let page = city
        .get(w.app.url("/surveys/2026H2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("北区") && !page.contains("東区"));
    let report = city
        .get(w.app.url("/api/report/2026H2"))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 200);
    let r = city
        .get(w.app.url("/api/reminders/deliveries"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let jobs = city
        .get(w.app.url("/jobs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        jobs.contains("甲市 の通知設定") && !jobs.contains("乙市"),
        "{jobs}"
    );
}

#[tokio::test]
async fn the_audit_page_is_for_city_accounts_and_shows_their_city_only() {
    let w = world().await;
    let city = as_role(&w, Role::City, None, 0).await;
    let r = city
        .patch(w.app.url(&format!("/api/members/{}", w.other.member)))
        .json(&json!({ "organization": "南区歯科医師会" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = city.get(w.app.url("/audit")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("南区歯科医師会") && html.contains("city0@example.jp"));
    assert!(html.contains("南区") && !html.contains("東区"), "{html}");
    let filtered = city
        .get(
            w.app
                .url(&format!("/audit?ward_id={}&entity=member", w.own.id)),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!filtered.contains("南区歯科医師会"));
    for (n, (role, ward)) in [(Role::Secretariat, Some(w.own.id)), (Role::Viewer, None)]
        .into_iter()
        .enumerate()
    {
        let client = as_role(&w, role, ward, n + 1).await;
        assert_eq!(
            client
                .get(w.app.url("/audit"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
    }
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_other_sessions() {
    let (app, browser, _) = with_password_account().await;
    let other = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    sign_in(&app, &other, "city@example.jp", "正しいパスワード12345").await;
    sign_in(&app, &browser, "city@example.jp", "正しいパスワード12345").await;
    let html = browser
        .get(app.url("/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    let change = |current: &'static str, new: &'static str| {
        browser
            .post(app.url("/account/password"))
            .form(&[
                ("current", current),
                ("new", new),
                ("confirm", new),
                ("csrf_token", token.as_str()),
            ])
            .send()
    };
    let r = change("まちがい", "あたらしいパスワード6789")
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = change("正しいパスワード12345", "短い").await.unwrap();
    assert_eq!(r.status(), 422);
    let r = change("正しいパスワード12345", "あたらしいパスワード6789")
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // This browser stays signed in; the other one is signed out.
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        200
    );
    assert_eq!(other.get(app.url("/")).send().await.unwrap().status(), 303);
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = sign_in(&app, &fresh, "city@example.jp", "あたらしいパスワード6789").await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn city_accounts_add_change_and_disable_accounts_of_their_own_city() {
    let w = world().await;
    let city = as_role(&w, Role::City, None, 0).await;
    let own = w.own.id.to_string();
    let r = city
        .post(w.app.url("/accounts/new"))
        .form(&[
            ("email", "jimu@example.jp"),
            ("role", "secretariat"),
            ("ward_id", own.as_str()),
            ("password", "はじめのパスワード1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // An operator account cannot be made here, nor a ward of another city.
    let foreign = w.foreign.id.to_string();
    for (role, ward) in [("admin", ""), ("secretariat", foreign.as_str())] {
        let r = city
            .post(w.app.url("/accounts/new"))
            .form(&[
                ("email", "x@example.jp"),
                ("role", role),
                ("ward_id", ward),
                ("password", "はじめのパスワード1234"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{role}");
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE email = 'jimu@example.jp'")
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    let html = city
        .get(w.app.url("/accounts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("jimu@example.jp"));
    let r = city
        .post(w.app.url(&format!("/accounts/{id}")))
        .form(&[
            ("role", "viewer"),
            ("ward_id", own.as_str()),
            ("disabled", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (role, disabled): (String, i64) =
        sqlx::query_as("SELECT role, disabled FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    assert_eq!((role.as_str(), disabled), ("viewer", 1));

    let secretariat = as_role(&w, Role::Secretariat, Some(w.own.id), 1).await;
    assert_eq!(
        secretariat
            .get(w.app.url("/accounts"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // The operator's own account is not in the city's reach.
    let r = city
        .post(w.app.url("/accounts/1"))
        .form(&[("role", "viewer")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_reset_link_works_once_and_only_before_it_expires() {
    let sink = crate::support::SmtpSink::start();
    let smtp = sink.url();
    let app = TestApp::spawn_configured(NOW.parse().unwrap(), false, move |c| {
        c.smtp_url = smtp;
        c.base_url = "https://renkei.example.jp".into();
    })
    .await;
    let ids = app.municipality_with_wards("甲市", &["北区"]).await;
    let m = app.get(&format!("/api/wards/{}", ids[0])).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    create_account_token(
        &app.db,
        "jimu@example.jp",
        Role::City,
        Some(m),
        None,
        NOW.parse().unwrap(),
    )
    .await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    // Known and unknown addresses get the same answer; only one mail goes out.
    for email in ["Jimu@example.jp", "nobody@example.jp"] {
        let r = browser
            .post(app.url("/password-reset"))
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/password-reset?sent=1");
    }
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["jimu@example.jp".to_string()]);
    let text = mails[0].text();
    let at = text
        .find("https://renkei.example.jp/password-reset/")
        .unwrap();
    let link = text[at..].split_whitespace().next().unwrap().to_string();
    let path = link
        .trim_start_matches("https://renkei.example.jp")
        .to_string();

    assert_eq!(
        browser.get(app.url(&path)).send().await.unwrap().status(),
        200
    );
    let set = |p: &'static str| {
        browser
            .post(app.url(&path))
            .form(&[("new", p), ("confirm", p)])
            .send()
    };
    assert_eq!(set("短い").await.unwrap().status(), 422);
    assert_eq!(set("あたらしいパスワード6789").await.unwrap().status(), 303);
    // Used: gone.
    assert_eq!(set("もういちどパスワード6789").await.unwrap().status(), 404);
    assert_eq!(
        browser.get(app.url(&path)).send().await.unwrap().status(),
        404
    );
    let r = sign_in(
        &app,
        &browser,
        "jimu@example.jp",
        "あたらしいパスワード6789",
    )
    .await;
    assert_eq!(r.status(), 303);

    // An expired link is refused too.
    browser
        .post(app.url("/password-reset"))
        .form(&[("email", "jimu@example.jp")])
        .send()
        .await
        .unwrap();
    sqlx::query("UPDATE password_resets SET expires_at = 0 WHERE used_at IS NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let text = sink.received()[1].text();
    let at = text.find("/password-reset/").unwrap();
    let path = text[at..].split_whitespace().next().unwrap().to_string();
    assert_eq!(
        browser.get(app.url(&path)).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn a_member_records_steps_only_on_countermeasures_it_owns() {
    let w = world().await;
    let owned = w
        .app
        .planned_countermeasure(w.own.id, 2, w.own.member, "2026-12-31")
        .await;
    let someone_else = w.app.member(w.own.id, "別の委員").await;
    let not_owned = w
        .app
        .planned_countermeasure(w.own.id, 3, someone_else, "2026-12-31")
        .await;
    let (_, member) = member_account(&w, Some(w.own.member)).await;
    let step = json!({ "to": "評価改善", "on": "2026-11-24", "evaluation": "参加者が増えた", "improvement": "継続", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" });
    let r = member
        .post(
            w.app
                .url(&format!("/api/countermeasures/{owned}/transitions")),
        )
        .json(&step)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = member
        .post(
            w.app
                .url(&format!("/api/countermeasures/{not_owned}/transitions")),
        )
        .json(&step)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = member
        .patch(w.app.url(&format!("/api/countermeasures/{owned}")))
        .json(&json!({ "title": "改名" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// An app whose mail goes to a real SMTP sink, with a city and a city
/// account (bearer client) that manages accounts.
async fn with_mail() -> (crate::support::SmtpSink, TestApp, reqwest::Client, i64) {
    let sink = crate::support::SmtpSink::start();
    let smtp = sink.url();
    let app = TestApp::spawn_configured(NOW.parse().unwrap(), false, move |c| {
        c.smtp_url = smtp;
        c.base_url = "https://renkei.example.jp".into();
    })
    .await;
    let ids = app.municipality_with_wards("甲市", &["北区"]).await;
    let m = app.get(&format!("/api/wards/{}", ids[0])).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let token = create_account_token(
        &app.db,
        "shi@example.jp",
        Role::City,
        Some(m),
        None,
        NOW.parse().unwrap(),
    )
    .await;
    (sink, app, bearer_client(&token), ids[0])
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The path of the first link to `prefix` in a mail's text.
fn link_path(text: &str, prefix: &str) -> String {
    let at = text
        .find(&format!("https://renkei.example.jp{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("https://renkei.example.jp")
        .to_string()
}

#[tokio::test]
async fn an_invited_account_signs_in_only_after_setting_a_password_through_a_one_time_link() {
    let (sink, app, city, ward) = with_mail().await;
    let ward = ward.to_string();
    let invite = |email: &'static str| {
        city.post(app.url("/accounts/invite"))
            .form(&[
                ("email", email),
                ("display_name", "北区 事務局"),
                ("role", "secretariat"),
                ("ward_id", ward.as_str()),
            ])
            .send()
    };
    let r = invite("Jimu@Example.jp").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/accounts?invited=1");
    let page = city
        .get(app.url("/accounts?invited=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("招待メールを送信しました"), "{page}");
    assert!(page.contains("jimu@example.jp <span class=\"hint\">（パスワード未設定）</span>"));
    let (role, hash): (String, Option<String>) =
        sqlx::query_as("SELECT role, password_hash FROM accounts WHERE email = 'jimu@example.jp'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((role.as_str(), hash), ("secretariat", None));
    let audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'account' AND action = 'invite'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);

    let mails = sink.to("jimu@example.jp");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject(), "アカウント招待のご案内");
    let path = link_path(&mails[0].text(), "/invitation/");
    assert!(mails[0].html().contains(&path));

    // Not usable before the password is set.
    let b = browser();
    let r = sign_in(&app, &b, "jimu@example.jp", "").await;
    assert_eq!(r.status(), 401);

    let r = b.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("アカウントの利用開始"));
    let set = |p: &'static str| {
        b.post(app.url(&path))
            .form(&[("new", p), ("confirm", p)])
            .send()
    };
    assert_eq!(set("短い").await.unwrap().status(), 422);
    let r = set("はじめてのパスワード1234").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    // Once only.
    assert_eq!(set("もういちどパスワード5678").await.unwrap().status(), 404);
    assert_eq!(b.get(app.url(&path)).send().await.unwrap().status(), 404);
    let r = sign_in(&app, &b, "jimu@example.jp", "もういちどパスワード5678").await;
    assert_eq!(r.status(), 401);
    let r = sign_in(&app, &b, "jimu@example.jp", "はじめてのパスワード1234").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");

    // An expired invitation is refused, and the account stays unusable.
    let r = invite("late@example.jp").await.unwrap();
    assert_eq!(r.status(), 303);
    let path = link_path(&sink.to("late@example.jp")[0].text(), "/invitation/");
    sqlx::query("UPDATE password_resets SET expires_at = 0 WHERE used_at IS NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(b.get(app.url(&path)).send().await.unwrap().status(), 404);
    let r = b
        .post(app.url(&path))
        .form(&[
            ("new", "まにあわないパスワード1234"),
            ("confirm", "まにあわないパスワード1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let hash: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE email = 'late@example.jp'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(hash.is_none());
    // 「パスワードを忘れた場合」 then mails a fresh link that works.
    let r = b
        .post(app.url("/password-reset"))
        .form(&[("email", "late@example.jp")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let mails = sink.to("late@example.jp");
    assert_eq!(mails.len(), 2);
    let path = link_path(&mails[1].text(), "/password-reset/");
    let r = b
        .post(app.url(&path))
        .form(&[
            ("new", "おくれたパスワード1234"),
            ("confirm", "おくれたパスワード1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = sign_in(&app, &b, "late@example.jp", "おくれたパスワード1234").await;
    assert_eq!(r.status(), 303);

    // An address that has an account already: nothing created, nothing sent.
    let before = sink.received().len();
    let r = invite("jimu@example.jp").await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("このメールアドレスのアカウントは既にあります")
    );
    assert_eq!(sink.received().len(), before);
    // Only city accounts invite (the secretariat signed in above, with its
    // session's CSRF token).
    let home = b
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post(app.url("/accounts/invite"))
        .form(&[
            ("email", "x@example.jp"),
            ("role", "viewer"),
            ("csrf_token", csrf_of(&home).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(sink.received().len(), before);
    app.stop().await;
}

#[tokio::test]
async fn reset_requests_beyond_the_hourly_limit_answer_the_same_and_send_nothing() {
    let (sink, app, _, ward) = with_mail().await;
    let m: i64 = sqlx::query_scalar("SELECT municipality_id FROM wards WHERE id = $1")
        .bind(ward)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    for email in ["jimu@example.jp", "other@example.jp"] {
        create_account_token(
            &app.db,
            email,
            Role::City,
            Some(m),
            None,
            NOW.parse().unwrap(),
        )
        .await;
    }
    let b = browser();
    let request = |email: &'static str| {
        b.post(app.url("/password-reset"))
            .form(&[("email", email)])
            .send()
    };
    // Per address: three mails within the hour, then the same answer only.
    for _ in 0..5 {
        let r = request("jimu@example.jp").await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/password-reset?sent=1");
    }
    assert_eq!(sink.to("jimu@example.jp").len(), 3);
    // Per client: ten requests within the hour, whatever the address
    // (five above, four for unknown addresses, then one for a known one).
    for _ in 0..4 {
        request("nobody@example.jp").await.unwrap();
    }
    request("other@example.jp").await.unwrap();
    assert_eq!(sink.to("other@example.jp").len(), 1, "the tenth request");
    let r = request("other@example.jp").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/password-reset?sent=1");
    assert_eq!(sink.to("other@example.jp").len(), 1, "the eleventh: none");
    // The counts are in the database (they hold across instances).
    assert_eq!(app.count("reset_requests").await, 2 * 11);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_and_reset_forms_posted_from_another_site_are_refused() {
    let (app, browser, _) = with_password_account().await;
    let post = |path: &'static str, headers: &[(&'static str, &'static str)]| {
        let mut req = browser.post(app.url(path)).form(&[
            ("email", "city@example.jp"),
            ("password", "正しいパスワード12345"),
        ]);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![
            ("sec-fetch-site", "same-site"),
            ("origin", "https://sub.example.jp"),
        ],
        vec![("origin", "null")],
    ] {
        let r = post("/login", &headers).await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        assert!(r.headers().get("set-cookie").is_none());
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("別のサイトからの送信は受け付けられません")
        );
        let r = post("/password-reset", &headers).await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
    }
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("reset_requests").await, 0);
    assert_eq!(app.count("login_failures").await, 0);

    // From the site itself (as a browser sends it), signing in works.
    let origin = app.base_url.clone();
    let r = browser
        .post(app.url("/login"))
        .header("origin", origin.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("email", "city@example.jp"),
            ("password", "正しいパスワード12345"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("sessions").await, 1);
    let r = browser
        .post(app.url("/password-reset"))
        .header("origin", origin.as_str())
        .form(&[("email", "city@example.jp")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_city_account_links_a_member_account_to_its_member_record_on_the_accounts_page() {
    let w = world().await;
    let owned = w
        .app
        .planned_countermeasure(w.own.id, 2, w.own.member, "2026-12-31")
        .await;
    // The member's account, not linked yet, with a token to act through.
    let (account, member) = member_account(&w, None).await;
    let step = json!({ "to": "評価改善", "on": "2026-11-24", "evaluation": "参加者が増えた", "improvement": "継続", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" });
    let evaluate = || {
        member
            .post(
                w.app
                    .url(&format!("/api/countermeasures/{owned}/transitions")),
            )
            .json(&step)
            .send()
    };
    assert_eq!(evaluate().await.unwrap().status(), 403, "not linked yet");

    // A city user signed in with a password, through the page's form.
    let hash = renkei::accounts::secret::hash_password("正しいパスワード12345".into())
        .await
        .unwrap();
    renkei::accounts::store::create(
        &w.app.db,
        &renkei::accounts::store::NewAccount {
            email: "city@example.jp".into(),
            display_name: String::new(),
            role: Role::City,
            municipality_id: Some(w.municipality_a),
            ward_id: None,
            member_id: None,
            password_hash: Some(hash),
        },
        None,
        NOW.parse().unwrap(),
    )
    .await
    .unwrap();
    let b = browser();
    assert_eq!(
        sign_in(&w.app, &b, "city@example.jp", "正しいパスワード12345")
            .await
            .status(),
        303
    );
    let html = b
        .get(w.app.url("/accounts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = format!(r#"<form method="post" action="/accounts/{account}/member">"#);
    let at = html.find(&action).expect("a link form for the account");
    let form = &html[at..at + html[at..].find("</form>").unwrap()];
    // Its ward's members are offered, not another ward's.
    assert!(form.contains(&format!(
        r#"<option value="{}">委員</option>"#,
        w.own.member
    )));
    assert!(!form.contains(&format!(r#"value="{}""#, w.other.member)));
    let csrf = csrf_of(form);
    let link = |member_id: String| {
        b.post(w.app.url(&format!("/accounts/{account}/member")))
            .form(&[("member_id", member_id), ("csrf_token", csrf.clone())])
            .send()
    };
    // Another ward's member: refused beside the form, nothing changed.
    let r = link(w.other.member.to_string()).await.unwrap();
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("委員はこのアカウントの区の委員から選んでください"),
        "{text}"
    );
    let linked: Option<i64> = sqlx::query_scalar("SELECT member_id FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(linked, None);

    let r = link(w.own.member.to_string()).await.unwrap();
    assert_eq!(r.status(), 303);
    let html = b
        .get(w.app.url("/accounts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        r#"<option value="{}" selected>委員</option>"#,
        w.own.member
    )));
    let r = evaluate().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'account' AND action = 'link_member' AND entity_id = $1",
    )
    .bind(account)
    .fetch_one(&w.app.db.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1, "the refused attempt left no row");
}
