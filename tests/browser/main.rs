//! End-to-end tests in a real browser: headless Chromium drives the real app
//! (booted as in the API tests, `support::TestApp`, on its own SQLite file
//! and a fixed clock of 2026-11-24) through a secretariat's and a city's
//! day, runs axe-core (WCAG 2.1 AA) on every page and saves screenshots to
//! target/screenshots/. SQLite only: the pages do not depend on the database.

#[path = "../api/support.rs"]
mod support;

mod harness;
mod participation;
mod pdca;
mod progress;
mod trends;
mod visions;

use fantoccini::key::Key;
use renkei::accounts::Role;
use renkei::accounts::store::{self as accounts, NewAccount};
use support::{NOW, TestApp};

use harness::Browser;

const PASSWORD: &str = "ブラウザ試験のパスワード2026";

/// Closes the browser and the app, then fails on any axe-core (WCAG 2.1 AA)
/// violation the test's pages collected.
async fn finish(mut b: Browser, app: TestApp) {
    let violations = std::mem::take(&mut b.violations);
    b.close().await;
    app.stop().await;
    assert!(
        violations.is_empty(),
        "axe-core (WCAG 2.1 AA) found {} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// Creates an account that signs in with [`PASSWORD`].
async fn account(app: &TestApp, email: &str, role: Role, m: i64, ward: Option<i64>) {
    named_account(app, email, "", role, m, ward, None).await;
}

/// [`account`] with a display name and, for a member, the committee member
/// it is linked to.
async fn named_account(
    app: &TestApp,
    email: &str,
    display_name: &str,
    role: Role,
    m: i64,
    ward: Option<i64>,
    member_id: Option<i64>,
) {
    let hash = renkei::accounts::secret::hash_password(PASSWORD.into())
        .await
        .expect("hash");
    accounts::create(
        &app.db,
        &NewAccount {
            email: email.into(),
            display_name: display_name.into(),
            role,
            municipality_id: Some(m),
            ward_id: ward,
            member_id,
            password_hash: Some(hash),
        },
        None,
        NOW.parse().unwrap(),
    )
    .await
    .expect("create account");
}

/// Signs in with the mouse (click and type).
async fn sign_in(b: &Browser, app: &TestApp, email: &str) {
    b.goto(&app.url("/login")).await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    b.submit("form.stacked button[type=submit]").await;
    assert_eq!(b.path().await, "/", "signed in and sent home");
}

async fn sign_out(b: &Browser, app: &TestApp) {
    b.submit("form.logout button").await;
    assert_eq!(b.path().await, "/login");
    // The session is gone: a page asks for signing in again.
    b.goto(&app.url("/")).await;
    assert!(
        b.path().await.starts_with("/login"),
        "after sign-out: {}",
        b.path().await
    );
}

/// The messages shown beside the fields of the page (`.field-error`), by
/// the id of the input they describe; also checks the input points to its
/// message (aria-describedby, aria-invalid) and the summary links to it.
async fn field_errors(b: &Browser) -> Vec<(String, String)> {
    let v = b
        .client
        .execute(
            "return [...document.querySelectorAll('.field-error')].map(p => {
                 const input = document.querySelector(`[aria-describedby~='${p.id}']`);
                 const link = document.querySelector(`.error-summary a[href='#${input ? input.id : ''}']`);
                 return [input ? input.id : '', p.textContent.trim(),
                         input ? input.getAttribute('aria-invalid') || (input.tagName === 'FIELDSET' ? 'true' : '') : '',
                         !!link];
             });",
            vec![],
        )
        .await
        .expect("field errors");
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| {
            let id = e[0].as_str().unwrap_or_default().to_string();
            let msg = e[1].as_str().unwrap_or_default().to_string();
            assert!(!id.is_empty(), "message {msg:?} is not linked to a field");
            assert_eq!(e[2], "true", "{id} is not marked aria-invalid");
            assert_eq!(e[3], true, "the summary does not link to #{id}");
            (id, msg.trim_start_matches("⚠").trim().to_string())
        })
        .collect()
}

/// Asserts each (field id, message) pair is among the page's field errors,
/// and returns them all.
async fn expect_field_errors(b: &Browser, expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let errors = field_errors(b).await;
    for (id, msg) in expected {
        assert!(
            errors.contains(&(id.to_string(), msg.to_string())),
            "{id}: {msg} not in {errors:?}"
        );
    }
    errors
}

