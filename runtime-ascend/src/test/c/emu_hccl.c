/* HCCL part of the emulator (test fixture): ranks are communicators inside this one process. */
#define _GNU_SOURCE
#include "emu_internal.h"
#include "tandem_hccl.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RANKS 64

typedef struct post {
    int kind;
    const char *send;
    char *recv;
    uint64_t count;
    int dtype;          /* aclDataType */
    int op;
    uint32_t root;
    uint64_t *counts;   /* alltoallv: send counts, send displs, recv counts, recv displs (4 x n) */
} post;

typedef struct mail {
    const char *buf;
    size_t bytes;
    bool taken;
    struct mail *next;
} mail;

typedef struct group {
    char key[160];
    int n;
    int joined;
    int alive;
    bool broken;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t gen;
    int arrived;
    bool mask[MAX_RANKS];
    bool joined_mask[MAX_RANKS];
    int connected;              /* ranks that made their first operation (links are set up lazily there) */
    bool connected_mask[MAX_RANKS];
    char missing[256];  /* ranks that did not arrive when the group was aborted */
    post posts[MAX_RANKS];
    mail *box[MAX_RANKS][MAX_RANKS];
    struct group *next;
} group;

typedef struct comm {
    group *g;
    int rank;
    int device;
    long exec_timeout_ms;
    char name[COMM_NAME_MAX_LENGTH];
    bool connected;
    int async_error;            /* HcclResult of the first failed operation, for HcclGetCommAsyncError */
} comm;

static pthread_mutex_t g_groups_mu = PTHREAD_MUTEX_INITIALIZER;
static group *g_groups;
static unsigned long g_group_seq;

#define HENTER(fn) do { int inj_ = emu_enter(fn); if (inj_) return (HcclResult) inj_; } while (0)

static long env_ms(const char *ms_var, const char *sec_var, long dflt_ms) {
    const char *v = getenv(ms_var);
    if (v) return atol(v);
    v = getenv(sec_var);
    if (v) return atol(v) * 1000L;
    return dflt_ms;
}

static void deadline_ms(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

static int acl_dtype_of(HcclDataType t) {
    switch (t) {
        case HCCL_DATA_TYPE_INT8: return ACL_INT8;
        case HCCL_DATA_TYPE_INT16: return ACL_INT16;
        case HCCL_DATA_TYPE_INT32: return ACL_INT32;
        case HCCL_DATA_TYPE_FP16: return ACL_FLOAT16;
        case HCCL_DATA_TYPE_FP32: return ACL_FLOAT;
        case HCCL_DATA_TYPE_INT64: return ACL_INT64;
        case HCCL_DATA_TYPE_UINT64: return ACL_UINT64;
        case HCCL_DATA_TYPE_UINT8: return ACL_UINT8;
        case HCCL_DATA_TYPE_UINT16: return ACL_UINT16;
        case HCCL_DATA_TYPE_UINT32: return ACL_UINT32;
        case HCCL_DATA_TYPE_FP64: return ACL_DOUBLE;
        case HCCL_DATA_TYPE_BFP16: return ACL_BF16;
        default: return -1;
    }
}

/* ---------- groups and communicators ---------- */
static group *group_find_locked(const char *key) {
    for (group *g = g_groups; g; g = g->next) {
        if (strcmp(g->key, key) == 0) return g;
    }
    return NULL;
}

static group *group_new_locked(const char *key, int n) {
    group *g = calloc(1, sizeof *g);
    snprintf(g->key, sizeof g->key, "%s", key);
    g->n = n;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->next = g_groups;
    g_groups = g;
    return g;
}

static comm *comm_new(group *g, int rank, int device, long exec_ms) {
    comm *c = calloc(1, sizeof *c);
    c->g = g;
    c->rank = rank;
    c->device = device;
    c->exec_timeout_ms = exec_ms;
    snprintf(c->name, sizeof c->name, "%.100s#%d", g->key, rank);
    emu_reg_add(c, K_COMM);
    return c;
}

static long default_exec_ms(void) {
    return env_ms("TANDEM_EMU_EXEC_TIMEOUT_MS", "HCCL_EXEC_TIMEOUT", 1836L * 1000L);
}

HcclResult HcclGetRootInfo(HcclRootInfo *rootInfo) {
    HENTER("HcclGetRootInfo");
    if (!rootInfo) return HCCL_E_PTR;
    if (emu_current_device() < 0) {
        emu_set_error("HcclGetRootInfo: no device set on this thread");
        return HCCL_E_RUNTIME;
    }
    memset(rootInfo, 0, sizeof *rootInfo);
    pthread_mutex_lock(&g_groups_mu);
    unsigned long seq = ++g_group_seq;
    pthread_mutex_unlock(&g_groups_mu);
    snprintf(rootInfo->internal, sizeof rootInfo->internal, "tandem-emu-root:%d:%lu:%lld", (int) getpid(), seq,
             (long long) emu_now_ns());
    /* Fill the rest deterministically so transports must carry all 4108 bytes. */
    size_t used = strlen(rootInfo->internal) + 1;
    for (size_t i = used; i < sizeof rootInfo->internal; i++) rootInfo->internal[i] = (char) (i * 31 + seq);
    return HCCL_SUCCESS;
}

static HcclResult join(const char *key, uint32_t n, uint32_t rank, long exec_ms, HcclComm *out) {
    if (n == 0 || n > MAX_RANKS || rank >= n) return HCCL_E_PARA;
    int dev = emu_current_device();
    if (dev < 0) {
        emu_set_error("communicator init: no device set on this thread");
        return HCCL_E_RUNTIME;
    }
    pthread_mutex_lock(&g_groups_mu);
    group *g = group_find_locked(key);
    if (!g) g = group_new_locked(key, (int) n);
    pthread_mutex_unlock(&g_groups_mu);
    pthread_mutex_lock(&g->mu);
    if (g->n != (int) n || g->joined_mask[rank]) {
        pthread_mutex_unlock(&g->mu);
        emu_set_error("communicator init: rank %u already joined or rank count %u differs from %d", rank, n, g->n);
        return HCCL_E_PARA;
    }
    g->joined_mask[rank] = true;
    g->joined++;
    g->alive++;
    pthread_cond_broadcast(&g->cv);
    struct timespec dl;
    deadline_ms(&dl, env_ms("TANDEM_EMU_CONNECT_TIMEOUT_MS", "HCCL_CONNECT_TIMEOUT", 120000L));
    while (g->joined < g->n) {
        if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) == ETIMEDOUT && g->joined < g->n) {
            g->joined_mask[rank] = false;
            g->joined--;
            g->alive--;
            pthread_mutex_unlock(&g->mu);
            emu_set_error("communicator init: rank %u timed out waiting for %d ranks", rank, g->n);
            return HCCL_E_TIMEOUT;
        }
    }
    pthread_mutex_unlock(&g->mu);
    comm *c = comm_new(g, (int) rank, dev, exec_ms);
    *out = c;
    return HCCL_SUCCESS;
}

