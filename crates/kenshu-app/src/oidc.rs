//! Signing in with the institution's own OpenID Connect provider (Entra ID, Keycloak, a
//! prefecture's shared identity platform): the portal sends the person to the provider with the
//! authorization-code flow (PKCE, `state` and `nonce`), exchanges the code it gets back for an ID
//! token, checks that token (signature against the provider's published keys, issuer, audience,
//! times, nonce) and returns the employee number (or e-mail) the roster knows the person by. As
//! with a directory, the provider only proves who is signing in; the roster decides who exists.
//!
//! The caller keeps what [`begin`] returns (the state, nonce and PKCE verifier, in
//! `kenshu_db::oidc`) until the provider sends the person back, and hands it to [`finish`].

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdToken, CoreIdTokenVerifier,
    CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, DiscoveryError,
    HttpClientError, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};

/// An institution's provider, as its administrator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer, e.g. `https://login.microsoftonline.com/{tenant}/v2.0`; its
    /// `/.well-known/openid-configuration` describes the rest. `https://` (plain `http://` only
    /// for a provider on this machine, as in the tests).
    pub issuer: String,
    /// The portal's client registration at the provider.
    pub client_id: String,
    pub client_secret: String,
    /// The ID token claim carrying what the roster knows people by: `employee_number`,
    /// `email`, `preferred_username`, an Entra ID extension attribute.
    pub claim: String,
    /// The provider's CA certificate(s), PEM; none: the machine's trusted CAs.
    pub ca_pem: Option<String>,
    /// How long each request to the provider may take.
    pub timeout: Duration,
}

/// Why an OpenID Connect sign-in did not succeed. `Rejected` and `IdToken` follow from what came
/// back through the person's browser (a code used twice or too late, a token that is not for
/// us): the person starts again. `MissingClaim` means the provider does not release the claim
/// for this person. The rest are the provider's or its setup's.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider cannot be reached: {0}")]
    Unavailable(String),
    #[error("the provider's certificate is not trusted: {0}")]
    Certificate(String),
    #[error("the provider refused the code (used already, or too late): {0}")]
    Rejected(String),
    #[error("the ID token is not acceptable: {0}")]
    IdToken(String),
    #[error("the ID token has no {0}; the roster cannot be matched")]
    MissingClaim(String),
    #[error("the provider setup is wrong: {0}")]
    Setup(String),
}

/// What to keep until the provider sends the person back, and where to send them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begun {
    /// The provider's authorization URL with every parameter: redirect the browser there.
    pub authorize_url: String,
    /// Comes back with the code; look the pending sign-in up by it (single use).
    pub state: String,
    /// Must come back inside the ID token.
    pub nonce: String,
    /// Proves at the token endpoint that whoever redeems the code started the sign-in.
    pub pkce_verifier: String,
}

/// Who signed in, as the provider vouches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's stable identifier of the person (`sub`).
    pub subject: String,
    /// The configured claim's value, as text (leading zeros kept).
    pub employee: String,
    /// How the person authenticated (`amr`: `pwd`, `otp`, `mfa`…), empty when not told.
    pub amr: Vec<String>,
    /// The ID token itself, for `id_token_hint` when signing out at the provider.
    pub id_token: String,
}

/// How long discovery (with the keys) is reused before it is fetched again.
const CACHE_FOR: Duration = Duration::from_secs(300);
/// How far the provider's clock may be from ours.
const SKEW: Duration = Duration::from_secs(120);
/// How old an ID token may be when it arrives: it was issued just now, at the token endpoint.
const MAX_TOKEN_AGE: Duration = Duration::from_secs(600);

/// Discovery documents (with their key sets) by issuer and CA: a sign-in must not fetch them
/// every time, and a provider that is briefly slow should not slow every sign-in down.
static DISCOVERED: LazyLock<Mutex<HashMap<String, (Instant, ProviderMetadataWithLogout)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cache_key(config: &OidcConfig) -> String {
    format!(
        "{}\n{}",
        config.issuer,
        config.ca_pem.as_deref().unwrap_or_default()
    )
}

/// Forgets what discovery said for this provider (after its settings change).
pub fn forget(config: &OidcConfig) {
    if let Ok(mut cache) = DISCOVERED.lock() {
        cache.remove(&cache_key(config));
    }
}

/// The HTTP clients made so far, one per provider setting: a client keeps its connections and
/// its TLS setup, so a sign-in does not build either again.
static CLIENTS: LazyLock<Mutex<HashMap<String, reqwest::Client>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The HTTP client for the provider (see [`new_http_client`]), made once per setting.
fn http_client(config: &OidcConfig) -> Result<reqwest::Client, OidcError> {
    let key = format!("{}\n{:?}", cache_key(config), config.timeout);
    if let Some(c) = CLIENTS.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let client = new_http_client(config)?;
    if let Ok(mut m) = CLIENTS.lock() {
        m.insert(key, client.clone());
    }
    Ok(client)
}

