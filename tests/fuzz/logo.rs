//! The logo check (`domain::logo`): any bytes, PNG and JPEG by their signature, and SVG that is plain
//! drawing accepted while anything that could run or fetch is refused, however it is spelled.

use crate::support::config;
use guestlist::domain::logo::{LogoKind, MAX_LOGO_BYTES, check_logo};
use proptest::prelude::*;

const SVG_NS: &str = r#"xmlns="http://www.w3.org/2000/svg""#;

/// A drawing element with harmless attributes; `children` go inside it.
fn element(name: &str, attrs: &[(String, String)], children: &str) -> String {
    let attrs: String = attrs
        .iter()
        .map(|(k, v)| format!(r#" {k}="{v}""#))
        .collect();
    if children.is_empty() {
        format!("<{name}{attrs}/>")
    } else {
        format!("<{name}{attrs}>{children}</{name}>")
    }
}

/// Plain drawing: nested shapes, gradients, text and internal references, as design tools write them.
fn plain_svg_body() -> impl Strategy<Value = String> {
    let attr = prop_oneof![
        ("(x|y|width|height|r|cx|cy|rx|ry)", "[0-9]{1,3}(\\.[0-9])?"),
        (
            Just("fill".to_string()),
            "#[0-9a-f]{6}|none|url\\(#g[0-9]\\)|currentColor"
        ),
        (Just("stroke-width".to_string()), "[0-9]"),
        (
            Just("d".to_string()),
            "M ?[0-9]{1,2} [0-9]{1,2} L [0-9]{1,2} [0-9]{1,2} ?Z"
        ),
        (Just("id".to_string()), "g[0-9]"),
        (Just("href".to_string()), "#g[0-9]"),
        (
            Just("style".to_string()),
            "fill: ?#[0-9a-f]{3}; ?opacity: ?0\\.[0-9]"
        ),
        (
            Just("transform".to_string()),
            "translate\\([0-9], ?[0-9]\\)"
        ),
    ];
    let leaf = (
        prop::sample::select(vec![
            "rect", "circle", "ellipse", "line", "path", "polygon", "polyline", "stop", "use",
        ]),
        prop::collection::vec(attr.clone(), 0..4),
    )
        .prop_map(|(name, attrs)| element(name, &dedupe(attrs), ""));
    let text = (
        "[A-Za-z0-9 ]{0,12}",
        prop::sample::select(vec!["", "&amp;", "&lt;", "&#169;"]),
    )
        .prop_map(|(t, entity)| format!("<text x=\"1\" y=\"9\">{t}{entity}</text>"));
    let node = prop_oneof![3 => leaf, 1 => text];
    node.prop_recursive(3, 24, 4, move |inner| {
        (
            prop::sample::select(vec![
                "g",
                "defs",
                "linearGradient",
                "radialGradient",
                "clipPath",
                "mask",
                "symbol",
                "pattern",
            ]),
            prop::collection::vec(attr.clone(), 0..2),
            prop::collection::vec(inner, 1..4),
        )
            .prop_map(|(name, attrs, children)| element(name, &dedupe(attrs), &children.concat()))
    })
}

/// Attributes with distinct names (a repeated name is not well-formed XML).
fn dedupe(attrs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    attrs
        .into_iter()
        .filter(|(k, _)| {
            let new = !seen.contains(k);
            seen.push(k.clone());
            new
        })
        .collect()
}

/// A plain SVG document: optional XML declaration and comment, the root, the drawing.
fn plain_svg() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"]),
        prop::sample::select(vec!["", "<!-- Generator: a drawing tool -->\n"]),
        prop::collection::vec(plain_svg_body(), 0..4),
        prop::sample::select(vec!["", " xmlns:xlink=\"http://www.w3.org/1999/xlink\""]),
    )
        .prop_map(|(decl, comment, body, xlink)| {
            format!(
                "{decl}{comment}<svg {SVG_NS}{xlink} viewBox=\"0 0 10 10\">{}</svg>",
                body.concat()
            )
        })
}

