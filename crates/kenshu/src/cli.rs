//! The command line as clap reads it: every command, its arguments and their help.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kenshu",
    version,
    about = "Kenshu: My Number and cybersecurity training portal"
)]
pub(crate) struct Cli {
    /// Where the embedded default database lives when DATABASE_URL is not set.
    #[arg(long, env = "KENSHU_DATA_DIR", default_value = "var", global = true)]
    pub(crate) data_dir: PathBuf,
    /// The owner role's URL, with which migrations run (an external database); DATABASE_URL is
    /// then the role the portal works as.
    #[arg(
        long,
        env = "KENSHU_MIGRATE_URL",
        global = true,
        hide_env_values = true
    )]
    pub(crate) migrate_url: Option<String>,
    /// The role granted the portal's privileges after migrating (default: DATABASE_URL's role
    /// when a migration URL is given).
    #[arg(long, env = "KENSHU_APP_ROLE", global = true)]
    pub(crate) app_role: Option<String>,
    /// The audit log's key file (default: DATA_DIR/audit.key, made on first use); the key may
    /// instead be given as 64 hex digits in KENSHU_AUDIT_KEY.
    #[arg(long, env = "KENSHU_AUDIT_KEY_FILE", global = true)]
    pub(crate) audit_key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum AuditCommand {
    /// Check the institution's audit log under the key and against its checkpoints. Exit
    /// codes: 3 an altered entry, 4 a deleted one, 5 truncated or rewritten since a checkpoint,
    /// 6 a wrong or missing key, 7 unkeyed entries nothing vouches for.
    Verify {
        #[arg(long)]
        institution: String,
        /// Checkpoints to check against (default: DATA_DIR/audit-checkpoints/CODE.log); a line
        /// copied from an annual report serves too.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Write the head of the audit log (of one institution, or of all) to the checkpoint file.
    Checkpoint {
        #[arg(long)]
        institution: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
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
        /// The language of the document's headings: ja (default) or en.
        #[arg(long, default_value = "ja", value_parser = parse_lang)]
        lang: kenshu_core::i18n::Lang,
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
        /// The language of the document's headings: ja (default) or en.
        #[arg(long, default_value = "ja", value_parser = parse_lang)]
        lang: kenshu_core::i18n::Lang,
    },
}

fn parse_lang(s: &str) -> Result<kenshu_core::i18n::Lang, String> {
    kenshu_core::i18n::Lang::from_code(s)
        .ok_or_else(|| format!("unknown language '{s}'; use ja or en"))
}

fn parse_fy(s: &str) -> Result<kenshu_core::FiscalYear, String> {
    kenshu_core::FiscalYear::parse(s).ok_or_else(|| {
        format!("'{s}' is not a fiscal year; write the year it starts in, e.g. 2025")
    })
}

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
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
        /// Confirm a change that makes most of the institution new or leaving (refused without it:
        /// that is what a file whose employee numbers lost their leading zeros looks like).
        #[arg(long)]
        allow_mass_change: bool,
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
pub(crate) enum GenCommand {
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
    kenshu_core::roster::read_date(s).map_err(|e| e.to_string())
}

#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KENSHU_BIND", default_value = "127.0.0.1:8080")]
    pub(crate) bind: SocketAddr,
    /// Mark cookies Secure (set when the portal is reached over https).
    #[arg(long, env = "KENSHU_SECURE_COOKIES")]
    pub(crate) secure_cookies: bool,
    /// Database connections per instance.
    #[arg(long, env = "KENSHU_DB_POOL", default_value_t = 24)]
    pub(crate) db_pool: u32,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "KENSHU_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(i32).range(1..=1440))]
    pub(crate) idle_minutes: i32,
    /// Read every request's session from the database instead of serving it from the
    /// instance's memory (see README, Sessions): for a database that cannot announce session
    /// changes to every instance (docs/scaling.md, O8).
    #[arg(long, env = "KENSHU_NO_SESSION_CACHE")]
    pub(crate) no_session_cache: bool,
    /// Hours a session lasts at most after sign-in.
    #[arg(long, env = "KENSHU_SESSION_HOURS", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=24))]
    pub(crate) session_hours: i64,
    /// Every request comes through a reverse proxy that appends the client's address to
    /// X-Forwarded-For: throttle sign-ins per that address instead of the proxy's.
    #[arg(long, env = "KENSHU_TRUST_PROXY")]
    pub(crate) trust_proxy: bool,
    /// The portal's address as people reach it (e.g. https://kenshu.city.example.lg.jp), for
    /// links in mail and in check-in QR codes, and the host of mails' Message-IDs. Required
    /// when KENSHU_SMTP_URL is set.
    #[arg(long, env = "KENSHU_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Minutes between runs of the plans' reminder and digest schedules (0: this instance
    /// does not run them; mail is still sent).
    #[arg(long, env = "KENSHU_REMINDER_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=1440))]
    pub(crate) reminder_minutes: u64,
    /// Seconds between refreshes of the overview's kept counts by this instance (0: only
    /// requests refresh them).
    #[arg(long, env = "KENSHU_OVERVIEW_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub(crate) overview_seconds: u64,
    /// Minutes between checkpoints of the audit log's head written by this instance (0: only at
    /// exports and by `kenshu audit checkpoint`).
    #[arg(long, env = "KENSHU_CHECKPOINT_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=1440))]
    pub(crate) checkpoint_minutes: u64,
    /// The address staff forward suspicious mail to (標的型メール訓練の報告先), shown on the
    /// portal's report page; mail for it reaches the portal's report listener (--report-smtp).
    #[arg(long, env = "KENSHU_REPORT_ADDRESS")]
    pub(crate) report_address: Option<String>,
    /// Where the report listener takes mail for --report-address by SMTP, e.g.
    /// 127.0.0.1:2525 (the mail system forwards or copies the report mailbox there). Unset: no
    /// listener; reports come by the portal's report button only.
    #[arg(long, env = "KENSHU_REPORT_SMTP")]
    pub(crate) report_smtp: Option<String>,
    /// Serve even as a superuser or a role that owns tables (a trial; the log warns loudly).
    #[arg(long, env = "KENSHU_ALLOW_SUPERUSER")]
    pub(crate) allow_superuser: bool,
    #[command(flatten)]
    pub(crate) metrics: crate::serve::MetricsArgs,
}

