-- User installs (the app installed on a member's account, used where the bot is not a member): their videos draw
-- on a quota pool of their own (VIDEOBOT_USER_INSTALL_DAILY_SECONDS), separate from the one in servers.
ALTER TABLE quota_ledger ADD COLUMN user_install INTEGER NOT NULL DEFAULT 0;
-- Each member's own settings: whether a slow result mentions them (/settings notify).
CREATE TABLE member_settings (
    user_id    INTEGER PRIMARY KEY,
    notify     INTEGER NOT NULL DEFAULT 1,
    updated_at REAL    NOT NULL
);
