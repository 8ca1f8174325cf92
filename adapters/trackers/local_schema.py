"""The local tracker's tables and the statements it runs on them."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    key TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    number INTEGER NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    requester TEXT,
    fields TEXT NOT NULL,
    problems TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    correlation_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    UNIQUE (project, number)
);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_key TEXT NOT NULL REFERENCES tickets (key),
    correlation_id TEXT NOT NULL,
    author TEXT,
    body TEXT NOT NULL,
    public INTEGER NOT NULL,
    outgoing INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    full_text TEXT,
    UNIQUE (ticket_key, correlation_id)
);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_key TEXT NOT NULL REFERENCES tickets (key),
    filename TEXT NOT NULL,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_id TEXT,
    inline INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (ticket_key, filename)
);
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_key TEXT NOT NULL REFERENCES tickets (key),
    other_key TEXT NOT NULL REFERENCES tickets (key),
    relation TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (ticket_key, other_key, relation)
);
CREATE INDEX IF NOT EXISTS links_other ON links (other_key);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_key TEXT NOT NULL REFERENCES tickets (key),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ticket ON events (ticket_key);
"""

KEY_BY_CORRELATION = "SELECT key FROM tickets WHERE correlation_id = ?"
NEXT_NUMBER = "SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE project = ?"
INSERT_TICKET = (
    "INSERT INTO tickets (key, project, number, summary, description, "
    "requester, fields, problems, correlation_id, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
TICKET_EXISTS = "SELECT 1 FROM tickets WHERE key = ?"
TICKET_BY_KEY = (
    "SELECT key, summary, description, requester, fields, problems, status, "
    "correlation_id, created_at FROM tickets WHERE key = ?"
)
ALL_KEYS = "SELECT key FROM tickets ORDER BY created_at DESC, project, number DESC"

INSERT_COMMENT = (
    "INSERT OR IGNORE INTO comments (ticket_key, correlation_id, author, body, "
    "public, outgoing, created_at, full_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
COMMENTS = (
    "SELECT author, body, public, outgoing, created_at, full_text FROM comments "
    "WHERE ticket_key = ? ORDER BY id"
)

ATTACHMENT_SEEN = (
    "SELECT 1 FROM attachments "
    "WHERE ticket_key = ? AND original_name = ? AND sha256 = ?"
)
ATTACHMENT_NAMES = "SELECT filename FROM attachments WHERE ticket_key = ?"
INSERT_ATTACHMENT = (
    "INSERT INTO attachments (ticket_key, filename, original_name, content_type, "
    "size, sha256, content_id, inline, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
ATTACHMENT_HASH = "SELECT sha256 FROM attachments WHERE ticket_key = ? AND filename = ?"
ATTACHMENTS = (
    "SELECT filename, content_type, size, sha256, content_id, inline "
    "FROM attachments WHERE ticket_key = ? ORDER BY id"
)

INSERT_LINK = (
    "INSERT OR IGNORE INTO links (ticket_key, other_key, relation, created_at) "
    "VALUES (?, ?, ?, ?)"
)
# Links read from both ends, so each ticket shows the other.
LINKS = (
    "SELECT other, relation, inward FROM ("
    " SELECT other_key AS other, relation, 0 AS inward, id FROM links"
    " WHERE ticket_key = ?"
    " UNION ALL"
    " SELECT ticket_key, relation, 1, id FROM links"
    " WHERE other_key = ? AND ticket_key != other_key"
    ") ORDER BY id"
)

INSERT_EVENT = "INSERT INTO events (ticket_key, kind, detail, at) VALUES (?, ?, ?, ?)"
EVENTS = "SELECT kind, detail, at FROM events WHERE ticket_key = ? ORDER BY id"

COMMENT_COLUMNS = "PRAGMA table_info(comments)"
ADD_FULL_TEXT = "ALTER TABLE comments ADD COLUMN full_text TEXT"
