/* aclnn part of the emulator (test fixture): operators computed on the CPU in the stream's worker thread. */
#define _GNU_SOURCE
#include "emu_internal.h"
#include "tandem_aclnn.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- element types ---------- */
size_t emu_dtype_size(int t) {
    switch (t) {
        case ACL_FLOAT: case ACL_INT32: case ACL_UINT32: return 4;
        case ACL_FLOAT16: case ACL_BF16: case ACL_INT16: case ACL_UINT16: return 2;
        case ACL_INT8: case ACL_UINT8: case ACL_BOOL: return 1;
        case ACL_INT64: case ACL_UINT64: case ACL_DOUBLE: return 8;
        default: return 0;
    }
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t) (h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) { man <<= 1; exp--; }
            bits = sign | (exp << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000 | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t) ((x >> 23) & 0xFF);
    uint32_t man = x & 0x7FFFFF;
    if (exp == 255) return (uint16_t) (sign | 0x7C00 | (man ? 0x200 : 0));
    int32_t e = exp - 127 + 15;
    if (e >= 31) return (uint16_t) (sign | 0x7C00);
    if (e <= 0) {
        if (e < -10) return (uint16_t) sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t) (14 - e);
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1U << shift) - 1), mid = 1U << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t) (sign | half);
    }
    uint32_t half = sign | ((uint32_t) e << 10) | (man >> 13);
    uint32_t rem = man & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
    return (uint16_t) half;
}

static float bf16_to_float(uint16_t b) {
    uint32_t bits = (uint32_t) b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7FFFFFFF) > 0x7F800000) return (uint16_t) ((x >> 16) | 0x40);
    x += 0x7FFF + ((x >> 16) & 1);
    return (uint16_t) (x >> 16);
}

double emu_load(const void *p, int t) {
    switch (t) {
        case ACL_FLOAT: { float v; memcpy(&v, p, 4); return v; }
        case ACL_FLOAT16: { uint16_t v; memcpy(&v, p, 2); return half_to_float(v); }
        case ACL_BF16: { uint16_t v; memcpy(&v, p, 2); return bf16_to_float(v); }
        case ACL_DOUBLE: { double v; memcpy(&v, p, 8); return v; }
        case ACL_INT8: return *(const int8_t *) p;
        case ACL_UINT8: return *(const uint8_t *) p;
        case ACL_BOOL: return *(const uint8_t *) p != 0;
        case ACL_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
        case ACL_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
        case ACL_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
        case ACL_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
        case ACL_INT64: { int64_t v; memcpy(&v, p, 8); return (double) v; }
        case ACL_UINT64: { uint64_t v; memcpy(&v, p, 8); return (double) v; }
        default: return 0;
    }
}

void emu_store(void *p, int t, double d) {
    switch (t) {
        case ACL_FLOAT: { float v = (float) d; memcpy(p, &v, 4); break; }
        case ACL_FLOAT16: { uint16_t v = float_to_half((float) d); memcpy(p, &v, 2); break; }
        case ACL_BF16: { uint16_t v = float_to_bf16((float) d); memcpy(p, &v, 2); break; }
        case ACL_DOUBLE: memcpy(p, &d, 8); break;
        /* Integers wrap like the device's integer units: convert through int64 first. */
        case ACL_INT8: *(int8_t *) p = (int8_t) (int64_t) d; break;
        case ACL_UINT8: *(uint8_t *) p = (uint8_t) (int64_t) d; break;
        case ACL_BOOL: *(uint8_t *) p = d != 0; break;
        case ACL_INT16: { int16_t v = (int16_t) (int64_t) d; memcpy(p, &v, 2); break; }
        case ACL_UINT16: { uint16_t v = (uint16_t) (int64_t) d; memcpy(p, &v, 2); break; }
        case ACL_INT32: { int32_t v = (int32_t) (int64_t) d; memcpy(p, &v, 4); break; }
        case ACL_UINT32: { uint32_t v = (uint32_t) (int64_t) d; memcpy(p, &v, 4); break; }
        case ACL_INT64: { int64_t v = (int64_t) d; memcpy(p, &v, 8); break; }
        case ACL_UINT64: { uint64_t v = (uint64_t) d; memcpy(p, &v, 8); break; }
        default: break;
    }
}

/* ---------- objects ---------- */
#define MAXD 8
typedef struct tens {
    int dtype;
    int ndim;
    int64_t dims[MAXD];
    int64_t strides[MAXD];
    int64_t offset;
    char *data;
} tens;

struct aclTensor { tens t; };
struct aclScalar { double v; int dtype; };
struct aclIntArray { uint64_t n; int64_t *v; };
struct aclTensorList { uint64_t n; aclTensor **v; };

#define NENTER(fn) do { int inj_ = emu_enter(fn); if (inj_) return inj_; } while (0)

static int64_t numel(const tens *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

/* Highest element offset + 1 that the view touches, in elements from data. */
static int64_t extent(const tens *t) {
    if (numel(t) == 0) return 0;
    int64_t last = t->offset;
    for (int i = 0; i < t->ndim; i++) last += (t->dims[i] - 1) * t->strides[i];
    return last + 1;
}

static bool data_live(const tens *t) {
    int dev = -1;
    int64_t ext = extent(t);
    if (ext == 0) return true;
    return emu_mem_check(t->data, (size_t) ext * emu_dtype_size(t->dtype), &dev) && dev >= 0;
}

aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, aclDataType dataType, const int64_t *stride,
                           int64_t offset, aclFormat format, const int64_t *storageDims, uint64_t storageDimsNum,
                           void *tensorData) {
    (void) format;
    (void) storageDims;
    (void) storageDimsNum;
    if (emu_enter("aclCreateTensor")) return NULL;
    if (viewDimsNum > MAXD || (viewDimsNum && (!viewDims || !stride)) || emu_dtype_size(dataType) == 0 || offset < 0) {
        emu_set_error("aclCreateTensor: invalid arguments (rank %llu, dtype %d)", (unsigned long long) viewDimsNum,
                      (int) dataType);
        return NULL;
    }
    aclTensor *a = calloc(1, sizeof *a);
    a->t.dtype = dataType;
    a->t.ndim = (int) viewDimsNum;
    for (uint64_t i = 0; i < viewDimsNum; i++) {
        a->t.dims[i] = viewDims[i];
        a->t.strides[i] = stride[i];
    }
    a->t.offset = offset;
    a->t.data = tensorData;
    emu_reg_add(a, K_TENSOR);
    return a;
}

aclnnStatus aclDestroyTensor(const aclTensor *tensor) {
    NENTER("aclDestroyTensor");
    if (!emu_reg_has((void *) tensor, K_TENSOR)) return ACLNN_ERR_PARAM_INVALID;
    emu_reg_del((void *) tensor);
    free((void *) tensor);
    return ACLNN_SUCCESS;
}

aclScalar *aclCreateScalar(void *value, aclDataType dataType) {
    if (emu_enter("aclCreateScalar")) return NULL;
    if (!value || emu_dtype_size(dataType) == 0) return NULL;
    aclScalar *s = calloc(1, sizeof *s);
    s->v = emu_load(value, dataType);
    s->dtype = dataType;
    emu_reg_add(s, K_SCALAR);
    return s;
}

aclnnStatus aclDestroyScalar(const aclScalar *scalar) {
    NENTER("aclDestroyScalar");
    if (!emu_reg_has((void *) scalar, K_SCALAR)) return ACLNN_ERR_PARAM_INVALID;
    emu_reg_del((void *) scalar);
    free((void *) scalar);
    return ACLNN_SUCCESS;
}

aclIntArray *aclCreateIntArray(const int64_t *value, uint64_t size) {
    if (emu_enter("aclCreateIntArray")) return NULL;
    if (size && !value) return NULL;
    aclIntArray *a = calloc(1, sizeof *a);
    a->n = size;
    a->v = malloc(sizeof(int64_t) * (size ? size : 1));
    if (size) memcpy(a->v, value, sizeof(int64_t) * size);
    emu_reg_add(a, K_INTARRAY);
    return a;
}

aclnnStatus aclDestroyIntArray(const aclIntArray *array) {
    NENTER("aclDestroyIntArray");
    if (!emu_reg_has((void *) array, K_INTARRAY)) return ACLNN_ERR_PARAM_INVALID;
    emu_reg_del((void *) array);
    free(array->v);
    free((void *) array);
    return ACLNN_SUCCESS;
}

aclTensorList *aclCreateTensorList(const aclTensor *const *value, uint64_t size) {
    if (emu_enter("aclCreateTensorList")) return NULL;
    if (size && !value) return NULL;
    for (uint64_t i = 0; i < size; i++) {
        if (!emu_reg_has((void *) value[i], K_TENSOR)) return NULL;
    }
    aclTensorList *l = calloc(1, sizeof *l);
    l->n = size;
    l->v = malloc(sizeof(aclTensor *) * (size ? size : 1));
    for (uint64_t i = 0; i < size; i++) l->v[i] = (aclTensor *) value[i];
    emu_reg_add(l, K_TENSORLIST);
    return l;
}

aclnnStatus aclDestroyTensorList(const aclTensorList *array) {
    NENTER("aclDestroyTensorList");
    if (!emu_reg_has((void *) array, K_TENSORLIST)) return ACLNN_ERR_PARAM_INVALID;
    emu_reg_del((void *) array);
    /* As in CANN, the list owns its tensors. */
    for (uint64_t i = 0; i < array->n; i++) {
        emu_reg_del(array->v[i]);
        free(array->v[i]);
    }
    free(array->v);
    free((void *) array);
    return ACLNN_SUCCESS;
}

/* ---------- executors ---------- */
enum opk { OP_MATMUL = 1, OP_ADD, OP_MUL, OP_MULS, OP_INPLACE_MUL, OP_RMSNORM, OP_SILU, OP_SIGMOID, OP_SOFTMAX,
           OP_TOPK, OP_INDEX_SELECT, OP_INDEX_ADD, OP_CAST, OP_COPY, OP_FILL, OP_MASKED_FILL, OP_COS, OP_SIN,
           OP_ROPE, OP_GMM, OP_MOE_INIT, OP_MOE_FINALIZE, OP_MOE_GATING, OP_SWIGLU };

struct aclOpExecutor {
    int op;
    char name[40];
    int nt;
    tens t[8];
    bool has[8];  /* false for an optional tensor passed as NULL */
    double s[2];
    int64_t k;
    int64_t attr[6];
    bool largest;
    uint64_t workspace;
};

