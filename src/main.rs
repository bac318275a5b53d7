//! The `pilotgov` command: serve, seed, print the spec, show the deadline board, benchmark.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pilotgov::app::{App, spec_json};
use pilotgov::clock::{Clock, SystemClock};
use pilotgov::config::Config;
use pilotgov::domain::access::{Principal, Role};
use pilotgov::domain::{Key, RegionCode, Status};
use pilotgov::service::accounts::{DEMO_PASSWORD, DEMO_USERS, NewUser, create_user, ensure_demo_users};

/// A request allocates many small short-lived values (JSON views, rows); mimalloc serves them
/// with less contention and fragmentation than glibc's allocator (`pilotgov bench --http`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use pilotgov::service::board::{Filter, deadline_board};
use pilotgov::service::import::{import_file, load_demo};
use pilotgov::store::audit::Actor;

#[derive(Parser)]
#[command(name = "pilotgov", version, about = "Governs government pilot programmes (试点工作)")]
struct Cli {
    /// Configuration file (TOML); missing is fine.
    #[arg(long, global = true, default_value = "pilotgov.toml")]
    config: PathBuf,
    /// Database URL, overriding the configuration (`mem://`, `surrealkv://path`, `ws://host:port`).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Load the five seed programmes into an empty database first.
        #[arg(long)]
        demo: bool,
        /// Address to listen on (default from config: 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Load fixture documents (regions or programmes, YAML or JSON).
    Seed {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Print a programme's deadline board.
    Deadlines {
        #[arg(long)]
        programme: String,
        /// RFC 3339 instant or a date (00:00 Asia/Shanghai); default now.
        #[arg(long)]
        as_of: Option<String>,
        /// Only units inside this region.
        #[arg(long)]
        region: Option<String>,
        /// done, upcoming, due_soon or overdue.
        #[arg(long)]
        status: Option<String>,
    },
    /// Run a scheduled job's body once, at a given instant (default now).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a backup of the configured database to FILE (SurrealQL with a checksum header).
    Backup { file: PathBuf },
    /// Restore a backup into the configured database, which must be empty; a damaged file is
    /// refused before anything is written.
    Restore { file: PathBuf },
    /// Read government notices into draft programmes, and measure how well they are read.
    Notice {
        #[command(subcommand)]
        command: NoticeCommand,
    },
    /// Measure the deadline board on a generated national-scale programme.
    Bench {
        /// Database URL for the benchmark (default: a fresh embedded store in a temp folder).
        #[arg(long)]
        bench_url: Option<String>,
        /// County units to generate.
        #[arg(long, default_value_t = 2840)]
        units: usize,
        /// Also load a national township programme (38,600 units, a year of filings, several
        /// minutes) and print its figures beside the county programme's.
        #[arg(long)]
        national: bool,
        /// Also measure the HTTP routes under load (1, 16, 64 clients), cold start and memory.
        #[arg(long)]
        http: bool,
        /// With `--http`: measure only the routes whose description contains one of these texts (`a|b`), and none of the in-process figures.
        #[arg(long)]
        only: Option<String>,
        /// Only start `pilotgov serve` on this existing store, twice — the start-up jobs caught up,
        /// then a restart — and print its start time and memory (what `--national` ends with).
        #[arg(long, conflicts_with_all = ["bench_url", "national", "http", "only"])]
        serve_on: Option<String>,
    },
}

#[derive(Subcommand)]
enum NoticeCommand {
    /// Read a notice (.txt or .docx) and print the draft as JSON (as `POST /programme-drafts`).
    Read { file: PathBuf },
    /// Compare the readings of every DIR/NAME.txt with its reviewed gold NAME.yaml (in DIR, or
    /// in --gold) field by field; print precision and recall per field.
    Eval {
        dir: PathBuf,
        /// Where the gold documents are when not beside the notices (the seeds': fixtures/).
        #[arg(long)]
        gold: Option<PathBuf>,
        /// Also list every miss and every wrong reading.
        #[arg(long)]
        verbose: bool,
    },
}

/// A job the CLI can run at a chosen instant.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Job {
    /// The reminder job: reminders, chasing and escalations due since the last run.
    Reminders,
    /// The 1st of the month: bulletin drafts, or a notice that a ranking awaits publishing.
    MonthlyDrafts,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Send the reminders due since the last run up to `--at`.
    Run {
        job: Job,
        /// RFC 3339 instant, e.g. 2022-09-17T09:00+08:00; default now.
        #[arg(long)]
        at: Option<String>,
        /// List what would be sent; store and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from PILOTGOV_NEW_PASSWORD, or from the first
    /// line of standard input.
    Add {
        username: String,
        /// province_admin, city_reviewer, unit_lead, evaluator or leader.
        #[arg(long)]
        role: String,
        /// Home region code (GB/T 2260).
        #[arg(long)]
        region: String,
        /// Name shown to others (defaults to the username).
        #[arg(long)]
        name: Option<String>,
    },
    /// List accounts.
    List,
    /// Disable an account and revoke its tokens.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(&cli.config).context("reading configuration")?;
    if let Some(url) = &cli.database_url {
        config.database_url = url.clone();
    }
    let log = init_tracing(&config);
    // Two rustls crypto providers are compiled in (Cargo.toml, "One surrealdb-core"); a TLS client
    // that asks for the process's default (wss:// to a SurrealDB server) gets ring, as before.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Deep SurrealDB queries want a larger stack than tokio's default.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(10 * 1024 * 1024).build()?;
    let result = rt.block_on(run(cli, config));
    // Whatever may still log (the embedded database shuts down on a background task when its
    // last handle drops) stops before the log writer's last flush, so no event meets a closed
    // writer ("Unable to write an event").
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    drop(log);
    result
}

/// One function per subcommand; this only dispatches.
async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo, bind } => serve(config, clock, demo, bind).await,
        Command::Seed { files } => seed(config, clock, files).await,
        Command::Openapi => openapi(config, clock).await,
        Command::Deadlines { programme, as_of, region, status } => {
            deadlines(config, clock, &programme, as_of, region, status).await
        }
        Command::Jobs { command: JobsCommand::Run { job, at, dry_run } } => {
            run_job(config, clock, job, at, dry_run).await
        }
        Command::User { command } => user(config, clock, command).await,
        Command::Backup { file } => {
            let app = App::build(config, clock).await?;
            let bytes = pilotgov::service::backup::backup(&app.state.store, &file).await?;
            println!("backup written to {} ({bytes} bytes of SurrealQL)", file.display());
            Ok(())
        }
        Command::Restore { file } => restore(config, &file).await,
        Command::Notice { command } => notice(command),
        Command::Bench { serve_on: Some(url), .. } => {
            pilotgov::bench::serve_on(&url).await;
            Ok(())
        }
        Command::Bench { bench_url, units, national, http, only, serve_on: None } => {
            pilotgov::bench::run(bench_url, units, national, http, only.as_deref()).await
        }
    }
}

