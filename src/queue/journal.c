/* The local journal: a pp_queue backend in one SQLite file (DIR/journal.db).
 *
 * Design. One table, one row per job (schema below), and a small one of the
 * hash last computed per source with its size and modification time (so a
 * restart need not read every source again). The journal is the
 * queue and the record at once: a worker claims by turning the oldest ready
 * row into `running` inside a write transaction, so two processes can never
 * claim the same row. Every state change is one transaction, committed before
 * the call returns.
 *
 * Concurrency. WAL mode: readers never block the writer and the writer never
 * blocks readers; writers take turns. Every write runs inside BEGIN
 * IMMEDIATE, which takes the write lock up front, so a transaction never has
 * to upgrade a stale read snapshot (SQLITE_BUSY_SNAPSHOT, which no busy
 * handler retries). Waiting for the lock is bounded by busy_timeout.
 *
 * Durability. synchronous=NORMAL: with WAL, a commit survives the death of
 * any process (kill -9 of a worker or of the whole service); a power loss
 * may forget the last commits, which only redoes work, since outputs are
 * idempotent and written atomically.
 *
 * Processes. A connection is never used across fork(): each process opens
 * its own (workers are exec'd, see watch.c).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/file.h"
#include "pixpipe/queue.h"
#include "pixpipe/store.h"

#define BUSY_TIMEOUT_MS 10000
#define SCHEMA_VERSION 1
#define SCHEMA_VERSION_TEXT "1" /* the same, for the PRAGMA */

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS jobs (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  source        TEXT NOT NULL,     -- source key (path relative to IN_DIR)\n"
    "  hash          TEXT NOT NULL,     -- content hash, h64:<hex>\n"
    "  size          INTEGER NOT NULL,  -- source bytes\n"
    "  name          TEXT NOT NULL,     -- pipeline name\n"
    "  pipeline      TEXT NOT NULL,     -- canonical pipeline text\n"
    "  opts          TEXT NOT NULL,     -- canonical codec options\n"
    "  output        TEXT NOT NULL,     -- output key (NAME/relative path)\n"
    "  state         TEXT NOT NULL CHECK (state IN\n"
    "                  ('queued','running','done','retrying','failed')),\n"
    "  attempts      INTEGER NOT NULL DEFAULT 0,\n"
    "  worker        TEXT,              -- holder (or last holder)\n"
    "  lease_ms      INTEGER,           -- running: lease expiry, epoch ms\n"
    "  not_before_ms INTEGER NOT NULL DEFAULT 0, -- retrying: next claim\n"
    "  queued_ms     INTEGER NOT NULL,\n"
    "  started_ms    INTEGER,\n"
    "  finished_ms   INTEGER,\n"
    "  decode_ns     INTEGER,\n"
    "  filter_ns     INTEGER,\n"
    "  encode_ns     INTEGER,\n"
    "  total_ns      INTEGER,\n"
    "  error_code    INTEGER NOT NULL DEFAULT 0,\n"
    "  error         TEXT,\n"
    "  quarantine    TEXT,\n"
    "  UNIQUE (source, hash, name, pipeline, opts)\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs(id)\n"
    "  WHERE state IN ('queued','retrying');\n"
    "CREATE INDEX IF NOT EXISTS jobs_running ON jobs(worker)\n"
    "  WHERE state = 'running';\n"
    "CREATE INDEX IF NOT EXISTS jobs_output ON jobs(output);\n"
    "CREATE INDEX IF NOT EXISTS jobs_lease ON jobs(lease_ms)\n"
    "  WHERE state = 'running';\n"
    "CREATE TABLE IF NOT EXISTS hashes (\n"
    "  source        TEXT PRIMARY KEY,  -- source key\n"
    "  size          INTEGER NOT NULL,  -- bytes when hashed\n"
    "  mtime_ns      INTEGER NOT NULL,  -- modification time when hashed\n"
    "  hash          TEXT NOT NULL\n"
    ");\n";

#define JOB_COLS                                                                                   \
    "id, source, hash, size, name, pipeline, opts, output, state, attempts, worker, "              \
    "lease_ms, not_before_ms, queued_ms, started_ms, finished_ms, decode_ns, filter_ns, "          \
    "encode_ns, total_ns, error_code, error, quarantine"

typedef struct journal {
    pp_queue base;
    sqlite3 *db;
    char *path;
    pp_queue_opts o;
} journal;

/* ---- helpers ---- */

static int db_fail(journal *j, pp_err *err, const char *what)
{
    return pp_err_set(err, PP_EIO, "%s: journal: %s: %s", j->path, what, sqlite3_errmsg(j->db));
}

static int exec_sql(journal *j, const char *sql, pp_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = pp_err_set(err, PP_EIO, "%s: journal: %s", j->path, msg ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int tx_begin(journal *j, pp_err *err)
{
    return exec_sql(j, "BEGIN IMMEDIATE", err);
}

static int tx_end(journal *j, int rc, pp_err *err)
{
    if (rc < 0) {
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec_sql(j, "COMMIT", err);
}

static sqlite3_stmt *prepare(journal *j, const char *sql, pp_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(j, err, "prepare");
        return NULL;
    }
    return st;
}

/* Runs a statement that returns no rows; *changes gets the rows touched.
 * st NULL (its prepare failed, err is set) gives PP_EIO. */
static int step_done(journal *j, sqlite3_stmt *st, int *changes, pp_err *err)
{
    if (changes)
        *changes = 0;
    if (!st)
        return PP_EIO;
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(j, err, "write");
    if (changes)
        *changes = sqlite3_changes(j->db);
    sqlite3_finalize(st);
    return rc;
}

static int not_held(int64_t id, const char *worker, pp_err *err)
{
    return pp_err_set(err, PP_ENOENT, "journal: job %lld is no longer held by %s", (long long)id,
                      worker);
}

/* Prepares an update of a running job with ?1 = id and ?2 = worker bound. */
static sqlite3_stmt *prepare_held(journal *j, const char *sql, int64_t id, const char *worker,
                                  pp_err *err)
{
    sqlite3_stmt *st = prepare(j, sql, err);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, worker, -1, SQLITE_STATIC);
    }
    return st;
}

/* Runs an update from prepare_held (NULL: it failed). When id is not 0 the
 * update must have changed a row, i.e. worker still held the job. *changes
 * (optional) gets the rows changed. */
static int step_held(journal *j, sqlite3_stmt *st, int64_t id, const char *worker, int *changes,
                     pp_err *err)
{
    int n = 0;
    int rc = step_done(j, st, &n, err);
    if (rc == 0 && n == 0 && id)
        rc = not_held(id, worker, err);
    if (changes)
        *changes = n;
    return rc;
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static int read_job(sqlite3_stmt *st, pp_job *job)
{
    memset(job, 0, sizeof *job);
    job->id = sqlite3_column_int64(st, 0);
    job->source = col_text(st, 1);
    job->hash = col_text(st, 2);
    job->size = (uint64_t)sqlite3_column_int64(st, 3);
    job->name = col_text(st, 4);
    job->pipeline = col_text(st, 5);
    job->opts = col_text(st, 6);
    job->output = col_text(st, 7);
    const unsigned char *s = sqlite3_column_text(st, 8);
    int state = s ? pp_jstate_from_name((const char *)s) : -1;
    job->state = state < 0 ? PP_JS_FAILED : (pp_jstate)state;
    job->attempts = sqlite3_column_int(st, 9);
    job->worker = col_text(st, 10);
    job->lease_ms = sqlite3_column_int64(st, 11);
    job->not_before_ms = sqlite3_column_int64(st, 12);
    job->queued_ms = sqlite3_column_int64(st, 13);
    job->started_ms = sqlite3_column_int64(st, 14);
    job->finished_ms = sqlite3_column_int64(st, 15);
    job->decode_ns = (uint64_t)sqlite3_column_int64(st, 16);
    job->filter_ns = (uint64_t)sqlite3_column_int64(st, 17);
    job->encode_ns = (uint64_t)sqlite3_column_int64(st, 18);
    job->total_ns = (uint64_t)sqlite3_column_int64(st, 19);
    job->error_code = sqlite3_column_int(st, 20);
    job->error = col_text(st, 21);
    job->quarantine = col_text(st, 22);
    bool oom =
        !job->source || !job->hash || !job->name || !job->pipeline || !job->opts || !job->output;
    if (oom)
        pp_job_clear(job);
    return oom ? PP_ENOMEM : 0;
}

static int load_job(journal *j, int64_t id, pp_job *job, pp_err *err)
{
    sqlite3_stmt *st = prepare(j, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = read_job(st, job) < 0 ? pp_err_set(err, PP_ENOMEM, "out of memory") : 0;
    else if (rc == SQLITE_DONE)
        rc = pp_err_set(err, PP_ENOENT, "%s: journal: no job %lld", j->path, (long long)id);
    else
        rc = db_fail(j, err, "read");
    sqlite3_finalize(st);
    return rc;
}

/* ---- enqueue ---- */

static int insert_one(journal *j, const pp_job_spec *s, int64_t now_ms, bool *created, int64_t *id,
                      pp_err *err)
{
    sqlite3_stmt *st = prepare(j,
                               "INSERT OR IGNORE INTO jobs (source, hash, size, name, pipeline, "
                               "opts, output, state, queued_ms) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8)",
                               err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_text(st, 1, s->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)s->size);
    sqlite3_bind_text(st, 4, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, s->opts, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, s->output, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now_ms);
    int changes = 0;
    int rc = step_done(j, st, &changes, err);
    if (rc < 0)
        return rc;
    *created = changes == 1;
    if (*created) {
        *id = sqlite3_last_insert_rowid(j->db);
        return 0;
    }
    st = prepare(j,
                 "SELECT id FROM jobs WHERE source = ?1 AND hash = ?2 AND name = ?3 AND "
                 "pipeline = ?4 AND opts = ?5",
                 err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_text(st, 1, s->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->opts, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_ROW ? 0 : db_fail(j, err, "find job");
    *id = rc == 0 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc;
}

/* Inside a transaction: s's hash is the one known for its source at this
 * size and mtime (known_hash). */
static int remember_hash(journal *j, const pp_job_spec *s, pp_err *err)
{
    sqlite3_stmt *st = prepare(j,
                               "INSERT OR REPLACE INTO hashes (source, size, mtime_ns, hash) "
                               "VALUES (?1, ?2, ?3, ?4)",
                               err);
    if (st) {
        sqlite3_bind_text(st, 1, s->source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)s->size);
        sqlite3_bind_int64(st, 3, s->mtime_ns);
        sqlite3_bind_text(st, 4, s->hash, -1, SQLITE_STATIC);
    }
    return step_done(j, st, NULL, err);
}

static int j_enqueue(pp_queue *q, const pp_job_spec *specs, size_t n, int64_t now_ms, bool *created,
                     int64_t *ids, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool c = false;
        int64_t id = 0;
        rc = insert_one(j, &specs[i], now_ms, &c, &id, err);
        if (rc == 0 && specs[i].mtime_ns > 0 &&
            (i == 0 || strcmp(specs[i].source, specs[i - 1].source) != 0))
            rc = remember_hash(j, &specs[i], err);
        if (created)
            created[i] = c;
        if (ids)
            ids[i] = id;
    }
    return tx_end(j, rc, err);
}

/* ---- claim ---- */

/* A waiting job may start unless another job writing the same output runs
 * (a file rewritten while its old content is processed): two writers of one
 * output would race their renames and clear each other's temporary files. */
#define OUTPUT_FREE                                                                               \
    "NOT EXISTS (SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.output = jobs.output)"

/* The oldest ready job's id, 0 when none; or when none, *next_due gets the
 * earliest not_before of a waiting job that may start (-1 when none). */
static int find_ready(journal *j, int64_t now_ms, int64_t *id, int64_t *next_due, pp_err *err)
{
    *id = 0;
    *next_due = -1;
    sqlite3_stmt *st = prepare(j,
                               "SELECT id FROM jobs WHERE state IN ('queued','retrying') AND "
                               "not_before_ms <= ?1 AND " OUTPUT_FREE " ORDER BY id LIMIT 1",
                               err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_int64(st, 1, now_ms);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (s == SQLITE_ROW)
        return 0;
    if (s != SQLITE_DONE)
        return db_fail(j, err, "claim");
    st =
        prepare(j,
                "SELECT MIN(not_before_ms) FROM jobs WHERE state IN ('queued','retrying') AND "
                OUTPUT_FREE,
                err);
    if (!st)
        return PP_EIO;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *next_due = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int j_claim(pp_queue *q, const char *worker, int64_t now_ms, int64_t lease_ms, pp_job *job,
                   int64_t *next_due_ms, pp_err *err)
{
    journal *j = (journal *)q;
    int64_t id = 0, next_due = -1;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    rc = find_ready(j, now_ms, &id, &next_due, err);
    if (rc == 0 && id) {
        sqlite3_stmt *st = prepare(j,
                                   "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                                   "worker = ?2, lease_ms = ?3, started_ms = ?4, "
                                   "finished_ms = NULL WHERE id = ?1",
                                   err);
        if (st) {
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, worker, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, now_ms + lease_ms);
            sqlite3_bind_int64(st, 4, now_ms);
        }
        rc = step_done(j, st, NULL, err);
    }
    if ((rc = tx_end(j, rc, err)) < 0)
        return rc;
    if (next_due_ms)
        *next_due_ms = next_due;
    if (!id)
        return 0;
    /* Committed: the row is ours until the lease ends; reading it back
     * outside the transaction is safe because only its holder changes it. */
    rc = load_job(j, id, job, err);
    return rc < 0 ? rc : 1;
}

/* ---- running -> something ---- */

static int j_renew(pp_queue *q, int64_t id, const char *worker, int64_t until_ms, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = prepare_held(j,
                                    "UPDATE jobs SET lease_ms = ?3 WHERE id = ?1 AND worker = ?2 "
                                    "AND state = 'running'",
                                    id, worker, err);
    if (st)
        sqlite3_bind_int64(st, 3, until_ms);
    return tx_end(j, step_held(j, st, id, worker, NULL, err), err);
}

static int j_complete(pp_queue *q, int64_t id, const char *worker, int64_t now_ms,
                      const pp_job_times *t, const char *note, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st =
        prepare_held(j,
                     "UPDATE jobs SET state = 'done', finished_ms = ?3, lease_ms = NULL, "
                     "decode_ns = ?4, filter_ns = ?5, encode_ns = ?6, total_ns = ?7, "
                     "error_code = 0, error = ?8 "
                     "WHERE id = ?1 AND worker = ?2 AND state = 'running'",
                     id, worker, err);
    if (st) {
        pp_job_times zero = {0};
        if (!t)
            t = &zero;
        sqlite3_bind_int64(st, 3, now_ms);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)t->decode_ns);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)t->filter_ns);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)t->encode_ns);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)t->total_ns);
        if (note)
            sqlite3_bind_text(st, 8, note, -1, SQLITE_STATIC);
    }
    return tx_end(j, step_held(j, st, id, worker, NULL, err), err);
}

