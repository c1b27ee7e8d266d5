//! 教材の管理: the chief officer's own courses (and the portal administrator's shared ones) as
//! course packages: uploaded as a zip in the `content/` format, checked and kept as a draft,
//! shown as staff will see them with what would change, published as a new version (in the
//! audit log), and exported again.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::package::{self, PackageError};
use kenshu_core::content::{Changes, CoursePackage, compare};
use kenshu_core::i18n::Catalogue;
use kenshu_core::person::Role;
use kenshu_db::content::{LoadOutcome, ManagedCourse};
use uuid::Uuid;

use crate::flash::{self, Done};
use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::{AppError, AppState};

/// The upload's limit: the archive and the form around it.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(package::MAX_UPLOAD + 64 * 1024)
}

impl CurrentUser {
    /// Whose courses this person authors: the institution's own (the chief officer) or the
    /// shared ones (the portal administrator, `None`).
    pub(crate) fn course_owner(&self) -> Result<Option<Uuid>, AppError> {
        self.require(Action::AuthorCourses)?;
        Ok((self.role != Role::PortalAdmin).then_some(self.session.institution_id))
    }
}

pub struct CourseRow {
    pub code: String,
    pub title: String,
    pub own: bool,
    /// The author's to change: their institution's own course, or for the administrator a
    /// shared one.
    pub editable: bool,
    pub version: Option<i32>,
    pub published: String,
    pub exportable: bool,
    pub draft: Option<String>,
}

#[derive(Template)]
#[template(path = "authoring/index.html")]
struct IndexPage {
    chrome: Chrome,
    t: &'static Catalogue,
    rows: Vec<CourseRow>,
    error: Option<String>,
}

async fn index_page(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let rows = kenshu_db::content::managed_courses(conn, owner)
        .await?
        .into_iter()
        .map(|c: ManagedCourse| CourseRow {
            own: c.institution_id.is_some() && c.institution_id == owner,
            editable: c.institution_id == owner,
            published: c.loaded_at.map(jtime).unwrap_or_default(),
            draft: c.draft_at.map(jtime),
            code: c.code,
            title: c.title,
            version: c.version,
            exportable: c.exportable,
        })
        .collect();
    let refused = error.is_some();
    crate::page::render_form(
        &IndexPage {
            chrome: Chrome::for_user(user, t().mc_title),
            t: t(),
            rows,
            error,
        },
        refused,
    )
}

pub async fn index(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    index_page(&mut conn, &user, None).await
}

/// A refusal as the page shows it: what is wrong, in the author's words.
pub(crate) fn refusal(e: &PackageError) -> String {
    format!("{}{}", t().mc_refused, e.in_lang(t().lang))
}

/// Reads the uploaded archive, checks it and keeps it as the course's draft.
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let (mut file, mut code) = (None, String::new());
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest(t().mc_no_file.into())
        }
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => file = Some(field.bytes().await.map_err(unreadable)?),
            Some("code") => code = field.text().await.map_err(unreadable)?.trim().to_string(),
            _ => {}
        }
    }
    let file = file.filter(|f| !f.is_empty());
    let Conn(mut conn) = Conn::after_body(&state).await?;
    let Some(file) = file else {
        return index_page(&mut conn, &user, Some(t().mc_no_file.into())).await;
    };
    let upload = match package::read_zip(&file).and_then(|u| {
        if code.is_empty() || code == u.folder {
            Ok(u)
        } else {
            package::renamed(&u, &code)
        }
    }) {
        Ok(u) => u,
        Err(e) => return index_page(&mut conn, &user, Some(refusal(&e))).await,
    };
    let mut tx = Tx::begin(Conn(conn)).await?;
    let by = user.session.user_id;
    match package::upload_draft(&mut tx, &state.catalog, owner, by, &upload).await {
        Ok(parsed) => {
            tx.commit().await?;
            Ok(
                Redirect::to(&format!("/manage/courses/drafts/{}", parsed.package.code))
                    .into_response(),
            )
        }
        Err(PackageError::Database(e)) => Err(e.into()),
        Err(e) => {
            let Conn(mut conn) = tx.rollback()?;
            index_page(&mut conn, &user, Some(refusal(&e))).await
        }
    }
}

