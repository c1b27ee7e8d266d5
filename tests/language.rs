//! English as the second language of the portal: the browser's `Accept-Language` decides when
//! the person has not chosen, the switch in the header decides when they have, and an English
//! page has English chrome (the course content stays Japanese: it is the material).

use kenshu_core::i18n::{EN, JA};
use kenshu_core::person::Role;
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

#[tokio::test]
async fn a_person_who_chose_english_gets_english_on_any_browser_after_signing_in() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let mut b = app.signed_in("staff1").await;
    let settings = b.get("/settings").await;
    assert_eq!(settings.status, 200);
    assert!(
        settings.body.contains(JA.settings_title),
        "{}",
        settings.body
    );
    let saved = b.post("/settings", &[("language", "en")]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/settings?saved=1"));
    let page = b.get("/settings?saved=1").await;
    assert!(page.body.contains("<html lang=\"en\">"), "{}", page.body);
    assert!(page.body.contains(EN.settings_saved));

    // Another browser, asking for Japanese and with no switch cookie: English once signed in,
    // Japanese before (nobody is known yet).
    let mut other = app.browser();
    let login = other.get("/login").await;
    assert!(login.body.contains("<html lang=\"ja\">"));
    assert_eq!(
        other.sign_in("staff1", kenshu_tests::PASSWORD).await.status,
        303
    );
    let my = other.get("/my").await;
    assert!(my.body.contains("<html lang=\"en\">"), "{}", my.body);
    assert!(my.body.contains(EN.my_training));

    // Following the browser again: Japanese, as the browser asks.
    other.get("/settings").await;
    assert_eq!(
        other.post("/settings", &[("language", "")]).await.status,
        303
    );
    let my = other.get("/my").await;
    assert!(my.body.contains("<html lang=\"ja\">"), "{}", my.body);

    // Anything else is refused and changes nothing.
    let bad = other.post("/settings", &[("language", "fr")]).await;
    assert_eq!(bad.status, 400);
    let stored: Option<String> =
        sqlx::query_scalar("select language from users where login_id = 'staff1'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(stored, None);
}

#[tokio::test]
async fn the_switch_pressed_on_a_page_of_the_portal_keeps_the_choice_with_the_account() {
    let app = TestApp::spawn().await;
    user(app.pool(), "staff1", Role::Staff).await;
    let stored = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "select language from users where login_id = 'staff1'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap()
    };
    let mut b = app.signed_in("staff1").await;

    // A link on another site: this browser is spoken to in English, the account is unchanged.
    let res = b
        .client
        .get(app.url("/language/en?next=/my"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(stored().await, None);
    assert!(b.get("/my").await.body.contains("<html lang=\"en\">"));

    // Pressed on a page of the portal (the browser says so, or its Referer is ours): kept.
    let res = b
        .client
        .get(app.url("/language/en?next=/my"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(stored().await.as_deref(), Some("en"));
    let res = b
        .client
        .get(app.url("/language/ja"))
        .header("referer", app.url("/officer"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(stored().await.as_deref(), Some("ja"));
    assert!(b.get("/my").await.body.contains("<html lang=\"ja\">"));

    // The choice wins over another browser's switch cookie and Accept-Language.
    let mut other = app.browser();
    other.sign_in("staff1", kenshu_tests::PASSWORD).await;
    other
        .client
        .get(app.url("/language/en"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    let res = other
        .client
        .get(app.url("/my"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains("<html lang=\"ja\">"), "{body}");
    assert_eq!(stored().await.as_deref(), Some("ja"));
}
