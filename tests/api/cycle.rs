//! The PDCA cycle of the national guide (issue 18) on countermeasures:
//! several scenes and linked indicators, the verdict of an evaluation kept
//! in the history with the indicators' latest values, and 次のサイクルへ,
//! after which the overdue reminder follows the new round's due date.

use chrono::{DateTime, Utc};
use renkei::access::Role;
use renkei::reminders::sender::send_pending_once;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    NOW, SmtpSink, TestApp, assert_problem, create_account_token, error_fields, mailer, overdue_job,
};

const OWNER: &str = "kango.tanaka@example.jp";
const OWNER_NAME: &str = "田中 看護";
const JIMU: &str = "higashi-jimu@city.example.jp";
const TITLE: &str = "退院前カンファレンスの共通様式";

struct World {
    app: TestApp,
    ward: i64,
    municipality: i64,
    owner: i64,
    indicator: i64,
    /// Two more wards of the municipality, empty.
    others: [i64; 2],
}

/// A ward with an owner (with an address) and a secretariat address, and an
/// indicator of its municipality with two values (the half-year is the
/// latest), written with plain SQL.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("テスト市", &["東区", "西区", "北区"])
        .await;
    let ward = wards[0];
    let municipality = app.municipality_of(ward).await;
    app.set_secretariat(ward, JIMU).await;
    let owner = app.member_with_email(ward, OWNER_NAME, OWNER).await;
    let indicator: i64 = sqlx::query_scalar(
        "INSERT INTO indicators (municipality_id, name, level, unit, data_source, direction, frequency, \
         created_at, updated_at) VALUES ($1, '退院前カンファレンス実施率', 'プロセス', '%', '実績報告', '↑', '半期', $2, $2) \
         RETURNING id",
    )
    .bind(municipality)
    .bind(NOW)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    for (period, value) in [("2025", "40.0"), ("2026H1", "52.5")] {
        sqlx::query(
            "INSERT INTO indicator_values (indicator_id, municipality_id, ward_id, period, value, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(indicator)
        .bind(municipality)
        .bind(ward)
        .bind(period)
        .bind(value)
        .bind(NOW)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    World {
        app,
        ward,
        municipality,
        owner,
        indicator,
        others: [wards[1], wards[2]],
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn history(app: &TestApp, id: i64) -> Vec<Value> {
    let r = app.get(&format!("/api/countermeasures/{id}/history")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

/// A countermeasure of two scenes and the indicator, planned with a due
/// date already past (overdue on the test's day, 2026-11-24).
async fn linked_and_planned(w: &World) -> i64 {
    let r = w
        .app
        .post(
            &format!("/api/wards/{}/countermeasures", w.ward),
            json!({ "topic": 3, "title": TITLE, "scenes": ["日常の療養支援", "入退院支援"],
                    "indicator_ids": [w.indicator] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["scenes"], json!(["日常の療養支援", "入退院支援"]));
    assert_eq!(r.body["indicator_ids"], json!([w.indicator]));
    let id = r.body["id"].as_i64().unwrap();
    let r = w
        .app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": w.owner, "evaluation_due_on": "2026-11-10",
                    "on": "2026-10-01" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["overdue"], true);
    id
}

fn evaluation() -> Value {
    json!({ "to": "評価改善", "on": "2026-11-20", "evaluation": "3病院で様式を運用",
            "improvement": "残る2病院に広げる" })
}

#[tokio::test]
async fn an_evaluation_needs_a_verdict_and_keeps_the_indicators_latest_values() {
    let w = world().await;
    let id = linked_and_planned(&w).await;

    // Without verdict and reason: refused, each named in Japanese.
    let before = w.app.counts().await;
    let r = w.app.transition(id, evaluation()).await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["verdict", "verdict_reason"]);
    assert!(r.text.contains("達成度"), "{}", r.text);
    assert_eq!(w.app.counts().await, before, "nothing written");

    // An unknown verdict is malformed input.
    let mut step = evaluation();
    step["verdict"] = json!("大成功");
    step["verdict_reason"] = json!("理由");
    let r = w.app.transition(id, step).await;
    assert_problem(&r, 422);
    assert!(r.text.contains("大成功"), "{}", r.text);

    let mut step = evaluation();
    step["verdict"] = json!("一部達成");
    step["verdict_reason"] = json!("5病院中3病院にとどまった");
    let r = w.app.transition(id, step).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "評価改善");
    assert_eq!(r.body["verdict"], "一部達成");
    assert_eq!(r.body["verdict_reason"], "5病院中3病院にとどまった");
    assert_eq!(r.body["cycle"], 1);

    let h = history(&w.app, id).await;
    let evaluated = h.last().unwrap();
    assert_eq!(evaluated["to_stage"], "評価改善");
    assert_eq!(evaluated["verdict"], "一部達成");
    assert_eq!(evaluated["verdict_reason"], "5病院中3病院にとどまった");
    assert_eq!(
        evaluated["indicator_values"],
        json!([{ "indicator_id": w.indicator, "name": "退院前カンファレンス実施率", "unit": "%",
                 "period": "2026H1", "value": "52.5", "city_wide": false }])
    );
    // Entries other than evaluations keep no values.
    assert!(h[0]["indicator_values"].is_null());

    // The page prints the verdict as the sheets grade it, and the kept value.
    let (status, page) = w.app.page(&format!("/countermeasures/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "<dt>達成度</dt><dd>B 一部達成</dd>",
        "達成度: B 一部達成",
        "退院前カンファレンス実施率: 52.5%（2026H1）",
        "在宅療養の場面</dt><dd>日常の療養支援・入退院支援</dd>",
        "<h2>次のサイクルへ</h2>",
    ] {
        assert!(page.contains(text), "page lacks {text}");
    }
    w.app.stop().await;
}

#[tokio::test]
async fn an_indicator_of_another_municipality_or_an_unknown_scene_is_refused() {
    let w = world().await;
    let other = w.app.municipality_with_wards("別の市", &["西区"]).await[0];
    let r = w
        .app
        .post(
            &format!("/api/wards/{other}/countermeasures"),
            json!({ "topic": 3, "title": "x", "indicator_ids": [w.indicator] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["indicator_ids"]);
    // The municipality's own scene is accepted, another's is not.
    sqlx::query(
        "INSERT INTO scenes (municipality_id, name, sort_order, created_at) VALUES ($1, '災害・感染症', 1, $2)",
    )
    .bind(w.municipality)
    .bind(NOW)
    .execute(&w.app.db.pool)
    .await
    .unwrap();
    let id = w.app.countermeasure(w.ward, 4, "災害時の連絡網").await;
    let r = w
        .app
        .patch(
            &format!("/api/countermeasures/{id}"),
            json!({ "scenes": ["災害・感染症", "看取り"], "indicator_ids": [w.indicator] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["scenes"], json!(["看取り", "災害・感染症"]));
    // Absent keeps them; [] clears them.
    let r = w
        .app
        .patch(
            &format!("/api/countermeasures/{id}"),
            json!({ "title": "災害時の連絡網づくり" }),
        )
        .await;
    assert_eq!(r.body["scenes"], json!(["看取り", "災害・感染症"]));
    assert_eq!(r.body["indicator_ids"], json!([w.indicator]));
    let r = w
        .app
        .patch(
            &format!("/api/countermeasures/{id}"),
            json!({ "scenes": [], "indicator_ids": [] }),
        )
        .await;
    assert_eq!(r.body["scenes"], json!([]));
    assert_eq!(r.body["indicator_ids"], json!([]));
    let r = w
        .app
        .post(
            &format!("/api/wards/{other}/countermeasures"),
            json!({ "topic": 3, "title": "x", "scenes": ["災害・感染症"] }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["scenes"]);
    w.app.stop().await;
}

#[tokio::test]
async fn the_next_cycle_starts_a_new_round_and_the_overdue_reminder_follows_it() {
    let w = world().await;
    let smtp = SmtpSink::start();
    let job = overdue_job(7, 7, 14, 5);
    let id = linked_and_planned(&w).await;

    // Round 1 is overdue: its reminder goes out.
    let report = w.app.run_job(&job, at(NOW)).await;
    assert_eq!(report.queued, 2, "the owner and the secretariat");
    send_pending_once(&w.app.db, &mailer(&smtp.url()), at(NOW))
        .await
        .unwrap();
    assert_eq!(smtp.to(OWNER).len(), 1);

    let mut step = evaluation();
    // The sheets' grade is accepted; the answer carries the label.
    step["verdict"] = json!("C");
    step["verdict_reason"] = json!("様式の合意に至らず");
    let r = w.app.transition(id, step).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["verdict"], "未達成");

    // A member who owns it records evaluations, not the next cycle.
    let token = create_account_token(
        &w.app.db,
        "iin@example.jp",
        Role::Member,
        Some(w.municipality),
        Some(w.ward),
        at(NOW),
    )
    .await;
    sqlx::query("UPDATE accounts SET member_id = $1 WHERE email = 'iin@example.jp'")
        .bind(w.owner)
        .execute(&w.app.db.pool)
        .await
        .unwrap();
    let next = json!({ "evaluation_due_on": "2026-12-01", "plan": "残る2病院と様式を合意する",
                       "note": "第4回推進会議で決定" });
    let r = reqwest::Client::new()
        .post(w.app.url(&format!("/api/countermeasures/{id}/next-cycle")))
        .bearer_auth(&token)
        .json(&next)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The due date must follow the step's day.
    let r = w
        .app
        .post(
            &format!("/api/countermeasures/{id}/next-cycle"),
            json!({ "evaluation_due_on": "2026-11-24" }),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["evaluation_due_on"]);

    let rounds_before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM evaluation_rounds WHERE countermeasure_id = $1")
            .bind(id)
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    let r = w
        .app
        .post(&format!("/api/countermeasures/{id}/next-cycle"), next)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["stage"], "具体化");
    assert_eq!(r.body["cycle"], 2);
    assert_eq!(r.body["evaluation_due_on"], "2026-12-01");
    assert_eq!(r.body["plan"], "残る2病院と様式を合意する");
    assert_eq!(r.body["owner_member_id"], w.owner);
    assert_eq!(r.body["overdue"], false);
    for cleared in ["evaluation", "improvement", "verdict", "verdict_reason"] {
        assert!(r.body[cleared].is_null(), "{cleared}: {}", r.body);
    }
    assert_eq!(r.body["scenes"], json!(["日常の療養支援", "入退院支援"]));

    // The finished round stays in the history, then 次のサイクルへ.
    let h = history(&w.app, id).await;
    let kinds: Vec<&str> = h.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["登録", "段階を進めた", "段階を進めた", "次のサイクルへ"]
    );
    assert_eq!(h[2]["verdict"], "未達成");
    assert_eq!(h[2]["indicator_values"][0]["value"], "52.5");
    let last = &h[3];
    assert_eq!(
        (last["from_stage"].as_str(), last["to_stage"].as_str()),
        (Some("評価改善"), Some("具体化"))
    );
    assert_eq!(last["note"], "第4回推進会議で決定");
    assert_eq!(last["changes"]["cycle"], json!({ "before": 1, "after": 2 }));
    let rounds: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM evaluation_rounds WHERE countermeasure_id = $1")
            .bind(id)
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    assert_eq!(rounds, rounds_before + 1, "a new evaluation round");

    // Only from 評価改善: again now is a conflict.
    let r = w
        .app
        .post(
            &format!("/api/countermeasures/{id}/next-cycle"),
            json!({ "evaluation_due_on": "2027-03-31" }),
        )
        .await;
    assert_problem(&r, 409);

    // The new round passes its due date without an evaluation: the overdue
    // reminder goes out again.
    let later = at("2026-12-10T03:00:00Z");
    let report = w.app.run_job(&job, later).await;
    assert!(report.queued >= 1, "{report:?}");
    send_pending_once(&w.app.db, &mailer(&smtp.url()), later)
        .await
        .unwrap();
    let to_owner = smtp.to(OWNER);
    assert_eq!(to_owner.len(), 2, "a reminder for the new round");
    let text = to_owner[1].text();
    assert!(text.contains(TITLE), "{text}");
    w.app.stop().await;
}

#[tokio::test]
async fn the_next_cycle_form_asks_for_the_due_date_and_starts_the_round() {
    let w = world().await;
    let id = linked_and_planned(&w).await;
    let mut step = evaluation();
    step["verdict"] = json!("B");
    step["verdict_reason"] = json!("一部の病院のみ");
    assert_eq!(w.app.transition(id, step).await.status, StatusCode::OK);
    let path = format!("/countermeasures/{id}/next-cycle");
    let resp = w
        .app
        .post_form(&path, &[("evaluation_due_on", ""), ("plan", "新しい計画")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains(
            r#"id="cycle-evaluation_due_on-error">次のサイクルの評価予定日を入力してください"#
        ),
        "{page}"
    );
    assert!(page.contains(">新しい計画</textarea>"), "the plan is kept");
    let resp = w
        .app
        .post_form(
            &path,
            &[
                ("evaluation_due_on", "2027-03-31"),
                ("plan", "新しい計画"),
                ("on", ""),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cm = w.app.get(&format!("/api/countermeasures/{id}")).await.body;
    assert_eq!(
        (cm["stage"].as_str(), cm["cycle"].as_i64()),
        (Some("具体化"), Some(2))
    );
    assert_eq!(cm["plan"], "新しい計画");
    let (_, page) = w.app.page(&format!("/countermeasures/{id}")).await;
    assert!(page.contains("次のサイクルへ：評価改善 → 具体化"), "{page}");
    assert!(page.contains("<dt>サイクル</dt><dd>2巡目</dd>"), "{page}");
    assert!(
        !page.contains("<h2>次のサイクルへ</h2>"),
        "only at 評価改善"
    );
    w.app.stop().await;
}

#[tokio::test]
async fn the_next_cycle_only_starts_from_an_evaluation() {
    let w = world().await;
    let id = w
        .app
        .planned(w.ward, 2, "連携の取組状況の共有会", w.owner, "2027-01-31")
        .await;
    let before = w.app.counts().await;
    let r = w
        .app
        .post(
            &format!("/api/countermeasures/{id}/next-cycle"),
            json!({ "evaluation_due_on": "2027-03-31" }),
        )
        .await;
    assert_problem(&r, 409);
    assert!(r.text.contains("評価改善"), "{}", r.text);
    assert_eq!(w.app.counts().await, before);
    w.app.stop().await;
}

#[tokio::test]
async fn scenes_and_verdicts_round_trip_through_the_csv_and_a_bad_scene_imports_nothing() {
    let w = world().await;
    let id = linked_and_planned(&w).await;
    let mut step = evaluation();
    step["verdict"] = json!("達成");
    step["verdict_reason"] = json!("全病院で運用");
    assert_eq!(w.app.transition(id, step).await.status, StatusCode::OK);
    let (status, _, file) = w
        .app
        .download(&format!("/wards/{}/countermeasures.csv", w.ward))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(file[3..].to_vec()).unwrap();
    assert!(
        text.contains("3,日常の療養支援;入退院支援,退院前カンファレンスの共通様式,"),
        "{text}"
    );
    assert!(text.contains(",A 達成,全病院で運用\r\n"), "{text}");

    // Into another ward of the municipality (its owner has the same name).
    let second = w.others[0];
    w.app
        .member_with_email(second, OWNER_NAME, "other@example.jp")
        .await;
    let r = w
        .app
        .post_bytes(
            &format!("/api/wards/{second}/countermeasures/import"),
            text.clone().into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = w
        .app
        .get(&format!("/api/wards/{second}/countermeasures"))
        .await;
    let cm = &list.body["items"][0];
    assert_eq!(cm["scenes"], json!(["日常の療養支援", "入退院支援"]));
    assert_eq!(cm["verdict"], "達成");
    assert_eq!(cm["verdict_reason"], "全病院で運用");

    // A file without 達成度 still imports an evaluation (older sheets).
    let third = w.others[1];
    w.app.member(third, "委員 一郎").await;
    let old = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階,評価,改善\r\n\
        5,看取り；急変時の対応,研修,,,委員 一郎,2026-10-01,評価改善,研修を実施,継続\r\n";
    let r = w
        .app
        .post_bytes(
            &format!("/api/wards/{third}/countermeasures/import"),
            old.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cm = &w
        .app
        .get(&format!("/api/wards/{third}/countermeasures"))
        .await
        .body["items"][0];
    assert_eq!(cm["stage"], "評価改善");
    assert!(cm["verdict"].is_null());
    assert_eq!(cm["scenes"], json!(["急変時の対応", "看取り"]));

    // A scene the municipality does not have names its cell; nothing is imported.
    let before = w.app.counts().await;
    let bad = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階\r\n\
        1,,資源マップ,,,,,未具体化\r\n\
        2,看取り;宇宙,共有会,,,,,未具体化\r\n";
    let r = w
        .app
        .post_bytes(
            &format!("/api/wards/{third}/countermeasures/import"),
            bad.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["3行目「場面」"]);
    assert!(r.text.contains("宇宙"), "{}", r.text);
    assert_eq!(w.app.counts().await, before, "nothing imported");
    w.app.stop().await;
}

/// The verdict is required once the municipality has 評価指標; before
/// that, clients written before verdicts existed still record evaluations
/// (未記録), and their reminders stop.
#[tokio::test]
async fn a_municipality_without_indicators_may_record_an_evaluation_without_a_verdict() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("乙市", &["東区"]).await;
    let m = app.municipality_of(wards[0]).await;
    let owner = app.member(wards[0], "在宅 一郎").await;
    let step = json!({ "to": "評価改善", "evaluation": "研修を実施", "improvement": "継続する" });
    let first = app
        .planned_countermeasure(wards[0], 2, owner, "2026-12-01")
        .await;
    let r = app.transition(first, step.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["verdict"], Value::Null);

    let r = app
        .post(
            &format!("/api/municipalities/{m}/indicators"),
            json!({ "name": "研修の開催回数", "level": "アウトプット", "data_source": "実績報告",
                    "direction": "↑", "frequency": "年度" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = app
        .planned_countermeasure(wards[0], 3, owner, "2026-12-01")
        .await;
    let r = app.transition(second, step).await;
    assert_problem(&r, 409);
    assert_eq!(error_fields(&r), ["verdict", "verdict_reason"]);
    app.stop().await;
}