HcclResult HcclCommInitRootInfo(uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank, HcclComm *comm) {
    HENTER("HcclCommInitRootInfo");
    if (!rootInfo || !comm) return HCCL_E_PTR;
    HcclResult r = join(rootInfo->internal, nRanks, rank, default_exec_ms(), comm);
    return r;
}

/* What HcclGetCommConfigCapability reports: every HcclCommConfigCapability value below it is supported. */
static uint32_t config_capability(void) {
    return (uint32_t) emu_config("hccl_config_capability", HCCL_COMM_CONFIG_RESERVED);
}

/* Bytes of HcclCommConfig an HCCL build of that capability knows (its struct ends after its last field). */
static size_t config_bytes(uint32_t cap) {
    if (cap <= HCCL_COMM_CONFIG_OP_EXPANSION_MODE) return offsetof(HcclCommConfig, hcclOpExpansionMode);
    if (cap <= HCCL_COMM_CONFIG_WORLD_RANKID) return offsetof(HcclCommConfig, hcclWorldRankID);
    if (cap <= HCCL_COMM_CONFIG_JOBID) return offsetof(HcclCommConfig, hcclJobID);
    if (cap <= HCCL_COMM_CONFIG_ACLGRAPH_ZEROCOPY_ENABLE) return offsetof(HcclCommConfig, aclGraphZeroCopyEnable);
    if (cap <= HCCL_COMM_CONFIG_EXEC_TIMEOUT) return offsetof(HcclCommConfig, hcclExecTimeOut);
    if (cap <= HCCL_COMM_CONFIG_ALGO) return offsetof(HcclCommConfig, hcclAlgo);
    if (cap <= HCCL_COMM_CONFIG_RETRY) return offsetof(HcclCommConfig, hcclRetryEnable);
    if (cap <= HCCL_COMM_CONFIG_BUFFER_NAME) return offsetof(HcclCommConfig, hcclBufferName);
    return sizeof(HcclCommConfig);
}

uint32_t HcclGetCommConfigCapability(void) {
    emu_enter("HcclGetCommConfigCapability");
    return config_capability();
}

HcclResult HcclCommInitRootInfoConfig(uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank,
                                      const HcclCommConfig *config, HcclComm *comm) {
    HENTER("HcclCommInitRootInfoConfig");
    if (!rootInfo || !comm || !config) return HCCL_E_PTR;
    uint32_t magic, version;
    size_t size;
    memcpy(&size, config->reserved, sizeof size);
    memcpy(&magic, config->reserved + 8, sizeof magic);
    memcpy(&version, config->reserved + 12, sizeof version);
    uint32_t cap = config_capability();
    if (magic != HCCL_COMM_CONFIG_MAGIC_WORD || size < offsetof(HcclCommConfig, hcclCommName) || version == 0) {
        emu_set_error("EI0003: HcclCommInitRootInfoConfig: config header not initialised (size %zu magic %x version %u)",
                      size, magic, version);
        return HCCL_E_PARA;
    }
    /* An older loader copies configSize bytes into its own, smaller struct. */
    if (size > config_bytes(cap)) {
        emu_set_error("EI0003: HcclCommInitRootInfoConfig: config of %zu bytes does not fit this HCCL's %zu-byte config "
                      "(capability %u)", size, config_bytes(cap), cap);
        return HCCL_E_MEMORY;
    }
    /* Before SUPPORT_INIT_BY_ENV the *_NOT_SET sentinels did not exist: deterministic is 0 or 1. */
    if (cap <= HCCL_COMM_CONFIG_SUPPORT_INIT_BY_ENV && config->hcclDeterministic > 1) {
        emu_set_error("EI0003: HcclCommInitRootInfoConfig: hcclDeterministic %u is not 0 or 1", config->hcclDeterministic);
        return HCCL_E_PARA;
    }
    long exec_ms = default_exec_ms();
    if (size >= offsetof(HcclCommConfig, hcclAlgo) && config->hcclExecTimeOut > 0) {
        exec_ms = (long) config->hcclExecTimeOut * 1000L;
    }
    if (getenv("TANDEM_EMU_EXEC_TIMEOUT_MS")) exec_ms = atol(getenv("TANDEM_EMU_EXEC_TIMEOUT_MS"));
    HcclResult r = join(rootInfo->internal, nRanks, rank, exec_ms, comm);
    if (r == HCCL_SUCCESS && cap > HCCL_COMM_CONFIG_COMM_NAME && config->hcclCommName[0]) {
        snprintf(((struct comm *) *comm)->name, COMM_NAME_MAX_LENGTH, "%s", config->hcclCommName);
    }
    return r;
}

