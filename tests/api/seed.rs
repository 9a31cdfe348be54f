//! `renkei seed`: generated data loaded into a real database is what the
//! API then lists, and the database keeps working for new writes.

use renkei::seed::{self, Scale};
use serde_json::json;

use crate::support::{NOW, TestApp, today};

/// The tiny scale, generated as of the tests' fixed clock.
async fn load_tiny(app: &TestApp, seed: u64) -> Result<seed::Totals, renkei::error::AppError> {
    seed::load(
        &app.db,
        &Scale::tiny(),
        seed,
        today(),
        NOW.parse().unwrap(),
        &mut |_| {},
    )
    .await
}

#[tokio::test]
async fn a_seeded_database_is_listed_by_the_api_and_accepts_new_writes() {
    let app = TestApp::spawn().await;
    let totals = load_tiny(&app, 42).await.expect("seed");

    let wards = app.get("/api/wards").await;
    assert_eq!(wards.status, 200, "{}", wards.text);
    let items = wards.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert!(items.iter().any(|w| w["name"] == "例示村"));
    // One evaluation round per step into 具体化, as the live writes keep them.
    let into_planned: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM countermeasure_events WHERE to_stage = '具体化'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(into_planned > 0);
    assert_eq!(app.count("evaluation_rounds").await, into_planned);

    // Every ward's open 具体化 countermeasures, page by page, add up to the
    // generator's count of open 具体化 ones; the overdue filter agrees with
    // the generator's overdue count.
    let (mut planned, mut overdue, mut archived) = (0, 0, 0);
    for w in items {
        let id = w["id"].as_i64().unwrap();
        let page = app
            .get(&format!(
                "/api/wards/{id}/countermeasures?stage=具体化&limit=7&offset=0"
            ))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let total = page.body["total"].as_i64().unwrap();
        assert!(page.body["items"].as_array().unwrap().len() as i64 == total.min(7));
        assert!(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["stage"] == "具体化" && c["owner_member_id"].is_i64())
        );
        planned += total;
        let late = app
            .get(&format!(
                "/api/wards/{id}/countermeasures?overdue=true&limit=500"
            ))
            .await;
        overdue += late.body["total"].as_i64().unwrap();
        let closed = app
            .get(&format!(
                "/api/wards/{id}/countermeasures?archived=true&limit=500"
            ))
            .await;
        archived += closed.body["total"].as_i64().unwrap();
        let (status, html) = app.page(&format!("/wards/{id}")).await;
        assert_eq!(status, 200, "{html}");
    }
    // Archived ones are never 具体化 (the generator closes finished or stale work).
    assert_eq!(planned, totals.by_stage[1] as i64);
    assert_eq!(overdue, totals.overdue as i64);
    assert_eq!(archived, totals.archived as i64);
    assert!(overdue > 0);

    // A seeded countermeasure's history starts with its creation, and it
    // takes the next step like any other.
    let id = app
        .get(&format!(
            "/api/wards/{}/countermeasures?overdue=true&limit=1",
            items[0]["id"]
        ))
        .await
        .body["items"][0]["id"]
        .as_i64();
    let id = match id {
        Some(id) => id,
        None => app
            .get("/api/wards/1/countermeasures?stage=具体化&limit=1")
            .await
            .body["items"][0]["id"]
            .as_i64()
            .expect("a 具体化 countermeasure"),
    };
    let history = app.get(&format!("/api/countermeasures/{id}/history")).await;
    assert_eq!(history.body["items"][0]["kind"], "登録");
    let step = app
        .transition(
            id,
            json!({"to": "評価改善", "evaluation": "評価", "improvement": "改善", "verdict": "一部達成", "verdict_reason": "目標の一部を達成"}),
        )
        .await;
    assert_eq!(step.status, 200, "{}", step.text);
    let history = app.get(&format!("/api/countermeasures/{id}/history")).await;
    let last = history.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["to_stage"], "評価改善");

    // New rows get fresh ids after the explicit ones (PostgreSQL's sequences).
    let ward = items[0]["id"].as_i64().unwrap();
    let member = app.member(ward, "新規 委員").await;
    assert!(member > totals.rows[seed::MEMBERS] as i64);

    // A second seed into the same database changes nothing.
    let again = load_tiny(&app, 42).await;
    assert!(again.is_err());
    assert_eq!(
        app.count("countermeasures").await,
        totals.rows[seed::COUNTERMEASURES] as i64
    );
    app.stop().await;
}

