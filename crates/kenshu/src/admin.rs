//! Administration commands: content, institutions, divisions, accounts. Each exits non-zero
//! with a one-line message on bad input.

use kenshu_core::audit::AuditAction;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use kenshu_core::audit::AuditKey;
use kenshu_core::my_number::contains_my_number;
use kenshu_core::person::{LoginId, Role, check_new_password};
use kenshu_db::PgPool;
use kenshu_db::content::LoadOutcome;

pub async fn load_content(pool: &PgPool, key: &AuditKey, dir: &Path) -> anyhow::Result<()> {
    let outcomes = kenshu_db::content::load_dir(pool, dir).await?;
    let mut changed = 0;
    for (code, outcome) in &outcomes {
        match outcome {
            LoadOutcome::Unchanged { version } => println!("{code}: unchanged (v{version})"),
            LoadOutcome::NewVersion { version, .. } => {
                changed += 1;
                println!("{code}: loaded as v{version}");
            }
        }
    }
    if changed == 0 {
        println!("content unchanged: nothing to do");
    } else {
        println!("{changed} course(s) loaded as new versions");
        // Content is shared: every institution's log says it changed.
        let loaded: Vec<String> = outcomes
            .iter()
            .filter_map(|(code, o)| match o {
                LoadOutcome::NewVersion { version, .. } => Some(format!("{code} v{version}")),
                LoadOutcome::Unchanged { .. } => None,
            })
            .collect();
        let mut tx = pool.begin().await?;
        for inst in kenshu_db::institution::list(&mut tx).await? {
            kenshu_app::audit::Actor::command_line(key, inst.id)
                .record(
                    &mut tx,
                    AuditAction::ContentLoaded,
                    &dir.display().to_string(),
                    &loaded.join(", "),
                )
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

fn check_free_text(field: &str, value: &str) -> anyhow::Result<()> {
    if value.trim().is_empty() {
        bail!("{field} is empty");
    }
    if contains_my_number(value) {
        bail!(
            "{field} contains what looks like a My Number (12 digits with a valid check digit); the portal never stores one"
        );
    }
    Ok(())
}

pub async fn add_institution(pool: &PgPool, code: &str, name: &str) -> anyhow::Result<()> {
    let valid = !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        bail!("institution code '{code}' must be 1-32 characters of a-z, 0-9, '-' and '_'");
    }
    check_free_text("institution name", name)?;
    let mut conn = pool.acquire().await?;
    match kenshu_db::institution::create(&mut conn, code, name).await {
        Ok(_) => {
            println!("institution {code} ({name}) added");
            Ok(())
        }
        Err(e) if kenshu_db::is_unique_violation(&e, "institutions_code_key") => {
            bail!("institution '{code}' already exists")
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn institution_id(
    conn: &mut kenshu_db::PgConnection,
    code: &str,
) -> anyhow::Result<uuid::Uuid> {
    Ok(kenshu_db::institution::find_by_code(conn, code)
        .await?
        .with_context(|| {
            format!("no institution with code '{code}' (add it with `kenshu institution add`)")
        })?
        .id)
}

pub async fn add_division(
    pool: &PgPool,
    institution: &str,
    code: &str,
    name: &str,
    parent: Option<&str>,
) -> anyhow::Result<()> {
    if code.trim().is_empty() || code.len() > 64 {
        bail!("division code must be 1-64 characters");
    }
    check_free_text("division name", name)?;
    let mut conn = pool.acquire().await?;
    let inst = institution_id(&mut conn, institution).await?;
    let parent_id = match parent {
        Some(p) => Some(
            kenshu_db::institution::find_division(&mut conn, inst, p)
                .await?
                .with_context(|| {
                    format!("no division with code '{p}' in '{institution}' to be the parent")
                })?
                .id,
        ),
        None => None,
    };
    match kenshu_db::institution::create_division(&mut conn, inst, code, name, parent_id).await {
        Ok(_) => {
            println!("division {code} ({name}) added to {institution}");
            Ok(())
        }
        Err(e) if kenshu_db::is_unique_violation(&e, "divisions_institution_id_code_key") => {
            bail!("division '{code}' already exists in '{institution}'")
        }
        Err(e) => Err(e.into()),
    }
}

pub fn read_password_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the password from standard input")?;
    let password = s.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!(
            "no password on standard input (pipe it in: `printf '%s' PASSWORD | kenshu user add … --password-stdin`)"
        );
    }
    Ok(password)
}

pub struct NewAccount {
    pub institution: String,
    pub login: String,
    pub name: String,
    pub division: String,
    pub role: String,
    pub email: Option<String>,
    pub password: String,
}

pub async fn add_user(pool: &PgPool, a: NewAccount) -> anyhow::Result<()> {
    let login = LoginId::parse(&a.login)?;
    let role: Role = a.role.parse()?;
    check_free_text("name", &a.name)?;
    if let Some(email) = &a.email {
        check_free_text("email", email)?;
        if !email.contains('@') || email.len() > 254 {
            bail!("email '{email}' is not an e-mail address");
        }
    }
    check_new_password(login.as_str(), &a.password)
        .map_err(|e| anyhow::anyhow!("initial password: {e}"))?;
    let mut conn = pool.acquire().await?;
    let inst = institution_id(&mut conn, &a.institution).await?;
    let division = kenshu_db::institution::find_division(&mut conn, inst, &a.division)
        .await?
        .with_context(|| {
            format!(
                "no division with code '{}' in '{}'",
                a.division, a.institution
            )
        })?;
    let password = a.password;
    let hash = tokio::task::spawn_blocking(move || kenshu_db::password::hash(&password)).await??;
    let new = kenshu_db::person::NewUser {
        institution_id: inst,
        login_id: &login,
        email: a.email.as_deref(),
        name: &a.name,
        division_id: division.id,
        role,
        password_hash: &hash,
        must_change_password: true,
    };
    match kenshu_db::person::create(&mut conn, &new).await {
        Ok(_) => {
            println!(
                "user {} ({}) added as {role}; they choose a new password at first sign-in",
                login.as_str(),
                a.name
            );
            Ok(())
        }
        Err(e) if kenshu_db::is_unique_violation(&e, kenshu_db::person::LOGIN_TAKEN) => {
            bail!(
                "login '{}' already exists in '{}'",
                login.as_str(),
                a.institution
            )
        }
        Err(e) if kenshu_db::is_unique_violation(&e, kenshu_db::person::EMAIL_TAKEN) => {
            bail!(
                "e-mail address is already used by another account in '{}'",
                a.institution
            )
        }
        Err(e) => Err(e.into()),
    }
}
