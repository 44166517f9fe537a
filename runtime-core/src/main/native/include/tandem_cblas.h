/*
 * Tandem's declarations of the few CBLAS / OpenBLAS entry points the host backend binds (LP64: 32-bit
 * integers, as in the libopenblas0 / libblas3 builds of Linux distributions). Only what
 * dev.tandem.runtime.host.blas needs; the enum values are the CBLAS standard's.
 */
#ifndef TANDEM_CBLAS_H
#define TANDEM_CBLAS_H

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

/* C = alpha * op(A) * op(B) + beta * C */
void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                 const int m, const int n, const int k, const float alpha, const float *a, const int lda,
                 const float *b, const int ldb, const float beta, float *c, const int ldc);

/* OpenBLAS extensions (optional: other CBLAS libraries lack them). */
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);

#endif
