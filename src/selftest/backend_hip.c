/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HIP backend: the implicit GEMM gemm_conv_f32_<config> (B gathered
 * from the image: no im2col buffer; bench/RESULTS.md has it beating
 * im2col_nchw_f32 + gemm_tiled_f32_<config> on every sweep shape) and
 * gemm_splitk_reduce_f32 for split-K plans, from the bundled code object
 * (kernels/gemm_tiled.hip, built by hipcc --genco), loaded with
 * hipModuleLoad.
 *
 * No link-time dependency on HIP and no HIP headers: libamdhip64 is
 * dlopen()ed by versioned name at run time, so the doctor installs and runs
 * where ROCm is absent, and only the few entry points below are declared
 * here, with the C ABI the HIP runtime has kept from ROCm 5 to 7 (int error
 * codes, opaque handles, hipMemcpyKind 1/2). hipDeviceProp_t changed its
 * layout in ROCm 6, so device facts come from hipDeviceGetName,
 * hipDeviceGetPCIBusId and hipDeviceGetAttribute(MultiprocessorCount) only,
 * and the gfx target from the KFD topology in sysfs.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "base/build_tree.h"
#include "base/util.h"
#include "config.h"
#include "gemm_config.h"
#include "gemm_plan.h"

typedef int hip_error;
typedef void *hip_module;
typedef void *hip_function;

enum {
        HIP_SUCCESS = 0,
        HIP_MEMCPY_HOST_TO_DEVICE = 1,
        HIP_MEMCPY_DEVICE_TO_HOST = 2,
        /*
         * hipDeviceAttributeMultiprocessorCount: 63 in the hipDeviceAttribute_t
         * of HIP 5.2 (Debian's libamdhip64-dev, checked by compiling against
         * it) and of ROCm/HIP tags rocm-5.7.0, rocm-6.0.0 and rocm-6.2.0
         * (include/hip/hip_runtime_api.h, enum extracted and compiled). HIP
         * before 5.0 numbered it differently; libamdhip64.so.4 is not loaded.
         */
        HIP_ATTR_MULTIPROCESSOR_COUNT = 63,
};

/* Most recent first; versioned names only (the unversioned .so is a -dev file). */
static const char *const hip_libs[] = {"libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5"};

typedef struct hip_backend {
        selftest_backend pub;   /* first: the interface's pointer is this struct's */
        void *lib;
        char lib_name[256];
        int device;
        hip_module module;
        hip_function reduce, conv[_GEMM_CFG_MAX];

        hip_error (*init)(unsigned flags);
        hip_error (*get_device_count)(int *count);
        hip_error (*device_get)(int *device, int ordinal);
        hip_error (*device_get_attribute)(int *value, int attr, int device);
        hip_error (*device_get_name)(char *name, int len, int device);
        hip_error (*device_get_pci_bus_id)(char *bus_id, int len, int device);
        hip_error (*device_get_by_pci_bus_id)(int *device, const char *bus_id);
        hip_error (*set_device)(int device);
        hip_error (*module_load)(hip_module *module, const char *path);
        hip_error (*module_unload)(hip_module module);
        hip_error (*module_get_function)(hip_function *f, hip_module module, const char *name);
        hip_error (*module_launch_kernel)(hip_function f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                          unsigned by, unsigned bz, unsigned shared_bytes, void *stream,
                                          void **params, void **extra);
        hip_error (*malloc_)(void **ptr, size_t size);
        hip_error (*free_)(void *ptr);
        hip_error (*memcpy_)(void *dst, const void *src, size_t size, int kind);
        hip_error (*device_synchronize)(void);
        const char *(*get_error_string)(hip_error e);
} hip_backend;

static void set_error(backend_error *e, const char *missing, const char *fmt, ...) _printf_(3, 4);
static void set_error(backend_error *e, const char *missing, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        snprintf(e->missing, sizeof(e->missing), "%s", missing);
}

