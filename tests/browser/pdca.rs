//! The PDCA chain in a real browser, on the demo's data: a ward's
//! secretariat opens an indicator from its municipality's list, reads its
//! chart and table, records its ward's value (a wrong one refused beside
//! its field first), and opens the ward's PDCA sheet; every page passes
//! axe-core.

use renkei::accounts::Role;

use crate::harness::{self, Browser};
use crate::support::TestApp;
use crate::{account, assert_error_summary, sign_in};

#[tokio::test]
async fn a_secretariat_records_an_indicator_value_and_reads_its_pdca_sheet() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn_with_demo().await;
    let (m, kita): (i64, i64) =
        sqlx::query_as("SELECT municipality_id, id FROM wards ORDER BY id LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .expect("a demo ward");
    account(
        &app,
        "kita-jimu@example.jp",
        Role::Secretariat,
        m,
        Some(kita),
    )
    .await;

    let mut b = Browser::start().await;
    sign_in(&b, &app, "kita-jimu@example.jp").await;
    b.goto(&app.url(&format!("/municipalities/{m}/indicators")))
        .await;
    let list = b.text("main").await;
    assert!(list.contains("中間アウトカム"), "{list}");
    b.axe("評価指標の一覧").await;
    b.screenshot("pdca-01-indicators").await;
    b.submit("main a[href^='/indicators/']").await;
    assert!(b.path().await.starts_with("/indicators/"));
    assert!(b.exists("main svg").await, "the chart");
    let page = b.text("main").await;
    assert!(page.contains("令和7年度"), "{page}");
    b.axe("評価指標").await;
    b.screenshot("pdca-02-indicator").await;

    // A value that is not a number: the message beside its field.
    b.fill("form[action$='/values'] [name=period]", "2026")
        .await;
    b.fill("form[action$='/values'] [name=value]", "五十").await;
    b.submit("form[action$='/values'] button[type=submit]")
        .await;
    assert_error_summary(&b).await;
    assert!(b.exists(".field-error").await);
    b.axe("評価指標（値の入力エラー）").await;
    b.fill("form[action$='/values'] [name=value]", "5").await;
    b.submit("form[action$='/values'] button[type=submit]")
        .await;
    assert!(!b.exists(".field-error").await, "the value was refused");
    assert!(b.text("main").await.contains("令和8年度"));

    b.goto(&app.url(&format!("/wards/{kita}/pdca"))).await;
    let sheet = b.text("main").await;
    for text in [
        "目指すべき姿",
        "入退院支援",
        "評価指標",
        "入退院時の情報共有シートの運用",
    ] {
        assert!(sheet.contains(text), "{text}: {sheet}");
    }
    b.axe("PDCAシート").await;
    b.screenshot("pdca-03-sheet").await;
    b.close().await;
    app.stop().await;
}