HcclResult HcclCommInitClusterInfo(const char *clusterInfo, uint32_t rank, HcclComm *comm) {
    HENTER("HcclCommInitClusterInfo");
    if (!clusterInfo || !comm) return HCCL_E_PTR;
    FILE *f = fopen(clusterInfo, "r");
    if (!f) {
        emu_set_error("HcclCommInitClusterInfo: cannot open rank table %s", clusterInfo);
        return HCCL_E_OPEN_FILE_FAILURE;
    }
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    if (!strstr(text, "\"completed\"")) {
        emu_set_error("HcclCommInitClusterInfo: rank table status is not \"completed\"");
        return HCCL_E_PARA;
    }
    uint32_t n = 0;
    for (const char *p = text; (p = strstr(p, "\"rank_id\"")) != NULL; p += 9) n++;
    char real[PATH_MAX];
    char key[160];
    snprintf(key, sizeof key, "ranktable:%.140s", realpath(clusterInfo, real) ? real : clusterInfo);
    return join(key, n, rank, default_exec_ms(), comm);
}

HcclResult HcclCommInitAll(uint32_t ndev, int32_t *devices, HcclComm *comms) {
    HENTER("HcclCommInitAll");
    if (!devices || !comms) return HCCL_E_PTR;
    if (ndev == 0 || ndev > MAX_RANKS) return HCCL_E_PARA;
    for (uint32_t i = 0; i < ndev; i++) {
        if (devices[i] < 0 || (uint32_t) devices[i] >= emu_device_count()) {
            emu_set_error("HcclCommInitAll: device %d does not exist", devices[i]);
            return HCCL_E_PARA;
        }
    }
    char key[64];
    pthread_mutex_lock(&g_groups_mu);
    snprintf(key, sizeof key, "initall:%lu", ++g_group_seq);
    group *g = group_new_locked(key, (int) ndev);
    g->joined = (int) ndev;
    g->alive = (int) ndev;
    pthread_mutex_unlock(&g_groups_mu);
    for (uint32_t i = 0; i < ndev; i++) comms[i] = comm_new(g, (int) i, devices[i], default_exec_ms());
    return HCCL_SUCCESS;
}

#define COMM_OR_FAIL(c, handle, fn) \
    comm *c = handle; \
    if (!emu_reg_has(c, K_COMM)) { emu_set_error("%s: invalid or destroyed communicator %p", fn, handle); return HCCL_E_PARA; }

HcclResult HcclCommDestroy(HcclComm handle) {
    HENTER("HcclCommDestroy");
    COMM_OR_FAIL(c, handle, "HcclCommDestroy");
    emu_reg_del(c);
    group *g = c->g;
    pthread_mutex_lock(&g_groups_mu);
    pthread_mutex_lock(&g->mu);
    g->alive--;
    bool last = g->alive == 0;
    g->broken = g->broken || !last;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    if (last) {
        for (group **pp = &g_groups; *pp; pp = &(*pp)->next) {
            if (*pp == g) { *pp = g->next; break; }
        }
    }
    pthread_mutex_unlock(&g_groups_mu);
    /* Structs are kept: a rank still waiting in a collective reads them until it times out. */
    return HCCL_SUCCESS;
}

HcclResult HcclGetRankSize(HcclComm handle, uint32_t *rankSize) {
    HENTER("HcclGetRankSize");
    COMM_OR_FAIL(c, handle, "HcclGetRankSize");
    if (!rankSize) return HCCL_E_PTR;
    *rankSize = (uint32_t) c->g->n;
    return HCCL_SUCCESS;
}

HcclResult HcclGetRankId(HcclComm handle, uint32_t *rank) {
    HENTER("HcclGetRankId");
    COMM_OR_FAIL(c, handle, "HcclGetRankId");
    if (!rank) return HCCL_E_PTR;
    *rank = (uint32_t) c->rank;
    return HCCL_SUCCESS;
}

HcclResult HcclGetCommName(HcclComm handle, char *commName) {
    HENTER("HcclGetCommName");
    COMM_OR_FAIL(c, handle, "HcclGetCommName");
    if (!commName) return HCCL_E_PTR;
    snprintf(commName, COMM_NAME_MAX_LENGTH, "%s", c->name);
    return HCCL_SUCCESS;
}