/// `notice read FILE` and `notice eval DIR`: no database, no server.
fn notice(command: NoticeCommand) -> anyhow::Result<()> {
    use pilotgov::service::notice_eval;
    match command {
        NoticeCommand::Read { file } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let text = pilotgov::service::notice_file::text_of(&bytes)?;
            let reading = pilotgov::domain::notice::read(&text)?;
            println!("{}", pilotgov::api::programme_draft_json(&text, &reading));
            Ok(())
        }
        NoticeCommand::Eval { dir, gold, verbose } => {
            let cases = notice_eval::evaluate(&dir, gold.as_deref()).map_err(|e| anyhow::anyhow!(e))?;
            if verbose {
                for c in &cases {
                    println!("== {}", c.name);
                    for m in &c.scored.misses {
                        println!("   {m}");
                    }
                }
            }
            println!("{} notices\n\n{}", cases.len(), notice_eval::table(&cases));
            Ok(())
        }
    }
}

/// `serve [--demo] [--bind]`: the HTTP server with its scheduler.
async fn serve(mut config: Config, clock: Arc<dyn Clock>, demo: bool, bind: Option<String>) -> anyhow::Result<()> {
    if let Some(b) = bind {
        config.bind = b;
    }
    config.demo = demo;
    let app = App::build(config, clock.clone()).await?;
    if demo {
        load_demo_data(&app, clock.now()).await?;
    }
    // The scheduler runs beside the server; every instance may run one (runs are claimed).
    let outbox = (*app.state.outbox).clone();
    let scheduler = pilotgov::jobs::Scheduler { outbox, ..pilotgov::jobs::Scheduler::default() };
    let jobs = tokio::spawn(pilotgov::jobs::run_forever(app.state.store.clone(), clock.clone(), scheduler));
    let bind = app.config.bind.clone();
    let listener = pilotgov::listener::NoDelayListener::bind(bind.clone());
    println!(
        "pilotgov listening on http://{bind}  (dashboard /ui, API /api/v1, docs /docs, spec /api/v1/openapi.json)"
    );
    let served = poem::Server::new(listener)
        .run_with_graceful_shutdown(app.endpoint(), stop_signal(), Some(std::time::Duration::from_secs(10)))
        .await
        .with_context(|| format!("serving on {bind}"));
    // The scheduler's handle on the store goes, then the server's: the embedded store closes
    // cleanly, so the next start does not replay its log into memory (store/close.rs).
    jobs.abort();
    let _ = jobs.await;
    let store = app.state.store.clone();
    drop(app);
    let wait = std::time::Duration::from_secs(20);
    if store.close(wait).await {
        tracing::info!("stopped; the store is closed");
    } else {
        tracing::warn!("the store did not close within {wait:?}; the next start replays its log");
    }
    served
}