/* optional: bit i set means tensor i may be NULL (an absent optional input or output). */
static aclnnStatus new_exec_opt(int op, const char *name, uint64_t ws, uint64_t *workspaceSize,
                                aclOpExecutor **executor, int nt, const aclTensor *const *ts, unsigned optional,
                                aclOpExecutor **out) {
    if (!workspaceSize || !executor) return ACLNN_ERR_PARAM_NULLPTR;
    for (int i = 0; i < nt; i++) {
        if (!ts[i] && (optional & (1u << i))) continue;
        if (!ts[i]) {
            emu_set_error("%sGetWorkspaceSize: tensor argument %d is NULL", name, i);
            return ACLNN_ERR_PARAM_NULLPTR;
        }
        if (!emu_reg_has((void *) ts[i], K_TENSOR)) {
            emu_set_error("%sGetWorkspaceSize: tensor argument %d is not a live aclTensor", name, i);
            return ACLNN_ERR_PARAM_INVALID;
        }
        if (!data_live(&ts[i]->t)) {
            emu_set_error("%sGetWorkspaceSize: tensor argument %d does not lie inside live device memory", name, i);
            return ACLNN_ERR_PARAM_INVALID;
        }
    }
    if (emu_current_device() < 0) {
        emu_set_error("%sGetWorkspaceSize: no current device on this thread", name);
        return ACLNN_ERR_RUNTIME_ERROR;
    }
    aclOpExecutor *e = calloc(1, sizeof *e);
    e->op = op;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->nt = nt;
    for (int i = 0; i < nt; i++) {
        e->has[i] = ts[i] != NULL;
        if (ts[i]) e->t[i] = ts[i]->t;
    }
    e->workspace = ws;
    *out = e;
    return ACLNN_SUCCESS;
}

static aclnnStatus new_exec(int op, const char *name, uint64_t ws, uint64_t *workspaceSize, aclOpExecutor **executor,
                            int nt, const aclTensor *const *ts, aclOpExecutor **out) {
    return new_exec_opt(op, name, ws, workspaceSize, executor, nt, ts, 0, out);
}

static aclnnStatus finish_exec(aclOpExecutor *e, uint64_t *workspaceSize, aclOpExecutor **executor) {
    *workspaceSize = e->workspace;
    *executor = e;
    emu_reg_add(e, K_EXECUTOR);
    return ACLNN_SUCCESS;
}

static aclnnStatus shape_error(aclOpExecutor *e, const char *why) {
    emu_set_error("%sGetWorkspaceSize: %s", e->name, why);
    free(e);
    return ACLNN_ERR_PARAM_INVALID;
}

static bool same_shape(const tens *a, const tens *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++) {
        if (a->dims[i] != b->dims[i]) return false;
    }
    return true;
}

static bool broadcastable(const tens *small, const tens *big) {
    if (small->ndim > big->ndim) return false;
    for (int i = 1; i <= small->ndim; i++) {
        int64_t s = small->dims[small->ndim - i], b = big->dims[big->ndim - i];
        if (s != b && s != 1) return false;
    }
    return true;
}

static bool is_float(int dt) {
    return dt == ACL_FLOAT || dt == ACL_FLOAT16 || dt == ACL_BF16;
}

/* ---------- the documented dtype tables (Atlas A2 columns of the aclnn pages; sources in VERIFIED.md) ---------- */
#define DT(t) (1ull << (t))
#define DT_FLOATS (DT(ACL_FLOAT) | DT(ACL_FLOAT16) | DT(ACL_BF16))
#define DT_INTS (DT(ACL_INT8) | DT(ACL_INT16) | DT(ACL_INT32) | DT(ACL_INT64) | DT(ACL_UINT8))
#define DT_COMPLEX (DT(ACL_COMPLEX64) | DT(ACL_COMPLEX128))
/* aclnnAdd/Mul/Muls/InplaceMul, aclnnIndexSelect */
#define DT_ARITH (DT_FLOATS | DT(ACL_DOUBLE) | DT_INTS | DT(ACL_BOOL) | DT_COMPLEX)
/* aclnnCast: the arithmetic set plus the unsigned 16/32/64-bit types */
#define DT_CAST (DT_ARITH | DT(ACL_UINT16) | DT(ACL_UINT32) | DT(ACL_UINT64))
/* aclnnIndexAdd: the arithmetic set without complex */
#define DT_INDEX_ADD (DT_FLOATS | DT(ACL_DOUBLE) | DT_INTS | DT(ACL_BOOL))
/* aclnnInplaceMaskedFillScalar selfRef */
#define DT_MASKED_FILL (DT_FLOATS | DT(ACL_INT8) | DT(ACL_INT32) | DT(ACL_INT64) | DT(ACL_BOOL))
/* aclnnSoftmax, aclnnSigmoid */
#define DT_REAL_FLOATS (DT_FLOATS | DT(ACL_DOUBLE))
#define DT_INDEX (DT(ACL_INT32) | DT(ACL_INT64))

static bool dt_in(int dt, uint64_t set) {
    return dt >= 0 && dt < 64 && ((set >> dt) & 1u);
}

static const char *dt_name(int dt) {
    switch (dt) {
        case ACL_FLOAT: return "FLOAT"; case ACL_FLOAT16: return "FLOAT16"; case ACL_BF16: return "BFLOAT16";
        case ACL_DOUBLE: return "DOUBLE"; case ACL_INT8: return "INT8"; case ACL_INT16: return "INT16";
        case ACL_INT32: return "INT32"; case ACL_INT64: return "INT64"; case ACL_UINT8: return "UINT8";
        case ACL_UINT16: return "UINT16"; case ACL_UINT32: return "UINT32"; case ACL_UINT64: return "UINT64";
        case ACL_BOOL: return "BOOL"; case ACL_COMPLEX64: return "COMPLEX64"; case ACL_COMPLEX128: return "COMPLEX128";
        default: return "UNDEFINED";
    }
}

/* bool < integer < floating < complex: a value may be cast to its own or a later category (the aclnn pages'
   "castable" rule, which follows PyTorch's canCast). */
static int dt_category(int dt) {
    if (dt == ACL_BOOL) return 0;
    if (dt_in(dt, DT_COMPLEX)) return 3;
    if (dt_in(dt, DT_REAL_FLOATS)) return 2;
    return 1;
}

static bool dt_castable(int from, int to) {
    return dt_category(from) <= dt_category(to);
}

/* The type two operands promote to (the aclnn "互推导关系" table for the types Tandem sends). */
static int dt_promote(int a, int b) {
    if (a == b) return a;
    int ca = dt_category(a), cb = dt_category(b);
    if (ca != cb) return ca > cb ? a : b;
    if (ca == 2) {
        if (a == ACL_DOUBLE || b == ACL_DOUBLE) return ACL_DOUBLE;
        return ACL_FLOAT; /* FLOAT with anything, or FLOAT16 with BFLOAT16 */
    }
    if ((a == ACL_UINT8 && b == ACL_INT8) || (a == ACL_INT8 && b == ACL_UINT8)) return ACL_INT16;
    return emu_dtype_size(a) >= emu_dtype_size(b) ? a : b;
}

/* Frees the half-built executor and reports ACLNN_ERR_PARAM_INVALID (161002), as phase 1 does. */
static aclnnStatus param_invalid(aclOpExecutor *e, const char *fmt, ...) {
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    emu_set_error("%sGetWorkspaceSize: %s", e->name, why);
    free(e);
    return ACLNN_ERR_PARAM_INVALID;
}

#define NEED_DT(i, arg, set) do { \
        if (!dt_in(e->t[i].dtype, (set))) \
            return param_invalid(e, "%s dtype %s is not supported on Atlas A2", (arg), dt_name(e->t[i].dtype)); \
    } while (0)
#define SAME_DT(i, arg, j, ref) do { \
        if (e->t[i].dtype != e->t[j].dtype) \
            return param_invalid(e, "%s dtype %s must equal %s's %s", (arg), dt_name(e->t[i].dtype), (ref), \
                                 dt_name(e->t[j].dtype)); \
    } while (0)
#define MAX_RANK(i, arg, r) do { \
        if (e->t[i].ndim > (r)) return param_invalid(e, "%s has %d dimensions, more than %d", (arg), e->t[i].ndim, (r)); \
    } while (0)
#define CASTABLE(from, i, arg) do { \
        if (!dt_castable((from), e->t[i].dtype)) \
            return param_invalid(e, "%s dtype %s cannot hold the result type %s", (arg), dt_name(e->t[i].dtype), \
                                 dt_name(from)); \
    } while (0)

static char *addr_of(const tens *t, const int64_t *idx) {
    int64_t off = t->offset;
    for (int i = 0; i < t->ndim; i++) off += idx[i] * t->strides[i];
    return t->data + off * (int64_t) emu_dtype_size(t->dtype);
}

/* Address of the element of t that broadcasts onto index idx of a rank-nd shape. */
static char *addr_bcast(const tens *t, const int64_t *idx, int nd) {
    int64_t off = t->offset;
    for (int i = 1; i <= t->ndim; i++) {
        int64_t d = t->dims[t->ndim - i];
        int64_t j = d == 1 ? 0 : idx[nd - i];
        off += j * t->strides[t->ndim - i];
    }
    return t->data + off * (int64_t) emu_dtype_size(t->dtype);
}

static void unravel(int64_t lin, const tens *t, int64_t *idx) {
    for (int i = t->ndim - 1; i >= 0; i--) {
        idx[i] = t->dims[i] ? lin % t->dims[i] : 0;
        lin = t->dims[i] ? lin / t->dims[i] : 0;
    }
}

static float ld(const tens *t, const char *p) {
    return (float) emu_load(p, t->dtype);
}

static void st(const tens *t, char *p, float v) {
    emu_store(p, t->dtype, v);
}

static int run_matmul(aclOpExecutor *e) {
    tens *a = &e->t[0], *b = &e->t[1], *o = &e->t[2];
    int64_t m = a->dims[a->ndim - 2], k = a->dims[a->ndim - 1], n = b->dims[b->ndim - 1];
    int64_t batch = o->ndim == 3 ? o->dims[0] : 1;
    int64_t ia[3], ib[3], io[3];
    for (int64_t bb = 0; bb < batch; bb++) {
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j < n; j++) {
                float acc = 0;
                for (int64_t p = 0; p < k; p++) {
                    int na = 0, nb = 0;
                    if (a->ndim == 3) ia[na++] = bb;
                    ia[na++] = i;
                    ia[na++] = p;
                    if (b->ndim == 3) ib[nb++] = bb;
                    ib[nb++] = p;
                    ib[nb++] = j;
                    acc += ld(a, addr_of(a, ia)) * ld(b, addr_of(b, ib));
                }
                int no = 0;
                if (o->ndim == 3) io[no++] = bb;
                io[no++] = i;
                io[no++] = j;
                st(o, addr_of(o, io), acc);
            }
        }
    }
    return 0;
}