const char *HcclGetErrorString(HcclResult code) {
    static const char *names[] = {
        "HCCL_SUCCESS", "HCCL_E_PARA", "HCCL_E_PTR", "HCCL_E_MEMORY", "HCCL_E_INTERNAL", "HCCL_E_NOT_SUPPORT",
        "HCCL_E_NOT_FOUND", "HCCL_E_UNAVAIL", "HCCL_E_SYSCALL", "HCCL_E_TIMEOUT", "HCCL_E_OPEN_FILE_FAILURE",
        "HCCL_E_TCP_CONNECT", "HCCL_E_ROCE_CONNECT", "HCCL_E_TCP_TRANSFER", "HCCL_E_ROCE_TRANSFER",
        "HCCL_E_RUNTIME", "HCCL_E_DRV", "HCCL_E_PROFILING", "HCCL_E_CCE", "HCCL_E_NETWORK", "HCCL_E_AGAIN",
        "HCCL_E_REMOTE", "HCCL_E_SUSPENDING", "HCCL_E_OPRETRY_FAIL", "HCCL_E_OOM"};
    emu_enter("HcclGetErrorString");
    if ((int) code < 0 || (size_t) code >= sizeof names / sizeof names[0]) return "HCCL_E_RESERVED";
    return names[code];
}

/* ---------- collectives ---------- */
enum coll { C_ALLREDUCE, C_BROADCAST, C_REDUCESCATTER, C_ALLGATHER, C_ALLTOALL, C_ALLTOALLV, C_BARRIER, C_SEND, C_RECV };
static const char *coll_names[] = {"HcclAllReduce", "HcclBroadcast", "HcclReduceScatter", "HcclAllGather",
                                   "HcclAlltoAll", "HcclAlltoAllV", "HcclBarrier", "HcclSend", "HcclRecv"};

typedef struct coll_arg {
    comm *c;
    enum coll kind;
    post p;
    uint32_t peer;
} coll_arg;

/* Waits until every rank reached this point; on timeout marks the group broken and names the missing ranks. */
static int group_barrier(comm *c, const char *what) {
    group *g = c->g;
    struct timespec dl;
    deadline_ms(&dl, c->exec_timeout_ms);
    pthread_mutex_lock(&g->mu);
    if (g->broken) {
        emu_set_error("HCCL %s on rank %d: communicator aborted earlier; ranks [%s] did not arrive", what, c->rank,
                      g->missing);
        pthread_mutex_unlock(&g->mu);
        return ACL_ERROR_RT_COMM_OP_RETRY_FAIL;
    }
    uint64_t my = g->gen;
    g->mask[c->rank] = true;
    if (++g->arrived == g->n) {
        g->arrived = 0;
        memset(g->mask, 0, sizeof g->mask);
        g->gen++;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
        return 0;
    }
    while (g->gen == my && !g->broken) {
        if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) == ETIMEDOUT && g->gen == my && !g->broken) {
            size_t len = 0;
            g->missing[0] = 0;
            for (int r = 0; r < g->n && len < sizeof g->missing - 8; r++) {
                if (!g->mask[r]) len += (size_t) snprintf(g->missing + len, sizeof g->missing - len, len ? ",%d" : "%d", r);
            }
            g->broken = true;
            pthread_cond_broadcast(&g->cv);
            emu_set_error("HCCL %s on rank %d: exec timeout, ranks [%s] did not arrive within %ld ms", what, c->rank,
                          g->missing, c->exec_timeout_ms);
            pthread_mutex_unlock(&g->mu);
            return ACL_ERROR_RT_TASK_TIMEOUT;
        }
    }
    bool ok = g->gen != my;
    if (!ok) {
        emu_set_error("HCCL %s on rank %d: aborted, ranks [%s] did not arrive within %ld ms", what, c->rank, g->missing,
                      c->exec_timeout_ms);
    }
    pthread_mutex_unlock(&g->mu);
    return ok ? 0 : ACL_ERROR_RT_TASK_TIMEOUT;
}

static double reduce2(int op, double a, double b) {
    switch (op) {
        case HCCL_REDUCE_SUM: return a + b;
        case HCCL_REDUCE_PROD: return a * b;
        case HCCL_REDUCE_MAX: return a > b ? a : b;
        default: return a < b ? a : b;
    }
}

static int run_p2p(coll_arg *a) {
    group *g = a->c->g;
    size_t bytes = a->p.count * emu_dtype_size(a->p.dtype);
    int me = a->c->rank;
    struct timespec dl;
    deadline_ms(&dl, a->c->exec_timeout_ms);
    pthread_mutex_lock(&g->mu);
    int rc = 0;
    if (a->kind == C_SEND) {
        mail *m = calloc(1, sizeof *m);
        m->buf = a->p.send;
        m->bytes = bytes;
        mail **pp = &g->box[me][a->peer];
        while (*pp) pp = &(*pp)->next;
        *pp = m;
        pthread_cond_broadcast(&g->cv);
        while (!m->taken && !g->broken) {
            if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) == ETIMEDOUT && !m->taken) break;
        }
        if (!m->taken) {
            for (pp = &g->box[me][a->peer]; *pp; pp = &(*pp)->next) {
                if (*pp == m) { *pp = m->next; break; }
            }
            emu_set_error("HCCL HcclSend on rank %d: exec timeout, ranks [%u] did not arrive within %ld ms", me, a->peer,
                          a->c->exec_timeout_ms);
            rc = ACL_ERROR_RT_TASK_TIMEOUT;
        }
        free(m);
    } else {
        while (!g->box[a->peer][me] && !g->broken) {
            if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) == ETIMEDOUT && !g->box[a->peer][me]) break;
        }
        mail *m = g->box[a->peer][me];
        if (!m) {
            emu_set_error("HCCL HcclRecv on rank %d: exec timeout, ranks [%u] did not arrive within %ld ms", me, a->peer,
                          a->c->exec_timeout_ms);
            rc = ACL_ERROR_RT_TASK_TIMEOUT;
        } else if (m->bytes != bytes) {
            emu_set_error("HCCL HcclRecv on rank %d: mismatched send/recv, peer sent %zu bytes, expected %zu", me,
                          m->bytes, bytes);
            g->box[a->peer][me] = m->next;
            m->taken = true;
            rc = ACL_ERROR_RT_PARAM_INVALID;
        } else {
            memcpy(a->p.recv, m->buf, bytes);
            g->box[a->peer][me] = m->next;
            m->taken = true;
        }
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->mu);
    return rc;
}

