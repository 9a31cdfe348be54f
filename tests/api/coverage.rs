//! Route coverage: every page route of the route table and every operation
//! of the API spec, for every kind of actor, against resources of ward A1,
//! of ward A2 (same municipality) and of ward B1 (another municipality).
//!
//! Outcomes, as issue 13 defines them: refused = 401 (API) or 303 to
//! /login (pages) for the anonymous, 403 for a role that may not do it in
//! scope, 404 out of scope; allowed = anything else (2xx, 303 after a form,
//! 409/422 from the domain rules with a minimal body). Each write cell works
//! on a fresh resource. An operation the table below does not know, or a
//! public page route not listed here, fails the test: adding a route means
//! declaring who may use it.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{NOW, TestApp, create_account_token};
use renkei::accounts::Role;
use renkei::web::auth::{Need, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    /// 401 (API) or 303 to /login (pages).
    SignIn,
    Forbidden,
    Hidden,
}
use Outcome::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Admin,
    CityA,
    CityViewerA,
    SecretariatA1,
    MemberA1,
    ViewerA1,
    CityB,
}

const ACTORS: [Actor; 8] = [
    Actor::Anonymous,
    Actor::Admin,
    Actor::CityA,
    Actor::CityViewerA,
    Actor::SecretariatA1,
    Actor::MemberA1,
    Actor::ViewerA1,
    Actor::CityB,
];

/// Where a resource lives: 0 = A1, 1 = A2, 2 = B1.
type Place = usize;

struct Ward {
    id: i64,
    municipality: i64,
    /// The committee member owning `countermeasure` (A1's is linked to the
    /// member account).
    owner: i64,
    meeting: i64,
    countermeasure: i64,
    /// An indicator (評価指標) of the ward's municipality.
    indicator: i64,
}

struct World {
    app: TestApp,
    wards: [Ward; 3],
    clients: BTreeMap<String, reqwest::Client>,
    /// An account of municipality A (for `/accounts/:id`).
    account_a: i64,
}