/// The stages of a past half-year (資料1's (イ)) take a shortcut through
/// each countermeasure's `last_stage_on`; over seeded years of history they
/// equal the definition: per countermeasure the last stage-setting row up to
/// the day, then the most advanced per ward and topic.
#[tokio::test]
async fn past_stages_from_the_shortcut_equal_a_replay_of_the_whole_history() {
    use renkei::calendar::Period;
    use renkei::countermeasures::Stage;
    use sqlx::Row;
    use std::collections::BTreeMap;

    let app = TestApp::spawn().await;
    load_tiny(&app, 7).await.expect("seed");
    let rows = sqlx::query(
        "SELECT c.ward_id, c.topic, e.countermeasure_id, e.to_stage, e.occurred_on \
         FROM countermeasure_events e JOIN countermeasures c ON c.id = e.countermeasure_id \
         WHERE e.to_stage IS NOT NULL ORDER BY e.id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let rank = |s: &str| match Stage::parse(s).unwrap() {
        Stage::Identified => 0,
        Stage::Planned => 1,
        Stage::Evaluated => 2,
    };
    let mut period = Period::containing(today());
    let mut changed_after = 0;
    for _ in 0..10 {
        let until = period.end();
        // The replay: rows in id order, the last one up to the day wins.
        let mut last: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
        for r in &rows {
            let on: String = r.get("occurred_on");
            if on.as_str() <= until.to_string().as_str() {
                let stage: String = r.get("to_stage");
                last.insert(
                    r.get("countermeasure_id"),
                    (r.get("ward_id"), r.get("topic"), rank(&stage)),
                );
            } else {
                changed_after += 1;
            }
        }
        let mut expected: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        for (ward, topic, rank) in last.into_values() {
            let best = expected.entry((ward, topic)).or_insert(rank);
            *best = (*best).max(rank);
        }
        let actual: BTreeMap<(i64, i64), i64> =
            renkei::trends::store::topic_stages_at(&app.db, None, until)
                .await
                .unwrap()
                .into_iter()
                .map(|(w, t, s)| ((w, t), rank(s.as_str())))
                .collect();
        assert_eq!(actual, expected, "stages at {until}");
        assert!(!expected.is_empty(), "stages at {until}");
        period = period.previous();
    }
    // The periods did exercise both paths.
    assert!(changed_after > 0);

    // The dashboard page reads both half-years at once; it shows what the
    // dashboard API and the survey read one by one.
    let previous = Period::containing(today()).previous();
    let wards: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, municipality_id FROM wards ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    for (w, m) in wards {
        let scope = renkei::access::operator().ward_read(w, m);
        let (board, survey) = renkei::dashboard::store::for_ward_page(&app.db, &scope, today())
            .await
            .unwrap();
        let alone = renkei::dashboard::store::for_ward(&app.db, &scope, today())
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&board).unwrap(),
            serde_json::to_value(&alone).unwrap(),
            "ward {w}"
        );
        let survey_alone = renkei::survey::store::get(&app.db, &scope, previous)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&survey).unwrap(),
            serde_json::to_value(&survey_alone).unwrap(),
            "ward {w}"
        );
    }
    app.stop().await;
}

/// The seeded surveys give 相談の内訳 its figures: every ward has counts for
/// the half-year that ended last and a 件/月 for each earlier half-year, and
/// the wards' counts differ.
#[tokio::test]
async fn seeded_surveys_give_every_ward_consultation_figures_that_differ() {
    let app = TestApp::spawn().await;
    let totals = load_tiny(&app, 42).await.expect("seed");
    assert!(totals.rows[seed::SURVEYS] >= 4 * 9, "{:?}", totals.rows);

    let city = app.get("/api/municipalities/1/consultations").await;
    assert_eq!(city.status, 200, "{}", city.text);
    let wards = city.body["wards"].as_array().expect("wards");
    assert_eq!(wards.len(), 2);
    for w in wards {
        assert_eq!(w["answer"], "提出済", "{w}");
        assert!(w["requests_total"].as_i64().unwrap() > 0, "{w}");
    }
    assert_ne!(wards[0]["by_requester"], wards[1]["by_requester"]);

    for w in app.get("/api/wards").await.body["items"]
        .as_array()
        .unwrap()
    {
        let id = w["id"].as_i64().unwrap();
        let ward = app
            .get(&format!("/api/wards/{id}/consultations?halves=6"))
            .await;
        assert_eq!(ward.status, 200, "{}", ward.text);
        let trend = ward.body["trend"].as_array().expect("trend");
        assert_eq!(trend.len(), 6);
        assert!(
            trend
                .iter()
                .all(|p| p["answer"] == "提出済" && p["per_month"].is_string()),
            "{}",
            ward.text
        );
    }
    app.stop().await;
}
