"""The full-text parts of the PostgreSQL schema, by the SQLite migration they mirror (``SEARCH_MIGRATIONS[n]`` runs
right after PostgreSQL's migration ``n``, in its transaction). ``catalog/search/pg_search.py`` reads them.

- Text is indexed as FTS5's ``unicode61`` would split it: ``uscm_words`` turns every run of characters that are
  not letters or digits into one space before PostgreSQL's parser sees it (so ``covid-19``, ``3.5`` and e-mail
  addresses are plain words, positions one per word, as in FTS5), and lower-cases it. Both by ICU's Unicode
  classes (the ``und-x-icu`` collation), whatever the database's locale: under ``--no-locale`` PostgreSQL's own
  classes would see no Arabic letter and lower-case no Cyrillic one. Two configurations: ``uscm_en`` (accents
  folded by ``unaccent``, English Snowball stemming, **no stop words**: ``the`` is searchable and phrases keep
  every position) and ``uscm_simple`` (accents folded, lower case, no stemming: the cross-cut windows, the other
  languages' tracks).
- Each searchable table carries a stored generated ``search_tsv`` (with a GIN index) and ``search_len`` (its
  words, for BM25's length normalisation): nothing that writes a segment, a track line, a chat message or a
  session has to know about search.
- Cross-cut windows (``segment_windows``, as SQLite's view of the same name: a segment's text and the head of the
  next segments) are kept per session: a row trigger on ``segments`` marks the session (once per transaction), a
  deferred constraint trigger rewrites that session's windows at commit, and with them the archive's word counts
  (``search_words``: the typo vocabulary) and the session's BM25 statistics (``search_session_stats``).
"""

from __future__ import annotations

from catalog.store.schema import _WORD_CHARS, HEAD_CHARS, HEAD_SEGMENTS

FUNCTIONS = r"""
-- unaccent in a schema of its own: its functions are the extension's, not the catalog's (check compares the catalog's)
CREATE SCHEMA IF NOT EXISTS uscm_text;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA uscm_text;
CREATE OR REPLACE FUNCTION uscm_words(doc text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(regexp_replace(doc COLLATE "und-x-icu", '[^[:alnum:]]+', ' ', 'g'));
CREATE OR REPLACE FUNCTION uscm_word_count(doc text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT CASE WHEN w = '' THEN 0 ELSE cardinality(string_to_array(w, ' ')) END
            FROM btrim(uscm_words(coalesce(doc, ''))) w);
DO $$
DECLARE
    folding text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent');
BEGIN
    -- made in the schema being migrated (the check builds a scratch copy beside the catalog's own), the
    -- extension's dictionary named by its schema
    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'uscm_stem'
                   AND dictnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH DICTIONARY uscm_stem (TEMPLATE = snowball, Language = english);
        CREATE TEXT SEARCH CONFIGURATION uscm_en (COPY = simple);
        EXECUTE format('ALTER TEXT SEARCH CONFIGURATION uscm_en ALTER MAPPING FOR asciiword, word, numword, '
            'asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart WITH %I.unaccent, uscm_stem',
            folding);
        CREATE TEXT SEARCH CONFIGURATION uscm_simple (COPY = simple);
        EXECUTE format('ALTER TEXT SEARCH CONFIGURATION uscm_simple ALTER MAPPING FOR asciiword, word, numword, '
            'asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart WITH %I.unaccent, simple',
            folding);
    END IF;
END $$;

"""

GENERATED_COLUMNS = frozenset(
    {"search_tsv", "search_len"}
)  # on every searchable table: not data (dumps leave them out)

_GENERATED = """
ALTER TABLE {table} ADD COLUMN search_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('{config}'::regconfig, uscm_words(coalesce({text}, '')))) STORED;
ALTER TABLE {table} ADD COLUMN search_len integer GENERATED ALWAYS AS (uscm_word_count({text})) STORED;
CREATE INDEX {table}_search ON {table} USING gin (search_tsv);
"""


def generated(table: str, config: str, text: str = "text") -> str:
    return _GENERATED.format(table=table, config=config, text=text)


SESSION_TEXT = "coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || coalesce(event, '')"

