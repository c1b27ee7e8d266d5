//! A course's own images: uploaded with its sections, checked by what the bytes are (not by
//! the name or the type the browser claims), kept with the version as base64 text among its
//! files, and served by the portal from `/media/<sha256>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::Said;

/// The largest image a course may hold.
pub const MAX_IMAGE: usize = 1024 * 1024;

/// An image as the portal serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub sha256: String,
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Media {
    /// Where pages show it from.
    pub fn url(&self) -> String {
        format!("/media/{}", self.sha256)
    }
}

/// The type of an image by its first bytes: PNG, JPEG, GIF or WebP. SVG (which can hold
/// script) and anything else is not an image here.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Whether `path` names a package image: `images/<name>.<png|jpg|jpeg|gif|webp>`, the name in
/// a-z, 0-9, '-' and '_'.
pub fn is_image_path(path: &str) -> bool {
    let Some(file) = path.strip_prefix("images/") else {
        return false;
    };
    let Some((name, ext)) = file.rsplit_once('.') else {
        return false;
    };
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && matches!(ext, "png" | "jpg" | "jpeg" | "gif" | "webp")
}

/// Checks an image's bytes, naming the file and the fix when they are refused.
pub fn check_image(path: &str, bytes: Vec<u8>) -> Result<Media, Said> {
    if bytes.len() > MAX_IMAGE {
        return Err(Said::new(
            format!("{path} is larger than 1 MiB; save it smaller (e.g. as a JPEG, or narrower)"),
            format!(
                "{path} は 1MB を超えています。小さくして（JPEG にする、幅を縮めるなど）添えてください。"
            ),
        ));
    }
    let Some(media_type) = image_type(&bytes) else {
        return Err(Said::new(
            format!("{path} is not a PNG, JPEG, GIF or WebP image; save it as one of those"),
            format!(
                "{path} は PNG・JPEG・GIF・WebP の画像ではありません。そのいずれかで保存して添えてください。"
            ),
        ));
    };
    Ok(Media {
        sha256: hex::encode(Sha256::digest(&bytes)),
        media_type,
        bytes,
    })
}

/// An image's bytes as the package's files keep them.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// An image kept among the package's files, read back and checked.
pub fn decode(path: &str, text: &str) -> Result<Media, Said> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| {
        Said::new(
            format!("{path} is not a readable image; upload it again"),
            format!("{path} を画像として読めません。もう一度添えてください。"),
        )
    })?;
    check_image(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(image_type(&png), Some("image/png"));
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a...."), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        for not in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<html><script>alert(1)</script>",
            b"%PDF-1.7",
            b"",
        ] {
            assert_eq!(image_type(not), None);
        }
        let e = check_image("images/a.png", b"<svg/>".to_vec()).unwrap_err();
        assert!(e.en.contains("images/a.png is not a PNG"), "{e}");
        assert!(e.ja.contains("images/a.png は PNG・JPEG・GIF・WebP の画像ではありません"));
        let mut big = png.clone();
        big.resize(MAX_IMAGE + 1, 0);
        let e = check_image("images/a.png", big).unwrap_err();
        assert!(e.en.contains("larger than 1 MiB"), "{e}");
        let media = decode("images/a.png", &encode(&png)).unwrap();
        assert_eq!(media.bytes, png);
        assert_eq!(media.url(), format!("/media/{}", media.sha256));
    }

    #[test]
    fn image_paths_stay_in_the_images_folder() {
        assert!(is_image_path("images/login-1.png"));
        assert!(is_image_path("images/a_b.jpeg"));
        for bad in [
            "images/../x.png",
            "images/a.svg",
            "images/A.png",
            "images/.png",
            "x.png",
            "images/a/b.png",
            "images/a.html",
        ] {
            assert!(!is_image_path(bad), "{bad}");
        }
    }
}
