//! The admin console: sign-in through the provider, authorization on every route, and the main forms.

mod common;

use common::{Browser, Step, TestServer, attribute_value, hidden};
use guestlist::domain::user::Role;
use guestlist::service::users::UserView;

/// The console's routes as the router serves them (below `/admin/t/{slug}`, with a sample id), but the
/// ones anyone may call to sign in and out.
fn routes() -> Vec<(&'static str, String)> {
    guestlist::http::admin::CONSOLE_ROUTES
        .iter()
        .map(|(m, p)| {
            (
                *m,
                p.trim_start_matches("/admin/t/{slug}")
                    .replace("{id}", "ID"),
            )
        })
        .filter(|(_, p)| !["", "/", "/login", "/callback", "/signout"].contains(&p.as_str()))
        .collect()
}

/// The Admin of the harness's tenant, signed in to its console: the admin, the browser, and the
/// status and body of the page the sign-in landed on.
async fn admin_signed_in(server: &TestServer) -> (UserView, Browser, u16, String) {
    let admin = server
        .member_in(&server.tenant, "root@default.localhost", vec![Role::Admin])
        .await;
    let browser = server.browser();
    let (status, landing) = browser
        .console_sign_in(&server.tenant.slug, "root@default.localhost")
        .await;
    (admin, browser, status, landing)
}

/// Posts `csv` as `partners.csv` to the console's upload form at `url` (with `Accept-Language:
/// accept_language` when given): the answer, which shows the check.
async fn upload_for_check(
    browser: &Browser,
    url: &str,
    csrf: &str,
    csv: &str,
    accept_language: Option<&str>,
) -> reqwest::Response {
    let file = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("partners.csv");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part("file", file);
    let mut request = browser.client.post(browser.absolute(url)).multipart(form);
    if let Some(languages) = accept_language {
        request = request.header("accept-language", languages);
    }
    request.send().await.expect("POST the CSV")
}

async fn call(browser: &Browser, method: &str, url: &str) -> u16 {
    let resp = if method == "GET" {
        browser.get(url).await
    } else {
        browser
            .post_form(url, &[("csrf", "x"), ("action", "save")])
            .await
    };
    resp.status().as_u16()
}

#[actix_web::test]
async fn an_admin_signs_in_through_the_provider_and_sees_the_users() {
    let server = TestServer::start().await;
    server.member("plain@default.localhost").await;
    let (_, browser, status, body) = admin_signed_in(&server).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<h1>Users</h1>"), "{body}");
    assert!(body.contains("plain@default.localhost"));
    // Every page of the console renders for the admin.
    for path in [
        "/users/new",
        "/invitations",
        "/invitations/new",
        "/invitations/upload",
        "/groups",
        "/apps",
        "/apps/new",
        "/identity-providers",
        "/identity-providers/new",
        "/branding",
        "/policies",
        "/audit",
    ] {
        let resp = browser
            .get(&format!("/admin/t/{}{path}", server.tenant.slug))
            .await;
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        // Its forms may post nowhere but here.
        let csp = resp.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.ends_with("; form-action 'self'"), "{path}: {csp}");
    }
}

#[actix_web::test]
async fn a_plain_member_who_signs_in_is_refused_and_gets_no_console_cookie() {
    let server = TestServer::start().await;
    server.member("plain@default.localhost").await;
    let browser = server.browser();
    let (status, body) = browser
        .console_sign_in(&server.tenant.slug, "plain@default.localhost")
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("administrator role"),
        "the page says why: {body}"
    );
    // No console session came of it: the next console page asks to sign in again.
    let resp = browser
        .get(&format!("/admin/t/{}/users", server.tenant.slug))
        .await;
    assert_eq!(resp.status().as_u16(), 303);
    let to = common::location(&resp);
    assert!(
        to.starts_with(&format!("/admin/t/{}/login", server.tenant.slug)),
        "{to}"
    );
}