/* Inside a transaction: the running job id fails with why. */
static int fail_row(journal *j, int64_t id, int attempts, int64_t now_ms, const pp_err *why,
                    pp_jstate *state, pp_err *err)
{
    bool final = pp_err_is_permanent(why->code) || attempts >= j->o.max_attempts;
    sqlite3_stmt *st = prepare(j,
                               final ? "UPDATE jobs SET state = 'failed', finished_ms = ?2, "
                                       "lease_ms = NULL, error_code = ?3, error = ?4 WHERE id = ?1"
                                     : "UPDATE jobs SET state = 'retrying', not_before_ms = ?5, "
                                       "lease_ms = NULL, error_code = ?3, error = ?4 WHERE id = ?1",
                               err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_int64(st, 1, id);
    if (final)
        sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int(st, 3, why->code);
    sqlite3_bind_text(st, 4, why->msg[0] ? why->msg : pp_strerror(why->code), -1, SQLITE_STATIC);
    if (!final)
        sqlite3_bind_int64(st, 5, now_ms + pp_queue_backoff_ms(&j->o, attempts));
    *state = final ? PP_JS_FAILED : PP_JS_RETRYING;
    return step_done(j, st, NULL, err);
}

static int j_fail(pp_queue *q, int64_t id, const char *worker, int64_t now_ms, const pp_err *why,
                  pp_jstate *state, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = prepare_held(j,
                                    "SELECT attempts FROM jobs WHERE id = ?1 AND worker = ?2 AND "
                                    "state = 'running'",
                                    id, worker, err);
    rc = st ? 0 : PP_EIO;
    if (st) {
        int s = sqlite3_step(st);
        int attempts = s == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        if (s == SQLITE_ROW)
            rc = fail_row(j, id, attempts, now_ms, why, state, err);
        else if (s == SQLITE_DONE)
            rc = not_held(id, worker, err);
        else
            rc = db_fail(j, err, "fail");
    }
    return tx_end(j, rc, err);
}

static int j_release(pp_queue *q, int64_t id, const char *worker, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st =
        prepare_held(j,
                     "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), "
                     "lease_ms = NULL, not_before_ms = 0 "
                     "WHERE (?1 = 0 OR id = ?1) AND worker = ?2 AND state = 'running'",
                     id, worker, err);
    int changes = 0;
    rc = tx_end(j, step_held(j, st, id, worker, &changes, err), err);
    return rc < 0 ? rc : changes;
}

/* ---- failing running jobs in bulk (dead workers, expired leases) ---- */

typedef struct idlist {
    int64_t *id;
    int *attempts;
    size_t n;
} idlist;

static void idlist_free(idlist *l)
{
    free(l->id);
    free(l->attempts);
}

/* Collects (id, attempts) of the running rows a prepared SELECT returns. */
static int collect(journal *j, sqlite3_stmt *st, idlist *l, pp_err *err)
{
    size_t cap = 0;
    int s, rc = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->n == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *a = realloc(l->id, cap * sizeof *a);
            if (a)
                l->id = a;
            int *b = realloc(l->attempts, cap * sizeof *b);
            if (b)
                l->attempts = b;
            if (!a || !b) {
                rc = pp_err_set(err, PP_ENOMEM, "out of memory");
                break;
            }
        }
        l->id[l->n] = sqlite3_column_int64(st, 0);
        l->attempts[l->n++] = sqlite3_column_int(st, 1);
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_fail(j, err, "read");
    sqlite3_finalize(st);
    return rc;
}

