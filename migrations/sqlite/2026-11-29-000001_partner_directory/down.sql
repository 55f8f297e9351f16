DROP TABLE partner_contacts;
DROP TABLE partner_languages;
DROP TABLE partner_service_areas;
DROP TABLE partner_services;
DROP TABLE partners;