/// After a rejected form: the summary is an alert and has the focus, so a
/// screen reader announces it and the keyboard starts from it.
async fn assert_error_summary(b: &Browser) {
    assert!(
        b.exists(".error-summary[role=alert]").await,
        "no alert summary on {}: {}",
        b.path().await,
        b.text("main").await
    );
    let focused = b
        .client
        .execute(
            "return document.activeElement.classList.contains('error-summary');",
            vec![],
        )
        .await
        .expect("focus");
    assert_eq!(focused, true, "the error summary does not have the focus");
}

#[tokio::test]
async fn a_secretariat_day_and_the_city_report_work_in_a_real_browser_and_pass_axe() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    // Osaka's 24 wards with their 2017H1 surveys submitted: the report has data.
    let wards = app.seed_2017h1().await;
    let ward = wards[0];
    let m = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    account(
        &app,
        "jimu.kita@example.jp",
        Role::Secretariat,
        m,
        Some(ward),
    )
    .await;
    account(&app, "shi@example.jp", Role::City, m, None).await;

    let mut b = Browser::start().await;

    // --- Sign in by keyboard only: Tab to the fields, type, Enter.
    b.goto(&app.url("/login")).await;
    b.axe("ログイン").await;
    b.screenshot("01-login").await;
    // The first Tab reaches the skip link, which then shows on screen.
    b.press(&[Key::Tab]).await;
    let skip = b
        .client
        .execute(
            "const a = document.activeElement, r = a.getBoundingClientRect();
             return [a.classList.contains('skip-link'), r.left >= 0 && r.top >= 0 && r.width > 0];",
            vec![],
        )
        .await
        .expect("skip link");
    assert_eq!(
        skip,
        serde_json::json!([true, true]),
        "skip link first and visible"
    );
    let mut tabs = 0;
    while b.focused_id().await != "email" {
        tabs += 1;
        assert!(tabs < 10, "Tab never reached the e-mail field");
        b.press(&[Key::Tab]).await;
    }
    let (style, width, ratio) = b.focus_outline().await;
    assert!(
        style != "none" && width >= 2.0 && ratio >= 3.0,
        "keyboard focus is not visible: outline {style} {width}px, contrast {ratio:.2}:1"
    );
    b.client
        .active_element()
        .await
        .expect("focused")
        .send_keys("jimu.kita@example.jp")
        .await
        .expect("type");
    b.press(&[Key::Tab]).await;
    assert_eq!(b.focused_id().await, "password");
    b.client
        .active_element()
        .await
        .expect("focused")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    b.mark_page().await;
    b.press(&[Key::Enter]).await;
    b.wait_new_page().await;
    assert_eq!(b.path().await, "/", "signed in by keyboard");
    b.axe("ホーム").await;
    b.screenshot("02-home").await;

    // --- The ward's dashboard, from the home page's link.
    b.submit(&format!("a[href='/wards/{ward}']")).await;
    assert_eq!(b.path().await, format!("/wards/{ward}"));
    b.axe("区の概要").await;

    // --- Add a member: first without the required fields.
    b.goto(&app.url(&format!("/wards/{ward}/members/new")))
        .await;
    b.axe("委員の追加").await;
    b.submit("form.stacked button[type=submit]").await;
    assert_error_summary(&b).await;
    let errors = expect_field_errors(&b, &[("name", "氏名を入力してください")]).await;
    assert!(
        errors.iter().any(|(id, _)| id == "organization_kind"),
        "{errors:?}"
    );
    b.axe("委員の追加（入力エラー）").await;
    b.screenshot("03-member-errors").await;
    b.fill("#name", "在宅 花子").await;
    b.fill("#organization", "北区医師会").await;
    b.select("#organization_kind", "医師会").await;
    b.submit("form.stacked button[type=submit]").await;
    assert!(
        !b.exists(".field-error").await,
        "the corrected member form was refused"
    );
    b.goto(&app.url(&format!("/wards/{ward}/members"))).await;
    assert!(b.text("main").await.contains("在宅 花子"));
    b.axe("委員").await;
    b.screenshot("04-members").await;
    let member: i64 = app.get(&format!("/api/wards/{ward}/members")).await.body["items"][0]["id"]
        .as_i64()
        .expect("the member was stored");

    // --- Record a meeting, ticking topics.
    b.goto(&app.url(&format!("/wards/{ward}/meetings/new")))
        .await;
    b.axe("会議の記録").await;
    b.submit("form.stacked button[type=submit]").await;
    assert_error_summary(&b).await;
    expect_field_errors(&b, &[("title", "会議名を入力してください")]).await;
    b.axe("会議の記録（入力エラー）").await;
    b.set_date("#held_on", "2026-11-20").await;
    b.fill("#title", "第2回 在宅医療・介護連携推進会議").await;
    b.find("#kind option:nth-child(2)")
        .await
        .click()
        .await
        .expect("kind");
    b.click(&format!("#attendee-{member}")).await;
    b.click("#topic-1").await;
    b.click("#topic-3").await;
    b.submit("form.stacked button[type=submit]").await;
    let meeting_page = b.path().await;
    assert!(
        meeting_page.starts_with("/meetings/"),
        "saved meeting: {meeting_page}"
    );
    let body = b.text("main").await;
    assert!(body.contains("第2回 在宅医療・介護連携推進会議"), "{body}");
    assert!(body.contains("在宅 花子"), "attendee shown: {body}");
    b.axe("会議").await;
    b.screenshot("05-meeting").await;
    let meetings = app.get(&format!("/api/wards/{ward}/meetings")).await;
    assert_eq!(
        meetings.body["items"][0]["topics"],
        serde_json::json!([1, 3])
    );

    // --- A countermeasure: required fields first missing, then given.
    b.goto(&app.url(&format!("/wards/{ward}/countermeasures/new")))
        .await;
    b.axe("対応策の登録").await;
    b.submit("form.stacked button[type=submit]").await;
    assert_error_summary(&b).await;
    let errors = expect_field_errors(&b, &[("title", "対応策の名称を入力してください")]).await;
    assert!(errors.iter().any(|(id, _)| id == "topic"), "{errors:?}");
    b.axe("対応策の登録（入力エラー）").await;
    // By keyboard from the focused summary: Tab to its first link, Enter
    // takes the focus to the field it names.
    b.press(&[Key::Tab]).await;
    let first = b
        .client
        .execute(
            "return document.activeElement.closest('.error-summary') ? document.activeElement.getAttribute('href') : null;",
            vec![],
        )
        .await
        .expect("focused link");
    let target = first
        .as_str()
        .unwrap_or_else(|| panic!("Tab from the summary did not reach its link: {first}"))
        .trim_start_matches('#')
        .to_string();
    b.press(&[Key::Enter]).await;
    assert_eq!(b.focused_id().await, target, "Enter on the summary's link");
    b.screenshot("06-countermeasure-errors").await;
    b.select("#topic", "1").await;
    b.fill("#title", "退院前カンファレンスの手順書を作る").await;
    b.submit("form.stacked button[type=submit]").await;
    let cm_page = b.path().await;
    assert!(cm_page.starts_with("/countermeasures/"), "{cm_page}");
    assert!(b.text("main .badge").await.contains("未具体化"));
    b.axe("対応策（未具体化）").await;

    // 未具体化 → 具体化: owner and due date missing, then given (the due
    // date before the fixed today, so it becomes overdue).
    let advance = "form input[name=form][value=advance]";
    assert!(b.exists(advance).await);
    b.submit("form:has(input[value=advance]) button[type=submit]")
        .await;
    assert_error_summary(&b).await;
    expect_field_errors(
        &b,
        &[
            (
                "adv-owner_member_id",
                "具体化するには担当者を指定してください",
            ),
            (
                "adv-evaluation_due_on",
                "具体化するには評価予定日を指定してください",
            ),
        ],
    )
    .await;
    b.axe("対応策（具体化の入力エラー）").await;
    b.screenshot("07-plan-errors").await;
    b.select("#adv-owner_member_id", &member.to_string()).await;
    b.set_date("#adv-evaluation_due_on", "2026-11-10").await;
    b.fill("#adv-actor", "事務局 北").await;
    b.submit("form:has(input[value=advance]) button[type=submit]")
        .await;
    assert!(!b.exists(".field-error").await, "具体化 was refused");
    assert!(b.text("main .badge").await.contains("具体化"));
    assert!(
        b.text(".notice.danger")
            .await
            .contains("評価期限を過ぎています"),
        "overdue notice"
    );
    b.axe("対応策（具体化・期限超過）").await;
    b.screenshot("08-countermeasure-overdue").await;

    // The overdue list and the dashboard show it.
    b.goto(&app.url(&format!("/wards/{ward}/countermeasures?overdue=1")))
        .await;
    let list = b.text("main").await;
    assert!(
        list.contains("退院前カンファレンスの手順書を作る"),
        "{list}"
    );
    assert!(list.contains("評価期限超過"), "{list}");
    b.axe("対応策一覧（期限超過）").await;
    b.screenshot("09-overdue-list").await;
    b.goto(&app.url(&format!("/wards/{ward}"))).await;
    let dash = b.text("main").await;
    assert!(
        dash.contains("評価期限を過ぎた対応策（1件）")
            && dash.contains("退院前カンファレンスの手順書を作る"),
        "{dash}"
    );
    b.axe("区の概要（期限超過あり）").await;
    b.screenshot("10-dashboard").await;

    // 具体化 → 評価改善: evaluation and improvement missing, then given.
    b.goto(&app.url(&cm_page)).await;
    b.submit("form:has(input[value=advance]) button[type=submit]")
        .await;
    assert_error_summary(&b).await;
    expect_field_errors(
        &b,
        &[
            (
                "adv-evaluation",
                "評価改善に進めるには評価の内容を入力してください",
            ),
            (
                "adv-improvement",
                "評価改善に進めるには改善の内容を入力してください",
            ),
        ],
    )
    .await;
    b.axe("対応策（評価改善の入力エラー）").await;

    // The evaluation itself is decided at the next meeting: its form lists
    // the open countermeasure (carry-forward) and records the step with the
    // meeting, after showing what is missing beside the fields.
    let cm_id: i64 = cm_page
        .trim_start_matches("/countermeasures/")
        .parse()
        .expect("countermeasure id");
    b.goto(&app.url(&format!("/wards/{ward}/meetings/new")))
        .await;
    let review = b.text(&format!("#cm-{cm_id}")).await;
    assert!(
        review.contains("退院前カンファレンスの手順書を作る") && review.contains("評価期限超過"),
        "the open countermeasure is on the meeting form: {review}"
    );
    b.set_date("#held_on", "2026-11-24").await;
    b.fill("#title", "第3回 在宅医療・介護連携推進会議").await;
    b.find("#kind option:nth-child(2)")
        .await
        .click()
        .await
        .expect("kind");
    b.click("#topic-1").await;
    b.click(&format!("#cm-{cm_id}-to")).await;
    b.submit("form.stacked button[type=submit]").await;
    assert_error_summary(&b).await;
    let errors = field_errors(&b).await;
    assert!(
        errors
            .iter()
            .any(|(id, _)| id == &format!("cm-{cm_id}-evaluation")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(id, _)| id == &format!("cm-{cm_id}-improvement")),
        "{errors:?}"
    );
    b.axe("会議の記録（対応策の評価の入力エラー）").await;
    b.screenshot("11-meeting-review-errors").await;
    b.fill(
        &format!("#cm-{cm_id}-evaluation"),
        "手順書を3病院で試行し、連絡漏れが減った",
    )
    .await;
    b.fill(
        &format!("#cm-{cm_id}-improvement"),
        "訪問看護ステーションの様式も加える",
    )
    .await;
    b.select(&format!("#cm-{cm_id}-verdict"), "達成").await;
    b.fill(
        &format!("#cm-{cm_id}-verdict_reason"),
        "3病院すべてで手順書を運用できた",
    )
    .await;
    b.submit("form.stacked button[type=submit]").await;
    assert!(!b.exists(".field-error").await, "the meeting was refused");
    assert!(b.path().await.starts_with("/meetings/"));
    let body = b.text("main").await;
    assert!(
        body.contains("この会議で段階を変更した対応策")
            && body.contains("退院前カンファレンスの手順書を作る"),
        "{body}"
    );
    b.axe("会議（段階の変更あり）").await;
    b.goto(&app.url(&cm_page)).await;
    assert!(b.text("main .badge").await.contains("評価改善"));
    assert!(!b.exists(".notice.danger").await, "no longer overdue");
    assert!(
        b.text("main")
            .await
            .contains("第3回 在宅医療・介護連携推進会議で決定"),
        "the history names the meeting"
    );
    b.axe("対応策（評価改善）").await;
    b.screenshot("12-countermeasure-evaluated").await;
    let cm = app.get(&format!("/api{cm_page}")).await;
    assert_eq!(cm.body["stage"], "評価改善", "{}", cm.text);

    // --- The ward's report and a CSV downloaded by the page itself.
    b.goto(&app.url(&format!("/wards/{ward}/report/2017H1")))
        .await;
    b.axe("区の集計").await;
    b.screenshot("13-ward-report").await;
    b.goto(&app.url(&format!("/wards/{ward}/surveys/2026H2")))
        .await;
    assert!(b.exists("form.stacked").await, "the survey form");
    b.axe("半期調査の回答").await;
    b.screenshot("14-survey-form").await;
    for (path, name) in [
        (format!("/wards/{ward}/meetings"), "会議一覧"),
        (format!("/wards/{ward}/countermeasures"), "対応策一覧"),
        (format!("/members/{member}/edit"), "委員の編集"),
        (format!("{cm_page}/edit"), "対応策の編集"),
        (format!("/wards/{ward}/import"), "CSVの取り込み"),
        ("/account/password".to_string(), "パスワードの変更"),
    ] {
        b.goto(&app.url(&path)).await;
        assert!(
            !b.exists(".error-page").await,
            "{path}: {}",
            b.text("main").await
        );
        b.axe(name).await;
    }
    b.goto(&app.url(&format!("/wards/{ward}"))).await;
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const a = document.querySelector(arguments[0]);
             fetch(a.href).then(async r => done({
                 status: r.status, type: r.headers.get('content-type'),
                 disposition: r.headers.get('content-disposition'),
                 bytes: [...new Uint8Array(await r.arrayBuffer())] }))
               .catch(e => done({ error: String(e) }));",
            vec![serde_json::json!(format!(
                "a[href='/wards/{ward}/countermeasures.csv']"
            ))],
        )
        .await
        .expect("fetch the CSV");
    assert_eq!(csv["status"], 200, "{csv}");
    assert!(
        csv["type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("text/csv"),
        "{}",
        csv["type"]
    );
    assert!(
        csv["disposition"]
            .as_str()
            .unwrap_or_default()
            .contains("attachment"),
        "{}",
        csv["disposition"]
    );
    let bytes: Vec<u8> = csv["bytes"]
        .as_array()
        .expect("bytes")
        .iter()
        .map(|v| v.as_u64().unwrap_or_default() as u8)
        .collect();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with BOM for Excel"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    assert!(
        text.contains("退院前カンファレンスの手順書を作る") && text.contains("評価改善"),
        "{text}"
    );
    b.save_artifact("countermeasures.csv", &csv_bytes_for_review(&text));

    sign_out(&b, &app).await;
    b.axe("ログイン（ログアウト後）").await;

    // --- A wrong password is announced, then the city signs in.
    b.fill("#email", "shi@example.jp").await;
    b.fill("#password", "まちがったパスワード").await;
    b.submit("form.stacked button[type=submit]").await;
    assert_eq!(
        b.text("[role=alert]").await,
        "メールアドレスまたはパスワードが正しくありません"
    );
    b.axe("ログイン（失敗）").await;
    b.screenshot("15-login-failed").await;

    // --- The city: the report and its print view.
    sign_in(&b, &app, "shi@example.jp").await;
    b.goto(&app.url("/report/2017H1")).await;
    assert!(
        b.text("main").await.contains("N=24"),
        "the report counts the 24 wards"
    );
    b.axe("資料1（報告書）").await;
    b.screenshot("16-report").await;
    assert!(
        b.find(".site-header")
            .await
            .is_displayed()
            .await
            .expect("shown"),
        "the header shows on screen"
    );
    b.emulate_media("print").await;
    assert!(
        !b.find(".site-header")
            .await
            .is_displayed()
            .await
            .expect("shown"),
        "the print view hides the site header"
    );
    b.screenshot("17-report-print").await;
    b.emulate_media("").await;
    let pdf = b
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .expect("print to PDF");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    b.save_artifact("report-2017H1.pdf", &pdf);
    b.goto(&app.url("/surveys/2017H1")).await;
    b.axe("提出状況").await;
    b.screenshot("18-survey-statuses").await;
    b.goto(&app.url(&format!("/city/{m}"))).await;
    b.axe("市の一覧").await;
    b.screenshot("19-city").await;
    for (path, name) in [
        (format!("/city/{m}/surveys/2017H1/summaries"), "市のまとめ"),
        (format!("/city/{m}/reminders"), "通知設定"),
        ("/accounts".to_string(), "アカウント"),
        ("/audit".to_string(), "操作履歴"),
        ("/jobs".to_string(), "定期処理"),
        ("/reminders/deliveries".to_string(), "通知メールの送信履歴"),
    ] {
        b.goto(&app.url(&path)).await;
        assert!(
            !b.exists(".error-page").await,
            "{path}: {}",
            b.text("main").await
        );
        b.axe(name).await;
        if let Some(shot) = path.strip_prefix('/').filter(|p| !p.contains('/')) {
            b.screenshot(&format!("20-{shot}")).await;
        }
    }
    b.screenshot("20-deliveries").await;

    // The check itself can fail: a field without a label is reported.
    b.client
        .execute(
            "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text id=unlabelled>');",
            vec![],
        )
        .await
        .expect("add an unlabelled field");
    let before = b.violations.len();
    b.axe("自己診断").await;
    let caught: Vec<String> = b.violations.drain(before..).collect();
    assert!(
        caught
            .iter()
            .any(|v| v.contains("label") && v.contains("#unlabelled")),
        "axe-core missed an unlabelled field: {caught:?}"
    );
    sign_out(&b, &app).await;

    finish(b, app).await;
}