/// Ctrl-C, or SIGTERM — what `docker stop` and `systemctl stop` send: requests in flight are
/// finished (up to ten seconds) and the embedded store is closed cleanly instead of recovered
/// at the next start.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("stopping: finishing the requests in flight");
}

/// The five seed programmes, the demo accounts and the demo history, once.
async fn load_demo_data(app: &App, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    for done in load_demo(&app.state.store, now).await? {
        tracing::info!("demo: loaded {done}");
    }
    ensure_demo_users(&app.state.store, now).await?;
    if pilotgov::service::demo::play(&app.state.store, now).await.map_err(|e| anyhow::anyhow!("demo activity: {e}"))? {
        tracing::info!("demo: played Xixiu 2019 and Fujian 2022, and the programme around today (demo-today)");
    }
    println!("demo accounts (password `{DEMO_PASSWORD}`):");
    for (username, name, role, region) in DEMO_USERS {
        println!("  {username:<16} {:<15} {region:<10} {name}", role.as_str());
    }
    println!(
        "log in: curl -s -X POST http://{}/api/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"username\":\"fj-admin\",\"password\":\"{DEMO_PASSWORD}\"}}'",
        app.config.bind
    );
    Ok(())
}

/// `seed FILE...`: fixture documents into the configured database.
async fn seed(config: Config, clock: Arc<dyn Clock>, files: Vec<PathBuf>) -> anyhow::Result<()> {
    let app = App::build(config, clock.clone()).await?;
    let actor = Actor::system("seed", clock.now());
    for f in files {
        let done =
            import_file(&app.state.store, &f, &actor).await.with_context(|| format!("seeding {}", f.display()))?;
        println!("{}: {done}", f.display());
    }
    Ok(())
}

/// `openapi`: the spec, from an in-memory app.
async fn openapi(mut config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    config.database_url = "mem://".into();
    let app = App::build(config, clock).await?;
    println!("{}", spec_json(app.state));
    Ok(())
}

/// `deadlines --programme KEY [--as-of] [--region] [--status]`: the board in the terminal.
async fn deadlines(
    config: Config,
    clock: Arc<dyn Clock>,
    programme: &str,
    as_of: Option<String>,
    region: Option<String>,
    status: Option<String>,
) -> anyhow::Result<()> {
    let app = App::build(config, clock.clone()).await?;
    let key = Key::parse(programme)?;
    let as_of = match as_of {
        Some(s) => pilotgov::api::common::instant("as_of", &s)?,
        None => clock.now(),
    };
    let filter = Filter {
        region: region.as_deref().map(RegionCode::parse).transpose()?,
        status: status.as_deref().map(Status::parse).transpose()?,
        deliverable: None,
    };
    let everyone = Principal::system_reader("cli");
    let board = deadline_board(&app.state.store, &key, as_of, &filter, &everyone).await?;
    print!("{}", pilotgov::service::board::render_text(&board));
    Ok(())
}

