//! A real headless Chromium driven through chromedriver (both Debian's,
//! installed by scripts/browser.sh), with axe-core injected into pages and
//! screenshots saved to target/screenshots/ for review.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1000;

/// The WCAG 2.1 A and AA rules (JIS X 8341-3:2016 level AA).
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn axe_path() -> PathBuf {
    repo().join("node_modules/axe-core/axe.min.js")
}

/// Whether this machine can run the browser tests. Without Chromium or
/// axe-core they are skipped with a notice, except on CI (CI set), where
/// that is a failure: scripts/browser.sh installs them as root.
pub fn available() -> bool {
    let missing: Vec<String> = [
        PathBuf::from(CHROMIUM),
        PathBuf::from(CHROMEDRIVER),
        axe_path(),
    ]
    .into_iter()
    .filter(|p| !p.exists())
    .map(|p| p.display().to_string())
    .collect();
    if missing.is_empty() {
        return true;
    }
    let notice = format!(
        "browser tests need {} (run `bash scripts/browser.sh` as root)",
        missing.join(", ")
    );
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{notice}");
    }
    eprintln!("SKIPPED: {notice}");
    false
}

/// A chromedriver process and one browser session on it; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    axe: String,
    shots: PathBuf,
    /// Every page's axe violations, reported together at the end.
    pub violations: Vec<String>,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        // Its own process group, which Chromium joins: ending the group
        // ends the browser too, even when a failed test skips `close`.
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // chromedriver has no readiness signal but its port: poll it.
        let mut ready = false;
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !ready {
            end_group(&mut driver);
            panic!("chromedriver did not listen on port {port}");
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // The background-networking flags matter: on the closed
                // network Chromium's own requests make it refuse connections.
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    "--lang=ja",
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ],
                "prefs": { "intl.accept_languages": "ja" },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                end_group(&mut driver);
                panic!("cannot start a Chromium session: {e}");
            }
        };
        let shots = repo().join("target/screenshots");
        std::fs::create_dir_all(&shots).expect("target/screenshots");
        Browser {
            client,
            driver,
            _profile: profile,
            axe: std::fs::read_to_string(axe_path()).expect("read axe.min.js"),
            shots,
            violations: Vec::new(),
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    /// Sets a date input's value. Typing into one depends on the browser's
    /// locale (年/月/日 order), a script does not.
    pub async fn set_date(&self, css: &str, iso: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(iso)],
            )
            .await
            .expect("set date");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .expect("select");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clicks what loads a new page (a submit button, a link) and waits
    /// until the new page has loaded: a mark set on the old page is gone.
    pub async fn submit(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_new_page().await;
    }

    pub async fn mark_page(&self) {
        self.client
            .execute("window.__renkeiOldPage = true;", vec![])
            .await
            .expect("mark page");
    }

    pub async fn wait_new_page(&self) {
        // Generous: CI shares two cores with the rest of the suite.
        for _ in 0..600 {
            let v = self
                .client
                .execute(
                    "return !window.__renkeiOldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(v, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page loaded within 30 s");
    }

    /// Presses keys on the keyboard, one after the other.
    pub async fn press(&self, keys: &[Key]) {
        let mut seq = KeyActions::new("keyboard".into());
        for k in keys {
            let c: char = (*k).into();
            seq = seq
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(seq).await.expect("keys");
        self.client.release_actions().await.expect("release keys");
    }

    /// The id of the focused element ("" for none or no id).
    pub async fn focused_id(&self) -> String {
        let v = self
            .client
            .execute(
                "return document.activeElement ? document.activeElement.id : '';",
                vec![],
            )
            .await
            .expect("active element");
        v.as_str().unwrap_or_default().to_string()
    }

    /// The focused element's computed outline: its style, width, and its
    /// colour's contrast ratio against the page background. Asserts the
    /// element matches :focus-visible (the keyboard's focus).
    pub async fn focus_outline(&self) -> (String, f64, f64) {
        let v = self
            .client
            .execute(
                "const s = getComputedStyle(document.activeElement);
                 const bg = getComputedStyle(document.body).backgroundColor;
                 return [s.outlineStyle, parseFloat(s.outlineWidth) || 0, s.outlineColor, bg,
                         document.activeElement.matches(':focus-visible')];",
                vec![],
            )
            .await
            .expect("outline");
        assert_eq!(
            v[4],
            json!(true),
            "the focused element is not :focus-visible"
        );
        let colour = |i: usize| rgb(v[i].as_str().unwrap_or_default());
        (
            v[0].as_str().unwrap_or_default().to_string(),
            v[1].as_f64().unwrap_or_default(),
            contrast(colour(2), colour(3)),
        )
    }

    /// Saves a PNG of the whole page as target/screenshots/NAME.png (the
    /// window is stretched to the page's height for it).
    pub async fn screenshot(&self, name: &str) {
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .expect("page height")
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 8000) as u32;
        self.client
            .set_window_size(WIDTH, height)
            .await
            .expect("resize");
        let png = self.client.screenshot().await;
        self.client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("resize back");
        let png = png.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        save(&self.shots.join(format!("{name}.png")), &png);
    }

    pub fn save_artifact(&self, name: &str, bytes: &[u8]) {
        save(&self.shots.join(name), bytes);
    }

    /// Runs axe-core on the current page; records its WCAG 2.1 AA
    /// violations (rule, impact, selectors) under the page's name.
    pub async fn axe(&mut self, page: &str) {
        // Before axe-core is injected: the page itself has no script (every
        // action works without JavaScript) and loads nothing from another
        // origin (closed municipal networks: no CDN).
        let own = self
            .client
            .execute(
                "return { scripts: document.scripts.length,
                          foreign: [...document.querySelectorAll('[src], link[href]')]
                              .map(e => e.src || e.href)
                              .filter(u => !u.startsWith(location.origin + '/')) };",
                vec![],
            )
            .await
            .expect("page resources");
        assert_eq!(own["scripts"], 0, "{page} has a script");
        assert_eq!(
            own["foreign"],
            json!([]),
            "{page} loads from another origin"
        );
        let loaded = self
            .client
            .execute(
                &format!("{}\n;return typeof axe === 'object';", self.axe),
                vec![],
            )
            .await
            .expect("inject axe-core");
        assert_eq!(loaded, json!(true), "axe-core did not load");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: arguments[0] } })
                   .then(r => done({ violations: r.violations.map(v => ({
                       id: v.id, impact: v.impact, help: v.help,
                       targets: v.nodes.map(n => n.target.join(' ')) })) }))
                   .catch(e => done({ error: String(e) }));",
                vec![json!(AXE_TAGS)],
            )
            .await
            .expect("run axe-core");
        if let Some(e) = result.get("error") {
            panic!("axe-core failed on {page}: {e}");
        }
        for v in result["violations"].as_array().expect("violations") {
            self.violations.push(format!(
                "{page}: {} ({}) {} — {}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or_default(),
                v["targets"]
                    .as_array()
                    .map(|t| t
                        .iter()
                        .filter_map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "))
                    .unwrap_or_default(),
            ));
        }
    }

    /// Switches CSS media emulation (e.g. "print"; "" for the default)
    /// through chromedriver's DevTools pass-through.
    pub async fn emulate_media(&self, media: &str) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({ "media": media }),
            })
            .await
            .expect("emulate media");
    }

    /// Ends the session (Chromium quits), then chromedriver on drop.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        end_group(&mut self.driver);
    }
}

/// Kills chromedriver's process group (chromedriver and the Chromium it
/// started) and reaps chromedriver.
fn end_group(driver: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", driver.id())])
        .stderr(Stdio::null())
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
}

/// chromedriver's `goog/cdp/execute`: a DevTools command for the session.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// `rgb(r, g, b)` or `rgba(…)` as computed by the browser.
fn rgb(css: &str) -> [f64; 3] {
    let inner = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')');
    let mut parts = inner
        .split(',')
        .map(|p| p.trim().parse::<f64>().unwrap_or(0.0));
    [
        parts.next().unwrap_or(0.0),
        parts.next().unwrap_or(0.0),
        parts.next().unwrap_or(0.0),
    ]
}

/// WCAG 2.1 contrast ratio of two sRGB colours.
fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let lum = |c: [f64; 3]| {
        let lin = |v: f64| {
            let v = v / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

fn save(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("port").port()
}
