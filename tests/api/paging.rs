//! Paged list pages (issue 19): the ward's 対応策, 会議 and 委員 lists show
//! 50 rows a page with the total, 前へ / 次へ and page numbers; filters stay
//! in every link; a page past the end answers 200 with a link to the last
//! page; a malformed page number answers 400 in Japanese; and the CSV link
//! beside each list downloads the whole filtered list.

use chrono::{Days, NaiveDate};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

/// The text of each row's header cell (the row's title), tags removed.
fn row_titles(html: &str) -> Vec<String> {
    html.split(r#"<th scope="row">"#)
        .skip(1)
        .map(|cell| strip_tags(&cell[..cell.find("</th>").expect("cell end")]))
        .collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The `href` of the first link whose opening tag or text contains `marker`
/// after the `href` (e.g. `rel="next"` or `>CSVで保存<`), `&` decoded.
fn href_before(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let before = &html[..at];
    let start = before.rfind(r#"href=""#)? + 6;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The pager's links, in order, `&` decoded.
fn pager_hrefs(html: &str) -> Vec<String> {
    let start = html.find(r#"<nav class="pager""#).expect("a pager");
    let nav = &html[start..start + html[start..].find("</nav>").expect("pager end")];
    nav.split(r#"href=""#)
        .skip(1)
        .map(|s| {
            s[..s.find('"').unwrap()]
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
        .collect()
}

async fn ok_page(app: &TestApp, path: &str) -> String {
    let (status, body) = app.page(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The value of one column of a UTF-8 export (BOM removed), rows in order.
async fn csv_column(app: &TestApp, path: &str, name: &str) -> Vec<String> {
    let (status, _, body) = app.download(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").expect("BOM")).unwrap();
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .into_records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>());
    let header = rows.next().expect("header");
    let i = header.iter().position(|h| h == name).expect("column");
    rows.map(|r| r[i].clone()).collect()
}

/// Asserts a malformed page number answers 400 with the Japanese message
/// and a link to the first page that keeps the filters (`first`).
async fn assert_malformed_pages(app: &TestApp, list: &str, filters: &str, first: &str) {
    for bad in ["0", "abc", "-1", "99999999999999999999", "1.5", "%EF%BC%92"] {
        let path = if filters.is_empty() {
            format!("{list}?page={bad}")
        } else {
            format!("{list}?{filters}&page={bad}")
        };
        let (status, body) = app.page(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body.contains("ページ番号は1以上の整数で指定してください"),
            "{path}: {body}"
        );
        assert_eq!(
            href_before(&body, ">最初のページへ<").as_deref(),
            Some(first),
            "{path}"
        );
    }
}

fn titles(prefix: &str, range: impl IntoIterator<Item = usize>) -> Vec<String> {
    range
        .into_iter()
        .map(|i| format!("{prefix}{i:03}"))
        .collect()
}

#[tokio::test]
async fn the_countermeasure_list_pages_keeps_its_filters_and_exports_the_filtered_list() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let hanako = app.member(w, "担当 花子").await;
    let jiro = app.member(w, "担当 次郎").await;
    // 120 on topic 3, then 15 on topic 7; the list runs by topic, then id.
    let mut ids = Vec::new();
    for i in 1..=135 {
        let topic = if i <= 120 { 3 } else { 7 };
        let title = format!("対応策{i:03}");
        let id = match i {
            2 => app.planned(w, topic, &title, hanako, "2027-03-31").await,
            130 => app.planned(w, topic, &title, jiro, "2026-10-01").await,
            _ => app.countermeasure(w, topic, &title).await,
        };
        ids.push(id);
    }
    let r = app
        .patch(
            &format!("/api/countermeasures/{}", ids[134]),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = format!("/wards/{w}/countermeasures");

    // The open ones: 134 over three pages.
    let first = ok_page(&app, &list).await;
    assert_eq!(row_titles(&first), titles("対応策", 1..=50));
    assert!(
        first.contains("対応策の一覧（全134件、1/3ページ）"),
        "{first}"
    );
    assert!(first.contains("全134件中 1〜50件を表示"), "{first}");
    assert!(first.contains("担当 花子") && !first.contains("担当 次郎"));
    assert_eq!(
        href_before(&first, r#"rel="next""#).as_deref(),
        Some(format!("{list}?page=2").as_str())
    );
    assert!(!first.contains(r#"rel="prev""#));
    assert_eq!(
        pager_hrefs(&first),
        [
            list.clone(),
            format!("{list}?page=2"),
            format!("{list}?page=3"),
            format!("{list}?page=2"),
        ]
    );
    let middle = ok_page(&app, &format!("{list}?page=2")).await;
    assert_eq!(row_titles(&middle), titles("対応策", 51..=100));
    assert!(middle.contains("全134件中 51〜100件を表示"));
    assert!(middle.contains(&format!(
        r#"<a href="{list}?page=2" aria-current="page">2</a>"#
    )));
    assert_eq!(
        href_before(&middle, r#"rel="prev""#).as_deref(),
        Some(list.as_str())
    );
    let last = ok_page(&app, &format!("{list}?page=3")).await;
    assert_eq!(row_titles(&last), titles("対応策", 101..=134));
    assert!(last.contains("全134件中 101〜134件を表示"));
    assert!(last.contains("担当 次郎") && last.contains("評価期限超過"));
    assert!(!last.contains(r#"rel="next""#));

    // Filters combined with paging: every link keeps them.
    let topic3 = ok_page(&app, &format!("{list}?topic=3&page=2")).await;
    assert_eq!(row_titles(&topic3), titles("対応策", 51..=100));
    assert!(topic3.contains("対応策の一覧（全120件、2/3ページ）"));
    assert!(topic3.contains(r#"<option value="3" selected>"#));
    assert_eq!(
        pager_hrefs(&topic3),
        [
            format!("{list}?topic=3"),
            format!("{list}?topic=3"),
            format!("{list}?topic=3&page=2"),
            format!("{list}?topic=3&page=3"),
            format!("{list}?topic=3&page=3"),
        ]
    );
    let topic3_last = ok_page(&app, &format!("{list}?topic=3&page=3")).await;
    assert_eq!(row_titles(&topic3_last), titles("対応策", 101..=120));
    let overdue = ok_page(&app, &format!("{list}?topic=7&overdue=1")).await;
    assert_eq!(row_titles(&overdue), ["対応策130"]);
    assert!(overdue.contains("全1件中 1〜1件を表示"));
    assert!(
        pager_hrefs(&overdue).is_empty(),
        "one page: no page numbers"
    );
    let all7 = ok_page(&app, &format!("{list}?archived=all&topic=7")).await;
    assert_eq!(row_titles(&all7), titles("対応策", 121..=135));

    // Past the end: 200, no rows, a link to the last page (filters kept).
    let past = ok_page(&app, &format!("{list}?topic=3&page=9")).await;
    assert!(row_titles(&past).is_empty());
    assert!(past.contains("このページ（9ページ目）に表示する行はありません"));
    assert_eq!(
        href_before(&past, ">最後のページ（3ページ目）へ<").as_deref(),
        Some(format!("{list}?topic=3&page=3").as_str())
    );
    assert!(!past.contains("条件にあう対応策はありません"));

    assert_malformed_pages(&app, &list, "topic=3", &format!("{list}?topic=3")).await;

    // The CSV beside the list: the whole filtered list, on all pages.
    let csv = href_before(&topic3, ">CSVで保存<").expect("CSV link");
    assert_eq!(
        csv,
        format!("/wards/{w}/countermeasures.csv?topic=3&archived=open")
    );
    assert_eq!(
        href_before(&topic3, ">Shift_JIS で保存<").as_deref(),
        Some(format!("{csv}&encoding=sjis").as_str())
    );
    assert_eq!(
        csv_column(&app, &csv, "対応策").await,
        titles("対応策", 1..=120)
    );
    let owners = csv_column(&app, &csv, "担当委員").await;
    assert_eq!((owners[1].as_str(), owners[0].as_str()), ("担当 花子", ""));
    let (status, headers, _) = app.download(&format!("{csv}&encoding=sjis")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("Shift_JIS")
    );
    let open = href_before(&first, ">CSVで保存<").expect("CSV link");
    assert_eq!(
        open,
        format!("/wards/{w}/countermeasures.csv?archived=open")
    );
    assert_eq!(
        csv_column(&app, &open, "対応策").await,
        titles("対応策", 1..=134)
    );
    let overdue_csv = href_before(&overdue, ">CSVで保存<").expect("CSV link");
    assert_eq!(
        csv_column(&app, &overdue_csv, "対応策").await,
        ["対応策130"]
    );
    // Without filters the export is the ward's whole list, archived ones
    // included, as before.
    let whole = format!("/wards/{w}/countermeasures.csv");
    assert_eq!(
        csv_column(&app, &whole, "対応策").await,
        titles("対応策", 1..=135)
    );
    assert_eq!(
        app.download(&whole).await.2,
        app.download(&format!("{whole}?archived=all")).await.2
    );
    app.stop().await;
}

#[tokio::test]
async fn the_meeting_list_pages_by_period_and_exports_the_period() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let days: Vec<NaiveDate> = (0..120)
        .map(|i| start.checked_add_days(Days::new(i)).unwrap())
        .collect();
    for d in &days {
        app.meeting(w, &d.to_string(), &[1]).await;
    }
    let title = |d: &NaiveDate| format!("推進会議 {d}");
    // Newest first.
    let newest: Vec<String> = days.iter().rev().map(title).collect();
    let list = format!("/wards/{w}/meetings");

    let first = ok_page(&app, &list).await;
    assert_eq!(row_titles(&first), newest[..50]);
    assert!(
        first.contains("会議の一覧（新しい順、全120件、1/3ページ）"),
        "{first}"
    );
    let middle = ok_page(&app, &format!("{list}?page=2")).await;
    assert_eq!(row_titles(&middle), newest[50..100]);
    assert!(middle.contains("全120件中 51〜100件を表示"));
    let last = ok_page(&app, &format!("{list}?page=3")).await;
    assert_eq!(row_titles(&last), newest[100..]);
    assert!(!last.contains(r#"rel="next""#));

    // February and March: 59 meetings on two pages.
    let period = "from=2026-02-01&to=2026-03-31";
    let in_period: Vec<String> = days
        .iter()
        .rev()
        .filter(|d| {
            d.to_string().as_str() >= "2026-02-01" && d.to_string().as_str() <= "2026-03-31"
        })
        .map(title)
        .collect();
    assert_eq!(in_period.len(), 59);
    let p1 = ok_page(&app, &format!("{list}?{period}")).await;
    assert_eq!(row_titles(&p1), in_period[..50]);
    assert!(p1.contains(r#"value="2026-02-01""#) && p1.contains(r#"value="2026-03-31""#));
    assert_eq!(
        href_before(&p1, r#"rel="next""#).as_deref(),
        Some(format!("{list}?{period}&page=2").as_str())
    );
    let p2 = ok_page(&app, &format!("{list}?{period}&page=2")).await;
    assert_eq!(row_titles(&p2), in_period[50..]);
    assert!(p2.contains("全59件中 51〜59件を表示"));
    assert_eq!(
        href_before(&p2, r#"rel="prev""#).as_deref(),
        Some(format!("{list}?{period}").as_str())
    );

    // An unreadable date is named beside its field and left out.
    let bad = ok_page(&app, &format!("{list}?from=2026-13-01")).await;
    assert!(
        bad.contains("期間の開始日は「2026-04-01」のように年-月-日の形式で入力してください"),
        "{bad}"
    );
    assert!(bad.contains(r#"aria-invalid="true""#));
    assert_eq!(row_titles(&bad), newest[..50]);

    let past = ok_page(&app, &format!("{list}?{period}&page=5")).await;
    assert!(row_titles(&past).is_empty());
    assert_eq!(
        href_before(&past, ">最後のページ（2ページ目）へ<").as_deref(),
        Some(format!("{list}?{period}&page=2").as_str())
    );
    assert_malformed_pages(&app, &list, "", &list).await;
    assert_malformed_pages(&app, &list, period, &format!("{list}?{period}")).await;

    // The CSV: every meeting of the period, oldest first (as a sheet is kept).
    let csv = href_before(&p2, ">CSVで保存<").expect("CSV link");
    assert_eq!(csv, format!("/wards/{w}/meetings.csv?{period}"));
    let mut oldest = in_period.clone();
    oldest.reverse();
    assert_eq!(csv_column(&app, &csv, "会議名").await, oldest);
    assert_eq!(
        csv_column(&app, &format!("/wards/{w}/meetings.csv"), "会議名")
            .await
            .len(),
        120
    );
    app.stop().await;
}

#[tokio::test]
async fn the_member_list_pages_with_former_members_last_and_exports_the_active_ones() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("大阪市", &["北区"]).await[0];
    for i in 1..=110 {
        let id = app.member(w, &format!("委員{i:03}")).await;
        if i % 10 == 0 {
            let r = app
                .patch(&format!("/api/members/{id}"), json!({ "active": false }))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    }
    // Active members first, then former ones, each by id.
    let active = titles("委員", (1..=110).filter(|i| i % 10 != 0));
    let former = titles("委員", (1..=110).filter(|i| i % 10 == 0));
    let roster: Vec<String> = active.iter().chain(&former).cloned().collect();
    let list = format!("/wards/{w}/members");

    let first = ok_page(&app, &list).await;
    assert_eq!(row_titles(&first), roster[..50]);
    assert!(
        first.contains("委員の一覧（全110名、1/3ページ）"),
        "{first}"
    );
    let middle = ok_page(&app, &format!("{list}?page=2")).await;
    assert_eq!(row_titles(&middle), roster[50..100]);
    let last = ok_page(&app, &format!("{list}?page=3")).await;
    assert_eq!(row_titles(&last), roster[100..]);
    assert!(last.contains("全110件中 101〜110件を表示"));
    assert!(last.contains("退任"));

    let p2 = ok_page(&app, &format!("{list}?active_only=1&page=2")).await;
    assert_eq!(row_titles(&p2), active[50..]);
    assert!(p2.contains("委員の一覧（全99名、2/2ページ）"));
    assert!(p2.contains(r#"name="active_only" value="1" checked"#));
    assert_eq!(
        href_before(&p2, r#"rel="prev""#).as_deref(),
        Some(format!("{list}?active_only=1").as_str())
    );
    assert!(!p2.contains(r#"<span class="badge inactive">"#));

    let past = ok_page(&app, &format!("{list}?active_only=1&page=3")).await;
    assert!(row_titles(&past).is_empty());
    assert_eq!(
        href_before(&past, ">最後のページ（2ページ目）へ<").as_deref(),
        Some(format!("{list}?active_only=1&page=2").as_str())
    );
    assert_malformed_pages(
        &app,
        &list,
        "active_only=1",
        &format!("{list}?active_only=1"),
    )
    .await;

    let csv = href_before(&p2, ">CSVで保存<").expect("CSV link");
    assert_eq!(csv, format!("/wards/{w}/members.csv?active_only=1"));
    assert_eq!(csv_column(&app, &csv, "氏名").await, active);
    assert_eq!(
        csv_column(&app, &format!("/wards/{w}/members.csv"), "氏名").await,
        roster
    );
    app.stop().await;
}

/// The `/countermeasures/{id}` links of the table whose section has `id`
/// (the progress page's `rounds` or `stuck`), in order.
fn section_ids(html: &str, id: &str) -> Vec<i64> {
    let Some(start) = html.find(&format!(r#"id="{id}""#)) else {
        return Vec::new();
    };
    let table = &html[start..start + html[start..].find("</table>").expect("table end")];
    table
        .split(r#"href="/countermeasures/"#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

/// The pager whose accessible name is `label`, its links in order.
fn pager_of(html: &str, label: &str) -> Vec<String> {
    let start = html
        .find(&format!(r#"<nav class="pager" aria-label="{label}">"#))
        .unwrap_or_else(|| panic!("a pager {label}"));
    pager_hrefs(&html[start..])
}

/// PDCAの進み具合's two lists on one ward page, over a seeded ward with
/// hundreds of rounds and 停滞 countermeasures: each pages 50 rows by its
/// own parameter, keeping the period and the other list's page in its
/// links; the totals are the figures' own counts (the API's).
#[tokio::test]
async fn the_progress_pages_two_lists_each_by_its_own_page_parameter() {
    use renkei::seed::{self, AreaKind, Scale};
    let app = TestApp::spawn().await;
    let scale = Scale {
        municipalities: vec![(
            "試験市".into(),
            vec!["中区".into()],
            AreaKind::DesignatedCityWard,
        )],
        meetings_per_year: 40,
        years: 5,
        countermeasures: 1_200,
        members: 30,
    };
    seed::load(
        &app.db,
        &scale,
        3,
        crate::support::today(),
        crate::support::NOW.parse().unwrap(),
        &mut |_| {},
    )
    .await
    .expect("seed");
    let w = 1;
    let api = app
        .get(&format!("/api/wards/{w}/progress?period=2025"))
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    let rounds_total = api.body["figures"]["rounds"]["due"].as_i64().unwrap();
    let stuck_total = api.body["figures"]["stuck"].as_i64().unwrap();
    assert!(rounds_total > 100 && stuck_total > 100, "{}", api.text);
    let last_of = |total: i64| (total + 49) / 50;
    let (rounds_last, stuck_last) = (last_of(rounds_total), last_of(stuck_total));
    let path = format!("/wards/{w}/progress");

    // The first page of both.
    let first = ok_page(&app, &format!("{path}?period=2025")).await;
    assert!(
        first.contains(&format!(
            "評価予定日が期間内にある評価の周期（{rounds_total}件）"
        )),
        "{first}"
    );
    assert!(first.contains(&format!("停滞している対応策（{stuck_total}件）")));
    assert!(first.contains(&format!("全{rounds_total}件中 1〜50件を表示")));
    assert!(first.contains(&format!("全{stuck_total}件中 1〜50件を表示")));
    assert_eq!(section_ids(&first, "rounds").len(), 50);
    assert_eq!(section_ids(&first, "stuck").len(), 50);
    let rounds_nav = pager_of(&first, "評価の周期のページ送り");
    assert_eq!(rounds_nav[0], format!("{path}?period=2025#rounds"));
    assert_eq!(
        rounds_nav.last().unwrap(),
        &format!("{path}?period=2025&rounds_page=2#rounds"),
        "次へ"
    );
    assert!(!first.contains(r#"rel="prev""#));

    // Every page of the 停滞 list, while the rounds stay on their page 2:
    // each countermeasure once, all of them, the rounds' page kept.
    let mut stuck = Vec::new();
    for n in 1..=stuck_last {
        let page = ok_page(
            &app,
            &format!("{path}?period=2025&rounds_page=2&stuck_page={n}"),
        )
        .await;
        let ids = section_ids(&page, "stuck");
        let expected = if n < stuck_last {
            50
        } else {
            stuck_total - 50 * (stuck_last - 1)
        };
        assert_eq!(ids.len() as i64, expected, "停滞 page {n}");
        let from = 50 * (n - 1) + 1;
        assert!(page.contains(&format!(
            "全{stuck_total}件中 {from}〜{}件を表示",
            from + expected - 1
        )));
        // The rounds list is still on its page 2.
        assert!(page.contains(&format!("全{rounds_total}件中 51〜100件を表示")));
        let nav = pager_of(&page, "停滞している対応策のページ送り");
        assert!(
            nav.iter().all(
                |h| h.starts_with(&format!("{path}?period=2025&rounds_page=2"))
                    && h.ends_with("#stuck")
            ),
            "{nav:?}"
        );
        if n > 1 && n < stuck_last {
            // A middle page: 前へ and 次へ.
            assert_eq!(
                nav.first().unwrap(),
                &if n == 2 {
                    format!("{path}?period=2025&rounds_page=2#stuck")
                } else {
                    format!(
                        "{path}?period=2025&rounds_page=2&stuck_page={}#stuck",
                        n - 1
                    )
                }
            );
            assert_eq!(
                nav.last().unwrap(),
                &format!(
                    "{path}?period=2025&rounds_page=2&stuck_page={}#stuck",
                    n + 1
                )
            );
        }
        stuck.extend(ids);
    }
    let distinct: std::collections::BTreeSet<i64> = stuck.iter().copied().collect();
    assert_eq!(stuck.len() as i64, stuck_total);
    assert_eq!(distinct.len(), stuck.len());

    // The last page of the rounds: the rest, no 次へ.
    let last = ok_page(
        &app,
        &format!("{path}?period=2025&rounds_page={rounds_last}"),
    )
    .await;
    let rest = rounds_total - 50 * (rounds_last - 1);
    assert_eq!(section_ids(&last, "rounds").len() as i64, rest);
    let nav = pager_of(&last, "評価の周期のページ送り");
    assert!(
        !nav.last()
            .unwrap()
            .contains(&format!("rounds_page={}", rounds_last + 1))
    );
    assert!(last.contains(&format!(
        r#"<a href="{path}?period=2025&amp;rounds_page={rounds_last}#rounds" aria-current="page">{rounds_last}</a>"#
    )) || last.contains(&format!(
        r#"<a href="{path}?period=2025&#38;rounds_page={rounds_last}#rounds" aria-current="page">{rounds_last}</a>"#
    )), "{last}");

    // Past the end: no rows, a link to the last page.
    let past = ok_page(
        &app,
        &format!("{path}?period=2025&stuck_page={}", stuck_last + 5),
    )
    .await;
    assert!(section_ids(&past, "stuck").is_empty());
    assert!(past.contains(&format!(
        "このページ（{}ページ目）に表示する行はありません。全{stuck_total}件は{stuck_last}ページまでです。",
        stuck_last + 5
    )));
    assert_eq!(
        href_before(&past, &format!(">最後のページ（{stuck_last}ページ目）へ<")).as_deref(),
        Some(format!("{path}?period=2025&stuck_page={stuck_last}#stuck").as_str())
    );
    assert_eq!(section_ids(&past, "rounds").len(), 50);

    // A malformed page number, of either list: 400 in Japanese, with a link
    // to the first page keeping the rest of the query.
    for key in ["rounds_page", "stuck_page"] {
        for bad in ["0", "abc", "-1", "1.5", "99999999999999999999"] {
            let (status, body) = app.page(&format!("{path}?period=2025&{key}={bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{key}={bad}: {body}");
            assert!(body.contains("ページ番号は1以上の整数で指定してください"));
            assert_eq!(
                href_before(&body, ">最初のページへ<").as_deref(),
                Some(format!("{path}?period=2025").as_str())
            );
        }
    }
    app.stop().await;
}