static int run_elementwise(aclOpExecutor *e) {
    bool in_place = e->op == OP_INPLACE_MUL || e->op == OP_FILL || e->op == OP_MASKED_FILL;
    tens *out = in_place ? &e->t[0] : &e->t[e->nt - 1];
    int64_t n = numel(out), idx[MAXD];
    if (e->op == OP_FILL) {
        /* Through double, so that integer fills keep every bit (1 << 40 in I64). */
        double v = is_float(out->dtype) ? (double) (float) e->s[0] : e->s[0];
        for (int64_t i = 0; i < n; i++) {
            unravel(i, out, idx);
            emu_store(addr_of(out, idx), out->dtype, v);
        }
        return 0;
    }
    float *vals = malloc(sizeof(float) * (size_t) (n ? n : 1));
    /* Compute everything first so outputs that alias inputs read the old values. */
    for (int64_t i = 0; i < n; i++) {
        unravel(i, out, idx);
        float x = 0, y = 0, r = 0;
        switch (e->op) {
            case OP_ADD:
                x = ld(&e->t[0], addr_bcast(&e->t[0], idx, out->ndim));
                y = ld(&e->t[1], addr_bcast(&e->t[1], idx, out->ndim));
                r = x + (float) e->s[0] * y;
                break;
            case OP_MUL:
                r = ld(&e->t[0], addr_bcast(&e->t[0], idx, out->ndim)) * ld(&e->t[1], addr_bcast(&e->t[1], idx, out->ndim));
                break;
            case OP_INPLACE_MUL:
                r = ld(&e->t[0], addr_of(&e->t[0], idx)) * ld(&e->t[1], addr_bcast(&e->t[1], idx, out->ndim));
                break;
            case OP_MULS:
                r = ld(&e->t[0], addr_of(&e->t[0], idx)) * (float) e->s[0];
                break;
            case OP_SILU:
                x = ld(&e->t[0], addr_of(&e->t[0], idx));
                r = x / (1.0f + expf(-x));
                break;
            case OP_SIGMOID:
                x = ld(&e->t[0], addr_of(&e->t[0], idx));
                r = 1.0f / (1.0f + expf(-x));
                break;
            case OP_COS:
                r = cosf(ld(&e->t[0], addr_of(&e->t[0], idx)));
                break;
            case OP_SIN:
                r = sinf(ld(&e->t[0], addr_of(&e->t[0], idx)));
                break;
            case OP_MASKED_FILL:
                r = emu_load(addr_bcast(&e->t[1], idx, out->ndim), e->t[1].dtype) != 0
                        ? (float) e->s[0] : ld(out, addr_of(out, idx));
                break;
            default:
                break;
        }
        vals[i] = r;
    }
    for (int64_t i = 0; i < n; i++) {
        unravel(i, out, idx);
        st(out, addr_of(out, idx), vals[i]);
    }
    free(vals);
    return 0;
}

/* out = silu(A) * B, A and B the first and second half of x along axis e->k (aclnnSwiGlu). */
static int run_swiglu(aclOpExecutor *e) {
    tens *x = &e->t[0], *out = &e->t[1];
    int axis = (int) e->k;
    int64_t half = out->dims[axis], n = numel(out), idx[MAXD];
    for (int64_t i = 0; i < n; i++) {
        unravel(i, out, idx);
        float a = ld(x, addr_of(x, idx));
        idx[axis] += half;
        float b = ld(x, addr_of(x, idx));
        idx[axis] -= half;
        st(out, addr_of(out, idx), a / (1.0f + expf(-a)) * b);
    }
    return 0;
}

/* Copies and casts go through double so that integers keep their exact value. */
static int run_convert(aclOpExecutor *e) {
    tens *src = &e->t[e->op == OP_COPY ? 1 : 0], *dst = &e->t[e->op == OP_COPY ? 0 : 1];
    int64_t n = numel(dst), idx[MAXD];
    double *vals = malloc(sizeof(double) * (size_t) (n ? n : 1));
    double lo = 0, hi = 0;
    bool bounded = true;
    switch (dst->dtype) {
        case ACL_INT8: lo = -128; hi = 127; break;
        case ACL_UINT8: lo = 0; hi = 255; break;
        case ACL_INT16: lo = -32768; hi = 32767; break;
        case ACL_INT32: lo = -2147483648.0; hi = 2147483647.0; break;
        default: bounded = false; break;
    }
    for (int64_t i = 0; i < n; i++) {
        unravel(i, dst, idx);
        vals[i] = emu_load(addr_bcast(src, idx, dst->ndim), src->dtype);
        if (bounded && !is_float(src->dtype) && (vals[i] < lo || vals[i] > hi)) {
            /* Deliberate emulator check (CANN's cast wraps): an index that does not fit is a bug upstream. */
            emu_set_error("%s: value %.0f at element %lld is out of range for the target integer type", e->name,
                          vals[i], (long long) i);
            free(vals);
            return ACL_ERROR_RT_AICORE_EXCEPTION;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        unravel(i, dst, idx);
        double v = vals[i];
        if (is_float(dst->dtype) && dst->dtype != ACL_FLOAT) v = (float) v;
        emu_store(addr_of(dst, idx), dst->dtype, v);
    }
    free(vals);
    return 0;
}

/* Row-wise ops over the last axis: rows are all index combinations of the leading axes. */
static int run_rows(aclOpExecutor *e) {
    tens *x = &e->t[0];
    int nd = x->ndim;
    int64_t cols = x->dims[nd - 1], rows = cols ? numel(x) / cols : 0;
    tens lead = *x;
    lead.ndim = nd - 1;
    float *buf = malloc(sizeof(float) * (size_t) (cols ? cols : 1));
    int64_t idx[MAXD];
    for (int64_t r = 0; r < rows; r++) {
        unravel(r, &lead, idx);
        for (int64_t c = 0; c < cols; c++) {
            idx[nd - 1] = c;
            buf[c] = ld(x, addr_of(x, idx));
        }
        if (e->op == OP_RMSNORM) {
            tens *g = &e->t[1], *y = &e->t[2], *rs = &e->t[3];
            float ss = 0;
            for (int64_t c = 0; c < cols; c++) ss += buf[c] * buf[c];
            float rstd = 1.0f / sqrtf(ss / (float) cols + (float) e->s[0]);
            for (int64_t c = 0; c < cols; c++) {
                idx[nd - 1] = c;
                int64_t gi[1] = {c};
                st(y, addr_of(y, idx), buf[c] * rstd * ld(g, addr_of(g, gi)));
            }
            int64_t ri[MAXD];
            unravel(r, rs, ri);
            if (numel(rs) == rows) st(rs, addr_of(rs, ri), rstd);
        } else if (e->op == OP_SOFTMAX) {
            tens *o = &e->t[1];
            float mx = -INFINITY, sum = 0;
            for (int64_t c = 0; c < cols; c++) mx = buf[c] > mx ? buf[c] : mx;
            for (int64_t c = 0; c < cols; c++) { buf[c] = expf(buf[c] - mx); sum += buf[c]; }
            for (int64_t c = 0; c < cols; c++) { idx[nd - 1] = c; st(o, addr_of(o, idx), buf[c] / sum); }
        } else if (e->op == OP_TOPK) {
            tens *vals = &e->t[1], *inds = &e->t[2];
            int64_t k = e->k;
            bool *used = calloc((size_t) (cols ? cols : 1), 1);
            for (int64_t j = 0; j < k; j++) {
                int64_t best = -1;
                for (int64_t c = 0; c < cols; c++) {
                    if (used[c]) continue;
                    if (best < 0 || (e->largest ? buf[c] > buf[best] : buf[c] < buf[best])) best = c;
                }
                used[best] = true;
                idx[nd - 1] = j;
                st(vals, addr_of(vals, idx), buf[best]);
                emu_store(addr_of(inds, idx), inds->dtype, (double) best);
            }
            free(used);
        }
    }
    free(buf);
    return 0;
}

static int run_index(aclOpExecutor *e) {
    tens *self = &e->t[0], *index = &e->t[1];
    int64_t m = numel(index), rows = self->dims[0];
    int64_t inner = rows ? numel(self) / rows : 0;
    tens row = *self;
    row.ndim = self->ndim - 1;
    for (int i = 0; i < row.ndim; i++) { row.dims[i] = self->dims[i + 1]; row.strides[i] = self->strides[i + 1]; }
    int64_t ii[1], idx[MAXD], sidx[MAXD];
    for (int64_t i = 0; i < m; i++) {
        ii[0] = i;
        int64_t r = (int64_t) emu_load(addr_of(index, ii), index->dtype);
        if (r < 0 || r >= rows) {
            emu_set_error("%s: index %lld at position %lld is out of range [0, %lld)", e->name, (long long) r,
                          (long long) i, (long long) rows);
            return ACL_ERROR_RT_AICORE_EXCEPTION;
        }
    }
    if (e->op == OP_INDEX_SELECT) {
        tens *out = &e->t[2];
        for (int64_t i = 0; i < m; i++) {
            ii[0] = i;
            int64_t r = (int64_t) emu_load(addr_of(index, ii), index->dtype);
            for (int64_t c = 0; c < inner; c++) {
                unravel(c, &row, idx + 1);
                idx[0] = r;
                sidx[0] = i;
                memcpy(sidx + 1, idx + 1, sizeof(int64_t) * (size_t) row.ndim);
                emu_store(addr_of(out, sidx), out->dtype, emu_load(addr_of(self, idx), self->dtype));
            }
        }
    } else {
        tens *src = &e->t[2], *out = &e->t[3];
        if (out->data != self->data || out->offset != self->offset) {
            for (int64_t c = 0; c < numel(self); c++) {
                unravel(c, self, idx);
                emu_store(addr_of(out, idx), out->dtype, emu_load(addr_of(self, idx), self->dtype));
            }
        }
        for (int64_t i = 0; i < m; i++) {
            ii[0] = i;
            int64_t r = (int64_t) emu_load(addr_of(index, ii), index->dtype);
            for (int64_t c = 0; c < inner; c++) {
                unravel(c, &row, idx + 1);
                idx[0] = r;
                sidx[0] = i;
                memcpy(sidx + 1, idx + 1, sizeof(int64_t) * (size_t) row.ndim);
                float v = ld(out, addr_of(out, idx)) + (float) e->s[0] * ld(src, addr_of(src, sidx));
                st(out, addr_of(out, idx), v);
            }
        }
    }
    return 0;
}

/* Rotary embedding: mode 1 rotates interleaved pairs (x[2i], x[2i+1]), mode 0 the two halves of the last axis. */
static int run_rope(aclOpExecutor *e) {
    tens *x = &e->t[0], *c = &e->t[1], *sn = &e->t[2], *out = &e->t[3];
    int nd = x->ndim;
    int64_t d = x->dims[nd - 1], n = numel(x), idx[MAXD], pidx[MAXD];
    float *vals = malloc(sizeof(float) * (size_t) (n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        unravel(i, x, idx);
        int64_t j = idx[nd - 1];
        memcpy(pidx, idx, sizeof(int64_t) * (size_t) nd);
        float sign;
        if (e->k == 1) {
            pidx[nd - 1] = (j % 2 == 0) ? j + 1 : j - 1;
            sign = (j % 2 == 0) ? -1.0f : 1.0f;
        } else {
            pidx[nd - 1] = j < d / 2 ? j + d / 2 : j - d / 2;
            sign = j < d / 2 ? -1.0f : 1.0f;
        }
        float xv = ld(x, addr_of(x, idx)), pv = ld(x, addr_of(x, pidx));
        float cv = ld(c, addr_bcast(c, idx, nd)), sv = ld(sn, addr_bcast(sn, idx, nd));
        vals[i] = xv * cv + sign * pv * sv;
    }
    for (int64_t i = 0; i < n; i++) {
        unravel(i, out, idx);
        st(out, addr_of(out, idx), vals[i]);
    }
    free(vals);
    return 0;
}

/* Grouped matmul, M-axis groups: rows [start_g, start_g + size_g) of x times weight[g]. */
static int run_gmm(aclOpExecutor *e) {
    tens *x = &e->t[0], *w = &e->t[1], *gl = &e->t[2], *y = &e->t[3];
    int64_t m = x->dims[0], k = x->dims[1], groups = w->dims[0], n = w->dims[2];
    int64_t start = 0, gi[1], xi[2], wi[3], yi[2];
    for (int64_t g = 0; g < groups; g++) {
        gi[0] = g;
        int64_t v = (int64_t) emu_load(addr_of(gl, gi), gl->dtype);
        int64_t end = e->k == 0 ? v : start + v; /* groupListType 0: cumulative ends, 1: sizes */
        if (end < start || end > m) {
            emu_set_error("%s: group list entry %lld (%lld) is out of range for %lld rows", e->name, (long long) g,
                          (long long) v, (long long) m);
            return ACL_ERROR_RT_AICORE_EXCEPTION;
        }
        for (int64_t r = start; r < end; r++) {
            for (int64_t j = 0; j < n; j++) {
                float acc = 0;
                for (int64_t p = 0; p < k; p++) {
                    xi[0] = r; xi[1] = p;
                    wi[0] = g; wi[1] = p; wi[2] = j;
                    acc += ld(x, addr_of(x, xi)) * ld(w, addr_of(w, wi));
                }
                yi[0] = r; yi[1] = j;
                st(y, addr_of(y, yi), acc);
            }
        }
        start = end;
    }
    return 0;
}


/* ---------- MoE routing (semantics: see VERIFIED.md, "MoeInitRoutingV3 / MoeFinalizeRoutingV2") ---------- */
typedef struct { int64_t key, idx; } emu_kv;

static int kv_cmp(const void *a, const void *b) {
    const emu_kv *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx); /* stable: ties keep the flat (row-major) order */
}

static int64_t ld_i(const tens *t, int64_t i0, int64_t i1) {
    int64_t idx[2] = {i0, i1};
    return (int64_t) emu_load(addr_of(t, idx), t->dtype);
}

static void st_i(const tens *t, int64_t i0, int64_t v) {
    int64_t idx[1] = {i0};
    emu_store(addr_of(t, idx), t->dtype, (double) v);
}

/* t: x [N,H], expertIdx [N,K], scale [N]?, expandedX [N*K,H], expandedRowIdx [N*K], tokens [E']?, expandedScale [N*K]?
   attr: expertNum, expertStart, expertEnd, rowIdxType, tokensType (0 cumsum, 1 count), tokensFlag */
static int run_moe_init(aclOpExecutor *e) {
    tens *x = &e->t[0], *ids = &e->t[1], *scale = &e->t[2], *ex = &e->t[3], *ri = &e->t[4], *cnt = &e->t[5],
         *es = &e->t[6];
    int64_t rows = x->dims[0], h = x->dims[1], k = ids->dims[1], n = rows * k;
    int64_t expertNum = e->attr[0], start = e->attr[1], end = e->attr[2];
    emu_kv *kv = malloc(sizeof(emu_kv) * (size_t) (n ? n : 1));
    int64_t avail = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t id = ld_i(ids, j / k, j % k);
        if (id < 0 || id >= expertNum) {
            emu_set_error("%s: expertIdx[%lld][%lld] = %lld is outside [0, %lld)", e->name, (long long) (j / k),
                          (long long) (j % k), (long long) id, (long long) expertNum);
            free(kv);
            return ACL_ERROR_RT_AICORE_EXCEPTION;
        }
        if (id >= start && id < end) avail++;
        kv[j].key = id < start ? INT32_MAX : id; /* experts below the active range sort last */
        kv[j].idx = j;
    }
    qsort(kv, (size_t) n, sizeof(emu_kv), kv_cmp);
    if (e->attr[3] == 1) {          /* rowIdxType 1: expandedRowIdx[i] = flat source index of expanded row i */
        for (int64_t i = 0; i < n; i++) st_i(ri, i, kv[i].idx);
    } else {                        /* rowIdxType 0: expandedRowIdx[flat source index] = expanded row, else -1 */
        for (int64_t j = 0; j < n; j++) st_i(ri, j, -1);
        for (int64_t i = 0; i < avail; i++) st_i(ri, kv[i].idx, i);
    }
    int64_t xi[2], oi[2];
    for (int64_t i = 0; i < avail; i++) {
        int64_t src = kv[i].idx / k;
        for (int64_t c = 0; c < h; c++) {
            xi[0] = src; xi[1] = c;
            oi[0] = i; oi[1] = c;
            st(ex, addr_of(ex, oi), ld(x, addr_of(x, xi)));
        }
        if (e->has[2] && e->has[6]) {
            int64_t si[1] = {src}, di[1] = {i};
            st(es, addr_of(es, di), ld(scale, addr_of(scale, si)));
        }
    }
    if (e->attr[5] && e->has[5]) {
        int64_t total = 0, i = 0;
        for (int64_t x2 = start; x2 < end; x2++) {
            int64_t c = 0;
            while (i < avail && kv[i].key == x2) { c++; i++; }
            total += c;
            if (e->attr[4] == 2) {  /* key-value: [expert id, count] per expert of the range */
                int64_t kvi[2] = {x2 - start, 0};
                emu_store(addr_of(cnt, kvi), cnt->dtype, (double) x2);
                kvi[1] = 1;
                emu_store(addr_of(cnt, kvi), cnt->dtype, (double) c);
            } else {
                st_i(cnt, x2 - start, e->attr[4] == 0 ? total : c);
            }
        }
    }
    free(kv);
    return 0;
}

