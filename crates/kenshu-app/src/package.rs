//! Course packages as files: a zip archive in the `content/` format (a folder named after the
//! course, holding its `course.toml` and its sections' Markdown), read with limits, checked as
//! `kenshu content load` checks a folder, kept as a draft, and published as the course's next
//! version; and written back from a version's files, so a course moves between institutions and
//! installations and the shipped courses round-trip unchanged.

use std::io::{Read, Write};

use kenshu_core::audit::AuditAction;
use kenshu_core::content::{
    ContentError, CoursePackage, ParsedPackage, Said, image, link_sections_with, parse_files,
};
use kenshu_db::PgConnection;
use kenshu_db::content::{Catalog, LoadError, LoadOutcome};
use uuid::Uuid;

use crate::audit::Actor;

/// The largest archive accepted, compressed.
pub const MAX_UPLOAD: usize = 4 * 1024 * 1024;
/// The most files an archive may hold (directories and system files included).
pub const MAX_ENTRIES: usize = 200;
/// The largest file, uncompressed.
pub const MAX_FILE: u64 = 1024 * 1024;
/// The most text a package may hold, uncompressed.
pub const MAX_TOTAL: u64 = 8 * 1024 * 1024;

/// What is wrong with an uploaded archive, naming the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("the file is not a zip archive; upload the .zip a course export gives, as it is")]
    NotZip,
    #[error(
        "the archive holds more than {MAX_ENTRIES} files; a course package holds its course.toml and its sections"
    )]
    TooMany,
    #[error(
        "{0} is larger than 1 MiB, or the archive than 8 MiB, once unpacked; make the sections shorter"
    )]
    TooLarge(String),
    #[error(
        "{0}: a package holds only a course's course.toml, Markdown (.md) files and images/ (PNG, JPEG, GIF, WebP); remove it"
    )]
    NotAllowed(String),
    #[error("{0} is not UTF-8 text; save it as UTF-8")]
    NotText(String),
    #[error("the archive holds no course.toml; export the course again, or zip its folder")]
    Empty,
    #[error("the archive holds more than one course ({0}); upload one course at a time")]
    Several(String),
    #[error("{0}")]
    Content(#[from] ContentError),
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl PackageError {
    /// The message in Japanese, for the pages.
    pub fn ja(&self) -> String {
        match self {
            PackageError::NotZip => {
                "zip ファイルではありません。書き出した .zip をそのまま取り込んでください。".into()
            }
            PackageError::TooMany => format!(
                "zip に {MAX_ENTRIES} 個を超えるファイルがあります。教材パッケージには course.toml と各節のファイル、画像だけを入れます。"
            ),
            PackageError::TooLarge(p) => format!(
                "{p} は展開すると 1MB を超えます（または zip 全体が 8MB を超えます）。節を短くしてください。"
            ),
            PackageError::NotAllowed(p) => format!(
                "{p}: 教材パッケージに入れられるのは course.toml、Markdown（.md）と images/ の画像（PNG・JPEG・GIF・WebP）だけです。取り除いてください。"
            ),
            PackageError::NotText(p) => {
                format!("{p} は UTF-8 の文字ではありません。UTF-8 で保存してください。")
            }
            PackageError::Empty => "zip に course.toml がありません。研修を書き出し直すか、研修のフォルダを zip にしてください。".into(),
            PackageError::Several(s) => {
                format!("zip に複数の研修（{s}）があります。一つずつ取り込んでください。")
            }
            PackageError::Content(e) => e.ja(),
            PackageError::Load(e) => e.ja(),
            PackageError::Database(_) => "データベースに書き込めませんでした。".into(),
        }
    }

    /// The message in `lang`.
    pub fn in_lang(&self, lang: kenshu_core::i18n::Lang) -> String {
        match lang {
            kenshu_core::i18n::Lang::Ja => self.ja(),
            kenshu_core::i18n::Lang::En => self.to_string(),
        }
    }
}

/// An archive's course: its folder (the course code) and files by path in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub folder: String,
    pub files: Vec<(String, String)>,
}

