//! What the browser tests check on any page: sideways scrolling on a phone, axe-core's
//! accessibility rules, and the pair of screenshots at 1280 and 375 px.

use std::path::PathBuf;

use serde_json::json;

use super::driver::{Session, is_ci, loud};

/// Screenshots of the page as it is now at 1280 px and at 375 px, named `<name>-1280` and
/// `<name>-375`; axe-core (when installed) at 1280, sideways scrolling at 375. Problems are
/// collected, not asserted at once, so every shot is taken.
pub async fn snap(b: &Session, axe: &Option<String>, name: &str, problems: &mut Vec<String>) {
    let mut desktop = None;
    if let Some(axe) = axe {
        let found = b.axe(axe).await;
        for v in &found {
            println!("axe {name}: {v}");
            if v.starts_with("[critical]") || v.starts_with("[serious]") {
                problems.push(format!("{name}: {v}"));
            }
        }
        desktop = Some(found);
    }
    b.save_full_page_screenshot(&format!("{name}-1280")).await;
    b.phone(375, 812).await;
    let overflow = phone_overflow(b).await;
    if let Some(o) = &overflow {
        problems.push(format!("{name} at 375 px: {o}"));
    }
    let mut phone = None;
    if let Some(axe) = axe {
        let found = b.axe(axe).await;
        for v in &found {
            println!("axe {name} at 375 px: {v}");
            if v.starts_with("[critical]") || v.starts_with("[serious]") {
                problems.push(format!("{name} at 375 px: {v}"));
            }
        }
        phone = Some(found);
    }
    b.save_full_page_screenshot(&format!("{name}-375")).await;
    b.desktop().await;
    record(
        b,
        name,
        desktop.as_deref(),
        Some((phone.as_deref(), overflow.as_deref())),
    )
    .await;
}

/// Keeps a page's automated result for `docs/accessibility.md` (written by the ignored test
/// `write_accessibility_report`): `target/accessibility/<name>.json` with the page's path, the
/// axe-core findings at 1280 px and, when checked, at 375 px with the sideways-scroll check,
/// and the versions of axe-core and Chromium.
pub async fn record(
    b: &Session,
    name: &str,
    desktop: Option<&[String]>,
    phone: Option<(Option<&[String]>, Option<&str>)>,
) {
    let about = b
        .execute(
            "return [location.pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}'), (window.axe && window.axe.version) || null, navigator.userAgent];",
        )
        .await;
    let chromium = about[2]
        .as_str()
        .and_then(|ua| ua.split(' ').find(|p| p.contains("Chrome/")))
        .and_then(|p| p.split('/').nth(1))
        .unwrap_or_default()
        .to_string();
    let entry = json!({
        "name": name,
        "test": b.test_name(),
        "path": about[0],
        "axe": about[1],
        "chromium": chromium,
        "desktop": desktop,
        "phone": phone.map(|(axe, overflow)| json!({ "axe": axe, "overflow": overflow })),
        "at": kenshu_core::japan_today().to_string(),
    });
    let dir = kenshu_tests::repo_root()
        .join("target")
        .join("accessibility");
    let file = name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join(format!("{file}.json")), entry.to_string()));
    if let Err(e) = written {
        println!("accessibility record {name}: {e}");
    }
}

/// `None` when the page does not scroll sideways; otherwise the widths and the elements that
/// stick out (outside any scrolling box of their own).
pub async fn phone_overflow(b: &Session) -> Option<String> {
    // An emulated phone widens `innerWidth` to fit a page that is too wide (and shows it
    // shrunk), so the screen's own width is the measure.
    let screen = b.screen_width();
    let v = b
        .execute_with(
            r#"const w = Math.min(window.innerWidth, arguments[0] || Infinity),
                     sw = document.documentElement.scrollWidth;
               if (sw <= w) return null;
               const clipped = el => {
                 for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                   const o = getComputedStyle(p).overflowX;
                   if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
                 }
                 return false;
               };
               const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
               const wide = [];
               for (const el of document.querySelectorAll('body *')) {
                 const r = el.getBoundingClientRect();
                 // The box itself, or its text spilling out of it.
                 const spill = getComputedStyle(el).overflowX === 'visible' ? el.scrollWidth - el.clientWidth : 0;
                 if (Math.max(r.right, r.left + el.clientWidth + spill) > w + 0.5 && !clipped(el)) {
                   wide.push(`${name(el)} (right edge ${Math.round(r.right)} px: ${(el.textContent || '').trim().slice(0, 40)})`);
                 }
               }
               return `document.documentElement.scrollWidth ${sw} > the screen's ${w} px; sticking out: ` +
                 wide.slice(0, 8).join('; ');"#,
            vec![json!(screen)],
        )
        .await;
    v.as_str().map(str::to_string)
}