/// Something that could run or fetch, in the spellings that slip past naive checks: letter case,
/// namespace prefixes, character references, whitespace, comments inside values.
fn active_content() -> impl Strategy<Value = Injection> {
    use Injection::*;
    prop_oneof![
        prop::sample::select(vec![
            "<script>alert(1)</script>",
            "<SCRIPT>alert(1)</SCRIPT>",
            "<svg:script xmlns:svg=\"http://www.w3.org/2000/svg\">alert(1)</svg:script>",
            "<script href=\"https://evil.example/x.js\"/>",
            "<foreignObject><iframe src=\"https://evil.example\"/></foreignObject>",
            "<foreignobject><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></foreignobject>",
            "<image href=\"https://evil.example/p.png\"/>",
            "<a href=\"javascript:alert(1)\"><rect/></a>",
            "<style>@import url(https://evil.example/x.css);</style>",
            "<set attributeName=\"href\" to=\"javascript:alert(1)\"/>",
            "<animate attributeName=\"href\" values=\"javascript:alert(1)\"/>",
            "<iframe src=\"https://evil.example\"/>",
            "<use href=\"https://evil.example/s.svg#a\"/>",
            "<use xlink:href=\"//evil.example/s.svg#a\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"/>",
            "<use href=\"data:image/svg+xml;base64,PHN2Zy8+#a\"/>",
            "<use href=\" https://evil.example/s.svg#a\"/>",
            "<?xml-stylesheet href=\"https://evil.example/x.css\"?>",
        ])
        .prop_map(|s| Element(s.to_string())),
        prop::sample::select(vec![
            "onload=\"alert(1)\"",
            "ONCLICK=\"x()\"",
            "onmouseover = 'x()'",
            "svg:onload=\"alert(1)\"",
            "href=\"https://evil.example/\"",
            "href=\"&#106;avascript:alert(1)\"",
            "xlink:href=\"javascript:alert(1)\"",
            "fill=\"url(https://evil.example/p)\"",
            "fill=\"URL( 'https://evil.example/p' )\"",
            "fill=\"u&#114;l(https://evil.example/p)\"",
            "fill=\"&#117;&#114;&#108;(https://evil.example/p)\"",
            "style=\"background:url(//evil.example/p)\"",
            "style=\"fill:url(#g1);background:url(https://evil.example/p)\"",
            "fill=\"\\75 rl(https://evil.example/p)\"",
            "style=\"background-image:image-set('https://evil.example/p.png' 1x)\"",
            "style=\"background:&#x75;rl(//evil.example/p)\"",
            "style=\"@import 'https://evil.example/x.css'\"",
            "style=\"@&#105;mport 'https://evil.example/x.css'\"",
            "filter=\"url(data:image/svg+xml,x)\"",
            "mask=\"ur&#x6C;(https://evil.example/m)\"",
            "cursor=\"java&#115;cript:alert(1)\"",
        ])
        .prop_map(|s| Attribute(s.to_string())),
        prop::sample::select(vec![
            "<!DOCTYPE svg [<!ENTITY x \"y\">]>",
            "<!DOCTYPE svg SYSTEM \"https://evil.example/svg.dtd\">",
            "<!DOCTYPE svg>",
        ])
        .prop_map(|s| Prologue(s.to_string())),
    ]
}

#[derive(Debug, Clone)]
enum Injection {
    /// An element inserted among the drawing's children.
    Element(String),
    /// An attribute added to the root or to a drawing element.
    Attribute(String),
    /// A declaration before the root element.
    Prologue(String),
}

