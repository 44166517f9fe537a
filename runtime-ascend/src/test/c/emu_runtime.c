/* AscendCL runtime part of the emulator (test fixture; see emu_internal.h). */
#define _GNU_SOURCE
#include "emu_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---------- handle registry ---------- */
typedef struct { void *p; int kind; } reg_entry;
static reg_entry *g_reg;
static size_t g_reg_n, g_reg_cap;
static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;

void emu_reg_add(void *p, int kind) {
    pthread_mutex_lock(&g_reg_mu);
    if (g_reg_n == g_reg_cap) {
        g_reg_cap = g_reg_cap ? g_reg_cap * 2 : 256;
        g_reg = realloc(g_reg, g_reg_cap * sizeof(reg_entry));
    }
    g_reg[g_reg_n].p = p;
    g_reg[g_reg_n].kind = kind;
    g_reg_n++;
    pthread_mutex_unlock(&g_reg_mu);
}

bool emu_reg_has(void *p, int kind) {
    bool found = false;
    if (p == NULL) return false;
    pthread_mutex_lock(&g_reg_mu);
    for (size_t i = g_reg_n; i-- > 0;) {
        if (g_reg[i].p == p && g_reg[i].kind == kind) { found = true; break; }
    }
    pthread_mutex_unlock(&g_reg_mu);
    return found;
}

void emu_reg_del(void *p) {
    pthread_mutex_lock(&g_reg_mu);
    for (size_t i = g_reg_n; i-- > 0;) {
        if (g_reg[i].p == p) { g_reg[i] = g_reg[--g_reg_n]; break; }
    }
    pthread_mutex_unlock(&g_reg_mu);
}

/* ---------- call counting and failure injection ---------- */
#define MAX_FNS 256
typedef struct { char name[64]; long calls; int fail_code; long fail_at; int async_code; } fn_entry;
static fn_entry g_fns[MAX_FNS];
static int g_fn_n;
static pthread_mutex_t g_fn_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_fail_loaded;

static fn_entry *fn_lookup(const char *fn) {
    for (int i = 0; i < g_fn_n; i++) {
        if (strcmp(g_fns[i].name, fn) == 0) return &g_fns[i];
    }
    if (g_fn_n == MAX_FNS) return NULL;
    fn_entry *e = &g_fns[g_fn_n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof e->name, "%s", fn);
    return e;
}

/* Spec: comma-separated items, each "fn=code" (every call fails), "fn=code@n" (only the n-th call from now),
 * or "async:fn=code" (the stream operation created by fn fails when it runs). */
static void parse_failures(const char *spec) {
    for (int i = 0; i < g_fn_n; i++) {
        g_fns[i].fail_code = 0;
        g_fns[i].fail_at = 0;
        g_fns[i].async_code = 0;
    }
    if (spec == NULL) return;
    char *copy = strdup(spec);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        bool async = strncmp(item, "async:", 6) == 0;
        char *name = async ? item + 6 : item;
        char *eq = strchr(name, '=');
        if (!eq) continue;
        *eq = 0;
        char *at = strchr(eq + 1, '@');
        long n = 0;
        if (at) { *at = 0; n = atol(at + 1); }
        fn_entry *e = fn_lookup(name);
        if (!e) continue;
        if (async) {
            e->async_code = atoi(eq + 1);
        } else {
            e->fail_code = atoi(eq + 1);
            e->fail_at = n > 0 ? e->calls + n : 0;
        }
    }
    free(copy);
}

static void load_failures_locked(void) {
    if (!g_fail_loaded) {
        g_fail_loaded = 1;
        parse_failures(getenv("TANDEM_EMU_FAIL"));
    }
}

int emu_enter(const char *fn) {
    int code = 0;
    pthread_mutex_lock(&g_fn_mu);
    load_failures_locked();
    fn_entry *e = fn_lookup(fn);
    if (e) {
        e->calls++;
        if (e->fail_code && (e->fail_at == 0 || e->fail_at == e->calls)) {
            code = e->fail_code;
            if (e->fail_at) e->fail_code = 0;
        }
    }
    pthread_mutex_unlock(&g_fn_mu);
    if (code) emu_set_error("%s failed: injected error %d", fn, code);
    return code;
}

int emu_async_fail(const char *fn) {
    int code = 0;
    pthread_mutex_lock(&g_fn_mu);
    load_failures_locked();
    fn_entry *e = fn_lookup(fn);
    if (e) code = e->async_code;
    pthread_mutex_unlock(&g_fn_mu);
    return code;
}

/* Test-only exports: not part of any CANN library. */
int tandemEmuSetFailures(const char *spec) {
    pthread_mutex_lock(&g_fn_mu);
    g_fail_loaded = 1;
    parse_failures(spec);
    pthread_mutex_unlock(&g_fn_mu);
    return 0;
}

long tandemEmuCallCount(const char *fn) {
    long n = 0;
    pthread_mutex_lock(&g_fn_mu);
    for (int i = 0; i < g_fn_n; i++) {
        if (strcmp(g_fns[i].name, fn) == 0) n = g_fns[i].calls;
    }
    pthread_mutex_unlock(&g_fn_mu);
    return n;
}

/*
 * Benchmark hook: calls aclrtGetSocName `times` times from C through a volatile function pointer (so gcc cannot
 * inline it), the baseline that jmh's FfmDowncallBenchmarks sets an FFM downcall of the same function against.
 */
long tandemEmuDirectSocNameCalls(int times) {
    const char *(*volatile fn)(void) = aclrtGetSocName;
    long checksum = 0;
    for (int i = 0; i < times; i++) {
        checksum += (long) (fn()[0]);
    }
    return checksum;
}

static __thread char tl_errmsg[512];

void emu_set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_errmsg, sizeof tl_errmsg, fmt, ap);
    va_end(ap);
}

const char *emu_recent_error(void) {
    return tl_errmsg;
}

#define ENTER(fn) do { int inj_ = emu_enter(fn); if (inj_) return inj_; } while (0)

/* ---------- test switches ---------- */
#define MAX_SWITCHES 16
typedef struct { char key[40]; long value; } emu_switch;
static emu_switch g_switches[MAX_SWITCHES];
static int g_switch_n;

/* Test-only export: sets a switch (e.g. "sync_event_limit", "hccl_config_capability", "copy_alignment"). */
int tandemEmuConfigure(const char *key, long value) {
    pthread_mutex_lock(&g_fn_mu);
    int i = 0;
    while (i < g_switch_n && strcmp(g_switches[i].key, key) != 0) i++;
    if (i == g_switch_n) {
        if (g_switch_n == MAX_SWITCHES) { pthread_mutex_unlock(&g_fn_mu); return -1; }
        snprintf(g_switches[g_switch_n++].key, sizeof g_switches[0].key, "%s", key);
    }
    g_switches[i].value = value;
    pthread_mutex_unlock(&g_fn_mu);
    return 0;
}

