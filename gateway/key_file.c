/*
 * key_file.c - the one place that opens a secret key file (see key_file.h).
 *
 * Why refuse a readable file rather than warn: a key that other local users
 * can read turns every pseudonym (and every sealed contact) back into a
 * phone number for them; a deployment must fix the mode before it starts.
 */
#include "key_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int key_file_read(const char *what, const char *path, unsigned char *buf, size_t size, size_t *len,
                  struct raia_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return raia_err_set(err, RAIA_ECONFIG, "%s %s: %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return raia_err_set(err, RAIA_ECONFIG, "%s %s: not a regular file", what, path);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return raia_err_set(err, RAIA_ECONFIG,
                            "%s %s: mode %03o lets other users read it; run chmod 600 %s", what,
                            path, (unsigned)(st.st_mode & 0777), path);
    }
    ssize_t got = read(fd, buf, size);
    char extra;
    ssize_t more = got == (ssize_t)size ? read(fd, &extra, 1) : 0;
    close(fd);
    if (got < 0 || more != 0)
        return raia_err_set(err, RAIA_ECONFIG, "%s %s: unreadable or over %zu bytes", what, path,
                            size);
    *len = (size_t)got;
    return 0;
}