/// A question's figures from the last year that has them, for the yearly review.
pub struct QuestionReview {
    pub number: u32,
    pub share: String,
    pub people: u32,
    pub flag: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "authoring/draft.html")]
struct DraftPage {
    chrome: Chrome,
    t: &'static Catalogue,
    course: CoursePackage,
    /// The fiscal year the figures are of, and each question's.
    review: Option<(String, Vec<QuestionReview>)>,
    /// The version publishing makes; `None` when the draft equals the current version.
    next: Option<i32>,
    changes: Option<Changes>,
}

impl DraftPage {
    fn review_of(&self, number: &u32) -> Option<&QuestionReview> {
        self.review.as_ref()?.1.iter().find(|r| r.number == *number)
    }
}

/// The draft as staff will see it, and what publishing it would change.
pub async fn draft(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let parsed = package::draft(&mut conn, &state.catalog, owner, &code)
        .await
        .map_err(package_error)?
        .ok_or(AppError::NotFound)?;
    let current = match kenshu_db::content::current_version_owned(&mut conn, owner, &code).await? {
        Some((id, version, sha)) => {
            Some((state.catalog.package(&mut conn, id).await?, version, sha))
        }
        None => None,
    };
    let (next, changes) = match &current {
        None => (Some(1), None),
        Some((_, _, sha)) if *sha == parsed.sha256 => (None, None),
        Some((old, version, _)) => (Some(version + 1), Some(compare(old, &parsed.package))),
    };
    let review = match owner {
        Some(inst) => last_figures(&mut conn, inst, &parsed.package).await?,
        None => None,
    };
    render(&DraftPage {
        chrome: Chrome::for_user(
            &user,
            format!("{} — {}", t().mc_draft_title, parsed.package.title),
        ),
        t: t(),
        review,
        course: parsed.package,
        next,
        changes,
    })
}

/// Each question's share right on people's first attempt in this fiscal year (or, before
/// anyone has taken it this year, the last), over the whole institution, flagged as the
/// yearly review asks (over 95%: too easy; under 40%: unclear or not taught).
async fn last_figures(
    conn: &mut kenshu_db::PgConnection,
    inst: Uuid,
    course: &CoursePackage,
) -> Result<Option<(String, Vec<QuestionReview>)>, AppError> {
    use kenshu_core::insights::{Group, percent, review};
    let Some(test) = &course.test else {
        return Ok(None);
    };
    let divisions: Vec<Uuid> = kenshu_db::institution::divisions(&mut *conn, inst)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let fy = kenshu_core::FiscalYear::of(kenshu_core::japan_today());
    let (this_year, last_year) =
        kenshu_db::insights::first_attempts(conn, inst, fy, &course.code, &divisions).await?;
    let people = |t: &kenshu_core::insights::Tallies| {
        test.questions
            .iter()
            .map(|q| t.get(q.number, Group::All).people)
            .sum::<u32>()
    };
    let (year, tallies) = if people(&this_year) > 0 {
        (fy, this_year)
    } else if people(&last_year) > 0 {
        (fy.previous(), last_year)
    } else {
        return Ok(None);
    };
    let rows = test
        .questions
        .iter()
        .map(|q| {
            let tally = tallies.get(q.number, Group::All);
            QuestionReview {
                number: q.number,
                share: percent(tally).unwrap_or_else(|| "—".into()),
                people: tally.people,
                flag: review(tally).map(crate::insights::review_label),
            }
        })
        .collect();
    Ok(Some((t().fy(year), rows)))
}

/// Starts next year's version of the course as a draft of its current files.
pub async fn renew(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let by = user.session.user_id;
    package::renew(&mut tx, &state.catalog, owner, by, &code)
        .await
        .map_err(package_error)?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/manage/courses/drafts/{code}")).into_response())
}

