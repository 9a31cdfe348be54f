//! Wires the parts into a running application: the only place that does.
//! [`build`] opens and migrates the database, loads the demo data when
//! asked, loads the job files and the mail settings once, and starts the
//! server and (when asked) the scheduler. `renkei serve` and the tests both
//! start the application through it.

use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::demo::DemoAccount;
use crate::error::AppError;
use crate::mail::{MailConfigError, Mailer};
use crate::reminders::jobs::{JobFileError, JobSet, Scheduler};
use crate::state::AppState;

/// What [`build`] does beyond the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Where "now" comes from (a fixed instant in tests).
    pub clock: Clock,
    /// Load the demo data (the 24 wards of Osaka City) into a new database.
    pub demo: Demo,
    /// Run the scheduled jobs and send the outbox in this process.
    pub scheduler: bool,
}

/// Whether and how much demo data a new database gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demo {
    Off,
    /// The wards, members, meetings and countermeasures.
    Data,
    /// The data and one account per role (their passwords are returned once).
    WithAccounts,
}

impl Options {
    /// The system clock, no demo data, the scheduler running: `renkei serve`.
    pub fn serve() -> Self {
        Self {
            clock: Clock::System,
            demo: Demo::Off,
            scheduler: true,
        }
    }

    /// A fixed clock, no demo data, no scheduler: tests and benchmarks,
    /// which run jobs and send mail at the instants they choose.
    pub fn at(clock: Clock) -> Self {
        Self {
            clock,
            demo: Demo::Off,
            scheduler: false,
        }
    }
}

/// Why the application did not start, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot open the database: {0}")]
    Database(#[source] anyhow::Error),
    #[error(transparent)]
    Jobs(#[from] JobFileError),
    #[error(transparent)]
    Mail(#[from] MailConfigError),
    #[error("cannot load the demo data: {}", .0.public_message())]
    Demo(#[source] AppError),
    #[error("cannot listen on the configured address: {0}")]
    Listen(#[source] std::io::Error),
}

/// The running application.
pub struct App {
    /// What the handlers reach (pool, clock, mailer, job set).
    pub state: AppState,
    /// The server accepting connections.
    pub server: Running,
    scheduler: Option<Scheduler>,
    /// With the scheduler: the task that prepares the dashboards' overview
    /// parts once a day ([`prepare_overviews`]).
    overviews: Option<tokio::task::JoinHandle<()>>,
    /// The demo accounts created by this start (only with
    /// [`Demo::WithAccounts`] on a new database), passwords included:
    /// show them once, never log them.
    pub demo_accounts: Vec<DemoAccount>,
}

impl App {
    /// `http://host:port` of the server.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Runs until `signal` completes, then stops: the scheduler hears the
    /// signal as the listener does, so it stops claiming messages while the
    /// last requests finish.
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        let App {
            state,
            server,
            scheduler,
            overviews,
            ..
        } = self;
        let result = server
            .until(async {
                signal.await;
                if let Some(s) = &scheduler {
                    s.request_stop();
                }
            })
            .await;
        if let Some(s) = scheduler {
            s.stop().await;
        }
        if let Some(task) = overviews {
            // Nothing is lost: a part not stored is computed by its next view.
            task.abort();
        }
        state.db.pool.close().await;
        result
    }

    /// Stops now (see [`Self::until`]).
    pub async fn stop(self) -> std::io::Result<()> {
        self.until(async {}).await
    }
}

/// The SMTP mailer from the mail settings, with the configured lease.
/// Errors: an SMTP URL or sender address that cannot be used.
pub fn mailer(config: &Config) -> Result<Mailer, MailConfigError> {
    Ok(Mailer::new(&config.smtp_url, &config.mail_from)?
        .with_lease(Duration::from_secs(config.send_lease_secs))
        .with_base_url(&config.base_url))
}

/// Opens the database and brings its schema up to date.
pub async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

/// Builds and starts the application. The job files and the mail settings
/// are checked before anything is served: a bad file must stop startup,
/// not fail silently at 09:00.
pub async fn build(config: Config, options: Options) -> Result<App, BuildError> {
    let now = options.clock.now();
    let jobs = JobSet::load(&config.jobs_dir, now)?;
    if jobs.built_in {
        tracing::info!("no jobs directory here: using the job files built into renkei");
    }
    let mailer = mailer(&config)?;
    let db = open(&config).await.map_err(BuildError::Database)?;
    let mut demo_accounts = Vec::new();
    if options.demo != Demo::Off
        && crate::demo::load_if_empty(&db, now)
            .await
            .map_err(BuildError::Demo)?
    {
        tracing::info!("demo data loaded");
        if options.demo == Demo::WithAccounts {
            demo_accounts = crate::demo::create_accounts(&db, now)
                .await
                .map_err(BuildError::Demo)?;
        }
    }
    let state = AppState {
        db,
        clock: options.clock,
        config: Arc::new(config),
        mailer,
        jobs: Arc::new(jobs),
        charts: crate::charts::Cache::default(),
        lists: crate::countermeasures::cache::ListCache::default(),
    };
    let server = start(state.clone()).await.map_err(BuildError::Listen)?;
    let scheduler = options.scheduler.then(|| {
        Scheduler::spawn(
            state.db.clone(),
            state.clock,
            state.jobs.jobs.clone(),
            state.mailer.clone(),
            state.config.base_url.clone(),
        )
    });
    let overviews = options
        .scheduler
        .then(|| tokio::spawn(prepare_overviews(state.db.clone(), state.clock)));
    Ok(App {
        state,
        server,
        scheduler,
        overviews,
        demo_accounts,
    })
}

/// Prepares every ward's dashboard overview parts at startup and on each
/// new day (Asia/Tokyo), checking once a minute: a new day makes every
/// stored part outdated, and 1,000 first views a second would otherwise
/// queue behind their computation for seconds (BENCHMARKS.md). A failed
/// pass is logged and tried again the next minute.
async fn prepare_overviews(db: crate::db::Db, clock: crate::clock::Clock) {
    let mut prepared = None;
    loop {
        let today = clock.today();
        if prepared != Some(today) {
            let started = std::time::Instant::now();
            match crate::dashboard::store::prepare_all(&db, today).await {
                Ok(wards) => {
                    tracing::info!(
                        wards,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "dashboard overviews prepared"
                    );
                    prepared = Some(today);
                }
                Err(e) => tracing::warn!(error = %e, "preparing dashboard overviews failed"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}

/// A server that is accepting connections.
pub struct Running {
    /// The bound address (the real port when 0 was asked for).
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Runs until the shutdown signal future completes, then stops gracefully.
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        signal.await;
        self.stop().await
    }
}

/// Binds the listener first (so port 0 works and the caller learns the
/// port), then serves `state` in a background task.
async fn start(state: AppState) -> std::io::Result<Running> {
    let acceptor = TcpListener::bind(state.config.addr).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))?;
    let routes = crate::http::routes(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                routes,
                async move {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(30)),
            )
            .await
    });
    Ok(Running {
        addr,
        stop: Some(stop),
        task,
    })
}
