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

/*
 * Copy the A and B tiles at (m0, k0) and (k0, n0) into the "LDS" buffers,
 * A transposed to as[k][m] as the kernel stores it, zeros outside the
 * matrices: the edge handling of the kernel's predicated loads.
 */
static void gemm_load_tiles(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                            int m0, int n0, int k0, float as[GEMM_BK][GEMM_BM],
                            float bs[GEMM_BK][GEMM_BN])
{
        for (int kk = 0; kk < GEMM_BK; kk++) {
                int k = k0 + kk;

                for (int mm = 0; mm < GEMM_BM; mm++) {
                        int m = m0 + mm;
                        as[kk][mm] = (m < M && k < K) ? A[(size_t) m * lda + k] : 0.0f;
                }
                for (int nn = 0; nn < GEMM_BN; nn++) {
                        int n = n0 + nn;
                        bs[kk][nn] = (n < N && k < K) ? B[(size_t) k * ldb + n] : 0.0f;
                }
        }
}

/*
 * One K step of one thread: the micro-tile rows/columns come from the same
 * GEMM_ROW/GEMM_COL mapping as the kernel, and each accumulator sees its
 * products in ascending k, as on the GPU.
 */
static void gemm_thread_step(int tid, const float as[GEMM_BK][GEMM_BM],
                             const float bs[GEMM_BK][GEMM_BN], float acc[GEMM_TM * GEMM_TN])
{
        int rows[GEMM_TM], cols[GEMM_TN];

        for (int i = 0; i < GEMM_TM; i++)
                rows[i] = GEMM_ROW(tid, i);
        for (int j = 0; j < GEMM_TN; j++)
                cols[j] = GEMM_COL(tid, j);

        for (int kk = 0; kk < GEMM_BK; kk++) {
                float b[GEMM_TN];

                for (int j = 0; j < GEMM_TN; j++)
                        b[j] = bs[kk][cols[j]];
                for (int i = 0; i < GEMM_TM; i++) {
                        float a = as[kk][rows[i]];

                        for (int j = 0; j < GEMM_TN; j++)
                                acc[i * GEMM_TN + j] += a * b[j];
                }
        }
}

static void gemm_store_tile(int M, int N, float *C, int ldc, int m0, int n0,
                            float acc[GEMM_THREADS][GEMM_TM * GEMM_TN])
{
        for (int tid = 0; tid < GEMM_THREADS; tid++)
                for (int i = 0; i < GEMM_TM; i++) {
                        int m = m0 + GEMM_ROW(tid, i);

                        if (m >= M)
                                continue;
                        for (int j = 0; j < GEMM_TN; j++) {
                                int n = n0 + GEMM_COL(tid, j);

                                if (n < N)
                                        C[(size_t) m * ldc + n] = acc[tid][i * GEMM_TN + j];
                        }
                }
}

void gemm_tiled_cpu(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc)
{
        /* the block's LDS stage and its threads' registers */
        float as[GEMM_BK][GEMM_BM], bs[GEMM_BK][GEMM_BN];
        static _Thread_local float acc[GEMM_THREADS][GEMM_TM * GEMM_TN];

        for (int m0 = 0; m0 < M; m0 += GEMM_BM)
                for (int n0 = 0; n0 < N; n0 += GEMM_BN) {
                        memset(acc, 0, sizeof(acc));
                        for (int k0 = 0; k0 < K; k0 += GEMM_BK) {
                                gemm_load_tiles(M, N, K, A, lda, B, ldb, m0, n0, k0, as, bs);
                                for (int tid = 0; tid < GEMM_THREADS; tid++)
                                        gemm_thread_step(tid, (const float (*)[GEMM_BM]) as,
                                                         (const float (*)[GEMM_BN]) bs, acc[tid]);
                        }
                        gemm_store_tile(M, N, C, ldc, m0, n0, acc);
                }
}

int conv_forward_cpu(const struct conv_shape *s, const float *x, const float *w, float *y)
{
        _cleanup_free_ float *col = NULL;
        struct conv_dims d;
        int r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;

        col = malloc(d.col_len * sizeof(float));
        if (!col)
                return -ENOMEM;

        for (size_t img = 0; img < s->n; img++) {
                conv_im2col(s, x + img * (d.x_len / s->n), col);
                gemm_tiled_cpu((int) d.m, (int) d.n, (int) d.k, w, (int) d.k, col, (int) d.n,
                               y + img * d.m * d.n, (int) d.n);
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

double conv_bound(size_t k, double abs)
{
        const double ud = 0x1p-53;
        double kud = (double) k * ud;

        return conv_gamma(k) * abs + kud / (1.0 - kud) * abs + (double) k * FLT_MIN;
}

size_t conv_check_bound(size_t n, size_t k, const float *y, const double *y_ref,
                        const double *y_abs, struct conv_check *ret)
{
        struct conv_check c = { .checked = n };

        for (size_t i = 0; i < n; i++) {
                double err = fabs((double) y[i] - y_ref[i]);
                double bound = conv_bound(k, y_abs[i]);
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
