//! 多職種の参画状況 (issue 17): per ward and half-year, meetings attended of
//! meetings held by organisation kind (the kind the attendee had at the
//! meeting), members now, and the kinds absent from the last N meetings; the
//! city's matrix with wards missing 病院 first. Hand-computed on a small
//! dataset built through the API; "today" is 2026-11-24 (2026H2 runs).
//!
//! 甲市 has 南区 (no meetings) and 北区, in that display order. 北区's
//! members: 医師 一郎 (医師会), 病院 花子 (病院), 看護 次郎 (訪問看護 at
//! every meeting, made 病院 afterwards), 居宅 三郎 (介護支援専門員,
//! inactive). Its meetings:
//! - M0 2026-09-10 (2026H1): 医師, 病院
//! - M1 2026-10-05: 医師, 看護
//! - M2 2026-10-20: 医師, 看護 (edited after 看護 became 病院)
//! - M3 2026-11-10: 医師
//! - M4 2026-12-15 (recorded ahead, not held yet): 病院
//!
//! So in 2026H2 as of 2026-11-24: held 3 (M1–M3); 医師会 3/3 (100%),
//! 訪問看護 2/3 (67%), 病院 0/3 with 2 members now; the last 3 meetings
//! (M3, M2, M1) had no 病院 → 参画なし; with N = 4 (M0 too) it is not.
//! Kinds without an active member (歯科医師会 …, 訪問看護 once 看護 次郎
//! moved) are 委員なし, not 参画なし; 南区 has no members at all.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, assert_problem, create_account_token, error_fields};
use renkei::accounts::Role;

struct Fixture {
    app: TestApp,
    municipality: i64,
    minami: i64,
    kita: i64,
    foreign_ward: i64,
    /// The members of 北区: 医師, 病院, 看護.
    doctor: i64,
    hospital: i64,
    nurse: i64,
}

