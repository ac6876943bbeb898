/* agg_sums.c - one pod row's eight exact sums at once.
 *
 * Every pod row adds eight values (usage, request, effective usage and
 * limit of CPU and memory) to its group's sums, each a 192-bit integer
 * (xsum.h): one by one, some 20 instructions each.  Kept limb by limb
 * (struct pod_val), the eight sums are three 512-bit vectors, and where
 * the CPU has AVX-512 the common case (a value >= 2^-43 and < 2^90, zero
 * or NULL) is one pass of vector instructions for all eight: the
 * mantissas shifted into three limbs, then a three-limb add with the
 * carries as mask bits.  Values outside it (negative, below 2^-43, too
 * large, infinite) go through xsum_add afterwards, one by one, as before.
 * Both ways give the same limbs and the same overflow answer
 * (tests/unit/test_pod_sums.c: random and edge values from crafted
 * states).  On 16 M rows at 1x1 the adds and the rest of add_pod_rows
 * took 10-14 % fewer profile samples (about 2-3 % of the run): not more,
 * because the eight values come from eight columns and two of them are
 * computed, so the vector is built from scalars, and the group's entry
 * still has to come from memory. */
#include "engine/agg_internal.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VECTOR 1
#else
#define HAVE_VECTOR 0
#endif

/* The layout struct pod_val's comment promises: in a table entry (key,
 * then the value at HMAP_VAL_OFF), the sums start a cache line. */
_Static_assert(HMAP_VAL_OFF(sizeof(struct pod_key)) + offsetof(struct pod_val, w) == 64,
               "pod sums start a cache line of the entry");
_Static_assert(HMAP_VAL_OFF(sizeof(struct pod_key)) + sizeof(struct pod_val) == 256,
               "a pod entry is four cache lines");

/* Sum k of v plus x, the plain way. */
static int add_one(struct pod_val *v, int k, double x)
{
    struct xsum s = pod_sum(v, k);
    int ov = xsum_add(&s, x);
    pod_sum_set(v, k, &s);
    return ov;
}

int agg_pod_sums_add_plain(struct pod_val *v, const double x[PS_COUNT])
{
    int k, ov = 0;
    for (k = 0; k < PS_COUNT; k++)
        ov |= add_one(v, k, x[k]);
    return ov;
}

