//! Brand colours: the one rule for what may reach a stylesheet or an inline style, and for which text
//! colour stays readable on a brand colour (WCAG relative luminance). Pages, emails and the admin's
//! input all go through here.

use super::DomainError;

/// The colours of a tenant that set none.
pub const DEFAULT_PRIMARY: &str = "#1f4fa3";
pub const DEFAULT_BACKGROUND: &str = "#f6f7f9";

/// `#rgb` or `#rrggbb` (either case) as lower-case `#rrggbb`; `None` for anything else, which could
/// otherwise end a declaration and add rules of its own (`red;}body{display:none`).
pub fn hex(raw: &str) -> Option<String> {
    let digits = raw.trim().strip_prefix('#')?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let long: String = match digits.len() {
        6 => digits.to_string(),
        3 => digits.chars().flat_map(|c| [c, c]).collect(),
        _ => return None,
    };
    Some(format!("#{}", long.to_ascii_lowercase()))
}

/// An admin's colour as it is stored: checked by [`hex`], lower-cased as typed.
pub fn parse_color(raw: &str) -> Result<String, DomainError> {
    let c = raw.trim();
    match hex(c) {
        Some(_) => Ok(c.to_ascii_lowercase()),
        None => Err(DomainError::new(
            "color",
            format!("{c:?} is not a colour like #1f4fa3"),
        )),
    }
}

/// WCAG relative luminance of a lower-case `#rrggbb`.
fn luminance(color: &str) -> f64 {
    let channel = |i: usize| {
        let byte = color
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
        let c = f64::from(byte) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// Whether white text is readable on `color` (else near-black is).
fn is_dark(color: &str) -> bool {
    luminance(color) <= 0.18
}

/// A tenant's colours, safe to write into CSS, with the text colours that stay readable on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    pub primary: String,
    pub background: String,
    /// Text on the primary colour (buttons).
    pub on_primary: &'static str,
    /// Links on white: the primary colour when dark enough, else the default.
    pub link: String,
    /// Text on the background colour.
    pub on_background: &'static str,
}

/// The palette of the stored `primary` and `background` colours; an unusable one is the default.
pub fn palette(primary: &str, background: &str) -> Palette {
    let primary = hex(primary).unwrap_or_else(|| DEFAULT_PRIMARY.into());
    let background = hex(background).unwrap_or_else(|| DEFAULT_BACKGROUND.into());
    let dark = is_dark(&primary);
    Palette {
        on_primary: if dark { "#ffffff" } else { "#111111" },
        link: if dark {
            primary.clone()
        } else {
            DEFAULT_PRIMARY.into()
        },
        on_background: if is_dark(&background) {
            "#f2f2f2"
        } else {
            "#444444"
        },
        primary,
        background,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(hex("#1F4FA3").as_deref(), Some("#1f4fa3"));
        assert_eq!(hex(" #0a8 ").as_deref(), Some("#00aa88"));
        for bad in [
            "",
            "red",
            "#ff",
            "#ffff",
            "#1f4fa33",
            "#ggg",
            "1f4fa3",
            "red;}body{display:none",
            "#fff;}body{display:none",
            "#1f4fa３",
            "#1f4\nfa3",
        ] {
            assert_eq!(hex(bad), None, "{bad:?}");
            assert!(parse_color(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_color(" #ABC ").unwrap(), "#abc");
    }

    #[test]
    fn text_stays_readable_on_the_brand_colours() {
        let p = palette("#800000", "#ABC");
        assert_eq!(
            (p.primary.as_str(), p.on_primary, p.link.as_str()),
            ("#800000", "#ffffff", "#800000")
        );
        assert_eq!(
            (p.background.as_str(), p.on_background),
            ("#aabbcc", "#444444")
        );
        let light = palette("#ffee00", "#000");
        assert_eq!(
            (light.on_primary, light.link.as_str()),
            ("#111111", DEFAULT_PRIMARY)
        );
        assert_eq!(light.on_background, "#f2f2f2");
        let bad = palette("url(x)", "red");
        assert_eq!(
            (bad.primary.as_str(), bad.background.as_str()),
            (DEFAULT_PRIMARY, DEFAULT_BACKGROUND)
        );
    }
}