/* Fails every row of the SELECT (id, attempts) inside one transaction, then
 * shows each to fn once committed. */
static int fail_all(journal *j, sqlite3_stmt *st, int64_t now_ms, const pp_err *why, pp_job_fn fn,
                    void *ctx, pp_err *err)
{
    idlist l = {0};
    int rc = collect(j, st, &l, err);
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        pp_jstate s;
        rc = fail_row(j, l.id[i], l.attempts[i], now_ms, why, &s, err);
    }
    if ((rc = tx_end(j, rc, err)) < 0) {
        idlist_free(&l);
        return rc;
    }
    for (size_t i = 0; i < l.n && fn; i++) {
        pp_job job;
        if (load_job(j, l.id[i], &job, NULL) == 0) {
            fn(&job, ctx);
            pp_job_clear(&job);
        }
    }
    idlist_free(&l);
    return (int)l.n;
}

static int j_abandon(pp_queue *q, const char *worker, int64_t now_ms, const pp_err *why,
                     pp_job_fn fn, void *ctx, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = prepare(j,
                               "SELECT id, attempts FROM jobs WHERE state = 'running' AND "
                               "worker = ?1 ORDER BY id",
                               err);
    if (!st)
        return tx_end(j, PP_EIO, err);
    sqlite3_bind_text(st, 1, worker, -1, SQLITE_STATIC);
    return fail_all(j, st, now_ms, why, fn, ctx, err);
}

