//! The `renkei` command: parse the CLI, build the configuration, run the subcommand.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use renkei::app::{self, AppState, Clock};
use renkei::config::Config;
use renkei::db::Db;
use renkei::municipalities::{self, NewMunicipality};
use renkei::wards::{self, NewWard};

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
    /// Manage municipalities.
    #[command(subcommand)]
    Municipality(MunicipalityCommand),
    /// Manage wards.
    #[command(subcommand)]
    Ward(WardCommand),
}

#[derive(Subcommand)]
enum MunicipalityCommand {
    /// List municipalities.
    List,
    /// Add a municipality with its wards (none: one area for the whole municipality).
    Add {
        name: String,
        /// A ward to create with it; repeat for each ward.
        #[arg(long = "ward")]
        wards: Vec<String>,
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
        name: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RENKEI_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
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

async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Serve { demo } => {
            let db = open(&config).await?;
            if demo {
                let clock = Clock::System;
                if renkei::demo::load_if_empty(&db, clock.now()).await? {
                    tracing::info!("demo data loaded");
                }
            }
            let state = AppState {
                db,
                clock: Clock::System,
                config: Arc::new(config),
            };
            let running = app::start(state.clone()).await.context("cannot listen")?;
            tracing::info!(addr = %running.addr, "serving; stop with Ctrl-C or SIGTERM");
            running.until(shutdown_signal()).await?;
            state.db.pool.close().await;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            open(&config).await?;
            println!("database is up to date");
        }
        Command::Municipality(MunicipalityCommand::List) => {
            let db = open(&config).await?;
            for m in municipalities::store::list(&db).await? {
                println!("{}\t{}\t{} area(s)", m.id, m.name, m.ward_count);
            }
        }
        Command::Municipality(MunicipalityCommand::Add { name, wards }) => {
            let db = open(&config).await?;
            let m = municipalities::store::create(
                &db,
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
            let db = open(&config).await?;
            for w in wards::store::list(&db, None).await? {
                println!("{}\t{}\t{}", w.id, w.municipality_name, w.name);
            }
        }
        Command::Ward(WardCommand::Add { municipality, name }) => {
            let db = open(&config).await?;
            let municipality_id = municipalities::store::find_by_name(&db, &municipality)
                .await?
                .with_context(|| format!("no municipality named {municipality:?}"))?;
            let w = wards::store::create(
                &db,
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
    }
    Ok(())
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
