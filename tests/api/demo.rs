//! The demo tells a story: five half-years of history in which the wards
//! differ (who attends, how fast and how punctually they move up the
//! ladder), the same on every load of the same day.

use crate::support::{NOW, TestApp};

/// One number per question, from the app's own database.
async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Per ward: meetings, meetings a hospital attended, evaluated, open past due.
async fn ward_profiles(app: &TestApp) -> Vec<(i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT w.id,
            (SELECT COUNT(*) FROM meetings m WHERE m.ward_id = w.id),
            (SELECT COUNT(DISTINCT a.meeting_id) FROM meeting_attendees a
               JOIN meetings m ON m.id = a.meeting_id JOIN members b ON b.id = a.member_id
              WHERE m.ward_id = w.id AND b.organization_kind = '病院'),
            (SELECT COUNT(*) FROM countermeasures c WHERE c.ward_id = w.id AND c.stage = '評価改善')
         FROM wards w ORDER BY w.id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(w, m, h, e): (i64, i64, i64, i64)| (w, m, h, e))
    .collect()
}

#[tokio::test]
async fn the_demo_has_years_of_history_in_which_the_wards_differ() {
    let app = TestApp::spawn_with_demo().await;
    assert!(
        NOW.starts_with("2026-11"),
        "the figures below assume 2026H2"
    );
    // Meetings in each of the six half-years from 2024H1 to today's.
    for (from, to) in [
        ("2024-04-01", "2024-09-30"),
        ("2024-10-01", "2025-03-31"),
        ("2025-04-01", "2025-09-30"),
        ("2025-10-01", "2026-03-31"),
        ("2026-04-01", "2026-09-30"),
        ("2026-10-01", "2026-11-24"),
    ] {
        let sql = format!(
            "SELECT COUNT(DISTINCT ward_id) FROM meetings WHERE held_on BETWEEN '{from}' AND '{to}'"
        );
        assert!(scalar(&app, &sql).await >= 20, "{from}: most wards met");
    }
    // Nothing is dated after today.
    let future = "SELECT COUNT(*) FROM countermeasure_events WHERE occurred_on > '2026-11-24'";
    assert_eq!(scalar(&app, future).await, 0);
    // The ladder moves at different paces: postponed, stepped back, stalled.
    let postponed = "SELECT COUNT(*) FROM countermeasure_events WHERE due_to > due_from";
    assert!(scalar(&app, postponed).await >= 10);
    let back = "SELECT COUNT(*) FROM countermeasure_events WHERE kind = '段階を戻した'";
    assert!(scalar(&app, back).await >= 2);
    let stalled = "SELECT COUNT(*) FROM countermeasures WHERE stage <> '評価改善' \
                   AND archived = 0 AND created_at < '2025-10-01'";
    assert!(scalar(&app, stalled).await >= 10);
    // Some wards have no hospital at their meetings, most do.
    let profiles = ward_profiles(&app).await;
    let without = profiles.iter().filter(|p| p.2 == 0).count();
    assert!((4..=8).contains(&without), "{without} wards without 病院");
    let evaluated: Vec<i64> = profiles.iter().map(|p| p.3).collect();
    assert!(evaluated.iter().max().unwrap() - evaluated.iter().min().unwrap() >= 5);
    // Surveys submitted for five half-years; 西成区 skipped some.
    let periods = "SELECT COUNT(DISTINCT period) FROM surveys WHERE status = '提出済'";
    assert_eq!(scalar(&app, periods).await, 5);
    let gaps = "SELECT COUNT(*) FROM surveys s JOIN wards w ON w.id = s.ward_id \
                WHERE w.name = '西成区'";
    assert_eq!(scalar(&app, gaps).await, 2);
    // The dashboard's overdue counts per half-year end (SQL) agree with the
    // trends page's replay of the history (Rust) in every ward.
    let mut overdue_at_ends = 0;
    for (ward, ..) in &profiles {
        let page = app.get(&format!("/api/wards/{ward}/trends?halves=4")).await;
        let replayed: Vec<i64> = page.body["periods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["overdue"].as_i64().unwrap())
            .collect();
        let municipality = page.body["municipality_id"].as_i64();
        let scope = renkei::access::operator().ward_read(*ward, municipality.unwrap_or(1));
        let compact =
            renkei::trends::store::compact_for_ward(&app.db, &scope, 4, crate::support::today())
                .await
                .unwrap();
        let counted: Vec<i64> = compact.periods.iter().map(|p| p.overdue).collect();
        assert_eq!(counted, replayed, "ward {ward}");
        overdue_at_ends += counted.iter().sum::<i64>();
    }
    assert!(overdue_at_ends >= 10, "{overdue_at_ends}");
    let counts = app.counts().await;
    app.stop().await;

    // The same day gives the same demo.
    let again = TestApp::spawn_with_demo().await;
    assert_eq!(again.counts().await, counts);
    assert_eq!(ward_profiles(&again).await, profiles);
    again.stop().await;
}

/// The demo shows the national guide's chain (issue 18): the city's vision
/// with a goal in each scene (its own 災害・感染症 too), three indicators
/// measured over three fiscal years in every ward, countermeasures linked
/// to them, and a ward's PDCA sheet that draws it all.
#[tokio::test]
async fn the_demo_draws_the_pdca_chain_from_vision_to_verdict() {
    let app = TestApp::spawn_with_demo().await;
    let (m, kita): (i64, i64) =
        sqlx::query_as("SELECT municipality_id, id FROM wards ORDER BY id LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let vision = app
        .get(&format!("/api/municipalities/{m}/visions/2024-2026"))
        .await;
    assert_eq!(vision.status, 200, "{}", vision.text);
    let scenes: Vec<&str> = vision.body["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["scene"].as_str().unwrap())
        .collect();
    assert_eq!(
        scenes,
        [
            "日常の療養支援",
            "入退院支援",
            "急変時の対応",
            "看取り",
            "災害・感染症"
        ]
    );
    let wards = scalar(&app, "SELECT COUNT(*) FROM wards").await;
    // Three fiscal years (2023–2025) of three indicators, per ward and city-wide.
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM indicator_values").await,
        3 * 3 * (wards + 1)
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(DISTINCT period) FROM indicator_values").await,
        3
    );
    // Every ward's first three countermeasures of the half-year are linked.
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM countermeasure_indicators").await,
        3 * wards
    );
    let (status, page) = app.page(&format!("/wards/{kita}/pdca")).await;
    assert_eq!(status, 200);
    for text in [
        "医療と介護が必要になっても",
        "区内の全病院と入退院時の情報共有シートを運用する",
        "入退院支援ルールを活用したケアマネジャーの割合",
        "入退院時の情報共有シートの運用",
    ] {
        assert!(page.contains(text), "{text}");
    }
    app.stop().await;
}