long emu_config(const char *key, long dflt) {
    long v = dflt;
    bool found = false;
    pthread_mutex_lock(&g_fn_mu);
    for (int i = 0; i < g_switch_n; i++) {
        if (strcmp(g_switches[i].key, key) == 0) { v = g_switches[i].value; found = true; }
    }
    pthread_mutex_unlock(&g_fn_mu);
    if (!found) {
        char env[64] = "TANDEM_EMU_";
        size_t n = strlen(env);
        for (const char *k = key; *k && n < sizeof env - 1; k++) env[n++] = (char) (*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
        env[n] = 0;
        const char *e = getenv(env);
        if (e) v = atol(e);
    }
    return v;
}

/* True while this thread runs a host callback delivered by aclrtProcessReport. */
static __thread bool tl_in_callback;

bool emu_in_callback(void) {
    return tl_in_callback;
}

#define NOT_IN_CALLBACK(fn) do { if (tl_in_callback) { \
    emu_set_error("EE1001: %s was called inside a host callback; callbacks must not allocate, free, launch or " \
                  "synchronize (errors or deadlock)", fn); \
    return ACL_ERROR_API_NOT_SUPPORT; } } while (0)

int64_t emu_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void deadline_after_ms(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

/* ---------- init, devices, contexts ---------- */
typedef struct emu_context {
    int device;
    emu_stream *default_stream;
    bool implicit;
} emu_context;

#define MAX_DEVICES 64
static bool g_init;
static int g_dev_refs[MAX_DEVICES];
static emu_context *g_dev_ctx[MAX_DEVICES];
static size_t g_dev_used[MAX_DEVICES];
/* Peer access: g_peer[a][b] once device a (current) enabled access to device b; cleared when a is reset. */
static bool g_peer[MAX_DEVICES][MAX_DEVICES];
static __thread emu_context *tl_ctx;

uint32_t emu_device_count(void) {
    const char *v = getenv("TANDEM_EMU_DEVICES");
    long n = v ? atol(v) : 8;
    if (n < 0) n = 0;
    if (n > MAX_DEVICES) n = MAX_DEVICES;
    return (uint32_t) n;
}

static size_t device_capacity(void) {
    const char *v = getenv("TANDEM_EMU_DEVICE_MEMORY");
    return v ? (size_t) atoll(v) : (size_t) 1 << 30;
}

int emu_current_device(void) {
    return tl_ctx ? tl_ctx->device : -1;
}

aclError aclInit(const char *configPath) {
    (void) configPath;
    ENTER("aclInit");
    pthread_mutex_lock(&g_mu);
    if (g_init) {
        pthread_mutex_unlock(&g_mu);
        emu_set_error("aclInit: already initialized");
        return ACL_ERROR_REPEAT_INITIALIZE;
    }
    g_init = true;
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

aclError aclFinalize(void) {
    ENTER("aclFinalize");
    pthread_mutex_lock(&g_mu);
    if (!g_init) {
        pthread_mutex_unlock(&g_mu);
        emu_set_error("aclFinalize: not initialized");
        return ACL_ERROR_REPEAT_FINALIZE;
    }
    g_init = false;
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

const char *aclGetRecentErrMsg(void) {
    emu_enter("aclGetRecentErrMsg");
    return tl_errmsg[0] ? tl_errmsg : NULL;
}

const char *aclrtGetSocName(void) {
    emu_enter("aclrtGetSocName");
    return "TandemEmulator";
}

#define REQUIRE_INIT(fn) do { if (!g_init) { emu_set_error("%s: aclInit was not called", fn); return ACL_ERROR_UNINITIALIZE; } } while (0)

static emu_stream *stream_create(int device, void *ctx);
static void stream_destroy(emu_stream *s);

static emu_context *context_new(int device, bool implicit) {
    emu_context *c = calloc(1, sizeof *c);
    c->device = device;
    c->implicit = implicit;
    c->default_stream = stream_create(device, c);
    emu_reg_add(c, K_CONTEXT);
    return c;
}

aclError aclrtSetDevice(int32_t deviceId) {
    ENTER("aclrtSetDevice");
    REQUIRE_INIT("aclrtSetDevice");
    if (deviceId < 0 || (uint32_t) deviceId >= emu_device_count()) {
        emu_set_error("aclrtSetDevice: device %d does not exist (%u devices)", deviceId, emu_device_count());
        return ACL_ERROR_RT_INVALID_DEVICEID;
    }
    pthread_mutex_lock(&g_mu);
    if (g_dev_ctx[deviceId] == NULL) g_dev_ctx[deviceId] = context_new(deviceId, true);
    g_dev_refs[deviceId]++;
    tl_ctx = g_dev_ctx[deviceId];
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

aclError aclrtResetDevice(int32_t deviceId) {
    ENTER("aclrtResetDevice");
    REQUIRE_INIT("aclrtResetDevice");
    if (deviceId < 0 || (uint32_t) deviceId >= emu_device_count()) return ACL_ERROR_RT_INVALID_DEVICEID;
    pthread_mutex_lock(&g_mu);
    if (g_dev_refs[deviceId] == 0) {
        pthread_mutex_unlock(&g_mu);
        emu_set_error("aclrtResetDevice: device %d was not set", deviceId);
        return ACL_ERROR_RT_INVALID_DEVICEID;
    }
    emu_context *c = g_dev_ctx[deviceId];
    if (--g_dev_refs[deviceId] == 0) {
        g_dev_ctx[deviceId] = NULL;
        for (int p = 0; p < MAX_DEVICES; p++) g_peer[deviceId][p] = false;   /* peer access goes with the device */
        emu_reg_del(c);
        if (tl_ctx == c) tl_ctx = NULL;
        pthread_mutex_unlock(&g_mu);
        stream_destroy(c->default_stream);
        return ACL_SUCCESS;
    }
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

aclError aclrtGetDevice(int32_t *deviceId) {
    ENTER("aclrtGetDevice");
    REQUIRE_INIT("aclrtGetDevice");
    if (!deviceId) return ACL_ERROR_INVALID_PARAM;
    if (!tl_ctx) {
        emu_set_error("aclrtGetDevice: no device is set on this thread");
        return ACL_ERROR_RT_CONTEXT_NULL;
    }
    *deviceId = tl_ctx->device;
    return ACL_SUCCESS;
}

aclError aclrtGetDeviceCount(uint32_t *count) {
    ENTER("aclrtGetDeviceCount");
    REQUIRE_INIT("aclrtGetDeviceCount");
    if (!count) return ACL_ERROR_INVALID_PARAM;
    *count = emu_device_count();
    return ACL_SUCCESS;
}

aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId) {
    ENTER("aclrtCreateContext");
    REQUIRE_INIT("aclrtCreateContext");
    if (!context) return ACL_ERROR_INVALID_PARAM;
    if (deviceId < 0 || (uint32_t) deviceId >= emu_device_count()) return ACL_ERROR_RT_INVALID_DEVICEID;
    emu_context *c = context_new(deviceId, false);
    tl_ctx = c;
    *context = c;
    return ACL_SUCCESS;
}

aclError aclrtDestroyContext(aclrtContext context) {
    ENTER("aclrtDestroyContext");
    REQUIRE_INIT("aclrtDestroyContext");
    emu_context *c = context;
    if (!emu_reg_has(c, K_CONTEXT) || c->implicit) {
        emu_set_error("aclrtDestroyContext: invalid context %p", context);
        return ACL_ERROR_INVALID_PARAM;
    }
    emu_reg_del(c);
    if (tl_ctx == c) tl_ctx = NULL;
    stream_destroy(c->default_stream);
    return ACL_SUCCESS;
}

aclError aclrtSetCurrentContext(aclrtContext context) {
    ENTER("aclrtSetCurrentContext");
    REQUIRE_INIT("aclrtSetCurrentContext");
    if (!emu_reg_has(context, K_CONTEXT)) {
        emu_set_error("aclrtSetCurrentContext: invalid context %p", context);
        return ACL_ERROR_INVALID_PARAM;
    }
    tl_ctx = context;
    return ACL_SUCCESS;
}

aclError aclrtGetCurrentContext(aclrtContext *context) {
    ENTER("aclrtGetCurrentContext");
    REQUIRE_INIT("aclrtGetCurrentContext");
    if (!context) return ACL_ERROR_INVALID_PARAM;
    if (!tl_ctx) return ACL_ERROR_RT_CONTEXT_NULL;
    *context = tl_ctx;
    return ACL_SUCCESS;
}

/* ---------- memory ---------- */
static emu_alloc *g_allocs;
static size_t g_alloc_n, g_alloc_cap;

static void alloc_add(char *base, size_t size, int device) {
    if (g_alloc_n == g_alloc_cap) {
        g_alloc_cap = g_alloc_cap ? g_alloc_cap * 2 : 256;
        g_allocs = realloc(g_allocs, g_alloc_cap * sizeof(emu_alloc));
    }
    g_allocs[g_alloc_n].base = base;
    g_allocs[g_alloc_n].size = size;
    g_allocs[g_alloc_n].device = device;
    g_alloc_n++;
}

static long alloc_find_locked(const void *p) {
    const char *c = p;
    for (size_t i = 0; i < g_alloc_n; i++) {
        if (c >= g_allocs[i].base && c < g_allocs[i].base + g_allocs[i].size) return (long) i;
    }
    return -1;
}

bool emu_mem_check(const void *p, size_t len, int *device_out) {
    bool ok = false;
    pthread_mutex_lock(&g_mu);
    long i = alloc_find_locked(p);
    if (i >= 0) {
        emu_alloc *a = &g_allocs[i];
        ok = (size_t) ((const char *) p - a->base) + len <= a->size;
        if (device_out) *device_out = a->device;
    }
    pthread_mutex_unlock(&g_mu);
    return ok;
}

static size_t round_alloc(size_t size) {
    return ((size + 31) / 32) * 32 + 32;
}

aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy) {
    ENTER("aclrtMalloc");
    REQUIRE_INIT("aclrtMalloc");
    NOT_IN_CALLBACK("aclrtMalloc");
    if (!devPtr || size == 0 || (int) policy < 0 || policy > ACL_MEM_MALLOC_NORMAL_ONLY) {
        emu_set_error("aclrtMalloc: invalid argument (size %zu, policy %d)", size, (int) policy);
        return ACL_ERROR_INVALID_PARAM;
    }
    int dev = emu_current_device();
    if (dev < 0) {
        emu_set_error("aclrtMalloc: no current context on this thread");
        return ACL_ERROR_RT_CONTEXT_NULL;
    }
    size_t rounded = round_alloc(size);
    pthread_mutex_lock(&g_mu);
    if (g_dev_used[dev] + rounded > device_capacity()) {
        pthread_mutex_unlock(&g_mu);
        emu_set_error("aclrtMalloc: out of device memory on device %d (%zu bytes requested)", dev, size);
        return ACL_ERROR_RT_MEMORY_ALLOCATION;
    }
    char *p = aligned_alloc(64, rounded);
    if (!p) {
        pthread_mutex_unlock(&g_mu);
        return ACL_ERROR_RT_MEMORY_ALLOCATION;
    }
    memset(p, 0xA5, rounded);
    g_dev_used[dev] += rounded;
    alloc_add(p, size, dev);
    pthread_mutex_unlock(&g_mu);
    *devPtr = p;
    return ACL_SUCCESS;
}

aclError aclrtMallocHost(void **hostPtr, size_t size) {
    ENTER("aclrtMallocHost");
    REQUIRE_INIT("aclrtMallocHost");
    NOT_IN_CALLBACK("aclrtMallocHost");
    if (!hostPtr || size == 0) return ACL_ERROR_INVALID_PARAM;
    char *p = aligned_alloc(64, round_alloc(size));
    if (!p) return ACL_ERROR_RT_MEMORY_ALLOCATION;
    pthread_mutex_lock(&g_mu);
    alloc_add(p, size, -1);
    pthread_mutex_unlock(&g_mu);
    *hostPtr = p;
    return ACL_SUCCESS;
}

static aclError free_common(void *p, bool host, const char *fn) {
    pthread_mutex_lock(&g_mu);
    long i = alloc_find_locked(p);
    if (i < 0 || g_allocs[i].base != p || (g_allocs[i].device < 0) != host) {
        pthread_mutex_unlock(&g_mu);
        emu_set_error("%s: %p is not a live %s allocation (double free?)", fn, p, host ? "host" : "device");
        return ACL_ERROR_INVALID_PARAM;
    }
    emu_alloc a = g_allocs[i];
    g_allocs[i] = g_allocs[--g_alloc_n];
    if (a.device >= 0) g_dev_used[a.device] -= round_alloc(a.size);
    pthread_mutex_unlock(&g_mu);
    free(a.base);
    return ACL_SUCCESS;
}

aclError aclrtFree(void *devPtr) {
    ENTER("aclrtFree");
    REQUIRE_INIT("aclrtFree");
    NOT_IN_CALLBACK("aclrtFree");
    return free_common(devPtr, false, "aclrtFree");
}

aclError aclrtFreeHost(void *hostPtr) {
    ENTER("aclrtFreeHost");
    REQUIRE_INIT("aclrtFreeHost");
    NOT_IN_CALLBACK("aclrtFreeHost");
    return free_common(hostPtr, true, "aclrtFreeHost");
}

aclError aclrtGetMemInfo(aclrtMemAttr attr, size_t *free_bytes, size_t *total) {
    ENTER("aclrtGetMemInfo");
    REQUIRE_INIT("aclrtGetMemInfo");
    (void) attr;
    if (!free_bytes || !total) return ACL_ERROR_INVALID_PARAM;
    int dev = emu_current_device();
    if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
    pthread_mutex_lock(&g_mu);
    *total = device_capacity();
    *free_bytes = *total - g_dev_used[dev];
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

/* Checks one side of a copy: device sides must be inside a live device allocation. */
static aclError check_side(const void *p, size_t n, bool device, const char *fn, const char *what) {
    int dev = -2;
    if (!p) {
        emu_set_error("%s: %s is NULL", fn, what);
        return ACL_ERROR_INVALID_PARAM;
    }
    if (device) {
        if (!emu_mem_check(p, n, &dev) || dev < 0) {
            emu_set_error("%s: %s range [%p, +%zu) is not inside a live device allocation", fn, what, p, n);
            return ACL_ERROR_INVALID_PARAM;
        }
    }
    return ACL_SUCCESS;
}

static aclError check_copy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind,
                           const char *fn) {
    if (count > destMax) {
        emu_set_error("%s: count %zu exceeds destMax %zu", fn, count, destMax);
        return ACL_ERROR_INVALID_PARAM;
    }
    bool dst_dev = kind == ACL_MEMCPY_HOST_TO_DEVICE || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    bool src_dev = kind == ACL_MEMCPY_DEVICE_TO_HOST || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    if ((int) kind < 0 || kind > ACL_MEMCPY_DEFAULT) {
        emu_set_error("%s: invalid copy kind %d", fn, (int) kind);
        return ACL_ERROR_INVALID_PARAM;
    }
    if (kind == ACL_MEMCPY_DEFAULT) {
        int d = -1;
        dst_dev = emu_mem_check(dst, count, &d) && d >= 0;
        src_dev = emu_mem_check(src, count, &d) && d >= 0;
    }
    aclError e = check_side(dst, count, dst_dev, fn, "destination");
    if (e) return e;
    return check_side(src, count, src_dev, fn, "source");
}


aclError aclrtDeviceCanAccessPeer(int32_t *canAccessPeer, int32_t deviceId, int32_t peerDeviceId) {
    ENTER("aclrtDeviceCanAccessPeer");
    REQUIRE_INIT("aclrtDeviceCanAccessPeer");
    uint32_t n = emu_device_count();
    if (!canAccessPeer || deviceId < 0 || peerDeviceId < 0 || (uint32_t) deviceId >= n || (uint32_t) peerDeviceId >= n) {
        emu_set_error("EE1001: aclrtDeviceCanAccessPeer: invalid device %d or peer %d", deviceId, peerDeviceId);
        return ACL_ERROR_RT_INVALID_DEVICEID;
    }
    *canAccessPeer = deviceId != peerDeviceId ? 1 : 0;
    return ACL_SUCCESS;
}

aclError aclrtDeviceEnablePeerAccess(int32_t peerDeviceId, uint32_t flags) {
    ENTER("aclrtDeviceEnablePeerAccess");
    REQUIRE_INIT("aclrtDeviceEnablePeerAccess");
    int dev = emu_current_device();
    if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
    if (flags != 0 || peerDeviceId < 0 || (uint32_t) peerDeviceId >= emu_device_count() || peerDeviceId == dev) {
        emu_set_error("EE1001: aclrtDeviceEnablePeerAccess: invalid peer %d or flags %u (must be 0)", peerDeviceId, flags);
        return ACL_ERROR_INVALID_PARAM;
    }
    pthread_mutex_lock(&g_mu);
    g_peer[dev][peerDeviceId] = true;
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

/*
 * Device-to-device copies across devices need peer access from the issuing device to the other one.
 * With the "copy_alignment" switch set (CANN 8.0 documents 64), both addresses must be aligned to it.
 */
static aclError check_peer_and_alignment(void *dst, const void *src, size_t count, int issuing, const char *fn) {
    long align = emu_config("copy_alignment", 0);
    if (align > 0 && (((uintptr_t) dst % (uintptr_t) align) || ((uintptr_t) src % (uintptr_t) align))) {
        emu_set_error("EE1001: %s: src %p / dst %p are not %ld-byte aligned", fn, src, dst, align);
        return ACL_ERROR_RT_ADDR_UNALIGNED;
    }
    int ddev = -1, sdev = -1;
    if (!emu_mem_check(dst, count, &ddev) || !emu_mem_check(src, count, &sdev) || ddev < 0 || sdev < 0 || ddev == sdev) {
        return ACL_SUCCESS;
    }
    int others[2] = {ddev, sdev};
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < 2; i++) {
        if (issuing >= 0 && others[i] != issuing && !g_peer[issuing][others[i]]) {
            pthread_mutex_unlock(&g_mu);
            emu_set_error("EE1001: %s: copy between device %d and device %d from device %d without "
                          "aclrtDeviceEnablePeerAccess", fn, sdev, ddev, issuing);
            return ACL_ERROR_RT_PARAM_INVALID;
        }
    }
    pthread_mutex_unlock(&g_mu);
    return ACL_SUCCESS;
}

aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind) {
    ENTER("aclrtMemcpy");
    REQUIRE_INIT("aclrtMemcpy");
    aclError e = check_copy(dst, destMax, src, count, kind, "aclrtMemcpy");
    if (e) return e;
    e = check_peer_and_alignment(dst, src, count, emu_current_device(), "aclrtMemcpy");
    if (e) return e;
    memmove(dst, src, count);
    return ACL_SUCCESS;
}

aclError aclrtMemset(void *devPtr, size_t maxCount, int32_t value, size_t count) {
    ENTER("aclrtMemset");
    REQUIRE_INIT("aclrtMemset");
    if (count > maxCount) return ACL_ERROR_INVALID_PARAM;
    aclError e = check_side(devPtr, count, true, "aclrtMemset", "destination");
    if (e) return e;
    memset(devPtr, value, count);
    return ACL_SUCCESS;
}

/* ---------- streams ---------- */
static void *stream_main(void *arg) {
    emu_stream *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping) pthread_cond_wait(&s->cv, &s->mu);
        if (!s->head && s->stopping) break;
        emu_task *t = s->head;
        s->head = t->next;
        if (!s->head) s->tail = NULL;
        int failed = s->failed;
        pthread_mutex_unlock(&s->mu);
        int rc = 0;
        tl_errmsg[0] = 0;
        if (!failed) {
            rc = t->async_fail ? t->async_fail : t->run(t);
            if (t->async_fail) emu_set_error("%s failed: injected asynchronous error %d", t->name, rc);
        }
        if (t->dispose) t->dispose(t);
        pthread_mutex_lock(&s->mu);
        if (rc && !s->failed) {
            s->failed = rc;
            snprintf(s->failmsg, sizeof s->failmsg, "%s", tl_errmsg[0] ? tl_errmsg : t->name);
        }
        s->completed = t->seq;
        pthread_cond_broadcast(&s->cv);
        free(t);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static emu_stream *stream_create(int device, void *ctx) {
    emu_stream *s = calloc(1, sizeof *s);
    s->device = device;
    s->ctx = ctx;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_create(&s->worker, NULL, stream_main, s);
    emu_reg_add(s, K_STREAM);
    return s;
}

/* Drains and stops the worker; the struct is kept (marked dead) so late readers never touch freed memory. */
static void stream_destroy(emu_stream *s) {
    emu_reg_del(s);
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->worker, NULL);
    s->dead = true;
}

emu_stream *emu_stream_resolve(aclrtStream handle, int *err) {
    *err = ACL_SUCCESS;
    if (handle == NULL) {
        if (!tl_ctx) {
            *err = ACL_ERROR_RT_CONTEXT_NULL;
            emu_set_error("default stream used with no current context");
            return NULL;
        }
        return tl_ctx->default_stream;
    }
    if (!emu_reg_has(handle, K_STREAM)) {
        *err = ACL_ERROR_RT_STREAM_CONTEXT;
        emu_set_error("invalid or destroyed stream %p", handle);
        return NULL;
    }
    return handle;
}

int emu_check_launch(emu_stream *s, const char *fn) {
    if (tl_in_callback) {
        emu_set_error("EE1001: %s was called inside a host callback; callbacks must not launch tasks", fn);
        return ACL_ERROR_API_NOT_SUPPORT;
    }
    if (s->ctx != tl_ctx) {
        emu_set_error("EE1001: %s: the stream does not belong to the current context of this thread", fn);
        return ACL_ERROR_RT_STREAM_CONTEXT;
    }
    return ACL_SUCCESS;
}

#define CHECK_LAUNCH(s, fn) do { int cl_ = emu_check_launch(s, fn); if (cl_) return cl_; } while (0)

emu_task *emu_task_new(const char *name, emu_task_fn run, void *arg) {
    emu_task *t = calloc(1, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->run = run;
    t->arg = arg;
    t->async_fail = emu_async_fail(name);
    return t;
}

int emu_stream_submit(emu_stream *s, emu_task *t) {
    pthread_mutex_lock(&s->mu);
    t->seq = ++s->submitted;
    if (s->tail) s->tail->next = t; else s->head = t;
    s->tail = t;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return ACL_SUCCESS;
}

#define RESOLVE(var, handle) \
    int rerr_; emu_stream *var = emu_stream_resolve(handle, &rerr_); if (!var) return rerr_

aclError aclrtCreateStream(aclrtStream *stream) {
    ENTER("aclrtCreateStream");
    REQUIRE_INIT("aclrtCreateStream");
    if (!stream) return ACL_ERROR_INVALID_PARAM;
    if (!tl_ctx) return ACL_ERROR_RT_CONTEXT_NULL;
    *stream = stream_create(tl_ctx->device, tl_ctx);
    return ACL_SUCCESS;
}

aclError aclrtCreateStreamWithConfig(aclrtStream *stream, uint32_t priority, uint32_t flag) {
    ENTER("aclrtCreateStreamWithConfig");
    REQUIRE_INIT("aclrtCreateStreamWithConfig");
    if (!stream || priority > 7 || (flag & ~0x3FU)) return ACL_ERROR_INVALID_PARAM;
    if (!tl_ctx) return ACL_ERROR_RT_CONTEXT_NULL;
    *stream = stream_create(tl_ctx->device, tl_ctx);
    return ACL_SUCCESS;
}

aclError aclrtDestroyStream(aclrtStream stream) {
    ENTER("aclrtDestroyStream");
    REQUIRE_INIT("aclrtDestroyStream");
    if (stream == NULL || !emu_reg_has(stream, K_STREAM)) {
        emu_set_error("aclrtDestroyStream: invalid stream %p", stream);
        return ACL_ERROR_RT_STREAM_CONTEXT;
    }
    stream_destroy(stream);
    return ACL_SUCCESS;
}

static aclError sync_until(emu_stream *s, uint64_t target, long timeout_ms, int timeout_code) {
    struct timespec dl;
    if (timeout_ms >= 0) deadline_after_ms(&dl, timeout_ms);
    pthread_mutex_lock(&s->mu);
    while (s->completed < target) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&s->cv, &s->mu);
        } else if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT && s->completed < target) {
            pthread_mutex_unlock(&s->mu);
            emu_set_error("synchronize timed out after %ld ms", timeout_ms);
            return timeout_code;
        }
    }
    int failed = s->failed;
    if (failed) emu_set_error("%s", s->failmsg);
    pthread_mutex_unlock(&s->mu);
    return failed;
}