/// The draft's files as a zip, to be edited and uploaded again.
pub async fn draft_zip(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let files = kenshu_db::content::draft_files(&mut conn, owner, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    zip_download(&code, &files)
}

pub(crate) fn package_error(e: PackageError) -> AppError {
    match e {
        PackageError::Database(e) => e.into(),
        e => AppError::BadRequest(refusal(&e)),
    }
}

/// Publishes the draft as the course's next version.
pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let actor = user.actor();
    let outcome = package::publish(&mut tx, &state.catalog, &actor, owner, &code)
        .await
        .map_err(package_error)?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let done = match outcome {
        LoadOutcome::NewVersion { .. } => Done::CoursePublished,
        LoadOutcome::Unchanged { .. } => Done::DraftDiscarded,
    };
    Ok(flash::redirect("/manage/courses", done))
}

/// Discards the draft.
pub async fn discard(
    user: CurrentUser,
    mut tx: Tx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    if !kenshu_db::content::discard_draft(&mut tx, owner, &code).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(flash::redirect("/manage/courses", Done::DraftDiscarded))
}

/// The current version of a course as a package (zip) in the `content/` format.
pub async fn export(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let files = kenshu_db::content::current_files(&mut conn, owner, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    zip_download(&code, &files)
}

pub struct HistoryRow {
    pub version: i32,
    pub published: String,
    pub sha: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "authoring/versions.html")]
struct VersionsPage {
    chrome: Chrome,
    t: &'static Catalogue,
    code: String,
    title: String,
    /// The author's own course (or, for the administrator, a shared one): it can be renewed.
    own: bool,
    rows: Vec<HistoryRow>,
    /// The two versions compared (older, newer) and what changed between them.
    compared: Option<(i32, i32, Changes)>,
}

#[derive(serde::Deserialize)]
pub struct CompareQuery {
    from: Option<i32>,
    to: Option<i32>,
}

/// A course's versions, newest first, and what changed between any two (by default the
/// current one and the one before it).
pub async fn versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CompareQuery>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let history = kenshu_db::content::history(&mut conn, owner, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let (title, own, versions) = (history.title, history.own, history.versions);
    let newest = versions.first().map(|v| v.version);
    let to = q.to.or(newest);
    let from = q.from.or_else(|| to.map(|t| t - 1));
    let find = |n: Option<i32>| versions.iter().find(|v| Some(v.version) == n);
    let compared = match (find(from), find(to)) {
        (Some(a), Some(b)) if a.version != b.version => {
            let (a, b) = if a.version < b.version {
                (a, b)
            } else {
                (b, a)
            };
            let old = state.catalog.package(&mut conn, a.id).await?;
            let new = state.catalog.package(&mut conn, b.id).await?;
            Some((a.version, b.version, compare(&old, &new)))
        }
        _ => None,
    };
    render(&VersionsPage {
        chrome: Chrome::for_user(&user, format!("{} — {}", t().mc_versions, title)),
        t: t(),
        code,
        title,
        own,
        rows: versions
            .into_iter()
            .map(|v| HistoryRow {
                version: v.version,
                published: jtime(v.loaded_at),
                sha: v.sha256.chars().take(12).collect(),
                current: v.current,
            })
            .collect(),
        compared,
    })
}

/// A course's files as a download, `<code>.zip`.
fn zip_download(code: &str, files: &[(String, String)]) -> Result<Response, AppError> {
    let zip = package::write_zip(code, files).map_err(|e| AppError::Internal(e.into()))?;
    let name = format!("{code}.zip");
    Ok(crate::report::attachment(
        "application/zip",
        crate::report::content_disposition(&name, &name),
        zip,
    ))
}

/// An image a course shows, to anyone signed in: its address is the SHA-256 of its bytes,
/// named only in the text of a course the person sees, and it never changes.
pub async fn media(
    _user: CurrentUser,
    Conn(mut conn): Conn,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    let well_formed = sha256.len() == 64
        && sha256
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if !well_formed {
        return Err(AppError::NotFound);
    }
    let (media_type, bytes) = kenshu_db::content::media(&mut conn, &sha256)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, media_type),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "inline".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