/// `svg` with `injection` put in at a place chosen by `at`.
fn inject(svg: &str, injection: &Injection, at: prop::sample::Index) -> String {
    match injection {
        Injection::Prologue(p) => format!("{p}{}", svg.trim_start_matches(|c| c != '<')),
        Injection::Element(e) => {
            // Before any `</` or `<` of a child: always inside the root, never inside a tag.
            let inner_start = svg
                .find("<svg")
                .and_then(|i| svg[i..].find('>').map(|j| i + j + 1));
            let end = svg.rfind("</svg>");
            let (Some(start), Some(end)) = (inner_start, end) else {
                return svg.to_string();
            };
            let spots: Vec<usize> = std::iter::once(start)
                .chain(svg[start..end].match_indices('<').map(|(i, _)| start + i))
                .collect();
            let spot = spots[at.index(spots.len())];
            format!("{}{e}{}", &svg[..spot], &svg[spot..])
        }
        Injection::Attribute(a) => {
            // Right after an element name: `<svg`, `<rect`, … (not closing tags, comments or declarations).
            let spots: Vec<usize> = svg
                .match_indices('<')
                .filter_map(|(i, _)| {
                    let rest = &svg[i + 1..];
                    let name_len = rest.find(|c: char| !c.is_ascii_alphanumeric())?;
                    (name_len > 0).then_some(i + 1 + name_len)
                })
                .collect();
            if spots.is_empty() {
                return svg.to_string();
            }
            let spot = spots[at.index(spots.len())];
            format!("{} {a}{}", &svg[..spot], &svg[spot..])
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes: no panic; accepted only when the signature or the SVG says so, and never too large.
    #[test]
    fn any_bytes_are_judged_without_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            (plain_svg(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6))
                .prop_map(|(svg, edits)| {
                    let mut b = svg.into_bytes();
                    for (at, byte) in edits {
                        let i = at.index(b.len());
                        b[i] = byte;
                    }
                    b
                }),
        ],
    ) {
        match check_logo(&bytes) {
            Ok(LogoKind::Png) => prop_assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n")),
            Ok(LogoKind::Jpeg) => prop_assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF])),
            Ok(LogoKind::Svg) => {
                let text = std::str::from_utf8(&bytes).expect("an SVG is UTF-8");
                let lower = text.to_ascii_lowercase();
                prop_assert!(lower.contains("<svg"), "no root: {text}");
                for bad in ["<script", "<foreignobject", "<!doctype", "<!entity", "javascript:"] {
                    prop_assert!(!lower.contains(bad), "{bad} in {text}");
                }
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    /// PNG and JPEG pass by signature whatever follows, up to the size limit and not beyond.
    #[test]
    fn images_pass_by_signature_within_the_size_limit(
        jpeg in any::<bool>(),
        rest in prop::collection::vec(any::<u8>(), 0..64),
        oversize in any::<bool>(),
    ) {
        let mut bytes = if jpeg { vec![0xFF, 0xD8, 0xFF] } else { b"\x89PNG\r\n\x1a\n".to_vec() };
        bytes.extend(rest);
        if oversize {
            bytes.resize(MAX_LOGO_BYTES + 1, 0);
            prop_assert!(check_logo(&bytes).is_err());
        } else {
            let kind = if jpeg { LogoKind::Jpeg } else { LogoKind::Png };
            prop_assert_eq!(check_logo(&bytes), Ok(kind));
        }
    }

    /// Plain drawing is accepted as SVG: the check refuses what is dangerous, not what is unusual.
    #[test]
    fn plain_drawings_are_accepted(svg in plain_svg()) {
        prop_assert_eq!(check_logo(svg.as_bytes()).map_err(|e| e.message), Ok(LogoKind::Svg), "{}", svg);
    }

    /// The same drawing with one piece of active or external content anywhere is refused.
    #[test]
    fn active_or_external_content_is_refused_wherever_it_hides(
        svg in plain_svg(),
        injection in active_content(),
        at in any::<prop::sample::Index>(),
    ) {
        let bad = inject(&svg, &injection, at);
        prop_assert!(check_logo(bad.as_bytes()).is_err(), "accepted: {}", bad);
    }
}
