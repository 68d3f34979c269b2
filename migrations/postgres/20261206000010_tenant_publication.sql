-- A collective's language (messages to people without an account: contacts, typed addresses)
-- and the licence its open data is published under (exports, DCAT catalogue).
ALTER TABLE tenants ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
ALTER TABLE tenants ADD COLUMN data_licence TEXT NOT NULL DEFAULT 'etalab-2.0';