static uint64_t submitted_of(emu_stream *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->submitted;
    pthread_mutex_unlock(&s->mu);
    return v;
}

aclError aclrtSynchronizeStream(aclrtStream stream) {
    ENTER("aclrtSynchronizeStream");
    REQUIRE_INIT("aclrtSynchronizeStream");
    NOT_IN_CALLBACK("aclrtSynchronizeStream");
    RESOLVE(s, stream);
    return sync_until(s, submitted_of(s), -1, 0);
}

aclError aclrtSynchronizeStreamWithTimeout(aclrtStream stream, int32_t timeout) {
    ENTER("aclrtSynchronizeStreamWithTimeout");
    REQUIRE_INIT("aclrtSynchronizeStreamWithTimeout");
    NOT_IN_CALLBACK("aclrtSynchronizeStreamWithTimeout");
    if (timeout < -1 || timeout == 0) {
        emu_set_error("EE1001: aclrtSynchronizeStreamWithTimeout: timeout %d is invalid (-1, or a value > 0)", timeout);
        return ACL_ERROR_RT_PARAM_INVALID;
    }
    RESOLVE(s, stream);
    return sync_until(s, submitted_of(s), timeout, ACL_ERROR_RT_STREAM_SYNC_TIMEOUT);
}

aclError aclrtStreamQuery(aclrtStream stream, aclrtStreamStatus *status) {
    ENTER("aclrtStreamQuery");
    REQUIRE_INIT("aclrtStreamQuery");
    if (!status) return ACL_ERROR_INVALID_PARAM;
    RESOLVE(s, stream);
    pthread_mutex_lock(&s->mu);
    *status = s->completed >= s->submitted ? ACL_STREAM_STATUS_COMPLETE : ACL_STREAM_STATUS_NOT_READY;
    pthread_mutex_unlock(&s->mu);
    return ACL_SUCCESS;
}

