//! One outbox row as the mail that leaves the portal, and the portal's host that names it.

use kenshu_core::fiscal_year::JST;
use kenshu_db::reminder::OutboxMail;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// The mail of an outbox row as it goes out, dated `at`.
///
/// The Message-ID is the outbox row's id on the portal's host: unique per mail, and the same
/// when a mail is sent again after a crash, so mail systems can tell it is one mail. lettre
/// adds `MIME-Version` only to MIME bodies (hence a single part) and dates in UTC (hence the
/// `Date` replaced once the message is built, as the builder would replace a `Date` it
/// cannot parse).
pub fn message(
    m: &OutboxMail,
    from: &Mailbox,
    host: &str,
    at: OffsetDateTime,
) -> Result<Message, String> {
    let to: Mailbox = m
        .to_address
        .parse()
        .map_err(|e| format!("bad address {:?}: {e}", m.to_address))?;
    let date = at
        .to_offset(JST)
        .format(&Rfc2822)
        .map_err(|e| format!("date: {e}"))?;
    // A drill mail carries its campaign's sender name on the portal's own address (the relay
    // accepts only that), and names its campaign so the relay's filter can let it through.
    let from = match &m.from_name {
        Some(name) => Mailbox::new(Some(name.clone()), from.email.clone()),
        None => from.clone(),
    };
    let mut message = Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}@{host}>", m.id)))
        .singlepart(SinglePart::plain(m.body.clone()))
        .map_err(|e| e.to_string())?;
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Date"),
        date,
    ));
    if let Some(campaign) = m.drill_campaign_id {
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Kenshu-Drill"),
            campaign.to_string(),
        ));
    }
    Ok(message)
}

/// The host of the portal's public URL (`https://kenshu.city.example.lg.jp/` gives
/// `kenshu.city.example.lg.jp`); an error naming `KENSHU_PUBLIC_URL` when it is not an
/// http(s) URL with a host.
pub fn public_host(public_url: &str) -> Result<String, String> {
    let fix = "set KENSHU_PUBLIC_URL (--public-url) to the portal's address as people reach it, e.g. https://kenshu.city.example.lg.jp";
    let url = url::Url::parse(public_url.trim())
        .map_err(|e| format!("KENSHU_PUBLIC_URL {public_url:?} is not a URL ({e}): {fix}"))?;
    match (url.scheme(), url.host_str()) {
        ("http" | "https", Some(host)) if !host.is_empty() => Ok(host.to_ascii_lowercase()),
        _ => Err(format!(
            "KENSHU_PUBLIC_URL {public_url:?} is not an http(s) address with a host: {fix}"
        )),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn reminder_mail() -> OutboxMail {
        OutboxMail {
            institution_id: uuid::Uuid::nil(),
            id: uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            to_address: "yamada@city.example.jp".into(),
            subject: "【研修】受講期限が近づいています".into(),
            body: "山田 様\n\nhttps://kenshu.city.example.lg.jp/my\n".into(),
            attempts: 0,
            from_name: None,
            drill_campaign_id: None,
        }
    }

    /// What mail systems look for in the headers: a Message-ID on the portal's host, MIME
    /// 1.0, a UTF-8 text body and the date in Japan time.
    #[test]
    fn a_mail_names_its_portal_mime_version_and_japan_time() {
        let from: Mailbox = "研修ポータル <kenshu@city.example.lg.jp>".parse().unwrap();
        let at = time::macros::datetime!(2026-11-30 15:30:00 UTC);
        let m = reminder_mail();
        let raw = message(&m, &from, "kenshu.city.example.lg.jp", at).unwrap();
        let text = String::from_utf8(raw.formatted()).unwrap();
        let (headers, _) = text.split_once("\r\n\r\n").unwrap();
        let lines: Vec<&str> = headers.lines().collect();
        for expected in [
            "Message-ID: <01234567-89ab-cdef-0123-456789abcdef@kenshu.city.example.lg.jp>",
            "MIME-Version: 1.0",
            "Date: Tue, 01 Dec 2026 00:30:00 +0900",
            "Content-Type: text/plain; charset=utf-8",
        ] {
            assert!(lines.contains(&expected), "{expected} in\n{headers}");
        }
        assert_eq!(headers.matches("Date:").count(), 1, "{headers}");
        assert!(headers.contains("Subject: =?utf-8?"), "{headers}");
        assert!(headers.is_ascii(), "{headers}");
    }

    #[test]
    fn the_portal_host_comes_from_an_http_address_and_nothing_else() {
        assert_eq!(
            public_host("https://Kenshu.City.example.lg.jp/").unwrap(),
            "kenshu.city.example.lg.jp"
        );
        assert_eq!(public_host("http://127.0.0.1:8080").unwrap(), "127.0.0.1");
        for bad in [
            "kenshu.city.example.lg.jp",
            "ftp://kenshu.example.jp",
            "",
            "https://",
        ] {
            let e = public_host(bad).unwrap_err();
            assert!(
                e.contains("KENSHU_PUBLIC_URL") && e.contains("https://"),
                "{bad}: {e}"
            );
        }
    }
}
