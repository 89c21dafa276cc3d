//! diesel table definitions, kept by hand in step with `migrations/{sqlite,postgres}`.

diesel::table! {
    tenants (id) {
        id -> Text,
        slug -> Text,
        display_name -> Text,
        primary_domain -> Text,
        unmanaged -> Bool,
        self_service_signup -> Bool,
        settings -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        tenant_id -> Text,
        user_type -> Text,
        creation_type -> Nullable<Text>,
        user_principal_name -> Text,
        display_name -> Text,
        mail -> Text,
        mail_lower -> Text,
        preferred_language -> Nullable<Text>,
        enabled -> Bool,
        external_user_state -> Nullable<Text>,
        external_user_state_changed_at -> Nullable<BigInt>,
        sign_in_name -> Nullable<Text>,
        alt_sec_id -> Nullable<Text>,
        home_user_id -> Nullable<Text>,
        home_issuer -> Nullable<Text>,
        email_verified -> Bool,
        profile -> Text,
        last_sign_in_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    credentials (user_id) {
        user_id -> Text,
        email_lower -> Text,
        password_hash -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    tenant_groups (id) {
        id -> Text,
        tenant_id -> Text,
        display_name -> Text,
        description -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    apps (id) {
        id -> Text,
        tenant_id -> Text,
        client_id -> Text,
        name -> Text,
        secret_hash -> Nullable<Text>,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        first_party -> Bool,
        assignment_required -> Bool,
        id_token_signing_alg -> Text,
        allowed_scopes -> Text,
        settings -> Text,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        backchannel_logout_uri -> Nullable<Text>,
        backchannel_logout_session_required -> Bool,
    }
}

diesel::table! {
    app_assignments (app_id, principal_type, principal_id, app_role) {
        app_id -> Text,
        principal_type -> Text,
        principal_id -> Text,
        app_role -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        secret_hash -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        last_seen_at -> BigInt,
        acr -> Nullable<Text>,
        upstream_amr -> Nullable<Text>,
    }
}

diesel::table! {
    identity_providers (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        display_name -> Text,
        preset -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret_sealed -> Text,
        scopes -> Text,
        domains -> Text,
        email_claim -> Text,
        name_claim -> Text,
        trust_email -> Bool,
        members -> Bool,
        create_members -> Bool,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    upstream_identities (user_id) {
        user_id -> Text,
        issuer -> Text,
        subject -> Text,
        provider_id -> Text,
        email -> Text,
        created_at -> BigInt,
        last_sign_in_at -> BigInt,
    }
}

diesel::table! {
    upstream_directories (issuer) {
        issuer -> Text,
        tenant_id -> Text,
    }
}

diesel::table! {
    federation_states (id) {
        id -> Text,
        provider_id -> Text,
        tenant_id -> Text,
        browser -> Text,
        nonce -> Text,
        verifier_sealed -> Text,
        purpose -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    throttles (scope, subject) {
        scope -> Text,
        subject -> Text,
        count -> BigInt,
        first_at -> BigInt,
        last_at -> BigInt,
        blocked_until -> BigInt,
        level -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        tenant_id -> Text,
        app_id -> Text,
        user_id -> Text,
        session_id -> Nullable<Text>,
        scope -> Text,
        claims -> Nullable<Text>,
        nonce -> Nullable<Text>,
        auth_time -> BigInt,
        acr -> Text,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        logout_queued_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Text,
        tenant_id -> Text,
        app_id -> Text,
        user_id -> Text,
        session_id -> Nullable<Text>,
        redirect_uri -> Text,
        scope -> Text,
        claims -> Nullable<Text>,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        auth_time -> BigInt,
        acr -> Text,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        grant_id -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        grant_id -> Text,
        scope -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    pending_authorizations (id) {
        id -> Text,
        tenant_id -> Text,
        request -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    consents (user_id, app_id) {
        user_id -> Text,
        app_id -> Text,
        scope -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    terms_of_use (tenant_id, version, language) {
        tenant_id -> Text,
        version -> Integer,
        language -> Text,
        body -> Nullable<Text>,
        url -> Nullable<Text>,
        published_at -> BigInt,
        published_by -> Text,
    }
}

diesel::table! {
    terms_acceptances (user_id, version) {
        user_id -> Text,
        tenant_id -> Text,
        version -> Integer,
        accepted_at -> BigInt,
    }
}

diesel::table! {
    one_time_codes (id) {
        id -> Text,
        tenant_id -> Text,
        email_lower -> Text,
        code_hash -> Text,
        purpose -> Text,
        attempts -> Integer,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    action_tokens (token_hash) {
        token_hash -> Text,
        purpose -> Text,
        tenant_id -> Text,
        user_id -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        tenant_id -> Text,
        at -> BigInt,
        event_name -> Text,
        actor -> Text,
        target -> Text,
        outcome -> Text,
        details -> Text,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> Text,
        tenant_id -> Text,
        kind -> Text,
        recipient -> Text,
        message -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        claim -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        tenant_id -> Text,
        user_id -> Text,
        email -> Text,
        email_lower -> Text,
        display_name -> Text,
        invited_by -> Text,
        redirect_url -> Nullable<Text>,
        language -> Text,
        cc -> Nullable<Text>,
        custom_text -> Nullable<Text>,
        contact_url -> Nullable<Text>,
        invite_app_id -> Nullable<Text>,
        ticket_hash -> Text,
        ticket_expires_at -> BigInt,
        status -> Text,
        batch_id -> Nullable<Text>,
        outbox_id -> Nullable<Text>,
        created_at -> BigInt,
        redeemed_at -> Nullable<BigInt>,
        voided_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    invitation_blocks (email_lower) {
        email_lower -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    invitation_batches (id) {
        id -> Text,
        tenant_id -> Text,
        uploaded_by -> Text,
        file_name -> Text,
        rows_total -> BigInt,
        rows_created -> BigInt,
        rows_existing -> BigInt,
        rows_failed -> BigInt,
        results -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    logout_deliveries (id) {
        id -> Text,
        tenant_id -> Text,
        app_id -> Text,
        subject -> Text,
        session_id -> Nullable<Text>,
        jti -> Text,
        reason -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        claim -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        tenant_id -> Text,
        url -> Text,
        description -> Text,
        events -> Text,
        secret_sealed -> Text,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        previous_secret_sealed -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        message_id -> Text,
        endpoint_id -> Text,
        tenant_id -> Text,
        event_name -> Text,
        payload -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        claim -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    guest_lifecycle (user_id) {
        user_id -> Text,
        tenant_id -> Text,
        access_expires_at -> Nullable<BigInt>,
        disabled_at -> Nullable<BigInt>,
        disabled_reason -> Nullable<Text>,
        vouched_at -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    guest_sponsors (guest_id, sponsor_id) {
        guest_id -> Text,
        sponsor_id -> Text,
        tenant_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    review_rounds (id) {
        id -> Text,
        tenant_id -> Text,
        number -> BigInt,
        started_at -> BigInt,
        deadline -> BigInt,
        closed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    guest_reviews (token_hash) {
        token_hash -> Text,
        round_id -> Text,
        tenant_id -> Text,
        guest_id -> Text,
        sponsor_id -> Text,
        decision -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        until -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    guest_lifecycle,
    guest_sponsors,
    review_rounds,
    guest_reviews,
    webhook_endpoints,
    webhook_deliveries,
    logout_deliveries,
    throttles,
    identity_providers,
    upstream_identities,
    upstream_directories,
    federation_states,
    tenants,
    users,
    user_roles,
    credentials,
    tenant_groups,
    group_members,
    apps,
    app_assignments,
    sessions,
    grants,
    authorization_codes,
    refresh_tokens,
    revoked_tokens,
    pending_authorizations,
    consents,
    action_tokens,
    one_time_codes,
    terms_of_use,
    terms_acceptances,
    audit_events,
    outbox_messages,
    invitations,
    invitation_blocks,
    invitation_batches,
);

diesel::table! {
    tenant_logos (tenant_id) {
        tenant_id -> Text,
        content_type -> Text,
        bytes -> Binary,
        updated_at -> BigInt,
    }
}

diesel::table! {
    csv_uploads (id) {
        id -> Text,
        tenant_id -> Text,
        uploaded_by -> Text,
        file_name -> Text,
        content -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        role -> Text,
    }
}