static int run_coll(emu_task *t) {
    coll_arg *a = t->arg;
    if (a->kind == C_SEND || a->kind == C_RECV) return run_p2p(a);
    group *g = a->c->g;
    const char *what = coll_names[a->kind];
    g->posts[a->c->rank] = a->p;
    int rc = group_barrier(a->c, what);
    if (rc) return rc;
    int n = g->n, me = a->c->rank;
    int dt = a->p.dtype;
    size_t es = emu_dtype_size(dt);
    char *tmp = NULL;
    size_t tmp_bytes = 0;
    post *P = g->posts;
    for (int r = 0; r < n; r++) {
        if (P[r].kind != P[0].kind || P[r].dtype != P[0].dtype || P[r].op != P[0].op || P[r].root != P[0].root
            || (P[r].kind != C_ALLTOALLV && P[r].count != P[0].count)) {
            emu_set_error("HCCL %s on rank %d: mismatched collectives across ranks (rank 0: %s of %llu, rank %d: %s of %llu)",
                          what, me, coll_names[P[0].kind], (unsigned long long) P[0].count, r, coll_names[P[r].kind],
                          (unsigned long long) P[r].count);
            rc = ACL_ERROR_RT_PARAM_INVALID;
            break;
        }
    }
    switch (rc ? C_BARRIER : a->kind) {
        case C_ALLREDUCE:
        case C_REDUCESCATTER: {
            uint64_t cnt = a->p.count;
            uint64_t base = a->kind == C_REDUCESCATTER ? (uint64_t) me * cnt : 0;
            tmp_bytes = cnt * es;
            tmp = malloc(tmp_bytes ? tmp_bytes : 1);
            for (uint64_t i = 0; i < cnt; i++) {
                double acc = emu_load(P[0].send + (base + i) * es, dt);
                for (int r = 1; r < n; r++) acc = reduce2(a->p.op, acc, emu_load(P[r].send + (base + i) * es, dt));
                emu_store(tmp + i * es, dt, acc);
            }
            break;
        }
        case C_BROADCAST:
            tmp_bytes = a->p.count * es;
            tmp = malloc(tmp_bytes ? tmp_bytes : 1);
            memcpy(tmp, P[a->p.root].send, tmp_bytes);
            break;
        case C_ALLGATHER:
            tmp_bytes = a->p.count * es * (size_t) n;
            tmp = malloc(tmp_bytes ? tmp_bytes : 1);
            for (int r = 0; r < n; r++) memcpy(tmp + (size_t) r * a->p.count * es, P[r].send, a->p.count * es);
            break;
        case C_ALLTOALL:
            tmp_bytes = a->p.count * es * (size_t) n;
            tmp = malloc(tmp_bytes ? tmp_bytes : 1);
            for (int r = 0; r < n; r++) {
                memcpy(tmp + (size_t) r * a->p.count * es, P[r].send + (size_t) me * a->p.count * es, a->p.count * es);
            }
            break;
        case C_ALLTOALLV: {
            uint64_t *rc_ = a->p.counts + 2 * n, *rd = a->p.counts + 3 * n;
            for (int r = 0; r < n; r++) {
                uint64_t end = (rd[r] + rc_[r]) * es;
                if (end > tmp_bytes) tmp_bytes = end;
            }
            tmp = malloc(tmp_bytes ? tmp_bytes : 1);
            for (int r = 0; r < n; r++) {
                uint64_t scount = P[r].counts[me], sdisp = P[r].counts[n + me];
                if (scount != rc_[r]) {
                    emu_set_error("HcclAlltoAllV: rank %d sends %llu elements to rank %d, which expects %llu", r,
                                  (unsigned long long) scount, me, (unsigned long long) rc_[r]);
                    rc = ACL_ERROR_RT_PARAM_INVALID;
                    break;
                }
                memcpy(tmp + rd[r] * es, P[r].send + sdisp * es, scount * es);
            }
            break;
        }
        default:
            break;
    }
    int rc2 = group_barrier(a->c, what);
    if (rc == 0 && rc2 == 0 && tmp) {
        if (a->kind == C_ALLTOALLV) {
            uint64_t *rc_ = a->p.counts + 2 * n, *rd = a->p.counts + 3 * n;
            for (int r = 0; r < n; r++) memcpy(a->p.recv + rd[r] * es, tmp + rd[r] * es, rc_[r] * es);
        } else if (!(a->kind == C_BROADCAST && me == (int) a->p.root)) {
            memcpy(a->p.recv, tmp, tmp_bytes);
        }
    }
    free(tmp);
    return rc ? rc : rc2;
}