#[actix_web::test]
async fn an_admin_of_one_tenant_touches_nothing_of_another() {
    let server = TestServer::start().await;
    let other = server.fabrikam().await;
    server
        .member_in(&other, "boss@fabrikam.example", vec![Role::Admin])
        .await;
    server
        .member_in(&server.tenant, "root@default.localhost", vec![Role::Admin])
        .await;
    let browser = server.browser();
    let (status, _) = browser
        .console_sign_in("fabrikam", "boss@fabrikam.example")
        .await;
    assert_eq!(status, 200);
    // Fabrikam's console token is not sent to the default tenant's console, whose routes ask for sign-in.
    for (method, path) in routes() {
        let url = format!("/admin/t/{}{}", server.tenant.slug, path);
        let s = call(&browser, method, &url).await;
        assert!(s == 303 || s == 403, "{method} {path}: {s}");
    }
    // Even presented on purpose, the token of one tenant is no key to the other.
    let token = browser
        .client
        .get(server.url("/admin/t/fabrikam/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status().as_u16(), 200);
    let stolen = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = console_cookie(&server, "fabrikam", "boss@fabrikam.example").await;
    for (method, path) in routes().iter().filter(|(m, _)| *m == "GET") {
        let resp = stolen
            .get(server.url(&format!("/admin/t/{}{}", server.tenant.slug, path)))
            .header("cookie", format!("gl_console={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 303, "{method} {path}");
    }
    // Signing in to the other tenant's console with this account fails at the provider: the account is
    // valid, but has no object in that tenant.
    let (status, body) = browser
        .console_sign_in(&server.tenant.slug, "boss@fabrikam.example")
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("it has no access to"), "{body}");
}

/// The console cookie of `email` for `slug`, read from the Set-Cookie of a fresh sign-in.
async fn console_cookie(server: &TestServer, slug: &str, email: &str) -> String {
    let browser = server.browser();
    let callback = server.url(&format!("/admin/t/{slug}/callback"));
    let login = format!("/admin/t/{slug}/login");
    let step = common::follow_flow(
        &browser.client,
        |url| browser.absolute(url),
        |url| url.starts_with(&callback),
        &login,
        email,
        "accept",
    )
    .await;
    let Step::Callback(back) = step else {
        panic!("{email} did not get back to the console");
    };
    let resp = browser.get(&back).await;
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|c| {
            let c = c.to_str().unwrap();
            c.strip_prefix("gl_console=")
                .map(|v| v.split(';').next().unwrap().to_string())
        })
        .expect("a console cookie")
}

#[actix_web::test]
async fn forms_need_csrf_and_etags_stop_silent_overwrites() {
    let server = TestServer::start().await;
    let (_, browser, status, landing) = admin_signed_in(&server).await;
    assert_eq!(status, 200, "{landing}");
    let base = format!("/admin/t/{}", server.tenant.slug);
    let page = browser.page(&format!("{base}/branding")).await;
    let (csrf, etag) = (
        hidden(&page, "csrf").unwrap(),
        hidden(&page, "etag").unwrap().replace("&quot;", "\""),
    );
    let no_csrf = browser
        .post_form(&format!("{base}/branding"), &[("display_name", "X")])
        .await;
    assert_eq!(no_csrf.status().as_u16(), 400);
    let save = |name: &'static str| {
        let (csrf, etag, browser, base) = (csrf.clone(), etag.clone(), &browser, base.clone());
        async move {
            browser
                .post_form(
                    &format!("{base}/branding"),
                    &[
                        ("csrf", &csrf),
                        ("etag", &etag),
                        ("display_name", name),
                        ("primary_color", "#aa0000"),
                        ("background_color", "#ffffff"),
                    ],
                )
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(save("Contoso Partners").await, 303);
    // A second admin who read the same version cannot overwrite the first one's change unseen.
    assert_eq!(save("Someone Else").await, 412);
    let signin = reqwest::get(server.url(&format!("/t/{}/signin", server.tenant.slug)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(signin.contains("Contoso Partners"), "{signin}");
}

/// The first `{public_url}{path}…` link shown as text on `page`.
fn link_on(page: &str, server: &TestServer, path: &str) -> String {
    let start = page
        .find(&server.url(path))
        .unwrap_or_else(|| panic!("no {path} link on {page}"));
    let rest = &page[start..];
    let end = rest.find(['<', ' ', '"']).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// Asserts that `resp` (a form's answer) carries no one-time link and no query in any header but the
/// notice cookie: not in its `Location`, nor anywhere else a URL would end up in history and logs.
fn assert_no_link_in_urls(resp: &reqwest::Response) {
    let to = common::location(resp);
    assert!(!to.contains('?'), "no query string: {to}");
    for (name, value) in resp.headers() {
        if name == "set-cookie" {
            continue;
        }
        let value = value.to_str().unwrap_or_default();
        assert!(
            !value.contains("/invite/") && !value.contains("/reset/"),
            "{name}: {value}"
        );
    }
}

#[actix_web::test]
async fn one_time_links_reach_the_admin_in_the_page_never_in_a_url() {
    let server = TestServer::start().await;
    let (_, browser, status, landing) = admin_signed_in(&server).await;
    assert_eq!(status, 200, "{landing}");
    let csrf = hidden(&landing, "csrf").unwrap();
    let base = format!("/admin/t/{}", server.tenant.slug);

    // An invitation: the answer leads to the guest's page, which shows the redemption link once.
    let invited = browser
        .post_form(
            &format!("{base}/invitations/new"),
            &[
                ("csrf", &csrf),
                ("email", "ana@partner.example"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(invited.status().as_u16(), 303);
    assert_no_link_in_urls(&invited);
    let guest_url = common::location(&invited);
    let guest = browser.page(&guest_url).await;
    assert!(guest.contains("Redemption link: "), "{guest}");
    let redeem_url = link_on(&guest, &server, "/invite/");
    let invitation = server.browser().page(&redeem_url).await;
    assert!(
        invitation.contains("You are invited to Contoso"),
        "the link shown works: {invitation}"
    );
    let again = browser.page(&guest_url).await;
    assert!(!again.contains(&redeem_url), "shown once: {again}");

    // A new member and a password link: the same.
    let created = browser
        .post_form(
            &format!("{base}/users/new"),
            &[
                ("csrf", &csrf),
                ("email", "mo@contoso.example"),
                ("display_name", "Mo"),
            ],
        )
        .await;
    assert_eq!(created.status().as_u16(), 303);
    assert_no_link_in_urls(&created);
    let member_url = common::location(&created);
    let member = browser.page(&member_url).await;
    let first_link = link_on(&member, &server, "/t/contoso/reset/");
    let reset = browser
        .post_form(
            &member_url,
            &[("csrf", &csrf), ("action", "reset_password")],
        )
        .await;
    assert_eq!(reset.status().as_u16(), 303);
    assert_no_link_in_urls(&reset);
    let member = browser.page(&common::location(&reset)).await;
    let second_link = link_on(&member, &server, "/t/contoso/reset/");
    assert_ne!(first_link, second_link, "a new link: {member}");
}

#[actix_web::test]
async fn a_csv_upload_is_checked_before_anything_is_created() {
    let server = TestServer::start().await;
    let (_, browser, status, landing) = admin_signed_in(&server).await;
    assert_eq!(status, 200, "{landing}");
    let base = format!("/admin/t/{}", server.tenant.slug);
    let page = browser.page(&format!("{base}/invitations/upload")).await;
    let csrf = hidden(&page, "csrf").unwrap();
    // A name that a spreadsheet would run as a formula: the results file keeps it as text.
    let csv = "Email,DisplayName,InviteRedirectURL\nana@partner.example,\"=HYPERLINK(\"\"http://x.example\"\")\",https://app.example/\nnot-an-address,Bad,https://app.example/\n";
    let upload = format!("{base}/invitations/upload");
    let check = upload_for_check(&browser, &upload, &csrf, csv, None).await;
    let status = check.status().as_u16();
    let body = check.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1 row(s) ready"), "{body}");
    assert!(body.contains("not-an-address"));
    let users = browser.get(&format!("{base}/users?userType=Guest")).await;
    assert_eq!(users.status(), 200);
    let users = users.text().await.unwrap();
    assert!(users.contains("<h1>Users</h1>"), "{users}");
    assert!(
        !users.contains("ana@partner.example"),
        "validation created nothing"
    );
    let action = attribute_value(&body, "action", |a| a.contains("/invitations/upload/"));
    let created = browser.post_form(&action, &[("csrf", &csrf)]).await;
    assert_eq!(created.status().as_u16(), 303);
    let results_url = common::location(&created);
    let results = browser.page(&results_url).await;
    assert!(results.contains("<strong>1</strong> created"), "{results}");
    assert!(results.contains("<strong>1</strong> failed"));
    let csv_link = attribute_value(&results, "href", |h| {
        h.starts_with(&format!("{base}/invitations/batches/"))
    });
    let download = browser.get(&csv_link).await;
    assert!(
        download.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = download.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let ana = rows
        .iter()
        .find(|r| &r[1] == "ana@partner.example")
        .unwrap_or_else(|| panic!("no row for ana in {text}"));
    assert_eq!(&ana[2], "'=HYPERLINK(\"http://x.example\")", "{text}");
    assert_eq!(&ana[3], "created");
    for cell in rows.iter().flat_map(|r| r.iter()) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} would run as a formula"
        );
    }
    // A second click on the same upload creates nothing more.
    let again = browser.post_form(&action, &[("csrf", &csrf)]).await;
    assert_eq!(again.status().as_u16(), 404);
    let users = browser.page(&format!("{base}/users?userType=Guest")).await;
    assert!(users.contains("ana@partner.example"));
}

#[actix_web::test]
async fn the_console_speaks_the_admins_language() {
    let server = TestServer::start().await;
    let (admin, browser, status, body) = admin_signed_in(&server).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<html lang=\"en\">"), "{body}");
    assert!(body.contains(">Sign out</button>"));
    let base = format!("/admin/t/{}", server.tenant.slug);

    // A browser that asks for Korean gets the Korean console, on every page.
    let korean = "ko-KR,ko;q=0.9,en;q=0.5";
    let (status, users) = browser.get_in(&format!("{base}/users"), Some(korean)).await;
    assert_eq!(status, 200, "{users}");
    assert!(users.contains("<html lang=\"ko\">"), "{users}");
    for text in [
        "<h1>사용자</h1>",
        "관리 콘솔",
        ">로그아웃</button>",
        ">구성원 추가</a>",
        ">게스트 초대</a>",
        ">감사 로그</a>",
        "<th scope=\"col\">마지막 로그인</th>",
        "이 디렉터리",
    ] {
        assert!(users.contains(text), "{text} in {users}");
    }
    for english in [
        ">Sign out<",
        ">Users<",
        ">Add member<",
        ">Filter<",
        "This directory",
    ] {
        assert!(!users.contains(english), "{english} in {users}");
    }
    for (path, heading) in [
        ("/users/new", "<h1>구성원 추가</h1>"),
        ("/invitations", "<h1>초대</h1>"),
        ("/invitations/new", "<h1>게스트 초대</h1>"),
        ("/invitations/upload", "<h1>CSV 파일로 초대</h1>"),
        ("/groups", "<h1>그룹</h1>"),
        ("/apps", "<h1>앱</h1>"),
        ("/apps/new", "<h1>앱 등록</h1>"),
        ("/identity-providers", "<h1>ID 공급자</h1>"),
        ("/identity-providers/new", "<h1>ID 공급자 추가</h1>"),
        ("/branding", "<h1>브랜딩</h1>"),
        ("/policies", "<h1>정책</h1>"),
        ("/webhooks", "<h1>웹훅</h1>"),
        ("/audit", "<h1>감사 로그</h1>"),
        (&format!("/users/{}", admin.id), ">사용자 삭제</button>"),
    ] {
        let (status, page) = browser.get_in(&format!("{base}{path}"), Some(korean)).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(page.contains("<html lang=\"ko\">"), "{path}");
        assert!(page.contains(heading), "{path}: {heading} in {page}");
        assert!(!page.contains(">Sign out<"), "{path}");
    }

    // The notice a form leaves is in the same language, and so are the values filled into sentences.
    let (_, groups) = browser
        .get_in(&format!("{base}/groups"), Some(korean))
        .await;
    let csrf = hidden(&groups, "csrf").unwrap();
    let created = browser
        .client
        .post(server.url(&format!("{base}/groups")))
        .header("accept-language", korean)
        .form(&[("csrf", csrf.as_str()), ("display_name", "Partners")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 303);
    let group_url = common::location(&created);
    let (_, group) = browser.get_in(&group_url, Some(korean)).await;
    assert!(group.contains("그룹을 만들었습니다."), "{group}");
    assert!(group.contains("<h2>구성원(0명)</h2>"), "{group}");
    let (_, group) = browser.get_in(&group_url, Some("en")).await;
    assert!(group.contains("<h2>Members (0)</h2>"), "{group}");

    // Pages whose sentences the handlers fill: a registered app, an invited guest, a CSV upload.
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let (browser, server) = (&browser, &server);
        async move {
            browser
                .client
                .post(server.url(&path))
                .header("accept-language", korean)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let registered = post(
        format!("{base}/apps/new"),
        vec![
            ("csrf", csrf.clone()),
            ("name", "Portal".into()),
            ("client_type", "confidential".into()),
            ("redirect_uris", "https://portal.example/cb".into()),
            ("backchannel_logout_uri", "https://portal.example/bc".into()),
            ("backchannel_logout_session_required", "on".into()),
        ],
    )
    .await;
    assert_eq!(registered.status().as_u16(), 200);
    let registered = registered.text().await.unwrap();
    assert!(
        registered.contains("<h1>Portal 앱을 등록했습니다</h1>"),
        "{registered}"
    );
    assert!(registered.contains("지금 암호를 복사하세요."));
    let app_path = attribute_value(&registered, "href", |h| {
        h.starts_with(&format!("{base}/apps/"))
    });
    let (status, app) = browser.get_in(&app_path, Some(korean)).await;
    assert_eq!(status, 200, "{app}");
    assert!(app.contains("할당된 사용자나 그룹이 없습니다."), "{app}");
    assert!(app.contains("예, Portal 앱을 삭제합니다."), "{app}");
    assert!(app.contains("앱 역할(한 줄에 하나씩, <code>value: Display name</code>)"));
    // The back-channel logout address was registered with the app, and the form shows it.
    assert!(
        app.contains("백채널 로그아웃 URI") && app.contains("value=\"https://portal.example/bc\""),
        "{app}"
    );
    assert!(
        app.contains("name=\"backchannel_logout_session_required\" type=\"checkbox\" checked"),
        "{app}"
    );

    let invited = post(
        format!("{base}/invitations/new"),
        vec![
            ("csrf", csrf.clone()),
            ("email", "ana@partner.example".into()),
            ("language", "en".into()),
        ],
    )
    .await;
    assert_eq!(invited.status().as_u16(), 303);
    let guest_url = common::location(&invited);
    let (status, guest) = browser.get_in(&guest_url, Some(korean)).await;
    assert_eq!(status, 200, "{guest}");
    assert!(
        guest.contains("초대를 만들었습니다. 초대 수락 링크: "),
        "{guest}"
    );
    assert!(guest.contains(">Member(으)로 전환</button>"), "{guest}");
    assert!(guest.contains(" 만료</dd>"), "{guest}");
    assert!(guest.contains(">초대 다시 보내기</button>"));
    let (_, invitations) = browser
        .get_in(&format!("{base}/invitations"), Some(korean))
        .await;
    assert!(
        invitations.contains("aria-label=\"ana@partner.example 초대 취소\""),
        "{invitations}"
    );

    let csv = "Email,DisplayName,Colour\nbo@partner.example,Bo,blue\nnot-an-address,Bad,red\n";
    let upload = format!("{base}/invitations/upload");
    let check = upload_for_check(&browser, &upload, &csrf, csv, Some(korean))
        .await
        .text()
        .await
        .unwrap();
    assert!(check.contains("<h1>partners.csv 검사</h1>"), "{check}");
    assert!(
        check.contains("준비된 행 1개, 이미 있는 사용자 0명, 문제가 있는 행 1개입니다."),
        "{check}"
    );
    assert!(
        check.contains("알 수 없는 열은 무시했습니다: Colour."),
        "{check}"
    );
    assert!(check.contains(">초대 1개 만들기</button>"), "{check}");
    let action = attribute_value(&check, "action", |a| a.contains("/invitations/upload/"));
    let done = post(action, vec![("csrf", csrf.clone())]).await;
    assert_eq!(done.status().as_u16(), 303);
    let results_url = common::location(&done);
    let (_, results) = browser.get_in(&results_url, Some(korean)).await;
    assert!(results.contains("<strong>1</strong>건 생성"), "{results}");
    assert!(results.contains("<strong>1</strong>건 실패"), "{results}");
    assert!(results.contains("업로드를 처리했습니다."), "{results}");

    // Someone without the administrator role is told so in their language, as they come back from
    // signing in (and get no console session).
    server.member("plain@default.localhost").await;
    let plain = server.browser_in(korean);
    let (status, refused) = plain
        .console_sign_in(&server.tenant.slug, "plain@default.localhost")
        .await;
    assert_eq!(status, 403);
    assert!(refused.contains("관리자 역할이 없습니다."), "{refused}");

    // The admin's preferred language beats the browser's: set it to Korean in the console, in English.
    let me = format!("{base}/users/{}", admin.id);
    let (_, page) = browser.get_in(&me, Some("en")).await;
    assert!(page.contains("<html lang=\"en\">"));
    let saved = browser
        .post_form(
            &me,
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                (
                    "etag",
                    &hidden(&page, "etag").unwrap().replace("&quot;", "\""),
                ),
                ("action", "save"),
                ("display_name", "Root"),
                ("preferred_language", "ko"),
                ("role_admin", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let back = common::location(&saved);
    let (_, page) = browser.get_in(&back, Some("en")).await;
    assert!(
        page.contains("<p class=\"notice\" role=\"status\">저장했습니다.</p>"),
        "{page}"
    );
    let (status, users) = browser
        .get_in(&format!("{base}/users"), Some("en-US,en"))
        .await;
    assert_eq!(status, 200, "{users}");
    assert!(users.contains("<html lang=\"ko\">"), "{users}");
    assert!(users.contains("<h1>사용자</h1>"), "{users}");
}
