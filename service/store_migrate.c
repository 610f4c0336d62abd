/*
 * store_migrate: schema migrations and whole SQL files (the seed), for main and the test
 * environment; the service's requests never come here.
 *
 * Migrations run under a session advisory lock, so concurrent instances migrate once, and
 * each file runs in its own transaction together with its schema_migrations row.
 */
#include "store_conn.h"

#include "bo_log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant shared by every instance; only migrations take it. */
#define STORE_MIGRATE_LOCK_KEY "7236051123"

/* store_file_read reads a whole file into a NUL-terminated heap string the caller frees. */
static int store_file_read(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        BO_ERR("store: cannot open %s: %s", path, strerror(errno));
        return BO_E_NOT_FOUND;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = BO_OK;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            char *nbuf = realloc(buf, cap);
            if (nbuf == NULL) {
                rc = BO_E_NOMEM;
                goto done;
            }
            buf = nbuf;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        BO_ERR("store: cannot read %s", path);
        rc = BO_E_INTERNAL;
        goto done;
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return rc;
}

/* A migration file is named NNN_name.sql: digits, an underscore, then anything. */
static int store_migration_version(const char *name, int *version)
{
    size_t len = strlen(name);
    size_t digits = strspn(name, "0123456789");
    if (digits == 0 || digits > 9 || name[digits] != '_' || len < digits + 5 ||
        strcmp(name + len - 4, ".sql") != 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    *version = atoi(name);
    return BO_OK;
}

static int store_migration_filter(const struct dirent *d)
{
    int version;
    return store_migration_version(d->d_name, &version) == BO_OK;
}

/* store_migration_apply applies one file and records it, in one transaction. */
static int store_migration_apply(struct store *s, const char *dir, const char *name, int version)
{
    char path[4096];
    char *sql = NULL;
    struct store_params p = {0};
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((rc = store_file_read(path, &sql)) != BO_OK) {
        return rc;
    }
    if ((rc = store_begin(s)) != BO_OK) {
        goto done;
    }
    if ((rc = store_command(s, sql, name, 1)) != BO_OK) {
        goto done;
    }
    store_param_i64(&p, version);
    store_param_text(&p, name);
    rc = store_command_result(s, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                              "record migration", 1, &p, NULL);
    if (rc != BO_OK) {
        goto done;
    }
    rc = store_commit(s);
    if (rc == BO_OK) {
        BO_INFO("store: applied migration %s", name);
    }
done:
    store_rollback(s);
    free(sql);
    return rc;
}

/* store_migrate_locked runs with the advisory lock held: only one instance gets here. */
static int store_migrate_locked(struct store *s, const char *dir, int *applied)
{
    struct dirent **names = NULL;
    PGresult *done_res = NULL;
    int count = 0;
    int rc;

    rc = store_command(s,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version int PRIMARY KEY, name text NOT NULL, "
                       "applied_at timestamptz NOT NULL DEFAULT now())",
                       "create schema_migrations", 1);
    if (rc != BO_OK) {
        return rc;
    }
    rc = store_command_result(s, "SELECT version FROM schema_migrations", "read schema_migrations",
                              0, NULL, &done_res);
    if (rc != BO_OK) {
        return rc;
    }
    int n = scandir(dir, &names, store_migration_filter, alphasort);
    if (n < 0) {
        BO_ERR("store: cannot list migrations in %s: %s", dir, strerror(errno));
        rc = BO_E_NOT_FOUND;
        goto done;
    }
    for (int i = 0; i < n && rc == BO_OK; i++) {
        int version = 0, seen = 0;
        (void)store_migration_version(names[i]->d_name, &version);
        for (int row = 0; row < PQntuples(done_res); row++) {
            seen |= atoi(PQgetvalue(done_res, row, 0)) == version;
        }
        if (!seen) {
            rc = store_migration_apply(s, dir, names[i]->d_name, version);
            count += rc == BO_OK;
        }
    }
    for (int i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (rc == BO_OK) {
        *applied = count;
    }
done:
    PQclear(done_res);
    return rc;
}

struct store_migrate_arg {
    const char *dir;
    int *applied;
};

static int store_op_migrate(struct store *s, void *arg)
{
    struct store_migrate_arg *a = arg;
    /* A session lock, held across the per-file transactions, released on every path
     * (and by the server if this connection dies). */
    int rc = store_command(s, "SELECT pg_advisory_lock(" STORE_MIGRATE_LOCK_KEY ")",
                           "migration lock", 0);
    if (rc != BO_OK) {
        return rc;
    }
    rc = store_migrate_locked(s, a->dir, a->applied);
    store_rollback(s);
    if (PQstatus(s->conn) == CONNECTION_OK) {
        PGresult *res = PQexec(s->conn, "SELECT pg_advisory_unlock(" STORE_MIGRATE_LOCK_KEY ")");
        PQclear(res);
    }
    /* A migration that failed half-way is not silently retried. */
    return rc == STORE_E_LOST ? STORE_E_LOST_UNSAFE : rc;
}

int store_migrate(struct store *s, const char *dir, int *applied)
{
    if (dir == NULL || applied == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct store_migrate_arg a = {dir, applied};
    return store_run(s, store_op_migrate, &a);
}

static int store_op_exec_file(struct store *s, void *arg)
{
    const char *sql = arg;
    int rc = store_begin(s);
    if (rc != BO_OK) {
        return rc;
    }
    if ((rc = store_command(s, sql, "exec file", 1)) != BO_OK) {
        return rc;
    }
    return store_commit(s);
}

int store_exec_file(struct store *s, const char *path)
{
    char *sql;
    int rc = store_file_read(path, &sql);
    if (rc != BO_OK) {
        return rc;
    }
    rc = store_run(s, store_op_exec_file, sql);
    free(sql);
    return rc;
}
