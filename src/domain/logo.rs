//! Checking an uploaded logo: PNG, JPEG or SVG, at most [`MAX_LOGO_BYTES`], and an SVG only when it is
//! plain drawing. Anything that could run or fetch (script, event handlers, foreign objects, external
//! references, entity declarations, animation that could rewrite links) is refused, not stripped, so
//! what is stored is exactly what the admin uploaded.

use super::DomainError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The kinds of image a logo may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoKind {
    Png,
    Jpeg,
    Svg,
}

impl LogoKind {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Jpeg => "image/jpeg",
            LogoKind::Svg => "image/svg+xml",
        }
    }
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new("logo", message)
}

/// The elements an SVG logo may contain (drawing, gradients, text, grouping).
const SVG_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
    "mask",
    "symbol",
    "use",
    "pattern",
    "metadata",
];

/// Recognises the image by its content (never by the name or the declared type) and checks it.
pub fn check_logo(bytes: &[u8]) -> Result<LogoKind, DomainError> {
    if bytes.is_empty() {
        return Err(err("the file is empty"));
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(err(format!(
            "the file has {} KiB; a logo may have at most {} KiB",
            bytes.len().div_ceil(1024),
            MAX_LOGO_BYTES / 1024
        )));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(LogoKind::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(LogoKind::Jpeg);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| err("use a PNG, JPEG or SVG image"))?;
    check_svg(text)?;
    Ok(LogoKind::Svg)
}

fn check_element(e: &BytesStart<'_>) -> Result<(), DomainError> {
    let name = e.local_name().as_ref().to_ascii_lowercase();
    if !SVG_ELEMENTS.contains(&name.as_str()) {
        return Err(err(format!("an SVG logo may not contain <{name}>")));
    }
    for attr in e.attributes() {
        let attr = attr.map_err(|e| err(format!("the SVG is not well-formed: {e}")))?;
        let key = attr.key.as_ref().to_ascii_lowercase();
        let local = key.rsplit(':').next().unwrap_or(&key).to_string();
        // A browser reads the value after character references (`u&#114;l(` is `url(`), so that is
        // what is judged, never the raw text.
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| err(format!("the SVG is not well-formed: {e}")))?
            .to_ascii_lowercase();
        if local.starts_with("on") {
            return Err(err(format!(
                "an SVG logo may not have event handlers ({key})"
            )));
        }
        if local == "href" && !value.trim_start().starts_with('#') {
            return Err(err(
                "an SVG logo may only link to its own parts (href=\"#…\")",
            ));
        }
        if refers_outside(&value) {
            return Err(err(format!(
                "the attribute {key} refers to something outside the image"
            )));
        }
    }
    Ok(())
}

/// An attribute value (decoded, lower case) that could run script or fetch: a `javascript:` URL, an
/// `@import`, an image set, any `url(` but a reference to the image's own parts (`url(#id)`, every one of
/// them), or a CSS escape (`\75 rl(` is `url(` to a browser).
fn refers_outside(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("javascript:")
        || compact.contains("@import")
        || compact.contains("image-set(")
        || compact.contains('\\')
        || compact
            .match_indices("url(")
            .any(|(at, _)| !compact[at + "url(".len()..].starts_with('#'))
}

fn check_svg(text: &str) -> Result<(), DomainError> {
    let mut reader = Reader::from_str(text);
    let mut saw_svg = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if !saw_svg && !e.local_name().as_ref().eq_ignore_ascii_case("svg") {
                    return Err(err("use a PNG, JPEG or SVG image"));
                }
                saw_svg = true;
                check_element(&e)?;
            }
            Ok(Event::DocType(_)) => {
                return Err(err("an SVG logo may not declare a DOCTYPE or entities"));
            }
            Ok(Event::PI(_)) => {
                return Err(err("an SVG logo may not contain processing instructions"));
            }
            Ok(Event::Text(t)) => {
                let raw = t.to_ascii_lowercase();
                if raw.contains("@import") || raw.contains("javascript:") {
                    return Err(err("an SVG logo may not refer to outside resources"));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(err(format!("the SVG is not well-formed: {e}"))),
        }
    }
    if saw_svg {
        Ok(())
    } else {
        Err(err("use a PNG, JPEG or SVG image"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK_SVG: &str = r##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><rect width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/><text x="1" y="9">Co</text></svg>"##;

    #[test]
    fn plain_images_pass_by_content() {
        assert_eq!(check_logo(b"\x89PNG\r\n\x1a\nrest").unwrap(), LogoKind::Png);
        assert_eq!(
            check_logo(&[0xFF, 0xD8, 0xFF, 0xE0, 0]).unwrap(),
            LogoKind::Jpeg
        );
        assert_eq!(check_logo(OK_SVG.as_bytes()).unwrap(), LogoKind::Svg);
    }

    #[test]
    fn active_or_external_svg_content_is_refused() {
        let bad = [
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect ONCLICK="x()"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe/></foreignObject></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><use x:href="https://evil.example/a.svg#x"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:x"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/p)"/></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,AAAA"/></svg>"#,
            // Spelled so that the raw text hides it: character references, a second url() after an
            // internal one, a CSS escape.
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="u&#114;l(https://evil.example/p)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect cursor="java&#x73;cript:alert(1)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(#g);background:url(https://evil.example/p)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="\75 rl(https://evil.example/p)"/></svg>"#,
            r#"<html><body>not an svg</body></html>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>"#,
        ];
        for svg in bad {
            assert!(check_logo(svg.as_bytes()).is_err(), "accepted: {svg}");
        }
    }

    #[test]
    fn size_and_kind_limits() {
        assert!(check_logo(b"").is_err());
        assert!(check_logo(b"GIF89a....").is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(check_logo(&big).is_err());
    }
}
