/*
 * bo_redact: the printable form of a connection string that may carry a password.
 *
 * The database and Redis URLs are secrets as a whole only because of their passwords: logs,
 * --help and the launcher show them with every password replaced by "***" so that the host,
 * port, user and database stay readable.
 */
#ifndef BO_REDACT_H
#define BO_REDACT_H

#include <stddef.h>

/* BO_REDACT_MASK replaces every password bo_redact_url finds. */
#define BO_REDACT_MASK "***"

/*
 * bo_redact_url writes url into out (len bytes, always NUL-terminated when len > 0) with every
 * password replaced by BO_REDACT_MASK: the password of a URL's user info
 * ("redis://:pw@host" -> "redis://:***@host"; a lone user info names a password as Redis reads
 * it, "redis://pw@host" -> "redis://:***@host", except in postgres:// and postgresql:// URLs,
 * where it names the user), the same in a URL written without its scheme ("pw@host:6379"), and
 * the value of every key ending in "password" in a URL's query or in a libpq conninfo string
 * ("host=h password='x y'" -> "host=h password=***"). Returns BO_OK, or BO_E_INVALID_ARGUMENT
 * when out is too small: out then holds BO_REDACT_MASK alone (or as much of it as fits), never
 * a part of url.
 */
__attribute__((warn_unused_result)) int bo_redact_url(const char *url, char *out, size_t len);

#endif
