/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "gemm_plan.h"

#define GEMM_CONFIG_ROW_(name_, bm_, bn_, bk_, tm_, tn_, wty_, wtx_)                                \
        [GEMM_CFG_##name_] = { .name = #name_, .bm = bm_, .bn = bn_, .bk = bk_, .tm = tm_, .tn = tn_, \
                               .wave_ty = wty_, .wave_tx = wtx_,                                    \
                               .threads = GEMM_THREADS_OF(bm_, bn_, tm_, tn_),                      \
                               .lds_bytes = GEMM_LDS_BYTES_OF(bm_, bn_, bk_) },
const struct gemm_config gemm_configs[_GEMM_CFG_MAX] = { GEMM_CONFIGS(GEMM_CONFIG_ROW_) };
#undef GEMM_CONFIG_ROW_

static int ceil_div(int a, int b)
{
        return (a + b - 1) / b;
}

int gemm_plan_make(enum gemm_config_id config, int splits, int K, struct gemm_plan *ret)
{
        struct gemm_plan p;
        int bk;

        if ((int) config < 0 || config >= _GEMM_CFG_MAX || splits < 1 || splits > GEMM_PLAN_MAX_SPLITS || K < 0)
                return -EINVAL;
        bk = gemm_configs[config].bk;
        p.config = config;
        if (splits == 1 || K <= bk) {
                p.splits = 1;
                p.k_chunk = K;
        } else {
                p.k_chunk = ceil_div(ceil_div(K, splits), bk) * bk;
                p.splits = ceil_div(K, p.k_chunk);      /* no empty chunk */
                if (p.splits == 1)
                        p.k_chunk = K;
        }
        *ret = p;
        return 0;
}

/*
 * The planner's cost model, in cycles of the busiest compute unit. A block
 * of configuration c does BM*BN FMAs per k of its chunk (rounded up to BK,
 * plus GEMM_PLAN_FILL_STEPS steps of pipeline fill and write-back). Blocks
 * are spread evenly, so the busiest CU runs ceil(blocks / CUs) of them; a
 * CU reaches its FMA rate only with GEMM_PLAN_SATURATING_THREADS threads
 * resident, fewer leave it waiting on latency. The rate depends on the
 * micro-tile (an 8x8 one reuses each LDS read twice as often as 4x4), and
 * each step also loads (BM + BN) * BK floats through the cache, which
 * small tiles pay for more often per FMA.
 * Split-K adds the reduction: each output's s partials written and read
 * back once, and a second launch. The constants were fitted to the timings
 * of every configuration x split count on the standard sweep and three
 * squares on a 132-SM NVIDIA H200 (bench/RESULTS.md, `MATRIX=1
 * bench/gemm/run.sh`): the plans they pick run within 13 % of the fastest
 * measured there. On a real RDNA1 card they are unmeasured; the model only
 * has to rank plans.
 *
 * The implicit GEMM of a convolution (gemm_conv_f32_*) gathers each B
 * element from the image with index arithmetic and a predicated scalar
 * load: a cost per B element (GEMM_PLAN_GATHER_CYCLES), and latency that
 * takes more resident threads to hide (GEMM_PLAN_IMPLICIT_SATURATING_THREADS).
 * Both were fitted the same way to every configuration x split count of the
 * implicit GEMM on the standard sweep on a 132-SM NVIDIA H100
 * (bench/RESULTS.md): its plans run within 11 % of the fastest measured there.
 */
#define GEMM_PLAN_FILL_STEPS 1
#define GEMM_PLAN_SATURATING_THREADS 128
#define GEMM_PLAN_BYTES_PER_CYCLE 8.0         /* memory bandwidth per CU and cycle */
#define GEMM_PLAN_CACHE_BYTES_PER_CYCLE 16.0  /* L2 -> CU bandwidth per CU and cycle */
#define GEMM_PLAN_LAUNCH_CYCLES 6000.0        /* a kernel launch: a few microseconds */
#define GEMM_PLAN_IMPLICIT_SATURATING_THREADS 384
#define GEMM_PLAN_GATHER_CYCLES 0.25

struct plan_model {
        double saturating_threads;
        double gather_cycles;   /* per B element and block: 0 for an explicit B */
};

static const struct plan_model explicit_model = { GEMM_PLAN_SATURATING_THREADS, 0 };
static const struct plan_model implicit_model = { GEMM_PLAN_IMPLICIT_SATURATING_THREADS, GEMM_PLAN_GATHER_CYCLES };

static double config_fma_per_cycle(const struct gemm_config *c)
{
        return c->tm * c->tn >= 64 ? 64.0 : 56.0;
}

