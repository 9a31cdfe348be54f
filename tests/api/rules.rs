//! The access rules as a client meets them (issue 13): every spelling of an
//! id in a path decides like the canonical path or answers 404; a missing
//! id and one outside the actor's scope get the same bytes back; ids inside
//! bodies answer like missing ones; the role rules of the README's table
//! (only the city reopens a survey or renames a ward, a member records only
//! the step to 評価改善 on what it owns); and the faces never use the
//! operator's scopes.
//!
//! Requests go over a raw connection (see [`send`]): `url` and reqwest
//! normalise dot segments and some escapes, and these tests are about what
//! the server does with the bytes a client actually sends.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{NOW, TestApp, create_account_token};
use renkei::accounts::Role;

// ---------------------------------------------------------------------------
// A raw HTTP/1.1 client.

/// What a request carries.
#[derive(Debug, Clone)]
enum Payload {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
}

fn form(pairs: &[(&str, &str)]) -> Payload {
    Payload::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A response as it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Raw {
    status: u16,
    content_type: String,
    location: String,
    body: String,
}

impl Raw {
    fn is_success_or_redirect(&self) -> bool {
        (200..400).contains(&self.status)
    }
}

/// Undoes `Transfer-Encoding: chunked`.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let line = std::str::from_utf8(&data[..end]).expect("an ASCII chunk size");
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .expect("a hexadecimal chunk size");
        data = &data[end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Sends `method target` exactly as written (no normalisation of any
/// kind), with a bearer token when given, and reads the whole response.
async fn send(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    target: &str,
    payload: &Payload,
) -> Raw {
    let addr = app.base_url.trim_start_matches("http://").to_string();
    let (content_type, body): (Option<&str>, Vec<u8>) = match payload {
        Payload::Empty => (None, Vec::new()),
        Payload::Json(v) => (Some("application/json"), v.to_string().into_bytes()),
        Payload::Form(pairs) => {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                s.append_pair(k, v);
            }
            (
                Some("application/x-www-form-urlencoded"),
                s.finish().into_bytes(),
            )
        }
    };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("send head");
        stream.write_all(&body).await.expect("send body");
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.expect("read response");
        buf
    };
    let buf = tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .unwrap_or_else(|_| panic!("no answer to {method} {target}"));
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {target}: no response head in {buf:?}"));
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let rest = &buf[end + 4..];
    let body = if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Raw {
        status: head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{method} {target}: bad status line {head:?}")),
        content_type: header("content-type"),
        location: header("location"),
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

// ---------------------------------------------------------------------------
// The world: municipality A (甲市: 北区 A1, 南区 A2) and B (乙市: 東区 B1),
// each ward with a member, a meeting and a countermeasure of its own.

/// One ward's records.
#[derive(Debug, Clone, Copy)]
struct Place {
    ward: i64,
    member: i64,
    meeting: i64,
    countermeasure: i64,
}

struct World {
    app: TestApp,
    a: i64,
    b: i64,
    a1: Place,
    a2: Place,
    b1: Place,
    /// `city` of A.
    city_a: String,
    /// City-level `viewer` of A.
    viewer_a: String,
    /// `secretariat` of A1.
    secretariat_a1: String,
    /// `city` of B.
    city_b: String,
}

/// What belongs to A1 and no one outside it may ever see.
const A1_MARKERS: [&str; 6] = [
    "甲市",
    "北区",
    "甲北委員",
    "kouhoku@example.jp",
    "甲北の推進会議",
    "甲北の対応策",
];
/// What belongs to A2.
const A2_MARKERS: [&str; 4] = ["南区", "甲南委員", "甲南の推進会議", "甲南の対応策"];

/// An id no record has.
const MISSING: i64 = 987_654;

/// The password of the accounts that sign in through `/login`.
const PASSWORD: &str = "正しいパスワード12345";

async fn place(app: &TestApp, ward: i64, tag: &str, email: &str) -> Place {
    let member = app
        .post(
            &format!("/api/wards/{ward}/members"),
            json!({ "name": format!("{tag}委員"), "organization": "テスト医師会",
                    "organization_kind": "医師会", "email": email }),
        )
        .await;
    assert_eq!(member.status, StatusCode::CREATED, "{}", member.text);
    let meeting = app
        .post(
            &format!("/api/wards/{ward}/meetings"),
            json!({ "held_on": "2026-10-01", "title": format!("{tag}の推進会議"),
                    "kind": "推進会議", "topics": [1] }),
        )
        .await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.text);
    let countermeasure = app
        .post(
            &format!("/api/wards/{ward}/countermeasures"),
            json!({ "topic": 1, "title": format!("{tag}の対応策") }),
        )
        .await;
    assert_eq!(
        countermeasure.status,
        StatusCode::CREATED,
        "{}",
        countermeasure.text
    );
    let id = |r: &crate::support::Resp| r.body["id"].as_i64().expect("an id");
    Place {
        ward,
        member: id(&member),
        meeting: id(&meeting),
        countermeasure: id(&countermeasure),
    }
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let a_wards = app.municipality_with_wards("甲市", &["北区", "南区"]).await;
    let b_wards = app.municipality_with_wards("乙市", &["東区"]).await;
    let municipality = |r: crate::support::Resp| r.body["municipality_id"].as_i64().unwrap();
    let a = municipality(app.get(&format!("/api/wards/{}", a_wards[0])).await);
    let b = municipality(app.get(&format!("/api/wards/{}", b_wards[0])).await);
    let a1 = place(&app, a_wards[0], "甲北", "kouhoku@example.jp").await;
    let a2 = place(&app, a_wards[1], "甲南", "kounan@example.jp").await;
    let b1 = place(&app, b_wards[0], "乙東", "otsuhigashi@example.jp").await;
    let token = |email: &'static str, role, m, w| {
        let db = app.db.clone();
        async move { create_account_token(&db, email, role, Some(m), w, NOW.parse().unwrap()).await }
    };
    World {
        city_a: token("city@a.example.jp", Role::City, a, None).await,
        viewer_a: token("viewer@a.example.jp", Role::Viewer, a, None).await,
        secretariat_a1: token("jimu@a.example.jp", Role::Secretariat, a, Some(a1.ward)).await,
        city_b: token("city@b.example.jp", Role::City, b, None).await,
        a,
        b,
        a1,
        a2,
        b1,
        app,
    }
}

// ---------------------------------------------------------------------------
// Routes and the spellings of an id.

/// A route with the id's segment written `{}`; the payload, for a write,
/// is one a permitted actor gets a 2xx/303 for (unchanged data where it
/// can, so the route can be sent many times).
#[derive(Debug, Clone)]
struct Route {
    method: &'static str,
    template: String,
    payload: Payload,
    /// For a JSON write: the answer is a new record (its `id` differs
    /// each time; the rest is the same).
    creates: bool,
}

impl Route {
    fn at(&self, segment: &str) -> String {
        self.template.replacen("{}", segment, 1)
    }

    fn is_write(&self) -> bool {
        self.method != "GET"
    }

    /// What must be the same for two answers to be "the same answer": all
    /// of it for reads; for writes what names the record written (the
    /// JSON without a new record's `id`, a form's redirect).
    fn signature(&self, r: &Raw) -> String {
        if !self.is_write() || !(200..400).contains(&r.status) {
            return format!("{} {} {}", r.status, r.content_type, r.body);
        }
        if r.content_type.starts_with("application/json") {
            let mut v: Value = serde_json::from_str(&r.body).expect("a JSON answer");
            if self.creates
                && let Some(o) = v.as_object_mut()
            {
                o.remove("id");
            }
            return format!("{} {v}", r.status);
        }
        format!("{} {}", r.status, r.location)
    }
}

fn get(template: String) -> Route {
    Route {
        method: "GET",
        template,
        payload: Payload::Empty,
        creates: false,
    }
}

fn write(method: &'static str, template: String, payload: Payload) -> Route {
    Route {
        method,
        template,
        payload,
        creates: false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ward,
    Member,
    Meeting,
    Countermeasure,
    Municipality,
}

const KINDS: [Kind; 5] = [
    Kind::Ward,
    Kind::Member,
    Kind::Meeting,
    Kind::Countermeasure,
    Kind::Municipality,
];

impl Kind {
    fn of(self, w: &World, p: Place, municipality: i64) -> i64 {
        match self {
            Kind::Ward => p.ward,
            Kind::Member => p.member,
            Kind::Meeting => p.meeting,
            Kind::Countermeasure => p.countermeasure,
            Kind::Municipality => {
                let _ = w;
                municipality
            }
        }
    }

    /// A read and a write of the API and of the pages on one record of
    /// this kind of A1 (the payloads repeat what the record already holds).
    fn routes(self) -> Vec<Route> {
        let s = |t: &str| t.to_string();
        match self {
            Kind::Ward => vec![
                get(s("/api/wards/{}")),
                Route {
                    creates: true,
                    ..write(
                        "POST",
                        s("/api/wards/{}/meetings"),
                        Payload::Json(
                            json!({ "held_on": "2026-11-20", "title": "経路の確認", "kind": "その他" }),
                        ),
                    )
                },
                get(s("/wards/{}")),
                write(
                    "POST",
                    s("/wards/{}/edit"),
                    form(&[("sort_order", "1"), ("secretariat_email", "")]),
                ),
            ],
            Kind::Member => vec![
                get(s("/api/members/{}")),
                write(
                    "PATCH",
                    s("/api/members/{}"),
                    Payload::Json(json!({ "organization": "テスト医師会" })),
                ),
                get(s("/members/{}/edit")),
                write(
                    "POST",
                    s("/members/{}/edit"),
                    form(&[
                        ("name", "甲北委員"),
                        ("organization", "テスト医師会"),
                        ("organization_kind", "医師会"),
                        ("email", "kouhoku@example.jp"),
                        ("active", "1"),
                    ]),
                ),
            ],
            Kind::Meeting => vec![
                get(s("/api/meetings/{}")),
                write(
                    "PATCH",
                    s("/api/meetings/{}"),
                    Payload::Json(json!({ "title": "甲北の推進会議" })),
                ),
                get(s("/meetings/{}")),
                write(
                    "POST",
                    s("/meetings/{}/edit"),
                    form(&[
                        ("held_on", "2026-10-01"),
                        ("title", "甲北の推進会議"),
                        ("kind", "推進会議"),
                        ("topics", "1"),
                    ]),
                ),
            ],
            Kind::Countermeasure => vec![
                get(s("/api/countermeasures/{}")),
                write(
                    "PATCH",
                    s("/api/countermeasures/{}"),
                    Payload::Json(json!({ "title": "甲北の対応策" })),
                ),
                get(s("/countermeasures/{}")),
                write(
                    "POST",
                    s("/countermeasures/{}/edit"),
                    form(&[("topic", "1"), ("title", "甲北の対応策")]),
                ),
            ],
            Kind::Municipality => vec![
                get(s("/api/municipalities/{}/reminder-settings")),
                write(
                    "PUT",
                    s("/api/municipalities/{}/reminder-settings"),
                    Payload::Json(json!({ "days_before_due": 5 })),
                ),
                get(s("/city/{}")),
                write(
                    "POST",
                    s("/city/{}/reminders"),
                    form(&[("days_before_due", "5")]),
                ),
            ],
        }
    }
}

/// `s` with the first letter of each path segment upper-cased.
fn capitalised(s: &str) -> String {
    s.split('/')
        .map(|seg| {
            let mut c = seg.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The spellings of id `id` in `route` a client may try, labelled; `other`
/// is an id of the same kind the actor may read (for the dot-segment and
/// encoded-slash tricks, which must never reach `id` through it).
fn variants(route: &Route, id: i64, other: i64) -> Vec<(&'static str, String)> {
    let digits = id.to_string();
    let pct: String = digits.bytes().map(|b| format!("%{b:02X}")).collect();
    let pct_twice: String = digits.bytes().map(|b| format!("%25{b:02X}")).collect();
    let fullwidth: String = digits
        .chars()
        .filter_map(|c| char::from_u32(0xFF10 + c.to_digit(10)?))
        .flat_map(|c| {
            let mut buf = [0u8; 4];
            c.encode_utf8(&mut buf)
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<Vec<_>>()
        })
        .collect();
    let canonical = route.at(&digits);
    let prefix_param = route.template.replacen("/{}", ";x=1/{}", 1);
    vec![
        ("percent-encoded", route.at(&pct)),
        ("percent-encoded twice", route.at(&pct_twice)),
        ("leading zero", route.at(&format!("0{id}"))),
        ("leading zeros", route.at(&format!("000{id}"))),
        ("plus sign", route.at(&format!("+{id}"))),
        ("encoded plus sign", route.at(&format!("%2B{id}"))),
        ("minus sign", route.at(&format!("-{id}"))),
        ("huge number", route.at("99999999999999999999")),
        ("largest i64", route.at(&i64::MAX.to_string())),
        ("just past i64", route.at("9223372036854775808")),
        ("hexadecimal", route.at(&format!("0x{id:x}"))),
        ("exponent", route.at(&format!("{id}e0"))),
        ("full-width digits", route.at(&fullwidth)),
        ("leading space", route.at(&format!("%20{id}"))),
        ("trailing space", route.at(&format!("{id}%20"))),
        ("NUL", route.at(&format!("{id}%00"))),
        ("trailing slash", format!("{canonical}/")),
        (
            "double slash before the id",
            route.template.replacen("/{}", &format!("//{id}"), 1),
        ),
        ("double slash in front", format!("/{canonical}")),
        ("dot segment", route.at(&format!("{other}/../{id}"))),
        (
            "encoded dot segment",
            route.at(&format!("{other}/%2E%2E/{id}")),
        ),
        ("single dot segment", route.at(&format!("./{id}"))),
        ("encoded slashes", route.at(&format!("{other}%2F..%2F{id}"))),
        ("encoded slash before", route.at(&format!("%2F{id}"))),
        ("encoded slash after", route.at(&format!("{id}%2F"))),
        (
            "encoded backslashes",
            route.at(&format!("{other}%5C..%5C{id}")),
        ),
        ("upper case", canonical.to_uppercase()),
        ("capitalised", capitalised(&canonical)),
        ("parameter on the id", route.at(&format!("{id};x=1"))),
        (
            "parameter before the id",
            prefix_param.replacen("{}", &digits, 1),
        ),
        ("query string", format!("{canonical}?x=1")),
        ("canonical again", canonical),
    ]
}

/// Walks every spelling of `id` over `routes` as `token`; returns what
/// broke the rule "the canonical answer or 404" (an outsider's canonical
/// answer is itself 404), and, for an outsider, any answer that is not a
/// 404 or shows one of `markers`.
async fn walk(
    app: &TestApp,
    token: &str,
    routes: &[Route],
    id: i64,
    other: i64,
    outsider: bool,
) -> Vec<String> {
    let mut broken = Vec::new();
    for route in routes {
        let canonical = send(
            app,
            Some(token),
            route.method,
            &route.at(&id.to_string()),
            &route.payload,
        )
        .await;
        if outsider {
            assert_eq!(
                canonical.status,
                404,
                "{} {}: {}",
                route.method,
                route.at(&id.to_string()),
                canonical.body
            );
        } else {
            assert!(
                canonical.is_success_or_redirect(),
                "{} {} as an insider: {} {}",
                route.method,
                route.at(&id.to_string()),
                canonical.status,
                canonical.body
            );
        }
        let expected = route.signature(&canonical);
        for (label, target) in variants(route, id, other) {
            let r = send(app, Some(token), route.method, &target, &route.payload).await;
            let leaked: Vec<&str> = A1_MARKERS
                .iter()
                .copied()
                .filter(|m| outsider && r.body.contains(m))
                .collect();
            if outsider && (r.is_success_or_redirect() || !leaked.is_empty()) {
                broken.push(format!(
                    "{} {target} ({label}): {} showing {leaked:?}",
                    route.method, r.status
                ));
            } else if r.status != 404 && route.signature(&r) != expected {
                broken.push(format!(
                    "{} {target} ({label}): {} {}, not the canonical {} nor 404",
                    route.method,
                    r.status,
                    r.body.chars().take(200).collect::<String>(),
                    canonical.status
                ));
            }
        }
    }
    broken
}

// ---------------------------------------------------------------------------
// 1. Path variants.

#[tokio::test]
async fn every_spelling_of_another_municipalitys_ids_answers_404_and_stores_nothing() {
    let w = world().await;
    let before = w.app.counts().await;
    let ward_before = w.app.get(&format!("/api/wards/{}", w.a1.ward)).await.text;
    let settings_before = w
        .app
        .get(&format!("/api/municipalities/{}/reminder-settings", w.a))
        .await
        .text;
    let mut broken = Vec::new();
    // Reads first, then writes, for every kind.
    for writes in [false, true] {
        for kind in KINDS {
            let routes: Vec<Route> = kind
                .routes()
                .into_iter()
                .filter(|r| r.is_write() == writes)
                .collect();
            let target = kind.of(&w, w.a1, w.a);
            let own = kind.of(&w, w.b1, w.b);
            broken.extend(walk(&w.app, &w.city_b, &routes, target, own, true).await);
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert_eq!(w.app.counts().await, before, "nothing was stored");
    assert_eq!(
        w.app.get(&format!("/api/wards/{}", w.a1.ward)).await.text,
        ward_before
    );
    assert_eq!(
        w.app
            .get(&format!("/api/municipalities/{}/reminder-settings", w.a))
            .await
            .text,
        settings_before
    );
}

#[tokio::test]
async fn every_spelling_of_an_own_id_answers_like_the_canonical_path_or_404() {
    let w = world().await;
    let mut broken = Vec::new();
    for writes in [false, true] {
        for kind in KINDS {
            let routes: Vec<Route> = kind
                .routes()
                .into_iter()
                .filter(|r| r.is_write() == writes)
                .collect();
            // A1's secretariat on its ward's records (A2's beside them);
            // A's city on its municipality (B's beside it).
            let (token, other) = match kind {
                Kind::Municipality => (&w.city_a, w.b),
                _ => (&w.secretariat_a1, kind.of(&w, w.a2, w.a)),
            };
            let id = kind.of(&w, w.a1, w.a);
            broken.extend(walk(&w.app, token, &routes, id, other, false).await);
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    // The meetings the ward's POST created went to A1, whatever the spelling.
    let a2_meetings = w
        .app
        .get(&format!("/api/wards/{}/meetings", w.a2.ward))
        .await;
    assert_eq!(a2_meetings.body["total"], 1, "{}", a2_meetings.text);
}

/// The field case `percent-encoded-id-bypasses-ward-scope`: 堺市's city
/// account read and wrote 大阪市's ward 1 through `%31`.
#[tokio::test]
async fn a_percent_encoded_id_does_not_open_another_municipalitys_ward() {
    let w = world().await;
    assert_eq!(
        (w.a1.ward, w.a1.member),
        (1, 1),
        "the field case's ids: A's first ward and member"
    );
    let before = w.app.counts().await;
    let token = Some(w.city_b.as_str());
    for path in ["/api/wards/1", "/api/wards/%31", "/api/members/%31"] {
        let r = send(&w.app, token, "GET", path, &Payload::Empty).await;
        assert_eq!(r.status, 404, "GET {path}: {}", r.body);
        assert!(!r.body.contains("北区") && !r.body.contains("kouhoku"));
    }
    let r = send(
        &w.app,
        token,
        "POST",
        "/api/wards/%31/meetings",
        &Payload::Json(
            json!({ "held_on": "2026-11-20", "title": "他市から書き込んだ会議", "kind": "その他" }),
        ),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(w.app.count("meetings").await, 3);
    assert_eq!(w.app.counts().await, before);
}

// ---------------------------------------------------------------------------
// 2. Existence does not leak: a missing id and one outside the scope, in a
// path or in a body, get the same answer.

/// Every route of a kind that names one record in its path (reads and
/// writes, API and pages), with a minimal body.
fn all_routes(kind: Kind) -> Vec<Route> {
    let s = |t: &str| t.to_string();
    let empty = || Payload::Json(json!({}));
    let mut routes = kind.routes();
    routes.extend(match kind {
        Kind::Ward => vec![
            write(
                "PATCH",
                s("/api/wards/{}"),
                Payload::Json(json!({ "sort_order": 1 })),
            ),
            get(s("/api/wards/{}/members")),
            write("POST", s("/api/wards/{}/members"), empty()),
            get(s("/api/wards/{}/meetings")),
            get(s("/api/wards/{}/countermeasures")),
            write("POST", s("/api/wards/{}/countermeasures"), empty()),
            get(s("/api/wards/{}/surveys/2026H1")),
            write(
                "POST",
                s("/api/wards/{}/surveys/2026H1/submit"),
                Payload::Empty,
            ),
            write(
                "POST",
                s("/api/wards/{}/surveys/2026H1/reopen"),
                Payload::Empty,
            ),
            write("POST", s("/api/wards/{}/calendar-feed"), Payload::Empty),
            get(s("/wards/{}/edit")),
            get(s("/wards/{}/members")),
            get(s("/wards/{}/members.csv")),
            get(s("/wards/{}/meetings/new")),
            write("POST", s("/wards/{}/meetings/new"), form(&[("title", "x")])),
            get(s("/wards/{}/countermeasures")),
            get(s("/wards/{}/surveys/2026H1")),
            write("POST", s("/wards/{}/surveys/2026H1/reopen"), form(&[])),
            get(s("/wards/{}/report")),
            get(s("/wards/{}/import")),
        ],
        Kind::Member => vec![
            write("POST", s("/api/members/{}/calendar-feed"), Payload::Empty),
            write("PATCH", s("/api/members/{}"), empty()),
        ],
        Kind::Meeting => vec![
            write("DELETE", s("/api/meetings/{}"), Payload::Empty),
            get(s("/meetings/{}/edit")),
            write("POST", s("/meetings/{}/delete"), form(&[])),
        ],
        Kind::Countermeasure => vec![
            get(s("/api/countermeasures/{}/history")),
            write(
                "POST",
                s("/api/countermeasures/{}/transitions"),
                Payload::Json(json!({ "to": "具体化" })),
            ),
            get(s("/countermeasures/{}/edit")),
            write(
                "POST",
                s("/countermeasures/{}/transition"),
                form(&[("to", "具体化")]),
            ),
            write(
                "POST",
                s("/countermeasures/{}/archive"),
                form(&[("archived", "true")]),
            ),
            write(
                "POST",
                s("/countermeasures/{}/next-cycle"),
                form(&[("evaluation_due_on", "2030-03-31")]),
            ),
        ],
        Kind::Municipality => vec![
            get(s("/api/municipalities/{}/surveys/2026H1/summaries")),
            get(s("/api/wards?municipality_id={}")),
            get(s("/api/report/2026H1?municipality_id={}")),
            get(s("/api/surveys/2026H1/statuses?municipality_id={}")),
            get(s("/api/reminders/deliveries?municipality_id={}")),
            get(s("/city/{}/reminders")),
            get(s("/city/{}/wards/new")),
            write("POST", s("/city/{}/wards/new"), form(&[("names", "西区")])),
            get(s("/city/{}/surveys/2026H1/summaries")),
            get(s("/surveys/2026H1?municipality_id={}")),
            get(s("/report/2026H1?municipality_id={}")),
            get(s("/jobs?municipality_id={}")),
        ],
    });
    routes
}

#[tokio::test]
async fn a_missing_id_and_one_outside_the_scope_get_the_same_bytes() {
    let w = world().await;
    let before = w.app.counts().await;
    let mut differ = Vec::new();
    // B's city against A1, A1's secretariat against A2 (and against B for
    // what spans a municipality).
    let pairs = [
        (&w.city_b, w.a1, w.a, &A1_MARKERS[..]),
        (&w.secretariat_a1, w.a2, w.b, &A2_MARKERS[..]),
    ];
    for (token, outside, municipality, markers) in pairs {
        for kind in KINDS {
            let hidden = kind.of(&w, outside, municipality);
            for route in all_routes(kind) {
                let mut answers = Vec::new();
                for id in [hidden, MISSING] {
                    let target = route.at(&id.to_string());
                    answers.push(
                        send(&w.app, Some(token), route.method, &target, &route.payload).await,
                    );
                }
                let target = route.at(&hidden.to_string());
                if answers[0] != answers[1] {
                    differ.push(format!(
                        "{} {target}: {} {} / missing: {} {}",
                        route.method,
                        answers[0].status,
                        answers[0].body.chars().take(160).collect::<String>(),
                        answers[1].status,
                        answers[1].body.chars().take(160).collect::<String>(),
                    ));
                }
                let shown: Vec<&&str> = markers
                    .iter()
                    .filter(|m| answers[0].body.contains(**m))
                    .collect();
                assert!(
                    shown.is_empty(),
                    "{} {target} shows {shown:?}",
                    route.method
                );
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert_eq!(w.app.counts().await, before);
}

/// An answer with `id` written as `?` where a message or a field name
/// carries it, so that answers about different ids compare.
fn without_id(body: &str, id: i64) -> String {
    body.replace(&format!("ID {id})"), "ID ?)")
        .replace(&format!("cm-{id}-"), "cm-?-")
}

#[tokio::test]
async fn ids_in_bodies_outside_the_scope_answer_like_missing_ids() {
    let w = world().await;
    let (a1, a2, b1) = (w.a1, w.a2, w.b1);
    let before = w.app.counts().await;
    let meeting = |extra: Value| {
        let mut v = json!({ "held_on": "2026-11-20", "title": "会議", "kind": "その他" });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    let step = move |x: i64| {
        json!([{ "countermeasure_id": x, "to": "具体化", "owner_member_id": a1.member,
                 "evaluation_due_on": "2026-12-31" }])
    };
    type Case = (&'static str, String, Box<dyn Fn(i64) -> Payload>, [i64; 2]);
    let j = |f: Box<dyn Fn(i64) -> Value>| -> Box<dyn Fn(i64) -> Payload> {
        Box::new(move |x| Payload::Json(f(x)))
    };
    let members = [a2.member, b1.member];
    let cases: Vec<Case> = vec![
        (
            "POST",
            format!("/api/wards/{}/meetings", a1.ward),
            j(Box::new(move |x| meeting(json!({ "attendee_ids": [x] })))),
            members,
        ),
        (
            "PATCH",
            format!("/api/meetings/{}", a1.meeting),
            j(Box::new(|x| json!({ "attendee_ids": [x] }))),
            members,
        ),
        (
            "POST",
            format!("/api/wards/{}/countermeasures", a1.ward),
            j(Box::new(
                |x| json!({ "topic": 1, "title": "対応策", "owner_member_id": x }),
            )),
            members,
        ),
        (
            "PATCH",
            format!("/api/countermeasures/{}", a1.countermeasure),
            j(Box::new(|x| json!({ "owner_member_id": x }))),
            members,
        ),
        (
            "POST",
            format!("/api/countermeasures/{}/transitions", a1.countermeasure),
            j(Box::new(
                |x| json!({ "to": "具体化", "owner_member_id": x, "evaluation_due_on": "2026-12-31" }),
            )),
            members,
        ),
        (
            "POST",
            format!("/api/wards/{}/countermeasures", a1.ward),
            j(Box::new(
                |x| json!({ "topic": 1, "title": "対応策", "meeting_id": x }),
            )),
            [a2.meeting, b1.meeting],
        ),
        (
            "POST",
            format!("/api/wards/{}/meetings", a1.ward),
            j(Box::new(move |x| {
                meeting(json!({ "stage_changes": step(x) }))
            })),
            [a2.countermeasure, b1.countermeasure],
        ),
        (
            "PATCH",
            format!("/api/meetings/{}", a1.meeting),
            j(Box::new(move |x| json!({ "stage_changes": step(x) }))),
            [a2.countermeasure, b1.countermeasure],
        ),
        // The same through the forms.
        (
            "POST",
            format!("/wards/{}/meetings/new", a1.ward),
            Box::new(|x| {
                let x = x.to_string();
                form(&[
                    ("held_on", "2026-11-20"),
                    ("title", "会議"),
                    ("kind", "その他"),
                    ("attendee_ids", &x),
                ])
            }),
            members,
        ),
        (
            "POST",
            format!("/wards/{}/countermeasures/new", a1.ward),
            Box::new(|x| {
                let x = x.to_string();
                form(&[("topic", "1"), ("title", "対応策"), ("owner_member_id", &x)])
            }),
            members,
        ),
        (
            "POST",
            format!("/meetings/{}/edit", a1.meeting),
            Box::new(move |x| {
                let m = a1.member.to_string();
                form(&[
                    ("held_on", "2026-10-01"),
                    ("title", "甲北の推進会議"),
                    ("kind", "推進会議"),
                    ("topics", "1"),
                    (&format!("cm-{x}-to"), "具体化"),
                    (&format!("cm-{x}-owner_member_id"), &m),
                    (&format!("cm-{x}-evaluation_due_on"), "2026-12-31"),
                ])
            }),
            [a2.countermeasure, b1.countermeasure],
        ),
    ];
    let mut differ = Vec::new();
    for (method, path, payload, outside) in &cases {
        let missing = send(
            &w.app,
            Some(&w.secretariat_a1),
            method,
            path,
            &payload(MISSING),
        )
        .await;
        assert_eq!(missing.status, 422, "{method} {path}: {}", missing.body);
        let expected = without_id(&missing.body, MISSING);
        for x in outside {
            let r = send(&w.app, Some(&w.secretariat_a1), method, path, &payload(*x)).await;
            if r.status != missing.status || without_id(&r.body, *x) != expected {
                differ.push(format!(
                    "{method} {path} with {x}: {} {}\n  missing: {} {}",
                    r.status, r.body, missing.status, missing.body
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));

    // A ward of another city, or of none: the same bytes, for the city and
    // for a secretariat.
    for token in [&w.city_a, &w.secretariat_a1] {
        let new_ward = |m: i64| Payload::Json(json!({ "municipality_id": m, "name": "新区" }));
        let other = send(&w.app, Some(token), "POST", "/api/wards", &new_ward(w.b)).await;
        let missing = send(
            &w.app,
            Some(token),
            "POST",
            "/api/wards",
            &new_ward(MISSING),
        )
        .await;
        assert_eq!(other.status, 422, "{}", other.body);
        assert_eq!(other, missing);
    }
    assert_eq!(w.app.counts().await, before, "nothing was stored");
}

#[tokio::test]
async fn the_accounts_page_answers_another_citys_ward_like_a_missing_one() {
    let w = world().await;
    let accounts = w.app.count("accounts").await;
    let secretariat: i64 =
        sqlx::query_scalar("SELECT id FROM accounts WHERE email = 'jimu@a.example.jp'")
            .fetch_one(&w.app.db.pool)
            .await
            .unwrap();
    let add = |ward: i64| {
        let ward = ward.to_string();
        form(&[
            ("email", "new@a.example.jp"),
            ("role", "secretariat"),
            ("ward_id", &ward),
            ("password", PASSWORD),
        ])
    };
    let change = |ward: i64| {
        let ward = ward.to_string();
        form(&[("role", "secretariat"), ("ward_id", &ward)])
    };
    let update = format!("/accounts/{secretariat}");
    for (path, payload) in [
        ("/accounts/new", &add as &dyn Fn(i64) -> Payload),
        ("/accounts/invite", &add),
        (update.as_str(), &change),
    ] {
        let other = send(&w.app, Some(&w.city_a), "POST", path, &payload(w.b1.ward)).await;
        let missing = send(&w.app, Some(&w.city_a), "POST", path, &payload(MISSING)).await;
        assert_eq!(other.status, 422, "{path}: {}", other.body);
        assert_eq!(other, missing, "{path}");
    }
    assert_eq!(w.app.count("accounts").await, accounts);
    // Its own city's other ward is fine.
    let r = send(&w.app, Some(&w.city_a), "POST", &update, &change(w.a2.ward)).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

// ---------------------------------------------------------------------------
// 3. Role rules.

/// A `member` account of `ward` linked to the committee member `member`;
/// returns its token.
async fn member_token(w: &World, ward: i64, member: i64) -> String {
    let now = NOW.parse().unwrap();
    let account = renkei::accounts::store::create(
        &w.app.db,
        &renkei::accounts::store::NewAccount {
            email: "iin@a.example.jp".into(),
            display_name: String::new(),
            role: Role::Member,
            municipality_id: Some(w.a),
            ward_id: Some(ward),
            member_id: Some(member),
            password_hash: None,
        },
        None,
        now,
    )
    .await
    .expect("member account");
    renkei::accounts::store::create_token(&w.app.db, account, "t", None, now)
        .await
        .expect("member token")
        .1
}

/// An account of A with a password, signed in through `/login` in a
/// cookie client (no token); returns the client and its CSRF token.
async fn signed_in(
    w: &World,
    email: &str,
    role: Role,
    ward: Option<i64>,
) -> (reqwest::Client, String) {
    let hash = renkei::accounts::secret::hash_password(PASSWORD.into())
        .await
        .expect("hash");
    renkei::accounts::store::create(
        &w.app.db,
        &renkei::accounts::store::NewAccount {
            email: email.into(),
            display_name: String::new(),
            role,
            municipality_id: Some(w.a),
            ward_id: ward,
            member_id: None,
            password_hash: Some(hash),
        },
        None,
        NOW.parse().unwrap(),
    )
    .await
    .expect("account");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = browser
        .post(w.app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let html = browser
        .get(w.app.url("/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + "name=\"csrf_token\" value=\"".len();
    (browser, html[at..at + 64].to_string())
}

const PERIOD: &str = "2026H1";

/// A1's survey of [`PERIOD`], answered and submitted.
async fn submitted_survey(w: &World) {
    let answers = renkei::survey::sample::answers(
        0,
        renkei::calendar::Period::parse(PERIOD).expect("a period"),
    );
    w.app.submit_survey(w.a1.ward, PERIOD, answers).await;
}

async fn survey_status(w: &World) -> Value {
    w.app
        .get(&format!("/api/wards/{}/surveys/{PERIOD}", w.a1.ward))
        .await
        .body["status"]
        .clone()
}

async fn reopen_audit_rows(w: &World) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'reopen'")
        .fetch_one(&w.app.db.pool)
        .await
        .expect("count")
}

/// The field case `secretariat-reopens-own-survey`.
#[tokio::test]
async fn only_the_city_reopens_a_submitted_survey() {
    let w = world().await;
    submitted_survey(&w).await;
    assert_eq!(survey_status(&w).await, "提出済");
    let api = format!("/api/wards/{}/surveys/{PERIOD}/reopen", w.a1.ward);
    let page = format!("/wards/{}/surveys/{PERIOD}/reopen", w.a1.ward);

    // The ward's secretariat: 403 by API ...
    let r = send(
        &w.app,
        Some(&w.secretariat_a1),
        "POST",
        &api,
        &Payload::Empty,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.content_type.starts_with("application/problem+json"));
    assert!(r.body.contains("権限"), "{}", r.body);
    // ... and by the page form, signed in, with its CSRF token.
    let (browser, csrf) =
        signed_in(&w, "jimu2@a.example.jp", Role::Secretariat, Some(w.a1.ward)).await;
    let r = browser
        .post(w.app.url(&page))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("権限"));
    // The city-level viewer may read, not reopen; another city does not
    // even see the ward.
    let r = send(&w.app, Some(&w.viewer_a), "POST", &api, &Payload::Empty).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = send(&w.app, Some(&w.city_b), "POST", &api, &Payload::Empty).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(survey_status(&w).await, "提出済", "still submitted");
    assert_eq!(reopen_audit_rows(&w).await, 0);

    // The city reopens it: a draft again.
    let r = send(&w.app, Some(&w.city_a), "POST", &api, &Payload::Empty).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(survey_status(&w).await, "下書き");
    // So does admin, once it is submitted again.
    let r = w
        .app
        .post(
            &format!("/api/wards/{}/surveys/{PERIOD}/submit", w.a1.ward),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = w.app.post(&api, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(reopen_audit_rows(&w).await, 2);
}

#[tokio::test]
async fn the_statuses_page_offers_the_reopen_button_to_the_city_only() {
    let w = world().await;
    submitted_survey(&w).await;
    let statuses = format!("/surveys/{PERIOD}");
    let action = format!("action=\"/wards/{}/surveys/{PERIOD}/reopen\"", w.a1.ward);
    let city = send(&w.app, Some(&w.city_a), "GET", &statuses, &Payload::Empty).await;
    assert_eq!(city.status, 200);
    assert!(city.body.contains("差し戻す") && city.body.contains(&action));
    let viewer = send(&w.app, Some(&w.viewer_a), "GET", &statuses, &Payload::Empty).await;
    assert_eq!(viewer.status, 200);
    assert!(viewer.body.contains("提出済"));
    assert!(!viewer.body.contains("差し戻す") && !viewer.body.contains("/reopen"));
    let secretariat = send(
        &w.app,
        Some(&w.secretariat_a1),
        "GET",
        &statuses,
        &Payload::Empty,
    )
    .await;
    assert_eq!(secretariat.status, 403);
    assert!(!secretariat.body.contains("差し戻す"));
    // The ward's own survey page has no way to reopen it either.
    let own = send(
        &w.app,
        Some(&w.secretariat_a1),
        "GET",
        &format!("/wards/{}/surveys/{PERIOD}", w.a1.ward),
        &Payload::Empty,
    )
    .await;
    assert_eq!(own.status, 200);
    assert!(!own.body.contains("/reopen") && !own.body.contains(">差し戻す<"));
}

/// A1's countermeasure, planned (具体化) with A1's member as owner, and
/// a second member of A1.
async fn owned_countermeasure(w: &World) -> (i64, i64) {
    let other = w.app.member(w.a1.ward, "別の委員").await;
    let c = w
        .app
        .planned_countermeasure(w.a1.ward, 2, w.a1.member, "2026-12-31")
        .await;
    (c, other)
}

#[tokio::test]
async fn a_member_records_the_evaluation_of_what_it_owns_and_changes_nothing_else() {
    let w = world().await;
    let (c, other) = owned_countermeasure(&w).await;
    let member = member_token(&w, w.a1.ward, w.a1.member).await;
    let cm = format!("/api/countermeasures/{c}");
    let steps = format!("{cm}/transitions");
    let evaluation = json!({ "to": "評価改善", "evaluation": "参加者が増えた", "improvement": "継続する", "verdict": "一部達成", "verdict_reason": "目標の一部を達成" });
    let with = |extra: Value| {
        let mut v = evaluation.clone();
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    let refused = [
        (
            "PATCH",
            cm.clone(),
            json!({ "evaluation_due_on": "2030-03-31" }),
        ),
        ("PATCH", cm.clone(), json!({ "owner_member_id": other })),
        ("PATCH", cm.clone(), json!({ "title": "改名した対応策" })),
        ("PATCH", cm.clone(), json!({ "archived": true })),
        ("PATCH", cm.clone(), json!({ "note": "メモ" })),
        // Stepping back (a re-plan).
        (
            "POST",
            steps.clone(),
            json!({ "to": "未具体化", "note": "見直す" }),
        ),
        // The step to 評価改善, moving the due date or the owner with it.
        (
            "POST",
            steps.clone(),
            with(json!({ "evaluation_due_on": "2030-03-31" })),
        ),
        (
            "POST",
            steps.clone(),
            with(json!({ "owner_member_id": other })),
        ),
    ];
    let snapshot = || async { (w.app.get(&cm).await.text, w.app.counts().await) };
    let before = snapshot().await;
    for (method, path, body) in &refused {
        let r = send(
            &w.app,
            Some(&member),
            method,
            path,
            &Payload::Json(body.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "{method} {path} {body}: {}", r.body);
        assert!(r.content_type.starts_with("application/problem+json"));
    }
    assert_eq!(snapshot().await, before, "nothing changed, no history row");

    // The step to 評価改善 itself, keeping owner and due date: its own.
    let r = send(
        &w.app,
        Some(&member),
        "POST",
        &steps,
        &Payload::Json(with(
            json!({ "evaluation_due_on": "2026-12-31", "note": "委員会で報告" }),
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(after["stage"], "評価改善");
    assert_eq!(after["evaluation_due_on"], "2026-12-31");
    assert_eq!(after["owner_member_id"], w.a1.member);

    // The next cycle (評価改善 → 具体化) is the secretariat's.
    let before = snapshot().await;
    for body in [
        json!({ "to": "具体化", "note": "次の周期へ" }),
        json!({ "to": "具体化", "note": "次の周期へ", "evaluation_due_on": "2027-09-30" }),
    ] {
        let r = send(
            &w.app,
            Some(&member),
            "POST",
            &steps,
            &Payload::Json(body.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "{body}: {}", r.body);
    }
    assert_eq!(snapshot().await, before);
    let r = send(
        &w.app,
        Some(&w.secretariat_a1),
        "POST",
        &steps,
        &Payload::Json(
            json!({ "to": "具体化", "note": "次の周期へ", "evaluation_due_on": "2027-09-30" }),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_members_countermeasure_page_offers_only_the_evaluation_form() {
    let w = world().await;
    let (c, _) = owned_countermeasure(&w).await;
    let member = member_token(&w, w.a1.ward, w.a1.member).await;
    let page = format!("/countermeasures/{c}");
    let edit_link = format!("href=\"/countermeasures/{c}/edit\"");
    let step_action = format!("action=\"/countermeasures/{c}/transition\"");
    let archive_action = format!("action=\"/countermeasures/{c}/archive\"");

    let html = send(&w.app, Some(&member), "GET", &page, &Payload::Empty).await;
    assert_eq!(html.status, 200);
    let html = html.body;
    assert!(html.contains(&step_action) && html.contains("value=\"評価改善\""));
    assert_eq!(
        html.matches("<form").count() - html.matches("action=\"/logout\"").count(),
        1
    );
    for absent in [
        edit_link.as_str(),
        archive_action.as_str(),
        "value=\"back\"",
        "name=\"owner_member_id\"",
        "name=\"evaluation_due_on\"",
    ] {
        assert!(!html.contains(absent), "the member's page has {absent}");
    }
    // The secretariat gets every form.
    let html = send(
        &w.app,
        Some(&w.secretariat_a1),
        "GET",
        &page,
        &Payload::Empty,
    )
    .await
    .body;
    for present in [&edit_link, &archive_action, &step_action] {
        assert!(
            html.contains(present.as_str()),
            "the secretariat's page lacks {present}"
        );
    }
    assert!(html.contains("value=\"back\""));

    // What the member's page does not offer is refused when posted anyway.
    let before = w.app.counts().await;
    let refused = [
        ("GET", format!("{page}/edit"), Payload::Empty),
        (
            "POST",
            format!("{page}/edit"),
            form(&[("topic", "2"), ("title", "改名")]),
        ),
        (
            "POST",
            format!("{page}/archive"),
            form(&[("archived", "true")]),
        ),
        (
            "POST",
            format!("{page}/transition"),
            form(&[("form", "back"), ("to", "未具体化"), ("note", "見直す")]),
        ),
        (
            "POST",
            format!("{page}/next-cycle"),
            form(&[("evaluation_due_on", "2030-03-31")]),
        ),
        (
            "POST",
            format!("{page}/transition"),
            form(&[
                ("form", "advance"),
                ("to", "評価改善"),
                ("evaluation", "参加者が増えた"),
                ("improvement", "継続する"),
                ("verdict", "B"),
                ("verdict_reason", "目標の一部を達成"),
                ("evaluation_due_on", "2030-03-31"),
            ]),
        ),
    ];
    for (method, path, payload) in &refused {
        let r = send(&w.app, Some(&member), method, path, payload).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
        assert!(r.content_type.starts_with("text/html"));
    }
    assert_eq!(w.app.counts().await, before);

    // The evaluation form works.
    let r = send(
        &w.app,
        Some(&member),
        "POST",
        &format!("{page}/transition"),
        &form(&[
            ("form", "advance"),
            ("to", "評価改善"),
            ("evaluation", "参加者が増えた"),
            ("improvement", "継続する"),
            ("verdict", "B"),
            ("verdict_reason", "目標の一部を達成"),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        w.app.get(&format!("/api{page}")).await.body["stage"],
        "評価改善"
    );
    // At 評価改善 the member has nothing left to record, and is not told to
    // step back, which it may not do.
    let html = send(&w.app, Some(&member), "GET", &page, &Payload::Empty)
        .await
        .body;
    assert!(!html.contains(&step_action), "{html}");
    assert!(!html.contains("段階を戻してください"));
    let r = send(
        &w.app,
        Some(&member),
        "POST",
        &format!("{page}/transition"),
        &form(&[("form", "back"), ("to", "具体化"), ("note", "次の周期へ")]),
    )
    .await;
    assert_eq!(r.status, 403);
}

async fn ward_row(w: &World, id: i64) -> (String, i64, Option<String>) {
    sqlx::query_as("SELECT name, sort_order, secretariat_email FROM wards WHERE id = $1")
        .bind(id)
        .fetch_one(&w.app.db.pool)
        .await
        .expect("the ward")
}

#[tokio::test]
async fn only_the_city_renames_a_ward_and_its_secretariat_sets_address_and_order() {
    let w = world().await;
    let api = format!("/api/wards/{}", w.a1.ward);
    let patch = |token: &str, body: Value| {
        let (app, api, token) = (&w.app, api.clone(), token.to_string());
        async move { send(app, Some(&token), "PATCH", &api, &Payload::Json(body)).await }
    };
    let original = ward_row(&w, w.a1.ward).await;
    assert_eq!(original.0, "北区");

    // The secretariat: another name is refused, whatever comes with it.
    for body in [
        json!({ "name": "改名区" }),
        json!({ "name": "改名区", "sort_order": 9, "secretariat_email": "x@example.jp" }),
    ] {
        let r = patch(&w.secretariat_a1, body).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    assert_eq!(ward_row(&w, w.a1.ward).await, original);
    // The same name (as its form would send it) is no rename.
    let r = patch(&w.secretariat_a1, json!({ "name": " 北区 " })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = patch(
        &w.secretariat_a1,
        json!({ "secretariat_email": "jimu@kita.example.jp", "sort_order": 7 }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        ward_row(&w, w.a1.ward).await,
        ("北区".into(), 7, Some("jimu@kita.example.jp".into()))
    );
    // Readers and other cities.
    assert_eq!(
        patch(&w.viewer_a, json!({ "sort_order": 1 })).await.status,
        403
    );
    assert_eq!(
        patch(&w.city_b, json!({ "name": "乗っ取り区" }))
            .await
            .status,
        404
    );

    // The edit page: the city's has the name field, the secretariat's not.
    let edit = format!("/wards/{}/edit", w.a1.ward);
    let mine = send(
        &w.app,
        Some(&w.secretariat_a1),
        "GET",
        &edit,
        &Payload::Empty,
    )
    .await;
    assert_eq!(mine.status, 200);
    assert!(!mine.body.contains("name=\"name\""), "{}", mine.body);
    assert!(
        mine.body.contains("name=\"secretariat_email\"")
            && mine.body.contains("name=\"sort_order\"")
    );
    let city = send(&w.app, Some(&w.city_a), "GET", &edit, &Payload::Empty).await;
    assert_eq!(city.status, 200);
    assert!(city.body.contains("name=\"name\""));
    // A name posted from the secretariat's form anyway changes nothing but
    // what the form is for.
    let r = send(
        &w.app,
        Some(&w.secretariat_a1),
        "POST",
        &edit,
        &form(&[
            ("name", "乗っ取り区"),
            ("sort_order", "3"),
            ("secretariat_email", "new@kita.example.jp"),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        ward_row(&w, w.a1.ward).await,
        ("北区".into(), 3, Some("new@kita.example.jp".into()))
    );

    // The city renames, by API and by its form.
    let r = patch(&w.city_a, json!({ "name": "中北区" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ward_row(&w, w.a1.ward).await.0, "中北区");
    let r = send(
        &w.app,
        Some(&w.city_a),
        "POST",
        &edit,
        &form(&[
            ("name", "北区"),
            ("sort_order", "1"),
            ("secretariat_email", ""),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(ward_row(&w, w.a1.ward).await, ("北区".into(), 1, None));
}

// ---------------------------------------------------------------------------
// 4. The faces (API operations, pages, the HTTP layer) never use the
// operator's scopes: those are for the command line, the demo, the seed
// and the jobs.

/// Where `source` (Rust, comments removed) reaches for the operator: the
/// type `Operator`, a call of `operator(…)`, a path `…::operator`, or an
/// import of it. A binding merely named `operator` is not.
fn operator_uses(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for word in ["Operator", "operator"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(word).map(|i| i + from) {
            from = at + word.len();
            let before = &code[..at];
            let after = &code[from..];
            if before.chars().next_back().is_some_and(is_ident)
                || after.chars().next().is_some_and(is_ident)
            {
                continue;
            }
            let statement = before.rsplit(';').next().unwrap_or("").trim_start();
            let used = word == "Operator"
                || after.trim_start().starts_with('(')
                || before.ends_with("::")
                || statement.starts_with("use ")
                || statement.starts_with("pub use ")
                || statement.starts_with("pub(crate) use ");
            if used {
                let line = code[..at].matches('\n').count() + 1;
                found.push(format!("line {line}"));
            }
        }
    }
    found
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_operator_check_finds_every_way_of_reaching_it() {
    for used in [
        "let v = crate::access::operator().all_wards();",
        "let o = operator ();",
        "use crate::access::Operator;",
        "use crate::access::{self,\n    operator};",
        "fn f(o: access::Operator) {}",
        "let f = access::operator;",
    ] {
        assert!(!operator_uses(used).is_empty(), "missed: {used}");
    }
    for fine in [
        "async fn create(&self, operator: Checked<access::Installation>) { let operator = operator.0; f(&operator); }",
        "/// The operator() is for the command line; see Operator.",
        "let operators = 1; let my_operator = 2;",
    ] {
        assert!(operator_uses(fine).is_empty(), "flagged: {fine}");
    }
}

#[test]
fn faces_never_use_the_operator() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let faces: Vec<_> = files
        .into_iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name == "api.rs" || name == "pages.rs" || p.starts_with(root.join("src/http"))
        })
        .collect();
    assert!(faces.len() > 10, "found the faces: {faces:?}");
    let mut uses = Vec::new();
    for path in &faces {
        let source = std::fs::read_to_string(path).expect("read a face");
        for at in operator_uses(&source) {
            uses.push(format!("{}: {at}", path.display()));
        }
    }
    assert!(
        uses.is_empty(),
        "a face reaches for the operator's scopes:\n{}",
        uses.join("\n")
    );
}
