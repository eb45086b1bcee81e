-- Presets: a user's saved options (camera, style, setting, lighting, details, negative, aspect, duration,
-- model) under a name, per server (guild_id 0 outside a server).  spec is JSON text.
CREATE TABLE presets (
    user_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (user_id, guild_id, name)
);
