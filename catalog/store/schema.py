"""The catalog's schema, as numbered migrations applied in order on open (``PRAGMA user_version``).

Every table has an explicit ``INTEGER PRIMARY KEY`` so that VACUUM never renumbers rows under the FTS5 indexes.
Times are seconds (REAL); dates are ISO ``YYYY-MM-DD`` text; timestamps are ISO-8601 UTC text.
"""

from __future__ import annotations

MIGRATION_1 = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    source_key TEXT NOT NULL UNIQUE,          -- what makes ingest idempotent: a URL, an extractor id, a file hash
    title TEXT NOT NULL,
    date TEXT,                                -- YYYY-MM-DD
    event TEXT,                               -- event or series, e.g. "92nd Winter Meeting"
    description TEXT,
    source_url TEXT,                          -- the page the session came from
    video_url TEXT,                           -- where the video plays (YouTube, Vimeo, a file URL)
    thumbnail_url TEXT,
    duration REAL,
    language TEXT,
    channel TEXT,
    tags TEXT NOT NULL DEFAULT '[]',          -- JSON list
    extra TEXT NOT NULL DEFAULT '{}',         -- JSON object: anything else worth keeping
    media_path TEXT,                          -- relative to the data folder's media/ when archived
    media_size INTEGER,
    media_sha256 TEXT,
    media_type TEXT,
    status TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published', 'retracted')),
    has_transcript INTEGER NOT NULL DEFAULT 0,
    segment_count INTEGER NOT NULL DEFAULT 0,
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX sessions_date ON sessions(date);
CREATE INDEX sessions_event ON sessions(event);
CREATE INDEX sessions_status_date ON sessions(status, date);

CREATE TABLE speakers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    slug TEXT NOT NULL UNIQUE,
    merged_into INTEGER REFERENCES speakers(id)   -- set when merged; the row stays so old links redirect
);

CREATE TABLE session_speakers (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    speaker_id INTEGER NOT NULL REFERENCES speakers(id),
    role TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, speaker_id)
);
CREATE INDEX session_speakers_speaker ON session_speakers(speaker_id);

CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE session_topics (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    topic_id INTEGER NOT NULL REFERENCES topics(id),
    PRIMARY KEY (session_id, topic_id)
);
CREATE INDEX session_topics_topic ON session_topics(topic_id);

CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'auto', 'upload')),
    format TEXT,                              -- vtt or srt
    raw_path TEXT,                            -- the raw caption file, relative to the data folder
    reviewed INTEGER NOT NULL DEFAULT 0,
    is_primary INTEGER NOT NULL DEFAULT 0,    -- the track whose segments are indexed and shown
    created_at TEXT NOT NULL,
    UNIQUE (session_id, language)
);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    track_id INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    speaker_id INTEGER REFERENCES speakers(id),
    text TEXT NOT NULL,
    marks TEXT NOT NULL DEFAULT '[]'          -- JSON [[char_offset, seconds], ...]
);
CREATE INDEX segments_session ON segments(session_id, position);
CREATE INDEX segments_speaker ON segments(speaker_id);

CREATE TABLE segment_versions (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    speaker_id INTEGER,
    changed_by TEXT,
    changed_at TEXT NOT NULL
);
CREATE INDEX segment_versions_segment ON segment_versions(segment_id);

CREATE TABLE chapters (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    end REAL,
    title TEXT NOT NULL
);
CREATE INDEX chapters_session ON chapters(session_id, start);

-- Getting sessions in: one row per item (a URL or entry) with its state, so sync can resume and failures retry.
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,                 -- extractor:id or the URL
    url TEXT NOT NULL,
    parent_url TEXT,                          -- the playlist or channel it came from
    title TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    options TEXT NOT NULL DEFAULT '{}',       -- JSON: languages, media, requested by
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX items_state ON items(state);
CREATE INDEX items_parent ON items(parent_url);

-- Caption state per (item, language): a 429 on captions must not pass as "done without captions".
CREATE TABLE item_captions (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'missing', 'failed')),
    source TEXT,
    error TEXT,
    PRIMARY KEY (item_id, language)
);

CREATE TABLE syncs (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    options TEXT NOT NULL DEFAULT '{}',
    last_synced_at TEXT,
    last_count INTEGER
);