/* ---------- events ---------- */
typedef struct emu_event {
    uint32_t flags;
    bool legacy;         /* aclrtCreateEvent / aclrtCreateEventWithFlag: re-record needs aclrtResetEvent */
    bool armed;          /* legacy: recorded since creation or the last reset */
    pthread_mutex_t mu;
    emu_stream *stream;  /* stream of the latest record, or NULL when never recorded */
    uint64_t target;
    int64_t stamp_ns;
    uint64_t stamp_gen;  /* record generation whose timestamp is stored */
    uint64_t gen;
} emu_event;

typedef struct { emu_event *ev; uint64_t gen; } record_arg;

static int run_record(emu_task *t) {
    record_arg *a = t->arg;
    pthread_mutex_lock(&a->ev->mu);
    if (a->ev->gen == a->gen) {
        a->ev->stamp_ns = emu_now_ns();
        a->ev->stamp_gen = a->gen;
    }
    pthread_mutex_unlock(&a->ev->mu);
    return 0;
}

static void dispose_free_arg(emu_task *t) {
    free(t->arg);
}

/* Live legacy SYNC events: a per-device hardware resource in CANN (65536), capped here process-wide. */
static long g_legacy_sync_events;

static aclError event_create(aclrtEvent *event, uint32_t flags, bool legacy) {
    if (!event) return ACL_ERROR_INVALID_PARAM;
    if (legacy && (flags & ACL_EVENT_SYNC)) {
        long limit = emu_config("sync_event_limit", 65536);
        pthread_mutex_lock(&g_mu);
        if (g_legacy_sync_events >= limit) {
            pthread_mutex_unlock(&g_mu);
            emu_set_error("EE1001: no event resource left (%ld SYNC events live, limit %ld)", g_legacy_sync_events, limit);
            return ACL_ERROR_RT_NO_EVENT_RESOURCE;
        }
        g_legacy_sync_events++;
        pthread_mutex_unlock(&g_mu);
    }
    emu_event *e = calloc(1, sizeof *e);
    e->flags = flags;
    e->legacy = legacy;
    pthread_mutex_init(&e->mu, NULL);
    emu_reg_add(e, K_EVENT);
    *event = e;
    return ACL_SUCCESS;
}

