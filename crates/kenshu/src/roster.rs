//! `kenshu import staff`, `kenshu import designations` and `kenshu user link`.

use kenshu_core::audit::AuditAction;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use kenshu_core::audit::AuditKey;
use kenshu_db::PgPool;
use time::Date;

/// An import that found errors: they have been printed, so the process only exits non-zero.
#[derive(Debug, thiserror::Error)]
#[error("the import found errors and changed nothing")]
pub struct Refused;

/// Where to write sign-in links for new accounts.
pub struct Links<'a> {
    pub path: &'a Path,
    pub public_url: &'a str,
}

pub const LINK_DAYS: i32 = 14;

pub struct ImportArgs<'a> {
    /// The audit log's key.
    pub key: &'a AuditKey,
    pub links: Option<Links<'a>>,
    pub file: &'a Path,
    pub institution: &'a str,
    pub dry_run: bool,
    pub complete: bool,
    pub effective: Option<Date>,
    pub allow_mass_change: bool,
}

/// Imports a roster file: prints what changes (everything, in a dry run) and the summary line.
pub async fn import_staff(pool: &PgPool, args: ImportArgs<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let bytes =
        std::fs::read(args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let today = kenshu_core::japan_today();
    let options = kenshu_core::roster::PlanOptions {
        complete: args.complete,
        default_on: args.effective.unwrap_or(today),
        today,
        allow_mass_change: args.allow_mass_change,
    };
    let mut tx = pool.begin().await?;
    let institution = kenshu_db::institution::find_by_code(&mut tx, args.institution)
        .await?
        .with_context(|| {
            format!(
                "no institution with code '{}' (add it with `kenshu institution add`)",
                args.institution
            )
        })?;
    let actor = kenshu_app::audit::Actor::command_line(args.key, institution.id);
    let file_name = args.file.display().to_string();
    let report = kenshu_app::roster::import(
        &mut tx,
        &kenshu_core::i18n::JA,
        &actor,
        institution.id,
        &file_name,
        bytes,
        options,
        !args.dry_run,
    )
    .await?;
    if let Some(e) = &report.file_error {
        writeln!(out, "{}: {e}", args.file.display())?;
        writeln!(out, "{}", report.division_summary)?;
        writeln!(out, "{}", report.summary)?;
        return Err(Refused.into());
    }
    writeln!(
        out,
        "{}: {}, {} rows read",
        args.file.display(),
        report.encoding,
        report.rows
    )?;
    writeln!(out, "使用した列: {}", report.used.join(", "))?;
    if !report.ignored.is_empty() {
        writeln!(out, "使わなかった列: {}", report.ignored.join(", "))?;
    }
    // Every line: a clerk fixing a file needs all of them (pipe to a file for a long list).
    for s in &report.sections {
        writeln!(out, "{} ({}):", s.title_en, s.total)?;
        for line in &s.lines {
            writeln!(out, "  {line}")?;
        }
    }
    if report.errors > 0 {
        writeln!(out, "errors by kind:")?;
        for (kind, n) in &report.error_counts {
            writeln!(out, "  {kind}: {n}件")?;
        }
        writeln!(
            out,
            "nothing was written: fix the rows above and import again"
        )?;
        writeln!(out, "{}", report.division_summary)?;
        writeln!(out, "{}", report.summary)?;
        return Err(Refused.into());
    }
    if let Some(m) = report.mass_change {
        writeln!(
            out,
            "confirmed with --allow-mass-change: {} new and {} leaving of {} people at work",
            m.new, m.leavers, m.active
        )?;
    }
    if args.dry_run {
        writeln!(out, "dry run: nothing was written")?;
    } else if report.noop {
        writeln!(out, "the portal already matches the file: nothing to do")?;
    } else {
        let written = match &args.links {
            Some(links) if !report.new_logins.is_empty() => {
                let issued = kenshu_db::person::issue_links(
                    &mut tx,
                    institution.id,
                    &report.new_logins,
                    LINK_DAYS,
                    kenshu_db::token::pair,
                )
                .await?;
                write_links(links, &issued)?;
                Some(issued.len())
            }
            _ => None,
        };
        tx.commit().await?;
        writeln!(out, "applied in one transaction")?;
        if let (Some(n), Some(links)) = (written, &args.links) {
            writeln!(
                out,
                "{n} sign-in link(s) written to {} (valid {LINK_DAYS} days)",
                links.path.display()
            )?;
        } else if !report.new_logins.is_empty() {
            writeln!(
                out,
                "{} new account(s) have no password yet: give each a sign-in link (`kenshu user link`, or import with --links FILE)",
                report.new_logins.len()
            )?;
        }
    }
    writeln!(out, "{}", report.division_summary)?;
    writeln!(out, "{}", report.summary)?;
    Ok(())
}

/// `kenshu import designations`: prints every bad row; the last line reads
/// `new=N unchanged=N errors=N`.
pub async fn import_designations(
    pool: &PgPool,
    key: &AuditKey,
    file: &Path,
    institution: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed =
        kenshu_core::roster::decode(bytes).and_then(|d| kenshu_core::designation::parse(&d.text));
    let (rows, mut errors) = match parsed {
        Ok(p) => p,
        Err(e) => {
            writeln!(out, "{}: {e}", file.display())?;
            writeln!(out, "new=0 unchanged=0 errors=1")?;
            return Err(Refused.into());
        }
    };
    let mut tx = pool.begin().await?;
    let inst = kenshu_db::institution::find_by_code(&mut tx, institution)
        .await?
        .with_context(|| format!("no institution with code '{institution}'"))?;
    let (added, unchanged, mut missing) =
        kenshu_db::designation::import(&mut tx, inst.id, &rows, None).await?;
    errors.append(&mut missing);
    errors.sort_by_key(|e| e.line);
    for e in &errors {
        writeln!(out, "{e}")?;
    }
    let summary = format!("new={added} unchanged={unchanged} errors={}", errors.len());
    if !errors.is_empty() {
        writeln!(out, "errors by kind:")?;
        for (kind, n) in kenshu_core::roster::count_by_kind(&kenshu_core::i18n::JA, &errors) {
            writeln!(out, "  {kind}: {n}件")?;
        }
        writeln!(
            out,
            "nothing was written: fix the rows above and import again"
        )?;
        writeln!(out, "{summary}")?;
        return Err(Refused.into());
    }
    if dry_run {
        writeln!(out, "dry run: nothing was written")?;
    } else {
        kenshu_app::audit::Actor::command_line(key, inst.id)
            .record(&mut tx, AuditAction::DesignationsImported, "", &summary)
            .await?;
        tx.commit().await?;
    }
    writeln!(out, "{summary}")?;
    Ok(())
}

fn link_url(public_url: &str, token: &str) -> String {
    format!("{}/welcome/{token}", public_url.trim_end_matches('/'))
}

/// Writes the links as CSV (UTF-8 with BOM, for Excel) readable by the owner only.
fn write_links(
    links: &Links<'_>,
    issued: &[(String, String, Option<String>, String)],
) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(links.path)
        .with_context(|| format!("cannot write {}", links.path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    w.write_all(b"\xEF\xBB\xBF")?;
    writeln!(w, "職員番号,氏名,メールアドレス,パスワード設定用URL")?;
    for (login, name, email, token) in issued {
        writeln!(
            w,
            "{login},{name},{},{}",
            email.clone().unwrap_or_default(),
            link_url(links.public_url, token)
        )?;
    }
    w.flush()?;
    Ok(())
}

/// `kenshu user link`: a fresh one-time link for one person (a newcomer, or a forgotten password).
pub async fn print_link(
    pool: &PgPool,
    institution: &str,
    login: &str,
    public_url: &str,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let inst = kenshu_db::institution::find_by_code(&mut tx, institution)
        .await?
        .with_context(|| format!("no institution with code '{institution}'"))?;
    let issued = kenshu_db::person::issue_links(
        &mut tx,
        inst.id,
        &[login.to_string()],
        LINK_DAYS,
        kenshu_db::token::pair,
    )
    .await?;
    let Some((_, name, _, token)) = issued.first() else {
        anyhow::bail!("no active account with login '{login}' in '{institution}'");
    };
    tx.commit().await?;
    println!(
        "{name}: {} (valid {LINK_DAYS} days, once)",
        link_url(public_url, token)
    );
    Ok(())
}