/// `jobs run reminders|monthly-drafts [--at] [--dry-run]`.
async fn run_job(
    config: Config,
    clock: Arc<dyn Clock>,
    job: Job,
    at: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let app = App::build(config, clock.clone()).await?;
    let now = match at {
        Some(s) => pilotgov::api::common::instant("at", &s)?,
        None => clock.now(),
    };
    let store = &app.state.store;
    if job == Job::MonthlyDrafts {
        anyhow::ensure!(!dry_run, "monthly-drafts has no dry run");
        let made = pilotgov::jobs::monthly::run(store, now).await?;
        println!("{made} draft(s) and notice(s) made");
        return Ok(());
    }
    let previous = store.job_last_run("reminders").await?;
    let sent = pilotgov::jobs::reminders::run(store, now, previous, dry_run).await?;
    for r in &sent {
        println!("{}\t{}\t{}\t{}", r.send_date, r.notice.code(), r.recipients.join(","), r.message);
    }
    println!("{} reminder(s) {}", sent.len(), if dry_run { "would be sent" } else { "sent" });
    Ok(())
}

/// `user add|list|disable|enable`.
async fn user(config: Config, clock: Arc<dyn Clock>, command: UserCommand) -> anyhow::Result<()> {
    let url = config.database_url.clone();
    let app = match App::build(config, clock.clone()).await {
        Ok(app) => app,
        // The embedded store admits one process: a running server holds it.
        Err(e) if url.starts_with("surrealkv") && format!("{e:#}").to_lowercase().contains("lock") => {
            anyhow::bail!(
                "the database at {url} is in use by a running server (the embedded store admits one process).\n\
                 While it runs, manage accounts through it: the browser at /ui/accounts, or the API \
                 (POST /api/v1/accounts, POST /api/v1/account-imports; see /docs). Or stop the server first."
            )
        }
        Err(e) => return Err(e),
    };
    let store = &app.state.store;
    let actor = Actor::system("cli", clock.now());
    match command {
        UserCommand::Add { username, role, region, name } => {
            let password = match std::env::var("PILOTGOV_NEW_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let region = RegionCode::parse(&region)?;
            // The first administrator of a province outside the bundled notices needs its
            // region: on an empty database the national table is loaded now, not in the background.
            if app.config.national_regions {
                pilotgov::service::regions::load_national(store).await?;
            }
            let new = NewUser {
                username: &username,
                display_name: name.as_deref().unwrap_or(&username),
                role: Role::parse(&role)?,
                region: &region,
                password: &password,
            };
            create_user(store, new, &actor).await?;
            println!("created {username}");
        }
        UserCommand::List => {
            for u in store.users().await? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{:<20} {:<15} {:<10} {state:<9} {}", u.username, u.role.as_str(), u.region, u.display_name);
            }
        }
        UserCommand::Disable { username } => {
            store.set_user_disabled(&username, true, &actor).await?;
            println!("disabled {username}");
        }
        UserCommand::Enable { username } => {
            store.set_user_disabled(&username, false, &actor).await?;
            println!("enabled {username}");
        }
    }
    Ok(())
}

/// `restore FILE`: checked before the database is even opened, so a damaged file changes nothing.
async fn restore(config: Config, file: &std::path::Path) -> anyhow::Result<()> {
    pilotgov::service::backup::verify(file)?;
    let store = pilotgov::service::backup::restore(&config.store(), file).await?;
    let tables = store.dump().await?;
    let rows: usize = tables.values().map(Vec::len).sum();
    println!("restored {} into {} ({} tables, {rows} rows)", file.display(), config.database_url, tables.len());
    Ok(())
}

fn init_tracing(config: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: escape codes in a log file or the journal are
    // noise to read and cost time on every request line.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A request's log line is handed to a writer thread instead of written in the request; that
    // thread writes in batches (`log_writer` says why and what it costs).
    let (writer, guard) = pilotgov::log_writer::stderr();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(ansi);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
    guard
}
