/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/base/util.h"
#include "conv_cpu.h"
#include "gemm_config.h"
#include "gemm_plan.h"

static bool mul_fits_int(size_t a, size_t b, size_t *ret)
{
        if (a != 0 && b > (size_t) INT_MAX / a)
                return false;
        *ret = a * b;
        return true;
}

int conv_shape_dims(const struct conv_shape *s, struct conv_dims *ret_dims)
{
        struct conv_dims d;
        size_t hp, wp, t;

        if (!s || s->n == 0 || s->cin == 0 || s->h == 0 || s->w == 0 || s->cout == 0 ||
            s->kh == 0 || s->kw == 0 || s->stride == 0)
                return -EINVAL;

        hp = (size_t) s->h + 2 * (size_t) s->pad;
        wp = (size_t) s->w + 2 * (size_t) s->pad;
        if (s->kh > hp || s->kw > wp)
                return -EINVAL;

        d.ho = (hp - s->kh) / s->stride + 1;
        d.wo = (wp - s->kw) / s->stride + 1;
        d.m = s->cout;

        /* every product below must fit an int: the kernels take int sizes */
        if (!mul_fits_int(d.ho, d.wo, &d.n) ||
            !mul_fits_int(s->kh, s->kw, &t) || !mul_fits_int(t, s->cin, &d.k) ||
            !mul_fits_int(d.k, d.m, &d.w_len) ||
            !mul_fits_int(d.k, d.n, &d.col_len) ||
            !mul_fits_int(s->h, s->w, &t) || !mul_fits_int(t, s->cin, &t) ||
            !mul_fits_int(t, s->n, &d.x_len) ||
            !mul_fits_int(d.n, d.m, &t) || !mul_fits_int(t, s->n, &d.y_len))
                return -EINVAL;

        *ret_dims = d;
        return 0;
}

void conv_shape_format(const struct conv_shape *s, char *buf, size_t len)
{
        if (len == 0)
                return;
        snprintf(buf, len, "n%u c%ux%ux%u -> %u k%ux%u s%u p%u", s->n, s->cin, s->h, s->w,
                 s->cout, s->kh, s->kw, s->stride, s->pad);
}

/* One row of col: filter tap (kh, kw) of one channel xc over every output pixel. */
static void im2col_row(const struct conv_shape *s, const struct conv_dims *d, const float *xc,
                       size_t kh, size_t kw, float *out)
{
        for (size_t oh = 0; oh < d->ho; oh++) {
                long ih = (long) (oh * s->stride + kh) - (long) s->pad;

                for (size_t ow = 0; ow < d->wo; ow++) {
                        long iw = (long) (ow * s->stride + kw) - (long) s->pad;
                        bool in = ih >= 0 && ih < (long) s->h && iw >= 0 && iw < (long) s->w;

                        out[oh * d->wo + ow] = in ? xc[(size_t) ih * s->w + (size_t) iw] : 0.0f;
                }
        }
}

void conv_im2col(const struct conv_shape *s, const float *x_image, float *col)
{
        struct conv_dims d;

        if (conv_shape_dims(s, &d) < 0)
                return;

        for (size_t c = 0; c < s->cin; c++)
                for (size_t kh = 0; kh < s->kh; kh++)
                        for (size_t kw = 0; kw < s->kw; kw++) {
                                size_t row = (c * s->kh + kh) * s->kw + kw;

                                im2col_row(s, &d, x_image + c * s->h * s->w, kh, kw,
                                           col + row * d.n);
                        }
}

/* The block's "LDS" stage and its threads' accumulators, sized for one configuration. */
struct tile_scratch {
        float *as;      /* [bk][bm], A transposed as the kernel stores it */
        float *bs;      /* [bk][bn] */
        float *acc;     /* [threads][tm * tn] */
};

static void tile_scratch_free(struct tile_scratch *t)
{
        free(t->as);
        free(t->bs);
        free(t->acc);
}

static int tile_scratch_alloc(const struct gemm_config *c, struct tile_scratch *ret)
{
        struct tile_scratch t = {
                .as = malloc((size_t) c->bk * c->bm * sizeof(float)),
                .bs = malloc((size_t) c->bk * c->bn * sizeof(float)),
                .acc = malloc((size_t) c->threads * c->tm * c->tn * sizeof(float)),
        };

        if (!t.as || !t.bs || !t.acc) {
                tile_scratch_free(&t);
                return -ENOMEM;
        }
        *ret = t;
        return 0;
}

/*
 * Copy the A and B tiles at (m0, k0) and (k0, n0) into the "LDS" buffers,
 * A transposed to as[k][m] as the kernel stores it, zeros outside the
 * matrices: the edge handling of the kernel's predicated loads.
 */
