/*
 * common_test.c - unit tests for common/: YAML tree positions and errors,
 * the JSON string escaper and error formatting.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"
#include "str_copy.h"
#include "strbuf.h"
#include "test_help.h"
#include "yaml_tree.h"

static struct ydoc *load(const char *text, struct raia_errlist *errs)
{
    return ydoc_load_buf("t.yaml", text, strlen(text), errs);
}

static const char *first_error(const struct raia_errlist *errs, char *buf, size_t size)
{
    if (errs->n == 0)
        return "";
    raia_err_format(&errs->items[0], buf, size);
    return buf;
}

static void test_yaml_positions(void)
{
    struct raia_errlist errs = {0};
    struct ydoc *doc = load("a: 1\nb:\n  - x\n  - {k: v}\n", &errs);
    test_cond("valid yaml loads", doc != NULL && errs.n == 0);
    const struct ynode *b = ynode_get(doc->root, "b");
    test_cond("list found", b && b->kind == YNODE_SEQ && b->n == 2);
    test_cond("item position", b && b->items[1]->line == 4 && b->items[1]->col == 5);
    const struct ynode *v = ynode_get(b->items[1], "k");
    test_cond("nested scalar", v && strcmp(v->scalar, "v") == 0 && v->line == 4);
    long long n = 0;
    test_cond("int read",
              ynode_int(ynode_get(doc->root, "a"), "a", 0, 9, &n, &errs) == 0 && n == 1);
    ydoc_free(doc);
    raia_errlist_free(&errs);
}

static void test_yaml_errors(void)
{
    char buf[256];
    struct raia_errlist errs = {0};
    struct ydoc *doc = load("a: 1\na: 2\n", &errs);
    test_cond("duplicate key refused", doc == NULL);
    test_cond("duplicate key message",
              strcmp(first_error(&errs, buf, sizeof buf), "t.yaml:2:1: duplicate key 'a'") == 0);
    raia_errlist_free(&errs);

    doc = load("a: &x 1\nb: *x\n", &errs);
    test_cond("anchor refused", doc == NULL && errs.n >= 1);
    test_cond("anchor message", strcmp(first_error(&errs, buf, sizeof buf),
                                       "t.yaml:1:4: YAML anchors are not allowed") == 0);
    raia_errlist_free(&errs);

    doc = load("a: [1, 2\n", &errs);
    test_cond("syntax error refused", doc == NULL && errs.n == 1 && errs.items[0].line >= 1);
    raia_errlist_free(&errs);

    doc = load("w: 0\nx: 12abc\n", &errs);
    long long v = 0;
    test_cond("range error",
              ynode_int(ynode_get(doc->root, "w"), "smsc.window", 1, 256, &v, &errs) < 0);
    test_cond("range message", strcmp(first_error(&errs, buf, sizeof buf),
                                      "t.yaml:1:4: smsc.window: 0 not in [1,256]") == 0);
    test_cond("garbage number", ynode_int(ynode_get(doc->root, "x"), "x", 0, 99, &v, &errs) < 0);
    static const char *const allowed[] = {"w", NULL};
    test_cond("unknown key counted", ynode_check_keys(doc->root, allowed, "top", &errs) == 1);
    test_cond("unknown key message", errs.n == 3 &&
                                         strcmp(errs.items[2].msg, "unknown key 'x' in top") == 0 &&
                                         errs.items[2].line == 2 && errs.items[2].col == 1);
    ydoc_free(doc);
    raia_errlist_free(&errs);

    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    doc = load(deep, &errs);
    test_cond("deep nesting refused", doc == NULL && errs.n >= 1);
    raia_errlist_free(&errs);
}

static void test_strbuf_json(void)
{
    struct strbuf sb = {0};
    strbuf_json_str(&sb, "a\"b\\c\nd\x01");
    test_cond("json escaping", strcmp(strbuf_cstr(&sb), "\"a\\\"b\\\\c\\nd\\u0001\"") == 0);
    strbuf_reset(&sb);
    strbuf_printf(&sb, "%d-%s", 42, "x");
    test_cond("printf append", strcmp(strbuf_cstr(&sb), "42-x") == 0 && sb.len == 4);
    strbuf_free(&sb);
    test_cond("empty buffer is empty string", strcmp(strbuf_cstr(&sb), "") == 0);
}

/* strbuf_put_ll and strbuf_ll_str write what "%lld" writes, at the edges too. */
static void test_strbuf_ll(void)
{
    static const long long values[] = {0,         1,          -1,
                                       9,         10,         -10,
                                       600,       2147483647, -2147483648LL,
                                       LLONG_MAX, LLONG_MIN,  1764000000123LL};
    struct strbuf sb = {0};
    char want[64], got[STRBUF_LL_SIZE];
    int same = 1;
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        int n = snprintf(want, sizeof want, "%lld", values[i]);
        strbuf_reset(&sb);
        strbuf_puts(&sb, "x");
        strbuf_put_ll(&sb, values[i]);
        same &= strcmp(strbuf_cstr(&sb) + 1, want) == 0 && sb.len == (size_t)n + 1;
        same &= strbuf_ll_str(got, values[i]) == (size_t)n && strcmp(got, want) == 0;
    }
    test_cond("integers as printf writes them", same);
    strbuf_free(&sb);
}

/* str_copy cuts and terminates as snprintf(dst, size, "%s", src) does. */
static void test_str_copy(void)
{
    char buf[4] = "xyz";
    str_copy(buf, sizeof buf, "ab");
    test_cond("str_copy: shorter than the buffer", strcmp(buf, "ab") == 0);
    str_copy(buf, sizeof buf, "abc");
    test_cond("str_copy: exactly fits", strcmp(buf, "abc") == 0);
    str_copy(buf, sizeof buf, "abcdef");
    test_cond("str_copy: cut to fit", strcmp(buf, "abc") == 0);
    str_copy(buf, 1, "abc");
    test_cond("str_copy: room for the NUL only", buf[0] == '\0' && buf[1] == 'b');
    buf[0] = 'q';
    str_copy(buf, 0, "abc");
    test_cond("str_copy: size 0 writes nothing", buf[0] == 'q');
}

static void test_err_format(void)
{
    struct raia_err e = {0};
    char buf[256];
    raia_err_set_at(&e, RAIA_ECONFIG, "f.yaml", 3, 7, "bad %s", "thing");
    raia_err_format(&e, buf, sizeof buf);
    test_cond("file:line:col", strcmp(buf, "f.yaml:3:7: bad thing") == 0);
    test_cond("negative code", raia_err_set(&e, RAIA_EIO, "x") == -RAIA_EIO);
    test_cond("strerror", strcmp(raia_strerror(-RAIA_ETIMEOUT), "timed out") == 0);
}

int main(void)
{
    test_str_copy();
    test_yaml_positions();
    test_yaml_errors();
    test_strbuf_json();
    test_strbuf_ll();
    test_err_format();
    TEST_REPORT();
}
