//! 半期ごとの推移 and 相談の内訳 in a real browser: a ward's secretariat
//! opens both pages from the ward's menu, asks for a bad number of
//! half-years and reads the message beside the field; the city opens its
//! wards side by side. Every page passes axe; screenshots 30–33.

use renkei::accounts::Role;
use serde_json::json;

use super::harness::{self, Browser};
use super::support::TestApp;
use super::{expect_field_errors, named_account, sign_in, sign_out};

/// Complete answers for `period` with one office whose (オ) counts are
/// `requesters` and `contents`.
fn answers(period: &str, requesters: &[i64], contents: &[i64]) -> serde_json::Value {
    let p = renkei::calendar::Period::parse(period).expect("period");
    let mut a = renkei::survey::sample::answers(0, p);
    let mut by_requester = vec![0i64; 13];
    by_requester[..requesters.len()].copy_from_slice(requesters);
    a["office"]["consultations"] = json!([{
        "month": renkei::survey::period_months(p)[0],
        "by_requester": by_requester,
        "by_content": contents,
    }]);
    a
}

#[tokio::test]
async fn a_ward_reads_its_trends_and_consultations_and_the_city_compares_its_wards() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (kita, miyakojima) = (wards[0], wards[1]);
    let m = app.get(&format!("/api/wards/{kita}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    named_account(
        &app,
        "kita@example.jp",
        "北区事務局",
        Role::Secretariat,
        m,
        Some(kita),
        None,
    )
    .await;
    named_account(
        &app,
        "city@example.jp",
        "市 担当課",
        Role::City,
        m,
        None,
        None,
    )
    .await;
    let owner = app.member(kita, "在宅 花子").await;
    app.planned_countermeasure(kita, 1, owner, "2026-10-31")
        .await;
    app.planned_countermeasure(kita, 3, owner, "2027-02-28")
        .await;
    let other = app.member(miyakojima, "訪問 太郎").await;
    app.planned_countermeasure(miyakojima, 1, other, "2027-01-31")
        .await;
    app.meeting(kita, "2026-10-20", &[1, 3, 7]).await;
    for (period, ward, requesters, contents) in [
        ("2025H2", kita, vec![20, 1, 2, 10], vec![20, 10, 3, 0, 0]),
        ("2026H1", kita, vec![25, 1, 1, 12], vec![25, 12, 2, 0, 0]),
        (
            "2026H1",
            miyakojima,
            vec![10, 8, 8, 4],
            vec![20, 8, 2, 0, 0],
        ),
    ] {
        app.submit_survey(ward, period, answers(period, &requesters, &contents))
            .await;
    }

    let mut b = Browser::start().await;
    sign_in(&b, &app, "kita@example.jp").await;
    b.goto(&app.url(&format!("/wards/{kita}"))).await;
    b.submit(&format!(".ward-nav a[href='/wards/{kita}/trends']"))
        .await;
    assert_eq!(b.path().await, format!("/wards/{kita}/trends"));
    let main = b.text("main").await;
    assert!(main.contains("令和8年度下半期は本日"), "{main}");
    assert!(main.contains("対応策の具体化の推移"), "{main}");
    assert!(b.exists("svg.trend-strip").await);
    b.axe("半期ごとの推移").await;
    b.screenshot("30-ward-trends").await;

    // A bad number of half-years: the message beside the field.
    b.fill("#halves", "20").await;
    b.submit("form.filters button[type=submit]").await;
    expect_field_errors(
        &b,
        &[("halves", "表示する半期の数は1〜12の整数で指定してください")],
    )
    .await;
    b.axe("半期ごとの推移（誤った半期の数）").await;
    b.fill("#halves", "3").await;
    b.submit("form.filters button[type=submit]").await;
    let headings = b
        .client
        .execute(
            "return [...document.querySelectorAll('.trends thead th')].map(t => t.textContent);",
            vec![],
        )
        .await
        .expect("headings");
    assert!(headings.to_string().contains("R7下"), "{headings}");
    assert!(!headings.to_string().contains("R6下"), "{headings}");

    b.submit(&format!(".ward-nav a[href='/wards/{kita}/consultations']"))
        .await;
    let main = b.text("main").await;
    assert!(main.contains("半分未満"), "{main}");
    assert!(main.contains("低い"), "{main}");
    assert!(b.exists("svg.trend-bars").await);
    b.axe("相談の内訳").await;
    b.screenshot("31-ward-consultations").await;
    b.emulate_media("print").await;
    b.screenshot("32-ward-consultations-print").await;
    b.emulate_media("").await;
    sign_out(&b, &app).await;

    sign_in(&b, &app, "city@example.jp").await;
    b.goto(&app.url(&format!("/city/{m}/consultations"))).await;
    let main = b.text("main").await;
    assert!(main.contains("北区") && main.contains("都島区"), "{main}");
    b.axe("相談の内訳（区の比較）").await;
    b.screenshot("33-city-consultations").await;

    super::finish(b, app).await;
}
