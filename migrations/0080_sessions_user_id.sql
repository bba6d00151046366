-- "End every session of this user" (password change, logout everywhere) looks sessions up by user.
CREATE INDEX sessions_user_id ON sessions (user_id);