/* t: expandedX [N*K,H] or [E,C,H], expandedRowIdx [N*K], x1 [N,H]?, x2 [N,H]?, bias [E,H]?, scales [N,K]?,
   expertIdx [N,K]?, out [N,H]; k = K; attr[0] = dropPadMode (0/1 column-major index k*N+i, 2/3 row-major i*K+k) */
static int run_moe_finalize(aclOpExecutor *e) {
    tens *ex = &e->t[0], *ri = &e->t[1], *x1 = &e->t[2], *x2 = &e->t[3], *bias = &e->t[4], *sc = &e->t[5],
         *ids = &e->t[6], *out = &e->t[7];
    int64_t rows = out->dims[0], h = out->dims[1], k = e->k, mode = e->attr[0];
    int64_t exRows = ex->ndim == 3 ? ex->dims[0] * ex->dims[1] : ex->dims[0];
    double *acc = malloc(sizeof(double) * (size_t) (h ? h : 1));
    int64_t i2[2], i3[3];
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < h; c++) {
            i2[0] = r; i2[1] = c;
            acc[c] = (e->has[2] ? ld(x1, addr_of(x1, i2)) : 0.0) + (e->has[3] ? ld(x2, addr_of(x2, i2)) : 0.0);
        }
        for (int64_t kk = 0; kk < k; kk++) {
            int64_t pos = (mode == 0 || mode == 1) ? kk * rows + r : r * k + kk;
            int64_t idx1[1] = {pos};
            int64_t v = (int64_t) emu_load(addr_of(ri, idx1), ri->dtype);
            if (v < -1 || v >= exRows) {
                emu_set_error("%s: expandedRowIdx[%lld] = %lld is outside [-1, %lld)", e->name, (long long) pos,
                              (long long) v, (long long) exRows);
                free(acc);
                return ACL_ERROR_RT_AICORE_EXCEPTION;
            }
            double w = 1.0;
            if (e->has[5]) { i2[0] = r; i2[1] = kk; w = ld(sc, addr_of(sc, i2)); }
            int64_t expert = e->has[6] ? ld_i(ids, r, kk) : 0;
            if (e->has[4] && (expert < 0 || expert >= bias->dims[0])) {
                emu_set_error("%s: expertIdx[%lld][%lld] = %lld has no bias row", e->name, (long long) r,
                              (long long) kk, (long long) expert);
                free(acc);
                return ACL_ERROR_RT_AICORE_EXCEPTION;
            }
            for (int64_t c = 0; c < h; c++) {
                double val = 0.0;  /* a dropped (-1) row contributes zero, plus its bias */
                if (v >= 0) {
                    if (ex->ndim == 3) {
                        i3[0] = v / ex->dims[1]; i3[1] = v % ex->dims[1]; i3[2] = c;
                        val = ld(ex, addr_of(ex, i3));
                    } else {
                        i2[0] = v; i2[1] = c;
                        val = ld(ex, addr_of(ex, i2));
                    }
                }
                if (e->has[4]) { i2[0] = expert; i2[1] = c; val += ld(bias, addr_of(bias, i2)); }
                acc[c] += w * val;
            }
        }
        for (int64_t c = 0; c < h; c++) {
            i2[0] = r; i2[1] = c;
            st(out, addr_of(out, i2), (float) acc[c]);
        }
    }
    free(acc);
    return 0;
}

/* t: x [N,E], bias [E]?, yOut [N,k], expertIdxOut [N,k] INT32, outOut [N,E] F32 (normOut when outFlag);
   k = k; attr: kGroup, groupCount, groupSelectMode, normType, outFlag; s[0] routedScalingFactor, s[1] eps.
   The aclnnMoeGatingTopK page's formula: norm, + bias for selection, group filter, top-k, weights from the
   unbiased norm, renormalised for sigmoid, times the scaling factor. Ties go to the lower index. */