/// The CSV as a reviewer opens it (the BOM restored).
fn csv_bytes_for_review(text: &str) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend_from_slice(text.as_bytes());
    out
}

/// 延期された評価 on the ward dashboard: a secretariat moves a due date
/// later on the edit form, a re-plan moves another; the dashboard lists
/// both, newest first, with the dates, who and when, and passes axe.
#[tokio::test]
async fn the_dashboard_lists_the_evaluations_postponed_this_half_year() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    named_account(
        &app,
        "yamada.kita@example.jp",
        "北区事務局 山田",
        Role::Secretariat,
        m,
        Some(ward),
        None,
    )
    .await;
    let owner = app.member(ward, "在宅 花子").await;
    // Re-planned through the API (the tests' operator account) first.
    let replanned = app
        .planned_countermeasure(ward, 4, owner, "2026-12-10")
        .await;
    for body in [
        serde_json::json!({ "to": "未具体化", "note": "病院側の体制が整うまで見直す" }),
        serde_json::json!({ "to": "具体化", "evaluation_due_on": "2027-03-31" }),
    ] {
        let r = app.transition(replanned, body).await;
        assert!(r.status.is_success(), "{}", r.text);
    }
    let edited = app
        .planned_countermeasure(ward, 3, owner, "2026-12-01")
        .await;

    let mut b = Browser::start().await;
    sign_in(&b, &app, "yamada.kita@example.jp").await;
    b.goto(&app.url(&format!("/countermeasures/{edited}/edit")))
        .await;
    b.fill("#title", "入退院時の情報共有シートの作成").await;
    b.set_date("#evaluation_due_on", "2027-01-15").await;
    b.submit("form.stacked button[type=submit]").await;
    assert_eq!(b.path().await, format!("/countermeasures/{edited}"));

    b.goto(&app.url(&format!("/wards/{ward}"))).await;
    let dash = b.text("main").await;
    assert!(dash.contains("延期された評価（2件）"), "{dash}");
    let rows = b
        .client
        .execute(
            "const h = [...document.querySelectorAll('h2')].find(h => h.textContent.startsWith('延期された評価'));
             return [...h.parentElement.querySelectorAll('tbody tr')].map(r => r.innerText);",
            vec![],
        )
        .await
        .expect("rows");
    let rows: Vec<String> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r.as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (row, expected) in rows.iter().zip([
        [
            "入退院時の情報共有シートの作成",
            "2026-12-01（令和8年12月1日）",
            "2027-01-15（令和9年1月15日）",
            "北区事務局 山田",
            "2026-11-24（令和8年11月24日） 12:00",
        ],
        [
            "具体化する対応策",
            "2026-12-10（令和8年12月10日）",
            "2027-03-31（令和9年3月31日）",
            "operator@example.jp",
            "2026-11-24（令和8年11月24日） 12:00",
        ],
    ]) {
        for text in expected {
            assert!(row.contains(text), "{text} in {row}");
        }
    }
    b.axe("区の概要（延期された評価あり）").await;
    b.screenshot("21-dashboard-postponed").await;

    finish(b, app).await;
}