static const char *hip_strerror(const hip_backend *b, hip_error e)
{
        const char *s = b->get_error_string ? b->get_error_string(e) : NULL;

        return s ? s : "unknown HIP error";
}

/*
 * dlopen the runtime. RDNA1_SELFTEST_HIP_LIB (a ':'-separated list of names
 * or paths) replaces the list, so tests can make the runtime unavailable.
 */
static int hip_load(hip_backend *b, backend_error *ret_err)
{
        const char *override = getenv("RDNA1_SELFTEST_HIP_LIB");
        char tried[512] = "", last[256] = "";

        if (override && *override) {
                _cleanup_free_ char *list = strdup(override);
                char *save = NULL;

                if (!list)
                        return -ENOMEM;
                for (char *n = strtok_r(list, ":", &save); n && !b->lib; n = strtok_r(NULL, ":", &save)) {
                        b->lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
                        if (b->lib)
                                snprintf(b->lib_name, sizeof(b->lib_name), "%s", n);
                        else
                                snprintf(last, sizeof(last), "%s", dlerror());
                }
                snprintf(tried, sizeof(tried), "%s", override);
        } else {
                for (size_t i = 0; i < ELEMENTSOF(hip_libs) && !b->lib; i++) {
                        b->lib = dlopen(hip_libs[i], RTLD_NOW | RTLD_LOCAL);
                        if (b->lib)
                                snprintf(b->lib_name, sizeof(b->lib_name), "%s", hip_libs[i]);
                        else
                                snprintf(last, sizeof(last), "%s", dlerror());
                }
                snprintf(tried, sizeof(tried), "libamdhip64.so.7, libamdhip64.so.6, libamdhip64.so.5");
        }
        if (!b->lib) {
                set_error(ret_err, "libamdhip64.so (the HIP runtime)",
                          "no HIP runtime: could not load %s (%s); install ROCm's HIP runtime "
                          "(libamdhip64), or use --backend cpu",
                          tried, last);
                return -ENOENT;
        }
        b->pub.runtime = b->lib_name;
        return 0;
}

static int hip_resolve(hip_backend *b, backend_error *ret_err)
{
        const struct {
                const char *name;
                void **slot;
        } syms[] = {
                {"hipInit", (void **)&b->init},
                {"hipGetDeviceCount", (void **)&b->get_device_count},
                {"hipDeviceGet", (void **)&b->device_get},
                {"hipDeviceGetAttribute", (void **)&b->device_get_attribute},
                {"hipDeviceGetName", (void **)&b->device_get_name},
                {"hipDeviceGetPCIBusId", (void **)&b->device_get_pci_bus_id},
                {"hipDeviceGetByPCIBusId", (void **)&b->device_get_by_pci_bus_id},
                {"hipSetDevice", (void **)&b->set_device},
                {"hipModuleLoad", (void **)&b->module_load},
                {"hipModuleUnload", (void **)&b->module_unload},
                {"hipModuleGetFunction", (void **)&b->module_get_function},
                {"hipModuleLaunchKernel", (void **)&b->module_launch_kernel},
                {"hipMalloc", (void **)&b->malloc_},
                {"hipFree", (void **)&b->free_},
                {"hipMemcpy", (void **)&b->memcpy_},
                {"hipDeviceSynchronize", (void **)&b->device_synchronize},
                {"hipGetErrorString", (void **)&b->get_error_string},
        };

        for (size_t i = 0; i < ELEMENTSOF(syms); i++) {
                *syms[i].slot = dlsym(b->lib, syms[i].name);
                if (!*syms[i].slot) {
                        char missing[128];

                        snprintf(missing, sizeof(missing), "%.40s in %.80s", syms[i].name, b->lib_name);
                        set_error(ret_err, missing, "the HIP runtime %s lacks %s; use --backend cpu", b->lib_name,
                                  syms[i].name);
                        return -ENOENT;
                }
        }
        return 0;
}

/* gfx_target_version 100100 -> "gfx1010" (the stepping is a hex digit: 90010 -> "gfx90a"). */
static void gfx_name(unsigned long v, char *buf, size_t len)
{
        snprintf(buf, len, "gfx%lu%lu%lx", v / 10000, (v / 100) % 100, v % 100);
}

