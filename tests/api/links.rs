//! A page never links where its reader may not go, and never shows
//! template debris: for each role of the demo, every page reachable by
//! following links from the home page (within a budget) is fetched, and
//! every link it shows must answer something other than 401/403/404.

use std::collections::{BTreeSet, VecDeque};

use reqwest::StatusCode;

use crate::support::{NOW, TestApp};

/// The demo's accounts, one per role and scope.
const READERS: [&str; 5] = [
    "city@demo.example.jp",
    "viewer@demo.example.jp",
    "secretariat.kita@demo.example.jp",
    "member.kita@demo.example.jp",
    "viewer.kita@demo.example.jp",
];

/// The `href` values of a page's links (not its forms' actions).
fn links(html: &str) -> Vec<String> {
    html.split("<a ")
        .skip(1)
        .filter_map(|a| {
            let at = a.find("href=\"")? + 6;
            let end = a[at..].find('"')?;
            Some(a[at..at + end].replace("&amp;", "&"))
        })
        .collect()
}

/// Where a page's links are worth following: its own pages, one of each
/// kind (the 24 wards' pages are alike), without downloads.
fn worth_following(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !href.contains(".csv")
        && !href.contains("/csv/")
        && !href.starts_with("/docs")
        && !href.starts_with("/openapi.json")
        && !href.starts_with("/logout")
        && !href.starts_with("/static/")
}

#[tokio::test]
async fn every_link_on_every_page_leads_somewhere_its_reader_may_go() {
    let app = TestApp::spawn_with_demo().await;
    renkei::demo::create_accounts(&app.db, NOW.parse().unwrap())
        .await
        .unwrap();
    let mut failures = Vec::new();
    for email in READERS {
        let account = renkei::accounts::store::id_by_email(&app.db, email)
            .await
            .unwrap();
        let (_, token) = renkei::accounts::store::create_token(
            &app.db,
            account,
            "links",
            None,
            NOW.parse().unwrap(),
        )
        .await
        .unwrap();
        let mut seen = BTreeSet::new();
        let mut visited = BTreeSet::new();
        let mut queue = VecDeque::from([("/".to_string(), "(start)".to_string())]);
        let mut fetched = 0;
        while let Some((path, from)) = queue.pop_front() {
            if !visited.insert(path.clone()) {
                continue;
            }
            // One page per route shape: ids and periods vary, pages don't.
            let shape: String = path
                .split('?')
                .next()
                .unwrap_or_default()
                .split('/')
                .map(|s| {
                    if s.chars().any(|c| c.is_ascii_digit()) {
                        "#"
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let (status, body) = app.page_as(&token, &path).await;
            fetched += 1;
            if matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ) {
                failures.push(format!(
                    "{email}: {from} links to {path}, which answers {status}"
                ));
                continue;
            }
            for debris in ["<<<<<<<", ">>>>>>>", "{{", "{%"] {
                if body.contains(debris) {
                    failures.push(format!("{email}: {path} shows {debris:?}"));
                }
            }
            if !seen.insert(shape) || fetched > 400 {
                continue;
            }
            for href in links(&body) {
                if worth_following(&href) {
                    queue.push_back((href, path.clone()));
                }
            }
        }
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn signing_in_returns_to_the_page_that_asked_and_only_to_this_site() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("甲市", &["北区"]).await;
    let cm = app.countermeasure(wards[0], 1, "対応策").await;
    app.city_account_with_password(wards[0], "city@example.jp", "a-long-password-1")
        .await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A reminder mail's link, opened signed out.
    let asked = format!("/countermeasures/{cm}?from=mail");
    let r = browser.get(app.url(&asked)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        login,
        format!("/login?next=%2Fcountermeasures%2F{cm}%3Ffrom%3Dmail")
    );
    let form = browser.get(app.url(&login)).send().await.unwrap();
    let html = form.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "name=\"next\" value=\"{}\"",
            asked.replace('&', "&amp;")
        )),
        "{html}"
    );
    let sign_in = |next: &str| {
        browser
            .post(app.url("/login"))
            .form(&[
                ("email", "city@example.jp"),
                ("password", "a-long-password-1"),
                ("next", next),
            ])
            .send()
    };
    let r = sign_in(&asked).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], asked.as_str());
    for elsewhere in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let r = sign_in(elsewhere).await.unwrap();
        assert_eq!(r.headers()["location"], "/", "{elsewhere}");
    }
}
