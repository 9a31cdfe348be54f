//! 延期された評価 on the ward dashboard: the changes of the current fiscal
//! half-year that moved an evaluation due date later, by an edit or a
//! re-plan, with the old and new date, who and when.

use renkei::accounts::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, TestDatabase, today};

/// The listed changes as (countermeasure, old date, new date, kind).
fn postponed(dashboard: &Value) -> Vec<(i64, String, String, String)> {
    dashboard["postponed"]
        .as_array()
        .unwrap_or_else(|| panic!("no postponed list: {dashboard}"))
        .iter()
        .map(|p| {
            (
                p["countermeasure_id"].as_i64().unwrap(),
                p["previous_due_on"].as_str().unwrap().to_string(),
                p["new_due_on"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn entry(id: i64, from: &str, to: &str, kind: &str) -> (i64, String, String, String) {
    (id, from.into(), to.into(), kind.into())
}

async fn dashboard(app: &TestApp, ward: i64) -> Value {
    let r = app.get(&format!("/api/wards/{ward}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn patch_due(app: &TestApp, id: i64, due: Value) {
    let r = app
        .patch(
            &format!("/api/countermeasures/{id}"),
            json!({ "evaluation_due_on": due }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn step(app: &TestApp, id: i64, body: Value) {
    let r = app.transition(id, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A `secretariat` account of the ward with a display name, and a client
/// acting through its token.
async fn secretariat(app: &TestApp, ward: i64, display_name: &str) -> reqwest::Client {
    let municipality = dashboard(app, ward).await["municipality_id"]
        .as_i64()
        .unwrap();
    let now = NOW.parse().unwrap();
    let id = renkei::accounts::store::create(
        &app.db,
        &renkei::accounts::store::NewAccount {
            email: format!("jimukyoku{ward}@example.jp"),
            display_name: display_name.into(),
            role: Role::Secretariat,
            municipality_id: Some(municipality),
            ward_id: Some(ward),
            member_id: None,
            password_hash: None,
        },
        None,
        now,
    )
    .await
    .unwrap();
    let (_, token) = renkei::accounts::store::create_token(&app.db, id, "tests", None, now)
        .await
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_edit_that_moves_the_due_date_later_is_listed_with_both_dates_who_and_when() {
    let app = TestApp::spawn().await;
    let kita = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let owner = app.member(kita, "在宅 花子").await;
    let cm = app
        .planned_countermeasure(kita, 3, owner, "2026-12-01")
        .await;
    // Planning set the first date: nothing was postponed.
    assert_eq!(postponed(&dashboard(&app, kita).await), []);

    let yamada = secretariat(&app, kita, "北区事務局 山田").await;
    let r = yamada
        .patch(app.url(&format!("/api/countermeasures/{cm}")))
        .json(&json!({ "evaluation_due_on": "2027-01-15" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let d = dashboard(&app, kita).await;
    assert_eq!(
        postponed(&d),
        [entry(cm, "2026-12-01", "2027-01-15", "編集")]
    );
    let p = &d["postponed"][0];
    assert_eq!(p["title"], "具体化する対応策");
    assert_eq!(p["changed_by"], "北区事務局 山田");
    assert_eq!(p["changed_at"], NOW);
    // The entry is the one the history shows.
    let history = app
        .get(&format!("/api/countermeasures/{cm}/history"))
        .await
        .body;
    let last = history["items"].as_array().and_then(|h| h.last()).unwrap();
    assert_eq!(p["event_id"], last["id"]);
    assert_eq!(last["recorded_by"], "北区事務局 山田");

    // Earlier again: not a postponement. Later once more: listed first.
    patch_due(&app, cm, json!("2026-12-20")).await;
    patch_due(&app, cm, json!("2027-02-01")).await;
    let d = dashboard(&app, kita).await;
    assert_eq!(
        postponed(&d),
        [
            entry(cm, "2026-12-20", "2027-02-01", "編集"),
            entry(cm, "2026-12-01", "2027-01-15", "編集"),
        ]
    );
    // The tests' own account has no display name: its address names it.
    assert_eq!(d["postponed"][0]["changed_by"], "operator@example.jp");
}

#[tokio::test]
async fn a_replan_that_sets_a_later_date_is_listed_and_one_that_sets_an_earlier_date_is_not() {
    let app = TestApp::spawn().await;
    let kita = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let owner = app.member(kita, "在宅 花子").await;
    let back = json!({ "to": "未具体化", "note": "計画を見直す" });

    // 具体化 → 未具体化 (the date stays), then 具体化 again with a later date.
    let replanned = app
        .planned_countermeasure(kita, 1, owner, "2026-12-01")
        .await;
    step(&app, replanned, back.clone()).await;
    assert_eq!(postponed(&dashboard(&app, kita).await), []);
    step(
        &app,
        replanned,
        json!({ "to": "具体化", "evaluation_due_on": "2027-03-31" }),
    )
    .await;

    // The date cleared while 未具体化 and set again: compared with the last
    // date it had.
    let cleared = app
        .planned_countermeasure(kita, 2, owner, "2026-12-10")
        .await;
    step(&app, cleared, back.clone()).await;
    patch_due(&app, cleared, Value::Null).await;
    step(
        &app,
        cleared,
        json!({ "to": "具体化", "evaluation_due_on": "2027-02-28" }),
    )
    .await;

    // 評価改善 → 具体化 with a new, later date.
    let evaluated = app
        .planned_countermeasure(kita, 3, owner, "2026-12-15")
        .await;
    step(
        &app,
        evaluated,
        json!({ "to": "評価改善", "evaluation": "研修を実施", "improvement": "対象を広げる", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
    )
    .await;
    step(
        &app,
        evaluated,
        json!({ "to": "具体化", "note": "評価を踏まえて再計画", "evaluation_due_on": "2027-06-30" }),
    )
    .await;

    // A re-plan to an earlier date is not a postponement.
    let sooner = app
        .planned_countermeasure(kita, 4, owner, "2027-03-01")
        .await;
    step(&app, sooner, back.clone()).await;
    step(
        &app,
        sooner,
        json!({ "to": "具体化", "evaluation_due_on": "2026-12-25" }),
    )
    .await;

    assert_eq!(
        postponed(&dashboard(&app, kita).await),
        [
            entry(evaluated, "2026-12-15", "2027-06-30", "段階を戻した"),
            entry(cleared, "2026-12-10", "2027-02-28", "段階を進めた"),
            entry(replanned, "2026-12-01", "2027-03-31", "段階を進めた"),
        ]
    );
}

#[tokio::test]
async fn only_changes_recorded_since_the_half_year_began_in_tokyo_are_listed() {
    let app = TestApp::spawn().await;
    let kita = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let owner = app.member(kita, "在宅 花子").await;
    // 23:59:59 on 30 September in Tokyo (上半期), then midnight (下半期).
    let last_second = app.server_at("2026-09-30T14:59:59Z").await;
    let first_second = app.server_at("2026-09-30T15:00:00Z").await;
    let post = reqwest::Method::POST;
    let mut ids = Vec::new();
    for title in ["上半期に延期", "下半期に延期"] {
        let cm = app
            .send_to(
                &last_second,
                post.clone(),
                &format!("/api/wards/{kita}/countermeasures"),
                json!({ "topic": 1, "title": title }),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        app.send_to(
            &last_second,
            post.clone(),
            &format!("/api/countermeasures/{cm}/transitions"),
            json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2026-10-31" }),
        )
        .await;
        ids.push(cm);
    }
    let later = json!({ "evaluation_due_on": "2026-12-31" });
    for (server, cm) in [(&last_second, ids[0]), (&first_second, ids[1])] {
        app.send_to(
            server,
            reqwest::Method::PATCH,
            &format!("/api/countermeasures/{}", cm),
            later.clone(),
        )
        .await;
    }

    let d = dashboard(&app, kita).await;
    assert_eq!(d["period"], "2026H2");
    assert_eq!(
        postponed(&d),
        [entry(ids[1], "2026-10-31", "2026-12-31", "編集")]
    );
    assert_eq!(d["postponed"][0]["title"], "下半期に延期");
    assert_eq!(d["postponed"][0]["changed_at"], "2026-09-30T15:00:00Z");
    last_second.stop().await.unwrap();
    first_second.stop().await.unwrap();
}

#[tokio::test]
async fn another_wards_postponements_stay_on_its_own_dashboard() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (kita, miyakojima) = (wards[0], wards[1]);
    let owner = app.member(miyakojima, "都島 一郎").await;
    let cm = app
        .planned_countermeasure(miyakojima, 5, owner, "2026-12-01")
        .await;
    patch_due(&app, cm, json!("2027-01-31")).await;

    assert_eq!(postponed(&dashboard(&app, kita).await), []);
    assert_eq!(
        postponed(&dashboard(&app, miyakojima).await),
        [entry(cm, "2026-12-01", "2027-01-31", "編集")]
    );
    // The ward list builds many dashboards: it leaves the list out.
    let list = app.get("/api/wards?limit=100").await.body;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|w| w["postponed"] == json!([])), "{list}");
}

#[tokio::test]
async fn the_dashboard_page_shows_the_postponements_or_says_there_are_none() {
    let app = TestApp::spawn().await;
    let kita = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let (status, page) = app.page(&format!("/wards/{kita}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("延期された評価（0件）"), "{page}");
    assert!(page.contains("令和8年度下半期に評価予定日を先に延ばした対応策はありません。"));

    let owner = app.member(kita, "在宅 花子").await;
    let cm = app
        .planned_countermeasure(kita, 3, owner, "2026-12-01")
        .await;
    let yamada = secretariat(&app, kita, "北区事務局 山田").await;
    let r = yamada
        .patch(app.url(&format!("/api/countermeasures/{cm}")))
        .json(&json!({ "evaluation_due_on": "2027-01-15" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (_, page) = app.page(&format!("/wards/{kita}")).await;
    assert!(page.contains("延期された評価（1件）"), "{page}");
    for header in ["対応策", "変更前 → 変更後", "変更者", "変更日時"] {
        assert!(
            page.contains(&format!("<th scope=\"col\">{header}</th>")),
            "{header}"
        );
    }
    assert!(page.contains(&format!(
        "<a href=\"/countermeasures/{cm}\">具体化する対応策</a>"
    )));
    assert!(page.contains("2026-12-01（令和8年12月1日）"));
    assert!(page.contains("2027-01-15（令和9年1月15日）"));
    assert!(page.contains("北区事務局 山田"));
    // Recorded at 03:00 UTC: noon in Tokyo.
    assert!(
        page.contains(
            "<time datetime=\"2026-11-24T03:00:00Z\"><span class=\"nowrap\">2026-11-24（令和8年11月24日）</span> 12:00</time>"
        ),
        "{page}"
    );
    assert!(!page.contains("<<<<<<<") && !page.contains(">>>>>>>"));
}

/// Rows recorded before the due dates had columns of their own are read
/// from their `changes` by the migration that adds them: an upgraded
/// database lists the postponements it already held.
#[tokio::test]
async fn an_upgraded_database_lists_the_postponements_its_history_already_held() {
    let database = TestDatabase::create().await;
    let db = renkei::db::Db::connect(&database.url, 2).await.unwrap();
    let folder = match db.dialect {
        renkei::db::Dialect::Sqlite => "migrations/sqlite",
        renkei::db::Dialect::Postgres => "migrations/postgres",
    };
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut before = sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version <= 10)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&db.pool).await.unwrap();

    let at = "2026-10-05T01:00:00Z";
    for sql in [
        "INSERT INTO municipalities (id, name, created_at) VALUES (1, '大阪市', '2026-04-01T00:00:00Z')",
        "INSERT INTO wards (id, municipality_id, name, created_at) VALUES (1, 1, '北区', '2026-04-01T00:00:00Z')",
        "INSERT INTO accounts (id, email, display_name, role, municipality_id, ward_id, created_at) \
         VALUES (1, 'yamada@example.jp', '北区事務局 山田', 'secretariat', 1, 1, '2026-04-01T00:00:00Z')",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&db.pool)
            .await
            .unwrap();
    }
    // Three countermeasures and their histories as the app wrote them.
    let histories: [(i64, &[(&str, Value)]); 3] = [
        // Edited later, then earlier.
        (
            1,
            &[
                (
                    "編集",
                    json!({ "evaluation_due_on": { "before": "2026-11-01", "after": "2026-12-01" } }),
                ),
                (
                    "編集",
                    json!({ "evaluation_due_on": { "before": "2026-12-01", "after": "2026-11-15" } }),
                ),
            ],
        ),
        // Cleared while 未具体化, then planned with a later date.
        (
            2,
            &[
                (
                    "編集",
                    json!({ "evaluation_due_on": { "before": "2026-11-01", "after": null } }),
                ),
                (
                    "段階を進めた",
                    json!({ "stage": { "before": "未具体化", "after": "具体化" }, "evaluation_due_on": { "before": null, "after": "2027-01-31" } }),
                ),
            ],
        ),
        // Only the title changed.
        (
            3,
            &[(
                "編集",
                json!({ "title": { "before": "旧", "after": "新" } }),
            )],
        ),
    ];
    for (cm, events) in histories {
        sqlx::query(
            "INSERT INTO countermeasures (id, ward_id, topic, title, evaluation_due_on, stage, created_at, updated_at) \
             VALUES ($1, 1, 1, $2, '2026-11-01', '未具体化', $3, $3)",
        )
        .bind(cm)
        .bind(format!("対応策{cm}"))
        .bind(at)
        .execute(&db.pool)
        .await
        .unwrap();
        let created = json!({ "evaluation_due_on": { "before": null, "after": "2026-11-01" } });
        for (kind, changes) in std::iter::once(&("登録", created)).chain(events.iter()) {
            sqlx::query(
                "INSERT INTO countermeasure_events (countermeasure_id, kind, occurred_on, changes, recorded_at, \
                 recorded_by_account_id) VALUES ($1, $2, '2026-10-05', $3, $4, 1)",
            )
            .bind(cm)
            .bind(*kind)
            .bind(changes.to_string())
            .bind(at)
            .execute(&db.pool)
            .await
            .unwrap();
        }
    }

    db.migrate().await.unwrap();
    let municipality: i64 = sqlx::query_scalar("SELECT municipality_id FROM wards WHERE id = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let scope = renkei::access::operator().ward_read(1, municipality);
    let board = renkei::dashboard::store::for_ward(&db, &scope, today())
        .await
        .unwrap();
    let listed: Vec<_> = board
        .postponed
        .iter()
        .map(|p| {
            (
                p.countermeasure_id,
                p.previous_due_on.to_string(),
                p.new_due_on.to_string(),
                p.changed_by.clone(),
            )
        })
        .collect();
    let yamada = Some("北区事務局 山田".to_string());
    assert_eq!(
        listed,
        [
            (2, "2026-11-01".into(), "2027-01-31".into(), yamada.clone()),
            (1, "2026-11-01".into(), "2026-12-01".into(), yamada),
        ]
    );
    db.pool.close().await;
}