-- Staff.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,          -- sha256 of the token; the token itself is shown once
    label TEXT,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_name TEXT,
    session_id INTEGER,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'         -- JSON
);
CREATE INDEX audit_session ON audit(session_id, at);
CREATE INDEX audit_at ON audit(at);

-- Full-text search. External content tables kept in sync by triggers.
CREATE VIRTUAL TABLE segments_fts USING fts5(
    text, content='segments', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER segments_au AFTER UPDATE OF text ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE VIRTUAL TABLE sessions_fts USING fts5(
    title, description, event, content='sessions', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER sessions_ai AFTER INSERT ON sessions BEGIN
    INSERT INTO sessions_fts(rowid, title, description, event) VALUES (new.id, new.title, new.description, new.event);
END;
CREATE TRIGGER sessions_ad AFTER DELETE ON sessions BEGIN
    INSERT INTO sessions_fts(sessions_fts, rowid, title, description, event)
        VALUES ('delete', old.id, old.title, old.description, old.event);
END;
CREATE TRIGGER sessions_au AFTER UPDATE OF title, description, event ON sessions BEGIN
    INSERT INTO sessions_fts(sessions_fts, rowid, title, description, event)
        VALUES ('delete', old.id, old.title, old.description, old.event);
    INSERT INTO sessions_fts(rowid, title, description, event) VALUES (new.id, new.title, new.description, new.event);
END;
"""

# Search walks each session's segments as one rowid range (catalog/search/paths.py); with this index the two
# ends of a session's range are two index seeks instead of a scan of its segments.
MIGRATION_2 = """
CREATE INDEX IF NOT EXISTS segments_session_id ON segments(session_id);
"""

# Staff sign-in, shared by every server process through the catalog: failed sign-ins (per client, and per user
# name from a client) for the growing delays of catalog/staff/signin_limits.py, and each user's session generation
# (catalog/staff/sessions.py): a staff cookie names the generation it was signed in under, and signing out,
# changing the password or "sign out everywhere" moves it on, so every older cookie stops working at once.
# And the size and sha256 of each raw caption (and loaded media) file as placed, so that `check` can verify the
# files against them (catalog/ops/data_files.py). Three new empty tables: free on any catalog.
MIGRATION_SIGNIN_SESSIONS_FILE_HASHES = """
CREATE TABLE signin_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,                        -- 'client <address>' or 'user <name, case-folded> <address>'
    at REAL NOT NULL                          -- Unix time of the failed attempt
);
CREATE INDEX signin_failures_key ON signin_failures(key, at);
CREATE INDEX signin_failures_at ON signin_failures(at);

CREATE TABLE session_generations (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE data_files (
    path TEXT PRIMARY KEY,                    -- relative to the data folder, e.g. captions/12/en.manual.vtt
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""


# Offline transcription (docs/ingest.md): tracks made by ASR (source 'asr', with the model's name and hash), each
# word's confidence, transcription progress and cancellation on the ingest queue's items, and speaker-name
# suggestions staff accept or reject. Widening the CHECK on tracks.source edits the stored table definition in
# place (SQLite's documented way to loosen a CHECK, no table rebuild: segments keep their rows and ids); every
# ALTER only appends a column. O(1) on a catalog of any size.
MIGRATION_ASR_TRANSCRIPTS = """
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (source IN (''manual'', ''auto'', ''upload''))',
    'CHECK (source IN (''manual'', ''auto'', ''upload'', ''asr''))') WHERE type = 'table' AND name = 'tracks';
PRAGMA writable_schema = RESET;
ALTER TABLE tracks ADD COLUMN model TEXT;              -- asr: the model's name, e.g. whisper-tiny.en
ALTER TABLE tracks ADD COLUMN model_sha256 TEXT;       -- asr: sha256 over the model's files
ALTER TABLE segments ADD COLUMN confidence TEXT;       -- asr: JSON [[char_offset, char_end, probability], ...]
ALTER TABLE items ADD COLUMN progress REAL;            -- percent of the audio transcribed so far
ALTER TABLE items ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
CREATE TABLE speaker_suggestions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    start REAL NOT NULL,                      -- the turn it names begins here (seconds)
    end REAL NOT NULL,
    name TEXT NOT NULL,
    reason TEXT NOT NULL,                     -- what the transcript says, e.g. "I'm Mayor Garcia"
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'rejected')),
    decided_by TEXT,
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX speaker_suggestions_session ON speaker_suggestions(session_id, start);
"""


# Search across segment cuts and typo tolerance (catalog/search/crosscut.py, catalog/search/typos.py): the view
# ``segment_windows`` is each segment's text followed by the head of the next segments of its session (at most
# HEAD_CHARS characters of at most HEAD_SEGMENTS segments, whole words), and ``segment_windows_fts`` indexes it
# without stemming, as external content (the text is not stored twice). A phrase that runs over a cut is found in
# the window of the segment where it starts; fts5vocab over it gives the archive's words. A session's windows are
# written by catalog/store/windows.py after its segments; the triggers take a segment's window (and those whose head
# holds it) out before it changes or goes, and put them back after a correction or once it is gone, so a delete in
# any order keeps the index equal to the view. Opening an existing catalog
# builds the index in one pass ('rebuild'; see docs/schema.md for its cost).
HEAD_CHARS = 80
HEAD_SEGMENTS = 8
_WORD_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789''\u2019"
    "\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef"
    "\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00ff"
    "\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf"
    "\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d8\u00d9\u00da\u00db\u00dc\u00dd"
)
_FOLLOWING = (
    "(SELECT group_concat(t, ' ') FROM (SELECT n.text AS t FROM segments n WHERE n.session_id = s.session_id "
    f"AND n.position > s.position ORDER BY n.position LIMIT {HEAD_SEGMENTS}))"
)
# the first HEAD_CHARS characters of what follows, a word cut at the end dropped (one more character is read
# to tell whether the last word is whole)
_HEAD = f"rtrim(rtrim(substr({_FOLLOWING} || ' ', 1, {HEAD_CHARS + 1}), '{_WORD_CHARS}'), ' ')"
_AFFECTED = (
    "(SELECT id FROM segments WHERE session_id = old.session_id "
    f"AND position BETWEEN old.position - {HEAD_SEGMENTS} AND old.position)"
)
# the segments whose head held a deleted one: their windows go back once it is gone (a whole session deleted in
# position order finds none still there, so it costs nothing more)
_BEFORE_IT = (
    "(SELECT id FROM segments WHERE session_id = old.session_id "
    f"AND position BETWEEN old.position - {HEAD_SEGMENTS} AND old.position - 1)"
)
MIGRATION_SEGMENT_WINDOWS = f"""
CREATE VIEW segment_windows (id, text) AS
    SELECT s.id, s.text || coalesce(' ' || nullif({_HEAD}, ''), '') FROM segments s;
CREATE VIRTUAL TABLE segment_windows_fts USING fts5(
    text, content='segment_windows', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE segment_words USING fts5vocab(segment_windows_fts, 'row');
CREATE TRIGGER segment_windows_bd BEFORE DELETE ON segments BEGIN
    INSERT INTO segment_windows_fts(segment_windows_fts, rowid, text)
        SELECT 'delete', id, text FROM segment_windows WHERE id IN {_AFFECTED};
END;
CREATE TRIGGER segment_windows_ad AFTER DELETE ON segments BEGIN
    INSERT INTO segment_windows_fts(rowid, text) SELECT id, text FROM segment_windows WHERE id IN {_BEFORE_IT};
END;
CREATE TRIGGER segment_windows_bu BEFORE UPDATE OF text ON segments BEGIN
    INSERT INTO segment_windows_fts(segment_windows_fts, rowid, text)
        SELECT 'delete', id, text FROM segment_windows WHERE id IN {_AFFECTED};
END;
CREATE TRIGGER segment_windows_au AFTER UPDATE OF text ON segments BEGIN
    INSERT INTO segment_windows_fts(rowid, text) SELECT id, text FROM segment_windows WHERE id IN {_AFFECTED};
END;
INSERT INTO segment_windows_fts(segment_windows_fts) VALUES ('rebuild');
"""

# A renamed or merged event's old name keeps leading somewhere: ``/sessions?event=<old>`` redirects to the new
# name, and a session fetched again with the old name gets the new one (catalog/staff/events.py). A new table:
# free on any catalog size.
MIGRATION_EVENT_REDIRECTS = """
CREATE TABLE IF NOT EXISTS event_redirects (
    slug TEXT PRIMARY KEY,                    -- the old name's slug
    name TEXT NOT NULL,                       -- the old name as it was
    into_name TEXT NOT NULL,                  -- the event that now carries its sessions
    at TEXT NOT NULL
);
"""

# Every language searchable (catalog/store/tracks.py, catalog/search/languages.py): the segments of each caption
# track other than the primary one (a Spanish track beside the English captions) in their own table, so that
# everything reading ``segments`` (the session page's transcript, exports, the cross-cut windows, ASR, staff
# corrections) still reads the one primary track. Indexed by ``track_segments_fts`` without stemming
# ('unicode61 remove_diacritics 2': no English porter stemming on Spanish, accents folded), with its words for the
# typo tolerance in ``track_words``; staff corrections of those segments keep what they replaced in
# ``track_segment_versions``. New empty tables: free on any catalog; a re-ingest fills them.
MIGRATION_TRACK_SEGMENTS = """
CREATE TABLE track_segments (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL,
    marks TEXT NOT NULL DEFAULT '[]'          -- JSON [[char_offset, seconds], ...]
);
CREATE INDEX track_segments_track ON track_segments(track_id, position);
CREATE INDEX track_segments_session ON track_segments(session_id);
CREATE TABLE track_segment_versions (        -- a staff correction of another track's segment keeps the text it replaced
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES track_segments(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    changed_by TEXT,
    changed_at TEXT NOT NULL
);
CREATE INDEX track_segment_versions_segment ON track_segment_versions(segment_id);
CREATE VIRTUAL TABLE track_segments_fts USING fts5(
    text, content='track_segments', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE track_words USING fts5vocab(track_segments_fts, 'row');
CREATE TRIGGER track_segments_ai AFTER INSERT ON track_segments BEGIN
    INSERT INTO track_segments_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER track_segments_ad AFTER DELETE ON track_segments BEGIN
    INSERT INTO track_segments_fts(track_segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER track_segments_au AFTER UPDATE OF text ON track_segments BEGIN
    INSERT INTO track_segments_fts(track_segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO track_segments_fts(rowid, text) VALUES (new.id, new.text);
END;
"""

# Saved searches (issue 14): a staffer's search, mailed as a digest of new matching sessions. ``sent`` keeps which
# sessions each search has already mailed, so a digest never repeats one (cheap: two new, empty tables).
MIGRATION_SAVED_SEARCHES = """
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    query TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',       -- JSON object: event, speaker, topic, since, until
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_digest_at TEXT
);
CREATE INDEX saved_searches_user ON saved_searches(user_id);
CREATE TABLE saved_search_sent (
    search_id INTEGER NOT NULL REFERENCES saved_searches(id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (search_id, session_id)
) WITHOUT ROWID;
"""

# Webinar extras (issue 14): a session's chat messages (searchable: ``chat_fts``), links and slides, timed to the
# video.
# Cheap: new, empty tables.
MIGRATION_WEBINAR_EXTRAS = """
CREATE TABLE session_chat (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start REAL NOT NULL,
    sender TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX session_chat_session ON session_chat(session_id, position);
CREATE VIRTUAL TABLE chat_fts USING fts5(
    text, content='session_chat', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER session_chat_ai AFTER INSERT ON session_chat BEGIN
    INSERT INTO chat_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER session_chat_ad AFTER DELETE ON session_chat BEGIN
    INSERT INTO chat_fts(chat_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE session_links (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    start REAL
);
CREATE INDEX session_links_session ON session_links(session_id, position);
CREATE TABLE session_slides (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    pdf_url TEXT NOT NULL,
    pages TEXT NOT NULL                       -- JSON [[page number, seconds shown from], ...] in time order
);
"""

# The shared work queue (issue 17): jobs any ``uscm-archive worker`` (or a ``serve`` node's own worker thread)
# takes with a lease; a job whose lease ran out (its worker died) is taken again. ``data`` holds an uploaded
# caption file until its job has run. ``shared_settings`` holds what every node must agree on (the signing key's
# fingerprint). Cheap: new, empty tables.
MIGRATION_WORK_QUEUE = """
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                       -- ingest-url, retry, sync, transcribe, upload
    payload TEXT NOT NULL DEFAULT '{}',       -- JSON: what the job's handler needs
    data BLOB,                                -- an uploaded file's bytes, dropped once the job is done
    item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    lease_owner TEXT,                         -- host:pid:thread of the worker holding it
    lease_expires_at TEXT,                    -- ISO-8601 UTC with milliseconds
    next_try_at TEXT NOT NULL,                -- not taken before this time (backoff after a failure)
    last_error TEXT,
    result TEXT,                              -- JSON: e.g. {"session_id": 12}
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, next_try_at);
CREATE INDEX jobs_item ON jobs(item_id);
CREATE TABLE shared_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
) WITHOUT ROWID;
"""

# Impact lists (issue 12): every term of ``segments_fts`` keeps its document frequency, and each frequent one (said
# in at least ``impact.MIN_DF`` segments) the segments where it weighs most, so that a search on such terms
# is ranked by bm25 without scoring every match (``catalog/search/lists.py``). A term's list holds *every* segment
# whose rarity-free part of bm25 (``impact.weight``: term count ``tf`` and segment length ``dl``, at the average
# length ``impact_meta.avgdl``) reaches the term's ``theta``; a list with ``theta`` 0 is complete.
# ``impact_pending`` is written by the triggers below in the same statement as the change to ``segments``; every
# write transaction (``db.transaction``) folds it into the lists before it commits (``impact.flush``), and a
# search uses the lists only while it is empty. The migration fills the lists from the index (``impact.rebuild``).
MIGRATION_IMPACT_LISTS = """
CREATE TABLE impact_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    avgdl REAL NOT NULL,                      -- the segment length the weights were computed at
    max_dl INTEGER NOT NULL                   -- no segment is longer (a bound: deletes do not lower it)
);
CREATE TABLE impact_terms (
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE,                -- as segments_fts indexes it (stemmed)
    df INTEGER NOT NULL,                      -- segments holding it
    theta REAL,                               -- every segment whose weight reaches this is listed (NULL: no list)
    size INTEGER NOT NULL                     -- rows in impact_postings
);
CREATE TABLE impact_postings (
    term_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    tf INTEGER NOT NULL,
    dl INTEGER NOT NULL,
    PRIMARY KEY (term_id, segment_id)
) WITHOUT ROWID;
CREATE TABLE impact_pending (
    seq INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL,
    added INTEGER NOT NULL,                   -- 1: the segment's current text is new; 0: ``text`` is gone
    text TEXT
);
CREATE TRIGGER segments_impact_ai AFTER INSERT ON segments BEGIN
    INSERT INTO impact_pending (segment_id, added) VALUES (new.id, 1);
END;
CREATE TRIGGER segments_impact_ad AFTER DELETE ON segments BEGIN
    INSERT INTO impact_pending (segment_id, added, text) VALUES (old.id, 0, old.text);
END;
CREATE TRIGGER segments_impact_au AFTER UPDATE OF text ON segments BEGIN
    INSERT INTO impact_pending (segment_id, added, text) VALUES (old.id, 0, old.text);
    INSERT INTO impact_pending (segment_id, added) VALUES (new.id, 1);
END;
"""

# The phrase index (catalog/store/pairs.py): each segment's adjacent token pairs (``a_b``, as segments_fts tokenizes
# the text) in a contentless FTS5 table, kept current from impact_pending by db.transaction; filled by pairs.rebuild.
MIGRATION_PHRASE_PAIRS = """
CREATE VIRTUAL TABLE segment_pairs USING fts5(
    pairs, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);
"""

# Prefix lists (issue 12, ``catalog/store/prefix_lists.py``): a prefix of the index's terms that stands for several
# of them and whose segments are many (their dfs summed reach ``impact.MIN_DF``) keeps, like a frequent term,
# its exact df (segments holding any of its terms) and every segment whose weight, the prefix's count in it being
# the sum of its terms' counts (FTS5 scores a prefix as one phrase), reaches its ``theta``. Derived from the index
# (``impact_`` names: copies and backups rebuild them), kept current by the same ``impact.flush``.
MIGRATION_PREFIX_LISTS = """
CREATE TABLE impact_prefixes (
    id INTEGER PRIMARY KEY,
    prefix TEXT NOT NULL UNIQUE,              -- a prefix of indexed (stemmed) terms
    df INTEGER NOT NULL,                      -- segments holding a term that starts with it
    theta REAL NOT NULL,                      -- every segment whose weight reaches this is listed (0: all)
    size INTEGER NOT NULL                     -- rows in impact_prefix_postings
);
CREATE TABLE impact_prefix_postings (
    prefix_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    tf INTEGER NOT NULL,                      -- the prefix's count: its terms' counts summed
    dl INTEGER NOT NULL,
    PRIMARY KEY (prefix_id, segment_id)
) WITHOUT ROWID;
"""

# The pairs around segment cuts (issue 12, ``catalog/store/cuts.py``): each segment's last token and the first
# token said after it (``a_b``), so that a phrase's possible crossings are a lookup of its pairs, checked against
# the windows. Triggers record the (session, position) of every changed segment; ``cuts.flush`` recomputes the
# pairs around them in the same write transaction (``impact_`` names: copies and backups rebuild it).
MIGRATION_CUT_PAIRS = """
CREATE TABLE impact_cuts (
    pair TEXT NOT NULL,                       -- last token _ first token after the cut (as segments_fts has them)
    segment_id INTEGER NOT NULL,
    context TEXT NOT NULL,                    -- its last CONTEXT tokens | the first CONTEXT after the cut
    PRIMARY KEY (pair, segment_id)
) WITHOUT ROWID;
CREATE INDEX impact_cuts_segment ON impact_cuts(segment_id);
CREATE TABLE impact_cuts_pending (
    segment_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    position INTEGER NOT NULL
);
CREATE TRIGGER segments_cuts_ai AFTER INSERT ON segments BEGIN
    INSERT INTO impact_cuts_pending VALUES (new.id, new.session_id, new.position);
END;
CREATE TRIGGER segments_cuts_ad AFTER DELETE ON segments BEGIN
    INSERT INTO impact_cuts_pending VALUES (old.id, old.session_id, old.position);
END;
CREATE TRIGGER segments_cuts_au AFTER UPDATE OF text, position, session_id ON segments BEGIN
    INSERT INTO impact_cuts_pending VALUES (old.id, old.session_id, old.position);
    INSERT INTO impact_cuts_pending VALUES (new.id, new.session_id, new.position);
END;
"""

# 15 makes nothing: the impact lists (11) of an archive begun empty were made at a reference length of 1.0 token
# and kept there; ``impact.refit`` rebuilds them at the archive's own mean length (now followed by every write).
MIGRATION_REFIT_LISTS = ""
# 16 makes nothing either: every term gets its impact list (``impact.complete``), the rare ones complete (theta 0),
# so that a rare word, an OR of rare words and a typo are ranked from a few rows instead of FTS5 scoring every match.
MIGRATION_COMPLETE_LISTS = ""

MIGRATIONS: tuple[str, ...] = (
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_SIGNIN_SESSIONS_FILE_HASHES,
    MIGRATION_ASR_TRANSCRIPTS,
    MIGRATION_SEGMENT_WINDOWS,
    MIGRATION_EVENT_REDIRECTS,
    MIGRATION_TRACK_SEGMENTS,
    MIGRATION_SAVED_SEARCHES,
    MIGRATION_WEBINAR_EXTRAS,
    MIGRATION_WORK_QUEUE,
    MIGRATION_IMPACT_LISTS,
    MIGRATION_PHRASE_PAIRS,
    MIGRATION_PREFIX_LISTS,
    MIGRATION_CUT_PAIRS,
    MIGRATION_REFIT_LISTS,
    MIGRATION_COMPLETE_LISTS,
)
SCHEMA_VERSION = len(MIGRATIONS)
IMPACT_LISTS_VERSION = 11  # the migration after which ``impact.rebuild`` fills the lists
PHRASE_PAIRS_VERSION = 12  # the migration after which ``pairs.rebuild`` fills the phrase index
PREFIX_LISTS_VERSION = 13  # the migration after which ``prefix_lists.rebuild`` fills the prefix lists
CUT_PAIRS_VERSION = 14  # the migration after which ``cuts.rebuild`` fills the pairs around segment cuts
REFIT_LISTS_VERSION = 15  # the migration after which ``impact.refit`` rebuilds lists made at another length
COMPLETE_LISTS_VERSION = 16  # the migration after which ``impact.complete`` lists every term
