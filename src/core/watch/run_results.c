/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "watch/run_results.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>

#include "base/util.h"
#include "root/fileops.h"

#define RESULTS_MAX 65536

static const char RESULTS[] = "results.json";

static bool copy_word(json_object *o, const char *key, char *dst, size_t size)
{
        json_object *v;
        const char *s;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return false;
        s = json_object_get_string(v);
        if (strlen(s) >= size || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(s))
                return false;
        strcpy(dst, s);
        return true;
}

static bool get_int64(json_object *o, const char *key, int64_t *ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

static int parse_selftest(json_object *o, selftest_result *ret)
{
        selftest_result s = {0};
        json_object *v;
        int64_t code;

        if (!json_object_is_type(o, json_type_object) || !copy_word(o, "backend", s.backend, sizeof(s.backend)) ||
            !copy_word(o, "outcome", s.outcome, sizeof(s.outcome)) || !get_int64(o, "exit_code", &code) ||
            code < 0 || code > 255 || !get_int64(o, "time", &s.time) || !json_object_object_get_ex(o, "gflops", &v) ||
            !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
                return -EBADMSG;
        s.exit_code = (int)code;
        s.gflops = json_object_get_double(v);
        if (!(s.gflops >= 0))
                return -EBADMSG;
        *ret = s;
        return 0;
}

static int parse_results(json_object *doc, run_results *ret)
{
        run_results rr = {0};
        json_object *arr, *rec;
        int64_t code;

        if (!json_object_is_type(doc, json_type_object))
                return -EBADMSG;
        if (json_object_object_get_ex(doc, "selftests", &arr)) {
                if (!json_object_is_type(arr, json_type_array) ||
                    json_object_array_length(arr) > RUN_RESULTS_MAX_BACKENDS)
                        return -EBADMSG;
                for (size_t i = 0; i < json_object_array_length(arr); i++)
                        if (parse_selftest(json_object_array_get_idx(arr, i), &rr.selftests[rr.n_selftests++]) < 0)
                                return -EBADMSG;
        }
        if (json_object_object_get_ex(doc, "recovery", &rec)) {
                if (!json_object_is_type(rec, json_type_object) || !get_int64(rec, "exit_code", &code) || code < 0 ||
                    code > 255 || !get_int64(rec, "time", &rr.recovery_time))
                        return -EBADMSG;
                rr.has_recovery = true;
                rr.recovery_exit_code = (int)code;
        }
        *ret = rr;
        return 0;
}

int run_results_read(int dirfd, run_results *ret)
{
        _cleanup_close_ int fd = openat(dirfd, RESULTS, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        json_object *doc;
        size_t len;
        int r;

        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = (run_results){0};
                return 0;
        }
        r = read_fd_capped(fd, RESULTS_MAX, &buf, &len);
        if (r < 0)
                return r == -EFBIG || r == -EINVAL ? -EBADMSG : r;
        doc = json_tokener_parse(buf);
        r = doc ? parse_results(doc, ret) : -EBADMSG;
        json_object_put(doc);
        return r;
}

static json_object *selftest_json(const selftest_result *s)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (json_object_object_add(o, "backend", json_object_new_string(s->backend)) < 0 ||
            json_object_object_add(o, "outcome", json_object_new_string(s->outcome)) < 0 ||
            json_object_object_add(o, "exit_code", json_object_new_int(s->exit_code)) < 0 ||
            json_object_object_add(o, "gflops", json_object_new_double(s->gflops)) < 0 ||
            json_object_object_add(o, "time", json_object_new_int64(s->time)) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static int write_results(int dirfd, const run_results *rr)
{
        json_object *doc = json_object_new_object(), *arr = json_object_new_array();
        const char *text;
        int r = -ENOMEM;

        if (!doc || !arr || json_object_object_add(doc, "selftests", arr) < 0) {
                json_object_put(arr);
                goto out;
        }
        for (size_t i = 0; i < rr->n_selftests; i++) {
                json_object *s = selftest_json(&rr->selftests[i]);

                if (!s || json_object_array_add(arr, s) < 0) {
                        json_object_put(s);
                        goto out;
                }
        }
        if (rr->has_recovery) {
                json_object *rec = json_object_new_object();

                if (!rec || json_object_object_add(doc, "recovery", rec) < 0) {
                        json_object_put(rec);
                        goto out;
                }
                if (json_object_object_add(rec, "exit_code", json_object_new_int(rr->recovery_exit_code)) < 0 ||
                    json_object_object_add(rec, "time", json_object_new_int64(rr->recovery_time)) < 0)
                        goto out;
        }
        text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
        r = text ? write_file_atomic(dirfd, RESULTS, text, strlen(text), 0600) : -ENOMEM;
out:
        json_object_put(doc);
        return r;
}

int run_results_put_selftest(int dirfd, const selftest_result *s)
{
        run_results rr;
        size_t i;
        int r;

        r = run_results_read(dirfd, &rr);
        if (r == -EBADMSG)
                rr = (run_results){0}; /* a corrupt file is replaced, not kept */
        else if (r < 0)
                return r;
        for (i = 0; i < rr.n_selftests && !streq(rr.selftests[i].backend, s->backend); i++)
                ;
        if (i == RUN_RESULTS_MAX_BACKENDS)
                return -E2BIG;
        rr.selftests[i] = *s;
        if (i == rr.n_selftests)
                rr.n_selftests++;
        return write_results(dirfd, &rr);
}

int run_results_put_recovery(int dirfd, int exit_code, int64_t time)
{
        run_results rr;
        int r;

        r = run_results_read(dirfd, &rr);
        if (r == -EBADMSG)
                rr = (run_results){0};
        else if (r < 0)
                return r;
        rr.has_recovery = true;
        rr.recovery_exit_code = exit_code;
        rr.recovery_time = time;
        return write_results(dirfd, &rr);
}
