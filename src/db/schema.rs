//! Diesel's view of the tables. Written by hand to match both migration
//! trees (`migrations/sqlite`, `migrations/postgres`); a test checks that the
//! two trees agree.

diesel::table! {
    partners (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        website -> Nullable<Text>,
        email -> Text,
        capacity -> Integer,
        status -> Text,
        sla_acknowledge_working_days -> Nullable<Integer>,
        sla_decide_working_days -> Nullable<Integer>,
        source_digest -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        webhook_url -> Nullable<Text>,
    }
}

diesel::table! {
    partner_services (partner_id, service) {
        partner_id -> Text,
        service -> Text,
    }
}

diesel::table! {
    partner_service_areas (partner_id, country, region) {
        partner_id -> Text,
        country -> Text,
        region -> Text,
    }
}

diesel::table! {
    partner_languages (partner_id, language) {
        partner_id -> Text,
        language -> Text,
    }
}

diesel::table! {
    partner_contacts (partner_id, position) {
        partner_id -> Text,
        position -> Integer,
        name -> Text,
        role -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
    }
}

diesel::joinable!(partner_services -> partners (partner_id));
diesel::joinable!(partner_service_areas -> partners (partner_id));
diesel::joinable!(partner_languages -> partners (partner_id));
diesel::joinable!(partner_contacts -> partners (partner_id));