static void gemm_load_tiles(const struct gemm_config *c, int M, int N, int K, const float *A, int lda,
                            const float *B, int ldb, int m0, int n0, int k0, float *as, float *bs)
{
        for (int kk = 0; kk < c->bk; kk++) {
                int k = k0 + kk;

                for (int mm = 0; mm < c->bm; mm++) {
                        int m = m0 + mm;
                        as[kk * c->bm + mm] = (m < M && k < K) ? A[(size_t) m * lda + k] : 0.0f;
                }
                for (int nn = 0; nn < c->bn; nn++) {
                        int n = n0 + nn;
                        bs[kk * c->bn + nn] = (n < N && k < K) ? B[(size_t) k * ldb + n] : 0.0f;
                }
        }
}

static int thread_row(const struct gemm_config *c, int tid, int i)
{
        return GEMM_ROW_OF(GEMM_ROW0_OF(tid, c->bn, c->tm, c->tn, c->wave_ty, c->wave_tx), i, c->wave_ty);
}

static int thread_col(const struct gemm_config *c, int tid, int j)
{
        return GEMM_COL_OF(GEMM_COL0_OF(tid, c->bn, c->tm, c->tn, c->wave_ty, c->wave_tx), j, c->wave_tx);
}

/*
 * One K step of one thread: the micro-tile rows/columns come from the same
 * GEMM_ROW_OF/GEMM_COL_OF mapping as the kernel, and each accumulator sees
 * its products in ascending k, as on the GPU.
 */
static void gemm_thread_step(const struct gemm_config *c, int tid, const float *as, const float *bs,
                             float *acc)
{
        int rows[8], cols[8];   /* tm, tn <= 8: gemm_config.h asserts it */

        for (int i = 0; i < c->tm; i++)
                rows[i] = thread_row(c, tid, i);
        for (int j = 0; j < c->tn; j++)
                cols[j] = thread_col(c, tid, j);

        for (int kk = 0; kk < c->bk; kk++) {
                float b[8];

                for (int j = 0; j < c->tn; j++)
                        b[j] = bs[kk * c->bn + cols[j]];
                for (int i = 0; i < c->tm; i++) {
                        float a = as[kk * c->bm + rows[i]];

                        for (int j = 0; j < c->tn; j++)
                                acc[i * c->tn + j] += a * b[j];
                }
        }
}

static void gemm_store_tile(const struct gemm_config *c, int M, int N, float *C, int ldc, int m0, int n0,
                            const float *acc)
{
        for (int tid = 0; tid < c->threads; tid++)
                for (int i = 0; i < c->tm; i++) {
                        int m = m0 + thread_row(c, tid, i);

                        if (m >= M)
                                continue;
                        for (int j = 0; j < c->tn; j++) {
                                int n = n0 + thread_col(c, tid, j);

                                if (n < N)
                                        C[(size_t) m * ldc + n] = acc[((size_t) tid * c->tm + i) * c->tn + j];
                        }
                }
}

/* One K chunk (all of K without split-K): the kernel's block tiles, K steps and threads. */
static void gemm_chunk_cpu(const struct gemm_config *c, const struct tile_scratch *t, int M, int N, int K,
                           const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
        size_t per_thread = (size_t) c->tm * c->tn;

        for (int m0 = 0; m0 < M; m0 += c->bm)
                for (int n0 = 0; n0 < N; n0 += c->bn) {
                        memset(t->acc, 0, (size_t) c->threads * per_thread * sizeof(float));
                        for (int k0 = 0; k0 < K; k0 += c->bk) {
                                gemm_load_tiles(c, M, N, K, A, lda, B, ldb, m0, n0, k0, t->as, t->bs);
                                for (int tid = 0; tid < c->threads; tid++)
                                        gemm_thread_step(c, tid, t->as, t->bs, t->acc + tid * per_thread);
                        }
                        gemm_store_tile(c, M, N, C, ldc, m0, n0, t->acc);
                }
}

