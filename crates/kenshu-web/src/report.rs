//! The reports page and its downloads: the annual attendance report and the attendance list,
//! written by `kenshu_app::report` into a temporary file and streamed back.

use std::io;

use crate::lang::t;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kenshu_app::report::{Format, ListFormat, ReportError, Subject, annual, attendance, exported};
use kenshu_core::i18n::Catalogue;
use serde::Deserialize;
use uuid::Uuid;

use crate::page::{Chrome, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::year::Year;
use crate::{AppError, AppState};

impl From<ReportError> for AppError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::NoPlan(_) => AppError::BadRequest(t().report_no_plan.into()),
            ReportError::UnknownCourse(..) => AppError::BadRequest(t().report_bad_course.into()),
            ReportError::Database(e) => AppError::Database(e),
            other => AppError::internal(other),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    format: Option<String>,
    course: Option<String>,
    division: Option<String>,
}

pub struct CourseChoice {
    pub code: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "report/index.html")]
struct IndexPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy: i32,
    fy_label: String,
    formats: Vec<(&'static str, &'static str)>,
    courses: Vec<CourseChoice>,
    divisions: Vec<kenshu_db::institution::Division>,
    has_plan: bool,
}

pub async fn index(
    user: CurrentUser,
    Year(fy): Year,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ExportReports)?;
    let inst = user.session.institution_id;
    let plan = kenshu_db::plan::plan(&mut conn, inst, fy)
        .await?
        .filter(|p| p.plan.approved);
    let titles = kenshu_db::content::course_titles(&mut conn).await?;
    let courses = plan
        .as_ref()
        .map(|p| {
            p.plan
                .courses
                .iter()
                .map(|c| CourseChoice {
                    title: titles.get(&c.code).cloned().unwrap_or(c.code.clone()),
                    code: c.code.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let divisions = kenshu_db::institution::divisions(&mut conn, inst).await?;
    render(&IndexPage {
        chrome: Chrome::for_user(&user, t().report_title),
        t: t(),
        fy: fy.year(),
        fy_label: crate::lang::t().fy_label(fy),
        formats: vec![
            ("xlsx", t().report_xlsx),
            ("csv", t().report_csv),
            ("csv-sjis", t().report_csv_sjis),
            ("html", t().report_html),
        ],
        courses,
        divisions,
        has_plan: plan.is_some(),
    })
}

/// `filename*=UTF-8''…` (RFC 5987) with an ASCII fallback.
pub fn content_disposition(name: &str, ascii_fallback: &str) -> String {
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{enc}")
}

/// Writes through `write` into a temporary file, then streams the file back and removes it.
async fn stream_file<F, Fut>(
    write: F,
    content_type: &'static str,
    disposition: String,
) -> Result<Response, AppError>
where
    F: FnOnce(std::fs::File) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let path = std::env::temp_dir().join(format!("kenshu-export-{}", Uuid::new_v4()));
    let file = std::fs::File::create(&path).map_err(AppError::internal)?;
    let written = write(file).await;
    let opened = tokio::fs::File::open(&path).await;
    // Unlinked at once: the open handle keeps the data readable until the stream ends.
    let _ = std::fs::remove_file(&path);
    written?;
    let file = opened.map_err(AppError::internal)?;
    // Fused: the compression layer may poll the body once more after its end, and a bare
    // `unfold` panics when polled after it finished (the download then broke in browsers).
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 16];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, io::Error>(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
    .fuse();
    Ok(attachment(
        content_type,
        disposition,
        Body::from_stream(stream),
    ))
}

/// A download: its type, its `Content-Disposition` ([`content_disposition`]) and its body.
pub fn attachment(content_type: &str, disposition: String, body: impl Into<Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body.into(),
    )
        .into_response()
}

pub async fn annual_download(
    State(state): State<AppState>,
    user: CurrentUser,
    Year(fy): Year,
    Query(q): Query<ReportQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ExportReports)?;
    let format = Format::parse(q.format.as_deref().unwrap_or("xlsx"))
        .ok_or_else(|| AppError::BadRequest(t().report_bad_format.into()))?;
    let inst = user.session.institution_id;
    let name = format!(
        "{}_{}{}.{}",
        t().report_file_annual,
        t().fy(fy),
        if format == Format::CsvSjis {
            "_SJIS"
        } else {
            ""
        },
        format.extension()
    );
    let fallback = format!("kenshu-report-{}.{}", fy.year(), format.extension());
    let user = &user;
    stream_file(
        |file| async move {
            let subject = Subject {
                institution_id: inst,
                institution_name: &user.session.institution_name,
                fy,
                today: kenshu_core::japan_today(),
                t: t(),
            };
            let rows = annual(&mut conn, &subject, format, file).await?;
            let actor = user.actor();
            exported(
                &mut conn,
                &actor,
                "annual_report",
                fy,
                format.as_str(),
                rows,
            )
            .await?;
            if let Some(dir) = &state.settings.checkpoint_dir {
                let code = &user.session.institution_code;
                let key = &state.settings.audit_key;
                // The export is made; a checkpoint that cannot be written is the operator's
                // to fix, not the downloader's.
                if let Err(e) =
                    kenshu_db::audit_anchor::write_checkpoint(&mut conn, key, inst, code, dir).await
                {
                    tracing::error!(institution = %code, "{e}");
                }
            }
            Ok(())
        },
        format.content_type(),
        content_disposition(&name, &fallback),
    )
    .await
}

pub async fn attendance_download(
    user: CurrentUser,
    Year(fy): Year,
    Query(q): Query<ReportQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ExportReports)?;
    let format = ListFormat::parse(q.format.as_deref().unwrap_or("html"))
        .ok_or_else(|| AppError::BadRequest(t().report_bad_format.into()))?;
    let inst = user.session.institution_id;
    let course = q.course.clone().unwrap_or_default();
    let division = match q.division.as_deref().filter(|d| !d.is_empty()) {
        Some(code) => Some(user.scoped_divisions(&mut conn, Some(code)).await?.1.id),
        None => None,
    };
    let ext = format.as_str();
    let name = format!(
        "{}_{}_{}.{ext}",
        t().report_file_attendance,
        t().fy(fy),
        course
    );
    let fallback = format!("kenshu-attendance-{}.{ext}", fy.year());
    let user = &user;
    stream_file(
        |file| async move {
            let subject = Subject {
                institution_id: inst,
                institution_name: &user.session.institution_name,
                fy,
                today: kenshu_core::japan_today(),
                t: t(),
            };
            let rows = attendance(&mut conn, &subject, &course, division, format, file).await?;
            let actor = user.actor();
            exported(&mut conn, &actor, "attendance_list", fy, ext, rows).await?;
            Ok(())
        },
        format.content_type(),
        content_disposition(&name, &fallback),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_rfc_5987() {
        assert_eq!(
            content_disposition("研修.xlsx", "r.xlsx"),
            "attachment; filename=\"r.xlsx\"; filename*=UTF-8''%E7%A0%94%E4%BF%AE.xlsx"
        );
    }
}