aclError aclrtCreateEvent(aclrtEvent *event) {
    ENTER("aclrtCreateEvent");
    REQUIRE_INIT("aclrtCreateEvent");
    return event_create(event, ACL_EVENT_SYNC | ACL_EVENT_TIME_LINE, true);
}

aclError aclrtCreateEventWithFlag(aclrtEvent *event, uint32_t flag) {
    ENTER("aclrtCreateEventWithFlag");
    REQUIRE_INIT("aclrtCreateEventWithFlag");
    if (flag & ~0x7FU) return ACL_ERROR_INVALID_PARAM;
    return event_create(event, flag, true);
}

aclError aclrtCreateEventExWithFlag(aclrtEvent *event, uint32_t flag) {
    ENTER("aclrtCreateEventExWithFlag");
    REQUIRE_INIT("aclrtCreateEventExWithFlag");
    uint32_t known = ACL_EVENT_SYNC | ACL_EVENT_CAPTURE_STREAM_PROGRESS | ACL_EVENT_TIME_LINE | 0x40U;
    if ((flag & ~known) || ((flag & 0x40U) && flag != 0x40U)) {
        emu_set_error("EE1001: aclrtCreateEventExWithFlag: invalid flag 0x%x", flag);
        return ACL_ERROR_INVALID_PARAM;
    }
    return event_create(event, flag, false);
}