int gemm_tiled_cpu(const struct gemm_plan *p, int M, int N, int K, const float *A, int lda, const float *B,
                   int ldb, float *C, int ldc)
{
        _cleanup_(tile_scratch_free) struct tile_scratch t = {};
        _cleanup_free_ float *work = NULL;
        const struct gemm_config *c;
        size_t mn = (size_t) M * N;
        int r;

        if (M < 0 || N < 0 || gemm_plan_check(p, K) < 0)
                return -EINVAL;
        c = &gemm_configs[p->config];
        r = tile_scratch_alloc(c, &t);
        if (r < 0)
                return r;
        if (p->splits == 1) {
                gemm_chunk_cpu(c, &t, M, N, K, A, lda, B, ldb, C, ldc);
                return 0;
        }

        /* split-K: each chunk's partial into the workspace, as the kernel's blocks do */
        work = malloc(gemm_plan_workspace(p, M, N, 1) * sizeof(float));
        if (!work)
                return -ENOMEM;
        for (int s = 0; s < p->splits; s++) {
                int k0 = s * p->k_chunk;
                int len = K - k0 < p->k_chunk ? K - k0 : p->k_chunk;

                gemm_chunk_cpu(c, &t, M, N, len > 0 ? len : 0, A + k0, lda, B + (size_t) k0 * ldb, ldb,
                               work + s * mn, N);
        }
        /* gemm_splitk_reduce_f32: partials added in the order s = 0, 1, ... */
        for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                        size_t i = (size_t) m * N + n;
                        float sum = work[i];

                        for (int s = 1; s < p->splits; s++)
                                sum += work[s * mn + i];
                        C[(size_t) m * ldc + n] = sum;
                }
        return 0;
}

int conv_plan(const struct conv_shape *s, int compute_units, struct gemm_plan *ret)
{
        struct conv_dims d;
        int r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;
        /* the GPU backends run convolutions as an implicit GEMM: plan for that */
        gemm_plan_select_implicit((int) d.m, (int) d.n, (int) d.k, (int) s->n, compute_units, ret);
        return 0;
}

