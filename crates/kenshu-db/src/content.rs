//! Course content versions, and an in-process cache of rendered packages. Versions are
//! immutable, so the cache never needs invalidating; only "which version is current" is
//! read from the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kenshu_core::content::{CoursePackage, Media, ParsedPackage};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadOutcome {
    /// The package is the same as the current version: nothing was written.
    Unchanged { version: i32 },
    /// A new version was stored and made current.
    NewVersion { version: i32, id: Uuid },
}

/// Why a package was not stored.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The code is a course of another institution (or, for an institution's package, a
    /// shared course).
    #[error("the course code '{0}' is taken by another course; give the course another code")]
    Taken(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl LoadError {
    /// The message in Japanese, for the pages.
    pub fn ja(&self) -> String {
        match self {
            LoadError::Taken(code) => {
                format!("研修の記号 '{code}' はほかの研修が使っています。別の記号にしてください。")
            }
            LoadError::Database(_) => "データベースに書き込めませんでした。".into(),
        }
    }
}

/// Stores a shared package (every institution's) as a new version unless it equals the
/// current one: [`load_owned`] with no owner.
pub async fn load(
    conn: &mut PgConnection,
    parsed: &ParsedPackage,
) -> Result<LoadOutcome, LoadError> {
    load_owned(conn, parsed, None).await
}

/// Stores a package as a new version of the course `owner` has (`None`: shared by every
/// institution) unless it equals the current one; the version keeps the files it was read
/// from. A course of another owner is refused. Run it in a transaction: the course row is
/// locked so that concurrent loads number versions in turn.
#[tracing::instrument(level = "debug", skip_all, fields(course = %parsed.package.code))]
pub async fn load_owned(
    conn: &mut PgConnection,
    parsed: &ParsedPackage,
    owner: Option<Uuid>,
) -> Result<LoadOutcome, LoadError> {
    let p = &parsed.package;
    let mine = sqlx::query_scalar!(
        "insert into courses (code, title, position, institution_id) values ($1, $2, $3, $4)
         on conflict (code) do update set title = excluded.title, position = excluded.position
         where courses.institution_id is not distinct from excluded.institution_id
         returning code",
        p.code,
        p.title,
        p.position,
        owner
    )
    .fetch_optional(&mut *conn)
    .await?;
    if mine.is_none() {
        return Err(LoadError::Taken(p.code.clone()));
    }
    let current = sqlx::query!(
        r#"select v.id as "id?", v.version as "version?", v.sha256 as "sha256?" from courses c
         left join content_versions v on v.id = c.current_version_id
         where c.code = $1 for update of c"#,
        p.code
    )
    .fetch_one(&mut *conn)
    .await?;
    keep_media(&mut *conn, &parsed.media).await?;
    let source = Json(&parsed.files);
    if current.sha256.as_deref() == Some(parsed.sha256.as_str()) {
        // The same files: a version stored before sources were kept gets them now.
        sqlx::query!(
            "update content_versions set source = $2 where id = $1 and source is null",
            current.id,
            source as _
        )
        .execute(&mut *conn)
        .await?;
        return Ok(LoadOutcome::Unchanged {
            version: current.version.unwrap_or(0),
        });
    }
    let version = sqlx::query_scalar!(
        "select coalesce(max(version), 0) + 1 from content_versions where course_code = $1",
        p.code
    )
    .fetch_one(&mut *conn)
    .await?
    .unwrap_or(1);
    let id = sqlx::query_scalar!(
        "insert into content_versions (course_code, version, sha256, package, source) values ($1, $2, $3, $4, $5) returning id",
        p.code,
        version,
        parsed.sha256,
        Json(p) as _,
        source as _
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "update courses set current_version_id = $2 where code = $1",
        p.code,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(LoadOutcome::NewVersion { version, id })
}

#[derive(Debug, Clone)]
pub struct VersionInfo {
    pub course_code: String,
    pub title: String,
    pub version: i32,
    pub id: Uuid,
    pub sha256: String,
    pub current: bool,
    pub loaded_at: time::OffsetDateTime,
}

/// Every stored version, newest first per course, for the admin page.
pub async fn versions(conn: &mut PgConnection) -> Result<Vec<VersionInfo>, sqlx::Error> {
    sqlx::query_as!(
        VersionInfo,
        r#"select v.course_code, c.title, v.version, v.id, v.sha256,
                  (c.current_version_id = v.id) as "current!", v.loaded_at
           from content_versions v join courses c on c.code = v.course_code
           order by c.position, v.version desc"#
    )
    .fetch_all(conn)
    .await
}

/// Titles of the courses that have content, by code.
pub async fn course_titles(
    conn: &mut PgConnection,
) -> Result<HashMap<String, String>, sqlx::Error> {
    Ok(
        sqlx::query!("select code, title from courses where current_version_id is not null")
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|r| (r.code, r.title))
            .collect(),
    )
}

pub async fn current_version(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "select current_version_id from courses where code = $1",
        code
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// The current version of a course that institution `inst` sees (a shared course or its
/// own); `None` for another institution's course.
pub async fn current_version_in(
    conn: &mut PgConnection,
    inst: Uuid,
    code: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "select current_version_id from courses
         where code = $1 and (institution_id is null or institution_id = $2)",
        code,
        inst
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// The current version of `owner`'s course (`None`: a shared course): id, number and hash.
pub async fn current_version_owned(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Option<(Uuid, i32, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select v.id, v.version, v.sha256 from courses c join content_versions v on v.id = c.current_version_id
         where c.code = $1 and c.institution_id is not distinct from $2",
        code,
        owner
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.id, r.version, r.sha256)))
}

/// Rendered packages by version id.
#[derive(Debug, Default)]
pub struct Catalog {
    packages: RwLock<HashMap<Uuid, Arc<CoursePackage>>>,
}

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// The package of a version, from the cache or, the first time, from the database.
    pub async fn package(
        &self,
        conn: &mut PgConnection,
        version_id: Uuid,
    ) -> Result<Arc<CoursePackage>, sqlx::Error> {
        if let Some(p) = self
            .packages
            .read()
            .ok()
            .and_then(|m| m.get(&version_id).cloned())
        {
            return Ok(p);
        }
        let Json(package) = sqlx::query_scalar!(
            r#"select package as "package!: Json<CoursePackage>" from content_versions where id = $1"#,
            version_id
        )
        .fetch_one(conn)
        .await?;
        let package = Arc::new(package);
        if let Ok(mut m) = self.packages.write() {
            m.insert(version_id, package.clone());
        }
        Ok(package)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadDirError {
    #[error("cannot read content folder {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}")]
    Content(#[from] kenshu_core::content::ContentError),
    #[error("no course packages (folders with a course.toml) in {0}")]
    Empty(String),
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Loads every course package under `dir` (each folder with a `course.toml`) in one
/// transaction: either every package loads or none does. The sections that questions name
/// are looked up among these packages (`kenshu_core::content::link_sections`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_dir(
    pool: &sqlx::PgPool,
    dir: &std::path::Path,
) -> Result<Vec<(String, LoadOutcome)>, LoadDirError> {
    let shown = dir.display().to_string();
    let mut folders: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LoadDirError::Io(shown.clone(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("course.toml").is_file())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(LoadDirError::Empty(shown));
    }
    let mut parsed = Vec::with_capacity(folders.len());
    for folder in &folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let toml = std::fs::read_to_string(folder.join("course.toml"))
            .map_err(|e| LoadDirError::Io(format!("{}/course.toml", folder.display()), e))?;
        let package = kenshu_core::content::parse_package(&name, &toml, |file| {
            if kenshu_core::content::image::is_image_path(file) {
                let bytes = std::fs::read(folder.join(file)).map_err(|e| e.to_string())?;
                return Ok(kenshu_core::content::image::encode(&bytes));
            }
            std::fs::read_to_string(folder.join(file)).map_err(|e| e.to_string())
        })?;
        parsed.push(package);
    }
    kenshu_core::content::link_sections(&mut parsed)?;
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(parsed.len());
    for p in &parsed {
        outcomes.push((p.package.code.clone(), load(&mut tx, p).await?));
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The courses with content that `owner` sees: the shared ones and, for an institution, its
/// own: code, title and current version, in the courses' order.
pub async fn current_versions_of(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
) -> Result<Vec<(String, String, Uuid)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select code, title, current_version_id as "version!" from courses
           where current_version_id is not null
             and (institution_id is null or institution_id = $1)
           order by position, code"#,
        owner
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.title, r.version))
    .collect())
}