#[derive(Subcommand)]
pub(crate) enum ContentCommand {
    /// Load the course packages in DIR; unchanged packages are left as they are.
    Load { dir: PathBuf },
}

#[derive(Subcommand)]
pub(crate) enum InstitutionCommand {
    /// Add an institution: CODE (a-z, 0-9, '-', '_') and its NAME.
    Add { code: String, name: String },
    /// The institution's directory (Active Directory, OpenLDAP) that staff sign in against.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// The institution's OpenID Connect provider (Entra ID, Keycloak …) that staff sign in
    /// through.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// How the institution's people sign in: METHODS is a comma-separated list of password,
    /// directory and oidc (without it: print the current ones).
    Auth {
        code: String,
        methods: Option<String>,
    },
    /// Whether a second factor (an authenticator app) is required of those who see others'
    /// records: protection, chief and audit officers, portal administrators (without options:
    /// print the rule).
    SecondFactor {
        code: String,
        /// yes / no.
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        required: Option<bool>,
        /// yes / no: a second factor the OpenID Connect provider did (its amr claim) counts.
        #[arg(long, value_parser = clap::builder::BoolishValueParser::new())]
        trust_amr: Option<bool>,
    },
}

#[derive(Subcommand)]
pub(crate) enum OidcCommand {
    /// Set (or replace) the provider. The client secret is read from standard input and kept
    /// sealed under the portal's key. Checked against the provider (discovery) before it is
    /// kept; turns the method on.
    Set {
        #[arg(long)]
        institution: String,
        /// The issuer: https://login.microsoftonline.com/TENANT/v2.0, https://idp.example/realms/x.
        #[arg(long)]
        issuer: String,
        /// The portal's client ID at the provider.
        #[arg(long)]
        client_id: String,
        /// The ID token claim holding the roster's employee number (or e-mail address).
        #[arg(long, default_value = "employee_number")]
        claim: String,
        /// The provider's CA certificate(s), a PEM file (default: the machine's trusted CAs).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        #[arg(long, default_value_t = 5)]
        timeout_secs: i32,
        /// The portal's address, to print the redirect URI to register.
        #[arg(
            long,
            env = "KENSHU_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        /// Read the client secret from standard input (required: never on the command line).
        #[arg(long, required = true)]
        client_secret_stdin: bool,
    },
    /// Print the provider's settings (never the secret) and the addresses to register.
    Show {
        #[arg(long)]
        institution: String,
        #[arg(
            long,
            env = "KENSHU_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// Remove the provider (and the method; portal passwords count again if nothing else does).
    Remove {
        #[arg(long)]
        institution: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum DirectoryCommand {
    /// Set (or replace) the directory. The look-up password is read from standard input and
    /// kept sealed under the portal's key. Checked against the directory before it is kept.
    Set {
        #[arg(long)]
        institution: String,
        /// ldaps://host:636, or ldap://host:389 (StartTLS is then used).
        #[arg(long)]
        url: String,
        /// The directory's CA certificate(s), a PEM file (default: the machine's trusted CAs).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// The portal's read-only look-up account.
        #[arg(long)]
        bind_dn: String,
        /// Where people's entries are searched (subtree).
        #[arg(long)]
        base_dn: String,
        /// The attribute people sign in with (Active Directory: sAMAccountName).
        #[arg(long, default_value = "sAMAccountName")]
        login_attribute: String,
        /// The attribute holding the roster's employee number (Active Directory: employeeID).
        #[arg(long, default_value = "employeeID")]
        employee_attribute: String,
        /// Further conditions, an LDAP filter (Active Directory, not disabled:
        /// "(!(userAccountControl:1.2.840.113556.1.4.803:=2))").
        #[arg(long)]
        filter: Option<String>,
        /// The group whose members may sign in.
        #[arg(long)]
        group: Option<String>,
        #[arg(long, default_value_t = 5)]
        timeout_secs: i32,
        /// Read the look-up password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        bind_password_stdin: bool,
    },
    /// Sign one person in against the directory as the portal would (the password from standard
    /// input) and print the employee number it finds, or why it cannot.
    Check {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        login: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print the directory's settings (never the password).
    Show {
        #[arg(long)]
        institution: String,
    },
    /// Remove the directory: staff sign in with portal passwords again.
    Remove {
        #[arg(long)]
        institution: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum DivisionCommand {
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
pub(crate) enum UserCommand {
    /// Name a deputy (代理) who receives an absent officer's weekly digest from --from to --to
    /// (inclusive; open-ended without --to). One deputy at a time per officer.
    Deputy {
        #[arg(long)]
        institution: String,
        /// The absent officer's login ID.
        #[arg(long)]
        officer: String,
        /// The deputy's login ID.
        #[arg(long)]
        deputy: String,
        #[arg(long, value_parser = parse_date)]
        from: time::Date,
        #[arg(long, value_parser = parse_date)]
        to: Option<time::Date>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove a person's second factor (a lost phone): they set up a new one at their next
    /// sign-in where it is required.
    ResetSecondFactor {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        login: String,
    },
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
