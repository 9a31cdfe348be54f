//! 目指すべき姿 in a real browser: the city adds a scene (a taken name shown
//! beside its field), sets its vision with a goal per scene (a bad form
//! shown again with its messages), prints it, and a ward's page shows it
//! above the ward's own; every page passes axe-core.

use renkei::accounts::Role;

use crate::harness::{self, Browser};
use crate::support::TestApp;
use crate::{account, assert_error_summary, expect_field_errors, sign_in};

#[tokio::test]
async fn the_city_sets_its_vision_with_a_scene_of_its_own_and_a_ward_sees_it() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("甲市", &["北区", "南区"]).await;
    let m = app.municipality_of(wards[0]).await;
    account(&app, "shi@example.jp", Role::City, m, None).await;

    let mut b = Browser::start().await;
    sign_in(&b, &app, "shi@example.jp").await;
    b.goto(&app.url(&format!("/city/{m}"))).await;
    b.submit(&format!("a[href='/municipalities/{m}/plan']"))
        .await;
    assert_eq!(b.path().await, format!("/municipalities/{m}/plan"));
    let text = b.text("main").await;
    assert!(text.contains("第9期（令和6〜8年度）"), "{text}");
    assert!(text.contains("まだ設定されていません"), "{text}");
    b.axe("目指すべき姿（未設定）").await;
    b.screenshot("visions-01-empty").await;

    // A national scene's name is taken: the message beside the field.
    b.fill("#scene-name", "看取り").await;
    b.submit("form[action$='/scenes'] button[type=submit]")
        .await;
    assert_error_summary(&b).await;
    expect_field_errors(&b, &[("scene-name", "場面「看取り」はすでにあります")]).await;
    b.axe("目指すべき姿（場面の重複）").await;
    b.fill("#scene-name", "災害・感染症").await;
    b.submit("form[action$='/scenes'] button[type=submit]")
        .await;
    assert!(
        b.path()
            .await
            .starts_with(&format!("/municipalities/{m}/plan"))
    );
    assert!(
        b.text("#scenes")
            .await
            .contains("災害・感染症（この自治体で追加）")
    );

    // A bad vision form: every message beside its field, nothing saved.
    b.select("#sharing", "関係者と共有").await;
    b.fill("#cycle_years", "9").await;
    b.fill("#goals_4_goal", "災害時も在宅療養を続けられる")
        .await;
    b.submit("form[action$='/plan'] button[type=submit]").await;
    assert_error_summary(&b).await;
    expect_field_errors(
        &b,
        &[
            (
                "text",
                "目指すべき姿を入力してください（まだ定めていない場合は、共有の状況で「未設定」を選んでください）",
            ),
            ("cycle_years", "改善のサイクルは1〜6年の整数で指定してください"),
        ],
    )
    .await;
    b.axe("目指すべき姿（入力の誤り）").await;
    b.screenshot("visions-02-errors").await;

    b.fill("#text", "住み慣れた地域で、最期まで自分らしく暮らせるまち")
        .await;
    b.fill("#cycle_years", "1").await;
    b.fill("#goals_3_goal", "望む場所で最期を迎えられる").await;
    b.submit("form[action$='/plan'] button[type=submit]").await;
    let text = b.text("main").await;
    assert!(text.contains("保存しました"), "{text}");
    assert!(text.contains("災害時も在宅療養を続けられる"), "{text}");
    assert!(text.contains("1年"), "{text}");
    b.axe("目指すべき姿（設定済み）").await;
    b.emulate_media("print").await;
    b.screenshot("visions-03-print").await;
    b.emulate_media("").await;

    // The ward's page: the city's vision above, the ward's own below.
    b.goto(&app.url(&format!("/wards/{}", wards[0]))).await;
    b.submit(&format!("a[href='/wards/{}/vision']", wards[0]))
        .await;
    let text = b.text("main").await;
    assert!(text.contains("住み慣れた地域で"), "{text}");
    assert!(
        text.contains("区の目指すべき姿はまだ設定されていません"),
        "{text}"
    );
    b.axe("区の目指すべき姿").await;
    b.screenshot("visions-04-ward").await;

    crate::finish(b, app).await;
}
