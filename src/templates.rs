//! Tera templates, compiled into the binary so the server runs from any directory.

use crate::error::{Error, Result};
use std::sync::OnceLock;

const PAGES: &[(&str, &str)] = &[
    (
        "pages/base.html",
        include_str!("../templates/pages/base.html"),
    ),
    (
        "pages/signin.html",
        include_str!("../templates/pages/signin.html"),
    ),
    (
        "pages/account_fields.html",
        include_str!("../templates/pages/account_fields.html"),
    ),
    (
        "pages/signup.html",
        include_str!("../templates/pages/signup.html"),
    ),
    (
        "pages/setup.html",
        include_str!("../templates/pages/setup.html"),
    ),
    (
        "pages/account.html",
        include_str!("../templates/pages/account.html"),
    ),
    (
        "pages/forgot.html",
        include_str!("../templates/pages/forgot.html"),
    ),
    (
        "pages/verify.html",
        include_str!("../templates/pages/verify.html"),
    ),
    (
        "pages/terms_block.html",
        include_str!("../templates/pages/terms_block.html"),
    ),
    (
        "pages/terms.html",
        include_str!("../templates/pages/terms.html"),
    ),
    (
        "pages/code.html",
        include_str!("../templates/pages/code.html"),
    ),
    (
        "pages/reset.html",
        include_str!("../templates/pages/reset.html"),
    ),
    (
        "pages/consent.html",
        include_str!("../templates/pages/consent.html"),
    ),
    (
        "pages/error.html",
        include_str!("../templates/pages/error.html"),
    ),
    (
        "pages/message.html",
        include_str!("../templates/pages/message.html"),
    ),
    (
        "pages/logout.html",
        include_str!("../templates/pages/logout.html"),
    ),
    (
        "pages/redeem.html",
        include_str!("../templates/pages/redeem.html"),
    ),
    (
        "pages/redeem_consent.html",
        include_str!("../templates/pages/redeem_consent.html"),
    ),
    (
        "pages/redeem_block.html",
        include_str!("../templates/pages/redeem_block.html"),
    ),
    (
        "pages/apps.html",
        include_str!("../templates/pages/apps.html"),
    ),
    (
        "pages/review.html",
        include_str!("../templates/pages/review.html"),
    ),
];

/// Email bodies. The `.html` ones are autoescaped like the pages; the `.txt` ones are plain text and are
/// not (tera only autoescapes `.html`, `.htm` and `.xml`).
const EMAILS: &[(&str, &str)] = &[
    (
        "email/invitation.html",
        include_str!("../templates/email/invitation.html"),
    ),
    (
        "email/invitation.txt",
        include_str!("../templates/email/invitation.txt"),
    ),
    (
        "email/account.html",
        include_str!("../templates/email/account.html"),
    ),
    (
        "email/account.txt",
        include_str!("../templates/email/account.txt"),
    ),
    (
        "email/review.html",
        include_str!("../templates/email/review.html"),
    ),
    (
        "email/review.txt",
        include_str!("../templates/email/review.txt"),
    ),
];

/// The admin console (`http::admin`), in its own frame.
const ADMIN: &[(&str, &str)] = &[
    (
        "admin/app.html",
        include_str!("../templates/admin/app.html"),
    ),
    (
        "admin/app_created.html",
        include_str!("../templates/admin/app_created.html"),
    ),
    (
        "admin/app_fields.html",
        include_str!("../templates/admin/app_fields.html"),
    ),
    (
        "admin/app_new.html",
        include_str!("../templates/admin/app_new.html"),
    ),
    (
        "admin/apps.html",
        include_str!("../templates/admin/apps.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../templates/admin/audit.html"),
    ),
    (
        "admin/base.html",
        include_str!("../templates/admin/base.html"),
    ),
    (
        "admin/batch.html",
        include_str!("../templates/admin/batch.html"),
    ),
    (
        "admin/branding.html",
        include_str!("../templates/admin/branding.html"),
    ),
    (
        "admin/group.html",
        include_str!("../templates/admin/group.html"),
    ),
    (
        "admin/groups.html",
        include_str!("../templates/admin/groups.html"),
    ),
    (
        "admin/idp.html",
        include_str!("../templates/admin/idp.html"),
    ),
    (
        "admin/idp_fields.html",
        include_str!("../templates/admin/idp_fields.html"),
    ),
    (
        "admin/idp_new.html",
        include_str!("../templates/admin/idp_new.html"),
    ),
    (
        "admin/idps.html",
        include_str!("../templates/admin/idps.html"),
    ),
    (
        "admin/invitations.html",
        include_str!("../templates/admin/invitations.html"),
    ),
    (
        "admin/invite.html",
        include_str!("../templates/admin/invite.html"),
    ),
    (
        "admin/policies.html",
        include_str!("../templates/admin/policies.html"),
    ),
    (
        "admin/terms.html",
        include_str!("../templates/admin/terms.html"),
    ),
    (
        "admin/webhooks.html",
        include_str!("../templates/admin/webhooks.html"),
    ),
    (
        "admin/webhook.html",
        include_str!("../templates/admin/webhook.html"),
    ),
    (
        "admin/rows.html",
        include_str!("../templates/admin/rows.html"),
    ),
    (
        "admin/upload.html",
        include_str!("../templates/admin/upload.html"),
    ),
    (
        "admin/upload_check.html",
        include_str!("../templates/admin/upload_check.html"),
    ),
    (
        "admin/user.html",
        include_str!("../templates/admin/user.html"),
    ),
    (
        "admin/user_new.html",
        include_str!("../templates/admin/user_new.html"),
    ),
    (
        "admin/users.html",
        include_str!("../templates/admin/users.html"),
    ),
];

pub struct Templates {
    tera: tera::Tera,
}

impl Templates {
    pub fn load() -> Result<Templates> {
        let mut tera = tera::Tera::new();
        tera.add_raw_templates(PAGES.iter().chain(EMAILS).chain(ADMIN).copied())
            .map_err(|e| Error::Internal(format!("templates: {e}")))?;
        Ok(Templates { tera })
    }

    /// The process-wide set (templates never change at run time).
    pub fn global() -> &'static Templates {
        static T: OnceLock<Templates> = OnceLock::new();
        T.get_or_init(|| Templates::load().expect("the compiled-in templates parse"))
    }

    pub fn render(&self, name: &str, ctx: &tera::Context) -> Result<String> {
        self.tera
            .render(name, ctx)
            .map_err(|e| Error::Internal(format!("rendering {name}: {e:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        Templates::load().unwrap();
    }

    #[test]
    fn values_are_escaped() {
        let mut ctx = tera::Context::new();
        ctx.insert("tenant_name", "<script>x</script>");
        ctx.insert("privacy_url", &None::<String>);
        ctx.insert("title", "T");
        ctx.insert("message", "M & N");
        let html = Templates::global()
            .render("pages/error.html", &ctx)
            .unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>x"));
        assert!(html.contains("M &amp; N"));
    }
}