static int j_requeue_expired(pp_queue *q, int64_t now_ms, int64_t before_ms, pp_job_fn fn,
                             void *ctx, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = prepare(j,
                               "SELECT id, attempts FROM jobs WHERE state = 'running' AND "
                               "lease_ms < ?1 ORDER BY id",
                               err);
    if (!st)
        return tx_end(j, PP_EIO, err);
    sqlite3_bind_int64(st, 1, before_ms);
    pp_err why;
    pp_err_set(&why, PP_EINTERNAL, "lease expired: its worker or the service stopped");
    return fail_all(j, st, now_ms, &why, fn, ctx, err);
}

/* ---- records and queries ---- */

static int j_set_quarantine(pp_queue *q, int64_t id, const char *where, pp_err *err)
{
    journal *j = (journal *)q;
    int rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = prepare(j, "UPDATE jobs SET quarantine = ?2 WHERE id = ?1", err);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, where, -1, SQLITE_STATIC);
    }
    return tx_end(j, step_done(j, st, NULL, err), err);
}

static int j_output_owner(pp_queue *q, const char *output, const char *source, char **owner,
                          pp_err *err)
{
    journal *j = (journal *)q;
    *owner = NULL;
    sqlite3_stmt *st =
        prepare(j, "SELECT source FROM jobs WHERE output = ?1 ORDER BY id LIMIT 1", err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW) {
        const char *first = (const char *)sqlite3_column_text(st, 0);
        if (first && strcmp(first, source) != 0 && !(*owner = pp_strdup(first, err)))
            rc = PP_ENOMEM;
    } else if (s != SQLITE_DONE) {
        rc = db_fail(j, err, "find the output's owner");
    }
    sqlite3_finalize(st);
    return rc;
}