/// A committee member signed in sees its ward without the secretariat's
/// actions, and on a countermeasure it owns only the 評価改善 form, which
/// it fills in and sends; the page passes axe.
#[tokio::test]
async fn a_member_evaluates_what_it_owns_and_sees_no_secretariat_actions() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    let owner = app.member(ward, "在宅 花子").await;
    let cm = app
        .planned_countermeasure(ward, 3, owner, "2026-12-10")
        .await;
    named_account(
        &app,
        "hanako@example.jp",
        "在宅 花子",
        Role::Member,
        m,
        Some(ward),
        Some(owner),
    )
    .await;

    let mut b = Browser::start().await;
    // The reminder mail's link, opened signed out, comes back after sign-in.
    b.goto(&app.url(&format!("/countermeasures/{cm}"))).await;
    assert!(b.path().await.starts_with("/login"));
    b.fill("#email", "hanako@example.jp").await;
    b.fill("#password", PASSWORD).await;
    b.submit("form.stacked button[type=submit]").await;
    assert_eq!(b.path().await, format!("/countermeasures/{cm}"));
    let page = b.text("main").await;
    assert!(page.contains("「評価改善」に進める"), "{page}");
    for absent in ["内容を編集する", "段階を「未具体化」に戻す", "対応策の終了"]
    {
        assert!(!page.contains(absent), "{absent} shown to a member: {page}");
    }
    b.axe("対応策（委員）").await;
    b.screenshot("22-member-countermeasure").await;
    b.fill("#adv-evaluation", "研修後のアンケートで8割が役立ったと回答")
        .await;
    b.fill("#adv-improvement", "次回は病院の参加を増やす").await;
    b.select("#adv-verdict", "一部達成").await;
    b.fill("#adv-verdict_reason", "病院の参加が目標に届かなかった")
        .await;
    b.submit("form.stacked button[type=submit]").await;
    assert_eq!(b.path().await, format!("/countermeasures/{cm}"));
    assert!(b.text("main").await.contains("評価改善"));

    b.goto(&app.url(&format!("/wards/{ward}"))).await;
    let dash = b.text("main").await;
    for absent in ["会議を記録する", "対応策を登録する", "CSVを取り込む"] {
        assert!(!dash.contains(absent), "{absent} shown to a member");
    }
    b.screenshot("23-member-dashboard").await;

    finish(b, app).await;
}