#define EVENT_OR_FAIL(e, handle, fn) \
    emu_event *e = handle; \
    if (!emu_reg_has(e, K_EVENT)) { emu_set_error("%s: invalid or destroyed event %p", fn, handle); return ACL_ERROR_INVALID_PARAM; }

aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream) {
    ENTER("aclrtRecordEvent");
    REQUIRE_INIT("aclrtRecordEvent");
    EVENT_OR_FAIL(e, event, "aclrtRecordEvent");
    RESOLVE(s, stream);
    CHECK_LAUNCH(s, "aclrtRecordEvent");
    pthread_mutex_lock(&e->mu);
    bool rearm = e->legacy && e->armed;
    e->armed = true;
    pthread_mutex_unlock(&e->mu);
    if (rearm) {
        emu_set_error("EE1001: aclrtRecordEvent: event %p (created without the Ex call) is recorded again without "
                      "aclrtResetEvent; only aclrtCreateEventExWithFlag events can be re-recorded freely", event);
        return ACL_ERROR_RT_PARAM_INVALID;
    }
    record_arg *a = malloc(sizeof *a);
    emu_task *t = emu_task_new("aclrtRecordEvent", run_record, a);
    t->dispose = dispose_free_arg;
    a->ev = e;
    /* Hold the stream lock so the capture and the queue position agree. */
    pthread_mutex_lock(&e->mu);
    a->gen = ++e->gen;
    emu_stream_submit(s, t);
    e->stream = s;
    e->target = submitted_of(s);
    pthread_mutex_unlock(&e->mu);
    return ACL_SUCCESS;
}

aclError aclrtResetEvent(aclrtEvent event, aclrtStream stream) {
    ENTER("aclrtResetEvent");
    REQUIRE_INIT("aclrtResetEvent");
    EVENT_OR_FAIL(e, event, "aclrtResetEvent");
    RESOLVE(s, stream);
    (void) s;
    if (!(e->flags & ACL_EVENT_SYNC)) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
    pthread_mutex_lock(&e->mu);
    e->stream = NULL;
    e->armed = false;
    e->gen++;
    pthread_mutex_unlock(&e->mu);
    return ACL_SUCCESS;
}

static void event_capture(emu_event *e, emu_stream **s, uint64_t *target, uint64_t *gen) {
    pthread_mutex_lock(&e->mu);
    *s = e->stream;
    *target = e->target;
    if (gen) *gen = e->gen;
    pthread_mutex_unlock(&e->mu);
}

static bool stream_reached(emu_stream *s, uint64_t target) {
    pthread_mutex_lock(&s->mu);
    bool done = s->completed >= target;
    pthread_mutex_unlock(&s->mu);
    return done;
}

aclError aclrtQueryEventStatus(aclrtEvent event, aclrtEventRecordedStatus *status) {
    ENTER("aclrtQueryEventStatus");
    REQUIRE_INIT("aclrtQueryEventStatus");
    EVENT_OR_FAIL(e, event, "aclrtQueryEventStatus");
    if (!status) return ACL_ERROR_INVALID_PARAM;
    emu_stream *s;
    uint64_t target;
    event_capture(e, &s, &target, NULL);
    *status = (s == NULL || stream_reached(s, target)) ? ACL_EVENT_RECORDED_STATUS_COMPLETE
                                                       : ACL_EVENT_RECORDED_STATUS_NOT_READY;
    return ACL_SUCCESS;
}

