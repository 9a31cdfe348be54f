//! PDCAの進み具合 in a real browser: the city's side-by-side page (sorted
//! by a column), a ward's page, a bad period shown beside its field, and
//! the print layout; every page passes axe-core.

use renkei::accounts::Role;

use crate::harness::{self, Browser};
use crate::support::TestApp;
use crate::{account, assert_error_summary, expect_field_errors, sign_in};

#[tokio::test]
async fn the_city_compares_its_wards_pdca_progress_and_opens_a_ward() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("甲市", &["北区", "南区", "東区"])
        .await;
    let m = app.get(&format!("/api/wards/{}", wards[0])).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    // 北区: one evaluated on time, one not due yet, one overdue (1 of 2
    // judged on time); 南区: one evaluated within its postponed date but after
    // the first one (0 of 1); 東区: nothing.
    let kita_owner = app.member(wards[0], "在宅 花子").await;
    let on_time = app
        .planned_countermeasure(wards[0], 1, kita_owner, "2026-12-15")
        .await;
    let evaluate = serde_json::json!({ "to": "評価改善", "evaluation": "研修を2回実施", "improvement": "病院の参加を増やす",
                                         "verdict": "達成", "verdict_reason": "予定どおり2回開催" });
    assert!(
        app.transition(on_time, evaluate.clone())
            .await
            .status
            .is_success()
    );
    app.planned_countermeasure(wards[0], 2, kita_owner, "2026-12-31")
        .await;
    let late = app
        .countermeasure(wards[0], 3, "情報共有ルールの策定")
        .await;
    let r = app
        .transition(
            late,
            serde_json::json!({ "to": "具体化", "on": "2026-10-01", "owner_member_id": kita_owner, "evaluation_due_on": "2026-11-01" }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let minami_owner = app.member(wards[1], "訪問 太郎").await;
    let postponed = app
        .planned_countermeasure(wards[1], 4, minami_owner, "2026-11-10")
        .await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{postponed}"),
            serde_json::json!({ "evaluation_due_on": "2026-12-20" }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert!(
        app.transition(postponed, evaluate)
            .await
            .status
            .is_success()
    );
    account(&app, "shi@example.jp", Role::City, m, None).await;

    let mut b = Browser::start().await;
    sign_in(&b, &app, "shi@example.jp").await;
    b.goto(&app.url(&format!("/city/{m}"))).await;
    b.submit(&format!("a[href='/city/{m}/progress']")).await;
    assert_eq!(b.path().await, format!("/city/{m}/progress"));
    let text = b.text("main").await;
    assert!(text.contains("令和8年度下半期"), "{text}");
    assert!(text.contains("市全体"), "{text}");
    b.axe("PDCAの進み具合（市）").await;
    b.screenshot("progress-01-city").await;

    // Sorted by 期限内評価率 (東区, with nothing judged, last), then descending.
    let order = async |b: &Browser| {
        b.client
            .execute(
                "return [...document.querySelectorAll('table.side-by-side tbody th')].map(t => t.innerText);",
                vec![],
            )
            .await
            .expect("rows")
    };
    b.submit("thead a[href$='sort=rate']").await;
    assert_eq!(order(&b).await, serde_json::json!(["南区", "北区", "東区"]));
    b.submit("thead a[href$='sort=-rate']").await;
    assert_eq!(order(&b).await, serde_json::json!(["北区", "南区", "東区"]));
    let sorted = b
        .client
        .execute(
            "return document.querySelector('th[aria-sort]').innerText + ' ' + document.querySelector('th[aria-sort]').getAttribute('aria-sort');",
            vec![],
        )
        .await
        .expect("aria-sort");
    assert_eq!(sorted, "期限内評価率 descending");
    b.axe("PDCAの進み具合（市・並べ替え）").await;
    b.emulate_media("print").await;
    b.screenshot("progress-02-city-print").await;
    b.emulate_media("").await;

    // A ward's own page, from its row.
    b.submit(&format!("tbody a[href^='/wards/{}/progress']", wards[0]))
        .await;
    assert_eq!(
        b.path().await,
        format!("/wards/{}/progress?period=2026H2", wards[0])
    );
    let text = b.text("main").await;
    assert!(text.contains("50%（1件 ／ 判定済み2件）"), "{text}");
    assert!(text.contains("情報共有ルールの策定"), "{text}");
    b.axe("PDCAの進み具合（区）").await;
    b.screenshot("progress-03-ward").await;

    // A period that does not exist: the message beside the field.
    b.fill("#f-period", "2026H3").await;
    b.submit("form.filters button[type=submit]").await;
    assert_error_summary(&b).await;
    expect_field_errors(
        &b,
        &[(
            "f-period",
            "期間「2026H3」は指定できません。2026H1（上半期）・2026H2（下半期）のような半期か、2026（令和8年度）のような年度を半角で指定してください",
        )],
    )
    .await;
    b.axe("PDCAの進み具合（期間の誤り）").await;
    b.screenshot("progress-04-bad-period").await;

    // The fiscal year.
    b.fill("#f-period", "2026").await;
    b.submit("form.filters button[type=submit]").await;
    assert!(b.text("main").await.contains("令和8年度（"));
    b.axe("PDCAの進み具合（年度）").await;

    super::finish(b, app).await;
}