HcclResult HcclGetCommAsyncError(HcclComm handle, HcclResult *asyncError) {
    HENTER("HcclGetCommAsyncError");
    COMM_OR_FAIL(c, handle, "HcclGetCommAsyncError");
    if (!asyncError) return HCCL_E_PTR;
    pthread_mutex_lock(&c->g->mu);
    *asyncError = (HcclResult) c->async_error;
    pthread_mutex_unlock(&c->g->mu);
    return HCCL_SUCCESS;
}

/*
 * A failed collective fails its stream the way CANN reports it: 507048 (ACL_ERROR_RT_FFTS_PLUS_TIMEOUT) with an
 * EI0002 message for a notify wait that timed out, 507049 (ACL_ERROR_RT_FFTS_PLUS_EXCEPTION) otherwise; the cause
 * is kept for HcclGetCommAsyncError.
 */
static int run_coll_task(emu_task *t) {
    coll_arg *a = t->arg;
    int rc = run_coll(t);
    if (rc == 0) return 0;
    char detail[400];
    snprintf(detail, sizeof detail, "%s", emu_recent_error());
    bool timeout = rc == ACL_ERROR_RT_TASK_TIMEOUT || rc == ACL_ERROR_RT_COMM_OP_RETRY_FAIL;
    int hccl = rc == ACL_ERROR_RT_TASK_TIMEOUT ? HCCL_E_TIMEOUT
             : rc == ACL_ERROR_RT_COMM_OP_RETRY_FAIL ? HCCL_E_REMOTE : HCCL_E_PARA;
    pthread_mutex_lock(&a->c->g->mu);
    if (a->c->async_error == 0) a->c->async_error = hccl;
    pthread_mutex_unlock(&a->c->g->mu);
    emu_set_error("%s: %s", timeout ? "EI0002" : "EI9999", detail);
    return timeout ? ACL_ERROR_RT_FFTS_PLUS_TIMEOUT : ACL_ERROR_RT_FFTS_PLUS_EXCEPTION;
}

/*
 * HCCL sets up its links inside the first operation on a communicator: that call blocks the calling thread until
 * every rank made its first call, or HCCL_CONNECT_TIMEOUT passes (HCCL_E_TIMEOUT).
 */
static HcclResult connect_first(comm *c, const char *fn) {
    if (c->connected) return HCCL_SUCCESS;
    group *g = c->g;
    struct timespec dl;
    long ms = emu_config("connect_timeout_ms", env_ms("TANDEM_EMU_CONNECT_TIMEOUT_MS", "HCCL_CONNECT_TIMEOUT", 120000L));
    deadline_ms(&dl, ms);
    pthread_mutex_lock(&g->mu);
    if (!g->connected_mask[c->rank]) {
        g->connected_mask[c->rank] = true;
        g->connected++;
        pthread_cond_broadcast(&g->cv);
    }
    while (g->connected < g->n) {
        if (pthread_cond_timedwait(&g->cv, &g->mu, &dl) == ETIMEDOUT && g->connected < g->n) {
            char missing[256] = "";
            size_t len = 0;
            for (int r = 0; r < g->n && len < sizeof missing - 8; r++) {
                if (!g->connected_mask[r]) len += (size_t) snprintf(missing + len, sizeof missing - len, len ? ",%d" : "%d", r);
            }
            g->connected_mask[c->rank] = false;
            g->connected--;
            pthread_mutex_unlock(&g->mu);
            emu_set_error("EI0006: %s on rank %d: link setup timed out after %ld ms, ranks [%s] did not make their "
                          "first call (one thread per rank must issue the first operation)", fn, c->rank, ms, missing);
            return HCCL_E_TIMEOUT;
        }
    }
    pthread_mutex_unlock(&g->mu);
    c->connected = true;
    return HCCL_SUCCESS;
}

static void dispose_coll(emu_task *t) {
    coll_arg *a = t->arg;
    free(a->p.counts);
    free(a);
}

static HcclResult check_buf(const void *p, uint64_t count, int dtype, const char *fn, const char *what) {
    if (count == 0) return HCCL_SUCCESS;
    int dev = -1;
    if (!p || !emu_mem_check(p, count * emu_dtype_size(dtype), &dev) || dev < 0) {
        emu_set_error("%s: %s buffer %p (%llu elements) is not inside a live device allocation", fn, what, p,
                      (unsigned long long) count);
        return HCCL_E_PTR;
    }
    return HCCL_SUCCESS;
}

static HcclResult submit_coll(const char *fn, comm *c, aclrtStream stream, coll_arg *a) {
    int err;
    emu_stream *s = emu_stream_resolve(stream, &err);
    if (!s) { free(a->p.counts); free(a); return HCCL_E_PARA; }
    if (s->device != c->device) {
        emu_set_error("%s: stream is on device %d but rank %d drives device %d", fn, s->device, c->rank, c->device);
        free(a->p.counts);
        free(a);
        return HCCL_E_PARA;
    }
    int lrc = emu_check_launch(s, fn);
    if (lrc) {
        free(a->p.counts);
        free(a);
        return lrc == ACL_ERROR_RT_STREAM_CONTEXT ? HCCL_E_RUNTIME : HCCL_E_NOT_SUPPORT;
    }
    HcclResult crc = connect_first(c, fn);
    if (crc) {
        free(a->p.counts);
        free(a);
        return crc;
    }
    a->c = c;
    emu_task *t = emu_task_new(fn, run_coll_task, a);
    t->dispose = dispose_coll;
    emu_stream_submit(s, t);
    return HCCL_SUCCESS;
}

