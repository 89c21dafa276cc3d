//! Serving HTTPS directly (`tls_cert` / `tls_key`): a relying app that trusts the certificate
//! discovers the provider over TLS and can revoke tokens with the library (which insists on https).

mod common;

use common::{TestDatabase, create_tenant_with};
use guestlist::config::{Config, TlsFiles};
use guestlist::server;
use guestlist::service::apps::manage::{self as apps, NewApp};
use guestlist::service::auth::Actor;
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, OAuth2TokenResponse, RevocationUrl, Scope};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509Builder, X509NameBuilder};

/// A self-signed certificate for 127.0.0.1, as PEM (certificate, key).
fn self_signed() -> (Vec<u8>, Vec<u8>) {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .dns("localhost")
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (
        b.build().to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    )
}

#[actix_web::test]
async fn https_discovery_and_revocation_through_the_library() {
    let db = TestDatabase::new();
    let (cert, key) = self_signed();
    let dir = db.dir.path();
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), &key).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let toml = format!(
        "public_url = \"{base}\"\ndata_dir = \"{d}/data\"\nkeys_dir = \"{d}/keys\"\ndatabase_url = \"{url}\"\ntls_cert = \"{d}/cert.pem\"\ntls_key = \"{d}/key.pem\"\n",
        d = dir.display(),
        url = db.url()
    );
    std::fs::write(dir.join("guestlist.toml"), toml).unwrap();
    let mut config = Config::load(Some(&dir.join("guestlist.toml"))).unwrap();
    config.http_workers = 1;
    assert_eq!(
        config.tls,
        Some(TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem")
        })
    );
    let svc = server::prepare(config).unwrap();
    let tenant = create_tenant_with(&svc, "contoso", "Contoso", "contoso.example", false).await;
    let app = apps::create(
        &svc,
        &Actor::operator(),
        &tenant,
        NewApp {
            name: "Daemon".into(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            public: false,
            first_party: true,
            assignment_required: false,
            signing_alg: "ES256".into(),
            optional_claims: vec![],
            allowed_scopes: vec!["api.read".into()],
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        },
    )
    .await
    .unwrap();
    actix_web::rt::spawn(server::http_server(svc, listener).unwrap());

    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let issuer = format!("{base}/t/contoso");
    let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
        .await
        .expect("discovery over https");
    assert!(
        meta.token_endpoint()
            .unwrap()
            .as_str()
            .starts_with("https://")
    );
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(app.client_id.clone()),
        app.client_secret.clone().map(ClientSecret::new),
    )
    .set_revocation_url(RevocationUrl::new(format!("{issuer}/revoke")).unwrap());
    let token = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("api.read".into()))
        .request_async(&http)
        .await
        .expect("client credentials over https");
    client
        .revoke_token(token.access_token().clone().into())
        .unwrap()
        .request_async(&http)
        .await
        .expect("revocation over https through the library");
    let secret = app.client_secret.as_deref();
    let access_token = token.access_token().secret();
    let info = common::introspect(&http, &issuer, &app.client_id, secret, access_token).await;
    assert_eq!(info["active"], false, "the revoked token is inactive");
    // Every cookie set over https (the sign-in page's CSRF cookie here) carries Secure.
    let page = http.get(format!("{issuer}/signin")).send().await.unwrap();
    let cookies = common::set_cookies(&page);
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| c.contains("Secure")),
        "{cookies:?}"
    );
    // … and the `__Host-` prefix (Path=/, no Domain), so no subdomain or http page can plant one;
    // browsers are told to come back over https only.
    assert!(
        cookies
            .iter()
            .all(|c| c.starts_with("__Host-gl_") && c.contains("Path=/") && !c.contains("Domain")),
        "{cookies:?}"
    );
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // The prefixed cookie is the one the server reads back: a form posted with it passes the CSRF
    // check (a wrong password, 401, rather than the CSRF refusal, 400).
    let csrf_cookie = cookies[0].split(';').next().unwrap().to_string();
    let body = page.text().await.unwrap();
    let csrf = common::hidden(&body, "csrf").unwrap();
    let posted = http
        .post(format!("{issuer}/signin"))
        .header("cookie", csrf_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "nobody@contoso.example"),
            ("password", "wrong"),
            ("request", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 401);
}

#[test]
fn a_missing_certificate_file_is_a_clear_error() {
    let db = TestDatabase::new();
    let dir = db.dir.path();
    let toml = format!(
        "data_dir = \"{d}/data\"\nkeys_dir = \"{d}/keys\"\ndatabase_url = \"{url}\"\ntls_cert = \"{d}/none.pem\"\ntls_key = \"{d}/none.key\"\n",
        d = dir.display(),
        url = db.url()
    );
    std::fs::write(dir.join("guestlist.toml"), toml).unwrap();
    let config = Config::load(Some(&dir.join("guestlist.toml"))).unwrap();
    let svc = server::prepare(config).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = server::http_server(svc, listener).err().expect("refused");
    assert!(err.to_string().contains("none.pem"), "{err}");
}