static double plan_cost(const struct gemm_plan *p, int M, int N, int batch, int cus, const struct plan_model *model)
{
        const struct gemm_config *c = &gemm_configs[p->config];
        double tiles = (double) ceil_div(M, c->bm) * ceil_div(N, c->bn) * batch;
        double per_cu = ceil(tiles * p->splits / cus);
        double latency_bound = model->saturating_threads / c->threads;
        int k_steps = ceil_div(p->k_chunk, c->bk) + GEMM_PLAN_FILL_STEPS;
        double block = (double) k_steps * c->bk *
                       ((double) c->bm * c->bn / config_fma_per_cycle(c) +
                        (double) (c->bm + c->bn) * sizeof(float) / GEMM_PLAN_CACHE_BYTES_PER_CYCLE +
                        (double) c->bn * model->gather_cycles);
        double cost = fmax(per_cu, latency_bound) * block;

        if (p->splits > 1)
                cost += (double) M * N * batch * 2 * p->splits * sizeof(float) /
                                (GEMM_PLAN_BYTES_PER_CYCLE * cus) +
                        GEMM_PLAN_LAUNCH_CYCLES;
        return cost;
}

static void plan_select(int M, int N, int K, int batch, int compute_units, const struct plan_model *model,
                        struct gemm_plan *ret)
{
        int cus = compute_units > 0 ? compute_units : GEMM_PLAN_CPU_COMPUTE_UNITS;
        struct gemm_plan best;
        double best_cost = INFINITY;

        M = M > 0 ? M : 1;
        N = N > 0 ? N : 1;
        K = K > 0 ? K : 0;
        batch = batch > 0 ? batch : 1;
        (void) gemm_plan_make(GEMM_CFG_128x128, 1, K, &best);
        for (int id = 0; id < _GEMM_CFG_MAX; id++)
                for (int want = 1; want <= GEMM_PLAN_MAX_SPLITS; want *= 2) {
                        struct gemm_plan p;
                        double cost;

                        if (gemm_plan_make(id, want, K, &p) < 0 || p.splits != want)
                                continue;       /* K too short for that many chunks */
                        /* chunks of fewer than GEMM_PLAN_MIN_CHUNK_STEPS steps are all overhead */
                        if (p.splits > 1 && p.k_chunk < GEMM_PLAN_MIN_CHUNK_STEPS * gemm_configs[id].bk)
                                continue;
                        cost = plan_cost(&p, M, N, batch, cus, model);
                        /* strictly better only: ties keep the earlier (larger) configuration */
                        if (cost < best_cost) {
                                best = p;
                                best_cost = cost;
                        }
                }
        *ret = best;
}

void gemm_plan_select(int M, int N, int K, int batch, int compute_units, struct gemm_plan *ret)
{
        plan_select(M, N, K, batch, compute_units, &explicit_model, ret);
}

void gemm_plan_select_implicit(int M, int N, int K, int batch, int compute_units, struct gemm_plan *ret)
{
        plan_select(M, N, K, batch, compute_units, &implicit_model, ret);
}

int gemm_plan_check(const struct gemm_plan *p, int K)
{
        if (!p || (int) p->config < 0 || p->config >= _GEMM_CFG_MAX || K < 0 || p->splits < 1 ||
            p->splits > GEMM_PLAN_MAX_SPLITS)
                return -EINVAL;
        if (p->splits == 1)
                return p->k_chunk >= K ? 0 : -EINVAL;
        if (p->k_chunk <= 0 || p->k_chunk % gemm_configs[p->config].bk != 0)
                return -EINVAL;
        /* every chunk but the last is full and the last is not empty */
        if ((long long) p->k_chunk * (p->splits - 1) >= K || (long long) p->k_chunk * p->splits < K)
                return -EINVAL;
        return 0;
}

size_t gemm_plan_depth(const struct gemm_plan *p, int K)
{
        if (K <= 0)
                return 0;
        if (p->splits <= 1 || p->k_chunk >= K)
                return (size_t) K;
        return (size_t) p->k_chunk + (size_t) p->splits - 1;
}

size_t gemm_plan_workspace(const struct gemm_plan *p, int M, int N, int batch)
{
        if (p->splits <= 1)
                return 0;
        return (size_t) p->splits * (size_t) M * (size_t) N * (size_t) batch;
}

void gemm_plan_format(const struct gemm_plan *p, char *buf, size_t len)
{
        const char *name = (int) p->config >= 0 && p->config < _GEMM_CFG_MAX ? gemm_configs[p->config].name : "?";

        if (len == 0)
                return;
        if (p->splits > 1)
                snprintf(buf, len, "%s/s%d", name, p->splits);
        else
                snprintf(buf, len, "%s", name);
}