static coll_arg *coll_new(enum coll kind, const void *send, void *recv, uint64_t count, HcclDataType dt, int op,
                          uint32_t root) {
    coll_arg *a = calloc(1, sizeof *a);
    a->kind = kind;
    a->p.kind = kind;
    a->p.send = send;
    a->p.recv = recv;
    a->p.count = count;
    a->p.dtype = acl_dtype_of(dt);
    a->p.op = op;
    a->p.root = root;
    return a;
}

#define CHECK_DT(dt, fn) if (acl_dtype_of(dt) < 0) { emu_set_error("%s: unsupported data type %d", fn, (int) (dt)); return HCCL_E_NOT_SUPPORT; }
#define CHECK_OP(op) if ((int) (op) < 0 || (op) > HCCL_REDUCE_MIN) return HCCL_E_PARA

/*
 * Reductions on Atlas A2 (910B): int8/16/32/64, fp16, fp32 and bf16; PROD not for int16 and bf16. Everything else
 * is HCCL_E_NOT_SUPPORT (HcclAllReduce / HcclReduceScatter pages; CheckDataType in the open-source HCCL).
 */
static HcclResult check_reduce(HcclDataType dt, HcclReduceOp op, const char *fn) {
    bool type_ok = dt == HCCL_DATA_TYPE_INT8 || dt == HCCL_DATA_TYPE_INT16 || dt == HCCL_DATA_TYPE_INT32
                   || dt == HCCL_DATA_TYPE_INT64 || dt == HCCL_DATA_TYPE_FP16 || dt == HCCL_DATA_TYPE_FP32
                   || dt == HCCL_DATA_TYPE_BFP16;
    bool op_ok = !(op == HCCL_REDUCE_PROD && (dt == HCCL_DATA_TYPE_INT16 || dt == HCCL_DATA_TYPE_BFP16));
    if (!type_ok || !op_ok) {
        emu_set_error("EI0003: %s: data type %d with reduce op %d is not supported on this SoC", fn, (int) dt, (int) op);
        return HCCL_E_NOT_SUPPORT;
    }
    return HCCL_SUCCESS;
}

HcclResult HcclAllReduce(void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType, HcclReduceOp op,
                         HcclComm handle, aclrtStream stream) {
    HENTER("HcclAllReduce");
    COMM_OR_FAIL(c, handle, "HcclAllReduce");
    CHECK_DT(dataType, "HcclAllReduce");
    CHECK_OP(op);
    if (check_reduce(dataType, op, "HcclAllReduce")) return HCCL_E_NOT_SUPPORT;
    int dt = acl_dtype_of(dataType);
    if (check_buf(sendBuf, count, dt, "HcclAllReduce", "send") || check_buf(recvBuf, count, dt, "HcclAllReduce", "recv")) return HCCL_E_PTR;
    return submit_coll("HcclAllReduce", c, stream, coll_new(C_ALLREDUCE, sendBuf, recvBuf, count, dataType, op, 0));
}

HcclResult HcclBroadcast(void *buf, uint64_t count, HcclDataType dataType, uint32_t root, HcclComm handle,
                         aclrtStream stream) {
    HENTER("HcclBroadcast");
    COMM_OR_FAIL(c, handle, "HcclBroadcast");
    CHECK_DT(dataType, "HcclBroadcast");
    if (root >= (uint32_t) c->g->n) return HCCL_E_PARA;
    if (check_buf(buf, count, acl_dtype_of(dataType), "HcclBroadcast", "data")) return HCCL_E_PTR;
    return submit_coll("HcclBroadcast", c, stream, coll_new(C_BROADCAST, buf, buf, count, dataType, 0, root));
}

HcclResult HcclReduceScatter(void *sendBuf, void *recvBuf, uint64_t recvCount, HcclDataType dataType,
                             HcclReduceOp op, HcclComm handle, aclrtStream stream) {
    HENTER("HcclReduceScatter");
    COMM_OR_FAIL(c, handle, "HcclReduceScatter");
    CHECK_DT(dataType, "HcclReduceScatter");
    CHECK_OP(op);
    if (check_reduce(dataType, op, "HcclReduceScatter")) return HCCL_E_NOT_SUPPORT;
    int dt = acl_dtype_of(dataType);
    if (check_buf(sendBuf, recvCount * (uint64_t) c->g->n, dt, "HcclReduceScatter", "send")
        || check_buf(recvBuf, recvCount, dt, "HcclReduceScatter", "recv")) return HCCL_E_PTR;
    return submit_coll("HcclReduceScatter", c, stream,
                       coll_new(C_REDUCESCATTER, sendBuf, recvBuf, recvCount, dataType, op, 0));
}

HcclResult HcclAllGather(void *sendBuf, void *recvBuf, uint64_t sendCount, HcclDataType dataType, HcclComm handle,
                         aclrtStream stream) {
    HENTER("HcclAllGather");
    COMM_OR_FAIL(c, handle, "HcclAllGather");
    CHECK_DT(dataType, "HcclAllGather");
    int dt = acl_dtype_of(dataType);
    if (check_buf(sendBuf, sendCount, dt, "HcclAllGather", "send")
        || check_buf(recvBuf, sendCount * (uint64_t) c->g->n, dt, "HcclAllGather", "recv")) return HCCL_E_PTR;
    return submit_coll("HcclAllGather", c, stream, coll_new(C_ALLGATHER, sendBuf, recvBuf, sendCount, dataType, 0, 0));
}