/*
 * The gfx target of the GPU at pci_slot from the KFD topology, which knows
 * it without the version-dependent hipDeviceProp_t. Leaves buf empty when
 * it cannot tell.
 */
static void kfd_gfx_target(const char *pci_slot, char *buf, size_t len)
{
        unsigned dom, bus, dev, fn;

        buf[0] = '\0';
        if (sscanf(pci_slot, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
                return;
        for (unsigned node = 0; node < 256; node++) {
                char path[128], line[256];
                unsigned long location = ~0UL, domain = 0, gfx = 0;
                _cleanup_fclose_ FILE *f = NULL;

                snprintf(path, sizeof(path), "/sys/class/kfd/kfd/topology/nodes/%u/properties", node);
                f = fopen(path, "re");
                if (!f)
                        return;
                while (fgets(line, sizeof(line), f)) {
                        sscanf(line, "location_id %lu", &location);
                        sscanf(line, "domain %lu", &domain);
                        sscanf(line, "gfx_target_version %lu", &gfx);
                }
                if (gfx && location == ((bus << 8) | (dev << 3) | fn) && domain == dom) {
                        gfx_name(gfx, buf, len);
                        return;
                }
        }
}

static int hip_pick_device(hip_backend *b, const char *want, backend_error *ret_err)
{
        const char *hint = "(is amdgpu loaded with KFD, and may this user open /dev/kfd and /dev/dri/renderD*?)";
        selftest_device *d = &b->pub.device;
        int count = 0, ordinal = 0, v;
        hip_error e;

        e = b->init(0);
        if (e == HIP_SUCCESS)
                e = b->get_device_count(&count);
        if (e != HIP_SUCCESS || count <= 0) {
                set_error(ret_err, "a GPU device visible to the HIP runtime (/dev/kfd)",
                          "the HIP runtime %s sees no GPU device: %s %s; use --backend cpu", b->lib_name,
                          e != HIP_SUCCESS ? hip_strerror(b, e) : "0 devices", hint);
                return -ENODEV;
        }
        if (want) {
                e = b->device_get_by_pci_bus_id(&ordinal, want);
                if (e != HIP_SUCCESS) {
                        char missing[128];

                        snprintf(missing, sizeof(missing), "a GPU device at PCI slot %s", want);
                        set_error(ret_err, missing,
                                  "the HIP runtime %s has no GPU device at PCI slot %s (%s; %d device(s) seen); "
                                  "use another --device, or --backend cpu",
                                  b->lib_name, want, hip_strerror(b, e), count);
                        return -ENODEV;
                }
        }
        e = b->device_get(&b->device, ordinal);
        if (e == HIP_SUCCESS)
                e = b->set_device(ordinal);
        if (e != HIP_SUCCESS) {
                set_error(ret_err, "a usable GPU device", "cannot select HIP device %d: %s; use --backend cpu",
                          ordinal, hip_strerror(b, e));
                return -ENODEV;
        }
        b->pub.has_device = true;
        d->compute_units = -1;
        if (b->device_get_pci_bus_id(d->pci_slot, (int)sizeof(d->pci_slot), b->device) != HIP_SUCCESS)
                d->pci_slot[0] = '\0';
        if (b->device_get_name(d->name, (int)sizeof(d->name), b->device) != HIP_SUCCESS)
                d->name[0] = '\0';
        if (b->device_get_attribute(&v, HIP_ATTR_MULTIPROCESSOR_COUNT, b->device) == HIP_SUCCESS)
                d->compute_units = v;
        /* HIP spells the slot in lower or upper case depending on the version */
        for (char *p = d->pci_slot; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                        *p = (char)(*p - 'A' + 'a');
        kfd_gfx_target(d->pci_slot, d->gfx_target, sizeof(d->gfx_target));
        return 0;
}

static int hip_load_module(hip_backend *b, const char *path, backend_error *ret_err)
{
        const char *gfx = *b->pub.device.gfx_target ? b->pub.device.gfx_target : "this GPU";
        hip_error e;

        if (access(path, R_OK) < 0) {
                int r = -errno;

                set_error(ret_err, "gemm_tiled.co (the self-test kernels)",
                          "the kernel code object %s is missing (%s): rdna1-doctor was built without hipcc, "
                          "or give --code-object PATH; use --backend cpu",
                          path, strerror(-r));
                return -ENOENT;
        }
        e = b->module_load(&b->module, path);
        if (e != HIP_SUCCESS) {
                char missing[128];

                snprintf(missing, sizeof(missing), "a gemm_tiled.co built for %s", gfx);
                b->module = NULL;
                set_error(ret_err, missing,
                          "cannot load the kernel code object %s on %s: %s (it is built for gfx1010, gfx1011 "
                          "and gfx1012); use --backend cpu",
                          path, gfx, hip_strerror(b, e));
                return -ENOENT;
        }
        e = b->module_get_function(&b->reduce, b->module, "gemm_splitk_reduce_f32");
        for (int c = 0; c < _GEMM_CFG_MAX && e == HIP_SUCCESS; c++) {
                char name[64];

                snprintf(name, sizeof(name), "gemm_conv_f32_%s", gemm_configs[c].name);
                e = b->module_get_function(&b->conv[c], b->module, name);
        }
        if (e != HIP_SUCCESS) {
                set_error(ret_err, "gemm_conv_f32_*/gemm_splitk_reduce_f32 in the code object",
                          "the code object %s lacks the self-test kernels: %s; use --backend cpu", path,
                          hip_strerror(b, e));
                return -ENOENT;
        }
        return 0;
}

static int hip_fail(hip_backend *b, const char *what, hip_error e)
{
        snprintf(b->pub.last_error, sizeof(b->pub.last_error), "%s: %s", what, hip_strerror(b, e));
        return -EIO;
}

static unsigned ceil_div(size_t a, size_t b)
{
        return (unsigned)((a + b - 1) / b);
}

static int hip_conv(selftest_backend *base, const struct conv_shape *s, const struct gemm_plan *plan, const float *x,
                    const float *w, float *y)
{
        hip_backend *b = (hip_backend *)base;
        struct conv_dims d;
        void *dx = NULL, *dw = NULL, *dy = NULL, *dwork = NULL;
        const char *what = NULL;
        hip_error e;
        int r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;
        if (gemm_plan_check(plan, (int)d.k) < 0)
                return -EINVAL;
        {
                const struct gemm_config *cfg = &gemm_configs[plan->config];
                size_t work_len = gemm_plan_workspace(plan, (int)d.m, (int)d.n, (int)s->n);
                int k_chunk = plan->k_chunk, splits = plan->splits;
                int h = (int)s->h, wd = (int)s->w, kh = (int)s->kh, kw = (int)s->kw;
                int stride = (int)s->stride, pad = (int)s->pad, wo = (int)d.wo;
                int M = (int)d.m, N = (int)d.n, K = (int)d.k;
                long long stride_a = 0, stride_c = (long long)(d.m * d.n);
                long long stride_x = (long long)s->cin * s->h * s->w;
                /* split-K: each chunk's partial goes to the workspace, M x N apart */
                void **gemm_c = splits > 1 ? &dwork : &dy;
                /* the implicit GEMM reads B from x: no col buffer, no im2col launch */
                void *conv_args[] = {&M, &N,  &K,  &k_chunk, &splits, &dw,  &K,  &stride_a, &dx, &stride_x,
                                     &h, &wd, &kh, &kw,      &stride, &pad, &wo, gemm_c,    &N,  &stride_c};
                void *reduce_args[] = {&M, &N, &splits, &dwork, &dy, &N, &stride_c};
                unsigned reduce_blocks = ceil_div(d.m * d.n, 256);

                if (reduce_blocks > 65535)
                        reduce_blocks = 65535; /* the kernel loops over the rest */
                if ((e = b->malloc_(&dx, d.x_len * sizeof(float))) != HIP_SUCCESS)
                        what = "hipMalloc(x)";
                else if ((e = b->malloc_(&dw, d.w_len * sizeof(float))) != HIP_SUCCESS)
                        what = "hipMalloc(w)";
                else if ((e = b->malloc_(&dy, d.y_len * sizeof(float))) != HIP_SUCCESS)
                        what = "hipMalloc(y)";
                else if (work_len && (e = b->malloc_(&dwork, work_len * sizeof(float))) != HIP_SUCCESS)
                        what = "hipMalloc(split-K workspace)";
                else if ((e = b->memcpy_(dx, x, d.x_len * sizeof(float), HIP_MEMCPY_HOST_TO_DEVICE)) != HIP_SUCCESS)
                        what = "hipMemcpy(x)";
                else if ((e = b->memcpy_(dw, w, d.w_len * sizeof(float), HIP_MEMCPY_HOST_TO_DEVICE)) != HIP_SUCCESS)
                        what = "hipMemcpy(w)";
                else if ((e = b->module_launch_kernel(b->conv[plan->config], ceil_div(d.n, (size_t)cfg->bn),
                                                      ceil_div(d.m, (size_t)cfg->bm), s->n * (unsigned)splits,
                                                      (unsigned)cfg->threads, 1, 1, 0, NULL, conv_args, NULL)) !=
                         HIP_SUCCESS)
                        what = "launch gemm_conv_f32";
                else if (splits > 1 && (e = b->module_launch_kernel(b->reduce, reduce_blocks, s->n, 1, 256, 1, 1, 0,
                                                                    NULL, reduce_args, NULL)) != HIP_SUCCESS)
                        what = "launch gemm_splitk_reduce_f32";
                else if ((e = b->device_synchronize()) != HIP_SUCCESS)
                        what = "hipDeviceSynchronize";
                else if ((e = b->memcpy_(y, dy, d.y_len * sizeof(float), HIP_MEMCPY_DEVICE_TO_HOST)) != HIP_SUCCESS)
                        what = "hipMemcpy(y)";
        }
        r = what ? hip_fail(b, what, e) : 0;
        b->free_(dx);
        b->free_(dw);
        b->free_(dy);
        b->free_(dwork);
        return r;
}

static void hip_destroy(selftest_backend *base)
{
        hip_backend *b = (hip_backend *)base;

        if (b->module && b->module_unload)
                b->module_unload(b->module);
        /*
         * The runtime stays mapped: unloading libamdhip64 while its threads
         * and atexit handlers still exist crashes some versions.
         */
        free(b);
}

static const char *default_code_object(const backend_options *o)
{
        static char *build_co;
        const char *env = getenv("RDNA1_SELFTEST_CODE_OBJECT");

        if (o->code_object && *o->code_object)
                return o->code_object;
        if (env && *env)
                return env;
        /* a helper run from the build tree uses the build's code object (a path that lives until exit) */
        if (!build_co && build_tree_path("src/selftest/rdna1-selftest", "src/selftest/gemm_tiled.co", &build_co) < 0)
                return PKGLIBEXECDIR "/gemm_tiled.co";
        return build_co;
}

int backend_hip_open(const backend_options *o, backend_error *ret_err, selftest_backend **ret)
{
        hip_backend *b = calloc(1, sizeof(*b));
        int r;

        if (!b)
                return -ENOMEM;
        b->pub.name = "hip";
        b->pub.conv = hip_conv;
        b->pub.destroy = hip_destroy;
        r = hip_load(b, ret_err);
        if (r >= 0)
                r = hip_resolve(b, ret_err);
        if (r >= 0)
                r = hip_pick_device(b, o->device, ret_err);
        if (r >= 0)
                r = hip_load_module(b, default_code_object(o), ret_err);
        if (r < 0) {
                hip_destroy(&b->pub);
                return r;
        }
        *ret = &b->pub;
        return 0;
}