diesel::allow_tables_to_appear_in_same_query!(
    partners,
    partner_services,
    partner_service_areas,
    partner_languages,
    partner_contacts,
);

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Nullable<Text>,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        password_hash -> Nullable<Text>,
        password_set_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_invitations (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(staff_sessions -> users (user_id));
diesel::joinable!(staff_invitations -> users (user_id));

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        partner_id -> Nullable<Text>,
        token_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        id -> Text,
        at -> Timestamp,
        actor_type -> Text,
        actor_id -> Text,
        operation -> Text,
        subject_type -> Text,
        subject_id -> Text,
        request_id -> Nullable<Text>,
        outcome -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(api_tokens -> partners (partner_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    user_roles,
    api_tokens,
    partners,
    staff_sessions,
    staff_invitations
);

diesel::table! {
    households (id) {
        id -> Text,
        label -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        reference -> Text,
        given_name -> Text,
        family_name -> Text,
        given_name_key -> Text,
        family_name_key -> Text,
        date_of_birth -> Date,
        country_of_origin -> Text,
        languages -> Text,
        v_number -> Nullable<Text>,
        location -> Nullable<Text>,
        household_id -> Nullable<Text>,
        counsellor_id -> Text,
        latest_intention -> Nullable<Text>,
        latest_intention_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sex -> Text,
        erased_at -> Nullable<Timestamp>,
        erasure_reason -> Nullable<Text>,
    }
}

diesel::table! {
    talks (id) {
        id -> Text,
        client_id -> Text,
        counsellor_id -> Text,
        held_on -> Date,
        mode -> Text,
        topics -> Text,
        intention -> Text,
        interpreter_language -> Nullable<Text>,
        duration_minutes -> Integer,
        notes -> Nullable<Text>,
        next_talk_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    talk_versions (talk_id, version) {
        talk_id -> Text,
        version -> Integer,
        held_on -> Date,
        mode -> Text,
        topics -> Text,
        intention -> Text,
        interpreter_language -> Nullable<Text>,
        duration_minutes -> Integer,
        notes -> Nullable<Text>,
        next_talk_on -> Nullable<Date>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        client_id -> Text,
        purpose -> Text,
        data_categories -> Text,
        partner_id -> Nullable<Text>,
        country -> Nullable<Text>,
        given_on -> Date,
        method -> Text,
        language -> Text,
        valid_until -> Nullable<Date>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<Text>,
        withdrawal_reason -> Nullable<Text>,
    }
}

diesel::joinable!(clients -> households (household_id));
diesel::joinable!(talks -> clients (client_id));
diesel::joinable!(consents -> clients (client_id));

diesel::allow_tables_to_appear_in_same_query!(households, clients, talks, talk_versions, consents);

diesel::table! {
    return_cases (id) {
        id -> Text,
        client_id -> Text,
        talk_id -> Nullable<Text>,
        destination_country -> Text,
        destination_region -> Nullable<Text>,
        needs -> Text,
        household_member_ids -> Text,
        planned_departure_on -> Date,
        status -> Text,
        opened_by -> Text,
        opened_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        caseworker_id -> Text,
    }
}

diesel::table! {
    return_case_history (return_case_id, seq) {
        return_case_id -> Text,
        seq -> Integer,
        at -> Timestamp,
        actor_type -> Text,
        actor_id -> Text,
        change -> Text,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        return_case_id -> Text,
        partner_id -> Text,
        consent_id -> Text,
        status -> Text,
        sent_at -> Timestamp,
        sent_by -> Text,
        acknowledge_due_on -> Date,
        decide_due_on -> Date,
        acknowledged_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        departed_on -> Nullable<Date>,
        arrived_on -> Nullable<Date>,
        closed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        arrival_received -> Nullable<Bool>,
        arrival_note -> Nullable<Text>,
        outcome -> Nullable<Text>,
        decline_reason_code -> Nullable<Text>,
        on_hold_since -> Nullable<Timestamp>,
        hold_reason -> Nullable<Text>,
        hold_review_on -> Nullable<Date>,
        held_days -> Integer,
        consent_expiring_at -> Nullable<Timestamp>,
        consent_expired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    referral_history (referral_id, seq) {
        referral_id -> Text,
        seq -> Integer,
        status -> Text,
        at -> Timestamp,
        by_type -> Text,
        by_id -> Text,
        reason -> Nullable<Text>,
        reason_code -> Nullable<Text>,
        resumed -> Bool,
    }
}

diesel::table! {
    checklist_items (id) {
        id -> Text,
        referral_id -> Text,
        position -> Integer,
        kind -> Text,
        owner -> Text,
        due_on -> Date,
        status -> Text,
        note -> Nullable<Text>,
        updated_at -> Timestamp,
        updated_by_type -> Text,
        updated_by_id -> Text,
        note_by_type -> Nullable<Text>,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        #[sql_name = "type"]
        event_type -> Text,
        partner_id -> Text,
        referral_id -> Nullable<Text>,
        occurred_at -> Timestamp,
        payload -> Text,
    }
}

diesel::joinable!(referrals -> return_cases (return_case_id));
diesel::joinable!(checklist_items -> referrals (referral_id));

diesel::allow_tables_to_appear_in_same_query!(
    return_cases,
    return_case_history,
    referrals,
    referral_history,
    checklist_items,
    events,
);

diesel::table! {
    reintegration_plans (referral_id) {
        referral_id -> Text,
        status -> Text,
        version -> Integer,
        submitted_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    reintegration_plan_items (referral_id, position) {
        referral_id -> Text,
        position -> Integer,
        need -> Text,
        support -> Text,
        amount -> Double,
        currency -> Text,
    }
}

diesel::table! {
    monitoring_visits (id) {
        id -> Text,
        referral_id -> Text,
        months_after_arrival -> Integer,
        due_on -> Date,
        status -> Text,
        held_on -> Nullable<Date>,
        mode -> Nullable<Text>,
        model_version -> Nullable<Text>,
        answers -> Nullable<Text>,
        economic -> Nullable<Double>,
        social -> Nullable<Double>,
        psychosocial -> Nullable<Double>,
        overall -> Nullable<Double>,
        reported_at -> Nullable<Timestamp>,
        due_announced_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (principal, idempotency_key) {
        principal -> Text,
        idempotency_key -> Text,
        method -> Text,
        path -> Text,
        body_hash -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        response_location -> Nullable<Text>,
        created_at -> Timestamp,
        locked_until -> Timestamp,
        resource_kind -> Nullable<Text>,
        resource_id -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    reintegration_plans,
    reintegration_plan_items,
    monitoring_visits
);

diesel::allow_tables_to_appear_in_same_query!(monitoring_visits, referrals);
diesel::allow_tables_to_appear_in_same_query!(monitoring_visits, return_cases);
diesel::allow_tables_to_appear_in_same_query!(reintegration_plans, referrals);
diesel::allow_tables_to_appear_in_same_query!(reintegration_plans, return_cases);
// Reports narrow referrals, their history and visits to a group of clients.
diesel::allow_tables_to_appear_in_same_query!(clients, return_cases);
diesel::allow_tables_to_appear_in_same_query!(clients, referrals);
diesel::allow_tables_to_appear_in_same_query!(clients, referral_history);
diesel::allow_tables_to_appear_in_same_query!(clients, monitoring_visits);
diesel::allow_tables_to_appear_in_same_query!(clients, reintegration_plans);
// The worker finds the open referrals whose consent ends.
diesel::allow_tables_to_appear_in_same_query!(consents, referrals);

diesel::table! {
    webhook_endpoints (partner_id) {
        partner_id -> Text,
        url -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        status -> Text,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (event_seq) {
        event_seq -> BigInt,
        partner_id -> Text,
        referral_id -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_response_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> events (event_seq));
diesel::allow_tables_to_appear_in_same_query!(
    webhook_deliveries,
    events,
    webhook_endpoints,
    partners
);

diesel::table! {
    /// The partner directory's version (one row), raised by each sync that
    /// changes the directory.
    directory_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    /// People at a partner organisation who use the portal.
    partner_users (id) {
        id -> Text,
        partner_id -> Text,
        email -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        password_set_at -> Nullable<Timestamp>,
        totp_secret -> Nullable<Text>,
        totp_enrolled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        language -> Text,
        notify_by_email -> Bool,
        created_at -> Timestamp,
        created_by -> Text,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    partner_sessions (id_hash) {
        id_hash -> Text,
        partner_user_id -> Text,
        csrf_token -> Text,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    partner_invitations (token_hash) {
        token_hash -> Text,
        partner_user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Four eyes: what a focal point drafted for a coordinator to submit.
    partner_drafts (id) {
        id -> Text,
        referral_id -> Text,
        kind -> Text,
        body -> Text,
        drafted_by -> Text,
        drafted_at -> Timestamp,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(partner_users -> partners (partner_id));
diesel::joinable!(partner_sessions -> partner_users (partner_user_id));
diesel::joinable!(partner_invitations -> partner_users (partner_user_id));
diesel::joinable!(partner_drafts -> referrals (referral_id));
diesel::allow_tables_to_appear_in_same_query!(
    partner_users,
    partner_sessions,
    partner_invitations,
    partner_drafts,
    partners,
    referrals
);

diesel::table! {
    /// Email notifications to send: ids, a reference and a count, no
    /// personal data.
    mail_outbox (id) {
        id -> Text,
        recipient_kind -> Text,
        recipient_id -> Text,
        kind -> Text,
        reference -> Text,
        item_count -> Integer,
        link_path -> Text,
        language -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        dead_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    /// The staff's mail preferences: the `users` table, seen by the mail.
    #[sql_name = "users"]
    staff_mail (id) {
        id -> Text,
        email -> Text,
        disabled_at -> Nullable<Timestamp>,
        notify_by_email -> Bool,
        language -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(mail_outbox, partner_users, staff_mail);

diesel::table! {
    partner_capacity (partner_id, country, need) {
        partner_id -> Text,
        country -> Text,
        need -> Text,
        answer -> Text,
        waitlist_weeks -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(partner_capacity -> partners (partner_id));
diesel::allow_tables_to_appear_in_same_query!(partner_capacity, partners);

diesel::table! {
    /// Early warnings on sustainability: one per monitoring report that
    /// crossed a threshold, with its reasons (JSON), until handled.
    sustainability_alerts (id) {
        id -> Text,
        referral_id -> Text,
        visit_id -> Text,
        reasons -> Text,
        raised_at -> Timestamp,
        handled_at -> Nullable<Timestamp>,
        handled_by -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(sustainability_alerts, monitoring_visits);
diesel::allow_tables_to_appear_in_same_query!(sustainability_alerts, referrals);
diesel::allow_tables_to_appear_in_same_query!(sustainability_alerts, return_cases);
