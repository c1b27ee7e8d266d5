//! `kenshu institution directory …`: an institution's directory (Active Directory, OpenLDAP),
//! set from the command line and checked against the directory before it is kept.

use anyhow::{Context, bail};
use kenshu_app::audit::Actor;
use kenshu_app::directory::{DirectoryConfig, authenticate, from_stored};
use kenshu_core::audit::{AuditAction, AuditKey};
use kenshu_core::sign_in::SignInMethods;
use kenshu_db::PgPool;
use kenshu_db::directory::StoredDirectory;

use crate::cli::DirectoryCommand;

pub(crate) async fn institution(pool: &PgPool, code: &str) -> anyhow::Result<uuid::Uuid> {
    let mut conn = pool.acquire().await?;
    crate::admin::institution_id(&mut conn, code).await
}

/// Sets the institution's sign-in methods and records the change (`detail`) in its audit log,
/// in the caller's transaction.
pub(crate) async fn save_methods(
    tx: &mut kenshu_db::PgConnection,
    key: &AuditKey,
    inst: uuid::Uuid,
    code: &str,
    methods: &SignInMethods,
    detail: &str,
) -> anyhow::Result<()> {
    kenshu_db::institution::set_sign_in_methods(&mut *tx, inst, methods).await?;
    Actor::command_line(key, inst)
        .record(tx, AuditAction::SignInMethodsChanged, code, detail)
        .await?;
    Ok(())
}

