-- A server's cast: named recurring characters made from 1-3 reference photos (and an optional voice sample).
-- photos is a JSON list of the stored PNGs' content hashes, in order; voice is the stored audio file's name
-- (its content hash and extension).  The files live beside the other media; a member's row is written in one
-- INSERT after its files are stored, so a crash leaves a whole member or none.  name_key is the name folded to
-- lower case: names are unique per server regardless of case.
CREATE TABLE cast_members (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    photos        TEXT NOT NULL,
    voice         TEXT,
    voice_seconds REAL,
    description   TEXT NOT NULL DEFAULT '',
    added_by      INTEGER NOT NULL,
    added_by_name TEXT,
    created_at    REAL NOT NULL,
    UNIQUE (guild_id, name_key)
);
