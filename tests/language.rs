//! English as the second language of the portal: the browser's `Accept-Language` decides when
//! the person has not chosen, the switch in the header decides when they have, and an English
//! page has English chrome (the course content stays Japanese: it is the material).

use kenshu_core::i18n::{EN, JA};
use kenshu_core::people::Role;
use kenshu_tests::{TestApp, user};

/// Japanese characters (kana, kanji, full-width forms and Japanese punctuation).
fn japanese(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| {
            matches!(*c as u32, 0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
        })
        .collect()
}

/// The page's chrome: its header and footer, without the switch's own link to Japanese (a
/// language is named in itself) and without the person's and institution's names (data).
fn chrome(body: &str, names: &[&str]) -> String {
    let header = body
        .split("<header class=\"site\">")
        .nth(1)
        .and_then(|h| h.split("</header>").next())
        .unwrap_or_default();
    let footer = body
        .split("<footer class=\"site\">")
        .nth(1)
        .and_then(|f| f.split("</footer>").next())
        .unwrap_or_default();
    let mut text = format!("{header}\n{footer}").replace(">日本語</a>", "></a>");
    for n in names {
        text = text.replace(n, "");
    }
    text
}

#[tokio::test]
async fn a_browser_that_asks_for_english_gets_english_and_one_that_asks_for_japanese_japanese() {
    let app = TestApp::spawn().await;
    for (accept, lang, title) in [
        ("en-US,en;q=0.9", "en", EN.sign_in),
        ("ja,en-US;q=0.9,en;q=0.8", "ja", JA.sign_in),
        ("fr-FR,fr;q=0.9", "ja", JA.sign_in),
        ("fr-FR,en;q=0.5", "en", EN.sign_in),
    ] {
        let client = kenshu_tests::http::browser_like().build().unwrap();
        let res = client
            .get(app.url("/login"))
            .header("accept-language", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(
            body.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}: {body}"
        );
        assert!(body.contains(title), "{accept}: {title} missing");
    }
}

#[tokio::test]
async fn the_switch_keeps_the_choice_and_an_english_page_has_english_chrome() {
    let app = TestApp::spawn().await;
    user(app.pool(), "officer", Role::ProtectionOfficer).await;
    let mut b = app.signed_in("officer").await;
    let before = b.get("/my").await;
    assert!(before.body.contains("<html lang=\"ja\">"));

    let switched = b.get("/language/en?next=/officer").await;
    assert_eq!(switched.status, 303);
    assert_eq!(switched.location.as_deref(), Some("/officer"));
    let set = switched
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(set.starts_with("kenshu_lang=en;"), "{set}");

    // The test client asks for Japanese first: the choice wins over the browser's.
    for path in ["/my", "/officer", "/password"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("<html lang=\"en\">"), "{path}");
        for label in [EN.my_training, EN.sign_out, EN.footer, "Protection officer"] {
            assert!(page.body.contains(label), "{path}: {label} missing");
        }
        let left = japanese(&chrome(&page.body, &["試験 officer", "テスト市"]));
        assert!(
            left.is_empty(),
            "{path}: Japanese in the English chrome: {left:?}\n{}",
            chrome(&page.body, &[])
        );
    }

    // The statuses are words of the catalogue too: the officer has not started their courses.
    let my = b.get("/my").await;
    assert!(my.body.contains(EN.status_not_started), "{}", my.body);
    assert!(!my.body.contains(JA.status_not_started), "{}", my.body);

    // Somewhere else, off this portal: back to the start page, not there.
    let away = b.get("/language/ja?next=//evil.example/").await;
    assert_eq!(away.location.as_deref(), Some("/"));
    let page = b.get("/my").await;
    assert!(page.body.contains("<html lang=\"ja\">"));
    assert!(page.body.contains(JA.my_training));
}
