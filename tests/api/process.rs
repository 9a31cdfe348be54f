//! The real binary, as a newcomer runs it: `renkei serve --demo` on a new
//! database (a SQLite file, or an empty PostgreSQL database when the run is
//! on PostgreSQL), then SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::TestDatabase;

#[tokio::test]
async fn serve_demo_creates_the_database_serves_and_stops_cleanly_on_sigterm() {
    let database = TestDatabase::create().await;
    let child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["serve", "--demo"])
        // Outside the repository, as an installed binary runs: the job
        // files built into it stand in for `jobs/`.
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", &database.url)
        .env("RENKEI_ADDR", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .env("RENKEI_LOG", "info")
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start renkei");
    // A failed assertion must not leave the server running.
    let mut child = KillOnDrop(child);

    // The log line (on stderr) announcing the bound address tells the port.
    let log_stream = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(log_stream).lines().map_while(Result::ok) {
            // Our own "serving" line; poem logs its listener too, in another form.
            if let Some(addr) = line
                .contains("serving")
                .then(|| line.split("addr=").nth(1))
                .flatten()
            {
                let _ = tx.send(addr.split_whitespace().next().unwrap_or("").to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("server announced its address");

    // Sign in as the demo city account through a token made with the CLI.
    let made = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args([
            "token",
            "create",
            "--email",
            "city@demo.example.jp",
            "--name",
            "process-test",
        ])
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("renkei token create");
    assert!(made.status.success(), "{made:?}");
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let health = client
        .get(format!("http://{addr}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let wards: serde_json::Value = client
        .get(format!("http://{addr}/api/wards"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = wards["items"].as_array().unwrap();
    assert_eq!(items.len(), 24, "the 24 wards of Osaka City");
    assert!(items.iter().any(|w| w["name"] == "西成区"));
    assert!(
        items
            .iter()
            .map(|w| w["overdue_count"].as_i64().unwrap())
            .sum::<i64>()
            > 0,
        "some overdue"
    );
    let members: serde_json::Value = client
        .get(format!("http://{addr}/api/wards/1/members"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first_member = members["items"][0].clone();

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    if let Some(file) = database.sqlite_path() {
        assert!(file.exists(), "the SQLite file was created");
    }

    // Logs: one line per request, and no personal data of members.
    let log = reader.join().unwrap();
    assert!(
        log.contains("path=/api/wards/1/members") && log.contains("status=200"),
        "{log}"
    );
    let name = first_member["name"].as_str().unwrap();
    let email = first_member["email"].as_str().unwrap();
    assert!(
        !log.contains(name) && !log.contains(email),
        "personal data leaked into the log"
    );
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // Already exited when the test got that far: both calls then fail harmlessly.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
