//! A tenant's branding and the person's language on the people pages: name, logo, colours (through
//! `/t/{slug}/brand.css`), privacy and contact links, the sign-in text, the stored logo, error pages in the
//! tenant's frame, the language chosen from the signed-in user, the browser and the tenant, and the
//! branding of the invitation email.
//!
//! Settings are written to the store before the tenant's first request (the tenant cache keeps a tenant for
//! a few seconds), on a tenant of the test's own.

mod common;

use common::*;
use guestlist::domain::language::Language;
use guestlist::service::tenants::{Tenant, TenantSettings};
use guestlist::store::models::TenantLogoRow;
use guestlist::store::queries;

/// A new tenant `slug` whose stored settings are `adjust`ed from the defaults, as the pages will read it.
async fn tenant_with(
    server: &TestServer,
    slug: &str,
    name: &str,
    adjust: impl FnOnce(&mut TenantSettings),
) -> Tenant {
    let created =
        create_tenant_with(&server.svc, slug, name, &format!("{slug}.example"), false).await;
    server.set_settings(&created, adjust).await;
    let tenant = server
        .svc
        .tenants
        .by_slug(slug)
        .await
        .expect("stored tenant");
    tenant.as_ref().clone()
}

/// Northwind: every branding setting given.
async fn northwind(server: &TestServer) -> Tenant {
    let logo = server.url("/t/northwind/logo?v=1");
    tenant_with(server, "northwind", "Northwind Traders", |s| {
        s.logo_url = Some(logo);
        s.primary_color = "#800000".into();
        s.background_color = "#ABC".into();
        s.privacy_url = Some("https://northwind.example/privacy".into());
        s.contact_url = Some("https://northwind.example/help".into());
        s.signin_text = Some("Staff & partners only <b>please</b>\nAsk IT for access.".into());
    })
    .await
}

/// Signs `email` in at the tenant `slug` with the browser's own cookie jar.
async fn sign_in(browser: &Browser, slug: &str, email: &str) {
    let resp = browser.sign_in_directly(slug, email).await;
    assert_eq!(resp.status(), 303, "{email} signs in");
}

#[actix_web::test]
async fn the_sign_in_page_shows_the_tenants_name_logo_links_and_text() {
    let server = TestServer::start().await;
    northwind(&server).await;
    let browser = server.browser();
    let (status, page) = browser.get_in("/t/northwind/signin", None).await;
    assert_eq!(status, 200);
    let logo = server.url("/t/northwind/logo?v=1");
    for part in [
        "<title>Sign in · Northwind Traders</title>",
        "<span class=\"brand-name\">Northwind Traders</span>",
        &format!("<img class=\"brand-logo\" src=\"{logo}\" alt=\"Northwind Traders logo\">"),
        "<link rel=\"stylesheet\" href=\"/static/style.css\">",
        "<link rel=\"stylesheet\" href=\"/t/northwind/brand.css\">",
        "<a href=\"https://northwind.example/privacy\">Privacy statement</a>",
        "<a href=\"https://northwind.example/help\">Contact Northwind Traders</a>",
        "<span>Secured by guestlist</span>",
        // The tenant's text is escaped and keeps its line break.
        "<p class=\"signin-text\">Staff &amp; partners only &lt;b&gt;please&lt;/b&gt;<br>Ask IT for access.</p>",
        "<html lang=\"en\">",
    ] {
        assert!(page.contains(part), "missing {part} in {page}");
    }
    assert!(
        !page.contains("<b>please"),
        "the sign-in text is not markup"
    );
    assert!(
        !page.contains("style="),
        "no inline styles under style-src 'self'"
    );

    // A tenant without branding gets none of it, only its name and the default stylesheet chain.
    let (_, plain) = browser.get_in("/t/contoso/signin", None).await;
    assert!(plain.contains("<span class=\"brand-name\">Contoso</span>"));
    assert!(plain.contains("href=\"/t/contoso/brand.css\""));
    for absent in [
        "<img",
        "Privacy statement",
        "Contact Contoso",
        "signin-text",
    ] {
        assert!(!plain.contains(absent), "{absent} on an unbranded page");
    }
}

