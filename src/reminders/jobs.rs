//! Scheduled jobs: their TOML files in `jobs/`, one pass of the overdue
//! reminder job, and the in-process scheduler `renkei serve` runs.
//!
//! A job file is read and checked at startup; a bad file or cron
//! expression stops the service with a message naming the file, rather
//! than a schedule that silently never fires.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;

use super::mail::render_digest;
use super::sender::send_pending;
use super::store::{self, NewMessage};
use super::{Candidate, Digest, Overrides, Params, RecipientKind, horizon, plan};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;

/// The overdue-evaluation reminder, the one job this version knows.
pub const OVERDUE_EVALUATIONS: &str = "overdue-evaluations";
const KNOWN_JOBS: [&str; 1] = [OVERDUE_EVALUATIONS];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    name: String,
    cron: String,
    time_zone: String,
    enabled: bool,
    parameters: Params,
}

/// A checked job definition.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub file: PathBuf,
    pub cron: String,
    pub schedule: cron::Schedule,
    pub time_zone: Tz,
    pub enabled: bool,
    pub params: Params,
}

impl Job {
    /// The next `n` run times after `now`, in the job's time zone.
    pub fn next_runs(&self, now: DateTime<Utc>, n: usize) -> Vec<DateTime<Tz>> {
        self.schedule
            .after(&now.with_timezone(&self.time_zone))
            .take(n)
            .collect()
    }

    /// The next `n` run times as `jobs list` and `/jobs` print them:
    /// `2026-12-01 09:00（火）`, so the weekday a schedule means is visible.
    pub fn next_run_labels(&self, now: DateTime<Utc>, n: usize) -> Vec<String> {
        self.next_runs(now, n)
            .iter()
            .map(|t| {
                format!(
                    "{}（{}）",
                    t.format("%Y-%m-%d %H:%M"),
                    crate::calendar::weekday_ja(t.weekday())
                )
            })
            .collect()
    }

    /// Refuses a schedule that would not run within [`MUST_RUN_WITHIN_YEARS`]
    /// of `now` (31 February, a past year): it would silently never remind.
    pub fn check_runs(&self, now: DateTime<Utc>) -> Result<(), JobFileError> {
        let limit = now
            .checked_add_months(chrono::Months::new(12 * MUST_RUN_WITHIN_YEARS))
            .unwrap_or(now);
        match self.next_runs(now, 1).first() {
            Some(t) if t.with_timezone(&Utc) <= limit => Ok(()),
            _ => Err(JobFileError {
                file: self.file.display().to_string(),
                problem: format!(
                    "the cron expression {:?} never runs in the next {MUST_RUN_WITHIN_YEARS} years",
                    self.cron
                ),
            }),
        }
    }
}

/// A schedule must run at least once this many years ahead to be accepted.
pub const MUST_RUN_WITHIN_YEARS: u32 = 5;

/// Checks every job's schedule at `now` (see [`Job::check_runs`]); startup
/// calls it so a schedule that never fires stops `renkei serve`.
pub fn check_schedules(jobs: &[Job], now: DateTime<Utc>) -> Result<(), JobFileError> {
    jobs.iter().try_for_each(|j| j.check_runs(now))
}

/// A job file that cannot be used: which file, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("job file {file}: {problem}")]
pub struct JobFileError {
    pub file: String,
    pub problem: String,
}