/// The HTTP client for the provider: never follows redirects (an issuer answering with one could
/// otherwise make the portal fetch any address inside the network), checks certificates against
/// the provider's CA when given, and gives up after the configured time.
fn new_http_client(config: &OidcConfig) -> Result<reqwest::Client, OidcError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .https_only(!is_loopback_http(&config.issuer));
    if let Some(pem) = &config.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| OidcError::Setup(format!("the CA file: {e}")))?;
        if certs.is_empty() {
            return Err(OidcError::Setup("the CA file holds no certificate".into()));
        }
        builder = builder.tls_built_in_root_certs(false);
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| OidcError::Setup(format!("the HTTP client: {e}")))
}

/// Whether the issuer is plain HTTP on this machine (a test provider): the only place where
/// tokens and the client secret may travel unencrypted.
fn is_loopback_http(issuer: &str) -> bool {
    let Some(rest) = issuer.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

fn issuer_url(config: &OidcConfig) -> Result<IssuerUrl, OidcError> {
    if !config.issuer.starts_with("https://") && !is_loopback_http(&config.issuer) {
        return Err(OidcError::Setup(format!(
            "the issuer {} must start with https://",
            config.issuer
        )));
    }
    IssuerUrl::new(config.issuer.clone())
        .map_err(|e| OidcError::Setup(format!("the issuer {}: {e}", config.issuer)))
}

/// A failed request to the provider: its certificate, or it is not there.
fn request_error(e: &reqwest::Error) -> OidcError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if text.contains("certificate") || text.contains("UnknownIssuer") {
        OidcError::Certificate(text)
    } else {
        OidcError::Unavailable(text)
    }
}

fn http_error(e: &HttpClientError<reqwest::Error>) -> OidcError {
    match e {
        HttpClientError::Reqwest(e) => request_error(e),
        other => OidcError::Unavailable(other.to_string()),
    }
}

fn discovery_error(e: DiscoveryError<HttpClientError<reqwest::Error>>) -> OidcError {
    match e {
        DiscoveryError::Request(e) => http_error(&e),
        DiscoveryError::Response(status, _, _) => {
            OidcError::Unavailable(format!("discovery answered {status}"))
        }
        DiscoveryError::Parse(e) => OidcError::Setup(format!(
            "the issuer does not answer with an OpenID Connect discovery document: {e}"
        )),
        DiscoveryError::UrlParse(e) => OidcError::Setup(format!("the issuer URL: {e}")),
        // The document names another issuer than the one configured: tokens would not match.
        DiscoveryError::Validation(e) => OidcError::Setup(e),
        other => OidcError::Unavailable(other.to_string()),
    }
}

/// The provider's discovery document with its key set, from the cache when fresh.
async fn discover(config: &OidcConfig) -> Result<ProviderMetadataWithLogout, OidcError> {
    let key = cache_key(config);
    if let Ok(cache) = DISCOVERED.lock()
        && let Some((at, metadata)) = cache.get(&key)
        && at.elapsed() < CACHE_FOR
    {
        return Ok(metadata.clone());
    }
    let metadata = discover_afresh(config).await?;
    if let Ok(mut cache) = DISCOVERED.lock() {
        cache.insert(key, (Instant::now(), metadata.clone()));
    }
    Ok(metadata)
}

async fn discover_afresh(config: &OidcConfig) -> Result<ProviderMetadataWithLogout, OidcError> {
    let http = http_client(config)?;
    ProviderMetadataWithLogout::discover_async(issuer_url(config)?, &http)
        .await
        .map_err(discovery_error)
}

/// Fetches the key set again (the provider rotated its keys) and keeps it in the cache.
async fn refresh_keys(
    config: &OidcConfig,
    metadata: &ProviderMetadataWithLogout,
) -> Result<CoreJsonWebKeySet, OidcError> {
    let http = http_client(config)?;
    let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &http)
        .await
        .map_err(discovery_error)?;
    if let Ok(mut cache) = DISCOVERED.lock() {
        cache.insert(
            cache_key(config),
            (Instant::now(), metadata.clone().set_jwks(keys.clone())),
        );
    }
    Ok(keys)
}

/// Fetches the discovery document afresh: whether the settings work, before they are kept.
pub async fn check(config: &OidcConfig) -> Result<(), OidcError> {
    let metadata = discover_afresh(config).await?;
    if metadata.token_endpoint().is_none() {
        return Err(OidcError::Setup(
            "the provider names no token endpoint".into(),
        ));
    }
    if let Ok(mut cache) = DISCOVERED.lock() {
        cache.insert(cache_key(config), (Instant::now(), metadata));
    }
    Ok(())
}