static int run_moe_gating(aclOpExecutor *e) {
    tens *x = &e->t[0], *bias = &e->t[1], *y = &e->t[2], *ids = &e->t[3], *norm = &e->t[4];
    int64_t n = x->dims[0], ne = x->dims[1], k = e->k;
    int64_t kGroup = e->attr[0], groups = e->attr[1], mode = e->attr[2], normType = e->attr[3];
    int64_t per = ne / groups;
    float *sc = malloc(sizeof(float) * (size_t) ne), *sel = malloc(sizeof(float) * (size_t) ne);
    float *gs = malloc(sizeof(float) * (size_t) groups);
    bool *kept = calloc((size_t) groups, 1), *taken = calloc((size_t) ne, 1);
    int64_t i2[2], i1[1];
    for (int64_t r = 0; r < n; r++) {
        double max = -INFINITY, sum = 0;
        for (int64_t c = 0; c < ne; c++) {
            i2[0] = r; i2[1] = c;
            sc[c] = ld(x, addr_of(x, i2));
            if (sc[c] > max) max = sc[c];
        }
        for (int64_t c = 0; c < ne; c++) {
            if (normType == 1) sc[c] = (float) (1.0 / (1.0 + exp(-(double) sc[c])));
            else sum += exp((double) sc[c] - max);
        }
        if (normType == 0) for (int64_t c = 0; c < ne; c++) sc[c] = (float) (exp((double) sc[c] - max) / sum);
        for (int64_t c = 0; c < ne; c++) {
            i1[0] = c;
            sel[c] = sc[c] + (e->has[1] ? ld(bias, addr_of(bias, i1)) : 0.0f);
            if (e->attr[4]) { i2[0] = r; i2[1] = c; st(norm, addr_of(norm, i2), sc[c]); }
        }
        for (int64_t g = 0; g < groups; g++) {
            float best = -INFINITY, second = -INFINITY;
            for (int64_t c = g * per; c < (g + 1) * per; c++) {
                if (sel[c] > best) { second = best; best = sel[c]; } else if (sel[c] > second) second = sel[c];
            }
            gs[g] = mode == 1 && per >= 2 ? best + second : best;
            kept[g] = false;
        }
        for (int64_t j = 0; j < kGroup; j++) {
            int64_t arg = -1;
            for (int64_t g = 0; g < groups; g++) if (!kept[g] && (arg < 0 || gs[g] > gs[arg])) arg = g;
            kept[arg] = true;
        }
        memset(taken, 0, (size_t) ne);
        double wsum = 0;
        int64_t chosen[64];
        for (int64_t j = 0; j < k; j++) {
            int64_t arg = -1;
            for (int64_t c = 0; c < ne; c++) if (!taken[c] && kept[c / per] && (arg < 0 || sel[c] > sel[arg])) arg = c;
            taken[arg] = true;
            chosen[j] = arg;
            wsum += sc[arg];
        }
        for (int64_t j = 0; j < k; j++) {
            double w = sc[chosen[j]];
            if (normType == 1) w = w / (wsum + e->s[1]);
            i2[0] = r; i2[1] = j;
            st(y, addr_of(y, i2), (float) (w * e->s[0]));
            emu_store(addr_of(ids, i2), ids->dtype, (double) chosen[j]);
        }
    }
    free(sc); free(sel); free(gs); free(kept); free(taken);
    return 0;
}

static int run_exec(emu_task *task) {
    aclOpExecutor *e = task->arg;
    for (int i = 0; i < e->nt; i++) {
        if (e->has[i] && !data_live(&e->t[i])) {
            emu_set_error("%s: tensor %d's memory was freed before the operator ran", e->name, i);
            return ACL_ERROR_RT_DEVICE_MEM_ERROR;
        }
    }
    switch (e->op) {
        case OP_MATMUL: return run_matmul(e);
        case OP_RMSNORM: case OP_SOFTMAX: case OP_TOPK: return run_rows(e);
        case OP_INDEX_SELECT: case OP_INDEX_ADD: return run_index(e);
        case OP_CAST: case OP_COPY: return run_convert(e);
        case OP_ROPE: return run_rope(e);
        case OP_GMM: return run_gmm(e);
        case OP_MOE_INIT: return run_moe_init(e);
        case OP_MOE_FINALIZE: return run_moe_finalize(e);
        case OP_MOE_GATING: return run_moe_gating(e);
        case OP_SWIGLU: return run_swiglu(e);
        default: return run_elementwise(e);
    }
}

/* Operator failures on the device reach the host as CANN reports them: an EZ9999-coded message. */
static int run_exec_task(emu_task *task) {
    int rc = run_exec(task);
    if (rc) {
        char detail[400];
        snprintf(detail, sizeof detail, "%s", emu_recent_error());
        emu_set_error("EZ9999: %s", detail);
    }
    return rc;
}

static void dispose_exec(emu_task *t) {
    free(t->arg);
}

static aclnnStatus launch(const char *fn, void *workspace, uint64_t workspaceSize, aclOpExecutor *e, aclrtStream stream) {
    if (!emu_reg_has(e, K_EXECUTOR)) {
        emu_set_error("%s: executor is invalid or was already run", fn);
        return ACLNN_ERR_PARAM_INVALID;
    }
    if (e->workspace > 0) {
        int dev = -1;
        if (!workspace || workspaceSize < e->workspace || !emu_mem_check(workspace, e->workspace, &dev) || dev < 0) {
            emu_set_error("%s: needs %llu bytes of device workspace", fn, (unsigned long long) e->workspace);
            return ACLNN_ERR_PARAM_NULLPTR;
        }
    }
    int err;
    emu_stream *s = emu_stream_resolve(stream, &err);
    if (!s) return ACLNN_ERR_RUNTIME_ERROR;
    int lrc = emu_check_launch(s, fn);
    if (lrc) return lrc;
    emu_reg_del(e);
    emu_task *t = emu_task_new(fn, run_exec_task, e);
    t->dispose = dispose_exec;
    emu_stream_submit(s, t);
    return ACLNN_SUCCESS;
}

