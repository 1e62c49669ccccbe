/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module scan cache: a json-c document
 *   {"schema": "rdna1-doctor/ko-cache/1", "fingerprint": "<md5 of the markers>",
 *    "entries": {"<path>": {"dev", "ino", "size", "mtime_ns", "ctime_ns", "info": {...}}}}
 * The file is checked whole when it is opened; anything unexpected makes it
 * count as empty, so a damaged or foreign file costs a rescan, never a wrong
 * answer. Saving writes only the entries used (looked up or stored) in this
 * session, so entries of removed kernels fall out at the next change.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <md5.h>
#include <sys/stat.h>

#include "base/util.h"
#include "probe/ko_cache.h"
#include "root/sysroot.h"

#define KO_CACHE_SCHEMA "rdna1-doctor/ko-cache/1"
#define KO_CACHE_MAX_ENTRIES 100000
#define KO_CACHE_MAX_FILE (UINT64_C(64) << 20)
#define KO_CACHE_MAX_PATH 4096
/* Longer than any .modinfo value (those stop at 256 bytes) or member list we write. */
#define KO_CACHE_MAX_STRING 65536

struct ko_cache {
        char *path;
        char fingerprint[MD5_DIGEST_STRING_LENGTH];
        size_t n_markers;
        json_object *loaded; /* every valid entry, path -> entry */
        json_object *used;   /* entries looked up or stored in this session */
        bool dirty;
};

static void json_object_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

static void fingerprint_markers(const char *const *markers, size_t n, char ret[MD5_DIGEST_STRING_LENGTH])
{
        MD5_CTX ctx;
        uint8_t le[8];

        MD5Init(&ctx);
        MD5Update(&ctx, (const uint8_t *)KO_CACHE_SCHEMA, strlen(KO_CACHE_SCHEMA));
        /* Length-prefixed, in order: bit i of markers_found means markers[i]. */
        for (size_t i = 0; i <= n; i++) {
                uint64_t len = i < n ? strlen(markers[i]) : n;

                for (size_t b = 0; b < sizeof(le); b++)
                        le[b] = (uint8_t)(len >> (8 * b));
                MD5Update(&ctx, le, sizeof(le));
                if (i < n)
                        MD5Update(&ctx, (const uint8_t *)markers[i], (size_t)len);
        }
        MD5End(&ctx, ret);
}

static json_object *get_typed(json_object *o, const char *key, json_type type)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static bool valid_uint(json_object *o, const char *key)
{
        json_object *v = get_typed(o, key, json_type_int);

        return v && json_object_get_int64(v) >= 0;
}

