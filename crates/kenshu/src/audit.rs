//! `kenshu audit`: verifying an institution's chain under the key and against its
//! checkpoints, each finding with its own exit code, and writing checkpoints.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kenshu_core::audit::{AuditKey, Finding as Kind, Verdict};
use kenshu_db::PgPool;
use kenshu_db::audit_anchor::{KeyError, KeySource, checkpoint_file, read_checkpoints};

/// A verification that found the log broken, or could not get its key: the message and the
/// exit code (3 altered, 4 deleted, 5 truncated or rewritten since a checkpoint, 6 wrong or
/// missing key, 7 unkeyed entries nothing vouches for).
#[derive(Debug)]
pub struct Finding {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Finding {}

/// Where checkpoints live under the data directory.
pub fn checkpoint_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(kenshu_db::audit_anchor::CHECKPOINT_DIR)
}

/// The installation's key: `KENSHU_AUDIT_KEY`, `--audit-key-file`, or `DATA_DIR/audit.key`,
/// made when missing if `create` (commands that write to the log).
pub fn key(file: Option<&Path>, data_dir: &Path, create: bool) -> Result<AuditKey, KeyError> {
    let env = std::env::var(kenshu_db::audit_anchor::KEY_ENV).ok();
    KeySource::choose(env, file.map(Path::to_path_buf), data_dir)?.load(create)
}

pub struct VerifyArgs<'a> {
    pub institution: &'a str,
    /// `--checkpoint FILE`; by default the institution's file under the data directory, if any.
    pub checkpoint: Option<&'a Path>,
    pub data_dir: &'a Path,
    pub key: Result<AuditKey, KeyError>,
}

/// `kenshu audit verify`: the chain intact (and how long), or the first place it breaks.
pub async fn verify(pool: &PgPool, a: VerifyArgs<'_>) -> anyhow::Result<()> {
    let code = a.institution;
    let key = a.key.map_err(|e| Finding {
        code: Kind::WrongKey.exit_code(),
        message: e.to_string(),
    })?;
    let mut conn = pool.acquire().await?;
    let inst = kenshu_db::institution::find_by_code(&mut conn, code)
        .await?
        .with_context(|| format!("no institution with code '{code}'"))?;
    let file = match a.checkpoint {
        Some(f) if !f.is_file() => anyhow::bail!("checkpoint file {} does not exist", f.display()),
        Some(f) => f.to_path_buf(),
        None => checkpoint_file(&checkpoint_dir(a.data_dir), code),
    };
    let checkpoints = read_checkpoints(&file, code)
        .await
        .with_context(|| format!("reading {}", file.display()))?;
    match kenshu_db::audit::verify(&mut conn, &key, inst.id, &checkpoints).await? {
        Verdict::Intact {
            entries,
            keyed,
            checkpoints,
        } => {
            let head = kenshu_db::audit::head(&mut conn, inst.id).await?;
            println!(
                "audit log of {code}: {entries} entries, chain intact ({keyed} keyed under key {}; {checkpoints} checkpoint(s) checked)",
                key.fingerprint()
            );
            println!("{}", kenshu_core::i18n::JA.audit_head(head.as_ref()));
            Ok(())
        }
        Verdict::Broken(broken) => {
            let kind = broken.finding();
            let mut message = format!("audit log of {code} is broken: {broken}");
            if kind == Kind::WrongKey {
                message.push_str(&format!(" [this key: {}]", key.fingerprint()));
            }
            Err(Finding {
                code: kind.exit_code(),
                message,
            }
            .into())
        }
    }
}

/// `kenshu audit checkpoint`: writes the head of one institution's log (or of every
/// institution's) to its checkpoint file, and prints it.
pub async fn checkpoint(
    pool: &PgPool,
    key: &AuditKey,
    institution: Option<&str>,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let dir = checkpoint_dir(data_dir);
    let mut conn = pool.acquire().await?;
    let institutions = match institution {
        Some(code) => vec![
            kenshu_db::institution::find_by_code(&mut conn, code)
                .await?
                .with_context(|| format!("no institution with code '{code}'"))?,
        ],
        None => kenshu_db::institution::list(&mut conn).await?,
    };
    for inst in institutions {
        match kenshu_db::audit_anchor::write_checkpoint(&mut conn, key, inst.id, &inst.code, &dir)
            .await?
        {
            Some(cp) => print!("{}", cp.line()),
            None => println!("{}: the audit log is empty, nothing to anchor", inst.code),
        }
    }
    println!("checkpoints in {}", dir.display());
    Ok(())
}