#define PHASE2(name) \
    aclnnStatus name(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor, aclrtStream stream) { \
        NENTER(#name); \
        return launch(#name, workspace, workspaceSize, executor, stream); \
    }

PHASE2(aclnnMatmul)
PHASE2(aclnnAdd)
PHASE2(aclnnMul)
PHASE2(aclnnMuls)
PHASE2(aclnnInplaceMul)
PHASE2(aclnnRmsNorm)
PHASE2(aclnnSilu)
PHASE2(aclnnSigmoid)
PHASE2(aclnnSoftmax)
PHASE2(aclnnTopk)
PHASE2(aclnnIndexSelect)
PHASE2(aclnnIndexAdd)
PHASE2(aclnnCast)
PHASE2(aclnnInplaceCopy)
PHASE2(aclnnInplaceFillScalar)
PHASE2(aclnnInplaceMaskedFillScalar)
PHASE2(aclnnCos)
PHASE2(aclnnSin)
PHASE2(aclnnRotaryPositionEmbedding)
PHASE2(aclnnGroupedMatmulV4)
PHASE2(aclnnMoeInitRoutingV3)
PHASE2(aclnnMoeFinalizeRoutingV2)
PHASE2(aclnnMoeGatingTopK)
PHASE2(aclnnSwiGlu)

#define BEGIN(fn, op, ws, ...) \
    NENTER(fn "GetWorkspaceSize"); \
    const aclTensor *ts_[] = {__VA_ARGS__}; \
    aclOpExecutor *e = NULL; \
    aclnnStatus rc_ = new_exec(op, fn, ws, workspaceSize, executor, (int) (sizeof ts_ / sizeof ts_[0]), ts_, &e); \
    if (rc_) return rc_

aclnnStatus aclnnMatmulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out,
                                        int8_t cubeMathType, uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnMatmul", OP_MATMUL, 0, self, mat2, out);
    tens *a = &e->t[0], *b = &e->t[1], *o = &e->t[2];
    if (cubeMathType < 0 || cubeMathType > 3) return shape_error(e, "cubeMathType must be 0..3");
    NEED_DT(0, "self", DT_FLOATS);
    NEED_DT(1, "mat2", DT_FLOATS);
    NEED_DT(2, "out", DT_FLOATS);
    int promoted = dt_promote(a->dtype, b->dtype);
    if (o->dtype != promoted && !(promoted == ACL_FLOAT16 && o->dtype == ACL_FLOAT))
        return param_invalid(e, "out dtype %s must be %s (self %s, mat2 %s; FLOAT is also allowed for FLOAT16)",
                             dt_name(o->dtype), dt_name(promoted), dt_name(a->dtype), dt_name(b->dtype));
    if (a->ndim > 6 || b->ndim > 6) return param_invalid(e, "self and mat2 have at most 6 dimensions");
    if (a->ndim < 2 || a->ndim > 3 || b->ndim < 2 || b->ndim > 3 || o->ndim != (a->ndim > b->ndim ? a->ndim : b->ndim))
        return shape_error(e, "ranks must be 2 or 3");
    int64_t m = a->dims[a->ndim - 2], k = a->dims[a->ndim - 1], k2 = b->dims[b->ndim - 2], n = b->dims[b->ndim - 1];
    if (k != k2 || o->dims[o->ndim - 2] != m || o->dims[o->ndim - 1] != n) return shape_error(e, "shapes do not chain");
    if (o->ndim == 3 && ((a->ndim == 3 && a->dims[0] != o->dims[0]) || (b->ndim == 3 && b->dims[0] != o->dims[0])))
        return shape_error(e, "batch sizes differ");
    return finish_exec(e, workspaceSize, executor);
}

/* aclnnAdd and aclnnMul: self, other and out in the arithmetic set, at most 8 dimensions, out castable from the
   promoted type. */
static aclnnStatus binary_tables(aclOpExecutor *e, uint64_t *workspaceSize, aclOpExecutor **executor) {
    NEED_DT(0, "self", DT_ARITH);
    NEED_DT(1, "other", DT_ARITH);
    NEED_DT(2, "out", DT_ARITH);
    MAX_RANK(0, "self", 8);
    MAX_RANK(1, "other", 8);
    MAX_RANK(2, "out", 8);
    CASTABLE(dt_promote(e->t[0].dtype, e->t[1].dtype), 2, "out");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnAddGetWorkspaceSize(const aclTensor *self, const aclTensor *other, const aclScalar *alpha,
                                     aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnAdd", OP_ADD, 0, self, other, out);
    if (!emu_reg_has((void *) alpha, K_SCALAR)) return shape_error(e, "alpha is not a live aclScalar");
    e->s[0] = alpha->v;
    if (!broadcastable(&e->t[0], &e->t[2]) || !broadcastable(&e->t[1], &e->t[2])) return shape_error(e, "shapes do not broadcast to out");
    return binary_tables(e, workspaceSize, executor);
}

aclnnStatus aclnnMulGetWorkspaceSize(const aclTensor *self, const aclTensor *other, aclTensor *out,
                                     uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnMul", OP_MUL, 0, self, other, out);
    if (!broadcastable(&e->t[0], &e->t[2]) || !broadcastable(&e->t[1], &e->t[2])) return shape_error(e, "shapes do not broadcast to out");
    return binary_tables(e, workspaceSize, executor);
}

aclnnStatus aclnnMulsGetWorkspaceSize(const aclTensor *self, const aclScalar *other, aclTensor *out,
                                      uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnMuls", OP_MULS, 0, self, out);
    if (!emu_reg_has((void *) other, K_SCALAR)) return shape_error(e, "other is not a live aclScalar");
    e->s[0] = other->v;
    if (!same_shape(&e->t[0], &e->t[1])) return shape_error(e, "self and out shapes differ");
    NEED_DT(0, "self", DT_ARITH);
    NEED_DT(1, "out", DT_ARITH);
    MAX_RANK(0, "self", 8);
    CASTABLE(e->t[0].dtype, 1, "out");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnInplaceMulGetWorkspaceSize(aclTensor *selfRef, const aclTensor *other, uint64_t *workspaceSize,
                                            aclOpExecutor **executor) {
    BEGIN("aclnnInplaceMul", OP_INPLACE_MUL, 0, selfRef, other);
    if (!broadcastable(&e->t[1], &e->t[0])) return shape_error(e, "other does not broadcast to selfRef");
    NEED_DT(0, "selfRef", DT_ARITH);
    NEED_DT(1, "other", DT_ARITH);
    MAX_RANK(0, "selfRef", 8);
    CASTABLE(dt_promote(e->t[0].dtype, e->t[1].dtype), 0, "selfRef");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnRmsNormGetWorkspaceSize(const aclTensor *x, const aclTensor *gamma, double epsilon,
                                         const aclTensor *yOut, const aclTensor *rstdOut, uint64_t *workspaceSize,
                                         aclOpExecutor **executor) {
    BEGIN("aclnnRmsNorm", OP_RMSNORM, 256, x, gamma, yOut, rstdOut);
    e->s[0] = epsilon;
    tens *t = e->t;
    if (t[0].ndim < 1 || t[1].ndim != 1 || t[1].dims[0] != t[0].dims[t[0].ndim - 1] || !same_shape(&t[0], &t[2]))
        return shape_error(e, "gamma must be 1-D over x's last axis and y must have x's shape");
    NEED_DT(0, "x", DT_FLOATS);
    NEED_DT(1, "gamma", DT_FLOATS);
    SAME_DT(2, "yOut", 0, "x");
    if (t[3].dtype != ACL_FLOAT) return shape_error(e, "rstd must be FLOAT");
    /* rstd has x's rank, with the normalised (gamma's) dimensions set to 1 (aclnnRmsNorm page). */
    bool rstd_ok = t[3].ndim == t[0].ndim;
    for (int d = 0; rstd_ok && d < t[0].ndim; d++) {
        int64_t want = d >= t[0].ndim - t[1].ndim ? 1 : t[0].dims[d];
        rstd_ok = t[3].dims[d] == want;
    }
    if (!rstd_ok) return shape_error(e, "rstd must have x's rank with the normalised dimensions set to 1");
    return finish_exec(e, workspaceSize, executor);
}

static aclnnStatus unary(const char *fn, int op, const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                         aclOpExecutor **executor) {
    NENTER(fn);
    const aclTensor *ts[] = {self, out};
    aclOpExecutor *e = NULL;
    char base[40];
    snprintf(base, sizeof base, "%.*s", (int) (strlen(fn) - strlen("GetWorkspaceSize")), fn);
    aclnnStatus rc = new_exec(op, base, 0, workspaceSize, executor, 2, ts, &e);
    if (rc) return rc;
    if (!same_shape(&e->t[0], &e->t[1])) return shape_error(e, "self and out shapes differ");
    if (op == OP_SILU) {
        /* aclnnSilu: FLOAT16/FLOAT/BFLOAT16, self and out of one dtype */
        NEED_DT(0, "self", DT_FLOATS);
        SAME_DT(1, "out", 0, "self");
    } else if (op == OP_SIGMOID) {
        NEED_DT(0, "self", DT_REAL_FLOATS | DT_COMPLEX);
        NEED_DT(1, "out", DT_REAL_FLOATS | DT_COMPLEX);
        CASTABLE(e->t[0].dtype, 1, "out");
    } else {
        /* aclnnCos / aclnnSin: integer and bool inputs compute in floating point; out is floating */
        NEED_DT(0, "self", DT_ARITH);
        NEED_DT(1, "out", DT_REAL_FLOATS | DT_COMPLEX);
    }
    MAX_RANK(0, "self", 8);
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnSiluGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                                      aclOpExecutor **executor) {
    return unary("aclnnSiluGetWorkspaceSize", OP_SILU, self, out, workspaceSize, executor);
}

aclnnStatus aclnnSigmoidGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                                         aclOpExecutor **executor) {
    return unary("aclnnSigmoidGetWorkspaceSize", OP_SIGMOID, self, out, workspaceSize, executor);
}

aclnnStatus aclnnSoftmaxGetWorkspaceSize(const aclTensor *self, int64_t dim, aclTensor *out,
                                         uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnSoftmax", OP_SOFTMAX, 128, self, out);
    if (!same_shape(&e->t[0], &e->t[1]) || e->t[0].ndim < 1) return shape_error(e, "self and out shapes differ");
    NEED_DT(0, "self", DT_REAL_FLOATS);
    NEED_DT(1, "out", DT_REAL_FLOATS);
    MAX_RANK(0, "self", 8);
    if (dim < -e->t[0].ndim || dim >= e->t[0].ndim) return param_invalid(e, "dim %lld is outside self's dimensions", (long long) dim);
    if (dim != -1 && dim != e->t[0].ndim - 1) return shape_error(e, "the emulator supports the last axis only");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnTopkGetWorkspaceSize(const aclTensor *self, int64_t k, int64_t dim, bool largest, bool sorted,
                                      aclTensor *valuesOut, aclTensor *indicesOut, uint64_t *workspaceSize,
                                      aclOpExecutor **executor) {
    BEGIN("aclnnTopk", OP_TOPK, 512, self, valuesOut, indicesOut);
    tens *t = e->t;
    e->k = k;
    e->largest = largest;
    (void) sorted;
    int nd = t[0].ndim;
    if (nd < 1 || (dim != -1 && dim != nd - 1)) return shape_error(e, "the emulator supports the last axis only");
    if (k < 0 || k > t[0].dims[nd - 1]) return shape_error(e, "k out of range");
    if (t[1].ndim != nd || t[2].ndim != nd || t[1].dims[nd - 1] != k || t[2].dims[nd - 1] != k)
        return shape_error(e, "values/indices must have k entries on the last axis");
    if (t[2].dtype != ACL_INT64) return shape_error(e, "indices must be INT64");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnIndexSelectGetWorkspaceSize(const aclTensor *self, int64_t dim, const aclTensor *index,
                                             aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnIndexSelect", OP_INDEX_SELECT, 0, self, index, out);
    tens *t = e->t;
    NEED_DT(0, "self", DT_ARITH);
    NEED_DT(1, "index", DT_INDEX);
    SAME_DT(2, "out", 0, "self");
    MAX_RANK(0, "self", 8);
    if (t[1].ndim > 1) return param_invalid(e, "index must be 0-D or 1-D");
    if (dim < -t[0].ndim || dim >= t[0].ndim) return param_invalid(e, "dim %lld is outside self's dimensions", (long long) dim);
    if (dim != 0) return shape_error(e, "the emulator supports dim 0 only");
    if (t[1].ndim != 1 || (t[1].dtype != ACL_INT64 && t[1].dtype != ACL_INT32)) return shape_error(e, "index must be 1-D INT32/INT64");
    if (t[2].ndim != t[0].ndim || t[2].dims[0] != t[1].dims[0]) return shape_error(e, "out shape mismatch");
    for (int i = 1; i < t[0].ndim; i++) {
        if (t[2].dims[i] != t[0].dims[i]) return shape_error(e, "out shape mismatch");
    }
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnIndexAddGetWorkspaceSize(const aclTensor *self, const int64_t dim, const aclTensor *index,
                                          const aclTensor *source, const aclScalar *alpha, aclTensor *out,
                                          uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnIndexAdd", OP_INDEX_ADD, 0, self, index, source, out);
    tens *t = e->t;
    if (!emu_reg_has((void *) alpha, K_SCALAR)) return shape_error(e, "alpha is not a live aclScalar");
    e->s[0] = alpha->v;
    NEED_DT(0, "self", DT_INDEX_ADD);
    NEED_DT(1, "index", DT_INDEX);
    SAME_DT(2, "source", 0, "self");
    SAME_DT(3, "out", 0, "self");
    MAX_RANK(0, "self", 8);
    if (t[1].ndim > 1) return param_invalid(e, "index must be 0-D or 1-D");
    if (dim < -t[0].ndim || dim >= t[0].ndim) return param_invalid(e, "dim %lld is outside self's dimensions", (long long) dim);
    if (dim != 0) return shape_error(e, "the emulator supports dim 0 only");
    if (t[1].ndim != 1 || (t[1].dtype != ACL_INT64 && t[1].dtype != ACL_INT32)) return shape_error(e, "index must be 1-D INT32/INT64");
    if (!same_shape(&t[0], &t[3]) || t[2].ndim != t[0].ndim || t[2].dims[0] != t[1].dims[0]) return shape_error(e, "shape mismatch");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnCastGetWorkspaceSize(const aclTensor *self, const aclDataType dtype, aclTensor *out,
                                      uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnCast", OP_CAST, 0, self, out);
    NEED_DT(0, "self", DT_CAST);
    if (!dt_in((int) dtype, DT_CAST)) return param_invalid(e, "target dtype %s is not supported", dt_name((int) dtype));
    MAX_RANK(0, "self", 8);
    if (!same_shape(&e->t[0], &e->t[1]) || (int) dtype != e->t[1].dtype) return shape_error(e, "out must have self's shape and the target dtype");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnInplaceCopyGetWorkspaceSize(aclTensor *selfRef, const aclTensor *src, uint64_t *workspaceSize,
                                             aclOpExecutor **executor) {
    BEGIN("aclnnInplaceCopy", OP_COPY, 0, selfRef, src);
    NEED_DT(0, "selfRef", DT_ARITH);
    NEED_DT(1, "src", DT_ARITH);
    MAX_RANK(0, "selfRef", 8);
    if (!broadcastable(&e->t[1], &e->t[0])) return shape_error(e, "src does not broadcast to selfRef");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnInplaceFillScalarGetWorkspaceSize(aclTensor *selfRef, const aclScalar *value,
                                                   uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnInplaceFillScalar", OP_FILL, 0, selfRef);
    NEED_DT(0, "selfRef", DT_ARITH);
    MAX_RANK(0, "selfRef", 8);
    if (!emu_reg_has((void *) value, K_SCALAR)) return shape_error(e, "value is not a live aclScalar");
    e->s[0] = value->v;
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnInplaceMaskedFillScalarGetWorkspaceSize(aclTensor *selfRef, const aclTensor *mask,
                                                         const aclScalar *value, uint64_t *workspaceSize,
                                                         aclOpExecutor **executor) {
    BEGIN("aclnnInplaceMaskedFillScalar", OP_MASKED_FILL, 0, selfRef, mask);
    if (!emu_reg_has((void *) value, K_SCALAR)) return shape_error(e, "value is not a live aclScalar");
    e->s[0] = value->v;
    NEED_DT(0, "selfRef", DT_MASKED_FILL);
    NEED_DT(1, "mask", DT(ACL_BOOL));
    if (!broadcastable(&e->t[1], &e->t[0])) return shape_error(e, "mask does not broadcast to selfRef");
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnCosGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                                     aclOpExecutor **executor) {
    return unary("aclnnCosGetWorkspaceSize", OP_COS, self, out, workspaceSize, executor);
}

aclnnStatus aclnnSinGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize,
                                     aclOpExecutor **executor) {
    return unary("aclnnSinGetWorkspaceSize", OP_SIN, self, out, workspaceSize, executor);
}

aclnnStatus aclnnRotaryPositionEmbeddingGetWorkspaceSize(const aclTensor *x, const aclTensor *cos,
                                                         const aclTensor *sin, int64_t mode, aclTensor *out,
                                                         uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnRotaryPositionEmbedding", OP_ROPE, 64, x, cos, sin, out);
    tens *t = e->t;
    e->k = mode;
    NEED_DT(0, "x", DT_FLOATS);
    if (mode != 0 && mode != 1) return shape_error(e, "the emulator supports mode 0 (half) and 1 (interleave)");
    if (t[0].ndim < 1 || t[0].dims[t[0].ndim - 1] % 2 != 0) return shape_error(e, "the last axis must be even");
    if (!same_shape(&t[0], &t[3]) || t[1].ndim != t[0].ndim || t[2].ndim != t[0].ndim
        || !broadcastable(&t[1], &t[0]) || !broadcastable(&t[2], &t[0]))
        return shape_error(e, "cos/sin must broadcast to x and out must have x's shape");
    if (t[1].dtype != t[0].dtype || t[2].dtype != t[0].dtype || t[3].dtype != t[0].dtype)
        return shape_error(e, "cos, sin and out must have x's dtype");
    return finish_exec(e, workspaceSize, executor);
}

static const aclTensor *single(const aclTensorList *l) {
    if (!emu_reg_has((void *) l, K_TENSORLIST) || l->n != 1) return NULL;
    return l->v[0];
}

aclnnStatus aclnnGroupedMatmulV4GetWorkspaceSize(const aclTensorList *x, const aclTensorList *weight,
    const aclTensorList *biasOptional, const aclTensorList *scaleOptional, const aclTensorList *offsetOptional,
    const aclTensorList *antiquantScaleOptional, const aclTensorList *antiquantOffsetOptional,
    const aclTensorList *perTokenScaleOptional, const aclTensor *groupListOptional,
    const aclTensorList *activationInputOptional, const aclTensorList *activationQuantScaleOptional,
    const aclTensorList *activationQuantOffsetOptional, int64_t splitItem, int64_t groupType, int64_t groupListType,
    int64_t actType, aclTensorList *out, aclTensorList *activationFeatureOutOptional,
    aclTensorList *dynQuantScaleOutOptional, uint64_t *workspaceSize, aclOpExecutor **executor) {
    NENTER("aclnnGroupedMatmulV4GetWorkspaceSize");
    if (biasOptional || scaleOptional || offsetOptional || antiquantScaleOptional || antiquantOffsetOptional
        || perTokenScaleOptional || activationInputOptional || activationQuantScaleOptional
        || activationQuantOffsetOptional || activationFeatureOutOptional || dynQuantScaleOutOptional) {
        emu_set_error("aclnnGroupedMatmulV4GetWorkspaceSize: the emulator has no bias, quantisation or activation inputs");
        return ACLNN_ERR_PARAM_INVALID;
    }
    if ((splitItem != 2 && splitItem != 3) || groupType != 0 || (groupListType != 0 && groupListType != 1) || actType != 0) {
        emu_set_error("aclnnGroupedMatmulV4GetWorkspaceSize: the emulator supports splitItem 2/3, groupType 0 (M axis),"
                      " groupListType 0/1 and actType 0");
        return ACLNN_ERR_PARAM_INVALID;
    }
    const aclTensor *ts[] = {single(x), single(weight), groupListOptional, single(out)};
    aclOpExecutor *e = NULL;
    aclnnStatus rc = new_exec(OP_GMM, "aclnnGroupedMatmulV4", 1024, workspaceSize, executor, 4, ts, &e);
    if (rc) return rc;
    tens *t = e->t;
    e->k = groupListType;
    NEED_DT(0, "x", DT_FLOATS);
    SAME_DT(1, "weight", 0, "x");
    SAME_DT(3, "out", 0, "x");
    if (t[0].ndim != 2 || t[1].ndim != 3 || t[3].ndim != 2 || t[1].dims[1] != t[0].dims[1]
        || t[3].dims[0] != t[0].dims[0] || t[3].dims[1] != t[1].dims[2])
        return shape_error(e, "needs x [M,K], weight [E,K,N] and out [M,N]");
    if (t[2].ndim != 1 || t[2].dims[0] != t[1].dims[0] || t[2].dtype != ACL_INT64)
        return shape_error(e, "groupList must be INT64 [E]");
    return finish_exec(e, workspaceSize, executor);
}

/* The aclnn docs report attributes and shapes outside the supported range as ACLNN_ERR_INNER_TILING_ERROR. */
static aclnnStatus tiling_error(aclOpExecutor *e, const char *why) {
    emu_set_error("%sGetWorkspaceSize: %s", e->name, why);
    free(e);
    return ACLNN_ERR_INNER_TILING_ERROR;
}

static aclnnStatus dtype_error(aclOpExecutor *e, const char *why) {
    emu_set_error("%sGetWorkspaceSize: %s", e->name, why);
    free(e);
    return ACLNN_ERR_PARAM_INVALID;
}

static bool is_shape(const tens *t, int nd, int64_t d0, int64_t d1) {
    return t->ndim == nd && t->dims[0] == d0 && (nd < 2 || t->dims[1] == d1);
}

aclnnStatus aclnnMoeInitRoutingV3GetWorkspaceSize(const aclTensor *x, const aclTensor *expertIdx,
    const aclTensor *scaleOptional, const aclTensor *offsetOptional, int64_t activeNum, int64_t expertCapacity,
    int64_t expertNum, int64_t dropPadMode, int64_t expertTokensNumType, bool expertTokensNumFlag, int64_t quantMode,
    const aclIntArray *activeExpertRangeOptional, int64_t rowIdxType, const aclTensor *expandedXOut,
    const aclTensor *expandedRowIdxOut, const aclTensor *expertTokensCountOrCumsumOut,
    const aclTensor *expandedScaleOut, uint64_t *workspaceSize, aclOpExecutor **executor) {
    NENTER("aclnnMoeInitRoutingV3GetWorkspaceSize");
    const aclTensor *ts[] = {x, expertIdx, scaleOptional, expandedXOut, expandedRowIdxOut,
                             expertTokensCountOrCumsumOut, expandedScaleOut};
    aclOpExecutor *e = NULL;
    /* optional: scale (2), the token counts when the flag is off (5), expandedScale (6) */
    aclnnStatus rc = new_exec_opt(OP_MOE_INIT, "aclnnMoeInitRoutingV3", 4096, workspaceSize, executor, 7, ts,
                                  (1u << 2) | (expertTokensNumFlag ? 0 : (1u << 5)) | (1u << 6), &e);
    if (rc) return rc;
    tens *t = e->t;
    if (offsetOptional) return dtype_error(e, "offsetOptional must be NULL without quantisation");
    if (quantMode != -1) return tiling_error(e, "the emulator supports quantMode -1 (no quantisation) only");
    if (dropPadMode != 0) return tiling_error(e, "dropPadMode must be 0 (dropless); drop/pad is not supported");
    if (expertTokensNumType != 1 && expertTokensNumType != 2)
        return tiling_error(e, "expertTokensNumType must be 1 (count) or 2 (key-value); the released kernel has no 0 (cumsum)");
    if (rowIdxType != 0 && rowIdxType != 1) return tiling_error(e, "rowIdxType must be 0 or 1");
    if (expertNum < 0 || expertNum > 10240 || expertCapacity < 0) return tiling_error(e, "expertNum must be in [0, 10240]");
    int64_t start = 0, end = expertNum;
    if (activeExpertRangeOptional) {
        if (!emu_reg_has((void *) activeExpertRangeOptional, K_INTARRAY) || activeExpertRangeOptional->n != 2)
            return tiling_error(e, "activeExpertRange must be [expertStart, expertEnd]");
        start = activeExpertRangeOptional->v[0];
        end = activeExpertRangeOptional->v[1];
        if (start < 0 || end <= start || end > expertNum)
            return tiling_error(e, "activeExpertRange needs 0 <= expertStart < expertEnd <= expertNum");
    }
    if (!is_float(t[0].dtype) || t[3].dtype != t[0].dtype)
        return dtype_error(e, "x must be FLOAT16, BFLOAT16 or FLOAT32 and expandedXOut must have x's type");
    if (t[1].dtype != ACL_INT32 || t[4].dtype != ACL_INT32) return dtype_error(e, "expertIdx and expandedRowIdxOut must be INT32");
    if (e->has[5] && t[5].dtype != ACL_INT64) return dtype_error(e, "expertTokensCountOrCumsumOut must be INT64");
    if ((e->has[2] && t[2].dtype != ACL_FLOAT) || (e->has[6] && t[6].dtype != ACL_FLOAT))
        return dtype_error(e, "scaleOptional and expandedScaleOut must be FLOAT32");
    if (t[0].ndim != 2 || t[1].ndim != 2 || t[1].dims[0] != t[0].dims[0]) return tiling_error(e, "needs x [N,H] and expertIdx [N,K]");
    int64_t rows = t[0].dims[0], h = t[0].dims[1], k = t[1].dims[1];
    if (activeNum != rows * k) return tiling_error(e, "activeNum must equal N*K");
    if (!is_shape(&t[3], 2, rows * k, h) || !is_shape(&t[4], 1, rows * k, 0))
        return tiling_error(e, "needs expandedXOut [N*K,H] and expandedRowIdxOut [N*K]");
    if (e->has[5] && expertTokensNumType == 1 && !is_shape(&t[5], 1, end - start, 0))
        return tiling_error(e, "expertTokensCountOrCumsumOut must be [expertEnd - expertStart]");
    if (e->has[5] && expertTokensNumType == 2 && !is_shape(&t[5], 2, end - start, 2))
        return tiling_error(e, "expertTokensCountOrCumsumOut must be [expertEnd - expertStart, 2] for key-value");
    if ((e->has[2] && !is_shape(&t[2], 1, rows, 0)) || (e->has[6] && !is_shape(&t[6], 1, rows * k, 0)))
        return tiling_error(e, "needs scaleOptional [N] and expandedScaleOut [N*K]");
    e->attr[0] = expertNum;
    e->attr[1] = start;
    e->attr[2] = end;
    e->attr[3] = rowIdxType;
    e->attr[4] = expertTokensNumType;
    e->attr[5] = expertTokensNumFlag;
    return finish_exec(e, workspaceSize, executor);
}

aclnnStatus aclnnMoeFinalizeRoutingV2GetWorkspaceSize(const aclTensor *expandedX, const aclTensor *expandedRowIdx,
    const aclTensor *x1Optional, const aclTensor *x2Optional, const aclTensor *biasOptional,
    const aclTensor *scalesOptional, const aclTensor *expertIdxOptional, int64_t dropPadMode, const aclTensor *out,
    uint64_t *workspaceSize, aclOpExecutor **executor) {
    NENTER("aclnnMoeFinalizeRoutingV2GetWorkspaceSize");
    const aclTensor *ts[] = {expandedX, expandedRowIdx, x1Optional, x2Optional, biasOptional, scalesOptional,
                             expertIdxOptional, out};
    aclOpExecutor *e = NULL;
    aclnnStatus rc = new_exec_opt(OP_MOE_FINALIZE, "aclnnMoeFinalizeRoutingV2", 0, workspaceSize, executor, 8, ts,
                                  0x7cu, &e);
    if (rc) return rc;
    tens *t = e->t;
    if (dropPadMode < 0 || dropPadMode > 3) return tiling_error(e, "dropPadMode must be 0..3");
    if (!e->has[2] && e->has[3]) return dtype_error(e, "x2Optional needs x1Optional");
    if (e->has[4] && !e->has[6]) return dtype_error(e, "biasOptional needs expertIdxOptional");
    int dt = t[0].dtype;
    if (!is_float(dt) || t[7].dtype != dt) return dtype_error(e, "expandedX must be FLOAT16, BFLOAT16 or FLOAT32 and out the same");
    for (int i = 2; i <= 5; i++) {
        if (e->has[i] && t[i].dtype != dt) return dtype_error(e, "x1, x2, bias and scales must have expandedX's type");
    }
    if (t[1].dtype != ACL_INT32 || (e->has[6] && t[6].dtype != ACL_INT32))
        return dtype_error(e, "expandedRowIdx and expertIdx must be INT32");
    if (t[7].ndim != 2) return tiling_error(e, "out must be [N,H]");
    int64_t rows = t[7].dims[0], h = t[7].dims[1];
    int64_t k = e->has[5] ? (t[5].ndim == 2 ? t[5].dims[1] : -1) : e->has[6] ? (t[6].ndim == 2 ? t[6].dims[1] : -1) : 1;
    if (k < 0 || (e->has[5] && !is_shape(&t[5], 2, rows, k)) || (e->has[6] && !is_shape(&t[6], 2, rows, k)))
        return tiling_error(e, "scales and expertIdx must be [N,K]");
    if (!is_shape(&t[1], 1, rows * k, 0)) return tiling_error(e, "expandedRowIdx must be [N*K]");
    bool pad = dropPadMode == 1 || dropPadMode == 3;
    if (pad ? (t[0].ndim != 3 || t[0].dims[2] != h) : !is_shape(&t[0], 2, rows * k, h))
        return tiling_error(e, "expandedX must be [N*K,H] (dropless) or [E,C,H] (drop/pad)");
    if ((e->has[2] && !is_shape(&t[2], 2, rows, h)) || (e->has[3] && !is_shape(&t[3], 2, rows, h)))
        return tiling_error(e, "x1 and x2 must be [N,H]");
    if (e->has[4] && (t[4].ndim != 2 || t[4].dims[1] != h)) return tiling_error(e, "bias must be [E,H]");
    e->k = k;
    e->attr[0] = dropPadMode;
    return finish_exec(e, workspaceSize, executor);
}

/* Constraints from the aclnnMoeGatingTopK page: x F16/BF16/F32 [N, E] with E <= 2048, bias [E], yOut x's dtype
   [N, k], expertIdxOut INT32 [N, k], outOut F32 [N, E]; 1 <= kGroup <= groupCount, E divisible by groupCount with
   E / groupCount > groupSelectMode, 1 <= k <= E / groupCount * kGroup, renorm 0 only, normType and groupSelectMode
   0 or 1. Dtypes fail with 161002, the rest with 561002. (k <= 64 is the emulator's own limit.) */
aclnnStatus aclnnMoeGatingTopKGetWorkspaceSize(const aclTensor *x, const aclTensor *biasOptional, int64_t k,
                                              int64_t kGroup, int64_t groupCount, int64_t groupSelectMode,
                                              int64_t renorm, int64_t normType, bool outFlag,
                                              double routedScalingFactor, double eps, const aclTensor *yOut,
                                              const aclTensor *expertIdxOut, const aclTensor *outOut,
                                              uint64_t *workspaceSize, aclOpExecutor **executor) {
    NENTER("aclnnMoeGatingTopKGetWorkspaceSize");
    const aclTensor *ts[] = {x, biasOptional, yOut, expertIdxOut, outOut};
    aclOpExecutor *e = NULL;
    aclnnStatus rc = new_exec_opt(OP_MOE_GATING, "aclnnMoeGatingTopK", 1024, workspaceSize, executor, 5, ts, 1u << 1, &e);
    if (rc) return rc;
    tens *t = e->t;
    if (!is_float(t[0].dtype) || t[2].dtype != t[0].dtype || t[3].dtype != ACL_INT32 || t[4].dtype != ACL_FLOAT
        || (e->has[1] && !is_float(t[1].dtype)))
        return dtype_error(e, "x and yOut must be FLOAT16/BFLOAT16/FLOAT32 alike, expertIdxOut INT32, outOut FLOAT32");
    if (t[0].ndim != 2) return tiling_error(e, "x must be [N, E]");
    int64_t n = t[0].dims[0], ne = t[0].dims[1];
    if (ne > 2048) return tiling_error(e, "the expert count must be at most 2048");
    if (e->has[1] && !is_shape(&t[1], 1, ne, 0)) return tiling_error(e, "bias must be [E]");
    if (groupCount < 1 || kGroup < 1 || kGroup > groupCount || ne % groupCount != 0 || ne / groupCount <= groupSelectMode)
        return tiling_error(e, "groupCount must divide E, 1 <= kGroup <= groupCount, E / groupCount > groupSelectMode");
    if (k < 1 || k > ne / groupCount * kGroup || k > 64) return tiling_error(e, "k must be in [1, E / groupCount * kGroup]");
    if (renorm != 0) return tiling_error(e, "renorm supports only 0");
    if ((normType != 0 && normType != 1) || (groupSelectMode != 0 && groupSelectMode != 1))
        return tiling_error(e, "normType and groupSelectMode must be 0 or 1");
    if (!is_shape(&t[2], 2, n, k) || !is_shape(&t[3], 2, n, k) || !is_shape(&t[4], 2, n, ne))
        return tiling_error(e, "yOut and expertIdxOut must be [N, k] and outOut [N, E]");
    e->k = k;
    e->attr[0] = kGroup;
    e->attr[1] = groupCount;
    e->attr[2] = groupSelectMode;
    e->attr[3] = normType;
    e->attr[4] = outFlag;
    e->s[0] = routedScalingFactor;
    e->s[1] = eps;
    return finish_exec(e, workspaceSize, executor);
}

static bool contiguous(const tens *t) {
    int64_t want = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->dims[d] != 1 && t->strides[d] != want) return false;
        want *= t->dims[d];
    }
    return true;
}

/* aclnnSwiGlu page: x of rank 1..8 in FLOAT16/BFLOAT16/FLOAT (A2), even along dim, contiguous, not empty; out of
 * x's dtype with that axis halved; anything else is ACLNN_ERR_PARAM_INVALID. */
aclnnStatus aclnnSwiGluGetWorkspaceSize(const aclTensor *x, int64_t dim, const aclTensor *out,
                                        uint64_t *workspaceSize, aclOpExecutor **executor) {
    BEGIN("aclnnSwiGlu", OP_SWIGLU, 0, x, out);
    tens *t = e->t;
    if (!is_float(t[0].dtype)) return dtype_error(e, "x must be FLOAT16, BFLOAT16 or FLOAT");
    if (t[1].dtype != t[0].dtype) return dtype_error(e, "out must have x's dtype");
    int nd = t[0].ndim;
    if (nd < 1 || nd > 8) return shape_error(e, "x must have 1 to 8 dimensions");
    if (dim < -nd || dim >= nd) return shape_error(e, "dim must lie in [-x.dim(), x.dim() - 1]");
    int axis = (int) (dim < 0 ? dim + nd : dim);
    if (t[0].dims[axis] % 2 != 0) return shape_error(e, "x must have an even size along dim");
    if (numel(&t[0]) == 0) return shape_error(e, "empty tensors are not supported");
    if (!contiguous(&t[0]) || !contiguous(&t[1])) return shape_error(e, "non-contiguous tensors are not supported");
    bool ok = t[1].ndim == nd;
    for (int d = 0; ok && d < nd; d++) {
        ok = t[1].dims[d] == (d == axis ? t[0].dims[d] / 2 : t[0].dims[d]);
    }
    if (!ok) return shape_error(e, "out must have x's shape with dim halved");
    e->k = axis;
    return finish_exec(e, workspaceSize, executor);
}