#[actix_web::test]
async fn brand_css_carries_valid_colours_only() {
    let server = TestServer::start().await;
    northwind(&server).await;
    tenant_with(&server, "evil", "Evil Corp", |s| {
        s.primary_color = "red;}body{display:none".into();
        s.background_color = "#fff;}html{background:url(https://evil.example/x)}".into();
    })
    .await;
    let browser = server.browser();

    let resp = browser.get("/t/northwind/brand.css").await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert!(
        h["content-type"].to_str().unwrap().starts_with("text/css"),
        "{h:?}"
    );
    let cache = h["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age=60"), "a short lifetime: {cache}");
    let css = resp.text().await.unwrap();
    assert!(css.contains("--primary: #800000;"), "{css}");
    assert!(
        css.contains("--bg: #aabbcc;"),
        "the short form is spelled out: {css}"
    );
    assert!(css.contains("--on-primary: #ffffff;"), "{css}");

    let css = browser.page("/t/evil/brand.css").await;
    assert!(css.contains("--primary: #1f4fa3;"), "{css}");
    assert!(css.contains("--bg: #f6f7f9;"), "{css}");
    for injected in ["display", "red", "url(", "html", "body"] {
        assert!(
            !css.contains(injected),
            "{injected} reached the stylesheet: {css}"
        );
    }
    assert_eq!(css.matches('{').count(), 1, "one rule: {css}");

    // The page stylesheet reads the variables the tenant's sets.
    let base = browser.page("/static/style.css").await;
    for var in [
        "var(--primary)",
        "var(--on-primary)",
        "var(--bg)",
        "var(--link)",
    ] {
        assert!(base.contains(var), "style.css uses {var}");
    }

    assert_eq!(browser.get("/t/nobody/brand.css").await.status(), 404);
}