/// A reminder the mail server refused appears on the ward dashboard with
/// 「再送する」; the secretariat presses it once the mailbox works again,
/// comes back to the dashboard with a notice, and the sender delivers it.
#[tokio::test]
async fn a_secretariat_resends_a_refused_reminder_from_the_dashboard() {
    if !harness::available() {
        return;
    }
    const OWNER: &str = "hanako.zaitaku@clinic.example.jp";
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    app.set_secretariat(ward, "kita-jimukyoku@city.example.jp")
        .await;
    let owner = app.member_with_email(ward, "在宅 花子", OWNER).await;
    app.planned(
        ward,
        3,
        "入退院時の情報共有ルールの評価",
        owner,
        "2026-11-20",
    )
    .await;
    let smtp = support::SmtpSink::start();
    smtp.reject(OWNER);
    let now = NOW.parse().unwrap();
    app.run_job(&support::overdue_job(7, 7, 14, 5), now).await;
    let mailer = support::mailer(&smtp.url());
    renkei::reminders::sender::send_pending_once(&app.db, &mailer, now)
        .await
        .expect("send");
    account(&app, "jimu@example.jp", Role::Secretariat, m, Some(ward)).await;

    let mut b = Browser::start().await;
    sign_in(&b, &app, "jimu@example.jp").await;
    b.goto(&app.url(&format!("/wards/{ward}"))).await;
    let page = b.text("main").await;
    assert!(page.contains("送信できなかった通知（1件）"), "{page}");
    assert!(
        page.contains("受信拒否") && page.contains("再送する"),
        "{page}"
    );
    b.axe("概要（再送）").await;
    b.screenshot("24-dashboard-resend").await;

    smtp.accept(OWNER);
    b.submit("form[action$='/resend'] button[type=submit]")
        .await;
    assert!(
        b.path()
            .await
            .starts_with(&format!("/wards/{ward}?resent=")),
        "{}",
        b.path().await
    );
    let page = b.text("main").await;
    assert!(page.contains("通知メールを送信待ちに戻しました"), "{page}");
    assert!(!page.contains("送信できなかった通知"), "{page}");
    b.axe("概要（再送後）").await;
    let sent = renkei::reminders::sender::send_pending_once(
        &app.db,
        &mailer,
        now + chrono::TimeDelta::minutes(1),
    )
    .await
    .expect("send");
    assert_eq!(sent.sent, 1);
    assert_eq!(smtp.to(OWNER).len(), 1);

    finish(b, app).await;
}

