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
    }
}

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

diesel::allow_tables_to_appear_in_same_query!(users, user_roles, api_tokens, partners);

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
