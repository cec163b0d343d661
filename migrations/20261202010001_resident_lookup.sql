-- Officers look residents up by the WhatsApp number they write from (findResidents); a NIK
-- finds its account by primary key, a name part reads the profiles.
CREATE INDEX resident_accounts_phone ON resident_accounts (phone);