/// Parses and checks one job file's text.
pub fn parse_job(file: &Path, text: &str) -> Result<Job, JobFileError> {
    let err = |problem: String| JobFileError {
        file: file.display().to_string(),
        problem,
    };
    let raw: JobFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    if !KNOWN_JOBS.contains(&raw.name.as_str()) {
        return Err(err(format!(
            "unknown job name {:?} (known: {})",
            raw.name,
            KNOWN_JOBS.join(", ")
        )));
    }
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if stem != raw.name {
        return Err(err(format!(
            "the file name must be the job name: {}.toml",
            raw.name
        )));
    }
    let invalid = |e: String| {
        err(format!(
            "invalid cron expression {:?}: {e} (six fields, seconds first; weekdays as in crontab, 0 or 7 = Sunday: \"0 0 9 * * 1-5\")",
            raw.cron
        ))
    };
    let translated = super::crontab::translate(&raw.cron).map_err(invalid)?;
    let schedule = cron::Schedule::from_str(&translated).map_err(|e| invalid(e.to_string()))?;
    let time_zone = Tz::from_str(&raw.time_zone)
        .map_err(|_| err(format!("unknown time zone {:?}", raw.time_zone)))?;
    raw.parameters.validate().map_err(|e| {
        let details: Vec<String> = e
            .field_errors()
            .iter()
            .map(|f| format!("parameters.{}: {}", f.field, f.message))
            .collect();
        err(details.join("; "))
    })?;
    Ok(Job {
        name: raw.name,
        file: file.to_path_buf(),
        cron: raw.cron,
        schedule,
        time_zone,
        enabled: raw.enabled,
        params: raw.parameters,
    })
}

/// The jobs directory's default (`RENKEI_JOBS_DIR`), relative to the
/// working directory.
pub const DEFAULT_DIR: &str = "jobs";

/// The repository's job files, built into the binary: what runs when the
/// default directory is missing.
const BUILT_IN: &[(&str, &str)] = &[(
    "overdue-evaluations.toml",
    include_str!("../../jobs/overdue-evaluations.toml"),
)];

/// Reads every `*.toml` in `dir`, sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<Job>, JobFileError> {
    read_files(dir)?
        .iter()
        .map(|(file, text)| parse_job(file, text))
        .collect()
}