#if HAVE_VECTOR
__attribute__((target("avx512f"))) static int add_vector(struct pod_val *v, double x0, double x1,
                                                         double x2, double x3, double x4, double x5,
                                                         double x6, double x7)
{
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(1);
    const __m512i b = _mm512_castpd_si512(_mm512_set_pd(x7, x6, x5, x4, x3, x2, x1, x0));
    const __m512i e = _mm512_and_si512(_mm512_srli_epi64(b, 52), _mm512_set1_epi64(0x7ff));
    /* The fast path's values, as xsum_add's: positive, in [2^-43, 2^90). */
    const __mmask8 fast = _mm512_cmpge_epi64_mask(b, zero) &
                          _mm512_cmpge_epu64_mask(e, _mm512_set1_epi64(980)) &
                          _mm512_cmplt_epu64_mask(e, _mm512_set1_epi64(XSUM_EXP_LIMIT));
    /* +0, -0 and NaN (NULL) add nothing; what is left goes the plain way. */
    const __mmask8 none =
        _mm512_cmpeq_epi64_mask(_mm512_slli_epi64(b, 1), zero) |
        _mm512_cmpgt_epu64_mask(_mm512_slli_epi64(b, 1),
                                _mm512_set1_epi64((int64_t)0xffe0000000000000ull));
    const __mmask8 slow = (__mmask8)(~fast & ~none);
    const __m512i m = _mm512_or_si512(_mm512_and_si512(b, _mm512_set1_epi64(0xfffffffffffffll)),
                                      _mm512_set1_epi64(1ll << 52));
    /* value = m * 2^(e - 1075): m << sh in units of 2^-96, sh in 1..133,
     * which lands in limbs sh / 64 and the one above. */
    const __m512i sh = _mm512_sub_epi64(e, _mm512_set1_epi64(979));
    const __m512i s6 = _mm512_and_si512(sh, _mm512_set1_epi64(63));
    const __m512i k = _mm512_srli_epi64(sh, 6);
    const __m512i lo = _mm512_sllv_epi64(m, s6);
    /* A shift by 64 (s6 = 0) gives 0, as it must. */
    const __m512i hi = _mm512_srlv_epi64(m, _mm512_sub_epi64(_mm512_set1_epi64(64), s6));
    const __mmask8 k0 = fast & _mm512_cmpeq_epi64_mask(k, zero);
    const __mmask8 k1 = fast & _mm512_cmpeq_epi64_mask(k, one);
    const __mmask8 k2 = fast & _mm512_cmpeq_epi64_mask(k, _mm512_set1_epi64(2));
    const __m512i a0 = _mm512_maskz_mov_epi64(k0, lo);
    const __m512i a1 = _mm512_mask_mov_epi64(_mm512_maskz_mov_epi64(k1, lo), k0, hi);
    const __m512i a2 = _mm512_mask_mov_epi64(_mm512_maskz_mov_epi64(k2, lo), k1, hi);
    const __m512i w0 = _mm512_loadu_si512(v->w[0]), w1 = _mm512_loadu_si512(v->w[1]),
                  w2 = _mm512_loadu_si512(v->w[2]);
    const __m512i s0 = _mm512_add_epi64(w0, a0);
    const __mmask8 c0 = _mm512_cmplt_epu64_mask(s0, a0);
    const __m512i t1 = _mm512_add_epi64(w1, a1);
    const __m512i s1 = _mm512_mask_add_epi64(t1, c0, t1, one);
    /* Out of limb 1: from w1 + a1, or from the carry in wrapping it. */
    const __mmask8 c1 = _mm512_cmplt_epu64_mask(t1, a1) | (c0 & _mm512_cmpeq_epi64_mask(s1, zero));
    const __m512i t2 = _mm512_add_epi64(w2, a2);
    const __m512i s2 = _mm512_mask_add_epi64(t2, c1, t2, one);
    /* What a fast lane adds is not negative, so the top limb overflows
     * only from a sum >= 0 to one < 0. */
    int ov = (_mm512_cmpge_epi64_mask(w2, zero) & _mm512_cmplt_epi64_mask(s2, zero)) != 0;
    int q;

    _mm512_storeu_si512(v->w[0], s0);
    _mm512_storeu_si512(v->w[1], s1);
    _mm512_storeu_si512(v->w[2], s2);
    if (__builtin_expect(slow != 0, 0)) {
        const double x[PS_COUNT] = {x0, x1, x2, x3, x4, x5, x6, x7};
        for (q = 0; q < PS_COUNT; q++)
            if ((slow >> q) & 1)
                ov |= add_one(v, q, x[q]);
    }
    return ov;
}
#endif

int agg_pod_sums_vector_ok(void)
{
#if HAVE_VECTOR
    /* The CPU's answer (libgcc also checks that the OS keeps the vector
     * registers), cached; threads racing here store the same value. */
    static _Atomic int ok = -1;
    int v = atomic_load_explicit(&ok, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512f") && getenv("OCPAGG_NO_AVX512") == NULL;
        atomic_store_explicit(&ok, v, memory_order_relaxed);
    }
    return v;
#else
    return 0;
#endif
}

int agg_pod_sums_add_vector(struct pod_val *v, const double x[PS_COUNT])
{
#if HAVE_VECTOR
    return add_vector(v, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
#else
    return agg_pod_sums_add_plain(v, x);
#endif
}

int agg_pod_sums_add(struct pod_val *v, double u_cpu, double r_cpu, double e_cpu, double l_cpu,
                     double u_mem, double r_mem, double e_mem, double l_mem)
{
#if HAVE_VECTOR
    if (agg_pod_sums_vector_ok())
        return add_vector(v, u_cpu, r_cpu, e_cpu, l_cpu, u_mem, r_mem, e_mem, l_mem);
#endif
    {
        const double x[PS_COUNT] = {u_cpu, r_cpu, e_cpu, l_cpu, u_mem, r_mem, e_mem, l_mem};
        return agg_pod_sums_add_plain(v, x);
    }
}

int agg_pod_sums_merge(struct pod_val *dst, const struct pod_val *src)
{
    int k, ov = 0;
    for (k = 0; k < PS_COUNT; k++) {
        struct xsum s = pod_sum(dst, k);
        ov |= pod_sum_merge_into(&s, src, k);
        pod_sum_set(dst, k, &s);
    }
    return ov;
}
