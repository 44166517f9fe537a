/*
 * ABI emulator of libascendcl / libhccl / libnnopbase / libopapi: a TEST FIXTURE.
 * It is built into target/ by the Maven build for the tests only and never ships in a jar.
 * Everything runs on the CPU: "device memory" is host memory, each stream is a pthread.
 */
#ifndef TANDEM_EMU_INTERNAL_H
#define TANDEM_EMU_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "tandem_acl.h"

enum emu_kind { K_CONTEXT = 1, K_STREAM, K_EVENT, K_COMM, K_TENSOR, K_SCALAR, K_INTARRAY, K_TENSORLIST, K_EXECUTOR };

/* Handle registry: a handle is valid only while registered with its kind. */
void emu_reg_add(void *p, int kind);
bool emu_reg_has(void *p, int kind);
void emu_reg_del(void *p);

/* Call counting and failure injection. Returns 0, or the injected error code for this call. */
int emu_enter(const char *fn);
/* The injected asynchronous failure code for operations created by fn, or 0. */
int emu_async_fail(const char *fn);
void emu_set_error(const char *fmt, ...);
/* The calling thread's last error text ("" when none). */
const char *emu_recent_error(void);

int64_t emu_now_ns(void);
uint32_t emu_device_count(void);

/* Allocation registry. */
typedef struct emu_alloc {
    char *base;
    size_t size;
    int device; /* -1 for pinned host memory */
} emu_alloc;
/* Validates [p, p+len) lies in one live allocation; returns it or NULL. */
bool emu_mem_check(const void *p, size_t len, int *device_out);

/* Streams. */
typedef struct emu_task emu_task;
typedef int (*emu_task_fn)(emu_task *task);
struct emu_task {
    emu_task_fn run;
    void (*dispose)(emu_task *task);
    void *arg;
    char name[48];
    int async_fail;
    uint64_t seq;
    emu_task *next;
};

typedef struct emu_stream {
    int device;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    emu_task *head, *tail;
    uint64_t submitted;
    uint64_t completed;
    int failed;                 /* first failure code, sticky */
    char failmsg[512];
    bool stopping;
    bool dead;
    uint64_t report_tid;
    bool subscribed;
    pthread_t worker;
    void *ctx;                  /* the context the stream was created in */
} emu_stream;

/* Resolves a user stream handle (NULL: default stream of the current context). */
emu_stream *emu_stream_resolve(aclrtStream s, int *err);
/* Enqueues; task memory is owned by the stream afterwards. */
int emu_stream_submit(emu_stream *s, emu_task *task);
emu_task *emu_task_new(const char *name, emu_task_fn run, void *arg);
int emu_current_device(void);

/*
 * Strict CANN rules (sources in VERIFIED.md). emu_check_launch returns 0, or the code a launch of fn on s from the
 * calling thread fails with: ACL_ERROR_API_NOT_SUPPORT inside a host callback (CANN forbids launching, allocating,
 * freeing and synchronizing there), ACL_ERROR_RT_STREAM_CONTEXT (107003) when s is not in the thread's current
 * context.
 */
bool emu_in_callback(void);
int emu_check_launch(emu_stream *s, const char *fn);
/* Test switches (tandemEmuConfigure or TANDEM_EMU_<KEY> in the environment); dflt when unset. */
long emu_config(const char *key, long dflt);



/* Element access by aclDataType (implemented in emu_aclnn.c). */
size_t emu_dtype_size(int acl_dtype);
double emu_load(const void *p, int acl_dtype);
void emu_store(void *p, int acl_dtype, double v);
#endif