/// Files every archiver adds that are not the author's: skipped.
fn is_noise(path: &str) -> bool {
    path.starts_with("__MACOSX/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|name| name == ".DS_Store" || name == "Thumbs.db")
}

/// Whether an archive's path is a package image: `[<folder>/]images/<name>.<png|jpg|…>`.
fn in_images(path: &str) -> bool {
    let inner = match path.split_once('/') {
        Some((first, rest)) if first != "images" => rest,
        _ => path,
    };
    image::is_image_path(inner)
}

/// Reads a course's files from a zip archive: `<code>/course.toml` and its `.md` files (or the
/// same at the archive's root, the folder then named by the `code` in course.toml).
pub fn read_zip(bytes: &[u8]) -> Result<Upload, PackageError> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| PackageError::NotZip)?;
    if archive.len() > MAX_ENTRIES {
        return Err(PackageError::TooMany);
    }
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|_| PackageError::NotZip)?;
        if file.is_dir() {
            continue;
        }
        // A path that would leave the folder (`../`, an absolute path) is refused by name.
        let name = file.name().map(|n| n.to_string()).unwrap_or_default();
        let Some(path) = file
            .enclosed_name()
            .and_then(|p| p.to_str().map(|s| s.replace('\\', "/")))
        else {
            return Err(PackageError::NotAllowed(name));
        };
        if is_noise(&path) {
            continue;
        }
        let image = in_images(&path);
        let allowed = path.ends_with("/course.toml")
            || path == "course.toml"
            || path.ends_with(".md")
            || image;
        if !allowed {
            return Err(PackageError::NotAllowed(path));
        }
        if file.size() > MAX_FILE {
            return Err(PackageError::TooLarge(path));
        }
        let mut raw = Vec::new();
        // The size the archive declares may lie: read no more than the limit allows.
        file.by_ref()
            .take(MAX_FILE + 1)
            .read_to_end(&mut raw)
            .map_err(|_| PackageError::NotZip)?;
        total += raw.len() as u64;
        if raw.len() as u64 > MAX_FILE || total > MAX_TOTAL {
            return Err(PackageError::TooLarge(path));
        }
        if image {
            // Images travel among the files as base64; what they are is checked when parsed.
            entries.push((path, image::encode(&raw)));
            continue;
        }
        let text = String::from_utf8(raw).map_err(|_| PackageError::NotText(path.clone()))?;
        entries.push((path, text.trim_start_matches('\u{feff}').to_string()));
    }
    let tomls: Vec<&str> = entries
        .iter()
        .filter(|(p, _)| p == "course.toml" || p.ends_with("/course.toml"))
        .map(|(p, _)| p.as_str())
        .collect();
    let prefix = match tomls.as_slice() {
        [] => return Err(PackageError::Empty),
        [one] => one.trim_end_matches("course.toml").to_string(),
        many => return Err(PackageError::Several(many.join(", "))),
    };
    let folder = if prefix.is_empty() {
        let toml = &entries
            .iter()
            .find(|(p, _)| p == "course.toml")
            .ok_or(PackageError::Empty)?
            .1;
        toml::from_str::<toml::Table>(toml)
            .ok()
            .and_then(|t| t.get("code").and_then(|c| c.as_str()).map(str::to_string))
            .unwrap_or_default()
    } else {
        prefix.trim_end_matches('/').to_string()
    };
    if folder.contains('/') {
        return Err(PackageError::NotAllowed(format!("{prefix}course.toml")));
    }
    let mut files = Vec::with_capacity(entries.len());
    for (path, text) in entries {
        let Some(inner) = path.strip_prefix(&prefix) else {
            return Err(PackageError::NotAllowed(path));
        };
        files.push((inner.to_string(), text));
    }
    // course.toml first, as a version keeps its files.
    files.sort_by_key(|(p, _)| p != "course.toml");
    Ok(Upload { folder, files })
}

/// The upload as another course: `code` in its course.toml, and its questions' links to its
/// own sections, renamed (to bring a course another institution exported under a code taken
/// here). The rewritten course.toml keeps every value but not the author's layout or comments.
pub fn renamed(upload: &Upload, code: &str) -> Result<Upload, PackageError> {
    let bad = |message: String| {
        PackageError::Content(ContentError::Invalid {
            folder: upload.folder.clone(),
            said: Said::new(
                message.clone(),
                format!("course.toml を読めません: {message}"),
            ),
        })
    };
    let mut files = upload.files.clone();
    let Some((_, text)) = files.iter_mut().find(|(p, _)| p == "course.toml") else {
        return Err(PackageError::Empty);
    };
    let mut table: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    let old = format!("{}/", upload.folder);
    table.insert("code".into(), toml::Value::String(code.to_string()));
    if let Some(questions) = table
        .get_mut("test")
        .and_then(|t| t.get_mut("questions"))
        .and_then(|q| q.as_array_mut())
    {
        for q in questions {
            let Some(sections) = q.get_mut("sections").and_then(|s| s.as_array_mut()) else {
                continue;
            };
            for s in sections {
                if let Some(slug) = s.as_str().and_then(|r| r.strip_prefix(&old)) {
                    *s = toml::Value::String(format!("{code}/{slug}"));
                }
            }
        }
    }
    *text = toml::to_string(&table).map_err(|e| bad(e.to_string()))?;
    Ok(Upload {
        folder: code.to_string(),
        files,
    })
}

