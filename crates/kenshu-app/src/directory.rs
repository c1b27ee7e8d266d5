//! Signing in against the institution's own directory (Active Directory, OpenLDAP): the portal
//! looks the person up with its own read-only account, checks the group that may sign in, binds
//! as the person's entry with the password they typed, and returns the employee number the
//! roster knows them by. The directory only proves who is signing in; the roster decides who
//! exists and what they must take. Always over TLS (`ldaps://`, or `ldap://` with StartTLS),
//! certificates checked, against the directory's own CA when one is given.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, ldap_escape};

/// An institution's directory, as its administrator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryConfig {
    /// `ldaps://host:636`, or `ldap://host:389` (then StartTLS is used).
    pub url: String,
    /// The directory's CA certificate(s), PEM; none: the machine's trusted CAs.
    pub ca_pem: Option<String>,
    /// The portal's read-only look-up account and its password.
    pub bind_dn: String,
    pub bind_password: String,
    /// Where people's entries are searched (subtree).
    pub base_dn: String,
    /// The attribute people sign in with: `sAMAccountName` (Active Directory), `uid`.
    pub login_attribute: String,
    /// The attribute holding the employee number the roster uses: `employeeID`,
    /// `employeeNumber`.
    pub employee_attribute: String,
    /// Further conditions an entry must meet, as an LDAP filter, e.g. Active Directory's
    /// "not disabled": `(!(userAccountControl:1.2.840.113556.1.4.803:=2))`.
    pub filter: Option<String>,
    /// The group whose members may sign in (its `member` values name them).
    pub group_dn: Option<String>,
    /// How long a connection or an operation may take.
    pub timeout: Duration,
}

/// Why a directory sign-in did not succeed. The first three are the person's (and are shown
/// to them alike, as a wrong name or password); the rest are the directory's or its setup's.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the directory refused the password")]
    BadPassword,
    #[error("no entry in the directory has that name (or it may not sign in)")]
    NotFound,
    #[error("the entry is not in the group that may sign in")]
    NotInGroup,
    #[error("the name matches more than one entry; the login attribute must be unique")]
    Ambiguous,
    #[error("the entry has no {0}; the roster cannot be matched")]
    NoEmployeeNumber(String),
    #[error("the directory cannot be reached: {0}")]
    Unavailable(String),
    #[error("the directory's certificate is not trusted: {0}")]
    Certificate(String),
    #[error("the portal's look-up account was refused; check its DN and password")]
    LookupRefused,
    #[error("the directory setup is wrong: {0}")]
    Setup(String),
}

/// The result code of a bind with a wrong password (RFC 4511).
const INVALID_CREDENTIALS: u32 = 49;

fn connection_error(e: LdapError) -> DirectoryError {
    let text = e.to_string();
    match e {
        LdapError::Rustls { .. } | LdapError::DNSName { .. } => DirectoryError::Certificate(text),
        LdapError::Io { source } if source.to_string().contains("certificate") => {
            DirectoryError::Certificate(source.to_string())
        }
        _ => DirectoryError::Unavailable(text),
    }
}