static bool valid_opt_string(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return false;
        if (!v)
                return true; /* null: the key was absent from the module */
        return json_object_is_type(v, json_type_string) &&
                json_object_get_string_len(v) <= KO_CACHE_MAX_STRING &&
                strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

static bool valid_hex(const char *s, size_t len)
{
        if (len % 2 != 0 || len > 2 * KO_BUILD_ID_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static bool valid_compression(const char *s)
{
        for (int c = 0; c < _KO_COMPRESSION_MAX; c++)
                if (streq(s, ko_compression_to_string(c)))
                        return true;
        return false;
}

static bool valid_info(json_object *info, size_t n_markers)
{
        json_object *v;
        int64_t mask;

        if (!get_typed(info, "is_elf", json_type_boolean) ||
            !get_typed(info, "signature_appended", json_type_boolean) ||
            !valid_uint(info, "decoded_size"))
                return false;
        v = get_typed(info, "compression", json_type_string);
        if (!v || !valid_compression(json_object_get_string(v)))
                return false;
        v = get_typed(info, "build_id", json_type_string);
        if (!v || !valid_hex(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
                return false;
        v = get_typed(info, "markers_found", json_type_int);
        if (!v)
                return false;
        mask = json_object_get_int64(v);
        if (mask < 0 || (uint64_t)mask >= (UINT64_C(1) << n_markers))
                return false;
        return valid_opt_string(info, "srcversion") && valid_opt_string(info, "vermagic") &&
                valid_opt_string(info, "name") && valid_opt_string(info, "version");
}

static bool valid_entry(json_object *e, size_t n_markers)
{
        json_object *info;

        if (!json_object_is_type(e, json_type_object))
                return false;
        if (!valid_uint(e, "dev") || !valid_uint(e, "ino") || !valid_uint(e, "size") ||
            !get_typed(e, "mtime_ns", json_type_int) || !get_typed(e, "ctime_ns", json_type_int))
                return false;
        info = get_typed(e, "info", json_type_object);
        return info && valid_info(info, n_markers);
}

/* The entries object of a document that passes every check, else NULL. */
static json_object *validate_document(json_object *root, const char *fingerprint, size_t n_markers)
{
        json_object *v, *entries;
        size_t n = 0;

        if (!json_object_is_type(root, json_type_object))
                return NULL;
        v = get_typed(root, "schema", json_type_string);
        if (!v || !streq(json_object_get_string(v), KO_CACHE_SCHEMA))
                return NULL;
        v = get_typed(root, "fingerprint", json_type_string);
        if (!v || !streq(json_object_get_string(v), fingerprint))
                return NULL;
        entries = get_typed(root, "entries", json_type_object);
        if (!entries || json_object_object_length(entries) > KO_CACHE_MAX_ENTRIES)
                return NULL;
        json_object_object_foreach(entries, key, val) {
                if (++n > KO_CACHE_MAX_ENTRIES || key[0] == '\0' ||
                    strnlen(key, KO_CACHE_MAX_PATH + 1) > KO_CACHE_MAX_PATH || !valid_entry(val, n_markers))
                        return NULL;
        }
        return entries;
}

/* The validated entries of the file at path, or NULL when it is absent or unusable. */
static json_object *load_entries(const char *path, const char *fingerprint, size_t n_markers)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        _cleanup_json_ json_object *root = NULL;
        struct json_tokener *tok;
        json_object *entries;
        size_t len = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return NULL;
        if (read_fd_capped(fd, KO_CACHE_MAX_FILE, &buf, &len) < 0 || len == 0 || len > INT32_MAX)
                return NULL;
        tok = json_tokener_new();
        if (!tok)
                return NULL;
        root = json_tokener_parse_ex(tok, buf, (int)len);
        /* One complete value and nothing after it. */
        if (!root || json_tokener_get_error(tok) != json_tokener_success ||
            strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") != len - json_tokener_get_parse_end(tok)) {
                json_tokener_free(tok);
                return NULL;
        }
        json_tokener_free(tok);
        entries = validate_document(root, fingerprint, n_markers);
        return entries ? json_object_get(entries) : NULL;
}

int ko_cache_open(const char *cache_path, const char *const *markers, size_t n_markers,
                  ko_cache **ret)
{
        ko_cache *c;

        if (!cache_path || !*cache_path || !ret || n_markers > KO_MAX_MARKERS || (n_markers && !markers))
                return -EINVAL;
        for (size_t i = 0; i < n_markers; i++)
                if (!markers[i])
                        return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_markers = n_markers;
        fingerprint_markers(markers, n_markers, c->fingerprint);
        c->path = strdup(cache_path);
        c->used = json_object_new_object();
        if (c->path && c->used) {
                c->loaded = load_entries(cache_path, c->fingerprint, n_markers);
                if (!c->loaded)
                        c->loaded = json_object_new_object();
        }
        if (!c->path || !c->used || !c->loaded) {
                ko_cache_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

ko_cache *ko_cache_free(ko_cache *c)
{
        if (!c)
                return NULL;
        json_object_put(c->loaded);
        json_object_put(c->used);
        free(c->path);
        free(c);
        return NULL;
}

static int timespec_ns(const struct timespec *ts, int64_t *ret)
{
        int64_t ns;

        if (__builtin_mul_overflow((int64_t)ts->tv_sec, INT64_C(1000000000), &ns) ||
            __builtin_add_overflow(ns, (int64_t)ts->tv_nsec, &ns))
                return -EOVERFLOW;
        *ret = ns;
        return 0;
}

static bool key_matches(json_object *e, const struct stat *st)
{
        int64_t mtime, ctime;

        if (timespec_ns(&st->st_mtim, &mtime) < 0 || timespec_ns(&st->st_ctim, &ctime) < 0)
                return false;
        return json_object_get_uint64(json_object_object_get(e, "dev")) == (uint64_t)st->st_dev &&
                json_object_get_uint64(json_object_object_get(e, "ino")) == (uint64_t)st->st_ino &&
                json_object_get_int64(json_object_object_get(e, "size")) == (int64_t)st->st_size &&
                json_object_get_int64(json_object_object_get(e, "mtime_ns")) == mtime &&
                json_object_get_int64(json_object_object_get(e, "ctime_ns")) == ctime;
}

static int unhex(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10;
}

static int opt_string_from_json(json_object *info, const char *key, char **ret)
{
        json_object *v = json_object_object_get(info, key);

        if (!v) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int info_from_json(json_object *o, ko_info *ret)
{
        json_object *id = json_object_object_get(o, "build_id");
        const char *hex = json_object_get_string(id);
        const char *comp = json_object_get_string(json_object_object_get(o, "compression"));
        ko_info t = {0};

        t.is_elf = json_object_get_boolean(json_object_object_get(o, "is_elf"));
        t.signature_appended = json_object_get_boolean(json_object_object_get(o, "signature_appended"));
        t.markers_found = (uint32_t)json_object_get_int64(json_object_object_get(o, "markers_found"));
        t.decoded_size = (uint64_t)json_object_get_int64(json_object_object_get(o, "decoded_size"));
        for (int c = 0; c < _KO_COMPRESSION_MAX; c++)
                if (streq(comp, ko_compression_to_string(c)))
                        t.compression = c;
        t.build_id_len = (size_t)json_object_get_string_len(id) / 2;
        for (size_t i = 0; i < t.build_id_len; i++)
                t.build_id[i] = (uint8_t)(unhex(hex[2 * i]) << 4 | unhex(hex[2 * i + 1]));
        if (opt_string_from_json(o, "srcversion", &t.srcversion) < 0 ||
            opt_string_from_json(o, "vermagic", &t.vermagic) < 0 ||
            opt_string_from_json(o, "name", &t.name) < 0 ||
            opt_string_from_json(o, "version", &t.version) < 0) {
                ko_info_clear(&t);
                return -ENOMEM;
        }
        *ret = t;
        return 0;
}

int ko_cache_lookup(ko_cache *c, const char *path, const struct stat *st, ko_info *ret)
{
        json_object *e;
        int r;

        if (!c || !path || !st || !ret)
                return -EINVAL;
        if (!json_object_object_get_ex(c->loaded, path, &e) || !key_matches(e, st))
                return 0;
        r = info_from_json(json_object_object_get(e, "info"), ret);
        if (r < 0)
                return r;
        /* Keep it at the next save. A failure here only drops it from the file. */
        if (json_object_object_add(c->used, path, json_object_get(e)) < 0)
                json_object_put(e);
        return 1;
}

static json_object *opt_string_to_json(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

static int add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_opt_string(json_object *o, const char *key, const char *s)
{
        json_object *v = opt_string_to_json(s);

        if (s && !v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static json_object *info_to_json(const ko_info *info)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *hex = NULL;
        const char *comp = ko_compression_to_string(info->compression);

        if (!o || !comp || info->build_id_len > KO_BUILD_ID_MAX)
                return NULL;
        hex = info->build_id_len ? hex_encode(info->build_id, info->build_id_len) : strdup("");
        if (!hex)
                return NULL;
        if (add(o, "is_elf", json_object_new_boolean(info->is_elf)) < 0 ||
            add(o, "compression", json_object_new_string(comp)) < 0 ||
            add(o, "build_id", json_object_new_string(hex)) < 0 ||
            add_opt_string(o, "srcversion", info->srcversion) < 0 ||
            add_opt_string(o, "vermagic", info->vermagic) < 0 ||
            add_opt_string(o, "name", info->name) < 0 ||
            add_opt_string(o, "version", info->version) < 0 ||
            add(o, "signature_appended", json_object_new_boolean(info->signature_appended)) < 0 ||
            add(o, "markers_found", json_object_new_int64(info->markers_found)) < 0 ||
            add(o, "decoded_size", json_object_new_int64((int64_t)info->decoded_size)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static bool info_storable(const ko_cache *c, const ko_info *info)
{
        const char *const strings[] = {info->srcversion, info->vermagic, info->name, info->version};

        if (info->decoded_size > INT64_MAX || !ko_compression_to_string(info->compression) ||
            info->build_id_len > KO_BUILD_ID_MAX ||
            (c->n_markers < 32 && info->markers_found >= (UINT32_C(1) << c->n_markers)))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                if (strings[i] && strlen(strings[i]) > KO_CACHE_MAX_STRING)
                        return false;
        return true;
}

int ko_cache_store(ko_cache *c, const char *path, const struct stat *st, const ko_info *info)
{
        _cleanup_json_ json_object *e = NULL;
        int64_t mtime, ctime;
        int r;

        if (!c || !path || !*path || !st || !info)
                return -EINVAL;
        /* What the loader would reject is not written either. */
        if (strlen(path) > KO_CACHE_MAX_PATH || !info_storable(c, info) || st->st_size < 0)
                return -EINVAL;
        r = timespec_ns(&st->st_mtim, &mtime);
        if (r < 0)
                return r;
        r = timespec_ns(&st->st_ctim, &ctime);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(c->loaded, path, NULL) &&
            json_object_object_length(c->loaded) >= KO_CACHE_MAX_ENTRIES)
                return -ENOSPC;

        e = json_object_new_object();
        if (!e)
                return -ENOMEM;
        if (add(e, "dev", json_object_new_uint64((uint64_t)st->st_dev)) < 0 ||
            add(e, "ino", json_object_new_uint64((uint64_t)st->st_ino)) < 0 ||
            add(e, "size", json_object_new_int64((int64_t)st->st_size)) < 0 ||
            add(e, "mtime_ns", json_object_new_int64(mtime)) < 0 ||
            add(e, "ctime_ns", json_object_new_int64(ctime)) < 0 ||
            add(e, "info", info_to_json(info)) < 0)
                return -ENOMEM;
        r = add(c->loaded, path, json_object_get(e));
        if (r < 0)
                return r;
        r = add(c->used, path, json_object_get(e));
        if (r < 0)
                return r;
        c->dirty = true;
        return 0;
}

static int fsync_parent_dir(const char *path)
{
        _cleanup_free_ char *dir = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                dir[1] = '\0';
        else
                *slash = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

static char *serialize(const ko_cache *c)
{
        _cleanup_json_ json_object *root = json_object_new_object();
        const char *s;

        if (!root || add(root, "schema", json_object_new_string(KO_CACHE_SCHEMA)) < 0 ||
            add(root, "fingerprint", json_object_new_string(c->fingerprint)) < 0 ||
            add(root, "entries", json_object_get(c->used)) < 0)
                return NULL;
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return s ? strdup(s) : NULL;
}

/* Write the document to a fresh file beside the cache and rename it over. */
static int save_atomic(const char *path, const char *text)
{
        _cleanup_free_ char *tmp = strdup_printf("%s.XXXXXX", path);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!tmp)
                return -ENOMEM;
        /* mkostemp: O_CREAT|O_EXCL, mode 0600, a name nobody else holds. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The umask may have taken bits off; the cache is private either way. */
        r = fchmod(fd, 0600) < 0 ? -errno : 0;
        if (r >= 0)
                r = loop_write(fd, text, strlen(text));
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0) {
                r = close(TAKE_FD(fd)) < 0 ? -errno : 0;
        }
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                return r;
        }
        return fsync_parent_dir(path);
}

int ko_cache_save(ko_cache *c)
{
        _cleanup_free_ char *text = NULL;
        int r;

        if (!c)
                return -EINVAL;
        if (!c->dirty)
                return 0;
        text = serialize(c);
        if (!text)
                return -ENOMEM;
        r = save_atomic(c->path, text);
        if (r < 0)
                return r;
        c->dirty = false;
        return 0;
}

/*
 * Short texts (a digest, a list of paths) share the cache under their own
 * keys, validated like module entries: stored in the entry's "name".
 */
int ko_cache_lookup_text(ko_cache *c, const char *key, const struct stat *st, char **ret)
{
        ko_info info = {0};
        int r = ko_cache_lookup(c, key, st, &info);

        if (r <= 0 || !info.name) {
                ko_info_clear(&info);
                return r < 0 ? r : 0;
        }
        *ret = TAKE_PTR(info.name);
        ko_info_clear(&info);
        return 1;
}

int ko_cache_store_text(ko_cache *c, const char *key, const struct stat *st, const char *text)
{
        ko_info info = {.name = (char *)text};

        return ko_cache_store(c, key, st, &info);
}