/// Each `*.toml` file of `dir` with its text, sorted by name.
fn read_files(dir: &Path) -> Result<Vec<(PathBuf, String)>, JobFileError> {
    let entries = std::fs::read_dir(dir).map_err(|e| JobFileError {
        file: dir.display().to_string(),
        problem: format!("cannot read the jobs directory ({e}); set RENKEI_JOBS_DIR"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| match std::fs::read_to_string(&file) {
            Ok(text) => Ok((file, text)),
            Err(e) => Err(JobFileError {
                file: file.display().to_string(),
                problem: e.to_string(),
            }),
        })
        .collect()
}

/// The job files as loaded once at start (`app::build`): what the scheduler
/// runs and what the pages show. Each file's text is kept so `/jobs` can
/// say when the disk no longer matches (an edit takes effect on restart).
#[derive(Debug, Clone, Default)]
pub struct JobSet {
    /// The directory read (`RENKEI_JOBS_DIR`).
    pub dir: PathBuf,
    /// The checked jobs, by file name.
    pub jobs: Vec<Job>,
    texts: Vec<(PathBuf, String)>,
    /// The files built into the binary are in use (no `jobs/` directory).
    pub built_in: bool,
}

impl JobSet {
    /// Reads and checks every job file of `dir`, each to run within the
    /// next years from `now`. Errors: the first file that cannot be used.
    /// When `dir` is the default `jobs` and there is no such directory
    /// (the binary run outside the repository), the job files built into
    /// the binary are used: those of the repository's `jobs/`.
    pub fn load(dir: &Path, now: DateTime<Utc>) -> Result<Self, JobFileError> {
        let built_in = dir == Path::new(DEFAULT_DIR) && !dir.exists();
        let texts = if built_in {
            BUILT_IN
                .iter()
                .map(|(file, text)| (Path::new(DEFAULT_DIR).join(file), text.to_string()))
                .collect()
        } else {
            read_files(dir)?
        };
        let jobs = texts
            .iter()
            .map(|(file, text)| parse_job(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        check_schedules(&jobs, now)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            jobs,
            texts,
            built_in,
        })
    }

    /// The job of that name.
    pub fn get(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// The overdue job's parameters, before municipality overrides (the
    /// defaults when there is no such job).
    pub fn overdue_params(&self) -> Params {
        self.get(OVERDUE_EVALUATIONS)
            .map(|j| j.params)
            .unwrap_or_default()
    }

    /// How the directory differs from the loaded set now, one line per
    /// file (変更 / 追加 / 削除), or why it cannot be read; empty when the
    /// same.
    pub fn changed_on_disk(&self) -> Vec<String> {
        if self.built_in {
            // Nothing on disk to compare with.
            return Vec::new();
        }
        let now = match read_files(&self.dir) {
            Ok(t) => t,
            Err(e) => return vec![e.to_string()],
        };
        let name = |p: &Path| p.display().to_string();
        let mut lines = Vec::new();
        for (file, text) in &now {
            match self.texts.iter().find(|(f, _)| f == file) {
                Some((_, loaded)) if loaded == text => {}
                Some(_) => lines.push(format!("{}: 変更されています", name(file))),
                None => lines.push(format!("{}: 追加されています", name(file))),
            }
        }
        for (file, _) in &self.texts {
            if !now.iter().any(|(f, _)| f == file) {
                lines.push(format!("{}: 削除されています", name(file)));
            }
        }
        lines
    }
}

/// One message a run owes (or, in a dry run, would owe).
#[derive(Debug, Clone)]
pub struct Owed {
    pub kind: RecipientKind,
    pub member_id: Option<i64>,
    pub ward_id: i64,
    /// (countermeasure id, days overdue) in digest order.
    pub items: Vec<(i64, i64)>,
    pub subject: String,
    /// Already queued by an earlier run: not queued again.
    pub already_queued: bool,
}

/// What one pass of a job did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub today: NaiveDate,
    pub owed: Vec<Owed>,
    pub queued: usize,
    pub undeliverable: usize,
}

/// A stable, unique Message-ID derived from the idempotency key (FNV-1a,
/// which unlike std's hasher does not change between Rust releases).
fn message_id(key: &str, base_url: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("renkei.invalid");
    format!("<reminder.{h:016x}.{}@{host}>", key.len())
}

/// Computes what is owed `today` and, unless `dry_run`, queues it in one
/// transaction. A second run the same day finds every key queued already
/// and queues nothing.
pub async fn run_job_once(
    db: &Db,
    job: &Job,
    base_url: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
    dry_run: bool,
) -> AppResult<RunReport> {
    if job.name != OVERDUE_EVALUATIONS {
        return Err(AppError::Internal(anyhow::anyhow!(
            "unknown job {}",
            job.name
        )));
    }
    let run_id = if dry_run {
        None
    } else {
        Some(store::start_run(db, &job.name, today, now).await?)
    };
    run_recorded(db, job, base_url, run_id, today, now, dry_run).await
}

/// Does the work of a run already recorded as `run_id` ('running': see
/// [`store::start_run`], [`store::claim_run`]) and records its result.
async fn run_recorded(
    db: &Db,
    job: &Job,
    base_url: &str,
    run_id: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
    dry_run: bool,
) -> AppResult<RunReport> {
    let result = compute_and_queue(db, job, base_url, today, now, dry_run).await;
    if let Some(run_id) = run_id {
        let outcome = match &result {
            Ok(r) => Ok((r.queued, r.owed.len() - r.queued, r.undeliverable)),
            Err(_) => Err("内部エラーで実行できませんでした"),
        };
        store::finish_run(db, run_id, outcome, now).await?;
    }
    result
}

/// The countermeasures a run may remind of today, with every municipality's
/// overrides of `base` (the horizon depends on them).
pub async fn overdue_scan(
    db: &Db,
    base: Params,
    today: NaiveDate,
) -> AppResult<(Vec<Candidate>, HashMap<i64, Overrides>)> {
    let overrides = store::all_overrides(db).await?;
    let until = horizon(today, base, overrides.values());
    Ok((store::candidates(db, until).await?, overrides))
}

async fn compute_and_queue(
    db: &Db,
    job: &Job,
    base_url: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
    dry_run: bool,
) -> AppResult<RunReport> {
    let base = job.params;
    let (candidates, overrides) = overdue_scan(db, base, today).await?;
    let ledger = store::ledger(db, horizon(today, base, overrides.values())).await?;
    let plan = plan(
        today,
        &candidates,
        |m| overrides.get(&m).map(|o| o.apply(base)).unwrap_or(base),
        &ledger,
    );
    let mut rendered = Vec::with_capacity(plan.digests.len());
    for d in &plan.digests {
        let key = d.idempotency_key(&job.name, today);
        let r = render_digest(d, base_url)?;
        rendered.push((d, key, r));
    }
    let keys: Vec<&str> = rendered.iter().map(|(_, key, _)| key.as_str()).collect();
    let existing = store::existing_keys(db, &keys).await?;
    let owed: Vec<_> = rendered
        .iter()
        .map(|(d, key, r)| owed_of(d, &r.subject, existing.contains(key)))
        .collect();
    let queued = if dry_run {
        0
    } else {
        let messages: Vec<NewMessage<'_>> = rendered
            .iter()
            .map(|(d, key, r)| NewMessage {
                digest: d,
                message_id: message_id(key, base_url),
                idempotency_key: key.clone(),
                subject: r.subject.clone(),
                text: r.text.clone(),
                html: r.html.clone(),
                max_attempts: base.max_attempts,
            })
            .collect();
        store::queue(db, &job.name, today, &messages, now).await?
    };
    Ok(RunReport {
        today,
        owed,
        queued,
        undeliverable: plan.undeliverable,
    })
}

fn owed_of(d: &Digest, subject: &str, already_queued: bool) -> Owed {
    Owed {
        kind: d.kind,
        member_id: d.member_id,
        ward_id: d.ward_id,
        items: d.items.iter().map(|i| (i.id, i.days_overdue)).collect(),
        subject: subject.to_string(),
        already_queued,
    }
}

// ---------------------------------------------------------------------------
// The scheduler
//
// Each wake-up runs a job when its latest scheduled time has no completed
// run started at or after it (see [`owes_run`]): the cron time just reached,
// and after downtime or a crash the one missed (once, however many were
// missed). Runs are leased in `job_runs`, so several instances on one
// database start each owed run once, and a run whose process died is marked
// interrupted (中断) when its lease runs out, then caught up.

/// How often the sender looks for due (and retrying) messages between job runs.
const SEND_TICK: Duration = Duration::from_secs(30);

/// The windows [`Job::latest_at_or_before`] looks back through, nearest
/// first, before narrowing down by bisection; 3,000 days reach back past
/// every 29 February. A schedule with no time in them has nothing to catch
/// up.
const LOOK_BACK_DAYS: [i64; 6] = [1, 8, 32, 400, 1500, 3000];

impl Job {
    /// The latest scheduled time at or before `now`, if any within
    /// [`LOOK_BACK_DAYS`]. This uses only the crate's forward look-up
    /// (`after`, as [`Job::next_runs`] does; its iterator's backward walk,
    /// `next_back`, is undocumented and not relied on): it finds the nearest
    /// window (the last hour, then growing windows) whose first time after
    /// its start is not after `now`, then bisects it down to one second:
    /// about 25 look-ups whatever the schedule, where walking a window of a
    /// per-second schedule would take millions.
    pub fn latest_at_or_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let fires_by_now = |from: DateTime<Utc>| next_after(self, from).is_some_and(|t| t <= now);
        let windows = std::iter::once(TimeDelta::hours(1))
            .chain(LOOK_BACK_DAYS.iter().map(|d| TimeDelta::days(*d)));
        let mut lo = windows.map(|w| now - w).find(|from| fires_by_now(*from))?;
        // Invariant: a time in (lo, now]; none in (hi, now] (`after` is strict).
        let mut hi = now;
        while hi - lo > TimeDelta::seconds(1) {
            let mid = lo + (hi - lo) / 2;
            if fires_by_now(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // (lo, hi] is at most a second long, so it holds one whole second:
        // the first time after lo is the last one up to now.
        next_after(self, lo)
    }
}

/// Whether a job whose latest scheduled time is `latest` is owed a run, given
/// its recorded runs: when no completed run (ok or error; an interrupted one
/// does not count) started at or after `latest`, and no other run holds a
/// live lease. A job that never ran (a new installation) runs only for a
/// time after the scheduler `started`: it waits for its next cron time
/// instead of running at startup.
pub fn owes_run(latest: DateTime<Utc>, started: DateTime<Utc>, facts: &store::RunFacts) -> bool {
    !facts.live
        && facts.last_completed.is_none_or(|t| t < latest)
        && (facts.ever_ran || latest > started)
}

/// The scheduler task started by `renkei serve`.
pub struct Scheduler {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    /// Runs each enabled job when a run is owed ([`run_due_jobs`]: at its
    /// cron times, and at startup when one was missed) and drains the outbox
    /// every [`SEND_TICK`]. Errors are logged and the loop goes on: a
    /// database hiccup must not stop reminders for good.
    pub fn spawn(db: Db, clock: Clock, jobs: Vec<Job>, mailer: Mailer, base_url: String) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let jobs: Vec<Job> = jobs.into_iter().filter(|j| j.enabled).collect();
            let started = clock.now();
            let mut first = true;
            while !*stopped.borrow() {
                let now = clock.now();
                run_due_jobs(&db, &jobs, &base_url, started, now).await;
                if std::mem::take(&mut first) {
                    // After the startup catch-up: what runs next, and when.
                    for job in &jobs {
                        let next = job.next_run_labels(now, 1);
                        tracing::info!(job = %job.name, next = %next.join(""), "job scheduled");
                    }
                }
                // Every wake-up drains the outbox: on the first one this
                // delivers whatever an earlier process left queued or in
                // flight; a pass with nothing due is one query.
                if let Err(e) = send_pending(&db, &mailer, clock.now(), stopped.clone()).await {
                    tracing::error!(error = %e, "sending reminders failed");
                }
                let wait = match jobs.iter().filter_map(|j| next_after(j, now)).min() {
                    Some(t) => (t - clock.now()).to_std().unwrap_or(Duration::ZERO),
                    None => SEND_TICK,
                }
                .min(SEND_TICK);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Self { stop, task }
    }

    /// Asks the scheduler to stop: no job starts and no message is claimed
    /// after this; the messages in flight get
    /// [`SHUTDOWN_GRACE`](super::sender::SHUTDOWN_GRACE) to finish.
    pub fn request_stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops (see [`Self::request_stop`]) and waits for the scheduler task:
    /// a job run in progress finishes, sending is cut short.
    pub async fn stop(self) {
        self.request_stop();
        let _ = self.task.await;
    }
}

/// One scheduler step at `now`, for a scheduler that `started` then: marks
/// interrupted the runs (of any job, any instance) whose lease ran out, then
/// runs once each enabled job that [`owes_run`] at its latest scheduled time,
/// and returns what each run did. A failed run is recorded and logged, and
/// waits for the job's next time. The scheduler calls this on every wake-up
/// (the first included); tests call it with the instants they want.
pub async fn run_due_jobs(
    db: &Db,
    jobs: &[Job],
    base_url: &str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<RunReport> {
    match store::interrupt_expired_runs(db, now).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            runs = n,
            "job runs marked interrupted: their process stopped before recording a result"
        ),
        Err(e) => tracing::error!(error = %e, "cannot mark interrupted job runs"),
    }
    let today = crate::calendar::today(now);
    let mut reports = Vec::new();
    for job in jobs.iter().filter(|j| j.enabled) {
        let Some(latest) = job.latest_at_or_before(now) else {
            continue;
        };
        let claimed = store::claim_run(db, &job.name, today, now, |facts| {
            owes_run(latest, started, facts)
        })
        .await;
        let run_id = match claimed {
            Ok(Some(id)) => id,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(job = %job.name, error = %e, "cannot start the job");
                continue;
            }
        };
        match run_recorded(db, job, base_url, Some(run_id), today, now, false).await {
            Ok(r) => {
                tracing::info!(
                    job = %job.name,
                    %today,
                    scheduled = %latest,
                    queued = r.queued,
                    owed = r.owed.len(),
                    undeliverable = r.undeliverable,
                    "job ran"
                );
                reports.push(r);
            }
            Err(e) => tracing::error!(job = %job.name, error = %e, "job failed"),
        }
    }
    reports
}

fn next_after(job: &Job, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    job.next_runs(now, 1)
        .into_iter()
        .next()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_job_files_are_the_repositorys() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_DIR);
        let on_disk: Vec<(String, String)> = read_files(&dir)
            .unwrap()
            .into_iter()
            .map(|(f, t)| (f.file_name().unwrap().to_string_lossy().into_owned(), t))
            .collect();
        let built_in: Vec<(String, String)> = BUILT_IN
            .iter()
            .map(|(f, t)| (f.to_string(), t.to_string()))
            .collect();
        assert_eq!(on_disk, built_in);
    }

    use super::*;

    const GOOD: &str = r#"