/// A course as its authors manage it.
#[derive(Debug, Clone)]
pub struct ManagedCourse {
    pub code: String,
    pub title: String,
    /// The institution whose own course it is; `None` for a shared course.
    pub institution_id: Option<Uuid>,
    pub version: Option<i32>,
    pub loaded_at: Option<time::OffsetDateTime>,
    /// The current version's files are kept: it can be exported.
    pub exportable: bool,
    /// A draft waits to be published.
    pub draft_at: Option<time::OffsetDateTime>,
}

/// The courses `owner` sees (shared and its own) and the drafts it has, for the authors' page.
pub async fn managed_courses(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
) -> Result<Vec<ManagedCourse>, sqlx::Error> {
    sqlx::query_as!(
        ManagedCourse,
        r#"select coalesce(c.code, d.code) as "code!", coalesce(c.title, d.code) as "title!",
                  coalesce(c.institution_id, d.institution_id) as "institution_id?",
                  v.version as "version?", v.loaded_at as "loaded_at?",
                  (v.source is not null) as "exportable!", d.uploaded_at as "draft_at?"
           from (select * from courses where institution_id is null or institution_id = $1) c
           left join content_versions v on v.id = c.current_version_id
           full join (select * from course_drafts where institution_id is not distinct from $1) d
                on d.code = c.code
           order by c.position nulls last, 1"#,
        owner
    )
    .fetch_all(conn)
    .await
}

