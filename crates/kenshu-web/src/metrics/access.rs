//! Who may read `/metrics`: the holder of the token, or a client on one of the operator's
//! networks, judged by the address the trusted proxy forwarded when there is one.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use sha2::{Digest, Sha256};

use crate::Settings;

/// Whether a request may read the metrics: the right token, or a client address in the
/// allowed networks. Behind a proxy (`trust_proxy`) the peer is the proxy, often on loopback,
/// so only the address the proxy appended to `X-Forwarded-For` counts there (a request
/// without it has only the token).
pub(super) fn may_read(settings: &Settings, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
    if let (Some(expected), Some(given)) = (settings.metrics_token.as_deref(), bearer(headers))
        && !expected.is_empty()
        && same_secret(given, expected)
    {
        return true;
    }
    let client = if settings.trust_proxy {
        forwarded_client(headers)
    } else {
        peer
    };
    client.is_some_and(|ip| {
        let ip = ip.to_canonical();
        settings.metrics_allow.iter().any(|net| net.contains(&ip))
    })
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Compares two secrets in time that depends on neither (their digests, byte by byte).
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The client's address as the trusted proxy appended it: the last entry of
/// `X-Forwarded-For` (the same rule as the sign-in throttle's `auth::Client`).
fn forwarded_client(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
        .and_then(|v| v.parse().ok())
}

/// The networks that may read `/metrics` by default: this machine (loopback).
pub fn loopback() -> Vec<IpNet> {
    use ipnet::{Ipv4Net, Ipv6Net};
    use std::net::{Ipv4Addr, Ipv6Addr};
    vec![
        Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8).into(),
        Ipv6Net::new_assert(Ipv6Addr::LOCALHOST, 128).into(),
    ]
}

/// Networks as an operator writes them (`KENSHU_METRICS_ALLOW`): comma-separated CIDRs
/// (`10.0.0.0/8, 2001:db8::/32`) or single addresses; an empty list allows none.
pub fn parse_networks(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<IpNet>()
                .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "{n:?} is not a network: write a CIDR such as 10.0.0.0/8, or an address"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn settings(token: Option<&str>, allow: &str, trust_proxy: bool) -> Settings {
        Settings {
            metrics_token: token.map(str::to_string),
            metrics_allow: parse_networks(allow).expect("networks"),
            trust_proxy,
            ..Default::default()
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn by_default_only_this_machine_may_read_the_metrics() {
        let s = Settings::default();
        assert!(may_read(&s, &headers(&[]), ip("127.0.0.1")));
        assert!(may_read(&s, &headers(&[]), ip("127.8.9.10")));
        assert!(may_read(&s, &headers(&[]), ip("::1")));
        assert!(may_read(&s, &headers(&[]), ip("::ffff:127.0.0.1")));
        assert!(!may_read(&s, &headers(&[]), ip("10.0.0.1")));
        assert!(!may_read(&s, &headers(&[]), None));
    }

    #[test]
    fn the_operators_networks_or_the_right_token_may_read_them() {
        let s = settings(Some("s3cret-token"), "10.1.0.0/16, 192.0.2.7", false);
        assert!(may_read(&s, &headers(&[]), ip("10.1.200.3")));
        assert!(may_read(&s, &headers(&[]), ip("192.0.2.7")));
        assert!(!may_read(&s, &headers(&[]), ip("192.0.2.8")));
        assert!(!may_read(&s, &headers(&[]), ip("127.0.0.1")));
        let right = headers(&[("authorization", "Bearer s3cret-token")]);
        let wrong = headers(&[("authorization", "Bearer s3cret-tokex")]);
        let basic = headers(&[("authorization", "Basic s3cret-token")]);
        assert!(may_read(&s, &right, ip("203.0.113.9")));
        assert!(!may_read(&s, &wrong, ip("203.0.113.9")));
        assert!(!may_read(&s, &basic, ip("203.0.113.9")));
        let empty = settings(Some(""), "", false);
        assert!(!may_read(
            &empty,
            &headers(&[("authorization", "Bearer ")]),
            None
        ));
    }

    #[test]
    fn behind_a_proxy_the_forwarded_address_counts_and_the_proxys_loopback_does_not() {
        let s = settings(None, "127.0.0.0/8, 10.9.0.0/16", true);
        let from_outside = headers(&[("x-forwarded-for", "127.0.0.1, 198.51.100.4")]);
        assert!(!may_read(&s, &from_outside, ip("127.0.0.1")));
        assert!(!may_read(&s, &headers(&[]), ip("127.0.0.1")));
        let from_office = headers(&[("x-forwarded-for", "10.9.3.4")]);
        assert!(may_read(&s, &from_office, ip("127.0.0.1")));
    }

    #[test]
    fn networks_are_read_as_operators_write_them() {
        let n = parse_networks(" 10.0.0.0/8,,::1 , 192.0.2.1/32").expect("networks");
        assert_eq!(n.len(), 3);
        assert!(parse_networks("").expect("none").is_empty());
        let e = parse_networks("10.0.0.0/8, localhost").expect_err("refused");
        assert!(e.contains("\"localhost\""), "{e}");
        assert_eq!(loopback()[0].to_string(), "127.0.0.0/8");
    }
}