_HEAD = (
    f"rtrim(rtrim(substr(following || ' ', 1, {HEAD_CHARS + 1}), '{_WORD_CHARS}'), ' ')"  # as SQLite's view
)
WINDOWS = f"""
CREATE TABLE segment_windows (
    id bigint PRIMARY KEY,                    -- the segment's id
    session_id bigint NOT NULL,
    text text NOT NULL,                       -- the segment's text, then the head of the next ones
    segment_tsv tsvector NOT NULL             -- the segment's own search_tsv when last counted (search_lexemes)
);
CREATE INDEX segment_windows_session ON segment_windows (session_id);
{generated("segment_windows", "uscm_simple")}
CREATE TABLE search_words (                  -- the windows' words and how many windows hold each: the typo vocabulary
    term text COLLATE "C" PRIMARY KEY,
    docs integer NOT NULL
);
CREATE TABLE search_lexemes (               -- the segments' (stemmed) lexemes and how many segments hold each
    term text COLLATE "C" PRIMARY KEY,
    docs integer NOT NULL
);
CREATE TABLE search_session_stats (          -- per session: segments and their words (BM25's N and mean length)
    session_id bigint PRIMARY KEY,
    segments integer NOT NULL,
    words bigint NOT NULL,
    windows integer NOT NULL,
    window_words bigint NOT NULL
);
CREATE TABLE search_stale (session_id bigint PRIMARY KEY);

CREATE OR REPLACE FUNCTION uscm_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    FOREACH sid IN ARRAY ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN NEW.session_id END,
                               CASE WHEN TG_OP <> 'INSERT' THEN OLD.session_id END] LOOP
        IF sid IS NOT NULL AND current_setting('uscm.stale_' || sid, true) IS DISTINCT FROM
                txid_current()::text THEN
            INSERT INTO search_stale VALUES (sid) ON CONFLICT DO NOTHING;
            PERFORM set_config('uscm.stale_' || sid, txid_current()::text, true);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER segment_rows_search_stale AFTER INSERT OR DELETE OR UPDATE OF text, position, session_id ON segment_rows
    FOR EACH ROW EXECUTE FUNCTION uscm_mark_stale();

-- The session's windows as they should be (SQLite's view ``segment_windows``, for one session).
CREATE OR REPLACE FUNCTION uscm_fresh_windows(sid bigint)
    RETURNS TABLE (id bigint, session_id bigint, text text, segment_tsv tsvector) LANGUAGE sql STABLE AS $$
    SELECT id, session_id, text || coalesce(' ' || nullif({_HEAD}, ''), ''), search_tsv
    FROM (SELECT id, session_id, text, search_tsv, string_agg(text, ' ') OVER (ORDER BY position
              ROWS BETWEEN 1 FOLLOWING AND {HEAD_SEGMENTS} FOLLOWING) AS following
          FROM segment_rows WHERE session_id = sid) w
$$;
-- Only windows that changed are rewritten (a correction touches at most HEAD_SEGMENTS + 1 of them, an unchanged
-- re-import none), and the word counts move by what they held and now hold.
CREATE OR REPLACE FUNCTION uscm_refresh_session(sid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old_words text[];
    old_lexemes text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('uscm_search_words'));
    WITH fresh AS (SELECT * FROM uscm_fresh_windows(sid)),
    gone AS (
        DELETE FROM segment_windows w WHERE w.id IN (
            SELECT o.id FROM segment_windows o LEFT JOIN fresh f ON f.id = o.id WHERE o.session_id = sid
                AND (f.id IS NULL OR f.text <> o.text OR f.segment_tsv <> o.segment_tsv)
            UNION ALL
            SELECT o.id FROM fresh f JOIN segment_windows o ON o.id = f.id WHERE o.session_id <> sid)
        RETURNING w.search_tsv, w.segment_tsv)
    SELECT array(SELECT u.lexeme FROM gone g, unnest(g.search_tsv) u),
           array(SELECT u.lexeme FROM gone g, unnest(g.segment_tsv) u)
        INTO old_words, old_lexemes;
    WITH added AS (
        INSERT INTO segment_windows (id, session_id, text, segment_tsv)
            SELECT f.id, f.session_id, f.text, f.segment_tsv FROM uscm_fresh_windows(sid) f
            WHERE NOT EXISTS (SELECT 1 FROM segment_windows w WHERE w.id = f.id)
        RETURNING search_tsv, segment_tsv),
    words AS (
        INSERT INTO search_words (term, docs)
            SELECT term, sum(n) FROM (SELECT u.lexeme AS term, 1 AS n FROM added a, unnest(a.search_tsv) u
                                      UNION ALL SELECT t, -1 FROM unnest(old_words) t) x
            GROUP BY term HAVING sum(n) <> 0 ORDER BY term
        ON CONFLICT (term) DO UPDATE SET docs = search_words.docs + excluded.docs)
    INSERT INTO search_lexemes (term, docs)
        SELECT term, sum(n) FROM (SELECT u.lexeme AS term, 1 AS n FROM added a, unnest(a.segment_tsv) u
                                  UNION ALL SELECT t, -1 FROM unnest(old_lexemes) t) x
        GROUP BY term HAVING sum(n) <> 0 ORDER BY term
    ON CONFLICT (term) DO UPDATE SET docs = search_lexemes.docs + excluded.docs;
    DELETE FROM search_session_stats WHERE session_id = sid;
    INSERT INTO search_session_stats
        SELECT sid, s.n, s.words, w.n, w.words
        FROM (SELECT count(*) AS n, coalesce(sum(search_len), 0) AS words FROM segment_rows
              WHERE session_id = sid) s,
             (SELECT count(*) AS n, coalesce(sum(search_len), 0) AS words FROM segment_windows
              WHERE session_id = sid) w
        WHERE s.n > 0;
    DELETE FROM search_stale WHERE session_id = sid;
END $$;
CREATE OR REPLACE FUNCTION uscm_refresh_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM search_stale WHERE session_id = NEW.session_id) THEN
        PERFORM uscm_refresh_session(NEW.session_id);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER search_stale_refresh AFTER INSERT ON search_stale
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION uscm_refresh_stale();
-- Every window, word count and statistic made afresh in one pass over all segments (set-based: what a migration
-- of an existing archive, or a bulk copy into an empty catalog, calls instead of one refresh per session).
CREATE OR REPLACE FUNCTION uscm_rebuild_search() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('uscm_search_words'));
    TRUNCATE segment_windows, search_words, search_lexemes, search_session_stats, search_stale;
    INSERT INTO segment_windows (id, session_id, text, segment_tsv)
        SELECT id, session_id, text || coalesce(' ' || nullif({_HEAD}, ''), ''), search_tsv
        FROM (SELECT id, session_id, text, search_tsv, string_agg(text, ' ') OVER (PARTITION BY session_id
                  ORDER BY position ROWS BETWEEN 1 FOLLOWING AND {HEAD_SEGMENTS} FOLLOWING) AS following
              FROM segment_rows) w;
    INSERT INTO search_words (term, docs)
        SELECT u.lexeme, count(*) FROM segment_windows w, unnest(w.search_tsv) u GROUP BY u.lexeme;
    INSERT INTO search_lexemes (term, docs)
        SELECT u.lexeme, count(*) FROM segment_windows w, unnest(w.segment_tsv) u GROUP BY u.lexeme;
    INSERT INTO search_session_stats
        SELECT s.session_id, s.n, s.words, w.n, w.words
        FROM (SELECT session_id, count(*) AS n, coalesce(sum(search_len), 0) AS words FROM segment_rows
              GROUP BY session_id) s
        JOIN (SELECT session_id, count(*) AS n, coalesce(sum(search_len), 0) AS words FROM segment_windows
              GROUP BY session_id) w ON w.session_id = s.session_id;
END $$;
-- an archive that already holds segments: every session's windows now
SELECT uscm_rebuild_search();
"""

SEARCH_MIGRATIONS: dict[int, str] = {
    1: FUNCTIONS
    + generated("segment_rows", "uscm_en")
    + f"""
ALTER TABLE sessions ADD COLUMN search_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('uscm_en'::regconfig, uscm_words({SESSION_TEXT}))) STORED;
ALTER TABLE sessions ADD COLUMN search_len integer GENERATED ALWAYS AS (uscm_word_count({SESSION_TEXT})) STORED;
CREATE INDEX sessions_search ON sessions USING gin (search_tsv);
""",
    5: WINDOWS,
    7: generated("track_segments", "uscm_simple"),
    9: generated("session_chat", "uscm_en"),
}

# Every object the search parts add: the schema check (``catalog/ops/schema_check.py``'s PostgreSQL side) expects them.
SEARCH_TABLES = ("segment_windows", "search_words", "search_lexemes", "search_session_stats", "search_stale")