aclError aclrtSynchronizeEvent(aclrtEvent event) {
    ENTER("aclrtSynchronizeEvent");
    REQUIRE_INIT("aclrtSynchronizeEvent");
    NOT_IN_CALLBACK("aclrtSynchronizeEvent");
    EVENT_OR_FAIL(e, event, "aclrtSynchronizeEvent");
    emu_stream *s;
    uint64_t target;
    event_capture(e, &s, &target, NULL);
    if (s == NULL) return ACL_SUCCESS;
    return sync_until(s, target, -1, 0);
}

aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent, aclrtEvent endEvent) {
    ENTER("aclrtEventElapsedTime");
    REQUIRE_INIT("aclrtEventElapsedTime");
    EVENT_OR_FAIL(a, startEvent, "aclrtEventElapsedTime");
    EVENT_OR_FAIL(b, endEvent, "aclrtEventElapsedTime");
    if (!ms) return ACL_ERROR_INVALID_PARAM;
    if (!(a->flags & ACL_EVENT_TIME_LINE) || !(b->flags & ACL_EVENT_TIME_LINE)) {
        emu_set_error("aclrtEventElapsedTime: both events need ACL_EVENT_TIME_LINE");
        return ACL_ERROR_INVALID_PARAM;
    }
    emu_event *ev[2] = {a, b};
    int64_t stamps[2];
    for (int i = 0; i < 2; i++) {
        emu_stream *s;
        uint64_t target, gen;
        event_capture(ev[i], &s, &target, &gen);
        if (s == NULL) {
            emu_set_error("aclrtEventElapsedTime: event was never recorded");
            return ACL_ERROR_INVALID_PARAM;
        }
        if (!stream_reached(s, target)) {
            emu_set_error("aclrtEventElapsedTime: event has not completed");
            return ACL_ERROR_RT_EVENT_NOT_COMPLETE;
        }
        pthread_mutex_lock(&ev[i]->mu);
        stamps[i] = ev[i]->stamp_gen == gen ? ev[i]->stamp_ns : -1;
        pthread_mutex_unlock(&ev[i]->mu);
        if (stamps[i] < 0) return ACL_ERROR_RT_EVENT_TIMESTAMP_INVALID;
    }
    *ms = (float) ((double) (stamps[1] - stamps[0]) / 1e6);
    return ACL_SUCCESS;
}

aclError aclrtDestroyEvent(aclrtEvent event) {
    ENTER("aclrtDestroyEvent");
    REQUIRE_INIT("aclrtDestroyEvent");
    EVENT_OR_FAIL(e, event, "aclrtDestroyEvent");
    if (e->legacy && (e->flags & ACL_EVENT_SYNC)) {
        pthread_mutex_lock(&g_mu);
        g_legacy_sync_events--;
        pthread_mutex_unlock(&g_mu);
    }
    emu_reg_del(e); /* struct kept: pending record tasks may still point at it */
    return ACL_SUCCESS;
}

typedef struct { emu_stream *other; uint64_t target; } wait_arg;

static int run_wait(emu_task *t) {
    wait_arg *a = t->arg;
    pthread_mutex_lock(&a->other->mu);
    while (a->other->completed < a->target && !a->other->dead) pthread_cond_wait(&a->other->cv, &a->other->mu);
    pthread_mutex_unlock(&a->other->mu);
    return 0;
}

aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event) {
    ENTER("aclrtStreamWaitEvent");
    REQUIRE_INIT("aclrtStreamWaitEvent");
    EVENT_OR_FAIL(e, event, "aclrtStreamWaitEvent");
    RESOLVE(s, stream);
    CHECK_LAUNCH(s, "aclrtStreamWaitEvent");
    emu_stream *other;
    uint64_t target;
    event_capture(e, &other, &target, NULL);
    if (other == NULL || other == s) return ACL_SUCCESS; /* never recorded, or same-stream order: nothing to wait for */
    wait_arg *a = malloc(sizeof *a);
    a->other = other;
    a->target = target;
    emu_task *t = emu_task_new("aclrtStreamWaitEvent", run_wait, a);
    t->dispose = dispose_free_arg;
    return emu_stream_submit(s, t);
}

/* ---------- async copies and memset ---------- */
typedef struct { void *dst; const void *src; size_t n; int value; bool is_set; } copy_arg;

static int run_copy(emu_task *t) {
    copy_arg *a = t->arg;
    /* Re-check at execution time: memory freed before the copy ran is reported, not touched. */
    int dev = -1;
    if (a->is_set) {
        if (!emu_mem_check(a->dst, a->n, &dev)) {
            emu_set_error("aclrtMemsetAsync: destination freed before the operation ran");
            return ACL_ERROR_RT_DEVICE_MEM_ERROR;
        }
        memset(a->dst, a->value, a->n);
        return 0;
    }
    memmove(a->dst, a->src, a->n);
    return 0;
}

aclError aclrtMemcpyAsync(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind,
                          aclrtStream stream) {
    ENTER("aclrtMemcpyAsync");
    REQUIRE_INIT("aclrtMemcpyAsync");
    aclError e = check_copy(dst, destMax, src, count, kind, "aclrtMemcpyAsync");
    if (e) return e;
    RESOLVE(s, stream);
    CHECK_LAUNCH(s, "aclrtMemcpyAsync");
    e = check_peer_and_alignment(dst, src, count, s->device, "aclrtMemcpyAsync");
    if (e) return e;
    copy_arg *a = calloc(1, sizeof *a);
    a->dst = dst;
    a->src = src;
    a->n = count;
    emu_task *t = emu_task_new("aclrtMemcpyAsync", run_copy, a);
    t->dispose = dispose_free_arg;
    return emu_stream_submit(s, t);
}

aclError aclrtMemsetAsync(void *devPtr, size_t maxCount, int32_t value, size_t count, aclrtStream stream) {
    ENTER("aclrtMemsetAsync");
    REQUIRE_INIT("aclrtMemsetAsync");
    if (count > maxCount) return ACL_ERROR_INVALID_PARAM;
    aclError e = check_side(devPtr, count, true, "aclrtMemsetAsync", "destination");
    if (e) return e;
    RESOLVE(s, stream);
    CHECK_LAUNCH(s, "aclrtMemsetAsync");
    copy_arg *a = calloc(1, sizeof *a);
    a->dst = devPtr;
    a->n = count;
    a->value = value;
    a->is_set = true;
    emu_task *t = emu_task_new("aclrtMemsetAsync", run_copy, a);
    t->dispose = dispose_free_arg;
    return emu_stream_submit(s, t);
}

