//! `kenshu`: the portal's one binary. `main` parses the command line and calls into the
//! libraries; each command lives in its own module.

mod admin;
mod audit;
mod cli;
mod database;
mod demo;
mod directory;
mod generate;
mod logging;
mod oidc;
mod report;
mod roster;
mod second_factor;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use kenshu_app::mail::Mailer;
use serve::Fallback;

pub(crate) use cli::ServeArgs;
use cli::{
    AuditCommand, Cli, Command, ContentCommand, DivisionCommand, GenCommand, ImportCommand,
    InstitutionCommand, ReportCommand, UserCommand,
};
fn main() -> ExitCode {
    // glibc raises its mmap threshold after large blocks are freed, so the 19 MiB that each
    // argon2 computation takes would stay in the heap for good. A fixed threshold returns
    // such blocks to the system at once and keeps the server's memory small.
    // SAFETY: mallopt only tunes the allocator; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    logging::init();
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
        Err(e) if e.is::<audit::Finding>() => {
            eprintln!("error: {e}");
            ExitCode::from(e.downcast_ref::<audit::Finding>().map_or(1, |f| f.code))
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let target = database::Target {
        data_dir: &cli.data_dir,
        migrate_url: cli.migrate_url.as_deref(),
        app_role: cli.app_role.as_deref(),
    };
    // Commands that write to the audit log make the key on first use; verification never does.
    let key_file = cli.audit_key_file.as_deref();
    let key = |create| audit::key(key_file, &cli.data_dir, create);
    match cli.command {
        Command::Import(ImportCommand::Designations {
            file,
            institution,
            dry_run,
        }) => {
            let db = database::ready(&target, 2).await?;
            roster::import_designations(&db.pool, &key(true)?, &file, &institution, dry_run).await
        }
        Command::Gen(GenCommand::Roster {
            staff,
            divisions,
            seed,
            changed_percent,
        }) => {
            generate::gen_roster(
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
            allow_mass_change,
            links,
            public_url,
        }) => {
            let db = database::ready(&target, 4).await?;
            let links = links.as_deref().map(|path| roster::Links {
                path,
                public_url: &public_url,
            });
            let args = roster::ImportArgs {
                key: &key(true)?,
                links,
                file: &file,
                institution: &institution,
                dry_run,
                complete,
                effective,
                allow_mass_change,
            };
            roster::import_staff(&db.pool, args).await
        }
        Command::Report(ReportCommand::Annual {
            institution,
            fy,
            format,
            output,
            lang,
        }) => {
            let db = database::ready(&target, 2).await?;
            database::catch_up(&db).await?;
            let dir = audit::checkpoint_dir(&cli.data_dir);
            let a = report::AnnualArgs {
                code: &institution,
                fy,
                format: &format,
                out: &output,
                key: &key(true)?,
                checkpoint_dir: &dir,
                t: lang.catalogue(),
            };
            report::annual(&db.pool, a).await
        }
        Command::Report(ReportCommand::Attendance {
            institution,
            fy,
            course,
            division,
            format,
            output,
            lang,
        }) => {
            let db = database::ready(&target, 2).await?;
            let args = report::AttendanceArgs {
                code: &institution,
                fy,
                course: &course,
                division: division.as_deref(),
                format: &format,
                out: &output,
                key: &key(true)?,
                t: lang.catalogue(),
            };
            report::attendance(&db.pool, args).await
        }
        Command::Serve(args) => {
            let public_url = serve::public_url(&args, Mailer::smtp_in_env(), Fallback::None)?;
            let db = database::ready(&target, args.db_pool).await?;
            serve::check_role(&db, args.allow_superuser).await?;
            let audit = serve::Audit {
                key: key(true)?,
                checkpoint_dir: audit::checkpoint_dir(&cli.data_dir),
            };
            serve::serve(db, &args, audit, public_url).await
        }
        Command::Migrate => {
            let db = database::open(&target, 2).await?;
            if database::migrate(&db).await? {
                println!("migrations applied");
            } else {
                println!("the database is up to date (this role does not migrate)");
            }
            Ok(())
        }
        Command::Demo {
            serve: args,
            content,
        } => {
            let public_url = serve::public_url(&args, Mailer::smtp_in_env(), Fallback::Bind)?;
            let db = database::ready(&target, args.db_pool).await?;
            serve::check_role(&db, args.allow_superuser).await?;
            let audit = serve::Audit {
                key: key(true)?,
                checkpoint_dir: audit::checkpoint_dir(&cli.data_dir),
            };
            demo::prepare(&db.pool, &audit.key, &content, args.bind).await?;
            serve::serve(db, &args, audit, public_url).await
        }
        Command::Audit(AuditCommand::Verify {
            institution,
            checkpoint,
        }) => {
            let db = database::ready(&target, 2).await?;
            let args = audit::VerifyArgs {
                institution: &institution,
                checkpoint: checkpoint.as_deref(),
                data_dir: &cli.data_dir,
                key: key(false),
            };
            audit::verify(&db.pool, args).await
        }
        Command::Audit(AuditCommand::Checkpoint { institution }) => {
            let db = database::ready(&target, 2).await?;
            audit::checkpoint(
                &db.pool,
                &key(false)?,
                institution.as_deref(),
                &cli.data_dir,
            )
            .await
        }
        Command::Content(ContentCommand::Load { dir }) => {
            let db = database::ready(&target, 2).await?;
            admin::load_content(&db.pool, &key(true)?, &dir).await
        }
        Command::Institution(InstitutionCommand::Add { code, name }) => {
            let db = database::ready(&target, 2).await?;
            admin::add_institution(&db.pool, &code, &name).await
        }
        Command::Institution(InstitutionCommand::Auth { code, methods }) => {
            let db = database::ready(&target, 2).await?;
            directory::auth(&db.pool, &key(true)?, &code, methods.as_deref()).await
        }
        Command::Institution(InstitutionCommand::SecondFactor {
            code,
            required,
            trust_amr,
        }) => {
            let db = database::ready(&target, 2).await?;
            second_factor::policy(&db.pool, &key(true)?, &code, required, trust_amr).await
        }
        Command::User(UserCommand::ResetSecondFactor { institution, login }) => {
            let db = database::ready(&target, 2).await?;
            second_factor::reset(&db.pool, &key(true)?, &institution, &login).await
        }
        Command::Institution(InstitutionCommand::Oidc(command)) => {
            let db = database::ready(&target, 2).await?;
            oidc::run(&db.pool, &key(true)?, command).await
        }
        Command::Institution(InstitutionCommand::Directory(command)) => {
            let db = database::ready(&target, 2).await?;
            directory::run(&db.pool, &key(true)?, command).await
        }
        Command::Division(DivisionCommand::Add {
            institution,
            code,
            name,
            parent,
        }) => {
            let db = database::ready(&target, 2).await?;
            admin::add_division(&db.pool, &institution, &code, &name, parent.as_deref()).await
        }
        Command::User(UserCommand::Deputy {
            institution,
            officer,
            deputy,
            from,
            to,
            note,
        }) => {
            let db = database::ready(&target, 2).await?;
            let inst = directory::institution(&db.pool, &institution).await?;
            let key = key(true)?;
            let mut tx = db.pool.begin().await?;
            kenshu_app::digest::deputy::name(
                &mut tx,
                &kenshu_app::audit::Actor::command_line(&key, inst),
                &officer,
                &deputy,
                from,
                to,
                note.as_deref(),
            )
            .await?;
            tx.commit().await?;
            println!("{deputy} receives {officer}'s digests from {from}");
            Ok(())
        }
        Command::User(UserCommand::Link {
            institution,
            login,
            public_url,
        }) => {
            let db = database::ready(&target, 2).await?;
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
            let db = database::ready(&target, 2).await?;
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