fn client(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {t}").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn seed_ward(app: &TestApp, id: i64) -> Ward {
    let municipality = app.get(&format!("/api/wards/{id}")).await.body["municipality_id"]
        .as_i64()
        .unwrap();
    let owner = app.member(id, "担当委員").await;
    let meeting = app.meeting(id, "2026-10-01", &[1]).await;
    let countermeasure = fresh_countermeasure(app, id, owner).await;
    let r = app
        .post(
            &format!("/api/municipalities/{municipality}/indicators"),
            json!({ "name": format!("指標{id}"), "level": "アウトプット", "data_source": "実績報告", "direction": "↑", "frequency": "年度" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    Ward {
        id,
        municipality,
        owner,
        meeting,
        countermeasure,
        indicator: r.body["id"].as_i64().unwrap(),
    }
}

/// A 具体化 countermeasure owned by `owner`, due after the tests' today.
async fn fresh_countermeasure(app: &TestApp, ward: i64, owner: i64) -> i64 {
    let id = app.countermeasure(ward, 1, "対応策").await;
    let r = app
        .transition(
            id,
            json!({ "to": "具体化", "owner_member_id": owner, "evaluation_due_on": "2027-03-01" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let a = app.municipality_with_wards("甲市", &["北区", "南区"]).await;
    let b = app.municipality_with_wards("乙市", &["東区"]).await;
    let wards = [
        seed_ward(&app, a[0]).await,
        seed_ward(&app, a[1]).await,
        seed_ward(&app, b[0]).await,
    ];
    let now = NOW.parse().unwrap();
    let (ma, mb, a1) = (wards[0].municipality, wards[2].municipality, wards[0].id);
    let mut clients = BTreeMap::new();
    clients.insert(format!("{:?}", Actor::Anonymous), client(None));
    for (actor, role, m, w) in [
        (Actor::Admin, Role::Admin, None, None),
        (Actor::CityA, Role::City, Some(ma), None),
        (Actor::CityViewerA, Role::Viewer, Some(ma), None),
        (Actor::SecretariatA1, Role::Secretariat, Some(ma), Some(a1)),
        (Actor::ViewerA1, Role::Viewer, Some(ma), Some(a1)),
        (Actor::CityB, Role::City, Some(mb), None),
    ] {
        let email = format!("{actor:?}@example.jp").to_lowercase();
        let token = create_account_token(&app.db, &email, role, m, w, now).await;
        clients.insert(format!("{actor:?}"), client(Some(&token)));
    }
    // The member account is linked to the committee member who owns A1's
    // countermeasures.
    let member = renkei::accounts::store::create(
        &app.db,
        &renkei::accounts::store::NewAccount {
            email: "membera1@example.jp".into(),
            display_name: String::new(),
            role: Role::Member,
            municipality_id: Some(ma),
            ward_id: Some(a1),
            member_id: Some(wards[0].owner),
            password_hash: None,
        },
        None,
        now,
    )
    .await
    .unwrap();
    let (_, token) = renkei::accounts::store::create_token(&app.db, member, "t", None, now)
        .await
        .unwrap();
    clients.insert(format!("{:?}", Actor::MemberA1), client(Some(&token)));
    let account_a = renkei::accounts::store::id_by_email(&app.db, "viewera1@example.jp")
        .await
        .unwrap();
    World {
        app,
        wards,
        clients,
        account_a,
    }
}

fn reads(actor: Actor, place: Place) -> bool {
    match actor {
        Actor::Anonymous => false,
        Actor::Admin => true,
        Actor::CityA | Actor::CityViewerA => place < 2,
        Actor::SecretariatA1 | Actor::MemberA1 | Actor::ViewerA1 => place == 0,
        Actor::CityB => place == 2,
    }
}

fn writes(actor: Actor, place: Place) -> bool {
    match actor {
        Actor::Admin => true,
        Actor::CityA => place < 2,
        Actor::SecretariatA1 => place == 0,
        Actor::CityB => place == 2,
        _ => false,
    }
}

fn city_level(actor: Actor) -> bool {
    matches!(
        actor,
        Actor::Admin | Actor::CityA | Actor::CityViewerA | Actor::CityB
    )
}

/// The outcome a rule asks for, written out from the role rules.
fn expected(rule: Rule, actor: Actor, place: Place) -> Outcome {
    if actor == Actor::Anonymous {
        return match rule {
            Rule::Public | Rule::PublicForm => Allowed,
            _ => SignIn,
        };
    }
    let in_scope = |ok: bool, may: bool| match (ok, may) {
        (false, _) => Hidden,
        (true, false) => Forbidden,
        (true, true) => Allowed,
    };
    // The municipality of the place: A for A1 and A2, B for B1.
    let own_municipality = match actor {
        Actor::Admin => true,
        Actor::CityB => place == 2,
        _ => place < 2,
    };
    match rule {
        Rule::Public | Rule::PublicForm | Rule::SignedIn => Allowed,
        Rule::Ward(Need::Read)
        | Rule::Member(Need::Read)
        | Rule::Meeting(Need::Read)
        | Rule::Countermeasure(Need::Read)
        | Rule::Outbox(Need::Read) => in_scope(reads(actor, place), true),
        Rule::Countermeasure(Need::Step) => in_scope(
            reads(actor, place),
            writes(actor, place) || (actor == Actor::MemberA1 && place == 0),
        ),
        Rule::Ward(_)
        | Rule::Member(_)
        | Rule::Meeting(_)
        | Rule::Countermeasure(_)
        | Rule::Outbox(_) => in_scope(reads(actor, place), writes(actor, place)),
        Rule::WardByCity => in_scope(
            reads(actor, place),
            matches!(actor, Actor::Admin | Actor::CityA | Actor::CityB) && writes(actor, place),
        ),
        Rule::City(need) => {
            if !own_municipality {
                Hidden
            } else if !city_level(actor) {
                Forbidden
            } else if need == Need::Read || actor != Actor::CityViewerA {
                Allowed
            } else {
                Forbidden
            }
        }
        Rule::Plan | Rule::Indicator(Need::Read) => {
            if own_municipality {
                Allowed
            } else {
                Hidden
            }
        }
        Rule::Indicator(_) => {
            if !own_municipality {
                Hidden
            } else if matches!(actor, Actor::Admin | Actor::CityA | Actor::CityB) {
                Allowed
            } else {
                Forbidden
            }
        }
        Rule::WardsView => Allowed,
        Rule::CityView => {
            if city_level(actor) {
                Allowed
            } else {
                Forbidden
            }
        }
        Rule::Installation => {
            if actor == Actor::Admin {
                Allowed
            } else {
                Forbidden
            }
        }
        Rule::Accounts => {
            if matches!(actor, Actor::Admin | Actor::CityA | Actor::CityB) {
                Allowed
            } else {
                Forbidden
            }
        }
    }
}

fn classify(api: bool, status: StatusCode, location: Option<&str>) -> Outcome {
    match status.as_u16() {
        401 if api => SignIn,
        303 if !api && location.is_some_and(|l| l == "/login" || l.starts_with("/login?next=")) => {
            SignIn
        }
        // A page form posted without a session is refused like this.
        401 => SignIn,
        403 => Forbidden,
        404 => Hidden,
        _ => Allowed,
    }
}

/// A fresh resource of the kind the rule names, in the place's ward, for a
/// write cell; reads use the seeded ones.
async fn resource(w: &World, rule: Rule, place: Place, fresh: bool) -> i64 {
    let ward = &w.wards[place];
    match rule {
        Rule::Member(_) if fresh => w.app.member(ward.id, "新委員").await,
        Rule::Member(_) => ward.owner,
        Rule::Meeting(_) if fresh => w.app.meeting(ward.id, "2026-10-02", &[2]).await,
        Rule::Meeting(_) => ward.meeting,
        Rule::Countermeasure(_) if fresh => fresh_countermeasure(&w.app, ward.id, ward.owner).await,
        Rule::Countermeasure(_) => ward.countermeasure,
        // A failed reminder of the ward, fresh for every cell (a resend
        // queues it, and only a failed or refused one may be resent).
        Rule::Outbox(_) => w.app.outbox_message(ward.id, "failed").await,
        Rule::City(_) | Rule::Plan => ward.municipality,
        Rule::Indicator(_) => ward.indicator,
        _ => ward.id,
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// Public page routes, by pattern: a new one must be added here on purpose.
const PUBLIC_PAGES: [&str; 6] = [
    "/static/style.css",
    "/login",
    "/password-reset",
    "/password-reset/:token",
    "/invitation/:token",
    "/calendar.ics",
];

/// Page routes any signed-in account may use, by pattern.
const SIGNED_IN_PAGES: [&str; 3] = ["/", "/logout", "/account/password"];

#[tokio::test]
async fn every_page_route_answers_each_actor_as_its_rule_declares() {
    let w = world().await;
    let mut failures = Vec::new();
    let routes = renkei::http::routes::pages();
    for route in &routes {
        let listed = match route.rule {
            Rule::Public | Rule::PublicForm => PUBLIC_PAGES.contains(&route.pattern),
            Rule::SignedIn => SIGNED_IN_PAGES.contains(&route.pattern),
            _ => true,
        };
        if !listed {
            failures.push(format!(
                "{} is open to {:?} but not listed here",
                route.pattern, route.rule
            ));
        }
    }
    for route in routes {
        // Sign-in, sign-out and the public forms are tested on their own.
        if matches!(route.rule, Rule::Public | Rule::PublicForm) || route.pattern == "/logout" {
            continue;
        }
        let places: &[Place] = match route.rule {
            Rule::SignedIn
            | Rule::CityView
            | Rule::WardsView
            | Rule::Installation
            | Rule::Accounts => &[0],
            _ => &[0, 1, 2],
        };
        for actor in ACTORS {
            for &place in places {
                let write = is_write(&route.method);
                let id = resource(&w, route.rule, place, write).await;
                let id = if route.pattern.starts_with("/accounts/:id") {
                    w.account_a
                } else {
                    id
                };
                let path = route
                    .pattern
                    .replace(":id", &id.to_string())
                    .replace(":period", "2026H2")
                    .replace(":chart", "a-maps");
                let mut want = expected(route.rule, actor, place);
                // Another municipality's account answers like a missing one.
                if route.pattern.starts_with("/accounts/:id") && actor == Actor::CityB {
                    want = Hidden;
                }
                let req = w.clients[&format!("{actor:?}")]
                    .request(route.method.clone(), w.app.url(&path));
                let req = if write { req.form(&[("x", "")]) } else { req };
                let resp = req.send().await.unwrap();
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let got = classify(false, resp.status(), location.as_deref());
                if got != want {
                    failures.push(format!(
                        "{actor:?} {} {path} ({:?}): want {want:?}, got {got:?} ({})",
                        route.method,
                        route.rule,
                        resp.status()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The API's rules, by operation id: a new operation must be added here.
fn api_rule(operation: &str) -> Option<Rule> {
    use Need::*;
    Some(match operation {
        "health" => Rule::Public,
        "listTopics" | "listMunicipalities" | "listWards" => Rule::SignedIn,
        "createMunicipality" => Rule::Installation,
        // The municipality is in the body: decided like City(Write) on A's.
        "createWard" => Rule::City(Write),
        "getWardTrends" | "getWardConsultations" | "getWardProgress" | "getWardPdcaSheet" => {
            Rule::Ward(Read)
        }
        "getWard"
        | "listMembers"
        | "listMeetings"
        | "listCountermeasures"
        | "getSurvey"
        | "getWardParticipation" => Rule::Ward(Read),
        "updateWard"
        | "createMember"
        | "createMeeting"
        | "createCountermeasure"
        | "saveSurveyDraft"
        | "submitSurvey"
        | "importMeetings"
        | "importCountermeasures"
        | "issueWardCalendarFeed" => Rule::Ward(Write),
        "reopenSurvey" => Rule::WardByCity,
        "getMember" => Rule::Member(Read),
        "updateMember" | "issueMemberCalendarFeed" => Rule::Member(Write),
        "getMeeting" => Rule::Meeting(Read),
        "updateMeeting" | "deleteMeeting" => Rule::Meeting(Write),
        "getCountermeasure" | "countermeasureHistory" => Rule::Countermeasure(Read),
        "updateCountermeasure" | "nextCycleCountermeasure" => Rule::Countermeasure(Write),
        "transitionCountermeasure" => Rule::Countermeasure(Step),
        "listSurveyStatuses" | "getReport" | "listParticipation" | "listProgress" => Rule::CityView,
        "listDeliveries" => Rule::WardsView,
        "resendDelivery" => Rule::Outbox(Write),
        "getCityConsultations" | "getMunicipalityProgress" => Rule::City(Read),
        "getSurveySummaries" | "getReminderSettings" | "getCityParticipation" => Rule::City(Read),
        "saveSurveySummaries" | "setReminderSettings" => Rule::City(Write),
        "listScenes" | "getMunicipalityVision" => Rule::Plan,
        "createScene" | "putMunicipalityVision" => Rule::City(Write),
        "getWardVision" => Rule::Ward(Read),
        "putWardVision" => Rule::Ward(Write),
        "listIndicators" | "importIndicatorValues" => Rule::Plan,
        "createIndicator" => Rule::City(Write),
        // Each value is then decided on its ward (tests/api/indicators.rs).
        "getIndicator" | "listIndicatorValues" | "putIndicatorValues" => Rule::Indicator(Read),
        "updateIndicator" => Rule::Indicator(Write),
        _ => return None,
    })
}

#[tokio::test]
async fn every_api_operation_answers_each_actor_as_its_rule_declares() {
    let w = world().await;
    let spec: Value = reqwest::get(w.app.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut failures = Vec::new();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            match api_rule(&id) {
                Some(rule) => operations.push((path.clone(), method.to_uppercase(), id, rule)),
                None => failures.push(format!("{method} {path} ({id}) has no declared rule")),
            }
        }
    }
    assert!(operations.len() > 30, "{} operations", operations.len());
    for (template, method, op, rule) in operations {
        let method: Method = method.parse().unwrap();
        let places: &[Place] = match rule {
            Rule::Public
            | Rule::SignedIn
            | Rule::CityView
            | Rule::WardsView
            | Rule::Installation => &[0],
            _ => &[0, 1, 2],
        };
        for actor in ACTORS {
            for &place in places {
                let write = is_write(&method);
                let id = resource(&w, rule, place, write).await;
                let path = template
                    .replace("{ward_id}", &id.to_string())
                    .replace("{member_id}", &id.to_string())
                    .replace("{id}", &id.to_string())
                    .replace("{period}", "2026H2");
                let url = w.app.url(&format!("/api{path}"));
                let c = &w.clients[&format!("{actor:?}")];
                let req = c.request(method.clone(), url);
                let req = if op.starts_with("import") {
                    req.header("content-type", "application/octet-stream")
                        .body("開催日,会議名\r\n")
                } else if op == "createWard" {
                    let m = w.wards[place].municipality;
                    req.json(
                        &json!({ "municipality_id": m, "name": format!("新区{actor:?}{place}") }),
                    )
                } else if write {
                    req.json(&json!({}))
                } else {
                    req
                };
                let status = req.send().await.unwrap().status();
                let mut want = expected(rule, actor, place);
                if actor == Actor::Anonymous && rule == Rule::SignedIn {
                    want = SignIn;
                }
                // A municipality in a body outside the actor's scope answers
                // like one that does not exist (422), not 404.
                if op == "createWard" && want == Hidden {
                    want = Allowed;
                    if status.as_u16() != 422 {
                        failures.push(format!(
                            "{actor:?} {op} in place {place}: want 422, got {status}"
                        ));
                    }
                }
                let got = classify(true, status, None);
                if got != want {
                    failures.push(format!(
                        "{actor:?} {method} /api{path} ({op}, {rule:?}): want {want:?}, got {got:?} ({status})"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
