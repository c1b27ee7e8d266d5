//! `kenshu report`: the annual attendance report and the attendance list, written to a file.

use std::path::Path;

use anyhow::{Context, bail};
use kenshu_app::audit::Actor;
use kenshu_app::report::{Format, ListFormat, ReportError, Subject};
use kenshu_core::FiscalYear;
use kenshu_core::audit::AuditKey;
use sqlx::PgPool;

fn explain(e: ReportError, fy: FiscalYear) -> anyhow::Error {
    match e {
        ReportError::NoPlan(_) => {
            anyhow::anyhow!("no approved training plan for {fy}; approve the plan before exporting")
        }
        ReportError::UnknownCourse(c, _) => {
            anyhow::anyhow!("course '{c}' is not in the training plan for {fy}")
        }
        other => anyhow::anyhow!(other),
    }
}

async fn institution(pool: &PgPool, code: &str) -> anyhow::Result<(uuid::Uuid, String)> {
    let mut conn = pool.acquire().await?;
    let inst = kenshu_db::institution::find_by_code(&mut conn, code)
        .await?
        .with_context(|| format!("unknown institution '{code}'"))?;
    Ok((inst.id, inst.name))
}

/// Writes to `FILE.part` and renames it on success, so a failed export leaves no half file.
fn part_file(out: &Path) -> anyhow::Result<(std::path::PathBuf, std::fs::File)> {
    let mut part = out.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let file =
        std::fs::File::create(&part).with_context(|| format!("cannot write {}", part.display()))?;
    Ok((part, file))
}

pub struct AnnualArgs<'a> {
    pub code: &'a str,
    pub fy: FiscalYear,
    pub format: &'a str,
    pub out: &'a Path,
    /// The audit log's key, and where its checkpoints go: the export is recorded, then the
    /// log's head is checkpointed.
    pub key: &'a AuditKey,
    pub checkpoint_dir: &'a Path,
    /// The language of the document (`--lang`).
    pub t: &'static kenshu_core::i18n::Catalogue,
}

pub async fn annual(pool: &PgPool, a: AnnualArgs<'_>) -> anyhow::Result<()> {
    let AnnualArgs {
        code, fy, out, key, ..
    } = a;
    let Some(format) = Format::parse(a.format) else {
        bail!(
            "unknown format '{}'; use xlsx, csv, csv-sjis or html",
            a.format
        );
    };
    let (institution_id, name) = institution(pool, code).await?;
    let mut conn = pool.acquire().await?;
    let subject = Subject {
        institution_id,
        institution_name: &name,
        fy,
        today: kenshu_core::japan_today(),
        t: a.t,
    };
    let (part, file) = part_file(out)?;
    let rows = match kenshu_app::report::annual(&mut conn, &subject, format, file).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(explain(e, fy));
        }
    };
    std::fs::rename(&part, out).with_context(|| format!("cannot write {}", out.display()))?;
    kenshu_app::report::exported(
        &mut conn,
        &Actor::command_line(key, institution_id),
        "annual_report",
        fy,
        format.as_str(),
        rows,
    )
    .await?;
    println!("rows={rows} file={}", out.display());
    let written = kenshu_db::audit_anchor::write_checkpoint(
        &mut conn,
        key,
        institution_id,
        code,
        a.checkpoint_dir,
    )
    .await
    .context("the report is written, but the audit log's checkpoint is not")?;
    if let Some(cp) = written {
        print!("checkpoint: {}", cp.line());
    }
    Ok(())
}

pub struct AttendanceArgs<'a> {
    pub code: &'a str,
    pub fy: FiscalYear,
    pub course: &'a str,
    pub division: Option<&'a str>,
    pub format: &'a str,
    pub out: &'a Path,
    pub key: &'a AuditKey,
    /// The language of the document (`--lang`).
    pub t: &'static kenshu_core::i18n::Catalogue,
}

pub async fn attendance(pool: &PgPool, a: AttendanceArgs<'_>) -> anyhow::Result<()> {
    let Some(format) = ListFormat::parse(a.format) else {
        bail!("unknown format '{}'; use html or csv", a.format);
    };
    let (institution_id, name) = institution(pool, a.code).await?;
    let mut conn = pool.acquire().await?;
    let division = match a.division {
        Some(d) => Some(
            kenshu_db::institution::find_division(&mut conn, institution_id, d)
                .await?
                .with_context(|| format!("unknown division '{d}'"))?
                .id,
        ),
        None => None,
    };
    let subject = Subject {
        institution_id,
        institution_name: &name,
        fy: a.fy,
        today: kenshu_core::japan_today(),
        t: a.t,
    };
    let (part, file) = part_file(a.out)?;
    let rows =
        match kenshu_app::report::attendance(&mut conn, &subject, a.course, division, format, file)
            .await
        {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(explain(e, a.fy));
            }
        };
    std::fs::rename(&part, a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    kenshu_app::report::exported(
        &mut conn,
        &Actor::command_line(a.key, institution_id),
        "attendance_list",
        a.fy,
        a.format,
        rows,
    )
    .await?;
    println!("rows={rows} file={}", a.out.display());
    Ok(())
}
