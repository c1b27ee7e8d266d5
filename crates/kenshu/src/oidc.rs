//! `kenshu institution oidc …`: an institution's OpenID Connect provider (Entra ID, Keycloak, a
//! shared identity platform), set from the command line and checked against the provider
//! before it is kept.

use anyhow::{Context, bail};
use kenshu_core::audit::AuditKey;
use kenshu_db::PgPool;
use kenshu_db::oidc::StoredProvider;

use crate::cli::OidcCommand;
use crate::directory::{institution, save_methods};

pub async fn run(pool: &PgPool, key: &AuditKey, command: OidcCommand) -> anyhow::Result<()> {
    match command {
        OidcCommand::Set {
            institution: code,
            issuer,
            client_id,
            claim,
            ca_file,
            timeout_secs,
            public_url,
            client_secret_stdin: _,
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
            let secret = crate::admin::read_password_stdin()?;
            let stored = StoredProvider {
                issuer: issuer.trim_end_matches('/').to_string(),
                client_id,
                client_secret_sealed: kenshu_db::oidc::seal_secret(key, inst, &secret),
                claim,
                ca_pem,
                timeout_secs,
            };
            let config = kenshu_app::oidc::from_stored(&stored, key, inst)?;
            // The provider must answer before the settings are kept: a mistyped issuer or an
            // untrusted certificate is found now, not by the first person signing in.
            kenshu_app::auth::federated::check(&config)
                .await
                .with_context(|| format!("the provider at {} was not set", config.issuer))?;
            let mut conn = pool.acquire().await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            kenshu_db::oidc::set(&mut tx, inst, &stored).await?;
            let mut methods = kenshu_db::institution::sign_in_methods(&mut tx, inst).await?;
            methods.oidc = true;
            let detail = format!(
                "{}; OpenID Connect provider {} (client {}, claim {})",
                methods.names().join(", "),
                stored.issuer,
                stored.client_id,
                stored.claim
            );
            save_methods(&mut tx, key, inst, &code, &methods, &detail).await?;
            tx.commit().await?;
            println!(
                "provider of {code} set: {} (client {}; its secret is kept sealed)",
                stored.issuer, stored.client_id
            );
            print_addresses(&public_url);
            println!("{code} signs in with: {}", methods.names().join(", "));
            Ok(())
        }
        OidcCommand::Show {
            institution: code,
            public_url,
        } => {
            let inst = institution(pool, &code).await?;
            let mut conn = pool.acquire().await?;
            let Some(p) = kenshu_db::oidc::get(&mut conn, inst).await? else {
                println!("{code}: no OpenID Connect provider");
                return Ok(());
            };
            println!("issuer: {}", p.issuer);
            println!("client: {} (secret sealed)", p.client_id);
            println!("claim: {}", p.claim);
            println!(
                "ca: {}",
                if p.ca_pem.is_some() {
                    "the provider's own (set)"
                } else {
                    "the machine's trusted CAs"
                }
            );
            println!("timeout: {} s", p.timeout_secs);
            print_addresses(&public_url);
            Ok(())
        }
        OidcCommand::Remove { institution: code } => {
            let inst = institution(pool, &code).await?;
            let mut conn = pool.acquire().await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let removed = kenshu_db::oidc::remove(&mut tx, inst).await?;
            let mut methods = kenshu_db::institution::sign_in_methods(&mut tx, inst).await?;
            methods.oidc = false;
            if !methods.directory {
                methods.password = true;
            }
            let detail = format!(
                "{}; OpenID Connect provider removed",
                methods.names().join(", ")
            );
            save_methods(&mut tx, key, inst, &code, &methods, &detail).await?;
            tx.commit().await?;
            if removed {
                println!("provider of {code} removed");
            } else {
                println!("{code} had no provider");
            }
            println!("{code} signs in with: {}", methods.names().join(", "));
            Ok(())
        }
    }
}

/// What to register at the provider for this portal.
fn print_addresses(public_url: &str) {
    let base = public_url.trim_end_matches('/');
    println!(
        "register at the provider: redirect URI {base}{}, post-logout redirect URI {base}/login",
        kenshu_app::auth::federated::CALLBACK
    );
}