/// Keeps a package's images for the portal to serve (an image already kept stays as it is).
async fn keep_media(conn: &mut PgConnection, media: &[Media]) -> Result<(), sqlx::Error> {
    for m in media {
        sqlx::query!(
            "insert into content_media (sha256, media_type, bytes) values ($1, $2, $3)
             on conflict (sha256) do nothing",
            m.sha256,
            m.media_type,
            m.bytes
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// An image a course shows: its type and bytes.
pub async fn media(
    conn: &mut PgConnection,
    sha256: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    Ok(sqlx::query!(
        "select media_type, bytes from content_media where sha256 = $1",
        sha256
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.media_type, r.bytes)))
}

/// Keeps a checked package as the course's draft, replacing an earlier draft of the same
/// owner. A course or draft of another owner is refused.
pub async fn save_draft(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    uploaded_by: Uuid,
    parsed: &ParsedPackage,
) -> Result<(), LoadError> {
    let code = &parsed.package.code;
    keep_media(&mut *conn, &parsed.media).await?;
    let saved = sqlx::query_scalar!(
        "insert into course_drafts (code, institution_id, source, sha256, uploaded_by)
         select $1, $2, $3, $4, $5
         where not exists (select 1 from courses where code = $1 and institution_id is distinct from $2)
         on conflict (code) do update
         set source = excluded.source, sha256 = excluded.sha256, uploaded_by = excluded.uploaded_by,
             uploaded_at = now()
         where course_drafts.institution_id is not distinct from excluded.institution_id
         returning code",
        code,
        owner,
        Json(&parsed.files) as _,
        parsed.sha256,
        uploaded_by
    )
    .fetch_optional(conn)
    .await?;
    match saved {
        Some(_) => Ok(()),
        None => Err(LoadError::Taken(code.clone())),
    }
}

/// The files of `owner`'s draft of a course.
pub async fn draft_files(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Option<Vec<(String, String)>>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        r#"select source as "source!: Json<Vec<(String, String)>>" from course_drafts
           where code = $1 and institution_id is not distinct from $2"#,
        code,
        owner
    )
    .fetch_optional(conn)
    .await?
    .map(|s| s.0))
}

/// Discards `owner`'s draft of a course; whether there was one.
pub async fn discard_draft(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from course_drafts where code = $1 and institution_id is not distinct from $2",
        code,
        owner
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The files of the current version of a course `owner` sees (shared or its own), if kept.
pub async fn current_files(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Option<Vec<(String, String)>>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        r#"select v.source as "source?: Json<Vec<(String, String)>>"
           from courses c join content_versions v on v.id = c.current_version_id
           where c.code = $1 and (c.institution_id is null or c.institution_id = $2)"#,
        code,
        owner
    )
    .fetch_optional(conn)
    .await?
    .flatten()
    .map(|s| s.0))
}

/// A course's versions as `owner` sees them.
#[derive(Debug, Clone)]
pub struct History {
    pub title: String,
    /// `owner`'s own course (for the administrator, a shared one): theirs to change.
    pub own: bool,
    /// Newest first.
    pub versions: Vec<VersionRow>,
}

/// One version of a course, for its history.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: Uuid,
    pub version: i32,
    pub sha256: String,
    pub loaded_at: time::OffsetDateTime,
    pub current: bool,
}

/// Every version of a course `owner` sees (shared or its own), newest first: the course's
/// title and its versions, or `None` for a course it does not see.
pub async fn history(
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Option<History>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select c.title, v.id, v.version, v.sha256, v.loaded_at,
                  (v.id = c.current_version_id) as "current!",
                  (c.institution_id is not distinct from $2) as "own!"
           from courses c join content_versions v on v.course_code = c.code
           where c.code = $1 and (c.institution_id is null or c.institution_id = $2)
           order by v.version desc"#,
        code,
        owner
    )
    .fetch_all(conn)
    .await?;
    let Some((title, own)) = rows.first().map(|r| (r.title.clone(), r.own)) else {
        return Ok(None);
    };
    Ok(Some(History {
        title,
        own,
        versions: rows
            .into_iter()
            .map(|r| VersionRow {
                id: r.id,
                version: r.version,
                sha256: r.sha256,
                loaded_at: r.loaded_at,
                current: r.current,
            })
            .collect(),
    }))
}