/// The scopes asked for besides `openid`: `profile` and `email`, where the employee number and
/// e-mail usually are, unless the provider says it does not know them.
fn scopes(metadata: &ProviderMetadataWithLogout) -> Vec<Scope> {
    ["profile", "email"]
        .into_iter()
        .filter(|s| {
            metadata
                .scopes_supported()
                .is_none_or(|known| known.iter().any(|k| k.as_str() == *s))
        })
        .map(|s| Scope::new(s.to_string()))
        .collect()
}

/// Starts a sign-in: where to send the person, and what to keep until they come back to
/// `redirect_uri`.
pub async fn begin(config: &OidcConfig, redirect_uri: &str) -> Result<Begun, OidcError> {
    let metadata = discover(config).await?;
    let scopes = scopes(&metadata);
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.clone())),
    )
    .set_redirect_uri(redirect(redirect_uri)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(scopes)
        .set_pkce_challenge(challenge)
        .url();
    Ok(Begun {
        authorize_url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

fn redirect(redirect_uri: &str) -> Result<RedirectUrl, OidcError> {
    RedirectUrl::new(redirect_uri.to_string())
        .map_err(|e| OidcError::Setup(format!("the redirect URI {redirect_uri}: {e}")))
}

/// Finishes a sign-in: redeems `code` (with the PKCE verifier kept by [`begin`]) and checks the
/// ID token against the `nonce` kept with it. The caller has already checked `state`.
pub async fn finish(
    config: &OidcConfig,
    redirect_uri: &str,
    code: &str,
    nonce: &str,
    pkce_verifier: &str,
) -> Result<Identity, OidcError> {
    let metadata = discover(config).await?;
    let http = http_client(config)?;
    let client = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.clone())),
    )
    .set_redirect_uri(redirect(redirect_uri)?);
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| OidcError::Setup(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(&http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => {
                let text = r.to_string();
                match r.error() {
                    CoreErrorResponseType::InvalidClient
                    | CoreErrorResponseType::UnauthorizedClient
                    | CoreErrorResponseType::UnsupportedGrantType => OidcError::Setup(format!(
                        "the provider refused the portal's client ID or secret: {text}"
                    )),
                    _ => OidcError::Rejected(text),
                }
            }
            RequestTokenError::Request(e) => http_error(&e),
            RequestTokenError::Parse(e, _) => {
                OidcError::Unavailable(format!("the token endpoint's answer: {e}"))
            }
            other => OidcError::Unavailable(other.to_string()),
        })?;
    let id_token = response
        .id_token()
        .ok_or_else(|| OidcError::IdToken("the provider sent no ID token".into()))?;
    let nonce = Nonce::new(nonce.to_string());

    let keys = metadata.jwks().clone();
    let claims = match id_token.claims(&verifier(config, &metadata, keys), &nonce) {
        // A key id we have not seen: the provider may have rotated its keys since discovery.
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            let keys = refresh_keys(config, &metadata).await?;
            id_token.claims(&verifier(config, &metadata, keys), &nonce)
        }
        other => other,
    }
    .map_err(|e| OidcError::IdToken(e.to_string()))?;

    // Several audiences: the token must say it was issued to us (OpenID Connect Core 3.1.3.7,
    // steps 4 and 5); openidconnect leaves `azp` to the client.
    let several = claims.audiences().len() > 1;
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != config.client_id => {
            return Err(OidcError::IdToken(format!(
                "issued to another party ({})",
                azp.as_str()
            )));
        }
        None if several => {
            return Err(OidcError::IdToken(
                "several audiences and no authorized party".into(),
            ));
        }
        _ => {}
    }

    let raw = id_token.to_string();
    let employee = claim_of(&raw, &config.claim)?;
    let amr = claims
        .auth_method_refs()
        .map(|v| v.iter().map(|a| a.as_str().to_string()).collect())
        .unwrap_or_default();
    Ok(Identity {
        subject: claims.subject().as_str().to_string(),
        employee,
        amr,
        id_token: raw,
    })
}