async fn member(app: &TestApp, ward: i64, name: &str, kind: &str, active: bool) -> i64 {
    let r = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": name, "organization": format!("{kind}の所属"), "organization_kind": kind, "active": active }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn meeting(app: &TestApp, ward: i64, held_on: &str, attendees: &[i64]) -> i64 {
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": held_on, "title": format!("推進会議 {held_on}"), "kind": "推進会議", "topics": [2], "attendee_ids": attendees }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("甲市", &["南区", "北区"]).await;
    let (minami, kita) = (wards[0], wards[1]);
    let foreign_ward = app.municipality_with_wards("乙市", &["西区"]).await[0];
    let municipality = app.get(&format!("/api/wards/{kita}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let doctor = member(&app, kita, "医師 一郎", "医師会", true).await;
    let hospital = member(&app, kita, "病院 花子", "病院", true).await;
    let nurse = member(&app, kita, "看護 次郎", "訪問看護", true).await;
    member(&app, kita, "居宅 三郎", "介護支援専門員", false).await;
    // Another ward's members count only there.
    member(&app, foreign_ward, "他市 病院", "病院", true).await;
    meeting(&app, kita, "2026-09-10", &[doctor, hospital]).await;
    meeting(&app, kita, "2026-10-05", &[doctor, nurse]).await;
    let m2 = meeting(&app, kita, "2026-10-20", &[doctor, nurse]).await;
    meeting(&app, kita, "2026-11-10", &[doctor]).await;
    meeting(&app, kita, "2026-12-15", &[hospital]).await;
    // 看護 次郎 moves to a hospital after the meetings …
    let r = app
        .patch(
            &format!("/api/members/{nurse}"),
            json!({ "organization_kind": "病院" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // … and editing a meeting he attended keeps the kind he had there.
    let r = app
        .patch(
            &format!("/api/meetings/{m2}"),
            json!({ "title": "推進会議（第2回・修正）", "attendee_ids": [nurse, doctor] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Fixture {
        app,
        municipality,
        minami,
        kita,
        foreign_ward,
        doctor,
        hospital,
        nurse,
    }
}

/// The entry of `kind` in a ward's `kinds`.
fn kind<'a>(ward: &'a Value, kind: &str) -> &'a Value {
    ward["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("{kind} in {ward}"))
}

fn summary(k: &Value) -> (i64, i64, Value, i64, Value, bool) {
    (
        k["meetings_attended"].as_i64().unwrap(),
        k["meetings_held"].as_i64().unwrap(),
        k["attendance_percent"].clone(),
        k["members"].as_i64().unwrap(),
        k["last_attended"].clone(),
        k["absent"].as_bool().unwrap(),
    )
}

#[tokio::test]
async fn a_ward_counts_each_kind_as_it_was_at_the_meeting() {
    let f = fixture().await;
    // No period: the running half-year, 2026H2.
    let r = f
        .app
        .get(&format!("/api/wards/{}/participation", f.kita))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let w = &r.body;
    assert_eq!(w["period"], "2026H2");
    assert_eq!(w["period_label"], "令和8年度下半期");
    assert_eq!(w["as_of"], "2026-11-24");
    assert_eq!(w["ward_name"], "北区");
    assert_eq!(w["meetings_held"], 3, "M4 is not held yet");
    assert_eq!(w["absence_window"], 3);
    assert_eq!(w["recent_meetings"], 3);
    assert_eq!(w["kinds"].as_array().unwrap().len(), 10);
    let labels: Vec<&str> = w["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "医師会",
            "歯科医師会",
            "薬剤師会",
            "病院",
            "訪問看護",
            "介護支援専門員",
            "地域包括支援センター",
            "相談支援室",
            "区役所",
            "その他"
        ]
    );
    assert_eq!(
        summary(kind(w, "医師会")),
        (3, 3, json!("100"), 1, json!(1), false)
    );
    // 看護 次郎 is 病院 now, but attended M1 and M2 as 訪問看護 (M2 was
    // edited after the change): 2 of 3 is 67 % (Excel's ROUND).
    assert_eq!(
        summary(kind(w, "訪問看護")),
        (2, 3, json!("67"), 0, json!(2), false)
    );
    // 病院: two members now, none at the last three meetings.
    assert_eq!(
        summary(kind(w, "病院")),
        (0, 3, json!("0"), 2, Value::Null, true)
    );
    assert_eq!(kind(w, "病院")["flag"], "参画なし");
    // A kind with no members is 委員なし, not absent (nobody could have
    // come); an inactive member is not on the committee.
    assert_eq!(
        summary(kind(w, "歯科医師会")),
        (0, 3, json!("0"), 0, Value::Null, false)
    );
    assert_eq!(kind(w, "歯科医師会")["flag"], "委員なし");
    assert_eq!(kind(w, "介護支援専門員")["members"], 0);
    assert_eq!(kind(w, "介護支援専門員")["flag"], "委員なし");
    // No member of the kind now, but one attended as it: no flag.
    assert!(kind(w, "訪問看護")["flag"].is_null());
    assert!(kind(w, "医師会")["flag"].is_null());
    assert_eq!(w["hospital_absent"], true);
    assert_eq!(w["hospital_without_members"], false);
    assert_eq!(w["absent_kinds"], json!(["病院"]));
    assert_eq!(
        w["kinds_without_members"],
        json!([
            "歯科医師会",
            "薬剤師会",
            "介護支援専門員",
            "地域包括支援センター",
            "相談支援室",
            "区役所",
            "その他"
        ])
    );
    // The attendance rows themselves keep the kind.
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT organization_kind FROM meeting_attendees WHERE member_id = $1 ORDER BY meeting_id",
    )
    .bind(f.nurse)
    .fetch_all(&f.app.db.pool)
    .await
    .unwrap();
    assert_eq!(kinds, ["訪問看護", "訪問看護"]);

    // The half-year before, as of its last day: M0 alone.
    let r = f
        .app
        .get(&format!(
            "/api/wards/{}/participation?period=2026H1",
            f.kita
        ))
        .await;
    let w = &r.body;
    assert_eq!(w["as_of"], "2026-09-30");
    assert_eq!(w["meetings_held"], 1);
    assert_eq!(w["recent_meetings"], 1);
    assert_eq!(
        summary(kind(w, "病院")),
        (1, 1, json!("100"), 2, json!(1), false)
    );
    // 訪問看護 missed M0 but has no member now: 委員なし.
    assert_eq!(
        summary(kind(w, "訪問看護")),
        (0, 1, json!("0"), 0, Value::Null, false)
    );
    assert_eq!(kind(w, "訪問看護")["flag"], "委員なし");
    let _ = (f.doctor, f.hospital);
}

#[tokio::test]
async fn a_ward_without_meetings_has_no_shares_and_no_flags() {
    let f = fixture().await;
    let r = f
        .app
        .get(&format!(
            "/api/wards/{}/participation?period=2026H2",
            f.minami
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let w = &r.body;
    assert_eq!(
        (w["meetings_held"].as_i64(), w["recent_meetings"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(w["hospital_absent"], false);
    assert_eq!(w["absent_kinds"], json!([]));
    // No members either: every kind is 委員なし, 病院 included.
    assert_eq!(w["hospital_without_members"], true);
    assert_eq!(w["kinds_without_members"].as_array().unwrap().len(), 10);
    for k in w["kinds"].as_array().unwrap() {
        assert_eq!(
            summary(k),
            (0, 0, Value::Null, 0, Value::Null, false),
            "{k}"
        );
        assert_eq!(k["flag"], "委員なし", "{k}");
    }
    // A half-year not begun yet holds nothing either.
    let r = f
        .app
        .get(&format!(
            "/api/wards/{}/participation?period=2027H1",
            f.kita
        ))
        .await;
    assert_eq!(r.body["as_of"], "2026-11-24");
    assert_eq!(r.body["meetings_held"], 0);
    // Its flags look at the meetings held so far (M3, M2, M1).
    assert_eq!(r.body["hospital_absent"], true);
}

#[tokio::test]
async fn the_window_setting_moves_the_flag_and_is_checked_and_audited() {
    let f = fixture().await;
    let settings = format!("/api/municipalities/{}/reminder-settings", f.municipality);
    let r = f.app.get(&settings).await;
    assert_eq!(r.body["absence_window"], 3, "{}", r.text);
    assert!(r.body["overrides"]["absence_window"].is_null());
    for bad in [0, 21] {
        let r = f
            .app
            .request(
                reqwest::Method::PUT,
                &settings,
                Some(json!({ "absence_window": bad })),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["absence_window"]);
        assert_eq!(
            r.body["errors"][0]["message"],
            "参画なしとする直近の会議数は1〜20の整数で入力してください"
        );
    }
    let r = f
        .app
        .request(
            reqwest::Method::PUT,
            &settings,
            Some(json!({ "absence_window": 4 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["absence_window"], 4);
    // Four meetings back reaches M0, where 病院 花子 attended.
    let r = f
        .app
        .get(&format!("/api/wards/{}/participation", f.kita))
        .await;
    assert_eq!(r.body["absence_window"], 4);
    assert_eq!(r.body["recent_meetings"], 4);
    assert_eq!(
        summary(kind(&r.body, "病院")),
        (0, 3, json!("0"), 2, json!(4), false)
    );
    assert_eq!(r.body["hospital_absent"], false);
    // 2026H1's window stops at its end: only M0 to look at.
    let r = f
        .app
        .get(&format!(
            "/api/wards/{}/participation?period=2026H1",
            f.kita
        ))
        .await;
    assert_eq!(r.body["recent_meetings"], 1);
    let audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'reminder_settings' AND changes LIKE '%absence_window%'",
    )
    .fetch_one(&f.app.db.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);

    // The settings page edits it too: beside the field on a bad value.
    let path = format!("/city/{}/reminders", f.municipality);
    let (_, page) = f.app.page(&path).await;
    assert!(
        page.contains("参画なしとする直近の会議数") && page.contains("value=\"4\""),
        "{page}"
    );
    let r = f.app.post_form(&path, &[("absence_window", "25")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("参画なしとする直近の会議数は1〜20の整数で入力してください")
    );
    let r = f.app.post_form(&path, &[("absence_window", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = f
        .app
        .get(&format!("/api/wards/{}/participation", f.kita))
        .await;
    assert_eq!(r.body["absence_window"], 1);
    // The last meeting (M3) had only 医師 一郎: 病院 (two members) is
    // absent; 訪問看護 (no member now) is 委員なし.
    assert_eq!(kind(&r.body, "病院")["absent"], true);
    assert_eq!(kind(&r.body, "訪問看護")["absent"], false);
    assert_eq!(kind(&r.body, "訪問看護")["flag"], "委員なし");
    assert_eq!(kind(&r.body, "医師会")["absent"], false);
}

#[tokio::test]
async fn the_city_sees_wards_without_a_hospital_member_then_those_missing_it_first() {
    let f = fixture().await;
    // 南区 gets a 病院 member (no meetings: nothing to flag); 東区, last in
    // display order, meets without any 病院 member (委員なし).
    member(&f.app, f.minami, "南 病院", "病院", true).await;
    let r = f
        .app
        .post(
            "/api/wards",
            json!({ "municipality_id": f.municipality, "name": "東区" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let higashi = r.body["id"].as_i64().unwrap();
    let doctor = member(&f.app, higashi, "東 医師", "医師会", true).await;
    meeting(&f.app, higashi, "2026-10-01", &[doctor]).await;
    let r = f
        .app
        .get(&format!(
            "/api/municipalities/{}/participation?period=2026H2",
            f.municipality
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r.body["wards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["ward_name"].as_str().unwrap())
        .collect();
    // Display order 南区, 北区, 東区: 東区 has no 病院 member, 北区's 病院
    // is 参画なし, 南区's is neither.
    assert_eq!(names, ["東区", "北区", "南区"]);
    assert_eq!(r.body["wards"][0]["hospital_without_members"], true);
    assert_eq!(r.body["wards"][0]["hospital_absent"], false);
    assert_eq!(kind(&r.body["wards"][0], "病院")["flag"], "委員なし");
    assert_eq!(r.body["wards"][1]["hospital_absent"], true);
    assert!(kind(&r.body["wards"][2], "病院")["flag"].is_null());
    assert_eq!(r.body["municipality_id"], f.municipality);
    let hospital = &r.body["totals"][3];
    assert_eq!(
        hospital,
        &json!({ "kind": "病院", "wards_attended": 0, "wards_held": 2, "wards_absent": 1, "wards_without_members": 1, "members": 3 })
    );
    let doctors = &r.body["totals"][0];
    assert_eq!(doctors["wards_attended"], 2);
    assert_eq!(doctors["wards_absent"], 0);
    // 南区 has no 医師会 member.
    assert_eq!(doctors["wards_without_members"], 1);
    // The same ward figures as the ward's own answer.
    let own = f
        .app
        .get(&format!(
            "/api/wards/{}/participation?period=2026H2",
            f.kita
        ))
        .await;
    let from_matrix = r.body["wards"][1].clone();
    let mut alone = own.body.clone();
    for k in ["period", "period_label", "as_of"] {
        alone.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(from_matrix, alone);

    // The admin's cross-municipality view flags each ward with its own N.
    let r = f.app.get("/api/participation?period=2026H2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let wards = r.body["wards"].as_array().unwrap();
    assert_eq!(wards.len(), 4);
    assert_eq!(wards[0]["ward_name"], "東区");
    assert_eq!(wards[1]["ward_name"], "北区");
    assert!(r.body["municipality_id"].is_null());
}

#[tokio::test]
async fn a_bad_period_is_a_japanese_422() {
    let f = fixture().await;
    for path in [
        format!("/api/wards/{}/participation?period=2026H3", f.kita),
        format!(
            "/api/municipalities/{}/participation?period=令和8年",
            f.municipality
        ),
        "/api/participation?period=26H1".to_string(),
    ] {
        let r = f.app.get(&path).await;
        assert_problem(&r, 422);
        assert_eq!(error_fields(&r), ["period"], "{path}");
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("2026H1"),
            "{}",
            r.text
        );
    }
    for path in [
        format!("/wards/{}/participation?period=2026H3", f.kita),
        format!("/wards/{}/participation.csv?period=x", f.kita),
        format!("/city/{}/participation?period=2026", f.municipality),
    ] {
        let (status, page) = f.app.page(&path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(page.contains("2026H1 のように"), "{page}");
    }
}

#[tokio::test]
async fn another_citys_accounts_are_refused() {
    let f = fixture().await;
    let foreign_m = f
        .app
        .get(&format!("/api/wards/{}", f.foreign_ward))
        .await
        .body["municipality_id"]
        .as_i64()
        .unwrap();
    let now = NOW.parse().unwrap();
    let city_b = create_account_token(
        &f.app.db,
        "city-b@example.jp",
        Role::City,
        Some(foreign_m),
        None,
        now,
    )
    .await;
    let ward_b = create_account_token(
        &f.app.db,
        "ward-b@example.jp",
        Role::Secretariat,
        Some(foreign_m),
        Some(f.foreign_ward),
        now,
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let m = f.municipality;
    let k = f.kita;
    for token in [&city_b, &ward_b] {
        for path in [
            format!("/api/wards/{k}/participation"),
            format!("/api/municipalities/{m}/participation"),
            format!("/api/participation?municipality_id={m}"),
            format!("/wards/{k}/participation"),
            format!("/wards/{k}/participation.csv"),
            format!("/city/{m}/participation"),
            format!("/city/{m}/participation.csv"),
        ] {
            let r = client
                .get(f.app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            assert!(
                status == 404 || status == 403,
                "{path}: {status} {}",
                r.text().await.unwrap()
            );
        }
    }
    // Their own city's matrix shows their ward alone.
    let r = client
        .get(f.app.url("/api/participation"))
        .bearer_auth(&city_b)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    let names: Vec<&str> = body["wards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["ward_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["西区"]);
}

#[tokio::test]
async fn the_csvs_carry_the_pages_figures_for_excel() {
    let f = fixture().await;
    let (status, headers, bytes) = f
        .app
        .download(&format!(
            "/wards/{}/participation.csv?period=2026H2",
            f.kita
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''"),
    );
    let text = String::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "期間,集計日,区,職種,出席した会議数,開催した会議数,出席率（%）,委員数（現在）,直近の会議数,最後の出席（何回前）,参画なし・委員なし"
    );
    assert_eq!(lines.len(), 11);
    assert_eq!(
        lines[1],
        "令和8年度下半期,2026-11-24,北区,医師会,3,3,100,1,3,1,"
    );
    assert_eq!(
        lines[2],
        "令和8年度下半期,2026-11-24,北区,歯科医師会,0,3,0,0,3,,委員なし"
    );
    assert_eq!(
        lines[4],
        "令和8年度下半期,2026-11-24,北区,病院,0,3,0,2,3,,参画なし"
    );
    assert_eq!(
        lines[5],
        "令和8年度下半期,2026-11-24,北区,訪問看護,2,3,67,0,3,2,"
    );

    // The city's: 南区's ten rows first (no 病院 member), then 北区's, in
    // Shift_JIS on request.
    let (status, headers, bytes) = f
        .app
        .download(&format!(
            "/city/{}/participation.csv?period=2026H2&encoding=sjis",
            f.municipality
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("Shift_JIS")
    );
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 21);
    assert!(lines[11..21].iter().all(|l| l.contains(",北区,")));
    assert_eq!(
        lines[1],
        "令和8年度下半期,2026-11-24,南区,医師会,0,0,,0,0,,委員なし"
    );
    assert!(
        lines[11..21]
            .iter()
            .any(|l| l.ends_with(",病院,0,3,0,2,3,,参画なし"))
    );
}

#[tokio::test]
async fn the_pages_show_the_figures_and_link_each_other() {
    let f = fixture().await;
    let (status, page) = f
        .app
        .page(&format!("/wards/{}/participation?period=2026H2", f.kita))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("北区 多職種の参画状況（令和8年度下半期）"),
        "{page}"
    );
    assert!(
        page.contains("直近3回の会議に出席のない職種（参画なし）"),
        "{page}"
    );
    assert!(page.contains("<td class=\"num\">67%</td>"), "{page}");
    assert!(
        page.contains("在任中の委員がいない職種（委員なし）：<strong>歯科医師会・薬剤師会・"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"badge overdue\">参画なし</span>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"badge vacant\">委員なし</span>"),
        "{page}"
    );
    assert!(page.contains("参画状況</a>"), "the ward's menu links it");
    let (status, page) = f
        .app
        .page(&format!("/city/{}/participation", f.municipality))
        .await;
    assert_eq!(status, StatusCode::OK);
    let kita = page.find(">北区</a>").unwrap();
    let minami = page.find(">南区</a>").unwrap();
    assert!(minami < kita, "南区 has no 病院 member and comes first");
    assert!(
        page.contains(
            "病院の委員がいない区（1区）、病院が参画なしの区（1区）の順に先に並べています"
        ),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"badge vacant\">委員なし</span>"),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">委員なしの区</th>"),
        "{page}"
    );
    let (_, city) = f.app.page(&format!("/city/{}", f.municipality)).await;
    assert!(city.contains(&format!("/city/{}/participation", f.municipality)));
}

#[tokio::test]
async fn imported_meetings_count_their_attendees_by_kind_too() {
    let f = fixture().await;
    member(&f.app, f.minami, "南 病院", "病院", true).await;
    member(&f.app, f.minami, "南 薬局", "薬剤師会", true).await;
    let file = "開催日,会議名,種別,会議の内容,議事録,出席者\r\n\
        2026-10-02,第1回推進会議,推進会議,1,,南 病院;南 薬局\r\n\
        2026-11-02,第2回推進会議,推進会議,2,,南 薬局\r\n";
    let r = f
        .app
        .post_bytes(
            &format!("/api/wards/{}/meetings/import", f.minami),
            file.as_bytes().to_vec(),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = f
        .app
        .get(&format!("/api/wards/{}/participation", f.minami))
        .await;
    assert_eq!(
        summary(kind(&r.body, "病院")),
        (1, 2, json!("50"), 1, json!(2), false)
    );
    assert_eq!(
        summary(kind(&r.body, "薬剤師会")),
        (2, 2, json!("100"), 1, json!(1), false)
    );
    // 南区 has no 医師会 member: 委員なし, not an absence.
    assert_eq!(kind(&r.body, "医師会")["absent"], false);
    assert_eq!(kind(&r.body, "医師会")["flag"], "委員なし");
}
