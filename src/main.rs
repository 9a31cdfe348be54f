//! The `renkei` command: parse the CLI, build the configuration, run the subcommand.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use renkei::accounts::store::{self as account_store, NewAccount};
use renkei::accounts::{Role, secret};
use renkei::app;
use renkei::clock::Clock;
use renkei::config::{Config, redact_url};
use renkei::municipalities::{self, NewMunicipality};
use renkei::reminders::RecipientKind;
use renkei::reminders::jobs::{self, JobSet};
use renkei::reminders::sender::send_pending_once;
use renkei::text::SingleLine;
use renkei::wards::{self, NewWard};

// The rows and pages of every request are many small strings; glibc's
// allocator spent a fifth of the server's time on them (BENCHMARKS.md).
// Without transparent huge pages (`no_thp`): with them each arena grew in
// 2 MiB steps and the server's peak memory by 30 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Makes glibc's allocator, which SQLite's C code uses (Rust's goes to
/// mimalloc), keep one heap for all threads. By default each of SQLite's
/// connection threads gets its own heap and keeps what its page cache and
/// sorts once used: 40 MB of the server's peak (BENCHMARKS.md, "List pages").
/// Called first in `main`, before any thread exists, as `mallopt` requires.
fn limit_c_heap_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; no thread runs yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// renkei — 在宅医療・介護連携推進事業の会議と対応策（PDCA）の進捗管理
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
    /// Log line format: `text` for people, `json` for log collectors.
    #[arg(
        long,
        env = "RENKEI_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    /// Which log lines to keep (tracing `EnvFilter` syntax, e.g. `debug` or `info,renkei=debug`).
    #[arg(
        long,
        env = "RENKEI_LOG",
        default_value = "info,sqlx=warn",
        global = true
    )]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the web UI and the API.
    Serve {
        /// Load the demo data (the 24 wards of Osaka City) when the database is new.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to PATH (a new file),
    /// also while `serve` runs. For PostgreSQL it names the pg_dump command.
    Backup { path: std::path::PathBuf },
    /// Manage municipalities.
    #[command(subcommand)]
    Municipality(MunicipalityCommand),
    /// Manage wards.
    #[command(subcommand)]
    Ward(WardCommand),
    /// Scheduled jobs (the files in RENKEI_JOBS_DIR).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Mail settings.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Accounts (bootstrap the first city account here).
    #[command(subcommand)]
    User(UserCommand),
    /// API bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Fill a new database with generated data, for benchmarks (see BENCHMARKS.md).
    Seed {
        /// `national` (about 1,900 areas, 500,000 countermeasures) or `city` (24 wards).
        #[arg(long, value_enum, default_value = "national")]
        scale: SeedScale,
        /// The same number gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The last day of the generated five years (default: today in Asia/Tokyo).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SeedScale {
    National,
    City,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account. The password is read from RENKEI_NEW_PASSWORD or,
    /// when that is unset, from the first line of standard input.
    Add {
        #[arg(long)]
        email: SingleLine,
        /// admin, city, secretariat, member or viewer.
        #[arg(long)]
        role: String,
        /// The municipality's name (not for admin).
        #[arg(long)]
        municipality: Option<String>,
        /// The ward's name (secretariat, member, ward-level viewer).
        #[arg(long)]
        ward: Option<String>,
        /// A display name.
        #[arg(long, default_value = "")]
        name: SingleLine,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a named API token for an account; it is printed once.
    Create {
        #[arg(long)]
        email: SingleLine,
        #[arg(long)]
        name: SingleLine,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List the jobs with their schedule and next run times.
    List,
    /// Run a job once now: queue its reminders and send what is queued.
    Run {
        /// The job's name, e.g. overdue-evaluations.
        name: String,
        /// Print who would get what; queue and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Compute as if today (in Asia/Tokyo) were this date (YYYY-MM-DD).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// The current instant (RFC 3339), for tests of the time-zone rules.
        #[arg(long, hide = true)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send a test message with the current SMTP settings.
    Test {
        /// The address to send to.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum MunicipalityCommand {
    /// List municipalities.
    List,
    /// Add a municipality with its wards (none: one area for the whole municipality).
    Add {
        name: SingleLine,
        /// A ward to create with it; repeat for each ward.
        #[arg(long = "ward")]
        wards: Vec<SingleLine>,
    },
}

#[derive(Subcommand)]
enum WardCommand {
    /// List the wards of every municipality.
    List,
    /// Add a ward to a municipality.
    Add {
        /// The municipality's name.
        #[arg(long)]
        municipality: String,
        name: SingleLine,
    },
}

fn main() -> ExitCode {
    limit_c_heap_arenas();
    let cli = Cli::parse();
    let filter = match tracing_subscriber::EnvFilter::try_new(&cli.log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "error: RENKEI_LOG (--log) {:?} is not a log filter: {e}",
                cli.log
            );
            return ExitCode::FAILURE;
        }
    };
    // Logs on stderr: stdout is the commands' output (a token, a list),
    // which scripts capture.
    // Colours only on a terminal: a file or journald gets plain text.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Serve { demo } => {
            let options = app::Options {
                demo: if demo {
                    app::Demo::WithAccounts
                } else {
                    app::Demo::Off
                },
                ..app::Options::serve()
            };
            let app = app::build(config, options).await?;
            // Shown once, on the terminal of whoever created the demo;
            // demo addresses are not personal data.
            for a in &app.demo_accounts {
                eprintln!(
                    "demo account: {} ({}) password: {}",
                    a.email,
                    a.role.as_str(),
                    a.password
                );
            }
            tracing::info!(addr = %app.server.addr, "serving; stop with Ctrl-C or SIGTERM");
            app.until(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::User(UserCommand::Add {
            email,
            role,
            municipality,
            ward,
            name,
        }) => {
            let db = app::open(&config).await?;
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: admin, city, secretariat, member or viewer")
            })?;
            let municipality_id = match &municipality {
                Some(m) => Some(
                    municipalities::store::find_by_name(&db, m)
                        .await?
                        .with_context(|| format!("no municipality named {m:?}"))?,
                ),
                None => None,
            };
            let ward_id = match (&ward, municipality_id) {
                (Some(w), Some(m)) => Some(
                    wards::store::list(&db, renkei::access::operator().all_wards(), Some(m))
                        .await?
                        .into_iter()
                        .find(|x| &x.name == w)
                        .map(|x| x.id)
                        .with_context(|| format!("no ward named {w:?} in that municipality"))?,
                ),
                (Some(_), None) => anyhow::bail!("--ward needs --municipality"),
                _ => None,
            };
            let password = match std::env::var("RENKEI_NEW_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (first line of standard input):");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            secret::check_password_rules(&password).map_err(user_error)?;
            let hash = secret::hash_password(password).await.map_err(user_error)?;
            let id = account_store::create(
                &db,
                &NewAccount {
                    email: email.into(),
                    display_name: name.into(),
                    role,
                    municipality_id,
                    ward_id,
                    member_id: None,
                    password_hash: Some(hash),
                },
                Some("cli"),
                Clock::System.now(),
            )
            .await
            .map_err(user_error)?;
            println!("created account {id} ({})", role.as_str());
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            let db = app::open(&config).await?;
            let account_id = account_store::id_by_email(&db, &email)
                .await
                .map_err(user_error)?;
            let (id, token) = account_store::create_token(
                &db,
                account_id,
                &name,
                Some("cli"),
                Clock::System.now(),
            )
            .await
            .map_err(user_error)?;
            eprintln!("token {id} created; it is shown only this once:");
            println!("{token}");
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let db = app::open(&config).await?;
            account_store::revoke_token(&db, id, Some("cli"), Clock::System.now())
                .await
                .map_err(user_error)?;
            println!("token {id} revoked");
        }
        Command::Seed { scale, seed, today } => {
            let db = app::open(&config).await?;
            let now = Clock::System.now();
            let today = today.unwrap_or_else(|| renkei::calendar::today(now));
            let mut rng = renkei::random::Rng::new(seed);
            let scale = match scale {
                SeedScale::National => renkei::seed::Scale::national(&mut rng),
                SeedScale::City => renkei::seed::Scale::city(),
            };
            let started = std::time::Instant::now();
            let mut progress = |line: &str| {
                eprintln!("[{:>6.1} s] {line}", started.elapsed().as_secs_f64());
            };
            let t = renkei::seed::load(&db, &scale, seed, today, now, &mut progress)
                .await
                .map_err(user_error)?;
            let [
                municipalities,
                wards,
                _,
                members,
                meetings,
                topics,
                attendees,
                cms,
                events,
                surveys,
                _,
            ] = t.rows;
            println!(
                "seeded in {:.1} s: {municipalities} municipalities, {wards} areas, {members} members, \
                 {meetings} meetings ({topics} topics, {attendees} attendees), {cms} countermeasures \
                 (未具体化 {}, 具体化 {}, 評価改善 {}; {} overdue, {} archived), {events} history rows, \
                 {surveys} surveys",
                started.elapsed().as_secs_f64(),
                t.by_stage[0],
                t.by_stage[1],
                t.by_stage[2],
                t.overdue,
                t.archived,
            );
        }
        Command::Backup { path } => {
            let written = renkei::backup::write(&config.database_url, &path).await?;
            println!("backup written to {}", written.display());
        }
        Command::Migrate => {
            app::open(&config).await?;
            println!("database is up to date");
        }
        Command::Municipality(MunicipalityCommand::List) => {
            let db = app::open(&config).await?;
            for m in
                municipalities::store::list(&db, renkei::access::operator().all_wards()).await?
            {
                println!("{}\t{}\t{} area(s)", m.id, m.name, m.ward_count);
            }
        }
        Command::Municipality(MunicipalityCommand::Add { name, wards }) => {
            let db = app::open(&config).await?;
            let m = municipalities::store::create(
                &db,
                &renkei::access::operator().installation(),
                &NewMunicipality { name, wards },
                Clock::System.now(),
            )
            .await
            .map_err(user_error)?;
            println!(
                "created municipality {} ({}) with {} area(s)",
                m.id, m.name, m.ward_count
            );
        }
        Command::Ward(WardCommand::List) => {
            let db = app::open(&config).await?;
            for w in wards::store::list(&db, renkei::access::operator().all_wards(), None).await? {
                println!("{}\t{}\t{}", w.id, w.municipality_name, w.name);
            }
        }
        Command::Ward(WardCommand::Add { municipality, name }) => {
            let db = app::open(&config).await?;
            let municipality_id = municipalities::store::find_by_name(&db, &municipality)
                .await?
                .with_context(|| format!("no municipality named {municipality:?}"))?;
            let w = wards::store::create(
                &db,
                &renkei::access::operator().city_of(municipality_id),
                &NewWard {
                    municipality_id,
                    name,
                },
                Clock::System.now(),
            )
            .await
            .map_err(user_error)?;
            println!("created ward {} ({})", w.id, w.name);
        }
        Command::Jobs(JobsCommand::List) => {
            let jobs = load_jobs(&config)?;
            let now = Clock::System.now();
            for job in jobs.jobs {
                let next = job.next_run_labels(now, 3);
                println!(
                    "{}\t{}\t{}\t{}\tnext: {}",
                    job.name,
                    if job.enabled { "enabled" } else { "disabled" },
                    job.cron,
                    job.time_zone,
                    next.join(", ")
                );
            }
        }
        Command::Jobs(JobsCommand::Run {
            name,
            dry_run,
            today,
            now,
        }) => {
            let jobs = load_jobs(&config)?;
            let job = jobs.get(&name).cloned().with_context(|| {
                format!("no job named {name:?} in {}", config.jobs_dir.display())
            })?;
            let db = app::open(&config).await?;
            let now = now.unwrap_or_else(|| Clock::System.now());
            let today = today.unwrap_or_else(|| renkei::calendar::today(now));
            let report = jobs::run_job_once(&db, &job, &config.base_url, today, now, dry_run)
                .await
                .map_err(user_error)?;
            // Recipients by member or ward id: addresses stay out of terminals and logs.
            println!("today: {}", report.today);
            for owed in &report.owed {
                let who = match (owed.kind, owed.member_id) {
                    (RecipientKind::Owner, Some(m)) => format!("member {m}"),
                    (RecipientKind::Owner, None) => "owner".to_string(),
                    (RecipientKind::Secretariat, _) => {
                        format!("secretariat of ward {}", owed.ward_id)
                    }
                };
                let items: Vec<String> = owed
                    .items
                    .iter()
                    .map(|(id, days)| format!("{id}({days:+})"))
                    .collect();
                println!(
                    "{}{who}: {} [{}]",
                    if owed.already_queued {
                        "(already queued) "
                    } else {
                        ""
                    },
                    owed.subject,
                    items.join(" ")
                );
            }
            if dry_run {
                println!(
                    "dry run: {} message(s) would be queued; {} item(s) have no address",
                    report.owed.iter().filter(|o| !o.already_queued).count(),
                    report.undeliverable
                );
            } else {
                let mailer = app::mailer(&config)?;
                let sent = send_pending_once(&db, &mailer, now)
                    .await
                    .map_err(user_error)?;
                println!(
                    "queued {}; sent {}, retrying {}, failed {}, refused {}, cancelled {}; {} reminder(s) have no address",
                    report.queued,
                    sent.sent,
                    sent.retrying,
                    sent.failed,
                    sent.refused,
                    sent.cancelled,
                    report.undeliverable
                );
            }
        }
        Command::Mail(MailCommand::Test { to }) => {
            let mailer = app::mailer(&config)?;
            let now = Clock::System.now();
            let id = format!(
                "<test.{}@renkei.invalid>",
                now.timestamp_nanos_opt().unwrap_or_default()
            );
            mailer
                .send(
                    &to,
                    &id,
                    "【renkei】テストメール",
                    "renkei からのテストメールです。このメールが届いていれば、送信の設定は正しく動いています。",
                    "<p>renkei からのテストメールです。このメールが届いていれば、送信の設定は正しく動いています。</p>",
                )
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "the SMTP server did not accept the test message ({}): {}",
                        if e.permanent { "permanent" } else { "temporary" },
                        e.message
                    )
                })?;
            println!("test message sent via {}", redact_url(&config.smtp_url));
        }
    }
    Ok(())
}

/// The job files, each checked to run within the next years.
fn load_jobs(config: &Config) -> anyhow::Result<JobSet> {
    Ok(JobSet::load(&config.jobs_dir, Clock::System.now())?)
}

/// An application error as a CLI message, with field details.
fn user_error(e: renkei::error::AppError) -> anyhow::Error {
    let fields: Vec<String> = e
        .field_errors()
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.is_empty() {
        anyhow::anyhow!(e.public_message())
    } else {
        anyhow::anyhow!("{} ({})", e.public_message(), fields.join(", "))
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
