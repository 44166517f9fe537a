/**
 * The Ascend NPU backend: safe classes over AscendCL, HCCL and aclnn implementing the runtime API. Rule:
 * one final class per native handle, each built on {@link dev.tandem.runtime.spi.Handle}; arguments pass the
 * shared contract before any native call, and native failures become {@link dev.tandem.ascend.AclException},
 * {@link dev.tandem.ascend.HcclException} or {@link dev.tandem.ascend.AclnnException} by code, never by text.
 */
package dev.tandem.ascend;