/// The checks of an ID token: signed with one of the provider's keys by RS256 or ES256 (never a
/// shared secret, never `none`), issued by the configured issuer to us, now (within [`SKEW`]).
fn verifier(
    config: &OidcConfig,
    metadata: &ProviderMetadataWithLogout,
    keys: CoreJsonWebKeySet,
) -> CoreIdTokenVerifier<'static> {
    let skew = chrono::Duration::from_std(SKEW).unwrap_or_default();
    let max_age = chrono::Duration::from_std(MAX_TOKEN_AGE).unwrap_or_default();
    CoreIdTokenVerifier::new_public_client(
        ClientId::new(config.client_id.clone()),
        metadata.issuer().clone(),
        keys,
    )
    .set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ])
    // Other audiences beside ours are allowed only with `azp` naming us (checked after).
    .set_other_audience_verifier_fn(|_| true)
    // Expiry is checked against a clock `skew` behind ours: a token is not refused for a
    // provider clock a little ahead.
    .set_time_fn(move || chrono::Utc::now() - skew)
    .set_issue_time_verifier_fn(move |iat| {
        let now = chrono::Utc::now();
        if iat > now + skew {
            Err(format!("issued in the future ({iat}; now {now})"))
        } else if iat < now - max_age - skew {
            Err(format!("issued too long ago ({iat}; now {now})"))
        } else {
            Ok(())
        }
    })
}

/// The value of `claim` in an ID token whose signature has been checked, as text. A JSON string
/// is taken as it is (leading zeros kept); a number is written out (a provider sending the
/// employee number as a number has lost any leading zeros already).
fn claim_of(raw: &str, claim: &str) -> Result<String, OidcError> {
    let payload = raw
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
        .ok_or_else(|| OidcError::IdToken("the payload cannot be read".into()))?;
    let value = match payload.get(claim) {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if value.is_empty() {
        return Err(OidcError::MissingClaim(claim.to_string()));
    }
    Ok(value)
}

/// Where to send the browser to sign out at the provider too (RP-Initiated Logout), or `None`
/// when the provider offers no end-session endpoint (then only the portal's session ends).
pub async fn end_session_url(
    config: &OidcConfig,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: &str,
) -> Result<Option<String>, OidcError> {
    let metadata = discover(config).await?;
    let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else {
        return Ok(None);
    };
    let back = PostLogoutRedirectUrl::new(post_logout_redirect_uri.to_string()).map_err(|e| {
        OidcError::Setup(format!(
            "the post-logout URI {post_logout_redirect_uri}: {e}"
        ))
    })?;
    let mut request = LogoutRequest::from(endpoint)
        .set_client_id(ClientId::new(config.client_id.clone()))
        .set_post_logout_redirect_uri(back);
    // The hint is what lets the provider skip asking whom to sign out; an unreadable one is
    // left out rather than failing the sign-out.
    if let Some(hint) = id_token_hint.and_then(|h| h.parse::<CoreIdToken>().ok()) {
        request = request.set_id_token_hint(&hint);
    }
    Ok(Some(request.http_get_url().to_string()))
}

/// An institution's stored settings as a config, the client secret opened under the portal's
/// key.
pub fn from_stored(
    stored: &kenshu_db::oidc::StoredProvider,
    key: &kenshu_core::audit::AuditKey,
    institution: uuid::Uuid,
) -> Result<OidcConfig, OidcError> {
    let client_secret =
        kenshu_db::oidc::open_secret(key, institution, &stored.client_secret_sealed).ok_or_else(
            || {
                OidcError::Setup(
                    "the client secret cannot be opened with this portal's key (was the key \
                     changed?); set the provider again"
                        .into(),
                )
            },
        )?;
    Ok(OidcConfig {
        issuer: stored.issuer.clone(),
        client_id: stored.client_id.clone(),
        client_secret,
        claim: stored.claim.clone(),
        ca_pem: stored.ca_pem.clone(),
        timeout: Duration::from_secs(u64::try_from(stored.timeout_secs).unwrap_or(5)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_this_machine() {
        assert!(is_loopback_http("http://127.0.0.1:4000"));
        assert!(is_loopback_http("http://localhost/realms/x"));
        assert!(is_loopback_http("http://[::1]:8080"));
        assert!(!is_loopback_http("http://idp.example.lg.jp"));
        assert!(!is_loopback_http("http://127.0.0.1.example.jp/"));
        assert!(!is_loopback_http("https://127.0.0.1"));
    }

    #[test]
    fn a_claim_keeps_its_leading_zeros() {
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let raw = format!(
            "{}.{}.sig",
            enc("{}"),
            enc(r#"{"employee_number":"000123","n":42,"empty":" "}"#)
        );
        assert_eq!(
            claim_of(&raw, "employee_number").ok().as_deref(),
            Some("000123")
        );
        assert_eq!(claim_of(&raw, "n").ok().as_deref(), Some("42"));
        assert!(matches!(
            claim_of(&raw, "empty"),
            Err(OidcError::MissingClaim(_))
        ));
        assert!(matches!(
            claim_of(&raw, "email"),
            Err(OidcError::MissingClaim(_))
        ));
    }
}