#[actix_web::test]
async fn the_stored_logo_is_served_with_a_sandbox_and_a_validator() {
    let server = TestServer::start().await;
    let tenant = northwind(&server).await;
    let browser = server.browser();
    assert_eq!(
        browser.get("/t/northwind/logo").await.status(),
        404,
        "no logo stored yet"
    );
    let bytes = b"\x89PNG\r\n\x1a\n not really a png".to_vec();
    let row = TenantLogoRow {
        tenant_id: tenant.id.clone(),
        content_type: "image/png".into(),
        bytes: bytes.clone(),
        updated_at: 1,
    };
    server
        .svc
        .store
        .write(move |c| queries::tenants::set_logo(c, &row))
        .await
        .unwrap();

    let resp = browser.get("/t/northwind/logo?v=1").await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    );
    assert_eq!(h.get_all("content-security-policy").iter().count(), 1);
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cache = h["cache-control"].to_str().unwrap();
    assert!(
        cache.contains("max-age=") && !cache.contains("no-store"),
        "{cache}"
    );
    let etag = h["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() > 8, "{etag}");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let again = browser
        .client
        .get(server.url("/t/northwind/logo"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    // Another tenant's logo is its own: Contoso has none.
    assert_eq!(browser.get("/t/contoso/logo").await.status(), 404);
}

#[actix_web::test]
async fn the_browser_language_picks_the_page_language() {
    let server = TestServer::start().await;
    let browser = server.browser();
    let (status, ko) = browser
        .get_in("/t/contoso/signin", Some("ko-KR,ko;q=0.9"))
        .await;
    assert_eq!(status, 200);
    for part in [
        "<html lang=\"ko\">",
        "<title>로그인 · Contoso</title>",
        "<h1>로그인</h1>",
        "<label for=\"email\">이메일</label>",
        "<label for=\"password\">비밀번호</label>",
        ">로그인</button>",
        "<span>guestlist 보안 적용</span>",
    ] {
        assert!(ko.contains(part), "missing {part} in {ko}");
    }
    assert!(!ko.contains("Sign in") && !ko.contains("Password"), "{ko}");

    // q-values decide, not the order; a language we lack is skipped.
    let (_, weighted) = browser
        .get_in("/t/contoso/signin", Some("en;q=0.2, nl, ko;q=0.8"))
        .await;
    assert!(weighted.contains("<html lang=\"ko\">"), "{weighted}");

    // French has the labels of its own and English for the keys it lacks.
    let (_, fr) = browser.get_in("/t/contoso/signin", Some("fr-CA")).await;
    assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
    assert!(
        fr.contains("<label for=\"email\">Adresse e-mail</label>"),
        "{fr}"
    );
    assert!(fr.contains(">Se connecter</button>"), "{fr}");

    // Nothing usable from the browser: the tenant's default language.
    let (_, en) = browser
        .get_in("/t/contoso/signin", Some("nl-NL, sv;q=0.5"))
        .await;
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("<h1>Sign in</h1>"),
        "{en}"
    );
    tenant_with(&server, "hanbit", "Hanbit", |s| {
        s.default_language = Language::Ko
    })
    .await;
    let (_, default_ko) = browser.get_in("/t/hanbit/signin", None).await;
    assert!(default_ko.contains("<html lang=\"ko\">"), "{default_ko}");
    assert!(default_ko.contains("<h1>로그인</h1>"), "{default_ko}");
    let (_, asked_en) = browser.get_in("/t/hanbit/signin", Some("en-GB")).await;
    assert!(
        asked_en.contains("<h1>Sign in</h1>"),
        "the browser beats the default"
    );
}

#[actix_web::test]
async fn a_signed_in_users_preferred_language_wins_over_the_browser() {
    let server = TestServer::start().await;
    let mina = server.member("mina@contoso.example").await;
    server.member("ed@contoso.example").await;
    let id = mina.id.clone();
    server
        .svc
        .store
        .write(move |c| {
            let mut row = queries::users::by_id(c, &id)?.expect("mina");
            row.preferred_language = Some("ko".into());
            queries::users::update(c, &row)
        })
        .await
        .unwrap();

    let hers = server.browser();
    sign_in(&hers, "contoso", "mina@contoso.example").await;
    let (status, panel) = hers.get_in("/t/contoso/apps", Some("en-US,en;q=0.9")).await;
    assert_eq!(status, 200);
    assert!(panel.contains("<html lang=\"ko\">"), "{panel}");
    assert!(panel.contains("<h1>내 앱</h1>"), "{panel}");
    assert!(panel.contains(">로그아웃</a>"), "{panel}");
    assert!(!panel.contains("Your apps"), "{panel}");

    // Someone without a preference gets what the browser asks for.
    let his = server.browser();
    sign_in(&his, "contoso", "ed@contoso.example").await;
    let (_, panel) = his.get_in("/t/contoso/apps", Some("en-US,en;q=0.9")).await;
    assert!(
        panel.contains("<html lang=\"en\">") && panel.contains("<h1>Your apps</h1>"),
        "{panel}"
    );

    // The sign-out page follows the same choice.
    let (_, logout) = hers.get_in("/t/contoso/logout", Some("en")).await;
    assert!(
        logout.contains("<h1>로그아웃하시겠습니까?</h1>"),
        "{logout}"
    );
}

#[actix_web::test]
async fn error_pages_of_a_tenant_are_branded_and_localised() {
    let server = TestServer::start().await;
    northwind(&server).await;
    let browser = server.browser();
    let logo = server.url("/t/northwind/logo?v=1");

    // Sign-up is closed at Northwind: a "not found" page in its frame.
    let (status, page) = browser.get_in("/t/northwind/signup", None).await;
    assert_eq!(status, 404);
    for part in [
        "<h1>Not found</h1>",
        "Northwind Traders does not offer sign-up.",
        "<link rel=\"stylesheet\" href=\"/t/northwind/brand.css\">",
        &format!("src=\"{logo}\" alt=\"Northwind Traders logo\""),
        "<a href=\"https://northwind.example/privacy\">Privacy statement</a>",
        "<a href=\"https://northwind.example/help\">",
    ] {
        assert!(page.contains(part), "missing {part} in {page}");
    }

    // The same in Korean.
    let (status, page) = browser.get_in("/t/northwind/signup", Some("ko")).await;
    assert_eq!(status, 404);
    assert!(page.contains("<html lang=\"ko\">"), "{page}");
    assert!(page.contains("<h1>찾을 수 없음</h1>"), "{page}");
    assert!(
        page.contains("Northwind Traders은(는) 자체 가입을 제공하지 않습니다."),
        "{page}"
    );
    assert!(page.contains("href=\"/t/northwind/brand.css\""), "{page}");

    // A form without its CSRF token: the refusal is branded and in the page's language.
    let resp = browser
        .client
        .post(server.url("/t/northwind/signin"))
        .header("accept-language", "ko-KR")
        .form(&[
            ("csrf", "forged"),
            ("email", "x@northwind.example"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let page = resp.text().await.unwrap();
    assert!(page.contains("이 양식이 만료되었거나"), "{page}");
    assert!(page.contains(&format!("src=\"{logo}\"")), "{page}");

    // A tenant that does not exist has no branding to show, but still the browser's language.
    let (status, page) = browser.get_in("/t/nobody/signin", Some("ko")).await;
    assert_eq!(status, 404);
    assert!(page.contains("이 주소에는 조직이 없습니다."), "{page}");
    assert!(
        !page.contains("brand.css") && !page.contains("<img"),
        "{page}"
    );
    let (status, page) = browser.get_in("/no/such/page", None).await;
    assert_eq!(status, 404);
    assert!(page.contains("There is no page at this address."), "{page}");
}

#[actix_web::test]
async fn english_pages_keep_the_wording_the_spec_fixes() {
    let server = TestServer::start().await;
    let open = tenant_with(&server, "fabrikam", "Fabrikam", |_| {}).await;
    server
        .member_in(&open, "gus@fabrikam.example", vec![])
        .await;
    let browser = server.browser();
    let (_, signin) = browser.get_in("/t/fabrikam/signin", Some("en")).await;
    for part in [
        "<label for=\"email\">Email</label>",
        "<label for=\"password\">Password</label>",
        ">Sign in</button>",
    ] {
        assert!(signin.contains(part), "missing {part}");
    }
    let setup = guestlist::service::bootstrap::first_admin_link(&server.svc, &open)
        .await
        .unwrap()
        .expect("no admin yet");
    let (_, page) = browser.get_in(&setup, Some("en")).await;
    for part in [
        "<label for=\"email\">Email</label>",
        "<label for=\"display_name\">Display name</label>",
        "<label for=\"password\">Password</label>",
        "<label for=\"confirm_password\">Confirm password</label>",
        ">Create account</button>",
        "administers Fabrikam.",
    ] {
        assert!(page.contains(part), "missing {part} in {page}");
    }
    // No page shows a placeholder left unfilled.
    for body in [&signin, &page] {
        assert!(!body.contains('{') && !body.contains('}'), "{body}");
    }
    let (_, page) = browser.get_in(&setup, Some("ko")).await;
    assert!(
        page.contains("<label for=\"display_name\">표시 이름</label>"),
        "{page}"
    );
    assert!(page.contains(">계정 만들기</button>"), "{page}");
    assert!(!page.contains('{') && !page.contains('}'), "{page}");
}

// ---------------------------------------------------------------------------------------------------
// The invitation email.

#[actix_web::test]
async fn the_invitation_email_carries_the_tenants_branding() {
    let server = TestServer::start().await;
    let tenant = northwind(&server).await;
    let mut request = invite::invite_request("bob@fabrikam.example");
    request.display_name = Some("Bob".into());
    request.contact_url = Some("https://northwind.example/partners".into());
    let invitation_id = invite::invite_in(&server, &tenant, request)
        .await
        .invitation_id;
    let message = server
        .svc
        .store
        .read(move |c| {
            use diesel::prelude::*;
            use guestlist::store::schema::{invitations::dsl as i, outbox_messages::dsl as o};
            let outbox_id: Option<String> = i::invitations
                .find(&invitation_id)
                .select(i::outbox_id)
                .first(c)?;
            let id = outbox_id.expect("an email was queued");
            Ok(o::outbox_messages
                .find(&id)
                .select(o::message)
                .first::<String>(c)?)
        })
        .await
        .unwrap();
    let body = common::mail::decoded_bodies(&message);
    let logo = server.url("/t/northwind/logo?v=1");
    for part in [
        format!("<img src=\"{logo}\" alt=\"Northwind Traders\""),
        "background-color:#800000".to_string(),
        "href=\"https://northwind.example/partners\"".to_string(),
        "Questions? Contact Northwind Traders".to_string(),
        "href=\"https://northwind.example/privacy\"".to_string(),
    ] {
        assert!(body.contains(&part), "missing {part} in {body}");
    }
    // The background colour given as #ABC arrives spelled out, as mail clients know it.
    assert!(body.contains("background-color:#aabbcc"), "{body}");
}

#[actix_web::test]
async fn rule_messages_of_the_services_appear_in_the_page_language() {
    let server = TestServer::start().await;
    let member = server.member("mina@contoso.example").await;
    let link = guestlist::service::users::password_reset_link(
        &server.svc,
        &guestlist::service::auth::Actor::operator(),
        &server.tenant,
        &member.id,
    )
    .await
    .unwrap()
    .url;
    let korean = server.browser_in("ko-KR,ko;q=0.9");
    let page = korean.page(&link).await;
    assert!(page.contains("비밀번호 설정"), "{page}");
    let mismatched = [
        ("password", "long enough password"),
        ("confirm_password", "something else"),
    ];
    let answer = korean.submit_form(&link, &link, &mismatched).await;
    assert_eq!(answer.status(), 400);
    let body = answer.text().await.unwrap();
    assert!(body.contains("두 비밀번호가 일치하지 않습니다."), "{body}");
    assert!(!body.contains("The two passwords do not match."));
}
