//! The ward dashboard's stored overview (`ward_overviews`, migration 0019):
//! a page computes it once and later views read it, but any audited change
//! in the ward's municipality — through any instance, in another ward of
//! the city, or in the city's settings — and the next day make the page
//! show the records as they are. "Today" is 2026-11-24 (2026H2 runs).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{NOW, TestApp};

/// The page's text of the table row headed `label` in the section whose
/// heading starts with `section`: the cells, tags stripped.
fn row_in(page: &str, section: &str, label: &str) -> String {
    let from = page
        .find(&format!("<h2>{section}"))
        .or_else(|| page.find(&format!(">{section}")))
        .unwrap_or_else(|| panic!("no section {section}"));
    let rest = &page[from..];
    let at = rest
        .find(&format!("<th scope=\"row\">{label}</th>"))
        .unwrap_or_else(|| panic!("no row {label} in {section}"));
    let row = &rest[at..rest[at..].find("</tr>").map_or(rest.len(), |e| at + e)];
    let mut text = String::new();
    let mut in_tag = false;
    for c in row.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A page from another server (instance) on the same database.
async fn page_from(app: &TestApp, server: &renkei::app::Running, path: &str) -> String {
    let r = app
        .client
        .get(format!("{}{path}", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn dashboard(app: &TestApp, ward: i64) -> String {
    let (status, page) = app.page(&format!("/wards/{ward}")).await;
    assert_eq!(status, StatusCode::OK);
    page
}

#[tokio::test]
async fn a_change_through_another_instance_shows_at_once_on_a_stored_dashboard() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("連携市", &["東区", "西区"])
        .await;
    let (east, west) = (wards[0], wards[1]);
    let page = dashboard(&app, east).await;
    assert!(!page.contains("訪問診療の評価"), "nothing overdue yet");
    assert_eq!(
        row_in(&page, "PDCAの進み具合", "延期あり"),
        "延期あり 0件 0件"
    );
    assert_eq!(app.count("ward_overviews").await, 1, "the view stored it");
    // The same view again reads the stored overview: nothing changes.
    assert_eq!(dashboard(&app, east).await, page);

    // Another instance plans an evaluation already overdue in 東区 ...
    let other = app.server_at(NOW).await;
    let owner = app
        .send_to(
            &other,
            Method::POST,
            &format!("/api/wards/{east}/members"),
            json!({ "name": "東 医師", "organization": "東医師会", "organization_kind": "医師会" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let id = app
        .send_to(
            &other,
            Method::POST,
            &format!("/api/wards/{east}/countermeasures"),
            json!({ "topic": 3, "title": "訪問診療の評価" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.send_to(
        &other,
        Method::POST,
        &format!("/api/countermeasures/{id}/transitions"),
        json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2026-11-20" }),
    )
    .await;
    // ... and this instance's next view lists it.
    let page = dashboard(&app, east).await;
    let overdue = &page[page
        .find("<h2>評価期限を過ぎた対応策")
        .expect("overdue section")..];
    assert!(
        overdue.contains("訪問診療の評価"),
        "the new overdue evaluation"
    );
    assert!(overdue.contains("東 医師"), "with its owner");

    // A postponement in 西区 moves the city's figure on 東区's dashboard,
    // not 東区's own.
    let west_member = app.member(west, "西 薬剤師").await;
    let w = app
        .planned_countermeasure(west, 5, west_member, "2026-12-10")
        .await;
    assert_eq!(
        row_in(&dashboard(&app, east).await, "PDCAの進み具合", "延期あり"),
        "延期あり 0件 0件"
    );
    app.send_to(
        &other,
        Method::PATCH,
        &format!("/api/countermeasures/{w}"),
        json!({ "evaluation_due_on": "2027-01-20" }),
    )
    .await;
    assert_eq!(
        row_in(&dashboard(&app, east).await, "PDCAの進み具合", "延期あり"),
        "延期あり 0件 1件"
    );
    // 西区's dashboard sets its own figures beside the city's: 東区's
    // overdue evaluation, and the topics no ward has a countermeasure for.
    let page = dashboard(&app, west).await;
    assert_eq!(
        row_in(&page, "PDCAの進み具合", "評価期限超過"),
        "評価期限超過 0件 1件"
    );
    assert_eq!(
        row_in(&page, "PDCAの進み具合", "対応策のない議題"),
        "対応策のない議題 9件 8件"
    );
    // 多職種の参画状況's city column: wards where the kind attended of the
    // wards that held a meeting this half-year.
    let hospital = app
        .send_to(
            &other,
            Method::POST,
            &format!("/api/wards/{west}/members"),
            json!({ "name": "西 病院", "organization": "西病院", "organization_kind": "病院" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for (ward, attendees) in [(east, vec![owner]), (west, vec![hospital])] {
        app.send_to(
            &other,
            Method::POST,
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-11-10", "title": "推進会議", "kind": "推進会議", "topics": [1], "attendee_ids": attendees }),
        )
        .await;
    }
    let page = dashboard(&app, east).await;
    assert!(row_in(&page, "多職種の参画状況", "病院").ends_with("1／2区"));
    assert!(row_in(&page, "多職種の参画状況", "医師会").ends_with("1／2区"));
    assert!(row_in(&page, "多職種の参画状況", "訪問看護").ends_with("0／2区"));
    // 半期ごとの推移's city column: topics at 評価改善 per ward, half up.
    let r = app
        .transition(
            w,
            json!({ "to": "評価改善", "evaluation": "研修の参加者が増えた", "improvement": "次期も継続", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = dashboard(&app, east).await;
    assert!(row_in(&page, "半期ごとの推移", "令和8年度下半期").ends_with(" 0.5"));
    assert!(row_in(&page, "半期ごとの推移", "令和8年度上半期").ends_with(" 0.0"));
    other.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn the_citys_settings_and_the_next_day_refresh_a_stored_dashboard() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("設定市", &["北区"]).await;
    let ward = wards[0];
    let municipality = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    for day in ["2026-10-01", "2026-10-15", "2026-11-01", "2026-11-15"] {
        app.meeting(ward, day, &[1]).await;
    }
    let member = app.member(ward, "北 医師").await;
    app.planned_countermeasure(ward, 2, member, "2026-11-25")
        .await;
    let page = dashboard(&app, ward).await;
    assert!(page.contains("直近3回の会議"), "N = 3 by default");
    let upcoming = &page[page
        .find("<h2>今後30日以内の評価予定")
        .expect("upcoming section")..];
    assert!(upcoming.contains("具体化する対応策"), "due tomorrow");

    // The city's N (a municipality setting, no ward in its audit row).
    let r = app
        .request(
            Method::PUT,
            &format!("/api/municipalities/{municipality}/reminder-settings"),
            Some(json!({ "absence_window": 4 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(dashboard(&app, ward).await.contains("直近4回の会議"));

    // Two days later, with no change at all: yesterday's due date is past.
    let later = app.server_at("2026-11-26T03:00:00Z").await;
    let page = page_from(&app, &later, &format!("/wards/{ward}")).await;
    let overdue = &page[page
        .find("<h2>評価期限を過ぎた対応策")
        .expect("overdue section")..];
    let overdue = &overdue[..overdue
        .find("<h2>今後30日以内の評価予定")
        .unwrap_or(overdue.len())];
    assert!(overdue.contains("具体化する対応策"), "overdue on the 26th");
    later.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn each_wards_consultations_from_the_citys_part_equal_its_own_view() {
    let app = TestApp::spawn_with_demo().await;
    let db = &app.db;
    let today = crate::support::today();
    let wards: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, municipality_id FROM wards ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let grant = renkei::access::operator();
    let first = grant.ward_read(wards[0].0, wards[0].1);
    let all = renkei::consultations::store::compacts_for_city(db, &first, 4, today)
        .await
        .unwrap();
    assert_eq!(all.len(), wards.len());
    let mut with_low = 0;
    for ((ward, municipality), from_city) in wards.iter().zip(&all) {
        let scope = grant.ward_read(*ward, *municipality);
        let own = renkei::consultations::store::compact_for_ward(db, &scope, 4, today)
            .await
            .unwrap();
        assert_eq!(format!("{own:?}"), format!("{from_city:?}"), "ward {ward}");
        with_low += usize::from(own.lines.iter().any(|l| l.low));
    }
    assert!(
        with_low > 0,
        "the demo has wards with low shares to compare"
    );
    app.stop().await;
}

/// One number, straight from the app's database.
async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn preparing_the_day_makes_every_wards_parts_current() {
    let app = TestApp::spawn_with_demo().await;
    let wards = app.count("wards").await;
    assert_eq!(app.count("ward_overviews").await, 0);
    let prepared = renkei::dashboard::store::prepare_all(&app.db, crate::support::today())
        .await
        .unwrap();
    assert_eq!(prepared as i64, wards);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM ward_overviews o JOIN wards w ON w.id = o.ward_id \
             WHERE o.as_of = '2026-11-24' AND o.data_version = w.data_version"
        )
        .await,
        wards
    );
    assert_eq!(
        scalar(&app,
            "SELECT COUNT(*) FROM city_overviews c JOIN municipalities m ON m.id = c.municipality_id \
             WHERE c.as_of = '2026-11-24' AND c.data_version = m.data_version"
        )
        .await,
        app.count("municipalities").await
    );
    // The next day none of them counts: the pass computes them again.
    renkei::dashboard::store::prepare_all(&app.db, "2026-11-25".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM ward_overviews WHERE as_of = '2026-11-25'"
        )
        .await,
        wards
    );
    app.stop().await;
}