/// A secretariat filters its countermeasure list and pages through it with
/// the pager (次へ, a page number, past the end, a mistyped page number);
/// the filter stays in every link, and every page passes axe. The meeting
/// and member lists show their pagers and CSV links too.
#[tokio::test]
async fn a_secretariat_pages_through_a_filtered_countermeasure_list() {
    if !harness::available() {
        return;
    }
    let app = TestApp::spawn().await;
    let ward = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let m = app.get(&format!("/api/wards/{ward}")).await.body["municipality_id"]
        .as_i64()
        .expect("municipality id");
    account(&app, "jimu@example.jp", Role::Secretariat, m, Some(ward)).await;
    let owner = app.member(ward, "在宅 花子").await;
    for i in 1..=60 {
        app.member(ward, &format!("委員{i:03}")).await;
    }
    // 110 on topic 3 (every tenth planned, some overdue), 10 on topic 5.
    for i in 1..=120 {
        let topic = if i <= 110 { 3 } else { 5 };
        let title = format!("在宅医療の対応策{i:03}");
        if i % 10 == 0 {
            let due = if i % 20 == 0 {
                "2026-10-31"
            } else {
                "2027-03-31"
            };
            app.planned(ward, topic, &title, owner, due).await;
        } else {
            app.countermeasure(ward, topic, &title).await;
        }
    }
    for day in 1..=28 {
        app.meeting(ward, &format!("2026-02-{day:02}"), &[1, 3])
            .await;
    }
    for day in 1..=30 {
        app.meeting(ward, &format!("2026-04-{day:02}"), &[2]).await;
    }

    let mut b = Browser::start().await;
    sign_in(&b, &app, "jimu@example.jp").await;
    let list = format!("/wards/{ward}/countermeasures");
    b.goto(&app.url(&list)).await;
    b.select("#f-topic", "3").await;
    b.submit("form.filters button[type=submit]").await;
    assert!(b.path().await.contains("topic=3"), "{}", b.path().await);
    let caption = b.text("caption").await;
    assert_eq!(caption, "対応策の一覧（全110件、1/3ページ）");
    assert_eq!(b.text(".pager-count").await, "全110件中 1〜50件を表示");
    b.axe("対応策一覧（1ページ目）").await;
    b.screenshot("25-countermeasures-page-1").await;

    b.submit(".pager a[rel=next]").await;
    assert_eq!(b.path().await, format!("{list}?topic=3&page=2"));
    assert_eq!(b.text(".pager-count").await, "全110件中 51〜100件を表示");
    assert_eq!(b.text(".pager a[aria-current=page]").await, "2");
    assert_eq!(
        b.find("a[download]")
            .await
            .attr("href")
            .await
            .expect("href")
            .as_deref(),
        Some(format!("/wards/{ward}/countermeasures.csv?topic=3&archived=open").as_str())
    );
    b.axe("対応策一覧（2ページ目）").await;
    b.screenshot("26-countermeasures-page-2").await;

    b.submit(".pager a[aria-label='3ページ目']").await;
    assert_eq!(b.path().await, format!("{list}?topic=3&page=3"));
    assert_eq!(b.text(".pager-count").await, "全110件中 101〜110件を表示");
    assert!(!b.exists(".pager a[rel=next]").await);

    b.goto(&app.url(&format!("{list}?topic=3&page=9"))).await;
    assert!(!b.exists("tbody tr").await);
    b.axe("対応策一覧（最後のページより後）").await;
    b.screenshot("27-countermeasures-past-end").await;
    b.submit(".pager p a").await;
    assert_eq!(b.path().await, format!("{list}?topic=3&page=3"));

    b.goto(&app.url(&format!("{list}?topic=3&page=abc"))).await;
    assert!(
        b.text(".error-page")
            .await
            .contains("ページ番号は1以上の整数で指定してください")
    );
    b.axe("対応策一覧（ページ番号の誤り）").await;
    b.screenshot("28-countermeasures-bad-page").await;

    b.goto(&app.url(&format!("/wards/{ward}/meetings?from=2026-02-01&page=2")))
        .await;
    assert_eq!(b.text(".pager-count").await, "全58件中 51〜58件を表示");
    b.axe("会議一覧（2ページ目）").await;
    b.screenshot("29-meetings-page-2").await;
    b.goto(&app.url(&format!("/wards/{ward}/members?active_only=1")))
        .await;
    assert_eq!(b.text(".pager-count").await, "全61件中 1〜50件を表示");
    b.axe("委員一覧（1ページ目）").await;
    b.screenshot("30-members-page-1").await;

    finish(b, app).await;
}