static int j_known_hash(pp_queue *q, const char *source, uint64_t size, int64_t mtime_ns,
                        char *hash, pp_err *err)
{
    journal *j = (journal *)q;
    sqlite3_stmt *st = prepare(
        j, "SELECT hash FROM hashes WHERE source = ?1 AND size = ?2 AND mtime_ns = ?3", err);
    if (!st)
        return PP_EIO;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
    sqlite3_bind_int64(st, 3, mtime_ns);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 0);
        rc = h && strlen(h) < PP_HASH_TEXT_MAX;
        if (rc)
            strcpy(hash, h);
    } else if (s != SQLITE_DONE) {
        rc = db_fail(j, err, "look up a source's hash");
    }
    sqlite3_finalize(st);
    return rc;
}

static int j_list(pp_queue *q, const pp_job_filter *f, pp_job_fn fn, void *ctx, pp_err *err)
{
    journal *j = (journal *)q;
    sqlite3_stmt *st = prepare(j,
                               "SELECT " JOB_COLS " FROM jobs WHERE (?6 = 0 OR id = ?6) AND "
                               "(?1 < 0 OR state = ?2) AND "
                               "(?3 IS NULL OR source = ?3) AND (?4 IS NULL OR hash = ?4) AND "
                               "(?5 = 0 OR (state = 'failed' AND quarantine IS NULL)) "
                               "ORDER BY id",
                               err);
    if (!st)
        return PP_EIO;
    pp_job_filter any = {0, -1, NULL, NULL, false};
    if (!f)
        f = &any;
    sqlite3_bind_int(st, 1, f->state);
    sqlite3_bind_text(st, 2, f->state >= 0 ? pp_jstate_name((pp_jstate)f->state) : "", -1,
                      SQLITE_STATIC);
    if (f->source)
        sqlite3_bind_text(st, 3, f->source, -1, SQLITE_STATIC);
    if (f->hash)
        sqlite3_bind_text(st, 4, f->hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, f->unquarantined);
    sqlite3_bind_int64(st, 6, f->id);
    int s = SQLITE_DONE, rc = 0;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        pp_job job;
        if (read_job(st, &job) < 0) {
            rc = pp_err_set(err, PP_ENOMEM, "out of memory");
            break;
        }
        rc = fn(&job, ctx);
        pp_job_clear(&job);
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_fail(j, err, "list");
    sqlite3_finalize(st);
    return rc;
}

