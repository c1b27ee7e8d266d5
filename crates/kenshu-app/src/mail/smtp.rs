//! The SMTP transport from `KENSHU_SMTP_URL`, trusting, when given, the certificate authority
//! of a relay whose certificate no public authority signed (`KENSHU_SMTP_CA_FILE`): an
//! institution's own relay often has one from an internal CA.

use std::time::Duration;

use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// How long one SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The transport of `url` (as lettre reads it), its TLS also trusting the PEM certificates
/// `ca_pem` besides the public roots.
pub fn transport(
    url: &str,
    ca_pem: Option<&[u8]>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("KENSHU_SMTP_URL is not an SMTP URL: {e}"))?
        .timeout(Some(TIMEOUT));
    let Some(pem) = ca_pem else {
        return Ok(builder.build());
    };
    // lettre has read the URL already; only which TLS it asked for is needed again.
    let parsed = url::Url::parse(url).map_err(|e| format!("KENSHU_SMTP_URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let tls_mode = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let wrap: fn(TlsParameters) -> Tls = match (parsed.scheme(), tls_mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper,
        (_, Some("required")) => Tls::Required,
        (_, Some("opportunistic")) => Tls::Opportunistic,
        _ => {
            return Err(
                "KENSHU_SMTP_CA_FILE is set but KENSHU_SMTP_URL uses no TLS: use smtps:// or ?tls=required"
                    .into(),
            );
        }
    };
    // An empty or foreign file would parse as no certificate at all and trust nothing new.
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err("KENSHU_SMTP_CA_FILE holds no PEM certificate".into());
    }
    let certificate = Certificate::from_pem(pem)
        .map_err(|e| format!("KENSHU_SMTP_CA_FILE holds no PEM certificate: {e}"))?;
    let parameters = TlsParameters::builder(host)
        .add_root_certificate(certificate)
        .build()
        .map_err(|e| format!("KENSHU_SMTP_CA_FILE: {e}"))?;
    let tls = wrap(parameters);
    Ok(builder.tls(tls).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trusted_authority_needs_a_url_with_tls_and_a_certificate() {
        let e = transport("smtp://relay.example.jp:25", Some(b"")).unwrap_err();
        assert!(e.contains("uses no TLS"), "{e}");
        let e = transport("smtp://relay.example.jp?tls=required", Some(b"key")).unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");
        assert!(transport("smtp://relay.example.jp:25", None).is_ok());
        let e = transport("http://relay.example.jp", None).unwrap_err();
        assert!(e.starts_with("KENSHU_SMTP_URL"), "{e}");
    }
}