/// The TLS settings: the directory's CA when given.
fn settings(cfg: &DirectoryConfig) -> Result<LdapConnSettings, DirectoryError> {
    let plain = cfg.url.starts_with("ldap://");
    if !plain && !cfg.url.starts_with("ldaps://") {
        return Err(DirectoryError::Setup(format!(
            "the URL {} must start with ldaps:// or ldap:// (StartTLS)",
            cfg.url
        )));
    }
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(cfg.timeout)
        .set_starttls(plain);
    if let Some(pem) = &cfg.ca_pem {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| DirectoryError::Setup(format!("the CA file: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| DirectoryError::Setup(format!("the CA file: {e}")))?;
        }
        if roots.is_empty() {
            return Err(DirectoryError::Setup(
                "the CA file holds no certificate".into(),
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| DirectoryError::Setup(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        settings = settings.set_config(Arc::new(config));
    }
    Ok(settings)
}

/// Checks `login` and `password` against the directory; the person's employee number.
pub async fn authenticate(
    cfg: &DirectoryConfig,
    login: &str,
    password: &str,
) -> Result<String, DirectoryError> {
    // An empty password makes a simple bind "unauthenticated" and succeed: never send one.
    if password.is_empty() || login.trim().is_empty() {
        return Err(DirectoryError::BadPassword);
    }
    let mut ldap = connect(cfg).await?;
    let result = look_up_and_bind(&mut ldap, cfg, login.trim(), password).await;
    let _ = ldap.unbind().await;
    result
}

/// A connection to the directory (TLS set up, the connection driven in the background).
async fn connect(cfg: &DirectoryConfig) -> Result<ldap3::Ldap, DirectoryError> {
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings(cfg)?, &cfg.url)
        .await
        .map_err(connection_error)?;
    ldap3::drive!(conn);
    ldap.with_timeout(cfg.timeout);
    Ok(ldap)
}

/// Binds as the look-up account; a refusal of its password is the setup's fault.
async fn bind_lookup(ldap: &mut ldap3::Ldap, cfg: &DirectoryConfig) -> Result<(), DirectoryError> {
    match ldap
        .simple_bind(&cfg.bind_dn, &cfg.bind_password)
        .await
        .map_err(connection_error)?
        .success()
    {
        Ok(_) => Ok(()),
        Err(LdapError::LdapResult { result }) if result.rc == INVALID_CREDENTIALS => {
            Err(DirectoryError::LookupRefused)
        }
        Err(e) => Err(connection_error(e)),
    }
}

async fn look_up_and_bind(
    ldap: &mut ldap3::Ldap,
    cfg: &DirectoryConfig,
    login: &str,
    password: &str,
) -> Result<String, DirectoryError> {
    bind_lookup(ldap, cfg).await?;
    let filter = format!(
        "(&({}={}){})",
        cfg.login_attribute,
        ldap_escape(login),
        cfg.filter.as_deref().unwrap_or("")
    );
    let (entries, _) = ldap
        .with_timeout(cfg.timeout)
        .search(
            &cfg.base_dn,
            Scope::Subtree,
            &filter,
            vec![cfg.employee_attribute.as_str()],
        )
        .await
        .map_err(connection_error)?
        .success()
        .map_err(|e| DirectoryError::Setup(e.to_string()))?;
    let entry = match entries.len() {
        0 => return Err(DirectoryError::NotFound),
        1 => entries
            .into_iter()
            .next()
            .map(SearchEntry::construct)
            .ok_or(DirectoryError::NotFound)?,
        _ => return Err(DirectoryError::Ambiguous),
    };
    if let Some(group) = &cfg.group_dn {
        let member = format!("(member={})", ldap_escape(&entry.dn));
        let (found, _) = ldap
            .with_timeout(cfg.timeout)
            .search(group, Scope::Base, &member, vec!["1.1"])
            .await
            .map_err(connection_error)?
            .success()
            .map_err(|e| DirectoryError::Setup(format!("the group {group}: {e}")))?;
        if found.is_empty() {
            return Err(DirectoryError::NotInGroup);
        }
    }
    let number = entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&cfg.employee_attribute))
        .and_then(|(_, v)| v.first())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DirectoryError::NoEmployeeNumber(cfg.employee_attribute.clone()))?;
    match ldap
        .with_timeout(cfg.timeout)
        .simple_bind(&entry.dn, password)
        .await
        .map_err(connection_error)?
        .success()
    {
        Ok(_) => Ok(number),
        Err(LdapError::LdapResult { result }) if result.rc == INVALID_CREDENTIALS => {
            Err(DirectoryError::BadPassword)
        }
        Err(e) => Err(connection_error(e)),
    }
}

/// An institution's stored settings as a config to connect with, its look-up password opened
/// under the portal's key.
pub fn from_stored(
    stored: &kenshu_db::directory::StoredDirectory,
    key: &kenshu_core::audit::AuditKey,
    institution: uuid::Uuid,
) -> Result<DirectoryConfig, DirectoryError> {
    let bind_password =
        kenshu_db::directory::open_password(key, institution, &stored.bind_password_sealed)
            .ok_or_else(|| {
                DirectoryError::Setup(
                    "the look-up password cannot be opened with this portal's key (was the key \
                     changed?); set the directory again"
                        .into(),
                )
            })?;
    Ok(DirectoryConfig {
        url: stored.url.clone(),
        ca_pem: stored.ca_pem.clone(),
        bind_dn: stored.bind_dn.clone(),
        bind_password,
        base_dn: stored.base_dn.clone(),
        login_attribute: stored.login_attribute.clone(),
        employee_attribute: stored.employee_attribute.clone(),
        filter: stored.filter.clone(),
        group_dn: stored.group_dn.clone(),
        timeout: Duration::from_secs(u64::try_from(stored.timeout_secs).unwrap_or(5)),
    })
}

/// Connects and binds as the look-up account: whether the settings work, before they are kept.
pub async fn check_lookup(cfg: &DirectoryConfig) -> Result<(), DirectoryError> {
    let mut ldap = connect(cfg).await?;
    let bound = bind_lookup(&mut ldap, cfg).await;
    let _ = ldap.unbind().await;
    bound
}