static int j_count(pp_queue *q, uint64_t *counts, pp_err *err)
{
    journal *j = (journal *)q;
    memset(counts, 0, PP_JS_COUNT * sizeof *counts);
    sqlite3_stmt *st = prepare(j, "SELECT state, COUNT(*) FROM jobs GROUP BY state", err);
    if (!st)
        return PP_EIO;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        int i = name ? pp_jstate_from_name((const char *)name) : -1;
        if (i >= 0)
            counts[i] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : db_fail(j, err, "count");
}

static void j_close(pp_queue *q)
{
    journal *j = (journal *)q;
    sqlite3_close(j->db);
    free(j->path);
    free(j);
}

static const pp_queue_ops journal_ops = {
    .enqueue = j_enqueue,
    .claim = j_claim,
    .renew = j_renew,
    .complete = j_complete,
    .fail_job = j_fail,
    .release = j_release,
    .abandon = j_abandon,
    .requeue_expired = j_requeue_expired,
    .set_quarantine = j_set_quarantine,
    .output_owner = j_output_owner,
    .known_hash = j_known_hash,
    .list = j_list,
    .count = j_count,
    .close = j_close,
};

/* ---- opening ---- */

static int schema_version(journal *j, int *v, pp_err *err)
{
    sqlite3_stmt *st = prepare(j, "PRAGMA user_version", err);
    if (!st)
        return PP_EIO;
    *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return 0;
}

