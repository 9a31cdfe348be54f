//! A countermeasure that has completed a round (次のサイクルへ: back from
//! 評価改善 to 具体化 with `cycle` + 1) counts as 評価改善 for its ward's
//! topic stage: in 資料1, the dashboard and the trends, now and in the
//! history from the day of its first 次のサイクルへ on.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

/// Moves an evaluated countermeasure into its next round on `on`, through
/// the 次のサイクルへ endpoint.
async fn next_cycle(app: &TestApp, id: i64, on: &str) {
    let r = app
        .post(
            &format!("/api/countermeasures/{id}/next-cycle"),
            json!({ "on": on, "evaluation_due_on": "2027-03-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["cycle"], 2);
}

/// Records a countermeasure and takes it to 評価改善 on the given days.
async fn evaluated(
    app: &TestApp,
    ward: i64,
    topic: i64,
    owner: i64,
    planned: &str,
    done: &str,
) -> i64 {
    let id = app
        .countermeasure(ward, topic, "評価まで進んだ対応策")
        .await;
    let r = app
        .transition(
            id,
            json!({ "to": "具体化", "on": planned, "owner_member_id": owner, "evaluation_due_on": "2026-12-31" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .transition(
            id,
            json!({ "to": "評価改善", "on": done, "evaluation": "研修を実施した", "improvement": "対象を広げる",
                    "verdict": "B", "verdict_reason": "参加職種が偏った" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

/// The dashboard's stage of a topic (1–10).
fn dashboard_stage(board: &Value, topic: usize) -> String {
    board["topics"][topic - 1]["stage"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The trends' stage labels of a topic over the half-years.
fn trend_stages(t: &Value, topic: usize) -> Vec<String> {
    t["topics"][topic - 1]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["stage_label"].as_str().unwrap().to_string())
        .collect()
}

struct Fixture {
    app: TestApp,
    /// Topic 2 completed a round today; topic 3 completed one on 2026-09-20
    /// and stepped back to 未具体化 on 2026-10-10.
    kita: i64,
    /// Topic 2 at plain 具体化.
    miyakojima: i64,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (kita, miyakojima) = (wards[0], wards[1]);
    let owner = app.member(kita, "在宅 花子").await;
    let owner_m = app.member(miyakojima, "訪問 太郎").await;

    let today = evaluated(&app, kita, 2, owner, "2026-10-01", "2026-11-01").await;
    next_cycle(&app, today, "2026-11-24").await;

    let earlier = evaluated(&app, kita, 3, owner, "2026-07-01", "2026-08-01").await;
    next_cycle(&app, earlier, "2026-09-20").await;
    let r = app
        .transition(
            earlier,
            json!({ "to": "未具体化", "on": "2026-10-10", "note": "計画を見直す" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    app.planned_countermeasure(miyakojima, 2, owner_m, "2026-12-31")
        .await;
    Fixture {
        app,
        kita,
        miyakojima,
    }
}

#[tokio::test]
async fn a_completed_round_counts_as_evaluated_on_the_dashboard_and_a_plain_plan_does_not() {
    let f = fixture().await;
    let kita = f.app.get(&format!("/api/wards/{}", f.kita)).await;
    assert_eq!(kita.status, StatusCode::OK, "{}", kita.text);
    assert_eq!(dashboard_stage(&kita.body, 2), "評価改善");
    assert_eq!(dashboard_stage(&kita.body, 3), "評価改善");
    assert_eq!(dashboard_stage(&kita.body, 4), "未具体化");
    let miyakojima = f.app.get(&format!("/api/wards/{}", f.miyakojima)).await;
    assert_eq!(dashboard_stage(&miyakojima.body, 2), "具体化");

    // The ward list reads every ward's stages at once, by the same rule.
    let list = f.app.get("/api/wards").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"]
        .as_array()
        .or(list.body.as_array())
        .unwrap()
        .clone();
    let of = |id: i64| items.iter().find(|w| w["id"] == id).unwrap().clone();
    assert_eq!(dashboard_stage(&of(f.kita), 2), "評価改善");
    assert_eq!(dashboard_stage(&of(f.miyakojima), 2), "具体化");

    // The dashboard page (its stored overview included) shows it too.
    let (status, html) = f.app.page(&format!("/wards/{}", f.kita)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("評価改善"), "{html}");
    f.app.stop().await;
}

#[tokio::test]
async fn the_trends_count_a_round_from_the_day_it_was_completed() {
    let f = fixture().await;
    let r = f
        .app
        .get(&format!("/api/wards/{}/trends?halves=3", f.kita))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // 2025H2, 2026H1 (topic 3's round completed on 09-20, before the step
    // back of 10-10), 2026H2 as of today.
    assert_eq!(
        trend_stages(&r.body, 2),
        ["対応策なし", "対応策なし", "評価改善"]
    );
    assert_eq!(
        trend_stages(&r.body, 3),
        ["対応策なし", "評価改善", "評価改善"]
    );
    let city = &r.body["topics"][1]["points"][2]["city"];
    assert_eq!(
        ["evaluated", "planned", "identified", "none"].map(|k| city[k].as_i64().unwrap()),
        [1, 1, 0, 0],
        "{city}"
    );
    let r = f
        .app
        .get(&format!("/api/wards/{}/trends?halves=1", f.miyakojima))
        .await;
    assert_eq!(trend_stages(&r.body, 2), ["具体化"]);
    f.app.stop().await;
}

#[tokio::test]
async fn the_report_counts_a_completed_round_as_evaluated() {
    let f = fixture().await;
    for (ward, expected) in [(f.kita, "評価改善"), (f.miyakojima, "具体化")] {
        let answers =
            renkei::survey::sample::answers(0, renkei::calendar::Period::parse("2026H2").unwrap());
        f.app.submit_survey(ward, "2026H2", answers).await;
        let (status, _, body) = f
            .app
            .download(&format!("/wards/{ward}/report/2026H2/csv/i-stages"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body[3..].to_vec()).unwrap();
        let row = text
            .lines()
            .find(|l| l.starts_with("2. "))
            .unwrap_or_else(|| panic!("{text}"));
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let cells: Vec<&str> = row.split(',').collect();
        let column = header
            .iter()
            .position(|h| {
                *h == renkei::countermeasures::Stage::parse(expected)
                    .unwrap()
                    .report_label()
            })
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(cells[column], "1", "{ward}: {text}");
    }
    // 資料1 of the city: topic 2 is 具体化 in one ward, 評価改善 in the other.
    let r = f.app.get("/api/report/2026H2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let stages = crate::report::chart(&r.body, "i-stages");
    assert_eq!(stages["n"], 2, "{stages}");
    assert_eq!(stages["rows"][1]["counts"], json!([0, 1, 1]), "{stages}");
    assert_eq!(stages["rows"][2]["counts"], json!([1, 0, 1]), "{stages}");
    f.app.stop().await;
}
