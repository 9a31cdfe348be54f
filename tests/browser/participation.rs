//! 多職種の参画状況 in a real browser: the city's ward × kind matrix, a
//! ward's page reached from it and from the ward's menu, and the setting N
//! on the reminder settings page (a bad value shown beside its field); every
//! page passes axe and is saved as a screenshot.

use renkei::accounts::Role;
use serde_json::json;

use super::harness::{self, Browser};
use super::support::TestApp;
use super::{account, expect_field_errors, sign_in, sign_out};

async fn member(app: &TestApp, ward: i64, name: &str, kind: &str) -> i64 {
    let r = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": name, "organization_kind": kind }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    r.body["id"].as_i64().expect("member id")
}

async fn meeting(app: &TestApp, ward: i64, held_on: &str, attendees: &[i64]) {
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": held_on, "title": format!("推進会議 {held_on}"), "kind": "推進会議", "topics": [5], "attendee_ids": attendees }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
}

#[tokio::test]
async fn the_city_finds_wards_without_or_missing_a_hospital_and_sets_the_window() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["都島区", "北区", "福島区"])
        .await;
    let (miyakojima, kita, fukushima) = (wards[0], wards[1], wards[2]);
    let m = app.get(&format!("/api/wards/{kita}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    for (ward, with_hospital) in [(miyakojima, true), (kita, false)] {
        let doctor = member(&app, ward, "医師 一郎", "医師会").await;
        let nurse = member(&app, ward, "看護 花子", "訪問看護").await;
        let cm = member(&app, ward, "居宅 次郎", "介護支援専門員").await;
        let hospital = member(&app, ward, "病院 三郎", "病院").await;
        let last = if with_hospital {
            vec![doctor, hospital, cm]
        } else {
            vec![doctor, cm]
        };
        meeting(&app, ward, "2026-10-08", &[doctor, nurse, cm]).await;
        meeting(&app, ward, "2026-11-12", &last).await;
    }
    let _ = fukushima; // no meetings yet
    account(&app, "city@example.jp", Role::City, m, None).await;
    account(&app, "kita@example.jp", Role::Secretariat, m, Some(kita)).await;

    let mut b = Browser::start().await;
    sign_in(&b, &app, "city@example.jp").await;
    b.goto(&app.url(&format!("/city/{m}"))).await;
    b.submit(&format!("a[href='/city/{m}/participation']"))
        .await;
    assert_eq!(b.path().await, format!("/city/{m}/participation"));
    // 福島区 has no 病院 member (委員なし), 北区's 病院 missed the meetings.
    let first = b
        .text("table.participation-matrix tbody tr:first-child th")
        .await;
    assert_eq!(
        first, "福島区",
        "the ward without a 病院 member comes first"
    );
    let second = b
        .text("table.participation-matrix tbody tr:nth-child(2) th")
        .await;
    assert_eq!(second, "北区", "then the ward missing 病院");
    let text = b.text("main").await;
    assert!(
        text.contains("病院の委員がいない区（1区）、病院が参画なしの区（1区）"),
        "{text}"
    );
    b.axe("多職種の参画状況（市）").await;
    b.screenshot("30-participation-city").await;
    b.emulate_media("print").await;
    b.screenshot("31-participation-city-print").await;
    b.emulate_media("").await;

    b.submit("table.participation-matrix tbody tr:nth-child(2) th a")
        .await;
    assert_eq!(
        b.path().await,
        format!("/wards/{kita}/participation?period=2026H2")
    );
    let text = b.text("main").await;
    assert!(
        text.contains("直近2回の会議に出席のない職種（参画なし）"),
        "{text}"
    );
    b.axe("多職種の参画状況（区）").await;
    b.screenshot("32-participation-ward").await;

    // N on the reminder settings page: refused beside the field, then saved.
    b.goto(&app.url(&format!("/city/{m}/reminders"))).await;
    b.fill("#absence_window", "0").await;
    b.submit("form.stacked button[type=submit]").await;
    expect_field_errors(
        &b,
        &[(
            "absence_window",
            "参画なしとする直近の会議数は1〜20の整数で入力してください",
        )],
    )
    .await;
    b.axe("通知設定（参画なしの回数の誤り）").await;
    b.screenshot("33-participation-setting-error").await;
    b.fill("#absence_window", "1").await;
    b.submit("form.stacked button[type=submit]").await;
    assert!(b.text("main").await.contains("通知設定を保存しました"));
    sign_out(&b, &app).await;

    // The ward's secretariat finds its page in the ward's menu.
    sign_in(&b, &app, "kita@example.jp").await;
    b.goto(&app.url(&format!("/wards/{kita}"))).await;
    b.submit(&format!(
        "nav.ward-nav a[href='/wards/{kita}/participation']"
    ))
    .await;
    assert_eq!(b.path().await, format!("/wards/{kita}/participation"));
    let text = b.text("main").await;
    // With N = 1 only the last meeting counts: 訪問看護 missed it.
    assert!(text.contains("直近1回の会議に出席のない職種"), "{text}");
    b.axe("多職種の参画状況（区・事務局）").await;

    super::finish(b, app).await;
}
