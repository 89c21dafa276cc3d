//! Passwords hashed with an earlier default keep working, and the first right password replaces
//! the stored hash with one made with today's parameters; a wrong password changes nothing.

mod common;

use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Params, Version};
use common::*;
use guestlist::crypto::password;
use guestlist::store::queries;

/// What `email`'s account stores as its password hash.
async fn stored_hash(server: &TestServer, email: &str) -> String {
    let lower = email.to_lowercase();
    server
        .svc
        .store
        .read(move |c| queries::users::account_by_email(c, &lower))
        .await
        .unwrap()
        .expect("an account")
        .0
        .password_hash
}

#[actix_web::test]
async fn a_hash_of_the_earlier_default_verifies_and_is_replaced_at_the_next_sign_in() {
    let server = TestServer::start().await;
    let member = server.member("kim@contoso.example").await;
    // The default before this one: OWASP's m = 19 MiB, t = 2.
    let earlier = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    let (id, old) = (member.id.clone(), earlier.clone());
    server
        .svc
        .store
        .write(move |c| queries::users::set_password(c, &id, &old, 0))
        .await
        .unwrap();
    assert!(password::needs_rehash(&earlier));

    let browser = server.browser();
    let wrong = browser
        .submit_form(
            "/t/contoso/signin",
            "/t/contoso/signin",
            &[
                ("email", "kim@contoso.example"),
                ("password", "not the password"),
                ("request", ""),
            ],
        )
        .await;
    assert_ne!(wrong.status(), 303, "a wrong password does not sign in");
    assert_eq!(
        stored_hash(&server, "kim@contoso.example").await,
        earlier,
        "a wrong password leaves the stored hash alone"
    );

    let right = browser
        .sign_in_directly("contoso", "kim@contoso.example")
        .await;
    assert_eq!(right.status(), 303, "the earlier hash still verifies");
    let now = stored_hash(&server, "kim@contoso.example").await;
    assert_ne!(now, earlier, "the right password replaced the hash");
    assert!(now.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{now}");
    assert!(!password::needs_rehash(&now));
    assert!(password::verify_blocking(PASSWORD, &now));

    // And the new hash signs in too.
    let again = server
        .browser()
        .sign_in_directly("contoso", "kim@contoso.example")
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(stored_hash(&server, "kim@contoso.example").await, now);
}