/* A new journal (version 0) gets the schema and this version; one of this
 * version gets any index added since (IF NOT EXISTS); another version is
 * left alone for check_version to refuse. */
static int init_schema(journal *j, pp_err *err)
{
    int rc = exec_sql(j, "PRAGMA journal_mode = WAL", err);
    if (rc == 0)
        rc = tx_begin(j, err);
    if (rc < 0)
        return rc;
    int v = -1;
    rc = schema_version(j, &v, err);
    if (rc == 0 && (v == 0 || v == SCHEMA_VERSION))
        rc = exec_sql(j, schema, err);
    if (rc == 0 && v == 0)
        rc = exec_sql(j, "PRAGMA user_version = " SCHEMA_VERSION_TEXT, err);
    return tx_end(j, rc, err);
}

static int check_version(journal *j, pp_err *err)
{
    int v = -1;
    if (schema_version(j, &v, err) < 0)
        return PP_EIO;
    if (v != SCHEMA_VERSION)
        return pp_err_set(err, PP_EUNSUPPORTED,
                          "%s: journal schema version %d; this pixpipe reads version %d", j->path,
                          v, SCHEMA_VERSION);
    return 0;
}

pp_queue *pp__queue_journal_open(const char *dir, const pp_queue_opts *o, pp_err *err)
{
    journal *j = pp_calloc(1, sizeof *j, err);
    if (!j)
        return NULL;
    j->base.ops = &journal_ops;
    j->o = *o;
    if (j->o.max_attempts < 1)
        j->o.max_attempts = 1;
    if (asprintf(&j->path, "%s/journal.db", dir) < 0) {
        j->path = NULL;
        pp_err_set(err, PP_ENOMEM, "out of memory");
        goto fail;
    }
    if (o->create && pp_mkdirs(dir, err) < 0)
        goto fail;
    int flags = SQLITE_OPEN_READWRITE | (o->create ? SQLITE_OPEN_CREATE : 0);
    int s = sqlite3_open_v2(j->path, &j->db, flags, NULL);
    if (s != SQLITE_OK) {
        pp_err_set(err, s == SQLITE_CANTOPEN ? PP_ENOENT : PP_EIO, "%s: cannot open journal: %s",
                   j->path, j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(s));
        goto fail;
    }
    sqlite3_busy_timeout(j->db, BUSY_TIMEOUT_MS);
    if (exec_sql(j, "PRAGMA synchronous = NORMAL", err) < 0)
        goto fail;
    if (o->create && init_schema(j, err) < 0)
        goto fail;
    if (check_version(j, err) < 0)
        goto fail;
    return &j->base;
fail:
    if (j->db)
        sqlite3_close(j->db);
    free(j->path);
    free(j);
    return NULL;
}