/// A course's files as a zip archive: `<folder>/<path>` for each.
pub fn write_zip(
    folder: &str,
    files: &[(String, String)],
) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, text) in files {
        zip.start_file(format!("{folder}/{path}"), options)?;
        if image::is_image_path(path) {
            let bytes = image::decode(path, text)
                .map(|m| m.bytes)
                .map_err(|e| zip::result::ZipError::Io(std::io::Error::other(e.en)))?;
            zip.write_all(&bytes)?;
        } else {
            zip.write_all(text.as_bytes())?;
        }
    }
    Ok(zip.finish()?.into_inner())
}

/// The current packages of the courses `owner` sees (its own and the shared ones), for
/// linking an uploaded package's questions to sections of other courses.
async fn visible_packages(
    conn: &mut PgConnection,
    catalog: &Catalog,
    owner: Option<Uuid>,
) -> Result<Vec<std::sync::Arc<CoursePackage>>, sqlx::Error> {
    let mut packages = Vec::new();
    for (_, _, version) in kenshu_db::content::current_versions_of(&mut *conn, owner).await? {
        packages.push(catalog.package(&mut *conn, version).await?);
    }
    Ok(packages)
}

/// A course's files parsed and their questions linked to the sections of the courses `owner`
/// sees.
async fn checked(
    conn: &mut PgConnection,
    catalog: &Catalog,
    owner: Option<Uuid>,
    folder: &str,
    files: &[(String, String)],
) -> Result<ParsedPackage, PackageError> {
    let mut parsed = [parse_files(folder, files)?];
    let others = visible_packages(&mut *conn, catalog, owner).await?;
    let others: Vec<&CoursePackage> = others.iter().map(|p| p.as_ref()).collect();
    link_sections_with(&mut parsed, &others)?;
    let [parsed] = parsed;
    Ok(parsed)
}

/// Checks an upload as a folder of `content/` is checked (its questions may name sections of
/// the courses `owner` sees), and keeps it as the course's draft, replacing an earlier one.
pub async fn upload_draft(
    conn: &mut PgConnection,
    catalog: &Catalog,
    owner: Option<Uuid>,
    uploaded_by: Uuid,
    upload: &Upload,
) -> Result<ParsedPackage, PackageError> {
    let parsed = checked(&mut *conn, catalog, owner, &upload.folder, &upload.files).await?;
    kenshu_db::content::save_draft(&mut *conn, owner, uploaded_by, &parsed).await?;
    Ok(parsed)
}

