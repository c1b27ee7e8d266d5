//! What of the audit log is kept outside the database: the key its chain is keyed with
//! (`KENSHU_AUDIT_KEY`, or a key file under the data directory, made on first use), and the
//! checkpoints of each institution's head (`audit-checkpoints/<code>.log`, one line each).

use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use kenshu_core::audit::{AuditKey, Checkpoint};
use sqlx::PgConnection;
use uuid::Uuid;

/// The environment variable that may hold the key, as 64 hexadecimal digits.
pub const KEY_ENV: &str = "KENSHU_AUDIT_KEY";
/// The key file's name under the data directory.
pub const KEY_FILE: &str = "audit.key";
/// The checkpoints' folder under the data directory.
pub const CHECKPOINT_DIR: &str = "audit-checkpoints";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} is not an audit key: write it as 64 hexadecimal digits (32 bytes)")]
    Bad(String),
    #[error(
        "no audit key: {0} does not exist and {KEY_ENV} is not set. Verify with the key the log was written with (restore the key file from its backup, or set {KEY_ENV})"
    )]
    Missing(PathBuf),
    #[error("audit key file {0}: {1}")]
    Io(PathBuf, io::Error),
    #[error("both {KEY_ENV} and --audit-key-file are set: give the key one way only")]
    Both,
}

/// Where the key comes from: the environment, or a file.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    Env(String),
    File(PathBuf),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env(_) => write!(f, "{KEY_ENV}"),
            KeySource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl KeySource {
    /// The environment's key when set, else the file given, else `data_dir/audit.key`.
    pub fn choose(
        env: Option<String>,
        file: Option<PathBuf>,
        data_dir: &Path,
    ) -> Result<Self, KeyError> {
        match (env.filter(|v| !v.trim().is_empty()), file) {
            (Some(_), Some(_)) => Err(KeyError::Both),
            (Some(v), None) => Ok(KeySource::Env(v)),
            (None, Some(f)) => Ok(KeySource::File(f)),
            (None, None) => Ok(KeySource::File(data_dir.join(KEY_FILE))),
        }
    }

    /// Reads the key. A missing key file is made with a new random key (mode 600) when
    /// `create` is set — by whatever writes to the log, never by a verification.
    pub fn load(&self, create: bool) -> Result<AuditKey, KeyError> {
        let path = match self {
            KeySource::Env(v) => {
                return AuditKey::parse_hex(v).map_err(|_| KeyError::Bad(KEY_ENV.into()));
            }
            KeySource::File(p) => p,
        };
        let io_err = |e| KeyError::Io(path.clone(), e);
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mode = std::fs::metadata(path)
                    .map_err(io_err)?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        file = %path.display(),
                        "the audit key file is readable by others: chmod 600 it"
                    );
                }
                AuditKey::parse_hex(&text).map_err(|_| KeyError::Bad(path.display().to_string()))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => create_key_file(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(KeyError::Missing(path.clone())),
            Err(e) => Err(io_err(e)),
        }
    }
}

fn create_key_file(path: &Path) -> Result<AuditKey, KeyError> {
    let io_err = |e| KeyError::Io(path.to_path_buf(), e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err)?;
    }
    let key = AuditKey::from_bytes(rand::random());
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(mut f) => {
            f.write_all(format!("{}\n", key.to_hex()).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(io_err)?;
            tracing::warn!(
                file = %path.display(),
                fingerprint = key.fingerprint(),
                "made a new audit key: back it up (without it the audit log cannot be verified)"
            );
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            KeySource::File(path.to_path_buf()).load(false)
        }
        Err(e) => Err(io_err(e)),
    }
}

/// The checkpoint file of an institution.
pub fn checkpoint_file(dir: &Path, institution_code: &str) -> PathBuf {
    dir.join(format!("{institution_code}.log"))
}

/// The checkpoints of `institution_code` in `file`; none when it does not exist.
pub async fn read_checkpoints(file: &Path, institution_code: &str) -> io::Result<Vec<Checkpoint>> {
    match tokio::fs::read_to_string(file).await {
        Ok(text) => Ok(Checkpoint::parse_all(&text, institution_code)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("writing the checkpoint {0}: {1}")]
    Io(PathBuf, io::Error),
    #[error(
        "the audit log's last entry ({0}) does not verify under the key: no checkpoint written; run `kenshu audit verify`"
    )]
    HeadDoesNotVerify(i64),
}

/// Appends the institution's head to its checkpoint file in `dir` (unless the file's last
/// checkpoint already says the same) and to the log. Only a head whose own hash verifies
/// under `key` is written, so a checkpoint never vouches for a forged entry.
#[tracing::instrument(level = "debug", skip_all, fields(institution = %institution_id))]
pub async fn write_checkpoint(
    conn: &mut PgConnection,
    key: &AuditKey,
    institution_id: Uuid,
    institution_code: &str,
    dir: &Path,
) -> Result<Option<Checkpoint>, CheckpointError> {
    let head = match crate::audit::verified_head(conn, key, institution_id).await? {
        Ok(Some(head)) => head,
        Ok(None) => return Ok(None),
        Err(seq) => return Err(CheckpointError::HeadDoesNotVerify(seq)),
    };
    let file = checkpoint_file(dir, institution_code);
    let io_err = |e| CheckpointError::Io(file.clone(), e);
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let cp = Checkpoint::of(&head, institution_code, now);
    let last = read_checkpoints(&file, institution_code)
        .await
        .map_err(io_err)?
        .pop();
    if last.is_some_and(|l| l.seq == cp.seq && l.hash == cp.hash) {
        return Ok(Some(cp));
    }
    tokio::fs::create_dir_all(dir).await.map_err(io_err)?;
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .await
        .map_err(io_err)?;
    tokio::io::AsyncWriteExt::write_all(&mut f, cp.line().as_bytes())
        .await
        .map_err(io_err)?;
    f.sync_all().await.map_err(io_err)?;
    tracing::info!(
        institution = institution_code,
        seq = cp.seq,
        hash = hex::encode(&cp.hash),
        "audit log checkpoint"
    );
    Ok(Some(cp))
}

/// Checkpoints every institution; failures are logged and counted, not fatal.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn checkpoint_all(
    conn: &mut PgConnection,
    key: &AuditKey,
    dir: &Path,
) -> Result<(usize, usize), sqlx::Error> {
    let (mut written, mut failed) = (0, 0);
    for inst in crate::institution::list(conn).await? {
        match write_checkpoint(conn, key, inst.id, &inst.code, dir).await {
            Ok(_) => written += 1,
            Err(CheckpointError::Database(e)) => return Err(e),
            Err(e) => {
                failed += 1;
                tracing::error!(institution = %inst.code, "{e}");
            }
        }
    }
    Ok((written, failed))
}