HcclResult HcclAlltoAll(const void *sendBuf, uint64_t sendCount, HcclDataType sendType, const void *recvBuf,
                        uint64_t recvCount, HcclDataType recvType, HcclComm handle, aclrtStream stream) {
    HENTER("HcclAlltoAll");
    COMM_OR_FAIL(c, handle, "HcclAlltoAll");
    CHECK_DT(sendType, "HcclAlltoAll");
    if (sendType != recvType || sendCount != recvCount) return HCCL_E_PARA;
    int dt = acl_dtype_of(sendType);
    uint64_t total = sendCount * (uint64_t) c->g->n;
    if (check_buf(sendBuf, total, dt, "HcclAlltoAll", "send") || check_buf(recvBuf, total, dt, "HcclAlltoAll", "recv")) return HCCL_E_PTR;
    return submit_coll("HcclAlltoAll", c, stream,
                       coll_new(C_ALLTOALL, sendBuf, (void *) recvBuf, sendCount, sendType, 0, 0));
}

HcclResult HcclAlltoAllV(const void *sendBuf, const void *sendCounts, const void *sdispls, HcclDataType sendType,
                         const void *recvBuf, const void *recvCounts, const void *rdispls, HcclDataType recvType,
                         HcclComm handle, aclrtStream stream) {
    HENTER("HcclAlltoAllV");
    COMM_OR_FAIL(c, handle, "HcclAlltoAllV");
    CHECK_DT(sendType, "HcclAlltoAllV");
    if (sendType != recvType) return HCCL_E_PARA;
    if (!sendCounts || !sdispls || !recvCounts || !rdispls) return HCCL_E_PTR;
    int n = c->g->n;
    int dt = acl_dtype_of(sendType);
    uint64_t *counts = malloc(sizeof(uint64_t) * 4 * (size_t) n);
    memcpy(counts, sendCounts, sizeof(uint64_t) * (size_t) n);
    memcpy(counts + n, sdispls, sizeof(uint64_t) * (size_t) n);
    memcpy(counts + 2 * n, recvCounts, sizeof(uint64_t) * (size_t) n);
    memcpy(counts + 3 * n, rdispls, sizeof(uint64_t) * (size_t) n);
    uint64_t send_end = 0, recv_end = 0;
    for (int r = 0; r < n; r++) {
        if (counts[r] && counts[n + r] + counts[r] > send_end) send_end = counts[n + r] + counts[r];
        if (counts[2 * n + r] && counts[3 * n + r] + counts[2 * n + r] > recv_end) recv_end = counts[3 * n + r] + counts[2 * n + r];
    }
    if (check_buf(sendBuf, send_end, dt, "HcclAlltoAllV", "send") || check_buf(recvBuf, recv_end, dt, "HcclAlltoAllV", "recv")) {
        free(counts);
        return HCCL_E_PTR;
    }
    coll_arg *a = coll_new(C_ALLTOALLV, sendBuf, (void *) recvBuf, 0, sendType, 0, 0);
    a->p.counts = counts;
    return submit_coll("HcclAlltoAllV", c, stream, a);
}

HcclResult HcclSend(void *sendBuf, uint64_t count, HcclDataType dataType, uint32_t destRank, HcclComm handle,
                    aclrtStream stream) {
    HENTER("HcclSend");
    COMM_OR_FAIL(c, handle, "HcclSend");
    CHECK_DT(dataType, "HcclSend");
    if (destRank >= (uint32_t) c->g->n || (int) destRank == c->rank) return HCCL_E_PARA;
    if (check_buf(sendBuf, count, acl_dtype_of(dataType), "HcclSend", "send")) return HCCL_E_PTR;
    coll_arg *a = coll_new(C_SEND, sendBuf, NULL, count, dataType, 0, 0);
    a->peer = destRank;
    return submit_coll("HcclSend", c, stream, a);
}

HcclResult HcclRecv(void *recvBuf, uint64_t count, HcclDataType dataType, uint32_t srcRank, HcclComm handle,
                    aclrtStream stream) {
    HENTER("HcclRecv");
    COMM_OR_FAIL(c, handle, "HcclRecv");
    CHECK_DT(dataType, "HcclRecv");
    if (srcRank >= (uint32_t) c->g->n || (int) srcRank == c->rank) return HCCL_E_PARA;
    if (check_buf(recvBuf, count, acl_dtype_of(dataType), "HcclRecv", "recv")) return HCCL_E_PTR;
    coll_arg *a = coll_new(C_RECV, NULL, recvBuf, count, dataType, 0, 0);
    a->peer = srcRank;
    return submit_coll("HcclRecv", c, stream, a);
}

HcclResult HcclBarrier(HcclComm handle, aclrtStream stream) {
    HENTER("HcclBarrier");
    COMM_OR_FAIL(c, handle, "HcclBarrier");
    return submit_coll("HcclBarrier", c, stream, coll_new(C_BARRIER, NULL, NULL, 0, HCCL_DATA_TYPE_INT8, 0, 0));
}
