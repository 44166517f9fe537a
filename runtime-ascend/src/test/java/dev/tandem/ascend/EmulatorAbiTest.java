package dev.tandem.ascend;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.ffi.hccl.Hccl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.NativeCodes;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The raw bindings against the emulator: CANN semantics the safe layer relies on, and the documented error
 * codes for misuse (the emulator must report, never crash).
 */
@Tag("emulator")
class EmulatorAbiTest {

    private static MemorySegment pointer(Arena arena) {
        return arena.allocate(ValueLayout.ADDRESS);
    }

    @Test
    void deviceAndContextAreBoundToTheCallingThread() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(2); Arena arena = Arena.ofConfined()) {
            AscendDevice d1 = (AscendDevice) rt.device(1);
            d1.bind();
            MemorySegment id = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtGetDevice", AclRt.aclrtGetDevice(id));
            assertThat(id.get(ValueLayout.JAVA_INT, 0)).isEqualTo(1);
            MemorySegment ctx = pointer(arena);
            Check.acl("aclrtGetCurrentContext", AclRt.aclrtGetCurrentContext(ctx));
            assertThat(ctx.get(ValueLayout.ADDRESS, 0)).isEqualTo(d1.context());
            int[] otherThread = new int[1];
            Thread t = Thread.ofPlatform().start(() -> {
                try (Arena a = Arena.ofConfined()) {
                    otherThread[0] = AclRt.aclrtGetDevice(a.allocate(ValueLayout.JAVA_INT));
                }
            });
            t.join();
            assertThat(otherThread[0]).as("a fresh thread has no current device").isEqualTo(AclRt.ACL_ERROR_RT_CONTEXT_NULL());
            assertThatThrownBy(() -> Check.acl("aclInit", AclRt.aclInit(MemorySegment.NULL)))
                    .isInstanceOfSatisfying(AclException.class,
                            e -> assertThat(e.codeName()).isEqualTo("ACL_ERROR_REPEAT_INITIALIZE"));
        }
    }

    @Test
    void misuseReturnsDocumentedCodesInsteadOfCrashing() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            ((AscendDevice) rt.device(0)).bind();
            MemorySegment out = pointer(arena);
            Check.acl("aclrtMalloc", AclRt.aclrtMalloc(out, 64, AclRt.ACL_MEM_MALLOC_HUGE_FIRST()));
            MemorySegment dev = out.get(ValueLayout.ADDRESS, 0);
            MemorySegment host = arena.allocate(128);
            Check.acl("aclrtMemset", AclRt.aclrtMemset(dev, 64, 3, 64));
            Check.acl("aclrtMemcpy", AclRt.aclrtMemcpy(host, 64, dev, 64, AclRt.ACL_MEMCPY_DEVICE_TO_HOST()));
            assertThat(host.get(ValueLayout.JAVA_BYTE, 63)).isEqualTo((byte) 3);
            assertThat(AclRt.aclrtMemcpy(host, 128, dev, 128, AclRt.ACL_MEMCPY_DEVICE_TO_HOST()))
                    .as("copy past the end of an allocation").isEqualTo(AclRt.ACL_ERROR_INVALID_PARAM());
            assertThat(Check.recentMessage()).contains("not inside a live device allocation");
            assertThat(AclRt.aclrtMemcpy(host, 8, dev, 16, AclRt.ACL_MEMCPY_DEVICE_TO_HOST()))
                    .as("count above destMax").isEqualTo(AclRt.ACL_ERROR_INVALID_PARAM());
            Check.acl("aclrtFree", AclRt.aclrtFree(dev));
            assertThat(AclRt.aclrtFree(dev)).as("double free").isEqualTo(AclRt.ACL_ERROR_INVALID_PARAM());
            assertThat(Check.recentMessage()).contains("double free");
            assertThat(AclRt.aclrtMemcpy(host, 8, dev, 8, AclRt.ACL_MEMCPY_DEVICE_TO_HOST()))
                    .as("use after free").isEqualTo(AclRt.ACL_ERROR_INVALID_PARAM());
            assertThat(AclRt.aclrtMalloc(out, 64, 99)).as("bad policy").isEqualTo(AclRt.ACL_ERROR_INVALID_PARAM());
            assertThat(AclRt.aclrtDestroyStream(MemorySegment.ofAddress(0x1234)))
                    .as("invalid stream handle").isEqualTo(AclRt.ACL_ERROR_RT_STREAM_CONTEXT());
            assertThat(AclRt.aclrtDestroyEvent(MemorySegment.ofAddress(0x1234)))
                    .as("invalid event handle").isEqualTo(AclRt.ACL_ERROR_INVALID_PARAM());
            assertThatThrownBy(() -> Check.hccl("HcclGetRankSize",
                    Hccl.HcclGetRankSize(MemorySegment.ofAddress(0x1234), arena.allocate(ValueLayout.JAVA_INT))))
                    .isInstanceOfSatisfying(HcclException.class, e -> {
                        assertThat(e.codeName()).isEqualTo("HCCL_E_PARA");
                        assertThat(e.getMessage()).contains("invalid or destroyed communicator");
                    });
            assertThat(NativeCodes.aclName(123456789)).isEqualTo(NativeCodes.UNKNOWN);
            assertThat(NativeCodes.aclnnName(161002)).isEqualTo("ACLNN_ERR_PARAM_INVALID");
        }
    }

    @Test
    void eventsFollowAclSemantics() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            ((AscendDevice) rt.device(0)).bind();
            MemorySegment p = pointer(arena);
            Check.acl("aclrtCreateStream", AclRt.aclrtCreateStream(p));
            MemorySegment stream = p.get(ValueLayout.ADDRESS, 0);
            Check.acl("aclrtCreateEvent", AclRt.aclrtCreateEvent(p));
            MemorySegment never = p.get(ValueLayout.ADDRESS, 0);
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtQueryEventStatus", AclRt.aclrtQueryEventStatus(never, status));
            assertThat(status.get(ValueLayout.JAVA_INT, 0)).as("never recorded is complete")
                    .isEqualTo(AclRt.ACL_EVENT_RECORDED_STATUS_COMPLETE());
            Check.acl("aclrtStreamWaitEvent", AclRt.aclrtStreamWaitEvent(stream, never));
            Check.acl("aclrtSynchronizeStreamWithTimeout", AclRt.aclrtSynchronizeStreamWithTimeout(stream, 1000));
            Check.acl("aclrtRecordEvent", AclRt.aclrtRecordEvent(never, stream));
            Check.acl("aclrtSynchronizeEvent", AclRt.aclrtSynchronizeEvent(never));
            Check.acl("aclrtResetEvent", AclRt.aclrtResetEvent(never, stream));
            Check.acl("aclrtDestroyEvent", AclRt.aclrtDestroyEvent(never));
            Check.acl("aclrtDestroyStream", AclRt.aclrtDestroyStream(stream));
            assertThat(AclRt.aclrtSynchronizeStream(stream)).as("destroyed stream")
                    .isEqualTo(AclRt.ACL_ERROR_RT_STREAM_CONTEXT());
        }
    }

    @Test
    void aclnnObjectsAreCreatedAndDestroyed() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            ((AscendDevice) rt.device(0)).bind();
            MemorySegment ints = Check.aclnnObject("aclCreateIntArray",
                    Aclnn.aclCreateIntArray(arena.allocateFrom(ValueLayout.JAVA_LONG, 1, 2, 3), 3));
            Check.aclnn("aclDestroyIntArray", Aclnn.aclDestroyIntArray(ints));
            assertThat(Aclnn.aclDestroyIntArray(ints)).as("double destroy").isEqualTo(Aclnn.ACLNN_ERR_PARAM_INVALID());
            MemorySegment p = pointer(arena);
            Check.acl("aclrtMalloc", AclRt.aclrtMalloc(p, 64, AclRt.ACL_MEM_MALLOC_HUGE_FIRST()));
            MemorySegment data = p.get(ValueLayout.ADDRESS, 0);
            MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, 4);
            MemorySegment strides = arena.allocateFrom(ValueLayout.JAVA_LONG, 1);
            MemorySegment[] tensors = new MemorySegment[2];
            for (int i = 0; i < 2; i++) {
                tensors[i] = Check.aclnnObject("aclCreateTensor", Aclnn.aclCreateTensor(dims, 1, AclRt.ACL_FLOAT(), strides,
                        0, AclRt.ACL_FORMAT_ND(), dims, 1, data));
            }
            MemorySegment array = arena.allocate(ValueLayout.ADDRESS, 2);
            array.setAtIndex(ValueLayout.ADDRESS, 0, tensors[0]);
            array.setAtIndex(ValueLayout.ADDRESS, 1, tensors[1]);
            MemorySegment list = Check.aclnnObject("aclCreateTensorList", Aclnn.aclCreateTensorList(array, 2));
            Check.aclnn("aclDestroyTensorList", Aclnn.aclDestroyTensorList(list));
            assertThat(Aclnn.aclDestroyTensor(tensors[0])).as("the list owned its tensors")
                    .isEqualTo(Aclnn.ACLNN_ERR_PARAM_INVALID());
            Check.acl("aclrtFree", AclRt.aclrtFree(data));
        }
    }
}