int conv_forward_cpu(const struct conv_shape *s, const struct gemm_plan *plan, const float *x, const float *w,
                     float *y)
{
        _cleanup_free_ float *col = NULL;
        struct gemm_plan p;
        struct conv_dims d;
        int r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;
        if (plan)
                p = *plan;
        else
                gemm_plan_select((int) d.m, (int) d.n, (int) d.k, (int) s->n, GEMM_PLAN_CPU_COMPUTE_UNITS, &p);
        if (gemm_plan_check(&p, (int) d.k) < 0)
                return -EINVAL;

        col = malloc(d.col_len * sizeof(float));
        if (!col)
                return -ENOMEM;

        for (size_t img = 0; img < s->n; img++) {
                conv_im2col(s, x + img * (d.x_len / s->n), col);
                r = gemm_tiled_cpu(&p, (int) d.m, (int) d.n, (int) d.k, w, (int) d.k, col, (int) d.n,
                                   y + img * d.m * d.n, (int) d.n);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Add filter tap (kh, kw) of weight wv over channel xc to one output plane. */
static void reference_tap(const struct conv_shape *s, const struct conv_dims *d, const float *xc,
                          double wv, size_t kh, size_t kw, double *ref, double *abs_sum)
{
        for (size_t oh = 0; oh < d->ho; oh++) {
                long ih = (long) (oh * s->stride + kh) - (long) s->pad;

                if (ih < 0 || ih >= (long) s->h)
                        continue;
                for (size_t ow = 0; ow < d->wo; ow++) {
                        long iw = (long) (ow * s->stride + kw) - (long) s->pad;
                        double p;

                        if (iw < 0 || iw >= (long) s->w)
                                continue;
                        p = wv * xc[(size_t) ih * s->w + (size_t) iw];
                        ref[oh * d->wo + ow] += p;
                        abs_sum[oh * d->wo + ow] += fabs(p);
                }
        }
}

int conv_reference(const struct conv_shape *s, const float *x, const float *w, double *y_ref,
                   double *y_abs)
{
        struct conv_dims d;
        int r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;

        /*
         * Loop over the filter taps outside the pixels so the inner loop is a
         * contiguous row; summation order does not matter in double, whose
         * error (about k * 2^-53) is covered by conv_bound().
         */
        for (size_t img = 0; img < s->n; img++)
                for (size_t co = 0; co < s->cout; co++) {
                        double *ref = y_ref + (img * d.m + co) * d.n;
                        double *abs_sum = y_abs + (img * d.m + co) * d.n;
                        const float *wc = w + co * d.k;

                        memset(ref, 0, d.n * sizeof(double));
                        memset(abs_sum, 0, d.n * sizeof(double));
                        for (size_t c = 0; c < s->cin; c++) {
                                const float *xc = x + (img * s->cin + c) * s->h * s->w;

                                for (size_t kh = 0; kh < s->kh; kh++)
                                        for (size_t kw = 0; kw < s->kw; kw++) {
                                                double wv = wc[(c * s->kh + kh) * s->kw + kw];

                                                reference_tap(s, &d, xc, wv, kh, kw, ref, abs_sum);
                                        }
                        }
                }
        return 0;
}

void gemm_reference(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    double *c_ref, int ldr, double *c_abs)
{
        for (int m = 0; m < M; m++) {
                double *ref = c_ref + (size_t) m * ldr;
                double *abs_sum = c_abs + (size_t) m * ldr;

                for (int n = 0; n < N; n++)
                        ref[n] = abs_sum[n] = 0.0;
                for (int k = 0; k < K; k++) {
                        double a = A[(size_t) m * lda + k];
                        const float *b = B + (size_t) k * ldb;

                        for (int n = 0; n < N; n++) {
                                double p = a * b[n];

                                ref[n] += p;
                                abs_sum[n] += fabs(p);
                        }
                }
        }
}

double conv_gamma(size_t k)
{
        const double u = 0x1p-24;
        double ku = (double) k * u;

        /* gamma_k is only defined for k*u < 1; no bound exists beyond */
        if (ku >= 1.0)
                return INFINITY;
        return ku / (1.0 - ku);
}

struct conv_sum conv_sum_plain(size_t k)
{
        return (struct conv_sum){ .terms = k, .depth = k, .ops = k };
}

struct conv_sum conv_sum_plan(const struct gemm_plan *p, size_t k)
{
        size_t splits = p->splits > 1 ? (size_t) p->splits : 1;

        return (struct conv_sum){
                .terms = k,
                .depth = gemm_plan_depth(p, (int) k),
                .ops = k > 0 ? k + splits - 1 : 0,
        };
}

double conv_bound(const struct conv_sum *sum, double abs)
{
        const double ud = 0x1p-53;
        double kud = (double) sum->terms * ud;

        return conv_gamma(sum->depth) * abs + kud / (1.0 - kud) * abs + (double) sum->ops * FLT_MIN;
}

size_t conv_check_bound(size_t n, const struct conv_sum *sum, const float *y, const double *y_ref,
                        const double *y_abs, struct conv_check *ret)
{
        struct conv_check c = { .checked = n };

        for (size_t i = 0; i < n; i++) {
                double err = fabs((double) y[i] - y_ref[i]);
                double bound = conv_bound(sum, y_abs[i]);
                double ratio;

                /* written so that NaN fails: NaN <= x is false */
                if (isfinite(y[i]) && err <= bound) {
                        ratio = bound > 0.0 ? err / bound : 0.0;
                } else {
                        ratio = INFINITY;
                        if (c.bad == 0)
                                c.first_bad = i;
                        c.bad++;
                }
                if (ratio > c.worst_ratio)
                        c.worst_ratio = ratio;
        }

        if (ret)
                *ret = c;
        return c.bad;
}

bool conv_outputs_identical(const float *a, const float *b, size_t n)
{
        return memcmp(a, b, n * sizeof(float)) == 0;
}

/* xorshift64* (Vigna): a test-data generator, not for anything secret */
static uint64_t prng_next(uint64_t *state)
{
        uint64_t x = *state;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        return x * UINT64_C(0x2545F4914F6CDD1D);
}

static uint64_t prng_seed(uint64_t seed)
{
        /* xorshift must not start at 0 */
        return seed ^ UINT64_C(0x9E3779B97F4A7C15) ? seed ^ UINT64_C(0x9E3779B97F4A7C15) : 1;
}

/* uniform in [-1, 1): 24 random bits, exactly representable */
static float prng_float(uint64_t *state)
{
        return (float) ((int32_t) (prng_next(state) >> 40) - (1 << 23)) * 0x1p-23f;
}

void conv_fill_random(float *p, size_t n, uint64_t seed)
{
        uint64_t st = prng_seed(seed);

        for (size_t i = 0; i < n; i++)
                p[i] = prng_float(&st);
}

void conv_fill_cancellation(float *p, size_t n, size_t period, uint64_t seed)
{
        uint64_t st = prng_seed(seed);

        if (period == 0)
                period = 1;
        for (size_t i = 0; i < n; i++)
                p[i] = ((i / period) % 2 ? -0x1p20f : 0x1p20f) + prng_float(&st);
}

int conv_inject_errors(const struct conv_shape *s, float *y, unsigned which, size_t ret_pos[4])
{
        struct conv_dims d;
        size_t pos[4];
        int n = 0, r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;

        if (which & CONV_INJECT_FIRST)
                pos[n++] = 0;
        if (which & CONV_INJECT_EDGE_M)
                pos[n++] = (d.m - 1) * d.n;
        if (which & CONV_INJECT_EDGE_N)
                pos[n++] = d.n - 1;
        if (which & CONV_INJECT_EDGE_MN)
                pos[n++] = d.y_len - 1;

        /* tiny shapes can make two choices the same element: count it once */
        int distinct = 0;
        for (int i = 0; i < n; i++) {
                bool dup = false;

                for (int j = 0; j < distinct; j++)
                        dup = dup || ret_pos[j] == pos[i];
                if (dup)
                        continue;
                ret_pos[distinct++] = pos[i];
                y[pos[i]] += 0x1p20f * (1.0f + fabsf(y[pos[i]]));
        }
        return distinct;
}
