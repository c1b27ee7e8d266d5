//! Markdown rendered to HTML that cannot run script in a clerk's browser.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// CommonMark with tables. Raw HTML in the source is shown as text, never passed through, and
/// links and images may only point at http(s), mailto or the portal itself (`javascript:` and
/// `data:` targets become `#`): content is data, and data does not get to run script in a
/// clerk's browser.
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let parser = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

/// A link target that cannot run script: http(s), mailto, or one without a scheme (a path or
/// a fragment of the portal); anything else becomes `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme {
        None | Some("http" | "https" | "mailto") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_cannot_run_script() {
        let html = render_markdown(
            "[a](javascript:alert(1)) [b](JavaScript:x) [c](data:text/html,x) ![d](javascript:y) \
             [e](https://www.ppc.go.jp/) [f](/courses/clerk) [g](#part) [h](mailto:a@b.jp)",
        );
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        for ok in [
            "https://www.ppc.go.jp/",
            "/courses/clerk",
            "#part",
            "mailto:a@b.jp",
        ] {
            assert!(html.contains(&format!("href=\"{ok}\"")), "{ok}: {html}");
        }
    }
}
