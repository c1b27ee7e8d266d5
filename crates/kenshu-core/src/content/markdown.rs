//! Markdown rendered to HTML that cannot run script in a clerk's browser.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// CommonMark with tables. Raw HTML in the source is shown as text, never passed through, and
/// links and images may only point at http(s), mailto or the portal itself (`javascript:` and
/// `data:` targets become `#`): content is data, and data does not get to run script in a
/// clerk's browser. An image is only ever the portal's own: one at another address becomes a
/// link to it (the portal runs in closed networks, and a page loads nothing from outside).
pub fn render_markdown(markdown: &str) -> String {
    render::<()>(markdown, &mut |_| Ok(None)).unwrap_or_default()
}

/// [`render_markdown`], with the package's own images: `images/<name>` is shown from the
/// address `image` gives for it (the portal's `/media/<sha256>`), or refused with its message.
pub fn render_markdown_with<E>(
    markdown: &str,
    image: &mut dyn FnMut(&str) -> Result<String, E>,
) -> Result<String, E> {
    render(markdown, &mut |dest| image(dest).map(Some))
}

/// Where an image's address points.
enum ImageAt {
    /// The package's own image, `images/<name>`.
    Package,
    /// The portal's own address (an absolute path).
    Portal,
    /// Anywhere else: shown as a link, never loaded.
    Elsewhere,
}

fn image_at(dest: &str) -> ImageAt {
    let d = dest.trim();
    if d.starts_with("images/") && !d.contains("..") {
        ImageAt::Package
    } else if d.starts_with('/') && !d.starts_with("//") {
        ImageAt::Portal
    } else {
        ImageAt::Elsewhere
    }
}

fn render<E>(
    markdown: &str,
    image: &mut dyn FnMut(&str) -> Result<Option<String>, E>,
) -> Result<String, E> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Images shown as links: their ends become the links' ends.
    let mut as_links: Vec<bool> = Vec::new();
    let mut events = Vec::new();
    for event in Parser::new_ext(markdown, options) {
        events.push(match event {
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
            }) => {
                let shown = match image_at(&dest_url) {
                    ImageAt::Package => image(dest_url.trim())?.map(CowStr::from),
                    ImageAt::Portal => Some(dest_url.clone()),
                    ImageAt::Elsewhere => None,
                };
                as_links.push(shown.is_none());
                match shown {
                    Some(dest_url) => Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }),
                    None => Event::Start(Tag::Link {
                        link_type,
                        dest_url: safe_url(dest_url),
                        title,
                        id,
                    }),
                }
            }
            Event::End(TagEnd::Image) => {
                if as_links.pop().unwrap_or(false) {
                    Event::End(TagEnd::Link)
                } else {
                    Event::End(TagEnd::Image)
                }
            }
            other => other,
        });
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    Ok(out)
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

    #[test]
    fn images_load_only_from_the_portal() {
        let mut asked = Vec::new();
        let html = render_markdown_with(
            "![図1](images/login.png) ![外](https://evil.example/x.png) ![p](/static/favicon.svg) \
             ![s](//evil.example/y.png) ![j](javascript:alert(1))",
            &mut |name| -> Result<String, ()> {
                asked.push(name.to_string());
                Ok("/media/abc".into())
            },
        )
        .unwrap();
        assert_eq!(asked, ["images/login.png"]);
        assert!(
            html.contains(r#"<img src="/media/abc" alt="図1""#),
            "{html}"
        );
        assert!(html.contains(r#"<img src="/static/favicon.svg""#), "{html}");
        assert!(
            html.contains(r#"<a href="https://evil.example/x.png">外</a>"#),
            "{html}"
        );
        assert!(!html.contains("<img src=\"https:"), "{html}");
        assert!(!html.contains("<img src=\"//"), "{html}");
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
        let refused = render_markdown_with("![x](images/none.png)", &mut |n| {
            Err(format!("{n} is not in the package"))
        });
        assert_eq!(
            refused.unwrap_err(),
            "images/none.png is not in the package"
        );
    }
}