pub async fn run(pool: &PgPool, key: &AuditKey, command: DirectoryCommand) -> anyhow::Result<()> {
    match command {
        DirectoryCommand::Set {
            institution: code,
            url,
            ca_file,
            bind_dn,
            base_dn,
            login_attribute,
            employee_attribute,
            filter,
            group,
            timeout_secs,
            bind_password_stdin: _,
        } => {
            let inst = institution(pool, &code).await?;
            if !(1..=60).contains(&timeout_secs) {
                bail!("--timeout-secs must be from 1 to 60");
            }
            let ca_pem = match &ca_file {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("reading the CA file {}", path.display()))?,
                ),
                None => None,
            };
            let password = crate::admin::read_password_stdin()?;
            let config = DirectoryConfig {
                url: url.trim_end_matches('/').to_string(),
                ca_pem,
                bind_dn,
                bind_password: password.clone(),
                base_dn,
                login_attribute,
                employee_attribute,
                filter: filter.filter(|f| !f.trim().is_empty()),
                group_dn: group.filter(|g| !g.trim().is_empty()),
                timeout: std::time::Duration::from_secs(timeout_secs as u64),
            };
            // The look-up account must work before the settings are kept: a wrong password or
            // an untrusted certificate is found now, not by the first person signing in.
            kenshu_app::directory::check_lookup(&config)
                .await
                .with_context(|| format!("the directory at {} was not set", config.url))?;
            let stored = StoredDirectory {
                url: config.url.clone(),
                ca_pem: config.ca_pem.clone(),
                bind_dn: config.bind_dn.clone(),
                bind_password_sealed: kenshu_db::directory::seal_password(key, inst, &password),
                base_dn: config.base_dn.clone(),
                login_attribute: config.login_attribute.clone(),
                employee_attribute: config.employee_attribute.clone(),
                filter: config.filter.clone(),
                group_dn: config.group_dn.clone(),
                timeout_secs,
            };
            let mut conn = pool.acquire().await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            kenshu_db::directory::set(&mut tx, inst, &stored).await?;
            // Setting a directory is for signing in with it.
            let mut methods = kenshu_db::institution::sign_in_methods(&mut tx, inst).await?;
            methods.directory = true;
            let detail = format!(
                "{}; directory {} (look-up account {})",
                methods.names().join(", "),
                stored.url,
                stored.bind_dn
            );
            save_methods(&mut tx, key, inst, &code, &methods, &detail).await?;
            tx.commit().await?;
            println!(
                "directory of {code} set: {} (look-up account {}; its password is kept sealed)",
                stored.url, stored.bind_dn
            );
            println!("{code} signs in with: {}", methods.names().join(", "));
            Ok(())
        }
        DirectoryCommand::Check {
            institution: code,
            login,
            password_stdin: _,
        } => {
            let inst = institution(pool, &code).await?;
            let mut conn = pool.acquire().await?;
            let stored = kenshu_db::directory::get(&mut conn, inst)
                .await?
                .with_context(|| format!("{code} has no directory (set it first)"))?;
            drop(conn);
            let config = from_stored(&stored, key, inst)?;
            let password = crate::admin::read_password_stdin()?;
            match authenticate(&config, &login, &password).await {
                Ok(number) => {
                    println!("{login}: signed in; employee number {number}");
                    Ok(())
                }
                Err(e) => bail!("{login}: {e}"),
            }
        }
        DirectoryCommand::Show { institution: code } => {
            let inst = institution(pool, &code).await?;
            let mut conn = pool.acquire().await?;
            let Some(d) = kenshu_db::directory::get(&mut conn, inst).await? else {
                println!("{code}: no directory (staff sign in with portal passwords)");
                return Ok(());
            };
            println!("url: {}", d.url);
            println!(
                "ca: {}",
                if d.ca_pem.is_some() {
                    "the directory's own (set)"
                } else {
                    "the machine's trusted CAs"
                }
            );
            println!("look-up account: {} (password sealed)", d.bind_dn);
            println!("base: {}", d.base_dn);
            println!("login attribute: {}", d.login_attribute);
            println!("employee number attribute: {}", d.employee_attribute);
            println!("filter: {}", d.filter.as_deref().unwrap_or("(none)"));
            println!("group: {}", d.group_dn.as_deref().unwrap_or("(none)"));
            println!("timeout: {} s", d.timeout_secs);
            Ok(())
        }
        DirectoryCommand::Remove { institution: code } => {
            let inst = institution(pool, &code).await?;
            let mut conn = pool.acquire().await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let removed = kenshu_db::directory::remove(&mut tx, inst).await?;
            // Without a directory its people sign in with portal passwords.
            let mut methods = kenshu_db::institution::sign_in_methods(&mut tx, inst).await?;
            methods.directory = false;
            if !methods.oidc {
                methods.password = true;
            }
            let detail = format!("{}; directory removed", methods.names().join(", "));
            save_methods(&mut tx, key, inst, &code, &methods, &detail).await?;
            tx.commit().await?;
            if removed {
                println!("directory of {code} removed");
            } else {
                println!("{code} had no directory");
            }
            println!("{code} signs in with: {}", methods.names().join(", "));
            Ok(())
        }
    }
}

/// `kenshu institution auth CODE [METHODS]`: prints or sets how the institution's people sign in.
pub async fn auth(
    pool: &PgPool,
    key: &AuditKey,
    code: &str,
    methods: Option<&str>,
) -> anyhow::Result<()> {
    let inst = institution(pool, code).await?;
    let mut conn = pool.acquire().await?;
    let Some(list) = methods else {
        let now = kenshu_db::institution::sign_in_methods(&mut conn, inst).await?;
        println!("{code} signs in with: {}", now.names().join(", "));
        return Ok(());
    };
    let methods = SignInMethods::parse(list).map_err(anyhow::Error::msg)?;
    if methods.directory && kenshu_db::directory::get(&mut conn, inst).await?.is_none() {
        bail!("{code} has no directory: set it first with `kenshu institution directory set`");
    }
    if methods.oidc && kenshu_db::oidc::get(&mut conn, inst).await?.is_none() {
        bail!(
            "{code} has no OpenID Connect provider: set it first with `kenshu institution oidc set`"
        );
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    save_methods(
        &mut tx,
        key,
        inst,
        code,
        &methods,
        &methods.names().join(", "),
    )
    .await?;
    tx.commit().await?;
    println!("{code} signs in with: {}", methods.names().join(", "));
    if !methods.password {
        println!("portal administrators still sign in with their portal password");
    }
    Ok(())
}
