-- The returns wizard's unfinished return, one per customer, kept by the server so the wizard
-- works without JavaScript and resumes on any device (app/src/returns/drafts.rs). `body` is the
-- draft as JSON (its photos are the customer's rows in return_photos without a return).
CREATE TABLE return_drafts (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
