//! The `pilotgov` command: serve, seed, print the spec, show the deadline board, benchmark.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pilotgov::app::{App, spec_json};
use pilotgov::clock::{Clock, SystemClock};
use pilotgov::config::Config;
use pilotgov::domain::{Key, RegionCode, Status};
use pilotgov::service::board::{Filter, deadline_board};
use pilotgov::service::import::{import_file, load_demo};

#[derive(Parser)]
#[command(
    name = "pilotgov",
    version,
    about = "Governs government pilot programmes (试点工作)"
)]
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
    /// Measure the deadline board on a generated national-scale programme.
    Bench {
        /// Database URL for the benchmark (default: a fresh embedded store in a temp folder).
        #[arg(long)]
        bench_url: Option<String>,
        /// County units to generate.
        #[arg(long, default_value_t = 2840)]
        units: usize,
    },
}

fn main() -> anyhow::Result<()> {
    // Deep SurrealDB queries want a larger stack than tokio's default.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(10 * 1024 * 1024)
        .build()?;
    rt.block_on(run(Cli::parse()))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(&cli.config).context("reading configuration")?;
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    init_tracing(&config);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo, bind } => {
            if let Some(b) = bind {
                config.bind = b;
            }
            let app = App::build(config, clock.clone()).await?;
            if demo {
                for done in load_demo(&app.state.store, clock.now()).await? {
                    tracing::info!("demo: loaded {done}");
                }
            }
            let bind = app.config.bind.clone();
            let listener = poem::listener::TcpListener::bind(bind.clone());
            println!(
                "pilotgov listening on http://{bind}  (API /api/v1, docs /docs, spec /api/v1/openapi.json)"
            );
            poem::Server::new(listener)
                .run_with_graceful_shutdown(
                    app.endpoint(),
                    async {
                        let _ = tokio::signal::ctrl_c().await;
                    },
                    Some(std::time::Duration::from_secs(10)),
                )
                .await
                .with_context(|| format!("serving on {bind}"))?;
        }
        Command::Seed { files } => {
            let app = App::build(config, clock.clone()).await?;
            for f in files {
                let done = import_file(&app.state.store, &f, clock.now())
                    .await
                    .with_context(|| format!("seeding {}", f.display()))?;
                println!("{}: {done}", f.display());
            }
        }
        Command::Openapi => {
            config.database_url = "mem://".into();
            let app = App::build(config, clock).await?;
            println!("{}", spec_json(app.state));
        }
        Command::Deadlines {
            programme,
            as_of,
            region,
            status,
        } => {
            let app = App::build(config, clock.clone()).await?;
            let key = Key::parse(&programme)?;
            let as_of = match as_of {
                Some(s) => pilotgov::api::common::instant("as_of", &s)?,
                None => clock.now(),
            };
            let filter = Filter {
                region: region.as_deref().map(RegionCode::parse).transpose()?,
                status: status.as_deref().map(Status::parse).transpose()?,
                deliverable: None,
            };
            let board = deadline_board(&app.state.store, &key, as_of, &filter).await?;
            print!("{}", pilotgov::service::board::render_text(&board));
        }
        Command::Bench { bench_url, units } => {
            pilotgov::bench::run(bench_url, units).await?;
        }
    }
    Ok(())
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