name = "overdue-evaluations"
cron = "0 0 9 * * Mon-Fri"
time_zone = "Asia/Tokyo"
enabled = true
[parameters]
days_before_due = 7
repeat_interval_days = 7
escalation_after_days = 14
max_attempts = 8
"#;

    fn path() -> PathBuf {
        PathBuf::from("jobs/overdue-evaluations.toml")
    }

    #[test]
    fn a_good_file_parses_and_runs_at_nine_in_tokyo() {
        let job = parse_job(&path(), GOOD).unwrap();
        let now: DateTime<Utc> = "2026-11-24T03:00:00Z".parse().unwrap(); // Tue 12:00 JST
        let next = job.next_runs(now, 2);
        assert_eq!(next[0].to_rfc3339(), "2026-11-25T09:00:00+09:00");
        assert_eq!(next[1].to_rfc3339(), "2026-11-26T09:00:00+09:00");
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let e = parse_job(&path(), &GOOD.replace("0 0 9 * * Mon-Fri", "0 9 * *")).unwrap_err();
        assert!(e.to_string().contains("overdue-evaluations.toml"), "{e}");
        assert!(e.to_string().contains("invalid cron expression"), "{e}");
        let e = parse_job(&path(), &GOOD.replace("Asia/Tokyo", "Asia/Tokio")).unwrap_err();
        assert!(e.to_string().contains("unknown time zone"), "{e}");
        let e = parse_job(&path(), &GOOD.replace("max_attempts = 8", "")).unwrap_err();
        assert!(e.to_string().contains("max_attempts"), "{e}");
        let e = parse_job(
            &path(),
            &GOOD.replace("repeat_interval_days = 7", "repeat_interval_days = 0"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("repeat_interval_days"), "{e}");
    }

    #[test]
    fn crontab_weekdays_run_on_the_days_they_name() {
        // Tuesday 2026-11-24 12:00 JST.
        let now: DateTime<Utc> = "2026-11-24T03:00:00Z".parse().unwrap();
        for (field, expected) in [
            ("1-5", "水木金月火"),
            ("MON-FRI", "水木金月火"),
            ("0", "日日日日日"),
            ("7", "日日日日日"),
            ("SUN", "日日日日日"),
            ("5-7", "金土日金土"),
            ("*/2", "木土日火木"),
            ("1", "月月月月月"),
        ] {
            let job = parse_job(
                &path(),
                &GOOD.replace("0 0 9 * * Mon-Fri", &format!("0 0 9 * * {field}")),
            )
            .unwrap();
            let days: String = job
                .next_runs(now, 5)
                .iter()
                .map(|t| crate::calendar::weekday_ja(t.weekday()))
                .collect();
            assert_eq!(days, expected, "{field}");
        }
    }

    #[test]
    fn next_runs_print_with_their_weekday() {
        let job = parse_job(&path(), &GOOD.replace("Mon-Fri", "1-5")).unwrap();
        let now: DateTime<Utc> = "2026-11-27T03:00:00Z".parse().unwrap(); // Fri 12:00 JST
        assert_eq!(
            job.next_run_labels(now, 2),
            ["2026-11-30 09:00（月）", "2026-12-01 09:00（火）"]
        );
    }

    #[test]
    fn a_schedule_that_never_runs_in_five_years_is_refused_naming_the_file() {
        let now: DateTime<Utc> = "2026-11-24T03:00:00Z".parse().unwrap();
        for never in [
            "0 0 9 31 2 *",
            "0 0 9 30 2 *",
            "0 0 9 * * * 2020",
            "0 0 9 1 1 * 2035",
        ] {
            let job = parse_job(&path(), &GOOD.replace("0 0 9 * * Mon-Fri", never)).unwrap();
            let e = job.check_runs(now).unwrap_err().to_string();
            assert!(e.contains("overdue-evaluations.toml"), "{e}");
            assert!(e.contains("never runs in the next 5 years"), "{e}");
        }
        // 29 February comes within five years, and so does a run in 2031.
        for rare in ["0 0 9 29 2 *", "0 0 9 1 1 * 2031"] {
            let job = parse_job(&path(), &GOOD.replace("0 0 9 * * Mon-Fri", rare)).unwrap();
            assert!(job.check_runs(now).is_ok(), "{rare}");
        }
    }

    #[test]
    fn message_ids_are_stable_and_distinct() {
        let a = message_id("k1", "https://renkei.city.example.jp/x");
        assert_eq!(a, message_id("k1", "https://renkei.city.example.jp/x"));
        assert_ne!(a, message_id("k2", "https://renkei.city.example.jp/x"));
        assert!(a.ends_with("@renkei.city.example.jp>"), "{a}");
    }

    fn at(t: &str) -> DateTime<Utc> {
        t.parse().unwrap()
    }

    fn job_with(cron: &str) -> Job {
        parse_job(&path(), &GOOD.replace("0 0 9 * * Mon-Fri", cron)).unwrap()
    }

    /// The latest time at or before `now` by walking forward from far back.
    fn walked(job: &Job, now: DateTime<Utc>, back: TimeDelta) -> Option<DateTime<Utc>> {
        job.schedule
            .after(&(now - back).with_timezone(&job.time_zone))
            .map(|t| t.with_timezone(&Utc))
            .take_while(|t| *t <= now)
            .last()
    }

    #[test]
    fn the_latest_scheduled_time_is_found_looking_back() {
        let daily = job_with("0 0 9 * * *");
        // Tuesday 2026-11-24 12:00 JST: this morning's 09:00.
        assert_eq!(
            daily.latest_at_or_before(at("2026-11-24T03:00:00Z")),
            Some(at("2026-11-24T00:00:00Z"))
        );
        // A second before 09:00: yesterday's; at 09:00 and just after: today's.
        assert_eq!(
            daily.latest_at_or_before(at("2026-11-23T23:59:59Z")),
            Some(at("2026-11-23T00:00:00Z"))
        );
        assert_eq!(
            daily.latest_at_or_before(at("2026-11-24T00:00:00Z")),
            Some(at("2026-11-24T00:00:00Z"))
        );
        assert_eq!(
            daily.latest_at_or_before(at("2026-11-24T00:00:00.999Z")),
            Some(at("2026-11-24T00:00:00Z"))
        );
        // Weekdays only, asked on Sunday: Friday's.
        assert_eq!(
            job_with("0 0 9 * * 1-5").latest_at_or_before(at("2026-11-29T03:00:00Z")),
            Some(at("2026-11-27T00:00:00Z"))
        );
        // Every second: the current one.
        assert_eq!(
            job_with("* * * * * *").latest_at_or_before(at("2026-11-24T03:00:07.250Z")),
            Some(at("2026-11-24T03:00:07Z"))
        );
        // Yearly, and 29 February (in 2024), far back.
        assert_eq!(
            job_with("0 0 9 1 1 *").latest_at_or_before(at("2026-11-24T03:00:00Z")),
            Some(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            job_with("0 0 9 29 2 *").latest_at_or_before(at("2026-11-24T03:00:00Z")),
            Some(at("2024-02-29T00:00:00Z"))
        );
        // A schedule that has not started yet has nothing to catch up.
        assert_eq!(
            job_with("0 0 9 1 1 * 2031").latest_at_or_before(at("2026-11-24T03:00:00Z")),
            None
        );
    }

    #[test]
    fn looking_back_agrees_with_walking_forward() {
        let nows = [
            "2026-11-24T03:00:00Z",
            "2026-11-23T23:59:59.999Z",
            "2026-12-31T15:00:00Z",
            "2027-03-01T00:00:01Z",
            "2026-11-30T00:00:00Z",
        ];
        // With how far back to walk (a month is millions of steps for the dense ones).
        for (cron, back_days) in [
            ("0 0 9 * * *", 40),
            ("0 0 9 * * 1-5", 40),
            ("0 30 8,17 * * MON,WED", 40),
            ("0 0 9 1 * *", 40),
            ("0 */15 * * * *", 2),
            ("*/7 * * * * *", 1),
        ] {
            let job = job_with(cron);
            for now in nows {
                let now = at(now);
                assert_eq!(
                    job.latest_at_or_before(now),
                    walked(&job, now, TimeDelta::days(back_days)),
                    "{cron} at {now}"
                );
            }
        }
    }

    #[test]
    fn a_dense_schedule_far_back_is_found_without_walking_it() {
        // Every second of January, asked in November: walking the window
        // would visit 2.7 million times; bisection takes a few dozen steps.
        let job = job_with("* * * * 1 *");
        let started = std::time::Instant::now();
        assert_eq!(
            job.latest_at_or_before(at("2026-11-24T03:00:00Z")),
            Some(at("2026-01-31T14:59:59Z")) // 23:59:59 JST
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_run_is_owed_once_per_scheduled_time_not_at_a_new_installations_start() {
        let latest = at("2026-11-24T00:00:00Z"); // 09:00 JST
        let before = at("2026-11-23T00:00:00Z");
        let facts = |last: Option<DateTime<Utc>>, ever_ran: bool, live: bool| store::RunFacts {
            last_completed: last,
            ever_ran,
            live,
        };
        let restarted = at("2026-11-24T01:00:00Z"); // 10:00, after the cron time
        // Ran yesterday: today's 09:00 is owed, at a restart after it too.
        assert!(owes_run(
            latest,
            restarted,
            &facts(Some(before), true, false)
        ));
        // Ran at (or after) 09:00: nothing owed.
        assert!(!owes_run(
            latest,
            restarted,
            &facts(Some(latest), true, false)
        ));
        // Another run holds a live lease: not now.
        assert!(!owes_run(
            latest,
            restarted,
            &facts(Some(before), true, true)
        ));
        // Only interrupted runs so far: still owed.
        assert!(owes_run(latest, restarted, &facts(None, true, false)));
        // A new installation started at 10:00 waits for tomorrow's 09:00 ...
        assert!(!owes_run(latest, restarted, &facts(None, false, false)));
        // ... and runs at a time after its start.
        assert!(owes_run(latest, before, &facts(None, false, false)));
    }
}
