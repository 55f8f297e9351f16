-- A client's sex, for the reports funders ask for (who reaches each stage,
-- of whom minors, by sex): `female`, `male`, `other` or `unknown`. Clients
-- registered before it are `unknown`; the staff form asks for it, the API
-- takes it (default `unknown`).
ALTER TABLE clients ADD COLUMN sex TEXT NOT NULL DEFAULT 'unknown'
    CHECK (sex IN ('female', 'male', 'other', 'unknown'));
