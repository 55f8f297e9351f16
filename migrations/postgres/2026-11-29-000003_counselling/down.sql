DROP TABLE consents;
DROP TABLE talk_versions;
DROP TABLE talks;
DROP TABLE clients;
DROP TABLE households;
