//! Course content versions, and an in-process cache of rendered packages. Versions are
//! immutable, so the cache never needs invalidating; only "which version is current" is
//! read from the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kenshu_core::content::{CoursePackage, ParsedPackage};
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

/// Stores a package as a new version unless it equals the current one. Run it in a
/// transaction: the course row is locked so that concurrent loads number versions in turn.
#[tracing::instrument(level = "debug", skip_all, fields(course = %parsed.package.code))]
pub async fn load(
    conn: &mut PgConnection,
    parsed: &ParsedPackage,
) -> Result<LoadOutcome, sqlx::Error> {
    let p = &parsed.package;
    sqlx::query!(
        "insert into courses (code, title, position) values ($1, $2, $3)
         on conflict (code) do update set title = excluded.title, position = excluded.position",
        p.code,
        p.title,
        p.position
    )
    .execute(&mut *conn)
    .await?;
    let current = sqlx::query!(
        r#"select v.version as "version?", v.sha256 as "sha256?" from courses c
         left join content_versions v on v.id = c.current_version_id
         where c.code = $1 for update of c"#,
        p.code
    )
    .fetch_one(&mut *conn)
    .await?;
    if current.sha256.as_deref() == Some(parsed.sha256.as_str()) {
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
        "insert into content_versions (course_code, version, sha256, package) values ($1, $2, $3, $4) returning id",
        p.code,
        version,
        parsed.sha256,
        Json(p) as _
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

/// Every course with content: code, title and current version, in the courses' order.
pub async fn current_versions(
    conn: &mut PgConnection,
) -> Result<Vec<(String, String, Uuid)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"select code, title, current_version_id as "version!" from courses
           where current_version_id is not null order by position, code"#
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.title, r.version))
    .collect())
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
