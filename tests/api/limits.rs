//! Bounded request bodies (64 KiB anonymous and public forms, 1 MiB forms
//! and JSON, 16 MiB CSV imports; 413 before buffering, also chunked) and a
//! request log that never holds a live reset token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{SmtpSink, TestApp, TestDatabase, assert_problem};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A sign-in form of exactly `len` bytes (padded with a field the form ignores).
fn login_form(email: &str, password: &str, len: usize) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("password", password)
        .finish();
    form.push_str("&pad=");
    let pad = len.checked_sub(form.len()).expect("room for the padding");
    form.push_str(&"x".repeat(pad));
    form
}

/// A response read off a raw connection.
struct RawResponse {
    status: u16,
    head: String,
    body: String,
}

/// Reads one response (status line, headers, `Content-Length` body) without
/// waiting for the connection to end: the server may still be reading.
async fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let read = async {
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
                    return RawResponse { status, head, body };
                }
            }
            let n = stream.read(&mut chunk).await.expect("read the response");
            assert!(n > 0, "connection closed before a full response: {buf:?}");
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("a response while the body is still open")
}

/// Opens a connection and sends a request head (a `Host` is added).
async fn send_head(app: &TestApp, head: &str) -> TcpStream {
    let addr = app.base_url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let head = format!("{head}\r\nHost: {addr}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Sends `total` bytes of `b'x'` as chunks of 8 KiB.
async fn send_chunks(stream: &mut TcpStream, total: usize) {
    let mut sent = 0;
    while sent < total {
        let n = (total - sent).min(8 * KIB);
        let mut frame = format!("{n:x}\r\n").into_bytes();
        frame.extend(std::iter::repeat_n(b'x', n));
        frame.extend_from_slice(b"\r\n");
        stream.write_all(&frame).await.unwrap();
        sent += n;
    }
}

#[tokio::test]
async fn an_anonymous_megabyte_sign_in_is_refused_with_413_and_a_japanese_page() {
    let app = TestApp::spawn().await;
    let r = anonymous()
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(login_form("a@example.jp", "x", MIB))
        .send()
        .await
        .expect("the 413 arrives although the client sends the whole body");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("上限 64 KiB"));
    // Anonymous anywhere: the same small limit, not the route's.
    let r = anonymous()
        .post(app.url("/api/wards/1/meetings/import"))
        .header("content-type", "text/csv")
        .body(vec![b'x'; 100 * KIB])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_content_length_is_answered_before_the_body_is_sent() {
    let app = TestApp::spawn().await;
    let mut stream = send_head(
        &app,
        &format!(
            "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}",
            MIB
        ),
    )
    .await;
    // Not one byte of the body is sent: the server must not wait for it.
    let r = read_response(&mut stream).await;
    assert_eq!(r.status, 413, "{}", r.head);
    assert!(r.head.to_ascii_lowercase().contains("connection: close"));
    assert!(r.body.contains("上限 64 KiB"));
    app.stop().await;
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_limit_without_waiting_for_its_end() {
    let app = TestApp::spawn().await;
    let mut stream = send_head(
        &app,
        "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked",
    )
    .await;
    stream.write_all(b"5\r\nemail\r\n").await.unwrap();
    send_chunks(&mut stream, 80 * KIB).await;
    // The body is still open: the answer comes from the bytes read so far,
    // so nothing past the limit was waited for or buffered.
    let r = read_response(&mut stream).await;
    assert_eq!(r.status, 413, "{}", r.head);
    assert!(r.body.contains("上限 64 KiB"));
    // The rest is still read (and thrown away): the client is not reset.
    send_chunks(&mut stream, MIB).await;
    stream.write_all(b"0\r\n\r\n").await.unwrap();

    // The same under /api, signed in: problem+json, 1 MiB.
    // The operator's token that `TestApp`'s client sends.
    let token = "Bearer rk_test_operator_token";
    let w = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let mut stream = send_head(
        &app,
        &format!(
            "POST /api/wards/{w}/meetings HTTP/1.1\r\nAuthorization: {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
        ),
    )
    .await;
    stream.write_all(b"1\r\n\"\r\n").await.unwrap();
    send_chunks(&mut stream, MIB + 8 * KIB).await;
    let r = read_response(&mut stream).await;
    assert_eq!(r.status, 413, "{}", r.head);
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json")
    );
    let problem: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["status"], 413);
    assert!(problem["detail"].as_str().unwrap().contains("上限 1 MiB"));
    assert_eq!(app.count("meetings").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_answer_that_leaves_the_body_unread_closes_the_connection_and_says_so() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let body = r#"{"name":"委員 一郎","organization_kind":"医師会"}"#;
    let post = |auth: &str| {
        format!(
            "POST /api/wards/{w}/members HTTP/1.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}",
            body.len()
        )
    };
    // No token: 401 before the body is read. The server reads no other
    // request on this connection, and the answer tells the client so.
    let mut stream = send_head(&app, &post("")).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let r = read_response(&mut stream).await;
    assert_eq!(r.status, 401, "{}", r.head);
    assert!(
        r.head.to_ascii_lowercase().contains("connection: close"),
        "{}",
        r.head
    );
    // A body that was read keeps the connection for the next request.
    let auth = "Authorization: Bearer rk_test_operator_token\r\n";
    let mut stream = send_head(&app, &post(auth)).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let r = read_response(&mut stream).await;
    assert_eq!(r.status, 201, "{}", r.head);
    assert!(!r.head.to_ascii_lowercase().contains("connection: close"));
    let addr = app.base_url.trim_start_matches("http://");
    let next = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(next.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut stream).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_two_megabyte_json_body_is_refused_with_problem_json() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let r = app
        .post(
            &format!("/api/wards/{w}/meetings"),
            json!({ "held_on": "2026-05-10", "title": "第1回", "kind": "推進会議",
                    "topics": [1], "minutes": "あ".repeat(700_000) }),
        )
        .await;
    assert_problem(&r, 413);
    assert_eq!(
        r.body["detail"],
        "送信された内容が大きすぎます（上限 1 MiB）"
    );
    assert_eq!(app.count("meetings").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_page_form_over_a_megabyte_is_refused_before_the_csrf_check() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("甲市", &["北区"]).await[0];
    app.city_account_with_password(w, "city@example.jp", "正しいパスワード12345")
        .await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = browser
        .post(app.url("/login"))
        .form(&[
            ("email", "city@example.jp"),
            ("password", "正しいパスワード12345"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = browser
        .post(app.url(&format!("/wards/{w}/edit")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={}", "x".repeat(2 * MIB)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("上限 1 MiB"));
    app.stop().await;
}

/// A meetings CSV of at least `len` bytes, every row valid, titles tagged.
fn meetings_csv(len: usize, tag: &str) -> String {
    let mut csv = String::from("開催日,会議名,種別,会議の内容,議事録\r\n");
    let minutes = "x".repeat(19_000);
    let mut n = 0;
    while csv.len() < len {
        n += 1;
        csv.push_str(&format!(
            "2026-04-30,{tag}第{n}回推進会議,推進会議,1,{minutes}\r\n"
        ));
    }
    csv
}

#[tokio::test]
async fn a_two_megabyte_csv_import_passes_the_limit() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("甲市", &["北区"]).await[0];
    let csv = meetings_csv(2 * MIB, "A");
    let rows = csv.lines().count() as i64 - 1;
    let r = app
        .post_bytes(&format!("/api/wards/{w}/meetings/import"), csv.into_bytes())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["imported"], rows);

    // As text/csv, and as the import page's upload.
    let r = app
        .client
        .post(app.url(&format!("/api/wards/{w}/meetings/import")))
        .header("content-type", "text/csv; charset=UTF-8")
        .body(meetings_csv(2 * MIB, "B"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let boundary = "----renkeiLimits";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmeetings\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"会議.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(meetings_csv(2 * MIB, "C").as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .client
        .post(app.url(&format!("/wards/{w}/import")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count("meetings").await, 3 * rows);

    // The CSV limit is a limit too.
    let r = app
        .post_bytes(
            &format!("/api/wards/{w}/meetings/import"),
            vec![b'x'; 16 * MIB + 1],
        )
        .await;
    assert_problem(&r, 413);
    assert!(r.body["detail"].as_str().unwrap().contains("上限 16 MiB"));
    app.stop().await;
}

#[tokio::test]
async fn bodies_up_to_the_limits_are_read_whole() {
    let app = TestApp::spawn().await;
    let w = app.municipality_with_wards("甲市", &["北区"]).await[0];
    app.city_account_with_password(w, "city@example.jp", "正しいパスワード12345")
        .await;
    // Exactly 64 KiB signs in; one byte more does not.
    let sign_in = |len: usize| {
        anonymous()
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(login_form("city@example.jp", "正しいパスワード12345", len))
            .send()
    };
    assert_eq!(
        sign_in(64 * KIB).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(64 * KIB + 1).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // The same without Content-Length.
    let mut stream = send_head(
        &app,
        "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked",
    )
    .await;
    let form = login_form("city@example.jp", "正しいパスワード12345", 64 * KIB);
    for part in form.as_bytes().chunks(5000) {
        stream
            .write_all(format!("{:x}\r\n", part.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(part).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let r = read_response(&mut stream).await;
    assert_eq!(r.status, 303, "{}", r.head);

    // JSON of exactly 1 MiB (padded with whitespace) is created.
    let mut body =
        json!({ "held_on": "2026-05-10", "title": "第1回", "kind": "推進会議", "topics": [1] })
            .to_string();
    body.push_str(&" ".repeat(MIB - body.len()));
    let r = app
        .client
        .post(app.url(&format!("/api/wards/{w}/meetings")))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// The request log of the real binary.

/// Runs `renkei serve --demo` with a mail server and the given log format;
/// calls `scenario` with the address; returns the process's whole log.
async fn served_log<F, Fut>(format: &str, sink: &SmtpSink, scenario: F) -> String
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let database = TestDatabase::create().await;
    let child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["serve", "--demo"])
        .env("DATABASE_URL", &database.url)
        .env("RENKEI_ADDR", "127.0.0.1:0")
        .env("RENKEI_BASE_URL", "https://renkei.example.jp")
        .env("RENKEI_SMTP_URL", sink.url())
        .env("RENKEI_LOG_FORMAT", format)
        .env("RENKEI_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start renkei");
    let mut child = KillOnDrop(child);
    let log_stream = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(log_stream).lines().map_while(Result::ok) {
            if line.contains("serving") {
                let addr = match serde_json::from_str::<serde_json::Value>(&line) {
                    Ok(v) => v["fields"]["addr"].as_str().unwrap_or("").to_string(),
                    Err(_) => line
                        .split("addr=")
                        .nth(1)
                        .and_then(|a| a.split_whitespace().next())
                        .unwrap_or("")
                        .to_string(),
                };
                let _ = tx.send(addr);
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("server announced its address");
    scenario(addr).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.0.wait().unwrap().success());
    reader.join().unwrap()
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Requests a reset link and uses it in every way that logs its path (the
/// page, variants no route matches, a refused cross-site post, an oversized
/// post, a wrong form) before setting the password with it, so the token
/// was live for all of them. Returns the token.
async fn use_a_reset_link(addr: &str, sink: &SmtpSink) -> String {
    let base = format!("http://{addr}");
    let client = anonymous();
    let r = client
        .post(format!("{base}/password-reset"))
        .form(&[("email", "viewer.kita@demo.example.jp")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = sink.to("viewer.kita@demo.example.jp");
    assert_eq!(mails.len(), 1, "the reset mail was sent before the answer");
    let text = mails[0].text();
    let prefix = "https://renkei.example.jp/password-reset/";
    let at = text.find(prefix).expect("a reset link") + prefix.len();
    let token: String = text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{text}");
    let link = format!("{base}/password-reset/{token}");
    let encoded: String = token.bytes().map(|b| format!("%{b:02x}")).collect();

    let get = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(get(link.clone()).await, StatusCode::OK);
    assert_eq!(
        get(format!("{base}/password-reset/{encoded}")).await,
        StatusCode::OK,
        "the router decodes the token"
    );
    assert_eq!(get(format!("{link}/")).await, StatusCode::NOT_FOUND);
    assert_eq!(get(format!("{link}%E3%80%82")).await, StatusCode::NOT_FOUND);
    get(format!("{base}//password-reset/{token}")).await;
    let post = |body: String, extra: Option<(&'static str, &'static str)>| {
        let mut b = client
            .post(link.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some((k, v)) = extra {
            b = b.header(k, v);
        }
        b.send()
    };
    let r = post(
        "new=a&confirm=b".into(),
        Some(("sec-fetch-site", "cross-site")),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(format!("new={}", "x".repeat(100 * KIB)), None)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = post("new=a&confirm=b".into(), None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        "new=log-reader-cannot-1&confirm=log-reader-cannot-1".into(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the token was live");
    token
}

fn assert_no_token(log: &str, token: &str) {
    let encoded: String = token.bytes().map(|b| format!("%{b:02x}")).collect();
    for line in log.lines() {
        assert!(
            !line.contains(&token[..24]) && !line.to_lowercase().contains(&encoded[..48]),
            "a token in the log: {line}"
        );
    }
}

#[tokio::test]
async fn no_log_line_holds_a_reset_token() {
    let sink = SmtpSink::start();
    let token = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log = served_log("text", &sink, |addr| {
        let token = token.clone();
        let sink = &sink;
        async move {
            *token.lock().unwrap() = use_a_reset_link(&addr, sink).await;
        }
    })
    .await;
    let token = token.lock().unwrap().clone();
    assert_no_token(&log, &token);
    // Written to a pipe, not a terminal: no colour codes.
    assert!(!log.contains('\u{1b}'), "ANSI escapes in a log file");
    let requests: Vec<&str> = log.lines().filter(|l| l.contains(" request ")).collect();
    for logged in [
        "method=GET path=/password-reset/[redacted] status=200",
        "method=GET path=/password-reset/[redacted]/ status=404",
        "method=GET path=//password-reset/[redacted] status=",
        "method=POST path=/password-reset/[redacted] status=403",
        "method=POST path=/password-reset/[redacted] status=413",
        "method=POST path=/password-reset/[redacted] status=422",
        "method=POST path=/password-reset/[redacted] status=303",
        "method=POST path=/password-reset status=303",
    ] {
        assert!(
            requests.iter().any(|l| l.contains(logged)),
            "no line with {logged}:\n{}",
            requests.join("\n")
        );
    }
}

#[tokio::test]
async fn no_json_log_line_holds_a_reset_token() {
    let sink = SmtpSink::start();
    let token = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log = served_log("json", &sink, |addr| {
        let token = token.clone();
        let sink = &sink;
        async move {
            *token.lock().unwrap() = use_a_reset_link(&addr, sink).await;
        }
    })
    .await;
    let token = token.lock().unwrap().clone();
    assert_no_token(&log, &token);
    let paths: Vec<(String, i64)> = log
        .lines()
        // `--demo` prints its accounts for the person who started it.
        .filter(|l| !l.starts_with("demo account: "))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every log line is JSON"))
        .filter(|v| v["fields"]["message"] == "request")
        .map(|v| {
            (
                v["fields"]["path"].as_str().unwrap().to_string(),
                v["fields"]["status"].as_i64().unwrap(),
            )
        })
        .collect();
    for logged in [
        ("/password-reset/[redacted]", 200),
        ("/password-reset/[redacted]/", 404),
        ("/password-reset/[redacted]", 413),
        ("/password-reset/[redacted]", 303),
    ] {
        assert!(
            paths.iter().any(|(p, s)| p == logged.0 && *s == logged.1),
            "no line for {logged:?}: {paths:?}"
        );
    }
}
