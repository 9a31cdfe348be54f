//! Issue 18 end to end, through the API and the pages only: the national
//! guide's chain from 目指すべき姿 to the verdict of an evaluation and the
//! next cycle, as a city and a ward would enter it.

use renkei::access::Role;
use renkei::reminders::sender::send_pending_once;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    NOW, Resp, SmtpSink, TestApp, assert_problem, create_account_token, mailer, overdue_job,
};

const OWNER: &str = "houmon.kango@example.jp";
const VISION: &str = "住み慣れた地域で、最期まで自分らしく暮らし続けられるまち";
const GOAL: &str = "入院時から退院後の生活を見据えた支援が切れ目なく行われる";
const INDICATOR: &str = "入退院支援ルールを活用したケアマネジャーの割合";
const TITLE: &str = "入退院時の情報共有シートの運用";

async fn as_token(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Resp {
    let req = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body);
    Resp::read(req.send().await.unwrap()).await
}

fn ok(r: Resp, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.text);
    r.body
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn the_chain_from_vision_to_verdict_and_next_cycle_holds_together() {
    let app = TestApp::spawn().await;
    let smtp = SmtpSink::start();
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (kita, miyakojima) = (wards[0], wards[1]);
    let m = app.municipality_of(kita).await;

    // The city: its own scene, the vision with a goal in every scene.
    ok(
        app.post(
            &format!("/api/municipalities/{m}/scenes"),
            json!({ "name": "災害・感染症" }),
        )
        .await,
        StatusCode::CREATED,
    );
    let goals: Vec<Value> = [
        "日常の療養支援",
        "入退院支援",
        "急変時の対応",
        "看取り",
        "災害・感染症",
    ]
    .iter()
    .map(|s| {
        let goal = if *s == "入退院支援" {
            GOAL.to_string()
        } else {
            format!("{s}の目標")
        };
        json!({ "scene": s, "goal": goal })
    })
    .collect();
    let vision = json!({ "text": VISION, "sharing": "事業計画に記載し関係者と共有",
                         "cycle_years": 1, "goals": goals });
    let v = ok(
        app.request(
            Method::PUT,
            &format!("/api/municipalities/{m}/visions/2024-2026"),
            Some(vision.clone()),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(v["goals"].as_array().unwrap().len(), 5, "{v}");

    // An indicator with baseline and target; three fiscal years for two wards.
    let ind = ok(
        app.post(
            &format!("/api/municipalities/{m}/indicators"),
            json!({ "name": INDICATOR, "level": "中間アウトカム", "unit": "%",
                    "definition": "分子: ルールを活用したケアマネジャー数 / 分母: 回答したケアマネジャー数",
                    "data_source": "独自調査", "direction": "↑",
                    "baseline": { "value": "40.0", "period": "2023" },
                    "target": { "value": "70", "period": "2026" },
                    "frequency": "年度", "scenes": ["入退院支援"] }),
        )
        .await,
        StatusCode::CREATED,
    )["id"]
        .as_i64()
        .unwrap();
    let mut values = Vec::new();
    for (ward, base) in [(kita, 40), (miyakojima, 35)] {
        for (i, year) in ["2023", "2024", "2025"].iter().enumerate() {
            values.push(json!({ "ward_id": ward, "period": year,
                                "value": format!("{}.5", base + 8 * i as i64) }));
        }
    }
    ok(
        app.request(
            Method::PUT,
            &format!("/api/indicators/{ind}/values"),
            Some(Value::Array(values)),
        )
        .await,
        StatusCode::OK,
    );
    let stored = app.count("indicator_values").await;
    assert_eq!(stored, 6);

    // A CSV of values with one bad row imports nothing and names the cell.
    let csv =
        format!("区,評価指標,期間,値\n北区,{INDICATOR},2026,60\n都島区,{INDICATOR},2026,六十\n");
    let r = app
        .client
        .post(app.url(&format!("/api/municipalities/{m}/indicator-values/import")))
        .header("content-type", "application/octet-stream")
        .body(csv.into_bytes())
        .send()
        .await
        .unwrap();
    let r = Resp::read(r).await;
    assert_problem(&r, 422);
    assert!(r.text.contains("3行目"), "{}", r.text);
    assert_eq!(app.count("indicator_values").await, stored);

    // The ward: a countermeasure for two scenes and the indicator, planned
    // with an owner, overdue, then evaluated with verdict B.
    app.set_secretariat(kita, "kita-jimu@city.example.jp").await;
    let owner = app.member_with_email(kita, "訪問 看護", OWNER).await;
    let cm = ok(
        app.post(
            &format!("/api/wards/{kita}/countermeasures"),
            json!({ "topic": 4, "title": TITLE,
                    "scenes": ["入退院支援", "日常の療養支援"], "indicator_ids": [ind] }),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(cm["scenes"], json!(["日常の療養支援", "入退院支援"]));
    let id = cm["id"].as_i64().unwrap();
    ok(
        app.transition(
            id,
            json!({ "to": "具体化", "on": "2026-06-01", "owner_member_id": owner,
                    "evaluation_due_on": "2026-10-31" }),
        )
        .await,
        StatusCode::OK,
    );
    let evaluation = json!({ "to": "評価改善", "on": "2026-11-20",
                             "evaluation": "活用率は56.5%に上がった", "improvement": "病院側の説明会を増やす" });
    assert_problem(&app.transition(id, evaluation.clone()).await, 409);
    let mut step = evaluation;
    step["verdict"] = json!("B");
    step["verdict_reason"] = json!("目標の70%には届かなかった");
    let done = ok(app.transition(id, step).await, StatusCode::OK);
    assert_eq!(done["verdict"], "一部達成");
    let history = ok(
        app.get(&format!("/api/countermeasures/{id}/history")).await,
        StatusCode::OK,
    );
    let text = history.to_string();
    assert!(
        text.contains("\"value\":\"56.5\"") && text.contains("\"period\":\"2025\""),
        "the evaluation keeps the indicator's latest value: {text}"
    );

    // 次のサイクルへ: back to 具体化 for a new round due 2026-11-30.
    let next = ok(
        app.post(
            &format!("/api/countermeasures/{id}/next-cycle"),
            json!({ "evaluation_due_on": "2026-11-30", "plan": "病院向け説明会を2回開く" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(
        (next["stage"].as_str(), next["cycle"].as_i64()),
        (Some("具体化"), Some(2))
    );

    // Overdue again: a reminder goes out for the new round.
    let job = overdue_job(7, 7, 14, 5);
    let later = at("2026-12-02T00:00:00Z");
    let run = app.run_job(&job, later).await;
    assert!(run.queued >= 1, "{run:?}");
    send_pending_once(&app.db, &mailer(&smtp.url()), later)
        .await
        .unwrap();
    let mails = smtp.to(OWNER);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].text().contains(TITLE), "{}", mails[0].text());

    // 資料1: the ward's topic 4 still counts as 評価改善.
    let answers =
        renkei::survey::sample::answers(0, renkei::calendar::Period::parse("2026H2").unwrap());
    app.submit_survey(kita, "2026H2", answers).await;
    let report = ok(app.get("/api/report/2026H2").await, StatusCode::OK);
    let stages = crate::report::chart(&report, "i-stages");
    assert_eq!(stages["rows"][3]["counts"], json!([0, 0, 1]), "{stages}");

    // The PDCA sheet shows the chain in order.
    let (status, page) = app.page(&format!("/wards/{kita}/pdca")).await;
    assert_eq!(status, StatusCode::OK);
    let order: Vec<Option<usize>> = [VISION, GOAL, INDICATOR, "56.5", TITLE, "B 一部達成"]
        .iter()
        .map(|s| page.find(s))
        .collect();
    assert!(order.iter().all(Option::is_some), "{order:?}\n{page}");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    // Roles: a member cannot edit the vision or the indicators.
    let member = create_account_token(
        &app.db,
        "iin@example.jp",
        Role::Member,
        Some(m),
        Some(kita),
        at(NOW),
    )
    .await;
    let r = as_token(
        &app,
        &member,
        Method::PUT,
        &format!("/api/municipalities/{m}/visions/2024-2026"),
        vision,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = as_token(
        &app,
        &member,
        Method::PATCH,
        &format!("/api/indicators/{ind}"),
        json!({ "unit": "件" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = as_token(
        &app,
        &member,
        Method::PUT,
        &format!("/api/indicators/{ind}/values"),
        json!([{ "ward_id": kita, "period": "2025", "value": "1" }]),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    app.stop().await;
}
