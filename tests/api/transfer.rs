//! CSV export and import of a ward's records: round trips in both
//! encodings, characters Shift_JIS cannot carry, all-or-nothing imports.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_problem, error_fields};

/// The members of a ward that the files name (the importing ward needs
/// the same names); returns their ids.
async fn roster(app: &TestApp, ward: i64) -> Vec<i64> {
    vec![
        app.member(ward, "委員 一郎").await,
        app.member(ward, "委員 二子").await,
        app.member(ward, "委員 三郎").await,
    ]
}

/// A ward with members, two meetings (with attendees) and countermeasures
/// on each stage, one decided at the first meeting and one archived.
async fn ward_with_records(app: &TestApp, ward: i64, title: &str) -> i64 {
    let members = roster(app, ward).await;
    let owner = members[0];
    let r = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-05-10", "title": title, "kind": "推進会議",
                    "topics": [7, 3], "attendee_ids": [members[2], members[0]],
                    "minutes": "4月〜9月の取組を確認。\n\"引用\", カンマ" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first = r.body["id"].as_i64().unwrap();
    app.meeting(ward, "2026-10-01", &[1]).await;
    let open = app.countermeasure(ward, 2, "課題の整理").await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{open}"),
            json!({ "meeting_id": first, "scenes": ["看取り", "入退院支援"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let closed = app.countermeasure(ward, 5, "終了した対応策").await;
    let r = app
        .patch(
            &format!("/api/countermeasures/{closed}"),
            json!({ "archived": true, "note": "目的を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.planned_countermeasure(ward, 3, owner, "2027-03-31")
        .await;
    let done = app
        .planned_countermeasure(ward, 8, owner, "2026-11-01")
        .await;
    let r = app
        .transition(
            done,
            json!({ "to": "評価改善", "on": "2026-11-20", "evaluation": "参加者が増えた", "improvement": "回数を増やす", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

async fn export(app: &TestApp, ward: i64, what: &str, sjis: bool) -> Vec<u8> {
    let q = if sjis { "?encoding=sjis" } else { "" };
    let (status, headers, body) = app.download(&format!("/wards/{ward}/{what}.csv{q}")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let ct = headers["content-type"].to_str().unwrap();
    assert_eq!(
        ct,
        if sjis {
            "text/csv; charset=Shift_JIS"
        } else {
            "text/csv; charset=UTF-8"
        }
    );
    body
}

#[tokio::test]
async fn utf8_export_imports_back_to_the_same_data_even_outside_jis() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    ward_with_records(&app, wards[0], "𠮷田先生を囲む推進会議😀").await;
    // The same names in the importing ward, under other ids.
    let copy_roster = roster(&app, wards[1]).await;

    for what in ["meetings", "countermeasures"] {
        let file = export(&app, wards[0], what, false).await;
        assert!(file.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(file[3..].to_vec()).unwrap();
        if what == "meetings" {
            assert!(text.starts_with("開催日,会議名,種別,会議の内容,議事録,出席者\r\n"));
            assert!(text.contains(",委員 一郎;委員 三郎\r\n"), "{text}");
        } else {
            assert!(
                text.contains(",段階の日付,決定した会議,状態,達成度,達成度の理由\r\n"),
                "{text}"
            );
            // Several scenes in one cell, `;`-separated, in the municipality's order.
            assert!(
                text.contains("\r\n2,入退院支援;看取り,課題の整理,"),
                "{text}"
            );
            assert!(
                text.contains(",2026-05-10 𠮷田先生を囲む推進会議😀,対応中,,\r\n"),
                "{text}"
            );
            assert!(
                text.contains("終了した対応策,,,,,未具体化,,,,,終了,,\r\n"),
                "{text}"
            );
            assert!(
                text.contains(",対応中,B 一部達成,目標の一部を達成\r\n"),
                "{text}"
            );
        }
        let r = app
            .post_bytes(
                &format!("/api/wards/{}/{what}/import", wards[1]),
                file.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["imported"], if what == "meetings" { 2 } else { 4 });
        let again = export(&app, wards[1], what, false).await;
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(file).unwrap()
        );
    }
    // The imported countermeasures climbed the ladder with their history.
    let list = app
        .get(&format!("/api/wards/{}/countermeasures", wards[1]))
        .await;
    let stages: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["stage"].as_str().unwrap())
        .collect();
    assert!(
        stages.contains(&"評価改善") && stages.contains(&"具体化") && stages.contains(&"未具体化")
    );
    // The references point at the importing ward's own rows.
    let meetings = app.get(&format!("/api/wards/{}/meetings", wards[1])).await;
    let first = &meetings.body["items"][1];
    assert_eq!(first["held_on"], "2026-05-10");
    assert_eq!(
        first["attendee_ids"],
        json!([copy_roster[0], copy_roster[2]])
    );
    let decided: Vec<i64> = sqlx::query_scalar(
        "SELECT meeting_id FROM countermeasures WHERE ward_id = $1 AND meeting_id IS NOT NULL",
    )
    .bind(wards[1])
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(decided, vec![first["id"].as_i64().unwrap()]);
    let archived: Vec<String> =
        sqlx::query_scalar("SELECT title FROM countermeasures WHERE ward_id = $1 AND archived = 1")
            .bind(wards[1])
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(archived, vec!["終了した対応策".to_string()]);
    let imported_events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE ward_id = $1 AND entity = 'countermeasure'",
    )
    .bind(wards[1])
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        imported_events,
        4 + 1 + 2 + 1,
        "create + each step + archive"
    );
    app.stop().await;
}

#[tokio::test]
async fn shift_jis_names_what_it_cannot_carry_and_round_trips_the_rest() {
    let app = TestApp::spawn().await;
    let wards = app
        .municipality_with_wards("大阪市", &["北区", "都島区"])
        .await;
    ward_with_records(&app, wards[0], "𠮷田先生を囲む推進会議").await;
    roster(&app, wards[1]).await;

    // 𠮷 is outside JIS X 0208: a clear error naming the row and column.
    let (status, _, body) = app
        .download(&format!("/wards/{}/meetings.csv?encoding=sjis", wards[0]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("2行目「会議名」"), "{page}");
    assert!(
        page.contains("「𠮷」は Shift_JIS で表せない文字です"),
        "{page}"
    );
    // No look-alike would do: no link offering one.
    assert!(!page.contains("sjis-lookalike"), "{page}");

    // With the character replaced, the Shift_JIS file imports back as is
    // (encoding detected), except 〜 which Shift_JIS writes as ～.
    let meetings = app.get(&format!("/api/wards/{}/meetings", wards[0])).await;
    let id = meetings.body["items"][1]["id"].as_i64().unwrap();
    let r = app
        .patch(
            &format!("/api/meetings/{id}"),
            json!({ "title": "吉田先生を囲む推進会議" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for what in ["meetings", "countermeasures"] {
        let file = export(&app, wards[0], what, true).await;
        assert!(std::str::from_utf8(&file).is_err(), "Shift_JIS, not UTF-8");
        let r = app
            .post_bytes(
                &format!("/api/wards/{}/{what}/import", wards[1]),
                file.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let again = export(&app, wards[1], what, true).await;
        assert_eq!(again, file);
    }
    let copied = app.get(&format!("/api/wards/{}/meetings", wards[1])).await;
    let m = &copied.body["items"][1];
    assert_eq!(m["title"], "吉田先生を囲む推進会議");
    assert_eq!(m["topics"], json!([3, 7]));
    assert_eq!(m["minutes"], "4月～9月の取組を確認。\n\"引用\", カンマ");

    // The encoding may also be chosen.
    let file = export(&app, wards[0], "meetings", true).await;
    let wrong = app
        .post_bytes(
            &format!("/api/wards/{}/meetings/import?encoding=utf-8", wards[1]),
            file,
        )
        .await;
    assert_problem(&wrong, 422);
    app.stop().await;
}

#[tokio::test]
async fn a_file_with_any_bad_row_imports_nothing_and_lists_every_error() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    app.member(wards[0], "委員 一郎").await;
    let before = app.counts().await;

    let meetings = "開催日,会議名,種別,会議の内容,議事録\r\n\
        2026-04-10,第1回推進会議,推進会議,1;2,\r\n\
        2026-13-01,第2回推進会議,推進会議,3,\r\n\
        2026/6/1,,懇親会,11,\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{}/meetings/import", wards[0]),
            meetings.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(
        error_fields(&r),
        ["3行目「開催日」", "4行目「種別」"],
        "{}",
        r.text
    );
    let wrong_kind = &r.body["errors"][1]["message"];
    assert!(
        wrong_kind
            .as_str()
            .unwrap()
            .contains("「懇親会」は選べません")
    );

    // Row 4 with a valid kind shows the domain's own checks per column.
    let meetings = "開催日,会議名,種別,会議の内容,議事録\r\n\
        2026-04-10,第1回推進会議,推進会議,1;2,\r\n\
        2026/6/1,,研修会,11,\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{}/meetings/import", wards[0]),
            meetings.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(
        error_fields(&r),
        ["3行目「会議名」", "3行目「会議の内容」"],
        "{}",
        r.text
    );

    let cms = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階,評価,改善,段階の日付\r\n\
        3,入退院支援,退院調整ルール,,,委員 一郎,2027-03-31,具体化,,,\r\n\
        4,,急変時の連絡票,,,委員 二郎,2027-03-31,具体化,,,\r\n\
        5,,研修,,,委員 一郎,2026-10-01,評価改善,,,\r\n\
        12,宇宙,,,,,,完了,,,\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{}/countermeasures/import", wards[0]),
            cms.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    let fields = error_fields(&r);
    for f in [
        "3行目「担当委員」",
        "4行目「評価」",
        "4行目「改善」",
        "5行目「場面」",
        "5行目「段階」",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    assert!(!fields.iter().any(|f| f.starts_with("2行目")), "{fields:?}");
    assert_eq!(app.counts().await, before, "nothing imported");

    // Attendees, the deciding meeting and 状態 name rows of this ward.
    let meetings = "開催日,会議名,種別,会議の内容,議事録,出席者\r\n\
        2026-04-10,第1回推進会議,推進会議,1,,委員 一郎;委員 九郎\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{}/meetings/import", wards[0]),
            meetings.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(error_fields(&r), ["2行目「出席者」"], "{}", r.text);
    assert!(
        r.text
            .contains("「委員 九郎」はこの区の委員に登録されていません")
    );
    let cms = "会議の内容（番号）,場面,対応策,課題,計画,担当委員,評価予定日,段階,評価,改善,段階の日付,決定した会議,状態\r\n\
        3,,退院調整ルール,,,,,未具体化,,,,2026-04-10 第1回推進会議,対応中\r\n\
        4,,急変時の連絡票,,,,,未具体化,,,,,完了\r\n";
    let r = app
        .post_bytes(
            &format!("/api/wards/{}/countermeasures/import", wards[0]),
            cms.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(
        error_fields(&r),
        ["2行目「決定した会議」", "3行目「状態」"],
        "{}",
        r.text
    );
    assert_eq!(app.counts().await, before, "nothing imported");

    // The header must match the export's.
    let r = app
        .post_bytes(
            &format!("/api/wards/{}/meetings/import", wards[0]),
            "日付,名前\r\n1,2\r\n".as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422);
    assert!(error_fields(&r).contains(&"1行目「開催日」".to_string()));
    assert_problem(
        &app.post_bytes("/api/wards/999/meetings/import", vec![])
            .await,
        404,
    );
    app.stop().await;
}

/// A multipart/form-data body as a browser sends the import form.
fn multipart(kind: &str, encoding: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----renkeiTestBoundary";
    let mut body = Vec::new();
    for (name, value) in [("kind", kind), ("encoding", encoding)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"会議.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_import_page_takes_an_excel_file_and_shows_row_errors() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    let w = wards[0];
    let (status, html) = app.page(&format!("/wards/{w}/import")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<label for="file">CSVファイル</label>"#));

    let bad = "開催日,会議名,種別,会議の内容,議事録\r\n2026-04-31,第1回,推進会議,1,\r\n";
    let (ct, body) = multipart("meetings", "", bad.as_bytes());
    let r = app
        .client
        .post(app.url(&format!("/wards/{w}/import")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("「2026-04-31」という日はありません"),
        "{html}"
    );
    assert_eq!(app.count("meetings").await, 0);

    let good = "開催日,会議名,種別,会議の内容,議事録\r\n2026-04-30,第1回推進会議,推進会議,1;2,\r\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(good);
    let (ct, body) = multipart("meetings", "sjis", &bytes);
    let r = app
        .client
        .post(app.url(&format!("/wards/{w}/import")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("1件を取り込みました。"));
    let list = app.get(&format!("/api/wards/{w}/meetings")).await;
    assert_eq!(list.body["items"][0]["title"], "第1回推進会議");
    assert_eq!(list.body["items"][0]["topics"], json!([1, 2]));
    app.stop().await;
}

#[tokio::test]
async fn members_export_in_both_encodings() {
    let app = TestApp::spawn().await;
    let wards = app.municipality_with_wards("大阪市", &["北区"]).await;
    app.member(wards[0], "髙橋 〜花子").await;
    let utf8 = export(&app, wards[0], "members", false).await;
    let text = String::from_utf8(utf8[3..].to_vec()).unwrap();
    assert_eq!(
        text,
        "氏名,所属,所属区分,メールアドレス,状態\r\n髙橋 〜花子,テスト医師会,医師会,test@example.jp,有効\r\n"
    );
    let sjis = export(&app, wards[0], "members", true).await;
    let (back, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert!(back.contains("髙橋 ～花子"), "〜 written as ～: {back}");
    app.stop().await;
}