/// axe-core's `axe.min.js`, when installed (the accessibility test is optional): the file
/// named by `KENSHU_AXE_JS`, or `$TMPDIR/kenshu-axe/node_modules/axe-core/axe.min.js`.
pub fn axe_source() -> Option<String> {
    let path = std::env::var_os("KENSHU_AXE_JS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join("kenshu-axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(src),
        Err(e) => {
            assert!(
                !is_ci(),
                "the accessibility test needs axe-core on CI (.ci/run installs it): {}: {e}",
                path.display()
            );
            loud(&[
                &format!("SKIPPED the axe-core check: {} is missing.", path.display()),
                "Install it with `npm install --prefix \"${TMPDIR:-/tmp}/kenshu-axe\" axe-core`",
                "(outside the repository) or point KENSHU_AXE_JS at axe.min.js.",
            ]);
            None
        }
    }
}

/// The page (from 1) of each link of a PDF printed by Chromium, by address, in page order: the
/// pages' link annotations, read from the file's object dictionaries (which Chromium writes
/// uncompressed; only the content streams are compressed).
pub fn pdf_link_pages(pdf: &[u8]) -> Vec<(String, usize)> {
    use regex::bytes::Regex;
    use std::collections::HashMap;
    let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let (stream, object, reference) = (
        re(r"(?s)stream\r?\n.*?endstream"),
        re(r"(?s)(\d+) 0 obj(.*?)endobj"),
        re(r"(\d+) 0 R"),
    );
    let (catalog_type, pages_type, pages_ref, uri) = (
        re(r"/Type\s*/Catalog"),
        re(r"/Type\s*/Pages"),
        re(r"/Pages\s+(\d+) 0 R"),
        re(r"/URI\s*\(([^)]*)\)"),
    );
    let number = |b: &[u8]| std::str::from_utf8(b).ok()?.parse::<u64>().ok();
    let text = stream.replace_all(pdf, &b""[..]);
    let objects: HashMap<u64, &[u8]> = object
        .captures_iter(&text)
        .filter_map(|c| Some((number(&c[1])?, c.get(2)?.as_bytes())))
        .collect();
    let refs = |s: &[u8]| -> Vec<u64> {
        reference
            .captures_iter(s)
            .filter_map(|c| number(&c[1]))
            .collect()
    };
    // The array under `key` in an object (inline or an indirect array).
    let array = |o: &[u8], key: &str| -> Vec<u64> {
        if let Some(c) = re(&format!(r"/{key}\s*\[([^\]]*)\]")).captures(o) {
            return refs(&c[1]);
        }
        re(&format!(r"/{key}\s+(\d+) 0 R"))
            .captures(o)
            .and_then(|c| number(&c[1]))
            .and_then(|n| objects.get(&n))
            .map(|a| refs(a))
            .unwrap_or_default()
    };
    let catalog = objects
        .values()
        .find(|o| catalog_type.is_match(o))
        .unwrap_or_else(|| panic!("the PDF has no catalogue"));
    let root = pages_ref
        .captures(catalog)
        .and_then(|c| number(&c[1]))
        .unwrap_or_else(|| panic!("the PDF's catalogue names no page tree"));
    // The page tree, depth first: its leaves in order are the pages.
    let mut pages = Vec::new();
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        let Some(o) = objects.get(&n) else { continue };
        if pages_type.is_match(o) {
            todo.extend(array(o, "Kids").into_iter().rev());
        } else {
            pages.push(n);
        }
    }
    let mut links = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        for a in array(objects[p], "Annots") {
            if let Some(c) = objects.get(&a).and_then(|o| uri.captures(o)) {
                links.push((String::from_utf8_lossy(&c[1]).into_owned(), i + 1));
            }
        }
    }
    links
}
