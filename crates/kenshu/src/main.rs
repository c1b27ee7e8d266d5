//! `kenshu`: the portal's one binary. `main` parses the command line and calls into the
//! libraries; each command lives in its own module.

mod admin;
mod database;
mod demo;
mod report;
mod roster;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kenshu",
    version,
    about = "Kenshu: My Number and cybersecurity training portal"
)]
struct Cli {
    /// Where the embedded default database lives when DATABASE_URL is not set.
    #[arg(long, env = "KENSHU_DATA_DIR", default_value = "var", global = true)]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal.
    Serve(ServeArgs),
    /// Apply database migrations.
    Migrate,
    /// Set up the demo institution (デモ市) with content and accounts, then serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Course packages to load.
        #[arg(long, env = "KENSHU_CONTENT_DIR", default_value = "content")]
        content: PathBuf,
    },
    /// Course content.
    #[command(subcommand)]
    Content(ContentCommand),
    /// Institutions (機関).
    #[command(subcommand)]
    Institution(InstitutionCommand),
    /// Divisions (課室).
    #[command(subcommand)]
    Division(DivisionCommand),
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import from HR files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Generate test data.
    #[command(subcommand)]
    Gen(GenCommand),
    /// The audit log (監査ログ).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Reports (研修受講状況報告書, 研修出欠リスト), written to a file.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the institution's audit log chain; exits non-zero naming the first broken entry.
    Verify {
        #[arg(long)]
        institution: String,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The annual attendance report: one row per person and course, and totals per division.
    Annual {
        #[arg(long)]
        institution: String,
        /// Fiscal year, by the calendar year it starts in (2025 = 令和7年度).
        #[arg(long, value_parser = parse_fy)]
        fy: kenshu_core::FiscalYear,
        /// xlsx, csv (UTF-8 with BOM), csv-sjis (Shift_JIS/CP932) or html (A4, printable).
        #[arg(long)]
        format: String,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// The attendance list (研修出欠リスト) of one course, the untrained marked.
    Attendance {
        #[arg(long)]
        institution: String,
        #[arg(long, value_parser = parse_fy)]
        fy: kenshu_core::FiscalYear,
        /// Course code in the plan.
        #[arg(long)]
        course: String,
        /// Only this division (code).
        #[arg(long)]
        division: Option<String>,
        /// html or csv.
        #[arg(long, default_value = "html")]
        format: String,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

fn parse_fy(s: &str) -> Result<kenshu_core::FiscalYear, String> {
    kenshu_core::FiscalYear::parse(s).ok_or_else(|| {
        format!("'{s}' is not a fiscal year; write the year it starts in, e.g. 2025")
    })
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import the roster CSV (UTF-8 or Shift_JIS): new staff, transfers, leavers, changes.
    /// All or nothing; the last line reads `new=N transfers=N leavers=N changed=N errors=N`.
    Staff {
        file: PathBuf,
        #[arg(long)]
        institution: String,
        /// Show what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The file lists everyone: people missing from it have left.
        #[arg(long)]
        complete: bool,
        /// The date transfers and leavings take effect when a row gives none (default: today).
        #[arg(long, value_parser = parse_date)]
        effective: Option<time::Date>,
        /// Write one-time sign-in links for the new accounts to this CSV file (mode 600).
        #[arg(long)]
        links: Option<PathBuf>,
        /// The portal's address as staff reach it, for the links.
        #[arg(
            long,
            env = "KENSHU_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// Import designations (職員番号, 指定, 開始日, 終了日, 備考); all or nothing.
    Designations {
        file: PathBuf,
        #[arg(long)]
        institution: String,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum GenCommand {
    /// Write a realistic roster CSV to standard output.
    Roster {
        #[arg(long)]
        staff: usize,
        #[arg(long)]
        divisions: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Percent of people changed against the same seed without it (transfers, renames, leavers).
        #[arg(long, default_value_t = 0)]
        changed_percent: usize,
    },
}

fn parse_date(s: &str) -> Result<time::Date, String> {
    kenshu_core::roster::parse_date(s)
        .ok_or_else(|| format!("'{s}' is not a date; write 2025-04-01"))
}

#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KENSHU_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Mark cookies Secure (set when the portal is reached over https).
    #[arg(long, env = "KENSHU_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Database connections per instance.
    #[arg(long, env = "KENSHU_DB_POOL", default_value_t = 24)]
    db_pool: u32,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "KENSHU_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(i32).range(1..=1440))]
    idle_minutes: i32,
    /// Hours a session lasts at most after sign-in.
    #[arg(long, env = "KENSHU_SESSION_HOURS", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=24))]
    session_hours: i64,
    /// Every request comes through a reverse proxy that appends the client's address to
    /// X-Forwarded-For: throttle sign-ins per that address instead of the proxy's.
    #[arg(long, env = "KENSHU_TRUST_PROXY")]
    trust_proxy: bool,
    /// The portal's address as people reach it, for links in mail.
    #[arg(long, env = "KENSHU_PUBLIC_URL")]
    public_url: Option<String>,
    /// Minutes between runs of the plans' reminder schedules (0: this instance does not run
    /// them; mail is still sent).
    #[arg(long, env = "KENSHU_REMINDER_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=1440))]
    reminder_minutes: u64,
    /// Seconds between refreshes of the overview's kept counts by this instance (0: only
    /// requests refresh them).
    #[arg(long, env = "KENSHU_OVERVIEW_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3600))]
    overview_seconds: u64,
}

#[derive(Subcommand)]
enum ContentCommand {
    /// Load the course packages in DIR; unchanged packages are left as they are.
    Load { dir: PathBuf },
}

#[derive(Subcommand)]
enum InstitutionCommand {
    /// Add an institution: CODE (a-z, 0-9, '-', '_') and its NAME.
    Add { code: String, name: String },
}

#[derive(Subcommand)]
enum DivisionCommand {
    /// Add a division to an institution.
    Add {
        #[arg(long)]
        institution: String,
        code: String,
        name: String,
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account. The initial password is read from standard input and must be changed at
    /// first sign-in.
    Add {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        division: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: Option<String>,
        /// Read the initial password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print a one-time link with which the person sets their own password (valid 14 days).
    Link {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        login: String,
        #[arg(
            long,
            env = "KENSHU_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

fn main() -> ExitCode {
    // glibc raises its mmap threshold after large blocks are freed, so the 19 MiB that each
    // argon2 computation takes would stay in the heap for good. A fixed threshold returns
    // such blocks to the system at once and keeps the server's memory small.
    // SAFETY: mallopt only tunes the allocator; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KENSHU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // The embedded cluster is started on this (the main) thread, which lives as long as the
    // process: PostgreSQL's parent-death signal is tied to the thread that started it.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<roster::Refused>() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Import(ImportCommand::Designations {
            file,
            institution,
            dry_run,
        }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            roster::import_designations(&db.pool, &file, &institution, dry_run).await
        }
        Command::Gen(GenCommand::Roster {
            staff,
            divisions,
            seed,
            changed_percent,
        }) => {
            roster::gen_roster(
                &mut std::io::stdout().lock(),
                staff,
                divisions,
                seed,
                changed_percent,
            )?;
            Ok(())
        }
        Command::Import(ImportCommand::Staff {
            file,
            institution,
            dry_run,
            complete,
            effective,
            links,
            public_url,
        }) => {
            let db = database::open(&cli.data_dir, 4).await?;
            database::migrate(&db).await?;
            let links = links.as_deref().map(|path| roster::Links {
                path,
                public_url: &public_url,
            });
            let args = roster::ImportArgs {
                links,
                file: &file,
                institution: &institution,
                dry_run,
                complete,
                effective,
            };
            roster::import_staff(&db.pool, args).await
        }
        Command::Report(ReportCommand::Annual {
            institution,
            fy,
            format,
            output,
        }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            report::annual(&db.pool, &institution, fy, &format, &output).await
        }
        Command::Report(ReportCommand::Attendance {
            institution,
            fy,
            course,
            division,
            format,
            output,
        }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            let args = report::AttendanceArgs {
                code: &institution,
                fy,
                course: &course,
                division: division.as_deref(),
                format: &format,
                out: &output,
            };
            report::attendance(&db.pool, args).await
        }
        Command::Serve(args) => {
            let db = database::open(&cli.data_dir, args.db_pool).await?;
            database::migrate(&db).await?;
            serve(db, &args).await
        }
        Command::Migrate => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo {
            serve: args,
            content,
        } => {
            let db = database::open(&cli.data_dir, args.db_pool).await?;
            database::migrate(&db).await?;
            demo::prepare(&db.pool, &content, args.bind).await?;
            serve(db, &args).await
        }
        Command::Audit(AuditCommand::Verify { institution }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            admin::verify_audit(&db.pool, &institution).await
        }
        Command::Content(ContentCommand::Load { dir }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            admin::load_content(&db.pool, &dir).await
        }
        Command::Institution(InstitutionCommand::Add { code, name }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            admin::add_institution(&db.pool, &code, &name).await
        }
        Command::Division(DivisionCommand::Add {
            institution,
            code,
            name,
            parent,
        }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            admin::add_division(&db.pool, &institution, &code, &name, parent.as_deref()).await
        }
        Command::User(UserCommand::Link {
            institution,
            login,
            public_url,
        }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            roster::print_link(&db.pool, &institution, &login, &public_url).await
        }
        Command::User(UserCommand::Add {
            institution,
            login,
            name,
            division,
            role,
            email,
            password_stdin: _,
        }) => {
            let db = database::open(&cli.data_dir, 2).await?;
            database::migrate(&db).await?;
            let password = admin::read_password_stdin()?;
            let new = admin::NewAccount {
                institution,
                login,
                name,
                division,
                role,
                email,
                password,
            };
            admin::add_user(&db.pool, new).await
        }
    }
}

async fn serve(db: database::Database, args: &ServeArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
    // Mail goes out by SMTP when KENSHU_SMTP_URL is set, else to the log.
    let mailer = kenshu_web::mail::Mailer::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let settings = kenshu_web::Settings {
        secure_cookies: args.secure_cookies,
        public_url: public_url.clone(),
        mail_transport: mailer.describe(),
        idle_minutes: args.idle_minutes,
        session_hours: args.session_hours,
        trust_proxy: args.trust_proxy,
        ..Default::default()
    };
    kenshu_web::housekeeping::spawn(db.pool.clone(), args.idle_minutes);
    tracing::info!(mail = mailer.describe(), "mail transport");
    kenshu_web::reminders::spawn_workers(
        db.pool.clone(),
        std::sync::Arc::new(mailer),
        public_url,
        (args.reminder_minutes > 0)
            .then(|| std::time::Duration::from_secs(args.reminder_minutes * 60)),
    );
    if args.overview_seconds > 0 {
        kenshu_web::overview::spawn_keeper(
            db.pool.clone(),
            std::time::Duration::from_secs(args.overview_seconds),
        );
    }
    let state = kenshu_web::AppState::new(db.pool.clone(), settings);
    tracing::info!(address = %listener.local_addr()?, "serving");
    kenshu_web::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped serving; closing the database");
    db.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