/// A draft read back and checked again (the courses it links to may have changed since).
pub async fn draft(
    conn: &mut PgConnection,
    catalog: &Catalog,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Option<ParsedPackage>, PackageError> {
    let Some(files) = kenshu_db::content::draft_files(&mut *conn, owner, code).await? else {
        return Ok(None);
    };
    Ok(Some(checked(conn, catalog, owner, code, &files).await?))
}

/// Starts next year's version of `owner`'s course: a draft holding the current version's files
/// (the same bank), to be reviewed and changed before it is published. `None` when `owner` has
/// no such course, or its files were not kept.
pub async fn renew(
    conn: &mut PgConnection,
    catalog: &Catalog,
    owner: Option<Uuid>,
    by: Uuid,
    code: &str,
) -> Result<Option<ParsedPackage>, PackageError> {
    if kenshu_db::content::current_version_owned(&mut *conn, owner, code)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let Some(files) = kenshu_db::content::current_files(&mut *conn, owner, code).await? else {
        return Ok(None);
    };
    let upload = Upload {
        folder: code.to_string(),
        files,
    };
    Ok(Some(upload_draft(conn, catalog, owner, by, &upload).await?))
}

/// Publishes a draft as the course's next version (or finds it the same as the current one),
/// records it in the audit log and discards the draft, in the caller's transaction.
pub async fn publish(
    conn: &mut PgConnection,
    catalog: &Catalog,
    actor: &Actor<'_>,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Option<LoadOutcome>, PackageError> {
    let Some(parsed) = draft(&mut *conn, catalog, owner, code).await? else {
        return Ok(None);
    };
    let outcome = kenshu_db::content::load_owned(&mut *conn, &parsed, owner).await?;
    kenshu_db::content::discard_draft(&mut *conn, owner, code).await?;
    if let LoadOutcome::NewVersion { version, .. } = outcome {
        let scope = if owner.is_some() {
            "institution"
        } else {
            "shared"
        };
        actor
            .record(
                conn,
                AuditAction::ContentLoaded,
                &format!("{code} v{version}"),
                &format!(
                    "published from an upload ({scope}); sha256 {}",
                    parsed.sha256
                ),
            )
            .await?;
    }
    Ok(Some(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_written_course_reads_back_the_same() {
        let files = vec![
            ("course.toml".to_string(), "code = \"x\"\n".to_string()),
            ("sections/01-a.md".to_string(), "# 見出し\n".to_string()),
        ];
        let zip = write_zip("x", &files).unwrap();
        assert_eq!(
            read_zip(&zip).unwrap(),
            Upload {
                folder: "x".into(),
                files
            }
        );
    }

    #[test]
    fn a_renamed_course_links_its_questions_to_its_own_sections_under_the_new_code() {
        let toml = "code = \"a\"\ntitle = \"t\"\n[[test.questions]]\nnumber = 1\nsections = [\"a/one\", \"clerk/cases-2\"]\n";
        let up = Upload {
            folder: "a".into(),
            files: vec![
                ("course.toml".into(), toml.into()),
                ("s.md".into(), "x".into()),
            ],
        };
        let renamed = renamed(&up, "b").unwrap();
        assert_eq!(renamed.folder, "b");
        let table: toml::Table = toml::from_str(&renamed.files[0].1).unwrap();
        assert_eq!(table["code"].as_str(), Some("b"));
        let sections = table["test"]["questions"][0]["sections"]
            .as_array()
            .unwrap();
        assert_eq!(sections[0].as_str(), Some("b/one"));
        assert_eq!(
            sections[1].as_str(),
            Some("clerk/cases-2"),
            "another course's section stays"
        );
        assert_eq!(renamed.files[1], up.files[1]);
    }

    #[test]
    fn a_course_zipped_without_its_folder_is_named_by_its_code() {
        let zip = zip_of(&[
            ("course.toml", b"code = \"own\"\n"),
            ("sections/01-a.md", b"text"),
            ("__MACOSX/._course.toml", b"junk"),
        ]);
        let up = read_zip(&zip).unwrap();
        assert_eq!(up.folder, "own");
        assert_eq!(up.files.len(), 2);
    }

    #[test]
    fn hostile_archives_are_refused_naming_the_file() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not a zip".to_vec(), "not a zip archive"),
            (
                zip_of(&[("x/course.toml", b"a"), ("x/../../etc/passwd", b"b")]),
                "etc/passwd",
            ),
            (
                zip_of(&[("x/course.toml", b"a"), ("x/run.sh", b"b")]),
                "x/run.sh",
            ),
            (
                zip_of(&[("x/course.toml", b"a"), ("x/s.md", &[0xff, 0xfe, 0x00])]),
                "x/s.md is not UTF-8",
            ),
            (
                zip_of(&[("x/course.toml", b"a"), ("y/course.toml", b"b")]),
                "more than one course",
            ),
            (zip_of(&[("x/s.md", b"a")]), "no course.toml"),
        ];
        for (zip, message) in cases {
            let e = read_zip(&zip).unwrap_err().to_string();
            assert!(e.contains(message), "{message}: {e}");
        }
        // A bomb: 2 MiB of zeros compresses to a few KiB but is refused once unpacked.
        let bomb = {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let deflated = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("x/course.toml", deflated).unwrap();
            zip.write_all(b"a").unwrap();
            zip.start_file("x/big.md", deflated).unwrap();
            zip.write_all(&vec![b'0'; 2 * 1024 * 1024]).unwrap();
            zip.finish().unwrap().into_inner()
        };
        assert!(bomb.len() < 64 * 1024);
        let e = read_zip(&bomb).unwrap_err().to_string();
        assert!(e.contains("x/big.md is larger than 1 MiB"), "{e}");
    }
}