/* ---------- host callbacks through subscribe / process-report ---------- */
typedef struct report_item {
    aclrtCallback fn;
    void *user;
    bool done;
    bool block;
    struct report_item *next;
} report_item;

typedef struct report_queue {
    uint64_t tid;
    int streams;
    report_item *head, *tail;
    struct report_queue *next;
} report_queue;

static pthread_mutex_t g_rep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_rep_cv = PTHREAD_COND_INITIALIZER;
static report_queue *g_queues;

static report_queue *queue_find(uint64_t tid) {
    for (report_queue *q = g_queues; q; q = q->next) {
        if (q->tid == tid) return q;
    }
    return NULL;
}

aclError aclrtSubscribeReport(uint64_t threadId, aclrtStream stream) {
    ENTER("aclrtSubscribeReport");
    REQUIRE_INIT("aclrtSubscribeReport");
    RESOLVE(s, stream);
    pthread_mutex_lock(&g_rep_mu);
    if (s->subscribed) {
        pthread_mutex_unlock(&g_rep_mu);
        emu_set_error("aclrtSubscribeReport: stream already has a report thread");
        return ACL_ERROR_REPEAT_SUBSCRIBE;
    }
    report_queue *q = queue_find(threadId);
    if (!q) {
        q = calloc(1, sizeof *q);
        q->tid = threadId;
        q->next = g_queues;
        g_queues = q;
    }
    q->streams++;
    s->subscribed = true;
    s->report_tid = threadId;
    pthread_mutex_unlock(&g_rep_mu);
    return ACL_SUCCESS;
}

aclError aclrtUnSubscribeReport(uint64_t threadId, aclrtStream stream) {
    ENTER("aclrtUnSubscribeReport");
    REQUIRE_INIT("aclrtUnSubscribeReport");
    RESOLVE(s, stream);
    pthread_mutex_lock(&g_rep_mu);
    if (!s->subscribed || s->report_tid != threadId) {
        pthread_mutex_unlock(&g_rep_mu);
        emu_set_error("aclrtUnSubscribeReport: stream is not subscribed by thread %llu",
                      (unsigned long long) threadId);
        return ACL_ERROR_STREAM_NOT_SUBSCRIBE;
    }
    s->subscribed = false;
    report_queue *q = queue_find(threadId);
    if (q) q->streams--;
    pthread_mutex_unlock(&g_rep_mu);
    return ACL_SUCCESS;
}

typedef struct { uint64_t tid; aclrtCallback fn; void *user; bool block; } callback_arg;

static int run_callback(emu_task *t) {
    callback_arg *a = t->arg;
    report_item *it = calloc(1, sizeof *it);
    it->fn = a->fn;
    it->user = a->user;
    it->block = a->block;
    pthread_mutex_lock(&g_rep_mu);
    report_queue *q = queue_find(a->tid);
    if (!q) {
        pthread_mutex_unlock(&g_rep_mu);
        free(it);
        emu_set_error("callback: report thread %llu is gone", (unsigned long long) a->tid);
        return ACL_ERROR_RT_THREAD_SUBSCRIBE;
    }
    if (q->tail) q->tail->next = it; else q->head = it;
    q->tail = it;
    pthread_cond_broadcast(&g_rep_cv);
    if (a->block) {
        while (!it->done) pthread_cond_wait(&g_rep_cv, &g_rep_mu);
        free(it);
    }
    pthread_mutex_unlock(&g_rep_mu);
    return 0;
}

aclError aclrtLaunchCallback(aclrtCallback fn, void *userData, aclrtCallbackBlockType blockType, aclrtStream stream) {
    ENTER("aclrtLaunchCallback");
    REQUIRE_INIT("aclrtLaunchCallback");
    if (!fn || (int) blockType < 0 || blockType > ACL_CALLBACK_BLOCK) return ACL_ERROR_INVALID_PARAM;
    RESOLVE(s, stream);
    CHECK_LAUNCH(s, "aclrtLaunchCallback");
    pthread_mutex_lock(&g_rep_mu);
    bool sub = s->subscribed;
    uint64_t tid = s->report_tid;
    pthread_mutex_unlock(&g_rep_mu);
    if (!sub) {
        emu_set_error("aclrtLaunchCallback: stream has no subscribed report thread");
        return ACL_ERROR_STREAM_NOT_SUBSCRIBE;
    }
    callback_arg *a = malloc(sizeof *a);
    a->tid = tid;
    a->fn = fn;
    a->user = userData;
    a->block = blockType == ACL_CALLBACK_BLOCK;
    emu_task *t = emu_task_new("aclrtLaunchCallback", run_callback, a);
    t->dispose = dispose_free_arg;
    return emu_stream_submit(s, t);
}

aclError aclrtProcessReport(int32_t timeout) {
    ENTER("aclrtProcessReport");
    REQUIRE_INIT("aclrtProcessReport");
    if (timeout < -1 || timeout == 0) {
        emu_set_error("EE1001: aclrtProcessReport: timeout %d is invalid (-1, or a value > 0)", timeout);
        return ACL_ERROR_RT_PARAM_INVALID;
    }
    uint64_t tid = (uint64_t) pthread_self();
    struct timespec dl;
    if (timeout >= 0) deadline_after_ms(&dl, timeout);
    pthread_mutex_lock(&g_rep_mu);
    report_queue *q = queue_find(tid);
    if (!q || (q->streams == 0 && !q->head)) {
        pthread_mutex_unlock(&g_rep_mu);
        emu_set_error("EE1001: aclrtProcessReport: thread %llu subscribes no stream", (unsigned long long) tid);
        return ACL_ERROR_RT_THREAD_SUBSCRIBE;
    }
    report_item *found = NULL;
    for (;;) {
        found = q->head;
        if (found) break;
        int rc = timeout < 0 ? pthread_cond_wait(&g_rep_cv, &g_rep_mu) : pthread_cond_timedwait(&g_rep_cv, &g_rep_mu, &dl);
        if (rc == ETIMEDOUT && !q->head) {
            pthread_mutex_unlock(&g_rep_mu);
            return ACL_ERROR_RT_REPORT_TIMEOUT;
        }
    }
    q->head = found->next;
    if (!q->head) q->tail = NULL;
    pthread_mutex_unlock(&g_rep_mu);
    tl_in_callback = true;
    found->fn(found->user);
    tl_in_callback = false;
    if (!found->block) {
        free(found);
        return ACL_SUCCESS;
    }
    /* A blocking launcher waits for done and frees the item itself. */
    pthread_mutex_lock(&g_rep_mu);
    found->done = true;
    pthread_cond_broadcast(&g_rep_cv);
    pthread_mutex_unlock(&g_rep_mu);
    return ACL_SUCCESS;
}
